r"""A fast evaluator for the ground truth (:mod:`.truth`): the same expression in Arb ball arithmetic
(python-flint, the optional extra ``symce[flint]``), each input at its exact binary value.

Arb's balls are rigorous enclosures (mid ± rad with the radius rounded outward), computed in C: the
common point is pinned to one float64 at 64–128 bits an order of magnitude faster than the pure-Python
intervals of :mod:`.truth_compile`. Points Arb does not settle — a non-finite ball (log 0 = −∞, e^{1e300},
whose exponent Arb does not hold), a NaN, or no pinning by :data:`MAX_PREC` bits — return ``None`` and
the mpmath intervals take them; so do expressions with a node this compiler does not know. The special
functions (log Γ, Γ, ψ and ψ⁽ⁿ⁾, B, erf, erfc, I_ν, Ei, E_n, H_x, ζ) are Arb's rigorous balls here; the
mpmath intervals enclose them from point values (:mod:`.truth_special`).

The identities of the mpmath compiler carry over: log(e^a·bⁿ·r) split, a softmax log-probability as
−log(1 + Σ e^{cⱼ}) with the largest cⱼ factored out, and 0·anything = 0.
"""

from __future__ import annotations

import math

import sympy as sp

from symce.numeric.truth_compile import _log1p, _log1pexp, _split_log, memoised
from symce.numeric.truth_intervals import to_float

MAX_PREC = 1 << 14  # as the mpmath intervals (truth.MAX_PREC): a formula with log Γ of 1e300 needs ~2100 bits


def available() -> bool:
    try:
        import flint  # noqa: F401
    except ImportError:
        return False
    return True


class _Unsettled(Exception):
    """A ball Arb cannot give (log of a ball reaching 0): the mpmath intervals take the point."""


def compile_arb(e, index: dict):
    """A closure env -> arb for the elementary expression e (env = (inputs, memo)); raises ValueError
    for a node it does not know."""
    import flint

    return _Compiler(flint).compile(e, index, {})


class _Compiler:
    def __init__(self, flint):
        self.arb = flint.arb

    def compile(self, e, index, memo_ids):
        if e in index or e.is_Atom:
            return self.node(e, index, memo_ids)
        return memoised(memo_ids.setdefault(e, len(memo_ids)), self.node(e, index, memo_ids))

    def node(self, e, index, memo_ids):  # noqa: C901 - one branch per SymPy node, as in truth_compile
        arb = self.arb
        c = lambda x: self.compile(x, index, memo_ids)  # noqa: E731
        if e in index:
            i = index[e]
            return lambda env: env[0][i]
        if e.is_Integer:
            v = int(e)
            return lambda env: arb(v)
        if e.is_Rational:
            p, q = int(e.p), int(e.q)
            return lambda env: arb(p) / arb(q)
        if isinstance(e, sp.Float):
            sign, man, exp, _ = e._mpf_
            man = -man if sign else man
            return lambda env: arb(man) * arb(2) ** exp
        if e is sp.pi:
            return lambda env: arb.pi()
        if e is sp.E:
            return lambda env: arb.const_e()
        if e is sp.EulerGamma:
            return lambda env: arb.const_euler()
        if isinstance(e, sp.Add):
            fs = [c(a) for a in e.args]

            def add(env):
                acc = fs[0](env)
                for f in fs[1:]:
                    acc = acc + f(env)
                return acc

            return add
        if isinstance(e, sp.Mul):
            fs = [c(a) for a in e.args]
            # 0/0 is not the 0·log 0 convention (truth_compile's Mul): the mpmath intervals settle it
            recips = [c(a.base) for a in e.args if isinstance(a, sp.Pow) and a.exp.is_Integer and a.exp < 0]

            def mul(env):
                vals = [f(env) for f in fs]
                if any(v.is_zero() for v in vals):
                    if any(b(env).is_zero() for b in recips):
                        raise _Unsettled
                    return arb(0)  # 0·(anything) = 0: the 0·log 0 convention
                acc = vals[0]
                for v in vals[1:]:
                    acc = acc * v
                return acc

            return mul
        if isinstance(e, sp.Pow):
            fb = c(e.base)
            if e.exp.is_Integer:
                n = int(e.exp)
                return lambda env: fb(env) ** n
            if e.exp == sp.S.Half:
                return lambda env: fb(env).sqrt()
            fe = c(e.exp)
            return lambda env: (fe(env) * _log(fb(env))).exp()
        if isinstance(e, sp.exp):
            f = c(e.args[0])
            return lambda env: f(env).exp()
        if isinstance(e, sp.log):
            split = _split_log(e.args[0])
            if split is not None:
                return c(split)
            f = c(e.args[0])
            return lambda env: _log(f(env))
        if isinstance(e, _log1p):
            f = c(e.args[0])
            return lambda env: f(env).log1p()
        if isinstance(e, _log1pexp):
            a, bs = e.args[0], e.args[1:]
            fa, fea = c(a), c(sp.exp(a))
            fbs, febs = [c(b) for b in bs], [c(sp.exp(b)) for b in bs]  # exponentials shared by the classes

            def log1pexp(env):
                av = fa(env)
                got = _log1pexp_factored([f(env) - av for f in fbs])
                if got is not None:
                    return got
                acc = febs[0](env)
                for f in febs[1:]:
                    acc = acc + f(env)
                return (acc / fea(env)).log1p()

            return log1pexp
        if isinstance(e, sp.Abs):
            f = c(e.args[0])
            return lambda env: abs(f(env))
        if isinstance(e, sp.atanh):  # (log(1 + u) − log(1 − u))/2, as in the mpmath truth
            u = e.args[0]
            return c(sp.log(1 + u) / 2 - sp.log(1 - u) / 2)
        if isinstance(e, (sp.cos, sp.sin, sp.atan)):
            f, method = c(e.args[0]), type(e).__name__
            return lambda env: getattr(f(env), method)()
        special = self.special(e, c)
        if special is not None:
            return special
        raise ValueError(f"the Arb truth cannot evaluate {type(e).__name__}")


    def special(self, e, c):
        """The special functions of the newer families: log Γ, Γ, digamma and polygamma (by the Hurwitz
        zeta: ψ⁽ⁿ⁾(x) = (−1)ⁿ⁺¹ n! ζ(n + 1, x)), B(a, b), erf, erfc and the modified Bessel I_ν."""
        arb = self.arb
        unary = {sp.loggamma: "lgamma", sp.gamma: "gamma", sp.erf: "erf", sp.erfc: "erfc"}
        for cls, method in unary.items():
            if isinstance(e, cls):
                f = c(e.args[0])
                return lambda env: _finite(getattr(f(env), method)())
        if isinstance(e, sp.polygamma) and e.args[0].is_Integer and e.args[0] >= 0:
            n = int(e.args[0])
            f = c(e.args[1])
            if n == 0:
                return lambda env: _finite(f(env).digamma())
            scale = (-1) ** (n + 1) * math.factorial(n)
            return lambda env: _finite(arb(scale) * arb(n + 1).zeta(f(env)))
        if isinstance(e, sp.beta) and len(e.args) == 2:
            fa, fb = c(e.args[0]), c(e.args[1])

            def beta(env):
                a, b = fa(env), fb(env)
                return _finite(a.gamma() * b.gamma() / (a + b).gamma())

            return beta
        if isinstance(e, sp.besseli):
            fn, fx = c(e.args[0]), c(e.args[1])
            return lambda env: _finite(fx(env).bessel_i(fn(env)))
        if isinstance(e, sp.Ei):
            f = c(e.args[0])
            return lambda env: _finite(f(env).ei())
        if isinstance(e, sp.expint) and e.args[0].is_number:
            s_, f = arb(int(e.args[0])) if e.args[0].is_Integer else None, c(e.args[1])
            return None if s_ is None else (lambda env: _finite(f(env).expint(s_)))
        if isinstance(e, sp.harmonic) and len(e.args) == 1:
            f = c(e.args[0])
            return lambda env: _finite((f(env) + 1).digamma() + arb.const_euler())
        if isinstance(e, sp.zeta):
            fs = [c(a) for a in e.args]
            if len(fs) == 1:
                return lambda env: _finite(fs[0](env).zeta())
            return lambda env: _finite(fs[0](env).zeta(fs[1](env)))
        return None


def _finite(x):
    """A special function's ball, or _Unsettled where Arb gives NaN (log Γ of a negative ball, …)."""
    if not x.is_finite():
        raise _Unsettled
    return x


def _log(x):
    if not x > 0:  # a ball reaching 0 or below: log 0 = −∞ and NaNs are the mpmath intervals' to settle
        raise _Unsettled
    return x.log()


def _log1pexp_factored(cs):
    """log(1 + Σ e^{cⱼ}) with the largest cₖ factored out where it certainly exceeds 32, else None (see
    truth_compile._log1pexp_factored)."""
    k = max(range(len(cs)), key=lambda j: float(cs[j].upper()) if cs[j].is_finite() else float("inf"))
    ck = cs[k]
    if not ck > 32:
        return None
    acc = (-ck).exp()
    for j, cj in enumerate(cs):
        if j != k:
            acc = acc + (cj - ck).exp()
    return ck + acc.log1p()


def _end_float(x) -> float:
    man, exp = x.man_exp()
    man, exp = int(man), int(exp)
    if man == 0:
        return 0.0
    sign = 1 if man < 0 else 0
    man = abs(man)
    return to_float((sign, man, exp, man.bit_length()))


def _mag(x) -> int | None:
    """The binary magnitude of an exact arb (its value in [2^(mag−1), 2^mag)), None at 0."""
    man, exp = x.man_exp()
    man = int(man)
    return int(exp) + abs(man).bit_length() if man else None


def _next_prec(v, prec: int) -> int:
    """As truth._next_prec: the radius shrinks like 2^−prec, so it tells how many more bits pin the value
    (a quarter ulp at the ball's smaller end, 2^−1076 where the ball reaches 0); doubling at least."""
    rad, mid = _mag(v.rad()), _mag(v.mid())
    nxt = 2 * prec
    if rad is not None:
        target = -1076 if (mid is None or v.contains(0)) else max(mid - 56, -1076)
        nxt = max(nxt, prec + (rad - target) + 16)
    return -(-nxt // 64) * 64


def evaluate(f, xs, start: int = 64, max_prec: int = MAX_PREC):
    """(value, prec, mid as (man, exp)) of the compiled f at floats xs when Arb pins one float64, else None."""
    import flint

    ctx = flint.ctx
    old = ctx.prec
    prec = start
    try:
        while prec <= max_prec:
            ctx.prec = prec
            env = ([flint.arb(float(x)) for x in xs], {})
            try:
                v = f(env)
            except (_Unsettled, ZeroDivisionError, ValueError):
                return None
            if not v.is_finite():
                return None
            lo, hi = _end_float(v.lower()), _end_float(v.upper())
            if lo == hi:
                return (lo if lo != 0 else 0.0), prec, v.mid().man_exp()
            prec = _next_prec(v, prec)
        return None
    finally:
        ctx.prec = old


__all__ = ["available", "compile_arb", "evaluate", "MAX_PREC"]
