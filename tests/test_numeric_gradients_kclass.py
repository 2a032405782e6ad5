"""k-class derivatives lambdify stable (symce.numeric.rewrite_gradients' softmax polynomial): the softmax
cross-entropy gradient ∂/∂z_i = s_i − p_i (Bishop, PRML eq. 4.109) and its Hessian diagonal s_i(1 − s_i), and
the gradient of the KL between two logit vectors x, y, ∂/∂x_i = s_i(δ_i − Σ_j s_j δ_j) with δ = x − y (from
KL = Σ_j s_j δ_j − logsumexp x + logsumexp y). References: those closed forms evaluated by mpmath at 450 digits
(1 − s_i is taken as the other classes' share, never by subtraction); the points are the worst inputs the
accuracy section found (benchmarks/accuracy.md) and one-hot targets."""

import mpmath
import numpy as np
import pytest

from symce.app.accuracy_derivatives import _catalog
from symce.numeric.lambdify import lambdify

MP_DPS = 450  # logits ±DBL_MAX: δ_i − δ̄ of ~1e308 against terms of 1 needs > 310 digits
K_CLASS_GOAL = 4

CE10 = "CE(categorical-k10 ‖ categorical-logits-k10)"
KL3 = "KL(categorical-logits-k3 ‖ categorical-logits-k3)"


def ulps(got, want) -> float:
    w = float(want)
    if got == w:
        return 0.0
    if w == 0.0:  # the truth rounds to 0: only 0 (or the least subnormal) is right
        return float(abs(mpmath.mpf(float(got)) - want) / mpmath.mpf(5e-324))
    return float(abs(mpmath.mpf(float(got)) - want) / mpmath.mpf(float(np.spacing(abs(w)))))


_BUILT = {}


def _derivation(name):
    if name not in _BUILT:
        d = dict(_catalog())[name]()
        _BUILT[name] = (d, sorted(d.result.free_symbols, key=lambda s: s.name))
    return _BUILT[name]


def _call(g, args, point):
    f = lambdify(g, args)
    return float(np.asarray(f(*[np.array([point[a.name]]) for a in args])).reshape(-1)[0])


def _softmax(zs):
    m = max(zs)
    e = [mpmath.exp(mpmath.mpf(z) - m) for z in zs]
    tot = mpmath.fsum(e)
    return [v / tot for v in e], [mpmath.fsum(e[:j] + e[j + 1:]) / tot for j in range(len(e))]


def _ce_point(p, z):
    point = {f"p1_{j + 1}": v for j, v in enumerate(p)}
    point.update({f"z2_{j + 1}": v for j, v in enumerate(z)})
    return point


# the worst inputs of the accuracy section's softmax CE gradient and Hessian (5–11 ULP before softmax_rest)
CE_POINTS = [
    _ce_point([0.005862977141289055, 0.022200751787369244, 0.08907809972021724, 0.010249238949100986,
               0.13116437033622472, 0.15712897510196883, 0.1993239299315503, 0.13921218933151014,
               0.021335827039431654, 0.22444364066133785],
              [-2.4580394979239957e-68, 9.807331976807532, -3.584554219553733e-85, 1.9831313516290392e-286,
               -9.327111828392752e-290, 2.82062510913682e-301, 8.820369179306903e-240, -18.22973150217222,
               3.1276189542633673e-240, -1.38457039839203e-227]),
    _ce_point([0.0026359456756182564, 0.11643048481044216, 0.06745648506647756, 0.009444046961836317,
               0.26618252170352397, 0.15010031310107136, 0.054082151855324, 0.19950576898118233,
               0.04934761771265922, 0.08481466413186484],
              [23.062447468839764, 7.33981449394772e-282, -1.6309909431429237e-121, -49.202421628752994,
               6.660248402993787e-206, -13.878724870736875, 1.169710003265254e-100, -3.2689627169035625e-166,
               8.601508278905204e-47, -2.7154053444355813e-161]),
    _ce_point([0.17595745367984714, 0.045917798528499115, 0.20163243027614877, 0.04363073300442902,
               0.0595721670713025, 0.09167345685038122, 0.09714391372503, 0.013966137641664877,
               0.09138409502586647, 0.17912181419683088],
              [12.990949398033678, 36.810744211626286, 19.918726786911492, -2.953988615984435e-213,
               2.4663162371177236, 1.8254454499603626e-204, 3.276146745368703e-31, -5.555739243060444,
               -9.860143973652544e-67, -2.9623466673952095]),
    # one-hot targets: s_i − 1 = −(the others' share) ≈ −e^{−40}, which 1 − s_i rounds to 0
    _ce_point([1.0] + [0.0] * 9, [40.0, 0.5, -1.0, 2.0, 0.0, -3.0, 1.0, 0.25, -0.5, 1.5]),
    _ce_point([0.0] * 9 + [1.0], [-2.0, 1.0, 0.0, 0.5, 700.0, -1.0, 3.0, 2.0, -700.0, 1e-300]),
]


@pytest.mark.parametrize("pi", range(len(CE_POINTS)))
def test_softmax_ce_gradient(pi):
    d, args = _derivation(CE10)
    point = CE_POINTS[pi]
    zs = [point[f"z2_{j + 1}"] for j in range(10)]
    s, r = _softmax(zs)
    for i in range(10):
        p = mpmath.mpf(point[f"p1_{i + 1}"])
        want = s[i] * (1 - p) - p * r[i]  # s_i − p_i with 1 − s_i as the others' share
        got = _call(d.gradient([a for a in args if a.name == f"z2_{i + 1}"][0]), args, point)
        assert ulps(got, want) <= K_CLASS_GOAL, (pi, i, got, want)


def _kl3_point():
    return {"z1_1": -1.7976931348623155e+308, "z1_2": 1.0000000000000002, "z1_3": 1.0,
            "z2_1": 1.7976931348623157e+308, "z2_2": 0.9999990000000002, "z2_3": -1.7976931348623155e+308}


def test_logit_kl_gradient_at_opposite_extreme_logits():
    # x_i − x_j − y_i + y_j of four logits ±DBL_MAX overflowed even halved (∞·0 = NaN, or ∞ for 4.5e307)
    d, args = _derivation(KL3)
    point = _kl3_point()
    x = [mpmath.mpf(point[f"z1_{j}"]) for j in (1, 2, 3)]
    y = [mpmath.mpf(point[f"z2_{j}"]) for j in (1, 2, 3)]
    s, _ = _softmax(x)
    delta = [a - b for a, b in zip(x, y)]
    dbar = mpmath.fsum(si * di for si, di in zip(s, delta))
    for i in range(3):
        want = s[i] * (delta[i] - dbar)
        got = _call(d.gradient([a for a in args if a.name == f"z1_{i + 1}"][0]), args, point)
        assert np.isfinite(got) and ulps(got, want) <= K_CLASS_GOAL, (i, got, want)


@pytest.mark.parametrize("pi", range(len(CE_POINTS)))
def test_softmax_ce_hessian_diagonal(pi):
    # s_i(1 − s_i) (9–11 ULP as s_i·Σ_{j≠i} s_j before softmax_var)
    d, args = _derivation(CE10)
    point = CE_POINTS[pi]
    s, r = _softmax([point[f"z2_{j + 1}"] for j in range(10)])
    for i in range(10):
        z = [a for a in args if a.name == f"z2_{i + 1}"][0]
        got = _call(d.hessian([z]).result[0, 0], args, point)
        assert ulps(got, s[i] * r[i]) <= K_CLASS_GOAL, (pi, i, got, s[i] * r[i])


KL10 = "KL(categorical-logits-k10 ‖ categorical-logits-k10)"
KL10_POINT = dict(z1_1=2.691719087529469e-50, z1_10=6.251008931999232e-136, z1_2=-23.412923141568015,
                  z1_3=-9.779199964840991, z1_4=8.933877926680078e-110, z1_5=4.753059030603592e-149,
                  z1_6=5.87494383436088e-215, z1_7=3.239441590178722e-181, z1_8=-13.290391903821096,
                  z1_9=-3.61196039653354, z2_1=23.062447468839764, z2_10=-2.7154053444355813e-161,
                  z2_2=7.33981449394772e-282, z2_3=-1.6309909431429237e-121, z2_4=-49.202421628752994,
                  z2_5=6.660248402993787e-206, z2_6=-13.878724870736875, z2_7=1.169710003265254e-100,
                  z2_8=-3.2689627169035625e-166, z2_9=8.601508278905204e-47)


def test_logit_kl_gradient_in_y_on_arrays():
    # ∂/∂y_i = t_i − s_i (t = softmax y): evaluated on an array of points, numpy sums the (k, n) terms of the
    # softmax denominator in order, 1 + e₁ + … rounding at 1's ulp each time (5 ULP at t₁ = 0.99999999993)
    d, args = _derivation(KL10)
    f = lambdify(d.gradient([a for a in args if a.name == "z2_1"][0]), args)
    got = np.asarray(f(*[np.full(4, KL10_POINT[a.name]) for a in args]))
    order = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]
    s, rs = _softmax([KL10_POINT[f"z1_{j}"] for j in order])
    t, rt = _softmax([KL10_POINT[f"z2_{j}"] for j in order])
    want = t[0] * rs[0] - s[0] * rt[0]
    assert all(ulps(g, want) <= K_CLASS_GOAL for g in got), (got, want)


def test_logit_kl_gradient_k2_compensated_logit_sum():
    # x₂ − x₁ − y₂ + y₁ = 1.13 from terms up to 8.7 (quartered): rounded three times it was 7 ULP off
    name = "KL(categorical-logits-k2 ‖ categorical-logits-k2)"
    d, args = _derivation(name)
    point = {"z1_1": 1.9091809873814753, "z1_2": 8.433632674538209e-240, "z2_1": -30.158154651738503,
             "z2_2": -34.68888056661658}
    x = [mpmath.mpf(point["z1_1"]), mpmath.mpf(point["z1_2"])]
    y = [mpmath.mpf(point["z2_1"]), mpmath.mpf(point["z2_2"])]
    s, _ = _softmax(x)
    delta = [a - b for a, b in zip(x, y)]
    dbar = mpmath.fsum(si * di for si, di in zip(s, delta))
    for i in range(2):
        got = _call(d.gradient([a for a in args if a.name == f"z1_{i + 1}"][0]), args, point)
        assert ulps(got, s[i] * (delta[i] - dbar)) <= K_CLASS_GOAL, (i, got)


@pytest.mark.parametrize("zv", [(-1.7976931348623157e+308, 1.7976931348623157e+308), (3.0, -2.0)])
def test_logit_probability_kl_gradient_at_extreme_logits(zv):
    # ∂/∂x_i KL(softmax x ‖ q) = s_i((x_i − log q_i) − Σ_j s_j (x_j − log q_j)): x₁ − x₂ − log q₁ + log q₂ overflowed
    # at logits ∓DBL_MAX (−∞ where the value is 0: the weight is e^{−3.6e308})
    d, args = _derivation("KL(categorical-logits-k2 ‖ categorical-k2)")
    point = {"z1_1": zv[0], "z1_2": zv[1], "p2_1": 0.5, "p2_2": 0.5}
    x = [mpmath.mpf(v) for v in zv]
    s, _ = _softmax(zv)
    g = [xi - mpmath.log(mpmath.mpf(0.5)) for xi in x]
    gbar = mpmath.fsum(si * gi for si, gi in zip(s, g))
    for i in range(2):
        got = _call(d.gradient([a for a in args if a.name == f"z1_{i + 1}"][0]), args, point)
        assert np.isfinite(got) and ulps(got, s[i] * (g[i] - gbar)) <= K_CLASS_GOAL, (i, got)
