"""hog, visualize_hog and HOGTransformer: equal to scikit-image, errors, real data."""

import pickle

import cv2
import numpy as np
import pytest
import skimage.feature
import torch
from api_checks import check_estimator_api
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.base import clone
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.svm import SVC

from skdl.feature_extraction import (
    ColorHistogramTransformer,
    HOGTransformer,
    ImageDeskewer,
    hog,
    visualize_hog,
)

BLOCK_NORMS = ["L1", "L1-sqrt", "L2", "L2-Hys"]


def skimage_hog(images, **params):
    """scikit-image's HOG of each image, stacked."""
    channel_axis = -1 if images.ndim == 4 else None
    return np.stack(
        [
            skimage.feature.hog(
                image, channel_axis=channel_axis, feature_vector=True, **params
            )
            for image in images
        ]
    )


def random_images(rng, shape, dtype):
    values = rng.integers(0, 256, size=shape)
    if dtype == np.uint8:
        return values.astype(np.uint8)
    return (values / 255).astype(dtype)


@pytest.mark.parametrize("block_norm", BLOCK_NORMS)
@pytest.mark.parametrize("color", [False, True], ids=["gray", "color"])
@pytest.mark.parametrize("dtype", [np.uint8, np.float32, np.float64])
def test_hog_equals_skimage(block_norm, color, dtype):
    rng = np.random.default_rng(0)
    # odd sizes: pixels right of and below the last whole cell are dropped
    shape = (3, 37, 29, 3) if color else (3, 37, 29)
    images = random_images(rng, shape, dtype)
    params = {
        "orientations": 7,
        "pixels_per_cell": (5, 4),
        "cells_per_block": (3, 2),
        "block_norm": block_norm,
    }
    for transform_sqrt in (False, True):
        ours = hog(images, transform_sqrt=transform_sqrt, **params)
        reference = skimage_hog(images, transform_sqrt=transform_sqrt, **params)
        assert ours.shape == reference.shape
        assert ours.dtype == (np.float64 if dtype == np.float64 else np.float32)
        np.testing.assert_allclose(ours, reference, rtol=0, atol=1e-5)


@pytest.mark.parametrize("dtype", [np.uint8, np.float64])
def test_hog_color_ties_go_to_the_first_channel(dtype):
    # the transposed and the inverted image have gradients of the same magnitude
    # at every pixel (swapped or negated), in other orientations: skimage keeps
    # the first channel of largest magnitude
    rng = np.random.default_rng(6)
    gray = random_images(rng, (3, 24, 24), dtype)
    inverted = (255 if dtype == np.uint8 else 1) - gray
    for channels in [
        (gray, gray.transpose(0, 2, 1)),
        (gray.transpose(0, 2, 1), gray),
        (gray, inverted, gray.transpose(0, 2, 1)),
    ]:
        images = np.ascontiguousarray(np.stack(channels, axis=-1))
        params = {"pixels_per_cell": (4, 4), "cells_per_block": (2, 2)}
        np.testing.assert_allclose(
            hog(images, **params), skimage_hog(images, **params), rtol=0, atol=1e-5
        )


def test_hog_defaults_equal_skimage_on_real_digits(digit_sheet):
    sheet = cv2.imread(str(digit_sheet), cv2.IMREAD_GRAYSCALE)
    # 16 of the 20x20 digits side by side: a 40 x 160 image per row of the grid
    images = sheet[:400].reshape(10, 40, 2000)[:, :, :160]
    ours = hog(images)
    reference = skimage_hog(images)
    np.testing.assert_allclose(ours, reference, rtol=0, atol=1e-5)


@settings(max_examples=30, deadline=None)
@given(
    data=st.data(),
    orientations=st.integers(1, 12),
    cell=st.tuples(st.integers(1, 6), st.integers(1, 6)),
    block=st.tuples(st.integers(1, 3), st.integers(1, 3)),
    channels=st.sampled_from([0, 1, 3]),
    dtype=st.sampled_from([np.uint8, np.float32, np.float64]),
    block_norm=st.sampled_from(BLOCK_NORMS),
    transform_sqrt=st.booleans(),
    seed=st.integers(0, 2**32 - 1),
)
def test_hog_equals_skimage_on_generated_shapes(
    data, orientations, cell, block, channels, dtype, block_norm, transform_sqrt, seed
):
    # images from exactly one block up to two cells and a few pixels more
    height = data.draw(st.integers(cell[0] * block[0], cell[0] * (block[0] + 2) + 3))
    width = data.draw(st.integers(cell[1] * block[1], cell[1] * (block[1] + 2) + 3))
    shape = (2, height, width) + ((channels,) if channels else ())
    images = random_images(np.random.default_rng(seed), shape, dtype)
    params = {
        "orientations": orientations,
        "pixels_per_cell": cell,
        "cells_per_block": block,
        "block_norm": block_norm,
        "transform_sqrt": transform_sqrt,
    }
    ours = hog(images, **params)
    if channels == 1:  # skimage takes one-channel images without the channel axis
        images = images[..., 0]
    reference = skimage_hog(images, **params)
    assert ours.shape == reference.shape
    assert np.abs(ours - reference).max() <= 1e-5


def test_hog_layouts_and_batches_agree():
    rng = np.random.default_rng(1)
    images = random_images(rng, (7, 24, 17, 3), np.uint8)
    params = {"pixels_per_cell": 4, "cells_per_block": 2}
    expected = hog(images, **params)
    flat = images.reshape(7, -1)
    np.testing.assert_array_equal(
        hog(flat, image_shape=(24, 17, 3), **params), expected
    )
    first = np.ascontiguousarray(np.moveaxis(images, -1, 1))
    np.testing.assert_array_equal(
        hog(first, data_format="channels_first", **params), expected
    )
    flat_first = hog(
        first.reshape(7, -1),
        image_shape=(3, 24, 17),
        data_format="channels_first",
        **params,
    )
    np.testing.assert_array_equal(flat_first, expected)
    for batch_size in (1, 3, 100):
        np.testing.assert_array_equal(
            hog(images, batch_size=batch_size, **params), expected
        )
    threads = torch.get_num_threads()
    np.testing.assert_array_equal(hog(images, n_jobs=2, **params), expected)
    assert torch.get_num_threads() == threads


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
@pytest.mark.parametrize("dtype", [np.uint8, np.float32, np.float64])
def test_hog_on_cuda_equals_skimage(dtype):
    rng = np.random.default_rng(5)
    images = random_images(rng, (4, 37, 29, 3), dtype)
    for block_norm in BLOCK_NORMS:
        params = {
            "pixels_per_cell": (4, 4),
            "cells_per_block": (2, 2),
            "block_norm": block_norm,
        }
        ours = hog(images, device="cuda", **params)
        np.testing.assert_allclose(
            ours, skimage_hog(images, **params), rtol=0, atol=1e-5
        )


def test_the_gpus_histograms_add_the_votes_that_bincount_adds():
    """The GPU path's one-hot sums (repeatable, unlike a GPU's atomic bincount)
    give each cell's histogram, checked here on the CPU."""
    from skdl.feature_extraction._hog import _HOGParams, _summed_votes

    params = _HOGParams.from_arguments(9, (4, 3), (2, 2), "L2-Hys", False)
    n, cells_row, cells_col = 3, 5, 4
    rng = np.random.default_rng(0)
    bins = rng.integers(0, 9, size=(n, cells_row * 4, cells_col * 3))
    magnitude = rng.uniform(size=bins.shape)
    expected = np.zeros((n, cells_row, cells_col, 9))
    i, r, c = np.indices(bins.shape)
    np.add.at(expected, (i, r // 4, c // 3, bins), magnitude)
    ours = _summed_votes(
        torch.from_numpy(bins).view(-1),
        torch.from_numpy(magnitude).view(-1),
        (n, cells_row, cells_col),
        params,
    )
    np.testing.assert_allclose(ours.numpy(), expected, rtol=1e-12)


def test_hog_too_small_images_name_the_minimum_size():
    images = np.zeros((2, 20, 30))
    with pytest.raises(ValueError, match="at least 24 rows and 16 cols"):
        hog(images, pixels_per_cell=(8, 4), cells_per_block=(3, 4))
    # scikit-image refuses the same images
    with pytest.raises(ValueError, match="too small"):
        skimage.feature.hog(images[0], pixels_per_cell=(8, 4), cells_per_block=(3, 4))
    with pytest.raises(ValueError, match=r"HOGTransformer.*at least 24 rows"):
        HOGTransformer().fit(images)


def test_hog_bad_input_errors():
    with pytest.raises(ValueError, match=r"negative values.*transform_sqrt"):
        hog(np.full((1, 16, 16), -0.5), pixels_per_cell=4, transform_sqrt=True)
    with pytest.raises(ValueError, match="NaN"):
        hog(np.full((1, 16, 16), np.nan), pixels_per_cell=4)
    with pytest.raises(ValueError, match=r"image_shape=.*needs 256 features"):
        hog(np.zeros((2, 255)), image_shape=(16, 16), pixels_per_cell=4)
    with pytest.raises(ValueError, match="pixels_per_cell must be"):
        hog(np.zeros((1, 16, 16)), pixels_per_cell=(4, 4, 4))
    with pytest.raises(ValueError, match="block_norm"):
        hog(np.zeros((1, 16, 16)), block_norm="L3")
    # the message names the image_shape given (the transformer's default: None)
    with pytest.raises(ValueError, match=r"so image_shape=None \(square grayscale"):
        HOGTransformer().fit(np.zeros((2, 63)))
    with pytest.raises(ValueError, match=r"so image_shape='auto' \(square"):
        hog(np.zeros((2, 63)), image_shape="auto")


@pytest.mark.parametrize("color", [False, True], ids=["gray", "color"])
def test_visualize_hog_equals_skimage_hog_image(color):
    rng = np.random.default_rng(2)
    images = rng.random((2, 37, 29, 3) if color else (2, 37, 29)).astype(np.float32)
    ours = visualize_hog(images, orientations=7, pixels_per_cell=(6, 5))
    assert ours.shape == (2, 37, 29)
    for image, glyphs in zip(images, ours, strict=True):
        _, reference = skimage.feature.hog(
            image,
            orientations=7,
            pixels_per_cell=(6, 5),
            cells_per_block=(1, 1),
            visualize=True,
            channel_axis=-1 if color else None,
        )
        np.testing.assert_allclose(glyphs, reference, rtol=0, atol=1e-5)
    with pytest.raises(ValueError, match="at least 2 x 2 pixels"):
        visualize_hog(images, pixels_per_cell=1)


def test_hog_transformer_contract_and_shape_check():
    rng = np.random.default_rng(3)
    images = random_images(rng, (6, 20, 20), np.uint8)
    transformer = HOGTransformer(pixels_per_cell=5, cells_per_block=2)
    fitted = check_estimator_api(transformer, images, None)
    assert fitted.image_shape_ == (20, 20, 1)
    assert fitted.n_features_in_ == 400
    features = fitted.transform(images)
    np.testing.assert_array_equal(
        features, hog(images, pixels_per_cell=5, cells_per_block=2)
    )
    names = fitted.get_feature_names_out()
    assert len(names) == features.shape[1] == 324
    assert names[0] == "hogtransformer0"
    with pytest.raises(ValueError, match=r"fitted on images of shape \(20, 20, 1\)"):
        fitted.transform(random_images(rng, (2, 24, 20), np.uint8))
    restored = pickle.loads(pickle.dumps(clone(transformer).fit(images)))
    np.testing.assert_array_equal(restored.transform(images), features)


@pytest.mark.slow
def test_hog_svc_on_the_opencv_digit_sheet(digit_sheet):
    sheet = cv2.imread(str(digit_sheet), cv2.IMREAD_GRAYSCALE)
    images = sheet.reshape(50, 20, 100, 20).transpose(0, 2, 1, 3).reshape(-1, 20, 20)
    labels = np.repeat(np.arange(10), 500)
    X_train, X_test, y_train, y_test = train_test_split(
        images, labels, test_size=0.5, stratify=labels, random_state=0
    )
    hog_svc = make_pipeline(HOGTransformer(pixels_per_cell=5, cells_per_block=2), SVC())
    hog_accuracy = hog_svc.fit(X_train, y_train).score(X_test, y_test)
    assert hog_accuracy >= 0.96
    deskewed = make_pipeline(ImageDeskewer(), clone(hog_svc))
    assert deskewed.fit(X_train, y_train).score(X_test, y_test) >= hog_accuracy
    # the intensity histogram ignores where the ink is: far lower
    histogram_svc = make_pipeline(
        ColorHistogramTransformer(bins=16, color_space="gray"), SVC()
    )
    assert histogram_svc.fit(X_train, y_train).score(X_test, y_test) < 0.5


@pytest.mark.parametrize("dtype", [">f8", ">f4", ">u2", ">i4", np.longdouble])
def test_hog_takes_byte_swapped_and_long_double_images(dtype):
    rng = np.random.default_rng(0)
    values = rng.integers(0, 256, size=(2, 16, 16))
    images = values.astype(dtype)
    native = values.astype(
        np.float64 if images.dtype == np.longdouble else images.dtype.newbyteorder("=")
    )
    params = {"pixels_per_cell": 4, "cells_per_block": 2}
    expected = hog(native, **params)
    got = hog(images, **params)
    assert got.dtype == expected.dtype
    np.testing.assert_array_equal(got, expected)
    np.testing.assert_array_equal(
        HOGTransformer(**params).fit_transform(images), expected
    )
    np.testing.assert_array_equal(
        visualize_hog(images, pixels_per_cell=4),
        visualize_hog(native, pixels_per_cell=4),
    )


def test_hog_refuses_parameters_that_give_too_many_values():
    images = np.zeros((1, 16, 16), dtype=np.uint8)
    with pytest.raises(ValueError, match="hog would compute 16,000,000,000 values"):
        hog(images, orientations=10**9, pixels_per_cell=4, cells_per_block=2)
    with pytest.raises(ValueError, match="Lower orientations"):
        HOGTransformer(orientations=10**9, pixels_per_cell=4).fit(images)
    with pytest.raises(ValueError, match="visualize_hog would compute"):
        visualize_hog(images, orientations=10**9, pixels_per_cell=4)
    # large but reasonable values work
    features = hog(images, orientations=10**4, pixels_per_cell=4, cells_per_block=2)
    assert features.shape == (1, 9 * 4 * 10**4)
    assert visualize_hog(images, orientations=10**4, pixels_per_cell=4).shape == (
        1,
        16,
        16,
    )
