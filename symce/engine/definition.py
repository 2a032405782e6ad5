r"""E_P[φ(X)] from the definition: ∫ φ p dν over the support, with the rules that let common densities close.

Tried in order, each under the engine's time limit:

1. **Finite support** — Σ over the points, φ(x)·P({x}).
2. **Logarithm of a positive affine statistic** — E[log u(X)] = d/ds E[u(X)^s] at s = 0 (u(x) = x − c, c − x
   or x, positive on the support). The Mellin-type moment E[u^s] is an integral SymPy closes for the
   usual densities (Gamma, Beta, Weibull, log-normal …) where the integral of log u · p does not.
3. **Kinks** — a density or statistic with ``|a·x + b|`` is integrated piece by piece between its kinks; when
   the order of symbolic kinks is unknown, the result is a ``Piecewise`` over the orders.
4. **Integration / summation over each piece of the support** (Lebesgue / counting measure).

An integral or sum that has no closed form is kept as the defining ``Integral`` / ``Sum`` with a note
(E[log X!] under a Poisson is the textbook case): the result is still exact, and lambdify/mpmath evaluate
it. Errors of the integrator are wrapped with the step that raised them.
"""

from __future__ import annotations

import contextvars
import itertools

import sympy as sp

from symce.core.family import Family, Measure
from symce.core.limits import get_time_limit, time_limit
from symce.engine.crosscheck import disagreement
from symce.engine.rules_counts import long_finite_sum
from symce.engine.rules_power import CONVERGENT as EULER_CONVERGENT, power_substitution
from symce.engine.rules_vector import at_point  # a vector variable is substituted entrywise
from symce.engine.rules_positive import stretched_exponential_integral
from symce.engine import rules_real  # the real line: Beta integral over ℝ, residues, MGF, u = e^{kx+m}, power tails
from symce.engine.rules_exp_poly import EXP_POLY, exp_poly_integral  # kinks' pieces xⁿe^{ax+b}: exact
from symce.engine.rules_kept import kept_integral  # shapes with no closed form: kept before the integrator's share
from symce.errors import DerivationError, DerivationTimeoutError, SymceError

KEPT_SUM = "no closed form: kept as the defining sum over the support"
KEPT_INTEGRAL = "no closed form: kept as the defining integral over the support"
#: SymPy's integrator gets this share of the time limit per attempt; past it the integral is kept (exact)
#: appended to KEPT_* when the integral was kept because SymPy's integrator ran out of its share of the time
#: limit (not because it found no closed form): the same cell can then be a closed form on a faster machine
KEPT_AT_LIMIT = ("; SymPy's integrator stopped at its share of the time limit, so a closed form may exist "
                 "(symce.set_time_limit raises the limit)")
#: set by _sympy_integrate when it stopped at its time limit; read (and reset) by _plain
_INTEGRATOR_STOPPED = contextvars.ContextVar("symce_integrator_stopped", default=False)

_SYMPY_SHARE = 0.25
#: E_P[φ] per (P, φ, x): cross-entropy, KL and entropy of a pair ask for the same moments
_MEMO: dict = {}
_MEMO_SIZE = 512


def clear_memo() -> None:
    """Forget the memoised E_P[φ] and moment generating functions (symce.clear_cache calls it)."""
    _MEMO.clear()
    rules_real.clear_mgf_memo()


def by_definition(P: Family, phi, x) -> tuple[sp.Expr, str]:
    """(E_P[φ(X)], the rule used), from the definition (memoised per (P, φ))."""
    key = (P, phi, x)
    if key not in _MEMO:
        if len(_MEMO) >= _MEMO_SIZE:
            _MEMO.pop(next(iter(_MEMO)))
        _MEMO[key] = _by_definition(P, phi, x)
    return _MEMO[key]


def _by_definition(P: Family, phi, x) -> tuple[sp.Expr, str]:
    pts = P.support_points()
    if pts is not None:
        return sp.Add(*[P.mass(pt) * at_point(phi, x, pt) for pt in pts]), "definition: sum over the support (counting measure)"
    if not isinstance(x, sp.Symbol):
        raise DerivationError(f"no rule gives E[{phi}] under {P!r}, and the support is not one-dimensional")
    pieces = _pieces(P.support, P)
    density = P.pdf(x)
    what = f"E[{phi}] under {P!r}"
    try:
        with time_limit(f"integration of {what} over the support"):
            got = (power_substitution(P, phi, x, density, pieces, P.measure is Measure.LEBESGUE)  # rules_power
                   or _real_line_rules(P, phi, x, density, pieces)  # rules_real
                   or _log_rule(P, phi, x, density, pieces) or _kink_rule(P, phi, x, density, pieces))
            value, rule = got if got is not None else _plain(P, phi, x, density, pieces)
            if value.has(sp.Integral, sp.Sum) or rules_real.exact(rule) or any(t in rule for t in (EXP_POLY, POWER_TAIL, EULER_CONVERGENT)):
                return value, rule
            # SymPy's integrator drops convergence conditions (conds="none"): check the closed form first
            evidence = disagreement(value, phi * density, x, pieces, P.measure, P.conditions())
            if evidence is None:
                return value, rule
            kind = sp.Sum if P.measure is Measure.COUNTING else sp.Integral
            kept = sp.Add(*[kind(phi * density, (x, lo, hi)) for lo, hi in pieces])
            return kept, (f"the integrator's closed form failed a numerical cross-check ({evidence}); "
                          + (KEPT_SUM if kind is sp.Sum else KEPT_INTEGRAL))
    except SymceError:
        raise
    except (RecursionError, MemoryError, TimeoutError):
        raise
    except Exception as e:  # noqa: BLE001 - SymPy's integrator raises many types; say which step failed
        raise DerivationError(f"{what}: the integration over the support failed inside SymPy "
                              f"({type(e).__name__}: {e})") from e


def _pieces(S, P) -> list[tuple]:
    out = []
    for piece in (S.args if isinstance(S, sp.Union) else (S,)):
        if isinstance(piece, sp.Interval):
            out.append((piece.start, piece.end))
        elif piece == sp.Reals or piece == sp.Integers:
            out.append((-sp.oo, sp.oo))
        elif piece == sp.Naturals0:
            out.append((sp.S.Zero, sp.oo))
        elif piece == sp.Naturals:
            out.append((sp.S.One, sp.oo))
        elif isinstance(piece, sp.Range) and piece.step == 1:
            out.append((piece.start, piece.stop - 1 if piece.stop is not sp.oo else sp.oo))
        else:
            raise DerivationError(f"no rule gives expectations under {P!r}: its support {S} is not an interval, "
                                  "a union of intervals or a range of integers")
    return out


def _integrate(P, f, x, lo, hi):
    return integrate(f, x, lo, hi, P.measure)


def integrate(f, x, lo, hi, measure: Measure):
    """∫_lo^hi f dν (a sum for counting measure) with the engine's integration rules before SymPy's."""
    if measure is Measure.COUNTING:
        kept = long_finite_sum(f, x, lo, hi)  # many explicit points: kept, not expanded (rules_counts)
        return kept if kept is not None else sp.summation(f, (x, lo, hi))
    euler = _euler_integral(f, x, lo, hi)
    if euler is None:  # x^a e^{−β x^k} on (0, ∞), symbolic k (Weibull, Rayleigh, inverse gamma)
        euler = stretched_exponential_integral(f, x, lo, hi)
    if euler is None:  # (1 + (x − c)²/d²)^p over ℝ (Student t, Cauchy); u^α (1 + u)^{−β} on (0, ∞)
        euler = rules_real.beta_line(f, x, lo, hi)
        euler = rules_real.beta_second_kind(f, x, lo, hi) if euler is None else euler
    if euler is not None:
        return euler
    logs = _log_substitution(f, x, lo, hi)
    return logs if logs is not None else _sympy_integrate(f, x, lo, hi)


def _sympy_integrate(f, x, lo, hi, conds="none"):
    """SymPy's integrator under its own share of the time limit: past it the integral stays unevaluated —
    kept, exact — instead of the whole derivation failing (a Student t against another, the logistic KL:
    integrals with no closed form that keep the integrator busy for minutes)."""
    what = "SymPy's integrator"
    try:
        with time_limit(what, _SYMPY_SHARE * get_time_limit()):
            return sp.integrate(f, (x, lo, hi), conds=conds)
    except DerivationTimeoutError as e:
        if e.what != what:
            raise  # the enclosing step's limit: it stays in charge
        _INTEGRATOR_STOPPED.set(True)
        return sp.Integral(f, (x, lo, hi))


def _real_line_rules(P, phi, x, density, pieces):
    """The rules of :mod:`symce.engine.rules_real`: E[log g] by residues under a rational density, polynomial
    moments under a power tail, and E[p(X) e^{cX}] from the moment generating function under a density with
    a nested exponential."""
    if P.measure is not Measure.LEBESGUE:
        return None
    got = rules_real.residue_rule(phi, x, density, pieces)
    if got is None:
        got = rules_real.power_tail_rule(phi, x, density, pieces)
    if got is None:
        got = rules_real.quadratic_moment_rule(phi, x, density, pieces)
    if got is None:
        got = rules_real.mgf_rule(phi, x, density, pieces,
                                  lambda g, u: integrate(g, u, sp.S.Zero, sp.oo, Measure.LEBESGUE))
    if got is None:  # E[log(1 + k·e^{aX+b})] through E[g^s] (the logistic's entropy)
        got = rules_real.softplus_log_rule(phi, x, density, pieces)
    if got is None:  # last: it only names shapes the rules above do not close
        got = kept_integral(phi, x, density, pieces)
    return got


def _log_substitution(f, x, lo, hi):
    """∫₀^∞ f(x) dx = ∫_ℝ f(eᵗ) eᵗ dt for integrands in log x (log-normal): the substituted integrand is a
    Gaussian-type integral SymPy closes in a second, where the original runs past the time limit. ``None``
    when it does not apply or does not close."""
    if not (lo == 0 and hi == sp.oo and any(x in a.free_symbols for a in f.atoms(sp.log))):
        return None
    t = sp.Dummy("t", real=True)
    g = f.xreplace({x: sp.exp(t)}) * sp.exp(t)
    # (eᵗ)^s = e^{st} for real t
    g = g.replace(lambda e: isinstance(e, sp.Pow) and isinstance(e.base, sp.exp),
                  lambda e: sp.exp(e.base.args[0] * e.exp))
    g = sp.powsimp(g, combine="exp")
    value = _sympy_integrate(g, t, -sp.oo, sp.oo)
    return value if _closed(value) else None


def _euler_integral(f, x, lo, hi):
    """Euler's integrals, which SymPy's integrator reaches only through Meijer G functions (tens of seconds
    with symbolic exponents): ∫₀¹ x^a (1 − x)^b dx = B(a + 1, b + 1) and ∫₀^∞ x^a e^{−βx} dx = Γ(a + 1)/β^{a+1}
    (a + 1 > 0, b + 1 > 0, β > 0). ``None`` when f is not of either form."""
    if not ((lo == 0 and hi == 1) or (lo == 0 and hi == sp.oo)):
        return None
    const, g = sp.powsimp(sp.expand_power_base(f, force=False)).as_independent(x, as_Add=False)
    a = b = beta = sp.S.Zero
    for factor in sp.Mul.make_args(g):
        base, e = factor.as_base_exp()
        if x in e.free_symbols and base != sp.E:
            return None
        if base == x:
            a += e
        elif sp.expand(base - (1 - x)) == 0:
            b += e
        elif base == sp.E or isinstance(factor, sp.exp):
            arg = factor.args[0] if isinstance(factor, sp.exp) else e
            poly = sp.Poly(arg, x) if arg.is_polynomial(x) else None
            if poly is None or poly.degree() != 1:
                return None
            beta -= poly.coeff_monomial(x)
            const *= sp.exp(poly.coeff_monomial(1))
        else:
            return None
    if hi == 1 and beta == 0 and (a + 1).is_positive is not False and (b + 1).is_positive is not False:
        return const * sp.beta(a + 1, b + 1)
    if hi == sp.oo and b == 0 and beta.is_positive and (a + 1).is_positive is not False:
        return const * sp.gamma(a + 1) / beta ** (a + 1)
    return None


def _closed(v) -> bool:
    return not v.has(sp.Integral, sp.Sum) and not v.has(sp.Piecewise) and v.is_finite is not False


def _pick_branches(value, conditions):
    """Pick the branch of each Piecewise that the family's conditions select: a geometric sum's
    ``(…, |p − 1| < 1)`` is the closed form under p < 1."""
    if not conditions or not value.has(sp.Piecewise):
        return value
    assumption = sp.And(*conditions)

    def pick(pw):
        for e, c in pw.args:
            try:
                decided = sp.refine(c, assumption)
            except Exception:  # noqa: BLE001 - refine gives up on some conditions: keep the Piecewise
                return pw
            if decided == sp.true:
                return e
            if decided != sp.false:
                return pw
        return pw
    return value.replace(lambda e: isinstance(e, sp.Piecewise), pick)


def _plain(P, phi, x, density, pieces) -> tuple[sp.Expr, str]:
    token = _INTEGRATOR_STOPPED.set(False)
    try:
        parts = [_integrate(P, phi * density, x, lo, hi) for lo, hi in pieces]
        stopped = _INTEGRATOR_STOPPED.get()
    finally:
        _INTEGRATOR_STOPPED.reset(token)
    value = _pick_branches(sp.Add(*parts), P.conditions())
    if value.has(sp.Integral, sp.Sum):
        # keep the definition itself, exactly, rather than a half-evaluated mixture
        kind = sp.Sum if P.measure is Measure.COUNTING else sp.Integral
        value = sp.Add(*[kind(phi * density, (x, lo, hi)) for lo, hi in pieces])
        return value, (KEPT_SUM if P.measure is Measure.COUNTING else KEPT_INTEGRAL) + (KEPT_AT_LIMIT if stopped else "")
    rule = "definition: sum over the support (counting measure)" if P.measure is Measure.COUNTING \
        else "definition: integral over the support"
    return value, rule


def _log_rule(P, phi, x, density, pieces):
    """E[f(log u(X))] for a polynomial f and u affine in x, positive on the support:
    E[(log u)^n] = dⁿ/dsⁿ E[u(X)^s] at s = 0. (log(u^c) counts as c·log u, since u > 0 there.)"""
    if P.measure is not Measure.LEBESGUE or len(pieces) != 1:
        return None
    logs = [a for a in phi.atoms(sp.log) if x in a.free_symbols]
    if len(logs) != 1:
        return None
    L = logs[0]
    g = L.args[0]
    u, c = (g.base, g.exp) if isinstance(g, sp.Pow) and x not in g.exp.free_symbols else (g, sp.S.One)
    if not (u.is_polynomial(x) and sp.degree(u, x) in (1, 2)):
        return None
    lo, hi = pieces[0]
    quadratic = sp.degree(u, x) == 2
    if quadratic:  # k(1 + w(x − c)²) with k, w > 0: positive everywhere
        if rules_real._quadratic(u, x) is None:
            return None
    else:
        a, b = sp.Poly(u, x).coeff_monomial(x), sp.Poly(u, x).coeff_monomial(1)
        ends = [sp.simplify(a * e + b) for e in (lo, hi) if e.is_finite is not False]
        if not all(e.is_nonnegative for e in ends):
            return None
    t = sp.Dummy("t")
    f = sp.expand(phi.xreplace({L: c * t}))
    if x in f.free_symbols or not f.is_polynomial(t):
        return None
    s = sp.Dummy("s")
    # a quadratic u: only the Beta integral over the line (a density in another quadratic gives a ₂F₁
    # the integrator does not close either, after its whole share of the time limit)
    tail = None if quadratic else _power_tail(u**s * rules_real.unfold(density), x, lo, hi, s)
    M = (rules_real.beta_line(u**s * density, x, lo, hi) if quadratic
         else tail if tail is not None else _integrate(P, u**s * rules_real.unfold(density), x, lo, hi))
    if M is None or not _closed(M):
        return None
    if not quadratic:  # the integrator's form may divide by s (erf terms that cancel): not evaluable at 0;
        M = sp.simplify(M)  # Euler's Beta integral is a ratio of Γ's, finite at s = 0 (a Student t's: 0.15 s for nothing)
    poly = sp.Poly(f, t)
    value = sp.Add(*[coef * _at_zero(sp.diff(M, s, n), s) for (n,), coef in poly.terms()])
    value = sp.simplify(value)
    if not _closed(value):
        return None
    rule = "E[(log u)ⁿ] = dⁿ/dsⁿ E[u(X)^s] at s = 0 (u affine and positive on the support)"
    if tail is not None:
        rule += "; " + POWER_TAIL
    return value, (rule.replace("affine", "a positive quadratic") + "; " + rules_real.BETA_LINE) if quadratic else rule


#: a theorem (exact): no numerical cross-check of its results is needed
POWER_TAIL = ("E[u^s] = ∫_c^∞ k·x^a dx = −k·c^{a+1}/(a + 1), c > 0, convergent for s near 0 "
              "(a + 1 < 0 at s = 0), so its derivatives at s = 0 hold")


def _power_tail(f, x, lo, hi, s):
    """∫_c^∞ k·x^a dx = −k c^{a+1}/(a + 1) for f = k·x^a (k, a free of x; c > 0) when a + 1 < 0 at s = 0
    (a Pareto density times u^s): then the integral converges for every s near 0 and the derivatives in
    s at 0 are those of the closed form. ``None`` otherwise (the integrator runs as before)."""
    if hi != sp.oo or not lo.is_positive:
        return None
    k, a = sp.S.One, sp.S.Zero
    for factor in sp.Mul.make_args(f):
        if x not in factor.free_symbols:
            k *= factor
        elif factor == x:
            a += 1
        elif isinstance(factor, sp.Pow) and factor.base == x and x not in factor.exp.free_symbols:
            a += factor.exp
        else:
            return None
    if (a + 1).xreplace({s: 0}).is_negative is not True:
        return None
    return -k * lo ** (a + 1) / (a + 1)


def _at_zero(expr, s):
    v = expr.xreplace({s: 0})
    return sp.limit(expr, s, 0) if v.has(sp.nan, sp.zoo) else v


def _kinks(expr, x) -> list:
    out = []
    # sorted: atoms() is a set, iterated in the order of string hashes (PYTHONHASHSEED), and the order of the
    # kinks fixes the order of the Piecewise's cases — the same result in every process
    for a in sorted(expr.atoms(sp.Abs), key=sp.default_sort_key):
        arg = a.args[0]
        if x in arg.free_symbols and arg.is_polynomial(x) and sp.degree(arg, x) == 1:
            slope = sp.Poly(arg, x).coeff_monomial(x)
            if not (slope.is_positive or slope.is_negative):
                return []
            c = sp.solve(arg, x)[0]
            if c not in out:
                out.append(c)
    return out


def _kink_rule(P, phi, x, density, pieces):
    """Integrate between the kinks of ``|a·x + b|`` terms; a Piecewise over the orders of symbolic kinks."""
    f = phi * density
    kinks = _kinks(f, x)
    if not kinks or P.measure is not Measure.LEBESGUE or len(pieces) != 1 or len(kinks) > 3:
        return None
    lo, hi = pieces[0]
    if not (lo == -sp.oo and hi == sp.oo):
        return None  # kinks inside a bounded support need their position against the ends: not attempted
    branches = []
    converges = sp.true
    by_parts = True  # every piece closed by rules_exp_poly (exact: no cross-check needed)
    for order in itertools.permutations(kinks):
        cond = sp.And(*[sp.Le(order[i], order[i + 1]) for i in range(len(order) - 1)])
        if cond == sp.false:
            continue
        cuts = [-sp.oo, *order, sp.oo]
        total = sp.S.Zero
        for left, right in zip(cuts, cuts[1:]):
            # on (left, right) every kink at or left of ``left`` is passed: |a(x − c)| = ±a(x − c)
            passed = set(order[:cuts.index(left)]) if left != -sp.oo else set()
            g = f.replace(lambda e: isinstance(e, sp.Abs) and x in e.free_symbols,
                          lambda e: _resolve(e, x, passed))
            # the end pieces run to ±∞: keep SymPy's convergence condition (e^{x/b₁ − x/b₂} on (−∞, μ)
            # converges only for b₁ < b₂) where it is a plain relation between the parameters
            infinite = left == -sp.oo or right == sp.oo
            part = exp_poly_integral(g, x, left, right)
            if part is None:
                by_parts = False
                part = _sympy_integrate(g, x, left, right, conds="separate" if infinite else "none")
            if isinstance(part, tuple):
                part, cond_part = part
                if _plain_relation(cond_part):
                    converges = sp.And(converges, cond_part)
            if part == sp.oo and f.is_nonnegative:
                return sp.oo, "integral over the support, split at the kinks of |a·x + b|: a piece diverges (a nonnegative integrand)"
            if not _closed(part):
                return None
            total += part
        branches.append((sp.simplify(total), cond))
        if cond == sp.true:
            break
    if not branches:
        return None
    value = branches[0][0] if len(branches) == 1 else sp.Piecewise(*branches[:-1], (branches[-1][0], True))
    rule = "integral over the support, split at the kinks of |a·x + b| (cases on their order)"
    if by_parts:
        rule += "; " + EXP_POLY
    if converges != sp.true:
        if not f.is_nonnegative:
            return None  # a divergent part of unknown sign: no value
        value = sp.Piecewise((value, converges), (sp.oo, True))
        rule += "; +∞ where an end piece diverges (a nonnegative integrand)"
    return value, rule


def _plain_relation(cond) -> bool:
    """A condition that is a conjunction of relations between parameters (no arg(·), no |·| of complex
    expressions: SymPy's generic conditions for Gaussian integrals, which say nothing here)."""
    if cond in (sp.true, sp.false):
        return cond == sp.true
    rels = sp.And.make_args(cond)
    return all(isinstance(r, (sp.Rel, sp.Ne)) and not r.has(sp.arg, sp.Abs, sp.periodic_argument, sp.polar_lift)
               for r in rels)


def _resolve(e, x, passed):
    arg = e.args[0]
    slope = sp.Poly(arg, x).coeff_monomial(x)
    c = sp.solve(arg, x)[0]
    right_of_kink = c in passed
    sign = 1 if (right_of_kink == bool(slope.is_positive)) else -1
    return sign * arg
