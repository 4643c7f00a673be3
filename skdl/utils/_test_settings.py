"""Per-estimator settings for scikit-learn's common checks (``tests/test_common.py``).

sklearn's checks build each estimator with its defaults and feed it small random
2-D arrays. Where a default would make those checks slow (hundreds of epochs) or
meaningless (an image size the random data cannot have), the estimator gets test
parameters here; every check accepted to fail is listed once, with the reason.
Keep this the only place that holds such exceptions.
"""

from __future__ import annotations

# parameters that keep the checks fast; the tests also set random_state=0 where the
# estimator has it
CHECK_PARAMS: dict[str, dict] = {}

# {estimator name: {check name: reason it is expected to fail}}
EXPECTED_FAILED_CHECKS: dict[str, dict[str, str]] = {}
