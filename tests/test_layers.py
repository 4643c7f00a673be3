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


# -- per-layer activation and dropout ------------------------------------------------
def _kinds(module, *types):
    return [type(m).__name__ for m in module if isinstance(m, types)]


def test_mlp_takes_one_activation_and_dropout_per_hidden_layer(iris):
    X, y = iris
    model = MLPClassifier(
        (16, 8),
        activation=["tanh", "sigmoid"],
        dropout=[0.3, 0.0],
        max_iter=200,
        learning_rate_init=0.01,
        random_state=0,
    ).fit(X, y)
    module = model.net_.module_
    assert _kinds(module, nn.Tanh, nn.Sigmoid, nn.Dropout) == [
        "Tanh",
        "Dropout",
        "Sigmoid",
    ]
    assert [m.p for m in module if isinstance(m, nn.Dropout)] == [0.3]
    assert model.score(X, y) > 0.9
    # a list of one name equals the name
    one = MLPClassifier((8,), activation=["tanh"], max_iter=5, random_state=0)
    same = MLPClassifier((8,), activation="tanh", max_iter=5, random_state=0)
    np.testing.assert_array_equal(
        one.fit(X, y).predict_proba(X), same.fit(X, y).predict_proba(X)
    )


@pytest.mark.parametrize(
    "params, message",
    [
        (
            {"activation": ["relu"]},
            r"activation=\['relu'\] has 1 entries, but the network has 2 hidden",
        ),
        (
            {"activation": ["relu", "softmax"]},
            "holds 'softmax', which is not an activation. 'softmax' is an output",
        ),
        ({"dropout": [0.5, 0.5, 0.5]}, "has 3 entries, but the network has 2"),
        ({"dropout": [0.5, 1.0]}, r"holds 1.0; dropout probabilities are .*\[0, 1\)"),
    ],
)
def test_per_layer_lists_of_the_wrong_length_or_content(iris, params, message):
    X, y = iris
    model = MLPClassifier((4, 4), max_iter=1, **params)
    with pytest.raises(ValueError, match=message):
        model.fit(X, y)
    assert not hasattr(model, "net_")


def test_cnn_takes_lists_for_its_conv_and_dense_layers():
    X, y = load_digits(return_X_y=True)
    model = CNNClassifier(
        (4, 8),
        dense_layers=(16,),
        activation=["relu", "tanh", "elu"],  # conv, conv, dense
        dropout=[0.1, 0.2],  # before the dense layer, before the output
        conv_dropout=[0.0, 0.25],
        pool_size=[2, 2],
        max_iter=1,
        random_state=0,
    ).fit(X[:64], y[:64])
    module = model.net_.module_
    order = _kinds(
        module, nn.ReLU, nn.Tanh, nn.ELU, nn.Dropout, nn.MaxPool2d, nn.Linear
    )
    assert order == [
        "ReLU",
        "MaxPool2d",
        "Tanh",
        "MaxPool2d",
        "Dropout",  # conv_dropout after the second block's pooling
        "Dropout",
        "Linear",
        "ELU",
        "Dropout",
        "Linear",
    ]
    assert [m.p for m in module if isinstance(m, nn.Dropout)] == [0.25, 0.1, 0.2]
    with pytest.raises(ValueError, match=r"2 conv layers, then 1 dense layers"):
        CNNClassifier((4, 8), dense_layers=(16,), activation=["relu"] * 2).fit(
            X[:64], y[:64]
        )
    with pytest.raises(
        ValueError,
        match=r"2 fully connected layers \(1 dense layers and the output layer",
    ):
        CNNClassifier((4, 8), dense_layers=(16,), dropout=[0.5]).fit(X[:64], y[:64])


def test_conv_dropout_trains_and_is_off_at_predict():
    X, y = load_digits(return_X_y=True)
    model = CNNClassifier(
        (8, 16),
        dense_layers=(32,),
        conv_dropout=0.25,
        rescale=1 / 16,
        learning_rate_init=0.01,
        batch_size=32,
        max_iter=10,
        random_state=0,
    ).fit(X[:1000], y[:1000])
    # predictions are deterministic: dropout is off outside training
    np.testing.assert_array_equal(
        model.predict_proba(X[1000:]), model.predict_proba(X[1000:])
    )
    assert model.score(X[1000:], y[1000:]) > 0.85


def test_pool_strides_overlap_the_windows():
    X, y = load_digits(return_X_y=True)
    params = {"conv_filters": (4,), "dense_layers": (), "max_iter": 1}
    # 8x8, 3x3 windows by 2: floor((8 - 3) / 2) + 1 = 3 per side
    model = CNNClassifier(**params, pool_size=3, pool_strides=2).fit(X[:64], y[:64])
    pool = next(m for m in model.net_.module_ if isinstance(m, nn.MaxPool2d))
    assert (pool.kernel_size, pool.stride) == ((3, 3), (2, 2))
    assert model.net_.module_.feature_shape == (4, 3, 3)
    # None: the window's own size, as before
    model = CNNClassifier(**params, pool_size=(2, 4)).fit(X[:64], y[:64])
    assert model.net_.module_.feature_shape == (4, 4, 2)
    model = CNNClassifier(**params, pool_size=3, pool_strides=(1, 3)).fit(
        X[:64], y[:64]
    )
    assert model.net_.module_.feature_shape == (4, 6, 2)


@pytest.mark.parametrize(
    "pool_size, pool_strides, message",
    [
        (None, 2, r"no conv layer pools \(pool_size is None or 1"),
        (1, (2, 1), "no conv layer pools"),
        ([2, None], [2, 2], r"pool_strides\[1\]=2 is the step of conv layer 2's pool"),
    ],
)
def test_pool_strides_without_pooling_is_refused(pool_size, pool_strides, message):
    X, y = load_digits(return_X_y=True)
    model = CNNClassifier(
        (2, 2), pool_size=pool_size, pool_strides=pool_strides, max_iter=1
    )
    with pytest.raises(ValueError, match=message):
        model.fit(X[:20], y[:20])
    # one step for every layer applies to the layers that pool
    model.set_params(pool_size=[2, None], pool_strides=1).fit(X[:20], y[:20])
    assert model.net_.module_.feature_shape == (2, 7, 7)


# -- use_bias ------------------------------------------------------------------------
def test_use_bias_false_drops_the_hidden_biases(iris):
    X, y = iris
    model = MLPClassifier(
        (16, 8), use_bias=False, max_iter=200, learning_rate_init=0.01, random_state=0
    ).fit(X, y)
    layers = model.net_.module_.linear_layers()
    assert [layer.bias is None for layer in layers] == [True, True, False]
    assert model.score(X, y) > 0.9
    np.testing.assert_array_equal(model.intercepts_[0], np.zeros(16))
    model.intercepts_[0] = np.zeros(16)  # zeros are what the layer has
    with pytest.raises(
        ValueError, match=r"intercepts_\[1\] belongs to a layer without"
    ):
        model.intercepts_[1] = np.ones(8)
    with pytest.raises(ValueError, match="set use_bias=True to pretrain"):
        from skdl import RBMTransformer

        MLPClassifier((8,), use_bias=False, pretrain=RBMTransformer(8)).fit(X, y)
    images = load_digits().data[:64]
    cnn = CNNClassifier((4,), dense_layers=(8,), use_bias=False, max_iter=1)
    cnn.fit(images, load_digits().target[:64])
    convs = [m for m in cnn.net_.module_ if isinstance(m, nn.Conv2d | nn.Linear)]
    assert [m.bias is None for m in convs] == [True, True, False]


# -- kernel_initializer --------------------------------------------------------------
def _first_layer(name, **params):
    X = np.random.RandomState(0).normal(size=(64, 400))
    y = np.arange(64) % 2
    model = MLPRegressor(
        hidden_layer_sizes=(300,),
        kernel_initializer=name,
        max_iter=1,
        learning_rate_init=1e-12,
        random_state=0,
        **params,
    ).fit(X, y)
    return model.coefs_[0], model.intercepts_[0]


@pytest.mark.parametrize(
    "name, std",
    [
        ("glorot_normal", np.sqrt(2 / 700)),
        ("he_normal", np.sqrt(2 / 400)),
        ("lecun_normal", np.sqrt(1 / 400)),
        ("he_uniform", np.sqrt(6 / 400) / np.sqrt(3)),
        ("lecun_uniform", np.sqrt(3 / 400) / np.sqrt(3)),
    ],
)
def test_initializers_draw_at_keras_scales_with_zero_biases(name, std):
    weights, biases = _first_layer(name)
    assert weights.std() == pytest.approx(std, rel=0.02)
    assert abs(weights.mean()) < 0.05 * std
    assert np.abs(biases).max() < 1e-9  # zeros, moved by one Adam step of 1e-12
    if name.endswith("uniform"):
        assert np.abs(weights).max() <= np.sqrt(3) * std * 1.0001


def test_glorot_uniform_is_scikit_learns_and_the_default():
    weights, biases = _first_layer("glorot_uniform")
    default, _ = _first_layer("glorot_uniform")
    np.testing.assert_array_equal(weights, default)
    bound = np.sqrt(6 / 700)
    assert np.abs(weights).max() <= bound and np.abs(weights).max() > 0.99 * bound
    assert np.abs(biases).max() > 0.9 * bound  # sklearn draws the biases too
    logistic, _ = _first_layer("glorot_uniform", activation="sigmoid")
    assert np.abs(logistic).max() <= np.sqrt(2 / 700)
    # None: PyTorch's default, uniform in +-1/sqrt(fan_in)
    torch_default, _ = _first_layer(None)
    assert 0.99 / 20 < np.abs(torch_default).max() <= 1 / 20


def test_orthogonal_and_zeros():
    weights, _ = _first_layer("orthogonal")
    np.testing.assert_allclose(weights.T @ weights, np.eye(300), atol=1e-4)
    weights, biases = _first_layer("zeros")
    assert np.abs(weights).max() < 1e-9 and np.abs(biases).max() < 1e-9


def test_cnn_initializer_counts_the_kernel_area():
    X, y = load_digits(return_X_y=True)
    model = CNNClassifier(
        (64,),
        kernel_size=(3, 5),
        dense_layers=(),
        kernel_initializer="he_normal",
        max_iter=1,
        learning_rate_init=1e-12,
        random_state=0,
    ).fit(X[:64], y[:64])
    conv = next(m for m in model.net_.module_ if isinstance(m, nn.Conv2d))
    # one input channel: fan_in is the kernel's 15 taps
    assert conv.weight.std().item() == pytest.approx(np.sqrt(2 / 15), rel=0.1)
    assert conv.bias.abs().max() < 1e-9
