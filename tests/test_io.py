"""skdl.io: files round-trip estimators exactly, and a file from a stranger is data.

The regression tests of issue 16: what a crafted file can no longer do (run code,
take the machine's memory or threads, hang a regular expression), what a saved or
copied model is (the trained network, whatever ``set_params`` did since; training
continues bit for bit), and a save that fails leaving the old file. The seeded
fuzz test is in ``test_io_fuzz.py``.
"""

import copy
import errno
import io
import json
import math
import os
import pickle
import stat
import time
import zipfile
from pathlib import Path

import joblib
import numpy as np
import pytest
import torch
from estimator_cases import CASES, outputs
from io_files import pack, read, write
from sklearn.base import clone
from sklearn.datasets import load_iris
from skorch.callbacks import Callback, LRScheduler

import skdl.io
from skdl import (
    AutoencoderTransformer,
    GANSampler,
    HOGTransformer,
    LSTMTextClassifier,
    LVQClassifier,
    MLPClassifier,
    MLPRegressor,
    RBMTransformer,
)
from skdl.exceptions import ModelFileError
from skdl.io import FORMAT_VERSION, SAFE_TOKEN_PATTERNS, load, save

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


@pytest.fixture(scope="module")
def iris():
    X, y = load_iris(return_X_y=True)
    return X, np.array(["setosa", "versicolor", "virginica"])[y]


def _saved(tmp_path, estimator, name="model.skdl"):
    path = tmp_path / name
    save(estimator, path)
    return path


def _fitted(name, **params):
    X, y = CASES[name].data()
    return CASES[name].make(**params).fit(X, y), X, y


# -- round trips --------------------------------------------------------------------
@pytest.mark.parametrize(
    "estimator",
    [
        MLPClassifier((8,), max_iter=5, early_stopping=True, random_state=0),
        MLPClassifier((8,), solver="lbfgs", max_iter=5, random_state=0),
        MLPClassifier((8,), max_iter=5, precision="float64", random_state=0),
        LVQClassifier(max_iter=3, random_state=0),
        LVQClassifier(max_iter=3, precision="float64", random_state=0),
        LVQClassifier(variant="gmlvq", max_iter=3, random_state=0),
        LVQClassifier(variant="olvq1", max_iter=3, random_state=0),
    ],
    ids=lambda est: "-".join(
        [type(est).__name__, est.get_params().get("variant", ""), est.precision]
    ),
)
def test_round_trip_keeps_predictions_and_training_state(iris, tmp_path, estimator):
    X, y = iris
    model = estimator.fit(X, y)
    loaded = load(_saved(tmp_path, model))
    assert type(loaded) is type(model)
    assert loaded.get_params() == model.get_params()
    np.testing.assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))
    assert loaded.predict_proba(X).dtype == model.predict_proba(X).dtype
    np.testing.assert_array_equal(loaded.classes_, model.classes_)
    assert loaded.history_ is loaded.net_.history
    assert list(loaded.history_[:, "train_loss"]) == model.loss_curve_
    # training continues from the loaded weights exactly as from the original
    model.set_params(warm_start=True).fit(X, y)
    loaded.set_params(warm_start=True).fit(X, y)
    np.testing.assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))


def test_unfitted_estimators_round_trip(tmp_path):
    assert load(_saved(tmp_path, MLPClassifier(alpha=0.5))).alpha == 0.5


def test_python_object_parameters_must_be_passed_to_load(iris, tmp_path):
    X, y = iris
    callback = LRScheduler("StepLR", step_size=1)
    model = MLPClassifier((4,), max_iter=2, callbacks=[callback], random_state=0)
    path = _saved(tmp_path, model.fit(X, y))
    with pytest.raises(
        ModelFileError, match=r"could not store the parameters \['callbacks'\]"
    ):
        load(path)
    loaded = load(path, callbacks=None)
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))
    with pytest.raises(ModelFileError, match="has no parameter 'callback'"):
        load(path, callbacks=None, callback=None)


def test_parameters_given_to_load_that_build_another_network_are_named(iris, tmp_path):
    X, y = iris
    path = _saved(tmp_path, MLPClassifier((4,), max_iter=2, random_state=0).fit(X, y))
    with pytest.raises(
        ModelFileError,
        match=r"parameters given to load \(hidden_layer_sizes\) build another",
    ):
        load(path, hidden_layer_sizes=(5,))
    # where the file itself is at fault, the file is named as such
    raw = bytearray(path.read_bytes())
    raw[-20:] = bytes(20)
    path.write_bytes(bytes(raw))
    with pytest.raises(ModelFileError, match="is not a valid skdl model file"):
        load(path, hidden_layer_sizes=(5,))


def _outputs(estimator, X) -> list:
    return list(outputs(estimator, X).values())


@pytest.mark.parametrize("name", sorted(CASES))
def test_every_estimator_round_trips_through_io_pickle_and_joblib(tmp_path, name):
    model, X, _ = _fitted(name)
    expected = _outputs(model, X)
    joblib.dump(model, tmp_path / "model.joblib")
    copies = {
        "skdl.io": load(_saved(tmp_path, model)),
        "pickle": pickle.loads(pickle.dumps(model)),
        "joblib": joblib.load(tmp_path / "model.joblib"),
    }
    for how, copied in copies.items():
        assert type(copied) is type(model), how
        for got, want in zip(_outputs(copied, X), expected, strict=True):
            np.testing.assert_array_equal(got, want, err_msg=how)
    # saving and pickling read the model and change nothing in it (scikit-learn's
    # __getstate__ returns the instance's own __dict__: an override must copy it)
    before = {key: id(value) for key, value in vars(model).items()}
    pickle.dumps(model)
    save(model, tmp_path / "again")
    assert {key: id(value) for key, value in vars(model).items()} == before
    if name in ("RBMTransformer", "BoltzmannMachine"):  # so does the Gibbs sampler
        np.testing.assert_array_equal(
            copies["skdl.io"].gibbs(X[:5]), model.gibbs(X[:5])
        )


# -- saved and copied models are the model ------------------------------------------
@pytest.mark.parametrize(
    ("name", "fit_params", "change"),
    [
        ("MLPClassifier", {}, {"activation": "tanh"}),
        ("MLPClassifier", {}, {"hidden_layer_sizes": (7, 3)}),
        ("MLPRegressor", {}, {"batch_norm": True, "dropout": 0.5}),
        ("LSTMClassifier", {}, {"pooling": "max"}),
        ("LSTMClassifier", {}, {"cell": "gru"}),
        ("LSTMRegressor", {}, {"bidirectional": True, "num_layers": 2}),
        ("LSTMTextClassifier", {}, {"pooling": "mean", "embedding_dim": 6}),
        ("CNNClassifier", {}, {"activation": "tanh"}),
        ("CNNClassifier", {"pool_size": 2}, {"pooling": "avg"}),
        (
            "CNNClassifier",
            {
                "conv_filters": (2, 3),
                "dense_layers": (4,),
                "kernel_size": (3, 1),
                "pool_size": [3, None],
                "pool_strides": [(2, 1), None],
                "conv_dropout": [0.2, 0.0],
                "use_bias": False,
                "kernel_initializer": "orthogonal",
                "activation": ["tanh", "sigmoid", "relu"],
            },
            {"kernel_size": 3},
        ),
        (
            "MLPClassifier",
            {
                "hidden_layer_sizes": (5, 4),
                "activation": ["tanh", "swish"],
                "dropout": [0.1, 0.0],
                "use_bias": False,
                "kernel_initializer": "he_normal",
            },
            {"use_bias": True},
        ),
        ("LVQClassifier", {}, {"prototypes_per_class": 3, "variant": "gmlvq"}),
        ("MLPClassifier", {}, {"solver": "sgd", "alpha": 1.0}),
        ("AutoencoderTransformer", {}, {"hidden_layer_sizes": (5, 3)}),
        ("AutoencoderTransformer", {}, {"loss": "cross_entropy", "tied_weights": True}),
        ("BoltzmannMachine", {}, {"n_components": 5, "visible_units": "gaussian"}),
    ],
)
def test_set_params_after_fit_changes_neither_the_model_nor_its_file(
    tmp_path, name, fit_params, change
):
    # the trained network answers until the next fit, in memory and from a file
    model, X, y = _fitted(name, **fit_params)
    before = _outputs(model, X)
    model.set_params(**change)
    _assert_equal_lists(_outputs(model, X), before)
    loaded = load(_saved(tmp_path, model))
    assert {key: loaded.get_params()[key] for key in change} == change
    _assert_equal_lists(_outputs(loaded, X), before)
    # continuing refuses the new network alike (tests/test_base.py); with the
    # parameters set back, the file goes on training as the original does
    if hasattr(model, "partial_fit") and "solver" not in change:
        built = {key: model._built_with["module"][key] for key in change}
        for estimator in (model, loaded):
            with pytest.raises(ValueError, match="changed since it was built"):
                estimator.partial_fit(X, y)
            estimator.set_params(**built).partial_fit(X, y)
        _assert_equal_lists(_outputs(loaded, X), _outputs(model, X))


def _assert_equal_lists(got, want):
    for a, b in zip(got, want, strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("pretrainer", ["AutoencoderTransformer", "RBMTransformer"])
def test_an_mlp_keeps_the_model_that_pretrained_it(tmp_path, iris, pretrainer):
    X, y = iris
    X = X / X.max()
    pretrain = (
        AutoencoderTransformer((4,), code_activation="logistic", max_iter=2)
        if pretrainer == "AutoencoderTransformer"
        else RBMTransformer(4, n_iter=2)
    )
    model = MLPClassifier(
        (4,), activation="logistic", pretrain=pretrain, max_iter=2, random_state=0
    ).fit(X, y)
    loaded = load(_saved(tmp_path, model))
    assert type(loaded.pretrain_) is type(pretrain)
    np.testing.assert_array_equal(
        loaded.pretrain_.transform(X), model.pretrain_.transform(X)
    )
    np.testing.assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))


def test_a_user_module_is_rebuilt_from_the_class_passed_to_load(tmp_path):
    from neural_network.test_cnn import TinyNet

    model, X, _ = _fitted("CNNClassifier", module=TinyNet)
    path = _saved(tmp_path, model)
    with pytest.raises(ModelFileError, match=r"load\(path, module=\.\.\.\)"):
        load(path)
    loaded = load(path, module=TinyNet)  # checked on the meta device like ours
    np.testing.assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))


def test_a_warm_start_fit_with_another_solver_saves_the_trained_network(tmp_path):
    model, X, y = _fitted("MLPClassifier")
    model.set_params(warm_start=True, solver="sgd").fit(X, y)
    loaded = load(_saved(tmp_path, model))
    np.testing.assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))
    assert isinstance(loaded.net_.optimizer_, torch.optim.SGD)  # the net's own solver


def test_weighted_training_continues_exactly_after_loading(tmp_path):
    # the L2 step depends on the batch size and the mean sample weight of the fit
    X, _ = load_iris(return_X_y=True)
    target = np.arange(len(X), dtype=float)
    weight = np.linspace(0.5, 3.0, len(X))
    model = MLPRegressor(hidden_layer_sizes=(4,), alpha=0.1, random_state=0)
    model.partial_fit(X, target, sample_weight=weight)
    loaded = load(_saved(tmp_path, model))
    for _ in range(2):
        model.partial_fit(X, target, sample_weight=weight)
        loaded.partial_fit(X, target, sample_weight=weight)
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))
    assert loaded.loss_curve_ == model.loss_curve_


def _copies(model, tmp_path) -> dict:
    joblib.dump(model, tmp_path / "copy.joblib")
    return {
        "pickle": pickle.loads(pickle.dumps(model)),
        "deepcopy": copy.deepcopy(model),
        "joblib": joblib.load(tmp_path / "copy.joblib"),
        "skdl.io": load(_saved(tmp_path, model, "copy.skdl")),
    }


def _training_state(model) -> dict:
    """Everything that continued training changes, compared bit for bit."""
    if hasattr(model, "net_"):
        weights = model.net_.module_.state_dict()
        history = [
            {key: value for key, value in row.items() if key != "dur"}
            for row in model.history_
        ]
        extra = {"history": history, "loss_curve": model.loss_curve_}
    else:  # the RBM: weights, momentum and persistent chains in its buffers
        weights, extra = model.module_.state_dict(), {"n_iter": model.n_iter_}
    return {"weights": {k: v.clone() for k, v in weights.items()}, **extra}


def _assert_same_training(got, want, how):
    assert got["weights"].keys() == want["weights"].keys(), how
    for key in want["weights"]:
        assert torch.equal(got["weights"][key], want["weights"][key]), (how, key)
    assert {k: v for k, v in got.items() if k != "weights"} == {
        k: v for k, v in want.items() if k != "weights"
    }, how


_CONTINUED = [
    (name, how)
    for name in sorted(CASES)
    for how in ("partial_fit", "warm_start")
    if (how == "partial_fit" and hasattr(CASES[name].make(), "partial_fit"))
    or (how == "warm_start" and "warm_start" in CASES[name].make().get_params())
]


@pytest.mark.parametrize(("name", "how"), _CONTINUED)
def test_copies_continue_training_bit_for_bit(tmp_path, name, how):
    # pickle/deepcopy/joblib once lost the list of decayed weights (alpha > 0):
    # "Tensor list must have at least one tensor" on the next partial_fit
    model, X, y = _fitted(name)
    copies = _copies(model, tmp_path)

    def train(estimator):
        if how == "partial_fit":
            estimator.partial_fit(X, y)
            estimator.partial_fit(X, y)
        else:
            estimator.set_params(warm_start=True).fit(X, y)
        return _training_state(estimator)

    want = train(model)
    for copied_how, copied in copies.items():
        _assert_same_training(train(copied), want, copied_how)


def test_unpickled_net_decays_the_weights_of_its_own_module():
    model, _, _ = _fitted("MLPClassifier")
    copied = pickle.loads(pickle.dumps(model))
    module_weights = {id(p) for p in copied.net_.module_.parameters()}
    assert copied.net_.decayed_params_
    assert {id(p) for p in copied.net_.decayed_params_} <= module_weights


def test_loading_leaves_the_global_random_state_alone(tmp_path):
    path = _saved(tmp_path, _fitted("LSTMTextClassifier")[0])
    before = torch.random.get_rng_state()
    load(path)
    assert torch.equal(torch.random.get_rng_state(), before)


# -- saving is atomic ---------------------------------------------------------------
def test_a_save_that_fails_part_way_leaves_the_previous_file(tmp_path, monkeypatch):
    model, X, _ = _fitted("MLPClassifier")
    path = _saved(tmp_path, model)
    previous = path.read_bytes()

    def disk_full(payload, file):
        file.write(b"half a model")
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(torch, "save", disk_full)
    with pytest.raises(OSError, match=f"Cannot write {path}: No space left") as info:
        save(MLPClassifier(alpha=0.3), path)
    assert info.value.errno == errno.ENOSPC and info.value.filename == str(path)
    monkeypatch.undo()
    assert path.read_bytes() == previous
    assert sorted(os.listdir(tmp_path)) == ["model.skdl"]  # no temporary left over
    np.testing.assert_array_equal(load(path).predict(X), model.predict(X))
    save(MLPClassifier(alpha=0.3), path)  # a save that succeeds replaces it
    assert load(path).alpha == 0.3
    assert sorted(os.listdir(tmp_path)) == ["model.skdl"]


def test_a_path_that_cannot_be_a_file_says_why_and_writes_nothing(tmp_path):
    """The OS's errors would name the temporary file, not the user's path."""
    model = _fitted("MLPClassifier")[0]
    with pytest.raises(IsADirectoryError, match=r"is a folder; .*model\.skdl"):
        save(model, tmp_path)
    with pytest.raises(IsADirectoryError, match=r"is a folder; "):
        save(model, f"{tmp_path / 'models'}{os.sep}")  # wrote a file 'models'
    missing = tmp_path / "no such folder" / "model.skdl"
    with pytest.raises(
        FileNotFoundError, match=r"the folder .*no such folder.* does not"
    ):
        save(model, missing)
    assert os.listdir(tmp_path) == []
    assert not [name for name in os.listdir(tmp_path.parent) if name.endswith(".tmp")]


def test_save_follows_links_and_replaces_only_regular_files(tmp_path, monkeypatch):
    # as open(path, "wb"): a link's target is written; a pipe (or, as root,
    # /dev/null) must not be replaced by a regular file
    model = _fitted("MLPClassifier")[0]
    pipe = tmp_path / "pipe"
    os.mkfifo(pipe)
    with pytest.raises(FileExistsError, match="pipe: it is not a regular file"):
        save(model, pipe)
    assert stat.S_ISFIFO(os.stat(pipe).st_mode)
    target, link = tmp_path / "target.skdl", tmp_path / "link.skdl"
    save(MLPClassifier(alpha=0.1), target)
    link.symlink_to(target)
    save(MLPClassifier(alpha=0.2), link)
    assert link.is_symlink() and load(target).alpha == 0.2
    dangling = tmp_path / "dangling.skdl"
    dangling.symlink_to(tmp_path / "new.skdl")
    save(model, dangling)
    assert dangling.is_symlink() and (tmp_path / "new.skdl").is_file()

    def refused(*args, **kwargs):  # a folder where this user may not create files
        raise PermissionError(errno.EACCES, "Permission denied", args[0])

    monkeypatch.setattr(os, "open", refused)
    with pytest.raises(PermissionError, match=r"Cannot write .*target\.skdl: Perm"):
        save(model, target)
    monkeypatch.undo()
    assert load(target).alpha == 0.2


# -- what a file cannot do ----------------------------------------------------------
@pytest.fixture()
def tamper(tmp_path):
    """``tamper(model, change)``: the model's file after ``change(header, tensors)``,
    with the digest recomputed."""

    def make(model, change):
        header, tensors = read(_saved(tmp_path, model, "original.skdl"))
        change(header, tensors)
        write(tmp_path / "tampered.skdl", header, tensors)
        return tmp_path / "tampered.skdl"

    return make


def _no_compile(monkeypatch) -> list:
    calls = []
    monkeypatch.setattr(torch, "compile", lambda *a, **k: calls.append(k))
    return calls


def test_a_file_cannot_ask_for_torch_compile(tamper, tmp_path, monkeypatch):
    calls = _no_compile(monkeypatch)
    model, _, _ = _fitted("MLPClassifier")
    options = {"__dict__": [["options", {"__dict__": [["cpp.cxx", "/bin/sh"]]}]]}
    for where in ("params", "module", "net"):

        def change(header, tensors, where=where):
            target = header["params"] if where == "params" else None
            target = target or header["attributes"]["_built_with"][where]
            target["compile"] = options

        with pytest.raises(ModelFileError, match=r"compile=.*not restored"):
            load(tamper(model, change))
    path = tamper(model, lambda h, t: h["params"].update(compile=True))
    with pytest.raises(ModelFileError, match="trusted=True"):
        load(path)
    # the caller may choose; trusted=True restores what the file says
    assert load(path, compile=False).net_.compile_options is None
    assert load(path, trusted=True).compile is True
    assert calls == []
    assert sorted(os.listdir(tmp_path)) == ["original.skdl", "tampered.skdl"]


@pytest.mark.parametrize("key", ["n_threads", "n_jobs"])
def test_a_file_cannot_ask_for_more_threads_than_cores(tamper, key):
    name = "HOGTransformer" if key == "n_jobs" else "MLPClassifier"
    model, _, _ = _fitted(name)
    path = tamper(model, lambda h, t: h["params"].update({key: 100_000}))
    with pytest.raises(ModelFileError, match=f"{key}=100000 .*cores"):
        load(path)
    assert getattr(load(path, **{key: 1}), key) == 1
    assert getattr(load(path, trusted=True), key) == 100_000


@pytest.mark.parametrize("name", ["HOGTransformer", "CNNClassifier"])
def test_the_image_shape_parameter_must_describe_the_fitted_images(
    tamper, tmp_path, name
):
    # a HOGTransformer whose image_shape said 1e9 x 1e9 pixels loaded, and
    # transformed rows as the fitted shape while get_params said otherwise
    model, _, _ = _fitted(name)
    height, width, _ = model.image_shape_

    def with_shape(shape):
        encoded = {"__tuple__": list(shape)}
        return tamper(model, lambda h, t: h["params"].update(image_shape=encoded))

    with pytest.raises(ModelFileError, match="does not describe its fitted images"):
        load(with_shape((10**9, 10**9, 1)))
    with pytest.raises(ModelFileError, match="does not describe its fitted images"):
        load(with_shape((width, height)) if width != height else with_shape((1, 1)))
    assert load(with_shape((height, width))).image_shape == (height, width)
    with pytest.raises(ModelFileError, match="does not describe its fitted images"):
        load(_saved(tmp_path, model), image_shape=(height + 1, width))


@pytest.mark.parametrize("name", ["CNNClassifier", "GANSampler"])
def test_a_network_loads_after_its_image_shape_was_set_anew(tmp_path, name):
    # the fitted network keeps the shape that built it; set_params only
    # changes the next fit, and save writes both
    if name == "GANSampler":
        images = np.random.default_rng(0).random((16, 64))
        model = GANSampler(image_shape=(8, 8), noise_dim=3, max_iter=1, random_state=0)
        model.fit(images)
    else:
        model, _, _ = _fitted(name)
    shape = (model.n_features_in_, 1)  # rows of n_features_in_ x 1 pixels
    model.set_params(image_shape=shape)
    loaded = load(_saved(tmp_path, model))
    assert loaded.image_shape == shape
    assert loaded.image_shape_ == model.image_shape_


def test_a_file_cannot_restore_a_backtracking_token_pattern(tamper):
    model, X, _ = _fitted("LSTMTextClassifier")
    evil = r"(\w+\s?)+$"
    path = tamper(model, lambda h, t: h["params"].update(token_pattern=evil))
    start = time.perf_counter()
    with pytest.raises(ModelFileError, match="SAFE_TOKEN_PATTERNS"):
        load(path)
    assert time.perf_counter() - start < 5
    # the caller's own pattern is the caller's choice
    loaded = load(path, token_pattern=r"(?u)\b\w\w+\b")
    np.testing.assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))
    assert r"(?u)\b\w\w+\b" in SAFE_TOKEN_PATTERNS
    assert load(path, trusted=True).token_pattern == evil


def test_a_model_with_a_whitelisted_pattern_loads(tmp_path):
    model, X, _ = _fitted("LSTMTextClassifier", token_pattern=r"\S+")
    loaded = load(_saved(tmp_path, model))
    np.testing.assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))


@pytest.mark.parametrize(
    ("name", "key", "value"),
    [
        ("MLPClassifier", "hidden_layer_sizes", {"__tuple__": [200_000, 200_000]}),
        ("MLPClassifier", "hidden_layer_sizes", [1] * 100_000),
        ("LSTMClassifier", "num_layers", 10**9),
        ("LSTMTextClassifier", "embedding_dim", 10**9),
        ("LVQClassifier", "prototypes_per_class", 10**12),
        ("CNNClassifier", "conv_filters", {"__tuple__": [10**9]}),
        ("AutoencoderTransformer", "hidden_layer_sizes", {"__tuple__": [10**9]}),
        ("BoltzmannMachine", "n_components", 10**9),
        ("BoltzmannMachine", "n_chains", 10**12),
    ],
)
@pytest.mark.parametrize("part", ["params", "module"])
def test_sizes_are_checked_against_the_stored_weights_first(
    tamper, name, key, value, part
):
    # 200000 x 200000 weights would be 160 GB; the file holds a few hundred bytes
    model, _, _ = _fitted(name)

    def change(header, tensors):
        target = header["params"] if part == "params" else None
        (target or header["attributes"]["_built_with"]["module"])[key] = value

    start = time.perf_counter()
    with pytest.raises(ModelFileError, match="not a valid skdl model file"):
        load(tamper(model, change))
    assert time.perf_counter() - start < 5


def test_an_rbm_module_must_match_its_weights(tamper):
    model, _, _ = _fitted("RBMTransformer")

    def change(header, tensors):
        config = header["attributes"]["module_"]["config"]["__dict__"]
        for pair in config:
            if pair[0] == "n_hidden":
                pair[1] = 10**12

    with pytest.raises(ModelFileError, match="weight 'flat'"):
        load(tamper(model, change))


@pytest.mark.parametrize(
    ("name", "change", "message"),
    [
        ("MLPClassifier", {"n_features_in_": 5}, "weight '0.weight'"),
        ("MLPClassifier", {"n_outputs_": 4}, "3 labels, but the network has 4"),
        ("MLPClassifier", {"n_layers_": 4}, "n_layers_=4"),
        ("MLPClassifier", {"loss_": 1.0}, "training history"),
        ("MLPClassifier", {"t_": -1}, "training history"),
        ("MLPClassifier", {"extra_": 1}, "unknown fitted attribute 'extra_'"),
        ("MLPClassifier", {"classes_": None}, "classes_"),
        ("MLPClassifier", {"out_activation_": "identity"}, "out_activation_"),
        ("MLPClassifier", {"feature_names_in_": ["a"]}, "feature_names_in_"),
        ("LSTMClassifier", {"input_shape_": {"__tuple__": [6, 3]}}, "input_shape_"),
        ("CNNClassifier", {"image_shape_": {"__tuple__": [8, 8, 2]}}, "image_shape_"),
        ("CNNClassifier", {"rescale_": {"__float__": "nan"}}, "rescale_"),
        ("LSTMTextClassifier", {"vocabulary_": {"__dict__": [["a", 9]]}}, "vocab"),
        ("LSTMTextClassifier", {"_ids_input": 1}, "_ids_input"),
        ("LVQClassifier", {"prototype_labels_": [0, 0, 0]}, "prototype_labels_"),
        ("RBMTransformer", {"n_features_in_": 7}, "module_ maps 6"),
        ("RBMTransformer", {"_gibbs_rng": 5}, "_gibbs_rng"),
        ("RBMTransformer", {"_epochs_trained": 1}, "_epochs_trained"),
        ("DBNTransformer", {"_n_features_out": 4}, "top layer"),
        ("HOGTransformer", {"n_features_in_": 255}, "image_shape_"),
        ("AutoencoderTransformer", {"n_features_in_": 5}, "weight 'encoder.0.weight'"),
        ("AutoencoderTransformer", {"_n_features_out": 3}, "_n_features_out=3"),
        ("AutoencoderTransformer", {"n_outputs_": 1}, "unknown fitted attribute"),
        ("AutoencoderTransformer", {"loss_": 1.0}, "training history"),
        ("BoltzmannMachine", {"_n_features_out": 4}, "_n_features_out=4"),
        ("BoltzmannMachine", {"_gibbs_rng": 5}, "_gibbs_rng"),
        ("BoltzmannMachine", {"_gibbs_rng": None}, "lacks the attribute '_gibbs_rng'"),
        ("HopfieldNetwork", {"n_features_in_": 7}, "patterns_"),
        ("HopfieldNetwork", {"patterns_": [[1, -1]]}, "patterns_"),
        ("HopfieldNetwork", {"coding_": [0, 2]}, "coding_"),
        ("HopfieldNetwork", {"capacity_": 1.5}, "capacity_"),
        ("HopfieldNetwork", {"coef_": None}, "missing for a classic one"),
        ("HopfieldNetwork", {"coef_": [[0.0]]}, "coef_ is not a finite symmetric"),
        (
            "LSTMLanguageModel",
            {"vocabulary_": {"__dict__": [["a", 0], ["</s>", 1]]}},
            r"vocabulary_ does not map '<unk>' to 0",
        ),
        ("NGramLanguageModel", {"_order": 40}, "not an int64 array of 40 token"),
        (
            "NGramLanguageModel",
            {"_order": 101},
            r"_order is 101, not an int in \[1, 100\]",
        ),
        (  # an array's `in` raised numpy's "truth value ... is ambiguous"
            "MLPClassifier",
            {
                "out_activation_": {
                    "__object_array__": ["softmax", "logistic"],
                    "shape": [2],
                    "dtype": "<U8",
                }
            },
            "out_activation_ is array",
        ),
        ("MLPClassifier", {"_sparse_y": True}, "only a classifier fitted on a sparse"),
        ("MLPClassifier", {"_one_hot": 1}, "only a classifier fitted on one-hot rows"),
        # the n-gram tables are rebuilt from the counts, never read
        ("NGramLanguageModel", {"_ngrams": []}, "unknown fitted attribute '_ngrams'"),
        ("GANSampler", {"mean_": None}, "neither the attributes of rows"),
        ("GANSampler", {"_dtype": "int8"}, "_dtype is 'int8'"),
        (
            "GANSampler",
            {"classes_": {"__object_array__": ["a"], "shape": [1], "dtype": "<U1"}},
            "classes_ do not agree with the conditional parameter",
        ),
    ],
)
def test_fitted_attributes_must_be_what_the_estimator_produces(
    tamper, name, change, message
):
    model, _, _ = _fitted(name)
    path = tamper(
        model,
        lambda h, t: (
            h["attributes"].update({k: v for k, v in change.items() if v is not None})
            or [h["attributes"].pop(k) for k, v in change.items() if v is None]
        ),
    )
    with pytest.raises(ModelFileError, match=message):
        load(path)


def test_an_image_transformer_cannot_ask_for_huge_outputs(tamper):
    model, _, _ = _fitted("ImageResizer")

    def huge(header, tensors):  # 2**26 features, consistently
        header["params"].update(size={"__tuple__": [2**13, 2**13]})
        header["attributes"]["_n_features_out"] = 2**26

    path = tamper(model, huge)
    with pytest.raises(ModelFileError, match="features per image"):
        load(path)
    assert load(path, trusted=True).size == (2**13, 2**13)
    # parameters whose width is not the fitted one never load
    path = tamper(
        model, lambda h, t: h["params"].update(size={"__tuple__": [10**5, 10**5]})
    )
    with pytest.raises(ModelFileError, match="not the 35 it was fitted to output"):
        load(path, trusted=True)


def test_optimizer_state_must_fit_the_network(tamper):
    model, _, _ = _fitted("MLPClassifier")

    def drop_moment(header, tensors):
        optimizer = header["attributes"]["net_"]["__net__"]["optimizer"]
        state = dict(optimizer["__dict__"])["state"]["__dict__"]
        first = state[0][1]["__dict__"]
        first[:] = [pair for pair in first if pair[0] != "exp_avg"]

    with pytest.raises(ModelFileError, match="optimizer state"):
        load(tamper(model, drop_moment))

    def swap(header, tensors):
        tensors[_weight_key(header)] = torch.zeros(3)  # now of the wrong shape

    with pytest.raises(ModelFileError, match="weight"):
        load(tamper(model, swap))


def test_the_weights_must_be_in_the_precision_of_the_model(tamper):
    model, _, _ = _fitted("MLPClassifier", precision="float64")
    path = tamper(model, lambda h, t: h["params"].update(precision="float32"))
    with pytest.raises(
        ModelFileError, match=r"torch\.float64.*trains in torch\.float32"
    ):
        load(path)

    def one_in_float32(header, tensors):
        key = _weight_key(header)
        tensors[key] = tensors[key].float()

    with pytest.raises(ModelFileError, match=r"weights are \['torch.float32', 'tor"):
        load(tamper(model, one_in_float32))


def test_every_optimizer_of_a_net_must_be_in_its_file(tamper):
    model, _, _ = _fitted("GANSampler")

    def drop(header, tensors):
        net = header["attributes"]["net_"]["__net__"]
        del net["discriminator_optimizer"]
        text = json.dumps(header)
        for key in list(tensors):  # its tensors too, which nothing refers to now
            if f'"{key}"' not in text:
                del tensors[key]

    with pytest.raises(ModelFileError, match="holds the optimizers \\['optimizer'\\]"):
        load(tamper(model, drop))


def test_an_image_gan_file_must_hold_the_pixel_grid_its_scale_needs(tamper):
    images = np.random.RandomState(0).randint(0, 256, size=(20, 8, 8)).astype(np.uint8)
    model = GANSampler(conv_filters=(2,), batch_size=20, max_iter=1, random_state=0)
    model.set_params(image_scale="logit").fit(images)
    rows, _, _ = _fitted("GANSampler")

    def set_levels(value):
        def change(header, tensors):
            if value is None:
                del header["attributes"]["pixel_levels_"]
            else:
                header["attributes"]["pixel_levels_"] = value

        return change

    def set_range(header, tensors):  # each end finite, their distance is not
        header["attributes"]["data_range_"] = {"__tuple__": [-1e308, 1e308]}

    for change, message in [
        (set_range, r"data_range_ is \(-1e\+308, 1e\+308\), not"),
        (set_levels(None), "image_scale='logit' needs the attribute 'pixel_levels_'"),
        (set_levels(1), r"pixel_levels_ is 1, not an int in \[2, 65536\]"),
        (set_levels(2.5), "pixel_levels_ is 2.5"),
    ]:
        with pytest.raises(ModelFileError, match=message):
            load(tamper(model, change))
    # the default, 'auto', chooses the scale by the grid: it needs the grid too
    auto = clone(model).set_params(image_scale="auto").fit(images)
    with pytest.raises(ModelFileError, match="'auto' needs the attribute 'pixel_le"):
        load(tamper(auto, set_levels(None)))
    with pytest.raises(ModelFileError, match="of rows holds pixel_levels_"):
        load(tamper(rows, set_levels(256)))
    # on the linear scale the grid is not needed (files written before it had none)
    linear = clone(model).set_params(image_scale="linear").fit(images)
    loaded = load(tamper(linear, set_levels(None)))
    np.testing.assert_array_equal(
        loaded.sample(5, random_state=0), linear.sample(5, random_state=0)
    )
    loaded.set_params(image_scale="logit", warm_start=True)
    with pytest.raises(ValueError, match="did not record its pixel grid"):
        loaded.fit(images)
    np.testing.assert_array_equal(
        loaded.sample(5, random_state=0), linear.sample(5, random_state=0)
    )
    assert loaded.set_params(warm_start=False).fit(images).pixel_levels_ == 256


@pytest.mark.parametrize(
    "change, match",
    [
        (lambda grams: grams.flip(0), "does not list distinct n-grams in sorted"),
        (lambda grams: grams[[0, 0]], "does not list distinct n-grams in sorted"),
        (lambda grams: grams + 100, r"not an int64 array of 3 token columns \(0 to"),
        (lambda grams: grams[:, :2], "not an int64 array of 3 token columns"),
    ],
)
def test_ngrams_must_be_sorted_distinct_rows_of_tokens(tamper, change, match):
    model, _, _ = _fitted("NGramLanguageModel")

    def apply(header, tensors):
        array = header["attributes"]["_ngram_tokens"]["__ndarray__"]["__tensor__"]
        tensors[array] = change(tensors[array]).clone()
        counts = header["attributes"]["_ngram_counts"]["__ndarray__"]["__tensor__"]
        tensors[counts] = tensors[counts][: len(tensors[array])].clone()

    with pytest.raises(ModelFileError, match=match):
        load(tamper(model, apply))


@pytest.mark.parametrize(
    "rows, counts, match",
    [  # V stands for <s>, which only pads a text's beginning
        ([["V", "V", "V"]], [1], "<s> after a token or as the token predicted"),
        ([[0, "V", 1]], [1], "<s> after a token or as the token predicted"),
        ([["V", 0, 1], ["V", 1, 0]], [2**62, 2**62], "a total of at most 2\\*\\*53"),
    ],
)
def test_ngrams_are_what_a_text_gives(tamper, rows, counts, match):
    # such files loaded, and predict_proba_next rows summed to 0.75
    model, _, _ = _fitted("NGramLanguageModel")
    size = len(model.vocabulary_)
    grams = torch.tensor([[size if t == "V" else t for t in row] for row in rows])

    def apply(header, tensors):
        stored = header["attributes"]
        tensors[stored["_ngram_tokens"]["__ndarray__"]["__tensor__"]] = grams
        tensors[stored["_ngram_counts"]["__ndarray__"]["__tensor__"]] = torch.tensor(
            counts
        )

    with pytest.raises(ModelFileError, match=match):
        load(tamper(model, apply))


def test_format_3_ngram_keys_are_read_as_token_columns(tamper):
    model, X, _ = _fitted("NGramLanguageModel")
    size = len(model.vocabulary_) + 1

    def as_format_3(header, tensors):  # one base-(V + 1) key per n-gram
        header["format_version"] = 3
        stored = header["attributes"]
        stored["_ngram_keys"] = stored.pop("_ngram_tokens")
        array = stored["_ngram_keys"]["__ndarray__"]["__tensor__"]
        powers = size ** torch.arange(model._order - 1, -1, -1)
        tensors[array] = (tensors[array] * powers).sum(1)

    loaded = load(tamper(model, as_format_3))
    np.testing.assert_array_equal(loaded._ngram_tokens, model._ngram_tokens)
    np.testing.assert_array_equal(loaded.score_samples(X), model.score_samples(X))

    def unsorted(header, tensors):
        as_format_3(header, tensors)
        array = header["attributes"]["_ngram_keys"]["__ndarray__"]["__tensor__"]
        tensors[array] = tensors[array].flip(0).contiguous()

    with pytest.raises(ModelFileError, match="does not list distinct n-grams in"):
        load(tamper(model, unsorted))

    def too_many(header, tensors):
        as_format_3(header, tensors)
        header["attributes"]["_order"] = 40

    with pytest.raises(ModelFileError, match=r"_ngram_keys is not .* below \d+\*\*40"):
        load(tamper(model, too_many))


def _weight_key(header) -> str:
    """The tensor of the network's first weight in a file's header."""
    state = header["attributes"]["net_"]["__net__"]["module"]["__dict__"]
    return state[0][1]["__tensor__"]


def test_non_finite_weights_are_refused(tamper):
    model, _, _ = _fitted("MLPClassifier")
    path = tamper(model, lambda h, t: t[_weight_key(h)].fill_(float("nan")))
    with pytest.raises(ModelFileError, match="NaN or infinite"):
        load(path)


# -- files that are not model files -------------------------------------------------
class _Payload:
    def __reduce__(self):
        return (os.system, ("echo owned > /tmp/skdl-io-owned",))


@pytest.mark.parametrize("trusted", [False, True])
def test_a_file_with_a_pickle_payload_is_refused(tmp_path, trusted):
    path = tmp_path / "evil.skdl"
    torch.save({"header": _Payload(), "sha256": "", "tensors": {}}, path)
    with pytest.raises(ModelFileError, match="not a valid skdl model file"):
        load(path, trusted=trusted)
    path.write_bytes(pickle.dumps(_Payload()))
    with pytest.raises(ModelFileError, match="not a valid skdl model file"):
        load(path, trusted=trusted)
    assert not os.path.exists("/tmp/skdl-io-owned")


def test_truncated_altered_and_foreign_files_are_refused(iris, tmp_path):
    X, y = iris
    path = _saved(tmp_path, MLPClassifier((4,), max_iter=2, random_state=0).fit(X, y))
    raw = path.read_bytes()
    (tmp_path / "short.skdl").write_bytes(raw[: len(raw) // 2])
    with pytest.raises(ModelFileError, match="not a valid skdl model file"):
        load(tmp_path / "short.skdl")

    payload = torch.load(path, weights_only=True)
    payload["tensors"]["t0"] = payload["tensors"]["t0"] + 1
    torch.save(payload, tmp_path / "altered.skdl")
    with pytest.raises(ModelFileError, match="altered or damaged"):
        load(tmp_path / "altered.skdl")

    torch.save({"header": "{}", "sha256": "", "tensors": {}}, tmp_path / "other.pt")
    with pytest.raises(ModelFileError, match="does not name the 'skdl-estimator'"):
        load(tmp_path / "other.pt")


def test_versions_other_than_this_one_say_what_to_do(iris, tmp_path, monkeypatch):
    X, y = iris
    model = MLPClassifier((4,), max_iter=2, random_state=0).fit(X, y)
    monkeypatch.setattr(skdl.io, "FORMAT_VERSION", FORMAT_VERSION + 1)
    save(model, tmp_path / "newer")
    monkeypatch.setattr(skdl.io, "FORMAT_VERSION", skdl.io._OLDEST_READ_VERSION - 1)
    save(model, tmp_path / "older")
    monkeypatch.undo()
    with pytest.raises(
        ModelFileError, match=rf"newer skdl .* format {FORMAT_VERSION + 1}.*Upgrade"
    ):
        load(tmp_path / "newer")
    with pytest.raises(ModelFileError, match="Fit the model again"):
        load(tmp_path / "older")


def test_format_2_cnn_files_keep_their_per_layer_tuples(tmp_path):
    # format 2 read kernel_size=(3, 5) on two conv layers as 3 then 5; format 3
    # reads a tuple as one 3x5 kernel, a list as per layer: a format-2 file's
    # tuples load as the lists that mean what they meant
    X, y = CASES["CNNClassifier"].data()
    model = CASES["CNNClassifier"].make(
        conv_filters=(2, 3), kernel_size=[3, 5], pool_size=[2, 1]
    )
    model.fit(X, y)
    path = _saved(tmp_path, model)
    header, tensors = read(path)
    assert header["params"]["kernel_size"] == [3, 5]
    header["format_version"] = 2
    for key in ("conv_dropout", "pool_strides", "use_bias", "kernel_initializer"):
        del header["params"][key]  # not parameters in format 2
    for key in ("kernel_size", "pool_size"):
        header["params"][key] = {"__tuple__": header["params"][key]}
    write(tmp_path / "v2.skdl", header, tensors)
    loaded = load(tmp_path / "v2.skdl")
    assert loaded.kernel_size == [3, 5] and loaded.pool_size == [2, 1]
    np.testing.assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))
    # the same tuples in a format-3 file are one rectangular window: the stored
    # weights do not fit that network, and load says so
    header["format_version"] = FORMAT_VERSION
    header["params"].update(read(path)[0]["params"])
    for key in ("kernel_size", "pool_size"):
        header["params"][key] = {"__tuple__": header["params"][key]}
    write(tmp_path / "v3.skdl", header, tensors)
    with pytest.raises(ModelFileError, match="weight"):
        load(tmp_path / "v3.skdl")


@pytest.mark.parametrize(
    "name", ["MLPClassifier", "MLPRegressor", "LSTMRegressor", "LSTMTextClassifier"]
)
def test_format_2_files_load_with_the_new_parameters_as_they_were(tmp_path, name):
    model, X, _ = _fitted(name)
    header, tensors = read(_saved(tmp_path, model))
    header["format_version"] = 2
    new = skdl.io._NEW_IN_FORMAT_3[name]
    for key in new:
        del header["params"][key]  # not parameters in format 2
    write(tmp_path / "v2.skdl", header, tensors)
    loaded = load(tmp_path / "v2.skdl")
    assert {key: loaded.get_params()[key] for key in new} == {
        key: model.get_params()[key] for key in new
    }
    _assert_equal_lists(_outputs(loaded, X), _outputs(model, X))


def _stored(folder: Path, name: str):
    """The model of a stored file, loaded, its inputs, and what it answered."""
    data = np.load(folder / f"{name}.npz")
    X = data["X"] if data["X"].dtype.kind != "U" else data["X"].tolist()
    return load(folder / f"{name}.skdl"), X, data


FORMAT_2_FILES = Path(__file__).parent / "data" / "format2"


@pytest.mark.parametrize(
    "name", sorted(path.stem for path in FORMAT_2_FILES.glob("*.skdl"))
)
def test_files_written_by_the_format_2_skdl_give_the_same_outputs(name):
    # written by skdl at commit 525c5b9 (the last to write format 2) from the
    # estimator_cases model of each, with its inputs and outputs beside it
    model, X, data = _stored(FORMAT_2_FILES, name)
    out = (
        model.predict_proba(X) if hasattr(model, "predict_proba") else model.predict(X)
    )
    _assert_same_answers(out, data["expected"], "predict_proba")


def _assert_same_answers(got, stored, method):
    """``got`` is ``stored`` bit for bit, except a binary classifier's first
    column of probabilities: sigmoid(-z) since 2026-12-04, where the files
    stored 1 - sigmoid(z), the same up to that subtraction's rounding."""
    binary = method in ("predict_proba", "predict_log_proba") and got.shape[1:] == (2,)
    if not binary:
        np.testing.assert_array_equal(got, stored, err_msg=method)
        return
    np.testing.assert_array_equal(got[:, 1], stored[:, 1], err_msg=method)
    eps = np.finfo(np.float32).eps  # these models compute in float32
    np.testing.assert_allclose(got[:, 0], stored[:, 0], rtol=eps, atol=eps)


FORMAT_3_FILES = Path(__file__).parent / "data" / "format3"


@pytest.mark.parametrize(
    "name", sorted(path.stem for path in FORMAT_3_FILES.glob("*.skdl"))
)
def test_files_written_before_parameters_were_added_give_the_same_outputs(name):
    # written by skdl at commit 71b433c (format 3) from the estimator_cases model
    # of each, with its inputs and every output beside it: parameters added to an
    # estimator since then (skdl.io._ADDED_IN_FORMAT_3) must not stop these files
    # from loading, nor change one bit of what they answer
    model, X, data = _stored(FORMAT_3_FILES, name)
    got = outputs(model, X)
    assert sorted(got) == sorted(key for key in data.files if key != "X")
    for method, values in got.items():
        _assert_same_answers(values, data[method], method)


def test_every_estimator_has_a_file_written_in_format_3():
    assert sorted(path.stem for path in FORMAT_3_FILES.glob("*.skdl")) == sorted(CASES)


@pytest.mark.parametrize("what", ["/dev/zero", "folder", "fifo"])
def test_only_regular_files_are_read(tmp_path, what):
    path = {"/dev/zero": "/dev/zero", "folder": tmp_path}.get(what)
    if what == "fifo":
        path = tmp_path / "pipe"
        os.mkfifo(path)  # opening it must not wait for a writer
    with pytest.raises(ModelFileError, match="not a regular file"):
        load(path)


def test_large_files_need_trust(tmp_path, monkeypatch):
    model, X, _ = _fitted("MLPClassifier")
    path = _saved(tmp_path, model)
    monkeypatch.setattr(skdl.io, "MAX_FILE_SIZE", path.stat().st_size - 1)
    with pytest.raises(ModelFileError, match=r"MAX_FILE_SIZE.*trusted=True"):
        load(path)
    np.testing.assert_array_equal(load(path, trusted=True).predict(X), model.predict(X))


def test_a_trusted_file_too_large_for_memory_is_a_model_file_error(
    tmp_path, monkeypatch
):
    path = _saved(tmp_path, MLPClassifier())
    real_fdopen = os.fdopen

    class Huge:
        def __init__(self, file):
            self.file = file

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.file.close()

        def read(self, size):
            raise MemoryError

    monkeypatch.setattr(os, "fdopen", lambda *a, **k: Huge(real_fdopen(*a, **k)))
    with pytest.raises(ModelFileError, match="more than this machine can read"):
        load(path, trusted=True)


@pytest.mark.parametrize("dtype", ["i4,(", ",", "f4,i4", "(", 7, "a" * 20])
def test_a_crafted_dtype_is_a_model_file_error(tmp_path, dtype):
    # NumPy reads "i4,(" as a record of fields and raises SyntaxError on it
    model, _, _ = _fitted("LVQClassifier")
    header, tensors = read(_saved(tmp_path, model))
    arrays = [
        entry
        for entry in _entries(header["attributes"])
        if isinstance(entry, dict) and "__ndarray__" in entry
    ]
    assert arrays
    arrays[0]["dtype"] = dtype
    write(tmp_path / "crafted.skdl", header, tensors)
    with pytest.raises(ModelFileError, match="is not a NumPy dtype"):
        load(tmp_path / "crafted.skdl")


def _entries(value):
    """Every JSON object and list nested in ``value``, ``value`` first."""
    yield value
    children = value.values() if isinstance(value, dict) else value
    if isinstance(value, (dict, list)):
        for child in children:
            yield from _entries(child)


def test_messages_survive_values_nested_too_deep_to_print():
    deep = 1
    for _ in range(5000):
        deep = [deep]
    # Python 3.11 cannot repr it; 3.12's deeper C stack can: either way, short
    assert skdl.io._short(deep) in ("a deeply nested value", "[" * 57 + "...")

    class Unprintable:
        def __repr__(self):
            raise RecursionError

    assert skdl.io._short(Unprintable()) == "a deeply nested value"


def _rezip(raw: bytes, replace: dict, compression=zipfile.ZIP_STORED) -> bytes:
    """The archive ``raw`` with some records replaced (names after the folder)."""
    source = zipfile.ZipFile(io.BytesIO(raw))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=compression) as target:
        for entry in source.infolist():
            record = entry.filename.split("/", 1)[1]
            target.writestr(entry.filename, replace.get(record, source.read(entry)))
    return out.getvalue()


def test_a_compressed_archive_is_refused_before_it_expands(tmp_path):
    # a deflated record of 64 MB zeros takes 64 kB: a zip bomb in torch's format
    model, _, _ = _fitted("MLPClassifier")
    header, tensors = read(_saved(tmp_path, model))
    tensors = {**tensors, "t999": torch.zeros(2**24)}
    bomb = _rezip(pack(header, tensors), {}, compression=zipfile.ZIP_DEFLATED)
    assert len(bomb) < 2**20
    (tmp_path / "bomb.skdl").write_bytes(bomb)
    with pytest.raises(ModelFileError, match="compressed"):
        load(tmp_path / "bomb.skdl")


def test_a_tensor_cannot_be_a_view_larger_than_its_storage(tmp_path):
    # 16 stored bytes that torch would present as 10**9 floats (stride 0)
    tensors = {"t0": torch.arange(4, dtype=torch.float32)}
    raw = pack({"format": "skdl-estimator", "format_version": FORMAT_VERSION}, tensors)
    pickled = zipfile.ZipFile(io.BytesIO(raw)).read(
        next(n for n in zipfile.ZipFile(io.BytesIO(raw)).namelist() if "data.pkl" in n)
    )
    size = (4).to_bytes(1, "little")
    assert pickled.count(b"K" + size + b"\x85") == 1  # the tensor's size (4,)
    huge = pickled.replace(
        b"K" + size + b"\x85", b"J" + (10**9).to_bytes(4, "little") + b"\x85"
    )
    huge = huge.replace(b"K\x01\x85", b"K\x00\x85")  # stride (1,) -> (0,)
    (tmp_path / "view.skdl").write_bytes(_rezip(raw, {"data.pkl": huge}))
    with pytest.raises(ModelFileError, match="view of a storage"):
        load(tmp_path / "view.skdl")


def test_a_tensor_cannot_be_used_twice(tamper):
    model, _, _ = _fitted("MLPClassifier")

    def reuse(header, tensors):
        net = header["attributes"]["net_"]["__net__"]
        pairs = net["module"]["__dict__"]
        pairs[1][1] = pairs[0][1]  # two weights, one tensor

    with pytest.raises(ModelFileError, match=r"twice|nothing refers"):
        load(tamper(model, reuse))


def test_model_file_error_is_a_value_error():
    assert issubclass(ModelFileError, ValueError)
    assert LSTMTextClassifier().token_pattern in SAFE_TOKEN_PATTERNS


def test_only_public_skdl_estimators_are_saved(tmp_path):
    from sklearn.linear_model import LogisticRegression

    with pytest.raises(TypeError, match="public estimators only"):
        save(LogisticRegression(), tmp_path / "m")


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_a_gpu_model_loads_and_predicts_on_cpu(iris, tmp_path, monkeypatch):
    X, y = iris
    model = MLPClassifier((8,), max_iter=5, random_state=0, device="cuda").fit(X, y)
    expected = model.predict_proba(X)  # before CUDA is hidden
    save(model, tmp_path / "m")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.warns(UserWarning, match="Loading the model on the CPU"):
        loaded = load(tmp_path / "m")
    assert loaded.net_.device == "cpu"
    np.testing.assert_allclose(loaded.predict_proba(X), expected, atol=1e-6)


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has CUDA")
@pytest.mark.parametrize(
    "name", ["HOGTransformer", "HopfieldNetwork", "RBMTransformer", "DBNTransformer"]
)
def test_a_model_for_a_device_missing_here_computes_on_the_cpu(name, tmp_path):
    """Fitting on a missing device is an error; a fitted model brought from a GPU
    machine (here: its device set afterwards) computes on the CPU, with a warning,
    as a loaded network does: RBMs as they load, HOG and Hopfield networks (which
    hold no module, so pickle too) as they compute."""
    case = CASES[name]
    X, y = case.data()
    with pytest.raises(ValueError, match="CUDA"):
        case.make(device="cuda").fit(X, y)
    model = case.make().fit(X, y)
    expected = outputs(model, X)
    for part in [model, *getattr(model, "rbms_", [])]:  # a DBN's layers too
        part.set_params(device="cuda")
    save(model, tmp_path / "m")
    restores = [lambda: load(tmp_path / "m")]
    if name in ("HOGTransformer", "HopfieldNetwork"):
        restores.append(lambda: pickle.loads(pickle.dumps(model)))
    for restore in restores:
        with pytest.warns(UserWarning, match="on the CPU instead"):
            results = outputs(restore(), X)
        for method, value in results.items():
            np.testing.assert_array_equal(value, expected[method], err_msg=method)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_weights_assigned_before_fitting_are_checked_when_loaded(tmp_path, iris):
    model = MLPClassifier((3,))
    model.coefs_ = [np.zeros((4, 3)), np.zeros((3, 3))]
    model.intercepts_ = [np.zeros(3), np.zeros(3)]
    header, tensors = read(_saved(tmp_path, model))
    layers = header["attributes"]["_initial_layers"]
    for bad in ([["not an array"]], {"__tuple__": []}):
        header["attributes"]["_initial_layers"] = {"__dict__": [["coefs_", bad]]}
        write(tmp_path / "bad.skdl", header, tensors)
        with pytest.raises(ModelFileError, match="not lists of numeric arrays"):
            load(tmp_path / "bad.skdl")
    # a fitted model never holds them: its first fit used them
    fitted = MLPClassifier((3,), max_iter=2, random_state=0).fit(*iris)
    header, tensors = read(_saved(tmp_path, fitted, "fitted.skdl"))
    header["attributes"]["_initial_layers"] = layers
    write(tmp_path / "both.skdl", header, tensors)
    with pytest.raises(ModelFileError, match="assigned before fitting"):
        load(tmp_path / "both.skdl")


@pytest.mark.parametrize("fitted", [False, True])
def test_set_output_is_saved_and_restored(tmp_path, tamper, fitted):
    # scikit-learn keeps it in _sklearn_output_config; the file was refused
    model, X, _ = _fitted("RBMTransformer")
    model = (model if fitted else clone(model)).set_output(transform="pandas")
    loaded = load(_saved(tmp_path, model))
    assert loaded._sklearn_output_config == {"transform": "pandas"}
    assert type(loaded.fit(X).transform(X)).__name__ == "DataFrame"

    def odd(header, tensors):
        header["attributes"]["_sklearn_output_config"] = {
            "__dict__": [["transform", "csv"]]
        }

    with pytest.raises(ModelFileError, match="set_output configuration"):
        load(tamper(model, odd))


def test_image_transformers_save_and_load_the_parameters_of_their_fit(tmp_path):
    X = np.random.RandomState(0).rand(6, 8, 8)
    hog = HOGTransformer(pixels_per_cell=4, cells_per_block=1).fit(X)
    hog.set_params(pixels_per_cell=2)
    with pytest.raises(ValueError, match=r"pixels_per_cell: 4 at fit, now 2.*befor"):
        save(hog, tmp_path / "hog.skdl")
    assert not (tmp_path / "hog.skdl").exists()
    loaded = load(_saved(tmp_path, hog.set_params(pixels_per_cell=4)))
    np.testing.assert_array_equal(loaded.transform(X), hog.transform(X))
    with pytest.raises(ValueError, match="pixels_per_cell: 4 at fit, now 2"):
        loaded.set_params(pixels_per_cell=2).transform(X)
    # parameters given to load may not change the fitted width either
    with pytest.raises(ModelFileError, match=r"\(pixels_per_cell\) build another"):
        load(tmp_path / "model.skdl", pixels_per_cell=2)


class _Best(Callback):
    """A user callback with a counter, as skdl's own callbacks have."""

    def initialize(self):
        self.best_ = math.inf
        return self


@pytest.mark.parametrize(
    "entry",
    [("best", _Best()), ["best", _Best()], _Best],
    ids=["tuple", "list", "class"],
)
def test_user_callbacks_in_any_form_skorch_takes_save_and_load(tmp_path, entry):
    # a list pair or a class saved its counters as skdl's, and load refused them
    model, X, _ = _fitted("MLPClassifier")
    model = (
        clone(model).set_params(callbacks=[entry]).fit(*_fitted("MLPClassifier")[1:])
    )
    loaded = load(_saved(tmp_path, model), callbacks=[entry])
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))
