r"""A family the user writes in natural (exponential-family) form.

.. math:: \log p(x) = \eta(\theta)\cdot T(x) - A(\eta) + \log h(x), \qquad x \in \text{support}

``ExponentialFamily(x, support, eta, T, A, log_h)`` takes the natural parameters ``eta`` (expressions in
the parameters θ), the sufficient statistics ``T`` (expressions in ``x``), the log-partition ``A`` and
the log base measure ``log_h``. ``A`` may be written in the parameters θ (then η(θ) is inverted to write
it in free natural symbols) or in natural symbols given as ``eta={η₁: η₁(θ), …}``. Entropy,
cross-entropy and KL then need no integration: E[T_j] = ∂A/∂η_j at η(θ) (the moment map), exactly as for
the shipped families. Building the family checks that exp(η·T − A + log h) integrates to 1 over the
support — proved by integration, or checked numerically and recorded in ``.checks``.

>>> import sympy as sp, symce as sc
>>> x = sp.Symbol("x", positive=True); a, b = sp.symbols("alpha beta", positive=True)
>>> G = sc.ExponentialFamily(x, sp.Interval(0, sp.oo), [a - 1, -b], [sp.log(x), x],
...                          sp.loggamma(a) - a * sp.log(b), 0, name="Gamma")
>>> sc.entropy(G).result   # α − log β + log Γ(α) + (1 − α)ψ(α)
-alpha*polygamma(0, alpha) + alpha - log(beta) + loggamma(alpha) + polygamma(0, alpha)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import final

import sympy as sp

from symce.core.expfamily import ExpFamilyForm
from symce.core.family import as_expr
from symce.errors import ArgumentTypeError
from symce.families.density_checks import Check, normalisation
from symce.families.user_family import UserFamily, check_name, check_variable


@final
class ExponentialFamily(UserFamily):
    """log p(x) = η(θ)·T(x) − A + log h(x) on ``support``; see the module docstring."""

    def __init__(self, x, support, eta, T, A, log_h=0, *, name: str | None = None, conditions=(),
                 check: bool = True):
        who = "ExponentialFamily"
        self.name = check_name(name, "ExponentialFamily", who)
        x = check_variable(x, who)
        self._set_support(support, who)
        if isinstance(eta, Mapping):
            naturals = list(eta.keys())
            values = [as_expr(v, family=self.name, parameter=f"eta[{n}]") for n, v in eta.items()]
            if not all(isinstance(n, sp.Symbol) for n in naturals):
                raise ArgumentTypeError(f"{who}: the keys of eta must be the natural-parameter symbols")
        elif isinstance(eta, Sequence) and not isinstance(eta, (str, bytes)):
            naturals = None
            values = [as_expr(v, family=self.name, parameter=f"eta[{i}]") for i, v in enumerate(eta)]
        else:
            raise ArgumentTypeError(f"{who}: eta must be a list of natural parameters η(θ) or a dict "
                                    f"{{η symbol: η(θ)}}, not {type(eta).__name__}")
        if isinstance(T, (str, bytes)) or not isinstance(T, Sequence):
            raise ArgumentTypeError(f"{who}: T must be a list of statistics T_j(x), not {type(T).__name__}")
        stats = [as_expr(t, family=self.name, parameter=f"T[{j}]") for j, t in enumerate(T)]
        if len(stats) != len(values) or not stats:
            raise ArgumentTypeError(f"{who}: eta and T must have the same (nonzero) length; got {len(values)} "
                                    f"natural parameters and {len(stats)} statistics")
        A = as_expr(A, family=self.name, parameter="A")
        log_h = as_expr(log_h, family=self.name, parameter="log_h")
        theta = set().union(*(v.free_symbols for v in values)) - {x}
        self._set_variable(x.name, theta)
        sub = {x: self._x}
        self._values = tuple(values)
        self._stats = tuple(t.xreplace(sub) for t in stats)
        self._log_h = log_h.xreplace(sub)
        self._naturals, self._A_eta = _natural_partition(naturals, values, A, theta, who)
        self._A_theta = self._A_eta.xreplace(dict(zip(self._naturals, values)))
        self._set_parameters(theta, who)
        self._set_conditions(conditions, who)
        self.checks["nonnegative"] = Check("proved", "p = exp(η·T − A + log h) > 0")
        if check:
            self.checks["normalised"] = normalisation(sp.exp(self.log_density(self._x)), self._x, support,
                                                      self.measure, self.name, conditions=self._conditions)

    def log_density(self, x):
        dot = sp.Add(*[v * t for v, t in zip(self._values, self._stats)])
        return (dot - self._A_theta + self._log_h).xreplace({self._x: x})

    def expfamily(self):
        return ExpFamilyForm(tuple(self._naturals), self._values, self._stats, self._A_eta, self._log_h)

    def _key(self):
        return (type(self), self.name, self._space, self._values, self._stats, self._A_eta, self._log_h,
                self._x, self._support, self._conditions)

    def __repr__(self):
        return f"{self.name}(η = {list(self._values)}, T = {list(self._stats)} on {self._support})"


def _natural_partition(naturals, values, A, theta, who):
    """(natural symbols, A written in them). With A in θ, η(θ) is inverted (a unique solution needed)."""
    if naturals is not None:
        stray = A.free_symbols - set(naturals)
        if stray:
            raise ArgumentTypeError(f"{who}: A must be written in the natural symbols {naturals} when eta is a "
                                    f"dict; it also contains {sorted(map(str, stray))}")
        return list(naturals), A
    etas = [sp.Dummy(f"eta{j + 1}", real=True) for j in range(len(values))]
    unknowns = sorted(A.free_symbols & theta, key=lambda s: s.name)
    if not unknowns:
        return etas, A
    try:
        sols = sp.solve([sp.Eq(e, v) for e, v in zip(etas, values)], unknowns, dict=True)
    except NotImplementedError:
        sols = []
    if len(sols) != 1 or set(sols[0]) != set(unknowns):
        raise ArgumentTypeError(
            f"{who}: could not write A in the natural parameters (solving η = η(θ) for {unknowns} gave "
            f"{len(sols)} solutions); pass eta as a dict {{η symbol: η(θ)}} and write A in those symbols")
    return etas, A.xreplace(sols[0])
