r"""Hostile names cannot inject LaTeX (issue #16): ``Symbol("x}\input{/etc/passwd}")`` and names with ``\``,
``$``, ``%``, ``#``, ``&``, ``_``, ``^``, ``{``, ``}``, ``~`` or line breaks print as escaped text everywhere a
name reaches LaTeX — ``sc.latex``, ``Derivation``/``Proof`` ``_repr_latex_``, Markdown, ``sc.document`` — while
ordinary names (alpha, sigma_1, x_{i}, mu2) print exactly as before.

Checked for every output: it contains no control sequence that the same output for an innocent name does not
contain, except the escapes :func:`symce.printing.text.text_to_latex` writes; braces balance; no bare ``%``
(a comment would swallow the rest of the line) or ``#``; and a document of such names compiles with pdflatex
where it is installed. ``make fuzz`` (``SYMCE_FUZZ_EXAMPLES``) raises the number of generated names.
"""

from __future__ import annotations

import collections
import contextlib
import json
import os
import re
import signal
import tempfile

import pytest
import sympy as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import symce as sc
from symce.printing import text as text_module
from symce.printing.names import NAME_COMMANDS
from symce.printing.pdf import compile_pdf, pdflatex
from symce.printing.text import text_to_latex

FUZZ = int(os.environ.get("SYMCE_FUZZ_EXAMPLES", "0"))
LIMIT_S = 20  # wall seconds for one input (a document of up to 25 names and its pdflatex run: 6 × that)
#: outcomes of the generated inputs, written to $SYMCE_FUZZ_COUNTS/symce-fuzz-printing.json at the end
COUNTS: collections.Counter = collections.Counter()
SEEN: set = set()


@pytest.fixture(scope="module", autouse=True)
def _write_counts():
    yield
    if COUNTS:
        path = os.path.join(os.environ.get("SYMCE_FUZZ_COUNTS", tempfile.gettempdir()), "symce-fuzz-printing.json")
        with open(path, "w") as f:
            json.dump({"distinct_inputs": len(SEEN), **COUNTS}, f, indent=1)


class _Hang(Exception):
    pass


def _alarm(signum, frame):
    raise _Hang


@contextlib.contextmanager
def counted(key, limit=LIMIT_S):
    """Count one input's outcome: clean, wrong (an injection or malformed LaTeX), traceback (any other
    exception) or hang (over LIMIT_S); the test still fails on anything but clean."""
    SEEN.add(key)
    old = signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, limit)
    try:
        yield
    except AssertionError:
        COUNTS["wrong"] += 1
        raise
    except _Hang:
        COUNTS["hang"] += 1
        pytest.fail(f"{key!r}: longer than {limit} s")
    except Exception:
        COUNTS["traceback"] += 1
        raise
    else:
        COUNTS["clean"] += 1
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)
s = sp.Symbol("sigma", positive=True)

HOSTILE = [
    "x}\\input{/etc/passwd}", "\\input{/etc/passwd}", "x\\\\", "\\\\", "\\par", "\\end{document}", "\\def\\x{y}",
    "a\\b", "$x$", "$$", "50%", "%", "#1", "##", "a&b", "&", "x{", "{", "}", "}{", "{}", "~", "a~b", "a\nb",
    "a\n\nb", "\r", "\t", "\x00", "\x02", "\x7f", "_", "^", "x_", "x^", "_x", "x_{i}_{j}", "x^{a}'", "x^a'",
    "\\left(", "\\right)", "[2pt]", "\\catcode`\\@=11", "\\immediate\\write18{rm -rf /}", "\\csname foo\\endcsname",
    "＼input｛a｝", "﹛", "μ", "αβγ", "ϡ", "σ₁", "Q_θx", "p̂", "😀", "中文", "xscr", "xabs", "xnorm", "xavg",
    "alphahatdotprime", "'", "x''", "x_1'", "f(x)", "x.1", "x y", "",
]
ORDINARY = {"alpha": r"\alpha", "sigma_1": r"\sigma_{1}", "x_{i}": "x_{i}", "mu2": r"\mu_{2}", "x": "x",
            "theta'": r"\theta'", r"\alpha_{1}": r"\alpha_{1}", "Sigma": r"\Sigma", "x__2": "x^{2}", "z_P": "z_{P}"}

# the control sequences an escaped name may bring: text_to_latex's escapes and the names' own macros
_CS = re.compile(r"\\([A-Za-z]+|.)", re.S)
ESCAPES = {m for v in text_module._TEXT_MAP.values() for m in _CS.findall(v)} | set(NAME_COMMANDS) \
    | {"text", "boldsymbol", "operatorname", "mathsf", "left", "right", "langle", "rangle", "|", " "}  # SymPy: xavg, xnorm
FORBIDDEN = {"input", "include", "write", "immediate", "def", "catcode", "csname", "endcsname", "par", "end",
             "begin", "openout", "read", "newcommand", "renewcommand", "let", "\\"}


def control_sequences(tex: str) -> set[str]:
    return set(_CS.findall(tex))


def assert_safe(tex: str, innocent: str, where: str) -> None:
    """No control sequence beyond the innocent output's and the escapes; braces balance; no bare % or #."""
    extra = control_sequences(tex) - control_sequences(innocent)
    assert extra <= ESCAPES, f"{where}: control sequences from the user: {extra - ESCAPES}"
    assert not (extra & FORBIDDEN), f"{where}: {extra & FORBIDDEN}"
    depth = 0
    for tok in re.findall(r"\\[A-Za-z]+|\\.|.", tex, re.S):
        if tok in ("%", "#"):
            assert tok in innocent, f"{where}: a bare {tok!r}"
        depth += {"{": 1, "}": -1}.get(tok, 0)
        assert depth >= 0, f"{where}: a '}}' closes a group it did not open"
    assert depth == 0, f"{where}: unbalanced braces"
    assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f]", tex), f"{where}: a control character"


def name_outputs(name: str) -> dict[str, str]:
    """Every LaTeX output a name reaches through the API, for one name."""
    t = sp.Symbol(name, real=True)
    i = sp.Symbol("i", integer=True)
    try:
        f = sp.Function(name)  # a Python class: its name cannot hold a NUL (Python refuses, not symce)
    except ValueError:
        f = sp.Function("f")
    return {
        "latex(Symbol)": sc.latex(t),
        "latex(expression)": sc.latex(t**2 / 2 + sp.log(1 + sp.exp(t))),
        "latex(Function)": sc.latex(f(t) ** 2),
        "latex(MatrixSymbol)": sc.latex(sp.MatrixSymbol(name, 3, 1)) + sc.latex(sp.MatrixSymbol(name, 2, 2)),
        "latex(Indexed)": sc.latex(sp.IndexedBase(name)[i]) + sc.latex(sp.IndexedBase(name)),
        "latex(Normal)": sc.latex(sc.Normal(t, s)),
        "latex(text)": sc.latex(name),
    }


@pytest.mark.parametrize("name", HOSTILE, ids=[repr(n)[1:-1][:30] or "empty" for n in HOSTILE])
def test_a_hostile_name_prints_as_escaped_text_everywhere(name):
    innocent = name_outputs("x")
    for where, tex in name_outputs(name).items():
        assert_safe(tex, innocent[where], f"{where} of {name!r}")
    assert "\\input" not in sc.latex(sp.Symbol(name))


@pytest.mark.parametrize("name, tex", ORDINARY.items())
def test_ordinary_names_print_as_before(name, tex):
    assert sc.latex(sp.Symbol(name)) == tex


def _blocks(name: str) -> dict[str, str]:
    t = sp.Symbol(name, real=True)
    d = sc.kl(sc.Normal(t, s), sc.Normal(0, 1))
    u = sp.Symbol(name, positive=True)
    pf = sc.prove(sp.log(u**2), 2 * sp.log(u), name=name)
    g = d.gradient(t)
    return {"derivation": d._repr_latex_(), "gradient": g._repr_latex_(), "proof": pf._repr_latex_(),
            # Markdown: the mathematics ($$ blocks) is LaTeX; the titles are text (test_markdown_titles_…)
            "markdown": "\n".join(re.findall(r"^\$\$\n(.*?)\n\$\$$", sc.printing.markdown(d) + "\n"
                                              + sc.printing.markdown(pf), re.S | re.M)),
            "document": sc.document([d, pf, name, sc.printing.document.Section(name, [g], intro=name)],
                                    title=name, author=name).tex()}


def _innocent_blocks(cache={}):  # noqa: B006 - computed once
    if not cache:
        cache.update(_blocks("x"))
    return cache


@pytest.mark.parametrize("name", ["x}\\input{/etc/passwd}", "50% & #1 ~ $x$ \\\\", "a\n\nb", "x_{i}_{j}", "μ_{σ}"])
def test_derivations_proofs_and_documents_escape_names(name):
    innocent = _innocent_blocks()
    for where, tex in _blocks(name).items():
        assert_safe(tex, innocent[where], f"{where} of {name!r}")


def test_markdown_titles_do_not_start_math_or_html():
    pf = sc.prove(sp.Integer(1), sp.Integer(1), name="$\\input{x}$ <script>")
    title = sc.printing.markdown(pf).splitlines()[0]
    assert "<script>" not in title and "\\$" in title


def test_text_to_latex_handles_dollars_and_control_characters():
    # two escaped dollars side by side stay two (a naive $$-merge left a lone backslash)
    assert text_to_latex("$$") == r"$\$\$$"
    assert text_to_latex("a\n\nb\x02c") == "a  b c"
    assert text_to_latex("＼input｛a｝") == "?input?a?"  # NFKD would give \input{a}


# -- Hypothesis: any name -------------------------------------------------------------------------------
SPECIAL = "\\{}$%#&_^~'\n\r\t\x00\x0c []()|<>"
names = st.text(alphabet=st.one_of(st.sampled_from(SPECIAL), st.sampled_from("xyzabc01"),
                                   st.characters(blacklist_categories=("Cs",))), min_size=1, max_size=16) \
    | st.sampled_from(["alpha", "sigma_1", "mu2", "x_{i}", "input", "par"]).map(lambda w: "\\" + w + "{x}")
_INNOCENT = {}


@settings(max_examples=FUZZ or 150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(name=names)
def test_any_name_prints_safely(name):
    innocent = _INNOCENT or _INNOCENT.update(name_outputs("x")) or _INNOCENT
    with counted(("latex", name)):
        for where, tex in name_outputs(name).items():
            assert_safe(tex, innocent[where], f"{where} of {name!r}")


@settings(max_examples=(FUZZ // 10) or 12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(name=names)
def test_any_name_in_a_derivation_proof_and_document_prints_safely(name):
    innocent = _innocent_blocks()
    with counted(("blocks", name)):
        for where, tex in _blocks(name).items():
            assert_safe(tex, innocent[where], f"{where} of {name!r}")


# -- pdflatex: a document of hostile names compiles ---------------------------------------------------
def _document(names_: list[str]):
    items = []
    for n in names_:
        t = sp.Symbol(n, real=True)
        f = sp.Function(n.replace("\x00", ""))
        items += [sc.kl(sc.Normal(t, s), sc.Normal(0, 1)), f(t) + t**2, sp.MatrixSymbol(n, 2, 1), n]
    return sc.document(items, title=names_[0] if names_ else "empty")


def _compiles(names_: list[str]) -> None:
    tex = _document(names_)
    with tempfile.TemporaryDirectory() as tmp:
        compile_pdf(tex.write(os.path.join(tmp, "hostile.tex")))


@pytest.mark.skipif(pdflatex() is None, reason="pdflatex is not installed")
def test_a_document_of_hostile_names_compiles():
    _compiles(HOSTILE)


@pytest.mark.skipif(pdflatex() is None, reason="pdflatex is not installed")
@settings(max_examples=(FUZZ // 100) or 1, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(batch=st.lists(names, min_size=5, max_size=25, unique=True))
def test_a_document_of_any_names_compiles(batch):
    with counted(("pdflatex", tuple(batch)), limit=6 * LIMIT_S):  # up to 25 derivations and a pdflatex run
        _compiles(batch)
