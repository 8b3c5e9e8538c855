"""Conv1D/2D/3DTranspose equal a NumPy scatter (the adjoints of the convolutions); gradient checks."""

import numpy as np
import pytest

import tfcore
from tfcore.reference import conv_nd
from tfcore.layers.keras.conv_transpose import Conv1DTranspose, Conv2DTranspose, Conv3DTranspose
from tfcore.layers.keras.depthwise_conv import DepthwiseConv1D, SeparableConv1D


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
    expected = conv_nd.conv_transpose(x, k, layer.strides, layer.padding, out_size,
                                             layer.dilation_rate) + b
    np.testing.assert_allclose(y, expected, rtol=1e-10, atol=1e-10)
    assert static.as_list() == [None, *out_size, filters]


def test_conv2d_transpose_is_the_input_gradient_of_conv2d(rng):
    # <conv(z, K), x> = <z, conv_transpose(x, K)>: the defining property of a transpose.
    x, z = rng.randn(2, 3, 4, 2), rng.randn(2, 7, 9, 3)
    layer = Conv2DTranspose(3, 3, strides=2, padding="valid")
    y, (k, b), _ = run_with_random_weights(layer, x, rng)
    forward = conv_nd.conv(z, k, (2, 2), "VALID")
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


# Conv1DTranspose and Conv3DTranspose: the same base class, other ranks.

TRANSPOSE_1D_CASES = [
    # (input shape, filters, kernel, strides, padding, output_padding, dilation)
    ((2, 5, 2), 3, 3, 1, "valid", None, 1),
    ((2, 4, 3), 2, 3, 2, "valid", None, 1),
    ((1, 5, 1), 2, 4, 3, "same", None, 1),
    ((2, 3, 2), 3, 3, 2, "same", 1, 1),
    ((1, 4, 2), 1, 2, 3, "valid", 2, 1),
    ((2, 6, 2), 2, 3, 1, "same", None, 2),
    ((1, 5, 3), 2, 2, 1, "valid", None, 3),
]

TRANSPOSE_3D_CASES = [
    # (input shape, filters, kernel, strides, padding, output_padding)
    ((2, 2, 3, 3, 2), 2, 2, 1, "valid", None),
    ((1, 3, 2, 3, 1), 3, (2, 3, 2), (2, 1, 3), "valid", None),
    ((2, 2, 3, 2, 2), 2, 3, 2, "same", None),
    ((1, 2, 2, 3, 2), 1, (3, 2, 3), (2, 3, 2), "same", (1, 2, 0)),
    ((1, 3, 2, 2, 1), 2, 2, 3, "valid", (2, 0, 1)),
]


@pytest.mark.parametrize("shape,filters,kernel,strides,padding,output_padding,dilation",
                         TRANSPOSE_1D_CASES)
def test_conv1d_transpose_equals_numpy_scatter(rng, shape, filters, kernel, strides, padding,
                                               output_padding, dilation):
    x = rng.randn(*shape)
    layer = Conv1DTranspose(filters, kernel, strides=strides, padding=padding,
                            output_padding=output_padding, dilation_rate=dilation, activation="tanh")
    y, (k, b), static = run_with_random_weights(layer, x, rng)
    assert k.shape == (layer.kernel_size[0], filters, shape[-1])  # Keras's (k, filters, C_in)
    out_size = layer.output_size(shape[1])
    expected = np.tanh(conv_nd.conv_transpose(x, k, layer.strides, layer.padding, out_size,
                                                     layer.dilation_rate) + b)
    np.testing.assert_allclose(y, expected, rtol=1e-10, atol=1e-10)
    assert static.as_list() == [None, *out_size, filters]


@pytest.mark.parametrize("shape,filters,kernel,strides,padding,output_padding", TRANSPOSE_3D_CASES)
def test_conv3d_transpose_equals_numpy_scatter(rng, shape, filters, kernel, strides, padding,
                                               output_padding):
    x = rng.randn(*shape)
    layer = Conv3DTranspose(filters, kernel, strides=strides, padding=padding,
                            output_padding=output_padding)
    y, (k, b), static = run_with_random_weights(layer, x, rng)
    assert k.shape == layer.kernel_size + (filters, shape[-1])  # (kd, kh, kw, filters, C_in)
    out_size = layer.output_size(*shape[1:4])
    expected = conv_nd.conv_transpose(x, k, layer.strides, layer.padding, out_size) + b
    np.testing.assert_allclose(y, expected, rtol=1e-10, atol=1e-10)
    assert static.as_list() == [None, *out_size, filters]


@pytest.mark.parametrize("make,x_shape,z_shape,strides,padding,dilation", [
    (lambda: Conv1DTranspose(3, 3, strides=2), (2, 4, 2), (2, 9, 3), (2,), "VALID", None),
    (lambda: Conv1DTranspose(3, 4, strides=3, padding="same"), (2, 3, 2), (2, 9, 3), (3,), "SAME",
     None),
    (lambda: Conv1DTranspose(2, 3, dilation_rate=2, padding="same"), (1, 6, 2), (1, 6, 2), (1,),
     "SAME", (2,)),
    (lambda: Conv3DTranspose(3, 2, strides=2), (2, 2, 3, 2, 2), (2, 4, 6, 4, 3), (2, 2, 2), "VALID",
     None),
    (lambda: Conv3DTranspose(2, 3, strides=(1, 2, 3), padding="same"), (1, 2, 3, 2, 2),
     (1, 2, 6, 6, 2), (1, 2, 3), "SAME", None),
])
def test_transpose_is_the_adjoint_of_the_convolution(rng, make, x_shape, z_shape, strides, padding,
                                                      dilation):
    # <conv(z, K), x> = <z, conv_transpose(x, K)>, K read as the forward conv's (..., C_out->C_in).
    x, z = rng.randn(*x_shape), rng.randn(*z_shape)
    y, (k, b), _ = run_with_random_weights(make(), x, rng)
    assert y.shape == z.shape
    forward = conv_nd.conv(z, k, strides, padding, dilation)
    assert forward.shape == x.shape
    np.testing.assert_allclose(np.sum(forward * x), np.sum((y - b) * z), rtol=1e-10)


@pytest.mark.parametrize("make,shape", [
    (lambda: Conv1DTranspose(2, 3, strides=2, padding="same", activation="tanh"), (2, 3, 2)),
    (lambda: Conv1DTranspose(2, 3, strides=2, output_padding=1, use_bias=False), (1, 3, 2)),
    (lambda: Conv1DTranspose(2, 2, dilation_rate=2, data_format="channels_first"), (1, 2, 4)),
    (lambda: Conv3DTranspose(2, 2, strides=(2, 1, 2), padding="same"), (1, 2, 2, 3, 2)),
    (lambda: Conv3DTranspose(1, (2, 3, 2), strides=2, output_padding=(1, 0, 1),
                             data_format="channels_first"), (1, 2, 2, 2, 2)),
])
def test_conv1d_and_conv3d_transpose_pass_gradient_check(rng, make, shape):
    tfcore.check_gradients(lambda x: make()(x), {"x": rng.randn(*shape)}, name="ConvNDTranspose")


def test_conv1d_and_conv3d_transpose_reject_bad_arguments():
    with pytest.raises(ValueError, match=r"conv1d_transpose: output_padding \(2,\) must be smaller"):
        Conv1DTranspose(2, 3, strides=2, output_padding=2)
    with pytest.raises(ValueError, match="conv1d_transpose: strides > 1 together with dilation_rate"):
        Conv1DTranspose(2, 3, strides=2, dilation_rate=2)
    with pytest.raises(ValueError, match="conv1d_transpose: padding must be one of"):
        Conv1DTranspose(2, 3, padding="causal")
    with pytest.raises(ValueError, match="conv1d_transpose: filters must be a positive int"):
        Conv1DTranspose(0, 3)
    with pytest.raises(ValueError, match=r"conv3d_transpose: output_padding \(1, 3, 0\) must be"):
        Conv3DTranspose(2, 3, strides=(2, 3, 1), output_padding=(1, 3, 0))
    with pytest.warns(UserWarning, match=r"conv3d_transpose: dilation_rate=\(1, 2, 1\) has no effect"):
        assert Conv3DTranspose(2, 3, dilation_rate=(1, 2, 1)).dilation_rate == (1, 1, 1)
    with pytest.raises(ValueError, match="conv3d_transpose: kernel_size must be"):
        Conv3DTranspose(2, (3, 3))
    with tfcore.new_graph().as_default():
        with pytest.raises(ValueError, match=r"conv1d_transpose: input must have rank 3 "
                                             r"\(batch, channels, steps\)"):
            Conv1DTranspose(2, 3, data_format="channels_first")(tfcore.placeholder((None, 4, 4, 2)))
        with pytest.raises(ValueError, match="conv3d_transpose: input must have rank 5"):
            Conv3DTranspose(2, 3)(tfcore.placeholder((None, 4, 4, 2)))
        with pytest.raises(ValueError, match="conv1d_transpose: an output of size 4 .* does not "
                                             "convolve back"):
            Conv1DTranspose(2, 2, strides=2, padding="same", output_padding=0)(
                tfcore.placeholder((None, 3, 1)))
        layer = Conv3DTranspose(2, 2)
        layer(tfcore.placeholder((None, 2, 2, 2, 3)))
        with pytest.raises(ValueError, match="conv3d_transpose: input has 4 channels, but .* built for 3"):
            layer(tfcore.placeholder((None, 2, 2, 2, 4)))


@pytest.mark.parametrize("make,shape,dynamic", [
    (lambda: Conv1DTranspose(3, 3, strides=2, padding="same", output_padding=1), (2, 5, 2),
     (None, None, 2)),
    (lambda: Conv3DTranspose(2, 2, strides=(2, 1, 3)), (1, 2, 3, 2, 2), (None, None, 3, None, 2)),
    (lambda: DepthwiseConv1D(3, strides=2, padding="same", depth_multiplier=2,
                             data_format="channels_first"), (2, 3, 7), (None, 3, None)),
    (lambda: SeparableConv1D(3, 2, padding="causal", dilation_rate=2), (2, 7, 3), (None, None, 3)),
])
def test_new_layers_with_unknown_sizes_equal_the_static_graph(rng, make, shape, dynamic):
    # Channels-first equivalence of these layers: tests/test_layout.py.
    x = rng.randn(*shape)
    static, weights, _ = run_with_random_weights(make(), x, rng)
    layer = make()
    with tfcore.new_graph().as_default() as graph:
        xp = tfcore.placeholder(dynamic, np.float64)
        y = layer(xp)
        with tfcore.session(graph=graph) as sess:
            layer.set_weights(sess, weights)
            got = sess.run(y, {xp: x})
    known = [None if d is None else static.shape[a] for a, d in enumerate(dynamic)]
    assert y.shape.as_list() == known  # the channels are known whatever the layout
    np.testing.assert_allclose(got, static, rtol=1e-12)
