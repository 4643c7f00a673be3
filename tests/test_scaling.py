"""Scaling out: data larger than memory, threads, Dask."""

import pickle
import tracemalloc
import warnings

import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.datasets import load_digits, load_iris
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV
from skorch.callbacks import Callback

from skdl import CNNClassifier, MLPClassifier, MLPRegressor
from skdl._net import SkdlNet
from skdl.parallel import predict_blocks


@pytest.fixture(scope="module")
def memmap_data(tmp_path_factory):
    """A 25.6 MB float32 array on disk, opened read-only as numpy.load does."""
    path = tmp_path_factory.mktemp("memmap") / "X.npy"
    rng = np.random.default_rng(0)
    X = rng.standard_normal((25_000, 256), dtype=np.float32)
    np.save(path, X)
    y = (X[:, 0] + X[:, 1] > 0).astype(int)
    return np.load(path, mmap_mode="r"), X, y


def _peak_numpy_bytes(function):
    """Peak of the memory allocated through Python and NumPy while ``function`` runs."""
    tracemalloc.start()
    try:
        function()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("early_stopping", [False, True])
def test_memmap_trains_without_copying_and_equals_in_memory(
    memmap_data, early_stopping, monkeypatch
):
    # prediction reads chunks of _inference_batch_size rows, each copied from
    # the read-only map (a tensor never aliases memory it may not write): the
    # peak follows the chunk (two are alive at once), not the array
    monkeypatch.setattr(MLPClassifier, "_inference_batch_size", 1000)
    X_disk, X_memory, y = memmap_data
    params = dict(
        hidden_layer_sizes=(8,),
        max_iter=2,
        batch_size=500,
        early_stopping=early_stopping,
        random_state=0,
    )
    warnings.simplefilter("ignore", ConvergenceWarning)
    MLPClassifier(**params).fit(X_memory[:1000], y[:1000])  # one-time imports
    on_disk = MLPClassifier(**params)
    peak = _peak_numpy_bytes(lambda: on_disk.fit(X_disk, y))
    # the rows are read batch by batch: far less than the array is ever copied
    # (what is allocated is per-row bookkeeping: labels, the split, an order)
    assert peak < 0.15 * X_memory.nbytes
    in_memory = MLPClassifier(**params).fit(X_memory, y)
    np.testing.assert_array_equal(
        on_disk.predict_proba(X_disk), in_memory.predict_proba(X_memory)
    )
    assert _peak_numpy_bytes(lambda: on_disk.predict(X_disk)) < 0.15 * X_memory.nbytes


def test_cnn_trains_on_memmapped_images_without_copying_them(memmap_data):
    """float32 images on disk stay there: each batch is reshaped as it is read."""
    X_disk, X_memory, y = memmap_data
    images_disk = X_disk[:6000].reshape(-1, 16, 16, 1)
    images_memory = X_memory[:6000].reshape(-1, 16, 16, 1)
    params = dict(
        conv_filters=(2,), dense_layers=(), max_iter=1, batch_size=500, random_state=0
    )
    warnings.simplefilter("ignore", ConvergenceWarning)
    CNNClassifier(**params).fit(images_memory[:500], y[:500])  # one-time imports
    on_disk = CNNClassifier(**params)
    peak = _peak_numpy_bytes(lambda: on_disk.fit(images_disk, y[:6000]))
    assert peak < 0.3 * images_memory.nbytes
    in_memory = CNNClassifier(**params).fit(images_memory, y[:6000])
    np.testing.assert_allclose(
        on_disk.predict_proba(images_disk), in_memory.predict_proba(images_memory)
    )


def test_in_memory_split_copies_so_the_measure_sees_copies(memmap_data):
    """The check above can fail: the in-memory path copies the training split."""
    _, X_memory, y = memmap_data
    model = MLPRegressor(
        hidden_layer_sizes=(4,), max_iter=1, early_stopping=True, random_state=0
    )
    warnings.simplefilter("ignore", ConvergenceWarning)
    assert _peak_numpy_bytes(lambda: model.fit(X_memory, y)) > 0.5 * X_memory.nbytes


def test_small_training_tensors_are_gathered_once_per_epoch(monkeypatch):
    """Tensors up to EPOCH_GATHER_BYTES are copied in the epoch's order at once
    and sliced; larger ones, and rows read from the host (sparse, memory-mapped),
    are gathered batch by batch. The batches are the same, bit for bit."""
    import scipy.sparse as sp

    import skdl._net

    answers = []
    decide = skdl._net.Batches._gathers_whole_epochs
    monkeypatch.setattr(
        skdl._net.Batches,
        "_gathers_whole_epochs",
        lambda self: answers.append(decide(self)) or answers[-1],
    )
    X, y = load_digits(return_X_y=True)
    params = dict(hidden_layer_sizes=(16,), max_iter=3, batch_size=64, random_state=0)
    whole = MLPClassifier(**params).fit(X, y)
    assert answers == [True] * 3
    monkeypatch.setattr(skdl._net, "EPOCH_GATHER_BYTES", X.nbytes - 1)
    by_batch = MLPClassifier(**params).fit(X, y)
    assert answers[3:] == [False] * 3
    assert whole.loss_curve_ == by_batch.loss_curve_
    np.testing.assert_array_equal(whole.predict_proba(X), by_batch.predict_proba(X))
    monkeypatch.setattr(skdl._net, "EPOCH_GATHER_BYTES", 64 * 2**20)
    MLPClassifier(**params).fit(sp.csr_matrix(X), y)
    assert answers[6:] == [False] * 3


# -- threads -------------------------------------------------------------------------
class _ThreadsSeen(Callback):
    def on_epoch_begin(self, net, **kwargs):
        net.threads_seen = torch.get_num_threads()


@pytest.mark.parametrize("n_threads", [1, 2])
def test_n_threads_sets_torch_threads_during_fit_only(n_threads):
    X, y = load_iris(return_X_y=True)
    before = torch.get_num_threads()
    model = MLPClassifier(
        max_iter=1, n_threads=n_threads, callbacks=[_ThreadsSeen()], random_state=0
    )
    warnings.simplefilter("ignore", ConvergenceWarning)
    model.fit(X, y)
    assert model.net_.threads_seen == n_threads
    assert torch.get_num_threads() == before

    # n_threads=None: small steps run on one thread, large ones on torch's count
    def threads_seen(hidden_layer_sizes):
        model = MLPClassifier(
            hidden_layer_sizes, max_iter=1, callbacks=[_ThreadsSeen()], random_state=0
        )
        return model.fit(X, y).net_.threads_seen

    assert threads_seen((100,)) == 1
    assert threads_seen((512, 512)) == before


# -- Dask ----------------------------------------------------------------------------
def _fit_and_report_threads(n_threads):
    """Runs on a worker: the threads torch had there during a fit."""
    X, y = load_iris(return_X_y=True)
    warnings.simplefilter("ignore", ConvergenceWarning)
    model = MLPClassifier(
        max_iter=1, n_threads=n_threads, callbacks=[_ThreadsSeen()], random_state=0
    ).fit(X, y)
    return model.net_.threads_seen


@pytest.fixture(scope="module")
def dask_client():
    distributed = pytest.importorskip("distributed")
    with (
        distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        yield client


@pytest.mark.slow
def test_grid_search_on_a_dask_cluster_equals_the_serial_run(dask_client):
    from joblib import parallel_backend

    X, y = load_digits(return_X_y=True)
    X, y = X[:600] / 16, y[:600]
    search = GridSearchCV(
        MLPClassifier(max_iter=15, random_state=0),
        {"hidden_layer_sizes": [(16,), (32,)], "alpha": [1e-4, 1e-1]},
        cv=3,
    )
    warnings.simplefilter("ignore", ConvergenceWarning)
    serial = clone(search).fit(X, y)
    with parallel_backend("dask"):
        distributed = clone(search).set_params(n_jobs=-1).fit(X, y)
    np.testing.assert_array_equal(
        distributed.cv_results_["mean_test_score"],
        serial.cv_results_["mean_test_score"],
    )
    np.testing.assert_array_equal(distributed.predict_proba(X), serial.predict_proba(X))
    # each worker process was given one thread: its fits use one, not every core
    assert dask_client.submit(_fit_and_report_threads, None).result() == 1
    assert dask_client.submit(_fit_and_report_threads, 2).result() == 2


@pytest.mark.slow
def test_predict_blocks_on_a_dask_cluster(dask_client):
    import dask.array as da

    X, y = load_digits(return_X_y=True)
    model = MLPClassifier(max_iter=20, random_state=0).fit(X, y)
    lazy = da.from_array(X, chunks=(300, 32))
    proba = predict_blocks(model, lazy, "predict_proba")
    assert proba.chunks[0] == lazy.chunks[0]
    np.testing.assert_array_equal(proba.compute(), model.predict_proba(X))
    np.testing.assert_array_equal(
        predict_blocks(model, lazy).compute(), model.predict(X)
    )


def test_predict_blocks_needs_a_dask_array_and_a_known_method():
    pytest.importorskip("dask")
    X, y = load_iris(return_X_y=True)
    warnings.simplefilter("ignore", ConvergenceWarning)
    model = MLPClassifier(max_iter=2, random_state=0).fit(X, y)
    with pytest.raises(TypeError, match=r"dask\.array\.from_array"):
        predict_blocks(model, X)
    import dask.array as da

    with pytest.raises(ValueError, match="method must be one of"):
        predict_blocks(model, da.from_array(X), "fit")


def test_predict_blocks_gives_empty_blocks_empty_outputs():
    """A filter can empty a block: its outputs are empty, not an error."""
    import dask.array as da

    X, y = load_iris(return_X_y=True)
    warnings.simplefilter("ignore", ConvergenceWarning)
    model = MLPClassifier(max_iter=2, random_state=0).fit(X, y)
    keep = y != 1  # the second block of 50 rows is all class 1
    lazy = da.from_array(X, chunks=(50, 4))[da.from_array(keep, chunks=50)]
    for method in ("predict", "predict_proba"):
        out = getattr(model, method)(lazy).compute()
        np.testing.assert_array_equal(out, getattr(model, method)(X[keep]))
    nothing = predict_blocks(model, lazy[lazy[:, 0] > 100], "predict_proba").compute()
    assert nothing.shape == (0, 3) and nothing.dtype == model.predict_proba(X).dtype
    dd = pytest.importorskip("dask.dataframe")
    import pandas as pd

    frame = dd.from_pandas(pd.DataFrame(X), npartitions=3)
    assert model.predict(frame[frame[0] > 100]).compute().shape == (0,)


def test_predict_blocks_says_what_to_do_with_row_blocks_and_unknown_columns():
    import dask.array as da

    from skdl.parallel import RowBlocks

    X, y = load_iris(return_X_y=True)
    warnings.simplefilter("ignore", ConvergenceWarning)
    model = MLPClassifier(max_iter=2, random_state=0).fit(X, y)
    with pytest.raises(TypeError, match=r"RowBlocks, which only fit reads.*read\(i"):
        predict_blocks(model, RowBlocks([X[:75], X[75:]]))
    columns = da.from_array(np.ones(4, bool), chunks=2)
    lazy = da.from_array(X, chunks=(50, 2))[:, columns]
    with pytest.raises(ValueError, match=r"column chunk sizes are unknown.*compute_ch"):
        model.predict(lazy)
    np.testing.assert_array_equal(
        model.predict(lazy.compute_chunk_sizes()).compute(), model.predict(X)
    )


# -- torch.compile ---------------------------------------------------------------------
def test_compile_runs_the_forward_passes_compiled_and_still_pickles(monkeypatch):
    X, y = load_iris(return_X_y=True)
    warnings.simplefilter("ignore", ConvergenceWarning)
    written = MLPClassifier(max_iter=3, random_state=0).fit(X, y)
    # a compiled forward pass trains through autograd: compare with an eager fit
    # that does too (not the gradients written out, which round differently)
    with monkeypatch.context() as patch:
        patch.setattr(SkdlNet, "_writes_gradients", lambda *args: False)
        eager = MLPClassifier(max_iter=3, random_state=0).fit(X, y)
    np.testing.assert_allclose(
        written.predict_proba(X), eager.predict_proba(X), rtol=1e-12
    )
    # the 'eager' backend traces with dynamo without generating kernels: it is fast
    # and, unlike the default inductor, exactly equal to running without compile
    compiled = MLPClassifier(
        max_iter=3, random_state=0, compile={"backend": "eager"}
    ).fit(X, y)
    forward = compiled.net_.forward_module()
    assert forward is not compiled.net_.module_
    assert forward is compiled.net_.forward_module()  # compiled once per module
    np.testing.assert_array_equal(compiled.predict_proba(X), eager.predict_proba(X))
    restored = pickle.loads(pickle.dumps(compiled))
    assert type(restored.net_.module_) is type(eager.net_.module_)
    np.testing.assert_array_equal(restored.predict_proba(X), eager.predict_proba(X))


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_compile_true_on_cuda_matches_eager():
    X, y = load_iris(return_X_y=True)
    warnings.simplefilter("ignore", ConvergenceWarning)
    params = dict(max_iter=5, random_state=0, device="cuda")
    eager = MLPClassifier(**params).fit(X, y)
    compiled = MLPClassifier(**params, compile=True).fit(X, y)
    np.testing.assert_allclose(
        compiled.predict_proba(X), eager.predict_proba(X), atol=1e-4
    )


def test_arrays_too_big_for_the_gpu_stay_on_the_host(monkeypatch):
    """An array over half of the device's free memory is read batch by batch."""
    from skdl import _net

    X = np.zeros((100, 8), dtype=np.float32)
    monkeypatch.setattr(torch.cuda, "mem_get_info", lambda device: (6000, 10**9))
    assert not _net.reads_lazily(X[:50], torch.device("cuda"))  # 1600 bytes
    assert _net.reads_lazily(X, torch.device("cuda"))  # 3200 bytes > 6000 / 2
    assert not _net.reads_lazily(X, torch.device("cpu"))
    rows = _net.HostRows(X, torch.device("cpu"), index=np.arange(10, 20))
    assert len(rows) == 10
    np.testing.assert_array_equal(rows[2:4].numpy(), X[12:14])
