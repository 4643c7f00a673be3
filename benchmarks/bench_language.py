"""Language models: held-out perplexity of skdl's n-gram smoothings and LSTM
language model, with NLTK's ``KneserNeyInterpolated`` as the reference.

Corpora: the shipped sentiment sentences (3000) and the SMS Spam Collection (5574
messages, from ``../shared/data`` beside the checkout; skipped without it). Each
text is one sequence; 80/20 split (``random_state=0``); tokens are skdl's default
(lowercased words of any length and punctuation marks); ``min_df=2``, so words
seen in one training text only read as ``<unk>``, for every model alike.

NLTK gets exactly skdl's tokens, vocabulary and padding (two ``<s>``, one
``</s>``): its counts are fitted on the same 1- to 3-grams and it scores the same
test tokens in the same contexts. Its Kneser-Ney differs from skdl's in one
place: NLTK's unigrams are the continuation counts undiscounted, where skdl
discounts them too and gives that mass to the uniform distribution (so that a
token never seen in training keeps a probability; with ``min_df=1`` NLTK gives
unseen test words probability 0). NLTK's default discount is 0.1, skdl's 0.75:
both are shown.

Each corpus is also read as characters (``analyzer='char'``): add-one's
mass for unseen continuations is small there, so its trigram beats the unigram.

The second part trains the LSTM on growing shares of each corpus's training
texts and compares it with the Kneser-Ney trigram on the same test texts: where
does the network overtake the counts?

Run: ``python benchmarks/bench_language.py`` (``--quick`` for a short run). Needs
``pip install nltk`` for the reference (skdl does not depend on it).
"""

from __future__ import annotations

import argparse
import math
import time
import warnings
from pathlib import Path

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split

from skdl import LSTMLanguageModel, NGramLanguageModel
from skdl.datasets import load_sentiment_sentences

SMS = Path(__file__).resolve().parents[2] / "shared/data/sms_spam_collection"
LSTM = {
    "hidden_size": 128,
    "embedding_dim": 128,
    "tie_weights": True,
    "min_df": 2,
    "random_state": 0,
    # one thread: on the shared 2-core machine two threads made the fits ~10x slower
    "n_threads": 1,
}


def corpora():
    X, _ = load_sentiment_sentences(return_X_y=True)
    yield "sentences", list(X)
    path = SMS / "SMSSpamCollection"
    if path.is_file():
        lines = path.read_text(encoding="utf-8").splitlines()
        yield "sms", [line.split("\t", 1)[1] for line in lines]
    else:
        print(f"(no {path}: SMS corpus skipped)")


def timed(function):
    start = time.perf_counter()
    result = function()
    return result, time.perf_counter() - start


def nltk_perplexity(model, train, test, discount):
    """NLTK's KneserNeyInterpolated on skdl's tokens, vocabulary and padding."""
    from nltk.lm import KneserNeyInterpolated, Vocabulary

    analyze = model._analyzer()
    vocabulary = model.vocabulary_

    def sequence(text):
        words = [w if w in vocabulary else "<UNK>" for w in analyze(text)]
        return ["<s>", "<s>", *words, "</s>"]

    def grams(seq):
        return [
            tuple(seq[end - k + 1 : end + 1])
            for end in range(2, len(seq))
            for k in (1, 2, 3)
        ]

    train_seqs = [sequence(t) for t in train]
    lm = KneserNeyInterpolated(3, discount=discount)
    words = [*(w for w in vocabulary if w != "<unk>"), "<s>"]
    lm.fit((grams(s) for s in train_seqs), Vocabulary(words, unk_cutoff=1))
    total, n_tokens = 0.0, 0
    for seq in (sequence(t) for t in test):
        for end in range(2, len(seq)):
            total += math.log(lm.score(seq[end], seq[end - 2 : end]))
            n_tokens += 1
    return math.exp(-total / n_tokens)


def ngram_table(name, texts, with_nltk):
    train, test = train_test_split(texts, test_size=0.2, random_state=0)
    print(f"\n== {name}: {len(train)} training texts, {len(test)} test texts")
    print(f"{'model':<46}{'perplexity':>11}{'fit s':>9}{'score s':>9}")
    rows = [
        ("unigram (add-one)", {"n": 1, "smoothing": "laplace"}),
        ("3-gram Laplace (add-one)", {"n": 3, "smoothing": "laplace"}),
        (
            "3-gram Laplace (alpha=0.01)",
            {"n": 3, "smoothing": "laplace", "alpha": 0.01},
        ),
        (
            "2-gram Laplace (alpha=0.01)",
            {"n": 2, "smoothing": "laplace", "alpha": 0.01},
        ),
        ("3-gram stupid backoff (not a distribution)", {"smoothing": "stupid_backoff"}),
        ("3-gram Witten-Bell", {"smoothing": "witten_bell"}),
        ("3-gram Kneser-Ney (D=0.1)", {"discount": 0.1}),
        ("3-gram Kneser-Ney (D=0.75)", {}),
    ]
    for label, params in rows:
        model, fit = timed(
            lambda p=params: NGramLanguageModel(min_df=2, **p).fit(train)
        )
        perplexity, score = timed(lambda m=model: m.perplexity(test))
        print(f"{'skdl ' + label:<46}{perplexity:>11.2f}{fit:>9.3f}{score:>9.3f}")
    if with_nltk:
        for discount in (0.1, 0.75):
            value, seconds = timed(
                lambda d=discount: nltk_perplexity(model, train, test, d)
            )
            label = f"NLTK 3-gram Kneser-Ney (D={discount})"
            print(f"{label:<46}{value:>11.2f}{seconds:>9.1f}  (fit+score)")
    print(f"vocabulary: {len(model.vocabulary_)} tokens with <unk> and </s>")
    char_table(train, test)
    return train, test


def char_table(train, test):
    """The same split read as characters, where every short context is common."""
    print("characters (analyzer='char'):")
    for label, params in [
        ("unigram (add-one)", {"n": 1, "smoothing": "laplace"}),
        ("3-gram Laplace (add-one)", {"n": 3, "smoothing": "laplace"}),
        ("3-gram Kneser-Ney (D=0.75)", {"n": 3}),
        ("5-gram Laplace (add-one)", {"n": 5, "smoothing": "laplace"}),
        ("5-gram Kneser-Ney (D=0.75)", {"n": 5}),
    ]:
        model, fit = timed(
            lambda p=params: NGramLanguageModel(analyzer="char", min_df=2, **p).fit(
                train
            )
        )
        perplexity, score = timed(lambda m=model: m.perplexity(test))
        print(f"{'skdl ' + label:<46}{perplexity:>11.2f}{fit:>9.3f}{score:>9.3f}")
    print(f"vocabulary: {len(model.vocabulary_)} characters with <unk> and </s>")


def crossover(name, train, test, shares):
    print(f"\n== {name}: LSTM language model against the Kneser-Ney trigram, by size")
    print(
        f"LSTM: {LSTM}, other parameters default (early stopping on 10% of the texts)"
    )
    header = ("texts", "tokens", "KN 3-gram", "LSTM", "LSTM/KN", "epochs", "LSTM fit s")
    print("".join(f"{h:>11}" for h in header))
    rng = np.random.RandomState(0)
    order = rng.permutation(len(train))
    for share in shares:
        part = [train[i] for i in order[: int(share * len(train))]]
        kneser_ney = NGramLanguageModel(min_df=2).fit(part)
        n_tokens = sum(len(kneser_ney._analyzer()(t)) for t in part)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            lstm, seconds = timed(lambda p=part: LSTMLanguageModel(**LSTM).fit(p))
        kn, nn = kneser_ney.perplexity(test), lstm.perplexity(test)
        row = (len(part), n_tokens, f"{kn:.1f}", f"{nn:.1f}", f"{nn / kn:.2f}")
        row += (lstm.n_iter_, f"{seconds:.0f}")
        print("".join(f"{v:>11}" for v in row), flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="skip NLTK and big fits")
    parser.add_argument(
        "--only", choices=["ngrams", "crossover"], help="run one part of the two"
    )
    args = parser.parse_args()
    try:
        import nltk  # noqa: F401

        with_nltk = not args.quick
    except ImportError:
        print("(nltk is not installed: no reference figures; pip install nltk)")
        with_nltk = False
    splits = {}
    for name, texts in corpora():
        if args.only == "crossover":
            splits[name] = train_test_split(texts, test_size=0.2, random_state=0)
        else:
            splits[name] = ngram_table(name, texts, with_nltk)
    if args.only != "ngrams":
        shares = (0.25, 1.0) if args.quick else (0.125, 0.25, 0.5, 1.0)
        for name, (train, test) in splits.items():
            crossover(name, train, test, shares)


if __name__ == "__main__":
    main()
