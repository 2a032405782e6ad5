"""benchmarks/accuracy_seeds.py: the per-seed tables it reads back and the matrix it judges by.

The tables are written here by hand in accuracy.py's format, so the test fixes what a miss is (a goal cell
that says 'not met', not a large max ULP: an entropy is judged in ULPs of its terms) and the exit status.
"""

import importlib.util
import pathlib

import pytest

_PATH = pathlib.Path(__file__).resolve().parents[1] / "benchmarks" / "accuracy_seeds.py"
_spec = importlib.util.spec_from_file_location("accuracy_seeds", _PATH)
seeds = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(seeds)

_HEAD = "## Accuracy of the generated code — the common families' formulas, 10 samples (`benchmarks/accuracy.py --common-only --samples 10{flag}`)\n\n"
_ROWS = """| formula | max ULP | median | ≤ 1 ULP | NaN/inf | typical: max ULP, NaN/inf | goal | plain lambdify: max ULP, NaN/inf | plot |
|---|---:|---:|---:|---:|---:|:-:|---:|---|
| H(beta) | 8.5e+18 | 1 | 73.53% | 0 | 8.5e+18, 0 | met (≤ 16, special); in ULPs of max(\\|H\\|, Σ\\|terms\\|): max 4, median 0 | inf, 19 |  |
| KL(beta ‖ beta) | {kl} | 0 | 93.23% | 0 | 9, 0 | {goal} (≤ 16, special) | inf, 42 |  |

Where a goal is not met, the worst inputs:

* KL(beta ‖ beta): alpha1=1.0 → 2.0, exact 2.1 (132 ULP)
"""


def _table(tmp_path, name, seed_flag, kl, goal):
    p = tmp_path / name
    p.write_text(_HEAD.format(flag=seed_flag) + _ROWS.format(kl=kl, goal=goal), encoding="utf-8")
    return str(p)


def test_the_seed_and_the_goal_cells_are_read_back(tmp_path):
    seed, rows, worst = seeds.parse_table(_table(tmp_path, "a.md", " --seed 5", 132, "**not met**"))
    assert seed == 5
    # the entropy's raw max ULP is huge but its goal cell says met: it is not a miss
    assert rows == {"H(beta)": ("8.5e+18", True), "KL(beta ‖ beta)": ("132", False)}
    assert worst == ["KL(beta ‖ beta): alpha1=1.0 → 2.0, exact 2.1 (132 ULP)"]
    assert seeds.parse_table(_table(tmp_path, "b.md", "", 3, "met"))[0] is None   # seed 0 is not named


def test_a_miss_at_one_seed_is_a_miss_of_the_formula(tmp_path):
    a = _table(tmp_path, "accuracy_seed0.md", "", 3, "met")
    b = _table(tmp_path, "accuracy_seed1.md", " --seed 1", 132, "**not met**")
    text, misses = seeds.matrix([(0, *seeds.parse_table(a)[1:]), (1, *seeds.parse_table(b)[1:])], "cmd")
    assert misses == 1
    assert "| KL(beta ‖ beta) | 3 | **132** ✗ | **no** |" in text
    assert "| H(beta) | 8.5e+18 | 8.5e+18 | yes |" in text
    assert "3 of 4 (formula, seed) cells meet their goal; 1 of 2 formulas" in text
    assert seeds.main(["--from-tables", a, b, "--out", str(tmp_path / "m.md")]) == 1
    assert seeds.main(["--from-tables", a, "--out", str(tmp_path / "m.md")]) == 0


def test_bad_seed_ranges_are_refused():
    assert seeds._seeds("0-2,5") == [0, 1, 2, 5]
    with pytest.raises(Exception, match="runs backwards"):
        seeds._seeds("3-1")
    with pytest.raises(Exception, match="must look like"):
        seeds._seeds("x")
