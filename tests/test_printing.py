"""The LaTeX printer: symce's notation, options, derivation/proof layout, text escaping, the CLI."""

from __future__ import annotations

import argparse
import re

import pytest
import sympy as sp

import symce as sc
from symce.app import latex_cli
from symce.core.quantity import Quantity
from symce.printing.blocks import derivation_latex, proof_latex, quantity_latex, short_rule
from symce.printing.catalog import catalog_markdown, catalog_table
from symce.printing.document import Section, document
from symce.printing.report_document import write_report_tex
from symce.printing.layout import latex_width
from symce.printing.printer import latex
from symce.printing.text import text_to_latex

t, z = sp.symbols("t z", real=True)
mu1, mu2 = sp.symbols("mu1 mu2", real=True)
s1, s2 = sp.symbols("sigma1 sigma2", positive=True)
p, q = sp.symbols("p q", positive=True)


@pytest.fixture(scope="module")
def bce():
    return sc.cross_entropy(sc.Bernoulli(t), sc.Bernoulli.from_logit(z))


@pytest.fixture(scope="module")
def normal_kl():
    return sc.kl(sc.Normal(mu1, s1), sc.Normal(mu2, s2))


# -- notation ----------------------------------------------------------------------------------------
def test_families():
    assert latex(sc.Bernoulli(p)) == r"\mathrm{Bern}\left(p\right)"
    assert latex(sc.Bernoulli.from_logit(z)) == r"\mathrm{Bern}\left(\sigma\left(z\right)\right)"
    assert latex(sc.Normal(mu1, s1)) == r"\mathcal{N}\left(\mu_{1}, \sigma_{1}^{2}\right)"


def test_categorical_and_mvn():
    from symce.families.categorical import Categorical

    k = sp.Symbol("k", integer=True, positive=True)
    assert latex(Categorical(sp.IndexedBase("p"), k=k)) == r"\mathrm{Cat}\left(\boldsymbol{p}\right)"
    assert latex(Categorical.from_logits(k=k)) == \
        r"\mathrm{Cat}\left(\operatorname{softmax}\left(\boldsymbol{z}\right)\right)"
    d = sp.Symbol("d", integer=True, positive=True)
    mvn = sc.MultivariateNormal(sp.MatrixSymbol("mu", d, 1), sp.MatrixSymbol("Sigma", d, d))
    assert latex(mvn) == r"\mathcal{N}\left(\boldsymbol{\mu}, \Sigma\right)"
    # explicit d with the catalog's naming: compact names, entries μ_{1,i}, L_{1,ij} in results
    assert latex(sc.MultivariateNormal.symbolic(2)) == r"\mathcal{N}\left(\boldsymbol{\mu}_{1}, L_{1} L_{1}^{\mathsf{T}}\right)"


def test_quantities_and_options():
    assert quantity_latex("H(P, Q)") == "H(P, Q)"
    assert quantity_latex("H(P, Q)", ce_notation="H_ce") == r"H_{\mathrm{ce}}(P, Q)"
    assert quantity_latex("KL(P || Q)") == r"\mathbb{KL}(P \,\|\, Q)"
    assert quantity_latex("KL(P‖Q) = H(P,Q) − H(P)") == r"\mathbb{KL}(P \,\|\, Q) = H(P, Q) - H(P)"
    # a derivation's left-hand side is a structured Quantity, written from its parts (never parsed back)
    assert quantity_latex(Quantity.derivative(Quantity.cross_entropy(), [z])) == r"\frac{\partial}{\partial z} H(P, Q)"
    assert quantity_latex(Quantity.derivative(Quantity.kl(), [mu2, s2])) == \
        r"\nabla_{\mu_{2}, \sigma_{2}} \mathbb{KL}(P \,\|\, Q)"
    assert latex(sp.log(p), log_notation="ln") == r"\ln{\left(p \right)}"
    with pytest.raises(ValueError, match="ce_notation"):
        latex(p, ce_notation="CE")


def test_named_operators_and_expectation():
    class softplus(sp.Function):  # noqa: N801 - stands for symce.numeric's softplus
        pass

    class logsumexp(sp.Function):  # noqa: N801
        pass

    assert latex(softplus(z)) == r"\operatorname{softplus}\left(z\right)"
    assert latex(logsumexp(z, t)) == r"\operatorname{logsumexp}\left(z, t\right)"
    assert latex(sc.sigmoid(z) ** 2) == r"\sigma^{2}\left(z\right)"
    from symce.engine.derivation import Expect

    assert latex(Expect(z)) == r"\mathbb{E}_{P}\left[z\right]"  # E_P as the text writes it (issue 15)
    assert latex(Expect(z), expectation="P") == r"\mathbb{E}_{P}\left[z\right]"


def test_indexed_and_catalog_symbol_names():
    zP = sp.IndexedBase("z_P")
    i = sp.Symbol("i", integer=True)
    assert latex(zP[i]) == "z_{P,i}"  # never the double subscript z_{P}_{i}
    assert latex(sp.Symbol("p1_2")) == "p_{1,2}"
    assert latex(sp.KroneckerDelta(sp.Symbol("X"), i)) == r"\delta_{X,i}"


# -- derivations -------------------------------------------------------------------------------------
def test_derivation_latex_layout(normal_kl):
    tex = normal_kl.latex()
    assert tex.startswith("\\begin{align*}\n") and tex.endswith("\n\\end{align*}")
    rows = tex.split("\n")[1:-1]
    assert rows[0].startswith(r"\mathbb{KL}(P \,\|\, Q) &= \mathbb{E}_{P}")
    # every row carries its justification on the right, as \text{…}
    assert all(re.search(r"&& \\text\{.+\}( \\\\)?$", r) for r in rows)
    # the moments used by the substitution are auxiliary "with …" lines, not "= E[…] = …"
    assert sum(r"\qquad\text{with }" in r for r in rows) == 2
    assert normal_kl._repr_latex_() == "$$" + tex + "$$"


def test_sub_expressions_go_through_the_printer(bce):
    """symbol_names reaches every step: nothing is printed through str()."""
    tex = derivation_latex(bce, symbol_names={t: r"\tau"})
    assert r"\tau" in tex and not re.search(r"(?<![\\a-z])t(?![a-z{])", re.sub(r"\\text\{[^}]*\}", "", tex))


def test_gradient_and_duplicate_steps(bce):
    g = bce.gradient(z)
    tex = derivation_latex(g, justification="short")
    assert tex.splitlines()[1].startswith(r"\frac{\partial}{\partial z} H(P, Q) &= ")
    assert r"\sigma\left(z\right)" in tex.splitlines()[-2]
    # BCE's canonical-form step repeats the previous expression: it is shown once
    assert len(derivation_latex(bce).splitlines()) - 2 == len({str(s.expr) for s in bce.steps})


def test_justification_modes(normal_kl):
    assert r"\text{definition}" in derivation_latex(normal_kl, justification="short")
    assert "&&" not in derivation_latex(normal_kl, justification="none")
    numbering: dict = {}
    from symce.printing.blocks import derivation_lines

    rows = derivation_lines(normal_kl, justification="numbered", numbering=numbering)
    assert all(r"\tag*{(" in r for r in rows) and list(numbering.values()) == list(range(1, len(numbering) + 1))
    with pytest.raises(ValueError, match="justification"):
        derivation_latex(normal_kl, justification="left")


def test_markdown(normal_kl, bce):
    md = normal_kl.markdown()
    assert md.startswith("**KL(P \\|\\| Q)**") and "$$\n\\begin{align*}" in md
    assert "for $0 < t < 1$" in bce.markdown()  # a chain, as papers write it (issue 15)


def test_line_breaking_respects_width(normal_kl):
    tex = derivation_latex(normal_kl, width=20)
    for row in tex.splitlines()[1:-1]:
        body = row.split("&&")[0].split("&=")[-1].replace(r"&\qquad", "")
        assert latex_width(body) < 30, row


# -- proofs ------------------------------------------------------------------------------------------
def test_proof_latex_proved_and_refuted(normal_kl):
    P, Q = sc.Normal(mu1, s1), sc.Normal(mu2, s2)
    proved = sc.kl_decomposition(P, Q).latex()
    assert r"&\text{claim: } \mathbb{KL}(P \,\|\, Q) = H(P, Q) - H(P)" in proved
    assert r"\text{lhs} - \text{rhs} &= 0" in proved and r"\text{status: proved}" in proved
    refuted = sc.prove(normal_kl.result, sc.kl(Q, P).result, name="KL(P || Q) = KL(Q || P)")
    tex = proof_latex(refuted)
    assert r"\text{status: refuted}" in tex and r"\text{counterexample at }" in tex
    assert refuted._repr_latex_().startswith("$$\\begin{align*}")


def test_side_conditions_are_shown():
    pf = sc.kl_decomposition(sc.Bernoulli(p), sc.Bernoulli(q))
    tex = pf.latex()
    assert r"\text{assuming } 0 < p < 1,\ 0 < q < 1" in tex and "True" not in tex  # chains (issue 15)


# -- text ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("text", [
    "definition: KL(P ‖ Q) = ∫ (dP/dν) log((dP/dν)/(dQ/dν)) dν = E_P[log p(X) − log q(X)]",
    "E[(aT + b)²] = a²·Var T + (a·E T + b)², Var T = E[T²] − (E T)²",
    "log det LLᵀ = 2 Σ log Lᵢᵢ, Σ⁻¹B by triangular solves; 50% & #1 {x} ~ ^ \\ |",
    "mean μ = ∇K(0), K(t) = tᵀμ + ½tᵀΣt, ∇_Q H",
])
def test_text_to_latex_is_ascii_and_balanced(text):
    out = text_to_latex(text)
    assert out.isascii()
    assert out.count("$") % 2 == 0 and "$$" not in out
    outside = re.sub(r"\$[^$]*\$", "", out)  # text mode: no TeX specials left unescaped
    assert not re.search(r"[_^&%#{}\\~]", outside), outside
    for seg in re.findall(r"\$([^$]*)\$", out):  # no double scripts inside one math segment
        assert not re.search(r"_\{[^}]*\}_", seg) and not re.search(r"\^\{[^}]*\}\^", seg)


def test_short_rule():
    assert short_rule("canonical form (grouped by log terms)") == "canonical form"
    assert short_rule("exponential family: E[T] = ∇A(η)") == "exponential family"


# -- documents and the CLI (no pdflatex needed; test_latex_compile.py compiles) --------------------------
def test_document_structure(normal_kl, bce):
    tex = document([Section("Normal", [normal_kl]), bce, "A note with ∫ and E_P."], title="T").tex()
    for pkg in ("amsmath", "amssymb", "booktabs"):
        assert pkg in tex
    assert tex.count(r"\begin{align*}") == 2 and r"\section{Normal}" in tex
    assert r"\tag*{(1)}" in tex and r"\item[(1)] definition" in tex
    with pytest.raises(TypeError, match="cannot render"):
        document([object()]).tex()


def test_catalog_table_and_markdown():
    from symce.printing.catalog import catalog_entries
    from symce import families

    entries = catalog_entries()
    labels = {e.section for e in entries}
    assert {ex.label for ex in families.EXAMPLES} <= labels
    tab = catalog_table(entries)
    assert tab.startswith(r"\begin{longtable}") and r"\toprule" in tab and r"\bottomrule" in tab
    md = catalog_markdown(entries)
    assert md.count("```{list-table}") == len(labels)


def test_write_report_tex_from_items(tmp_path, normal_kl):
    path = write_report_tex([("Normal", [normal_kl])], tmp_path, compile=False)
    assert path.name == "report.tex" and r"\section{Normal}" in path.read_text()


def _args(argv):
    parser = argparse.ArgumentParser()
    latex_cli.add_parser(parser.add_subparsers(dest="command"))
    return parser.parse_args(["latex", *argv])


def test_latex_cli(tmp_path, capsys):
    assert latex_cli.run(_args(["kl", "normal", "--gradient", "--proof"])) == 0
    out = capsys.readouterr().out
    assert out.startswith(r"\documentclass") and r"\nabla" in out and "Claim" in out
    target = tmp_path / "bce.tex"
    assert latex_cli.run(_args(["cross-entropy", "bernoulli", "bernoulli-logit", "--out", str(target),
                                "--ce-notation", "H_ce"])) == 0
    assert r"H_{\mathrm{ce}}(P, Q)" in target.read_text()
    assert latex_cli.run(_args(["kl", "no-such-family"])) == 2
    assert "unknown family 'no-such-family'" in capsys.readouterr().err
    assert latex_cli.run(_args(["entropy", "normal", "normal"])) == 2
    assert latex_cli.run(_args(["kl", "normal", "--pdf"])) == 2


# -- issue 15: paper-ready wording and order ------------------------------------------------------------
def test_justifications_are_words_in_the_papers_notation():
    from symce.printing.text import rule_words

    assert rule_words("instantiate at d = 2: Sigma_P = L L^T (its Cholesky factor), muQ = its mean") == \
        "instantiate at d = 2: Σ_P = LLᵀ (its Cholesky factor), μ_Q = its mean"
    assert "Piecewise" not in rule_words("w.r.t. m (1 ≤ m ≤ k, so the Piecewise that diff adds for classes "
                                         "outside the sum resolves)")
    assert rule_words("(ν = lebesgue measure)") == "(ν = Lebesgue measure)"


def test_indexed_entries_print_in_natural_order():
    ps = [sp.Symbol(f"p1_{i}", positive=True) for i in (10, 2, 1)]
    tex = latex(sum(x * sp.log(x) for x in ps))
    assert tex.index("p_{1,1} ") < tex.index("p_{1,2} ") < tex.index("p_{1,10} ")


def test_bounds_are_chains_and_symbolic_ranges_are_sets():
    from symce.printing.blocks import condition_list
    from symce.printing.latex_printer import printer

    x = sp.Symbol("x", real=True)
    assert condition_list([sp.Lt(0, x), sp.Le(x, 2), sp.Eq(x**2, 1)], printer()) == [r"0 < x \leq 2", "x^{2} = 1"]
    k = sp.Symbol("k", integer=True, positive=True)
    assert latex(sp.Range(1, k + 1)) == r"\left\{1, \ldots, k\right\}"


def test_a_wide_column_vector_is_written_entry_by_entry():
    from symce.printing.latex_printer import printer
    from symce.printing.layout import expr_lines

    zs = sp.symbols("z1:11", real=True)
    v = sp.Matrix([sp.exp(z) / sum(sp.exp(w) for w in zs) for z in zs])
    lines = expr_lines(v, printer(), 30, None, 12)
    assert len(lines) >= 10 and lines[0].startswith(r"\big(") and lines[-1].endswith(r"\big)^{\mathsf{T}}")
    assert "too wide" not in " ".join(lines)


def test_document_equation_numbers_never_repeat(normal_kl, bce):
    tex = document([normal_kl, bce, sc.kl_decomposition(sc.Bernoulli(p), sc.Bernoulli(q))]).tex()
    tags = re.findall(r"\\tag\*\{\((\d+)\)\}", tex)
    assert tags == [str(i) for i in range(1, len(tags) + 1)]


def test_markdown_sections_become_latex_with_fitted_math_and_figures(tmp_path):
    from symce.printing.markdown_latex import markdown_to_latex

    (tmp_path / "a.png").write_bytes(b"png")
    md = ("## Accuracy\n\nmeasured with `symce verify`, _2 formulas_.\n\n| formula | max ULP | plot |\n|---|---:|---|\n"
          "| H(bernoulli) | 1 | [plot](a.png) |\n| H(normal) | 2 | [plot](missing.png) |\n\n$$I(\\theta) = 1$$")
    tex = markdown_to_latex(md, str(tmp_path))
    assert r"\chapter{Accuracy}" in tex and r"\texttt{symce verify}" in tex and r"\emph{2 formulas}" in tex
    assert r"\begin{longtable}" in tex and "[plot]" not in tex
    assert r"\includegraphics[width=\linewidth]{a.png}" in tex and "missing.png" not in tex
    assert r"\fitmath{I(\theta) = 1}" in tex


# -- notation settings (issue 15): one list in core.notation, shared by LaTeX, Markdown and the CLI ---------
@pytest.mark.parametrize("kl_notation, tex, text", [("KL", r"\mathbb{KL}(P \,\|\, Q)", "KL(P \\|\\| Q)"),
                                                    ("D_KL", r"D_{\mathrm{KL}}(P \,\|\, Q)", "D_KL(P \\|\\| Q)"),
                                                    ("D", r"D(P \,\|\, Q)", "D(P \\|\\| Q)")])
def test_kl_notation_in_latex_and_markdown(normal_kl, kl_notation, tex, text):
    assert latex(Quantity.kl(), kl_notation=kl_notation) == tex
    assert derivation_latex(normal_kl, kl_notation=kl_notation).splitlines()[1].startswith(tex + " &= ")
    assert normal_kl.latex(kl_notation=kl_notation).count(tex) == 1
    words = derivation_latex(normal_kl, kl_notation=kl_notation)  # the justifications say it the same way
    assert (r"\text{definition: KL(P" in words) if kl_notation == "KL" else ("KL(P" not in words)
    from symce.printing.blocks import derivation_markdown

    assert derivation_markdown(normal_kl, kl_notation=kl_notation).startswith(f"**{text}**")


def test_bad_notation_is_a_symce_error_naming_the_setting():
    from symce.core.notation import NotationError

    with pytest.raises(NotationError, match=r"kl_notation must be one of 'KL', 'D_KL', 'D'; got 'Kullback'"):
        latex(Quantity.kl(), kl_notation="Kullback")
    assert issubclass(NotationError, sc.errors.SymceError)


def test_expectation_and_log_notation_agree_with_the_text(normal_kl):
    tex = derivation_latex(normal_kl, log_notation="ln")
    assert r"\mathbb{E}_{P}" in tex and r"\mathbb{E}_{p}" not in tex and r"\ln{" in tex and r"\log{" not in tex
    from symce.printing.plain import derivation_text

    text = derivation_text(normal_kl, log_notation="ln", kl_notation="D_KL")
    assert text.startswith("D_KL(P || Q)\n") and "E_P[" in text and "log(sigma" not in text and "ln(sigma2)" in text


def test_a_random_vectors_sample_space_is_r_to_the_d():
    d = sp.Symbol("d", integer=True, positive=True)
    assert latex(sp.matrices.MatrixSet(2, 1, sp.S.Reals)) == r"\mathbb{R}^{2}"
    assert latex(sp.matrices.MatrixSet(d, 1, sp.S.Reals)) == r"\mathbb{R}^{d}"
