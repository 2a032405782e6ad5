"""symce — derive cross-entropy, entropy and KL divergence symbolically.

The public API, by name; everything else is private.
"""

from .derivation import Derivation, Step
from .family import Family, Measure
from .families import Bernoulli, Normal
from .families import MultivariateNormal
from .families import Categorical
from .information import cross_entropy, entropy, kl, clear_cache
from .timeout import set_time_limit, get_time_limit
from .calculus import gradient, hessian
from .proof import Proof, prove
from .identities import kl_decomposition, kl_self_zero, gibbs_stationarity
from .special import sigmoid
from .numeric import lambdify, verify
from .printing import latex
from .document import document
from . import errors
from .empirical import Empirical, nll
from .mle import mle
from .fisher import fisher_information
from .conditional import logistic_regression, softmax_regression, linear_gaussian_regression
from .losses import label_smoothing, weighted_cross_entropy, focal_loss, gaussian_nll_loss

__all__ = [
    "Derivation", "Step", "Family", "Measure",
    "Bernoulli", "Normal",
    "MultivariateNormal",
    "Categorical",
    "cross_entropy", "entropy", "kl", "clear_cache",
    "set_time_limit", "get_time_limit", "errors",
    "gradient", "hessian", "Proof", "prove",
    "kl_decomposition", "kl_self_zero", "gibbs_stationarity", "sigmoid", "lambdify", "verify",
    "latex", "document",
]
__all__ += ["Empirical", "nll", "mle", "fisher_information", "logistic_regression", "softmax_regression",
            "linear_gaussian_regression", "label_smoothing", "weighted_cross_entropy", "focal_loss",
            "gaussian_nll_loss"]
__version__ = "0.1.0"
