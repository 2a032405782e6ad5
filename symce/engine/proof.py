"""``prove(lhs, rhs)``: a symbolic argument that lhs − rhs = 0, or a counterexample, or — honestly —
only a numerical check.

Status values:

* ``"proved"`` — a chain of exact rewrites took lhs − rhs to 0; the chain is in ``steps``, and any rewrite
  that is valid only under side conditions (``expand_log(force=True)`` needs positive log arguments) adds
  those conditions to ``side_conditions``.
* ``"refuted"`` — at a point satisfying the assumptions, both sides were evaluated to ``digits`` digits and
  differ; the point and both values are in ``counterexample``.
* ``"checked numerically"`` — no symbolic argument closed, and both sides agree to ``digits`` digits at
  ``points`` random points satisfying the assumptions. Never reported as proved.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any, Iterable

import mpmath
import sympy as sp

from symce.core import display
from symce.engine.derivation import Step
from symce.errors import ArgumentTypeError, DerivationTimeoutError, ProofError
from symce.core.special import to_elementary
from symce.core.limits import time_limit

PROVED, REFUTED, CHECKED = "proved", "refuted", "checked numerically"
#: proved, but only under side conditions the proof itself added (log(xy) = log x + log y needs x, y > 0):
#: the status alone says so, so a reader of the status is never misled
PROVED_UNDER = "proved under conditions"


@dataclass(frozen=True)
class Proof:
    """The standing of the identity ``lhs = rhs``."""

    lhs: Any
    rhs: Any
    status: str
    steps: tuple[Step, ...] = ()
    assumptions: tuple = ()
    side_conditions: tuple = ()
    counterexample: dict | None = None
    digits: int = 30
    points: int = 0
    name: str = ""
    notes: tuple = field(default=())

    @property
    def proved(self) -> bool:
        return self.status == PROVED

    def __bool__(self) -> bool:  # `if proof:` means "proved", nothing weaker
        return self.proved

    @property
    def statement(self) -> str:
        cond = list(self.assumptions) + list(self.side_conditions)
        head = f"{self.name}: " if self.name else ""
        return f"{head}{self.lhs} = {self.rhs}" + (f"   for {', '.join(map(str, cond))}" if cond else "")

    def __str__(self) -> str:
        lines = [self.statement, f"status: {self.status}"]
        lines += [f"  = {s.expr}    [{s.rule}]" for s in self.steps]
        if self.counterexample:
            lines.append(f"  counterexample: {self.counterexample}")
        if self.status == CHECKED:
            lines.append(f"  agrees to {self.digits} digits at {self.points} points; no symbolic argument")
        return "\n".join(lines)

    def latex(self, **options) -> str:
        return display.render("latex", self, **options)

    def _repr_latex_(self) -> str:
        return "$$" + self.latex() + "$$"


# ---------------------------------------------------------------------------------------------------
def _as_assumptions(assumptions) -> tuple:
    """SymPy relations only: text would have to be sympified (eval), which symce never does."""
    if isinstance(assumptions, (str, bytes, sp.Basic)) or not hasattr(assumptions, "__iter__"):
        assumptions = (assumptions,) if isinstance(assumptions, sp.Basic) else assumptions
        if not isinstance(assumptions, tuple):
            raise ArgumentTypeError(f"prove: assumptions must be a list of SymPy relations such as [0 < p], "
                                    f"not {type(assumptions).__name__} {assumptions!r}")
    out = tuple(assumptions)
    for a in out:
        if not isinstance(a, sp.Basic) or not (a.is_Relational or isinstance(a, sp.logic.boolalg.Boolean)):
            raise ArgumentTypeError(f"prove: each assumption must be a SymPy relation such as 0 < p (built from "
                                    f"symbols, never text), not {type(a).__name__} {a!r}")
    return out


def _count(value, name: str, lo: int, hi: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        raise ArgumentTypeError(f"prove: {name} must be a whole number from {lo} to {hi}, not {value!r}")
    return value


def prove(lhs, rhs, assumptions: Iterable = (), *, name: str = "", digits: int = 30, points: int = 8,
          seed: int = 0, time_limit_s: float = 5.0) -> Proof:
    """Prove ``lhs = rhs`` under ``assumptions`` (SymPy relations such as ``0 < p``, ``p < 1``, and
    ``Eq(Sum(p[i], (i, 1, k)), 1)``; symbol assumptions such as positive=True are used as well)."""
    assumptions = _as_assumptions(assumptions)
    digits, points = _count(digits, "digits", 5, 1000), _count(points, "points", 1, 10_000)
    lhs, rhs = _as_sides(lhs, rhs)
    base = dict(lhs=lhs, rhs=rhs, assumptions=assumptions, name=name, digits=digits)
    if lhs == rhs:
        return Proof(status=PROVED, steps=(Step(sp.S.Zero, "both sides are the same expression"),), **base)
    if _infinite(lhs) or _infinite(rhs):
        same = _infinite(lhs) and _infinite(rhs) and sp.sign(lhs) == sp.sign(rhs) if lhs.is_number and rhs.is_number else False
        if same:
            return Proof(status=PROVED, steps=(Step(lhs, "both sides are the same infinity"),), **base)
    # 1. cheap exact rewrites — cheap on small expressions; bounded, since an explicit n × d model is not
    what = f"proof by exact rewrites{f' of {name}' if name else ''}"
    try:
        with time_limit(what, time_limit_s):
            steps, side = _symbolic(lhs - rhs, assumptions, expensive=False)
    except DerivationTimeoutError as e:
        if e.what != what:
            raise  # an enclosing limit: it stays in charge
        steps, side = None, ()
    if steps is not None:
        return Proof(status=PROVED_UNDER if side else PROVED, steps=steps, side_conditions=side, **base)
    # 2. look for a counterexample before spending time on expensive rewrites
    rng = random.Random(seed)
    samples = []
    for _ in range(points):
        # sample every symbol of either side: one that cancels in lhs − rhs must still get a value
        pt = _sample_point(sp.Tuple(lhs, rhs), assumptions, rng)
        if pt is None:
            continue
        lv, rv = _evaluate(lhs, pt, digits), _evaluate(rhs, pt, digits)
        samples.append(pt)
        if lv is None or rv is None:
            continue
        try:
            differ = not _close(lv, rv, digits)
        except TypeError:  # a value that did not evaluate to a number (unevaluated parts): no verdict here
            samples.pop()
            continue
        if differ:
            cex = {"point": {str(k): v for k, v in pt.items()}, "lhs": lv, "rhs": rv}
            return Proof(status=REFUTED, counterexample=cex, points=len(samples), **base)
    # 3. expensive symbolic attempt under a time limit
    what = "proof by simplification"
    try:
        with time_limit(what, time_limit_s):
            steps, side = _symbolic(lhs - rhs, assumptions, expensive=True)
    except DerivationTimeoutError as e:
        if e.what != what:
            raise
        steps = None
    if steps is not None:
        return Proof(status=PROVED_UNDER if side else PROVED, steps=steps, side_conditions=side,
                     points=len(samples), **base)
    if not samples:
        raise ProofError(f"no point satisfying the assumptions {assumptions} could be sampled to check "
                         f"{lhs} = {rhs}")
    return Proof(status=CHECKED, points=len(samples), **base)


def _as_side(v, which: str):
    # never sympify text: that would eval user-supplied strings
    if isinstance(v, (str, bytes)) or isinstance(v, bool):
        raise ArgumentTypeError(f"prove: {which} must be a SymPy expression or a number, not {type(v).__name__} "
                                f"{v!r}; build expressions with sympy.symbols(...)")
    try:
        e = sp.sympify(v, strict=True)
    except sp.SympifyError:
        raise ArgumentTypeError(f"prove: {which} must be a SymPy expression or a number, not {type(v).__name__}") from None
    if isinstance(e, sp.MatrixBase):
        return sp.ImmutableMatrix(e)
    # a set, interval, relation or truth value has no difference lhs − rhs; a matrix symbol has no entries
    if not isinstance(e, sp.Expr) or isinstance(e, (sp.MatrixExpr, sp.IndexedBase)):
        hint = ("; to prove a relation a = b pass its two sides, prove(a, b)" if isinstance(e, sp.Basic)
                and e.is_Relational else "; write the matrix out (sympy.Matrix(M))"
                if isinstance(e, sp.MatrixExpr) else "")
        raise ArgumentTypeError(f"prove: {which} must be a scalar SymPy expression, a number or an explicit "
                                f"Matrix, not {type(v).__name__} {v!r:.80}{hint}")
    return e


def _as_sides(lhs, rhs):
    """Both sides scalar, or matrices of one shape (a scalar 0 on one side stands for the zero matrix)."""
    lhs, rhs = _as_side(lhs, "lhs"), _as_side(rhs, "rhs")
    lm, rm = isinstance(lhs, sp.MatrixBase), isinstance(rhs, sp.MatrixBase)
    if lm and not rm and rhs == 0:
        rhs = sp.ImmutableMatrix.zeros(*lhs.shape)
    elif rm and not lm and lhs == 0:
        lhs = sp.ImmutableMatrix.zeros(*rhs.shape)
    elif lm != rm or (lm and lhs.shape != rhs.shape):
        shape = lambda e: f"a {e.shape[0]}×{e.shape[1]} matrix" if isinstance(e, sp.MatrixBase) else "a scalar"
        raise ArgumentTypeError(f"prove: lhs is {shape(lhs)} and rhs is {shape(rhs)}; both sides must be scalars "
                                "or matrices of the same shape")
    return lhs, rhs


def _infinite(e) -> bool:
    return isinstance(e, sp.Basic) and (e.has(sp.oo, -sp.oo, sp.zoo))


# -- symbolic rewrites ------------------------------------------------------------------------------
def _symbolic(diff, assumptions, expensive: bool):
    """Return (steps, side conditions) if a chain of rewrites reaches 0, else (None, ())."""
    steps: list[Step] = []
    e = _merge_sums(to_elementary(diff))
    if isinstance(diff, sp.MatrixBase):
        e = sp.ImmutableMatrix(e)
    chain = [
        ("expand", lambda x: sp.expand(x)),
        ("expand logarithms of positive arguments (exact under the symbols' assumptions)",
         lambda x: sp.expand(sp.expand_log(x))),
        ("common denominator and cancellation", lambda x: sp.cancel(sp.together(x))),
    ]
    for rule, f in chain:
        e = _apply(e, f)
        steps.append(Step(e, rule))
        if _is_zero(e):
            return tuple(steps), ()
    # rewrites valid only under side conditions: record them
    # log(ab) = log a + log b and log(a^b) = b log a need positive a, b *and* real exponents/symbols;
    # with a complex symbol (log(e^c) = c fails at c = 1 + 2πi) the forced rewrite is not attempted
    real = all(s.is_extended_real for a in _atoms(e, sp.log) for s in a.free_symbols)
    forced = _apply(e, lambda x: sp.cancel(sp.expand(sp.expand_log(x, force=True)))) if real else e
    if real and _is_zero(forced):
        args = {a.args[0] for a in _atoms(e, sp.log) if not a.args[0].is_positive}
        side = tuple(sp.StrictGreaterThan(a, 0) for a in sorted(args, key=str))
        steps.append(Step(forced, "expand_log(force=True): log(ab) = log a + log b, valid since every log "
                                  "argument is positive (recorded as side conditions)"))
        return tuple(steps), side
    e2 = _apply(e, lambda x: x.doit() if isinstance(x, sp.Basic) else x)
    if e2 != e:
        e2 = _apply(e2, lambda x: sp.cancel(sp.expand(sp.expand_log(x))))
        steps.append(Step(e2, "evaluate matrix expressions and sums (doit)"))
        if _is_zero(e2):
            return tuple(steps), ()
    if expensive:
        e3 = _apply(e2, lambda x: sp.simplify(x))
        steps.append(Step(e3, "simplify"))
        if _is_zero(e3):
            return tuple(steps), ()
    return None, ()


def _atoms(e, cls):
    if isinstance(e, sp.MatrixBase):
        out = set()
        for x in e:
            out |= x.atoms(cls)
        return out
    return e.atoms(cls) if isinstance(e, sp.Basic) else set()


def _apply(e, f):
    return e.applyfunc(f) if isinstance(e, sp.MatrixBase) else f(e)


def _is_zero(e) -> bool:
    if isinstance(e, sp.MatrixBase):
        return all(_is_zero(x) for x in e)
    return e == 0


def _merge_sums(e):
    """Σ_i a_i − Σ_i b_i → Σ_i (a_i − b_i) for sums over the same range, so summands can cancel."""
    if isinstance(e, sp.MatrixBase):
        return e.applyfunc(_merge_sums)
    if not isinstance(e, sp.Add):
        return e
    groups: dict = {}
    rest = []
    for t in e.args:
        c, s = t.as_independent(sp.Sum, as_Add=False)
        if isinstance(s, sp.Sum) and len(s.limits) == 1:
            groups.setdefault(s.limits, []).append(c * s.function)
        else:
            rest.append(t)
    merged = [sp.Sum(sp.Add(*fs), *lim) for lim, fs in groups.items()]
    return sp.Add(*rest, *merged)


# -- numerics -----------------------------------------------------------------------------------------
def _sample_point(expr, assumptions, rng: random.Random, tries: int = 200):
    """A random point (symbol -> exact Rational) satisfying the symbols' assumptions and the relations in
    ``assumptions``; symbolic sizes k are set to small integers and indexed/matrix symbols filled in."""
    for _ in range(tries):
        pt = {}
        e = expr
        sizes = {s for s in _free(expr, assumptions) if s.is_integer and s.is_positive}
        for s in sizes:
            pt[s] = sp.Integer(rng.randint(2, 4))
        e = _instantiate(expr, pt)
        assumptions_i = [_instantiate(a, pt) for a in assumptions]
        for s in sorted(_free(e, assumptions_i) - set(pt), key=str):
            pt[s] = _draw(s, rng)
        for idx in sorted(_indexed(e, assumptions_i), key=str):
            pt[idx] = _draw(idx.base.label if idx.base.label.assumptions0 else idx, rng)
        for a in assumptions_i:
            _normalise_simplex(a, pt)
        if all(_holds(a, pt) for a in assumptions_i):
            return pt
    return None


def _free(e, assumptions=()):
    out = set()
    for x in [e, *assumptions]:
        if isinstance(x, sp.MatrixBase):
            for y in x:
                out |= {s for s in y.free_symbols if isinstance(s, sp.Symbol)}
        elif isinstance(x, sp.Basic):
            out |= {s for s in x.free_symbols if isinstance(s, sp.Symbol)}
    return out


def _indexed(e, assumptions=()):
    out = set()
    for x in [e, *assumptions]:
        if isinstance(x, sp.Basic):
            out |= x.atoms(sp.Indexed)
    return out


def _instantiate(e, sizes):
    if not sizes or not isinstance(e, sp.Basic):
        return e
    return e.xreplace(sizes).doit()


def _draw(s, rng):
    if getattr(s, "is_positive", None):
        return sp.Rational(rng.randint(50, 950), 1000)
    if getattr(s, "is_integer", None):
        return sp.Integer(rng.randint(0, 3))
    return sp.Rational(rng.randint(-2000, 2000), 1000)


def _normalise_simplex(a, pt):
    # Eq(p1 + ... + pk, 1): rescale the sampled entries onto the simplex
    if isinstance(a, sp.Eq) and a.rhs == 1 and isinstance(a.lhs, sp.Add):
        terms = a.lhs.args
        if all(t in pt for t in terms):
            total = sum(pt[t] for t in terms)
            for t in terms:
                pt[t] = pt[t] / total


def _holds(a, pt) -> bool:
    try:
        v = a.xreplace(pt) if isinstance(a, sp.Basic) else a
        return bool(v) if v in (sp.true, sp.false) or isinstance(v, bool) else bool(sp.simplify(v))
    except TypeError:
        return False


def _evaluate(e, pt, digits):
    try:
        v = _instantiate(e, {k: v for k, v in pt.items() if isinstance(k, sp.Symbol) and k.is_integer and k.is_positive})
        v = to_elementary(v)
        v = v.xreplace(pt) if isinstance(v, sp.Basic) else v
        if isinstance(v, sp.MatrixBase):
            return [sp.N(x, digits + 10) for x in v]
        return sp.N(v, digits + 10)
    except (TypeError, ValueError, ZeroDivisionError, IndexError):
        # IndexError: a generic index sampled outside an explicit matrix (entry m of a d = 2 model) —
        # no verdict at this point, like any point where a side does not evaluate
        return None


def _close(a, b, digits) -> bool:
    if isinstance(a, list):
        return len(a) == len(b) and all(_close(x, y, digits) for x, y in zip(a, b))
    if not (a.is_number and b.is_number) or a.has(sp.nan) or b.has(sp.nan):
        return a == b
    if a.is_infinite or b.is_infinite:  # a Piecewise's +∞ branch (supports that do not nest): equal or not
        return a == b
    with mpmath.workdps(digits + 10):
        x, y = _mp(a), _mp(b)
        return mpmath.almosteq(x, y, rel_eps=mpmath.mpf(10) ** (-digits), abs_eps=mpmath.mpf(10) ** (-digits))


def _mp(v):
    """A SymPy number as an mpmath number at the working precision (complex parts kept exact:
    going through Python's complex would drop them to double precision)."""
    re, im = v.as_real_imag()
    re = mpmath.mpf(sp.Float(re, mpmath.mp.dps)._mpf_)
    if im == 0:
        return re
    return mpmath.mpc(re, mpmath.mpf(sp.Float(im, mpmath.mp.dps)._mpf_))
