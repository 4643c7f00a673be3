"""PyTorch's optimizers, minus the compiler import of their first call.

torch wraps ``Optimizer.add_param_group``, ``zero_grad``, ``state_dict`` and
``load_state_dict`` so that ``torch.compile`` skips them, and every ``step`` so
that it breaks a compiled graph. Each wrapper imports ``torch._dynamo`` when it
first runs: building the first optimizer of a process took a second on a 2-core
machine and loaded some 800 modules (sympy among them), which a short script
that fits one small model pays in full. skdl never compiles an optimizer (only a
module's forward pass, see ``compile``), so its optimizers call the wrapped
functions directly.

torch also wraps every ``step`` in a profiler range and its step hooks. The
profiler range alone cost about 40 us per step, a tenth of an MLP step on a
small table, so a step runs bare unless a step hook is registered (on the
optimizer, or globally with ``register_optimizer_step_pre_hook``); then it takes
torch's wrapped path. A fused Adam step with one group of parameters of one
device and type (skdl's MLPs on every step but the first) calls torch's fused
kernel directly, without the Python that sorts tensors by device and type for
it: 10 of the 27 us a fused step took, in an MLP step of 300-450 us. The
arithmetic is torch's own: the subclasses below change which Python functions
run, not what they compute.
"""

from __future__ import annotations

import inspect

import torch
from torch import optim
from torch.optim import optimizer as _optimizer

__all__ = ["SOLVERS"]


def _guard_code():
    """The code object shared by torch's "compiler, skip this" wrappers."""
    disable = getattr(torch, "_disable_dynamo", None)
    return None if disable is None else disable(lambda: None).__code__


_GUARD = _guard_code()


class _Eager:
    """Mixin for a subclass of one of torch's optimizers (listed after it)."""

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        torch_class = next(c for c in cls.__mro__ if c.__module__.startswith("torch"))
        for name, method in inspect.getmembers(torch_class, inspect.isfunction):
            if _GUARD is not None and method.__code__ is _GUARD:
                setattr(cls, name, method.__wrapped__)
        # the step without its wrappers (which also set the grad mode: off, as
        # these optimizers are not differentiable), and torch's hooked version
        bare = inspect.unwrap(torch_class.step)

        def bare_step(self, closure=None):
            with torch.no_grad():
                return bare(self, closure)

        cls._torch_step = bare_step
        cls._hooked_step = optim.Optimizer.profile_hook_step(bare_step)

    def step(self, closure=None):
        """One step; ``closure`` as in :meth:`torch.optim.Optimizer.step`."""
        if (
            self._optimizer_step_pre_hooks
            or self._optimizer_step_post_hooks
            or getattr(_optimizer, "_global_optimizer_pre_hooks", None)
            or getattr(_optimizer, "_global_optimizer_post_hooks", None)
        ):
            return self._hooked_step(closure)
        return self._bare_step(closure)

    step.hooked = True  # torch's constructor would wrap it otherwise

    def _bare_step(self, closure=None):
        return self._torch_step(closure)


class SGD(_Eager, optim.SGD):
    """:class:`torch.optim.SGD` without the compiler import."""


class Adam(_Eager, optim.Adam):
    """:class:`torch.optim.Adam` without the compiler import."""

    def _bare_step(self, closure=None):
        tensors = None if closure is not None else self._fused_tensors()
        if tensors is None:
            return self._torch_step(closure)
        group = self.param_groups[0]
        beta1, beta2 = group["betas"]
        steps = tensors[-1]
        with torch.no_grad():
            torch._foreach_add_(steps, 1)
            torch._fused_adam_(
                *tensors[:4],
                [],
                steps,
                amsgrad=False,
                lr=group["lr"],
                beta1=beta1,
                beta2=beta2,
                weight_decay=group["weight_decay"],
                eps=group["eps"],
                maximize=group["maximize"],
                grad_scale=None,
                found_inf=None,
            )
        return None

    def _fused_tensors(self):
        """``(params, grads, exp_avgs, exp_avg_sqs, steps)`` for torch's fused
        kernel, or None when torch's own step must run: several groups, a group
        option the direct call does not pass, a parameter without a gradient or
        state yet (the first step creates it), or tensors of several devices or
        types (torch sorts them into one kernel call each).
        """
        if len(self.param_groups) != 1 or getattr(self, "grad_scale", None) is not None:
            return None
        group = self.param_groups[0]
        if (
            not group["fused"]
            or group["amsgrad"]
            or group["capturable"]
            or group["differentiable"]
            or group.get("decoupled_weight_decay", False)
            or isinstance(group["lr"], torch.Tensor)
            or getattr(self, "found_inf", None) is not None
        ):
            return None
        params = group["params"]
        if not params:
            return None
        device, dtype = params[0].device, params[0].dtype
        grads, exp_avgs, exp_avg_sqs, steps = [], [], [], []
        for param in params:
            grad = param.grad
            state = self.state.get(param)
            if (
                grad is None
                or not state
                or param.dtype != dtype
                or param.device != device
                or grad.is_sparse
            ):
                return None
            grads.append(grad)
            exp_avgs.append(state["exp_avg"])
            exp_avg_sqs.append(state["exp_avg_sq"])
            steps.append(state["step"])
        return params, grads, exp_avgs, exp_avg_sqs, steps


class AdamW(_Eager, optim.AdamW):
    """:class:`torch.optim.AdamW` without the compiler import."""


class RMSprop(_Eager, optim.RMSprop):
    """:class:`torch.optim.RMSprop` without the compiler import."""


class Adagrad(_Eager, optim.Adagrad):
    """:class:`torch.optim.Adagrad` without the compiler import."""


class Adadelta(_Eager, optim.Adadelta):
    """:class:`torch.optim.Adadelta` without the compiler import."""


class Adamax(_Eager, optim.Adamax):
    """:class:`torch.optim.Adamax` without the compiler import."""


class NAdam(_Eager, optim.NAdam):
    """:class:`torch.optim.NAdam` without the compiler import."""


class LBFGS(_Eager, optim.LBFGS):
    """:class:`torch.optim.LBFGS` without the compiler import."""


#: the optimizer of each ``solver`` name
SOLVERS = {
    "sgd": SGD,
    "adam": Adam,
    "adamw": AdamW,
    "rmsprop": RMSprop,
    "adagrad": Adagrad,
    "adadelta": Adadelta,
    "adamax": Adamax,
    "nadam": NAdam,
    "lbfgs": LBFGS,
}
