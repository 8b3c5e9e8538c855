"""Conv3D and MaxPool3D / AvgPool3D equal NumPy references; float64 gradient checks; errors."""

import numpy as np
import pytest
import tensorflow as tf

import tfcore
from tfcore.reference import conv_nd
from tests.helpers import run_layer
from tfcore.layers.keras.conv3d import Conv3D
from tfcore.layers.keras.pool3d import AvgPool3D, MaxPool3D

CONV_CASES = [
    # (input shape, filters, kernel, strides, padding, dilation)
    ((2, 5, 6, 4, 2), 3, 3, 1, "valid", 1),
    ((1, 5, 6, 4, 2), 2, (2, 3, 1), 1, "same", 1),
    ((2, 7, 5, 6, 1), 3, 3, (2, 1, 3), "same", 1),
    ((1, 6, 7, 5, 2), 2, (3, 2, 2), 2, "valid", 1),
    ((1, 7, 6, 6, 2), 2, 2, 1, "same", (2, 1, 3)),
    ((1, 8, 7, 6, 1), 2, (2, 3, 2), 1, "valid", 2),
]


@pytest.mark.parametrize("shape,filters,kernel,strides,padding,dilation", CONV_CASES)
def test_conv3d_equals_numpy_reference(rng, shape, filters, kernel, strides, padding, dilation):
    x = rng.randn(*shape)
    layer = Conv3D(filters, kernel, strides=strides, padding=padding, dilation_rate=dilation)
    with tfcore.new_graph().as_default() as graph:
        xp = tfcore.placeholder((None,) + shape[1:], np.float64)
        y = layer(xp)
        with tfcore.session(graph=graph) as sess:
            k, b = rng.randn(*layer.kernel.shape.as_list()), rng.randn(filters)
            layer.set_weights(sess, [k, b])
            got = sess.run(y, {xp: x})
    expected = conv_nd.conv(x, k, layer.strides, layer.padding, layer.dilation_rate) + b
    np.testing.assert_allclose(got, expected, rtol=1e-10, atol=1e-10)
    assert y.shape.as_list() == [None] + list(expected.shape[1:])


@pytest.mark.parametrize("dilation", [1, 2])
def test_conv3d_passes_gradient_check(rng, dilation):
    tfcore.check_gradients(lambda x: Conv3D(2, 2, padding="same", dilation_rate=dilation,
                                            activation="tanh")(x),
                           {"x": rng.randn(1, 3, 4, 3, 2)}, name="Conv3D")


POOL_CASES = [((2, 4, 5, 6, 2), 2, None, "valid"), ((1, 5, 5, 3, 1), 3, 2, "same"),
              ((1, 5, 7, 4, 2), (2, 3, 1), (1, 2, 2), "same"), ((2, 6, 5, 4, 1), (3, 2, 2), None, "valid")]


@pytest.mark.parametrize("shape,pool_size,strides,padding", POOL_CASES)
@pytest.mark.parametrize("cls,reduce", [(MaxPool3D, np.max), (AvgPool3D, np.mean)], ids=["max", "avg"])
@pytest.mark.parametrize("dtype", [tf.float64, tf.float32], ids=["separable", "fused"])
def test_pool3d_equals_numpy_reference(rng, cls, reduce, shape, pool_size, strides, padding, dtype):
    x = rng.randn(*shape).astype(dtype.as_numpy_dtype)
    layer = cls(pool_size, strides=strides, padding=padding)
    y, static = run_layer(layer, x, dtype)
    expected = conv_nd.pool(x, layer.pool_size, layer.strides, layer.padding, reduce)
    tol = 1e-12 if dtype == tf.float64 else 1e-6
    np.testing.assert_allclose(y, expected, rtol=tol, atol=tol)
    assert static.as_list() == [None] + list(expected.shape[1:])


def test_conv3d_and_pool3d_reject_bad_arguments_and_inputs():
    with pytest.raises(ValueError, match="conv3d: kernel_size must be an int or a tuple of 3 ints"):
        Conv3D(2, (3, 3))
    with pytest.raises(ValueError, match="conv3d: strides > 1 together with dilation_rate > 1"):
        Conv3D(2, 3, strides=2, dilation_rate=2)
    with pytest.raises(ValueError, match="max_pool3d: pool_size must be positive"):
        MaxPool3D(0)
    with tfcore.new_graph().as_default():
        with pytest.raises(ValueError, match="conv3d: input must have rank 5"):
            Conv3D(2, 3)(tfcore.placeholder((None, 5, 5, 1)))
        with pytest.raises(ValueError, match=r"conv3d: with padding 'VALID' the kernel \(3 along axis 2\)"):
            Conv3D(2, 3)(tfcore.placeholder((None, 5, 2, 5, 1)))
        with pytest.raises(ValueError, match="avg_pool3d: input must have rank 5"):
            AvgPool3D()(tfcore.placeholder((None, 5, 5, 1)))


def test_conv3d_activation_acts_in_the_layers_own_layout(rng):
    """As Keras: a channels_first Conv3D applies its activation to the (N, C, D, H, W) output,
    so softmax normalizes the last axis, W, not the channels."""
    x = rng.randn(2, 3, 4, 5, 6)  # channels_first: 3 channels
    first = Conv3D(2, 2, activation="softmax", data_format="channels_first")
    with tfcore.new_graph().as_default() as graph:
        xp = tfcore.placeholder((None,) + x.shape[1:], np.float64)
        y = first(xp)
        with tfcore.session(graph=graph) as sess:
            k, b = rng.randn(*first.kernel.shape.as_list()), rng.randn(2)
            first.set_weights(sess, [k, b])
            got = sess.run(y, {xp: x})
    z = np.moveaxis(conv_nd.conv(np.moveaxis(x, 1, -1), k, (1, 1, 1), "VALID", (1, 1, 1)) + b,
                    -1, 1)
    expected = np.exp(z - z.max(-1, keepdims=True))
    np.testing.assert_allclose(got, expected / expected.sum(-1, keepdims=True), rtol=1e-10, atol=1e-12)
