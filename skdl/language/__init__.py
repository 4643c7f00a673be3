"""Language models: the probability of a word sequence.

From n-gram counts or a recurrent network (each imported on first use).
"""

from .._lazy import attach

__getattr__, __dir__, __all__ = attach(
    __name__,
    {
        "_neural": ["LSTMLanguageModel"],
        "_ngram": ["NGramLanguageModel"],
    },
)
del attach  # builds the lazy imports; not a public name of the package
