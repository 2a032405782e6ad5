r"""An expression compiled into an interval evaluator for the ground truth (:mod:`.truth`): a tree of
closures env -> interval, env = (inputs, memo, precision), each repeated subexpression evaluated once.

Exact identities make the intervals tighter and cheaper: log(e^a·bⁿ·r) = a + n·log b + log r, and the
log-probability of a softmax log(e^a/Σⱼ e^{bⱼ}) with some bᵢ = a becomes −log1p(Σ_{j≠i} e^{bⱼ}/e^a), already
tight at 64 bits where one exponent dominates. A product with an exact-zero factor is 0 (0·log 0 = 0).
"""

from __future__ import annotations

from typing import Callable

import sympy as sp
from mpmath import libmp as L
from mpmath.libmp import libmpi as LI

from symce.numeric.truth_intervals import _CEIL, _FLOOR, _NEG_INF, _ONE, _ZERO, _iv_exp, _log, _log1p_end, _zero


def _compile(e, index: dict, memo_ids: dict | None = None) -> Callable:
    """A closure env -> interval; env = (inputs, memo, prec) and repeated subexpressions are evaluated
    once per evaluation."""
    if memo_ids is None:
        memo_ids = {}
    if e in index or e.is_Atom:
        return _compile_node(e, index, memo_ids)
    key = memo_ids.setdefault(e, len(memo_ids))
    f = _compile_node(e, index, memo_ids)

    def memo(env):
        cache = env[1]
        v = cache.get(key)
        if v is None:
            v = cache[key] = f(env)
        return v

    return memo


def _constant(v):
    return lambda env: v


def _compile_node(e, index: dict, memo_ids: dict) -> Callable:
    if e in index:
        i = index[e]
        return lambda env: env[0][i]
    if e.is_Integer:
        n = L.from_int(int(e))
        return _constant((n, n))
    if e.is_Rational:
        p, q = L.from_int(int(e.p)), L.from_int(int(e.q))
        return lambda env: LI.mpi_div((p, p), (q, q), env[2])
    if isinstance(e, sp.Float):
        v = e._mpf_
        return _constant((v, v))
    if e is sp.pi:
        return lambda env: LI.mpi_pi(env[2])
    if e is sp.E:
        return lambda env: (L.mpf_e(env[2], _FLOOR), L.mpf_e(env[2], _CEIL))
    if e is sp.oo:
        return _constant((L.finf, L.finf))
    if e is sp.S.NegativeInfinity:
        return _constant(_NEG_INF)
    if isinstance(e, sp.Add):
        fs = [_compile(a, index, memo_ids) for a in e.args]
        add = LI.mpi_add

        def add_(env):
            acc = fs[0](env)
            prec = env[2]
            for f in fs[1:]:
                acc = add(acc, f(env), prec)
            return acc

        return add_
    if isinstance(e, sp.Mul):
        fs = [_compile(a, index, memo_ids) for a in e.args]
        mul = LI.mpi_mul

        def mul_(env):
            vals = [f(env) for f in fs]
            if any(_zero(v) for v in vals):
                return _ZERO  # 0·(anything, even ±inf) = 0: the 0·log 0 convention
            acc, prec = vals[0], env[2]
            for v in vals[1:]:
                acc = mul(acc, v, prec)
            return acc

        return mul_
    if isinstance(e, sp.Pow):
        fb = _compile(e.base, index, memo_ids)
        ex = e.exp
        if ex.is_Integer:
            n = int(ex)
            if n < 0:
                return lambda env: LI.mpi_div(_ONE, LI.mpi_pow_int(fb(env), -n, env[2]), env[2])
            return lambda env: LI.mpi_pow_int(fb(env), n, env[2])
        if ex == sp.S.Half:
            return lambda env: LI.mpi_sqrt(fb(env), env[2])
        fe = _compile(ex, index, memo_ids)
        return lambda env: _iv_exp(LI.mpi_mul(fe(env), _log(fb(env), env[2]), env[2]), env[2])
    if isinstance(e, sp.exp):
        f = _compile(e.args[0], index, memo_ids)
        return lambda env: _iv_exp(f(env), env[2])
    if isinstance(e, sp.log):
        split = _split_log(e.args[0])
        if split is not None:
            return _compile(split, index, memo_ids)
        f = _compile(e.args[0], index, memo_ids)
        return lambda env: _log(f(env), env[2])
    if isinstance(e, _log1p):
        f = _compile(e.args[0], index, memo_ids)

        def log1p_(env):
            a, b = f(env)
            return _log1p_end(a, env[2], False), _log1p_end(b, env[2], True)

        return log1p_
    if isinstance(e, _log1pexp):
        fs = [_compile(a, index, memo_ids) for a in e.args]
        return lambda env: _log1pexp_iv([f(env) for f in fs], env[2])
    if isinstance(e, sp.Abs):
        f = _compile(e.args[0], index, memo_ids)
        return lambda env: LI.mpi_abs(f(env))
    raise ValueError(f"the ground truth cannot evaluate {type(e).__name__}: {e}")


def _positive(e) -> bool:
    """Positive at every real (float) input, by its structure alone: exponentials, positive constants and
    their sums, products and integer powers (mpmath's e^−1e308 is a positive number, never 0)."""
    if isinstance(e, sp.exp) or e is sp.E or e is sp.pi:
        return True
    if e.is_Number:
        return bool(e > 0)
    if isinstance(e, (sp.Add, sp.Mul)):
        return all(_positive(a) for a in e.args)
    if isinstance(e, sp.Pow):
        return e.exp.is_Integer and _positive(e.base)
    return False


def _split_log(arg):
    """log(e^a · bⁿ · r) as a + n·log b + log r (b structurally positive), or None when nothing splits.

    Exact identities, and the interval gets tighter and cheaper: a categorical's log-probability
    log(e^{z_i}/Σ_j e^{z_j}) becomes z_i − log Σ_j e^{z_j}, whose log is shared by all k terms (k logs of
    ~1100-bit quotients saved per point where a logit gap of ~745 needs that precision). Also exact in
    interval terms for any remainder r: log r is −∞ or NaN exactly where log(e^a·r) is."""
    if isinstance(arg, sp.exp):
        return arg.args[0]
    soft = _log_softmax(arg)
    if soft is not None:
        return soft
    factors = arg.args if isinstance(arg, sp.Mul) else (arg,)
    terms, rest = [], []
    for f in factors:
        if isinstance(f, sp.exp):
            terms.append(f.args[0])
        elif isinstance(f, sp.Pow) and f.exp.is_Integer and _positive(f.base):
            terms.append(sp.Mul(f.exp, sp.log(f.base, evaluate=False), evaluate=False))
        else:
            rest.append(f)
    if not terms:
        return None
    if rest:
        terms.append(sp.log(sp.Mul(*rest, evaluate=False), evaluate=False))
    return sp.Add(*terms, evaluate=False) if len(terms) > 1 else terms[0]


class _log1p(sp.Function):  # noqa: N801 - the ground truth's own node: log(1 + x), tight at tiny x
    """log(1 + x) for the compiler only (never printed or differentiated)."""


class _log1pexp(sp.Function):  # noqa: N801 - the ground truth's own node
    """log(1 + Σⱼ e^{cⱼ}) for the compiler only."""


def _log1pexp_iv(cs, prec):
    """An enclosure of log(1 + Σⱼ e^{cⱼ}) for intervals cⱼ.

    Where the largest cₖ is certainly positive: cₖ + log1p(e^{−cₖ} + Σ_{j≠k} e^{cⱼ − cₖ}) — the same number,
    but the tiny log1p is enclosed with its relative accuracy, so a value just above a rounding tie
    (softmax CE at z = (1e17, −40, 1e-8), t = (0, 1, 0): 1e17 + 40 + 2e^{−1e17}) gets a lower end of exactly
    1e17 + 40 rather than an interval of absolute width 2^−prec·1e17 around it; and a logit gap of 745
    needs 64 bits instead of ~1100. Else log1p of the sum directly."""
    k = max(range(len(cs)), key=lambda j: L.to_float(cs[j][1]) if cs[j][1] not in (L.fnan,) else -1e400)
    ck = cs[k]
    if L.mpf_gt(ck[0], L.fzero) and ck[1] != L.finf:
        neg = (L.mpf_neg(ck[1]), L.mpf_neg(ck[0]))
        acc = _iv_exp(neg, prec)
        for j, c in enumerate(cs):
            if j != k:
                acc = LI.mpi_add(acc, _iv_exp(LI.mpi_sub(c, ck, prec), prec), prec)
        inner = (_log1p_end(acc[0], prec, False), _log1p_end(acc[1], prec, True))
        return LI.mpi_add(ck, inner, prec)
    acc = _ZERO
    for c in cs:
        acc = LI.mpi_add(acc, _iv_exp(c, prec), prec)
    return _log1p_end(acc[0], prec, False), _log1p_end(acc[1], prec, True)


def _exponent(t):
    """a for a term e^a of a sum of exponentials (1 = e^0), else None."""
    if isinstance(t, sp.exp):
        return t.args[0]
    return sp.S.Zero if t == 1 else None


def _log_softmax(arg):
    """log(e^a / Σⱼ e^{bⱼ}) with some bᵢ = a as −log1p(Σ_{j≠i} e^{bⱼ}/e^a) (or None).

    The same number, but an interval of it at 64 bits is already tight where one exponent dominates: as
    z − log Σ e^{b} the log-probability of the winning class is a difference of two ~z-sized numbers that
    cancel to e^{−gap}, pinned only at ~1100 bits for a gap of 745 (most bit-pattern logit vectors have
    such gaps). log1p keeps the tiny sum's relative accuracy."""
    factors = arg.args if isinstance(arg, sp.Mul) else (arg,)
    nums = [f for f in factors if isinstance(f, sp.exp)]
    dens = [f for f in factors if isinstance(f, sp.Pow) and f.exp == -1 and isinstance(f.base, sp.Add)]
    if len(dens) != 1 or len(nums) + 1 != len(factors):
        return None
    a = sp.Add(*[f.args[0] for f in nums])
    bs = [_exponent(t) for t in dens[0].base.args]
    if any(b is None for b in bs):
        return None
    same = [k for k, b in enumerate(bs) if b == a]
    if not same:
        return None
    others = [b for k, b in enumerate(bs) if k != same[0]]
    if not others:
        return sp.S.Zero
    # log1p(Σ_{j≠i} e^{bⱼ − a}) with the differences bⱼ − a exact at a few more bits than the floats: the
    # node factors out the largest (see _log1pexp_iv), so a dominating class costs no cancellation
    return -_log1pexp(*[sp.Add(b, -a, evaluate=False) for b in others])
