"""
=====================================================
Convolutional network on digits, with augmentation
=====================================================

:class:`skdl.CNNClassifier` trains a small convolutional network on the 8x8
handwritten digits that ship with scikit-learn. We train it twice, without and
with train-time augmentation (:class:`skdl.augmentation.ImageAugmenter`: small
random rotations, shifts and zooms of every training batch), and compare

1. the learning curves, read from ``history_``;
2. the accuracy on the test digits as they are, and on the same digits moved
   a little (rotated, shifted, zoomed);
3. the confusion matrices on the moved digits.
"""

# %%
# Data and augmentation
# ---------------------
# The digits come as flat rows of 64 pixel values from 0 to 16; we scale them to
# [0, 1] and reshape them to ``(n, 8, 8)`` images (``CNNClassifier`` would also
# take the flat rows: 64 features read as a square 8x8 grayscale image).
#
# The augmenter takes the options of Keras' ``ImageDataGenerator``. Called on
# its own, :meth:`~skdl.augmentation.ImageAugmenter.transform` returns
# augmented copies, which shows what the network will see while it trains.
import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import ConfusionMatrixDisplay
from sklearn.model_selection import train_test_split

from skdl import CNNClassifier
from skdl.augmentation import ImageAugmenter

X, y = load_digits(return_X_y=True)
images = X.reshape(-1, 8, 8) / 16
X_train, X_test, y_train, y_test = train_test_split(
    images, y, test_size=0.25, random_state=0
)

moves = {
    "rotation_range": 15,  # degrees
    "width_shift_range": 1,  # whole pixels
    "height_shift_range": 1,
    "zoom_range": 0.1,
}
augmenter = ImageAugmenter(**moves)
examples = ImageAugmenter(**moves, random_state=0).transform(
    np.repeat(X_train[:4], 5, axis=0)
)

fig, axes = plt.subplots(4, 6, figsize=(6, 4))
for row in range(4):
    axes[row, 0].imshow(X_train[row], cmap="gray_r")
    for col in range(5):
        axes[row, col + 1].imshow(examples[5 * row + col], cmap="gray_r")
for ax in axes.ravel():
    ax.set_axis_off()
axes[0, 0].set_title("original")
axes[0, 3].set_title("augmented copies")
plt.tight_layout()

# %%
# Training with and without augmentation
# --------------------------------------
# Two conv layers (16 and 32 filters of 3x3, 'same' padding, batch norm, ReLU,
# 2x2 max pooling), a dense layer of 64 units and a softmax over the 10 digits.
# ``early_stopping=True`` holds out 10% of the training digits to score every
# epoch; the augmenter only ever sees training batches, never the held-out
# digits or the digits we predict. With ``n_iter_no_change=30`` the network
# trains all 30 epochs, so that the curves are complete. Stopping at
# ``max_iter`` makes each fit warn that it did not converge; that is the plan
# here, so we catch the two warnings and print their messages.
params = {
    "conv_filters": (16, 32),
    "dense_layers": (64,),
    "batch_norm": True,
    "batch_size": 32,
    "max_iter": 30,
    "early_stopping": True,
    "n_iter_no_change": 30,
    "random_state": 0,
}
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always", ConvergenceWarning)
    plain = CNNClassifier(**params).fit(X_train, y_train)
    augmented = CNNClassifier(**params, augment=augmenter).fit(X_train, y_train)
for warning in caught:
    print(f"{warning.category.__name__}: {warning.message}")
plain.summary()

# %%
# Learning curves
# ---------------
# ``history_`` holds one row per epoch: the training loss and the accuracy on
# the held-out digits. The augmented network sees a new random version of every
# digit in every epoch, so its training loss stays higher and its validation
# accuracy rises more slowly.
fig, (ax_loss, ax_score) = plt.subplots(1, 2, figsize=(9, 3.5))
for name, clf in {"plain": plain, "augmented": augmented}.items():
    epochs = clf.history_[:, "epoch"]
    ax_loss.plot(epochs, clf.history_[:, "train_loss"], label=name)
    ax_score.plot(epochs, clf.history_[:, "valid_score"], label=name)
ax_loss.set(xlabel="epoch", ylabel="training loss", yscale="log")
ax_score.set(xlabel="epoch", ylabel="validation accuracy", ylim=(0.8, 1.0))
ax_loss.legend()
plt.tight_layout()

# %%
# Accuracy on test digits, as they are and moved
# ----------------------------------------------
# We move every test digit once (the same random moves for both networks). The
# plain network has only seen centred, upright digits and loses much of its
# accuracy; the augmented one has learned not to depend on the exact position,
# at the price of a few points on the untouched digits: on 8x8 images a
# 15-degree rotation or a one-pixel shift is a large change.
X_moved = ImageAugmenter(**moves, random_state=1).transform(X_test)
for name, clf in {"plain": plain, "augmented": augmented}.items():
    print(
        f"{name:>9}: test accuracy {clf.score(X_test, y_test):.3f}, "
        f"on moved digits {clf.score(X_moved, y_test):.3f}"
    )

# %%
# Confusion matrices on the moved digits
# --------------------------------------
fig, axes = plt.subplots(1, 2, figsize=(10, 4.5))
for ax, (name, clf) in zip(
    axes, {"plain": plain, "augmented": augmented}.items(), strict=True
):
    ConfusionMatrixDisplay.from_estimator(clf, X_moved, y_test, ax=ax, colorbar=False)
    ax.set_title(f"{name} network, moved digits")
plt.tight_layout()
plt.show()
