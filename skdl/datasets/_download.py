"""Download files once into skdl's data cache, verify them, and read them safely.

A download goes to ``<name>.part`` beside its final place. When it breaks off, the
partial file stays and the next call asks the server for the rest (an HTTP range
request); only a file whose checksum matches the published one is renamed to its
final name. So the cache never holds a truncated or corrupted file under the
name the loaders read.
"""

from __future__ import annotations

import codecs
import hashlib
import io
import os
import pickle
import urllib.error
import urllib.request
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

__all__ = ["RemoteFile", "fetch_file", "get_data_home", "load_npz", "safe_unpickle"]

_CHUNK = 1 << 20
_TIMEOUT = 60


@dataclass(frozen=True)
class RemoteFile:
    """A file published at ``url`` with its checksum.

    ``checksum`` is a SHA-256 hex digest, or an MD5 digest (32 hex digits) where the
    publisher gives only that.
    """

    filename: str
    url: str
    checksum: str


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

    Raises
    ------
    OSError
        When the file is not cached and ``download_if_missing`` is False, when the
        download fails (``ConnectionError``; the partial file is kept for the next
        try), or when the downloaded file does not match its checksum (it is
        deleted).
    """
    path = folder / remote.filename
    if path.is_file():
        return path
    if not download_if_missing:
        raise OSError(
            f"{dataset} is not in the data cache ({path} is missing) and "
            "download_if_missing=False. Call again with download_if_missing=True, "
            "or copy the file there by hand."
        )
    folder.mkdir(parents=True, exist_ok=True)
    part = path.with_name(path.name + ".part")
    try:
        _download(remote.url, part)
    except OSError as exc:  # URLError, timeouts, broken connections
        reason = getattr(exc, "reason", exc)
        kept = (
            f" The {part.stat().st_size} bytes received are kept in {part}; the "
            "next call resumes from there."
            if part.is_file() and part.stat().st_size
            else ""
        )
        raise ConnectionError(
            f"Could not download {dataset} from {remote.url} ({reason}). skdl "
            f"downloads it once into {folder}: check the internet connection (and "
            "proxy settings), or download the file elsewhere and copy it to "
            f"{path} (checksum {remote.checksum}).{kept}"
        ) from exc
    digest = _digest(part, remote.checksum)
    if digest != remote.checksum:
        part.unlink()
        raise OSError(
            f"The file downloaded from {remote.url} is corrupted or has changed: "
            f"its checksum is {digest}, expected {remote.checksum}. It was deleted; "
            "call again to download it anew."
        )
    os.replace(part, path)
    return path


def _download(url: str, part: Path) -> None:
    """Download ``url`` into ``part``, continuing a partial file if there is one."""
    offset = part.stat().st_size if part.is_file() else 0
    request = urllib.request.Request(url)
    if offset:
        request.add_header("Range", f"bytes={offset}-")
    try:
        response = urllib.request.urlopen(request, timeout=_TIMEOUT)
    except urllib.error.HTTPError as exc:
        if exc.code == 416 and offset:  # the partial file is already whole
            return
        raise
    with response:
        resumed = offset and response.status == 206
        expected = response.headers.get("Content-Length")
        received = 0
        with open(part, "ab" if resumed else "wb") as file:
            while chunk := response.read(_CHUNK):
                file.write(chunk)
                received += len(chunk)
    if expected is not None and received < int(expected):
        raise OSError(f"the connection closed after {received} of {expected} bytes")


def _reconstruct():
    return np.zeros(1).__reduce__()[0]


class _ArrayUnpickler(pickle.Unpickler):
    """Unpickle plain containers and numpy arrays only; refuse every other global.

    Pickles of numpy arrays name ``numpy.ndarray``, ``numpy.dtype`` and the array
    reconstructor (``numpy.core.multiarray._reconstruct`` in files written by
    numpy 1, ``numpy._core.multiarray._reconstruct`` by numpy 2), and Python 3
    writes bytes into protocol-2 pickles with ``_codecs.encode``; nothing else is
    needed to read CIFAR batches or the ragged arrays in IMDB's ``.npz``.
    """

    _ALLOWED = {
        ("numpy", "ndarray"): np.ndarray,
        ("numpy", "dtype"): np.dtype,
        ("numpy.core.multiarray", "_reconstruct"): _reconstruct(),
        ("numpy._core.multiarray", "_reconstruct"): _reconstruct(),
        ("_codecs", "encode"): codecs.encode,
    }

    def find_class(self, module, name):
        try:
            return self._ALLOWED[module, name]
        except KeyError:
            raise pickle.UnpicklingError(
                f"Refusing to load {module}.{name} from a data file: skdl's data "
                "files hold only numpy arrays, so this file is corrupted or was "
                "tampered with. Delete it from the data cache."
            ) from None


def safe_unpickle(file, *, encoding: str = "ASCII"):
    """Unpickle ``file`` (a binary file object), allowing numpy arrays only."""
    return _ArrayUnpickler(file, encoding=encoding).load()


def load_npz(path: Path) -> dict[str, np.ndarray]:
    """Read every array of an ``.npz`` file; object arrays via :func:`safe_unpickle`."""
    arrays = {}
    with zipfile.ZipFile(path) as archive:
        for member in archive.namelist():
            if not member.endswith(".npy"):
                continue
            stream = io.BytesIO(archive.read(member))
            version = np.lib.format.read_magic(stream)
            header = (
                np.lib.format.read_array_header_1_0
                if version == (1, 0)
                else np.lib.format.read_array_header_2_0
            )
            _, _, dtype = header(stream)
            if dtype.hasobject:
                array = safe_unpickle(stream, encoding="latin1")
            else:
                stream.seek(0)
                array = np.lib.format.read_array(stream, allow_pickle=False)
            arrays[member[: -len(".npy")]] = array
    return arrays
