r"""Multivariate normal distribution N(μ, Σ) on ℝᵈ, with explicit d (matrices of expressions) or symbolic d
(matrix symbols).

.. math:: p(x) = (2\pi)^{-d/2} \det(\Sigma)^{-1/2}
          \exp\!\Big(-\tfrac12 (x-\mu)^\top \Sigma^{-1} (x-\mu)\Big),\quad x \in \mathbb{R}^d

Density w.r.t. Lebesgue measure on ℝᵈ; Σ symmetric positive definite. The log-density is written so
that its only x-dependent term is the quadratic form −½(x − μ)ᵀΣ⁻¹(x − μ) (a :class:`QuadraticForm`);
−½ log det Σ − (d/2) log 2π are constants. The cumulant generating function is
K(t) = log E[e^{tᵀX}] = tᵀμ + ½ tᵀΣt: the mean ∇K(0) and covariance ∇²K(0) are *derived* from it, and the
family's own expectation rule :meth:`MultivariateNormal.statistic_moment` turns them into
E[(X − m)ᵀA(X − m)] = tr(AΣ) + (μ − m)ᵀA(μ − m).

Explicit d is never derived entrywise: :meth:`template` maps an explicit instance to a symbolic-d one
(matrix symbols ``mu_P``, ``Sigma_P``, shared dimension ``d``); the engine derives once at symbolic d and
:meth:`instantiate_derivation` evaluates the result at the explicit matrices with
:func:`symce.families.mvnormal.matrix.evaluate` (triangular solves for Σ = LLᵀ, never a symbolic ``det``/``inv``).

Conditions: a symbolic Σ is recorded as ``Q.symmetric(Sigma)`` and ``Q.positive_definite(Sigma)``
(SymPy assumption predicates, which ``sympy.ask``/``refine`` understand; positive definiteness is not a
relation); an explicit Σ of numbers is checked by exact elimination (O(d³)); one with symbols records
Sylvester's criterion (leading principal minors > 0) up to d = 3 and ``Q.positive_definite(Σ)`` above
(the minors of a symbolic matrix have up to d! terms); a Cholesky factor records Lᵢᵢ > 0 for diagonal
entries not already declared positive.
"""

from __future__ import annotations

from typing import final

import sympy as sp
from sympy.matrices.expressions import MatrixExpr
from sympy.matrices.expressions.sets import MatrixSet

from symce.errors import ArgumentTypeError, DimensionMismatchError, InvalidParameterError
from symce.core.family import Example, Family, Measure
from symce.engine.information import register_cache
from symce.core.notation import common_name, latex_bold, latex_vector
from symce.families.mvnormal.matrix import (DIM, LDL, Cholesky, QuadraticForm, gradient_of_quadratic,
                                            jacobian_of_affine)
from symce.families.mvnormal.symbolic import instantiate
from symce.families.mvnormal.validation import check_cholesky, check_covariance, check_size, column, square

_NAME = "MultivariateNormal"
#: the dimension symbol of the templates (and of the catalog's symbolic-d example)
D = DIM
_MOMENTS: dict = {}
#: up to this d a full Σ is instantiated by its explicit determinant and adjugate: polynomials of ≤ 5! terms,
#: the textbook form symce.lambdify's stabiliser handles (KL + gradient lambdified in 4 s at d = 4, 47 s at
#: d = 5; on the LDLᵀ form's nested quotients it took 33 s for the d = 4 KL alone, and its d = 5 gradient is a
#: 10⁶-node tree). Above it, by its LDLᵀ factors: the explicit form costs 55 s at d = 6 and grows like d!
_EXPLICIT_UP_TO = 5
register_cache(_MOMENTS.clear)


@final
class MultivariateNormal(Family):
    """N(mu, Sigma) on ℝᵈ. Explicit d: ``mu`` a list/column Matrix of d expressions, ``Sigma`` a d×d
    symmetric Matrix (or :meth:`from_cholesky`). Symbolic d: ``mu`` a ``MatrixSymbol(d, 1)`` (or a
    d×1 matrix expression), ``Sigma`` a ``MatrixSymbol(d, d)``, d a positive integer Symbol."""

    name = _NAME
    measure = Measure.LEBESGUE

    def __init__(self, mu, Sigma):
        self.L = None
        self._chol = None
        if isinstance(mu, MatrixExpr) or isinstance(Sigma, MatrixExpr):
            self._init_symbolic(mu, Sigma)
            return
        self.mu = column(mu)
        self.Sigma = square(Sigma, "Sigma")
        self.d = len(self.mu)
        check_size(self.d, self.Sigma, "Sigma")
        self._conds = check_covariance(self.Sigma)

    @classmethod
    def from_cholesky(cls, mu, L) -> "MultivariateNormal":
        """N(mu, L Lᵀ) with L lower triangular with positive diagonal (det Σ = Π Lᵢᵢ²): the fast route."""
        obj = cls.__new__(cls)
        obj.mu = column(mu)
        obj.L = square(L, "L")
        obj.d = len(obj.mu)
        check_size(obj.d, obj.L, "L")
        obj._conds = check_cholesky(obj.L)
        obj.Sigma = None
        obj._chol = Cholesky(obj.L)
        return obj

    @classmethod
    def symbolic(cls, d, name: str = "1", cholesky: bool = True) -> "MultivariateNormal":
        """A distribution with fresh symbols. Explicit ``d``: means ``mu{name}_i`` (real) and either the
        factor ``L{name}_ij`` (i ≥ j, diagonal positive) or the symmetric ``Sigma{name}_ij`` (i ≤ j,
        diagonal positive). Symbolic ``d``: ``MatrixSymbol``s ``mu{name}`` and ``Sigma{name}``
        (``cholesky`` applies to explicit d only)."""
        if isinstance(d, sp.Symbol):
            return cls(sp.MatrixSymbol(f"mu{name}", d, 1), sp.MatrixSymbol(f"Sigma{name}", d, d))
        if isinstance(d, bool) or not isinstance(d, (int, sp.Integer)) or d < 1:
            raise InvalidParameterError(_NAME, "d", d, "a positive integer or a positive integer Symbol")
        d = int(d)
        sep = "_" if d > 9 else ""
        mu = [sp.Symbol(f"mu{name}_{i + 1}", real=True) for i in range(d)]

        def entry(prefix, i, j):
            return sp.Symbol(f"{prefix}{name}_{i + 1}{sep}{j + 1}", **({"positive": True} if i == j else {"real": True}))

        if cholesky:
            return cls.from_cholesky(mu, sp.Matrix(d, d, lambda i, j: entry("L", i, j) if i >= j else 0))
        return cls(mu, sp.Matrix(d, d, lambda i, j: entry("Sigma", min(i, j), max(i, j))))

    def _init_symbolic(self, mu, Sigma):
        if not (isinstance(mu, MatrixExpr) and isinstance(Sigma, sp.MatrixSymbol)):
            raise ArgumentTypeError(
                f"{_NAME}: for a symbolic dimension pass mu as a MatrixSymbol(d, 1) (or a d×1 matrix expression) "
                f"and Sigma as a MatrixSymbol(d, d); for an explicit dimension pass lists/sympy Matrices "
                f"(got mu: {type(mu).__name__}, Sigma: {type(Sigma).__name__})")
        n, m = Sigma.shape
        if n != m:
            raise DimensionMismatchError(f"{_NAME}: Sigma must be square (d×d), not {n}×{m}")
        if not isinstance(n, sp.Symbol):
            raise ArgumentTypeError(
                f"{_NAME}: Sigma = MatrixSymbol of explicit size {n}×{m}; for an explicit dimension pass a "
                "sympy Matrix of expressions (MultivariateNormal.symbolic(d) builds one), for a symbolic "
                "dimension use a positive integer Symbol d")
        if not (n.is_integer and n.is_positive):
            raise InvalidParameterError(_NAME, "d", n, "a positive integer Symbol, e.g. "
                                        "sympy.Symbol('d', integer=True, positive=True)")
        if mu.shape != (n, 1):
            raise DimensionMismatchError(f"{_NAME}: mu has shape {mu.shape} but Sigma is {n}×{n}; "
                                         f"mu must be a column of shape ({n}, 1)")
        self.mu, self.Sigma, self.d = mu, Sigma, n
        self._conds = [sp.Q.symmetric(Sigma), sp.Q.positive_definite(Sigma)]

    # -- parameters ----------------------------------------------------------------------------------
    @property
    def is_symbolic(self) -> bool:
        """True when the dimension d is a Symbol (matrix-symbol parameters)."""
        return not isinstance(self.d, int)

    @property
    def parameters(self):
        return {"mu": self.mu, "L": self.L} if self.L is not None else {"mu": self.mu, "Sigma": self.Sigma}

    # -- notation: N(μ, Σ), N(μ₁, L₁L₁ᵀ) for the catalog's entry names, the mean bold ------------------
    latex_name = r"\mathcal{N}"

    def latex_arguments(self, printer):
        mu = self.mu
        if isinstance(mu, sp.MatrixBase):
            name = common_name(mu)
            mu_tex = latex_bold(printer, name) if name else latex_vector(printer, list(mu), column=True)
        else:
            mu_tex = printer._print(mu)
        if self.L is not None:
            name = common_name(self.L)
            Lt = printer._print(sp.Symbol(name)) if name else printer._print(self.L)
            return [mu_tex, r"%s %s^{\mathsf{T}}" % (Lt, Lt)]
        name = common_name(self.Sigma) if isinstance(self.Sigma, sp.MatrixBase) else None
        return [mu_tex, printer._print(sp.Symbol(name)) if name else printer._print(self.Sigma)]

    @property
    def covariance(self):
        """Σ as given, or L Lᵀ (explicit) for the Cholesky parameterisation."""
        return self._chol.full if self._chol is not None else self.Sigma

    @property
    def free_symbols(self):
        return super().free_symbols | ({self.d} if self.is_symbolic else set())

    @property
    def sample_space(self):
        return ("real^d", self.d)

    @property
    def support(self):
        return MatrixSet(self.d, 1, sp.Reals)

    def conditions(self):
        return list(self._conds)

    # -- density -------------------------------------------------------------------------------------
    def variable(self):
        # never reuse a parameter's name for the random variable (mirrors family.random_variable)
        taken = {getattr(s, "name", None) for s in self.free_symbols}
        if self.is_symbolic:
            return sp.MatrixSymbol("X" if "X" not in taken else "X_", self.d, 1)
        names = [f"X{i + 1}" for i in range(self.d)]
        make = sp.Dummy if taken.intersection(names) else sp.Symbol
        return sp.ImmutableMatrix([make(n, real=True) for n in names])

    def log_density(self, x):
        if self.is_symbolic:
            quad = QuadraticForm(x - self.mu, sp.Inverse(self.Sigma))
            logdet = sp.log(sp.Determinant(self.Sigma))
        elif self._chol is not None:  # plain scalar in the entries of x: ‖L⁻¹(x − μ)‖², log det = 2 Σ log Lᵢᵢ
            quad = sp.Add(*[e**2 for e in self._chol.solve_lower(sp.ImmutableMatrix(x) - self.mu)])
            logdet = self._chol.logdet()
        else:
            v = sp.ImmutableMatrix(x) - self.mu
            quad = (v.T * self.Sigma.inv() * v)[0, 0]
            logdet = sp.log(self.Sigma.det())
        return -quad / 2 - logdet / 2 - self.d * sp.log(2 * sp.pi) / 2

    def cumulant_function(self, t):
        """K(t) = log E[exp(tᵀX)] = tᵀμ + ½ tᵀΣt (a scalar; t a column of the right size)."""
        if self.is_symbolic:
            return t.T * self.mu + t.T * self.Sigma * t / 2
        return (t.T * self.mu)[0, 0] + (t.T * self.covariance * t)[0, 0] / 2

    def mean_and_covariance(self):
        """(E X, Cov X) = (∇K(0), ∇²K(0)), differentiated from the cumulant generating function
        (memoised per parameter values: the engine asks once per quadratic form)."""
        key = (self.mu, self.covariance if self.L is None else self.L)
        if key not in _MOMENTS:
            _MOMENTS[key] = self._mean_and_covariance()
        return _MOMENTS[key]

    def _mean_and_covariance(self):
        if self.is_symbolic:
            t = sp.MatrixSymbol("t", self.d, 1)
            grad = gradient_of_quadratic(self.cumulant_function(t), t)
            # ∇²(½tᵀΣt) = ½(Σ + Σᵀ) = Σ for symmetric Σ
            hess = jacobian_of_affine(grad, t).xreplace({sp.Transpose(self.Sigma): self.Sigma})
            return grad.xreplace({t: sp.ZeroMatrix(self.d, 1)}).doit(), hess.doit()
        ts = [sp.Dummy(f"t{i}") for i in range(self.d)]
        K = self.cumulant_function(sp.ImmutableMatrix(ts))
        zero = {t: 0 for t in ts}
        grad = [sp.diff(K, t) for t in ts]
        mean = sp.ImmutableMatrix([g.xreplace(zero) for g in grad])
        cov = sp.ImmutableMatrix(self.d, self.d, lambda i, j: sp.expand(sp.diff(grad[i], ts[j])))
        return mean, cov

    def statistic_moment(self, phi, x):
        """E[(X − m)ᵀA(X − m)] = tr(AΣ) + (μ − m)ᵀA(μ − m) for a quadratic form in X."""
        if not isinstance(phi, QuadraticForm):
            return None
        v, A = phi.vector, phi.matrix
        m = (x - v).doit() if self.is_symbolic else sp.ImmutableMatrix(x) - v
        xs = x.free_symbols if self.is_symbolic else set().union(*(e.free_symbols for e in x))
        if m.free_symbols & xs or A.free_symbols & xs:
            return None
        mean, cov = self.mean_and_covariance()
        AS = A * cov
        if isinstance(AS, sp.Identity):
            tr = AS.rows
        elif isinstance(AS, MatrixExpr):
            tr = sp.Trace(AS)
        else:
            tr = AS.trace()
        shift = (mean - m).doit() if self.is_symbolic else mean - m
        quad = QuadraticForm(shift, A)
        value = tr + (quad if self.is_symbolic else quad.doit())
        return value, ("E[(X − m)ᵀA(X − m)] = tr(AΣ) + (μ − m)ᵀA(μ − m): a scalar is its own trace, trace is "
                       "cyclic and linear, E[(X − m)(X − m)ᵀ] = Σ + (μ − m)(μ − m)ᵀ; mean μ = ∇K(0) and "
                       "covariance Σ = ∇²K(0) from the cumulant generating function K(t) = tᵀμ + ½tᵀΣt")

    # -- derived once at symbolic d, instantiated ------------------------------------------------------
    def template(self, role: str):
        if self.is_symbolic:
            # already symbolic: its counterpart is itself (a bare copy, so the engine derives it directly);
            # instantiating with the empty mapping only attaches the matrix-calculus gradient hook
            if getattr(self, "_bare", False):
                return None
            bare = MultivariateNormal(self.mu, self.Sigma)
            bare._bare = True
            return bare, {}
        mu_t, S_t = sp.MatrixSymbol(f"mu_{role}", D, 1), sp.MatrixSymbol(f"Sigma_{role}", D, D)
        mapping = {mu_t: self.mu, S_t: self._covariance_value(), D: self.d}
        counterpart = MultivariateNormal(mu_t, S_t)
        counterpart._bare = True  # derived directly (its gradient hook comes from the instantiation)
        return counterpart, mapping

    def _covariance_value(self):
        """What Σ stands for when a symbolic-d result is instantiated: the Cholesky factor; above d = 5 a
        symbolic full Σ factored as L·diag(p)·Lᵀ (its determinant and adjugate have up to d! terms); else Σ."""
        if self._chol is not None:
            return self._chol
        if self.d > _EXPLICIT_UP_TO and self.Sigma.free_symbols:
            return LDL(self.Sigma)
        return self.Sigma

    @classmethod
    def instantiate_derivation(cls, derivation, mapping, P, Q):
        return instantiate(derivation, mapping, P, Q)


# -- catalog ------------------------------------------------------------------------------------------
def _rat(rng, lo, hi):
    return sp.Rational(rng.randint(lo, hi), 1000)


def _cholesky_points(dist, rng):
    """Diagonal of L in [0.5, 2], other entries of L and the means in [−1, 1]."""
    return {s: _rat(rng, 500, 2000) if s.is_positive else _rat(rng, -1000, 1000) for s in dist.free_symbols}


def _full_points(dist, rng):
    """d = 2: variances in [1, 3] and covariance in [−0.9, 0.9], so det Σ ≥ 1 − 0.81 > 0."""
    return {s: _rat(rng, 1000, 3000) if s.is_positive else _rat(rng, -900, 900) for s in dist.free_symbols}


#: the explicit dimension at which the symbolic-d example is sampled (P and Q must agree on d)
SAMPLE_D = 3


def _symbolic_points(dist, rng):
    """Values for ``{d, mu_i, Sigma_i}``: d = SAMPLE_D, a column and an SPD matrix L Lᵀ. Instantiate a
    symbolic-d result with ``expr.xreplace(values).doit()`` (``subs`` silently ignores d)."""
    n = SAMPLE_D
    L = sp.ImmutableMatrix(n, n, lambda i, j: _rat(rng, 500, 2000) if i == j else (_rat(rng, -1000, 1000) if i > j else 0))
    return {dist.d: n, dist.mu: sp.ImmutableMatrix([_rat(rng, -1000, 1000) for _ in range(n)]),
            dist.Sigma: sp.ImmutableMatrix(L * L.T)}


EXAMPLES = [
    *[Example(f"mvnormal-d{n}", lambda i, n=n: MultivariateNormal.symbolic(n, str(i)), _cholesky_points)
      for n in (1, 2, 3)],
    Example("mvnormal-d2-full", lambda i: MultivariateNormal.symbolic(2, str(i), cholesky=False), _full_points),
    Example("mvnormal-symbolic-d", lambda i: MultivariateNormal.symbolic(D, str(i)), _symbolic_points),
]
