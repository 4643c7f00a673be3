import numpy as np

from skdl.datasets import load_digit_sheet


def test_digit_sheet_has_5000_labelled_images_in_class_order():
    digits = load_digit_sheet()
    assert digits.images.shape == (5000, 20, 20) and digits.images.dtype == np.uint8
    assert digits.data.shape == (5000, 400)
    np.testing.assert_array_equal(digits.data[7], digits.images[7].ravel())
    np.testing.assert_array_equal(np.bincount(digits.target), [500] * 10)
    assert (np.diff(digits.target) >= 0).all()
    assert "Apache License 2.0" in digits.DESCR
    X, y = load_digit_sheet(return_X_y=True)
    np.testing.assert_array_equal(X, digits.data)
    np.testing.assert_array_equal(y, digits.target)


def test_digit_sheet_classes_look_different():
    digits = load_digit_sheet()
    means = np.stack([digits.data[digits.target == k].mean(axis=0) for k in range(10)])
    # a nearest-class-mean rule is far better than chance on the sheet
    distances = ((digits.data[:, None, :] - means[None]) ** 2).sum(axis=2)
    assert (distances.argmin(axis=1) == digits.target).mean() > 0.7
