"""Merge layers equal tf-keras's (forward and gradients w.r.t. every input)."""

import numpy as np
import pytest
import tensorflow as tf

from tests.oracle import keras
import tfcore
import tfcore.layers as ours

pytestmark = pytest.mark.keras


def compare_merge_with_keras(layer, ref, xs, rng):
    xv = [tf.constant(x) for x in xs]
    with tf.GradientTape() as tape:
        tape.watch(xv)
        y_ref = ref(xv)
        r = rng.uniform(-1, 1, y_ref.shape).astype(np.float32)
        loss = tf.reduce_sum(y_ref * r)
    g_ref = tape.gradient(loss, xv)
    with tfcore.new_graph().as_default() as graph:
        ps = [tfcore.placeholder((None,) + x.shape[1:]) for x in xs]
        y = layer(ps)
        grads = tf.gradients(tf.reduce_sum(y * r), ps)
        with tfcore.session(graph=graph) as sess:
            out, g = sess.run([y, grads], dict(zip(ps, xs)))
    np.testing.assert_allclose(out, y_ref.numpy(), rtol=0, atol=1e-5)
    for a, b in zip(g, g_ref):
        np.testing.assert_allclose(a, b.numpy(), rtol=0, atol=1e-5)


SHAPES = [[(3, 4)] * 2, [(2, 3, 5)] * 2, [(2, 3, 5), (2, 1, 5)], [(2, 5), (2, 3, 5)], [(2, 4)] * 3]


@pytest.mark.parametrize("name,shapes", [
    (name, shapes) for name in ["Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum"]
    for shapes in SHAPES if name != "Subtract" or len(shapes) == 2])
def test_elementwise_merge_equals_keras(rng, name, shapes):
    xs = [rng.randn(*s).astype(np.float32) for s in shapes]
    compare_merge_with_keras(getattr(ours, name)(), getattr(keras.layers, name)(), xs, rng)


@pytest.mark.parametrize("axis,shapes", [(-1, [(2, 3, 4), (2, 3, 2)]), (1, [(2, 1, 4), (2, 5, 4)]),
                                         (2, [(2, 3, 4, 1), (2, 3, 2, 1), (2, 3, 1, 1)])])
def test_concatenate_equals_keras(rng, axis, shapes):
    xs = [rng.randn(*s).astype(np.float32) for s in shapes]
    compare_merge_with_keras(ours.Concatenate(axis), keras.layers.Concatenate(axis), xs, rng)
