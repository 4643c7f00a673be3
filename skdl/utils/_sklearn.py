"""The one place where skdl imports private scikit-learn helpers.

scikit-learn does not promise to keep these names stable, so every module of skdl
imports them from here: when a release moves one, this file is the only fix.
"""

import functools

from sklearn.base import _fit_context as _sklearn_fit_context
from sklearn.utils._param_validation import (
    Hidden,
    Interval,
    InvalidParameterError,
    Options,
    RealNotInt,
    StrOptions,
    validate_params,
)
from sklearn.utils._set_output import (
    _wrap_data_with_container as wrap_data_with_container,
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
    "wrap_data_with_container",
]


def _fit_context(*, prefer_skip_nested_validation: bool):
    """scikit-learn's ``_fit_context`` (parameter validation), with autograd on
    and torch's defaults at float32 on the CPU.

    A fit trains whatever the caller's grad mode: inside ``torch.no_grad()``,
    ``torch.inference_mode()`` or after ``torch.set_grad_enabled(False)``,
    ``loss.backward()`` would fail with "element 0 of tensors does not require
    grad", and parameters made in inference mode could never train. Nor do the
    caller's ``torch.set_default_dtype`` and ``torch.set_default_device`` change
    the model (:func:`~skdl.utils._torch.build_defaults`). The caller's settings
    are back when the method returns.
    """
    validate = _sklearn_fit_context(
        prefer_skip_nested_validation=prefer_skip_nested_validation
    )

    def decorator(fit_method):
        validated = validate(fit_method)

        @functools.wraps(fit_method)
        def wrapper(*args, **kwargs):
            import torch  # here: ._torch imports this module

            from ._torch import build_defaults

            with torch.inference_mode(False), torch.enable_grad(), build_defaults():
                return validated(*args, **kwargs)

        return wrapper

    return decorator
