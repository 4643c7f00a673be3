"""ImageAugmenter: every transform checked against its definition."""

import math

import numpy as np
import pytest
import scipy.sparse as sp
import torch
from scipy import ndimage
from sklearn.utils._param_validation import InvalidParameterError

from skdl.augmentation import ImageAugmenter

# our fill modes and the numpy / scipy modes that define the same padding
NP_PAD = {"nearest": "edge", "constant": "constant", "reflect": "symmetric"}
NP_PAD["wrap"] = "wrap"
SCIPY_MODE = {
    "nearest": "nearest",
    "constant": "grid-constant",
    "reflect": "reflect",
    "wrap": "grid-wrap",
}


@pytest.fixture
def images():
    """Six random 3-channel 9x12 images (not square, so axes cannot be mixed up)."""
    return np.random.default_rng(0).random((6, 9, 12, 3), dtype=np.float32)


@pytest.fixture
def square():
    return np.random.default_rng(1).random((5, 7, 7), dtype=np.float32)


def test_identity_when_every_range_is_zero(images):
    augmenter = ImageAugmenter(random_state=0)
    np.testing.assert_array_equal(augmenter.transform(images), images)
    batch = torch.from_numpy(images.transpose(0, 3, 1, 2).copy())
    assert augmenter.augment(batch) is batch
    # ranges given as zero-width pairs at the neutral values are the identity too
    neutral = ImageAugmenter(
        rotation_range=(0, 0), zoom_range=(1, 1), brightness_range=(1, 1)
    )
    np.testing.assert_array_equal(neutral.transform(images), images)


@pytest.mark.parametrize(("angle", "turns"), [(90, 1), (-90, -1), (180, 2)])
def test_right_angle_rotations_match_rot90(square, angle, turns):
    augmenter = ImageAugmenter(rotation_range=(angle, angle), random_state=0)
    rotated = augmenter.transform(square)
    np.testing.assert_allclose(
        rotated, np.rot90(square, turns, axes=(1, 2)), rtol=0, atol=1e-6
    )


@pytest.mark.parametrize(
    ("option", "axis"), [("horizontal_flip", 2), ("vertical_flip", 1)]
)
def test_flips_are_exact_and_random_per_image(option, axis):
    images = np.random.default_rng(2).random((40, 9, 12, 3), dtype=np.float32)
    out = ImageAugmenter(**{option: True}, random_state=0).transform(images)
    flipped = np.array(
        [not np.array_equal(o, x) for o, x in zip(out, images, strict=True)]
    )
    for o, x, was_flipped in zip(out, images, flipped, strict=True):
        np.testing.assert_array_equal(o, np.flip(x, axis - 1) if was_flipped else x)
    assert 10 < flipped.sum() < 30  # each image flips with probability 1/2


@pytest.mark.parametrize("fill_mode", ["nearest", "constant", "reflect", "wrap"])
def test_whole_pixel_shifts_move_pixels_exactly(images, fill_mode):
    dy, dx = -3, 2  # content moves 3 rows up and 2 columns right
    augmenter = ImageAugmenter(
        height_shift_range=(dy, dy),
        width_shift_range=(dx, dx),
        fill_mode=fill_mode,
        cval=0.25,
    )
    extra = {"constant_values": 0.25} if fill_mode == "constant" else {}
    padded = np.pad(
        images, [(0, 0), (0, 3), (2, 0), (0, 0)], NP_PAD[fill_mode], **extra
    )
    expected = padded[:, 3:, :12]
    np.testing.assert_array_equal(augmenter.transform(images), expected)


def test_fractional_shift_is_a_fraction_of_the_size(images):
    # a quarter of the width of 12 is 3 pixels, a third of the height of 9 is 3
    by_fraction = ImageAugmenter(
        width_shift_range=(0.25, 0.25), height_shift_range=(-1 / 3, -1 / 3)
    )
    in_pixels = ImageAugmenter(width_shift_range=(3, 3), height_shift_range=(-3, -3))
    np.testing.assert_allclose(
        by_fraction.transform(images), in_pixels.transform(images), atol=1e-6
    )


def test_integer_shift_range_draws_whole_pixels(images):
    out = ImageAugmenter(
        width_shift_range=2, fill_mode="wrap", random_state=0
    ).transform(np.repeat(images, 5, axis=0))
    shifts = []
    for o, x in zip(out, np.repeat(images, 5, axis=0), strict=True):
        matches = [k for k in range(-2, 3) if np.array_equal(o, np.roll(x, k, axis=1))]
        assert len(matches) == 1
        shifts.append(matches[0])
    assert len(set(shifts)) > 1


def test_brightness_multiplies_each_image(images):
    half = ImageAugmenter(brightness_range=(0.5, 0.5)).transform(images)
    np.testing.assert_array_equal(half, images * np.float32(0.5))
    out = ImageAugmenter(brightness_range=(0.5, 1.5), random_state=0).transform(images)
    factors = (out / images).reshape(len(images), -1)
    np.testing.assert_allclose(
        factors, np.broadcast_to(factors[:, :1], factors.shape), rtol=1e-5
    )
    assert np.all((factors >= 0.5) & (factors <= 1.5))
    assert len(np.unique(factors[:, 0].round(5))) == len(images)


@pytest.mark.parametrize("fill_mode", ["nearest", "constant", "reflect", "wrap"])
def test_affine_transform_matches_scipy(images, fill_mode):
    """Pinned zoom, shear, rotation and shift against the documented formula.

    An output pixel ``p`` (from the centre) samples the input at
    ``Z @ Sh @ R(-theta) @ (p - t)``; scipy's ``affine_transform`` with linear
    interpolation evaluates it independently.
    """
    theta, shear, zoom, t = math.radians(30), math.radians(20), 0.8, (-2.25, 1.5)
    augmenter = ImageAugmenter(
        rotation_range=(30, 30),
        shear_range=(20, 20),
        zoom_range=(zoom, zoom),
        height_shift_range=(-0.25, -0.25),  # a quarter of 9 rows
        width_shift_range=(1.5, 1.5),  # at least 1: pixels
        fill_mode=fill_mode,
        cval=0.5,
    )
    # R(-theta) in (row, col) coordinates, rows pointing down
    undo_rotation = np.array(
        [[math.cos(theta), math.sin(theta)], [-math.sin(theta), math.cos(theta)]]
    )
    keras_shear = np.array([[1, -math.sin(shear)], [0, math.cos(shear)]])
    matrix = np.diag([zoom, zoom]) @ keras_shear @ undo_rotation
    center = np.array([4.0, 5.5])
    offset = center - matrix @ center - matrix @ np.array(t)
    expected = np.stack(
        [
            np.stack(
                [
                    ndimage.affine_transform(
                        image[..., c].astype(np.float64),
                        matrix,
                        offset,
                        order=1,
                        mode=SCIPY_MODE[fill_mode],
                        cval=0.5,
                    )
                    for c in range(3)
                ],
                axis=-1,
            )
            for image in images
        ]
    )
    np.testing.assert_allclose(augmenter.transform(images), expected, atol=2e-5)


def test_same_seed_same_draws_and_each_image_its_own(images):
    params = {
        "rotation_range": 20,
        "zoom_range": 0.1,
        "width_shift_range": 0.1,
        "horizontal_flip": True,
    }
    stack = np.repeat(images[:1], 8, axis=0)
    first = ImageAugmenter(**params, random_state=0).transform(stack)
    again = ImageAugmenter(**params, random_state=0).transform(stack)
    other = ImageAugmenter(**params, random_state=1).transform(stack)
    np.testing.assert_array_equal(first, again)
    assert not np.allclose(first, other)
    # eight copies of one image get eight different transforms
    assert len({o.tobytes() for o in first}) == len(stack)


def test_layouts_and_integer_images_keep_their_form(square):
    rotate = ImageAugmenter(rotation_range=(90, 90))
    expected = np.rot90(square, axes=(1, 2))
    flat = rotate.transform(square.reshape(5, -1), image_shape=(7, 7))
    assert flat.shape == (5, 49)
    np.testing.assert_allclose(flat, expected.reshape(5, -1), atol=1e-6)
    first = rotate.transform(square[:, None], data_format="channels_first")
    np.testing.assert_allclose(first, expected[:, None], atol=1e-6)
    pixels = (square * 255).astype(np.uint8)
    out = rotate.transform(pixels)
    assert out.dtype == np.uint8
    np.testing.assert_array_equal(out, np.rot90(pixels, axes=(1, 2)))
    # interpolated uint8 values are rounded and stay in range
    bright = ImageAugmenter(brightness_range=(2, 2)).transform(pixels)
    np.testing.assert_array_equal(
        bright, np.clip(pixels.astype(int) * 2, 0, 255).astype(np.uint8)
    )


def test_float64_and_wide_integer_images_are_transformed_in_float64():
    rng = np.random.default_rng(3)
    doubles = rng.random((2, 5, 5))
    # with nothing enabled, an exact copy (it went through float32 before)
    copy = ImageAugmenter().transform(doubles)
    np.testing.assert_array_equal(copy, doubles)
    assert copy is not doubles
    huge = np.full((1, 3, 3), 2**62 + 1, dtype=np.int64)
    np.testing.assert_array_equal(ImageAugmenter().transform(huge), huge)
    rotate = ImageAugmenter(rotation_range=(90, 90))
    np.testing.assert_allclose(
        rotate.transform(doubles), np.rot90(doubles, axes=(1, 2)), rtol=0, atol=1e-14
    )
    for dtype, value in [(np.int64, 123456789), (np.uint32, 2**32 - 3)]:
        pixels = np.arange(9, dtype=dtype).reshape(1, 3, 3) + dtype(value)
        np.testing.assert_array_equal(
            rotate.transform(pixels), np.rot90(pixels, axes=(1, 2))
        )
    # values pushed past the dtype's maximum saturate, not wrap around
    top = np.full((1, 2, 2), 2**62, dtype=np.int64)
    brighter = ImageAugmenter(brightness_range=(4, 4)).transform(top)
    np.testing.assert_array_equal(brighter, np.iinfo(np.int64).max)


def test_transform_input_errors_say_what_to_change():
    augmenter = ImageAugmenter(horizontal_flip=True)
    with pytest.raises(ValueError, match="images of different shapes"):
        augmenter.transform([np.zeros((4, 4)), np.zeros((5, 5))])
    with pytest.raises(TypeError, match="toarray"):
        augmenter.transform(sp.csr_matrix(np.ones((2, 16))))


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"width_shift_range": 10**30}, r"width_shift_range must be at most 2\*\*24"),
        ({"height_shift_range": (0.0, 1e30)}, "height_shift_range must be at most"),
        ({"cval": float("nan"), "fill_mode": "constant"}, "cval must be a finite"),
        (
            {"cval": 1e300, "fill_mode": "constant", "rotation_range": 45},
            r"cval=1e\+300 is beyond the range of float32",
        ),
    ],
)
def test_extreme_parameters_say_what_to_change(params, message):
    with pytest.raises(ValueError, match=message):
        ImageAugmenter(**params).transform(np.zeros((1, 4, 4), np.uint8))


def test_cval_may_exceed_float32_for_float64_images():
    augmenter = ImageAugmenter(
        width_shift_range=(2, 2), fill_mode="constant", cval=1e300
    )
    out = augmenter.transform(np.zeros((1, 3, 4)))
    np.testing.assert_array_equal(out[0, :, :2], 1e300)
    np.testing.assert_array_equal(out[0, :, 2:], 0)


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"rotation_range": (10, 5)}, "needs low <= high"),
        ({"shear_range": (1, 2, 3)}, "a pair \\(low, high\\)"),
        ({"zoom_range": (0.0, 1.2)}, "positive factors"),
        ({"brightness_range": (-1, 1)}, "non-negative factors"),
    ],
)
def test_bad_ranges_say_what_to_change(images, params, message):
    with pytest.raises(ValueError, match=message):
        ImageAugmenter(**params).transform(images)


def test_parameters_are_validated(images):
    with pytest.raises(InvalidParameterError, match="fill_mode"):
        ImageAugmenter(fill_mode="mirror").transform(images)
    with pytest.raises(InvalidParameterError, match="zoom_range"):
        ImageAugmenter(zoom_range=1.5).transform(images)
