"""Architecture parameters that several estimators share: activation names."""

import numpy as np
import pytest
from sklearn.datasets import load_digits, load_iris
from torch import nn

from skdl import AutoencoderTransformer, CNNClassifier, MLPClassifier, MLPRegressor
from skdl.modules import ACTIVATION_ALIASES, make_activation
from skdl.utils._sklearn import InvalidParameterError

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


@pytest.fixture(scope="module")
def iris():
    X, y = load_iris(return_X_y=True)
    return (X - X.mean(0)) / X.std(0), y


# -- Keras' activation names -----------------------------------------------------------
@pytest.mark.parametrize("alias, name", sorted(ACTIVATION_ALIASES.items()))
def test_keras_names_build_the_same_network(iris, alias, name):
    X, y = iris
    params = {"hidden_layer_sizes": (8,), "max_iter": 5, "random_state": 0}
    keras = MLPClassifier(activation=alias, **params).fit(X, y)
    skdl = MLPClassifier(activation=name, **params).fit(X, y)
    # same function, same initialisation (sklearn's factor 2 for logistic units)
    np.testing.assert_array_equal(keras.predict_proba(X), skdl.predict_proba(X))
    assert keras.activation == alias  # the parameter is kept as given
    assert type(make_activation(alias)) is type(make_activation(name))


def test_sigmoid_on_every_estimator_that_takes_activation(iris):
    X, _ = iris
    mlp = MLPRegressor(
        hidden_layer_sizes=(8,), activation="sigmoid", max_iter=3, random_state=0
    )
    assert isinstance(mlp.fit(X, X[:, 0]).net_.module_[1], nn.Sigmoid)
    images = load_digits().data[:100]
    cnn = CNNClassifier((4,), activation="sigmoid", dense_layers=(), max_iter=1)
    cnn.fit(images, load_digits().target[:100])
    assert any(isinstance(m, nn.Sigmoid) for m in cnn.net_.module_)
    ae = AutoencoderTransformer(
        (8, 4),
        activation="swish",
        code_activation="sigmoid",
        sparsity=0.1,
        max_iter=2,
        random_state=0,
    ).fit(images / 16)
    codes = ae.transform(images / 16)
    assert ((codes > 0) & (codes < 1)).all()  # sparsity accepts the sigmoid code


def test_pretraining_with_a_keras_name(iris):
    from skdl import RBMTransformer

    X, y = iris
    X = (X - X.min(0)) / (X.max(0) - X.min(0))
    rbm = RBMTransformer(8, n_iter=2, random_state=0)
    model = MLPClassifier((8,), activation="sigmoid", pretrain=rbm, max_iter=2)
    assert model.fit(X, y).pretrain_.n_features_in_ == 4


@pytest.mark.parametrize(
    "name, hint",
    [
        ("softmax", "'softmax' is an output function"),
        ("Sigmoid", "'sigmoid' \\(= 'logistic'\\)"),
        ("hard_tanh", "a str among"),
    ],
)
def test_unknown_names_say_which_to_use(iris, name, hint):
    X, y = iris
    for model in (MLPClassifier(activation=name), CNNClassifier(activation=name)):
        with pytest.raises(InvalidParameterError, match=hint):
            model.fit(X, y)
