"""The one place where skdl imports private scikit-learn helpers.

scikit-learn does not promise to keep these names stable, so every module of skdl
imports them from here: when a release moves one, this file is the only fix.
"""

from sklearn.base import _fit_context
from sklearn.utils._param_validation import (
    Hidden,
    Interval,
    InvalidParameterError,
    Options,
    RealNotInt,
    StrOptions,
    validate_params,
)
from sklearn.utils.validation import _check_sample_weight as check_sample_weight
from sklearn.utils.validation import _check_y as check_y

__all__ = [
    "Hidden",
    "Interval",
    "InvalidParameterError",
    "Options",
    "RealNotInt",
    "StrOptions",
    "_fit_context",
    "check_sample_weight",
    "check_y",
    "validate_params",
]
