"""Building instantiated categorical expressions without SymPy's evaluation.

Instantiating renames template elements to the user's symbols. When every entry is a distinct plain
symbol, the renamed canonical expression is already canonical: only the order of Add/Mul arguments can
change. Building it unevaluated, in SymPy's own argument order, gives the *same* object as the evaluated
construction at a fraction of the cost. Anything evaluation could change (numbers to combine, like
terms, a number times a sum, functions of non-symbols) is built evaluated.
tests/test_categorical.py checks fast == evaluated on the catalog; tests/test_scale.py checks
:func:`order_key` sorts exactly as SymPy's ``Basic.compare``.

SymPy sorts Add/Mul arguments with ``cmp_to_key(Basic.compare)``: a Python-level comparison per pair,
≈ 3 µs each, so sorting the 10⁴ terms of a k = 10⁴ result took 0.35 s. :func:`order_key` computes, once
per argument, a tuple that Python compares in C in the same order (class rank, length of the hashable
content, then the content item by item — exactly the steps of ``Basic.compare``).
"""

from __future__ import annotations

import contextlib
import gc

import sympy as sp

try:  # SymPy's canonical argument order (used by Add/Mul flatten), for the fast rebuild below
    from sympy.core.basic import _args_sortkey, ordering_of_classes
except ImportError:  # pragma: no cover - another SymPy: the fast path is simply not used
    _args_sortkey, ordering_of_classes = None, ()

FAST_ORDER = _args_sortkey is not None
SMALL = 8  # below this, SymPy's comparison usually decides at the class, before a key is built

_RANKS: dict = {}
_KEYS: dict = {}
_FUNCTIONS: dict = {}
_ONE_ARGUMENT = sp.FiniteSet(1)  # what Application.__new__ stores as nargs of exp(x), log(x)


def _rank(cls) -> tuple:
    """``_cmp_name`` as a key: listed classes by their place, the others after them by name."""
    r = _RANKS.get(cls)
    if r is None:
        name = cls.__name__
        try:
            r = (ordering_of_classes.index(name), "")
        except ValueError:
            r = (len(ordering_of_classes) + 1, name)
        _RANKS[cls] = r
    return r


def order_key(e) -> tuple:
    """A key whose tuple order is ``Basic.compare``'s order of SymPy objects."""
    hit = _KEYS.get(e)
    if hit is not None:
        return hit
    content = e._hashable_content()
    if isinstance(e, (sp.Symbol, sp.Number)) or (
            not e.args and not any(isinstance(x, (sp.Basic, frozenset)) for x in content)):
        key = (_rank(type(e)), len(content), content)  # a symbol or number: its content compares as it is
    elif content is e.args:  # Add, Mul, Pow, functions: the content is the arguments
        key = (_rank(type(e)), len(content), tuple(map(order_key, content)))
    else:
        key = (_rank(type(e)), len(content), tuple(
            order_key(x) if isinstance(x, sp.Basic) else order_key(sp.Basic(*x)) if isinstance(x, frozenset)
            else x for x in content))
    if len(_KEYS) > 200_000:
        _KEYS.clear()
    _KEYS[e] = key
    return key


def sort_args(args) -> list:
    """``args`` in SymPy's canonical order (``Basic.compare``), by :func:`order_key` where it applies."""
    if len(args) < SMALL:
        return sorted(args, key=_args_sortkey)
    try:
        return sorted(args, key=order_key)
    except TypeError:  # a Basic and a plain value at one place of two contents: SymPy's own comparison
        return sorted(args, key=_args_sortkey)


@contextlib.contextmanager
def paused_gc():
    """Pause the cyclic garbage collector while a large expression is built: the objects built are
    acyclic (reference counting frees them), but each automatic collection rescans every live object,
    which made the build superlinear in k (k = 10⁵ CE + gradient: 11.4 s with it, 6.3 s without)."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def clear() -> None:
    """Forget the memoised keys and function objects."""
    _KEYS.clear()
    _FUNCTIONS.clear()


def rebuild(e, rep: dict, fast: bool):
    """``e`` with the replacements ``rep`` (on whole subtrees), rebuilt bottom-up (fast: see the module)."""
    hit = rep.get(e)
    if hit is not None:
        return hit
    if not e.args or isinstance(e, (sp.Symbol, sp.Number)):
        return e
    args = [rebuild(a, rep, fast) for a in e.args]
    if all(a is b for a, b in zip(args, e.args)):
        return e
    return build(e.func, args) if fast else e.func(*args)


def plain(a) -> bool:
    """A symbol that is not zero, or a sum of several terms."""
    return (isinstance(a, sp.Symbol) and a.is_zero is not True) or (a.is_Add and len(a.args) > 1)


def _monomial(a) -> bool:
    """A product of symbols and their integer powers, without a number (t/q): ``log`` and ``exp`` leave
    it as it is (SymPy expands neither, and no factor is I, π, a log or an exp), so it can be wrapped
    unevaluated. Evaluating log(t/q) asks the assumptions whether t/q is zero, an integer, algebraic…:
    0.7 ms a class, 7 s of the KL at k = 10⁴."""
    return a.is_Mul and all(
        (isinstance(f, sp.Symbol) and f.is_zero is not True)
        or (f.is_Pow and isinstance(f.base, sp.Symbol) and f.base.is_zero is not True and f.exp.is_Integer)
        for f in a.args)


def build(func, args):
    """``func(*args)``, unevaluated where evaluation would change nothing but the order of arguments."""
    if func is sp.Add:
        flat = [t for a in args for t in (a.args if a.is_Add else (a,))]
        nums = [t for t in flat if t.is_Number]
        keys = {_term_key(t) for t in flat}
        if len(nums) > 1 or any(n.is_zero for n in nums) or len(keys) != len(flat):
            return sp.Add(*flat)
        return _canonical(sp.Add, flat)
    if func is sp.Mul:
        flat = [t for a in args for t in (a.args if a.is_Mul else (a,))]
        nums = [t for t in flat if t.is_Number]
        bases = {_base(t) for t in flat if not t.is_Number}
        if (len(nums) > 1 or any(n.is_zero or n == 1 for n in nums) or len(bases) != len(flat) - len(nums)
                or (nums and len(flat) == 2 and any(t.is_Add for t in flat))):
            return sp.Mul(*flat)
        return _canonical(sp.Mul, flat)
    if func in (sp.exp, sp.log) and (plain(args[0]) or _monomial(args[0])):
        # memoised: the result's objects are reused by the gradient
        key = (func, args[0])
        hit = _FUNCTIONS.get(key)
        if hit is None:
            if len(_FUNCTIONS) > 100_000:
                _FUNCTIONS.clear()
            hit = _FUNCTIONS[key] = _apply(func, args[0])
        return hit
    if func is sp.Pow and plain(args[0]) and args[1].is_Integer and args[1] not in (0, 1):
        return sp.Pow(*args, evaluate=False)
    return func(*args)


def build_sum(entries):
    """Σ entries, as ``Add(*entries)`` evaluates it; by sorting alone when they are distinct plain symbols."""
    if FAST_ORDER and len(set(entries)) == len(entries) and all(
            isinstance(e, sp.Symbol) and e.is_zero is not True for e in entries):
        return _canonical(sp.Add, list(entries))
    return sp.Add(*entries)


def _term_key(t):
    """What Add.flatten collects like terms on (``as_coeff_Mul()[1]``), as a tuple of factors: without
    building the Mul of the non-numeric factors for every term."""
    if t.is_Mul:
        return t.args[1:] if t.args[0].is_Number else t.args
    return (t,)


def _base(t):
    """The base Mul.flatten collects powers on (exp(a)·exp(b) = exp(a + b): base E), without building
    exp(1) and a Mul as ``as_base_exp`` does (0.5 s at k = 10⁴)."""
    if t.is_Pow:
        return t.base
    return sp.E if isinstance(t, sp.exp) else t


def _apply(func, arg):
    """``func(arg, evaluate=False)`` without Function.__new__'s bookkeeping (20 µs, mostly building the
    FiniteSet of its nargs): the same object, with the same nargs."""
    obj = sp.Basic.__new__(func, arg)
    obj.nargs = _ONE_ARGUMENT
    return obj


def _canonical(cls, args):
    """cls(*args) with nothing to evaluate: sorted as flatten sorts, built without the cache lookup."""
    if not all(a.is_commutative for a in args):  # pragma: no cover - categorical entries commute
        return cls(*args)
    return cls._from_args(tuple(sort_args(args)), True)


# -- a summand compiled once, built per class ---------------------------------------------------------
def compile_term(f, leaves: dict, fixed: dict, index):
    """``make(m)``: ``f`` with each template atom ``a`` of ``leaves`` replaced by ``leaves[a][m − 1]`` and
    the subtrees of ``fixed`` by their values, built as :func:`rebuild` builds it in fast mode — or
    ``None`` where that is not safe (the class index outside the atoms, no atom in ``f``).

    Only for fast instantiations (every value a distinct plain symbol) and ``fixed`` values in which no
    single class's value occurs (the class count, whole expanded sums): then which of :func:`build`'s
    routes an Add or Mul takes cannot depend on the class, so it is decided at the first class and each
    further class only sorts and assembles (k = 10⁴: the Add/Mul checks ran 10⁴ times per node)."""
    if not any(f.has(a) for a in leaves):
        return None
    probe = f.xreplace({a: sp.S.Zero for a in leaves})
    if probe.has(index):
        return None
    return _maker(f, leaves, fixed)


def _maker(e, leaves, fixed):
    if e in leaves:
        vals = leaves[e]
        return lambda m: vals[m - 1]
    if e in fixed:
        c = fixed[e]
        return lambda m: c
    if not e.args or not any(e.has(a) for a in leaves):
        c = rebuild(e, fixed, True)
        return lambda m: c
    makers = [_maker(a, leaves, fixed) for a in e.args]
    func = e.func
    if func not in (sp.Add, sp.Mul):
        return lambda m: build(func, [mk(m) for mk in makers])
    state: dict = {}

    def make(m):
        args = [mk(m) for mk in makers]
        route = state.get("route")
        if route is None:  # the first class decides, for every class
            out = build(func, args)
            flat_from = [type(a) is func for a in args]
            canonical = type(out) is func and out.args == tuple(sort_args(
                [t for a, fl in zip(args, flat_from) for t in (a.args if fl else (a,))]))
            state["route"] = ("canonical", flat_from) if canonical else ("build", None)
            return out
        if route[0] == "build":
            return build(func, args)
        flat = [t for a, fl in zip(args, route[1]) for t in (a.args if fl else (a,))]
        return func._from_args(tuple(sort_args(flat)), True)

    return make
