"""Execute notebooks in place and store their outputs (``make notebooks``), and the comparison a test makes
between stored outputs and a fresh run.

    python notebooks/execute.py                      # every notebook of this folder
    python notebooks/execute.py notebooks/04_*.ipynb # some of them

Outputs are stored without the parts that change from run to run (execution timestamps in the cell
metadata); :func:`comparable` reduces a notebook to what a fresh run must reproduce — every text and
LaTeX output with timings and memory addresses masked, and for images only that there is one.
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent

_VOLATILE = [
    (re.compile(r"\d+(?:\.\d+)?(?:e[+-]?\d+)?\s*(?:ms|s|µs)\b"), "<time>"),
    (re.compile(r"0x[0-9a-fA-F]+"), "0x…"),
]


def execute(path: str | os.PathLike, timeout: int = 300):
    """Run a notebook top to bottom with the working tree's symce; returns the executed notebook."""
    import nbclient
    import nbformat

    nb = nbformat.read(str(path), as_version=4)
    os.environ["PYTHONPATH"] = os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])
    client = nbclient.NotebookClient(nb, timeout=timeout, kernel_name="python3",
                                     resources={"metadata": {"path": str(Path(path).parent)}})
    client.execute()
    for cell in nb.cells:
        cell.metadata.pop("execution", None)  # timestamps: different on every run
    return nb


def _mask(text: str) -> str:
    for pattern, repl in _VOLATILE:
        text = pattern.sub(repl, text)
    return re.sub(r"[ \t]+", " ", text)  # columns padded to the width of a timing


def comparable(nb) -> list[list[tuple]]:
    """Per code cell, its outputs as (kind, text) with volatile parts masked; images as their type only."""
    out = []
    for cell in nb["cells"]:
        if cell["cell_type"] != "code":
            continue
        items = []
        for o in cell.get("outputs", []):
            kind = o["output_type"]
            if kind == "stream":  # one stream may arrive in chunks that differ from run to run: join them
                text = "".join(o["text"]) if isinstance(o["text"], list) else o["text"]
                if items and items[-1][0] == kind and items[-1][1] == o["name"]:
                    items[-1] = (kind, o["name"], items[-1][2] + text)
                else:
                    items.append((kind, o["name"], text))
            elif kind in ("execute_result", "display_data"):
                data = o.get("data", {})
                for mime in sorted(data):
                    if mime.startswith("image/"):
                        items.append((kind, mime, "<image>"))
                    else:
                        value = data[mime]
                        items.append((kind, mime, "".join(value) if isinstance(value, list) else value))
            else:  # an error: its name and message
                items.append((kind, o.get("ename", ""), o.get("evalue", "")))
        out.append([(k, name, _mask(text)) for k, name, text in items])
    return out


def main(argv: list[str] | None = None) -> int:
    """Exit codes: 0 every notebook ran, 1 a cell raised (its error is printed), 2 bad arguments."""
    import argparse

    ap = argparse.ArgumentParser(description="Execute notebooks in place and store their outputs "
                                             "(`make notebooks`).")
    ap.add_argument("paths", nargs="*", metavar="NOTEBOOK",
                    help="notebooks to run (default: every *.ipynb in notebooks/)")
    ap.add_argument("--timeout", type=int, default=300, help="seconds per cell (default 300)")
    a = ap.parse_args(argv)
    import nbclient.exceptions
    import nbformat

    targets = [Path(p) for p in a.paths] or sorted(HERE.glob("*.ipynb"))
    missing = [str(p) for p in targets if not p.is_file()]
    if missing:
        ap.error(f"no such notebook: {', '.join(missing)}")
    for n, path in enumerate(targets, 1):
        print(f"[{n}/{len(targets)}] executing {path.name} …", flush=True)
        try:
            nb = execute(path, timeout=a.timeout)
        except nbclient.exceptions.CellExecutionError as exc:  # the notebook is left as it was
            print(f"{path.name}: a cell raised:\n{exc}", file=sys.stderr)
            return 1
        nbformat.write(nb, str(path))
        print(f"executed {path.name}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
