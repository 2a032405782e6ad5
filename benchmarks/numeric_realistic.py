"""Realistic inputs, naive textbook formulas and gradients for ``benchmarks/numeric.py``.

Realistic inputs: logits and means ~ N(0, 5²), scales σ log-uniform on [0.1, 10], probabilities uniform on
(0, 1), categorical probability vectors uniform on the simplex (Dirichlet(1)). Adversarial inputs: the
verifier's float64 bit patterns of the parameter domain (:func:`symce.numeric.verify.make_inputs`).

Gradients: one headline parameter per function (the logit, the Q probability, σ₂, z₁), by
``lambdify(d.gradient(w))`` against the naive derivative in numpy, scipy's primitive where there is one, and
torch float64 autograd of torch's own loss; accuracy in ULP against the correctly rounded truth of the
symbolic derivative (symce.numeric.verify.compute_truth, the exact-arithmetic reference of the verifier).
"""

from __future__ import annotations

import math

import numpy as np
import scipy.special as ss

from symce.numeric import lambdify
from symce.numeric.ulp import ulp_distance
from symce.numeric.verify import compute_truth

try:
    import torch
except ImportError:  # optional
    torch = None

LOG2PI = math.log(2 * math.pi)


def realistic_inputs(args, n: int, seed: int = 0) -> np.ndarray:
    """(len(args), n) columns: each argument by the role its name says (t/p/q probability, z logit, mu mean,
    sigma scale); numbered probabilities t1…tk / q1…qk are rows of a uniform simplex draw."""
    rng = np.random.default_rng(seed)
    cols: list = [None] * len(args)
    groups: dict = {}
    for i, a in enumerate(args):
        name = a.name
        stem = name.rstrip("0123456789")
        if stem in ("t", "q", "p") and stem != name:  # a categorical probability vector
            groups.setdefault(stem, []).append(i)
        elif stem in ("t", "p", "q"):
            cols[i] = rng.uniform(0, 1, n)
        elif stem.startswith("sigma"):
            cols[i] = np.exp(rng.uniform(math.log(0.1), math.log(10.0), n))
        else:  # logits, means
            cols[i] = rng.normal(0.0, 5.0, n)
    for idx in groups.values():
        draw = rng.dirichlet(np.ones(len(idx)), size=n)
        for j, i in enumerate(idx):
            cols[i] = draw[:, j]
    return np.stack(cols)


def naive(name: str, k: int):
    """The textbook numpy formula of each headline function (what one writes without thinking of range)."""
    def stack(xs):
        return np.stack(np.broadcast_arrays(*xs))

    table = {
        "BCE (probabilities)": lambda t, q: -(t * np.log(q) + (1 - t) * np.log(1 - q)),
        "BCE with logits": lambda t, z: np.log(1 + np.exp(z)) - t * z,
        "Bernoulli entropy": lambda p: -(p * np.log(p) + (1 - p) * np.log(1 - p)),
        "Bernoulli KL": lambda p, q: p * np.log(p / q) + (1 - p) * np.log((1 - p) / (1 - q)),
        "normal entropy": lambda s: 0.5 * np.log(2 * np.pi * np.e * s * s),
        "normal CE": lambda a, b, s, r: 0.5 * np.log(2 * np.pi * r * r) + (s * s + (a - b) ** 2) / (2 * r * r),
        "normal KL": lambda a, b, s, r: np.log(r / s) + (s * s + (a - b) ** 2) / (2 * r * r) - 0.5,
        "softmax CE": lambda *a: -(stack(a[:k]) * np.log(np.exp(stack(a[k:])) / np.exp(stack(a[k:])).sum(0))).sum(0),
        "categorical KL": lambda *a: (stack(a[:k]) * np.log(stack(a[:k]) / stack(a[k:]))).sum(0),
    }
    return next(f for key, f in table.items() if name.startswith(key))


def gradient_case(name: str, d, args, k: int):
    """(w, symce gradient, {impl: gradient function of the columns}) for the headline parameter."""
    by = {a.name: a for a in args}

    def stack(xs):
        return np.stack(np.broadcast_arrays(*xs))

    def autograd(value, j):
        """∂value/∂args[j] by torch autograd (forward included: what a training step pays)."""
        def g(*cols):
            xs = [torch.as_tensor(c) for c in cols]
            xs[j] = xs[j].clone().requires_grad_()
            (out,) = torch.autograd.grad(value(*xs).sum(), [xs[j]])
            return out
        return g

    F = torch.nn.functional if torch else None
    if name.startswith("BCE (probabilities)"):
        w, j = by["q"], 1
        impls = {"naive": lambda t, q: -t / q + (1 - t) / (1 - q)}
        tv = (lambda t, q: F.binary_cross_entropy(q, t, reduction="none")) if torch else None
    elif name.startswith("BCE with logits"):
        w, j = by["z"], 1
        impls = {"naive": lambda t, z: 1 / (1 + np.exp(-z)) - t, "scipy": lambda t, z: ss.expit(z) - t}
        tv = (lambda t, z: F.binary_cross_entropy_with_logits(z, t, reduction="none")) if torch else None
    elif name.startswith("Bernoulli entropy"):
        w, j = by["p"], 0
        impls = {"naive": lambda p: np.log((1 - p) / p), "scipy": lambda p: -ss.logit(p)}
        tv = (lambda p: torch.distributions.Bernoulli(probs=p, validate_args=False).entropy()) if torch else None
    elif name.startswith("Bernoulli KL"):
        w, j = by["q"], 1
        impls = {"naive": lambda p, q: -p / q + (1 - p) / (1 - q)}
        tv = (lambda p, q: torch.distributions.kl_divergence(
            torch.distributions.Bernoulli(probs=p, validate_args=False),
            torch.distributions.Bernoulli(probs=q, validate_args=False))) if torch else None
    elif name.startswith("normal entropy"):
        w, j = by["sigma1"], 0
        impls = {"naive": lambda s: 1 / s}
        tv = (lambda s: torch.distributions.Normal(0.0, s, validate_args=False).entropy()) if torch else None
    elif name.startswith("normal CE") or name.startswith("normal KL"):
        w, j = by["sigma2"], 3
        impls = {"naive": lambda a, b, s, r: 1 / r - (s * s + (a - b) ** 2) / r**3}
        tv = (lambda a, b, s, r: torch.distributions.kl_divergence(
            torch.distributions.Normal(a, s, validate_args=False),
            torch.distributions.Normal(b, r, validate_args=False))) if torch and "KL" in name else None
    elif name.startswith("softmax CE"):
        w, j = by["z1"], k
        impls = {"naive": lambda *a: np.exp(a[k]) / np.exp(stack(a[k:])).sum(0) - a[0],
                 "scipy": lambda *a: ss.softmax(stack(a[k:]), axis=0)[0] - a[0]}
        tv = (lambda *a: F.cross_entropy(torch.stack(a[k:]).T, torch.stack(a[:k]).T, reduction="none")) \
            if torch else None
    elif name.startswith("categorical KL"):
        w, j = by["q1"], k
        impls = {"naive": lambda *a: -a[0] / a[k]}
        tv = (lambda *a: F.kl_div(torch.log(torch.stack(a[k:])), torch.stack(a[:k]), reduction="none").sum(0)) \
            if torch else None
    else:
        return None
    if tv is not None:
        impls["torch autograd"] = autograd(tv, j)
    g = d.gradient(w)
    return w, g, {"symce": lambdify(g, args), **impls}


def ulp_report(fn, cols, truth, ok):
    """(max ULP, median ULP, share ≤ 1 ULP, NaN/inf where the truth is finite) of fn on the resolved points."""
    with np.errstate(all="ignore"):
        out = fn(*([torch.as_tensor(c) for c in cols] if _is_torch(fn) else cols))
    out = np.asarray(out.detach().numpy() if hasattr(out, "detach") else out, dtype=np.float64)
    u = ulp_distance(out[ok], truth[ok])
    finite = np.isfinite(truth[ok])
    bad = int(np.sum(finite & ~np.isfinite(out[ok])))
    return float(u.max()), float(np.median(u)), float(np.mean(u <= 1)), bad


def _is_torch(fn) -> bool:
    return getattr(fn, "torch", False)


def truth_of(expr, args, cols):
    return compute_truth(expr, args, cols)


__all__ = ["realistic_inputs", "naive", "gradient_case", "ulp_report", "truth_of", "LOG2PI"]
