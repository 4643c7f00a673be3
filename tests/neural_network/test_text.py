"""LSTMTextClassifier: accuracy on real and order-dependent text, padding
invariance, text handling, bad input, and the sklearn contract by hand."""

import pickle

import numpy as np
import pandas as pd
import pytest
from api_checks import check_estimator_api
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import (
    GridSearchCV,
    StratifiedKFold,
    cross_val_score,
    train_test_split,
)
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer

from skdl import LSTMTextClassifier
from skdl.datasets import load_sentiment_sentences

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

# small and quick; the tests that need accuracy say what they add
FAST = {
    "hidden_size": 16,
    "embedding_dim": 16,
    "early_stopping": False,
    "max_iter": 8,
    "learning_rate_init": 0.01,
    "random_state": 0,
}

FILLERS = "the movie plot was acting really story film quite its cast music".split()
POSITIVE = "good great fine nice".split()
NEGATIVE = "bad awful poor dull".split()


def negation_task(n, seed):
    """Sentences whose label needs word order: 'not' flips the next adjective.

    Every sentence holds one adjective and one 'not'; the label is the
    adjective's polarity, flipped when 'not' comes right before it. Each word's
    presence says nothing about the label, so a bag of words is at chance.
    """
    rng = np.random.RandomState(seed)
    X, y = [], []
    for _ in range(n):
        words = list(rng.choice(FILLERS, size=rng.randint(3, 7)))
        positive = rng.rand() < 0.5
        adjective = rng.choice(POSITIVE if positive else NEGATIVE)
        negated = rng.rand() < 0.5
        spot = rng.randint(0, len(words) + 1)
        if negated:
            words[spot:spot] = ["not", adjective]
        else:  # 'not' elsewhere: after the adjective, never right before it
            words[spot:spot] = [adjective]
            words.insert(rng.randint(spot + 1, len(words) + 1), "not")
        X.append(" ".join(words))
        y.append(int(positive != negated))
    return np.array(X, dtype=object), np.array(y)


@pytest.fixture(scope="module")
def negation():
    return negation_task(400, seed=0)


@pytest.fixture(scope="module")
def fitted(negation):
    X, y = negation
    return LSTMTextClassifier(**FAST).fit(X, y)


# -- accuracy ------------------------------------------------------------------------
@pytest.mark.slow
def test_sentiment_sentences_cv_accuracy_matches_tfidf_logistic_regression():
    X, y = load_sentiment_sentences(return_X_y=True)
    cv = StratifiedKFold(5, shuffle=True, random_state=0)
    lstm = LSTMTextClassifier(
        32,
        embedding_dim=64,
        pooling="max",
        early_stopping=False,
        max_iter=3,
        random_state=0,
    )
    ours = cross_val_score(lstm, X, y, cv=cv).mean()
    baseline = make_pipeline(TfidfVectorizer(), LogisticRegression())
    theirs = cross_val_score(baseline, X, y, cv=cv).mean()
    assert ours >= 0.78
    assert ours >= theirs - 0.02, (ours, theirs)


def test_word_order_task_needs_the_lstm():
    X, y = negation_task(800, seed=1)
    X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)
    lstm = LSTMTextClassifier(**FAST).fit(X_train, y_train)
    bag = make_pipeline(TfidfVectorizer(), LogisticRegression())
    bag.fit(X_train, y_train)
    assert lstm.score(X_test, y_test) >= 0.95
    assert bag.score(X_test, y_test) <= 0.6


# -- padding -------------------------------------------------------------------------
@pytest.mark.parametrize("pooling", ["last", "max", "mean"])
def test_predictions_do_not_depend_on_the_other_documents_of_a_batch(negation, pooling):
    X, y = negation
    model = LSTMTextClassifier(**{**FAST, "max_iter": 2, "pooling": pooling})
    model.fit(X, y)
    long_document = " ".join(["the movie"] * 40)
    mixed = [*X[:20], long_document]
    together = model.predict_proba(mixed)[:20]
    alone = np.vstack([model.predict_proba([doc]) for doc in X[:20]])
    np.testing.assert_allclose(together, alone, rtol=1e-5, atol=1e-6)


# -- text handling -------------------------------------------------------------------
def test_unseen_tokens_read_as_out_of_vocabulary_and_empty_documents_work(fitted):
    assert "zebra" not in fitted.vocabulary_
    proba = fitted.predict_proba(["zebra xylophone", "qq ww", "", "   ", "good"])
    assert np.isfinite(proba).all()
    # any two unseen tokens read the same; so do all empty documents
    np.testing.assert_array_equal(proba[0], proba[1])
    np.testing.assert_array_equal(proba[2], proba[3])
    assert not np.array_equal(proba[0], proba[4])
    assert fitted.predict(["", "zebra"]).shape == (2,)


def test_vocabulary_follows_count_vectorizer_options():
    X = ["The cat sat", "the cat ran", "A dog ran", "the dog"]
    y = [0, 1, 0, 1]
    params = {**FAST, "max_iter": 1, "batch_size": 2}
    model = LSTMTextClassifier(**params).fit(X, y)
    assert set(model.vocabulary_) == set(CountVectorizer().fit(X).vocabulary_)
    assert sorted(model.vocabulary_.values()) == list(range(2, 7))
    model = LSTMTextClassifier(min_df=2, **params).fit(X, y)
    assert set(model.vocabulary_) == {"the", "cat", "ran", "dog"}
    model = LSTMTextClassifier(max_features=1, **params).fit(X, y)
    assert set(model.vocabulary_) == {"the"}
    model = LSTMTextClassifier(stop_words="english", **params).fit(X, y)
    assert "the" not in model.vocabulary_ and "cat" in model.vocabulary_
    model = LSTMTextClassifier(lowercase=False, **params).fit(X, y)
    assert {"The", "the"} <= set(model.vocabulary_)
    model = LSTMTextClassifier(analyzer="char", **params).fit(X, y)
    assert {"t", "h", " "} <= set(model.vocabulary_)
    model = LSTMTextClassifier(analyzer=str.split, **params).fit(X, y)
    assert {"The", "A"} <= set(model.vocabulary_)


@pytest.mark.parametrize(("truncating", "learnable"), [("post", True), ("pre", False)])
def test_max_length_keeps_the_start_or_the_end(truncating, learnable):
    rng = np.random.RandomState(0)
    first = rng.randint(0, 2, size=200)
    X = [
        " ".join([("yes" if f else "no"), *rng.choice(FILLERS, size=5)]) for f in first
    ]
    model = LSTMTextClassifier(
        **{**FAST, "max_iter": 10}, max_length=1, truncating=truncating
    ).fit(X, first)
    assert (model.score(X, first) == 1.0) == learnable


def test_tokens_and_integer_ids_are_accepted(negation):
    X, y = negation
    analyze = CountVectorizer().build_analyzer()
    tokens = [analyze(doc) for doc in X]
    from_text = LSTMTextClassifier(**FAST).fit(X, y)
    from_tokens = LSTMTextClassifier(**FAST).fit(tokens, y)
    np.testing.assert_array_equal(
        from_text.predict_proba(X), from_tokens.predict_proba(tokens)
    )
    # ids: any ints are tokens; a 2-D int array is read row by row
    words = sorted({t for doc in tokens for t in doc})
    ids = [[1000 + words.index(t) for t in doc] for doc in tokens]
    from_ids = LSTMTextClassifier(**FAST).fit(ids, y)
    assert set(from_ids.vocabulary_) == {1000 + i for i in range(len(words))}
    np.testing.assert_array_equal(
        from_ids.predict_proba(ids), from_text.predict_proba(X)
    )
    grid = np.array([[5, 6, 7], [7, 6, 5]] * 10)
    model = LSTMTextClassifier(**FAST).fit(grid, [0, 1] * 10)
    assert model.score(grid, [0, 1] * 10) == 1.0
    assert model.predict([[5, 6, 7, 99]]).shape == (1,)


def test_pandas_series_and_numpy_arrays_of_text(negation):
    X, y = negation
    model = LSTMTextClassifier(**{**FAST, "max_iter": 1}).fit(pd.Series(X), y)
    np.testing.assert_array_equal(
        model.predict_proba(pd.Series(X[:5], index=[9, 3, 1, 0, 2])),
        model.predict_proba(list(X[:5])),
    )
    np.testing.assert_array_equal(
        model.predict(np.array(X[:5], dtype=str)), model.predict(X[:5])
    )


def test_pretrained_embeddings_dict_array_and_freezing(negation):
    X, y = negation
    rng = np.random.RandomState(0)
    words = [*FILLERS, *POSITIVE, *NEGATIVE, "not"]
    vectors = {word: rng.normal(size=6) for word in words[:-3]}
    params = {**FAST, "max_iter": 2}
    model = LSTMTextClassifier(
        pretrained_embeddings=vectors, freeze_embeddings=True, **params
    ).fit(X, y)
    weight = model.net_.module_.embedding.weight.detach().numpy()
    for word, vector in vectors.items():
        np.testing.assert_allclose(weight[model.vocabulary_[word]], vector, rtol=1e-6)
    assert weight.shape[1] == 6 and not weight[:2].any()  # padding, OOV at zero
    assert not model.net_.module_.embedding.weight.requires_grad
    # trainable: the vectors move
    model = LSTMTextClassifier(pretrained_embeddings=vectors, **params).fit(X, y)
    weight = model.net_.module_.embedding.weight.detach().numpy()
    assert not np.allclose(weight[model.vocabulary_["good"]], vectors["good"])
    # an array gives the vector of id i in row i
    ids = [[3, 1, 4], [1, 5], [9, 2, 6, 5], [3, 5]] * 5
    table = rng.normal(size=(10, 4))
    model = LSTMTextClassifier(
        pretrained_embeddings=table, freeze_embeddings=True, **params
    ).fit(ids, [0, 1, 1, 0] * 5)
    weight = model.net_.module_.embedding.weight.detach().numpy()
    np.testing.assert_allclose(weight[model.vocabulary_[9]], table[9], rtol=1e-6)


def test_pretrained_embeddings_errors(negation):
    X, y = negation
    params = {**FAST, "max_iter": 1}
    with pytest.raises(ValueError, match=r"None of the \d+ vocabulary tokens"):
        LSTMTextClassifier(pretrained_embeddings={"GOOD": [1.0]}, **params).fit(X, y)
    with pytest.raises(ValueError, match="array of pretrained_embeddings"):
        LSTMTextClassifier(pretrained_embeddings=np.ones((5, 3)), **params).fit(X, y)
    with pytest.raises(ValueError, match="1-D vectors of one length"):
        LSTMTextClassifier(
            pretrained_embeddings={"good": [1.0, 2.0], "bad": [1.0]}, **params
        ).fit(X, y)


# -- bad input -----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("X", "match"),
    [
        ("good movie", "single str"),
        ([1.5, 2.0], "document 0 is a float"),
        (["good", None], "document 1 is a NoneType"),
        (pd.Series(["good", np.nan]), "document 1 is a float"),
        (pd.DataFrame({"text": ["a b", "c d"]}), "2-D DataFrame"),
        (np.ones((2, 3)), "2-D ndarray"),
        ([["good", 3]], "document 0 is a list"),
        ([[1, 2], "good"], "integer id sequences and strings"),
        (42, "iterable of documents"),
    ],
)
def test_non_text_input_is_a_clear_type_error(X, match):
    with pytest.raises(TypeError, match=match):
        LSTMTextClassifier(**FAST).fit(X, [0, 1])


def test_predict_checks_the_kind_of_input_and_errors_keep_the_model(fitted, negation):
    X, _ = negation
    before = fitted.predict_proba(X[:10])
    vocabulary = dict(fitted.vocabulary_)
    with pytest.raises(TypeError, match="fitted on strings, but X holds integer ids"):
        fitted.predict([[1, 2, 3]])
    with pytest.raises(ValueError, match="0 documents"):
        fitted.predict([])
    refit = pickle.loads(pickle.dumps(fitted))
    with pytest.raises(TypeError, match="document 1"):
        refit.fit(["good", 3], [0, 1])
    assert refit.vocabulary_ == vocabulary
    np.testing.assert_array_equal(refit.predict_proba(X[:10]), before)
    with pytest.raises(ValueError, match="no tokens to learn"):
        LSTMTextClassifier(**FAST).fit(["a", "b"], [0, 1])


# -- targets, weights, training options from the base --------------------------------
def test_string_multiclass_labels_and_class_weight(negation):
    X, y = negation
    labels = np.array(["neg", "pos", "other"])[
        np.where(np.arange(len(y)) % 5 == 0, 2, y)
    ]
    model = LSTMTextClassifier(**FAST, class_weight="balanced").fit(X, labels)
    np.testing.assert_array_equal(model.classes_, ["neg", "other", "pos"])
    proba = model.predict_proba(X)
    assert proba.shape == (len(X), 3)
    np.testing.assert_allclose(proba.sum(axis=1), 1, rtol=1e-6)
    assert set(model.predict(X)) <= set(labels)


def test_early_stopping_and_warm_start_come_from_the_base(negation):
    X, y = negation
    params = {**FAST, "max_iter": 30, "early_stopping": True, "n_iter_no_change": 2}
    model = LSTMTextClassifier(**params).fit(X, y)
    assert model.n_iter_ < 30
    assert len(model.validation_scores_) == model.n_iter_
    assert model.best_validation_score_ == max(model.validation_scores_)
    vocabulary = dict(model.vocabulary_)
    model.set_params(warm_start=True, early_stopping=False, max_iter=2)
    model.fit(["zebra " + doc for doc in X], y)  # the vocabulary is kept
    assert model.vocabulary_ == vocabulary
    model.set_params(lowercase=False)  # read against that vocabulary: refused
    with pytest.raises(ValueError, match="changed since it was built: lowercase"):
        model.fit(X, y)


def test_seeds_reproduce_bitwise(negation):
    X, y = negation
    first = LSTMTextClassifier(**{**FAST, "dropout": 0.3}).fit(X, y).predict_proba(X)
    again = LSTMTextClassifier(**{**FAST, "dropout": 0.3}).fit(X, y).predict_proba(X)
    other = LSTMTextClassifier(**{**FAST, "dropout": 0.3, "random_state": 1})
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first, other.fit(X, y).predict_proba(X))


# -- the sklearn contract by hand ----------------------------------------------------
def test_estimator_api(negation):
    X, y = negation
    check_estimator_api(
        LSTMTextClassifier(**{**FAST, "max_iter": 2}), X[:120], y[:120], X[120:160]
    )


def test_pipeline_and_grid_search_on_raw_strings(negation):
    X, y = negation
    pipeline = make_pipeline(
        FunctionTransformer(lambda docs: [d.replace("really", "") for d in docs]),
        LSTMTextClassifier(**{**FAST, "max_iter": 3}),
    )
    search = GridSearchCV(
        pipeline,
        {
            "lstmtextclassifier__hidden_size": [4, 16],
            "lstmtextclassifier__bidirectional": [False, True],
        },
        cv=2,
    ).fit(X, y)
    assert len(search.cv_results_["params"]) == 4
    best = search.best_estimator_[-1]
    layer = best.net_.module_.encoder.layers[0]
    assert layer.forward_cell.hidden_size == best.hidden_size
    assert (layer.backward_cell is not None) == best.bidirectional
    assert search.predict(X[:3]).shape == (3,)
