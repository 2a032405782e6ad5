r"""The relative-entropy rule for a common factor: the KLs of the count families are a Bernoulli or
categorical KL times a factor,

* Binomial(n, ·): n·[p₁ log(p₁/p₂) + (1 − p₁) log((1 − p₁)/(1 − p₂))],
* NegativeBinomial(r, ·): r/(1 − p₁)·[the same bracket],
* Geometric (failures before the first success): 1/p₁·[the same bracket],
* Multinomial(n, ·): n·Σ pᵢ log(pᵢ/qᵢ),

and the derived sums carry the factor inside every coefficient (n·p₁·log p₁ − n·p₁·log p₂ + (n − n·p₁)·log(1 −
p₁) − …), so the relative-entropy rule of :mod:`symce.numeric.rewrite_logs` (which pairs A log A with −A log B)
does not see them: the terms cancel to O((p₁ − p₂)²) near P = Q (Binomial KL, n = 800, p₂ = p₁ + 1 ulp:
−1.4·10⁻¹⁴ for 2.2·10⁻²⁸).

``common_factor_relative_entropy`` reads each term c·B·log B (the coefficient A = c·B of log B), pairs it with
−c·B·log B′, groups the pairs by c, and where a group's Σ (B − B′) is 0 writes the group as c·Σ kl_div(B, B′):
every kl_div ≥ 0 and computed from the difference B′ − B of the original inputs (1 − p₂ − (1 − p₁) = p₁ − p₂,
exact near P = Q). A group whose parts cancel only on the simplex (Multinomial: n·Σ(pᵢ − qᵢ)), with a
numeric c, becomes c·rel_entr_sum(B…, B′…), as the categorical KL does.
"""

from __future__ import annotations

import functools

import sympy as sp

from symce.numeric.functions import kl_div, rel_entr_sum, xlog1py, xlogy
from symce.numeric.functions.scaled_kl import scaled_kl_form
from symce.numeric.rewrite_terms import log_terms


@functools.lru_cache(maxsize=4096)
def _factor(a, b):
    """c with a = c·b and c ≠ 1 free of logarithms, else None."""
    if b.is_number:
        return None
    c = sp.cancel(a / b)
    if c == 1 or c.has(sp.log) or c.is_zero:
        return None
    return c


def _scaled_kl_div(c, b, b2):
    """c·kl_div(B, B′), as kl_div(c·B, c·B′) where c·B is a positive number (kl_div is homogeneous of degree
    1): the Geometric KL's (1/p₁)·kl_div(p₁, p₂) = kl_div(1, p₂/p₁), whose difference (p₂ − p₁)/p₁ is
    lowered exactly, where kl_div(p₁, p₂) itself underflows (p₁ = 10⁻³⁰⁰, p₂ = p₁(1 + 2⁻⁵²))."""
    k = sp.cancel(c * b)
    if k.is_number and k.is_positive:
        return kl_div(k, sp.cancel(c * b2))
    # a symbolic factor (Binomial n, NegativeBinomial r/(1 − p₁)): one node, whose kernel scales tiny
    # probabilities and multiplies in extended range (functions/scaled_kl.py)
    scaled = scaled_kl_form(c, b, b2)
    return c * kl_div(b, b2) if scaled is None else scaled


def _cancel_out(a, a2) -> bool:
    """expand(a + a2) == 0, without expand where the sum is already a number (±½ coefficients)."""
    total = a + a2
    return total == 0 if total.is_Number else sp.expand(total) == 0


def _partners(terms) -> dict:
    """i → the j whose term reads −A·log B′ against i's A·log B (B′ ≠ B): the only terms a pair can take."""
    out: dict = {}
    for i, (a, b, _) in enumerate(terms):
        for j in range(i + 1, len(terms)):
            a2, b2, _ = terms[j]
            if b2 != b and _cancel_out(a, a2):
                out.setdefault(i, []).append(j)
                out.setdefault(j, []).append(i)
    return {i: sorted(js) for i, js in out.items()}


def _point(terms) -> dict:
    """A rational point for the free symbols of the terms, distinct values away from 0, ±1 and each other."""
    syms = sorted(set().union(*[t.free_symbols for _, _, t in terms]), key=sp.default_sort_key)
    return {s: sp.Rational(2 * k + 13, 7 * k + 29) for k, s in enumerate(syms)}


def _at(x, point):
    """x at the point when that is a rational number (a rational function of the symbols there), else None."""
    v = x.xreplace(point)
    return v if v.is_Rational else None


def _cancels(x, terms) -> bool:
    """cancel(x) == 0, without the cancel where x is a nonzero rational at the rational point (a sum of the
    LowRank MVN's determinants: most of this rule's time there). There x is the rational function's value,
    so the function is not 0; an undefined value (a zero denominator) leaves it to cancel."""
    v = _at(x, _point(terms))
    if v is not None and v != 0:
        return False
    return sp.cancel(x) == 0


def common_factor_relative_entropy(e):
    terms = log_terms(e)
    partners = _partners(terms)
    if not partners:
        return e
    # the candidate factors, each with its terms c·B·log B; the factor shared by most terms first (a term
    # −B′·log B also reads as c = −1/B′, which must not claim the partner of a real pair). A term without a
    # partner never pairs: where the terms that have one share a single factor, no order between factors
    # matters and the others' factors (a cancel each, most of this rule's time) are not computed
    factors = {i: _factor(*terms[i][:2]) for i in partners}
    shared = {c for c in factors.values() if c is not None}
    if len(shared) > 1:
        # the order counts the other terms of these factors: those a/b differs from at a rational point
        # (exactly, so it cannot be one of them) are left out, the rest get their factor
        point = _point(terms)
        at = {_at(c, point) for c in shared}
        factors.update({i: _factor(a, b) for i, (a, b, _) in enumerate(terms)
                        if i not in factors and (None in at or _at(a / b, point) in at | {None})})
    own: dict = {}
    for i in sorted(factors):
        if factors[i] is not None:
            own.setdefault(factors[i], []).append(i)
    used, replaced, new = set(), set(), []
    for c in sorted(own, key=lambda c: (-len(own[c]), sp.default_sort_key(c))):
        pairs, taken = [], set()
        for i in own[c]:
            if i in used or i in taken:
                continue
            b, t = terms[i][1:]
            for j in partners.get(i, ()):
                if j not in used and j not in taken:
                    taken |= {i, j}
                    pairs.append((b, terms[j][1], t, terms[j][2]))
                    break
        if not pairs:
            continue
        if _cancels(sp.Add(*[b - b2 for b, b2, _, _ in pairs]), terms):
            new.append(sp.Add(*[_scaled_kl_div(c, b, b2) for b, b2, _, _ in pairs]))
        elif c.is_number and len(pairs) > 1:
            # Σ(B − B′) = 0 on the simplex only: the categorical KL's k-ary reduction, scaled
            new.append(c * rel_entr_sum(*[b for b, _, _, _ in pairs], *[b2 for _, b2, _, _ in pairs]))
        else:
            continue
        used |= taken
        replaced |= {t for _, _, t, _ in pairs} | {t2 for _, _, _, t2 in pairs}
    if not replaced:
        return e
    return sp.Add(*[t for t in sp.Add.make_args(e) if t not in replaced], *new)


def one_minus_reciprocal(e):
    """1 − 1/x → (x − 1)/x (and 1/x − 1 → (1 − x)/x) for a symbol x: the Geometric entropy's (1 − 1/p)·log(1 − p)
    near p = 1, where 1/p rounds and 1 − 1/p keeps one significant bit (p = 1 − 2⁻⁵³: twice the value);
    x − 1 is exact there (Sterbenz)."""
    def parts(a):
        if not isinstance(a, sp.Add) or len(a.args) != 2:
            return None
        c, r = (a.args[0], a.args[1]) if a.args[0].is_Number else (a.args[1], a.args[0])
        x = _base(r)
        return (c, x) if c in (1, -1) and x is not None and r == -c / x else None

    def fix(t):
        return t.replace(lambda a: parts(a) is not None, lambda a: parts(a)[0] * (parts(a)[1] - 1) / parts(a)[1])

    # only in the coefficients of logarithms, which the xlogy rules then take with 1/x outside
    # (reciprocal_out_of_xlogy); elsewhere (x − 1)·F/x can overflow where (1 − 1/x)·F does not (Kumaraswamy's
    # (1 − 1/a)·ψ(b) at a = 4e299, b = 4e-111)
    logs = {t for _, _, t in log_terms(e)}
    out = [fix(t) if t in logs else t for t in sp.Add.make_args(e)]
    return sp.Add(*out) if any(a is not b for a, b in zip(out, sp.Add.make_args(e))) else e


def reciprocal_out_of_xlogy(e):
    """xlog1py((x − 1)/x, y) → xlog1py(x − 1, y)/x (and for xlogy): the Geometric cross-entropy at a subnormal
    p₁, where (p₁ − 1)/p₁ overflows and log1p(−p₂)·(p₁ − 1)/p₁ = −4.5·10¹⁵ does not (p₂ = 2.2·10⁻³⁰⁸)."""
    def parts(f):
        if not isinstance(f, (xlogy, xlog1py)):
            return None
        num, den = sp.fraction(f.args[0])
        if den.is_Symbol and den.is_positive and sp.expand(num - den) in (-1, 1) or (
                den.is_Symbol and den.is_positive and sp.expand(num + den) in (-1, 1)):
            return num, den
        return None

    return e.replace(lambda f: parts(f) is not None,
                     lambda f: f.func(parts(f)[0], f.args[1]) / parts(f)[1])


def simplex_homogenise(e, assumptions=()):
    """A polynomial factor P(p) of a term, in the probabilities p of an assumption Σ pᵢ = 1, homogenised:
    each monomial of degree k times (Σ pᵢ)^{d − k}, expanded. The Multinomial entropy's (Σ pᵢ² − 1)·log 2 =
    −2 Σ_{i<j} pᵢpⱼ·log 2 on the simplex: one sign, where Σ pᵢ² − 1 cancels near a vertex (p = (1 − ε, ε, 0):
    7·10⁵ ULP)."""
    sums = [a.lhs for a in assumptions if isinstance(a, sp.Eq) and a.rhs == 1 and isinstance(a.lhs, sp.Add)
            and all(t.is_Symbol for t in a.lhs.args)]
    if not sums:
        return e
    out, changed = [], False
    for t in sp.Add.make_args(e):
        factors = []
        for f in sp.Mul.make_args(t):
            g = _homogeneous(f, sums)
            changed |= g is not f
            factors.append(g)
        out.append(sp.Mul(*factors))
    return sp.Add(*out) if changed else e


def _homogeneous(f, sums):
    """f homogenised with the first Σ pᵢ that covers its symbols (f itself where it is not a polynomial in
    them with a constant term)."""
    if not isinstance(f, sp.Add) or not f.free_symbols:
        return f
    for total in sums:
        syms = set(total.args)
        if not f.free_symbols <= syms:
            continue
        poly = sp.Poly(f, *sorted(syms, key=sp.default_sort_key))
        degrees = {sum(m) for m in poly.monoms()}
        if len(degrees) < 2:
            return f
        d = max(degrees)
        return sp.expand(sp.Add(*[c * sp.Mul(*[s**k for s, k in zip(poly.gens, m)]) * total ** (d - sum(m))
                                  for m, c in zip(poly.monoms(), poly.coeffs())]))
    return f


def _base(r):
    """x for ±1/x (x a symbol), else None."""
    coeff, rest = r.as_coeff_Mul()
    if coeff in (1, -1) and isinstance(rest, sp.Pow) and rest.exp == -1 and rest.base.is_Symbol:
        return rest.base
    return None


__all__ = ["common_factor_relative_entropy", "one_minus_reciprocal", "reciprocal_out_of_xlogy", "simplex_homogenise"]
