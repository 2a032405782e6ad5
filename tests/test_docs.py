"""The documentation stays true: docstring examples of every symce module and the ``>>>`` examples of the
docs pages run as doctests; the catalog page is generated from the code; every page is in the toctree.

(`make docs` builds the site with Sphinx, warnings as errors; this file needs neither Sphinx nor MyST.)
"""

from __future__ import annotations

import doctest
import importlib
import pkgutil
import re
from pathlib import Path

import pytest

import symce

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE | doctest.IGNORE_EXCEPTION_DETAIL

# __main__ runs the command line on import
MODULES = sorted(m.name for m in pkgutil.walk_packages(symce.__path__, "symce.") if not m.name.endswith("__main__"))
PAGES = sorted(p for p in DOCS.rglob("*.md") if "_build" not in p.parts and "_generated" not in p.parts)


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    try:
        module = importlib.import_module(name)
    except ImportError as e:  # an optional backend (torch, jax) that is not installed
        pytest.skip(f"{name} needs an optional dependency: {e}")
    result = doctest.testmod(module, optionflags=FLAGS, verbose=False)
    assert result.failed == 0, f"{result.failed} of {result.attempted} docstring examples of {name} failed"


@pytest.mark.parametrize("page", PAGES, ids=[str(p.relative_to(DOCS)) for p in PAGES])
def test_docs_page_examples(page):
    result = doctest.testfile(str(page), module_relative=False, optionflags=FLAGS, verbose=False,
                              encoding="utf-8")
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples in {page.name} failed"


def test_every_page_is_in_the_toctree():
    index = (DOCS / "index.md").read_text(encoding="utf-8")
    listed = set(re.findall(r"^([\w/]+)$", index.split("```{toctree}")[1].split("```")[0], re.M))
    pages = {str(p.relative_to(DOCS).with_suffix("")) for p in PAGES} - {"index", "README"}
    assert pages <= listed, f"pages missing from the toctree: {sorted(pages - listed)}"


def test_catalog_page_is_generated_from_the_code():
    from symce import families
    from symce.printing.catalog import catalog_markdown

    md = catalog_markdown()
    for ex in families.EXAMPLES:
        assert f"### {ex.label}\n" in md
    for a, b in families.pairs():
        assert f"### {a.label} ‖ {b.label}\n" in md
    # the page includes the generated file rather than a copy of it
    assert "{include} _generated/catalog.md" in (DOCS / "catalog.md").read_text(encoding="utf-8")


def test_api_reference_names_importable_modules():
    api = (DOCS / "api.md").read_text(encoding="utf-8")
    for name in re.findall(r"automodule:: ([\w.]+)", api):
        importlib.import_module(name)


def test_readme_examples_run_as_doctests():
    result = doctest.testfile(str(ROOT / "README.md"), module_relative=False, optionflags=FLAGS, verbose=False,
                              encoding="utf-8")
    assert result.attempted >= 20, "the README's examples are written as >>> lines"
    assert result.failed == 0, f"{result.failed} of {result.attempted} README examples failed"


def _api_members() -> dict[str, set[str]]:
    """module → the names its ``:members:`` line documents in docs/api.md."""
    api = (DOCS / "api.md").read_text(encoding="utf-8")
    out: dict[str, set[str]] = {}
    for module, members in re.findall(r"automodule:: ([\w.]+)\n((?:   :[^\n]*\n)*)", api):
        m = re.search(r":members:(.*)", members)
        out.setdefault(module, set()).update(x.strip() for x in (m.group(1).split(",") if m else []) if x.strip())
    return out


def test_every_public_name_is_in_the_api_reference():
    documented = _api_members()
    missing = []
    for name in symce.__all__:
        obj = getattr(symce, name)
        if name == "errors":
            assert "symce.errors" in documented
            continue
        found = any(name in members and getattr(importlib.import_module(mod), name, None) is obj
                    for mod, members in documented.items())
        if not found:
            missing.append(name)
    assert not missing, f"public names without an API entry: {missing}"


def test_mathjax_is_shipped_with_the_site_so_it_works_offline():
    import runpy

    conf = runpy.run_path(str(DOCS / "conf.py"))
    path = conf.get("mathjax_path", "")
    assert path and not re.match(r"(https?:)?//", path), f"MathJax from the network: {path!r}"
    assert any((DOCS / d / path).is_file() for d in conf["html_static_path"]), f"{path} is not in _static"
    assert (DOCS / conf["html_static_path"][0] / "mathjax" / "LICENSE").is_file()  # Apache-2.0, shipped with it
    # a site built with this configuration loads no script from the network
    site = DOCS / "_build" / "html"
    if site.is_dir() and (site / "index.html").stat().st_mtime >= (DOCS / "conf.py").stat().st_mtime:
        for page in site.rglob("*.html"):
            srcs = re.findall(r"<script[^>]*\ssrc=\"([^\"]+)\"", page.read_text(encoding="utf-8"))
            remote = [s for s in srcs if re.match(r"(https?:)?//", s)]
            assert not remote, f"{page.relative_to(site)} loads {remote}"
