r"""The special functions of the families' formulas, for every backend: log Γ, Γ, ψ and ψ⁽ⁿ⁾, B, erf,
erfc, the modified Bessel I_ν, Ei, E₁ and E_n, harmonic numbers H_x and ζ (Riemann and Hurwitz).

:func:`kernel_call` names the kernel a SymPy node is evaluated with (``polygamma(2, x)`` →
``("polygamma_2", (x,))``): the code generator (numpy, scipy, torch) prints a call of that name, and
:func:`symce.numeric.lowering.lower` replaces the node by it for the backends SymPy's printers print (math,
mpmath), so every backend resolves the same names in its module dictionary (:mod:`symce.numeric.impl`).

Kernels (float64; measured against the correctly rounded value in ``tests/test_numeric_special.py``):

* numpy, scipy, math: scipy.special's compiled kernels (ψ, ψ⁽ⁿ⁾ through the Hurwitz ζ, erf, erfc, I₀, I₁,
  I_ν, Ei, E₁, E_n, ζ, B, Γ), except **log Γ**, whose scipy/cephes kernel loses every digit near its zeros
  x = 1 and 2 (log(1/x) + p cancels: 8·10⁶ ULP at 1 + 2⁻³⁰; Python's math.lgamma 1.5·10⁹): there it is
  the Taylor series lnΓ(1 + ε) = −γε + Σ_{k≥2} (−1)ᵏ ζ(k) εᵏ/k (|ε| ≤ 1/4) and
  lnΓ(2 + ε) = (1 − γ)ε + Σ_{k≥2} (−1)ᵏ (ζ(k) − 1) εᵏ/k (−3/4 ≤ ε ≤ 3/4), below 1/4 as
  lnΓ(1 + x) − log x (gammaln is +∞ below 10⁻³⁰⁸), and **H_x** = ψ(x + 1) + γ,
  which cancels for small x: Σ_{k≥1} (−1)ᵏ⁺¹ ζ(k + 1) xᵏ for |x| ≤ 1/4, and **erfc** for x ≥ 1 (scipy
  rounds x² inside e^{−x²}: 120 ULP at x = 21) as erfcx(x)·e^{−x²} with x² split exactly. Without scipy the numpy kernels
  are mpmath's, elementwise (about 10⁴ times slower; scipy is a dependency of symce).
* torch: torch.lgamma (correctly rounded on the points measured), erf, erfc, I₀, I₁ and the Hurwitz ζ
  natively (autograd through them); ψ and ψ⁽ⁿ⁾ (torch.digamma loses all digits at the root of ψ,
  x = 1.4616…, torch.polygamma(1, ·) 3.6·10⁶ ULP at x = 1), Γ, B, Ei, E_n, H_x, ζ(s) and I_ν run the numpy
  kernel through the torch bridge (:func:`torch_bridged`), their gradients from the symbolic derivative.
* mpmath: mpmath's functions at the current precision.
"""

from __future__ import annotations

import functools
import importlib.util
import sys

import mpmath
import numpy as np
import sympy as sp

#: ψ⁽ⁿ⁾ kernels are named per order (torch.polygamma takes n as an int): orders 1 … MAX_ORDER
MAX_ORDER = 12


def kernel_call(node):
    """(kernel name, arguments) for a special-function node, else None (not a special function symce knows,
    or an order that is not a small integer)."""
    if isinstance(node, sp.loggamma):
        return "loggamma", node.args
    if isinstance(node, sp.gamma):
        return "gamma", node.args
    if isinstance(node, sp.polygamma):
        n, x = node.args
        if n.is_Integer and 0 <= n <= MAX_ORDER:
            return ("digamma" if n == 0 else f"polygamma_{int(n)}"), (x,)
        return None
    if isinstance(node, sp.erf):
        return "erf", node.args
    if isinstance(node, sp.erfc):
        return "erfc", node.args
    if isinstance(node, sp.besseli):
        nu, x = node.args
        if nu in (0, 1):
            return f"besseli_{int(nu)}", (x,)
        return ("besseli", node.args) if nu.is_number and nu.is_real else None
    if isinstance(node, sp.Ei):
        return "Ei", node.args
    if isinstance(node, sp.expint):
        nu, x = node.args
        if nu == 1:
            return "expint_1", (x,)
        return ("expint", node.args) if nu.is_Integer and nu >= 0 else None
    if isinstance(node, sp.harmonic) and len(node.args) == 1:
        return "harmonic", node.args
    if isinstance(node, sp.zeta):
        return ("zeta", node.args) if len(node.args) == 1 else ("hurwitz_zeta", node.args)
    if isinstance(node, sp.beta) and len(node.args) == 2:
        return "beta", node.args
    return None


#: kernels torch evaluates natively (accurate and differentiable there); the others are bridged to numpy
TORCH_NATIVE = frozenset({"loggamma", "erf", "erfc", "besseli_0", "besseli_1", "hurwitz_zeta"})


def torch_bridged(node) -> bool:
    """A special-function node the torch backend evaluates with the numpy kernel (see the module docstring)."""
    got = kernel_call(node)
    return got is not None and got[0] not in TORCH_NATIVE


# -- numpy ---------------------------------------------------------------------------------------------------
@functools.lru_cache(maxsize=None)
def _series(kind: str, terms: int) -> tuple:
    """Taylor coefficients c_1 … c_terms (float64) of lnΓ(1 + ε) ("one"), lnΓ(2 + ε) ("two") or of
    H_x = ψ(1 + x) + γ ("harmonic")."""
    with mpmath.workdps(40):
        if kind == "one":
            c = [-mpmath.euler] + [(-1) ** k * mpmath.zeta(k) / k for k in range(2, terms + 1)]
        elif kind == "two":
            c = [1 - mpmath.euler] + [(-1) ** k * (mpmath.zeta(k) - 1) / k for k in range(2, terms + 1)]
        else:
            c = [(-1) ** (k + 1) * mpmath.zeta(k + 1) for k in range(1, terms + 1)]
        return tuple(float(v) for v in c)


def _horner(coeffs, e):
    """Σ_k c_k e^k, k ≥ 1 (Horner, the first coefficient last: its term dominates and is rounded once)."""
    acc = np.zeros_like(e)
    for c in reversed(coeffs):
        acc = (acc + c) * e
    return acc


def _patch(out, x, mask, f):
    if np.any(mask):
        out[mask] = f(x[mask])
    return out


def np_loggamma(x, sc):
    x = np.asarray(x, dtype=np.float64)
    out = np.array(sc.gammaln(x), dtype=np.float64, ndmin=1)
    xs = np.array(x, ndmin=1)
    out[xs < 0] = np.nan  # lnΓ of a negative real is complex (SymPy's loggamma), not log|Γ|
    # x < 1/4: log Γ(x) = log Γ(1 + x) − log x (cephes' gammaln overflows 1/x to ∞ below 10⁻³⁰⁸)
    _patch(out, xs, (xs > 0) & (xs < 0.25), lambda v: _horner(_series("one", 30), v) - np.log(v))
    _patch(out, xs, (xs >= 0.75) & (xs <= 1.25), lambda v: _horner(_series("one", 30), v - 1.0))
    _patch(out, xs, (xs > 1.25) & (xs <= 2.75), lambda v: _horner(_series("two", 40), v - 2.0))
    return out.reshape(np.shape(x))


def np_harmonic(x, sc):
    x = np.asarray(x, dtype=np.float64)
    out = np.array(sc.psi(x + 1.0) + np.euler_gamma, dtype=np.float64, ndmin=1)
    xs = np.array(x, ndmin=1)
    _patch(out, xs, np.abs(xs) <= 0.25, lambda v: _horner(_series("harmonic", 34), v))
    return out.reshape(np.shape(x))


def np_erfc(x, sc):
    """erfc(x); for x ≥ 1 as erfcx(x)·e^{−x²} with x² = hi + lo exactly (Dekker's product): scipy's erfc
    rounds x² before the exponential, 120 ULP at x = 21 (e^{−x²} magnifies x²'s rounding by x²)."""
    x = np.asarray(x, dtype=np.float64)
    out = np.array(sc.erfc(x), dtype=np.float64, ndmin=1)
    xs = np.array(x, ndmin=1)

    def tail(v):
        t = 134217729.0 * v  # 2^27 + 1: v = vh + vl with 26-bit halves
        vh = t - (t - v)
        vl = v - vh
        hi = v * v
        lo = ((vh * vh - hi) + 2.0 * vh * vl) + vl * vl
        return np.exp(-hi) * (sc.erfcx(v) * (1.0 - lo))

    _patch(out, xs, (xs >= 1.0) & (xs < 27.3), tail)
    return out.reshape(np.shape(x))


def _int_order(f):
    """f(n, x) for an order n that arrives as a float (the code generator prints constants as floats)."""
    def g(n, x):
        return f(np.asarray(n).astype(np.int64), x)
    return g


class _Deferred:
    """``scipy.special.<name>``, imported at the first call."""

    __slots__ = ("name", "fn")

    def __init__(self, name: str):
        self.name, self.fn = name, None

    def __call__(self, *args, **kwargs):
        fn = self.fn
        if fn is None:
            import scipy.special

            fn = self.fn = getattr(scipy.special, self.name)
        return fn(*args, **kwargs)

    def __repr__(self) -> str:
        return f"scipy.special.{self.name} (imported at its first call)"


class _ScipySpecial:
    """``scipy.special`` for the numpy kernels, imported when one of its functions is first *called*, not when
    the kernels are bound: its import (array-API machinery, numpy.testing, numpy.f2py) is ~0.25 s CPU, which a
    process that builds numeric functions without evaluating them (the cold catalog: derive, lambdify) need not
    pay. Once imported, its functions themselves."""

    def __getattr__(self, name: str):
        if name.startswith("_"):
            raise AttributeError(name)
        module = sys.modules.get("scipy.special")
        return getattr(module, name) if module is not None else _Deferred(name)


#: scipy.special, deferred (:class:`_ScipySpecial`)
SCIPY = _ScipySpecial()


def numpy_kernels() -> dict:
    """name -> numpy kernel (scipy.special; mpmath elementwise without scipy)."""
    if importlib.util.find_spec("scipy") is None:  # pragma: no cover - scipy is a dependency; kept working without it, slowly
        return {name: np.vectorize(lambda *a, f=f: float(f(*a)), otypes=[float])
                for name, f in mpmath_kernels().items()}
    sc = SCIPY
    out = {"loggamma": functools.partial(np_loggamma, sc=sc), "gamma": sc.gamma, "digamma": sc.psi,
           "erf": sc.erf, "erfc": functools.partial(np_erfc, sc=sc), "besseli_0": sc.i0, "besseli_1": sc.i1, "besseli": sc.iv,
           "Ei": sc.expi, "expint_1": sc.exp1, "expint": _int_order(sc.expn),
           "harmonic": functools.partial(np_harmonic, sc=sc), "zeta": sc.zeta, "hurwitz_zeta": sc.zeta,
           "beta": sc.beta}
    for n in range(1, MAX_ORDER + 1):
        out[f"polygamma_{n}"] = functools.partial(sc.polygamma, n)
    # the overflow-free Bessel forms (functions/bessel.py), from the exponentially scaled I_ν
    def ive(nu, x):
        # orders 0 and 1 by cephes' i0e/i1e: scipy's ive is NaN beyond x ≈ 10⁶³
        nu = np.asarray(nu)
        if nu.ndim == 0 and nu in (0, 1):
            return (sc.i0e if nu == 0 else sc.i1e)(x)
        return np.where(nu == 0, sc.i0e(x), np.where(nu == 1, sc.i1e(x), sc.ive(nu, x)))

    out["log_besseli"] = lambda nu, x: np.log(ive(nu, x)) + np.abs(x)
    out["besseli_ratio"] = lambda nu, mu, x: ive(nu, x) / ive(mu, x)
    return out


# -- torch ---------------------------------------------------------------------------------------------------
def torch_kernels() -> dict:
    """name -> torch kernel, for the kernels of TORCH_NATIVE."""
    import torch

    return {"loggamma": torch.lgamma, "erf": torch.special.erf, "erfc": torch.special.erfc,
            "besseli_0": torch.special.i0, "besseli_1": torch.special.i1,
            "hurwitz_zeta": lambda s, a: torch.special.zeta(torch.as_tensor(s, dtype=torch.float64), a)}


# -- mpmath --------------------------------------------------------------------------------------------------
def mp_harmonic(x):
    """H_x = ψ(1 + x) + γ with the bits it cancels near x = 0 (mpmath.harmonic(1e-300) is −2.9e-34)."""
    x = mpmath.mpf(x)
    extra = max(0, -mpmath.mag(x)) if x != 0 else 0
    with mpmath.workprec(mpmath.mp.prec + extra + 20):
        return +(mpmath.digamma(1 + x) + mpmath.euler)


def mpmath_kernels() -> dict:
    out = {"loggamma": mpmath.loggamma, "gamma": mpmath.gamma, "digamma": mpmath.digamma, "erf": mpmath.erf,
           "erfc": mpmath.erfc, "besseli_0": lambda x: mpmath.besseli(0, x),
           "besseli_1": lambda x: mpmath.besseli(1, x), "besseli": mpmath.besseli, "Ei": mpmath.ei,
           "expint_1": mpmath.e1, "expint": lambda n, x: mpmath.expint(int(n), x), "harmonic": mp_harmonic,
           "zeta": mpmath.zeta, "hurwitz_zeta": mpmath.zeta, "beta": mpmath.beta}
    for n in range(1, MAX_ORDER + 1):
        out[f"polygamma_{n}"] = functools.partial(mpmath.psi, n)
    out["log_besseli"] = lambda nu, x: mpmath.log(mpmath.besseli(nu, x))
    out["besseli_ratio"] = lambda nu, mu, x: mpmath.besseli(nu, x) / mpmath.besseli(mu, x)
    return out


__all__ = ["kernel_call", "torch_bridged", "numpy_kernels", "torch_kernels", "mpmath_kernels", "TORCH_NATIVE",
           "MAX_ORDER"]
