"""The skorch side of skdl: batch iteration and the training loop.

Every skdl estimator trains its module through :class:`SkdlNet`, a
:class:`skorch.NeuralNet` whose hot loop is trimmed for in-memory data:

- the data are tensors on the training device, made once per fit; a batch is a
  slice of a per-epoch permutation (:class:`Batches`), never a per-sample collation;
- callbacks are only called for the hooks they override, so an empty
  ``on_batch_begin`` costs nothing per batch;
- a plain MLP's training step computes its gradients written out
  (:mod:`skdl.modules._backprop`), without autograd's recording, whenever
  nothing needs autograd (no hooks, dropout, other layers or losses...);
- the epoch loss is summed on the device and read once per epoch, so a GPU does not
  wait for the host after every batch; per-batch rows (``history[-1, 'batches']``)
  are recorded, as skorch records them, only when a callback has a batch hook
  that may read them (a callback whose class sets ``reads_batch_history = False``
  does not ask for them).

Callbacks still see skorch's usual ``net``, ``history`` and hooks, so skorch's own
callbacks (``Checkpoint``, ``LRScheduler``, ``GradientNormClipping``, ...) work.
"""

from __future__ import annotations

import contextlib
import inspect
import math

import numpy as np
import scipy.sparse as sp
import torch
from skorch import NeuralNet
from skorch.callbacks import (
    BatchScoring,
    Callback,
    EarlyStopping,
    EpochScoring,
    EpochTimer,
    LRScheduler,
)
from skorch.utils import TeeGenerator

from .callbacks import Convergence, StopTraining
from .modules._backprop import backprop, writes_gradients
from .utils._divergence import divergence_error, find_divergence
from .utils._validation import is_memory_mapped

__all__ = [
    "Batches",
    "HostRows",
    "SkdlNet",
    "at_least_float32",
    "check_callbacks",
    "host_rows",
    "host_tensor",
    "reads_lazily",
    "to_rows",
]

_HOOKS = (
    "on_train_begin",
    "on_train_end",
    "on_epoch_begin",
    "on_epoch_end",
    "on_batch_begin",
    "on_batch_end",
    "on_grad_computed",
)


class HostRows:
    """Rows of a host array read one batch at a time, onto ``device``.

    For data that should not be copied whole: a scipy sparse matrix (only the
    batch is densified) or a memory-mapped array (only the batch's rows are read
    from disk). ``index`` restricts the rows to a subset without copying them
    (a training or validation split). A batch is float64 if the array is, else
    float32. On CUDA it goes through pinned memory with a non-blocking copy.
    """

    def __init__(self, X, device: torch.device, index: np.ndarray | None = None):
        self.X = sp.csr_matrix(X) if sp.issparse(X) else X
        self.device = device
        self.index = index

    def __len__(self) -> int:
        return self.X.shape[0] if self.index is None else len(self.index)

    def __getitem__(self, index) -> torch.Tensor:
        if isinstance(index, torch.Tensor):
            index = index.cpu().numpy()
        if self.index is not None:
            index = self.index[index]
        rows = self.X[index]
        if sp.issparse(rows):
            rows = rows.toarray()
        dtype = rows.dtype if rows.dtype == np.float64 else np.float32
        batch = host_tensor(rows, dtype)
        if self.device.type == "cuda":
            batch = batch.pin_memory()
        return batch.to(self.device, non_blocking=True)


def at_least_float32(tensor: torch.Tensor) -> torch.Tensor:
    """``tensor`` in float32 if it is in a narrower float (mixed precision), else as is.

    Examples
    --------
    >>> at_least_float32(torch.ones(2, dtype=torch.float16)).dtype
    torch.float32
    >>> at_least_float32(torch.ones(2, dtype=torch.float64)).dtype
    torch.float64
    """
    return tensor.to(torch.promote_types(tensor.dtype, torch.float32))


def reads_lazily(X, device: torch.device) -> bool:
    """Whether batches of ``X`` are read from the host one at a time.

    True for sparse matrices, memory-mapped arrays, and arrays that would take
    more than half of the free memory of the CUDA device they are meant for;
    other arrays move to the device once per fit.
    """
    if sp.issparse(X) or is_memory_mapped(X):
        return True
    if device.type != "cuda":
        return False
    free, _ = torch.cuda.mem_get_info(device)
    return np.asarray(X).nbytes > free // 2


def to_rows(X, device: torch.device):
    """Make ``X`` indexable by row on ``device``: a tensor, or :class:`HostRows`.

    The tensor is always C-contiguous: the same values in a Fortran-ordered
    array, a DataFrame or a strided view give the same bytes to the module, so
    the kernels (whose summation order can follow the memory layout) give the
    same results bit for bit. A C-contiguous array on the CPU is shared, not
    copied; what :func:`reads_lazily` picks is read batch by batch.
    """
    if reads_lazily(X, device):
        return HostRows(X, device)
    return host_tensor(X).to(device)


def host_tensor(array, dtype=None) -> torch.Tensor:
    """``array`` as a C-contiguous CPU tensor, which shares its memory if it can.

    A read-only array (frozen with ``flags.writeable = False``, a memory map
    opened with ``mode='r'``) is copied: torch warns of a tensor on memory that
    it may not write, as scikit-learn's estimators never do of such input.

    Examples
    --------
    >>> array = np.ones((2, 3))
    >>> array.flags.writeable = False
    >>> host_tensor(array).shape
    torch.Size([2, 3])
    """
    array = np.ascontiguousarray(array, dtype=dtype)
    if not array.flags.writeable:
        array = array.copy()
    return torch.from_numpy(array)


def host_rows(rows):
    """The rows of a training array (made by :func:`to_rows`) on the host.

    A tensor comes back as a NumPy array; :class:`HostRows` as its own array or
    sparse matrix, restricted to its rows, so that sparse data stay sparse. Rows
    read block by block (``skdl._blocks``) are never whole: they raise a
    TypeError that says so.
    """
    if isinstance(rows, torch.Tensor):
        return rows.cpu().numpy()
    # a reader that never holds its rows whole refuses np.asarray, saying why
    X = rows.X if sp.issparse(rows.X) else np.asarray(rows.X)
    return X if rows.index is None else X[rows.index]


#: the most bytes of training tensors that an epoch copies in its shuffled order
#: at once (see ``Batches``); larger ones are gathered batch by batch
EPOCH_GATHER_BYTES = 64 * 2**20


class Batches:
    """Mini-batches ``(X, y, sample_weight)`` sliced from row-indexable arrays.

    Parameters
    ----------
    X, y, sample_weight
        Tensors (or :class:`HostRows`) with the same number of rows; ``y`` and
        ``sample_weight`` may be None.
    batch_size : int
        Rows per batch; the last batch may be smaller.
    shuffle : bool, default=False
        Draw a new permutation each epoch from ``generator`` (unless one batch
        holds every row).
    generator : torch.Generator or None
        CPU generator for the permutation; the same seed gives the same order on
        every device.
    """

    def __init__(
        self,
        X,
        y=None,
        sample_weight=None,
        *,
        batch_size,
        shuffle=False,
        generator=None,
    ):
        self.arrays = (X, y, sample_weight)
        self.batch_size = int(batch_size)
        self.shuffle = shuffle
        self.generator = generator

    @property
    def n_samples(self) -> int:
        return len(self.arrays[0])

    def __len__(self) -> int:
        return math.ceil(self.n_samples / self.batch_size)

    def __iter__(self):
        n, size = self.n_samples, self.batch_size
        # one batch of every row: an order would change nothing but the
        # rounding of its sums (fit and partial_fit then agree bit for bit)
        if not self.shuffle or n <= size:
            for start in range(0, n, size):
                yield tuple(
                    None if a is None else a[start : start + size] for a in self.arrays
                )
            return
        order = self.epoch_order()
        device = getattr(self.arrays[0], "device", order.device)
        order = order.to(device)
        if self._gathers_whole_epochs():
            # the epoch's rows in its order at once, then slices of them: the
            # same batches bit for bit, with one gather per epoch in place of
            # one per batch (3-10% of a small MLP's fit)
            arrays = tuple(None if a is None else a[order] for a in self.arrays)
            for start in range(0, n, size):
                yield tuple(
                    None if a is None else a[start : start + size] for a in arrays
                )
            return
        for start in range(0, n, size):
            index = order[start : start + size]
            yield tuple(None if a is None else a[index] for a in self.arrays)

    def _gathers_whole_epochs(self) -> bool:
        """Whether an epoch copies its arrays in its order at once: tensors (not
        rows read from the host batch by batch) of ``EPOCH_GATHER_BYTES`` at most,
        so that the copy costs little memory.
        """
        arrays = [a for a in self.arrays if a is not None]
        return all(isinstance(a, torch.Tensor) for a in arrays) and (
            sum(a.element_size() * a.nelement() for a in arrays) <= EPOCH_GATHER_BYTES
        )

    def epoch_order(self) -> torch.Tensor:
        """Row order of one shuffled epoch; its ``batch_size`` chunks are the batches.

        A random permutation drawn from ``generator``; subclasses override it to
        group rows differently (by length, for instance).
        """
        return torch.randperm(self.n_samples, generator=self.generator)


def _overrides(callback, hook: str) -> bool:
    return getattr(type(callback), hook, None) is not getattr(Callback, hook)


def make_optimizer(optimizer_class, param_groups, kwargs):
    """Build an optimizer, with the fused kernel where torch has one for the device."""
    accepts_fused = "fused" in inspect.signature(optimizer_class).parameters
    if accepts_fused and "fused" not in kwargs:
        try:
            return optimizer_class(param_groups, fused=True, **kwargs)
        except (RuntimeError, ValueError, TypeError):
            pass
    return optimizer_class(param_groups, **kwargs)


class SkdlNet(NeuralNet):
    """A :class:`skorch.NeuralNet` with skdl's fast in-memory training loop.

    Parameters beyond skorch's
    --------------------------
    score_fn : callable or None
        ``score_fn(outputs, y, sample_weight) -> float`` on device tensors; when
        given, each validation pass records ``valid_score`` (accuracy, R2).
    train_score_fn : callable or None
        ``train_score_fn(outputs, y, sample_weight) -> tensor``, the (weighted)
        number of right predictions of a training batch, on the device; when
        given, each epoch records ``train_score``, the training accuracy over
        the epoch's batches (as the weights change, with dropout), as Keras
        reports ``accuracy``, in the fits that have a validation set (whose
        ``valid_score`` it goes with). It is summed on the device and read with
        the loss.
    autocast_dtype : torch.dtype or None
        Mixed-precision dtype for forward passes (CUDA only), or None.
    l2_in_loss : float
        Penalty ``0.5 * l2_in_loss * sum(w ** 2)`` over weight matrices added to the
        training loss, for optimizers without ``weight_decay`` (L-BFGS).
    l2_reported : float
        The same penalty, added only to the recorded ``train_loss`` once per epoch
        (the optimizer applies it as weight decay), so losses read like sklearn's.
    reported_loss_scale : float
        Factor on the data term of the losses that steps return and the history
        records; the penalty is added unscaled. The loss minimised is the
        criterion summed over the outputs and averaged over the samples, as in
        scikit-learn, which reports it so for every loss but the squared error
        of regressors, which it reports averaged over the outputs
        (``1 / n_outputs``).
    train_transform : callable or None
        ``train_transform(X_batch) -> X_batch`` applied to the inputs of every
        training batch (data augmentation); never to validation batches or at
        prediction.
    compile_options : dict or None
        Keyword arguments of :func:`torch.compile` for the forward passes, or
        None to run the module eagerly. The compiled module is rebuilt on first
        use after unpickling; ``module_`` itself stays a plain module.
    owner : str
        Name of the estimator that trains the net, for error messages.

    Attributes
    ----------
    data_parallel : skdl._distributed.DataParallel or None
        While a data-parallel fit trains (:func:`skdl.parallel.fit_distributed`,
        whose training batches carry it): what sums the gradients, epoch losses
        and validation outputs over the processes. None otherwise.
    """

    data_parallel = None

    def __init__(
        self,
        *args,
        score_fn=None,
        train_score_fn=None,
        autocast_dtype=None,
        l2_in_loss=0.0,
        l2_reported=0.0,
        reported_loss_scale=1.0,
        train_transform=None,
        compile_options=None,
        owner="The network",
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        self.score_fn = score_fn
        self.train_score_fn = train_score_fn
        self.autocast_dtype = autocast_dtype
        self.l2_in_loss = l2_in_loss
        self.l2_reported = l2_reported
        self.reported_loss_scale = reported_loss_scale
        self.train_transform = train_transform
        self.compile_options = compile_options
        self.owner = owner

    # -- initialisation ---------------------------------------------------------------
    @property
    def _default_callbacks(self):
        # epoch losses are recorded by run_single_epoch, not from batch records
        return [("epoch_timer", EpochTimer())]

    def initialize_callbacks(self):
        super().initialize_callbacks()
        self.hooked_ = {
            hook: [(name, cb) for name, cb in self.callbacks_ if _overrides(cb, hook)]
            for hook in _HOOKS
        }
        # a callback with a batch hook may read the batch's row of the history,
        # unless it says it does not (reads_batch_history = False)
        self.records_batches_ = any(
            getattr(cb, "reads_batch_history", True)
            for _, cb in self.hooked_["on_batch_begin"] + self.hooked_["on_batch_end"]
        )
        return self

    def initialize_optimizer(self, triggered_directly=None):
        named = list(self.get_all_learnable_params())
        decayed = self._weight_matrices()
        kwargs = self.get_params_for("optimizer")
        kwargs.setdefault("lr", self.lr)
        weight_decay = kwargs.pop("weight_decay", None)
        # the L2 gradient of the weight matrices (not the biases) is added before
        # each step for the optimizers whose weight decay is that gradient, so
        # that all parameters stay in one group: one fused kernel call per step
        self.l2_gradient_ = 0.0
        if not weight_decay:  # none, or L-BFGS (the penalty is in its loss)
            groups = [p for _, p in named]
        elif issubclass(self.optimizer, torch.optim.AdamW):  # decoupled decay
            decayed_ids = {id(p) for p in decayed}
            rest = [p for _, p in named if id(p) not in decayed_ids]
            groups = [
                {"params": params, "weight_decay": wd}
                for params, wd in ((decayed, weight_decay), (rest, 0.0))
                if params
            ]
        else:
            groups = [p for _, p in named]
            self.l2_gradient_ = weight_decay
        self.decayed_params_ = decayed
        self.optimizer_ = make_optimizer(self.optimizer, groups, kwargs)
        self.grad_scaler_ = (
            torch.amp.GradScaler(torch.device(self.device).type)
            if self.autocast_dtype == torch.float16
            else None
        )
        return self

    def _weight_matrices(self) -> list[torch.nn.Parameter]:
        """The learnable weight matrices, which the L2 penalty applies to.

        Biases and the scales of normalisation layers (one dimension) are left out.
        """
        return [p for _, p in self.get_all_learnable_params() if p.ndim >= 2]

    def optimizer_states(self) -> dict:
        """``{name: state_dict}`` of every registered optimizer (``optimizer``...)."""
        return {
            name: getattr(self, name + "_").state_dict() for name in self._optimizers
        }

    def load_optimizer_states(self, states: dict) -> None:
        """Load what :meth:`optimizer_states` returned."""
        for name in self._optimizers:
            getattr(self, name + "_").load_state_dict(states[name])

    # -- callbacks --------------------------------------------------------------------
    def notify(self, method_name, **cb_kwargs):
        getattr(self, method_name)(self, **cb_kwargs)
        stop = None
        for name, cb in self.hooked_[method_name]:
            try:
                _call_callback(name, cb, method_name, self, cb_kwargs)
            except StopTraining as exc:  # the hook's other callbacks see it too
                stop = stop or exc
        if stop is not None:
            raise stop

    def _grad_computed(self, batch):
        if self.data_parallel is not None:  # the gradient of every process's rows
            self.data_parallel.reduce_gradients(self, batch)
        self._notify_grad_computed(self.get_all_learnable_params(), batch)
        if self.l2_gradient_:
            decayed = [p for p in self.decayed_params_ if p.grad is not None]
            torch._foreach_add_(
                [p.grad for p in decayed], decayed, alpha=self.l2_gradient_
            )

    def _notify_grad_computed(self, named_parameters, batch) -> None:
        """Run the callbacks' ``on_grad_computed`` on ``named_parameters``, whose
        gradients are computed (skorch's ``GradientNormClipping`` clips them).
        """
        if self.hooked_["on_grad_computed"]:
            self.notify(
                "on_grad_computed",
                named_parameters=TeeGenerator(named_parameters),
                batch=batch,
                training=True,
            )

    # -- one step ---------------------------------------------------------------------
    def autocast(self):
        """Context for forward passes: autocast when mixed precision is on."""
        if self.autocast_dtype is None:
            return contextlib.nullcontext()
        return torch.autocast(torch.device(self.device).type, self.autocast_dtype)

    def forward_module(self) -> torch.nn.Module:
        """``module_``, or its :func:`torch.compile` form with ``compile_options``."""
        if self.compile_options is None:
            return self.module_
        # (module, compiled module): a tuple, so skorch does not register it
        cached = getattr(self, "_compiled", None)
        if cached is None or cached[0] is not self.module_:
            cached = (self.module_, torch.compile(self.module_, **self.compile_options))
            self._compiled = cached
        return cached[1]

    def __getstate__(self):
        state = super().__getstate__()
        state.pop("_compiled", None)
        # the same tensors as module_'s weights: pickled apart from module_ they
        # would come back as copies that no optimizer step reaches
        state.pop("decayed_params_", None)
        return state

    def __setstate__(self, state):
        super().__setstate__(state)
        if "optimizer_" in self.__dict__:
            self.decayed_params_ = self._weight_matrices()

    def infer(self, x, **fit_params):
        return self.forward_module()(x, **fit_params)

    def l2_penalty(self):
        """``0.5 * sum(w ** 2)`` over the weight matrices (biases excluded)."""
        return 0.5 * sum(p.pow(2).sum() for p in self.decayed_params_)

    def get_loss(self, y_pred, y_true, X=None, training=False):
        return self._losses(y_pred, y_true, training)[0]

    def _losses(self, y_pred, y_true, training):
        """The loss to minimise, and the same loss as recorded.

        The data term is the criterion summed over the outputs (a multilabel
        target's labels, a regressor's targets) and averaged over the samples
        (:meth:`_n_predictions`), weighted by ``sample_weight`` when there is one:
        the criterion's ``reduction`` is 'sum' without weights and 'none' with
        them.
        """
        y, weight = y_true
        # training and validation batches may differ in having weights
        # (validation_data's are its own)
        reduction = "sum" if weight is None else "none"
        if self.criterion_.reduction != reduction:
            self.criterion_.reduction = reduction
        if weight is None:
            data = self.criterion_(y_pred, y) / self._n_predictions(y_pred, y)
        else:
            per_sample = self.criterion_(y_pred, y)
            per_sample = per_sample.reshape(len(per_sample), -1).sum(dim=1)
            data = (per_sample * weight).sum() / weight.sum()
        return self._penalized(data, training)

    def _penalized(self, data, training):
        """The loss to minimise and the loss recorded, from the data term."""
        loss = data
        if training and self.l2_in_loss:
            loss = loss + self.l2_in_loss * self.l2_penalty()
        if self.reported_loss_scale == 1:
            return loss, loss
        return loss, loss - data * (1 - self.reported_loss_scale)

    def _n_predictions(self, y_pred, y):
        """What a batch's summed loss is averaged over: the rows of its outputs
        (an unsupervised estimator's batches have no targets).

        A subclass whose rows hold several predictions each (a language model's
        texts hold one per token) counts those instead.
        """
        return len(y_pred)

    def train_step(self, batch, **fit_params):
        Xi, yi, wi = batch
        if self.train_transform is not None:
            Xi = self.train_transform(Xi)
        optimizer = self.optimizer_
        if isinstance(optimizer, torch.optim.LBFGS):
            first = {}

            def closure():
                _clear_grads(optimizer)
                y_pred = self.infer(Xi, **fit_params)
                loss, reported = self._losses(y_pred, (yi, wi), training=True)
                loss.backward()
                first.setdefault("step", {"loss": reported, "y_pred": y_pred})
                self._grad_computed(batch)
                return loss

            optimizer.step(closure)
            return first["step"]

        _clear_grads(optimizer)
        if self._writes_gradients(Xi, yi, fit_params):
            data, y_pred = backprop(
                self.module_, self.criterion_, Xi, yi, wi, self._n_predictions
            )
            _, reported = self._penalized(data, training=True)
            self._grad_computed(batch)
            optimizer.step()
            return {"loss": reported, "y_pred": y_pred}
        with self.autocast():
            y_pred = self.infer(Xi, **fit_params)
            loss, reported = self._losses(y_pred, (yi, wi), training=True)
        scaler = self.grad_scaler_
        if scaler is None:
            loss.backward()
            self._grad_computed(batch)
            optimizer.step()
        else:
            scaler.scale(loss).backward()
            scaler.unscale_(optimizer)
            self._grad_computed(batch)
            scaler.step(optimizer)
            scaler.update()
        return {"loss": reported, "y_pred": y_pred}

    def _writes_gradients(self, X, y, fit_params) -> bool:
        """Whether this training step's gradients are written out
        (:func:`skdl.modules._backprop.backprop`) rather than taken by autograd:
        a plain MLP and loss (:func:`~skdl.modules._backprop.writes_gradients`),
        run eagerly in the inputs' dtype, on one process, with the penalty (if
        any) applied to the gradients, and the forward pass and loss of
        :meth:`infer`, :meth:`forward_module` and :meth:`_losses` as defined
        here (a subclass that overrides one trains through autograd).
        """
        return (
            not fit_params
            and self.compile_options is None
            and self.autocast_dtype is None
            and not self.l2_in_loss
            and self.data_parallel is None
            and all(
                getattr(type(self), name) is getattr(SkdlNet, name)
                for name in ("infer", "forward_module", "_losses")
            )
            and writes_gradients(self.module_, self.criterion_, X, y)
        )

    def validation_step(self, batch, **fit_params):
        Xi, yi, wi = batch
        with torch.no_grad(), self.autocast():
            y_pred = self.infer(Xi, **fit_params)
            _, reported = self._losses(y_pred, (yi, wi), training=False)
        return {"loss": reported, "y_pred": y_pred}

    # -- epochs -----------------------------------------------------------------------
    def run_single_epoch(self, iterator, training, prefix, step_fn, **fit_params):
        """One pass over ``iterator``; records ``<prefix>_loss``, returns outputs.

        The outputs of a validation pass are returned (concatenated) so that the
        validation score needs no second forward pass.
        """
        if iterator is None:
            return None
        self._set_training(training)
        begin, end = self.hooked_["on_batch_begin"], self.hooked_["on_batch_end"]
        per_batch = getattr(self, "records_batches_", False)
        losses, sizes, rights, totals = [], [], [], []
        outputs = [] if not training else None
        # the training accuracy costs a few kernel calls per batch (8% of a
        # small MLP's step): it is recorded beside a validation score only
        count_right = (
            self.train_score_fn
            if training and getattr(self, "scores_training_", False)
            else None
        )
        for batch in iterator:
            if per_batch:
                self.history.new_batch()
            for name, cb in begin:
                _call_callback(
                    name,
                    cb,
                    "on_batch_begin",
                    self,
                    {"batch": batch, "training": training},
                )
            step = step_fn(batch, **fit_params)
            losses.append(step["loss"].detach())
            sizes.append(len(batch[0]))
            if per_batch:  # one host read per batch, only when a callback reads it
                self.history.record_batch(f"{prefix}_loss", losses[-1].item())
                self.history.record_batch(f"{prefix}_batch_size", sizes[-1])
            if outputs is not None:
                outputs.append(step["y_pred"])
            if count_right is not None and step["y_pred"] is not None:
                _, yi, wi = batch
                rights.append(count_right(step["y_pred"].detach(), yi, wi))
                totals.append(len(yi) if wi is None else wi.sum())
            for name, cb in end:
                _call_callback(
                    name,
                    cb,
                    "on_batch_end",
                    self,
                    {"batch": batch, "training": training, **step},
                )
        if self.data_parallel is None:
            # one device-to-host read per epoch: the size-weighted mean batch loss
            weights = torch.tensor(sizes, dtype=torch.float64, device=losses[0].device)
            epoch_loss = (
                torch.stack(losses).to(torch.float64) @ weights
            ) / weights.sum()
            n_samples = sum(sizes)
            if len(rights) == len(losses):
                right = torch.stack(rights).to(torch.float64).sum() / sum(totals)
                epoch_loss, score = torch.stack(
                    [epoch_loss, right.to(epoch_loss)]
                ).tolist()
                self.history.record(f"{prefix}_score", score)
            else:
                epoch_loss = epoch_loss.item()
        else:  # the batches of all processes together
            epoch_loss, n_samples, score = self.data_parallel.epoch_loss(
                losses, iterator, rights if len(rights) == len(losses) else None
            )
            if score is not None:
                self.history.record(f"{prefix}_score", score)
        self.history.record(f"{prefix}_loss", epoch_loss)
        self.history.record(f"{prefix}_batch_count", len(sizes))
        if not per_batch:
            # one summary entry per pass in history "batches": callbacks that read
            # history[-1, "batches", -1] (skorch's Checkpoint names files from it)
            # need one, and PassthroughScoring averages it by its batch size
            self.history.new_batch()
            self.history.record_batch(f"{prefix}_loss", epoch_loss)
            self.history.record_batch(f"{prefix}_batch_size", sum(sizes))
            self.history.record_batch(f"{prefix}_batch_count", len(sizes))
        if training:
            previous = self.history[-2, "samples_seen"] if len(self.history) > 1 else 0
            self.history.record("samples_seen", previous + n_samples)
        return None if outputs is None else torch.cat(outputs)

    def fit_epochs(self, train: Batches, valid: Batches | None, epochs: int) -> str:
        """Train for up to ``epochs`` epochs; say why the loop ended.

        After every epoch the training loss and the weights are checked
        (:func:`~skdl.utils._divergence.find_divergence`). With a validation set
        (early stopping), an epoch that diverged, or whose validation score is
        not finite, records a NaN ``valid_score`` and ends training when an
        earlier epoch of this call had a finite score: the callback that keeps
        the best weights restores them, as scikit-learn's MLP does.

        Returns
        -------
        {'max_iter', 'converged', 'not_converged', 'interrupted', 'diverged'}
            ``'converged'`` or ``'not_converged'`` when a callback stopped
            training (:class:`~skdl.callbacks.StopTraining` says which, and
            ``stop_message_`` holds its message), ``'interrupted'`` on
            KeyboardInterrupt after at least one finished epoch (the weights so
            far are kept; an unfinished epoch is dropped from the history),
            ``'diverged'`` when early stopping ended a diverged fit with the
            best weights.

        Raises
        ------
        DivergenceError
            When an epoch diverged and there are no best weights to go back to.
        KeyboardInterrupt
            When interrupted before the first epoch of this call finished.
        """
        epoch_kwargs = {"dataset_train": train, "dataset_valid": valid}
        self.max_epochs = epochs  # what callbacks read: this call's epochs
        self.data_parallel = getattr(train, "data_parallel", None)
        if self.data_parallel is not None:
            self.data_parallel.begin(self)
        self.notify("on_train_begin", X=train, y=None)
        outcome = "max_iter"
        self.stop_message_ = ""
        n_before = len(self.history)
        self.scores_training_ = valid is not None
        # the lowest losses so far (a warm start continues the history)
        self.best_losses_ = {
            key: min((row[key] for row in self.history if key in row), default=None)
            for key in ("train_loss", "valid_loss")
        }
        try:
            for _ in range(epochs):
                self.notify("on_epoch_begin", **epoch_kwargs)
                self.run_single_epoch(train, True, "train", self.train_step)
                # the rate of the epoch's last step (schedules change it after)
                self.history.record("lr", self.optimizer_.param_groups[0]["lr"])
                if self.l2_reported:
                    loss = self.history[-1, "train_loss"]
                    with torch.no_grad():
                        penalty = float(self.l2_penalty())
                    self.history.record("train_loss", loss + self.l2_reported * penalty)
                self._record_best("train_loss")
                problem = find_divergence(
                    self.module_.parameters(), self.history[-1, "train_loss"]
                )
                if valid is not None:
                    score = math.nan if problem else self._validation_score(valid)
                    if score is not None:
                        self.history.record("valid_score", score)
                    if score is not None and not math.isfinite(score):
                        problem = problem or f"the validation score became {score}"
                        if self._keeps_best_weights():
                            outcome = "diverged"
                            break
                if problem:
                    raise divergence_error(
                        self.owner,
                        len(self.history),
                        problem,
                        f"Lower learning_rate_init (the learning rate was "
                        f"{self.optimizer_.param_groups[0]['lr']:g}), scale X (e.g. "
                        "with StandardScaler), or clip gradients (skorch's "
                        "GradientNormClipping callback).",
                    )
                self.notify("on_epoch_end", **epoch_kwargs)
        except StopTraining as stop:
            outcome = "converged" if stop.converged else "not_converged"
            self.stop_message_ = str(stop)
        except KeyboardInterrupt:
            if self._skorch_stopped():
                outcome = "converged"
            else:
                self._drop_unfinished_epoch()
                if len(self.history) == n_before:
                    raise  # no epoch finished: the caller restores its state
                outcome = "interrupted"
        finally:
            self.notify("on_train_end", X=train, y=None)
            self.data_parallel = None
        return outcome

    def _validation_score(self, valid: Batches) -> float | None:
        """Run one validation pass (recording its loss) and score it.

        None without a ``score_fn``. Non-finite outputs score NaN, as in
        scikit-learn (no argmax or threshold should read them), and so does a
        score that overflowed float32 (an R2 of -inf).
        """
        outputs = self.run_single_epoch(valid, False, "valid", self.validation_step)
        if self.data_parallel is not None:  # the outputs of every process's rows
            outputs = self.data_parallel.gather(outputs, valid)
        self._record_best("valid_loss")
        if self.score_fn is None:
            return None
        outputs = at_least_float32(outputs)
        if not bool(torch.isfinite(outputs).all()):
            return math.nan
        _, y, weight = valid.arrays
        score = float(self.score_fn(outputs, y, weight))
        return score if math.isfinite(score) else math.nan

    def _record_best(self, key: str) -> None:
        """Record ``<key>_best``: whether this epoch's ``key`` is the lowest so far.

        skorch's callbacks monitor these by default (``Checkpoint`` reads
        ``valid_loss_best``); a NaN loss is never the best.
        """
        value = self.history[-1, key]
        best = self.best_losses_.get(key)
        is_best = value == value and (best is None or best != best or value < best)
        if is_best:
            self.best_losses_[key] = value
        self.history.record(f"{key}_best", bool(is_best))

    def _keeps_best_weights(self) -> bool:
        """Whether a callback holds the weights of an earlier epoch to restore."""
        return any(
            isinstance(cb, Convergence)
            and cb.restore_best
            and cb.best_state_ is not None
            for _, cb in self.callbacks_
        )

    def _drop_unfinished_epoch(self) -> None:
        """Remove the history row of an epoch interrupted before its loss was read.

        The weights keep that epoch's first updates; the history (and so
        ``n_iter_``) lists the finished epochs only.
        """
        if len(self.history) and "samples_seen" not in self.history[-1]:
            del self.history[-1]

    def _skorch_stopped(self) -> bool:
        # skorch's EarlyStopping ends training by raising KeyboardInterrupt
        return any(
            isinstance(cb, EarlyStopping) and cb.misses_ >= cb.patience
            for _, cb in self.callbacks_
        )


def check_callbacks(
    callbacks, owner: str, *, validated: bool = True, optimizers: int = 1
) -> None:
    """Refuse what skorch does not take as a callback, and skorch's
    ``EpochScoring`` and ``BatchScoring``, saying what to use.

    skorch takes a ``Callback`` instance or subclass (which it instantiates),
    alone or as a ``(name, callback)`` pair (a tuple or a list). The two
    scoring callbacks score by predicting skorch datasets, which skdl's
    in-memory loop does not build; they would fail later with a message about
    skorch's internals. ``validated`` says whether the owner can score a
    validation set (GANSampler cannot), which the message then points to.
    With several ``optimizers`` (GANSampler's two), skorch's ``LRScheduler``
    is refused too: it schedules ``optimizer_`` alone.
    """
    for index, item in enumerate(callbacks or ()):
        pair = (
            isinstance(item, tuple | list)
            and len(item) == 2
            and isinstance(item[0], str)
        )
        callback = item[1] if pair else item
        kind = callback if isinstance(callback, type) else type(callback)
        if not issubclass(kind, Callback):
            raise ValueError(
                f"{owner}'s callbacks must be skorch Callbacks (instances or "
                "classes), alone or in (name, callback) pairs; item "
                f"{index} is {item!r}."
            )
        if issubclass(kind, (EpochScoring, BatchScoring)):
            kind = kind.__name__
            recorded = (
                "The validation loss and score (the estimator's score: accuracy, "
                "R2...) are recorded each epoch in history_ as 'valid_loss' and "
                "'valid_score' when there is a validation set (early_stopping=True "
                "or fit(..., validation_data=...)), and the training loss as "
                "'train_loss'."
                if validated
                else f"{owner} has no validation set; the training loss is "
                "recorded each epoch in history_ as 'train_loss'."
            )
            raise ValueError(
                f"{owner} does not run skorch's {kind}: it scores by predicting "
                "skorch datasets, which skdl's training loop does not build. "
                f"{recorded} For another metric, pass a Callback whose "
                "on_epoch_end computes it (from net.module_) and records it with "
                "net.history.record(name, value)."
            )
        if optimizers > 1 and issubclass(kind, LRScheduler):
            raise ValueError(
                f"{owner} trains {optimizers} networks, each with its optimizer, "
                "and skorch's LRScheduler would schedule the first one's rate "
                "only. Use the learning_rate parameter, or a schedule of "
                "skdl.callbacks (ExponentialDecayLR, LinearDecayLR, "
                "InverseScalingLR, ReduceLROnPlateau), which set the rate of "
                "every optimizer."
            )


def _clear_grads(optimizer: torch.optim.Optimizer) -> None:
    """``optimizer.zero_grad()``, without its profiler range (20-30 us a step)."""
    for group in optimizer.param_groups:
        for parameter in group["params"]:
            parameter.grad = None


def _call_callback(name, callback, hook, net, kwargs):
    try:
        getattr(callback, hook)(net, **kwargs)
    except (StopTraining, KeyboardInterrupt):
        raise
    except Exception as exc:
        where = f"callback {name!r} ({type(callback).__name__}.{hook})"
        if exc.args and isinstance(exc.args[0], str):
            exc.args = (f"{exc.args[0]} [raised in {where}]", *exc.args[1:])
            raise
        raise RuntimeError(f"{type(exc).__name__} raised in {where}: {exc!r}") from exc
