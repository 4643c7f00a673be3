"""scikit-learn's common estimator checks, run on every public skdl estimator."""

import inspect

import pytest
from sklearn.base import clone
from sklearn.utils.estimator_checks import (
    check_param_validation,
    parametrize_with_checks,
)

from skdl.utils._test_settings import (
    CHECK_PARAMS,
    EXPECTED_FAILED_CHECKS,
    PER_CHECK_PARAMS,
)
from skdl.utils.discovery import all_estimators

ESTIMATORS = all_estimators()


def _instance(name, cls):
    params = dict(CHECK_PARAMS.get(name, {}))
    # estimators with a required parameter get it from CHECK_PARAMS
    if "random_state" in inspect.signature(cls).parameters:
        params.setdefault("random_state", 0)
    return cls(**params)


INSTANCES = [_instance(name, cls) for name, cls in ESTIMATORS]


def _expected_failures(estimator):
    return EXPECTED_FAILED_CHECKS.get(type(estimator).__name__, {})


def test_every_public_estimator_is_checked():
    assert ESTIMATORS, "discovery found no estimators"
    named = (
        CHECK_PARAMS.keys() | EXPECTED_FAILED_CHECKS.keys() | PER_CHECK_PARAMS.keys()
    )
    for name in named:
        assert name in dict(ESTIMATORS), f"test settings name unknown estimator {name}"


@parametrize_with_checks(INSTANCES, expected_failed_checks=_expected_failures)
def test_sklearn_compatible_estimator(estimator, check):
    check_name = getattr(check, "func", check).__name__
    params = PER_CHECK_PARAMS.get(type(estimator).__name__, {}).get(check_name)
    if params:
        estimator = clone(estimator).set_params(**params)
    check(estimator)


@pytest.mark.parametrize(
    "estimator", INSTANCES, ids=[type(est).__name__ for est in INSTANCES]
)
def test_param_validation(estimator):
    check_param_validation(type(estimator).__name__, estimator)
