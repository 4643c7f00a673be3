"""Settings for the doctests of the docs pages (``pytest --doctest-glob="*.rst" docs``).

A snippet must run as the page shows it, so a warning that the page does not
show fails it. The snippets train small models, and they run with one PyTorch
and BLAS thread like the gallery (``SKDL_DOCS_THREADS``, see ``conf.py``): on a
busy machine, thread pools spinning against other work made them many times
slower.
"""

import os
from pathlib import Path

import pytest
from threadpoolctl import threadpool_limits

from skdl.utils import torch_threads

DOCS = Path(__file__).parent


def pytest_collection_modifyitems(items):
    # this hook sees every item of the session: mark only the pages' snippets
    for item in items:
        if DOCS in item.path.parents:
            item.add_marker(pytest.mark.filterwarnings("error"))


@pytest.fixture(autouse=True)
def _few_threads():
    threads = int(os.environ.get("SKDL_DOCS_THREADS", "1"))
    with torch_threads(threads), threadpool_limits(limits=threads):
        yield
