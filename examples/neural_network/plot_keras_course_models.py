"""
=====================================
The course's Keras models, in skdl
=====================================

Course notes written for Keras build their models layer by layer, compile them
with a loss and an optimizer, and pass callbacks to ``fit``. This example writes
the notes' models as skdl estimators, one parameter per Keras call
(:doc:`/coming_from` has the whole table):

1. a binary image classifier of four conv blocks on 150x150 RGB images, trained
   with RMSprop and augmentation;
2. a text classifier, Embedding -> bidirectional LSTM(64) -> Dense(64) ->
   sigmoid, with a validation set and early stopping on the validation loss;
3. a checkpoint of the best epoch, and training resumed from it;
4. a learning rate reduced when the validation loss stops falling, a callback of
   one's own, and a loss of one's own.

The data are small so that the page builds in under a minute on a laptop CPU:
the images are crops of scikit-learn's two sample photographs, the sentences are
the sentiment sentences shipped with skdl. The numbers quoted in the text were
measured when this page was built, on a 2-core CPU.
"""

# %%
# Four conv blocks on 150x150 RGB images
# --------------------------------------
# The notes' cats-and-dogs network::
#
#     model = Sequential([
#         Conv2D(32, (3, 3), activation="relu", input_shape=(150, 150, 3)),
#         MaxPooling2D((2, 2)),
#         Conv2D(64, (3, 3), activation="relu"), MaxPooling2D((2, 2)),
#         Conv2D(128, (3, 3), activation="relu"), MaxPooling2D((2, 2)),
#         Conv2D(128, (3, 3), activation="relu"), MaxPooling2D((2, 2)),
#         Flatten(), Dense(512, activation="relu"), Dense(1, activation="sigmoid")])
#     model.compile(loss="binary_crossentropy", optimizer=RMSprop(learning_rate=1e-4))
#
# is one :class:`skdl.CNNClassifier`; the augmentation of ``ImageDataGenerator``
# is an :class:`skdl.augmentation.ImageAugmenter`, applied to training batches
# only. Here the filters are a quarter of the notes' and the dense layer smaller,
# so that it trains in seconds on a CPU; the task is to tell crops of the two
# photographs apart.
import tempfile
import time
import warnings

import numpy as np
import torch
from sklearn.datasets import load_sample_images
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from skorch.callbacks import Callback, Checkpoint

from skdl import CNNClassifier, LSTMTextClassifier
from skdl.augmentation import ImageAugmenter
from skdl.datasets import load_sentiment_sentences

# these fits run a fixed number of epochs, as the notes' do, so scikit-learn's
# "maximum number of epochs reached" warning says nothing new here
warnings.filterwarnings("ignore", category=ConvergenceWarning)

rng = np.random.default_rng(0)
photos = load_sample_images().images  # two 427x640 RGB photographs, uint8
crops, labels = [], []
for label, photo in enumerate(photos):
    for _ in range(60):
        top = rng.integers(0, photo.shape[0] - 150)
        left = rng.integers(0, photo.shape[1] - 150)
        crops.append(photo[top : top + 150, left : left + 150])
        labels.append(label)
images, labels = np.stack(crops), np.array(labels)
X_train, X_test, y_train, y_test = train_test_split(
    images, labels, test_size=0.25, stratify=labels, random_state=0
)

cnn = CNNClassifier(
    conv_filters=(8, 16, 32, 32),
    kernel_size=(3, 3),
    padding="valid",
    pool_size=(2, 2),
    dense_layers=(64,),
    solver="rmsprop",
    learning_rate_init=1e-3,
    rho=0.9,  # Keras' RMSprop default
    augment=ImageAugmenter(
        rotation_range=40,
        width_shift_range=0.2,
        height_shift_range=0.2,
        zoom_range=0.2,
        horizontal_flip=True,
    ),
    batch_size=20,
    max_iter=8,
    random_state=0,
)
start = time.perf_counter()
cnn.fit(X_train, y_train)  # uint8 pixels are scaled by 1/255 (rescale='auto')
print(f"trained in {time.perf_counter() - start:.1f} s")
print(f"test accuracy: {cnn.score(X_test, y_test):.3f}")
cnn.summary()

# %%
# Embedding, bidirectional LSTM, dense, sigmoid
# ---------------------------------------------
# ::
#
#     model = Sequential([
#         Embedding(10000, 64), Bidirectional(LSTM(64)),
#         Dense(64, activation="relu"), Dense(1, activation="sigmoid")])
#     model.fit(x_train, y_train, validation_data=(x_val, y_val),
#               callbacks=[EarlyStopping(monitor="val_loss", patience=2)])
#
# :class:`skdl.LSTMTextClassifier` reads raw strings (its vocabulary is learned at
# ``fit``, as ``TextVectorization`` would); with two classes its output is one
# sigmoid unit's probability, as in the notes. ``n_iter_no_change`` counts as
# scikit-learn's does: training stops at the third epoch in a row without a
# better validation loss (Keras' ``patience=2`` stops at the second), and the
# weights of the best epoch are restored.
sentences = load_sentiment_sentences()
texts, val_texts, targets, val_targets = train_test_split(
    sentences.data,
    sentences.target,
    test_size=0.2,
    stratify=sentences.target,
    random_state=0,
)
bilstm = LSTMTextClassifier(
    64,
    embedding_dim=64,
    max_features=10000,
    bidirectional=True,
    dense_layers=(64,),
    early_stopping=True,
    early_stopping_monitor="loss",
    n_iter_no_change=2,
    max_iter=20,
    n_threads=1,
    random_state=0,
)
bilstm.fit(texts, targets, validation_data=(val_texts, val_targets))
history = bilstm.history_
print(f"stopped after {bilstm.n_iter_} epochs")
for epoch in history:
    print(
        f"epoch {epoch['epoch']:2d}: loss {epoch['train_loss']:.3f}, "
        f"val_loss {epoch['valid_loss']:.3f}, val accuracy {epoch['valid_score']:.3f}"
    )

# %%
# ModelCheckpoint and resuming
# ----------------------------
# ``ModelCheckpoint("best.keras", save_best_only=True)`` is skorch's
# :class:`~skorch.callbacks.Checkpoint`, which saves the weights of every epoch
# whose validation loss is the lowest so far. A later session loads them into a
# fitted model of the same architecture and trains on with ``warm_start=True``.
with tempfile.TemporaryDirectory() as folder:
    checkpointed = LSTMTextClassifier(
        16,
        max_iter=4,
        early_stopping=True,
        n_threads=1,
        random_state=0,
        callbacks=[Checkpoint(dirname=folder)],
    ).fit(texts, targets)
    saved = checkpointed.history_[:, "event_cp"]
    print(f"checkpoints written after epochs {np.flatnonzero(saved) + 1}")
    checkpointed.net_.load_params(f_params=f"{folder}/params.pt")
    checkpointed.set_params(warm_start=True, max_iter=2, callbacks=None)
    checkpointed.fit(texts, targets)
print(f"resumed for 2 more epochs: {len(checkpointed.history_)} epochs in all")

# %%
# ReduceLROnPlateau, a callback and a loss of one's own
# -----------------------------------------------------
# ``ReduceLROnPlateau(factor=0.5, patience=1, min_lr=1e-4)`` is
# ``learning_rate="plateau"`` with ``decay_rate``, ``plateau_patience`` and
# ``min_learning_rate``; ``history_`` records each epoch's rate. A Keras callback
# is a skorch :class:`~skorch.callbacks.Callback` subclass: this one records the
# mean norm of the word vectors after each epoch. A loss of one's own takes
# the raw scores and the targets and returns one loss per sample; this one is the
# binary cross entropy with its labels smoothed by 0.1, as Keras'
# ``BinaryCrossentropy(label_smoothing=0.1)``.


class EmbeddingNorm(Callback):
    def on_epoch_end(self, net, **kwargs):
        norm = net.module_.embedding.weight.norm(dim=1).mean().item()
        net.history.record("embedding_norm", norm)


def smoothed_cross_entropy(scores, y):
    target = y * 0.9 + 0.05
    return torch.nn.functional.binary_cross_entropy_with_logits(
        scores, target, reduction="none"
    )


custom = LSTMTextClassifier(
    16,
    learning_rate="plateau",
    learning_rate_init=0.01,
    decay_rate=0.5,
    plateau_patience=1,
    min_learning_rate=1e-4,
    loss=smoothed_cross_entropy,
    callbacks=[EmbeddingNorm()],
    max_iter=6,
    early_stopping=False,
    n_threads=1,
    random_state=0,
)
custom.fit(texts, targets, validation_data=(val_texts, val_targets))
for epoch in custom.history_:
    print(
        f"epoch {epoch['epoch']}: lr {epoch['lr']:.4f}, "
        f"val_loss {epoch['valid_loss']:.3f}, "
        f"embedding norm {epoch['embedding_norm']:.2f}"
    )
print(f"validation accuracy: {custom.score(val_texts, val_targets):.3f}")
