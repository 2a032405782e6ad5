r"""The interval arithmetic of the ground truth, on raw mpmath intervals — pairs (lo, hi) of mpf tuples —
with the directed-rounding kernels of ``mpmath.libmp.libmpi`` that ``mpmath.iv`` itself calls: the same
arithmetic without creating an interval object and looking up the context's precision at every
operation (about half the time of a low-precision evaluation went there).

Here: log and exp of an interval, rounded outward by our own widening (mpmath's directed rounding of log
is below the exact value at some points) (e^v of a huge v as 2^n·e^r, v = n·ln 2 + r, widened outward to cover the
reduction), log(1 + x) rounded down/up (x − x² ≤ log1p x ≤ x for tiny x), and the exact rounding of an
mpf to the nearest float64.
"""

from __future__ import annotations

from mpmath import libmp as L
from mpmath.libmp import finf, fnan, fninf


# -- exact float conversion -------------------------------------------------------------------------------
def _mpf_to_float(m) -> float:
    """Round an mpf tuple (sign, man, exp, bc) to the nearest float64 (ties to even), exactly."""
    sign, man, exp, bc = m
    if not man:
        return -0.0 if sign else 0.0  # zero (infinities and NaN are handled by to_float)
    top = exp + bc  # value in [2^(top−1), 2^top)
    if top > 1025:
        v = float("inf")
    elif top < -1080:
        v = 0.0
    elif exp >= 0:
        try:
            v = float(man << exp)
        except OverflowError:
            v = float("inf")
    else:
        try:
            v = man / (1 << -exp)  # int/int true division is correctly rounded (subnormals included)
        except OverflowError:
            v = float("inf")
    return -v if sign else v


def _special(m):
    if m == finf:
        return float("inf")
    if m == fninf:
        return float("-inf")
    if m == fnan:
        return float("nan")
    return None


def to_float(m) -> float:
    s = _special(m)
    return s if s is not None else _mpf_to_float(m)


# -- intervals ----------------------------------------------------------------------------------------------
_FLOOR, _CEIL = L.round_floor, L.round_ceiling
_ZERO, _ONE = (L.fzero, L.fzero), (L.fone, L.fone)
_NAN = (L.fnan, L.fnan)
_NEG_INF = (L.fninf, L.fninf)


def _zero(x) -> bool:
    return x[0] == L.fzero and x[1] == L.fzero


#: guard bits of the outward-widened log and exp: evaluated at prec + _GUARD bits to nearest, then widened
#: by 2^−(prec + _GUARD − _SLACK) relative. mpmath's directed rounding of log is not trustworthy
#: (mpf_log(1 + 2⁻⁵², 64, round_ceiling) lies *below* the exact log); its nearest-rounded value is accurate to
#: a few ulps, which the widening of 2^_SLACK ulps covers.
_GUARD, _SLACK = 24, 10


def _widen(v, prec: int, up: bool):
    """v moved outward by |v|·2^−(prec + _GUARD − _SLACK), rounded outward to prec bits."""
    if v in (L.fzero, L.finf, L.fninf, L.fnan):
        return v
    eps = L.mpf_shift(L.mpf_abs(v), -(prec + _GUARD - _SLACK))
    return L.mpf_add(v, eps if up else L.mpf_neg(eps), prec, _CEIL if up else _FLOOR)


def _log_end(x, prec: int, up: bool):
    """A rigorous lower (``up`` False) or upper bound of log x for an mpf x ≥ 0."""
    if x == L.fone:
        return L.fzero  # log 1 = 0 exactly
    if x == L.fzero:
        return L.fninf
    if x == L.finf:
        return L.finf
    return _widen(L.mpf_log(x, prec + _GUARD, L.round_nearest), prec, up)


def _log(x, prec):
    a, b = x
    if a == L.fnan or b == L.fnan or L.mpf_lt(b, L.fzero):
        return _NAN
    if L.mpf_gt(a, L.fzero):
        return _log_end(a, prec, False), _log_end(b, prec, True)
    if b == L.fzero:
        return _NEG_INF
    # the interval reaches 0: unbounded below (more precision may lift the lower end above 0)
    return L.fninf, _log_end(b, prec, True)


def _exp_endpoint(v, prec: int, up: bool):
    """e^v for an mpf v of huge magnitude, as 2^n·e^r with v = n·ln 2 + r (mpmath's own exp raises to a
    power by squaring at this size: ~30 ms per call), widened outward by 2^−(prec+4) relative: n·ln 2 is
    formed with |v|·2^−(prec+40) absolute error, so the widening covers it."""
    wp = prec + (v[2] + v[3]) + 40
    ln2 = L.mpf_ln2(wp)
    n = L.to_int(L.mpf_floor(L.mpf_div(v, ln2, wp)))
    r = L.mpf_sub(v, L.mpf_mul(L.from_int(n), ln2, wp), wp)
    e = L.mpf_exp(r, prec + 40)
    eps = L.from_man_exp(1 if up else -1, -(prec + 4))
    e = L.mpf_mul(e, L.mpf_add(L.fone, eps, prec + 20, _CEIL if up else _FLOOR), prec + 20, _CEIL if up else _FLOOR)
    return L.mpf_shift(e, n)


def _exp_end(v, prec: int, up: bool):
    if v[1] and v[2] + v[3] > 21:  # finite, |v| > 2^20
        return _exp_endpoint(v, prec, up)
    if v == L.fzero:
        return L.fone
    if v in (L.finf, L.fninf, L.fnan):
        return L.mpf_exp(v, prec)
    return _widen(L.mpf_exp(v, prec + _GUARD, L.round_nearest), prec, up)


def _iv_exp(x, prec):
    return _exp_end(x[0], prec, False), _exp_end(x[1], prec, True)



def _log1p_end(x, prec: int, up: bool):
    """log(1 + x) rounded down/up, for an mpf x ≥ −1: for |x| < 2^−(prec+2), x − x² ≤ log1p x ≤ x; else
    1 + x formed with −mag(x) extra bits (so no relative accuracy is lost) and its log."""
    rnd = _CEIL if up else _FLOOR
    if x == L.fzero or x in (L.finf, L.fnan):
        return x
    if L.mpf_lt(x, L.fnone):
        return L.fnan
    if x == L.fnone:
        return L.fninf
    if _mag(x) < -(prec + 2):
        return x if up else L.mpf_sub(x, L.mpf_mul(x, x, prec, _CEIL), prec, _FLOOR)
    wp = prec + max(0, -_mag(x)) + 10
    return _log_end(L.mpf_add(L.fone, x, wp, rnd), prec, up)


def _mag(m) -> int:
    """Binary exponent of a finite nonzero mpf tuple: its value lies in [2^(mag−1), 2^mag)."""
    return m[2] + m[3]
