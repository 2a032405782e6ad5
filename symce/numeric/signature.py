"""The signature of a lambdified function: the distributions' parameters, by name, in declaration order.

A derivation of H(P, Q) or KL(P ‖ Q) knows its distributions; the generated function takes their
parameters in the order they are declared (P's, then Q's). A scalar parameter (p, μ, σ, a logit) is one
argument named by its symbol; a vector parameter (categorical probabilities or logits, an MVN mean) is one
array with a trailing axis of length k or d, and a matrix parameter (an MVN covariance or Cholesky factor)
one array with trailing axes (d, d); all broadcast. Every argument is also accepted one symbol at a time
(``f(p1_1, p1_2, z2_1, z2_2)``, the order of ``f.args``), positionally or by keyword.

Names are the user's symbols' names only where they are valid, non-keyword Python identifiers (else the
parameter's name, else ``x<i>``); they appear in ``inspect.signature`` and the docstring, never in
generated source (the code generator names its arguments ``_a0, _a1, …``; this wrapper is a closure).
"""

from __future__ import annotations

import inspect
import keyword
import re

import sympy as sp
from sympy.printing.str import StrPrinter
from sympy.utilities.iterables import iterable

from symce.core.walk import free_symbols
from symce.errors import ArgumentTypeError


def safe_name(name: str, taken: set, fallback: str) -> str:
    """``name`` if it is a valid, non-keyword identifier not yet taken, else ``fallback`` (numbered if taken)."""
    for cand in (name, fallback):
        if isinstance(cand, str) and cand.isidentifier() and not keyword.iskeyword(cand) \
                and not cand.startswith("_") and cand not in taken:
            return cand
    base = fallback if fallback.isidentifier() and not keyword.iskeyword(fallback) else "x"
    i = 2
    while f"{base}{i}" in taken:
        i += 1
    return f"{base}{i}"


class Group:
    """One argument: ``slots`` = [(index into the trailing axes, symbol)], ``shape`` its trailing shape."""

    def __init__(self, name, slots, shape):
        self.name, self.slots, self.shape = name, slots, shape


def _stem(syms) -> str:
    stems = {re.sub(r"_?\d+$", "", s.name) for s in syms}
    return stems.pop() if len(stems) == 1 else ""


def groups_of(distributions, expr, args=None) -> list[Group]:
    """The argument groups of a derivation's distributions (declaration order), then any other free symbol
    of ``expr`` (natural order); with ``args``, one scalar group per symbol, in that order."""
    taken: set = set()
    out: list[Group] = []
    seen: set = set()

    def scalar(s, fallback="x"):
        out.append(Group(safe_name(s.name, taken, fallback), [((), s)], ()))
        taken.add(out[-1].name)
        seen.add(s)

    if args is not None:
        for i, s in enumerate(args):
            scalar(s, f"x{i}")
        return out
    for dist in distributions:
        for key, value in dist.parameters.items():
            if isinstance(value, sp.MatrixBase):
                vector = 1 in value.shape
                cells = [((i * value.cols + j,) if vector else (i, j), value[i, j])
                         for i in range(value.rows) for j in range(value.cols)]
                shape = (len(value),) if vector else value.shape
            elif isinstance(value, (list, tuple)):
                cells, shape = [((i,), v) for i, v in enumerate(value)], (len(value),)
            else:
                if isinstance(value, sp.Symbol) and value not in seen:
                    scalar(value, key)
                continue
            slots = []
            for index, v in cells:
                if isinstance(v, sp.Symbol) and v not in seen:
                    slots.append((index, v))
                    seen.add(v)
            if slots:
                name = safe_name(_stem([s for _, s in slots]), taken, key)
                taken.add(name)
                out.append(Group(name, slots, shape))
    # walked as a DAG: a gradient's Matrix.free_symbols rewalks the factors its entries share (0.24 s CPU
    # over the cold catalog's lambdified gradients)
    for s in sorted(free_symbols(expr) - seen, key=natural_key):
        scalar(s)
    return out


def natural_key(s):
    """t2 before t10: the digit runs of a name compared as numbers."""
    return [int(p) if p.isdigit() else p for p in re.split(r"(\d+)", s.name)]


def flat_args(groups) -> list:
    return [s for g in groups for _, s in g.slots]


def signed(fn, groups, expr, backend):
    """fn (of the flat symbols, in group order) taking the groups as arguments, with their signature."""
    flat = flat_args(groups)
    scalar_names = {safe_name(s.name, set(), f"x{i}"): i for i, s in enumerate(flat)}
    grouped = any(g.shape for g in groups)
    # a backend that evaluates the groups' arrays whole (torch's k-class kernels over the trailing axis:
    # one operation, not 2k column views and 2k select nodes in the autograd graph) says so by an
    # ``on_groups(groups, xs)`` attribute answering NotImplemented for what it does not take
    on_groups = getattr(fn, "on_groups", None) if grouped else None
    frozen = tuple(groups)

    def call(*xs, **kw):
        if kw:
            xs = _bind(xs, kw, groups, scalar_names, len(flat))
        if len(xs) == len(flat):
            return fn(*xs)
        if grouped and len(xs) == len(groups):
            if on_groups is not None:
                out = on_groups(frozen, xs)
                if out is not NotImplemented:
                    return out
            return fn(*[_take(x, index, g) for x, g in zip(xs, groups) for index, _ in g.slots])
        raise ArgumentTypeError(
            f"the generated function takes {len(groups)} arguments ({', '.join(g.name for g in groups)})"
            + (f" or {len(flat)} (one per symbol: {', '.join(str(s) for s in flat)})" if grouped else "")
            + f", not {len(xs)}")

    params = [inspect.Parameter(g.name, inspect.Parameter.POSITIONAL_OR_KEYWORD) for g in groups]
    call.__signature__ = inspect.Signature(params)
    call.__name__ = call.__qualname__ = "generated"
    lines = [_shown(expr), "", "Arguments (declaration order):"]
    for g in groups:
        if g.shape:
            kind = "array (..., " + ", ".join(str(n) for n in g.shape) + ")"
            lines.append(f"    {g.name}: {kind} of {', '.join(str(s) for _, s in g.slots)}")
        else:
            lines.append(f"    {g.name}: {g.slots[0][1]}")
    if grouped:
        lines.append(f"Also callable with one argument per symbol: {', '.join(str(s) for s in flat)}.")
    call.__doc__ = "\n".join(lines)
    for attr, v in vars(fn).items():
        if not attr.startswith("__") or attr == "__wrapped__":
            setattr(call, attr, v)
    call.args, call.expr, call.backend, call.groups = tuple(flat), getattr(fn, "expr", expr), backend, tuple(groups)
    return call


#: the docstring shows the expression up to this many tree nodes: printing a 10⁵-node gradient (low-rank
#: normal, d = 3) was half of lambdify's time, and the text was unreadable anyway
_DOC_NODES = 2000


def _shown(expr) -> str:
    if _nodes_beyond(expr, _DOC_NODES + 1):
        return f"(an expression of more than {_DOC_NODES} nodes: the function's .expr holds it)"
    # the terms in the expression's own order: sorting them for print (as_ordered_terms) was 60% of the
    # docstring's cost, 0.3 s CPU over the cold catalog, for the same expression
    return _SharedStrPrinter({"order": "none"}).doprint(expr)


class _SharedStrPrinter(StrPrinter):
    """``sp.sstr``'s printer, each subexpression *object* printed once: the cold catalog's docstring
    expressions have 15 332 tree nodes but 5 153 distinct ones (a gradient's entries share their factors),
    0.15 → 0.11 s CPU. Keyed by identity, not equality: equal Floats of different precisions print
    differently. A node's text does not depend on where it occurs (parentheses are the parent's), except the
    root's (_print_level 1), which occurs once."""

    def __init__(self, settings):
        super().__init__(settings)
        self._printed: dict = {}

    def _print(self, expr, **kwargs):
        if kwargs:
            return super()._print(expr, **kwargs)
        got = self._printed.get(id(expr))
        if got is None:
            got = self._printed[id(expr)] = (super()._print(expr), expr)  # expr held: its id stays its own
        return got[0]


def _nodes_beyond(expr, limit: int) -> bool:
    """Whether ``sp.preorder_traversal(expr)`` yields more than ``limit`` nodes, counted by a plain stack
    walk (a quarter of the generator's cost, which was a fifth of the docstring's)."""
    n, stack = 0, [expr]
    while stack:
        node = stack.pop()
        n += 1
        if n > limit:
            return True
        if isinstance(node, sp.Basic):
            stack.extend(node.args)
        elif iterable(node):
            stack.extend(node)
    return False


def _take(x, index, g):
    """The entry ``index`` of the trailing axes of x (an array of g.shape trailing axes)."""
    shape = getattr(x, "shape", None)
    if shape is None or tuple(shape[len(shape) - len(g.shape):]) != tuple(g.shape):
        raise ArgumentTypeError(f"argument {g.name} must be an array with trailing shape {tuple(g.shape)}, "
                                f"got shape {None if shape is None else tuple(shape)}")
    return x[(Ellipsis, *index)]


def _bind(xs, kw, groups, scalar_names, nflat):
    """Keyword arguments: all by group name (grouped call) or all by symbol name (flat call)."""
    names = [g.name for g in groups]
    if set(kw) <= set(names) and len(xs) + len(kw) == len(groups):
        rest = names[len(xs):]
        if set(rest) != set(kw):
            raise ArgumentTypeError(f"keyword arguments {sorted(kw)} do not complete the arguments {names}")
        return (*xs, *[kw[n] for n in rest])
    if set(kw) <= set(scalar_names) and len(xs) + len(kw) == nflat:
        order = sorted(scalar_names, key=scalar_names.get)
        rest = order[len(xs):]
        if set(rest) != set(kw):
            raise ArgumentTypeError(f"keyword arguments {sorted(kw)} do not complete the arguments {order}")
        return (*xs, *[kw[n] for n in rest])
    raise ArgumentTypeError(f"unexpected keyword arguments {sorted(kw)}: the arguments are {', '.join(names)}")


def resolve_args(args, expr) -> list:
    """``args`` as symbols: a string names a free symbol of ``expr`` (else an unused argument, a Dummy, when
    it is a valid identifier); anything else must be a SymPy symbol. User text never reaches the printer."""
    by_name = {s.name: s for s in expr.free_symbols}
    out = []
    for a in args:
        if isinstance(a, str):
            if a in by_name:
                out.append(by_name[a])
            elif a.isidentifier() and not keyword.iskeyword(a):
                out.append(sp.Dummy(a))
            else:
                raise ArgumentTypeError(f"args: {a!r} is neither the name of a symbol of the expression "
                                        f"({', '.join(sorted(by_name))}) nor a Python identifier")
        elif isinstance(a, sp.Basic):
            out.append(a)
        else:
            raise ArgumentTypeError(f"args: each argument must be a SymPy symbol or a symbol's name, "
                                    f"not {type(a).__name__} {a!r}")
    return out


__all__ = ["groups_of", "signed", "resolve_args", "safe_name", "natural_key", "Group"]
