"""torch.distributions' KL registry, pair by pair, against symce's derived KL (issue 11, goal 1).

``torch.distributions.kl._KL_REGISTRY`` (87 pairs in torch 2.x) is enumerated, not copied: every registered
(P, Q) whose two families symce ships — torch class name = symce class name, torch's arguments = symce's
arguments by name, float64 — is derived by symce for the family's first example (symbolic parameters) and
evaluated at random parameter points; torch's value must agree to 1e-9 relative (the tolerance of
tests/test_families.py: |Δ| ≤ 1e-9 · max(1, |KL|)). Points where torch's KL is below 1e-2 are skipped over:
torch's closed forms lose digits to cancellation as P → Q (its own, not symce's). torch's constant +∞
pairs (``_kl_*_infinity``: P not absolutely continuous w.r.t. Q) must be +∞ in symce with a reason. The same
for the entropy of every torch family symce has. Pairs and families symce does not have are listed by a
test that records them (``record_property`` and stdout), not failed.
"""

from __future__ import annotations

import math

import pytest
import sympy as sp

import symce as sc
from symce import families
from symce.app.coverage import representatives
from conftest import SEEDS, sample_point
import oracles

torch = pytest.importorskip("torch")
from torch.distributions import kl as torch_kl  # noqa: E402

RTOL = 1e-9
#: the seed catalog predates torch's argument names (symce name → torch name); the common families use torch's
RENAME = {"Normal": {"mu": "loc", "sigma": "scale"}, "Bernoulli": {"p": "probs"},
          "MultivariateNormal": {"mu": "loc", "L": "scale_tril"}}
TIME_LIMIT = 20.0  # CPU seconds per derivation (the engine's default limit)

FAMILIES = {type(e.build(1)).__name__: e for e in representatives()}
#: every example of each family, for a Q on P's sample space (same k or d) when the first example is not
EXAMPLES_OF: dict = {}
for _e in [*families.EXAMPLES, *families.COMMON]:
    EXAMPLES_OF.setdefault(type(_e.build(1)).__name__, []).append(_e)
#: torch arguments that are matrices (a one-column symce Matrix is otherwise torch's vector)
MATRIX_ARGUMENTS = {"scale_tril", "cov_factor", "covariance_matrix", "precision_matrix"}
REGISTRY = sorted(((p.__name__, q.__name__), f.__name__) for (p, q), f in torch_kl._KL_REGISTRY.items())
HAVE = [(pq, fn) for pq, fn in REGISTRY if all(n in FAMILIES for n in pq)]
MISSING = [(pq, fn) for pq, fn in REGISTRY if not all(n in FAMILIES for n in pq)]
TORCH_FAMILIES = sorted(n for n in dir(torch.distributions) if isinstance(getattr(torch.distributions, n), type)
                        and issubclass(getattr(torch.distributions, n), torch.distributions.Distribution)
                        and n != "Distribution")


def _torch(D, values):
    """torch.distributions.<D's class>(**D's arguments at the point), float64, validate_args off."""
    rename = RENAME.get(type(D).__name__, {})
    kwargs = {}
    for name, v in D.parameters.items():
        if isinstance(v, (list, tuple)):
            v = [float(sp.N(oracles.substitute(x, values), 20)) for x in v]
        elif isinstance(v, sp.MatrixBase):
            v = [[float(sp.N(x, 20)) for x in row] for row in oracles.substitute(v, values).tolist()]
            if v and len(v[0]) == 1 and rename.get(name, name) not in MATRIX_ARGUMENTS:
                v = [row[0] for row in v]  # a column (a mean, a concentration vector) is torch's vector
        else:
            v = float(sp.N(oracles.substitute(v, values), 20))
        kwargs[rename.get(name, name)] = torch.tensor(v, dtype=torch.float64)
    return getattr(torch.distributions, type(D).__name__)(**kwargs, validate_args=False)


def _close(got: float, want: float, what: str) -> None:
    if math.isinf(want):
        assert got == math.inf, f"{what}: torch +∞, symce {got!r}"
        return
    assert abs(got - want) <= RTOL * max(1.0, abs(want)), f"{what}: symce {got!r}, torch {want!r}"


def _derive(f, *dists):
    sc.set_time_limit(TIME_LIMIT)
    return f(*dists)


@pytest.mark.parametrize("pq, fn", [pytest.param(pq, fn, id="|".join(pq)) for pq, fn in HAVE])
def test_kl_agrees_with_torch(pq, fn):
    # the first examples on a common sample space (same k or d): LowRankMultivariateNormal's d = 3 meets MVN's
    found = next(((a, b) for a in EXAMPLES_OF[pq[0]] for b in EXAMPLES_OF[pq[1]]
                  if a.build(1).sample_space == b.build(2).sample_space), None)
    if found is None:
        pytest.skip(f"no {pq[0]} and {pq[1]} examples on a common sample space")
    a, b = found
    P, Q = a.build(1), b.build(2)
    d = _derive(sc.kl, P, Q)
    if fn.endswith("_infinity"):  # torch's constant +∞: the supports alone decide it
        assert d.is_infinite and d.infinite_reason, f"torch: KL({pq[0]} ‖ {pq[1]}) = +∞; symce: {d.result}"
        return
    checked = 0
    for seed in range(SEEDS[0], SEEDS[0] + 12):
        values = sample_point(seed, (a, P), (b, Q))
        want = float(torch_kl.kl_divergence(_torch(P, values), _torch(Q, values)))
        if abs(want) < 1e-2 and not math.isinf(want):
            continue  # near P = Q: torch's own cancellation
        got = float(oracles.value(d.result, values).real)
        _close(got, want, f"KL({P!r} ‖ {Q!r}) at {values}")
        checked += 1
        if checked == 2:
            return
    pytest.fail(f"no parameter point with torch KL ≥ 1e-2 for {pq}")


@pytest.mark.parametrize("name", [n for n in TORCH_FAMILIES if n in FAMILIES])
def test_entropy_agrees_with_torch(name):
    ex = FAMILIES[name]
    P = ex.build(1)
    d = _derive(sc.entropy, P)
    for seed in SEEDS[:2]:
        values = sample_point(seed, (ex, P))
        try:
            want = float(_torch(P, values).entropy())
        except NotImplementedError:
            pytest.skip(f"torch.distributions.{name} has no entropy")
        _close(float(oracles.value(d.result, values).real), want, f"H({P!r}) at {values}")


def test_registry_pairs_and_families_symce_lacks_are_listed(record_property, capsys):
    # not a failure: the list of what is left to add (the issue asks for every registered pair)
    assert len(HAVE) + len(MISSING) == len(REGISTRY) >= 80
    infinite = [pq for pq, fn in REGISTRY if fn.endswith("_infinity")]
    lacking = sorted({n for pq, _ in MISSING for n in pq if n not in FAMILIES})
    no_family = [n for n in TORCH_FAMILIES if n not in FAMILIES]
    record_property("torch_kl_pairs", len(REGISTRY))
    record_property("torch_kl_pairs_checked", len(HAVE))
    record_property("torch_kl_pairs_missing", ", ".join("|".join(pq) for pq, _ in MISSING))
    record_property("torch_families_missing", ", ".join(no_family))
    with capsys.disabled():
        print(f"\ntorch KL registry: {len(REGISTRY)} pairs ({len(infinite)} constant +∞), {len(HAVE)} checked "
              f"against symce; {len(MISSING)} not checked (families symce lacks: {', '.join(lacking)}): "
              + ", ".join("|".join(pq) for pq, _ in MISSING))
        print(f"torch families without a symce family: {', '.join(no_family)}")
