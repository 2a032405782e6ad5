r"""The stabilising rules for the shapes derivatives take (rules 13–16 and the softmax polynomial of
:mod:`symce.numeric.rewrite`, all exact identities, proved like the others):

* ``sigmoid minus target`` — c·σ(a) − c·t → c·((1 − t)·σ(a) − t·σ(−a)) (σ(a) + σ(−a) = 1): the BCE
  gradient σ(z) − t at t = 1 is −σ(−z) = −e^{−z}/(1 + e^{−z}), which σ(z) − 1 rounds to 0 from z ≈ 37;
  for 0 ≤ t ≤ 1 both terms have fixed signs and only the true zero σ(a) = t cancels;
* ``sigmoid variance`` — c·σ(a) − c·σ(a)² → c·σ(a)·σ(−a) (the second derivative of softplus): σ − σ² loses
  every digit once σ(a) rounds to 1;
* ``quotient of differences`` (log-free expressions) — a sum of rational terms → one quotient whose
  numerator is a product of differences a − b (exact where a ≈ b, by Sterbenz' lemma): the Bernoulli KL
  gradient −p/q + (1 − p)/(1 − q) → (q − p)/(q(1 − q)), exactly 0 at p = q;
* ``scaled quotient`` — N/sⁿ with N a homogeneous polynomial of degree m ≤ n in the inputs →
  s^{m−n}·N(x/s), each square of a difference written diff_ratio(a, b, s)² and each difference of squares
  x² − y² as diff_ratio(x, y, s)·(x/s + y/s): the normal KL gradients (μ₂ − μ₁)/σ₂² and
  (σ₂² − σ₁² − (μ₁ − μ₂)²)/σ₂³, whose σ₂² and σ₂³ under/overflow from σ₂ ≈ 1e-162 and 5.6e102.

* ``softmax polynomial`` (right after the logarithms are separated) — a derivative of a categorical or
  Bernoulli formula with logits as a polynomial in the class probabilities s_j = softmax(z_j; z) (σ(±a)),
  every term brought to one degree with Σ s_j = 1 and collected by monomial, each probability around a
  symbolic coefficient as wprod: s_i − p_i → s_i(1 − p_i) − p_i Σ_{j≠i} s_j (one-hot targets),
  ∂H/∂z_i → Σ_j s_i s_j (z_j − z_i), e^{z₁}e^{z₂}/(Σ e^{z})² → s₁s₂ (no e^{z} overflow);
* inside the softmax polynomial, each pair c·log q_i − c·log q_j of a coefficient is c·log_diff_ratio(q_i, 0, q_j, 0)
  (log1p((q_i − q_j)/q_j) near q_i = q_j) and c·(z_i − z_j) + c·log(q_j/q_i) is one log_gap (long double: the logit
  difference and the log-ratio cancel where softmax z = q, the KL of logits against probabilities ∂/∂z); a
  two-class softmax's s₁ − s₂ is tanh((z₁ − z₂)/2), as for σ(±a) (±log q₂ = ±∞ at q₂ = 0 gave ∞ − ∞ = NaN);
* ``weight quotients`` — c·w·v/xⁿ → c·wdiv(w, v, x, n) for w = σ(a) or softmax(a; z): w subnormal where w/q is
  not (−s_j/q_j at q_j = 1.1e-16: 3.9e15 ULP), and (σ/p)/p rounding a subnormal σ/p;
* ``exact rational derivative`` — a log-free derivative that is not one of the shapes above whose float
  evaluation is safe (c·x/s, c·(a − b)/s², the Bernoulli (q − p)/(q(1 − q))) → exact_rational(R), correctly
  rounded in extended range: the normal KL ∂/∂σ₁ = (σ₁² − σ₂²)/(σ₁σ₂²) was 0/0 at σ₁ = σ₂ = 1e-200, ∂/∂σ₂
  −∞ where it is −8e282, and the MVN gradients NaN/∞ at 200–1500 of 300 points.

Each takes the whole expression and returns it unchanged where it does not apply.
"""

from __future__ import annotations

import sympy as sp

from symce.core.special import sigmoid
from symce.numeric.functions import fsum, log1p, softmax, softmax_rest, softmax_var, wprod, wtanh
from symce.numeric.functions import diff_ratio, exact_rational, log_diff_ratio, log_gap, sigmoid_var_mix, wdiv
from symce.numeric.rational_function import is_rational_function
from symce.core.walk import has_free_symbols
from symce.numeric.rewrite_terms import has_type


#: softmax_polynomial leaves larger k alone: homogenising multiplies terms by (Σ s_j)^Δ, k^Δ new terms each
SOFTMAX_MAX_K = 12


def _softmax_families(e):
    """{Σ_j e^{z_j}: (z₁, …, z_k)} for the sums of exponentials of distinct symbols in e (2 ≤ k ≤ SOFTMAX_MAX_K)."""
    out = {}
    for node in sp.preorder_traversal(e):
        if isinstance(node, sp.Add) and 2 <= len(node.args) <= SOFTMAX_MAX_K \
                and all(isinstance(t, sp.exp) and t.args[0].is_Symbol for t in node.args):
            zs = tuple(t.args[0] for t in node.args)
            if len(set(zs)) == len(zs):
                out[node] = zs
    # a partial sum (Σ_{j≠i} e^{z_j} in a derivative) is no family of its own: its terms become D·s_j
    return {S: zs for S, zs in out.items() if not any(set(zs) < set(other) for other in out.values())}


def _degree(term, members) -> int:
    powers = term.as_powers_dict()
    return sum(int(powers.get(m, 0)) for m in members)


def _homogenise(expr, members):
    """Each term times (Σ members)^Δ, Δ its degree below the highest (Σ members = 1), expanded: the parts
    1 − s_i hidden in terms of different degree become the sums Σ_{j≠i} s_j they equal, symbolically."""
    terms = sp.Add.make_args(expr)
    degs = [_degree(t, members) for t in terms]
    top = max(degs)
    if top == min(degs):
        return expr
    total = sp.Add(*members)
    powers = {k: sp.expand(total ** k) for k in set(top - d for d in degs)}  # a polynomial in the members only
    return _expand(sp.Add(*[t * powers[top - d] for t, d in zip(terms, degs)]))


def _expand(x):
    # products distributed, and positive powers of sums holding a probability ((1 − σ(a))² of a Hessian), but no
    # other power: (1 − p)² in a denominator stays a square (expanded, it cancels near p = 1)
    x = x.replace(lambda n: n.is_Pow and n.exp.is_Integer and n.exp > 1 and n.base.is_Add
                  and n.base.has(sigmoid, softmax, sp.exp), lambda n: sp.expand_multinomial(n))
    return sp.expand_mul(x)


def _sigmoid_families(e):
    """[σ(a), σ(−a)] for each sigmoid argument of e (σ(a) + σ(−a) = 1), when e is a derivative's shape:
    a polynomial in sigmoids with coefficients of symbols and their logarithms (no softplus, exp, …)."""
    funcs = e.atoms(sp.Function)
    if not any(isinstance(f, sigmoid) for f in funcs):
        return []
    if any(not isinstance(f, (sigmoid, sp.log)) or (isinstance(f, sp.log) and f.has(sigmoid, sp.exp)) for f in funcs):
        return []
    args = []
    for f in funcs:
        if isinstance(f, sigmoid):
            a = f.args[0]
            a = -a if a.could_extract_minus_sign() else a
            if a not in args:
                args.append(a)
    return [[sigmoid(a), sigmoid(-a)] for a in args]


def softmax_polynomial(e, assumptions=()):
    r"""A derivative of a categorical formula with logits — a rational function of e^{z_j} and Σ_j e^{z_j} —
    → a polynomial in the softmax probabilities s_j = softmax(z_j; z), homogeneous in each family (s of one
    logit vector; σ(a), σ(−a) of one sigmoid) and collected by monomial: s_i − p_i → s_i·(1 − p_i) −
    p_i·Σ_{j≠i} s_j, ∂H/∂z_i → s_i·Σ_j s_j (z_j − z_i), σ(a) − 1 → −σ(−a). The identity used is Σ_j s_j = 1:
    every 1 − s_i, which rounds to 0 once class i dominates (a one-hot target, logits spread 40 or more),
    becomes the sum of the other classes' probabilities."""
    if isinstance(e, sp.MatrixBase) or not e.has(sp.exp, sigmoid):
        return e
    sig = _sigmoid_families(e)
    if sig:
        x = _homogenised(_expand(e), sig, assumptions)
        return e if x is None else _collected(x, sig)
    fams = _softmax_families(e)
    if not fams:
        # the expansion of the logarithms distributed a factor over Σ e^{z} (−e^{z₁}/(q e^{z₁} + q e^{z₂})): taken out
        e2 = e.replace(lambda n: n.is_Add and n.has(sp.exp), sp.factor_terms)
        fams = _softmax_families(e2)
        e = e2 if fams else e
    if not fams or any(isinstance(n, sp.log) and n.args[0] in fams for n in sp.preorder_traversal(e)):
        return e  # log Σ e^{z}: a value (the softmax and logsumexp rules take it), not a derivative
    if _weighted_logs_beside_constants(e, fams):
        return e  # a Multinomial's CE value: its coefficient terms are the next rule's
    dummies, expmap, members = {}, {}, []
    for S, zs in fams.items():
        d = sp.Dummy("S", positive=True)
        dummies[S] = d
        ss = [softmax(z, *zs) for z in zs]
        members.append(ss)
        for z, sz in zip(zs, ss):
            if z in expmap:  # one logit in two sums: not a categorical's shape
                return e
            expmap[z] = d * sz

    def fix_exp(x):
        coeffs = sp.Add.make_args(x.args[0])
        out = sp.S.One
        for c in coeffs:
            k, z = c.as_coeff_Mul()
            if z not in expmap or not k.is_Integer:
                return x
            out *= expmap[z] ** k
        return out

    x = e.xreplace(dummies).replace(lambda n: isinstance(n, sp.exp), fix_exp)
    x = _expand(x)
    if x.free_symbols & set(dummies.values()) or x.has(sp.exp) and any(
            isinstance(n, sp.exp) and n.free_symbols & set(expmap) for n in sp.preorder_traversal(x)):
        return e  # Σ e^{z} left over (under a logarithm, a value rather than a derivative)
    h = _homogenised(x, members, assumptions)
    if h is None:
        # homogeneous already: a product of probabilities (e^{z_1}e^{z_2}/(Σ e^{z})², a Hessian) is this rule's to
        # write; single weights e^{z_i}/Σ e^{z} (a value's) are left to the softmax rule
        flat = [s for ss in members for s in ss]
        if all(_degree(t, flat) <= 1 for t in sp.Add.make_args(x)) and not any(
                f.is_Pow and f.exp.is_negative and f.base.has(sp.exp) for f in sp.preorder_traversal(e)
                if isinstance(f, sp.Pow) and f.base.is_Add and f.base not in fams):
            return e
        h = x
    return _collected(h, members)


def _weighted_logs_beside_constants(e, fams) -> bool:
    """e = Σ c·e^{z_i}·log(…)/Σ_j e^{z_j} (each logit's weight once, the logarithms of inputs: −n Σ s_i log q_i)
    + terms in which the logits occur only inside exponentials with constant factors (a Multinomial's coefficient
    terms, −E log(n!/Π xᵢ!)): the value H(Mult(n, softmax z), Mult(n, q)). Homogenised as one polynomial, each
    −n s_i log q_i became −n s_i³ log q_i − 2n s_i² s_j log q_i − … (three roundings a term where one class
    dominates: CE(multinomial-logits-n3-k3 ‖ multinomial-n3-k3) 6 ULP at 0.906); the ``Multinomial coefficient
    terms`` rule takes the constant terms alone and the weighted logarithms stay single products."""
    if not e.is_Add:
        return False
    zs = {z for zz in fams.values() for z in zz}
    weighted = constant = False
    for t in e.args:
        logs = [n for n in sp.preorder_traversal(t) if isinstance(n, sp.log) and not n.is_number]
        if not logs:
            masked = t.replace(lambda n: isinstance(n, sp.exp), lambda n: sp.Dummy())
            if not (masked.free_symbols & zs):
                constant = True
                continue
            return False
        factors = sp.Mul.make_args(t)
        exps = [f for f in factors if isinstance(f, sp.exp)]
        dens = [f for f in factors if f.is_Pow and f.exp == -1 and f.base in fams]
        others = [f for f in factors if f not in exps and f not in dens]
        if len(exps) != 1 or exps[0].args[0] not in zs or len(dens) != 1 or any(
                f.free_symbols & zs for f in others) or not all(lg.args[0].is_Symbol for lg in logs):
            return False
        weighted = True
    return weighted and constant


def _homogenised(x, members, assumptions=()):
    """x homogenised in each family, or None where every family already is (a value such as −Σ s_i log q_i,
    which the other rules take as it is)."""
    start = x
    for ss in members:
        x = _homogenise(x, ss)
    # the targets p of a cross-entropy are not homogenised with Σ p_j = 1: 1 − p_i is exact to half an ulp as it
    # is, and floats p_j sum to 1 only to rounding, so Σ_{j≠i} p_j would move the value by several ULP
    return None if x is start else x


def _collected(x, members):
    """x collected by the monomial in the members: s_1 s_2 (z_2 − z_1) rather than z_2 s_1 s_2 − z_1 s_1 s_2."""
    flat = [s for ss in members for s in ss]
    groups: dict = {}
    for t in sp.Add.make_args(_expand(x)):
        mono = sp.Mul(*[f for f in sp.Mul.make_args(t) if (f.base if f.is_Pow else f) in flat])
        groups[mono] = groups.get(mono, 0) + t / mono
    # monomials sharing one plain coefficient (a target probability p_i) summed first: p_i·Σ_{j≠i} s_j is one
    # product of two well-conditioned sums, not k − 1 products added one by one
    shared: dict = {}
    out = _sigmoid_differences(groups, members, flat)
    outer = _shared_weights(groups, flat)
    for m, c in groups.items():
        c = sp.factor_terms(c)
        sign, core = c.as_coeff_Mul()
        if core.is_Symbol and sign in (1, -1) or c.is_Rational:  # a number: the Hessian's Σ_{j≠i} s_i s_j
            shared.setdefault(c, []).append(m)
        else:
            out.append(_weighted(m, c, flat, outer))
    # one monomial alone keeps its wprod (−z₂·σ(a)σ(−a) with z₂ = 1e308 and σ(a) = e^{−800})
    out += [c * _rest_sum(ms, members) if len(ms) > 1 else _weighted(ms[0], c, flat) for c, ms in shared.items()]
    return sp.Add(*out)


def _shared_weights(groups, flat):
    """The class probabilities that every monomial of ``groups`` holds (s_i of ∂/∂z_i), where there are several and
    each is a product of two (a gradient's s_i s_j; a Hessian's s_i² s_j, s_i s_j s_k keep their order, which measured
    better: H(categorical-logits-k3) ∂²/∂z₂² 4 units against 5 with s_i outermost)."""
    if len(groups) < 2 or any(_degree(m, flat) != 2 for m in groups):
        return frozenset()
    common = None
    for m in groups:
        fs = {f.base if f.is_Pow else f for f in sp.Mul.make_args(m)} & set(flat)
        common = fs if common is None else common & fs
    return frozenset(common or ())


def _sigmoid_differences(groups, members, flat):
    """c₁·F·σ(a) + c₂·F·σ(−a) → ½(c₁ − c₂)·F·tanh(a/2) + ½(c₁ + c₂)·F (σ(a) − σ(−a) = tanh(a/2), σ(a) + σ(−a) = 1;
    the same for the two probabilities of a two-class softmax, a = z₁ − z₂),
    the pair taken out of ``groups``, where c₁ − c₂ holds a logarithm: at a target p = 1 the coefficients
    ±(log p − log(1 − p)) are ±∞ and ∞ − ∞ = NaN where the BCE Hessian in z is −∞ (σσ'(σ − σ')·∞); the two
    terms also cancel near a = 0 — and so where c₂ = −c₁ (wtanh keeps a subnormal a). Other pairs σ²σ′c₁ + σσ′²c₂
    of a sigmoid (a Hessian) are one sigmoid_var_mix(a, c₁, c₂); the rest stay as they are."""
    out = []
    for ss in members:
        if len(ss) != 2:
            continue
        pos, neg = ss
        # two classes of logits z₁, z₂: s₁ − s₂ = tanh((z₁ − z₂)/2), s₁ + s₂ = 1 (z₁ − z₂ overflows only where
        # tanh is ±1 anyway); the KL of logits against probabilities at q₂ = 0 has ±log q₂ in both coefficients
        a = pos.args[0] if isinstance(pos, sigmoid) else pos.args[0] - neg.args[0]
        for m1 in list(groups):
            if m1 not in groups or m1.as_powers_dict().get(pos, 0) < 1:
                continue
            rest = m1 / pos
            m2 = rest * neg
            if m2 not in groups or m2 == m1:
                continue
            diff, tot = sp.expand(groups[m1] - groups[m2]), sp.expand(groups[m1] + groups[m2])
            if isinstance(pos, sigmoid) and rest == pos * neg and tot != 0 and not diff.has(sp.log) and not tot.has(sp.log):
                # σ²σ′c₁ + σσ′²c₂ (a Bernoulli-logit Hessian) as one long-double kernel: the chain of weighted
                # products rounded each σ and each product (4–5 units at z₁ = −9.83)
                scale, (v1, v2) = _scaled_pair(groups.pop(m1), groups.pop(m2))
                out.append(scale * sigmoid_var_mix(pos.args[0], v1, v2))
                continue
            if tot != 0 and (not diff.has(sp.log) or tot.has(sp.log)):
                continue
            groups.pop(m1)
            groups.pop(m2)
            # wtanh: the coefficient multiplied before tanh(a/2) rounds (a/2 loses a subnormal a)
            scale, v = _scaled_logit_sum(sp.factor_terms(diff / 2))
            out.append(_weighted(rest, scale * wtanh(v, a), flat))
            half = sp.factor_terms(tot / 2)
            if isinstance(pos, softmax) and rest == pos * neg and half.is_number:
                out.append(half * softmax_var(*pos.args))  # s₁s₂ = s₁(1 − s₁) in one kernel
            elif tot != 0:
                out.append(_weighted(rest, half, flat))
    return out


def _rest_sum(ms, members):
    """Σ ms, and F·softmax_rest(z_i; z) where the monomials are F·s_j for every class j ≠ i of one softmax family
    (Σ_{j≠i} s_j = 1 − s_i): the k − 1 kernels summed added k − 1 roundings and independent errors (the softmax
    cross-entropy gradient s_i(1 − p_i) − p_i Σ_{j≠i} s_j and its Hessian Σ_{j≠i} s_i s_j: 5–11 ULP at k = 10)."""
    common = set(sp.Mul.make_args(ms[0]))
    for mm in ms[1:]:
        common &= set(sp.Mul.make_args(mm))
    rest = []
    for mm in ms:
        fs = [f for f in sp.Mul.make_args(mm) if f not in common]
        if len(fs) != 1:
            return sp.Add(*ms)
        rest.append(fs[0])
    for ss in members:
        left = [s for s in ss if s not in rest]
        if isinstance(ss[0], softmax) and len(left) == 1 and len(rest) == len(ss) - 1 and set(rest) <= set(ss):
            if left[0] in common:  # s_i·Σ_{j≠i} s_j = s_i(1 − s_i), one kernel rather than a product of two
                return sp.Mul(*[f for f in common if f != left[0]]) * softmax_var(*left[0].args)
            return sp.Mul(*common) * softmax_rest(*left[0].args)
    return sp.Add(*ms)


def _power_of_two_above(x) -> sp.Integer:
    """The least 2^n ≥ x (x ≥ 1): the terms of a sum divided by it add up to at most DBL_MAX."""
    n = 1
    while n < x:
        n *= 2
    return sp.Integer(n)


def _logit_like(x) -> bool:
    """A logit, or the log of a symbol or of a ratio of two (a probability's log: |log p| ≤ 745, beside logits up
    to ±DBL_MAX)."""
    return x.is_Symbol or isinstance(x, sp.log) and x.args[0].is_Symbol or isinstance(x, (log_diff_ratio, log_gap))


def _log_ratios(coef):
    """coef with each pair c·log x − c·log y (x, y symbols: probabilities) as c·log_diff_ratio(x, 0, y, 0) =
    c·log(x/y): log x − log y of two rounded logarithms is off by ulp(log x) where x ≈ y (the KL of logits against
    probabilities ∂/∂z at q₁ ≈ q₂: 6 units), while its kernel takes log1p((x − y)/y) there, x − y exact."""
    if not coef.is_Add:
        return coef
    logs = {}
    for t in coef.args:
        c, f = t.as_coeff_Mul()
        if isinstance(f, sp.log) and f.args[0].is_Symbol:
            logs.setdefault(abs(c), []).append((c, f.args[0], t))
    pairs = []
    for c, group in logs.items():
        pos = [g for g in group if g[0] > 0]
        neg = [g for g in group if g[0] < 0]
        pairs += [(c, a, b) for a, b in zip(pos, neg)]
    if not pairs:
        return coef
    used = {t for _, a, b in pairs for t in (a[2], b[2])}
    rest = [t for t in coef.args if t not in used]
    return sp.Add(*rest, *[c * log_diff_ratio(a[1], 0, b[1], 0) for c, a, b in pairs])


def _log_gap(coef):
    """(4, log_gap(a, b, x, y, c/4)) for coef = c·(a − b) + c·log(x/y) (a, b logits, log(x/y) paired by
    :func:`_log_ratios`): the logit difference and the log-ratio cancel where softmax(z) = q, else None."""
    if not coef.is_Add or len(coef.args) != 3:
        return None
    ratios = [t for t in coef.args if isinstance(t.as_coeff_Mul()[1], log_diff_ratio)]
    if len(ratios) != 1:
        return None
    c, r = ratios[0].as_coeff_Mul()
    lin = [t.as_coeff_Mul() for t in coef.args if t is not ratios[0]]
    if not all(f.is_Symbol for _, f in lin) or sorted(k for k, _ in lin) != sorted([c, -c]):
        return None
    a = next(f for k, f in lin if k == c)
    b = next(f for k, f in lin if k == -c)
    x, y = r.args[0], r.args[2]
    scale = _power_of_two_above(3 * max(abs(c), 1))
    return scale, log_gap(a, b, x, y, c / scale)


def _scaled_logit_sum(coef):
    """(2ⁿ, v) with coef = 2ⁿ·v: a sum of logits (and logs of probabilities) scaled by 2^−n ≥ 1/Σ|c_j| term by
    term (exact), so the product is scaled back after the weights: z_j − z_i overflows for logits of opposite
    signs beyond ±9e307, where the weight e^{z_i − max} is 0 and the term is 0; halving is not enough for four
    logits (the KL of two logit vectors: x_i − x_j − z_i + z_j). (1, coef) for anything else."""
    coef = _log_ratios(coef)
    gap = _log_gap(coef)
    if gap is not None:
        return gap
    if not (coef.is_Add and all(_logit_like(t.as_coeff_Mul()[1]) or t.is_number for t in coef.args) and any(
            t.as_coeff_Mul()[1].is_Symbol for t in coef.args)):
        return sp.S.One, coef
    scale = _power_of_two_above(sum(max(abs(t.as_coeff_Mul()[0]), 1) for t in coef.args))
    parts = [t / scale for t in coef.args]
    # three or more: compensated (x_i − y_i − x_j + y_j of a logit KL cancels to 1.1 from terms of 8: 7 ULP)
    return scale, (fsum(*parts) if len(parts) > 2 else sp.Add(*parts, evaluate=False))


def _scaled_pair(c1, c2):
    """(2ⁿ, (v₁, v₂)) with cᵢ = 2ⁿ·vᵢ, each a sum of logits scaled term by term by one power of two (as
    :func:`_scaled_logit_sum`, the larger of the two scales), compensated where it has three or more terms."""
    def parts(c):
        return [t for t in sp.Add.make_args(sp.expand(c))]

    p1, p2 = parts(c1), parts(c2)
    scale = max(_power_of_two_above(sum(max(abs(t.as_coeff_Mul()[0]), 1) for t in p)) for p in (p1, p2))

    def scaled(p):
        q = [t / scale for t in p]
        return fsum(*q) if len(q) > 2 else sp.Add(*q)

    return scale, (scaled(p1), scaled(p2))


def _weighted(mono, coef, flat, outer=frozenset()):
    """mono·coef with each probability factor of mono as wprod(w, ·) around a symbolic coefficient: w > 0 exactly
    but rounds to 0 or a subnormal past a logit gap of ~708, where w·(z₁ − z₂) loses e^{−800}·1e308 = e^{−90}."""
    if coef.is_number or not coef.free_symbols or any(
            n.is_Pow and n.exp.is_negative for n in sp.preorder_traversal(coef)):
        # a quotient (σ(a)/q) is left to the plain product and division: 1/q itself overflows for a subnormal q
        return _divided_in_turn(mono, coef)
    c, coef = coef.as_coeff_Mul()
    scale, v = _scaled_logit_sum(coef)
    c = scale * c
    if isinstance(v, sp.log) and v.args[0].as_coeff_Add()[0] == 1 and v.args[0] != 1:
        # log(1 − p) under a weight as log1p(−p): 1 − p rounds first (BCE of a logit against p = 1e-17 read 0)
        v = log1p(v.args[0] - 1)
    # a weight every term shares (s_i of ∂/∂z_i) outermost: where it is subnormal the inner products stay normal
    # and the extended-range product rounds once (inside, its subnormal product rounded again by each s_j, and the
    # k − 1 terms added their subnormal roundings: KL(logits ‖ probabilities) k = 10 ∂/∂z₂ at 1e-321, 5 units)
    for f in sorted(sp.Mul.make_args(mono), key=lambda f: (f.base if f.is_Pow else f) in outer):
        base, n = (f.base, int(f.exp)) if f.is_Pow else (f, 1)
        if base not in flat:
            v = v * f
            continue
        for _ in range(n):
            v = wprod(base, v)
    return c * v


def _divided_in_turn(mono, coef):
    """mono·c/xⁿ (n ≥ 2) as ((mono/x)/x…)/x, each division printed as such (diff_ratio(·, 0, x) is printed a/x):
    xⁿ underflows where the quotient does not — σ(z)/p² of the Bernoulli Hessian ∂²/∂p² is 0/0 = NaN at
    p = 2e-217, z = −6e178 (the value 0), and ∞ for 1e100 at σ = 1e-300, p = 1e-200. A single weight over xⁿ is
    one wdiv(w, v, x, n), whose kernel takes the quotient in one step where a step leaves the normal range."""
    c, rest = coef.as_coeff_Mul()
    factors = sp.Mul.make_args(rest)
    powers = [f for f in factors if f.is_Pow and f.exp.is_Integer and f.exp < -1]
    if len(powers) != 1 or not mono.has(sigmoid, softmax):
        return mono * coef
    base, n = powers[0].base, -int(powers[0].exp)
    other = sp.Mul(*[f for f in factors if f is not powers[0]])
    if isinstance(mono, (sigmoid, softmax)) and not other.has(sigmoid, softmax):
        # σ(−800)/p² is 3.6e52 at p = 1e-200; σ(−1400)/p² at p = 1e-310 is 7e-9 where σ/p is subnormal
        return c * wdiv(mono, other, base, n)
    v = diff_ratio(mono * other, 0, base)
    for _ in range(n - 2):
        v = diff_ratio(v, 0, base)
    return c * v / base


def _weight_quotient(t):
    """c·w·v/xⁿ → c·wdiv(w, v, x, n) for one weight w = σ(a) or softmax(a; z) and one power xⁿ (n ≥ 1) in the
    denominator, v free of weights and of denominators; else None."""
    c, rest = t.as_coeff_Mul()
    factors = sp.Mul.make_args(rest)
    weights = [f for f in factors if isinstance(f, (sigmoid, softmax))]
    dens = [f for f in factors if f.is_Pow and f.exp.is_Integer and f.exp < 0]
    if len(weights) != 1 or len(dens) != 1:
        return None
    others = [f for f in factors if f is not weights[0] and f is not dens[0]]
    v = sp.Mul(*others)
    base = dens[0].base
    if v.has(sigmoid, softmax, wprod, wdiv) or base.has(sigmoid, softmax) or any(
            n.is_Pow and n.exp.is_negative for n in sp.preorder_traversal(v)):
        return None
    return c * wdiv(weights[0], v, base, -int(dens[0].exp))


def weight_quotients(e):
    """c·w·v/xⁿ → c·wdiv(w, v, x, n) for a weight w = σ(a) or softmax(a; z), term by term: w rounds to a
    subnormal below e^{−708} where w/x need not be small (−softmax(z)_j/q_j at q_j = 1.1e-16: 3.9e15 ULP), and
    dividing in turn rounds a subnormal intermediate (σ(z)/p² at p = 1e-310, z = −1400)."""
    if isinstance(e, sp.MatrixBase) or not e.has(sigmoid, softmax):
        return e
    out, changed = [], False
    for t in sp.Add.make_args(e):
        new = _weight_quotient(t) if t.is_Mul else None
        changed |= new is not None
        out.append(t if new is None else new)
    return sp.Add(*out) if changed else e


def _sigmoid_term(term):
    """(c, a) for a term c·σ(a) (c free of σ), else None."""
    c, rest = term.as_coeff_Mul()
    factors = sp.Mul.make_args(rest)
    sig = [f for f in factors if isinstance(f, sigmoid)]
    if len(sig) != 1:
        return None
    others = sp.Mul(*[f for f in factors if f is not sig[0]])
    if others.has(sigmoid):
        return None
    return c * others, sig[0].args[0]


def _is_target(t) -> bool:
    """t a target probability: a symbol, a number in [0, 1], or 1 − symbol."""
    if t.is_Symbol:
        return True
    if t.is_Number:
        return bool(0 <= t <= 1)
    c, rest = t.as_coeff_Add()
    return c == 1 and (-rest).is_Symbol


def sigmoid_minus_target(e):
    def fix(add):
        terms = list(add.args)
        for i, term in enumerate(terms):
            got = _sigmoid_term(term)
            if got is None:
                continue
            c, a = got
            rest = sp.Add(*terms[:i], *terms[i + 1:])
            target = sp.expand(-rest / c)
            if rest == 0 or rest.has(sigmoid) or not _is_target(target):
                continue
            if target == 1:
                return -c * sigmoid(-a)
            return c * ((1 - target) * sigmoid(a) - target * sigmoid(-a))
        return add

    if not e.has(sigmoid):
        return e
    return e.replace(lambda x: isinstance(x, sp.Add), fix)


def sigmoid_variance(e):
    def fix(add):
        terms = list(add.args)
        for i, term in enumerate(terms):
            got = _sigmoid_term(term)
            if got is None:
                continue
            c, a = got
            s = sigmoid(a)
            for j, other in enumerate(terms):
                if j != i and sp.expand(other + c * s**2) == 0:
                    rest = [x for k, x in enumerate(terms) if k not in (i, j)]
                    return sp.Add(*rest, c * s * sigmoid(-a))
        return add

    if not e.has(sigmoid):
        return e
    return e.replace(lambda x: isinstance(x, sp.Add), fix)


def _difference(x) -> bool:
    """x = a − b, a two-term sum of ± symbols or constants (a − b is exact near a = b)."""
    terms = sp.Add.make_args(x)
    return len(terms) == 2 and all(t.is_Symbol or t.is_Number or (-t).is_Symbol for t in terms)


def _plain_factors(x) -> bool:
    """x a product of powers of symbols, numbers and differences."""
    for f in sp.Mul.make_args(x):
        base = f.base if f.is_Pow and f.exp.is_Integer else f
        if not (base.is_Symbol or base.is_Number or _difference(base)):
            return False
    return True


def _polynomial_ratio(term) -> bool:
    """term = N/D with N and D polynomials (no ratio nested inside a sum)."""
    return all(x.is_polynomial() for x in sp.fraction(term))


def _has_function_or_exp(e) -> bool:
    """e.has(sp.log, sp.exp, sigmoid, sp.Function): log and σ are Functions, and exp also matches E**x
    (ExpMeta), whose Python-level isinstance check at every node made has() most of this rule's time on the
    LowRank MVN's large rational gradients; has_type visits each distinct subtree once (the LowRank MVN
    gradients repeat theirs ~25×)."""
    return has_type(e, sp.Function, sp.exp)


def quotient_of_differences(e):
    if isinstance(e, sp.MatrixBase) or not e.is_Add or _has_function_or_exp(e):
        return e
    # factoring is the costly part (seconds for the MVN d = 3 gradients, whose terms nest sums of ratios):
    # only sums of plain ratios of polynomials are combined, as in the gradients this rule is for (tested
    # first: it fails on the first nested ratio, where is_rational_function walks every term to say yes)
    if not all(_polynomial_ratio(t) for t in sp.Add.make_args(e)):
        return e
    if not all(is_rational_function(t) for t in sp.Add.make_args(e)):
        return e
    num, den = sp.fraction(sp.factor(sp.together(e)))
    if not (_plain_factors(num) and _plain_factors(den)):
        return e
    return num / den


def _safe_quotient(e) -> bool:
    """Shapes whose float evaluation cannot overflow, underflow or cancel spuriously: c·x/s, c·(a − b)/s and
    c·(a − b)/s² (printed as diff_ratio(a, b, s)/s: the difference divided before the second division), and
    the Bernoulli gradient's c·(a − b)/(x·(1 − x)) (a probability x: the product is x or 1 − x to a factor ≤ 1)."""
    num, den = sp.fraction(e)
    _, num = num.as_coeff_Mul()
    if not (num.is_Symbol or _difference(num)):
        return False
    c, den = den.as_coeff_Mul()
    if den == 1:
        return True
    base, n = den.as_base_exp()
    if base.is_Symbol and n.is_Integer and 0 <= n <= (2 if _difference(num) else 1):
        return True  # x/s² is printed as it is: s² under/overflows where x/s/s would not
    factors = sp.Mul.make_args(den)
    if len(factors) == 2 and all(not f.is_Pow for f in factors):
        x = [f for f in factors if f.is_Symbol]
        return len(x) == 1 and any(sp.expand(f - (1 - x[0])) == 0 or sp.expand(f + (1 - x[0])) == 0
                                   for f in factors if f is not x[0])
    return False


def exact_rational_form(e):
    # a constant such as γ or π is not rational to the exact kernel (NotRational): −γ/k, a term of the Weibull
    # entropy that the accuracy section's term scale lambdifies alone, stays as it is
    if (isinstance(e, sp.MatrixBase) or has_type(e, sp.Function, sp.NumberSymbol) or not has_free_symbols(e)
            or not is_rational_function(e)):
        return e
    if _safe_quotient(e):
        return e
    return exact_rational(e)


def _scale(den):
    """(s, n) for den = c·sⁿ with s a positive symbol, else None."""
    c, rest = den.as_coeff_Mul()
    base, n = rest.as_base_exp()
    if base.is_Symbol and base.is_positive and n.is_Integer and n > 0:
        return base, int(n)
    return None


def _ratio_term(term, s):
    """The term of N (degree m) divided by s^m, with differences kept exact; None for an unknown shape."""
    c, rest = term.as_coeff_Mul()
    out = c
    for f in sp.Mul.make_args(rest):
        base, n = f.as_base_exp()
        if not (n.is_Integer and n > 0):
            return None
        if base.is_Symbol:
            out *= (base / s) ** n
        elif _difference(base):
            ts = sp.Add.make_args(base)
            a, b = (ts[0], -ts[1]) if not ts[0].could_extract_minus_sign() else (ts[1], -ts[0])
            out *= diff_ratio(a, b, s) ** n
        else:
            return None
    return out


def scaled_quotient(e):
    def fix(x):
        num, den = sp.fraction(x)
        got = _scale(den)
        if got is None or num.has(sp.Function) or not num.free_symbols or not num.is_polynomial():
            return x
        s, n = got
        if n > 1 and _difference(num) and any(t.is_Number for t in sp.Add.make_args(num)):
            # (a − k)/(c·sⁿ), a number k: not homogeneous, but a difference all the same — divided by s in turn,
            # the difference first (Pareto's ∂H(P, Q)/∂α₁ = −(α₂ + 1)/α₁²: α₁² overflowed, −0 for −2e-117)
            ts = sp.Add.make_args(num)
            a, b = (ts[0], -ts[1]) if not ts[0].could_extract_minus_sign() else (ts[1], -ts[0])
            v = diff_ratio(a, b, s)
            for _ in range(n - 2):
                v = diff_ratio(v, 0, s)
            return v / (den.as_coeff_Mul()[0] * s)
        gens = sorted(num.free_symbols | {s}, key=lambda v: v.name)
        poly = sp.Poly(sp.expand(num), *gens)
        if not poly.is_homogeneous or poly.total_degree() > n or not all(g.is_real for g in gens):
            return x
        m = poly.total_degree()
        c = den.as_coeff_Mul()[0]
        scale = c * s ** (n - m)
        if _difference(num):  # (a − b)/sⁿ = diff_ratio(a, b, s)/s^{n−1}: the difference stays exact
            ts = sp.Add.make_args(num)
            a, b = (ts[0], -ts[1]) if not ts[0].could_extract_minus_sign() else (ts[1], -ts[0])
            return diff_ratio(a, b, s) / scale
        terms = list(sp.Add.make_args(num))
        out = []
        # x² − y² (coefficients c and −c): c·diff_ratio(x, y, s)·(x/s + y/s), exact where x ≈ y
        squares = {t.as_coeff_Mul()[1].base: t.as_coeff_Mul()[0] for t in terms
                   if t.as_coeff_Mul()[1].is_Pow and t.as_coeff_Mul()[1].exp == 2 and t.as_coeff_Mul()[1].base.is_Symbol}
        used = set()
        for xs, cx in squares.items():
            for ys, cy in squares.items():
                if xs not in used and ys not in used and xs != ys and cx == -cy and cx > 0:
                    out.append(cx * diff_ratio(xs, ys, s) * (xs / s + ys / s))
                    used |= {xs, ys}
        for t in terms:
            c, rest = t.as_coeff_Mul()
            if rest.is_Pow and rest.base in used and rest.exp == 2:
                continue
            r = _ratio_term(t, s)
            if r is None:
                return x
            out.append(r)
        return sp.Add(*out) / scale

    if isinstance(e, sp.MatrixBase) or has_type(e, sp.log, sp.exp, sigmoid):  # e.has, each shared subtree once
        return e
    return fix(e) if e.is_Mul or e.is_Pow else e


__all__ = ["softmax_polynomial", "weight_quotients", "sigmoid_minus_target", "sigmoid_variance", "quotient_of_differences", "scaled_quotient",
           "exact_rational_form"]
