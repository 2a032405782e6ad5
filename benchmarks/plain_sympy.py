"""The baseline: the same quantities through plain SymPy, from first principles.

What a user without symce would type: take the densities p = dP/dν and q = dQ/dν, integrate −p log q over
the support (``integrate``) or sum it (``summation``) for discrete families, ``simplify`` the result,
``diff`` it w.r.t. Q's parameters and ``simplify`` each entry, then ``lambdify``. Only the *density* is
taken from symce's families (their ``log_density``, ``support``, ``measure``); no symce rule, moment map
or canonicalisation is used, so the timing is SymPy's own.

The two scaled items use what a SymPy user writes for them: the softmax cross-entropy as an explicit sum
of k terms, and the Gaussian KL from a full symmetric covariance matrix with ``det``/``inv``.

Every function here may run for a very long time; ``run.py`` calls them in a child process that it kills
at the time limit.
"""

from __future__ import annotations

import sympy as sp


def _flat(v) -> list:
    if isinstance(v, sp.MatrixBase):
        return list(v)
    if isinstance(v, (list, tuple)):
        return [y for x in v for y in _flat(x)]
    return [v]


def _bounds(support):
    """(lower, upper) of an interval-like support; ``None`` when the support is not one interval."""
    if support == sp.Reals:
        return -sp.oo, sp.oo
    if isinstance(support, sp.Interval):
        return support.inf, support.sup
    if isinstance(support, sp.Range):
        return support.inf, support.sup
    if isinstance(support, sp.FiniteSet) and all(getattr(a, "is_integer", False) for a in support.args):
        return min(support.args), max(support.args)
    return None


def expectation(P, integrand_of) -> sp.Expr:
    """∫ p(x)·g(x) dν(x) over P's support with plain ``integrate``/``summation``."""
    x = P.variable()
    xs = _flat(x)
    p = sp.exp(P.log_density(x))
    body = p * integrand_of(x)
    if len(xs) == 1 and not isinstance(x, sp.MatrixBase):
        b = _bounds(P.support)
        if b is None:
            raise NotImplementedError(f"support {P.support} is not an interval")
        lim = (xs[0], *b)
        if P.measure.value == "counting":
            return sp.summation(body, lim)
        return sp.integrate(body, lim)
    # a random vector: iterated integrals over R for each coordinate
    if P.measure.value == "counting":
        raise NotImplementedError("discrete random vectors")
    out = body
    for xi in xs:
        out = sp.integrate(out, (xi, -sp.oo, sp.oo))
    return out


def quantity(P, Q, which: str) -> sp.Expr:
    """H(P) ('entropy'), H(P, Q) ('cross_entropy') or KL(P‖Q) ('kl'), integrated and simplified."""
    if which == "entropy":
        value = expectation(P, lambda x: -P.log_density(x))
    elif which == "cross_entropy":
        value = expectation(P, lambda x: -Q.log_density(x))
    else:
        value = expectation(P, lambda x: P.log_density(x) - Q.log_density(x))
    return sp.simplify(value)


def gradient(expr, wrt) -> list:
    return [sp.simplify(sp.diff(expr, w)) for w in wrt]


def symbolic_size(exprs) -> bool:
    """Results at a symbolic size (k, d) have no numeric code until the size is fixed."""
    return any(isinstance(e, sp.Basic) and (e.atoms(sp.MatrixSymbol) or any(
        getattr(s, "is_integer", False) for s in e.free_symbols)) for e in _flat(exprs))


def lambdify(exprs) -> None:
    exprs = [e for e in _flat(exprs) if isinstance(e, sp.Basic)]
    if symbolic_size(exprs):
        return
    syms = sorted(set().union(*[e.free_symbols for e in exprs]), key=str)
    sp.lambdify(syms, exprs, "numpy")


# -- the scaled items -------------------------------------------------------------------------------
def softmax_cross_entropy(k: int):
    """H(t, softmax(z)) = −Σ_i t_i log(e^{z_i}/Σ_j e^{z_j}) and its gradient w.r.t. z, term by term."""
    t = sp.symbols(f"t1:{k + 1}", positive=True)
    z = sp.symbols(f"z1:{k + 1}", real=True)
    total = sp.Add(*[sp.exp(zj) for zj in z])
    ce = -sp.Add(*[ti * sp.log(sp.exp(zi) / total) for ti, zi in zip(t, z)])
    grad = [sp.diff(ce, zi) for zi in z]
    return ce, grad


def mvn_kl_full(d: int):
    """KL(N(m1, S1) ‖ N(m2, S2)) with S1, S2 full symmetric matrices of symbols, from the textbook
    formula ½[tr(S2⁻¹S1) + (m2 − m1)ᵀS2⁻¹(m2 − m1) − d + log(det S2/det S1)] (Penny 2001, eq. 2),
    and its gradient w.r.t. m2 and the distinct entries of S2."""
    def sym_matrix(name):
        return sp.Matrix(d, d, lambda i, j: sp.Symbol(f"{name}_{min(i, j) + 1}{max(i, j) + 1}", real=True))

    S1, S2 = sym_matrix("a"), sym_matrix("b")
    m1 = sp.Matrix(sp.symbols(f"m1_1:{d + 1}", real=True))
    m2 = sp.Matrix(sp.symbols(f"m2_1:{d + 1}", real=True))
    S2inv = S2.inv()
    diff = m2 - m1
    kl = ((S2inv * S1).trace() + (diff.T * S2inv * diff)[0] - d + sp.log(S2.det() / S1.det())) / 2
    wrt = list(m2) + sorted({s for s in S2 if isinstance(s, sp.Symbol)}, key=str)
    grad = [sp.diff(kl, w) for w in wrt]
    return kl, grad


def mvn_kl_cholesky(d: int):
    """The same KL with S = L Lᵀ (Cholesky factors as symbols) through plain Matrix det/inv."""
    def chol(name):
        return sp.Matrix(d, d, lambda i, j: sp.Symbol(f"{name}_{i + 1}{j + 1}", positive=(i == j), real=True)
                         if j <= i else 0)

    L1, L2 = chol("l"), chol("r")
    S1, S2 = L1 * L1.T, L2 * L2.T
    m1 = sp.Matrix(sp.symbols(f"m1_1:{d + 1}", real=True))
    m2 = sp.Matrix(sp.symbols(f"m2_1:{d + 1}", real=True))
    S2inv = S2.inv()
    diff = m2 - m1
    kl = ((S2inv * S1).trace() + (diff.T * S2inv * diff)[0] - d + sp.log(S2.det() / S1.det())) / 2
    wrt = list(m2) + [s for s in L2 if isinstance(s, sp.Symbol)]
    grad = [sp.diff(kl, w) for w in wrt]
    return kl, grad
