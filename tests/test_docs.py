"""The documentation covers every public estimator: a docstring example and a
gallery example that uses it (the acceptance rules of the docs)."""

import inspect
import re
from pathlib import Path

import pytest

from skdl.utils.discovery import all_estimators

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
ESTIMATORS = all_estimators()
IDS = [name for name, _ in ESTIMATORS]


@pytest.mark.skipif(not EXAMPLES.is_dir(), reason="no examples/ in this checkout")
@pytest.mark.parametrize("name", IDS)
def test_every_estimator_is_used_in_a_gallery_example(name):
    scripts = sorted(EXAMPLES.glob("*/plot_*.py"))
    users = [p for p in scripts if re.search(rf"\b{name}\(", p.read_text("utf-8"))]
    assert users, (
        f"No gallery example constructs {name}: add examples/<family>/plot_*.py "
        f"that uses it (searched {len(scripts)} scripts)."
    )


@pytest.mark.parametrize(("name", "cls"), ESTIMATORS, ids=IDS)
def test_every_estimator_docstring_has_an_example(name, cls):
    doc = inspect.getdoc(cls) or ""
    _, found, examples = doc.partition("Examples\n--------\n")
    assert found and ">>> " in examples, (
        f"{name}'s docstring needs an 'Examples' section with a doctest."
    )
