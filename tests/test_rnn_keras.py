"""RNN(cell) equals tf-keras's RNN(cell) with copied weights, for every tfcore cell, on random
configurations: outputs, final states and the gradients w.r.t. the input and the weights."""

import numpy as np
import pytest

from tests.oracle import compare_recurrent_with_keras, keras
from tests.test_simple_rnn_keras import compare_stateful_with_keras
from tfcore.layers.recurrent import RNN, GRUCell, LSTMCell
from tfcore.layers.keras.simple_rnn import SimpleRNNCell
from tfcore.layers.keras.wrappers import Bidirectional

pytestmark = pytest.mark.keras

CELLS = {
    "lstm": (LSTMCell, keras.layers.LSTMCell, {}),
    "gru": (GRUCell, keras.layers.GRUCell, {"reset_after": True}),
    "gru-reset-before": (GRUCell, keras.layers.GRUCell, {"reset_after": False}),
    "simple": (SimpleRNNCell, keras.layers.SimpleRNNCell, {}),
}


def cells(kind, units, **kwargs):
    ours, theirs, options = CELLS[kind]
    return ours(units, **options, **kwargs), theirs(units, **options, **kwargs)


@pytest.mark.parametrize("seed", range(16))
def test_rnn_of_a_cell_equals_keras_on_random_configurations(seed):
    rng = np.random.RandomState(seed)
    kind = sorted(CELLS)[seed % len(CELLS)]
    units, batch, steps, features = (int(v) for v in rng.randint(1, 5, size=4))
    flags = {k: bool(rng.rand() < 0.5) for k in ("return_sequences", "return_state", "go_backwards")}
    unroll = bool(rng.rand() < 0.5)
    mask = None
    if rng.rand() < 0.4:
        mask = rng.rand(batch, steps) < 0.7
        mask[:, 0] = True  # Keras's fused paths want a real first step in some versions
    ours_cell, ref_cell = cells(kind, units)
    x = rng.randn(batch, steps, features).astype(np.float32)
    compare_recurrent_with_keras(RNN(ours_cell, unroll=unroll, **flags),
                                 keras.layers.RNN(ref_cell, **flags), x, rng,
                                 static_time=unroll, mask=mask)


def test_rnn_zero_output_for_mask_equals_keras(rng):
    ours_cell, ref_cell = cells("lstm", 3)
    x = rng.randn(2, 5, 4).astype(np.float32)
    mask = np.array([[1, 1, 0, 1, 0], [1, 0, 0, 1, 1]], bool)
    compare_recurrent_with_keras(
        RNN(ours_cell, return_sequences=True, zero_output_for_mask=True),
        keras.layers.RNN(ref_cell, return_sequences=True, zero_output_for_mask=True), x, rng,
        static_time=False, mask=mask)


def test_rnn_weights_are_named_and_ordered_as_keras(rng):
    ours_cell, ref_cell = cells("gru", 3)
    ref = keras.layers.RNN(ref_cell)
    ref.build((None, 4, 2))
    ours = RNN(ours_cell)
    compare_recurrent_with_keras(ours, keras.layers.RNN(cells("gru", 3)[1]),
                                 rng.randn(2, 4, 2).astype(np.float32), rng)
    assert [(v.name.split("/")[-1], v.shape.as_list()) for v in ours.variables] == [
        (w.name.split("/")[-1], list(w.shape)) for w in ref.weights]
    assert ours.variables[0].name == "rnn/gru_cell/kernel:0"  # Keras's names inside a model


@pytest.mark.parametrize("kind", ["lstm", "gru"])
def test_stateful_rnn_follows_keras_batch_after_batch(rng, kind):
    ours_cell, ref_cell = cells(kind, 4)
    compare_stateful_with_keras(RNN(ours_cell, stateful=True, batch_size=2, return_sequences=True),
                                keras.layers.RNN(ref_cell, stateful=True, return_sequences=True), rng)


@pytest.mark.parametrize("kind", ["lstm", "simple"])
def test_bidirectional_rnn_of_a_cell_equals_keras(rng, kind):
    ours_cell, ref_cell = cells(kind, 3)
    x = rng.randn(2, 4, 3).astype(np.float32)
    compare_recurrent_with_keras(
        Bidirectional(RNN(ours_cell, return_sequences=True)),
        keras.layers.Bidirectional(keras.layers.RNN(ref_cell, return_sequences=True)), x, rng,
        static_time=False, mask=rng.rand(2, 4) < 0.7)
