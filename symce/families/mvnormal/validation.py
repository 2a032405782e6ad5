"""Validation of multivariate normal parameters: shapes, a real mean, a symmetric positive definite Σ
(exact O(d³) elimination for numbers, conditions for symbols), a lower-triangular Cholesky factor with a
positive diagonal. Bad input raises an error from :mod:`symce.errors` naming the parameter."""

from __future__ import annotations

import math
from collections.abc import Sequence
from fractions import Fraction

import sympy as sp

from symce.core.family import as_expr, check_interval
from symce.errors import ArgumentTypeError, DimensionMismatchError, InvalidParameterError

_NAME = "MultivariateNormal"
_REAL = sp.Interval(-sp.oo, sp.oo)
_POS = sp.Interval.open(0, sp.oo)


def column(mu) -> sp.ImmutableMatrix:
    if isinstance(mu, sp.MatrixBase):
        if mu.cols != 1:
            raise DimensionMismatchError(f"{_NAME}: mu must be a column (d×1) or a list, not {mu.rows}×{mu.cols}")
        mu = list(mu)
    if isinstance(mu, (str, bytes)) or not isinstance(mu, Sequence):
        raise ArgumentTypeError(f"{_NAME}: parameter mu must be a list or column Matrix of numbers or SymPy "
                                f"expressions, not {type(mu).__name__}")
    if len(mu) == 0:
        raise InvalidParameterError(_NAME, "mu", [], "a vector of at least one real entry (d ≥ 1)")
    out = [as_expr(v, family=_NAME, parameter=f"mu[{i}]") for i, v in enumerate(mu)]
    for i, v in enumerate(out):
        check_interval(_NAME, f"mu[{i}]", v, _REAL, "a real number")
    return sp.ImmutableMatrix(out)


def square(M, name) -> sp.ImmutableMatrix:
    if isinstance(M, sp.MatrixBase):
        rows = M.tolist()
    elif isinstance(M, Sequence) and not isinstance(M, (str, bytes)) and all(
            isinstance(r, Sequence) and not isinstance(r, (str, bytes)) for r in M):
        rows = [list(r) for r in M]
    else:
        raise ArgumentTypeError(f"{_NAME}: parameter {name} must be a sympy Matrix or a list of rows, "
                                f"not {type(M).__name__}")
    n = len(rows)
    if n == 0 or any(len(r) != n for r in rows):
        shape = f"{n}×{len(rows[0])}" if n and len({len(r) for r in rows}) == 1 else "ragged"
        raise DimensionMismatchError(f"{_NAME}: {name} must be a square d×d matrix, not {shape}")
    vals = [[as_expr(v, family=_NAME, parameter=f"{name}[{i}, {j}]") for j, v in enumerate(r)]
            for i, r in enumerate(rows)]
    for i in range(n):
        for j in range(n):
            check_interval(_NAME, f"{name}[{i}, {j}]", vals[i][j], _REAL, "a real number")
    return sp.ImmutableMatrix(vals)


def check_size(d, M, name):
    if M.rows != d:
        raise DimensionMismatchError(f"{_NAME}: mu has {d} entries but {name} is {M.rows}×{M.cols}; "
                                     f"{name} must be {d}×{d}")


def check_covariance(S) -> list:
    """Symmetry, positive diagonal, then positive definiteness: decided in O(d³) by exact elimination
    when the entries are numbers; for symbols, recorded as conditions (no d×d symbolic determinant)."""
    n = S.rows
    allowed = "a symmetric positive definite matrix"
    for i in range(n):
        for j in range(i + 1, n):
            if S[i, j] != S[j, i] and sp.expand(S[i, j] - S[j, i]) != 0:
                raise InvalidParameterError(_NAME, "Sigma", S.tolist(), f"{allowed}; entries ({i}, {j}) = {S[i, j]} "
                                            f"and ({j}, {i}) = {S[j, i]} differ (use one expression for both)")
    for i in range(n):
        check_interval(_NAME, f"Sigma[{i}, {i}]", S[i, i], _POS, "a positive variance (the diagonal of a "
                       "positive definite covariance)")
    if not S.free_symbols:
        if not exact_pd(S):
            raise InvalidParameterError(_NAME, "Sigma", S.tolist(), f"{allowed}; it is not positive definite "
                                        "(a Cholesky pivot is ≤ 0)")
        return []
    if n > _MINORS_UP_TO:
        # the k×k leading minors of a symbolic matrix have up to k! terms (12! ≈ 5·10⁸): positive
        # definiteness is recorded as the assumption predicate, with the diagonal it implies
        conds = [sp.StrictGreaterThan(S[i, i], 0) for i in range(n) if not S[i, i].is_positive]
        return conds + [sp.Q.positive_definite(S)]
    conds = []
    for k in range(1, n + 1):  # Sylvester's criterion: every leading principal minor is positive
        minor = S[:k, :k].det(method="berkowitz") if k > 1 else S[0, 0]
        if minor.is_positive:
            continue
        if minor.is_positive is False and minor.is_extended_real:
            raise InvalidParameterError(_NAME, "Sigma", S.tolist(), f"{allowed}; its leading {k}×{k} minor "
                                        f"{minor} is not positive")
        conds.append(sp.StrictGreaterThan(sp.factor_terms(minor), 0))
    return conds


#: up to this d a symbolic Σ records Sylvester's leading minors (at most 3! = 6 terms each), which the
#: numeric layer's proofs use; above it, Q.positive_definite(Σ)
_MINORS_UP_TO = 3


def exact_pd(S) -> bool:
    """Positive definite iff every leading principal minor is > 0 (Sylvester), the minors computed in
    O(d³) by Bareiss' fraction-free elimination. Rational and float entries (a float is a dyadic
    rational: exact, no rounding margin to choose) are scaled by the positive common denominator to
    integers, so every step is an exact integer division; other numbers (√2, π) go through SymPy's
    LDLᵀ pivots."""
    rows = S.tolist()
    if all(isinstance(e, (sp.Rational, sp.Float)) for r in rows for e in r):
        fr = [[fraction(e) for e in r] for r in rows]
        scale = math.lcm(*(f.denominator for r in fr for f in r))
        return _bareiss_pd([[f.numerator * (scale // f.denominator) for f in r] for r in fr])
    A = [list(r) for r in rows]
    n = len(A)
    for k in range(n):
        piv = A[k][k]
        if not piv.is_positive:
            return False
        for i in range(k + 1, n):
            f = A[i][k] / piv
            for j in range(k + 1, n):
                A[i][j] = A[i][j] - f * A[k][j]
    return True


def _bareiss_pd(A: list) -> bool:
    """Integer matrix: after step k, A[k][k] is the (k+1)×(k+1) leading minor; divisions are exact."""
    n, prev = len(A), 1
    for k in range(n):
        piv = A[k][k]
        if piv <= 0:
            return False
        for i in range(k + 1, n):
            aik, row_i, row_k = A[i][k], A[i], A[k]
            for j in range(k + 1, n):
                row_i[j] = (row_i[j] * piv - aik * row_k[j]) // prev
        prev = piv
    return True


def fraction(e) -> Fraction:
    if isinstance(e, sp.Float):
        e = sp.Rational(e)  # the float's exact binary value
    return Fraction(int(e.p), int(e.q))


def check_cholesky(L) -> list:
    n = L.rows
    for i in range(n):
        for j in range(i + 1, n):
            if L[i, j] != 0:
                raise InvalidParameterError(_NAME, "L", L.tolist(), f"lower triangular (entry ({i}, {j}) = "
                                            f"{L[i, j]} above the diagonal must be 0)")
    conds = []
    for i in range(n):
        check_interval(_NAME, f"L[{i}, {i}]", L[i, i], _POS, "positive (the diagonal of a Cholesky factor)")
        if not L[i, i].is_positive:
            conds.append(sp.StrictGreaterThan(L[i, i], 0))
    return conds
