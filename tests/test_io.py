"""skdl.io: safe files that round-trip estimators and refuse anything else."""

import os
import pickle

import joblib
import numpy as np
import pytest
import torch
from estimator_cases import CASES, outputs
from sklearn.datasets import load_iris
from skorch.callbacks import LRScheduler

from skdl import LVQClassifier, MLPClassifier, MLPRegressor
from skdl.io import FORMAT_VERSION, load, save

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


@pytest.fixture(scope="module")
def iris():
    X, y = load_iris(return_X_y=True)
    return X, np.array(["setosa", "versicolor", "virginica"])[y]


@pytest.mark.parametrize(
    "estimator",
    [
        MLPClassifier((8,), max_iter=5, early_stopping=True, random_state=0),
        MLPClassifier((8,), solver="lbfgs", max_iter=5, random_state=0),
        LVQClassifier(max_iter=3, random_state=0),
        LVQClassifier(variant="gmlvq", max_iter=3, random_state=0),
        LVQClassifier(variant="olvq1", max_iter=3, random_state=0),
    ],
    ids=lambda est: f"{type(est).__name__}-{est.get_params().get('variant', '')}",
)
def test_round_trip_keeps_predictions_and_training_state(iris, tmp_path, estimator):
    X, y = iris
    model = estimator.fit(X, y)
    save(model, tmp_path / "model.skdl")
    loaded = load(tmp_path / "model.skdl")
    assert type(loaded) is type(model)
    assert loaded.get_params() == model.get_params()
    np.testing.assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))
    np.testing.assert_array_equal(loaded.classes_, model.classes_)
    assert loaded.history_ is loaded.net_.history
    assert list(loaded.history_[:, "train_loss"]) == model.loss_curve_
    # training continues from the loaded weights exactly as from the original
    model.set_params(warm_start=True).fit(X, y)
    loaded.set_params(warm_start=True).fit(X, y)
    np.testing.assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))


def test_partial_fit_continues_with_the_saved_optimizer_state(iris, tmp_path):
    X, _ = iris
    model = MLPRegressor(hidden_layer_sizes=(4,), random_state=0)
    target = np.arange(len(X), dtype=float)
    model.partial_fit(X, target)
    save(model, tmp_path / "model.skdl")
    loaded = load(tmp_path / "model.skdl")
    model.partial_fit(X, target)
    loaded.partial_fit(X, target)
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))


def test_unfitted_estimators_round_trip(tmp_path):
    save(MLPClassifier(alpha=0.5), tmp_path / "model.skdl")
    assert load(tmp_path / "model.skdl").alpha == 0.5


def test_python_object_parameters_must_be_passed_to_load(iris, tmp_path):
    X, y = iris
    callback = LRScheduler("StepLR", step_size=1)
    model = MLPClassifier((4,), max_iter=2, callbacks=[callback], random_state=0)
    save(model.fit(X, y), tmp_path / "model.skdl")
    with pytest.raises(
        ValueError, match=r"could not store the parameters \['callbacks'\]"
    ):
        load(tmp_path / "model.skdl")
    loaded = load(tmp_path / "model.skdl", callbacks=None)
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))


class _Payload:
    def __reduce__(self):
        return (os.system, ("echo owned > /tmp/skdl-io-owned",))


def test_a_file_with_a_pickle_payload_is_refused(tmp_path):
    path = tmp_path / "evil.skdl"
    torch.save({"header": _Payload(), "sha256": "", "tensors": {}}, path)
    with pytest.raises(ValueError, match="not a valid skdl model file"):
        load(path)
    path.write_bytes(pickle.dumps(_Payload()))
    with pytest.raises(ValueError, match="not a valid skdl model file"):
        load(path)
    assert not os.path.exists("/tmp/skdl-io-owned")


def test_truncated_altered_and_foreign_files_are_refused(iris, tmp_path):
    X, y = iris
    path = tmp_path / "model.skdl"
    save(MLPClassifier((4,), max_iter=2, random_state=0).fit(X, y), path)
    raw = path.read_bytes()
    (tmp_path / "short.skdl").write_bytes(raw[: len(raw) // 2])
    with pytest.raises(ValueError, match="not a valid skdl model file"):
        load(tmp_path / "short.skdl")

    payload = torch.load(path, weights_only=True)
    payload["tensors"]["t0"] = payload["tensors"]["t0"] + 1
    torch.save(payload, tmp_path / "altered.skdl")
    with pytest.raises(ValueError, match="altered or damaged"):
        load(tmp_path / "altered.skdl")

    torch.save({"header": "{}", "sha256": "", "tensors": {}}, tmp_path / "other.pt")
    with pytest.raises(ValueError, match="not an skdl model file"):
        load(tmp_path / "other.pt")


def test_a_newer_format_asks_for_an_upgrade(iris, tmp_path, monkeypatch):
    X, y = iris
    import skdl.io

    monkeypatch.setattr(skdl.io, "FORMAT_VERSION", FORMAT_VERSION + 1)
    save(MLPClassifier((4,), max_iter=2, random_state=0).fit(X, y), tmp_path / "m")
    monkeypatch.setattr(skdl.io, "FORMAT_VERSION", FORMAT_VERSION)
    with pytest.raises(ValueError, match="Upgrade skdl"):
        load(tmp_path / "m")


def test_only_public_skdl_estimators_are_saved(tmp_path):
    from sklearn.linear_model import LogisticRegression

    with pytest.raises(TypeError, match="public estimators only"):
        save(LogisticRegression(), tmp_path / "m")


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_a_gpu_model_loads_and_predicts_on_cpu(iris, tmp_path, monkeypatch):
    X, y = iris
    model = MLPClassifier((8,), max_iter=5, random_state=0, device="cuda").fit(X, y)
    save(model, tmp_path / "m")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.warns(UserWarning, match="Loading the model on the CPU"):
        loaded = load(tmp_path / "m")
    assert loaded.net_.device == "cpu"
    np.testing.assert_allclose(
        loaded.predict_proba(X), model.predict_proba(X), atol=1e-6
    )


@pytest.mark.parametrize("name", sorted(CASES))
def test_every_estimator_round_trips_through_io_pickle_and_joblib(tmp_path, name):
    X, y = CASES[name].data()
    model = CASES[name].make().fit(X, y)
    expected = outputs(model, X)
    save(model, tmp_path / "model.skdl")
    joblib.dump(model, tmp_path / "model.joblib")
    copies = {
        "skdl.io": load(tmp_path / "model.skdl"),
        "pickle": pickle.loads(pickle.dumps(model)),
        "joblib": joblib.load(tmp_path / "model.joblib"),
    }
    for how, copy in copies.items():
        assert type(copy) is type(model), how
        got = outputs(copy, X)
        assert got.keys() == expected.keys()
        for method, want in expected.items():
            np.testing.assert_array_equal(got[method], want, err_msg=f"{how} {method}")
    if name == "RBMTransformer":  # the Gibbs sampler's generator continues too
        np.testing.assert_array_equal(
            copies["skdl.io"].gibbs(X[:5]), model.gibbs(X[:5])
        )
