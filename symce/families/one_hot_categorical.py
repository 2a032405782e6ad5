r"""One-hot categorical distribution on the k unit vectors e_1, …, e_k of ℝᵏ: ``probs`` p ∈ Δ^{k−1}, as
``torch.distributions.OneHotCategorical(probs)`` (or ``from_logits(z)``, torch's ``logits``).

.. math:: P(X = e_i) = p_i, \qquad \log p(x) = \sum_{i=1}^k x_i \log p_i,
          \quad x \in \{e_1, \dots, e_k\}

Density w.r.t. counting measure on ℕᵏ (sample space ``("count vector", k)``, shared with
:class:`~symce.families.multinomial.Multinomial`: a one-hot vector is the count vector of one draw), positive on
the k one-hot vectors. Exponential family with η_i = log p_i (or z_i),
T_i(x) = x_i, A(η) = log Σ_j e^{η_j}.

**It shares the categorical's derivations.** X ↦ e_X is a bijection from {1, …, k} onto the one-hot vectors,
and it carries counting measure to counting measure, so P(X = e_i) = p_i is the *same* distribution as
``Categorical(p)`` in another encoding: every integral over the sample space — entropy, cross-entropy, KL —
is the same number (torch's ``OneHotCategorical.entropy`` and its registered KL are the categorical's for
the same reason). So :meth:`OneHotCategorical.template` hands the engine the equivalent
:class:`~symce.families.categorical.Categorical`, the engine derives on it (derived once at symbolic k and
instantiated, memoised, fast at k = 10⁴), and :meth:`instantiate_derivation` carries the derivation back
with its first step naming the change of encoding. Nothing is tabulated, and the two families cannot
disagree. The family keeps its own density, support and natural form, which the tests' oracle uses
(a finite sum over the one-hot vectors, independent of the categorical).

Forms: ``OneHotCategorical([p1, …, pk])`` (explicit k ≥ 2; zeros allowed) and
``OneHotCategorical.from_logits([z1, …, zk])`` / ``from_logits(k=k)``. A symbolic k is not offered: the
support would be a set of vectors of symbolic length (use ``Categorical(p, k=k)``: the same quantities).
"""

from __future__ import annotations

import random
from typing import final

import sympy as sp

from symce.core.expfamily import ExpFamilyForm
from symce.core.family import Example, Family, Measure
from symce.engine.derivation import Derivation, Step
from symce.errors import ArgumentTypeError, InvalidParameterError, SymceError
from symce.families.categorical import Categorical
from symce.families.spaces import count_vector

_NAME = "OneHotCategorical"
_ENCODING = ("change of encoding: X ↦ e_X is a bijection from {1, …, k} onto the one-hot vectors that carries "
             "counting measure to counting measure, so this is the categorical quantity of the same probabilities")


@final
class OneHotCategorical(Family):
    """OneHotCategorical(probs) on the one-hot vectors of ℝᵏ; see the module docstring."""

    name = _NAME
    measure = Measure.COUNTING
    latex_name = r"\mathrm{OneHotCat}"

    def __init__(self, probs, k=None):
        if isinstance(probs, sp.IndexedBase) or isinstance(k, sp.Symbol):
            raise ArgumentTypeError(f"{_NAME}: a symbolic number of classes is not offered (the support would be "
                                    "vectors of symbolic length); Categorical(p, k=k) has the same entropy and KL")
        self._cat = _as_categorical(lambda: Categorical(list(probs) if isinstance(probs, sp.MatrixBase) else probs, k))

    @classmethod
    def from_logits(cls, z=None, k=None, name: str = "z") -> "OneHotCategorical":
        """Softmax of logits (torch's ``logits``): ``z`` a list of real expressions, or ``k`` real symbols
        ``{name}1 …`` for an int ``k`` — as :meth:`Categorical.from_logits` with an explicit k."""
        if isinstance(z, sp.IndexedBase) or isinstance(k, sp.Symbol):
            raise ArgumentTypeError(f"{_NAME}.from_logits: a symbolic number of classes is not offered; "
                                    "Categorical.from_logits(k=k) has the same entropy and KL")
        obj = cls.__new__(cls)
        obj._cat = _as_categorical(lambda: Categorical.from_logits(z, k=k, name=name))
        return obj

    # -- parameters ----------------------------------------------------------------------------------
    @property
    def categorical(self) -> Categorical:
        """The same distribution on {1, …, k} (X = e_i ⇔ class i)."""
        return self._cat

    @property
    def k(self) -> int:
        return self._cat.k

    @property
    def is_logits(self) -> bool:
        return self._cat.is_logits

    @property
    def parameters(self):
        # a column, named as torch's argument (probs or logits)
        return {("logits" if self.is_logits else "probs"): sp.ImmutableMatrix(self._cat.entries)}

    def latex_arguments(self, printer):
        return self._cat.latex_arguments(printer)

    def __repr__(self) -> str:
        kind = "from_logits" if self.is_logits else ""
        return f"{_NAME}{'.' + kind if kind else ''}({list(self._cat.entries)})"

    @property
    def sample_space(self):
        # ℕᵏ with counting measure, as Multinomial's: a one-hot vector is the count vector of one draw
        return ("count vector", self.k)

    @property
    def support(self):
        return sp.FiniteSet(*self.support_points())

    def conditions(self):
        return self._cat.conditions()

    # -- density -------------------------------------------------------------------------------------
    def variable(self):
        return count_vector(self, self.k)

    def log_density(self, x):
        e = self._cat.entries
        if self.is_logits:
            return sp.Add(*[xm * z for xm, z in zip(x, e)]) - sp.log(sp.Add(*[sp.exp(z) for z in e]))
        # a class of probability 0: log-density −∞ at its vector, 0 elsewhere (x·log 0 would be 0·∞)
        return sp.Add(*[sp.Piecewise((-sp.oo, sp.Eq(xm, 1)), (0, True)) if p.is_zero else xm * sp.log(p)
                        for xm, p in zip(x, e)])

    def expfamily(self):
        if not self.is_logits and any(p.is_zero for p in self._cat.entries):
            return None  # a class of probability 0 has no natural parameter (η = −∞)
        x = self.variable()
        etas = sp.symbols(f"eta1:{self.k + 1}", real=True)
        e = self._cat.entries
        values = tuple(e) if self.is_logits else tuple(sp.log(p) for p in e)
        total = sp.Add(*e)
        constrain = None if self.is_logits else (lambda m: m.xreplace({total: sp.S.One}))
        return ExpFamilyForm(tuple(etas), values, tuple(x), sp.log(sp.Add(*[sp.exp(t) for t in etas])),
                             constrain=constrain)

    def support_points(self):
        return [sp.Tuple(*[1 if m == i else 0 for m in range(self.k)]) for i in range(self.k)]

    def mass(self, point):
        try:  # not sp.Integer, which truncates 1/2 to 0; strict: text is never evaluated
            v = [sp.sympify(c, strict=True) for c in point]
        except (sp.SympifyError, TypeError):
            raise ArgumentTypeError(f"{_NAME}: {point!r} is not a vector of numbers") from None
        if len(v) != self.k or any(not (c.is_Integer and c >= 0) for c in v):
            raise ArgumentTypeError(f"{_NAME}: {point!r} is not a vector of {self.k} non-negative integers")
        if sorted(v) != [0] * (self.k - 1) + [1]:
            return sp.S.Zero  # a point of ℕᵏ that is not one-hot (a count vector of several draws)
        return self._cat.mass(v.index(1) + 1)

    # -- the engine derives on the equivalent categorical -----------------------------------------------
    def template(self, role: str):
        return self._cat, {}

    @classmethod
    def instantiate_derivation(cls, derivation, mapping, P, Q):
        dists = (P,) if derivation.quantity == "entropy" else (P, Q)
        # the encoding opens the derivation (the categorical's definition step, in its variable X ∈ {1, …, k});
        # a closing step repeating the result would be dropped by the printers, which merge equal lines
        first, *rest = derivation.steps
        steps = (Step(first.expr, f"{_ENCODING}; {first.rule}"), *rest)
        return Derivation(derivation.quantity, derivation.lhs, derivation.result, steps,
                          f"{derivation.method}; derived on the equivalent categorical", derivation.conditions,
                          dists, gradient_hook=derivation.gradient_hook, infinite_reason=derivation.infinite_reason)


def _as_categorical(build) -> Categorical:
    """Build the categorical, naming this family in a refusal (the checks are the categorical's)."""
    try:
        return build()
    except InvalidParameterError as e:
        raise InvalidParameterError(_NAME, e.parameter, e.value, e.allowed) from None
    except SymceError as e:
        raise type(e)(str(e).replace("Categorical", _NAME, 1)) from None


# -- catalog -----------------------------------------------------------------------------------------
def _sample(dist: OneHotCategorical, rng: random.Random) -> dict:
    entries = dist.categorical.entries
    if dist.is_logits:
        return {s: sp.Rational(rng.randint(-4000, 4000), 1000) for s in entries}
    w = [rng.randint(1, 1000) for _ in entries]  # an interior point of the simplex, exact
    return {s: sp.Rational(a, sum(w)) for s, a in zip(entries, w)}


def _probs(k: int) -> Example:
    return Example(f"onehot-k{k}",
                   lambda i: OneHotCategorical([sp.Symbol(f"p{i}_{m}", positive=True) for m in range(1, k + 1)]),
                   _sample)


#: every example lives on one sample space: tests/test_families.py pairs all examples of a class (families.
#: same_family_pairs), and two sizes would be refused (DimensionMismatchError, rightly). The other sizes are in
#: OTHER_SIZES, tested against the same oracles by tests/test_families_vector.py.
EXAMPLES = [
    _probs(3),
    Example("onehot-logits-k3", lambda i: OneHotCategorical.from_logits(k=3, name=f"z{i}_"), _sample),
]
OTHER_SIZES = [_probs(2)]
