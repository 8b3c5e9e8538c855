"""Grouped convolution (`groups=`): each block of filters sees only its block of input channels.

Oracles: the NumPy loops of tfcore.reference run group by group on the
channel blocks, float64 central differences, and the two implementations
(fused, patches with the manual backward pass) against each other. Conv3D
(one tf.nn.conv3d per group) against an ordinary N-D NumPy convolution with
the block-diagonal kernel the grouped one stands for (tests/conv_nd.py),
which splits nothing.
"""

import numpy as np
import pytest

import tfcore
from tfcore.reference import conv_nd
from tests.helpers import assert_implementations_agree, random_kernel_and_strides
from tests.test_conv import run_conv
from tfcore import reference
from tfcore.layers.conv import Conv1D, Conv2D
from tfcore.layers.keras.conv3d import Conv3D


def grouped_reference(x, kernel, bias, groups, conv, **kwargs):
    """conv(x_g, K_g) + b_g for each block g of input channels / filters, concatenated."""
    xs, ks, bs = (np.split(a, groups, axis=-1) for a in (x, kernel, bias))
    return np.concatenate([conv(xg, kg, bg, **kwargs) for xg, kg, bg in zip(xs, ks, bs)], axis=-1)


@pytest.mark.parametrize("seed", range(4))
def test_grouped_conv2d_equals_numpy_loops_per_group(seed):
    rng = np.random.RandomState(seed)
    groups = int(rng.randint(2, 4))
    shape = (int(rng.randint(1, 3)), int(rng.randint(5, 9)), int(rng.randint(5, 9)),
             groups * int(rng.randint(1, 3)))
    kernel, strides = tuple(int(k) for k in rng.randint(1, 4, 2)), int(rng.randint(1, 3))
    padding = ["SAME", "VALID"][seed % 2]
    layer = Conv2D(groups * int(rng.randint(1, 3)), kernel, strides=strides, padding=padding,
                   groups=groups, implementation=["fused", "patches"][seed // 2])
    x = rng.randn(*shape)
    y, (k, b), _ = run_conv(layer, x)
    assert k.shape == kernel + (shape[-1] // groups, layer.filters)
    expected = grouped_reference(x, k, b, groups, reference.conv2d, strides=layer.strides,
                                 padding=padding)
    np.testing.assert_allclose(y, expected, rtol=1e-10, atol=1e-10)


def test_grouped_conv1d_equals_numpy_loops_per_group(rng):
    layer = Conv1D(6, 3, padding="causal", dilation_rate=2, groups=3)
    x = rng.randn(2, 9, 3)
    y, (k, b), _ = run_conv(layer, x)
    expected = grouped_reference(x, k, b, 3, reference.conv1d, padding="CAUSAL", dilation=2)
    np.testing.assert_allclose(y, expected, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("implementation,gradient", [("fused", "auto"), ("patches", "manual")])
def test_grouped_conv2d_passes_gradient_check(rng, implementation, gradient):
    tfcore.check_gradients(
        lambda x: Conv2D(4, (2, 3), strides=(2, 1), groups=2, activation="tanh",
                         implementation=implementation, gradient=gradient)(x),
        {"x": rng.randn(2, 5, 4, 4)}, name="Conv2D(groups=2, %s)" % implementation)


def test_grouped_conv_implementations_agree_in_float64_with_unknown_sizes(rng):
    implementations = [("fused", "auto"), ("patches", "auto"), ("patches", "manual")]
    assert_implementations_agree(Conv2D, dict(filters=6, kernel_size=3, groups=3, padding="VALID"),
                                 implementations, rng.randn(1, 7, 6, 3), 1e-9, unknown_spatial=True)


@pytest.mark.parametrize("layer, name, kernel, data_format, input_shape", [
    (Conv2D, "conv2d", 3, None, (None, 5, 5, 3)),
    (Conv3D, "conv3d", 2, "channels_first", (None, 3, 5, 5, 5)),
])
def test_groups_must_divide_filters_and_input_channels_naming_the_layer(
        layer, name, kernel, data_format, input_shape):
    with pytest.raises(ValueError, match="%s: filters \\(5\\) must be divisible by groups \\(2\\)" % name):
        layer(5, 3, groups=2)
    with pytest.raises(ValueError, match="%s: groups must be a positive int" % name):
        layer(4, 3, groups=0)
    graph = tfcore.new_graph()
    with graph.as_default(), pytest.raises(
            ValueError, match="%s: the input's 3 channels must be divisible by groups \\(2\\)" % name):
        layer(4, kernel, groups=2, data_format=data_format)(tfcore.placeholder(input_shape))


@pytest.mark.parametrize("seed", range(6))
def test_grouped_conv3d_equals_block_diagonal_numpy_convolution(seed):
    """Random shapes, strides or dilation, both paddings, channels_first, no bias, unknown sizes."""
    rng = np.random.RandomState(300 + seed)
    groups = int(rng.randint(2, 4))
    dilated, first = seed in (2, 5), seed in (3, 5)
    kernel, strides = random_kernel_and_strides(rng, 3, dilated)
    layer = Conv3D(groups * int(rng.randint(1, 3)), kernel, strides=strides,
                   padding=["same", "valid"][seed % 2], dilation_rate=2 if dilated else 1,
                   use_bias=seed != 4, groups=groups,
                   data_format="channels_first" if first else "channels_last")
    per_group = 1 if seed == 0 else int(rng.randint(2, 4))  # input channels per group
    x = rng.randn(int(rng.randint(1, 3)), *rng.randint(7, 10, 3), groups * per_group)
    y, weights, _ = run_conv(layer, np.moveaxis(x, -1, 1) if first else x, spatial_none=seed == 1)
    k = weights[0]
    assert k.shape == kernel + (x.shape[-1] // groups, layer.filters)
    expected = conv_nd.conv(x, conv_nd.grouped_as_full_kernel(k, groups),
                                   layer.strides, layer.padding, layer.dilation_rate)
    expected = expected + (weights[1] if layer.use_bias else 0)
    np.testing.assert_allclose(np.moveaxis(y, 1, -1) if first else y, expected,
                               rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("dilation", [1, 2])
def test_grouped_conv3d_passes_gradient_check(rng, dilation):
    tfcore.check_gradients(
        lambda x: Conv3D(4, 2, padding="same", dilation_rate=dilation, groups=2,
                         activation="tanh")(x),
        {"x": rng.randn(1, 3, 4, 3, 4)}, name="Conv3D(groups=2, dilation=%d)" % dilation)
