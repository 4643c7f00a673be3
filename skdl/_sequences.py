"""Variable-length token sequences: storage, padded batches, length buckets.

Text estimators keep every document's token ids in one flat tensor (made once per
fit, like the tensors of :class:`~skdl._net.Batches`) and build each batch as a
right-padded ``(batch, longest)`` id matrix, padding with id 0. Training batches
group sequences of similar length (:class:`BucketedBatches`), so little compute
goes into padding; on a CPU that is faster than packed sequences.
"""

from __future__ import annotations

import numpy as np
import torch

from ._net import Batches, to_rows

__all__ = [
    "BucketedBatches",
    "TokenBatchingMixin",
    "TokenRows",
    "inference_chunks",
]


class TokenRows:
    """Id sequences of different lengths, indexable by row like a tensor.

    ``rows[index]`` (a slice or a CPU index tensor) returns the selected sequences
    as a right-padded ``int64`` tensor of shape ``(len(index), longest)`` on
    ``device``, with ``longest`` at least 1. Ids must be >= 1: 0 is padding.

    Parameters
    ----------
    flat : Tensor of shape (n_ids,)
        All ids, sequence after sequence.
    starts, lengths : Tensor of shape (n_sequences,)
        Where each sequence starts in ``flat``, and its length (CPU tensors).

    Examples
    --------
    >>> rows = TokenRows.from_sequences([[4, 5, 6], [7], []])
    >>> rows.shape
    (3, 3)
    >>> rows[0:2]
    tensor([[4, 5, 6],
            [7, 0, 0]])
    """

    def __init__(self, flat: torch.Tensor, starts: torch.Tensor, lengths):
        self.flat = flat
        self.starts = starts
        self.lengths = lengths

    @classmethod
    def from_sequences(cls, sequences, device="cpu") -> TokenRows:
        """Store a list of id sequences (lists or 1-D int arrays)."""
        lengths = np.fromiter((len(s) for s in sequences), np.int64, len(sequences))
        starts = np.zeros(len(sequences), np.int64)
        np.cumsum(lengths[:-1], out=starts[1:])
        # a trailing 0 keeps the gather in __getitem__ valid when all are empty
        flat = np.concatenate([np.asarray(s, np.int64) for s in sequences] + [[0]])
        return cls(
            torch.from_numpy(flat).to(device),
            torch.from_numpy(starts),
            torch.from_numpy(lengths),
        )

    @property
    def shape(self) -> tuple[int, int]:
        """``(n_sequences, longest)``: the shape of the fully padded matrix."""
        longest = int(self.lengths.max()) if len(self.lengths) else 0
        return (len(self.lengths), longest)

    def __len__(self) -> int:
        return len(self.lengths)

    def take(self, index) -> TokenRows:
        """The sequences at ``index`` (sharing the flat ids)."""
        index = torch.as_tensor(index)
        return TokenRows(self.flat, self.starts[index], self.lengths[index])

    def to(self, device) -> TokenRows:
        """The same sequences with their ids on ``device``."""
        return TokenRows(self.flat.to(device), self.starts, self.lengths)

    def __getitem__(self, index) -> torch.Tensor:
        if isinstance(index, torch.Tensor):
            index = index.cpu()
        lengths = self.lengths[index]
        width = max(int(lengths.max()), 1) if len(lengths) else 1
        steps = torch.arange(width)
        valid = steps < lengths.unsqueeze(1)
        where = (self.starts[index].unsqueeze(1) + steps).clamp_(max=len(self.flat) - 1)
        device = self.flat.device
        ids = self.flat[where.to(device)]
        return ids.masked_fill_(~valid.to(device), 0)


class BucketedBatches(Batches):
    """Shuffled batches of sequences of similar length.

    Each epoch draws a permutation, sorts it by length within pools of
    ``pool_batches`` batches (ties keep their random order), cuts the pools into
    batches and shuffles the order of the full batches; the one smaller batch, if
    any, comes last. Without ``shuffle`` the rows are taken in order, so pass them
    sorted by length.

    Parameters
    ----------
    X : TokenRows
        The sequences.
    y, sample_weight : Tensor or None
        Targets and weights, one row per sequence.
    lengths : Tensor of shape (n_samples,)
        Length of each sequence (CPU).
    batch_size : int
        Sequences per batch.
    shuffle : bool, default=False
        Draw new buckets and a new batch order each epoch.
    generator : torch.Generator or None
        CPU generator for the permutations.
    pool_batches : int, default=50
        Batches per pool: larger pools pad less but vary less between epochs.

    Examples
    --------
    >>> import torch
    >>> rows = TokenRows.from_sequences([[2] * n for n in (1, 5, 2, 6)])
    >>> batches = BucketedBatches(
    ...     rows, lengths=rows.lengths, batch_size=2, shuffle=True,
    ...     generator=torch.Generator().manual_seed(0),
    ... )
    >>> sorted(batch[0].shape[1] for batch in batches)
    [2, 6]
    """

    def __init__(
        self,
        X,
        y=None,
        sample_weight=None,
        *,
        lengths,
        batch_size,
        shuffle=False,
        generator=None,
        pool_batches=50,
    ):
        super().__init__(
            X,
            y,
            sample_weight,
            batch_size=batch_size,
            shuffle=shuffle,
            generator=generator,
        )
        self.lengths = lengths
        self.pool_batches = pool_batches

    def epoch_order(self) -> torch.Tensor:
        n, size = self.n_samples, self.batch_size
        order = torch.randperm(n, generator=self.generator)
        pool = torch.arange(n) // (size * self.pool_batches)
        key = pool * (int(self.lengths.max()) + 1) + self.lengths[order]
        order = order[torch.argsort(key, stable=True)]
        n_full = n // size
        full = order[: n_full * size].reshape(n_full, size)
        full = full[torch.randperm(n_full, generator=self.generator)]
        return torch.cat([full.reshape(-1), order[n_full * size :]])


def inference_chunks(lengths: torch.Tensor, max_tokens: int, max_rows: int):
    """Split sequences sorted by length into chunks of bounded padded size.

    Parameters
    ----------
    lengths : Tensor of shape (n,)
        Lengths in ascending order.
    max_tokens : int
        Largest ``rows * longest`` of a chunk (a chunk holds at least one row).
    max_rows : int
        Largest number of rows of a chunk.

    Returns
    -------
    list of (start, stop)

    Examples
    --------
    >>> import torch
    >>> inference_chunks(torch.tensor([1, 1, 2, 8]), max_tokens=8, max_rows=3)
    [(0, 3), (3, 4)]
    """
    chunks, start, n = [], 0, len(lengths)
    longest = lengths.clamp(min=1).tolist()
    while start < n:
        stop = min(start + max_rows, n)
        while stop - start > 1 and (stop - start) * longest[stop - 1] > max_tokens:
            stop = start + max(1, max_tokens // longest[stop - 1])
        chunks.append((start, stop))
        start = stop
    return chunks


class TokenBatchingMixin:
    """Batching of :class:`TokenRows` inputs for a BaseTorchEstimator.

    Training batches come from :class:`BucketedBatches`; validation and
    inference batches hold sequences in length order (so they pad little) and
    at most ``_inference_tokens`` padded ids. ``y`` may be a tensor-like of one
    row per sequence or :class:`TokenRows` itself.
    """

    # padded ids per inference batch: rows * longest sequence
    _inference_tokens = 65536

    def _batches(
        self, X, y, weight, index, device, *, shuffle, batch_size=1, generator=None
    ):
        rows = X.take(index)
        if not shuffle:  # in length order, so that batches pad little
            order = torch.argsort(rows.lengths, stable=True)
            index, rows = index[order.numpy()], rows.take(order)
        return BucketedBatches(
            rows.to(device),
            y.take(index).to(device)
            if isinstance(y, TokenRows)
            else to_rows(y[index], device),
            None if weight is None else to_rows(weight[index], device),
            lengths=rows.lengths,
            batch_size=batch_size,
            shuffle=shuffle,
            generator=generator,
        )

    def _inference_batches(self, X, device):
        order = torch.argsort(X.lengths, stable=True)
        rows = X.to(device).take(order)
        chunks = inference_chunks(
            rows.lengths, self._inference_tokens, self._inference_batch_size
        )
        return (rows[start:stop] for start, stop in chunks), order
