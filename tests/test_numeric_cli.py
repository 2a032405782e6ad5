"""The verify command line and its spec grammar (parsed, never eval'd)."""

import sys
import textwrap

import pytest

from symce.app import verify_cli as cli
from symce.app.cli import main
from symce.app.spec import SpecError, parse


def test_grammar_and_aliases():
    s = parse("kl(normal(m1, s1), normal(m2, s2))")
    assert s.quantity == "kl" and s.names == ("m1", "s1", "m2", "s2")
    assert parse("bernoulli-logit").names == ("t", "z")
    d, syms = parse("ce(categorical(t1, t2, t3), categorical_logits(z1, z2, z3))").build()
    assert [str(x) for x in syms] == ["t1", "t2", "t3", "z1", "z2", "z3"] and d.quantity == "cross_entropy"


@pytest.mark.parametrize("bad", ["kl(normal(m, s))", "ce(bernoulli(t), bernoulli_logit(z)", "entropy(bernoulli(p)) x",
                                 "entropy(bernoulli(__import__('os')))", "entropy(poisson(l))", "ce(bernoulli(t), bernoulli(t))",
                                 "entropy(normal(m))", "entropy(bernoulli(p); 1)"])
def test_malformed_specs_are_rejected_with_a_reason(bad):
    with pytest.raises(SpecError):
        parse(bad).build()


def _run(argv):
    return main(argv)  # the one command-line parser, as `symce verify …` runs it


@pytest.fixture
def losses(tmp_path, monkeypatch):
    (tmp_path / "losses_under_test.py").write_text(textwrap.dedent("""
        import numpy as np
        def naive(t, z):
            s = 1 / (1 + np.exp(-z))
            return -(t * np.log(s) + (1 - t) * np.log(1 - s))
        def stable(t, z):
            return (1 - t) * np.logaddexp(0, z) + t * np.logaddexp(0, -z)
    """))
    monkeypatch.chdir(tmp_path)
    yield
    sys.modules.pop("losses_under_test", None)


def test_exit_codes(losses, capsys):
    small = ["-n", "100", "--grid-max", "150"]
    assert _run(["verify", "losses_under_test:naive", "--against", "bernoulli-logit", *small]) == cli.EXIT_THRESHOLD
    assert "FAIL" in capsys.readouterr().out
    assert _run(["verify", "losses_under_test:stable", "--against", "ce(bernoulli(t), bernoulli_logit(z))", *small]) == 0
    assert _run(["verify", "losses_under_test:stable", "--against", "ce(bernoulli(t)"]) == cli.EXIT_SPEC
    assert _run(["verify", "losses_under_test:missing", "--against", "bernoulli-logit"]) == cli.EXIT_IMPORT
    assert _run(["verify", "no_such_module_xyz:f", "--against", "bernoulli-logit"]) == cli.EXIT_IMPORT


@pytest.fixture
def more(tmp_path, monkeypatch):
    (tmp_path / "more_under_test.py").write_text(textwrap.dedent("""
        import numpy as np
        def stable(t, z):
            return (1 - t) * np.logaddexp(0, z) + t * np.logaddexp(0, -z)
        def swapped(a, b):
            return stable(b, a)
        def mean(t, z):
            return stable(t, z).mean()
        def raises(t, z):
            raise RuntimeError("broken on purpose")
        def wrong_shape(t, z):
            return np.stack([stable(t, z), stable(t, z)])
        def nan_3(t, z):
            return np.where((z >= 3) & (z < 3.25), np.nan, stable(t, z))
    """))
    monkeypatch.chdir(tmp_path)
    yield
    sys.modules.pop("more_under_test", None)


def test_exit_codes_for_usage_and_faulty_implementations(more, capsys):
    small = ["-n", "200", "--grid-max", "50", "--no-progress"]
    target = "more_under_test:"
    assert _run(["verify", target + "stable", "--against", "bernoulli-logit", "-n", "0", "--no-grid"]) == cli.EXIT_USAGE
    assert "no points" in capsys.readouterr().err
    assert _run(["verify", target + "stable", "--against", "bernoulli-logit", "--seed", "-1"]) == cli.EXIT_USAGE
    assert _run(["verify", target + "stable", "--against", "bernoulli-logit", "--domain", "z=3"]) == cli.EXIT_USAGE
    assert _run(["verify", target + "stable", "--against", "bernoulli-logit", "--domain", "w=0:1"]) == cli.EXIT_USAGE
    assert _run(["verify", target + "stable", "--against", "bernoulli-logit", "--args", "t"]) == cli.EXIT_USAGE
    assert _run(["verify", target + "mean", "--against", "bernoulli-logit", *small]) == cli.EXIT_IMPLEMENTATION
    assert "reduction" in capsys.readouterr().err
    assert _run(["verify", target + "raises", "--against", "bernoulli-logit", *small]) == cli.EXIT_IMPLEMENTATION
    assert "broken on purpose" in capsys.readouterr().err
    assert _run(["verify", target + "wrong_shape", "--against", "bernoulli-logit", *small]) == cli.EXIT_IMPLEMENTATION
    assert _run(["verify", target + "nan_3", "--against", "bernoulli-logit", "-n", "4000", "--no-progress"]) == 1


def test_args_domain_and_the_swap_hint(more, capsys):
    small = ["-n", "200", "--grid-max", "50", "--no-progress"]
    assert _run(["verify", "more_under_test:swapped", "--against", "bernoulli-logit", *small]) == cli.EXIT_THRESHOLD
    assert "--args z,t" in capsys.readouterr().out
    assert _run(["verify", "more_under_test:swapped", "--against", "bernoulli-logit", "--args", "z,t", *small]) == 0
    assert _run(["verify", "more_under_test:stable", "--against", "bernoulli-logit", "--domain", "z=-20:20",
                 "--domain", "t=0.5:2", *small]) == 0
    out = capsys.readouterr().out
    assert "z ∈ [-20, 20]" in out and "t ∈ [0.5, 1]" in out  # narrowed, never widened


def test_jobs_and_progress(more, capsys):
    assert _run(["verify", "more_under_test:stable", "--against", "bernoulli-logit", "-n", "3000",
                 "--grid-max", "50", "--jobs", "2"]) == 0
    err = capsys.readouterr().err
    assert "3" in err and ("exact values" in err)
