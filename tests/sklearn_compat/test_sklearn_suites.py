"""scikit-learn's own tests of its MLPs and BernoulliRBM, run on skdl's estimators.

Nothing is vendored: the test files are copied from the installed scikit-learn
at test time, each with its one import line of the estimators rewritten to
import skdl's, and run by pytest in a subprocess with scikit-learn's conftest.
Every test must pass except those listed in ``accepted_failures.py``, which
must fail. A new failure (after a scikit-learn upgrade, say), an accepted
failure that passes, and an accepted test that no longer exists each fail
the run, with the list.

The run takes 1.5 to 3 min on 2 cores (83 tests, several of them long
trainings), hence ``slow``: CI runs it with ``-m slow``. The other tests here
check the rewriting and the comparison, fast.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import sklearn
from accepted_failures import ACCEPTED

# test file -> (scikit-learn's import line, the line that imports skdl's instead)
SUITES = {
    "test_mlp.py": (
        "from sklearn.neural_network import MLPClassifier, MLPRegressor",
        "from skdl import MLPClassifier, MLPRegressor",
    ),
    "test_rbm.py": (
        "from sklearn.neural_network import BernoulliRBM",
        "from skdl import RBMTransformer as BernoulliRBM",
    ),
}
SKLEARN_TESTS = Path(sklearn.__file__).parent / "neural_network" / "tests"

# any import of scikit-learn's neural networks left after the rewrite
_IMPORTS_SKLEARNS = re.compile(
    r"^\s*(from\s+sklearn\.neural_network\b|import\s+sklearn\.neural_network\b"
    r"|from\s+sklearn\s+import\s.*\bneural_network\b)",
    re.MULTILINE,
)


def with_skdl_estimators(text: str, name: str) -> str:
    """The test file ``name`` (its ``text``) importing skdl's estimators.

    Raises ValueError when the import line is not there exactly once, or when
    the file imports scikit-learn's neural networks elsewhere too.
    """
    original, replacement = SUITES[name]
    lines = text.splitlines(keepends=True)
    found = [i for i, line in enumerate(lines) if line.rstrip("\r\n") == original]
    if len(found) != 1:
        raise ValueError(
            f"{name} has {len(found)} lines '{original}', not exactly one: "
            f"scikit-learn {sklearn.__version__} changed how the test imports the "
            "estimators. Update SUITES in tests/sklearn_compat/test_sklearn_suites.py."
        )
    lines[found[0]] = replacement + "\n"
    text = "".join(lines)
    if _IMPORTS_SKLEARNS.search(text):
        raise ValueError(
            f"{name} still imports from sklearn.neural_network after its import line "
            "was rewritten: some tests would run scikit-learn's estimators instead "
            "of skdl's. Update SUITES in tests/sklearn_compat/test_sklearn_suites.py."
        )
    return text


def run_suites(folder: Path) -> dict[str, str]:
    """Run the rewritten suites in ``folder``; ``{test id: outcome}``."""
    for name in SUITES:
        text = (SKLEARN_TESTS / name).read_text(encoding="utf-8")
        (folder / name).write_text(with_skdl_estimators(text, name), encoding="utf-8")
    report = folder / "report.xml"
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    # scikit-learn's default seed of its global_random_seed fixture, whatever the
    # environment says, so that the test ids are the ones listed as accepted
    env["SKLEARN_TESTS_GLOBAL_RANDOM_SEED"] = "42"
    command = [sys.executable, "-m", "pytest", *SUITES, "-p", "sklearn.conftest"]
    command += ["-p", "no:cacheprovider", "-q", "-rA", f"--junitxml={report}"]
    done = subprocess.run(
        command, cwd=folder, env=env, capture_output=True, text=True, timeout=1800
    )
    if not report.exists():
        pytest.fail(f"pytest wrote no report:\n{done.stdout}\n{done.stderr}")
    outcomes = {}
    for case in ET.parse(report).iter("testcase"):
        test_id = f"{case.get('classname').replace('.', '/')}.py::{case.get('name')}"
        tags = {child.tag for child in case}
        failed = tags & {"failure", "error"}
        outcomes[test_id] = (
            "failed" if failed else "skipped" if "skipped" in tags else "passed"
        )
    return outcomes


def problems(outcomes: dict[str, str], accepted: dict[str, str]) -> list[str]:
    """What differs from ``accepted``: new failures, accepted ones that pass or
    no longer exist (an empty list when the run is as accepted)."""
    not_passing = {test for test, outcome in outcomes.items() if outcome != "passed"}
    listed = "tests/sklearn_compat/accepted_failures.py"
    found = []
    new = sorted(not_passing - accepted.keys())
    if new:
        found.append(
            f"fail or are skipped without being accepted (fix skdl, or add them to "
            f"{listed} with the reason): "
            + ", ".join(f"{test} ({outcomes[test]})" for test in new)
        )
    passing = sorted(test for test in accepted if outcomes.get(test) == "passed")
    if passing:
        found.append(
            f"pass but are accepted failures (remove them from {listed}): "
            + ", ".join(passing)
        )
    gone = sorted(accepted.keys() - outcomes.keys())
    if gone:
        found.append(
            f"are accepted failures that scikit-learn {sklearn.__version__} does not "
            f"have (remove them from {listed}): " + ", ".join(gone)
        )
    return found


@pytest.mark.slow
def test_scikit_learns_mlp_and_rbm_tests_pass_on_skdl(tmp_path):
    outcomes = run_suites(tmp_path)
    n_passed = sum(outcome == "passed" for outcome in outcomes.values())
    found = problems(outcomes, ACCEPTED)
    assert not found, f"{n_passed} of {len(outcomes)} pass. These tests " + (
        "\nThese tests ".join(found)
    )


@pytest.mark.parametrize("name", sorted(SUITES))
def test_only_the_import_line_changes(name):
    text = (SKLEARN_TESTS / name).read_text(encoding="utf-8")
    original, replacement = SUITES[name]
    rewritten = with_skdl_estimators(text, name)
    assert rewritten == text.replace(original + "\n", replacement + "\n", 1)
    with pytest.raises(ValueError, match="has 0 lines"):
        with_skdl_estimators(text.replace(original, "# moved"), name)
    with pytest.raises(ValueError, match=r"still imports from sklearn\.neural_network"):
        with_skdl_estimators(
            text + "\nfrom sklearn.neural_network import _base\n", name
        )


def test_every_difference_from_the_accepted_list_is_reported():
    accepted = {"a.py::fails": "why", "a.py::fixed": "why", "a.py::renamed": "why"}
    outcomes = {"a.py::fails": "failed", "a.py::fixed": "passed", "a.py::ok": "passed"}
    assert problems({**outcomes, "a.py::renamed": "failed"}, accepted) == [
        "pass but are accepted failures (remove them from "
        "tests/sklearn_compat/accepted_failures.py): a.py::fixed"
    ]
    found = problems(
        {**outcomes, "a.py::new": "failed", "a.py::skip": "skipped"}, accepted
    )
    assert len(found) == 3
    assert "a.py::new (failed), a.py::skip (skipped)" in found[0]
    assert "a.py::fixed" in found[1] and "a.py::renamed" in found[2]
    assert problems({"a.py::fails": "failed"}, {"a.py::fails": "why"}) == []


def test_every_accepted_failure_has_a_reason_of_a_known_kind():
    kinds = (
        "tests scikit-learn's private internals",
        "float32",
        "compares components_",
        "deliberate",
        "pending on branch",
    )
    for test, reason in ACCEPTED.items():
        assert test.split("::")[0] in SUITES, test
        assert any(kind in reason for kind in kinds), (test, reason)
