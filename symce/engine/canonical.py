"""Targeted canonicalisation of derived results into textbook-like forms.

Blanket ``simplify`` is slow (seconds to minutes on these results) and unpredictable, so it is kept out
of the hot path. Instead: distribute products, group terms by their transcendental kernel (a log, a
``Sum``, an exp), factor each kernel's coefficient, bring the rational part over a common denominator,
pair ``c·log a − c·log b`` into ``c·log(a/b)`` when a and b are positive, and merge sums over the same
range. Each candidate is kept only when it does not increase ``count_ops``.
"""

from __future__ import annotations

import sympy as sp
from sympy.core.cache import cacheit

from symce.core.special import recognise_sigmoid


# memoised in SymPy's cache (cleared with it, as symce.clear_cache does): a gradient's entries recur — the
# gradient of KL(P ‖ Q) w.r.t. Q's parameters is often entry for entry that of H(P, Q) — and over the cold
# common-families catalog 75 of 238 calls repeated an earlier one, 0.40 of 1.73 s CPU
@cacheit
def canonical(expr):
    """A textbook-like form of ``expr`` (a scalar expression; matrices are done entrywise)."""
    if isinstance(expr, sp.MatrixBase):
        return expr.applyfunc(canonical)
    if not isinstance(expr, sp.Expr) or expr.is_number and not expr.free_symbols:
        return expr
    e = _distribute(recognise_sigmoid(expr))
    rational, kernels = _group(e)
    const, rest = rational.as_coeff_Add()
    parts = [const, _smallest(rest, sp.together(rest), sp.factor_terms(rest))] if rest != 0 else [const]
    logs: list[tuple[sp.Expr, sp.Expr]] = []
    sums: dict = {}
    for kern, coeff in kernels.items():
        coeff = _smallest(coeff, _factor(coeff)) if coeff.free_symbols else coeff
        if isinstance(kern, sp.log):
            logs.append((coeff, kern))
        elif isinstance(kern, sp.Sum) and len(kern.limits) == 1:
            sums.setdefault(kern.limits, []).append(coeff * kern.function)
        else:
            parts.append(coeff * kern)
    parts.extend(_pair_logs(logs))
    for limits, summands in sums.items():
        inner = canonical(sp.Add(*summands)) if len(summands) > 1 else summands[0]
        parts.append(sp.Sum(inner, *limits) if len(summands) > 1 else _pull_constant(inner, limits))
    return sp.Add(*parts)


def _distribute(e):
    # products over sums, not powers of sums: (μ1 − μ2)² stays a square, as in the textbook form
    return sp.expand_mul(e)


def _group(e):
    rational = []
    kernels: dict = {}
    for term in sp.Add.make_args(e):
        coeff, kern = [], []
        for f in sp.Mul.make_args(term):
            (kern if _is_kernel(f) else coeff).append(f)
        if not kern:
            rational.append(term)
            continue
        k = sp.Mul(*kern)
        kernels[k] = kernels.get(k, sp.S.Zero) + sp.Mul(*coeff)
    return sp.Add(*rational), kernels


def _is_kernel(f) -> bool:
    # group by logs and sums only: σ(t), e^z stay in the coefficients so that
    # −σ(t)·log q + (σ(t) − 1)·log(1 − q) reads like the textbook
    base = f.base if isinstance(f, sp.Pow) and f.exp.is_Integer else f
    return isinstance(base, (sp.log, sp.Sum))


def _pair_logs(logs):
    """c·log a − c·log b → c·log(a/b) for positive a, b (the textbook log(σ₂/σ₁))."""
    out, used = [], set()
    # each coefficient expanded once, when a pair first needs it (expand is additive: expand(cᵢ + cⱼ) = 0 iff
    # expand(cᵢ) + expand(cⱼ) = 0), not once per pair; never for a lone log (a focal loss's (1 − p)^γ at
    # γ = 10⁹ must not be expanded)
    cache: dict = {}

    def expanded(i):
        if i not in cache:
            cache[i] = sp.expand(logs[i][0])
        return cache[i]
    for i, (ci, li) in enumerate(logs):
        if i in used:
            continue
        for j in range(i + 1, len(logs)):
            cj, lj = logs[j]
            if j in used or (ci + cj != 0 and expanded(i) + expanded(j) != 0):
                continue
            a, b = li.args[0], lj.args[0]
            if a.is_positive and b.is_positive:
                if ci.could_extract_minus_sign():
                    ci, a, b = cj, b, a
                out.append(ci * sp.log(a / b))
                used |= {i, j}
                break
        else:
            out.append(ci * li)
            used.add(i)
    return out


def _pull_constant(inner, limits):
    (i, lo, hi), = limits
    c, rest = inner.as_independent(i, as_Add=False)
    return c * sp.Sum(rest, (i, lo, hi))


# memoised in SymPy's cache: the same kernel coefficient recurs across results (the multinomial's
# 3·p₁²p₂ + … in H, CE and KL against each partner: 53 of 111 factor calls over the cold common catalog
# repeated an earlier one), and a candidate's operation count across _smallest calls (328 of 606)
_factor = cacheit(sp.factor)
_count_ops = cacheit(sp.count_ops)


def _smallest(*candidates):
    """The candidate with the fewest operations, the shortest printed form among those tied (the first of equals).
    Printing is the expensive part, so only candidates tied on ``count_ops`` and not all equal are printed."""
    if all(c is candidates[0] for c in candidates[1:]):  # nothing to choose (factor_terms(e) is often e itself)
        return candidates[0]
    ops = [_count_ops(c) for c in candidates]
    tied = [c for c, n in zip(candidates, ops) if n == min(ops)]
    if all(c == tied[0] for c in tied[1:]):
        return tied[0]
    return min(tied, key=lambda c: len(str(c)))
