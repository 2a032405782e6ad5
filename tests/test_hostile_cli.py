"""Bad command lines (issue #16): every sub-command of ``symce`` turns bad input into one line on stderr and a
documented exit status — never a traceback, never a hang.

A table of named bad argv lists (a module that fails to import, a syntax error, ``:func``, ``os:system``, a
function that raises / returns None / the wrong shape / calls sys.exit, ``--seed -1``, ``-n 0 --no-grid``,
``-n 10**9``, a missing torch/jax, unwritable ``--plot`` and ``--out`` paths, bad ``symce latex`` arguments)
with the exit status each must give, and Hypothesis argv lists over every sub-command: the status is in
:data:`DOCUMENTED`, stderr has no "Traceback", and each run ends within :data:`LIMIT_S` seconds. Runs are
in-process (``cli.main``), a few also as a real ``python -m symce`` process. ``make fuzz``
(``SYMCE_FUZZ_EXAMPLES``) raises the number of generated command lines; the counts of the run (clean /
traceback / hang / undocumented status) are written to ``$SYMCE_FUZZ_COUNTS`` (default: the temp folder).
"""

from __future__ import annotations

import collections
import json
import os
import signal
import subprocess
import sys
import tempfile
import textwrap
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from symce.app import cli

FUZZ = int(os.environ.get("SYMCE_FUZZ_EXAMPLES", "0"))
#: 0 ok, 1 a check failed, 2 usage, 3 cannot load MODULE:FUNCTION, 4 the implementation failed
DOCUMENTED = {0, 1, 2, 3, 4}
LIMIT_S = 20
COUNTS: collections.Counter = collections.Counter()
SEEN: set = set()

MODULE = textwrap.dedent("""
    import numpy as np
    def ok(t, z): return np.logaddexp(0, z) - t * z
    def raises(t, z): raise ValueError("nope")
    def raises_type(t, z): raise TypeError("nope")
    def none(t, z): return None
    def shape(t, z): return np.zeros(3)
    def text(t, z): return "abc"
    def exits(t, z): raise SystemExit(7)
    def recurse(t, z): return recurse(t, z)
    def one(x): return x
    notcallable = 3
""")


@pytest.fixture(scope="module")
def place():
    """A folder with the test modules (imported by name, as `symce verify` finds a module in the cwd)."""
    with tempfile.TemporaryDirectory() as tmp:
        for name, text in {"hostile_fns": MODULE, "hostile_badimport": "raise RuntimeError('boom at import')\n",
                           "hostile_badsyntax": "def f(:\n", "hostile_exit": "import sys\nsys.exit(3)\n"}.items():
            with open(os.path.join(tmp, name + ".py"), "w") as f:
                f.write(text)
        with open(os.path.join(tmp, "a_file.txt"), "w") as f:
            f.write("x")
        sys.path.insert(0, tmp)
        cwd = os.getcwd()
        os.chdir(tmp)  # a generated relative --out (e.g. "1e309") is written here, not in the repository
        try:
            yield tmp
        finally:
            os.chdir(cwd)
            sys.path.remove(tmp)
            _write_counts()


def _write_counts():
    if not COUNTS:
        return
    path = os.path.join(os.environ.get("SYMCE_FUZZ_COUNTS", tempfile.gettempdir()), "symce-fuzz-cli.json")
    with open(path, "w") as f:
        json.dump({"distinct_argv": len(SEEN), **COUNTS}, f, indent=1)


class _Hang(Exception):
    pass


def _alarm(signum, frame):
    raise _Hang


def run(argv, capsys) -> tuple[int, str]:
    """cli.main(argv) in this process, bounded by LIMIT_S; (status, stderr). Counts the outcome."""
    SEEN.add(tuple(argv))
    old = signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, LIMIT_S)
    start = time.monotonic()
    try:
        code = cli.main(list(argv))
    except _Hang:
        COUNTS["hang"] += 1
        pytest.fail(f"symce {' '.join(map(repr, argv))} ran longer than {LIMIT_S} s")
    except BaseException as e:  # noqa: BLE001 - anything escaping main is a raw traceback
        COUNTS["traceback"] += 1
        pytest.fail(f"symce {argv!r} raised {type(e).__name__}: {e}")
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)
    captured = capsys.readouterr()
    err = captured.err
    COUNTS[f"status {code}"] += 1
    if "\\input{" in captured.out:
        COUNTS["wrong"] += 1
        pytest.fail(f"symce {argv!r}: user text reached the LaTeX unescaped")
    if "Traceback" in err:
        COUNTS["traceback"] += 1
        pytest.fail(f"symce {argv!r}: a traceback on stderr:\n{err}")
    if code not in DOCUMENTED:
        COUNTS["undocumented status"] += 1
        pytest.fail(f"symce {argv!r} exited {code} (documented: {sorted(DOCUMENTED)}): {err}")
    COUNTS["clean"] += 1
    assert time.monotonic() - start < LIMIT_S
    return code, err


V = ["verify", "hostile_fns:ok", "--against", "bernoulli-logit", "-n", "5", "--grid-max", "3", "--no-progress"]

NAMED = [
    # (label, argv ({tmp} is the folder of the test modules), exit status, words on stderr)
    ("module that fails to import", ["verify", "hostile_badimport:f", *V[2:]], 3, "RuntimeError: boom"),
    ("module with a syntax error", ["verify", "hostile_badsyntax:f", *V[2:]], 3, "syntax error"),
    ("module that calls sys.exit", ["verify", "hostile_exit:f", *V[2:]], 3, "SystemExit"),
    ("missing module", ["verify", "no_such_module_xyz:f", *V[2:]], 3, "no_such_module_xyz"),
    (":func", ["verify", ":func", *V[2:]], 3, "MODULE:FUNCTION"),
    ("module:", ["verify", "hostile_fns:", *V[2:]], 3, "MODULE:FUNCTION"),
    ("no colon", ["verify", "hostile_fns", *V[2:]], 3, "MODULE:FUNCTION"),
    ("os:system", ["verify", "os:system", *V[2:]], 3, "refused"),
    ("subprocess:run", ["verify", "subprocess:run", *V[2:]], 3, "refused"),
    ("builtins:exec", ["verify", "builtins:exec", *V[2:]], 3, "refused"),
    ("a dunder attribute", ["verify", "hostile_fns:ok.__globals__", *V[2:]], 3, "special attribute"),
    ("path traversal as a module", ["verify", "../../etc/passwd:f", *V[2:]], 3, "dotted"),
    ("not callable", ["verify", "hostile_fns:notcallable", *V[2:]], 3, "not callable"),
    ("missing function", ["verify", "hostile_fns:nope", *V[2:]], 3, "nope"),
    ("function raises everywhere", ["verify", "hostile_fns:raises", *V[2:]], 1, "no finite value"),
    ("function raises TypeError", ["verify", "hostile_fns:raises_type", *V[2:]], 4, "TypeError"),
    ("function returns None", ["verify", "hostile_fns:none", *V[2:]], 4, "one value per point"),
    ("function returns the wrong shape", ["verify", "hostile_fns:shape", *V[2:]], 4, "shape"),
    ("function calls sys.exit", ["verify", "hostile_fns:exits", *V[2:]], 4, "sys.exit"),
    ("function recurses forever", ["verify", "hostile_fns:recurse", *V[2:]], 4, "RecursionError"),
    ("function of the wrong arity", ["verify", "hostile_fns:one", *V[2:]], 4, ""),
    ("--seed -1", [*V, "--seed", "-1"], 2, "--seed"),
    ("-n 0 --no-grid", [*V, "-n", "0", "--no-grid"], 2, "no points"),
    ("-n -5", [*V, "-n", "-5"], 2, "--samples"),
    ("-n 10**9", [*V, "-n", str(10**9)], 2, "at most 1,000,000"),
    ("--grid-max 10**9", [*V, "--grid-max", str(10**9)], 2, "at most"),
    ("--jobs 0", [*V, "--jobs", "0"], 2, "--jobs"),
    ("--jobs 10**6", [*V, "--jobs", str(10**6)], 2, "--jobs at most"),
    ("-n text", [*V, "-n", "many"], 2, "invalid int"),
    ("--max-ulp nan", [*V, "--max-ulp", "nan"], 2, "--max-ulp"),
    ("--median-ulp -1", [*V, "--median-ulp", "-1"], 2, "--median-ulp"),
    ("--max-nonfinite -1", [*V, "--max-nonfinite", "-1"], 2, "--max-nonfinite"),
    ("--abs-floor nan", [*V, "--abs-floor", "nan"], 2, "abs_floor"),
    ("--domain without =", [*V, "--domain", "z"], 2, "NAME=LO:HI"),
    ("--domain unknown name", [*V, "--domain", "q=0:1"], 2, "not a parameter"),
    ("--domain reversed", [*V, "--domain", "z=1:0"], 2, "LO ≤ HI"),
    ("--domain text", [*V, "--domain", "z=a:b"], 2, "numbers"),
    ("--args repeated", [*V, "--args", "z,z"], 2, "once"),
    ("bad spec", ["verify", "hostile_fns:ok", "--against", "ce(", *V[4:]], 2, "spec"),
    ("spec with code", ["verify", "hostile_fns:ok", "--against", "__import__('os').system('x')", *V[4:]], 2, ""),
    ("--mode jax without jax", [*V, "--mode", "jax"], 2, "jax"),
    ("--mode bogus", [*V, "--mode", "bogus"], 2, "invalid choice"),
    ("--plot in a missing folder", [*V, "--plot", "/nonexistent/dir/x.png"], 2, "does not exist"),
    ("--plot a folder", [*V, "--plot", "{tmp}"], 2, ""),
    ("--plot without a picture suffix", [*V, "--plot", "{tmp}/plot.exe"], 2, "must end in"),
    ("report --out an existing file", ["report", "--out", "{tmp}/a_file.txt"], 2, "is a file"),
    ("report --out under a file", ["report", "--out", "{tmp}/a_file.txt/sub"], 2, "cannot create"),
    ("report --out in /proc", ["report", "--out", "/proc/symce-out"], 2, "cannot create"),
    ("report --jobs 0", ["report", "--jobs", "0"], 2, "whole number"),
    ("report --accuracy-samples x", ["report", "--accuracy-samples", "x"], 2, "whole number"),
    ("latex --out a folder", ["latex", "kl", "bernoulli", "--out", "{tmp}"], 2, "cannot write"),
    ("latex --out under a file", ["latex", "kl", "bernoulli", "--out", "{tmp}/a_file.txt/x.tex"], 2, "cannot write"),
    ("latex unknown family", ["latex", "kl", "nosuch"], 2, "unknown family"),
    ("latex family with code", ["latex", "kl", "__import__('os')"], 2, "unknown family"),
    ("latex three families", ["latex", "kl", "normal", "normal", "normal"], 2, "one or two"),
    ("latex entropy of two", ["latex", "entropy", "normal", "normal"], 2, "one FAMILY"),
    ("latex no family", ["latex", "kl"], 2, "one or two"),
    ("latex catalog with a family", ["latex", "catalog", "normal"], 2, "no FAMILY"),
    ("latex --pdf without --out", ["latex", "kl", "bernoulli", "--pdf"], 2, "--out"),
    ("latex bad quantity", ["latex", "mutual-information", "normal"], 2, "invalid choice"),
    ("latex bad notation", ["latex", "kl", "bernoulli", "--log", "log2"], 2, "invalid choice"),
    ("latex hostile title", ["latex", "kl", "bernoulli", "--title", "x}\\input{/etc/passwd}"], 0, ""),
    ("derive unknown family", ["derive", "kl", "nosuch"], 2, "unknown family"),
    ("derive entropy of two", ["derive", "entropy", "normal", "normal"], 2, "FAMILY"),
    ("derive no family", ["derive", "kl"], 2, "FAMILY"),
    ("catalog extra argument", ["catalog", "extra"], 2, "unrecognized"),
    ("coverage bad time limit", ["coverage", "--time-limit", "-1"], 2, ""),
    ("coverage bad jobs", ["coverage", "--jobs", "0"], 2, ""),
    ("a non-UTF-8 argument", ["catalog", "\udcff"], 2, "UTF-8"),
    ("a non-UTF-8 family", ["latex", "kl", "\udcff"], 2, "unknown family"),
    ("a non-UTF-8 family in a usage error", ["derive", "entropy", "\udcff", "bernoulli"], 2, "FAMILY"),
    ("no command", [], 2, "required"),
    ("unknown command", ["frobnicate"], 2, "invalid choice"),
    ("empty command", [""], 2, "invalid choice"),
]


@pytest.mark.parametrize("label, argv, status, words", NAMED, ids=[n[0] for n in NAMED])
def test_named_bad_command_lines(label, argv, status, words, place, capsys):
    argv = [a.replace("{tmp}", place) for a in argv]
    code, err = run(argv, capsys)
    assert code == status, (code, err)
    assert words in err, err
    if status:
        lines = [ln for ln in err.splitlines() if ln.strip() and not ln.startswith("usage:") and not ln.startswith(" ")]
        assert len(lines) <= 1, err  # one line (argparse adds its usage lines before it)


def test_missing_torch_is_a_usage_error(place, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)  # import torch raises ImportError
    code, err = run([*V, "--mode", "torch"], capsys)
    assert code == 2 and "torch" in err and "not installed" in err


@pytest.mark.parametrize("argv, status", [
    (["verify", "os:system", "--against", "bernoulli-logit", "-n", "3", "--no-grid"], 3),
    (["report", "--out", "/etc/passwd"], 2),
    (["latex", "kl", "nosuch"], 2),
], ids=["os:system", "report --out a file", "latex unknown family"])
def test_a_real_process_prints_one_line_and_no_traceback(argv, status):
    p = subprocess.run([sys.executable, "-m", "symce", *argv], capture_output=True, text=True, timeout=120)
    assert p.returncode == status, p.stderr
    assert "Traceback" not in p.stderr and len(p.stderr.strip().splitlines()) == 1, p.stderr


# -- Hypothesis: argv lists over every sub-command -----------------------------------------------------
HOSTILE = ["", "-", "--", "-1", "0", "1e309", "nan", "inf", "-inf", "x}\\input{/etc/passwd}", "$x$", "%", "\x7f",
           "é", "😀", "\udcff", "a" * 300, "--help", "-h", "/etc/passwd", "/proc/x/y", "{tmp}", "{tmp}/a_file.txt",
           "{tmp}/new/out.tex", "=", ":", ",", "z=", "z=1:", "z=-1:1", "t,z", "z,t"]
SMALL = ["0", "1", "3", "-1", "x", "1.5", str(10**9), str(2**64)]
FAST = ["bernoulli", "bernoulli-logit", "normal", "categorical-k2", "nosuch", "catalog"]
OPTIONS = {
    "verify": {"--against": ["bernoulli-logit", "bernoulli", "ce(", "kl(normal(a, b), normal(c, d))", "normal"],
               "--args": ["t,z", "z,t", "z", "z,z", "a,b"], "--domain": ["z=-1:1", "t=0:1", "z=1:0", "q=0:1", "z"],
               "-n": SMALL, "--samples": SMALL, "--seed": SMALL, "--grid-max": SMALL, "--no-grid": None,
               "--mode": ["auto", "numpy", "scalar", "torch", "jax", "x"], "--max-ulp": ["3", "nan", "-1", "inf"],
               "--median-ulp": ["0.5", "-1"], "--max-nonfinite": SMALL, "--abs-floor": ["0", "nan", "-1", "1e-300"],
               "--region": ["typical", "full", "both", "x"], "--jobs": ["1", "0", "-1", "999"],
               "--plot": ["{tmp}/p.png", "/nonexistent/p.png", "{tmp}", "{tmp}/p.exe"]},
    "latex": {"--out": ["{tmp}/doc.tex", "{tmp}", "{tmp}/a_file.txt/x.tex", "/proc/x.tex"], "--gradient": None,
              "--proof": None, "--title": HOSTILE, "--kl-notation": ["KL", "D_KL", "D", "x"],
              "--ce-notation": ["H", "H_ce", "x"], "--log": ["log", "ln", "x"]},
    "derive": {"--latex": None, "--kl-notation": ["KL", "D", "x"], "--log": ["ln", "x"]},
    "report": {"--quiet": None, "--no-tex": None, "--jobs": ["0", "x", "1"], "--kl-notation": ["x", "D"]},
    "catalog": {},
    "coverage": {"--time-limit": ["0", "-1", "x", "nan"], "--jobs": ["0", "x"]},
}
TARGETS = ["hostile_fns:ok", "hostile_fns:raises", "hostile_fns:none", "hostile_fns:shape", "hostile_fns:exits",
           "hostile_badimport:f", "os:system", ":f", "hostile_fns", "hostile_fns:notcallable", "x}\\input{y}:f"]


@st.composite
def argvs(draw):
    cmd = draw(st.sampled_from(sorted(OPTIONS)))
    opts = OPTIONS[cmd]
    words = []
    if cmd == "verify":
        words += [draw(st.sampled_from(TARGETS)), "--against", "bernoulli-logit", "-n", "3", "--grid-max", "2",
                  "--no-progress"]
    elif cmd in ("latex", "derive"):
        q = draw(st.sampled_from(["entropy", "cross-entropy", "kl", "bogus"] + (["catalog"] if cmd == "latex" else [])))
        words += [q] + draw(st.lists(st.sampled_from(FAST if q != "catalog" else FAST + ["normal"]), max_size=3))
    for _ in range(draw(st.integers(0, 4))):
        opt = draw(st.sampled_from(sorted(opts) + ["--bogus", "-x"])) if opts else "--bogus"
        words.append(opt)
        if opts.get(opt) is not None:
            words.append(draw(st.sampled_from(opts[opt] + HOSTILE[:12])))
    if draw(st.booleans()):
        words.insert(draw(st.integers(0, len(words))), draw(st.sampled_from(HOSTILE)))
    if cmd == "report":  # the catalog takes minutes: always stopped up front by an --out that is a file
        words += ["--out", "{tmp}/a_file.txt"]
    if cmd == "latex" and words[:1] == ["catalog"] and len(words) == 1:
        words.append("normal")  # the whole catalog's table takes minutes: keep it a usage error
    if cmd == "coverage" and not any(w in ("--time-limit", "--jobs", "--bogus", "-x", "--help", "-h") for w in words):
        words += ["--jobs", "0"]  # the coverage matrix takes minutes: keep it a usage error
    return [cmd] + words


@settings(max_examples=FUZZ or 40, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                         HealthCheck.function_scoped_fixture])
@given(argv=argvs())
def test_any_command_line_exits_cleanly(argv, place, capsys):
    argv = [a.replace("{tmp}", place) for a in argv]
    run(argv, capsys)
