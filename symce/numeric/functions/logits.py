r"""The stable functions of categorical distributions: functions of two k-vectors of probabilities or logits
(relative entropy off the simplex, softmax cross-entropy, the KL between logits, between probabilities and
logits and back) and softmax(a; z) = eᵃ/Σⱼ e^{zⱼ} itself, each evaluated without the overflow of e^{z}
and without the cancellation of its terms near equal distributions.
"""

from __future__ import annotations

import sympy as sp

from symce.numeric.functions.base import StableFunction
from symce.numeric.functions.elementary import logsumexp


class PairedFunction(StableFunction):
    """A function of two k-vectors, arguments (x₁…x_k, y₁…y_k); ``halves`` names them in the error an odd
    number of arguments raises."""

    halves = ("x", "y")

    @classmethod
    def eval(cls, *args):
        if len(args) % 2:
            a, b = cls.halves
            raise TypeError(f"{cls.__name__} takes 2k arguments: {a}_1..{a}_k, {b}_1..{b}_k")

    @property
    def k(self) -> int:
        return len(self.args) // 2

    def pair(self) -> tuple:
        """(x, y): the two vectors of arguments."""
        return self.args[: self.k], self.args[self.k:]


class rel_entr_sum(PairedFunction):  # noqa: N801
    """Σ_i p_i log(p_i/q_i), arguments (p₁…p_k, q₁…q_k): a categorical KL for inputs that need not lie
    exactly on the simplex. Each term is evaluated as kl_div(p_i, q_i) − (q_i − p_i) where q_i is within a
    factor 5 of p_i (the differences p_i − q_i as exact TwoSum pairs) and as p_i log(p_i/q_i) elsewhere, all
    in one compensated sum; columns whose terms still cancel by more than 4× are recomputed in long double,
    or exactly (numpy: :func:`symce.numeric.impl.fast`)."""

    halves = ("p", "q")

    def elementary(self):
        p, q = self.pair()
        return sp.Add(*[pi * (sp.log(pi) - sp.log(qi)) for pi, qi in zip(p, q)])

    def fdiff(self, argindex=1):
        k = self.k
        p, q = self.pair()
        if argindex <= k:
            i = argindex - 1
            return sp.log(p[i]) - sp.log(q[i]) + 1
        i = argindex - k - 1
        return -p[i] / q[i]


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


class softmax_rest(StableFunction):  # noqa: N801
    """softmax_rest(a; z₁…z_k) = 1 − softmax(a; z) = Σ_{j≠i} e^{z_j} / Σ_j e^{z_j}, arguments as softmax's (a the
    logit z_i of one class): the probability of the other classes. 1 − s_i rounds to 0 once class i dominates
    (a gap of 37), and the sum of the k − 1 other softmax kernels adds k − 1 roundings (softmax cross-entropy
    gradient s_i − p_i = s_i(1 − p_i) − p_i(1 − s_i): 5–7 ULP at k = 10); the kernel sums the other classes'
    shifted exponentials once (compensated), ≤ 2 ULP."""

    @classmethod
    def eval(cls, *args):
        if len(args) < 2:
            raise TypeError("softmax_rest takes (a, z_1, …, z_k)")
        if len(args) == 2:
            return sp.S.Zero

    def elementary(self):
        a, zs = self.args[0], self.args[1:]
        return 1 - sp.exp(a) / sp.Add(*[sp.exp(z) for z in zs])

    def fdiff(self, argindex=1):
        a, zs = self.args[0], self.args[1:]
        if argindex == 1:
            return -softmax(a, *zs)
        return softmax(a, *zs) * softmax(zs[argindex - 2], *zs)

    def _eval_is_positive(self):
        return True if all(x.is_real for x in self.args) else None


class softmax_var(StableFunction):  # noqa: N801
    """softmax_var(a; z₁…z_k) = s(1 − s) for s = softmax(a; z), arguments as softmax's: the Hessian diagonal of the
    softmax cross-entropy (the variance of the class indicator). The product of the two kernels adds their errors
    (5–6 ULP at k = 10); here e^{a − m}·R/D² with R = Σ_{j≠i} e^{z_j − m} compensated and D = e^{a − m} + R carried
    to double length, ≤ 3 ULP."""

    @classmethod
    def eval(cls, *args):
        if len(args) < 2:
            raise TypeError("softmax_var takes (a, z_1, …, z_k)")
        if len(args) == 2:
            return sp.S.Zero

    def elementary(self):
        a, zs = self.args[0], self.args[1:]
        s = sp.exp(a) / sp.Add(*[sp.exp(z) for z in zs])
        return s * (1 - s)

    def fdiff(self, argindex=1):
        a, zs = self.args[0], self.args[1:]
        s, r = softmax(a, *zs), softmax_rest(a, *zs)
        if argindex == 1:
            return s * (r - s)
        return -s * softmax(zs[argindex - 2], *zs) * (r - s)

    def _eval_is_positive(self):
        return True if all(x.is_real for x in self.args) else None


class softmax_xent(PairedFunction):  # noqa: N801
    """Σ_i t_i·(logsumexp(z) − z_i) = −Σ_i t_i log softmax(z)_i, arguments (t₁…t_k, z₁…z_k).

    Evaluated as Σ_i t_i·((m − z_i) + log1p(S)) with m = max z and S = Σ_{i ≠ argmax} e^{z_i − m}: every term
    is ≥ 0 for t ≥ 0, so nothing cancels (log_softmax − then − multiply returns exactly 0 once the winning
    logit leads by ~37, where the value is as small as e^{−lead})."""

    halves = ("t", "z")

    def elementary(self):
        t, z = self.pair()
        lse = sp.log(sp.Add(*[sp.exp(v) for v in z]))
        return sp.Add(*[ti * (lse - zi) for ti, zi in zip(t, z)])

    def fdiff(self, argindex=1):
        k = self.k
        t, z = self.pair()
        lse = logsumexp(*z)
        if argindex <= k:
            return lse - z[argindex - 1]
        j = argindex - k - 1
        return sp.Add(*t) * sp.exp(z[j] - lse) - t[j]


class logit_xent(PairedFunction):  # noqa: N801
    """Σ_i softmax(x)_i·(logsumexp(z) − z_i), arguments (x₁…x_k, z₁…z_k): the cross-entropy of a categorical
    with logits x against one with logits z, and its entropy for z = x. softmax_xent of the softmax weights
    has the same value, but its weights are rounded floats: below e^{−745} they are 0 and below e^{−708}
    subnormal, where s_j·gap_j still matters (e^{−746}·1e308 = e^{−37}). The implementation gets the logits
    and carries those weights scaled by a power of 2."""

    halves = ("x", "z")

    def elementary(self):
        x, z = self.pair()
        sx = sp.Add(*[sp.exp(v) for v in x])
        lse = sp.log(sp.Add(*[sp.exp(v) for v in z]))
        return sp.Add(*[sp.exp(xi) / sx * (lse - zi) for xi, zi in zip(x, z)])

    def fdiff(self, argindex=1):
        k = self.k
        x, z = self.pair()
        s = [softmax(xi, *x) for xi in x]
        if argindex > k:  # ∂/∂z_j = softmax(z)_j − s_j
            j = argindex - k - 1
            return softmax(z[j], *z) - s[j]
        j = argindex - 1  # ∂/∂x_j = s_j (g_j − Σ s_i g_i), g_i = logsumexp(z) − z_i
        g = [logsumexp(*z) - zi for zi in z]
        return s[j] * (g[j] - sp.Add(*[si * gi for si, gi in zip(s, g)]))


class softmax_kl(PairedFunction):  # noqa: N801
    """KL(softmax x ‖ softmax y) = Σ_i softmax(x)_i (x_i − y_i) − logsumexp(x) + logsumexp(y), arguments
    (x₁…x_k, y₁…y_k); k = 2 with x₂ = y₂ = 0 is the Bernoulli logit KL.

    Evaluated from the differences δ_i = (x_i − y_i) − (x_r − y_r) (r = argmax x, double-length) as
    log1p(Σ_j s_j (e^{c_j} − 1 − c_j)) with c_j = Σ_i s_i δ_i − δ_j: every term ≥ 0 (Σ s_j c_j = 0 is used
    exactly), so nothing cancels near x = y + const; where some c_j is too large for e^{c_j} it is
    Σ_i s_i δ_i + (logsumexp y − y_r) − (logsumexp x − x_r), which then does not cancel."""

    halves = ("x", "y")

    def elementary(self):
        x, y = self.pair()
        sx = sp.Add(*[sp.exp(v) for v in x])
        return (sp.Add(*[sp.exp(xi) * (xi - yi) for xi, yi in zip(x, y)]) / sx - sp.log(sx)
                + sp.log(sp.Add(*[sp.exp(v) for v in y])))

    def fdiff(self, argindex=1):
        k = self.k
        x, y = self.pair()
        if argindex > k:  # ∂/∂y_j = softmax(y)_j − softmax(x)_j
            j = argindex - k - 1
            return softmax(y[j], *y) - softmax(x[j], *x)
        j = argindex - 1  # ∂/∂x_j = s_j (d_j − Σ s_i d_i), d = x − y
        s = [softmax(xi, *x) for xi in x]
        dbar = sp.Add(*[si * (xi - yi) for si, xi, yi in zip(s, x, y)])
        return s[j] * ((x[j] - y[j]) - dbar)


class prob_logit_kl(PairedFunction):  # noqa: N801
    """Σ_i p_i (log p_i − log softmax(z)_i) = KL(p ‖ softmax z), arguments (p₁…p_k, z₁…z_k): the KL of a
    categorical with probabilities against one with logits (k = 2 with z₂ = 0: Bernoulli against
    Bernoulli-logit). The definition keeps Σ p_i as the weight of logsumexp(z), so it is exact for float
    inputs slightly off the simplex too.

    Evaluated from the logit differences δ_i = log(p_i/p_r) − (z_i − z_r) (r = argmax p; the log ratio in
    extended precision, z_i − z_r double-length) as S·log1p(ε + Σ_j p_j φ(c_j)) with S = Σ p, ε = S − 1
    (compensated), m = Σ p_i δ_i / S, c_j = m − δ_j, φ(c) = e^c − 1 − c ≥ 0: every term but ε is ≥ 0 and
    Σ p_j c_j = 0 is used exactly, so nothing cancels near p = softmax z (Σ p_i log p_i against the
    cross-entropy: every digit lost)."""

    halves = ("p", "z")

    def elementary(self):
        p, z = self.pair()
        lse = sp.log(sp.Add(*[sp.exp(v) for v in z]))
        return sp.Add(*[pi * (sp.log(pi) - zi) for pi, zi in zip(p, z)]) + sp.Add(*p) * lse

    def fdiff(self, argindex=1):
        k = self.k
        p, z = self.pair()
        if argindex <= k:  # ∂/∂p_i = log p_i + 1 − log softmax(z)_i
            i = argindex - 1
            return sp.log(p[i]) + 1 - z[i] + logsumexp(*z)
        j = argindex - k - 1  # ∂/∂z_j = (Σ p) softmax(z)_j − p_j
        return sp.Add(*p) * softmax(z[j], *z) - p[j]


class logit_prob_kl(PairedFunction):  # noqa: N801
    """Σ_i s_i (log s_i − log q_i) with s = softmax(z) = KL(softmax z ‖ q), arguments (z₁…z_k, q₁…q_k): the
    KL of a categorical with logits against one with probabilities (k = 2 with z₂ = 0: Bernoulli-logit
    against Bernoulli). Exact to its definition for q slightly off the simplex.

    Evaluated like :class:`prob_logit_kl` with the roles swapped: δ_i = (z_i − z_r) − log(q_i/q_r)
    (r = argmax q), m = Σ s_i δ_i, c_j = m − δ_j, KL = log1p((Σ_j s_j φ(c_j) − ε)/Q) with Q = Σ q,
    ε = Q − 1; a zero q_j gives +∞ (s_j > 0 exactly)."""

    halves = ("z", "q")

    def elementary(self):
        z, q = self.pair()
        den = sp.Add(*[sp.exp(v) for v in z])
        lse = sp.log(den)
        return sp.Add(*[sp.exp(zi) / den * (zi - lse - sp.log(qi)) for zi, qi in zip(z, q)])

    def fdiff(self, argindex=1):
        k = self.k
        z, q = self.pair()
        s = [softmax(zi, *z) for zi in z]
        if argindex > k:  # ∂/∂q_j = −s_j/q_j
            j = argindex - k - 1
            return -s[j] / q[j]
        j = argindex - 1  # ∂/∂z_j = s_j (g_j − Σ s_i g_i), g_i = log s_i − log q_i
        g = [zi - logsumexp(*z) - sp.log(qi) for zi, qi in zip(z, q)]
        return s[j] * (g[j] - sp.Add(*[si * gi for si, gi in zip(s, g)]))


__all__ = ["PairedFunction", "rel_entr_sum", "softmax", "softmax_rest", "softmax_var", "softmax_xent", "logit_xent", "softmax_kl", "prob_logit_kl",
           "logit_prob_kl"]
