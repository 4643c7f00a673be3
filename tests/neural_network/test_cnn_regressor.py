"""CNNRegressor: rotation angles of real digits, outputs, the shared CNN code."""

import gzip

import cv2
import numpy as np
import pytest
import torch
from api_checks import check_estimator_api  # tests/ is on sys.path via conftest
from sklearn.datasets import load_digits
from sklearn.metrics import r2_score
from torch import nn

from skdl import CNNClassifier, CNNRegressor
from skdl.neural_network._cnn import _BaseCNN

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

MAX_ANGLE = 45.0


def rotate(images, angles, size=None):
    """Each image turned by its angle (degrees, counterclockwise) about its centre.

    With ``size``, the images are first resized to ``size x size`` pixels, so
    that an 8x8 digit keeps its shape when turned.
    """
    side = images.shape[1] if size is None else size
    dtype = images.dtype if size is None else np.float32
    out = np.empty((len(images), side, side), dtype)
    centre = ((side - 1) / 2, (side - 1) / 2)
    for i, (image, angle) in enumerate(zip(images, angles, strict=True)):
        if size is not None:
            image = image.astype(np.float32)
            image = cv2.resize(image, (side, side), interpolation=cv2.INTER_LINEAR)
        turn = cv2.getRotationMatrix2D(centre, float(angle), 1.0)
        out[i] = cv2.warpAffine(image, turn, (side, side))
    return out


@pytest.fixture(scope="module")
def rotated_digits():
    """scikit-learn's 1797 digits at 16x16, turned by up to 45 degrees either way."""
    images = load_digits().images
    angles = np.random.RandomState(0).uniform(-MAX_ANGLE, MAX_ANGLE, len(images))
    return rotate(images, angles, size=16), angles / MAX_ANGLE


SMALL = {
    "conv_filters": (8, 16),
    "dense_layers": (32,),
    "batch_norm": True,
    "rescale": 1 / 16,
    "batch_size": 32,
    "learning_rate_init": 0.003,
    "random_state": 0,
}


# -- accuracy on real images ---------------------------------------------------------
def test_predicts_the_rotation_of_digits(rotated_digits):
    X, y = rotated_digits
    reg = CNNRegressor(**SMALL, max_iter=15).fit(X[:1400], y[:1400])
    # measured 0.985 on the 397 held-out digits, in 1.4 s on 2 CPU cores
    assert reg.score(X[1400:], y[1400:]) >= 0.9
    predicted = reg.predict(X[1400:])
    assert predicted.shape == (397,) and predicted.dtype == np.float32
    assert r2_score(y[1400:], predicted) == pytest.approx(reg.score(X[1400:], y[1400:]))


def _read_idx(path, offset):
    with gzip.open(path) as f:
        return np.frombuffer(f.read(), np.uint8, offset=offset)


@pytest.mark.slow
def test_predicts_the_rotation_of_mnist_digits(mnist_t10k):
    images = _read_idx(mnist_t10k / "t10k-images-idx3-ubyte.gz", 16)
    images = images.reshape(-1, 28, 28)
    rng = np.random.RandomState(0)
    # each of the first 8000 digits turned three ways to train on; the other
    # 2000 turned once to test on
    train = np.tile(images[:8000], (3, 1, 1))
    train_angles = rng.uniform(-MAX_ANGLE, MAX_ANGLE, len(train))
    test_angles = rng.uniform(-MAX_ANGLE, MAX_ANGLE, 2000)
    X_train = rotate(train, train_angles)  # uint8: rescale='auto' is 1/255
    X_test = rotate(images[8000:], test_angles)
    reg = CNNRegressor(
        (16, 32),
        dense_layers=(64,),
        batch_size=64,
        max_iter=10,
        learning_rate_init=0.002,
        random_state=0,
    ).fit(X_train, train_angles / MAX_ANGLE)
    # measured 0.928 (36 to 86 s on 2 shared CPU cores); with each digit turned
    # once (8000 images), 20 epochs reach 0.904
    assert reg.score(X_test, test_angles / MAX_ANGLE) >= 0.9


# -- outputs -------------------------------------------------------------------------
def test_several_targets_and_sample_weights(rotated_digits):
    X, y = rotated_digits
    Y = np.column_stack([y, np.abs(y)])  # the angle, and how far it turns
    reg = CNNRegressor(**SMALL, max_iter=10).fit(X[:1000], Y[:1000])
    assert reg.n_outputs_ == 2 and reg.out_activation_ == "identity"
    assert reg.predict(X[1000:]).shape == (797, 2)
    assert reg.score(X[1000:], Y[1000:]) > 0.8
    # a weight of 2 is a repeated image: full batch, float64, as sklearn checks it
    # (and no batch norm, whose batch statistics count a repeated image twice)
    params = {**SMALL, "solver": "lbfgs", "precision": "float64", "max_iter": 5}
    params["batch_norm"] = False
    weights = np.ones(60)
    weights[:10] = 2
    weighted = CNNRegressor(**params).fit(X[:60], y[:60], sample_weight=weights)
    repeated = CNNRegressor(**params).fit(
        np.concatenate([X[:10], X[:60]]), np.concatenate([y[:10], y[:60]])
    )
    np.testing.assert_allclose(
        weighted.predict(X[60:80]), repeated.predict(X[60:80]), rtol=1e-5, atol=1e-6
    )


def test_api_contract(rotated_digits):
    X, y = rotated_digits
    check_estimator_api(CNNRegressor(**SMALL, max_iter=2), X[:200], y[:200])


# -- one CNN for both tasks ----------------------------------------------------------
def test_classifier_and_regressor_share_the_network_and_its_parameters():
    assert issubclass(CNNClassifier, _BaseCNN) and issubclass(CNNRegressor, _BaseCNN)
    classifier = set(CNNClassifier().get_params())
    regressor = set(CNNRegressor().get_params())
    assert classifier - regressor == {"class_weight", "one_hot"}
    assert regressor <= classifier
    X, y = load_digits(return_X_y=True)
    params = {"conv_filters": (4, 8), "kernel_size": (3, 1), "max_iter": 1}
    params |= {"pool_strides": 1, "conv_dropout": 0.1, "random_state": 0}
    reg = CNNRegressor(**params).fit(X[:50], y[:50].astype(float))
    clf = CNNClassifier(**params).fit(X[:50], y[:50])
    shapes = [p.shape for p in reg.net_.module_.parameters()]
    assert shapes[:-2] == [p.shape for p in clf.net_.module_.parameters()][:-2]
    assert reg.net_.module_[-1].out_features == 1
    # L-BFGS flattens gradients with .view(): the built-in network keeps the
    # default memory layout for it (channels-last weights made it crash)
    for model in (CNNClassifier(**params), CNNRegressor(**params)):
        model.set_params(solver="lbfgs", max_iter=2)
        assert model.fit(X[:50], y[:50]).n_iter_ >= 1


class TinyRegressionNet(nn.Module):
    """A user module: built with n_outputs, as every regressor's module is."""

    def __init__(self, n_outputs, input_shape):
        super().__init__()
        channels, height, width = input_shape
        self.conv = nn.Conv2d(channels, 4, 3, padding=1)
        self.out = nn.Linear(4 * height * width, n_outputs)

    def forward(self, x):
        return self.out(torch.relu(self.conv(x)).flatten(1))


def test_a_user_module_gets_n_outputs(rotated_digits):
    X, y = rotated_digits
    reg = CNNRegressor(module=TinyRegressionNet, rescale=1 / 16, max_iter=3)
    assert isinstance(reg.fit(X[:100], y[:100]).net_.module_, TinyRegressionNet)

    def two_outputs(n_outputs, input_shape):
        return TinyRegressionNet(2, input_shape)

    with pytest.raises(
        ValueError, match=r"CNNRegressor needs outputs of shape \(1, 1\)"
    ):
        CNNRegressor(module=two_outputs, max_iter=1).fit(X[:20], y[:20])
