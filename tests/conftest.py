"""Shared fixtures: the real data sets in ../shared/data."""

from pathlib import Path

import pytest

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """Folder of the real data sets that CI places beside the checkout."""
    if not SHARED_DATA.is_dir():
        pytest.fail(
            f"{SHARED_DATA} is missing: the tests need ../shared/data beside the "
            "checkout (CI provides it)."
        )
    return SHARED_DATA
