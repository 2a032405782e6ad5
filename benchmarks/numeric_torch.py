"""Torch training steps for ``benchmarks/numeric.py`` (section ``torch``): forward + backward of the mean loss
over 10⁶ realistic inputs (:func:`benchmarks.numeric_realistic.realistic_inputs`: logits and means ~ N(0, 5²),
σ log-uniform on [0.1, 10], probabilities uniform, simplex rows Dirichlet(1); k = 10 classes as (n, k)
tensors, which the generated function takes whole: the signature layer's ``on_groups`` hook hands them to
the k-class kernels of ``symce/numeric/impl/torch_kclass.py``), symce's ``backend="torch"`` function against
torch's own float64 loss on the CPU.

The gradient is taken with respect to what a model outputs (the logits, the Q probabilities, Q's μ and σ).
Times are CPU time (``time.process_time``, best of the rounds, implementations in turn) with torch on one
thread, so a shared machine's load and torch's thread count do not enter the ratio.
"""

from __future__ import annotations

import math
import time

import numpy as np
import sympy as sp

import symce as sc
from symce.numeric import lambdify

from benchmarks.numeric_realistic import realistic_inputs

try:
    import torch
except ImportError:  # optional
    torch = None


def _steps(k: int = 10):
    """(name, derivation, its arguments as the function takes them, builtin loss, indices needing grad, grouped)."""
    F, D = torch.nn.functional, torch.distributions
    t, p, q = (sp.Symbol(n, positive=True) for n in "tpq")
    z = sp.Symbol("z", real=True)
    m1, m2 = sp.Symbol("mu1", real=True), sp.Symbol("mu2", real=True)
    s1, s2 = sp.Symbol("sigma1", positive=True), sp.Symbol("sigma2", positive=True)
    B, N, C = sc.Bernoulli, sc.Normal, sc.Categorical
    half_log_2pi = 0.5 * math.log(2 * math.pi)
    ts = [sp.Symbol(f"t{i}", positive=True) for i in range(1, k + 1)]
    qs = [sp.Symbol(f"q{i}", positive=True) for i in range(1, k + 1)]
    zs = [sp.Symbol(f"z{i}", real=True) for i in range(1, k + 1)]
    return [
        ("BCE with logits", sc.cross_entropy(B(t), B.from_logit(z)), [t, z],
         lambda t, z: F.binary_cross_entropy_with_logits(z, t, reduction="none"), (1,)),
        ("BCE (probabilities)", sc.cross_entropy(B(t), B(q)), [t, q],
         lambda t, q: F.binary_cross_entropy(q, t, reduction="none"), (1,)),
        ("Bernoulli entropy", sc.entropy(B(p)), [p],
         lambda p: D.Bernoulli(probs=p, validate_args=False).entropy(), (0,)),
        ("Bernoulli KL", sc.kl(B(p), B(q)), [p, q],
         lambda p, q: D.kl_divergence(D.Bernoulli(probs=p, validate_args=False),
                                      D.Bernoulli(probs=q, validate_args=False)), (1,)),
        ("normal entropy", sc.entropy(N(m1, s1)), [s1],
         lambda s: D.Normal(0.0, s, validate_args=False).entropy(), (0,)),
        ("normal CE", sc.cross_entropy(N(m1, s1), N(m2, s2)), [m1, s1, m2, s2],
         # torch has no normal cross-entropy: its textbook formula in torch operations
         lambda a, s, b, r: torch.log(r) + half_log_2pi + (s * s + (a - b) ** 2) / (2 * r * r), (2, 3)),
        ("normal KL", sc.kl(N(m1, s1), N(m2, s2)), [m1, s1, m2, s2],
         lambda a, s, b, r: D.kl_divergence(D.Normal(a, s, validate_args=False), D.Normal(b, r, validate_args=False)),
         (2, 3)),
        (f"softmax CE (k={k})", sc.cross_entropy(C(ts), C.from_logits(zs)), None,
         lambda t, z: F.cross_entropy(z, t, reduction="none"), (1,)),
        (f"categorical KL (k={k})", sc.kl(C(ts), C(qs)), None,
         lambda t, q: F.kl_div(torch.log(q), t, reduction="none").sum(-1), (1,)),
    ]


def _inputs(fn, n, k, seed=0):
    """Tensors for fn's arguments (its ``f.args`` columns; a vector argument as one (n, k) tensor)."""
    cols = realistic_inputs(list(fn.args), n, seed)
    out, i = [], 0
    for g in fn.groups:
        w = len(g.slots)
        out.append(torch.as_tensor(cols[i] if not g.shape else np.ascontiguousarray(cols[i:i + w].T)))
        i += w
    return out


def step_times(losses: dict, xs, grad_at, rounds):
    """Best CPU time of one training step of each loss — loss(*xs).mean() and its gradient at xs[j] for j in
    grad_at — the losses taking turns (round-robin: drift in a shared machine's load hits all alike)."""
    def step(loss):
        ins = [x.detach().requires_grad_() if j in grad_at else x for j, x in enumerate(xs)]
        torch.autograd.grad(loss(*ins).mean(), [ins[j] for j in grad_at])

    best = {name: math.inf for name in losses}
    for loss in losses.values():
        step(loss)  # first call: builds the backward code
    for _ in range(rounds):
        for name, loss in losses.items():
            t0 = time.process_time()
            step(loss)
            best[name] = min(best[name], time.process_time() - t0)
    return best


def torch_step_table(a, rounds: int = 7):
    if torch is None:
        print("\ntorch training steps: torch not installed")
        return
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    n = a.throughput
    print(f"\ntorch training step (forward + backward of the mean, float64, CPU, one thread) on {n:.0e} realistic "
          f"inputs: CPU ms, best of {rounds}")
    head = f"{'function':26} {'symce torch':>12} {'torch built-in':>15} {'ratio':>7}"
    print(head)
    print("-" * len(head))
    try:
        for name, d, args, builtin, grad_at in _steps():
            if a.only and a.only not in name:
                continue
            f = lambdify(d, args, backend="torch") if args else lambdify(d, backend="torch")
            xs = _inputs(f, n, 10)
            got = step_times({"symce": f, "torch": builtin}, xs, grad_at, rounds)
            ts, tb = got["symce"], got["torch"]
            print(f"{name:26} {ts * 1e3:>12.1f} {tb * 1e3:>15.1f} {ts / tb:>7.2f}")
    finally:
        torch.set_num_threads(threads)


if __name__ == "__main__":
    import argparse

    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--throughput", type=int, default=1_000_000)
    ap.add_argument("--only", default=None)
    ap.add_argument("--rounds", type=int, default=7)
    # run as a module from the repository root: python -m benchmarks.numeric_torch
    ns = ap.parse_args()
    torch_step_table(ns, ns.rounds)
