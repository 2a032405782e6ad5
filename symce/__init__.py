"""symce — derive cross-entropy, entropy and KL divergence symbolically.

The public API, by name; everything else is private.
"""

from . import errors
# families
from .family import Family, Measure
from .families import Bernoulli, Categorical, MultivariateNormal, Normal
# information quantities, derived
from .derivation import Derivation, Step
from .information import clear_cache, cross_entropy, entropy, kl
from .timeout import get_time_limit, set_time_limit
# calculus and proofs
from .calculus import gradient, hessian
from .proof import Proof, prove
from .identities import gibbs_stationarity, kl_decomposition, kl_self_zero
from .special import sigmoid
# cross-entropy as a training loss
from .empirical import Empirical, nll
from .mle import mle
from .fisher import fisher_information
from .conditional import linear_gaussian_regression, logistic_regression, softmax_regression
from .losses import focal_loss, gaussian_nll_loss, label_smoothing, weighted_cross_entropy
# numbers and documents
from .numeric import lambdify, verify
from .printing import latex
from .document import document

__all__ = [
    "errors",
    "Family", "Measure", "Bernoulli", "Categorical", "MultivariateNormal", "Normal",
    "Derivation", "Step", "clear_cache", "cross_entropy", "entropy", "kl", "get_time_limit", "set_time_limit",
    "gradient", "hessian", "Proof", "prove", "gibbs_stationarity", "kl_decomposition", "kl_self_zero", "sigmoid",
    "Empirical", "nll", "mle", "fisher_information",
    "linear_gaussian_regression", "logistic_regression", "softmax_regression",
    "focal_loss", "gaussian_nll_loss", "label_smoothing", "weighted_cross_entropy",
    "lambdify", "verify", "latex", "document",
]
__version__ = "0.1.0"
