r"""Expectations on the positive half-line that SymPy's integrator reaches slowly, wrongly or not at all.

**Stretched-exponential (generalised gamma) integral** — for real a, k ≠ 0 and β > 0,

.. math:: \int_0^\infty x^{a} e^{-\beta x^{k}}\, dx = \frac{\Gamma\big((a + 1)/k\big)}{|k|\, \beta^{(a+1)/k}},
          \qquad (a + 1)/k > 0 \quad (+\infty \text{ otherwise}),

by the substitution u = β x^k. Densities of the form c₀ x^a e^{−βx^k} are Weibull with a symbolic
concentration, Rayleigh and half-normal (k = 2), inverse gamma (k = −1), Gamma, Chi2 and exponential
(k = 1). Three uses:

* :func:`power_moment` (a moment rule, before the definition): E[X^c] — E[X^{k₂}] under a Weibull of
  concentration k₁ (the term of a KL between two Weibulls), E[1/X] under a Gamma — with +∞ where the
  moment diverges and a ``Piecewise`` where the shapes decide it (E[X] under InverseGamma(α, β) is
  β/(α − 1) for α > 1, +∞ otherwise);
* E[(log X)ⁿ] = dⁿ/dsⁿ E[X^s] at s = 0, from the same integral with a = a₀ + s (Weibull and Rayleigh
  entropies, E[log² X] in a KL against a log-normal);
* :func:`stretched_exponential_integral` (an integration rule of :func:`symce.engine.definition.integrate`,
  for the Mellin moments of the definition's rules).

**Log-quadratic densities** c₀ x^a e^{−β log² x} (the log-normal): E[X^c] by t = log x, a Gaussian
integral, finite for every c.

These are theorems for every parameter value, so their results need no numerical cross-check. Nothing in
this module knows an entropy or a divergence.
"""

from __future__ import annotations

import sympy as sp


POWER_MOMENT = ("power moment: ∫₀^∞ x^a e^{−βx^k} dx = Γ((a + 1)/k) / (|k| β^{(a+1)/k}) for (a + 1)/k > 0, "
                "and +∞ otherwise (a positive integrand)")


def _log_quadratic_moment(f, x):
    """∫₀^∞ c x^a e^{−β log² x + r} dx = c e^r √(π/β) e^{(a+1)²/(4β)} (t = log x: a Gaussian integral in t,
    finite for every a when β > 0) — E[X^c] under a log-normal; ``None`` when f is not of that form."""
    split = _split(f, x)
    if split is None:
        return None
    const, a, exponent = split
    beta, rest = sp.S.Zero, sp.S.Zero
    for term in sp.Add.make_args(exponent):
        coeff, power = term.as_independent(x, as_Add=False)
        if power == sp.log(x) ** 2:
            beta -= coeff
        elif x in term.free_symbols:
            return None
        else:
            rest += term
    if not (beta.is_positive and const.is_positive):
        return None
    return _tidy(const * sp.sqrt(sp.pi / beta)) * sp.exp(sp.expand(rest + (a + 1) ** 2 / (4 * beta)))


LOG_QUADRATIC = "moment of a log-quadratic density: ∫₀^∞ x^a e^{−β log² x} dx = √(π/β) e^{(a+1)²/(4β)} (t = log x)"


def power_moment(P, phi, x):
    """(E_P[φ(X)], rule) for P on (0, ∞) with a density c₀ x^{a} e^{−βx^k} (c₀ > 0) or c₀ x^a e^{−β log² x}, and φ
    a sum of powers Σ cᵢ x^{eᵢ} ((X − m)², X^{k₂}, 1/X) or a polynomial in log x; ``None`` when that is not
    the case. E[X^e] is +∞ where (a + e + 1)/k ≤ 0 (E[1/X] under an exponential, E[X] under an inverse
    gamma with α ≤ 1): a ``Piecewise`` over the parameters when their assumptions do not decide it. The
    theorem holds for every parameter value, so no numerical cross-check is needed."""
    if not (isinstance(x, sp.Symbol) and P.support == sp.Interval.open(0, sp.oo) and P.support_points() is None):
        return None
    powers = _powers(phi, x)
    if powers is None:
        return _log_moment(P, phi, x)
    density = P.pdf(x)
    moments, rules = [], []
    for c, e in powers:
        got = (sp.S.One, None) if e == 0 else _monomial_moment(x**e * density, x)
        if got is None:
            return None
        moments.append((c, e, got[0]))
        rules += [got[1]] if got[1] and got[1] not in rules else []
    value = _combine(moments)
    return None if value is None else (value, "; ".join(rules))


def _combine(moments):
    """Σ cᵢ E[X^{eᵢ}] where some moments may be +∞ or a Piecewise with a +∞ branch. Adding those would give
    ∞ − ∞ for E[(X − m)²] = E[X²] − 2m E[X] + m²; for a polynomial the top power decides instead: on
    X > 0, X^j ≤ 1 + X^n for 0 ≤ j ≤ n, so every lower moment is finite where E[X^n] is, and
    E[poly(X)] = sign(c_n)·∞ where it is not. ``None`` when that does not settle it."""
    def finite(m):
        return m is not sp.oo and not m.has(sp.Piecewise)
    terms = [(c, e, m) for c, e, m in moments if e != 0]
    if all(finite(m) for _, _, m in moments) or len(terms) == 1:
        return sp.Add(*[c * m for c, _, m in moments])
    if not all(e.is_Integer and e > 0 for _, e, _ in terms):
        return None
    c_top, _, m_top = max(terms, key=lambda t: t[1])
    sign = 1 if c_top.is_positive else (-1 if c_top.is_negative else None)
    if sign is None:
        return None
    if m_top is sp.oo:
        return sign * sp.oo
    closed = sp.Add(*[c * (m.args[0][0] if isinstance(m, sp.Piecewise) else m) for c, _, m in moments])
    if not isinstance(m_top, sp.Piecewise):
        return None if any(not finite(m) for _, _, m in moments) else closed
    return sp.Piecewise((closed, m_top.args[0][1]), (sign * sp.oo, True))


def _powers(phi, x):
    """[(cᵢ, eᵢ)] with φ = Σ cᵢ x^{eᵢ} (cᵢ, eᵢ free of x), else ``None``."""
    out = []
    for term in sp.Add.make_args(sp.expand(phi) if phi.is_polynomial(x) else phi):
        c, rest = term.as_independent(x, as_Add=False)
        if rest == 1:
            out.append((c, sp.S.Zero))
        elif rest == x:
            out.append((c, sp.S.One))
        elif isinstance(rest, sp.Pow) and rest.base == x and x not in rest.exp.free_symbols:
            out.append((c, rest.exp))
        else:
            return None
    return out


def _monomial_moment(f, x):
    """∫₀^∞ f dx for f = x^e times the density, by the two integrals of this module."""
    parts = _parts(f, x)
    if parts is None:
        gaussian = _log_quadratic_moment(f, x)
        return None if gaussian is None else (gaussian, LOG_QUADRATIC)
    const, a, beta, k = parts
    if not (const.is_positive and beta.is_positive) or not (k.is_positive or k.is_negative):
        return None
    order = (a + 1) / k
    if order.is_positive is False:
        return sp.oo, POWER_MOMENT
    value = _tidy(const * sp.gamma(order) / (abs(k) * beta**order))
    if order.is_positive:
        return value, POWER_MOMENT
    # (a + 1)/k > 0 ⇔ a + 1 > 0 for k > 0, a + 1 < 0 for k < 0
    cond = _plain_condition(sp.StrictGreaterThan(a + 1, 0) if k.is_positive else sp.StrictLessThan(a + 1, 0))
    return sp.Piecewise((value, cond), (sp.oo, True)), POWER_MOMENT


def _plain_condition(rel):
    """1 − α < 0 as α > 1 where it is linear in one symbol; otherwise as it is."""
    syms = rel.free_symbols
    if len(syms) != 1:
        return rel
    s, = syms
    try:
        solved = sp.solve_univariate_inequality(rel, s, relational=True)
    except Exception:  # noqa: BLE001 - SymPy cannot solve it: the relation itself is just as exact
        return rel
    parts = [c for c in sp.And.make_args(solved) if not (c.has(sp.oo) or c.has(-sp.oo))]
    return sp.And(*parts) if parts else rel


LOG_MOMENT = ("E[(log X)ⁿ] = dⁿ/dsⁿ E[X^s] at s = 0, E[X^s] = ∫₀^∞ x^s p(x) dx = Γ((a + s + 1)/k) / (|k| β^{(a+s+1)/k}) "
              "(p = c x^a e^{−βx^k}; analytic near s = 0, where it is the normalisation)")


def _log_moment(P, phi, x):
    """E[f(log X)] for a polynomial f under c₀ x^a e^{−βx^k}, from the Mellin moment — exact, where the
    definition's Mellin rule hands the same integral to SymPy and checks the answer numerically."""
    L = sp.log(x)
    t, s = sp.Dummy("t"), sp.Dummy("s")
    f = phi.xreplace({L: t})
    if x in f.free_symbols or not f.has(t) or not f.is_polynomial(t):
        return None
    parts = _parts(x**s * P.pdf(x), x)
    if parts is None:
        return None
    const, a, beta, k = parts
    if not (beta.is_positive and (k.is_positive or k.is_negative)):
        return None
    order = (a + 1) / k
    M = const * sp.gamma(order) / (abs(k) * beta**order)
    value = sp.Add(*[c * sp.diff(M, s, n).xreplace({s: 0}) for (n,), c in sp.Poly(sp.expand(f), t).terms()])
    return sp.expand(sp.expand_log(value, force=False)), LOG_MOMENT


def stretched_exponential_integral(f, x, lo, hi):
    """∫₀^∞ f dx for f = c·x^a·exp(−β·x^k + d) (c, a, β, k, d free of x), or ``None`` when f is not of that
    form or the convergence conditions are decided false."""
    if not (lo == 0 and hi == sp.oo):
        return None
    parts = _parts(f, x)
    if parts is None:
        return None
    const, a, beta, k = parts
    if not beta.is_positive or k.is_zero is not False or k.is_extended_real is False:
        return None
    order = (a + 1) / k
    if order.is_positive is False:
        return None  # divergent at 0 or at ∞: leave it to the integrator, which keeps the Integral
    if k.is_positive:
        scale = k
    elif k.is_negative:
        scale = -k
    else:
        return None  # the sign of k decides |k|: not guessed
    return _tidy(const * sp.gamma(order) / (scale * beta**order))


def _parts(f, x):
    """(c, a, β, k) with f = c·x^a·e^{−β x^k} (all free of x), else ``None``."""
    split = _split(f, x)
    if split is None:
        return None
    const, a, exponent = split
    found = _single_power_term(exponent, x)
    if found is None:
        return None
    beta, k, rest = found
    return _tidy(const * sp.exp(rest)), a, beta, k


def _split(f, x):
    """(c, a, e) with f = c·x^a·exp(e), c and a free of x and e without c·log x terms, else ``None``."""
    const, g = sp.powsimp(sp.expand_power_base(f, force=False)).as_independent(x, as_Add=False)
    a = sp.S.Zero
    exponent = sp.S.Zero
    for factor in sp.Mul.make_args(g):
        base, e = factor.as_base_exp()
        if isinstance(factor, sp.exp) or base == sp.E:
            exponent += factor.args[0] if isinstance(factor, sp.exp) else e
        elif base == x and x not in e.free_symbols:
            a += e
        else:
            return None
    # a density given as exp(log-density) keeps c·log x inside the exponential when c is symbolic
    # (Chi2's (k/2 − 1)·log x): x^c, since x > 0 on the range of integration
    exponent, logs = _power_of_x(sp.expand(exponent), x)
    return const, a + logs, exponent


def _tidy(value):
    """exp(c·log b) → b^c and exp(±log Γ(z)) → Γ(z)^{±1} (what exp(log-density) leaves in the constant), then
    Γ(z + 1)/Γ(z) = z: Chi2's E[X] is k, not 2^{k/2} e^{−(k/2) log 2 − log Γ(k/2)} Γ(k/2 + 1)."""
    def split(e):
        out = sp.S.One
        for term in sp.Add.make_args(sp.expand(e.args[0])):
            coeff, rest = term.as_independent(sp.log, sp.loggamma, as_Add=False)
            if isinstance(rest, sp.log) and coeff.is_real:
                out *= rest.args[0] ** coeff
            elif isinstance(rest, sp.loggamma) and coeff in (1, -1):
                out *= sp.gamma(rest.args[0]) ** coeff
            else:
                out *= sp.exp(term)
        return out
    value = value.replace(lambda e: isinstance(e, sp.exp), split)
    value = sp.gammasimp(value) if value.has(sp.gamma) else value
    return sp.powsimp(value, combine="exp")  # λ·λ^{−k−1} = λ^{−k}


def _power_of_x(exponent, x):
    """(exponent without its c·log x terms, the sum of the c's)."""
    keep, c = [], sp.S.Zero
    for term in sp.Add.make_args(exponent):
        coeff, rest = term.as_independent(x, as_Add=False)
        if rest == sp.log(x):
            c += coeff
        else:
            keep.append(term)
    return sp.Add(*keep), c


def _single_power_term(exponent, x):
    """(β, k, rest) with exponent = −β·x^k + rest (β, k, rest free of x), else ``None``."""
    rest = sp.S.Zero
    found = None
    for term in sp.Add.make_args(exponent):
        if x not in term.free_symbols:
            rest += term
            continue
        if found is not None:
            return None  # two terms in x (e^{−x − x²}): no single substitution closes it
        coeff, power = term.as_independent(x, as_Add=False)
        if power == x:
            k = sp.S.One
        elif isinstance(power, sp.Pow) and power.base == x and x not in power.exp.free_symbols:
            k = power.exp
        else:
            return None
        found = (-coeff, k)
    if found is None:
        return None
    return found[0], found[1], rest
