"""TimeDistributed equals the layer applied step by step; Bidirectional equals the NumPy forward
and backward passes merged; gradient checks; stateful; errors."""

import numpy as np
import pytest
import tensorflow as tf

import tfcore
from tests.test_simple_rnn import np_simple_rnn
from tfcore.layers.conv import Conv2D
from tfcore.layers.dense import Dense
from tfcore.layers.recurrent import LSTM
from tfcore.layers.keras.simple_rnn import SimpleRNN
from tfcore.layers.keras.wrappers import Bidirectional, TimeDistributed


def run_with_random_weights(layer, x, rng, time_known=True, **call_kwargs):
    with tfcore.new_graph().as_default() as graph:
        xp = tfcore.placeholder((None, x.shape[1] if time_known else None) + x.shape[2:], tf.float64)
        y = layer(xp, **call_kwargs)
        with tfcore.session(graph=graph) as sess:
            sess.run(tf.compat.v1.global_variables_initializer())
            weights = [rng.uniform(-0.6, 0.6, v.shape.as_list()) for v in layer.variables]
            layer.set_weights(sess, weights)
            return sess.run(y, {xp: x}), weights, y


def test_time_distributed_dense_equals_numpy_per_step(rng):
    x = rng.randn(3, 4, 5)
    out, (k, b), y = run_with_random_weights(TimeDistributed(Dense(2, activation="tanh")), x, rng,
                                             time_known=False)
    np.testing.assert_allclose(out, np.tanh(x @ k + b), rtol=1e-12)
    assert y.shape.as_list() == [None, None, 2]


def test_time_distributed_conv2d_equals_conv2d_on_each_frame(rng):
    x = rng.randn(2, 3, 5, 5, 2)
    layer = TimeDistributed(Conv2D(3, 3, padding="valid"))
    out, weights, y = run_with_random_weights(layer, x, rng)
    with tfcore.new_graph().as_default() as graph:
        conv = Conv2D(3, 3, padding="valid")
        frames = [conv(tfcore.constant(x[:, t])) for t in range(3)]
        with tfcore.session(graph=graph) as sess:
            conv.set_weights(sess, weights)
            expected = np.stack(sess.run(frames), axis=1)
    np.testing.assert_allclose(out, expected, rtol=1e-12)
    assert y.shape.as_list() == [None, 3, 3, 3, 3]


def test_time_distributed_passes_gradient_check(rng):
    tfcore.check_gradients(lambda x: TimeDistributed(Dense(2, activation="tanh"))(x),
                           {"x": rng.randn(2, 3, 2)}, name="TimeDistributed(Dense)")


MERGES = {"concat": lambda f, b: np.concatenate([f, b], -1), "sum": np.add, "mul": np.multiply,
          "ave": lambda f, b: (f + b) / 2}


@pytest.mark.parametrize("merge_mode", ["concat", "sum", "mul", "ave", None])
@pytest.mark.parametrize("return_sequences", [False, True])
def test_bidirectional_simple_rnn_equals_numpy_forward_and_backward(rng, merge_mode, return_sequences):
    x = rng.randn(2, 5, 3)
    layer = Bidirectional(SimpleRNN(4, return_sequences=return_sequences, return_state=True),
                          merge_mode=merge_mode)
    out, weights, _ = run_with_random_weights(layer, x, rng)
    h0 = np.zeros((2, 4))
    f_seq, f_h = np_simple_rnn(x, *weights[:3], h0)
    b_seq, b_h = np_simple_rnn(x, *weights[3:], h0, go_backwards=True)
    f, b = (f_seq, b_seq[:, ::-1]) if return_sequences else (f_h, b_h)
    expected = [f, b] if merge_mode is None else [MERGES[merge_mode](f, b)]
    expected += [f_h, b_h]
    assert len(out) == len(expected)
    for a, e in zip(out, expected):
        np.testing.assert_allclose(a, e, rtol=1e-10, atol=1e-12)


def test_bidirectional_weights_are_forward_then_backward_with_keras_names():
    layer = Bidirectional(LSTM(3))
    with tfcore.new_graph().as_default():
        layer(tfcore.placeholder((None, 4, 2)))
    assert [v.name for v in layer.variables] == [
        "bidirectional/forward_lstm/lstm_cell/kernel:0",
        "bidirectional/forward_lstm/lstm_cell/recurrent_kernel:0",
        "bidirectional/forward_lstm/lstm_cell/bias:0",
        "bidirectional/backward_lstm/lstm_cell/kernel:0",
        "bidirectional/backward_lstm/lstm_cell/recurrent_kernel:0",
        "bidirectional/backward_lstm/lstm_cell/bias:0"]
    assert layer.backward_layer.go_backwards and not layer.forward_layer.go_backwards


def test_bidirectional_passes_gradient_check(rng):
    tfcore.check_gradients(
        lambda x: Bidirectional(SimpleRNN(2, return_sequences=True), merge_mode="mul")(x),
        {"x": rng.randn(2, 3, 2)}, name="Bidirectional(SimpleRNN)")


def test_stateful_bidirectional_carries_both_states_and_resets_them(rng):
    x = rng.randn(2, 3, 2).astype(np.float32)
    layer = Bidirectional(SimpleRNN(3, stateful=True, batch_size=2))
    with tfcore.new_graph().as_default() as graph:
        xp = tfcore.placeholder((2, 3, 2))
        y = layer(xp)
        with tfcore.session(graph=graph) as sess:
            sess.run(tf.compat.v1.global_variables_initializer())
            first, second = sess.run(y, {xp: x}), sess.run(y, {xp: x})
            layer.reset_states(sess)
            again = sess.run(y, {xp: x})
    assert not np.allclose(first[:, :3], second[:, :3]) and not np.allclose(first[:, 3:], second[:, 3:])
    np.testing.assert_allclose(again, first, rtol=1e-6)
    assert len(tfcore.layers.recurrent.reset_states_ops(graph)) == 2


def test_wrappers_reject_bad_arguments():
    with pytest.raises(TypeError, match="bidirectional: layer must be a tfcore recurrent layer \(LSTM, GRU, SimpleRNN\)"):
        Bidirectional(Dense(3))
    with pytest.raises(ValueError, match="bidirectional: merge_mode must be one of"):
        Bidirectional(SimpleRNN(3), merge_mode="max")
    with pytest.raises(ValueError, match="bidirectional: backward_layer must have the opposite"):
        Bidirectional(SimpleRNN(3), backward_layer=SimpleRNN(3))
    with pytest.raises(TypeError, match="time_distributed: layer must be a tfcore layer, got <function"):
        TimeDistributed(lambda x: x)
    dense = Dense(2)
    with tfcore.new_graph().as_default():
        dense(tfcore.placeholder((None, 3)))
        with pytest.raises(ValueError, match="time_distributed: the wrapped layer 'dense' is already built"):
            TimeDistributed(dense)
        with pytest.raises(ValueError, match="time_distributed: input must have a known rank >= 3"):
            TimeDistributed(Dense(2))(tfcore.placeholder((None, 3)))


def test_bidirectional_initial_state_lists_forward_then_backward_states(rng):
    x, h_f, h_b = rng.randn(2, 4, 3), rng.randn(2, 5), rng.randn(2, 5)
    layer = Bidirectional(SimpleRNN(5, return_sequences=True), merge_mode=None)
    with tfcore.new_graph().as_default() as graph:
        y = layer(tfcore.constant(x), initial_state=[tfcore.constant(h_f), tfcore.constant(h_b)])
        with tfcore.session(graph=graph) as sess:
            weights = [rng.uniform(-0.5, 0.5, v.shape.as_list()) for v in layer.variables]
            layer.set_weights(sess, weights)
            forward, backward = sess.run(y)
    np.testing.assert_allclose(forward, np_simple_rnn(x, *weights[:3], h_f)[0], rtol=1e-10)
    np.testing.assert_allclose(backward, np_simple_rnn(x, *weights[3:], h_b, go_backwards=True)[0][:, ::-1],
                               rtol=1e-10)
