"""Callbacks: code `fit` runs at fixed moments of training, with Keras 2's names and semantics.

`fit` calls each callback's hooks in this order (`logs` is a dict of floats):

    on_train_begin(logs)
    for epoch in range(initial_epoch, epochs):
        on_epoch_begin(epoch, logs)
        for each session run (one batch, or a group of N with steps_per_run=N):
            on_train_batch_begin(batch, logs)
            ... the training step(s) ...
            on_train_batch_end(batch, logs)        logs: loss and metrics, running means
        on_epoch_end(epoch, logs)                  logs: loss, metrics, val_*, and lr
        (History records logs, the checkpoint saves weights and callback state)
        stop if a callback set model.stop_training
    on_train_end(logs)

A callback reaches the run through three attributes, set by `fit` before
`on_train_begin`: `self.model` (the `tfcore.train.TrainGraph`: its graph,
tensors, `stop_training` flag, `get_weights`/`set_weights` and
`get_learning_rate`/`set_learning_rate`), `self.session` and `self.params`
(`epochs`, `steps` per epoch, `batch_size`, `steps_per_run`, `checkpoint_dir`,
`verbose`).

With `steps_per_run=N`, N batches train in one session run, so the batch hooks
run once per group, as Keras 2 does with `steps_per_execution`: `batch` is the
group's first batch index in `on_train_batch_begin` and its last in
`on_train_batch_end`. `fit` calls the batch hooks only if some callback
overrides them: a hook per batch costs time a small model's step does not have.

**Exact resume.** A callback whose decisions depend on earlier epochs
(EarlyStopping's patience, ReduceLROnPlateau's cooldown, ModelCheckpoint's
best value and count of batches) returns that memory from `get_state()` as a
JSON-able dict; `fit` saves it with every checkpoint and hands it back through
`set_state(state)` after `on_train_begin` when it resumes, so a resumed run
makes the same decisions, at the same epochs, as an uninterrupted one. (Keras 2 has no such
hook: its callbacks start over after a restart.)
"""

from __future__ import annotations

import csv
import io
import math
import os
import sys
import warnings
from typing import Any, Callable, Sequence

import numpy as np
import tensorflow as tf

from tfcore import checkpoint as checkpoint_lib
from tfcore import weighting

Logs = dict[str, Any]
"""What a hook receives: metric name -> value (`{"loss": 0.31, "val_accuracy": 0.9}`)."""


def _say(message):
    print(message, file=sys.stderr)


class Callback:
    """The base class: every hook does nothing. Override the moments you need."""

    def __init__(self) -> None:
        self.model: Any = None  # the TrainGraph being fitted, once `set_model` ran
        self.session: Any = None
        self.params: dict[str, Any] = {}

    def set_model(self, model: Any, session: tf.compat.v1.Session) -> None:
        self.model = model
        self.session = session

    def set_params(self, params: dict[str, Any]) -> None:
        self.params = dict(params)

    def on_train_begin(self, logs: Logs | None = None) -> None:
        pass

    def on_train_end(self, logs: Logs | None = None) -> None:
        pass

    def on_epoch_begin(self, epoch: int, logs: Logs | None = None) -> None:
        pass

    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None:
        pass

    def on_train_batch_begin(self, batch: int, logs: Logs | None = None) -> None:
        pass

    def on_train_batch_end(self, batch: int, logs: Logs | None = None) -> None:
        pass

    def get_state(self) -> dict[str, Any]:
        """What this callback remembers across epochs, as a JSON-able dict (saved with checkpoints)."""
        return {}

    def set_state(self, state: dict[str, Any]) -> None:
        """Take back what `get_state` returned (a resumed run)."""


def overrides(callback: Callback, hook: str) -> bool:
    """True when `callback`'s class (or instance, for LambdaCallback) replaces the base `hook`."""
    return hook in vars(callback) or getattr(type(callback), hook) is not getattr(Callback, hook)


class _Monitor:
    """Which way a monitored figure improves: Keras's `mode` ("auto", "min", "max")."""

    def __init__(self, owner, monitor, mode, auto_max):
        if mode not in ("auto", "min", "max"):
            raise ValueError("%s: mode must be 'auto', 'min' or 'max', got %r" % (owner, mode))
        self.owner, self.monitor = owner, monitor
        self.greater = mode == "max" or (mode == "auto" and auto_max(monitor))

    def worst(self):
        return -np.inf if self.greater else np.inf

    def value(self, logs):
        """`logs[monitor]`, or None with Keras's warning listing the figures there are."""
        value = (logs or {}).get(self.monitor)
        if value is None:
            tf.compat.v1.logging.warning(
                "%s conditioned on metric `%s` which is not available. Available metrics are: %s",
                self.owner, self.monitor, ",".join(logs or {}))
        return value


class EarlyStopping(Callback):
    """Stop training when a monitored figure has stopped improving (Keras 2's EarlyStopping).

    After each epoch (from `start_from_epoch` on), with `current = logs[monitor]`:

        wait += 1
        if current improves on best by more than min_delta:
            best = current;  (snapshot the weights if restore_best_weights)
            if baseline is None or current improves on baseline: wait = 0
        elif wait >= patience and epoch > 0:
            stop training

    `mode="auto"` maximises figures whose name ends in acc/accuracy/auc and
    minimises the rest. With `restore_best_weights`, training ends with the
    weights of the best epoch (Keras 2.x restores them whenever a best epoch
    exists, stopped or not). The weights are `model.get_weights`: every variable
    but the optimizer's state and the epoch counter.

    Resume: `wait`, `best`, `best_epoch` and `stopped_epoch` are saved with
    each checkpoint; the best weights too, as `early_stopping_best.npz` in the
    checkpoint directory (when `fit` has one).
    """

    def __init__(self, monitor: str = "val_loss", min_delta: float = 0, patience: int = 0,
                 verbose: int = 0, mode: str = "auto", baseline: float | None = None,
                 restore_best_weights: bool = False, start_from_epoch: int = 0) -> None:
        super().__init__()
        self._monitor = _Monitor("EarlyStopping", monitor, mode,
                                 lambda m: m.endswith(("acc", "accuracy", "auc")))
        self.monitor, self.patience, self.verbose = monitor, int(patience), verbose
        self.baseline, self.restore_best_weights = baseline, bool(restore_best_weights)
        self.start_from_epoch = int(start_from_epoch)
        # Keras signs min_delta so that "current - min_delta improves on best" in either mode.
        self.min_delta = abs(min_delta) * (1 if self._monitor.greater else -1)
        self.best_weights: list[np.ndarray] | None = None

    def _improves(self, value, reference):
        shifted = value - self.min_delta
        return shifted > reference if self._monitor.greater else shifted < reference

    def on_train_begin(self, logs: Logs | None = None) -> None:
        self.wait, self.stopped_epoch, self.best_epoch = 0, 0, 0
        self.best = self._monitor.worst()
        self.best_weights = None

    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None:
        current = self._monitor.value(logs)
        if current is None or epoch < self.start_from_epoch:
            return
        if self.restore_best_weights and self.best_weights is None:
            self._snapshot(epoch)
        self.wait += 1
        if self._improves(current, self.best):
            self.best, self.best_epoch = float(current), epoch
            if self.restore_best_weights:
                self._snapshot(epoch)
            if self.baseline is None or self._improves(current, self.baseline):
                self.wait = 0
            return
        if self.wait >= self.patience and epoch > 0:
            self.stopped_epoch = epoch
            self.model.stop_training = True

    def on_train_end(self, logs: Logs | None = None) -> None:
        if self.stopped_epoch > 0 and self.verbose > 0:
            _say("Epoch %d: early stopping" % (self.stopped_epoch + 1))
        if self.restore_best_weights and self.best_weights is not None:
            if self.verbose > 0:
                _say("Restoring model weights from the end of the best epoch: %d."
                     % (self.best_epoch + 1))
            self.model.set_weights(self.session, self.best_weights)

    def _snapshot(self, epoch):
        self.best_weights = self.model.get_weights(self.session)
        path = self._weights_path()
        if path:
            os.makedirs(os.path.dirname(path), exist_ok=True)
            temporary = path + ".tmp.npz"
            np.savez(temporary, *self.best_weights)
            os.replace(temporary, path)

    def _weights_path(self):
        directory = self.params.get("checkpoint_dir")
        return os.path.join(directory, "early_stopping_best.npz") if directory else None

    def get_state(self) -> dict[str, Any]:
        return {"wait": self.wait, "best": _json_float(self.best), "best_epoch": self.best_epoch,
                "stopped_epoch": self.stopped_epoch, "has_best_weights": self.best_weights is not None}

    def set_state(self, state: dict[str, Any]) -> None:
        self.wait, self.best_epoch = int(state["wait"]), int(state["best_epoch"])
        self.best, self.stopped_epoch = float(state["best"]), int(state["stopped_epoch"])
        path = self._weights_path()
        if state.get("has_best_weights") and path and os.path.exists(path):
            with np.load(path) as saved:
                self.best_weights = [saved["arr_%d" % i] for i in range(len(saved.files))]


def _json_float(value):
    """JSON has no inf: store it as a string float() reads back."""
    value = float(value)
    return value if math.isfinite(value) else repr(value)


class ReduceLROnPlateau(Callback):
    """Multiply the learning rate by `factor` when a figure stops improving (Keras 2's).

    After each epoch, with `current = logs[monitor]` (and `logs["lr"]` set to
    the base learning rate, as Keras does):

        if cooling down: cooldown_counter -= 1; wait = 0
        if current improves on best by more than min_delta: best = current; wait = 0
        elif not cooling down:
            wait += 1
            if wait >= patience and lr > min_lr:
                lr = max(lr * factor, min_lr); cooldown_counter = cooldown; wait = 0

    `mode="auto"` maximises figures whose name contains "acc". The rate changed
    is the optimizer's base rate (`model.set_learning_rate`): a Keras 2 time
    decay keeps dividing it by (1 + decay k).
    """

    def __init__(self, monitor: str = "val_loss", factor: float = 0.1, patience: int = 10,
                 verbose: int = 0, mode: str = "auto", min_delta: float = 1e-4, cooldown: int = 0,
                 min_lr: float = 0) -> None:
        super().__init__()
        if not 0 < factor < 1:
            raise ValueError("ReduceLROnPlateau: factor must be in (0, 1), got %r" % (factor,))
        self._monitor = _Monitor("Learning rate reduction", monitor, mode, lambda m: "acc" in m)
        self.monitor, self.factor, self.patience, self.verbose = monitor, factor, patience, verbose
        self.min_delta, self.cooldown, self.min_lr = min_delta, cooldown, min_lr

    def on_train_begin(self, logs: Logs | None = None) -> None:
        self.best, self.wait, self.cooldown_counter = self._monitor.worst(), 0, 0

    def _improves(self, value):
        if self._monitor.greater:
            return value > self.best + self.min_delta
        return value < self.best - self.min_delta

    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None:
        logs = logs if logs is not None else {}
        logs["lr"] = self.model.get_learning_rate(self.session)
        current = self._monitor.value(logs)
        if current is None:
            return
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.wait = 0
        if self._improves(current):
            self.best, self.wait = float(current), 0
        elif self.cooldown_counter <= 0:
            self.wait += 1
            if self.wait >= self.patience:
                old = logs["lr"]
                if old > np.float32(self.min_lr):
                    new = max(old * self.factor, self.min_lr)
                    self.model.set_learning_rate(self.session, new)
                    if self.verbose > 0:
                        _say("\nEpoch %d: ReduceLROnPlateau reducing learning rate to %s."
                             % (epoch + 1, new))
                    self.cooldown_counter, self.wait = self.cooldown, 0

    def get_state(self) -> dict[str, Any]:
        return {"best": _json_float(self.best), "wait": self.wait,
                "cooldown_counter": self.cooldown_counter}

    def set_state(self, state: dict[str, Any]) -> None:
        self.best, self.wait = float(state["best"]), int(state["wait"])
        self.cooldown_counter = int(state["cooldown_counter"])


class LearningRateScheduler(Callback):
    """Set the learning rate at each epoch's start to `schedule(epoch, lr)` (Keras 2's).

    `schedule` takes the epoch index and the current base rate (or, if it takes
    one argument, the epoch only) and returns the new rate. `logs["lr"]` at the
    epoch's end records it. The rate lives in the graph, so checkpoints save it.
    """

    def __init__(self, schedule: Callable[..., float], verbose: int = 0) -> None:
        super().__init__()
        if not callable(schedule):
            raise TypeError("LearningRateScheduler: schedule must be callable, got %r" % (schedule,))
        self.schedule, self.verbose = schedule, verbose

    def on_epoch_begin(self, epoch: int, logs: Logs | None = None) -> None:
        lr = self.model.get_learning_rate(self.session)
        try:
            lr = self.schedule(epoch, lr)
        except TypeError:  # Keras's fallback: a schedule of the epoch alone
            lr = self.schedule(epoch)
        if isinstance(lr, bool) or not isinstance(lr, (float, int, np.floating, np.integer)):
            raise ValueError('The output of the "schedule" function should be float. Got: %r' % (lr,))
        self.model.set_learning_rate(self.session, float(lr))
        if self.verbose > 0:
            _say("\nEpoch %d: LearningRateScheduler setting learning rate to %s." % (epoch + 1, lr))

    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None:
        if logs is not None:
            logs["lr"] = self.model.get_learning_rate(self.session)


class TerminateOnNaN(Callback):
    """Stop training quietly when the loss becomes NaN or infinite (Keras 2's TerminateOnNaN).

    `fit` always stops at a non-finite loss; without this callback it raises
    `NonFiniteLossError`. With it, `fit` prints Keras's message and returns the
    History of the completed epochs instead. Either way the unfinished epoch is
    not recorded and nothing is saved (its weights are suspect).
    """

    def on_train_batch_end(self, batch: int, logs: Logs | None = None) -> None:
        loss = (logs or {}).get("loss")
        if loss is not None and not np.isfinite(loss):
            _say("Batch %d: Invalid loss, terminating training" % batch)
            self.model.stop_training = True


Hook = Callable[..., Any] | None
"""A LambdaCallback hook: a function of the hook's arguments (`epoch, logs`), or None."""


class LambdaCallback(Callback):
    """A callback from plain functions, as Keras 2's: `LambdaCallback(on_epoch_end=f, ...)`.

    Each argument takes the hook's arguments: `on_epoch_begin(epoch, logs)`,
    `on_epoch_end(epoch, logs)`, `on_train_batch_begin(batch, logs)`,
    `on_train_batch_end(batch, logs)` (`on_batch_begin`/`on_batch_end` are the
    same, Keras's older names), `on_train_begin(logs)`, `on_train_end(logs)`.
    """

    def __init__(self, on_epoch_begin: Hook = None, on_epoch_end: Hook = None,
                 on_batch_begin: Hook = None, on_batch_end: Hook = None,
                 on_train_begin: Hook = None, on_train_end: Hook = None,
                 on_train_batch_begin: Hook = None, on_train_batch_end: Hook = None) -> None:
        super().__init__()
        hooks = {"on_epoch_begin": on_epoch_begin, "on_epoch_end": on_epoch_end,
                 "on_train_batch_begin": on_train_batch_begin or on_batch_begin,
                 "on_train_batch_end": on_train_batch_end or on_batch_end,
                 "on_train_begin": on_train_begin, "on_train_end": on_train_end}
        for hook, function in hooks.items():
            if function is not None:
                setattr(self, hook, function)


class CSVLogger(Callback):
    """Write each epoch's logs as a row of a CSV file (Keras 2's CSVLogger).

    Columns: `epoch` then the logs' keys sorted (with `val_` twins added when
    there is no validation), one row per epoch, flushed at once so a crashed run
    keeps its rows. `append=True` continues an existing file (a resumed run)
    without a second header. A run killed after an epoch's row but before its
    checkpoint trains that epoch again when resumed: the rows of the epochs from
    fit's resume point on are dropped first (the file is rewritten atomically),
    so each epoch appears once, with the values of the run that kept it.
    """

    def __init__(self, filename: str | os.PathLike[str], separator: str = ",",
                 append: bool = False) -> None:
        super().__init__()
        self.filename, self.sep, self.append = os.fspath(filename), separator, append
        self.keys: list[str] | None = None
        self.writer: Any = None  # a csv.DictWriter on csv_file, while training
        self.csv_file: Any = None

    def on_train_begin(self, logs: Logs | None = None) -> None:
        self.append_header = True
        if self.append and os.path.exists(self.filename):
            self._drop_rows_from(self.params.get("initial_epoch"))
            with open(self.filename) as f:
                self.append_header = not f.readline()
        self.csv_file = open(self.filename, "a" if self.append else "w", newline="")

    def _drop_rows_from(self, start):
        """Remove the rows of epochs >= `start` (they are trained again now)."""
        if start is None:
            return
        with open(self.filename, newline="") as f:
            rows = list(csv.reader(f, delimiter=self.sep))
        kept = rows[:1] + [r for r in rows[1:] if not (r and r[0].isdigit() and int(r[0]) >= start)]
        if len(kept) < len(rows):
            text = io.StringIO()
            csv.writer(text, dialect=type("Dialect", (csv.excel,), {"delimiter": self.sep})).writerows(kept)
            checkpoint_lib.write_atomically(self.filename, text.getvalue())

    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None:
        logs = logs or {}
        if self.keys is None:
            self.keys = sorted(logs)
            if not any(k.startswith("val_") for k in self.keys):
                self.keys += ["val_" + k for k in self.keys]
        if self.writer is None:
            dialect = type("Dialect", (csv.excel,), {"delimiter": self.sep})
            self.writer = csv.DictWriter(self.csv_file, ["epoch"] + self.keys, dialect=dialect)
            if self.append_header:
                self.writer.writeheader()
        self.writer.writerow(dict({"epoch": epoch}, **{k: logs.get(k, "NA") for k in self.keys}))
        self.csv_file.flush()

    def on_train_end(self, logs: Logs | None = None) -> None:
        if self.csv_file is not None:
            self.csv_file.close()
        self.writer = self.csv_file = None


def _passed_a_multiple(before, after, every):
    """Whether counting from `before` to `after` (batches done) passed a multiple of `every`.

    With fit's steps_per_run the batch hooks see only each run's last batch, so a
    callback acting every N batches acts when a run passed a multiple, not only
    when one ends on it."""
    return after // every > before // every


def _check_save_freq(save_freq):
    """`"epoch"`, or a positive int (batches) as an int; anything else is a ValueError."""
    if isinstance(save_freq, str):
        if save_freq == "epoch":
            return save_freq
    elif isinstance(save_freq, (int, np.integer)) and not isinstance(save_freq, bool) \
            and save_freq > 0:
        return int(save_freq)
    raise ValueError('ModelCheckpoint: save_freq must be "epoch" or a positive int (a save every '
                     'that many batches), got %r' % (save_freq,))


class ModelCheckpoint(Callback):
    """Save the model each epoch or every N batches, or when a figure improves (Keras 2's).

    `filepath` may hold `{epoch}` (1-based, as Keras), the logs' keys
    (`"ckpt/weights-{epoch:02d}-{val_loss:.3f}"`) and, with an int `save_freq`,
    `{batch}` (the batch's 1-based index within its epoch, as Keras 2).

    What a save holds (a TensorFlow checkpoint: `<path>.index` and `.data-*`,
    each variable under its name in the graph), and how to load it:

      save_weights_only=False   every variable of the model (`model.variables`):
        (the default)           the weights, the optimizer's slots and counters,
                                the epoch counter: what training needs to go on.
                                `model.saver.restore(session, path)` loads it into
                                the same graph or one built the same way.
      save_weights_only=True    only `model.weights` (what `get_weights` returns:
                                trained weights, moving statistics, other model
                                state), no optimizer state, no epoch counter.
                                `tf.compat.v1.train.Saver(model.weights)
                                .restore(session, path)` loads it (`model.saver`
                                would look for the missing optimizer variables);
                                `fit` then trains on with a fresh optimizer, since
                                it initializes only the variables still
                                uninitialized.

    When it saves (`save_freq`):

      "epoch"   at each epoch's end, with the epoch's logs (val_* included).
      N (int)   after every N batches, counted over the whole run: across
                epochs, and across `fit` calls with the same callback, as Keras 2
                counts them. It saves at the end of batch k (counted from 1) when
                k is a multiple of N, and formats the filepath with the current
                epoch and the batch logs (the running means of the epoch so far:
                `loss` and the metrics, no val_*). Nothing is saved at an epoch's
                end. With `steps_per_run=G` the batch hooks run once per group of
                batches, so it saves at the first group end at or past each
                multiple of N (once, even if a group passes two multiples): about
                one save per N batches, as with one run per batch. (Keras 2 counts
                batches since its last save instead, so with
                `steps_per_execution` its saves drift: in 24 batches, N=4 and
                G=3, it saves after batches 6, 12, 18, 24; tfcore after 6, 9,
                12, 18, 21, 24. With one batch per run both save alike.)
                `{batch}` is then the group's last batch.
                No save at a batch whose loss is not finite: `fit` stops there,
                the weights are suspect.

    With `save_best_only`, it saves only when `logs[monitor]` beats the best so
    far (`mode="auto"`: max for names with "acc" or starting with "fmeasure").
    With an int `save_freq` the figure is read from the batch logs (as Keras 2),
    so monitor `loss` or a metric: `val_loss` is not there (a warning, no save).
    `initial_value_threshold` seeds the best value.

    Resume: the best value and the count of batches are saved with `fit`'s own
    checkpoints, so a resumed run saves at the same batches, and keeps the same
    best, as an uninterrupted one.
    """

    def __init__(self, filepath: str | os.PathLike[str], monitor: str = "val_loss",
                 verbose: int = 0, save_best_only: bool = False, save_weights_only: bool = False,
                 mode: str = "auto", save_freq: str | int = "epoch",
                 initial_value_threshold: float | None = None) -> None:
        super().__init__()
        self._monitor = _Monitor("ModelCheckpoint (save_best_only)", monitor, mode,
                                 lambda m: "acc" in m or m.startswith("fmeasure"))
        self.save_freq = _check_save_freq(save_freq)
        self.filepath, self.monitor, self.verbose = os.fspath(filepath), monitor, verbose
        self.save_best_only = bool(save_best_only)
        self.save_weights_only = bool(save_weights_only)
        self.best = self._monitor.worst() if initial_value_threshold is None \
            else float(initial_value_threshold)
        self.batches_seen = 0  # batches trained so far, over the run (an int save_freq counts them)
        self._epoch = self._epoch_start = 0
        self._saver = self._saver_graph = None
        if self.save_freq != "epoch":  # only then does fit need to call a batch hook
            self.on_train_batch_end = self._save_on_batch  # type: ignore[method-assign]

    def on_train_begin(self, logs: Logs | None = None) -> None:
        if self._saver is None or self._saver_graph is not self.model.graph:
            variables = self.model.weights if self.save_weights_only else self.model.variables
            with self.model.graph.as_default(), tf.name_scope("model_checkpoint"):
                # Its own Saver: fit's Saver keeps only the newest checkpoints of its directory.
                self._saver = tf.compat.v1.train.Saver(variables, max_to_keep=None)
            self._saver_graph = self.model.graph

    def on_epoch_begin(self, epoch: int, logs: Logs | None = None) -> None:
        self._epoch, self._epoch_start = epoch, self.batches_seen

    def _save_on_batch(self, batch, logs=None):
        """The batch hook when `save_freq` is an int: `batch` is the last batch that ran."""
        logs = logs or {}
        if not np.isfinite(logs.get("loss", 0.0)):
            return
        before, self.batches_seen = self.batches_seen, self._epoch_start + batch + 1
        if _passed_a_multiple(before, self.batches_seen, self.save_freq):
            self._save(self._epoch, logs, batch)

    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None:
        if self.save_freq == "epoch":
            self._save(epoch, logs or {})

    def _path(self, epoch, logs, batch):
        names = dict(logs)
        if batch is not None:
            names.setdefault("batch", batch + 1)
        try:
            return self.filepath.format(epoch=epoch + 1, **names)
        except KeyError as error:
            raise KeyError("ModelCheckpoint: cannot format the filepath %r: no %s in the %s logs "
                           "(%s)" % (self.filepath, error, "epoch" if batch is None else "batch",
                                     ", ".join(["epoch"] + sorted(names)))) from None

    def _save(self, epoch, logs, batch=None):
        path = self._path(epoch, logs, batch)
        if self.save_best_only:
            current = self._monitor.value(logs)
            if current is None:
                return
            better = current > self.best if self._monitor.greater else current < self.best
            if not better:
                if self.verbose > 0:
                    _say("\nEpoch %d: %s did not improve from %.5f" % (epoch + 1, self.monitor, self.best))
                return
            if self.verbose > 0:
                _say("\nEpoch %d: %s improved from %.5f to %.5f, saving model to %s"
                     % (epoch + 1, self.monitor, self.best, current, path))
            self.best = float(current)
        elif self.verbose > 0:
            _say("\nEpoch %d: saving model to %s" % (epoch + 1, path))
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        with self.session.graph.as_default():  # not eager, even for a session made without `with`
            self._saver.save(self.session, path, write_meta_graph=False)

    def get_state(self) -> dict[str, Any]:
        return {"best": _json_float(self.best), "batches_seen": self.batches_seen}

    def set_state(self, state: dict[str, Any]) -> None:
        self.best = float(state["best"])
        # A checkpoint written before the count was saved has none: keep counting from here.
        self.batches_seen = int(state.get("batches_seen", self.batches_seen))


class TensorBoard(Callback):
    """Curves, histograms and the graph for TensorBoard, written while training runs (Keras 2's).

    Written with `tf.compat.v1.summary.FileWriter` under `log_dir`, in the
    layout Keras 2 uses so that `tensorboard --logdir log_dir` shows the two
    runs side by side:

        log_dir/train/        epoch_<name> for loss and each metric (step = epoch),
                              epoch_learning_rate (the base lr), the graph,
                              batch_<name> every `update_freq` batches (step = batch
                              counted over the run) when `update_freq` is an int,
                              <variable> and <variable>/gradient histograms every
                              `histogram_freq` epochs
        log_dir/validation/   epoch_<name> for the val_ figures (the prefix dropped)

    The gradient histograms are the gradients of the loss on one fixed batch
    (the first of the validation data, else of the training data, with the
    training switch off) so that epochs are compared on the same rows.
    """

    def __init__(self, log_dir: str | os.PathLike[str] = "logs", histogram_freq: int = 0,
                 write_graph: bool = True, update_freq: str | int = "epoch") -> None:
        super().__init__()
        if update_freq != "epoch" and (isinstance(update_freq, bool) or not isinstance(update_freq, int)
                                       or update_freq <= 0):
            raise ValueError("TensorBoard: update_freq must be 'epoch' or a positive int (batches), "
                             "got %r" % (update_freq,))
        if isinstance(histogram_freq, bool) or not isinstance(histogram_freq, int) or histogram_freq < 0:
            raise ValueError("TensorBoard: histogram_freq must be an int >= 0, got %r" % (histogram_freq,))
        self.log_dir, self.histogram_freq = os.fspath(log_dir), histogram_freq
        self.write_graph, self.update_freq = write_graph, update_freq
        self._histograms = self._histogram_graph = None
        self.writers: dict[str, Any] = {}  # "train"/"validation" -> a tf.summary writer
        self._epoch = 0
        if update_freq != "epoch":  # only then does fit need to call a batch hook
            self.on_train_batch_end = self._write_batch  # type: ignore[method-assign]

    def on_train_begin(self, logs: Logs | None = None) -> None:
        graph = self.model.graph
        with graph.as_default():  # FileWriter refuses to start while eager execution is on
            self.writers = {
                "train": tf.compat.v1.summary.FileWriter(
                    os.path.join(self.log_dir, "train"), graph=graph if self.write_graph else None),
                "validation": tf.compat.v1.summary.FileWriter(os.path.join(self.log_dir, "validation"))}
        if self.histogram_freq and self._histogram_graph is not graph:
            self._histograms, self._histogram_graph = self._build_histograms(), graph

    def _build_histograms(self):
        """One op writing every trainable variable's and its gradient's histogram."""
        model = self.model
        with model.graph.as_default(), tf.name_scope("tensorboard"):
            variables = model.graph.get_collection(tf.compat.v1.GraphKeys.TRAINABLE_VARIABLES)
            gradients = tf.gradients(model.loss, variables)
            summaries = []
            for variable, gradient in zip(variables, gradients):
                name = variable.op.name
                # The raw op takes the tag as given (summary.histogram would prefix the scope).
                summaries.append(tf.raw_ops.HistogramSummary(tag=name, values=variable))
                if gradient is not None:
                    summaries.append(tf.raw_ops.HistogramSummary(tag=name + "/gradient",
                                                                 values=gradient))
            return tf.raw_ops.MergeSummary(inputs=summaries)

    def _write_scalars(self, writer, prefix, values, step):
        summary = tf.compat.v1.Summary(value=[
            tf.compat.v1.Summary.Value(tag=prefix + name, simple_value=float(value))
            for name, value in values.items()])
        self.writers[writer].add_summary(summary, step)

    def _write_batch(self, batch, logs=None):
        step = self._epoch * self.params.get("steps", 0) + batch
        previous, self._last_step = self._last_step, step
        if _passed_a_multiple(previous + 1, step + 1, self.update_freq):  # once, at the run's end
            self._write_scalars("train", "batch_", logs or {}, step)

    def on_epoch_begin(self, epoch: int, logs: Logs | None = None) -> None:
        self._epoch = epoch
        self._last_step = epoch * self.params.get("steps", 0) - 1  # every earlier batch ran

    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None:
        logs = dict(logs or {})
        if self.model.learning_rates:
            logs.setdefault("lr", self.model.get_learning_rate(self.session))
        train = {("learning_rate" if k == "lr" else k): v for k, v in logs.items()
                 if not k.startswith("val_")}
        self._write_scalars("train", "epoch_", train, epoch)
        validation = {k[len("val_"):]: v for k, v in logs.items() if k.startswith("val_")}
        if validation:
            self._write_scalars("validation", "epoch_", validation, epoch)
        if self.histogram_freq and epoch % self.histogram_freq == 0:
            x, y = self.params["sample_batch"]
            feed = {self.model.inputs: x, self.model.targets: y}
            weights = weighting.row_weights(self.model, y, None, None, "TensorBoard")
            if weights is not None:  # a weighted loss's gradients: each row weighs 1
                feed[self.model.sample_weights] = weights
            self.writers["train"].add_summary(self.session.run(self._histograms, feed), epoch)
        for writer in self.writers.values():
            writer.flush()

    def on_train_end(self, logs: Logs | None = None) -> None:
        for writer in self.writers.values():
            writer.close()
        self.writers = {}


class CallbackList:
    """The callbacks of one `fit`, called in order; `fit` talks to this, not to each callback.

    `batch_hooks` is True only if some callback overrides a batch hook, so that
    `fit` can skip the per-batch calls (and the logs they need) otherwise.
    """

    def __init__(self, callbacks: Sequence[Callback] | None, model: Any,
                 session: tf.compat.v1.Session, params: dict[str, Any]) -> None:
        callbacks = list(callbacks or [])
        for callback in callbacks:
            if not isinstance(callback, Callback):
                raise TypeError("fit: callbacks must be tfcore.callbacks.Callback instances, got %r"
                                % (callback,))
        self.callbacks = callbacks
        for callback in callbacks:
            callback.set_model(model, session)
            callback.set_params(params)
        self.batch_hooks = any(overrides(c, hook) for c in callbacks
                               for hook in ("on_train_batch_begin", "on_train_batch_end"))

    def on_train_begin(self, saved_states: list[dict[str, Any]] | None = None) -> None:
        """Start every callback afresh, then give back the state saved with a checkpoint."""
        for callback in self.callbacks:
            callback.on_train_begin({})
        if saved_states is not None:
            self.set_states(saved_states)

    def _call(self, hook, *args):
        for callback in self.callbacks:
            getattr(callback, hook)(*args)

    def on_train_end(self, logs: Logs | None = None) -> None:
        self._call("on_train_end", logs or {})

    def on_epoch_begin(self, epoch: int, logs: Logs | None = None) -> None:
        self._call("on_epoch_begin", epoch, logs if logs is not None else {})

    def on_epoch_end(self, epoch: int, logs: Logs) -> None:
        self._call("on_epoch_end", epoch, logs)

    def on_train_batch_begin(self, batch: int, logs: Logs | None = None) -> None:
        self._call("on_train_batch_begin", batch, logs if logs is not None else {})

    def on_train_batch_end(self, batch: int, logs: Logs) -> None:
        self._call("on_train_batch_end", batch, logs)

    def get_states(self) -> list[dict[str, Any]]:
        """`[{"class": name, "state": {...}}, ...]`, one per callback, for the checkpoint."""
        return [{"class": type(c).__name__, "state": c.get_state()} for c in self.callbacks]

    def set_states(self, saved: list[dict[str, Any]]) -> None:
        """Give each callback its saved state; the list must match the one that saved them."""
        names = [type(c).__name__ for c in self.callbacks]
        saved_names = [entry["class"] for entry in saved]
        stateful = [n for n, c in zip(names, self.callbacks) if type(c).get_state is not Callback.get_state]
        if names != saved_names:
            if stateful:
                warnings.warn(
                    "fit: the checkpoint was saved with the callbacks %s, but this run has %s; "
                    "they start afresh (resume with the same list to keep, e.g., EarlyStopping's "
                    "patience)" % (saved_names, names), stacklevel=4)
            return
        for callback, entry in zip(self.callbacks, saved):
            callback.set_state(entry["state"])
