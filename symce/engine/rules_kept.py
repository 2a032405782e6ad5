r"""Integrals known to have no closed form, recognised by their shape before SymPy's integrator is asked.

The rules of :mod:`symce.engine.rules_real` and :mod:`symce.engine.rules_exp` close E_P[log g(X)] for the
shapes that have a closed form: g the same quadratic as a Student t density's (Euler's Beta integral), any
positive quadratic under a rational density (residues), an exponential under a density with a nested
exponential (the moment generating function). When none of them applies, the integrals below are not
elementary, nor Meijer-G products of powers of x, and SymPy's integrator spends its whole share of the time
limit (seconds) before the engine keeps the defining integral anyway. This module keeps it at once — the
result is the same exact ``Integral`` with a note that says why.

With g = k(1 + w(x − c_g)²) a positive quadratic (complex roots) or g = 1 + k·e^{ax} (a softplus), on ℝ:

* **a power of another quadratic, the exponent a symbol** — p(x) ∝ (1 + w'(x − c)²)^{−(ν+1)/2}, (c, w') ≠
  (c_g, w): x = c + tan θ/√w' turns it into ∫ cos^{ν−1}θ log(…tan θ…) dθ, a ₂F₁/Appell-type function of the
  parameters for symbolic ν (Student t against another Student t, against a Cauchy). An integer or
  half-integer exponent is left to the other rules and the integrator (residues, elementary antiderivatives).
  A softplus under such a density (Student t against logistic) is a series too.
* **a density with a nested exponential** (logistic, Gumbel: e^{kx} inside an exp or a power): u = e^{kx}
  turns log(1 + k'e^{ax}) into log(1 + k'u^{a/k}), a series in u^{a/k} with no closed sum when a/k is not a
  rational number, and a quadratic g into a quadratic in log u (logistic against logistic with another scale,
  logistic against Student t).
* **a Gaussian** e^{−(x − c)²/(2σ²)} — the logistic-normal integral E[log(1 + e^{aX})] has no closed form, and
  E[log g(X)] for a quadratic g centred elsewhere (c_g ≠ c) is a non-elementary function of the shift
  (normal against logistic, against Student t).
"""

from __future__ import annotations

import sympy as sp

from symce.engine.rules_exp import nested_exponential, unfold
from symce.engine.rules_real import _quadratic, _quadratic_power, softplus_slope

KEPT_NO_RULE = "no closed form: kept as the defining integral over the support"


def kept_integral(phi, x, density, pieces):
    """(∫ φ·p dx kept, rule) when φ·p is one of the shapes above on ℝ, else None (the other rules and the
    integrator decide)."""
    if len(pieces) != 1 or pieces[0] != (-sp.oo, sp.oo) or not isinstance(phi, sp.log):
        return None
    g = phi.args[0]
    if x not in g.free_symbols:
        return None
    why = _why(g, x, density)
    if why is None:
        return None
    return sp.Integral(phi * density, (x, -sp.oo, sp.oo)), f"{KEPT_NO_RULE} ({why}; recognised by its shape)"


def _why(g, x, density):
    quad = _quadratic(g, x) if g.is_polynomial(x) else None
    soft = None if quad is not None else softplus_slope(g, x)
    if quad is None and soft is None:
        return None
    what = "E[log g(X)], g a positive quadratic" if quad is not None else "E[log(1 + k·e^{aX})]"
    power = _quadratic_power(density, x)
    if power is not None:
        _, c, w, p = power
        if not p.free_symbols:
            return None  # a number: residues (integer) or an elementary antiderivative (half-integer) may close it
        if quad is not None and sp.cancel(quad[0] - c) == 0 and sp.cancel(quad[1] - w) == 0:
            return None  # the same quadratic: Euler's Beta integral
        other = "another" if quad is not None else "a"
        return f"{what} under a power of {other} quadratic with a symbolic exponent: a ₂F₁-type integral"
    nested = nested_exponential(density, x)
    if nested is not None:
        if quad is not None:
            return f"{what} under a density with a nested exponential: log of a quadratic in log u, u = e^{{kx}}"
        ratio = sp.cancel(soft / nested[0])
        if ratio.is_Rational:
            return None  # log(1 + k'u^{r}), r rational: partial fractions may close it
        return f"{what} under a density with a nested exponential: log(1 + k'u^r), r = {ratio} not a rational number"
    centre = _gaussian_centre(density, x)
    if centre is None:
        return None
    if quad is None:
        return f"{what} under a Gaussian: the logistic-normal integral"
    if sp.cancel(quad[0] - centre) == 0:
        return None  # centred: left to the integrator
    return f"{what} under a Gaussian centred elsewhere: a non-elementary function of the shift"


def _gaussian_centre(density, x):
    """c with density = const·e^{−a(x − c)² } (a > 0), else None."""
    const, g = unfold(density).as_independent(x, as_Add=False)
    g = sp.powsimp(g, combine="exp")
    if not isinstance(g, sp.exp):
        return None
    arg = sp.expand(g.args[0])
    if not arg.is_polynomial(x) or sp.degree(arg, x) != 2:
        return None
    poly = sp.Poly(arg, x)
    a, b = poly.coeff_monomial(x**2), poly.coeff_monomial(x)
    return sp.cancel(-b / (2 * a)) if a.is_negative else None
