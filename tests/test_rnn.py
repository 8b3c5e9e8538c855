"""RNN(cell): the same numbers as the named layer built from the same cell; gradient check;
errors naming the layer."""

import numpy as np
import pytest

import tfcore
from tfcore.layers.recurrent import GRU, LSTM, RNN, GRUCell, LSTMCell
from tfcore.layers.keras.simple_rnn import SimpleRNN, SimpleRNNCell


def run(layer, x, weights=None, time=True):
    with tfcore.new_graph().as_default() as graph:
        xp = tfcore.placeholder((None, x.shape[1] if time else None, x.shape[2]), np.float64)
        y = layer(xp)
        with tfcore.session(graph=graph) as sess:
            if weights is None:
                sess.run([v.initializer for v in layer.variables])
                weights = layer.get_weights(sess)
            else:
                layer.set_weights(sess, weights)
            return sess.run(y, {xp: x}), weights


@pytest.mark.parametrize("make_cell,make_layer", [
    (lambda: LSTMCell(3), lambda **k: LSTM(3, implementation="while", **k)),
    (lambda: GRUCell(3, reset_after=False), lambda **k: GRU(3, reset_after=False, **k)),
    (lambda: SimpleRNNCell(3), lambda **k: SimpleRNN(3, **k)),
])
@pytest.mark.parametrize("unroll", [False, True])
def test_rnn_of_a_cell_equals_the_named_layer(rng, make_cell, make_layer, unroll):
    x = rng.randn(2, 4, 5)
    kwargs = {"return_sequences": True, "return_state": True, "go_backwards": True}
    got, weights = run(RNN(make_cell(), unroll=unroll, **kwargs), x, time=unroll)
    want, _ = run(make_layer(**kwargs), x, weights)
    assert len(got) == len(want)
    for a, b in zip(got, want):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


def test_rnn_equals_numpy_simple_rnn_loop(rng):
    x = rng.randn(2, 3, 4)
    y, (w, u, b) = run(RNN(SimpleRNNCell(5), return_sequences=True), x)
    h = np.zeros((2, 5))
    for t in range(3):
        h = np.tanh(x[:, t] @ w + h @ u + b)
        np.testing.assert_allclose(y[:, t], h, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("make_cell", [lambda: LSTMCell(2), lambda: GRUCell(2)])
def test_rnn_passes_gradient_check(rng, make_cell):
    tfcore.check_gradients(lambda x: RNN(make_cell(), return_sequences=True)(x),
                           {"x": rng.randn(2, 3, 2)}, name="RNN")


def test_rnn_rejects_bad_arguments():
    with pytest.raises(ValueError, match="rnn: a list of cells"):
        RNN([LSTMCell(2), LSTMCell(2)])
    with pytest.raises(ValueError, match="rnn: cell must be a tfcore cell"):
        RNN(LSTM(2))
    with pytest.raises(ValueError, match="rnn: stateful=True needs a fixed batch_size"):
        RNN(LSTMCell(2), stateful=True)
    cell = GRUCell(2)
    with tfcore.new_graph().as_default():
        RNN(cell)(tfcore.placeholder((None, 3, 2)))
        with pytest.raises(ValueError, match="rnn_1: cell 'gru_cell' is already built"):
            RNN(cell, name="rnn_1")
        with pytest.raises(ValueError, match="rnn: implementation='unroll' needs a known number"):
            RNN(GRUCell(2), unroll=True)(tfcore.placeholder((None, None, 2)))
