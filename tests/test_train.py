"""The training loop: convergence, weighted epoch means, exact resume, determinism, NaN, resets.

Oracles: NumPy (least squares, the MSE of given weights, weighted means),
scikit-learn's LogisticRegression, and an uninterrupted run of the same graph
(for resume). The models are tiny Dense graphs built inline.
"""

import os

import numpy as np
import pytest
import tensorflow as tf

import tfcore
import tfcore.train_speed
from tfcore import checkpoint
from tfcore.layers.dense import Dense
from tfcore.layers.dropout import Dropout
from tfcore.optimizers import SGD, Adam
from tfcore.train import (
    RESET_STATES, History, NonFiniteLossError, TrainGraph, evaluate, fit, predict,
)


def build_regression(seed=0, n_in=3, hidden=None, dropout=None, optimizer=None, batch=None,
                     train=True):
    """x -> [Dropout] -> [Dense(hidden, tanh)] -> Dense(1), MSE loss.

    `train=False` replaces the optimizer step with an op that only counts the
    rows it is fed (`model.rows_seen`), so the weights never move.
    """
    graph = tfcore.new_graph(seed)
    with graph.as_default():
        x = tfcore.placeholder((batch, n_in), name="x")
        y = tfcore.placeholder((batch, 1), name="y")
        training = tfcore.placeholder_with_default(False, (), name="training")
        h = x
        if dropout:
            h = Dropout(dropout)(h, training=training)
        if hidden:
            h = Dense(hidden, activation="tanh")(h)
        prediction = Dense(1)(h)
        loss = tf.reduce_mean(tf.square(prediction - y))
        mae = tf.reduce_mean(tf.abs(prediction - y))
        rows_seen = tfcore.variable(0, trainable=False, name="rows_seen", dtype=tf.int64)
        count = rows_seen.assign_add(tf.cast(tf.shape(x)[0], tf.int64))
        if train:
            train_op = tf.group((optimizer or SGD(0.1)).minimize(loss), count)
        else:
            train_op = count
        model = TrainGraph(graph, x, y, prediction, loss, train_op, metrics={"mae": mae},
                           training=training)
    model.rows_seen = rows_seen
    return model


def regression_data(n=40, n_in=3, seed=0):
    rng = np.random.RandomState(seed)
    x = rng.randn(n, n_in).astype(np.float32)
    w = rng.randn(n_in, 1).astype(np.float32)
    y = (x @ w + 0.5 + 0.1 * rng.randn(n, 1)).astype(np.float32)
    return x, y


def dense_weights(model, session):
    """The kernels and biases of the model's Dense layers, in creation order."""
    return session.run([v for v in model.variables if v.trainable])


class CountingSession(tf.compat.v1.Session):
    """A session that counts runs and can raise KeyboardInterrupt at the k-th training step."""

    def __init__(self, model, interrupt_at_step=None):
        super().__init__(graph=model.graph)
        self.model = model
        self.interrupt_at_step = interrupt_at_step
        self.runs = self.steps = 0

    def run(self, fetches, feed_dict=None, options=None, run_metadata=None):
        self.runs += 1
        if isinstance(fetches, list) and self.model.train_op in fetches:
            if self.steps == self.interrupt_at_step:
                raise KeyboardInterrupt
            self.steps += 1
        return super().run(fetches, feed_dict, options, run_metadata)


# ---------------------------------------------------------------------------
# Convergence and History
# ---------------------------------------------------------------------------

def test_fit_linear_regression_converges_to_least_squares_and_history_has_one_entry_per_epoch():
    x, y = regression_data()
    x_val, y_val = regression_data(n=12, seed=1)
    model = build_regression(optimizer=SGD(0.1))
    with tfcore.session(model.graph) as sess:
        history = fit(model, sess, x, y, epochs=60, batch_size=8, seed=3,
                      validation_data=(x_val, y_val), progress=False)
        kernel, bias = dense_weights(model, sess)
    assert isinstance(history, History)
    assert sorted(history.history) == ["loss", "mae", "val_loss", "val_mae"]
    assert all(len(v) == 60 for v in history.history.values())
    assert history.epoch == list(range(60)) and len(history.epoch_times) == 60
    solution, *_ = np.linalg.lstsq(np.hstack([x, np.ones((len(x), 1))]), y, rcond=None)
    np.testing.assert_allclose(kernel, solution[:3], atol=2e-2)
    np.testing.assert_allclose(bias, solution[3], atol=2e-2)
    assert history.history["loss"][-1] < 0.1 * history.history["loss"][0]


def test_fit_logistic_regression_reaches_scikit_learn_accuracy():
    from sklearn.datasets import make_classification
    from sklearn.linear_model import LogisticRegression

    x, y = make_classification(n_samples=200, n_features=2, n_informative=2, n_redundant=0,
                               n_clusters_per_class=1, random_state=0)
    x, y = x.astype(np.float32), y.reshape(-1, 1).astype(np.float32)
    graph = tfcore.new_graph(0)
    with graph.as_default():
        inputs, targets = tfcore.placeholder((None, 2)), tfcore.placeholder((None, 1))
        logits = Dense(1, kernel_initializer="zeros")(inputs)
        loss = tf.reduce_mean(tf.nn.sigmoid_cross_entropy_with_logits(labels=targets, logits=logits))
        accuracy = tf.reduce_mean(tf.cast(tf.equal(tf.cast(logits > 0, tf.float32), targets), tf.float32))
        model = TrainGraph(graph, inputs, targets, tf.sigmoid(logits), loss,
                           SGD(0.5).minimize(loss), metrics={"accuracy": accuracy})
    with tfcore.session(graph) as sess:
        history = fit(model, sess, x, y, epochs=30, batch_size=20, seed=0, progress=False)
        ours = evaluate(model, sess, x, y)["accuracy"]
    reference = LogisticRegression().fit(x, y.ravel()).score(x, y.ravel())
    assert abs(ours - reference) <= 0.02
    assert history.history["loss"][-1] < history.history["loss"][0]


# ---------------------------------------------------------------------------
# What an epoch's figures mean; no batch dropped
# ---------------------------------------------------------------------------

def test_epoch_loss_is_the_batch_size_weighted_mean_and_equals_evaluate_when_weights_do_not_move():
    x, y = regression_data(n=10)
    model = build_regression(train=False)
    with tfcore.session(model.graph) as sess:
        history = fit(model, sess, x, y, epochs=2, batch_size=4, seed=5, progress=False)
        evaluated = evaluate(model, sess, x, y, batch_size=3)
        kernel, bias = dense_weights(model, sess)
        rows_seen = sess.run(model.rows_seen)
    residual = x @ kernel + bias - y
    np.testing.assert_allclose(history.history["loss"], [np.mean(residual ** 2)] * 2, rtol=1e-5)
    np.testing.assert_allclose(history.history["mae"], [np.mean(np.abs(residual))] * 2, rtol=1e-5)
    np.testing.assert_allclose(evaluated["loss"], np.mean(residual ** 2), rtol=1e-5)
    np.testing.assert_allclose(evaluated["mae"], np.mean(np.abs(residual)), rtol=1e-5)
    assert rows_seen == 2 * 10  # batches of 4, 4 and the last partial batch of 2, each epoch


def test_predict_returns_every_row_including_the_last_partial_batch():
    x, _ = regression_data(n=11)
    model = build_regression()
    with tfcore.session(model.graph) as sess:
        tfcore.train.initialize(model, sess)
        predictions = predict(model, sess, x, batch_size=4)
        kernel, bias = dense_weights(model, sess)
    np.testing.assert_allclose(predictions, x @ kernel + bias, rtol=1e-5, atol=1e-6)


def test_fit_trains_from_weights_set_before_it_instead_of_reinitializing():
    x, y = regression_data(n=8)
    model = build_regression(train=False)
    layer_kernel = np.full((3, 1), 0.25, np.float32)
    with tfcore.session(model.graph) as sess:
        kernel_variable = [v for v in model.variables if v.trainable][0]
        sess.run(kernel_variable.initializer, {kernel_variable.initial_value: layer_kernel})
        fit(model, sess, x, y, epochs=1, progress=False)
        np.testing.assert_array_equal(sess.run(kernel_variable), layer_kernel)


# ---------------------------------------------------------------------------
# Checkpoints: an interrupted run resumes exactly
# ---------------------------------------------------------------------------

def _resume_model():
    return build_regression(seed=7, hidden=6, dropout=0.3, optimizer=Adam(0.01, decay=1e-3))


def test_interrupted_then_resumed_run_equals_an_uninterrupted_run(tmp_path, capsys):
    x, y = regression_data(n=30)
    x_val, y_val = regression_data(n=9, seed=2)
    settings = dict(epochs=4, batch_size=8, seed=11, shuffle=True,
                    validation_data=(x_val, y_val), progress=False)

    model = _resume_model()
    with tfcore.session(model.graph) as sess:
        straight = fit(model, sess, x, y, checkpoint_dir=str(tmp_path / "straight"), **settings)
        straight_weights = dense_weights(model, sess)

    # Stop in the middle of epoch 3 (4 steps per epoch: steps 0-7 are epochs 1-2).
    model = _resume_model()
    with CountingSession(model, interrupt_at_step=9) as interrupting:
        with pytest.raises(KeyboardInterrupt):
            fit(model, interrupting, x, y, checkpoint_dir=str(tmp_path / "resumed"), **settings)
    assert os.path.basename(checkpoint.latest(str(tmp_path / "resumed"))) == "ckpt-2"
    assert "interrupted in epoch 3, batch 2" in capsys.readouterr().err

    # A new graph and session continue from the checkpoint of epoch 2.
    model = _resume_model()
    with tfcore.session(model.graph) as sess:
        resumed = fit(model, sess, x, y, checkpoint_dir=str(tmp_path / "resumed"), **settings)
        resumed_weights = dense_weights(model, sess)
        adam_steps = sess.run([v for v in model.variables if v.op.name.endswith("iterations")])

    assert adam_steps == [4 * 4]
    assert resumed.epoch == straight.epoch == [0, 1, 2, 3]
    for key in ["loss", "mae", "val_loss", "val_mae"]:
        np.testing.assert_allclose(resumed.history[key], straight.history[key], rtol=0, atol=1e-6)
    for got, expected in zip(resumed_weights, straight_weights):
        np.testing.assert_allclose(got, expected, rtol=0, atol=1e-6)


def test_resuming_restores_dropout_counters_and_adam_slots_not_just_weights(tmp_path):
    # Without the optimizer state and the dropout counter, epoch 3 would differ:
    # this is the check that the resume test above can fail.
    x, y = regression_data(n=30)
    model = _resume_model()
    with tfcore.session(model.graph) as sess:
        straight = fit(model, sess, x, y, epochs=3, batch_size=8, seed=11, progress=False)
    model = _resume_model()
    with tfcore.session(model.graph) as sess:
        fit(model, sess, x, y, epochs=2, batch_size=8, seed=11, progress=False)
        weights_only = [v for v in model.variables
                        if v.trainable or v.op.name.endswith("rows_seen")]
        values = sess.run(weights_only)
    model = _resume_model()
    with tfcore.session(model.graph) as sess:
        tfcore.train.initialize(model, sess)
        for var, value in zip([v for v in model.variables
                               if v.trainable or v.op.name.endswith("rows_seen")], values):
            sess.run(var.initializer, {var.initial_value: value})
        partial = fit(model, sess, x, y, epochs=3, batch_size=8, seed=11, initial_epoch=2,
                      progress=False)
    assert partial.history["loss"][0] != straight.history["loss"][2]


def test_fit_with_all_epochs_done_returns_the_saved_history_without_training(tmp_path):
    x, y = regression_data(n=16)
    model = build_regression()
    with tfcore.session(model.graph) as sess:
        first = fit(model, sess, x, y, epochs=2, checkpoint_dir=str(tmp_path), progress=False)
    model = build_regression()
    with CountingSession(model) as counting:
        again = fit(model, counting, x, y, epochs=2, checkpoint_dir=str(tmp_path), progress=False)
    assert counting.steps == 0
    assert again.history == first.history and again.epoch == [0, 1]


def test_restore_cuts_a_later_state_file_to_the_checkpoint_and_rebuilds_a_missing_one(tmp_path):
    # An older checkpoint restored by hand gets its history cut to its epoch;
    # train_state.json (a copy of the newest bookkeeping) is rebuilt when missing.
    x, y = regression_data(n=16)
    model = build_regression()
    with tfcore.session(model.graph) as sess:
        history = fit(model, sess, x, y, epochs=3, checkpoint_dir=str(tmp_path), progress=False)
    model = build_regression()
    with tfcore.session(model.graph) as sess:
        state = checkpoint.restore(model, sess, str(tmp_path), checkpoint=str(tmp_path / "ckpt-2"))
    assert state["epoch"] == 2
    assert state["history"]["loss"] == history.history["loss"][:2]
    assert len(state["epoch_times"]) == 2

    os.remove(tmp_path / checkpoint.STATE_FILE)
    model = build_regression()
    with tfcore.session(model.graph) as sess:
        again = fit(model, sess, x, y, epochs=3, checkpoint_dir=str(tmp_path), progress=False)
    assert again.history == history.history
    assert (tmp_path / checkpoint.STATE_FILE).exists()


def test_keyboard_interrupt_after_an_epoch_keeps_its_checkpoint_and_says_where(tmp_path, capsys):
    x, y = regression_data(n=16)
    model = build_regression()

    def stop(epoch, logs):
        if epoch == 1:
            raise KeyboardInterrupt

    with tfcore.session(model.graph) as sess:
        with pytest.raises(KeyboardInterrupt):
            fit(model, sess, x, y, epochs=5, checkpoint_dir=str(tmp_path), progress=False,
                on_epoch_end=stop)
    assert os.path.basename(checkpoint.latest(str(tmp_path))) == "ckpt-2"
    assert "ckpt-2" in capsys.readouterr().err


# ---------------------------------------------------------------------------
# Determinism
# ---------------------------------------------------------------------------

def test_two_runs_with_the_same_seed_give_identical_histories_and_another_seed_does_not():
    x, y = regression_data(n=30)

    def run(seed):
        model = build_regression(seed=seed, hidden=6, dropout=0.3, optimizer=Adam(0.01))
        with tfcore.session(model.graph) as sess:
            return fit(model, sess, x, y, epochs=3, batch_size=8, seed=seed, progress=False)

    first, second, other = run(5), run(5), run(6)
    assert first.history == second.history
    assert first.history["loss"] != other.history["loss"]


def test_shuffle_order_depends_only_on_seed_and_epoch():
    from tfcore.train import epoch_order

    orders = [epoch_order(20, epoch, seed=3) for epoch in range(3)]
    assert all(sorted(o) == list(range(20)) for o in orders)
    np.testing.assert_array_equal(epoch_order(20, 2, seed=3), orders[2])
    assert not np.array_equal(orders[0], orders[1])
    np.testing.assert_array_equal(epoch_order(20, 1, seed=3, shuffle=False), np.arange(20))


# ---------------------------------------------------------------------------
# A non-finite loss stops training and keeps the last good checkpoint
# ---------------------------------------------------------------------------

def test_nan_loss_raises_a_clear_error_and_the_last_good_checkpoint_restores_finite_weights(tmp_path):
    x, y = regression_data(n=16)
    x = 3 * x  # with lr 2 gradient descent diverges by a large factor every step
    model = build_regression(optimizer=SGD(2.0))
    saved = {}
    with tfcore.session(model.graph) as sess:
        def remember_weights(epoch, logs):  # runs right after the epoch's checkpoint is saved
            saved[epoch + 1] = dense_weights(model, sess)

        with pytest.raises(NonFiniteLossError, match=r"epoch \d+, batch \d+.*ckpt-") as caught:
            fit(model, sess, x, y, epochs=200, batch_size=16, checkpoint_dir=str(tmp_path),
                shuffle=False, progress=False, on_epoch_end=remember_weights)
    error = caught.value
    assert error.epoch >= 1  # at least one good epoch was saved first
    assert os.path.basename(error.checkpoint) == "ckpt-%d" % error.epoch
    assert checkpoint.latest(str(tmp_path)) == error.checkpoint  # the NaN state was not saved

    model = build_regression(optimizer=SGD(2.0))
    with tfcore.session(model.graph) as sess:
        state = checkpoint.restore(model, sess, str(tmp_path))
        weights = dense_weights(model, sess)
    assert state["epoch"] == error.epoch and len(state["history"]["loss"]) == error.epoch
    assert np.all(np.isfinite(state["history"]["loss"]))
    assert all(np.all(np.isfinite(w)) for w in weights)
    for got, expected in zip(weights, saved[error.epoch]):
        np.testing.assert_array_equal(got, expected)


def test_a_nan_in_the_data_stops_training_in_the_batch_that_holds_it():
    x, y = regression_data(n=12)
    x[9, 1] = np.nan
    model = build_regression()
    with tfcore.session(model.graph) as sess:
        with pytest.raises(NonFiniteLossError, match="epoch 1, batch 3") as caught:
            fit(model, sess, x, y, epochs=2, batch_size=4, shuffle=False, progress=False)
    assert caught.value.checkpoint is None


# ---------------------------------------------------------------------------
# Stateful models: reset at each epoch start and before evaluate / predict
# ---------------------------------------------------------------------------

def build_stateful(batch=4):
    """A toy stateful layer: the prediction adds a carried state that each step increases.

    Its reset op zeroes the state and counts resets, and is in the graph's
    `tfcore_reset_states` collection as the recurrent layers' are.
    """
    graph = tfcore.new_graph(0)
    with graph.as_default():
        x, y = tfcore.placeholder((batch, 2)), tfcore.placeholder((batch, 1))
        state = tfcore.variable(tf.zeros((batch, 1)), trainable=False, name="state")
        resets = tfcore.variable(0, trainable=False, name="resets", dtype=tf.int64)
        prediction = Dense(1)(x) + state.read_value()
        with tf.control_dependencies([prediction]):
            carry = state.assign_add(tf.ones((batch, 1)))
        loss = tf.reduce_mean(tf.square(prediction - y))
        with tf.control_dependencies([prediction]):
            predict_and_carry = tf.identity(prediction)
        reset = tf.group(state.assign(tf.zeros((batch, 1))), resets.assign_add(1))
        graph.add_to_collection(RESET_STATES, reset)
        model = TrainGraph(graph, x, y, predict_and_carry, loss,
                           tf.group(SGD(0.01).minimize(loss), carry))
    model.state, model.resets = state, resets
    return model


def test_stateful_reset_runs_at_each_epoch_start_and_before_evaluate_and_predict():
    rng = np.random.RandomState(0)
    x, y = rng.randn(8, 2).astype(np.float32), rng.randn(8, 1).astype(np.float32)
    model = build_stateful()
    with tfcore.session(model.graph) as sess:
        fit(model, sess, x, y, epochs=3, shuffle=False, progress=False)
        assert sess.run(model.resets) == 3
        # Two steps per epoch; without the reset at epoch start the state would be 6.
        np.testing.assert_array_equal(sess.run(model.state), np.full((4, 1), 2.0))
        fit(model, sess, x, y, epochs=5, initial_epoch=3, shuffle=False, validation_data=(x, y),
            progress=False)
        assert sess.run(model.resets) == 3 + 2 + 2  # epoch starts + validation runs
        evaluate(model, sess, x, y)
        predict(model, sess, x)
        assert sess.run(model.resets) == 3 + 2 + 2 + 2


def test_stateful_lstm_starts_every_epoch_and_evaluation_from_a_zero_state():
    # The train op only runs the forward pass (which carries the LSTM's state),
    # so the weights never move: with the reset at each epoch start every epoch
    # sees the same state sequence and reports the same loss, and so does
    # evaluate. Without the reset, epoch 2 would start from epoch 1's last state.
    from tfcore.layers.recurrent import LSTM

    rng = np.random.RandomState(0)
    x, y = rng.randn(16, 3, 1).astype(np.float32), rng.randn(16, 1).astype(np.float32)
    graph = tfcore.new_graph(0)
    with graph.as_default():
        inputs, targets = tfcore.placeholder((4, 3, 1)), tfcore.placeholder((4, 1))
        lstm = LSTM(4, stateful=True, batch_size=4)
        prediction = Dense(1)(lstm(inputs))
        loss = tf.reduce_mean(tf.square(prediction - targets))
        model = TrainGraph(graph, inputs, targets, prediction, loss, tf.group(loss))
    with tfcore.session(graph) as sess:
        history = fit(model, sess, x, y, epochs=3, shuffle=False, progress=False)
        carried_state = sess.run(lstm.states)
        evaluated = evaluate(model, sess, x, y)["loss"]
        first_batch_twice = [predict(model, sess, x[:4]) for _ in range(2)]
    assert history.history["loss"][0] == history.history["loss"][1] == history.history["loss"][2]
    np.testing.assert_allclose(evaluated, history.history["loss"][0], rtol=1e-6)
    assert np.abs(carried_state[0]).max() > 0  # the state did carry within an epoch
    np.testing.assert_array_equal(first_batch_twice[0], first_batch_twice[1])


def test_fixed_batch_size_models_refuse_row_counts_that_are_not_a_multiple():
    model = build_stateful(batch=4)
    x, y = np.zeros((10, 2), np.float32), np.zeros((10, 1), np.float32)
    with tfcore.session(model.graph) as sess:
        with pytest.raises(ValueError, match="fixed batch size of 4.*Keep the first 8 rows"):
            fit(model, sess, x, y, epochs=1, shuffle=False, progress=False)
        with pytest.raises(ValueError, match="fixed batch size of 4"):
            evaluate(model, sess, x, y, batch_size=5)
        with pytest.raises(ValueError, match="multiple"):
            predict(model, sess, x)


def test_shuffling_a_stateful_model_warns():
    model = build_stateful(batch=4)
    x, y = np.zeros((8, 2), np.float32), np.zeros((8, 1), np.float32)
    with tfcore.session(model.graph) as sess:
        with pytest.warns(UserWarning, match="shuffle=False"):
            fit(model, sess, x, y, epochs=1, shuffle=True, progress=False)


# ---------------------------------------------------------------------------
# Bad arguments fail clearly before anything runs
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("change, message", [
    (dict(y=np.zeros((9, 1), np.float32)), "x has 10 rows but y has 9"),
    (dict(x=np.zeros((10, 4), np.float32)), r"x has shape \(10, 4\).*\(batch, 3\)"),
    (dict(y=np.zeros((10,), np.float32)), r"y has shape \(10,\)"),
    (dict(batch_size=0), "batch_size must be a positive int"),
    (dict(batch_size=2.5), "batch_size must be a positive int"),
    (dict(epochs=-1), "epochs must be a non-negative int"),
    (dict(validation_data=(np.zeros((3, 2), np.float32), np.zeros((3, 1), np.float32))),
     r"validation_data.*x has shape \(3, 2\)"),
    (dict(validation_data=np.zeros((3, 3))), "pair"),
])
def test_fit_rejects_bad_arguments_before_running_anything(change, message):
    model = build_regression()
    arguments = dict(x=np.zeros((10, 3), np.float32), y=np.zeros((10, 1), np.float32),
                     epochs=1, batch_size=4, progress=False)
    arguments.update(change)
    with CountingSession(model) as counting:
        with pytest.raises((ValueError, TypeError), match=message):
            fit(model, counting, **arguments)
        assert counting.runs == 0


def test_progress_bar_shows_each_epoch_with_its_loss(capsys):
    x, y = regression_data(n=8)
    model = build_regression()
    with tfcore.session(model.graph) as sess:
        fit(model, sess, x, y, epochs=2, batch_size=4, progress=True)
    err = capsys.readouterr().err
    assert "Epoch 1/2" in err and "Epoch 2/2" in err and "loss=" in err


def test_small_steps_run_in_the_callers_thread_and_large_or_multi_device_ones_keep_the_pool():
    small = build_regression(hidden=8)
    options = small.step_options(32)
    assert options is not None and options.inter_op_thread_pool == -1
    assert small.step_options(32) is options  # chosen once per batch size
    # The same graph at a batch large enough to pass the FLOP threshold keeps TF's default.
    flops_per_row = 2 * 3 * 8 + 8 + 2 * 8 + 1  # the two MatMuls and bias adds, per row
    big = int(tfcore.train_speed.CALLER_THREAD_FLOPS // flops_per_row) + 1
    assert small.step_options(big) is None
    graph = tfcore.new_graph(0)
    with graph.as_default():
        x, y = tfcore.placeholder((None, 3)), tfcore.placeholder((None, 1))
        with tf.device("/cpu:0"):
            h = Dense(4)(x)
        with tf.device("/cpu:1"):
            prediction = Dense(1)(h)
        loss = tf.reduce_mean(tf.square(prediction - y))
        towers = TrainGraph(graph, x, y, prediction, loss, SGD(0.1).minimize(loss))
    assert towers.step_options(4) is None


@pytest.mark.parametrize("steps_per_run", [1, 3])
def test_fit_in_the_callers_thread_trains_exactly_as_with_the_thread_pool(monkeypatch, steps_per_run):
    x, y = regression_data(n=50)
    results = []
    for threshold in (tfcore.train_speed.CALLER_THREAD_FLOPS, 0):  # 0: no step is small, the pool runs it
        monkeypatch.setattr(tfcore.train_speed, "CALLER_THREAD_FLOPS", threshold)
        model = build_regression(hidden=6, dropout=0.3, optimizer=Adam(0.01))
        assert (model.step_options(8) is None) == (threshold == 0)
        with tfcore.session(graph=model.graph) as sess:
            history = fit(model, sess, x, y, epochs=3, batch_size=8, seed=5, progress=False,
                          steps_per_run=steps_per_run)
            results.append((history.history, model.get_weights(sess)))
    (caller, caller_weights), (pool, pool_weights) = results
    assert caller == pool
    for a, b in zip(caller_weights, pool_weights):
        np.testing.assert_array_equal(a, b)
