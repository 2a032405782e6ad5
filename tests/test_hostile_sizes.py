"""Sizes and names that would hang or mislead (issue #16): an explicit categorical of a million classes is
refused up front naming the limit; the stem of the logit names is an identifier (None, '', 5 were logits
None1, 1, 51). ``make fuzz`` (``SYMCE_FUZZ_EXAMPLES``) raises the number of generated inputs.
"""

from __future__ import annotations

import os
import time

import pytest
import sympy as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import symce as sc
from symce.errors import ArgumentTypeError, InvalidParameterError, SymceError
from symce.families.categorical.family import MAX_CLASSES

FUZZ = int(os.environ.get("SYMCE_FUZZ_EXAMPLES", "0"))
p = sp.IndexedBase("p", positive=True)


@pytest.mark.parametrize("build", [
    lambda: sc.Categorical(p, k=10**6),
    lambda: sc.Categorical.from_logits(k=10**6),
    lambda: sc.Categorical.from_logits(k=10**100),
    lambda: sc.Categorical([sp.Rational(1, 10**6)] * 10**6),
    lambda: sc.Categorical.from_logits([sp.Symbol("z", real=True)] * (MAX_CLASSES + 1)),
], ids=["IndexedBase k=10^6", "logits k=10^6", "logits k=10^100", "probs of 10^6 entries", "logits of 10^5+1"])
def test_a_huge_explicit_categorical_is_refused_up_front(build):
    start = time.process_time()
    with pytest.raises(InvalidParameterError) as e:
        build()
    assert time.process_time() - start < 1.0
    assert f"{MAX_CLASSES:,}" in str(e.value) and "symbolic k" in str(e.value)


@pytest.mark.parametrize("name, error", [(None, ArgumentTypeError), (5, ArgumentTypeError), (b"z", ArgumentTypeError),
                                         ("", InvalidParameterError), ("a b", InvalidParameterError),
                                         ("z}", InvalidParameterError), ("1z", InvalidParameterError)])
def test_a_bad_logit_name_is_refused(name, error):
    with pytest.raises(error, match="name"):
        sc.Categorical.from_logits(k=3, name=name)


@pytest.mark.parametrize("name", ["z", "z1_", "θ", "logit"])
def test_identifier_logit_names_are_kept(name):
    P = sc.Categorical.from_logits(k=3, name=name)
    assert [str(e) for e in P.entries] == [f"{name}1", f"{name}2", f"{name}3"]


@settings(max_examples=FUZZ or 100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(k=st.one_of(st.integers(-10, 500), st.integers(MAX_CLASSES + 1, 10**30), st.floats(), st.text(max_size=5),
                   st.none(), st.booleans(), st.just(sp.Integer(3)), st.just(sp.Symbol("k"))),
       name=st.one_of(st.text(max_size=8), st.none(), st.integers()))
def test_any_k_and_name_give_a_categorical_or_a_symce_error_at_once(k, name):
    start = time.process_time()
    try:
        P = sc.Categorical.from_logits(k=k, name=name)
    except SymceError:
        pass
    else:
        assert isinstance(k, (int, sp.Integer)) and 2 <= k <= MAX_CLASSES and len(P.entries) == k
        assert all(e.name.startswith(name) for e in P.entries)
    assert time.process_time() - start < 10
