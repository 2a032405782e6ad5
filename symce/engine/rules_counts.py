r"""Engine rules for distributions on the integers (counting measure): Poisson, Binomial, Geometric,
negative binomial and the users' own pmfs on ``Range``/``Naturals0``.

* :func:`range_condition` — supp P ⊆ supp Q for sets of consecutive integers with symbolic ends:
  {a, …, b} ⊆ {c, …, d} ⇔ c ≤ a ∧ b ≤ d (P's support is not empty). Binomial(7, p) against Binomial(n, q)
  is finite exactly when 7 ≤ n; a Poisson against any Binomial is +∞ (ℕ₀ is not inside {0, …, n}).
* :func:`sum_series` — the numeric value of a kept sum over {a, a + 1, …} (lambdify of E[log X!]), robust to
  terms that peak late (Poisson(λ) with large λ), where ``mpmath.nsum`` alone returns ≈ 0.
* :func:`long_finite_sum` — a sum of a log-factorial over many explicit points (Binomial(50, p)) is kept, not
  expanded; over ℕ₀ or up to a symbolic n it is kept without asking SymPy's summation.
"""

from __future__ import annotations

import mpmath
import sympy as sp

_INTEGER_SETS = (sp.Range, sp.FiniteSet, type(sp.Naturals), type(sp.Naturals0), type(sp.Integers))


def _ends(S, inner: bool):
    """(first, last) point of a set of consecutive integers, ±oo for an unbounded end; None otherwise. A
    finite set of explicit integers on the inner side (P's support) need not be consecutive: it lies in
    {c, …, d} exactly when its least and greatest points do."""
    if S == sp.Naturals0:
        return sp.S.Zero, sp.oo
    if S == sp.Naturals:
        return sp.S.One, sp.oo
    if S == sp.Integers:
        return -sp.oo, sp.oo
    if isinstance(S, sp.Range) and S.step == 1:
        # Range(a, b) holds a, …, b − 1 (SymPy keeps a symbolic Range as given)
        return S.start, (S.stop - 1 if S.stop != sp.oo else sp.oo)
    if isinstance(S, sp.FiniteSet) and S.args and all(e.is_Integer for e in S.args):
        lo, hi = min(S.args), max(S.args)
        if inner or len(S.args) == hi - lo + 1:
            return lo, hi
    return None


def range_condition(SP, SQ):
    """The condition under which the integers SP lie inside the consecutive integers SQ (``sp.true`` /
    ``sp.false`` when decided), or ``None`` when SP or SQ is not such a set."""
    if not (isinstance(SP, _INTEGER_SETS) and isinstance(SQ, _INTEGER_SETS)):
        return None
    ends_p, ends_q = _ends(SP, inner=True), _ends(SQ, inner=False)
    if ends_p is None or ends_q is None:
        return None
    (a, b), (c, d) = ends_p, ends_q
    conds = []
    if c != -sp.oo:
        conds.append(sp.Le(c, a) if a != -sp.oo else sp.false)
    if d != sp.oo:
        conds.append(sp.Le(b, d) if b != sp.oo else sp.false)
    return sp.And(*conds)


def sum_series(f, a, b, max_terms: int = 100_000):
    """Σ_{k=a}^{b} f(k) at mpmath's working precision, for the kept sums of count families (E[log X!] under
    a Poisson). ``mpmath.nsum`` alone extrapolates from the first terms and misses a late peak: under
    Poisson(150) the terms are below 10⁻⁶⁰ at k = 0…10 and it returns ≈ 0 instead of 605.5. So the terms
    are added one by one until, past the largest term, they fall below 2^−(prec+10) of the sum with the last
    32 ratios of successive terms below 1 (a geometric tail |t_N|·ρ/(1 − ρ), ρ halfway between their largest
    and 1, is then negligible). A tail that decays slower than geometrically (ratios → 1, power-law pmfs)
    is handed to ``mpmath.nsum`` from where the direct sum stopped, whose Richardson extrapolation suits it."""
    a = int(a)
    if b != mpmath.inf and int(b) - a <= max_terms:
        return mpmath.fsum(f(k) for k in range(a, int(b) + 1))
    eps = mpmath.mpf(2) ** -(mpmath.mp.prec + 10)
    total, prev, peak, ratios = mpmath.mpf(0), None, mpmath.mpf(0), []
    for k in range(a, a + max_terms):
        t = f(k)
        total += t
        if prev:
            ratios = (ratios + [abs(t / prev)])[-32:]
        prev, peak = t, max(peak, abs(t))
        if not (peak > 0 and abs(t) < peak and len(ratios) == 32):
            continue
        r = max(ratios)
        if r < 1 and abs(t) <= eps * max(1, abs(total)):
            rho = (r + 1) / 2
            if abs(t) * rho / (1 - rho) <= 2**10 * eps * max(1, abs(total)):
                return total
        if (k - a) % 1000 == 999 and r > 1 - mpmath.mpf(1) / 1000:
            return total + mpmath.nsum(f, [k + 1, b])  # sub-geometric tail: Richardson extrapolation
    return total + mpmath.nsum(f, [a + max_terms, b])


#: an expectation over at most this many explicit points is written out term by term (exact, and short
#: enough to read); over more it is kept as the finite Sum — expanding E[log X!] under Binomial(50, p) made
#: a polynomial of degree 50 in p with 50 log k! kernels, 55 s in the canonical form for nothing readable
EXPANDED_POINTS = 12


def long_finite_sum(f, x, lo, hi):
    """``Sum(f, (x, lo, hi))`` unevaluated when f holds a log-factorial of x (log x!, log Γ(x + r), log C(n, x):
    no closed form) and lo is explicit and either hi is explicit with more than EXPANDED_POINTS points
    (SymPy would only expand it term by term) or hi is ∞ or symbolic (SymPy's summation tries Gosper's
    algorithm and hypergeometric forms and returns the Sum unevaluated: 0.3 s over the Poisson, binomial
    and negative binomial entropies of the cold common catalog, for the same kept sum); ``None`` otherwise,
    so that SymPy's summation runs (geometric and polynomial sums close)."""
    if not getattr(lo, "is_Integer", False):
        return None
    if not getattr(hi, "is_Integer", False):
        return sp.Sum(f, (x, lo, hi)) if (hi is sp.oo or not hi.is_number) and _bare_log_factorial(f, x) else None
    if hi - lo + 1 <= EXPANDED_POINTS or not _log_factorial(f, x):
        return None
    return sp.Sum(f, (x, lo, hi))


def _bare_log_factorial(f, x) -> bool:
    """A log-factorial of x outside every exponential: a statistic's log x! times a pmf (E[log X!]), not a pmf
    written as exp(x log λ − λ − log Γ(x + 1)), whose sum (its normalisation) SymPy may close."""
    stack = [f]
    while stack:
        e = stack.pop()
        if isinstance(e, sp.exp) or not e.args:
            continue
        if x in e.free_symbols and (isinstance(e, sp.loggamma) or (
                isinstance(e, sp.log) and e.args[0].has(sp.gamma, sp.factorial, sp.binomial))):
            return True
        stack.extend(e.args)
    return False


def _log_factorial(f, x) -> bool:
    if any(x in a.free_symbols for a in f.atoms(sp.loggamma)):
        return True
    return any(x in a.free_symbols and a.args[0].has(sp.gamma, sp.factorial, sp.binomial) for a in f.atoms(sp.log))
