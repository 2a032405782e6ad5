r"""Rule ``harmonic numbers``: c·ψ(x) + c·γ + R = c·H_x − c/x + R, with H_x = ψ(x + 1) + γ (SymPy's
``harmonic``) and the rational terms R of x collected with −c/x.

The Kumaraswamy entropy as derived, (1 − 1/a)ψ(b) + γ − γ/a − 1/(ab) + 1 − log a − log b (Jones 2009,
eq. (2.3): 1 − 1/b + (1 − 1/a)H_b − log(ab)), has ψ(b) ≈ −1/b − γ for small b: its terms (1 − 1/a)ψ(b) ≈
1/(ab) and −1/(ab) cancel, to ∞ − ∞ = NaN where a and b are both tiny (a = 6e-138, b = 3e-266: H =
−3.1e265). H_b = ψ(b) + 1/b + γ ≈ ζ(2)·b carries no 1/b, and the rational remainder −c/b − 1/(ab) is −1/b
exactly after expansion. The kernel of H_x (:func:`symce.numeric.special.np_harmonic`) sums its Taylor
series for |x| ≤ ¼, where ψ(1 + x) + γ cancels.

Proved like every rule; the proof reads H_x as ψ(x) + 1/x + γ (:mod:`symce.numeric.rewrite_proof`), valid
for the positive x this rule requires.
"""

from __future__ import annotations

from collections import defaultdict

import sympy as sp

from symce.numeric.rational_function import is_rational_function


def _is_psi(f) -> bool:
    return isinstance(f, sp.polygamma) and f.args[0] == 0


def harmonic_numbers(e):
    """c·ψ(x) + c·γ + R → c·H_x + (R − c/x) (module docstring), for one positive x whose ψ coefficient
    equals γ's."""
    if not e.has(sp.polygamma) or not e.has(sp.EulerGamma) or not isinstance(e, sp.Add):
        return e
    psis, gamma, rest = defaultdict(lambda: sp.S.Zero), sp.S.Zero, []
    for t in e.args:
        c, f = t.as_independent(sp.polygamma, sp.EulerGamma, as_Add=False)
        if _is_psi(f) and f.args[1].is_positive and not c.has(sp.polygamma, sp.EulerGamma):
            psis[f.args[1]] += c
        elif f == sp.EulerGamma and not c.has(sp.polygamma):
            gamma += c
        else:
            rest.append(t)
    if gamma == 0:
        return e
    for x in sorted(psis, key=sp.default_sort_key):
        c = psis[x]
        if sp.expand(c - gamma) != 0:
            continue
        syms = x.free_symbols
        # the rational terms of x join −c/x, so that c/x's large parts cancel symbolically (−(1 − 1/a)/b −
        # 1/(ab) = −1/b), not in floating point
        near = [t for t in rest if t.free_symbols & syms and is_rational_function(t)]
        far = [t for t in rest if t not in near]
        others = [k * sp.polygamma(0, y) for y, k in psis.items() if y != x]
        rational = sp.expand(sp.Add(-c / x, *near))
        # c·H_x distributed (H_b − H_b/a): (1 − 1/a)·H_b overflows at 1 − 1/a for a subnormal a where H_b/a
        # is finite (a = 1e-320, b = 1e-20: H = −1.6e300), and (a − 1)·H_b/a at (a − 1)·H_b for a > 2.5e305
        return sp.Add(sp.expand_mul(c * sp.harmonic(x)), rational, *others, *far)
    return e


__all__ = ["harmonic_numbers"]
