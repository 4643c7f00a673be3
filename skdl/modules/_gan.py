"""Generator and discriminator pairs behind GANSampler: MLPs for rows, DCGAN-style
convolutions for images, optionally conditioned on a class label.
"""

from __future__ import annotations

import copy
import itertools
import math
from collections.abc import Sequence

import torch
from torch import nn
from torch.nn import functional as F

from ._checks import check_float, check_same_shape

__all__ = ["GANModule", "gradient_penalty"]


class _Conditioned(nn.Module):
    """Base of both networks: one-hot labels for the conditional models."""

    def __init__(self, n_classes: int):
        super().__init__()
        self.n_classes = n_classes

    def with_labels(self, x, labels):
        """``x`` with the one-hot labels appended as columns (rows only)."""
        if not self.n_classes:
            return x
        if labels is None:
            labels = torch.zeros(len(x), dtype=torch.int64, device=x.device)
        return torch.cat([x, F.one_hot(labels, self.n_classes).to(x.dtype)], 1)


class _MLPGenerator(_Conditioned):
    def __init__(self, noise_dim, hidden, n_features, n_classes, layer_norm=False):
        super().__init__(n_classes)
        layers, width = [], noise_dim + n_classes
        for size in hidden:
            layers.append(nn.Linear(width, size))
            if layer_norm:
                layers.append(nn.LayerNorm(size))
            layers.append(nn.ReLU())
            width = size
        layers.append(nn.Linear(width, n_features))
        self.net = nn.Sequential(*layers)

    def forward(self, noise, labels=None):
        return self.net(self.with_labels(noise, labels))


class _MLPDiscriminator(_Conditioned):
    def __init__(self, n_features, hidden, n_classes):
        super().__init__(n_classes)
        layers, width = [], n_features + n_classes
        for size in hidden:
            layers += [nn.Linear(width, size), nn.LeakyReLU(0.2)]
            width = size
        layers.append(nn.Linear(width, 1))
        self.net = nn.Sequential(*layers)

    def forward(self, x, labels=None):
        return self.net(self.with_labels(x, labels))


class _ConvGenerator(_Conditioned):
    """Noise -> dense -> feature maps -> (ConvTranspose 4x4 stride 2)* -> tanh,
    or -> clip to [-logit_clip, logit_clip] (logits, the values before a tanh).
    """

    def __init__(self, noise_dim, filters, image_shape, n_classes, logit_clip=None):
        super().__init__(n_classes)
        channels, height, width = image_shape
        self.logit_clip = logit_clip
        steps = len(filters)
        self.image_shape = image_shape
        side = 2**steps
        self.start = (filters[-1], math.ceil(height / side), math.ceil(width / side))
        self.dense = nn.Sequential(
            nn.Linear(noise_dim + n_classes, math.prod(self.start), bias=False),
            nn.LayerNorm(math.prod(self.start)),
            nn.ReLU(),
        )
        layers = []
        sizes = [*reversed(filters), channels]
        for i, (c_in, c_out) in enumerate(itertools.pairwise(sizes)):
            last = i == len(sizes) - 2
            layers.append(nn.ConvTranspose2d(c_in, c_out, 4, 2, 1, bias=last))
            if not last:
                layers += [nn.BatchNorm2d(c_out), nn.ReLU()]
        self.deconv = nn.Sequential(*layers)

    def forward(self, noise, labels=None):
        maps = self.dense(self.with_labels(noise, labels)).reshape(
            len(noise), *self.start
        )
        _, height, width = self.image_shape
        out = self.deconv(maps)[:, :, :height, :width]
        if self.logit_clip is None:
            return torch.tanh(out)
        return out.clamp(-self.logit_clip, self.logit_clip)


class _ConvDiscriminator(_Conditioned):
    """(Conv 4x4 stride 2 -> LeakyReLU)* -> dense score; labels as extra channels."""

    def __init__(self, filters, image_shape, n_classes):
        super().__init__(n_classes)
        channels, height, width = image_shape
        layers, c_in = [], channels + n_classes
        for c_out in filters:
            layers += [nn.Conv2d(c_in, c_out, 4, 2, 1), nn.LeakyReLU(0.2)]
            c_in = c_out
            height, width = height // 2, width // 2  # 4x4 kernels, stride 2, pad 1
            if min(height, width) < 1:
                raise ValueError(
                    f"Images of {image_shape[1]}x{image_shape[2]} pixels are too "
                    f"small for {len(filters)} convolutions (each halves the "
                    "side): give conv_filters fewer entries."
                )
        self.conv = nn.Sequential(*layers, nn.Flatten())
        self.score = nn.Linear(c_in * height * width, 1)

    def forward(self, x, labels=None):
        if self.n_classes:
            planes = self.with_labels(x.new_zeros(len(x), 0), labels)
            x = torch.cat([x, planes[:, :, None, None].expand(-1, -1, *x.shape[2:])], 1)
        return self.score(self.conv(x))


class GANModule(nn.Module):
    """A generator and a discriminator trained against each other.

    Calling the module runs the generator; ``discriminator(x, labels)`` scores
    samples (logits: high for real).

    Parameters
    ----------
    noise_dim : int
        Width of the generator's input noise.
    data_shape : int or tuple of int
        ``n_features`` for rows (MLP pair), or ``(channels, height, width)``
        for images (convolutional pair).
    layers : sequence of int
        Hidden widths of both MLPs, or the channels of the discriminator's
        convolutions (the generator's, in reverse order). Each convolution
        halves the image side (4x4 kernels, stride 2), each transposed
        convolution doubles it, DCGAN-style (Radford et al., 2016), with batch
        normalization between them and layer normalization after the
        generator's first (dense) layer, which works for batches of any size,
        one sample included; the generator ends in tanh, so images must be
        scaled to [-1, 1] (or see ``logit_clip``). The MLPs have no
        normalization (see ``layer_norm``).
    n_classes : int, default=0
        Number of classes of a conditional GAN (0: unconditional): both
        networks get the one-hot label (the discriminator as extra image
        channels).
    average_generator : bool, default=False
        Keep ``average``, a copy of the generator that is not trained (a
        trainer keeps it a running average of the generator's weights, see
        :func:`update_average`); in eval mode the module generates with it.
    logit_clip : float or None, default=None
        For images: None ends the generator in tanh. A positive float makes it
        output logits, the values before that tanh, clipped to ``[-logit_clip,
        logit_clip]``; the discriminator then compares them with real images
        taken through ``atanh`` and clipped alike, where a value at the clip
        stands for the darkest (or brightest) pixel.
    layer_norm : bool, default=False
        For rows: layer normalization after each hidden layer of the
        generator (skdl's MLP generator had it before 2026-12-05; it made
        samples of 2-D Gaussians too narrow and off-centre, and
        :class:`~skdl.GANSampler` builds it only to load models fitted then).

    Examples
    --------
    >>> import torch
    >>> gan = GANModule(16, (1, 28, 28), (32, 64), n_classes=10)
    >>> fake = gan(torch.zeros(5, 16), torch.arange(5))
    >>> fake.shape, gan.discriminator(fake, torch.arange(5)).shape
    (torch.Size([5, 1, 28, 28]), torch.Size([5, 1]))
    """

    def __init__(
        self,
        noise_dim: int,
        data_shape: int | tuple[int, int, int],
        layers: Sequence[int],
        n_classes: int = 0,
        average_generator: bool = False,
        logit_clip: float | None = None,
        layer_norm: bool = False,
    ):
        super().__init__()
        layers = [int(w) for w in layers]
        if isinstance(data_shape, int):
            if logit_clip is not None:
                raise ValueError("logit_clip applies to images, not to rows.")
            self.generator = _MLPGenerator(
                noise_dim, layers, data_shape, n_classes, layer_norm
            )
            self.discriminator = _MLPDiscriminator(data_shape, layers, n_classes)
        else:
            if layer_norm:
                raise ValueError("layer_norm applies to rows, not to images.")
            shape = tuple(data_shape)
            clip = None if logit_clip is None else float(logit_clip)
            self.generator = _ConvGenerator(noise_dim, layers, shape, n_classes, clip)
            self.discriminator = _ConvDiscriminator(layers, shape, n_classes)
        self.noise_dim = noise_dim
        self.average = None
        if average_generator:
            self.average = copy.deepcopy(self.generator).requires_grad_(False)

    def forward(self, noise: torch.Tensor, labels: torch.Tensor | None = None):
        """Generated samples for ``noise`` (and ``labels``): by the averaged
        generator in eval mode when there is one, else by the generator.
        """
        use_average = self.average is not None and not self.training
        return (self.average if use_average else self.generator)(noise, labels)


@torch.no_grad()
def update_average(average: nn.Module, model: nn.Module, decay: float, step: int):
    """Move ``average``'s weights toward ``model``'s: an exponential moving
    average, ``a <- d a + (1 - d) w``, with ``d = min(decay, (1 + step) / (10 +
    step))`` so that the first steps do not leave it near the initial weights.
    Buffers (batch-norm statistics) are copied.

    Examples
    --------
    >>> import torch
    >>> model, average = torch.nn.Linear(2, 1), torch.nn.Linear(2, 1)
    >>> _ = model.weight.data.fill_(1.0), average.weight.data.fill_(0.0)
    >>> update_average(average, model, decay=0.99, step=0)  # d = 0.1
    >>> average.weight
    Parameter containing:
    tensor([[0.9000, 0.9000]], requires_grad=True)
    """
    d = min(decay, (1 + step) / (10 + step))
    for mean, weight in zip(average.parameters(), model.parameters(), strict=True):
        mean.lerp_(weight, 1 - d)
    for mean, buffer in zip(average.buffers(), model.buffers(), strict=True):
        mean.copy_(buffer)


def gradient_penalty(discriminator, real, fake, labels=None) -> torch.Tensor:
    """WGAN-GP's penalty: ``mean((||grad D(x_hat)|| - 1) ** 2)``.

    ``x_hat`` are random points on the segments between real and generated
    samples (Gulrajani et al., 2017). ``real`` and ``fake`` have one shape and
    one float dtype, that of the points ``discriminator`` is given.

    Examples
    --------
    >>> import torch
    >>> critic = torch.nn.Linear(3, 1)
    >>> with torch.no_grad():
    ...     _ = critic.weight.copy_(torch.tensor([[0.6, 0.8, 0.0]]))
    >>> penalty = gradient_penalty(lambda x, y: critic(x), torch.ones(4, 3),
    ...                            torch.zeros(4, 3))
    >>> round(float(penalty), 6)  # the gradient has norm 1 everywhere
    0.0
    """
    owner = "gradient_penalty"
    check_same_shape(real, fake, owner, names=("real", "fake"))
    check_float(real, owner, "real")
    if fake.dtype != real.dtype:
        raise ValueError(
            f"{owner} needs real and fake of one float dtype; got {real.dtype} and "
            f"{fake.dtype}. Pass real.to({fake.dtype})."
        )
    shape = (len(real),) + (1,) * (real.dim() - 1)
    mix = torch.rand(shape, device=real.device, dtype=real.dtype)
    points = (mix * real + (1 - mix) * fake).requires_grad_(True)
    scores = discriminator(points, labels)
    (grads,) = torch.autograd.grad(scores.sum(), points, create_graph=True)
    return ((grads.reshape(len(real), -1).norm(dim=1) - 1) ** 2).mean()
