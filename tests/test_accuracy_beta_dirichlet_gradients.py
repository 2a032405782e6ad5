"""Gradients of the Beta and Dirichlet cross-entropies and KLs (issue 12) at the inputs where they failed, against
the closed-form derivatives in mpmath at high precision.

H(P, Q) = log B(α₂) − Σⱼ (α₂ⱼ − 1)(ψ(α₁ⱼ) − ψ(A₁)) (Penny 2001; A = Σ α), so
∂H/∂α₁ⱼ = (1 − α₂ⱼ)ψ′(α₁ⱼ) + (A₂ − K)ψ′(A₁) and ∂H/∂α₂ⱼ = ψ(α₂ⱼ) − ψ(A₂) − ψ(α₁ⱼ) + ψ(A₁); the KL adds −H(P),
∂KL/∂α₁ⱼ = (α₁ⱼ − α₂ⱼ)ψ′(α₁ⱼ) − (A₁ − A₂)ψ′(A₁). Before rules ``trigamma differences`` and ``digamma pole
shift`` (symce/numeric/rewrite_trigamma_diff.py) these were NaN (∞ − ∞ of the trigammas' poles), lost every
digit (ψ′(α₁) − ψ′(α₁ + β₁) at β₁ ≪ α₁) or overflowed in the others' sum (α₂ = (1.8e308, 30, 1.8e308)).
"""

import math

import mpmath
import numpy as np
import pytest
import sympy as sp

from symce.app.accuracy_catalog import common_catalog
from symce.numeric.functions import wtrigamma_diff
from symce.numeric.impl.trigamma_diff import wtrigamma_diff as wtrigamma_diff_numpy
from symce.numeric.impl.trigamma_diff import wtrigamma_of_sum as wtrigamma_of_sum_numpy
from symce.numeric.lambdify import lambdify
from symce.numeric.rewrite import stabilise
from symce.numeric.verify import ulp_distance

MAX = 1.7976931348623157e308
PREC = 1400  # ψ(A₁) − ψ(A₂) ≈ 5.6e-310 beside ψ(5e-324) ≈ −2e323: ~1100 bits cancel


def _exact(kind, j, a1, a2, wrt):
    """The derivative of CE or KL (``kind``) w.r.t. α₁ⱼ (wrt = 1) or α₂ⱼ (wrt = 2), rounded to float."""
    with mpmath.workprec(PREC):
        a1, a2 = [mpmath.mpf(v) for v in a1], [mpmath.mpf(v) for v in a2]
        s1, s2, k = mpmath.fsum(a1), mpmath.fsum(a2), len(a1)
        if wrt == 2:
            return float(mpmath.digamma(a2[j]) - mpmath.digamma(s2) - mpmath.digamma(a1[j]) + mpmath.digamma(s1))
        if kind == "CE":
            return float((1 - a2[j]) * mpmath.psi(1, a1[j]) + (s2 - k) * mpmath.psi(1, s1))
        return float((a1[j] - a2[j]) * mpmath.psi(1, a1[j]) - (s1 - s2) * mpmath.psi(1, s1))


@pytest.fixture(scope="module")
def derivations():
    cat = dict(common_catalog())
    return {(kind, fam): cat[f"{kind}({fam} ‖ {fam})"]() for kind in ("CE", "KL") for fam in ("beta", "dirichlet-k3")}


def _gradient(d, name):
    args = sorted(d.result.free_symbols, key=lambda s: s.name)
    g = d.gradient(next(a for a in args if a.name == name))
    return lambdify(g, args), args


# (kind, family, partial, P's parameters, Q's parameters): the worst inputs of benchmarks/accuracy_common_derivatives.md
# (seed 0) and of the runs while the rules were written
POINTS = [
    ("CE", "beta", "alpha1", (8.191967251063761e-48, 7.705752291833822e-157), (1.7154197341875308e+223, 3.731114990542729e-76)),
    ("CE", "beta", "beta1", (1.2761294555958339e-272, 1.4374822088393055e-245), (2.6114182716613217e-31, 1.5011917540458893e+297)),
    ("CE", "beta", "beta1", (1e-17, 1e-300), (MAX, 1e300)),
    ("CE", "beta", "beta1", (5e-324, 0.5), (0.9999999999999999, 1.7976931348623155e308)),
    ("CE", "beta", "alpha1", (1.7976931348623155e308, 0.9999999999999999), (8.988465674311578e307, 2.2250738585072014e-308)),
    ("KL", "beta", "alpha1", (8.191967251063761e-48, 7.705752291833822e-157), (1.7154197341875308e+223, 3.731114990542729e-76)),
    ("KL", "beta", "beta1", (8.191967251063761e-48, 7.705752291833822e-157), (1.7154197341875308e+223, 3.731114990542729e-76)),
    ("CE", "dirichlet-k3", "alpha1_1", (1.2761294555958339e-272, 2.6114182716613217e-31, 1.4374822088393055e-245),
     (1.5011917540458893e+297, 7.815857558267906e-244, 8.19841831206099e-280)),
    ("CE", "dirichlet-k3", "alpha1_2", (1e-17, 40.0, 0.9999999999999999), (MAX, 2.2250738585072014e-308, 1e300)),
    ("CE", "dirichlet-k3", "alpha2_2", (40.0, 30.0, 1.0), (MAX, 30.0, 1.7976931348623155e308)),
    ("KL", "dirichlet-k3", "alpha1_1", (36.0, 1.7976931348623155e308, 1e300), (1e17, 5e-324, 800.0)),
    # α₂₁ + α₂₂ + α₂₃ ≈ 3.6e308: even its half overflows (psi_diff from quarters)
    ("CE", "dirichlet-k3", "alpha2_1", (2.0, 1.7976931348623155e308, 1e-300), (MAX, 1e300, MAX)),
    ("KL", "dirichlet-k3", "alpha2_2", (2.0, 1.7976931348623155e308, 1e-300), (MAX, 1e300, MAX)),
    # A₁ ≈ 5.4e308, its half too: ψ′(A₁ + 2) ≈ 1/A₁ from eighths, the KL's 1 − 1 leaving 1.2e-307
    ("CE", "dirichlet-k3", "alpha1_1", (MAX, MAX, 1.7976931348623155e308), (1e-08, 30.0, 33.0)),
    ("KL", "dirichlet-k3", "alpha1_3", (4.2415230754542206e-144, 1.2925617195317417e-291, 1.9697422874568523e-202),
     (5.610911817757481e-208, 6.180782717056227e+287, 1.0914518364062928e-101)),
]


@pytest.mark.parametrize("kind, fam, name, p, q", POINTS)
def test_gradient_at_a_failing_point(derivations, kind, fam, name, p, q):
    f, args = _gradient(derivations[(kind, fam)], name)
    values = dict(zip(["alpha1", "beta1"], p)) if fam == "beta" else {f"alpha1_{i + 1}": v for i, v in enumerate(p)}
    values.update(dict(zip(["alpha2", "beta2"], q)) if fam == "beta" else {f"alpha2_{i + 1}": v for i, v in enumerate(q)})
    got = float(f(*[values[a.name] for a in args]))
    # the Beta is the Dirichlet with K = 2: α = (α, β), the partial's index and side from its name
    j = (0 if name.startswith("alpha") else 1) if fam == "beta" else int(name[-1]) - 1
    wrt = 1 if (name[-1] == "1" if fam == "beta" else name[5] == "1") else 2
    exact = _exact(kind, j, p, q, wrt)
    if math.isinf(exact):
        assert got == exact, (got, exact)
    else:
        assert ulp_distance(got, exact) <= 16, (got, exact)


def test_psi_difference_poles_cancel_at_equal_subnormal_shapes(derivations):
    # ∂CE/∂α₂₁ at α₁₁ = α₂₁ = 5e-324: ψ(α₁₁) − ψ(α₂₁) cancels exactly; before, psi_diff ≈ 1/x was ∞ − ∞ = NaN.
    # The true 5.6e-310 comes from α₁₂ = 2.2e-308 lost in α₁₂ + α₁₃ = 40: the terms' scale (ψ(41) − ψ(1) ≈ 4.3
    # twice) is the yardstick, as in the benchmark
    f, args = _gradient(derivations[("CE", "dirichlet-k3")], "alpha2_1")
    p, q = (5e-324, 2.2250738585072014e-308, 40.0), (5e-324, 2.0, 38.0)
    got = float(f(*p, *q))
    exact = _exact("CE", 0, p, q, 2)
    assert math.isfinite(got) and abs(got - exact) <= 16 * np.spacing(8.6), (got, exact)


def test_rules_are_proved_and_give_the_stable_forms(derivations):
    d = derivations[("KL", "beta")]
    a1 = next(a for a in d.result.free_symbols if a.name == "alpha1")
    s = stabilise(d.gradient(a1).result)
    assert s.proved, str(s)
    assert s.expr.has(wtrigamma_diff) and not s.expr.has(sp.polygamma), s.expr


@pytest.mark.parametrize("w, x, ds", [
    (1.0, 2.5, (1e-12,)), (1.0, 15.35, (0.0049,)), (1.0, 1.0, (1e300,)), (1.0, 40.0, (3.0, 0.5)),
    (-1.7e308, 2.5, (5e-324,)), (-9e307, 1.7976931348623155e308, (1.0,)), (3.0, 2.0, (MAX, 1.7976931348623155e308)),
    (1.0, 7.0, (math.inf,)), (2.0, 1e-3, (2e-3,)),
])
def test_wtrigamma_diff_kernel_against_mpmath(w, x, ds):
    with mpmath.workprec(PREC):
        d = mpmath.fsum(mpmath.mpf(v) for v in ds)
        exact = w * (mpmath.psi(1, x) - (0 if mpmath.isinf(d) else mpmath.psi(1, x + d)))
    assert ulp_distance(float(wtrigamma_diff_numpy(w, x, *ds)), float(exact)) <= 4, (w, x, ds)


@pytest.mark.parametrize("w, xs", [(1.0, (2.0, 3.5)), (-4.5e307, (36.0, 1.7976931348623155e308, 1e300, 2.0)),
                                   (1e300, (1e301, 2.0)), (0.5, (0.3,))])
def test_wtrigamma_of_sum_kernel_against_mpmath(w, xs):
    with mpmath.workprec(PREC):
        exact = w * mpmath.psi(1, mpmath.fsum(mpmath.mpf(v) for v in xs))
    assert ulp_distance(float(wtrigamma_of_sum_numpy(w, *xs)), float(exact)) <= 4, (w, xs)
