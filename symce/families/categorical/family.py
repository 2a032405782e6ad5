r"""Categorical distribution on the classes {1, …, k}, by probabilities or by softmax logits.

.. math:: P(X = i) = p_i,\quad p \in \Delta^{k-1};\qquad p_i = \operatorname{softmax}(z)_i
          = \frac{e^{z_i}}{\sum_{j=1}^k e^{z_j}}

    \log p(x) = \sum_{i=1}^k \delta_{x,i} \log p_i = \sum_{i=1}^k \delta_{x,i} z_i - \log \sum_{j=1}^k e^{z_j}

Density w.r.t. counting measure. Exponential family with η_i = log p_i (or z_i), T_i(x) = δ_{x,i},
A(η) = log Σ_j e^{η_j}; E[T_i] = ∂A/∂η_i = softmax(η)_i, which under Σ_j p_j = 1 is p_i.

Four forms:

* ``Categorical([p1, …, pk])`` — explicit k; any point of the simplex, zeros allowed (soft targets);
* ``Categorical.from_logits([z1, …, zk])`` or ``from_logits(k=10)`` (symbols z1 … z10);
* ``Categorical(p, k=k)`` with ``p`` an ``IndexedBase`` and ``k`` a positive integer ``Symbol``;
* ``Categorical.from_logits(z, k=k)`` / ``from_logits(k=k)`` — softmax with a symbolic number of classes.

**Explicit k is derived once at symbolic k and instantiated** (see :mod:`.categorical_symbolic`):
walking k log-terms through ``diff`` and ``expand`` is what makes plain SymPy take over a minute at
k = 1000, while the symbolic-k derivation is independent of k.

**Catalog examples.** Explicit-k examples use independent symbols p{i}_1 … p{i}_k (positive), and
``sample`` returns a random *interior* point of the simplex (every entry > 0, so also a soft target):
zeros are not sampled because the catalog substitutes values into symbolic results, where 0·log 0 is
not a number; boundary points are tested with constant distributions instead. Symbolic-k examples
cannot be sampled as they stand: their ``sample`` returns ``{k: SAMPLE_K, p[1]: …, …, p[SAMPLE_K]: …}``
(a fixed k, so P's and Q's samples agree), and a test evaluates a result ``e`` as
``e.xreplace(values).doit().xreplace(values)`` — the first ``xreplace`` fixes k, ``doit`` expands the
sums into ``Indexed`` elements, the second substitutes them (harmless for every other family).
"""

from __future__ import annotations

import random
from typing import final

import sympy as sp

from symce.errors import ArgumentTypeError, DimensionMismatchError, InvalidParameterError
from symce.core.expfamily import ExpFamilyForm
from symce.core.family import Example, Family, Measure, as_expr_list, check_interval, random_variable
from symce.core.notation import latex_vector
from symce.families.categorical import symbolic as _sym
from symce.families.categorical.rebuild import build_sum

_UNIT = sp.Interval(0, 1)
_REALS = sp.Interval(-sp.oo, sp.oo)
#: generic class indices of the symbolic-k forms (shared with the instantiation machinery)
I, J = _sym.I, _sym.J


@final
class Categorical(Family):
    """Categorical(probs) on {1, …, k}; see the module docstring for the four forms."""

    name = "Categorical"
    measure = Measure.COUNTING

    def __init__(self, probs, k=None):
        if isinstance(probs, sp.IndexedBase):
            self._set(probs, k, "probs")
            return
        entries = _as_entries(probs, "Categorical", "probs")
        _check_k_matches(k, len(entries), "probs")
        _validate_probs(entries)
        self._kind, self._k, self._entries, self._base = "probs", len(entries), tuple(entries), None

    @classmethod
    def from_logits(cls, z=None, k=None, name: str = "z") -> "Categorical":
        """Softmax of logits: P(X = i) = e^{z_i}/Σ_j e^{z_j}. ``z`` a list of real expressions (e.g.
        ``w_i·x + b_i``), an ``IndexedBase`` with ``k``, or omitted: ``k`` real symbols ``{name}1 …``
        for an integer ``k``, an ``IndexedBase`` called ``name`` for a symbolic ``k``."""
        obj = cls.__new__(cls)
        name = _logit_name(name)
        if z is None:
            if k is None:
                raise ArgumentTypeError("Categorical.from_logits: give the logits z or the number of classes k")
            if isinstance(k, sp.Symbol):
                z = sp.IndexedBase(name, real=True)
            else:
                kk = _explicit_k(k)
                z = [sp.Symbol(f"{name}{m}", real=True) for m in range(1, kk + 1)]
        if isinstance(z, sp.IndexedBase):
            obj._set(z, k, "logits")
            return obj
        entries = _as_entries(z, "Categorical.from_logits", "z")
        _check_k_matches(k, len(entries), "z")
        for m, e in enumerate(entries):
            _check_entry("Categorical.from_logits", f"z[{m}]", e, _REALS, "a real number (a logit)")
        obj._kind, obj._k, obj._entries, obj._base = "logits", len(entries), tuple(entries), None
        return obj

    def _set(self, base: sp.IndexedBase, k, kind: str) -> None:
        """An IndexedBase with a symbolic k (or with an integer k: then its elements base[1..k])."""
        if k is None:
            raise ArgumentTypeError(f"Categorical: an IndexedBase {base} needs the number of classes k")
        if isinstance(k, sp.Symbol):
            if not (k.is_integer and k.is_positive):
                raise InvalidParameterError("Categorical", "k", k, "a positive integer: declare it with "
                                            "sympy.Symbol(..., integer=True, positive=True)")
            self._kind, self._k, self._entries, self._base = kind, k, None, base
            return
        kk = _explicit_k(k)
        entries = [base[m] for m in range(1, kk + 1)]
        if kind == "probs":
            _validate_probs(entries)
        self._kind, self._k, self._entries, self._base = kind, kk, tuple(entries), None

    # -- parameters --------------------------------------------------------------------------------
    @property
    def is_logits(self) -> bool:
        return self._kind == "logits"

    @property
    def is_symbolic(self) -> bool:
        """True for a symbolic number of classes k."""
        return self._base is not None

    @property
    def k(self):
        """The number of classes (an int, or a positive integer Symbol)."""
        return self._k

    @property
    def entries(self) -> tuple | None:
        """The explicit probabilities or logits (``None`` for symbolic k)."""
        return self._entries

    @property
    def base(self) -> sp.IndexedBase | None:
        """The IndexedBase of probabilities or logits (symbolic k), else ``None``."""
        return self._base

    @property
    def parameters(self):
        # k is not a parameter one differentiates: it lives in sample_space (and free_symbols)
        if self.is_symbolic:
            return {("z" if self.is_logits else "p"): self._base}
        return {("logits" if self.is_logits else "probs"): list(self._entries)}

    def _key(self) -> tuple:
        # Family._key's value, without copying the k entries into a list and back into a tuple
        if self.is_symbolic:
            return super()._key()
        return (type(self), self.sample_space, (("logits" if self.is_logits else "probs", self._entries),))

    def __hash__(self) -> int:
        # immutable, so hashed once: a memo lookup hashes P and Q, k entries each (SymPy's __hash__ is Python)
        h = self.__dict__.get("_hash")
        if h is None:
            h = self._hash = hash(self._key())
        return h

    # -- notation: Cat(p₁, …, p_k), Cat(p) at symbolic k, Cat(softmax(z)) of a logit vector -------------
    latex_name = r"\mathrm{Cat}"

    def latex_arguments(self, printer):
        if self.is_symbolic:  # an IndexedBase: the printer writes the whole vector bold
            vec = printer._print(self._base)
        else:  # logits as one column vector, so softmax visibly takes the vector, not k scalars
            vec = latex_vector(printer, list(self._entries), parens=False, column=self.is_logits)
        return [r"\operatorname{softmax}\left(%s\right)" % vec if self.is_logits else vec]

    @property
    def free_symbols(self):
        return super().free_symbols | ({self._k} if self.is_symbolic else set())

    @property
    def sample_space(self):
        return ("categorical", self._k)

    @property
    def support(self):
        return sp.Range(1, self._k + 1)

    def conditions(self):
        # cached: at k = 1000 the relation Σ p_i = 1 alone is a 1000-term Add
        if getattr(self, "_conditions", None) is None:
            self._conditions = self._side_conditions()
        return list(self._conditions)

    def _side_conditions(self):
        if self.is_logits:
            return []
        if self.is_symbolic:
            p = self._base
            out = [sp.Eq(sp.Sum(p[I], (I, 1, self._k)), 1, evaluate=False)]
            positive = sp.StrictLessThan(0, p[I])
            return out + ([] if positive == sp.true else [positive])
        symbolic = [e for e in self._entries if not e.is_number]
        if not symbolic:
            return []
        # unevaluated: deciding 1000 relations through the assumptions system costs seconds
        out = [sp.Eq(build_sum(self._entries), 1, evaluate=False)]
        return out + [sp.StrictLessThan(0, e, evaluate=False) for e in symbolic if not e.is_positive]

    # -- density -----------------------------------------------------------------------------------
    def variable(self):
        return random_variable("X", self, integer=True, positive=True)

    def log_density(self, x):
        if self.is_symbolic:
            v = self._base
            if self.is_logits:
                # the normaliser is a separate constant term, as in log-softmax
                return sp.Sum(sp.KroneckerDelta(x, I) * v[I], (I, 1, self._k)) - _log_sum_exp_sym(v, self._k)
            return sp.Sum(sp.KroneckerDelta(x, I) * sp.log(v[I]), (I, 1, self._k))
        ks = range(1, self._k + 1)
        if self.is_logits:
            return (sp.Add(*[sp.KroneckerDelta(x, m) * z for m, z in zip(ks, self._entries)])
                    - sp.log(sp.Add(*[sp.exp(z) for z in self._entries])))
        # a class of probability exactly 0 has log-density −∞ there (log 0 would be zoo)
        return sp.Add(*[sp.KroneckerDelta(x, m) * (-sp.oo if p.is_zero else sp.log(p))
                        for m, p in zip(ks, self._entries)])

    def expfamily(self):
        x = self.variable()
        eta = sp.IndexedBase("eta", real=True)
        if self.is_symbolic:
            v, k = self._base, self._k
            value = v[I] if self.is_logits else sp.log(v[I])
            constrain = None if self.is_logits else _sum_to_one(v, k)
            return ExpFamilyForm((eta[I],), (value,), (sp.KroneckerDelta(x, I),),
                                 sp.log(sp.Sum(sp.exp(eta[J]), (J, 1, k))), index=(I, 1, k), constrain=constrain)
        if not self.is_logits and any(p.is_zero for p in self._entries):
            return None  # a class of probability 0 has no natural parameter (η = −∞)
        ks = range(1, self._k + 1)
        etas = tuple(sp.Symbol(f"eta{m}", real=True) for m in ks)
        values = self._entries if self.is_logits else tuple(sp.log(p) for p in self._entries)
        constrain = None if self.is_logits else _explicit_sum_to_one(self._entries)
        return ExpFamilyForm(etas, tuple(values), tuple(sp.KroneckerDelta(x, m) for m in ks),
                             sp.log(sp.Add(*[sp.exp(e) for e in etas])), constrain=constrain)

    def support_points(self):
        return None if self.is_symbolic else list(range(1, self._k + 1))

    def mass(self, point):
        if self.is_symbolic:
            v = self._base
            return sp.exp(v[point]) / sp.Sum(sp.exp(v[J]), (J, 1, self._k)) if self.is_logits else v[point]
        if not (isinstance(point, (int, sp.Integer)) and 1 <= point <= self._k):
            raise ArgumentTypeError(f"Categorical: class {point!r} is not one of 1, …, {self._k}")
        e = self._entries[int(point) - 1]
        return sp.exp(e) / sp.Add(*[sp.exp(z) for z in self._entries]) if self.is_logits else e

    # -- derived once at symbolic k, instantiated at explicit k -----------------------------------
    def template(self, role: str):
        if self.is_symbolic:
            return None
        return _sym.template(self, role)

    @classmethod
    def instantiate_derivation(cls, derivation, mapping, P, Q):
        return _sym.instantiate_derivation(derivation, mapping, P, Q)


# ---------------------------------------------------------------------------------------------------
def _as_entries(values, family: str, parameter: str) -> list:
    """``as_expr_list``, with a fast path when every entry is a plain symbol (nothing to convert or refuse:
    at k = 1000 the general checks cost 10 ms, five times a memo hit)."""
    if isinstance(values, (list, tuple, sp.MatrixBase)):
        _check_size(len(values), parameter)  # before converting a million entries
    if isinstance(values, (list, tuple)) and all(type(v) is sp.Symbol for v in values):
        return list(values)
    return as_expr_list(values, family=family, parameter=parameter)


#: the most classes an explicit categorical may have: k = 10⁵ derives CE + gradient in ~4 s (benchmarks/
#: results.md), k = 10⁶ would take minutes and gigabytes; beyond it a symbolic k derives in a second
MAX_CLASSES = 100_000


def _explicit_k(k) -> int:
    if isinstance(k, bool) or not isinstance(k, (int, sp.Integer)):
        raise ArgumentTypeError(f"Categorical: the number of classes k must be an int or a positive integer "
                                f"SymPy Symbol, not {type(k).__name__} {k!r}")
    if k < 2:
        raise InvalidParameterError("Categorical", "k", k, "at least 2 (a categorical needs two or more classes)")
    _check_size(int(k), "k")
    return int(k)


def _check_size(n: int, parameter: str) -> None:
    if n > MAX_CLASSES:
        raise InvalidParameterError("Categorical", parameter, n if parameter == "k" else f"a vector of {n} entries",
                                    f"at most {MAX_CLASSES:,} explicit classes (the limit of an explicit k: "
                                    f"larger ones take minutes); for more, use a symbolic k, "
                                    f"sympy.Symbol('k', integer=True, positive=True)")


def _logit_name(name) -> str:
    """The stem of the logit symbols z1 … zk: a non-empty identifier (z, z1_, θ), never None or a number."""
    if not isinstance(name, str):
        raise ArgumentTypeError(f"Categorical.from_logits: name must be a str such as 'z' (the logits are "
                                f"named z1 … zk), not {type(name).__name__} {name!r}")
    if not name.isidentifier():
        raise InvalidParameterError("Categorical.from_logits", "name", repr(name),
                                    "a non-empty identifier of letters, digits and _ (e.g. 'z', 'z1_')")
    return name


def _check_k_matches(k, n: int, parameter: str) -> None:
    _check_size(n, parameter)
    if n < 2:
        raise InvalidParameterError("Categorical", parameter, f"a vector of length {n}",
                                    "a vector of at least 2 entries (one per class)")
    if k is not None and (isinstance(k, sp.Symbol) or _explicit_k(k) != n):
        raise DimensionMismatchError(f"Categorical: {parameter} has {n} entries but k = {k}; "
                                     "give k equal to the number of entries, or omit it")


def _validate_probs(entries: list) -> None:
    for m, p in enumerate(entries):
        _check_entry("Categorical", f"probs[{m}]", p, _UNIT, f"a probability in [0, 1] (class {m + 1})")
    consts = [p for p in entries if p.is_number]
    total = sp.Add(*consts)
    if len(consts) == len(entries):
        if any(isinstance(p, sp.Float) for p in consts):
            # floats cannot sum to 1 exactly ([0.1]*10): allow a few ulps per entry
            ok = abs(float(total) - 1) <= 4 * len(consts) * 2.0**-52
        else:
            ok = total == 1
        if not ok:
            raise InvalidParameterError("Categorical", "probs", list(entries),
                                        f"a point of the probability simplex; these probs sum to {total}; "
                                        "they must sum to 1")
    elif consts and total > 1:
        raise InvalidParameterError("Categorical", "probs", list(entries),
                                    f"a point of the probability simplex; its constant entries already sum "
                                    f"to {total} > 1")


def _check_entry(family: str, parameter: str, e, interval: sp.Interval, allowed: str) -> None:
    """``check_interval``, with a fast path for a bare symbol: its assumptions can only contradict
    [0, 1] or ℝ by being negative or non-real (k = 1000 entries through the relational machinery
    would cost seconds)."""
    if isinstance(e, (sp.Symbol, sp.Indexed)):
        if e.is_extended_real is False:
            raise InvalidParameterError(family, parameter, e, f"{allowed} (it is declared non-real)")
        if interval.start == 0 and e.is_extended_negative:
            raise InvalidParameterError(family, parameter, e, f"{allowed} (its assumptions put it outside)")
        return
    check_interval(family, parameter, e, interval, allowed)


def _log_sum_exp_sym(v, k):
    return sp.log(sp.Sum(sp.exp(v[J]), (J, 1, k)))


def _sum_to_one(p: sp.IndexedBase, k):
    """Apply the simplex constraint Σ_{j=1}^k p[j] = 1 to a derived moment (any dummy index)."""
    def is_total(e):
        if not (isinstance(e, sp.Sum) and len(e.limits) == 1):
            return False
        j, lo, hi = e.limits[0]
        return e.function == p[j] and lo == 1 and hi == k

    return lambda expr: expr.replace(is_total, lambda e: sp.S.One)


def _explicit_sum_to_one(entries):
    total = sp.Add(*entries)
    return lambda expr: expr.xreplace({total: sp.S.One})


# -- catalog -----------------------------------------------------------------------------------------
#: the number of classes symbolic-k examples are sampled at (fixed so that P's and Q's samples agree)
SAMPLE_K = 4
_K = sp.Symbol("k", integer=True, positive=True)


def _simplex_point(k: int, rng: random.Random) -> list:
    """A random interior point of the simplex, exact: uniform-ish, sometimes peaked (a soft target)."""
    w = [rng.randint(1, 1000) for _ in range(k)]
    if rng.random() < 0.3:
        w[rng.randrange(k)] *= 50
    s = sum(w)
    return [sp.Rational(a, s) for a in w]


def _sample(dist: Categorical, rng: random.Random) -> dict:
    if dist.is_symbolic:
        v = dist.base
        vals = (_simplex_point(SAMPLE_K, rng) if not dist.is_logits
                else [sp.Rational(rng.randint(-4000, 4000), 1000) for _ in range(SAMPLE_K)])
        return {dist.k: SAMPLE_K, **{v[m]: a for m, a in enumerate(vals, 1)}}
    if dist.is_logits:
        return {s: sp.Rational(rng.randint(-4000, 4000), 1000) for s in dist.free_symbols}
    return dict(zip(dist.entries, _simplex_point(dist.k, rng)))


def _probs_example(k: int) -> Example:
    return Example(f"categorical-k{k}",
                   lambda i: Categorical([sp.Symbol(f"p{i}_{m}", positive=True) for m in range(1, k + 1)]),
                   _sample)


def _logits_example(k: int) -> Example:
    return Example(f"categorical-logits-k{k}", lambda i: Categorical.from_logits(k=k, name=f"z{i}_"), _sample)


EXAMPLES = [
    *[_probs_example(k) for k in (2, 3, 10)],
    *[_logits_example(k) for k in (2, 3, 10)],
    Example("categorical-symbolic-k", lambda i: Categorical(sp.IndexedBase(f"p{i}", positive=True), k=_K), _sample),
    Example("categorical-logits-symbolic-k", lambda i: Categorical.from_logits(k=_K, name=f"z{i}"), _sample),
]
