r"""The continuous Bernoulli's normaliser and mean, without their removable singularity at λ = ½.

ContinuousBernoulli(λ) has density C(λ)·λˣ(1 − λ)¹⁻ˣ on [0, 1] with C(λ) = 2 atanh(1 − 2λ)/(1 − 2λ) and mean
λ/(2λ − 1) + 1/(2 atanh(1 − 2λ)); both are 0/0 at λ = ½ (the uniform distribution, C = 2, mean ½), and
atanh(1 − 2λ) is ∞ once 1 − 2λ rounds to 1 (λ < 2⁻⁵⁴). With logit λ = log λ − log(1 − λ) = −2 atanh(1 − 2λ):

* ``logit_ratio(λ)`` = logit(λ)/(2λ − 1) = C(λ) (≥ 2; 2 at λ = ½);
* ``cbern_mean(λ)`` = λ/(2λ − 1) − 1/logit(λ) (in (0, 1); ½ at λ = ½).

Kernels (:mod:`symce.numeric.impl.arrays.logit_ratio`): with t = 2λ − 1 (exact for λ ≥ ¼), atanh(t)/t =
1 + t²·Σ t²ⁿ/(2n + 3), so for |t| ≤ ½ logit_ratio = 2 + 2t²P(t²) and cbern_mean = ½ + tP/(2(1 + t²P)) with no
cancellation; elsewhere the definitions, logit λ as log λ − log1p(−λ).
"""

from __future__ import annotations

import sympy as sp

from symce.numeric.functions.base import StableFunction, to_elementary


def _logit(x):
    return sp.log(x) - sp.log(1 - x)


def _evalf(f, prec, at_half):
    """The definition by SymPy's adaptive evalf (logit x cancels near x = ½), a Float argument at its exact
    binary value, with 20 guard digits; the limit at x = ½."""
    from mpmath.libmp import prec_to_dps

    x = f.args[0]
    if not x.is_number:
        return None
    x = sp.Rational(x) if x.is_Float else x
    if (2 * x - 1).is_zero:
        return sp.Float(at_half, precision=prec)
    return to_elementary(f.func(x, evaluate=False).elementary()).evalf(prec_to_dps(prec) + 20)


class logit_ratio(StableFunction):  # noqa: N801 - SymPy function classes are lower case
    """logit(x)/(2x − 1) for 0 ≤ x ≤ 1 (2 at x = ½)."""

    nargs = 1

    @classmethod
    def eval(cls, x):
        if x == sp.S.Half:
            return sp.Integer(2)

    def elementary(self):
        x = self.args[0]
        return _logit(x) / (2 * x - 1)

    def _eval_evalf(self, prec):
        return _evalf(self, prec, 2)

    def fdiff(self, argindex=1):
        # (logit′(x)(2x − 1) − 2 logit x)/(2x − 1)², logit′ = 1/(x(1 − x))
        x = self.args[0]
        return (1 / (x * (1 - x)) - 2 * logit_ratio(x)) / (2 * x - 1)

    def _eval_is_positive(self):
        return True if self.args[0].is_real else None


class cbern_mean(StableFunction):  # noqa: N801
    """x/(2x − 1) − 1/logit(x) for 0 ≤ x ≤ 1 (½ at x = ½): the mean of ContinuousBernoulli(x)."""

    nargs = 1

    @classmethod
    def eval(cls, x):
        if x == sp.S.Half:
            return sp.S.Half

    def elementary(self):
        x = self.args[0]
        return x / (2 * x - 1) - 1 / _logit(x)

    def _eval_evalf(self, prec):
        return _evalf(self, prec, sp.S.Half)

    def fdiff(self, argindex=1):
        # dμ/dx = A″(η)·η′(x): the variance over x(1 − x) (−1/t² + 1/(x(1 − x)t²C²) is 0/0 at x = ½: NaN gradients)
        x = self.args[0]
        return cbern_var(x) / (x * (1 - x))

    def _eval_is_positive(self):
        return True if self.args[0].is_real else None


class cbern_var(StableFunction):  # noqa: N801
    """A″(η) at η = logit x: the variance of ContinuousBernoulli(x), 1/logit(x)² − x(1 − x)/(2x − 1)² (1/12 at
    x = ½, where both terms are ∞); 4 sinh²(η/2) = (2x − 1)²/(x(1 − x))."""

    nargs = 1

    @classmethod
    def eval(cls, x):
        if x == sp.S.Half:
            return sp.Rational(1, 12)

    def elementary(self):
        x = self.args[0]
        return 1 / _logit(x) ** 2 - x * (1 - x) / (2 * x - 1) ** 2

    def _eval_evalf(self, prec):
        from mpmath.libmp import prec_to_dps

        x = self.args[0]
        if not x.is_number:
            return None
        x = sp.Rational(x) if x.is_Float else x
        if (2 * x - 1).is_zero:
            return sp.Float(sp.Rational(1, 12), precision=prec)
        # the terms are ~1/t² and cancel to 1/12: ~4·log₂(1/|t|) more bits (logit x loses log₂(1/|t|) itself)
        extra = int(6 * max(0, -sp.log(abs(2 * x - 1), 2).evalf(5))) + 20
        return to_elementary(cbern_var(x, evaluate=False).elementary()).evalf(prec_to_dps(prec) + extra * 3 // 10 + 20)

    def fdiff(self, argindex=1):
        # A‴(η)·η′(x), from the definition (0/0 at x = ½: third derivatives of the log-normaliser only)
        x = self.args[0]
        return cbern_var(x, evaluate=False).elementary().diff(x)

    def _eval_is_positive(self):
        return True if self.args[0].is_positive else None


__all__ = ["logit_ratio", "cbern_mean", "cbern_var"]


class cbern_kl(StableFunction):  # noqa: N801
    """KL(ContinuousBernoulli(x) ‖ ContinuousBernoulli(y)) = A(η_y) − A(η_x) − (η_y − η_x)·cbern_mean(x), the
    Bregman divergence of the log-normaliser A(η) = −log logit_ratio − log(1 − λ) at η = logit λ (≥ 0; 0 at x = y):
    its terms cancel to O((y − x)²) near P = Q."""

    nargs = 2

    @classmethod
    def eval(cls, x, y):
        if x == y:
            return sp.S.Zero

    def elementary(self):
        x, y = self.args
        return (sp.log(logit_ratio(x)) + sp.log(1 - x) - sp.log(logit_ratio(y)) - sp.log(1 - y)
                - (_logit(y) - _logit(x)) * cbern_mean(x))

    def _eval_evalf(self, prec):
        from mpmath.libmp import prec_to_dps

        if not all(a.is_number for a in self.args):
            return None
        x, y = (sp.Rational(a) if a.is_Float else a for a in self.args)
        if x == y:
            return sp.Float(0, precision=prec)
        # the terms cancel by ~2·log₂|y − x| bits: evaluate them at that much more precision
        extra = int(2 * max(0, -sp.log(abs(y - x), 2).evalf(5))) + 20
        with_prec = prec_to_dps(prec) + extra * 3 // 10 + 20
        return cbern_kl(x, y, evaluate=False).elementary().evalf(with_prec)

    def fdiff(self, argindex=1):
        x, y = self.args
        if argindex == 2:  # ∂/∂y: (μ(y) − μ(x))·η′(y), η′ = 1/(y(1 − y))
            return (cbern_mean(y) - cbern_mean(x)) / (y * (1 - y))
        # ∂/∂x: −(η_y − η_x)·μ′(x)
        return -(_logit(y) - _logit(x)) * cbern_mean(x).diff(x)

    def _eval_is_nonnegative(self):
        return True if all(a.is_positive for a in self.args) else None


__all__ += ["cbern_kl"]


class cbern_negentropy(StableFunction):  # noqa: N801
    """−H(ContinuousBernoulli(x)) = KL(CB(x) ‖ U(0, 1)) = log logit_ratio(x) + log(1 − x) + x·logit_ratio(x) − 1
    (≥ 0; 0 at x = ½, where the closed form's terms of size 1 cancel to O((2x − 1)²)). It is cbern_kl(x, ½): the
    uniform distribution is CB(½), with A(0) = 0."""

    nargs = 1

    @classmethod
    def eval(cls, x):
        if x == sp.S.Half:
            return sp.S.Zero

    def elementary(self):
        x = self.args[0]
        return sp.log(logit_ratio(x)) + sp.log(1 - x) + x * logit_ratio(x) - 1

    def _eval_evalf(self, prec):
        from mpmath.libmp import prec_to_dps

        x = self.args[0]
        if not x.is_number:
            return None
        x = sp.Rational(x) if x.is_Float else x
        if (2 * x - 1).is_zero:
            return sp.Float(0, precision=prec)
        # the terms cancel by ~2·log₂|2x − 1| bits, logit x by another log₂|2x − 1|: that much more precision
        extra = int(3 * max(0, -sp.log(abs(2 * x - 1), 2).evalf(5))) + 20
        return to_elementary(cbern_negentropy(x, evaluate=False).elementary()).evalf(
            prec_to_dps(prec) + extra * 3 // 10 + 20)

    def fdiff(self, argindex=1):
        # d/dη (η·μ − A) = η·A″(η) and dμ/dx = A″(η)·η′(x): so d/dx = η·μ′(x), η = (2x − 1)·logit_ratio(x)
        x = self.args[0]
        return (2 * x - 1) * logit_ratio(x) * cbern_mean(x).diff(x)

    def _eval_is_nonnegative(self):
        return True if self.args[0].is_positive else None


__all__ += ["cbern_negentropy"]


class cbern_xent(StableFunction):  # noqa: N801
    """H(ContinuousBernoulli(x), ContinuousBernoulli(y)) = A(η_y) − η_y·cbern_mean(x) with A = −log logit_ratio −
    log(1 − λ), η = (2λ − 1)·logit_ratio(λ): KL(U ‖ CB(y)) − (η_y/2)·(2μ(x) − 1), two terms that cancel only where
    the cross-entropy crosses 0 (0 at x = y = ½)."""

    nargs = 2

    @classmethod
    def eval(cls, x, y):
        if y == sp.S.Half:
            return sp.S.Zero

    def elementary(self):
        x, y = self.args
        return -sp.log(logit_ratio(y)) - sp.log(1 - y) - (2 * y - 1) * logit_ratio(y) * cbern_mean(x)

    def _eval_evalf(self, prec):
        from mpmath.libmp import prec_to_dps

        if not all(a.is_number for a in self.args):
            return None
        x, y = (sp.Rational(a) if a.is_Float else a for a in self.args)
        # the parts cancel by ~2·log₂|2λ − 1| bits each near ½ (and logit λ by log₂|2λ − 1|): that much more
        extra = sum(int(3 * max(0, -sp.log(abs(2 * v - 1), 2).evalf(5))) for v in (x, y) if 2 * v != 1) + 40
        return to_elementary(cbern_xent(x, y, evaluate=False).elementary()).evalf(prec_to_dps(prec) + extra * 3 // 10 + 20)

    def fdiff(self, argindex=1):
        x, y = self.args
        if argindex == 1:  # −η_y·μ′(x)
            return -(2 * y - 1) * logit_ratio(y) * cbern_mean(x).diff(x)
        # A′(η_y)·η′(y) − η′(y)·μ(x) = (μ(y) − μ(x))/(y(1 − y))
        return (cbern_mean(y) - cbern_mean(x)) / (y * (1 - y))


__all__ += ["cbern_xent"]


# -- the pieces of the H, CE and KL derivatives (symce.numeric.rewrite_cbern_gradients): whole atoms, so the
# later rules' expand_mul neither splits (2x − 1)·logit_ratio(x) into 2x·r − r (which cancels near ½) nor
# x(1 − x) into x − x² (which cancels near 1)
class cbern_logit(StableFunction):  # noqa: N801
    """logit x = log x − log(1 − x) = 2 atanh(2x − 1) = (2x − 1)·logit_ratio(x), the natural parameter η."""

    nargs = 1

    @classmethod
    def eval(cls, x):
        if x == sp.S.Half:
            return sp.S.Zero

    def elementary(self):
        # atanh: the unit-interval proof (symce.numeric.proof_unit_interval) applies to a side that has it
        return 2 * sp.atanh(2 * self.args[0] - 1)

    def fdiff(self, argindex=1):
        x = self.args[0]
        return 1 / (x * (1 - x))


class cbern_dmean(StableFunction):  # noqa: N801
    """w·dμ/dx = w·cbern_var(x)/(x(1 − x)) (w/3 at x = ½), w times the derivative of cbern_mean: the weight goes in
    before the division (w = logit ½ = 0 against μ′(5e-324) = ∞ is 0, not NaN)."""

    nargs = 2

    @classmethod
    def eval(cls, w, x):
        if x == sp.S.Half:
            return w / 3
        if w == 0:
            return sp.S.Zero

    def elementary(self):
        w, x = self.args
        return w * cbern_var(x, evaluate=False).elementary() / (x * (1 - x))

    def _eval_evalf(self, prec):
        w, x = self.args
        if not (x.is_number and w.is_number):
            return None
        x = sp.Rational(x) if x.is_Float else x
        return (w.evalf(prec_to_dps_(prec) + 10) * cbern_var(x)._eval_evalf(prec + 20) / (x * (1 - x))).evalf(
            prec_to_dps_(prec))

    def fdiff(self, argindex=1):
        w, x = self.args
        if argindex == 1:
            return cbern_dmean(1, x)
        return cbern_dmean(w, x, evaluate=False).elementary().diff(x)


class cbern_mean_gap(StableFunction):  # noqa: N801
    """(cbern_mean(y) − cbern_mean(x))/(y(1 − y)) = (A′(η_y) − μ(x))·η′(y): ∂H(P, Q)/∂y = ∂KL(P ‖ Q)/∂y."""

    nargs = 2

    def elementary(self):
        x, y = self.args
        return (cbern_mean(y, evaluate=False).elementary() - cbern_mean(x, evaluate=False).elementary()) / (y * (1 - y))

    def _eval_evalf(self, prec):
        if not all(a.is_number for a in self.args):
            return None
        x, y = (sp.Rational(a) if a.is_Float else a for a in self.args)
        # the means cancel by ~log₂|y − x| bits near x = y
        extra = int(max(0, -sp.log(abs(y - x), 2).evalf(5))) + 20 if x != y else 0
        if x == y:
            return sp.Float(0, precision=prec)
        mx, my = (cbern_mean(v)._eval_evalf(prec + extra) for v in (x, y))
        return ((my - mx) / (y * (1 - y))).evalf(prec_to_dps_(prec))

    def fdiff(self, argindex=1):
        x, y = self.args
        if argindex == 1:
            return -cbern_dmean(1, x) / (y * (1 - y))
        return cbern_dmean(1, y) / (y * (1 - y)) - cbern_mean_gap(x, y) * (1 - 2 * y) / (y * (1 - y))


def prec_to_dps_(prec):
    from mpmath.libmp import prec_to_dps

    return prec_to_dps(prec)


__all__ += ["cbern_logit", "cbern_dmean", "cbern_mean_gap"]


# -- whole partial derivatives (double-double kernels, symce/numeric/impl/cbern_dd.py): the weight of cbern_dmean
# arrives rounded, and logit x − logit y from the rounded logits lost every digit near P = Q (1e13 ulp)
def _dmean_definition(w, x):
    return w * cbern_var(x, evaluate=False).elementary() / (x * (1 - x))


def _weighted_evalf(w, x, prec):
    """w·μ′(x) at ``prec`` bits for a number w (evaluated by the caller at the precision it needs)."""
    x = sp.Rational(x) if x.is_Float else x
    return (w * cbern_var(x)._eval_evalf(prec + 20) / (x * (1 - x))).evalf(prec_to_dps_(prec))


class cbern_dxent(StableFunction):  # noqa: N801
    """∂H(CB(x), CB(y))/∂x = −logit(y)·dμ/dx = −logit(y)·cbern_var(x)/(x(1 − x)); at y = x the entropy's
    derivative H′(x) = −logit(x)·μ′(x)."""

    nargs = 2

    @classmethod
    def eval(cls, x, y):
        if y == sp.S.Half:
            return sp.S.Zero

    def elementary(self):
        x, y = self.args
        # logit as 2 atanh(2λ − 1), as cbern_logit: the unit-interval proof (proof_unit_interval) takes it
        return _dmean_definition(-cbern_logit(y).elementary(), x)

    def _eval_evalf(self, prec):
        x, y = self.args
        if not (x.is_number and y.is_number):
            return None
        y = sp.Rational(y) if y.is_Float else y
        w = -(2 * sp.atanh(2 * y - 1)).evalf(prec_to_dps_(prec) + 10) if 2 * y != 1 else sp.S.Zero
        return _weighted_evalf(w, x, prec)

    def fdiff(self, argindex=1):
        x, y = self.args
        if argindex == 2:  # −η′(y)·μ′(x)
            return -cbern_dmean(1, x) / (y * (1 - y))
        return -cbern_logit(y) * cbern_dmean(1, x).diff(x)


class cbern_dkl(StableFunction):  # noqa: N801
    """∂KL(CB(x) ‖ CB(y))/∂x = (logit x − logit y)·dμ/dx = (logit x − logit y)·cbern_var(x)/(x(1 − x)) (0 at x = y)."""

    nargs = 2

    @classmethod
    def eval(cls, x, y):
        if x == y:
            return sp.S.Zero

    def elementary(self):
        x, y = self.args
        return _dmean_definition(cbern_logit(x).elementary() - cbern_logit(y).elementary(), x)

    def _eval_evalf(self, prec):
        x, y = self.args
        if not (x.is_number and y.is_number):
            return None
        x, y = (sp.Rational(a) if a.is_Float else a for a in (x, y))
        if x == y:
            return sp.Float(0, precision=prec)
        # the logits cancel by ~log₂|y − x| bits near x = y
        extra = int(max(0, -sp.log(abs(y - x), 2).evalf(5))) + 20
        w = (2 * sp.atanh(2 * x - 1) - 2 * sp.atanh(2 * y - 1)).evalf(prec_to_dps_(prec + extra) + 10)
        return _weighted_evalf(w, x, prec)

    def fdiff(self, argindex=1):
        x, y = self.args
        if argindex == 2:
            return -cbern_dmean(1, x) / (y * (1 - y))
        # η′(x)·μ′(x) + (η_x − η_y)·μ″(x)
        return cbern_dmean(1, x) / (x * (1 - x)) + (cbern_logit(x) - cbern_logit(y)) * cbern_dmean(1, x).diff(x)


__all__ += ["cbern_dxent", "cbern_dkl"]
