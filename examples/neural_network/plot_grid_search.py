"""
=====================================================
Tuning an MLP with GridSearchCV: a heat map of scores
=====================================================

skdl estimators are ordinary scikit-learn estimators, so
:class:`~sklearn.model_selection.GridSearchCV` clones, fits and scores them like
any other. Here it searches the L2 penalty ``alpha`` and the width of the hidden
layer of :class:`skdl.MLPClassifier` on the digits, and the cross-validated
accuracy of every pair is drawn as a heat map.
"""

# %%
# The search
# ----------
# Parameters of a step in a pipeline are addressed as ``<step>__<parameter>``.
# A fixed ``random_state`` makes every candidate start from the same kind of
# initialisation, so the differences come from the parameters. ``max_iter`` is
# kept small so that the search runs in seconds; the networks are not fully
# converged, which is fine for comparing candidates.
import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler

from skdl import MLPClassifier

X, y = load_digits(return_X_y=True)
pipeline = make_pipeline(
    MinMaxScaler(),
    MLPClassifier(learning_rate_init=0.01, max_iter=15, random_state=0),
)
alphas = [1e-2, 1.0, 10.0, 30.0, 100.0]
widths = [4, 16, 64]
param_grid = {
    "mlpclassifier__alpha": alphas,
    "mlpclassifier__hidden_layer_sizes": [(width,) for width in widths],
}
search = GridSearchCV(pipeline, param_grid, cv=3)
with warnings.catch_warnings():
    warnings.simplefilter("ignore", ConvergenceWarning)
    search.fit(X, y)
print("best parameters:", search.best_params_)
print(f"best cross-validated accuracy: {search.best_score_:.3f}")

# %%
# The heat map
# ------------
# ``cv_results_`` lists the candidates in the order of ``ParameterGrid``: the
# parameter names sorted, the last one varying fastest, so the mean scores
# reshape into a table with one row per ``alpha`` and one column per width.
# Four hidden units are too few for ten digits whatever the penalty. The
# penalty is scaled as in scikit-learn (``alpha / 2`` times the squared
# weights, divided by the batch size), so small values hardly matter; from
# ``alpha=10`` on it
# shrinks the weights enough to cost accuracy, and at ``alpha=100`` every
# network is flattened to chance level (0.1).
scores = search.cv_results_["mean_test_score"].reshape(len(alphas), len(widths))
fig, ax = plt.subplots(figsize=(5, 4))
image = ax.imshow(scores, cmap="viridis")
ax.set_xticks(range(len(widths)), labels=[str(w) for w in widths])
ax.set_yticks(range(len(alphas)), labels=[f"{a:g}" for a in alphas])
ax.set_xlabel("hidden units")
ax.set_ylabel("alpha (L2 penalty)")
for (row, col), score in np.ndenumerate(scores):
    color = "black" if score > scores.mean() else "white"
    ax.text(col, row, f"{score:.3f}", ha="center", va="center", color=color)
fig.colorbar(image, ax=ax, label="mean CV accuracy")
ax.set_title("GridSearchCV over MLPClassifier")
plt.tight_layout()
plt.show()
