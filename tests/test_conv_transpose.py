"""Conv2DTranspose equals a NumPy scatter (and is Conv2D's input gradient); gradient checks; errors."""

import numpy as np
import pytest

import tfcore
from tests import conv_reference
from tfcore.layers.conv_transpose import Conv2DTranspose


def run_with_random_weights(layer, x, rng):
    """The layer on float64 `x` with random weights: (output, weights, static output shape)."""
    with tfcore.new_graph().as_default() as graph:
        xp = tfcore.placeholder((None,) + x.shape[1:], np.float64)
        y = layer(xp)
        with tfcore.session(graph=graph) as sess:
            weights = [rng.randn(*v.shape.as_list()) for v in layer.variables]
            layer.set_weights(sess, weights)
            return sess.run(y, {xp: x}), weights, y.shape


TRANSPOSE_CASES = [
    # (input shape, filters, kernel, strides, padding, output_padding, dilation)
    ((2, 3, 4, 2), 3, 3, 1, "valid", None, 1),
    ((2, 3, 4, 2), 3, 3, 2, "valid", None, 1),
    ((1, 4, 3, 1), 2, (2, 3), (2, 3), "same", None, 1),
    ((2, 3, 3, 2), 2, 3, 2, "same", 1, 1),
    ((1, 3, 5, 2), 1, (3, 2), (3, 2), "valid", (2, 1), 1),
    ((1, 4, 4, 2), 2, 2, 3, "valid", None, 1),
    ((2, 4, 5, 1), 2, 3, 1, "same", None, 2),
    ((1, 4, 3, 2), 3, 2, 1, "valid", None, 2),
]


@pytest.mark.parametrize("shape,filters,kernel,strides,padding,output_padding,dilation", TRANSPOSE_CASES)
def test_conv2d_transpose_equals_numpy_scatter(rng, shape, filters, kernel, strides, padding,
                                               output_padding, dilation):
    x = rng.randn(*shape)
    layer = Conv2DTranspose(filters, kernel, strides=strides, padding=padding,
                            output_padding=output_padding, dilation_rate=dilation)
    y, (k, b), static = run_with_random_weights(layer, x, rng)
    out_size = layer.output_size(shape[1], shape[2])
    expected = conv_reference.conv_transpose(x, k, layer.strides, layer.padding, out_size,
                                             layer.dilation_rate) + b
    np.testing.assert_allclose(y, expected, rtol=1e-10, atol=1e-10)
    assert static.as_list() == [None, *out_size, filters]


def test_conv2d_transpose_is_the_input_gradient_of_conv2d(rng):
    # <conv(z, K), x> = <z, conv_transpose(x, K)>: the defining property of a transpose.
    x, z = rng.randn(2, 3, 4, 2), rng.randn(2, 7, 9, 3)
    layer = Conv2DTranspose(3, 3, strides=2, padding="valid")
    y, (k, b), _ = run_with_random_weights(layer, x, rng)
    forward = conv_reference.conv(z, k, (2, 2), "VALID")
    np.testing.assert_allclose(np.sum(forward * x), np.sum((y - b) * z), rtol=1e-10)


@pytest.mark.parametrize("kwargs", [dict(strides=2, padding="same"), dict(strides=1, dilation_rate=2)])
def test_conv2d_transpose_passes_gradient_check(rng, kwargs):
    tfcore.check_gradients(lambda x: Conv2DTranspose(2, 3, **kwargs)(x), {"x": rng.randn(1, 3, 3, 2)},
                           name="Conv2DTranspose")


def test_conv2d_transpose_rejects_bad_arguments():
    with pytest.raises(ValueError, match=r"conv2d_transpose: output_padding \(2, 2\) must be smaller"):
        Conv2DTranspose(2, 3, strides=2, output_padding=2)
    with pytest.raises(ValueError, match="conv2d_transpose: dilation_rate > 1 needs strides 1"):
        Conv2DTranspose(2, 3, dilation_rate=(2, 1))
    with tfcore.new_graph().as_default():
        with pytest.raises(ValueError, match="conv2d_transpose: an output of size 4 .* does not "
                                             "convolve back"):
            Conv2DTranspose(2, 2, strides=2, padding="same", output_padding=0)(
                tfcore.placeholder((None, 3, 3, 1)))


@pytest.mark.parametrize("padding,output_padding", [("same", None), ("valid", 1), ("same", 1)])
def test_conv2d_transpose_with_unknown_spatial_sizes_equals_the_static_graph(rng, padding,
                                                                             output_padding):
    x = rng.randn(2, 3, 5, 2)
    layer = Conv2DTranspose(3, 3, strides=2, padding=padding, output_padding=output_padding)
    static, weights, _ = run_with_random_weights(layer, x, rng)
    dynamic_layer = Conv2DTranspose(3, 3, strides=2, padding=padding, output_padding=output_padding)
    with tfcore.new_graph().as_default() as graph:
        xp = tfcore.placeholder((None, None, None, 2), np.float64)
        y = dynamic_layer(xp)
        with tfcore.session(graph=graph) as sess:
            dynamic_layer.set_weights(sess, weights)
            got = sess.run(y, {xp: x})
    assert y.shape.as_list() == [None, None, None, 3]
    np.testing.assert_allclose(got, static, rtol=1e-12)
