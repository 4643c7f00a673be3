"""Helpers shared by every skdl estimator."""

from ._images import check_images
from ._torch import resolve_device, seed_from_random_state, torch_seeded, torch_threads

__all__ = [
    "check_images",
    "resolve_device",
    "seed_from_random_state",
    "torch_seeded",
    "torch_threads",
]
