"""Every line of the conformance table (tests/conformance.py) against its tf-keras twin.

The same class name and arguments build a tf-keras layer and a tfcore layer; with the
Keras layer's weights (moved by up to 0.5, so that zero biases and unit scales hide
nothing) copied into ours, the outputs and the gradients of sum(y * r), r random, with
respect to every input and trainable weight must agree in float32.
"""

import numpy as np
import pytest
import tensorflow as tf

import tfcore
from tests.conformance import TABLE, line_id
from tests.oracle import compare_with_keras, keras
from tests.test_conformance import make, random_inputs

pytestmark = pytest.mark.keras


def keras_twin(line):
    return getattr(keras.layers, line.name)(**line.kwargs)


def keras_run(ref, xs, rng):
    """Keras `ref` built for `xs` (a list), weights moved: (weights, output, r, input and weight grads)."""
    ref.build([x.shape for x in xs])
    weights = [w + rng.uniform(-0.5, 0.5, w.shape).astype(w.dtype) for w in ref.get_weights()]
    ref.set_weights(weights)
    constants = [tf.constant(x) for x in xs]
    with tf.GradientTape() as tape:
        tape.watch(constants)
        y = ref(constants)
        r = rng.uniform(-1, 1, y.shape).astype(np.float32)
        loss = tf.reduce_sum(y * r)
    grads = tape.gradient(loss, constants + ref.trainable_weights)
    return weights, y.numpy(), r, [tf.convert_to_tensor(g).numpy() for g in grads]


def ours_run(layer, xs, weights, r):
    """tfcore `layer` on `xs` with `weights`: output and the gradients of sum(y * r)."""
    graph = tfcore.new_graph()
    with graph.as_default():
        placeholders = [tfcore.placeholder((None,) + x.shape[1:]) for x in xs]
        y = layer(placeholders)
        grads = tf.gradients(tf.reduce_sum(y * r), placeholders + layer.trainable_variables)
        with tfcore.session(graph=graph) as sess:
            layer.set_weights(sess, weights)
            return sess.run([y, grads], dict(zip(placeholders, xs)))


@pytest.mark.parametrize("line", TABLE, ids=line_id)
def test_equals_its_tf_keras_twin(line, rng):
    xs = [x.astype(np.float32) for x in random_inputs(line, rng)]
    if len(xs) == 1:
        compare_with_keras(make(line), keras_twin(line), xs[0], rng, atol=1e-5)
        return
    weights, y_ref, r, g_ref = keras_run(keras_twin(line), xs, rng)
    y, g = ours_run(make(line), xs, weights, r)
    np.testing.assert_allclose(y, y_ref, rtol=0, atol=1e-5, err_msg="%s: output" % line.name)
    assert len(g) == len(g_ref)
    for i, (a, b) in enumerate(zip(g, g_ref)):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-5 * max(1.0, np.abs(b).max()),
                                   err_msg="%s: gradient %d" % (line.name, i))
