"""Associative memories: Hopfield networks and Boltzmann machines."""

from .._lazy import attach

__getattr__, __dir__, __all__ = attach(
    __name__,
    {"_boltzmann": ["BoltzmannMachine"], "_hopfield": ["HopfieldNetwork"]},
)
del attach  # builds the lazy imports; not a public name of the package
