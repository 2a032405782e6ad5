"""The Beta and Dirichlet entropies and their gradients where the parameters reach 0 or their sum overflows
(issues #11, #12).

H = log B(α) + (S − K)ψ(S) − Σ (αᵢ − 1)ψ(αᵢ), S = Σ αᵢ (Lazo & Rathie 1978, IEEE Trans. Inf. Theory 24,
Table I; Kotz, Balakrishnan & Johnson 2000, ch. 49), and ∂H/∂αᵢ = (1 − αᵢ)ψ′(αᵢ) + (S − K)ψ′(S), evaluated
by mpmath at a precision that holds every digit of the inputs' exponents — the references. The float
failures they pin: H(beta) NaN at α = β = 5e-324 (−1/α − 1/β + 2/S = −∞ − ∞ + ∞; the truth −∞), ∂H/∂α NaN at
α = 3.8e-261, β = 1.9e-213 (1/α² − 2/S² = ∞ − ∞; the truth +∞), and ∂H(dirichlet)/∂α₁ = −0.986 for 0.0141 at
α = (36, 1.8e308, 1e300), where (S − 3)ψ′(S) ≈ 1 was ∞·0 (S overflows).
"""

import functools
import importlib.util
import math

import mpmath
import numpy as np
import pytest
import sympy as sp

import symce as sc
from symce.numeric.functions import exact_rational, wdigamma_rem_gap, wtrigamma_sum
from symce.numeric.rewrite import stabilise

BACKENDS = ["numpy", "math"] + [b for b in ("torch",) if importlib.util.find_spec(b)]
M = 1.7976931348623157e308
a, b = sp.symbols("alpha beta", positive=True)
al = sp.symbols("a1:4", positive=True)

# (α…): the benchmark's NaN point, subnormal and near-overflow parameters where H is finite, tiny mixed with large
VALUE_POINTS = [(5e-324, 5e-324), (7e-309, 7e-309), (6e-309, 1e-300), (1e-305, 1e300), (1e-310, M),
                (1e-300, 1e-300), (1e-310, 3.0), (0.5, 2.0),
                (1.5e-308, 1.5e-308, 1.5e-308), (1e-308, 2e-308, 5.0), (M, 2.2250738585072014e-308, 1e300),
                (1e-305, 1e-300, 1e300), (3e-309, 2e-309, 1e-309), (5e-324, 1e308, 1e308), (36.0, 1.7976931348623155e308, 1e300)]
# (α…, i): ∂/∂αᵢ at the benchmark's failing points and at 0 and at the uniform point
GRAD_POINTS = [(3.807875131549029e-261, 1.8707170334349414e-213, 0), (3.807875131549029e-261, 1.8707170334349414e-213, 1),
               (5e-324, 5e-324, 0), (1e-200, 1e-200, 0), (1e-5, 3e-5, 1), (1.0, 1.0000000000000002, 0),
               (1.0, 1.0000000000000002, 1), (2.0, 3.0, 0), (1e300, 3e300, 0),
               (36.0, 1.7976931348623155e308, 1e300, 0), (M, 30.0, 1.7976931348623155e308, 1),
               (M, 30.0, 1.7976931348623155e308, 2), (5e-324, 1e-300, 2.0, 0), (1e-160, 2e-160, 3e-160, 2)]


def _prec(xs, below=True):
    """Bits that hold the terms' cancellation: log Γ(S) ≈ S log S against an O(log S) entropy where S is large
    (and, for the gradient, 1/α² against 1/α where α is tiny: ``below``)."""
    mags = [int(mpmath.mag(x)) for x in xs]
    return 120 + 2 * max(max(mags), -min(mags) if below else 0, 0)


@functools.lru_cache(maxsize=None)
def _mp_entropy(*xs):
    """(H, Σ|terms|) of the definition (its pole terms ≈ ∓1/αᵢ cancel by at most 2× where αᵢ is tiny)."""
    with mpmath.workprec(_prec(xs, below=False)):
        xs = [mpmath.mpf(x) for x in xs]
        s, k = mpmath.fsum(xs), len(xs)
        terms = ([mpmath.loggamma(x) for x in xs] + [-mpmath.loggamma(s), (s - k) * mpmath.digamma(s)]
                 + [-(x - 1) * mpmath.digamma(x) for x in xs])
        return mpmath.fsum(terms), mpmath.fsum(abs(t) for t in terms)


@functools.lru_cache(maxsize=None)
def _mp_gradient(i, *xs):
    """(∂H/∂αᵢ, Σ|terms|) of the definition."""
    with mpmath.workprec(_prec(xs)):
        xs = [mpmath.mpf(x) for x in xs]
        s, k = mpmath.fsum(xs), len(xs)
        terms = [(1 - xs[i]) * mpmath.psi(1, xs[i]), (s - k) * mpmath.psi(1, s)]
        return mpmath.fsum(terms), mpmath.fsum(abs(t) for t in terms)


def _check(got, want, scale, units=16):
    """|got − want| ≤ units ULPs of max(|want|, scale), both as doubles; ±∞ exactly where want overflows."""
    if abs(want) > M:
        assert got == (math.inf if want > 0 else -math.inf), (got, want)
        return
    want = float(want)
    assert math.isfinite(got), (got, want)
    ref = max(abs(want), min(float(scale), M))
    assert abs(got - want) <= units * math.ulp(ref), (got, want, abs(got - want) / math.ulp(ref))


def _call(f, backend, xs):
    if backend == "torch":
        import torch

        return float(f(*[torch.tensor(x, dtype=torch.float64) for x in xs]))
    return float(f(*xs))


@functools.lru_cache(maxsize=None)
def _entropy(k):
    return sc.entropy(sc.Beta(a, b)) if k == 2 else sc.entropy(sc.Dirichlet(list(al)))


def _symbols(k):
    return [a, b] if k == 2 else list(al)


@pytest.mark.parametrize("backend", BACKENDS)
def test_entropy_against_the_definition(backend):
    fs = {k: sc.lambdify(_entropy(k), _symbols(k), backend=backend) for k in (2, 3)}
    for xs in VALUE_POINTS:
        want, scale = _mp_entropy(*xs)
        # in ULPs of the value: the pole term dominates at the tiny points, and the others are O(1) ones
        _check(_call(fs[len(xs)], backend, xs), want, abs(want) if abs(want) > 1 else scale)


@pytest.mark.parametrize("backend", BACKENDS)
def test_gradient_against_the_definition(backend):
    fs = {}
    for *xs, i in GRAD_POINTS:
        k = len(xs)
        if (k, i) not in fs:
            fs[k, i] = sc.lambdify(_entropy(k).gradient(_symbols(k)[i]), _symbols(k), backend=backend)
        want, scale = _mp_gradient(i, *xs)
        _check(_call(fs[k, i], backend, xs), want, scale)


def test_rules_gather_the_poles_and_prove_it():
    for k in (2, 3):
        h = stabilise(_entropy(k).result)
        assert h.expr.has(wdigamma_rem_gap) and h.proved, str(h)
        g = stabilise(_entropy(k).gradient(_symbols(k)[0]).result)
        assert g.expr.has(wtrigamma_sum) and g.expr.has(exact_rational) and g.proved, str(g)


def test_batch_equals_alone():
    f = sc.lambdify(_entropy(3), list(al))
    pts = [p for p in VALUE_POINTS if len(p) == 3]
    batch = f(*[np.array(c) for c in zip(*pts)])
    assert [float(x) for x in batch] == [float(f(*p)) for p in pts]
