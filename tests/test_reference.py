"""tfcore.reference, the NumPy references, against independent oracles: tf.nn ops,
TensorFlow's fused recurrent cells (LSTMBlockCell, GRUBlockCell), and the tfcore layers."""

import numpy as np
import pytest
import tensorflow as tf

from tfcore import reference
from tfcore.reference import conv_nd
from tfcore.layers import Dense, GRUCell


@pytest.mark.parametrize("shape,activation", [((4, 5), None), ((1, 3), np.tanh), ((2, 3, 4), np.tanh)])
def test_dense_reference_equals_matmul_oracle_and_the_dense_layer(rng, shape, activation):
    x, w, b = rng.randn(*shape), rng.randn(shape[-1], 3), rng.randn(3)
    got = reference.dense(x, w, b, activation)
    oracle = tf.tensordot(x, w, axes=[[len(shape) - 1], [0]]) + b
    np.testing.assert_allclose(got, (tf.tanh(oracle) if activation else oracle).numpy(), rtol=1e-12)

    with tf.Graph().as_default():
        layer = Dense(3, activation="tanh" if activation else None)
        y = layer(tf.constant(x))
        with tf.compat.v1.Session() as sess:
            layer.set_weights(sess, [w, b])
            np.testing.assert_allclose(sess.run(y), got, rtol=1e-12)


@pytest.mark.parametrize("smoothing", [0.0, 0.2])
def test_softmax_cross_entropy_reference_equals_tf_nn_even_for_extreme_logits(rng, smoothing):
    labels = np.eye(5)[rng.randint(0, 5, 6)]
    logits = rng.randn(6, 5) * 3
    logits[0] = [800.0, -800.0, 0.0, 1.0, 2.0]  # a naive exp would overflow
    got = reference.softmax_cross_entropy(labels, logits, label_smoothing=smoothing)
    smoothed = labels * (1 - smoothing) + smoothing / 5
    oracle = tf.nn.softmax_cross_entropy_with_logits(labels=smoothed, logits=logits).numpy()
    assert np.all(np.isfinite(got))
    np.testing.assert_allclose(got, oracle, rtol=1e-12)
    np.testing.assert_allclose(reference.log_softmax(logits), tf.nn.log_softmax(logits).numpy(), rtol=1e-12)


@pytest.mark.parametrize("shape,axis", [((8, 3), -1), ((3, 4, 2, 2), 1), ((2, 3, 5), 2)])
def test_batch_norm_reference_equals_tf_nn_moments_and_batch_normalization(rng, shape, axis):
    x = rng.randn(*shape) * 2 + 1
    features = shape[axis]
    gamma, beta = rng.uniform(0.5, 1.5, features), rng.randn(features)
    axes = [i for i in range(len(shape)) if i != axis % len(shape)]
    bshape = [1] * len(shape)
    bshape[axis] = features
    mean, variance = tf.nn.moments(tf.constant(x), axes)
    oracle = tf.nn.batch_normalization(
        x, tf.reshape(mean, bshape), tf.reshape(variance, bshape), offset=beta.reshape(bshape),
        scale=gamma.reshape(bshape), variance_epsilon=1e-3).numpy()
    y, got_mean, got_variance, n = reference.batch_norm_training(x, axis, gamma, beta, 1e-3)
    np.testing.assert_allclose(y, oracle, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(got_mean, mean.numpy(), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(got_variance, variance.numpy(), rtol=1e-12)
    assert n == x.size // features

    moving_mean, moving_variance = rng.randn(features), rng.uniform(0.5, 2, features)
    oracle = tf.nn.batch_normalization(
        x, moving_mean.reshape(bshape), moving_variance.reshape(bshape), offset=beta.reshape(bshape),
        scale=gamma.reshape(bshape), variance_epsilon=1e-3).numpy()
    got = reference.batch_norm_inference(x, axis, gamma, beta, moving_mean, moving_variance, 1e-3)
    np.testing.assert_allclose(got, oracle, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(reference.moving_average(2.0, 4.0, 0.75), 2.5)


def test_dropout_reference_scales_kept_values_and_zeroes_the_rest(rng):
    x, keep = rng.randn(4, 5), rng.uniform(size=(4, 5)) >= 0.3
    got = reference.dropout(x, keep, 0.3)
    np.testing.assert_array_equal(got[~keep], 0.0)
    np.testing.assert_allclose(got[keep], x[keep] / 0.7, rtol=1e-15)


def _icfo(t):
    """Keras's gate blocks i, f, c, o reordered to the fused kernels' i, c, f, o."""
    i, f, c, o = np.split(t, 4, axis=-1)
    return np.concatenate([i, c, f, o], axis=-1)


@pytest.mark.parametrize("batch,features,units", [(3, 4, 2), (1, 2, 5)])
def test_lstm_step_reference_equals_tensorflows_fused_lstm_block_cell(rng, batch, features, units):
    f32 = np.float32
    x, h, c = (rng.randn(batch, n).astype(f32) for n in (features, units, units))
    w, u, b = (rng.uniform(-0.5, 0.5, s).astype(f32) for s in
               [(features, 4 * units), (units, 4 * units), (4 * units,)])
    got_h, got_c = reference.lstm_step(x, h, c, w, u, b)
    zeros = np.zeros(units, f32)
    fused = tf.raw_ops.LSTMBlockCell(
        x=x, cs_prev=c, h_prev=h, w=_icfo(np.concatenate([w, u])), wci=zeros, wcf=zeros, wco=zeros,
        b=_icfo(b), forget_bias=0.0, cell_clip=-1.0, use_peephole=False)
    np.testing.assert_allclose(got_h, fused.h.numpy(), atol=1e-6)
    np.testing.assert_allclose(got_c, fused.cs.numpy(), atol=1e-6)


def test_gru_step_reference_without_reset_after_equals_tensorflows_fused_gru_block_cell(rng):
    """GRUBlockCell is the 2014 paper's GRU (reset before the matmul), gates r then u."""
    f32, units, features = np.float32, 3, 4
    x, h = rng.randn(2, features).astype(f32), rng.randn(2, units).astype(f32)
    w, u, b = (rng.uniform(-0.5, 0.5, s).astype(f32) for s in
               [(features, 3 * units), (units, 3 * units), (3 * units,)])
    got = reference.gru_step(x, h, w, u, b, reset_after=False)
    wu = np.concatenate([w, u])  # [x, h] times one matrix per gate group
    w_z, w_r, w_h = np.split(wu, 3, axis=1)
    b_z, b_r, b_h = np.split(b, 3)
    fused = tf.raw_ops.GRUBlockCell(x=x, h_prev=h, w_ru=np.concatenate([w_r, w_z], axis=1),
                                    w_c=w_h, b_ru=np.concatenate([b_r, b_z]), b_c=b_h)
    np.testing.assert_allclose(got, fused.h.numpy(), atol=1e-6)


@pytest.mark.parametrize("reset_after", [True, False])
def test_gru_reference_with_other_activations_equals_the_gru_cell(rng, reset_after):
    """reset_after=True has no fused TensorFlow kernel: the oracle is the GRUCell's own graph."""
    x, h = rng.randn(3, 2), rng.randn(3, 4)
    bias_shape = (2, 12) if reset_after else (12,)
    w, u, b = rng.randn(2, 12) / 2, rng.randn(4, 12) / 2, rng.randn(*bias_shape) / 2
    got = reference.gru_step(x, h, w, u, b, reset_after, activation=np.sin,
                             recurrent_activation=lambda t: np.clip(0.2 * t + 0.5, 0, 1))
    with tf.Graph().as_default():
        cell = GRUCell(4, activation=tf.sin, recurrent_activation="hard_sigmoid", reset_after=reset_after)
        out, _ = cell(tf.constant(x), states=[tf.constant(h)])
        with tf.compat.v1.Session() as sess:
            cell.set_weights(sess, [w, u, b])
            np.testing.assert_allclose(got, sess.run(out), rtol=1e-12)


@pytest.mark.parametrize("shape,window,strides,padding,dilation", [
    ((2, 7, 3), (3,), (2,), "SAME", None), ((1, 6, 5, 2), (2, 3), (1, 1), "VALID", (2, 1)),
    ((1, 4, 5, 3, 2), (2, 2, 3), (2, 1, 2), "SAME", None)])
def test_conv_nd_reference_equals_tf_nn_convolution_and_pool(rng, shape, window, strides, padding,
                                                          dilation):
    x, kernel = rng.randn(*shape), rng.randn(*window, shape[-1], 3)
    got = conv_nd.conv(x, kernel, strides, padding, dilation)
    oracle = tf.nn.convolution(x, kernel, strides=strides, padding=padding, dilations=dilation)
    np.testing.assert_allclose(got, oracle.numpy(), rtol=1e-10, atol=1e-12)
    if dilation is None:
        x = x.astype(np.float32)  # MaxPool3D has no float64 kernel; a max is exact anyway
        got = conv_nd.pool(x, window, strides, padding, np.max)
        oracle = tf.nn.pool(x, window, "MAX", strides=strides, padding=padding)
        np.testing.assert_array_equal(got, oracle.numpy())
