import sys

import matplotlib
import numpy as np
import pytest
from sklearn.datasets import load_digits, load_iris
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skdl import MLPClassifier, MLPRegressor, RBMTransformer
from skdl.plotting import plot_history, plot_image_grid

matplotlib.use("Agg")
import matplotlib.pyplot as plt


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def test_plot_history_draws_losses_and_scores_with_best_epoch():
    X, y = load_iris(return_X_y=True)
    model = make_pipeline(
        StandardScaler(),
        MLPClassifier((16,), max_iter=40, early_stopping=True, random_state=0),
    ).fit(X, y)
    history = model[-1].history_
    loss_ax, score_ax = plot_history(model)
    train, valid = loss_ax.get_lines()
    np.testing.assert_allclose(train.get_ydata(), history[:, "train_loss"])
    np.testing.assert_allclose(valid.get_ydata(), history[:, "valid_loss"])
    scores, best = score_ax.get_lines()
    np.testing.assert_allclose(scores.get_ydata(), history[:, "valid_score"])
    assert best.get_ydata()[0] == max(history[:, "valid_score"])


def test_plot_history_without_validation_has_one_panel():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(50, 2))
    model = MLPRegressor(
        hidden_layer_sizes=(4,), solver="lbfgs", max_iter=5, random_state=0
    )
    model.fit(X, X[:, 0])
    _, ax = plt.subplots()
    (drawn,) = plot_history(model, ax=ax)
    assert drawn is ax and len(ax.get_lines()) == 1
    assert len(ax.get_lines()[0].get_xdata()) == model.n_iter_


def test_plot_history_needs_a_fitted_estimator():
    with pytest.raises(ValueError, match="MLPClassifier has none: fit it first"):
        plot_history(MLPClassifier())
    # an RBM trains outside skdl's loop: fitting it would not help
    rbm = RBMTransformer(2, n_iter=1, random_state=0).fit(np.eye(4))
    with pytest.raises(ValueError, match="trains without skdl's training loop"):
        plot_history(rbm)
    model = MLPClassifier((2,), max_iter=2).fit(np.eye(4), [0, 1, 0, 1])
    with pytest.raises(TypeError, match="ax must be a matplotlib Axes"):
        plot_history(model, ax=["foo"])
    _, axes = plt.subplots(2, 2)  # an array of axes reads as its flat sequence
    assert plot_history(model, ax=axes)[0] is axes[0, 0]


def test_plot_image_grid_titles_and_layouts():
    digits = load_digits()
    fig = plot_image_grid(digits.data[:10], digits.target[:10], n_cols=4)
    assert len(fig.axes) == 10
    assert [ax.get_title() for ax in fig.axes] == [str(t) for t in digits.target[:10]]
    first = fig.axes[0].get_images()[0].get_array()
    image = digits.images[0]  # float pixels are scaled to [0, 1] per image
    np.testing.assert_allclose(first, (image - image.min()) / np.ptp(image))

    color = np.random.default_rng(0).integers(0, 256, (3, 5, 5, 3), dtype=np.uint8)
    fig = plot_image_grid(color)
    np.testing.assert_array_equal(fig.axes[2].get_images()[0].get_array(), color[2])

    filters = np.random.default_rng(0).normal(size=(2, 6, 4))
    fig = plot_image_grid(filters)
    shown = fig.axes[0].get_images()[0].get_array()
    assert shown.min() == 0 and shown.max() == 1


def test_plot_image_grid_takes_labels_by_position():
    # y_test from train_test_split keeps the shuffled index of the full Series
    pd = pytest.importorskip("pandas")
    images = np.zeros((4, 4, 4), np.uint8)
    labels = pd.Series(list("abcd"), index=[3, 2, 1, 0])
    fig = plot_image_grid(images, labels)
    assert [ax.get_title() for ax in fig.axes] == ["a", "b", "c", "d"]
    fig = plot_image_grid(images, pd.Series(list("abcd"), index=range(10, 14)))
    assert [ax.get_title() for ax in fig.axes] == ["a", "b", "c", "d"]
    fig = plot_image_grid(images, [1, "b", 2.5, None], max_images=2)
    assert [ax.get_title() for ax in fig.axes] == ["1", "b"]


def test_plot_image_grid_reads_channels_first():
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (2, 3, 8, 5), dtype=np.uint8)
    fig = plot_image_grid(images, data_format="channels_first")
    shown = fig.axes[1].get_images()[0].get_array()
    np.testing.assert_array_equal(shown, images[1].transpose(1, 2, 0))
    flat = images.reshape(2, -1)
    fig = plot_image_grid(flat, image_shape=(3, 8, 5), data_format="channels_first")
    np.testing.assert_array_equal(fig.axes[1].get_images()[0].get_array(), shown)


@pytest.mark.parametrize("name", ["n_cols", "max_images"])
@pytest.mark.parametrize("value", [0, -1, 2.5, True, "3"])
def test_plot_image_grid_refuses_bad_counts(name, value):
    with pytest.raises(ValueError, match=f"{name} must be an int >= 1"):
        plot_image_grid(np.zeros((6, 4, 4)), **{name: value})


def test_plot_image_grid_errors():
    with pytest.raises(ValueError, match="2 labels for 3 images"):
        plot_image_grid(np.zeros((3, 4, 4)), [0, 1])
    with pytest.raises(ValueError, match="4 labels for 3 images"):
        plot_image_grid(np.zeros((3, 4, 4)), [0, 1, 2, 3], max_images=2)
    with pytest.raises(ValueError, match="1 label for 3 images"):
        plot_image_grid(np.zeros((3, 4, 4)), "abc")
    with pytest.raises(ValueError, match="1 or 3 channels"):
        plot_image_grid(np.zeros((3, 4, 4, 2)))


def test_missing_matplotlib_gives_an_install_hint(monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    with pytest.raises(ImportError, match="pip install matplotlib"):
        plot_image_grid(np.zeros((1, 4, 4)))
