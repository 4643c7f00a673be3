"""NGramLanguageModel: smoothing against hand computation and a plain reference,
distributions that sum to 1, edge cases, and perplexity on real text."""

import itertools
import math
import random
import warnings
from collections import Counter

import numpy as np
import pytest
from api_checks import check_estimator_api
from sklearn.base import is_classifier
from sklearn.exceptions import NotFittedError
from sklearn.model_selection import GridSearchCV, train_test_split

from skdl import LSTMTextClassifier, NGramLanguageModel
from skdl.datasets import load_sentiment_sentences

SMOOTHINGS = ["kneser_ney", "laplace", "witten_bell", "stupid_backoff"]
DISTRIBUTIONS = ["kneser_ney", "laplace", "witten_bell"]

# vocabulary: <unk> 0, </s> 1, a 2, b 3; padded texts: <s> a b </s> and <s> b </s>
TOY = ["a b", "b"]


def proba(model, context, token):
    return model.predict_proba_next([context])[0, model.vocabulary_[token]]


# -- the formulas, by hand -----------------------------------------------------------
def test_kneser_ney_bigram_by_hand():
    lm = NGramLanguageModel(n=2, discount=0.75).fit(TOY)
    assert lm.vocabulary_ == {"<unk>": 0, "</s>": 1, "a": 2, "b": 3}
    # unigram continuation counts (distinct tokens before): a {<s>}, b {<s>, a},
    # </s> {b}: 4 in all, 3 types; P_uni(w) = max(N - .75, 0) / 4 + .75 * 3/4 / 4
    uni = {"a": 0.25 / 4, "b": 1.25 / 4, "</s>": 0.25 / 4, "<unk>": 0.0}
    uni = {w: p + 0.75 * 3 / 4 / 4 for w, p in uni.items()}
    assert uni == {"a": 0.203125, "b": 0.453125, "</s>": 0.203125, "<unk>": 0.140625}
    # after 'a' (seen once, followed by b only): (1 - .75) / 1 + .75 * 1/1 * P_uni
    assert proba(lm, "a", "b") == pytest.approx(0.25 + 0.75 * 0.453125, abs=1e-15)
    assert proba(lm, "a", "a") == pytest.approx(0.75 * 0.203125, abs=1e-15)
    # after 'b' (</s> twice): (2 - .75) / 2 + .75 * 1/2 * P_uni(</s>)
    assert proba(lm, "b", "</s>") == pytest.approx(0.701171875, abs=1e-15)
    # at the start (<s> before a and b once each): (1 - .75) / 2 + .75 * 2/2 * P_uni
    assert proba(lm, "", "a") == pytest.approx(0.125 + 0.75 * 0.203125, abs=1e-15)
    # an unseen context: the unigram distribution; an unseen word: <unk>
    np.testing.assert_allclose(
        lm.predict_proba_next(["zebra"])[0], [0.140625, 0.203125, 0.203125, 0.453125]
    )
    expected = math.log(0.27734375) + math.log(0.58984375) + math.log(0.701171875)
    assert lm.score_samples(["a b"])[0] == pytest.approx(expected, abs=1e-12)


def test_laplace_witten_bell_and_stupid_backoff_bigrams_by_hand():
    laplace = NGramLanguageModel(n=2, smoothing="laplace").fit(TOY)
    assert proba(laplace, "a", "b") == pytest.approx((1 + 1) / (1 + 4))
    assert proba(laplace, "a", "<unk>") == pytest.approx(1 / 5)
    assert proba(laplace, "b", "</s>") == pytest.approx(3 / 6)
    lidstone = NGramLanguageModel(n=2, smoothing="laplace", alpha=0.5).fit(TOY)
    assert proba(lidstone, "b", "</s>") == pytest.approx(2.5 / 4)

    # unigrams: 5 tokens, 3 types; P_uni(w) = (c(w) + 3 * 1/4) / (5 + 3)
    wb = NGramLanguageModel(n=2, smoothing="witten_bell").fit(TOY)
    np.testing.assert_allclose(
        wb.predict_proba_next(["zebra"])[0], np.array([0.75, 2.75, 1.75, 2.75]) / 8
    )
    assert proba(wb, "a", "b") == pytest.approx((1 + 1 * 2.75 / 8) / (1 + 1))
    assert proba(wb, "", "b") == pytest.approx((1 + 2 * 2.75 / 8) / (2 + 2))

    stupid = NGramLanguageModel(n=2, smoothing="stupid_backoff").fit(TOY)
    assert proba(stupid, "a", "b") == 1.0  # c(a b) / c(a)
    assert proba(stupid, "b", "a") == pytest.approx(0.4 * 1 / 5)  # 0.4 c(a) / N
    assert proba(stupid, "b", "<unk>") == pytest.approx(0.4 * 0.4 / 4)
    half = NGramLanguageModel(n=2, smoothing="stupid_backoff", backoff_weight=0.5)
    assert proba(half.fit(TOY), "b", "a") == pytest.approx(0.5 / 5)


# -- against a plain reference: continuation counts at every order -------------------
def reference(texts, n, smoothing, discount=0.75):
    """P(w | h) straight from the formulas, with dicts (slow, obvious)."""
    grams = Counter()
    for text in texts:
        seq = ["<s>"] * (n - 1) + text.split() + ["</s>"]
        for end in range(n - 1, len(seq)):
            for k in range(1, n + 1):
                grams[tuple(seq[end - k + 1 : end + 1])] += 1
    vocab = ["<unk>", "</s>", *sorted({w for t in texts for w in t.split()})]

    # the number of distinct tokens seen before each gram
    continuation = Counter(gram[1:] for gram in grams if len(gram) > 1)

    def count(gram, top):
        return grams[gram] if top or smoothing != "kneser_ney" else continuation[gram]

    def p(w, h):
        lower = p(w, h[1:]) if h else 1 / len(vocab)
        top = len(h) == n - 1
        counts = {x: count((*h, x), top) for x in vocab}
        total, types = sum(counts.values()), sum(c > 0 for c in counts.values())
        if total == 0:
            return lower
        if smoothing == "kneser_ney":
            return (
                max(counts[w] - discount, 0) / total + discount * types / total * lower
            )
        return (counts[w] + types * lower) / (total + types)

    return vocab, p


@pytest.mark.parametrize("smoothing", ["kneser_ney", "witten_bell"])
@pytest.mark.parametrize("n", [1, 2, 3, 4])
def test_agrees_with_a_plain_reference(smoothing, n):
    rng = random.Random(n)
    words = "x y z w".split()
    texts = [" ".join(rng.choices(words, k=rng.randint(0, 6))) for _ in range(12)]
    texts[0] = "x y z w"  # every word seen
    vocab, p = reference(texts, n, smoothing)
    lm = NGramLanguageModel(n=n, smoothing=smoothing).fit(texts)
    assert list(lm.vocabulary_) == vocab
    for k in range(n + 1):  # contexts a user gives: the model pads them with <s>
        for given in itertools.product(words, repeat=k):
            kept = given[max(len(given) - (n - 1), 0) :] if n > 1 else ()
            padded = ("<s>",) * (n - 1 - len(kept)) + kept
            expected = [p(w, padded) for w in vocab]
            got = lm.predict_proba_next([list(given)])[0]
            np.testing.assert_allclose(got, expected, rtol=1e-12, err_msg=str(given))


# -- distributions -------------------------------------------------------------------
@pytest.mark.parametrize("smoothing", DISTRIBUTIONS)
@pytest.mark.parametrize("n", [1, 2, 3, 5])
def test_every_context_gives_a_distribution(smoothing, n):
    X, _ = load_sentiment_sentences(return_X_y=True)
    lm = NGramLanguageModel(n=n, smoothing=smoothing, min_df=2).fit(X[:400])
    contexts = ["", "the", "the food was", "zebra quux", *X[400:420]]
    proba = lm.predict_proba_next(contexts)
    assert proba.shape == (len(contexts), len(lm.vocabulary_))
    assert (proba > 0).all()
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-12)


def test_stupid_backoff_is_a_score_not_a_distribution():
    """What it promises: the relative frequency of a seen n-gram, and
    ``backoff_weight`` times the lower order's score otherwise; so scores are
    positive and at most 1, and their sum over the vocabulary is not 1."""
    X, _ = load_sentiment_sentences(return_X_y=True)
    lm = NGramLanguageModel(n=3, smoothing="stupid_backoff").fit(X[:400])
    counts = lm.ngram_counts_
    (the,) = [lm.vocabulary_["the"]]
    # seen trigram: its relative frequency among the trigrams of its context
    trigram = counts[2][(counts[2][:, 0] == the) & (counts[2][:, 3] > 1)][0]
    context = trigram[:2]
    same_context = counts[2][
        (counts[2][:, 0] == context[0]) & (counts[2][:, 1] == context[1])
    ]
    words = sorted(lm.vocabulary_, key=lm.vocabulary_.get)
    text = [words[context[0]], words[context[1]]]
    scores = lm.predict_proba_next([text])[0]
    assert scores[trigram[2]] == trigram[3] / same_context[:, 3].sum()
    # an unseen context backs off twice: 0.16 times the unigram frequency
    unseen = lm.predict_proba_next(["zebra qq"])[0]
    unigrams = np.zeros(len(lm.vocabulary_))
    unigrams[counts[0][:, 0]] = counts[0][:, 1]
    np.testing.assert_allclose(unseen[1:], 0.16 * unigrams[1:] / unigrams.sum())
    assert unseen[0] == pytest.approx(0.4**3 / len(lm.vocabulary_))  # <unk>
    assert ((scores > 0) & (scores <= 1)).all()
    sums = lm.predict_proba_next(["", "the", "zebra qq", *X[400:410]]).sum(axis=1)
    assert not np.allclose(sums, 1.0)
    assert sums.max() > 1.0 > sums.min()


# -- edge cases ----------------------------------------------------------------------
@pytest.mark.parametrize("n", [3, 4, 6])
def test_score_samples_is_the_chain_rule_over_predict_proba_next(n):
    # a context shorter than n - 1 tokens is padded, every token kept
    X, _ = load_sentiment_sentences(return_X_y=True)
    for smoothing in SMOOTHINGS:
        lm = NGramLanguageModel(n=n, smoothing=smoothing).fit(X[:300])
        text = "the food was great , zebra !"
        tokens = lm._analyzer()(text)
        total = 0.0
        for i, token in enumerate([*tokens, "</s>"]):
            column = lm.vocabulary_.get(token, 0)
            total += math.log(lm.predict_proba_next([tokens[:i]])[0, column])
        assert lm.score_samples([text])[0] == pytest.approx(total, rel=1e-12)


def test_unseen_words_read_as_unk_and_empty_texts_are_texts():
    lm = NGramLanguageModel(n=2).fit(["a b", "", "b"])
    # the empty text taught that a text can end at once
    kn = NGramLanguageModel(n=2).fit(["a b", "b"])
    assert proba(lm, "", "</s>") > proba(kn, "", "</s>")
    # every unseen word scores as <unk>, finite; an empty text scores its end
    scores = lm.score_samples(["zebra", "quux", "", "a b"])
    assert scores[0] == scores[1] and np.isfinite(scores).all()
    assert scores[2] == pytest.approx(math.log(proba(lm, "", "</s>")))
    # the reserved names are not words of the text
    assert lm.score_samples([["<s>"]])[0] == lm.score_samples(["zebra"])[0]
    assert lm.score_samples([["</s>"]])[0] == lm.score_samples(["zebra"])[0]
    # words that min_df leaves out are counted as <unk>
    pruned = NGramLanguageModel(n=1, min_df=2).fit(["a b", "a c", "a d"])
    assert set(pruned.vocabulary_) == {"<unk>", "</s>", "a"}
    np.testing.assert_array_equal(pruned.ngram_counts_[0], [[0, 3], [1, 3], [2, 3]])


def test_ngram_counts_are_the_counts_of_the_padded_texts():
    lm = NGramLanguageModel(n=3).fit(["a b a", "b"])
    a, b, start, end = lm.vocabulary_["a"], lm.vocabulary_["b"], -1, 1
    trigrams = {tuple(row[:3]): row[3] for row in lm.ngram_counts_[2]}
    assert trigrams == {
        (start, start, a): 1,
        (start, a, b): 1,
        (a, b, a): 1,
        (b, a, end): 1,
        (start, start, b): 1,
        (start, b, end): 1,
    }
    assert {tuple(r[:1]): r[1] for r in lm.ngram_counts_[0]} == {
        (a,): 2,
        (b,): 2,
        (end,): 2,
    }


def test_perplexity_and_score():
    lm = NGramLanguageModel(n=2).fit(TOY * 3)
    texts = ["a b", "b b a"]
    n_tokens = 3 + 4
    assert lm.score(texts) == pytest.approx(lm.score_samples(texts).sum() / n_tokens)
    assert lm.perplexity(texts) == pytest.approx(math.exp(-lm.score(texts)))
    # a uniform model (every count zero but the floor) has perplexity V
    assert NGramLanguageModel(n=1, smoothing="laplace", alpha=1e12).fit(TOY).perplexity(
        ["b a b"]
    ) == pytest.approx(4.0)


@pytest.mark.parametrize(
    ("texts", "params", "error", "match"),
    [
        ([], {}, ValueError, "got 0 documents; at least 1 is required"),
        (["", "   "], {}, ValueError, "found no tokens to learn a vocabulary"),
        (["a b", "c d"], {"min_df": 2}, ValueError, "in at least min_df=2 of the"),
        ("a b c", {}, TypeError, "single str; wrap it in a list"),
        ([[1, 2, 3]], {}, TypeError, r"strings or lists of string tokens; document 0"),
        ([["a", ["b"]]], {}, TypeError, "lists of string tokens; document 0 is a list"),
        (["a b"], {"token_pattern": None}, ValueError, "token_pattern, which is None"),
        (["a b"], {"token_pattern": "("}, ValueError, "not a valid regular expr"),
        (
            ["a bb"],
            {"analyzer": lambda text: [len(w) for w in text.split()]},
            TypeError,
            r"analyzer must return a list of str tokens; for document 0 it returned "
            r"list: \[1, 2\]",
        ),
    ],
)
def test_bad_texts(texts, params, error, match):
    with pytest.raises(error, match=match):
        NGramLanguageModel(**params).fit(texts)
    lm = NGramLanguageModel(n=2).fit(["a b"])
    if error is TypeError and not params:  # where a fitted model reads texts
        with pytest.raises(error, match=match):
            lm.predict_proba_next(texts)


def test_a_failed_fit_leaves_the_model_as_it_was(monkeypatch):
    lm = NGramLanguageModel(n=8).fit(["a b c"])
    before = lm.predict_proba_next(["a b"]), dict(lm.vocabulary_)

    def out_of_memory(self):  # counting fails after the new vocabulary is set
        raise MemoryError

    monkeypatch.setattr(NGramLanguageModel, "_count_tables", out_of_memory)
    with pytest.raises(MemoryError):
        lm.fit([" ".join(f"w{i}" for i in range(300))])
    monkeypatch.undo()
    np.testing.assert_array_equal(lm.predict_proba_next(["a b"]), before[0])
    assert lm.vocabulary_ == before[1]


def test_the_smoothing_takes_effect_at_once_and_is_checked_there():
    texts = ["a b c", "a c b", "b a"]
    lm = NGramLanguageModel(n=2).fit(texts)
    lm.set_params(smoothing="laplace", alpha=0.5)
    laplace = NGramLanguageModel(n=2, smoothing="laplace", alpha=0.5).fit(texts)
    np.testing.assert_array_equal(
        lm.predict_proba_next(["a", "c"]), laplace.predict_proba_next(["a", "c"])
    )
    for params in ({"smoothing": "bogus"}, {"discount": 5}):
        lm.set_params(**params)
        with pytest.raises(ValueError, match=f"'{next(iter(params))}' parameter"):
            lm.score(texts)
        with pytest.raises(ValueError, match=f"'{next(iter(params))}' parameter"):
            lm.generate(3, random_state=0)
        lm.set_params(smoothing="laplace", discount=0.75)


def test_numpy_ints_and_not_fitted():
    lm = NGramLanguageModel(n=np.int64(2))
    with pytest.raises(NotFittedError):
        lm.ngram_counts_  # noqa: B018
    assert type(lm.fit(["a b"])._order) is int


@pytest.mark.parametrize("smoothing", ["kneser_ney", "witten_bell"])
def test_high_orders_on_large_vocabularies(smoothing):
    # 3002 tokens to the power 6 is beyond int64: the n-grams must not be
    # numbered as base-(V + 1) integers
    rng = random.Random(0)
    words = [f"w{i}" for i in range(3000)]
    texts = [" ".join(words)] + [
        " ".join(rng.choices(words[:6], k=rng.randint(3, 12))) for _ in range(300)
    ]
    vocab, p = reference(texts, 6, smoothing)
    lm = NGramLanguageModel(n=6, smoothing=smoothing).fit(texts)
    assert list(lm.vocabulary_) == vocab
    contexts = [texts[1].split()[:5], texts[2].split()[-5:], words[40:45], ["w2"], []]
    proba = lm.predict_proba_next(contexts)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-12)
    for given, row in zip(contexts, proba, strict=True):
        padded = ("<s>",) * (5 - len(given)) + tuple(given)
        for w in ["</s>", "<unk>", *words[:6], "w45", "w2999"]:
            assert row[vocab.index(w)] == pytest.approx(p(w, padded), rel=1e-12)


# -- generation ----------------------------------------------------------------------
def test_generate_continues_the_seed_reproducibly():
    X, _ = load_sentiment_sentences(return_X_y=True)
    lm = NGramLanguageModel(n=3).fit(X)
    state = np.random.get_state()[1].copy()
    first = lm.generate(15, seed_text="The food", random_state=0)
    assert first == lm.generate(15, seed_text="The food", random_state=0)
    assert first != lm.generate(15, seed_text="The food", random_state=1)
    np.testing.assert_array_equal(np.random.get_state()[1], state)
    assert first.startswith("the food ")
    assert "<unk>" not in first
    assert len(first.split()) <= 17
    assert lm.generate(0, seed_text=["zebra", "!"]) == "zebra !"
    # a model that always ends after one word stops there
    short = NGramLanguageModel(n=2).fit(["yes"] * 5)
    assert short.generate(10, random_state=0) == "yes"
    with pytest.raises(ValueError, match="n_words must be an int >= 0"):
        lm.generate(-1)
    with pytest.raises(ValueError, match="n_words must be an int >= 0"):
        lm.generate(True)
    for bad in ("abc", -1, 1.5):
        with pytest.raises(ValueError, match="random_state must be None, an int >= 0"):
            lm.generate(3, random_state=bad)
    generator = np.random.default_rng(0)
    assert lm.generate(5, random_state=generator) == lm.generate(
        5, random_state=np.random.default_rng(0)
    )


def test_character_level_model():
    X, _ = load_sentiment_sentences(return_X_y=True)
    lm = NGramLanguageModel(n=5, analyzer="char").fit(X[:1000])
    assert {"a", " ", "."} <= set(lm.vocabulary_)
    text = lm.generate(40, seed_text="the foo", random_state=0)
    assert text.startswith("the foo") and "  " not in text
    # measured: 7.6 against 20.1 for character unigrams
    unigram = NGramLanguageModel(n=1, analyzer="char").fit(X[:1000])
    assert lm.perplexity(X[1000:1200]) < 0.4 * unigram.perplexity(X[1000:1200])


# -- real text -----------------------------------------------------------------------
def _split(texts):
    return train_test_split(list(texts), test_size=0.2, random_state=0)


def test_held_out_perplexity_of_the_smoothings_on_sentences():
    """Measured: KN 3-gram 67.9, WB 3-gram 82.0, stupid backoff 92.0 (not a
    probability), unigram 185.9, add-one 3-gram 879.4 (min_df=2, 80/20 split)."""
    train, test = _split(load_sentiment_sentences(return_X_y=True)[0])

    def perplexity(n, smoothing, **params):
        lm = NGramLanguageModel(n=n, smoothing=smoothing, min_df=2, **params)
        return lm.fit(train).perplexity(test)

    kneser_ney = perplexity(3, "kneser_ney")
    unigram = perplexity(1, "laplace")
    assert kneser_ney < 70 < perplexity(3, "witten_bell") < 85 < unigram < 190
    # add-one gives unseen trigrams most of the mass: worse than a unigram
    assert perplexity(3, "laplace") > 4 * unigram
    assert perplexity(2, "laplace", alpha=0.01) < 0.65 * unigram


def test_the_textbook_order_holds_on_characters():
    """KN 3-gram < add-one 3-gram < add-one unigram where the trigram counts
    carry weight: 58 characters, every 2-character context seen often. Measured:
    6.83 < 7.55 < 20.39; add-one 5-grams (10.42) fall behind the 3-grams, as
    word 3-grams do behind the unigram (see the test above)."""
    train, test = _split(load_sentiment_sentences(return_X_y=True)[0])

    def perplexity(n, smoothing):
        lm = NGramLanguageModel(n=n, smoothing=smoothing, analyzer="char", min_df=2)
        return lm.fit(train).perplexity(test)

    kneser_ney, laplace = perplexity(3, "kneser_ney"), perplexity(3, "laplace")
    unigram = perplexity(1, "laplace")
    assert kneser_ney < 7.2 < laplace < 8 < 19 < unigram < 22
    assert perplexity(5, "laplace") > 1.3 * laplace


def test_held_out_perplexity_on_sms_messages(sms_messages):
    train, test = _split(sms_messages)
    scores = {
        name: NGramLanguageModel(n=n, smoothing=s, min_df=2).fit(train).perplexity(test)
        for name, n, s in [
            ("kn3", 3, "kneser_ney"),
            ("laplace3", 3, "laplace"),
            ("unigram", 1, "laplace"),
        ]
    }
    assert scores["kn3"] < 0.5 * scores["unigram"], scores
    assert scores["laplace3"] > scores["unigram"], scores
    # on characters the textbook order holds (measured 8.18 < 8.98 < 23.95)
    chars = {
        name: NGramLanguageModel(n=n, smoothing=s, analyzer="char", min_df=2)
        .fit(train)
        .perplexity(test)
        for name, n, s in [
            ("kn3", 3, "kneser_ney"),
            ("laplace3", 3, "laplace"),
            ("unigram", 1, "laplace"),
        ]
    }
    assert chars["kn3"] < chars["laplace3"] < 0.5 * chars["unigram"], chars


# -- the sklearn contract ------------------------------------------------------------
def test_estimator_api_and_grid_search_over_the_order():
    X, _ = load_sentiment_sentences(return_X_y=True)
    check_estimator_api(NGramLanguageModel(), X[:200], None, X[200:260])
    search = GridSearchCV(NGramLanguageModel(min_df=2), {"n": [1, 2, 3]}, cv=3)
    search.fit(X[:900])
    assert search.best_params_["n"] > 1


@pytest.mark.parametrize(
    "params, unused",
    [
        ({"analyzer": "char", "stop_words": "english"}, "stop_words"),
        ({"analyzer": "char", "token_pattern": r"\w"}, "token_pattern"),
        ({"analyzer": str.split, "stop_words": ["a"]}, "stop_words"),
    ],
)
def test_parameters_the_analyzer_does_not_read_warn_at_fit(params, unused):
    # as CountVectorizer does; the text classifier shares the tokenizer
    text = LSTMTextClassifier(early_stopping=False, max_iter=1, **params)
    for model in (NGramLanguageModel(n=2, **params), text):
        with pytest.warns(UserWarning, match=f"'{unused}' will not be used since"):
            model.fit(["a b c", "b c a"], *([[0, 1]] if is_classifier(model) else []))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        NGramLanguageModel(n=2, analyzer="char").fit(["a b c"])
        # None says "no pattern", as CountVectorizer reads it
        NGramLanguageModel(n=2, analyzer="char", token_pattern=None).fit(["a b"])
