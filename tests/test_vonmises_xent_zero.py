r"""The von Mises cross-entropy where it crosses 0 (issue 11: ≤ 16 ULP of the value, special functions).

H(VM(μ₁, κ₁), VM(μ₂, κ₂)) = −E_P[log q(X)] = log(2π I₀(κ₂)) − κ₂ E_P[cos(X − μ₂)]
                          = log(2π I₀(κ₂)) − κ₂ A(κ₁) cos(μ₁ − μ₂),  A = I₁/I₀,
since q(x) = exp(κ₂ cos(x − μ₂))/(2π I₀(κ₂)) and E_P[cos(X − μ₁)] = A(κ₁), E_P[sin(X − μ₁)] = 0 (Mardia & Jupp
2000, "Directional Statistics", §3.5.4; it is H(P) + KL(P ‖ Q) with Kitagawa & Rowley 2022's KL, p = 2).
For κ₂ ≫ κ₁ ≫ 1 it crosses 0 (½ log(2π/κ₂) + κ₂/(2κ₁) ≈ 0) with its parts log 2π + log i0e(κ₂) ≈ −2.5 and
κ₂(1 − A(κ₁)cos Δ) ≈ +2.5 some 10²–10⁴ times the value: 1 − A(κ₁) in double (κ₁ > 40), times κ₂, was 105 ULP of
−0.0165 at κ₁ = 189.5, κ₂ = 941.9 (the accuracy benchmark's seed 3). The kernel now recomputes the elements
where |CE| < Σ|parts|/8 from this definition exactly (impl/arrays/vonmises.py, impl/screened_sum._exact).
Reference: the definition above in mpmath at 80 digits from the exact float inputs.
"""

import mpmath
import numpy as np
import sympy as sp

import symce as sc
from symce.numeric.ulp import ulp_distance

m1, m2 = sp.Symbol("mu1", real=True), sp.Symbol("mu2", real=True)
k1, k2 = sp.Symbol("kappa1", positive=True), sp.Symbol("kappa2", positive=True)


def textbook(a, b, u, v):
    a, b, u, v = (mpmath.mpf(float(x)) for x in (a, b, u, v))
    with mpmath.workdps(80):
        return (mpmath.log(2 * mpmath.pi) + mpmath.log(mpmath.besseli(0, b))
                - b * mpmath.besseli(1, a) / mpmath.besseli(0, a) * mpmath.cos(u - v))


def zero_crossing(a, v):
    """The float κ₂ nearest the zero of the CE in κ₂ (κ₁ = a, μ₁ = 0, μ₂ = v), solved in mpmath."""
    with mpmath.workdps(40):
        return float(mpmath.findroot(lambda b: mpmath.log(2 * mpmath.pi) + mpmath.log(mpmath.besseli(0, b))
                                     - b * mpmath.besseli(1, a) / mpmath.besseli(0, a) * mpmath.cos(v),
                                     (4 * a, 6 * a), solver="secant"))


def test_von_mises_cross_entropy_near_its_zero_within_16_ulp():
    ce = sc.cross_entropy(sc.VonMises(m1, k1), sc.VonMises(m2, k2))
    f = sc.lambdify(ce, [k1, k2, m1, m2], backend="numpy")
    pts = [(189.5123295289129, 941.9101703059343, -6.38399806474087e-43, -6.8491380569070775e-282),
           (183.5313630740859, 907.9411404925567, -3.2252490659177266e-192, 7.363242604514966e-174)]
    pts += [(a, zero_crossing(a, v), 0.0, v) for a, v in ((50.0, 0.0), (300.0, 0.01), (2000.0, -0.002))]
    got = f(*(np.array(c) for c in zip(*pts)))  # one array: the screen picks the elements out of it
    for p, g in zip(pts, got):
        want = float(textbook(*p))
        assert abs(want) < 0.02 and ulp_distance(float(g), want) <= 16, (p, float(g), want)
