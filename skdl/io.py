"""Save and load skdl estimators in files that are data, never code.

:func:`save` writes one file: the estimator's parameters and fitted attributes as
JSON, and every array and tensor as a tensor, in PyTorch's zip format. :func:`load`
reads it back without unpickling anything but tensors and plain containers
(``torch.load(weights_only=True)``) and treats the file as untrusted input:

- it reads regular files only, at most :data:`MAX_FILE_SIZE` bytes, and refuses
  compressed archive entries and tensors that are views of a larger or shared
  storage, so nothing expands beyond the file's size;
- parameters must satisfy the estimator's own constraints, as in ``fit``, and lie
  in a safe envelope: no ``torch.compile``, no more threads than this machine has
  cores, a ``token_pattern`` from :data:`SAFE_TOKEN_PATTERNS`;
- every fitted attribute must have the type, and agree with the others, as the
  estimator would have produced it; networks are rebuilt from the parameters
  that built them at fit time (whatever ``set_params`` changed afterwards) on
  PyTorch's ``meta`` device first, and must hold exactly the stored tensors'
  shapes before any weight is allocated.

Anything else raises :class:`~skdl.exceptions.ModelFileError`. ``trusted=True``
lifts the size limit and the envelope (not the checks of the file's structure).
A SHA-256 digest over the content catches truncated or damaged files; it has no
key, so it does not prove who wrote a file. The user guide's reliability page
states the threat model.

Parameters that are Python objects (a user ``nn.Module`` class, skorch callbacks,
a tokenizer function) are not stored: :func:`load` asks for them by name.
"""

from __future__ import annotations

import contextlib
import copy
import hashlib
import io as _io
import json
import math
import os
import stat
import threading
import uuid
import zipfile
from numbers import Integral, Real

import numpy as np
import torch
from sklearn.base import BaseEstimator, is_classifier
from sklearn.preprocessing import LabelEncoder
from skorch.history import History
from torch import nn
from torch.nn.modules import module as torch_module
from torch.overrides import TorchFunctionMode

from . import __version__, modules
from ._net import SkdlNet
from .base import (
    BaseTorchEstimator,
    TorchClassifierMixin,
    TorchRegressorMixin,
    TorchTransformerMixin,
    _history_attributes,
    parameter_dtypes,
)
from .exceptions import ModelFileError
from .feature_extraction._base import ImageTransformer
from .generative._gan import MAX_PIXEL_LEVELS, GANSampler
from .language._base import EOS, UNK, LanguageModelMixin
from .language._neural import LSTMLanguageModel
from .language._ngram import MAX_NGRAM_ORDER, NGramLanguageModel
from .lvq._lvq import LVQClassifier
from .memory._boltzmann import BoltzmannMachine
from .memory._hopfield import HopfieldNetwork
from .neural_network._cnn import _BaseCNN
from .neural_network._mlp import _PRETRAINERS, _BaseMLP
from .neural_network._rbm import DBNTransformer, RBMTransformer
from .neural_network._recurrent import _BaseSequenceModel
from .neural_network._text import LSTMTextClassifier
from .utils._images import check_images
from .utils._sklearn import InvalidParameterError
from .utils._torch import (
    _DEVICE_PATTERN,
    GLOBAL_RNG_LOCK,
    build_defaults,
    fitted_device_or_cpu,
)

__all__ = [
    "FORMAT_VERSION",
    "MAX_FILE_SIZE",
    "SAFE_TOKEN_PATTERNS",
    "load",
    "save",
]

FORMAT = "skdl-estimator"
#: Version of the file layout that :func:`save` writes and :func:`load` reads.
FORMAT_VERSION = 4

#: Largest file, in bytes, that :func:`load` reads unless ``trusted=True``.
MAX_FILE_SIZE = 2**30

#: Values of ``token_pattern`` that :func:`load` restores from a file it does not
#: trust: regular expressions whose matching time grows linearly with the text.
#: Another pattern needs ``load(path, token_pattern=...)`` or ``trusted=True``.
SAFE_TOKEN_PATTERNS = frozenset(
    {
        r"(?u)\b\w\w+\b",  # the default, CountVectorizer's
        r"(?u)\b\w+\b",
        r"\b\w\w+\b",
        r"\b\w+\b",
        r"(?u)\w+",
        r"\w+",
        r"\S+",
        r"[^\s]+",
        r"[a-zA-Z]+",
        r"[A-Za-z]+",
        r"(?u)\b\w+\b|[^\w\s]",
        r"\w+|[^\w\s]",
        r"(?u)\w+|[^\w\s]",  # the language models' default
    }
)

# features per sample that a loaded image transformer may output (untrusted files)
_MAX_OUTPUT_FEATURES = 2**24
# nesting of the stored data, and of estimators within estimators
_MAX_DEPTH = 40
_MAX_INT = 2**62
_JSON_SCALARS = (type(None), bool, int, float, str)
_TENSOR_DTYPES = (
    torch.bool,
    torch.uint8,
    torch.int8,
    torch.int16,
    torch.int32,
    torch.int64,
    torch.float16,
    torch.float32,
    torch.float64,
)
_BIT_GENERATORS = {"PCG64": np.random.PCG64}  # the generator RBMTransformer keeps

# fitted attributes a file may hold, per class: (required once fitted, optional)
_HISTORY_ATTRIBUTES = (
    "n_iter_",
    "loss_curve_",
    "loss_",
    "t_",
    "validation_scores_",
    "best_validation_score_",
    "best_loss_",
)
_FITTED = {
    BaseTorchEstimator: ({"net_", "_built_with", *_HISTORY_ATTRIBUTES}, set()),
    TorchClassifierMixin: (
        {"classes_", "n_outputs_", "out_activation_"},
        {"_one_hot", "_sparse_y"},
    ),
    TorchRegressorMixin: ({"n_outputs_", "out_activation_"}, set()),
    TorchTransformerMixin: (
        {"n_features_in_", "_n_features_out"},
        {"feature_names_in_"},
    ),
    BoltzmannMachine: ({"_gibbs_rng"}, set()),
    HopfieldNetwork: (
        {"n_features_in_", "coding_", "patterns_", "capacity_"},
        {"feature_names_in_", "coef_"},
    ),
    _BaseMLP: ({"n_features_in_", "n_layers_"}, {"feature_names_in_", "pretrain_"}),
    _BaseSequenceModel: ({"n_features_in_", "input_shape_"}, {"feature_names_in_"}),
    _BaseCNN: (
        {"n_features_in_", "image_shape_", "rescale_"},
        {"feature_names_in_"},
    ),
    LSTMTextClassifier: ({"vocabulary_", "_ids_input"}, set()),
    LSTMLanguageModel: ({"vocabulary_"}, set()),
    NGramLanguageModel: (
        {"vocabulary_", "_order", "_ngram_tokens", "_ngram_counts"},
        set(),
    ),
    # rows (mean_, scale_) or images (image_shape_ ...): _check_gan_layout
    GANSampler: (
        {"n_features_in_", "_dtype"},
        {
            "feature_names_in_",
            "classes_",
            "mean_",
            "scale_",
            "image_shape_",
            "data_range_",
            "pixel_levels_",
            "_input_ndim",
        },
    ),
    LVQClassifier: (
        {"n_features_in_", "prototype_labels_", "_fitted_variant"},
        {"feature_names_in_"},
    ),
    RBMTransformer: (
        {
            "n_features_in_",
            "module_",
            "n_iter_",
            "_epochs_trained",
            "_n_features_out",
            "_gibbs_rng",
        },
        {"feature_names_in_"},
    ),
    DBNTransformer: (
        {"n_features_in_", "rbms_", "_n_features_out"},
        {"feature_names_in_"},
    ),
    ImageTransformer: (
        {"n_features_in_", "image_shape_", "_n_features_out"},
        {"feature_names_in_"},
    ),
}
# state that each optimizer keeps per parameter: (always, when the group says so)
_OPTIMIZER_STATE = {
    torch.optim.SGD: (set(), {"momentum_buffer": "momentum"}),
    torch.optim.Adam: (
        {"step", "exp_avg", "exp_avg_sq"},
        {"max_exp_avg_sq": "amsgrad"},
    ),
    torch.optim.AdamW: (
        {"step", "exp_avg", "exp_avg_sq"},
        {"max_exp_avg_sq": "amsgrad"},
    ),
    torch.optim.RMSprop: (
        {"step", "square_avg"},
        {"momentum_buffer": "momentum", "grad_avg": "centered"},
    ),
    torch.optim.Adagrad: ({"step", "sum"}, {}),
    torch.optim.Adadelta: ({"step", "square_avg", "acc_delta"}, {}),
    torch.optim.Adamax: ({"step", "exp_avg", "exp_inf"}, {}),
    torch.optim.NAdam: ({"step", "mu_product", "exp_avg", "exp_avg_sq"}, {}),
    torch.optim.LBFGS: ({"func_evals", "n_iter"}, {}),
}
_LBFGS_STATE = {"d", "t", "old_dirs", "old_stps", "ro", "H_diag", "prev_flat_grad"}
_LBFGS_STATE |= {"prev_loss", "al"}
# parameters that size or count a network's layers or prototypes: none of their
# ints can exceed the number of weights the network stores, and checking that
# first keeps code that runs before any tensor exists (a list per layer, a
# label per prototype) from allocating more than the file warrants
_SIZE_PARAMS = (
    "hidden_layer_sizes",
    "hidden_size",
    "num_layers",
    "embedding_dim",
    "dense_layers",
    "conv_filters",
    "kernel_size",
    "prototypes_per_class",
    "relevance_n_components",
    "n_components",
    "n_chains",
    "noise_dim",
)


class _Invalid(Exception):
    """The file is malformed: ``load`` reports it as not a valid model file."""


class _Refused(Exception):
    """The file or the call asks for something ``load`` does not do by default."""


# -- save ---------------------------------------------------------------------------
def save(estimator: BaseEstimator, path: str | os.PathLike) -> None:
    """Write a fitted (or unfitted) skdl estimator to ``path``.

    The file is written next to ``path`` under a temporary name, flushed to disk
    and then renamed over ``path``: a save that fails part-way (a full disk, an
    interrupt) leaves any previous file at ``path`` as it was. A symbolic link is
    followed; a path that holds anything but a regular file (a named pipe, a
    device) is refused.

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

    See Also
    --------
    load : Read the file back.

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
    writer = _Writer()
    header = json.dumps(
        {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "skdl_version": __version__,
            **_estimator_state(estimator, writer),
        }
    )
    payload = {
        "header": header,
        "sha256": _digest(header, writer.tensors),
        "tensors": writer.tensors,
    }
    _write_atomically(os.fspath(path), lambda file: torch.save(payload, file))


def _write_atomically(path: str, write) -> None:
    """Run ``write(file)`` on a new file in ``path``'s folder, then rename it.

    A symbolic link is followed, as ``open(path, "wb")`` follows it: the file
    it points to is replaced. Anything at ``path`` that is not a regular file
    (a folder, a named pipe, a device) is refused, not replaced.
    """
    target = os.path.realpath(path)
    folder = os.path.dirname(target)
    # the OS would name the temporary file in these errors; realpath drops a
    # trailing separator, which names a folder
    if os.path.isdir(target) or path.endswith((os.sep, os.altsep or os.sep)):
        raise IsADirectoryError(
            f"{path} is a folder; give the path of a file to write, such as "
            f"{os.path.join(path, 'model.skdl')}."
        )
    if os.path.exists(target) and not os.path.isfile(target):
        raise FileExistsError(
            f"Cannot write {path}: it is not a regular file (a named pipe, a "
            "device or a socket), which save would replace. Give the path of a "
            "file."
        )
    if not os.path.isdir(folder):
        raise FileNotFoundError(
            f"Cannot write {path}: the folder {folder} does not exist. Create it "
            "first (os.makedirs), or give a path in an existing folder."
        )
    temporary = os.path.join(
        folder, f".{os.path.basename(target)}.{uuid.uuid4().hex[:12]}.tmp"
    )
    try:
        # 0o666 less the umask, as open(path, "wb") would create it
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    except OSError as exc:
        raise _save_error(exc, path, folder) from exc
    try:
        with os.fdopen(descriptor, "wb") as file:
            write(file)
            file.flush()
            os.fsync(file.fileno())
        with contextlib.suppress(FileNotFoundError):  # keep an existing file's mode
            os.chmod(temporary, stat.S_IMODE(os.stat(target).st_mode))
        os.replace(temporary, target)
    except BaseException as exc:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        if isinstance(exc, OSError):  # the disk's: full, read-only, no permission
            raise _save_error(exc, path, folder) from exc
        raise
    with contextlib.suppress(OSError):  # make the rename itself durable
        folder_descriptor = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(folder_descriptor)
        finally:
            os.close(folder_descriptor)


def _save_error(exc: OSError, path: str, folder: str) -> OSError:
    """``exc`` again (same type and errno), naming the user's ``path``.

    The OS names the temporary file that save writes beside ``path``.
    """
    error = type(exc)(
        exc.errno,
        f"Cannot write {path}: {exc.strerror or exc} (save writes a temporary "
        f"file in {folder}, then renames it over {os.path.basename(path)}; it "
        "needs permission and room to create files there). Any previous file "
        "at that path is unchanged.",
    )
    error.filename = os.fspath(path)
    return error


class _Writer:
    """Turn estimator state into JSON-able data plus a dict of tensors."""

    def __init__(self):
        self.tensors: dict[str, torch.Tensor] = {}

    def tensor(self, value: torch.Tensor) -> dict:
        key = f"t{len(self.tensors)}"
        self.tensors[key] = value.detach().cpu().contiguous().clone()
        return {"__tensor__": key}

    def encode(self, value, where: str):
        if isinstance(value, _JSON_SCALARS):
            if isinstance(value, float) and not math.isfinite(value):
                return {"__float__": repr(value)}
            return value
        if isinstance(value, np.generic):
            return {"__numpy_scalar__": value.item(), "dtype": value.dtype.str}
        if isinstance(value, np.ndarray):
            if value.dtype.kind in "biuf":
                tensor = torch.from_numpy(np.ascontiguousarray(value))
                return {"__ndarray__": self.tensor(tensor), "dtype": value.dtype.str}
            if value.dtype.kind in "UO" and all(
                isinstance(v, _JSON_SCALARS) for v in value.ravel().tolist()
            ):
                return {
                    "__object_array__": value.ravel().tolist(),
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
        if isinstance(value, torch.device):
            return {"__device__": str(value)}
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


def _public_estimators() -> dict[str, type]:
    from .utils.discovery import all_estimators

    return dict(all_estimators())


def _estimator_state(estimator: BaseEstimator, writer: _Writer) -> dict:
    """The JSON-able description of ``estimator``; its tensors go to ``writer``."""
    name = type(estimator).__name__
    if _public_estimators().get(name) is not type(estimator):
        raise TypeError(
            f"skdl.io.save stores skdl's public estimators only; got {name}."
        )
    if isinstance(estimator, ImageTransformer) and hasattr(estimator, "_fitted_params"):
        changed = estimator._changed_params()
        if changed:  # the file would pair them with the fit of others
            raise ValueError(
                f"{name}'s parameters changed since fit ({'; '.join(changed)}); "
                "save stores a fitted transformer with the parameters of its fit. "
                "Call fit again, or set them back, before saving."
            )
    current = estimator.get_params(deep=False)
    params, external = {}, []
    for key, value in current.items():
        encoded = _encoded_or_none(writer, value, f"parameter {key!r}")
        if encoded is None:  # a Python object: the caller passes it to load()
            external.append(key)
        else:
            params[key] = encoded[0]
    attributes = {}
    for key, value in vars(estimator).items():
        if key in current or key in _DERIVED:
            continue
        where = f"fitted attribute {key!r}"
        if key == "_built_with":
            attributes[key] = _recipe_state(value, current, writer)
        elif key == "net_":
            attributes[key] = {"__net__": _net_state(estimator, writer)}
        elif key == "_initial_layers":  # coefs_/intercepts_ assigned before fitting
            arrays = {
                name: [np.asarray(a, dtype=np.float64) for a in layers]
                for name, layers in value.items()
            }
            attributes[key] = writer.encode(arrays, where)
        else:
            attributes[key] = writer.encode(value, where)
    return {
        "estimator": name,
        "params": params,
        "external_params": external,
        "attributes": attributes,
    }


# attributes that load rebuilds from the others instead of reading them
# set again on loading (_generator_layer_norm: see _mark_gan_layer_norm)
_DERIVED = {
    "_sklearn_version",
    "_fitted_params",  # an ImageTransformer's parameters at fit: save's own
    "_label_encoder",
    "history_",
    "_ngrams",
    "_generator_layer_norm",
}


def _encoded_or_none(writer: _Writer, value, where: str):
    """``(encoded,)``, or None (and no tensors kept) when ``value`` is an object."""
    n_tensors = len(writer.tensors)
    try:
        return (writer.encode(value, where),)
    except TypeError:
        for extra in list(writer.tensors)[n_tensors:]:
            del writer.tensors[extra]
        return None


def _recipe_state(built: dict, current: dict, writer: _Writer) -> dict:
    """``_built_with``, storing only the parameters that differ from ``current``.

    A parameter that is still the very object of the estimator's parameter is
    left out: :func:`load` takes it from the parameters (or from the caller).
    """
    state = {
        key: writer.encode(value, f"_built_with[{key!r}]")
        for key, value in built.items()
        if key not in ("module", "net")
    }
    for part in ("module", "net"):
        changed = {}
        for key, value in built[part].items():
            if value is current[key]:
                continue
            encoded = _encoded_or_none(writer, value, f"parameter {key!r}")
            if encoded is not None:
                changed[key] = encoded[0]
        state[part] = changed
    return state


def _net_state(estimator: BaseTorchEstimator, writer: _Writer) -> dict:
    """Weights, optimizer states, history and skdl's callback counters of ``net_``.

    Each optimizer the net registered is stored under its name: ``optimizer``
    (``optimizer_``), and those a subclass adds (GANSampler's
    ``discriminator_optimizer``).
    """
    net = estimator.net_
    user_callbacks = _user_callback_names(estimator, estimator._built_with["net"], net)
    callbacks = {}
    for name, callback in net.callbacks_:
        if name in user_callbacks:
            continue
        counters = {
            key: value
            for key, value in vars(callback).items()
            if key.endswith("_")
            and not key.startswith("_")
            and type(value) in (type(None), bool, int, float)
        }
        if counters:
            callbacks[name] = counters
    state = {
        "module": dict(net.module_.state_dict()),
        **net.optimizer_states(),
        "history": [dict(row) for row in net.history],
        "callbacks": callbacks,
    }
    return {key: writer.encode(value, f"net_ {key}") for key, value in state.items()}


def _user_callback_names(estimator, params: dict, net: SkdlNet) -> set[str]:
    """The names of ``net``'s callbacks that the user gave (``callbacks``).

    They are all but skdl's own, which ``_training_callbacks`` lists before the
    user's entries, and the net's defaults; skorch names the user's entries
    (instances, classes, pairs) itself.
    """
    given = list(params.get("callbacks") or [])
    entries = _with_params(estimator, params)._training_callbacks()
    own = {name for name, _ in entries[: len(entries) - len(given)]}
    own |= {name for name, _ in net._default_callbacks}
    return {name for name, _ in net.callbacks_} - own


def _digest(header: str, tensors: dict[str, torch.Tensor]) -> str:
    digest = hashlib.sha256(header.encode())
    for key in sorted(tensors):
        tensor = tensors[key]
        digest.update(f"{key}:{tensor.dtype}:{tuple(tensor.shape)};".encode())
        if tensor.numel():
            digest.update(memoryview(tensor.numpy().reshape(-1)).cast("B"))
    return digest.hexdigest()


# -- load ---------------------------------------------------------------------------
def load(path: str | os.PathLike, *, trusted: bool = False, **params) -> BaseEstimator:
    """Read an estimator written by :func:`save`; a file is data, never code.

    Nothing in the file is executed, and nothing the file says is taken on
    trust: the parameters must be ones the estimator accepts (and, unless
    ``trusted``, lie in the safe envelope below), every fitted attribute must be
    of the type and shape the estimator produces, and a network's weights must
    have exactly the shapes that the parameters which built it give, checked
    before anything is allocated. The estimator comes back as it was saved: its
    network is the one it trained, whatever ``set_params`` changed after ``fit``,
    with the same optimizer state, history and training counters, so that
    ``partial_fit`` or a ``warm_start`` fit continue exactly as they would have.

    Parameters
    ----------
    path : str or path-like
        File written by :func:`save`: a regular file of at most
        :data:`MAX_FILE_SIZE` bytes unless ``trusted``.
    trusted : bool, default=False
        Whether you trust whoever wrote the file. ``True`` lifts exactly these
        limits: the file size (:data:`MAX_FILE_SIZE`); ``compile`` other than
        False (``torch.compile`` starts a compiler and writes its cache; its
        options can name programs and folders); ``n_threads`` or ``n_jobs``
        beyond this machine's cores; a ``token_pattern`` outside
        :data:`SAFE_TOKEN_PATTERNS` (a regular expression can take exponential
        time); a device name other than 'cpu', 'cuda', 'cuda:N', 'mps' or
        'auto'; an image transformer with more than 2**24 output features per
        image. The checks of the file's structure, types and shapes stay, and
        nothing is unpickled either way.
    **params
        Values for parameters: those the file could not store (user classes,
        callbacks, functions), which the error message names, and any others you
        want to choose yourself (``token_pattern=``, ``n_threads=``,
        ``compile=``). Your values are checked like ``fit`` checks them, not
        against the envelope; where the network was built with the value the
        file held for the parameter, yours replaces it there too.

    Returns
    -------
    estimator
        The estimator, with its fitted attributes. A network goes to the device
        it was trained on when this machine has it, else to the CPU with a
        warning.

    Raises
    ------
    ModelFileError
        If the file is not a regular file, is too large, is not an skdl model
        file, is truncated, altered or malformed, comes from a newer file format,
        holds values outside the safe envelope, or needs parameters that were not
        given. The message says which, and what to do.
    OSError
        If the file cannot be opened (a missing file, no permission).

    See Also
    --------
    save : Write the file.

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
    where = os.fspath(path)
    try:
        header, tensors = _unpack(_read(where, trusted), where)
        reader = _Reader(tensors, trusted, header["format_version"])
        # the modules are rebuilt as fit builds them, whatever the caller's default
        with build_defaults():
            estimator = _rebuild(reader, header, params, depth=0)
        if reader.unused:
            raise _Invalid(
                f"it holds {len(reader.unused)} tensor(s) that nothing refers to"
            )
    except _Invalid as exc:
        if params and _loads(where, trusted):  # the caller's values are at fault
            raise ModelFileError(
                f"{where}: the parameters given to load ({', '.join(sorted(params))})"
                f" build another model than the file's ({exc}). Leave them out, "
                "and set them after loading with set_params: the next fit without "
                "warm_start uses them."
            ) from None
        raise ModelFileError(
            f"{where} is not a valid skdl model file: {exc}."
        ) from None
    except _Refused as exc:
        raise ModelFileError(f"{where}: {exc}") from None
    return estimator


def _loads(path: str, trusted: bool) -> bool:
    """Whether the file loads without the caller's parameters."""
    try:
        load(path, trusted=trusted)
    except ModelFileError:
        return False
    return True


def _read(path: str, trusted: bool) -> bytes:
    """The bytes of the regular file ``path``, read up to the size limit."""
    # O_NONBLOCK: opening a named pipe must not wait for a writer
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    descriptor = os.open(path, flags)
    info = os.fstat(descriptor)
    if not stat.S_ISREG(info.st_mode):
        os.close(descriptor)
        raise _Invalid("it is not a regular file (a device, a pipe or a folder)")
    with os.fdopen(descriptor, "rb") as file:
        if not trusted and info.st_size > MAX_FILE_SIZE:
            raise _Refused(
                f"the file holds {info.st_size} bytes, more than skdl.io.MAX_FILE_SIZE"
                f" ({MAX_FILE_SIZE}); load(path, trusted=True) reads it if you trust "
                "whoever wrote it."
            )
        try:
            data = file.read(info.st_size + 1)
        except MemoryError:  # a trusted file larger than this machine's memory
            raise _Refused(
                f"the file holds {info.st_size} bytes, more than this machine can "
                "read into memory."
            ) from None
    if len(data) != info.st_size:
        raise _Invalid("it changed size while it was read")
    return data


def _unpack(data: bytes, where: str) -> tuple[dict, dict[str, torch.Tensor]]:
    """The header and tensors of a model file, checked up to the digest."""
    _check_archive(data)
    try:
        payload = torch.load(_io.BytesIO(data), map_location="cpu", weights_only=True)
    except Exception as exc:  # whatever torch makes of bad bytes
        raise _Invalid(
            f"torch.load cannot read it ({type(exc).__name__}: {_short(exc, 160)})"
        ) from None
    if not isinstance(payload, dict) or set(payload) != {"header", "sha256", "tensors"}:
        raise _Invalid("it does not hold an skdl header, digest and tensors")
    text, digest, tensors = payload["header"], payload["sha256"], payload["tensors"]
    if not isinstance(text, str) or not isinstance(digest, str):
        raise _Invalid("its header or digest is not text")
    try:
        header = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise _Invalid(f"its header is not JSON ({_short(exc, 100)})") from None
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise _Invalid(f"its header does not name the {FORMAT!r} format")
    version = header.get("format_version")
    if type(version) is not int:
        raise _Invalid("its header has no format version")
    if version > FORMAT_VERSION:
        raise _Refused(
            f"was written by a newer skdl ({_short(header.get('skdl_version'), 40)}) "
            f"in file format {version}; this skdl ({__version__}) reads format "
            f"{FORMAT_VERSION}. Upgrade skdl to load it."
        )
    if version < _OLDEST_READ_VERSION:
        raise _Refused(
            f"was written in file format {version} by a development version of "
            f"skdl; this skdl ({__version__}) reads format {FORMAT_VERSION}. Fit the "
            "model again and save it."
        )
    if not isinstance(tensors, dict) or not all(isinstance(k, str) for k in tensors):
        raise _Invalid("its tensors are not a dict of named tensors")
    _check_tensors(tensors)
    if _digest(text, tensors) != digest:
        raise _Invalid(
            "it was altered or damaged: its content does not match its SHA-256 digest"
        )
    expected = {"format", "format_version", "skdl_version", *_STATE_KEYS}
    if set(header) != expected:
        raise _Invalid(f"its header has the entries {_names(header)}")
    if version == 2:
        _upgrade_format_2(header)
    _add_new_params(header, _ADDED_IN_FORMAT_3)
    return header, tensors


# format 4 stores an NGramLanguageModel's distinct n-grams as rows of token
# columns, format 3 as base-(V + 1) integers (read by _format_3_ngram_tokens);
# format 3 reads a tuple kernel_size (strides, dilation, pool_size) of a CNN as
# one (height, width) for every conv layer, and a list as one entry per layer;
# format 2 read any sequence as one entry per layer
_OLDEST_READ_VERSION = 2
_PER_LAYER_SHAPES = ("kernel_size", "strides", "dilation", "pool_size")


# parameters added since format 2, with the values that build the networks of
# format-2 files (their defaults then)
_TRAINING_OPTIONS_3 = {
    "early_stopping_monitor": "score",
    "amsgrad": False,
    "rho": None,
    "decay_rate": 0.5,
    "decay_steps": 10,
    "plateau_patience": 5,
    "min_learning_rate": 0.0,
}
_CLASSIFIER_3 = {**_TRAINING_OPTIONS_3, "loss": "log_loss", "one_hot": False}
_REGRESSOR_3 = {**_TRAINING_OPTIONS_3, "loss": "squared_error"}
_RECURRENT_3 = {"conv_filters": {"__tuple__": []}, "kernel_size": 3, "pool_size": None}
_NEW_IN_FORMAT_3 = {
    "MLPClassifier": {
        **_CLASSIFIER_3,
        "use_bias": True,
        "kernel_initializer": "glorot_uniform",
    },
    "MLPRegressor": {  # its loss was a parameter in format 2
        **_TRAINING_OPTIONS_3,
        "use_bias": True,
        "kernel_initializer": "glorot_uniform",
    },
    "LSTMClassifier": {**_CLASSIFIER_3, **_RECURRENT_3},
    "LSTMTextClassifier": {**_CLASSIFIER_3, **_RECURRENT_3},
    "LSTMRegressor": {**_REGRESSOR_3, **_RECURRENT_3},
    "CNNClassifier": {
        **_CLASSIFIER_3,
        "conv_dropout": 0.0,
        "pool_strides": None,
        "use_bias": True,
        "kernel_initializer": None,
    },
}


# parameters added to format 3 after files were written in it, with the values
# that build the networks of those files: a file that lacks one gets it
_ADDED_IN_FORMAT_3: dict[str, dict] = {
    "AutoencoderTransformer": {
        **_TRAINING_OPTIONS_3,
        "dropout": 0.0,
        "use_bias": True,
        "kernel_initializer": "glorot_uniform",
    },
    "LVQClassifier": _TRAINING_OPTIONS_3,
    "LSTMLanguageModel": {
        **_TRAINING_OPTIONS_3,
        "conv_filters": {"__tuple__": []},
        "kernel_size": 3,
        "max_length": None,
    },
    "GANSampler": {
        "generator_ema": None,
        "image_scale": "linear",
        "learning_rate": "constant",
        "power_t": 0.5,
        "decay_rate": 0.5,
        "decay_steps": 10,
        "min_learning_rate": 0.0,
        "amsgrad": False,
        "rho": None,
    },
}


def _add_new_params(header: dict, added: dict[str, dict]) -> None:
    """Give the header's parameters those of ``added[estimator]`` that it lacks."""
    params, name = header.get("params"), header.get("estimator")
    if (
        isinstance(params, dict)
        and isinstance(name, str)  # the name is checked later: any JSON here
        and isinstance(header.get("external_params"), list)
    ):
        for key, value in added.get(name, {}).items():
            if key not in params and key not in header["external_params"]:
                params[key] = copy.deepcopy(value)


def _upgrade_format_2(header: dict) -> None:
    """Read a format-2 header as format 3.

    The parameters added since take the values that built format-2 networks.
    Format 2 read a CNN's ``kernel_size=(3, 5)`` on two conv layers as 3 then 5;
    this version reads a tuple as one rectangular kernel, so the file's tuples
    become the lists that mean what they meant when it was written.
    """
    _add_new_params(header, _NEW_IN_FORMAT_3)
    name = header.get("estimator")
    params = header.get("params")
    if name != "CNNClassifier":
        return
    places = [params]
    built = header.get("attributes")
    built = built.get("_built_with") if isinstance(built, dict) else None
    if isinstance(built, dict):
        places += [built.get("module"), built.get("net")]
    for place in places:
        if not isinstance(place, dict):
            continue
        for key in _PER_LAYER_SHAPES:
            value = place.get(key)
            if isinstance(value, dict) and set(value) == {"__tuple__"}:
                place[key] = value["__tuple__"]


_STATE_KEYS = {"estimator", "params", "external_params", "attributes"}


def _check_archive(data: bytes) -> None:
    """Refuse archives whose entries could expand: torch.save stores, never deflates."""
    try:
        with zipfile.ZipFile(_io.BytesIO(data)) as archive:
            entries = archive.infolist()
    except Exception as exc:  # zipfile raises several types
        raise _Invalid(
            f"it is not a zip archive, the format torch.save writes ({_short(exc, 80)})"
        ) from None
    names = [entry.filename for entry in entries]
    if len(set(names)) != len(names):
        raise _Invalid("its archive lists an entry twice")
    for entry in entries:
        if (
            entry.compress_type != zipfile.ZIP_STORED
            or entry.file_size != entry.compress_size
            or entry.flag_bits & 0x1
        ):
            raise _Invalid(
                f"its archive entry {_short(entry.filename, 60)!r} is compressed or "
                "encrypted (torch.save stores entries as they are)"
            )
    if sum(entry.file_size for entry in entries) > len(data):
        raise _Invalid("its archive entries claim more bytes than the file holds")


def _check_tensors(tensors: dict) -> None:
    """Each tensor a plain dense CPU tensor owning exactly its own storage."""
    storages = set()
    for key, tensor in tensors.items():
        if (
            type(tensor) is not torch.Tensor
            or tensor.layout is not torch.strided
            or tensor.device.type != "cpu"
            or tensor.requires_grad
            or tensor.is_quantized
            or tensor.is_conj()
            or tensor.is_neg()
            or tensor.dtype not in _TENSOR_DTYPES
        ):
            raise _Invalid(
                f"its tensor {_short(key, 20)!r} is not a plain dense tensor"
            )
        storage = tensor.untyped_storage()
        if (
            not tensor.is_contiguous()
            or tensor.storage_offset() != 0
            or storage.nbytes() != tensor.numel() * tensor.element_size()
        ):
            raise _Invalid(
                f"its tensor {_short(key, 20)!r} of shape {tuple(tensor.shape)} is a "
                "view of a storage of another size"
            )
        if storage.nbytes():
            if storage.data_ptr() in storages:
                raise _Invalid(f"its tensor {_short(key, 20)!r} shares its storage")
            storages.add(storage.data_ptr())


# -- decoding -----------------------------------------------------------------------
class _NetState(dict):
    """Decoded state of a SkdlNet, rebuilt with the estimator that owns it."""


class _Reader:
    """Decode the header's values; each stored tensor is used exactly once."""

    _TAGS = {
        "__tensor__": (),
        "__ndarray__": ("dtype",),
        "__numpy_scalar__": ("dtype",),
        "__object_array__": ("shape", "dtype"),
        "__float__": (),
        "__tuple__": (),
        "__dict__": (),
        "__device__": (),
        "__net__": (),
        "__module__": ("config", "state"),
        "__generator__": ("state",),
        "__estimator__": (),
    }

    def __init__(self, tensors: dict[str, torch.Tensor], trusted: bool, version: int):
        self.tensors = tensors
        self.unused = set(tensors)
        self.trusted = trusted
        self.version = version  # of the file's format

    def decode(self, value, depth: int):
        if depth > _MAX_DEPTH:
            raise _Invalid(f"its data are nested more than {_MAX_DEPTH} levels deep")
        if isinstance(value, _JSON_SCALARS):
            return value
        if isinstance(value, list):
            return [self.decode(v, depth + 1) for v in value]
        tag = next(iter(value), None)
        if tag not in self._TAGS or set(value) != {tag, *self._TAGS[tag]}:
            raise _Invalid(f"it holds an unknown entry with the keys {_names(value)}")
        return getattr(self, "_" + tag.strip("_"))(value, depth + 1)

    def mapping(self, value, depth: int, kind: str):
        """Decode ``value``, a JSON object whose values are stored data."""
        if not isinstance(value, dict):
            raise _Invalid(f"its {kind} are not a JSON object")
        return {key: self.decode(item, depth + 1) for key, item in value.items()}

    def take(self, key) -> torch.Tensor:
        if not isinstance(key, str) or key not in self.tensors:
            raise _Invalid(
                f"it refers to a tensor {_short(key, 20)!r} it does not hold"
            )
        if key not in self.unused:
            raise _Invalid(f"it refers to the tensor {key!r} twice")
        self.unused.discard(key)
        return self.tensors[key]

    def _tensor(self, value, depth):
        return self.take(value["__tensor__"])

    def _ndarray(self, value, depth):
        inner = value["__ndarray__"]
        if not isinstance(inner, dict) or set(inner) != {"__tensor__"}:
            raise _Invalid("an array entry does not name its tensor")
        array = self.take(inner["__tensor__"]).numpy()
        if _dtype(value["dtype"]) != array.dtype:
            raise _Invalid(
                f"an array of dtype {_short(value['dtype'], 20)} holds a tensor of "
                f"dtype {array.dtype}"
            )
        return array

    def _numpy_scalar(self, value, depth):
        item, dtype = value["__numpy_scalar__"], _dtype(value["dtype"])
        kinds = {"b": bool, "i": int, "u": int, "f": (int, float), "U": str}
        if dtype.kind not in kinds or type(item) not in _types(kinds[dtype.kind]):
            raise _Invalid(f"a NumPy scalar {_short(item, 20)} has dtype {dtype}")
        if dtype.kind == "U" and np.array(item).dtype != dtype:
            raise _Invalid(f"a string scalar has dtype {dtype}, not its own")
        try:
            return np.array(item, dtype=dtype)[()]
        except (OverflowError, ValueError):
            raise _Invalid(f"{_short(item, 20)} does not fit dtype {dtype}") from None

    def _object_array(self, value, depth):
        items, shape = value["__object_array__"], value["shape"]
        dtype = _dtype(value["dtype"])
        if not isinstance(items, list) or not all(
            isinstance(v, _JSON_SCALARS) for v in items
        ):
            raise _Invalid("an array of strings holds other values")
        if (
            not isinstance(shape, list)
            or len(shape) > 3
            or not all(type(n) is int and n >= 0 for n in shape)
            or math.prod(shape) != len(items)
        ):
            raise _Invalid(f"an array of {len(items)} values has shape {_short(shape)}")
        if dtype.kind == "U":
            array = np.array(items, dtype=str)
            if not all(isinstance(v, str) for v in items) or array.dtype != dtype:
                raise _Invalid(f"an array of dtype {dtype} holds other values")
        elif dtype.kind == "O":
            array = np.empty(len(items), dtype=object)
            array[:] = items
        else:
            raise _Invalid(f"an array of values has dtype {dtype}")
        return array.reshape(shape)

    def _float(self, value, depth):
        if value["__float__"] not in ("nan", "inf", "-inf"):
            raise _Invalid(f"{_short(value['__float__'])} is not a special float")
        return float(value["__float__"])

    def _tuple(self, value, depth):
        items = value["__tuple__"]
        if not isinstance(items, list):
            raise _Invalid("a tuple entry does not hold a list")
        return tuple(self.decode(item, depth) for item in items)

    def _dict(self, value, depth):
        pairs = value["__dict__"]
        if not isinstance(pairs, list) or not all(
            isinstance(p, list) and len(p) == 2 for p in pairs
        ):
            raise _Invalid("a dict entry does not hold [key, value] pairs")
        out = {}
        for key, item in pairs:
            key = self.decode(key, depth)
            if not _hashable(key) or key in out:
                raise _Invalid(f"a dict has the key {_short(key)} twice, or unhashable")
            out[key] = self.decode(item, depth)
        return out

    def _device(self, value, depth):
        name = value["__device__"]
        if isinstance(name, str) and _DEVICE_PATTERN.match(name):
            with contextlib.suppress(RuntimeError):  # an index beyond int64
                return torch.device(name)
        raise _Invalid(f"{_short(name)} is not a device name")

    def _net(self, value, depth):
        state = value["__net__"]
        if (
            not isinstance(state, dict)
            or not _NET_KEYS <= set(state)
            or not all(_is_optimizer_name(key) for key in set(state) - _NET_KEYS)
        ):
            raise _Invalid("a network entry does not hold its weights and history")
        return _NetState(self.mapping(state, depth, "network state"))

    def _module(self, value, depth):
        name = value["__module__"]
        module_class = getattr(modules, name, None) if isinstance(name, str) else None
        if not (isinstance(module_class, type) and hasattr(module_class, "io_config")):
            raise _Invalid(f"it holds an unknown module {_short(name)}")
        config = self.decode(value["config"], depth)
        state = self.decode(value["state"], depth)
        if not isinstance(config, dict) or not all(isinstance(k, str) for k in config):
            raise _Invalid(f"the configuration of a {name} is not a dict")

        def build():
            module = module_class(**config)
            if module.io_config() != config:
                raise ValueError(f"its configuration is not one {name} writes")
            return module

        return _checked_module(build, state, f"a {name} module")

    def _generator(self, value, depth):
        name = value["__generator__"]
        if name not in _BIT_GENERATORS:
            raise _Invalid(f"it holds an unknown random generator {_short(name)}")
        generator = np.random.Generator(_BIT_GENERATORS[name]())
        try:
            generator.bit_generator.state = self.decode(value["state"], depth)
        except (TypeError, ValueError, KeyError, OverflowError):
            raise _Invalid(f"the state of a {name} generator is malformed") from None
        return generator

    def _estimator(self, value, depth):
        state = value["__estimator__"]
        if not isinstance(state, dict) or set(state) != _STATE_KEYS:
            raise _Invalid("an estimator entry is malformed")
        return _rebuild(self, state, {}, depth=depth)


_NET_KEYS = {"module", "optimizer", "history", "callbacks"}


def _is_optimizer_name(key) -> bool:
    """Whether ``key`` can name another optimizer (``discriminator_optimizer``)."""
    return (
        isinstance(key, str)
        and len(key) <= 64
        and key.endswith("_optimizer")
        and key[: -len("_optimizer")].isidentifier()
    )


def _dtype(value) -> np.dtype:
    if isinstance(value, str) and len(value) < 12:
        # NumPy parses a string with a comma as a record of fields, and some
        # of those ("i4,(") raise SyntaxError; files store plain dtypes only
        with contextlib.suppress(TypeError, ValueError, SyntaxError):
            dtype = np.dtype(value)
            if dtype.fields is None:
                return dtype
    raise _Invalid(f"{_short(value)} is not a NumPy dtype")


def _types(kinds) -> tuple:
    return kinds if isinstance(kinds, tuple) else (kinds,)


def _hashable(key) -> bool:
    if isinstance(key, tuple):
        return all(_hashable(item) for item in key)
    return isinstance(key, _JSON_SCALARS)


# -- rebuilding estimators ----------------------------------------------------------
def _rebuild(reader: _Reader, state, given: dict, *, depth: int) -> BaseEstimator:
    """The estimator that :func:`_estimator_state` described, checked."""
    if depth > _MAX_DEPTH:
        raise _Invalid(f"its data are nested more than {_MAX_DEPTH} levels deep")
    name = state["estimator"]
    cls = _public_estimators().get(name) if isinstance(name, str) else None
    if cls is None:
        raise _Invalid(f"it holds an unknown estimator {_short(name)}")
    names = set(cls._get_param_names())
    stored, external = state["params"], state["external_params"]
    if (
        not isinstance(stored, dict)
        or not isinstance(external, list)
        or not all(isinstance(key, str) for key in external)
        or set(stored) & set(external)
        or set(stored) | set(external) != names
        or len(external) != len(set(external))
    ):
        raise _Invalid(f"the parameters of its {name} are not those {name} takes")
    unknown = sorted(set(given) - names)
    if unknown:
        raise _Refused(f"{name} has no parameter {unknown[0]!r}; check the name.")
    missing = [key for key in external if key not in given]
    if missing:
        raise _Refused(
            f"could not store the parameters {missing} (Python objects); pass "
            f"them to load, e.g. load(path, {missing[0]}=...)."
        )
    from_file = reader.mapping(stored, depth, f"{name} parameters")
    for key in set(from_file) & set(given):
        del from_file[key]
    _check_envelope(reader, from_file, name)
    estimator = cls(**from_file, **given)
    _check_constraints(estimator, "parameters")
    attributes = state["attributes"]
    if not isinstance(attributes, dict):
        raise _Invalid(f"the fitted attributes of its {name} are not a JSON object")
    if _OUTPUT_CONFIG in attributes:  # set_output's choice, fitted or not
        attributes = dict(attributes)
        _restore_output_config(
            estimator, reader.decode(attributes.pop(_OUTPUT_CONFIG), depth)
        )
    if isinstance(estimator, _BaseMLP) and "_initial_layers" in attributes:
        if len(attributes) > 1:  # the first fit uses them up
            raise _Invalid(f"its fitted {name} holds weights assigned before fitting")
        _restore_initial_layers(reader, estimator, attributes["_initial_layers"], depth)
    elif attributes:
        _restore_fitted(reader, estimator, attributes, depth)
    return estimator


# where scikit-learn's set_output keeps its choice of container
_OUTPUT_CONFIG = "_sklearn_output_config"


def _restore_output_config(estimator, config) -> None:
    """Apply a stored ``set_output`` choice with ``set_output`` itself."""
    if not (
        hasattr(estimator, "set_output")
        and isinstance(config, dict)
        and set(config) <= {"transform"}
        and all(
            _among(value, ("default", "pandas", "polars")) for value in config.values()
        )
    ):
        raise _Invalid(
            f"its set_output configuration {_short(config)} is not one that "
            f"{type(estimator).__name__}.set_output gives"
        )
    if config:
        estimator.set_output(**config)


def _restore_initial_layers(reader: _Reader, estimator, raw, depth: int) -> None:
    """``coefs_`` and ``intercepts_`` assigned to an MLP before its first fit: lists
    of numeric arrays, checked against the layers when that fit builds them.
    """
    layers = reader.decode(raw, depth)
    if not (
        isinstance(layers, dict)
        and set(layers) <= {"coefs_", "intercepts_"}
        and all(
            isinstance(arrays, list)
            and all(
                isinstance(a, np.ndarray) and a.dtype.kind in "biuf" for a in arrays
            )
            for arrays in layers.values()
        )
    ):
        raise _Invalid(
            "the weights assigned before fitting are not lists of numeric arrays"
        )
    estimator._initial_layers = layers


def _check_envelope(reader: _Reader, params: dict, owner: str) -> None:
    """Refuse parameter values from the file that an untrusted file may not set."""
    if reader.trusted:
        return
    for key, value in params.items():
        why = _outside_envelope(key, value)
        if why:
            raise _Refused(
                f"{owner} parameter {key}={_short(value)} is not restored from a "
                f"file that is not trusted: {why}. Pass {key}=... to load to choose "
                "the value yourself, or load(path, trusted=True) if you trust whoever "
                "wrote the file."
            )


def _outside_envelope(key: str, value) -> str | None:
    """Why a parameter value read from a file is outside the safe envelope."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None
    cores = cores or os.cpu_count() or 1
    if key == "compile" and value is not False:
        return (
            "torch.compile would run on the first prediction, starting a compiler "
            "and writing its cache (and its options can name programs and folders)"
        )
    if key == "n_threads" and not _among(value, (None, -1)):
        if isinstance(value, Integral) and value > cores:
            return f"this machine has {cores} cores"
    if key == "n_jobs" and isinstance(value, Integral) and abs(value) > cores:
        return f"this machine has {cores} cores"
    if key == "token_pattern" and not (
        value is None or (isinstance(value, str) and value in SAFE_TOKEN_PATTERNS)
    ):
        return (
            "only the patterns in skdl.io.SAFE_TOKEN_PATTERNS are restored, since "
            "matching some regular expressions takes exponential time"
        )
    if key == "device" and not _DEVICE_PATTERN.match(str(value)):
        return "it is not 'cpu', 'cuda', 'cuda:N', 'mps' or 'auto'"
    return None


def _check_constraints(estimator: BaseEstimator, what: str) -> None:
    """The estimator's own parameter validation, as ``fit`` runs it."""
    try:
        estimator._validate_params()
    except InvalidParameterError as exc:
        raise _Invalid(f"its {what}: {exc}") from None


def _with_params(estimator: BaseEstimator, params: dict) -> BaseEstimator:
    """A shallow copy of ``estimator`` with other parameter values."""
    copy = object.__new__(type(estimator))
    copy.__dict__.update(estimator.__dict__)
    copy.__dict__.update(params)
    return copy


def _fitted_schema(cls: type) -> tuple[set, set]:
    required, allowed = set(), set()
    for owner, (needed, optional) in _FITTED.items():
        if issubclass(cls, owner):
            required |= needed
            allowed |= needed | optional
    return required, allowed


def _restore_fitted(reader: _Reader, estimator, raw: dict, depth: int) -> None:
    """Check the fitted attributes and set them; rebuild networks from the file."""
    name = type(estimator).__name__
    if reader.version < 4 and isinstance(estimator, NGramLanguageModel):
        raw = {_FORMAT_3_NAMES.get(key, key): value for key, value in raw.items()}
    required, allowed = _fitted_schema(type(estimator))
    unknown = sorted(set(raw) - allowed)
    if unknown:
        raise _Invalid(f"its {name} has the unknown fitted attribute {unknown[0]!r}")
    missing = sorted(required - set(raw))
    if missing:
        raise _Invalid(f"its fitted {name} lacks the attribute {missing[0]!r}")
    attributes = {
        key: _decode_recipe(reader, value, estimator, depth)
        if key == "_built_with"
        else reader.decode(value, depth)
        for key, value in raw.items()
    }
    for key, check in _ATTRIBUTE_CHECKS.items():  # types first, then agreement
        if key in attributes:
            check(attributes[key], attributes, estimator, reader)
    for owner, (key, check) in _ESTIMATOR_CHECKS.items():
        if isinstance(estimator, owner):
            check(attributes[key], attributes, estimator, reader)
    net_state = attributes.pop("net_", None)
    estimator.__dict__.update(attributes)
    module = attributes.get("module_")
    if isinstance(module, nn.Module):  # an RBM's, kept outside a net
        module.to(fitted_device_or_cpu(estimator.device, "Loading the model"))
    if "classes_" in attributes and not (
        is_classifier(estimator) and _multilabel(attributes)
    ):
        estimator._label_encoder = LabelEncoder()
        estimator._label_encoder.classes_ = attributes["classes_"]
    if isinstance(estimator, NGramLanguageModel):
        estimator._ngrams = estimator._count_tables()
    if isinstance(estimator, ImageTransformer):  # save refused others
        _check_image_features(estimator)
        estimator._fitted_params = estimator._output_params()
    if net_state is not None:
        if isinstance(estimator, GANSampler):
            _mark_gan_layer_norm(estimator, net_state["module"])
        estimator.net_ = _restore_net(estimator, net_state)
        scores = attributes["validation_scores_"]
        history = estimator.net_.history
        # n_iter_ counts the epochs of the last call: any part of the history
        n_iter = _int(attributes["n_iter_"], "n_iter_", 1, len(history))
        expected = _history_attributes(history, scores is not None, n_iter)
        for key in _HISTORY_ATTRIBUTES:
            if not _same(attributes[key], expected[key]):
                raise _Invalid(
                    f"its attribute {key}={_short(attributes[key])} does not match "
                    f"the training history ({_short(expected[key])})"
                )
        estimator.history_ = estimator.net_.history


def _multilabel(attributes: dict) -> bool:
    return attributes["out_activation_"] == "logistic" and attributes["n_outputs_"] > 1


def _decode_recipe(reader: _Reader, value, estimator, depth: int) -> dict:
    """``_built_with``: the parameters and arguments that built the network."""
    keys = {"module", "net", "batch_size", "mean_weight", "device"}
    if not isinstance(value, dict) or set(value) != keys:
        raise _Invalid("it does not say how its network was built")
    current = estimator.get_params(deep=False)
    recipe = {}
    for part in ("module", "net"):
        changed = reader.mapping(value[part], depth, "network parameters")
        if not set(changed) <= set(current):
            raise _Invalid("the parameters that built its network are unknown ones")
        _check_envelope(reader, changed, f"{type(estimator).__name__} (network)")
        recipe[part] = {**current, **changed}
        _check_constraints(
            _with_params(estimator, recipe[part]), "parameters that built the network"
        )
    recipe["batch_size"] = _int(value["batch_size"], "the training batch size", 1)
    weight = reader.decode(value["mean_weight"], depth)
    if not (_real(weight) and 0 < weight < math.inf):
        raise _Invalid("the mean sample weight of its training is not positive")
    recipe["mean_weight"] = weight
    device = value["device"]
    if not isinstance(device, str) or not _DEVICE_PATTERN.match(device):
        raise _Invalid(f"its network's device {_short(device)} is not a device name")
    recipe["device"] = device
    return recipe


# -- fitted attributes --------------------------------------------------------------
def _int(value, what: str, low: int = 0, high: int = _MAX_INT) -> int:
    if type(value) is not int or not low <= value <= high:
        raise _Invalid(f"{what} is {_short(value)}, not an int in [{low}, {high}]")
    return value


def _check_image_features(transformer: ImageTransformer) -> None:
    """Refuse parameters that give another width than the fitted one.

    The width is ``get_feature_names_out``'s, whatever load's caller passed.
    """
    try:
        width = transformer._n_output_features(transformer.image_shape_)
    except (ValueError, TypeError) as exc:
        raise _Invalid(f"its parameters do not fit its images ({exc})") from None
    if width != transformer._n_features_out:
        raise _Invalid(
            f"its parameters give {width} features per image of shape "
            f"{transformer.image_shape_}, not the {transformer._n_features_out} "
            "it was fitted to output"
        )


def _among(value, options: tuple) -> bool:
    """Whether ``value`` is one of the plain ``options``.

    An array never is: its ``==`` is elementwise, and ``in`` would raise on its
    truth value.
    """
    return isinstance(value, str | int | type(None)) and value in options


def _bool(value, what: str) -> bool:
    if type(value) is not bool:
        raise _Invalid(f"{what} is {_short(value)}, not a bool")
    return value


def _real(value) -> bool:
    return isinstance(value, Real) and not isinstance(value, bool | np.bool_)


def _needs(attributes: dict, key: str, what: str):
    if key not in attributes:
        raise _Invalid(f"its {what} needs the attribute {key!r}, which it lacks")
    return attributes[key]


def _check_n_features(value, attributes, estimator, reader) -> None:
    _int(value, "n_features_in_", 1, 2**31)


def _check_feature_names(value, attributes, estimator, reader) -> None:
    n_features = _needs(attributes, "n_features_in_", "feature_names_in_")
    if not (
        isinstance(value, np.ndarray)
        and value.dtype == object
        and value.shape == (n_features,)
        and all(isinstance(name, str) for name in value)
    ):
        raise _Invalid(
            f"feature_names_in_ is not an array of {n_features} feature names"
        )


def _check_classes(value, attributes, estimator, reader) -> None:
    # a conditional GAN may learn a single class; a classifier needs two
    fewest = 1 if isinstance(estimator, GANSampler) else 2
    ok = (
        isinstance(value, np.ndarray)
        and value.ndim == 1
        and len(value) >= fewest
        and (
            value.dtype.kind in "biuU"
            or (value.dtype.kind == "f" and not np.isnan(value).any())
            or (value.dtype == object and all(isinstance(v, str) for v in value))
        )
    )
    if not ok or not np.array_equal(np.unique(value), value):
        raise _Invalid(
            f"classes_ {_short(value)} is not a sorted array of "
            f"{'one' if fewest == 1 else 'two'} or more distinct labels"
        )
    if isinstance(estimator, GANSampler):  # the network's shapes say the rest
        return
    n_outputs = _needs(attributes, "n_outputs_", "classes_")
    activation = _needs(attributes, "out_activation_", "classes_")
    if activation == "softmax":
        consistent = n_outputs == len(value)
    elif n_outputs == 1:  # binary, one logistic output
        consistent = len(value) == 2
    else:  # multilabel: one logistic output per label
        consistent = np.array_equal(value, np.arange(n_outputs))
    if not consistent:
        raise _Invalid(
            f"classes_ holds {len(value)} labels, but the network has {n_outputs} "
            f"{activation} output(s)"
        )


def _check_n_outputs(value, attributes, estimator, reader) -> None:
    _int(value, "n_outputs_", 1, 2**31)


def _check_out_activation(value, attributes, estimator, reader) -> None:
    options = (
        ("softmax", "logistic") if is_classifier(estimator) else ("identity", "exp")
    )
    if not _among(value, options):
        raise _Invalid(f"out_activation_ is {_short(value)}, not one of {options}")


def _shape(value, what: str, lengths: tuple) -> tuple:
    if not isinstance(value, tuple) or len(value) not in lengths:
        raise _Invalid(f"{what} is {_short(value)}, not a tuple of {lengths} ints")
    for size in value:
        _int(size, what, 1, 2**31)
    return value


def _check_input_shape(value, attributes, estimator, reader) -> None:
    _shape(value, "input_shape_", (1, 2))
    n_features = _needs(attributes, "n_features_in_", "input_shape_")
    # 2-D input: one feature per time step; 3-D: the last axis
    if n_features != value[-1 if len(value) == 2 else 0]:
        raise _Invalid(
            f"input_shape_ {value} does not give n_features_in_={n_features}"
        )


def _check_rescale(value, attributes, estimator, reader) -> None:
    if not isinstance(value, float) or not math.isfinite(value) or value <= 0:
        raise _Invalid(f"rescale_ is {_short(value)}, not a positive finite float")


def _check_image_shape(value, attributes, estimator, reader) -> None:
    _shape(value, "image_shape_", (3,))
    n_features = _needs(attributes, "n_features_in_", "image_shape_")
    if math.prod(value) != n_features:
        raise _Invalid(f"image_shape_ {value} does not hold {n_features} features")
    # a network's parameters may have changed (set_params) since they built it
    params = attributes.get("_built_with", {}).get("module", estimator.get_params())
    shape = params.get("image_shape")
    if isinstance(shape, tuple | list):  # it must describe the fitted images
        try:
            rows = check_images(
                np.zeros((1, n_features), np.uint8),
                image_shape=shape,
                data_format=params.get("data_format"),
            )
        except (ValueError, TypeError):
            rows = None
        if rows is None or rows.shape[1:] != tuple(value):
            raise _Invalid(
                f"its parameter image_shape={_short(shape)} does not describe its "
                f"fitted images of shape {value}"
            )
    if isinstance(estimator, ImageTransformer) and not reader.trusted:
        try:
            n_out = estimator._n_output_features(value)
        except (ValueError, TypeError):  # transform will say what is wrong
            return
        if n_out > _MAX_OUTPUT_FEATURES:
            raise _Refused(
                f"its {type(estimator).__name__} would output {n_out} features per "
                f"image, more than a file that is not trusted may ask for "
                f"({_MAX_OUTPUT_FEATURES}). Pass smaller values of its parameters "
                "to load, or load(path, trusted=True) if you trust whoever wrote "
                "the file."
            )


def _check_n_features_out(value, attributes, estimator, reader) -> None:
    _int(value, "_n_features_out", 1, 2**31)
    if isinstance(estimator, RBMTransformer):
        module = _needs(attributes, "module_", "_n_features_out")
        if not isinstance(module, modules.RBM):
            raise _Invalid("module_ is not an RBM")
        n_features = _needs(attributes, "n_features_in_", "module_")
        if (module.n_visible, module.n_hidden) != (n_features, value):
            raise _Invalid(
                f"module_ maps {module.n_visible} to {module.n_hidden} units, but "
                f"the RBM takes {n_features} features to {value}"
            )
    if isinstance(estimator, DBNTransformer):
        rbms = _needs(attributes, "rbms_", "_n_features_out")
        if value != getattr(rbms[-1], "_n_features_out", None):
            raise _Invalid("_n_features_out is not the width of the top layer")


def _check_vocabulary(value, attributes, estimator, reader) -> None:
    if isinstance(estimator, LanguageModelMixin):
        # the columns of predict_proba_next: <unk> 0, </s> 1, then the tokens
        if (
            not isinstance(value, dict)
            or not all(type(key) is str for key in value)
            or not all(type(column) is int for column in value.values())
            or value.get(UNK) != 0
            or value.get(EOS) != 1
            or sorted(value.values()) != list(range(len(value)))
        ):
            raise _Invalid(
                f"vocabulary_ does not map {UNK!r} to 0, {EOS!r} to 1 and distinct "
                "tokens to the columns 2, 3, ..."
            )
        return
    ids = _bool(_needs(attributes, "_ids_input", "vocabulary_"), "_ids_input")
    key_type = int if ids else str
    if (
        not isinstance(value, dict)
        or not value
        or not all(type(key) is key_type for key in value)
        or not all(type(row) is int for row in value.values())
        or sorted(value.values()) != list(range(2, len(value) + 2))
    ):
        raise _Invalid(
            "vocabulary_ does not map distinct tokens to the embedding rows 2, 3, ..."
        )


def _check_ids_input(value, attributes, estimator, reader) -> None:
    _bool(value, "_ids_input")


def _check_ngram_order(value, attributes, estimator, reader) -> None:
    _int(value, "_order", 1, MAX_NGRAM_ORDER)


# format 3 stored each distinct n-gram as one number, its tokens in base V + 1
_FORMAT_3_NAMES = {"_ngram_keys": "_ngram_tokens"}


def _format_3_ngram_tokens(keys, attributes) -> np.ndarray:
    """The token columns of the distinct n-grams that format 3 stored as keys."""
    order = _needs(attributes, "_order", "_ngram_tokens")
    radix = len(_needs(attributes, "vocabulary_", "_ngram_tokens")) + 1
    if radix**order >= 2**63 or not (
        isinstance(keys, np.ndarray)
        and keys.dtype == np.int64
        and keys.ndim == 1
        and len(keys)
        and keys[0] >= 0
        and keys[-1] < radix**order
    ):
        raise _Invalid(
            "_ngram_keys is not a sorted int64 array of distinct n-gram keys "
            f"below {radix}**{order}"
        )
    return keys[:, None] // radix ** np.arange(order - 1, -1, -1) % radix


def _check_ngram_tokens(value, attributes, estimator, reader) -> None:
    if reader.version < 4:
        value = attributes["_ngram_tokens"] = _format_3_ngram_tokens(value, attributes)
    order = _needs(attributes, "_order", "_ngram_tokens")
    size = len(_needs(attributes, "vocabulary_", "_ngram_tokens"))
    if not (
        isinstance(value, np.ndarray)
        and value.dtype == np.int64
        and value.ndim == 2
        and value.shape[0]
        and value.shape[1] == order
        and value.min() >= 0
        and value.max() <= size  # the tokens' columns, and size for <s>
    ):
        raise _Invalid(
            f"_ngram_tokens is not an int64 array of {order} token columns "
            f"(0 to {size}) per n-gram"
        )
    steps = np.diff(value, axis=0)
    first = (steps != 0).argmax(axis=1)  # the first column where rows differ
    if not (steps[np.arange(len(steps)), first] > 0).all():
        raise _Invalid("_ngram_tokens does not list distinct n-grams in sorted order")
    start = value == size  # <s> pads a text's beginning: never after a token
    if start[:, -1].any() or (start[:, 1:] & ~start[:, :-1]).any():
        raise _Invalid(
            "_ngram_tokens holds an n-gram with <s> after a token or as the token "
            "predicted, which no text gives"
        )


def _check_ngram_counts(value, attributes, estimator, reader) -> None:
    grams = _needs(attributes, "_ngram_tokens", "_ngram_counts")
    if not (
        isinstance(value, np.ndarray)
        and value.dtype == np.int64
        and value.shape == grams.shape[:1]
        and (value >= 1).all()
        and value.astype(np.float64).sum() <= 2**53  # summed exactly in float64
    ):
        raise _Invalid(
            "_ngram_counts is not one positive int64 count per n-gram, with a "
            "total of at most 2**53"
        )


def _check_gan_dtype(value, attributes, estimator, reader) -> None:
    if not _among(value, ("uint8", "float32", "float64")):
        raise _Invalid(f"_dtype is {_short(value)}, not uint8, float32 or float64")


def _check_standardization(value, attributes, estimator, reader) -> None:
    # mean_ and scale_ of GANSampler's rows
    n_features = _needs(attributes, "n_features_in_", "mean_ and scale_")
    if not (
        isinstance(value, np.ndarray)
        and value.dtype == np.float64
        and value.shape == (n_features,)
        and np.isfinite(value).all()
    ):
        raise _Invalid(
            f"mean_ or scale_ is not a finite float64 array of {n_features} values"
        )


def _check_data_range(value, attributes, estimator, reader) -> None:
    if not (
        isinstance(value, tuple)
        and len(value) == 2
        and all(type(v) is float and math.isfinite(v) for v in value)
        and value[0] <= value[1]
        and math.isfinite(value[1] - value[0])
    ):
        raise _Invalid(f"data_range_ is {_short(value)}, not (low, high) floats")


def _check_pixel_levels(value, attributes, estimator, reader) -> None:
    _int(value, "pixel_levels_", 2, MAX_PIXEL_LEVELS)


def _check_input_ndim(value, attributes, estimator, reader) -> None:
    _int(value, "_input_ndim", 2, 4)


def _check_gan_layout(value, attributes, estimator, reader) -> None:
    """GANSampler's attributes of one input kind, and its classes if conditional."""
    rows, images = {"mean_", "scale_"}, {"image_shape_", "data_range_", "_input_ndim"}
    present = set(attributes)
    if not (rows <= present and not images & present) and not (
        images <= present and not rows & present
    ):
        raise _Invalid(
            "its GANSampler holds neither the attributes of rows (mean_, scale_) "
            "nor those of images (image_shape_, data_range_, _input_ndim) alone"
        )
    if rows <= present:
        if value == "uint8":
            raise _Invalid("its GANSampler of rows samples uint8 values")
        if not (attributes["scale_"] >= 0).all():
            raise _Invalid("scale_ holds a negative value")
    elif attributes["_input_ndim"] == 3 and attributes["image_shape_"][2] != 1:
        raise _Invalid("its GANSampler read 3-D images but has several channels")
    recipe = _needs(attributes, "_built_with", "GANSampler")
    if rows <= present and "pixel_levels_" in present:
        raise _Invalid("its GANSampler of rows holds pixel_levels_, an image's")
    scale = recipe["module"]["image_scale"]
    if images <= present and scale != "linear":  # the scale may depend on the grid
        _needs(attributes, "pixel_levels_", f"GANSampler of image_scale={scale!r}")
    if recipe["module"]["conditional"] != ("classes_" in attributes):
        raise _Invalid(
            "its GANSampler's classes_ do not agree with the conditional parameter "
            "its network was built with"
        )


def _check_rbm_iterations(value, attributes, estimator, reader) -> None:
    _int(value, "n_iter_", 0)


def _check_epochs_trained(value, attributes, estimator, reader) -> None:
    # every epoch the RBM trained; n_iter_ counts those of the last call
    _int(value, "_epochs_trained", _needs(attributes, "n_iter_", "_epochs_trained"))


def _check_gibbs_rng(value, attributes, estimator, reader) -> None:
    if not isinstance(value, np.random.Generator):
        raise _Invalid("_gibbs_rng is not a random generator")


def _check_rbms(value, attributes, estimator, reader) -> None:
    if not (
        isinstance(value, list)
        and value
        and all(
            type(rbm) is RBMTransformer and hasattr(rbm, "module_") for rbm in value
        )
    ):
        raise _Invalid("rbms_ is not a list of fitted RBMTransformers")
    widths = [_needs(attributes, "n_features_in_", "rbms_")]
    widths += [rbm._n_features_out for rbm in value[:-1]]
    if [rbm.n_features_in_ for rbm in value] != widths:
        raise _Invalid("the layers of rbms_ do not feed each other")


def _check_net(value, attributes, estimator, reader) -> None:
    if not isinstance(value, _NetState):
        raise _Invalid("net_ is not a network entry")


def _check_pretrain(value, attributes, estimator, reader) -> None:
    # a nested estimator's attributes were checked as it was rebuilt: it has
    # all of them, or none (unfitted)
    if not (
        isinstance(value, _PRETRAINERS)
        and ({"module_", "rbms_", "net_"} & set(vars(value)))
    ):
        raise _Invalid(
            "pretrain_ is not a fitted RBMTransformer, DBNTransformer or "
            "AutoencoderTransformer"
        )


def _check_coding(value, attributes, estimator, reader) -> None:
    if not (
        isinstance(value, np.ndarray)
        and value.dtype == np.float64
        and value.tolist() in ([-1.0, 1.0], [0.0, 1.0])
    ):
        raise _Invalid(f"coding_ is {_short(value)}, not the values [-1, 1] or [0, 1]")


def _check_patterns(value, attributes, estimator, reader) -> None:
    n_features = _needs(attributes, "n_features_in_", "patterns_")
    if not (
        isinstance(value, np.ndarray)
        and value.dtype == np.int8
        and value.ndim == 2
        and len(value) >= 1
        and value.shape[1] == n_features
        and np.isin(value, (-1, 1)).all()
    ):
        raise _Invalid(
            f"patterns_ is not an int8 array of rows of {n_features} values -1 and 1"
        )


def _check_coef(value, attributes, estimator, reader) -> None:
    # what every storage rule gives: symmetric couplings, zero diagonal
    n_features = _needs(attributes, "n_features_in_", "coef_")
    if not (
        isinstance(value, np.ndarray)
        and value.dtype == np.float64
        and value.shape == (n_features, n_features)
        and np.isfinite(value).all()
        and not np.diagonal(value).any()
        and np.array_equal(value, value.T)
    ):
        raise _Invalid(
            f"coef_ is not a finite symmetric {n_features} x {n_features} matrix "
            "with a zero diagonal"
        )


def _check_capacity(value, attributes, estimator, reader) -> None:
    n_features = _needs(attributes, "n_features_in_", "capacity_")
    kinds = (*modules.STORAGE_RULES, "dense")
    if type(value) is not float or value not in {
        modules.capacity(kind, n_features) for kind in kinds
    }:
        raise _Invalid(
            f"capacity_ is {_short(value)}, not the capacity of a storage rule for "
            f"{n_features} units"
        )
    # a classic network (of finite capacity) keeps its couplings, a dense one none
    if (value != math.inf) != ("coef_" in attributes):
        raise _Invalid(
            "coef_ is stored for a dense network or missing for a classic one "
            f"(capacity_={value})"
        )


# in this order: an attribute's own type first, then its agreement with those
# checked before it; net_, _built_with and the history are checked on rebuilding
def _check_one_hot(value, attributes, estimator, reader) -> None:
    # set (to True) only by a fit with one_hot=True: single-label classes that
    # are the columns of y
    classes = _needs(attributes, "classes_", "_one_hot")
    if (
        value is not True
        or _multilabel(attributes)
        or not np.array_equal(classes, np.arange(len(classes)))
    ):
        raise _Invalid(
            f"_one_hot is {_short(value)}, but only a classifier fitted on one-hot "
            "rows holds it (True, with classes_ 0, 1, ... and one class per row)"
        )


def _check_sparse_y(value, attributes, estimator, reader) -> None:
    # set (to True) only by a fit on a sparse indicator matrix
    if value is not True or not (
        _multilabel(attributes) or attributes.get("_one_hot") is True
    ):
        raise _Invalid(
            f"_sparse_y is {_short(value)}, but only a classifier fitted on a "
            "sparse multilabel or one-hot y holds it (True)"
        )


_ATTRIBUTE_CHECKS = {
    "n_features_in_": _check_n_features,
    "coding_": _check_coding,
    "patterns_": _check_patterns,
    "coef_": _check_coef,
    "capacity_": _check_capacity,
    "n_outputs_": _check_n_outputs,
    "out_activation_": _check_out_activation,
    "_ids_input": _check_ids_input,
    "n_iter_": _check_rbm_iterations,
    "_epochs_trained": _check_epochs_trained,
    "_gibbs_rng": _check_gibbs_rng,
    "rbms_": _check_rbms,
    "pretrain_": _check_pretrain,
    "net_": _check_net,
    "feature_names_in_": _check_feature_names,
    "classes_": _check_classes,
    "input_shape_": _check_input_shape,
    "image_shape_": _check_image_shape,
    "rescale_": _check_rescale,
    "_n_features_out": _check_n_features_out,
    "vocabulary_": _check_vocabulary,
    "_order": _check_ngram_order,
    "_ngram_tokens": _check_ngram_tokens,
    "_ngram_counts": _check_ngram_counts,
    "mean_": _check_standardization,
    "scale_": _check_standardization,
    "data_range_": _check_data_range,
    "pixel_levels_": _check_pixel_levels,
    "_input_ndim": _check_input_ndim,
    "_dtype": _check_gan_dtype,
    "_one_hot": _check_one_hot,  # after classes_ and the outputs
    "_sparse_y": _check_sparse_y,  # after _one_hot
}
# after every attribute's own check: agreement within an estimator class
_ESTIMATOR_CHECKS = {GANSampler: ("_dtype", _check_gan_layout)}


def _same(a, b) -> bool:
    """Equal values of the same types (arrays: same dtype, shape and values)."""
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return (
            isinstance(a, np.ndarray)
            and isinstance(b, np.ndarray)
            and a.dtype == b.dtype
            and np.array_equal(a, b)
        )
    if isinstance(a, list | tuple):
        return (
            type(a) is type(b)
            and len(a) == len(b)
            and all(_same(x, y) for x, y in zip(a, b, strict=True))
        )
    return type(a) is type(b) and a == b


# -- networks -----------------------------------------------------------------------
def _checked_module(build, state, what: str) -> nn.Module:
    """``build()``'s module with ``state`` loaded, checked on the meta device first.

    ``build`` runs once on PyTorch's ``meta`` device, where tensors have shapes but
    no memory; only when the stored tensors have exactly those names, shapes and
    dtypes (and finite values) is the module built for real, with the global
    random state left as it was.
    """
    if not isinstance(state, dict):
        raise _Invalid(f"the weights of {what} are not a dict of tensors")
    try:
        with (
            torch.device("meta"),
            _NoRandomFillsOnMeta(),
            _registration_budget(len(state) + 16, what),
        ):
            expected = build().state_dict()
    except _Invalid:
        raise
    except Exception as exc:  # whatever the parameters make it raise
        raise _Invalid(
            f"its parameters do not build {what} ({type(exc).__name__}: "
            f"{_short(exc, 160)})"
        ) from None
    if set(state) != set(expected):
        raise _Invalid(
            f"its weights are not those of {what}: it has {_names(state)}, the "
            f"module has {_names(expected)}"
        )
    for key, tensor in expected.items():
        stored = state[key]
        if not torch.is_tensor(stored) or (stored.shape, stored.dtype) != (
            tensor.shape,
            tensor.dtype,
        ):
            got = (
                f"{tuple(stored.shape)} {stored.dtype}"
                if torch.is_tensor(stored)
                else type(stored).__name__
            )
            raise _Invalid(
                f"its weight {key!r} is {got}, but the parameters that built {what} "
                f"give {tuple(tensor.shape)} {tensor.dtype}"
            )
        if stored.is_floating_point() and not torch.isfinite(stored).all():
            raise _Invalid(f"its weight {key!r} holds NaN or infinite values")
    with GLOBAL_RNG_LOCK, torch.random.fork_rng(devices=[]):
        module = build()
    module.load_state_dict(state)
    return module


# the random fills of a module's initialisation, as torch.Tensor methods
_RANDOM_FILLS = {
    torch.Tensor.normal_,
    torch.Tensor.uniform_,
    torch.Tensor.bernoulli_,
    torch.Tensor.exponential_,
    torch.Tensor.log_normal_,
    torch.Tensor.cauchy_,
    torch.Tensor.geometric_,
    torch.Tensor.random_,
}


class _NoRandomFillsOnMeta(TorchFunctionMode):
    """Leave meta tensors unfilled by ``torch.nn.init`` and the random fills.

    A meta tensor holds no values to fill. Filling it is not free: ``normal_``
    (an embedding's initialisation) runs on the meta device through
    ``torch._refs``, whose first call imports ``torch._dynamo``, about a second
    and 37 MiB that loading a model has no use for.
    """

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        name = getattr(func, "__name__", "")
        fills = func in _RANDOM_FILLS or (
            getattr(func, "__module__", None) == "torch.nn.init"
            and name.endswith("_")
            and not name.startswith("_")
        )
        if fills:
            tensor = args[0] if args else kwargs.get("tensor", kwargs.get("self"))
            if torch.is_tensor(tensor) and tensor.is_meta:
                return tensor
        return func(*args, **kwargs)


@contextlib.contextmanager
def _registration_budget(limit: int, what: str):
    """Stop building modules in this thread after ``limit`` tensors were registered.

    On the meta device tensors cost nothing, but each layer is still a Python
    object: a count of layers from a file is cut short here once it exceeds the
    tensors that the file holds.
    """
    thread, registered = threading.get_ident(), 0

    def count(module, name, value):
        nonlocal registered
        if threading.get_ident() != thread:
            return
        registered += 1
        if registered > limit:
            raise _Invalid(
                f"its parameters build {what} with more weights than the {limit} "
                "tensors it could hold"
            )

    hooks = [
        torch_module.register_module_parameter_registration_hook(count),
        torch_module.register_module_buffer_registration_hook(count),
    ]
    try:
        yield
    finally:
        for hook in hooks:
            hook.remove()


def _check_sizes(params: dict, state) -> None:
    """Refuse layer sizes and counts larger than the stored weights could hold."""
    tensors = state.values() if isinstance(state, dict) else ()
    n_weights = sum(t.numel() for t in tensors if torch.is_tensor(t))

    def ints(value):
        if isinstance(value, dict):
            value = list(value.values())
        if isinstance(value, list | tuple | np.ndarray):
            for item in value:
                yield from ints(item)
        elif isinstance(value, Integral):
            yield value

    for key in _SIZE_PARAMS:
        if any(size > n_weights for size in ints(params.get(key))):
            raise _Invalid(
                f"the parameter {key}={_short(params[key])} that built its network "
                f"is larger than the {n_weights} weights the file holds"
            )


def _mark_gan_layer_norm(estimator: GANSampler, module_state: dict) -> None:
    """Mark a GANSampler of rows whose generator normalizes its layers.

    skdl's MLP generator had layer normalization after each hidden layer until
    2026-12-05: its files hold that LayerNorm's 1-D weight where today's
    generator has its next linear layer's 2-D one. The mark makes the model
    build that network (the weights are then checked against it as any other).
    """
    weight = module_state.get("generator.net.1.weight")
    if "mean_" in vars(estimator) and weight is not None and weight.ndim == 1:
        estimator._generator_layer_norm = True


def _restore_net(estimator: BaseTorchEstimator, state: _NetState) -> SkdlNet:
    """``net_`` as it was: module and net rebuilt from ``_built_with``, then loaded.

    The module is built from the parameters that built it at fit time, the net
    (optimizer, loss, callbacks) from those it was made with, on the device it
    trained on when this machine has it.
    """
    built = estimator._built_with
    _check_sizes(built["module"], state["module"])
    maker = _with_params(estimator, built["module"])
    before = dict(vars(maker))
    dtype = _float_dtype_of_weights(state["module"], estimator)
    module = _checked_module(
        lambda: maker._build_module().to(dtype), state["module"], "its network"
    )
    # what building the module sets on the estimator (n_layers_, ...) must agree
    for key, value in vars(maker).items():
        if (key in before and value is before[key]) or key == "_built_with":
            continue
        if not _same(value, vars(estimator).get(key)):
            raise _Invalid(
                f"its attribute {key}={_short(vars(estimator).get(key))} is not "
                f"what its network's parameters give ({_short(value)})"
            )
    device = fitted_device_or_cpu(built["device"], "Loading the model")
    try:
        net = _with_params(estimator, built["net"])._new_net(
            device,
            built["batch_size"],
            built["mean_weight"],
            module=module,
        )
        net.initialize()
    except Exception as exc:  # whatever the parameters make it raise
        raise _Invalid(
            "its parameters do not build the net that trains its network "
            f"({type(exc).__name__}: {_short(exc, 160)})"
        ) from None
    stored = {key for key in state if key == "optimizer" or _is_optimizer_name(key)}
    if stored != set(net._optimizers):
        raise _Invalid(
            f"it holds the optimizers {_names(stored)}, but its network trains "
            f"with {_names(net._optimizers)}"
        )
    for name in net._optimizers:
        _load_optimizer(getattr(net, name + "_"), state[name])
    net.history = History(_checked_history(state["history"], estimator))
    _load_counters(
        net, state["callbacks"], _user_callback_names(estimator, built["net"], net)
    )
    net.module_.eval()
    return net


def _float_dtype_of_weights(state, estimator) -> torch.dtype:
    """The one float type of the stored weights, one that ``precision`` trains in."""
    found = {
        value.dtype
        for value in (state.values() if isinstance(state, dict) else ())
        if torch.is_tensor(value) and value.is_floating_point()
    }
    precision = getattr(estimator, "precision", "float32")
    allowed = parameter_dtypes(precision)
    if len(found) > 1 or not found <= set(allowed):
        raise _Invalid(
            f"its network's weights are {_names(str(d) for d in found)}, but "
            f"precision={_short(precision, 20)} trains in "
            f"{' or '.join(str(d) for d in allowed)}"
        )
    return found.pop() if found else allowed[0]


def _checked_history(rows, estimator) -> list[dict]:
    if not isinstance(rows, list) or not rows:
        raise _Invalid("its training history is not a list of epochs")
    samples_seen = 0
    for row in rows:
        if not isinstance(row, dict) or not all(isinstance(k, str) for k in row):
            raise _Invalid("an epoch of its training history is not a record")
        if not (
            type(row.get("epoch")) is int
            and _real(row.get("train_loss"))
            and math.isfinite(row["train_loss"])
            and type(row.get("samples_seen")) is int
            and row["samples_seen"] >= samples_seen
            and isinstance(row.get("batches"), list)
            and all(
                _real(row[key]) for key in ("valid_loss", "valid_score") if key in row
            )
        ):
            raise _Invalid(
                "an epoch of its training history lacks its number, loss or count of "
                "samples seen"
            )
        samples_seen = row["samples_seen"]
    if isinstance(estimator, GANSampler):
        _check_gan_history(rows)
    return rows


def _check_gan_history(rows: list[dict]) -> None:
    """Every epoch's discriminator steps so far and losses.

    A continued fit counts its ``n_critic`` steps on from the steps so far.
    """
    steps = 0
    for row in rows:
        if not (
            type(row.get("discriminator_steps")) is int
            and row["discriminator_steps"] >= steps
            and _real(row.get("discriminator_loss"))
            and all(_real(row[key]) for key in ("generator_loss",) if key in row)
        ):
            raise _Invalid(
                "an epoch of its GANSampler's training history lacks its count of "
                "discriminator steps or its losses"
            )
        steps = row["discriminator_steps"]


def _load_optimizer(optimizer: torch.optim.Optimizer, saved) -> None:
    """Load a saved optimizer state that has the fresh optimizer's structure."""
    fresh = optimizer.state_dict()
    if (
        not isinstance(saved, dict)
        or set(saved) != {"state", "param_groups"}
        or not isinstance(saved["param_groups"], list)
        or len(saved["param_groups"]) != len(fresh["param_groups"])
        or not isinstance(saved["state"], dict)
    ):
        raise _Invalid("its optimizer state does not have the optimizer's structure")
    shapes = {}
    for group, fresh_group, live in zip(
        saved["param_groups"],
        fresh["param_groups"],
        optimizer.param_groups,
        strict=True,
    ):
        _check_param_group(group, fresh_group)
        shapes.update(
            zip(fresh_group["params"], (p.shape for p in live["params"]), strict=True)
        )
    n_flat = sum(math.prod(shape) for shape in shapes.values())
    # skdl's optimizers subclass torch's (skdl._optim): the nearest one decides
    always, when = next(
        _OPTIMIZER_STATE[c] for c in type(optimizer).__mro__ if c in _OPTIMIZER_STATE
    )
    lbfgs = isinstance(optimizer, torch.optim.LBFGS)
    group = saved["param_groups"][0]
    for index, entry in saved["state"].items():
        if index not in shapes or not isinstance(entry, dict) or not entry:
            raise _Invalid(f"its optimizer state has an entry for {_short(index)}")
        required = always | {key for key, flag in when.items() if group.get(flag)}
        allowed = always | set(when) | (_LBFGS_STATE if lbfgs else set())
        if not required <= set(entry) <= allowed:
            raise _Invalid(
                f"its optimizer state for a parameter has the entries {_names(entry)}"
            )
        for value in entry.values():
            items = value if isinstance(value, list) and lbfgs else [value]
            if len(items) > max(group.get("history_size", 0), 1):
                raise _Invalid("its optimizer history is longer than the optimizer's")
            for item in items:
                _check_state_value(item, shapes[index], n_flat if lbfgs else None)
    optimizer.load_state_dict(saved)


def _check_param_group(group, fresh: dict) -> None:
    if not isinstance(group, dict) or not set(fresh) <= set(group):
        raise _Invalid("its optimizer settings lack entries")
    if group["params"] != fresh["params"]:
        raise _Invalid("its optimizer optimizes other parameters than the network's")
    for key, value in group.items():
        reference = fresh.get(key, 0.0)  # extra entries (initial_lr): numbers
        if key == "params":
            continue
        if (
            isinstance(reference, bool)
            or reference is None
            or isinstance(reference, str)
        ):
            ok = type(value) is type(reference) and value == reference
        elif isinstance(reference, tuple):
            ok = (
                isinstance(value, tuple)
                and len(value) == len(reference)
                and all(_real(v) and math.isfinite(v) for v in value)
            )
        else:  # learning rates, momentum... that schedules may change
            ok = _real(value) and math.isfinite(value)
        if not ok:
            raise _Invalid(f"its optimizer setting {key}={_short(value)} is invalid")


def _check_state_value(value, shape, n_flat) -> None:
    if value is None or isinstance(value, bool):
        return
    if _real(value):
        if not math.isfinite(value):
            raise _Invalid("its optimizer state holds a non-finite number")
        return
    shapes = {(), tuple(shape)} | ({(n_flat,)} if n_flat is not None else set())
    if not (
        torch.is_tensor(value)
        and value.is_floating_point()
        and tuple(value.shape) in shapes
        and torch.isfinite(value).all()
    ):
        raise _Invalid(
            "its optimizer state holds a value that is not a finite tensor of its "
            "parameter's shape"
        )


def _load_counters(net: SkdlNet, saved, user_callbacks: set[str]) -> None:
    """Restore the counters of skdl's own callbacks (stopping rule, L-BFGS)."""
    if not isinstance(saved, dict):
        raise _Invalid("its callback state is not a dict")
    callbacks = dict(net.callbacks_)
    numbers = (type(None), bool, int, float)
    for name, counters in saved.items():
        callback = callbacks.get(name)
        if callback is None or name in user_callbacks or not isinstance(counters, dict):
            raise _Invalid(f"it holds the state of an unknown callback {_short(name)}")
        for key, value in counters.items():
            current = vars(callback).get(key, ...)
            if (
                not isinstance(key, str)
                or not key.endswith("_")
                or type(current) not in numbers
                or type(value) not in numbers
                or (isinstance(value, bool) != isinstance(current, bool))
                or (isinstance(value, float) and not math.isfinite(value))
            ):
                raise _Invalid(
                    f"it holds an invalid state {_short(key)}={_short(value)} for the "
                    f"callback {name!r}"
                )
            setattr(callback, key, value)


# -- messages -----------------------------------------------------------------------
def _short(value, limit: int = 60) -> str:
    try:
        text = str(value) if isinstance(value, BaseException) else repr(value)
    except RecursionError:  # JSON nested almost as deep as the parser allows
        return "a deeply nested value"
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _names(mapping) -> str:
    keys = sorted(map(str, mapping))
    return _short(keys, 120)
