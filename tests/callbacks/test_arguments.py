"""skdl's callbacks check their arguments when a net initializes them.

A negative learning rate trained by gradient ascent, ReduceLROnPlateau's
factor=10 raised the rate to 1e8, tol=nan never stopped, and a zero step gave a
ZeroDivisionError at the first epoch.
"""

import math

import pytest
from sklearn.datasets import load_iris

from skdl import MLPClassifier
from skdl.callbacks import (
    Convergence,
    EpochProgressBar,
    ExponentialDecayLR,
    InverseScalingLR,
    L1Shrinkage,
    LBFGSConvergence,
    LinearDecayLR,
    ReduceLROnPlateau,
)

BAD = [
    (InverseScalingLR(-0.01, 0.5), "learning_rate_init must be a number in \\(0"),
    (InverseScalingLR(0.01, -1), "power_t must be a number in \\[0"),
    (LinearDecayLR(0.01, 0), "max_iter must be an int >= 1; got 0"),
    (ExponentialDecayLR(0.01, 0.5, 0), "decay_steps must be a number in \\(0"),
    (ExponentialDecayLR(0.01, -0.5, 1), "decay_rate must be a number in \\(0"),
    (ReduceLROnPlateau(factor=10, patience=2), "factor must be a number in \\(0, 1\\]"),
    (
        ReduceLROnPlateau(factor=0.5, patience=-1),
        "patience must be an int >= 0; got -1",
    ),
    (L1Shrinkage(-5), "strength must be a number in \\[0"),
    (Convergence("train_loss", tol=math.nan, n_iter_no_change=2), "tol must be"),
    (LBFGSConvergence(0), "max_fun must be an int >= 1; got 0"),
    (EpochProgressBar("x"), "total must be an int >= 1; got 'x'"),
]


@pytest.mark.parametrize("callback, match", BAD, ids=[type(c).__name__ for c, _ in BAD])
def test_bad_arguments_are_refused_at_fit(callback, match):
    X, y = load_iris(return_X_y=True)
    model = MLPClassifier((4,), max_iter=2, callbacks=[callback])
    with pytest.raises(ValueError, match=f"{type(callback).__name__}'s {match}"):
        model.fit(X, y)
    assert not hasattr(model, "net_")


def test_the_edges_of_the_ranges_are_accepted():
    X, y = load_iris(return_X_y=True)
    callbacks = [
        ReduceLROnPlateau(factor=1, patience=0),  # as learning_rate='plateau' may
        Convergence("train_loss", tol=0, n_iter_no_change=math.inf),
        L1Shrinkage(0),
        InverseScalingLR(0.01, 0),
    ]
    assert MLPClassifier((4,), max_iter=2, callbacks=callbacks).fit(X, y).n_iter_ == 2
