"""The accuracy section of the report (small sample counts; the full catalog runs in `make report`)."""

from symce.numeric.report import accuracy_section


def test_accuracy_section_for_the_bernoulli_formulas(tmp_path):
    md = accuracy_section(tmp_path, n=40, grid_max=40, only="bernoulli", plots=False)
    assert md.startswith("## Accuracy of the generated code")
    rows = [line for line in md.splitlines() if line.startswith("| H(bernoulli)") or line.startswith("| CE(bernoulli ‖")]
    assert len(rows) >= 3
    assert "| H(bernoulli) | " in md and "met" in md
