"""Run the demo: ``python -m skdl``."""

from ._demo import main

main()
