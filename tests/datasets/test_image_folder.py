"""load_image_folder: one class per subfolder, as Keras' flow_from_directory."""

import cv2
import numpy as np
import pytest
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

from skdl import CNNClassifier
from skdl.datasets import load_image_folder

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


def _write(path, image):
    path.parent.mkdir(parents=True, exist_ok=True)
    assert cv2.imwrite(str(path), image)


@pytest.fixture
def folder(tmp_path):
    """Two classes of colour images, in several formats, with files to skip."""
    red = np.zeros((10, 14, 3), np.uint8)
    red[..., 2] = 200  # OpenCV writes BGR: this is red
    blue = np.zeros((10, 14, 3), np.uint8)
    blue[..., 0] = 200
    _write(tmp_path / "red" / "b.png", red)
    _write(tmp_path / "red" / "a.JPG", red)
    _write(tmp_path / "blue" / "c.bmp", blue)
    (tmp_path / "blue" / "notes.txt").write_text("not an image")
    (tmp_path / "top.png").write_bytes(b"")  # not in a class folder: ignored
    _write(tmp_path / "blue" / "deeper" / "d.png", blue)  # deeper: ignored
    return tmp_path


def test_classes_files_and_colours(folder):
    data = load_image_folder(folder)
    assert data.target_names.tolist() == ["blue", "red"]  # sorted, as Keras
    assert data.target.tolist() == [0, 1, 1]
    assert [name.rsplit("/", 2)[-2:] for name in data.filenames] == [
        ["blue", "c.bmp"],
        ["red", "a.JPG"],
        ["red", "b.png"],
    ]
    assert data.images.shape == (3, 10, 14, 3) and data.images.dtype == np.uint8
    # RGB order, not OpenCV's BGR
    assert data.images[0, 0, 0].tolist() == [0, 0, 200]
    assert data.images[2, 0, 0].tolist() == [200, 0, 0]
    assert abs(int(data.images[1, 5, 5, 0]) - 200) <= 3  # JPEG is lossy
    assert data.data.shape == (3, 10 * 14 * 3)
    images, target = load_image_folder(folder, return_X_y=True)
    np.testing.assert_array_equal(images, data.images)
    np.testing.assert_array_equal(target, data.target)


def test_size_and_colour_mode(folder):
    small = load_image_folder(folder, image_size=(5, 7), interpolation="area")
    assert small.images.shape == (3, 5, 7, 3)
    assert small.images[2, 2, 3].tolist() == [200, 0, 0]
    gray = load_image_folder(folder, color_mode="grayscale")
    assert gray.images.shape == (3, 10, 14)
    # OpenCV's luma: 0.299 R + 0.587 G + 0.114 B
    assert gray.images[2, 0, 0] == round(0.299 * 200)
    rgba = load_image_folder(folder, color_mode="rgba")
    assert rgba.images.shape == (3, 10, 14, 4) and (rgba.images[..., 3] == 255).all()


def test_unreadable_and_mismatched_images_are_named(folder):
    (folder / "red" / "broken.png").write_bytes(b"\x89PNG not really")
    with pytest.raises(ValueError, match=r"Could not read .*broken\.png as an image"):
        load_image_folder(folder)
    (folder / "red" / "broken.png").unlink()
    _write(folder / "red" / "big.png", np.zeros((20, 20, 3), np.uint8))
    with pytest.raises(ValueError, match=r"big\.png is 20x20 pixels.*image_size="):
        load_image_folder(folder)
    assert load_image_folder(folder, image_size=(10, 14)).images.shape[0] == 4


@pytest.mark.parametrize(
    ("dtype", "values", "expected"),
    [
        (np.uint16, [0, 257, 65535], [0, 1, 255]),  # by the type's maximum
        # by the type's range: -1000 and +1000 no longer both read 8
        (np.int16, [-32768, -1000, 0, 1000, 32767], [0, 124, 128, 131, 255]),
        (np.int8, [-128, 0, 127], [0, 128, 255]),
        (np.float32, [0.0, 0.5, 1.0], [0, 128, 255]),  # intensities in [0, 1]
        (np.float64, [0.0, 0.25, 1.0], [0, 64, 255]),
    ],
)
def test_other_pixel_types_are_scaled_by_their_type(tmp_path, dtype, values, expected):
    image = np.zeros((2, 8), dtype)
    image[0, : len(values)] = values
    _write(tmp_path / "a" / "image.tif", image)
    images = load_image_folder(tmp_path, color_mode="grayscale").images
    assert images.dtype == np.uint8
    assert images[0, 0, : len(values)].tolist() == expected


@pytest.mark.parametrize(
    ("values", "message"), [([0.0, 2.5], "from 0 to 2.5"), ([0.5, np.nan], "NaN")]
)
def test_float_images_beyond_0_1_are_refused_by_name(tmp_path, values, message):
    _write(tmp_path / "a" / "depth.tif", np.array([values] * 2, np.float32))
    with pytest.raises(ValueError, match=rf"depth\.tif holds float32 pixels {message}"):
        load_image_folder(tmp_path)


def test_bad_folders_and_arguments(tmp_path):
    with pytest.raises(FileNotFoundError, match="is not a folder"):
        load_image_folder(tmp_path / "missing")
    with pytest.raises(ValueError, match="has no subfolders"):
        load_image_folder(tmp_path)
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match="hold no image files"):
        load_image_folder(tmp_path)
    for bad in [(0, 3), (3,), 8, (2.5, 3)]:
        with pytest.raises(
            ValueError, match=r"image_size=.* must be \(height, width\)"
        ):
            load_image_folder(tmp_path, image_size=bad)
    with pytest.raises(ValueError, match="color_mode='cmyk'"):
        load_image_folder(tmp_path, color_mode="cmyk")
    with pytest.raises(ValueError, match="interpolation='lanczos'"):
        load_image_folder(tmp_path, interpolation="lanczos")


def test_a_cnn_learns_from_a_folder_of_digits(tmp_path):
    # real images: 200 digits 0 and 1 written as PNG files, read back and learned
    X, y = load_digits(n_class=2, return_X_y=True)
    for i, (row, label) in enumerate(zip(X[:200], y[:200], strict=True)):
        image = (row.reshape(8, 8) * 255 / 16).astype(np.uint8)
        _write(tmp_path / ("zero", "one")[label] / f"{i:03d}.png", image)
    images, target = load_image_folder(
        tmp_path, image_size=(16, 16), color_mode="grayscale", return_X_y=True
    )
    assert images.shape == (200, 16, 16)
    # sorted by class ('one' < 'zero': the ones are class 0), then by file name
    assert target.tolist() == [0] * (y[:200] == 1).sum() + [1] * (y[:200] == 0).sum()
    ones = images[target == 0]
    np.testing.assert_array_equal(
        ones[0],
        cv2.resize((X[y == 1][0].reshape(8, 8) * 255 / 16).astype(np.uint8), (16, 16)),
    )
    X_train, X_test, y_train, y_test = train_test_split(
        images, target, test_size=50, stratify=target, random_state=0
    )
    clf = CNNClassifier(
        (4, 8), dense_layers=(16,), batch_size=32, max_iter=20, random_state=0
    )
    assert clf.fit(X_train, y_train).score(X_test, y_test) > 0.95
