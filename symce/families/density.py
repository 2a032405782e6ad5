r"""A distribution from a density the user writes down.

.. math:: P(A) = \int_A p(x)\, d\nu(x), \qquad p \ge 0 \text{ on the support}, \quad \int p\, d\nu = 1

``Density(pdf, x, support)`` takes the density (or, with ``log=True``, the log-density) as a SymPy
expression in the symbol ``x`` and the support as a SymPy set. The dominating measure ν follows from the
support (:mod:`symce.families.spaces`): intervals → Lebesgue, integer sets → counting. The parameters are
the free symbols other than ``x``, ordered by name. What can be decided is checked when the distribution
is built (:mod:`symce.families.density_checks`): nonnegativity and normalisation, each "proved" or
"checked numerically" (``.checks``) — a density that fails raises :class:`~symce.errors.DensityError`.

>>> import sympy as sp, symce as sc
>>> x, lam = sp.symbols("x lambda", positive=True)
>>> E = sc.Density(lam * sp.exp(-lam * x), x, sp.Interval(0, sp.oo), name="Exponential")
>>> sc.entropy(E).result
1 - log(lambda)

Entropy, cross-entropy and KL then come from the engine like any family's: linearity over the expanded
log-density, and moments of P by the rules of :mod:`symce.engine.expectation` (integration or summation
over the support, E[log X] through E[X^s], …).
"""

from __future__ import annotations

from typing import final

import sympy as sp

from symce.core.family import as_expr
from symce.errors import ArgumentTypeError, DensityError
from symce.families.density_checks import Check, nonnegativity, normalisation
from symce.families.user_family import UserFamily, check_name, check_variable


@final
class Density(UserFamily):
    """The distribution with density ``pdf`` (a SymPy expression in ``x``) on ``support`` (a SymPy set).

    ``log=True`` says ``pdf`` is the log-density. ``conditions`` are relations on the parameters that SymPy's
    assumptions cannot express (``[p < 1]``); they are recorded in every derivation. ``check=False`` skips the nonnegativity and
    normalisation checks (for densities already known to be right; nothing is then recorded).
    """

    def __init__(self, pdf, x, support, *, log: bool = False, name: str | None = None, conditions=(),
                 check: bool = True):
        who = "Density"
        self.name = check_name(name, "Density", who)
        x = check_variable(x, who)
        expr = as_expr(pdf, family=self.name, parameter="log-density" if log else "density")
        if expr.has(sp.nan, sp.zoo):  # NaN compares with nothing: the checks below would fail with a TypeError
            raise DensityError(f"{who}: argument pdf ({'log-density' if log else 'density'}) {expr} contains "
                               "nan or zoo (an undefined value); a density is a finite expression in the variable")
        if not isinstance(log, bool):
            raise ArgumentTypeError(f"{who}: log must be True or False, not {log!r}")
        self._set_support(support, who)
        twins = [s for s in expr.free_symbols if s.name == x.name and s != x]
        if twins:  # a constant density (uniform) is fine; a look-alike of x is a mistake we can name
            raise ArgumentTypeError(f"{who}: the {'log-density' if log else 'density'} {expr} contains a symbol "
                                    f"{x.name} with other assumptions ({twins[0]._assumptions_orig}) than the variable "
                                    f"{x} ({x._assumptions_orig}); use one symbol for both")
        self._user_x = x
        self._set_variable(x.name, (expr.free_symbols | support.free_symbols) - {x})
        body = expr.xreplace({x: self._x})
        self._set_parameters(expr.free_symbols - {x}, who)
        self._set_conditions(conditions, who)
        self._log = sp.expand_log(body, force=False) if log else _log_of(body, self._x, support, self._conditions)
        self._pdf = sp.exp(body) if log else body
        if check:
            self.checks["nonnegative"] = (Check("proved", "p = exp(log p) > 0") if log
                                          else nonnegativity(self._pdf, self._x, support, self.name,
                                                             conditions=self._conditions))
            self.checks["normalised"] = normalisation(self._pdf, self._x, support, self.measure, self.name,
                                                      conditions=self._conditions)

    # -- the Family interface -------------------------------------------------------------------------
    @property
    def density(self) -> sp.Expr:
        """p(x) at the distribution's own random variable."""
        return self._pdf

    def pdf(self, x):
        return self._pdf.xreplace({self._x: x})

    def log_density(self, x):
        return self._log.xreplace({self._x: x})

    def _key(self):
        # two Densities are the same distribution when the density, the variable's role and the support agree
        return (type(self), self.name, self._space, self._pdf, self._x, self._support, self._conditions)

    def __repr__(self):
        return f"{self.name}(p({self._user_x}) = {self._pdf.xreplace({self._x: self._user_x})} on {self._support})"


def _log_of(pdf: sp.Expr, x, support, conditions=()) -> sp.Expr:
    """log p as a sum of terms, so that the engine's linearity sees each statistic on its own.

    Factor by factor: log(u^c) = c·log u where u is positive on the support (by its assumptions, or —
    for u affine in x — at both ends of the support, so everywhere between), log(e^g) = g. A factor
    whose sign is not known leaves the whole log to ``expand_log``, which splits only what the
    assumptions allow: nothing false is ever written."""
    terms, constant = [], sp.S.One
    for f in sp.Mul.make_args(pdf):
        if x not in f.free_symbols:
            # the factors free of x multiply to a positive constant once every x-factor is positive
            # (p > 0 somewhere); its log is kept whole where the factors' own signs are unknown
            constant *= f
            continue
        if isinstance(f, sp.exp):
            terms.append(f.args[0])
            continue
        base, e = f.as_base_exp()
        if isinstance(base, sp.exp):
            terms.append(e * base.args[0])
        elif base.is_positive or _affine_positive(base, x, support) or _positive_under(base, x, conditions):
            terms.append(e * sp.expand_log(sp.log(base), force=False))
        else:
            return sp.expand(sp.expand_log(sp.log(pdf), force=False))
    return sp.expand(sp.Add(*terms)) + sp.expand_log(sp.log(constant), force=False)


def _positive_under(u, x, conditions) -> bool:
    """u free of x and positive under the user's conditions (1 − p > 0 given p < 1), by SymPy's ask."""
    if x in u.free_symbols or not conditions:
        return False
    try:
        return sp.ask(sp.Q.positive(u), sp.And(*conditions)) is True
    except Exception:  # noqa: BLE001 - the assumptions system gives up on some relations: not positive then
        return False


def _affine_positive(u, x, support) -> bool:
    """u affine in x (not constant) and positive on the interior of an interval support."""
    if x not in u.free_symbols or not isinstance(support, sp.Interval) or not u.is_polynomial(x) \
            or sp.degree(u, x) != 1:
        return False
    ends = [sp.limit(u, x, e) if e.is_infinite else u.xreplace({x: e}) for e in (support.start, support.end)]
    return all(v.is_nonnegative or v is sp.oo for v in ends) and not all(v.is_zero for v in ends)
