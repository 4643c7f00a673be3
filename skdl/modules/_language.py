"""The recurrent language model behind LSTMLanguageModel, and its loss.

Token ids follow one convention: 0 is padding, ``1 .. V`` are the ``V``
predicted vocabulary columns shifted by one (column ``c`` is id ``c + 1``), and
``V + 1`` is the start marker ``<s>``, which is read but never predicted. A
batch is a right-padded ``(batch, steps)`` id matrix holding whole texts, from
``<s>`` to the end marker; the output at each step scores the next token.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

from ._rnn import RecurrentEncoder

__all__ = ["NextTokenLoss", "RecurrentLanguageModule", "token_log_likelihoods"]


class RecurrentLanguageModule(nn.Module):
    """Embedding -> recurrent layers -> a score for every vocabulary token.

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

    Examples
    --------
    >>> import torch
    >>> module = RecurrentLanguageModule(10, 8, 16, tie_weights=True)
    >>> ids = torch.tensor([[11, 4, 2, 0], [11, 7, 9, 2]])  # <s> ... </s>
    >>> module(ids).shape
    torch.Size([2, 4, 10])
    """

    def __init__(
        self,
        vocabulary_size: int,
        embedding_dim: int,
        hidden_size: int,
        *,
        num_layers: int = 1,
        cell: str = "lstm",
        dropout: float = 0.0,
        tie_weights: bool = False,
        pack: bool | None = None,
    ):
        super().__init__()
        self.vocabulary_size = vocabulary_size
        self.embedding = nn.Embedding(vocabulary_size + 2, embedding_dim, padding_idx=0)
        with torch.no_grad():
            self.embedding.weight.mul_(0.1)
        self.embedding_dropout = nn.Dropout(dropout) if dropout > 0 else nn.Identity()
        self.encoder = RecurrentEncoder(
            embedding_dim, hidden_size, num_layers, cell, False, dropout
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
        x = self.embedding_dropout(self.embedding(ids))
        pack = x.is_cuda if self.pack is None else self.pack
        hidden = self.encoder(x, lengths, pack=pack)
        if not self.tie_weights:
            return self.output(hidden)
        weight = self.embedding.weight[1 : self.vocabulary_size + 1]
        return F.linear(self.projection(hidden), weight, self.output_bias)


def _targets(ids: torch.Tensor) -> torch.Tensor:
    """The column each step predicts (-1 past a text's end)."""
    return ids[:, 1:] - 1


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

    Examples
    --------
    >>> import torch
    >>> log_proba = torch.log(torch.full((1, 3, 2), 0.5))
    >>> token_log_likelihoods(log_proba, torch.tensor([[3, 1, 2]]))
    tensor([-1.3863])
    """
    targets = _targets(ids)
    real = targets >= 0
    picked = log_proba[:, :-1].gather(2, targets.clamp(min=0).unsqueeze(2))
    return picked.squeeze(2).masked_fill(~real, 0.0).sum(dim=1)


class NextTokenLoss(nn.CrossEntropyLoss):
    """Cross-entropy of each token given the ones before it, per token.

    Called as ``loss(logits, ids)`` with the module's ``(batch, steps, V)``
    scores and the ``(batch, steps)`` ids it read: the scores at step ``t`` are
    compared with the token at step ``t + 1``; padding is ignored. The mean is
    over the real tokens of the batch.

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
        scores = logits[:, :-1].reshape(-1, logits.shape[2])
        return super().forward(scores, _targets(ids).reshape(-1))
