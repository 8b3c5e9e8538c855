"""Masks, dropout and time_major on the recurrent layers: NumPy rule for padded steps (all
strategies, both directions), dropout masks fixed over time, time_major = transposed layout."""

import numpy as np
import pytest
import tensorflow as tf

import tfcore
from tests.test_simple_rnn import np_simple_rnn
from tfcore.reference import recurrent as np_recurrent
from tfcore.layers.recurrent import GRU, LSTM
from tfcore.layers.keras.simple_rnn import SimpleRNN


def np_masked(step, x, mask, states, go_backwards=False, zero_output=False):
    """Keras's rule: a padded step keeps the states and repeats the last output (zeros at first)."""
    outputs, prev = [], np.zeros_like(states[0])
    order = range(x.shape[1])
    for t in (reversed(order) if go_backwards else order):
        output, new_states = step(x[:, t], states)
        keep = mask[:, t:t + 1]
        prev = np.where(keep, output, 0.0 if zero_output else prev)
        states = [np.where(keep, n, s) for n, s in zip(new_states, states)]
        outputs.append(prev)
    return np.stack(outputs, axis=1), prev, states


def np_step(kind, weights):
    """One NumPy step of each layer, from the test_recurrent / test_simple_rnn oracles."""
    if kind == "lstm":
        return lambda x, s: (lambda h, c: (h, [h, c]))(*np_recurrent.lstm_step(x, *s, *weights))
    if kind == "gru":
        return lambda x, s: (lambda h: (h, [h]))(np_recurrent.gru_step(x, s[0], *weights))
    return lambda x, s: (lambda o, h: (h, [h]))(*np_simple_rnn(x[:, None], *weights, s[0]))


LAYERS = {"lstm": LSTM, "gru": GRU, "simple_rnn": SimpleRNN}


def random_mask(rng, batch, steps):
    mask = rng.rand(batch, steps) > 0.35
    mask[0, :2] = False  # leading padding: the output is zeros until the first real step
    mask[-1, -2:] = False  # trailing padding: the final state is the last real step's
    return mask


def run_masked(layer, x, mask, rng, time_known=True):
    with tfcore.new_graph().as_default() as graph:
        xp = tfcore.placeholder((None, x.shape[1] if time_known else None, x.shape[2]), tf.float64)
        mp = tfcore.placeholder((None, x.shape[1] if time_known else None), tf.bool)
        y = layer(xp, mask=mp)
        with tfcore.session(graph=graph) as sess:
            sess.run(tf.compat.v1.global_variables_initializer())
            weights = [rng.uniform(-0.6, 0.6, v.shape.as_list()) for v in layer.variables]
            layer.set_weights(sess, weights)
            return sess.run(y, {xp: x, mp: mask}), weights


@pytest.mark.parametrize("kind,implementation,go_backwards", [
    ("lstm", "unroll", False), ("lstm", "while", True), ("gru", "unroll", True),
    ("gru", "while", False), ("simple_rnn", "unroll", False), ("simple_rnn", "while", True)])
def test_masked_steps_keep_state_and_repeat_output_like_numpy(rng, kind, implementation, go_backwards):
    x, mask = rng.randn(3, 6, 2), random_mask(rng, 3, 6)
    layer = LAYERS[kind](4, return_sequences=True, return_state=True, go_backwards=go_backwards,
                         implementation=implementation)
    (seq, *states), weights = run_masked(layer, x, mask, rng, time_known=implementation == "unroll")
    zeros = [np.zeros((3, 4))] * len(states)
    expected_seq, _, expected_states = np_masked(np_step(kind, weights), x, mask, zeros, go_backwards)
    np.testing.assert_allclose(seq, expected_seq, rtol=1e-10, atol=1e-12)
    for a, b in zip(states, expected_states):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


def test_masked_lstm_with_the_block_default_falls_back_and_equals_the_unrolled_one(rng):
    x, mask = rng.randn(3, 5, 2).astype(np.float32), random_mask(rng, 3, 5)
    outs = []
    for implementation in ("block", "unroll"):
        with tfcore.new_graph(seed=3).as_default() as graph:
            y = LSTM(3, return_sequences=True, implementation=implementation)(
                tfcore.constant(x), mask=tfcore.constant(mask))
            init = tf.compat.v1.global_variables_initializer()
            with tfcore.session(graph=graph) as sess:
                sess.run(init)
                outs.append(sess.run(y))
    np.testing.assert_allclose(outs[0], outs[1], rtol=1e-6)


def test_right_padded_sequence_ends_with_the_state_of_its_last_real_step(rng):
    x = rng.randn(2, 7, 3)
    mask = np.ones((2, 7), bool)
    mask[0, 4:] = False
    (_, h, c), weights = run_masked(LSTM(4, return_state=True, implementation="while"), x, mask, rng)
    _, h_short, c_short = np_recurrent.lstm(x[:1, :4], *weights, np.zeros((1, 4)), np.zeros((1, 4)))
    np.testing.assert_allclose(h[0], h_short[0], rtol=1e-10)
    np.testing.assert_allclose(c[0], c_short[0], rtol=1e-10)


@pytest.mark.parametrize("implementation", ["unroll", "while"])
def test_masked_gru_passes_gradient_check(rng, implementation):
    mask = random_mask(rng, 2, 4)
    tfcore.check_gradients(
        lambda x: GRU(3, return_sequences=True, implementation=implementation)(x, mask=mask),
        {"x": rng.randn(2, 4, 2)}, name="GRU with mask")


def run_sequence(layer, x, training, seed=0):
    with tfcore.new_graph(seed=seed).as_default() as graph:
        y = layer(tfcore.constant(x), training=training)
        with tfcore.session(graph=graph) as sess:
            sess.run(tf.compat.v1.global_variables_initializer())
            n = layer.input_size
            layer.set_weights(sess, [np.eye(n, 4), np.eye(4), np.zeros(4)])
            return sess.run(y)


def test_input_dropout_draws_one_mask_per_sequence_and_scales_by_the_keep_rate(rng):
    # Linear SimpleRNN with W = I, U = 0: h_t = x_t * m_x, and x_t = 1 shows the mask itself.
    layer = SimpleRNN(4, activation=None, return_sequences=True, dropout=0.5)
    x = np.ones((200, 5, 4))
    with tfcore.new_graph(seed=0).as_default() as graph:
        y = layer(tfcore.constant(x), training=True)
        y_eval = layer(tfcore.constant(x), training=False)
        with tfcore.session(graph=graph) as sess:
            layer.set_weights(sess, [np.eye(4), np.zeros((4, 4)), np.zeros(4)])
            got, got_eval = sess.run([y, y_eval])
    assert set(np.unique(got)) == {0.0, 2.0}
    np.testing.assert_array_equal(got, np.repeat(got[:, :1], 5, axis=1))  # same mask every step
    assert 0.4 < np.mean(got == 0) < 0.6
    np.testing.assert_array_equal(got_eval, x)  # no dropout at inference


def test_recurrent_dropout_drops_the_state_inside_the_matmul_with_one_mask(rng):
    # Linear SimpleRNN, W = U = I, x_t = 1: h_1 = 1, h_2 = m + 1, h_3 = m (m + 1) + 1.
    layer = SimpleRNN(3, activation=None, return_sequences=True, recurrent_dropout=0.25)
    with tfcore.new_graph(seed=1).as_default() as graph:
        y = layer(tfcore.constant(np.ones((300, 3, 3))), training=tfcore.constant(True))
        with tfcore.session(graph=graph) as sess:
            layer.set_weights(sess, [np.eye(3), np.eye(3), np.zeros(3)])
            got = sess.run(y)
    m = got[:, 1] - 1
    assert set(np.round(np.unique(m), 6)) == {0.0, round(1 / 0.75, 6)}
    np.testing.assert_allclose(got[:, 2], m * (m + 1) + 1, rtol=1e-6)
    assert 0.2 < np.mean(m == 0) < 0.3


def test_gru_recurrent_dropout_blends_the_undropped_state_as_keras(rng):
    x, h, m = rng.randn(3, 2), rng.randn(3, 4), (rng.rand(3, 4) > 0.5) * 2.0
    layer = GRU(4, recurrent_dropout=0.5)
    with tfcore.new_graph().as_default() as graph:
        layer(tfcore.placeholder((None, 5, 2), tf.float64))
        got, _ = layer._dropped_state_step(tfcore.constant(x), [tfcore.constant(h)],
                                           [tfcore.constant(h * m)])
        with tfcore.session(graph=graph) as sess:
            k, u, b = [rng.randn(*v.shape.as_list()) for v in layer.variables]
            layer.set_weights(sess, [k, u, b])
            got = sess.run(got)
    x_z, x_r, x_h = np.split(x @ k + b[0], 3, axis=1)
    h_z, h_r, h_h = np.split((h * m) @ u + b[1], 3, axis=1)
    z, r = np_recurrent.sigmoid(x_z + h_z), np_recurrent.sigmoid(x_r + h_r)
    np.testing.assert_allclose(got, z * h + (1 - z) * np.tanh(x_h + r * h_h), rtol=1e-10)


@pytest.mark.parametrize("kind", sorted(LAYERS))
def test_time_major_equals_the_batch_major_layer_on_transposed_input(rng, kind):
    x, mask = rng.randn(3, 5, 2), random_mask(rng, 3, 5)
    outs = []
    for time_major in (False, True):
        layer = LAYERS[kind](3, return_sequences=True, return_state=True, time_major=time_major,
                             implementation="unroll")
        with tfcore.new_graph(seed=5).as_default() as graph:
            xs, ms = (x.transpose(1, 0, 2), mask.T) if time_major else (x, mask)
            y = layer(tfcore.constant(xs), mask=tfcore.constant(ms))
            init = tf.compat.v1.global_variables_initializer()
            with tfcore.session(graph=graph) as sess:
                sess.run(init)
                outs.append(sess.run(y))
    np.testing.assert_allclose(outs[1][0], outs[0][0].transpose(1, 0, 2), rtol=1e-12)
    for a, b in zip(outs[1][1:], outs[0][1:]):
        np.testing.assert_allclose(a, b, rtol=1e-12)


def test_masks_and_dropout_reject_bad_arguments():
    with pytest.raises(ValueError, match=r"lstm: dropout must be in \[0, 1\), got 1.0"):
        LSTM(3, dropout=1.0)
    with pytest.raises(ValueError, match=r"gru: recurrent_dropout must be in \[0, 1\)"):
        GRU(3, recurrent_dropout=-0.1)
    with tfcore.new_graph().as_default():
        with pytest.raises(ValueError, match=r"simple_rnn: the mask and the inputs' first two "
                                             r"axes \(batch, time\) must agree"):
            SimpleRNN(2)(tfcore.placeholder((None, 4, 3)), mask=tfcore.placeholder((None, 5), tf.bool))
