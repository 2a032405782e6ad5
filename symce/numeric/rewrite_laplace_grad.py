r"""Rule ``Laplace derivative forms``: the shapes the derivatives of the Laplace cross-entropy and KL take, in
which e^{−|μ₁ − μ₂|/b₁} stands in a Piecewise over the sign of μ₁ − μ₂ (the value's own rules,
:mod:`symce.numeric.rewrite_scaled_piecewise` and :mod:`symce.numeric.rewrite_branch_scale`, read the value's
shape only). Each step is an exact identity, proved like every rule:

* P/r with P a Piecewise whose every branch is (1 + (b − a)/s)·e^{(a − b)/s} → the Piecewise of
  exp_ramp(a, b, s, r) (∂/∂b₁ = (1 + t)e^{−t}/b₂, t = |Δμ|/b₁): the product in extended range, so a subnormal
  e^{−t} keeps its bits (529 units of CE ∂/∂b₁ at t = 739.78, 5 of KL ∂/∂b₁ from t's rounding at t = 38.3);
  and the same for branches ±(e^{(a − b)/s} − 1) → ∓exp_rise(a, b, s, r) = ∓(1 − e^{−t})/r (∂/∂μ₁, ∂/∂μ₂): t
  below 2⁻¹⁰²² loses its bits or is 0 before 1/b₂ scales it up (0 for 1.43e-207 at t = 9.5e-418, b₂ = 6.7e-211);
* inside an exponential, (a − b)/r → diff_ratio(a, b, r) (a − b overflows for a ≈ −b ≈ 1e308);
* e^x − 1 → wtanh(e^x + 1, x) = (e^x + 1)·tanh(x/2), and 1 − e^x → −wtanh(e^x + 1, x): ∂/∂μ₁ =
  (e^{−t} − 1)/b₂ with t = |μ₁ − μ₂|/b₁ returned 0 for t = 5e-225/7.8 (the truth 3e-64): e^{−t} rounds to 1
  (the expm1 form, from functions the backends already have; wtanh keeps a subnormal x);
* (1 + c·a/r − c·b/r)·e^w → e^w + c·diff_ratio(a, b, 2)·diff_ratio(2e^w, 0, r) (∂/∂b₁ = (1 + t)e^{−t}/b₂:
  μ₂e^w/b₁ − μ₁e^w/b₁ written apart cancel; the difference halved never overflows, and e^w = 0 gives 0);
* (1 − P/s)/s with P a Piecewise whose branches are a·e^{−t} + |Δ| → ((s − a)/s − Piecewise of
  scaled_expm1mx(a, s, t, |Δ|/s))/s, as the rule ``branch scale ratio`` writes the KL (Gil, Alajaji & Linder
  2013: (a/s)e^{−t} + |Δ|/s = a/s + (a/s)(e^{−t} − 1 + t)): ∂/∂b₂ = (1 − (b₁e^{−t} + |μ₁ − μ₂|)/b₂)/b₂, which
  the expansion of products wrote as 1/b₂ − (…)/b₂², ∞ − ∞ = NaN at b₂ = 5e-324 (the truth −∞), and whose
  1 − (…)/b₂ cancelled near b₂ = b₁ (2.9e5 ULP); now two terms of fixed signs apart from the true zero.
"""

from __future__ import annotations

import sympy as sp

from symce.numeric.functions.elementary import diff_ratio
from symce.numeric.functions.exp_ramp import exp_ramp, exp_rise
from symce.numeric.functions.tanh_half import wtanh
from symce.numeric.rewrite_branch_scale import _branches
from symce.numeric.rewrite_scaled_piecewise import _exp_ratios, scaled_branches


def _expm1(add):
    """±(e^x − 1) among the terms of a sum → ±wtanh(e^x + 1, x), the rest unchanged."""
    terms = list(add.args)
    for t in terms:
        c, f = t.as_coeff_Mul()
        if c in (1, -1) and isinstance(f, sp.exp) and -c in terms:
            rest = list(terms)
            rest.remove(t)
            rest.remove(-c)
            return sp.Add(*rest, c * wtanh(f + 1, f.args[0]))
    return add


def _scaled_difference(m):
    """(k + c·a/r − c·b/r)·e^w → k·e^w + c·diff_ratio(a, b, 2)·diff_ratio(2e^w, 0, r) for a positive symbol r
    (k a number): the difference halved never overflows, and where e^w underflows to 0 the product is 0
    (diff_ratio(a, b, r)·e^w was ∞·0 = NaN at b₁ = 1e-97, μ₂ = −3.8e212)."""
    exps = [f for f in m.args if isinstance(f, sp.exp)]
    sums = [f for f in m.args if f.is_Add]
    if len(m.args) != 2 or len(exps) != 1 or len(sums) != 1:
        return m
    k, rest = sums[0].as_coeff_Add()
    if k == 0 or not rest.is_Add:
        return m
    num, den = sp.fraction(sp.factor_terms(rest))
    c, num = num.as_coeff_Mul()
    ts = sp.Add.make_args(num)
    if not (den.is_Symbol and den.is_positive and len(ts) == 2 and all(
            (t if not t.could_extract_minus_sign() else -t).is_Symbol for t in ts)):
        return m
    a, b = (ts[0], -ts[1]) if not ts[0].could_extract_minus_sign() else (ts[1], -ts[0])
    return k * exps[0] + c * diff_ratio(a, b, 2) * diff_ratio(2 * exps[0], 0, den)


def _branch(b):
    # the Mul first (it reads the sum 1 + a/r − b/r beside e^w), then the exponents as diff_ratio, which the
    # expm1 form then shares as tanh's argument ((μ₁ − μ₂)/b₁ apart: ∞ − ∞ at b₁ = 5e-324)
    b = b.replace(lambda n: n.is_Mul and n.has(sp.exp), _scaled_difference)
    b = _exp_ratios(b)
    return b.replace(lambda n: n.is_Add and n.has(sp.exp), _expm1)


def _one_minus_scaled(m):
    """(1 + c·P/s)/s → diff_ratio(1, −c·P′, s) (module docstring), else m."""
    den = [f for f in m.args if f.is_Pow and f.exp == -1 and f.base.is_Symbol and f.base.is_positive]
    sums = [f for f in m.args if f.is_Add]
    if len(m.args) != 2 or len(den) != 1 or len(sums) != 1:
        return m
    s = den[0].base
    k, rest = sums[0].as_coeff_Add()
    if k != 1 or not rest.is_Mul or not rest.has(sp.Piecewise):
        return m
    c, pw = rest.as_coeff_Mul()
    scaled = scaled_branches(pw)
    if c != -1 or not isinstance(scaled, sp.Piecewise):
        return m
    for a in sorted(scaled.free_symbols - {s}, key=sp.default_sort_key):
        # each branch diff_ratio(a·e^{−t}, 0, s) + diff_ratio(|Δ|, 0, s) = a/s + scaled_expm1mx(a, s, t, q)
        excess = _branches(scaled, a, s, 1) if a.is_positive else None
        if excess is not None:
            return (diff_ratio(s, a, s) - excess) / s
    return m


def _ramp(b, r):
    """(1 + c·(p − q)/s)·e^{c·(q − p)/s} → exp_ramp(q, p, s, r) (c = ±1, s a positive symbol), else None."""
    exps = [f for f in b.args if isinstance(f, sp.exp)] if b.is_Mul else []
    sums = [f for f in b.args if f.is_Add]
    if len(b.args) != 2 or len(exps) != 1 or len(sums) != 1:
        return None
    k, rest = sums[0].as_coeff_Add()
    if k != 1 or not rest.is_Add:
        return None
    num, den = sp.fraction(sp.factor_terms(rest))
    c, num = num.as_coeff_Mul()
    ts = sp.Add.make_args(num)
    if c not in (1, -1) or not (den.is_Symbol and den.is_positive and len(ts) == 2):
        return None
    p, q = (ts[0], -ts[1]) if not ts[0].could_extract_minus_sign() else (ts[1], -ts[0])
    if c == -1:
        p, q = q, p
    if not (p.is_Symbol and q.is_Symbol) or sp.expand(exps[0].args[0] - (q - p) / den) != 0:
        return None
    return exp_ramp(q, p, den, r)


def _rise(b, r):
    """±(e^{(p − q)/s} − 1) → ∓exp_rise(p, q, s, r) (s a positive symbol), else None."""
    k, rest = b.as_coeff_Add()
    c, e = rest.as_coeff_Mul()
    if k not in (1, -1) or c != -k or not isinstance(e, sp.exp):
        return None
    num, den = sp.fraction(sp.factor_terms(e.args[0]))
    sign, num = num.as_coeff_Mul()
    ts = sp.Add.make_args(num)
    if sign not in (1, -1) or not (den.is_Symbol and den.is_positive and len(ts) == 2):
        return None
    p, q = (ts[0], -ts[1]) if not ts[0].could_extract_minus_sign() else (ts[1], -ts[0])
    if sign == -1:
        p, q = q, p
    if not (p.is_Symbol and q.is_Symbol) or sp.expand(e.args[0] - (p - q) / den) != 0:
        return None
    return k * exp_rise(p, q, den, r)


def _ramps(m):
    """P/r with every branch of the Piecewise P a ramp (or every one a rise) → the Piecewise of exp_ramp(…, r)
    (exp_rise), else m (r inside: divided after the product rounds, a subnormal quotient loses bits again)."""
    den = [f for f in m.args if f.is_Pow and f.exp == -1 and f.base.is_Symbol and f.base.is_positive]
    pws = [f for f in m.args if isinstance(f, sp.Piecewise)]
    if len(m.args) != 2 or len(den) != 1 or len(pws) != 1:
        return m
    pw, r = pws[0], den[0].base
    for form in (_ramp, _rise):
        out = [(form(b, r), c) for b, c in pw.args]
        if not any(b is None for b, _ in out):
            return sp.Piecewise(*out)
    return m


def laplace_derivative_forms(e):
    """The rule of the module docstring, on a derivative holding a Piecewise with exponentials."""
    if isinstance(e, sp.MatrixBase) or not e.has(sp.Piecewise) or not e.has(sp.exp) or e.has(sp.log):
        return e
    e = e.replace(lambda n: isinstance(n, sp.Mul) and any(f.is_Add and f.has(sp.Piecewise) for f in n.args),
                  _one_minus_scaled)
    e = e.replace(lambda n: isinstance(n, sp.Mul) and any(isinstance(f, sp.Piecewise) for f in n.args), _ramps)
    return e.replace(lambda n: isinstance(n, sp.Piecewise) and n.has(sp.exp),
                     lambda n: sp.Piecewise(*[(_branch(b), c) for b, c in n.args]))


__all__ = ["laplace_derivative_forms"]
