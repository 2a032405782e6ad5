"""symce — derive cross-entropy, entropy and KL divergence symbolically.

The public API, by name; everything else is private.
"""

from symce import errors
# families
from symce.core.family import Family, Measure
from symce.families import (Bernoulli, Categorical, Density, ExponentialFamily, MultivariateNormal, Normal,
                            from_sympy_stats)
# the common families, with torch.distributions' argument names and order
from symce.families import (Beta, Binomial, Cauchy, Chi2, ContinuousBernoulli, Dirichlet, Exponential, Gamma,
                            Geometric, Gumbel, HalfCauchy, HalfNormal, InverseGamma, Kumaraswamy, Laplace,
                            LogNormal, Logistic, LowRankMultivariateNormal, Multinomial, NegativeBinomial,
                            OneHotCategorical, Pareto, Poisson, Rayleigh, StudentT, Uniform, VonMises, Weibull)
# information quantities, derived
from symce.engine.derivation import Derivation, Step
from symce.engine.information import clear_cache, cross_entropy, entropy, get_cache_size, kl, set_cache_size
from symce.core.limits import get_time_limit, set_time_limit
# calculus and proofs
from symce.engine.derivation import gradient, hessian
from symce.engine.proof import Proof, prove
from symce.engine.identities import gibbs_stationarity, kl_decomposition, kl_self_zero
from symce.core.special import sigmoid
# cross-entropy as a training loss
from symce.learning.empirical import Empirical, nll
from symce.learning.mle import mle
from symce.learning.fisher import fisher_information
from symce.learning.conditional import linear_gaussian_regression, logistic_regression, softmax_regression
from symce.learning.losses import focal_loss, gaussian_nll_loss, label_smoothing, weighted_cross_entropy
# numbers and documents
from symce.numeric import lambdify, verify
from symce.printing.printer import latex
from symce.printing.document import document

__all__ = [
    "errors",
    "Family", "Measure", "Bernoulli", "Categorical", "MultivariateNormal", "Normal",
    "Density", "ExponentialFamily", "from_sympy_stats",
    "Beta", "Binomial", "Cauchy", "Chi2", "ContinuousBernoulli", "Dirichlet", "Exponential", "Gamma", "Geometric", "Gumbel", "HalfCauchy", "HalfNormal", "InverseGamma", "Kumaraswamy", "Laplace", "LogNormal", "Logistic", "LowRankMultivariateNormal", "Multinomial", "NegativeBinomial", "OneHotCategorical", "Pareto", "Poisson", "Rayleigh", "StudentT", "Uniform", "VonMises", "Weibull",
    "Derivation", "Step", "clear_cache", "set_cache_size", "get_cache_size", "cross_entropy", "entropy", "kl", "get_time_limit", "set_time_limit",
    "gradient", "hessian", "Proof", "prove", "gibbs_stationarity", "kl_decomposition", "kl_self_zero", "sigmoid",
    "Empirical", "nll", "mle", "fisher_information",
    "linear_gaussian_regression", "logistic_regression", "softmax_regression",
    "focal_loss", "gaussian_nll_loss", "label_smoothing", "weighted_cross_entropy",
    "lambdify", "verify", "latex", "document",
]
__version__ = "0.1.0"
