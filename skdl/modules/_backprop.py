"""The gradients of a plain MLP, written out: a training step without autograd.

autograd records each operation of a forward pass and replays the list
backwards. On the small networks fitted to tables (200 rows through a 64 x 100
layer), that bookkeeping is a quarter of a training step. A network of linear
layers and scikit-learn's hidden activations ('identity', 'logistic', 'tanh',
'relu'), trained on cross-entropy, logistic loss or half the squared error,
has a backward pass short enough to write out, as scikit-learn writes it in
NumPy. :func:`backprop` computes it with the kernels autograd's own backward
pass calls (``threshold_backward``, ``tanh_backward``, ``sigmoid_backward``,
the same matrix products), so the gradients are autograd's up to the rounding
of the loss's derivative. :func:`writes_gradients` says whether a network,
loss and batch are of that kind; anything else (dropout, batch normalisation,
other activations or losses, a hook on a layer or parameter, a frozen
parameter, a parametrized or compiled layer) keeps autograd.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn
from torch.nn import functional as F
from torch.nn.modules import module as _module

from ._losses import HalfSquaredError

__all__ = ["backprop", "writes_gradients"]

_aten = torch.ops.aten

#: each activation's forward pass in place (on a fresh product) and its backward
#: pass from its output, as autograd computes them
_ACTIVATIONS: dict[type, tuple[Callable | None, Callable | None]] = {
    nn.Identity: (None, None),
    nn.ReLU: (torch.relu_, lambda grad, out: _aten.threshold_backward(grad, out, 0)),
    nn.Tanh: (torch.tanh_, _aten.tanh_backward),
    nn.Sigmoid: (torch.sigmoid_, _aten.sigmoid_backward),
}

_LOSSES = (nn.CrossEntropyLoss, nn.BCEWithLogitsLoss, HalfSquaredError)

# torch's CPU log-softmax is slow along rows of fewer than 16 values (30 us for
# 200 x 10 float32 against 8 us along the columns of the transposed copy)
_SHORT_ROWS = 16


def writes_gradients(module: nn.Module, criterion: nn.Module, X, y) -> bool:
    """Whether :func:`backprop` computes this training step's gradients.

    ``module`` must be an ``nn.Sequential`` (with ``Sequential``'s forward pass)
    of ``nn.Linear`` layers and of the activations ``nn.Identity``, ``nn.ReLU``,
    ``nn.Tanh`` and ``nn.Sigmoid`` (exactly these classes) ending in a linear
    layer, each activation but the identity directly after a linear layer
    (:func:`backprop` applies it in place to that layer's product), no layer or
    parameter used twice, every parameter trainable and without hooks, and no
    module hook registered; ``criterion`` a default ``nn.CrossEntropyLoss`` (no
    class ``weight``, label smoothing or class ignored) with class indices,
    ``nn.BCEWithLogitsLoss`` or :class:`~skdl.modules.HalfSquaredError` (without
    hooks) with targets of the outputs' shape and type; ``X`` a dense 2-D tensor
    of the weights' type; and autograd's anomaly detection and autocast off.

    Examples
    --------
    >>> import torch
    >>> from torch import nn
    >>> net = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    >>> X, y = torch.zeros(5, 3), torch.zeros(5, dtype=torch.long)
    >>> writes_gradients(net, nn.CrossEntropyLoss(), X, y)
    True
    >>> writes_gradients(net.insert(2, nn.Dropout(0.5)), nn.CrossEntropyLoss(), X, y)
    False
    """
    if (
        not isinstance(module, nn.Sequential)
        or type(module).forward is not nn.Sequential.forward
        or type(criterion) not in _LOSSES
    ):
        return False
    if (
        _module._global_forward_hooks
        or _module._global_forward_pre_hooks
        or _module._global_backward_hooks
        or _module._global_backward_pre_hooks
        or _hooked(criterion)
        or torch.is_anomaly_enabled()  # the user asks autograd to check its steps
        # an autocast context around the fit: its products would be of another
        # type than the parameters (autograd casts their gradients back)
        or torch._C._is_any_autocast_enabled()
    ):
        return False
    layers = list(module)
    if not layers or type(layers[-1]) is not nn.Linear or _hooked(module):
        return False
    weight = layers[-1].weight
    seen = set()  # backprop sets a parameter's gradient, it does not add to it
    product = False  # whether the running output is a linear layer's product
    for layer in layers:
        if type(layer) is nn.Linear:
            product = True
        elif type(layer) not in _ACTIVATIONS:
            return False
        elif _ACTIVATIONS[type(layer)][0] is not None:
            if not product:  # it would overwrite X or another activation's output
                return False
            product = False
        if _hooked(layer):
            return False
        for parameter in layer._parameters.values():
            if parameter is None:
                continue
            if (
                id(parameter) in seen
                or not parameter.requires_grad
                or parameter._backward_hooks
                or parameter._post_accumulate_grad_hooks
            ):
                return False
            seen.add(id(parameter))
    if not (
        isinstance(X, torch.Tensor)
        and X.layout == torch.strided
        and X.ndim == 2
        and X.dtype == weight.dtype
        and X.device == weight.device
    ):
        return False
    return _takes_targets(criterion, y, len(X), weight.shape[0], weight.dtype)


def _hooked(module: nn.Module) -> bool:
    return bool(
        module._forward_hooks
        or module._forward_pre_hooks
        or module._backward_hooks
        or module._backward_pre_hooks
    )


def _takes_targets(criterion: nn.Module, y, n_rows: int, n_outputs: int, dtype) -> bool:
    if not isinstance(y, torch.Tensor):
        return False
    if type(criterion) is nn.CrossEntropyLoss:
        return (
            criterion.weight is None
            and criterion.label_smoothing == 0
            and criterion.ignore_index < 0  # class indices are not negative
            and y.dtype == torch.int64
            and y.shape == (n_rows,)
        )
    if type(criterion) is nn.BCEWithLogitsLoss and (
        criterion.weight is not None or criterion.pos_weight is not None
    ):
        return False
    return y.shape == (n_rows, n_outputs) and y.dtype == dtype


def backprop(
    module: nn.Sequential,
    criterion: nn.Module,
    X: torch.Tensor,
    y: torch.Tensor,
    weight: torch.Tensor | None,
    n_predictions: Callable[[torch.Tensor, torch.Tensor], int] | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Set the ``grad`` of ``module``'s parameters for one batch; return the
    loss and the outputs (neither records autograd history).

    The loss is ``criterion``'s, summed over the outputs of each row and
    averaged over ``n_predictions(outputs, y)`` predictions (by default the
    rows), or weighted by ``weight`` (one per row) when given: the data term
    skdl's networks minimise. Call it only where :func:`writes_gradients` says yes.

    Examples
    --------
    >>> import torch
    >>> from torch import nn
    >>> _ = torch.manual_seed(0)
    >>> net = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2))
    >>> X, y = torch.randn(5, 3), torch.tensor([0, 1, 1, 0, 1])
    >>> loss, outputs = backprop(net, nn.CrossEntropyLoss(), X, y, None)
    >>> written = [p.grad for p in net.parameters()]
    >>> net.zero_grad()
    >>> nn.CrossEntropyLoss()(net(X), y).backward()
    >>> all(torch.allclose(a, p.grad) for a, p in zip(written, net.parameters()))
    True
    """
    layers = list(module)
    with torch.no_grad():
        inputs = []  # the input of each layer
        h = X
        for layer in layers:
            inputs.append(h)
            if type(layer) is nn.Linear:
                bias = layer.bias
                h = (
                    h @ layer.weight.t()
                    if bias is None
                    else torch.addmm(bias, h, layer.weight.t())
                )
            elif _ACTIVATIONS[type(layer)][0] is not None:
                h = _ACTIVATIONS[type(layer)][0](h)
        loss, grad = _loss_and_gradient(criterion, h, y, weight, n_predictions)
        for i in range(len(layers) - 1, -1, -1):
            layer = layers[i]
            if type(layer) is nn.Linear:
                layer.weight.grad = grad.t() @ inputs[i]
                if layer.bias is not None:
                    layer.bias.grad = grad.sum(0)
                if i:
                    grad = grad @ layer.weight
            else:
                derivative = _ACTIVATIONS[type(layer)][1]
                if derivative is not None:
                    grad = derivative(grad, inputs[i + 1])
    return loss, h


def _loss_and_gradient(criterion, z, y, weight, n_predictions):
    """The data loss and its gradient with respect to the outputs ``z``."""
    if type(criterion) is nn.CrossEntropyLoss:
        if z.device.type == "cpu" and z.shape[1] < _SHORT_ROWS:
            log_p = torch.log_softmax(z.t().contiguous(), 0).t()
        else:
            log_p = torch.log_softmax(z, 1)
        index = y[:, None]
        picked = log_p.gather(1, index)
        per_row = -picked.squeeze(1)
        grad = log_p.exp().scatter_add_(1, index, torch.full_like(picked, -1))
    elif type(criterion) is nn.BCEWithLogitsLoss:
        per_row = F.binary_cross_entropy_with_logits(z, y, reduction="none").sum(1)
        grad = torch.sigmoid(z).sub_(y)
    else:  # half the squared error
        grad = z - y
        per_row = 0.5 * grad.square().sum(1)
    if weight is None:
        n = len(z) if n_predictions is None else n_predictions(z, y)
        return per_row.sum() / n, grad.div_(n)
    total = weight.sum()
    return (per_row * weight).sum() / total, grad.mul_((weight / total)[:, None])
