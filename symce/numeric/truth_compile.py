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

from symce.errors import DensityError
from symce.numeric.truth_special import compile_special
from symce.numeric.truth_intervals import (_CEIL, _FLOOR, _NAN, _NEG_INF, _ONE, _ZERO, _iv_exp, _log, _log1p_end, _mag,
                                           _zero)


def _compile(e, index: dict, memo_ids: dict | None = None) -> Callable:
    """A closure env -> interval; env = (inputs, memo, prec) and repeated subexpressions are evaluated
    once per evaluation."""
    if memo_ids is None:
        memo_ids = {}
    if e in index or e.is_Atom:
        return _compile_node(e, index, memo_ids)
    return memoised(memo_ids.setdefault(e, len(memo_ids)), _compile_node(e, index, memo_ids))


def memoised(key, f):
    """f(env) evaluated once per evaluation environment: a node shared by several parents (CSE) is
    computed once, its value kept in the environment's cache (``env[1]``) under ``key``."""
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
    if e is sp.EulerGamma:
        return lambda env: (L.mpf_euler(env[2], _FLOOR), L.mpf_euler(env[2], _CEIL))
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
                v = f(env)
                if _nan(v) or _nan(acc):  # mpmath's mpi_add makes NaN + x the whole line
                    return _NAN
                if _infinities(acc, v):
                    return _NAN
                acc = add(acc, v, prec)
            return acc

        return add_
    if isinstance(e, sp.Mul):
        fs = [_compile(a, index, memo_ids) for a in e.args]
        mul = LI.mpi_mul
        # the bases of 1/bⁿ factors: 0/0 (a removable singularity, the continuous Bernoulli's
        # log(λ/(1 − λ))/(2λ − 1) at λ = ½) is not the 0·log 0 convention but a value the intervals cannot
        # give: NaN, i.e. unresolved, rather than 0
        recips = [_compile(a.base, index, memo_ids) for a in e.args
                  if isinstance(a, sp.Pow) and a.exp.is_Integer and a.exp < 0]

        def mul_(env):
            vals = [f(env) for f in fs]
            if any(_zero(v) for v in vals):
                if any(_zero(b(env)) for b in recips):
                    return _NAN
                return _ZERO  # 0·(anything, even ±inf) = 0: the 0·log 0 convention
            if any(_nan(v) for v in vals):  # mpmath's mpi_mul makes NaN·x = 0, which hid an undefined term
                return _NAN
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
                def recip(env):
                    b = fb(env)
                    if _zero(b):  # 1/0ⁿ: mpi_div gives the whole line at every precision (see _infinities)
                        return _NAN
                    return LI.mpi_div(_ONE, LI.mpi_pow_int(b, -n, env[2]), env[2])

                return recip
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
        a, bs = e.args[0], e.args[1:]
        fa, fea = _compile(a, index, memo_ids), _compile(sp.exp(a), index, memo_ids)
        fbs = [_compile(b, index, memo_ids) for b in bs]
        febs = [_compile(sp.exp(b), index, memo_ids) for b in bs]  # shared with the other classes' terms

        def log1pexp_(env):
            prec = env[2]
            av = fa(env)
            cs = [LI.mpi_sub(f(env), av, prec) for f in fbs]
            got = _log1pexp_factored(cs, prec)
            if got is not None:
                return got
            acc = _ZERO
            for f in febs:
                acc = LI.mpi_add(acc, f(env), prec)
            acc = LI.mpi_div(acc, fea(env), prec)
            return _log1p_end(acc[0], prec, False), _log1p_end(acc[1], prec, True)

        return log1pexp_
    if isinstance(e, sp.Abs):
        f = _compile(e.args[0], index, memo_ids)
        return lambda env: LI.mpi_abs(f(env))
    if isinstance(e, sp.Piecewise):  # Uniform's CE/KL: finite where supp P ⊆ supp Q, +∞ elsewhere
        branches = [(_compile(x, index, memo_ids), _condition(c, index, memo_ids)) for x, c in e.args]

        def piecewise_(env):
            for fx, fc in branches:
                got = fc(env)
                if got is None:  # the intervals do not decide the condition yet: more precision
                    raise ValueError("undecided Piecewise condition")
                if got:
                    return fx(env)
            return _NAN

        return piecewise_
    if isinstance(e, sp.atanh):  # ContinuousBernoulli's normaliser: atanh u = (log(1 + u) − log(1 − u))/2, exact
        u = e.args[0]
        return _compile(sp.log(1 + u) / 2 - sp.log(1 - u) / 2, index, memo_ids)
    if isinstance(e, (sp.cos, sp.sin, sp.atan)):  # the von Mises KL's cos(μ₁ − μ₂); mpmath's rigorous kernels
        f = _compile(e.args[0], index, memo_ids)
        kernel = {sp.cos: LI.mpi_cos, sp.sin: LI.mpi_sin, sp.atan: LI.mpi_atan}[type(e)]
        return lambda env: kernel(f(env), env[2])
    special = compile_special(e, lambda a: _compile(a, index, memo_ids))  # log Γ, ψ, erf, … (truth_special)
    if special is not None:
        return special
    raise DensityError(f"the ground truth cannot evaluate {type(e).__name__}: {e}; a reference must be a real-valued expression (no relations, sets or booleans)")


def _nan(v) -> bool:
    return v[0] == L.fnan or v[1] == L.fnan


_INFS = {(L.finf, L.finf), (L.fninf, L.fninf)}


def _infinities(x, y) -> bool:
    """x and y certainly +∞ and −∞ (both ends infinite: the value itself is infinite, never a finite value
    rounded, since mpmath numbers do not overflow), so x + y is ∞ − ∞ at every precision. mpmath's mpi_add
    gives the whole line, which no precision narrows: the truth climbed to MAX_PREC at every such point
    (the derivatives of a CE with logits on P's side at q = 0: e^{z}·log 0 − e^{z}·log 0, ~0.3 s a point)."""
    return x in _INFS and y in _INFS and x != y


def _condition(c, index, memo_ids) -> Callable:
    """A Piecewise condition as env -> True, False or None (the intervals do not decide it yet)."""
    if c is sp.true or c is sp.false:
        return _constant(bool(c))
    if isinstance(c, (sp.And, sp.Or)):
        parts = [_condition(a, index, memo_ids) for a in c.args]
        want = isinstance(c, sp.Or)  # the value that decides the whole: True for Or, False for And

        def junction(env):
            vals = [p(env) for p in parts]
            if want in vals:
                return want
            return None if None in vals else not want

        return junction
    if isinstance(c, (sp.StrictLessThan, sp.LessThan, sp.StrictGreaterThan, sp.GreaterThan, sp.Equality)):
        diff = _compile(c.lhs - c.rhs, index, memo_ids)
        kind = type(c)

        def relation(env):
            lo, hi = diff(env)
            if lo == L.fnan or hi == L.fnan:
                return None
            pos, neg = L.mpf_gt(lo, L.fzero), L.mpf_lt(hi, L.fzero)  # certainly > 0, certainly < 0
            zero = _zero((lo, hi))
            if kind is sp.Equality:
                return True if zero else (False if pos or neg else None)
            if kind in (sp.StrictGreaterThan, sp.GreaterThan):  # lhs − rhs > 0 (≥ 0)
                strict = kind is sp.StrictGreaterThan
                return True if pos or (zero and not strict) else (False if neg or (zero and strict) else None)
            strict = kind is sp.StrictLessThan
            return True if neg or (zero and not strict) else (False if pos or (zero and strict) else None)

        return relation
    raise ValueError(f"the ground truth cannot decide the condition {c}")


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
    """log(1 + Σⱼ e^{bⱼ − a}) for the compiler only; args (a, b₁, …)."""


#: factor the largest exponent out once it exceeds this: below, log1p(Σ e^{bⱼ}/e^a) with the k exponentials
#: shared by all k classes is cheaper, and e^{−32} is still seen at 64 bits
FACTOR_ABOVE = L.from_int(32)


def _log1pexp_factored(cs, prec):
    """An enclosure of log(1 + Σⱼ e^{cⱼ}) for intervals cⱼ whose largest cₖ certainly exceeds 32, else None.

    cₖ + log1p(e^{−cₖ} + Σ_{j≠k} e^{cⱼ − cₖ}) — the same number, but the tiny log1p is enclosed with its
    relative accuracy, so a value just above a rounding tie (softmax CE at z = (1e17, −40, 1e-8),
    t = (0, 1, 0): 1e17 + 40 + 2e^{−1e17}) gets a lower end of exactly 1e17 + 40 rather than an interval of
    absolute width 2^−prec·1e17 around it; and a logit gap of 745 needs 64 bits instead of ~1100."""
    k = max(range(len(cs)), key=lambda j: L.to_float(cs[j][1]) if cs[j][1] not in (L.fnan,) else -1e400)
    ck = cs[k]
    if L.mpf_gt(ck[0], FACTOR_ABOVE) and ck[1] != L.finf:
        # a term below 2^−T, T = prec + 64 + log2 cₖ, cannot move cₖ + log1p(…) by a unit of the result's
        # precision: enclosed by [0, 2^−T] without evaluating e^{−1e300} (the bulk of the time otherwise)
        T = prec + 64 + max(0, _mag(ck[1]))
        negligible = L.from_int(-T)
        tiny = (L.fzero, L.from_man_exp(1, -T))

        def term(x):
            return tiny if L.mpf_lt(x[1], negligible) else _iv_exp(x, prec)

        acc = term((L.mpf_neg(ck[1]), L.mpf_neg(ck[0])))
        for j, c in enumerate(cs):
            if j != k:
                acc = LI.mpi_add(acc, term(LI.mpi_sub(c, ck, prec)), prec)
        inner = (_log1p_end(acc[0], prec, False), _log1p_end(acc[1], prec, True))
        return LI.mpi_add(ck, inner, prec)
    return None


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
    # log1p(Σ_{j≠i} e^{bⱼ − a}): the node factors out the largest exponent where it dominates (see
    # _log1pexp_factored), else sums the k exponentials shared by all k classes
    return -_log1pexp(a, *others)
