r"""Loss variants used in practice, each a derivation with its gradient, proofs and stable numeric code.

* :func:`label_smoothing` — cross-entropy against smoothed targets t̃ = (1 − ε)t + ε/k (Szegedy et al.
  2016, §7), proved equal to (1 − ε)·H(t, q) + ε·H(u, q) with u uniform;
* :func:`weighted_cross_entropy` — −Σ_c α_c t_c log q_c = E_t[α(X)·(−log q(X))], class weights α;
* :func:`focal_loss` — −(1 − p_t)^γ log p_t for a binary logit (Lin et al. 2017), reducing to the
  binary cross-entropy at γ = 0 (proved);
* :func:`gaussian_nll_loss` — −log N(y; μ, v) of heteroscedastic regression (Nix & Weigend 1994), in the
  variance v or the log-variance s = log v.

Every cross-entropy here comes from the engine (:func:`symce.cross_entropy`, :func:`symce.engine.expectation`);
numeric code is ``symce.lambdify`` of the result (its stabilising rewrite turns log(1 + e^z) into softplus,
log Σ e^z into logsumexp, …).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import sympy as sp

from symce.core.quantity import Quantity
from symce.engine.derivation import Derivation, Expect, Step
from symce.errors import ArgumentTypeError, DimensionMismatchError, InvalidParameterError
from symce.core.family import as_expr, as_expr_list, check_interval
from symce.engine.expectation import expectation
from symce.engine.information import cross_entropy
from symce.engine.proof import prove
from symce.families import Bernoulli, Normal
from symce.families.categorical.family import Categorical
from symce.learning.empirical import nll
from symce.numeric import lambdify


@dataclass(frozen=True, eq=False)
class LossDerivation:
    """A loss: its derivation, its gradient(s), the proofs of its identities, and numeric code."""

    name: str
    loss: Derivation
    gradient: Derivation
    proofs: tuple = ()
    symbols: dict = field(default_factory=dict)

    def lambdify(self, backend: str = "numpy", what: str = "loss") -> Callable:
        """Stable numeric code of the loss (``what="loss"``) or of its gradient (``"gradient"``), with the
        argument order ``self.symbols["args"]``."""
        target = self.loss if what == "loss" else self.gradient
        return lambdify(target, self.symbols["args"], backend=backend)


def _classes(k, who):
    if isinstance(k, bool) or not isinstance(k, (int, sp.Integer)):
        raise ArgumentTypeError(f"{who}: the number of classes k must be an int ≥ 2, not {k!r}")
    if k < 2:
        raise InvalidParameterError(who, "k", k, "an integer ≥ 2 (number of classes)")
    return int(k)


def _eps(eps):
    e = as_expr(eps if eps is not None else sp.Symbol("epsilon", positive=True), family="label_smoothing",
                parameter="epsilon")
    check_interval("label_smoothing", "epsilon", e, sp.Interval(0, 1), "a smoothing weight in [0, 1]")
    return e


def _generic_ce(k, tname="u"):
    """H(Categorical(u), Categorical.from_logits(z)) derived by the engine at explicit k, u generic."""
    u = [sp.Symbol(f"{tname}{m}", positive=True) for m in range(1, k + 1)]
    Q = Categorical.from_logits(k=k)
    return cross_entropy(Categorical(u), Q), u, list(Q.entries)


# ---------------------------------------------------------------------------------------------------
def label_smoothing(k: int = 3, epsilon=None) -> LossDerivation:
    """H(t̃, softmax(z)) with t̃ = (1 − ε)t + ε/k, its gradient softmax(z) − t̃, and the proof of
    H(t̃, q) = (1 − ε)·H(t, q) + ε·H(u, q)."""
    k = _classes(k, "label_smoothing")
    eps = _eps(epsilon)
    ce, u, z = _generic_ce(k)
    t = [sp.Symbol(f"t{m}", positive=True) for m in range(1, k + 1)]
    smooth = {um: (1 - eps) * tm + eps / k for um, tm in zip(u, t)}
    result = sp.expand(ce.result.xreplace(smooth))
    steps = (*ce.steps,
             Step(result, "instantiate at the smoothed target t̃_m = (1 − ε)t_m + ε/k (a point of the simplex "
                          "when t is and 0 ≤ ε ≤ 1; the derived formula holds at every such point)"))
    cond = (sp.Eq(sp.Add(*t), 1, evaluate=False),)
    loss = Derivation("label_smoothing", Quantity.cross_entropy("t̃", "softmax(z)"), result, steps, ce.method, cond)
    # ∇_z through the categorical template's gradient (one generic class, instantiated): entrywise diff of
    # the explicit loss is quadratic in k (label_smoothing(k=200) ran for minutes); u does not depend on z
    g = ce.gradient(z)
    grad = Derivation("gradient", Quantity.derivative(loss.lhs, z, gradient=True),
                      sp.ImmutableMatrix(g.result.xreplace(smooth)),
                      (*g.steps, Step(g.result.xreplace(smooth), "at the smoothed target t̃")), g.method, cond)
    softmax = [sp.exp(zm) / sp.Add(*[sp.exp(zj) for zj in z]) for zm in z]
    p_grad = prove(grad.result, sp.ImmutableMatrix([s - smooth[um] for s, um in zip(softmax, u)]),
                   name="∇_z H(t̃, softmax z) = softmax(z) − t̃")
    ce_t = ce.result.xreplace(dict(zip(u, t)))
    ce_u = ce.result.xreplace({um: sp.Rational(1, k) for um in u})
    p_mix = prove(result, (1 - eps) * ce_t + eps * ce_u, cond,
                  name="H(t̃, q) = (1 − ε)·H(t, q) + ε·H(uniform, q)")
    return LossDerivation("label smoothing", loss, grad, (p_mix, p_grad),
                          {"t": t, "z": z, "epsilon": eps, "args": [*t, *z] + ([eps] if eps.free_symbols else [])})


def weighted_cross_entropy(k: int = 3, weights=None) -> LossDerivation:
    """−Σ_c α_c t_c log softmax(z)_c = E_t[α(X)·(−log q(X))] with α(x) = Σ_c α_c δ(x, c)."""
    k = _classes(k, "weighted_cross_entropy")
    if weights is None:
        alpha = [sp.Symbol(f"alpha{m}", positive=True) for m in range(1, k + 1)]
    else:
        alpha = as_expr_list(weights, family="weighted_cross_entropy", parameter="weights")
        if len(alpha) != k:
            raise DimensionMismatchError(f"weighted_cross_entropy: {len(alpha)} weights for k = {k} classes")
        for m, a in enumerate(alpha):
            check_interval("weighted_cross_entropy", f"weights[{m}]", a, sp.Interval(0, sp.oo), "a weight ≥ 0")
    t = [sp.Symbol(f"t{m}", positive=True) for m in range(1, k + 1)]
    P, Q = Categorical(t), Categorical.from_logits(k=k)
    x = P.variable()
    a_x = sp.Add(*[a * sp.KroneckerDelta(x, m) for m, a in enumerate(alpha, 1)])
    g = -a_x * Q.log_density(x)
    value, steps, rules = expectation(P, g, x)
    result = sp.collect(sp.expand(value), [sp.log(sp.Add(*[sp.exp(z) for z in Q.entries]))])
    loss = Derivation("weighted_cross_entropy", Quantity.named(
        Expect(-sp.Function("alpha")(x) * sp.log(sp.Function("q")(x))), text="E_t[α(X)(−log q(X))]"), result,
                      (Step(-sp.Symbol("E")*g, "definition: class-weighted cross-entropy"), *steps,
                       Step(result, "collect the log-partition")), "; ".join(sorted(rules)), tuple(P.conditions()))
    z = list(Q.entries)
    grad = loss.gradient(z)
    return LossDerivation("class-weighted cross-entropy", loss, grad, (),
                          {"t": t, "z": z, "alpha": alpha,
                           "args": [*t, *z] + [a for a in alpha if isinstance(a, sp.Symbol)]})


def focal_loss(gamma=None) -> LossDerivation:
    """FL = −(1 − p_t)^γ log p_t for Bernoulli.from_logit(z) and a label t ∈ {0, 1} (Lin et al. 2017)."""
    gam = as_expr(gamma if gamma is not None else sp.Symbol("gamma", nonnegative=True), family="focal_loss",
                  parameter="gamma")
    check_interval("focal_loss", "gamma", gam, sp.Interval(0, sp.oo), "a focusing parameter γ ≥ 0")
    z, t = sp.Symbol("z", real=True), sp.Symbol("t", integer=True, nonnegative=True)
    Q = Bernoulli.from_logit(z)
    log_pt = Q.log_density(t)                      # t·z − log(1 + e^z), from the family
    s = 2 * t - 1
    compact = -sp.log(1 + sp.exp(-s * z))          # log σ(s z), s = ±1
    checks = [sp.simplify(sp.expand_log((log_pt - compact).xreplace({t: v}), force=True)) for v in (0, 1)]
    if any(c != 0 for c in checks):  # pragma: no cover - a failed identity would be a bug of the family
        raise ArithmeticError(f"log p_t identity failed: {checks}")
    one_minus = 1 / (1 + sp.exp(s * z))            # 1 − σ(s z) = σ(−s z)
    # the γ = 0 identity is proved on the form with a symbolic γ: xreplace({γ: 0}) on a numeric γ would
    # replace that number wherever it occurs (γ = 2 also in s = 2t − 1), and γ = 10⁹ expanded for minutes
    g = sp.Dummy("gamma", nonnegative=True)
    generic = -(one_minus**g) * compact
    result = generic.xreplace({g: gam})
    steps = (Step(-(1 - sp.exp(log_pt))**gam * log_pt, "definition FL = −(1 − p_t)^γ log p_t with log p_t the "
                                                        "log-density of Bernoulli.from_logit(z) at the label"),
             Step(result, "for t ∈ {0, 1}, with s = 2t − 1: log p_t = log σ(sz) = −log(1 + e^{−sz}) and "
                          "1 − p_t = σ(−sz) (checked at t = 0 and t = 1)"))
    loss = Derivation("focal_loss", Quantity.named(sp.Function("FL")(z, t)), result, steps, "definition", (sp.Contains(t, sp.FiniteSet(0, 1)),))
    grad = loss.gradient(z)

    bce = cross_entropy(Bernoulli(sp.Symbol("t_", positive=True)), Q).result
    p0 = [prove(generic.xreplace({g: 0, t: v}), bce.xreplace({sp.Symbol("t_", positive=True): v}),
                name=f"FL at γ = 0 is the binary cross-entropy (t = {v})") for v in (0, 1)]
    return LossDerivation("focal loss", loss, grad, tuple(p0),
                          {"z": z, "t": t, "gamma": gam, "args": [z, t] + ([gam] if gam.free_symbols else [])})


def gaussian_nll_loss(parameterisation: str = "variance") -> LossDerivation:
    """−log N(y; μ, v) = H(δ_y, Normal(μ, √v)), derived through the empirical measure of one sample;
    ``parameterisation`` "variance" (v) or "log_variance" (s = log v, the unconstrained choice)."""
    if parameterisation not in ("variance", "log_variance"):
        raise ArgumentTypeError(f"gaussian_nll_loss: parameterisation must be 'variance' or 'log_variance', "
                                f"not {parameterisation!r}")
    mu, y = sp.Symbol("mu", real=True), sp.Symbol("y", real=True)
    v = sp.Symbol("v", positive=True)
    d = nll(Normal(mu, sp.sqrt(v)), data=[y])
    result = sp.expand_log(d.result, force=False)
    steps = [*d.steps, Step(result, "log √v = ½ log v (v > 0)")]
    var = v
    if parameterisation == "log_variance":
        s = sp.Symbol("s", real=True)
        result = sp.expand_log(result.xreplace({v: sp.exp(s)}), force=True)
        steps.append(Step(result, "v = e^s, log v = s"))
        var = s
    loss = Derivation("gaussian_nll", Quantity.named(-sp.log(sp.Function("N")(y, mu, v)), text="−log N(y; μ, v)"),
                      result, tuple(steps), d.method, ())
    grad = loss.gradient([mu, var])
    return LossDerivation("Gaussian NLL", loss, grad, (), {"mu": mu, "y": y, "var": var, "args": [mu, var, y]})
