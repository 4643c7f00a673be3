"""
==================================================
A Boltzmann machine learns bars and stripes
==================================================

The general Boltzmann machine couples every pair of units, visible and hidden.
The restricted machine (RBM) drops the couplings within each layer, which makes
it far cheaper to train, and replaced it. This example trains
:class:`skdl.BoltzmannMachine` on a small known distribution, *bars and
stripes*: 3 x 3 images that are all vertical bars or all horizontal stripes
(14 patterns, equally likely), and

1. follows the exact log-likelihood of the data during training, next to an
   RBM with the same 4 hidden units (:class:`skdl.RBMTransformer`);
2. draws samples from the trained machine and counts the patterns among them;
3. times both machines on the digits.
"""

# %%
# Data
# ----
import itertools
import time

import matplotlib.pyplot as plt
import numpy as np
from scipy.special import logsumexp
from sklearn.datasets import load_digits

from skdl import BoltzmannMachine, RBMTransformer

rows = []
for bits in itertools.product([0, 1], repeat=3):
    image = np.repeat(np.array(bits)[:, None], 3, axis=1)
    rows += [image.ravel(), image.T.ravel()]
patterns = np.unique(np.array(rows, dtype=float), axis=0)
X = np.tile(patterns, (30, 1))  # 420 rows, each pattern 30 times
print(
    f"{len(patterns)} patterns; the best log-likelihood is log(1/14) = "
    f"{np.log(1 / 14):.2f}"
)

# %%
# Training, followed by the exact likelihood
# ------------------------------------------
# With 9 visible and 4 hidden units there are 2 ** 13 joint states, so the
# likelihood can be computed exactly by summing over all of them
# (:meth:`~skdl.BoltzmannMachine.log_likelihood`; for the RBM, its free energy
# summed over the 512 visible states). ``partial_fit`` trains one epoch at a
# time. The machine: persistent Gibbs chains and mean-field hidden units, SGD
# at 0.01 with momentum. The RBM: persistent contrastive divergence with
# sampled visible units (a true Gibbs chain), learning rate 0.05.
visible_states = np.array(list(itertools.product([0, 1], repeat=9)), dtype=float)


def rbm_log_likelihood(rbm):
    def free_energy(V):
        hidden = V @ rbm.components_.T + rbm.intercept_hidden_
        return -(V @ rbm.intercept_visible_) - np.logaddexp(0, hidden).sum(axis=1)

    log_z = logsumexp(-free_energy(visible_states))
    return float(np.mean(-free_energy(patterns) - log_z))


machine = BoltzmannMachine(4, random_state=0)
rbm = RBMTransformer(4, learning_rate=0.05, sample_visible=True, random_state=0)
curves = {"Boltzmann machine": [], "RBM": []}
epochs = np.arange(1, 301)
for epoch in epochs:
    machine.partial_fit(X)
    rbm.partial_fit(X)
    if epoch % 10 == 0:
        curves["Boltzmann machine"].append(machine.log_likelihood(patterns).mean())
        curves["RBM"].append(rbm_log_likelihood(rbm))

fig, ax = plt.subplots(figsize=(6.4, 3.4))
for name, curve in curves.items():
    ax.plot(epochs[9::10], curve, label=name)
ax.axhline(np.log(1 / 14), color="gray", linestyle="--", label="best possible")
ax.set_xlabel("epoch")
ax.set_ylabel("exact log-likelihood per pattern")
ax.legend()
plt.tight_layout()
plt.show()
for name, curve in curves.items():
    print(f"{name:18} after 300 epochs: {curve[-1]:.2f}")

# %%
# With the same hidden units, the couplings between visible pixels let the
# machine model the bars and stripes much better: a pixel's neighbours in its
# row or column predict it, which an RBM must route through its few hidden
# units.
#
# Samples
# -------
# :meth:`~skdl.BoltzmannMachine.sample` runs independent Gibbs chains from
# random states, visiting the units one at a time. Of 1000 samples, how many
# are bars or stripes, and how often each pattern comes up:
samples = machine.sample(1000, n_sweeps=100)
hits = (samples[:, None, :] == patterns[None]).all(axis=2)
print(
    f"{hits.any(axis=1).mean():.0%} of the samples are patterns "
    f"(by chance: {14 / 512:.1%})"
)
print("samples of each pattern:", hits.sum(axis=0))

fig, axes = plt.subplots(3, 8, figsize=(6.4, 2.6))
for ax, image in zip(axes.ravel(), samples, strict=False):
    ax.imshow(image.reshape(3, 3), cmap="gray_r", vmin=0, vmax=1)
    ax.set_xticks([])
    ax.set_yticks([])
fig.suptitle("24 samples of the trained machine")
plt.show()

# %%
# Every pattern appears, with frequencies that follow the machine's own
# probabilities; the rest are near misses, a pixel or two off.
#
# Why the RBM won
# ---------------
# Gibbs sampling of a general machine must visit the units one after the other
# (each depends on its neighbours in the same layer), and the hidden units
# given the data need an iterative mean-field approximation. In an RBM both
# are one matrix product per layer. On the 64-pixel digits with 64 hidden
# units, 5 epochs each:
digits = load_digits().data / 16
for model in (
    BoltzmannMachine(64, batch_size=100, max_iter=5, random_state=0),
    RBMTransformer(64, learning_rate=0.06, n_iter=5, random_state=0),
):
    begin = time.perf_counter()
    model.fit(digits)
    seconds = time.perf_counter() - begin
    print(f"{type(model).__name__:18} {seconds / 5:.3f} s per epoch")

# %%
# The RBM's epoch is many times cheaper (``benchmarks/bench_boltzmann.py``
# measures the ratio and compares the features), and stacking RBMs into deep
# belief networks recovers much of what the missing couplings give up. That
# trade is why the restricted machine replaced the general one.
