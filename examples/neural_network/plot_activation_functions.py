"""
=============================================
Activation functions and vanishing gradients
=============================================

The ``activation`` parameter of skdl's multi-layer perceptrons picks the
non-linearity after each hidden layer. This example draws the functions and
their derivatives, then trains the same deep, narrow
:class:`skdl.MLPClassifier` on the digits with each of them to show what the
derivatives mean in practice.
"""

# %%
# The functions and their slopes
# ------------------------------
# :data:`skdl.modules.ACTIVATIONS` maps each name to its PyTorch module; autograd
# gives the derivative. The logistic function's slope is at most 0.25 and
# tanh's at most 1, and both vanish for large inputs; the ReLU family keeps a
# slope of 1 for positive inputs.
import warnings

import matplotlib.pyplot as plt
import torch
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import MinMaxScaler

from skdl import MLPClassifier
from skdl.modules import ACTIVATIONS

names = ["logistic", "tanh", "relu", "leaky_relu", "elu", "gelu"]
z = torch.linspace(-4, 4, 401, requires_grad=True)
fig, (left, right) = plt.subplots(1, 2, figsize=(9, 3.5))
for name in names:
    out = ACTIVATIONS[name]()(z)
    (slope,) = torch.autograd.grad(out.sum(), z)
    left.plot(z.detach(), out.detach(), label=name)
    right.plot(z.detach(), slope, label=name)
left.set_title("activation f(z)")
right.set_title("derivative f'(z)")
for ax in (left, right):
    ax.set_xlabel("z")
    ax.grid(alpha=0.3)
left.legend(fontsize=8)
fig.tight_layout()

# %%
# A deep, narrow network
# ----------------------
# Backpropagation multiplies one derivative per layer, so with eight hidden
# layers the gradient that reaches the first layers shrinks by up to
# :math:`0.25^8` with the logistic function. Every network here has the same
# architecture, optimizer, seed and number of epochs; only the activation
# differs.
X, y = load_digits(return_X_y=True)
X = MinMaxScaler().fit_transform(X)
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.3, stratify=y, random_state=0
)
fig, ax = plt.subplots(figsize=(6, 4))
for name in names:
    model = MLPClassifier(
        hidden_layer_sizes=(32,) * 8,
        activation=name,
        learning_rate_init=0.003,
        max_iter=30,
        random_state=0,
    )
    with warnings.catch_warnings():
        # 30 epochs for every activation: most networks are still learning then
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X_train, y_train)
    accuracy = model.score(X_test, y_test)
    print(f"{name:>10}: test accuracy {accuracy:.3f}")
    epochs = range(1, len(model.loss_curve_) + 1)
    ax.plot(epochs, model.loss_curve_, label=f"{name} ({accuracy:.2f})")
ax.set_xlabel("epoch")
ax.set_ylabel("training loss")
ax.set_yscale("log")
ax.set_title("8 hidden layers of 32 units (test accuracy)")
ax.legend(fontsize=8)
fig.tight_layout()

# %%
# The logistic network's loss hardly moves (training stops early, as the loss
# has stopped improving by ``tol``) and it stays at chance level, one digit in
# ten: its first layers receive almost no gradient. tanh, centred on
# zero with a slope of up to 1, and the ReLU family all learn in the same 30
# epochs. ``batch_norm=True`` normalises each layer's inputs, keeping them where
# the logistic slope is largest, and rescues the logistic network:
model = MLPClassifier(
    hidden_layer_sizes=(32,) * 8,
    activation="logistic",
    batch_norm=True,
    learning_rate_init=0.003,
    max_iter=30,
    random_state=0,
)
with warnings.catch_warnings():
    warnings.simplefilter("ignore", ConvergenceWarning)  # the same 30 epochs
    model.fit(X_train, y_train)
print(f"logistic with batch_norm: test accuracy {model.score(X_test, y_test):.3f}")
plt.show()
