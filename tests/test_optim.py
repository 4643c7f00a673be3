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
