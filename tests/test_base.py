"""The shared machinery of BaseTorchEstimator, exercised through MLPClassifier."""

import pickle
import warnings
from decimal import Decimal
from fractions import Fraction

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
import torch
from estimator_cases import CASES, case_ids, cases, outputs
from sklearn.base import clone
from sklearn.datasets import load_iris
from sklearn.preprocessing import StandardScaler
from skorch.callbacks import (
    BatchScoring,
    Callback,
    Checkpoint,
    EarlyStopping,
    EpochScoring,
    LRScheduler,
    PassthroughScoring,
)

from skdl import (
    BoltzmannMachine,
    CNNClassifier,
    GANSampler,
    LVQClassifier,
    MLPClassifier,
    MLPRegressor,
)
from skdl.callbacks import EpochProgressBar, LBFGSConvergence, StopTraining
from skdl.exceptions import DivergenceError
from skdl.io import load, save
from skdl.parallel import RowBlocks
from skdl.utils import resolve_device

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

needs_cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")


@pytest.fixture(scope="module")
def iris():
    X, y = load_iris(return_X_y=True)
    return StandardScaler().fit_transform(X), y


def small(**params):
    defaults = {
        "hidden_layer_sizes": (8,),
        "max_iter": 10,
        "random_state": 0,
        "learning_rate_init": 0.01,
    }
    return MLPClassifier(**{**defaults, **params})


# -- device --------------------------------------------------------------------------
def test_device_names_resolve():
    assert resolve_device("cpu") == torch.device("cpu")
    assert resolve_device(torch.device("cpu")) == torch.device("cpu")
    expected = "cuda" if torch.cuda.is_available() else "cpu"
    assert resolve_device("auto").type in (expected, "mps")


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has CUDA")
def test_missing_cuda_is_a_clear_error(iris):
    X, y = iris
    with pytest.raises(ValueError, match=r"sees no CUDA GPU.*device='cpu'"):
        small(device="cuda").fit(X, y)
    with pytest.raises(ValueError, match="sees no CUDA GPU"):
        small(device="cuda:1").fit(X, y)


def test_unknown_device_name_is_a_clear_error(iris):
    X, y = iris
    with pytest.raises(ValueError, match="device must be 'cpu', 'cuda'"):
        small(device="gpu").fit(X, y)


def test_mixed_precision_on_cpu_warns_and_trains_in_float32(iris):
    X, y = iris
    with pytest.warns(UserWarning, match="runs on CUDA devices only"):
        model = small(precision="bfloat16").fit(X, y)
    reference = small(precision="float32").fit(X, y)
    np.testing.assert_array_equal(model.predict_proba(X), reference.predict_proba(X))


# -- precision -----------------------------------------------------------------------
def _trained_dtypes(model) -> set:
    return {p.dtype for p in model.net_.module_.parameters()}


def test_precision_auto_follows_the_input_as_scikit_learn_does(iris, tmp_path):
    """float32 X (arrays, DataFrames whose columns combine to float32, blocks)
    trains in float32; any other X (float64, ints, lists, nullable Float32) in
    float64; warm starts and partial_fit keep the fitted type."""
    X, y = iris
    X32 = X.astype(np.float32)
    frame32 = pd.DataFrame(X32, columns=list("abcd")).assign(e=np.int8(1))  # with int8
    float32 = [X32, frame32, RowBlocks([X32[:75], X32[75:]])]
    np.save(tmp_path / "0.npy", X32[:75])
    np.save(tmp_path / "1.npy", X32[75:])
    float32.append(RowBlocks([tmp_path / "0.npy", tmp_path / "1.npy"]))
    float64 = [X, X.tolist(), (X * 100).astype(int), pd.DataFrame(X32, dtype="Float32")]
    for rows, expected in [(r, torch.float32) for r in float32] + [
        (r, torch.float64) for r in float64
    ]:
        model = small(max_iter=2).fit(rows, y)
        assert _trained_dtypes(model) == {expected}, type(rows)
        fixed = small(max_iter=2, precision="float32").fit(rows, y)
        assert _trained_dtypes(fixed) == {torch.float32}
    model = small(max_iter=2).fit(X, y)
    model.partial_fit(X32, y)
    model.set_params(warm_start=True).fit(X32, y)
    assert _trained_dtypes(model) == {torch.float64}
    model.set_params(warm_start=False).fit(X32, y)
    assert _trained_dtypes(model) == {torch.float32}


def test_precision_auto_trains_in_float32_on_a_gpu(iris, monkeypatch):
    """The rule of precision='auto' off the CPU, checked without a GPU."""
    import skdl.base

    X, _ = iris
    model = small()
    for device, expected in [("cpu", np.float64), ("cuda", np.float32)]:
        monkeypatch.setattr(
            skdl.base, "resolve_device", lambda _, name=device: torch.device(name)
        )
        with model._training_precision(X, None, fresh=True):
            assert model._float_dtype is expected
    assert "_training_dtype" not in vars(model)


# -- random state --------------------------------------------------------------------
def test_fit_leaves_global_random_states_alone(iris):
    X, y = iris
    torch_state = torch.random.get_rng_state()
    numpy_state = np.random.get_state()[1].copy()
    small(early_stopping=True, dropout=0.1).fit(X, y)
    small(random_state=None).fit(X, y)
    assert torch.equal(torch.random.get_rng_state(), torch_state)
    np.testing.assert_array_equal(np.random.get_state()[1], numpy_state)


def test_random_state_instance_and_none_are_accepted(iris):
    X, y = iris
    a = small(random_state=np.random.RandomState(1)).fit(X, y)
    b = small(random_state=np.random.RandomState(1)).fit(X, y)
    np.testing.assert_array_equal(a.predict_proba(X), b.predict_proba(X))
    c = small(random_state=None).fit(X, y)
    d = small(random_state=None).fit(X, y)
    assert not np.array_equal(c.coefs_[0], d.coefs_[0])


def test_shuffle_order_and_validation_split_follow_the_seed(iris):
    X, y = iris
    params = {"early_stopping": True, "batch_size": 16, "max_iter": 5}
    a = small(**params, random_state=5).fit(X, y)
    b = small(**params, random_state=5).fit(X, y)
    assert a.validation_scores_ == b.validation_scores_
    assert a.loss_curve_ == b.loss_curve_


# -- stopping and schedules ----------------------------------------------------------
def test_training_loss_plateau_stops_like_sklearn(iris):
    X, y = iris
    model = small(max_iter=500, tol=1e-2, n_iter_no_change=3).fit(X, y)
    assert model.n_iter_ < 500
    curve = np.array(model.loss_curve_)
    running_best = np.minimum.accumulate(curve)
    # each of the last n_iter_no_change + 1 epochs failed to beat the best loss
    # before it by tol, and the epoch before them did
    improved = curve[1:] <= running_best[:-1] - 1e-2
    assert not improved[-4:].any() and improved[-5]


def test_early_stopping_restores_the_best_validation_weights(iris):
    X, y = iris
    model = small(
        early_stopping=True,
        validation_fraction=0.3,
        max_iter=200,
        n_iter_no_change=5,
        batch_size=16,
    )
    model.fit(X, y)
    assert model.best_loss_ is None
    assert len(model.validation_scores_) == model.n_iter_ < 200
    assert model.best_validation_score_ == max(model.validation_scores_)
    # the restored weights score best_validation_score_ on the validation rows
    split_check = small(
        early_stopping=True, validation_fraction=0.3, max_iter=1, batch_size=16
    ).fit(X, y)
    assert split_check.validation_scores_[0] == model.validation_scores_[0]


def test_early_stopping_split_is_stratified_and_too_small_is_an_error(iris):
    X, _ = iris
    with pytest.raises(ValueError, match="validation set is too small"):
        small(early_stopping=True, validation_fraction=0.01).fit(
            X[:40], np.arange(40) % 2
        )
    # binary and multiclass targets alike: each class keeps its share
    for labels in (np.arange(100) % 20 == 0, np.arange(100) % 10):
        for seed in range(5):
            seen = ValidationLabels()
            small(
                early_stopping=True,
                validation_fraction=0.2,
                max_iter=1,
                random_state=seed,
                callbacks=[seen],
            ).fit(X[:100], labels)
            np.testing.assert_array_equal(
                np.bincount(seen.labels.astype(int)), np.bincount(labels) // 5
            )
    with pytest.raises(ValueError, match=r"class 'b' has only 1\. Add samples"):
        small(early_stopping=True).fit(X[:40], ["a"] * 39 + ["b"])


class ValidationLabels(Callback):
    """Records the encoded labels of the validation set."""

    def on_epoch_begin(self, net, dataset_valid=None, **kwargs):
        self.labels = dataset_valid.arrays[1].cpu().numpy().ravel()


def test_invscaling_sets_sklearn_learning_rate(iris):
    X, y = iris
    model = small(solver="sgd", learning_rate="invscaling", power_t=0.5, max_iter=3)
    model.fit(X, y)
    lr = model.net_.optimizer_.param_groups[0]["lr"]
    assert lr == pytest.approx(0.01 / (3 * len(X) + 1) ** 0.5)


def test_adaptive_divides_the_learning_rate_by_five_on_a_plateau(iris):
    X, y = iris
    model = small(
        solver="sgd", learning_rate="adaptive", tol=10.0, n_iter_no_change=2, max_iter=7
    )
    model.fit(X, y)
    # every epoch is a plateau with tol=10: lr drops after epochs 3 and 6
    lr = model.net_.optimizer_.param_groups[0]["lr"]
    assert lr == pytest.approx(0.01 / 25)
    assert model.n_iter_ == 7


def test_lbfgs_stops_when_converged(iris):
    X, y = iris
    model = small(solver="lbfgs", max_iter=1000, tol=1e-3, alpha=1.0).fit(X, y)
    assert model.n_iter_ < 1000
    grads = torch.autograd.grad(
        model.net_.get_loss(
            model.net_.module_(torch.as_tensor(X)),  # float64 X: trained in float64
            (torch.as_tensor(y), None),
            training=True,
        ),
        list(model.net_.module_.parameters()),
    )
    assert max(float(g.abs().max()) for g in grads) < 1e-2


# -- history and reporting -----------------------------------------------------------
def test_history_is_a_table_of_epochs(iris):
    X, y = iris
    model = small(early_stopping=True, max_iter=4, n_iter_no_change=10).fit(X, y)
    frame = pd.DataFrame(model.history_)
    assert list(frame["epoch"]) == [1, 2, 3, 4]
    for column in ("train_loss", "valid_loss", "valid_score", "dur", "samples_seen"):
        assert column in frame
    assert list(frame["train_loss"]) == model.loss_curve_
    assert list(frame["valid_score"]) == model.validation_scores_
    assert model.t_ == frame["samples_seen"].iloc[-1]


def test_verbose_prints_scikit_learns_lines(iris, capsys):
    X, y = iris
    small(verbose=0, max_iter=3).fit(X, y)
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""
    model = small(verbose=True, max_iter=3, early_stopping=True).fit(X, y)
    lines = capsys.readouterr().out.splitlines()
    assert lines == [
        line
        for epoch, (loss, score) in enumerate(
            zip(model.loss_curve_, model.validation_scores_, strict=True), start=1
        )
        for line in (
            f"Iteration {epoch}, loss = {loss:.8f}",
            f"Validation score: {score:f}",
        )
    ]
    # a stop is explained, then each call counts its own epochs
    model.set_params(tol=10.0, n_iter_no_change=1, max_iter=50, early_stopping=False)
    model.fit(X, y)
    out = capsys.readouterr().out
    assert out.startswith("Iteration 1, loss = ")
    assert out.endswith(
        "Training loss did not improve more than tol=10.000000 for 1 consecutive "
        "epochs. Stopping.\n"
    )


def test_a_progress_bar_is_a_callback(iris, capsys):
    X, y = iris
    small(max_iter=3, callbacks=[EpochProgressBar()]).fit(X, y)
    captured = capsys.readouterr()
    assert "3/3" in captured.err and captured.out == ""
    # its total is the call's epochs: one for partial_fit, max_iter='auto' resolved
    small(callbacks=[EpochProgressBar()]).partial_fit(X, y, classes=[0, 1, 2])
    assert "1/1" in capsys.readouterr().err
    stop = StopAfterOneEpoch()  # max_iter='auto': as many epochs as make
    gan = GANSampler(  # 10,000 batches, here 5000
        hidden_layer_sizes=(8,), batch_size=50, callbacks=[EpochProgressBar(), stop]
    )
    gan.fit(X[:100])
    assert stop.max_epochs_ == 5000 and "1/5000" in capsys.readouterr().err


class CountEpochs(Callback):
    def initialize(self):
        self.epochs_ = 0
        return self

    def on_epoch_end(self, net, **kwargs):
        self.epochs_ += 1


def test_user_callbacks_see_the_epoch_that_a_stopping_rule_ends(iris):
    # the stopping rule's StopTraining skipped the callbacks after it
    X, y = iris
    counter = CountEpochs()
    model = small(early_stopping=True, n_iter_no_change=2, max_iter=200)
    model.set_params(callbacks=[counter]).fit(X, y)
    assert model.n_iter_ < 200 and counter.epochs_ == model.n_iter_


@pytest.mark.parametrize(
    "change",
    [{"early_stopping": False}, {"callbacks": [CountEpochs()]}, {"tol": 0.5}],
    ids=["early_stopping", "callbacks", "tol"],
)
def test_partial_fit_refuses_changes_to_the_training_it_continues(iris, change):
    # early_stopping=False then partial_fit raised skorch's KeyError for
    # 'valid_score'; new callbacks were silently never run
    X, y = iris
    model = small(early_stopping="early_stopping" in change, max_iter=5).fit(X, y)
    weights = [p.detach().clone() for p in model.net_.module_.parameters()]
    model.set_params(**change)
    with pytest.raises(ValueError, match=f"whose {next(iter(change))} changed"):
        model.partial_fit(X, y)
    after = list(model.net_.module_.parameters())
    assert all(torch.equal(a, b) for a, b in zip(after, weights, strict=True))
    model.set_params(warm_start=True).fit(X, y)  # a fit takes the new values


def test_lbfgs_convergence_needs_the_lbfgs_solver(iris):
    # with adam it read no L-BFGS state and called one epoch converged
    X, y = iris
    model = small(callbacks=[LBFGSConvergence(15000)])
    with pytest.raises(ValueError, match="use it with solver='lbfgs'"):
        model.fit(X, y)


class StopAfterOneEpoch(Callback):
    def on_train_begin(self, net, **kwargs):
        self.max_epochs_ = net.max_epochs

    def on_epoch_end(self, net, **kwargs):
        raise StopTraining("enough")


def test_summary_lists_layers_shapes_and_parameter_counts(iris, capsys):
    X, y = iris
    small(hidden_layer_sizes=(8, 5), batch_norm=True, max_iter=1).fit(X, y).summary()
    out = capsys.readouterr().out
    assert "(None, 8)" in out and "(None, 3)" in out
    assert "BatchNorm1d" in out
    total = 4 * 8 + 8 + 2 * 8 + 8 * 5 + 5 + 2 * 5 + 5 * 3 + 3
    assert f"Total params: {total:,}" in out
    assert "Non-trainable params: 0" in out


def test_summary_lists_every_network_and_agrees_with_its_totals(iris, capsys):
    # a GAN samples with its averaged generator: the generator and the
    # discriminator do not run, but their layers are listed and counted
    X, _ = iris
    gan = GANSampler(hidden_layer_sizes=(8,), max_iter=1, random_state=0).fit(X)
    capsys.readouterr()
    gan.summary()
    out = capsys.readouterr().out
    module = gan.net_.module_
    for network in ("generator", "discriminator", "average"):
        assert f"{network}.net.0 (Linear)" in out
    assert "average.net.0 (Linear)            (None, 8)" in out
    assert "discriminator.net.0 (Linear)      (not run)" in out
    assert "(not run): the layer does not run" in out
    assert "discriminator.net.1" not in out  # no parameters, not run
    rows = [line.split() for line in out.splitlines() if ".net." in line]
    listed = sum(int(row[-1].replace(",", "")) for row in rows)
    assert listed == sum(p.numel() for p in module.parameters()) == 649
    assert f"Total params: {listed:,}" in out


def test_summary_names_a_module_without_children_as_keras_would(capsys):
    # the module holds the parameters itself (an LVQ module's prototypes) and
    # its output is one number per row
    X = np.eye(4)[[0, 1, 2, 3] * 3]
    BoltzmannMachine(max_iter=1, random_state=0).fit(X).summary()
    LVQClassifier(max_iter=1, random_state=0).fit(X, [0, 1, 1, 0] * 3).summary()
    out = capsys.readouterr().out
    assert "boltzmann_module (BoltzmannModule)  (None,) " in out
    assert "lvq_module (LVQModule)            (None, 2) " in out
    assert "(None, )" not in out and "\n (" not in out


class _TiedLayers(torch.nn.Module):
    """Two layers that share one weight matrix, as tied weights do."""

    def __init__(self, n_classes, input_shape):
        super().__init__()
        n = int(np.prod(input_shape))
        self.encode, self.decode = torch.nn.Linear(n, n), torch.nn.Linear(n, n)
        self.decode.weight = self.encode.weight
        self.out = torch.nn.Linear(n, n_classes)

    def forward(self, x):
        return self.out(self.decode(self.encode(x.flatten(1))))


def test_summary_counts_a_shared_parameter_once(capsys):
    # the rows added up to more than the total: each layer listed the weight
    images = np.random.default_rng(0).random((6, 4, 4))
    model = CNNClassifier(module=_TiedLayers, max_iter=1, random_state=0)
    model.fit(images, [0, 1] * 3).summary()
    out = capsys.readouterr().out
    rows = [line.split() for line in out.splitlines() if "(Linear)" in line]
    assert [row[-1] for row in rows] == ["272", "16", "34"]
    assert "Total params: 322" in out


# -- targets -------------------------------------------------------------------------
def test_one_hot_targets_warn_and_the_labels_route_is_single_label(iris):
    X, y = iris
    one_hot = np.eye(3)[y]  # what keras.utils.to_categorical gives
    with pytest.warns(UserWarning, match=r"exactly one 1 per row.*one_hot=True"):
        multilabel = small(max_iter=2).fit(X, one_hot)
    assert multilabel.out_activation_ == "logistic"  # read as multilabel
    model = small(max_iter=100).fit(X, one_hot.argmax(axis=1))
    assert model.out_activation_ == "softmax"
    np.testing.assert_array_equal(model.classes_, [0, 1, 2])
    assert model.score(X, y) > 0.9
    # a real multilabel target (rows with several labels or none): no warning
    labels = np.column_stack([y == 0, y > 0, X[:, 0] > 0]).astype(int)
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        small(max_iter=2).fit(X, labels)
    assert not any("one 1 per row" in str(w.message) for w in record)


def test_one_hot_true_takes_and_predicts_one_hot_rows(iris, tmp_path):
    from skdl.io import load, save

    X, y = iris
    one_hot = np.eye(3)[y]
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        model = small(one_hot=True, max_iter=100).fit(X, one_hot)
    assert not any("one 1 per row" in str(w.message) for w in record)
    labels = small(max_iter=100).fit(X, y)
    # the same network and loss as with the labels
    np.testing.assert_allclose(model.loss_curve_, labels.loss_curve_, rtol=1e-6)
    assert model.out_activation_ == "softmax"
    predicted = model.predict(X)
    np.testing.assert_array_equal(predicted, np.eye(3, dtype=int)[labels.predict(X)])
    assert model.score(X, one_hot) == labels.score(X, y) > 0.9
    assert model.predict_proba(X).shape == (len(X), 3)
    # a class without samples is still a column; binary one-hot rows too
    four = np.hstack([one_hot, np.zeros((len(X), 1))])
    assert small(one_hot=True, max_iter=2).fit(X, four).classes_.tolist() == [
        0,
        1,
        2,
        3,
    ]
    binary = np.eye(2)[(y > 0).astype(int)]
    fitted = small(one_hot=True, max_iter=20).fit(X, binary)
    assert fitted.predict(X).shape == (len(X), 2)
    # validation data, partial_fit and skdl.io follow the fitted encoding
    model.fit(X, one_hot, validation_data=(X, one_hot))
    assert model.history_[-1, "valid_score"] == pytest.approx(model.score(X, one_hot))
    model.partial_fit(X, one_hot)
    save(model, tmp_path / "one_hot.skdl")
    np.testing.assert_array_equal(
        load(tmp_path / "one_hot.skdl").predict(X), model.predict(X)
    )
    with pytest.raises(ValueError, match="y has 4 one-hot columns, but MLPClassifier"):
        model.partial_fit(X, four)


@pytest.mark.parametrize(
    "target", ["labels", "two-ones", "values"], ids=["labels", "two-ones", "values"]
)
def test_one_hot_true_refuses_other_targets(iris, target):
    X, y = iris
    Y = {
        "labels": y,
        "two-ones": np.column_stack([y == 0, y > 0, y > 1]).astype(int),
        "values": np.eye(3)[y] * 2,
    }[target]
    model = small(one_hot=True)
    with pytest.raises(ValueError, match=r"one_hot=True takes y as one-hot rows"):
        model.fit(X, Y)
    assert not hasattr(model, "classes_")


def test_one_hot_classes_must_be_the_columns_and_a_later_call_names_the_fit(iris):
    X, y = iris
    model = small(one_hot=True)
    with pytest.raises(ValueError, match=r"the 3 columns of y, 0 to 2; got classes="):
        model.partial_fit(X, np.eye(3)[y], classes=["a", "b", "c"])
    assert not hasattr(model, "classes_")
    model.partial_fit(X, np.eye(3)[y], classes=[0, 1, 2])
    model.set_params(one_hot=False)  # the fitted model still reads one-hot rows
    with pytest.raises(ValueError, match="was fitted with one_hot=True, so partial"):
        model.partial_fit(X, y)


@pytest.mark.parametrize("value", [-1.0, np.inf, np.nan, "2"])
def test_class_weight_values_must_be_finite_and_non_negative(iris, value):
    X, y = iris
    model = small(class_weight={0: value, 1: 1.0, 2: 1.0})
    with pytest.raises(ValueError, match=f"class 0 has {value!r}"):
        model.fit(X, y)
    assert not hasattr(model, "net_")
    # any real number, as scikit-learn's estimators take them
    weights = {0: Decimal(1), 1: Fraction(1, 2), 2: np.array(2.0)}
    assert small(class_weight=weights).fit(X, y).n_iter_ == 10
    zero = small(class_weight={0: 0, 1: 1.0, 2: np.float32(2.0)}).fit(X, y)
    # class 0 weighs nothing: it is learned from the others' rows only
    assert (
        zero.predict_proba(X)[:, 0] < small().fit(X, y).predict_proba(X)[:, 0]
    ).all()


def test_balanced_class_weight_is_refused_by_partial_fit(iris):
    # as scikit-learn's SGDClassifier: one batch's counts are not the data's
    X, y = iris
    model = small(class_weight="balanced")
    with pytest.raises(ValueError, match="'balanced' is not supported for partial"):
        model.partial_fit(X, y, classes=[0, 1, 2])
    assert not hasattr(model, "net_")


def test_sparse_targets_are_read_as_their_dense_matrix(iris, tmp_path):
    # and an indicator y predicts in kind, as scikit-learn's MLPClassifier does
    X, y = iris
    indicator = np.column_stack([y == 0, y == 1, y > 0]).astype(int)
    for params, Y in (({}, indicator), ({"one_hot": True}, np.eye(3, dtype=int)[y])):
        dense = small(**params).fit(X, Y)
        sparse = small(**params).fit(X, sp.csr_matrix(Y))
        np.testing.assert_array_equal(sparse.predict_proba(X), dense.predict_proba(X))
        assert sp.issparse(sparse.predict(X)) and not sp.issparse(dense.predict(X))
        np.testing.assert_array_equal(sparse.predict(X).toarray(), dense.predict(X))
        save(sparse, tmp_path / "sparse.skdl")
        assert sp.issparse(load(tmp_path / "sparse.skdl").predict(X))
        sparse.partial_fit(X, Y)  # a later call's dense y keeps the fit's kind
        assert sp.issparse(sparse.predict(X))
    assert not sp.issparse(small().fit(X, sp.csr_matrix(y.reshape(-1, 1))).predict(X))
    targets = np.column_stack([X[:, 0], X[:, 1] * 2])
    regressor = MLPRegressor(hidden_layer_sizes=(8,), max_iter=10, random_state=0)
    np.testing.assert_array_equal(
        regressor.fit(X, sp.csr_matrix(targets)).predict(X),
        clone(regressor).fit(X, targets).predict(X),
    )


@pytest.mark.parametrize(
    "callbacks, item", [([1], "item 0 is 1"), ([("log", "print_log")], "item 0 is")]
)
def test_callbacks_must_be_skorch_callbacks(iris, callbacks, item):
    X, y = iris
    model = small(callbacks=callbacks)
    with pytest.raises(ValueError, match=f"must be skorch Callbacks .*{item}"):
        model.fit(X, y)
    assert not hasattr(model, "net_")


def test_callbacks_take_every_form_skorch_takes(iris):
    # instances and classes (skorch instantiates them), alone or as a named
    # pair in a tuple or a list
    X, y = iris
    for entry in (CountBatches, ("count", CountBatches), ["count", CountBatches()]):
        model = small(max_iter=2, callbacks=[entry]).fit(X, y)
        counter = dict(model.net_.callbacks_)[
            "count" if isinstance(entry, tuple | list) else "CountBatches"
        ]
        assert counter.batches_ > 0


# -- callbacks and faults ------------------------------------------------------------
class CountBatches(Callback):
    def initialize(self):
        self.batches_ = 0
        return self

    def on_batch_end(self, net, batch=None, training=None, **kwargs):
        self.batches_ += training


def test_user_skorch_callbacks_run(iris):
    X, y = iris
    counter = CountBatches()
    model = small(callbacks=[("count", counter)], batch_size=50, max_iter=3)
    model.fit(X, y)
    assert dict(model.net_.callbacks_)["count"].batches_ == 9
    scheduled = small(
        callbacks=[LRScheduler("StepLR", step_size=1, gamma=0.5)],
        max_iter=3,
        solver="sgd",
    ).fit(X, y)
    assert scheduled.net_.optimizer_.param_groups[0]["lr"] == pytest.approx(0.01 / 8)


def test_per_batch_lr_scheduler_steps_every_batch(iris):
    # skorch's LRScheduler(step_every="batch") records the rate in the batch's
    # history row: the loop writes one row per batch when a callback reads them
    X, y = iris
    scheduler = LRScheduler("StepLR", step_size=1, gamma=0.5, step_every="batch")
    model = small(callbacks=[scheduler], max_iter=2, batch_size=50, solver="sgd")
    model.fit(X, y)
    assert model.net_.optimizer_.param_groups[0]["lr"] == pytest.approx(0.01 / 2**6)
    batches = model.history_[-1, "batches"]
    assert len(batches) == 3
    assert [b["train_batch_size"] for b in batches] == [50, 50, 50]
    # the rate each batch ran at
    assert [b["event_lr"] for b in batches] == pytest.approx(
        [0.01 / 2**k for k in (3, 4, 5)]
    )
    # the batch losses average to the epoch's (before the L2 term)
    losses = [b["train_loss"] for b in batches]
    assert model.history_[-1, "train_batch_count"] == 3
    assert np.mean(losses) == pytest.approx(model.loss_, rel=1e-3)


class ReadsBatchLoss(Callback):
    def initialize(self):
        self.losses_ = []
        return self

    def on_batch_end(self, net, training=False, **kwargs):
        if training:
            self.losses_.append(net.history[-1, "batches", -1, "train_loss"])


def test_batch_hooks_read_the_batch_loss_and_the_default_loop_keeps_one_row(iris):
    X, y = iris
    reader = ReadsBatchLoss()
    model = small(callbacks=[reader], max_iter=2, batch_size=30).fit(X, y)
    assert len(reader.losses_) == 10 and all(np.isfinite(reader.losses_))
    plain = small(max_iter=2, batch_size=30).fit(X, y)
    # without a batch hook: one summary row per pass (read once per epoch)
    assert len(plain.history_[-1, "batches"]) == 1
    assert plain.history_[-1, "batches", -1, "train_batch_size"] == len(X)
    np.testing.assert_allclose(model.loss_curve_, plain.loss_curve_, rtol=1e-6)


def test_best_loss_flags_are_recorded_for_skorch_callbacks(iris):
    X, y = iris
    model = small(early_stopping=True, max_iter=8).fit(X, y)
    for key in ("train_loss", "valid_loss"):
        values = model.history_[:, key]
        flags = model.history_[:, f"{key}_best"]
        expected = [v < min(values[:i], default=np.inf) for i, v in enumerate(values)]
        assert flags == expected
    # a warm start continues the record
    model.set_params(warm_start=True, max_iter=2).fit(X, y)
    values = model.history_[:, "train_loss"]
    assert model.history_[-1, "train_loss_best"] == (values[-1] < min(values[:-1]))


def test_skorch_callbacks_with_their_defaults(iris, tmp_path):
    X, y = iris
    # Checkpoint monitors valid_loss_best by default
    checkpoint = Checkpoint(dirname=tmp_path)
    model = small(early_stopping=True, callbacks=[checkpoint], max_iter=5).fit(X, y)
    assert {p.name for p in tmp_path.iterdir()} >= {"params.pt", "history.json"}
    assert model.history_[:, "event_cp"] == model.history_[:, "valid_loss_best"]
    # EarlyStopping monitors valid_loss by default
    stopper = EarlyStopping(patience=2, threshold=1.0)
    model = small(early_stopping=True, callbacks=[stopper], max_iter=50, tol=0)
    assert model.fit(X, y).n_iter_ == 3
    # ReduceLROnPlateau through LRScheduler, on valid_loss
    plateau = LRScheduler(
        "ReduceLROnPlateau", monitor="valid_loss", patience=0, factor=0.5, threshold=1
    )
    model = small(early_stopping=True, callbacks=[plateau], max_iter=3, tol=0)
    model.fit(X, y)
    # threshold=1: no epoch improves, and each lowers the rate
    assert model.net_.optimizer_.param_groups[0]["lr"] == pytest.approx(0.01 / 8)
    # PassthroughScoring averages a recorded batch value
    passthrough = PassthroughScoring(name="train_loss", on_train=True)
    model = small(callbacks=[("passthrough", passthrough)], max_iter=2).fit(X, y)
    assert model.history_[:, "train_loss"] == model.loss_curve_


@pytest.mark.parametrize(
    "callback",
    [EpochScoring("accuracy"), BatchScoring("accuracy")],
    ids=["EpochScoring", "BatchScoring"],
)
def test_skorch_scoring_callbacks_are_refused_with_what_to_use(iris, callback):
    X, y = iris
    model = small(callbacks=[callback])
    with pytest.raises(
        ValueError, match=r"does not run skorch's \w+Scoring.*valid_score"
    ):
        model.fit(X, y)
    assert not hasattr(model, "net_")


def test_skorch_checkpoint_saves_the_best_epochs_with_formatted_names(iris, tmp_path):
    # Checkpoint formats file names from history[-1, "batches", -1]
    X, y = iris
    checkpoint = Checkpoint(
        dirname=tmp_path,
        monitor="train_loss_best",
        f_params="epoch{last_epoch[epoch]}_{last_batch[train_loss]:.2f}.pt",
        f_optimizer=None,
        f_criterion=None,
        f_history=None,
    )
    model = small(callbacks=[checkpoint], max_iter=3).fit(X, y)
    losses = model.loss_curve_
    assert losses[0] > losses[1] > losses[2]
    expected = {f"epoch{i + 1}_{loss:.2f}.pt" for i, loss in enumerate(losses)}
    assert {p.name for p in tmp_path.iterdir()} == expected


def test_skorch_early_stopping_ends_training_without_an_interrupt_warning(iris):
    X, y = iris
    stopper = EarlyStopping(monitor="train_loss", patience=1, threshold=10.0)
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        model = small(callbacks=[stopper], max_iter=50, tol=0.0).fit(X, y)
    assert model.n_iter_ < 50
    assert not any("interrupted" in str(w.message) for w in record)


class Explodes(Callback):
    def on_epoch_end(self, net, **kwargs):
        if len(net.history) == 2:
            raise ValueError("boom")


def test_an_error_in_a_callback_names_the_callback(iris):
    X, y = iris
    with pytest.raises(ValueError, match=r"boom \[raised in callback 'explodes'"):
        small(callbacks=[("explodes", Explodes())]).fit(X, y)


class Interrupts(Callback):
    def on_epoch_end(self, net, **kwargs):
        if len(net.history) == 3:
            raise KeyboardInterrupt


def test_keyboard_interrupt_keeps_the_weights_so_far(iris):
    X, y = iris
    with pytest.warns(UserWarning, match="interrupted after 3 epochs"):
        model = small(callbacks=[Interrupts()], max_iter=50).fit(X, y)
    assert model.n_iter_ == 3
    assert model.predict(X).shape == (len(X),)


def test_divergence_is_a_clear_error_and_keeps_the_previous_model(iris):
    X, y = iris
    model = small(solver="sgd", warm_start=True, max_iter=3).fit(X, y)
    before = model.predict_proba(X)
    n_iter = model.n_iter_
    model.set_params(learning_rate_init=1e12)
    with pytest.raises(DivergenceError, match="Lower learning_rate_init"):
        model.fit(X * 1e3, y)
    assert model.n_iter_ == n_iter and len(model.history_) == n_iter
    np.testing.assert_array_equal(model.predict_proba(X), before)
    # a fresh estimator that diverges stays unfitted
    fresh = small(solver="sgd", learning_rate_init=1e12)
    with pytest.raises(DivergenceError):
        fresh.fit(X * 1e3, y)
    assert not hasattr(fresh, "net_")


def test_sample_weight_must_have_positive_mass(iris):
    X, y = iris
    with pytest.raises(ValueError, match="at least one non-zero"):
        small().fit(X, y, sample_weight=np.zeros(len(y)))
    with pytest.raises(ValueError, match="Negative values in data"):
        small().fit(X, y, sample_weight=-np.ones(len(y)))
    with pytest.raises(ValueError, match=r"sample_weight.shape"):
        small().fit(X, y, sample_weight=np.ones(3))


def test_regressor_rejects_a_different_number_of_outputs_on_partial_fit(iris):
    X, y = iris
    model = MLPRegressor(hidden_layer_sizes=(4,), random_state=0).partial_fit(X, y)
    with pytest.raises(ValueError, match="y has 2 outputs"):
        model.partial_fit(X, np.c_[y, y])


# -- GPU (run where CUDA exists) -----------------------------------------------------
@needs_cuda
@pytest.mark.gpu
def test_gpu_fit_matches_cpu_closely_and_unpickles_to_cpu(iris):
    X, y = iris
    gpu = small(device="cuda", max_iter=20).fit(X, y)
    cpu = small(device="cpu", max_iter=20).fit(X, y)
    np.testing.assert_allclose(gpu.predict_proba(X), cpu.predict_proba(X), atol=1e-3)
    restored = pickle.loads(pickle.dumps(gpu))
    np.testing.assert_allclose(
        restored.predict_proba(X), gpu.predict_proba(X), atol=1e-6
    )


@needs_cuda
@pytest.mark.gpu
@pytest.mark.parametrize("precision", ["bfloat16", "float16"])
def test_gpu_mixed_precision_trains(iris, precision):
    X, y = iris
    model = small(device="cuda", precision=precision, max_iter=100).fit(X, y)
    assert model.score(X, y) > 0.9


def test_row_work_counts_the_largest_kernel_call_of_a_row():
    from torch import nn

    from skdl.base import _row_work

    mlp = nn.Sequential(nn.Linear(64, 100), nn.ReLU(), nn.Linear(100, 10))
    assert _row_work(mlp, torch.zeros(1, 64)) == 64 * 100
    # a 3x3 convolution from 2 to 4 channels over 6x6 output positions
    conv = nn.Sequential(nn.Conv2d(2, 4, 3), nn.Flatten(), nn.Linear(144, 2))
    assert _row_work(conv, torch.zeros(1, 2, 8, 8)) == 4 * 36 * (2 * 9)
    # one time step of an LSTM: its four gates over input and state
    lstm = nn.LSTM(5, 7, batch_first=True)
    assert _row_work(lstm, torch.zeros(1, 10, 5)) == 4 * 7 * (5 + 7 + 2)
    assert mlp.training  # the module's mode is restored


# -- continuing a fit after set_params --------------------------------------------
_WARM = [pair for pair in cases() if "warm_start" in pair[1].make().get_params()]


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.filterwarnings("ignore:batch_size=.*is larger than")
@pytest.mark.parametrize(("name", "case"), _WARM, ids=case_ids(_WARM))
def test_a_changed_training_parameter_continues_the_fitted_network(name, case):
    X, y = case.data()
    model = case.make(warm_start=True).fit(X, y)
    key = (
        "learning_rate_init"
        if "learning_rate_init" in model.get_params()
        else "max_iter"
    )
    weights = [p.detach().clone() for p in model.net_.module_.parameters()]
    model.set_params(**{key: model.get_params()[key] * 2}).fit(X, y)
    after = list(model.net_.module_.parameters())
    assert [p.shape for p in after] == [w.shape for w in weights]


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize(
    ("name", "change"),
    [
        ("MLPClassifier", {"hidden_layer_sizes": (4,)}),
        ("MLPClassifier", {"activation": "tanh"}),
        ("MLPRegressor", {"dropout": 0.5}),
        ("CNNClassifier", {"conv_filters": (3,)}),
        ("CNNClassifier", {"rescale": 0.5}),
        ("LSTMClassifier", {"hidden_size": 3}),
        ("LSTMRegressor", {"pooling": "mean"}),
        ("AutoencoderTransformer", {"hidden_layer_sizes": (3,)}),
    ],
)
def test_a_changed_network_parameter_is_refused_when_continuing(name, change):
    """warm_start and partial_fit kept training the fitted network while
    get_params reported the new one; they now say so, and change nothing."""
    case = CASES[name]
    X, y = case.data()
    model = case.make(warm_start=True).fit(X, y)
    before = outputs(model, X)
    model.set_params(**change)
    calls = [lambda: model.fit(X, y)]
    if hasattr(model, "partial_fit"):
        calls.append(lambda: model.partial_fit(X, y))
    for call in calls:
        with pytest.raises(
            ValueError, match=f"changed since it was built: {next(iter(change))}"
        ):
            call()
        for method, value in outputs(model, X).items():
            np.testing.assert_array_equal(value, before[method])
    model.set_params(warm_start=False).fit(X, y)  # builds the new network
