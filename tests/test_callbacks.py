"""Callbacks inside `fit`: hook order, steps_per_run, the learning rate in the graph, exact resume.

Oracles: an uninterrupted run (for resume), a run with one step per session
run (for steps_per_run), NumPy (one SGD step of a linear model, weights saved
by a LambdaCallback at the epoch or batch a file claims to hold), the History
and the batch logs themselves (for CSVLogger and ModelCheckpoint). tf-keras
comparisons: test_callbacks_keras.py.
"""

import csv
import inspect

import numpy as np
import pytest
import tensorflow as tf

from tfcore import callbacks
from tfcore.optimizers import OPTIMIZER_VARIABLES, SGD, Adam
from tfcore.train import NonFiniteLossError, fit, predict
from tests.test_train import build_regression, regression_data


def train(callback_list, epochs=30, steps_per_run=1, checkpoint_dir=None, model=None, n=48,
          optimizer=None, **settings):
    x, y = regression_data(n=n)
    model = model or build_regression(hidden=4, optimizer=optimizer or SGD(0.3))
    with tf.compat.v1.Session(graph=model.graph) as sess:
        history = fit(model, sess, x, y, epochs=epochs, batch_size=8, seed=0, progress=False,
                      validation_data=(x[:16], y[:16]), steps_per_run=steps_per_run,
                      checkpoint_dir=checkpoint_dir, callbacks=callback_list, **settings)
        weights = sess.run(model.weights)
    return history, weights


def early_stopping(min_delta=1e-3):
    return callbacks.EarlyStopping(monitor="val_loss", patience=2, min_delta=min_delta,
                                   restore_best_weights=True)


def test_hooks_run_in_keras_order_and_batch_hooks_once_per_session_run():
    events = []
    recorder = callbacks.LambdaCallback(
        on_train_begin=lambda logs: events.append("train_begin"),
        on_epoch_begin=lambda epoch, logs: events.append(("epoch_begin", epoch)),
        on_train_batch_begin=lambda batch, logs: events.append(("batch_begin", batch)),
        on_train_batch_end=lambda batch, logs: events.append(("batch_end", batch, sorted(logs))),
        on_epoch_end=lambda epoch, logs: events.append(("epoch_end", epoch, sorted(logs))),
        on_train_end=lambda logs: events.append("train_end"))
    # 44 rows, batch 8: 5 full batches and a partial one; 2 steps per run: runs of
    # batches (0, 1), (2, 3), then 4 and 5 alone.
    train([recorder], epochs=1, steps_per_run=2, n=44)
    batch_logs = ["loss", "mae"]
    assert events == [
        "train_begin", ("epoch_begin", 0),
        ("batch_begin", 0), ("batch_end", 1, batch_logs), ("batch_begin", 2), ("batch_end", 3, batch_logs),
        ("batch_begin", 4), ("batch_end", 4, batch_logs), ("batch_begin", 5), ("batch_end", 5, batch_logs),
        ("epoch_end", 0, ["loss", "mae", "val_loss", "val_mae"]), "train_end"]


def test_batch_logs_are_the_running_means_that_end_at_the_epoch_figures():
    seen = []
    history, _ = train([callbacks.LambdaCallback(
        on_train_batch_end=lambda batch, logs: seen.append(logs["loss"]))], epochs=1)
    assert len(seen) == 6 and seen[-1] == pytest.approx(history.history["loss"][0], rel=1e-12)


def test_early_stopping_stops_training_and_restores_the_best_epochs_weights():
    snapshots = []
    keep = callbacks.LambdaCallback(
        on_epoch_end=lambda epoch, logs: snapshots.append(keep.model.get_weights(keep.session)))
    stopper = early_stopping()
    history, weights = train([stopper, keep])
    losses = history.history["val_loss"]
    assert len(losses) < 30 and stopper.stopped_epoch == len(losses) - 1
    assert stopper.best_epoch == int(np.argmin(losses))
    for got, expected in zip(weights, snapshots[stopper.best_epoch]):
        np.testing.assert_array_equal(got, expected)


@pytest.mark.parametrize("steps_per_run", [3, 100])
def test_callbacks_see_the_same_epochs_with_several_steps_per_run(steps_per_run):
    one, _ = train([early_stopping(), callbacks.ReduceLROnPlateau(patience=1, factor=0.5)])
    many, _ = train([early_stopping(), callbacks.ReduceLROnPlateau(patience=1, factor=0.5)],
                    steps_per_run=steps_per_run)
    assert many.epoch == one.epoch and many.history == one.history
    assert min(one.history["lr"]) < 0.3


@pytest.mark.parametrize("interrupt_after", [2, 5])
def test_a_resumed_run_with_early_stopping_and_lr_reduction_equals_an_uninterrupted_one(
        tmp_path, interrupt_after):
    def callback_list():
        return [early_stopping(min_delta=1e-2),
                callbacks.ReduceLROnPlateau(patience=1, factor=0.5, cooldown=1)]

    straight, straight_weights = train(callback_list(), checkpoint_dir=str(tmp_path / "a"))
    # The "interrupted" run: fit stops after `interrupt_after` epochs, a new fit resumes it.
    train(callback_list(), epochs=interrupt_after, checkpoint_dir=str(tmp_path / "b"))
    resumed, resumed_weights = train(callback_list(), checkpoint_dir=str(tmp_path / "b"))
    assert interrupt_after < len(straight.epoch) < 30 and min(straight.history["lr"]) < 0.3
    assert resumed.epoch == straight.epoch and resumed.history == straight.history
    for got, expected in zip(resumed_weights, straight_weights):  # the best epoch's, restored
        np.testing.assert_array_equal(got, expected)


def test_resuming_with_other_callbacks_warns_that_they_start_afresh(tmp_path):
    train([early_stopping()], epochs=2, checkpoint_dir=str(tmp_path))
    with pytest.warns(UserWarning, match="start afresh"):
        train([callbacks.ReduceLROnPlateau()], epochs=3, checkpoint_dir=str(tmp_path))


def test_the_learning_rate_set_by_a_callback_is_the_one_the_next_step_uses():
    # A linear model, one SGD step: w1 = w0 - lr * dL/dw, with the gradient from NumPy.
    x, y = regression_data(n=8)
    model = build_regression(optimizer=SGD(0.1))
    with tf.compat.v1.Session(graph=model.graph) as sess:
        sess.run(model.init_op)
        kernel, bias = [v for v in model.weights if "dense" in v.name]
        w0, b0 = sess.run([kernel, bias])
        model.set_learning_rate(sess, 0.025)
        assert model.get_learning_rate(sess) == 0.025
        fit(model, sess, x, y, epochs=1, batch_size=8, shuffle=False, progress=False)
        w1, b1 = sess.run([kernel, bias])
    error = x @ w0 + b0 - y
    np.testing.assert_allclose(w1, w0 - 0.025 * 2 * x.T @ error / 8, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(b1, b0 - 0.025 * 2 * error.mean(0), rtol=1e-5, atol=1e-7)


def test_a_learning_rate_schedule_of_zero_freezes_the_weights_and_is_logged():
    snapshots = []
    keep = callbacks.LambdaCallback(
        on_epoch_end=lambda epoch, logs: snapshots.append(keep.model.get_weights(keep.session)))
    schedule = callbacks.LearningRateScheduler(lambda epoch, lr: 0.05 if epoch < 2 else 0.0)
    history, _ = train([schedule, keep], epochs=4, optimizer=Adam(0.01, decay=0.1))
    assert history.history["lr"] == [0.05, 0.05, 0.0, 0.0]
    assert not np.array_equal(snapshots[0][0], snapshots[1][0])
    for later in snapshots[2:]:
        for got, expected in zip(later, snapshots[1]):
            if got.dtype.kind == "f":  # not the model's int64 row counter, which still counts
                np.testing.assert_array_equal(got, expected)


def test_model_checkpoint_saves_only_improving_epochs_and_the_file_holds_that_epochs_weights(tmp_path):
    snapshots = []
    keep = callbacks.LambdaCallback(
        on_epoch_end=lambda epoch, logs: snapshots.append(keep.model.get_weights(keep.session)))
    saver = callbacks.ModelCheckpoint(str(tmp_path / "best-{epoch:02d}-{val_loss:.4f}"),
                                      monitor="val_loss", save_best_only=True)
    model = build_regression(hidden=4, optimizer=SGD(0.3))
    history, _ = train([saver, keep], epochs=12, model=model)
    losses = history.history["val_loss"]
    improving = [e for e in range(len(losses)) if losses[e] < min(losses[:e], default=np.inf)]
    written = sorted(p.name[:-len(".index")] for p in tmp_path.glob("best-*.index"))
    assert written == ["best-%02d-%.4f" % (e + 1, losses[e]) for e in improving]
    assert len(improving) < len(losses)
    last = improving[-1]
    with tf.compat.v1.Session(graph=model.graph) as sess:
        saver._saver.restore(sess, str(tmp_path / written[-1]))
        for got, expected in zip(model.get_weights(sess), snapshots[last]):
            np.testing.assert_array_equal(got, expected)


def checkpoint_names(path):
    return {name for name, _ in tf.train.list_variables(str(path))}


def test_a_weights_only_checkpoint_holds_exactly_the_weights_and_loads_into_a_fresh_graph(tmp_path):
    x, y = regression_data(n=48)
    model = build_regression(hidden=4, optimizer=Adam(0.01))
    saves = [callbacks.ModelCheckpoint(str(tmp_path / "weights-{epoch}"), save_weights_only=True),
             callbacks.ModelCheckpoint(str(tmp_path / "all-{epoch}"))]
    with tf.compat.v1.Session(graph=model.graph) as sess:
        fit(model, sess, x, y, epochs=2, batch_size=8, seed=0, progress=False, callbacks=saves)
        trained = predict(model, sess, x)
    optimizer = {v.op.name for v in model.graph.get_collection(OPTIMIZER_VARIABLES)}
    weights, everything = {v.op.name for v in model.weights}, {v.op.name for v in model.variables}
    assert optimizer and model.epoch_variable.op.name in everything - weights  # Adam: m, v, iterations
    assert checkpoint_names(tmp_path / "weights-2") == weights
    assert checkpoint_names(tmp_path / "all-2") == everything  # the default: optimizer slots too

    fresh = build_regression(seed=1, hidden=4, optimizer=Adam(0.01))  # other initial weights
    with tf.compat.v1.Session(graph=fresh.graph) as sess:
        sess.run(fresh.init_op)
        assert not np.allclose(predict(fresh, sess, x), trained)
        tf.compat.v1.train.Saver(fresh.weights).restore(sess, str(tmp_path / "weights-2"))
        np.testing.assert_array_equal(predict(fresh, sess, x), trained)
    with tf.compat.v1.Session(graph=fresh.graph) as sess:  # into a new session, then train on
        tf.compat.v1.train.Saver(fresh.weights).restore(sess, str(tmp_path / "weights-2"))
        np.testing.assert_array_equal(predict(fresh, sess, x), trained)
        history = fit(fresh, sess, x, y, epochs=1, batch_size=8, progress=False)
        assert history.epoch == [0] and sess.run(fresh.epoch_variable) == 0


def batch_recorder(record):
    """A LambdaCallback appending `(epoch + 1, batch + 1, logs, weights)` at each batch end."""
    epoch = []
    keep = callbacks.LambdaCallback(
        on_epoch_begin=lambda e, logs: epoch.append(e),
        on_train_batch_end=lambda batch, logs: record.append(
            (epoch[-1] + 1, batch + 1, dict(logs), keep.model.get_weights(keep.session))))
    return keep


def saved(directory, pattern="*"):
    return sorted(p.name[:-len(".index")] for p in directory.glob(pattern + ".index"))


# 48 rows, batch 8: 6 batches an epoch, 18 in 3 epochs. steps_per_run=4: batches 1-4 in one
# run, then 5 and 6 alone, so the batch hooks run after batches 4, 5, 6 of each epoch.
@pytest.mark.parametrize("steps_per_run, save_freq, expected", [
    (1, 4, [(1, 4), (2, 2), (2, 6), (3, 4)]),  # batches 4, 8, 12, 16 of the run
    # Counted 4, 5, 6, 10, 11, 12, ...: the first hook at or past 3, 6, 9, ... saves.
    (4, 3, [(1, 4), (1, 6), (2, 4), (2, 6), (3, 4), (3, 6)]),
    (4, 5, [(1, 5), (2, 4), (3, 4)]),  # past 5, 10, 15
])
def test_model_checkpoint_with_an_int_save_freq_saves_every_n_batches_across_epochs(
        tmp_path, steps_per_run, save_freq, expected):
    record = []
    saver = callbacks.ModelCheckpoint(str(tmp_path / "b-{epoch:02d}-{batch:02d}-{loss:.6f}"),
                                      save_freq=save_freq)
    model = build_regression(hidden=4, optimizer=SGD(0.3))
    train([saver, batch_recorder(record)], epochs=3, model=model, steps_per_run=steps_per_run)
    at = {(epoch, batch): (logs, weights) for epoch, batch, logs, weights in record}
    # Named with the current epoch and the batch logs (running means): no epoch-end saves.
    assert saved(tmp_path) == ["b-%02d-%02d-%.6f" % (e, b, at[e, b][0]["loss"]) for e, b in expected]
    assert saver.batches_seen == 18
    with tf.compat.v1.Session(graph=model.graph) as sess:
        for name, (epoch, batch) in zip(saved(tmp_path), expected):  # that batch's weights
            saver._saver.restore(sess, str(tmp_path / name))
            for got, want in zip(model.get_weights(sess), at[epoch, batch][1]):
                np.testing.assert_array_equal(got, want)


def test_model_checkpoint_with_save_best_only_and_an_int_save_freq_monitors_the_batch_logs(
        tmp_path):
    record = []
    saver = callbacks.ModelCheckpoint(str(tmp_path / "b-{epoch:02d}-{batch:02d}"), monitor="loss",
                                      save_best_only=True, save_freq=1)
    train([saver, batch_recorder(record)], epochs=3)
    losses = [logs["loss"] for _, _, logs, _ in record]
    improving = [i for i, loss in enumerate(losses) if loss < min(losses[:i], default=np.inf)]
    assert saved(tmp_path) == ["b-%02d-%02d" % record[i][:2] for i in improving]
    assert 1 < len(improving) < len(losses)


def test_a_resumed_run_saves_at_the_batches_an_uninterrupted_one_saves(tmp_path):
    def saver(name):
        return callbacks.ModelCheckpoint(str(tmp_path / name / "b-{epoch:02d}-{batch:02d}"),
                                         save_freq=4)

    train([saver("straight")], epochs=3, checkpoint_dir=str(tmp_path / "a"))
    train([saver("resumed")], epochs=1, checkpoint_dir=str(tmp_path / "b"))  # batches 1-6
    train([saver("resumed")], epochs=3, checkpoint_dir=str(tmp_path / "b"))  # counts on from 6
    names = saved(tmp_path / "straight")
    assert names == ["b-01-04", "b-02-02", "b-02-06", "b-03-04"] == saved(tmp_path / "resumed")
    for name in names:
        straight = tf.train.load_checkpoint(str(tmp_path / "straight" / name))
        resumed = tf.train.load_checkpoint(str(tmp_path / "resumed" / name))
        for variable in checkpoint_names(tmp_path / "straight" / name):
            np.testing.assert_array_equal(resumed.get_tensor(variable), straight.get_tensor(variable))


def test_model_checkpoint_does_not_save_at_a_batch_whose_loss_is_not_finite(tmp_path):
    x, y = nan_data()  # batch 4 of epoch 1 is NaN
    model = build_regression()
    saver = callbacks.ModelCheckpoint(str(tmp_path / "b-{epoch:02d}-{batch:02d}"), save_freq=2)
    with tf.compat.v1.Session(graph=model.graph) as sess:
        fit(model, sess, x, y, epochs=3, batch_size=8, shuffle=False, progress=False,
            callbacks=[saver, callbacks.TerminateOnNaN()])
    assert saved(tmp_path) == ["b-01-02"]


def test_model_checkpoint_takes_keras_2s_arguments_in_keras_2s_order_and_asks_for_batch_hooks():
    # Keras 2's order, without `options` (a tf.train.CheckpointOptions tfcore's Saver has no use for).
    assert list(inspect.signature(callbacks.ModelCheckpoint).parameters) == [
        "filepath", "monitor", "verbose", "save_best_only", "save_weights_only", "mode",
        "save_freq", "initial_value_threshold"]
    # fit calls batch hooks only for a callback that has one: a per-epoch checkpoint has none.
    assert not callbacks.overrides(callbacks.ModelCheckpoint("c"), "on_train_batch_end")
    assert callbacks.overrides(callbacks.ModelCheckpoint("c", save_freq=3), "on_train_batch_end")
    assert callbacks.ModelCheckpoint("c", save_freq=np.int64(3)).save_freq == 3


@pytest.mark.parametrize("save_freq, path", [(2, "c-{val_loss}"), ("epoch", "c-{batch}")])
def test_model_checkpoint_says_which_name_of_its_filepath_the_logs_lack(tmp_path, save_freq, path):
    saver = callbacks.ModelCheckpoint(str(tmp_path / path), save_freq=save_freq)
    with pytest.raises(KeyError, match="ModelCheckpoint: cannot format the filepath.*'%s'"
                       % path[3:-1]):
        train([saver], epochs=1)


def test_csv_logger_rows_equal_the_history_and_append_continues_a_resumed_run(tmp_path):
    path = tmp_path / "log.csv"
    train([callbacks.CSVLogger(path, append=True)], epochs=2, checkpoint_dir=str(tmp_path / "c"))
    history, _ = train([callbacks.CSVLogger(path, append=True)], epochs=4,
                       checkpoint_dir=str(tmp_path / "c"))
    with open(path) as f:
        rows = list(csv.DictReader(f))
    assert [int(r["epoch"]) for r in rows] == [0, 1, 2, 3]
    for key, values in history.history.items():
        np.testing.assert_allclose([float(r[key]) for r in rows], values, rtol=1e-15)


def nan_data(n=48):
    x, y = regression_data(n=n)
    x[30] = np.nan  # batch 4 of epoch 1 (no shuffling)
    return x, y


def test_terminate_on_nan_stops_quietly_with_the_completed_epochs_and_keras_message(capsys):
    x, y = nan_data()
    for terminate in (True, False):
        model = build_regression()
        with tf.compat.v1.Session(graph=model.graph) as sess:
            if terminate:
                history = fit(model, sess, x, y, epochs=3, batch_size=8, shuffle=False,
                              progress=False, callbacks=[callbacks.TerminateOnNaN()])
                continue
            with pytest.raises(NonFiniteLossError, match="epoch 1, batch 4"):
                fit(model, sess, x, y, epochs=3, batch_size=8, shuffle=False, progress=False)
    assert history.epoch == []
    assert "Batch 3: Invalid loss, terminating training" in capsys.readouterr().err


def test_fit_refuses_something_that_is_not_a_callback():
    x, y = regression_data(n=8)
    model = build_regression()
    with tf.compat.v1.Session(graph=model.graph) as sess:
        with pytest.raises(TypeError, match="tfcore.callbacks.Callback"):
            fit(model, sess, x, y, epochs=1, progress=False, callbacks=[lambda epoch, logs: None])


@pytest.mark.parametrize("make, message", [
    (lambda: callbacks.EarlyStopping(mode="largest"), "EarlyStopping: mode"),
    (lambda: callbacks.ReduceLROnPlateau(factor=1.0), "ReduceLROnPlateau: factor"),
    (lambda: callbacks.LearningRateScheduler(0.1), "LearningRateScheduler: schedule"),
    (lambda: callbacks.ModelCheckpoint("c", save_freq="batch"), "ModelCheckpoint: save_freq"),
    (lambda: callbacks.ModelCheckpoint("c", save_freq=0), "ModelCheckpoint: save_freq"),
    (lambda: callbacks.ModelCheckpoint("c", save_freq=-2), "ModelCheckpoint: save_freq"),
    (lambda: callbacks.ModelCheckpoint("c", save_freq=True), "ModelCheckpoint: save_freq"),
    (lambda: callbacks.ModelCheckpoint("c", save_freq=2.0), "ModelCheckpoint: save_freq"),
    (lambda: callbacks.ModelCheckpoint("c", mode="best"), "ModelCheckpoint.*mode"),
])
def test_bad_callback_arguments_name_the_callback_and_the_argument(make, message):
    with pytest.raises((ValueError, TypeError), match=message):
        make()


def read_events(directory):
    from tensorboard.backend.event_processing import event_accumulator

    events = event_accumulator.EventAccumulator(str(directory), size_guidance={
        event_accumulator.SCALARS: 0, event_accumulator.HISTOGRAMS: 0})
    return events.Reload()


def test_tensorboard_event_files_read_back_by_tensorboard_equal_the_history(tmp_path):
    board = callbacks.TensorBoard(tmp_path, histogram_freq=2, update_freq=2)
    schedule = callbacks.LearningRateScheduler(lambda epoch, lr: 0.3 / (1 + epoch))
    history, _ = train([schedule, board], epochs=3)
    train_events, val_events = read_events(tmp_path / "train"), read_events(tmp_path / "validation")
    for key, values in history.history.items():
        name = "epoch_" + {"lr": "learning_rate"}.get(key, key).replace("val_", "")
        events = (val_events if key.startswith("val_") else train_events).Scalars(name)
        assert [e.step for e in events] == [0, 1, 2]
        np.testing.assert_allclose([e.value for e in events], values, rtol=1e-6)  # float32
    # 6 batches an epoch, every second one: steps 1, 3, 5, 7, ...
    assert [e.step for e in train_events.Scalars("batch_loss")] == list(range(1, 18, 2))
    histograms = train_events.Tags()["histograms"]
    assert "dense/kernel" in histograms and "dense/kernel/gradient" in histograms
    assert [e.step for e in train_events.Histograms("dense/kernel")] == [0, 2]
    assert train_events.Tags()["graph"]


@pytest.mark.parametrize("steps_per_run, expected", [
    (1, list(range(2, 18, 3))),  # update_freq 3: batches 3, 6, 9, ... (steps 2, 5, 8, ...)
    (4, [3, 5, 9, 11, 15, 17]),  # runs end at batches 4, 6 | 10, 12 | 16, 18: each passed a multiple
])
def test_tensorboard_batch_summaries_every_update_freq_batches_with_steps_per_run(
        tmp_path, steps_per_run, expected):
    """The batch hook sees only each session run's last batch: a run that passed a multiple of
    update_freq writes once, at its last batch (no multiple is skipped for falling mid-run)."""
    board = callbacks.TensorBoard(tmp_path, update_freq=3)
    train([board], epochs=3, steps_per_run=steps_per_run)
    assert [e.step for e in read_events(tmp_path / "train").Scalars("batch_loss")] == expected


def test_tensorboard_gradient_histograms_are_the_gradients_on_the_first_validation_batch(tmp_path):
    model = build_regression()
    history, weights = train([callbacks.TensorBoard(tmp_path, histogram_freq=1)], epochs=1,
                             model=model)
    x, y = regression_data(n=48)
    kernel, bias = weights[0], weights[1]  # Dense(1) on x: no hidden layer in this model
    error = x[:8] @ kernel + bias - y[:8]
    gradient = 2 * x[:8].T @ error / 8
    histogram = read_events(tmp_path / "train").Histograms("dense/kernel/gradient")[0].histogram_value
    assert histogram.num == gradient.size
    np.testing.assert_allclose([histogram.min, histogram.max, histogram.sum],
                               [gradient.min(), gradient.max(), gradient.sum()], rtol=1e-5)


def test_tensorboard_refuses_a_bad_update_freq():
    with pytest.raises(ValueError, match="TensorBoard: update_freq"):
        callbacks.TensorBoard("logs", update_freq="batch")
