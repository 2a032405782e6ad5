"""Sphinx configuration: MyST Markdown pages, API reference from docstrings, the catalog generated from
the code at build time (so it cannot drift). Build: ``make docs`` (warnings are errors)."""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

project = "symce"
author = "symce developers"
copyright = "symce developers"  # noqa: A001 - Sphinx's name

extensions = ["myst_parser", "sphinx.ext.autodoc", "sphinx.ext.mathjax", "sphinx.ext.viewcode"]
source_suffix = {".md": "markdown", ".rst": "restructuredtext"}
myst_enable_extensions = ["dollarmath", "amsmath", "colon_fence"]
myst_heading_anchors = 3
exclude_patterns = ["_build", "_generated", "README.md"]
autodoc_member_order = "bysource"
autodoc_typehints = "none"  # signatures stay readable; the docstrings say what the types are
html_theme = "alabaster"
html_static_path: list = []
suppress_warnings = ["myst.header"]  # docs/design.md starts at a level-2 heading after the title
# MathJax: the same notation as symce's printer (\mathbb{KL}, \operatorname{softplus}) needs no macros


def _write_catalog(app) -> None:
    """docs/_generated/catalog.md from symce.printing.catalog.catalog_markdown(): derived at build time."""
    from symce.printing.catalog import catalog_markdown

    out = HERE / "_generated"
    out.mkdir(exist_ok=True)
    text = catalog_markdown()
    path = out / "catalog.md"
    if not path.exists() or path.read_text(encoding="utf-8") != text:
        path.write_text(text, encoding="utf-8")


def setup(app):
    app.connect("builder-inited", _write_catalog)
