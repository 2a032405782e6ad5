"""An integral kept because SymPy's integrator ran out of its share of the time limit says so (the step's
rule and the coverage cell's note), apart from one kept because the integrator found no closed form: the
coverage matrix counted CE(Normal ‖ Laplace), a closed form derived alone in ~3 s, as "kept" on a slower
machine with nothing to tell the two apart. The integrator is replaced here, so the test does not depend on
the machine's speed: one stand-in stops at its limit, the other returns the integral unevaluated, as SymPy
does when it has no antiderivative."""

import pytest
import sympy as sp

import symce as sc
from symce.app.coverage import CLOSED, KEPT, Cell, Coverage, classify
from symce.app.coverage_page import markdown
from symce.engine.definition import KEPT_AT_LIMIT, KEPT_INTEGRAL
from symce.errors import DerivationTimeoutError

m1, m2 = sp.symbols("mu1 mu2", real=True)
s1, b2 = sp.symbols("sigma1 b2", positive=True)


def _stops(*args, **kwargs):
    raise DerivationTimeoutError("SymPy's integrator", 0.5)


def _no_antiderivative(f, limits, **kwargs):
    return sp.Integral(f, limits)


@pytest.fixture
def fresh_cache():
    sc.clear_cache()  # expectations are memoised: derive afresh under the stand-in, and forget it after
    yield
    sc.clear_cache()


@pytest.mark.parametrize("integrator, at_limit", [(_stops, True), (_no_antiderivative, False)])
def test_kept_integral_says_whether_the_time_limit_cut_it(monkeypatch, fresh_cache, integrator, at_limit):
    monkeypatch.setattr(sp, "integrate", integrator)
    d = sc.cross_entropy(sc.Normal(m1, s1), sc.Laplace(m2, b2))
    assert d.result.has(sp.Integral)
    kept = [s.rule for s in d.steps if s.rule.startswith(KEPT_INTEGRAL)]
    assert kept and all((KEPT_AT_LIMIT in r) == at_limit for r in kept), kept
    status, note = classify(d)
    assert status == KEPT and ("time limit" in note) == at_limit, note


def test_the_coverage_page_lists_the_cells_the_time_limit_cut():
    note = "an Integral is kept: SymPy's integrator stopped at its time limit (…)"
    cells = [Cell("CE", "Normal", "Laplace", KEPT, 2.1, note), Cell("KL", "Normal", "Laplace", KEPT, 2.2, note),
             Cell("H", "Normal", "Normal", CLOSED, 0.1), Cell("KL", "StudentT", "StudentT", KEPT, 0.3, "an Integral is kept")]
    md = markdown(Coverage([], cells, 4.0), matrix=False)  # no families: the per-family tables stay empty
    assert "time limit (a closed form may exist; another machine may find it): 2 cells: CE(Normal ‖ Laplace), " \
           "KL(Normal ‖ Laplace)." in md


def test_many_cut_cells_are_counted_not_listed():
    note = "an Integral is kept: SymPy's integrator stopped at its time limit (…)"
    cells = [Cell("CE", f"F{i}", "G", KEPT, 2.0, note) for i in range(9)]
    md = markdown(Coverage([], cells, 4.0), matrix=False)
    assert "another machine may find it): 9 cells (their notes below say so)." in md and "CE(F0" not in md
