r"""Special functions in the mpmath-interval ground truth (:mod:`.truth_compile`): log Γ, Γ, ψ, ψ⁽ⁿ⁾, B,
erf, erfc, I_ν, Ei, E₁, E_n, H_x and ζ — the kernels of :mod:`symce.numeric.special`.

mpmath has no interval kernels for them, so an enclosure is built from point values: each function is
monotone on the pieces of its domain listed in :data:`_SHAPES` (log Γ and Γ fall to their minimum at
x₀ = 1.4616…, I₀ to 1 at 0), so its range over an interval [a, b] lies between its values at the ends
(and the minimum where the interval holds it). A point value is mpmath's at two working precisions,
prec + 24 and prec + 56 bits, widened by 4× their difference plus 2^−(prec+16) of its size: mpmath is
accurate to its working precision in relative terms except next to a zero of the function (ψ at its
root x₀ gives a relative error of 2⁻²² at 64 bits, H_x at x = 10⁻³⁰⁰ none), where the two precisions
disagree and the enclosure widens until the truth's precision loop raises the precision. This is an
error estimate, not Arb's rigorous bound (:mod:`.truth_flint` evaluates the same functions in balls and
is tried first where python-flint is installed); outside the pieces (log Γ of a negative interval, ζ(s)
for s ≤ 1) and above :data:`MAX_PREC` bits the value is an unresolved NaN.
"""

from __future__ import annotations

import mpmath
from mpmath import libmp as L

from symce.numeric import special
from symce.numeric.truth_intervals import _CEIL, _FLOOR

_NAN = (L.fnan, L.fnan)
#: the minimum of Γ and log Γ on (0, ∞) (the root of ψ)
_X0 = "1.461632144968362341262659542325721325"


def _shape(name: str, n: int | None = None):
    """(monotonicity, domain): "inc"/"dec" on the domain, "min" (decreasing then increasing, minimum at a
    known point) — per argument for the two-argument kernels."""
    if name in ("loggamma", "gamma"):
        return "min", (0, None)
    if name in ("digamma", "harmonic"):
        return "inc", (0 if name == "digamma" else -1, None)
    if name.startswith("polygamma_"):
        return ("dec" if int(name.split("_")[1]) % 2 else "inc"), (0, None)
    if name == "erf":
        return "inc", (None, None)
    if name == "erfc":
        return "dec", (None, None)
    if name == "besseli_0":
        return "min", (None, None)
    if name == "besseli_1":
        return "inc", (None, None)
    if name in ("besseli",):
        return "inc", (0, None)
    if name in ("expint_1", "expint", "hurwitz_zeta", "beta"):
        return "dec", (0, None)
    if name == "zeta":
        return "dec", (1, None)
    if name == "Ei":
        return "Ei", (None, None)
    return None


#: above this working precision the point values are not attempted (the point is reported unresolved):
#: mpmath's Γ and log Γ need Bernoulli numbers of huge index there, minutes a point (Γ(1e300)·e^{−1e300}
#: of a Gumbel cross-entropy asks for ~10⁴ bits)
MAX_PREC = 4096


def _point(f, consts, xs, prec):
    """An enclosure (lo, hi) of f(*consts, *xs) at the exact mpf tuples xs, from two working precisions."""
    if prec > MAX_PREC:
        raise ValueError(f"special function above {MAX_PREC} bits")
    vals = []
    for wp in (prec + 24, prec + 56):
        with mpmath.workprec(wp):
            v = f(*consts, *[mpmath.mpf(x) for x in xs])
            if isinstance(v, mpmath.mpc):
                if v.imag != 0:
                    raise ValueError("complex value")
                v = v.real
            vals.append(mpmath.mpf(v))
    with mpmath.workprec(2 * prec + 64):
        v1, v2 = vals
        if not (mpmath.isfinite(v1) and mpmath.isfinite(v2)):
            if v1 == v2:
                return v2._mpf_, v2._mpf_
            raise ValueError("not finite")
        err = 4 * abs(v2 - v1) + abs(v2) * mpmath.ldexp(1, -(prec + 16))
        lo, hi = v2 - err, v2 + err
    return L.mpf_pos(lo._mpf_, prec, _FLOOR), L.mpf_pos(hi._mpf_, prec, _CEIL)


def _below(x, bound) -> bool:
    return bound is not None and not L.mpf_gt(x, L.from_int(bound))


def compile_special(e, compile_arg):
    """A closure env -> interval for a special-function node (None: not one of the kernels). compile_arg
    compiles an argument (an expression) into its own closure."""
    got = special.kernel_call(e)
    if got is None:
        return None
    name, args = got
    kernel = special.mpmath_kernels()[name]
    consts = []
    if name in ("besseli", "expint", "hurwitz_zeta"):  # the order (exponent) is a fixed number
        if not args[0].is_number:
            return None
        consts = [int(args[0])] if name == "expint" else [mpmath.mpf(str(args[0].evalf(40)))]
        args = args[1:]
    shape = _shape(name)
    if shape is None:
        return None
    kind, (low, _) = shape
    fs = [compile_arg(a) for a in args]
    x0 = mpmath.mpf(_X0) if name in ("loggamma", "gamma") else mpmath.mpf(0)

    def enclose(env):
        prec = env[2]
        ivs = [f(env) for f in fs]
        if any(iv[0] == L.fnan or iv[1] == L.fnan for iv in ivs):
            return _NAN
        if any(_below(iv[0], low) for iv in ivs):
            return _NAN  # outside the piece where the kernel is real and monotone
        if len(ivs) == 2:  # B(a, b): decreasing in each argument
            lo = _point(kernel, consts, [ivs[0][1], ivs[1][1]], prec)[0]
            hi = _point(kernel, consts, [ivs[0][0], ivs[1][0]], prec)[1]
            return lo, hi
        a, b = ivs[0]
        if kind == "Ei" and not (L.mpf_gt(a, L.fzero) or L.mpf_lt(b, L.fzero)):
            return _NAN  # Ei is −∞ at 0
        pa, pb = _point(kernel, consts, [a], prec), _point(kernel, consts, [b], prec)
        if kind == "inc" or (kind == "Ei" and L.mpf_gt(a, L.fzero)):
            return pa[0], pb[1]
        if kind == "dec" or kind == "Ei":
            return pb[0], pa[1]
        # "min": the minimum at x0 where [a, b] holds it, else the smaller end
        x0m = x0._mpf_
        if not L.mpf_gt(a, x0m) and not L.mpf_lt(b, x0m):
            lo_end = _point(kernel, consts, [x0m], prec)[0]
        elif L.mpf_gt(a, x0m):
            lo_end = pa[0]
        else:
            lo_end = pb[0]
        hi_end = pa[1] if L.mpf_gt(pa[1], pb[1]) else pb[1]
        return lo_end, hi_end

    return enclose


__all__ = ["compile_special"]
