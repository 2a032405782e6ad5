r"""Stable special functions as SymPy functions.

Each is an ordinary ``sympy.Function`` with

* an exact **elementary definition** (``elementary()``), which is what proofs and the ground truth use;
* a derivative (``fdiff``) written with the same stable functions;
* mpmath evaluation (``_eval_evalf`` via the elementary form, which mpmath evaluates at any precision);
* numeric implementations for numpy, scipy, math, mpmath and torch in :mod:`symce.numeric.impl`.

=================  ==========================================  =============================================
function           definition                                  why it exists
=================  ==========================================  =============================================
softplus(x)        log(1 + e^x)                                e^x overflows for x > 709.78
log_sigmoid(x)     log σ(x) = −log(1 + e^{−x})                 σ(x) rounds to 0 or 1, log then gives −inf/0
xlogy(x, y)        x log y, and 0 where x = 0                  0·log 0 = 0 (the entropy convention)
xlog1py(x, y)      x log(1 + y), and 0 where x = 0             log(1 − p) for tiny p loses every digit
logsumexp(x, …)    log Σ e^{x_i}                               overflow/underflow; exact max-shift
log1pmx(x)         log(1 + x) − x                              cancels for small x (≈ −x²/2)
log1pmx_ratio(a,b) log(a/b) − a/b + 1  = log1pmx(a/b − 1)      the scale part of normal KL, near a = b
kl_div(x, y)       x log(x/y) − x + y  (≥ 0; 0 where x = 0)    relative entropy terms, near x = y
diff_ratio(a,b,s)  (a − b)/s                                   a − b overflows for a ≈ −b ≈ 1e308
log_offset(x, c)   log x + c (c a constant)                    cancels near x = e^{−c}
fsum(x, …)         x₁ + x₂ + …                                 compensated summation of a small remainder
softmax_xent(t,z)  Σ t_i (logsumexp z − z_i)                   softmax CE: no cancellation, no overflow
rel_entr_sum(p,q)  Σ p_i log(p_i/q_i)                          categorical KL near p = q, off the simplex
softmax(a; z…)     e^a / Σ e^{z_j}                             e^{z_j} overflows, ∞/∞ = NaN; exact max-shift
softmax_kl(x, y)   KL(softmax x ‖ softmax y)                   logit KL near x = y (up to a shift): cancels
log1p(x)           log(1 + x)                                  log(1 − p) for tiny p loses every digit
wprod(w, v)        w·v for a weight w = σ(a) or softmax(a; z)  w rounds to 0 (or a subnormal) below e^{−708}
                                                               where w·v does not: 0·log 0 = 0, not +∞
prob_logit_kl(p,z) Σ p_i log(p_i / softmax(z)_i)              KL(probabilities ‖ logits) near p = softmax z
logit_prob_kl(z,q) Σ s_i log(s_i / q_i), s = softmax(z)        KL(logits ‖ probabilities) near softmax z = q
exact_rational(R) R (a rational function of the inputs)      triangular-solve residuals cancel, products
                                                               overflow: correctly rounded evaluation
logprod_offset     Σ log x_i + c (c a constant)                Π x_i overflows; cancels near Π x_i = e^{−c}
=================  ==========================================  =============================================
"""

from __future__ import annotations

import sympy as sp

from symce.core.special import sigmoid


class StableFunction(sp.Function):
    """Base: a function with an exact elementary definition used for proofs and evaluation."""

    def elementary(self) -> sp.Expr:  # pragma: no cover - each subclass defines it
        raise NotImplementedError

    def _eval_evalf(self, prec):
        return to_elementary(self.elementary())._eval_evalf(prec)

    def _eval_rewrite_as_log(self, *args, **kwargs):
        return self.func(*args).elementary()

    def _eval_rewrite_as_exp(self, *args, **kwargs):
        return self.func(*args).elementary()

    def _eval_is_real(self):
        return True if all(a.is_real for a in self.args) else None

    def _latex_body(self, printer) -> str:
        """The function applied to its arguments; subclasses with a textbook notation override it."""
        args = ", ".join(printer._print(a) for a in self.args)
        return r"\operatorname{%s}\left(%s\right)" % (type(self).__name__, args)

    def _latex(self, printer, exp=None):
        # one place for powers, so no subclass can drop the exponent
        body = self._latex_body(printer)
        return body if exp is None else r"\left(%s\right)^{%s}" % (body, exp)


class softplus(StableFunction):  # noqa: N801 - SymPy function classes are lower case
    """softplus(x) = log(1 + e^x)."""

    nargs = 1

    @classmethod
    def eval(cls, x):
        if x.is_zero:
            return sp.log(2)
        if x is sp.oo:
            return sp.oo
        if x is sp.S.NegativeInfinity:
            return sp.S.Zero

    def elementary(self):
        return sp.log(1 + sp.exp(self.args[0]))

    def fdiff(self, argindex=1):
        return sigmoid(self.args[0])

    def _eval_is_positive(self):
        return True if self.args[0].is_real else None

    def _latex_body(self, printer):
        return r"\operatorname{softplus}\left(%s\right)" % printer._print(self.args[0])


class log_sigmoid(StableFunction):  # noqa: N801
    """log σ(x) = −log(1 + e^{−x}) = −softplus(−x)."""

    nargs = 1

    @classmethod
    def eval(cls, x):
        if x.is_zero:
            return -sp.log(2)

    def elementary(self):
        return -sp.log(1 + sp.exp(-self.args[0]))

    def fdiff(self, argindex=1):
        return sigmoid(-self.args[0])

    def _eval_is_negative(self):
        return True if self.args[0].is_real else None

    def _latex_body(self, printer):
        return r"\log\sigma\left(%s\right)" % printer._print(self.args[0])


class xlogy(StableFunction):  # noqa: N801
    """x·log y, defined as 0 where x = 0 (so 0·log 0 = 0)."""

    nargs = 2

    @classmethod
    def eval(cls, x, y):
        if x.is_zero:
            return sp.S.Zero
        if y == 1:
            return sp.S.Zero

    def elementary(self):
        x, y = self.args
        return x * sp.log(y)

    def fdiff(self, argindex=1):
        x, y = self.args
        return sp.log(y) if argindex == 1 else x / y

    def _latex_body(self, printer):
        x, y = (printer._print(a) for a in self.args)
        return r"\operatorname{xlogy}\left(%s, %s\right)" % (x, y)


class xlog1py(StableFunction):  # noqa: N801
    """x·log(1 + y), defined as 0 where x = 0."""

    nargs = 2

    @classmethod
    def eval(cls, x, y):
        if x.is_zero or y.is_zero:
            return sp.S.Zero

    def elementary(self):
        x, y = self.args
        return x * sp.log(1 + y)

    def fdiff(self, argindex=1):
        x, y = self.args
        return sp.log(1 + y) if argindex == 1 else x / (1 + y)

    def _latex_body(self, printer):
        x, y = (printer._print(a) for a in self.args)
        return r"\operatorname{xlog1py}\left(%s, %s\right)" % (x, y)


class logsumexp(StableFunction):  # noqa: N801
    """log Σ_i e^{x_i} for any number of arguments (evaluated with an exact max-shift)."""

    @classmethod
    def eval(cls, *xs):
        if len(xs) == 0:
            return sp.S.NegativeInfinity
        if len(xs) == 1:
            return xs[0]

    def elementary(self):
        return sp.log(sp.Add(*[sp.exp(x) for x in self.args]))

    def fdiff(self, argindex=1):
        # ∂/∂x_i = softmax_i = e^{x_i − lse}
        return sp.exp(self.args[argindex - 1] - self)

    def _latex_body(self, printer):
        xs = ", ".join(printer._print(a) for a in self.args)
        return r"\operatorname{logsumexp}\left(%s\right)" % xs


class log1pmx(StableFunction):  # noqa: N801
    """log(1 + x) − x (≤ 0, ≈ −x²/2 near 0)."""

    nargs = 1

    @classmethod
    def eval(cls, x):
        if x.is_zero:
            return sp.S.Zero

    def elementary(self):
        x = self.args[0]
        return sp.log(1 + x) - x

    def fdiff(self, argindex=1):
        x = self.args[0]
        return -x / (1 + x)

    def _latex_body(self, printer):
        return r"\operatorname{log1pmx}\left(%s\right)" % printer._print(self.args[0])


class log1pmx_ratio(StableFunction):  # noqa: N801
    """log(a/b) − a/b + 1 = log1pmx(a/b − 1) for a, b > 0; evaluated from the exact difference a − b."""

    nargs = 2

    @classmethod
    def eval(cls, a, b):
        if a == b:
            return sp.S.Zero

    def elementary(self):
        a, b = self.args
        return sp.log(a) - sp.log(b) - a / b + 1

    def fdiff(self, argindex=1):
        a, b = self.args
        return 1 / a - 1 / b if argindex == 1 else (a - b) / b**2

    def _latex_body(self, printer):
        a, b = (printer._print(x) for x in self.args)
        return r"\operatorname{log1pmx}\left(\frac{%s}{%s} - 1\right)" % (a, b)


class kl_div(StableFunction):  # noqa: N801
    """x·log(x/y) − x + y (≥ 0 for x, y ≥ 0; 0 where x = 0 and y = 0). scipy.special.kl_div."""

    nargs = 2

    @classmethod
    def eval(cls, x, y):
        if x == y:
            return sp.S.Zero

    def elementary(self):
        x, y = self.args
        # log x − log y rather than log(x/y): identical for x, y > 0, and proofs then need no expand_log
        # (sympy.expand would expand the quotient inside the log argument instead)
        return x * (sp.log(x) - sp.log(y)) - x + y

    def fdiff(self, argindex=1):
        x, y = self.args
        return sp.log(x / y) if argindex == 1 else 1 - x / y

    def _latex_body(self, printer):
        x, y = (printer._print(a) for a in self.args)
        return r"\operatorname{kl}\left(%s, %s\right)" % (x, y)


class diff_ratio(StableFunction):  # noqa: N801
    """(a − b)/s, evaluated without the intermediate overflow of a − b."""

    nargs = 3

    def elementary(self):
        a, b, s = self.args
        return (a - b) / s

    def fdiff(self, argindex=1):
        a, b, s = self.args
        return [1 / s, -1 / s, -(a - b) / s**2][argindex - 1]

    def _latex_body(self, printer):
        a, b, s = (printer._print(x) for x in self.args)
        return r"\frac{%s - %s}{%s}" % (a, b, s)


class log_offset(StableFunction):  # noqa: N801
    """log x + c for a constant c, evaluated as log1p((x − e^{−c})/e^{−c}) near its zero x = e^{−c}
    with e^{−c} carried to double-double precision."""

    nargs = 2

    def elementary(self):
        x, c = self.args
        return sp.log(x) + c

    def fdiff(self, argindex=1):
        x, c = self.args
        return 1 / x if argindex == 1 else sp.S.One

    def _latex_body(self, printer):
        x, c = (printer._print(a) for a in self.args)
        return r"\left(\log %s + %s\right)" % (x, c)


class fsum(StableFunction):  # noqa: N801
    """x₁ + x₂ + … evaluated with compensated (Neumaier) summation: the Σ(p_i − q_i) remainder of a KL
    over float inputs that are only approximately on the simplex."""

    @classmethod
    def eval(cls, *xs):
        if len(xs) == 1:
            return xs[0]

    def elementary(self):
        return sp.Add(*self.args)

    def fdiff(self, argindex=1):
        return sp.S.One

    def _latex_body(self, printer):
        return r"\left(%s\right)" % " + ".join(printer._print(a) for a in self.args)


class rel_entr_sum(StableFunction):  # noqa: N801
    """Σ_i p_i log(p_i/q_i), arguments (p₁…p_k, q₁…q_k): a categorical KL for inputs that need not lie
    exactly on the simplex. Each term is evaluated as kl_div(p_i, q_i) − (q_i − p_i) where q_i is within a
    factor 5 of p_i (the differences p_i − q_i as exact TwoSum pairs) and as p_i log(p_i/q_i) elsewhere, all
    in one compensated sum; columns whose terms still cancel by more than 4× are recomputed in long double,
    or exactly (numpy: :func:`symce.numeric.impl.fast`)."""

    @classmethod
    def eval(cls, *args):
        if len(args) % 2:
            raise TypeError("rel_entr_sum takes 2k arguments: p_1..p_k, q_1..q_k")

    def elementary(self):
        k = len(self.args) // 2
        p, q = self.args[:k], self.args[k:]
        return sp.Add(*[pi * (sp.log(pi) - sp.log(qi)) for pi, qi in zip(p, q)])

    def fdiff(self, argindex=1):
        k = len(self.args) // 2
        p, q = self.args[:k], self.args[k:]
        if argindex <= k:
            i = argindex - 1
            return sp.log(p[i]) - sp.log(q[i]) + 1
        i = argindex - k - 1
        return -p[i] / q[i]

    def _latex_body(self, printer):
        k = len(self.args) // 2
        terms = [r"%s \log\frac{%s}{%s}" % (printer._print(a), printer._print(a), printer._print(b))
                 for a, b in zip(self.args[:k], self.args[k:])]
        return r"\left(%s\right)" % " + ".join(terms)


class softmax_xent(StableFunction):  # noqa: N801
    """Σ_i t_i·(logsumexp(z) − z_i) = −Σ_i t_i log softmax(z)_i, arguments (t₁…t_k, z₁…z_k).

    Evaluated as Σ_i t_i·((m − z_i) + log1p(S)) with m = max z and S = Σ_{i ≠ argmax} e^{z_i − m}: every term
    is ≥ 0 for t ≥ 0, so nothing cancels (log_softmax − then − multiply returns exactly 0 once the winning
    logit leads by ~37, where the value is as small as e^{−lead})."""

    @classmethod
    def eval(cls, *args):
        if len(args) % 2:
            raise TypeError("softmax_xent takes 2k arguments: t_1..t_k, z_1..z_k")

    @property
    def k(self):
        return len(self.args) // 2

    def elementary(self):
        t, z = self.args[: self.k], self.args[self.k:]
        lse = sp.log(sp.Add(*[sp.exp(v) for v in z]))
        return sp.Add(*[ti * (lse - zi) for ti, zi in zip(t, z)])

    def fdiff(self, argindex=1):
        k = self.k
        t, z = self.args[:k], self.args[k:]
        lse = logsumexp(*z)
        if argindex <= k:
            return lse - z[argindex - 1]
        j = argindex - k - 1
        return sp.Add(*t) * sp.exp(z[j] - lse) - t[j]

    def _latex_body(self, printer):
        k = self.k
        t = ", ".join(printer._print(a) for a in self.args[:k])
        z = ", ".join(printer._print(a) for a in self.args[k:])
        return r"\operatorname{xent}\left((%s), (%s)\right)" % (t, z)


class logit_xent(StableFunction):  # noqa: N801
    """Σ_i softmax(x)_i·(logsumexp(z) − z_i), arguments (x₁…x_k, z₁…z_k): the cross-entropy of a categorical
    with logits x against one with logits z, and its entropy for z = x. softmax_xent of the softmax weights
    has the same value, but its weights are rounded floats: below e^{−745} they are 0 and below e^{−708}
    subnormal, where s_j·gap_j still matters (e^{−746}·1e308 = e^{−37}). The implementation gets the logits
    and carries those weights scaled by a power of 2."""

    @classmethod
    def eval(cls, *args):
        if len(args) % 2:
            raise TypeError("logit_xent takes 2k arguments: x_1..x_k, z_1..z_k")

    def elementary(self):
        k = len(self.args) // 2
        x, z = self.args[:k], self.args[k:]
        sx = sp.Add(*[sp.exp(v) for v in x])
        lse = sp.log(sp.Add(*[sp.exp(v) for v in z]))
        return sp.Add(*[sp.exp(xi) / sx * (lse - zi) for xi, zi in zip(x, z)])

    def fdiff(self, argindex=1):
        k = len(self.args) // 2
        x, z = self.args[:k], self.args[k:]
        s = [softmax(xi, *x) for xi in x]
        if argindex > k:  # ∂/∂z_j = softmax(z)_j − s_j
            j = argindex - k - 1
            return softmax(z[j], *z) - s[j]
        j = argindex - 1  # ∂/∂x_j = s_j (g_j − Σ s_i g_i), g_i = logsumexp(z) − z_i
        g = [logsumexp(*z) - zi for zi in z]
        return s[j] * (g[j] - sp.Add(*[si * gi for si, gi in zip(s, g)]))

    def _latex_body(self, printer):
        k = len(self.args) // 2
        x = ", ".join(printer._print(a) for a in self.args[:k])
        z = ", ".join(printer._print(a) for a in self.args[k:])
        return r"\operatorname{xent}\left(\operatorname{softmax}(%s), (%s)\right)" % (x, z)


class softmax(StableFunction):  # noqa: N801
    """softmax(a; z₁…z_k) = e^a / Σ_j e^{z_j}, arguments (a, z₁…z_k) with a one of the z_j: the probability
    a categorical with logits z gives to the class of logit a. Evaluated as e^{a − m}/Σ_j e^{z_j − m} with
    m = max z (the shift's rounding error put back), so no e^{z} overflows and large logits give no ∞/∞."""

    @classmethod
    def eval(cls, *args):
        if len(args) < 2:
            raise TypeError("softmax takes (a, z_1, …, z_k)")
        if len(args) == 2:
            return sp.S.One

    def elementary(self):
        a, zs = self.args[0], self.args[1:]
        return sp.exp(a) / sp.Add(*[sp.exp(z) for z in zs])

    def fdiff(self, argindex=1):
        a, zs = self.args[0], self.args[1:]
        if argindex == 1:
            return self
        return -self * softmax(zs[argindex - 2], *zs)

    def _eval_is_positive(self):
        return True if all(x.is_real for x in self.args) else None

    def _latex_body(self, printer):
        a = printer._print(self.args[0])
        zs = ", ".join(printer._print(z) for z in self.args[1:])
        return r"\operatorname{softmax}_{%s}\left(%s\right)" % (a, zs)


class softmax_kl(StableFunction):  # noqa: N801
    """KL(softmax x ‖ softmax y) = Σ_i softmax(x)_i (x_i − y_i) − logsumexp(x) + logsumexp(y), arguments
    (x₁…x_k, y₁…y_k); k = 2 with x₂ = y₂ = 0 is the Bernoulli logit KL.

    Evaluated from the differences δ_i = (x_i − y_i) − (x_r − y_r) (r = argmax x, double-length) as
    log1p(Σ_j s_j (e^{c_j} − 1 − c_j)) with c_j = Σ_i s_i δ_i − δ_j: every term ≥ 0 (Σ s_j c_j = 0 is used
    exactly), so nothing cancels near x = y + const; where some c_j is too large for e^{c_j} it is
    Σ_i s_i δ_i + (logsumexp y − y_r) − (logsumexp x − x_r), which then does not cancel."""

    @classmethod
    def eval(cls, *args):
        if len(args) % 2:
            raise TypeError("softmax_kl takes 2k arguments: x_1..x_k, y_1..y_k")

    def elementary(self):
        k = len(self.args) // 2
        x, y = self.args[:k], self.args[k:]
        sx = sp.Add(*[sp.exp(v) for v in x])
        return (sp.Add(*[sp.exp(xi) * (xi - yi) for xi, yi in zip(x, y)]) / sx - sp.log(sx)
                + sp.log(sp.Add(*[sp.exp(v) for v in y])))

    def fdiff(self, argindex=1):
        k = len(self.args) // 2
        x, y = self.args[:k], self.args[k:]
        if argindex > k:  # ∂/∂y_j = softmax(y)_j − softmax(x)_j
            j = argindex - k - 1
            return softmax(y[j], *y) - softmax(x[j], *x)
        j = argindex - 1  # ∂/∂x_j = s_j (d_j − Σ s_i d_i), d = x − y
        s = [softmax(xi, *x) for xi in x]
        dbar = sp.Add(*[si * (xi - yi) for si, xi, yi in zip(s, x, y)])
        return s[j] * ((x[j] - y[j]) - dbar)

    def _latex_body(self, printer):
        k = len(self.args) // 2
        x = ", ".join(printer._print(a) for a in self.args[:k])
        y = ", ".join(printer._print(a) for a in self.args[k:])
        return r"\operatorname{KL}_{\mathrm{softmax}}\left((%s), (%s)\right)" % (x, y)


class log1p(StableFunction):  # noqa: N801
    """log(1 + x) (the factor of a positive weight in :class:`wprod`; xlog1py is the weighted form)."""

    nargs = 1

    @classmethod
    def eval(cls, x):
        if x.is_zero:
            return sp.S.Zero

    def elementary(self):
        return sp.log(1 + self.args[0])

    def fdiff(self, argindex=1):
        return 1 / (1 + self.args[0])

    def _latex_body(self, printer):
        return r"\log\left(1 + %s\right)" % printer._print(self.args[0])


class wprod(StableFunction):  # noqa: N801
    """w·v where the weight w is σ(a) or softmax(a; z) of finite logits — never exactly 0.

    In float64 w rounds to a subnormal or to 0 once a logit gap exceeds ~708, and then w·v is wrong by
    hundreds of ULP (subnormal w) or entirely: 0·log 0 gives 0 (xlogy's convention) or NaN where the exact
    value is ∞, and 0·1e308 gives 0 where it is e^{−800}·1e308. The lowering passes the logits along, and
    where w < 2^−1022 the product is evaluated from them in extended range (long double, or
    sign(v)·e^{log w + log|v|})."""

    nargs = 2

    @classmethod
    def eval(cls, w, v):
        if v.is_zero:
            return sp.S.Zero

    def elementary(self):
        w, v = self.args
        return w * v

    def fdiff(self, argindex=1):
        w, v = self.args
        return v if argindex == 1 else w

    def _latex_body(self, printer):
        w, v = (printer._print(a) for a in self.args)
        return r"%s \, %s" % (w, v)


class prob_logit_kl(StableFunction):  # noqa: N801
    """Σ_i p_i (log p_i − log softmax(z)_i) = KL(p ‖ softmax z), arguments (p₁…p_k, z₁…z_k): the KL of a
    categorical with probabilities against one with logits (k = 2 with z₂ = 0: Bernoulli against
    Bernoulli-logit). The definition keeps Σ p_i as the weight of logsumexp(z), so it is exact for float
    inputs slightly off the simplex too.

    Evaluated from the logit differences δ_i = log(p_i/p_r) − (z_i − z_r) (r = argmax p; the log ratio in
    extended precision, z_i − z_r double-length) as S·log1p(ε + Σ_j p_j φ(c_j)) with S = Σ p, ε = S − 1
    (compensated), m = Σ p_i δ_i / S, c_j = m − δ_j, φ(c) = e^c − 1 − c ≥ 0: every term but ε is ≥ 0 and
    Σ p_j c_j = 0 is used exactly, so nothing cancels near p = softmax z (Σ p_i log p_i against the
    cross-entropy: every digit lost)."""

    @classmethod
    def eval(cls, *args):
        if len(args) % 2:
            raise TypeError("prob_logit_kl takes 2k arguments: p_1..p_k, z_1..z_k")

    def elementary(self):
        k = len(self.args) // 2
        p, z = self.args[:k], self.args[k:]
        lse = sp.log(sp.Add(*[sp.exp(v) for v in z]))
        return sp.Add(*[pi * (sp.log(pi) - zi) for pi, zi in zip(p, z)]) + sp.Add(*p) * lse

    def fdiff(self, argindex=1):
        k = len(self.args) // 2
        p, z = self.args[:k], self.args[k:]
        if argindex <= k:  # ∂/∂p_i = log p_i + 1 − log softmax(z)_i
            i = argindex - 1
            return sp.log(p[i]) + 1 - z[i] + logsumexp(*z)
        j = argindex - k - 1  # ∂/∂z_j = (Σ p) softmax(z)_j − p_j
        return sp.Add(*p) * softmax(z[j], *z) - p[j]

    def _latex_body(self, printer):
        k = len(self.args) // 2
        p = ", ".join(printer._print(a) for a in self.args[:k])
        z = ", ".join(printer._print(a) for a in self.args[k:])
        return r"\operatorname{KL}\left((%s) \,\middle\|\, \operatorname{softmax}(%s)\right)" % (p, z)


class logit_prob_kl(StableFunction):  # noqa: N801
    """Σ_i s_i (log s_i − log q_i) with s = softmax(z) = KL(softmax z ‖ q), arguments (z₁…z_k, q₁…q_k): the
    KL of a categorical with logits against one with probabilities (k = 2 with z₂ = 0: Bernoulli-logit
    against Bernoulli). Exact to its definition for q slightly off the simplex.

    Evaluated like :class:`prob_logit_kl` with the roles swapped: δ_i = (z_i − z_r) − log(q_i/q_r)
    (r = argmax q), m = Σ s_i δ_i, c_j = m − δ_j, KL = log1p((Σ_j s_j φ(c_j) − ε)/Q) with Q = Σ q,
    ε = Q − 1; a zero q_j gives +∞ (s_j > 0 exactly)."""

    @classmethod
    def eval(cls, *args):
        if len(args) % 2:
            raise TypeError("logit_prob_kl takes 2k arguments: z_1..z_k, q_1..q_k")

    def elementary(self):
        k = len(self.args) // 2
        z, q = self.args[:k], self.args[k:]
        den = sp.Add(*[sp.exp(v) for v in z])
        lse = sp.log(den)
        return sp.Add(*[sp.exp(zi) / den * (zi - lse - sp.log(qi)) for zi, qi in zip(z, q)])

    def fdiff(self, argindex=1):
        k = len(self.args) // 2
        z, q = self.args[:k], self.args[k:]
        s = [softmax(zi, *z) for zi in z]
        if argindex > k:  # ∂/∂q_j = −s_j/q_j
            j = argindex - k - 1
            return -s[j] / q[j]
        j = argindex - 1  # ∂/∂z_j = s_j (g_j − Σ s_i g_i), g_i = log s_i − log q_i
        g = [zi - logsumexp(*z) - sp.log(qi) for zi, qi in zip(z, q)]
        return s[j] * (g[j] - sp.Add(*[si * gi for si, gi in zip(s, g)]))

    def _latex_body(self, printer):
        k = len(self.args) // 2
        z = ", ".join(printer._print(a) for a in self.args[:k])
        q = ", ".join(printer._print(a) for a in self.args[k:])
        return r"\operatorname{KL}\left(\operatorname{softmax}(%s) \,\middle\|\, (%s)\right)" % (z, q)


class exact_rational(StableFunction):  # noqa: N801
    """A rational function R of the inputs (numbers, +, ·, integer powers), evaluated correctly rounded:
    extended-range double-double with a running error bound, and exact rational arithmetic where the bound
    is too loose (:mod:`symce.numeric.impl.extended`). The Gaussian KL's ½‖L₂⁻¹(μ₂ − μ₁)‖² + ½‖L₂⁻¹L₁‖²_F
    terms: residuals x − Σ lⱼyⱼ of triangular solves cancel, and their products overflow where the value
    does not (∞ − ∞ = NaN where the KL is +∞)."""

    nargs = 1

    def elementary(self):
        return self.args[0]

    def fdiff(self, argindex=1):
        return sp.S.One

    def lowering(self, names):
        """(numpy kernel bound to the expression, its arguments) for the code generator."""
        from symce.numeric.impl.extended import rational_kernel

        args = tuple(sorted(self.args[0].free_symbols, key=sp.default_sort_key))
        return rational_kernel(self.args[0], args), args

    def _latex_body(self, printer):
        return r"\left(%s\right)" % printer._print(self.args[0])


class logprod_offset(StableFunction):  # noqa: N801
    """Σᵢ log xᵢ + c for positive xᵢ and a constant c, arguments (x₁…x_k, c): log Π xᵢ with the mantissas
    multiplied and the exponents summed as integers (Π xᵢ overflows where the sum does not), and near
    its root Π xᵢ = e^{−c} as log1p of the exact relative difference (the entropy of a d-dimensional
    Gaussian, log L₁₁ + log L₂₂ + 1 + log 2π, cancels there)."""

    @classmethod
    def eval(cls, *args):
        if len(args) < 2:
            raise TypeError("logprod_offset takes (x_1, …, x_k, c)")

    def elementary(self):
        return sp.Add(*[sp.log(x) for x in self.args[:-1]]) + self.args[-1]

    def fdiff(self, argindex=1):
        if argindex == len(self.args):
            return sp.S.One
        return 1 / self.args[argindex - 1]

    def lowering(self, names):
        import functools

        from symce.numeric.impl.extended import logprod_offset as kernel, offset_constants

        c = self.args[-1]
        if c.free_symbols:
            return names["logprod_offset"], self.args
        return functools.partial(kernel, **offset_constants(c)), self.args[:-1]

    def _latex_body(self, printer):
        logs = " + ".join(r"\log %s" % printer._print(x) for x in self.args[:-1])
        return r"\left(%s + %s\right)" % (logs, printer._print(self.args[-1]))


class rational_log_sum(StableFunction):  # noqa: N801
    """K + R₀ + Σᵢ cᵢ log Rᵢ, arguments (K, R₀, c₁, R₁, …, c_k, R_k): a constant K, rational functions R₀ and
    Rᵢ > 0 of the inputs, dyadic rational cᵢ — a whole Gaussian entropy, cross-entropy or KL with Σ given
    by its entries (½ log det Σ, det Σ = Σ₁₁Σ₂₂ − Σ₁₂² overflows and cancels; tr − d − log det cancels near
    P = Q). Evaluated with every Rᵢ as mantissa·2^exponent in double-double (log Rᵢ = log Mᵢ + Eᵢ log 2),
    and exactly (fractions, then mpmath at rising precision) where the error bound is loose
    (:mod:`symce.numeric.impl.extended`)."""

    @classmethod
    def eval(cls, *args):
        if len(args) < 4 or len(args) % 2:
            raise TypeError("rational_log_sum takes (K, R0, c_1, R_1, …, c_k, R_k)")

    def elementary(self):
        K, R0, *cr = self.args
        return K + R0 + sp.Add(*[c * sp.log(R) for c, R in zip(cr[::2], cr[1::2])])

    def fdiff(self, argindex=1):
        if argindex <= 2:
            return sp.S.One
        i = argindex - 3
        cr = self.args[2:]
        return sp.log(cr[i + 1]) if i % 2 == 0 else cr[i - 1] / cr[i]

    def lowering(self, names):
        from symce.numeric.impl.extended import logsum_kernel

        K, R0, *cr = self.args
        args = tuple(sorted(self.free_symbols, key=sp.default_sort_key))
        return logsum_kernel(K, R0, tuple(zip(cr[::2], cr[1::2])), args), args

    def _latex_body(self, printer):
        K, R0, *cr = self.args
        logs = " + ".join(r"%s \log\left(%s\right)" % (printer._print(c), printer._print(R))
                          for c, R in zip(cr[::2], cr[1::2]))
        return r"\left(%s + %s + %s\right)" % (printer._print(K), printer._print(R0), logs)


STABLE_FUNCTIONS = (softplus, log_sigmoid, xlogy, xlog1py, logsumexp, log1pmx, log1pmx_ratio, kl_div,
                    diff_ratio, log_offset, fsum, softmax_xent, logit_xent, rel_entr_sum, softmax, softmax_kl, log1p, wprod,
                    prob_logit_kl, logit_prob_kl, exact_rational, logprod_offset, rational_log_sum)


def to_elementary(expr):
    """Replace every stable function (and σ) by its elementary definition, innermost first."""
    if not isinstance(expr, sp.Basic):
        return expr
    if isinstance(expr, sp.MatrixBase):
        return expr.applyfunc(to_elementary)

    def rule(e):
        if isinstance(e, StableFunction):
            return e.elementary()
        if isinstance(e, sigmoid):
            return e.rewrite(sp.exp)
        return e

    prev = None
    while prev != expr:  # elementary forms never contain stable functions, one pass is enough; loop for safety
        prev, expr = expr, expr.replace(lambda e: isinstance(e, (StableFunction, sigmoid)), rule)
    return expr


__all__ = ["StableFunction", "softplus", "log_sigmoid", "xlogy", "xlog1py", "logsumexp", "log1pmx",
           "log1pmx_ratio", "kl_div", "diff_ratio", "log_offset", "fsum", "softmax_xent", "logit_xent", "rel_entr_sum", "softmax", "softmax_kl", "log1p", "wprod", "prob_logit_kl", "logit_prob_kl",
           "exact_rational", "logprod_offset", "rational_log_sum",
           "STABLE_FUNCTIONS",
           "to_elementary"]
