"""Every estimator with a ``device`` on a CUDA GPU: it trains there, its outputs are
what the CPU's are in kind, a seeded fit repeats bit for bit under
``torch.use_deterministic_algorithms(True)`` (as docs/user_guide/gpu_reproducibility.rst
says), mixed precision trains, and the fitted model round-trips through pickle and
``skdl.io``, also onto a machine without a GPU.

All are skipped without CUDA. ``tests/conftest.py`` sets ``CUBLAS_WORKSPACE_CONFIG``
before the first cuBLAS call, which deterministic cuBLAS needs.
"""

from __future__ import annotations

import pickle

import numpy as np
import pytest
import torch
from estimator_cases import CASES, case_ids, outputs

from skdl.io import load, save

pytestmark = [
    pytest.mark.gpu,
    pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA"),
    pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning"),
    pytest.mark.filterwarnings("ignore:batch_size=.*is larger than"),
]

ON_DEVICE = [
    (name, case)
    for name, case in sorted(CASES.items())
    if "device" in case.make().get_params()
]
SEEDED = [(name, case) for name, case in ON_DEVICE if case.seeded]
MIXED = [
    (name, case) for name, case in ON_DEVICE if "precision" in case.make().get_params()
]
#: outputs that draw from the device's random generator, so differ between devices
RANDOM_OUTPUTS = {"sample"}


def host_arrays(results: dict) -> None:
    for method, value in results.items():
        assert isinstance(value, np.ndarray), (method, type(value))


@pytest.fixture
def no_tf32():
    """cuDNN's convolutions and LSTMs round through TF32 by default (about 1e-3):
    off, so that the same weights give float32's agreement on CPU and GPU."""
    before = torch.backends.cudnn.allow_tf32
    torch.backends.cudnn.allow_tf32 = False
    try:
        yield
    finally:
        torch.backends.cudnn.allow_tf32 = before


@pytest.fixture
def deterministic():
    torch.use_deterministic_algorithms(True)
    try:
        yield
    finally:
        torch.use_deterministic_algorithms(False)


@pytest.mark.parametrize(("name", "case"), ON_DEVICE, ids=case_ids(ON_DEVICE))
def test_trains_on_cuda_and_answers_like_the_cpu(name, case):
    X, y = case.data()
    gpu = case.make(device="cuda").fit(X, y)
    cpu = case.make(device="cpu").fit(X, y)
    on_gpu, on_cpu = outputs(gpu, X), outputs(cpu, X)
    host_arrays(on_gpu)
    assert on_gpu.keys() == on_cpu.keys()
    for method in on_gpu:
        assert on_gpu[method].shape == on_cpu[method].shape, method
        assert on_gpu[method].dtype == on_cpu[method].dtype, method
    if hasattr(cpu, "classes_"):
        np.testing.assert_array_equal(gpu.classes_, cpu.classes_)
    net = getattr(gpu, "net_", None)
    if net is not None:
        assert all(p.is_cuda for p in net.module_.parameters())


@pytest.mark.parametrize(("name", "case"), SEEDED, ids=case_ids(SEEDED))
def test_seeded_cuda_fits_repeat_bitwise_with_deterministic_algorithms(
    name, case, deterministic
):
    X, y = case.data()
    first = outputs(case.make(device="cuda").fit(X, y), X)
    second = outputs(case.make(device="cuda").fit(X, y), X)
    for method in first:
        np.testing.assert_array_equal(first[method], second[method], err_msg=method)


@pytest.mark.parametrize(("name", "case"), ON_DEVICE, ids=case_ids(ON_DEVICE))
def test_a_cuda_model_round_trips_and_loads_without_a_gpu(
    name, case, tmp_path, monkeypatch, no_tf32
):
    X, y = case.data()
    model = case.make(device="cuda").fit(X, y)
    expected = outputs(model, X)
    attributes = set(vars(model))
    for method, value in outputs(pickle.loads(pickle.dumps(model)), X).items():
        np.testing.assert_array_equal(value, expected[method], err_msg=method)
    save(model, tmp_path / "m")
    # pickling and saving leave the model as it was, on the GPU
    assert set(vars(model)) == attributes
    for method, value in outputs(model, X).items():
        np.testing.assert_array_equal(value, expected[method], err_msg=method)
    for method, value in outputs(load(tmp_path / "m"), X).items():
        np.testing.assert_array_equal(value, expected[method], err_msg=method)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    # networks and RBMs move to the CPU as they load; HOG and Hopfield networks,
    # which hold no module, compute there when called
    with pytest.warns(UserWarning, match="on the CPU instead"):
        results = outputs(load(tmp_path / "m"), X)
    for method, value in results.items():
        if method in RANDOM_OUTPUTS:
            continue
        if value.dtype.kind == "f":
            np.testing.assert_allclose(
                value, expected[method], rtol=1e-4, atol=1e-5, err_msg=method
            )
        else:
            np.testing.assert_array_equal(value, expected[method], err_msg=method)


@pytest.mark.parametrize(("name", "case"), MIXED, ids=case_ids(MIXED))
@pytest.mark.parametrize("precision", ["bfloat16", "float16", "float64"])
def test_precisions_train_on_cuda(name, case, precision):
    X, y = case.data()
    results = outputs(case.make(device="cuda", precision=precision).fit(X, y), X)
    host_arrays(results)
    for method, value in results.items():
        if value.dtype.kind == "f":
            assert np.isfinite(value).all(), method


@pytest.mark.parametrize(("name", "case"), MIXED, ids=case_ids(MIXED))
def test_precision_auto_trains_in_float32_on_cuda(name, case):
    """precision='auto' is scikit-learn's rule on the CPU only: float64 X trains
    in float32 on a GPU, and the model goes on in float32 when warm-started."""
    X, y = case.data()
    model = case.make(device="cuda", precision="auto").fit(X, y)
    assert {p.dtype for p in model.net_.module_.parameters()} == {torch.float32}
    model.set_params(warm_start=True).fit(X, y)
    assert {p.dtype for p in model.net_.module_.parameters()} == {torch.float32}


def test_hog_on_cuda_repeats_bitwise_with_deterministic_algorithms(deterministic):
    from skdl.feature_extraction import hog

    images = np.random.default_rng(0).uniform(size=(16, 40, 32)).astype(np.float32)
    params = {"pixels_per_cell": (4, 4), "cells_per_block": (2, 2)}
    first = hog(images, device="cuda", **params)
    np.testing.assert_array_equal(hog(images, device="cuda", **params), first)
    np.testing.assert_allclose(first, hog(images, **params), rtol=0, atol=1e-5)
