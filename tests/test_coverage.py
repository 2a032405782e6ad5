"""The coverage matrix (symce.app.coverage, `symce coverage`): counts that add up to the cells, +∞ cells with
their reason, kept sums and failures classified, the page and the picture written, the command's help and
exit codes. Narrowed to four families that derive in milliseconds (two on ℝ, two on ℤ)."""

from __future__ import annotations

import re
import time
from types import SimpleNamespace

import pytest
import sympy as sp

from symce.app import coverage, coverage_page
from symce.app.cli import main
from symce.app.coverage import CLOSED, FAILED, INFINITE, KEPT, STATUSES

FOUR = ["normal", "gamma", "bernoulli", "poisson"]


@pytest.fixture(scope="module")
def cov():
    return coverage.build(FOUR, time_limit=10, jobs=1)


def test_counts_add_up_to_the_cells(cov):
    names = [f[0] for f in cov.families]
    assert sorted(names) == ["Bernoulli", "Gamma", "Normal", "Poisson"]
    counts = cov.counts()
    assert sum(counts["H"].values()) == 4
    # ordered pairs on a common sample space, a family against itself included: 2² on ℝ + 2² on ℤ
    assert cov.pairs == sum(counts["KL"].values()) == sum(counts["CE"].values()) == 8
    assert sum(sum(c.values()) for c in counts.values()) == len(cov.cells) == 4 + 2 * 8
    assert set().union(*counts.values()) <= set(STATUSES)
    k = counts["KL"]
    assert (f"{cov.pairs} ordered pairs on a common sample space: KL in closed form for {k[CLOSED]}, "
            f"+∞ for {k[INFINITE]}, Sum/Integral kept for {k[KEPT]}, not derivable for {k[FAILED]}") in cov.summary()
    # no pair across sample spaces
    assert cov.cell("KL", "Normal", "Poisson") is None and cov.cell("CE", "Bernoulli", "Gamma") is None


def test_infinite_cells_say_why(cov):
    for q in ("CE", "KL"):
        for P, Q in (("Normal", "Gamma"), ("Poisson", "Bernoulli")):
            c = cov.cell(q, P, Q)
            assert c.status == INFINITE and "not absolutely continuous" in c.note, c
    assert all(c.note for c in cov.cells if c.status in (INFINITE, KEPT, FAILED))


def test_statuses_of_known_cells(cov):
    assert cov.cell("H", "Poisson").status == KEPT and "Sum" in cov.cell("H", "Poisson").note  # E[log X!]
    assert cov.cell("KL", "Poisson", "Poisson").status == CLOSED  # log x! cancels inside the expectation
    for q in ("H", "KL"):
        assert cov.cell(q, "Gamma", "Gamma").status == CLOSED
    assert all(c.seconds >= 0 for c in cov.cells)


def test_the_page_tables_agree_with_the_counts(cov, tmp_path):
    md = coverage_page.markdown(cov)
    counts = cov.counts()
    row = next(ln for ln in md.splitlines() if ln.startswith("| KL(P ‖ Q) |"))
    cells = [x.strip() for x in row.strip("|").split("|")]
    assert cells[1:6] == [str(cov.pairs)] + [str(counts["KL"][s]) for s in STATUSES]
    assert "| **Poisson** | ∞∞ | H∑ ∑✓ |" in md  # row P = Poisson on ℤ: vs Bernoulli, then itself
    assert len(re.findall(r"^\| (Normal|Gamma|Bernoulli|Poisson) \| (Normal|Gamma|Bernoulli|Poisson) \|", md, re.M)) == 8
    paths = coverage_page.write(cov, str(tmp_path))
    assert (tmp_path / "coverage.md").read_text(encoding="utf-8").startswith("# symce coverage")
    pytest.importorskip("matplotlib")
    assert (tmp_path / "coverage.png").stat().st_size > 1000 and str(tmp_path / "coverage.png") in paths


def test_classify_kept_and_conditional_results():
    x, k, i, a = sp.symbols("x k i a", positive=True)
    d = lambda r: SimpleNamespace(result=r, is_infinite=r == sp.oo, infinite_reason="why" if r == sp.oo else None)  # noqa: E731
    assert coverage.classify(d(sp.Integral(sp.log(x), (x, 0, 1)) + 1))[0] == KEPT
    assert coverage.classify(d(sp.Sum(sp.log(i), (i, 0, sp.oo))))[0] == KEPT
    assert coverage.classify(d(sp.Sum(sp.log(i), (i, 1, k))))[0] == CLOSED  # k classes: a finite sum
    status, note = coverage.classify(d(sp.Piecewise((sp.log(a), a < 2), (sp.oo, True))))
    assert status == CLOSED and "+∞ otherwise" in note
    assert coverage.classify(d(sp.oo)) == (INFINITE, "why")


def test_a_cell_is_stopped_by_its_time_limit_and_an_error_is_recorded(monkeypatch):
    def spin(quantity, P, Q):
        if type(Q).__name__ == "Poisson" and quantity == "KL":
            while True:
                pass
        if type(P).__name__ == "Poisson" and quantity == "CE":
            raise RuntimeError("boom")
        return coverage.entropy(P)
    monkeypatch.setattr(coverage, "_derive", spin)
    t0 = time.process_time()
    cov = coverage.build(["bernoulli", "poisson"], time_limit=0.3, jobs=1)
    assert time.process_time() - t0 < 20
    stopped = [c for c in cov.cells if c.note.startswith("time limit")]
    assert {(c.P, c.Q) for c in stopped} == {("Bernoulli", "Poisson"), ("Poisson", "Poisson")}
    assert all(c.status == FAILED and not c.crashed and c.seconds < 2 for c in stopped)
    boom = cov.cell("CE", "Poisson", "Bernoulli")
    assert boom.status == FAILED and boom.crashed and "RuntimeError: boom" in boom.note


def test_worker_processes_give_the_same_matrix(cov):
    two = coverage.build(["bernoulli", "poisson"], time_limit=10, jobs=2)
    assert two.jobs == 2 and len(two.cells) == 2 + 2 * 4
    for c in two.cells:
        assert c.status == cov.cell(c.quantity, c.P, c.Q).status


def test_representatives_are_the_first_example_of_each_family():
    reps = coverage.representatives()
    names = [type(e.build(1)).__name__ for e in reps]
    assert len(names) == len(set(names)) and {"Normal", "Gamma", "Bernoulli", "Categorical"} <= set(names)
    assert [e.label for e in coverage.representatives(["Gamma", "NORMAL"])] == ["normal", "gamma"]
    with pytest.raises(ValueError, match="no-such"):
        coverage.representatives(["gamma", "no-such"])


# -- the command ---------------------------------------------------------------------------------------
def test_help_and_usage_errors(capsys):
    assert main(["coverage", "--help"]) == 0
    out = capsys.readouterr().out
    assert "usage: symce coverage" in out and "exit status" in out and "--time-limit" in out
    for argv in (["coverage", "--families", "gamma,no-such"], ["coverage", "--time-limit", "0"],
                 ["coverage", "--time-limit", "soon"], ["coverage", "--jobs", "0"],
                 ["coverage", "--out", "a", "--docs", "b"]):
        assert main(argv) == 2, argv
        assert "no-such" in capsys.readouterr().err or "no-such" not in argv[-1]


def test_the_command_writes_the_page_and_exits_0(tmp_path, capsys):
    assert main(["coverage", "--families", "bernoulli,poisson", "--out", str(tmp_path), "--jobs", "1"]) == 0
    out = capsys.readouterr().out
    assert "coverage    1/10" in out and "2 families, 4 ordered pairs" in out.splitlines()[-1]
    assert "## Coverage: family × family" in (tmp_path / "coverage.md").read_text(encoding="utf-8")
    assert main(["coverage", "--families", "bernoulli", "--docs", str(tmp_path / "docs"), "--quiet"]) == 0
    assert (tmp_path / "docs" / "coverage.md").read_text(encoding="utf-8").startswith("# Coverage\n")
    assert len(capsys.readouterr().out.strip().splitlines()) == 1


def test_an_engine_bug_in_a_cell_exits_1(monkeypatch, tmp_path, capsys):
    def broken(quantity, P, Q):
        raise ZeroDivisionError("engine bug")
    monkeypatch.setattr(coverage, "_derive", broken)
    assert main(["coverage", "--families", "bernoulli", "--out", str(tmp_path), "--quiet", "--jobs", "1"]) == 1
    assert "ZeroDivisionError: engine bug" in capsys.readouterr().err


def test_the_report_adds_the_coverage_section(monkeypatch, tmp_path):
    from symce import families

    monkeypatch.setattr(families, "EXAMPLES", families.EXAMPLES[:1])  # bernoulli
    monkeypatch.setattr(families, "COMMON", [e for e in families.COMMON if e.label == "poisson"])
    assert main(["report", "--out", str(tmp_path), "--quiet", "--no-pdf", "--no-training", "--no-accuracy",
                 "--coverage", "--coverage-time-limit", "10", "--jobs", "1"]) == 0
    md = (tmp_path / "report.md").read_text(encoding="utf-8")
    assert "## Coverage: family × family" in md and "2 families, 4 ordered pairs" in md
    assert "| Poisson | Bernoulli | +∞ | +∞ |" in md
    tex = (tmp_path / "report.tex").read_text(encoding="utf-8")
    assert r"\chapter{Coverage: family $\times$ family}" in tex
    if (tmp_path / "coverage.png").exists():
        assert "coverage.png" in tex
