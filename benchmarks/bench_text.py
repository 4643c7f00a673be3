"""Text classification: skdl's LSTMTextClassifier vs hand-written PyTorch loops and
TF-IDF + logistic regression, on the shipped sentiment sentences.

Same network for every LSTM: embedding 100 -> one bidirectional LSTM layer of 64
units per direction -> max pooling over the real tokens -> linear; dropout 0.3 on
the embeddings and the LSTM output; Adam (lr 3e-3), batch 32, 5 epochs; 80/20
stratified split of the 3000 sentences; tokens from CountVectorizer's default
analyzer. Every contender takes raw strings, so tokenization counts everywhere.

- ``hand loop, packed``: random batches, padded then packed
  (``pack_padded_sequence(enforce_sorted=False)``) through a fused
  ``nn.LSTM(bidirectional=True)``: what the PyTorch tutorials teach.
- ``hand loop, bucketed``: batches of similar lengths, padded, through the fused
  LSTM without packing: the fastest loop we could write on a CPU. Its backward
  direction reads the padding before the real tokens, so its outputs depend on the
  batch (skdl's do not).
- ``skdl``: ``LSTMTextClassifier`` (length buckets, exact per-direction layers).

Prints tokens/s for training (tokens of all epochs over the fit time) and inference
(``predict_proba`` on 6000 sentences), test accuracy, and ratios taken in this run
(medians of ``--repeats`` runs). Run: ``python benchmarks/bench_text.py`` (about two
minutes on 2 cores).
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
import torch
from sklearn.exceptions import ConvergenceWarning
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from skdl import LSTMTextClassifier
from skdl.datasets import load_sentiment_sentences

EMBEDDING, HIDDEN, DROPOUT, LR, BATCH, EPOCHS = 100, 64, 0.3, 3e-3, 32, 5


class Network(nn.Module):
    def __init__(self, vocabulary_size):
        super().__init__()
        self.embedding = nn.Embedding(vocabulary_size, EMBEDDING, padding_idx=0)
        with torch.no_grad():
            self.embedding.weight.mul_(0.1)  # as skdl initialises it
        self.lstm = nn.LSTM(EMBEDDING, HIDDEN, batch_first=True, bidirectional=True)
        self.dropout = nn.Dropout(DROPOUT)
        self.out = nn.Linear(2 * HIDDEN, 1)

    def forward(self, ids, lengths, pack):
        x = self.dropout(self.embedding(ids))
        if pack:
            packed = pack_padded_sequence(
                x, lengths, batch_first=True, enforce_sorted=False
            )
            outputs, _ = pad_packed_sequence(self.lstm(packed)[0], batch_first=True)
        else:
            outputs = self.lstm(x)[0]
        valid = torch.arange(outputs.shape[1]) < lengths.unsqueeze(1)
        outputs = self.dropout(outputs).masked_fill(~valid.unsqueeze(2), -torch.inf)
        return self.out(outputs.amax(dim=1)).squeeze(1)


class HandLoop:
    """Tokenize, build a vocabulary, train the network with a plain loop."""

    def __init__(self, bucketed: bool):
        self.bucketed = bucketed

    def _ids(self, X):
        analyze = self.analyze
        return [[self.vocabulary.get(t, 1) for t in analyze(doc)] or [0] for doc in X]

    def _pad(self, sequences):
        lengths = torch.tensor([len(s) for s in sequences])
        ids = torch.zeros(len(sequences), int(lengths.max()), dtype=torch.int64)
        for row, sequence in enumerate(sequences):
            ids[row, : len(sequence)] = torch.tensor(sequence)
        return ids, lengths

    def fit(self, X, y):
        torch.manual_seed(0)
        self.analyze = CountVectorizer().build_analyzer()
        self.vocabulary = {}
        for doc in X:
            for token in self.analyze(doc):
                self.vocabulary.setdefault(token, len(self.vocabulary) + 2)
        sequences = self._ids(X)
        lengths = np.array([len(s) for s in sequences])
        target = torch.tensor(y, dtype=torch.float32)
        self.model = Network(len(self.vocabulary) + 2)
        optimizer = torch.optim.Adam(self.model.parameters(), lr=LR)
        generator = np.random.RandomState(0)
        self.model.train()
        for _ in range(EPOCHS):
            order = generator.permutation(len(X))
            if self.bucketed:
                order = order[np.argsort(lengths[order], kind="stable")]
            batches = [order[i : i + BATCH] for i in range(0, len(order), BATCH)]
            if self.bucketed:
                generator.shuffle(batches)
            for batch in batches:
                ids, batch_lengths = self._pad([sequences[i] for i in batch])
                optimizer.zero_grad()
                logits = self.model(ids, batch_lengths, pack=not self.bucketed)
                loss = nn.functional.binary_cross_entropy_with_logits(
                    logits, target[batch]
                )
                loss.backward()
                optimizer.step()
        return self

    def predict_proba(self, X):
        self.model.eval()
        sequences = self._ids(X)
        order = np.argsort([len(s) for s in sequences], kind="stable")
        out = np.empty(len(X))
        with torch.inference_mode():
            for start in range(0, len(X), 512):
                rows = order[start : start + 512]
                ids, lengths = self._pad([sequences[i] for i in rows])
                logits = self.model(ids, lengths, pack=not self.bucketed)
                out[rows] = torch.sigmoid(logits).numpy()
        return np.column_stack([1 - out, out])


def contenders():
    return {
        "skdl LSTMTextClassifier": lambda: LSTMTextClassifier(
            HIDDEN,
            embedding_dim=EMBEDDING,
            bidirectional=True,
            pooling="max",
            dropout=DROPOUT,
            learning_rate_init=LR,
            batch_size=BATCH,
            max_iter=EPOCHS,
            early_stopping=False,
            n_iter_no_change=EPOCHS,
            alpha=0.0,
            random_state=0,
        ),
        "hand loop, packed": lambda: HandLoop(bucketed=False),
        "hand loop, bucketed": lambda: HandLoop(bucketed=True),
        "TF-IDF + LogisticRegression": lambda: make_pipeline(
            TfidfVectorizer(), LogisticRegression()
        ),
    }


def median_time(fn, repeats):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    warnings.simplefilter("ignore", ConvergenceWarning)
    X, y = load_sentiment_sentences(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.2, stratify=y, random_state=0
    )
    X_predict = np.resize(X_test, 6000)
    analyze = CountVectorizer().build_analyzer()
    train_tokens = EPOCHS * sum(len(analyze(doc)) for doc in X_train)
    predict_tokens = sum(len(analyze(doc)) for doc in X_predict)
    # warm up: the first torch optimizer of a process imports torch._dynamo
    HandLoop(bucketed=True).fit(X_train[:40], y_train[:40])
    print(
        f"torch {torch.__version__}, {torch.get_num_threads()} threads; "
        f"{len(X_train)} training / {len(X_test)} test sentences, {EPOCHS} epochs\n"
    )
    results = {}
    for label, make in contenders().items():
        fitted = make().fit(X_train, y_train)
        accuracy = float(np.mean(fitted.predict_proba(X_test).argmax(1) == y_test))
        fit_s = median_time(
            lambda make=make: make().fit(X_train, y_train), args.repeats
        )
        predict_s = median_time(
            lambda fitted=fitted: fitted.predict_proba(X_predict), args.repeats
        )
        results[label] = (accuracy, fit_s, predict_s)
    packed = results["hand loop, packed"]
    bucketed = results["hand loop, bucketed"]
    print(
        f"{'':30}{'acc':>7}{'fit s':>8}{'train tok/s':>13}{'/packed':>9}"
        f"{'/bucketed':>10}{'infer tok/s':>13}{'/packed':>9}{'/bucketed':>10}"
    )
    for label, (accuracy, fit_s, predict_s) in results.items():
        print(
            f"{label:30}{accuracy:7.3f}{fit_s:8.2f}{train_tokens / fit_s:13,.0f}"
            f"{packed[1] / fit_s:9.2f}{bucketed[1] / fit_s:10.2f}"
            f"{predict_tokens / predict_s:13,.0f}{packed[2] / predict_s:9.2f}"
            f"{bucketed[2] / predict_s:10.2f}"
        )
    print(
        "\n/packed and /bucketed: throughput relative to that hand loop "
        "(> 1 is faster; skdl's time is 1 / ratio of the loop's)."
    )


if __name__ == "__main__":
    main()
