"""Hopfield networks: storage rules, recall dynamics and energies, in torch.

States and stored patterns are rows of +1/-1 values. The classic network keeps
a symmetric weight matrix with a zero diagonal, built by a storage rule, and
recalls by setting units to the sign of their local field; the dense (modern)
network keeps the patterns themselves and recalls with a softmax over them.

The recall and energy functions take the states as a float ``(n_rows, n_units)``
matrix, in the dtype of the weight or patterns, and refuse others (a
ValueError saying what to pass).
"""

from __future__ import annotations

import math

import torch

from ._checks import check_matrix, check_number, check_option, check_shape

__all__ = [
    "STORAGE_RULES",
    "capacity",
    "classic_energy",
    "classic_recall",
    "dense_energy",
    "dense_recall",
    "hebbian_weights",
    "pseudoinverse_weights",
    "storkey_weights",
]


def hebbian_weights(patterns: torch.Tensor) -> torch.Tensor:
    """Hebb's rule: ``W = (1/N) sum_mu xi^mu xi^mu^T`` with a zero diagonal.

    Examples
    --------
    >>> import torch
    >>> hebbian_weights(torch.tensor([[1.0, -1.0, 1.0]]))
    tensor([[ 0.0000, -0.3333,  0.3333],
            [-0.3333,  0.0000, -0.3333],
            [ 0.3333, -0.3333,  0.0000]])
    """
    _check_patterns(patterns, "hebbian_weights")
    weight = patterns.T @ patterns / patterns.shape[1]
    return weight.fill_diagonal_(0)


def storkey_weights(patterns: torch.Tensor) -> torch.Tensor:
    """Storkey's rule (1997): Hebb's, less the crosstalk of earlier patterns.

    The patterns are learnt one after the other: with ``h_ij = sum_{k != i, j}
    w_ik xi_k`` the local field of unit ``i`` without units ``i`` and ``j``,

    ``w_ij += (xi_i xi_j - xi_i h_ji - h_ij xi_j) / N``,

    which, with ``h = W xi`` and a zero diagonal, is ``(xi xi^T - xi h^T -
    h xi^T + 2 W) / N`` off the diagonal.

    Examples
    --------
    >>> import torch
    >>> one = torch.tensor([[1.0, -1.0, 1.0, 1.0]])
    >>> torch.equal(storkey_weights(one), hebbian_weights(one))
    True
    """
    _check_patterns(patterns, "storkey_weights")
    n_units = patterns.shape[1]
    weight = patterns.new_zeros((n_units, n_units))
    for xi in patterns:
        field = weight @ xi
        weight += (
            torch.outer(xi, xi)
            - torch.outer(xi, field)
            - torch.outer(field, xi)
            + 2 * weight
        ) / n_units
        weight.fill_diagonal_(0)
    return _symmetric(weight)


def pseudoinverse_weights(patterns: torch.Tensor) -> torch.Tensor:
    """The projection rule: ``W = Xi^+ Xi`` (the projection onto the patterns'
    span), with a zero diagonal.

    Linearly independent patterns ``xi`` get the fields ``(1 - W_ii) xi_i``,
    so each is a fixed point however correlated they are (Personnaz, Guyon and
    Dreyfus 1985; Kanter and Sompolinsky 1987).

    Examples
    --------
    >>> import torch
    >>> xi = torch.tensor([[1.0, 1.0, -1.0, 1.0], [1.0, 1.0, 1.0, -1.0]])
    >>> fields = xi @ pseudoinverse_weights(xi)
    >>> torch.equal(fields.sign(), xi)
    True
    """
    _check_patterns(patterns, "pseudoinverse_weights")
    weight = torch.linalg.pinv(patterns) @ patterns
    return _symmetric(weight.fill_diagonal_(0))


def _check_patterns(patterns: torch.Tensor, owner: str) -> None:
    """Refuse anything but a float ``(n_patterns, n_units)`` matrix of -1/+1.

    The values are read (one synchronisation): a rule runs once per fit.
    """
    if patterns.dtype == torch.bool:
        raise ValueError(
            f"{owner} needs patterns of +1/-1 values; got booleans. Pass "
            "patterns.float() * 2 - 1."
        )
    check_matrix(patterns, owner, "patterns", columns="n_units")
    if not bool((patterns.abs() == 1).all()):
        raise ValueError(
            f"{owner} needs patterns of -1/+1 values; got others. For patterns "
            "coded 0 and 1, pass patterns * 2 - 1; binarize real values first, "
            "e.g. torch.where(patterns > threshold, 1.0, -1.0)."
        )


def _check_network(
    states: torch.Tensor, network: torch.Tensor, owner: str, name: str
) -> None:
    """Refuse states that do not go with the network's ``weight`` (a square
    matrix) or stored ``patterns`` (rows): floats, one column per unit, in one
    dtype. Shapes and dtypes only: these run on every recall.
    """
    check_matrix(states, owner, "states", columns="n_units")
    n_units = states.shape[1]
    if name == "weight":
        check_shape(network, (n_units, n_units), owner, name)
    check_matrix(
        network, owner, name, n_columns=n_units, columns="n_units", dtype=states.dtype
    )


def _symmetric(weight: torch.Tensor) -> torch.Tensor:
    """``weight`` made exactly symmetric: rounding leaves the two triangles of
    these rules a few ulps apart, and asynchronous recall only always settles
    with symmetric couplings.
    """
    return (weight + weight.T) / 2


#: Storage rule name -> function of the (n_patterns, n_units) +1/-1 patterns (a
#: float tensor; other shapes, dtypes and values are a ValueError).
STORAGE_RULES = {
    "hebbian": hebbian_weights,
    "storkey": storkey_weights,
    "pseudoinverse": pseudoinverse_weights,
}


def capacity(rule: str, n_units: int) -> float:
    """Theoretical number of random patterns a rule stores in ``n_units`` units.

    'hebbian': ``0.138 N``, the load up to which recall states lie near the
    patterns (Amit, Gutfreund and Sompolinsky 1985); 'storkey': ``N /
    sqrt(2 ln N)``, the load up to which every pattern is a fixed point
    (Storkey 1997; ``N / (2 ln N)`` for Hebb's rule by that criterion);
    'pseudoinverse': ``N`` linearly independent patterns, all fixed points;
    'dense': unlimited (every distinct pattern is a fixed point for a large
    enough ``beta``).

    Examples
    --------
    >>> round(capacity("hebbian", 1000))
    138
    """
    check_option(rule, "rule", ("hebbian", "storkey", "pseudoinverse", "dense"))
    n_units = check_number(n_units, "n_units", low=1, integer=True)
    if rule == "hebbian":
        return 0.138 * n_units
    if rule == "storkey":
        return n_units / math.sqrt(2 * math.log(n_units)) if n_units > 1 else 1.0
    if rule == "pseudoinverse":
        return float(n_units)
    return math.inf


def _sign_or_keep(field: torch.Tensor, state: torch.Tensor) -> torch.Tensor:
    """``sign(field)``, keeping the current state where the field is zero."""
    return torch.where(field == 0, state, field.sign())


def classic_recall(
    states: torch.Tensor,
    weight: torch.Tensor,
    *,
    update: str,
    max_iter: int,
    generator: torch.Generator,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Run the classic dynamics from each row until it stops changing.

    ``update='sync'`` sets every unit to the sign of its field at once;
    ``'async'`` visits the units one at a time in a random order (a new one
    each sweep, from ``generator``, the same for every row), each unit seeing
    the units updated before it. A unit whose field is zero keeps its state.

    Returns
    -------
    states : Tensor
        The final states.
    n_iter : Tensor of int
        Sweeps (updates of every unit) each row took, counting the last one,
        which changed nothing (``max_iter`` for a row that never settled).
    converged : Tensor of bool
        Whether each row reached a fixed point within ``max_iter`` sweeps.

    Examples
    --------
    >>> import torch
    >>> xi = torch.tensor([[1.0, -1.0, 1.0, -1.0, 1.0, -1.0]])
    >>> noisy = xi.clone()
    >>> noisy[0, 0] = -1
    >>> recalled, n_iter, converged = classic_recall(
    ...     noisy, hebbian_weights(xi), update="sync", max_iter=10,
    ...     generator=torch.Generator(),
    ... )
    >>> torch.equal(recalled, xi), n_iter.tolist()
    (True, [2])
    """
    check_option(update, "update", ("sync", "async"))
    max_iter = check_number(max_iter, "max_iter", low=1, integer=True)
    _check_network(states, weight, "classic_recall", "weight")
    states = states.clone()
    n_iter = torch.full((len(states),), max_iter, dtype=torch.int64)
    moving = torch.ones(len(states), dtype=torch.bool, device=states.device)
    fields = states @ weight
    for sweep in range(1, max_iter + 1):
        if update == "sync":
            new = _sign_or_keep(fields, states)
            changed = (new != states).any(dim=1)
            states = new
            fields = states @ weight
        else:
            changed = torch.zeros_like(moving)
            order = torch.randperm(len(weight), generator=generator).tolist()
            for unit in order:
                new = _sign_or_keep(fields[:, unit], states[:, unit])
                delta = new - states[:, unit]
                flipped = delta != 0
                if bool(flipped.any()):
                    fields.addr_(delta, weight[unit])
                    states[:, unit] = new
                    changed |= flipped
        settled = moving & ~changed
        n_iter[settled.cpu()] = sweep
        moving &= changed
        if not bool(moving.any()):
            break
    return states, n_iter, ~moving.cpu()


def dense_recall(
    states: torch.Tensor,
    patterns: torch.Tensor,
    *,
    beta: float,
    max_iter: int,
    tol: float = 1e-9,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Modern (dense) Hopfield dynamics: ``xi <- X^T softmax(beta X xi)``.

    ``X`` holds the stored patterns as rows (Ramsauer et al., 2020). Each row
    is updated until no component changes by more than ``tol``; the result
    is continuous (a weighted mean of patterns).

    Returns
    -------
    states, n_iter, converged
        As :func:`classic_recall`.

    Examples
    --------
    >>> import torch
    >>> X = torch.tensor([[1.0, 1.0, -1.0, -1.0], [1.0, -1.0, 1.0, -1.0]])
    >>> state, n_iter, converged = dense_recall(
    ...     torch.tensor([[1.0, 1.0, -1.0, 1.0]]), X, beta=4.0, max_iter=10
    ... )
    >>> state.sign().tolist()
    [[1.0, 1.0, -1.0, -1.0]]
    """
    check_number(beta, "beta", low=0, low_open=True)
    max_iter = check_number(max_iter, "max_iter", low=1, integer=True)
    check_number(tol, "tol", low=0)
    _check_network(states, patterns, "dense_recall", "patterns")
    states = states.clone()
    n_iter = torch.full((len(states),), max_iter, dtype=torch.int64)
    moving = torch.ones(len(states), dtype=torch.bool, device=states.device)
    for sweep in range(1, max_iter + 1):
        new = torch.softmax(beta * states @ patterns.T, dim=1) @ patterns
        changed = (new - states).abs().amax(dim=1) > tol
        states = new
        settled = moving & ~changed
        n_iter[settled.cpu()] = sweep
        moving &= changed
        if not bool(moving.any()):
            break
    return states, n_iter, ~moving.cpu()


def classic_energy(states: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
    """``E(s) = -1/2 s^T W s`` of each row (no thresholds).

    Examples
    --------
    >>> import torch
    >>> xi = torch.tensor([[1.0, -1.0, 1.0]])
    >>> classic_energy(xi, hebbian_weights(xi))
    tensor([-1.])
    """
    _check_network(states, weight, "classic_energy", "weight")
    return -0.5 * ((states @ weight) * states).sum(dim=1)


def dense_energy(
    states: torch.Tensor, patterns: torch.Tensor, beta: float
) -> torch.Tensor:
    """Ramsauer et al.'s energy of each row ``xi``.

    ``E = -lse(beta, X xi) + xi^T xi / 2 + log(n_patterns) / beta + M^2 / 2``
    with ``lse(beta, z) = log(sum_mu exp(beta z_mu)) / beta`` and ``M`` the
    largest norm of a pattern; the update of :func:`dense_recall` never raises
    it.

    Examples
    --------
    >>> import torch
    >>> X = torch.tensor([[1.0, 1.0], [1.0, -1.0]])
    >>> bool(dense_energy(X[:1], X, 8.0) < dense_energy(X[:1] * 0.5, X, 8.0))
    True
    """
    _check_network(states, patterns, "dense_energy", "patterns")
    lse = torch.logsumexp(beta * states @ patterns.T, dim=1) / beta
    radius = patterns.square().sum(dim=1).max()
    return (
        -lse
        + 0.5 * states.square().sum(dim=1)
        + math.log(len(patterns)) / beta
        + 0.5 * radius
    )
