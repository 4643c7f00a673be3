"""The convolutional network module behind CNNClassifier."""

from __future__ import annotations

import math
from collections.abc import Sequence
from numbers import Real

import numpy as np
from torch import nn

from ._activations import make_activation
from ._checks import check_option
from ._layers import initialize_, per_layer_activations, per_layer_rates

__all__ = ["CNNModule", "conv_output_size"]


def conv_output_size(
    size: int, kernel_size: int, stride: int = 1, padding: str = "valid", dilation=1
) -> int:
    """Length of one spatial axis after a convolution (or pooling) layer.

    With ``padding='valid'`` (no padding) it is
    ``floor((size - dilation * (kernel_size - 1) - 1) / stride) + 1``; with
    ``'same'`` the input is zero-padded so that it is ``ceil(size / stride)``,
    as in Keras. A pooling layer is a ``'valid'`` layer whose stride is its size.

    Parameters
    ----------
    size : int
        Input height or width.
    kernel_size : int
        Kernel (or pooling window) size along this axis.
    stride : int, default=1
        Step between windows.
    padding : {'valid', 'same'}, default='valid'
        Padding scheme.
    dilation : int, default=1
        Spacing between kernel taps.

    Returns
    -------
    int
        Output size; 0 or less means the input is too small for the layer.

    Examples
    --------
    >>> conv_output_size(28, 3, padding="valid")
    26
    >>> conv_output_size(28, 3, stride=2, padding="same")
    14
    >>> conv_output_size(26, 2, stride=2)  # 2x2 max pooling
    13
    """
    check_option(padding, "padding", ("valid", "same"))
    if padding == "same":
        return math.ceil(size / stride)
    return (size - dilation * (kernel_size - 1) - 1) // stride + 1


def _check_pool_strides(pool_strides, pools, steps) -> None:
    """Refuse a pooling step that no pooling layer would take."""
    unpooled = [p is None or p == (1, 1) for p in pools]
    if pool_strides is None or not any(unpooled):
        return
    if all(unpooled):
        raise ValueError(
            f"pool_strides={pool_strides!r} sets the step of the pooling windows, "
            "but no conv layer pools (pool_size is None or 1 for each). Set "
            "pool_size, or leave pool_strides=None."
        )
    if isinstance(pool_strides, list):
        for i, (none, step) in enumerate(zip(unpooled, steps, strict=True)):
            if none and step is not None:
                raise ValueError(
                    f"pool_strides[{i}]={pool_strides[i]!r} is the step of conv "
                    f"layer {i + 1}'s pooling, but that layer does not pool "
                    f"(pool_size={pools[i]!r} there). Put None at its place in "
                    "pool_strides, or give that layer a pool_size."
                )


def _same_padding(size, kernel_size, stride, dilation):
    """(before, after) zero padding that makes a layer's output ceil(size/stride)."""
    out = math.ceil(size / stride)
    total = max((out - 1) * stride + dilation * (kernel_size - 1) + 1 - size, 0)
    return total // 2, total - total // 2


def _per_layer(value, n_layers, name, allow_none=False):
    """One positive int (or None) per layer from an int or a sequence of them."""
    values = [value] * n_layers if value is None or np.ndim(value) == 0 else list(value)
    if len(values) != n_layers:
        raise ValueError(
            f"{name}={value!r} has {len(values)} entries, but conv_filters has "
            f"{n_layers} layers: give one value per conv layer, or a single int."
        )
    for v in values:
        if v is None and allow_none:
            continue
        if not _is_size(v):
            raise ValueError(f"{name} must hold positive ints; got {value!r}.")
    return [None if v is None else int(v) for v in values]


def _is_size(v) -> bool:
    return not isinstance(v, bool) and isinstance(v, Real) and int(v) == v and v >= 1


def _pair(entry, value, name, allow_none):
    """``(height, width)`` from an int or a 2-tuple (or 2-list), or None."""
    if entry is None and allow_none:
        return None
    if _is_size(entry):
        return (int(entry), int(entry))
    if (
        isinstance(entry, Sequence | np.ndarray)
        and not isinstance(entry, str)
        and len(entry) == 2
        and all(_is_size(v) for v in entry)
    ):
        return (int(entry[0]), int(entry[1]))
    none = " or None (no pooling)" if allow_none else ""
    raise ValueError(
        f"{name} must hold positive ints or (height, width) pairs of them{none}; "
        f"got {value!r}."
    )


def per_layer_shapes(value, n_layers: int, name: str, allow_none: bool = False):
    """One ``(height, width)`` per conv layer, read as Keras users read it.

    An int is a square size for every layer; a tuple is one ``(height, width)``
    for every layer; a list (or a 1-D array) has one entry per conv layer, each an
    int or a ``(height, width)`` tuple. With ``allow_none``, None (everywhere or
    as an entry) means no layer there.

    Examples
    --------
    >>> per_layer_shapes(3, 2, "kernel_size")
    [(3, 3), (3, 3)]
    >>> per_layer_shapes((3, 5), 2, "kernel_size")
    [(3, 5), (3, 5)]
    >>> per_layer_shapes([3, (1, 7)], 2, "kernel_size")
    [(3, 3), (1, 7)]
    """
    if value is None and allow_none:
        return [None] * n_layers
    if isinstance(value, tuple):
        if len(value) != 2 or not all(_is_size(v) for v in value):
            if all(_is_size(v) or (v is None and allow_none) for v in value):
                listed = list(value)
                raise ValueError(
                    f"{name}={value!r} is a tuple, which is one (height, width) "
                    f"for every conv layer and so needs 2 entries. For one "
                    f"{name} per conv layer, pass a list: {name}={listed!r}."
                )
            raise ValueError(
                f"{name}={value!r} is a tuple, which is one (height, width) of "
                "positive ints for every conv layer."
            )
        return [(int(value[0]), int(value[1]))] * n_layers
    if isinstance(value, list) or (isinstance(value, np.ndarray) and value.ndim > 0):
        entries = list(value)
        if len(entries) != n_layers:
            raise ValueError(
                f"{name}={value!r} is a list, which has one entry per conv layer, "
                f"but conv_filters has {n_layers} layers and the list "
                f"{len(entries)} entries. Give {n_layers} entries, an int for "
                f"every layer, or a tuple (height, width) for one rectangular "
                "window on every layer."
            )
        return [_pair(entry, value, name, allow_none) for entry in entries]
    return [_pair(value, value, name, allow_none)] * n_layers


class CNNModule(nn.Sequential):
    """Convolutional network: conv blocks, then a fully connected head.

    Each conv block is ``Conv2d -> (BatchNorm2d) -> activation -> (pooling)``.
    The feature maps are then flattened (or averaged over space, with
    ``global_pooling``) and go through ``[(Dropout) -> Linear -> (BatchNorm1d)
    -> activation]`` per dense layer and a final ``(Dropout) -> Linear`` that
    returns logits. With ``conv_dropout``, a ``Dropout`` ends each conv block.
    Layers use PyTorch's default initialisation unless ``kernel_initializer``
    names another.

    Parameters
    ----------
    input_shape : tuple of int
        ``(channels, height, width)`` of one image.
    n_outputs : int
        Number of logits.
    conv_filters : sequence of int, default=(32, 64)
        Output channels of each conv layer.
    kernel_size, strides, dilation : int, tuple or list, default=3, 1, 1
        Kernel size, stride and dilation of the conv layers: an int is square and
        for every layer, a tuple ``(height, width)`` is for every layer, a list
        has one entry (an int or a tuple) per conv layer.
    padding : {'same', 'valid'}, default='same'
        'same' zero-pads so that a layer's output size is ``ceil(size / stride)``
        (extra padding at the bottom and right when it is odd, as in Keras);
        'valid' does not pad.
    pool_size : int, tuple, list or None, default=2
        Pooling window (stride equal to the window) after each conv layer, read
        as ``kernel_size``; None or 1 skips pooling.
    pooling : {'max', 'avg'}, default='max'
        Pooling operation.
    batch_norm : bool, default=False
        Batch normalisation after each conv and dense linear layer (those then
        have no bias).
    activation : str or sequence of str, default='relu'
        Name of the hidden activation (see ``skdl.modules.ACTIVATIONS``), or one
        per conv layer then one per dense layer.
    dropout : float or sequence of float, default=0.0
        Dropout probability before each fully connected layer, or one per
        fully connected layer (the dense layers, then the output layer).
    dense_layers : sequence of int, default=(128,)
        Width of each hidden fully connected layer.
    global_pooling : bool, default=False
        Average each feature map over space instead of flattening it.
    conv_dropout : float or sequence of float, default=0.0
        Dropout probability after each conv block (after its pooling), or one
        per conv layer.
    pool_strides : int, tuple, list or None, default=None
        Step of the pooling windows, read as ``kernel_size``; None steps by the
        window (non-overlapping pooling).
    use_bias : bool, default=True
        Whether the conv and hidden dense layers have a bias (not with
        ``batch_norm``, whose shift replaces it; the output layer always has one).
    kernel_initializer : str or None, default=None
        How the conv and linear layers start (see
        :func:`skdl.modules.initialize_`); None keeps PyTorch's default.

    Attributes
    ----------
    feature_shape : tuple of int
        ``(channels, height, width)`` of the last conv block's output.

    Examples
    --------
    >>> import torch
    >>> module = CNNModule((1, 28, 28), 10, conv_filters=(8, 16))
    >>> module.feature_shape
    (16, 7, 7)
    >>> module(torch.zeros(5, 1, 28, 28)).shape
    torch.Size([5, 10])
    """

    def __init__(
        self,
        input_shape: tuple[int, int, int],
        n_outputs: int,
        conv_filters: Sequence[int] = (32, 64),
        kernel_size=3,
        strides=1,
        padding: str = "same",
        dilation=1,
        pool_size=2,
        pooling: str = "max",
        batch_norm: bool = False,
        activation: str | Sequence[str] = "relu",
        dropout: float | Sequence[float] = 0.0,
        dense_layers: Sequence[int] = (128,),
        global_pooling: bool = False,
        conv_dropout: float | Sequence[float] = 0.0,
        pool_strides=None,
        use_bias: bool = True,
        kernel_initializer: str | None = None,
    ):
        filters = _per_layer(list(conv_filters), len(conv_filters), "conv_filters")
        n = len(filters)
        dense = _per_layer(list(dense_layers), len(dense_layers), "dense_layers")
        kernels = per_layer_shapes(kernel_size, n, "kernel_size")
        strides = per_layer_shapes(strides, n, "strides")
        dilations = per_layer_shapes(dilation, n, "dilation")
        pools = per_layer_shapes(pool_size, n, "pool_size", allow_none=True)
        pool_steps = per_layer_shapes(pool_strides, n, "pool_strides", allow_none=True)
        _check_pool_strides(pool_strides, pools, pool_steps)
        activations = per_layer_activations(
            activation,
            n + len(dense),
            "activation",
            f"hidden layers ({n} conv layers, then {len(dense)} dense layers)",
        )
        rates = per_layer_rates(
            dropout,
            len(dense) + 1,
            "dropout",
            f"fully connected layers ({len(dense)} dense layers and the output "
            "layer; each entry is the dropout before one)",
        )
        conv_rates = per_layer_rates(conv_dropout, n, "conv_dropout", "conv layers")
        pool_class = nn.MaxPool2d if pooling == "max" else nn.AvgPool2d
        bias = use_bias and not batch_norm
        channels, height, width = input_shape
        features: list[nn.Module] = []
        for i, (out_channels, k, s, d, p, step) in enumerate(
            zip(filters, kernels, strides, dilations, pools, pool_steps, strict=True)
        ):
            shape = (height, width)
            if padding == "same":
                (top, bottom), (left, right) = (
                    _same_padding(*axis) for axis in zip(shape, k, s, d, strict=True)
                )
                if (top, left) != (bottom, right):
                    features.append(nn.ZeroPad2d((left, right, top, bottom)))
                    top = left = 0
                pad = (top, left)
            else:
                pad = (0, 0)
            height, width = (
                conv_output_size(size, k_, s_, padding, d_)
                for size, k_, s_, d_ in zip(shape, k, s, d, strict=True)
            )
            _check_size(shape, (height, width), f"conv layer {i + 1}")
            conv = nn.Conv2d(channels, out_channels, k, s, pad, d, bias=bias)
            initialize_(conv, kernel_initializer, activations[i])
            features.append(conv)
            if batch_norm:
                features.append(nn.BatchNorm2d(out_channels))
            features.append(make_activation(activations[i]))
            if p is not None and p != (1, 1):
                step = p if step is None else step
                shape = (height, width)
                height, width = (
                    conv_output_size(x, size, stride)
                    for x, size, stride in zip(shape, p, step, strict=True)
                )
                _check_size(shape, (height, width), f"pooling after conv layer {i + 1}")
                features.append(pool_class(p, step))
            if conv_rates[i] > 0:
                features.append(nn.Dropout(conv_rates[i]))
            channels = out_channels
        feature_shape = (channels, height, width)
        if global_pooling:
            head: list[nn.Module] = [nn.AdaptiveAvgPool2d(1), nn.Flatten()]
            width_in = channels
        else:
            head = [nn.Flatten()]
            width_in = channels * height * width
        for j, size in enumerate(dense):
            if rates[j] > 0:
                head.append(nn.Dropout(rates[j]))
            linear = nn.Linear(width_in, size, bias=bias)
            initialize_(linear, kernel_initializer, activations[n + j])
            head.append(linear)
            if batch_norm:
                head.append(nn.BatchNorm1d(size))
            head.append(make_activation(activations[n + j]))
            width_in = size
        if rates[-1] > 0:
            head.append(nn.Dropout(rates[-1]))
        output = nn.Linear(width_in, n_outputs)
        initialize_(
            output, kernel_initializer, activations[-1] if activations else "relu"
        )
        head.append(output)
        super().__init__(*features, *head)
        self.feature_shape = feature_shape


def _check_size(before, after, where):
    if min(after) < 1:
        raise ValueError(
            f"The images are too small for this network: {where} turns feature "
            f"maps of {before[0]}x{before[1]} into {after[0]}x{after[1]}. Use "
            "padding='same', fewer conv layers, or smaller kernel_size, strides, "
            "dilation or pool_size."
        )
