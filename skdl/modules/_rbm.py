"""The restricted Boltzmann machine behind RBMTransformer, and its CD-k trainer.

An RBM is not trained by backpropagation: contrastive divergence moves the
weights by the difference between data statistics and statistics of a short
Gibbs chain. :class:`ContrastiveDivergence` applies that update in place with
buffers allocated once, so a mini-batch costs a dozen small kernel calls and no
allocation or host synchronisation; the random numbers of the chain are passed
in, so that a caller (or a test) decides where they come from.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

from ._checks import check_class_indices, check_matrix, check_shape

__all__ = ["RBM", "ContrastiveDivergence", "pseudo_likelihood"]

VISIBLE_UNITS = ("bernoulli", "gaussian")


class RBM(nn.Module):
    """A restricted Boltzmann machine with binary hidden units.

    The energy of a visible vector ``v`` and hidden vector ``h`` is
    ``-b.v - c.h - h.W v`` for binary ('bernoulli') visible units and
    ``|v - b|^2 / 2 - c.h - h.W v`` for unit-variance 'gaussian' ones. Weights
    and biases live in one flat buffer, ``flat = [W | c | b]``, so that momentum
    and updates touch one tensor; ``velocity`` (momentum) and ``chain`` (the
    hidden states of the persistent Gibbs chains) are buffers too, so the whole
    training state moves with ``.to(device)`` and pickles.

    Parameters
    ----------
    n_visible : int
        Number of visible units (input features).
    n_hidden : int
        Number of hidden units.
    visible_units : {'bernoulli', 'gaussian'}, default='bernoulli'
        Binary visible units, or Gaussian ones with unit variance.
    n_chains : int, default=1
        Rows of the persistent chain.

    Examples
    --------
    >>> import torch
    >>> rbm = RBM(6, 3)
    >>> rbm.reset_parameters()
    >>> rbm(torch.zeros(4, 6)).shape
    torch.Size([4, 3])
    >>> rbm.visible_mean(torch.ones(4, 3)).shape
    torch.Size([4, 6])
    """

    def __init__(
        self,
        n_visible: int,
        n_hidden: int,
        visible_units: str = "bernoulli",
        n_chains: int = 1,
    ):
        super().__init__()
        if visible_units not in VISIBLE_UNITS:
            raise ValueError(
                f"visible_units must be one of {VISIBLE_UNITS}; got {visible_units!r}."
            )
        self.n_visible = n_visible
        self.n_hidden = n_hidden
        self.visible_units = visible_units
        size = n_hidden * n_visible + n_hidden + n_visible
        self.register_buffer("flat", torch.zeros(size))
        self.register_buffer("velocity", torch.zeros(size))
        self.register_buffer("chain", torch.zeros(n_chains, n_hidden))

    def io_config(self) -> dict:
        """Constructor arguments that rebuild this module (used by :mod:`skdl.io`)."""
        return {
            "n_visible": self.n_visible,
            "n_hidden": self.n_hidden,
            "visible_units": self.visible_units,
            "n_chains": len(self.chain),
        }

    def split(self, flat: torch.Tensor) -> tuple[torch.Tensor, ...]:
        """Views ``(W, c, b)`` of a flat vector laid out like ``flat``."""
        n_weights = self.n_hidden * self.n_visible
        weight = flat[:n_weights].view(self.n_hidden, self.n_visible)
        hidden_bias = flat[n_weights : n_weights + self.n_hidden]
        visible_bias = flat[n_weights + self.n_hidden :]
        return weight, hidden_bias, visible_bias

    @property
    def weight(self) -> torch.Tensor:
        """Weights ``W`` of shape ``(n_hidden, n_visible)`` (a view of ``flat``)."""
        return self.split(self.flat)[0]

    @property
    def hidden_bias(self) -> torch.Tensor:
        """Hidden biases ``c`` (a view of ``flat``)."""
        return self.split(self.flat)[1]

    @property
    def visible_bias(self) -> torch.Tensor:
        """Visible biases ``b`` (a view of ``flat``)."""
        return self.split(self.flat)[2]

    def reset_parameters(self) -> None:
        """Weights from N(0, 0.01^2), as scikit-learn; biases, momentum, chain zero."""
        with torch.no_grad():
            self.flat.zero_()
            self.weight.normal_(0.0, 0.01)
            self.velocity.zero_()
            self.chain.zero_()

    def _check_units(self, x: torch.Tensor, name: str, layer: str) -> None:
        """Refuse ``x`` unless it is ``(n_rows, n_<layer>)`` in the buffers' dtype."""
        check_matrix(
            x,
            "RBM",
            name,
            n_columns=getattr(self, f"n_{layer}"),
            columns=f"n_{layer}",
            dtype=self.flat.dtype,
        )

    def forward(self, v: torch.Tensor) -> torch.Tensor:
        """Hidden probabilities ``P(h = 1 | v) = sigmoid(v W^T + c)``."""
        self._check_units(v, "v", "visible")
        weight, hidden_bias, _ = self.split(self.flat)
        return torch.addmm(hidden_bias, v, weight.T).sigmoid_()

    def visible_mean(self, h: torch.Tensor) -> torch.Tensor:
        """``E[v | h]``: ``sigmoid(h W + b)``, or ``h W + b`` for Gaussian units."""
        self._check_units(h, "h", "hidden")
        weight, _, visible_bias = self.split(self.flat)
        mean = torch.addmm(visible_bias, h, weight)
        return mean.sigmoid_() if self.visible_units == "bernoulli" else mean

    def free_energy(self, v: torch.Tensor) -> torch.Tensor:
        """``F(v) = -log sum_h exp(-E(v, h))``, one value per row."""
        self._check_units(v, "v", "visible")
        weight, hidden_bias, visible_bias = self.split(self.flat)
        hidden_term = F.softplus(torch.addmm(hidden_bias, v, weight.T)).sum(dim=1)
        if self.visible_units == "bernoulli":
            return -(v @ visible_bias) - hidden_term
        return 0.5 * (v - visible_bias).square().sum(dim=1) - hidden_term

    def sample_visible(self, h: torch.Tensor, noise: torch.Tensor) -> torch.Tensor:
        """Draw ``v ~ P(v | h)`` from uniform (Bernoulli) or standard normal noise."""
        mean = self.visible_mean(h)
        check_shape(noise, mean.shape, "RBM", "noise")
        if self.visible_units == "bernoulli":
            return (noise < mean).to(mean.dtype)
        return mean + noise


class ContrastiveDivergence:
    """In-place CD-k or persistent CD-k (PCD) updates of an :class:`RBM`.

    For a batch ``v+`` of ``m`` rows: ``h+ = P(h | v+)``; the negative phase
    runs ``k`` Gibbs steps ``h -> v- -> P(h | v-)`` from ``h+`` sampled (CD) or
    from the persistent chain ``rbm.chain`` (PCD, whose last hidden sample then
    becomes the new chain). The chain's hidden units are sampled; its visible
    units take their mean ``E[v | h]`` unless ``sample_visible``: the noise-free
    reconstruction that Hinton's practical guide (2010, sections 3.2 and 13.2)
    recommends, which lowers the variance of the update. With ``n`` negative
    rows and ``h-`` the hidden probabilities of the last step::

        grad_W = h+^T v+ / m - h-^T v- / n - weight_decay * W
        velocity = momentum * velocity + learning_rate * grad
        params += velocity

    (``grad_c`` and ``grad_b`` are the matching differences of column means,
    without decay). With ``k=1``, PCD, ``sample_visible=True``, no momentum or
    decay and full batches this is exactly scikit-learn's ``BernoulliRBM``
    update; on a short last batch the negative statistics are averaged over the
    chain's rows, where scikit-learn divides them by the batch's rows.

    The negative rows are stored negated next to the positive rows, so the
    weight, hidden-bias and visible-bias updates are one matrix product each.

    Parameters
    ----------
    rbm : RBM
        The machine to train (its buffers are updated in place).
    learning_rate : float
        Step size.
    batch_size : int
        Largest number of rows per batch.
    k : int, default=1
        Gibbs steps in the negative phase.
    persistent : bool, default=True
        Run the chain on from ``rbm.chain`` (PCD) instead of from the data (CD).
    momentum : float, default=0.0
        Momentum of the updates, in [0, 1).
    weight_decay : float, default=0.0
        L2 penalty on the weights (not the biases).
    sample_visible : bool, default=False
        Sample the chain's visible units (Bernoulli draws, or the mean plus
        standard normal noise for Gaussian units) instead of taking their mean.

    Examples
    --------
    >>> import torch
    >>> rbm = RBM(6, 3, n_chains=4)
    >>> rbm.reset_parameters()
    >>> cd = ContrastiveDivergence(rbm, learning_rate=0.1, batch_size=4)
    >>> v = torch.randint(0, 2, (4, 6)).float()
    >>> cd.noise_shapes(4)
    (None, (1, 4, 3))
    >>> cd.step(v, None, torch.rand(1, 4, 3))
    >>> bool(rbm.visible_bias.abs().sum() > 0)
    True
    """

    def __init__(
        self,
        rbm: RBM,
        *,
        learning_rate: float,
        batch_size: int,
        k: int = 1,
        persistent: bool = True,
        momentum: float = 0.0,
        weight_decay: float = 0.0,
        sample_visible: bool = False,
    ):
        self.rbm = rbm
        self.learning_rate = float(learning_rate)
        self.batch_size = int(batch_size)
        self.k = int(k)
        self.persistent = persistent
        self.momentum = float(momentum)
        self.weight_decay = float(weight_decay)
        self.sample_visible = bool(sample_visible)
        like = rbm.flat
        m = self.batch_size
        n = len(rbm.chain) if persistent else m
        # rows [m - m', m) hold a batch of m' rows, rows [m, m + n') the negatives
        self._visible = like.new_empty((m + n, rbm.n_visible))
        self._hidden = like.new_empty((m + n, rbm.n_hidden))
        self._chain = rbm.chain if persistent else like.new_empty((m, rbm.n_hidden))
        self._ones = like.new_ones((1, m + n))
        self._signs = torch.cat([like.new_ones((1, m)), -like.new_ones((1, n))], 1)
        self._params = rbm.split(rbm.flat)
        target = rbm.velocity if self.momentum else rbm.flat
        weight, hidden_bias, visible_bias = rbm.split(target)
        self._targets = (weight, hidden_bias.view(1, -1), visible_bias.view(1, -1))
        self._plans: dict[int, tuple] = {}

    def n_negative(self, n_rows: int) -> int:
        """Rows of the negative phase for a batch of ``n_rows`` rows."""
        return len(self._chain) if self.persistent else n_rows

    def noise_shapes(
        self, n_rows: int
    ) -> tuple[tuple[int, ...] | None, tuple[int, ...]]:
        """Shapes of the visible and hidden noise that one step consumes.

        The hidden noise is uniform on [0, 1); the visible noise is uniform for
        Bernoulli units and standard normal for Gaussian ones. Without
        ``sample_visible`` the visible units take no noise (their shape is None).
        """
        n = self.n_negative(n_rows)
        visible = None
        if self.sample_visible:
            visible = (self.k, n, self.rbm.n_visible)
        return visible, (self.k, n, self.rbm.n_hidden)

    def positive(self, n_rows: int) -> torch.Tensor:
        """The buffer rows that ``update`` reads the batch of ``n_rows`` from."""
        return self._plan(n_rows)[0]

    def step(
        self,
        v: torch.Tensor,
        visible_noise: torch.Tensor | None,
        hidden_noise: torch.Tensor,
    ) -> None:
        """Update the RBM on the batch ``v``, with the given random numbers.

        Parameters
        ----------
        v : Tensor of shape (m, n_visible)
            The batch, ``m <= batch_size``.
        visible_noise, hidden_noise : Tensor
            Noise of the shapes ``noise_shapes(m)``; Gibbs step ``i``
            samples the visible units with ``visible_noise[i]`` (None without
            ``sample_visible``). The hidden samples use
            ``hidden_noise`` in order: for CD, first to sample ``h+``, then
            between steps; for PCD, between steps, then for the new chain.
        """
        check_matrix(
            v,
            "ContrastiveDivergence",
            "v",
            n_columns=self.rbm.n_visible,
            columns="n_visible",
        )
        self.positive(len(v)).copy_(v)
        self.update(len(v), visible_noise, hidden_noise)

    @torch.no_grad()
    def update(
        self,
        n_rows: int,
        visible_noise: torch.Tensor | None,
        hidden_noise: torch.Tensor,
    ) -> None:
        """Update on the batch already written to ``positive(n_rows)``."""
        v_pos, h_pos, v_neg, h_neg, chain, groups, scale = self._plan(n_rows)
        visible_shape, hidden_shape = self.noise_shapes(n_rows)
        check_shape(hidden_noise, hidden_shape, "ContrastiveDivergence", "hidden_noise")
        if visible_shape is not None:
            check_shape(
                visible_noise, visible_shape, "ContrastiveDivergence", "visible_noise"
            )
        weight, hidden_bias, visible_bias = self._params
        gaussian = self.rbm.visible_units == "gaussian"
        hidden_draws = iter(hidden_noise.unbind(0))
        torch.addmm(hidden_bias, v_pos, weight.T, out=h_pos).sigmoid_()
        if not self.persistent:
            torch.sub(h_pos, next(hidden_draws), out=chain).ceil_()
        for step in range(self.k):
            if step:
                torch.sub(h_neg, next(hidden_draws), out=chain).ceil_()
            # v_neg holds -v
            torch.addmm(visible_bias, chain, weight, out=v_neg)
            if not gaussian:
                v_neg.sigmoid_()
            if self.sample_visible and not gaussian:
                # floor(u - p) is -1 where u < p, else 0
                torch.sub(visible_noise[step], v_neg, out=v_neg).floor_()
            elif self.sample_visible:
                torch.add(v_neg, visible_noise[step], out=v_neg).neg_()
            else:
                v_neg.neg_()
            torch.addmm(hidden_bias, v_neg, weight.T, alpha=-1, out=h_neg).sigmoid_()
        if self.persistent:
            torch.sub(h_neg, next(hidden_draws), out=chain).ceil_()
        if scale != 1.0:
            h_neg.mul_(scale)
        target_weight, target_hidden, target_visible = self._targets
        if self.momentum:
            self.rbm.velocity.mul_(self.momentum)
        if self.weight_decay:
            target_weight.add_(weight, alpha=-self.learning_rate * self.weight_decay)
        for h, v, signs, ones, alpha in groups:
            target_weight.addmm_(h.T, v, alpha=alpha)
            target_hidden.addmm_(signs, h, alpha=alpha)
            target_visible.addmm_(ones, v, alpha=alpha)
        if self.momentum:
            self.rbm.flat.add_(self.rbm.velocity)

    def _plan(self, m: int) -> tuple:
        """Buffer views and update groups for a batch of ``m`` rows (cached)."""
        plan = self._plans.get(m)
        if plan is not None:
            return plan
        if not 0 < m <= self.batch_size:
            raise ValueError(f"a batch holds 1 to {self.batch_size} rows; got {m}.")
        n = self.n_negative(m)
        rows = slice(self.batch_size - m, self.batch_size + n)
        visible, hidden = self._visible[rows], self._hidden[rows]
        v_pos, v_neg = visible[:m], visible[m:]
        h_pos, h_neg = hidden[:m], hidden[m:]
        alpha = self.learning_rate / m
        # a short batch against a full chain: scale h- so that each phase is a mean
        scale = m / n
        ones = self._ones[:, : m + n]
        if scale != 1.0:
            ones = ones.clone()
            ones[:, m:] = scale
        groups = [(hidden, visible, self._signs[:, rows], ones, alpha)]
        plan = (v_pos, h_pos, v_neg, h_neg, self._chain[:n], groups, scale)
        self._plans[m] = plan
        return plan


def pseudo_likelihood(free_energy, rows: torch.Tensor, flipped: torch.Tensor):
    """scikit-learn's pseudo-likelihood of each row, from a free energy.

    ``n_features * log sigmoid(F(v~) - F(v))``, where ``v~`` is the row with
    its feature ``flipped[i]`` flipped: a stochastic proxy for the
    log-likelihood that needs no partition function.

    Examples
    --------
    >>> import torch
    >>> rbm = RBM(4, 2)
    >>> rows = torch.tensor([[0.0, 1.0, 1.0, 0.0]])
    >>> pseudo_likelihood(rbm.free_energy, rows, torch.tensor([0]))  # log(1/2) * 4
    tensor([-2.7726])
    """
    flipped = check_class_indices(
        rows,
        flipped,
        "pseudo_likelihood",
        names=("rows", "flipped"),
        axes=("n_rows",),
        classes="n_features",
        meanings=("the rows", "the feature to flip in each row"),
    )
    arange = torch.arange(len(rows), device=rows.device)
    index = flipped.to(rows.device)
    corrupted = rows.clone()
    corrupted[arange, index] = 1 - corrupted[arange, index]
    gap = free_energy(corrupted) - free_energy(rows)
    return -rows.shape[1] * F.softplus(-gap)
