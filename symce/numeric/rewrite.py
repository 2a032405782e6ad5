r"""The stabilising rewrite: derived formulas → forms built from the stable functions.

Each rule is an exact identity applied to the whole expression; :func:`stabilise` records every step that
changed something and (by default) proves it equal to its input with :func:`symce.prove`, after replacing
the stable functions by their elementary definitions. Rules, in order:

1. ``separate logarithms`` — log(a/b) → log a − log b for positive a, b (expand_log without force) and
   products distributed over sums (expand_mul), so the rules below see individual terms;
1a. ``softmax`` — e^a/Σ_j e^{z_j} → softmax(a; z), log Σ e^{z_j} → logsumexp(z) (categorical with logits
   on the P side: e^{z} overflows and the quotient becomes ∞/∞);
2. ``softplus`` — log(1 + e^a) → softplus(a); log σ(a) → log_sigmoid(a); 1 − σ(a) → σ(−a);
2a. ``logit KL`` — logsumexp(y) − logsumexp(x) + Σ softmax(x)_i (x_i − y_i) → softmax_kl(x, y), and the
   Bernoulli form softplus(b) − softplus(a) + σ(a)(a − b) → softmax_kl(a, 0, b, 0): no cancellation near x = y;
2b. ``log-softmax`` — Σ s_i z_i − logsumexp(z) → Σ s_i log s_i when every s_i also has a −s_i log B_i
   partner, so rule 3 makes the categorical-logits KL a rel_entr_sum of the softmax probabilities;
3. ``relative entropy`` — A log A − A log B → kl_div(A, B) + A − B, applied only when the A − B parts of
   all pairs cancel exactly (Bernoulli: p₁ − p₂ + (1 − p₁) − (1 − p₂) = 0), so every kl_div term is ≥ 0
   and no cancellation is left between terms;
4. ``softplus with a linear term`` — softplus(a) − t·a → (1 − t)·softplus(a) + t·softplus(−a): both terms
   ≥ 0 for 0 ≤ t ≤ 1, where the input cancels catastrophically (t = 1, a ≫ 0);
5. ``scale log-ratio`` — −c·log(a/b) + P(a) with P(b(1+u)) = c·u + O(u²) → −c·log1pmx_ratio(a, b) +
   (P − c·u) in u = (a − b)/b: the normal KL's log σ₂/σ₁ − 1/2 + σ₁²/(2σ₂²) becomes
   −log1pmx(σ₁/σ₂ − 1) + u²/2, all terms ≥ 0;
6. ``scaled squares`` — (a − b)²/s² → diff_ratio(a, b, s)², a²/s² → diff_ratio(a, 0, s)² (no overflow
   of a² when a/s is representable);
7. ``xlogy`` — A·log B → xlogy(A, B), A·log(1 + y) → xlog1py(A, y) (0·log 0 = 0);
8. ``log offset`` — c·log x + K (K a constant) → c·log_offset(x, K/c) (cancels at x = e^{−K/c});
9. ``logsumexp`` — log Σ e^{a_i} → logsumexp(a_1, …);
10. ``softmax cross-entropy`` — logsumexp(z) − Σ t_i z_i → softmax_xent(t, z) = Σ t_i (logsumexp z − z_i),
    using the assumption Σ t_i = 1 (the proof eliminates one t_i with it) or t = softmax(x) (Σ t_i = 1
    identically: the entropy and cross-entropy of a categorical with logits); every term is ≥ 0;
11. ``positive weights`` — xlogy(w, y) → wprod(w, log y), xlog1py(w, y) → wprod(w, log1p y), w·F →
    wprod(w, F) for w = σ(a) or softmax(a; z): w > 0 exactly but rounds to 0 below e^{−745}, so xlogy's
    0·log 0 = 0 is wrong there (the value is +∞); wprod takes the product in extended range from the logits.
10a. ``probability–logit KL`` — Σ xlogy(p_i, p_i) + softmax_xent(p, z) → prob_logit_kl(p, z), and the
    Bernoulli form xlogy(p, p) + xlog1py(1 − p, −p) + p·softplus(−a) + (1 − p)·softplus(a) →
    prob_logit_kl(p, 1 − p, a, 0): the entropy and the cross-entropy cancel near p = softmax z;
    rel_entr_sum(softmax(z)…, q…) → logit_prob_kl(z, q), and the Bernoulli form −σ(a)·softplus(−a) −
    σ(−a)·softplus(a) − xlogy(σ(a), q₁) − xlog1py(σ(−a), y) → logit_prob_kl(a, 0, q₁, 1 + y): the same
    with the roles swapped (KL of logits against probabilities).
10b. ``logit cross-entropy`` — softmax_xent(softmax(x)…, z) → logit_xent(x, z) (entropy and cross-entropy of
    categoricals with logits): the implementation gets the logits, so underflowing weights still count.

8a. ``log of a product``, 8a'. ``rational log sum`` (before it) and 12. ``rational part`` —
    :mod:`symce.numeric.rewrite_exact`.

Where the A − B parts do not cancel symbolically (categorical: Σ p_i − Σ q_i, which is 0 only on the
simplex), rule 3 produces ``rel_entr_sum(A…, B…)`` instead, a k-ary reduction that is exact for float inputs
slightly off the simplex too.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import sympy as sp

from symce.core.special import sigmoid
from symce.numeric.functions import (StableFunction, diff_ratio, kl_div, log1p, log1pmx_ratio, log_offset, log_sigmoid,
                        logit_prob_kl, logit_xent, logsumexp, prob_logit_kl, rel_entr_sum, softmax, softmax_kl, softmax_xent, softplus, to_elementary,
                        wprod, xlog1py, xlogy)
from symce.numeric.rewrite_terms import log_terms
from symce.numeric import rewrite_exact as _rx  # rules 8a (log of a product) and 12 (rational part): see that module


@dataclass(frozen=True)
class RewriteStep:
    rule: str
    before: sp.Expr
    after: sp.Expr
    proof: object = None  # a symce.Proof when proved

    @property
    def status(self) -> str:
        return self.proof.status if self.proof is not None else "not checked"


@dataclass(frozen=True)
class Stabilised:
    """The result of :func:`stabilise`: the input, the stable form, and every step with its proof."""

    original: sp.Expr
    expr: sp.Expr
    steps: tuple = field(default=())

    @property
    def proved(self) -> bool:
        return all(s.proof is not None and s.proof.status == "proved" for s in self.steps)

    def __str__(self) -> str:
        lines = [f"{self.original}"]
        for s in self.steps:
            lines.append(f"  = {s.after}    [{s.rule}; {s.status}]")
        return "\n".join(lines)


# -- rules -----------------------------------------------------------------------------------------------
def _separate(e):
    # expand products only in log-free terms: (z₁ − z₂)·σ(z₁) and (σ₁² + d²)/(2σ₂²) split into terms,
    # while (1 − p₁)·log(1 − p₂) keeps its factor for the xlogy/kl_div rules. Work term by term: expand_log
    # and expand_mul on the whole expression cost more than all the other rules together on the catalog.
    terms = []
    for t in sp.Add.make_args(e):
        if t.has(sp.log):
            t = sp.expand_log(t)
        for u in sp.Add.make_args(t):
            terms.append(sp.expand_mul(u) if _has_log_sum(u) or not u.has(sp.log) else u)
    return _collect_logs(terms)


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
    return sp.Add(*out, *[sp.Add(*groups[lg]) * lg for lg in order])


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


def _softplus(e):
    def fix_log(x):
        a = _is_one_plus_exp(x.args[0])
        if a is not None:
            return softplus(a)
        if isinstance(x.args[0], sigmoid):
            return log_sigmoid(x.args[0].args[0])
        return x

    e = e.replace(lambda x: isinstance(x, sp.log), fix_log)

    return _complements(e)


def _exp_sum_args(x):
    """(z₁, …, z_k) if x = e^{z₁} + … + e^{z_k} (k ≥ 2), else None."""
    terms = sp.Add.make_args(x)
    if len(terms) >= 2 and all(isinstance(t, sp.exp) for t in terms):
        return tuple(t.args[0] for t in terms)
    return None


def _softmax(e):
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

    e = e.replace(lambda m: isinstance(m, sp.Mul), fix)
    if not e.has(softmax):
        return e
    return e.replace(lambda x: isinstance(x, sp.log) and _exp_sum_args(x.args[0]) is not None,
                     lambda x: logsumexp(*_exp_sum_args(x.args[0])))


def _logit_kl(e):
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


def _log_softmax_pairs(e):
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


def _relative_entropy(e):
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
    if sp.expand(sum(a - b for a, b, _, _ in pairs)) != 0:
        # Σ(A − B) is 0 on the simplex but not for float inputs near it: one k-ary reduction that picks
        # kl_div − (B − A) or A log(A/B) per term and sums everything with compensation
        return rest + rel_entr_sum(*[a for a, _, _, _ in pairs], *[b for _, b, _, _ in pairs])
    return rest + sp.Add(*[kl_div(a, b) for a, b, _, _ in pairs])


def _softplus_linear(e):
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


def _scale_log_ratio(e):
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


def _scaled_squares(e):
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

    return e.replace(lambda m: isinstance(m, sp.Mul), fix)


def _xlogy(e):
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


def _log_offset(e):
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
    rest = [u for u in terms if u is not t and not u.is_number]
    return c * log_offset(x, K / c) + sp.Add(*rest)


def _logsumexp(e):
    def fix(x):
        terms = sp.Add.make_args(x.args[0])
        if len(terms) >= 2 and all(isinstance(t, sp.exp) for t in terms):
            return logsumexp(*[t.args[0] for t in terms])
        return x

    return e.replace(lambda x: isinstance(x, sp.log), fix)


def _coefficient_of(t, z, zs):
    """c where t = c·z and c is free of the logits zs (softmax weights of them allowed), else None."""
    factors = list(sp.Mul.make_args(t))
    if z not in factors:
        return None
    factors.remove(z)
    c = sp.Mul(*factors)
    bare = c.replace(lambda f: isinstance(f, (softmax, sigmoid)), lambda f: sp.S.One)
    return None if bare.has(*zs) else c


def _softmax_xent(e, assumptions=()):
    """logsumexp(z) − Σ t_i z_i with Σ t_i = 1 (an assumption) → softmax_xent(t, z)."""
    for lse_term in sp.Add.make_args(e):
        if not isinstance(lse_term, logsumexp):
            continue
        zs = lse_term.args
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
                ts.append(-_coefficient_of(rest[found], z, zs))
        total = sp.Add(*ts)
        on_simplex = any(isinstance(a, sp.Eq) and sp.expand(a.lhs - a.rhs - (total - 1)) == 0 for a in assumptions)
        # the weights of a softmax over all of some logit vector sum to 1 identically
        on_simplex = on_simplex or _is_full_softmax(ts)
        if not on_simplex:
            continue
        others = [t for i, t in enumerate(rest) if i not in used]
        return softmax_xent(*ts, *zs) + sp.Add(*others)
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


def _prob_logit_kl(e):
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


def _logit_prob_kl(e):
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


def _logit_xent(e):
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


def _positive_weights(e):
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


RULES = (
    ("separate logarithms (expand_log for positive arguments, expand_mul)", _separate),
    ("softmax: e^a/Σ e^{z_j} = softmax(a; z), log Σ e^{z_j} = logsumexp(z)", _softmax),
    ("softplus: log(1 + e^a) = softplus(a), log σ(a) = log_sigmoid(a), 1 − σ(a) = σ(−a)", _softplus),
    ("logit KL: logsumexp(y) − logsumexp(x) + Σ softmax(x)_i (x_i − y_i) = softmax_kl(x, y)", _logit_kl),
    ("log-softmax: Σ softmax(z)_i z_i − logsumexp(z) = Σ s_i log s_i", _log_softmax_pairs),
    ("relative entropy: A log A − A log B = kl_div(A, B) + A − B", _relative_entropy),
    ("softplus with a linear term: softplus(a) − t·a = (1 − t)·softplus(a) + t·softplus(−a)", _softplus_linear),
    ("scale log-ratio: −log(a/b) + (a/b − 1) = −log1pmx(a/b − 1)", _scale_log_ratio),
    ("scaled squares: (a − b)²/s² = diff_ratio(a, b, s)²", _scaled_squares),
    ("xlogy: A·log B = xlogy(A, B), A·log(1 + y) = xlog1py(A, y)", _xlogy),
    ("rational log sum: K + R₀ + Σ c_i log R_i = rational_log_sum(K, R₀, c_1, R_1, …)", _rx.log_rational_sum),
    ("log of a product: c·Σ log x_i + K = c·logprod_offset(x…, K/c)", _rx.log_product),
    ("log offset: log x + c = log_offset(x, c)", _log_offset),
    ("logsumexp: log Σ e^{a_i} = logsumexp(a_1, …)", _logsumexp),
    ("softmax cross-entropy: logsumexp(z) − Σ t_i z_i = Σ t_i (logsumexp(z) − z_i) for Σ t_i = 1", _softmax_xent),
    ("probability–logit KL: Σ p_i log p_i + Σ p_i (logsumexp z − z_i) = prob_logit_kl(p, z)", _prob_logit_kl),
    ("logit–probability KL: Σ softmax(z)_i (log softmax(z)_i − log q_i) = logit_prob_kl(z, q)", _logit_prob_kl),
    ("logit cross-entropy: softmax_xent(softmax(x)…, z) = logit_xent(x, z)", _logit_xent),
    ("positive weights: σ(a)·v = wprod(σ(a), v), xlogy(σ(a), y) = wprod(σ(a), log y)", _positive_weights),
    ("rational part: Σ rational terms (with a nested ratio) = exact_rational(Σ)", _rx.rational_part),
)


def stabilise(expr, *, prove: bool = True, assumptions=()) -> Stabilised:
    """Rewrite ``expr`` into stable functions; with ``prove`` each changed step carries a Proof that it
    equals its input (the stable functions replaced by their elementary definitions)."""
    from symce.engine.proof import prove as _prove

    if isinstance(expr, sp.MatrixBase):
        parts = [stabilise(x, prove=prove, assumptions=assumptions) for x in expr]
        return Stabilised(expr, sp.ImmutableMatrix(expr.shape[0], expr.shape[1], [p.expr for p in parts]),
                          tuple(s for p in parts for s in p.steps))
    e, steps = expr, []
    if not expr.has(sp.log, sp.exp, sigmoid):
        # every rule rewrites a logarithm, an exponential or σ: without them there is nothing to stabilise
        # (and expanding log-free gradients would only add cancellation)
        return Stabilised(expr, expr, ())
    for rule, f in RULES:
        new = f(e, assumptions) if f is _softmax_xent else f(e)
        if new == e:
            continue
        proof = None
        if prove:
            # prove the changed terms only: identical terms on both sides add nothing, and leaving them out
            # keeps symbols that cancel from the sampled points (prove samples the difference's symbols)
            common = set(sp.Add.make_args(new)) & set(sp.Add.make_args(e))
            lhs = sp.Add(*[t for t in sp.Add.make_args(new) if t not in common])
            rhs = sp.Add(*[t for t in sp.Add.make_args(e) if t not in common])
            lhs, rhs = to_elementary(lhs), to_elementary(rhs)
            if f is _softmax_xent:  # the one rule that uses Σ t_i = 1
                lhs, rhs = _use_simplex(lhs, rhs, assumptions)
            proof = _prove(lhs, rhs, assumptions, name=rule.split(":")[0])
        steps.append(RewriteStep(rule, e, new, proof))
        e = new
    return Stabilised(expr, e, tuple(steps))


def _use_simplex(lhs, rhs, assumptions):
    """Apply each assumption Σ t_i = 1 (explicit symbols) by eliminating its last symbol from both sides —
    an exact use of the assumption, so the proof can close symbolically."""
    for a in assumptions:
        if isinstance(a, sp.Eq) and isinstance(a.lhs, sp.Add) and a.rhs == 1:
            syms = [t for t in a.lhs.args if isinstance(t, sp.Symbol)]
            if len(syms) == len(a.lhs.args) and (lhs.has(syms[-1]) or rhs.has(syms[-1])):
                last = syms[-1]
                sub = {last: 1 - sp.Add(*syms[:-1])}
                lhs, rhs = lhs.xreplace(sub), rhs.xreplace(sub)
    return lhs, rhs


__all__ = ["stabilise", "Stabilised", "RewriteStep", "RULES"]
