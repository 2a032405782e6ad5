"""Identities of information theory, *proved* for concrete pairs of distributions.

* :func:`kl_decomposition` — KL(P‖Q) = H(P, Q) − H(P), with KL computed directly as E_P[log p − log q];
* :func:`kl_self_zero` — KL(P‖P) = 0;
* :func:`gibbs_stationarity` — at Q = P the gradient of H(P, Q) w.r.t. Q's parameters vanishes
  (the first-order condition of Gibbs' inequality H(P, Q) ≥ H(P)).
"""

from __future__ import annotations

import sympy as sp

from .calculus import gradient
from .derivation import Step
from .errors import ArgumentTypeError
from .family import Family
from .information import cross_entropy, entropy, kl
from .proof import PROVED, Proof, prove


def _assumptions(*ds) -> tuple:
    return tuple(dict.fromkeys(c for d in ds for c in d.conditions))


def kl_decomposition(P: Family, Q: Family, **options) -> Proof:
    """Prove KL(P‖Q) = H(P, Q) − H(P) for this pair (KL derived directly, not as the difference)."""
    d_kl, d_ce, d_h = kl(P, Q), cross_entropy(P, Q), entropy(P)
    if d_kl.is_infinite and d_ce.is_infinite:
        return Proof(d_kl.result, d_ce.result, PROVED,
                     steps=(Step(sp.oo, f"both sides are +∞: {d_kl.infinite_reason}; H(P) is finite"),),
                     name="KL(P‖Q) = H(P,Q) − H(P)")
    return prove(d_kl.result, d_ce.result - d_h.result, _assumptions(d_kl, d_ce, d_h),
                 name="KL(P‖Q) = H(P,Q) − H(P)", **options)


def kl_self_zero(P: Family, **options) -> Proof:
    """Prove KL(P‖P) = 0."""
    d = kl(P, P)
    return prove(d.result, 0, _assumptions(d), name="KL(P‖P) = 0", **options)


def parameter_map(Q: Family, P: Family) -> dict:
    """{symbol of Q's parameters: the matching value of P}, for setting Q = P."""
    if type(P) is not type(Q) or list(P.parameters) != list(Q.parameters):
        raise ArgumentTypeError(f"Q = P needs the same family and parameterisation: {P!r} vs {Q!r}")
    out = {}
    for name, qv in Q.parameters.items():
        pv = P.parameters[name]
        qs, ps = _flat(qv), _flat(pv)
        if len(qs) != len(ps):
            raise ArgumentTypeError(f"parameter {name} has different sizes in {P!r} and {Q!r}")
        for a, b in zip(qs, ps):
            if not isinstance(a, (sp.Symbol, sp.MatrixSymbol, sp.IndexedBase)):
                raise ArgumentTypeError(f"Q's parameter {name} must be made of symbols to set Q = P, got {a}")
            out[a] = b
    return out


def _flat(v) -> list:
    if isinstance(v, sp.MatrixBase):
        return list(v)
    if isinstance(v, (list, tuple)):
        return [y for x in v for y in _flat(x)]
    return [v]


def gibbs_stationarity(P: Family, Q: Family, **options) -> Proof:
    """Prove ∇_θQ H(P, Q) = 0 at Q = P (Q must be P's family with symbols for parameters)."""
    sub = parameter_map(Q, P)
    wrt = [s for s in sub if isinstance(s, sp.Symbol)]
    d = cross_entropy(P, Q)
    g = gradient(d, wrt)
    at_p = g.result.xreplace(sub) if isinstance(g.result, sp.Basic) else g.result
    zero = sp.zeros(*at_p.shape) if isinstance(at_p, sp.MatrixBase) else 0
    return prove(at_p, zero, _assumptions(d), name="∇_Q H(P, Q) = 0 at Q = P", **options)
