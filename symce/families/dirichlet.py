r"""Dirichlet distribution Dir(α) on the open probability simplex: ``concentration`` α = (α₁, …, α_k),
every α_i > 0, as ``torch.distributions.Dirichlet(concentration)``; k explicit (a list) or symbolic.

.. math:: p(x) = \frac{\Gamma(\alpha_0)}{\prod_{i=1}^k \Gamma(\alpha_i)} \prod_{i=1}^k x_i^{\alpha_i - 1},
          \qquad \alpha_0 = \sum_{i=1}^k \alpha_i,\quad x_i > 0,\ \sum_{i=1}^k x_i = 1

Density w.r.t. Lebesgue measure on the simplex (in the coordinates x₁, …, x_{k−1}; x_k = 1 − Σ_{i<k} x_i).
Exponential family with η_i = α_i, T_i(x) = log x_i, log h(x) = −Σ_i log x_i and

.. math:: A(\eta) = \sum_{i=1}^k \log\Gamma(\eta_i) - \log\Gamma\Big(\sum_{i=1}^k \eta_i\Big),

so E[log X_i] = ∂A/∂η_i = ψ(α_i) − ψ(α₀) comes from the moment map; entropy, cross-entropy and KL follow by
linearity of expectation over the log-density. Nothing here knows their closed forms.

Two forms:

* ``Dirichlet([a1, …, ak])`` — explicit k ≥ 2 (numbers or expressions). Derived once at symbolic k and
  instantiated (:meth:`Dirichlet.template`), as the categorical: KL cold at k = 10 in 0.3 s, k = 200 in 1.8 s
  (the direct route needed 8 s at k = 50 and passed the 20 s limit at k = 200); gradients are differentiated
  once at symbolic k too (∇ of KL w.r.t. P's α at k = 50: 285 s by entrywise diff, 0.8 s);
* ``Dirichlet(alpha, k=k)`` — ``alpha`` an ``IndexedBase`` and ``k`` a positive integer ``Symbol``: the
  log-density is written with ``Sum`` over a generic component i, the moment map differentiates the indexed
  log-partition function (as for :class:`~symce.families.categorical.Categorical` with a symbolic k).
  The random variable is then the ``IndexedBase`` X (components X[i]).

The sample space is ``("simplex", k)``: a Dirichlet is compared only with distributions on the same simplex.

**Catalog examples.** Explicit k = 3 in ``EXAMPLES``; k = 2 and symbolic k in ``OTHER_SIZES`` (positive
symbols ``alpha{i}_1 …``; for symbolic k ``IndexedBase("alpha{i}")``, sampled at k = :data:`SAMPLE_K` as the
categorical's symbolic examples).
"""

from __future__ import annotations

import random
from typing import final

import sympy as sp
from sympy.matrices.expressions.sets import MatrixSet

from symce.core.expfamily import ExpFamilyForm, resolve_index_range
from symce.core.family import Example, Family, Measure, as_expr_list, check_interval
from symce.core.notation import latex_vector
from symce.core.quantity import Quantity
from symce.engine.derivation import Derivation, Step
from symce.errors import ArgumentTypeError, DimensionMismatchError, InvalidParameterError

_NAME = "Dirichlet"
_POSITIVE = sp.Interval.open(0, sp.oo)
_ALLOWED = "a positive real number (a concentration α_i > 0)"
#: generic component indices of the symbolic-k form
I = sp.Symbol("i", integer=True, positive=True)
J = sp.Symbol("j", integer=True, positive=True)
#: the generic component of a gradient
M = sp.Symbol("m", integer=True, positive=True)
#: the number of components of the templates (shared by P's and Q's, so both live on one simplex)
K_T = sp.Symbol("k", integer=True, positive=True)


@final
class Dirichlet(Family):
    """Dirichlet(concentration) on the simplex of k components; see the module docstring for the forms."""

    name = _NAME
    measure = Measure.LEBESGUE
    latex_name = r"\mathrm{Dir}"

    def __init__(self, concentration, k=None):
        if isinstance(concentration, sp.IndexedBase):
            if not (isinstance(k, sp.Symbol) and k.is_integer and k.is_positive):
                raise ArgumentTypeError(f"{_NAME}: an IndexedBase concentration {concentration} needs the number of "
                                        "components k as a positive integer Symbol, e.g. "
                                        "sympy.Symbol('k', integer=True, positive=True)")
            if concentration[I].is_extended_real is False or concentration[I].is_extended_nonpositive:
                raise InvalidParameterError(_NAME, "concentration", concentration,
                                            f"{_ALLOWED} (its assumptions put it outside)")
            self.concentration, self.k = concentration, k
            return
        if isinstance(concentration, sp.Basic) and not isinstance(concentration, sp.MatrixBase):
            raise ArgumentTypeError(f"{_NAME}: concentration must be a list of k ≥ 2 positive numbers or expressions "
                                    f"(or an IndexedBase with k = a positive integer Symbol), not {concentration}")
        entries = as_expr_list(concentration, family=_NAME, parameter="concentration")
        if len(entries) < 2:
            raise InvalidParameterError(_NAME, "concentration", f"a vector of length {len(entries)}",
                                        "a vector of at least 2 entries (one per component)")
        if k is not None and k != len(entries):
            raise DimensionMismatchError(f"{_NAME}: concentration has {len(entries)} entries but k = {k}; "
                                         "give k equal to the number of entries, or omit it")
        for m, a in enumerate(entries):
            check_interval(_NAME, f"concentration[{m}]", a, _POSITIVE, _ALLOWED)
        self.concentration, self.k = tuple(entries), len(entries)

    @property
    def is_symbolic(self) -> bool:
        """True for a symbolic number of components k."""
        return isinstance(self.concentration, sp.IndexedBase)

    # -- the Family interface -------------------------------------------------------------------------
    @property
    def parameters(self):
        # a column (an explicit vector is one parameter, as torch's concentration tensor)
        c = self.concentration
        return {"concentration": c if self.is_symbolic else sp.ImmutableMatrix(c)}

    @property
    def free_symbols(self):
        return super().free_symbols | ({self.k} if self.is_symbolic else set())

    @property
    def sample_space(self):
        return ("simplex", self.k)

    @property
    def support(self):
        # written in bound coordinates of its own (not the random variable, which may be a Dummy when a
        # parameter is called X), so two Dirichlets on one simplex have equal supports
        if self.is_symbolic:
            # SymPy has no set of vectors of symbolic length with a condition (a ConditionSet needs symbols):
            # the open cube (0, 1)^k; Σ x_i = 1 is carried by the sample space ("simplex", k)
            return MatrixSet(self.k, 1, sp.Interval.open(0, 1))
        t = sp.symbols(f"x1:{self.k + 1}", positive=True)
        return sp.ConditionSet(sp.Tuple(*t), sp.Eq(sp.Add(*t), 1), sp.ProductSet(*[sp.Interval.open(0, 1)] * self.k))

    def conditions(self):
        if self.is_symbolic:
            rel = sp.StrictLessThan(0, self.concentration[I])
            return [] if rel == sp.true else [rel]
        return [sp.StrictLessThan(0, a) for a in self.concentration if not a.is_number and not a.is_positive]

    def variable(self):
        taken = {getattr(s, "name", None) for s in self.free_symbols}
        if self.is_symbolic:
            return sp.IndexedBase("X" if "X" not in taken else "X_", positive=True)
        names = [f"X{m}" for m in range(1, self.k + 1)]
        make = sp.Dummy if taken.intersection(names) else sp.Symbol
        return sp.ImmutableMatrix([make(n, positive=True) for n in names])

    def log_density(self, x):
        a, k = self.concentration, self.k
        if self.is_symbolic:
            return (sp.loggamma(sp.Sum(a[J], (J, 1, k))) - sp.Sum(sp.loggamma(a[I]), (I, 1, k))
                    + sp.Sum((a[I] - 1) * sp.log(x[I]), (I, 1, k)))
        return (sp.loggamma(sp.Add(*a)) - sp.Add(*[sp.loggamma(ai) for ai in a])
                + sp.Add(*[(ai - 1) * sp.log(xi) for ai, xi in zip(a, x)]))

    def expfamily(self):
        x = self.variable()
        if self.is_symbolic:
            eta = sp.IndexedBase("eta", positive=True)
            A = sp.Sum(sp.loggamma(eta[J]), (J, 1, self.k)) - sp.loggamma(sp.Sum(eta[J], (J, 1, self.k)))
            return ExpFamilyForm((eta[I],), (self.concentration[I],), (sp.log(x[I]),), A,
                                 -sp.Sum(sp.log(x[I]), (I, 1, self.k)), index=(I, 1, self.k))
        etas = sp.symbols(f"eta1:{self.k + 1}", positive=True)
        A = sp.Add(*[sp.loggamma(e) for e in etas]) - sp.loggamma(sp.Add(*etas))
        return ExpFamilyForm(tuple(etas), tuple(self.concentration), tuple(sp.log(xi) for xi in x), A,
                             -sp.Add(*[sp.log(xi) for xi in x]))

    def __repr__(self) -> str:
        c = self.concentration
        return f"Dirichlet({c}, k={self.k})" if self.is_symbolic else f"Dirichlet({list(c)})"

    # -- explicit k derived once at symbolic k and instantiated -----------------------------------------
    def template(self, role: str):
        # the direct route walks k log Γ/ψ terms through expand and canonical: k = 50 took 8 s, k = 200 past
        # the time limit; the symbolic-k derivation has a fixed size and is memoised across every k
        if self.is_symbolic:
            return None
        base = sp.IndexedBase(f"alpha_{role}", positive=True)
        return Dirichlet(base, k=K_T), {base: self, K_T: self.k}

    @classmethod
    def instantiate_derivation(cls, derivation, mapping, P, Q):
        k = mapping[K_T]
        slots = {b: d for b, d in mapping.items() if isinstance(b, sp.IndexedBase)}
        values = {b[m]: d.concentration[m - 1] for b, d in slots.items() for m in range(1, k + 1)}
        result = _expand_sums(derivation.result.xreplace({K_T: sp.Integer(k)}), values)
        names = ", ".join(f"{b}[i] ↦ {'P' if str(b).endswith('_P') else 'Q'}'s α_i" for b in slots)
        steps = (*derivation.steps, Step(result, f"instantiate at k = {k}: expand each Σ over i = 1..{k}, {names}"))
        entropy = derivation.quantity == "entropy"
        conditions = tuple(dict.fromkeys([*P.conditions(), *([] if entropy or Q is P else Q.conditions())]))
        dists = (P,) if entropy else (P, Q)
        return Derivation(derivation.quantity, derivation.lhs, result, steps,
                          f"{derivation.method}; derived at symbolic k, instantiated", conditions, dists,
                          gradient_hook=_GradientHook(derivation, slots, k, dists, conditions))

    # -- notation: Dir(α₁, …, α_k), Dir(α) at symbolic k ------------------------------------------------
    def latex_arguments(self, printer):
        if self.is_symbolic:
            return [printer._print(self.concentration)]
        return [latex_vector(printer, list(self.concentration))]


class _GradientHook:
    """∂/∂(explicit concentrations) of an instantiated result: the symbolic-k result is differentiated once per
    template base w.r.t. its generic component α[m] and instantiated per m (the generic route differentiates
    the k-term result k times: ∇ w.r.t. P's α at k = 50 took 285 s). ``None`` (the generic route) when a
    parameter is not one plain symbol entry."""

    def __init__(self, derivation, slots: dict, k: int, dists, conditions):
        self.derivation, self.slots, self.k, self.dists, self.conditions = derivation, slots, k, dists, conditions
        self.values = {b[m]: d.concentration[m - 1] for b, d in slots.items() for m in range(1, k + 1)}
        self.symbolic: dict = {}
        self.memo: tuple = ({}, set())  # expansions shared by every component (Σ_j α[j] is expanded once)

    def __call__(self, wrt):
        single = not isinstance(wrt, (list, tuple, sp.MatrixBase))
        ws = [wrt] if single else list(wrt)
        where: dict = {}
        compound: set = set()
        for b, d in self.slots.items():
            for m, e in enumerate(d.concentration, 1):
                if isinstance(e, sp.Symbol):
                    where.setdefault(e, []).append((b, m))
                else:
                    compound |= e.free_symbols
        if not ws or any(not isinstance(w, sp.Symbol) or w in compound or w not in where for w in ws):
            return None
        col = [sp.Add(*[self.component(b, m) for b, m in where[w]]) for w in ws]
        result = col[0] if single else sp.ImmutableMatrix(col)
        d = self.derivation
        steps = tuple(Step(sp.Eq(sp.Derivative(d.result, b[M]), self.generic(b), evaluate=False),
                           "differentiate the symbolic-k result once w.r.t. the generic component m (1 ≤ m ≤ k)")
                      for b in dict.fromkeys(b for w in ws for b, _ in where[w]))
        steps += (Step(result, f"instantiate ∂/∂α_m at k = {self.k} for each of the {len(ws)} parameters"),)
        lhs = Quantity.derivative(d.lhs, ws, gradient=not single, abbreviated=True)
        return Derivation("gradient", lhs, result, steps, "differentiated at symbolic k, instantiated",
                          self.conditions, self.dists)

    def generic(self, b):
        if b not in self.symbolic:
            g = sp.diff(self.derivation.result, b[M]).doit()
            self.symbolic[b] = resolve_index_range(g, M, 1, K_T)
        return self.symbolic[b]

    def component(self, b, m: int):
        g = self.generic(b).xreplace({M: sp.Integer(m), K_T: sp.Integer(self.k)})
        return _expand_sums(g, self.values, *self.memo)


def _expand_sums(expr, values: dict, memo: dict | None = None, expanded: set | None = None):
    """Every (explicit-range) Sum of ``expr`` written out, innermost first, and the template's elements replaced
    by ``values``. An inner Σ_j α[j] is expanded once and stands as a placeholder while the k terms of the
    outer sum are built, so the work is O(k), not O(k²) (xreplace would walk the inner k terms k times)."""
    memo = {} if memo is None else memo
    expanded = set() if expanded is None else expanded

    def walk(e):
        if isinstance(e, sp.Indexed):
            return values.get(e, e)
        if not e.args:
            return e
        hit = memo.get(e)
        if hit is None:
            if isinstance(e, sp.Sum) and len(e.limits) == 1:
                (i, lo, hi), = e.limits
                f = walk(e.function)
                holes = {s: sp.Dummy("S") for s in f.find(lambda s: s in expanded) if not s.has(i)}
                back = {h: s for s, h in holes.items()}
                small = f.xreplace(holes)
                hit = sp.Add(*[small.xreplace({i: sp.Integer(m)}).xreplace(values).xreplace(back)
                               for m in range(int(lo), int(hi) + 1)])
                expanded.add(hit)
            else:
                hit = e.func(*[walk(a) for a in e.args])
            memo[e] = hit
        return hit

    return walk(expr)


# -- catalog -----------------------------------------------------------------------------------------
#: the number of components symbolic-k examples are sampled at (fixed, so P's and Q's samples agree; 3 is
#: the largest k the quadrature oracle integrates over the simplex)
SAMPLE_K = 3


def _draw(rng: random.Random):
    # (0.3, 5): both sides of α = 1, where the density's edges switch from poles to zeros
    return sp.Rational(rng.randint(300, 5000), 1000)


def _sample(dist: Dirichlet, rng: random.Random) -> dict:
    if dist.is_symbolic:
        return {dist.k: SAMPLE_K, **{dist.concentration[m]: _draw(rng) for m in range(1, SAMPLE_K + 1)}}
    return {a: _draw(rng) for a in dist.concentration if isinstance(a, sp.Symbol)}


def _explicit(k: int) -> Example:
    return Example(f"dirichlet-k{k}",
                   lambda i: Dirichlet([sp.Symbol(f"alpha{i}_{m}", positive=True) for m in range(1, k + 1)]),
                   _sample)


#: every example lives on one sample space: tests/test_families.py pairs all examples of a class (families.
#: same_family_pairs), and two sizes would be refused (DimensionMismatchError, rightly). The other sizes are in
#: OTHER_SIZES, tested against the same oracles by tests/test_families_vector.py.
EXAMPLES = [_explicit(3)]
OTHER_SIZES = [
    _explicit(2),
    Example("dirichlet-symbolic-k", lambda i: Dirichlet(sp.IndexedBase(f"alpha{i}", positive=True), k=K_T), _sample),
]
