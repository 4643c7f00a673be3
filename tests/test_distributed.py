"""Data-parallel training on a Dask cluster: skdl.parallel.fit_distributed."""

import gc
import os
import pickle
import signal
import sys
import time
import warnings
from pathlib import Path
from unittest import mock

import numpy as np
import pytest
import torch
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from skorch.callbacks import Callback

import skdl
import skdl.io
from skdl import AutoencoderTransformer, MLPClassifier, RBMTransformer
from skdl.parallel import RowBlocks, fit_distributed

da = pytest.importorskip("dask.array")
distributed = pytest.importorskip("distributed")
cloudpickle = pytest.importorskip("cloudpickle")


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    X = (X / 16).astype(np.float32)
    return train_test_split(X, y, test_size=0.25, random_state=0)


def _cluster():
    """Two worker processes that import this checkout's skdl, one thread each."""
    root = str(Path(skdl.__file__).resolve().parents[1])
    path = os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")]))
    os.environ["PYTHONPATH"] = path
    return distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        dashboard_address=":0",
        silence_logs=40,
    )


@pytest.fixture(scope="module")
def client():
    with _cluster() as cluster, distributed.Client(cluster) as client:
        files = client.run(lambda: __import__("skdl").__file__)
        assert set(files.values()) == {skdl.__file__}
        yield client


@pytest.fixture(autouse=True)
def _no_convergence_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        yield


def _params(**extra):
    return {"hidden_layer_sizes": (64,), "max_iter": 20, "random_state": 0, **extra}


def test_two_workers_reach_the_single_process_accuracy(client, digits, tmp_path):
    X_train, X_test, y_train, y_test = digits
    single = MLPClassifier(**_params()).fit(X_train, y_train)
    model = MLPClassifier(**_params())
    blocks = da.from_array(X_train, chunks=(300, 64))
    assert fit_distributed(model, blocks, y_train, client=client) is model
    assert abs(model.score(X_test, y_test) - single.score(X_test, y_test)) <= 0.01
    assert model.n_iter_ == single.n_iter_ == 20
    # the same batches: the epoch losses agree to float rounding
    np.testing.assert_allclose(model.loss_curve_, single.loss_curve_, rtol=1e-3)
    # an ordinary fitted estimator: it pickles, and skdl.io stores it
    clone = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(clone.predict(X_test), model.predict(X_test))
    skdl.io.save(model, tmp_path / "model.skdl")
    loaded = skdl.io.load(tmp_path / "model.skdl")
    np.testing.assert_array_equal(loaded.predict(X_test), model.predict(X_test))
    assert model.net_.data_parallel is None


def test_a_distributed_fit_is_reproducible_under_random_state(client, digits):
    X_train, X_test, y_train, _ = digits
    blocks = da.from_array(X_train, chunks=(300, 64))
    params = _params(max_iter=5, early_stopping=True)
    first, again = (
        fit_distributed(MLPClassifier(**params), blocks, y_train, client=client)
        for _ in range(2)
    )
    np.testing.assert_array_equal(
        first.predict_proba(X_test), again.predict_proba(X_test)
    )
    assert first.validation_scores_ == again.validation_scores_
    assert len(first.validation_scores_) == first.n_iter_
    # the training accuracy of each epoch counts every rank's rows, as the
    # single process counts its own: the same batches give the same figures
    # up to the rounding of summed gradients
    single = MLPClassifier(**params).fit(X_train, y_train)
    distributed_scores = first.history_[:, "train_score"]
    assert len(distributed_scores) == first.n_iter_
    np.testing.assert_allclose(
        distributed_scores, single.history_[:, "train_score"], atol=0.005
    )


def test_precision_auto_gives_every_rank_the_float_type_of_the_first_block(
    client, digits
):
    """Each rank would otherwise take the float type of its own rows, and ranks
    of float32 and float64 blocks could not add their gradients up."""
    X_train, X_test, y_train, _ = digits
    half = len(X_train) // 2
    for first, expected in [(np.float64, torch.float64), (np.float32, torch.float32)]:
        other = np.float32 if first == np.float64 else np.float64
        blocks = RowBlocks([X_train[:half].astype(first), X_train[half:].astype(other)])
        model = fit_distributed(
            MLPClassifier(**_params(max_iter=2)), blocks, y_train, client=client
        )
        assert model.precision == "auto"
        assert {p.dtype for p in model.net_.module_.parameters()} == {expected}
        assert np.isfinite(model.predict_proba(X_test)).all()


class _KillRankOne(Callback):
    """Kills the process of rank 1 at the end of its second epoch."""

    def on_epoch_end(self, net, **kwargs):
        group = net.data_parallel.group
        if group.rank() == 1 and len(net.history) == 2:
            os.kill(os.getpid(), signal.SIGKILL)


class _RaiseOnRankOne(Callback):
    """Raises on rank 1 only, at the end of its second epoch."""

    def on_epoch_end(self, net, **kwargs):
        if net.data_parallel.group.rank() == 1 and len(net.history) == 2:
            raise ValueError("rank 1 failed on its own")


def _listening_ports():
    import psutil

    return sorted(
        c.laddr.port for c in psutil.Process().net_connections() if c.status == "LISTEN"
    )


def test_a_failing_rank_stops_the_others_at_once(client, digits):
    """A rank that raised left the others waiting in their next exchange until
    the timeout, their workers busy: the next fit waited for them (20 s here),
    and the first rank's store kept its port, until the garbage collector
    (kept off here) freed the failed rank's group. The failing rank closes its
    connections now, so that the others fail at once; its own error is raised."""
    X_train, X_test, y_train, _ = digits
    cloudpickle.register_pickle_by_value(sys.modules[__name__])
    blocks = da.from_array(X_train, chunks=(300, 64))
    model = fit_distributed(
        MLPClassifier(**_params(max_iter=2)), blocks, y_train, client=client
    )
    before, ports = model.predict_proba(X_test), client.run(_listening_ports)
    model.set_params(max_iter=5, callbacks=[_RaiseOnRankOne()])
    client.run(gc.disable)
    try:
        with pytest.raises(ValueError, match="rank 1 failed on its own"):
            fit_distributed(model, blocks, y_train, client=client, timeout=20)
        start = time.perf_counter()
        again = MLPClassifier(**_params(max_iter=2))
        fit_distributed(again, blocks, y_train, client=client, timeout=20)
        assert time.perf_counter() - start < 10
        assert client.run(_listening_ports) == ports
    finally:
        client.run(gc.enable)
    np.testing.assert_array_equal(model.predict_proba(X_test), before)
    assert model.n_iter_ == 2


def test_the_clients_cached_worker_list_is_not_trusted(client, digits, monkeypatch):
    """The client's periodic refresh (every 2 s) caches scheduler information
    without the workers; read at that moment, every worker looked gone and the
    fit failed ("left the cluster"), under load now and then. The scheduler
    itself is asked instead."""
    X_train, _, y_train, _ = digits
    refreshed = {**client.scheduler_info(), "workers": {}}
    monkeypatch.setattr(client, "scheduler_info", lambda *args, **kwargs: refreshed)
    blocks = da.from_array(X_train, chunks=(300, 64))
    model = fit_distributed(
        MLPClassifier(**_params(max_iter=2)), blocks, y_train, client=client
    )
    assert model.n_iter_ == 2


@pytest.mark.slow  # a cluster of its own, and a worker to restart
def test_a_killed_worker_raises_and_leaves_the_estimator_as_it_was(digits):
    X_train, _, y_train, _ = digits
    cloudpickle.register_pickle_by_value(sys.modules[__name__])
    model = MLPClassifier(**_params(callbacks=[_KillRankOne()]))
    before = model.get_params()
    blocks = da.from_array(X_train, chunks=(300, 64))
    with _cluster() as cluster, distributed.Client(cluster) as client:
        with pytest.raises(RuntimeError, match="left the cluster during the fit"):
            fit_distributed(model, blocks, y_train, client=client, timeout=60)
    assert not hasattr(model, "net_")
    assert model.get_params().keys() == before.keys()
    assert model.max_iter == 20 and model.random_state == 0


def test_what_cannot_train_distributed_says_so(client, digits):
    X_train, _, y_train, _ = digits
    blocks = da.from_array(X_train, chunks=(300, 64))
    with pytest.raises(TypeError, match="rows as its targets too, so fit_distr"):
        fit_distributed(AutoencoderTransformer(), blocks, y_train, client=client)
    with pytest.raises(TypeError, match="trains estimators of skdl's training"):
        fit_distributed(RBMTransformer(), blocks, y_train, client=client)
    with pytest.raises(ValueError, match="not implemented yet: set device='cpu'"):
        fit_distributed(MLPClassifier(device="cuda"), blocks, y_train, client=client)
    with pytest.raises(ValueError, match="stochastic solver"):
        fit_distributed(MLPClassifier(solver="lbfgs"), blocks, y_train, client=client)
    with pytest.raises(ValueError, match="at most one process per worker"):
        fit_distributed(MLPClassifier(), blocks, y_train, client=client, n_workers=3)
    with pytest.raises(ValueError, match="Split X into more blocks"):
        fit_distributed(
            MLPClassifier(), da.from_array(X_train, chunks=-1), y_train, client=client
        )


def test_workers_that_share_a_process_are_refused(digits):
    # torch's random state is process-wide: two ranks in one process would draw
    # each other's numbers (one of six such fits once ended 0.004 off)
    X_train, _, y_train, _ = digits
    blocks = da.from_array(X_train, chunks=(300, 64))
    model = MLPClassifier(**_params())
    with (
        distributed.LocalCluster(
            n_workers=2, processes=False, dashboard_address=":0", silence_logs=40
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        with pytest.raises(ValueError, match=r"share a process .*processes=True"):
            fit_distributed(model, blocks, y_train, client=client)
    assert not hasattr(model, "net_")


def test_what_is_not_a_cluster_or_block_input_says_so(digits):
    # refused before any cluster is looked for: no workers start
    X_train, _, y_train, _ = digits
    blocks = da.from_array(X_train, chunks=(300, 64))
    with pytest.raises(TypeError, match=r"got ndarray\. Wrap X in memory"):
        fit_distributed(MLPClassifier(), X_train, y_train)
    for bad in (1.5, "2", True, 0):
        with pytest.raises(ValueError, match="n_workers must be an int >= 1"):
            fit_distributed(MLPClassifier(), blocks, y_train, n_workers=bad)
    no_client = ValueError("No global client found and no address provided")
    with (
        mock.patch("distributed.get_client", side_effect=no_client),
        pytest.raises(ValueError, match=r"needs a Dask cluster: pass client="),
    ):
        fit_distributed(MLPClassifier(), blocks, y_train)
    with distributed.LocalCluster(
        n_workers=1, processes=False, dashboard_address=":0", silence_logs=40
    ) as cluster:
        closed = distributed.Client(cluster)
        closed.close()
        model = MLPClassifier()
        with pytest.raises(ValueError, match="got a client that is closed"):
            fit_distributed(model, blocks, y_train, client=closed)
    assert not hasattr(model, "net_")
