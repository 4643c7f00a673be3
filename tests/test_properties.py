"""Property-based tests (hypothesis) of the transformers and classifiers.

Few, small examples each (``max_examples`` 8-15, no deadline): the point is to
reach shapes, dtypes and label sets nobody wrote a test for, not to search long.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from estimator_cases import case_ids, cases
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sklearn.base import clone

from skdl import (
    ColorHistogramTransformer,
    HOGTransformer,
    LVQClassifier,
    RBMTransformer,
)
from skdl.utils import seed_from_random_state

pytestmark = pytest.mark.filterwarnings(
    "ignore::sklearn.exceptions.ConvergenceWarning",
    "ignore:batch_size=.*is larger than",
)

FEW = settings(
    max_examples=10,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

IMAGE_DTYPES = st.sampled_from([np.uint8, np.float32, np.float64])


@st.composite
def images(draw, *, min_side=1, max_side=20, channels=(1, 3)):
    """A batch of images ``(n, height, width, channels)`` in a drawn dtype; the
    values cover the dtype's documented range (0-255, or [0, 1] for floats)."""
    n = draw(st.integers(1, 3))
    height = draw(st.integers(min_side, max_side))
    width = draw(st.integers(min_side, max_side))
    n_channels = draw(st.sampled_from(channels))
    dtype = draw(IMAGE_DTYPES)
    rng = np.random.RandomState(draw(st.integers(0, 2**16)))
    if dtype == np.uint8:
        pixels = rng.randint(0, 256, size=(n, height, width, n_channels))
    else:
        pixels = rng.uniform(size=(n, height, width, n_channels))
        pixels[rng.uniform(size=pixels.shape) < 0.2] = 0.0  # flat regions
    return pixels.astype(dtype)


def _float_out(dtype):
    """The documented output dtype: float64 for float64 input, else float32."""
    return np.float64 if dtype == np.float64 else np.float32


def check_transform(transformer, X, expected_shape, expected_dtype):
    out = transformer.fit(X).transform(X)
    assert out.shape == expected_shape
    assert out.dtype == expected_dtype
    assert np.isfinite(out).all()
    np.testing.assert_array_equal(clone(transformer).fit_transform(X), out)
    return out


# -- transformers --------------------------------------------------------------------
@FEW
@given(
    X=images(min_side=4),
    orientations=st.integers(1, 9),
    cell=st.integers(1, 4),
    block=st.integers(1, 3),
    block_norm=st.sampled_from(["L1", "L1-sqrt", "L2", "L2-Hys"]),
)
def test_hog_shape_dtype_finite_deterministic(X, orientations, cell, block, block_norm):
    n, height, width, _ = X.shape
    blocks_row, blocks_col = height // cell - block + 1, width // cell - block + 1
    hog = HOGTransformer(
        orientations=orientations,
        pixels_per_cell=cell,
        cells_per_block=block,
        block_norm=block_norm,
    )
    if blocks_row < 1 or blocks_col < 1:
        with pytest.raises(ValueError, match=r"too small|at least"):
            hog.fit(X)
        return
    n_features = blocks_row * blocks_col * block * block * orientations
    out = check_transform(hog, X, (n, n_features), _float_out(X.dtype))
    assert (out >= 0).all()


@FEW
@given(
    X=images(channels=(3,)),
    bins=st.integers(1, 6),
    joint=st.booleans(),
    color_space=st.sampled_from(["rgb", "hsv", "lab", "gray"]),
    normalize=st.sampled_from(["l1", "l2", None]),
)
def test_color_histogram_shape_dtype_finite_deterministic(
    X, bins, joint, color_space, normalize
):
    channels = 1 if color_space == "gray" else 3
    n_bins = bins**channels if joint else bins * channels
    transformer = ColorHistogramTransformer(
        bins=bins, joint=joint, color_space=color_space, normalize=normalize
    )
    out = check_transform(transformer, X, (len(X), n_bins), _float_out(X.dtype))
    assert (out >= 0).all()
    pixels = X.shape[1] * X.shape[2]
    if normalize == "l1":  # the whole row, also the concatenation of joint=False
        np.testing.assert_allclose(out.sum(axis=1), 1.0, rtol=1e-5)
    elif normalize == "l2":
        np.testing.assert_allclose(np.linalg.norm(out, axis=1), 1.0, rtol=1e-5)
    else:  # every pixel lands in one bin of each histogram
        per_pixel = 1 if joint else channels
        np.testing.assert_array_equal(out.sum(axis=1), pixels * per_pixel)


@FEW
@given(
    n_samples=st.integers(1, 30),
    n_features=st.integers(1, 8),
    n_components=st.integers(1, 6),
    dtype=st.sampled_from([np.float32, np.float64]),
    visible_units=st.sampled_from(["bernoulli", "gaussian"]),
    seed=st.integers(0, 2**16),
)
def test_rbm_transform_shape_dtype_range_deterministic(
    n_samples, n_features, n_components, dtype, visible_units, seed
):
    X = np.random.RandomState(seed).uniform(size=(n_samples, n_features)).astype(dtype)
    rbm = RBMTransformer(
        n_components, n_iter=2, visible_units=visible_units, random_state=seed
    )
    out = check_transform(rbm, X, (n_samples, n_components), dtype)
    assert ((out >= 0) & (out <= 1)).all()  # hidden-unit probabilities


@st.composite
def labelled(draw, *, max_classes=4):
    """Small classification data: blobs, labels as ints or strings, any order."""
    n_classes = draw(st.integers(2, max_classes))
    n_per_class = draw(st.integers(2, 8))
    n_features = draw(st.integers(1, 5))
    rng = np.random.RandomState(draw(st.integers(0, 2**16)))
    codes = rng.permutation(np.repeat(np.arange(n_classes), n_per_class))
    centers = rng.normal(
        scale=draw(st.sampled_from([0.1, 3.0])), size=(n_classes, n_features)
    )
    X = centers[codes] + rng.normal(size=(len(codes), n_features))
    names = draw(
        st.sampled_from(
            [np.array([-3, 7, 11, 100]), np.array(["b", "a", "zz", "c"]), np.arange(4)]
        )
    )
    return X, names[codes]


@FEW
@given(
    data=labelled(),
    per_class=st.integers(1, 3),
    variant=st.sampled_from(["glvq", "grlvq", "gmlvq", "lvq1"]),
)
def test_lvq_transform_shape_dtype_finite_deterministic(data, per_class, variant):
    X, y = data
    lvq = LVQClassifier(variant, per_class, max_iter=2, random_state=0)
    n_prototypes = per_class * len(np.unique(y))
    width = X.shape[1] if variant == "gmlvq" else n_prototypes
    lvq.fit(X, y)
    out = lvq.transform(X)
    assert out.shape == (len(X), width) and out.dtype == np.float64
    assert np.isfinite(out).all()
    np.testing.assert_array_equal(clone(lvq).fit(X, y).transform(X), out)
    if variant != "gmlvq":  # distances
        assert (out >= 0).all()


# -- classifiers ---------------------------------------------------------------------
# 2-D data: tabular rows, or univariate series for the sequence models
CLASSIFIERS = [
    pair
    for pair in cases(tasks={"classifier"})
    if pair[1].kind in ("tabular", "sequences")
]


@pytest.mark.parametrize(("name", "case"), CLASSIFIERS, ids=case_ids(CLASSIFIERS))
@settings(max_examples=8, deadline=None, derandomize=True)
@given(data=labelled(), query=st.integers(0, 2**16))
def test_predictions_are_classes_and_probabilities_sum_to_one(name, case, data, query):
    X, y = data
    model = case.make().fit(X, y)
    # inside and far outside the training data
    X_new = np.random.RandomState(query).normal(scale=10.0, size=(7, X.shape[1]))
    for rows in (X, X_new):
        predicted = model.predict(rows)
        assert set(np.unique(predicted)) <= set(model.classes_)
        assert predicted.dtype == model.classes_.dtype
        proba = model.predict_proba(rows)
        assert proba.shape == (len(rows), len(model.classes_))
        assert ((proba >= 0) & (proba <= 1)).all()
        np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=1e-5)
        # the predicted class is a most probable one
        top = proba[np.arange(len(rows)), np.searchsorted(model.classes_, predicted)]
        np.testing.assert_allclose(top, proba.max(axis=1), rtol=1e-6)


# the text model groups rows by length before shuffling (BucketedBatches)
SHUFFLED = CLASSIFIERS


@pytest.mark.parametrize(("name", "case"), SHUFFLED, ids=case_ids(SHUFFLED))
@settings(max_examples=6, deadline=None, derandomize=True)
@given(seed=st.integers(0, 2**31 - 1), batch_size=st.integers(1, 40))
def test_shuffling_is_the_only_effect_of_the_seed_on_the_data_order(
    name, case, seed, batch_size
):
    """``shuffle=True`` trains on the rows in the seed-derived order, and nothing else.

    Precisely: one epoch with ``shuffle=True`` and ``random_state=seed`` visits
    the rows in the order ``torch.randperm(n, generator=torch.Generator()
    .manual_seed(seed_from_random_state(seed)))`` (skdl's documented per-fit
    seed); the weights are initialised from the same seed, independently of that
    order. So fitting those rows already in that order with ``shuffle=False``
    and the same ``random_state`` must give the same model: bitwise where the
    initialisation ignores the data (MLP, LSTM), to float32 rounding where it
    averages the rows (LVQ's class-mean prototypes sum them in another order).
    One epoch only: later epochs draw new permutations from the same generator.
    """
    X, y = case.data()
    params = {"max_iter": 1, "batch_size": batch_size, "random_state": seed}
    shuffled = case.make(**params, shuffle=True).fit(X, y)
    generator = torch.Generator().manual_seed(seed_from_random_state(seed))
    order = torch.randperm(len(X), generator=generator).numpy()
    ordered = case.make(**params, shuffle=False).fit(X[order], y[order])
    a, b = shuffled.predict_proba(X), ordered.predict_proba(X)
    if name == "LVQClassifier":
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6)
    else:
        np.testing.assert_array_equal(a, b)
    # and the order matters: the reversed order trains another model
    reversed_ = case.make(**params, shuffle=False).fit(X[order[::-1]], y[order[::-1]])
    if batch_size < len(X) and name != "LVQClassifier":
        assert not np.array_equal(reversed_.predict_proba(X), a)
