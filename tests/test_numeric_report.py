"""The accuracy section of the report (small sample counts; the full catalog runs in `make report`)."""

from symce.app.accuracy import accuracy_section


def test_accuracy_section_for_the_bernoulli_formulas(tmp_path):
    md = accuracy_section(tmp_path, n=40, grid_max=40, only="bernoulli", plots=False, derivative_samples=0)
    assert md.startswith("## Accuracy of the generated code")
    rows = [line for line in md.splitlines() if line.startswith("| H(bernoulli)") or line.startswith("| CE(bernoulli ‖")]
    assert len(rows) >= 3
    assert "| H(bernoulli) | " in md and "met" in md


def _rows(md):
    """The rows of the values' table (the derivatives' table follows it)."""
    values = md.split("### Gradients and Hessians")[0]
    return [line for line in values.splitlines() if line.startswith("| ") and not line.startswith("| formula")]


def test_full_covariance_and_large_formulas_are_measured(tmp_path):
    md = accuracy_section(tmp_path, n=30, grid_max=30, only="mvnormal-d2-full ‖ mvnormal-d2-full", plots=False,
                          derivative_samples=0)
    assert any(r.startswith("| KL(mvnormal-d2-full ‖ mvnormal-d2-full) |") for r in _rows(md))
    assert "Not measured" not in md  # no SPD skip any more
    md = accuracy_section(tmp_path, n=20, grid_max=20, only="H(categorical-logits-k10)", plots=False,
                          derivative_samples=0)
    assert any(r.startswith("| H(categorical-logits-k10) |") for r in _rows(md))  # 10 arguments, no limit
    md = accuracy_section(tmp_path, n=20, grid_max=20, only="H(categorical-logits-k10)", plots=False, max_args=4,
                          derivative_samples=0)
    assert "10 arguments > max_args = 4" in md


def test_worker_processes_give_the_same_table(tmp_path):
    serial = accuracy_section(tmp_path, n=40, grid_max=40, only="bernoulli-logit ‖", plots=False,
                              derivative_samples=10)
    parallel = accuracy_section(tmp_path, n=40, grid_max=40, only="bernoulli-logit ‖", plots=False, jobs=2,
                                derivative_samples=10)
    assert _rows(serial) == _rows(parallel) and len(_rows(serial)) == 4
    # and the derivatives' table: one row per formula and order, the same from the workers
    grad = [r for r in serial.split("### Gradients and Hessians")[1].splitlines() if r.startswith("| CE(")]
    assert grad == [r for r in parallel.split("### Gradients and Hessians")[1].splitlines() if r.startswith("| CE(")]
    assert len(grad) == 4 and all(" z1 " in r for r in grad)


def test_common_only_measures_the_common_families_alone(tmp_path):
    # "bernoulli" names seed formulas (bernoulli, bernoulli-logit) and a common family (continuous-bernoulli)
    md = accuracy_section(tmp_path, n=20, grid_max=20, only="bernoulli", plots=False, common_only=True)
    rows = _rows(md)
    assert {r.split(" | ")[0] for r in rows} == {"| H(continuous-bernoulli)",
                                               "| CE(continuous-bernoulli ‖ continuous-bernoulli)",
                                               "| KL(continuous-bernoulli ‖ continuous-bernoulli)"}
    assert "### Gradients and Hessians" not in md and "Not measured" not in md


def test_derivatives_of_logits_against_probabilities_are_listed_with_their_sample_count(tmp_path):
    # the derivatives keep e^{z}/Σe^{z} next to log q; at q = 0 (the grid and the simplex's faces) they are
    # ∞ − ∞ or x/0, which the truth now gives up at once (it climbed to 32768 bits there before)
    name = "CE(categorical-logits-k2 ‖ categorical-k2)"
    md = accuracy_section(tmp_path, n=20, grid_max=20, only=name, plots=False, derivative_samples=30,
                          values=False)
    assert "30 samples + ≤ 20 grid points per derivative" in md
    rows = [r for r in md.splitlines() if r.startswith(f"| {name} |")]
    assert [r.split(" | ")[1] for r in rows] == ["∇", "diag ∇²"]
    for r in rows:
        cell = r.split(" | ")[2]
        assert all(f"{v} " in cell for v in ("p2_1", "p2_2", "z1_1", "z1_2")) and "n/a" not in cell
    assert "Derivatives not measured" not in md


def test_entropies_whose_stable_form_has_a_bare_parameter_term_are_measured(tmp_path):
    # H(log-normal) = μ + ½ + log(σ√(2π)): the term μ alone is a Symbol, which SymPy also counts as a Boolean;
    # lambdify refused it, and the error sank the whole accuracy section of `make report`
    md = accuracy_section(tmp_path, n=20, grid_max=20, only="H(log-normal)", plots=False, common_only=True)
    assert [r.split(" | ")[0] for r in _rows(md)] == ["| H(log-normal)"]
    assert "Not measured" not in md
