r"""Multinomial distribution Mult(n, p): counts of k categories in n independent draws, ``total_count`` n (a
positive int or a positive integer Symbol) and ``probs`` p ∈ Δ^{k−1}, as
``torch.distributions.Multinomial(total_count, probs)``.

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
  out (exact; a polynomial in p times log j! constants). With a symbolic n the family's own rule
  (:meth:`Multinomial.statistic_moment`) uses the marginal X_i ~ Binomial(n, p_i) and keeps
  E[log X_i!] = Σ_{j=0}^n C(n, j) p_i^j (1 − p_i)^{n−j} log j! as that ``Sum``, with a note.

``Multinomial(3, [p1, p2, p3])`` or ``Multinomial(n, [p1, p2, p3])`` with n a positive integer Symbol, and
``Multinomial.from_logits(n, [z1, z2, z3])`` (torch's ``logits``: η = z); k is explicit; zeros in p are allowed.
"""

from __future__ import annotations

import random
from math import comb
from typing import final

import sympy as sp

from symce.core.expfamily import ExpFamilyForm
from symce.core.family import Example, Family, Measure
from symce.errors import ArgumentTypeError, InvalidParameterError, SymceError
from symce.families.categorical import Categorical
from symce.families.spaces import count_vector

_NAME = "Multinomial"
#: the summation index of E[φ(X_i)] at symbolic n: one object, so the sums of H(P, Q) and H(P) cancel in KL
_J = sp.Dummy("j", integer=True, nonnegative=True)
#: more support points than this are refused: the entropy is a sum over all of them
MAX_POINTS = 5000


@final
class Multinomial(Family):
    """Multinomial(total_count n, probs p); the mean is n·p."""

    name = _NAME
    measure = Measure.COUNTING
    latex_name = r"\mathrm{Mult}"

    def __init__(self, total_count, probs):
        if isinstance(probs, (sp.IndexedBase, sp.Symbol)):
            raise ArgumentTypeError(f"{_NAME}: probs must be an explicit list of k ≥ 2 probabilities; a symbolic "
                                    "number of categories is not offered")
        self._setup(total_count, lambda: Categorical(list(probs) if isinstance(probs, sp.MatrixBase) else probs))

    @classmethod
    def from_logits(cls, total_count, logits=None, k=None, name: str = "z") -> "Multinomial":
        """p = softmax(z) (torch's ``logits``): ``logits`` a list of real expressions, or ``k`` real symbols
        ``{name}1 …`` for an int ``k``. The natural parameter is z itself: η = z, A(η) = n log Σ_j e^{η_j}."""
        if isinstance(logits, (sp.IndexedBase, sp.Symbol)) or isinstance(k, sp.Symbol):
            raise ArgumentTypeError(f"{_NAME}.from_logits: the logits must be an explicit list (or k an int)")
        obj = cls.__new__(cls)
        obj._setup(total_count, lambda: Categorical.from_logits(
            list(logits) if isinstance(logits, sp.MatrixBase) else logits, k=k, name=name))
        return obj

    def _setup(self, total_count, build) -> None:
        if isinstance(total_count, sp.Symbol):
            if not (total_count.is_integer and total_count.is_positive):
                raise InvalidParameterError(_NAME, "total_count", total_count, "a positive int or a positive integer "
                                            "Symbol, e.g. sympy.Symbol('n', integer=True, positive=True)")
        elif isinstance(total_count, bool) or not isinstance(total_count, (int, sp.Integer)):
            raise ArgumentTypeError(f"{_NAME}: total_count must be a positive int or a positive integer Symbol (the "
                                    f"number of draws n), not {type(total_count).__name__} {total_count!r}")
        elif total_count < 1:
            raise InvalidParameterError(_NAME, "total_count", total_count, "a positive int (the number of draws n)")
        try:  # the simplex checks are the categorical's (same parameter space), refusals name this family
            cat = build()
        except InvalidParameterError as e:
            raise InvalidParameterError(_NAME, e.parameter, e.value, e.allowed) from None
        except SymceError as e:
            raise type(e)(str(e).replace("Categorical", _NAME, 1)) from None
        n = total_count if isinstance(total_count, sp.Symbol) else int(total_count)
        # probs: the probabilities as expressions (softmax of the logits for from_logits)
        probs = tuple(cat.mass(m) for m in range(1, cat.k + 1)) if cat.is_logits else tuple(cat.entries)
        self.total_count, self.probs, self._cat = n, probs, cat
        # the support is counted before any point is built
        if not self.is_symbolic and comb(self.total_count + self.k - 1, self.k - 1) > MAX_POINTS:
            raise InvalidParameterError(_NAME, "total_count", total_count,
                                        f"small enough that the support has at most {MAX_POINTS} points "
                                        f"(k = {self.k}: C(n + k − 1, k − 1) points)")

    @property
    def k(self) -> int:
        return len(self.probs)

    @property
    def is_symbolic(self) -> bool:
        """True for a symbolic number of draws n."""
        return isinstance(self.total_count, sp.Symbol)

    # -- the Family interface -------------------------------------------------------------------------
    @property
    def parameters(self):
        # total_count stays a Python int, as torch requires (torch.distributions.Multinomial refuses a tensor)
        kind = "logits" if self.is_logits else "probs"
        return {"total_count": self.total_count, kind: sp.ImmutableMatrix(self._cat.entries)}

    @property
    def is_logits(self) -> bool:
        return self._cat.is_logits

    @property
    def categorical(self) -> Categorical:
        """The law of one draw."""
        return self._cat

    def latex_arguments(self, printer):
        return [printer._print(sp.sympify(self.total_count)), *self._cat.latex_arguments(printer)]

    def __repr__(self) -> str:
        how = ".from_logits" if self.is_logits else ""
        return f"{_NAME}{how}({self.total_count}, {list(self._cat.entries)})"

    @property
    def sample_space(self):
        return ("count vector", self.k)

    @property
    def free_symbols(self):
        return super().free_symbols | ({self.total_count} if self.is_symbolic else set())

    @property
    def support(self):
        if self.is_symbolic:  # in bound coordinates of its own, so equal n gives equal supports
            t, n = sp.symbols(f"x1:{self.k + 1}", integer=True, nonnegative=True), self.total_count
            return sp.ConditionSet(sp.Tuple(*t), sp.Eq(sp.Add(*t), n), sp.ProductSet(*[sp.Range(0, n + 1)] * self.k))
        return sp.FiniteSet(*self._points())

    def conditions(self):
        return self._cat.conditions()

    def variable(self):
        return count_vector(self, self.k)

    def log_density(self, x):
        n = self.total_count
        base = sp.loggamma(n + 1) - sp.Add(*[sp.loggamma(xm + 1) for xm in x])
        if self.is_logits:  # Σ x_i log softmax(z)_i = Σ x_i z_i − n log Σ e^{z_j} on the support (Σ x_i = n)
            z = self._cat.entries
            return base + sp.Add(*[xm * zm for xm, zm in zip(x, z)]) - n * sp.log(sp.Add(*[sp.exp(zm) for zm in z]))
        # a category of probability 0: x·log 0 is −∞ where x > 0 and 0 where x = 0 (never 0·∞)
        return (base + sp.Add(*[sp.Piecewise((-sp.oo, xm > 0), (0, True)) if p.is_zero else xm * sp.log(p)
                           for xm, p in zip(x, self.probs)]))

    def expfamily(self):
        if any(p.is_zero for p in self.probs):
            return None  # a category of probability 0 has no natural parameter (η = −∞)
        x = self.variable()
        etas = sp.symbols(f"eta1:{self.k + 1}", real=True)
        total = sp.Add(*self.probs)
        values = self._cat.entries if self.is_logits else tuple(sp.log(p) for p in self.probs)
        return ExpFamilyForm(tuple(etas), tuple(values), tuple(x),
                             self.total_count * sp.log(sp.Add(*[sp.exp(e) for e in etas])),
                             sp.loggamma(self.total_count + 1) - sp.Add(*[sp.loggamma(xm + 1) for xm in x]),
                             constrain=None if self.is_logits else (lambda m: m.xreplace({total: sp.S.One})))

    def support_points(self):
        return None if self.is_symbolic else list(self._points())

    def statistic_moment(self, phi, x):
        """E[φ(X_i)] for a statistic of one count that the moment map cannot give (log X_i!), at a symbolic n:
        the marginal of X_i is Binomial(n, p_i) — the pmf summed over the other counts, by the multinomial
        theorem — so E[φ(X_i)] = Σ_{j=0}^n C(n, j) p_i^j (1 − p_i)^{n−j} φ(j), kept as that finite sum (no
        closed form for log j!). An explicit n takes the definition instead (the sum over the support)."""
        if not self.is_symbolic:
            return None
        used = [m for m, xm in enumerate(x) if phi.has(xm)]
        if len(used) != 1 or phi.is_polynomial(x[used[0]]):
            return None  # polynomials in the counts: the moment map
        m = used[0]
        j, p, n = _J, self.probs[m], self.total_count
        value = sp.Sum(sp.binomial(n, j) * p**j * (1 - p) ** (n - j) * phi.xreplace({x[m]: j}), (j, 0, n))
        return value, (f"marginal of one count: X_{m + 1} ~ Binomial(n, p_{m + 1}) (the multinomial pmf summed over "
                       "the other counts); no closed form: kept as the finite sum over 0..n")

    def mass(self, point):
        try:  # not sp.Integer, which truncates 1/2 to 0; strict: text is never evaluated
            v = [sp.sympify(c, strict=True) for c in point]
        except (sp.SympifyError, TypeError):
            raise ArgumentTypeError(f"{_NAME}: {point!r} is not a vector of numbers") from None
        if len(v) != self.k or any(not (c.is_Integer and c >= 0) for c in v):
            raise ArgumentTypeError(f"{_NAME}: {point!r} is not a vector of {self.k} non-negative integer counts")
        coef = sp.factorial(self.total_count) / sp.Mul(*[sp.factorial(c) for c in v])
        pmf = coef * sp.Mul(*[p**c for p, c in zip(self.probs, v)])
        if self.is_symbolic:
            return sp.Piecewise((pmf, sp.Eq(sum(v), self.total_count)), (0, True))
        return pmf if sum(v) == self.total_count else sp.S.Zero  # 0 off the support (another total)

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
    if dist.is_logits:
        out = {s: sp.Rational(rng.randint(-3000, 3000), 1000) for s in dist.categorical.entries}
        return {dist.total_count: SAMPLE_N, **out} if dist.is_symbolic else out
    w = [rng.randint(1, 1000) for _ in dist.probs]  # an interior point of the simplex, exact
    out = {s: sp.Rational(a, sum(w)) for s, a in zip(dist.probs, w) if isinstance(s, sp.Symbol)}
    return {dist.total_count: SAMPLE_N, **out} if dist.is_symbolic else out


#: the number of draws a symbolic-n example is sampled at (fixed, so P's and Q's samples agree)
SAMPLE_N = 4
_N = sp.Symbol("n", integer=True, positive=True)


def _example(n, k: int) -> Example:
    return Example(f"multinomial-n{n if isinstance(n, int) else '-symbolic'}-k{k}",
                   lambda i: Multinomial(n, [sp.Symbol(f"p{i}_{m}", positive=True) for m in range(1, k + 1)]),
                   _sample)


#: every example lives on one sample space: tests/test_families.py pairs all examples of a class (families.
#: same_family_pairs), and two sizes would be refused (DimensionMismatchError, rightly); different n on one
#: ℕᵏ are fine (KL = +∞ where the totals differ), but a symbolic n against an explicit one is not decided (is
#: (2, 0, 0) in {Σ x = n}?). The other sizes are in OTHER_SIZES, tested against the same oracles by
#: tests/test_families_vector.py.
EXAMPLES = [_example(2, 3), _example(3, 3),
            Example("multinomial-logits-n3-k3", lambda i: Multinomial.from_logits(3, k=3, name=f"z{i}_"), _sample)]
OTHER_SIZES = [_example(3, 2), _example(_N, 3)]
