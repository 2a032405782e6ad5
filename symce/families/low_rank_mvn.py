r"""Low-rank multivariate normal N(μ, W Wᵀ + diag(D)) on ℝᵈ: ``loc`` μ (d entries), ``cov_factor`` W (d×r)
and ``cov_diag`` D (d positive entries), as ``torch.distributions.LowRankMultivariateNormal(loc,
cov_factor, cov_diag)``; explicit d and r.

.. math:: p(x) = (2\pi)^{-d/2} \det(\Sigma)^{-1/2}
          \exp\!\Big(-\tfrac12 (x-\mu)^\top \Sigma^{-1} (x-\mu)\Big),\qquad \Sigma = W W^\top + \operatorname{diag}(D)

Density w.r.t. Lebesgue measure on ℝᵈ: a multivariate normal, so it is derived as one. :meth:`template`
presents μ and Σ to the engine as the symbolic-d multivariate normal's matrix symbols (the same template as
:class:`~symce.families.mvnormal.MultivariateNormal`), the engine derives entropy, cross-entropy and KL once
at symbolic d, and the result is instantiated at Σ = W Wᵀ + diag(D) by the multivariate normal's
evaluator — so a low-rank normal meets a full or Cholesky one (torch's mixed pairs) on the same path and no
formula in Σ is written here. Σ is handed over as its factors (:class:`~symce.families.mvnormal.factors.LowRank`),
never as the dense d×d matrix (whose symbolic inverse took 8–30 s per item at d = 3): log det Σ, Σ⁻¹B and
the gradient's chain rule ∂/∂W = 2GW, ∂/∂Dᵢ = Gᵢᵢ go through the Woodbury identity and the matrix
determinant lemma with the r×r capacitance C = I + Wᵀ D⁻¹ W, as the log-density itself does:

    (x − μ)ᵀΣ⁻¹(x − μ) = ‖D^{−1/2}(x − μ)‖² − vᵀC⁻¹v,  v = WᵀD⁻¹(x − μ),   log det Σ = log det C + Σ log Dᵢ.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import final

import sympy as sp
from sympy.matrices.expressions.sets import MatrixSet

from symce.core.family import Example, Family, Measure, as_expr, check_interval
from symce.core.notation import common_name, latex_bold
from symce.engine.information import register_cache
from symce.errors import ArgumentTypeError, DimensionMismatchError, InvalidParameterError
from symce.families.mvnormal import MultivariateNormal
from symce.families.mvnormal.matrix import DIM, LowRank
from symce.families.mvnormal.symbolic import instantiate

_NAME = "LowRankMultivariateNormal"
#: the factored covariance per (W, D), shared by every derivation that instantiates one: a pair's CE and KL,
#: their gradients and the other items that meet the same distribution reuse what a LowRank computes lazily
#: (C's determinant and adjugate, Σ⁻¹W, Σ⁻¹), which each template built afresh before
_FACTORED: dict = {}
_FACTORED_SIZE = 64
register_cache(_FACTORED.clear)
_REAL = sp.Interval(-sp.oo, sp.oo)
_POS = sp.Interval.open(0, sp.oo)


def _entries(v, name: str, domain, allowed: str) -> list:
    out = [as_expr(e, family=_NAME, parameter=f"{name}[{i}]") for i, e in enumerate(v)]
    for i, e in enumerate(out):
        check_interval(_NAME, f"{name}[{i}]", e, domain, allowed)
    return out


def _vector(v, name: str, domain=_REAL, allowed: str = "a real number") -> sp.ImmutableMatrix:
    if isinstance(v, sp.MatrixBase):
        if v.cols != 1:
            raise DimensionMismatchError(f"{_NAME}: {name} must be a vector (a list or a d×1 column), "
                                         f"not {v.rows}×{v.cols}")
        v = list(v)
    if isinstance(v, (str, bytes)) or not isinstance(v, Sequence):
        raise ArgumentTypeError(f"{_NAME}: {name} must be a list or column Matrix of numbers or SymPy "
                                f"expressions, not {type(v).__name__}")
    if len(v) == 0:
        raise InvalidParameterError(_NAME, name, [], "a vector of at least one entry (d ≥ 1)")
    return sp.ImmutableMatrix(_entries(v, name, domain, allowed))


def _factor(W) -> sp.ImmutableMatrix:
    if isinstance(W, sp.MatrixBase):
        rows = W.tolist()
    elif isinstance(W, Sequence) and not isinstance(W, (str, bytes)) and all(
            isinstance(r, Sequence) and not isinstance(r, (str, bytes)) for r in W):
        rows = [list(r) for r in W]
    else:
        raise ArgumentTypeError(f"{_NAME}: cov_factor must be a d×r sympy Matrix or a list of d rows, "
                                f"not {type(W).__name__}")
    if not rows or len({len(r) for r in rows}) != 1 or not rows[0]:
        raise DimensionMismatchError(f"{_NAME}: cov_factor must be a d×r matrix with r ≥ 1 (rows of equal length)")
    r = len(rows[0])
    flat = _entries([e for row in rows for e in row], "cov_factor", _REAL, "a real number")
    return sp.ImmutableMatrix(len(rows), r, flat)


@final
class LowRankMultivariateNormal(Family):
    """N(loc, cov_factor·cov_factorᵀ + diag(cov_diag)) on ℝᵈ, explicit d and rank r."""

    name = _NAME
    measure = Measure.LEBESGUE
    #: no Cholesky factor: the multivariate normal's instantiation sees Σ in full (its ``_route`` asks)
    L = None
    #: arguments that are matrices even with one column (torch wants cov_factor as d×r, loc and cov_diag as
    #: vectors); a column Matrix is otherwise a vector
    matrix_arguments = ("cov_factor",)
    latex_name = r"\mathcal{N}"

    def __init__(self, loc, cov_factor, cov_diag):
        self.loc = _vector(loc, "loc")
        self.cov_factor = _factor(cov_factor)
        self.cov_diag = _vector(cov_diag, "cov_diag", _POS, "a positive real number (a diagonal variance)")
        self.d, self.rank = len(self.loc), self.cov_factor.cols
        for name, n in (("cov_factor", self.cov_factor.rows), ("cov_diag", len(self.cov_diag))):
            if n != self.d:
                raise DimensionMismatchError(f"{_NAME}: loc has {self.d} entries but {name} has {n} rows; "
                                             f"both must have d = {self.d}")

    # -- the Family interface --------------------------------------------------------------------------
    @property
    def parameters(self):
        return {"loc": self.loc, "cov_factor": self.cov_factor, "cov_diag": self.cov_diag}

    @property
    def sample_space(self):
        return ("real^d", self.d)  # the multivariate normal's: the two are compared with each other

    @property
    def support(self):
        return MatrixSet(self.d, 1, sp.Reals)

    def conditions(self):
        return [sp.StrictGreaterThan(v, 0) for v in self.cov_diag if v.is_positive is not True]

    @property
    def covariance(self) -> sp.ImmutableMatrix:
        """Σ = W Wᵀ + diag(D) (d×d, formed only where a full matrix is asked for)."""
        W = self.cov_factor
        return sp.ImmutableMatrix(W * W.T + sp.diag(*self.cov_diag))

    def variable(self):
        taken = {getattr(s, "name", None) for s in self.free_symbols}
        names = [f"X{i + 1}" for i in range(self.d)]
        make = sp.Dummy if taken.intersection(names) else sp.Symbol
        return sp.ImmutableMatrix([make(n, real=True) for n in names])

    def log_density(self, x):
        W, D = self.cov_factor, self.cov_diag
        e = sp.ImmutableMatrix(x) - self.loc
        Dinv = sp.diag(*[1 / v for v in D])
        C = sp.ImmutableMatrix(sp.eye(self.rank) + W.T * Dinv * W)  # the r×r capacitance
        v = W.T * Dinv * e
        quad = sp.Add(*[e[i] ** 2 / D[i] for i in range(self.d)]) - (v.T * C.inv() * v)[0, 0]
        logdet = sp.log(C.det()) + sp.Add(*[sp.log(t) for t in D])
        return -quad / 2 - logdet / 2 - self.d * sp.log(2 * sp.pi) / 2

    # -- derived as a multivariate normal ------------------------------------------------------------
    def template(self, role: str):
        mu_t, S_t = sp.MatrixSymbol(f"mu_{role}", DIM, 1), sp.MatrixSymbol(f"Sigma_{role}", DIM, DIM)
        counterpart = MultivariateNormal(mu_t, S_t)
        counterpart._bare = True  # derived directly; the gradient hook comes from the instantiation
        return counterpart, {mu_t: self.loc, S_t: _factored(self.cov_factor, self.cov_diag), DIM: self.d}

    @classmethod
    def instantiate_derivation(cls, derivation, mapping, P, Q):
        return instantiate(derivation, mapping, P, Q)

    def latex_arguments(self, printer):
        mu = common_name(self.loc)
        W, D = common_name(self.cov_factor), common_name(self.cov_diag)
        mu_tex = latex_bold(printer, mu) if mu else printer._print(self.loc)
        W_tex = printer._print(sp.Symbol(W)) if W else printer._print(self.cov_factor)
        D_tex = latex_bold(printer, D) if D else printer._print(self.cov_diag)
        return [mu_tex, r"%s %s^{\mathsf{T}} + \operatorname{diag}(%s)" % (W_tex, W_tex, D_tex)]


def _factored(W: sp.ImmutableMatrix, D: sp.ImmutableMatrix) -> LowRank:
    hit = _FACTORED.get((W, D))
    if hit is None:
        if len(_FACTORED) >= _FACTORED_SIZE:
            _FACTORED.pop(next(iter(_FACTORED)))
        hit = _FACTORED[(W, D)] = LowRank(W, list(D))
    return hit


# -- catalog ------------------------------------------------------------------------------------------
def symbolic(d: int, r: int, name: str) -> LowRankMultivariateNormal:
    """Fresh symbols: means ``mu{name}_i`` (real), factor ``W{name}_ij`` (real), diagonal ``D{name}_i`` (positive)."""
    mu = [sp.Symbol(f"mu{name}_{i + 1}", real=True) for i in range(d)]
    W = sp.Matrix(d, r, lambda i, j: sp.Symbol(f"W{name}_{i + 1}{j + 1}", real=True))
    D = [sp.Symbol(f"D{name}_{i + 1}", positive=True) for i in range(d)]
    return LowRankMultivariateNormal(mu, W, D)


def _points(dist, rng: random.Random) -> dict:
    """Diagonal variances in [0.5, 2], factor entries and means in [−1, 1]."""
    return {s: sp.Rational(rng.randint(500, 2000) if s.is_positive else rng.randint(-1000, 1000), 1000)
            for s in dist.free_symbols}


#: one dimension for all examples (pairs of examples are compared on one sample space), two ranks
EXAMPLES = [
    Example("lowrank-mvn-d3-r1", lambda i: symbolic(3, 1, str(i)), _points),
    Example("lowrank-mvn-d3-r2", lambda i: symbolic(3, 2, str(i)), _points),
]
