r"""``report.md``: the catalog :class:`~symce.app.report.Report` as Markdown — an overview, the failures,
the summary table, the entropy of each example and one section per family pair (its closed forms,
gradients, proofs, and for one pair per family the derivation of KL step by step). Results too large to
read (more than :data:`MAX_SHOWN_OPS` operations) are summarised instead of printed in full.
"""

from __future__ import annotations

import os
from typing import Sequence

import sympy as sp

from symce.app.report import SKIPPED, Item, Report, Section, gradient_symbols, summary_line
from symce.core.quantity import Quantity
from symce.engine.derivation import Derivation
from symce.engine.proof import PROVED, Proof
from symce.core.notation import check_settings
from symce.printing.blocks import condition_list, derivation_markdown
from symce.printing.latex_printer import printer
from symce.printing.printer import latex

#: results bigger than this (``count_ops``) are summarised in report.md instead of printed in full
MAX_SHOWN_OPS = 400


def _ops(expr) -> int:
    if isinstance(expr, sp.MatrixBase):
        return sum(sp.count_ops(x) for x in expr)
    return sp.count_ops(expr) if isinstance(expr, sp.Basic) else 0


def _math_block(lhs: str, expr, st: dict) -> str:
    ops = _ops(expr)
    if ops > MAX_SHOWN_OPS:
        shape = f" ({expr.shape[0]}×{expr.shape[1]})" if isinstance(expr, sp.MatrixBase) else ""
        return f"$$ {lhs} = \\text{{[an expression of {ops} operations{shape}, not shown]}} $$"
    return f"$$ {lhs} = {latex(expr, **st)} $$"


_Q = sp.Symbol("Q")
#: the report's quantity labels, written by the one notation source (the printer of Quantity)
_QUANTITIES = {
    "H(P)": Quantity.entropy(),
    "H(P,Q)": Quantity.cross_entropy(),
    "KL(P‖Q)": Quantity.kl(),
    "∇_Q H(P,Q)": Quantity.derivative(Quantity.cross_entropy(), [_Q], gradient=True),
    "∇_Q KL(P‖Q)": Quantity.derivative(Quantity.kl(), [_Q], gradient=True),
}


def _wrt_tex(Q, st: dict) -> str:
    syms, _ = gradient_symbols(Q)
    if len(syms) > 8:
        return f"{latex(syms[0], **st)}, \\ldots, {latex(syms[-1], **st)}"
    return ", ".join(latex(s, **st) for s in syms)


def _md_escape(s: str) -> str:
    return s.replace("|", "\\|")


def markdown(report: Report, timings: dict[str, float] | None = None, **settings) -> str:
    """report.md: catalog overview, entropy per example, one section per family pair, proof table;
    ``timings`` (seconds by part of the run) add a timing line under the summary; ``settings`` are the
    notation settings of :data:`symce.core.notation.SETTINGS` (``kl_notation="D_KL"``, …)."""
    check_settings(settings)
    st = settings
    out = ["# symce catalog report", "",
           "Every closed form below is derived by the engine from the definitions "
           "H(P, Q) = −∫ (dP/dν) log(dQ/dν) dν, H(P) = H(P, P), KL(P‖Q) = E_P[log p − log q]; "
           "the proofs are symbolic unless their status says otherwise.", "",
           f"**Summary:** {summary_line(report)}", ""]
    if timings:
        out += [timing_line(report, timings), ""]
    if report.failures:
        out += ["## Failures", ""]
        out += [f"- **{_md_escape(it.section)}**, {it.quantity}: {it.status} — {_md_escape(it.note)}"
                for it in report.failures]
        out.append("")
    out += ["## Summary table", "", "| family pair | quantity | status | time (ms) |", "|---|---|---|---:|"]
    out += [f"| {_md_escape(it.section)} | {_md_escape(it.quantity)} | {it.status} | {it.ms:.1f} |"
            for it in report.items]
    out += ["", "## Entropy of each example", ""]
    for sec in report.sections:
        if not sec.is_pair:
            out += _example_section(sec, st)
    out += ["## Cross-entropy and KL divergence, pair by pair", ""]
    for sec in report.sections:
        if sec.is_pair:
            out += _pair_section(sec, st)
    return "\n".join(out) + "\n"


def _dist_line(sec: Section, st: dict) -> list[str]:
    lines = []
    for role, dist in (("P", sec.P), ("Q", sec.Q)):
        if dist is not None:
            measure = str(dist.measure).replace("lebesgue", "Lebesgue")
            lines.append(f"${role} = {latex(dist, **st)}$ ({measure}; support ${latex(dist.support, **st)}$)")
    return ["  \n".join(lines), ""]


def _conditions(d, st: dict) -> list[str]:
    conds = [c for c in getattr(d, "conditions", ()) if c is not sp.true]  # 0 < p is True for positive p
    # bounds as papers write them: 0 < p₁ < 1, not "p₁ < 1" with the sign left to the assumptions
    return [f"for {', '.join(f'${c}$' for c in condition_list(conds, printer(**st)))}", ""] if conds else []


def _item_block(it: Item, sec: Section, st: dict) -> list[str]:
    if it.kind == "proof":
        return _proof_lines(it, st)
    if it.status.startswith("error") or it.status == SKIPPED:
        return [f"- {it.quantity}: **{it.status}** {_md_escape(it.note)}", ""]
    d = it.obj
    q = _QUANTITIES.get(it.quantity)
    lhs = latex(q, **st) if q is not None else r"\text{%s}" % it.quantity
    if it.quantity.startswith("∇"):
        lhs = lhs.replace("_{Q}", "_{%s}" % _wrt_tex(sec.Q, st))
    out = [_math_block(lhs, d.result, st), ""]
    if d.infinite_reason:
        out += [f"+∞ because {_md_escape(d.infinite_reason)}", ""]
    if not it.quantity.startswith("∇"):
        out += [f"method: {_md_escape(d.method)}", ""] + _conditions(d, st)
    return out


def _proof_lines(it: Item, st: dict) -> list[str]:
    if it.obj is None:
        return [f"- proof {it.quantity}: **{it.status}** {_md_escape(it.note)}", ""]
    p: Proof = it.obj
    extra = ""
    if p.side_conditions:
        extra = " under the side conditions " + ", ".join(f"${latex(c, **st)}$" for c in p.side_conditions)
    if p.counterexample:
        extra += f"; counterexample: `{p.counterexample}`"
    if p.status != PROVED and p.points:
        extra += f" (agrees to {p.digits} digits at {p.points} points)"
    return [f"- proof {it.quantity}: **{p.status}**{extra} ({it.ms:.1f} ms)", ""]


def _example_section(sec: Section, st: dict) -> list[str]:
    out = [f"### {sec.title}", ""] + _dist_line(sec, st)
    for it in sec.items:
        out += _item_block(it, sec, st)
    return out


def _pair_section(sec: Section, st: dict) -> list[str]:
    out = [f"### {sec.title}", ""] + _dist_line(sec, st)
    for it in sec.items:
        out += _item_block(it, sec, st)
    if sec.show_steps:
        for it in sec.items:
            if it.quantity == "KL(P‖Q)" and isinstance(it.obj, Derivation) and _ops(it.obj.result) <= MAX_SHOWN_OPS:
                out += ["#### Derivation of KL(P‖Q), step by step", "", derivation_markdown(it.obj, **st), ""]
    return out


def timing_line(report: Report, timings: dict[str, float] | None) -> str:
    """What each part of the run took, measured: the catalog, each section, the whole run."""
    parts = [f"catalog {report.seconds:.1f} s"] + [f"{name} {s:.1f} s" for name, s in (timings or {}).items()
                                                   if name != "total"]
    total = (timings or {}).get("total")
    return "**Timing:** " + ", ".join(parts) + (f"; the whole run {total:.0f} s" if total is not None else "")


def write(report: Report, out_dir: str, extra_sections: Sequence[str] = (),
          timings: dict[str, float] | None = None, **settings) -> str:
    """Write ``out_dir/report.md`` (creating the folder) and return its path; ``extra_sections`` are
    Markdown sections (training losses, numeric accuracy) appended after the catalog; ``timings`` (seconds
    by part of the run) add a timing line under the summary."""
    os.makedirs(out_dir, exist_ok=True)
    path = os.path.join(out_dir, "report.md")
    with open(path, "w", encoding="utf-8") as f:
        f.write(markdown(report, timings, **settings))
        for extra in extra_sections:
            f.write("\n" + extra.rstrip() + "\n")
    return path
