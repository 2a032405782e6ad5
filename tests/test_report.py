"""The main job (``symce report``) and the benchmark script's smoke run.

The report is run once for the module over the whole catalog (a few seconds); the assertions then read
report.md section by section. No family is named: sections are found from ``EXAMPLES``/``pairs()``.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from types import SimpleNamespace

import pytest
import sympy as sp

from symce import families
from symce.app import report, report_markdown
from symce.app.cli import main
from symce.engine.proof import Proof

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    out = tmp_path_factory.mktemp("report")
    rep = report.run_catalog()
    import io
    from contextlib import redirect_stdout

    buf = io.StringIO()
    with redirect_stdout(buf):
        rc = main(["report", "--out", str(out), "--no-pdf", "--no-training", "--no-accuracy"])
    text = (out / "report.md").read_text(encoding="utf-8")
    return SimpleNamespace(rc=rc, stdout=buf.getvalue(), md=text, rep=rep, out=out)


def _sections(md: str) -> dict[str, str]:
    """'### title' -> the text up to the next '###' heading."""
    parts = re.split(r"^### (.+)$", md, flags=re.M)
    return {parts[i].strip(): parts[i + 1] for i in range(1, len(parts), 2)}


def test_report_md_is_written(run):
    assert os.path.isfile(run.out / "report.md")
    assert run.md.startswith("# symce catalog report")


def test_report_tex_is_written_too(run):
    pytest.importorskip("symce.printing.document")
    tex = (run.out / "report.tex").read_text(encoding="utf-8")
    assert "\\documentclass" in tex and "\\end{document}" in tex
    assert not (run.out / "report.pdf").exists()  # --no-pdf


def test_a_latex_block_for_every_catalog_pair(run):
    secs = _sections(run.md)
    for a, b in families.pairs():
        title = f"{a.label} ‖ {b.label}"
        assert title in secs, f"no section for {title}"
        body = secs[title]
        assert re.search(r"\$\$ .+ = .+ \$\$", body), f"no LaTeX block in the section {title}"
        assert r"H(P, Q) =" in body and r"\mathbb{KL}(P \,\|\, Q) =" in body


def test_an_entropy_block_for_every_example(run):
    secs = _sections(run.md)
    for e in families.EXAMPLES:
        assert e.label in secs
        assert "$$ H(P) = " in secs[e.label]


def test_proof_statuses_are_in_the_report(run):
    n_pairs = len(families.pairs())
    assert run.md.count("proof KL = H(P,Q) − H(P): **") == n_pairs
    assert run.md.count("proof KL(P‖P) = 0: **") == len(families.EXAMPLES)


def test_exit_status_says_whether_every_check_passed(run):
    assert run.rc == (1 if run.rep.failures else 0)
    for it in run.rep.failures:
        assert f"FAILED {it.section}: {it.quantity}" in run.stdout


def test_terminal_summary_table_and_progress(run):
    lines = run.stdout.splitlines()
    n = len(families.EXAMPLES) + len(families.pairs())
    progress = [ln for ln in lines if re.match(r"\[\s*\d+/\d+\] ", ln)]
    assert len(progress) == n
    header = next(ln for ln in lines if ln.startswith("family pair"))
    assert all(col in header for col in ("quantity", "status", "time (ms)"))
    for a, b in families.pairs():
        rows = [ln for ln in lines if ln.startswith(f"{a.label} ‖ {b.label} ")]
        assert any("KL = H(P,Q) − H(P)" in r for r in rows)
        assert any(re.search(r"H\(P,Q\)\s+(derived|\+∞)\s+\d+\.\d$", r) for r in rows)
    assert "wrote" in lines[-1]


def test_quiet_prints_one_line(tmp_path, capsys):
    rc = main(["report", "--out", str(tmp_path), "--quiet", "--no-tex", "--no-training", "--no-accuracy"])
    out = capsys.readouterr().out
    assert len(out.strip().splitlines()) == 1 and "report.md" in out
    assert rc in (0, 1)


def _first_example_only(monkeypatch):
    monkeypatch.setattr(families, "EXAMPLES", families.EXAMPLES[:1])


def test_a_refuted_proof_exits_1(monkeypatch, tmp_path, capsys):
    _first_example_only(monkeypatch)
    refuted = lambda P: Proof(sp.Integer(1), sp.Integer(0), "refuted", counterexample={"point": {}, "lhs": 1, "rhs": 0})  # noqa: E731
    monkeypatch.setattr(report, "kl_self_zero", refuted)
    assert main(["report", "--out", str(tmp_path), "--no-tex", "--no-training", "--no-accuracy"]) == 1
    out = capsys.readouterr().out
    assert "FAILED" in out and "refuted" in out
    assert "**refuted**" in (tmp_path / "report.md").read_text(encoding="utf-8")


def test_checked_numerically_is_not_enough(monkeypatch, tmp_path, capsys):
    _first_example_only(monkeypatch)
    monkeypatch.setattr(report, "kl_self_zero",
                        lambda P: Proof(sp.Integer(0), sp.Integer(0), "checked numerically", points=8))
    assert main(["report", "--out", str(tmp_path), "--quiet", "--no-tex", "--no-training", "--no-accuracy"]) == 1


def test_a_failing_item_is_recorded_and_the_report_goes_on(monkeypatch):
    _first_example_only(monkeypatch)

    def broken(P, Q):
        raise RuntimeError("engine bug")

    monkeypatch.setattr(report, "cross_entropy", broken)
    rep = report.run_catalog()
    ce = [it for it in rep.items if it.quantity == "H(P,Q)"]
    kls = [it for it in rep.items if it.quantity == "KL(P‖Q)"]
    assert ce and all(it.status == "error: RuntimeError" and "engine bug" in it.note for it in ce)
    assert kls and all(it.status in ("derived", "+∞") for it in kls)
    assert rep.failures
    assert "engine bug" in report_markdown.markdown(rep)


def test_gradient_symbols_of_each_kind_of_parameter():
    x, y = sp.symbols("x y", real=True)
    k = sp.Symbol("k", integer=True, positive=True)
    z = sp.IndexedBase("z")
    S = sp.MatrixSymbol("S", 2, 2)
    Q = SimpleNamespace(parameters={"a": x, "b": [y, x], "z": z, "k": k, "S": S, "e": 2 * x + sp.exp(y)})
    syms, note = report.gradient_symbols(Q)
    assert syms == [x, y, z[report.GENERIC_INDEX], S]
    assert "generic element" in note
    Qm = SimpleNamespace(parameters={"m": sp.Matrix([[x, 0], [y, x]])})
    assert report.gradient_symbols(Qm)[0] == [x, y]


def test_benchmark_quick_smoke_run(tmp_path):
    md = tmp_path / "bench.md"
    r = subprocess.run([sys.executable, os.path.join(ROOT, "benchmarks", "run.py"), "--quick", "--limit", "0.3",
                        "--budget", "2", "--k", "20", "--d", "2", "--markdown", str(md)],
                       cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    for title in ("(a) cold run", "(b) plain SymPy", "(c) scale"):
        assert title in r.stdout
    assert "process start → catalog done" in r.stdout
    text = md.read_text(encoding="utf-8")
    assert text.count("|---|") >= 3


def test_gibbs_on_the_simplex_is_the_lagrange_condition():
    # on the simplex the unconstrained gradient at Q = P is a Lagrange multiplier times (1, …, 1), not 0:
    # the proof must say so (λ named in the statement) and be "proved", never a bare ∇ = 0
    constrained = [e for e in families.EXAMPLES if any(isinstance(c, sp.Eq) for c in e.build(2).conditions())]
    assert constrained, "the catalog has probability-parameterised categoricals"
    for e in constrained:
        out = report.gibbs_if_applicable(e.build(1), e.build(2))
        assert isinstance(out, Proof) and out.status == "proved" and "Lagrange" in out.name


def test_extra_sections_are_appended_and_a_failing_one_fails_the_run(monkeypatch, tmp_path, capsys):
    # the training and accuracy sections have their own tests (test_empirical*, test_numeric_report);
    # here: the report calls them, appends their Markdown in order, and a section that raises exits 1
    import symce.app.training_report as training
    import symce.app.accuracy as accuracy

    _first_example_only(monkeypatch)
    calls = []
    monkeypatch.setattr(training, "training_section", lambda: calls.append("t") or "## Training\n\ntext-T")
    monkeypatch.setattr(accuracy, "accuracy_section", lambda out, n, **kw: calls.append(("a", n)) or "## Accuracy\n\ntext-A")
    assert main(["report", "--out", str(tmp_path), "--quiet", "--no-tex", "--accuracy-samples", "7"]) == 0
    md = (tmp_path / "report.md").read_text(encoding="utf-8")
    assert calls == ["t", ("a", 7)]
    assert md.index("## Training") < md.index("## Accuracy") and "text-A" in md

    def broken():
        raise RuntimeError("boom")

    monkeypatch.setattr(training, "training_section", broken)
    assert main(["report", "--out", str(tmp_path), "--quiet", "--no-tex"]) == 1
    assert "training losses" in capsys.readouterr().err


def test_the_timing_line_is_measured_for_every_part(monkeypatch, tmp_path):
    # the report says what each part took, not the catalog's seconds passed off as the whole run
    import symce.app.training_report as training

    _first_example_only(monkeypatch)
    monkeypatch.setattr(training, "training_section", lambda: "## Training\n\ntext-T")
    assert main(["report", "--out", str(tmp_path), "--quiet", "--no-tex", "--no-accuracy"]) == 0
    md = (tmp_path / "report.md").read_text(encoding="utf-8")
    line = next(ln for ln in md.splitlines() if ln.startswith("**Timing:**"))
    assert re.search(r"catalog \d+\.\d s, training losses section \d+\.\d s; the whole run \d+ s$", line), line
    assert "catalog derived and proved in" in md


def test_the_report_takes_the_notation_settings(monkeypatch, tmp_path):
    _first_example_only(monkeypatch)
    assert main(["report", "--out", str(tmp_path), "--quiet", "--no-pdf", "--no-training", "--no-accuracy",
                 "--kl-notation", "D_KL", "--log", "ln"]) == 0
    for name in ("report.md", "report.tex"):
        text = (tmp_path / name).read_text(encoding="utf-8")
        assert r"D_{\mathrm{KL}}(P \,\|\, Q)" in text and r"\mathbb{KL}" not in text, name
        assert r"\ln" in text and r"\log{" not in text, name
    assert main(["report", "--out", str(tmp_path), "--quiet", "--kl-notation", "Kullback"]) == 2


def test_title_page_reads_the_values_table_not_the_derivatives_table():
    """The accuracy section holds two tables: one row per formula for the values, then one row per formula
    and order for the derivatives, with other columns. The title page's "accuracy goals met" counts the
    values' goals; it once read the derivatives' rows through the values' column positions and said 0/59."""
    from symce.printing.report_document import _accuracy_by_formula

    section = "\n".join([
        "## Accuracy of the generated code", "",
        "| formula | max ULP | median | ≤ 1 ULP | NaN/inf | typical: max ULP, NaN/inf | goal | plain | plot |",
        "|---|---:|---:|---:|---:|---:|:-:|---:|---|",
        "| H(bernoulli) | 1 | 0 | 100% | 0 | 1, 0 | met | 3, 0 | |",
        "| KL(normal ‖ normal) | 9 | 0 | 99% | 0 | 9, 0 | **not met** | inf, 3 | |",
        "| H(gamma) | 2 | 0 | 99% | 0 | 2, 0 | met (≤ 16, special); in ULPs of max(\\|H\\|, Σ\\|terms\\|): max 2 | inf, 6 | |",
        "", "### Gradients and Hessians", "",
        "| formula | order | max error (units above) per partial | plain ULP max | NaN/inf | goal | plain |",
        "|---|:-:|---|---:|---:|:-:|---:|",
        "| H(bernoulli) | ∇ | p1 0 | 0 | 0 | **not met** | 0, 0 |",
        "| KL(normal ‖ normal) | ∇ | mu2 1 | 1 | 0 | met | 1, 0 |",
    ])
    assert _accuracy_by_formula([section]) == {"H(bernoulli)": True, "KL(normal ‖ normal)": False,
                                               "H(gamma)": True}


def test_accuracy_goal_note_keeps_its_table_cell():
    """The zero-crossing note of a common entropy's goal cell writes |H| with escaped bars: bare ones split
    the cell into extra columns (29 rows of the report's accuracy table had 11 cells under a 9-column head)."""
    from symce.app.accuracy import _goal_note
    from symce.printing.markdown_latex import table_rows

    note = "met" + _goal_note({"goal": "special", "zero": (2.0, 0.125), "points": 10, "unresolved": 0})
    head, rows = table_rows(["| formula | goal | plain |", "|---|---|---|", f"| H(gamma) | {note} | inf, 6 |"])
    assert len(rows[0]) == len(head) == 3
    assert rows[0][1].startswith("met (≤ 16, special)") and "max 2" in rows[0][1]
