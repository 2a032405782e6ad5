"""The categorical family: k classes given by probabilities or by softmax logits, k explicit or symbolic.

:mod:`.family` holds the ``Categorical`` class and its examples; :mod:`.symbolic` derives the k-class
quantities once at a symbolic k and instantiates them at an explicit k.
"""

from symce.families.categorical.family import EXAMPLES, Categorical

__all__ = ["Categorical", "EXAMPLES"]
