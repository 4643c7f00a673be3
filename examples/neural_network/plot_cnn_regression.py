"""
===============================================
Convolutional regression: how far is it turned?
===============================================

:class:`skdl.CNNRegressor` is the network of :class:`skdl.CNNClassifier` with
a real-valued output. Here it reads the angle by which a handwritten digit was
rotated: a target that no single pixel holds, but that the strokes' directions
give away. We turn scikit-learn's 8x8 digits (enlarged to 16x16 so that they
keep their shape) by a random angle of up to 45 degrees either way, train on
1400 of them and predict the angle of the other 397.
"""

# %%
# Rotated digits
# --------------
# OpenCV turns each image about its centre; the target is the angle, divided
# by 45 so that it lies in [-1, 1] (networks train best on targets of order 1).
import warnings

import cv2
import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning

from skdl import CNNRegressor

images = load_digits().images
rng = np.random.RandomState(0)
angles = rng.uniform(-45, 45, len(images))


def rotate(image, angle, side=16):
    image = cv2.resize(image.astype(np.float32), (side, side))
    turn = cv2.getRotationMatrix2D(((side - 1) / 2, (side - 1) / 2), angle, 1.0)
    return cv2.warpAffine(image, turn, (side, side))


X = np.stack(
    [rotate(image, angle) for image, angle in zip(images, angles, strict=True)]
)
y = angles / 45

fig, axes = plt.subplots(1, 6, figsize=(9, 1.8))
for ax, image, angle in zip(axes, X, angles, strict=False):
    ax.imshow(image, cmap="gray_r")
    ax.set_title(f"{angle:+.0f}°")
    ax.axis("off")

# %%
# Training
# --------
# Two conv blocks with batch normalisation and one dense layer, as for
# classification; the output is one linear unit trained on the squared error.
reg = CNNRegressor(
    (8, 16),
    dense_layers=(32,),
    batch_norm=True,
    rescale=1 / 16,
    batch_size=32,
    max_iter=15,
    learning_rate_init=0.003,
    random_state=0,
)
with warnings.catch_warnings():  # 15 epochs are enough here; no need to converge
    warnings.simplefilter("ignore", ConvergenceWarning)
    reg.fit(X[:1400], y[:1400])
print(f"R2 on the 397 test digits: {reg.score(X[1400:], y[1400:]):.3f}")

# %%
# Predicted and true angles
# -------------------------
# Most digits land near the diagonal; the misses are digits whose shape is
# nearly symmetric under a turn (a round 0), or was slanted to begin with.
predicted = reg.predict(X[1400:]) * 45
fig, ax = plt.subplots(figsize=(4.5, 4.5))
ax.scatter(angles[1400:], predicted, s=8, alpha=0.6)
ax.plot([-45, 45], [-45, 45], color="black", linewidth=1)
ax.set_xlabel("true angle (degrees)")
ax.set_ylabel("predicted angle (degrees)")
error = np.abs(predicted - angles[1400:])
ax.set_title(f"median error {np.median(error):.1f}°")
plt.show()
