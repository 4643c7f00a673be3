"""AutoencoderTransformer's training options (issue 19): validation_data, the
early-stopping monitor, schedules, solvers and the per-layer architecture."""

import numpy as np
import pytest
import scipy.sparse as sp
import torch
from api_checks import SOLVER_CASES, check_optimizer
from sklearn.base import clone
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from torch import nn

from skdl import AutoencoderTransformer, MLPClassifier

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    X_train, X_val, y_train, _ = train_test_split(
        X / 16, y, test_size=0.25, random_state=0
    )
    return X_train, X_val, y_train


def small(**params):
    return AutoencoderTransformer(
        **{"hidden_layer_sizes": (16, 4), "random_state": 0, **params}
    )


# -- validation_data -----------------------------------------------------------------
def test_validation_data_is_the_held_out_rows_scored_every_epoch(digits):
    X, X_val, _ = digits
    model = small(max_iter=4).fit(X, validation_data=X_val)
    reconstruction = model.inverse_transform(model.transform(X_val))
    error = np.mean((reconstruction - X_val) ** 2)
    # the last epoch's records are those of the fitted model on X_val: the loss
    # (the mean squared error, as in training) and the score
    assert model.history_[-1, "valid_loss"] == pytest.approx(error, rel=1e-5)
    assert model.history_[-1, "valid_score"] == pytest.approx(model.score(X_val))
    assert len(model.history_[:, "valid_loss"]) == 4
    # every training row trains; scikit-learn's early-stopping attributes stay off
    assert model.history_[0, "samples_seen"] == len(X)
    assert model.validation_scores_ is None
    # Keras' (X_val, X_val) and a sparse X_val are the same validation set
    for same in ((X_val, X_val), (X_val, X_val.copy()), sp.csr_matrix(X_val)):
        again = small(max_iter=4).fit(X, validation_data=same)
        np.testing.assert_allclose(
            again.history_[:, "valid_loss"], model.history_[:, "valid_loss"], rtol=1e-6
        )


def test_the_validation_loss_is_the_training_loss_of_the_rows(digits):
    X, X_val, _ = digits
    model = small(loss="cross_entropy", max_iter=2).fit(X, validation_data=X_val)
    p = np.clip(model.inverse_transform(model.transform(X_val)), 1e-12, 1 - 1e-12)
    cross_entropy = -np.mean(X_val * np.log(p) + (1 - X_val) * np.log(1 - p))
    assert model.history_[-1, "valid_loss"] == pytest.approx(cross_entropy, rel=1e-4)


@pytest.mark.parametrize("monitor", ["score", "loss"])
def test_early_stopping_stops_on_the_validation_data(digits, monitor):
    X, X_val, _ = digits
    model = small(
        early_stopping=True,
        early_stopping_monitor=monitor,
        n_iter_no_change=2,
        tol=1e-3,
        learning_rate_init=0.01,
        max_iter=300,
    ).fit(X, validation_data=X_val)
    assert model.n_iter_ < 300
    assert model.history_[0, "samples_seen"] == len(X)  # validation_fraction unused
    assert model.validation_scores_ == model.history_[:, "valid_score"]
    # the best epoch's weights are restored: the lowest loss or highest score
    losses = model.history_[:, "valid_loss"]
    best = (
        np.argmin(losses) if monitor == "loss" else np.argmax(model.validation_scores_)
    )
    assert -model.score(X_val) == pytest.approx(losses[best], rel=1e-5)


def test_early_stopping_on_sparse_rows(digits):
    # the held-out rows of a sparse X stay sparse until they are scored
    X = sp.csr_matrix(digits[0])
    model = small(early_stopping=True, max_iter=3).fit(X)
    assert len(model.validation_scores_) == 3
    assert np.isfinite(model.history_[:, "valid_loss"]).all()


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda X, y: (X, X, X), "got a tuple of length 3"),
        (lambda X, y: (X, y), "second entry is not X_val"),
        (lambda X, y: (X, X + 1), "second entry is not X_val"),
        (lambda X, y: (X, None), "second entry is not X_val"),
        (lambda X, y: X[:, :10], "X has 10 features, but AutoencoderTransformer"),
    ],
)
def test_bad_validation_data_is_a_clear_error_and_leaves_the_model(
    digits, make, message
):
    X, X_val, y = digits
    model = small(max_iter=2)
    with pytest.raises(ValueError, match=message):
        model.fit(X, validation_data=make(X_val, y[: len(X_val)]))
    assert not hasattr(model, "net_")


# -- schedules and solvers -----------------------------------------------------------
@pytest.mark.parametrize(
    "schedule, exponents",
    # decay_rate ** (t / decay_steps), or ** (t // decay_steps), after t epochs
    [("exponential", [0, 0.5, 1, 1.5, 2]), ("step", [0, 0, 1, 1, 2])],
)
def test_decays_follow_their_formula_epoch_by_epoch(digits, schedule, exponents):
    model = small(solver="sgd", learning_rate=schedule, learning_rate_init=0.1)
    model.set_params(decay_rate=0.5, decay_steps=2, tol=0, max_iter=5)
    model.fit(digits[0])
    expected = 0.1 * 0.5 ** np.array(exponents)
    np.testing.assert_allclose(model.history_[:, "lr"], expected)


def test_plateau_lowers_the_rate_on_the_validation_loss(digits):
    X, X_val, _ = digits
    model = small(learning_rate="plateau", learning_rate_init=0.01, max_iter=6)
    model.set_params(decay_rate=0.5, plateau_patience=2, min_learning_rate=0.003)
    # tol=10: no epoch improves the validation loss by that much
    model.set_params(tol=10.0, n_iter_no_change=100)
    model.fit(X, validation_data=X_val)
    np.testing.assert_allclose(
        model.history_[:, "lr"], [0.01, 0.01, 0.01, 0.005, 0.005, 0.003]
    )
    # the rate followed the validation loss (the training loss differs)
    plateau = dict(model.net_.callbacks_)["plateau"]
    assert plateau.best_ == model.history_[0, "valid_loss"]
    assert plateau.best_ != model.history_[0, "train_loss"]


@pytest.mark.parametrize("params, torch_class, group", SOLVER_CASES)
def test_each_solver_gives_its_torch_optimizer(digits, params, torch_class, group):
    X = digits[0]
    model = small(max_iter=2, **params).fit(X)
    check_optimizer(model, torch_class, group)
    assert np.isfinite(model.loss_curve_).all()


# -- per-layer architecture ----------------------------------------------------------
def test_per_layer_activations_and_dropout_build_a_mirrored_stack():
    X = np.random.RandomState(0).rand(40, 12)
    model = AutoencoderTransformer(
        (8, 6, 3),
        activation=["tanh", "sigmoid"],
        code_activation="logistic",
        dropout=[0.5, 0.0],
        max_iter=1,
        random_state=0,
    ).fit(X)
    module = model.net_.module_
    assert [type(a) for a in module.encoder_activations] == [
        nn.Tanh,
        nn.Sigmoid,
        nn.Sigmoid,
    ]
    # the decoder runs back: the layer of width 6 (sigmoid), then of width 8 (tanh)
    assert [type(a) for a in module.decoder_activations] == [nn.Sigmoid, nn.Tanh]
    assert [type(d) for d in module.encoder_dropout] == [nn.Dropout, nn.Identity]
    assert [type(d) for d in module.decoder_dropout] == [nn.Identity, nn.Dropout]
    assert module.encoder_dropout[0].p == 0.5
    # dropout trains only: transform is deterministic
    np.testing.assert_array_equal(model.transform(X), model.transform(X))
    # one activation for all keeps the stack as it was
    plain = AutoencoderTransformer((8, 6, 3), activation="tanh").fit(X[:5])
    assert "encoder_dropout" not in dict(plain.net_.module_.named_children())


def test_use_bias_and_kernel_initializer():
    X = np.random.RandomState(0).rand(40, 12)
    for tied in (False, True):
        model = AutoencoderTransformer(
            (8, 3), use_bias=False, tied_weights=tied, max_iter=1
        ).fit(X)
        module = model.net_.module_
        assert all(layer.bias is None for layer in module.encoder)
        biases = [module.decoder_layer(i)[1] for i in range(2)]
        # the decoder's hidden layer has none; the reconstruction layer has one
        assert biases[0] is None and biases[1].shape == (12,)
    he = AutoencoderTransformer(
        (300, 3), kernel_initializer="he_normal", max_iter=1, learning_rate_init=1e-12
    ).fit(np.random.RandomState(0).rand(400, 400))
    first = he.net_.module_.encoder[0]
    assert first.weight.std().item() == pytest.approx(np.sqrt(2 / 400), rel=0.05)
    assert float(first.bias.detach().abs().max()) < 1e-9  # zero, plus a step
    zeros = AutoencoderTransformer((8, 3), kernel_initializer="zeros", max_iter=1)
    zeros.set_params(learning_rate_init=1e-12).fit(X)
    assert float(zeros.net_.module_.encoder[1].weight.detach().abs().max()) < 1e-9


@pytest.mark.parametrize(
    "params, message",
    [
        (
            {"activation": ["tanh", "relu"]},
            r"has 2 entries, but the network has 1 encoder layers below the code",
        ),
        ({"activation": ["softmax"]}, "holds 'softmax', which is not an activation"),
        (
            {"dropout": [0.1, 0.2]},
            r"has 2 entries, but the network has 1 encoder layers below the code",
        ),
        ({"dropout": [1.5]}, r"dropout probabilities are numbers in \[0, 1\)"),
        ({"dropout": 1.0}, "'dropout' parameter"),
        ({"kernel_initializer": "uniform"}, "'kernel_initializer' parameter"),
        ({"use_bias": "no"}, "'use_bias' parameter"),
        ({"early_stopping_monitor": "val_loss"}, "'early_stopping_monitor' parameter"),
        ({"learning_rate": "cosine"}, "'learning_rate' parameter"),
        ({"decay_rate": 0.0}, "'decay_rate' parameter"),
        ({"rho": 1.0}, "'rho' parameter"),
    ],
)
def test_bad_values_are_clear_errors(params, message):
    X = np.random.RandomState(0).rand(20, 6)
    with pytest.raises(ValueError, match=message):
        AutoencoderTransformer((4, 2), max_iter=1, **params).fit(X)


# -- greedy pretraining and the MLP's pretrain ---------------------------------------
def test_greedy_pretraining_follows_the_per_layer_settings(digits, shallow_fits):
    X = digits[0]
    stack = small(
        hidden_layer_sizes=(16, 8, 4),
        activation=["logistic", "tanh"],
        dropout=0.2,
        use_bias=False,
    )
    # fine-tuning barely moves the weights
    stack.set_params(tied_weights=True, pretraining="greedy", learning_rate_init=1e-9)
    stack.set_params(max_iter=2).fit(X)
    fitted = shallow_fits
    codes = [layer.code_activation for layer in fitted]
    assert codes == ["logistic", "tanh", "identity"]
    # a layer above a logistic one reconstructs (0, 1) codes by cross-entropy
    assert [layer.loss for layer in fitted] == [
        "squared_error",
        "cross_entropy",
        "squared_error",
    ]
    module = stack.net_.module_
    for i, layer in enumerate(fitted):
        torch.testing.assert_close(
            module.encoder[i].weight,
            layer.net_.module_.encoder[0].weight,
            atol=1e-6,
            rtol=0,
        )
    assert module.encoder[0].bias is None
    again = clone(stack).fit(X)
    np.testing.assert_array_equal(again.transform(X), stack.transform(X))


def test_an_mlp_takes_the_per_layer_activations_of_its_pretrain(digits):
    X, _, y = digits
    pretrain = AutoencoderTransformer((16, 8), activation=["tanh"], max_iter=2)
    model = MLPClassifier(
        (16, 8),
        activation=["tanh", "identity"],
        pretrain=pretrain,
        learning_rate_init=1e-9,
        max_iter=1,
        random_state=0,
    ).fit(X, y)
    encoder = model.pretrain_.net_.module_.encoder
    for coef, layer in zip(model.coefs_, encoder, strict=False):
        np.testing.assert_allclose(coef.T, layer.weight.detach(), atol=1e-6)
    assert [type(m) for m in model.net_.module_ if not isinstance(m, nn.Linear)] == [
        nn.Tanh,
        nn.Identity,
    ]
    # one activation for all the MLP's layers cannot take them: the message
    # gives the list to set
    with pytest.raises(ValueError, match=r"activation=\['tanh', 'identity'\]"):
        model.set_params(activation="tanh").fit(X, y)
    # an encoder without biases starts the hidden biases at zero; an MLP without
    # biases takes only such an encoder
    unbiased = pretrain.set_params(use_bias=False)
    model.set_params(activation=["tanh", "identity"], pretrain=unbiased).fit(X, y)
    assert all(np.abs(b).max() < 1e-6 for b in model.intercepts_[:2])
    model.set_params(use_bias=False).fit(X, y)
    assert model.net_.module_[0].bias is None
    with pytest.raises(ValueError, match=r"AutoencoderTransformer\(use_bias=False\)"):
        model.set_params(pretrain=pretrain.set_params(use_bias=True)).fit(X, y)
