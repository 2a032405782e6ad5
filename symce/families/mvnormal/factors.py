r"""Explicit covariance matrices kept factored, so that instantiating a symbolic-d result never forms a
symbolic ``det()`` or ``inv()``:

* :class:`Cholesky` — Σ = LLᵀ with L lower triangular (the user's parameterisation);
* :class:`LDL` — a full symmetric Σ of symbolic entries, factored once without square roots as
  Σ = L·diag(p)·Lᵀ (L unit lower triangular, pivots p); used above d = 5, where Berkowitz' determinant and
  the fraction-field inverse of a symbolic matrix grow like d! (d = 6: 55 s);
* :class:`LowRank` — Σ = WWᵀ + diag(D), by the Woodbury identity and the matrix determinant lemma with the
  r×r capacitance C = I + WᵀD⁻¹W (Petersen & Pedersen, *The Matrix Cookbook*, eqs. 156, 24).

Every entry is a nested SymPy expression built without expansion or cancellation: O(d³) distinct nodes
(subtrees shared), which is what makes derivation and gradient fast. Written out as a tree (what ``str``,
``latex``, ``xreplace`` and symce.lambdify's stabiliser walk) a substitution chain doubles with each row, so
the tree grows like 2^d: measured 1.1·10⁵ nodes for the full d = 6 KL, 2.5·10⁷ for one entry of its gradient,
5·10⁷ for the Σ = LLᵀ d = 12 gradient (the Cholesky route was already nested this way). Large-d results are
for evaluation by DAG-aware code, not for printing. Arithmetic is done on
lists of entries: a SymPy ``Matrix`` product goes through the EXRAW domain (5–10× slower on nested entries,
measured at d = 32) and zeros are skipped here, so triangular structure costs nothing.

The common interface (used by :mod:`.matrix`'s evaluator and :mod:`.symbolic`'s gradient):
``n``, ``full``, ``logdet()``, ``det()``, ``solve(B)`` (Σ⁻¹B), ``inverse``, ``inv_quad(v)`` (vᵀΣ⁻¹v),
``times(B)`` (ΣB).
"""

from __future__ import annotations

import sympy as sp

ZERO = sp.S.Zero


# -- entry lists ------------------------------------------------------------------------------------
def rows(M) -> list:
    """A matrix as a list of row lists (ImmutableMatrix or already a list)."""
    return M.tolist() if isinstance(M, sp.MatrixBase) else M


def matrix(R) -> sp.ImmutableMatrix:
    return sp.ImmutableMatrix(R)


def dot(a, b):
    return sp.Add(*[x * y for x, y in zip(a, b) if x is not ZERO and y is not ZERO])


def matmul(A, B, mask=None) -> list:
    """A·B on entry lists, zeros skipped; ``mask(i, j)`` false leaves entry (i, j) as 0 (not computed)."""
    A, B = rows(A), rows(B)
    cols = list(zip(*B))
    return [[dot(a, c) if mask is None or mask(i, j) else ZERO for j, c in enumerate(cols)] for i, a in enumerate(A)]


def transpose(A) -> list:
    return [list(c) for c in zip(*rows(A))]


def sq_norm(vals) -> sp.Expr:
    return sp.Add(*[e**2 for e in vals if e is not ZERO])


def frobenius(A, B) -> sp.Expr:
    """⟨A, B⟩ = Σᵢⱼ AᵢⱼBᵢⱼ = tr(AᵀB)."""
    return sp.Add(*[x * y for ra, rb in zip(rows(A), rows(B)) for x, y in zip(ra, rb) if x is not ZERO and y is not ZERO])


def forward(L, B, unit=False) -> list:
    """L⁻¹B by forward substitution (L lower triangular; ``unit``: its diagonal is 1)."""
    L, B = rows(L), rows(B)
    n, m = len(L), len(B[0]) if B else 0
    X = [[ZERO] * m for _ in range(n)]
    for c in range(m):
        for i in range(n):
            Li = L[i]
            s = sp.Add(B[i][c], *[-Li[k] * X[k][c] for k in range(i) if Li[k] is not ZERO and X[k][c] is not ZERO])
            X[i][c] = s if unit else s / Li[i]
    return X


def backward(L, B, unit=False, lower_only=False) -> list:
    """L⁻ᵀB by back substitution with Lᵀ; ``lower_only``: only entries (i, c) with i ≥ c (the rest 0) —
    back substitution reaches row c from below, so the upper part is never needed for them."""
    L, B = rows(L), rows(B)
    n, m = len(L), len(B[0]) if B else 0
    X = [[ZERO] * m for _ in range(n)]
    for c in range(m):
        for i in reversed(range(c if lower_only else 0, n)):
            s = sp.Add(B[i][c], *[-L[k][i] * X[k][c] for k in range(i + 1, n) if L[k][i] is not ZERO and X[k][c] is not ZERO])
            X[i][c] = s if unit else s / L[i][i]
    return X


def identity(n) -> list:
    return [[sp.S.One if i == j else ZERO for j in range(n)] for i in range(n)]


def _key(B):
    return B if isinstance(B, sp.ImmutableMatrix) else sp.ImmutableMatrix(B)


# -- Σ = LLᵀ ------------------------------------------------------------------------------------------
class Cholesky:
    """An explicit covariance Σ = L Lᵀ kept as its lower-triangular factor L (never multiplied out
    unless an expression needs Σ itself)."""

    def __init__(self, L: sp.ImmutableMatrix):
        self.L = L
        self.n = L.rows
        self._full = self._inv = self._linv = None
        self._solved: dict = {}

    def solve_lower(self, B):
        """L⁻¹B by forward substitution (no simplification: nested expressions stay small); memoised per B
        (the KL's trace and the gradient ask for L_Q⁻¹L_P)."""
        key = _key(B)
        hit = self._solved.get(("L", key))
        if hit is None:
            hit = self._solved[("L", key)] = sp.ImmutableMatrix(forward(self.L, key))
        return hit

    def solve_upper_t(self, B):
        """L⁻ᵀB by back substitution with Lᵀ."""
        return sp.ImmutableMatrix(backward(self.L, B))

    def solve(self, B):
        """Σ⁻¹B = L⁻ᵀ(L⁻¹B); Σ⁻¹L = L⁻ᵀ by one substitution."""
        key = _key(B)
        hit = self._solved.get(("S", key))
        if hit is None:
            own = key.shape == self.L.shape and key == self.L
            hit = self.linv_t if own else self.solve_upper_t(self.solve_lower(key))
            self._solved[("S", key)] = hit
        return hit

    @property
    def linv_t(self) -> sp.ImmutableMatrix:
        """L⁻ᵀ (upper triangular)."""
        if self._linv is None:
            self._linv = sp.ImmutableMatrix(backward(self.L, identity(self.n)))
        return self._linv

    def times(self, B):
        """ΣB = L(LᵀB): two triangular products, Σ itself never formed."""
        return sp.ImmutableMatrix(matmul(self.L, matmul(transpose(self.L), B)))

    @property
    def full(self):
        if self._full is None:
            self._full = sp.ImmutableMatrix(matmul(self.L, transpose(self.L)))
        return self._full

    @property
    def inverse(self):
        if self._inv is None:
            U = self.linv_t  # Σ⁻¹ = L⁻ᵀL⁻¹
            self._inv = sp.ImmutableMatrix(matmul(U, transpose(U)))
        return self._inv

    def inv_quad(self, v):
        return sq_norm(self.solve_lower(v))  # vᵀΣ⁻¹v = ‖L⁻¹v‖²

    def logdet(self):
        return 2 * sp.Add(*[sp.log(self.L[i, i]) for i in range(self.n)])

    def det(self):
        return sp.Mul(*[self.L[i, i] ** 2 for i in range(self.n)])


# -- full Σ = L diag(p) Lᵀ --------------------------------------------------------------------------------
class LDL:
    """A full symmetric covariance of symbolic entries with its square-root-free factorisation
    Σ = L·diag(p)·Lᵀ, L unit lower triangular: p_k is the ratio of consecutive leading principal minors,
    so p_k > 0 exactly when Σ is positive definite (Sylvester), and log det Σ = Σ log p_k."""

    def __init__(self, S: sp.ImmutableMatrix):
        self.S = S
        self.n = S.rows
        self._fact = self._inv = self._linv = None

    @property
    def full(self):
        return self.S

    def factor(self):
        """(L, p) by the outer-product elimination, O(d³) nodes: W_ij = Σ_ij − Σ_{k<j} L_ik W_jk is the
        unscaled column, L_ij = W_ij / p_j, p_j = W_jj."""
        if self._fact is None:
            A, n = rows(self.S), self.n
            L = [[ZERO] * n for _ in range(n)]
            W = [[ZERO] * n for _ in range(n)]
            p = []
            for j in range(n):
                Lj, Wj = L[j], W[j]
                for i in range(j, n):
                    Li = L[i]
                    W[i][j] = sp.Add(A[i][j], *[-Li[k] * Wj[k] for k in range(j) if Li[k] is not ZERO and Wj[k] is not ZERO])
                p.append(W[j][j])
                Lj[j] = sp.S.One
                for i in range(j + 1, n):
                    L[i][j] = W[i][j] / p[j] if W[i][j] is not ZERO else ZERO
            self._fact = (L, p)
        return self._fact

    def logdet(self):
        return sp.Add(*[sp.log(pk) for pk in self.factor()[1]])

    def det(self):
        return sp.Mul(*self.factor()[1])

    def solve(self, B):
        L, p = self.factor()
        Y = forward(L, B, unit=True)
        Y = [[e / pk if e is not ZERO else ZERO for e in row] for row, pk in zip(Y, p)]
        return sp.ImmutableMatrix(backward(L, Y, unit=True))

    def inv_quad(self, v):
        L, p = self.factor()
        u = forward(L, v, unit=True)
        return sp.Add(*[row[0] ** 2 / pk for row, pk in zip(u, p) if row[0] is not ZERO])

    @property
    def inverse(self):
        """Σ⁻¹ = L⁻ᵀ diag(1/p) L⁻¹, entry (i, j) = Σ_{k ≥ max(i, j)} (L⁻¹)_ki (L⁻¹)_kj / p_k, the upper
        triangle computed and mirrored (the same objects)."""
        if self._inv is None:
            L, p = self.factor()
            n = self.n
            M = forward(L, identity(n), unit=True)  # L⁻¹, unit lower
            Z = [[ZERO] * n for _ in range(n)]
            for i in range(n):
                for j in range(i, n):
                    Z[i][j] = Z[j][i] = sp.Add(*[M[k][i] * M[k][j] / p[k] for k in range(j, n)
                                                if M[k][i] is not ZERO and M[k][j] is not ZERO])
            self._inv = sp.ImmutableMatrix(Z)
        return self._inv

    def times(self, B):
        return sp.ImmutableMatrix(matmul(self.S, B))


# -- Σ = WWᵀ + diag(D) ----------------------------------------------------------------------------------
class LowRank:
    """Σ = WWᵀ + diag(D) (W d×r, D > 0) kept as (W, D): with the capacitance C = I + WᵀD⁻¹W (r×r),
    Σ⁻¹ = D⁻¹ − D⁻¹W C⁻¹ WᵀD⁻¹ (Woodbury) and det Σ = det C · Π Dᵢ (determinant lemma). C is factored
    by :class:`LDL` (r is small; no symbolic inverse of Σ or of C is formed)."""

    def __init__(self, W: sp.ImmutableMatrix, D):
        self.W, self.D = W, list(D)
        self.n, self.r = W.rows, W.cols
        self._full = self._inv = self._B = self._Cinv = None
        self._V = transpose([[w / Di for w in row] for row, Di in zip(rows(W), self.D)])  # VT = WᵀD⁻¹ (r×d)
        Wl = rows(W)
        C = matmul(self._V, Wl)
        self.C = LDL(sp.ImmutableMatrix(self.r, self.r, lambda i, j: C[i][j] + (1 if i == j else 0)))

    @property
    def full(self):
        if self._full is None:
            WWt = matmul(self.W, transpose(self.W))
            self._full = sp.ImmutableMatrix(self.n, self.n, lambda i, j: WWt[i][j] + (self.D[i] if i == j else 0))
        return self._full

    def logdet(self):
        return self.C.logdet() + sp.Add(*[sp.log(Di) for Di in self.D])

    def det(self):
        return self.C.det() * sp.Mul(*self.D)

    @property
    def B(self) -> list:
        """Σ⁻¹W = D⁻¹W C⁻¹ (Woodbury: D⁻¹W − D⁻¹WC⁻¹(C − I) = D⁻¹WC⁻¹), d×r. For r ≤ 3 written
        (W adj C)ᵢⱼ / (Dᵢ det C): every entry of a solved matrix carries entries of B, so det C once per entry."""
        if self._B is None:
            if self.r <= 3:
                C = self.C.S
                det, adj = C.det(method="berkowitz"), C.adjugate(method="berkowitz")
                WA = matmul(self.W, adj)
                self._B = [[e / (Di * det) for e in row] for row, Di in zip(WA, self.D)]
            else:
                DW = [[w / Di for w in row] for row, Di in zip(rows(self.W), self.D)]
                self._B = matmul(DW, self.C.inverse)
        return self._B

    def solve(self, B):
        """Σ⁻¹X = D⁻¹X − (D⁻¹WC⁻¹)(WᵀD⁻¹X)."""
        if isinstance(B, sp.MatrixBase) and B.shape == self.W.shape and B == self.W:
            return self.solve_own()
        X = rows(B)
        corr = matmul(self.B, matmul(self._V, X))
        return sp.ImmutableMatrix([[x / Di - c for x, c in zip(rx, rc)] for rx, rc, Di in zip(X, corr, self.D)])

    @property
    def capacitance_inverse(self):
        """C⁻¹ = adj(C)/det C for r ≤ 3 (at most 3! terms, the smallest trees: every entry of a solved
        matrix carries it), C's LDLᵀ inverse above."""
        if self._Cinv is None:
            C = self.C.S
            if self.r <= 3:
                det = C.det(method="berkowitz")
                adj = C.adjugate(method="berkowitz")
                self._Cinv = sp.ImmutableMatrix(self.r, self.r, lambda i, j: adj[i, j] / det)
            else:
                self._Cinv = self.C.inverse
        return self._Cinv

    def solve_own(self):
        return sp.ImmutableMatrix(self.B)

    def quad_rows(self, Y) -> list:
        """V Y Vᵀ (r×r) for V = WᵀD⁻¹ and Y a factored or explicit d×d matrix."""
        if isinstance(Y, LowRank):
            A = matmul(self._V, Y.W)
            out = matmul(A, transpose(A))
            VD = [[v * Dk for v, Dk in zip(row, Y.D)] for row in self._V]
            return [[a + b for a, b in zip(ra, rb)] for ra, rb in zip(out, matmul(VD, transpose(self._V)))]
        if isinstance(Y, Cholesky):
            A = matmul(self._V, Y.L)
            return matmul(A, transpose(A))
        Y = rows(Y.full if isinstance(Y, LDL) else Y)
        return matmul(self._V, matmul(Y, transpose(self._V)))

    def trace_solve(self, Y):
        """tr(Σ⁻¹Y) = tr(D⁻¹Y) − tr(C⁻¹ VYVᵀ): r×r work instead of the d×d inverse."""
        Yd = Y.full if isinstance(Y, FACTORS) else Y
        head = sp.Add(*[Yd[i, i] / Di for i, Di in enumerate(self.D)])
        return head - frobenius(self.capacitance_inverse, self.quad_rows(Y))

    def inv_quad(self, v):
        v = rows(v)
        u = matmul(self._V, v)
        return sp.Add(*[row[0] ** 2 / Di for row, Di in zip(v, self.D)]) - self.C.inv_quad(u)

    @property
    def inverse(self):
        if self._inv is None:
            self._inv = self.solve(identity(self.n))
        return self._inv

    def times(self, B):
        return sp.ImmutableMatrix(matmul(self.full, B))


FACTORS = (Cholesky, LDL, LowRank)


def quad_with(M, z) -> sp.Expr:
    """zᵀMz for a factored or explicit symmetric M, through its factors where it has them."""
    if isinstance(M, LowRank):
        return sq_norm([dot(c, z) for c in zip(*rows(M.W))]) + sp.Add(*[Dk * e**2 for Dk, e in zip(M.D, z) if e is not ZERO])
    if isinstance(M, Cholesky):
        return sq_norm([dot(c, z) for c in zip(*rows(M.L))])
    M = rows(M.full if isinstance(M, LDL) else M)
    return dot(z, [dot(r, z) for r in M])
