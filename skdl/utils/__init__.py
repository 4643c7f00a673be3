"""Helpers shared by every skdl estimator."""

from .._lazy import attach

# each imported on first use: the data set loaders import skdl.utils._sklearn,
# which must not bring torch in with this package
__getattr__, __dir__, __all__ = attach(
    __name__,
    {
        "_images": ["check_images"],
        "_torch": [
            "out_of_memory_error",
            "resolve_device",
            "seed_from_random_state",
            "torch_seeded",
            "torch_threads",
        ],
    },
)
del attach  # builds the lazy imports; not a public name of the package
