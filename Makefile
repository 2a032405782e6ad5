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

report: $(STAMP)
	$(PY) -m symce report --out $(OUT)

test: $(STAMP)
	$(PY) -m pytest -q

bench: $(STAMP)
	$(PY) benchmarks/run.py
	$(PY) benchmarks/numeric.py
	$(PY) benchmarks/accuracy.py

# the hostile-input suite with 3000 generated inputs per property (make test runs it with 60-150)
fuzz: $(STAMP)
	SYMCE_FUZZ_EXAMPLES=3000 $(PY) -m pytest -q tests/test_hostile_inputs.py

# run every notebook and store its outputs (tests/test_notebooks.py checks a fresh run gives the same)
notebooks: $(STAMP)
	$(PY) notebooks/execute.py

docs: $(STAMP)
	$(PY) -m sphinx -W --keep-going -q -b html docs docs/_build/html

clean:
	rm -rf $(VENV) $(OUT) .pytest_cache build *.egg-info docs/_build docs/_generated
