"""Where one training step of a small MLP spends its time, in PyTorch and in NumPy.

The step of ``bench_mlp.py``'s digits case: 200 rows of 64 float32 features, one
hidden layer of 100 ReLU units, 10 classes, cross-entropy, Adam; one thread for
torch (skdl's choice for steps this small). Each line is the median over 7 runs
of the mean time per call over 500 calls.

- torch's parts: the forward pass with autograd recording, the loss, the
  backward pass, and the fused Adam update;
- ``autograd step``: the whole step as skdl and the hand loops take it;
- ``written-out step (skdl's)``: the same step with the gradients written out
  (:func:`skdl.modules._backprop.backprop`, as scikit-learn writes its backward
  pass in NumPy), the step skdl's plain MLPs take;
- ``numpy step``: scikit-learn's own forward, backward and Adam update (its
  ``MLPClassifier._backprop`` and Adam optimizer) on the same arrays, with its
  BLAS on one thread and on every core (as ``bench_mlp.py`` runs it).

Run: ``python benchmarks/bench_mlp_step.py`` (about a minute).
"""

from __future__ import annotations

import time
import warnings

import numpy as np
import torch
import torch.nn.functional as F
from sklearn.neural_network import MLPClassifier as SklearnMLP
from threadpoolctl import threadpool_limits
from torch import nn

from skdl._optim import Adam
from skdl.modules._backprop import backprop

ROWS, FEATURES, HIDDEN, CLASSES = 200, 64, 100, 10


def per_call_us(fn, calls=500, repeats=7):
    for _ in range(50):
        fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(calls):
            fn()
        times.append((time.perf_counter() - start) / calls * 1e6)
    return float(np.median(times))


def torch_parts():
    torch.manual_seed(0)
    X = torch.randn(ROWS, FEATURES)
    y = torch.randint(0, CLASSES, (ROWS,))
    model = nn.Sequential(
        nn.Linear(FEATURES, HIDDEN), nn.ReLU(), nn.Linear(HIDDEN, CLASSES)
    )
    params = list(model.parameters())
    optimizer = Adam(params, lr=1e-3, fused=True)

    def clear():
        for p in params:
            p.grad = None

    def forward():
        return model(X)

    logits = forward().detach().requires_grad_()

    def loss_only():
        logits.grad = None
        F.cross_entropy(logits, y, reduction="sum").backward()

    def forward_loss_backward():
        clear()
        (F.cross_entropy(forward(), y, reduction="sum") / ROWS).backward()

    forward_loss_backward()

    def step():
        forward_loss_backward()
        optimizer.step()

    criterion = nn.CrossEntropyLoss()

    def written_out():
        clear()
        backprop(model, criterion, X, y, None)
        optimizer.step()

    # the written-out gradients are autograd's, to float32 rounding
    forward_loss_backward()
    expected = [p.grad.clone() for p in params]
    backprop(model, criterion, X, y, None)
    for p, want in zip(params, expected, strict=True):
        torch.testing.assert_close(p.grad, want, rtol=1e-5, atol=1e-6)

    return {
        "forward, recording for autograd": forward,
        "cross-entropy, forward and backward": loss_only,
        "forward + loss + backward": forward_loss_backward,
        "fused Adam update (skdl's)": optimizer.step,
        "autograd step": step,
        "written-out step (skdl's)": written_out,
    }


def numpy_step():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(ROWS, FEATURES)).astype(np.float32)
    y = np.arange(ROWS) % CLASSES
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = SklearnMLP((HIDDEN,), max_iter=1, batch_size=ROWS).fit(X, y)
    Y = model._label_binarizer.transform(y).astype(np.float32)
    sizes = [FEATURES, HIDDEN, CLASSES]
    activations = [X] + [np.empty((ROWS, n), np.float32) for n in sizes[1:]]
    deltas = [np.empty_like(a) for a in activations[1:]]
    coef_grads = [np.empty_like(c) for c in model.coefs_]
    intercept_grads = [np.empty_like(b) for b in model.intercepts_]
    params = model.coefs_ + model.intercepts_

    def step():
        _, coefs, intercepts = model._backprop(
            X, Y, None, activations, deltas, coef_grads, intercept_grads
        )
        model._optimizer.update_params(params, coefs + intercepts)

    return step


def main():
    torch.set_num_threads(1)
    rows = {name: per_call_us(fn) for name, fn in torch_parts().items()}
    step = numpy_step()
    with threadpool_limits(1, user_api="blas"):
        rows["numpy step (scikit-learn's), one thread"] = per_call_us(step)
    rows["numpy step (scikit-learn's), all cores"] = per_call_us(step)
    print(f"{ROWS} x {FEATURES} -> {HIDDEN} ReLU -> {CLASSES}, float32, us per call")
    for name, us in rows.items():
        print(f"{name:<40}{us:>8.0f}")


if __name__ == "__main__":
    main()
