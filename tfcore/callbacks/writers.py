"""Callbacks that write: CSVLogger (a row per epoch), ModelCheckpoint (weights), TensorBoard
(event files), each with Keras 2's layout and an exact resume."""

from __future__ import annotations

import csv
import io
import os
from typing import Any

import numpy as np
import tensorflow as tf

from tfcore import checkpoint as checkpoint_lib
from tfcore import weighting

from tfcore.callbacks.base import Callback, Logs, Monitor, json_float, say


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
        self._monitor = Monitor("ModelCheckpoint (save_best_only)", monitor, mode,
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
                    say("\nEpoch %d: %s did not improve from %.5f" % (epoch + 1, self.monitor, self.best))
                return
            if self.verbose > 0:
                say("\nEpoch %d: %s improved from %.5f to %.5f, saving model to %s"
                     % (epoch + 1, self.monitor, self.best, current, path))
            self.best = float(current)
        elif self.verbose > 0:
            say("\nEpoch %d: saving model to %s" % (epoch + 1, path))
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        with self.session.graph.as_default():  # not eager, even for a session made without `with`
            self._saver.save(self.session, path, write_meta_graph=False)

    def get_state(self) -> dict[str, Any]:
        return {"best": json_float(self.best), "batches_seen": self.batches_seen}

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
