"""CNN training and prediction: skdl vs skorch vs a hand-written PyTorch loop.

Same network and data everywhere: ``CNNModule`` with conv layers of 16 and 32 3x3
filters ('same' padding, ReLU, 2x2 max pooling), one dense layer of 64 units;
Adam (lr 1e-3), batch 64, 3 epochs, on MNIST t10k (first 8000 images to train,
last 2000 to test; ``../shared/data/mnist_t10k``, or ``--data``). Inputs are the
uint8 ``(n, 28, 28)`` images; every contender scales them to [0, 1] itself.

- ``skdl``: ``CNNClassifier`` (alpha=0, no stopping rule).
- ``skorch``: ``NeuralNetClassifier`` with its defaults (DataLoader batching).
- ``hand loop``: the minimal loop a user would write: tensors made once, slices of
  a per-epoch permutation, default Adam; ``hand loop CL`` the same with the model
  and images in channels-last memory format (as skdl does). ``/hand`` ratios are
  to the faster of the two.

On a CUDA device (when there is one) the three also run there, and skdl with
``precision='bfloat16'`` next to the hand loop with bfloat16 autocast and
channels-last tensors.

Prints the median of ``--repeats`` rounds (each contender in turn), training and
prediction images per second, and ratios taken in the same run.
Run: ``python benchmarks/bench_cnn.py`` (about 5 minutes on 2 CPU cores).
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import time
import warnings
from pathlib import Path

import numpy as np
import torch
from sklearn.exceptions import ConvergenceWarning
from torch import nn

from skdl import CNNClassifier
from skdl.modules import CNNModule

EPOCHS, BATCH, LR = 3, 64, 1e-3
ARCHITECTURE = {"conv_filters": (16, 32), "dense_layers": (64,)}
DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "mnist_t10k"


def load_mnist(folder: Path):
    def read(name, offset):
        with gzip.open(folder / name) as f:
            return np.frombuffer(f.read(), np.uint8, offset=offset)

    X = read("t10k-images-idx3-ubyte.gz", 16).reshape(-1, 28, 28)
    y = read("t10k-labels-idx1-ubyte.gz", 8).astype(np.int64)
    return X[:8000], X[8000:], y[:8000], y[8000:]


def new_module():
    return CNNModule((1, 28, 28), 10, **ARCHITECTURE)


def as_tensor(X, device, channels_last=False):
    X = torch.from_numpy(X[:, None].astype(np.float32) / 255).to(device)
    if channels_last:
        X = X.contiguous(memory_format=torch.channels_last)
    return X


class HandLoop:
    def __init__(self, device="cpu", channels_last=False, bfloat16=False):
        self.device = torch.device(device)
        self.channels_last = channels_last
        self.bfloat16 = bfloat16

    def autocast(self):
        if not self.bfloat16:
            return contextlib.nullcontext()
        return torch.autocast(self.device.type, dtype=torch.bfloat16)

    def fit(self, X, y):
        torch.manual_seed(0)
        X = as_tensor(X, self.device, self.channels_last)
        y = torch.from_numpy(y).to(self.device)
        self.model = new_module().to(self.device)
        if self.channels_last:
            self.model = self.model.to(memory_format=torch.channels_last)
        optimizer = torch.optim.Adam(self.model.parameters(), lr=LR)
        loss_fn = nn.CrossEntropyLoss()
        generator = torch.Generator().manual_seed(0)
        for _ in range(EPOCHS):
            order = torch.randperm(len(X), generator=generator).to(self.device)
            for start in range(0, len(X), BATCH):
                index = order[start : start + BATCH]
                optimizer.zero_grad()
                with self.autocast():
                    loss = loss_fn(self.model(X[index]), y[index])
                loss.backward()
                optimizer.step()
        return self

    def predict_proba(self, X):
        X = as_tensor(X, self.device, self.channels_last)
        self.model.eval()
        with torch.inference_mode(), self.autocast():
            out = [
                torch.softmax(self.model(X[i : i + 256]).float(), dim=1)
                for i in range(0, len(X), 256)
            ]
        return torch.cat(out).cpu().numpy()


class Skorch:
    def __init__(self, device="cpu"):
        self.device = device

    def fit(self, X, y):
        from skorch import NeuralNetClassifier

        torch.manual_seed(0)
        self.net = NeuralNetClassifier(
            CNNModule,
            module__input_shape=(1, 28, 28),
            module__n_outputs=10,
            **{f"module__{key}": value for key, value in ARCHITECTURE.items()},
            criterion=nn.CrossEntropyLoss,
            optimizer=torch.optim.Adam,
            lr=LR,
            max_epochs=EPOCHS,
            batch_size=BATCH,
            train_split=None,
            device=self.device,
            verbose=0,
        )
        self.net.fit(X[:, None].astype(np.float32) / 255, y)
        return self

    def predict_proba(self, X):
        return self.net.predict_proba(X[:, None].astype(np.float32) / 255)


def skdl_cnn(device="cpu", precision="float32"):
    return CNNClassifier(
        **ARCHITECTURE,
        batch_size=BATCH,
        learning_rate_init=LR,
        max_iter=EPOCHS,
        alpha=0.0,
        tol=0.0,
        n_iter_no_change=EPOCHS + 1,
        device=device,
        precision=precision,
        random_state=0,
    )


def contenders(device):
    found = {
        "skdl": lambda: skdl_cnn(device),
        "skorch": lambda: Skorch(device),
        "hand loop": lambda: HandLoop(device),
        "hand loop CL": lambda: HandLoop(device, channels_last=True),
    }
    if device != "cpu":
        found["skdl bfloat16"] = lambda: skdl_cnn(device, "bfloat16")
        found["hand loop bf16 CL"] = lambda: HandLoop(device, True, bfloat16=True)
    return found


def timed(fn, device):
    start = time.perf_counter()
    fn()
    if device != "cpu":
        torch.cuda.synchronize()
    return time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument(
        "--device",
        action="append",
        help="run on this device only (repeatable; default: the CPU and CUDA if any)",
    )
    args = parser.parse_args()
    warnings.simplefilter("ignore", ConvergenceWarning)
    X_train, X_test, y_train, y_test = load_mnist(args.data)
    devices = args.device or ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
    # warm up: the first torch optimizer of a process imports torch._dynamo (~1.5 s)
    HandLoop().fit(X_train[:64], y_train[:64])
    print(f"torch {torch.__version__}, {torch.get_num_threads()} CPU threads")
    print(f"MNIST t10k: {len(X_train)} train / {len(X_test)} test, {EPOCHS} epochs\n")
    for device in devices:
        makers = contenders(device)
        fitted = {label: make().fit(X_train, y_train) for label, make in makers.items()}
        # rounds over all contenders in turn, so that a busy spell of the machine
        # slows every contender alike; medians over the rounds
        fit_times = {label: [] for label in makers}
        predict_times = {label: [] for label in makers}
        for _ in range(args.repeats):
            for label, make in makers.items():
                fit_times[label].append(
                    timed(lambda make=make: make().fit(X_train, y_train), device)
                )
                model = fitted[label]
                predict_times[label].append(
                    timed(lambda model=model: model.predict_proba(X_test), device)
                )
        results = {
            label: (
                float(np.median(fit_times[label])),
                float(np.mean(model.predict_proba(X_test).argmax(axis=1) == y_test)),
                float(np.median(predict_times[label])),
            )
            for label, model in fitted.items()
        }
        # ratios to the fastest float32 hand loop
        hand_fit = min(results["hand loop"][0], results["hand loop CL"][0])
        hand_predict = min(results["hand loop"][2], results["hand loop CL"][2])
        print(f"== {device}")
        print(
            f"{'':20}{'fit s':>8}{'/hand':>7}{'train img/s':>13}{'acc':>7}"
            f"{'predict img/s':>15}{'/hand':>7}"
        )
        for label, (fit_s, accuracy, predict_s) in results.items():
            print(
                f"{label:20}{fit_s:8.2f}{fit_s / hand_fit:7.2f}"
                f"{len(X_train) * EPOCHS / fit_s:13.0f}{accuracy:7.4f}"
                f"{len(X_test) / predict_s:15.0f}{predict_s / hand_predict:7.2f}"
            )
        print()


if __name__ == "__main__":
    main()
