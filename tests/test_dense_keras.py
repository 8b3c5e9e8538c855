"""Dense equals tf-keras Dense with copied weights (forward and backward)."""

import numpy as np
import pytest
import tensorflow as tf

from tests.oracle import keras
import tfcore
from tfcore.layers import Dense

pytestmark = pytest.mark.keras


@pytest.mark.parametrize("shape,units,activation", [
    ((4, 7), 3, None), ((16, 5), 8, "relu"), ((3, 6, 5), 4, "tanh"), ((2, 9), 1, "sigmoid"),
    ((5, 3), 6, "softmax"),
])
def test_dense_forward_and_gradients_equal_keras(rng, shape, units, activation):
    x = rng.randn(*shape).astype(np.float32)
    ref = keras.layers.Dense(units, activation=activation)
    ref.build(shape)
    weights = [w + rng.uniform(-0.1, 0.1, w.shape).astype(np.float32) for w in ref.get_weights()]
    ref.set_weights(weights)
    xv = tf.constant(x)
    with tf.GradientTape() as tape:
        tape.watch(xv)
        y_ref = ref(xv)
        loss = tf.reduce_sum(y_ref * y_ref)
    g_ref = tape.gradient(loss, [xv] + ref.trainable_weights)

    graph = tfcore.new_graph()
    with graph.as_default():
        xp = tfcore.placeholder((None,) + shape[1:])
        layer = Dense(units, activation=activation)
        y = layer(xp)
        grads = tf.gradients(tf.reduce_sum(y * y), [xp] + layer.trainable_variables)
        with tfcore.session(graph=graph) as sess:
            layer.set_weights(sess, weights)
            out, g = sess.run([y, grads], {xp: x})
    np.testing.assert_allclose(out, y_ref.numpy(), atol=1e-5)
    for a, b in zip(g, g_ref):
        np.testing.assert_allclose(a, b.numpy(), atol=1e-4, rtol=1e-5)
