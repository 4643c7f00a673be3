"""Save and load fitted skdl estimators in a file that cannot run code.

:func:`save` writes one file with the estimator's parameters and fitted attributes
as JSON and every array and tensor as a tensor, read back by :func:`load` with
``torch.load(weights_only=True)``, which refuses anything but tensors and plain
containers. Unlike pickle, loading a file from someone else cannot execute code
from it. A SHA-256 digest over the content catches truncated or altered files, and
a format version allows later migrations.

Parameters that are Python objects (a user ``nn.Module`` class, skorch callbacks, a
tokenizer function) are not stored: :func:`load` asks for them by name.
"""

from __future__ import annotations

import contextlib
import hashlib
import io as _io
import json
import os
import pickle
import stat
import uuid
import zipfile
from pathlib import Path

import numpy as np
import torch
from sklearn.base import BaseEstimator
from sklearn.preprocessing import LabelEncoder
from torch import nn

from . import __version__, modules
from ._net import SkdlNet

__all__ = ["FORMAT_VERSION", "load", "save"]

FORMAT = "skdl-estimator"
#: Version of the file layout that :func:`save` writes and :func:`load` reads.
FORMAT_VERSION = 1

# fitted objects that are rebuilt from their JSON-able parts
_JSON_SCALARS = (type(None), bool, int, float, str)
_BIT_GENERATORS = ("PCG64", "PCG64DXSM", "Philox", "SFC64", "MT19937")


class _Encoder:
    """Turn estimator state into JSON-able data plus a dict of tensors."""

    def __init__(self):
        self.tensors: dict[str, torch.Tensor] = {}

    def tensor(self, value: torch.Tensor) -> dict:
        key = f"t{len(self.tensors)}"
        self.tensors[key] = value.detach().cpu().contiguous().clone()
        return {"__tensor__": key}

    def encode(self, value, where: str):
        if isinstance(value, _JSON_SCALARS):
            if isinstance(value, float) and not np.isfinite(value):
                return {"__float__": repr(value)}
            return value
        if isinstance(value, np.generic):
            return {"__numpy_scalar__": value.item(), "dtype": value.dtype.str}
        if isinstance(value, np.ndarray):
            if value.dtype.kind in "biufc":
                return {
                    "__ndarray__": self.tensor(
                        torch.from_numpy(np.ascontiguousarray(value))
                    ),
                    "dtype": value.dtype.str,
                }
            if value.dtype.kind in "USO" and all(
                isinstance(v, _JSON_SCALARS) or isinstance(v, np.generic)
                for v in value.ravel()
            ):
                return {
                    "__object_array__": [self.encode(v, where) for v in value.ravel()],
                    "shape": list(value.shape),
                    "dtype": value.dtype.str,
                }
        if torch.is_tensor(value):
            return self.tensor(value)
        if isinstance(value, list):
            return [self.encode(v, f"{where}[{i}]") for i, v in enumerate(value)]
        if isinstance(value, tuple):
            return {"__tuple__": [self.encode(v, where) for v in value]}
        if isinstance(value, dict):
            return {
                "__dict__": [
                    [self.encode(k, where), self.encode(v, f"{where}[{k!r}]")]
                    for k, v in value.items()
                ]
            }
        if isinstance(value, LabelEncoder):
            return {"__label_encoder__": self.encode(value.classes_, where)}
        if isinstance(value, torch.device):
            return {"__device__": str(value)}
        if isinstance(value, SkdlNet):
            return {"__net__": self.encode(value.io_state(), where)}
        if isinstance(value, nn.Module) and hasattr(value, "io_config"):
            return {
                "__module__": type(value).__name__,
                "config": self.encode(value.io_config(), where),
                "state": self.encode(dict(value.state_dict()), where),
            }
        if isinstance(value, np.random.Generator):
            return {
                "__generator__": type(value.bit_generator).__name__,
                "state": self.encode(value.bit_generator.state, where),
            }
        if isinstance(value, BaseEstimator):
            return {"__estimator__": _estimator_state(value, self)}
        raise TypeError(
            f"skdl.io.save cannot store {where} (a {type(value).__name__}): only "
            "numbers, strings, arrays, tensors and lists/dicts of them can be "
            "saved safely. Use pickle or joblib for this estimator if you trust "
            "whoever will load the file."
        )


class _NetState(dict):
    """Decoded state of a SkdlNet, rebuilt by the estimator after loading."""


def _decode(value, tensors):
    if isinstance(value, list):
        return [_decode(v, tensors) for v in value]
    if not isinstance(value, dict):
        return value
    (tag, payload), *_ = value.items()
    if tag == "__tensor__":
        return tensors[payload]
    if tag == "__ndarray__":
        return tensors[payload["__tensor__"]].numpy().astype(value["dtype"], copy=False)
    if tag == "__numpy_scalar__":
        return np.array(payload, dtype=value["dtype"])[()]
    if tag == "__object_array__":
        items = [_decode(v, tensors) for v in payload]
        return np.array(items, dtype=value["dtype"]).reshape(value["shape"])
    if tag == "__float__":
        return float(payload)
    if tag == "__tuple__":
        return tuple(_decode(v, tensors) for v in payload)
    if tag == "__dict__":
        return {_decode(k, tensors): _decode(v, tensors) for k, v in payload}
    if tag == "__label_encoder__":
        encoder = LabelEncoder()
        encoder.classes_ = _decode(payload, tensors)
        return encoder
    if tag == "__device__":
        return torch.device(payload)
    if tag == "__net__":
        return _NetState(_decode(payload, tensors))
    if tag == "__module__":
        module_class = getattr(modules, payload, None)
        if not (isinstance(module_class, type) and hasattr(module_class, "io_config")):
            raise ValueError(f"unknown module {payload!r} in the model file")
        module = module_class(**_decode(value["config"], tensors))
        module.load_state_dict(_decode(value["state"], tensors))
        return module
    if tag == "__generator__":
        if payload not in _BIT_GENERATORS:
            raise ValueError(f"unknown random generator {payload!r} in the model file")
        generator = np.random.Generator(getattr(np.random, payload)())
        generator.bit_generator.state = _decode(value["state"], tensors)
        return generator
    if tag == "__estimator__":
        return _rebuild(payload, tensors, {}, where="a nested estimator")
    raise ValueError(f"unknown entry {tag!r} in the model file")


def _digest(header: dict, tensors: dict[str, torch.Tensor]) -> str:
    digest = hashlib.sha256(json.dumps(header, sort_keys=True).encode())
    for key in sorted(tensors):
        tensor = tensors[key]
        digest.update(key.encode())
        digest.update(str((tensor.dtype, tuple(tensor.shape))).encode())
        digest.update(tensor.numpy().tobytes() if tensor.numel() else b"")
    return digest.hexdigest()


def _public_estimators() -> dict[str, type]:
    from .utils.discovery import all_estimators

    return dict(all_estimators())


def save(estimator: BaseEstimator, path) -> None:
    """Write a fitted (or unfitted) skdl estimator to ``path``.

    The file is written next to ``path`` under a temporary name, flushed to disk
    and then renamed over ``path``: a save that fails part-way (a full disk, an
    interrupt) leaves any previous file at ``path`` as it was.

    Parameters
    ----------
    estimator : skdl estimator
        Any public skdl estimator (a Pipeline is not supported: save its steps).
    path : str or path-like
        File to write (conventionally ``*.skdl``).

    Raises
    ------
    TypeError
        If the estimator is not a public skdl estimator, or holds state that cannot
        be stored without pickle.

    Examples
    --------
    >>> import tempfile, os
    >>> from sklearn.datasets import load_iris
    >>> from skdl import MLPClassifier
    >>> from skdl.io import load, save
    >>> X, y = load_iris(return_X_y=True)
    >>> model = MLPClassifier((8,), max_iter=5, random_state=0).fit(X, y)
    >>> path = os.path.join(tempfile.mkdtemp(), "model.skdl")
    >>> save(model, path)
    >>> (load(path).predict(X) == model.predict(X)).all()
    np.True_
    """
    encoder = _Encoder()
    header = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "skdl_version": __version__,
        **_estimator_state(estimator, encoder),
    }
    payload = {
        "header": json.dumps(header),
        "sha256": _digest(header, encoder.tensors),
        "tensors": encoder.tensors,
    }
    _write_atomically(os.fspath(path), lambda file: torch.save(payload, file))


def _write_atomically(path: str, write) -> None:
    """Run ``write(file)`` on a new file in ``path``'s folder, then rename it."""
    folder = os.path.dirname(os.path.abspath(path))
    temporary = os.path.join(
        folder, f".{os.path.basename(path)}.{uuid.uuid4().hex[:12]}.tmp"
    )
    # 0o666 less the umask, as open(path, "wb") would create it
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(descriptor, "wb") as file:
            write(file)
            file.flush()
            os.fsync(file.fileno())
        with contextlib.suppress(FileNotFoundError):  # keep an existing file's mode
            os.chmod(temporary, stat.S_IMODE(os.stat(path).st_mode))
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise
    with contextlib.suppress(OSError):  # make the rename itself durable
        folder_descriptor = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(folder_descriptor)
        finally:
            os.close(folder_descriptor)


def load(path, **params):
    """Read an estimator written by :func:`save`; never runs code from the file.

    Parameters
    ----------
    path : str or path-like
        File written by :func:`save`.
    **params
        Values for parameters the file could not store (user classes, callbacks,
        functions); the error message names the ones that are needed.

    Returns
    -------
    estimator
        The estimator, with its fitted attributes. A model trained on a GPU is
        loaded onto the CPU.

    Raises
    ------
    ValueError
        If the file is not an skdl model file, is truncated or altered, comes from
        a newer format, or needs parameters that were not given.

    Examples
    --------
    >>> import tempfile, os
    >>> from sklearn.datasets import load_iris
    >>> from skorch.callbacks import GradientNormClipping
    >>> from skdl import MLPClassifier
    >>> from skdl.io import load, save
    >>> X, y = load_iris(return_X_y=True)
    >>> clip = [GradientNormClipping(1.0)]
    >>> model = MLPClassifier(max_iter=5, callbacks=clip, random_state=0).fit(X, y)
    >>> path = os.path.join(tempfile.mkdtemp(), "model.skdl")
    >>> save(model, path)  # the callbacks are Python objects: not stored
    >>> loaded = load(path, callbacks=clip)
    >>> (loaded.predict_proba(X) == model.predict_proba(X)).all()
    np.True_
    """
    raw = Path(path).read_bytes()
    try:
        payload = torch.load(_io.BytesIO(raw), map_location="cpu", weights_only=True)
        header = json.loads(payload["header"])
        tensors = payload["tensors"]
        expected = payload["sha256"]
    except (
        pickle.UnpicklingError,
        RuntimeError,
        zipfile.BadZipFile,
        EOFError,
        KeyError,
        TypeError,
        ValueError,
        AttributeError,
    ) as exc:
        raise ValueError(
            f"{path} is not a valid skdl model file (truncated, altered, or "
            f"written by something else): {type(exc).__name__}: {exc}"
        ) from None
    if header.get("format") != FORMAT:
        raise ValueError(f"{path} is not an skdl model file.")
    if _digest(header, tensors) != expected:
        raise ValueError(
            f"{path} was altered or damaged: its content does not match its "
            "SHA-256 digest."
        )
    if header["format_version"] > FORMAT_VERSION:
        raise ValueError(
            f"{path} was written by skdl {header['skdl_version']} in file format "
            f"{header['format_version']}; this skdl ({__version__}) reads format "
            f"{FORMAT_VERSION} and older. Upgrade skdl."
        )
    return _rebuild(header, tensors, params, where=str(path))


def _estimator_state(estimator: BaseEstimator, encoder: _Encoder) -> dict:
    """The JSON-able description of ``estimator``; its tensors go to ``encoder``."""
    name = type(estimator).__name__
    if _public_estimators().get(name) is not type(estimator):
        raise TypeError(
            f"skdl.io.save stores skdl's public estimators only; got {name}."
        )
    params, external = {}, []
    for key, value in estimator.get_params(deep=False).items():
        n_tensors = len(encoder.tensors)
        try:
            params[key] = encoder.encode(value, f"parameter {key!r}")
        except TypeError:  # a Python object: the caller passes it to load()
            external.append(key)
            for extra in list(encoder.tensors)[n_tensors:]:
                del encoder.tensors[extra]
    net = getattr(estimator, "net_", None)
    derived = {"_sklearn_version"}
    if net is not None and getattr(estimator, "history_", None) is net.history:
        derived.add("history_")  # rebuilt with the net
    attributes = {
        key: encoder.encode(value, f"fitted attribute {key!r}")
        for key, value in vars(estimator).items()
        if key not in params and key not in external and key not in derived
    }
    return {
        "estimator": name,
        "params": params,
        "external_params": external,
        "attributes": attributes,
    }


def _rebuild(state: dict, tensors: dict, params: dict, *, where: str):
    """The estimator that :func:`_estimator_state` described."""
    cls = _public_estimators().get(state["estimator"])
    if cls is None:
        raise ValueError(f"{where} holds an unknown estimator {state['estimator']!r}.")
    missing = sorted(set(state["external_params"]) - set(params))
    if missing:
        raise ValueError(
            f"{where} could not store the parameters {missing} (Python objects); "
            f"pass them to load, e.g. load(path, {missing[0]}=...)."
        )
    stored = {key: _decode(value, tensors) for key, value in state["params"].items()}
    estimator = cls(**{**stored, **params})
    attributes = {
        key: _decode(value, tensors) for key, value in state["attributes"].items()
    }
    nets = {k: v for k, v in attributes.items() if isinstance(v, _NetState)}
    estimator.__dict__.update({k: v for k, v in attributes.items() if k not in nets})
    for key, net_state in nets.items():  # built from the attributes set above
        setattr(estimator, key, estimator._restore_net(net_state))
    return estimator
