r"""Matrix helpers for the multivariate normal: a scalar quadratic form, an evaluator that instantiates
symbolic-dimension results at explicit matrices, and term-by-term matrix calculus.

Why these exist (all measured with SymPy 1.14):

* a quadratic form vᵀAv is a 1×1 ``MatMul``, which cannot be added to scalars, and wrapping it in
  ``Trace`` lets ``expand_mul`` distribute it into four cross terms; :class:`QuadraticForm` is a scalar
  ``Expr`` that keeps vᵀAv whole, so the engine sees one statistic of X;
* instantiating a symbolic-d result by ``.subs`` silently does nothing, and ``xreplace`` + ``doit``
  computes ``det()``/``inv()`` of full symbolic matrices (55 s for 6×6). :func:`evaluate` walks the
  expression tree instead and asks the covariance's factors (:mod:`.factors`): for Σ = LLᵀ,
  log det Σ = 2 Σᵢ log Lᵢᵢ, Σ⁻¹B = L⁻ᵀ(L⁻¹B) by two triangular solves, tr(Σ_Q⁻¹Σ_P) = ‖L_Q⁻¹L_P‖²_F and
  vᵀΣ⁻¹v = ‖L⁻¹v‖²; for a full symbolic Σ above d = 3 its LDLᵀ pivots; for WWᵀ + diag(D), Woodbury. Only
  an explicit Σ up to d = 3 (or of numbers) is inverted as adj(Σ)/det Σ, the textbook form;
* ``diff`` of a MatrixSymbol expression w.r.t. a mean vector returns 0 and ``diff(log(Determinant(S)), S)``
  returns 0 (SymPy issues 26561, 26585), so :func:`matrix_gradient` differentiates term by term with the
  standard rules (Petersen & Pedersen, *The Matrix Cookbook*, eqs. 57, 61, 81, 100, 124), each checked
  against finite differences in ``tests/test_mvnormal.py``.

Gradients w.r.t. a covariance Σ are *unconstrained* (all d² entries independent) evaluated at a symmetric
Σ, which is why Σ⁻ᵀ is written Σ⁻¹; a parameterisation (Σ = LLᵀ, tied entries Σᵢⱼ = Σⱼᵢ) is applied
afterwards by the chain rule.
"""

from __future__ import annotations

import sympy as sp
from sympy.matrices.expressions import MatrixExpr

from symce.families.mvnormal.factors import (FACTORS, LDL, ZERO, Cholesky, LowRank, dot, frobenius, matmul, rows,
                                             sq_norm, transpose)

__all__ = ["DIM", "QuadraticForm", "Cholesky", "LDL", "LowRank", "evaluate", "factor_of", "matrix_gradient",
           "gradient_of_quadratic", "jacobian_of_affine"]

#: the dimension of the symbolic-d templates (a positive integer symbol)
DIM = sp.Symbol("d", integer=True, positive=True)

# -------------------------------------------------------------------------------------------------
class QuadraticForm(sp.Expr):
    """The scalar vᵀ A v (v a column, A square); ``doit`` multiplies out explicit matrices."""

    is_commutative = True

    def __new__(cls, v, A):
        if isinstance(v, sp.ZeroMatrix) or (isinstance(v, sp.MatrixBase) and v.is_zero_matrix):
            return sp.S.Zero
        return sp.Expr.__new__(cls, v, A)

    @property
    def vector(self):
        return self.args[0]

    @property
    def matrix(self):
        return self.args[1]

    def _eval_is_extended_real(self):
        return True  # symce's means and covariances are real

    def doit(self, **hints):
        v, A = (a.doit(**hints) for a in self.args) if hints.get("deep", True) else self.args
        if isinstance(v, sp.MatrixBase) and isinstance(A, sp.MatrixBase):
            return (v.T * A * v)[0, 0]
        return QuadraticForm(v, A)

    def _sympystr(self, printer):
        v = printer._print(self.vector)
        return f"({v}).T*{printer.parenthesize(self.matrix, 60)}*({v})"

    def _latex(self, printer):
        v = printer._print(self.vector)
        return rf"\left({v}\right)^{{T}} {printer._print(self.matrix)} \left({v}\right)"


# -------------------------------------------------------------------------------------------------
def evaluate(expr, env: dict):
    """Instantiate a symbolic-dimension expression: ``env`` maps MatrixSymbols to explicit
    ``ImmutableMatrix`` values or factored covariances (:mod:`.factors`) and the dimension symbol to an
    integer. Scalars in, scalar out; matrix expressions in, explicit matrix out."""
    if isinstance(expr, MatrixExpr):
        return sp.ImmutableMatrix(_mat(expr, env))
    return _scalar(expr, env)


def factor_of(X, env):
    """The factored covariance X stands for in ``env``, or None (an explicit matrix or not a symbol)."""
    v = env.get(X)
    return v if isinstance(v, FACTORS) else None


def _chol(X, env):
    v = env.get(X)
    return v if isinstance(v, Cholesky) else None


def _inverse_of(M):
    if isinstance(M, sp.Inverse):
        return M.arg
    if isinstance(M, sp.MatPow) and M.exp == -1:
        return M.base
    return None


def _scalar(e, env):
    if e in env:
        return env[e]
    if not e.args:
        return e
    if isinstance(e, QuadraticForm):
        X = _inverse_of(e.matrix)
        F = factor_of(X, env) if X is not None else None
        if F is not None:
            return F.inv_quad(_mat(e.vector, env))  # Cholesky: ‖L⁻¹v‖²; LDLᵀ: Σ (L⁻¹v)ₖ²/pₖ; Woodbury
        v = _mat(e.vector, env)
        if X is not None:  # vᵀ adj(X) v / det X: one shared denominator instead of one per entry of X⁻¹
            M = _mat(X, env)
            return (v.T * M.adjugate(method="berkowitz") * v)[0, 0] / M.det(method="berkowitz")
        return dot(rows(v.T)[0], [dot(r, [c[0] for c in rows(v)]) for r in rows(_mat(e.matrix, env))])
    if isinstance(e, sp.Trace):
        return _trace(e.arg, env)
    if isinstance(e, sp.Determinant):
        F = factor_of(e.arg, env)
        return F.det() if F is not None else _mat(e.arg, env).det(method="berkowitz")
    if isinstance(e, sp.log) and isinstance(e.args[0], sp.Determinant) and factor_of(e.args[0].arg, env):
        return factor_of(e.args[0].arg, env).logdet()
    return e.func(*[_scalar(a, env) for a in e.args])


def _trace(M, env):
    if isinstance(M, sp.Identity):
        return _scalar(M.rows, env)
    if isinstance(M, sp.MatMul):
        coeff, factors = M.as_coeff_matrices()
        if len(factors) == 2:
            X, Y = _inverse_of(factors[0]), factors[1]
            c = _scalar(coeff, env)
            if X is not None and (X == Y or _same_value(env.get(X), env.get(Y))):  # tr(X⁻¹X) = d
                return c * _scalar(X.shape[0], env)
            FX, FY = (factor_of(X, env), factor_of(Y, env)) if X is not None else (None, None)
            if isinstance(FX, Cholesky) and isinstance(FY, Cholesky):
                # tr(L_X⁻ᵀ L_X⁻¹ L_Y L_Yᵀ) = tr((L_X⁻¹L_Y)ᵀ(L_X⁻¹L_Y)) = ‖L_X⁻¹L_Y‖²_F
                return c * sq_norm(FX.solve_lower(FY.L))
            if isinstance(FX, LowRank):  # Woodbury: r×r work
                return c * FX.trace_solve(FY if FY is not None else _mat(Y, env))
            if FX is not None:  # tr(Σ_X⁻¹Y) = ⟨Σ_X⁻¹, Yᵀ⟩ with Σ_X⁻¹ from the factors (shared with the gradient)
                return c * frobenius(FX.inverse, transpose(_mat(Y, env)))
            if X is not None:  # tr(adj(X) Y) / det X
                A, B = _mat(X, env), _mat(Y, env)
                tr = (A.adjugate(method="berkowitz") * B).trace()
                return c * tr / A.det(method="berkowitz")
    return _mat(M, env).trace()


def _same_value(a, b) -> bool:
    """Two env values that stand for the same matrix (KL(P‖P): Σ_P and Σ_Q map to equal values)."""
    if a is None or b is None or type(a) is not type(b):
        return False
    if a is b:
        return True
    if isinstance(a, Cholesky):
        return a.L == b.L
    if isinstance(a, LDL):
        return a.S == b.S
    if isinstance(a, LowRank):
        return a.W == b.W and a.D == b.D
    return a == b


def _chain(factors, env):
    """The product of matrix factors, right to left: Σ⁻¹·B becomes solves with Σ's factors."""
    acc = _mat(factors[-1], env)
    for f in reversed(factors[:-1]):
        X = _inverse_of(f)
        F = factor_of(X, env) if X is not None else factor_of(f, env)
        if F is not None:
            acc = F.solve(acc) if X is not None else F.times(acc)  # LLᵀB: Σ itself never formed
        else:
            acc = sp.ImmutableMatrix(matmul(_mat(f, env), acc))
    return acc


def _scaled(c, M):
    return M if c == 1 else sp.ImmutableMatrix([[c * e if e is not ZERO else ZERO for e in r] for r in rows(M)])


def _mat(M, env):
    if isinstance(M, sp.MatrixBase):
        return M
    if M in env:
        v = env[M]
        return v.full if isinstance(v, FACTORS) else v
    X = _inverse_of(M)
    if X is not None:
        F = factor_of(X, env)
        return F.inverse if F is not None else _mat(X, env).inv()
    if isinstance(M, sp.MatMul):
        coeff, factors = M.as_coeff_matrices()
        c = _scalar(coeff, env)
        for j in range(len(factors) - 1):
            if factors[j].shape[1] == 1 and factors[j + 1].shape[0] == 1:
                # (…·v)(wᵀ·…): the left part ends in a column, so its solves are on vectors (O(d²)), and
                # the rank-one product is formed once — right to left, Σ⁻¹ would act on a d×d matrix
                return _scaled(c, matmul(_chain(factors[:j + 1], env), _chain(factors[j + 1:], env)))
        return _scaled(c, _chain(factors, env))
    if isinstance(M, sp.MatAdd):
        parts = [rows(_mat(a, env)) for a in M.args]
        return sp.ImmutableMatrix([[sp.Add(*[p[i][j] for p in parts if p[i][j] is not ZERO])
                                    for j in range(len(parts[0][0]))] for i in range(len(parts[0]))])
    if isinstance(M, sp.Transpose):
        return _mat(M.arg, env).T
    if isinstance(M, sp.Identity):
        return sp.eye(int(_scalar(M.rows, env)))
    if isinstance(M, sp.ZeroMatrix):
        return sp.zeros(int(_scalar(M.rows, env)), int(_scalar(M.cols, env)))
    raise NotImplementedError(f"cannot instantiate the matrix expression {M} ({type(M).__name__})")
# -------------------------------------------------------------------------------------------------
_GRADIENTS: dict = {}


def matrix_gradient(expr, W, symmetric: set):
    """∂expr/∂W for a scalar ``expr`` built from QuadraticForm, Trace, log Determinant and scalars;
    ``symmetric`` holds the matrix symbols known symmetric (covariances). Returns
    ``(gradient, [(term, its gradient, rule)])`` or ``None`` when a term is outside the rules. Memoised: every explicit
    pair of one dimension-free template asks for the same symbolic gradients."""
    key = (expr, W, frozenset(symmetric))
    if key not in _GRADIENTS:
        _GRADIENTS[key] = _matrix_gradient(expr, W, symmetric)
    return _GRADIENTS[key]


def _matrix_gradient(expr, W, symmetric: set):
    total = sp.ZeroMatrix(*W.shape)
    used = []
    for term in sp.Add.make_args(sp.expand_mul(expr)):
        if W not in term.free_symbols:
            continue
        coeff, kernel = term.as_independent(W, as_Add=False)
        got = _kernel_gradient(kernel, W, symmetric)
        if got is None:
            return None
        g, rule = got
        total = total + coeff * g
        used.append((term, coeff * g, rule))
    return _symmetrise(total.doit(), symmetric), used


def _symmetrise(M, symmetric):
    """Σᵀ = Σ and (Σ⁻¹)ᵀ = Σ⁻¹ for the covariances (the gradient is evaluated at symmetric Σ)."""
    rep = {}
    for S in symmetric:
        rep[sp.Transpose(S)] = S
        rep[sp.Transpose(sp.Inverse(S))] = sp.Inverse(S)
        rep[sp.Inverse(sp.Transpose(S))] = sp.Inverse(S)
    return M.xreplace(rep).doit() if rep else M


def _linear_coeff(v, W):
    """c with v = c·W + (terms free of W), or None."""
    c = sp.S.Zero
    for a in (v.args if isinstance(v, sp.MatAdd) else (v,)):
        if W not in a.free_symbols:
            continue
        if a == W:
            c += 1
        elif isinstance(a, sp.MatMul):
            k, fs = a.as_coeff_matrices()
            if fs != [W] or W in k.free_symbols:
                return None
            c += k
        else:
            return None
    return c


def _kernel_gradient(K, W, symmetric):
    if isinstance(K, QuadraticForm):
        v, A = K.vector, K.matrix
        if W in v.free_symbols and W not in A.free_symbols:
            c = _linear_coeff(v, W)
            if c is None:
                return None
            return c * (A + A.T) * v, "∂(vᵀAv)/∂v = (A + Aᵀ)v, chain rule through v affine in the mean"
        if W not in v.free_symbols and _inverse_of(A) == W:
            Wi = sp.Inverse(W)
            return -Wi.T * v * v.T * Wi.T, "∂(vᵀW⁻¹v)/∂W = −W⁻ᵀvvᵀW⁻ᵀ"
        return None
    if isinstance(K, sp.Trace):
        coeff, fs = K.arg.as_coeff_matrices() if isinstance(K.arg, sp.MatMul) else (sp.S.One, [K.arg])
        if W in coeff.free_symbols:
            return None
        hits = [j for j, f in enumerate(fs) if W in f.free_symbols]
        if len(hits) != 1:
            return None
        j = hits[0]
        rest = fs[j + 1:] + fs[:j]  # tr(F_j R) by cyclicity, R the product of the others
        R = sp.MatMul(*rest).doit() if rest else sp.Identity(W.shape[0])
        if fs[j] == W:
            return coeff * R.T, "∂tr(WR)/∂W = Rᵀ (cyclic trace)"
        if _inverse_of(fs[j]) == W:
            Wi = sp.Inverse(W)
            return -coeff * (Wi * R * Wi).T, "∂tr(W⁻¹R)/∂W = −(W⁻¹RW⁻¹)ᵀ (cyclic trace)"
        return None
    if isinstance(K, sp.log) and isinstance(K.args[0], sp.Determinant) and K.args[0].arg == W:
        return sp.Inverse(W).T, "∂ log det W/∂W = W⁻ᵀ (Jacobi's formula)"
    return None


# -------------------------------------------------------------------------------------------------
def _terms(M):
    return M.args if isinstance(M, sp.MatAdd) else (M,)


def _factors(term):
    return term.as_coeff_matrices() if isinstance(term, sp.MatMul) else (sp.S.One, [term])


def _product(fs, n):
    return sp.MatMul(*fs).doit() if fs else sp.Identity(n)


def gradient_of_quadratic(K, t):
    """∇ₜK for a 1×1 matrix expression K = Σ c·tᵀBt + c·tᵀa + c·aᵀt + (terms free of t):
    ∂(tᵀBt)/∂t = (B + Bᵀ)t, ∂(tᵀa)/∂t = ∂(aᵀt)/∂t = a (Matrix Cookbook eqs. 69, 81). SymPy's own
    matrix ``diff`` gets this right but costs 0.15 s per call (array-expression round trip)."""
    n = t.shape[0]
    out = []
    for term in _terms(K):
        if t not in term.free_symbols:
            continue
        c, fs = _factors(term)
        inner_free = lambda seq: all(t not in f.free_symbols for f in seq)  # noqa: E731
        if t in c.free_symbols:
            return None
        if len(fs) >= 2 and fs[0] == t.T and fs[-1] == t and inner_free(fs[1:-1]):
            B = _product(fs[1:-1], n)
            out.append(c * (B + B.T) * t)
        elif fs[0] == t.T and inner_free(fs[1:]):
            out.append(c * _product(fs[1:], n))
        elif fs[-1] == t and inner_free(fs[:-1]):
            out.append(c * _product(fs[:-1], n).T)
        else:
            return None
    return sp.MatAdd(*out).doit() if out else sp.ZeroMatrix(n, 1)


def jacobian_of_affine(g, t):
    """∂g/∂tᵀ for g = Σ c·Bt + (terms free of t): the matrix Σ c·B."""
    n = t.shape[0]
    out = []
    for term in _terms(g):
        if t not in term.free_symbols:
            continue
        c, fs = _factors(term)
        if fs[-1] != t or t in c.free_symbols or any(t in f.free_symbols for f in fs[:-1]):
            return None
        out.append(c * _product(fs[:-1], n))
    return sp.MatAdd(*out).doit() if out else sp.ZeroMatrix(n, n)
