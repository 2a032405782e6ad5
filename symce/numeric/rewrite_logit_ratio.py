r"""The continuous Bernoulli's formulas in terms of ``logit_ratio`` and ``cbern_mean``
(:mod:`symce.numeric.functions.logit_ratio`), exact identities for 0 < λ < 1:

* atanh(2λ − 1) = ½ log(λ/(1 − λ)) = ½ (2λ − 1)·logit_ratio(λ), and every form of logit λ (log(λ/(1 − λ)),
  log λ + log(1/(1 − λ)), log λ − log(1 − λ)) = (2λ − 1)·logit_ratio(λ): the normaliser's
  log(2 atanh(1 − 2λ)/(1 − 2λ)) becomes log logit_ratio(λ) and λ·logit(λ)/(2λ − 1) becomes λ·logit_ratio(λ)
  (the factors 2λ − 1 cancel symbolically, so nothing is 0/0 at λ = ½);
* the terms left over 2λ − 1, K·(λ/(2λ − 1) − 1/logit λ), become K·cbern_mean(λ) (the cross-entropy's
  −μ₁·logit λ₂).

Applied only to formulas with atanh(±(2λ − 1)) in them (the continuous Bernoulli's normaliser), so the
Bernoulli formulas keep their own rules.
"""

from __future__ import annotations

import sympy as sp

from symce.numeric.functions.logit_ratio import cbern_kl, cbern_mean, cbern_negentropy, cbern_xent, logit_ratio
from symce.numeric.rewrite_cbern_gradients import cbern_gradient_forms, unit_parameter as _parameter


def continuous_bernoulli_forms(e):
    # the derivatives of H, CE and KL (Derivation.gradient): 0/0 at λ = ½ term by term, whole in cbern_var
    grad = cbern_gradient_forms(e)
    if grad is not e:
        return grad
    atanhs = [a for a in e.atoms(sp.atanh) if _parameter(a.args[0]) is not None]
    if not atanhs:
        return e
    sub = {}
    for a in atanhs:
        lam, s = _parameter(a.args[0])
        sub[a] = s * (2 * lam - 1) * logit_ratio(lam) / 2
    # the parameters: those of the atanh terms and those whose logit appears (P's in a cross-entropy)
    lams = {lam for lam in e.free_symbols if lam.is_Symbol and e.has(sp.log(1 / (1 - lam)), sp.log(lam / (1 - lam)))}
    lams |= {_parameter(a.args[0])[0] for a in atanhs}
    for lam in lams:
        logit = (2 * lam - 1) * logit_ratio(lam)
        for form in (sp.log(lam / (1 - lam)), sp.log(lam) + sp.log(1 / (1 - lam)), sp.log(lam) - sp.log(1 - lam)):
            sub[form] = logit
    e = e.xreplace(sub)
    # the normaliser's log(−2·(2λ − 1)·r/(2·(1 − 2λ))) = log r: cancel inside each logarithm
    e = e.replace(lambda f: isinstance(f, sp.log) and f.has(logit_ratio), lambda f: sp.log(sp.cancel(f.args[0])))
    rs = {lam: sp.Dummy(f"r_{lam}", positive=True) for lam in lams}
    e = sp.expand(e.xreplace({logit_ratio(lam): r for lam, r in rs.items()}))
    for lam in sorted(lams, key=sp.default_sort_key):
        e = _means(e, lam, rs[lam])
    e = e.xreplace({r: logit_ratio(lam) for lam, r in rs.items()})
    whole = _whole_kl(e, lams)
    return whole if whole is not e else _whole_entropy(e, lams)


def _flat(e, x, y=None):
    """e with logit_ratio, cbern_mean, their logarithms and log(1 − λ) as symbols (None where anything else of
    theirs is left), and those symbols: gx, lx, rx, mx (and gy, ly, ry for y)."""
    names = {"gx": sp.log(logit_ratio(x)), "lx": sp.log(1 - x), "rx": logit_ratio(x), "mx": cbern_mean(x)}
    if y is not None:
        names.update({"gy": sp.log(logit_ratio(y)), "ly": sp.log(1 - y), "ry": logit_ratio(y)})
    d = {k: sp.Dummy(k) for k in names}
    logs = {v: d[k] for k, v in names.items() if isinstance(v, sp.log)}
    rest = {v: d[k] for k, v in names.items() if not isinstance(v, sp.log)}
    flat = e.xreplace(logs).xreplace(rest)
    return (None if flat.has(sp.log, logit_ratio, cbern_mean, sp.atanh) else flat), d


def _whole_entropy(e, lams):
    """e → −cbern_negentropy(x) where e is the entropy of ContinuousBernoulli(x), 1 − log C − log(1 − x) − x·C
    (C = logit_ratio(x)); e → cbern_xent(x, y) where e is the cross-entropy A(η_y) − η_y·μ(x) with
    A = −log logit_ratio − log(1 − λ), η = (2λ − 1)·logit_ratio(λ) — decided by cancellation against the definitions (μ(x) = (x·r − 1)/((2x − 1)·r)). Their terms of size 1 cancel to O(t²)
    at λ = ½ (the uniform density: H = 0); −H ≥ 0 is one kernel without cancellation, the cross-entropy one
    whose two parts cancel only where it crosses 0 (H(P) + KL(P ‖ Q) cancelled wherever it is small against H(P))."""
    order = sorted(lams, key=sp.default_sort_key)
    if len(order) == 1:
        (x,) = order
        flat, d = _flat(e, x)
        entropy = 1 - d["gx"] - d["lx"] - x * d["rx"]
        if flat is not None and sp.cancel(flat - entropy) == 0:
            return -cbern_negentropy(x)
        return e
    if len(order) != 2:
        return e
    for x, y in (order, order[::-1]):
        flat, d = _flat(e, x, y)
        if flat is None:
            continue
        cross = -d["gy"] - d["ly"] - (2 * y - 1) * d["ry"] * d["mx"]
        mean = (x * d["rx"] - 1) / ((2 * x - 1) * d["rx"])
        if sp.cancel((flat - cross).xreplace({d["mx"]: mean})) == 0:
            return cbern_xent(x, y)
    return e


def _whole_kl(e, lams):
    """e → cbern_kl(x, y) where e is the KL between ContinuousBernoulli(x) and (y), A(η_y) − A(η_x) −
    (η_y − η_x)·μ(x) with A = −log logit_ratio − log(1 − λ), η = (2λ − 1)·logit_ratio(λ) — decided by
    cancellation with logit_ratio, cbern_mean and their logarithms as symbols and μ(x) = (x·r − 1)/((2x − 1)·r)
    (its definition in r = logit_ratio(x)): its terms cancel to O((y − x)²) near P = Q."""
    if len(lams) != 2:
        return e
    for x, y in (tuple(sorted(lams, key=sp.default_sort_key)), tuple(sorted(lams, key=sp.default_sort_key))[::-1]):
        rx, ry, mx = sp.Dummy("rx", positive=True), sp.Dummy("ry", positive=True), sp.Dummy("mx")
        gx, gy, lx, ly = sp.Dummy("gx"), sp.Dummy("gy"), sp.Dummy("lx"), sp.Dummy("ly")
        sub = {sp.log(logit_ratio(x)): gx, sp.log(logit_ratio(y)): gy, sp.log(1 - x): lx, sp.log(1 - y): ly}
        flat = e.xreplace(sub).xreplace({logit_ratio(x): rx, logit_ratio(y): ry, cbern_mean(x): mx})
        if flat.has(sp.log, logit_ratio, cbern_mean, sp.atanh):
            continue
        expected = gx + lx - gy - ly - ((2 * y - 1) * ry - (2 * x - 1) * rx) * mx
        mean = (x * rx - 1) / ((2 * x - 1) * rx)
        if sp.cancel((flat - expected).xreplace({mx: mean})) == 0:
            return cbern_kl(x, y)
    return e


def _means(e, lam, r):
    """The terms over 2λ − 1 (their denominator vanishes at λ = ½), K·(λ/(2λ − 1) − 1/((2λ − 1)·r)), as
    K·cbern_mean(λ); every other term left as it is."""
    t = 2 * lam - 1
    terms = [(u, sp.factor(u)) for u in sp.Add.make_args(e)]
    over = [u for u, f in terms if sp.fraction(f)[1].subs(lam, sp.S.Half) == 0]
    if not over:
        return e
    k = sp.factor(sp.cancel(sp.Add(*over) / (lam / t - 1 / (t * r))))
    if sp.fraction(k)[1].subs(lam, sp.S.Half) == 0:  # not a multiple of the mean: leave the terms
        return e
    rest = [u for u in sp.Add.make_args(e) if u not in over]
    return sp.Add(*rest, k * cbern_mean(lam))


__all__ = ["continuous_bernoulli_forms"]
