r"""Conditional models p_model(y | x; θ) trained by average cross-entropy: logistic, softmax and
linear-Gaussian regression.

For n samples (x_s, y_s) with features as the rows of X (n×d; a bias is a constant feature),

.. math:: J(\theta) = \frac1n \sum_{s=0}^{n-1} H\big(\text{target}_s,\; p_\text{model}(\cdot \mid x_s; \theta)\big)

where the per-sample cross-entropy is **derived by the engine** for the family of the model:

* logistic regression — H(Bernoulli(t), Bernoulli.from_logit(z)) at z_s = x_sᵀw (Bishop 2006 §4.3.2);
* softmax regression — H(Categorical(t), Categorical.from_logits(z)) at z_s = W x_s, k classes (§4.3.4);
* linear-Gaussian regression — H(δ_y, Normal(μ, σ)) = −log N(y; μ, σ²) at μ_s = x_sᵀw, σ known (a
  symbol) or estimated jointly.

The loss over n samples is the *componentwise* sum with symbolic n, d (and k): SymPy ``Sum`` over
``MatrixSymbol`` entries, 0-based like matrix indexing. Its gradient and Hessian w.r.t. the weights are
taken entrywise (``diff`` w.r.t. a generic entry w[m, 0]) and compared with the **matrix forms** — e.g.
∇_w J = (1/n) Xᵀ(σ(Xw) − t), ∇²_w J = (1/n) Xᵀ diag(σ(1 − σ)) X — whose generic entry SymPy expands to a
``Sum``; the two are proved equal with :func:`symce.prove` after renaming bound indices canonically.
:meth:`RegressionModel.numeric` assembles numpy functions from the lambdified per-sample derivatives
(``symce.lambdify``) and the matrix forms.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import sympy as sp
from sympy.matrices.expressions.diagonal import DiagMatrix

from symce.core.quantity import Quantity
from symce.engine.derivation import Derivation, Step
from symce.errors import DimensionMismatchError, InvalidParameterError
from symce.core.expfamily import _holds_on_range, resolve_index_range
from symce.core.special import recognise_sigmoid, sigmoid
from symce.engine.information import cross_entropy
from symce.engine.proof import prove
from symce.families import Bernoulli, Normal
from symce.families.categorical.family import Categorical
from symce.learning.empirical import nll
from symce.numeric import lambdify

_M = sp.Symbol("m", integer=True, nonnegative=True)   # generic row of a gradient / Hessian
_L = sp.Symbol("l", integer=True, nonnegative=True)   # generic column of a Hessian
_C = sp.Symbol("c", integer=True, nonnegative=True)   # generic class of a softmax gradient


@dataclass(frozen=True, eq=False)
class RegressionModel:
    """Everything derived for one conditional model (see the module docstring)."""

    name: str
    per_sample: Derivation          # the engine's cross-entropy of one sample, in the linear predictor
    loss: Derivation                # J over n samples, componentwise
    gradient: Derivation            # matrix form; ``gradient.steps`` carry the componentwise derivative
    hessian: Derivation | None
    gradient_proof: object          # Proof: matrix form entry = componentwise derivative
    hessian_proof: object | None
    symbols: dict = field(default_factory=dict)
    numeric_parts: dict = field(default_factory=dict, repr=False)

    def numeric(self) -> "NumericModel":
        return NumericModel(self)


# ---------------------------------------------------------------------------------------------------
def _sizes(n, d):
    out = []
    for name, v in (("n", n), ("d", d)):
        if v is None:
            v = sp.Symbol(name, integer=True, positive=True)
        elif isinstance(v, sp.Symbol):
            if not (v.is_integer and v.is_positive):
                raise InvalidParameterError("regression", name, v, "a positive integer Symbol")
        elif isinstance(v, bool) or not isinstance(v, (int, sp.Integer)) or v < 1:
            raise InvalidParameterError("regression", name, v, "a positive integer (n samples, d features)")
        out.append(v)
    return out


def _resolve_sums(e):
    """Drop the Piecewise ``diff``/``doit`` leave inside a Sum when its condition holds on the Sum's range
    (the delta of an index always lies in range), and the one left for a generic entry index."""
    def fix(s):
        v, lo, hi = s.limits[0]
        f = resolve_index_range(s.function, v, lo, hi)
        return sp.Sum(f, *s.limits)
    return e.replace(lambda x: isinstance(x, sp.Sum) and x.function.has(sp.Piecewise), fix)


def canonical_indices(e):
    """Rename every bound summation index to a fixed symbol by nesting depth, shifting each range to start
    at 0, so two Sums that differ only in index names or offsets become the same expression."""
    def walk(x, depth):
        if isinstance(x, sp.Sum):
            f = x.function
            for (v, lo, hi) in x.limits:
                new = sp.Symbol(f"k_{depth}", integer=True, nonnegative=True)
                f = f.xreplace({v: new + lo})
                f = walk(f, depth + 1)
                return sp.Sum(f, (new, 0, hi - lo))
        if not x.args or isinstance(x, (sp.MatrixSymbol, sp.Symbol)):
            return x
        return x.func(*[walk(a, depth) for a in x.args])
    return walk(e, 0)


def _doit_deltas(e):
    """Evaluate only the sums that contain a Kronecker delta (Σ_j δ_jm a_j = a_m); a full ``doit`` would try
    to find closed forms of the sums over the samples (seconds, for nothing)."""
    def own_delta(x):
        if not isinstance(x, sp.Sum):
            return False
        v = x.limits[0][0]
        return any(dl.has(v) for dl in x.function.atoms(sp.KroneckerDelta))

    for _ in range(2):
        e = e.replace(own_delta, lambda x: x.doit(deep=False))
    return e


def _first_branch_on_range(e, idx, lo, hi):
    """Piecewise((a, cond), (b, True)) → a when cond holds for every idx in lo..hi (a generic entry index
    always lies in its range); KroneckerDelta(a, b, range) → KroneckerDelta(a, b) likewise."""
    e = e.replace(lambda x: isinstance(x, sp.Piecewise) and len(x.args) == 2 and x.args[1].cond == sp.true
                  and x.args[0].cond.has(idx) and _holds_on_range(x.args[0].cond, idx, lo, hi),
                  lambda x: x.args[0].expr)
    return e.replace(lambda x: isinstance(x, sp.KroneckerDelta) and len(x.args) == 3,
                     lambda x: sp.KroneckerDelta(x.args[0], x.args[1]))


def _entry_derivative(J, wrt_entry, ranges):
    g = _doit_deltas(sp.diff(J, wrt_entry))
    for idx, lo, hi in ranges:
        g = _first_branch_on_range(resolve_index_range(g, idx, lo, hi), idx, lo, hi)
    return recognise_sigmoid(_resolve_sums(g))


def _prove_entry(matrix_entry, componentwise, name):
    lhs = canonical_indices(_resolve_sums(_doit_deltas(matrix_entry)))
    rhs = canonical_indices(componentwise)
    return prove(lhs, rhs, name=name)


# ---------------------------------------------------------------------------------------------------
def logistic_regression(n=None, d=None) -> RegressionModel:
    """p(t = 1 | x) = σ(xᵀw): J(w) = (1/n) Σ_s [log(1 + e^{z_s}) − t_s z_s], z = Xw."""
    n, d = _sizes(n, d)
    X, w, t = sp.MatrixSymbol("X", n, d), sp.MatrixSymbol("w", d, 1), sp.MatrixSymbol("t", n, 1)
    z, tt = sp.Symbol("z", real=True), sp.Symbol("t", positive=True)
    per = cross_entropy(Bernoulli(tt), Bernoulli.from_logit(z))
    s, j = sp.Dummy("s", integer=True), sp.Dummy("j", integer=True)
    z_s = sp.Sum(X[s, j] * w[j, 0], (j, 0, d - 1))
    J = sp.Sum(per.result.xreplace({z: z_s, tt: t[s, 0]}), (s, 0, n - 1)) / n
    loss = Derivation("loss", Quantity.named(sp.Function("J")(w)), J, (
        Step(per.result, "per-sample cross-entropy H(Bernoulli(t), Bernoulli.from_logit(z)), derived"),
        Step(J, "average over the n samples with z_s = (Xw)_s = Σ_j X_sj w_j")), per.method)
    g_comp = _entry_derivative(J, w[_M, 0], [(_M, 0, d - 1)])
    G = X.T * ((X * w).applyfunc(sigmoid) - t) / n
    gproof = _prove_entry(G[_M, 0], g_comp, "(1/n) Xᵀ(σ(Xw) − t) = ∂J/∂w_m (componentwise)")
    grad = Derivation("gradient", Quantity.derivative(loss.lhs, [w], gradient=True), G, (
        Step(g_comp, "∂J/∂w_m: differentiate the componentwise loss w.r.t. a generic entry"),
        Step(G, f"matrix form; entry m proved equal to the componentwise derivative ({gproof.status})")),
        "differentiation")
    h_comp = _entry_derivative(g_comp, w[_L, 0], [(_L, 0, d - 1)])
    H = X.T * DiagMatrix((X * w).applyfunc(lambda u: sigmoid(u) * (1 - sigmoid(u)))) * X / n
    hproof = _prove_entry(H[_M, _L], h_comp, "(1/n) Xᵀ diag(σ(1 − σ)) X = ∂²J/∂w_m∂w_l")
    hess = Derivation("hessian", Quantity.derivative(loss.lhs, [w], order=2), H, (
        Step(h_comp, "∂²J/∂w_m∂w_l: differentiate the gradient entry once more"),
        Step(H, f"matrix form; entry (m, l) proved equal ({hproof.status})")), "differentiation")
    d1 = per.gradient(z)
    parts = {"loss": per.result, "dz": d1.result, "dzz": d1.gradient(z).result, "z": z, "t": tt}
    return RegressionModel("logistic regression", per, loss, grad, hess, gproof, hproof,
                           {"X": X, "w": w, "t": t, "n": n, "d": d}, parts)


def softmax_regression(n=None, d=None, k=None) -> RegressionModel:
    """p(y = c | x) = softmax(Wx)_c, W k×d: J(W) = (1/n) Σ_s [log Σ_c e^{Z_sc} − Σ_c T_sc Z_sc], Z = XWᵀ."""
    n, d = _sizes(n, d)
    k = k if k is not None else sp.Symbol("k", integer=True, positive=True)
    X, W, T = sp.MatrixSymbol("X", n, d), sp.MatrixSymbol("W", k, d), sp.MatrixSymbol("T", n, k)
    tb, zb = sp.IndexedBase("t", positive=True), sp.IndexedBase("z", real=True)
    ks = sp.Symbol("k", integer=True, positive=True)
    per = cross_entropy(Categorical(tb, k=ks), Categorical.from_logits(zb, k=ks))
    s, j = sp.Dummy("s", integer=True), sp.Dummy("j", integer=True)

    def Z(row, cls):
        return sp.Sum(X[row, j] * W[cls, j], (j, 0, d - 1))

    # the engine's classes are 1..k; the matrix's columns 0..k−1
    inst = per.result.replace(lambda e: isinstance(e, sp.Indexed) and e.base == zb, lambda e: Z(s, e.indices[0] - 1))
    inst = inst.replace(lambda e: isinstance(e, sp.Indexed) and e.base == tb, lambda e: T[s, e.indices[0] - 1])
    J = sp.Sum(inst.xreplace({ks: k}), (s, 0, n - 1)) / n
    loss = Derivation("loss", Quantity.named(sp.Function("J")(W)), J, (
        Step(per.result, "per-sample cross-entropy H(Categorical(t), Categorical.from_logits(z)), derived"),
        Step(J, "average over the n samples with Z = XWᵀ (classes 1..k ↦ columns 0..k−1)")), per.method)
    g_comp = _entry_derivative(J, W[_C, _M], [(_C, 0, k - 1), (_M, 0, d - 1)])
    r, c, cp = sp.Dummy("r", integer=True), sp.Dummy("c", integer=True), sp.Dummy("c'", integer=True)
    S = sp.FunctionMatrix(n, k, sp.Lambda((r, c), sp.exp(Z(r, c)) / sp.Sum(sp.exp(Z(r, cp)), (cp, 0, k - 1))))
    G = (S - T).T * X / n
    gproof = _prove_entry(G[_C, _M], g_comp, "(1/n)(softmax(XWᵀ) − T)ᵀ X = ∂J/∂W_cm (componentwise)")
    grad = Derivation("gradient", Quantity.derivative(loss.lhs, [W], gradient=True), G, (
        Step(g_comp, "∂J/∂W_cm: differentiate the componentwise loss w.r.t. a generic entry"),
        Step(G, f"matrix form; entry (c, m) proved equal to the componentwise derivative ({gproof.status})")),
        "differentiation")
    # Hessian: 4-index, so stated entrywise as the Kronecker form (1/n) Σ_s (diag(S_s) − S_s S_sᵀ) ⊗ x_s x_sᵀ
    c2 = sp.Symbol("c'", integer=True, nonnegative=True)
    h_comp = _entry_derivative(g_comp, W[c2, _L], [(c2, 0, k - 1), (_L, 0, d - 1)])
    Ssc, Ssc2 = S[s, _C], S[s, c2]
    kron = sp.Sum((sp.KroneckerDelta(_C, c2) * Ssc - Ssc * Ssc2) * X[s, _M] * X[s, _L], (s, 0, n - 1)) / n
    hproof = _prove_entry(kron, h_comp, "(1/n) Σ_s (δ_cc' S_sc − S_sc S_sc') X_sm X_sl = ∂²J/∂W_cm∂W_c'l")
    hess = Derivation("hessian", Quantity.derivative(loss.lhs, [W], order=2), kron, (
        Step(h_comp, "∂²J/∂W_cm∂W_c'l: differentiate the gradient entry once more"),
        Step(kron, f"Kronecker form (1/n) Σ_s (diag(S_s) − S_s S_sᵀ) ⊗ x_s x_sᵀ, entry ((c, m), (c', l)); "
                   f"proved equal ({hproof.status})")), "differentiation")
    return RegressionModel("softmax regression", per, loss, grad, hess, gproof, hproof,
                           {"X": X, "W": W, "T": T, "n": n, "d": d, "k": k}, {})


def linear_gaussian_regression(n=None, d=None, sigma=None) -> RegressionModel:
    """y | x ~ N(xᵀw, σ²): J = log σ + ½ log 2π + (1/(2nσ²)) Σ_s (y_s − x_sᵀw)². ``sigma`` a positive
    symbol (known noise; default σ) — the gradient w.r.t. σ is included in the Derivation ``loss``'s
    ``gradient`` for the unknown-σ case."""
    n, d = _sizes(n, d)
    sigma = sigma if sigma is not None else sp.Symbol("sigma", positive=True)
    X, w, y = sp.MatrixSymbol("X", n, d), sp.MatrixSymbol("w", d, 1), sp.MatrixSymbol("y", n, 1)
    mu, yy = sp.Symbol("mu", real=True), sp.Symbol("y", real=True)
    per = nll(Normal(mu, sigma), data=[yy])
    s, j = sp.Dummy("s", integer=True), sp.Dummy("j", integer=True)
    mu_s = sp.Sum(X[s, j] * w[j, 0], (j, 0, d - 1))
    J = sp.Sum(per.result.xreplace({mu: mu_s, yy: y[s, 0]}), (s, 0, n - 1)) / n
    loss = Derivation("loss", Quantity.named(sp.Function("J")(w, sigma), text="J(w, σ)"), J, (
        Step(per.result, "per-sample H(δ_y, Normal(μ, σ)) = −log N(y; μ, σ²), derived"),
        Step(J, "average over the n samples with μ_s = (Xw)_s")), per.method)
    g_comp = _entry_derivative(J, w[_M, 0], [(_M, 0, d - 1)])
    G = X.T * (X * w - y) / (n * sigma**2)
    gproof = _prove_entry(G[_M, 0], g_comp, "Xᵀ(Xw − y)/(nσ²) = ∂J/∂w_m (componentwise)")
    grad = Derivation("gradient", Quantity.derivative(loss.lhs, [w], gradient=True), G, (
        Step(g_comp, "∂J/∂w_m: differentiate the componentwise loss"),
        Step(G, f"matrix form; proved equal entrywise ({gproof.status})")), "differentiation")
    h_comp = _entry_derivative(g_comp, w[_L, 0], [(_L, 0, d - 1)])
    H = X.T * X / (n * sigma**2)
    hproof = _prove_entry(H[_M, _L], h_comp, "XᵀX/(nσ²) = ∂²J/∂w_m∂w_l")
    hess = Derivation("hessian", Quantity.derivative(loss.lhs, [w], order=2), H, (Step(h_comp, "differentiate again"),
                                               Step(H, f"matrix form ({hproof.status})")), "differentiation")
    dmu = per.gradient(mu)
    parts = {"loss": per.result, "dz": dmu.result, "dzz": dmu.gradient(mu).result, "z": mu, "t": yy,
             "sigma": sigma, "dsigma": per.gradient(sigma).result}
    return RegressionModel("linear-Gaussian regression", per, loss, grad, hess, gproof, hproof,
                           {"X": X, "w": w, "y": y, "n": n, "d": d, "sigma": sigma}, parts)


# ---------------------------------------------------------------------------------------------------
class NumericModel:
    """numpy loss/gradient/Hessian of a model with a scalar linear predictor z = Xw, assembled from the
    matrix forms: J = mean ℓ(z, t), ∇J = Xᵀ ℓ'(z)/n, ∇²J = Xᵀ diag(ℓ''(z)) X / n, with ℓ, ℓ', ℓ'' the
    per-sample derivation and its derivatives lambdified by ``symce.lambdify`` (numpy backend)."""

    def __init__(self, model: RegressionModel):
        p = model.numeric_parts
        if not p:
            raise InvalidParameterError("numeric", "model", model.name, "a model with a scalar linear predictor")
        args = [p["z"], p["t"]] + ([p["sigma"]] if "sigma" in p else [])
        self._extra = "sigma" in p
        self._f = {key: lambdify(p[key], args) for key in ("loss", "dz", "dzz")}
        self.model = model

    def _z(self, X, w, t, sigma):
        X, w, t = np.asarray(X, float), np.asarray(w, float).reshape(-1), np.asarray(t, float).reshape(-1)
        if X.ndim != 2 or X.shape[1] != w.shape[0] or X.shape[0] != t.shape[0]:
            raise DimensionMismatchError(f"{self.model.name}: X is {X.shape}, w has {w.shape[0]} entries and the "
                                         f"targets {t.shape[0]}; X must be n×d with w of length d and n targets")
        extra = (sigma,) if self._extra else ()
        return X, X @ w, t, extra

    def loss(self, X, w, t, sigma=None):
        X, z, t, e = self._z(X, w, t, sigma)
        return float(np.mean(self._f["loss"](z, t, *e)))

    def gradient(self, X, w, t, sigma=None):
        X, z, t, e = self._z(X, w, t, sigma)
        return X.T @ np.broadcast_to(self._f["dz"](z, t, *e), z.shape) / len(z)

    def hessian(self, X, w, t, sigma=None):
        X, z, t, e = self._z(X, w, t, sigma)
        r = np.broadcast_to(self._f["dzz"](z, t, *e), z.shape)
        return (X.T * r) @ X / len(z)
