import ctypes
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
import torch
from threadpoolctl import threadpool_info

from skdl import RBMTransformer
from skdl.utils import (
    out_of_memory_error,
    seed_from_random_state,
    torch_seeded,
    torch_threads,
)
from skdl.utils._docstrings import SECTIONS, fill_doc
from skdl.utils._torch import default_float32, threads_for_steps


def test_seeds_are_reproducible_salted_and_leave_numpy_alone():
    state = np.random.get_state()[1].copy()
    assert seed_from_random_state(3) == seed_from_random_state(3)
    assert seed_from_random_state(3) != seed_from_random_state(4)
    assert seed_from_random_state(3, salt=1) != seed_from_random_state(3)
    assert seed_from_random_state(None) != seed_from_random_state(None)
    np.testing.assert_array_equal(np.random.get_state()[1], state)
    rng = np.random.RandomState(0)
    assert seed_from_random_state(rng) != seed_from_random_state(rng)
    assert 0 <= seed_from_random_state(2**32 - 1) < 2**63


def test_torch_seeded_restores_the_global_generator():
    before = torch.random.get_rng_state()
    with torch_seeded(1, torch.device("cpu")):
        inside = torch.rand(3)
    assert torch.equal(torch.random.get_rng_state(), before)
    with torch_seeded(1, torch.device("cpu")):
        assert torch.equal(torch.rand(3), inside)


def test_fill_doc_inserts_sections_with_the_surrounding_indent():
    @fill_doc
    def documented():
        """Summary.

        Parameters
        ----------
        ${device_parameters}
        """

    first_line = SECTIONS["device_parameters"].splitlines()[0]
    assert f"\n        {first_line}\n" in documented.__doc__
    assert "${" not in documented.__doc__


def test_threads_for_steps_holds_small_cpu_steps_to_one_thread():
    before = torch.get_num_threads()
    cpu = torch.device("cpu")
    with threads_for_steps(10, 100, cpu, None):
        assert torch.get_num_threads() == 1
    with threads_for_steps(100, 100, cpu, None):  # large enough: torch's setting
        assert torch.get_num_threads() == before
    with threads_for_steps(10, 100, cpu, 2):  # an explicit count wins
        assert torch.get_num_threads() == 2
    with threads_for_steps(10, 100, torch.device("meta"), None):  # not a CPU
        assert torch.get_num_threads() == before
    assert torch.get_num_threads() == before


def _mkl_threads():
    """MKL's own thread count inside torch (None where torch has no MKL)."""
    library = Path(torch.__file__).parent / "lib" / "libtorch_cpu.so"
    try:
        return ctypes.CDLL(str(library)).mkl_get_max_threads()
    except (OSError, AttributeError):
        return None


def test_small_steps_hold_mkl_to_one_thread_whatever_ran_before():
    # once torch.set_num_threads has run, MKL keeps its own count and ignores the
    # OpenMP limit; the same product then ran on one thread or two depending on
    # the tests that ran before it
    if _mkl_threads() is None:
        pytest.skip("this torch build has no MKL")
    before = torch.get_num_threads()
    torch.set_num_threads(before)
    with threads_for_steps(10, 100, torch.device("cpu"), None):
        assert (torch.get_num_threads(), _mkl_threads()) == (1, 1)
    assert (torch.get_num_threads(), _mkl_threads()) == (before, before)


def test_overlapping_blocks_in_threads_restore_the_process_setting():
    # blocks entered and left in an interleaved order by several threads: each
    # sees its own setting while it is the latest, and the last one out
    # restores torch's and the BLAS pools' counts
    torch_before = torch.get_num_threads()
    pools_before = [pool["num_threads"] for pool in threadpool_info()]
    cpu = torch.device("cpu")
    barrier = threading.Barrier(8)

    def block(i):
        context = (
            threads_for_steps(10, 100, cpu, None) if i % 2 else torch_threads(1 + i)
        )
        barrier.wait()
        with context:
            barrier.wait()
        return True

    with ThreadPoolExecutor(8) as pool:
        assert all(pool.map(block, range(8)))
    assert torch.get_num_threads() == torch_before
    assert [pool["num_threads"] for pool in threadpool_info()] == pools_before


def test_overlapping_float32_blocks_restore_the_callers_default():
    # entered together and left in turn by several threads, as concurrent fits
    # do: float32 inside every block, the caller's float64 after the last
    barrier = threading.Barrier(6)

    def block(i):
        barrier.wait()
        with default_float32():
            barrier.wait()
            inside = torch.get_default_dtype()
        return inside

    torch.set_default_dtype(torch.float64)
    try:
        with ThreadPoolExecutor(6) as pool:
            assert set(pool.map(block, range(6))) == {torch.float32}
        assert torch.get_default_dtype() == torch.float64
    finally:
        torch.set_default_dtype(torch.float32)


def test_concurrent_rbm_transforms_leave_the_thread_pools_as_they_were():
    X = np.random.RandomState(0).rand(50, 16)
    rbm = RBMTransformer(8, n_iter=1, random_state=0).fit(X)
    expected = rbm.transform(X)
    torch_before = torch.get_num_threads()
    pools_before = [pool["num_threads"] for pool in threadpool_info()]
    with ThreadPoolExecutor(8) as pool:
        outputs = list(pool.map(lambda _: rbm.transform(X), range(32)))
    for out in outputs:
        np.testing.assert_array_equal(out, expected)
    assert torch.get_num_threads() == torch_before
    assert [pool["num_threads"] for pool in threadpool_info()] == pools_before


def test_a_refused_thread_count_leaves_no_block_behind():
    # a bool is refused (torch refused it too); the block must not stay
    # registered, or every later block would restore that value on leaving
    before = torch.get_num_threads()
    with pytest.raises(ValueError), torch_threads(True):
        pass
    with torch_threads(1):
        assert torch.get_num_threads() == 1
    assert torch.get_num_threads() == before


def test_n_threads_must_be_a_count_not_a_bool():
    from sklearn.datasets import load_iris

    from skdl import MLPClassifier
    from skdl.utils._sklearn import InvalidParameterError

    X, y = load_iris(return_X_y=True)
    with pytest.raises(InvalidParameterError, match="'n_threads' parameter"):
        MLPClassifier(n_threads=True, max_iter=1).fit(X, y)


@pytest.mark.parametrize("bad", [0, -2, 1.5, "2", True])
def test_torch_threads_refuses_what_torch_cannot_set(bad):
    # torch's own RuntimeError (or a silent True as one thread) before
    with pytest.raises(ValueError, match="n_threads must be None, -1 or an int >= 1"):
        with torch_threads(bad):
            pass


def test_torch_seeded_takes_a_device_name():
    with torch_seeded(0, "cpu"):
        by_name = torch.rand(3)
    with torch_seeded(0, torch.device("cpu")):
        np.testing.assert_array_equal(torch.rand(3), by_name)


def test_all_estimators_filters_by_kinds_and_names_them():
    from skdl.utils.discovery import all_estimators

    both = dict(all_estimators(["classifier", "regressor"]))
    assert "MLPClassifier" in both and "MLPRegressor" in both
    assert "RBMTransformer" not in both
    for bad in ("cluster", "Classifier", [], ["x"]):
        with pytest.raises(ValueError, match="type_filter must be None, one of"):
            all_estimators(bad)


@pytest.mark.parametrize("salt", [-1, 1.5, True])
def test_seed_salt_must_be_a_count(salt):
    with pytest.raises(ValueError, match="salt must be an int >= 0"):
        seed_from_random_state(0, salt=salt)


@pytest.mark.parametrize(
    "error, kind",
    [
        (torch.OutOfMemoryError("CUDA out of memory."), torch.OutOfMemoryError),
        (torch.cuda.OutOfMemoryError("CUDA out of memory."), torch.OutOfMemoryError),
        (RuntimeError("DefaultCPUAllocator: can't allocate memory"), RuntimeError),
        (RuntimeError("MPS backend out of memory"), torch.OutOfMemoryError),
        (MemoryError("Unable to allocate 8 GiB"), MemoryError),
    ],
)
def test_out_of_memory_error_converts_allocation_failures(error, kind):
    converted = out_of_memory_error(error, "Lower batch_size.")
    assert isinstance(converted, kind) and converted is not error
    assert str(converted).startswith("Lower batch_size. ")
    assert converted.__cause__ is error


@pytest.mark.parametrize(
    "error",
    [
        RuntimeError("mat1 and mat2 shapes cannot be multiplied"),
        ValueError("bad shape"),
        IndexError("Target 5 is out of bounds."),
        KeyboardInterrupt(),
    ],
)
def test_out_of_memory_error_leaves_other_errors_as_they_are(error):
    # it made any error an OutOfMemoryError that claimed memory ran out
    assert out_of_memory_error(error, "Lower batch_size.") is error
    with pytest.raises(type(error)) as raised:
        try:
            raise error
        except BaseException as exc:
            raise out_of_memory_error(exc, "Lower batch_size.")  # noqa: B904
    assert raised.value is error and raised.value.__cause__ is None
