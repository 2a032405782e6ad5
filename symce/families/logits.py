"""Probabilities or logits: torch's two spellings of a success probability (``probs`` p or ``logits``
z = log(p/(1 − p))) for the count families whose last argument is ``probs`` (Binomial, Geometric,
NegativeBinomial). Shared machinery, not a family.

``Family.from_logits(…, logits)`` builds the distribution with p = σ(z) and remembers z, so that its
log-density and natural parameter are written in z (log p = z − log(1 + e^z), log(1 − p) = −log(1 + e^z))
and never as log σ(z); its parameters are then torch's (``logits=…``).
"""

from __future__ import annotations

import sympy as sp

from symce.core.family import as_expr, check_interval
from symce.errors import ArgumentTypeError
from symce.families.univariate import REAL


def softplus(z):
    """log(1 + e^z)."""
    return sp.log(1 + sp.exp(z))


class ProbsOrLogits:
    """Mixin before :class:`~symce.families.univariate.Univariate`; ``probs`` must be the last argument."""

    #: the logit z when the distribution was built by :meth:`from_logits`, else None
    logits = None

    @classmethod
    def from_logits(cls, *args, **kwargs):
        """The distribution with ``probs`` = σ(logits) = e^z/(1 + e^z), as torch's ``…(…, logits=z)``: the
        other arguments as for the constructor, then ``logits`` (by position or by name)."""
        who = f"{cls.__name__}.from_logits"
        others = [a.name for a in cls.arguments[:-1]]
        if "probs" in kwargs:
            raise ArgumentTypeError(f"{who}: give logits, not probs (probs is the constructor's argument)")
        if "logits" in kwargs:
            z = kwargs.pop("logits")
        elif len(args) == len(others) + 1:
            *args, z = args
        else:
            raise ArgumentTypeError(f"{who} takes {', '.join(others + ['logits'])}; logits is missing")
        z = as_expr(z, family=who, parameter="logits")
        check_interval(who, "logits", z, REAL, "a real number (the log-odds of success)")
        obj = cls(*args, probs=sp.exp(z) / (1 + sp.exp(z)), **kwargs)
        obj.logits = z
        return obj

    # -- log p and log(1 − p), in z when the logits were given ------------------------------------------
    def log_probs(self):
        return self.logits - softplus(self.logits) if self.logits is not None else sp.log(self.probs)

    def log_complement(self):
        return -softplus(self.logits) if self.logits is not None else sp.log(1 - self.probs)

    # -- torch's names: logits in place of probs ----------------------------------------------------------
    @property
    def parameters(self):
        out = super().parameters
        if self.logits is None:
            return out
        return {("logits" if k == "probs" else k): (self.logits if k == "probs" else v) for k, v in out.items()}

    def conditions(self):
        out = super().conditions()
        # 0 < σ(z) < 1 holds for every real z: not a condition worth stating
        return out if self.logits is None else [c for c in out if not c.has(self.probs)]

    def latex_arguments(self, printer):
        out = super().latex_arguments(printer)
        if self.logits is not None:
            out[-1] = r"\sigma\left(%s\right)" % printer._print(self.logits)
        return out
