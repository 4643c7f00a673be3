"""Conv1D layers before the recurrent layers (conv_filters on sequence models)."""

import numpy as np
import pytest
import torch
from sklearn.model_selection import train_test_split

from skdl import LSTMClassifier, LSTMRegressor, LSTMTextClassifier
from skdl.datasets import load_sentiment_sentences
from skdl.modules import RecurrentModule
from skdl.modules._rnn import ConvSteps

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


def test_padding_never_reaches_the_real_steps():
    torch.manual_seed(0)
    conv = ConvSteps(3, [6, 5], kernel_size=[3, 4], pool_size=[2, None])
    x = torch.randn(1, 7, 3)
    alone, alone_lengths = conv(x, torch.tensor([7]))
    padded = torch.cat([x, torch.randn(1, 4, 3) * 100], dim=1)  # garbage padding
    out, lengths = conv(padded, torch.tensor([7]))
    assert alone_lengths.tolist() == lengths.tolist() == [4]  # ceil(7 / 2)
    torch.testing.assert_close(out[:, :4], alone[:, :4])
    # without lengths (numeric sequences, never padded) the same as a lone batch
    torch.testing.assert_close(conv(x)[0], alone)


def test_a_text_model_answers_alike_whatever_the_batch():
    torch.manual_seed(0)
    module = RecurrentModule(
        4, 5, 2, vocabulary_size=20, conv_filters=(6,), kernel_size=3, pool_size=2
    ).eval()
    short = torch.tensor([[3, 4, 5]])
    batch = torch.tensor([[3, 4, 5, 0, 0, 0, 0], [1, 2, 3, 4, 5, 6, 7]])
    torch.testing.assert_close(module(batch)[:1], module(short))


def test_text_classifier_with_conv_layers_learns_sentiment():
    data = load_sentiment_sentences()
    X_train, X_test, y_train, y_test = train_test_split(
        data.data, data.target, test_size=0.25, random_state=0, stratify=data.target
    )
    model = LSTMTextClassifier(
        32,
        conv_filters=(32,),
        kernel_size=3,
        pool_size=2,
        max_iter=8,
        random_state=0,
    ).fit(X_train, y_train)
    convs = [m for m in model.net_.module_.modules() if isinstance(m, torch.nn.Conv1d)]
    assert [(c.out_channels, c.kernel_size) for c in convs] == [(32, (3,))]
    assert model.score(X_test, y_test) > 0.7


def test_sequence_models_take_conv_layers():
    series = np.sin(np.arange(600) / 8.0)
    windows = np.lib.stride_tricks.sliding_window_view(series, 25)
    X, y = windows[:, :-1], windows[:, -1]
    reg = LSTMRegressor(
        16,
        conv_filters=(8, 8),
        kernel_size=[5, 3],
        pool_size=[2, None],
        max_iter=60,
        learning_rate_init=0.01,
        random_state=0,
    ).fit(X, y)
    assert reg.score(X, y) > 0.9
    clf = LSTMClassifier(8, conv_filters=[4], max_iter=2).fit(X, y > 0)
    assert clf.predict(X).shape == (len(X),)


@pytest.mark.parametrize(
    "params, message",
    [
        ({"conv_filters": (4, 0)}, "conv_filters must hold positive ints"),
        ({"conv_filters": (4, 4), "kernel_size": [3]}, "kernel_size=\\[3\\] has 1"),
        ({"conv_filters": (4,), "pool_size": [2, 2]}, "but conv_filters has 1"),
    ],
)
def test_conv_errors(params, message):
    X = np.random.RandomState(0).normal(size=(20, 10))
    model = LSTMRegressor(4, max_iter=1, **params)
    with pytest.raises(ValueError, match=message):
        model.fit(X, X[:, 0])
    assert not hasattr(model, "net_")


# -- cell=None: Keras' Embedding -> Flatten -> Dense text model ----------------------
def test_the_embedding_flatten_dense_model_learns_sentiment(tmp_path):
    from skdl.io import load, save

    data = load_sentiment_sentences()
    X_train, X_test, y_train, y_test = train_test_split(
        data.data, data.target, test_size=0.25, random_state=0, stratify=data.target
    )
    model = LSTMTextClassifier(
        cell=None, max_length=20, embedding_dim=8, max_iter=10, random_state=0
    ).fit(X_train, y_train)
    module = model.net_.module_
    assert module.encoder is None
    linear = [m for m in module.modules() if isinstance(m, torch.nn.Linear)]
    assert [(m.in_features, m.out_features) for m in linear] == [(20 * 8, 1)]
    assert model.score(X_test, y_test) > 0.7  # 0.756
    # a document's answer does not depend on the documents batched with it
    alone = np.concatenate([model.predict_proba([doc]) for doc in X_test[:20]])
    np.testing.assert_allclose(model.predict_proba(X_test[:20]), alone, atol=1e-6)
    save(model, tmp_path / "flat.skdl")
    np.testing.assert_array_equal(
        load(tmp_path / "flat.skdl").predict_proba(X_test), model.predict_proba(X_test)
    )


def test_the_flatten_model_needs_max_length_and_text():
    from skdl.utils._sklearn import InvalidParameterError

    docs, y = ["a good film", "a bad film", "good", "bad bad"], [1, 0, 1, 0]
    model = LSTMTextClassifier(cell=None, max_iter=1, early_stopping=False)
    with pytest.raises(ValueError, match=r"cell=None .* set max_length"):
        model.fit(docs, y)
    assert not hasattr(model, "net_")
    with_conv = LSTMTextClassifier(
        cell=None,
        max_length=5,
        conv_filters=(4,),
        pool_size=2,
        max_iter=1,
        early_stopping=False,
    ).fit(docs, y)
    first = next(
        m for m in with_conv.net_.module_.head if isinstance(m, torch.nn.Linear)
    )
    assert first.in_features == 4 * 3  # ceil(5 / 2) pooled steps of 4 filters
    X = np.random.RandomState(0).normal(size=(20, 10))
    with pytest.raises(InvalidParameterError, match="'cell' parameter"):
        LSTMRegressor(4, cell=None, max_iter=1).fit(X, X[:, 0])
