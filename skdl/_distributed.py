"""One model trained by several processes at once: the worker side of
:func:`skdl.parallel.fit_distributed`.

Each process (a *rank*, one per Dask worker) holds a contiguous range of the
rows of X and runs the estimator's ordinary ``fit`` on a :class:`Shard`. The
shard makes every rank see the fit that a single process would run on all of
X: the same targets (held whole by every rank), the same validation split,
the same seeded permutation of the rows each epoch, and so the same global
batches. Each rank computes the loss of the rows of each global batch that it
holds (:class:`ShardedBatches`); :class:`DataParallel` sums their gradients,
weighted by each rank's share of the batch, with one ``all_reduce`` per step,
so that every rank steps its optimizer with the gradient of the whole batch
and the ranks' weights stay identical. The epoch losses and the validation
outputs are summed over the ranks too, so every stopping decision is the same
on every rank.
"""

from __future__ import annotations

import numpy as np
import torch

from ._blocks import checked_targets
from ._net import Batches, to_rows

__all__ = ["DataParallel", "Shard", "ShardedBatches"]


class DataParallel:
    """The collective operations of one rank of a data-parallel fit.

    Parameters
    ----------
    group : torch.distributed.ProcessGroup
        A process group of all ranks (gloo).
    """

    def __init__(self, group):
        self.group = group

    def close(self) -> None:
        """Close this rank's connections, so that the other ranks stop now.

        A rank that fails would otherwise leave the others waiting in their
        next exchange until the timeout, and their Dask workers busy with
        them. A gloo group closes its connections when it is destroyed (its
        ``abort`` and ``shutdown`` leave them open), so this drops the group,
        of which it must hold the only reference: the others' exchanges then
        fail at once ("Connection closed by peer"), as when a process dies.
        """
        self.group = None

    def _sum(self, tensor: torch.Tensor) -> torch.Tensor:
        """``tensor`` summed over the ranks, in place."""
        self.group.allreduce([tensor]).wait()
        return tensor

    def begin(self, net) -> None:
        """Give every rank the first rank's weights and buffers.

        The ranks build the module from the same seed, so this changes
        nothing unless a rank initialised it from its own rows (an MLP's
        ``pretrain``, LVQ prototypes): all ranks then start from the first's.
        """
        for tensor in net.module_.state_dict().values():
            self.group.broadcast(tensor, 0).wait()

    def reduce_gradients(self, net, batch) -> None:
        """Replace each rank's gradient by the gradient of the whole batch.

        A rank's gradient is that of its loss averaged over its rows of the
        batch (weighted by ``sample_weight``); the sum over the ranks weighted
        by each rank's total weight, over the total, is the gradient of the
        loss averaged over the whole batch. The weights ride along in the same
        ``all_reduce``. A rank without rows in the batch adds zeros.
        """
        params = [p for _, p in net.get_all_learnable_params()]
        _, _, weight = batch
        own = float(len(batch[0])) if weight is None else float(weight.sum())
        like = params[0]
        if own:
            flat = torch.cat(
                [
                    torch.zeros_like(p).ravel() if p.grad is None else p.grad.ravel()
                    for p in params
                ]
            ).mul_(own)
        else:  # no rows here: the loss of no rows is NaN, its gradient unused
            flat = like.new_zeros(sum(p.numel() for p in params))
        flat = self._sum(torch.cat([flat, like.new_tensor([own])]))
        flat = flat[:-1].div_(flat[-1])
        grads = flat.split([p.numel() for p in params])
        for p, grad in zip(params, grads, strict=True):
            if p.grad is None:
                p.grad = grad.view_as(p).clone()
            else:
                p.grad.copy_(grad.view_as(p))

    def epoch_loss(
        self, losses: list, batches: ShardedBatches, rights=None
    ) -> tuple[float, int, float | None]:
        """The epoch loss of all ranks, the number of rows they saw, and their
        training accuracy when ``rights`` (each batch's weighted count of right
        predictions on this rank) is given.

        Each batch's loss is its ranks' losses averaged with their weights,
        and the epoch's is the batches' averaged with their sizes, as a single
        process computes it; the accuracy is all the ranks' right predictions
        over all their rows (weighted); one ``all_reduce`` per epoch.
        """
        device = losses[0].device
        own = torch.stack(
            [torch.as_tensor(w, device=device) for w in batches.step_weights]
        ).to(torch.float64)
        sizes = torch.tensor(batches.step_sizes, dtype=torch.float64, device=device)
        loss = torch.stack(losses).to(torch.float64)
        loss = torch.where(own > 0, loss * own, 0.0)  # NaN where a rank had no rows
        right = (
            torch.zeros_like(own)
            if rights is None
            else torch.stack(rights).to(device=device, dtype=torch.float64)
        )
        totals = self._sum(torch.stack([loss, own, sizes, right])).cpu()
        batch_losses = totals[0] / totals[1]
        total_size = totals[2].sum()
        score = None if rights is None else float(totals[3].sum() / totals[1].sum())
        return float(batch_losses @ totals[2] / total_size), int(total_size), score

    def gather(self, outputs: torch.Tensor, batches: ShardedBatches) -> torch.Tensor:
        """The outputs of all rows of a validation pass, in their order.

        Each rank fills its rows of a zero array and the arrays are summed, so
        every output is exactly the one its rank computed.
        """
        full = outputs.new_zeros((batches.n_samples, *outputs.shape[1:]))
        full[batches.owned.to(full.device)] = outputs
        return self._sum(full)


class Shard:
    """What one rank of a data-parallel fit passes to ``fit`` as X.

    Parameters
    ----------
    X : array-like or pandas DataFrame
        The rows this rank holds: rows ``start`` to ``start + len(X)`` of the
        whole X.
    start : int
        The position of the first of them in the whole X.
    n_rows : int
        The number of rows of the whole X (and of y).
    data_parallel : DataParallel
        This rank's collective operations.
    """

    def __init__(self, X, start: int, n_rows: int, data_parallel: DataParallel):
        self.X = X
        self.start = start
        self.n_rows = n_rows
        self.data_parallel = data_parallel

    def validated(self, estimator, y, sample_weight, *, reset: bool):
        """The rank's rows validated by the estimator, and the whole targets."""
        stop = self.start + len(self.X)
        X, _ = estimator._validate_X_y(self.X, y[self.start : stop], reset=reset)
        rows = ShardRows(X, self.start, self.n_rows, self.data_parallel)
        return rows, checked_targets(estimator, y), sample_weight


class ShardRows:
    """Validated rows of one rank; ``shape`` is that of the whole X."""

    def __init__(self, X, start: int, n_rows: int, data_parallel: DataParallel):
        self.X = X
        self.start = start
        self.shape = (n_rows, *X.shape[1:])
        self.data_parallel = data_parallel

    def batches(self, y, weight, index, device, **kwargs) -> ShardedBatches:
        """The rank's :class:`ShardedBatches` of the rows at ``index``."""
        local = index - self.start
        local = np.where((local >= 0) & (local < len(self.X)), local, -1)
        return ShardedBatches(
            to_rows(self.X, device),
            to_rows(y[index], device),
            None if weight is None else to_rows(weight[index], device),
            local_rows=torch.from_numpy(local),
            data_parallel=self.data_parallel,
            **kwargs,
        )


class ShardedBatches(Batches):
    """One rank's part of the batches that a single process would train on.

    The order of an epoch is drawn as :class:`~skdl._net.Batches` draws it
    for all the rows (every rank draws the same from the same seed); each
    global batch yields the rows of it that this rank holds, in that order.

    Parameters
    ----------
    X : torch.Tensor
        This rank's rows.
    y, sample_weight : torch.Tensor or None
        The targets and weights of all rows of the split (every rank's).
    local_rows : torch.Tensor
        For each row of the split, its row in ``X``, or -1 where another rank
        holds it.
    data_parallel : DataParallel
        The collective operations, which the net uses while it trains.
    **kwargs
        As for :class:`~skdl._net.Batches`.
    """

    def __init__(self, X, y, sample_weight, *, local_rows, data_parallel, **kwargs):
        super().__init__(X, y, sample_weight, **kwargs)
        self.local_rows = local_rows
        self.owned = torch.nonzero(local_rows >= 0).ravel()
        self.data_parallel = data_parallel
        self.step_weights: list[float] = []
        self.step_sizes: list[int] = []

    @property
    def n_samples(self) -> int:
        return len(self.local_rows)

    def __iter__(self):
        n, size = self.n_samples, self.batch_size
        X, y, weight = self.arrays
        order = self.epoch_order() if self.shuffle and n > size else torch.arange(n)
        self.step_weights, self.step_sizes = [], []
        for start in range(0, n, size):
            positions = order[start : start + size]
            local = self.local_rows[positions]
            mine = positions[local >= 0].to(X.device)
            w = None if weight is None else weight[mine]
            self.step_sizes.append(len(mine))
            self.step_weights.append(len(mine) if w is None else w.sum())
            yield (
                X[local[local >= 0].to(X.device)],
                None if y is None else y[mine],
                w,
            )
