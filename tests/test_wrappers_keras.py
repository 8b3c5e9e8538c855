"""TimeDistributed and Bidirectional equal tf-keras's with copied weights (every merge mode,
LSTM / GRU / SimpleRNN, states, gradients, stateful batches)."""

import numpy as np
import pytest
import tensorflow as tf

from tests.oracle import keras
from tests.test_conv_keras import compare_with_keras
from tests.test_simple_rnn_keras import compare_recurrent_with_keras, compare_stateful_with_keras
import tfcore
import tfcore.layers as ours

pytestmark = pytest.mark.keras


@pytest.mark.parametrize("make,shape", [
    (lambda k: k.Dense(3, activation="tanh"), (2, 4, 5)),
    (lambda k: k.Conv2D(2, 3, padding="same"), (2, 3, 5, 4, 2)),
    (lambda k: k.Flatten(), (3, 2, 4, 2)),
])
def test_time_distributed_equals_keras(rng, make, shape):
    x = rng.randn(*shape).astype(np.float32)
    compare_with_keras(ours.TimeDistributed(make(ours)), keras.layers.TimeDistributed(make(keras.layers)),
                       x, rng)


KINDS = {"lstm": (lambda u, **kw: ours.LSTM(u, implementation="unroll", **kw), keras.layers.LSTM),
         "gru": (ours.GRU, keras.layers.GRU),
         "simple_rnn": (ours.SimpleRNN, keras.layers.SimpleRNN)}


# Every merge mode with the cheap SimpleRNN, sequences or not; the LSTM (slow to trace in
# Keras) once. (A masked Bidirectional GRU: tests/test_recurrent_masks_keras.py.)
BIDIRECTIONAL_CASES = [("simple_rnn", "concat", False), ("simple_rnn", "concat", True),
                       ("simple_rnn", "sum", True), ("simple_rnn", "mul", False),
                       ("simple_rnn", "ave", True), ("simple_rnn", None, False),
                       ("simple_rnn", None, True), ("lstm", "concat", True)]


@pytest.mark.parametrize("kind,merge_mode,return_sequences", BIDIRECTIONAL_CASES)
def test_bidirectional_equals_keras(rng, kind, merge_mode, return_sequences):
    x = rng.randn(3, 5, 4).astype(np.float32)
    make_ours, make_theirs = KINDS[kind]
    kwargs = dict(return_sequences=return_sequences, return_state=True)
    compare_recurrent_with_keras(
        ours.Bidirectional(make_ours(3, **kwargs), merge_mode=merge_mode),
        keras.layers.Bidirectional(make_theirs(3, **kwargs), merge_mode=merge_mode), x, rng)


@pytest.mark.parametrize("kind", ["lstm", "simple_rnn"])
def test_stateful_bidirectional_follows_keras_batch_after_batch(rng, kind):
    make_ours, make_theirs = KINDS[kind]
    compare_stateful_with_keras(
        ours.Bidirectional(make_ours(5, stateful=True, batch_size=2, return_sequences=True)),
        keras.layers.Bidirectional(make_theirs(5, stateful=True, return_sequences=True)), rng)
