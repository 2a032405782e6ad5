"""The Hessian of CE(Bernoulli with logit z ‖ Bernoulli(p)) = −σ(z) log p − σ(−z) log(1 − p) in p:
∂²/∂p² = σ(z)/p² + σ(−z)/(1 − p)² (differentiating the definition twice), evaluated by mpmath at 450 digits.
p² underflows where the quotient does not (0/0 = NaN at p = 2e-217, z = −6e178, the accuracy section's worst
input; ∞ for 5.6e100 at p = 1e-200, z = −690), σ(−800) rounds to 0 where σ/p² = 3.7e52 (p = 1e-200), and 1/p
overflows for a subnormal p (p = 5e-324, z = −DBL_MAX: ∞ where the value is 1)."""

import mpmath
import numpy as np
import pytest

from symce.app.accuracy_derivatives import _catalog
from symce.numeric.lambdify import lambdify

MP_DPS = 450
ULP_GOAL = 3


def _sig(x):
    return 1 / (1 + mpmath.exp(-mpmath.mpf(x)))


@pytest.mark.parametrize("name", ["CE(bernoulli-logit ‖ bernoulli)", "KL(bernoulli-logit ‖ bernoulli)"])
@pytest.mark.parametrize("pv, zv", [(2.2929203438890812e-217, -6.001451199480362e+178), (1e-200, -690.0),
                                    (1e-100, -300.0), (0.25, 3.0), (1e-150, 2.0),
                                    (1e-200, -800.0), (5e-324, -1.7976931348623157e+308), (1e-310, -1500.0),
                                    (5e-324, -1600.0)])
def test_second_derivative_in_p(name, pv, zv):
    d = dict(_catalog())[name]()
    args = sorted(d.result.free_symbols, key=lambda s: s.name)
    p = [a for a in args if a.name == "p2"][0]
    f = lambdify(d.hessian([p]).result[0, 0], args)
    got = float(np.asarray(f(*[np.array([{"p2": pv, "z1": zv}[a.name]]) for a in args])).reshape(-1)[0])
    with mpmath.workdps(MP_DPS):
        P = mpmath.mpf(pv)
        want = _sig(zv) / P**2 + _sig(-zv) / (1 - P) ** 2
    w = float(want)
    err = 0.0 if got == w else float(abs(mpmath.mpf(got) - want) / mpmath.mpf(float(np.spacing(abs(w)))))
    assert np.isfinite(got) == np.isfinite(w) and err <= ULP_GOAL, (pv, zv, got, want)


@pytest.mark.parametrize("pv, zv", [(1.0, -7.376399895275471e-236), (0.3, 1e-5), (0.9, -2e-9), (1e-300, 3.0),
                                    (0.5 + 2**-40, 40.0), (5e-324, 5e-324), (0.3, -3e-321), (1e-20, 2.2e-308)])
def test_second_derivative_in_z(pv, zv):
    # ∂²/∂z² = −σ''(z)(log p − log(1 − p)), σ'' = σ(z)σ(−z)(σ(−z) − σ(z)): its two terms σ²σ' and σσ'² cancel near
    # z = 0 and are ±∞ at p = 1 (∞ − ∞ = NaN where the value is −∞); σ(−z) − σ(z) = −tanh(z/2), and z/2 rounds
    # for a subnormal z (−0.0 for −4.6e-322 at z = p = 5e-324)
    d = dict(_catalog())["CE(bernoulli-logit ‖ bernoulli)"]()
    args = sorted(d.result.free_symbols, key=lambda s: s.name)
    z = [a for a in args if a.name == "z1"][0]
    f = lambdify(d.hessian([z]).result[0, 0], args)
    got = float(np.asarray(f(*[np.array([{"p2": pv, "z1": zv}[a.name]]) for a in args])).reshape(-1)[0])
    if pv == 1.0:
        assert got == -np.inf
        return
    with mpmath.workdps(MP_DPS):
        P, s, t = mpmath.mpf(pv), _sig(zv), _sig(-zv)
        want = -s * t * (t - s) * (mpmath.log(P) - mpmath.log(1 - P))
        err = float(abs(mpmath.mpf(got) - want) / mpmath.mpf(float(np.spacing(abs(float(want))))))
    assert err <= ULP_GOAL, (pv, zv, got, want)
