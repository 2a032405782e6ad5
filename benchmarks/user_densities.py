"""What symce derives for 15 common densities written by hand with ``sc.Density`` (issue #10).

For each density: the entropy H(P) and KL(P ‖ P') against a second member of the family (other
parameter symbols), classified as a closed form, a kept Sum/Integral (exact but not closed), +∞, or an
error, with the time each took (including the construction checks). Prints a Markdown table; run with
``python benchmarks/user_densities.py`` (about a minute on one core).
"""

from __future__ import annotations

import sys
import time

import sympy as sp

import symce as sc
from symce.errors import SymceError

x = sp.Symbol("x", real=True)
k = sp.Symbol("k", integer=True)


def pos(*names):
    return sp.symbols(names, positive=True)


def densities(i: int):
    """name → (pdf, variable, support[, conditions on the parameters]) for the parameters of index i."""
    lam, a, b, s, m, nu, c = pos(*(f"{n}{i}" for n in ("lambda", "a", "b", "sigma", "mu", "nu", "c")))
    mu = sp.Symbol(f"mu{i}", real=True)
    lo, hi = sp.symbols(f"l{i} h{i}", real=True)
    p = sp.Symbol(f"p{i}", positive=True)
    return {
        "Exponential": (lam * sp.exp(-lam * x), x, sp.Interval(0, sp.oo)),
        "Gamma": (b**a * x**(a - 1) * sp.exp(-b * x) / sp.gamma(a), x, sp.Interval(0, sp.oo)),
        "Laplace": (sp.exp(-sp.Abs(x - mu) / b) / (2 * b), x, sp.Reals),
        "Rayleigh": (x / s**2 * sp.exp(-x**2 / (2 * s**2)), x, sp.Interval(0, sp.oo)),
        "Uniform": (1 / (hi - lo), x, sp.Interval(lo, hi)),
        "HalfNormal": (sp.sqrt(2) / (s * sp.sqrt(sp.pi)) * sp.exp(-x**2 / (2 * s**2)), x, sp.Interval(0, sp.oo)),
        "LogNormal": (sp.exp(-(sp.log(x) - mu)**2 / (2 * s**2)) / (x * s * sp.sqrt(2 * sp.pi)), x, sp.Interval(0, sp.oo)),
        "Weibull": (c / lam * (x / lam)**(c - 1) * sp.exp(-(x / lam)**c), x, sp.Interval(0, sp.oo)),
        "Beta": (x**(a - 1) * (1 - x)**(b - 1) / sp.beta(a, b), x, sp.Interval(0, 1)),
        "Logistic": (sp.exp(-(x - mu) / s) / (s * (1 + sp.exp(-(x - mu) / s))**2), x, sp.Reals),
        "Cauchy": (1 / (sp.pi * s * (1 + ((x - mu) / s)**2)), x, sp.Reals),
        "Gumbel": (sp.exp(-((x - mu) / b) - sp.exp(-(x - mu) / b)) / b, x, sp.Reals),
        "Pareto": (a * m**a / x**(a + 1), x, sp.Interval(m, sp.oo)),
        "Poisson": (lam**k * sp.exp(-lam) / sp.factorial(k), k, sp.Naturals0),
        "Geometric": (p * (1 - p)**k, k, sp.Naturals0, [p < 1]),
    }


def kind(expr) -> str:
    if expr == sp.oo:
        return "+∞"
    if expr.has(sp.Sum):
        return "Sum kept"
    if expr.has(sp.Integral):
        return "integral kept"
    if expr.has(sp.Piecewise):
        return "closed (cases)"
    return "closed form"


def run(name: str) -> list[str]:
    cells = [name]
    t0 = time.perf_counter()
    try:
        spec1, spec2 = densities(1)[name], densities(2)[name]
        P = sc.Density(*spec1[:3], name=name, conditions=spec1[3] if len(spec1) > 3 else ())
        Q = sc.Density(*spec2[:3], name=name, conditions=spec2[3] if len(spec2) > 3 else ())
        checks = ", ".join(f"{k}: {v.status}" for k, v in P.checks.items())
    except SymceError as e:
        return cells + [f"error building: {type(e).__name__}", "", "", f"{time.perf_counter() - t0:.2f}"]
    t_build = time.perf_counter() - t0
    for what, f in (("H", lambda: sc.entropy(P)), ("KL", lambda: sc.kl(P, Q))):
        t = time.perf_counter()
        try:
            r = f().result
            cells.append(f"{kind(r)} ({time.perf_counter() - t:.2f} s)")
        except SymceError as e:
            cells.append(f"{type(e).__name__} ({time.perf_counter() - t:.2f} s): {str(e)[:60]}")
    return cells + [checks, f"{t_build:.2f}"]


def main() -> int:
    print("| density | H(P) | KL(P ‖ P′) | checks of P | build (s) |")
    print("|---|---|---|---|---|")
    for i, name in enumerate(densities(1), 1):
        print("| " + " | ".join(run(name)) + " |", flush=True)
        print(f"[{i}/15] {name}", file=sys.stderr, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
