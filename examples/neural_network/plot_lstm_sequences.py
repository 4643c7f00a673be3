"""
=======================================
Recurrent networks on numeric sequences
=======================================

:class:`skdl.LSTMClassifier` and :class:`skdl.LSTMRegressor` take arrays shaped
``(n_samples, n_timesteps, n_features)``, Keras' ``(batch, timesteps,
input_dim)``. This example

1. classifies the digits read as sequences: each 8x8 image is 8 time steps of
   8 pixels, read top row first, so the network sees a digit one row at a time;
2. forecasts a noisy seasonal series from its last 24 values, next to the
   naive forecast "same as one season ago".
"""

# %%
# Digits, one row per time step
# -----------------------------
import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.metrics import mean_absolute_error
from sklearn.model_selection import train_test_split

from skdl import LSTMClassifier, LSTMRegressor

digits = load_digits()
X = (digits.images / 16).astype(np.float32)  # (1797, 8 time steps, 8 features)
X_train, X_test, y_train, y_test = train_test_split(
    X, digits.target, test_size=0.25, stratify=digits.target, random_state=0
)
reader = LSTMClassifier(
    hidden_size=64,
    learning_rate_init=0.01,
    max_iter=100,
    early_stopping=True,
    random_state=0,
).fit(X_train, y_train)
print(f"test accuracy reading row by row: {reader.score(X_test, y_test):.3f}")

fig, ax = plt.subplots(figsize=(5, 3))
ax.plot(reader.loss_curve_, label="training loss")
ax.plot(reader.validation_scores_, label="validation accuracy")
ax.set_xlabel("epoch")
ax.legend()
fig.tight_layout()

# %%
# Forecasting a seasonal series
# -----------------------------
# A daily-looking series with a 12-step season, a slow trend and noise. Each
# sample is a window of the last 24 values (one feature per step); the target
# is the next value.
rng = np.random.RandomState(0)
t = np.arange(1500)
series = np.sin(2 * np.pi * t / 12) + 0.001 * t + 0.2 * rng.normal(size=t.size)
window = 24
X_series = np.stack([series[i : i + window] for i in range(t.size - window)])
y_series = series[window:]
split = 1200
forecaster = LSTMRegressor(
    hidden_size=32, learning_rate_init=0.01, max_iter=100, random_state=0
).fit(X_series[:split, :, None], y_series[:split])
predicted = forecaster.predict(X_series[split:, :, None])
seasonal_naive = X_series[split:, -12]  # the value one season before the target
lstm_error = mean_absolute_error(y_series[split:], predicted)
naive_error = mean_absolute_error(y_series[split:], seasonal_naive)
print(f"mean absolute error: LSTM {lstm_error:.3f}, seasonal naive {naive_error:.3f}")

fig, ax = plt.subplots(figsize=(7, 3))
ax.plot(y_series[split : split + 96], label="series", color="black")
ax.plot(predicted[:96], label="LSTM forecast")
ax.set_xlabel("time step (test part)")
ax.legend()
fig.tight_layout()
plt.show()
