"""
====================================================
Hopfield networks: capacity, and recalling digits
====================================================

A Hopfield network stores binary patterns in the couplings between its units
and recalls one from a corrupted copy: every unit takes the sign of its local
field until nothing changes. This example, with :class:`skdl.HopfieldNetwork`,

1. measures how many random patterns each storage rule holds, against the
   textbook capacity of Hebb's rule, about 0.138 N for N units;
2. stores real, correlated patterns (binarized handwritten digits), where the
   classic network fails long before that, and recalls them with the modern
   dense network (Ramsauer et al., 2020).
"""

# %%
# Capacity on random patterns
# ---------------------------
# Patterns of 200 units, each unit +1 or -1 at random. Each stored pattern is
# corrupted by flipping 10% of its units, and counts as recalled when the
# network returns it exactly. Storing beyond a rule's capacity warns; the
# warning is silenced here, since the plot is about exactly that.
import warnings

import matplotlib.pyplot as plt
import numpy as np

from skdl import HopfieldNetwork
from skdl.datasets import load_digit_sheet


def flip(patterns, share, seed=1):
    """Copies of ``patterns`` with ``share`` of each row's units flipped."""
    rng = np.random.RandomState(seed)
    noisy = patterns.copy()
    for row in noisy:
        row[rng.choice(len(row), round(share * len(row)), replace=False)] *= -1
    return noisy


def recall_rate(memory, patterns, share):
    recalled = memory.fit(patterns).predict(flip(patterns, share))
    return np.mean((recalled == patterns).all(axis=1))


n_units = 200
loads = np.array([0.02, 0.05, 0.08, 0.1, 0.12, 0.138, 0.16, 0.2, 0.3, 0.4, 0.5])
rules = ["hebbian", "storkey", "pseudoinverse"]
rates = {rule: [] for rule in rules}
with warnings.catch_warnings():
    warnings.simplefilter("ignore", UserWarning)
    for load in loads:
        n_patterns = round(load * n_units)
        patterns = np.random.RandomState(n_patterns).choice(
            [-1, 1], size=(n_patterns, n_units)
        )
        for rule in rules:
            memory = HopfieldNetwork(rule, random_state=0)
            rates[rule].append(recall_rate(memory, patterns, 0.1))

fig, ax = plt.subplots(figsize=(6.4, 3.4))
for rule in rules:
    ax.plot(loads, rates[rule], marker="o", label=rule)
ax.axvline(0.138, color="gray", linestyle="--", label="0.138 N (Hebb, theory)")
ax.set_xlabel("stored patterns / units")
ax.set_ylabel("share recalled exactly")
ax.set_title("200 random units, 10% of each pattern flipped")
ax.legend()
plt.tight_layout()
plt.show()

# %%
# Hebb's rule recalls every pattern up to a tenth of the units, about half
# of them from 0.12 N to 0.16 N, and almost none from 0.2 N: the textbook
# 0.138 N is where it breaks down. Storkey's rule, which subtracts the
# crosstalk of the patterns stored before, recalls nearly all up to 0.3 N.
# The pseudoinverse rule keeps every pattern a fixed point up to N, but its
# basins of attraction shrink as the load grows: recall from 10% noise holds
# up to 0.4 N and halves by 0.5 N.
#
# Real patterns: digits
# ---------------------
# The 5000 handwritten digits that skdl ships (20 x 20 pixels) binarized: ink
# +1, background -1. Digits are far from random: most pixels are background in
# all of them, and two 1s share most of their ink. 20% of each digit's pixels
# are flipped before recall.
X, _ = load_digit_sheet(return_X_y=True)
digits = np.where(X > 127, 1, -1)
counts = [2, 5, 10, 20, 50, 100, 200]
models = {
    "hebbian": lambda: HopfieldNetwork("hebbian", random_state=0),
    "pseudoinverse": lambda: HopfieldNetwork("pseudoinverse", random_state=0),
    "dense (beta=1)": lambda: HopfieldNetwork(kind="dense"),
}
digit_rates = {name: [] for name in models}
with warnings.catch_warnings():
    warnings.simplefilter("ignore", UserWarning)
    for n_patterns in counts:
        stored = digits[
            np.random.RandomState(0).choice(len(digits), n_patterns, replace=False)
        ]
        for name, make in models.items():
            digit_rates[name].append(recall_rate(make(), stored, 0.2))
for name, values in digit_rates.items():
    print(f"{name:15}" + " ".join(f"{v:.2f}" for v in values))

fig, ax = plt.subplots(figsize=(6.4, 3.4))
for name, values in digit_rates.items():
    ax.plot(counts, values, marker="o", label=name)
ax.set_xscale("log")
ax.set_xlabel("stored digits (400 units)")
ax.set_ylabel("share recalled exactly")
ax.set_title("binarized digits, 20% of each flipped")
ax.legend()
plt.tight_layout()
plt.show()

# %%
# With Hebb's rule even 5 digits are too many: the shared background makes
# every pattern pull toward every other, and recall ends in a blend. The
# pseudoinverse rule, which does not assume random patterns, keeps up to
# about 50. The dense network stores the digits themselves and moves a state
# to a softmax-weighted mean of them, ``xi <- X^T softmax(beta X xi)``; its
# capacity grows exponentially with the number of units, and it recalls all
# 200 digits.
#
# What the networks return
# ------------------------
# Ten stored digits, one of each class, corrupted and recalled.
stored = digits[np.arange(0, 5000, 500)]
noisy = flip(stored, 0.2)
rows = {
    "corrupted": noisy,
    "hebbian": HopfieldNetwork(random_state=0).fit(stored).predict(noisy),
    "dense": HopfieldNetwork(kind="dense").fit(stored).predict(noisy),
}
fig, axes = plt.subplots(3, 10, figsize=(6.4, 2.3))
for axes_row, (name, images) in zip(axes, rows.items(), strict=True):
    axes_row[0].set_ylabel(name, rotation=0, ha="right", va="center")
    for ax, image in zip(axes_row, images, strict=True):
        ax.imshow(image.reshape(20, 20), cmap="gray_r")
        ax.set_xticks([])
        ax.set_yticks([])
plt.tight_layout()
plt.show()

# %%
# Hebb's rule turns every corrupted digit into one spurious blend of the ten;
# the dense network returns each digit as it was stored.
