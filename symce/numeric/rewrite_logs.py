r"""The stabilising rules on logarithms (rules 1–9 of :mod:`symce.numeric.rewrite`, all exact identities):

* log(a/b) → log a − log b and products distributed over sums, so the other rules see single terms;
* log(1 + eᵃ) → softplus(a), log σ(a) → log_sigmoid(a), 1 − σ(a) → σ(−a);
* A log A − A log B → kl_div(A, B) + A − B (or rel_entr_sum where the A − B parts cancel only on the simplex);
* softplus(a) − t·a → (1 − t)·softplus(a) + t·softplus(−a);
* −c·log(a/b) + P(a/b) → −c·log1pmx_ratio(a, b) + (P − c·u), u = a/b − 1;
* (a − b)²/s² → diff_ratio(a, b, s)²;
* A·log B → xlogy(A, B), A·log(1 + y) → xlog1py(A, y);
* c·log x + K → c·log_offset(x, K/c);
* log Σ e^{aᵢ} → logsumexp(a…).

Each takes the whole expression and returns it unchanged (the same object) where it does not apply.
"""

from __future__ import annotations

import sympy as sp

from symce.core.special import sigmoid
from symce.numeric.functions import (diff_ratio, kl_div, log1pmx_ratio, log_offset, log_sigmoid, logsumexp,
                                     rel_entr_sum, softplus, xlog1py, xlogy)
from symce.numeric.functions.exact import exact_rational, logprod_offset, rational_log_sum
from symce.numeric.rewrite_terms import has_exp, log_terms


def separate_logarithms(e):
    # expand products only in log-free terms: (z₁ − z₂)·σ(z₁) and (σ₁² + d²)/(2σ₂²) split into terms,
    # while (1 − p₁)·log(1 − p₂) keeps its factor for the xlogy/kl_div rules. Work term by term: expand_log
    # and expand_mul on the whole expression cost more than all the other rules together on the catalog.
    terms = []
    for t in sp.Add.make_args(e):
        if t.has(sp.log):
            t = sp.expand_log(t)
        for u in sp.Add.make_args(t):
            if isinstance(u, sp.Piecewise):  # the Pareto CE's branch x_{m1} ≥ x_{m2}: its logs paired too
                u = u.func(*[(_collect_logs(sp.Add.make_args(v)), c) for v, c in u.args])
            terms.append(_expand_outside_exp(u) if _has_log_sum(u) or not u.has(sp.log) else u)
    return _collect_logs(terms)


def _expand_outside_exp(u):
    """expand_mul(u), leaving exponentials whole: distributing inside exp((μ₁ − μ₂)/b₁) gives
    μ₁/b₁ − μ₂/b₁, ∞ − ∞ = NaN where each quotient overflows though their difference (or its exp) does not
    (Laplace CE at b₁ = 1e-275, μ₁ = 8e203, μ₂ = 7e87)."""
    exps = {f: sp.Dummy() for f in u.atoms(sp.exp)}
    if not exps:
        return sp.expand_mul(u)
    return sp.expand_mul(u.xreplace(exps)).xreplace({v: k for k, v in exps.items()})


def _collect_logs(terms):
    """Σ c_j·log(x) → (Σ c_j)·log(x) for each log(x) with a non-numeric argument that appears as a single
    factor of a term (what ``sp.collect(e, logs)`` does for these sums, at a fraction of its cost)."""
    groups: dict = {}
    order, out = [], []
    for t in terms:
        for u in sp.Add.make_args(t):
            logs = [f for f in sp.Mul.make_args(u) if isinstance(f, sp.log) and not f.args[0].is_number]
            if len(logs) == 1 and not any(f.has(sp.log) for f in sp.Mul.make_args(u) if f is not logs[0]):
                lg = logs[0]
                if lg not in groups:
                    groups[lg] = []
                    order.append(lg)
                groups[lg].append(u / lg)
            else:
                out.append(u)
    coef = {lg: sp.Add(*groups[lg]) for lg in order}
    return sp.Add(*out, *_paired_logs(coef, order))


def _paired_logs(coef, order):
    """c·log x + d·log y → −d·(log x − log y) + (c + d)·log x where c + d is a nonzero number and c, d are
    not: (α₂ + 1)·log x_{m1} − α₂·log x_{m2} (the Pareto CE) is ∞ − ∞ = NaN for α₂ = 1.8e308, while
    α₂·(log x_{m1} − log x_{m2}) + log x_{m1} is the exact +∞ (or the finite value without the huge products)."""
    done, out = set(), []
    for i, a in enumerate(order):
        if a in done or coef[a].is_number:
            continue
        for b in order[i + 1:]:
            if b in done or coef[b].is_number:
                continue
            # only coefficients apart from the logs' arguments, and logs of unrelated arguments:
            # p·log p + (1 − p)·log(1 − p) and p₁·log p₂ + (1 − p₁)·log(1 − p₂) are the xlogy rules' (Bernoulli)
            if (coef[a].free_symbols | coef[b].free_symbols) & (a.free_symbols | b.free_symbols) or \
                    a.free_symbols & b.free_symbols:
                continue
            s = sp.expand(coef[a] + coef[b])
            if s.is_number and s != 0:
                out.append(-coef[b] * (a - b) + s * a)
                done |= {a, b}
                break
    return out + [coef[lg] * lg for lg in order if lg not in done]


def _has_log_sum(t):
    """p·(log p − log q): a product with a sum of logarithms as a factor."""
    return isinstance(t, sp.Mul) and any(isinstance(f, sp.Add) and f.has(sp.log) for f in t.args)


def _is_one_plus_exp(arg):
    terms = sp.Add.make_args(arg)
    if len(terms) == 2 and sp.S.One in terms:
        other = terms[0] if terms[1] == 1 else terms[1]
        if isinstance(other, sp.exp):
            return other.args[0]
    return None


def _complement(x):
    """1 − σ(a) → σ(−a) and σ(a) − 1 → −σ(−a): 1 − σ(a) rounds to 0 for a ≳ 37 where σ(−a) does not."""
    terms = sp.Add.make_args(x)
    if len(terms) == 2:
        c, s = (terms[0], terms[1]) if terms[0].is_number else (terms[1], terms[0])
        coeff, sig = s.as_independent(sigmoid, as_Add=False)
        if isinstance(sig, sigmoid) and c == 1 and coeff == -1:
            return sigmoid(-sig.args[0])
        if isinstance(sig, sigmoid) and c == -1 and coeff == 1:
            return -sigmoid(-sig.args[0])
    return x


def _complements(e):
    return e.replace(lambda x: isinstance(x, sp.Add) and x.has(sigmoid), _complement)


def softplus_forms(e):
    if not (has_exp(e) or e.has(sigmoid)):  # log(1 + eᵃ), log σ(a) and 1 − σ(a) all need one: skip the tree walks
        return e

    def fix_log(x):
        a = _is_one_plus_exp(x.args[0])
        if a is not None:
            return softplus(a)
        if isinstance(x.args[0], sigmoid):
            return log_sigmoid(x.args[0].args[0])
        return x

    e = e.replace(lambda x: isinstance(x, sp.log), fix_log)

    return _complements(e)


def relative_entropy(e):
    terms = log_terms(e)
    used, pairs = set(), []
    for i, (a, b, t) in enumerate(terms):
        if b != a or i in used:
            continue
        for j, (a2, b2, t2) in enumerate(terms):
            if j != i and j not in used and b2 != a2 and sp.expand(a2 + a) == 0:
                used |= {i, j}
                pairs.append((a, b2, t, t2))
                break
    if not pairs:
        return e
    rest = sp.Add(*[t for t in sp.Add.make_args(e) if all(t not in (p[2], p[3]) for p in pairs)])
    linear = sp.expand(sum(a - b for a, b, _, _ in pairs))
    if linear != 0:
        # the formula carries −Σ(A − B) itself (Poisson: λ₁ log(λ₁/λ₂) − λ₁ + λ₂): each pair is a whole kl_div,
        # ≥ 0 and accurate near P = Q, where rel_entr_sum − λ₁ + λ₂ would cancel
        merged = sp.expand(rest + linear)
        size = lambda x: 0 if x == 0 else len(sp.Add.make_args(x))  # noqa: E731
        if size(merged) + size(linear) == size(sp.expand(rest)):  # every term of Σ(A − B) cancelled
            return merged + sp.Add(*[kl_div(a, b) for a, b, _, _ in pairs])
    if linear != 0:
        # Σ(A − B) is 0 on the simplex but not for float inputs near it: one k-ary reduction that picks
        # kl_div − (B − A) or A log(A/B) per term and sums everything with compensation
        return rest + rel_entr_sum(*[a for a, _, _, _ in pairs], *[b for _, b, _, _ in pairs])
    return rest + sp.Add(*[kl_div(a, b) for a, b, _, _ in pairs])


def softplus_with_linear_term(e):
    for sp_term in sp.Add.make_args(e):
        c, f = sp_term.as_independent(softplus, as_Add=False)
        if not (isinstance(f, softplus) and c.is_number):
            continue
        a = f.args[0]
        rest = [t for t in sp.Add.make_args(e) if t != sp_term]
        ts, others = [], []
        for t in rest:
            q = sp.cancel(t / a)
            if not t.has(softplus) and not q.as_numer_denom()[1].has(*a.free_symbols):
                ts.append(q)  # t = q·a with q free of 1/a: part of the linear term
            else:
                others.append(t)
        if not ts:
            continue
        tt = -sp.Add(*ts) / c
        return sp.Add(*others) + c * (_complements(1 - tt) * softplus(a) + tt * softplus(-a))
    return e


def scale_log_ratio(e):
    """For each pair of scale symbols a, b (positive symbols) with −c·log a + c·log b in the sum and terms
    P(a, b) in a and b alone with P(b(1 + u)) = k₀ + c·u + R(u): replace them by −c·log1pmx_ratio(a, b) +
    R(u) + k₀. The constant k₀ is taken from the constant of the sum, so a d-dimensional Gaussian KL
    (−d/2 in one constant) gets one −log1pmx_ratio per diagonal pair and no cancellation is left."""
    while True:
        new = _scale_log_ratio_once(e)
        if new is e:
            return e
        e = new


def _scale_log_ratio_once(e):
    logs = [(c, b, t) for c, b, t in log_terms(e) if c.is_number and b.is_Symbol and b.is_positive]
    for ca, a, ta in logs:
        if not ca.is_negative:
            continue
        for cb, b, tb in logs:
            if a == b or ca + cb != 0:
                continue
            c = -ca  # −c·log a + c·log b
            rest = [t for t in sp.Add.make_args(e) if t not in (ta, tb)]
            with_a = [t for t in rest if t.has(a) and t.free_symbols <= {a, b}]
            if not with_a:
                continue
            u = sp.Dummy("u")
            poly = sp.expand(sp.Add(*with_a).xreplace({a: b * (1 + u)}))
            if not poly.free_symbols <= {u}:
                continue  # the rule needs P to depend on a/b only (u²/2 for the normal KL)
            k0 = poly.xreplace({u: 0})
            if not k0.is_number or sp.diff(poly, u).xreplace({u: 0}) != c:
                continue
            remainder = sp.expand(poly - k0 - c * u)
            others = [t for t in rest if not any(t is w for w in with_a)]
            return -c * log1pmx_ratio(a, b) + remainder.xreplace({u: diff_ratio(a, b, b)}) + k0 + sp.Add(*others)
    return e


def scaled_squares(e):
    def fix(m):
        pows = [f for f in m.args if isinstance(f, sp.Pow)]
        num = [f for f in pows if f.exp == 2 and not f.base.is_number]
        den = [f for f in pows if f.exp == -2 and f.base.is_positive and not f.base.is_number]
        if len(num) != 1 or len(den) != 1:
            return m
        x, s = num[0].base, den[0].base
        rest = sp.Mul(*[f for f in m.args if f not in (num[0], den[0])])
        terms = sp.Add.make_args(x)
        if len(terms) == 2:
            a, b = (terms[0], -terms[1]) if not terms[0].could_extract_minus_sign() else (terms[1], -terms[0])
            return rest * diff_ratio(a, b, s) ** 2
        return rest * diff_ratio(x, 0, s) ** 2

    done: dict = {}  # each distinct subtree once (the LowRank MVN forms repeat theirs ~25×)

    def walk(n):
        # the exact kernels' arguments stay rational functions of the inputs: their kernels evaluate them
        # exactly and refuse a diff_ratio (the Rayleigh CE's σ₁²/σ₂² inside a rational_log_sum)
        if n.is_Atom or isinstance(n, _EXACT):
            return n
        got = done.get(n)
        if got is not None:
            return got
        m = n
        args = tuple(walk(a) for a in n.args)
        if args != n.args:
            n = n.func(*args)
        done[m] = got = fix(n) if isinstance(n, sp.Mul) else n
        return got

    return walk(e)


_EXACT = (exact_rational, logprod_offset, rational_log_sum)


def xlogy_forms(e):
    out = []
    for t in sp.Add.make_args(e):
        coeff, lg = t.as_independent(sp.log, as_Add=False)
        if isinstance(lg, sp.log) and not coeff.is_number and not coeff.has(sp.log) and not lg.args[0].is_number:
            c, a = coeff.as_coeff_Mul()
            arg = lg.args[0]
            const, var = arg.as_coeff_Add()
            if const == 1 and var != 0:
                out.append(c * xlog1py(a, var))
            else:
                out.append(c * xlogy(a, arg))
        else:
            out.append(t)
    return sp.Add(*out)


def log_offset_form(e):
    """c·log x + K with the constant K: the part of the sum that can cancel at x = e^{−K/c}."""
    logs = [(c, x, t) for c, x, t in log_terms(e) if c.is_number and x.is_positive]
    terms = sp.Add.make_args(e)
    consts = [t for t in terms if t.is_number]
    if len(logs) != 1 or not consts:
        return e
    c, x, t = logs[0]
    K = sp.Add(*consts)
    if K == 0:
        return e
    # != and not `is not`: log_terms is memoised by equality, so its t may be an equal term of another
    # sum object (the k = 2 entropy gradient’s −log p₁ − 1 before the k = 3 one’s): kept twice, it was
    # −log p₁ − log_offset(p₁, 1), −2 log p₁ − 1 (H(categorical-k3) ∂/∂p₁, 6.5e15 ULP)
    rest = [u for u in terms if u != t and not u.is_number]
    return c * log_offset(x, K / c) + sp.Add(*rest)


def logsumexp_form(e):
    if not has_exp(e):  # log Σ e^{aᵢ} needs one: skip the tree walk
        return e

    def fix(x):
        terms = sp.Add.make_args(x.args[0])
        if len(terms) >= 2 and all(isinstance(t, sp.exp) for t in terms):
            return logsumexp(*[t.args[0] for t in terms])
        return x

    return e.replace(lambda x: isinstance(x, sp.log), fix)


__all__ = ["separate_logarithms", "softplus_forms", "relative_entropy", "softplus_with_linear_term",
           "scale_log_ratio", "scaled_squares", "xlogy_forms", "log_offset_form", "logsumexp_form"]
