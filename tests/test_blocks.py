"""Out-of-core fit: X read block by block from Dask collections and files."""

import tracemalloc
import warnings
from unittest import mock

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning

from skdl import (
    AutoencoderTransformer,
    BoltzmannMachine,
    CNNClassifier,
    DBNTransformer,
    GANSampler,
    HopfieldNetwork,
    ImageDeskewer,
    LSTMLanguageModel,
    LSTMTextClassifier,
    LVQClassifier,
    MLPClassifier,
    MLPRegressor,
    NGramLanguageModel,
    RBMTransformer,
)
from skdl._blocks import BlockBatches, ValidatedBlocks, lazy_on_dask
from skdl._net import HostRows
from skdl.parallel import RowBlocks
from skdl.utils._validation import input_float_dtype
from skdl.utils.discovery import all_estimators

dask = pytest.importorskip("dask")
da = pytest.importorskip("dask.array")
try:  # dask[dataframe] needs pyarrow: without it, the array tests still run
    import dask.dataframe as dd
except ImportError:
    dd = None
needs_dataframes = pytest.mark.skipif(dd is None, reason="dask.dataframe needs pyarrow")

CHUNKS = (400, 400, 300, 400, 297)  # the digits' 1797 rows in five blocks


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return (X / 16).astype(np.float32), y


@pytest.fixture(autouse=True)
def _no_convergence_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        yield


def _blocks_of(X):
    return np.split(X, np.cumsum(CHUNKS)[:-1])


def _params(**extra):
    return {"hidden_layer_sizes": (16,), "max_iter": 4, "random_state": 0, **extra}


@pytest.mark.parametrize("early_stopping", [False, True])
def test_the_same_blocks_in_memory_on_disk_and_in_dask_give_one_model(
    digits, tmp_path, early_stopping
):
    """Bit for bit: what is read, not where from, decides the model."""
    X, y = digits
    paths = []
    for i, block in enumerate(_blocks_of(X)):
        paths.append(tmp_path / f"{i}.npy")
        np.save(paths[-1], block)
    params = _params(early_stopping=early_stopping)
    reference = MLPClassifier(**params).fit(RowBlocks(_blocks_of(X)), y)
    for data in (
        da.from_array(X, chunks=(CHUNKS, 64)),
        da.from_array(X, chunks=(CHUNKS, 16)),  # column chunks are joined
        RowBlocks(paths),
    ):
        model = MLPClassifier(**params).fit(data, y)
        proba = model.predict_proba(X)
        np.testing.assert_array_equal(proba, reference.predict_proba(X))
        assert model.loss_curve_ == reference.loss_curve_
    if early_stopping:
        assert len(reference.validation_scores_) == reference.n_iter_


def test_one_block_trains_exactly_as_in_memory_x(digits):
    X, y = digits
    in_memory = MLPClassifier(**_params()).fit(X, y)
    one_block = MLPClassifier(**_params()).fit(da.from_array(X, chunks=-1), y)
    np.testing.assert_array_equal(
        one_block.predict_proba(X), in_memory.predict_proba(X)
    )


def test_many_blocks_in_the_in_memory_order_train_exactly_as_in_memory_x(digits):
    """shuffle=False reads the blocks in memory's order: the same model."""
    X, y = digits
    params = _params(shuffle=False, batch_size=100)
    in_memory = MLPClassifier(**params).fit(X, y)
    blocks = MLPClassifier(**params).fit(da.from_array(X, chunks=(CHUNKS, 64)), y)
    np.testing.assert_array_equal(blocks.predict_proba(X), in_memory.predict_proba(X))
    assert blocks.loss_curve_ == in_memory.loss_curve_


def test_the_block_order_is_seeded_by_random_state(digits):
    X, y = digits
    lazy = da.from_array(X, chunks=(CHUNKS, 64))
    first, again, other = (
        MLPClassifier(**_params(random_state=seed)).fit(lazy, y) for seed in (1, 1, 2)
    )
    assert first.loss_curve_ == again.loss_curve_
    assert first.loss_curve_ != other.loss_curve_


@needs_dataframes
def test_a_dask_dataframe_trains_with_its_column_names(digits):
    X, y = digits
    frame = pd.DataFrame(X, columns=[f"pixel{i}" for i in range(64)])
    lazy = dd.from_pandas(frame, npartitions=4)
    model = MLPClassifier(**_params()).fit(lazy, dd.from_pandas(pd.Series(y), 4))
    assert list(model.feature_names_in_) == list(frame.columns)
    # the same partitions as blocks of pandas DataFrames: the same model
    parts = [lazy.partitions[i].compute() for i in range(lazy.npartitions)]
    same = MLPClassifier(**_params()).fit(RowBlocks(parts), y)
    np.testing.assert_array_equal(model.predict_proba(frame), same.predict_proba(frame))
    renamed = dd.from_pandas(frame.rename(columns={"pixel0": "other"}), 4)
    with pytest.raises(ValueError, match="feature names"):
        model.predict(renamed).compute()


def test_parquet_files_read_as_blocks(digits, tmp_path):
    pytest.importorskip("pyarrow")
    X, y = digits
    paths = []
    for i, block in enumerate(_blocks_of(X)):
        paths.append(tmp_path / f"{i}.parquet")
        pd.DataFrame(block, columns=[f"p{j}" for j in range(64)]).to_parquet(paths[-1])
    blocks = RowBlocks(paths)
    assert blocks.lengths == CHUNKS
    model = MLPClassifier(**_params()).fit(blocks, y)
    assert model.feature_names_in_[0] == "p0"


@pytest.mark.parametrize(
    "columns, expected",
    [
        ({"a": np.ones(3, np.float32), "b": np.ones(3, np.float32)}, np.float32),
        ({"a": np.ones(3, np.float32), "b": np.ones(3, np.int8)}, np.float32),
        ({"a": np.ones(3, np.float32), "b": np.ones(3, np.int32)}, np.float64),
        ({"a": np.ones(3)}, np.float64),
        ({"a": np.ones(3, np.float16)}, np.float64),
        ({"a": pd.array([1.0, 2.0, 3.0], dtype="Float32")}, np.float64),
    ],
    ids=["float32", "float32+int8", "float32+int32", "float64", "float16", "Float32"],
)
def test_the_float_type_of_parquet_blocks_comes_from_the_schema(
    tmp_path, columns, expected
):
    # precision='auto' takes the first block's type; a .parquet block is not
    # read for it, only its schema, which gives the types pandas reads
    pytest.importorskip("pyarrow")
    path = tmp_path / "block.parquet"
    pd.DataFrame(columns).to_parquet(path)
    assert RowBlocks([path]).float_dtype() is expected
    assert input_float_dtype(pd.read_parquet(path)) is expected
    with mock.patch.object(pd, "read_parquet", side_effect=AssertionError("read")):
        RowBlocks([path]).float_dtype()


def test_each_epoch_visits_the_blocks_in_a_new_order_shuffling_within_them():
    X = np.arange(20, dtype=np.float32).reshape(-1, 1)
    blocks = RowBlocks(np.split(X, [4, 10, 13]))  # blocks of 4, 6, 3, 7 rows
    rows = ValidatedBlocks(blocks, lambda block, start, stop: block, X[:4])
    batches = BlockBatches(
        HostRows(rows, torch.device("cpu")),
        batch_size=5,
        shuffle=True,
        generator=torch.Generator().manual_seed(0),
    )
    orders = [batches.epoch_order().numpy() for _ in range(3)]
    block_sequences = []
    for order in orders:
        assert sorted(order) == list(range(20))
        blocks_read = rows.block_of(order)
        runs = blocks_read[np.r_[True, np.diff(blocks_read) != 0]]
        assert sorted(runs) == [0, 1, 2, 3]  # each block read in one run
        block_sequences.append(tuple(runs))
    assert len(set(block_sequences)) > 1
    assert not np.array_equal(orders[0], np.sort(orders[0]))
    # batches cut one such sequence: a batch spans at most the end of one block
    # and the start of the next, and the blocks are let go after the pass
    seen = []
    for Xb, _, _ in batches:
        spanned = np.unique(rows.block_of(Xb.numpy().ravel().astype(int)))
        assert len(spanned) <= 2
        seen.extend(Xb.numpy().ravel())
    assert sorted(seen) == list(range(20))
    assert rows._kept == {}


def test_a_fit_holds_a_few_blocks_never_x(tmp_path):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((20_000, 200), dtype=np.float32)  # 16 MB in 10 files
    y = (X[:, 0] > 0).astype(int)
    paths = []
    for i, block in enumerate(np.array_split(X, 10)):
        paths.append(tmp_path / f"{i}.npy")
        np.save(paths[-1], block)
    del X
    params = _params(early_stopping=True, max_iter=2, batch_size=500)
    warm_up = RowBlocks(paths[:3])  # imports (one block of three held out)
    MLPClassifier(**params, validation_fraction=0.3).fit(warm_up, y[:6000])
    tracemalloc.start()
    try:
        MLPClassifier(**params).fit(RowBlocks(paths), y)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    block_bytes = 2000 * 200 * 4
    # a block read and validated (with a copy or two), the targets and
    # per-row orders: far below the 16 MB of X
    assert peak < 5 * block_bytes


def test_a_bad_block_raises_the_in_memory_message_and_changes_nothing(digits):
    X, y = digits
    model = MLPClassifier(**_params(warm_start=True)).fit(X, y)
    weights = [w.copy() for w in model.coefs_]
    n_epochs = len(model.history_)
    bad = X.copy()
    bad[1200, 7] = np.nan  # in block 3 of CHUNKS
    with pytest.raises(ValueError) as in_memory:
        MLPClassifier(**_params()).fit(bad, y)
    with pytest.raises(ValueError) as in_blocks:
        model.fit(da.from_array(bad, chunks=(CHUNKS, 64)), y)
    assert str(in_blocks.value) == str(in_memory.value)
    if hasattr(in_blocks.value, "add_note"):  # Python 3.11+: where it is
        assert in_blocks.value.__notes__ == ["(in block 3 of X, rows 1100 to 1499)"]
    for before, after in zip(weights, model.coefs_, strict=True):
        np.testing.assert_array_equal(before, after)
    assert len(model.history_) == n_epochs
    with pytest.raises(ValueError, match="X has 1797 rows in 5 blocks, but y has 5"):
        MLPClassifier().fit(da.from_array(X, chunks=(CHUNKS, 64)), y[:5])


def test_early_stopping_holds_out_whole_blocks(digits):
    X, y = digits
    lazy = da.from_array(X, chunks=(CHUNKS, 64))
    model = MLPClassifier(**_params(early_stopping=True, validation_fraction=0.2))
    rows = RowBlocks(lazy).validated(model, y, None, reset=True)[0]
    train, valid = rows.validation_split(model, y, seed=0)
    assert len(np.intersect1d(train, valid)) == 0
    assert len(train) + len(valid) == len(X)
    for part in (train, valid):  # whole blocks only
        blocks = np.unique(rows.block_of(part))
        assert len(part) == sum(CHUNKS[b] for b in blocks)
    assert len(valid) >= 0.2 * len(X)
    with pytest.raises(ValueError, match="Split X into more blocks"):
        MLPClassifier(early_stopping=True).fit(da.from_array(X, chunks=-1), y)


def test_blocks_holding_far_more_than_validation_fraction_warn(digits):
    """Whole blocks held out: 290 of 300 rows for validation_fraction=0.1 warns."""
    X, y = digits
    X, y = X[:300], y[:300]
    model = MLPClassifier(**_params(early_stopping=True))
    lopsided = RowBlocks([X[:290], X[290:]]).validated(model, y, None, reset=True)[0]
    with pytest.warns(UserWarning, match=r"hold 290 \(97%\), leaving 10 to train"):
        lopsided.validation_split(model, y, seed=1)  # draws the 290 rows first
    even = RowBlocks(np.array_split(X, 10)).validated(model, y, None, reset=True)[0]
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        train, valid = even.validation_split(model, y, seed=0)
    assert (len(train), len(valid)) == (270, 30)


def test_sparse_blocks_train_when_a_batch_spans_two_blocks(digits):
    import scipy.sparse as sp

    X, y = digits
    X, y = X[:300], y[:300]
    sparse = RowBlocks([sp.csr_matrix(b) for b in np.array_split(X, 4)])
    dense = RowBlocks(np.array_split(X, 4))
    params = _params(batch_size=40)  # batches of 40 over blocks of 75
    model = MLPClassifier(**params).fit(sparse, y)
    reference = MLPClassifier(**params).fit(dense, y)
    np.testing.assert_array_equal(model.predict_proba(X), reference.predict_proba(X))


def test_file_blocks_odd_cases_say_what_to_do(digits, tmp_path):
    X, _ = digits
    np.save(tmp_path / "upper.NPY", X[:100])  # np.save adds .npy to other names
    (tmp_path / "upper.NPY.npy").rename(tmp_path / "UPPER.NPY")
    assert RowBlocks([tmp_path / "UPPER.NPY"]).lengths == (100,)
    np.save(tmp_path / "scalar.npy", np.float64(3.0))
    with pytest.raises(ValueError, match="holding a single value; a block holds rows"):
        RowBlocks([tmp_path / "scalar.npy"])
    with pytest.raises(ValueError, match="0-d array holding a single value"):
        RowBlocks([X[:10], np.float64(1.0)])
    (tmp_path / "data.parquet").mkdir()  # what dask's to_parquet writes
    with pytest.raises(ValueError, match=r"directory .* dask\.dataframe\.read_parq"):
        RowBlocks([tmp_path / "data.parquet"])


def test_unknown_column_chunks_are_computed_for_fit(digits):
    X, y = digits
    columns = da.from_array(np.ones(64, bool), chunks=16)
    lazy = da.from_array(X, chunks=(CHUNKS, 16))[:, columns]  # chunks (nan, ...)
    model = MLPClassifier(**_params()).fit(lazy, y)
    reference = MLPClassifier(**_params()).fit(RowBlocks(_blocks_of(X)), y)
    np.testing.assert_array_equal(model.predict_proba(X), reference.predict_proba(X))


def test_row_blocks_outside_fit_say_what_to_pass(digits):
    from sklearn.model_selection import cross_val_score

    X, y = digits
    blocks = RowBlocks(_blocks_of(X))
    model = MLPClassifier(**_params()).fit(blocks, y)
    advice = r"RowBlocks, which only fit reads.*Dask array of the blocks"
    for call in (
        lambda: model.predict(blocks),
        lambda: model.score(blocks, y),
        lambda: MLPClassifier(**_params()).fit(X, y, validation_data=(blocks, y)),
        lambda: cross_val_score(MLPClassifier(**_params()), blocks, y, cv=2),
    ):
        with pytest.raises(TypeError, match=advice):
            call()


def test_estimators_outside_the_loop_refuse_block_input_and_stay_lazy(digits):
    """Their fit would load a Dask X whole: refused, as the loop's are."""
    X, _ = digits
    binary = (X[:200] > 0.5).astype(np.float64)
    cases = [
        (RBMTransformer(n_components=8, n_iter=1, random_state=0), binary),
        (DBNTransformer(hidden_layer_sizes=(8,), n_iter=1, random_state=0), binary),
        (HopfieldNetwork(), np.where(binary[:5] > 0, 1.0, -1.0)),
        (ImageDeskewer(), X[:200].reshape(-1, 8, 8)),
    ]
    for model, data in cases:
        lazy = da.from_array(data, chunks=(50, *data.shape[1:]))
        for block_input in (lazy, RowBlocks(np.array_split(data, 2))):
            with pytest.raises(TypeError, match="not read block by block"):
                model.fit(block_input)
            assert not hasattr(model, "n_features_in_")
        if isinstance(model, RBMTransformer):
            with pytest.raises(TypeError, match="not read block by block"):
                model.partial_fit(lazy)
        model.fit(data)
        method = getattr(model, "predict", None) or model.transform
        out = method(lazy)
        assert isinstance(out, da.Array)
        np.testing.assert_array_equal(out.compute(), method(data))
    texts = da.from_array(np.array(["the cat sat", "a dog ran"] * 5), chunks=5)
    with pytest.raises(TypeError, match=r"every text at once.*not read block by"):
        NGramLanguageModel().fit(texts)
    language_model = NGramLanguageModel().fit(texts.compute())
    with pytest.raises(TypeError, match=r"got a Dask Array, read block by block"):
        language_model.score_samples(texts)


def test_what_cannot_train_block_by_block_says_so(digits):
    X, y = digits
    lazy = da.from_array(X, chunks=(CHUNKS, 64))
    with pytest.raises(ValueError, match="solver='lbfgs' trains on one batch"):
        MLPClassifier(solver="lbfgs").fit(lazy, y)
    with pytest.raises(TypeError, match="every training row at once"):
        LVQClassifier(max_iter=2).fit(lazy, y)
    with pytest.raises(TypeError, match="learns its vocabulary from every document"):
        LSTMTextClassifier().fit(da.from_array(np.array(["a b"] * 10)), [0, 1] * 5)
    # the families of main that need all of X at once, and say why
    refused = {
        AutoencoderTransformer(pretraining=None): "rows as its targets too",
        BoltzmannMachine(): "checks the range of all of X",
        GANSampler(): "range of its samples from all of X",
    }
    for model, reason in refused.items():
        with pytest.raises(TypeError, match=f"{reason}.*not read block by block"):
            model.fit(lazy)
    with pytest.raises(TypeError, match="vocabulary from every text"):
        LSTMLanguageModel().fit(da.from_array(np.array(["a b"] * 10)))
    with pytest.raises(TypeError, match="RowBlocks takes a Dask array"):
        RowBlocks(X)
    with pytest.raises(ValueError, match=r"reads \.npy and \.parquet"):
        RowBlocks(["data.csv"])


def test_images_and_regression_train_block_by_block(digits):
    X, y = digits
    lazy = da.from_array(X, chunks=(CHUNKS, 64))
    cnn = CNNClassifier(image_shape=(8, 8), max_iter=1, random_state=0)
    assert cnn.fit(lazy[:500].rechunk(100), y[:500]).predict(X).shape == y.shape
    reg = MLPRegressor(**_params()).fit(lazy, y.astype(float))
    assert reg.n_features_in_ == 64
    # partial_fit: one epoch over the blocks
    partial = MLPClassifier(**_params()).partial_fit(lazy, y, classes=np.arange(10))
    assert partial.t_ == len(X)


def test_output_methods_on_dask_collections_are_lazy_dask_arrays(digits):
    X, y = digits
    model = MLPClassifier(**_params()).fit(X, y)
    lazy = da.from_array(X, chunks=(CHUNKS, 64))
    for method in ("predict", "predict_proba", "predict_log_proba"):
        out = getattr(model, method)(lazy)
        assert isinstance(out, da.Array)
        assert out.chunks[0] == CHUNKS
        assert out._meta.dtype == out.dtype
        np.testing.assert_array_equal(out.compute(), getattr(model, method)(X))


@needs_dataframes
def test_output_methods_on_dask_dataframes_are_lazy_dask_arrays(digits):
    X, y = digits
    model = MLPClassifier(**_params()).fit(X, y)
    frame = dd.from_pandas(pd.DataFrame(X), npartitions=3)
    out = model.predict(frame)
    assert isinstance(out, da.Array)
    np.testing.assert_array_equal(out.compute(), model.predict(X))


def test_outputs_on_dask_compute_nothing_until_asked(digits):
    """Lazy: calling the method reads no block of X; compute reads each once."""
    X, _ = digits
    reads = []

    def block(i):
        reads.append(i)
        return X[i * 599 : (i + 1) * 599]

    lazy = da.concatenate(
        [
            da.from_delayed(dask.delayed(block)(i), (599, 64), dtype=X.dtype)
            for i in range(3)
        ]
    )
    coder = AutoencoderTransformer((8,), pretraining=None, max_iter=2, random_state=0)
    coder.fit(X)
    codes = coder.transform(lazy)
    decoded = coder.inverse_transform(codes)
    assert reads == []
    assert isinstance(decoded, da.Array) and decoded._meta.dtype == np.float32
    assert codes.shape == (len(X), 8) and codes._meta.ndim == 2
    np.testing.assert_allclose(
        decoded.compute(), coder.inverse_transform(coder.transform(X))
    )
    assert sorted(reads) == [0, 1, 2]


def test_every_output_method_of_every_estimator_takes_dask_collections():
    """New estimator families keep the promise (``lazy_on_dask``)."""
    wrapper = lazy_on_dask(lambda self, X: X).__code__

    def takes_dask(method):  # through other wrappers (scikit-learn's set_output)
        while method.__code__ is not wrapper:
            if not hasattr(method, "__wrapped__"):
                return False
            method = method.__wrapped__
        return True

    methods = (
        "predict",
        "predict_proba",
        "predict_log_proba",
        "decision_function",
        "transform",
        "inverse_transform",
    )
    missing = [
        f"{name}.{method}"
        for name, cls in all_estimators()
        for method in methods
        if hasattr(cls, method) and not takes_dask(getattr(cls, method))
    ]
    assert not missing
