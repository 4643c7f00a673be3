"""MLP training and prediction: skdl vs scikit-learn vs skorch vs a hand-written loop.

Same network everywhere: one hidden layer of 100 ReLU units, Adam (lr 1e-3), batch
200, 20 epochs, no early stopping, on

- digits (standardized, 75/25 split), and
- make_classification(50000, 100, n_informative=30, n_classes=5), 75/25 split.

The inputs are float32 by default (``--dtype float32``); ``--dtype float64``
gives them as scikit-learn's loaders and ``StandardScaler`` return them;
``--dtype both`` runs the two. scikit-learn and skdl (``precision='auto'``)
compute in the inputs' dtype; the hand loops and skorch in float32, and in the
float64 section also the fused hand loop in float64.

Prints the median of ``--repeats`` fits of each (of 25 calls of ``predict_proba`` on
12,500 rows; of 5 runs of 100 one-row calls), and ratios taken in the same run.
With ``--levers``, also skdl with each of its speed levers undone in turn:
autograd in place of the MLP's written-out gradients, torch's own Adam
(profiler range and compiler guards around each step), torch's fused Adam step
in place of skdl's direct call of its kernel, ``zero_grad()`` instead of
clearing the gradients directly, Adam without its fused kernel, and two threads
instead of one for small steps.
Run: ``python benchmarks/bench_mlp.py [--levers] [--dtype float32|float64|both]``
(two to four minutes per dtype on 2 cores).
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
import torch
from sklearn.datasets import load_digits, make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier as SklearnMLP
from sklearn.preprocessing import StandardScaler
from torch import nn

from skdl import MLPClassifier

EPOCHS, BATCH, HIDDEN, LR = 20, 200, 100, 1e-3


def datasets(dtype=np.float32):
    X, y = load_digits(return_X_y=True)
    X_big, y_big = make_classification(
        50000, 100, n_informative=30, n_classes=5, random_state=0
    )
    for name, (X_, y_) in {"digits": (X, y), "classif50k": (X_big, y_big)}.items():
        X_train, X_test, y_train, y_test = train_test_split(
            X_, y_, test_size=0.25, random_state=0
        )
        scaler = StandardScaler().fit(X_train)
        yield (
            name,
            scaler.transform(X_train).astype(dtype),
            scaler.transform(X_test).astype(dtype),
            y_train,
            y_test,
        )


class HandLoop:
    """The minimal PyTorch loop a user would write (tensors made once, slicing),
    in float32 unless ``dtype`` says otherwise."""

    def __init__(self, fused: bool, dtype=torch.float32):
        self.fused = fused
        self.dtype = dtype

    def fit(self, X, y):
        torch.manual_seed(0)
        X, y = torch.from_numpy(X).to(self.dtype), torch.from_numpy(y)
        n_classes = int(y.max()) + 1
        self.model = nn.Sequential(
            nn.Linear(X.shape[1], HIDDEN), nn.ReLU(), nn.Linear(HIDDEN, n_classes)
        ).to(self.dtype)
        options = {"fused": True} if self.fused else {}
        optimizer = torch.optim.Adam(self.model.parameters(), lr=LR, **options)
        loss_fn = nn.CrossEntropyLoss()
        generator = torch.Generator().manual_seed(0)
        for _ in range(EPOCHS):
            order = torch.randperm(len(X), generator=generator)
            for start in range(0, len(X), BATCH):
                index = order[start : start + BATCH]
                optimizer.zero_grad()
                loss = loss_fn(self.model(X[index]), y[index])
                loss.backward()
                optimizer.step()
        return self

    def predict_proba(self, X):
        with torch.inference_mode():
            scores = self.model(torch.from_numpy(X).to(self.dtype))
            return torch.softmax(scores, dim=1).numpy()


def skorch_default():
    from skorch import NeuralNetClassifier

    class Module(nn.Module):
        def __init__(self, n_features=64, n_classes=10):
            super().__init__()
            self.layers = nn.Sequential(
                nn.Linear(n_features, HIDDEN), nn.ReLU(), nn.Linear(HIDDEN, n_classes)
            )

        def forward(self, X):
            return self.layers(X)

    class Wrapped:
        def fit(self, X, y):
            self.net = NeuralNetClassifier(
                Module,
                module__n_features=X.shape[1],
                module__n_classes=int(y.max()) + 1,
                criterion=nn.CrossEntropyLoss,
                optimizer=torch.optim.Adam,
                lr=LR,
                max_epochs=EPOCHS,
                batch_size=BATCH,
                train_split=None,
                verbose=0,
            )
            self.net.fit(X.astype(np.float32), y.astype(np.int64))
            return self

        def predict_proba(self, X):
            return self.net.predict_proba(X.astype(np.float32))

    return Wrapped()


COMMON = {
    "hidden_layer_sizes": (HIDDEN,),
    "learning_rate_init": LR,
    "batch_size": BATCH,
    "max_iter": EPOCHS,
    "tol": 0.0,
    "n_iter_no_change": EPOCHS + 1,
    "random_state": 0,
}


def contenders(dtype):
    runs = {
        "skdl": lambda: MLPClassifier(**COMMON),
        "sklearn": lambda: SklearnMLP(**COMMON),
        "skorch": skorch_default,
        "hand loop": lambda: HandLoop(fused=False),
        "hand loop (fused Adam)": lambda: HandLoop(fused=True),
    }
    if dtype == np.float64:  # the fastest loop in the arithmetic of the others
        runs["hand loop (fused, f64)"] = lambda: HandLoop(True, torch.float64)
    return runs


class Undone:
    """skdl with one of its speed levers undone, to measure what the lever buys."""

    def __init__(self, lever):
        self.lever = lever

    def _patch(self):
        import contextlib
        from unittest import mock

        import skdl._net
        import skdl.base

        if self.lever == "torch's Adam":  # profiler range and compiler guards
            solvers = {**skdl.base._SOLVERS, "adam": torch.optim.Adam}
            return mock.patch.object(skdl.base, "_SOLVERS", solvers)
        if self.lever == "torch's fused step":  # tensors sorted by device and type
            import skdl._optim

            torch_step = skdl._optim._Eager._bare_step
            return mock.patch.object(skdl._optim.Adam, "_bare_step", torch_step)
        if self.lever == "zero_grad()":
            clear = lambda optimizer: optimizer.zero_grad(set_to_none=True)  # noqa: E731
            return mock.patch.object(skdl._net, "_clear_grads", clear)
        if self.lever == "autograd":  # in place of the written-out gradients
            return mock.patch.object(
                skdl._net.SkdlNet, "_writes_gradients", lambda *args: False
            )
        if self.lever == "unfused Adam":
            make = lambda cls, groups, kwargs: cls(groups, **kwargs)  # noqa: E731
            return mock.patch.object(skdl._net, "make_optimizer", make)
        return contextlib.nullcontext()  # "two threads": a parameter

    def fit(self, X, y):
        threads = {"n_threads": 2} if self.lever == "two threads" else {}
        with self._patch():
            self.model = MLPClassifier(**COMMON, **threads).fit(X, y)
        return self

    def predict_proba(self, X):
        with self._patch():
            return self.model.predict_proba(X)


LEVERS = (
    "autograd",
    "torch's Adam",
    "torch's fused step",
    "zero_grad()",
    "unfused Adam",
    "two threads",
)


def median_time(fn, repeats):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument(
        "--levers",
        action="store_true",
        help="also run skdl with each of its speed levers undone, one at a time",
    )
    parser.add_argument(
        "--dtype",
        choices=["float32", "float64", "both"],
        default="float32",
        help="the dtype of the inputs (scikit-learn computes in it)",
    )
    args = parser.parse_args()
    warnings.simplefilter("ignore", ConvergenceWarning)
    # warm up: the first torch optimizer of a process imports torch._dynamo (~1.5 s)
    HandLoop(fused=False).fit(np.zeros((4, 3), np.float32), np.array([0, 1, 0, 1]))
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads\n")
    dtypes = ["float32", "float64"] if args.dtype == "both" else [args.dtype]
    for name, X_train, X_test, y_train, y_test in (
        data for dtype in dtypes for data in datasets(np.dtype(dtype))
    ):
        print(
            f"== {name}: {X_train.shape[0]} x {X_train.shape[1]} {X_train.dtype}, "
            f"{EPOCHS} epochs"
        )
        X_predict = np.resize(X_test, (12500, X_test.shape[1]))
        one_row = X_test[:1]
        results = {}
        runs = contenders(X_train.dtype)
        if args.levers:
            for lever in LEVERS:
                runs[f"skdl, {lever}"] = lambda lever=lever: Undone(lever)
        for label, make in runs.items():
            fitted = make().fit(X_train, y_train)
            fit_s = median_time(
                lambda make=make, X=X_train, y=y_train: make().fit(X, y), args.repeats
            )
            accuracy = float(
                np.mean(fitted.predict_proba(X_test).argmax(axis=1) == y_test)
            )
            predict_s = median_time(
                lambda fitted=fitted, X=X_predict: fitted.predict_proba(X), 25
            )
            single_s = (
                median_time(
                    lambda fitted=fitted, row=one_row: [
                        fitted.predict_proba(row) for _ in range(100)
                    ],
                    5,
                )
                / 100
            )
            results[label] = (fit_s, accuracy, predict_s, single_s)
        base_fit, _, base_predict, base_single = results["sklearn"]
        hand_fit = results["hand loop"][0]
        print(
            f"{'':24}{'fit s':>8}{'/sklearn':>9}{'/hand':>7}{'acc':>7}"
            f"{'proba 12.5k ms':>16}{'/sklearn':>9}{'1-row us':>10}{'/sklearn':>9}"
        )
        for label, (fit_s, acc, predict_s, single_s) in results.items():
            print(
                f"{label:24}{fit_s:8.3f}{fit_s / base_fit:9.2f}{fit_s / hand_fit:7.2f}"
                f"{acc:7.3f}{predict_s * 1e3:16.1f}{predict_s / base_predict:9.2f}"
                f"{single_s * 1e6:10.0f}{single_s / base_single:9.2f}"
            )
        print()


if __name__ == "__main__":
    main()
