"""The rules that read rewrite_terms.log_terms (memoised by equality, so the terms it gives may belong to an
equal sum built earlier, not to the one passed) must find those terms in their own sum by equality, not by
identity. They did by identity: in a process that had stabilised the gradient of H(categorical-k2) first,
H(categorical-k3)'s ∂/∂p₁ = −log p₁ − 1 became −log p₁ − log_offset(p₁, 1) = −2 log p₁ − 1 (the accuracy
benchmark's 6.5e15 ULP, seen only when both formulas ran in one worker). Reference: the textbook gradient of
the Shannon entropy −Σ pᵢ log pᵢ, ∂/∂pᵢ = −log pᵢ − 1 (Cover & Thomas, eq. 2.1), and the rules' own forms."""

import numpy as np
import sympy as sp
from sympy.core.cache import clear_cache

import symce as sc
from symce.numeric.functions import log_offset, logprod_offset
from symce.numeric.rewrite_exact import log_product
from symce.numeric.rewrite_logs import log_offset_form
from symce.numeric.rewrite_terms import log_terms


def _twins(build):
    """Two equal sums whose terms are distinct objects, the first one's terms memoised by log_terms."""
    first = build()
    log_terms(first)
    clear_cache()
    second = build()
    assert second == first and not any(a is b for a, b in zip(second.args, first.args) if not a.is_number)
    return second


def test_log_offset_form_finds_its_term_by_equality():
    p = sp.Symbol("p", positive=True)
    e = _twins(lambda: -sp.log(p) - 1)
    assert log_offset_form(e) == -log_offset(p, 1)


def test_log_product_finds_its_terms_by_equality():
    a, b = sp.symbols("a b", positive=True)
    e = _twins(lambda: sp.log(a) + sp.log(b) + 3)
    assert log_product(e) == logprod_offset(a, b, 3)


def test_entropy_gradients_of_two_sizes_in_one_process():
    for k in (2, 3):
        ps = sp.symbols(f"p1_1:{k + 1}", positive=True)
        d = sc.entropy(sc.Categorical(list(ps)))
        for i, w in enumerate(ps):
            f = sc.lambdify(d.gradient(w))
            x = np.random.default_rng(k).dirichlet(np.ones(k), 50).T
            np.testing.assert_allclose(f(*x), -np.log(x[i]) - 1, rtol=1e-14, atol=1e-15)
