"""fit(..., steps_per_run=N): N training steps per session run train exactly as one per run.

Oracle: the same graph trained by `fit` with `steps_per_run=1` (one session
run per batch, the path every other test of tests/test_train.py checks against
NumPy and scikit-learn). With N > 1 the History, the final weights, the
optimizer and layer state, the NaN error and the checkpoints must be the same,
and the number of session runs must drop.
"""

import numpy as np
import pytest
import tensorflow as tf

import tfcore
from tfcore import checkpoint
from tfcore.layers.dense import Dense
from tfcore.layers.dropout import Dropout
from tfcore.layers.recurrent import LSTM
from tfcore.optimizers import SGD, Adam
from tfcore.train import NonFiniteLossError, TrainGraph, fit

STEPS_PER_RUN = [2, 3, 7, 50]  # 50 is more than an epoch's batches: the whole epoch in one run


class RecordingSession(tf.compat.v1.Session):
    """A session that records, per run, whether it was one step, N steps or something else."""

    def __init__(self, model):
        super().__init__(graph=model.graph)
        self.model = model
        self.kinds = []

    def run(self, fetches, feed_dict=None, options=None, run_metadata=None):
        flat = fetches if isinstance(fetches, (list, tuple)) else [fetches]
        multi = [m.values for m in self.model._multi_steps.values()]
        if any(f is self.model.train_op for f in flat):
            self.kinds.append("step")
        elif any(f is v for f in flat for v in multi):
            self.kinds.append("steps")
        else:
            self.kinds.append("other")
        return super().run(fetches, feed_dict, options, run_metadata)


def build_dense(seed=0, dropout=0.3, optimizer=None, batch=None):
    """x -> Dropout (training switch) -> Dense(5, tanh) -> Dense(1); MSE loss, MAE metric."""
    graph = tfcore.new_graph(seed)
    with graph.as_default():
        x = tfcore.placeholder((batch, 3), name="x")
        y = tfcore.placeholder((batch, 1), name="y")
        training = tfcore.placeholder_with_default(False, (), name="training")
        h = Dense(5, activation="tanh")(Dropout(dropout)(x, training=training))
        prediction = Dense(1)(h)
        loss = tf.reduce_mean(tf.square(prediction - y))
        mae = tf.reduce_mean(tf.abs(prediction - y))
        rows_seen = tfcore.variable(0, trainable=False, name="rows_seen", dtype=tf.int64)
        count = rows_seen.assign_add(tf.cast(tf.shape(x)[0], tf.int64))
        train_op = tf.group((optimizer or Adam(0.01, decay=1e-3)).minimize(loss), count)
        model = TrainGraph(graph, x, y, prediction, loss, train_op, metrics={"mae": mae},
                           training=training)
    model.rows_seen = rows_seen
    return model


def build_stateful_lstm(seed=0, batch=4, implementation="block"):
    """A stateful LSTM(4) over windows of 5, batch fixed at 4, then Dense(1); Adam."""
    graph = tfcore.new_graph(seed)
    with graph.as_default():
        x = tfcore.placeholder((batch, 5, 1), name="window")
        y = tfcore.placeholder((batch, 1), name="next")
        lstm = LSTM(4, stateful=True, batch_size=batch, implementation=implementation)
        prediction = Dense(1)(lstm(x))
        loss = tf.reduce_mean(tf.square(prediction - y))
        train_op = Adam(0.01, decay=1e-4).minimize(loss)
        model = TrainGraph(graph, x, y, prediction, loss, train_op)
    model.lstm = lstm
    return model


def regression_data(n, seed=0):
    rng = np.random.RandomState(seed)
    x = rng.randn(n, 3).astype(np.float32)
    y = (x @ rng.randn(3, 1) + 0.5 + 0.1 * rng.randn(n, 1)).astype(np.float32)
    return x, y


def series_data(n, seed=0):
    rng = np.random.RandomState(seed)
    x = np.cumsum(rng.randn(n, 5, 1), axis=1).astype(np.float32) / 3
    return x, (x[:, -1] + 0.1 * rng.randn(n, 1)).astype(np.float32)


def train(build, x, y, steps_per_run, **settings):
    """fit a fresh model; return (History, every variable's value by name, the session's runs)."""
    model = build()
    with RecordingSession(model) as sess:
        history = fit(model, sess, x, y, progress=False, steps_per_run=steps_per_run, **settings)
        state = dict(zip([v.op.name for v in model.variables], sess.run(model.variables)))
    return history, state, sess.kinds


def assert_same_training(got, expected):
    (history, state, _), (history_1, state_1, _) = got, expected
    assert sorted(history.history) == sorted(history_1.history)
    for key in history_1.history:
        np.testing.assert_allclose(history.history[key], history_1.history[key], rtol=1e-6,
                                   err_msg=key)
    assert sorted(state) == sorted(state_1)
    for name in state_1:  # weights, Adam's slots and step, dropout counter, LSTM state, rows seen
        np.testing.assert_allclose(state[name], state_1[name], rtol=1e-6, err_msg=name)


# ---------------------------------------------------------------------------
# Same training as one run per step
# ---------------------------------------------------------------------------

@pytest.fixture(scope="module")
def dense_one_step_per_run():
    x, y = regression_data(37)  # batch 4: 9 full batches and a last one of 1 row
    settings = dict(epochs=3, batch_size=4, seed=5, shuffle=True,
                    validation_data=regression_data(10, seed=1))
    return x, y, settings, train(build_dense, x, y, 1, **settings)


@pytest.mark.parametrize("steps_per_run", STEPS_PER_RUN)
def test_dense_with_dropout_trains_exactly_as_one_step_per_run_including_the_partial_batch(
        dense_one_step_per_run, steps_per_run):
    x, y, settings, expected = dense_one_step_per_run
    got = train(build_dense, x, y, steps_per_run, **settings)
    assert_same_training(got, expected)
    state = got[1]
    assert state["rows_seen"] == 3 * 37  # every row, the partial batch's included, once an epoch
    assert state["dropout/counter"] == 3 * 10  # training=True in every step: one mask per batch


@pytest.fixture(scope="module", params=["block", "while"])
def lstm_one_step_per_run(request):
    x, y = series_data(28)  # batch 4: 7 batches, not a multiple of 2 or 3
    settings = dict(epochs=3, batch_size=4, seed=0, shuffle=False,
                    validation_data=series_data(8, seed=1))
    build = lambda: build_stateful_lstm(implementation=request.param)  # noqa: E731
    return build, x, y, settings, train(build, x, y, 1, **settings)


@pytest.mark.parametrize("steps_per_run", STEPS_PER_RUN)
def test_stateful_lstm_trains_exactly_as_one_step_per_run(lstm_one_step_per_run, steps_per_run):
    build, x, y, settings, expected = lstm_one_step_per_run
    got = train(build, x, y, steps_per_run, **settings)
    assert_same_training(got, expected)
    # The carried state is the last batch's, and it is not zero: state did carry.
    assert any(np.abs(v).max() > 0 for k, v in got[1].items() if "state" in k)


def test_a_stateful_lstm_epoch_in_one_run_resets_its_state_at_each_epoch_start():
    # Without the reset, epoch 2 would start from epoch 1's last state. With
    # a train op that changes no weight (it only carries the state), every
    # epoch then reports the same loss, in one run per step as in one per epoch.
    x, y = series_data(16)
    graph = tfcore.new_graph(0)
    with graph.as_default():
        inputs, targets = tfcore.placeholder((4, 5, 1)), tfcore.placeholder((4, 1))
        prediction = Dense(1)(LSTM(4, stateful=True, batch_size=4)(inputs))
        loss = tf.reduce_mean(tf.square(prediction - targets))
        model = TrainGraph(graph, inputs, targets, prediction, loss, tf.group(loss))
    with tfcore.session(graph) as sess:
        one = fit(model, sess, x, y, epochs=2, shuffle=False, progress=False)
        tfcore.train.reset_states(model, sess)
        many = fit(model, sess, x, y, epochs=2, shuffle=False, progress=False, steps_per_run=4)
    assert one.history["loss"][0] == one.history["loss"][1]
    np.testing.assert_allclose(many.history["loss"], one.history["loss"], rtol=1e-6)


# ---------------------------------------------------------------------------
# Fewer session runs
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("steps_per_run, runs_per_epoch", [
    (1, ["step"] * 10),
    (3, ["steps"] * 3 + ["step"]),            # 3 + 3 + 3 full batches, then 1 alone
    (4, ["steps"] * 2 + ["step"] * 2),        # 4 + 4, then 2 alone
    (7, ["steps"] + ["step"] * 3),
    (10, ["steps"]),
    (50, ["steps"]),                          # cut to the epoch's 10 batches
])
def test_each_run_trains_n_batches_so_an_epoch_takes_fewer_session_runs(steps_per_run,
                                                                        runs_per_epoch):
    x, y = regression_data(40)
    _, _, kinds = train(build_dense, x, y, steps_per_run, epochs=2, batch_size=4, seed=0)
    training_runs = [k for k in kinds if k != "other"]
    assert training_runs == runs_per_epoch * 2


def test_a_partial_last_batch_trains_alone_even_when_n_would_cover_it():
    x, y = regression_data(10)  # batch 4: 4 + 4 + 2; the loop's batches must be full
    _, state, kinds = train(build_dense, x, y, 3, epochs=1, batch_size=4, seed=0)
    assert [k for k in kinds if k != "other"] == ["steps", "step"]
    assert state["rows_seen"] == 10


def test_default_steps_per_run_builds_no_loop():
    x, y = regression_data(12)
    model = build_dense()
    before = len(model.graph.get_operations())
    with tfcore.session(model.graph) as sess:
        fit(model, sess, x, y, epochs=1, batch_size=4, progress=False)
    assert len(model.graph.get_operations()) == before and not model._multi_steps


def test_the_loop_is_built_once_per_steps_and_batch_size():
    x, y = regression_data(24)
    model = build_dense()
    with tfcore.session(model.graph) as sess:
        for _ in range(2):
            fit(model, sess, x, y, epochs=1, batch_size=4, progress=False, steps_per_run=3)
        ops = len(model.graph.get_operations())
        fit(model, sess, x, y, epochs=1, batch_size=4, progress=False, steps_per_run=3)
        assert len(model.graph.get_operations()) == ops
        fit(model, sess, x, y, epochs=1, batch_size=6, progress=False, steps_per_run=3)
    assert sorted(model._multi_steps) == [(3, 4), (3, 6)]


def test_progress_bar_advances_n_batches_per_run(capsys):
    x, y = regression_data(40)
    model = build_dense()
    with tfcore.session(model.graph) as sess:
        fit(model, sess, x, y, epochs=1, batch_size=4, progress=True, steps_per_run=3)
    err = capsys.readouterr().err
    assert "Epoch 1/1" in err and "10/10" in err and "loss=" in err


# ---------------------------------------------------------------------------
# NaN, checkpoints, bad arguments
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("steps_per_run", [2, 3, 7])
def test_a_nan_inside_a_run_names_its_batch_and_the_loop_stops_after_it(steps_per_run):
    x, y = regression_data(40)
    x[9, 1] = np.nan  # batch 3 (rows 8-11)
    results = {}
    for n in (1, steps_per_run):
        model = build_dense(dropout=0.0, optimizer=SGD(0.1))
        with tfcore.session(model.graph) as sess:
            with pytest.raises(NonFiniteLossError, match="epoch 1, batch 3;") as caught:
                fit(model, sess, x, y, epochs=2, batch_size=4, shuffle=False, progress=False,
                    steps_per_run=n)
            results[n] = caught.value, sess.run(model.rows_seen), sess.run(model.variables)
    (error, rows, weights), (error_1, rows_1, weights_1) = results[steps_per_run], results[1]
    assert (error.epoch, error.batch) == (error_1.epoch, error_1.batch) == (0, 2)
    assert rows == rows_1 == 12  # the NaN batch's update ran; the later batches' did not
    for got, expected in zip(weights, weights_1):
        np.testing.assert_array_equal(got, expected)  # NaN where the single steps put NaN


def test_a_diverging_run_stops_in_the_same_epoch_and_batch_with_the_same_last_checkpoint(tmp_path):
    x, y = regression_data(32)
    x = 3 * x  # with lr 2 gradient descent diverges by a large factor every step
    errors = {}
    for n in (1, 3):
        model = build_dense(dropout=0.0, optimizer=SGD(2.0))
        with tfcore.session(model.graph) as sess:
            with pytest.raises(NonFiniteLossError) as caught:
                fit(model, sess, x, y, epochs=200, batch_size=4, shuffle=False, progress=False,
                    checkpoint_dir=str(tmp_path / str(n)), steps_per_run=n)
        errors[n] = caught.value
    assert (errors[3].epoch, errors[3].batch) == (errors[1].epoch, errors[1].batch)
    assert errors[1].epoch >= 1  # at least one good epoch was saved first
    assert errors[3].checkpoint.endswith("ckpt-%d" % errors[1].epoch)


def test_checkpoints_hold_the_same_variables_and_a_resumed_run_equals_a_straight_one(tmp_path):
    x, y = regression_data(30)
    settings = dict(batch_size=4, seed=3, shuffle=True, validation_data=regression_data(9, seed=2))
    straight = train(build_dense, x, y, 1, epochs=4, checkpoint_dir=str(tmp_path / "straight"),
                     **settings)

    model = build_dense()
    variables = list(model.variables)
    with tfcore.session(model.graph) as sess:
        fit(model, sess, x, y, epochs=2, checkpoint_dir=str(tmp_path / "resumed"),
            progress=False, steps_per_run=3, **settings)
        # The loop's imported handles are not new variables.
        assert model.graph.get_collection(tf.compat.v1.GraphKeys.GLOBAL_VARIABLES) == variables
        assert len(sess.run(model._uninitialized)) == 0
    last = checkpoint.latest(str(tmp_path / "resumed"))
    saved = sorted(name for name, _ in tf.train.list_variables(last))
    assert saved == sorted(v.op.name for v in variables)

    model = build_dense()
    with RecordingSession(model) as sess:
        resumed = fit(model, sess, x, y, epochs=4, checkpoint_dir=str(tmp_path / "resumed"),
                      progress=False, steps_per_run=3, **settings)
        state = dict(zip([v.op.name for v in model.variables], sess.run(model.variables)))
        kinds = sess.kinds
    assert resumed.epoch == [0, 1, 2, 3]
    assert_same_training((resumed, state, kinds), straight)
    assert "steps" in kinds


@pytest.mark.parametrize("steps_per_run", [0, -2, 2.5, True, "3", None, np.float32(2)])
def test_bad_steps_per_run_is_refused_before_anything_runs(steps_per_run):
    x, y = regression_data(8)
    model = build_dense()
    with RecordingSession(model) as sess:
        with pytest.raises(ValueError, match="steps_per_run must be a positive int"):
            fit(model, sess, x, y, epochs=1, batch_size=4, progress=False,
                steps_per_run=steps_per_run)
        assert sess.kinds == []
    assert not model._multi_steps


def test_numpy_int_steps_per_run_is_accepted():
    x, y = regression_data(8)
    _, state, kinds = train(build_dense, x, y, np.int64(2), epochs=1, batch_size=4, seed=0)
    assert [k for k in kinds if k != "other"] == ["steps"] and state["rows_seen"] == 8


# ---------------------------------------------------------------------------
# The benchmark's --steps-per-run (benchmarks/params.py, harness.time_epoch)
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("steps_per_run, built", [(0, [(70, 20)]), (1, []), (30, [(30, 20)])])
def test_benchmark_epoch_runs_fit_with_steps_per_run_zero_meaning_the_whole_epoch(steps_per_run,
                                                                                  built):
    from benchmarks import harness
    from benchmarks.params import make_params

    params = make_params(model="lstm_temperature", device="cpu", peer="none", warmup=1, steps=2,
                         rounds=1, json="", markdown="", plot="", peak_size=128,
                         steps_per_run=steps_per_run)
    x, y = harness.load_data("lstm_temperature", 1400, params)
    bench = harness.TfcoreBench("lstm_temperature", "/device:CPU:0", params, x, y)
    try:
        assert bench.time_epoch(x, y) > 0
        assert sorted(bench.model._multi_steps) == built  # 1,400 windows, batch 20: 70 steps
    finally:
        bench.close()


def test_benchmark_refuses_a_negative_steps_per_run():
    from benchmarks.params import ParamsError, make_params

    with pytest.raises(ParamsError, match="--steps-per-run must be an int >= 0"):
        make_params(model="mlp", steps_per_run=-1)
