"""The notebooks in notebooks/ run top to bottom (executed with nbclient), so a broken notebook fails CI.

nbclient is the execution engine under nbconvert/nbmake/papermill; calling it from an ordinary test keeps
the suite's collection unchanged (no plugin flag), gives one test per notebook with a clear skip reason
when the kernel packages are missing, a per-cell timeout, and lets the test check outputs (e.g. that
derivations are displayed as LaTeX). A notebook committed with outputs (``make notebooks`` stores them) must
give the same outputs on a fresh run, up to the parts that change from run to run (timings, addresses; of
an image only that there is one) — compared by ``notebooks/execute.py``'s ``comparable``.
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import os
from pathlib import Path

import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parent.parent / "notebooks").glob("*.ipynb"))
ROOT = Path(__file__).resolve().parent.parent

nbformat = pytest.importorskip("nbformat", reason="notebook tests need nbformat: pip install 'symce[notebooks]'")
nbclient = pytest.importorskip("nbclient", reason="notebook tests need nbclient: pip install 'symce[notebooks]'")
pytest.importorskip("ipykernel", reason="notebook tests need ipykernel: pip install 'symce[notebooks]'")


def test_there_are_notebooks():
    assert len(NOTEBOOKS) >= 4, NOTEBOOKS


def _execute_module():
    import importlib.util

    spec = importlib.util.spec_from_file_location("notebook_execute", ROOT / "notebooks" / "execute.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _has_outputs(nb) -> bool:
    return any(c.get("outputs") for c in nb["cells"] if c["cell_type"] == "code")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_stored_outputs_are_whole(path):
    """Outputs are stored for every code cell or for none (a half-cleared notebook is a mistake)."""
    nb = json.loads(path.read_text(encoding="utf-8"))
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    counts = [c.get("execution_count") for c in code]
    assert all(n is None for n in counts) or counts == list(range(1, len(code) + 1)), \
        f"{path.name}: run it with `make notebooks` (or clear every output)"
    assert all("execution" not in c.get("metadata", {}) for c in code), f"{path.name} stores run timestamps"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_executes(path, tmp_path, monkeypatch):
    nb = nbformat.read(path, as_version=4)
    # a notebook may name modules it needs (metadata "symce": {"requires": [...]}): optional extras
    for module in nb.metadata.get("symce", {}).get("requires", []):
        try:
            importlib.import_module(module)
        except ImportError as e:
            pytest.skip(f"{path.name} needs {module}: {e} (pip install 'symce[notebooks,plot]')")
    # the kernel imports the working tree's symce, not some other installed copy
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
    client = nbclient.NotebookClient(nb, timeout=120, kernel_name="python3",
                                     resources={"metadata": {"path": str(tmp_path)}})
    try:
        client.execute()
    except nbclient.exceptions.CellExecutionError as e:  # the failing cell and its traceback
        pytest.fail(f"{path.name} failed:\n{e}")
    except Exception as e:  # noqa: BLE001 - no kernel available: say how to get one
        if "No such kernel" in str(e) or "kernel" in type(e).__name__.lower():
            pytest.skip(f"no python3 Jupyter kernel ({e}); pip install ipykernel")
        raise
    committed = json.loads(path.read_text(encoding="utf-8"))
    # stored with optional packages (metadata "outputs_need") that are missing here: executed, not compared
    need = nb.metadata.get("symce", {}).get("outputs_need", [])
    if _has_outputs(committed) and all(importlib.util.find_spec(m) is not None for m in need):
        compare = _execute_module().comparable
        fresh, stored = compare(nb), compare(committed)
        for k, (a, b) in enumerate(zip(stored, fresh)):
            assert a == b, f"{path.name}: code cell {k + 1} prints something else now; run `make notebooks`"
    latex_outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])
                     if "text/latex" in o.get("data", {})]
    assert latex_outputs, f"{path.name} displays nothing typeset"
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert not errors


def test_execute_script_has_help_and_meaningful_exit_codes(capsys):
    """``notebooks/execute.py --help`` prints its usage (it once took --help for a notebook path), and a
    missing notebook is exit code 2 with its name, not a traceback."""
    module = _execute_module()
    with pytest.raises(SystemExit) as exc:
        module.main(["--help"])
    assert exc.value.code == 0
    assert "usage:" in capsys.readouterr().out
    with pytest.raises(SystemExit) as exc:
        module.main(["no-such-notebook.ipynb"])
    assert exc.value.code == 2
    assert "no-such-notebook.ipynb" in capsys.readouterr().err
