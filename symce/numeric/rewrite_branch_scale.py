r"""Rule ``branch scale ratio``: −c·log a + c·log b − c + branches each holding c·diff_ratio(a·e^{w}, 0, b) +
c·diff_ratio(y, x, b) with w = diff_ratio(x, y, a) → −c·log1pmx_ratio(a, b) + the branches with
c·scaled_expm1mx(a, b, t, q) in place of the pair (t = diff_ratio(y, x, a) = −w, q = diff_ratio(y, x, b)).

The Laplace KL is log(b₂/b₁) − 1 + (b₁e^{−|Δμ|/b₁} + |Δμ|)/b₂ (Gil, Alajaji & Linder 2013). ``scaled
branches`` divides the Piecewise term by term, but the KL's two nonnegative parts stay spread over terms that
cancel: the scale part r − 1 − log r (r = b₁/b₂) between the logarithms outside and b₁e^{w}/b₂ inside the
branches (b₁ = 1e300, b₂ = 1.000000000001e300: 0 for 5e-25, 4e18 ULP), the location part r·(e^{−t} − 1 + t)
between b₁e^{−t}/b₂, |Δμ|/b₂ and that r (≈ r·t²/2 from terms of size r). With b₁e^{w}/b₂ + q =
r + r·(e^{−t} − 1 + t) in every branch, r joins the logarithms as −log1pmx_ratio(b₁, b₂) and each branch keeps
the location part as one function: a sum of two terms ≥ 0. An exact identity in each branch, proved like every
rule.

The cross-entropy log(2b₂) + (b₁e^{−t} + |Δμ|)/b₂ has c·log b without −c·log a: there the same branches give
rational_log_sum(K, c·a/b, c, b) + c·scaled_expm1mx(…), the logarithm and r = b₁/b₂ summed in double-double
where they cancel along a curve (log(2b₂) + b₁/b₂ ≈ 0.17 from terms of size 6: 11 ULP as separate terms).
"""

from __future__ import annotations

import sympy as sp

from symce.numeric.functions.elementary import diff_ratio, log1pmx_ratio
from symce.numeric.functions.exact import rational_log_sum
from symce.numeric.functions.exp_excess import scaled_expm1mx
from symce.numeric.rewrite_terms import log_terms


def _scaled_exp(term, a, b):
    """c for a term c·diff_ratio(a·e^{w}, 0, b) (c a nonzero number), else None."""
    c, f = term.as_coeff_Mul()
    if not isinstance(f, diff_ratio) or f.args[1] != 0 or f.args[2] != b:
        return None
    x = f.args[0]
    if not (x.is_Mul and len(x.args) == 2 and a in x.args and any(isinstance(g, sp.exp) for g in x.args)):
        return None
    return c


def _branches(pw, a, b, c):
    """The Piecewise with each branch's c·diff_ratio(a·e^{w}, 0, b) + c·diff_ratio(y, x, b), w = diff_ratio(x, y, a),
    replaced by c·scaled_expm1mx(a, b, t, q) (t = diff_ratio(y, x, a), q = diff_ratio(y, x, b)); None unless
    every branch has exactly one such pair."""
    out = []
    for expr, cond in pw.args:
        terms = sp.Add.make_args(expr)
        hits = [t for t in terms if _scaled_exp(t, a, b) == c]
        if len(hits) != 1:
            return None
        f = hits[0].as_coeff_Mul()[1]
        w = next(g for g in f.args[0].args if isinstance(g, sp.exp)).args[0]
        if not (isinstance(w, diff_ratio) and w.args[2] == a):
            return None
        x, y = w.args[0], w.args[1]
        q = diff_ratio(y, x, b)
        if c * q not in terms:
            return None
        rest = [u for u in terms if u is not hits[0] and u != c * q]
        out.append((sp.Add(*rest, c * scaled_expm1mx(a, b, diff_ratio(y, x, a), q)), cond))
    return sp.Piecewise(*out)


def branch_scale_ratio(e):
    """The rule of the module docstring, for each pair of positive scale symbols a, b."""
    if not e.is_Add or not e.has(sp.Piecewise):
        return e
    terms = sp.Add.make_args(e)
    pws = [t for t in terms if isinstance(t, sp.Piecewise)]
    const = sp.Add(*[t for t in terms if t.is_number])
    logs = [(k, x, t) for k, x, t in log_terms(e) if k.is_number and x.is_Symbol and x.is_positive]
    for ka, a, ta in logs:
        for kb, b, tb in logs:
            if a == b or not kb.is_positive or ka + kb != 0:
                continue
            c = kb  # −c·log a + c·log b
            for pw in pws:
                new = _branches(pw, a, b, c)
                if new is None:
                    continue
                rest = [t for t in terms if t not in (ta, tb, pw) and not t.is_number]
                return sp.Add(-c * log1pmx_ratio(a, b), new, const + c, *rest)
    # the cross-entropy: c·log b beside the branches, without −c·log a (Laplace: log(2b₂) + (b₁e^{−t} +
    # |Δμ|)/b₂): r = a/b joins the logarithm outside, where the rational log sum keeps log(2b₂) + b₁/b₂ exact
    # along the curve where they cancel (11 ULP as separate terms at b₁/b₂ = 6, CE = 0.17)
    if len(logs) != 1 or len(pws) != 1:
        return e
    if any(not t.is_number for t in terms if t != pws[0] and t != logs[0][2]):  # log_terms: by equality
        return e
    kb, b, _ = logs[0]
    if not (kb.is_Rational and kb.is_positive and kb.q & (kb.q - 1) == 0):
        return e  # the kernel's coefficients are dyadic
    for a in sorted(pws[0].free_symbols - {b}, key=sp.default_sort_key):
        new = _branches(pws[0], a, b, kb) if a.is_positive else None
        if new is not None:
            return rational_log_sum(const, kb * a / b, kb, b) + new
    return e


__all__ = ["branch_scale_ratio"]
