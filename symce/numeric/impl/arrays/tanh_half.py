"""wtanh(w, a) = w·tanh(a/2) (see :mod:`symce.numeric.functions.tanh_half`): for |a| < 2⁻¹⁰⁰⁰ the series'
first term, (w/2)·a — halving the normal w is exact, so one rounding where a/2 and the subnormal tanh(a/2) would
each round (CE ∂²/∂z² at z = 5e-324: 0 for −4.6e-322); the next term, −a³/24, is below 2⁻²⁰⁰¹ relative."""

from __future__ import annotations

_TINY_A = 2.0 ** -1000


def wtanh(xp, w, a):
    m = xp.m
    w, a = xp.asarray(w), xp.asarray(a)
    return m.where(m.abs(a) < _TINY_A, (w * 0.5) * a, w * m.tanh(a * 0.5))


__all__ = ["wtanh"]
