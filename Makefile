# Two commands matter: `make report` (the main job) and `make test` (the whole suite).
# Both create .venv when it is missing and install symce into it first.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
OUT    ?= out

.PHONY: report test bench docs fuzz notebooks install clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test,plot,notebooks,docs]'
	touch $(STAMP)

install: $(STAMP)

# the report with the coverage matrix of every family pair (minutes: each cell has a CPU limit)
report: $(STAMP)
	$(PY) -m symce report --out $(OUT) --coverage

test: $(STAMP)
	$(PY) -m pytest -q --durations=20

bench: $(STAMP)
	$(PY) benchmarks/run.py
	$(PY) benchmarks/numeric.py
	$(PY) benchmarks/accuracy.py
	$(PY) benchmarks/families.py --markdown benchmarks/results_families.md

# the hostile-input suites with 3000 generated inputs per property (make test runs them with 60-150) and the
# census of every public entry point × bad value; the counts land in out/symce-fuzz-*.json
fuzz: $(STAMP)
	mkdir -p out
	SYMCE_FUZZ_EXAMPLES=3000 SYMCE_FUZZ_COUNTS=out $(PY) -m pytest -q tests/test_hostile_inputs.py \
		tests/test_hostile_printing.py tests/test_hostile_cli.py tests/test_hostile_sizes.py tests/test_hostile_api.py

# run every notebook and store its outputs (tests/test_notebooks.py checks a fresh run gives the same)
notebooks: $(STAMP)
	$(PY) notebooks/execute.py

docs: $(STAMP)
	$(PY) -m sphinx -W --keep-going -q -b html docs docs/_build/html

clean:
	rm -rf $(VENV) $(OUT) .pytest_cache build *.egg-info docs/_build docs/_generated
