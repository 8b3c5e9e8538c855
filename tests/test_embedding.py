"""Embedding equals NumPy row lookup; its sparse gradient trains with tfcore's optimizers; Masking."""

import numpy as np
import pytest
import tensorflow as tf

import tfcore
from tfcore.layers.keras.embedding import Embedding
from tfcore.layers.keras.masking import Masking


@pytest.mark.parametrize("ids_dtype", [tf.int32, tf.int64, tf.float32])
@pytest.mark.parametrize("shape", [(4,), (3, 5), (2, 3, 4)])
def test_embedding_equals_numpy_row_lookup(rng, ids_dtype, shape):
    ids = rng.randint(0, 7, size=shape)
    layer = Embedding(7, 3)
    with tfcore.new_graph().as_default() as graph:
        ip = tfcore.placeholder((None,) + shape[1:], ids_dtype)
        y = layer(ip)
        with tfcore.session(graph=graph) as sess:
            table = rng.randn(7, 3).astype(np.float32)
            layer.set_weights(sess, [table])
            got = sess.run(y, {ip: ids})
    np.testing.assert_array_equal(got, table[ids])
    assert y.shape.as_list() == [None] + list(shape[1:]) + [3]


def test_embedding_default_initializer_is_uniform_in_keras_range():
    layer = Embedding(50, 40)
    with tfcore.new_graph(seed=1).as_default() as graph:
        layer(tfcore.placeholder((None, 2), tf.int32))
        init = tf.compat.v1.global_variables_initializer()
        with tfcore.session(graph=graph) as sess:
            sess.run(init)
            (table,) = layer.get_weights(sess)
    assert np.abs(table).max() <= 0.05 and np.abs(table).max() > 0.045
    assert abs(table.mean()) < 0.005


def test_embedding_gradient_is_sparse_and_an_sgd_step_moves_only_the_looked_up_rows(rng):
    ids = np.array([[1, 3, 1], [4, 1, 0]])
    layer = Embedding(6, 2)
    with tfcore.new_graph().as_default() as graph:
        y = layer(tfcore.constant(ids))
        r = rng.randn(2, 3, 2).astype(np.float32)
        loss = tf.reduce_sum(y * r)
        (grad,) = tf.gradients(loss, [layer.embeddings])
        assert isinstance(grad, tf.IndexedSlices)
        train = tfcore.optimizers.SGD(0.5).minimize(loss)
        init = tf.compat.v1.global_variables_initializer()
        with tfcore.session(graph=graph) as sess:
            sess.run(init)
            (before,) = layer.get_weights(sess)
            sess.run(train)
            (after,) = layer.get_weights(sess)
    expected = before.copy()
    np.add.at(expected, ids.ravel(), -0.5 * r.reshape(-1, 2))  # repeated ids add up
    np.testing.assert_allclose(after, expected, rtol=1e-6)
    np.testing.assert_array_equal(after[[2, 5]], before[[2, 5]])


def test_embedding_passes_gradient_check_in_float64():
    ids = np.array([[0, 2, 2], [1, 3, 0]])
    tfcore.check_gradients(lambda x: Embedding(4, 3, dtype=tf.float64)(tfcore.constant(ids)) * x,
                           {"x": np.ones((2, 3, 3))}, name="Embedding")


def test_embedding_mask_zero_marks_padding():
    ids = np.array([[3, 1, 0, 0], [2, 0, 5, 0]])
    with tfcore.new_graph().as_default() as graph:
        mask = Embedding(6, 2, mask_zero=True).compute_mask(ids)
        assert Embedding(6, 2).compute_mask(ids) is None
        with tfcore.session(graph=graph) as sess:
            np.testing.assert_array_equal(sess.run(mask), ids != 0)


def test_masking_zeroes_padding_steps_and_reports_them(rng):
    x = rng.randn(3, 5, 2)
    x[0, 3:] = -1.0
    x[1, 0] = -1.0
    x[2, 2, 0] = -1.0  # only one feature equals the mask value: a real step
    layer = Masking(mask_value=-1.0)
    with tfcore.new_graph().as_default() as graph:
        xp = tfcore.placeholder((None, 5, 2), tf.float64)
        y, mask = layer(xp), layer.compute_mask(xp)
        with tfcore.session(graph=graph) as sess:
            got, got_mask = sess.run([y, mask], {xp: x})
    expected_mask = np.any(x != -1.0, axis=-1)
    np.testing.assert_array_equal(got_mask, expected_mask)
    np.testing.assert_array_equal(got, x * expected_mask[..., None])
    assert not expected_mask[0, 3] and expected_mask[2, 2]


def test_masking_gradient_flows_only_to_unmasked_steps(rng):
    # Finite differences cannot see through a masked step (moving it unmasks it),
    # so: a gradient check away from the mask, and the masked gradient against NumPy.
    tfcore.check_gradients(lambda x: Masking()(x), {"x": rng.randn(2, 4, 3)}, name="Masking")
    x = rng.randn(2, 4, 3)
    x[0, 1] = 0.0
    with tfcore.new_graph().as_default() as graph:
        xp = tfcore.placeholder((2, 4, 3), tf.float64)
        r = rng.randn(2, 4, 3)
        (grad,) = tf.gradients(tf.reduce_sum(Masking()(xp) * r), [xp])
        with tfcore.session(graph=graph) as sess:
            got = sess.run(grad, {xp: x})
    np.testing.assert_array_equal(got, r * np.any(x != 0, axis=-1, keepdims=True))


def test_embedding_and_masking_reject_bad_arguments():
    with pytest.raises(ValueError, match="embedding: input_dim must be a positive int"):
        Embedding(0, 3)
    with pytest.raises(ValueError, match="embedding: input_length must be a positive int"):
        Embedding(3, 3, input_length=0)
    with pytest.raises(TypeError, match="embedding: dtype must be a floating dtype .*, got int32"):
        Embedding(3, 3, dtype=tf.int32)
    with pytest.raises(TypeError, match="masking: mask_value must be a number"):
        Masking("pad")
    with tfcore.new_graph().as_default():
        with pytest.raises(TypeError, match="embedding: ids must be integers, got dtype bool"):
            Embedding(3, 2)(tfcore.placeholder((None, 2), tf.bool))
        with pytest.raises(ValueError, match=r"embedding: input_length is 4, but the ids have shape \(None, 5\)"):
            Embedding(3, 2, input_length=4)(tfcore.placeholder((None, 5), tf.int32))
        with pytest.raises(ValueError, match=r"masking: input must have a known rank >= 2 \(batch, \.\.\., features\)"):
            Masking()(tfcore.placeholder((None,)))
