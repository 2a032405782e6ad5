r"""``logprod_offset(x₁…x_k, c)`` = Σ log xᵢ + c, without overflow and without cancellation near its root.

The mantissas of the xᵢ are multiplied as a double-double M ∈ [½, 1) and their exponents summed as
integers E, so Π xᵢ never overflows; the value is log M + E·log 2 + c with log 2 in Cody–Waite form
(E·ln2_hi exact) and c a double-double; near its root (Π xᵢ ≈ x₀ = e^{−c}) it is log1p((M·2^E − x₀)/x₀)
with x₀ = m₀·2^{e₀} a double-double, the difference exact (Sterbenz), so nothing cancels where the sum
of logarithms is near 0. Also the mpmath and generic-printer (float c) forms.
"""

from __future__ import annotations

import mpmath
import numpy as np
import sympy as sp

from symce.numeric.impl.constants import _LN2_HI, _LN2_LO  # E·_LN2_HI is exact (32 significant bits)
from symce.numeric.impl.double_double import _two_prod, _two_sum


def offset_constants(c) -> dict:
    """The constants of logprod_offset(…, c): c and the root x₀ = e^{−c} = m₀·2^{e₀} as double-doubles."""
    with mpmath.workprec(300):
        cv = mpmath.mpf(str(sp.N(c, 90)))
        x0 = mpmath.exp(-cv)
        m0, e0 = mpmath.frexp(x0)
        c_hi = float(cv)
        c_lo = float(cv - c_hi)
        m0_hi = float(m0)
        m0_lo = float(m0 - m0_hi)
    return {"c_hi": c_hi, "c_lo": c_lo, "m0_hi": m0_hi, "m0_lo": m0_lo, "e0": int(e0)}


def logprod_offset(*xs, c_hi, c_lo=0.0, m0_hi=None, m0_lo=0.0, e0=None):
    """Σ log xᵢ + c (xᵢ > 0) for numpy arrays; without the root constants (a float c from a generic
    printer) it is computed from c_hi alone."""
    if m0_hi is None:
        m0_hi, e0 = np.frexp(np.exp(-c_hi))
        m0_hi, e0 = float(m0_hi), int(e0)
    with np.errstate(all="ignore"):
        cols = np.broadcast_arrays(*[np.asarray(x, dtype=np.float64) for x in xs])
        m, k = np.frexp(cols[0])
        hi, lo, E = m, np.zeros_like(m), k.astype(np.int64)
        for x in cols[1:]:
            m, k = np.frexp(x)
            p, q = _two_prod(hi, m)
            q = q + lo * m
            hi, lo = _two_sum(p, q)
            E = E + k
            hi, kk = np.frexp(hi)  # back to [½, 1): the product of k mantissas is ≥ 2^−k
            lo = np.ldexp(lo, -kk)
            E = E + kk
        # far: log M + E·ln 2 + c, the big parts added with TwoSum and every small part collected
        Ef = E.astype(np.float64)
        s1, e1 = _two_sum(Ef * _LN2_HI, c_hi)
        lm = np.log(hi)
        s2, e2 = _two_sum(s1, lm)
        far = s2 + (e1 + e2 + (lo / hi + (Ef * _LN2_LO + c_lo)))
        # near the root: M·2^E / x₀ = (M/m₀)·2^{E−e₀} with E − e₀ ∈ {−1, 0, 1}
        shift = E - e0
        ok = np.abs(shift) <= 1
        sh = np.where(ok, shift, 0).astype(np.int32)
        d = (np.ldexp(hi, sh) - m0_hi) + (np.ldexp(lo, sh) - m0_lo)
        t = d / m0_hi
        # within a factor 2 of the root only: there M·2^{E−e₀} − m₀ is exact (Sterbenz) and |log1p t| ≤ log 2;
        # farther out the far form loses nothing (|result| ≥ log 2 > |log M|), while the rounded difference
        # and quotient cost up to 4 ULP (t = −0.6: 2.5·2^−54 in log1p)
        near = ok & (t >= -0.5) & (t <= 1.0)
        out = np.where(near, np.log1p(t), far)
        # zeros, infinities and NaNs of the inputs: the plain sum of logarithms has the IEEE value
        finite = np.ones(out.shape, dtype=bool)
        for x in cols:
            finite &= np.isfinite(x) & (x > 0)
        if not finite.all():
            plain = sum(np.log(x) for x in cols) + c_hi
            out = np.where(finite, out, plain)
        return out


def logprod_offset_mp(*args):
    """mpmath: Σ log xᵢ + c at the working precision (+ guard bits for the cancellation near the root)."""
    xs, c = args[:-1], args[-1]
    with mpmath.workprec(mpmath.mp.prec + 64):
        v = mpmath.fsum(mpmath.log(x) for x in xs) + c
        if v != 0 and mpmath.isfinite(v):
            extra = max(0, -int(mpmath.mag(v))) + 20
            with mpmath.workprec(mpmath.mp.prec + extra):
                v = mpmath.fsum(mpmath.log(x) for x in xs) + c
    return +v


def logprod_offset_float(*args):
    """The generic-printer form logprod_offset(x…, c) with c a float (math/torch backends)."""
    return logprod_offset(*args[:-1], c_hi=float(args[-1]))
