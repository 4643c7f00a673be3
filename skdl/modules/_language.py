"""The recurrent language model behind LSTMLanguageModel, and its loss.

Token ids follow one convention: 0 is padding, ``1 .. V`` are the ``V``
predicted vocabulary columns shifted by one (column ``c`` is id ``c + 1``), and
``V + 1`` is the start marker ``<s>``, which is read but never predicted. A
batch is a right-padded ``(batch, steps)`` id matrix holding whole texts, from
``<s>`` to the end marker; the output at each step scores the next token.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import torch
from torch import nn
from torch.nn import functional as F

from ._checks import check_class_indices
from ._rnn import ConvSteps, RecurrentEncoder

__all__ = [
    "FixedWindowEncoder",
    "NextTokenLoss",
    "RecurrentLanguageModule",
    "token_log_likelihoods",
]


class FixedWindowEncoder(nn.Module):
    """The hidden layers of Bengio et al.'s (2003) neural language model.

    The state at step ``t`` reads the input vectors of the ``context_length``
    steps up to ``t``, concatenated (oldest first), through ``num_layers``
    ``tanh`` layers. The input holds ``context_length - 1`` steps before the
    first one whose state is wanted (a language model pads the ids on the left
    with the start marker), so its output is that much shorter.

    Parameters
    ----------
    input_size : int
        Features per step.
    context_length : int
        Steps each state reads.
    hidden_size : int
        Width of each hidden layer.
    num_layers : int, default=1
        Number of hidden layers.
    dropout : float, default=0.0
        Dropout on the output of every layer (training only).

    Examples
    --------
    >>> import torch
    >>> encoder = FixedWindowEncoder(3, context_length=4, hidden_size=8)
    >>> encoder(torch.zeros(2, 3 + 10, 3)).shape
    torch.Size([2, 10, 8])
    """

    def __init__(
        self,
        input_size: int,
        context_length: int,
        hidden_size: int,
        num_layers: int = 1,
        dropout: float = 0.0,
    ):
        super().__init__()
        self.context_length = context_length
        sizes = [input_size * context_length] + [hidden_size] * (num_layers - 1)
        self.layers = nn.ModuleList(nn.Linear(size, hidden_size) for size in sizes)
        self.dropout = nn.Dropout(dropout) if dropout > 0 else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """States ``(batch, steps - context_length + 1, hidden_size)``."""
        # (batch, steps', features, window) -> the window's vectors, oldest first
        windows = x.unfold(1, self.context_length, 1).transpose(2, 3)
        hidden = windows.flatten(2)
        for layer in self.layers:
            hidden = self.dropout(torch.tanh(layer(hidden)))
        return hidden


class RecurrentLanguageModule(nn.Module):
    """Embedding -> (causal conv layers) -> recurrent layers, or a fixed window
    of the previous tokens -> a score for every vocabulary token.

    Parameters
    ----------
    vocabulary_size : int
        Number ``V`` of predicted tokens; the embedding has ``V + 2`` rows
        (padding and ``<s>`` added).
    embedding_dim : int
        Width of the token embeddings (initial vectors from N(0, 0.1**2)).
    hidden_size : int
        Hidden units of each recurrent layer.
    num_layers : int, default=1
        Stacked recurrent layers.
    cell : {'lstm', 'gru', 'rnn'}, default='lstm'
        Recurrent unit.
    dropout : float, default=0.0
        Dropout on the embeddings and on each layer's output (training only).
    tie_weights : bool, default=False
        Score the tokens with their own embeddings (Press and Wolf, 2017): the
        output layer's weights are the embedding rows of the ``V`` tokens, after
        a linear projection of the hidden state to ``embedding_dim`` when the
        widths differ. Fewer parameters, and often a lower perplexity.
    pack : bool or None, default=None
        Run the recurrent layers on packed sequences; None packs on CUDA only.
    conv_filters : sequence of int, default=()
        Causal Conv1D layers between the embedding and the recurrent layers
        (or the window): see :class:`ConvSteps` with ``causal=True``.
    kernel_size : int or sequence of int, default=3
        Kernel length of the conv layers.
    context_length : int or None, default=None
        With ``cell=None``: no recurrent layers; the state at each step is a
        :class:`FixedWindowEncoder` of the ``context_length`` tokens up to it
        (the ids are padded on the left with ``<s>``), Bengio et al.'s model.

    Examples
    --------
    >>> import torch
    >>> module = RecurrentLanguageModule(10, 8, 16, tie_weights=True)
    >>> ids = torch.tensor([[11, 4, 2, 0], [11, 7, 9, 2]])  # <s> ... </s>
    >>> module(ids).shape
    torch.Size([2, 4, 10])
    >>> window = RecurrentLanguageModule(10, 8, 16, cell=None, context_length=3)
    >>> window(ids).shape
    torch.Size([2, 4, 10])
    """

    def __init__(
        self,
        vocabulary_size: int,
        embedding_dim: int,
        hidden_size: int,
        *,
        num_layers: int = 1,
        cell: str | None = "lstm",
        dropout: float = 0.0,
        tie_weights: bool = False,
        pack: bool | None = None,
        conv_filters=(),
        kernel_size=3,
        context_length: int | None = None,
    ):
        super().__init__()
        self.vocabulary_size = vocabulary_size
        self.embedding = nn.Embedding(vocabulary_size + 2, embedding_dim, padding_idx=0)
        with torch.no_grad():
            self.embedding.weight.mul_(0.1)
        self.embedding_dropout = nn.Dropout(dropout) if dropout > 0 else nn.Identity()
        self.conv = (
            ConvSteps(embedding_dim, list(conv_filters), kernel_size, causal=True)
            if len(conv_filters)
            else None
        )
        width = embedding_dim if self.conv is None else self.conv.output_size
        if cell is None:
            if context_length is None:
                raise ValueError(
                    "cell=None reads a fixed window of the previous tokens: give "
                    "its length, context_length."
                )
            self.encoder = FixedWindowEncoder(
                width, context_length, hidden_size, num_layers, dropout
            )
        else:
            self.encoder = RecurrentEncoder(
                width, hidden_size, num_layers, cell, False, dropout
            )
        self.tie_weights = tie_weights
        self.pack = pack
        if tie_weights:
            self.projection = (
                nn.Linear(hidden_size, embedding_dim, bias=False)
                if hidden_size != embedding_dim
                else nn.Identity()
            )
            self.output_bias = nn.Parameter(torch.zeros(vocabulary_size))
        else:
            self.output = nn.Linear(hidden_size, vocabulary_size)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        """Scores (logits) ``(batch, steps, V)`` of the token after each step."""
        lengths = (ids != 0).sum(dim=1).clamp(min=1)
        window = isinstance(self.encoder, FixedWindowEncoder)
        if window:  # the first steps' windows reach back into <s> markers
            before = self.encoder.context_length - 1
            ids = F.pad(ids, (before, 0), value=self.vocabulary_size + 1)
            lengths = lengths + before
        x = self.embedding_dropout(self.embedding(ids))
        if self.conv is not None:
            x, _ = self.conv(x, lengths)
        if window:
            hidden = self.encoder(x)
        else:
            pack = x.is_cuda if self.pack is None else self.pack
            hidden = self.encoder(x, lengths, pack=pack)
        if not self.tie_weights:
            return self.output(hidden)
        weight = self.embedding.weight[1 : self.vocabulary_size + 1]
        return F.linear(self.projection(hidden), weight, self.output_bias)


def _targets(ids: torch.Tensor) -> torch.Tensor:
    """The column each step predicts (-1 past a text's end)."""
    return ids[:, 1:] - 1


def _checked_ids(scores: torch.Tensor, ids: torch.Tensor, owner: str, name: str):
    """``ids`` as int64, once checked against the ``(batch, steps, V)`` scores."""
    return check_class_indices(
        scores,
        ids,
        owner,
        names=(name, "ids"),
        axes=("batch", "steps"),
        classes="V",
        meanings=("the next token's scores at each step", "the token ids read"),
    )


@contextlib.contextmanager
def _ids_in_vocabulary(n_tokens: int, owner: str) -> Iterator[None]:
    """Say which ids are wrong when an id beyond the vocabulary is indexed.

    torch names the shifted column ("Target 5 is out of bounds"), not the id;
    only the CPU raises here (a GPU asserts on the device).
    """
    try:
        yield
    except (IndexError, RuntimeError) as error:
        if "out of bounds" not in str(error):
            raise
        raise ValueError(
            f"{owner}: ids hold a token beyond the vocabulary of V={n_tokens}: "
            f"the ids of predicted tokens run from 1 to {n_tokens}, 0 pads, and "
            f"{n_tokens + 1} (the start marker) is never predicted."
        ) from error


def token_log_likelihoods(log_proba: torch.Tensor, ids: torch.Tensor) -> torch.Tensor:
    """Log-likelihood of each text of a batch: its tokens' log-probabilities summed.

    Parameters
    ----------
    log_proba : Tensor of shape (batch, steps, V)
        Log-probabilities of the next token at each step.
    ids : Tensor of shape (batch, steps)
        The texts read, right-padded with 0.

    Returns
    -------
    Tensor of shape (batch,)

    Raises
    ------
    ValueError
        For ids that do not match ``log_proba``'s ``(batch, steps)`` or are not
        integers, or (on the CPU) an id beyond the vocabulary.

    Examples
    --------
    >>> import torch
    >>> log_proba = torch.log(torch.full((1, 3, 2), 0.5))
    >>> token_log_likelihoods(log_proba, torch.tensor([[3, 1, 2]]))
    tensor([-1.3863])
    """
    ids = _checked_ids(log_proba, ids, "token_log_likelihoods", "log_proba")
    targets = _targets(ids)
    real = targets >= 0
    with _ids_in_vocabulary(log_proba.shape[2], "token_log_likelihoods"):
        picked = log_proba[:, :-1].gather(2, targets.clamp(min=0).unsqueeze(2))
    return picked.squeeze(2).masked_fill(~real, 0.0).sum(dim=1)


class NextTokenLoss(nn.CrossEntropyLoss):
    """Cross-entropy of each token given the ones before it, per token.

    Called as ``loss(logits, ids)`` with the module's ``(batch, steps, V)``
    scores and the ``(batch, steps)`` integer ids it read: the scores at step
    ``t`` are compared with the token at step ``t + 1``; padding is ignored. The
    mean is over the real tokens of the batch. Other shapes or dtypes are a
    ``ValueError``, as is (on the CPU) an id beyond the vocabulary.

    Examples
    --------
    >>> import torch
    >>> logits = torch.zeros(1, 3, 4)  # uniform over 4 tokens
    >>> NextTokenLoss()(logits, torch.tensor([[5, 2, 1]]))
    tensor(1.3863)
    """

    def __init__(self, reduction: str = "mean"):
        super().__init__(ignore_index=-1, reduction=reduction)

    def forward(self, logits: torch.Tensor, ids: torch.Tensor) -> torch.Tensor:
        ids = _checked_ids(logits, ids, type(self).__name__, "logits")
        scores = logits[:, :-1].reshape(-1, logits.shape[2])
        with _ids_in_vocabulary(logits.shape[2], type(self).__name__):
            return super().forward(scores, _targets(ids).reshape(-1))
