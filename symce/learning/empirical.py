r"""Empirical distributions and the average negative log-likelihood.

The empirical distribution of n samples y_1, …, y_n puts mass 1/n on each sample:

.. math:: \hat p_n = \frac1n \sum_{s=1}^n \delta_{y_s},\qquad
          \mathbb{E}_{\hat p_n}[\varphi(X)] = \frac1n \sum_{s=1}^n \varphi(y_s),

so the cross-entropy of a model Q against it is the average negative log-likelihood of the model on the
samples (Goodfellow, Bengio & Courville 2016, §5.5):

.. math:: H(\hat p_n, Q_\theta) = -\mathbb{E}_{\hat p_n}[\log q_\theta(X)]
          = -\frac1n \sum_{s=1}^n \log q_\theta(y_s) = J(\theta).

:class:`Empirical` is a :class:`~symce.core.family.Family` whose own moment rule (``statistic_moment``) *is* the
definition above, so ``symce.cross_entropy(Empirical(...), Q)`` runs through the ordinary engine: the
log-density of Q is split by linearity and each statistic φ is averaged over the samples. Samples are
either **symbolic** — an ``IndexedBase`` y with y[s] for s = 1..n and n a positive-integer symbol — or
**explicit data** (a list). Averages over symbolic samples are distributed by linearity into sums of
monomials Σ_s y_s^r (the empirical moments), the form the maximum-likelihood solver needs.

Here q is Q's density w.r.t. Q's own dominating measure (the machine-learning convention); p̂_n itself
has a density only w.r.t. counting measure on a discrete sample space, which is where ``entropy`` and
``kl`` of an empirical distribution are defined.
"""

from __future__ import annotations

import dataclasses
import numbers
from collections import Counter
from typing import final

import sympy as sp

from symce.core.quantity import Quantity
from symce.engine.derivation import Derivation, Step
from symce.errors import ArgumentTypeError, DerivationError, DimensionMismatchError, InvalidParameterError
from symce.core.family import Family, Measure, as_expr
from symce.engine.information import cross_entropy
from symce.engine.proof import prove

#: the sample index of symbolic samples y[s], s = 1..n (not i/j: the categorical family's class indices)
S = sp.Symbol("s", integer=True, positive=True)


def check_n(n, who: str = "Empirical"):
    """n as a SymPy integer or positive-integer Symbol; n ≤ 0 (or a non-integer) is refused."""
    if isinstance(n, bool) or n is None:
        raise ArgumentTypeError(f"{who}: the number of samples n must be a positive int or a SymPy Symbol "
                                f"declared integer=True, positive=True, not {n!r}")
    if isinstance(n, numbers.Integral) or (isinstance(n, sp.Integer)):
        if int(n) <= 0:
            raise InvalidParameterError(who, "n", n, "a positive integer (the number of samples, n ≥ 1)")
        return sp.Integer(int(n))
    if isinstance(n, sp.Symbol):
        if not (n.is_integer and n.is_positive):
            raise InvalidParameterError(who, "n", n, "a positive integer: declare it with "
                                        "sympy.Symbol(..., integer=True, positive=True)")
        return n
    raise ArgumentTypeError(f"{who}: the number of samples n must be a positive int or a positive-integer "
                            f"SymPy Symbol, not {type(n).__name__} {n!r}")


def _check_like(like, who: str) -> Family:
    if not isinstance(like, Family) or isinstance(like, Empirical):
        raise ArgumentTypeError(f"{who}: like= must be a symce distribution of the model family (it fixes "
                                f"the sample space and support), e.g. like=symce.Bernoulli(p); got {like!r}")
    return like


def _vector_dim(like) -> int | None:
    """The explicit dimension d of a vector-valued family (multivariate normal), else None."""
    v = like.variable()
    return v.shape[0] if isinstance(v, sp.MatrixBase) else None


def _as_datum(value, like: Family, pos: int):
    """One explicit sample as a SymPy value, checked against the support of ``like``."""
    d = _vector_dim(like)
    if d is not None:
        if isinstance(value, (str, bytes)) or not hasattr(value, "__len__"):
            raise ArgumentTypeError(f"Empirical: sample {pos} must be a vector of length {d}, not {value!r}")
        if len(value) != d:
            raise DimensionMismatchError(f"Empirical: sample {pos} has {len(value)} entries but the model "
                                         f"{like!r} lives in dimension d = {d}")
        entries = [as_expr(e, family="Empirical", parameter=f"data[{pos}][{j}]") for j, e in enumerate(value)]
        for j, e in enumerate(entries):
            if e.is_number and not (e.is_extended_real and e.is_finite):
                raise InvalidParameterError("Empirical", f"data[{pos}][{j}]", e, "a finite real number")
        return sp.ImmutableMatrix(entries)
    e = as_expr(value, family="Empirical", parameter=f"data[{pos}]")
    if e.is_number:
        # refuse what provably lies outside; a symbolic support (k classes) may leave it undecided
        inside = like.support.contains(e)
        if inside == sp.false or (inside != sp.true and not (e.is_integer and e.is_positive)):
            raise InvalidParameterError("Empirical", f"data[{pos}]", e,
                                        f"a point of the support {like.support} of {like!r}")
    return e


@final
class Empirical(Family):
    """The empirical distribution p̂_n of n samples of ``like``'s sample space.

    * ``Empirical(y, n, like=Q)`` — symbolic samples y[1], …, y[n] (``y`` an ``IndexedBase``, ``n`` a
      positive-integer Symbol or a positive int);
    * ``Empirical([y1, …, yn], like=Q)`` — explicit data, each checked against the support of Q.
    """

    name = "Empirical"
    measure = Measure.COUNTING

    def __init__(self, data, n=None, *, like: Family):
        self._like = _check_like(like, "Empirical")
        if isinstance(data, sp.IndexedBase):
            if n is None:
                raise ArgumentTypeError("Empirical: symbolic samples y[s] need the number of samples n")
            self._n, self._base, self._data = check_n(n), data, None
            return
        if isinstance(data, (set, frozenset, dict)):
            # samples are ordered (y_1, …, y_n, and a symbolic sum indexes them): a set loses order and repeats
            raise ArgumentTypeError(f"Empirical: data must be an ordered list or tuple of samples, not a "
                                    f"{type(data).__name__} (which drops repeated samples and their order)")
        if isinstance(data, (str, bytes)) or not hasattr(data, "__len__"):
            raise ArgumentTypeError(f"Empirical: data must be a list of samples or a SymPy IndexedBase, "
                                    f"not {type(data).__name__}")
        if len(data) == 0:
            raise InvalidParameterError("Empirical", "n", 0, "a positive integer (at least one sample)")
        if n is not None and check_n(n) != len(data):
            raise DimensionMismatchError(f"Empirical: n = {n} but {len(data)} samples were given")
        self._data = tuple(_as_datum(v, self._like, pos) for pos, v in enumerate(data))
        self._n, self._base = sp.Integer(len(self._data)), None

    # -- parameters --------------------------------------------------------------------------------
    @property
    def n(self):
        return self._n

    @property
    def like(self) -> Family:
        return self._like

    @property
    def samples(self):
        """The explicit samples (a tuple), or the IndexedBase of symbolic samples."""
        return self._data if self._data is not None else self._base

    @property
    def is_symbolic(self) -> bool:
        return self._base is not None

    def sample(self, s):
        """The s-th sample y_s (1-based)."""
        if self.is_symbolic:
            d = _vector_dim(self._like)
            if d is not None:
                return sp.ImmutableMatrix([self._base[s, j] for j in range(d)])
            return self._base[s]
        return self._data[int(s) - 1]

    @property
    def parameters(self):
        return {"samples": self.samples, "n": self._n}

    @property
    def sample_space(self):
        return self._like.sample_space

    @property
    def support(self):
        if self.is_symbolic:
            return self._like.support
        return sp.FiniteSet(*self._data) if _vector_dim(self._like) is None else self._like.support

    def variable(self):
        return self._like.variable()

    # -- the empirical measure ---------------------------------------------------------------------
    def average(self, phi, x) -> sp.Expr:
        """(1/n) Σ_s φ(y_s): explicit data summed (equal samples grouped); symbolic samples as one Σ over
        s with the factors free of s pulled out (so (y_s − μ)² stays whole, as in the textbook)."""
        if not self.is_symbolic:
            counts = Counter(self._data)
            return sp.Add(*[c * _at(phi, x, v) for v, c in counts.items()]) / self._n
        c, rest = sp.expand_mul(_at(phi, x, self.sample(S))).as_independent(S, as_Add=False)
        return c * (self._n if rest == 1 else sp.Sum(rest, (S, 1, self._n))) / self._n

    def statistic_moment(self, phi, x):
        return self.average(phi, x), "empirical measure: E_{p̂n}[φ(X)] = (1/n) Σ_s φ(y_s)"

    def log_density(self, x):
        # p̂_n has a density only w.r.t. counting measure on a discrete space, and only for explicit data
        if self.is_symbolic or self._like.measure is not Measure.COUNTING:
            raise DerivationError(
                "the empirical distribution has a density only for explicit data on a discrete sample space; "
                "use cross_entropy(Empirical(...), Q), which needs only Q's density")
        counts = Counter(self._data)
        return sp.Add(*[sp.KroneckerDelta(x, v) * sp.log(sp.Rational(c) / self._n) for v, c in counts.items()])

    def support_points(self):
        if self.is_symbolic or self._like.measure is not Measure.COUNTING:
            return None
        return sorted(set(self._data), key=sp.default_sort_key)

    def mass(self, point):
        return sp.Rational(sum(1 for v in self._data if v == point)) / self._n

    def conditions(self):
        return []

    def __repr__(self) -> str:
        if self.is_symbolic:
            return f"Empirical({self._base}[1..{self._n}], like={self._like!r})"
        return super().__repr__()


def _at(phi, x, value):
    if isinstance(x, sp.MatrixBase):
        return phi.xreplace(dict(zip(list(x), list(value))))
    return phi.xreplace({x: value})


def distribute_sum(f, s, n) -> sp.Expr:
    """Σ_{s=1}^n f by linearity: expand f, pull factors free of s out of each term, Σ_s c = n·c.

    Only products are distributed (``expand_mul``), with one exception: an integer power of a sum that
    contains a sample, such as (y_s − μ)², is expanded too, so the result is a polynomial in the
    empirical moments Σ_s y_s^r (sufficient statistics) — never a sum of something that depends on θ.
    """
    f = sp.expand_mul(f)
    f = f.replace(lambda e: isinstance(e, sp.Pow) and e.exp.is_Integer and e.exp > 0 and isinstance(e.base, sp.Add)
                  and e.base.has(s), lambda e: sp.expand(e))
    f = sp.expand_mul(f)
    out = []
    for term in sp.Add.make_args(f):
        c, rest = term.as_independent(s, as_Add=False)
        out.append(c * n if rest == 1 else c * sp.Sum(rest, (s, 1, n)))
    return sp.Add(*out)


# ---------------------------------------------------------------------------------------------------
def nll(family: Family, n=None, *, data=None, samples: sp.IndexedBase | None = None) -> Derivation:
    """J(θ) = −(1/n) Σ_s log q_θ(y_s) = H(p̂_n, Q_θ): the average negative log-likelihood of ``family``
    over n i.i.d. samples (symbolic: ``nll(Q, n)``; explicit: ``nll(Q, data=[...])``), derived as the
    cross-entropy of the empirical distribution."""
    _check_like(family, "nll")
    if data is not None:
        emp = Empirical(data, n, like=family)
    else:
        if n is None:
            raise ArgumentTypeError("nll: give the number of samples n (symbolic) or data=[...]")
        emp = Empirical(samples if samples is not None else sp.IndexedBase("y", real=True), n, like=family)
    d = cross_entropy(emp, family)
    x = family.variable()
    if emp.is_symbolic:
        avg = -sp.Sum(family.log_density(emp.sample(S)), (S, 1, emp.n)) / emp.n
    else:
        avg = -sp.Add(*[family.log_density(v) for v in emp.samples]) / emp.n
        del x
    steps = (Step(avg, "average negative log-likelihood of the samples = H(p̂_n, Q) by the definition of "
                       "the empirical measure"), *d.steps)
    return Derivation("nll", Quantity.named(sp.Function("J")(sp.Symbol("theta")), text="J(θ)",
                                            defined_as=Quantity.cross_entropy("p̂_n", "Q_θ")), d.result, steps, d.method, d.conditions, (emp, family),
                      infinite_reason=d.infinite_reason)


def empirical_identity(family: Family, n=None, *, data=None, samples=None):
    """Prove H(p̂_n, Q) (derived by the engine) = −(1/n) Σ_s log q(y_s) (written from the definition)."""
    d = nll(family, n, data=data, samples=samples)
    emp = d.distributions[0]
    if emp.is_symbolic:
        rhs = -distribute_sum(family.log_density(emp.sample(S)), S, emp.n) / emp.n
    else:
        rhs = -sp.Add(*[family.log_density(v) for v in emp.samples]) / emp.n
    lhs = cross_entropy(emp, family).result
    name = "H(p̂_n, Q) = −(1/n) Σ log q(y_s)"
    if not (emp.is_symbolic and lhs.has(sp.Sum) and any(
            t.limits[0][0] != S for t in lhs.atoms(sp.Sum))):
        return prove(lhs, rhs, tuple(family.conditions()), name=name)
    # symbolic classes: the engine's form is Σ_i c_i (1/n) Σ_s δ(i, y_s); exchanging the two finite sums
    # gives (1/n) Σ_s F(y_s), and it suffices to prove the summands equal for a generic sample s
    fl = _per_sample(exchange_sums(lhs), emp.n)
    fr = _per_sample(exchange_sums(-sp.Sum(family.log_density(emp.sample(S)), (S, 1, emp.n)) / emp.n), emp.n)
    if fl is None or fr is None:
        raise DerivationError(f"{name}: the two sides are not both sums over the samples ({fl}, {fr})")
    inner = prove(fl, fr, tuple(family.conditions()), name=name + " (summand of a generic sample s)")
    ex = Step(sp.Eq(lhs, sp.Sum(fl, (S, 1, emp.n)), evaluate=False),
              "exchange the finite sums over classes and samples; a constant c is (1/n) Σ_s c (linearity)")
    return dataclasses.replace(inner, lhs=lhs, rhs=rhs, name=name, steps=(ex, *inner.steps))


def _is_sample_sum(x) -> bool:
    return isinstance(x, sp.Sum) and x.limits[-1][0] == S


def _sample_summand(x):
    """The summand of Σ_s (…) (a Sum whose outermost index is the sample index s)."""
    return sp.Sum(x.function, *x.limits[:-1]) if len(x.limits) > 1 else x.function


def exchange_sums(e):
    """Σ_i a_i·Σ_s b_{i,s} → Σ_s Σ_i a_i b_{i,s} (finite sums commute); the sample sum becomes outermost."""
    def fix(outer):
        factors = sp.Mul.make_args(outer.function)
        inner = [f for f in factors if _is_sample_sum(f)]
        if len(inner) != 1:
            return outer
        c = sp.Mul(*[f for f in factors if f is not inner[0]])
        return sp.Sum(sp.Sum(c * _sample_summand(inner[0]), *outer.limits), inner[0].limits[-1])
    e = sp.expand_mul(e)
    return sp.Add(*[t.replace(lambda x: isinstance(x, sp.Sum) and not _is_sample_sum(x), fix)
                    for t in sp.Add.make_args(e)])


def _per_sample(e, n):
    """F with e = Σ_{s=1}^n F(y_s): c·Σ_s f contributes c·f, a term t free of the samples t/n."""
    out = []
    for t in sp.Add.make_args(sp.expand_mul(e)):
        factors = sp.Mul.make_args(t)
        sums = [f for f in factors if _is_sample_sum(f)]
        if len(sums) > 1:
            return None
        if not sums:
            out.append(t / n)
            continue
        out.append(sp.Mul(*[f for f in factors if f is not sums[0]]) * _sample_summand(sums[0]))
    return sp.Add(*out)
