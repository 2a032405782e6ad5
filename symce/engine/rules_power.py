r"""Expectations under densities on (0, 1) in a power of x (Kumaraswamy, generalised beta of the first kind):
the substitution u = x^c, then Euler's integral with logarithmic factors.

* **Power substitution** — when P's density on (0, 1) depends on x through x^c inside a sum (1 − x^c)
  with c > 0, then x = u^{1/c}, dx = (1/c) u^{1/c − 1} du carries (0, 1) onto itself and turns the density
  into an Euler kernel: a·b·x^{a−1}(1 − x^a)^{b−1} dx = b (1 − u)^{b−1} du; log x becomes (1/c) log u.
  (On (0, ∞) the stretched exponential e^{−βx^k} is closed by :mod:`symce.engine.rules_positive`.)
* **Euler's integral with logarithms** — differentiation under the integral sign in the exponents (also
  applied directly, without substitution, when the density is itself x^α(1 − x)^β, as a Beta's is;
  a density e^{βx} (continuous Bernoulli) gets E[Xᵏ] by differentiating (e^β − 1)/β and E[log X],
  E[log(1 − X)] by parts, in terms of the exponential integral Ei):

      ∫₀¹ u^α (1 − u)^β (log u)^n (log(1 − u))^m du = ∂ⁿ_α ∂ᵐ_β B(α + 1, β + 1),

  so E[log(1 − X^a)] under a Kumaraswamy is ψ(b) − ψ(b + 1) = −1/b, derived, not tabulated.

A term of the substituted integrand outside these forms (E[log(1 − X^{a₂})] under Kumaraswamy(a₁, b₁), an
infinite series in a₂/a₁) is kept as the defining integral in u — exact, and evaluable by quadrature —
instead of being handed to SymPy's integrator, which runs past the time limit on it.
"""

from __future__ import annotations

import sympy as sp

KEPT = "no closed form: kept as the defining integral over the support, after the substitution u = x^c"


def _power_product(f):
    """exp(Σ cᵢ log gᵢ + r) → Π gᵢ^{cᵢ} · e^r (the density as a product of powers); e^{k·log Γ(z)} = Γ(z)^k for
    an integer k (exp ∘ loggamma = Γ everywhere), so normalising constants stay ratios of Γ that
    ``gammasimp`` cancels against the Euler integral's."""
    def unfold(e):
        arg = e.args[0]
        out, rest = [], []
        for t in sp.Add.make_args(arg):
            c, k = t.as_independent(sp.log, sp.loggamma, as_Add=False)
            if isinstance(k, sp.log):
                out.append(sp.Pow(k.args[0], c))
            elif isinstance(k, sp.loggamma) and c.is_Integer:
                out.append(sp.Pow(sp.gamma(k.args[0]), c))
            else:
                rest.append(t)
        return sp.Mul(*out) * sp.exp(sp.Add(*rest))
    return f.replace(lambda e: isinstance(e, sp.exp), unfold)


def _exponent(f, x):
    """The c of x^c inside a sum (1 − x^c, β x^c + …) with c ≠ 1 free of x and positive, else None."""
    found = set()
    for add in f.atoms(sp.Add):
        for t in add.args:
            for p in sp.Mul.make_args(t):
                if isinstance(p, sp.Pow) and p.base == x and x not in p.exp.free_symbols and p.exp != 1:
                    found.add(p.exp)
    found = [c for c in found if c.is_positive]
    return found[0] if len(found) == 1 else None


def _kernel(g, u):
    """(const, α, β, [(log factor, power)]) with g = const · u^α (1 − u)^β · Π logs; None when a factor
    is outside this form."""
    const, alpha, beta, logs = sp.S.One, sp.S.Zero, sp.S.Zero, []
    for f in sp.Mul.make_args(g):
        if u not in f.free_symbols:
            const *= f
            continue
        base, e = f.as_base_exp()
        if isinstance(base, sp.log) and e.is_Integer and e > 0:
            arg = base.args[0]
            if arg == u or sp.expand(arg - (1 - u)) == 0:
                logs.append((arg, int(e)))
                continue
            return None
        if u in e.free_symbols:
            return None
        if base == u:
            alpha += e
        elif sp.expand(base - (1 - u)) == 0:
            beta += e
        elif e.is_Integer and base.is_polynomial(u):  # 1/(x − x²) from exp(−log x − log(1 − x)): factor it
            split = _monomials(base, u)
            if split is None:
                return None
            k, i, j = split
            const, alpha, beta = const * k**e, alpha + i * e, beta + j * e
        else:
            return None
    return const, alpha, beta, logs


def _monomials(p, u):
    """(k, i, j) with p = k·u^i·(1 − u)^j, or None."""
    k, factors = sp.factor_list(p, u)
    i = j = 0
    for f, m in factors:
        if f == u:
            i += m
        elif sp.expand(f - (u - 1)) == 0:
            j, k = j + m, k * (-1) ** m
        elif sp.expand(f - (1 - u)) == 0:
            j += m
        else:
            return None
    return k, i, j


def euler_with_logs(g, u, undecided: list | None = None):
    """∫₀¹ g du for g an Euler kernel times powers of log u, log(1 − u); None when not of that form.
    A kernel whose convergence (α > −1 and β > −1) the assumptions do not decide is appended to
    ``undecided`` (B(α + 1, β + 1) is then its analytic continuation, which the caller must check)."""
    total = sp.S.Zero
    for term in sp.Add.make_args(sp.expand(g)):
        k = _kernel(term, u)
        if k is None:
            return None
        const, alpha, beta, logs = k
        if undecided is not None and not ((alpha + 1).is_positive and (beta + 1).is_positive):
            undecided.append(term)
        s, t = sp.Dummy("s"), sp.Dummy("t")
        F = sp.gamma(alpha + s + 1) * sp.gamma(beta + t + 1) / sp.gamma(alpha + beta + s + t + 2)
        for arg, n in logs:
            F = sp.diff(F, s if arg == u else t, n)
        total += const * F.xreplace({s: 0, t: 0})
    return total


def power_substitution(P, phi, x, density, pieces, lebesgue: bool):
    """(E_P[φ(X)], rule) by u = x^c and Euler's integrals with logs; a kept integral in u when a term does
    not close; None when the density has no such power (the other rules then run)."""
    if not lebesgue or len(pieces) != 1 or not isinstance(x, sp.Symbol):
        return None
    lo, hi = pieces[0]
    if not (lo == 0 and hi == 1):
        return None
    f = _power_product(density)
    c = _exponent(f, x)
    if c is None:
        return _euler_direct(phi, f, x)
    u = sp.Dummy("u", positive=True)
    g = (phi * f).xreplace({x: u ** (1 / c)}) * u ** (1 / c - 1) / c
    g = sp.powsimp(sp.expand_log(sp.expand_power_base(g, force=True), force=True), combine="exp")
    g = sp.expand(g)
    if x in g.free_symbols:
        return None
    closed = [], []
    undecided: list = []
    for term in sp.Add.make_args(g):
        v = euler_with_logs(term, u, undecided)
        (closed[0] if v is not None else closed[1]).append(v if v is not None else term)
    value = sp.expand_func(sp.Add(*closed[0]))
    value = sp.gammasimp(value) if value.has(sp.gamma) else sp.expand(value)
    rule = (f"substitution u = x^c, c = {c} (x = u^(1/c), dx = (1/c)u^(1/c − 1) du), then Euler's integrals "
            "∫u^α(1 − u)^β (log u)^n (log(1 − u))^m du = ∂ⁿ_α ∂ᵐ_β B(α + 1, β + 1)")
    if closed[0] and not undecided:
        rule += "; " + CONVERGENT
    if closed[1]:
        value += sp.Integral(sp.Add(*closed[1]), (u, lo, hi))
        rule += "; " + KEPT
    return value, rule


#: every Euler kernel's exponents decided > −1: the integrals converge and the closed form is a theorem
#: (no numerical cross-check is needed)
CONVERGENT = "every kernel's exponents α, β > −1 (convergent)"


def _euler_direct(phi, f, x):
    """E[φ(X)] for a density that is itself an Euler kernel on (0, 1) (Beta): φ·p expanded into terms
    x^α (1 − x)^β (log x)^n (log(1 − x))^m, each closed by the derivatives of B; None unless every term
    closes (E[X], E[(X − m)²] under a Beta, which SymPy's integrator keeps busy past its time share)."""
    total, rules = sp.S.Zero, set()
    for term in sp.Add.make_args(sp.expand(phi * f)):
        v, rule = euler_with_logs(term, x), EULER
        if v is None:
            v, rule = exponential_with_log(term, x), EXP_LOG
        if v is None:
            return None
        total += v
        rules.add(rule)
    total = sp.expand_func(total)
    return (sp.gammasimp(total) if total.has(sp.gamma) else sp.expand(total)), "; ".join(sorted(rules))


EULER = "Euler's integral ∫₀¹ x^α(1 − x)^β (log x)^n (log(1 − x))^m dx = ∂ⁿ_α ∂ᵐ_β B(α + 1, β + 1)"
EXP_LOG = ("∫₀¹ xᵏ e^{βx} dx = dᵏ/dβᵏ (e^β − 1)/β; by parts (v = (e^{βx} − 1)/β vanishes at 0) "
           "∫₀¹ log x · e^{βx} dx = −(Ei(β) − log|β| − γ)/β, and x → 1 − x for log(1 − x)")


def exponential_with_log(g, u):
    """∫₀¹ g du for g = c·uᵏ·e^{βu}·L with L one of 1, log u, log(1 − u) and β ≠ 0 free of u (a density
    e^{βx} on (0, 1): the continuous Bernoulli, a truncated exponential); uᵏ by differentiating in β.
    None when g is not of that form."""
    const, beta, k, log = sp.S.One, sp.S.Zero, 0, None
    for f in sp.Mul.make_args(g):
        if u not in f.free_symbols:
            const *= f
            continue
        base, e = f.as_base_exp()
        if u in e.free_symbols and u not in base.free_symbols and e.is_polynomial(u) and sp.degree(e, u) == 1:
            p = sp.Poly(e, u)  # base^{a u + b} = e^{a log(base) u}·base^b
            beta += p.coeff_monomial(u) * sp.log(base) if base != sp.E else p.coeff_monomial(u)
            const *= base ** p.coeff_monomial(1)
        elif base == u and e.is_Integer and e > 0:
            k += int(e)
        elif isinstance(f, sp.log) and log is None and (f.args[0] == u or sp.expand(f.args[0] - (1 - u)) == 0):
            log = f.args[0]
        else:
            return None
    if beta == 0 or beta.is_zero:
        return None
    b = sp.Dummy("b", real=True)
    if log is None:
        F = (sp.exp(b) - 1) / b
    elif log == u:
        F = -(sp.Ei(b) - sp.log(sp.Abs(b)) - sp.EulerGamma) / b
    else:
        F = sp.exp(b) * (sp.Ei(-b) - sp.log(sp.Abs(b)) - sp.EulerGamma) / b
    return const * sp.diff(F, b, k).xreplace({b: beta})
