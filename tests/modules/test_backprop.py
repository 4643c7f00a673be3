"""The MLP's gradients written out (skdl.modules._backprop) are autograd's.

A plain MLP's training step computes its gradients without autograd (a quarter
of a small step's time went to autograd's bookkeeping). These tests hold the
written-out gradients, loss and outputs against autograd's on every activation,
loss, weighting and dtype that path takes; check that anything else (dropout,
hooks, frozen or parametrized layers, other losses) keeps autograd; and that
fits of the estimators follow autograd's trajectory.
"""

import warnings

import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from skorch.callbacks import Callback
from torch import nn

from skdl import MLPClassifier, MLPRegressor
from skdl._net import SkdlNet
from skdl.modules import FocalLoss, HalfSquaredError, MLPModule
from skdl.modules._backprop import backprop, writes_gradients

ACTIVATIONS = ["identity", "logistic", "tanh", "relu"]
TOLERANCE = {
    torch.float32: {"rtol": 2e-5, "atol": 1e-6},
    torch.float64: {"rtol": 1e-11, "atol": 1e-13},
}


def _targets(loss, n_outputs, n, generator):
    if loss == "cross-entropy":
        return nn.CrossEntropyLoss(), torch.randint(
            n_outputs, (n,), generator=generator
        )
    y = torch.rand(n, n_outputs, generator=generator, dtype=torch.float64)
    if loss == "logistic":
        return nn.BCEWithLogitsLoss(), (y > 0.5).to(torch.float64)
    return HalfSquaredError(), 3 * y


def _autograd(module, criterion, X, y, weight):
    """The data term as SkdlNet._losses computes it, and autograd's gradients."""
    module.zero_grad(set_to_none=True)
    outputs = module(X)
    if weight is None:
        criterion.reduction = "sum"
        loss = criterion(outputs, y) / len(outputs)
    else:
        criterion.reduction = "none"
        per_row = criterion(outputs, y).reshape(len(outputs), -1).sum(1)
        loss = (per_row * weight).sum() / weight.sum()
    loss.backward()
    return loss.detach(), outputs.detach(), [p.grad for p in module.parameters()]


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize(
    "loss, n_outputs",
    [
        ("cross-entropy", 3),
        ("cross-entropy", 20),  # log-softmax along rows, not columns
        ("logistic", 1),
        ("logistic", 4),
        ("squared", 1),
        ("squared", 3),
    ],
)
@pytest.mark.parametrize("activation", ACTIVATIONS)
@pytest.mark.parametrize(
    "hidden, use_bias", [((7,), True), ((6, 5), False), ((), True)]
)
def test_the_written_gradients_are_autograds(
    activation, loss, n_outputs, weighted, dtype, hidden, use_bias
):
    generator = torch.Generator().manual_seed(0)
    n = 37
    module = MLPModule(
        9, hidden, n_outputs, activation=activation, use_bias=use_bias
    ).to(dtype)
    X = torch.randn(n, 9, generator=generator, dtype=torch.float64).to(dtype)
    criterion, y = _targets(loss, n_outputs, n, generator)
    y = y.to(dtype) if y.is_floating_point() else y
    weight = (
        torch.rand(n, generator=generator, dtype=torch.float64).to(dtype)
        if weighted
        else None
    )
    assert writes_gradients(module, criterion, X, y)
    written_loss, written_outputs = backprop(module, criterion, X, y, weight)
    written = [p.grad for p in module.parameters()]
    assert not written_loss.requires_grad and not written_outputs.requires_grad
    loss_value, outputs, expected = _autograd(module, criterion, X, y, weight)
    torch.testing.assert_close(written_outputs, outputs, rtol=0, atol=0)
    torch.testing.assert_close(written_loss, loss_value, **TOLERANCE[dtype])
    assert len(written) == len(expected)
    for got, want in zip(written, expected, strict=True):
        assert got.dtype == want.dtype and got.shape == want.shape
        torch.testing.assert_close(got, want, **TOLERANCE[dtype])


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_the_written_gradients_are_autograds_on_cuda():
    # the row-wise log-softmax on every class count, and the deterministic
    # kernels (scatter_add_ has one on CUDA)
    generator = torch.Generator().manual_seed(0)
    for activation in ACTIVATIONS:
        for loss, n_outputs in [("cross-entropy", 3), ("logistic", 2), ("squared", 2)]:
            for weighted in (False, True):
                module = MLPModule(9, (7,), n_outputs, activation=activation).cuda()
                X = torch.randn(37, 9, generator=generator).cuda()
                criterion, y = _targets(loss, n_outputs, 37, generator)
                y = (y.float() if y.is_floating_point() else y).cuda()
                weight = (
                    torch.rand(37, generator=generator).cuda() if weighted else None
                )
                assert writes_gradients(module, criterion, X, y)
                got_loss, got_outputs = backprop(module, criterion, X, y, weight)
                written = [p.grad for p in module.parameters()]
                want_loss, outputs, expected = _autograd(
                    module, criterion, X, y, weight
                )
                torch.testing.assert_close(got_outputs, outputs)
                torch.testing.assert_close(got_loss, want_loss)
                for got, want in zip(written, expected, strict=True):
                    torch.testing.assert_close(got, want)


def test_the_loss_averages_over_the_predictions_it_is_told():
    module = MLPModule(3, (4,), 2)
    X, y = torch.randn(6, 3), torch.tensor([0, 1, 1, 0, 1, 0])
    by_rows, _ = backprop(module, nn.CrossEntropyLoss(), X, y, None)
    rows_grad = module[0].weight.grad.clone()
    by_three, _ = backprop(
        module, nn.CrossEntropyLoss(), X, y, None, lambda outputs, y: 3
    )
    torch.testing.assert_close(by_three, 2 * by_rows)
    torch.testing.assert_close(module[0].weight.grad, 2 * rows_grad)


def _hook(*args):
    return None


def _frozen(module):
    module[0].weight.requires_grad_(False)


def _parametrized(module):
    nn.utils.parametrizations.weight_norm(module[0])


def _twice(module, tied=False):
    """Two square layers after the first activation: one layer twice, or two
    layers sharing a weight."""
    first = nn.Linear(4, 4)
    second = nn.Linear(4, 4) if tied else first
    second.weight = first.weight
    module.insert(2, first).insert(3, nn.Tanh()).insert(4, second)


AUTOGRAD_CASES = {
    "dropout": lambda m: m.insert(2, nn.Dropout(0.5)),
    "batch norm": lambda m: m.insert(1, nn.BatchNorm1d(4)),
    "another activation": lambda m: m.__setitem__(1, nn.LeakyReLU()),
    "an activation subclass": lambda m: m.__setitem__(1, type("R", (nn.ReLU,), {})()),
    "no linear layer last": lambda m: m.append(nn.ReLU()),
    "a forward hook on a layer": lambda m: m[0].register_forward_hook(_hook),
    "a forward pre-hook on the network": lambda m: m.register_forward_pre_hook(_hook),
    "a backward hook on a layer": lambda m: m[2].register_full_backward_hook(_hook),
    "a hook on a parameter": lambda m: m[0].weight.register_hook(_hook),
    "a hook after accumulation": (
        lambda m: m[2].bias.register_post_accumulate_grad_hook(_hook)
    ),
    "a frozen parameter": _frozen,
    "a parametrized layer": _parametrized,
    # backprop applies an activation in place to the product of the layer before
    "an activation first": lambda m: m.insert(0, nn.Tanh()),
    "two activations in a row": lambda m: m.insert(2, nn.Sigmoid()),
    # and sets each parameter's gradient once
    "a layer used twice": _twice,
    "a tied weight": lambda m: _twice(m, tied=True),
}


@pytest.mark.parametrize("case", AUTOGRAD_CASES)
def test_anything_else_in_the_network_keeps_autograd(case):
    module = MLPModule(3, (4,), 2)
    X, y = torch.randn(5, 3), torch.tensor([0, 1, 1, 0, 1])
    assert writes_gradients(module, nn.CrossEntropyLoss(), X, y)
    AUTOGRAD_CASES[case](module)
    assert not writes_gradients(module, nn.CrossEntropyLoss(), X, y)


class _Doubled(MLPModule):
    def forward(self, X):
        return 2 * super().forward(X)


def test_a_network_with_its_own_forward_pass_keeps_autograd():
    module = _Doubled(3, (4,), 2)
    X, y = torch.randn(5, 3), torch.tensor([0, 1, 1, 0, 1])
    assert not writes_gradients(module, nn.CrossEntropyLoss(), X, y)


def test_a_hook_on_the_loss_or_anomaly_detection_keeps_autograd():
    module, criterion = MLPModule(3, (4,), 2), nn.CrossEntropyLoss()
    X, y = torch.randn(5, 3), torch.tensor([0, 1, 1, 0, 1])
    with torch.autograd.set_detect_anomaly(True):
        assert not writes_gradients(module, criterion, X, y)
    assert writes_gradients(module, criterion, X, y)
    criterion.register_forward_hook(_hook)
    assert not writes_gradients(module, criterion, X, y)


def test_a_global_module_hook_keeps_autograd():
    module = MLPModule(3, (4,), 2)
    X, y = torch.randn(5, 3), torch.tensor([0, 1, 1, 0, 1])
    handle = nn.modules.module.register_module_forward_hook(_hook)
    try:
        assert not writes_gradients(module, nn.CrossEntropyLoss(), X, y)
    finally:
        handle.remove()
    assert writes_gradients(module, nn.CrossEntropyLoss(), X, y)


@pytest.mark.parametrize(
    "criterion, X, y",
    [
        (nn.CrossEntropyLoss(label_smoothing=0.1), None, None),
        (nn.CrossEntropyLoss(weight=torch.ones(2)), None, None),
        (nn.CrossEntropyLoss(ignore_index=1), None, None),
        (nn.CrossEntropyLoss(), None, torch.tensor([[0], [1], [1], [0], [1]])),
        (nn.CrossEntropyLoss(), None, torch.tensor([0, 1, 1, 0, 1], dtype=torch.int32)),
        (nn.CrossEntropyLoss(), None, torch.rand(5, 2)),  # probabilities
        (nn.BCEWithLogitsLoss(pos_weight=torch.ones(2)), None, torch.rand(5, 2)),
        (nn.BCEWithLogitsLoss(), None, torch.rand(5, 1)),  # of another shape
        (HalfSquaredError(), None, torch.rand(5)),
        (HalfSquaredError(), None, torch.rand(5, 2, dtype=torch.float64)),
        (nn.MSELoss(), None, torch.rand(5, 2)),
        (FocalLoss(), None, None),
        (nn.CrossEntropyLoss(), torch.randn(5, 3).to_sparse(), None),
        (nn.CrossEntropyLoss(), torch.randn(5, 3, dtype=torch.float64), None),
        (nn.CrossEntropyLoss(), torch.randn(5, 1, 3), None),
    ],
)
def test_another_loss_or_batch_keeps_autograd(criterion, X, y):
    module = MLPModule(3, (4,), 2)
    X = torch.randn(5, 3) if X is None else X
    y = torch.tensor([0, 1, 1, 0, 1]) if y is None else y
    assert not writes_gradients(module, criterion, X, y)


# -- the estimators -------------------------------------------------------------------
@pytest.fixture
def digits():
    X, y = load_digits(return_X_y=True)
    return X[:300] / 16, y[:300]


def _fit_both(make, X, y, monkeypatch, **fit_params):
    """Fit with written-out gradients and with autograd, from the same start."""
    warnings.simplefilter("ignore", ConvergenceWarning)
    written = make().fit(X, y, **fit_params)
    with monkeypatch.context() as patch:
        patch.setattr(SkdlNet, "_writes_gradients", lambda *args: False)
        autograd = make().fit(X, y, **fit_params)
    return written, autograd


@pytest.mark.parametrize(
    "task", ["multiclass", "binary", "multilabel", "regression", "weighted"]
)
def test_fits_follow_autograds_trajectory(task, digits, monkeypatch):
    X, y = digits
    fit_params = {}
    if task == "binary":
        y = y % 2
    elif task == "multilabel":
        y = np.stack([y % 2, y > 4, y == 3], axis=1).astype(int)
    elif task == "weighted":
        fit_params["sample_weight"] = np.random.default_rng(0).uniform(0, 2, len(y))
    if task == "regression":
        y = np.stack([y, y**2 / 9], axis=1).astype(float)
        model = MLPRegressor(hidden_layer_sizes=(20, 10), max_iter=8, random_state=0)
    else:
        model = MLPClassifier((20,), activation="tanh", max_iter=8, random_state=0)
    make = lambda: clone(model)  # noqa: E731
    written, autograd = _fit_both(make, X, y, monkeypatch, **fit_params)
    np.testing.assert_allclose(written.loss_curve_, autograd.loss_curve_, rtol=1e-10)
    for got, want in zip(written.coefs_, autograd.coefs_, strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-8, atol=1e-10)


class _CountCalls(Callback):
    """Registers ``hook_kind`` on the first layer at the start of training."""

    def __init__(self, hook_kind):
        self.hook_kind = hook_kind

    def on_train_begin(self, net, **kwargs):
        self.calls = 0

        def count(*args):
            self.calls += 1

        layer = net.module_[0]
        if self.hook_kind == "forward":
            layer.register_forward_hook(count)
        else:
            layer.weight.register_hook(count)


@pytest.mark.parametrize("hook_kind", ["forward", "gradient"])
def test_a_hook_registered_during_fit_runs_on_every_batch(hook_kind, digits):
    X, y = digits
    counter = _CountCalls(hook_kind)
    warnings.simplefilter("ignore", ConvergenceWarning)
    MLPClassifier(
        (8,), batch_size=100, max_iter=2, random_state=0, callbacks=[counter]
    ).fit(X, y)
    assert counter.calls == 2 * 3  # two epochs of three batches


def test_the_default_mlp_takes_its_steps_without_autograd(digits, monkeypatch):
    X, y = digits
    backward_calls = []
    original = torch.Tensor.backward

    def counted(self, *args, **kwargs):
        backward_calls.append(1)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(torch.Tensor, "backward", counted)
    warnings.simplefilter("ignore", ConvergenceWarning)
    MLPClassifier((8,), max_iter=2, random_state=0).fit(X, y)
    MLPRegressor(hidden_layer_sizes=(8,), max_iter=2, random_state=0).fit(
        X, y.astype(float)
    )
    assert backward_calls == []
    MLPClassifier((8,), dropout=0.2, max_iter=2, random_state=0).fit(X, y)
    assert len(backward_calls) == 2 * 2  # two epochs of two batches of 200


def test_an_autocast_context_keeps_autograd(digits):
    module, criterion = MLPModule(3, (4,), 2), nn.CrossEntropyLoss()
    X, y = torch.randn(5, 3), torch.tensor([0, 1, 1, 0, 1])
    with torch.autocast("cpu", dtype=torch.bfloat16):
        assert not writes_gradients(module, criterion, X, y)
        # the products are bfloat16: written out, their gradients were too
        warnings.simplefilter("ignore", ConvergenceWarning)
        MLPClassifier((8,), max_iter=1, precision="float32").fit(*digits)


class _OwnLossNet(SkdlNet):
    def _losses(self, y_pred, y_true, training):
        loss, reported = super()._losses(y_pred, y_true, training)
        return 2 * loss, reported


def test_a_net_with_its_own_loss_keeps_autograd(digits, monkeypatch):
    X, y = digits
    model = MLPClassifier((8,), max_iter=1, random_state=0)
    warnings.simplefilter("ignore", ConvergenceWarning)
    model.fit(X, y)
    net = model.net_
    batch = (torch.as_tensor(X[:5], dtype=torch.float64), torch.as_tensor(y[:5]), None)
    assert net._writes_gradients(batch[0], batch[1], {})
    monkeypatch.setattr(net, "__class__", _OwnLossNet)
    assert not net._writes_gradients(batch[0], batch[1], {})
