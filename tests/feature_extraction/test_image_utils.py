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


@pytest.mark.parametrize(
    "transformer, change",
    [
        (ImageResizer(4), {"size": 6}),
        (ImageResizer(4), {"interpolation": "linear"}),
        (HOGTransformer(pixels_per_cell=4, cells_per_block=2), {"pixels_per_cell": 2}),
        (GrayscaleConverter(), {"image_shape": (16, 16)}),
    ],
    ids=lambda p: str(p),
)
def test_set_params_after_fit_asks_for_a_refit(transformer, change):
    # the output would no longer match get_feature_names_out, nor what a
    # downstream model was fitted on
    images = np.random.default_rng(0).integers(0, 256, (3, 16, 16), dtype=np.uint8)
    fitted = transformer.fit(images)
    expected = fitted.transform(images)
    original = {key: fitted.get_params()[key] for key in change}
    fitted.set_params(**change)
    (key,) = change
    with pytest.raises(ValueError, match=f"changed since fit \\({key}: .*fit again"):
        fitted.transform(images)
    fitted.set_params(**original)  # set back: the fitted features again
    np.testing.assert_array_equal(fitted.transform(images), expected)
    refitted = fitted.set_params(**change).fit(images)
    assert refitted.transform(images).shape[0] == 3


def test_run_params_may_change_after_fit():
    images = np.random.default_rng(0).integers(0, 256, (3, 16, 16), dtype=np.uint8)
    hog = HOGTransformer(pixels_per_cell=4, cells_per_block=2).fit(images)
    expected = hog.transform(images)
    hog.set_params(batch_size=1, n_jobs=1, device="cpu")
    np.testing.assert_array_equal(hog.transform(images), expected)


@pytest.mark.parametrize("output", ["pandas", "polars"])
def test_set_output_wraps_flat_rows_and_leaves_images(output):
    pytest.importorskip(output)
    images = np.random.default_rng(0).integers(0, 256, (3, 16, 16), dtype=np.uint8)
    for transformer in (ImageResizer(8), GrayscaleConverter(), ImageDeskewer()):
        transformer.set_output(transform=output)
        # images have no columns: an ndarray in the layout of the input
        out = transformer.fit_transform(images)
        assert isinstance(out, np.ndarray) and out.ndim == 3
        assert isinstance(transformer.transform(images), np.ndarray)
        # flat rows become a DataFrame with the names of get_feature_names_out
        flat = transformer.fit_transform(images.reshape(3, -1))
        assert type(flat).__module__.startswith(output)
        assert list(flat.columns) == list(transformer.get_feature_names_out())
    model = make_pipeline(
        ImageResizer(8), HOGTransformer(pixels_per_cell=4, cells_per_block=2)
    ).set_output(transform=output)
    features = model.fit_transform(images)
    assert features.shape == (3, 36)
    assert list(features.columns) == list(model.get_feature_names_out())
    np.testing.assert_allclose(
        np.asarray(features), model.set_output(transform="default").transform(images)
    )


def test_global_pandas_output_with_images():
    import sklearn

    pytest.importorskip("pandas")
    images = np.random.default_rng(0).integers(0, 256, (3, 16, 16), dtype=np.uint8)
    with sklearn.config_context(transform_output="pandas"):
        resized = ImageResizer(8).fit_transform(images)
        features = make_pipeline(
            ImageResizer(8), HOGTransformer(pixels_per_cell=4, cells_per_block=2)
        ).fit_transform(images)
    assert isinstance(resized, np.ndarray) and resized.shape == (3, 8, 8)
    assert features.shape == (3, 36) and hasattr(features, "columns")


@pytest.mark.filterwarnings("ignore:ImageResizer reads images of")
@pytest.mark.parametrize("interpolation", ["linear", "nearest", "cubic", "lanczos"])
@pytest.mark.parametrize("dtype", [np.uint8, np.float32])
def test_resizer_takes_more_channels_than_opencv_arrays_hold(interpolation, dtype):
    # OpenCV's arrays hold at most 128 channels: resized in groups of 128
    rng = np.random.default_rng(5)
    images = (rng.random((2, 7, 9, 300)) * 255).astype(dtype)
    out = ImageResizer((4, 5), interpolation=interpolation).fit_transform(images)
    assert out.shape == (2, 4, 5, 300) and out.dtype == dtype
    flag = {"linear": 1, "nearest": 0, "cubic": 2, "lanczos": 4}[interpolation]
    alone = np.stack(
        [
            np.stack(
                [
                    cv2.resize(
                        np.ascontiguousarray(image[..., c]), (5, 4), None, 0, 0, flag
                    )
                    for c in range(300)
                ],
                axis=-1,
            )
            for image in images
        ]
    )
    # cv2.resize rounds differently with the channel count: within a level
    np.testing.assert_allclose(out.astype(np.float64), alone, rtol=0, atol=1)
    if interpolation == "nearest":
        np.testing.assert_array_equal(out, alone)
    # each group of 128 channels is what cv2.resize gives it
    group = np.ascontiguousarray(images[0, ..., 128:256])
    np.testing.assert_array_equal(
        out[0, ..., 128:256], cv2.resize(group, (5, 4), interpolation=flag)
    )


def test_deskewer_takes_images_taller_than_remap_does(monkeypatch):
    from skdl.feature_extraction import _image_utils

    rng = np.random.default_rng(6)
    # rows are independent: calls on parts of an image give the whole's result
    images = rng.random((3, 12, 10)).astype(np.float32)
    expected = ImageDeskewer().fit_transform(images)
    monkeypatch.setattr(_image_utils, "_MAX_ROWS", 5)
    np.testing.assert_array_equal(ImageDeskewer().fit_transform(images), expected)
    monkeypatch.undo()
    # cv2.remap takes fewer than 32767 rows
    tall = rng.random((1, 33000, 3)).astype(np.float32)
    out = ImageDeskewer().fit_transform(tall)
    monkeypatch.setattr(_image_utils, "_MAX_ROWS", 1000)
    np.testing.assert_array_equal(ImageDeskewer().fit_transform(tall), out)
    assert out.shape == tall.shape and np.abs(out - tall).max() > 0
    # and fewer than 32767 columns: wider images are refused at fit
    with pytest.raises(ValueError, match=r"at most 32766 columns.*33000 pixels wide"):
        ImageDeskewer().fit(np.zeros((1, 2, 33000), np.float32))
