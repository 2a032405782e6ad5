r"""The input domain of a verification: per argument an interval, plus the groups sampled jointly —
probability vectors on the simplex, the entries of a symmetric positive definite matrix (a covariance given
by its entries), and the P/Q pairs of the same parameter (for near-equal grid points of a KL). Read from a
Derivation's families (:func:`domain_of`) or from the symbols' assumptions.

Each argument also has a *typical* interval, where losses are evaluated in practice and the first of the
two verdicts is taken: probabilities keep all of [0, 1]; real arguments (logits, means) |x| ≤ 50; positive
ones (scales) [1e-3, 1e3] — each intersected with the argument's interval. A user's ``domain=`` narrows
both (:meth:`Domain.narrow`), never widens or replaces the family's constraints.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import sympy as sp
from sympy.assumptions import AppliedPredicate

from symce.engine.derivation import Derivation
from symce.errors import ArgumentTypeError
from symce.numeric.ulp import _MAXF


@dataclass(frozen=True)
class Domain:
    """Per argument an interval (lo, hi, lo_closed, hi_closed); ``simplex`` groups of argument indices
    whose values are probabilities summing to 1 (sampled on the simplex)."""

    args: tuple
    intervals: tuple
    simplex: tuple = ()
    pairs: tuple = ()  # (i, j): P's and Q's copies of the same parameter, for near-equal grid points
    #: d×d matrices of argument indices (None where an entry is not an argument) whose entries form a
    #: symmetric positive definite matrix (a covariance given by its entries): sampled as whole matrices
    spd: tuple = ()
    spd_pairs: tuple = ()  # (g, h): P's and Q's covariance (indices into spd), for near-equal grid points
    #: per argument the typical interval (see the module docstring); empty: the default rule
    typical: tuple = ()
    #: (i, j): args[i] < args[j] (a family's joint condition, Uniform's low < high): sampled independently,
    #: then swapped where they come out the wrong way round
    ordered: tuple = ()

    def typical_intervals(self) -> tuple:
        return self.typical or tuple(typical_interval(iv) for iv in self.intervals)

    def narrow(self, spec: dict) -> "Domain":
        """This domain with some arguments' intervals intersected with ``spec`` (symbol or name -> Interval
        or (lo, hi)); simplex, covariance and pair groups kept. An empty intersection raises, naming the
        argument, what was asked and what the family allows."""
        names = {str(a): a for a in self.args}
        unknown = [k for k in spec if k not in self.args and str(k) not in names]
        if unknown:
            raise ArgumentTypeError(f"domain: {sorted(map(str, unknown))} are not arguments; the arguments are "
                                    f"{list(names)}")
        ivs, typ = list(self.intervals), list(self.typical_intervals())
        for i, a in enumerate(self.args):
            v = spec.get(a, spec.get(str(a)))
            if v is None:
                continue
            want = _interval(v)
            got = _intersect(ivs[i], want)
            if got is None:
                raise ArgumentTypeError(f"domain: {a} ∈ {_show(want)} does not meet the family's {a} ∈ "
                                        f"{_show(ivs[i])}; a domain narrows the family's constraints")
            ivs[i] = got
            typ[i] = _intersect(typ[i], got) or got
        return Domain(self.args, tuple(ivs), self.simplex, self.pairs, self.spd, self.spd_pairs, tuple(typ),
                      self.ordered)

    def in_typical(self, cols) -> np.ndarray:
        """Which columns of inputs (n_args, n) lie in the typical region (every argument in its typical
        interval; simplex entries always do)."""
        cols = np.asarray(cols)
        ok = np.ones(cols.shape[1] if cols.ndim == 2 else 0, bool)
        # simplex entries always; a covariance's off-diagonal entries follow its variances
        skip = {i for g in self.simplex for i in g} | {g[r][c] for g in self.spd for r in range(len(g))
                                                        for c in range(len(g)) if r != c}
        for i, (lo, hi, lc, hc) in enumerate(self.typical_intervals()):
            if i in skip:
                continue
            x = cols[i]
            ok &= ((x > lo) | (lc & (x == lo))) & ((x < hi) | (hc & (x == hi)))
        return ok

    def describe_typical(self) -> str:
        simplex = {i for g in self.simplex for i in g}
        return "; ".join(f"{a} ∈ {_show(iv)}" for i, (a, iv) in enumerate(zip(self.args, self.typical_intervals()))
                         if i not in simplex)

    @classmethod
    def of(cls, args, spec: dict | None = None, simplex=(), pairs=(), spd=(), spd_pairs=()):
        """``spd``: square matrices (nested sequences or sympy Matrices) of arguments — symbols or
        indices into ``args``; entries that are not arguments (None, or a symbol the function does not
        take) are sampled with the matrix but not passed."""
        spec = spec or {}
        ivs = []
        for a in args:
            v = spec.get(a, spec.get(getattr(a, "name", a)))
            ivs.append(_interval(v) if v is not None else _from_assumptions(a))
        groups = tuple(_spd_group(args, m) for m in spd)
        return cls(tuple(args), tuple(ivs), tuple(tuple(g) for g in simplex), tuple(pairs), groups,
                   tuple(spd_pairs))

    def __str__(self):
        parts = []
        in_spd = {i for g in self.spd for row in g for i in row if i is not None}
        for i, (a, (lo, hi, lc, hc)) in enumerate(zip(self.args, self.intervals)):
            if i not in in_spd:
                parts.append(f"{a} ∈ {'[' if lc else '('}{lo:g}, {hi:g}{']' if hc else ')'}")
        for g in self.simplex:
            parts.append("(" + ", ".join(str(self.args[i]) for i in g) + ") on the simplex")
        for g in self.spd:
            rows = "; ".join(", ".join("·" if i is None else str(self.args[i]) for i in row) for row in g)
            parts.append(f"[{rows}] symmetric positive definite")
        return "; ".join(parts)


def _show(iv) -> str:
    lo, hi, lc, hc = iv
    return f"{'[' if lc else '('}{lo:g}, {hi:g}{']' if hc else ')'}"


def _intersect(a, b):
    """The intersection of two intervals (lo, hi, lo_closed, hi_closed), None when empty."""
    lo, lc = (a[0], a[2]) if a[0] > b[0] else (b[0], b[2]) if b[0] > a[0] else (a[0], a[2] and b[2])
    hi, hc = (a[1], a[3]) if a[1] < b[1] else (b[1], b[3]) if b[1] < a[1] else (a[1], a[3] and b[3])
    if lo > hi or (lo == hi and not (lc and hc)):
        return None
    return (lo, hi, lc, hc)


#: the typical region's bounds: |x| ≤ 50 for real arguments, [1e-3, 1e3] for positive ones
TYPICAL_REAL, TYPICAL_SCALE = 50.0, (1e-3, 1e3)


def typical_interval(iv):
    """Where a loss's argument lives in practice: a probability's interval is kept whole ([0, 1] incl. its
    ends), a positive argument is met with [1e-3, 1e3], any other with [−50, 50]; the interval itself when
    they do not meet."""
    lo, hi = iv[0], iv[1]
    if lo >= 0 and hi <= 1:
        return iv
    box = (TYPICAL_SCALE[0], TYPICAL_SCALE[1], True, True) if lo >= 0 else (-TYPICAL_REAL, TYPICAL_REAL, True, True)
    return _intersect(iv, box) or iv


def _spd_group(args, m) -> tuple:
    rows = m.tolist() if isinstance(m, sp.MatrixBase) else [list(r) for r in m]
    d = len(rows)
    if d == 0 or any(len(r) != d for r in rows):
        raise ArgumentTypeError(f"an spd group must be a square matrix of arguments, not {rows!r}")
    args = list(args)

    def index(v):
        if v is None:
            return None
        if isinstance(v, (int, np.integer)) and not isinstance(v, bool):
            if not 0 <= v < len(args):
                raise ArgumentTypeError(f"spd group index {v} is not an argument index (0 … {len(args) - 1})")
            return int(v)
        return args.index(v) if v in args else None

    g = tuple(tuple(index(v) for v in r) for r in rows)
    for i in range(d):
        for j in range(i + 1, d):
            if g[i][j] != g[j][i]:
                raise ArgumentTypeError(f"an spd group must be symmetric: entries ({i}, {j}) and ({j}, {i}) "
                                        f"are different arguments")
    return g


def _interval(v):
    if isinstance(v, sp.Interval):
        lo, hi = float(v.start), float(v.end)
        return (max(lo, -_MAXF), min(hi, _MAXF), not v.left_open and math.isfinite(lo),
                not v.right_open and math.isfinite(hi))
    if isinstance(v, tuple) and len(v) in (2, 4):
        lo, hi = float(v[0]), float(v[1])
        lc, hc = (v[2], v[3]) if len(v) == 4 else (True, True)
        return (max(lo, -_MAXF), min(hi, _MAXF), lc and math.isfinite(lo), hc and math.isfinite(hi))
    raise ArgumentTypeError(f"a domain entry must be a sympy Interval or a tuple (lo, hi[, lo_closed, hi_closed]), "
                            f"not {v!r}")


def _from_assumptions(a):
    if getattr(a, "is_positive", None):
        return (0.0, _MAXF, False, True)
    if getattr(a, "is_nonnegative", None):
        return (0.0, _MAXF, True, True)
    return (-_MAXF, _MAXF, True, True)


def domain_of(obj, args) -> Domain:
    """The parameter domain of a Derivation's distributions (probabilities in [0, 1] including the
    boundary, logits and means real, scales positive), else from the symbols' assumptions."""
    spec, simplex, pairs, spd = {}, [], [], []
    by_role: dict = {}
    spd_by_role: dict = {}
    if isinstance(obj, Derivation):
        for dist in obj.distributions:
            for role, value in dist.parameters.items():
                if _declared_spd(dist, value):
                    spd_by_role.setdefault((type(dist).__name__, role), []).append(len(spd))
                    spd.append(value)
                    continue
                # a probability vector given as a list or as a column Matrix (Multinomial, OneHotCategorical)
                values = list(value) if isinstance(value, (list, tuple, sp.MatrixBase)) else [value]
                syms = [v for v in values if isinstance(v, sp.Symbol)]
                for pos, s in enumerate(syms):
                    by_role.setdefault((type(dist).__name__, role, pos), []).append(s)
                if role in ("p", "probs"):
                    closed = _ends_closed(dist, role)
                    for s in syms:
                        spec[s] = (0.0, 1.0, *closed)
                    if role == "probs" and len(syms) == len(values) and len(syms) > 1:
                        simplex.append([args.index(s) for s in syms if s in args])
    for group in by_role.values():
        if len(group) == 2 and all(s in args for s in group):
            pairs.append((args.index(group[0]), args.index(group[1])))
    spd_pairs = [tuple(g) for g in spd_by_role.values() if len(g) == 2]
    dom = Domain.of(args, spec, [g for g in simplex if g], pairs, spd, spd_pairs)
    # a covariance none of whose entries the formula takes constrains nothing
    keep = [k for k, g in enumerate(dom.spd) if any(i is not None for row in g for i in row)]
    if len(keep) < len(dom.spd):
        renum = {k: n for n, k in enumerate(keep)}
        dom = Domain(dom.args, dom.intervals, dom.simplex, dom.pairs, tuple(dom.spd[k] for k in keep),
                     tuple((renum[a], renum[b]) for a, b in dom.spd_pairs if a in renum and b in renum), dom.typical)
    ordered = _ordered_pairs(obj, args)
    if ordered:
        dom = Domain(dom.args, dom.intervals, dom.simplex, dom.pairs, dom.spd, dom.spd_pairs, dom.typical, ordered)
    return dom


def _ends_closed(dist, role) -> tuple:
    """Whether a probability's ends 0 and 1 belong to the family: a family that declares its argument on
    (0, 1) (Binomial, Geometric, NegativeBinomial, ContinuousBernoulli: no distribution at p = 0 or 1) is not
    sampled there; a probability the family does not declare keeps [0, 1] (Bernoulli, categorical)."""
    for arg in getattr(dist, "arguments", ()):
        dom = getattr(arg, "domain", None)
        if getattr(arg, "name", None) == role and isinstance(dom, sp.Interval) and (dom.start, dom.end) == (0, 1):
            return (not dom.left_open, not dom.right_open)
    return (True, True)


def _ordered_pairs(obj, args) -> tuple:
    """(i, j) for each condition args[i] < args[j] (or ≤) that a Derivation's families declare between two
    of the arguments (Uniform's low < high): without it half of the samples lie outside the family."""
    if not isinstance(obj, Derivation):
        return ()
    out = []
    for dist in obj.distributions:
        for c in dist.conditions():
            if isinstance(c, (sp.StrictLessThan, sp.LessThan, sp.StrictGreaterThan, sp.GreaterThan)):
                lo, hi = (c.lhs, c.rhs) if isinstance(c, (sp.StrictLessThan, sp.LessThan)) else (c.rhs, c.lhs)
                if lo in args and hi in args and (args.index(lo), args.index(hi)) not in out:
                    out.append((args.index(lo), args.index(hi)))
    return tuple(out)


def _declared_spd(dist, value) -> bool:
    """A parameter that is a symmetric d×d matrix (d ≥ 2) of symbols which the family constrains *jointly*
    — a condition of ``dist.conditions()`` involves an off-diagonal entry (Sylvester's leading minors of a
    covariance given by its entries) or ``Q.positive_definite`` of it. Read from the family's own
    declaration, not from names: independent draws of such entries are almost never a valid matrix."""
    if not isinstance(value, sp.MatrixBase) or value.rows != value.cols or value.rows < 2:
        return False
    if not all(isinstance(v, sp.Symbol) for v in value) or value != value.T:
        return False
    off = {value[i, j] for i in range(value.rows) for j in range(value.cols) if i != j}
    for c in dist.conditions():
        if isinstance(c, AppliedPredicate) and c.function == sp.Q.positive_definite:
            return True
        if getattr(c, "free_symbols", set()) & off:
            return True
    return False
