"""Sphinx configuration: MyST Markdown pages, API reference from docstrings, the catalog generated from
the code at build time (so it cannot drift). Build: ``make docs`` (warnings are errors)."""

from __future__ import annotations

import re
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
html_static_path = ["_static"]
# MathJax is shipped with the site (docs/_static/mathjax: MathJax 3.2.2's tex-svg-full.js, Apache-2.0, from the
# npm package "mathjax"): one file with every TeX extension and SVG glyphs, so the mathematics renders offline
mathjax_path = "mathjax/tex-svg-full.js"
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


_ABS = re.compile(r"(?<![\\`|])\|([^|`\n]*[A-Za-z][^|`\n]*)\|(?![_|`])")


def _absolute_values(app, what, name, obj, options, lines) -> None:
    """Docstrings write absolute values as |computed − truth|, which reStructuredText would read as a
    substitution reference: escape the bars (the rows of a docstring's table are left alone)."""
    for i, line in enumerate(lines):
        row = line.strip()
        if not (row.startswith("+-") or (row.startswith("|") and row.endswith("|") and row.count("|") > 2)):
            lines[i] = _ABS.sub(r"\\|\1\\|", line)


def setup(app):
    app.connect("builder-inited", _write_catalog)
    app.connect("autodoc-process-docstring", _absolute_values)
