"""``python -m skdl``: train skdl's models on the digits shipped with the package.

Splits OpenCV's 5000 handwritten digits (20x20) 50/50 (stratified), trains each
model and prints a table of test accuracy, fit and predict time, and device.
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
import torch
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier as SklearnMLPClassifier
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

from . import __version__
from .datasets import load_digit_sheet
from .feature_extraction import HOGTransformer
from .lvq import LVQClassifier
from .neural_network import CNNClassifier, MLPClassifier, RBMTransformer
from .utils import resolve_device


def models(device: str) -> dict:
    """The models the demo trains, by display name."""
    return {
        "skdl MLPClassifier": MLPClassifier(
            (256,), early_stopping=True, random_state=0, device=device
        ),
        "sklearn MLPClassifier (reference)": SklearnMLPClassifier(
            (256,), early_stopping=True, random_state=0
        ),
        "skdl CNNClassifier (2 conv layers)": CNNClassifier(
            conv_filters=(16, 32),
            dense_layers=(64,),
            batch_norm=True,
            learning_rate_init=0.003,
            max_iter=8,
            image_shape=(20, 20),
            random_state=0,
            device=device,
        ),
        "skdl LVQClassifier (GLVQ, 3 prototypes/class)": make_pipeline(
            StandardScaler(),
            LVQClassifier(
                prototypes_per_class=3, max_iter=50, random_state=0, device=device
            ),
        ),
        "skdl RBMTransformer + LogisticRegression": make_pipeline(
            RBMTransformer(
                256, learning_rate=0.05, n_iter=10, random_state=0, device=device
            ),
            LogisticRegression(C=100, max_iter=500),
        ),
        "skdl HOGTransformer + SVC": make_pipeline(
            HOGTransformer(
                pixels_per_cell=(5, 5), cells_per_block=(2, 2), image_shape=(20, 20)
            ),
            SVC(),
        ),
    }


def _device_of(model) -> str:
    """Where a model (or the torch step of a Pipeline) computes."""
    steps = (
        [step for _, step in model.steps] if isinstance(model, Pipeline) else [model]
    )
    for step in steps:
        if hasattr(step, "net_"):
            return str(step.net_.device)
        if hasattr(step, "module_"):
            return str(next(step.module_.buffers()).device)
        if "device" in step.get_params():  # torch computations without a net
            return str(resolve_device(step.device))
    return "cpu (numpy)"


def run(device: str = "cpu") -> list[tuple[str, float, float, float, str]]:
    """Train every demo model; return (name, accuracy, fit s, predict s, device)."""
    digits = load_digit_sheet()
    X = digits.data.astype(np.float32) / 255.0
    X_train, X_test, y_train, y_test = train_test_split(
        X, digits.target, test_size=0.5, stratify=digits.target, random_state=0
    )
    rows = []
    for name, model in models(device).items():
        start = time.perf_counter()
        model.fit(X_train, y_train)
        fit_s = time.perf_counter() - start
        start = time.perf_counter()
        accuracy = float(np.mean(model.predict(X_test) == y_test))
        predict_s = time.perf_counter() - start
        rows.append((name, accuracy, fit_s, predict_s, _device_of(model)))
    return rows


def main(argv: list[str] | None = None) -> None:
    """Parse the command line, run the demo and print the table."""
    parser = argparse.ArgumentParser(
        prog="python -m skdl",
        description=__doc__,
        formatter_class=argparse.RawTextHelpFormatter,
    )
    parser.add_argument(
        "--device",
        default="cpu",
        help="'cpu', 'cuda', 'cuda:N', 'mps' or 'auto' (default: cpu)",
    )
    args = parser.parse_args(argv)
    try:
        device = str(resolve_device(args.device))
    except ValueError as exc:  # a usage error: argparse's message and exit code 2
        parser.error(str(exc))
    print(f"skdl {__version__} (torch {torch.__version__}), device {device}")
    print("OpenCV digit sheet: 5000 images of 20x20, 2500 to train, 2500 to test\n")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        rows = run(device)
    width = max(len(row[0]) for row in rows) + 2
    print(f"{'model':<{width}}{'accuracy':>10}{'fit s':>9}{'predict s':>11}  device")
    for name, accuracy, fit_s, predict_s, where in rows:
        print(
            f"{name:<{width}}{accuracy:>10.4f}{fit_s:>9.2f}{predict_s:>11.3f}  {where}"
        )
