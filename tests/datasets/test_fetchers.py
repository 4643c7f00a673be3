"""The fetchers against a local HTTP server that serves small files in the real
formats (npz, IDX, CIFAR pickle batches); nothing here reaches the internet."""

import errno
import gzip
import hashlib
import http.client
import io
import json
import os
import pickle
import re
import socket
import ssl
import tarfile
import threading
import time
import urllib.request
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pytest

from skdl.datasets import (
    _fetchers,
    fetch_cifar10,
    fetch_cifar100,
    fetch_fashion_mnist,
    fetch_imdb,
    fetch_mnist,
    fetch_reuters,
    get_data_home,
    load_digit_sheet,
    load_image_folder,
    load_sentiment_sentences,
)
from skdl.datasets._download import RemoteFile


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        server = self.server
        server.requests.append((self.path, self.headers.get("Range")))
        body = server.files.get(self.path)
        if body is None:
            self.send_error(404)
            return
        start = 0
        requested = self.headers.get("Range")
        if requested and server.ranges:
            start = int(requested.removeprefix("bytes=").rstrip("-"))
            if start >= len(body):
                self.send_response(416)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self.send_response(206)
            self.send_header(
                "Content-Range", f"bytes {start}-{len(body) - 1}/{len(body)}"
            )
        else:
            self.send_response(200)
        payload = body[start:]
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        cut = server.cut_after.pop(self.path, None)
        time.sleep(server.pause)
        self.wfile.write(payload if cut is None else payload[:cut])
        self.close_connection = cut is not None

    def log_message(self, *args):
        pass


@pytest.fixture
def server(monkeypatch):
    for name in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY"):
        monkeypatch.delenv(name, raising=False)
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    httpd.files, httpd.requests, httpd.cut_after, httpd.ranges = {}, [], {}, True
    httpd.pause = 0.0
    thread = threading.Thread(target=httpd.serve_forever, args=(0.01,), daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()


def serve(monkeypatch, server, dataset, files):
    """Serve ``{filename: bytes}`` and point ``dataset`` at them."""
    host, port = server.server_address
    remotes = []
    for name, body in files.items():
        server.files[f"/{dataset}/{name}"] = body
        url = f"http://{host}:{port}/{dataset}/{name}"
        remotes.append(RemoteFile(name, url, hashlib.sha256(body).hexdigest()))
    monkeypatch.setitem(_fetchers.REMOTE, dataset, tuple(remotes))
    return remotes


def npz_bytes(**arrays):
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **arrays)
    return buffer.getvalue()


def idx_bytes(array):
    magic = bytes([0, 0, 8, array.ndim])
    dims = np.asarray(array.shape, dtype=">u4").tobytes()
    return gzip.compress(magic + dims + array.astype(np.uint8).tobytes())


def images(n, shape, seed):
    return np.random.default_rng(seed).integers(0, 256, (n, *shape), dtype=np.uint8)


def test_fetch_mnist_caches_and_reads_the_npz(monkeypatch, server, tmp_path):
    x_train, x_test = images(6, (28, 28), 0), images(4, (28, 28), 1)
    y_train, y_test = np.arange(6, dtype=np.uint8), np.arange(4, dtype=np.uint8)
    body = npz_bytes(x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test)
    serve(monkeypatch, server, "mnist", {"mnist.npz": body})

    train = fetch_mnist(data_home=tmp_path)
    np.testing.assert_array_equal(train.images, x_train)
    np.testing.assert_array_equal(train.data, x_train.reshape(6, 784))
    np.testing.assert_array_equal(train.target, y_train)
    assert train.target.dtype == np.int64
    assert "LeCun" in train.DESCR and "License" in train.DESCR
    assert (tmp_path / "mnist" / "mnist.npz").read_bytes() == body
    assert len(server.requests) == 1

    X, y = fetch_mnist("test", data_home=tmp_path, return_X_y=True)
    assert X.shape == (4, 784) and list(y) == [0, 1, 2, 3]
    X_all, y_all = fetch_mnist("all", data_home=tmp_path, return_X_y=True)
    assert X_all.shape == (10, 784)
    np.testing.assert_array_equal(y_all, np.r_[y_train, y_test])
    assert len(server.requests) == 1, "a cached file must not be downloaded again"


def test_fetch_fashion_mnist_reads_idx_files(monkeypatch, server, tmp_path):
    x_train, x_test = images(5, (28, 28), 2), images(3, (28, 28), 3)
    y_train, y_test = np.array([9, 0, 1, 2, 3]), np.array([4, 5, 9])
    serve(
        monkeypatch,
        server,
        "fashion_mnist",
        {
            "train-images-idx3-ubyte.gz": idx_bytes(x_train),
            "train-labels-idx1-ubyte.gz": idx_bytes(y_train),
            "t10k-images-idx3-ubyte.gz": idx_bytes(x_test),
            "t10k-labels-idx1-ubyte.gz": idx_bytes(y_test),
        },
    )
    test = fetch_fashion_mnist("test", data_home=tmp_path)
    np.testing.assert_array_equal(test.images, x_test)
    np.testing.assert_array_equal(test.target, y_test)
    assert test.target_names[test.target[-1]] == "Ankle boot"
    X, y = fetch_fashion_mnist(data_home=tmp_path, return_X_y=True)
    np.testing.assert_array_equal(X, x_train.reshape(5, -1))
    np.testing.assert_array_equal(y, y_train)


def test_fetch_fashion_mnist_rejects_a_truncated_idx_file(
    monkeypatch, server, tmp_path
):
    good = idx_bytes(images(2, (28, 28), 0))
    truncated = gzip.compress(gzip.decompress(good)[:-5])
    labels = idx_bytes(np.zeros(2))
    serve(
        monkeypatch,
        server,
        "fashion_mnist",
        {
            "train-images-idx3-ubyte.gz": truncated,
            "train-labels-idx1-ubyte.gz": labels,
            "t10k-images-idx3-ubyte.gz": good,
            "t10k-labels-idx1-ubyte.gz": labels,
        },
    )
    with pytest.raises(OSError, match="truncated"):
        fetch_fashion_mnist(data_home=tmp_path)


def cifar_archive(batches, folder="cifar-10-batches-py"):
    """A cifar-10-python.tar.gz with ``{member name: batch dict}``."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name, batch in batches.items():
            raw = pickle.dumps(batch, protocol=2)
            info = tarfile.TarInfo(f"{folder}/{name}")
            info.size = len(raw)
            archive.addfile(info, io.BytesIO(raw))
    return buffer.getvalue()


def cifar_batch(pictures, labels):
    rows = pictures.transpose(0, 3, 1, 2).reshape(len(pictures), 3072)
    return {
        b"batch_label": b"batch",
        b"labels": [int(v) for v in labels],
        b"data": rows,
    }


def _record_tar_modes(monkeypatch) -> list:
    """The modes the fetchers open tar archives with, as they open them."""
    opened, real_open = [], tarfile.open

    def recording_open(*args, **kwargs):
        opened.append(args[1:2])
        return real_open(*args, **kwargs)

    monkeypatch.setattr(_fetchers.tarfile, "open", recording_open)
    return opened


def test_fetch_cifar10_reads_the_pickled_batches(monkeypatch, server, tmp_path):
    pictures = images(12, (32, 32, 3), 4)
    labels = np.arange(12) % 10
    batches = {
        f"data_batch_{i}": cifar_batch(
            pictures[2 * i - 2 : 2 * i], labels[2 * i - 2 : 2 * i]
        )
        for i in range(1, 6)
    }
    batches["test_batch"] = cifar_batch(pictures[10:], labels[10:])
    serve(
        monkeypatch,
        server,
        "cifar10",
        {"cifar-10-python.tar.gz": cifar_archive(batches)},
    )

    train = fetch_cifar10(data_home=tmp_path)
    assert train.images.shape == (10, 32, 32, 3)
    np.testing.assert_array_equal(train.images, pictures[:10])
    np.testing.assert_array_equal(train.data, pictures[:10].reshape(10, -1))
    np.testing.assert_array_equal(train.target, labels[:10])
    assert train.target_names[3] == "cat"
    # one pass over the archive, as a stream (which cannot seek back): a
    # gzipped tar has no index, and each lookup decompressed it from the start
    opened = _record_tar_modes(monkeypatch)
    X, y = fetch_cifar10("all", data_home=tmp_path, return_X_y=True)
    np.testing.assert_array_equal(X, pictures.reshape(12, -1))
    np.testing.assert_array_equal(y, labels)
    assert opened == [("r|gz",)]


def test_fetch_cifar100_reads_fine_and_coarse_labels(monkeypatch, server, tmp_path):
    pictures = images(7, (32, 32, 3), 8)
    fine, coarse = np.array([3, 99, 0, 42, 7, 3, 5]), np.array([1, 19, 0, 9, 2, 1, 4])

    def batch(part):
        rows = pictures[part].transpose(0, 3, 1, 2).reshape(-1, 3072)
        return {
            b"data": rows,
            b"fine_labels": [int(v) for v in fine[part]],
            b"coarse_labels": [int(v) for v in coarse[part]],
        }

    meta = {
        b"fine_label_names": [f"fine{i}".encode() for i in range(100)],
        b"coarse_label_names": [f"coarse{i}".encode() for i in range(20)],
    }
    members = {"train": batch(slice(0, 5)), "test": batch(slice(5, 7)), "meta": meta}
    archive = cifar_archive(members, folder="cifar-100-python")
    serve(monkeypatch, server, "cifar100", {"cifar-100-python.tar.gz": archive})

    train = fetch_cifar100(data_home=tmp_path)
    np.testing.assert_array_equal(train.images, pictures[:5])
    np.testing.assert_array_equal(train.target, fine[:5])
    np.testing.assert_array_equal(train.coarse_target, coarse[:5])
    assert train.target_names[train.target[1]] == "fine99"
    assert train.coarse_target_names[19] == "coarse19"
    assert "Krizhevsky" in train.DESCR
    opened = _record_tar_modes(monkeypatch)
    X, y = fetch_cifar100(
        "all", label_mode="coarse", data_home=tmp_path, return_X_y=True
    )
    np.testing.assert_array_equal(X, pictures.reshape(7, -1))
    np.testing.assert_array_equal(y, coarse)
    assert opened == [("r|gz",)]  # the batches and the names in one pass
    test = fetch_cifar100("test", label_mode="coarse", data_home=tmp_path)
    assert test.target_names == test.coarse_target_names
    np.testing.assert_array_equal(test.fine_target, fine[5:])
    assert len(server.requests) == 1
    with pytest.raises(
        ValueError, match="'label_mode' parameter of fetch_cifar100 must be a str among"
    ):
        fetch_cifar100(label_mode="medium", data_home=tmp_path)


def reuters_files(n=10):
    ragged = np.empty(n, dtype=object)
    ragged[:] = [[1 + i % 4, 2, 3 + i % 2] for i in range(n)]
    npz = npz_bytes(x=ragged, y=np.arange(n) % 46)
    word_index = {"the": 1, "oil": 2, "price": 3, "rose": 4}
    return {
        "reuters.npz": npz,
        "reuters_word_index.json": json.dumps(word_index).encode(),
    }


def test_fetch_reuters_uses_keras_split(monkeypatch, server, tmp_path):
    serve(monkeypatch, server, "reuters", reuters_files())
    order = np.arange(10)
    np.random.RandomState(113).shuffle(order)  # Keras' load_data shuffles so
    train = fetch_reuters(data_home=tmp_path)
    np.testing.assert_array_equal(train.target, (np.arange(10) % 46)[order[:8]])
    words = ["the", "oil", "price", "rose"]
    first = order[0]
    expected = f"{words[first % 4]} oil {words[2 + first % 2]}"
    assert train.data[0] == expected
    assert "46 topics" in train.DESCR and len(set(train.target_names)) == 46
    # Keras' order: the two largest topics are 3 and 4
    assert train.target_names[3:5] == ["earn", "acq"]
    ids, y = fetch_reuters("test", as_text=False, data_home=tmp_path, return_X_y=True)
    np.testing.assert_array_equal(y, (np.arange(10) % 46)[order[8:]])
    assert ids.dtype == object and len(ids) == 2
    np.testing.assert_array_equal(ids[1], [1 + order[9] % 4, 2, 3 + order[9] % 2])
    X_all, y_all = fetch_reuters("all", data_home=tmp_path, return_X_y=True)
    assert len(X_all) == 10 and sorted(y_all) == list(range(10))


def test_reuters_word_ids_alone_do_not_download_the_word_index(
    monkeypatch, server, tmp_path
):
    serve(monkeypatch, server, "reuters", reuters_files())
    fetch_reuters(as_text=False, data_home=tmp_path)
    assert [path for path, _ in server.requests] == ["/reuters/reuters.npz"]


class _Gadget:
    def __reduce__(self):
        return (os.getcwd, ())


def test_pickled_code_in_a_data_file_is_refused(monkeypatch, server, tmp_path):
    batches = {"test_batch": {b"data": _Gadget(), b"labels": [0]}}
    serve(
        monkeypatch,
        server,
        "cifar10",
        {"cifar-10-python.tar.gz": cifar_archive(batches)},
    )
    cached = re.escape(str(tmp_path / "cifar10" / "cifar-10-python.tar.gz"))
    with pytest.raises(
        pickle.UnpicklingError,
        match=rf"Refusing to load \w+\.getcwd from the data file {cached}: .* "
        r"Delete it and call fetch_cifar10\(\) again",
    ):
        fetch_cifar10("test", data_home=tmp_path)


class _TamperedArray:
    """Pickles as an array of ``dtype`` (given as its pickled form) whose state
    holds ``data``: what numpy's ``__reduce__`` writes, with other values."""

    def __init__(self, dtype_args, dtype_state, shape, data):
        self.dtype = _TamperedDtype(dtype_args, dtype_state)
        self.shape, self.data = shape, data

    def __reduce__(self):
        reconstruct = np.zeros(1).__reduce__()[0]
        state = (1, self.shape, self.dtype, False, self.data)
        return reconstruct, (np.ndarray, (0,), b"b"), state


class _TamperedDtype:
    def __init__(self, args, state):
        self.args, self.state = args, state

    def __reduce__(self):
        return np.dtype, self.args, self.state


def _npy_of_pickle(payload, shape):
    return _npy_claiming(shape, dtype="|O", payload=payload)


# a structured dtype whose state hides its object field (flags 0): numpy copied
# the 16 bytes into the array, and reading the field followed them as pointers
_HIDDEN_OBJECTS = _TamperedArray(
    ("V8", False, True),
    (3, "|", None, ("a",), {"a": (np.dtype("O"), 0)}, 8, 1, 0),
    (2,),
    b"\x01" * 16,
)
# a str dtype of 5 bytes: numpy read each last character past its item
_SHORT_STR = _TamperedArray(
    ("U4", False, True), (3, "<", None, None, None, 5, 4, 8), (2,), b"a" * 10
)


@pytest.mark.parametrize(
    ("array", "dtype"),
    [(_HIDDEN_OBJECTS, r"\[\('a', 'O'\)\]"), (_SHORT_STR, "<U1")],
    ids=["hidden objects", "short str"],
)
def test_an_array_of_a_tampered_dtype_is_refused(
    monkeypatch, server, tmp_path, array, dtype
):
    # the file matches its checksum: tampered with where the checksum was too
    files = imdb_files()
    members = {
        "x_train.npy": _npy_of_pickle(pickle.dumps(array, protocol=3), (2,)),
        "y_train.npy": _npy_claiming((2,), "<i8", b"\0" * 16),
        "x_test.npy": _npy_claiming((2,), "<i8", b"\0" * 16),
        "y_test.npy": _npy_claiming((2,), "<i8", b"\0" * 16),
    }
    files["imdb.npz"] = _zip(members)
    serve(monkeypatch, server, "imdb", files)
    cached = re.escape(str(tmp_path / "imdb" / "imdb.npz"))
    with pytest.raises(
        pickle.UnpicklingError,
        match=rf"Refusing to load an array of dtype {dtype}\S* from the data file "
        rf"{cached}: skdl's data files hold only numpy arrays of numbers, strings "
        r"or Python objects, so this file is corrupted or was tampered with\. "
        r"Delete it and call fetch_imdb\(\) again to download it anew\.",
    ):
        fetch_imdb(as_text=False, data_home=tmp_path)
    # nor does an .npy header of a structured dtype reach numpy's reader
    members["x_train.npy"] = _npy_claiming((2,), [("a", "O")], b"\x01" * 16)
    files["imdb.npz"] = _zip(members)
    serve(monkeypatch, server, "imdb", files)
    with pytest.raises(pickle.UnpicklingError, match=r"dtype \[\('a', 'O'\)\]"):
        fetch_imdb(as_text=False, data_home=tmp_path / "other")


class _CalledArray:
    """Pickles as a call of ``numpy.ndarray`` itself, then that array's state."""

    def __reduce__(self):
        state = (1, (2,), _HIDDEN_OBJECTS.dtype, False, b"\x01" * 16)
        return np.ndarray, ((0,), np.dtype("u1")), state


def test_a_pickle_cannot_call_ndarray_to_skip_the_checks():
    from skdl.datasets._download import Refused, safe_unpickle

    # numpy.ndarray is allowed as _reconstruct's argument only: called, the
    # array would get the tampered state without its dtype being checked
    with pytest.raises(Refused, match=r"a call of numpy\.ndarray"):
        safe_unpickle(pickle.dumps({b"data": _CalledArray()}, protocol=2))


def test_plain_arrays_unpickle_as_numpy_builds_them():
    from skdl.datasets._download import safe_unpickle

    ragged = np.empty(3, dtype=object)
    ragged[:] = [[1, 2], np.arange(3), "text"]
    grid = np.empty((2, 2), dtype=object)
    grid[:] = [[[1], 2], [3, (4,)]]
    arrays = {
        b"u8": np.arange(6, dtype=np.uint8).reshape(2, 3),
        b"fortran": np.asfortranarray(np.arange(6.0).reshape(2, 3)),
        b"big-endian": np.arange(4, dtype=">i4"),
        b"str": np.array(["ab", "c"]),
        b"bytes": np.array([b"ab", b"c"]),
        b"complex": np.array([1 + 2j, True]),
        b"ragged": ragged,
        b"grid": np.asfortranarray(grid),
        b"nested": [np.zeros(2), {b"x": np.ones(1)}],
    }
    for protocol in (2, 3):  # np.save writes 3; CIFAR batches are 2
        loaded = safe_unpickle(pickle.dumps(arrays, protocol=protocol))
        expected = pickle.loads(pickle.dumps(arrays, protocol=protocol))
        for key in (k for k in arrays if k != b"nested"):
            got, want = loaded[key], expected[key]
            assert type(got) is np.ndarray and got.dtype == want.dtype, key
            assert got.flags.f_contiguous == want.flags.f_contiguous, key
            assert repr(got) == repr(want), key
        assert got.flags.writeable
        np.testing.assert_array_equal(loaded[b"ragged"][1], np.arange(3))
        inner = loaded[b"nested"]
        assert type(inner[0]) is np.ndarray and type(inner[1][b"x"]) is np.ndarray


def imdb_files():
    ragged = np.empty(3, dtype=object)
    ragged[:] = [[1, 2, 3], [4, 2], [3, 99, 1]]  # 99 is not in the word index
    test = np.empty(1, dtype=object)
    test[:] = [[2, 4]]
    npz = npz_bytes(
        x_train=ragged, y_train=np.array([1, 0, 1]), x_test=test, y_test=np.array([0])
    )
    word_index = {"the": 1, "movie": 2, "great": 3, "dull": 4}
    return {"imdb.npz": npz, "imdb_word_index.json": json.dumps(word_index).encode()}


def test_fetch_imdb_as_text_and_as_word_ids(monkeypatch, server, tmp_path):
    serve(monkeypatch, server, "imdb", imdb_files())
    train = fetch_imdb(data_home=tmp_path)
    assert train.data == ["the movie great", "dull movie", "great the"]
    np.testing.assert_array_equal(train.target, [1, 0, 1])
    assert train.target_names == ["negative", "positive"]

    ids, y = fetch_imdb("all", as_text=False, data_home=tmp_path, return_X_y=True)
    assert ids.dtype == object and len(ids) == 4
    np.testing.assert_array_equal(ids[2], [3, 99, 1])
    np.testing.assert_array_equal(y, [1, 0, 1, 0])


def test_word_ids_alone_do_not_download_the_word_index(monkeypatch, server, tmp_path):
    serve(monkeypatch, server, "imdb", imdb_files())
    fetch_imdb(as_text=False, data_home=tmp_path)
    assert [path for path, _ in server.requests] == ["/imdb/imdb.npz"]


def test_data_home_comes_from_skdl_data(monkeypatch, tmp_path):
    monkeypatch.setenv("SKDL_DATA", str(tmp_path / "cache"))
    assert get_data_home() == tmp_path / "cache"
    assert (tmp_path / "cache").is_dir()
    assert get_data_home(tmp_path / "other") == tmp_path / "other"


def test_fetches_at_once_download_once_and_share_the_file(
    monkeypatch, server, tmp_path
):
    serve(monkeypatch, server, "mnist", {"mnist.npz": mnist_npz()})
    server.pause = 0.5  # the second call starts while the first downloads
    results = []

    def fetch():
        results.append(fetch_mnist(data_home=tmp_path, return_X_y=True))

    threads = [threading.Thread(target=fetch) for _ in range(2)]
    for thread in threads:
        thread.start()
        time.sleep(0.1)
    for thread in threads:
        thread.join()
    assert len(results) == 2
    np.testing.assert_array_equal(results[0][0], results[1][0])
    assert [path for path, _ in server.requests] == ["/mnist/mnist.npz"]


def test_a_file_system_without_locks_still_downloads(monkeypatch, server, tmp_path):
    fcntl = pytest.importorskip("fcntl")

    def flock(descriptor, operation):
        raise OSError(errno.ENOLCK, "No locks available")

    monkeypatch.setattr(fcntl, "flock", flock)
    serve(monkeypatch, server, "mnist", {"mnist.npz": mnist_npz()})
    X, _ = fetch_mnist(data_home=tmp_path, return_X_y=True)
    assert X.shape == (6, 784)


def test_a_part_of_another_file_is_replaced_in_the_same_call(
    monkeypatch, server, tmp_path
):
    serve(monkeypatch, server, "mnist", {"mnist.npz": mnist_npz()})
    (tmp_path / "mnist").mkdir()
    (tmp_path / "mnist" / "mnist.npz.part").write_bytes(b"left by something else")
    X, _ = fetch_mnist(data_home=tmp_path, return_X_y=True)
    assert X.shape == (6, 784)
    # resumed from the stale part, then downloaded whole
    assert [r for _, r in server.requests] == ["bytes=22-", None]


@pytest.mark.parametrize(
    "error",
    [
        http.client.BadStatusLine("garbage"),
        http.client.IncompleteRead(b"abc", 10),
        ssl.SSLError(1, "[SSL: DECRYPTION_FAILED_OR_BAD_RECORD_MAC]"),
        ssl.SSLError(5, "EOF occurred in violation of protocol"),
    ],
    ids=["bad status line", "incomplete read", "bad record", "ssl eof"],
)
def test_protocol_and_tls_errors_are_connection_errors(
    monkeypatch, server, tmp_path, error
):
    (remote,) = serve(monkeypatch, server, "mnist", {"mnist.npz": mnist_npz()})

    def urlopen(*args, **kwargs):
        raise error

    monkeypatch.setattr(urllib.request, "urlopen", urlopen)
    with pytest.raises(
        ConnectionError, match=f"Could not download mnist from {remote.url}"
    ):
        fetch_mnist(data_home=tmp_path)


def test_a_corrupted_download_is_deleted(monkeypatch, server, tmp_path):
    (remote,) = serve(
        monkeypatch, server, "mnist", {"mnist.npz": b"not what was published"}
    )
    monkeypatch.setitem(
        _fetchers.REMOTE, "mnist", (RemoteFile(remote.filename, remote.url, "0" * 64),)
    )
    with pytest.raises(OSError, match="corrupted or has changed"):
        fetch_mnist(data_home=tmp_path)
    # nothing but the (empty) lock of the downloads of this file
    assert [p.name for p in (tmp_path / "mnist").iterdir()] == [".mnist.npz.lock"]


def test_an_md5_checksum_is_checked_too(monkeypatch, server, tmp_path):
    files = imdb_files()
    remotes = serve(monkeypatch, server, "imdb", files)
    md5 = hashlib.md5(files["imdb_word_index.json"]).hexdigest()
    bad_md5 = md5[::-1]
    monkeypatch.setitem(
        _fetchers.REMOTE,
        "imdb",
        (remotes[0], RemoteFile(remotes[1].filename, remotes[1].url, bad_md5)),
    )
    with pytest.raises(OSError, match=f"expected {bad_md5}"):
        fetch_imdb(data_home=tmp_path)
    monkeypatch.setitem(
        _fetchers.REMOTE,
        "imdb",
        (remotes[0], RemoteFile(remotes[1].filename, remotes[1].url, md5)),
    )
    assert len(fetch_imdb(data_home=tmp_path).data) == 3


@pytest.mark.parametrize("ranges", [True, False], ids=["resumed", "restarted"])
def test_a_broken_download_is_resumed(monkeypatch, server, tmp_path, ranges):
    x = images(50, (28, 28), 5)
    body = npz_bytes(x_train=x, y_train=np.zeros(50), x_test=x[:2], y_test=np.zeros(2))
    serve(monkeypatch, server, "mnist", {"mnist.npz": body})
    server.ranges = ranges
    server.cut_after["/mnist/mnist.npz"] = len(body) // 2

    with pytest.raises(ConnectionError, match="next call resumes") as error:
        fetch_mnist(data_home=tmp_path)
    assert str(tmp_path / "mnist") in str(error.value)
    part = tmp_path / "mnist" / "mnist.npz.part"
    assert part.stat().st_size == len(body) // 2
    assert not (tmp_path / "mnist" / "mnist.npz").exists()

    np.testing.assert_array_equal(fetch_mnist(data_home=tmp_path).images, x)
    expected_range = f"bytes={len(body) // 2}-"
    assert server.requests[-1] == ("/mnist/mnist.npz", expected_range)
    assert not part.exists()
    assert (tmp_path / "mnist" / "mnist.npz").read_bytes() == body


def test_a_complete_partial_file_is_accepted(monkeypatch, server, tmp_path):
    body = npz_bytes(
        x_train=images(2, (28, 28), 6),
        y_train=np.zeros(2),
        x_test=images(1, (28, 28), 7),
        y_test=np.zeros(1),
    )
    serve(monkeypatch, server, "mnist", {"mnist.npz": body})
    (tmp_path / "mnist").mkdir()
    (tmp_path / "mnist" / "mnist.npz.part").write_bytes(body)
    assert fetch_mnist("test", data_home=tmp_path).images.shape == (1, 28, 28)
    assert server.requests == [("/mnist/mnist.npz", f"bytes={len(body)}-")]


def closed_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_offline_gives_a_clear_error(monkeypatch, tmp_path):
    url = f"http://127.0.0.1:{closed_port()}/mnist.npz"
    monkeypatch.setitem(
        _fetchers.REMOTE, "mnist", (RemoteFile("mnist.npz", url, "0" * 64),)
    )
    with pytest.raises(ConnectionError, match="Could not download mnist") as error:
        fetch_mnist(data_home=tmp_path)
    message = str(error.value)
    assert "internet connection" in message and str(tmp_path / "mnist") in message


def test_download_if_missing_false(tmp_path):
    with pytest.raises(OSError, match="download_if_missing=False"):
        fetch_cifar10(data_home=tmp_path, download_if_missing=False)


@pytest.mark.parametrize(
    "fetch",
    [
        fetch_mnist,
        fetch_fashion_mnist,
        fetch_cifar10,
        fetch_cifar100,
        fetch_imdb,
        fetch_reuters,
    ],
)
def test_unknown_subset(fetch, tmp_path):
    with pytest.raises(
        ValueError, match=r"'subset' parameter of fetch.* must be a str"
    ):
        fetch("validation", data_home=tmp_path)


@pytest.mark.parametrize(
    "load, params",
    [
        (fetch_mnist, {"return_X_y": "False"}),
        (fetch_fashion_mnist, {"download_if_missing": "no"}),
        (fetch_cifar10, {"return_X_y": 0}),
        (fetch_cifar100, {"label_mode": "superclass"}),
        (fetch_imdb, {"as_text": "False"}),
        (fetch_reuters, {"as_text": None}),
        (fetch_reuters, {"data_home": 3}),
        (get_data_home, {"data_home": 3}),
        (load_digit_sheet, {"return_X_y": "yes"}),
        (load_sentiment_sentences, {"return_X_y": 1}),
        (load_image_folder, {"path": None}),
    ],
)
def test_flags_and_options_are_checked_as_scikit_learns_loaders_check_them(
    load, params, tmp_path
):
    # a flag given as the string "False" read as true: reuters came back as text
    (name,) = params
    if load.__name__.startswith("fetch_"):  # never download, whatever happens
        params = {"data_home": tmp_path, "download_if_missing": False, **params}
    with pytest.raises(ValueError, match=f"'{name}' parameter of {load.__name__}"):
        load(**params)
    assert not any(tmp_path.iterdir())


# -- a damaged cache, a full disk --------------------------------------------------
def mnist_npz(n_train=6, n_test=4, **overrides):
    arrays = {
        "x_train": images(n_train, (28, 28), 0),
        "y_train": np.arange(n_train, dtype=np.uint8) % 10,
        "x_test": images(n_test, (28, 28), 1),
        "y_test": np.arange(n_test, dtype=np.uint8) % 10,
        **overrides,
    }
    return npz_bytes(**{k: v for k, v in arrays.items() if v is not None})


def test_a_cached_file_is_checked_again_on_every_read(monkeypatch, server, tmp_path):
    body = mnist_npz()
    serve(monkeypatch, server, "mnist", {"mnist.npz": body})
    fetch_mnist(data_home=tmp_path)
    cached = tmp_path / "mnist" / "mnist.npz"
    cached.write_bytes(body[: len(body) // 2])  # cut short, as by a disk error

    with pytest.raises(
        OSError,
        match=rf"The cached file {re.escape(str(cached))} does not match its "
        r"published checksum .*corrupt or was cut short\. Call "
        r"fetch_mnist\(\.\.\., download_if_missing=True\) to download it anew",
    ):
        fetch_mnist(data_home=tmp_path, download_if_missing=False)
    assert len(server.requests) == 1

    with pytest.warns(
        UserWarning, match=r"does not match .* Downloading it anew"
    ) as warned:
        X, _ = fetch_mnist(data_home=tmp_path, return_X_y=True)
    assert warned[0].filename == __file__  # the caller's line
    assert X.shape == (6, 784)
    assert cached.read_bytes() == body
    assert len(server.requests) == 2


def _npy_claiming(shape, dtype="<f8", payload=b"\0" * 8):
    """An .npy file whose header declares ``shape`` but holds ``payload``."""
    buffer = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        buffer, {"descr": dtype, "fortran_order": False, "shape": shape}
    )
    return buffer.getvalue() + payload


def _zip(members):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, raw in members.items():
            archive.writestr(name, raw)
    return buffer.getvalue()


def _claims_29_gib():
    x = _npy_claiming((4_000_000_000,))
    return _zip({"x_train.npy": x, "y_train.npy": x, "x_test.npy": x, "y_test.npy": x})


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        (
            b"not a zip archive",
            r"reading it failed with BadZipFile: File is not a zip file",
        ),
        (mnist_npz(y_test=None), r"it has no array 'y_test'"),
        (
            _claims_29_gib(),
            r"array 'x_train' declares shape \(4000000000,\) of float64 \(29\.8 GiB\), "
            r"but holds 8 bytes of data",
        ),
        (
            mnist_npz(y_train=np.arange(5, dtype=np.uint8)),
            r"it holds 6 samples but labels of shape \(5,\)",
        ),
        (
            mnist_npz(x_train=images(6, (28, 27), 0)),
            r"its images are uint8 of shape \(28, 27\), not uint8 of shape \(28, 28\)",
        ),
        (
            mnist_npz(y_test=np.array([0, 1, 2, 11])),
            r"its labels are not whole numbers from 0 to 9",
        ),
    ],
    ids=["not a zip", "missing array", "29.8 GiB header", "lengths", "shape", "labels"],
)
def test_a_corrupt_npz_names_the_file_and_allocates_nothing_it_lacks(
    monkeypatch, server, tmp_path, body, problem
):
    """The served file matches its checksum, as a damaged published file would."""
    assert len(body) < 1_000_000
    serve(monkeypatch, server, "mnist", {"mnist.npz": body})
    cached = tmp_path / "mnist" / "mnist.npz"
    with pytest.raises(
        OSError,
        match=rf"The cached file {re.escape(str(cached))} is corrupt: {problem}\. "
        r"Delete it and call fetch_mnist\(\) again to download it anew\.",
    ):
        fetch_mnist(data_home=tmp_path)


def test_a_zip_member_that_declares_more_than_the_file_holds(tmp_path):
    from skdl.datasets._download import load_npz

    raw = _zip({"x.npy": _npy_claiming((1,))})
    # the central directory's uncompressed size of the member, made huge
    directory = raw.rindex(b"PK\x01\x02")
    offset = directory + 24
    raw = raw[:offset] + (2**31).to_bytes(4, "little") + raw[offset + 4 :]
    path = tmp_path / "x.npz"
    path.write_bytes(raw)
    with pytest.raises(OSError, match=r"x\.npy declares 2147483648 bytes from"):
        load_npz(path, ["x"], fetcher="fetch_mnist")


def test_fashion_mnist_files_that_disagree_are_named(monkeypatch, server, tmp_path):
    files = {
        "train-images-idx3-ubyte.gz": idx_bytes(images(5, (28, 28), 2)),
        "train-labels-idx1-ubyte.gz": idx_bytes(np.arange(4)),
        "t10k-images-idx3-ubyte.gz": idx_bytes(images(3, (28, 28), 3)),
        "t10k-labels-idx1-ubyte.gz": idx_bytes(np.arange(3)),
    }
    serve(monkeypatch, server, "fashion_mnist", files)
    folder = tmp_path / "fashion_mnist"
    names = [re.escape(str(folder / name)) for name in list(files)[:2]]
    with pytest.raises(
        OSError,
        match=rf"The cached files {names[0]}, {names[1]} do not agree: it holds 5 "
        r"samples but labels of shape \(4,\)\. Delete them",
    ):
        fetch_fashion_mnist("test", data_home=tmp_path)


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        (b"not gzip", r"reading it failed with (ReadError|BadGzipFile)"),
        (
            cifar_archive({"test_batch": {b"data": images(2, (3072,), 0)}}),
            r"its batch 'test_batch' is not a dict of data and labels",
        ),
        (
            cifar_archive(
                {"data_batch_1": cifar_batch(images(2, (32, 32, 3), 0), [0])}
            ),
            r"it has no batch 'test_batch'",
        ),
        (
            cifar_archive({"test_batch": cifar_batch(images(2, (32, 32, 3), 0), [0])}),
            r"it holds 2 samples but labels of shape \(1,\)",
        ),
    ],
    ids=["not gzip", "not a dict", "missing batch", "lengths"],
)
def test_a_corrupt_cifar_archive_names_the_file(
    monkeypatch, server, tmp_path, body, problem
):
    serve(monkeypatch, server, "cifar10", {"cifar-10-python.tar.gz": body})
    with pytest.raises(
        OSError, match=rf"cifar-10-python\.tar\.gz is corrupt: {problem}"
    ):
        fetch_cifar10("test", data_home=tmp_path)


def test_a_corrupt_imdb_file_names_the_file(monkeypatch, server, tmp_path):
    files = imdb_files()
    files["imdb_word_index.json"] = b"\xff{not json"
    serve(monkeypatch, server, "imdb", files)
    with pytest.raises(OSError, match=r"imdb_word_index\.json is corrupt: reading"):
        fetch_imdb(data_home=tmp_path)
    short = np.empty(2, dtype=object)
    short[:] = [[1, 2], [3]]
    files["imdb.npz"] = npz_bytes(
        x_train=short, y_train=np.array([1]), x_test=short, y_test=np.array([0, 1])
    )
    serve(monkeypatch, server, "imdb", files)
    with pytest.raises(
        OSError, match=r"imdb\.npz is corrupt: it holds 2 samples but labels of"
    ):
        fetch_imdb(as_text=False, data_home=tmp_path / "other")


def _cifar100_archive(**members):
    """A cifar-100-python.tar.gz of two images per part; ``members`` replace
    the default ones (None drops one)."""
    rows = images(2, (3072,), 9)
    batch = {b"data": rows, b"fine_labels": [3, 99], b"coarse_labels": [1, 19]}
    meta = {
        b"fine_label_names": [f"fine{i}".encode() for i in range(100)],
        b"coarse_label_names": [f"coarse{i}".encode() for i in range(20)],
    }
    parts = {"train": batch, "test": batch, "meta": meta, **members}
    return cifar_archive(
        {k: v for k, v in parts.items() if v is not None}, folder="cifar-100-python"
    )


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        (
            _cifar100_archive(
                test={
                    b"data": images(2, (3072,), 9),
                    b"fine_labels": [3, 100],
                    b"coarse_labels": [1, 19],
                }
            ),
            r"its labels are not whole numbers from 0 to 99",
        ),
        (
            _cifar100_archive(test={b"data": images(2, (3072,), 9), b"labels": [0, 1]}),
            r"its batch 'test' is not a dict of data and labels",
        ),
        (_cifar100_archive(meta=None), r"it has no table 'meta'"),
        (
            _cifar100_archive(meta={b"fine_label_names": [b"x"] * 99}),
            r"its table 'meta' does not list 100 fine label names",
        ),
    ],
    ids=["label", "no fine and coarse labels", "no meta", "names"],
)
def test_a_corrupt_cifar100_archive_names_the_file(
    monkeypatch, server, tmp_path, body, problem
):
    serve(monkeypatch, server, "cifar100", {"cifar-100-python.tar.gz": body})
    with pytest.raises(
        OSError, match=rf"cifar-100-python\.tar\.gz is corrupt: {problem}"
    ):
        fetch_cifar100("test", data_home=tmp_path)


def test_a_corrupt_reuters_file_names_the_file(monkeypatch, server, tmp_path):
    files = reuters_files()
    ragged = np.empty(2, dtype=object)
    ragged[:] = [[1, 2], [3]]
    files["reuters.npz"] = npz_bytes(x=ragged, y=np.array([0, 46]))
    serve(monkeypatch, server, "reuters", files)
    with pytest.raises(
        OSError, match=r"reuters\.npz is corrupt: its labels are not whole numbers"
    ):
        fetch_reuters(as_text=False, data_home=tmp_path)
    ragged[:] = [[1, 2], [0.5]]
    files["reuters.npz"] = npz_bytes(x=ragged, y=np.array([0, 45]))
    serve(monkeypatch, server, "reuters", files)
    with pytest.raises(
        OSError,
        match=r"reuters\.npz is corrupt: a sample is not a sequence of integer word",
    ):
        fetch_reuters("all", as_text=False, data_home=tmp_path / "other")


def _open_failing(error):
    def fake_open(file, mode="r", *args, **kwargs):
        if "b" in mode and ("w" in mode or "a" in mode):
            raise error
        return open(file, mode, *args, **kwargs)

    return fake_open


@pytest.mark.parametrize(
    ("error", "advice"),
    [
        (OSError(errno.ENOSPC, "No space left on device"), r"Free disk space there"),
        (PermissionError(errno.EACCES, "Permission denied"), r"Give this user"),
    ],
    ids=["disk full", "no permission"],
)
def test_disk_errors_are_reported_as_such(monkeypatch, server, tmp_path, error, advice):
    from skdl.datasets import _download

    serve(monkeypatch, server, "mnist", {"mnist.npz": mnist_npz()})
    monkeypatch.setattr(_download, "open", _open_failing(error), raising=False)
    part = tmp_path / "mnist" / "mnist.npz.part"
    with pytest.raises(type(error)) as raised:
        fetch_mnist(data_home=tmp_path)
    assert not isinstance(raised.value, ConnectionError)
    assert raised.value.errno == error.errno
    message = str(raised.value)
    assert f"Could not write {part} in skdl's data cache: {error.strerror}" in message
    assert re.search(advice + r".*pass data_home= \(or set the SKDL_DATA", message)
    assert "internet" not in message


def test_a_data_home_that_cannot_be_created_says_so(monkeypatch, tmp_path):
    def refuse(self, *args, **kwargs):
        raise PermissionError(errno.EACCES, "Permission denied", str(self))

    monkeypatch.setattr(Path, "mkdir", refuse)
    with pytest.raises(
        PermissionError,
        match=r"Could not create the data cache folder .*cache: Permission denied\. "
        r"Give this user permission there, or pass data_home=",
    ):
        get_data_home(tmp_path / "cache")
