"""color_histogram and ColorHistogramTransformer: the counts of cv2.calcHist."""

import cv2
import numpy as np
import pytest
from api_checks import check_estimator_api

from skdl.feature_extraction import ColorHistogramTransformer, color_histogram

CONVERSIONS = {
    "rgb": None,
    "hsv": cv2.COLOR_RGB2HSV,
    "lab": cv2.COLOR_RGB2Lab,
    "gray": cv2.COLOR_RGB2GRAY,
}
# the value range of each color space as documented in color_histogram
RANGES_8BIT = {
    "rgb": [(0, 256)] * 3,
    "hsv": [(0, 180), (0, 256), (0, 256)],
    "lab": [(0, 256)] * 3,
    "gray": [(0, 256)],
}


def calc_hist(images, color_space, bins, ranges, joint):
    """``cv2.calcHist`` of each image after ``cv2.cvtColor``, as a float array."""
    out = []
    for image in images:
        code = CONVERSIONS[color_space]
        if code is not None and image.shape[-1] == 3:
            image = cv2.cvtColor(image, code)
        image = image.reshape(*image.shape[:2], -1)
        if joint:
            flat_ranges = [v for pair in ranges for v in pair]
            hist = cv2.calcHist(
                [image], list(range(len(bins))), None, list(bins), flat_ranges
            ).ravel()
        else:
            hist = np.concatenate(
                [
                    cv2.calcHist([image], [c], None, [b], list(r)).ravel()
                    for c, (b, r) in enumerate(zip(bins, ranges, strict=True))
                ]
            )
        out.append(hist)
    return np.array(out)


# small images are counted in one batch, large ones (1024 pixels and more) by
# cv2.calcHist image by image
SIZES = pytest.mark.parametrize("size", [(13, 11), (40, 33)], ids=["small", "large"])


@SIZES
@pytest.mark.parametrize("color_space", ["rgb", "hsv", "lab", "gray"])
@pytest.mark.parametrize("joint", [True, False], ids=["joint", "per-channel"])
def test_counts_equal_calc_hist_8bit(color_space, joint, size):
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, size=(6, *size, 3), dtype=np.uint8)
    bins = (7,) if color_space == "gray" else (6, 4, 5)
    ours = color_histogram(
        images, bins=bins, color_space=color_space, joint=joint, normalize=None
    )
    reference = calc_hist(images, color_space, bins, RANGES_8BIT[color_space], joint)
    np.testing.assert_array_equal(ours, reference)
    assert ours.dtype == np.float32
    n_pixels = size[0] * size[1]
    assert ours.sum(axis=1).tolist() == [n_pixels * (1 if joint else len(bins))] * 6


@pytest.mark.parametrize("joint", [True, False], ids=["joint", "per-channel"])
def test_explicit_ranges_drop_values_outside_as_calc_hist(joint):
    rng = np.random.default_rng(1)
    images = rng.integers(0, 256, size=(4, 9, 10, 3), dtype=np.uint8)
    ranges = [(10, 200), (0, 128), (37.5, 255.5)]
    ours = color_histogram(
        images, bins=(5, 3, 4), joint=joint, ranges=ranges, normalize=None
    )
    reference = calc_hist(images, "rgb", (5, 3, 4), ranges, joint)
    np.testing.assert_array_equal(ours, reference)
    # fewer pixels are counted than the image holds
    assert ours.sum(axis=1).max() < 90 * (1 if joint else 3)


@SIZES
@pytest.mark.parametrize("color_space", ["rgb", "hsv", "lab", "gray"])
def test_float_images_in_unit_range(color_space, size):
    rng = np.random.default_rng(2)
    images = rng.random((5, *size, 3), dtype=np.float32)
    images[0, 0, 0] = 1.0  # the top of the range is counted
    images[0, 0, 1] = 0.0
    ours = color_histogram(images, bins=4, color_space=color_space, normalize=None)
    float_ranges = {
        "rgb": [(0, 1.0000001)] * 3,
        "hsv": [(0, 360), (0, 1.0000001), (0, 1.0000001)],
        "lab": [(0, 100.00001), (-127, 127.00001), (-127, 127.00001)],
        "gray": [(0, 1.0000001)],
    }[color_space]
    bins = (4,) * len(float_ranges)
    reference = calc_hist(images, color_space, bins, float_ranges, True)
    np.testing.assert_array_equal(ours, reference)
    assert ours.sum(axis=1).tolist() == [size[0] * size[1]] * 5
    # 8-bit images and the same values as floats / 255 give the same RGB counts
    as_uint8 = rng.integers(0, 256, size=(3, 8, 8, 3), dtype=np.uint8)
    np.testing.assert_array_equal(
        color_histogram(as_uint8 / 255, bins=4),
        color_histogram(as_uint8, bins=4),
    )


def test_normalization_and_layouts():
    rng = np.random.default_rng(3)
    images = rng.integers(0, 256, size=(4, 10, 10, 3), dtype=np.uint8)
    counts = color_histogram(images, bins=3, normalize=None)
    l1 = color_histogram(images, bins=3)
    l2 = color_histogram(images, bins=3, normalize="l2")
    np.testing.assert_allclose(l1, counts / 100, rtol=1e-6)
    np.testing.assert_allclose(np.linalg.norm(l2, axis=1), 1, rtol=1e-6)
    flat = images.reshape(4, -1)
    np.testing.assert_array_equal(
        color_histogram(flat, bins=3, image_shape=(10, 10, 3)), l1
    )
    first = np.moveaxis(images, -1, 1)
    np.testing.assert_array_equal(
        color_histogram(first, bins=3, data_format="channels_first"), l1
    )
    # grayscale color_space takes one-channel images as they are
    gray = images[..., 0]
    np.testing.assert_array_equal(
        color_histogram(gray, bins=8, color_space="gray", normalize=None),
        calc_hist(gray[..., None], "gray", (8,), [(0, 256)], True),
    )


def test_errors_say_what_to_change():
    rgb = np.zeros((2, 8, 8, 3), dtype=np.uint8)
    with pytest.raises(ValueError, match="needs images with 3 channels; got 1"):
        color_histogram(np.zeros((2, 8, 8), dtype=np.uint8), color_space="hsv")
    with pytest.raises(ValueError, match="3 positive ints"):
        color_histogram(rgb, bins=(4, 4))
    with pytest.raises(ValueError, match="ranges must be a pair"):
        color_histogram(rgb, ranges=[(0, 256), (0, 256)])
    with pytest.raises(ValueError, match="low < high"):
        color_histogram(rgb, ranges=(5, 5))
    with pytest.raises(
        ValueError, match="8-bit values 0-255; got values from 1000 to 1000"
    ):
        color_histogram(np.full((1, 4, 4, 3), 1000), bins=2)
    with pytest.raises(ValueError, match=r"floats? .*\[0, 1\].*set ranges"):
        color_histogram(np.full((1, 4, 4, 3), 3.0), bins=2)
    with pytest.raises(ValueError, match="color_space"):
        color_histogram(rgb, color_space="yuv")


@pytest.mark.parametrize(
    "ranges, message",
    [
        ((16777216, 16777217), r"become \(16777216.0, 16777216.0\) in float32"),
        ((0.5, 0.5 + 1e-12), r"become \(0.5, 0.5\) in float32"),
        ((0, 1e-46), r"become \(0.0, 0.0\) in float32"),
        ([(0, 1), (0, 1), (1, 1 + 1e-9)], "hold no value. Widen the range"),
        ((0, 1e39), "beyond float32's range"),
    ],
)
def test_ranges_that_collapse_in_float32_are_refused_at_fit(ranges, message):
    images = np.random.default_rng(0).random((2, 4, 4, 3))
    with pytest.raises(ValueError, match=message):
        color_histogram(images, ranges=ranges)
    transformer = ColorHistogramTransformer(color_space="rgb", ranges=ranges)
    with pytest.raises(ValueError, match=message):
        transformer.fit(images)
    # a range that float32 still tells apart works
    assert color_histogram(images, ranges=(0, 1e-40), normalize=None).sum() == 0


def test_transformer_refuses_out_of_range_values_at_fit():
    # fit checks what transform would refuse, so a pipeline fails at once
    transformer = ColorHistogramTransformer(bins=2)
    with pytest.raises(ValueError, match=r"float images as values in \[0, 1\]"):
        transformer.fit(np.full((1, 4, 4, 3), 255.0))
    assert not hasattr(transformer, "image_shape_")
    ranged = ColorHistogramTransformer(bins=2, color_space="rgb", ranges=(0, 256))
    assert ranged.fit(np.full((1, 4, 4, 3), 255.0)).transform(
        np.full((1, 4, 4, 3), 255.0)
    ).shape == (1, 8)


def test_transformer_contract():
    rng = np.random.default_rng(4)
    images = rng.integers(0, 256, size=(5, 9, 9, 3), dtype=np.uint8)
    transformer = ColorHistogramTransformer(bins=(4, 3, 2), color_space="hsv")
    fitted = check_estimator_api(transformer, images, None)
    features = fitted.transform(images)
    assert features.shape == (5, 24)
    np.testing.assert_array_equal(
        features, color_histogram(images, bins=(4, 3, 2), color_space="hsv")
    )
    assert fitted.get_feature_names_out().shape == (24,)
    with pytest.raises(ValueError, match=r"fitted on images of shape \(9, 9, 3\)"):
        fitted.transform(images[:, :8])


def test_bins_that_give_too_many_values_are_refused():
    rgb = np.zeros((1, 4, 4, 3), dtype=np.uint8)
    with pytest.raises(ValueError, match=r"joint bins\), more than .*set joint=False"):
        color_histogram(rgb, bins=10**9)
    with pytest.raises(
        ValueError, match=r"ColorHistogramTransformer would .*Lower bins"
    ):
        ColorHistogramTransformer(bins=10**9, joint=False).fit(rgb)
    # large but reasonable values work
    hist = color_histogram(rgb, bins=(10**6, 2, 2), normalize=None)
    assert hist.shape == (1, 4 * 10**6) and hist.sum() == 16


def test_histograms_wider_than_the_8_bit_color_cube_are_refused():
    # 1290 ** 3 bins (8 GiB per image) used to be computed; the limit is the
    # 256 x 256 x 256 histogram, one bin per 8-bit color
    rgb = np.zeros((1, 4, 4, 3), dtype=np.uint8)
    with pytest.raises(
        ValueError,
        match=r"color_histogram would compute 2,146,689,000 values per image "
        r"\(1290 x 1290 x 1290 joint bins\), more than the 16,777,216 of the joint "
        r"256 x 256 x 256 histogram of 8-bit colors\. Lower bins, or set "
        r"joint=False \(one histogram per channel\)\.",
    ):
        color_histogram(rgb, bins=1290)
    with pytest.raises(ValueError, match=r"16,842,752 values per image"):
        ColorHistogramTransformer(bins=(257, 256, 256)).fit(rgb)
    with pytest.raises(ValueError, match=r"\(16777215 \+ 1 \+ 2 bins\)"):
        color_histogram(rgb, bins=(2**24 - 1, 1, 2), joint=False)
    hist = color_histogram(rgb, bins=256, normalize=None)  # the limit itself
    assert hist.shape == (1, 256**3) and hist[0, 0] == 16
