"""The report section for cross-entropy as a training loss (issue 5): :func:`training_section` returns a
Markdown section (math in $$…$$) that ``symce report`` includes. Everything in it is derived and proved
when the section is built; each line carries its proof status and the time it took."""

from __future__ import annotations

import time

import sympy as sp

from symce.families import Bernoulli, Normal
from symce.families.categorical.family import Categorical
from symce.families.mvnormal.family import MultivariateNormal
from symce.learning.conditional import linear_gaussian_regression, logistic_regression, softmax_regression
from symce.learning.empirical import empirical_identity, nll
from symce.learning.fisher import fisher_identity, fisher_information
from symce.learning.losses import focal_loss, gaussian_nll_loss, label_smoothing, weighted_cross_entropy
from symce.learning.mle import mle
from symce.printing.printer import latex


def _tex(e) -> str:
    try:
        return latex(e)
    except Exception:  # pragma: no cover - the printer is another module's; fall back to SymPy's
        return sp.latex(e)


def _timed(f):
    t = time.perf_counter()
    out = f()
    return out, time.perf_counter() - t


def training_section() -> str:
    """The Markdown section: empirical cross-entropy = average NLL, maximum likelihood, conditional
    models, Fisher information and the loss variants, each derived, proved and timed now."""
    n = sp.Symbol("n", integer=True, positive=True)
    p, z = sp.Symbol("p", positive=True), sp.Symbol("z", real=True)
    mu, sigma = sp.Symbol("mu", real=True), sp.Symbol("sigma", positive=True)
    k = sp.Symbol("k", integer=True, positive=True)
    ps = [sp.Symbol(f"p{m}", positive=True) for m in (1, 2, 3)]
    out = ["## Cross-entropy as a training loss", "",
           "For samples $y_1, \\dots, y_n$ the empirical distribution $\\hat p_n = \\frac1n\\sum_s \\delta_{y_s}$ "
           "turns cross-entropy into the average negative log-likelihood, "
           "$H(\\hat p_n, Q_\\theta) = -\\frac1n \\sum_s \\log q_\\theta(y_s) = J(\\theta)$; "
           "minimising $J$ is maximum likelihood.", ""]

    # 1. empirical distributions
    out += ["### Empirical cross-entropy = average NLL", "", "| model $Q$ | $J(\\theta)$ | proof | time |",
            "|---|---|---|---|"]
    models = [("Bernoulli(p)", Bernoulli(p)), ("Bernoulli.from_logit(z)", Bernoulli.from_logit(z)),
              ("Normal(μ, σ)", Normal(mu, sigma)), ("Categorical(p), k = 3", Categorical(ps)),
              ("Categorical(q), symbolic k", Categorical(sp.IndexedBase("q", positive=True), k=k)),
              ("softmax(z), symbolic k", Categorical.from_logits(k=k))]
    for name, Q in models:
        (proof, J), dt = _timed(lambda: (empirical_identity(Q, n), nll(Q, n)))
        out.append(f"| {name} | ${_tex(J.result)}$ | {proof.status} | {dt * 1000:.0f} ms |")
    out.append("")

    # 2. maximum likelihood
    out += ["### Maximum likelihood by stationarity", "", "| model | $\\hat\\theta$ | second order | time |",
            "|---|---|---|---|"]
    mvn = MultivariateNormal.symbolic(2, cholesky=False)
    for name, Q, kw in [("Bernoulli(p)", Bernoulli(p), {}), ("Normal(μ, σ)", Normal(mu, sigma), {}),
                        ("Categorical(p), k = 3 (Lagrange)", Categorical(ps), {}),
                        ("MultivariateNormal, d = 2", mvn, {"samples": sp.IndexedBase("y", real=True)})]:
        d, dt = _timed(lambda: mle(Q, n, **kw))
        est = ", ".join(f"\\hat{{{_tex(s)}}} = {_tex(v)}" for s, v in d.result.items())
        out.append(f"| {name} | ${est}$ | {d.second_order.status} | {dt * 1000:.0f} ms |")
    out += ["", "The normal $\\hat\\sigma^2$ is the biased sample variance $\\frac1n\\sum_s (y_s - \\hat\\mu)^2$ "
            "and the multivariate $\\hat\\Sigma$ the biased sample covariance (tests prove the first and check "
            "both against numpy and scipy.optimize).", ""]

    # 3. conditional models
    out += ["### Conditional models", "", "| model | matrix form | gradient proof | Hessian proof | time |",
            "|---|---|---|---|---|"]
    forms = {"logistic regression": "\\nabla_w J = \\tfrac1n X^\\top(\\sigma(Xw) - t),\\; "
                                    "\\nabla^2_w J = \\tfrac1n X^\\top \\operatorname{diag}(\\sigma(1-\\sigma)) X",
             "softmax regression": "\\nabla_W J = \\tfrac1n (\\operatorname{softmax}(XW^\\top) - T)^\\top X,\\; "
                                   "\\nabla^2 J = \\tfrac1n\\sum_s (\\operatorname{diag} S_s - S_s S_s^\\top)\\otimes x_s x_s^\\top",
             "linear-Gaussian regression": "\\nabla_w J = \\tfrac{1}{n\\sigma^2} X^\\top(Xw - y),\\; "
                                           "\\nabla^2_w J = \\tfrac{1}{n\\sigma^2} X^\\top X"}
    for f in (logistic_regression, softmax_regression, linear_gaussian_regression):
        m, dt = _timed(f)
        h = m.hessian_proof.status if m.hessian_proof is not None else "—"
        out.append(f"| {m.name} | ${forms[m.name]}$ | {m.gradient_proof.status} | {h} | {dt * 1000:.0f} ms |")
    out.append("")

    # 4. Fisher information
    out += ["### Fisher information", "",
            "$$I(\\theta) = \\nabla^2_{\\theta'} \\mathbb{KL}(P_\\theta \\,\\|\\, P_{\\theta'})\\big|_{\\theta'=\\theta}"
            " = \\mathbb{E}_{P_\\theta}[\\nabla \\log p \\, \\nabla \\log p^\\top]$$", "",
            "| family | $I(\\theta)$ | identity | time |", "|---|---|---|---|"]
    for name, P in [("Bernoulli(p)", Bernoulli(p)), ("Bernoulli.from_logit(z)", Bernoulli.from_logit(z)),
                    ("Normal(μ, σ)", Normal(mu, sigma)), ("Categorical(p), k = 3", Categorical(ps)),
                    ("softmax(z), k = 3", Categorical.from_logits(k=3))]:
        (I, pr), dt = _timed(lambda: (fisher_information(P), fisher_identity(P)))
        out.append(f"| {name} | ${_tex(I.result)}$ | {pr.status} | {dt * 1000:.0f} ms |")
    out.append("")

    # 5. loss variants
    out += ["### Loss variants", "", "| loss | result | identities | time |", "|---|---|---|---|"]
    for f in (lambda: label_smoothing(3), lambda: weighted_cross_entropy(3), focal_loss, gaussian_nll_loss):
        L, dt = _timed(f)
        names = "; ".join(f"{pr.name}: {pr.status}" for pr in L.proofs) or "—"
        out.append(f"| {L.name} | ${_tex(L.loss.result)}$ | {names} | {dt * 1000:.0f} ms |")
    out.append("")
    return "\n".join(out)
