"""The building blocks of skdl.modules refuse option names they do not know.

Called directly, an unknown name fell through to another branch: GLVQLoss with
activation='bogus' used the identity, reduce(x, 'avg') did not reduce,
ReconstructionLoss(loss='bogus') computed the cross entropy, capacity('bogus')
was unlimited and pool_steps(pooling='median') took the mean.
"""

import pytest
import torch

from skdl.modules import (
    AbsoluteError,
    GLVQLoss,
    ReconstructionLoss,
    capacity,
    conv_output_size,
    corrupt,
    pool_steps,
)
from skdl.modules._losses import reduce


@pytest.mark.parametrize(
    "call, name",
    [
        (lambda: GLVQLoss([0, 1], activation="bogus"), "activation"),
        (lambda: reduce(torch.ones(2), "avg"), "reduction"),
        (lambda: AbsoluteError(reduction="avg"), "reduction"),
        (lambda: ReconstructionLoss(2, loss="bogus"), "loss"),
        (lambda: corrupt(torch.ones(2), "bogus", 0.1, torch.Generator()), "noise"),
        (lambda: capacity("bogus", 100), "rule"),
        (lambda: pool_steps(torch.ones(1, 2, 3), None, "median", False), "pooling"),
        (lambda: conv_output_size(28, 3, padding="full"), "padding"),
    ],
)
def test_unknown_options_are_refused(call, name):
    with pytest.raises(ValueError, match=f"{name} must be one of .*; got '"):
        call()


def test_capacity_needs_units():
    with pytest.raises(ValueError, match="n_units must be an int >= 1; got -5"):
        capacity("hebbian", -5)
    assert capacity("dense", 10) == float("inf")


def test_make_activation_names_what_to_use():
    from skdl.modules import make_activation

    with pytest.raises(ValueError, match="'softmax' is an output function"):
        make_activation("softmax")
    with pytest.raises(ValueError, match=r"Unknown activation 'rleu'\. Did you mean"):
        make_activation("rleu")
