"""LSTM and GRU: equal to the NumPy equations and to TensorFlow's fused BlockLSTM,
strategies agree, gradients pass the float64 check, the stateful protocol holds,
bad input fails clearly. (tf-keras comparisons: tests/test_recurrent_keras.py.)"""

import numpy as np
import pytest
import tensorflow as tf

import tfcore
from tfcore.layers.recurrent import (
    GRU, LSTM, RESET_STATES_COLLECTION, GRUCell, LSTMCell, reset_all_states, reset_states_ops,
)
from tfcore import reference  # the NumPy oracle: the module docstring's equations, step by step


def _random_weights(layer, rng, scale=0.5):
    return [rng.uniform(-scale, scale, v.shape.as_list()) for v in layer.variables]


def _run(make_layer, x, rng, dtype=tf.float64, time_known=True, initial_state=None, weights=None):
    """Build `make_layer()` on a placeholder, give it random (or given) weights, run it on `x`."""
    graph = tfcore.new_graph(seed=0)
    with graph.as_default():
        shape = (None, x.shape[1] if time_known else None, x.shape[2])
        xp = tfcore.placeholder(shape, dtype)
        feed = {xp: x}
        state_ps = None
        if initial_state is not None:
            state_ps = [tfcore.placeholder((None, s.shape[1]), dtype) for s in initial_state]
            feed.update(zip(state_ps, initial_state))
        layer = make_layer()
        out = layer(xp, initial_state=state_ps)
        with tfcore.session(graph=graph) as sess:
            sess.run(tf.compat.v1.global_variables_initializer())
            if weights is None:
                weights = [w.astype(dtype.as_numpy_dtype) for w in _random_weights(layer, rng)]
            layer.set_weights(sess, weights)
            return sess.run(out, feed), weights


# ---------------------------------------------------------------------------
# Forward pass: NumPy equations, fused kernel, strategies
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("implementation", ["unroll", "while"])
@pytest.mark.parametrize("go_backwards", [False, True])
def test_lstm_equals_numpy_equations_in_float64(rng, implementation, go_backwards):
    x, h0, c0 = rng.randn(3, 5, 4), rng.randn(3, 2), rng.randn(3, 2)
    (seq, h, c), w = _run(
        lambda: LSTM(2, return_sequences=True, return_state=True, go_backwards=go_backwards,
                     implementation=implementation),
        x, rng, initial_state=[h0, c0], time_known=implementation == "unroll")
    ref_seq, ref_h, ref_c = reference.lstm(x, *w, h0, c0, go_backwards=go_backwards)
    np.testing.assert_allclose(seq, ref_seq, atol=1e-12)
    np.testing.assert_allclose(h, ref_h, atol=1e-12)
    np.testing.assert_allclose(c, ref_c, atol=1e-12)


@pytest.mark.parametrize("implementation", ["unroll", "while"])
@pytest.mark.parametrize("reset_after", [True, False])
@pytest.mark.parametrize("go_backwards", [False, True])
def test_gru_equals_numpy_equations_in_float64(rng, implementation, reset_after, go_backwards):
    x, h0 = rng.randn(3, 5, 4), rng.randn(3, 2)
    (seq, h), w = _run(
        lambda: GRU(2, reset_after=reset_after, return_sequences=True, return_state=True,
                    go_backwards=go_backwards, implementation=implementation),
        x, rng, initial_state=[h0], time_known=implementation == "unroll")
    ref_seq, ref_h = reference.gru(x, *w, h0, reset_after, go_backwards=go_backwards)
    np.testing.assert_allclose(seq, ref_seq, atol=1e-12)
    np.testing.assert_allclose(h, ref_h, atol=1e-12)


@pytest.mark.parametrize("cell_class", [LSTMCell, GRUCell])
def test_cell_called_alone_equals_one_numpy_step(rng, cell_class):
    x = rng.randn(3, 4)
    with tfcore.new_graph().as_default():
        cell = cell_class(2)
        states = [tfcore.placeholder((None, 2), tf.float64) for _ in cell.state_names]
        xp = tfcore.placeholder((None, 4), tf.float64)
        out, new_states = cell(xp, states=states)
        values = [rng.randn(3, 2) for _ in states]
        with tfcore.session() as sess:
            sess.run(tf.compat.v1.global_variables_initializer())
            w = _random_weights(cell, rng)
            cell.set_weights(sess, w)
            got, got_states = sess.run([out, new_states], {xp: x, **dict(zip(states, values))})
    if cell_class is LSTMCell:
        _, ref_h, ref_c = reference.lstm(x[:, None], *w, *values)
        np.testing.assert_allclose(got_states[1], ref_c, atol=1e-12)
    else:
        _, ref_h = reference.gru(x[:, None], *w, *values, reset_after=True)
    np.testing.assert_allclose(got, ref_h, atol=1e-12)
    np.testing.assert_allclose(got_states[0], ref_h, atol=1e-12)


def test_lstm_equals_raw_block_lstm_given_reordered_gates(rng):
    # The oracle: TensorFlow's fused kernel, called here directly with our
    # weights re-ordered from Keras's gate blocks i, f, c, o to its i, c, f, o.
    x = rng.randn(4, 6, 3).astype(np.float32)
    (seq, h, c), (kernel, recurrent_kernel, bias) = _run(
        lambda: LSTM(5, return_sequences=True, return_state=True, implementation="unroll"),
        x, rng, dtype=tf.float32)

    def icfo(a):
        i, f, g, o = np.split(a, 4, axis=-1)
        return np.concatenate([i, g, f, o], axis=-1)

    with tfcore.new_graph().as_default():
        zeros_state, no_peephole = np.zeros((4, 5), np.float32), np.zeros(5, np.float32)
        fused = tf.raw_ops.BlockLSTM(
            seq_len_max=np.int64(6), x=np.transpose(x, (1, 0, 2)), cs_prev=zeros_state,
            h_prev=zeros_state, w=icfo(np.concatenate([kernel, recurrent_kernel])), wci=no_peephole,
            wcf=no_peephole, wco=no_peephole, b=icfo(bias), forget_bias=0.0, cell_clip=-1.0,
            use_peephole=False)
        with tfcore.session() as sess:
            ref_h, ref_c = sess.run([fused.h, fused.cs])
    np.testing.assert_allclose(seq, np.transpose(ref_h, (1, 0, 2)), atol=1e-6)
    np.testing.assert_allclose(h, ref_h[-1], atol=1e-6)
    np.testing.assert_allclose(c, ref_c[-1], atol=1e-6)


def _forward_and_gradients(make_layer, x, state_values, weights):
    """Outputs, final states and d(loss)/d(input, initial state, weights) in float32."""
    with tfcore.new_graph().as_default():
        # Static shapes keep tf.gradients from building run-time broadcast logic.
        xp = tfcore.placeholder(x.shape)
        state_ps = [tfcore.placeholder(s.shape) for s in state_values]
        layer = make_layer()
        outs = layer(xp, initial_state=state_ps)
        loss = tf.add_n([tf.reduce_sum(o * o) for o in outs])
        grads = tf.gradients(loss, [xp] + state_ps + layer.trainable_variables)
        with tfcore.session() as sess:
            layer.set_weights(sess, weights)
            return sess.run([outs, grads], {xp: x, **dict(zip(state_ps, state_values))})


@pytest.mark.parametrize("go_backwards", [False, True])
def test_lstm_unroll_while_and_block_agree_forward_and_backward(rng, go_backwards):
    x = rng.randn(4, 5, 3).astype(np.float32)
    states = [rng.randn(4, 6).astype(np.float32) for _ in range(2)]
    weights = [rng.uniform(-0.5, 0.5, s).astype(np.float32) for s in [(3, 24), (6, 24), (24,)]]
    results = {
        impl: _forward_and_gradients(
            lambda: LSTM(6, return_sequences=True, return_state=True, go_backwards=go_backwards,
                         implementation=impl), x, states, weights)
        for impl in ["unroll", "while", "block"]
    }
    (outs, grads) = results["unroll"]
    for impl in ["while", "block"]:
        for a, b in zip(outs, results[impl][0]):
            np.testing.assert_allclose(b, a, atol=1e-6, err_msg=impl)
        for a, b in zip(grads, results[impl][1]):
            np.testing.assert_allclose(b, a, atol=1e-5, rtol=1e-5, err_msg=impl)


@pytest.mark.parametrize("reset_after", [True, False])
def test_gru_unroll_and_while_agree_forward_and_backward(rng, reset_after):
    x = rng.randn(4, 5, 3).astype(np.float32)
    states = [rng.randn(4, 5).astype(np.float32)]
    bias_shape = (2, 15) if reset_after else (15,)
    weights = [rng.uniform(-0.5, 0.5, s).astype(np.float32) for s in [(3, 15), (5, 15), bias_shape]]
    results = [
        _forward_and_gradients(
            lambda: GRU(5, reset_after=reset_after, return_sequences=True, return_state=True,
                        implementation=impl), x, states, weights)
        for impl in ["unroll", "while"]
    ]
    for a, b in zip(results[0][0] + results[0][1], results[1][0] + results[1][1]):
        np.testing.assert_allclose(b, a, atol=1e-6, rtol=1e-6)


@pytest.mark.parametrize("implementation", ["unroll", "block"])
def test_lstm_and_gru_without_bias_equal_numpy_equations_with_zero_bias(rng, implementation):
    x = rng.randn(3, 4, 2).astype(np.float32)
    zeros = np.zeros((3, 2))
    (seq, h, c), (kernel, recurrent) = _run(
        lambda: LSTM(2, use_bias=False, return_sequences=True, return_state=True,
                     implementation=implementation), x, rng, dtype=tf.float32)
    ref_seq, ref_h, ref_c = reference.lstm(x, kernel, recurrent, np.zeros(8), zeros, zeros)
    for got, ref in [(seq, ref_seq), (h, ref_h), (c, ref_c)]:
        np.testing.assert_allclose(got, ref, atol=1e-6)
    seq, (kernel, recurrent) = _run(lambda: GRU(2, use_bias=False, return_sequences=True),
                                    x, rng, dtype=tf.float32)
    ref_seq, _ = reference.gru(x, kernel, recurrent, np.zeros((2, 6)), zeros, reset_after=True)
    np.testing.assert_allclose(seq, ref_seq, atol=1e-6)


def test_two_layer_stack_equals_numpy_equations(rng):
    x = rng.randn(2, 6, 3)
    graph = tfcore.new_graph()
    with graph.as_default():
        xp = tfcore.placeholder((None, 6, 3), tf.float64)
        first = LSTM(4, return_sequences=True, implementation="unroll")
        second = GRU(3, implementation="while")
        out = second(first(xp))
        with tfcore.session() as sess:
            w1, w2 = _random_weights(first, rng), _random_weights(second, rng)
            first.set_weights(sess, w1)
            second.set_weights(sess, w2)
            got = sess.run(out, {xp: x})
    seq, _, _ = reference.lstm(x, *w1, np.zeros((2, 4)), np.zeros((2, 4)))
    _, ref = reference.gru(seq, *w2, np.zeros((2, 3)), reset_after=True)
    np.testing.assert_allclose(got, ref, atol=1e-12)


# ---------------------------------------------------------------------------
# Gradients through time: float64 finite differences
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("implementation", ["unroll", "while"])
def test_lstm_gradients_through_time_pass_float64_check(rng, implementation):
    def build(x, h0, c0):
        return LSTM(2, return_sequences=True, return_state=True,
                    implementation=implementation)(x, initial_state=[h0, c0])

    tfcore.check_gradients(build, {"x": rng.randn(2, 3, 2), "h0": rng.randn(2, 2),
                                   "c0": rng.randn(2, 2)}, name="LSTM(%s)" % implementation)


@pytest.mark.parametrize("implementation,reset_after,go_backwards", [
    ("unroll", True, False), ("while", True, True), ("unroll", False, True), ("while", False, False),
])
def test_gru_gradients_through_time_pass_float64_check(rng, implementation, reset_after, go_backwards):
    def build(x, h0):
        return GRU(2, reset_after=reset_after, go_backwards=go_backwards, return_sequences=True,
                   implementation=implementation)(x, initial_state=h0)

    tfcore.check_gradients(build, {"x": rng.randn(2, 3, 2), "h0": rng.randn(2, 2)},
                           name="GRU(%s, reset_after=%s)" % (implementation, reset_after))


def test_gradient_check_can_fail_on_a_wrong_lstm_gradient(rng):
    # Guard that the check above is able to fail: stop the gradient through the
    # recurrent state and the check must catch the missing term.
    def build(x):
        layer = LSTM(2, return_sequences=True, implementation="unroll")
        layer_step = layer.cell.step
        layer.cell.step = lambda x_t, states: layer_step(x_t, [tf.stop_gradient(s) for s in states])
        return layer(x)

    with pytest.raises(tfcore.GradientCheckError, match="LSTM"):
        tfcore.check_gradients(build, {"x": rng.randn(2, 3, 2)}, name="broken LSTM",
                               check_variables=False)


# ---------------------------------------------------------------------------
# Weights: Keras layout and initialisers
# ---------------------------------------------------------------------------

def test_weights_follow_keras_names_shapes_and_initialisers():
    with tfcore.new_graph(seed=3).as_default():
        x = tfcore.placeholder((None, 5, 3))
        lstm, gru, gru_before = LSTM(4), GRU(4), GRU(4, reset_after=False)
        for layer in (lstm, gru, gru_before):
            layer(x)
        assert [(v.name, v.shape.as_list()) for v in lstm.variables] == [
            ("lstm/lstm_cell/kernel:0", [3, 16]), ("lstm/lstm_cell/recurrent_kernel:0", [4, 16]),
            ("lstm/lstm_cell/bias:0", [16])]
        assert [v.shape.as_list() for v in gru.variables] == [[3, 12], [4, 12], [2, 12]]
        assert [v.shape.as_list() for v in gru_before.variables] == [[3, 12], [4, 12], [12]]
        with tfcore.session() as sess:
            sess.run(tf.compat.v1.global_variables_initializer())
            kernel, recurrent, bias = lstm.get_weights(sess)
            gru_bias = gru.get_weights(sess)[2]
    # unit_forget_bias: the forget block (second of i, f, c, o) starts at 1, the rest at 0.
    np.testing.assert_array_equal(bias, np.repeat([0.0, 1.0, 0.0, 0.0], 4))
    np.testing.assert_array_equal(gru_bias, np.zeros((2, 12)))
    # Orthogonal recurrent kernel (4, 16): its rows are orthonormal.
    np.testing.assert_allclose(recurrent @ recurrent.T, np.eye(4), atol=1e-5)
    # Glorot uniform: within +-sqrt(6 / (fan_in + fan_out)).
    assert np.abs(kernel).max() <= np.sqrt(6.0 / (3 + 16))


def test_unrolled_graph_has_one_name_scope_per_step_and_while_has_a_loop():
    graph = tfcore.new_graph()
    with graph.as_default():
        LSTM(2, implementation="unroll")(tfcore.placeholder((None, 4, 3)))
        GRU(2, implementation="while")(tfcore.placeholder((None, None, 3)))
    names = [op.name for op in graph.get_operations()]
    steps = {n.split("/")[1] for n in names if n.startswith("lstm/step_")}
    assert steps == {"step_0", "step_1", "step_2", "step_3"}
    assert any(op.type in ("While", "StatelessWhile") for op in graph.get_operations()
               if op.name.startswith("gru/"))


def test_training_and_evaluation_calls_share_variables():
    with tfcore.new_graph().as_default():
        layer = LSTM(3, implementation="unroll")
        layer(tfcore.placeholder((None, 4, 2)), training=True)
        layer(tfcore.placeholder((None, 4, 2)), training=False)
        assert len(layer.variables) == 3
        assert len(tf.compat.v1.trainable_variables()) == 3


# ---------------------------------------------------------------------------
# The stateful protocol
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("make_layer", [
    lambda **kw: LSTM(3, implementation="block", **kw),
    lambda **kw: LSTM(3, implementation="unroll", **kw),
    lambda **kw: GRU(3, implementation="while", **kw),
], ids=["lstm-block", "lstm-unroll", "gru-while"])
def test_stateful_halves_with_carried_state_equal_the_whole_sequence(rng, make_layer):
    x = rng.randn(4, 10, 2).astype(np.float32)
    graph = tfcore.new_graph()
    with graph.as_default():
        half = tfcore.placeholder((4, 5, 2))
        whole = tfcore.placeholder((4, 10, 2))
        stateful = make_layer(stateful=True, batch_size=4, return_sequences=True)
        fresh = make_layer(return_sequences=True, return_state=True)
        y_half = stateful(half)
        y_whole, *final = fresh(whole)
        with tfcore.session() as sess:
            sess.run(tf.compat.v1.global_variables_initializer())
            fresh.set_weights(sess, stateful.get_weights(sess))
            first = sess.run(y_half, {half: x[:, :5]})
            second = sess.run(y_half, {half: x[:, 5:]})
            carried = sess.run(stateful.states)
            ref, ref_final = sess.run([y_whole, final], {whole: x})
    np.testing.assert_allclose(np.concatenate([first, second], axis=1), ref, atol=1e-6)
    for a, b in zip(carried, ref_final):
        np.testing.assert_allclose(a, b, atol=1e-6)


def test_reset_states_zeroes_the_state_and_restores_a_fresh_layers_output(rng):
    x = rng.randn(3, 4, 2).astype(np.float32)
    graph = tfcore.new_graph()
    with graph.as_default():
        xp = tfcore.placeholder((3, 4, 2))
        stateful = LSTM(2, stateful=True, batch_size=3)
        fresh = LSTM(2)
        y, y_fresh = stateful(xp), fresh(xp)
        with tfcore.session() as sess:
            sess.run(tf.compat.v1.global_variables_initializer())
            fresh.set_weights(sess, stateful.get_weights(sess))
            first = sess.run(y, {xp: x})
            second = sess.run(y, {xp: x})
            assert np.abs(second - first).max() > 1e-4  # the carried state changed the output
            stateful.reset_states(sess)
            for state in sess.run(stateful.states):
                np.testing.assert_array_equal(state, np.zeros((3, 2)))
            np.testing.assert_allclose(sess.run(y, {xp: x}), sess.run(y_fresh, {xp: x}), atol=1e-6)
            np.testing.assert_allclose(first, sess.run(y_fresh, {xp: x}), atol=1e-6)


def test_state_is_not_a_weight_and_reset_ops_are_collected_in_the_graph():
    graph = tfcore.new_graph()
    with graph.as_default():
        xp = tfcore.placeholder((2, 3, 1))
        first = LSTM(2, stateful=True, batch_size=2, return_sequences=True)
        second = GRU(2, stateful=True, batch_size=2)
        y = second(first(xp))
        LSTM(2)(xp)  # not stateful: adds nothing
        assert len(first.variables) == 3 and len(first.states) == 2 and len(second.states) == 1
        assert all(not s.trainable for s in first.states + second.states)
        assert not set(first.states) & set(tf.compat.v1.trainable_variables())
        assert reset_states_ops() == [first.reset_states_op, second.reset_states_op]
        assert graph.get_collection(RESET_STATES_COLLECTION) == reset_states_ops(graph)
        with tfcore.session() as sess:
            sess.run(tf.compat.v1.global_variables_initializer())
            assert len(first.get_weights(sess)) == 3
            sess.run(y, {xp: np.ones((2, 3, 1))})
            assert all(np.abs(s).max() > 0 for s in sess.run(first.states + second.states))
            reset_all_states(sess)
            for s in sess.run(first.states + second.states):
                np.testing.assert_array_equal(s, np.zeros((2, 2)))


def test_running_only_the_training_op_carries_the_state(rng):
    x = rng.randn(2, 4, 3)
    graph = tfcore.new_graph()
    with graph.as_default():
        xp = tfcore.placeholder((2, 4, 3), tf.float64)
        layer = LSTM(2, stateful=True, batch_size=2, implementation="unroll")
        loss = tf.reduce_sum(layer(xp) ** 2)
        grads = tf.gradients(loss, layer.trainable_variables)
        train = tf.group(*[v.assign_sub(0.1 * g) for v, g in zip(layer.trainable_variables, grads)])
        with tfcore.session() as sess:
            sess.run(tf.compat.v1.global_variables_initializer())
            weights = layer.get_weights(sess)
            sess.run(train, {xp: x})
            h, c = sess.run(layer.states)
    _, ref_h, ref_c = reference.lstm(x, *weights, np.zeros((2, 2)), np.zeros((2, 2)))
    np.testing.assert_allclose(h, ref_h, atol=1e-12)
    np.testing.assert_allclose(c, ref_c, atol=1e-12)


def test_training_and_evaluation_branches_chain_from_the_same_state(rng):
    x = rng.randn(2, 6, 1).astype(np.float32)
    graph = tfcore.new_graph()
    with graph.as_default():
        train_x, eval_x = tfcore.placeholder((2, 3, 1)), tfcore.placeholder((None, 3, 1))
        whole = tfcore.placeholder((2, 6, 1))
        layer = LSTM(2, stateful=True, batch_size=2, return_sequences=True)
        fresh = LSTM(2, return_sequences=True)
        y_train, y_eval = layer(train_x, training=True), layer(eval_x, training=False)
        y_whole = fresh(whole)
        with tfcore.session() as sess:
            sess.run(tf.compat.v1.global_variables_initializer())
            fresh.set_weights(sess, layer.get_weights(sess))
            first = sess.run(y_train, {train_x: x[:, :3]})
            second = sess.run(y_eval, {eval_x: x[:, 3:]})
            ref = sess.run(y_whole, {whole: x})
    np.testing.assert_allclose(np.concatenate([first, second], axis=1), ref, atol=1e-6)


# ---------------------------------------------------------------------------
# Clear errors
# ---------------------------------------------------------------------------

def test_wrong_rank_is_a_clear_error():
    with tfcore.new_graph().as_default():
        with pytest.raises(ValueError, match=r"lstm: input must have rank 3 \(batch, time, features\)"):
            LSTM(2)(tfcore.placeholder((None, 3)))
        layer = GRU(2)
        layer(tfcore.placeholder((None, 4, 3)))
        with pytest.raises(ValueError, match=r"gru: input must have rank 3 \(batch, time, features\)"):
            layer(tfcore.placeholder((None, 4, 3, 1)))


def test_wrong_feature_size_after_the_first_call_is_a_clear_error():
    with tfcore.new_graph().as_default():
        layer = LSTM(2)
        layer(tfcore.placeholder((None, 4, 3)))
        with pytest.raises(ValueError,
                           match="lstm: input has 5 features, but the layer was built for 3"):
            layer(tfcore.placeholder((None, 4, 5)))


def test_stateful_batch_size_mismatch_is_a_clear_error_statically_and_at_run_time():
    with pytest.raises(ValueError, match="stateful=True needs a fixed batch_size"):
        LSTM(2, stateful=True)
    graph = tfcore.new_graph()
    with graph.as_default():
        layer = LSTM(2, stateful=True, batch_size=3)
        with pytest.raises(ValueError, match="built for batch_size 3 got a batch of 5"):
            layer(tfcore.placeholder((5, 4, 1)))
        layer = GRU(2, stateful=True, batch_size=3)
        xp = tfcore.placeholder((None, 4, 1))
        y = layer(xp)
        with pytest.raises(ValueError, match="built for batch_size 3 got a batch of 2"):
            layer(tfcore.placeholder((2, 4, 1)))
        with tfcore.session() as sess:
            sess.run(tf.compat.v1.global_variables_initializer())
            assert sess.run(y, {xp: np.zeros((3, 4, 1))}).shape == (3, 2)
            with pytest.raises(tf.errors.InvalidArgumentError,
                               match="gru: stateful layer built for batch_size 3"):
                sess.run(y, {xp: np.zeros((5, 4, 1))})


def test_bad_arguments_and_unsupported_strategy_uses_are_clear_errors():
    with pytest.raises(ValueError, match="lstm: units must be a positive int"):
        LSTM(0)
    with pytest.raises(ValueError, match="gru: implementation must be one of"):
        GRU(2, implementation="block")
    with pytest.raises(ValueError, match="lstm: implementation must be one of"):
        LSTM(2, implementation="cudnn")
    with pytest.raises(ValueError, match="implementation='block'.*tanh and sigmoid only"):
        LSTM(2, activation="relu", implementation="block")
    with pytest.raises(ValueError, match="unroll=True is implementation='unroll'"):
        GRU(2, unroll=True, implementation="while")
    with pytest.raises(ValueError, match="lstm_cell: tfcore's cells have no dropout"):
        LSTMCell(2, dropout=0.5)
    with tfcore.new_graph().as_default():
        with pytest.raises(TypeError, match="float16/float32 only, got float64"):
            LSTM(2, implementation="block")(tfcore.placeholder((None, 3, 1), tf.float64))
        with pytest.raises(ValueError, match="'unroll' needs a known number of time steps"):
            LSTM(2, implementation="unroll")(tfcore.placeholder((None, None, 1)))
        stateful = LSTM(2, stateful=True, batch_size=2)
        with pytest.raises(ValueError, match="initial_state is for non-stateful layers"):
            stateful(tfcore.placeholder((2, 3, 1)), initial_state=[tf.zeros((2, 2))] * 2)
        with pytest.raises(ValueError, match=r"lstm: initial_state must be a list of 2 state tensors "
                                             r"\[h, c\], got a list of 1"):
            LSTM(2)(tfcore.placeholder((2, 3, 1)), initial_state=[tf.zeros((2, 2))])
        plain = LSTM(2)
        plain(tfcore.placeholder((2, 3, 1)))
        with pytest.raises(ValueError, match="reset_states needs a stateful layer"):
            plain.reset_states(None)


@pytest.mark.parametrize("make, fused", [
    (lambda **kw: LSTM(3, **kw), True),                        # BlockLSTM computes it
    (lambda **kw: LSTM(3, activation="relu", **kw), False),    # Keras's LSTM takes any activation
    (lambda **kw: LSTM(3, recurrent_activation="hard_sigmoid", **kw), False),
    (lambda **kw: GRU(3, **kw), False),
])
@pytest.mark.parametrize("steps", [4, None])  # a known and an unknown length
def test_the_default_strategy_is_chosen_per_call_and_computes_what_each_explicit_one_does(make, fused,
                                                                                         steps):
    x = np.random.RandomState(0).randn(2, 4, 2).astype(np.float32)
    graph = tfcore.new_graph(seed=1)
    with graph.as_default():
        xp = tfcore.placeholder((None, steps, 2))
        chosen = make()
        y = chosen(xp)
        explicit = make(implementation="while")
        y_while = explicit(xp)
        copy = [v.assign(w) for v, w in zip(explicit.trainable_variables, chosen.trainable_variables)]
        keras_int = make(implementation=2)  # Keras's 1 and 2: two layouts, the same numbers
        assert keras_int.implementation is None and chosen.implementation is None
        types = {op.type for op in graph.get_operations() if op.name.startswith(chosen.name + "/")}
    assert ("BlockLSTM" in types or "BlockLSTMV2" in types) == fused
    assert ("While" in types or "StatelessWhile" in types) == (not fused and steps is None)
    with tfcore.session(graph=graph) as sess:
        sess.run(tf.compat.v1.global_variables_initializer())
        sess.run(copy)
        got, expected = sess.run([y, y_while], {xp: x})
    assert np.abs(expected).max() > 0
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-6)


def test_initial_states_cells_and_time_major_masks_are_checked_naming_the_layer():
    with tfcore.new_graph().as_default():
        with pytest.raises(ValueError, match=r"lstm: each initial state has 3 units, but the layer was "
                                             r"built for 2 \(axis -1 of shape \(2, 3\)\)"):
            LSTM(2)(tfcore.placeholder((2, 3, 1)), initial_state=[tf.zeros((2, 2)), tf.zeros((2, 3))])
        with pytest.raises(ValueError, match=r"gru: each initial state must have rank 2 \(batch, units\)"):
            GRU(2)(tfcore.placeholder((2, 3, 1)), initial_state=tf.zeros((2, 3, 2)))
        x = tfcore.placeholder((5, 4, 3))  # (time, batch, features)
        with pytest.raises(ValueError, match=r"gru_1: the mask and the inputs' first two axes \(time, "
                                             r"batch\) must agree, got shapes \(4, 5\), \(5, 4\)"):
            GRU(2, time_major=True, name="gru_1")(x, mask=tfcore.placeholder((4, 5), tf.bool))
        GRU(2, time_major=True)(x, mask=tfcore.placeholder((5, 4), tf.bool))  # the inputs' layout
        cell = LSTMCell(2)
        with pytest.raises(ValueError, match=r"lstm_cell: input must have rank 2 \(batch, features\)"):
            cell(tfcore.placeholder((None, 4, 3)))
        cell(tfcore.placeholder((None, 3)))
        with pytest.raises(ValueError, match="lstm_cell: input has 4 features, but the layer was built for 3"):
            cell(tfcore.placeholder((None, 4)))
        with pytest.raises(ValueError, match=r"lstm_cell: states must be a list of 2 state tensors \[h, c\]"):
            cell(tfcore.placeholder((None, 3)), states=tf.zeros((1, 2)))
