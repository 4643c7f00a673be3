"""Data larger than memory, and training past one machine.

- :class:`RowBlocks`: X as blocks of rows (NumPy arrays, ``.npy`` or Parquet
  files, a Dask collection), which ``fit`` reads one block at a time. ``fit``
  takes Dask arrays and DataFrames directly, the same way.
- :func:`predict_blocks`: a fitted estimator applied to every block of a Dask
  array or DataFrame, lazily, so prediction runs in parallel on a Dask cluster
  (or on the local threads or processes) and never holds more than a few
  blocks in memory. It plays the part of
  ``dask_ml.wrappers.ParallelPostFit.predict`` without depending on dask-ml;
  the estimators' ``predict``, ``predict_proba`` and ``transform`` call it
  when given a Dask collection.
- :func:`fit_distributed`: one model trained by processes on several Dask
  workers at once, each on its own blocks of X, with :mod:`torch.distributed`
  (data-parallel training).
"""

from __future__ import annotations

import copy
import functools
import math
import os
import time
import uuid
import warnings
from numbers import Integral
from typing import Any

import numpy as np
from sklearn.utils.validation import check_is_fitted

from ._blocks import RowBlocks, computed, is_dask_collection, unknown_chunks
from ._warnings import external_stacklevel
from .utils import seed_from_random_state
from .utils._validation import check_count

__all__ = ["RowBlocks", "fit_distributed", "predict_blocks"]


def predict_blocks(estimator: Any, X: Any, method: str = "predict") -> Any:
    """Apply a fitted estimator's ``method`` to each block of rows of a Dask array.

    Parameters
    ----------
    estimator : fitted estimator
        Any fitted scikit-learn compatible estimator (a skdl estimator or a
        Pipeline ending in one).
    X : dask.array.Array or dask.dataframe.DataFrame
        Samples along the first axis, in any layout the estimator accepts
        (rows of features, images, or a 1-D array of strings for text models).
        Blocks are rechunked to hold whole samples; the row chunks are kept.
        A DataFrame's partitions reach the estimator as pandas DataFrames, with
        their column names.
    method : {'predict', 'predict_proba', 'predict_log_proba', \
'decision_function', 'transform', 'inverse_transform'}, default='predict'
        The method to apply.

    Returns
    -------
    dask.array.Array
        The lazy outputs, chunked along the rows like ``X`` (one chunk per
        partition of a DataFrame, of unknown length until computed). Call
        ``.compute()`` for a NumPy array, or ``.to_zarr(...)``/``.store(...)``
        to write results larger than memory. The call itself reads no data:
        the output's dtype and row shape (its ``meta``) come from one row of
        zeros (of one row of X where the estimator refuses zeros).

    Examples
    --------
    >>> import dask.array as da
    >>> from sklearn.datasets import load_iris
    >>> from skdl import MLPClassifier
    >>> from skdl.parallel import predict_blocks
    >>> X, y = load_iris(return_X_y=True)
    >>> model = MLPClassifier(max_iter=20, random_state=0).fit(X, y)
    >>> proba = predict_blocks(model, da.from_array(X, chunks=50), "predict_proba")
    >>> proba.chunks
    ((50, 50, 50), (3,))
    >>> bool((proba.compute() == model.predict_proba(X)).all())
    True
    """
    import dask.array as da
    import dask.dataframe as dd

    allowed = (
        "predict",
        "predict_proba",
        "predict_log_proba",
        "decision_function",
        "transform",
        "inverse_transform",
    )
    if method not in allowed:
        raise ValueError(f"method must be one of {allowed}; got {method!r}.")
    if isinstance(X, RowBlocks):
        raise TypeError(
            "predict_blocks takes a dask.array.Array or a Dask DataFrame; got a "
            "RowBlocks, which only fit reads. Make a Dask array of the blocks "
            "(dask.array.concatenate, dask.array.from_array), or apply "
            f"estimator.{method} to one block at a time (blocks.read(i))."
        )
    if not isinstance(X, da.Array | dd.DataFrame | dd.Series):
        raise TypeError(
            "predict_blocks takes a dask.array.Array or a Dask DataFrame; got "
            f"{type(X).__name__}. Wrap in-memory data with dask.array.from_array, "
            f"or call estimator.{method} directly."
        )
    if not hasattr(estimator, method):
        raise AttributeError(f"{type(estimator).__name__} has no method {method!r}.")
    check_is_fitted(estimator)
    function = getattr(estimator, method)
    if not isinstance(X, da.Array):
        probe = _probe(function, X)
        return X.map_partitions(
            functools.partial(_on_rows, function, probe[:0]), meta=probe[:0]
        )
    if unknown_chunks(X) and any(
        math.isnan(size) for sizes in X.chunks[1:] for size in sizes
    ):
        raise ValueError(
            f"X's column chunk sizes are unknown ({X.chunks[1:]}), so its blocks "
            "cannot be joined into whole rows without computing X. Call "
            "X = X.compute_chunk_sizes() first (one pass over X), or index the "
            "columns with a NumPy mask instead of a Dask one."
        )
    X = X.rechunk({axis: -1 for axis in range(1, X.ndim)})
    # one sample tells the output's dtype and the shape of one row of output
    probe = _probe(function, X)
    out_axes = range(1, probe.ndim)
    return da.map_blocks(
        functools.partial(_on_rows, function, probe[:0]),
        X,
        dtype=probe.dtype,
        chunks=(X.chunks[0], *((size,) for size in probe.shape[1:])),
        drop_axis=list(range(probe.ndim, X.ndim)),
        new_axis=list(out_axes[X.ndim - 1 :]) or None,
        meta=probe[:0],
    )


def _on_rows(function, empty, X):
    """``function(X)``, or ``empty`` (the output's meta) where X has no rows.

    A block that a filter emptied is legal in Dask; the estimators refuse zero
    samples, as scikit-learn's do.
    """
    if len(X) == 0:
        return empty
    return function(X)


def _probe(function, X):
    """``function`` on one row, to learn the output's meta: a row of zeros.

    Zeros of X's dtypes compute nothing. Where X is not numeric (text) or the
    estimator refuses zeros (a range check), X's first row is used, which
    computes X's first block.
    """
    meta = X._meta
    if hasattr(meta, "columns"):
        numeric = all(dtype.kind in "biuf" for dtype in meta.dtypes)
    else:
        numeric = meta.dtype.kind in "biuf"
    if numeric:
        if hasattr(meta, "columns"):
            row = meta.reindex(range(1)).fillna(0).astype(meta.dtypes)
        elif hasattr(meta, "index"):  # a Series
            row = meta.reindex(range(1)).fillna(0).astype(meta.dtype)
        else:
            row = np.zeros((1, *X.shape[1:]), dtype=X.dtype)
        try:
            return function(row)
        except ValueError:
            pass
    return function(X[:1].compute() if hasattr(X, "blocks") else X.head(1))


def fit_distributed(
    estimator: Any,
    X: Any,
    y: Any,
    sample_weight: Any = None,
    *,
    client: Any = None,
    n_workers: int | None = None,
    timeout: float = 300.0,
) -> Any:
    """Train one model on several Dask workers at once (data-parallel training).

    Each of ``n_workers`` Dask workers computes a contiguous range of the
    blocks of X and runs one process of a :mod:`torch.distributed` group
    (gloo, on the workers' CPUs). Every process runs the estimator's own
    ``fit``: all of them draw the same batches as a single process would, each
    computes the gradient of the rows of each batch that it holds, and one
    ``all_reduce`` per step sums them, so that all processes take the same
    optimizer step. Dask places the processes and
    passes the rendezvous address; nothing else runs on the scheduler.

    The result equals ``estimator.fit`` on the same data in one process (same
    ``random_state``) up to the order of float additions (a batch's gradient is
    summed in per-worker parts): the batches, the validation split, every
    epoch's loss and stopping decision are the same, and the weights agree to
    float rounding (which Adam can amplify over many epochs). Not equal: a
    module with dropout (each process draws its own masks), batch norm (each
    process normalises its own rows and the first process's running
    statistics are kept), random augmentation, and initialisations from the
    data (an MLP's ``pretrain`` and LVQ prototypes start from the first
    process's rows).

    Parameters
    ----------
    estimator : skdl estimator
        A supervised estimator trained by skdl's loop (the MLPs,
        ``CNNClassifier``, ``LSTMClassifier``, ``LSTMRegressor``,
        ``LVQClassifier``) with a stochastic solver. It is fitted in place, as
        ``fit`` does, with ``warm_start`` as set. Estimators that cannot train
        on X read block by block (a text model's vocabulary, the autoencoder,
        the Boltzmann machine, the GAN) are refused with the reason.
    X : dask.array.Array, dask.dataframe.DataFrame or RowBlocks
        The samples. Each worker computes its blocks (or reads its files) and
        holds them in memory during the fit: the cluster's memory, not one
        machine's, must hold X.
    y : array-like or Dask collection of shape (n_samples,) or (n_samples, n_outputs)
        The targets, computed whole and sent to every worker.
    sample_weight : array-like or Dask collection of shape (n_samples,), default=None
        Weight of each sample in the loss.
    client : distributed.Client, default=None
        The cluster's client; by default the current one. A ValueError says
        so when there is none, or the client is closed.
    n_workers : int, default=None
        The number of workers (processes) to train on, at most one per Dask
        worker; by default every worker. Each needs at least one block of X.
    timeout : float, default=300.0
        Seconds to wait for the processes to meet, and for any one exchange
        between them.

    Returns
    -------
    estimator
        The fitted estimator: an ordinary one, which pickles and
        :func:`skdl.io.save` stores. Warnings of the fit (a
        ``ConvergenceWarning``) are raised again here.

    Raises
    ------
    RuntimeError
        When a worker leaves the cluster (killed, out of memory) or an exchange
        fails during the fit; errors of the fit itself (invalid X, a callback
        that raises) are raised as they are, from the process that failed,
        which stops the others at once. The estimator is then left as it was.

    Examples
    --------
    >>> import dask.array as da
    >>> from distributed import Client, LocalCluster
    >>> from sklearn.datasets import load_digits
    >>> from skdl import MLPClassifier
    >>> from skdl.parallel import fit_distributed
    >>> X, y = load_digits(return_X_y=True)
    >>> X_blocks = da.from_array(X / 16, chunks=(450, 64))
    >>> model = MLPClassifier(max_iter=30, random_state=0)
    >>> # two worker processes on this machine; a cluster has one per machine
    >>> cluster = LocalCluster(
    ...     n_workers=2, threads_per_worker=1, dashboard_address=":0"
    ... )
    >>> with cluster, Client(cluster) as client:
    ...     _ = fit_distributed(model, X_blocks, y, client=client)
    >>> bool(model.score(X / 16, y) > 0.95)
    True
    """
    import distributed

    from .base import BaseTorchEstimator

    if not isinstance(estimator, BaseTorchEstimator):
        raise TypeError(
            "fit_distributed trains estimators of skdl's training loop (MLPs, "
            f"CNNClassifier, LSTMs, LVQClassifier); got {type(estimator).__name__}."
        )
    name = type(estimator).__name__
    if estimator._block_input_refused:
        raise TypeError(
            f"{name} {estimator._block_input_refused}, so fit_distributed cannot "
            "train it on parts of X held by different workers. Fit it in one "
            "process, on X in memory."
        )
    if getattr(estimator, "solver", None) == "lbfgs":
        raise ValueError(
            "fit_distributed takes a stochastic solver: L-BFGS's line search "
            "evaluates the loss of all rows at each step. Use solver='adam' or "
            "'sgd'."
        )
    if estimator.device not in ("cpu", "auto"):
        raise ValueError(
            f"fit_distributed trains on the workers' CPUs (gloo), but "
            f"device={estimator.device!r}. Training across GPU workers (NCCL) is "
            "not implemented yet: set device='cpu', or fit on one GPU."
        )
    if getattr(estimator, "precision", None) == "float16":
        raise ValueError(
            "fit_distributed does not train with precision='float16', whose "
            "loss scaling skips steps per process; use precision='bfloat16'."
        )
    if not isinstance(X, RowBlocks) and not is_dask_collection(X):
        raise TypeError(
            "fit_distributed takes X as a Dask array or DataFrame, or a "
            "skdl.parallel.RowBlocks, whose blocks the workers compute or read; "
            f"got {type(X).__name__}. Wrap X in memory with "
            "dask.array.from_array(X, chunks=...), or call fit."
        )
    if n_workers is not None:
        n_workers = check_count(n_workers, "n_workers", 1)
    client = _client(distributed, client)
    workers = sorted(_present_workers(client))
    n_workers = len(workers) if n_workers is None else n_workers
    if not 1 <= n_workers <= len(workers):
        raise ValueError(
            f"n_workers={n_workers}, but the cluster has {len(workers)} workers; "
            "train on at most one process per worker."
        )
    workers = workers[:n_workers]
    _check_own_processes(client, workers)
    blocks = RowBlocks(X)
    if len(blocks) < n_workers:
        raise ValueError(
            f"X has {len(blocks)} blocks of rows for {n_workers} workers, which "
            "need one each at least. Split X into more blocks (rechunk, "
            "repartition) or use fewer workers."
        )
    y = np.asarray(computed(y))
    if len(y) != blocks.n_rows:
        raise ValueError(
            f"X has {blocks.n_rows} rows but y has {len(y)}; give one target per row."
        )
    sample_weight = computed(sample_weight)
    sent = copy.copy(estimator)
    sent.device = "cpu"  # 'auto' would pick a worker's GPU
    if getattr(estimator, "precision", None) == "auto":  # one float type, all ranks
        dtype = sent._resolved_float_dtype(blocks, blocks, sent._fits_fresh())
        sent.precision = "float32" if dtype is np.float32 else "float64"
    if not isinstance(estimator.random_state, Integral):  # one seed for all ranks
        sent.random_state = seed_from_random_state(estimator.random_state) % 2**32
    cuts = _balanced_cuts(blocks.lengths, n_workers)
    rendezvous = distributed.Variable(f"skdl-fit-distributed-{uuid.uuid4()}", client)
    data, ranks = [], []
    for rank, worker in enumerate(workers):
        items = [
            client.compute(item, workers=[worker]) if is_dask_collection(item) else item
            for item in blocks._items[cuts[rank] : cuts[rank + 1]]
        ]
        data += [item for item in items if isinstance(item, distributed.Future)]
        ranks.append(
            client.submit(
                _fit_rank,
                sent,
                items,
                sum(blocks.lengths[: cuts[rank]]),
                y,
                sample_weight,
                rank=rank,
                world_size=n_workers,
                rendezvous=rendezvous.name,
                timeout=timeout,
                workers=[worker],
                allow_other_workers=False,
                pure=False,
                retries=0,
            )
        )
    try:
        _wait_for_ranks(client, ranks, workers, name)
        fitted, caught = ranks[0].result()
    finally:
        client.cancel(ranks + data)
        rendezvous.delete()
    fitted.random_state, fitted.device = estimator.random_state, estimator.device
    if hasattr(estimator, "precision"):
        fitted.precision = estimator.precision
    estimator.__dict__.clear()
    estimator.__dict__.update(fitted.__dict__)
    for category, message in caught:
        warnings.warn(message, category, stacklevel=external_stacklevel())
    return estimator


def _client(distributed, client):
    """``client``, or the current one; a clear error where there is none to use."""
    if client is None:
        try:
            client = distributed.get_client()
        except ValueError:
            raise ValueError(
                "fit_distributed needs a Dask cluster: pass client=Client(...) "
                "(a LocalCluster or the address of a scheduler), or create a "
                "Client first, which becomes the default."
            ) from None
    if client.status in ("closing", "closed"):
        raise ValueError(
            f"fit_distributed got a client that is {client.status}: pass an open "
            "client=Client(...) (close it after the fit, for example with "
            "`with Client(...) as client:`)."
        )
    return client


def _balanced_cuts(lengths: tuple[int, ...], n_parts: int) -> list[int]:
    """Block boundaries of ``n_parts`` contiguous ranges of about equal rows."""
    starts = np.cumsum((0, *lengths[:-1]))
    total = sum(lengths)
    cuts = [0]
    for part in range(1, n_parts):
        nearest = int(np.argmin(np.abs(starts - total * part / n_parts)))
        cuts.append(min(max(nearest, cuts[-1] + 1), len(lengths) - n_parts + part))
    return [*cuts, len(lengths)]


def _wait_for_ranks(client, ranks: list, workers: list[str], name: str) -> None:
    """Return when every rank finished; raise when one failed or a worker left.

    A rank that fails closes its connections, so its peers' exchanges fail
    too, and so do they when its process dies: the error raised is the cause,
    the failing rank's own error or the worker's departure, not the peers'.
    """
    import distributed

    while True:
        pending = [future for future in ranks if not future.done()]
        try:
            distributed.wait(pending, timeout=1.0, return_when="FIRST_COMPLETED")
        except TimeoutError:
            pass
        failed = _failed_ranks(ranks)
        lost = _lost_workers(client, workers)
        # the peers' errors may come first: the failing rank's own error a
        # moment after, or the scheduler hearing of a death
        for _ in range(10):
            if lost or not failed or not all(map(_is_communication_error, failed)):
                break
            time.sleep(0.5)
            failed = _failed_ranks(ranks)
            lost = _lost_workers(client, workers)
        if lost:
            ranks_lost = [workers.index(worker) for worker in lost]
            raise RuntimeError(
                f"fit_distributed: worker {', '.join(lost)} (rank "
                f"{', '.join(map(str, ranks_lost))}) left the cluster during the "
                "fit: killed, out of memory, or stopped. The training of one "
                f"model cannot go on without its rows; {name} is left as it was. "
                "Check the worker's log, then fit again."
            ) from (failed[0].exception() if failed else None)
        for future in failed:
            if not _is_communication_error(future):
                raise future.exception()
        if failed:
            rank = ranks.index(failed[0])
            error = failed[0].exception()
            raise RuntimeError(
                f"fit_distributed: rank {rank} (worker {workers[rank]}) failed to "
                f"exchange with the others: {error}. {name} is left as it was."
            ) from error
        if all(future.status == "finished" for future in ranks):
            return


def _failed_ranks(ranks: list) -> list:
    """The futures of the ranks that raised, in the order of the ranks."""
    return [future for future in ranks if future.status == "error"]


def _check_own_processes(client, workers: list[str]) -> None:
    """Refuse workers that are threads of one process.

    torch's random generators, its thread setting and Python's warning filters
    are process-wide: two ranks in one process would draw from each other's
    random stream, and a fit waits for the other ranks at every step, so they
    cannot take turns either.
    """
    pids = client.run(os.getpid, workers=workers)
    if len(set(pids.values())) < len(pids):
        raise ValueError(
            "fit_distributed runs one training process per worker, but these "
            "workers share a process (a cluster of threads, such as "
            "LocalCluster(processes=False)), where torch's random state is "
            "process-wide, so the ranks would draw each other's random numbers. "
            "Start one process per worker: LocalCluster(n_workers=..., "
            "threads_per_worker=1), whose processes=True is the default."
        )


def _present_workers(client) -> list[str]:
    """The addresses of the cluster's workers, asked of the scheduler itself.

    ``client.scheduler_info()`` returns the client's cached copy, which its
    periodic refresh replaces (every 2 s) with one that lists no workers: read
    at that moment, every worker looked gone, and a fit failed under load.
    """
    return client.run_on_scheduler(_worker_addresses)


def _worker_addresses(dask_scheduler) -> list[str]:
    return list(dask_scheduler.workers)


def _lost_workers(client, workers: list[str]) -> list[str]:
    try:
        present = set(_present_workers(client))
    except OSError:  # the scheduler did not answer in time: ask next round
        return []
    return [worker for worker in workers if worker not in present]


def _is_communication_error(future) -> bool:
    import torch.distributed as dist

    error = future.exception()
    return isinstance(error, dist.DistError | TimeoutError) or "gloo" in str(error)


def _fit_rank(
    estimator, items, start, y, sample_weight, *, rank, world_size, rendezvous, timeout
):
    """One process of a data-parallel fit, on a Dask worker.

    Returns the fitted estimator and the warnings of the fit on rank 0, None
    on the others. A rank that fails closes its connections first, so that
    the others fail at once instead of waiting for it until the timeout.
    """
    import pandas as pd

    from ._distributed import DataParallel, Shard

    # workers in one process (LocalCluster(processes=False)) receive the same
    # estimator object, unpickled by none: each rank trains its own copy
    estimator = copy.deepcopy(estimator)
    data_parallel = DataParallel(_process_group(rank, world_size, rendezvous, timeout))
    try:  # the rows are read here: a rank may fail on its own
        blocks = RowBlocks(items)
        parts = [blocks.read(i) for i in range(len(blocks))]
        X = pd.concat(parts) if hasattr(parts[0], "columns") else np.concatenate(parts)
        del parts
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            estimator.fit(
                Shard(X, start, len(y), data_parallel), y, sample_weight=sample_weight
            )
    except BaseException:
        data_parallel.close()
        raise
    if rank:
        return None
    return estimator, [(w.category, str(w.message)) for w in caught]


def _process_group(rank: int, world_size: int, rendezvous: str, timeout: float):
    """The gloo group of the ranks, met through the first rank's TCP store.

    Only the group refers to the store (whose port the first rank listens
    on): dropping the group closes its connections and that port.
    """
    from datetime import timedelta

    import torch.distributed as dist
    from distributed import Variable, get_worker
    from distributed.comm import get_address_host

    wait = timedelta(seconds=timeout)
    variable = Variable(rendezvous)
    if rank == 0:
        host = get_address_host(get_worker().address)
        store = dist.TCPStore(
            host, 0, world_size, is_master=True, timeout=wait, wait_for_workers=False
        )
        variable.set((host, store.port))
    else:
        host, port = variable.get(timeout=timeout)
        store = dist.TCPStore(host, port, world_size, is_master=False, timeout=wait)
    return dist.ProcessGroupGloo(store, rank, world_size, wait)
