"""``Derivation`` and ``Step``: a result together with the ordered steps that justify it.

A derivation is immutable once built. Its ``result`` is a plain SymPy expression (or an immutable
matrix for gradients); ``steps`` list (expression, rule) pairs in order; ``conditions`` are the side
conditions under which the result holds (e.g. 0 < p < 1), stated rather than hidden.

Gradients and Hessians of derived closed forms are themselves derivations, built here too (they are the
operations a derivation offers; keeping them beside the class keeps the import graph acyclic).
Differentiation is entrywise ``diff`` of the closed form, canonicalised; a derivation may carry a
``gradient_hook`` for structured results (k classes or d dimensions derived at symbolic size), which is
asked first. Derivatives w.r.t. an ``Indexed`` parameter ``z[m]`` of a symbolic-k result drop the
Piecewise SymPy adds for "m outside 1..k" — the generic class m always lies in range.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

import sympy as sp
from sympy.core.cache import cacheit
from sympy.core.function import ArgumentIndexError

from symce.core import display
from symce.core.collector import without_gc
from symce.core.expfamily import resolve_index_range
from symce.core.limits import time_limit
from symce.core.quantity import Quantity
from symce.engine.canonical import canonical
from symce.errors import ArgumentTypeError, DerivationError


class Expect(sp.Function):
    """Unevaluated E_P[·] used only to *display* intermediate steps; the engine never evaluates it."""

    nargs = 1

    def _latex(self, printer):
        return r"\mathbb{E}_{P}\left[%s\right]" % printer._print(self.args[0])


@dataclass(frozen=True)
class Step:
    """One line of a derivation: ``lhs = expr`` justified by ``rule``."""

    expr: Any
    rule: str

    def __str__(self) -> str:
        return f"= {self.expr}    [{self.rule}]"


@dataclass(frozen=True, eq=False)
class Derivation:
    """A derived quantity. ``quantity`` names it (e.g. "cross_entropy"), ``lhs`` is the
    :class:`~symce.core.quantity.Quantity` it computes (``str(lhs)`` reads "H(P, Q)"), ``result`` the
    closed form, ``method`` the route the engine took."""

    quantity: str
    lhs: Quantity | str
    result: Any
    steps: tuple[Step, ...]
    method: str
    conditions: tuple = ()
    distributions: tuple = ()
    #: optional: a fast gradient for structured results (e.g. k classes derived at symbolic k)
    gradient_hook: Callable | None = field(default=None, repr=False, compare=False)
    #: why the result is +∞, when it is
    infinite_reason: str | None = None

    # -- calculus ------------------------------------------------------------------------------------
    def gradient(self, wrt: Sequence | Any) -> "Derivation":
        """The gradient of ``result`` w.r.t. the given symbols, itself a Derivation."""
        return gradient(self, wrt)

    def hessian(self, wrt: Sequence) -> "Derivation":
        """The Hessian of ``result`` w.r.t. the given symbols, itself a Derivation."""
        return hessian(self, wrt)

    # -- display -------------------------------------------------------------------------------------
    def __str__(self) -> str:
        lines = [f"{self.lhs}"]
        for s in self.steps:
            lines.append(f"  = {s.expr}")
            lines.append(f"      [{s.rule}]")
        if self.conditions:
            lines.append("  valid for: " + ", ".join(str(c) for c in self.conditions))
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"Derivation({self.lhs} = {self.result}, method={self.method!r})"

    def latex(self, **options) -> str:
        return display.render("latex", self, **options)

    def _repr_latex_(self) -> str:
        return "$$" + self.latex() + "$$"

    def markdown(self) -> str:
        return display.render("markdown", self)

    @property
    def is_infinite(self) -> bool:
        return self.result == sp.oo


# -- calculus on derivations ------------------------------------------------------------------------
def _as_list(wrt) -> tuple[list, bool]:
    single = not isinstance(wrt, (list, tuple, sp.MatrixBase))
    ws = [wrt] if single else list(wrt)
    for w in ws:
        if not isinstance(w, (sp.Symbol, sp.Indexed, sp.MatrixSymbol)):
            raise ArgumentTypeError(
                f"gradients are taken w.r.t. symbols (Symbol, Indexed such as z[m], or MatrixSymbol), "
                f"not {type(w).__name__} {w!r}")
    return ws, single


def _check_derivation(d, op: str) -> None:
    """``sc.gradient(d, wrt)`` is called with the derivation first; anything else (a family, an expression,
    the arguments swapped) would fail deep inside with an AttributeError."""
    if not isinstance(d, Derivation):
        raise ArgumentTypeError(
            f"{op}: argument d must be a Derivation (what symce.entropy / cross_entropy / kl / nll return), "
            f"not {type(d).__name__} {d!r:.80}; e.g. sc.{op}(sc.kl(P, Q), [mu])")


def _check_occurs(d: Derivation, w) -> None:
    """A derivative w.r.t. a symbol that is not in the result is 0 — and almost always a look-alike: a
    Symbol of the same name with other assumptions (``Symbol("mu2")`` vs ``Symbol("mu2", real=True)``),
    which SymPy treats as a different symbol. Refuse those, naming the symbol the result does contain."""
    atoms = _atoms(d.result) | {a for dist in d.distributions for a in _atoms_of_family(dist)}
    if w in atoms or (isinstance(w, sp.Indexed) and w.base in {a.base for a in atoms if isinstance(a, sp.Indexed)}):
        return
    name = w.name if isinstance(w, (sp.Symbol, sp.MatrixSymbol)) else str(w.base)
    twins = [a for a in atoms if (getattr(a, "name", None) or str(getattr(a, "base", ""))) == name]
    if twins:
        t = twins[0]
        raise ArgumentTypeError(
            f"{d.lhs} does not contain {w!r} with the assumptions {_declared(w)}; it contains "
            f"{t!r} with {_declared(t)} — SymPy treats them as different symbols, so the "
            f"derivative would be 0. Differentiate w.r.t. the distribution's own symbol.")


def _declared(sym) -> dict:
    """The assumptions a symbol was declared with (not the ones SymPy derives from them)."""
    return dict(getattr(sym, "_assumptions_orig", None) or {})


def _atoms(expr) -> set:
    items = list(expr) if isinstance(expr, sp.MatrixBase) else [expr]
    out: set = set()
    for e in items:
        if isinstance(e, sp.Basic):
            out |= e.atoms(sp.Symbol, sp.Indexed, sp.MatrixSymbol)
    return out


def _atoms_of_family(dist) -> set:
    out: set = set()
    for v in getattr(dist, "parameters", {}).values():
        for e in (v if isinstance(v, (list, tuple)) else [v]):
            out |= _atoms(e) if isinstance(e, (sp.Basic, sp.MatrixBase)) else set()
    return out


def _diff(expr, w):
    out = _diff_integrals(expr, w)
    if isinstance(w, sp.Indexed):
        for s in expr.atoms(sp.Sum):
            (i, lo, hi), = s.limits[:1]
            out = resolve_index_range(out.doit() if out.has(sp.KroneckerDelta) else out, w.indices[0], lo, hi)
            break
    return out


def _diff_integrals(expr, w):
    """``diff(expr, w)``, differentiating a kept ``Integral`` with constant limits under the integral sign
    directly: SymPy's own rule substitutes a fresh variable into the integrand and back (two ``subs`` of the
    whole integrand, most of the time of a Student t gradient) to mask the integration variable, which
    cannot be w here (w is a parameter, the integration variable a bound symbol of its own)."""
    ints = [i for i in expr.atoms(sp.Integral)
            if all(len(lim) == 3 and not (lim[1].has(w) or lim[2].has(w)) and lim[0] != w for lim in i.limits)]
    if not ints:
        return _sympy_diff(expr, w)
    stand = {i: sp.Dummy() for i in ints}
    e = expr.xreplace(stand)
    out = _sympy_diff(e, w)
    for i, d in stand.items():
        inner = i.function.diff(w)
        if inner != 0:
            out += _sympy_diff(e, d) * i.func(inner, *i.limits)
    return out.xreplace({d: i for i, d in stand.items()})


def _sympy_diff(expr, w):
    """``sp.diff(expr, w)``, the same expression, without SymPy's per-node overhead on sums, products and
    powers. SymPy's ``diff`` builds a ``Derivative`` at every node it descends through; each one asks
    ``is_zero`` of the node's derivative (an assumption query over the whole subtree, rarely cached: the
    derivative is a new expression) only to return early with the same value, and walks it for unevaluated
    ``Derivative``s. Over the gradients of the cold catalog those queries were ~60 % of diff's time.
    :func:`_node_diff` applies the very rules of ``Add``, ``Mul``, ``Pow`` and of functions that use
    ``Function``'s chain rule (log, exp, loggamma, polygamma, …) itself; any other node, and a
    symbol that is not a plain ``Symbol`` (Indexed: SymPy masks it first), goes to ``sp.diff``."""
    if not isinstance(w, sp.Symbol):
        return sp.diff(expr, w)
    out = _node_diff(expr, w)
    # SymPy canonicalises an unevaluated Derivative at each level; rare here, so redo those wholesale
    return sp.diff(expr, w) if out.has(sp.Derivative) else out


@cacheit  # KL's closed form shares most terms with CE's: their derivatives are taken once
def _node_diff(e, w):
    if w not in e.free_symbols:  # Derivative.__new__'s own first test
        return sp.S.Zero
    t = type(e)  # the classes themselves: a subclass may differentiate otherwise
    if t is sp.Add:  # Add._eval_derivative
        return e.func(*[_node_diff(a, w) for a in e.args])
    if t is sp.Mul and e.is_commutative:  # Mul._eval_derivative_n_times (Leibniz, n = 1)
        args = e.args
        return sp.Add(*[sp.Mul(*args[:i], _node_diff(a, w), *args[i + 1:]) for i, a in enumerate(args)])
    if t is sp.Pow:  # Pow._eval_derivative
        dbase, dexp = _node_diff(e.base, w), _node_diff(e.exp, w)
        return e * (dexp * sp.log(e.base) + dbase * e.exp / e.base)
    if isinstance(e, sp.Function) and t._eval_derivative is _CHAIN_RULE and t._eval_derivative_n_times is _N_TIMES:
        terms = []  # Function._eval_derivative: the chain rule over the arguments
        for i, a in enumerate(e.args, 1):
            da = _node_diff(a, w)
            if da.is_zero:
                continue
            try:
                df = e.fdiff(i)
            except ArgumentIndexError:
                df = sp.Function.fdiff(e, i)
            terms.append(df * da)
        return sp.Add(*terms)
    return sp.diff(e, w)


_CHAIN_RULE = sp.Function._eval_derivative  # a function class that keeps it (log, exp, Γ, ψ, …) differentiates so
_N_TIMES = sp.Basic._eval_derivative_n_times


@without_gc  # acyclic SymPy objects by the ten thousand: core/collector.py
def gradient(d: Derivation, wrt) -> Derivation:
    """∇_wrt of ``d.result``: a scalar for one symbol, a column matrix for a list."""
    _check_derivation(d, "gradient")
    ws, single = _as_list(wrt)
    if d.gradient_hook is not None:
        hooked = d.gradient_hook(ws[0] if single else ws)
        if hooked is not None:
            return hooked
    # a kept Integral over (−∞, ∞) has ∞ among its limits, not as its value
    value = d.result.replace(lambda e: isinstance(e, (sp.Integral, sp.Sum)), lambda e: sp.Dummy())
    if value.has(sp.oo, sp.zoo) and not isinstance(d.result, sp.Piecewise):
        raise DerivationError(f"{d.lhs} is +∞ ({d.infinite_reason}); it has no gradient")
    for w in ws:
        _check_occurs(d, w)
    raw = [_diff(d.result, w) for w in ws]
    parts = [canonical(r) for r in raw]
    result = parts[0] if single else sp.ImmutableMatrix(parts)
    lhs = Quantity.derivative(d.lhs, ws, gradient=not single)
    steps = (
        Step(raw[0] if single else sp.ImmutableMatrix(raw), f"differentiate the closed form of {d.lhs} entrywise"),
        Step(result, "canonical form"),
    )
    return Derivation("gradient", lhs, result, steps, "differentiation", d.conditions, d.distributions)


def hessian(d: Derivation, wrt: Sequence) -> Derivation:
    """The Hessian matrix ∂²/∂w_i∂w_j of ``d.result`` (symmetric; each entry computed once)."""
    _check_derivation(d, "hessian")
    ws, single = _as_list(wrt)
    if single:
        ws = [ws[0]]
    n = len(ws)
    # n(n+1)/2 canonicalised second derivatives: at n = 50 that is minutes, so bounded like any fallback step
    with time_limit(f"the Hessian of {d.lhs} ({n}×{n} second derivatives, {n * (n + 1) // 2} entries)"):
        g = gradient(d, ws)
        first = [g.result[i] for i in range(n)]
        H = sp.zeros(n, n)
        for i in range(n):
            for j in range(i, n):
                H[i, j] = H[j, i] = canonical(_diff(first[i], ws[j]))
    result = sp.ImmutableMatrix(H)
    steps = (*g.steps, Step(result, "differentiate the gradient once more (symmetric: upper triangle computed)"))
    return Derivation("hessian", Quantity.derivative(d.lhs, ws, order=2), result, steps, "differentiation",
                      d.conditions, d.distributions)
