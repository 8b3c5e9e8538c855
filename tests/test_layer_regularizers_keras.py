"""Conv3D, Conv2DTranspose, DepthwiseConv2D, SeparableConv2D, LayerNormalization and Embedding take Keras's regularizer and constraint arguments:
their penalties equal tf-keras's `layer.losses` with copied weights, in Keras's order."""

import numpy as np
import pytest
import tensorflow as tf

from tests.oracle import keras
import tfcore
import tfcore.layers as ours

pytestmark = pytest.mark.keras

REG = dict(kernel_regularizer="l1_l2", bias_regularizer="l2", activity_regularizer="l1")


@pytest.mark.parametrize("make,x,dtype", [
    (lambda k: k.Conv3D(2, 2, padding="same", **REG), np.random.RandomState(0).randn(2, 3, 4, 3, 2),
     tf.float32),
    (lambda k: k.Conv2DTranspose(3, 3, strides=2, **REG), np.random.RandomState(1).randn(2, 3, 4, 2),
     tf.float32),
    (lambda k: k.DepthwiseConv2D(2, depth_multiplier=2, depthwise_regularizer="l2",
                                 bias_regularizer="l1", activity_regularizer="l2"),
     np.random.RandomState(3).randn(2, 4, 5, 3), tf.float32),
    (lambda k: k.SeparableConv2D(3, 2, depthwise_regularizer="l1", pointwise_regularizer="l2",
                                 bias_regularizer="l1_l2"),
     np.random.RandomState(4).randn(2, 4, 5, 3), tf.float32),
    (lambda k: k.Conv1DTranspose(3, 3, strides=2, **REG), np.random.RandomState(6).randn(2, 4, 2),
     tf.float32),
    (lambda k: k.Conv3DTranspose(2, 2, strides=2, **REG), np.random.RandomState(7).randn(1, 2, 3, 2, 2),
     tf.float32),
    (lambda k: k.DepthwiseConv1D(2, depth_multiplier=2, depthwise_regularizer="l2",
                                 bias_regularizer="l1", activity_regularizer="l2"),
     np.random.RandomState(8).randn(2, 5, 3), tf.float32),
    (lambda k: k.SeparableConv1D(3, 2, depthwise_regularizer="l1", pointwise_regularizer="l2",
                                 bias_regularizer="l1_l2", activity_regularizer="l1"),
     np.random.RandomState(9).randn(2, 5, 3), tf.float32),
    (lambda k: k.LayerNormalization(gamma_regularizer="l2", beta_regularizer="l1"),
     np.random.RandomState(5).randn(3, 4, 5), tf.float32),
    (lambda k: k.Embedding(7, 3, embeddings_regularizer="l2", activity_regularizer="l1"),
     np.random.RandomState(2).randint(0, 7, (3, 4)), tf.int32),
])
def test_penalties_equal_keras_layer_losses(rng, make, x, dtype):
    x = x.astype(dtype.as_numpy_dtype)
    ref = make(keras.layers)
    ref.build(x.shape)
    weights = [w + rng.uniform(-0.3, 0.3, w.shape).astype(np.float32) for w in ref.get_weights()]
    ref.set_weights(weights)
    ref(x)
    expected = [float(p) for p in ref.losses]
    layer = make(ours)
    with tfcore.new_graph().as_default() as graph:
        xp = tfcore.placeholder(x.shape, dtype)
        layer(xp)
        with tfcore.session(graph=graph) as sess:
            layer.set_weights(sess, weights)
            got = sess.run(layer.losses, {xp: x})
    assert len(got) == len(expected)
    np.testing.assert_allclose(got, expected, rtol=1e-5)


def test_conv3d_max_norm_constraint_is_applied_after_a_step(rng):
    layer = ours.Conv3D(2, 2, kernel_constraint="max_norm")
    with tfcore.new_graph().as_default() as graph:
        y = layer(tfcore.constant(rng.randn(1, 3, 3, 3, 2).astype(np.float32)))
        train = tfcore.optimizers.SGD(10.0).minimize(tf.reduce_sum(y * y))
        init = tf.compat.v1.global_variables_initializer()
        with tfcore.session(graph=graph) as sess:
            sess.run(init)
            sess.run(train)
            kernel = layer.get_weights(sess)[0]
    # Keras's max_norm(2) with its default axis=0: the norms along the kernel's first axis.
    norms = np.sqrt(np.sum(kernel ** 2, axis=0))
    assert np.all(norms <= 2.0 + 1e-5) and np.any(norms > 1.9)
