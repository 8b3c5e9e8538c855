"""What every callback shares: the `Callback` hooks, the list `fit` calls them through,
and the monitored-metric bookkeeping of EarlyStopping, ReduceLROnPlateau and ModelCheckpoint."""

from __future__ import annotations

import math
import sys
import warnings
from typing import Any, Callable, Sequence

import numpy as np
import tensorflow as tf

Logs = dict[str, Any]
"""What a hook receives: metric name -> value (`{"loss": 0.31, "val_accuracy": 0.9}`)."""


def say(message: str) -> None:
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


class Monitor:
    """Which way a monitored figure improves: Keras's `mode` ("auto", "min", "max")."""

    def __init__(self, owner: str, monitor: str, mode: str, auto_max: Callable[[str], bool]) -> None:
        if mode not in ("auto", "min", "max"):
            raise ValueError("%s: mode must be 'auto', 'min' or 'max', got %r" % (owner, mode))
        self.owner, self.monitor = owner, monitor
        self.greater = mode == "max" or (mode == "auto" and auto_max(monitor))

    def worst(self) -> float:
        return -np.inf if self.greater else np.inf

    def value(self, logs: Logs | None) -> float | None:
        """`logs[monitor]`, or None with Keras's warning listing the figures there are."""
        value = (logs or {}).get(self.monitor)
        if value is None:
            tf.compat.v1.logging.warning(
                "%s conditioned on metric `%s` which is not available. Available metrics are: %s",
                self.owner, self.monitor, ",".join(logs or {}))
        return value


def json_float(value: Any) -> Any:
    """JSON has no inf: store it as a string float() reads back."""
    value = float(value)
    return value if math.isfinite(value) else repr(value)
