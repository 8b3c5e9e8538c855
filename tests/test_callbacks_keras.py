"""tfcore's callbacks make Keras 2's decisions: the same logs give the same stop epoch, lr, CSV
and checkpoints.

Oracle: tf_keras.callbacks driven with the very same sequence of epoch (or batch) logs
(random walks with plateaus, fixed seeds), and a real tfcore `fit` whose
History is replayed through tf-keras's EarlyStopping.
"""

import inspect
import pathlib

import numpy as np
import pytest
import tensorflow as tf

from tests.oracle import keras
from tfcore import callbacks
from tfcore.optimizers import SGD
from tfcore.train import fit
from tests.test_train import build_regression, regression_data

pytestmark = pytest.mark.keras


class StubModel:
    """What tfcore's callbacks need from a TrainGraph, without a graph: a flag, weights, an lr."""

    def __init__(self, lr=0.1):
        self.stop_training = False
        self.lr = lr
        self.weights = [np.zeros(1)]

    def get_learning_rate(self, session):
        return self.lr

    def set_learning_rate(self, session, value):
        self.lr = float(value)

    def get_weights(self, session):
        return [w.copy() for w in self.weights]

    def set_weights(self, session, values):
        self.weights = [np.array(v) for v in values]


def keras_stub(lr=0.1):
    """A tf-keras model the way Keras's callbacks see it: stop_training, an optimizer with lr."""
    model = keras.Sequential([keras.layers.Dense(1, input_shape=(1,))])
    model.compile(optimizer=keras.optimizers.legacy.SGD(learning_rate=lr), loss="mse")
    return model


def log_sequences(seed, count=12, epochs=25):
    """Random walks with flat stretches and repeats: where plateaus and ties decide."""
    rng = np.random.RandomState(seed)
    for _ in range(count):
        steps = rng.choice([-0.3, -0.01, 0.0, 0.002, 0.2], size=epochs, p=[.3, .2, .2, .15, .15])
        values = 2.0 + np.cumsum(steps)
        yield [{"loss": float(v) + 0.5, "val_loss": float(v), "val_accuracy": float(1 - v / 10)}
               for v in values]


def run_ours(callback, logs_sequence):
    model = StubModel()
    callback.set_model(model, None)
    callback.on_train_begin({})
    epochs_run, lrs = 0, []
    for epoch, logs in enumerate(logs_sequence):
        callback.on_epoch_begin(epoch, {})
        logs = dict(logs)
        callback.on_epoch_end(epoch, logs)
        epochs_run += 1
        lrs.append(model.lr)
        if model.stop_training:
            break
    callback.on_train_end({})
    return epochs_run, lrs, model


def run_keras(callback, logs_sequence):
    model = keras_stub()
    callback.set_model(model)
    callback.on_train_begin({})
    epochs_run, lrs = 0, []
    for epoch, logs in enumerate(logs_sequence):
        callback.on_epoch_begin(epoch, {})
        callback.on_epoch_end(epoch, dict(logs))
        epochs_run += 1
        lrs.append(float(keras.backend.get_value(model.optimizer.lr)))
        if model.stop_training:
            break
    callback.on_train_end({})
    return epochs_run, lrs, model


EARLY_STOPPING_SETTINGS = [
    dict(monitor="val_loss", patience=0),
    dict(monitor="val_loss", patience=2, min_delta=0.05),
    dict(monitor="val_loss", patience=3, baseline=1.5),
    dict(monitor="val_accuracy", patience=2),  # auto: maximised
    dict(monitor="loss", patience=1, mode="max"),
    dict(monitor="val_loss", patience=2, start_from_epoch=4),
]


@pytest.mark.parametrize("settings", EARLY_STOPPING_SETTINGS)
def test_early_stopping_stops_at_the_epoch_keras_stops_and_knows_the_same_best_epoch(settings):
    stopped_early = 0
    for logs_sequence in log_sequences(seed=len(str(settings))):
        ours = callbacks.EarlyStopping(restore_best_weights=True, **settings)
        ref = keras.callbacks.EarlyStopping(restore_best_weights=True, **settings)
        ours_epochs = run_ours(ours, logs_sequence)[0]
        ref_epochs = run_keras(ref, logs_sequence)[0]
        assert ours_epochs == ref_epochs, (settings, logs_sequence)
        assert (ours.stopped_epoch, ours.best_epoch, ours.wait) == \
            (ref.stopped_epoch, ref.best_epoch, ref.wait)
        stopped_early += ours_epochs < len(logs_sequence)
    assert stopped_early > 0  # the sequences do exercise the stopping rule


REDUCE_SETTINGS = [
    dict(monitor="val_loss", patience=0),
    dict(monitor="val_loss", patience=2, factor=0.5, cooldown=1),
    dict(monitor="val_loss", patience=1, factor=0.2, min_lr=0.003, min_delta=0.01),
    dict(monitor="val_accuracy", patience=2, factor=0.5),  # auto: maximised ("acc" in the name)
    dict(monitor="loss", patience=1, mode="max", cooldown=2),
]


@pytest.mark.parametrize("settings", REDUCE_SETTINGS)
def test_reduce_lr_on_plateau_gives_the_learning_rate_sequence_keras_gives(settings):
    reduced = 0
    for logs_sequence in log_sequences(seed=len(str(settings))):
        _, ours, _ = run_ours(callbacks.ReduceLROnPlateau(**settings), logs_sequence)
        _, ref, _ = run_keras(keras.callbacks.ReduceLROnPlateau(**settings), logs_sequence)
        # Keras holds lr in float32, tfcore in float64: equal to float32 precision.
        np.testing.assert_allclose(ours, ref, rtol=1e-6, err_msg=str(settings))
        reduced += ours[-1] < 0.1
    assert reduced > 0


def test_learning_rate_scheduler_sets_the_rate_keras_sets_and_logs_it():
    def schedule(epoch, lr):
        return lr * 0.5 if epoch % 3 == 2 else lr

    logs_sequence = next(log_sequences(seed=3))
    _, ours, _ = run_ours(callbacks.LearningRateScheduler(schedule), logs_sequence)
    _, ref, _ = run_keras(keras.callbacks.LearningRateScheduler(schedule), logs_sequence)
    np.testing.assert_allclose(ours, ref, rtol=1e-6)


@pytest.mark.parametrize("drop_val", [False, True])
def test_csv_logger_writes_the_file_keras_writes(tmp_path, drop_val):
    logs_sequence = list(next(log_sequences(seed=5, epochs=6)))
    if drop_val:
        logs_sequence = [{"loss": logs["loss"]} for logs in logs_sequence]
    run_ours(callbacks.CSVLogger(tmp_path / "ours.csv"), logs_sequence)
    run_keras(keras.callbacks.CSVLogger(str(tmp_path / "keras.csv")), logs_sequence)
    assert (tmp_path / "ours.csv").read_text() == (tmp_path / "keras.csv").read_text()


def test_a_real_fit_stops_where_keras_early_stopping_stops_on_its_history():
    x, y = regression_data(n=48)
    model = build_regression(hidden=4, optimizer=SGD(0.3))
    settings = dict(monitor="val_loss", patience=2, min_delta=1e-3)
    with tf.compat.v1.Session(graph=model.graph) as sess:
        history = fit(model, sess, x, y, epochs=40, batch_size=8, seed=0, progress=False,
                      validation_data=(x[:16], y[:16]),
                      callbacks=[callbacks.EarlyStopping(**settings)])
    replay = [{"val_loss": v} for v in history.history["val_loss"]]
    # Keras, given tfcore's epochs (and more of the same loss afterwards), stops at the same one.
    ref_epochs = run_keras(keras.callbacks.EarlyStopping(**settings),
                           replay + [replay[-1]] * 5)[0]
    assert len(history.epoch) == ref_epochs < 40


def checkpoint_saves(callback, model, session, batch_ends, epochs, losses):
    """Drive a ModelCheckpoint through `epochs` epochs whose batch hooks run after `batch_ends`
    (0-based, as fit and Keras pass them); the batch numbers (1-based, over the run) it saved at."""
    if session is None:
        callback.set_model(model)
    else:
        callback.set_model(model, session)
    callback.on_train_begin({})
    loss = iter(losses)
    for epoch in range(epochs):
        callback.on_epoch_begin(epoch, {})
        for batch in batch_ends:
            callback.on_train_batch_end(batch, {"loss": next(loss)})
        callback.on_epoch_end(epoch, {"loss": 1.0})
    steps = batch_ends[-1] + 1
    names = pathlib.Path(callback.filepath).parent.glob("b-*.index")  # b-<epoch>-<batch>.index
    return sorted((int(e) - 1) * steps + int(b)
                  for e, b in (p.name[len("b-"):-len(".index")].split("-") for p in names))


def both_checkpoint_saves(tmp_path, batch_ends, epochs, save_freq, **settings):
    losses = 2.0 + np.cumsum(np.random.RandomState(save_freq).choice(
        [-0.3, -0.01, 0.0, 0.2], size=epochs * len(batch_ends)))
    def path(name):
        return str(tmp_path / name / "b-{epoch:02d}-{batch:02d}")

    model = build_regression()
    with tf.compat.v1.Session(graph=model.graph) as session:  # as around fit: the graph's context
        session.run(model.init_op)
        ours = checkpoint_saves(callbacks.ModelCheckpoint(
            path("ours"), save_weights_only=True, save_freq=save_freq, **settings),
            model, session, batch_ends, epochs, losses)
    ref = checkpoint_saves(keras.callbacks.ModelCheckpoint(
        path("keras"), save_weights_only=True, save_freq=save_freq, **settings),
        keras_stub(), None, batch_ends, epochs, losses)
    return ours, ref


@pytest.mark.parametrize("save_freq", [1, 3, 5, 8])
@pytest.mark.parametrize("settings", [{}, dict(monitor="loss", save_best_only=True)])
def test_model_checkpoint_with_an_int_save_freq_saves_after_the_batches_keras_saves_after(
        tmp_path, save_freq, settings):
    # One batch per run, 6 an epoch, 4 epochs: counted across epochs by both.
    ours, ref = both_checkpoint_saves(tmp_path, list(range(6)), 4, save_freq, **settings)
    assert ours == ref and len(ours) > 1


def test_with_several_batches_per_run_tfcore_saves_at_each_multiple_where_keras_drifts(tmp_path):
    # The docstring's example: 24 batches in runs of 3, save_freq=4.
    ours, ref = both_checkpoint_saves(tmp_path, list(range(2, 24, 3)), 1, 4)
    assert ref == [6, 12, 18, 24]  # Keras: 4 batches since its last save, counted per run of 3
    assert ours == [6, 9, 12, 18, 21, 24]  # tfcore: the first run end past 4, 8, 12, ...


def test_model_checkpoint_takes_keras_2s_arguments_in_keras_2s_order_but_options():
    ref = [name for name in inspect.signature(keras.callbacks.ModelCheckpoint).parameters
           if name not in ("options", "kwargs")]
    assert list(inspect.signature(callbacks.ModelCheckpoint).parameters) == ref
    for name, parameter in inspect.signature(callbacks.ModelCheckpoint).parameters.items():
        assert parameter.default == \
            inspect.signature(keras.callbacks.ModelCheckpoint).parameters[name].default
