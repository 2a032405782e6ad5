"""Compiling LaTeX with pdflatex: the executable, the compile step, and what its log reports.

pdflatex runs non-interactively in a temporary folder; an error raises :class:`LatexError` with the log
attached, and overfull boxes (lines wider than the page) are returned so tests can bound them.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from symce.errors import SymceError

__all__ = ["pdflatex", "compile_pdf", "LatexError", "CompileResult", "INSTALL_HINT"]

INSTALL_HINT = ("pdflatex was not found; install TeX Live to compile LaTeX documents, e.g. on Debian/Ubuntu "
                "`apt-get install texlive-latex-base texlive-latex-recommended texlive-latex-extra`, "
                "on macOS `brew install --cask mactex-no-gui`")


class LatexError(SymceError, RuntimeError):
    """pdflatex is missing, or reported an error compiling a generated document (its log is attached)."""

    def __init__(self, message: str, log: str = ""):
        super().__init__(message)
        self.log = log



@dataclass
class CompileResult:
    """A compiled document: the pdf, the log, and the overfull boxes pdflatex reported (in pt)."""

    pdf: Path
    log: str
    overfull: list[tuple[float, str]]

    def worst_overfull(self) -> float:
        return max((w for w, _ in self.overfull), default=0.0)


def pdflatex() -> str | None:
    """The path of pdflatex, or None when it is not installed."""
    return shutil.which("pdflatex")


_OVERFULL = re.compile(r"^Overfull \\[hv]box \((\d+(?:\.\d+)?)pt too (?:wide|high)\)(.*)$", re.M)
_ERROR = re.compile(r"^! (.*)$", re.M)


def compile_pdf(tex_path: str | os.PathLike, runs: int = 1, timeout: float = 120.0) -> CompileResult:
    """Compile ``tex_path`` with pdflatex (non-interactive, in a temporary folder; the pdf is copied
    beside the .tex). Raises :class:`LatexError` with the log's first error when pdflatex fails."""
    exe = pdflatex()
    if exe is None:
        raise LatexError(INSTALL_HINT)
    tex_path = Path(tex_path).resolve()
    # graphics named relative to the .tex (the report's plots beside it) are found from the temporary folder
    env = {**os.environ, "TEXINPUTS": f"{tex_path.parent}{os.pathsep}{os.environ.get('TEXINPUTS', '')}"}
    with tempfile.TemporaryDirectory() as tmp:
        log = ""
        for _ in range(runs):
            proc = subprocess.run([exe, "-interaction=nonstopmode", "-halt-on-error", "-file-line-error",
                                   "-output-directory", tmp, str(tex_path)],
                                  cwd=tmp, capture_output=True, timeout=timeout, env=env)
            log_file = Path(tmp) / (tex_path.stem + ".log")
            log = log_file.read_text(encoding="latin-1") if log_file.exists() else proc.stdout.decode("latin-1")
            errors = _ERROR.findall(log) + re.findall(r"^[^\n]*:\d+: (.*)$", log, re.M)
            if proc.returncode != 0 or errors:
                raise LatexError(f"pdflatex failed on {tex_path.name}: {errors[0] if errors else 'exit ' + str(proc.returncode)}", log)
        pdf = tex_path.with_suffix(".pdf")
        shutil.copyfile(Path(tmp) / (tex_path.stem + ".pdf"), pdf)
    overfull = [(float(w), where.strip()) for w, where in _OVERFULL.findall(log)]
    return CompileResult(pdf, log, overfull)

