"""The array implementations of the stable functions, written once against a small array namespace
(:class:`_Array`) so numpy and torch share them. For numpy, :mod:`..fast` replaces some of them by versions
that run the cheap formula on the whole array and the careful one (these) only where it is needed.

The kernels are module-level functions taking the namespace first, one module per family:
:mod:`.elementwise` (σ, softplus, log1pmx and the KL terms, compensated sums), :mod:`.softmax` (logsumexp,
softmax, cross-entropies of logits) and :mod:`.softmax_kl` (KL between logit vectors, and between a
probability vector and logits); here they are bound to numpy's or torch's namespace, by name."""

from __future__ import annotations

from functools import lru_cache, partial

import numpy as np

from symce.numeric import special
from symce.numeric.impl import bregman_pair, bregman_ratio, digamma_diff, dirichlet_xent, gamma_kernels, log_beta
from symce.numeric.impl.arrays import elementwise as _e
from symce.numeric.impl.arrays import logit_ratio as _lr
from symce.numeric.impl.arrays import log_diff as _ld
from symce.numeric.impl.arrays.namespace import _Array
from symce.numeric.impl.arrays import softmax as _s
from symce.numeric.impl.arrays import softmax_kl as _kl
from symce.numeric.impl.arrays.softmax_rest import softmax_rest as _softmax_rest, softmax_var as _softmax_var
from symce.numeric.impl.arrays import vonmises as _vm
from symce.numeric.impl.arrays.tanh_half import wtanh as _wtanh
from symce.numeric.impl.fast import fast_numpy
from symce.numeric.impl.logprod import logprod_offset_float
from symce.numeric.impl.logsum import rational_log_sum_float
from symce.numeric.impl.softplus_parts import SOFTPLUS_PARTS


def _bound(xp: _Array, f):
    """f with the namespace bound: the implementations are called with the stable function's arguments
    (and keep the kernel's name, which the scalar wrappers copy)."""
    def kernel(*args, **kw):
        return f(xp, *args, **kw)

    kernel.__name__ = kernel.__qualname__ = f.__name__
    kernel.__doc__ = f.__doc__
    return kernel


# name in the printed code -> kernel
_KERNELS = {"sigmoid": _e.sigmoid, "softplus": _e.softplus, "log_sigmoid": _e.log_sigmoid, "xlogy": _e.xlogy,
            "xlog1py": _e.xlog1py, "log1pmx": _e.log1pmx, "_log1pmx_ratio": _e.log1pmx_ratio, "_kl_div": _e.kl_div,
            "diff_ratio": _e.diff_ratio, "_log_offset": _e.log_offset, "logsumexp": _s.logsumexp, "fsum": _e.fsum,
            "softmax_xent": _s.softmax_xent, "logit_xent": _s.logit_xent, "rel_entr_sum": _e.rel_entr_sum,
            "softmax": _s.softmax, "softmax_rest": _softmax_rest, "softmax_var": _softmax_var, "wtanh": _wtanh, "softmax_kl": _kl.softmax_kl, "log1p": _e.log1p,
            "_wprod_sigmoid": _s.wprod_sigmoid, "_wprod_softmax": _s.wprod_softmax,
            "_rel_entr_sum_pos": _e.rel_entr_sum_pos, "_prob_logit_kl": _kl.prob_logit_kl,
            "_logit_prob_kl": _kl.logit_prob_kl, "logit_ratio": _lr.logit_ratio, "cbern_mean": _lr.cbern_mean, "cbern_kl": _lr.cbern_kl,
            "cbern_negentropy": _lr.cbern_negentropy, "cbern_xent": _lr.cbern_xent, "cbern_var": _lr.cbern_var,
            "cbern_logit": _lr.cbern_logit, "cbern_dmean": _lr.cbern_dmean, "cbern_mean_gap": _lr.cbern_mean_gap,
            "cbern_dxent": _lr.cbern_dxent, "cbern_dkl": _lr.cbern_dkl,
            "log_diff": _ld.log_diff, "log_diff_ratio": _ld.log_diff_ratio, "vonmises_kl": _vm.vonmises_kl,
            "vonmises_entropy": _vm.vonmises_entropy, "vonmises_xent": _vm.vonmises_xent}


@lru_cache(maxsize=None)
def careful_impls(kind: str = "numpy") -> dict:
    """name -> the careful implementation for ``kind`` in {"numpy", "torch"} (for numpy, the fallbacks of
    :func:`~symce.numeric.impl.fast.fast_numpy`)."""
    xp = _Array(kind)
    m = xp.m
    out = {name: _bound(xp, f) for name, f in _KERNELS.items()}
    # printed by a generic printer (math, torch): the argument of exact_rational arrives already evaluated,
    # logprod_offset's constant as one float; the numpy code generator binds the exact kernels instead
    out.update({"exact_rational": lambda x: x,
                "logprod_offset": logprod_offset_float if kind == "numpy"
                else lambda *a: sum(m.log(xp.asarray(x)) for x in a[:-1]) + a[-1]})
    out["rational_log_sum"] = rational_log_sum_float(xp, m.log)
    # the generic printers' screened_sum: the plain sum (the numpy code generator binds the screening kernel)
    out["screened_sum"] = lambda *ts: sum(ts[1:], ts[0])
    return out


@lru_cache(maxsize=None)
def array_impls(kind: str = "numpy") -> dict:
    """name -> implementation for ``kind`` in {"numpy", "torch"}: the careful ones, and for numpy the fast
    versions in their place where there are some."""
    out = dict(careful_impls(kind))
    # the special functions of the families' formulas (log Γ, ψ, erf, I_ν, …): numeric/special.py
    out.update(special.numpy_kernels() if kind == "numpy" else special.torch_kernels())
    if kind == "numpy":
        out.update(fast_numpy(dict(out)))
        # the Stirling split of log Γ (functions/gamma.py); torch runs these numpy kernels through its bridge
        out.update(gamma_kernels.numpy_kernels(out["loggamma"], out["_kl_div"]))
        # the same where its arguments are constant multiples of inputs, with their ratio (impl/bregman_ratio.py)
        out["_stirling_bregman_ratio"] = partial(bregman_ratio.stirling_bregman_ratio, base=out["_stirling_bregman"])
        # the Beta/Dirichlet Bregman sum where one pair dominates (its terms' sum cancelled to 0): bregman_pair
        out["stirling_bregman_sum"] = partial(bregman_pair.stirling_bregman_sum, loggamma=out["loggamma"])
        out["psi_diff"] = digamma_diff.psi_diff  # the Beta/Dirichlet CE's ψ differences (impl/digamma_diff.py)
        out["log_beta"] = partial(log_beta.log_beta, loggamma=out["loggamma"])  # log B(β), impl/log_beta.py
        # the Beta/Dirichlet CE's log B and ψ terms summed at a scale (impl/dirichlet_xent.py)
        out["dirichlet_xent"] = partial(dirichlet_xent.dirichlet_xent, loggamma=out["loggamma"],
                                         kl_div=out["_kl_div"])
        out.update(SOFTPLUS_PARTS)  # the code generator shares log1p(e^{−|y|}) between softplus(±y)
    return out
