"""Device resolution and local seeding of PyTorch."""

from __future__ import annotations

import contextlib
import functools
import os
import re
import threading
import warnings
from collections.abc import Iterator
from numbers import Integral

import numpy as np
import torch

from .._warnings import external_stacklevel
from ._sklearn import Interval, Options
from ._validation import check_count

__all__ = [
    "build_defaults",
    "cpu_default_device",
    "default_float32",
    "is_out_of_memory",
    "memory_advice",
    "on_cpu_by_default",
    "out_of_memory_error",
    "resolve_device",
    "seed_from_random_state",
    "threads_for_steps",
    "torch_seeded",
    "torch_threads",
]

# cuda:N with at most 9 digits: torch parses a device index into an int32
_DEVICE_PATTERN = re.compile(r"^(cpu|mps|auto|cuda(:\d{1,9})?)$")


def resolve_device(device: str | torch.device) -> torch.device:
    """Turn a ``device`` parameter into a :class:`torch.device` that exists here.

    Parameters
    ----------
    device : str or torch.device
        ``'cpu'``, ``'cuda'``, ``'cuda:N'``, ``'mps'`` or ``'auto'`` (the first of
        CUDA, MPS and CPU that this machine has).

    Returns
    -------
    torch.device
        The device to train and predict on.

    Raises
    ------
    ValueError
        If the string is not a device name, or the requested device is not
        available on this machine.

    Examples
    --------
    >>> from skdl.utils import resolve_device
    >>> resolve_device("cpu")
    device(type='cpu')
    """
    if isinstance(device, torch.device):
        device = str(device)
    if not isinstance(device, str) or not _DEVICE_PATTERN.match(device):
        raise ValueError(
            f"device must be 'cpu', 'cuda', 'cuda:N', 'mps' or 'auto'; got {device!r}."
        )
    if device == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if _mps_available():
            return torch.device("mps")
        return torch.device("cpu")
    resolved = torch.device(device)
    if resolved.type == "cuda":
        if not torch.cuda.is_available():
            raise ValueError(
                f"device={device!r} was requested, but PyTorch sees no CUDA GPU on "
                "this machine (torch.cuda.is_available() is False). Use "
                "device='cpu' or device='auto', or install a CUDA build of PyTorch."
            )
        count = torch.cuda.device_count()
        if resolved.index is not None and resolved.index >= count:
            raise ValueError(
                f"device={device!r} was requested, but only {count} CUDA "
                f"device(s) are visible (cuda:0 to cuda:{count - 1})."
            )
    if resolved.type == "mps" and not _mps_available():
        raise ValueError(
            "device='mps' was requested, but the Apple MPS backend is not "
            "available on this machine. Use device='cpu' or device='auto'."
        )
    return resolved


def fitted_device_or_cpu(device: str | torch.device, doing: str) -> torch.device:
    """The device a fitted model ran on, or the CPU where this machine lacks it.

    For models brought to another machine (unpickled or loaded from a file):
    a model fitted on a GPU still predicts on a laptop, with a warning that says
    where. ``fit`` calls :func:`resolve_device` instead, which raises.

    Parameters
    ----------
    device : str or torch.device
        The model's ``device``.
    doing : str
        What runs there, for the warning ("Recalling", "Loading the model").

    Returns
    -------
    torch.device

    Examples
    --------
    >>> from skdl.utils._torch import fitted_device_or_cpu
    >>> fitted_device_or_cpu("cpu", "Predicting")
    device(type='cpu')
    """
    try:
        return resolve_device(device)
    except ValueError as exc:
        warnings.warn(
            f"{exc} {doing} on the CPU instead.",
            UserWarning,
            stacklevel=external_stacklevel(),
        )
        return torch.device("cpu")


def _mps_available() -> bool:
    backend = getattr(torch.backends, "mps", None)
    return bool(backend is not None and backend.is_available())


def seed_from_random_state(random_state, *, salt: int = 0) -> int:
    """Derive a 63-bit torch seed from a scikit-learn ``random_state``.

    ``None`` draws fresh operating-system entropy, so the global NumPy random state
    is left alone; an int always gives the same seed; a ``RandomState`` instance is
    advanced by one draw, as scikit-learn estimators do.

    Parameters
    ----------
    random_state : None, int, numpy.random.RandomState or numpy.random.Generator
        The estimator's ``random_state`` parameter, or a method's. A
        ``Generator`` is advanced by one draw, as a ``RandomState`` is.
    salt : int, default=0
        Mixed into the seed, so that successive calls (for instance successive
        ``partial_fit`` epochs) get different but reproducible streams.

    Returns
    -------
    int
        A seed for :func:`torch.manual_seed`.

    Examples
    --------
    >>> from skdl.utils import seed_from_random_state
    >>> seed_from_random_state(0) == seed_from_random_state(0)
    True
    """
    if random_state is None:
        entropy = np.random.SeedSequence().entropy
    elif isinstance(random_state, np.random.RandomState):
        entropy = int(random_state.randint(np.iinfo(np.int32).max))
    elif isinstance(random_state, np.random.Generator):
        entropy = int(random_state.integers(np.iinfo(np.int32).max))
    elif (
        isinstance(random_state, Integral)
        and not isinstance(random_state, bool)
        and random_state >= 0
    ):
        entropy = int(random_state)
    else:
        raise ValueError(
            "random_state must be None, an int >= 0, a numpy RandomState or a "
            f"numpy Generator; got {random_state!r}."
        )
    salt = check_count(salt, "salt", 0)
    state = np.random.SeedSequence([entropy, salt]).generate_state(1, np.uint64)
    return int(state[0] >> np.uint64(1))


#: held while a block seeds torch's process-wide generators and draws from
#: them (:func:`torch_seeded`, rebuilding a module from a file), so that blocks
#: in several threads of one process do not interleave their draws
GLOBAL_RNG_LOCK = threading.RLock()


@contextlib.contextmanager
def torch_seeded(seed: int, device: torch.device) -> Iterator[None]:
    """Seed torch inside the block and restore the caller's RNG state after it.

    The CPU generator and, for a CUDA device, that device's generator are forked,
    so the global random state seen by the rest of the program is untouched.
    torch's generators are process-wide (dropout and weight initialisation draw
    from them), so blocks in several threads of one process take turns
    (:data:`GLOBAL_RNG_LOCK`): two seeded fits at once would draw from each
    other's stream and neither would reproduce.

    Parameters
    ----------
    seed : int
        Seed for the block.
    device : torch.device
        The device that will draw random numbers in the block.

    Examples
    --------
    >>> import torch
    >>> from skdl.utils import torch_seeded
    >>> with torch_seeded(0, torch.device("cpu")):
    ...     a = torch.rand(2)
    >>> with torch_seeded(0, torch.device("cpu")):
    ...     b = torch.rand(2)
    >>> bool((a == b).all())
    True
    """
    device = torch.device(device)  # a name such as 'cpu' too
    cuda_devices = []
    if device.type == "cuda":
        cuda_devices = [
            device.index if device.index is not None else torch.cuda.current_device()
        ]
    with GLOBAL_RNG_LOCK, torch.random.fork_rng(devices=cuda_devices):
        torch.random.default_generator.manual_seed(seed)
        if device.type == "cuda":
            with torch.cuda.device(device):
                torch.cuda.manual_seed(seed)
        yield


#: ``_parameter_constraints`` entry of every ``n_threads`` parameter (see
#: :func:`torch_threads`): a positive int, -1 for every core, or None.
class _CountNotBool(Interval):
    """A count of at least 1 that is not a bool (``True`` is an Integral)."""

    def is_satisfied_by(self, val):
        return not isinstance(val, bool | np.bool_) and super().is_satisfied_by(val)


N_THREADS_CONSTRAINT = [
    _CountNotBool(Integral, 1, None, closed="left"),
    Options(Integral, {-1}),
    None,
]


class _ThreadSettings:
    """torch's thread count, shared by every block that changes it.

    The count is a property of the process, not of a thread. A block that saved
    it at entry and put it back at exit would go wrong when blocks overlap in
    several threads: the last to leave restores what another block had set.
    Blocks register here instead, under a lock. The first block to enter
    records the process's setting and the last to leave restores it; meanwhile
    the most recently entered block decides (a nested block overrides the one
    around it, as it would alone).

    Every change goes through ``torch.set_num_threads``, which sets torch's
    OpenMP and MKL counts together. (Limiting torch's OpenMP with threadpoolctl
    instead left MKL behind once ``torch.set_num_threads`` had run anywhere in
    the process: the same product then ran on one thread or two depending on
    what had run before.)
    """

    def __init__(self):
        self._lock = threading.Lock()
        self._blocks: list[int] = []
        self._baseline = 0

    @contextlib.contextmanager
    def hold(self, n_threads: int):
        """Run the block with ``n_threads`` torch threads."""
        with self._lock:
            baseline = torch.get_num_threads() if not self._blocks else None
            # set first: a count torch refuses leaves no block behind
            torch.set_num_threads(n_threads)
            if baseline is not None:
                self._baseline = baseline
            self._blocks.append(n_threads)
        try:
            yield
        finally:
            with self._lock:
                # the last equal entry: a nested block leaves before its parent
                del self._blocks[
                    len(self._blocks) - 1 - self._blocks[::-1].index(n_threads)
                ]
                torch.set_num_threads(
                    self._blocks[-1] if self._blocks else self._baseline
                )


_THREADS = _ThreadSettings()


@contextlib.contextmanager
def torch_threads(n_threads: int | None) -> Iterator[None]:
    """Run torch's CPU kernels on ``n_threads`` threads inside the block.

    None leaves the current setting: by default torch uses every core, and it
    reads ``OMP_NUM_THREADS`` at start-up, which Dask's worker processes set to
    1 and joblib's process workers to ``cores // n_jobs``, so parallel fits do
    not oversubscribe the machine. -1 uses every core this process may run on.
    The setting is process-wide; the process's value is restored when the last
    block that changed it ends, also when blocks overlap in several threads.

    Parameters
    ----------
    n_threads : int or None
        Threads for the block, -1 for all cores, None for no change.

    Examples
    --------
    >>> import torch
    >>> from skdl.utils import torch_threads
    >>> before = torch.get_num_threads()
    >>> with torch_threads(1):
    ...     torch.get_num_threads()
    1
    >>> torch.get_num_threads() == before
    True
    """
    if n_threads is None:
        yield
        return
    if (
        not isinstance(n_threads, Integral)
        or isinstance(n_threads, bool)
        or not (n_threads >= 1 or n_threads == -1)
    ):
        raise ValueError(
            f"n_threads must be None, -1 or an int >= 1; got {n_threads!r}."
        )
    if n_threads == -1:
        n_threads = (
            len(os.sched_getaffinity(0))
            if hasattr(os, "sched_getaffinity")
            else os.cpu_count()
        )
    with _THREADS.hold(n_threads):
        yield


class _DefaultFloat32:
    """torch's default float type held at float32 while skdl builds and trains.

    Layers draw their initial weights in the default type: with the user's
    ``torch.set_default_dtype(torch.float64)``, a seed gave other weights, and
    tensors made without a dtype met float32 ones ("mat1 and mat2 must have the
    same dtype"). The type is a property of the process, like the thread count
    (:class:`_ThreadSettings`): the first block to enter records the process's
    type, the last to leave restores it, under a lock. Other threads' torch code
    running meanwhile sees float32 as the default.
    """

    def __init__(self):
        self._lock = threading.Lock()
        self._depth = 0
        self._saved = torch.float32

    @contextlib.contextmanager
    def hold(self):
        with self._lock:
            if not self._depth:
                self._saved = torch.get_default_dtype()
                torch.set_default_dtype(torch.float32)
            self._depth += 1
        try:
            yield
        finally:
            with self._lock:
                self._depth -= 1
                if not self._depth:
                    torch.set_default_dtype(self._saved)


_DEFAULT_FLOAT32 = _DefaultFloat32()


def default_float32():
    """Context: torch's default float type is float32 inside the block.

    Examples
    --------
    >>> import torch
    >>> torch.set_default_dtype(torch.float64)
    >>> with default_float32():
    ...     torch.zeros(1).dtype
    torch.float32
    >>> torch.zeros(1).dtype
    torch.float64
    >>> torch.set_default_dtype(torch.float32)
    """
    return _DEFAULT_FLOAT32.hold()


def cpu_default_device() -> contextlib.AbstractContextManager:
    """Context: tensors made without a device go to the CPU inside the block.

    skdl builds its modules and tensors on the CPU and moves them to ``device``
    itself. After ``torch.set_default_device('cuda')`` (a per-thread setting),
    torch would make them on the caller's default instead: other initial
    weights for a seed, or tensors on two devices. A no-op, with no cost per
    operation, when the default is already the CPU.

    Examples
    --------
    >>> import torch
    >>> torch.set_default_device("meta")
    >>> with cpu_default_device():
    ...     torch.zeros(1).device
    device(type='cpu')
    >>> torch.set_default_device(None)
    """
    # where a tensor made without a device goes (torch.get_default_device is
    # torch >= 2.3)
    if torch.empty(0).device.type == "cpu":
        return contextlib.nullcontext()
    return torch.device("cpu")


@contextlib.contextmanager
def build_defaults() -> Iterator[None]:
    """Context: torch's defaults as skdl builds and trains its models, float32
    tensors on the CPU (:func:`default_float32`, :func:`cpu_default_device`),
    whatever the caller set. ``fit``, ``partial_fit`` and :func:`skdl.io.load`
    run in it.
    """
    with default_float32(), cpu_default_device():
        yield


def on_cpu_by_default(method):
    """Decorator: run ``method`` under :func:`cpu_default_device`."""

    @functools.wraps(method)
    def wrapper(*args, **kwargs):
        with cpu_default_device():
            return method(*args, **kwargs)

    return wrapper


@contextlib.contextmanager
def threads_for_steps(
    work: int, threshold: int, device: torch.device, n_threads: int | None
) -> Iterator[None]:
    """Threads for a loop of small training or inference steps.

    An int ``n_threads`` is used as given (see :func:`torch_threads`). With
    None, steps on a CPU whose products come to fewer than ``threshold``
    multiply-adds run on one torch thread (its OpenMP and MKL included): below a
    size that each estimator measures, a thread hand-off costs more than the
    work it shares (little on an idle machine, many times the run time on a
    busy one, where every kernel waits for a thread that is not running).
    Larger steps, and other devices, keep torch's setting.

    Parameters
    ----------
    work : int
        Multiply-adds of one step.
    threshold : int
        Work from which several threads pay off.
    device : torch.device
        Where the steps run.
    n_threads : int or None
        The estimator's ``n_threads`` parameter.

    Examples
    --------
    >>> import torch
    >>> with threads_for_steps(10, 2**20, torch.device("cpu"), None):
    ...     torch.get_num_threads()
    1
    """
    if n_threads is None and device.type == "cpu" and work < threshold:
        with _THREADS.hold(1):
            yield
    else:
        with torch_threads(n_threads):
            yield


def is_out_of_memory(exc: BaseException) -> bool:
    """Whether ``exc`` reports a failed memory allocation, on any device.

    CUDA raises :class:`torch.OutOfMemoryError`; torch's CPU allocator a plain
    ``RuntimeError`` ("DefaultCPUAllocator: can't allocate memory", "not
    enough memory" on Windows), the MPS backend one that says "out of memory";
    NumPy a :class:`MemoryError`.

    Examples
    --------
    >>> is_out_of_memory(RuntimeError("DefaultCPUAllocator: can't allocate memory"))
    True
    >>> is_out_of_memory(RuntimeError("shape mismatch"))
    False
    """
    if isinstance(exc, torch.OutOfMemoryError | MemoryError):
        return True
    return isinstance(exc, RuntimeError) and any(
        phrase in str(exc) for phrase in _OUT_OF_MEMORY_PHRASES
    )


_OUT_OF_MEMORY_PHRASES = ("DefaultCPUAllocator", "not enough memory", "out of memory")


def out_of_memory_error(exc: BaseException, advice: str) -> BaseException:
    """The error to raise for ``exc``: what ran out and what to change first.

    The library's own message (allocation sizes, allocator settings) follows the
    advice. NumPy's :class:`MemoryError` stays a ``MemoryError``; PyTorch's
    errors, CUDA's or the CPU allocator's ``RuntimeError``, become
    :class:`torch.OutOfMemoryError` (a ``RuntimeError``), so that code which
    catches either type still does. Any other error (one for which
    :func:`is_out_of_memory` is false) comes back as it is: out of memory is
    never claimed for a shape mismatch or an interrupt.

    Parameters
    ----------
    exc : BaseException
        The error raised.
    advice : str
        Which estimator ran out of memory doing what, and the parameter to
        change (usually a smaller ``batch_size``).

    Returns
    -------
    BaseException
        The error to raise: a new ``torch.OutOfMemoryError`` or ``MemoryError``
        caused by ``exc`` (its ``__cause__``) for an allocation failure, else
        ``exc`` itself, so that ``raise out_of_memory_error(exc, advice)`` in an
        ``except`` block re-raises other errors unchanged.

    Examples
    --------
    >>> import torch
    >>> from skdl.utils import out_of_memory_error
    >>> error = out_of_memory_error(
    ...     torch.OutOfMemoryError("CUDA out of memory."), "Lower batch_size."
    ... )
    >>> str(error)
    'Lower batch_size. PyTorch: CUDA out of memory.'
    >>> cpu = RuntimeError("DefaultCPUAllocator: can't allocate memory")
    >>> type(out_of_memory_error(cpu, "Lower batch_size.")).__name__
    'OutOfMemoryError'
    >>> out_of_memory_error(MemoryError("Unable to allocate 8 GiB"), "Fewer rows.")
    MemoryError('Fewer rows. NumPy: Unable to allocate 8 GiB')
    >>> shape = RuntimeError("shape mismatch")
    >>> out_of_memory_error(shape, "Lower batch_size.") is shape
    True
    """
    if not is_out_of_memory(exc):
        return exc
    if isinstance(exc, MemoryError):
        error = MemoryError(f"{advice} NumPy: {exc}")
    else:
        error = torch.OutOfMemoryError(f"{advice} PyTorch: {exc}")
    error.__cause__ = exc
    return error


@contextlib.contextmanager
def memory_advice(advice: str) -> Iterator[None]:
    """Raise :func:`out_of_memory_error` with ``advice`` for allocation failures.

    Other errors pass through unchanged.

    Examples
    --------
    >>> with memory_advice("Pass fewer rows per call."):
    ...     raise MemoryError("Unable to allocate 8.0 GiB")
    Traceback (most recent call last):
    ...
    MemoryError: Pass fewer rows per call. NumPy: Unable to allocate 8.0 GiB
    """
    try:
        yield
    except BaseException as exc:
        if is_out_of_memory(exc):
            raise out_of_memory_error(exc, advice) from exc
        raise
