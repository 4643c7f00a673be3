"""The general Boltzmann machine behind BoltzmannMachine: every unit connected.

Unlike the RBM, the units of a layer are connected to each other, so they are
not independent given the other layer: Gibbs sampling visits the units one at a
time, and the hidden units given the data have no closed form. Training follows
Salakhutdinov and Hinton (2009): a mean-field approximation of the hidden units
given the data (the positive phase) and persistent Gibbs chains for the model's
own statistics (the negative phase). Both enter through a surrogate, the energy
of the data with its mean-field hidden units minus the mean energy of the
chains, whose gradient is the approximate negative log-likelihood gradient, so
any torch optimizer trains the machine.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch
from torch import nn

from ._checks import check_float
from ._losses import reduce

__all__ = ["BoltzmannModule", "EnergyGapLoss"]

Draw = Callable[[tuple[int, ...]], torch.Tensor]


class BoltzmannModule(nn.Module):
    """A Boltzmann machine with binary hidden units, all units connected.

    The ``n_visible + n_hidden`` units ``s = [v, h]`` have symmetric couplings
    ``J`` with a zero diagonal (the strict upper triangle of ``weight``, so that
    each pair has one parameter) and biases ``b``; the energy of a state is

    ``E(s) = -s^T J s / 2 - b^T s`` (+ ``|v|^2 / 2`` for 'gaussian' visible
    units, which then have no couplings among themselves, so that ``P(v | h)``
    is a unit-variance normal distribution).

    The persistent chains of the negative phase are a buffer, so the training
    state moves with ``.to(device)`` and pickles.

    Parameters
    ----------
    n_visible : int
        Number of visible units (input features).
    n_hidden : int
        Number of hidden units.
    visible_units : {'bernoulli', 'gaussian'}, default='bernoulli'
        Binary visible units, or unit-variance Gaussian ones.
    n_chains : int, default=100
        Persistent Gibbs chains of the negative phase.
    k : int, default=1
        Gibbs sweeps of the chains per training step.
    mean_field_iter : int, default=10
        Damped mean-field updates of the hidden units per positive phase.
    positive_phase : {'mean_field', 'gibbs'}, default='mean_field'
        Hidden units given the data: mean-field probabilities, or ``k`` Gibbs
        sweeps of the hidden units (from a sample of the mean field).

    Examples
    --------
    >>> import torch
    >>> machine = BoltzmannModule(6, 3, n_chains=4)
    >>> machine.reset_parameters()
    >>> machine.mean_field(torch.zeros(2, 6)).shape
    torch.Size([2, 3])
    >>> machine.energy(torch.zeros(2, 9)).tolist()
    [0.0, 0.0]
    """

    def __init__(
        self,
        n_visible: int,
        n_hidden: int,
        visible_units: str = "bernoulli",
        n_chains: int = 100,
        k: int = 1,
        mean_field_iter: int = 10,
        positive_phase: str = "mean_field",
    ):
        super().__init__()
        n_units = n_visible + n_hidden
        self.n_visible = n_visible
        self.n_hidden = n_hidden
        self.visible_units = visible_units
        self.k = k
        self.mean_field_iter = mean_field_iter
        self.positive_phase = positive_phase
        self.weight = nn.Parameter(torch.zeros(n_units, n_units))
        self.bias = nn.Parameter(torch.zeros(n_units))
        self.register_buffer("chains", torch.zeros(n_chains, n_units))

    def reset_parameters(self) -> None:
        """Couplings from N(0, 0.01^2), biases zero, chains at random states."""
        with torch.no_grad():
            self.weight.normal_(0.0, 0.01)
            self.bias.zero_()
            self.chains.copy_(torch.rand_like(self.chains).round())
            if self.visible_units == "gaussian":
                self.chains[:, : self.n_visible].normal_()

    def _upper(self) -> torch.Tensor:
        """The couplings' parameters: the strict upper triangle of ``weight``,
        without the couplings among Gaussian visible units.

        Taken at each use rather than through a mask buffer, which the module
        would build with ``triu`` at construction: on PyTorch's ``meta`` device
        (where skdl.io checks a file's shapes) that imports torch's compiler.
        """
        upper = self.weight.triu(1)
        if self.visible_units == "gaussian":
            upper[: self.n_visible, : self.n_visible] = 0
        return upper

    def couplings(self) -> torch.Tensor:
        """The symmetric coupling matrix ``J`` (zero diagonal)."""
        upper = self._upper()
        return upper + upper.T

    def energy(self, states: torch.Tensor) -> torch.Tensor:
        """``E(s)`` of each row of ``states`` (hidden units may be probabilities:
        with a zero diagonal, that is the mean-field energy).
        """
        upper = self._upper()
        energy = -((states @ upper) * states).sum(dim=1) - states @ self.bias
        if self.visible_units == "gaussian":
            energy = energy + 0.5 * states[:, : self.n_visible].square().sum(dim=1)
        return energy

    @torch.no_grad()
    def mean_field(self, v: torch.Tensor) -> torch.Tensor:
        """Mean-field probabilities ``mu`` of the hidden units given ``v``.

        Starts from the hidden units' probabilities ignoring their couplings,
        then iterates the damped fixed-point equation ``mu <- (mu +
        sigmoid(v J_vh + mu J_hh + b_h)) / 2``.
        """
        coupling = self.couplings()
        n = self.n_visible
        drive = torch.addmm(self.bias[n:], v, coupling[:n, n:])
        mu = drive.sigmoid()
        hidden = coupling[n:, n:]
        for _ in range(self.mean_field_iter):
            mu = 0.5 * (mu + torch.addmm(drive, mu, hidden).sigmoid_())
        return mu

    @torch.no_grad()
    def gibbs(
        self,
        states: torch.Tensor,
        units: Sequence[int],
        n_sweeps: int,
        uniform: Draw,
        normal: Draw,
    ) -> torch.Tensor:
        """Sample ``units`` of ``states`` one at a time, ``n_sweeps`` times, in place.

        Each unit is drawn from its conditional given all the others (the
        units before it already updated in this sweep): ``P(s_i = 1 | rest) =
        sigmoid(b_i + sum_j J_ij s_j)``, or a normal of that mean for a
        Gaussian visible unit. ``uniform(shape)`` and ``normal(shape)`` give
        the random numbers.
        """
        coupling = self.couplings()
        fields = torch.addmm(self.bias, states, coupling)
        gaussian = self.visible_units == "gaussian"
        rows, width = len(states), len(units)
        for _ in range(n_sweeps):
            draws = uniform((width, rows))
            noise = normal((width, rows)) if gaussian else None
            for j, unit in enumerate(units):
                if gaussian and unit < self.n_visible:
                    new = fields[:, unit] + noise[j]
                else:
                    new = (draws[j] < fields[:, unit].sigmoid()).to(states.dtype)
                fields.addr_(new - states[:, unit], coupling[unit])
                states[:, unit] = new
        return states

    @torch.no_grad()
    def free_energy(self, v: torch.Tensor) -> torch.Tensor:
        """Mean-field free energy ``E(v, mu) - H(mu)`` of each row.

        ``H`` is the entropy of independent hidden units of probabilities
        ``mu``. It bounds the free energy ``-log sum_h exp(-E(v, h))`` from
        above, and equals it when the hidden units have no couplings among
        themselves (an RBM with visible couplings).
        """
        mu = self.mean_field(v)
        p = mu.clamp(1e-7, 1 - 1e-7)
        entropy = -(p * p.log() + (1 - p) * (1 - p).log()).sum(dim=1)
        return self.energy(torch.cat([v, mu], dim=1)) - entropy

    @torch.no_grad()
    def log_likelihood(self, v: torch.Tensor) -> torch.Tensor:
        """Exact ``log P(v)`` of each row, summing over every state.

        Only for small binary machines: ``2 ** (n_visible + n_hidden)`` states.
        """
        n_units = len(self.bias)
        log_z = torch.logsumexp(-self.energy(_all_states(n_units, v)), dim=0)
        hidden = _all_states(self.n_hidden, v)
        out = []
        for row in v:
            states = torch.cat([row.expand(len(hidden), -1), hidden], dim=1)
            out.append(torch.logsumexp(-self.energy(states), dim=0))
        return torch.stack(out) - log_z

    def forward(self, v: torch.Tensor) -> torch.Tensor:
        """The surrogate of each row: ``E(v, mu) - mean E(chains)``.

        In training mode the chains first make ``k`` sweeps (and, with
        ``positive_phase='gibbs'``, the hidden units given ``v`` are sampled);
        its gradient is then the approximate gradient of ``-log P(v)``.
        """
        hidden = self.mean_field(v)
        if self.training:
            self._sample(self.chains, range(len(self.bias)))
            if self.positive_phase == "gibbs":
                states = torch.cat([v, hidden.bernoulli()], dim=1)
                self._sample(states, range(self.n_visible, len(self.bias)))
                hidden = states[:, self.n_visible :]
        positive = self.energy(torch.cat([v, hidden], dim=1))
        return positive - self.energy(self.chains).mean()

    def _sample(self, states: torch.Tensor, units: Sequence[int]) -> None:
        """``k`` Gibbs sweeps with torch's (seeded) generator."""

        def uniform(shape):
            return torch.rand(shape, device=states.device, dtype=states.dtype)

        def normal(shape):
            return torch.randn(shape, device=states.device, dtype=states.dtype)

        self.gibbs(states, units, self.k, uniform, normal)


def _all_states(n_units: int, like: torch.Tensor) -> torch.Tensor:
    """Every binary vector of ``n_units`` units, one per row."""
    codes = torch.arange(2**n_units, device=like.device)
    bits = (codes[:, None] >> torch.arange(n_units, device=like.device)) & 1
    return bits.to(like.dtype)


class EnergyGapLoss(nn.Module):
    """A :class:`BoltzmannModule`'s surrogate of each row, reduced (no target).

    Parameters
    ----------
    reduction : {'mean', 'sum', 'none'}, default='mean'
        How the rows' surrogates are combined ('none': one per row).

    Examples
    --------
    >>> import torch
    >>> EnergyGapLoss()(torch.tensor([1.0, 3.0]), None)
    tensor(2.)
    """

    def __init__(self, reduction: str = "mean"):
        super().__init__()
        self.reduction = reduction

    def forward(self, output: torch.Tensor, target=None) -> torch.Tensor:
        if output.ndim != 1:
            advice = (
                f" Pass output.reshape({output.numel()},)."
                if output.ndim > 1 and output.numel() == len(output)
                else ""
            )
            raise ValueError(
                "EnergyGapLoss takes output of shape (n_rows,) (one surrogate per "
                f"row, as BoltzmannModule returns); got shape {tuple(output.shape)}."
                f"{advice}"
            )
        check_float(output, "EnergyGapLoss", "output")
        return reduce(output, self.reduction)
