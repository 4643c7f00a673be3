"""ImageResizer, GrayscaleConverter, ImageDeskewer: OpenCV's results, layouts kept."""

import cv2
import numpy as np
import pytest
from api_checks import check_estimator_api
from sklearn.pipeline import make_pipeline

from skdl.feature_extraction import (
    GrayscaleConverter,
    HOGTransformer,
    ImageDeskewer,
    ImageResizer,
)


@pytest.mark.parametrize("interpolation", ["area", "linear", "nearest", "cubic"])
@pytest.mark.parametrize("channels", [1, 3])
def test_resizer_equals_cv2_resize(interpolation, channels):
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, size=(4, 21, 17, channels), dtype=np.uint8)
    resized = ImageResizer((10, 13), interpolation=interpolation).fit_transform(images)
    assert resized.shape == (4, 10, 13, channels)
    assert resized.dtype == np.uint8
    flag = {
        "area": cv2.INTER_AREA,
        "linear": cv2.INTER_LINEAR,
        "nearest": cv2.INTER_NEAREST,
        "cubic": cv2.INTER_CUBIC,
    }[interpolation]
    for image, out in zip(images, resized, strict=True):
        expected = cv2.resize(image, (13, 10), interpolation=flag)
        np.testing.assert_array_equal(out, expected.reshape(10, 13, channels))


def test_resizer_keeps_the_layout():
    rng = np.random.default_rng(1)
    images = rng.random((3, 12, 12, 3)).astype(np.float32)
    expected = ImageResizer(6).fit_transform(images)
    flat = ImageResizer(6, image_shape=(12, 12, 3)).fit_transform(images.reshape(3, -1))
    np.testing.assert_array_equal(flat, expected.reshape(3, -1))
    first = ImageResizer(6, data_format="channels_first").fit_transform(
        np.moveaxis(images, -1, 1)
    )
    np.testing.assert_array_equal(first, np.moveaxis(expected, -1, 1))
    gray = ImageResizer(6).fit_transform(images[..., 0])
    assert gray.shape == (3, 6, 6)
    # float64 and int images: dtype kept, or float32 for what OpenCV lacks
    assert ImageResizer(6).fit_transform(images.astype(np.float64)).dtype == np.float64
    assert ImageResizer(6).fit_transform(images.astype(np.int32)).dtype == np.float32
    with pytest.raises(ValueError, match="size must be a positive int or a pair"):
        ImageResizer((6, 6, 6)).fit(images)


def test_grayscale_converter_equals_cvt_color():
    rng = np.random.default_rng(2)
    rgb = rng.integers(0, 256, size=(3, 9, 7, 3), dtype=np.uint8)
    gray = GrayscaleConverter().fit_transform(rgb)
    assert gray.shape == (3, 9, 7, 1)
    for image, out in zip(rgb, gray, strict=True):
        np.testing.assert_array_equal(
            out[..., 0], cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)
        )
    rgba = np.concatenate([rgb, np.full((3, 9, 7, 1), 7, np.uint8)], axis=-1)
    np.testing.assert_array_equal(GrayscaleConverter().fit_transform(rgba), gray)
    # flat rows stay flat rows, grayscale passes through
    flat = GrayscaleConverter(image_shape=(9, 7, 3)).fit_transform(rgb.reshape(3, -1))
    np.testing.assert_array_equal(flat, gray.reshape(3, -1))
    np.testing.assert_array_equal(
        GrayscaleConverter().fit_transform(gray[..., 0]), gray[..., 0]
    )
    with pytest.raises(ValueError, match="needs images with 1 or 3 or 4 channels"):
        GrayscaleConverter().fit(np.zeros((2, 4, 4, 2)))


def opencv_sample_deskew(image):
    """The deskew of OpenCV's samples/python/digits.py, for one square image."""
    moments = cv2.moments(image)
    if abs(moments["mu02"]) < 1e-2:
        return image.copy()
    skew = moments["mu11"] / moments["mu02"]
    size = image.shape[0]
    shear = np.float32([[1, skew, -0.5 * size * skew], [0, 1, 0]])
    flags = cv2.WARP_INVERSE_MAP | cv2.INTER_LINEAR
    return cv2.warpAffine(image, shear, (size, size), flags=flags)


def test_deskewer_matches_the_opencv_sample(digit_sheet):
    sheet = cv2.imread(str(digit_sheet), cv2.IMREAD_GRAYSCALE)
    images = sheet[:100].reshape(5, 20, 100, 20).transpose(0, 2, 1, 3)
    images = images.reshape(-1, 20, 20)[::5]
    ours = ImageDeskewer().fit_transform(images)
    assert ours.dtype == np.uint8
    reference = np.stack([opencv_sample_deskew(image) for image in images])
    np.testing.assert_array_equal(ours, reference)
    floats = images.astype(np.float32)
    reference = np.stack([opencv_sample_deskew(image) for image in floats])
    # warpAffine's fixed-point coordinates against remap's float maps
    np.testing.assert_allclose(
        ImageDeskewer().fit_transform(floats), reference, atol=1e-2
    )
    # a slanted stroke becomes upright; a blank image stays blank
    slanted = np.zeros((2, 12, 12), dtype=np.float32)
    for row in range(12):
        slanted[0, row, 11 - row] = 1
    upright = ImageDeskewer().fit_transform(slanted)
    assert np.count_nonzero(upright[0].max(axis=0) > 0.5) <= 2
    np.testing.assert_array_equal(upright[1], 0)
    with pytest.raises(ValueError, match="needs images with 1 channel; got 3"):
        ImageDeskewer().fit(np.zeros((2, 8, 8, 3)))


@pytest.mark.parametrize(
    "transformer",
    [ImageResizer(5), GrayscaleConverter(), ImageDeskewer()],
    ids=lambda t: type(t).__name__,
)
def test_contract(transformer):
    rng = np.random.default_rng(3)
    channels = 1 if isinstance(transformer, ImageDeskewer) else 3
    images = rng.integers(0, 256, size=(4, 10, 10, channels), dtype=np.uint8)
    fitted = check_estimator_api(transformer, images, None)
    with pytest.raises(ValueError, match=r"fitted on images of shape \(10, 10"):
        fitted.transform(images[:, :9])


def test_pipeline_resize_gray_hog():
    rng = np.random.default_rng(4)
    images = rng.integers(0, 256, size=(3, 40, 30, 3), dtype=np.uint8)
    model = make_pipeline(
        ImageResizer((24, 16)),
        GrayscaleConverter(),
        HOGTransformer(pixels_per_cell=4, cells_per_block=2),
    )
    assert model.fit_transform(images).shape == (3, 5 * 3 * 4 * 9)
