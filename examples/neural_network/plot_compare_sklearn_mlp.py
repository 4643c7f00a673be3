"""
===========================================================
skdl versus scikit-learn's MLPClassifier: accuracy and time
===========================================================

:class:`skdl.MLPClassifier` takes the parameters of
:class:`sklearn.neural_network.MLPClassifier`, with the same defaults, and
trains the same network in PyTorch. This example trains both on the 5000
handwritten digits that ship with skdl (:func:`skdl.datasets.load_digit_sheet`,
20x20 pixels) with identical settings and compares test accuracy and training
time, and shows the images each gets wrong.

The timings come from the machine that built this page, where the
documentation build holds both libraries to one thread;
``benchmarks/bench_mlp.py`` in the repository compares them more thoroughly.
"""

# %%
# Same data, same parameters
# --------------------------
import time
import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier as SklearnMLP

from skdl import MLPClassifier
from skdl.datasets import load_digit_sheet
from skdl.plotting import plot_image_grid

X, y = load_digit_sheet(return_X_y=True)
X = X / 255.0
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.25, stratify=y, random_state=0
)
params = {
    "hidden_layer_sizes": (128,),
    "learning_rate_init": 0.003,
    "max_iter": 20,
    "random_state": 0,
}
results = {}
for name, estimator in [("scikit-learn", SklearnMLP), ("skdl", MLPClassifier)]:
    seconds = []
    for _ in range(3):  # the median of 3 fits; the first pays one-off start-up
        model = estimator(**params)
        start = time.perf_counter()
        with warnings.catch_warnings():
            # both run exactly max_iter epochs, and both warn that they stopped
            warnings.simplefilter("ignore", ConvergenceWarning)
            model.fit(X_train, y_train)
        seconds.append(time.perf_counter() - start)
    results[name] = (model, np.median(seconds), model.score(X_test, y_test))
    print(
        f"{name:>12}: test accuracy {results[name][2]:.3f}, "
        f"fit {results[name][1]:.2f} s (median of 3)"
    )

# %%
# Accuracy and time side by side
# ------------------------------
# Both minimise the same loss with Adam from the same kind of initialisation
# (Glorot uniform), so they reach similar accuracy; the random streams differ,
# so the numbers are not identical.
fig, (acc_ax, time_ax) = plt.subplots(1, 2, figsize=(8, 3))
names = list(results)
acc_ax.barh(names, [results[n][2] for n in names], color=["C0", "C1"])
acc_ax.set_xlim(0.8, 1.0)
acc_ax.set_xlabel("test accuracy")
time_ax.barh(names, [results[n][1] for n in names], color=["C0", "C1"])
time_ax.set_xlabel("fit time (s)")
fig.tight_layout()

# %%
# The training curves
# -------------------
# Both record the loss per epoch in ``loss_curve_``; skdl's ``history_`` holds
# more (per-epoch durations, validation scores with ``early_stopping``).
fig, ax = plt.subplots(figsize=(5, 3.5))
for name in names:
    ax.plot(
        np.arange(1, params["max_iter"] + 1), results[name][0].loss_curve_, label=name
    )
ax.set_xlabel("epoch")
ax.set_ylabel("training loss")
ax.legend()
fig.tight_layout()

# %%
# What skdl gets wrong
# --------------------
# The misclassified test digits, titled "true -> predicted".
model = results["skdl"][0]
predicted = model.predict(X_test)
wrong = np.flatnonzero(predicted != y_test)[:24]
labels = [f"{t} -> {p}" for t, p in zip(y_test[wrong], predicted[wrong], strict=True)]
plot_image_grid(X_test[wrong], labels, image_shape=(20, 20), n_cols=8)
plt.show()
