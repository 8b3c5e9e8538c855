"""SimpleRNN equals tf-keras's with copied weights: outputs, states, gradients, stateful batches."""

import numpy as np
import pytest
import tensorflow as tf

from tests.oracle import compare_recurrent_with_keras, keras
import tfcore
from tfcore.layers.keras.simple_rnn import SimpleRNN

pytestmark = pytest.mark.keras


_shape_rng = np.random.RandomState(7)
CASES = [(impl, seqs, back, tuple(int(n) for n in (_shape_rng.randint(1, 6), _shape_rng.randint(1, 20),
                                                    _shape_rng.randint(1, 6), _shape_rng.randint(1, 8))))
         for impl, seqs, back in [("unroll", False, False), ("unroll", True, True),
                                  ("while", True, False), ("while", False, True)]]


@pytest.mark.parametrize("implementation,return_sequences,go_backwards,shape", CASES)
def test_simple_rnn_equals_keras(implementation, return_sequences, go_backwards, shape):
    batch, steps, features, units = shape
    rng = np.random.RandomState(sum(shape))
    x = rng.randn(batch, steps, features).astype(np.float32)
    kwargs = dict(return_sequences=return_sequences, return_state=True, go_backwards=go_backwards)
    compare_recurrent_with_keras(SimpleRNN(units, implementation=implementation, **kwargs),
                                 keras.layers.SimpleRNN(units, **kwargs), x, rng,
                                 static_time=implementation == "unroll")


def compare_stateful_with_keras(layer, ref, rng, shape=(2, 4, 3)):
    """Three consecutive batches, a reset, the first batch again: tfcore's carried state vs Keras's."""
    batches = [rng.randn(*shape).astype(np.float32) for _ in range(3)]
    ref.build(shape)
    weights = [w + rng.uniform(-0.3, 0.3, w.shape).astype(np.float32) for w in ref.get_weights()]
    ref.set_weights(weights)
    expected = [ref(b).numpy() for b in batches]
    ref.reset_states()
    expected.append(ref(batches[0]).numpy())
    with tfcore.new_graph().as_default() as graph:
        xp = tfcore.placeholder(shape)
        y = layer(xp)
        with tfcore.session(graph=graph) as sess:
            sess.run(tf.compat.v1.global_variables_initializer())
            layer.set_weights(sess, weights)
            got = [sess.run(y, {xp: b}) for b in batches]
            layer.reset_states(sess)
            got.append(sess.run(y, {xp: batches[0]}))
    for a, b in zip(got, expected):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-5)


def test_stateful_simple_rnn_follows_keras_batch_after_batch(rng):
    compare_stateful_with_keras(SimpleRNN(5, stateful=True, batch_size=2, return_sequences=True),
                                keras.layers.SimpleRNN(5, stateful=True, return_sequences=True), rng)
