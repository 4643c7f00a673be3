"""Training data read one block of rows at a time (out-of-core ``fit``).

``fit`` takes X larger than memory as blocks of rows: a Dask array (its blocks
along the first axis), a Dask DataFrame (its partitions), or a
:class:`RowBlocks` over NumPy arrays and ``.npy`` or Parquet files. Training
goes through the same loop as in-memory data: :class:`ValidatedBlocks` is an
array-like whose rows :class:`~skdl._net.HostRows` reads batch by batch, keeping
only the blocks that the current batch needs, and :class:`BlockBatches` orders
an epoch block by block. Each block is validated by the estimator's own
``_validate_X_y`` as it is read, so a bad value raises the message that
in-memory data would.

Dask is never imported here: a Dask collection can only exist once the caller
has imported it.
"""

from __future__ import annotations

import functools
import math
import os
import sys
import warnings
from collections.abc import Callable, Sequence

import numpy as np
import scipy.sparse as sp
import torch
from sklearn.base import is_classifier

from ._net import Batches, HostRows, to_rows
from ._warnings import external_stacklevel
from .utils._sklearn import check_y
from .utils._torch import cpu_default_device
from .utils._validation import input_float_dtype

__all__ = [
    "BlockBatches",
    "RowBlocks",
    "ValidatedBlocks",
    "checked_targets",
    "computed",
    "is_block_input",
    "is_dask_collection",
    "lazy_on_dask",
    "refuse_block_input",
    "row_source",
    "unknown_chunks",
]


def is_dask_collection(value) -> bool:
    """Whether ``value`` is a Dask collection (without importing Dask).

    Examples
    --------
    >>> is_dask_collection(np.zeros(3))
    False
    """
    dask = sys.modules.get("dask")
    return dask is not None and dask.is_dask_collection(value)


def is_block_input(X) -> bool:
    """Whether ``X`` is read block by block: a Dask collection or a RowBlocks.

    Nothing is computed (unlike :func:`row_source`, which learns the blocks'
    lengths).
    """
    return hasattr(X, "validated") or is_dask_collection(X)


def refuse_block_input(estimator, X) -> None:
    """Raise a TypeError if ``X`` is read block by block and ``estimator`` cannot.

    ``estimator._block_input_refused`` says why, completing "{name} ...";
    estimators that train block by block leave it None. The one message of
    every estimator that needs X in memory at fit (those of skdl's training
    loop, through :meth:`RowBlocks.validated`, and those with a loop of their
    own, at the start of their ``fit``), instead of loading a Dask collection
    whole or failing on a RowBlocks in NumPy.
    """
    reason = getattr(estimator, "_block_input_refused", None)
    if reason and is_block_input(X):
        raise TypeError(
            f"{type(estimator).__name__} {reason}, so it trains on X in memory, "
            "not read block by block (a Dask collection or RowBlocks). Fit it "
            "on X in memory (X.compute() for a Dask collection), or on a sample."
        )


def computed(value):
    """``value.compute()`` for a Dask collection, ``value`` itself otherwise.

    Targets and sample weights are small next to X: a fit computes them whole.
    """
    return value.compute() if is_dask_collection(value) else value


class RowBlocks:
    """Samples stored as blocks of rows, which ``fit`` reads one block at a time.

    A fit on a ``RowBlocks`` never holds more than the blocks that one batch
    spans (and the targets, which it reads whole). Each epoch visits the
    blocks in a new order and shuffles the rows within each block, both drawn
    from ``random_state``; with ``early_stopping=True`` whole blocks are held
    out for validation. ``fit`` wraps Dask arrays and DataFrames in a
    ``RowBlocks`` by itself.

    Parameters
    ----------
    blocks : dask.array.Array, dask.dataframe.DataFrame or sequence
        A Dask collection (its blocks along the first axis, or its
        partitions), or a sequence whose items are each one block: a NumPy
        array (a memory-mapped one is read only when its block is), a SciPy
        sparse matrix (densified one batch at a time), a pandas DataFrame, a
        Dask collection, or the path of a ``.npy`` file (opened memory-mapped
        when read) or of a ``.parquet`` file (read with pandas); the suffix
        may be in any case. A directory is refused: a Parquet dataset that
        Dask wrote is read by ``dask.dataframe.read_parquet``, which ``fit``
        takes directly. Blocks without rows are left out.

    Attributes
    ----------
    lengths : tuple of int
        The number of rows of each block.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.datasets import load_digits
    >>> from skdl import MLPClassifier
    >>> from skdl.parallel import RowBlocks
    >>> X, y = load_digits(return_X_y=True)
    >>> blocks = RowBlocks(np.array_split(X / 16, 6))  # six blocks of ~300 rows
    >>> blocks.lengths
    (300, 300, 300, 299, 299, 299)
    >>> model = MLPClassifier(max_iter=30, random_state=0).fit(blocks, y)
    >>> bool(model.score(X / 16, y) > 0.95)
    True
    """

    def __init__(self, blocks):
        if isinstance(blocks, RowBlocks):
            items, lengths = blocks._items, blocks.lengths
        elif is_dask_collection(blocks):
            items, lengths = _dask_blocks(blocks)
        elif isinstance(blocks, Sequence) and not isinstance(blocks, str | bytes):
            items = list(blocks)
            lengths = [_block_length(item, i) for i, item in enumerate(items)]
        else:
            raise TypeError(
                "RowBlocks takes a Dask array or DataFrame, or a sequence of blocks "
                "(NumPy arrays, SciPy sparse matrices, pandas DataFrames, or paths "
                f"of .npy or .parquet files); got {type(blocks).__name__}."
            )
        kept = [i for i, length in enumerate(lengths) if length]
        if not kept:
            raise ValueError("RowBlocks got no rows: every block is empty.")
        self._items = [items[i] for i in kept]
        self.lengths = tuple(int(lengths[i]) for i in kept)

    def __len__(self) -> int:
        return len(self.lengths)

    def __array__(self, dtype=None, copy=None):
        # NumPy conversion is what predict, score, validation_data and
        # scikit-learn's cross-validation would try: say what to pass instead
        raise TypeError(
            "X is a RowBlocks, which only fit reads (block by block). predict, "
            "score and the other methods, validation_data and scikit-learn's "
            "cross-validation take X in memory or a Dask collection: pass a Dask "
            "array of the blocks (dask.array.concatenate, dask.array.from_array), "
            "which they read block by block, or one block at a time "
            "(blocks.read(i))."
        )

    @property
    def n_rows(self) -> int:
        """The number of rows of all blocks together."""
        return sum(self.lengths)

    def read(self, i: int):
        """Block ``i`` in memory: a NumPy array or a pandas DataFrame."""
        item = self._items[i]
        if isinstance(item, str | os.PathLike):
            return _read_file(item)
        return computed(item)

    def float_dtype(self) -> type:
        """The float type scikit-learn's rule gives the first block (see
        ``input_float_dtype``), read without computing a Dask block or reading
        more of a ``.parquet`` file than its schema (training reads the block
        anyway).
        """
        item = self._items[0]
        if is_dask_collection(item):
            return input_float_dtype(item)
        if isinstance(item, str | os.PathLike) and _suffix(item) == ".parquet":
            import pyarrow.parquet

            # the columns' types as pandas reads them, from the file's footer
            schema = pyarrow.parquet.read_schema(item)
            return input_float_dtype(schema.empty_table().to_pandas())
        return input_float_dtype(self.read(0))

    def validated(self, estimator, y, sample_weight, *, reset: bool):
        """The blocks ready to train ``estimator``, and the targets and weights.

        The first block is validated now (with ``reset``: it sets
        ``n_features_in_`` and the like), every block again when training
        reads it. ``y`` and ``sample_weight`` are computed whole.
        """
        refuse_block_input(estimator, self)
        if getattr(estimator, "solver", None) == "lbfgs":
            raise ValueError(
                "solver='lbfgs' trains on one batch of every row, which X read "
                "block by block cannot hold in memory. Use solver='adam' or "
                "'sgd', or fit X in memory."
            )
        y = computed(y)
        if y is not None and len(y) != self.n_rows:
            raise ValueError(
                f"X has {self.n_rows} rows in {len(self)} blocks, but y has "
                f"{len(y)}; give one target per row, in the order of the blocks."
            )
        first, _ = estimator._validate_X_y(
            self.read(0), None if y is None else y[: self.lengths[0]], reset=reset
        )
        y = checked_targets(estimator, y)
        rows = ValidatedBlocks(self, _block_check(estimator, y), first)
        return rows, y, computed(sample_weight)


def checked_targets(estimator, y):
    """``y`` (for all rows) checked as ``validate_data`` checks it with X."""
    if y is None:
        return None
    numeric = not is_classifier(estimator)
    return check_y(y, multi_output=True, y_numeric=numeric, estimator=estimator)


def _block_check(estimator, y) -> Callable:
    def check(block, start: int, stop: int) -> np.ndarray:
        y_block = None if y is None else y[start:stop]
        return estimator._validate_X_y(block, y_block, reset=False)[0]

    return check


class ValidatedBlocks:
    """The rows of a :class:`RowBlocks`, validated as each block is read.

    An array-like for :class:`~skdl._net.HostRows`: ``rows[index]`` returns
    the rows at ``index`` (in that order) as a NumPy array of the model's
    float type (or a sparse matrix, for rows of one sparse block, which
    :class:`~skdl._net.HostRows` densifies), reading the blocks they lie in.
    Only the blocks of the last request are kept, so a batch order that visits
    the blocks one after the other (:class:`BlockBatches`) reads each block
    once per epoch.

    Parameters
    ----------
    blocks : RowBlocks
        The blocks.
    check : callable
        ``check(block, start, stop)`` validates the block of rows ``start`` to
        ``stop`` and returns it as the estimator trains on it.
    first : ndarray
        Block 0, already checked: it gives the dtype and the shape of a row.
    """

    def __init__(self, blocks: RowBlocks, check: Callable, first: np.ndarray):
        self.blocks = blocks
        self.check = check
        self.ends = np.cumsum(blocks.lengths)
        self.starts = self.ends - np.asarray(blocks.lengths)
        self.dtype = first.dtype
        self.shape = (blocks.n_rows, *first.shape[1:])
        self._kept = {0: first}

    def __len__(self) -> int:
        return self.shape[0]

    def block_of(self, rows: np.ndarray) -> np.ndarray:
        """The block that each of ``rows`` lies in."""
        return np.searchsorted(self.ends, rows, side="right")

    def __getitem__(self, rows) -> np.ndarray:
        if isinstance(rows, slice):
            rows = np.arange(*rows.indices(len(self)))
        rows = np.asarray(rows)
        first, last = self.block_of([rows.min(), rows.max()])
        if first == last:  # most batches: rows of one block
            data = self._block(int(first))
            self._kept = {int(first): data}
            return data[rows - self.starts[first]]
        blocks = self.block_of(rows)
        self._kept = {int(b): self._block(int(b)) for b in np.unique(blocks)}
        out = np.empty((len(rows), *self.shape[1:]), dtype=self.dtype)
        for block, data in self._kept.items():
            where = blocks == block
            part = data[rows[where] - self.starts[block]]
            out[where] = part.toarray() if sp.issparse(part) else part
        return out

    def _block(self, i: int) -> np.ndarray:
        if i in self._kept:
            return self._kept[i]
        start, stop = int(self.starts[i]), int(self.ends[i])
        try:
            return self.check(self.blocks.read(i), start, stop)
        except ValueError as error:
            if hasattr(error, "add_note"):  # Python 3.11+
                error.add_note(f"(in block {i} of X, rows {start} to {stop - 1})")
            raise

    def release(self) -> None:
        """Forget the blocks read so far (the end of a pass over the data)."""
        self._kept = {}

    def __array__(self, dtype=None, copy=None):
        raise TypeError(
            "X is read block by block and is never held in memory whole, but "
            "this fit needs every training row at once to initialise the model "
            "from the data (LVQ prototypes, an MLP's pretrain, an autoencoder's "
            "pretraining). Fit on X in memory, or on a sample of it, or turn "
            "that initialisation off."
        )

    # -- the hooks of BaseTorchEstimator's batching ------------------------------------
    def validation_split(self, estimator, y, seed: int):
        """Training and validation rows: whole blocks are held out for validation.

        Blocks are drawn in a random order (from ``seed``) until they hold
        ``validation_fraction`` of the rows; they are not stratified by class.
        Where the blocks drawn hold more than twice that and over a quarter of
        the rows (blocks too large, or of very different sizes), a UserWarning
        says so.
        """
        fraction = estimator.validation_fraction
        lengths = np.asarray(self.blocks.lengths)
        n_blocks = len(lengths)
        order = np.random.RandomState(seed % 2**32).permutation(n_blocks)
        needed = max(math.ceil(fraction * len(self)), 2)
        n_valid = int(np.searchsorted(np.cumsum(lengths[order]), needed)) + 1
        if n_valid >= n_blocks:
            raise ValueError(
                f"early_stopping=True holds out whole blocks of X for validation: "
                f"validation_fraction={fraction} of the {len(self)} rows needs "
                f"{min(n_valid, n_blocks)} of the {n_blocks} blocks, leaving none "
                "to train on. Split X into more blocks (rechunk a Dask array, "
                "repartition a DataFrame, more files), lower validation_fraction, "
                "or set early_stopping=False."
            )

        held_out = int(lengths[order[:n_valid]].sum())
        if held_out > 2 * needed and held_out > len(self) / 4:
            warnings.warn(
                f"early_stopping=True holds out whole blocks of X for validation: "
                f"validation_fraction={fraction} asked for {needed} of the "
                f"{len(self)} rows, but the blocks drawn hold {held_out} "
                f"({held_out / len(self):.0%}), leaving {len(self) - held_out} to "
                "train on. Split X into more, smaller blocks of similar sizes "
                "(rechunk a Dask array, repartition a DataFrame, more files).",
                UserWarning,
                stacklevel=external_stacklevel(),
            )

        def rows(blocks):
            return np.concatenate(
                [np.arange(self.starts[b], self.ends[b]) for b in np.sort(blocks)]
            )

        return rows(order[n_valid:]), rows(order[:n_valid])

    def batches(self, y, weight, index, device, **kwargs) -> BlockBatches:
        """:class:`BlockBatches` of the rows at ``index`` (whole blocks)."""
        whole = len(index) == len(self)

        def take(a):
            return a if whole else a[index]

        return BlockBatches(
            HostRows(self, device, None if whole else index),
            None if y is None else to_rows(take(y), device),
            None if weight is None else to_rows(take(weight), device),
            **kwargs,
        )


class BlockBatches(Batches):
    """:class:`~skdl._net.Batches` of rows read block by block.

    A shuffled epoch visits the blocks in a random order and the rows of each
    block in a random order; batches are cut from that sequence, so a batch
    spans at most the end of one block and the start of the next (for batches
    smaller than the blocks). Both permutations come from ``generator``.
    The blocks are released at the end of each pass.

    Parameters
    ----------
    X : HostRows
        Rows of a :class:`ValidatedBlocks`, restricted to whole blocks.
    *args, **kwargs
        As for :class:`~skdl._net.Batches`.
    """

    def __init__(self, X: HostRows, *args, **kwargs):
        super().__init__(X, *args, **kwargs)
        positions = np.arange(len(X)) if X.index is None else X.index
        blocks = X.X.block_of(positions)
        changes = np.flatnonzero(np.diff(blocks)) + 1
        self.bounds = np.concatenate([[0], changes, [len(X)]])

    def __iter__(self):
        try:
            yield from super().__iter__()
        finally:
            self.arrays[0].X.release()

    def epoch_order(self) -> torch.Tensor:
        """The blocks in a random order, the rows of each in a random order."""
        starts, stops = self.bounds[:-1], self.bounds[1:]
        blocks = torch.randperm(len(starts), generator=self.generator).tolist()
        return torch.cat(
            [
                int(starts[b])
                + torch.randperm(int(stops[b] - starts[b]), generator=self.generator)
                for b in blocks
            ]
        )


def row_source(X):
    """``X`` as a source of training rows other than an in-memory array, or None.

    A :class:`RowBlocks` or another object with a ``validated`` method (the
    shard of a data-parallel fit) is returned as it is, and a Dask collection
    in a :class:`RowBlocks`.
    """
    if hasattr(X, "validated"):
        return X
    if is_dask_collection(X):
        return RowBlocks(X)
    return None


def lazy_on_dask(method: Callable) -> Callable:
    """Let an output method (``predict``, ``transform``, ...) take Dask collections.

    Given a Dask array or DataFrame, the method returns the lazy Dask array of
    its outputs, computed block by block with
    :func:`skdl.parallel.predict_blocks`; other inputs go to the method.
    """

    @functools.wraps(method)
    def wrapper(self, X, *args, **kwargs):
        if is_dask_collection(X):
            from .parallel import predict_blocks

            return predict_blocks(self, X, method.__name__)
        with cpu_default_device():  # as fit made the model's tensors
            return method(self, X, *args, **kwargs)

    return wrapper


def _dask_blocks(X):
    """The blocks of rows of a Dask collection, and their lengths."""
    import dask.array as da

    if isinstance(X, da.Array):
        if unknown_chunks(X):  # after a boolean mask: learnt in one pass
            X = X.compute_chunk_sizes()
        X = X.rechunk({axis: -1 for axis in range(1, X.ndim)})
        return [X.blocks[i] for i in range(X.numblocks[0])], X.chunks[0]
    if not hasattr(X, "npartitions"):
        raise TypeError(
            f"fit reads Dask arrays and DataFrames block by block; got a "
            f"{type(X).__name__}. Convert it to a Dask array first."
        )
    lengths = X.map_partitions(len).compute()
    return [X.partitions[i] for i in range(X.npartitions)], list(lengths)


def _suffix(path) -> str:
    """The extension of ``path``, in lower case (``.npy``, ``.parquet``)."""
    return os.path.splitext(os.fspath(path))[1].lower()


def unknown_chunks(X) -> bool:
    """Whether some chunk sizes of the Dask array ``X`` are unknown (NaN)."""
    return any(math.isnan(size) for sizes in X.chunks for size in sizes)


def _block_length(item, i: int) -> int:
    if isinstance(item, str | os.PathLike):
        path = os.fspath(item)
        if os.path.isdir(path):
            raise ValueError(
                f"Block {i} is the directory {path!r}; RowBlocks reads files, one "
                "block each, in the order given (which must be the order of y). "
                "For a Parquet dataset written by Dask, fit on "
                "dask.dataframe.read_parquet(path) directly, or list its files in "
                "order."
            )
        if _suffix(path) == ".npy":
            length = _row_count(np.load(path, mmap_mode="r").shape, i, path)
        elif _suffix(path) == ".parquet":
            import pyarrow.parquet

            length = pyarrow.parquet.read_metadata(path).num_rows
        else:
            raise ValueError(
                f"Block {i} is the file {path!r}; RowBlocks reads .npy and "
                ".parquet files."
            )
        return length
    if is_dask_collection(item) or hasattr(item, "shape"):
        length = _row_count(item.shape, i)
        if isinstance(length, float) and math.isnan(length):
            raise ValueError(
                f"Block {i} is a Dask collection of unknown length; call "
                "compute_chunk_sizes() on it first."
            )
        return int(length)
    raise TypeError(
        f"Block {i} is a {type(item).__name__}; RowBlocks takes NumPy arrays, "
        "SciPy sparse matrices, pandas DataFrames, Dask collections and paths "
        "of .npy or .parquet files."
    )


def _row_count(shape: tuple, i: int, path: str | None = None):
    """The rows of a block of ``shape``; a 0-d block (one value) is refused."""
    if not shape:
        what = f"the file {path!r}" if path else "a 0-d array"
        raise ValueError(
            f"Block {i} is {what} holding a single value; a block holds rows "
            "(an array of shape (n_rows, n_features) or (n_rows, ...))."
        )
    return shape[0]


def _read_file(path):
    if _suffix(path) == ".npy":
        return np.load(path, mmap_mode="r")
    import pandas as pd

    return pd.read_parquet(path)
