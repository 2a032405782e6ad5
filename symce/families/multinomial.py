r"""Multinomial distribution Mult(n, p): counts of k categories in n independent draws, ``total_count`` n (a
positive int) and ``probs`` p ∈ Δ^{k−1}, as ``torch.distributions.Multinomial(total_count, probs)``.

.. math:: p(x) = \frac{n!}{\prod_{i=1}^k x_i!} \prod_{i=1}^k p_i^{x_i}, \qquad
          x \in \mathbb{N}^k,\ \sum_{i=1}^k x_i = n

Density w.r.t. counting measure on ℕᵏ (the sample space ``("count vector", k)``, shared with
:class:`~symce.families.one_hot_categorical.OneHotCategorical`, whose vectors are the counts of one draw;
two multinomials with different n are comparable and KL is +∞ where P's counts are impossible under Q).
Exponential family with η_i = log p_i, T_i(x) = x_i, A(η) = n log Σ_j e^{η_j} and
log h(x) = log n! − Σ_i log x_i!: E[X_i] = ∂A/∂η_i = n p_i (under Σ_j p_j = 1) comes from the moment map.

* **KL** between two multinomials with the same n: the log h terms cancel in log p − log q before any
  expectation is taken, and what is left is linear in the counts — derived by the moment map alone.
* **Entropy and cross-entropy** need E[log X_i!], which has no closed form: with an explicit n the engine
  takes it from the definition, the finite sum over the C(n + k − 1, k − 1) points of the support, written
  out (exact; a polynomial in p times log j! constants). A symbolic n is not offered (that sum would have a
  symbolic number of points).

Explicit n and k only: ``Multinomial(3, [p1, p2, p3])``; zeros in p are allowed.
"""

from __future__ import annotations

import random
from math import comb
from typing import final

import sympy as sp

from symce.core.expfamily import ExpFamilyForm
from symce.core.family import Example, Family, Measure
from symce.core.notation import latex_vector
from symce.errors import ArgumentTypeError, InvalidParameterError, SymceError
from symce.families.categorical import Categorical

_NAME = "Multinomial"
#: more support points than this are refused: the entropy is a sum over all of them
MAX_POINTS = 5000


@final
class Multinomial(Family):
    """Multinomial(total_count n, probs p); the mean is n·p."""

    name = _NAME
    measure = Measure.COUNTING
    latex_name = r"\mathrm{Mult}"

    def __init__(self, total_count, probs):
        if isinstance(total_count, bool) or not isinstance(total_count, (int, sp.Integer)):
            raise ArgumentTypeError(f"{_NAME}: total_count must be a positive int (the number of draws n), not "
                                    f"{type(total_count).__name__} {total_count!r}; a symbolic n is not offered")
        if total_count < 1:
            raise InvalidParameterError(_NAME, "total_count", total_count, "a positive int (the number of draws n)")
        if isinstance(probs, (sp.IndexedBase, sp.Symbol)):
            raise ArgumentTypeError(f"{_NAME}: probs must be an explicit list of k ≥ 2 probabilities; a symbolic "
                                    "number of categories is not offered")
        try:  # the simplex checks are the categorical's (same parameter space), refusals name this family
            cat = Categorical(list(probs) if isinstance(probs, sp.MatrixBase) else probs)
        except InvalidParameterError as e:
            raise InvalidParameterError(_NAME, e.parameter, e.value, e.allowed) from None
        except SymceError as e:
            raise type(e)(str(e).replace("Categorical", _NAME, 1)) from None
        self.total_count, self.probs, self._cat = int(total_count), tuple(cat.entries), cat
        if comb(self.total_count + self.k - 1, self.k - 1) > MAX_POINTS:  # counted before any is built
            raise InvalidParameterError(_NAME, "total_count", total_count,
                                        f"small enough that the support has at most {MAX_POINTS} points "
                                        f"(k = {self.k}: C(n + k − 1, k − 1) points)")

    @property
    def k(self) -> int:
        return len(self.probs)

    # -- the Family interface -------------------------------------------------------------------------
    @property
    def parameters(self):
        # total_count stays a Python int, as torch requires (torch.distributions.Multinomial refuses a tensor)
        return {"total_count": self.total_count, "probs": sp.ImmutableMatrix(self.probs)}

    def latex_arguments(self, printer):
        return [printer._print(sp.Integer(self.total_count)), latex_vector(printer, list(self.probs))]

    def __repr__(self) -> str:
        return f"{_NAME}({self.total_count}, {list(self.probs)})"

    @property
    def sample_space(self):
        return ("count vector", self.k)

    @property
    def support(self):
        return sp.FiniteSet(*self._points())

    def conditions(self):
        return self._cat.conditions()

    def variable(self):
        taken = {getattr(s, "name", None) for s in self.free_symbols}
        names = [f"X{m}" for m in range(1, self.k + 1)]
        make = sp.Dummy if taken.intersection(names) else sp.Symbol
        return sp.ImmutableMatrix([make(n, integer=True, nonnegative=True) for n in names])

    def log_density(self, x):
        n = self.total_count
        # a category of probability 0: x·log 0 is −∞ where x > 0 and 0 where x = 0 (never 0·∞)
        return (sp.log(sp.factorial(n)) - sp.Add(*[sp.loggamma(xm + 1) for xm in x])
                + sp.Add(*[sp.Piecewise((-sp.oo, xm > 0), (0, True)) if p.is_zero else xm * sp.log(p)
                           for xm, p in zip(x, self.probs)]))

    def expfamily(self):
        if any(p.is_zero for p in self.probs):
            return None  # a category of probability 0 has no natural parameter (η = −∞)
        x = self.variable()
        etas = sp.symbols(f"eta1:{self.k + 1}", real=True)
        total = sp.Add(*self.probs)
        return ExpFamilyForm(tuple(etas), tuple(sp.log(p) for p in self.probs), tuple(x),
                             self.total_count * sp.log(sp.Add(*[sp.exp(e) for e in etas])),
                             sp.log(sp.factorial(self.total_count)) - sp.Add(*[sp.loggamma(xm + 1) for xm in x]),
                             constrain=lambda m: m.xreplace({total: sp.S.One}))

    def support_points(self):
        return list(self._points())

    def mass(self, point):
        try:  # not sp.Integer, which truncates 1/2 to 0; strict: text is never evaluated
            v = [sp.sympify(c, strict=True) for c in point]
        except (sp.SympifyError, TypeError):
            raise ArgumentTypeError(f"{_NAME}: {point!r} is not a vector of numbers") from None
        if len(v) != self.k or any(not (c.is_Integer and c >= 0) for c in v):
            raise ArgumentTypeError(f"{_NAME}: {point!r} is not a vector of {self.k} non-negative integer counts")
        if sum(v) != self.total_count:
            return sp.S.Zero  # a point of ℕᵏ outside the support (other total)
        coef = sp.factorial(self.total_count) / sp.Mul(*[sp.factorial(c) for c in v])
        return coef * sp.Mul(*[p**c for p, c in zip(self.probs, v)])

    def _points(self) -> tuple:
        if getattr(self, "_pts", None) is None:
            self._pts = tuple(sp.Tuple(*c) for c in _compositions(self.total_count, self.k))
        return self._pts


def _compositions(n: int, k: int):
    """The vectors of k non-negative integers summing to n, in lexicographic order."""
    if k == 1:
        yield (n,)
        return
    for first in range(n + 1):
        for rest in _compositions(n - first, k - 1):
            yield (first, *rest)


# -- catalog -----------------------------------------------------------------------------------------
def _sample(dist: Multinomial, rng: random.Random) -> dict:
    w = [rng.randint(1, 1000) for _ in dist.probs]  # an interior point of the simplex, exact
    return {s: sp.Rational(a, sum(w)) for s, a in zip(dist.probs, w) if isinstance(s, sp.Symbol)}


def _example(n: int, k: int) -> Example:
    return Example(f"multinomial-n{n}-k{k}",
                   lambda i: Multinomial(n, [sp.Symbol(f"p{i}_{m}", positive=True) for m in range(1, k + 1)]),
                   _sample)


#: every example lives on one sample space: tests/test_families.py pairs all examples of a class (families.
#: same_family_pairs), and two sizes would be refused (DimensionMismatchError, rightly); different n on one
#: ℕᵏ are fine (KL = +∞ where the totals differ). The other sizes are in
#: OTHER_SIZES, tested against the same oracles by tests/test_families_vector.py.
EXAMPLES = [_example(2, 3), _example(3, 3)]
OTHER_SIZES = [_example(3, 2)]
