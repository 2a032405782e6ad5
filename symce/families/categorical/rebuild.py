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

import sympy as sp

try:  # SymPy's canonical argument order (used by Add/Mul flatten), for the fast rebuild below
    from sympy.core.basic import _args_sortkey, ordering_of_classes
except ImportError:  # pragma: no cover - another SymPy: the fast path is simply not used
    _args_sortkey, ordering_of_classes = None, ()

FAST_ORDER = _args_sortkey is not None
SMALL = 8  # below this, SymPy's comparison usually decides at the class, before a key is built

_RANKS: dict = {}
_KEYS: dict = {}  # id(e) ↦ order_key(e)
_KEPT: dict = {}  # id(e) ↦ e, for as long as its key is kept
#: keys memoised at most: a k = 10⁵ CE + gradient orders ≈ 6·10⁵ objects (symbols, terms, factors)
MAX_KEYS = 1_000_000
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
    """A key whose tuple order is ``Basic.compare``'s order of SymPy objects: (class rank, length of the
    hashable content, the content item by item). Flat — ``(rank, n, c₁, …, c_n)``, not ``(rank, n, (c₁, …))``
    — which orders the same (items are compared once rank and n agree, and then both have n of them) and
    is one tuple fewer per object for the garbage collector to scan."""
    i = id(e)
    key = _KEYS.get(i)
    if key is not None and _KEPT[i] is e:
        return key
    content = e._hashable_content()
    if isinstance(e, (sp.Symbol, sp.Number)) or (
            not e.args and not any(isinstance(x, (sp.Basic, frozenset)) for x in content)):
        key = (_rank(type(e)), len(content), *content)  # a symbol or number: its content compares as it is
    elif content is e.args:  # Add, Mul, Pow, functions: the content is the arguments
        key = (_rank(type(e)), len(content), *map(order_key, content))
    else:
        key = (_rank(type(e)), len(content), *(
            order_key(x) if isinstance(x, sp.Basic) else order_key(sp.Basic(*x)) if isinstance(x, frozenset)
            else x for x in content))
    _remember(e, key)
    return key


def _remember(e, key) -> None:
    """Memoise ``e``'s key by identity: ``id`` and an int's hash are C calls where SymPy's ``__hash__`` is a
    Python one (≈ 40 % of a key lookup); ``_KEPT`` holds ``e``, so its id is not reused while it is kept."""
    if len(_KEYS) > MAX_KEYS:
        _KEYS.clear()
        _KEPT.clear()
    i = id(e)
    _KEYS[i] = key
    _KEPT[i] = e


def prime_keys(values) -> None:
    """:func:`order_key` of the symbols among ``values`` (a vector's entries), in one loop: the same keys
    without a Python call per entry (the terms of an expanded sum are sorted by their entries' keys)."""
    if len(_KEYS) + len(values) > MAX_KEYS:
        return
    keys, kept, rank = _KEYS, _KEPT, _rank(sp.Symbol)
    for e in values:
        if type(e) is sp.Symbol:
            i = id(e)
            if kept.get(i) is e:
                continue
            if _CONTENT_INLINE:  # (rank, len(content), *content), content = (name, *assumptions) inlined
                a = e._assumptions0
                keys[i] = (rank, len(a) + 1, e.name, *a)
            else:  # pragma: no cover - a SymPy whose Symbol content is built otherwise
                c = e._hashable_content()
                keys[i] = (rank, len(c), *c)
            kept[i] = e


def _content_is_name_and_assumptions() -> bool:
    """Is a Symbol's hashable content ``(name, *_assumptions0)`` in this SymPy (1.12 and later)?"""
    s = sp.Symbol("_symce_probe", positive=True)
    return getattr(s, "_assumptions0", None) is not None and s._hashable_content() == (s.name, *s._assumptions0)


_CONTENT_INLINE = _content_is_name_and_assumptions()


def sort_args(args) -> list:
    """``args`` in SymPy's canonical order (``Basic.compare``), by :func:`order_key` where it applies."""
    if len(args) < SMALL:
        return sorted(args, key=_args_sortkey)
    try:
        return sorted(args, key=order_key)
    except TypeError:  # a Basic and a plain value at one place of two contents: SymPy's own comparison
        return sorted(args, key=_args_sortkey)


def clear() -> None:
    """Forget the memoised keys and function objects."""
    _KEYS.clear()
    _KEPT.clear()
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
    """``func(*args)``, unevaluated where evaluation would change nothing but the order of arguments. Only
    for fast instantiations: every argument is built from commutative symbols (see :func:`_canonical`)."""
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
        if type(args[0]) is sp.Symbol:  # what Pow(b, e, evaluate=False) builds, without its cache lookup
            return _power(*args)       # and checks (0.3 of a k = 10⁴ KL's building of 1/q_i)
        return sp.Pow(*args, evaluate=False)
    return func(*args)


def _power(base, exp):
    """``Pow(base, exp, evaluate=False)`` for a commutative Symbol and an Integer: the same object; SymPy
    registers no constructor postprocessor for either class."""
    obj = sp.Expr.__new__(sp.Pow, base, exp)
    obj.is_commutative = base.is_commutative
    return obj


def build_sum(entries):
    """Σ entries, as ``Add(*entries)`` evaluates it; by sorting alone when they are distinct plain symbols."""
    if FAST_ORDER and len(set(entries)) == len(entries) and all(
            isinstance(e, sp.Symbol) and e.is_commutative and e.is_zero is not True for e in entries):
        prime_keys(entries)
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


def _canonical(cls, args, remember: bool = True):
    """cls(*args) with nothing to evaluate: sorted as flatten sorts, built without the cache lookup. Every
    argument commutes: :func:`build` is only used where every entry is a commutative symbol (asking
    ``is_commutative`` of each new exp(z_i) ran the assumptions system: 12 % of a k = 10⁴ instantiation)."""
    try:
        keys = [order_key(a) for a in args]
        order = sorted(range(len(args)), key=keys.__getitem__)
    except TypeError:  # a Basic and a plain value at one place of two contents: SymPy's own comparison
        return cls._from_args(tuple(sorted(args, key=_args_sortkey)), True)
    obj = cls._from_args(tuple([args[i] for i in order]), True)
    if remember:  # its key from its arguments' (as order_key builds it): the node it joins sorts by it
        _remember(obj, (_rank(cls), len(args), *[keys[i] for i in order]))
    return obj


# -- a summand compiled once, built per class ---------------------------------------------------------
def compile_term(f, leaves: dict, fixed: dict, index, keyed: bool = True):
    """``make(m)``: ``f`` with each template atom ``a`` of ``leaves`` replaced by ``leaves[a][m − 1]`` and
    the subtrees of ``fixed`` by their values, built as :func:`rebuild` builds it in fast mode — or
    ``None`` where that is not safe (the class index outside the atoms, no atom in ``f``).

    Only for fast instantiations (every value a distinct plain symbol) and ``fixed`` values in which no
    single class's value occurs (the class count, whole expanded sums): then which of :func:`build`'s
    routes an Add or Mul takes cannot depend on the class, so it is decided at the first class and each
    further class only assembles (k = 10⁴: the Add/Mul checks ran 10⁴ times per node). Where the canonical
    order of a node's arguments is the same for every class (see :func:`_decided_order`), it is fixed at
    the first class too, and no class sorts. ``keyed``: remember the sort key of each built term (the
    caller sorts the terms, e.g. into the expanded sum)."""
    if not any(f.has(a) for a in leaves):
        return None
    probe = f.xreplace({a: sp.S.Zero for a in leaves})
    if probe.has(index):
        return None
    return _maker(f, leaves, fixed, keyed)


def sum_of_terms(make, terms: list):
    """Σ terms, the terms built by ``make`` (from :func:`compile_term`) one per class: when every node of
    the summand was built unevaluated (its shape is known) and it is not itself a sum, each term holds its
    class's entries (distinct symbols) outside any numeric coefficient, so no two terms are like terms and
    no term is a number — what :func:`build` checks term by term (hashing 10⁴ tuples at k = 10⁴) holds, and
    sorting is all that is left. Otherwise :func:`build`."""
    if make.shape is not None and not (isinstance(make, _AssocOp) and make.func is sp.Add) and len(terms) > 1:
        return _canonical(sp.Add, terms)
    return build(sp.Add, terms)


def build_terms(make, classes) -> list:
    """``[make(m) for m in classes]``: the first class through ``make`` (it decides each node's route and
    order), the others node by node (``make.batch``)."""
    if not classes:
        return []
    first = make(classes[0])
    return [first, *make.batch(classes[1:])]


class _Undecided(Exception):
    """A comparison of shape keys reached something that differs between classes."""


class _Varies:
    """In a shape key (an :func:`order_key` with the class-dependent parts left open): a value that differs
    between classes. Comparing it with anything but itself is undecided; the same leaf vector is one
    instance (equal to itself: at one class both places hold the same entry)."""

    __slots__ = ()

    def _undecided(self, other):
        raise _Undecided

    __eq__ = __ne__ = __lt__ = __le__ = __gt__ = __ge__ = _undecided
    __hash__ = object.__hash__


def _decided_order(shapes: list) -> list | None:
    """The permutation that sorts arguments of these shapes, if every comparison it needs is decided
    without a class-dependent part (e.g. −1 before t_m before exp(z_m), by class alone), else ``None``."""
    try:
        return sorted(range(len(shapes)), key=shapes.__getitem__)
    except (_Undecided, TypeError):
        return None


def _maker(e, leaves, fixed, keyed=True):
    """A builder ``make(m)`` with the attribute ``shape``: the shape key of what it builds (``None`` while
    unknown: before the first class, or when the structure itself may differ between classes)."""
    if e in leaves:
        vals = leaves[e]
        types = {type(v) for v in vals}
        # every entry a Symbol of one class: the rank is decided, the name is not
        shape = (_rank(types.pop()), _Varies()) if len(types) == 1 else _Varies()
        return _Leaf(vals, shape)
    if e in fixed:
        return _Const(fixed[e])
    if not e.args or not any(e.has(a) for a in leaves):
        return _Const(rebuild(e, fixed, True))
    makers = [_maker(a, leaves, fixed) for a in e.args]
    func = e.func
    if func not in (sp.Add, sp.Mul):
        return _Function(func, makers, keyed)
    return _AssocOp(func, makers, keyed)


class _Leaf:
    __slots__ = ("vals", "shape")

    def __init__(self, vals, shape):
        self.vals, self.shape = vals, shape

    def __call__(self, m):
        return self.vals[m - 1]

    def batch(self, ms) -> list:
        vals = self.vals
        return [vals[m - 1] for m in ms]


class _Const:
    __slots__ = ("value", "shape")

    def __init__(self, value):
        self.value = value
        try:
            self.shape = order_key(value)
        except TypeError:  # pragma: no cover - a content order_key cannot key
            self.shape = None

    def __call__(self, m):
        return self.value

    def batch(self, ms) -> list:
        return [self.value] * len(ms)


class _Function:
    """exp, log, Pow (and other functions) of the built arguments, by :func:`build`."""

    __slots__ = ("func", "makers", "keyed", "shape", "first")

    def __init__(self, func, makers, keyed):
        self.func, self.makers, self.keyed, self.shape, self.first = func, makers, keyed, None, True

    def __call__(self, m):
        args = [mk(m) for mk in self.makers]
        out = build(self.func, args)
        if self.first:
            self.first = False
            self.shape = self._shape(out, args)
        elif self.keyed and self.shape is not None:  # built as func(*args): its key from theirs, directly
            _remember(out, (self.shape[0], len(args), *map(order_key, args)))
        return out

    def batch(self, ms) -> list:
        """The terms of the classes ``ms`` at once (after the first class: see :func:`build_terms`)."""
        func, cols = self.func, [mk.batch(ms) for mk in self.makers]
        out = [build(func, list(a)) for a in zip(*cols)]
        if self.keyed and self.shape is not None:
            rank, n = self.shape[0], len(cols)
            for o, a in zip(out, zip(*cols)):
                _remember(o, (rank, n, *map(order_key, a)))
        return out

    def _shape(self, out, args):
        """The shape where build's route is the unevaluated one for every class: exp/log of a symbol or of
        a monomial, a symbol to an integer power (the conditions build checks hold for all classes alike:
        the entries are plain symbols of one class and the structure is the same)."""
        shapes = [mk.shape for mk in self.makers]
        if any(sh is None for sh in shapes) or type(out) is not self.func or out.args != tuple(args):
            return None
        f = self.func
        if f in (sp.exp, sp.log) and (isinstance(self.makers[0], _Leaf) or _monomial(args[0])):
            return (_rank(f), 1, shapes[0])
        if (f is sp.Pow and isinstance(self.makers[0], _Leaf) and isinstance(self.makers[1], _Const)
                and args[1].is_Integer):
            return (_rank(f), 2, *shapes)
        return None


class _AssocOp:
    """An Add or Mul: the first class decides :func:`build`'s route and, where it can, the argument order."""

    __slots__ = ("func", "makers", "keyed", "shape", "route", "flat_from", "order")

    def __init__(self, func, makers, keyed):
        self.func, self.makers, self.keyed = func, makers, keyed
        self.shape = self.route = self.flat_from = self.order = None

    def __call__(self, m):
        args = [mk(m) for mk in self.makers]
        if self.order is not None:  # canonical, in the order every class has
            obj = self.func._from_args(tuple([args[i] for i in self.order]), True)
            if self.keyed:
                order_key(obj)  # the parent (or the caller's sum) sorts by it
            return obj
        if self.route is None:
            return self._first(args)
        if self.route == "build":
            return build(self.func, args)
        flat = [t for a, fl in zip(args, self.flat_from) for t in (a.args if fl else (a,))]
        return _canonical(self.func, flat) if self.keyed else _canonical(self.func, flat, remember=False)

    def batch(self, ms) -> list:
        """The terms of the classes ``ms`` at once, node by node (after the first class, which decided the
        route: see :func:`build_terms`) — one list comprehension per node instead of a call per class."""
        func, cols = self.func, [mk.batch(ms) for mk in self.makers]
        if self.order is not None:
            from_args = func._from_args
            out = [from_args(a, True) for a in zip(*[cols[i] for i in self.order])]
            if self.keyed:
                for o in out:
                    order_key(o)
            return out
        if self.route == "build":
            return [build(func, list(a)) for a in zip(*cols)]
        fl, keyed = self.flat_from, self.keyed
        return [_canonical(func, [t for x, f in zip(a, fl) for t in (x.args if f else (x,))], remember=keyed)
                for a in zip(*cols)]

    def _first(self, args):
        func = self.func
        out = build(func, args)
        flat_from = [type(a) is func for a in args]
        flat = [t for a, fl in zip(args, flat_from) for t in (a.args if fl else (a,))]
        if not (type(out) is func and out.args == tuple(sort_args(flat))):
            self.route = "build"
            return out
        self.route, self.flat_from = "canonical", flat_from
        shapes = [mk.shape for mk in self.makers]
        if not any(flat_from) and all(sh is not None for sh in shapes):
            order = _decided_order(shapes)
            if order is not None and tuple([args[i] for i in order]) == out.args:
                self.order = order
                for mk in self.makers:  # no class sorts them: their keys are not needed
                    if isinstance(mk, (_AssocOp, _Function)):
                        mk.keyed = False
                self.shape = (_rank(func), len(args), *[shapes[i] for i in order])
            else:  # the class and the number of arguments are still fixed
                self.shape = (_rank(func), len(args), _Varies())
        return out
