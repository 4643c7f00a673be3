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
CHECK_PARAMS: dict[str, dict] = {
    # a one-row image: a small net that cannot pool a height of 1
    "CNNClassifier": {
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
    "ColorHistogramTransformer": {
        **_ONE_ROW,
        "color_space": "gray",
        "ranges": (-100.0, 100.0),
    },
    "GrayscaleConverter": _ONE_ROW,
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
_FULL_BATCH = {"solver": "lbfgs"}
PER_CHECK_PARAMS: dict[str, dict[str, dict]] = {
    # weights equal repetitions only for full-batch training, as in sklearn's tests
    name: {
        "check_sample_weight_equivalence_on_dense_data": _FULL_BATCH,
        "check_sample_weight_equivalence_on_sparse_data": _FULL_BATCH,
    }
    for name in ("MLPClassifier", "MLPRegressor")
}
PER_CHECK_PARAMS["LVQClassifier"] = {
    # full batch: the weighted GLVQ cost is the cost of the repeated rows, and
    # extreme class weights act on every step (Adam's steps of 1% of a feature's
    # spread would need thousands of epochs on the check's unscaled blobs)
    "check_sample_weight_equivalence_on_dense_data": _FULL_BATCH,
    "check_class_weight_classifiers": _FULL_BATCH,
}

_FLOAT32_WEIGHTS = (
    "training runs in float32: fits with weights and with repeated rows agree to "
    "about 1e-4 (tests/neural_network/test_mlp.py checks that), not to the 1e-7 "
    "this check demands"
)

_FLOAT32_SUBSETS = (
    "float32 matrix products round differently for different numbers of rows "
    "(the BLAS kernel changes), so a prediction on a subset can differ from the "
    "same rows predicted in a larger batch by ~1e-7, the check's tolerance"
)

# {estimator name: {check name: reason it is expected to fail}}
EXPECTED_FAILED_CHECKS: dict[str, dict[str, str]] = {
    name: {
        "check_sample_weight_equivalence_on_dense_data": _FLOAT32_WEIGHTS,
        "check_sample_weight_equivalence_on_sparse_data": _FLOAT32_WEIGHTS,
        "check_methods_subset_invariance": _FLOAT32_SUBSETS,
    }
    for name in ("MLPClassifier", "MLPRegressor")
}
EXPECTED_FAILED_CHECKS["LVQClassifier"] = {
    "check_sample_weight_equivalence_on_dense_data": (
        "the GLVQ cost of separable data keeps falling as prototypes spread (no "
        "finite optimum), so two float32 L-BFGS runs, with weights and with "
        "repeated rows, drift ~1e-3 apart by max_iter; tests/lvq/test_lvq.py "
        "checks that their costs and first steps agree"
    ),
    "check_methods_subset_invariance": _FLOAT32_SUBSETS,
}
for name in ("LSTMClassifier", "LSTMRegressor"):
    # recurrent models on the checks' 2-D data: (n_samples, n_timesteps) series
    PER_CHECK_PARAMS[name] = {
        "check_sample_weight_equivalence_on_dense_data": _FULL_BATCH
    }
    EXPECTED_FAILED_CHECKS[name] = {
        "check_sample_weight_equivalence_on_dense_data": _FLOAT32_WEIGHTS,
        "check_methods_subset_invariance": _FLOAT32_SUBSETS,
    }
EXPECTED_FAILED_CHECKS["CNNClassifier"] = {
    "check_sample_weight_equivalence_on_dense_data": (
        "training runs in float32: the check's rows fit in one batch, and the fits "
        "with weights and with repeated rows agree to ~1e-7, just above the check's "
        "tolerance (tests/neural_network/test_cnn.py checks them to 1e-5)"
    ),
}
