"""
==========================================
Regression with an MLP: how many units?
==========================================

An MLP with one hidden layer can approximate any continuous function on a
bounded interval, given enough hidden units (the universal approximation
theorem). This example fits :class:`skdl.MLPRegressor` with 1 to 50 tanh units
to a noisy sine wave and draws the fitted curves: each unit contributes one
smooth step, so a few units give a coarse curve and more units follow every
bend.
"""

# %%
# Data: a noisy sine on [-3, 3]
# -----------------------------
import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.exceptions import ConvergenceWarning

from skdl import MLPRegressor

rng = np.random.RandomState(0)
x = np.sort(rng.uniform(-3, 3, size=300))[:, None]
y = np.sin(2 * x[:, 0]) + 0.1 * rng.normal(size=len(x))
grid = np.linspace(-3, 3, 500)[:, None]

# %%
# Fits with more and more hidden units
# ------------------------------------
# ``solver='lbfgs'`` suits a small data set: full-batch quasi-Newton steps
# meet the stopping rule within a few hundred iterations. The 4-unit fit does
# not: it runs all 500 (its R² is the same after 2000), so we silence the
# ConvergenceWarning that says so.
fig, ax = plt.subplots(figsize=(7, 4))
ax.scatter(x[:, 0], y, s=6, color="0.6", label="data")
for units in [1, 2, 4, 50]:
    model = MLPRegressor(
        hidden_layer_sizes=(units,),
        activation="tanh",
        solver="lbfgs",
        max_iter=500,
        random_state=0,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(x, y)
    print(
        f"hidden units: {units:>2}, R^2 = {model.score(x, y):.3f}, "
        f"{model.n_iter_} iterations"
    )
    ax.plot(grid[:, 0], model.predict(grid), label=f"{units} unit{'s' * (units > 1)}")
ax.plot(grid[:, 0], np.sin(2 * grid[:, 0]), "k--", lw=1, label="sin(2x)")
ax.set_xlabel("x")
ax.set_ylabel("y")
ax.legend(fontsize=8, ncol=3)
fig.tight_layout()

# %%
# The theorem promises that *some* width is enough, not that training finds
# the weights: in practice a moderately wide or deeper network trained with a
# good optimizer is the reliable choice.
plt.show()
