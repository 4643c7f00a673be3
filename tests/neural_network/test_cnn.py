"""CNNClassifier: accuracy on real images, input layouts, architecture, contract."""

import gzip
import itertools
import pickle

import numpy as np
import pytest
import torch
from api_checks import check_estimator_api  # tests/ is on sys.path via conftest
from sklearn.base import clone
from sklearn.datasets import load_digits
from sklearn.model_selection import GridSearchCV, cross_validate, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer
from torch import nn

from skdl import CNNClassifier
from skdl.augmentation import ImageAugmenter
from skdl.modules import CNNModule, conv_output_size

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

# a small net for 8x8 digits; digits pixels run from 0 to 16
SMALL = {
    "conv_filters": (8, 16),
    "dense_layers": (32,),
    "rescale": 1 / 16,
    "batch_size": 32,
    "max_iter": 3,
    "random_state": 0,
}


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return train_test_split(X, y, test_size=0.25, random_state=0)


@pytest.fixture(scope="module")
def few_digits():
    """300 digits as (n, 8, 8) images."""
    X, y = load_digits(return_X_y=True)
    return X[:300].reshape(-1, 8, 8), y[:300]


def _read_idx(path, offset):
    with gzip.open(path) as f:
        return np.frombuffer(f.read(), np.uint8, offset=offset)


@pytest.fixture(scope="module")
def mnist(mnist_t10k):
    X = _read_idx(mnist_t10k / "t10k-images-idx3-ubyte.gz", 16).reshape(-1, 28, 28)
    y = _read_idx(mnist_t10k / "t10k-labels-idx1-ubyte.gz", 8)
    return X[:8000], X[8000:], y[:8000], y[8000:]


# -- accuracy on real images ---------------------------------------------------------
@pytest.mark.slow
def test_mnist_accuracy(mnist):
    X_train, X_test, y_train, y_test = mnist
    clf = CNNClassifier(
        (8, 16),
        dense_layers=(64,),
        batch_size=64,
        learning_rate_init=0.002,
        max_iter=5,
        random_state=0,
    )
    # uint8 (n, 28, 28) images: rescaled to [0, 1], read as grayscale
    clf.fit(X_train, y_train)
    assert clf.image_shape_ == (28, 28, 1)
    assert clf.score(X_test, y_test) >= 0.97


def test_digits_accuracy_from_flat_rows(digits):
    X_train, X_test, y_train, y_test = digits
    clf = CNNClassifier(
        **{**SMALL, "conv_filters": (16, 32), "dense_layers": (64,)},
        batch_norm=True,
    )
    clf.set_params(max_iter=20)
    clf.fit(X_train, y_train)  # 64 features per row: 'auto' reads 8x8
    assert clf.image_shape_ == (8, 8, 1)
    assert clf.score(X_test, y_test) >= 0.97
    assert clf.n_iter_ == 20 and len(clf.loss_curve_) == 20
    assert clf.loss_curve_[-1] < clf.loss_curve_[0] / 5


# -- input layouts ---------------------------------------------------------------------
def test_every_layout_trains_the_same_model(few_digits):
    images, y = few_digits
    n = len(images)
    layouts = [
        ({}, images.reshape(n, 64)),
        ({"image_shape": (8, 8)}, images.reshape(n, 64)),
        ({"image_shape": (8, -1)}, images.reshape(n, 64)),
        ({"image_shape": (8, 8, 1)}, images.reshape(n, 64)),
        ({}, images),
        ({}, images[..., None]),
        ({"data_format": "channels_first"}, images[:, None]),
        (
            {"data_format": "channels_first", "image_shape": (1, 8, 8)},
            images.reshape(n, 64),
        ),
    ]
    probas = []
    for params, X in layouts:
        clf = CNNClassifier(**SMALL, **params).fit(X, y)
        assert clf.image_shape_ == (8, 8, 1)
        assert clf.n_features_in_ == 64
        probas.append(clf.predict_proba(X))
    for proba in probas[1:]:
        np.testing.assert_array_equal(proba, probas[0])


def test_color_channels_stay_apart():
    rng = np.random.default_rng(0)
    # the class is which colour channel is bright: only readable per channel
    y = rng.integers(0, 3, 240)
    X = rng.random((240, 6, 5, 3), dtype=np.float32) * 0.2
    X[np.arange(240), :, :, y] += 0.8
    last = CNNClassifier(
        (4,), dense_layers=(), max_iter=40, learning_rate_init=0.01, random_state=0
    ).fit(X, y)
    assert last.image_shape_ == (6, 5, 3)
    assert last.score(X, y) == 1
    first = clone(last).set_params(data_format="channels_first")
    first.fit(np.moveaxis(X, -1, 1), y)
    np.testing.assert_allclose(
        first.predict_proba(np.moveaxis(X, -1, 1)), last.predict_proba(X), atol=1e-6
    )


def test_uint8_images_are_rescaled_to_unit_range(few_digits):
    images, y = few_digits
    pixels = (images * 15).astype(np.uint8)  # values 0..240
    params = {**SMALL, "rescale": "auto"}
    from_uint8 = CNNClassifier(**params).fit(pixels, y).predict_proba(pixels)
    scaled = pixels.astype(np.float32) / 255
    from_float = CNNClassifier(**params).fit(scaled, y).predict_proba(scaled)
    np.testing.assert_allclose(from_uint8, from_float, atol=1e-6)
    # rescale=None uses the raw 0..240 values: a different model
    raw = CNNClassifier(**{**params, "rescale": None}).fit(pixels, y)
    assert not np.allclose(raw.predict_proba(pixels), from_uint8)


# dtypes that can hold the values 0 and 1, and the factor rescale='auto' records
_DTYPE_SCALES = {
    bool: 1.0,
    np.uint8: 1 / 255,
    np.uint16: 1 / 65535,
    np.int64: 1.0,
    np.float32: 1.0,
    np.float64: 1.0,
}


@pytest.mark.parametrize("fit_dtype", list(_DTYPE_SCALES), ids=lambda d: d.__name__)
def test_auto_rescale_is_recorded_at_fit_and_never_changes_silently(
    few_digits, fit_dtype
):
    """The factor 'auto' picks from the training dtype is kept in rescale_;
    the same pixel values in any other dtype give the same probabilities, or,
    where 'auto' would scale that dtype otherwise, a clear error."""
    images, y = few_digits
    pixels = (images > 8).astype(fit_dtype)  # 0/1 in every dtype
    clf = CNNClassifier(**{**SMALL, "rescale": "auto", "max_iter": 1}).fit(pixels, y)
    assert clf.rescale_ == _DTYPE_SCALES[fit_dtype]
    expected = clf.predict_proba(pixels)
    for dtype, scale in _DTYPE_SCALES.items():
        same_values = pixels.astype(dtype)
        if scale == clf.rescale_:
            np.testing.assert_array_equal(clf.predict_proba(same_values), expected)
            continue
        with pytest.raises(
            ValueError,
            match=r"CNNClassifier was fitted on images whose pixels it multiplied "
            rf"by rescale_=.*; got {np.dtype(dtype)} images, which rescale='auto' "
            r"multiplies by .*Pass images of the dtype given to fit, or set "
            r"rescale to a number",
        ):
            clf.predict_proba(same_values)
    np.testing.assert_array_equal(clf.predict_proba(pixels), expected)


def test_bool_images_read_true_as_full_intensity(few_digits):
    images, y = few_digits
    mask = images > 8
    params = {**SMALL, "rescale": "auto", "max_iter": 1}
    from_bool = CNNClassifier(**params).fit(mask, y).predict_proba(mask)
    ones = mask.astype(np.float32)
    from_float = CNNClassifier(**params).fit(ones, y).predict_proba(ones)
    np.testing.assert_array_equal(from_bool, from_float)


def test_a_number_rescales_every_dtype_alike(few_digits):
    images, y = few_digits
    pixels = images.astype(np.uint8)  # 0..16
    clf = CNNClassifier(**{**SMALL, "max_iter": 1}).fit(pixels, y)  # rescale=1/16
    assert clf.rescale_ == 1 / 16
    expected = clf.predict_proba(pixels)
    for dtype in (np.uint16, np.int64, np.float32, np.float64):
        np.testing.assert_array_equal(clf.predict_proba(pixels.astype(dtype)), expected)


@pytest.mark.parametrize(
    "change", [{"image_shape": (4, 16)}, {"image_shape": (16, 4)}, {"rescale": None}]
)
def test_a_warm_start_refuses_another_image_shape_or_scale(few_digits, change):
    # the fitted shape and scale would be kept while get_params said otherwise
    images, y = few_digits
    rows = images.reshape(len(images), -1)
    params = {**SMALL, "max_iter": 1, "image_shape": (8, 8), "warm_start": True}
    clf = CNNClassifier(**params).fit(rows, y)
    before = clf.predict_proba(rows)
    clf.set_params(**change)
    with pytest.raises(
        ValueError, match=f"changed since it was built: {next(iter(change))}"
    ):
        clf.fit(rows, y)
    np.testing.assert_array_equal(clf.predict_proba(rows), before)
    # the same shape and scale, written otherwise, continue the fit
    clf.set_params(image_shape=(8, 8, 1), rescale=0.0625)
    assert clf.fit(rows, y).n_iter_ == 1


def test_auto_image_shape_needs_square_rows(few_digits):
    images, y = few_digits
    with pytest.raises(ValueError, match="set image_shape=\\(height, width\\)"):
        CNNClassifier(**SMALL).fit(images.reshape(300, 64)[:, :60], y)


def test_wrong_shape_at_predict_names_both_shapes(few_digits):
    images, y = few_digits
    clf = CNNClassifier(**SMALL).fit(images, y)
    with pytest.raises(
        ValueError,
        match=r"fitted on images of shape \(8, 8, 1\) \(height, width, channels\); "
        r"got images of shape \(9, 9, 1\)",
    ):
        clf.predict(np.zeros((2, 9, 9)))
    with pytest.raises(
        ValueError, match="X has 63 features, but CNNClassifier is expecting 64"
    ):
        clf.predict(np.zeros((2, 63)))
    first = clone(clf).set_params(data_format="channels_first").fit(images[:, None], y)
    with pytest.raises(
        ValueError,
        match=r"shape \(1, 8, 8\) \(channels, height, width\); got images of shape "
        r"\(3, 8, 8\)",
    ):
        first.predict(np.zeros((2, 3, 8, 8)))


def test_bad_pixels_and_sparse_input_are_refused(few_digits):
    images, y = few_digits
    bad = images.copy()
    bad[3, 2, 2] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        CNNClassifier(**SMALL).fit(bad, y)
    with pytest.raises(ValueError, match="NaN"):
        CNNClassifier(**SMALL).fit(bad.reshape(300, 64), y)


# -- architecture --------------------------------------------------------------------
@pytest.mark.parametrize("padding", ["same", "valid"])
def test_output_size_formula_matches_the_layers(padding):
    for size, kernel, stride, dilation in itertools.product(
        (7, 8, 13), (1, 2, 3, 5), (1, 2, 3), (1, 2)
    ):
        if (
            padding == "valid"
            and conv_output_size(size, kernel, stride, padding, dilation) < 1
        ):
            continue
        module = CNNModule(
            (2, size, size + 1),
            3,
            conv_filters=(4,),
            kernel_size=kernel,
            strides=stride,
            dilation=dilation,
            padding=padding,
            pool_size=None,
            dense_layers=(),
        )
        features = nn.Sequential(*list(module)[:-2])  # up to Flatten
        out = features(torch.zeros(1, 2, size, size + 1))
        expected = tuple(
            conv_output_size(s, kernel, stride, padding, dilation)
            for s in (size, size + 1)
        )
        assert tuple(out.shape) == (1, 4, *expected) == (1, *module.feature_shape)
        if padding == "valid":
            # the textbook formula, written out
            assert expected[0] == (size - dilation * (kernel - 1) - 1) // stride + 1
        else:
            assert expected[0] == -(-size // stride)


def test_layers_follow_the_parameters():
    module = CNNModule(
        (3, 32, 32),
        5,
        conv_filters=(8, 16, 32),
        kernel_size=[5, 3, 3],
        strides=[1, 2, 1],
        pool_size=[2, None, 2],
        pooling="avg",
        batch_norm=True,
        activation="tanh",
        dropout=0.25,
        dense_layers=(20,),
    )
    convs = [m for m in module if isinstance(m, nn.Conv2d)]
    assert [c.out_channels for c in convs] == [8, 16, 32]
    assert [c.kernel_size for c in convs] == [(5, 5), (3, 3), (3, 3)]
    assert [c.stride for c in convs] == [(1, 1), (2, 2), (1, 1)]
    assert all(c.bias is None for c in convs)  # batch norm makes the bias redundant
    assert sum(isinstance(m, nn.AvgPool2d) for m in module) == 2
    assert sum(isinstance(m, nn.BatchNorm2d) for m in module) == 3
    assert sum(isinstance(m, nn.Dropout) for m in module) == 2
    assert sum(isinstance(m, nn.Tanh) for m in module) == 4
    # 32 -> pool 16 -> stride 2: 8 -> pool 4
    assert module.feature_shape == (32, 4, 4)
    assert module[-1].in_features == 20 and module[-1].out_features == 5
    pooled = CNNModule((3, 32, 32), 5, conv_filters=(8, 16), global_pooling=True)
    assert isinstance(pooled[-5], nn.AdaptiveAvgPool2d)
    linear = [m for m in pooled if isinstance(m, nn.Linear)]
    assert linear[0].in_features == 16


def test_images_too_small_for_the_network(few_digits):
    images, y = few_digits
    # 8 -> 5 -> 2 -> -1 pixels with 4x4 kernels and no padding
    clf = CNNClassifier((4, 4, 4), 4, padding="valid", pool_size=None, max_iter=1)
    with pytest.raises(ValueError, match="too small for this network: conv layer 3"):
        clf.fit(images, y)


# -- kernel_size, strides, dilation, pool_size: int, tuple or list, as in Keras ------
def _convs(module):
    return [m for m in module if isinstance(m, nn.Conv2d)]


def test_a_tuple_is_one_rectangular_window_for_every_layer():
    # (3, 3) on four conv layers: a 3x3 kernel on each, not "2 entries"
    module = CNNModule((1, 16, 16), 2, conv_filters=(4, 4, 4, 4), kernel_size=(3, 3))
    assert [c.kernel_size for c in _convs(module)] == [(3, 3)] * 4
    # (3, 5) on two layers: one 3x5 kernel on each, not 3 then 5
    module = CNNModule(
        (1, 12, 20),
        2,
        conv_filters=(4, 8),
        kernel_size=(3, 5),
        padding="valid",
        pool_size=(1, 2),
        strides=(1, 1),
    )
    assert [c.kernel_size for c in _convs(module)] == [(3, 5), (3, 5)]
    # 12x20 -> conv 10x16 -> pool 10x8 -> conv 8x4 -> pool 8x2
    assert module.feature_shape == (8, 8, 2)
    assert module(torch.zeros(2, 1, 12, 20)).shape == (2, 2)


def test_a_list_is_one_entry_per_layer():
    module = CNNModule(
        (1, 16, 16),
        2,
        conv_filters=(4, 8),
        kernel_size=[3, (1, 5)],
        strides=[1, (2, 1)],
        dilation=[(2, 1), 1],
        pool_size=[None, (2, 1)],
    )
    convs = _convs(module)
    assert [c.kernel_size for c in convs] == [(3, 3), (1, 5)]
    assert [c.stride for c in convs] == [(1, 1), (2, 1)]
    assert [c.dilation for c in convs] == [(2, 1), (1, 1)]
    # 'same' keeps 16x16, stride (2, 1): 8x16, pool (2, 1): 4x16
    assert module.feature_shape == (8, 4, 16)
    assert module(torch.zeros(3, 1, 16, 16)).shape == (3, 2)
    # a 1-D array is a list
    module = CNNModule((1, 8, 8), 2, conv_filters=(4, 4), kernel_size=np.array([3, 5]))
    assert [c.kernel_size for c in _convs(module)] == [(3, 3), (5, 5)]


def test_per_layer_errors_say_how_to_write_each_meaning(few_digits):
    images, y = few_digits
    with pytest.raises(
        ValueError,
        match=r"kernel_size=\(3, 3, 3\) is a tuple, which is one \(height, width\)"
        r".*pass a list: kernel_size=\[3, 3, 3\]",
    ):
        CNNClassifier((4, 4, 4), kernel_size=(3, 3, 3), max_iter=1).fit(images, y)
    with pytest.raises(
        ValueError,
        match=r"pool_size=\[2, 2\] is a list, which has one entry per conv layer, "
        r"but conv_filters has 3 layers.*a tuple \(height, width\)",
    ):
        CNNClassifier((4, 4, 4), pool_size=[2, 2], max_iter=1).fit(images, y)
    with pytest.raises(ValueError, match="strides must hold positive ints"):
        CNNClassifier((4, 4), strides=[1, (2, 0)], max_iter=1).fit(images, y)
    with pytest.raises(ValueError, match=r"a tuple, which is one \(height, width\) of"):
        CNNClassifier((4, 4), dilation=(1, 0), max_iter=1).fit(images, y)
    # the failed fits changed nothing
    clf = CNNClassifier((4, 4), kernel_size=(3, 3, 3), max_iter=1)
    with pytest.raises(ValueError):
        clf.fit(images, y)
    assert not hasattr(clf, "net_") and clf.kernel_size == (3, 3, 3)


def test_rectangular_kernels_train():
    X, y = load_digits(return_X_y=True)
    X = X.reshape(-1, 8, 8)
    clf = CNNClassifier(
        **{**SMALL, "max_iter": 10}, kernel_size=(3, 1), learning_rate_init=0.01
    )
    clf.fit(X[:300], y[:300])
    assert [c.kernel_size for c in _convs(clf.net_.module_)] == [(3, 1), (3, 1)]
    assert clf.score(X[300:600], y[300:600]) > 0.6  # 0.69; chance is 0.1


def test_summary_shows_the_layers(few_digits, capsys):
    images, y = few_digits
    clf = CNNClassifier(**SMALL).fit(images, y)
    capsys.readouterr()
    clf.summary()
    out = capsys.readouterr().out
    assert "Conv2d" in out and "MaxPool2d" in out and "Linear" in out
    assert "(None, 8, 8, 8)" in out  # first conv: 8 filters on 8x8, 'same' padding
    assert "(None, 16, 2, 2)" in out  # after the second pooling
    n_params = sum(p.numel() for p in clf.net_.module_.parameters())
    assert f"Total params: {n_params:,}" in out
    # the built-in stack runs channels-last (faster convolutions)
    convs = [m for m in clf.net_.module_ if isinstance(m, nn.Conv2d)]
    assert convs[1].weight.is_contiguous(memory_format=torch.channels_last)
    assert not convs[1].weight.is_contiguous()


class TinyNet(nn.Module):
    """A user module: one conv and a linear layer."""

    def __init__(self, n_classes, input_shape):
        super().__init__()
        channels, height, width = input_shape
        self.conv = nn.Conv2d(channels, 4, 3, padding=1)
        self.out = nn.Linear(4 * height * width, n_classes)

    def forward(self, x):
        return self.out(torch.relu(self.conv(x)).flatten(1))


def test_user_module(few_digits):
    images, y = few_digits
    clf = CNNClassifier(module=TinyNet, **{**SMALL, "max_iter": 10}).fit(images, y)
    assert isinstance(clf.net_.module_, TinyNet)
    assert clf.net_.module_.out.out_features == 10
    assert clf.score(images, y) > 0.8
    with pytest.raises(TypeError, match="not an instance; pass module=TinyNet"):
        CNNClassifier(module=TinyNet(10, (1, 8, 8))).fit(images, y)

    def wrong_width(n_classes, input_shape):
        return TinyNet(n_classes + 1, input_shape)

    with pytest.raises(ValueError, match="needs logits of shape \\(1, 10\\)"):
        CNNClassifier(module=wrong_width).fit(images, y)


# -- targets --------------------------------------------------------------------------
def test_binary_string_labels(few_digits):
    images, y = few_digits
    labels = np.where(y < 5, "small", "large")
    clf = CNNClassifier(**{**SMALL, "max_iter": 20}).fit(images, labels)
    assert clf.classes_.tolist() == ["large", "small"]
    assert clf.n_outputs_ == 2 and clf.out_activation_ == "softmax"
    proba = clf.predict_proba(images)
    assert proba.shape == (300, 2)
    np.testing.assert_array_equal(clf.predict(images), clf.classes_[proba.argmax(1)])
    assert clf.score(images, labels) > 0.9


def test_sample_weight_equals_repetition(few_digits):
    images, y = few_digits
    images, y = images[:60], y[:60]
    weight = np.tile([1, 2, 0], 20)
    # batch_size='auto' puts the 60 weighted rows and the 100 repeated ones in
    # one batch each, so every step is the same full-batch step
    params = {**SMALL, "batch_size": "auto", "max_iter": 10}
    weighted = CNNClassifier(**params).fit(images, y, sample_weight=weight)
    repeated = CNNClassifier(**params).fit(
        np.repeat(images, weight, axis=0), np.repeat(y, weight)
    )
    np.testing.assert_allclose(
        weighted.predict_proba(images), repeated.predict_proba(images), atol=1e-5
    )


# -- augmentation only while training -------------------------------------------------
class SpyAugmenter(ImageAugmenter):
    """Records the size of every batch it augments (in a list shared by clones)."""

    log: list = []

    def _batch_transform(self, generator):
        augment = super()._batch_transform(generator)

        def spy(images):
            SpyAugmenter.log.append(len(images))
            return augment(images)

        return spy


def test_augmentation_touches_training_batches_only(few_digits):
    images, y = few_digits
    SpyAugmenter.log.clear()
    clf = CNNClassifier(
        **{**SMALL, "batch_size": 50},
        early_stopping=True,
        validation_fraction=0.2,
        augment=SpyAugmenter(horizontal_flip=True),
    ).fit(images, y)
    # 240 training images per epoch in batches of 50; the 60 held out never
    assert SpyAugmenter.log == [50, 50, 50, 50, 40] * 3
    clf.predict(images)
    clf.predict_proba(images)
    clf.score(images, y)
    assert len(SpyAugmenter.log) == 15
    # in cross-validation only the training folds are augmented
    SpyAugmenter.log.clear()
    cross_validate(clone(clf).set_params(early_stopping=False), images, y, cv=3)
    assert sum(SpyAugmenter.log) == 3 * 200 * 3


def test_augmentation_changes_training_and_is_reproducible(few_digits):
    images, y = few_digits
    plain = CNNClassifier(**SMALL).fit(images, y)
    augmenter = ImageAugmenter(rotation_range=15, width_shift_range=1, random_state=0)
    first = CNNClassifier(**SMALL, augment=augmenter).fit(images, y)
    second = CNNClassifier(**SMALL, augment=clone(augmenter)).fit(images, y)
    np.testing.assert_array_equal(
        first.predict_proba(images), second.predict_proba(images)
    )
    assert not np.allclose(first.predict_proba(images), plain.predict_proba(images))
    # the draws come from the classifier's seed, not the augmenter's
    reseeded = CNNClassifier(**{**SMALL, "random_state": 1}, augment=augmenter)
    reseeded.fit(images, y)
    assert not np.allclose(reseeded.predict_proba(images), first.predict_proba(images))


def test_bad_augmenter_leaves_the_fitted_model(few_digits):
    images, y = few_digits
    clf = CNNClassifier(**SMALL).fit(images, y)
    before = clf.predict_proba(images)
    clf.set_params(augment=ImageAugmenter(zoom_range=(0, 2)))
    with pytest.raises(ValueError, match="zoom_range must hold positive factors"):
        clf.fit(images, y)
    np.testing.assert_array_equal(clf.predict_proba(images), before)


# -- the sklearn contract ------------------------------------------------------------
def test_estimator_api_on_images(few_digits):
    images, y = few_digits
    augmenter = ImageAugmenter(rotation_range=10, horizontal_flip=True)
    check_estimator_api(CNNClassifier(**SMALL, augment=augmenter), images, y)


def test_seeds_reproduce_and_differ(few_digits):
    images, y = few_digits
    proba = [
        CNNClassifier(**{**SMALL, "random_state": seed})
        .fit(images, y)
        .predict_proba(images)
        for seed in (0, 0, 1)
    ]
    np.testing.assert_array_equal(proba[0], proba[1])
    assert not np.allclose(proba[0], proba[2])


def test_pickle_keeps_augmenter_and_predictions(few_digits):
    images, y = few_digits
    clf = CNNClassifier(**SMALL, augment=ImageAugmenter(rotation_range=10)).fit(
        images, y
    )
    restored = pickle.loads(pickle.dumps(clf))
    np.testing.assert_array_equal(restored.predict(images), clf.predict(images))
    assert restored.augment.rotation_range == 10
    # the restored model keeps training where it stopped
    restored.set_params(warm_start=True, max_iter=1).fit(images, y)
    assert restored.n_iter_ == 1 and len(restored.history_) == 4


def test_pipeline_and_grid_search(digits):
    X_train, X_test, y_train, y_test = digits
    pipe = make_pipeline(
        FunctionTransformer(lambda X: X / 16),
        CNNClassifier(**{**SMALL, "rescale": None, "max_iter": 10}),
    )
    search = GridSearchCV(
        pipe,
        {
            "cnnclassifier__conv_filters": [(4,), (8, 16)],
            "cnnclassifier__learning_rate_init": [1e-4, 3e-3],
        },
        cv=2,
    ).fit(X_train[:400], y_train[:400])
    assert search.best_params_["cnnclassifier__learning_rate_init"] == 3e-3
    assert search.cv_results_["mean_test_score"].shape == (4,)
    assert search.score(X_test, y_test) > 0.8


def test_save_and_load_without_pickle(few_digits, tmp_path):
    from skdl.io import load, save

    images, y = few_digits
    augmenter = ImageAugmenter(rotation_range=10)
    clf = CNNClassifier(**SMALL, augment=augmenter).fit(images, y)
    save(clf, tmp_path / "cnn.skdl")
    # the augmenter is a Python object: load asks for it by name
    with pytest.raises(ValueError, match=r"load\(path, augment=\.\.\.\)"):
        load(tmp_path / "cnn.skdl")
    restored = load(tmp_path / "cnn.skdl", augment=augmenter)
    np.testing.assert_array_equal(
        restored.predict_proba(images), clf.predict_proba(images)
    )
    assert restored.image_shape_ == (8, 8, 1)
