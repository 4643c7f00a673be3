"""
=================================================
Learning curves and errors of an MLP on digits
=================================================

skdl's MLPs, CNN, LSTMs and :class:`skdl.LVQClassifier` record their
training in ``history_``: one row per epoch with the training loss and, when
``early_stopping=True`` holds out a validation set, the validation loss and
score. :func:`skdl.plotting.plot_history` draws them. This example trains
:class:`skdl.MLPClassifier` on the 8x8 handwritten digits, looks at its
learning curves, and shows which digits it confuses.
"""

# %%
# Train with a held-out validation set
# ------------------------------------
# ``early_stopping=True`` keeps 10% of the training data aside (stratified),
# scores it after every epoch, stops when the score has not improved for
# ``n_iter_no_change`` epochs and restores the weights of the best epoch.
import matplotlib.pyplot as plt
from sklearn.datasets import load_digits
from sklearn.metrics import ConfusionMatrixDisplay
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler

from skdl import MLPClassifier
from skdl.plotting import plot_history

X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.3, stratify=y, random_state=0
)
model = make_pipeline(
    MinMaxScaler(),
    MLPClassifier(
        hidden_layer_sizes=(128,),
        dropout=0.2,
        learning_rate_init=0.003,
        early_stopping=True,
        n_iter_no_change=10,
        max_iter=200,
        random_state=0,
    ),
)
model.fit(X_train, y_train)
mlp = model[-1]
print(
    f"epochs run: {mlp.n_iter_}, best validation accuracy: "
    f"{mlp.best_validation_score_:.3f}, test accuracy: "
    f"{model.score(X_test, y_test):.3f}"
)

# %%
# The curves
# ----------
# The training loss keeps falling while the validation loss flattens: from
# there on, the network fits the training set better without getting better on
# new data. The marked epoch is the one whose weights the model keeps.
axes = plot_history(model)
axes[0].set_yscale("log")
plt.tight_layout()

# %%
# The raw numbers are in ``history_`` (skorch's ``History``), one dict per
# epoch, and the sklearn-style summaries in ``loss_curve_`` and
# ``validation_scores_``.
print(mlp.history_[-1, ("epoch", "train_loss", "valid_loss", "valid_score")])

# %%
# Which digits are confused?
# --------------------------
# The confusion matrix on the test set counts, for each true digit (rows), the
# predicted digits (columns); everything off the diagonal is an error.
ConfusionMatrixDisplay.from_estimator(model, X_test, y_test, colorbar=False)
plt.title("MLPClassifier on the test digits")
plt.show()
