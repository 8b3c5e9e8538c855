"""RNN(cell): the same numbers as the named layer built from the same cell; gradient check;
errors naming the layer."""

import inspect

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
    with pytest.raises(TypeError, match="rnn: cell must be a tfcore cell"):
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


# Each option given away from its default, so a value that stops at the layer, or reaches
# the cell under another name, shows. (The named layers hand Keras's signature on whole:
# tfcore.layers.recurrent.constructor_arguments.)
CELL_OPTIONS = {"activation": "relu", "recurrent_activation": "hard_sigmoid", "use_bias": False,
                "kernel_initializer": "ones", "recurrent_initializer": "zeros",
                "bias_initializer": "ones", "kernel_regularizer": "l1",
                "recurrent_regularizer": "l2", "bias_regularizer": "l1_l2",
                "kernel_constraint": "non_neg", "recurrent_constraint": "unit_norm",
                "bias_constraint": "max_norm", "unit_forget_bias": False, "reset_after": False,
                "gradient": "manual"}


def same_option(a, b):
    """The same function (activations, initializers, flags), or objects of one type and state."""
    if a is b or (not callable(a) and a == b):
        return True
    return (type(a) is type(b) and not inspect.isfunction(a) and hasattr(a, "__dict__")
            and vars(a) == vars(b))


@pytest.mark.parametrize("layer_class,cell_class", [(LSTM, LSTMCell), (GRU, GRUCell),
                                                    (SimpleRNN, SimpleRNNCell)])
def test_a_named_layer_hands_every_cell_option_to_its_cell(layer_class, cell_class):
    taken = inspect.signature(layer_class).parameters
    options = {k: v for k, v in CELL_OPTIONS.items() if k in taken}
    layer = layer_class(4, implementation="unroll", activity_regularizer="l2", dropout=0.25,
                        name="seq", **options)
    expected = cell_class(4, **options)  # the cell built directly: the reference
    default = layer_class(4).cell
    cell = layer.cell
    assert (cell.units, cell.name, layer.name, layer.dropout) == (4, expected.name, "seq", 0.25)
    assert layer.activity_regularizer is not None and cell.activity_regularizer is None
    assert len(options) >= 11
    for key in options:
        assert same_option(getattr(cell, key), getattr(expected, key)), key
        assert not same_option(getattr(cell, key), getattr(default, key)), key
