"""SimpleRNN equals its NumPy equation (both strategies, backwards, states), passes the float64
gradient check, and follows the stateful protocol."""

import numpy as np
import pytest
import tensorflow as tf

import tfcore
from tests.test_recurrent import _run
from tfcore.layers.keras.simple_rnn import SimpleRNN, SimpleRNNCell


def np_simple_rnn(x, kernel, recurrent_kernel, bias, h, go_backwards=False, activation=np.tanh):
    outputs = []
    steps = range(x.shape[1])
    for t in (reversed(steps) if go_backwards else steps):
        h = activation(x[:, t] @ kernel + h @ recurrent_kernel + bias)
        outputs.append(h)
    return np.stack(outputs, axis=1), h


@pytest.mark.parametrize("implementation", ["unroll", "while"])
@pytest.mark.parametrize("go_backwards", [False, True])
def test_simple_rnn_equals_numpy_equation_in_float64(rng, implementation, go_backwards):
    x, h0 = rng.randn(3, 6, 4), rng.randn(3, 5)
    (seq, h), weights = _run(lambda: SimpleRNN(5, return_sequences=True, return_state=True,
                                               go_backwards=go_backwards, implementation=implementation),
                             x, rng, time_known=implementation == "unroll", initial_state=[h0])
    expected_seq, expected_h = np_simple_rnn(x, *weights, h0, go_backwards)
    np.testing.assert_allclose(seq, expected_seq, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(h, expected_h, rtol=1e-10, atol=1e-12)


def test_simple_rnn_without_bias_and_relu_equals_numpy(rng):
    x = rng.randn(2, 4, 3)
    out, (k, u) = _run(lambda: SimpleRNN(3, activation="relu", use_bias=False), x, rng)
    _, expected = np_simple_rnn(x, k, u, 0.0, np.zeros((2, 3)), activation=lambda z: np.maximum(z, 0))
    np.testing.assert_allclose(out, expected, rtol=1e-10, atol=1e-12)


def test_simple_rnn_cell_alone_equals_one_step(rng):
    x, h = rng.randn(2, 3), rng.randn(2, 4)
    cell = SimpleRNNCell(4)
    with tfcore.new_graph().as_default() as graph:
        out, (state,) = cell(tfcore.constant(x), states=[tfcore.constant(h)])
        with tfcore.session(graph=graph) as sess:
            weights = [rng.randn(*v.shape.as_list()) for v in cell.variables]
            cell.set_weights(sess, weights)
            got, got_state = sess.run([out, state])
    k, u, b = weights
    np.testing.assert_allclose(got, np.tanh(x @ k + h @ u + b), rtol=1e-12)
    np.testing.assert_array_equal(got, got_state)


@pytest.mark.parametrize("implementation", ["unroll", "while"])
def test_simple_rnn_gradients_through_time_pass_float64_check(rng, implementation):
    tfcore.check_gradients(
        lambda x: SimpleRNN(3, return_sequences=True, implementation=implementation)(x),
        {"x": rng.randn(2, 4, 2)}, name="SimpleRNN")


def test_simple_rnn_weights_follow_keras_names_and_shapes():
    layer = SimpleRNN(4)
    with tfcore.new_graph().as_default():
        layer(tfcore.placeholder((None, 5, 3)))
    assert [(v.name, v.shape.as_list()) for v in layer.variables] == [
        ("simple_rnn/simple_rnn_cell/kernel:0", [3, 4]),
        ("simple_rnn/simple_rnn_cell/recurrent_kernel:0", [4, 4]),
        ("simple_rnn/simple_rnn_cell/bias:0", [4])]


def test_stateful_simple_rnn_halves_equal_the_whole_sequence(rng):
    x = rng.randn(2, 6, 3).astype(np.float32)
    with tfcore.new_graph().as_default() as graph:
        whole, half = SimpleRNN(4), SimpleRNN(4, stateful=True, batch_size=2)
        xw, xh = tfcore.placeholder((2, 6, 3)), tfcore.placeholder((2, 3, 3))
        yw, yh = whole(xw), half(xh)
        with tfcore.session(graph=graph) as sess:
            sess.run(tf.compat.v1.global_variables_initializer())
            half.set_weights(sess, whole.get_weights(sess))
            expected = sess.run(yw, {xw: x})
            sess.run(yh, {xh: x[:, :3]})
            got = sess.run(yh, {xh: x[:, 3:]})
            half.reset_states(sess)
            fresh = sess.run(yh, {xh: x[:, :3]})
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)
    assert not np.allclose(fresh, got)


def test_simple_rnn_rejects_bad_arguments():
    with pytest.raises(ValueError, match="simple_rnn: units must be a positive int"):
        SimpleRNN(0)
    with pytest.raises(ValueError, match="simple_rnn: implementation must be one of 'unroll', 'while'"):
        SimpleRNN(3, implementation="block")
    with tfcore.new_graph().as_default():
        with pytest.raises(ValueError, match="simple_rnn: input must have rank 3"):
            SimpleRNN(3)(tfcore.placeholder((None, 3)))
