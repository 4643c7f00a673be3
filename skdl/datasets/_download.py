"""Download files once into skdl's data cache, verify them, and read them safely.

A download goes to ``<name>.part`` beside its final place. When it breaks off, the
partial file stays and the next call asks the server for the rest (an HTTP range
request); only a file whose checksum matches the published one is renamed to its
final name. A cached file is checked against its checksum again each time it is
read (a disk error or a hand-copied file can change it): a mismatch is downloaded
anew, or reported with ``download_if_missing=False``. Parsing a file trusts
nothing it declares: array headers are checked against the bytes the file holds
before anything is allocated, and every problem names the file and what to do.
Disk errors (a full disk, a folder without write permission) are reported as
such, not as a network failure.
"""

from __future__ import annotations

import codecs
import contextlib
import errno
import gzip
import hashlib
import http.client
import io
import math
import os
import pickle
import ssl
import struct
import tarfile
import urllib.error
import urllib.request
import warnings
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .._warnings import external_stacklevel
from ..utils._sklearn import validate_params

__all__ = [
    "RemoteFile",
    "corrupt_file_error",
    "fetch_file",
    "get_data_home",
    "load_npz",
    "max_expansion",
    "reading",
    "safe_unpickle",
]

_CHUNK = 1 << 20
_TIMEOUT = 60
# deflate cannot expand data more than 1032-fold: a zip member or archive that
# declares more than that from its compressed bytes is corrupt
DEFLATE_MAX_RATIO = 1032
# errors of the disk, not of the network
_DISK_ERRNOS = {
    errno.ENOSPC,
    errno.EDQUOT,
    errno.EFBIG,
    errno.EACCES,
    errno.EPERM,
    errno.EROFS,
    errno.EISDIR,
    errno.ENOTDIR,
    errno.ENOENT,
    errno.EIO,
    errno.EEXIST,
}


@dataclass(frozen=True)
class RemoteFile:
    """A file published at ``url`` with its checksum.

    ``checksum`` is a SHA-256 hex digest, or an MD5 digest (32 hex digits) where the
    publisher gives only that.
    """

    filename: str
    url: str
    checksum: str


@validate_params(
    {"data_home": [str, os.PathLike, None]}, prefer_skip_nested_validation=True
)
def get_data_home(data_home: str | os.PathLike | None = None) -> Path:
    """Return the folder where skdl caches downloaded data sets, creating it.

    Parameters
    ----------
    data_home : str or path-like, default=None
        The folder to use. If None, the ``SKDL_DATA`` environment variable names
        it, and without that variable it is ``~/skdl_data``.

    Returns
    -------
    pathlib.Path
        The cache folder (``~`` expanded).

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from skdl.datasets import get_data_home
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     print(get_data_home(Path(folder, "data")).is_dir())
    True
    """
    if data_home is None:
        data_home = os.environ.get("SKDL_DATA") or Path("~", "skdl_data")
    path = Path(data_home).expanduser()
    with _on_disk("create the data cache folder", path):
        path.mkdir(parents=True, exist_ok=True)
    return path


def _digest(path: Path, checksum: str) -> str:
    algorithm = hashlib.md5 if len(checksum) == 32 else hashlib.sha256
    hasher = algorithm()
    with open(path, "rb") as file:
        while chunk := file.read(_CHUNK):
            hasher.update(chunk)
    return hasher.hexdigest()


def fetch_file(
    remote: RemoteFile, folder: Path, *, dataset: str, download_if_missing: bool
) -> Path:
    """Return the cached path of ``remote`` in ``folder``, downloading it if needed.

    A cached file is checked against ``remote.checksum`` on every call; one that
    does not match is downloaded anew (with a warning), or reported when
    ``download_if_missing`` is False.

    Raises
    ------
    OSError
        When the file is not cached (or is corrupt) and ``download_if_missing``
        is False, when the download fails (``ConnectionError``; the partial file
        is kept for the next try), when the downloaded file does not match its
        checksum (it is deleted), or when the disk refuses (a full disk, no
        permission: the error of the disk, with what to change).
    """
    fetcher = f"fetch_{dataset}"
    path = folder / remote.filename
    if path.is_file():
        with _on_disk("read", path):
            digest = _digest(path, remote.checksum)
        if digest == remote.checksum:
            return path
        mismatch = (
            f"The cached file {path} does not match its published checksum (its "
            f"checksum is {digest}, expected {remote.checksum}): it is corrupt or "
            "was cut short."
        )
        if not download_if_missing:
            raise OSError(
                f"{mismatch} Call {fetcher}(..., download_if_missing=True) to "
                "download it anew, or delete it and copy a good one there."
            )
        warnings.warn(
            f"{mismatch} Downloading it anew.",
            UserWarning,
            stacklevel=external_stacklevel(),
        )
        with _on_disk("delete", path):
            path.unlink()
    elif not download_if_missing:
        raise OSError(
            f"{dataset} is not in the data cache ({path} is missing) and "
            "download_if_missing=False. Call again with download_if_missing=True, "
            "or copy the file there by hand."
        )
    with _on_disk("create the data cache folder", folder):
        folder.mkdir(parents=True, exist_ok=True)
    # one download of a file at a time: another process fetching it is waited
    # for, and its file used
    with _exclusive(path.with_name(f".{path.name}.lock")):
        if path.is_file():
            with _on_disk("read", path):
                if _digest(path, remote.checksum) == remote.checksum:
                    return path
        _download_verified(remote, path, dataset)
    return path


def _download_verified(remote: RemoteFile, path: Path, dataset: str) -> None:
    """Download ``remote`` to ``path`` through ``<path>.part``, which must match
    the checksum; a resumed part that does not is downloaded once more whole.
    """
    part = path.with_name(path.name + ".part")
    for attempt in range(2):
        try:
            resumed = _download(remote.url, part)
        except (OSError, http.client.HTTPException) as exc:
            raise _download_error(exc, remote, path, part, dataset) from exc
        with _on_disk("read", part):
            digest = _digest(part, remote.checksum)
        if digest == remote.checksum:
            break
        with _on_disk("delete", part):
            part.unlink()
        if not resumed or attempt:
            raise OSError(
                f"The file downloaded from {remote.url} is corrupted or has "
                f"changed: its checksum is {digest}, expected {remote.checksum}. "
                "It was deleted; call again to download it anew."
            )
        # a part left by an earlier try did not belong to this file
    with _on_disk("move into place", path):
        os.replace(part, path)


def _download_error(
    exc: Exception, remote: RemoteFile, path: Path, part: Path, dataset: str
) -> OSError:
    """The error of a failed download: the disk's, or a ConnectionError."""
    if _is_disk_error(exc):
        return _disk_error(exc, "write", part)
    reason = getattr(exc, "reason", exc)
    kept = (
        f" The {part.stat().st_size} bytes received are kept in {part}; the "
        "next call resumes from there."
        if part.is_file() and part.stat().st_size
        else ""
    )
    return ConnectionError(
        f"Could not download {dataset} from {remote.url} ({reason!s} "
        f"[{type(exc).__name__}]). skdl downloads it once into {path.parent}: "
        "check the internet connection (and proxy settings), or download the "
        f"file elsewhere and copy it to {path} (checksum {remote.checksum}).{kept}"
    )


@contextlib.contextmanager
def _exclusive(lock: Path) -> Iterator[None]:
    """Hold an exclusive lock on the file ``lock`` (created if missing; left in
    place, as deleting it would let two processes lock two files), waiting for
    another process that holds it. On a file system without locks (some
    network file systems) the block runs unlocked.
    """
    with _on_disk("lock", lock):
        descriptor = os.open(lock, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        _lock(descriptor)
        yield
    finally:
        os.close(descriptor)  # releases the lock


def _lock(descriptor: int) -> None:
    """Lock the open file ``descriptor``, waiting as long as another process
    holds it; no lock where the file system refuses locks.
    """
    try:
        if os.name == "nt":
            import msvcrt

            while True:  # LK_LOCK gives up after 10 tries of a second
                try:
                    msvcrt.locking(descriptor, msvcrt.LK_LOCK, 1)
                    return
                except OSError as exc:
                    if exc.errno != errno.EDEADLOCK:
                        raise
        else:
            import fcntl

            fcntl.flock(descriptor, fcntl.LOCK_EX)
    except OSError:
        pass


def _is_disk_error(exc: Exception) -> bool:
    """Whether ``exc`` came from the file system rather than the network."""
    network = urllib.error.URLError | TimeoutError | ConnectionError | ssl.SSLError
    return (
        isinstance(exc, OSError)
        and not isinstance(exc, network)
        and exc.errno in _DISK_ERRNOS
    )


def _disk_error(exc: OSError, doing: str, path: Path) -> OSError:
    """``exc`` again (same type and errno), saying what failed and what to do."""
    if exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
        advice = (
            "Free disk space there, or pass data_home= (or set the SKDL_DATA "
            "environment variable) to a folder on a disk with room."
        )
    elif exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        advice = (
            "Give this user permission there, or pass data_home= (or set the "
            "SKDL_DATA environment variable) to a folder it may write to."
        )
    else:
        advice = (
            "Check that folder, or pass data_home= (or set the SKDL_DATA "
            "environment variable) to another one."
        )
    reason = exc.strerror or str(exc)
    error = type(exc)(
        exc.errno,
        f"Could not {doing} {path} in skdl's data cache: {reason}. {advice}",
    )
    error.filename = str(path)
    return error


@contextlib.contextmanager
def _on_disk(doing: str, path: Path) -> Iterator[None]:
    """Report the file system's errors in the block with :func:`_disk_error`."""
    try:
        yield
    except OSError as exc:
        if _is_disk_error(exc):
            raise _disk_error(exc, doing, path) from exc
        raise


def _download(url: str, part: Path) -> bool:
    """Download ``url`` into ``part``, continuing a partial file if there is one.

    Returns whether the file kept bytes of an earlier try.
    """
    offset = part.stat().st_size if part.is_file() else 0
    request = urllib.request.Request(url)
    if offset:
        request.add_header("Range", f"bytes={offset}-")
    try:
        response = urllib.request.urlopen(request, timeout=_TIMEOUT)
    except urllib.error.HTTPError as exc:
        if exc.code == 416 and offset:  # the partial file is already whole
            return True
        raise
    with response:
        resumed = bool(offset) and response.status == 206
        expected = response.headers.get("Content-Length", "")
        received = 0
        with open(part, "ab" if resumed else "wb") as file:
            while chunk := response.read(_CHUNK):
                file.write(chunk)
                received += len(chunk)
    # a malformed length is not checked here: the checksum is
    if expected.strip().isdigit() and received < int(expected):
        raise ConnectionError(
            f"the connection closed after {received} of {expected} bytes"
        )
    return resumed


class Refused(pickle.UnpicklingError):
    """A data file's pickle asks for something other than plain arrays.

    Raised with what it asks for; :func:`reading` names the file.
    """


# the kinds of dtype a data file's arrays may have: booleans and numbers, bytes
# and str, which numpy builds from raw bytes of a checked length, and Python
# objects (the ragged sequences in IMDB's .npz), which it builds from a list
_PLAIN_KINDS = frozenset("biufcSUO")


def _plain_dtype(dtype) -> np.dtype:
    """A new dtype of ``dtype``'s kind, byte order and size, if it is plain.

    Raises :class:`Refused` for dtypes with fields or subarrays, of other
    kinds (void, datetime), or whose size does not fit their type string (a
    pickled dtype's state sets its flags and size: a structured dtype whose
    flags hide an object field makes numpy read bytes as pointers).
    """
    if not isinstance(dtype, np.dtype):
        raise Refused(f"an array whose dtype is a {type(dtype).__name__}")
    if dtype.kind in _PLAIN_KINDS and dtype.fields is None and not dtype.subdtype:
        with contextlib.suppress(TypeError, ValueError):
            plain = np.dtype(dtype.str)
            if plain.itemsize == dtype.itemsize:
                return plain
    raise Refused(f"an array of dtype {dtype}")


class _PickledArray:
    """Stands for an array of a pickle until ``__setstate__`` builds it.

    The pickle's ``_reconstruct(ndarray, ...)`` returns one, so that numpy never
    builds an array from a state that was not checked: ``__setstate__`` builds
    a new array of :func:`_plain_dtype` from the state's bytes (of the size
    that the shape and dtype give) or list (of objects). :func:`safe_unpickle`
    puts the arrays in their places.
    """

    __slots__ = ("array",)
    __hash__ = None  # as an array's: a set or a dict key cannot hold one

    @staticmethod
    def built(value):
        """``value``, or the array it stands for."""
        if not isinstance(value, _PickledArray):
            return value
        if not hasattr(value, "array"):  # no state followed it
            raise Problem("it holds an array without its contents")
        return value.array

    def __setstate__(self, state):
        if not isinstance(state, tuple) or len(state) not in (4, 5):
            raise Problem("it holds an array pickled in a form numpy never writes")
        shape, dtype, fortran, data = state[-4:]
        if not (
            isinstance(shape, tuple) and all(type(n) is int and n >= 0 for n in shape)
        ):
            raise Problem(f"it holds an array of shape {shape!r}")
        dtype, size = _plain_dtype(dtype), math.prod(shape)
        if dtype.kind == "O":
            if not isinstance(data, list) or len(data) != size:
                raise Problem(
                    f"it holds an object array of shape {shape} without a list "
                    f"of its {size} items"
                )
            items = map(self.built, data)
            array = np.fromiter(items, dtype=object, count=size).reshape(shape)
            self.array = np.asfortranarray(array) if fortran else array
            return
        if not isinstance(data, bytes) or len(data) != size * dtype.itemsize:
            held = len(data) if isinstance(data, bytes) else type(data).__name__
            raise Problem(
                f"it holds an array of shape {shape} of {dtype} with {held} bytes"
            )
        order = "F" if fortran else "C"
        array = np.frombuffer(data, dtype).reshape(shape, order=order)
        # a copy in the machine's byte order, as numpy unpickles
        self.array = array.astype(dtype.newbyteorder("="), order=order)


class _ArrayType:
    """What a data file's ``numpy.ndarray`` unpickles as: the type that
    ``_reconstruct`` is given, which the pickle cannot call. A call of
    ``numpy.ndarray`` itself, followed by a state, would have numpy build an
    array from a state that was not checked.
    """

    __slots__ = ()

    def __call__(self, *args, **kwargs):
        raise Refused("a call of numpy.ndarray")


_ARRAY_TYPE = _ArrayType()


def _pickled_array(cls, shape, typecode) -> _PickledArray:
    """What a data file's ``numpy.core.multiarray._reconstruct`` calls make."""
    if cls is not _ARRAY_TYPE:
        raise Refused(f"an array of type {cls!r}")
    return _PickledArray()


class _ArrayUnpickler(pickle.Unpickler):
    """Unpickle plain containers and numpy arrays only; refuse every other global.

    Pickles of numpy arrays name ``numpy.ndarray``, ``numpy.dtype`` and the array
    reconstructor (``numpy.core.multiarray._reconstruct`` in files written by
    numpy 1, ``numpy._core.multiarray._reconstruct`` by numpy 2), and Python 3
    writes bytes into protocol-2 pickles with ``_codecs.encode``; nothing else is
    needed to read CIFAR batches or the ragged arrays in IMDB's ``.npz``. The
    arrays are built by :class:`_PickledArray`, of plain dtypes only.
    """

    _ALLOWED = {
        ("numpy", "ndarray"): _ARRAY_TYPE,
        ("numpy", "dtype"): np.dtype,
        ("numpy.core.multiarray", "_reconstruct"): _pickled_array,
        ("numpy._core.multiarray", "_reconstruct"): _pickled_array,
        ("_codecs", "encode"): codecs.encode,
    }

    def find_class(self, module, name):
        try:
            return self._ALLOWED[module, name]
        except KeyError:
            raise Refused(f"{module}.{name}") from None


def safe_unpickle(data: bytes, *, encoding: str = "ASCII"):
    """Unpickle ``data``, allowing numpy arrays of plain dtypes only.

    The data are in memory, read whole from a member of known size: the
    pickle's lengths cannot make the reader wait for, or read, more. (The C
    unpickler reserves the size a bytes object declares before copying it;
    a declaration beyond what the data hold fails as "truncated", or as a
    ``MemoryError``, which :func:`reading` reports as a corrupt file.)

    Raises
    ------
    Refused
        If the pickle names a global other than those of arrays, or holds an
        array whose dtype is not plain (see :func:`_plain_dtype`).
    """
    loaded = _ArrayUnpickler(io.BytesIO(data), encoding=encoding).load()
    _place_arrays(loaded)
    return _PickledArray.built(loaded)


def _place_arrays(loaded) -> None:
    """Replace each :class:`_PickledArray` in the lists and dicts under
    ``loaded`` by its array (an object array's items are in place already).
    """
    stack, seen = [loaded], set()
    while stack:
        container = stack.pop()
        if id(container) in seen:
            continue
        seen.add(id(container))
        if isinstance(container, list):
            items = list(enumerate(container))
        elif isinstance(container, dict):
            items = list(container.items())
        elif isinstance(container, tuple):
            items = [(None, value) for value in container]
        elif isinstance(container, np.ndarray) and container.dtype == object:
            items = [(None, value) for value in container.flat]
        else:
            continue
        for key, value in items:
            if isinstance(value, _PickledArray):
                if key is None:  # numpy never pickles an array in a tuple
                    raise Problem("it holds an array inside a tuple")
                container[key] = _PickledArray.built(value)
            elif isinstance(value, list | dict | tuple | np.ndarray):
                stack.append(value)


class Problem(ValueError):
    """What is wrong with a data file, in words (raised inside :func:`reading`)."""


def corrupt_file_error(paths, problem: str, fetcher: str) -> OSError:
    """The error for cached files whose contents do not add up.

    Examples
    --------
    >>> from pathlib import Path
    >>> print(corrupt_file_error(Path("mnist.npz"), "it is empty", "fetch_mnist"))
    The cached file mnist.npz is corrupt: it is empty. Delete it and call ...
    """
    paths = [paths] if isinstance(paths, str | os.PathLike) else list(paths)
    if len(paths) == 1:
        what, delete = f"The cached file {paths[0]} is corrupt", "Delete it"
    else:
        names = ", ".join(str(p) for p in paths)
        what, delete = f"The cached files {names} do not agree", "Delete them"
    return OSError(
        f"{what}: {problem}. {delete} and call {fetcher}() again to download "
        f"{'it' if len(paths) == 1 else 'them'} anew."
    )


# what parsing a damaged file raises, besides Problem
_PARSE_ERRORS = (
    ValueError,
    KeyError,
    IndexError,
    EOFError,
    MemoryError,
    struct.error,
    zlib.error,
    zipfile.BadZipFile,
    tarfile.TarError,
    gzip.BadGzipFile,
    pickle.UnpicklingError,
    TypeError,
)


@contextlib.contextmanager
def reading(paths, fetcher: str) -> Iterator[None]:
    """Report errors of parsing cached ``paths`` with :func:`corrupt_file_error`.

    A pickle that asks for more than plain arrays raises :class:`Refused`,
    naming the file; the disk's errors say what the disk refused.
    """
    try:
        yield
    except Refused as exc:
        names = paths if isinstance(paths, str | os.PathLike) else paths[0]
        raise Refused(
            f"Refusing to load {exc} from the data file {names}: skdl's data files "
            "hold only numpy arrays of numbers, strings or Python objects, so this "
            f"file is corrupted or was tampered with. Delete it and call {fetcher}() "
            "again to download it anew."
        ) from None
    except _PARSE_ERRORS as exc:
        problem = str(exc) if isinstance(exc, Problem) else _describe(exc)
        raise corrupt_file_error(paths, problem, fetcher) from exc
    except OSError as exc:
        if _is_disk_error(exc):
            path = paths if isinstance(paths, str | os.PathLike) else paths[0]
            raise _disk_error(exc, "read", path) from exc
        raise


def _describe(exc: BaseException) -> str:
    if isinstance(exc, MemoryError):
        return "it declares more data than it holds (a MemoryError while reading)"
    return f"reading it failed with {type(exc).__name__}: {exc}"


def load_npz(path: Path, keys: list[str], *, fetcher: str) -> dict[str, np.ndarray]:
    """Read the arrays ``keys`` of an ``.npz`` file, checking what it declares.

    Nothing is allocated beyond what the file holds: each member's sizes are
    checked against the file (deflate expands at most 1032-fold) before it is
    read, and each array's header against the member's bytes before the array
    is. Object arrays go through :func:`safe_unpickle`.

    Raises
    ------
    OSError
        Naming the file and what is wrong with it (:func:`corrupt_file_error`).
    """
    with reading(path, fetcher), zipfile.ZipFile(path) as archive:
        size = path.stat().st_size
        arrays = {}
        for key in keys:
            try:
                info = archive.getinfo(f"{key}.npy")
            except KeyError:
                raise Problem(f"it has no array {key!r}") from None
            _check_member(info, size)
            arrays[key] = _read_npy(archive.read(info), key)
        return arrays


def _check_member(info: zipfile.ZipInfo, size: int) -> None:
    if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        raise Problem(f"{info.filename} is compressed in a way numpy never writes")
    if info.compress_size > size or info.file_size > max_expansion(info.compress_size):
        raise Problem(
            f"{info.filename} declares {info.file_size} bytes from "
            f"{info.compress_size} compressed ones, more than the {size} bytes of "
            "the file can hold"
        )


def max_expansion(n_bytes: int) -> int:
    """The most bytes that ``n_bytes`` of zip or gzip (deflate) data give.

    Deflate expands data at most 1032-fold; the slack covers headers.
    """
    return DEFLATE_MAX_RATIO * n_bytes + 1024


def _read_npy(raw: bytes, key: str) -> np.ndarray:
    """An array from the bytes of an ``.npy`` file, after checking its header."""
    stream = io.BytesIO(raw)
    version = np.lib.format.read_magic(stream)
    header = (
        np.lib.format.read_array_header_1_0
        if version == (1, 0)
        else np.lib.format.read_array_header_2_0
    )
    shape, _, dtype = header(stream)  # read_array reads the order again
    dtype = _plain_dtype(dtype)
    if dtype.hasobject:
        array = safe_unpickle(raw[stream.tell() :], encoding="latin1")
        if not isinstance(array, np.ndarray) or array.shape != shape:
            got = getattr(array, "shape", type(array).__name__)
            raise Problem(f"array {key!r} declares shape {shape} but holds {got}")
        if array.dtype != dtype:
            raise Problem(f"array {key!r} declares {dtype} but holds {array.dtype}")
        return array
    needed = math.prod(shape) * dtype.itemsize
    held = len(raw) - stream.tell()
    if needed != held:
        raise Problem(
            f"array {key!r} declares shape {shape} of {dtype} ({_size(needed)}), "
            f"but holds {_size(held)} of data"
        )
    stream.seek(0)
    return np.lib.format.read_array(stream, allow_pickle=False)


def _size(n_bytes: int) -> str:
    units = ("bytes", "KiB", "MiB", "GiB", "TiB")
    power = min(int(math.log(max(n_bytes, 1), 1024)), len(units) - 1)
    if power == 0:
        return f"{n_bytes} bytes"
    return f"{n_bytes / 1024**power:.3g} {units[power]}"
