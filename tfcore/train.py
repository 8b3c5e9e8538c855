"""The training loop: what `fit` does, in plain Python over a built graph.

A model is a graph that is already built (by a builder in `models/`): input
and target placeholders, a prediction, a loss (the batch mean), a train op
(from an optimizer's `minimize`) and metric tensors (batch means). The builder
wraps them in a `TrainGraph`. Training is then nothing but `Session.run`:

    check the arguments; start from a checkpoint or a fresh session
    for epoch in range(initial_epoch, epochs):
        callbacks.on_epoch_begin(epoch)
        run the reset ops (stateful layers forget the last epoch's state)
        order = permutation(n) from (seed, epoch)       or 0..n-1 without shuffle
        for each batch of `batch_size` rows of `order` (the last may be smaller):
            loss_b, metrics_b = run([train_op, loss, metrics],
                                    feed={inputs: x[rows], targets: y[rows], training: True})
        loss = sum_b(size_b * loss_b) / n                (and so for each metric)
        val_loss, val_metrics = evaluate(validation_data)
        callbacks.on_epoch_end(epoch, logs)              (EarlyStopping may ask to stop)
        save a checkpoint (variables + epoch counter + history + callbacks' state)
        stop if a callback asked

`fit` below reads the same way; its named steps are `_check_fit` and `_start`
(the first line), `_Steps.train_epoch` (the batch loop and the weighted means)
and `_save` (the checkpoint).

The epoch's figures are batch means weighted by batch size, as Keras reports
them; since every row is in exactly one batch, they are means over the epoch's
rows (of the values each row saw while the weights moved). `evaluate` computes
the same weighted mean with the weights fixed, so with a learning rate of zero
both agree.

Choices a reader should know:

* **No batch is dropped.** The last, partial batch trains and counts.
  A model with a *fixed* batch size (a stateful RNN's placeholder is
  `(batch, ...)` with a number) cannot take a partial batch, so `fit`,
  `evaluate` and `predict` refuse a row count that is not a multiple of it,
  with an error saying how many rows to keep. Silently dropping rows would hide
  data from the learner.
* **Shuffling is a function of `(seed, epoch)`**, not of a generator's
  history, so a run resumed at epoch 3 shuffles epoch 3 exactly as an
  uninterrupted run does.
* **Stateful models** put their reset ops in the graph collection
  `"tfcore_reset_states"`; `fit` runs them at the start of every epoch and
  `evaluate` / `predict` before they start.
* **Checkpoints** (`checkpoint_dir=`): see `tfcore.checkpoint`. `fit` resumes
  from the newest checkpoint there and saves after every epoch.
* **A non-finite loss stops training** with `NonFiniteLossError`; the update of
  that batch already ran, so the session's weights are suspect, and nothing is
  saved: the newest checkpoint is the last good epoch.
* **Callbacks** (`callbacks=[...]`, `tfcore.callbacks`): Keras 2's hooks and
  callbacks; their state is saved with each checkpoint, so a resumed run
  stops, or lowers its learning rate, at the same epoch as an uninterrupted one.
* **Speed tricks** (several steps per session run, small steps in the
  calling thread, the callable cache) live in `tfcore.train_speed`, which
  `TrainGraph` inherits from: `fit` reads the same with or without them.
"""

import sys
import time
import warnings
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np
from numpy.typing import ArrayLike
import tqdm

from tfcore import checkpoint as checkpoint_lib
from tfcore import quiet, train_speed, weighting
from tfcore.callbacks import CallbackList
from tfcore.graph import RESET_STATES_COLLECTION
from tfcore.train_graph import TrainGraph, assemble  # noqa: F401  (tfcore.train.TrainGraph, as documented)

# The graph collection where stateful layers put their reset ops (see layers/recurrent/sequence.py).
RESET_STATES = RESET_STATES_COLLECTION
DEFAULT_BATCH_SIZE = 32
# The speed tricks' names, where they were before train_speed.py held them.
MultiStep, sub_graph_def = train_speed.MultiStep, train_speed.sub_graph_def


class NonFiniteLossError(FloatingPointError):
    """The loss became NaN or infinite; training stopped. The message names where.

    `epoch` and `batch` are 0-based indices (the message counts from 1, like
    the progress bar), so `epoch` is also the number of completed epochs and
    `checkpoint` (the newest, last good one, or None) is `.../ckpt-<epoch>`.
    """

    def __init__(self, message: str, epoch: int, batch: int, checkpoint: Optional[str]) -> None:
        super().__init__(message)
        self.epoch = epoch
        self.batch = batch
        self.checkpoint = checkpoint  # the last good checkpoint's path prefix, or None


class History:
    """What `fit` returns: per-epoch figures, like Keras's `History`.

    `history` maps `loss`, each metric, and `val_` versions of them to one
    float per epoch; `epoch` lists the epochs' indices; `epoch_times` the
    seconds each epoch took (training and validation).
    """

    def __init__(self, history: Optional[Dict[str, List[float]]] = None,
                 epoch: Optional[List[int]] = None,
                 epoch_times: Optional[List[float]] = None) -> None:
        self.history = {k: list(v) for k, v in (history or {}).items()}
        self.epoch = list(epoch or [])
        self.epoch_times = list(epoch_times or [])

    def append(self, epoch: int, logs: Dict[str, float], seconds: float) -> None:
        self.epoch.append(int(epoch))
        self.epoch_times.append(float(seconds))
        for key, value in logs.items():
            self.history.setdefault(key, []).append(float(value))

    def to_dict(self) -> Dict[str, Any]:
        return {"history": self.history, "epoch": self.epoch, "epoch_times": self.epoch_times}

    def __repr__(self):
        return "History(epochs=%d, keys=%s)" % (len(self.epoch), sorted(self.history))


# ---------------------------------------------------------------------------
# Checking the arguments before anything runs
# ---------------------------------------------------------------------------

def _check_batch_size(model, batch_size, what):
    fixed = model.batch_size
    if batch_size is None:
        return fixed or DEFAULT_BATCH_SIZE
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) \
            or batch_size <= 0:
        raise ValueError("%s: batch_size must be a positive int, got %r" % (what, batch_size))
    if fixed is not None and batch_size != fixed:
        raise ValueError(
            "%s: batch_size=%d, but the model's inputs have a fixed batch size of %d"
            % (what, batch_size, fixed))
    return int(batch_size)


def _check_array(array, placeholder, what, role):
    if placeholder is None:
        raise ValueError("%s: the model has no %s placeholder" % (what, role))
    array = np.asarray(array)
    shape = placeholder.shape
    if shape.rank is not None:
        if array.ndim != shape.rank or not shape[1:].is_compatible_with(array.shape[1:]):
            raise ValueError(
                "%s: %s has shape %s, but the model's %s placeholder %r takes (batch, %s)"
                % (what, role, array.shape, role, placeholder.name,
                   ", ".join("None" if d is None else str(d) for d in shape.as_list()[1:])))
    return array


def _check_data(model: Any, x: Any, y: Any, batch_size: int, what: str,
                y_role: str = "y") -> Tuple[np.ndarray, Any]:
    x = _check_array(x, model.inputs, what, "x")
    n = len(x)
    if y is not None:
        y = _check_array(y, model.targets, what, y_role)
        if len(y) != n:
            raise ValueError("%s: x has %d rows but %s has %d" % (what, n, y_role, len(y)))
    if n == 0:
        raise ValueError("%s: x is empty" % what)
    if model.batch_size is not None and n % batch_size:
        raise ValueError(
            "%s: the model has a fixed batch size of %d (a stateful layer), so the row count "
            "must be a multiple of it; got %d rows. Keep the first %d rows."
            % (what, batch_size, n, n - n % batch_size))
    return x, y


def _check_steps_per_run(steps_per_run):
    if isinstance(steps_per_run, bool) or not isinstance(steps_per_run, (int, np.integer)) \
            or steps_per_run <= 0:
        raise ValueError("fit: steps_per_run must be a positive int (training steps per session "
                         "run; 1 = one run per batch), got %r" % (steps_per_run,))
    return int(steps_per_run)


def _batches(order, batch_size):
    """Consecutive slices of `order`; the last one may be shorter (never dropped)."""
    return [order[start:start + batch_size] for start in range(0, len(order), batch_size)]


def epoch_order(n: int, epoch: int, seed: int, shuffle: bool = True) -> np.ndarray:
    """The order of the `n` rows in epoch `epoch`: a permutation drawn from (seed, epoch).

    Seeding from the pair (not from a generator that advanced through earlier
    epochs) makes epoch k's order independent of whether epochs 0..k-1 ran in
    this process, which is what lets a resumed run match an uninterrupted one.
    """
    if not shuffle:
        return np.arange(n)
    return np.random.default_rng([int(seed), int(epoch)]).permutation(n)


# ---------------------------------------------------------------------------
# Initialisation, evaluation, prediction
# ---------------------------------------------------------------------------

def initialize(model: TrainGraph, session: Any) -> None:
    """Initialize the variables that are not yet initialized.

    A fresh session runs `model.init_op`. Variables already holding values
    (set by `set_weights`, restored from a checkpoint) are left alone, so
    weights copied in before `fit` are the ones trained.
    """
    missing = {name.decode() for name in session.run(model._uninitialized)}
    if not missing:
        return
    if len(missing) == len(model.variables):
        session.run(model.init_op)
    else:
        session.run([v.initializer for v in model.variables if v.op.name in missing])


def reset_states(model: TrainGraph, session: Any) -> None:
    """Run the stateful layers' reset ops (nothing if there are none)."""
    if model.reset_ops:
        session.run(model.reset_ops)


def evaluate(model: TrainGraph, session: Any, x: ArrayLike, y: ArrayLike,
             batch_size: Optional[int] = None,
             sample_weight: Optional[ArrayLike] = None) -> Dict[str, float]:
    """Loss and metrics on `(x, y)` with the weights fixed: `{"loss": ..., "accuracy": ...}`.

    Each figure is the mean over all rows: batch means weighted by batch size,
    the last partial batch included. Stateful layers are reset first.
    `sample_weight`: one weight per row, for a model with `sample_weights` (Keras's).
    """
    batch_size = _check_batch_size(model, batch_size, "evaluate")
    x, y = _check_data(model, x, y, batch_size, "evaluate")
    if model.loss is None:
        raise ValueError("evaluate: the model has no loss tensor")
    weights = weighting.row_weights(model, y, sample_weight, None, "evaluate")
    return _evaluate(model, session, x, y, batch_size, weights)


def _evaluate(model, session, x, y, batch_size, weights=None):
    reset_states(model, session)
    names = ["loss"] + list(model.metrics)
    fetches = [model.loss] + [model.metrics[k] for k in model.metrics]
    totals = np.zeros(len(names))
    for rows in _batches(np.arange(len(x)), batch_size):
        feed = {model.inputs: x[rows], model.targets: y[rows]}
        if weights is not None:
            feed[model.sample_weights] = weights[rows]
        values = session.run(fetches, feed)
        totals += len(rows) * np.asarray(values, dtype=np.float64)
    return {name: float(total / len(x)) for name, total in zip(names, totals)}


def predict(model: TrainGraph, session: Any, x: ArrayLike,
            batch_size: Optional[int] = None) -> np.ndarray:
    """The model's predictions for every row of `x`, batch by batch, as one array.

    Stateful layers are reset first.
    """
    batch_size = _check_batch_size(model, batch_size, "predict")
    x, _ = _check_data(model, x, None, batch_size, "predict")
    if model.predictions is None:
        raise ValueError("predict: the model has no predictions tensor")
    reset_states(model, session)
    outputs = [session.run(model.predictions, {model.inputs: x[rows]})
               for rows in _batches(np.arange(len(x)), batch_size)]
    return np.concatenate(outputs, axis=0)


# ---------------------------------------------------------------------------
# fit
# ---------------------------------------------------------------------------

def fit(model: TrainGraph, session: Any, x: ArrayLike, y: ArrayLike, epochs: int,
        batch_size: Optional[int] = None, shuffle: bool = True,
        validation_data: Optional[Sequence[Any]] = None, checkpoint_dir: Optional[str] = None,
        seed: Optional[int] = None, progress: bool = True, initial_epoch: Optional[int] = None,
        on_epoch_end: Optional[Callable[[int, Dict[str, float]], Any]] = None,
        steps_per_run: int = 1, callbacks: Optional[Sequence[Any]] = None,
        sample_weight: Optional[ArrayLike] = None,
        class_weight: Optional[Dict[int, float]] = None) -> "History":
    """Train `model` on `(x, y)` until `epochs` epochs are done; return a `History`.

    Args:
      model: a `TrainGraph`; `session` a session on its graph.
      x, y: arrays with one row per example.
      epochs: the total number of epochs (as in Keras: a run resumed after 2
        epochs with `epochs=4` trains 2 more).
      batch_size: rows per step; default the model's fixed batch size, else 32.
      shuffle: a new row order each epoch, drawn from `(seed, epoch)`.
      validation_data: `(x_val, y_val)` or `(x_val, y_val, sample_weight_val)`, evaluated
        after each epoch (`val_loss`, ...).
      checkpoint_dir: save after every epoch there; resume from its newest
        checkpoint (weights, optimizer state, epoch counter, history, seed,
        the callbacks' state).
      seed: the shuffling seed; default the one saved in the checkpoint, else
        the graph's seed, else a fresh random one (saved with the checkpoint).
      progress: show a tqdm bar per epoch with the running loss and metrics.
      initial_epoch: the epoch to start at (default: 0, or the checkpoint's).
      on_epoch_end: `f(epoch, logs)` after each epoch (and its checkpoint);
        returning True stops training.
      steps_per_run: training steps per session run (Keras's `steps_per_execution`).
        1: one run per batch. N > 1: each group of N full batches trains in one
        run of `model.multi_step(N, batch_size)` (same updates, same History,
        N times fewer runs: worth it when a step is cheaper than the run's
        fixed cost); the batches left over (fewer than N full ones, a partial
        last one) run one at a time. A value above the epoch's number of full
        batches is cut to it (the whole epoch in one run). The progress bar
        advances N batches at a time.
      callbacks: a list of `tfcore.callbacks.Callback` (EarlyStopping,
        ReduceLROnPlateau, ModelCheckpoint, CSVLogger, TensorBoard, ...), called
        as Keras 2 calls them (see `tfcore.callbacks`).
      sample_weight: one weight per row of `x`; class_weight: `{class: weight}` (Keras 2's;
        `tfcore.weighting`). Both need a model built with `sample_weights`.

    Raises:
      ValueError / TypeError: bad arguments, before anything runs.
      NonFiniteLossError: the loss became NaN or infinite (unless a
        `TerminateOnNaN` callback asks to stop quietly).
      KeyboardInterrupt: re-raised after saying where the last good checkpoint is.
    """
    batch_size, steps_per_run, x, y, validation_data = _check_fit(
        model, x, y, epochs, batch_size, steps_per_run, validation_data, shuffle)
    weights = weighting.row_weights(model, y, sample_weight, class_weight, "fit")
    history, start, seed, saved_callbacks = _start(
        model, session, checkpoint_dir, seed, initial_epoch, progress, epochs)
    steps = _Steps(model, session, len(x), batch_size, steps_per_run)
    hooks = CallbackList(callbacks, model, session, dict(
        epochs=epochs, initial_epoch=start, steps=steps.per_epoch, batch_size=batch_size, steps_per_run=steps_per_run,
        checkpoint_dir=checkpoint_dir, verbose=int(bool(progress)),
        sample_batch=_first_batch((validation_data or (x, y))[:2], batch_size)))
    hooks.on_train_begin(saved_callbacks)
    epoch = None
    try:
        for epoch in range(start, epochs):
            hooks.on_epoch_begin(epoch)
            began = time.perf_counter()
            reset_states(model, session)
            order = epoch_order(len(x), epoch, seed, shuffle)
            with _progress_bar(progress, steps.per_epoch, epoch, epochs) as bar:
                logs = steps.train_epoch((x, y, weights), order, bar, hooks, epoch, checkpoint_dir)
                if logs is None:  # a non-finite loss, and a callback chose to stop quietly
                    break
                if validation_data is not None:
                    x_val, y_val, w_val = validation_data
                    val = _evaluate(model, session, x_val, y_val, batch_size, w_val)
                    logs.update({"val_" + k: v for k, v in val.items()})
                    bar.set_postfix(_format(logs), refresh=True)
            seconds = time.perf_counter() - began
            hooks.on_epoch_end(epoch, logs)
            history.append(epoch, logs, seconds)
            if checkpoint_dir:
                _save(model, session, checkpoint_dir, epoch, history, seed, hooks)
            if on_epoch_end is not None and on_epoch_end(epoch, logs):
                break
            if model.stop_training:
                break
    except KeyboardInterrupt:
        _say_interrupted(epoch, steps.batch_index, checkpoint_dir)
        raise
    hooks.on_train_end()
    return history


# ---------------------------------------------------------------------------
# fit's steps, in the order fit takes them
# ---------------------------------------------------------------------------

def _check_fit(model: Any, x: Any, y: Any, epochs: int, batch_size: Any, steps_per_run: int,
               validation_data: Any, shuffle: bool) -> Tuple[int, int, np.ndarray, Any, Any]:
    """Every argument checked before anything runs; returns them normalised."""
    if model.train_op is None or model.train_loss is None:
        raise ValueError("fit: the model needs a loss and a train_op")
    if isinstance(epochs, bool) or not isinstance(epochs, (int, np.integer)) or epochs < 0:
        raise ValueError("fit: epochs must be a non-negative int, got %r" % (epochs,))
    batch_size = _check_batch_size(model, batch_size, "fit")
    steps_per_run = _check_steps_per_run(steps_per_run)
    x, y = _check_data(model, x, y, batch_size, "fit")
    if validation_data is not None:
        if not isinstance(validation_data, (tuple, list)) or len(validation_data) not in (2, 3):
            raise TypeError("fit: validation_data must be a pair (x_val, y_val) or a triple "
                            "(x_val, y_val, sample_weight_val)")
        what = "fit (validation_data)"
        x_val, y_val = _check_data(model, validation_data[0], validation_data[1], batch_size, what,
                                   y_role="y_val")
        w_val = validation_data[2] if len(validation_data) == 3 else None
        validation_data = (x_val, y_val, weighting.row_weights(model, y_val, w_val, None, what))
    if shuffle and model.reset_ops:
        warnings.warn("fit: shuffling a stateful model breaks the state carried from one "
                      "batch to the next; pass shuffle=False", stacklevel=3)
    return batch_size, steps_per_run, x, y, validation_data


# The v1 Saver keeps its list of checkpoints (max_to_keep) through helpers of its own
# that TensorFlow has deprecated (deleting old ones, reading their times back on
# resume); tf.compat.v1 has no other Saver, so exactly those notices are filtered.
_SAVER_DEPRECATIONS = ("remove_checkpoint", "get_checkpoint_mtimes")


def _start(model, session, checkpoint_dir, seed, initial_epoch, progress, epochs):
    """Where training starts: a checkpoint, or a fresh (or already set-up) session.

    Returns `(history, first epoch, shuffling seed, the callbacks' saved state or None)`.
    A run a callback stopped (EarlyStopping) is complete: resumed, it trains no
    more epochs (unless `initial_epoch` says where to go on).
    """
    model.stop_training = False
    with quiet.deprecations_filtered(*_SAVER_DEPRECATIONS):
        state = checkpoint_lib.restore(model, session, checkpoint_dir) if checkpoint_dir else None
    history, start, saved_callbacks = History(), 0, None
    if state is None:
        initialize(model, session)
    else:
        start = state["epoch"]
        history = History(state["history"], list(range(start)), state["epoch_times"])
        saved_callbacks = state.get("callbacks")
        if seed is None:
            seed = state.get("seed")
        _say(progress, "Resumed from %s after epoch %d." % (checkpoint_lib.latest(checkpoint_dir), start))
        _warn_of_other_learning_rates(model, session, state, checkpoint_dir)
        if state.get("stopped") and initial_epoch is None and start < epochs:
            warnings.warn("fit: the run in %s was stopped by a callback (EarlyStopping, ...) after "
                          "epoch %d: it is complete, no epoch is trained. To train on anyway, pass "
                          "initial_epoch=%d; or start afresh." % (checkpoint_dir, start, start),
                          stacklevel=3)
            start = epochs
    if seed is None:
        seed = model.graph.seed
    if seed is None:
        seed = int(np.random.SeedSequence().entropy % 2**63)
    if initial_epoch is not None:
        start = int(initial_epoch)
    return history, start, seed, saved_callbacks


def _first_batch(data, batch_size):
    """The first `batch_size` rows of `(x, y)`: a fixed batch callbacks may inspect (TensorBoard)."""
    return tuple(array[:batch_size] for array in data)


def _progress_bar(progress, total, epoch, epochs):
    return tqdm.tqdm(total=total, desc="Epoch %d/%d" % (epoch + 1, epochs), unit="batch",
                     disable=not progress, leave=True, file=sys.stderr)


def _built_learning_rates(model, session):
    """The learning rates as the model's builder set them (the variables' initial values)."""
    with session.graph.as_default():  # a session made without `with` leaves no graph current
        return [float(r) for r in session.run([v.initial_value for v in model.learning_rates])]


def _warn_of_other_learning_rates(model, session, state, checkpoint_dir):
    """The rule: a resumed run goes on with the checkpoint's learning rate (which a schedule or
    ReduceLROnPlateau may have changed). A builder changed since is said, never silently lost."""
    saved, built = state.get("built_learning_rates"), _built_learning_rates(model, session)
    if saved is not None and saved != built:
        warnings.warn(
            "fit: the model is built with learning rate(s) %s, but the run in %s was built with %s; "
            "resuming goes on with the checkpoint's value(s) %s. To train with the new rate, start "
            "afresh (another checkpoint_dir), or call model.set_learning_rate(session, lr) after "
            "the resume." % (built, checkpoint_dir, saved,
                             [float(r) for r in session.run(model.learning_rates)]), stacklevel=4)


def _save(model, session, checkpoint_dir, epoch, history, seed, callbacks):
    """The checkpoint of a completed epoch: variables, History, seed, callbacks' state, whether a
    callback stopped the run there, and the learning rates the builder set."""
    state = dict(history.to_dict(), seed=int(seed), callbacks=callbacks.get_states(),
                 stopped=bool(model.stop_training),
                 built_learning_rates=_built_learning_rates(model, session))
    with quiet.deprecations_filtered(*_SAVER_DEPRECATIONS):
        checkpoint_lib.save(model, session, checkpoint_dir, epoch + 1, state)


class _Steps:
    """An epoch's training steps: one session run per batch, or N per run (`multi_step`)."""

    def __init__(self, model, session, rows, batch_size, steps_per_run):
        self.model, self.batch_size = model, batch_size
        self.per_epoch = -(-rows // batch_size)
        self.names = ["loss"] + list(model.metrics)
        self.batch_index = None  # the batch running now (None between epochs), for messages
        # One training step as a callable: the same feeds as session.run(fetches, feed_dict),
        # with the fetch/feed bookkeeping done once instead of at every step.
        feeds = [model.inputs, model.targets] + \
            ([model.sample_weights] if model.sample_weights is not None else []) + \
            ([model.training] if model.training is not None else [])
        self.switch = [True] if model.training is not None else []
        fetches = [model.train_op, model.train_loss] + [model.train_metrics[k] for k in model.metrics]
        options = model.step_options(batch_size)
        self.one_step = model.callable(session, fetches, feeds, options)
        # N steps per run: only full batches can be stacked, and never more than an epoch holds.
        self.full_batches = rows // batch_size
        self.group = min(steps_per_run, self.full_batches)
        if self.group > 1:
            multi = model.multi_step(self.group, batch_size)
            stacked = [multi.xs, multi.ys] + ([multi.ws] if multi.ws is not None else [])
            self.n_steps = model.callable(session, [multi.values, multi.steps_run], stacked, options)

    def run(self, data, batches):
        """Train on the batches from `self.batch_index` on: one batch, or a group of N.

        `data` is `(x, y, weights)` (weights None when the model takes none).
        Returns one row `[loss, metric, ...]` (float64) per batch that ran; a group
        stops after a non-finite loss, so that batch's row is the last.
        """
        arrays = [a for a in data if a is not None]
        first = self.batch_index
        if self.group > 1 and first + self.group <= self.full_batches:
            rows = np.concatenate(batches[first:first + self.group])
            stacked = (self.group, self.batch_size)
            values, ran = self.n_steps(*(a[rows].reshape(stacked + a.shape[1:]) for a in arrays))
            return values[:ran]
        rows = batches[first]
        return [np.asarray(self.one_step(*(a[rows] for a in arrays), *self.switch)[1:],
                           dtype=np.float64)]

    def train_epoch(self, data, order, bar, callbacks, epoch, checkpoint_dir):
        """Every batch of `order` once; the epoch's logs (batch means weighted by batch size).

        Returns None when the loss became non-finite and a callback (TerminateOnNaN)
        set `stop_training`; without one, raises `NonFiniteLossError`.
        """
        batches = _batches(order, self.batch_size)
        totals, seen = np.zeros(len(self.names)), 0
        self.batch_index = 0
        while self.batch_index < len(batches):
            if callbacks.batch_hooks:
                callbacks.on_train_batch_begin(self.batch_index)
            runs = self.run(data, batches)
            for values in runs:  # batch by batch, exactly as with one run per batch
                if not np.isfinite(values[0]):
                    callbacks.on_train_batch_end(self.batch_index, dict(zip(self.names, values)))
                    if self.model.stop_training:
                        return None
                    raise _non_finite(values[0], epoch, self.batch_index, checkpoint_dir)
                size = len(batches[self.batch_index])
                totals += size * values
                seen += size
                self.batch_index += 1
            if callbacks.batch_hooks:
                callbacks.on_train_batch_end(self.batch_index - 1,
                                             dict(zip(self.names, (totals / seen).tolist())))
            if not bar.disable:  # formatting the running figures costs more than a small step
                bar.update(len(runs))
                bar.set_postfix(_format(dict(zip(self.names, totals / seen))), refresh=False)
        self.batch_index = None
        return dict(zip(self.names, (totals / seen).tolist()))


def _say_interrupted(epoch, batch_index, checkpoint_dir):
    where = "before the first epoch" if epoch is None else "in epoch %d" % (epoch + 1)
    if batch_index is not None:
        where += ", batch %d" % (batch_index + 1)
    last = checkpoint_lib.latest(checkpoint_dir)
    if last:
        then = "the last completed epoch is saved as %s; fit(..., checkpoint_dir=%r) resumes there." % (
            last, checkpoint_dir)
    else:
        then = "no checkpoint was saved (pass checkpoint_dir= to be able to resume)."
    print("\nfit: interrupted %s; %s" % (where, then), file=sys.stderr)


def _non_finite(value, epoch, batch_index, checkpoint_dir):
    last = checkpoint_lib.latest(checkpoint_dir)
    return NonFiniteLossError(
        "fit: the loss is %s in epoch %d, batch %d; training stopped and nothing was saved. "
        "The session's weights are suspect; %s Lower the learning rate or check the data "
        "for NaN/inf." % (
            value, epoch + 1, batch_index + 1,
            "the last good checkpoint is %s (tfcore.checkpoint.restore loads it)." % last
            if last else "there is no checkpoint to go back to."),
        epoch=epoch, batch=batch_index, checkpoint=last)


def _format(logs):
    return {k: "%.4g" % v for k, v in logs.items()}


def _say(progress, message):
    if progress:
        print(message, file=sys.stderr)
