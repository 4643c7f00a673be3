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
# The image transformers read sklearn's random rows of 1 to 10 features as one-row
# grayscale images (image_shape=(1, -1)); HOG then needs one-pixel cells, and the
# color histogram a range that holds the checks' values (standardized, negative).
_ONE_ROW = {"image_shape": (1, -1)}
_SMALL_RECURRENT = {"hidden_size": 16, "learning_rate_init": 0.01, "max_iter": 50}
CHECK_PARAMS: dict[str, dict] = {
    # scikit-learn checks its own MLPs with max_iter=100 (its _set_checking_parameters)
    "MLPClassifier": {"max_iter": 100},
    "MLPRegressor": {"max_iter": 100},
    # a one-row image: a small net that cannot pool a height of 1
    "CNNClassifier": {
        **_ONE_ROW,
        "conv_filters": (4,),
        "pool_size": None,
        "dense_layers": (16,),
        "max_iter": 100,
    },
    "CNNRegressor": {
        **_ONE_ROW,
        "conv_filters": (4,),
        "pool_size": None,
        "dense_layers": (16,),
        "max_iter": 100,
    },
    # the checks feed real-valued features, which Bernoulli units reject (see
    # tests/neural_network/test_rbm.py for the Bernoulli path)
    "RBMTransformer": {
        "n_components": 8,
        "n_iter": 2,
        "visible_units": "gaussian",
        "learning_rate": 0.01,
    },
    "DBNTransformer": {
        "hidden_layer_sizes": (8, 4),
        "n_iter": 2,
        "visible_units": "gaussian",
        "learning_rate": 0.01,
    },
    "AutoencoderTransformer": {"hidden_layer_sizes": (8, 2), "max_iter": 20},
    # the checks' rows are read as series of 1 feature: a small, faster-learning
    # recurrent net passes their accuracy and R2 bars in 50 and 100 epochs (the
    # defaults take 200 epochs of a 64-unit LSTM, four times as long)
    "LSTMClassifier": _SMALL_RECURRENT,
    "LSTMRegressor": {**_SMALL_RECURRENT, "max_iter": 100},
    # real-valued check data: Gaussian visible units (tests/memory tests binary)
    "BoltzmannMachine": {
        "n_components": 3,
        "n_chains": 10,
        "max_iter": 3,
        "visible_units": "gaussian",
        "learning_rate_init": 0.001,
    },
    "ColorHistogramTransformer": {
        **_ONE_ROW,
        "color_space": "gray",
        "ranges": (-100.0, 100.0),
    },
    "GrayscaleConverter": _ONE_ROW,
    # the checks feed real values: binarize them (tests/memory tests binary X)
    "HopfieldNetwork": {"threshold": 0.0},
    "HOGTransformer": {**_ONE_ROW, "pixels_per_cell": 1, "cells_per_block": 1},
    "ImageDeskewer": _ONE_ROW,
    "ImageResizer": {**_ONE_ROW, "size": (3, 3)},
    "GANSampler": {"noise_dim": 4, "hidden_layer_sizes": (8,), "max_iter": 2},
}

# Checks that do not apply (sklearn runs them without effect or not at all):
# - LSTMTextClassifier, NGramLanguageModel, LSTMLanguageModel take strings, so
#   parametrize_with_checks skips every check (SkipTestWarning); the hand-written
#   equivalents are tests/api_checks.py and the registry tests of
#   tests/estimator_cases.py (kind 'text'), check_param_validation runs as usual.
# - GANSampler runs every check, but has no predict, transform, score or
#   decision_function: the checks of those methods' outputs (pipeline consistency,
#   subset invariance, fit idempotence, pickled predictions...) only fit it. Its
#   sample() is covered by tests/generative/test_gan.py and, through
#   estimator_cases.output(), by the registry tests (reproducibility, io).

# parameters for one check only: {estimator name: {check name: params}}
# Two kinds of checks compare results to ~1e-7, below float32's rounding:
# fits with sample weights against fits on repeated rows, and predictions on a
# subset against the same rows in a larger batch (the BLAS kernel, and so the
# summation order, changes with the number of rows). They run in float64
# (precision='float64'), where rounding is 1e-16, so that they test the
# semantics and not float32's resolution. Weights equal repetitions only for
# full-batch training, as in sklearn's tests.
_FLOAT64 = {"precision": "float64"}
_FULL_BATCH_FLOAT64 = {"solver": "lbfgs", **_FLOAT64}
# (the MLPs need none: precision='auto' computes the checks' float64 data in
# float64, and they pass every check with their defaults)
PER_CHECK_PARAMS: dict[str, dict[str, dict]] = {}
PER_CHECK_PARAMS["LVQClassifier"] = {
    # full batch: the weighted GLVQ cost is the cost of the repeated rows, and
    # extreme class weights act on every step (Adam's steps of 1% of a feature's
    # spread would need thousands of epochs on the check's unscaled blobs)
    "check_sample_weight_equivalence_on_dense_data": _FULL_BATCH_FLOAT64,
    "check_class_weight_classifiers": {"solver": "lbfgs"},
    "check_methods_subset_invariance": _FLOAT64,
}
PER_CHECK_PARAMS["CNNClassifier"] = {
    "check_sample_weight_equivalence_on_dense_data": _FLOAT64,
}
PER_CHECK_PARAMS["CNNRegressor"] = {
    "check_sample_weight_equivalence_on_dense_data": _FLOAT64,
    "check_methods_subset_invariance": _FLOAT64,
}

# {estimator name: {check name: reason it is expected to fail}}
EXPECTED_FAILED_CHECKS: dict[str, dict[str, str]] = {}
for name in ("LSTMClassifier", "LSTMRegressor"):
    # recurrent models on the checks' 2-D data: (n_samples, n_timesteps) series
    PER_CHECK_PARAMS[name] = {
        "check_sample_weight_equivalence_on_dense_data": _FULL_BATCH_FLOAT64,
        "check_methods_subset_invariance": _FLOAT64,
    }
    EXPECTED_FAILED_CHECKS[name] = {
        "check_sample_weight_equivalence_on_dense_data": (
            "in float64 the fits with weights and with repeated rows agree "
            "within the check's 1e-7 after 20 L-BFGS iterations, but on this "
            "non-convex recurrent model the two trajectories then part, reach "
            "tol at different iterations and end apart (the check's settings: "
            "1e-6 for the classifier after 50, 5e-2 for the regressor after "
            "100); tests/neural_network/test_recurrent.py checks that they "
            "follow the same trajectory"
        ),
    }
