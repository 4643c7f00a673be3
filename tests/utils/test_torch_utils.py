import numpy as np
import torch

from skdl.utils import seed_from_random_state, torch_seeded
from skdl.utils._docstrings import SECTIONS, fill_doc
from skdl.utils._torch import threads_for_steps


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
