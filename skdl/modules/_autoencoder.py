"""The stacked autoencoder behind AutoencoderTransformer, and its loss."""

from __future__ import annotations

import math
from collections.abc import Sequence
from itertools import pairwise

import torch
from torch import nn
from torch.nn import functional as F

from ._activations import make_activation
from ._checks import (
    check_float,
    check_matrix,
    check_number,
    check_option,
    check_same_shape,
)
from ._layers import initialize_, per_layer_activations, per_layer_rates
from ._losses import reduce

__all__ = ["AutoencoderModule", "ReconstructionLoss", "corrupt", "kl_sparsity"]


class AutoencoderModule(nn.Module):
    """An encoder of linear layers and a decoder that mirrors it.

    The encoder maps ``n_features`` inputs through ``hidden_layer_sizes`` to the
    code (the last size); the decoder runs the same widths back to
    ``n_features``. Every layer is followed by its activation except the code
    layer, followed by ``code_activation``, and the decoder's last layer, which
    returns raw outputs (logits, for a sigmoid output): a decoder layer has the
    activation (and the dropout) of the encoder layer of the same width. With
    ``tied_weights`` each decoder layer uses the transposed weights of its
    encoder layer and has only its own bias.

    :meth:`forward` returns the reconstruction and the code side by side in one
    tensor, ``(n_samples, n_features + n_code)``, so that a loss can see the
    code (a sparsity penalty) while the training loop handles one output.

    Parameters
    ----------
    n_features : int
        Width of the input and of the reconstruction.
    hidden_layer_sizes : sequence of int
        Widths of the encoder's layers; the last is the code.
    activation : str or sequence of str, default='relu'
        Activation of the hidden layers (see ``skdl.modules.ACTIVATIONS``), or
        one name per encoder layer below the code (``len(hidden_layer_sizes) -
        1`` names), mirrored by the decoder.
    code_activation : str, default='identity'
        Activation of the code layer.
    tied_weights : bool, default=False
        Decoder weights are the transposed encoder weights.
    dropout : float or sequence of float, default=0.0
        Dropout probability after the activation of each encoder layer below
        the code and of its mirror in the decoder, or one per such layer.
    use_bias : bool, default=True
        Whether the encoder layers and the decoder's hidden layers have a bias
        (the reconstruction layer always has one).
    kernel_initializer : str or None, default='glorot_uniform'
        How the weights start (see :func:`skdl.modules.initialize_`);
        'glorot_uniform' is scikit-learn's MLP initialisation, None PyTorch's.

    Examples
    --------
    >>> import torch
    >>> module = AutoencoderModule(6, (4, 2))
    >>> module.encode(torch.zeros(3, 6)).shape
    torch.Size([3, 2])
    >>> module(torch.zeros(3, 6)).shape  # reconstruction and code
    torch.Size([3, 8])
    >>> AutoencoderModule(6, (5, 4, 2), activation=["tanh", "elu"]).decoder_activations
    ModuleList(
      (0): ELU(alpha=1.0)
      (1): Tanh()
    )
    """

    def __init__(
        self,
        n_features: int,
        hidden_layer_sizes: Sequence[int],
        activation: str | Sequence[str] = "relu",
        code_activation: str = "identity",
        tied_weights: bool = False,
        dropout: float | Sequence[float] = 0.0,
        use_bias: bool = True,
        kernel_initializer: str | None = "glorot_uniform",
    ):
        super().__init__()
        widths = [n_features, *hidden_layer_sizes]
        n_below = len(hidden_layer_sizes) - 1
        layers = "encoder layers below the code"
        hidden = per_layer_activations(activation, n_below, "activation", layers)
        rates = per_layer_rates(dropout, n_below, "dropout", layers)
        self.n_features = n_features
        self.tied_weights = tied_weights
        self.use_bias = use_bias
        activations = [*hidden, code_activation]
        self.encoder = nn.ModuleList()
        for (n_in, n_out), name in zip(pairwise(widths), activations, strict=True):
            layer = nn.Linear(n_in, n_out, bias=use_bias)
            initialize_(layer, kernel_initializer, name)
            self.encoder.append(layer)
        self.encoder_activations = nn.ModuleList(map(make_activation, activations))
        self.encoder_dropout = _dropouts(rates)
        # the decoder's layers output the widths of the encoder's, top down
        mirrored = list(pairwise(widths[::-1]))
        decoder_names = hidden[::-1]
        # the reconstruction layer starts as the layers of one activation did
        # (scikit-learn scales an output layer by the hidden activation)
        last = activation if isinstance(activation, str) else (hidden or ["relu"])[0]
        biases = [use_bias] * n_below + [True]
        if tied_weights:
            self.decoder_biases = nn.ParameterList(
                nn.Parameter(torch.zeros(n_out))
                for (_, n_out), bias in zip(mirrored, biases, strict=True)
                if bias
            )
        else:
            self.decoder = nn.ModuleList()
            for (n_in, n_out), name, bias in zip(
                mirrored, [*decoder_names, last], biases, strict=True
            ):
                layer = nn.Linear(n_in, n_out, bias=bias)
                initialize_(layer, kernel_initializer, name)
                self.decoder.append(layer)
        self.decoder_activations = nn.ModuleList(map(make_activation, decoder_names))
        self.decoder_dropout = _dropouts(rates[::-1])

    def decoder_layer(self, i: int) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Weight ``(n_out, n_in)`` and bias (None without) of the ``i``-th
        decoder layer.
        """
        if self.tied_weights:
            n_layers = len(self.encoder)
            if self.use_bias:
                bias = self.decoder_biases[i]
            else:  # only the reconstruction layer has a bias
                bias = self.decoder_biases[0] if i == n_layers - 1 else None
            return self.encoder[-1 - i].weight.T, bias
        layer = self.decoder[i]
        return layer.weight, layer.bias

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """The code of each row."""
        for i, (layer, activation) in enumerate(
            zip(self.encoder, self.encoder_activations, strict=True)
        ):
            x = activation(layer(x))
            if self.encoder_dropout is not None and i < len(self.encoder_dropout):
                x = self.encoder_dropout[i](x)
        return x

    def decode(self, code: torch.Tensor) -> torch.Tensor:
        """Raw reconstructions (before the output function) of codes."""
        n_layers = len(self.encoder)
        for i in range(n_layers):
            code = F.linear(code, *self.decoder_layer(i))
            if i < n_layers - 1:
                code = self.decoder_activations[i](code)
                if self.decoder_dropout is not None:
                    code = self.decoder_dropout[i](code)
        return code

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        code = self.encode(x)
        return torch.cat([self.decode(code), code], dim=1)


def _dropouts(rates: list[float]) -> nn.ModuleList | None:
    """A dropout layer per rate (identity for 0), or None when all are 0."""
    if not any(rates):
        return None
    return nn.ModuleList(nn.Dropout(rate) if rate else nn.Identity() for rate in rates)


class ReconstructionLoss(nn.Module):
    """Reconstruction error of an :class:`AutoencoderModule`, plus a sparsity term.

    The input is the module's output (reconstruction and code side by side),
    the target the clean rows, of the reconstruction's shape. The loss of a row is, for
    ``loss='squared_error'``, the mean squared error over its features; for
    ``'cross_entropy'``, the mean binary cross-entropy of its sigmoid outputs
    against targets in [0, 1]. With ``sparsity=rho``, the term
    ``sparsity_weight * mean_j KL(rho || rho_j)`` is added to each row's loss,
    where ``rho_j`` is the mean activation of code unit ``j`` over the batch
    and ``KL(p || q) = p log(p / q) + (1 - p) log((1 - p) / (1 - q))``: it
    pulls each unit's mean activation toward ``rho``. The rows' losses are
    then reduced as ``reduction`` says (skdl's training loop sums them, or
    weights them by ``sample_weight``, and averages).

    Parameters
    ----------
    n_features : int
        Width of the reconstruction (the code follows it).
    loss : {'squared_error', 'cross_entropy'}, default='squared_error'
        The reconstruction error.
    sparsity : float or None, default=None
        Target mean activation of the code units, in (0, 1); None adds nothing.
    sparsity_weight : float, default=1.0
        Weight of the sparsity term.
    reduction : {'mean', 'sum', 'none'}, default='mean'
        How the rows' losses are combined ('none': one per row).

    Examples
    --------
    >>> import torch
    >>> criterion = ReconstructionLoss(2)
    >>> output = torch.tensor([[1.0, 0.0, 0.5]])  # reconstruction 1, 0; code 0.5
    >>> criterion(output, torch.tensor([[0.0, 0.0]]))
    tensor(0.5000)
    """

    def __init__(
        self,
        n_features: int,
        loss: str = "squared_error",
        sparsity: float | None = None,
        sparsity_weight: float = 1.0,
        reduction: str = "mean",
    ):
        super().__init__()
        check_option(loss, "loss", ("squared_error", "cross_entropy"))
        self.n_features = n_features
        self.loss = loss
        self.sparsity = sparsity
        self.sparsity_weight = sparsity_weight
        self.reduction = reduction

    def forward(self, output: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        owner = f"ReconstructionLoss(n_features={self.n_features})"
        check_matrix(output, owner, "output", columns="n_features + code size")
        raw, code = output[:, : self.n_features], output[:, self.n_features :]
        check_same_shape(raw, target, owner, names=("reconstruction", "target"))
        if self.loss == "squared_error":
            entries = F.mse_loss(raw, target, reduction="none")
        else:
            entries = F.binary_cross_entropy_with_logits(raw, target, reduction="none")
        rows = entries.mean(dim=1)
        if self.sparsity is not None:
            rows = rows + self.sparsity_weight * kl_sparsity(code, self.sparsity)
        return reduce(rows, self.reduction)


def kl_sparsity(code: torch.Tensor, rho: float) -> torch.Tensor:
    """Mean over code units of ``KL(rho || mean activation of the unit)``.

    Examples
    --------
    >>> import torch
    >>> float(kl_sparsity(torch.full((4, 3), 0.05), 0.05))
    0.0
    """
    if code.ndim != 2:
        raise ValueError(
            "kl_sparsity takes code of shape (n_rows, n_code), one row per sample; "
            f"got shape {tuple(code.shape)}."
        )
    if not 0 < rho < 1:
        raise ValueError(
            f"kl_sparsity needs a target rate rho strictly between 0 and 1; got "
            f"{rho!r} (the divergence from it is not finite)."
        )
    mean = code.float().mean(dim=0).clamp(1e-6, 1 - 1e-6)
    kl = rho * torch.log(rho / mean) + (1 - rho) * torch.log((1 - rho) / (1 - mean))
    return kl.mean()


def corrupt(
    x: torch.Tensor, noise: str, level: float, generator: torch.Generator
) -> torch.Tensor:
    """A corrupted copy of a batch, for a denoising autoencoder.

    'gaussian' adds normal noise of standard deviation ``level`` (>= 0);
    'masking' sets each entry to 0 with probability ``level`` (in [0, 1]).
    Gaussian noise needs ``x`` of a float dtype, masking takes any. The random
    numbers come from the CPU ``generator`` (the same seed corrupts alike on
    every device).

    Examples
    --------
    >>> import torch
    >>> x = torch.ones(2, 1000)
    >>> masked = corrupt(x, "masking", 0.3, torch.Generator().manual_seed(0))
    >>> round(float(masked.mean()), 1)
    0.7
    """
    check_option(noise, "noise", ("gaussian", "masking"))
    # a probability for masking; out of range it masked all or nothing
    masking = noise == "masking"
    check_number(
        level, "level", low=0, high=1 if masking else math.inf, high_open=not masking
    )
    if noise == "gaussian":
        check_float(x, "corrupt", "x")
        draw = torch.randn(x.shape, generator=generator).to(x.device, x.dtype)
        return x + level * draw
    keep = torch.rand(x.shape, generator=generator) >= level
    return x * keep.to(x.device, x.dtype)
