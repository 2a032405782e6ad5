"""The documentation builds without a warning (``make docs`` runs Sphinx with ``-W``): a docstring whose reST
is malformed — ``(rows, cols, *batch)`` read as an unterminated emphasis — failed ``make docs`` while every
other test passed. Sphinx comes with the docs extra, which ``make test`` installs."""

from __future__ import annotations

import pathlib
import subprocess
import sys

import pytest

pytest.importorskip("sphinx")
ROOT = pathlib.Path(__file__).resolve().parent.parent


def test_sphinx_builds_the_docs_without_warnings(tmp_path):
    run = subprocess.run([sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", "html",
                          str(ROOT / "docs"), str(tmp_path / "html")], capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    assert (tmp_path / "html" / "index.html").is_file()
