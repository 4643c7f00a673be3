"""The stacked autoencoder behind AutoencoderTransformer, and its loss."""

from __future__ import annotations

from collections.abc import Sequence
from itertools import pairwise

import torch
from torch import nn
from torch.nn import functional as F

from ._activations import make_activation
from ._losses import reduce
from ._mlp import glorot_uniform_

__all__ = ["AutoencoderModule", "ReconstructionLoss", "corrupt", "kl_sparsity"]


class AutoencoderModule(nn.Module):
    """An encoder of linear layers and a decoder that mirrors it.

    The encoder maps ``n_features`` inputs through ``hidden_layer_sizes`` to the
    code (the last size); the decoder runs the same widths back to
    ``n_features``. Every layer is followed by ``activation`` except the code
    layer, followed by ``code_activation``, and the decoder's last layer, which
    returns raw outputs (logits, for a sigmoid output). With ``tied_weights``
    each decoder layer uses the transposed weights of its encoder layer and has
    only its own bias.

    :meth:`forward` returns the reconstruction and the code side by side in one
    tensor, ``(n_samples, n_features + n_code)``, so that a loss can see the
    code (a sparsity penalty) while the training loop handles one output.

    Parameters
    ----------
    n_features : int
        Width of the input and of the reconstruction.
    hidden_layer_sizes : sequence of int
        Widths of the encoder's layers; the last is the code.
    activation : str, default='relu'
        Activation of the hidden layers (see ``skdl.modules.ACTIVATIONS``).
    code_activation : str, default='identity'
        Activation of the code layer.
    tied_weights : bool, default=False
        Decoder weights are the transposed encoder weights.

    Examples
    --------
    >>> import torch
    >>> module = AutoencoderModule(6, (4, 2))
    >>> module.encode(torch.zeros(3, 6)).shape
    torch.Size([3, 2])
    >>> module(torch.zeros(3, 6)).shape  # reconstruction and code
    torch.Size([3, 8])
    """

    def __init__(
        self,
        n_features: int,
        hidden_layer_sizes: Sequence[int],
        activation: str = "relu",
        code_activation: str = "identity",
        tied_weights: bool = False,
    ):
        super().__init__()
        widths = [n_features, *hidden_layer_sizes]
        self.n_features = n_features
        self.tied_weights = tied_weights
        activations = [activation] * (len(widths) - 2) + [code_activation]
        self.encoder = nn.ModuleList()
        for (n_in, n_out), name in zip(pairwise(widths), activations, strict=True):
            layer = nn.Linear(n_in, n_out)
            glorot_uniform_(layer, name)
            self.encoder.append(layer)
        self.encoder_activations = nn.ModuleList(map(make_activation, activations))
        mirrored = list(pairwise(widths[::-1]))
        if tied_weights:
            self.decoder_biases = nn.ParameterList(
                nn.Parameter(torch.zeros(n_out)) for _, n_out in mirrored
            )
        else:
            self.decoder = nn.ModuleList()
            for n_in, n_out in mirrored:
                layer = nn.Linear(n_in, n_out)
                glorot_uniform_(layer, activation)
                self.decoder.append(layer)
        self.decoder_activations = nn.ModuleList(
            make_activation(activation) for _ in mirrored[:-1]
        )

    def decoder_layer(self, i: int) -> tuple[torch.Tensor, torch.Tensor]:
        """Weight ``(n_out, n_in)`` and bias of the ``i``-th decoder layer."""
        if self.tied_weights:
            return self.encoder[-1 - i].weight.T, self.decoder_biases[i]
        layer = self.decoder[i]
        return layer.weight, layer.bias

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """The code of each row."""
        for layer, activation in zip(
            self.encoder, self.encoder_activations, strict=True
        ):
            x = activation(layer(x))
        return x

    def decode(self, code: torch.Tensor) -> torch.Tensor:
        """Raw reconstructions (before the output function) of codes."""
        n_layers = len(self.encoder)
        for i in range(n_layers):
            code = F.linear(code, *self.decoder_layer(i))
            if i < n_layers - 1:
                code = self.decoder_activations[i](code)
        return code

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        code = self.encode(x)
        return torch.cat([self.decode(code), code], dim=1)


class ReconstructionLoss(nn.Module):
    """Reconstruction error of an :class:`AutoencoderModule`, plus a sparsity term.

    The input is the module's output (reconstruction and code side by side),
    the target the clean rows. The loss of a row is, for
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
        self.n_features = n_features
        self.loss = loss
        self.sparsity = sparsity
        self.sparsity_weight = sparsity_weight
        self.reduction = reduction

    def forward(self, output: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        raw, code = output[:, : self.n_features], output[:, self.n_features :]
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
    mean = code.float().mean(dim=0).clamp(1e-6, 1 - 1e-6)
    kl = rho * torch.log(rho / mean) + (1 - rho) * torch.log((1 - rho) / (1 - mean))
    return kl.mean()


def corrupt(
    x: torch.Tensor, noise: str, level: float, generator: torch.Generator
) -> torch.Tensor:
    """A corrupted copy of a batch, for a denoising autoencoder.

    'gaussian' adds normal noise of standard deviation ``level``; 'masking'
    sets each entry to 0 with probability ``level``. The random numbers come
    from the CPU ``generator`` (the same seed corrupts alike on every device).

    Examples
    --------
    >>> import torch
    >>> x = torch.ones(2, 1000)
    >>> masked = corrupt(x, "masking", 0.3, torch.Generator().manual_seed(0))
    >>> round(float(masked.mean()), 1)
    0.7
    """
    if noise == "gaussian":
        draw = torch.randn(x.shape, generator=generator).to(x.device, x.dtype)
        return x + level * draw
    keep = torch.rand(x.shape, generator=generator) >= level
    return x * keep.to(x.device, x.dtype)
