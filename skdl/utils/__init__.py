"""Helpers shared by every skdl estimator."""

from ._images import check_images
from ._torch import (
    out_of_memory_error,
    resolve_device,
    seed_from_random_state,
    torch_seeded,
    torch_threads,
)

__all__ = [
    "check_images",
    "out_of_memory_error",
    "resolve_device",
    "seed_from_random_state",
    "torch_seeded",
    "torch_threads",
]
