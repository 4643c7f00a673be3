"""
=====================================================
Learning vector quantization: prototypes versus k-NN
=====================================================

A k-nearest-neighbour classifier keeps every training sample and compares each
new sample with all of them. Learning vector quantization (LVQ) learns a few
labelled *prototypes* instead, and a sample gets the class of its nearest
prototype. This example shows

1. the prototypes that GLVQ learns on handwritten digits, drawn as images;
2. the decision regions of several LVQ variants on a 2-D data set;
3. how LVQ compares with 1-NN in accuracy, model size and prediction time.
"""

# %%
# Prototypes of handwritten digits
# --------------------------------
# GLVQ with one prototype per class on the 8x8 digits, standardized. The
# prototypes live in the standardized space; the scaler maps them back to pixel
# intensities so that they can be drawn. They start at the class means and move
# toward the borders between classes, so they are sharper than the means.
import time

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits, make_blobs
from sklearn.inspection import DecisionBoundaryDisplay
from sklearn.model_selection import train_test_split
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skdl import LVQClassifier

X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.25, random_state=0
)
glvq = make_pipeline(StandardScaler(), LVQClassifier(random_state=0))
glvq.fit(X_train, y_train)
scaler, model = glvq[0], glvq[-1]
prototypes = scaler.inverse_transform(model.prototypes_)
means = np.array([X_train[y_train == digit].mean(axis=0) for digit in range(10)])

fig, axes = plt.subplots(2, 10, figsize=(10, 2.8))
for digit in range(10):
    for row, images in enumerate([means, prototypes]):
        ax = axes[row, digit]
        ax.imshow(images[digit].reshape(8, 8), cmap="gray_r", vmin=0, vmax=16)
        ax.set_xticks([])
        ax.set_yticks([])
    axes[0, digit].set_title(str(model.prototype_labels_[digit]))
axes[0, 0].set_ylabel("mean")
axes[1, 0].set_ylabel("GLVQ")
fig.suptitle(f"GLVQ prototypes (test accuracy {glvq.score(X_test, y_test):.3f})")
plt.tight_layout()
plt.show()

# %%
# Decision regions on a 2-D data set
# ----------------------------------
# Three blobs per class, two classes mixed in the middle. Each region is the set
# of points nearest to one prototype (a Voronoi cell), coloured by the
# prototype's class. LVQ1 moves one winner per sample; GLVQ follows the
# gradient of a cost on the margin between the nearest right and wrong
# prototypes; GMLVQ also learns a metric, which bends the cells into the
# directions that separate the classes. 1-NN is the same rule with every
# training sample as a prototype.
centers = [[-4, 0], [0, 3], [4, 0], [-2, -3], [2, -3], [0, 0]]
X2, cluster = make_blobs(600, centers=centers, cluster_std=0.9, random_state=1)
y2 = np.array([0, 0, 0, 1, 1, 1])[cluster]
X2 = X2 * [1.0, 0.5]

models = {
    "LVQ1": LVQClassifier("lvq1", 3, prototype_init="kmeans", random_state=0),
    "GLVQ": LVQClassifier("glvq", 3, prototype_init="kmeans", random_state=0),
    "GMLVQ": LVQClassifier("gmlvq", 3, prototype_init="kmeans", random_state=0),
    "1-NN": KNeighborsClassifier(1),
}
fig, axes = plt.subplots(1, 4, figsize=(14, 3.6), sharey=True)
for ax, (name, clf) in zip(axes, models.items(), strict=True):
    clf.fit(X2, y2)
    DecisionBoundaryDisplay.from_estimator(
        clf, X2, response_method="predict", cmap="coolwarm", alpha=0.3, ax=ax
    )
    ax.scatter(X2[:, 0], X2[:, 1], c=y2, cmap="coolwarm", s=6)
    if hasattr(clf, "prototypes_"):
        ax.scatter(
            *clf.prototypes_.T,
            c=clf.prototype_labels_,
            cmap="coolwarm",
            marker="*",
            s=300,
            edgecolor="k",
        )
    ax.set_title(f"{name}: training accuracy {clf.score(X2, y2):.2f}")
plt.show()

# %%
# GMLVQ's learned metric is a matrix; its diagonal, ``relevances_``, says how
# much each feature counts in the distance (the two sum to 1).
print("GMLVQ feature relevances:", np.round(models["GMLVQ"].relevances_, 2))

# %%
# LVQ versus 1-NN on digits
# -------------------------
# 1-NN is more accurate on digits, but it keeps all 1347 training images and
# computes a distance to each of them per prediction. A few prototypes per class
# come close (GMLVQ matches it) with 1% to 7% of the numbers, and predict several
# times faster.


def predict_time(clf, X, repeats=7):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        clf.predict(X)
        times.append(time.perf_counter() - start)
    return 1000 * np.median(times)


candidates = {
    "GLVQ, 1 per class": LVQClassifier(random_state=0),
    "GMLVQ, 3 per class": LVQClassifier("gmlvq", 3, random_state=0),
    "LVQ1, 3 per class": LVQClassifier("lvq1", 3, random_state=0),
    "1-NN": KNeighborsClassifier(1),
}
rows = []
for name, clf in candidates.items():
    pipe = make_pipeline(StandardScaler(), clf).fit(X_train, y_train)
    X_big = np.tile(X_test, (20, 1))  # 9000 rows, so the timing means something
    size = (
        clf.prototypes_.size + getattr(clf, "omega_", np.empty(0)).size
        if hasattr(clf, "prototypes_")
        else clf.n_samples_fit_ * clf.n_features_in_
    )
    rows.append((name, pipe.score(X_test, y_test), size, predict_time(pipe, X_big)))

print(f"{'model':20s} {'accuracy':>9s} {'numbers kept':>13s} {'predict ms':>11s}")
for name, accuracy, size, ms in rows:
    print(f"{name:20s} {accuracy:9.3f} {size:13d} {ms:11.1f}")

fig, axes = plt.subplots(1, 3, figsize=(12, 3))
names = [row[0] for row in rows]
for ax, column, title in zip(
    axes,
    range(1, 4),
    ["test accuracy", "numbers kept (log)", "predict time, 9000 rows (ms)"],
    strict=True,
):
    ax.barh(names, [row[column] for row in rows], color="tab:blue")
    ax.set_title(title)
axes[0].set_xlim(0.85, 1.0)
axes[1].set_xscale("log")
plt.tight_layout()
plt.show()
