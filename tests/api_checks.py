"""API checks for estimators that sklearn's common checks cannot feed.

``parametrize_with_checks`` only feeds 2-D numeric arrays, so estimators that take
raw text or image tensors run these hand-written equivalents on their own data.
"""

import pickle

import joblib
import numpy as np
import pytest
import torch
from estimator_cases import OUTPUT_METHODS
from sklearn.base import clone, is_classifier
from sklearn.exceptions import NotFittedError


def check_estimator_api(estimator, X, y, X_test=None):
    """Run the sklearn contract on ``estimator`` with data it accepts.

    Checks: clone and get/set_params round trip, ``__init__`` stores only its
    parameters, not-fitted errors, fit returns self and leaves the parameters
    as they were, fitting twice gives the same predictions, pickling keeps
    predictions, and classifiers return labels from ``classes_`` and
    probabilities that sum to 1.
    """
    X_test = X if X_test is None else X_test
    params = estimator.get_params()
    cloned = clone(estimator)
    assert cloned.get_params().keys() == params.keys()
    assert cloned.set_params(**params) is cloned
    assert set(vars(cloned)) == set(estimator.get_params(deep=False)), (
        "__init__ must store its parameters and nothing else"
    )

    methods = [m for m in OUTPUT_METHODS if hasattr(estimator, m)]
    for method in methods:
        with pytest.raises(NotFittedError):
            getattr(clone(estimator), method)(X_test)

    fitted = clone(estimator)
    before = joblib.hash(fitted.get_params(deep=False))
    assert fitted.fit(X, y) is fitted
    assert joblib.hash(fitted.get_params(deep=False)) == before, (
        "fit changed a parameter"
    )
    first = {m: getattr(fitted, m)(X_test) for m in methods}
    fitted.fit(X, y)
    for method in methods:
        np.testing.assert_array_equal(getattr(fitted, method)(X_test), first[method])

    restored = pickle.loads(pickle.dumps(fitted))
    for method in methods:
        np.testing.assert_array_equal(getattr(restored, method)(X_test), first[method])

    if is_classifier(estimator):
        assert set(np.unique(first["predict"])) <= set(fitted.classes_)
        if "predict_proba" in first:
            np.testing.assert_allclose(first["predict_proba"].sum(axis=1), 1, atol=1e-5)
    return fitted


#: ``solver`` and options of the network estimators, the torch optimizer they
#: give and what its parameter group holds
SOLVER_CASES = [
    ({"solver": "adadelta", "rho": 0.5}, torch.optim.Adadelta, {"rho": 0.5}),
    ({"solver": "adamax"}, torch.optim.Adamax, {"betas": (0.9, 0.999)}),
    ({"solver": "nadam", "beta_1": 0.8}, torch.optim.NAdam, {"betas": (0.8, 0.999)}),
    ({"solver": "adam", "amsgrad": True}, torch.optim.Adam, {"amsgrad": True}),
    ({"solver": "rmsprop", "rho": 0.9}, torch.optim.RMSprop, {"alpha": 0.9}),
]


def check_optimizer(model, torch_class, group):
    """``model`` trained with an instance of ``torch_class`` set as ``group`` says."""
    optimizer = model.net_.optimizer_
    assert isinstance(optimizer, torch_class)
    for key, value in group.items():
        assert optimizer.param_groups[0][key] == value


def keras_decay(schedule: str, init: float, rate: float, steps: int, epochs: int):
    """The rates of epochs ``0 .. epochs - 1`` under Keras' decays:
    ``init * rate ** (t / steps)`` ('exponential'), with ``t // steps`` ('step').
    """
    t = np.arange(epochs)
    return init * rate ** (t / steps if schedule == "exponential" else t // steps)
