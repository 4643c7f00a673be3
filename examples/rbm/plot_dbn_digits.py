"""
=========================================
A deep belief network on nudged digits
=========================================

A deep belief network (DBN) is a stack of restricted Boltzmann machines trained
greedily: the first RBM models the pixels, the second models the first one's
hidden probabilities, and so on. :class:`skdl.DBNTransformer` builds such a
stack and returns the top layer's probabilities as features. This example

1. trains a two-layer DBN on the nudged digits and feeds each layer's features
   to logistic regression, next to the raw pixels;
2. fine-tunes the whole stack as a classifier: an
   :class:`~skdl.MLPClassifier` whose hidden layers start from the DBN's
   weights (``pretrain=``), against the same network from a random start;
3. draws what the units of the second layer respond to in pixel space.
"""

# %%
# Data
# ----
# The digits and their copies moved by one pixel up, left, right and down, min-
# max scaled to [0, 1] for Bernoulli visible units (as in
# :ref:`sphx_glr_auto_examples_rbm_plot_rbm_logistic_digits.py`).
import warnings

import matplotlib.pyplot as plt
import numpy as np
from scipy.ndimage import shift
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import minmax_scale

from skdl import DBNTransformer, MLPClassifier

X, y = load_digits(return_X_y=True)
images = X.reshape(-1, 8, 8)
nudged = [
    shift(images, (0, *offset), mode="constant", order=0)
    for offset in ((-1, 0), (0, -1), (0, 1), (1, 0))
]
X = minmax_scale(np.concatenate([images, *nudged]).reshape(-1, 64))
y = np.tile(y, 5)
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, random_state=0)

# %%
# A two-layer stack
# -----------------
# 256 hidden units, then 128 on top of them; every layer is an
# :class:`~skdl.RBMTransformer` with the same settings, trained for 10 epochs of
# persistent contrastive divergence. The fitted layers are in ``rbms_``:
# ``rbms_[0].transform`` gives the first layer's features, and
# :meth:`~skdl.DBNTransformer.transform` the top layer's.
settings = dict(learning_rate=0.06, n_iter=10, random_state=0)
dbn = DBNTransformer((256, 128), **settings).fit(X_train)
first = dbn.rbms_[0]


def features(X):
    """Each candidate feature set for the rows of ``X``."""
    bottom, top = first.transform(X), dbn.transform(X)
    return {
        "raw pixels (64)": X,
        "DBN layer 1 (256)": bottom,
        "DBN layer 2 (128)": top,
        "DBN layers 1 + 2 (384)": np.hstack([bottom, top]),
    }


scores = {}
train_features, test_features = features(X_train), features(X_test)
for name, train in train_features.items():
    with warnings.catch_warnings():
        # lbfgs may stop at max_iter; the comparison does not need more
        warnings.simplefilter("ignore", ConvergenceWarning)
        classifier = LogisticRegression(C=100, max_iter=1000).fit(train, y_train)
    scores[name] = classifier.score(test_features[name], y_test)
    print(f"{name:24} test accuracy {scores[name]:.3f}")

fig, ax = plt.subplots(figsize=(6.4, 2.8))
ax.barh(list(scores), list(scores.values()), color="tab:blue")
ax.set_xlim(0.5, 1)
ax.invert_yaxis()
ax.set_xlabel("test accuracy of logistic regression on the features")
plt.tight_layout()
plt.show()

# %%
# Each RBM layer lifts logistic regression far above the raw pixels. The top
# layer's 128 units, which only model the first layer's probabilities, keep about
# as much of what tells digits apart as the 256 below them, and joining both
# layers does a little better than either.
#
# Fine-tuning the stack
# ---------------------
# The greedy training never sees a label. Fine-tuning does: the stack becomes
# the hidden layers of a network with logistic units, a softmax layer goes on
# top, and backpropagation trains everything on ``y``. ``MLPClassifier``'s
# ``pretrain`` parameter does this: it trains a clone of the given
# ``DBNTransformer`` on the training rows, starts the hidden layers from its
# weights, then fits as usual. The same network from scikit-learn's random
# start, and a ReLU network, get the same 60 epochs.
candidates = {
    "logistic, DBN start": MLPClassifier(
        (256, 128),
        activation="logistic",
        pretrain=DBNTransformer((256, 128), **settings),
        max_iter=60,
        random_state=0,
    ),
    "logistic, random start": MLPClassifier(
        (256, 128), activation="logistic", max_iter=60, random_state=0
    ),
    "relu, random start": MLPClassifier((256, 128), max_iter=60, random_state=0),
}
for name, network in candidates.items():
    with warnings.catch_warnings():
        # the same 60 epochs for each network, converged or not
        warnings.simplefilter("ignore", ConvergenceWarning)
        network.fit(X_train, y_train)
    print(f"{name:24} test accuracy {network.score(X_test, y_test):.3f}")

# %%
# The DBN's start puts the logistic network far ahead of the random one after
# the same number of epochs: this is what made deep sigmoid networks trainable
# in 2006. ReLU units, which do not saturate, train as fast from a random
# start and score at least as well here, which is why layer-wise pretraining
# fell out of use once such units (and better initialisations) came along.
#
# What the second layer responds to
# ---------------------------------
# A second-layer unit reads the first layer's probabilities. Multiplying its
# weights by the first layer's weights, ``W2 @ W1``, gives a rough pixel-space
# picture of what drives it (rough, as it ignores the sigmoid between the
# layers). They are broad patterns over the whole image rather than single
# strokes: combinations of the first layer's filters.
W1, W2 = first.components_, dbn.rbms_[1].components_
fields = W2 @ W1
fig, axes = plt.subplots(4, 8, figsize=(6.4, 3.4))
for ax, weights in zip(axes.ravel(), fields, strict=False):
    limit = np.abs(weights).max()
    ax.imshow(weights.reshape(8, 8), cmap="RdBu_r", vmin=-limit, vmax=limit)
    ax.set_xticks([])
    ax.set_yticks([])
fig.suptitle("32 second-layer units in pixel space (W2 @ W1; red: positive)")
plt.tight_layout()
plt.show()
