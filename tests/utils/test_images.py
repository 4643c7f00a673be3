import numpy as np
import pytest
import scipy.sparse as sp
import torch
from sklearn.base import clone

from skdl import CNNClassifier
from skdl.feature_extraction import HOGTransformer
from skdl.utils import check_images


def test_every_layout_becomes_channels_last():
    rgb = np.arange(2 * 4 * 5 * 3, dtype=np.uint8).reshape(2, 4, 5, 3)
    assert check_images(rgb) is not None
    np.testing.assert_array_equal(check_images(rgb), rgb)
    first = np.moveaxis(rgb, -1, 1)
    np.testing.assert_array_equal(
        check_images(first, data_format="channels_first"), rgb
    )
    np.testing.assert_array_equal(
        check_images(rgb.reshape(2, -1), image_shape=(4, 5, 3)), rgb
    )
    np.testing.assert_array_equal(
        check_images(
            first.reshape(2, -1), image_shape=(3, 4, 5), data_format="channels_first"
        ),
        rgb,
    )
    gray = rgb[..., 0]
    np.testing.assert_array_equal(check_images(gray), gray[..., None])
    square = np.zeros((3, 64))
    assert check_images(square, image_shape="auto").shape == (3, 8, 8, 1)
    assert check_images(square).dtype == square.dtype


@pytest.mark.parametrize(
    "X, kwargs, error, message",
    [
        (np.zeros((2, 63)), {}, ValueError, "not a square grayscale image"),
        (
            np.zeros((2, 63)),
            {"image_shape": (8, 8)},
            ValueError,
            r"image_shape=\(8, 8\) needs 64 features per row, got 63",
        ),
        (np.zeros((2, 64)), {"image_shape": (8, -8)}, ValueError, "positive ints"),
        (np.zeros((2, 3, 3, 3, 3)), {}, ValueError, "got an array with shape"),
        (np.zeros((0, 8, 8)), {}, ValueError, "got 0 images"),
        (np.full((1, 4, 4), np.nan), {}, ValueError, "contains NaN"),
        (np.array([["a"]]), {}, TypeError, "numeric images"),
        (sp.csr_matrix(np.zeros((2, 4))), {}, TypeError, "sparse"),
        (np.zeros((2, 4, 4)), {"data_format": "nhwc"}, ValueError, "data_format"),
        (np.zeros((2, 4)), {"image_shape": 2}, ValueError, "image_shape must be"),
        (np.zeros((2, 4)), {"image_shape": "2x2"}, ValueError, "image_shape must be"),
        (
            np.zeros((2, 4)),
            {"image_shape": (True, 4)},
            ValueError,
            "image_shape must be .* positive ints",
        ),
        (
            torch.zeros(2, 4, 4, requires_grad=True),
            {},
            TypeError,
            r"tensor that requires grad.*X\.detach\(\)",
        ),
    ],
)
def test_bad_images_say_what_to_change(X, kwargs, error, message):
    with pytest.raises(error, match=message):
        check_images(X, **kwargs)


def test_channels_and_expected_shape():
    rgb = np.zeros((2, 4, 5, 3))
    assert check_images(rgb, channels=(1, 3)).shape == (2, 4, 5, 3)
    assert check_images(rgb, expected_shape=(4, 5, 3)).shape == (2, 4, 5, 3)
    with pytest.raises(ValueError, match="needs images with 1 or 4 channels; got 3"):
        check_images(rgb, channels=(1, 4))
    with pytest.raises(
        ValueError, match=r"fitted on images of shape \(4, 4, 3\).*got images of "
    ):
        check_images(rgb, expected_shape=(4, 4, 3), owner="HOGTransformer")
    # reported in the layout the images came in
    with pytest.raises(
        ValueError,
        match=r"shape \(3, 4, 4\) \(channels, height, width\); got images of "
        r"shape \(3, 4, 5\)",
    ):
        check_images(
            np.moveaxis(rgb, -1, 1),
            data_format="channels_first",
            expected_shape=(4, 4, 3),
        )


def test_bool_images_are_read_as_zero_and_full_intensity():
    """True is full intensity, as 1.0 in a float image, not 1 of 255."""
    mask = np.zeros((2, 4, 4), dtype=bool)
    mask[:, :2] = True
    images = check_images(mask)
    assert images.dtype == np.float32
    np.testing.assert_array_equal(images[..., 0], mask.astype(np.float32))
    from skdl import ColorHistogramTransformer

    counts = ColorHistogramTransformer(bins=4, color_space="gray").fit_transform(mask)
    np.testing.assert_array_equal(counts, [[0.5, 0, 0, 0.5]] * 2)


@pytest.mark.parametrize(
    ("shape", "data_format", "advice"),
    [
        ((2, 3, 16, 16), "channels_last", "channels_first"),
        ((2, 16, 16, 3), "channels_first", "channels_last"),
    ],
)
def test_channels_that_look_like_a_side_are_a_warning(shape, data_format, advice):
    with pytest.warns(UserWarning, match=f"set data_format='{advice}'"):
        check_images(np.zeros(shape), data_format=data_format)


@pytest.mark.filterwarnings("error")
def test_images_with_few_channels_or_many_pixels_read_silently():
    check_images(np.zeros((2, 16, 16, 3)))
    check_images(np.zeros((2, 8, 8, 10)))  # e.g. ten spectral bands
    check_images(np.zeros((2, 3, 16, 16)), data_format="channels_first")


@pytest.mark.parametrize(
    ("image_shape", "data_format", "shape", "ok"),
    [
        ((8, 8), "channels_last", (4, 8, 8), True),
        ((8, 8, 1), "channels_last", (4, 8, 8), True),
        ((8, 8, 3), "channels_last", (4, 8, 8, 3), True),
        ((3, 8, -1), "channels_first", (4, 3, 8, 8), True),
        ((4, 16), "channels_last", (4, 8, 8), False),
        ((2, 2, 48), "channels_last", (4, 8, 8, 3), False),
        ((8, 8), "channels_last", (4, 8, 8, 3), False),
    ],
)
def test_image_shape_must_describe_images_given_whole(
    image_shape, data_format, shape, ok
):
    from skdl import CNNClassifier, GANSampler, HOGTransformer

    X, y = np.zeros(shape), np.arange(shape[0]) % 2
    if ok:
        assert (
            check_images(X, image_shape=image_shape, data_format=data_format).ndim == 4
        )
    else:
        with pytest.raises(ValueError, match="image_shape is for flat rows"):
            check_images(X, image_shape=image_shape, data_format=data_format)
    # through the estimators' image input, and the feature transformers'
    models = [GANSampler(), CNNClassifier()] + [HOGTransformer()] * (not ok)
    for model in models:
        model.set_params(image_shape=image_shape, data_format=data_format)
        if ok:
            model._validate_images(X, reset=True, dtype=np.float32)
        else:
            with pytest.raises(ValueError, match="image_shape is for flat rows"):
                model.fit(X, y)
            assert not hasattr(model, "image_shape_")


def test_as_supported_dtype():
    from skdl.utils._images import as_supported_dtype

    kept = np.zeros(3, np.uint16)
    assert as_supported_dtype(kept, (np.uint16,), library="X") is kept
    swapped = np.arange(3).astype(">u2")
    native = as_supported_dtype(swapped, (np.uint16,), library="X")
    assert native.dtype == np.uint16 and native.dtype.isnative
    np.testing.assert_array_equal(native, [0, 1, 2])
    # unsupported: float32, float64 for dtypes wider than 4 bytes
    assert as_supported_dtype(swapped, (np.uint8,), library="X").dtype == np.float32
    wide = np.ones(2, np.longdouble)
    assert as_supported_dtype(wide, (np.float64,), library="X").dtype == np.float64
    assert as_supported_dtype(wide, (np.float32,), library="X").dtype == np.float32
    with pytest.raises(ValueError, match=r"beyond float32's range .* in which X"):
        as_supported_dtype(np.array([1e39]), (np.float32,), library="X")
    if np.finfo(np.longdouble).max > np.finfo(np.float64).max:
        huge = np.array([np.finfo(np.longdouble).max])
        with pytest.raises(ValueError, match="beyond float64's range"):
            as_supported_dtype(huge, (np.float64,), library="X")


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize(
    ("model", "apply"),
    [
        (CNNClassifier(max_iter=1), "predict"),
        (HOGTransformer(pixels_per_cell=(4, 4), cells_per_block=(1, 1)), "transform"),
    ],
    ids=["CNNClassifier", "HOGTransformer"],
)
def test_estimators_and_transformers_read_images_alike(model, apply):
    # one validation (validate_images) for the estimators and the transformers:
    # the same fitted attributes, the same errors
    images = np.random.default_rng(0).random((6, 8, 8))
    y = np.arange(6) % 2
    model = clone(model).fit(images, y)
    assert model.image_shape_ == (8, 8, 1) and model.n_features_in_ == 64
    name = type(model).__name__
    with pytest.raises(TypeError, match=rf"^{name} takes dense images; got a sparse"):
        clone(model).fit(sp.csr_matrix(images.reshape(6, 64)), y)
    with pytest.raises(ValueError, match=r"fitted on images of shape \(8, 8, 1\)"):
        getattr(model, apply)(images[:, :4])


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_images_are_scanned_for_nan_once(monkeypatch, data_format):
    # check_images refuses NaN and infinity; scikit-learn's checks of the
    # same pixels as flat rows would scan them again (a transform of
    # GrayscaleConverter took half as long again)
    import sklearn.utils.validation

    scanned = []
    finite = sklearn.utils.validation._assert_all_finite

    def assert_all_finite(X, *args, **kwargs):
        scanned.append(X.size)
        return finite(X, *args, **kwargs)

    monkeypatch.setattr(
        sklearn.utils.validation, "_assert_all_finite", assert_all_finite
    )
    images = np.random.default_rng(0).random((6, 3, 8, 8))
    if data_format == "channels_last":
        images = images.transpose(0, 2, 3, 1)
    model = HOGTransformer(
        pixels_per_cell=(4, 4), cells_per_block=(1, 1), data_format=data_format
    ).fit(images)
    model.transform(images)
    assert images.size not in scanned
    with pytest.raises(ValueError, match="Input X contains NaN"):
        model.transform(np.where(images > 0.9, np.nan, images))
