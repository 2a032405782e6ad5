"""The multivariate normal family: mean vector and covariance (full, Cholesky or symbolic d).

:mod:`.family` holds the ``MultivariateNormal`` class and its examples; :mod:`.symbolic` derives at a
symbolic dimension d and instantiates; :mod:`.matrix` holds the matrix calculus both use.
"""

from symce.families.mvnormal.family import D, EXAMPLES, MultivariateNormal

__all__ = ["MultivariateNormal", "D", "EXAMPLES"]
