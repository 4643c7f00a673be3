"""Every row of the "From Keras" table of docs/coming_from.rst, exercised.

Each test names the Keras call it maps; a row added to the table needs a test here
(``test_every_row_of_the_table_is_tested`` counts them).
"""

import os
import re
import warnings
from pathlib import Path

import numpy as np
import pytest
import torch
from sklearn.datasets import load_digits
from skorch.callbacks import Callback, Checkpoint, LRScheduler

import skdl.datasets
from skdl import (
    AutoencoderTransformer,
    CNNClassifier,
    CNNRegressor,
    LSTMTextClassifier,
    MLPClassifier,
    MLPRegressor,
)
from skdl.callbacks import L1Shrinkage
from skdl.io import load, save
from tests.estimator_cases import CASES

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

PAGE = Path(__file__).resolve().parents[1] / "docs" / "coming_from.rst"
TESTED_ROWS = 39  # the rows of the table that the tests below cover


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return X / 16, y


def small(**params):
    return MLPClassifier(**{"hidden_layer_sizes": (16,), "random_state": 0, **params})


def test_every_row_of_the_table_is_tested():
    text = PAGE.read_text()
    table = text[text.index("From Keras") : text.index("From scikit-learn")]
    rows = re.findall(r"^   \* - ", table, flags=re.M)
    assert len(rows) - 1 == TESTED_ROWS  # less the header row


def test_sequential_dense_layers(digits):  # Sequential([Dense(64, "relu"), ...])
    X, y = digits
    model = small(hidden_layer_sizes=(64, 32), activation="relu", max_iter=2).fit(X, y)
    assert [w.shape for w in model.coefs_] == [(64, 64), (64, 32), (32, 10)]


DOCUMENTS = ["good movie here", "bad movie there", "great film fun", "awful film dull"]


def test_keras_activation_names(digits):  # Dense(64, activation="sigmoid")
    X, y = digits
    for keras, layer in (
        ("sigmoid", torch.nn.Sigmoid),
        ("linear", torch.nn.Identity),
        ("swish", torch.nn.SiLU),
    ):
        model = small(activation=keras, max_iter=1).fit(X, y)
        assert isinstance(model.net_.module_[1], layer)
        assert model.get_params()["activation"] == keras


def test_conv2d_kernel_shapes(digits):  # Conv2D(32, (1, 7)), a list per layer
    X, y = digits
    convs = {}
    for kernel_size in ((1, 3), [3, 1]):
        model = CNNClassifier(
            (4, 4), kernel_size=kernel_size, dense_layers=(8,), max_iter=1
        ).fit(X[:100], y[:100])
        convs[str(kernel_size)] = [
            layer.kernel_size
            for layer in model.net_.module_
            if isinstance(layer, torch.nn.Conv2d)
        ]
    assert convs == {"(1, 3)": [(1, 3), (1, 3)], "[3, 1]": [(3, 3), (1, 1)]}


def test_use_bias_and_kernel_initializer(digits):  # Dense(use_bias=False, he_normal)
    X, y = digits
    model = small(
        hidden_layer_sizes=(256,), use_bias=False, kernel_initializer="he_normal"
    )
    model.set_params(max_iter=1, learning_rate_init=1e-9).fit(X, y)
    first = model.net_.module_[0]
    assert first.bias is None and not model.intercepts_[0].any()
    # He's normal initialisation: standard deviation sqrt(2 / fan_in)
    assert first.weight.std().item() == pytest.approx(np.sqrt(2 / 64), rel=0.1)


def test_per_layer_activation_and_dropout(digits):  # Dense, Dropout, Dense
    X, y = digits
    model = small(
        hidden_layer_sizes=(64, 32),
        activation=["tanh", "relu"],
        dropout=[0.5, 0.0],
        max_iter=1,
    ).fit(X, y)
    layers = [type(layer).__name__ for layer in model.net_.module_]
    assert layers == ["Linear", "Tanh", "Dropout", "Linear", "ReLU", "Linear"]
    assert model.net_.module_[2].p == 0.5


def test_overlapping_pooling_and_conv_dropout(digits):  # MaxPooling2D(3, strides=2)
    X, y = digits
    model = CNNClassifier(
        (4,), pool_size=3, pool_strides=2, conv_dropout=0.25, dense_layers=(8,)
    )
    module = model.set_params(max_iter=1).fit(X[:100], y[:100]).net_.module_
    pool = next(m for m in module if isinstance(m, torch.nn.MaxPool2d))
    dropout = next(m for m in module if isinstance(m, torch.nn.Dropout))
    assert (pool.kernel_size, pool.stride, dropout.p) == ((3, 3), (2, 2), 0.25)


def test_cnn_regression(digits):  # Conv2D(...) ... Dense(1), loss="mse"
    X, _ = digits
    images = X.reshape(-1, 8, 8)
    y = images[:, :, :4].sum(axis=(1, 2)) / images.sum(axis=(1, 2))  # ink on the left
    model = CNNRegressor((8,), dense_layers=(16,), max_iter=15, random_state=0)
    model.set_params(batch_size=32, learning_rate_init=0.003)
    model.fit(images[:1200], y[:1200])
    assert model.predict(images[1200:]).shape == (len(images) - 1200,)
    assert model.score(images[1200:], y[1200:]) > 0.8


def test_embedding_flatten_dense():  # Embedding(...), Flatten(), Dense(1, "sigmoid")
    model = LSTMTextClassifier(
        cell=None, max_length=20, embedding_dim=8, max_features=10000, max_iter=1
    ).fit(DOCUMENTS * 5, [1, 0, 1, 0] * 5)
    module = model.net_.module_
    assert getattr(module, "encoder", None) is None  # no recurrent layer
    assert module.head[0].in_features == 20 * 8


def test_conv1d_before_the_lstm():  # Conv1D(64, 5), MaxPooling1D(4), LSTM(70)
    model = LSTMTextClassifier(
        70, conv_filters=(64,), kernel_size=5, pool_size=4, max_iter=1
    ).fit(DOCUMENTS * 5, [1, 0, 1, 0] * 5)
    conv = model.net_.module_.conv.convs[0]
    assert isinstance(conv, torch.nn.Conv1d)
    assert (conv.out_channels, conv.kernel_size) == (64, (5,))


@pytest.mark.parametrize(
    "estimator, losses",
    [
        (MLPClassifier, ["log_loss", "hinge", "squared_hinge", "focal"]),
        (
            MLPRegressor,
            [
                "squared_error",
                "absolute_error",
                "huber",
                "poisson",
                "mean_absolute_percentage_error",
                "squared_log_error",
            ],
        ),
    ],
)
def test_compile_loss(estimator, losses):  # model.compile(optimizer="adam", loss=...)
    X = np.random.RandomState(0).rand(20, 3)
    y = np.arange(20) % 2 if estimator is MLPClassifier else X.sum(axis=1)
    for loss in losses:
        model = estimator(hidden_layer_sizes=(4,), solver="adam", loss=loss, max_iter=2)
        assert np.isfinite(model.fit(X, y).loss_)


def test_custom_loss(digits):  # def my_loss(y_true, y_pred)
    X, y = digits

    def my_loss(outputs, target):
        return torch.nn.functional.cross_entropy(outputs, target, reduction="none")

    assert small(loss=my_loss, max_iter=30).fit(X, y).score(X, y) > 0.9


def test_adam_learning_rate(digits):  # Adam(learning_rate=1e-3)
    X, y = digits
    model = small(
        learning_rate_init=1e-3, beta_1=0.8, beta_2=0.99, epsilon=1e-7, max_iter=1
    )
    group = model.fit(X, y).net_.optimizer_.param_groups[0]
    assert (group["lr"], group["betas"], group["eps"]) == (1e-3, (0.8, 0.99), 1e-7)


def test_sgd_nesterov(digits):  # SGD(momentum=0.9, nesterov=True)
    X, y = digits
    model = small(solver="sgd", momentum=0.9, nesterovs_momentum=True, max_iter=1)
    group = model.fit(X, y).net_.optimizer_.param_groups[0]
    assert (group["momentum"], group["nesterov"]) == (0.9, True)


def test_fit_epochs_batch_size(digits):  # model.fit(x, y, epochs=50, batch_size=32)
    X, y = digits
    model = small(max_iter=3, batch_size=32, tol=0).fit(X, y)
    assert model.n_iter_ == 3
    assert model.history_[-1, "train_batch_count"] == int(np.ceil(len(X) / 32))


def test_validation_split(digits):  # validation_split=0.1
    X, y = digits
    model = small(early_stopping=True, validation_fraction=0.1, max_iter=2).fit(X, y)
    assert model.history_[0, "samples_seen"] == len(X) - int(np.ceil(0.1 * len(X)))


def test_validation_data(digits):  # model.fit(x, y, validation_data=(x_val, y_val))
    X, y = digits
    model = small(max_iter=2).fit(
        X[:1000], y[:1000], validation_data=(X[1000:], y[1000:])
    )
    assert len(model.history_[:, "valid_score"]) == 2
    assert len(model.history_[:, "valid_loss"]) == 2


def test_autoencoder_validation_data(digits):  # fit(x, x, validation_data=...)
    X, _ = digits
    X = X / 16
    histories = [
        AutoencoderTransformer((16, 4), max_iter=2, random_state=0)
        .fit(X[:1000], validation_data=held_out)
        .history_[:, "valid_loss"]
        for held_out in (X[1000:], (X[1000:], X[1000:]))
    ]
    assert len(histories[0]) == 2
    assert histories[0] == histories[1]


def test_early_stopping_restore_best_weights(digits):  # EarlyStopping(patience=10, ...)
    X, y = digits
    model = small(early_stopping=True, n_iter_no_change=10, max_iter=500).fit(X, y)
    assert model.n_iter_ < 500
    best = int(np.argmax(model.validation_scores_))
    assert model.n_iter_ - 1 - best >= 10  # stopped 10+ epochs after the best


def test_early_stopping_on_val_loss(digits):  # EarlyStopping(monitor="val_loss")
    X, y = digits
    model = small(
        early_stopping=True,
        early_stopping_monitor="loss",
        n_iter_no_change=5,
        learning_rate_init=0.01,
    ).fit(X, y)
    assert model.n_iter_ < 200
    assert dict(model.net_.callbacks_)["convergence"].monitor == "valid_loss"


def test_reduce_lr_on_plateau(digits):  # ReduceLROnPlateau(factor=0.2, ...)
    X, y = digits
    model = small(
        learning_rate="plateau",
        decay_rate=0.2,
        plateau_patience=1,
        min_learning_rate=1e-4,
        solver="sgd",
        tol=10,  # no epoch improves
        max_iter=5,
    ).fit(X, y)
    np.testing.assert_allclose(model.history_[:, "lr"], [1e-3, 1e-3, 2e-4, 1e-4, 1e-4])
    adaptive = small(
        learning_rate="adaptive", solver="sgd", n_iter_no_change=1, tol=10, max_iter=4
    ).fit(X, y)
    # scikit-learn's: the rate is divided by 5 on each plateau
    assert adaptive.net_.optimizer_.param_groups[0]["lr"] == pytest.approx(0.001 / 5)


def test_exponential_decay(digits):  # ExponentialDecay(...)
    X, y = digits
    model = small(
        learning_rate="exponential", decay_rate=0.5, decay_steps=1, max_iter=3
    ).fit(X, y)
    np.testing.assert_allclose(model.history_[:, "lr"], [1e-3, 5e-4, 2.5e-4])


@pytest.mark.parametrize(
    "solver, params, key, value",
    [
        ("rmsprop", {"rho": 0.9}, "alpha", 0.9),
        ("adam", {"amsgrad": True}, "amsgrad", True),
        ("adadelta", {}, "rho", 0.9),
        ("adamax", {}, "betas", (0.9, 0.999)),
        ("nadam", {}, "betas", (0.9, 0.999)),
    ],
)
def test_keras_optimizers(digits, solver, params, key, value):  # RMSprop(rho=0.9)...
    X, y = digits
    model = small(solver=solver, max_iter=1, **params).fit(X, y)
    assert model.net_.optimizer_.param_groups[0][key] == value


def test_model_checkpoint_and_resume(digits, tmp_path):  # ModelCheckpoint(...)
    X, y = digits
    checkpoint = Checkpoint(dirname=tmp_path)  # save_best_only on valid_loss
    model = small(early_stopping=True, callbacks=[checkpoint], max_iter=6).fit(X, y)
    saved = model.history_[:, "event_cp"]
    assert saved == model.history_[:, "valid_loss_best"] and saved[0]
    best_epoch = max(i for i, s in enumerate(saved) if s)
    model.net_.load_params(f_params=os.path.join(tmp_path, "params.pt"))
    # the weights of the epoch of lowest validation loss
    assert model.history_[best_epoch, "valid_loss"] == min(
        model.history_[:, "valid_loss"]
    )
    resumed = model.set_params(warm_start=True, max_iter=2).fit(X, y)
    assert len(resumed.history_) == 6 + resumed.n_iter_


def test_per_batch_schedules(digits):  # LearningRateScheduler
    X, y = digits
    schedule = LRScheduler("StepLR", step_size=9, gamma=0.1, step_every="batch")
    model = small(
        solver="sgd", learning_rate_init=0.1, max_iter=1, callbacks=[schedule]
    )
    model.fit(X, y)  # 9 batches of 200
    assert model.net_.optimizer_.param_groups[0]["lr"] == pytest.approx(0.01)


class EpochLogger(Callback):
    def initialize(self):
        self.seen_ = []
        return self

    def on_epoch_end(self, net, **kwargs):
        self.seen_.append(net.history[-1, "train_loss"])
        net.history.record("twice_loss", 2 * net.history[-1, "train_loss"])


def test_custom_callback(digits):  # a custom keras.callbacks.Callback
    X, y = digits
    logger = EpochLogger()
    model = small(max_iter=3, callbacks=[("logger", logger)]).fit(X, y)
    assert dict(model.net_.callbacks_)["logger"].seen_ == model.loss_curve_
    assert model.history_[:, "twice_loss"] == [2 * v for v in model.loss_curve_]


def test_l1_regularizer(digits):  # l1(...)
    X, y = digits
    model = small(max_iter=30, callbacks=[L1Shrinkage(0.5)]).fit(X, y)
    assert np.mean(model.coefs_[0] == 0) > 0.2


def test_class_weight(digits):  # class_weight={0: 1, 1: 5}
    X, y = digits
    weights = {label: 1.0 for label in range(10)} | {1: 5.0}
    heavy = small(class_weight=weights, max_iter=5).fit(X, y)
    plain = small(max_iter=5).fit(X, y)
    assert np.mean(heavy.predict(X) == 1) > np.mean(plain.predict(X) == 1)
    assert small(class_weight="balanced", max_iter=1).fit(X, y).n_iter_ == 1


def test_l2_regularizer(digits):  # kernel_regularizer=l2(...)
    X, y = digits
    model = small(alpha=1.0, max_iter=1, batch_size=100).fit(X, y)
    assert model.net_.l2_gradient_ == pytest.approx(1.0 / 100)


def test_dropout_batch_norm(digits):  # Dropout(0.5), BatchNormalization()
    X, y = digits
    model = small(dropout=0.5, batch_norm=True, max_iter=1).fit(X, y)
    layers = {type(m).__name__ for m in model.net_.module_.modules()}
    assert {"Dropout", "BatchNorm1d"} <= layers


def test_summary(digits, capsys):  # model.summary()
    X, y = digits
    small(max_iter=1).fit(X, y).summary()
    assert "Total params: 1,210" in capsys.readouterr().out


def test_history(digits):  # history.history
    X, y = digits
    model = small(early_stopping=True, max_iter=3).fit(X, y)
    row = model.history_[-1]
    for key in ("train_loss", "train_score", "valid_loss", "valid_score"):
        assert np.isfinite(row[key])
    assert model.loss_curve_ == model.history_[:, "train_loss"]


def test_predict_probabilities(digits):  # model.predict(x) (probabilities)
    X, y = digits
    model = small(max_iter=2).fit(X, y)
    np.testing.assert_allclose(model.predict_proba(X).sum(axis=1), 1, rtol=1e-5)
    assert set(model.predict(X)) <= set(range(10))


def test_evaluate(digits):  # model.evaluate(x, y)
    X, y = digits
    model = small(max_iter=2).fit(X, y)
    assert model.score(X, y) == np.mean(model.predict(X) == y)


def test_random_seed(digits):  # keras.utils.set_random_seed(0)
    X, y = digits
    first, second = small(max_iter=2).fit(X, y), small(max_iter=2).fit(X, y)
    np.testing.assert_array_equal(first.coefs_[0], second.coefs_[0])


def test_device(digits):  # with tf.device("/GPU:0")
    X, y = digits
    assert small(device="cpu", max_iter=1).fit(X, y).net_.device == "cpu"
    if torch.cuda.is_available():
        assert small(device="cuda:0", max_iter=1).fit(X, y).net_.device == "cuda:0"


def test_mixed_precision(digits):  # mixed_precision.set_global_policy(...)
    X, y = digits
    model = small(precision="bfloat16", max_iter=1)
    if torch.cuda.is_available():
        model.set_params(device="cuda")
        assert model.fit(X, y).net_.autocast_dtype == torch.bfloat16
    else:
        with pytest.warns(UserWarning, match="runs on CUDA devices only"):
            model.fit(X, y)


def test_save_load(digits, tmp_path):  # model.save(path), keras.models.load_model
    X, y = digits
    model = small(max_iter=2).fit(X, y)
    save(model, tmp_path / "model.skdl")
    np.testing.assert_array_equal(
        load(tmp_path / "model.skdl").predict_proba(X), model.predict_proba(X)
    )


def test_flow_from_directory(tmp_path):  # ImageDataGenerator().flow_from_directory
    import cv2

    rng = np.random.default_rng(0)
    for label in ("cats", "dogs"):
        (tmp_path / label).mkdir()
        for index in range(3):
            image = rng.integers(0, 256, (20, 30, 3), dtype=np.uint8)
            cv2.imwrite(str(tmp_path / label / f"{index}.png"), image)
    X, y = skdl.datasets.load_image_folder(
        tmp_path, image_size=(15, 10), return_X_y=True
    )
    assert X.shape == (6, 15, 10, 3)
    assert sorted(y.tolist()) == [0, 0, 0, 1, 1, 1]


def test_datasets():  # keras.datasets.mnist.load_data()
    for name in ("fetch_mnist", "fetch_fashion_mnist", "fetch_cifar10", "fetch_imdb"):
        assert callable(getattr(skdl.datasets, name))


@pytest.mark.parametrize(
    "name", ["MLPClassifier", "CNNClassifier", "LSTMClassifier", "LSTMTextClassifier"]
)
def test_to_categorical(name):  # the note under the table: one-hot y
    case = CASES[name]
    X, y = case.data()
    classes, labels = np.unique(y, return_inverse=True)
    one_hot = np.eye(len(classes))[labels]  # keras.utils.to_categorical(labels)
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        case.make().fit(X, one_hot)
    assert any("one_hot=True" in str(w.message) for w in record)
    model = case.make(one_hot=True).fit(X, one_hot)
    predicted = model.predict(X)
    assert predicted.shape == one_hot.shape
    assert (predicted.sum(axis=1) == 1).all()
