"""LSTMLanguageModel: what an n-gram cannot learn, consistency of its methods,
early stopping on held-out perplexity, tied embeddings, and the base's options."""

import math

import numpy as np
import pytest
import torch
from api_checks import check_estimator_api, keras_decay
from sklearn.model_selection import train_test_split

from skdl import LSTMLanguageModel, NGramLanguageModel
from skdl.datasets import load_sentiment_sentences
from skdl.io import load, save
from skdl.modules import ConvSteps, RecurrentLanguageModule
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


@pytest.mark.parametrize(
    "params",
    [
        {"analyzer": "char"},
        {"lowercase": False},
        {"token_pattern": r"\S+"},
        {"stop_words": "english"},
        {"max_features": 50},
        {"min_df": 2},
    ],
)
def test_warm_start_refuses_other_tokens_or_vocabulary(params, sentences, tmp_path):
    # the fitted vocabulary is kept: new options would read other tokens
    # against it (analyzer='char': every one <unk>) or change nothing
    model = LSTMLanguageModel(**FAST, warm_start=True).fit(sentences)
    state = {k: v.clone() for k, v in model.net_.module_.state_dict().items()}
    (name,) = params
    fitted = model.get_params()[name]
    model.set_params(**params)
    with pytest.raises(ValueError, match=f"changed since it was built: {name}"):
        model.fit(sentences)
    for key, value in model.net_.module_.state_dict().items():
        assert torch.equal(value, state[key])
    # the fitted value back, as a NumPy scalar where it is an int: no change
    same = np.int64(fitted) if type(fitted) is int else fitted
    model.set_params(**{name: same}).fit(sentences)
    # a loaded model given its callable analyzer continues it
    model = LSTMLanguageModel(**FAST, warm_start=True, analyzer=str.split)
    save(model.fit(sentences), tmp_path / "split.skdl")
    load(tmp_path / "split.skdl", analyzer=str.split).fit(sentences)


def test_estimator_api(sentences):
    check_estimator_api(
        LSTMLanguageModel(**{**FAST, "max_iter": 2}),
        sentences[:100],
        None,
        sentences[100:140],
    )


def test_float64_scores_and_numpy_int_sizes(sentences):
    params = {**FAST, "hidden_size": np.int64(16), "embedding_dim": np.int64(8)}
    model = LSTMLanguageModel(**params, precision="float64").fit(sentences[:40])
    # computed in float64 to the end: float32 log-probabilities would sum to
    # float32 values
    scores = model.score_samples(sentences[40:60])
    assert (scores != scores.astype(np.float32)).all()
    assert model.predict_proba_next(["the"]).dtype == np.float64
    proba = model.predict_proba_next(["the", "a good"])
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-14)


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


# -- the network estimators' training options (issue 19) ----------------------------
def test_validation_data_is_what_valid_loss_and_early_stopping_use(sentences):
    train, held_out = sentences[:100], sentences[100:]
    model = LSTMLanguageModel(**FAST).fit(train, validation_data=held_out)
    # every training text trains (no validation_fraction is set aside), and the
    # last epoch's records are those of the fitted model on the held-out texts
    assert model.history_[0, "samples_seen"] == len(train)
    assert model.history_[-1, "valid_loss"] == pytest.approx(
        -model.score(held_out), rel=1e-5
    )
    assert model.history_[-1, "valid_score"] == pytest.approx(
        model.score(held_out), rel=1e-5
    )
    # early stopping on the held-out loss restores the epoch of the lowest one
    stopping = LSTMLanguageModel(
        **{
            **FAST,
            "max_iter": 40,
            "learning_rate_init": 0.03,
            "early_stopping": True,
            "early_stopping_monitor": "loss",
            "n_iter_no_change": 2,
        }
    ).fit(train, validation_data=held_out)
    losses = stopping.history_[:, "valid_loss"]
    assert stopping.n_iter_ < 40 and stopping.history_[0, "samples_seen"] == 100
    assert -stopping.score(held_out) == pytest.approx(min(losses), rel=1e-5)
    assert stopping.perplexity(held_out) == pytest.approx(math.exp(min(losses)))


@pytest.mark.parametrize("schedule", ["exponential", "step"])
def test_decay_schedules_follow_their_formula(schedule, sentences):
    model = LSTMLanguageModel(
        **{**FAST, "max_iter": 4},
        learning_rate=schedule,
        decay_rate=0.5,
        decay_steps=2,
    ).fit(sentences)
    expected = keras_decay(schedule, 0.01, 0.5, 2, 4)
    np.testing.assert_allclose(model.history_[:, "lr"], expected)


def test_plateau_lowers_the_rate_when_the_held_out_loss_stalls(sentences):
    # tol=10: no epoch improves the held-out loss by that much
    model = LSTMLanguageModel(
        **{**FAST, "max_iter": 5},
        learning_rate="plateau",
        decay_rate=0.1,
        plateau_patience=2,
        min_learning_rate=2e-4,
        tol=10.0,
        n_iter_no_change=100,
    ).fit(sentences[:100], validation_data=sentences[100:])
    np.testing.assert_allclose(model.history_[:, "lr"], [0.01, 0.01, 0.01, 1e-3, 1e-3])
    plateau = dict(model.net_.callbacks_)["plateau"]
    assert plateau.best_ == model.history_[0, "valid_loss"]


@pytest.mark.parametrize(
    "params, torch_class, option",
    [
        ({"solver": "adadelta", "rho": 0.5}, torch.optim.Adadelta, ("rho", 0.5)),
        ({"solver": "adamax"}, torch.optim.Adamax, ("betas", (0.9, 0.999))),
        ({"solver": "nadam"}, torch.optim.NAdam, ("betas", (0.9, 0.999))),
        ({"amsgrad": True}, torch.optim.Adam, ("amsgrad", True)),
    ],
)
def test_solvers_and_their_options(params, torch_class, option, sentences):
    model = LSTMLanguageModel(**{**FAST, "max_iter": 2}, **params).fit(sentences)
    optimizer = model.net_.optimizer_
    assert isinstance(optimizer, torch_class)
    assert optimizer.param_groups[0][option[0]] == option[1]
    assert np.isfinite(model.perplexity(sentences))


WINDOW = {**FAST, "cell": None, "hidden_size": 32, "embedding_dim": 16}


def test_the_fixed_window_model_learns_a_repeated_sentence():
    texts = ["the cat sat on the mat today"] * 40
    model = LSTMLanguageModel(
        **{**WINDOW, "max_iter": 30}, max_length=2, batch_size=8
    ).fit(texts)
    # each next word (and the end) is certain given the two words before it
    tokens = ["the", "cat", "sat", "on", "the", "mat", "today", "</s>"]
    proba = model.predict_proba_next([tokens[:i] for i in range(len(tokens))])
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-5)
    columns = [model.vocabulary_[t] for t in tokens]
    assert proba[np.arange(len(tokens)), columns].min() > 0.95
    assert model.perplexity(texts[:1]) < 1.05
    assert model.generate(10, seed_text="the cat", random_state=0) == texts[0]


def test_the_fixed_window_reads_exactly_max_length_tokens(sentences):
    model = LSTMLanguageModel(**WINDOW, max_length=2).fit(sentences)
    module = model.net_.module_
    assert not any(isinstance(m, torch.nn.RNNBase) for m in module.modules())
    # what comes before the last 2 tokens does not matter; the tokens do
    proba = model.predict_proba_next(
        ["it was the phone", "phone the phone", "the phone", "was the", "the good"]
    )
    np.testing.assert_allclose(proba[0], proba[1], rtol=1e-5)
    np.testing.assert_allclose(proba[0], proba[2], rtol=1e-5)
    assert np.abs(proba[0] - proba[3]).max() > 1e-4
    # at a text's start the window holds <s> markers: a one-word text is read
    # as "<s> word"
    tokens = ["the", "phone", "!"]
    total = sum(
        math.log(model.predict_proba_next([tokens[:i]])[0, model.vocabulary_[t]])
        for i, t in enumerate([*tokens, "</s>"])
    )
    assert model.score_samples([" ".join(tokens)])[0] == pytest.approx(total, rel=1e-5)


@pytest.mark.parametrize("cell", ["lstm", None])
def test_conv_layers_are_causal(cell):
    """Changing a token changes the predictions from its position on, never
    those before it."""
    torch.manual_seed(0)
    module = RecurrentLanguageModule(
        20,
        8,
        16,
        cell=cell,
        context_length=3,
        conv_filters=(6, 5),
        kernel_size=[4, 3],
    ).eval()
    convs = [m for m in module.modules() if isinstance(m, torch.nn.Conv1d)]
    assert [c.kernel_size for c in convs] == [(4,), (3,)]
    ids = torch.tensor([[21, 3, 4, 5, 6, 7, 8, 9, 2]])
    changed = ids.clone()
    changed[0, 5] = 11
    with torch.no_grad():
        before, after = module(ids), module(changed)
    torch.testing.assert_close(before[:, :5], after[:, :5])
    assert (before[:, 5:] - after[:, 5:]).abs().amax(dim=2).min() > 0
    # padding after a text does not change its predictions either
    padded = torch.cat([ids, torch.zeros(1, 4, dtype=torch.int64)], dim=1)
    with torch.no_grad():
        torch.testing.assert_close(module(padded)[:, :9], before)


def test_a_model_with_conv_layers_learns_and_round_trips(sentences, tmp_path):
    model = LSTMLanguageModel(
        **{**WINDOW, "max_iter": 10}, max_length=3, conv_filters=(12,), kernel_size=2
    ).fit(sentences)
    # measured: 111 of a vocabulary of 523 after 10 epochs
    assert model.perplexity(sentences) < len(model.vocabulary_) / 4
    assert np.all(np.diff(model.loss_curve_) < 0)
    save(model, tmp_path / "lm.skdl")
    loaded = load(tmp_path / "lm.skdl")
    np.testing.assert_array_equal(
        loaded.score_samples(sentences), model.score_samples(sentences)
    )


@pytest.mark.parametrize(
    "params, fit, error, message",
    [
        ({"cell": None}, {}, ValueError, "set max_length"),
        ({"conv_filters": (4, 0)}, {}, ValueError, "conv_filters must hold positive"),
        (
            {"conv_filters": (4, 4), "kernel_size": [3]},
            {},
            ValueError,
            "kernel_size=.3. has 1 entries, but conv_filters has 2",
        ),
        ({"max_length": 0}, {}, ValueError, "'max_length' parameter"),
        ({"learning_rate": "cosine"}, {}, ValueError, "'learning_rate' parameter"),
        ({"early_stopping_monitor": "acc"}, {}, ValueError, "'early_stopping_monitor"),
        ({}, {"validation_data": "one text"}, ValueError, "held-out texts.*got str"),
        ({}, {"validation_data": []}, ValueError, "held-out texts.*got an empty list"),
        ({}, {"validation_data": (["a b"], None)}, ValueError, r"\(X_val, y_val\)"),
        ({"pool_size": 2}, {}, TypeError, "pool_size"),
    ],
)
def test_bad_values_are_clear_errors(params, fit, error, message, sentences):
    with pytest.raises(error, match=message):
        LSTMLanguageModel(**FAST, **params).fit(sentences[:20], **fit)


def test_causal_conv_layers_refuse_pooling():
    with pytest.raises(ValueError, match="causal conv layers take no pooling"):
        ConvSteps(4, [3], pool_size=2, causal=True)
