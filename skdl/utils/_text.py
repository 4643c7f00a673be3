"""Documents in, token lists out: the text handling of skdl's text estimators.

:class:`LSTMTextClassifier` and the language models read the same inputs (raw
strings, token lists, and for the classifier integer id sequences), split them
with :class:`~sklearn.feature_extraction.text.CountVectorizer`'s analyzer
options and learn a vocabulary with its ``min_df`` and ``max_features``, so all of
them accept the same documents and say the same thing about the wrong ones.
"""

from __future__ import annotations

import inspect
import re
import warnings
from numbers import Integral

import numpy as np
from sklearn.feature_extraction.text import CountVectorizer

from .._warnings import external_stacklevel
from ._sklearn import Interval, RealNotInt, StrOptions
from ._validation import changed_params

__all__ = ["TEXT_CONSTRAINTS", "TokenizerMixin"]

#: ``_parameter_constraints`` of the CountVectorizer-style parameters
TEXT_CONSTRAINTS: dict = {
    "analyzer": [StrOptions({"word", "char"}), callable],
    "lowercase": ["boolean"],
    "token_pattern": [str, None],
    "stop_words": [StrOptions({"english"}), list, None],
    "max_features": [Interval(Integral, 1, None, closed="left"), None],
    "min_df": [
        Interval(RealNotInt, 0, 1, closed="both"),
        Interval(Integral, 1, None, closed="left"),
    ],
}


class TokenizerMixin:
    """Tokenize documents and learn a vocabulary with CountVectorizer's options.

    The estimator has the parameters of :data:`TEXT_CONSTRAINTS`.
    ``_accepts_ids`` says whether integer id sequences are documents too.
    """

    _accepts_ids = True

    def _tokenize(self, X):
        """Tokens of each document, and whether they are integer ids.

        The second value is None when every document is empty (either kind).
        """
        name = type(self).__name__
        documents = _documents(X, name, self._accepts_ids)
        kinds = [
            _kind(doc, i, name, self._accepts_ids) for i, doc in enumerate(documents)
        ]
        ids_input = "ids" in kinds if set(kinds) != {"empty"} else None
        if ids_input and ("text" in kinds or "tokens" in kinds):
            first = kinds.index("text" if "text" in kinds else "tokens")
            raise TypeError(
                f"{name} got integer id sequences and strings in the same input "
                f"(document {first} is a {kinds[first]}); pass one kind."
            )
        analyze = self._analyzer() if "text" in kinds else None
        tokens = []
        for index, (doc, kind) in enumerate(zip(documents, kinds, strict=True)):
            if kind == "text":
                tokens.append(analyze(_decoded(doc, index, name)))
                if callable(self.analyzer):
                    _check_analyzed(tokens[-1], index, name)
            elif kind == "ids":
                tokens.append([int(t) for t in doc])
            else:
                tokens.append(list(doc))
        return tokens, ids_input

    def _analyzer(self):
        """CountVectorizer's function from a raw string to its tokens."""
        if self.analyzer == "word":
            _check_token_pattern(self.token_pattern, type(self).__name__)
        return CountVectorizer(
            analyzer=self.analyzer,
            lowercase=self.lowercase,
            token_pattern=self.token_pattern,
            stop_words=self.stop_words,
        ).build_analyzer()

    def _vocabulary_tokens(self, tokens) -> list:
        """The tokens that ``min_df`` and ``max_features`` keep, sorted.

        Called at fit, it warns of parameters that the analyzer does not read,
        as CountVectorizer does.
        """
        if self.analyzer != "word":
            default = inspect.signature(type(self)).parameters["token_pattern"]
            unused = [
                name
                for name, used in (
                    ("stop_words", self.stop_words is None),
                    (
                        "token_pattern",
                        self.token_pattern in (None, default.default),
                    ),
                )
                if not used
            ]
            for name in unused:
                warnings.warn(
                    f"The parameter {name!r} will not be used since analyzer="
                    f"{self.analyzer!r} is not 'word'.",
                    UserWarning,
                    stacklevel=external_stacklevel(),
                )
        counter = CountVectorizer(
            analyzer=list,
            lowercase=False,
            token_pattern=None,
            min_df=self.min_df,
            max_features=self.max_features,
        )
        try:
            counter.fit(tokens)
        except ValueError:
            if any(tokens):  # min_df left none of them
                raise ValueError(
                    f"{type(self).__name__} found no token in at least "
                    f"min_df={self.min_df!r} of the documents; lower min_df."
                ) from None
            raise ValueError(
                f"{type(self).__name__} found no tokens to learn a vocabulary "
                "from: every document is empty after tokenizing. Check analyzer, "
                "token_pattern and stop_words."
            ) from None
        return sorted(counter.vocabulary_, key=counter.vocabulary_.get)

    def _changed_input_params(self) -> list[str]:
        """The parameters of :data:`TEXT_CONSTRAINTS` changed since the network
        was built (for a BaseTorchEstimator): a continued fit keeps the fitted
        ``vocabulary_``, which new tokenizing options would not match (every
        token could read as ``<unk>``) and new ``min_df`` or ``max_features``
        would not change.
        """
        changed = super()._changed_input_params()
        now, built = self.get_params(deep=False), self._built_with["module"]
        return [*changed, *changed_params(now, built, TEXT_CONSTRAINTS)]


def _documents(X, name: str, accepts_ids: bool) -> list:
    from .._blocks import is_block_input  # skdl._blocks imports skdl.utils

    if is_block_input(X):
        kind = "RowBlocks" if hasattr(X, "validated") else f"Dask {type(X).__name__}"
        # fit refuses block input, naming why; other methods reach here (the
        # output methods of lazy_on_dask never do: they get in-memory blocks)
        raise TypeError(
            f"{name} reads documents in memory (a list, NumPy array or pandas "
            f"Series of text); got a {kind}, read block by block. "
            "Compute it first (X.compute()); predict, predict_proba and "
            "transform take a Dask collection of documents block by block."
        )
    if isinstance(X, str | bytes):
        raise TypeError(
            f"{name} expects an iterable of documents, but got a single "
            f"{type(X).__name__}; wrap it in a list: [text]."
        )
    if getattr(X, "ndim", 1) == 2:
        if (
            accepts_ids
            and isinstance(X, np.ndarray)
            and np.issubdtype(X.dtype, np.integer)
        ):
            return list(X)  # rows of integer ids
        raise TypeError(
            f"{name} expects one document per row, but got a 2-D "
            f"{type(X).__name__} of shape {X.shape}; pass one column of text "
            "(a list, 1-D array or pandas Series)."
        )
    if getattr(X, "ndim", 1) != 1:
        raise TypeError(
            f"{name} expects a 1-D iterable of documents; got an array of shape "
            f"{X.shape}."
        )
    try:
        return list(X)
    except TypeError:
        kinds = "strings, token lists" + (" or integer id sequences" * accepts_ids)
        raise TypeError(
            f"{name} expects an iterable of documents ({kinds}); got "
            f"{type(X).__name__}."
        ) from None


def _kind(doc, index: int, name: str, accepts_ids: bool) -> str:
    """'text', 'tokens', 'ids' or 'empty' (an empty sequence) for one document."""
    if isinstance(doc, str | bytes):
        return "text"
    if isinstance(doc, list | tuple) or (isinstance(doc, np.ndarray) and doc.ndim == 1):
        if len(doc) == 0:
            return "empty"
        if all(isinstance(t, str) for t in doc):
            return "tokens"
        if accepts_ids:
            if isinstance(doc, np.ndarray) and np.issubdtype(doc.dtype, np.integer):
                return "ids"
            if all(isinstance(t, Integral) and not isinstance(t, bool) for t in doc):
                return "ids"
    kinds = (
        "strings, lists of string tokens or sequences of integer ids"
        if accepts_ids
        else "strings or lists of string tokens"
    )
    raise TypeError(
        f"{name} expects documents as {kinds}; document {index} is a "
        f"{type(doc).__name__}: {_short(doc)}."
    )


def _check_token_pattern(pattern, name: str) -> None:
    """Refuse a ``token_pattern`` that cannot split words."""
    if pattern is None:
        raise ValueError(
            f"{name} with analyzer='word' splits words with token_pattern, which "
            "is None; give a regular expression (the default keeps words and "
            "punctuation), or choose analyzer='char' or a callable."
        )
    try:
        re.compile(pattern)
    except re.error as error:
        raise ValueError(
            f"{name}'s token_pattern {pattern!r} is not a valid regular "
            f"expression ({error})."
        ) from None


def _check_analyzed(tokens, index: int, name: str) -> None:
    """Refuse what a callable analyzer returned unless it is a list of str."""
    if isinstance(tokens, list | tuple) and all(isinstance(t, str) for t in tokens):
        return
    raise TypeError(
        f"{name}'s analyzer must return a list of str tokens; for document "
        f"{index} it returned {type(tokens).__name__}: {_short(tokens)}."
    )


def _decoded(doc, index: int, name: str) -> str:
    """A document as str: bytes are read as UTF-8, as CountVectorizer does."""
    if isinstance(doc, str):
        return doc
    try:
        return doc.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ValueError(
            f"{name} reads bytes documents as UTF-8, but document {index} is not "
            f"UTF-8 ({error.reason} at byte {error.start}: {_short(doc)}). Decode "
            "the documents with their encoding first, e.g. "
            "doc.decode('latin-1'), and pass strings."
        ) from None


def _short(value) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
