r"""Expectations under densities with a nested exponential (Gumbel, logistic): the integrals SymPy's
integrator misses, closed by a substitution and Euler's integrals. Each rule is a general identity; nothing
here knows an entropy or a divergence.

* **Beta integral of the second kind** — ∫₀^∞ u^α (1 + u)^{−β} du = B(α + 1, β − α − 1).
* **Exponential substitution** — ∫_ℝ f dx with u = e^{kx + m} for an exponential nested in f (inside another
  exp, a log or a power): dx = du/(|k|u) carries ℝ onto (0, ∞), and every other e^{ax + b} becomes a power of
  u. (The dual of the substitution x = eᵗ of :func:`symce.engine.definition._log_substitution`.)
* **Moment generating function** — E[p(X) e^{cX + d}] = e^d · Σ p_n dⁿ/dsⁿ M(s) at s = c, M(s) = E[e^{sX}],
  for densities with a nested exponential: M closes by the substitution above where ∫ x p(x) dx does not
  (the cumulant trick behind :func:`symce.engine.definition._log_rule`, for e^{sX}). Euler's integrals
  converge exactly where the Γ's of their numerators have positive arguments: E[e^{cX}] is +∞ elsewhere
  (a ``Piecewise`` when the parameters' assumptions do not decide it).
"""

from __future__ import annotations

import sympy as sp
from sympy.core.cache import cacheit

MGF = ("moment generating function: E[Xⁿ e^{cX+d}] = e^d dⁿ/dsⁿ E[e^{sX}] at s = c; E[e^{sX}] by the "
       "substitution u = e^{kx+m} (dx = du/(|k|u)) and Euler's integrals")


def unfold(f):
    """exp(Σ cᵢ log gᵢ + Σ c log Γ + r) → Π gᵢ^{cᵢ} · Γ^c · e^r: a density given as exp(log-density) as a
    product of powers (valid since each gᵢ > 0 where its log is real)."""
    def split(e):
        out = sp.S.One
        for t in sp.Add.make_args(sp.expand(e.args[0])):
            c, k = t.as_independent(sp.log, sp.loggamma, as_Add=False)
            if isinstance(k, sp.log):
                out *= k.args[0] ** c
            elif isinstance(k, sp.loggamma):
                out *= sp.gamma(k.args[0]) ** c
            else:
                out *= sp.exp(t)
        return out
    return f.replace(lambda e: isinstance(e, sp.exp), split)


def beta_second_kind(f, u, lo, hi):
    """∫₀^∞ c·u^α (1 + u)^{−β} du = c·B(α + 1, β − α − 1), else None."""
    if not (lo == 0 and hi == sp.oo):
        return None
    const, g = sp.powsimp(unfold(f)).as_independent(u, as_Add=False)
    alpha = beta = sp.S.Zero
    for factor in sp.Mul.make_args(g):
        base, e = factor.as_base_exp()
        if u in e.free_symbols:
            return None
        if base == u:
            alpha += e
        elif sp.expand(base - 1 - u) == 0:
            beta -= e
        else:
            return None
    if beta == 0 or (alpha + 1).is_positive is False or (beta - alpha - 1).is_positive is False:
        return None
    return const * sp.gamma(alpha + 1) * sp.gamma(beta - alpha - 1) / sp.gamma(beta)


def _affine(e, x):
    """(k, m) with e = k·x + m, k ≠ 0, else None."""
    if x not in e.free_symbols or not e.is_polynomial(x) or sp.degree(e, x) != 1:
        return None
    poly = sp.Poly(e, x)
    return poly.coeff_monomial(x), poly.coeff_monomial(1)


@cacheit  # asked of one density by several rules (MGF, softplus, kept shapes) in turn
def nested_exponential(f, x):
    """(k, m) of an e^{kx + m} inside another function of f (exp, log, or the base of a power), else None."""
    for node in sp.preorder_traversal(f):
        if isinstance(node, (sp.exp, sp.log)) or (isinstance(node, sp.Pow) and x in node.base.free_symbols):
            inner = node.args[0] if not isinstance(node, sp.Pow) else node.base
            for a in inner.atoms(sp.exp):
                km = _affine(a.args[0], x)
                if km is not None and a is not node:
                    return km
    return None


def exp_substitution(f, x, lo, hi, integrate_positive):
    """∫_ℝ f dx by u = e^{kx + m} (the nested exponential of f); ``integrate_positive(g, u)`` integrates over
    (0, ∞). None when f has no nested exponential, the sign of k is unknown, or the result does not close."""
    if not (lo == -sp.oo and hi == sp.oo):
        return None
    km = nested_exponential(f, x)
    if km is None:
        return None
    k, m = km
    if not (k.is_positive or k.is_negative):
        return None
    u = sp.Dummy("u", positive=True)
    g = f.xreplace({x: (sp.log(u) - m) / k}) / (abs(k) * u)
    g = sp.powsimp(unfold(g), combine="exp")
    g = sp.powsimp(sp.expand_power_base(g, force=True))
    if x in g.free_symbols:
        return None
    value = integrate_positive(g, u)
    return None if value is None or value.has(sp.Integral) else value


def _mgf_shape(phi, x):
    """(polynomial coefficients [a₀, a₁, …], c, d) with φ = (Σ a_k x^k)·e^{cx + d}, φ not a constant, else None."""
    c, d, poly = sp.S.Zero, sp.S.Zero, []
    for factor in sp.Mul.make_args(phi):
        if isinstance(factor, sp.exp) and _affine(factor.args[0], x) is not None:
            kc, kd = _affine(factor.args[0], x)
            c, d = c + kc, d + kd
        else:
            poly.append(factor)
    rest = sp.Mul(*poly)
    if not rest.is_polynomial(x):
        return None
    coeffs = sp.Poly(rest, x).all_coeffs()[::-1] if x in rest.free_symbols else [rest]
    return (coeffs, c, d) if (len(coeffs) > 1 or c != 0) else None


def mgf_rule(phi, x, density, pieces, integrate_positive):
    """(E[φ(X)], rule) for φ = (polynomial in x)·e^{cx + d} under a density on ℝ with a nested exponential,
    else None."""
    if len(pieces) != 1 or pieces[0] != (-sp.oo, sp.oo) or nested_exponential(density, x) is None:
        return None
    shape = _mgf_shape(phi, x)
    if shape is None:
        return None
    coeffs, c, d = shape
    s, M = _mgf(density, x, integrate_positive)
    if M is None:
        return None
    # Euler's integrals converge exactly where the Γ's of their numerators have positive arguments; M is
    # analytic there, so its derivatives at s = c exist where M(c) does
    converges = sp.And(*[sp.StrictGreaterThan(f.base.args[0].xreplace({s: c}), 0) for f in map(_as_pow, sp.Mul.make_args(M))
                         if isinstance(f.base, sp.gamma) and f.exp.is_positive])
    value = sp.exp(d) * sp.Add(*[a * sp.diff(M, s, n).xreplace({s: c}) for n, a in enumerate(coeffs)])
    value = sp.simplify(sp.expand_func(value)) if len(coeffs) > 1 else sp.powsimp(sp.gammasimp(value), combine="exp")
    if converges == sp.true:
        return value, MGF
    if len(coeffs) > 1:
        return None  # xⁿe^{cx}: the sign of a divergent integral is not decided here
    if converges == sp.false:
        return sp.oo, MGF  # e^{cx + d} > 0
    return sp.Piecewise((value, converges), (sp.oo, True)), MGF


#: (s, M(s) = E[e^{sX}]) per (density, x): one density's statistics X and e^{cX} (the Gumbel's entropy, its
#: cross-entropy against another Gumbel) ask for the same M; cleared with the definition's memo
_MGF: dict = {}
_MGF_SIZE = 64


def clear_memo() -> None:
    _MGF.clear()


def _mgf(density, x, integrate_positive):
    key = (density, x)
    if key not in _MGF:
        if len(_MGF) >= _MGF_SIZE:
            _MGF.pop(next(iter(_MGF)))
        s = sp.Dummy("s", real=True)
        _MGF[key] = s, exp_substitution(sp.exp(s * x) * density, x, -sp.oo, sp.oo, integrate_positive)
    return _MGF[key]


def _as_pow(f):
    return f if isinstance(f, sp.Pow) else sp.Pow(f, 1, evaluate=False)
