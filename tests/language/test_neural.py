"""LSTMLanguageModel: what an n-gram cannot learn, consistency of its methods,
early stopping on held-out perplexity, tied embeddings, and the base's options."""

import math

import numpy as np
import pytest
import torch
from api_checks import check_estimator_api
from sklearn.model_selection import train_test_split

from skdl import LSTMLanguageModel, NGramLanguageModel
from skdl.datasets import load_sentiment_sentences
from skdl.utils import seed_from_random_state

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

FAST = {
    "hidden_size": 16,
    "embedding_dim": 8,
    "dropout": 0.0,
    "early_stopping": False,
    "max_iter": 3,
    "learning_rate_init": 0.01,
    "random_state": 0,
}


def counting_language(n_texts, seed):
    """Texts ``x^k y^k``: when to end takes counting, beyond any fixed context."""
    rng = np.random.RandomState(seed)
    return [" ".join(["x"] * k + ["y"] * k) for k in rng.randint(1, 8, size=n_texts)]


@pytest.fixture(scope="module")
def sentences():
    X, _ = load_sentiment_sentences(return_X_y=True)
    return list(X[:120])


@pytest.fixture(scope="module")
def fitted(sentences):
    return LSTMLanguageModel(**FAST).fit(sentences)


def test_counting_needs_the_recurrent_model():
    """Measured: LSTM perplexity 1.29, Kneser-Ney 3-gram 1.65."""
    train, test = counting_language(600, seed=0), counting_language(200, seed=1)
    lstm = LSTMLanguageModel(
        **{**FAST, "hidden_size": 24, "max_iter": 20, "batch_size": 16}
    ).fit(train)
    trigram = NGramLanguageModel(n=3).fit(train)
    assert lstm.perplexity(test) < 1.4 < 1.6 < trigram.perplexity(test)
    # the end comes exactly when the ys balance the xs
    ends = lstm.predict_proba_next(["x x x y y y", "x x x y y"])[:, 1]
    assert ends[0] > 0.9 and ends[1] < 0.1


def test_methods_agree_with_each_other(fitted, sentences):
    proba = fitted.predict_proba_next(["", "the food was", "zebra quux"])
    assert proba.shape == (3, len(fitted.vocabulary_))
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-5)
    # the log-likelihood of a text is the chain rule over next-token probabilities
    tokens = fitted._analyzer()("The food was good, zebra!")
    total = sum(
        math.log(
            fitted.predict_proba_next([tokens[:i]])[0, fitted.vocabulary_.get(t, 0)]
        )
        for i, t in enumerate([*tokens, "</s>"])
    )
    assert fitted.score_samples(["The food was good, zebra!"])[0] == pytest.approx(
        total, rel=1e-5
    )
    # a text's score does not depend on the other texts of its batch
    mixed = fitted.score_samples([*sentences[:20], " ".join(["long"] * 200)])[:20]
    alone = [fitted.score_samples([text])[0] for text in sentences[:20]]
    np.testing.assert_allclose(mixed, alone, rtol=1e-5)
    n_tokens = sum(len(fitted._analyzer()(t)) + 1 for t in sentences[:20])
    assert fitted.score(sentences[:20]) == pytest.approx(
        sum(alone) / n_tokens, rel=1e-6
    )
    assert fitted.perplexity(sentences[:20]) == pytest.approx(
        math.exp(-fitted.score(sentences[:20]))
    )


def test_same_vocabulary_as_the_ngram_model(fitted, sentences):
    ngram = NGramLanguageModel(min_df=1).fit(sentences)
    assert fitted.vocabulary_ == ngram.vocabulary_
    assert set(LSTMLanguageModel(**FAST, min_df=2).fit(sentences).vocabulary_) == set(
        NGramLanguageModel(min_df=2).fit(sentences).vocabulary_
    )


def test_early_stopping_watches_held_out_perplexity(sentences):
    params = {**FAST, "early_stopping": True, "max_iter": 30, "n_iter_no_change": 2}
    model = LSTMLanguageModel(**params).fit(sentences)
    assert model.n_iter_ < 30
    assert len(model.validation_scores_) == model.n_iter_
    # the held-out texts are the base's split; the best weights are restored,
    # so their mean log-likelihood per token is the best validation score
    seed = seed_from_random_state(0)
    _, held_out = train_test_split(
        np.arange(len(sentences)), test_size=0.1, random_state=seed % 2**32
    )
    score = model.score([sentences[i] for i in held_out])
    assert score == pytest.approx(model.best_validation_score_, rel=1e-5)
    assert model.best_validation_score_ == max(model.validation_scores_)


def test_tied_weights_score_with_the_embeddings(sentences):
    tied = LSTMLanguageModel(**FAST, tie_weights=True).fit(sentences)
    untied = LSTMLanguageModel(**FAST).fit(sentences)
    module = tied.net_.module_
    assert not hasattr(module, "output")
    n_tied = sum(p.numel() for p in module.parameters())
    n_untied = sum(p.numel() for p in untied.net_.module_.parameters())
    # the output matrix (V x 16) gives way to a 16 -> 8 projection
    size = len(tied.vocabulary_)
    assert n_untied - n_tied == size * 16 - 16 * 8
    ids = torch.tensor([[size + 1, 5, 9]])
    with torch.no_grad():
        hidden = module.encoder(module.embedding(ids))
        expected = module.projection(hidden) @ module.embedding.weight[1 : size + 1].T
        np.testing.assert_allclose(
            module(ids), expected + module.output_bias, rtol=1e-5, atol=1e-6
        )


@pytest.mark.parametrize("cell", ["gru", "rnn"])
def test_cells_and_characters(cell, sentences):
    model = LSTMLanguageModel(**FAST, cell=cell, analyzer="char").fit(sentences[:100])
    assert {"a", " "} <= set(model.vocabulary_)
    text = model.generate(30, seed_text="the ", random_state=0)
    assert text.startswith("the ") and len(text) <= 34
    assert text == model.generate(30, seed_text="the ", random_state=0)


def test_warm_start_continues_and_keeps_the_vocabulary(sentences):
    model = LSTMLanguageModel(**FAST).fit(sentences)
    vocabulary, before = dict(model.vocabulary_), model.score(sentences)
    model.set_params(warm_start=True).fit(["zebra " + s for s in sentences])
    assert model.vocabulary_ == vocabulary
    # n_iter_ counts the epochs of the last call, history_ all of them
    assert model.n_iter_ == 3 and len(model.history_) == 6
    assert model.score(sentences) > before


def test_estimator_api(sentences):
    check_estimator_api(
        LSTMLanguageModel(**{**FAST, "max_iter": 2}),
        sentences[:100],
        None,
        sentences[100:140],
    )


@pytest.mark.slow
def test_sentences_lstm_against_kneser_ney():
    """On the sentiment sentences (80/20 split, min_df=2): LSTM 128 units with
    tied embeddings 66.4, Kneser-Ney trigram 67.9 (the gallery example's run)."""
    X, _ = load_sentiment_sentences(return_X_y=True)
    train, test = train_test_split(list(X), test_size=0.2, random_state=0)
    lstm = LSTMLanguageModel(
        128, embedding_dim=128, tie_weights=True, min_df=2, random_state=0
    ).fit(train)
    trigram = NGramLanguageModel(min_df=2).fit(train)
    assert lstm.perplexity(test) < 1.02 * trigram.perplexity(test)
