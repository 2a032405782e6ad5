r"""Explicit-k categorical derivations, derived once at symbolic k and instantiated.

Why: at k = 1000 plain SymPy needs over a minute for CE plus its gradient, because every ``expand`` and
``diff`` walks all k log-terms. The derivation at symbolic k (``IndexedBase`` + ``Sum``) has a fixed
size, so it is derived (and differentiated) once and then instantiated:

* :func:`template` gives the symbolic-k counterpart of an explicit distribution — an ``IndexedBase``
  named by role (``p_P``, ``q_Q``, ``z_P``, ``z_Q``) over the shared class count :data:`K_T` — and a
  mapping that remembers the explicit entries;
* :func:`instantiate_derivation` expands each ``Sum`` over 1..K and replaces ``p_P[m]`` by P's m-th
  entry. Classes where P has mass exactly 0 are dropped from P-weighted sums (0·log 0 = 0, the limit of
  t·log t), so no log 0 is ever formed; P-mass where Q has a provable zero gives +∞;
* the derivation carries a ``gradient_hook``: ∂/∂q_Q[m] of the symbolic result for a generic class m,
  instantiated per m — k derivatives for the price of one.
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

from symce.core.quantity import Quantity
from symce.engine.derivation import Derivation, Step
from symce.engine.information import register_cache
from symce.errors import DerivationError
from symce.core.expfamily import resolve_index_range

from symce.families.categorical import rebuild as rebuild_memos
from symce.core.collector import paused_gc  # acyclic objects by the 10⁵: k = 10⁵ CE + gradient 11.4 → 6.3 s
from symce.families.categorical.rebuild import (FAST_ORDER, build as _build, build_terms, compile_term,
                                                plain as _plain, prime_keys, rebuild as _rebuild, sum_of_terms)

I = sp.Symbol("i", integer=True, positive=True)
J = sp.Symbol("j", integer=True, positive=True)
#: generic class of a gradient component
M = sp.Symbol("m", integer=True, positive=True)
#: the class count of every template (shared, so P's and Q's templates live on one sample space)
K_T = sp.Symbol("k", integer=True, positive=True)


@dataclass(frozen=True, eq=False)
class Slot:
    """What a template IndexedBase stands for: the explicit distribution of one role."""

    role: str
    dist: object


def template(dist, role: str):
    # the template is of the distribution's own class (the family module imports this one, not the reverse)
    Categorical = type(dist)
    if dist.is_logits:
        base = sp.IndexedBase(f"z_{role}", real=True)
        t = Categorical.from_logits(base, k=K_T)
    else:
        base = sp.IndexedBase(f"{'p' if role == 'P' else 'q'}_{role}", positive=True)
        t = Categorical(base, k=K_T)
    return t, {base: Slot(role, dist), K_T: dist.k}


def instantiate_derivation(derivation: Derivation, mapping: dict, P, Q) -> Derivation:
    K = mapping[K_T]
    slots = {b: s for b, s in mapping.items() if isinstance(s, Slot)}
    quantity, lhs = derivation.quantity, derivation.lhs
    entropy = quantity == "entropy"
    dists = (P,) if entropy else (P, Q)
    conditions = tuple(dict.fromkeys([*P.conditions(), *([] if entropy or Q is P else Q.conditions())]))
    reason = None if entropy else _infinite_reason(P, Q)
    if reason is not None:
        return Derivation(quantity, lhs, sp.oo, (Step(sp.oo, reason),), "absolute continuity", conditions,
                          dists, infinite_reason=reason)
    inst = Instantiator(slots, K)
    with paused_gc():
        result = inst(derivation.result)
    # distinct plain symbols (fast) give no nan: the scan would cost 8 % of a k = 10⁴ instantiation
    if not inst.fast and result.has(sp.nan, sp.zoo):  # pragma: no cover - the engine's sums are P-weighted
        raise DerivationError(f"{lhs}: instantiating the symbolic-k result at k = {K} met an undefined term")
    names = ", ".join(f"{b} ↦ {s.role}'s entries" for b, s in slots.items())
    dropped = sorted(inst.zero_P)
    rule = (f"instantiate at k = {K}: expand each Σ over i = 1..{K}, {names}"
            + (f"; classes {dropped} have P-mass 0 and contribute 0 (0·log 0 = 0)" if dropped else ""))
    steps = (*derivation.steps, Step(result, rule))
    hook = GradientHook(derivation, inst, slots, K, dists, conditions)
    return Derivation(quantity, lhs, result, steps, f"{derivation.method}; derived at symbolic k, instantiated",
                      conditions, dists, gradient_hook=hook)


def _infinite_reason(P, Q) -> str | None:
    """P puts mass on a class where Q provably has none: only probability vectors can have zeros."""
    if Q.is_logits:
        return None
    for m, qm in enumerate(Q.entries, 1):
        if qm.is_zero:
            pm = P.mass(m) if P.is_logits else P.entries[m - 1]
            if not pm.is_zero:
                return (f"P is not absolutely continuous w.r.t. Q: P({{{m}}}) = {pm} > 0 but Q({{{m}}}) = 0, "
                        f"so −P({{{m}}})·log Q({{{m}}}) = +∞")
    return None


def _outer_sums(expr) -> list:
    """The Sums of ``expr`` that are not inside another Sum."""
    out: list = []

    def walk(e):
        if isinstance(e, sp.Sum):
            out.append(e)
        else:
            for a in e.args:
                walk(a)

    walk(expr)
    return list(dict.fromkeys(out))


def _push_coefficients(expr):
    """c·Σ f → Σ c·f for a number c: evaluated SymPy would distribute c over the k expanded terms
    anyway (k more Mul constructions); inside the summand it is done once, symbolically."""
    return expr.replace(
        lambda e: e.is_Mul and len(e.args) == 2 and e.args[0].is_Number and isinstance(e.args[1], sp.Sum),
        lambda e: sp.Sum(e.args[0] * e.args[1].function, *e.args[1].limits))


# -- instantiation (the unevaluated rebuild is in .rebuild) -------------------------------------------
_EXPANSIONS: dict = {}


class Instantiator:
    """Map a symbolic-k expression (in the template IndexedBases and :data:`K_T`) to explicit k."""

    def __init__(self, slots: dict, K: int, fast: bool | None = None):
        self.K, self.slots = K, slots
        self.entries = {b: s.dist.entries for b, s in slots.items()}
        self.p_bases = {b for b, s in slots.items() if s.role == "P"}
        self.zero_P: set = set()
        for b, s in slots.items():
            if s.role == "P" and not s.dist.is_logits:
                self.zero_P |= {m for m, e in enumerate(s.dist.entries, 1) if e.is_zero}
        if fast is None:
            # injective renaming only: P = Q sharing symbols goes the evaluated way (terms cancel)
            flat = [e for es in self.entries.values() for e in es]
            fast = (FAST_ORDER and all(isinstance(e, sp.Symbol) and e.is_commutative and _plain(e) for e in flat)
                    and len(set(flat)) == len(flat) and not set(flat) & {I, J, M, K_T})
        self.fast = fast

    def value(self, a: sp.Indexed):
        """The explicit entry behind ``base[m]`` (m an explicit class)."""
        m = a.indices[0]
        if not (len(a.indices) == 1 and m.is_Integer and 1 <= m <= self.K):
            raise DerivationError(f"cannot instantiate {a} at k = {self.K}")
        return self.entries[a.base][int(m) - 1]

    def outside(self, expr) -> dict:
        """Replacements for K_T and the template elements of a small expression (outside any sum)."""
        rep = {a: self.value(a) for a in expr.atoms(sp.Indexed) if a.base in self.slots}
        rep[K_T] = sp.Integer(self.K)
        return rep

    def __call__(self, expr):
        expr = _push_coefficients(expr)
        sums = _outer_sums(expr)
        holes = {s: sp.Dummy("S") for s in sums}
        shell = expr.xreplace(holes)
        rep = self.outside(shell)
        rep.update({holes[s]: self.expand(s) for s in sums})
        return _rebuild(shell, rep, self.fast)

    def expand(self, s: sp.Sum):
        key = (s, self.fast, tuple((b, self.entries[b]) for b in sorted(self.slots, key=str) if s.has(b)))
        hit = _EXPANSIONS.get(key)
        if hit is not None:  # also keeps one object per sum, which SymPy's cache compares by identity
            return hit
        if len(s.limits) != 1:
            raise DerivationError(f"cannot instantiate the multiple sum {s} at k = {self.K}")
        (i, lo, hi), = s.limits
        lo, hi = (sp.sympify(b).xreplace({K_T: sp.Integer(self.K)}) for b in (lo, hi))
        if not (lo.is_Integer and hi.is_Integer):
            raise DerivationError(f"cannot instantiate {s}: its range {lo}..{hi} is not explicit")
        f = s.function
        drop = self.zero_P if self.zero_P and self._p_weighted(f, i) else set()
        classes = [m for m in range(int(lo), int(hi) + 1) if m not in drop]
        make = None
        if f.has(sp.Sum):  # nested sums: rare, done term by term
            terms = [self(f.xreplace({i: m})) for m in classes]
        else:
            # per class one rebuild of the small summand with a tiny dict: base[i] ↦ entry, i ↦ m
            atoms = [(a, self.entries[a.base]) for a in f.atoms(sp.Indexed)
                     if a.base in self.slots and a.indices == (i,)]
            rest = self.outside(f.xreplace({a: sp.S.Zero for a, _ in atoms}))
            make = (compile_term(f, dict(atoms), rest, i)
                    if self.fast and set(rest) == {K_T} else None)  # no single class's entry outside the atoms
            if make is not None:  # each term is keyed for the sort into the sum: its entries' keys first
                for _, vals in atoms:
                    prime_keys(vals)
            terms = build_terms(make, classes) if make is not None else []
            for m in (classes if make is None else ()):
                rep = {a: vals[m - 1] for a, vals in atoms}
                rep[i] = sp.Integer(m)
                t = _rebuild(f, rep, self.fast)
                terms.append(_rebuild(t, rest, self.fast) if len(rest) > 1 else t)
        out = (sum_of_terms(make, terms) if make is not None else _build(sp.Add, terms) if self.fast
               else sp.Add(*terms))
        if len(_EXPANSIONS) > 256:
            _EXPANSIONS.clear()
        _EXPANSIONS[key] = out
        return out

    def _p_weighted(self, f, i) -> bool:
        """Is every term of the summand a multiple of p_P[i] (so a class of P-mass 0 contributes 0)?"""
        for term in sp.Add.make_args(sp.expand_mul(f)):
            if not any(isinstance(a, sp.Indexed) and a.base in self.p_bases and a.indices == (i,)
                       for a in sp.Mul.make_args(term)):
                return False
        return True


_DIFF_MEMO: dict = {}


def _column(col: list) -> sp.ImmutableMatrix:
    """``ImmutableMatrix(col)``, built from its sparse EXRAW representation where SymPy has one: the
    constructor sympifies and compares every entry with 0 (a third of the matrix's cost at k = 10⁴). An
    entry equal to 0 is a Number (structural equality), so only Numbers are checked."""
    if all(e.is_Rational for e in col):  # a ZZ/QQ matrix: SymPy's own constructor picks the domain
        return sp.ImmutableMatrix(col)
    try:
        from sympy.polys.domains import EXRAW
        from sympy.polys.matrices import DomainMatrix

        rep = DomainMatrix({i: {0: e} for i, e in enumerate(col) if not (e.is_Number and e == 0)},
                           (len(col), 1), EXRAW)
        return sp.ImmutableMatrix._fromrep(rep)
    except (ImportError, AttributeError, TypeError):  # pragma: no cover - another SymPy's internals
        return sp.ImmutableMatrix(col)


def _clear() -> None:
    _EXPANSIONS.clear()
    _DIFF_MEMO.clear()
    rebuild_memos.clear()


register_cache(_clear)


class GradientHook:
    """``hook(wrt)``: the gradient w.r.t. explicit entries of P or Q, differentiated once at symbolic k."""

    def __init__(self, derivation, inst: Instantiator, slots: dict, K: int, dists, conditions):
        self.derivation, self.inst, self.slots, self.K = derivation, inst, slots, K
        self.dists, self.conditions = dists, conditions

    def __call__(self, wrt) -> Derivation | None:
        with paused_gc():
            return self._gradient(wrt)

    def _gradient(self, wrt) -> Derivation | None:
        single = not isinstance(wrt, (list, tuple, sp.MatrixBase))  # as symce.engine.derivation: scalar result
        ws = [wrt] if single else list(wrt)
        if not ws or not all(isinstance(w, (sp.Symbol, sp.Indexed)) for w in ws):
            return None
        occurrences: dict = {}
        other: set = set()
        for b, s in self.slots.items():
            for m, e in enumerate(s.dist.entries, 1):
                if isinstance(e, (sp.Symbol, sp.Indexed)):
                    hit = occurrences.get(e)
                    if hit is None:
                        occurrences[e] = (b, m)
                    else:  # an entry of both P and Q, or twice in one: a list of its places
                        occurrences[e] = (hit if isinstance(hit, list) else [hit]) + [(b, m)]
                elif not e.is_number:
                    other |= e.free_symbols
        if any(w in other for w in ws):
            return None  # an entry is a compound expression of w: the generic chain rule is needed
        places = [occurrences.get(w, []) for w in ws]
        bases = list(dict.fromkeys(b for p in places for b, _ in (p if isinstance(p, list) else (p,))))
        parts = {b: self._component(b) for b in bases}
        if any(p is None for p in parts.values()):
            return None
        if all(isinstance(p, tuple) for p in places) and all(hasattr(f, "batch") for f in parts.values()):
            # each parameter one entry, every component compiled: built base by base, node by node
            col = [None] * len(places)
            by_base: dict = {}
            for j, (b, m) in enumerate(places):
                by_base.setdefault(b, []).append((j, m))
            for b, jm in by_base.items():
                for (j, _), t in zip(jm, build_terms(parts[b], [m for _, m in jm])):
                    col[j] = t
            places = ()
        else:
            col = []
        for p in places:
            if isinstance(p, tuple):  # one place: the component itself
                t = parts[p[0]](p[1])
            else:
                terms = [parts[b](m) for b, m in p]
                t = None if any(t is None for t in terms) else sp.Add(*terms)
            if t is None:
                return None  # e.g. 0/0 at a class of P-mass 0: the generic route differentiates the result
            col.append(t)
        result = col[0] if single else _column(col)
        d = self.derivation
        steps = tuple(Step(sp.Eq(sp.Derivative(d.result, b[M]), self._symbolic(b), evaluate=False),
                           "differentiate the symbolic-k result once w.r.t. the generic class m (1 ≤ m ≤ k, "
                           "so the Piecewise that diff adds for classes outside the sum resolves)")
                      for b in bases)
        steps += (Step(result, f"instantiate ∂/∂(entry m) at k = {self.K} for each of the {len(ws)} "
                               "parameters (each is one explicit entry; summed where it appears twice)"),)
        lhs = Quantity.derivative(d.lhs, ws, gradient=not single, abbreviated=True)
        return Derivation("gradient", lhs, result, steps,
                          "differentiated at symbolic k, instantiated", self.conditions, self.dists)

    def _symbolic(self, b):
        key = (self.derivation.result, b)
        hit = _DIFF_MEMO.get(key)
        if hit is None:
            g = resolve_index_range(sp.diff(self.derivation.result, b[M]).doit(), M, 1, K_T)
            hit = _DIFF_MEMO[key] = g
        return hit

    def _component(self, b):
        """A fast evaluator m ↦ ∂result/∂b[m] at explicit k (``None`` where it is undefined), or
        ``None`` when the symbolic derivative is not clean."""
        g = self._symbolic(b)
        if g.has(sp.Piecewise):
            return None
        inst = self.inst
        g = _push_coefficients(g)
        sums = _outer_sums(g)
        if any(s.has(M) for s in sums):
            def slow(m: int):
                out = inst(g.xreplace({M: m}))
                return None if out.has(sp.nan, sp.zoo) else out
            return slow
        holes = {s: sp.Dummy("S") for s in sums}
        filled = {h: inst.expand(s) for s, h in holes.items()}
        if not inst.fast and any(v.has(sp.nan, sp.zoo) for v in filled.values()):  # none from plain symbols
            return None
        g1 = g.xreplace(holes)
        atoms = [(a, inst.entries[a.base]) for a in g1.atoms(sp.Indexed)
                 if a.base in self.slots and a.indices == (M,)]
        fixed = {**inst.outside(g1.xreplace({a: sp.S.Zero for a, _ in atoms})), **filled}
        # the parts of the derivative that do not depend on the class (e.g. 1/Σ_j e^{z_j}) are built
        # once; per class only the few nodes around b[m] are rebuilt
        dep = [a for a, _ in atoms] + [M]
        consts: dict = {}

        def split(e):
            if not e.has(*dep):
                consts[e] = _rebuild(e, fixed, inst.fast)
            else:
                for a in e.args:
                    split(a)

        split(g1)
        check = not inst.fast  # plain distinct symbols never give 0/0
        outside = set(fixed) - set(filled)
        make = (compile_term(g1, dict(atoms), consts, M, keyed=False)
                if inst.fast and all(not isinstance(a, sp.Indexed) for a in outside) else None)
        if make is not None:
            return make

        def at(m: int):
            rep = dict(consts)
            rep.update({a: vals[m - 1] for a, vals in atoms})
            rep[M] = sp.Integer(m)
            out = _rebuild(g1, rep, inst.fast)
            # a nan can only come from the class's own entries (e.g. 0/0 at a class of P-mass 0)
            if check and _rebuild(g1, {**rep, **{h: h for h in filled}}, False).has(sp.nan, sp.zoo):
                return None
            return out

        return at
