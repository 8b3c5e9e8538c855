"""data_format="channels_first": every layer that takes it equals its channels-last self on the
transposed input, with the same weights (forward and gradients), and builds the same weights."""

import numpy as np
import pytest
import tensorflow as tf

import tfcore
import tfcore.layers as layers

CASES = [
    (lambda **kw: layers.Conv3D(3, (2, 3, 2), padding="same", **kw), (2, 4, 5, 3, 2)),
    (lambda **kw: layers.Conv3D(2, 2, dilation_rate=2, **kw), (1, 5, 4, 5, 2)),
    (lambda **kw: layers.Conv3D(4, 2, dilation_rate=2, groups=2, **kw), (1, 5, 4, 5, 4)),
    (lambda **kw: layers.Conv2DTranspose(3, 3, strides=2, output_padding=1, **kw), (2, 3, 4, 2)),
    (lambda **kw: layers.DepthwiseConv2D(3, depth_multiplier=2, **kw), (2, 5, 6, 3)),
    (lambda **kw: layers.SeparableConv2D(4, 2, strides=2, padding="same", **kw), (1, 5, 5, 2)),
    (lambda **kw: layers.Conv1DTranspose(3, 3, strides=2, output_padding=1, **kw), (2, 4, 2)),
    (lambda **kw: layers.Conv3DTranspose(2, 2, strides=(2, 1, 2), padding="same", **kw), (1, 2, 3, 2, 2)),
    (lambda **kw: layers.DepthwiseConv1D(3, depth_multiplier=2, **kw), (2, 6, 3)),
    (lambda **kw: layers.SeparableConv1D(4, 2, padding="causal", dilation_rate=2, **kw), (1, 7, 2)),
    (lambda **kw: layers.MaxPool3D(2, padding="same", **kw), (2, 3, 5, 4, 2)),
    (lambda **kw: layers.AvgPool3D((2, 1, 3), **kw), (1, 4, 3, 6, 2)),
    (lambda **kw: layers.UpSampling2D((2, 3), interpolation="bilinear", **kw), (2, 3, 4, 2)),
    (lambda **kw: layers.Cropping2D(((1, 0), (0, 2)), **kw), (2, 4, 5, 3)),
    (lambda **kw: layers.GlobalAveragePooling2D(**kw), (2, 4, 5, 3)),
]


def to_first(x):
    return np.moveaxis(x, -1, 1)


def run(layer, x, weights, r):
    with tfcore.new_graph(seed=0).as_default() as graph:
        xp = tfcore.placeholder(x.shape, tf.float64)
        y = layer(xp)
        grads = tf.gradients(tf.reduce_sum(y * r), [xp] + layer.trainable_variables)
        with tfcore.session(graph=graph) as sess:
            sess.run(tf.compat.v1.global_variables_initializer())
            if weights is None:
                weights = [np.random.RandomState(1).uniform(-1, 1, v.shape.as_list())
                           for v in layer.variables]
            layer.set_weights(sess, weights)
            return sess.run([y] + [g for g in grads if g is not None], {xp: x}), weights


@pytest.mark.parametrize("make,shape", CASES)
def test_channels_first_equals_channels_last_on_transposed_input(rng, make, shape):
    x = rng.randn(*shape)
    r = rng.randn(*run(make(), x, None, 0.0)[0][0].shape)
    (y_last, *g_last), weights = run(make(), x, None, r)
    first_layer = make(data_format="channels_first")
    (y_first, *g_first), _ = run(first_layer, to_first(x), weights, to_first(r))
    np.testing.assert_allclose(y_first, to_first(y_last) if y_last.ndim > 2 else y_last, rtol=1e-10,
                               atol=1e-12)
    np.testing.assert_allclose(g_first[0], to_first(g_last[0]), rtol=1e-10, atol=1e-12)
    for a, b in zip(g_first[1:], g_last[1:]):  # the same weights, in the same layout
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


def test_data_format_is_checked():
    with pytest.raises(ValueError, match="conv3d: data_format must be one of 'channels_last', "
                                         "'channels_first'"):
        layers.Conv3D(2, 2, data_format="NCDHW")
