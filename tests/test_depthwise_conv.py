"""DepthwiseConv2D and SeparableConv2D equal a block-diagonal Conv2D (NumPy); gradient checks; errors."""

import numpy as np
import pytest

import tfcore
from tests import conv_reference
from tests.test_conv_transpose import run_with_random_weights
from tfcore.layers.depthwise_conv import DepthwiseConv2D, SeparableConv2D

DEPTHWISE_CASES = [
    # (input shape, kernel, strides, padding, depth_multiplier, dilation)
    ((2, 6, 5, 3), 3, 1, "valid", 1, 1),
    ((1, 7, 6, 2), (3, 2), 2, "same", 2, 1),
    ((2, 5, 7, 1), 2, 3, "same", 3, 1),
    ((1, 8, 7, 2), 3, 1, "same", 2, 2),
]


@pytest.mark.parametrize("shape,kernel,strides,padding,multiplier,dilation", DEPTHWISE_CASES)
def test_depthwise_conv2d_equals_block_diagonal_conv(rng, shape, kernel, strides, padding,
                                                     multiplier, dilation):
    x = rng.randn(*shape)
    layer = DepthwiseConv2D(kernel, strides=strides, padding=padding,
                            depth_multiplier=multiplier, dilation_rate=dilation)
    y, (d, b), static = run_with_random_weights(layer, x, rng)
    expected = conv_reference.conv(x, conv_reference.depthwise_as_full_kernel(d), layer.strides,
                                   layer.padding, layer.dilation_rate) + b
    np.testing.assert_allclose(y, expected, rtol=1e-10, atol=1e-10)
    assert static.as_list() == [None] + list(expected.shape[1:])


@pytest.mark.parametrize("shape,kernel,strides,padding,multiplier,dilation", DEPTHWISE_CASES)
def test_separable_conv2d_equals_depthwise_then_pointwise(rng, shape, kernel, strides, padding,
                                                          multiplier, dilation):
    x = rng.randn(*shape)
    layer = SeparableConv2D(4, kernel, strides=strides, padding=padding,
                            depth_multiplier=multiplier, dilation_rate=dilation)
    y, (d, p, b), _ = run_with_random_weights(layer, x, rng)
    z = conv_reference.conv(x, conv_reference.depthwise_as_full_kernel(d), layer.strides,
                            layer.padding, layer.dilation_rate)
    np.testing.assert_allclose(y, z @ p[0, 0] + b, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("make", [lambda: DepthwiseConv2D(2, depth_multiplier=2, padding="same"),
                                  lambda: SeparableConv2D(2, 2, depth_multiplier=2, activation="tanh")])
def test_depthwise_and_separable_pass_gradient_check(rng, make):
    tfcore.check_gradients(lambda x: make()(x), {"x": rng.randn(1, 4, 3, 2)}, name="depthwise")


def test_depthwise_and_separable_reject_bad_arguments():
    with pytest.raises(ValueError, match="depthwise_conv2d: depth_multiplier must be a positive int"):
        DepthwiseConv2D(3, depth_multiplier=0)
    with pytest.raises(ValueError, match="separable_conv2d: TensorFlow's depthwise kernels need equal"):
        SeparableConv2D(2, 3, strides=(1, 2))
    with pytest.raises(ValueError, match="separable_conv2d: filters must be a positive int"):
        SeparableConv2D(0, 3)
    with tfcore.new_graph().as_default():
        with pytest.raises(ValueError, match="depthwise_conv2d: input must have rank 4"):
            DepthwiseConv2D(3)(tfcore.placeholder((None, 5, 5)))
