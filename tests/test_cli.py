"""The command line: subcommands, --help, exit codes (0 ok, 1 a check failed, 2 usage/symce error), family
labels looked up in the catalog, symce errors as one line without a traceback.

Everything is driven by the catalog (no family is named here), so new families are covered as they land.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest
import sympy as sp

import symce
import symce as sc  # noqa: F811 (the module and its short name, as the docs write it)
from symce import errors, families
from symce.app.cli import main

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LABELS = [e.label for e in families.EXAMPLES]
PAIRS = [(a.label, b.label) for a, b in families.pairs()]


def test_python_dash_m_help_in_a_subprocess():
    r = subprocess.run([sys.executable, "-m", "symce", "--help"], cwd=ROOT, capture_output=True, text=True,
                       timeout=120)
    assert r.returncode == 0, r.stderr
    for cmd in ("report", "derive", "catalog", "latex", "verify", "coverage"):
        assert cmd in r.stdout


@pytest.mark.parametrize("argv", [["--help"], ["report", "--help"], ["derive", "--help"], ["catalog", "--help"],
                                  ["latex", "--help"], ["verify", "--help"], ["coverage", "--help"]])
def test_help_everywhere(argv, capsys):
    assert main(argv) == 0
    assert "usage: symce" in capsys.readouterr().out


def test_one_parser_for_every_subcommand():
    # the sub-command modules offer add_parser and run only; symce.app.cli builds the one parser
    from symce.app import cli, coverage_cli, latex_cli, verify_cli

    for module in (latex_cli, verify_cli, coverage_cli):
        assert not hasattr(module, "main") and callable(module.add_parser) and callable(module.run)
    sub = next(a for a in cli.parser()._actions if a.dest == "command")
    assert set(sub.choices) == {"report", "derive", "catalog", "latex", "verify", "coverage"}


@pytest.mark.parametrize("argv", [[], ["no-such-command"], ["derive"], ["derive", "variance", LABELS[0]],
                                  ["report", "--no-such-option"], ["report", "--jobs", "0"],
                                  ["report", "--accuracy-samples", "-5"], ["report", "--jobs", "two"]])
def test_usage_errors_exit_2(argv, capsys):
    assert main(argv) == 2
    assert "usage:" in capsys.readouterr().err


def test_catalog_lists_every_label(capsys):
    assert main(["catalog"]) == 0
    assert capsys.readouterr().out.split() == LABELS + [e.label for e in families.COMMON]


@pytest.mark.parametrize("argv", [["latex", "kl", "no-such-family"], ["latex", "entropy", LABELS[0], LABELS[0]],
                                  ["latex", "kl", LABELS[0], "--pdf"]])
def test_latex_usage_errors_exit_2(argv, capsys):
    assert main(argv) == 2


def test_unknown_family_exits_2_listing_the_known_labels(capsys):
    assert main(["derive", "kl", "no-such-family", LABELS[0]]) == 2
    err = capsys.readouterr().err
    assert "no-such-family" in err and "Traceback" not in err
    for label in LABELS:
        assert label in err
    assert len(err.strip().splitlines()) == 1


def test_text_is_never_evaluated(capsys):
    # a label that would do something if it were eval'd is just an unknown label
    assert main(["derive", "entropy", "__import__('os').getcwd()"]) == 2
    assert "unknown family" in capsys.readouterr().err


@pytest.mark.parametrize("argv", [["derive", "entropy", LABELS[0], LABELS[0]],
                                  ["derive", "kl", LABELS[0], LABELS[0], LABELS[0]],
                                  ["derive", "cross-entropy", LABELS[0], LABELS[0], LABELS[0]]])
def test_wrong_number_of_families_exits_2(argv, capsys):
    assert main(argv) == 2
    assert "FAMILY" in capsys.readouterr().err


@pytest.mark.parametrize("label", LABELS)
def test_derive_entropy_of_every_example(label, capsys):
    assert main(["derive", "entropy", label]) == 0
    out = capsys.readouterr().out
    P = families.EXAMPLES[LABELS.index(label)].build(1)
    assert f"result: {symce.entropy(P).result}" in out
    assert "H(P)" in out


@pytest.mark.parametrize("la, lb", PAIRS, ids=[f"{a}|{b}" for a, b in PAIRS])
def test_derive_kl_and_cross_entropy_of_every_pair(la, lb, capsys):
    ex = {e.label: e for e in families.EXAMPLES}
    P, Q = ex[la].build(1), ex[lb].build(2)
    assert main(["derive", "kl", la, lb]) == 0
    assert f"result: {symce.kl(P, Q).result}" in capsys.readouterr().out
    assert main(["derive", "cross-entropy", la, lb]) == 0
    assert f"result: {symce.cross_entropy(P, Q).result}" in capsys.readouterr().out


def test_one_family_compares_two_instances_of_it(capsys):
    e = families.EXAMPLES[0]
    assert main(["derive", "kl", e.label]) == 0
    out = capsys.readouterr().out
    assert f"result: {symce.kl(e.build(1), e.build(2)).result}" in out


def test_derive_latex(capsys):
    assert main(["derive", "kl", LABELS[0], "--latex"]) == 0
    assert "\\begin{align*}" in capsys.readouterr().out


def test_families_on_different_sample_spaces_exit_2_with_one_line(capsys):
    mismatched = [(a, b) for a in families.EXAMPLES for b in families.EXAMPLES
                  if a.build(1).sample_space != b.build(2).sample_space]
    if not mismatched:
        pytest.skip("every catalog example lives on one sample space")
    a, b = mismatched[0]
    assert main(["derive", "kl", a.label, b.label]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert "MismatchError" in err


def test_symce_errors_are_one_line_exit_2(monkeypatch, capsys):
    def too_slow(P, Q):
        raise errors.DerivationTimeoutError("derivation of KL(P || Q)", 0.5)

    monkeypatch.setattr(symce.engine.information, "kl", too_slow)
    assert main(["derive", "kl", LABELS[0]]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "DerivationTimeoutError" in err and "0.5 s" in err


# -- a missing pdflatex (issue 15): say how to install it, never skip silently ------------------------------
def _hide_pdflatex(monkeypatch, tmp_path):
    empty = tmp_path / "no-tex-here"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    import shutil

    assert shutil.which("pdflatex") is None


def test_latex_pdf_without_pdflatex_says_how_to_install_it(monkeypatch, tmp_path, capsys):
    _hide_pdflatex(monkeypatch, tmp_path)
    rc = main(["latex", "entropy", LABELS[0], "--out", str(tmp_path / "h.tex"), "--pdf"])
    err = capsys.readouterr().err
    assert rc != 0 and "pdflatex was not found" in err and "apt-get install" in err
    assert (tmp_path / "h.tex").exists() and not (tmp_path / "h.pdf").exists()


def test_report_without_pdflatex_warns_and_says_the_pdf_was_skipped(monkeypatch, tmp_path, capsys):
    from symce import families

    monkeypatch.setattr(families, "EXAMPLES", families.EXAMPLES[:1])
    _hide_pdflatex(monkeypatch, tmp_path)
    out = tmp_path / "out"
    rc = main(["report", "--out", str(out), "--quiet", "--no-training", "--no-accuracy"])
    captured = capsys.readouterr()
    assert rc == 0
    assert "report.pdf skipped (pdflatex not found)" in captured.out.strip().splitlines()[-1]
    last = captured.err.strip().splitlines()[-1]
    assert last.startswith("symce report: warning: report.pdf skipped") and "apt-get install" in last
    assert (out / "report.tex").exists() and not (out / "report.pdf").exists()


# -- symce derive: the chain with its lemmas on their own numbered lines (issue 15) ----------------------------
def test_derive_prints_lemmas_as_numbered_lines_not_chain_steps(capsys):
    label = next(e.label for e in families.EXAMPLES if e.build(1).expfamily() is not None)
    assert main(["derive", "kl", label]) == 0
    out = capsys.readouterr().out
    assert "Eq(" not in out and "Expect(" not in out and "= Eq" not in out
    numbered = re.findall(r"^ \((\d+)\)  (.*)$", out, re.M)
    assert [int(n) for n, _ in numbered] == list(range(1, len(numbered) + 1))
    lemmas = [body for _, body in numbered if body.lstrip().startswith("lemma: E_P[")]
    chain = [body for _, body in numbered if body.startswith("= ")]
    assert lemmas and len(chain) >= 2 and len(lemmas) + len(chain) == len(numbered)
    assert out.splitlines()[2].startswith("KL(P || Q)")


def test_derive_notation_flags(capsys):
    assert main(["derive", "kl", LABELS[0], "--kl-notation", "D_KL", "--log", "ln"]) == 0
    out = capsys.readouterr().out
    assert "D_KL(P || Q)" in out and "ln(" in out and " log(" not in out.split("result:")[1]
    assert main(["derive", "kl", LABELS[0], "--latex", "--kl-notation", "D"]) == 0
    assert r"D(P \,\|\, Q) &=" in capsys.readouterr().out
    assert main(["derive", "kl", LABELS[0], "--kl-notation", "Kullback"]) == 2


def test_common_families_are_reachable_by_label(capsys):
    # a family file (gamma.py, exponential.py) is a label of every subcommand without touching the CLI
    assert main(["derive", "kl", "gamma", "exponential"]) == 0
    out = capsys.readouterr().out
    # by hand from the densities: E[log X] = ψ(α) − log β and E[X] = α/β under Gamma(α, β) (Penny 2001)
    a, b, lam = sp.Symbol("alpha1", positive=True), sp.Symbol("beta1", positive=True), sp.Symbol("lambda2", positive=True)
    want = sp.log(b) - sp.loggamma(a) + (a - 1) * sp.polygamma(0, a) - a - sp.log(lam) + lam * a / b
    got = sc.kl(sc.Gamma(a, b), sc.Exponential(lam)).result
    assert sp.simplify(sp.expand_log(got - want, force=True)) == 0
    assert f"result: {got}" in out
