"""skdl's optimizers are torch's, minus the compiler import of their first call."""

import inspect

import pytest
import torch
from torch.optim.optimizer import register_optimizer_step_post_hook

from skdl._optim import SOLVERS


def _train(optimizer_class, **kwargs):
    torch.manual_seed(0)
    module = torch.nn.Sequential(
        torch.nn.Linear(5, 7), torch.nn.Tanh(), torch.nn.Linear(7, 2)
    )
    X, y = torch.randn(40, 5), torch.randn(40, 2)
    optimizer = optimizer_class(module.parameters(), lr=0.05, **kwargs)
    for _ in range(4):

        def closure():
            optimizer.zero_grad()
            loss = ((module(X) - y) ** 2).mean()
            loss.backward()
            return loss

        optimizer.step(closure)
    return [p.detach().clone() for p in module.parameters()], optimizer


def _torch_class(solver):
    return next(c for c in SOLVERS[solver].__mro__ if c.__module__.startswith("torch."))


@pytest.mark.parametrize("fused", [False, True])
@pytest.mark.parametrize("solver", sorted(SOLVERS))
def test_steps_equal_torchs_bit_for_bit(solver, fused):
    torch_class = _torch_class(solver)
    if fused and "fused" not in inspect.signature(torch_class).parameters:
        pytest.skip(f"torch's {torch_class.__name__} has no fused kernel")
    kwargs = {"fused": True} if fused else {}
    expected, reference = _train(torch_class, **kwargs)
    got, optimizer = _train(SOLVERS[solver], **kwargs)
    assert isinstance(optimizer, torch_class)
    for a, b in zip(got, expected, strict=True):
        assert torch.equal(a, b)
    # the state has torch's layout and loads back
    state = optimizer.state_dict()
    assert state.keys() == reference.state_dict().keys()
    optimizer.load_state_dict(state)


def _train_without_closure(
    optimizer_class, dtype, device, groups=None, no_grad_step=None, **kwargs
):
    torch.manual_seed(0)
    module = torch.nn.Sequential(
        torch.nn.Linear(5, 7), torch.nn.Tanh(), torch.nn.Linear(7, 2)
    ).to(device, dtype)
    X = torch.randn(40, 5, dtype=dtype).to(device)
    y = torch.randn(40, 2, dtype=dtype).to(device)
    params = list(module.parameters())
    optimizer = optimizer_class(groups(params) if groups else params, **kwargs)
    direct = []
    for step in range(6):
        for parameter in params:
            parameter.grad = None
        if step == 3:  # a schedule changes the rate between steps
            optimizer.param_groups[0]["lr"] = 0.01
        ((module(X) - y) ** 2).mean().backward()
        if step == no_grad_step:  # a parameter the loss did not reach
            params[1].grad = None
        direct.append(getattr(optimizer, "_fused_tensors", lambda: None)() is not None)
        optimizer.step()
    state = [
        [optimizer.state[p][key].clone() for key in sorted(optimizer.state[p])]
        for p in params
    ]
    return [p.detach().clone() for p in params], state, direct


@pytest.mark.parametrize(
    "device",
    [
        "cpu",
        pytest.param(
            "cuda",
            marks=[
                pytest.mark.gpu,
                pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA"),
            ],
        ),
    ],
)
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize(
    "options",
    [
        {},
        {"weight_decay": 0.1, "maximize": True, "eps": 1e-3, "betas": (0.8, 0.9)},
        {"amsgrad": True},
        {"groups": "two"},
        {"no_grad_step": 4},
    ],
    ids=["defaults", "options", "amsgrad", "two-groups", "a-step-without-a-grad"],
)
def test_adams_direct_fused_step_equals_torchs_bit_for_bit(device, dtype, options):
    # skdl's Adam calls torch's fused kernel itself when it can; every other
    # case takes torch's step, and both give torch's numbers bit for bit
    try:
        torch.optim.Adam([torch.nn.Parameter(torch.ones(1, device=device))], fused=True)
    except (RuntimeError, TypeError):
        pytest.skip(f"this torch has no fused Adam for the {device}")
    options = dict(options)
    groups = None
    if options.pop("groups", None):

        def groups(params):
            return [{"params": params[:2]}, {"params": params[2:], "lr": 0.2}]

    no_grad_step = options.pop("no_grad_step", None)
    kwargs = {"lr": 0.05, "fused": True, "no_grad_step": no_grad_step, **options}
    expected, expected_state, _ = _train_without_closure(
        torch.optim.Adam, dtype, device, groups, **kwargs
    )
    got, state, direct = _train_without_closure(
        SOLVERS["adam"], dtype, device, groups, **kwargs
    )
    for a, b in zip(got, expected, strict=True):
        assert torch.equal(a, b)
    for a, b in zip(state, expected_state, strict=True):
        assert all(torch.equal(x, y) for x, y in zip(a, b, strict=True))
    # the direct call is taken on every step after the first (which creates the
    # state) unless an option needs torch's step
    plain = "amsgrad" not in options and groups is None
    if no_grad_step is not None:
        assert direct == [False, True, True, True, False, True]
    else:
        assert direct == [False] + [plain] * 5


def test_step_hooks_and_schedulers_still_run():
    calls = []
    parameter = torch.nn.Parameter(torch.ones(3))
    optimizer = SOLVERS["sgd"]([parameter], lr=0.5)
    optimizer.register_step_pre_hook(lambda *args: calls.append("pre"))
    optimizer.register_step_post_hook(lambda *args: calls.append("post"))
    handle = register_optimizer_step_post_hook(lambda *args: calls.append("global"))
    try:
        parameter.grad = torch.ones(3)
        optimizer.step()
    finally:
        handle.remove()
    assert calls == ["pre", "post", "global"]
    assert torch.equal(parameter.detach(), torch.full((3,), 0.5))
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.1)
    optimizer.step()
    scheduler.step()
    assert optimizer.param_groups[0]["lr"] == pytest.approx(0.05)


# -- the solvers and their options on the estimators --------------------------------
@pytest.fixture(scope="module")
def digits():
    from sklearn.datasets import load_digits

    X, y = load_digits(return_X_y=True)
    return X / 16, y


@pytest.mark.parametrize(
    "solver, params",
    [
        ("adamax", {"learning_rate_init": 0.01}),
        ("nadam", {"learning_rate_init": 0.01}),
        ("adadelta", {"learning_rate_init": 1.0, "max_iter": 100}),
        ("adam", {"learning_rate_init": 0.01, "amsgrad": True}),
        ("rmsprop", {"learning_rate_init": 0.001, "rho": 0.9}),
    ],
)
def test_solvers_and_options_train_digits_and_round_trip(
    solver, params, digits, tmp_path
):
    import warnings

    import numpy as np

    from skdl import MLPClassifier
    from skdl.io import load, save

    X, y = digits
    params = {"max_iter": 20, **params}
    model = MLPClassifier((32,), solver=solver, random_state=0, **params)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit(X[:1200], y[:1200])
    assert model.score(X[1200:], y[1200:]) > 0.85
    optimizer = model.net_.optimizer_
    assert isinstance(optimizer, _torch_class(solver))
    group = optimizer.param_groups[0]
    if "amsgrad" in params:
        assert group["amsgrad"] is True
        assert "max_exp_avg_sq" in next(iter(optimizer.state.values()))
    if "rho" in params:
        assert group["alpha"] == 0.9  # torch's name for RMSprop's rho
    save(model, tmp_path / "model.skdl")
    loaded = load(tmp_path / "model.skdl")
    np.testing.assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))
    assert (
        loaded.net_.optimizer_.state_dict()["param_groups"]
        == (optimizer.state_dict()["param_groups"])
    )


def test_rho_of_adadelta_and_the_defaults(digits):
    from skdl import MLPRegressor

    X, y = digits
    model = MLPRegressor(
        hidden_layer_sizes=(4,), solver="adadelta", rho=0.5, max_iter=1
    )
    assert model.fit(X, y).net_.optimizer_.param_groups[0]["rho"] == 0.5
    model.set_params(solver="rmsprop", rho=None)
    assert model.fit(X, y).net_.optimizer_.param_groups[0]["alpha"] == 0.99  # torch's


def test_the_learning_rate_of_each_epoch_is_in_the_history(digits):
    import pytest as _pytest

    from skdl import MLPClassifier
    from skdl.callbacks import InverseScalingLR

    X, y = digits
    model = MLPClassifier(
        (8,), solver="sgd", learning_rate="invscaling", max_iter=3, tol=0
    ).fit(X, y)
    schedule = InverseScalingLR(0.001, 0.5)
    seen = [0, *model.history_[:-1, "samples_seen"]]
    expected = [0.001] + [schedule.rate(n) for n in seen[1:]]
    assert model.history_[:, "lr"] == _pytest.approx(expected)
