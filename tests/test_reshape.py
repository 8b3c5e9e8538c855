"""Flatten: equals NumPy's row-major reshape, with known and unknown batch/inner sizes."""

import numpy as np
import pytest
import tensorflow as tf

import tfcore
from tfcore.layers.reshape import Flatten


@pytest.mark.parametrize("shape", [(3, 4), (2, 3, 4), (2, 5, 4, 3), (1, 2, 1, 3, 2)])
def test_flatten_equals_numpy_reshape_with_unknown_batch(rng, shape):
    x = rng.randn(*shape)
    graph = tfcore.new_graph()
    with graph.as_default():
        xp = tfcore.placeholder((None,) + shape[1:], tf.float64)
        y = Flatten()(xp)
        with tfcore.session(graph=graph) as sess:
            got = sess.run(y, {xp: x})
            got_other_batch = sess.run(y, {xp: np.concatenate([x, x])})
    assert y.shape.as_list() == [None, int(np.prod(shape[1:]))]  # the next Dense can build
    np.testing.assert_array_equal(got, x.reshape(shape[0], -1))
    np.testing.assert_array_equal(got_other_batch, np.concatenate([x, x]).reshape(2 * shape[0], -1))


def test_flatten_handles_unknown_inner_sizes_and_rank_one(rng):
    x = rng.randn(2, 3, 5, 2)
    graph = tfcore.new_graph()
    with graph.as_default():
        xp = tfcore.placeholder((None, None, None, 2), tf.float64)
        vp = tfcore.placeholder((None,), tf.float64)
        y, v = Flatten()(xp), Flatten()(vp)
        with tfcore.session(graph=graph) as sess:
            got, got_v = sess.run([y, v], {xp: x, vp: x[:, 0, 0, 0]})
    assert y.shape.rank == 2
    assert v.shape.as_list() == [None, 1]
    np.testing.assert_array_equal(got, x.reshape(2, -1))
    np.testing.assert_array_equal(got_v, x[:, 0, 0, :1])


def test_flatten_passes_gradient_check(rng):
    tfcore.check_gradients(lambda x: Flatten()(x), {"x": rng.randn(2, 3, 2, 2)}, name="Flatten")


def test_flatten_rejects_scalar_and_unknown_rank():
    with tfcore.new_graph().as_default():
        with pytest.raises(ValueError, match="flatten: input must have a known rank >= 1"):
            Flatten()(tfcore.constant(1.0))
        with pytest.raises(ValueError, match="flatten: input must have a known rank >= 1"):
            Flatten()(tfcore.placeholder(None))
