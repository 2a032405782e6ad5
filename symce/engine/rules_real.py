r"""Expectations on the real line (and on [c, ∞)) that SymPy's integrator misses or reaches only past the
time limit: the location–scale families with heavy tails (Student t, Cauchy, half-Cauchy) and power tails (Pareto);
the doubly exponential ones (Gumbel, logistic) are in :mod:`symce.engine.rules_exp`, re-exported here. Each rule is a general identity; nothing here knows an entropy or
a divergence.

* **Beta integral over the line** — for a quadratic q(x) = a(x − c)² + k with a, k > 0,

  .. math:: \int_{\mathbb R} \big(1 + (x-c)^2/d^2\big)^{p}\, dx = d\,\sqrt\pi\,\frac{\Gamma(-p-\frac12)}{\Gamma(-p)},
            \qquad d^2 = k/a,\ -p > \tfrac12,

  (t = (x − c)²/d², v = t/(1 + t) give Euler's B(½, −p − ½)); half of it on [c, ∞). It closes the
  Mellin-type moment E[q(X)^s] under a density that is a power of the same q (Student t, Cauchy).
* **Polynomial moments** under a power of a quadratic — x = c + d·u and ∫₀^∞ u^k (1 + u²)^p du =
  ½ B((k + 1)/2, −p − (k + 1)/2), +∞ where the top power diverges (Student t with ν ≤ 2, Cauchy).
* **Residues** — for a rational density p on ℝ and a quadratic g = a(x − r)(x − r̄) > 0 (Im r > 0),
  log g = log a + 2 Re log(x − r̄); p(z)·log(z − r̄) is analytic in the closed upper half-plane but for p's
  poles (the principal cut of log(z − r̄) lies on Im z = Im r̄ < 0) and O(log R/R²) on a large half-circle,
  so ∫_ℝ p log(x − r̄) dx = 2πi Σ_{Im z_j > 0} Res_{z_j} p · log(z_j − r̄). An integrand even in x on [0, ∞)
  is half its integral over ℝ (the half-Cauchy).
* **Power tail** — for a density c₀x^a on [c, ∞), c > 0 (Pareto): ∫_c^∞ x^{a+k} dx = −c^{a+k+1}/(a + k + 1)
  when a + k + 1 < 0, +∞ otherwise; a polynomial φ of degree n with a positive leading coefficient has
  E[φ] = +∞ exactly when a + n + 1 ≥ 0 (a ``Piecewise`` when the parameters' assumptions do not decide it).
"""

from __future__ import annotations

import sympy as sp
from sympy.core.cache import cacheit

from symce.engine.rules_exp import MGF, beta_second_kind, clear_memo as clear_mgf_memo, exp_substitution, mgf_rule, nested_exponential, unfold  # noqa: F401

BETA_LINE = "∫_ℝ (1 + (x − c)²/d²)^p dx = d·B(½, −p − ½) (Euler's Beta integral after t = (x − c)²/d²)"
QUADRATIC_MOMENT = ("polynomial moments under (1 + (x − c)²/d²)^p: x = c + d·u and ∫₀^∞ u^k (1 + u²)^p du = "
                    "½ B((k + 1)/2, −p − (k + 1)/2), +∞ where the top power diverges")
POWER_TAIL = ("power tail: ∫_c^∞ x^b dx = −c^{b+1}/(b + 1) for b < −1 and +∞ otherwise (c > 0), term by term "
              "for a polynomial statistic under a density c₀x^a on [c, ∞)")
RESIDUES = ("residue theorem: log g = log a + 2 Re log(x − r̄) for g = a(x − r)(x − r̄) > 0, Im r > 0; "
            "∫_ℝ p(x) log(x − r̄) dx = 2πi Σ_{Im z > 0} Res p(z) log(z − r̄) (p rational, closed in the upper half-plane)")
FOLD = "an integrand even in x: ∫₀^∞ = ½ ∫_ℝ"
SOFTPLUS_LOG = ("E[log g] = d/ds E[g(X)^s] at s = 0 for g = 1 + k·e^{ax+b}: u = e^{ax+b} turns g^s·p into "
                "c·u^α (1 + u)^{s−β}, Euler's Beta integral of the second kind")


def exact(rule: str) -> bool:
    """Is ``rule`` a theorem that holds at every parameter value (with its own +∞ cases), so that no numerical
    cross-check is needed? (A quadrature cannot confirm a divergence: it returns a large finite number.)
    E[(log u)ⁿ] through Euler's Beta integral over the line is one: the density is integrable, so the Beta
    integral of u^s·p converges on an open set of s around 0, where it is analytic."""
    return rule.startswith((RESIDUES, POWER_TAIL, MGF, QUADRATIC_MOMENT, SOFTPLUS_LOG)) or BETA_LINE in rule


# _quadratic and _quadratic_power: memoised in SymPy's cache, since the residue, Beta-line, moment and kept-shape
# rules parse the same density and statistic in turn (8 of 17 and 2 of 7 calls over the cold common catalog)
@cacheit
def _quadratic(base, x):
    """(c, w, k) with base = k·(1 + w·(x − c)²), k > 0 and w > 0 decided, else None."""
    if not (base.is_polynomial(x) and sp.degree(base, x) == 2):
        return None
    poly = sp.Poly(base, x)
    a, b, e = (poly.coeff_monomial(x**2), poly.coeff_monomial(x), poly.coeff_monomial(1))
    k = sp.factor(sp.cancel(e - b**2 / (4 * a)))
    if not (a.is_positive and k.is_positive):
        return None
    return sp.cancel(-b / (2 * a)), sp.cancel(a / k), k


@cacheit
def _quadratic_power(f, x):
    """(const, c, w, p) with f = const·(1 + w(x − c)²)^p (a product of powers of quadratics with the same c
    and w, each k_i(1 + w(x − c)²)), else None."""
    const, g = unfold(f).as_independent(x, as_Add=False)
    centre = width = None
    p = sp.S.Zero
    for factor in sp.Mul.make_args(g):
        base, e = factor.as_base_exp()
        if x in e.free_symbols:
            return None
        q = _quadratic(base, x)
        if q is None:
            return None
        c, w, k = q
        if centre is None:
            centre, width = c, w
        elif sp.cancel(c - centre) != 0 or sp.cancel(w - width) != 0:
            return None
        const *= k**e
        p += e
    return None if centre is None else (const, centre, width, p)


def _half(lo, hi, c):
    """1 for ℝ, ½ for [c, ∞), None otherwise."""
    if hi != sp.oo:
        return None
    if lo == -sp.oo:
        return sp.S.One
    return sp.S.Half if sp.cancel(lo - c) == 0 else None


def beta_line(f, x, lo, hi):
    """∫ f dx over ℝ (or [c, ∞) from the centre c) for f = const·Π q_i^{p_i}, all q_i = k_i(1 + w(x − c)²) with
    the same c and w; None when f is not of that form or the integral diverges."""
    parsed = _quadratic_power(f, x)
    if parsed is None:
        return None
    const, centre, width, p = parsed
    half = _half(lo, hi, centre)
    q = -p - sp.S.Half
    if half is None or q.is_positive is False:
        return None
    return half * const / sp.sqrt(width) * sp.sqrt(sp.pi) * sp.gamma(q) / sp.gamma(q + sp.S.Half)


def quadratic_moment_rule(phi, x, density, pieces):
    """(E[φ(X)], rule) for a polynomial φ under a density const·(1 + w(x − c)²)^p on ℝ or [c, ∞) (Student t,
    Cauchy, half-Cauchy): with x = c + d·u, d = w^{−1/2}, ∫_0^∞ u^k (1 + u²)^p du = ½ B((k+1)/2, −p − (k+1)/2),
    odd k vanishing on ℝ; +∞ where the top degree n has −p − (n+1)/2 ≤ 0 (a ``Piecewise`` when undecided)."""
    if len(pieces) != 1 or not phi.is_polynomial(x) or x not in phi.free_symbols:
        return None
    parsed = _quadratic_power(density, x)
    if parsed is None:
        return None
    const, c, w, p = parsed
    half = _half(*pieces[0], c)
    if half is None:
        return None
    d = 1 / sp.sqrt(w)
    t = sp.Dummy("t", real=True)
    poly = sp.Poly(sp.expand(phi.xreplace({x: c + t})), t)
    n = poly.degree()
    total = sp.S.Zero
    for (k,), a in poly.terms():
        if half == 1 and k % 2:
            continue  # odd about the centre
        total += a * 2 * half * d ** (k + 1) * sp.gamma(sp.Rational(k + 1, 2)) * sp.gamma(-p - sp.Rational(k + 1, 2)) \
            / sp.gamma(-p) / 2
    value = sp.simplify(sp.gammasimp(const * total))
    converges = sp.StrictGreaterThan(-p - sp.Rational(n + 1, 2), 0)
    if converges == sp.true:
        return value, QUADRATIC_MOMENT
    if (n % 2 and half == 1) or not poly.LC().is_positive:
        return None  # not absolutely integrable, or a divergence of unknown sign
    if converges == sp.false:
        return sp.oo, QUADRATIC_MOMENT
    syms = converges.free_symbols
    if len(syms) == 1:  # (ν + 1)/2 − 3/2 > 0 as ν > 2
        sol = sp.solve_univariate_inequality(converges, next(iter(syms)), relational=True)
        converges = sol if sol.free_symbols == syms else converges
    return sp.Piecewise((value, converges), (sp.oo, True)), QUADRATIC_MOMENT


def residue_rule(phi, x, density, pieces):
    """(E[log g(X)], rule) for a rational density on ℝ (or one even in x on [0, ∞)) and g a positive quadratic
    with complex roots; None otherwise."""
    if len(pieces) != 1 or not isinstance(phi, sp.log):
        return None
    lo, hi = pieces[0]
    z = sp.Dummy("z")
    g = phi.args[0].xreplace({x: z})
    # the support and g first: the density's cancel is the expensive part (log X on (0, 1), the logistic's
    # log(1 + e^{−x}) need not reach it)
    if not ((lo == 0 or lo == -sp.oo) and hi == sp.oo and g.is_polynomial(z) and sp.degree(g, z) == 2):
        return None
    p = sp.cancel(unfold(density).xreplace({x: z}))
    rule = RESIDUES
    if lo == 0:
        if sp.cancel(p.xreplace({z: -z}) - p) != 0 or sp.cancel(g.xreplace({z: -z}) - g) != 0:
            return None
        p, rule = p / 2, rule + "; " + FOLD
    num, den = sp.fraction(p)
    if not (num.is_polynomial(z) and den.is_polynomial(z)):
        return None
    if sp.degree(den, z) < sp.degree(num, z) + 2:
        return None  # the half-circle does not vanish
    q = _quadratic(g, z)
    if q is None:
        return None
    c, w, k = q
    # g = k(1 + w(z − c)²) = a(z − r)(z − r̄), a = k·w, r̄ = c − i/√w (lower half-plane)
    rbar = c - sp.I / sp.sqrt(w)
    value = sp.log(k * w)
    for pole, mult in sp.roots(sp.Poly(den, z)).items():
        im = sp.simplify(sp.im(pole))
        if im.is_positive is None or mult != 1:
            return None
        if im.is_positive:
            # 2 Re(W log v) with W = 2πi Res, v = pole − r̄ = v₁ + i v₂: W₁ log(v₁² + v₂²) − 2 W₂ atan2(v₂, v₁)
            W = sp.simplify(2 * sp.pi * sp.I * (num / sp.diff(den, z)).xreplace({z: pole}))
            v = pole - rbar
            v1, v2 = sp.simplify(sp.re(v)), sp.simplify(sp.im(v))
            W1, W2 = sp.simplify(sp.re(W)), sp.simplify(sp.im(W))
            value += W1 * sp.log(sp.expand(v1**2 + v2**2)) - (2 * W2 * sp.atan2(v2, v1) if W2 != 0 else 0)
    if value.has(sp.re, sp.im, sp.arg, sp.I):
        return None
    return sp.expand_log(value, force=False), rule


def power_tail_rule(phi, x, density, pieces):
    """(E[φ(X)], rule) for a polynomial φ under a density c₀x^a on [c, ∞), c > 0; None otherwise."""
    if len(pieces) != 1 or pieces[0][1] != sp.oo or not phi.is_polynomial(x) or x not in phi.free_symbols:
        return None
    c = pieces[0][0]
    if not c.is_positive:
        return None
    const, g = sp.powsimp(unfold(density)).as_independent(x, as_Add=False)
    base, a = g.as_base_exp()
    if base != x or x in a.free_symbols or not const.is_positive:
        return None
    poly = sp.Poly(phi, x)
    n = poly.degree()
    lead = poly.LC()
    value = sp.Add(*[coef * const * (-c ** (a + k + 1) / (a + k + 1)) for (k,), coef in poly.terms()])
    value = sp.simplify(value)
    converges = sp.StrictLessThan(a + n + 1, 0)
    if converges == sp.true:
        return value, POWER_TAIL
    if not lead.is_positive:
        return None  # +∞ or −∞ where it diverges: not decided here
    if converges == sp.false:
        return sp.oo, POWER_TAIL
    syms = converges.free_symbols
    if len(syms) == 1:  # 1 − α < 0 as α > 1
        sol = sp.solve_univariate_inequality(converges, next(iter(syms)), relational=True)
        converges = sol if sol.free_symbols == syms else converges
    return sp.Piecewise((value, converges), (sp.oo, True)), POWER_TAIL


def softplus_slope(g, x):
    """a with g = 1 + k·e^{ax + b}, k > 0 and a ≠ 0 (a softplus argument), else None."""
    if not isinstance(g, sp.Add):
        return None
    const, rest = g.as_independent(x, as_Add=True)
    k, e = rest.as_independent(x, as_Add=False)
    if const != 1 or not isinstance(e, sp.exp) or not k.is_positive:
        return None
    arg = e.args[0]
    if not arg.is_polynomial(x) or sp.degree(arg, x) != 1:
        return None
    a = sp.Poly(arg, x).coeff_monomial(x)
    return a if a != 0 else None


def softplus_log_rule(phi, x, density, pieces):
    """(E[log(1 + k·e^{aX+b})], rule) under a density on ℝ with a nested exponential, when the substitution
    u = e^{ax+b} makes (1 + k·e^{ax+b})^s·p an Euler integral of the second kind (the logistic's own
    E[log(1 + e^{−Z})]); None otherwise. E[g^s] = M(s) is analytic around s = 0, where it is 1."""
    if len(pieces) != 1 or pieces[0] != (-sp.oo, sp.oo) or not isinstance(phi, sp.log):
        return None
    g = phi.args[0]
    if softplus_slope(g, x) is None or nested_exponential(density, x) is None:
        return None
    s = sp.Dummy("s", real=True)
    M = exp_substitution(g**s * density, x, -sp.oo, sp.oo, lambda h, u: beta_second_kind(h, u, sp.S.Zero, sp.oo))
    if M is None:
        return None
    value = sp.simplify(sp.expand_func(sp.diff(M, s).xreplace({s: 0})))
    if value.has(sp.nan, sp.zoo, sp.oo, -sp.oo) or x in value.free_symbols:
        return None
    return value, SOFTPLUS_LOG
