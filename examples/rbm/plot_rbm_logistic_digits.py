"""
==============================================================
Restricted Boltzmann machine features for digit classification
==============================================================

A restricted Boltzmann machine (RBM) learns, without labels, a layer of binary
hidden units that explain its input. The probabilities of those units given an
image make features for a linear classifier. This example rebuilds
scikit-learn's classic pipeline, an RBM followed by logistic regression, with
:class:`skdl.RBMTransformer` in place of
:class:`~sklearn.neural_network.BernoulliRBM` (same parameters and algorithm),
and

1. compares its accuracy with logistic regression on the raw pixels and with
   scikit-learn's RBM;
2. draws the filters the RBM learned (its weights, ``components_``).
"""

# %%
# Data: more digits by nudging them
# ---------------------------------
# The 8x8 digits are few (1797), so, as in scikit-learn's example, each image is
# also moved by one pixel up, left, right and down, which gives five times as
# many. Bernoulli visible units model values in [0, 1], so the pixels are
# min-max scaled: an intensity reads as the probability that the pixel is on.
import warnings

import matplotlib.pyplot as plt
import numpy as np
from scipy.ndimage import shift
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.neural_network import BernoulliRBM
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import minmax_scale

from skdl import RBMTransformer

X, y = load_digits(return_X_y=True)
images = X.reshape(-1, 8, 8)
nudged = [
    shift(images, (0, *offset), mode="constant", order=0)
    for offset in ((-1, 0), (0, -1), (0, 1), (1, 0))  # up, left, right, down
]
X = minmax_scale(np.concatenate([images, *nudged]).reshape(-1, 64))
y = np.tile(y, 5)
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, random_state=0)
print(f"{len(X_train)} training images, {len(X_test)} test images")

# %%
# RBM features + logistic regression
# ----------------------------------
# 256 hidden units (the default), trained for 10 epochs of persistent
# contrastive divergence with a learning rate of 0.06, scikit-learn's choice
# for this example (its other settings are ``BernoulliRBM``'s defaults, which
# :class:`~skdl.RBMTransformer` shares). The
# logistic regression on top is barely regularized (``C=6000``): the features
# are already smooth. The same pipeline runs with scikit-learn's ``BernoulliRBM``
# and with skdl's RBM given scikit-learn's exact update
# (``sample_visible=True``), and logistic regression on the pixels (``C=100``)
# is the baseline. (``benchmarks/bench_rbm.py`` compares the RBMs' training time.)


def evaluate(name, model):
    with warnings.catch_warnings():
        # lbfgs may stop at max_iter with C=6000; the scores do not need more
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X_train, y_train)
    print(f"{name:32} test accuracy {model.score(X_test, y_test):.3f}")
    return model


rbm_settings = dict(n_components=256, learning_rate=0.06, n_iter=10, random_state=0)
skdl_pipeline = evaluate(
    "skdl RBMTransformer + logistic",
    make_pipeline(
        RBMTransformer(**rbm_settings), LogisticRegression(C=6000, max_iter=1000)
    ),
)
evaluate(
    "skdl, sample_visible=True",
    make_pipeline(
        RBMTransformer(**rbm_settings, sample_visible=True),
        LogisticRegression(C=6000, max_iter=1000),
    ),
)
evaluate(
    "sklearn BernoulliRBM + logistic",
    make_pipeline(
        BernoulliRBM(**rbm_settings), LogisticRegression(C=6000, max_iter=1000)
    ),
)
evaluate("logistic on raw pixels", LogisticRegression(C=100, max_iter=1000))

# %%
# The RBM features lift a linear model well above the raw pixels. With
# ``sample_visible=True`` skdl's RBM makes scikit-learn's update and scores
# alike (only the order of the training rows differs, since
# :class:`~skdl.RBMTransformer` shuffles them each epoch). By default its
# negative phase takes the visible units' probabilities instead of 0/1 samples,
# as Hinton's practical guide recommends: the updates are less noisy and the
# features classify better. Beyond scikit-learn's algorithm it offers CD-k
# (``k``), plain CD (``persistent=False``), Gaussian visible units,
# ``momentum``, ``weight_decay`` and a GPU ``device``; see the user guide.
#
# The filters
# -----------
# Row ``j`` of ``components_`` holds the weights from hidden unit ``j`` to the
# 64 pixels: the unit turns on for images that match its positive weights (red
# here) and avoid its negative ones (blue). Some resemble whole digits, others
# strokes or edges at one place in the image; each scaled to its own range.
rbm = skdl_pipeline[0]
filters = rbm.components_
fig, axes = plt.subplots(16, 16, figsize=(7.2, 7.2))
for ax, weights in zip(axes.ravel(), filters, strict=True):
    limit = np.abs(weights).max()
    ax.imshow(weights.reshape(8, 8), cmap="RdBu_r", vmin=-limit, vmax=limit)
    ax.set_xticks([])
    ax.set_yticks([])
fig.suptitle("256 filters learned by RBMTransformer (red: positive weight)")
plt.tight_layout()
plt.show()

# %%
# What the hidden units keep
# --------------------------
# :meth:`~skdl.RBMTransformer.reconstruct` maps an image to its hidden
# probabilities and back to the visible layer. A good RBM gives back the digit,
# smoothed: what 256 binary causes can explain of 64 pixels.
examples = X_test[:8]
fig, axes = plt.subplots(2, 8, figsize=(8, 2.4))
for column, (image, reconstruction) in enumerate(
    zip(examples, rbm.reconstruct(examples), strict=True)
):
    for row, picture in enumerate((image, reconstruction)):
        axes[row, column].imshow(picture.reshape(8, 8), cmap="gray_r", vmin=0, vmax=1)
        axes[row, column].set_xticks([])
        axes[row, column].set_yticks([])
axes[0, 0].set_ylabel("image")
axes[1, 0].set_ylabel("RBM")
plt.tight_layout()
plt.show()
