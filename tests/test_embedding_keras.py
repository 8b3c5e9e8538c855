"""Embedding and Masking equal tf-keras's (lookup, gradients, masks), and training an Embedding
with tfcore's optimizers follows tf_keras.optimizers.legacy step by step (sparse gradients)."""

import numpy as np
import pytest
import tensorflow as tf

from tests.oracle import keras
import tfcore
from tfcore.layers.keras.embedding import Embedding
from tfcore.layers.keras.masking import Masking

pytestmark = pytest.mark.keras


@pytest.mark.parametrize("shape", [(5,), (3, 4), (2, 3, 2)])
@pytest.mark.parametrize("mask_zero", [False, True])
def test_embedding_lookup_gradient_and_mask_equal_keras(rng, shape, mask_zero):
    ids = rng.randint(0, 9, size=shape)
    ref = keras.layers.Embedding(9, 4, mask_zero=mask_zero)
    ref.build(shape)
    table = rng.randn(9, 4).astype(np.float32)
    ref.set_weights([table])
    r = rng.randn(*shape, 4).astype(np.float32)
    with tf.GradientTape() as tape:
        y_ref = ref(tf.constant(ids))
        loss = tf.reduce_sum(y_ref * r)
    g_ref = tf.convert_to_tensor(tape.gradient(loss, ref.embeddings)).numpy()
    mask_ref = ref.compute_mask(tf.constant(ids))

    layer = Embedding(9, 4, mask_zero=mask_zero)
    with tfcore.new_graph().as_default() as graph:
        ip = tfcore.placeholder((None,) + shape[1:], tf.int32)
        y = layer(ip)
        (g,) = tf.gradients(tf.reduce_sum(y * r), [layer.embeddings])
        mask = layer.compute_mask(ip)
        with tfcore.session(graph=graph) as sess:
            layer.set_weights(sess, [table])
            out, grad = sess.run([y, tf.convert_to_tensor(g)], {ip: ids})
            got_mask = None if mask is None else sess.run(mask, {ip: ids})
    np.testing.assert_array_equal(out, y_ref.numpy())
    np.testing.assert_allclose(grad, g_ref, rtol=0, atol=1e-6)
    assert (got_mask is None) == (mask_ref is None)
    if got_mask is not None:
        np.testing.assert_array_equal(got_mask, mask_ref.numpy())


def test_masking_output_and_mask_equal_keras(rng):
    x = rng.randn(3, 6, 2).astype(np.float32)
    x[0, 4:] = 2.0
    x[2, 1] = 2.0
    ref = keras.layers.Masking(mask_value=2.0)
    expected, expected_mask = ref(x).numpy(), ref.compute_mask(tf.constant(x)).numpy()
    layer = Masking(mask_value=2.0)
    with tfcore.new_graph().as_default() as graph:
        y, mask = layer(x), layer.compute_mask(x)
        with tfcore.session(graph=graph) as sess:
            out, got_mask = sess.run([y, mask])
    np.testing.assert_array_equal(out, expected)
    np.testing.assert_array_equal(got_mask, expected_mask)


def train_embedding_steps(make_ours, make_theirs, rng, steps=20):
    """20 steps of sum(embedding(ids) * r) on fresh ids each step: tfcore vs legacy Keras tables."""
    table = rng.randn(7, 3).astype(np.float32)
    batches = [(rng.randint(0, 4, size=(2, 3)), rng.randn(2, 3, 3).astype(np.float32))
               for _ in range(steps)]  # ids < 4: rows 4..6 never get a gradient
    var = tf.Variable(table)
    opt = make_theirs()
    theirs = []
    for ids, r in batches:
        with tf.GradientTape() as tape:
            loss = tf.reduce_sum(tf.gather(var, ids) * r)
        opt.apply_gradients([(tape.gradient(loss, var), var)])  # IndexedSlices: the sparse path
        theirs.append(var.numpy().copy())

    layer = Embedding(7, 3)
    with tfcore.new_graph().as_default() as graph:
        ip, rp = tfcore.placeholder((2, 3), tf.int32), tfcore.placeholder((2, 3, 3))
        train = make_ours().minimize(tf.reduce_sum(layer(ip) * rp))
        init = tf.compat.v1.global_variables_initializer()
        with tfcore.session(graph=graph) as sess:
            sess.run(init)
            layer.set_weights(sess, [table])
            ours = []
            for ids, r in batches:
                sess.run(train, {ip: ids, rp: r})
                ours.append(layer.get_weights(sess)[0])
    return ours, theirs


@pytest.mark.parametrize("name,kwargs", [("SGD", dict(learning_rate=0.1)),
                                         ("SGD", dict(learning_rate=0.1, momentum=0.9)),
                                         ("Adam", dict(learning_rate=0.01, decay=1e-3))])
def test_embedding_trains_like_keras_legacy_optimizers_with_sparse_gradients(rng, name, kwargs):
    # With momentum, Keras updates only the looked-up rows (sparse momentum): rows
    # missing from a batch keep their velocity unused, so this case tells dense from sparse.
    ours, theirs = train_embedding_steps(lambda: getattr(tfcore.optimizers, name)(**kwargs),
                                         lambda: getattr(keras.optimizers.legacy, name)(**kwargs), rng)
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-6)
