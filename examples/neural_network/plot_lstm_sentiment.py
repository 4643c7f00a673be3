"""
===========================================
Sentiment of sentences with a recurrent net
===========================================

:class:`skdl.LSTMTextClassifier` takes raw strings, like
:class:`~sklearn.feature_extraction.text.TfidfVectorizer`, but reads the words in
order. This example trains it on the sentiment sentences shipped with skdl
(:func:`skdl.datasets.load_sentiment_sentences`: 3000 review sentences from
Amazon, IMDb and Yelp, labelled negative or positive) and shows

1. the training curve: training loss and validation accuracy per epoch, with
   early stopping;
2. a learning curve: test accuracy against the number of training sentences,
   next to TF-IDF + logistic regression;
3. what word order buys: negations that a bag of words cannot see.
"""

# %%
# Training curve
# --------------
# With ``early_stopping=True`` (the default) the classifier holds out 10% of the
# training sentences, scores them after each epoch, stops when the score has not
# improved for ``n_iter_no_change`` epochs and keeps the best weights.
import matplotlib.pyplot as plt
import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import (
    StratifiedShuffleSplit,
    learning_curve,
    train_test_split,
)
from sklearn.pipeline import make_pipeline

from skdl import LSTMTextClassifier
from skdl.datasets import load_sentiment_sentences

sentences = load_sentiment_sentences()
X_train, X_test, y_train, y_test = train_test_split(
    sentences.data,
    sentences.target,
    test_size=0.2,
    stratify=sentences.target,
    random_state=0,
)
lstm = LSTMTextClassifier(32, embedding_dim=64, random_state=0)
lstm.fit(X_train, y_train)
print(f"LSTM test accuracy: {lstm.score(X_test, y_test):.3f}")
lstm.summary()

fig, ax = plt.subplots(figsize=(6, 3.5))
epochs = np.arange(1, lstm.n_iter_ + 1)
ax.plot(epochs, lstm.loss_curve_, "o-", label="training loss")
ax.plot(epochs, lstm.validation_scores_, "s-", label="validation accuracy")
ax.axvline(
    np.argmax(lstm.validation_scores_) + 1,
    color="gray",
    ls=":",
    label="best epoch (weights kept)",
)
ax.set_xlabel("epoch")
ax.legend()
ax.set_title("LSTMTextClassifier on the sentiment sentences")
plt.tight_layout()
plt.show()

# %%
# Learning curve
# --------------
# Test accuracy of a biLSTM (three epochs, no early stopping) and of TF-IDF +
# logistic regression, trained on growing subsets. Both are scikit-learn
# estimators, so :func:`~sklearn.model_selection.learning_curve` takes either.
cv = StratifiedShuffleSplit(n_splits=3, test_size=0.2, random_state=0)
models = {
    "biLSTM (skdl)": LSTMTextClassifier(
        32, embedding_dim=64, early_stopping=False, max_iter=3, random_state=0
    ),
    "TF-IDF + LogisticRegression": make_pipeline(
        TfidfVectorizer(), LogisticRegression()
    ),
}
fig, ax = plt.subplots(figsize=(6, 3.5))
for name, model in models.items():
    sizes, _, test_scores = learning_curve(
        model,
        sentences.data,
        sentences.target,
        cv=cv,
        train_sizes=[0.1, 0.25, 0.5, 1.0],
    )
    mean = test_scores.mean(axis=1)
    ax.plot(sizes, mean, "o-", label=name)
    ax.fill_between(sizes, test_scores.min(axis=1), test_scores.max(axis=1), alpha=0.2)
ax.set_xlabel("training sentences")
ax.set_ylabel("test accuracy")
ax.legend()
plt.tight_layout()
plt.show()

# %%
# What word order buys
# --------------------
# A bag of words gives "not good" and "good, not bad" the same two words
# "not" and "good" (and "bad"). The LSTM reads them in order. On real reviews the
# gain is modest, because most sentences carry their sentiment in single words;
# a few negated phrases show the difference.
tfidf = models["TF-IDF + LogisticRegression"].fit(X_train, y_train)
phrases = [
    "the food was good",
    "the food was not good",
    "not bad at all, the food was good",
    "it was not good, the food was bad",
]
lstm_proba = lstm.predict_proba(phrases)[:, 1]
tfidf_proba = tfidf.predict_proba(phrases)[:, 1]
print(f"{'':40}{'P(positive) LSTM':>18}{'TF-IDF':>9}")
for phrase, ours, theirs in zip(phrases, lstm_proba, tfidf_proba, strict=True):
    print(f"{phrase:40}{ours:18.2f}{theirs:9.2f}")
