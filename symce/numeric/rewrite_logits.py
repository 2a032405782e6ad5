r"""The stabilising rules for categorical distributions with logits (rules 1a, 2a, 2b, 10, 10a, 10b and 11 of
:mod:`symce.numeric.rewrite`, all exact identities):

* e^a/Σⱼ e^{zⱼ} → softmax(a; z), log Σⱼ e^{zⱼ} → logsumexp(z);
* logsumexp(y) − logsumexp(x) + Σᵢ softmax(x)ᵢ(xᵢ − yᵢ) → softmax_kl(x, y) (and its Bernoulli form);
* Σᵢ sᵢ zᵢ − logsumexp(z) → Σᵢ sᵢ log sᵢ when the relative-entropy rule can pair each sᵢ log sᵢ;
* logsumexp(z) − Σᵢ tᵢ zᵢ → softmax_xent(t, z) where Σᵢ tᵢ = 1 (an assumption, or t a softmax of z);
* entropy + cross-entropy → prob_logit_kl(p, z), rel_entr_sum(softmax(z)…, q…) → logit_prob_kl(z, q);
* softmax_xent(softmax(x)…, z) → logit_xent(x, z);
* w·F, xlogy(w, y), xlog1py(w, y) → wprod(w, …) for a weight w = σ(a) or softmax(a; z).

Each takes the whole expression and returns it unchanged where it does not apply.
"""

from __future__ import annotations

import sympy as sp

from symce.core.special import sigmoid
from symce.numeric.functions import (StableFunction, log1p, logit_prob_kl, logit_xent, logsumexp, prob_logit_kl,
                                     rel_entr_sum, softmax, softmax_kl, softmax_xent, softplus, wprod, xlog1py, xlogy)
from symce.numeric.rewrite_terms import has_exp, log_terms


def _exp_sum_args(x):
    """(z₁, …, z_k) if x = e^{z₁} + … + e^{z_k} (k ≥ 2), else None."""
    terms = sp.Add.make_args(x)
    if len(terms) >= 2 and all(isinstance(t, sp.exp) for t in terms):
        return tuple(t.args[0] for t in terms)
    return None


def softmax_forms(e):
    """e^a/Σ_j e^{z_j} → softmax(a; z) (a one of the z_j), and log Σ_j e^{z_j} → logsumexp(z): the
    categorical with logits z. e^{z} overflows for z > 709.78 and the quotient is then ∞/∞."""
    def fix(m):
        den = [f for f in m.args if isinstance(f, sp.Pow) and f.exp == -1 and _exp_sum_args(f.base)]
        if len(den) != 1:
            return m
        zs = _exp_sum_args(den[0].base)
        num = [f for f in m.args if isinstance(f, sp.exp) and f.args[0] in zs]
        if len(num) != 1:
            return m
        rest = [f for f in m.args if f is not den[0] and f is not num[0]]
        return sp.Mul(*rest) * softmax(num[0].args[0], *zs)

    if not has_exp(e):  # both forms need an e^z: skip the replace's rebuilding walk
        return e
    e = e.replace(lambda m: isinstance(m, sp.Mul), fix)
    if not e.has(softmax):
        return e
    return e.replace(lambda x: isinstance(x, sp.log) and _exp_sum_args(x.args[0]) is not None,
                     lambda x: logsumexp(*_exp_sum_args(x.args[0])))


def logit_kl(e):
    """KL of two softmax (or sigmoid) distributions:
    logsumexp(y) − logsumexp(x) + Σ_i softmax(x_i; x)(x_i − y_i) → softmax_kl(x, y), and its k = 2 form
    softplus(b) − softplus(a) + σ(a)(a − b) → softmax_kl(a, 0, b, 0). Near x = y the two log-sum-exps
    cancel against the sum; softmax_kl evaluates the difference without cancellation."""
    terms = sp.Add.make_args(e)
    lses = [(t.as_coeff_Mul()[0], t.as_coeff_Mul()[1]) for t in terms]
    pos = [f for c, f in lses if c == 1 and isinstance(f, (logsumexp, softplus))]
    neg = [f for c, f in lses if c == -1 and isinstance(f, (logsumexp, softplus))]
    for fx in neg:
        for fy in pos:
            if type(fx) is not type(fy) or len(fx.args) != len(fy.args):
                continue
            if isinstance(fx, softplus):
                x, y = (fx.args[0], sp.S.Zero), (fy.args[0], sp.S.Zero)
                s = [sigmoid(x[0]), sigmoid(-x[0])]
            else:
                x, y = fx.args, fy.args
                s = [softmax(xi, *x) for xi in x]
            cand = fy - fx + sp.Add(*[si * (xi - yi) for si, xi, yi in zip(s, x, y)])
            rest = sp.expand(e - cand)
            if rest.has(*s) or rest.has(fx) or rest.has(fy):
                continue
            return softmax_kl(*x, *y) + rest
    return e


def log_softmax_pairs(e):
    """Σ_i softmax(z_i; z)·z_i − logsumexp(z) → Σ_i s_i log s_i (an identity, as Σ s_i = 1), applied only
    when every s_i also appears as −s_i·log B_i: the relative-entropy rule then pairs s_i log s_i with
    −s_i log B_i (categorical KL with logits on the P side)."""
    terms = list(sp.Add.make_args(e))
    for lse in [t for t in terms if isinstance(-t, logsumexp)]:
        zs = (-lse).args
        s = [softmax(z, *zs) for z in zs]
        lin = sp.Add(*[si * zi for si, zi in zip(s, zs)])
        # structural matches only (no expand): k² symbolic comparisons cost more than the rest of the rule
        partners = {-c for c, b, _ in log_terms(e) if b not in s}
        if not all(si in partners for si in s):
            continue
        lin_terms = set(sp.Add.make_args(lin))
        if not lin_terms <= set(terms):
            continue
        rest = sp.Add(*[t for t in terms if t not in lin_terms and t is not lse])
        return rest + sp.Add(*[si * sp.log(si) for si in s])
    return e


def _coefficient_of(t, z, zs):
    """c where t = c·z and c is free of the logits zs (softmax weights of them allowed), else None."""
    factors = list(sp.Mul.make_args(t))
    if z not in factors:
        return None
    factors.remove(z)
    c = sp.Mul(*factors)
    bare = c.replace(lambda f: isinstance(f, (softmax, sigmoid)), lambda f: sp.S.One)
    return None if bare.has(*zs) else c


def softmax_cross_entropy(e, assumptions=()):
    """logsumexp(z) − Σ t_i z_i with Σ t_i = 1 (an assumption) → softmax_xent(t, z); with a numeric factor n
    (the Multinomial's n·(logsumexp(z) − Σ p_i z_i), its coefficient terms beside it) softmax_xent(n·t, z):
    as separate terms n·logsumexp(z) − n·p_i z_i is ∞ − ∞ at z_i = 1.25e308, each t_i (lse − z_i) is ≥ 0."""
    for lse_term in sp.Add.make_args(e):
        n, lse = lse_term.as_coeff_Mul()
        if not isinstance(lse, logsumexp) or not n.is_nonzero:
            continue
        zs = lse.args
        rest = [t for t in sp.Add.make_args(e) if t is not lse_term]
        ts, used = [], set()
        for z in zs:
            found = None
            for i, t in enumerate(rest):
                c = _coefficient_of(t, z, zs)
                if i not in used and c is not None:
                    found = i
                    break
            if found is None:
                ts.append(sp.S.Zero)
            else:
                used.add(found)
                ts.append(-_coefficient_of(rest[found], z, zs) / n)
        total = sp.Add(*ts)
        on_simplex = any(isinstance(a, sp.Eq) and sp.expand(a.lhs - a.rhs - (total - 1)) == 0 for a in assumptions)
        # the weights of a softmax over all of some logit vector sum to 1 identically
        on_simplex = on_simplex or _is_full_softmax(ts)
        if not on_simplex:
            continue
        others = [t for i, t in enumerate(rest) if i not in used]
        # n inside the weights (the sum is linear in t): n·Σ … rounded to DBL_MAX·(1 + 2⁻⁵³) overflowed where
        # the value is just below DBL_MAX; the kernel's halved sum takes the weights n·t_i as they are
        return softmax_xent(*[n * t for t in ts], *zs) + sp.Add(*others)
    return e


def _entropy_terms(terms, ps):
    """The terms xlogy(p, p) (or xlog1py(p, y) with 1 + y = p) for every non-zero p of ``ps``, or None."""
    found = []
    for p in ps:
        if p == 0:
            continue
        hit = [t for t in terms if (isinstance(t, xlogy) and t.args == (p, p)) or
               (isinstance(t, xlog1py) and t.args[0] == p and sp.expand(1 + t.args[1] - p) == 0)]
        if not hit:
            return None
        found.append(hit[0])
    return found


def probability_logit_kl(e):
    """Σ_i p_i log p_i + Σ_i p_i (logsumexp z − z_i) → prob_logit_kl(p, z) (an identity)."""
    terms = list(sp.Add.make_args(e))
    for t in terms:
        if isinstance(t, softmax_xent):
            k = len(t.args) // 2
            ps, zs = t.args[:k], t.args[k:]
            used = [t]
        elif isinstance(t, sp.Mul) and any(isinstance(f, softplus) for f in t.args):
            # Bernoulli: A·softplus(−a) + B·softplus(a) with A + B = 1 is softmax_xent((A, B), (a, 0))
            A, f = t.as_independent(softplus, as_Add=False)
            if not isinstance(f, softplus) or not f.args[0].could_extract_minus_sign():
                continue
            a = -f.args[0]
            partner = [u for u in terms if u.as_independent(softplus, as_Add=False)[1] == softplus(a)]
            if len(partner) != 1:
                continue
            B = partner[0].as_independent(softplus, as_Add=False)[0]
            if sp.expand(A + B - 1) != 0:
                continue
            ps, zs, used = (A, B), (a, sp.S.Zero), [t, partner[0]]
        else:
            continue
        ent = _entropy_terms(terms, ps)
        if ent is None:
            continue
        used += ent
        rest = [u for u in terms if not any(u is v for v in used)]
        return prob_logit_kl(*ps, *zs) + sp.Add(*rest)
    return e


def _log_of(t, w):
    """(Q, term) if the term is −xlogy(w, Q) or −xlog1py(w, y) (Q = 1 + y), else None."""
    c, f = t.as_coeff_Mul()
    if c != -1:
        return None
    if isinstance(f, xlogy) and f.args[0] == w:
        return f.args[1]
    if isinstance(f, xlog1py) and f.args[0] == w:
        return 1 + f.args[1]
    return None


def logit_probability_kl(e):
    """rel_entr_sum(softmax(z)…, q…) → logit_prob_kl(z, q), and its Bernoulli form
    −σ(a)·softplus(−a) − σ(−a)·softplus(a) − xlogy(σ(a), q₁) − xlog1py(σ(−a), y) → logit_prob_kl(a, 0, q₁, 1 + y)."""
    terms = list(sp.Add.make_args(e))
    for t in terms:
        if isinstance(t, rel_entr_sum):
            k = len(t.args) // 2
            ws, qs = t.args[:k], t.args[k:]
            if not _is_full_softmax(list(ws)) or [w.args[0] for w in ws] != list(ws[0].args[1:]):
                continue
            return logit_prob_kl(*ws[0].args[1:], *qs) + sp.Add(*[u for u in terms if u is not t])
        c, f = t.as_coeff_Mul()
        if c != -1 or not isinstance(f, sp.Mul) or len(f.args) != 2:
            continue
        w, g = f.args if isinstance(f.args[0], sigmoid) else f.args[::-1]
        if not (isinstance(w, sigmoid) and isinstance(g, softplus) and g.args[0] == -w.args[0]):
            continue
        a = w.args[0]
        if a.could_extract_minus_sign():
            continue
        other = -sigmoid(-a) * softplus(a)
        q1 = [(_log_of(u, w), u) for u in terms if _log_of(u, w) is not None]
        q2 = [(_log_of(u, sigmoid(-a)), u) for u in terms if _log_of(u, sigmoid(-a)) is not None]
        other = [u for u in terms if u == other]
        if len(other) != 1 or len(q1) != 1 or len(q2) != 1:
            continue
        used = [t, other[0], q1[0][1], q2[0][1]]
        rest = [u for u in terms if not any(u is v for v in used)]
        return logit_prob_kl(a, sp.S.Zero, q1[0][0], q2[0][0]) + sp.Add(*rest)
    return e


def _is_full_softmax(ts):
    if not ts or not all(isinstance(t, softmax) for t in ts):
        return False
    zs = ts[0].args[1:]
    return all(t.args[1:] == zs for t in ts) and sorted(map(sp.default_sort_key, (t.args[0] for t in ts))) == \
        sorted(map(sp.default_sort_key, zs))


def logit_cross_entropy(e):
    """softmax_xent(softmax(x)…, z) → logit_xent(x, z): the same sum, but its implementation gets the logits
    x, so weights that underflow (e^{−746}, times a gap of 1e308) or are subnormal keep their digits."""
    def fix(f):
        k = len(f.args) // 2
        ts = list(f.args[:k])
        if not _is_full_softmax(ts):
            return f
        return logit_xent(*[t.args[0] for t in ts], *f.args[k:])

    return e.replace(lambda f: isinstance(f, softmax_xent), fix)


def _is_weight(w):
    return isinstance(w, (sigmoid, softmax))


def positive_weights(e):
    """xlogy(w, y) → wprod(w, log y), xlog1py(w, y) → wprod(w, log1p(y)) and w·F → wprod(w, F) for a
    weight w = σ(a) or softmax(a; z) and F a function (softplus, log, …): w is never exactly 0, but rounds
    to 0 below e^{−745}, where xlogy's 0·log 0 = 0 is wrong (the value is ∞) and 0·F loses e^{−800}·1e308."""
    out, changed = [], False
    for t in sp.Add.make_args(e):
        if not isinstance(t, (sp.Mul, xlogy, xlog1py)):
            out.append(t)
            continue
        c, rest = t.as_coeff_Mul()
        new = None
        if isinstance(rest, xlogy) and _is_weight(rest.args[0]):
            new = wprod(rest.args[0], sp.log(rest.args[1]))
        elif isinstance(rest, xlog1py) and _is_weight(rest.args[0]):
            new = wprod(rest.args[0], log1p(rest.args[1]))
        elif isinstance(rest, sp.Mul) and len(rest.args) == 2:
            w, f = rest.args if _is_weight(rest.args[0]) else rest.args[::-1]
            if _is_weight(w) and not _is_weight(f) and isinstance(f, (StableFunction, sp.log)):
                new = wprod(w, f)
        changed |= new is not None
        out.append(t if new is None else c * new)
    return sp.Add(*out) if changed else e


__all__ = ["softmax_forms", "logit_kl", "log_softmax_pairs", "softmax_cross_entropy", "probability_logit_kl",
           "logit_probability_kl", "logit_cross_entropy", "positive_weights"]
