"""Callbacks that decide: stop early, lower the learning rate, schedule it, stop at NaN, or
run your lambdas (Keras 2's names, arguments and decisions)."""

from __future__ import annotations

import os
from typing import Any, Callable

import numpy as np

from tfcore.callbacks.base import Callback, Logs, Monitor, json_float, say


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
        self._monitor = Monitor("EarlyStopping", monitor, mode,
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
            say("Epoch %d: early stopping" % (self.stopped_epoch + 1))
        if self.restore_best_weights and self.best_weights is not None:
            if self.verbose > 0:
                say("Restoring model weights from the end of the best epoch: %d."
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
        return {"wait": self.wait, "best": json_float(self.best), "best_epoch": self.best_epoch,
                "stopped_epoch": self.stopped_epoch, "has_best_weights": self.best_weights is not None}

    def set_state(self, state: dict[str, Any]) -> None:
        self.wait, self.best_epoch = int(state["wait"]), int(state["best_epoch"])
        self.best, self.stopped_epoch = float(state["best"]), int(state["stopped_epoch"])
        path = self._weights_path()
        if state.get("has_best_weights") and path and os.path.exists(path):
            with np.load(path) as saved:
                self.best_weights = [saved["arr_%d" % i] for i in range(len(saved.files))]


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
        self._monitor = Monitor("Learning rate reduction", monitor, mode, lambda m: "acc" in m)
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
                        say("\nEpoch %d: ReduceLROnPlateau reducing learning rate to %s."
                             % (epoch + 1, new))
                    self.cooldown_counter, self.wait = self.cooldown, 0

    def get_state(self) -> dict[str, Any]:
        return {"best": json_float(self.best), "wait": self.wait,
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
            say("\nEpoch %d: LearningRateScheduler setting learning rate to %s." % (epoch + 1, lr))

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
            say("Batch %d: Invalid loss, terminating training" % batch)
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
