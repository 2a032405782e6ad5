r"""The chain rule from a symbolic-d matrix gradient G = ∂f/∂Σ (and ∂f/∂μ) to the entries a user wrote:
one row (entry θ, ∂f/∂θ) per entry of each explicit parameter, for each parameterisation of Σ.

* Σ = LLᵀ (:class:`Cholesky`): ∂f/∂L = (G + Gᵀ)L = 2GL, lower triangle. G's terms are c·Σ⁻¹,
  c·Σ⁻¹MΣ⁻¹ and c·Σ_Y⁻¹ (the other distribution's), so 2GL = 2L⁻ᵀ(c·I + Σ c·L⁻¹ML⁻ᵀ) + … : one back
  substitution, and since back substitution reaches row j from below, the lower triangle never needs the
  upper one. L⁻¹ML⁻ᵀ is AAᵀ with A = L⁻¹L_Y (already solved for the KL's trace) for M = L_YL_Yᵀ and abᵀ
  for M = vwᵀ. Measured at d = 32: evaluating each term right to left through dense products cost 9 s.
* Σ symmetric with tied entries Σᵢⱼ = Σⱼᵢ (:class:`LDL` or an explicit d ≤ 3 matrix): ∂f/∂Σᵢⱼ = Gᵢⱼ + Gⱼᵢ
  = 2Gᵢⱼ off the diagonal (G is symmetric at symmetric Σ: every matrix-calculus rule output is), Gᵢᵢ on it.
* Σ = WWᵀ + diag(D) (:class:`LowRank`): ∂f/∂W = (G + Gᵀ)W = 2GW, ∂f/∂Dᵢ = Gᵢᵢ.
* means: ∂f/∂μ evaluated entry by entry.

Rows are computed per parameter, only for the parameters whose symbols are asked for.
"""

from __future__ import annotations

import sympy as sp

from symce.families.mvnormal.factors import (LDL, ZERO, Cholesky, LowRank, backward, forward, matmul, quad_with, rows,
                                             transpose)
from symce.families.mvnormal.matrix import _inverse_of, _mat, _scalar, evaluate, factor_of


def value_symbols(v) -> set:
    """The free symbols of an env value (a matrix or a factored covariance)."""
    if isinstance(v, Cholesky):
        return v.L.free_symbols
    if isinstance(v, LDL):
        return v.S.free_symbols
    if isinstance(v, LowRank):
        return v.W.free_symbols | set().union(*(sp.sympify(e).free_symbols for e in v.D))
    return v.free_symbols if isinstance(v, sp.Basic) else set()


def parameter_rows(g, W, value, env) -> list:
    """[(entry θ of the parameter ``value`` of matrix symbol W, ∂f/∂θ)] for the symbolic gradient g = ∂f/∂W."""
    if isinstance(value, Cholesky):
        GL = _twice_g_times_l(g, W, value, env)
        n = value.n
        return [(value.L[i, j], GL[i][j]) for i in range(n) for j in range(i + 1)]
    if W.shape[1] == 1:  # a mean
        return list(zip(value, evaluate(g, env)))
    if isinstance(value, LowRank):
        GW, diag = _lowrank_parts(g, W, value, env)
        return ([(value.W[i, j], GW[i][j]) for i in range(value.n) for j in range(value.r)]
                + [(value.D[i], diag[i]) for i in range(value.n)])
    G = rows(evaluate(g, env))
    S = value.S if isinstance(value, LDL) else value
    out = []
    for i in range(S.rows):
        out.append((S[i, i], G[i][i]))
        for j in range(i + 1, S.rows):
            if S[i, j] == S[j, i]:  # one entry for both: 2Gᵢⱼ (G symmetric)
                out.append((S[i, j], 2 * G[i][j]))
            else:
                out += [(S[i, j], G[i][j]), (S[j, i], G[j][i])]
    return out


def _terms(g):
    return g.args if isinstance(g, sp.MatAdd) else (g,)


def _twice_g_times_l(g, W, chol: Cholesky, env) -> list:
    """Lower triangle of 2·g·L (entry lists) for Σ_W = LLᵀ, g = Σ c·F term by term (module docstring)."""
    n, L = chol.n, chol.L
    inner: list = []  # lower triangles of the matrices S with 2gL ⊇ 2L⁻ᵀS
    direct: list = []  # lower triangles of other terms' 2c·F·L
    for term in _terms(g):
        c, fs = term.as_coeff_matrices() if isinstance(term, sp.MatMul) else (sp.S.One, [term])
        c = 2 * _scalar(c, env)
        own = [f for f in fs if _inverse_of(f) == W]
        if len(fs) == 1 and _inverse_of(fs[0]) == W:
            inner.append([[c if i == j else ZERO for j in range(i + 1)] for i in range(n)])
            continue
        if len(fs) >= 3 and len(own) == 2 and _inverse_of(fs[0]) == W and _inverse_of(fs[-1]) == W:
            S = _sandwich(fs[1:-1], chol, env)
            inner.append([[c * e if e is not ZERO else ZERO for e in row[:i + 1]] for i, row in enumerate(S)])
            continue
        if len(fs) == 1 and isinstance(factor_of(_inverse_of(fs[0]), env), Cholesky):
            Y = factor_of(_inverse_of(fs[0]), env)  # Σ_Y⁻¹L = L_Y⁻ᵀ(L_Y⁻¹L), lower triangle only
            X = backward(Y.L, Y.solve_lower(L), lower_only=True)
            direct.append([[c * e if e is not ZERO else ZERO for e in row[:i + 1]] for i, row in enumerate(X)])
            continue
        X = rows(evaluate(sp.MatMul(*fs), env))
        direct.append([[c * e for e in row[:i + 1]] for i, row in enumerate(matmul(X, L, lambda i, j: j <= i))])
    out = [[ZERO] * n for _ in range(n)]
    if inner:
        S = [[sp.Add(*[t[i][j] for t in inner if t[i][j] is not ZERO]) if j <= i else ZERO for j in range(n)]
             for i in range(n)]
        out = backward(L, S, lower_only=True)
    for t in direct:
        out = [[sp.Add(out[i][j], t[i][j]) if j <= i else ZERO for j in range(n)] for i in range(n)]
    return out


def _sandwich(middle, chol: Cholesky, env) -> list:
    """L⁻¹ M L⁻ᵀ (lower triangle filled; M the product of ``middle``) without forming M when it is L_YL_Yᵀ or vwᵀ."""
    n = chol.n
    if len(middle) == 1 and isinstance(factor_of(middle[0], env), Cholesky):
        A = rows(chol.solve_lower(factor_of(middle[0], env).L))  # M = L_YL_Yᵀ: S = AAᵀ
        return [[sp.Add(*[A[i][k] * A[j][k] for k in range(j + 1) if A[i][k] is not ZERO and A[j][k] is not ZERO])
                 if j <= i else ZERO for j in range(n)] for i in range(n)]
    split = next((k for k in range(len(middle) - 1) if middle[k].shape[1] == 1 and middle[k + 1].shape[0] == 1), None)
    if split is not None:  # M = v·wᵀ: S = (L⁻¹v)(L⁻¹w)ᵀ
        v = _mat(sp.MatMul(*middle[:split + 1]) if split else middle[0], env)
        w = _mat(sp.MatMul(*middle[split + 1:]) if split + 2 < len(middle) else middle[-1], env)
        a = [r[0] for r in forward(chol.L, v)]
        b = [r[0] for r in forward(chol.L, transpose(w))]
        return [[a[i] * b[j] if j <= i else ZERO for j in range(n)] for i in range(n)]
    M = rows(_mat(sp.MatMul(*middle) if len(middle) > 1 else middle[0], env))
    return transpose(forward(chol.L, transpose(forward(chol.L, M))))  # L⁻¹(L⁻¹Mᵀ)ᵀ = L⁻¹ML⁻ᵀ


def _lowrank_parts(g, W, lr: LowRank, env):
    """(2gW as entry lists, diag g) for Σ_W = WWᵀ + diag(D), term by term and right to left, so that the
    d×d matrix g is never formed: Σ⁻¹W = D⁻¹WC⁻¹ first, then thin (d×r) products and Woodbury solves;
    diag(Σ⁻¹MΣ⁻¹)ᵢ = zᵢᵀMzᵢ with zᵢ = Σ⁻¹eᵢ, and (Σ⁻¹vwᵀΣ⁻¹)ᵢᵢ = (Σ⁻¹v)ᵢ(Σ⁻¹w)ᵢ."""
    n, r = lr.n, lr.r
    own_w = sp.MatrixSymbol("W_lowrank", W.shape[0], r)
    local = {**env, own_w: lr.W}
    GW = [[[] for _ in range(r)] for _ in range(n)]
    diag = [[] for _ in range(n)]
    for term in _terms(g):
        c, fs = term.as_coeff_matrices() if isinstance(term, sp.MatMul) else (sp.S.One, [term])
        c = _scalar(c, env)
        sandwich = len(fs) >= 3 and _inverse_of(fs[0]) == W and _inverse_of(fs[-1]) == W
        if sandwich and not any(f.shape[1] == 1 for f in fs[1:-1]):
            # (Σ⁻¹M)·(Σ⁻¹W): the d×d solve first — right to left, the d×r product MΣ⁻¹W would be solved
            # again and each of its entries repeated 1 + rd times in the tree (measured 6.5k → 1.6k nodes)
            X = matmul(_mat(sp.MatMul(*fs[:-1]), env), lr.B)
        else:
            X = rows(_mat(sp.MatMul(*fs, own_w), local))  # splits a rank-one vwᵀ: (Σ⁻¹v)(wᵀΣ⁻¹W)
        for i in range(n):
            for j in range(r):
                GW[i][j].append(2 * c * X[i][j])
        for i, e in enumerate(_diagonal(fs, W, lr, env)):
            diag[i].append(c * e)
    return [[sp.Add(*e) for e in row] for row in GW], [sp.Add(*e) for e in diag]


def _diagonal(fs, W, lr: LowRank, env) -> list:
    n = lr.n
    if len(fs) == 1 and _inverse_of(fs[0]) == W:
        Z = lr.inverse
        return [Z[i, i] for i in range(n)]
    if len(fs) >= 3 and _inverse_of(fs[0]) == W and _inverse_of(fs[-1]) == W:
        middle = fs[1:-1]
        split = next((k for k in range(len(middle) - 1) if middle[k].shape[1] == 1 and middle[k + 1].shape[0] == 1), None)
        if split is not None:
            v = _mat(sp.MatMul(*middle[:split + 1]) if split else middle[0], env)
            w = _mat(sp.MatMul(*middle[split + 1:]) if split + 2 < len(middle) else middle[-1], env)
            a, b = lr.solve(v), lr.solve(w.T)
            return [a[i, 0] * b[i, 0] for i in range(n)]
        M = factor_of(middle[0], env) if len(middle) == 1 else None
        M = M if M is not None else _mat(sp.MatMul(*middle) if len(middle) > 1 else middle[0], env)
        Z = rows(lr.inverse)
        return [quad_with(M, Z[i]) for i in range(n)]
    G = evaluate(sp.MatMul(*fs) if len(fs) > 1 else fs[0], env)
    return [G[i, i] for i in range(n)]
