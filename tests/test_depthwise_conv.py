"""Depthwise and separable convolutions (1-D, 2-D) equal a block-diagonal conv (NumPy); gradient checks."""

import numpy as np
import pytest
import tensorflow as tf

import tfcore
from tfcore.reference import conv_nd
from tests.test_conv_transpose import run_with_random_weights
from tfcore.layers.keras.conv_transpose import Conv1DTranspose, Conv3DTranspose
from tfcore.layers.keras.depthwise_conv import (DepthwiseConv1D, DepthwiseConv2D, SeparableConv1D,
                                         SeparableConv2D)

DEPTHWISE_CASES = [
    # (input shape, kernel, strides, padding, depth_multiplier, dilation)
    ((2, 6, 5, 3), 3, 1, "valid", 1, 1),
    ((1, 7, 6, 2), (3, 2), 2, "same", 2, 1),
    ((2, 5, 7, 1), 2, 3, "same", 3, 1),
    ((1, 8, 7, 2), 3, 1, "same", 2, 2),
    # Unequal strides (issue 23 D2): float64 takes the exact fallback (depthwise_conv.py).
    ((2, 7, 6, 2), (3, 2), (2, 1), "same", 2, 1),
    ((1, 9, 8, 3), 3, (1, 2), "valid", 1, 1),
    ((1, 11, 9, 2), (2, 3), (2, 4), "same", 1, 1),
    ((2, 10, 8, 1), 2, (3, 2), "valid", 2, 1),
]


@pytest.mark.parametrize("shape,kernel,strides,padding,multiplier,dilation", DEPTHWISE_CASES)
def test_depthwise_conv2d_equals_block_diagonal_conv(rng, shape, kernel, strides, padding,
                                                     multiplier, dilation):
    x = rng.randn(*shape)
    layer = DepthwiseConv2D(kernel, strides=strides, padding=padding,
                            depth_multiplier=multiplier, dilation_rate=dilation)
    y, (d, b), static = run_with_random_weights(layer, x, rng)
    expected = conv_nd.conv(x, conv_nd.depthwise_as_full_kernel(d), layer.strides,
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
    z = conv_nd.conv(x, conv_nd.depthwise_as_full_kernel(d), layer.strides,
                            layer.padding, layer.dilation_rate)
    np.testing.assert_allclose(y, z @ p[0, 0] + b, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("make", [lambda: DepthwiseConv2D(2, depth_multiplier=2, padding="same"),
                                  lambda: SeparableConv2D(2, 2, depth_multiplier=2, activation="tanh"),
                                  lambda: DepthwiseConv2D(2, strides=(2, 1), padding="same"),
                                  lambda: SeparableConv2D(2, 2, strides=(1, 2), activation="tanh",
                                                          data_format="channels_first")])
def test_depthwise_and_separable_pass_gradient_check(rng, make):
    tfcore.check_gradients(lambda x: make()(x), {"x": rng.randn(1, 4, 3, 2)}, name="depthwise")


def test_depthwise_and_separable_reject_bad_arguments():
    with pytest.raises(ValueError, match="depthwise_conv2d: depth_multiplier must be a positive int"):
        DepthwiseConv2D(3, depth_multiplier=0)
    with pytest.raises(ValueError, match="separable_conv2d: filters must be a positive int"):
        SeparableConv2D(0, 3)
    with tfcore.new_graph().as_default():
        with pytest.raises(ValueError, match="depthwise_conv2d: input must have rank 4"):
            DepthwiseConv2D(3)(tfcore.placeholder((None, 5, 5)))


# DepthwiseConv1D and SeparableConv1D: the same bases on sequences (batch, steps, channels).

DEPTHWISE_1D_CASES = [
    # (input shape, kernel, strides, padding, depth_multiplier, dilation)
    ((2, 7, 3), 3, 1, "valid", 1, 1),
    ((1, 9, 2), 2, 2, "same", 2, 1),
    ((2, 8, 1), 3, 3, "valid", 3, 1),
    ((1, 9, 2), 3, 1, "same", 2, 2),
    ((2, 10, 3), 2, 1, "valid", 1, 3),
]


def reference_1d(x, depthwise, strides, padding, dilation):
    """NumPy depthwise step; CAUSAL pads (k_eff - 1) zeros before the steps, then VALID."""
    if padding == "CAUSAL":
        x = np.pad(x, [(0, 0), ((depthwise.shape[0] - 1) * dilation[0], 0), (0, 0)])
        padding = "VALID"
    return conv_nd.conv(x, conv_nd.depthwise_as_full_kernel(depthwise), strides,
                               padding, dilation)


@pytest.mark.parametrize("shape,kernel,strides,padding,multiplier,dilation", DEPTHWISE_1D_CASES)
def test_depthwise_conv1d_equals_block_diagonal_conv(rng, shape, kernel, strides, padding,
                                                     multiplier, dilation):
    x = rng.randn(*shape)
    layer = DepthwiseConv1D(kernel, strides=strides, padding=padding,
                            depth_multiplier=multiplier, dilation_rate=dilation, activation="tanh")
    y, (d, b), static = run_with_random_weights(layer, x, rng)
    assert d.shape == (kernel, shape[-1], multiplier)  # Keras's (k, C_in, m)
    expected = np.tanh(reference_1d(x, d, layer.strides, layer.padding, layer.dilation_rate) + b)
    np.testing.assert_allclose(y, expected, rtol=1e-10, atol=1e-10)
    assert static.as_list() == [None] + list(expected.shape[1:])


@pytest.mark.parametrize("shape,kernel,strides,padding,multiplier,dilation",
                         DEPTHWISE_1D_CASES + [((2, 6, 2), 3, 1, "causal", 2, 2),
                                               ((1, 5, 3), 2, 2, "causal", 1, 1)])
def test_separable_conv1d_equals_depthwise_then_pointwise(rng, shape, kernel, strides, padding,
                                                          multiplier, dilation):
    x = rng.randn(*shape)
    layer = SeparableConv1D(4, kernel, strides=strides, padding=padding,
                            depth_multiplier=multiplier, dilation_rate=dilation, activation="relu")
    y, (d, p, b), static = run_with_random_weights(layer, x, rng)
    assert p.shape == (1, shape[-1] * multiplier, 4)  # Keras's (1, C_in m, filters)
    z = reference_1d(x, d, layer.strides, layer.padding, layer.dilation_rate)
    np.testing.assert_allclose(y, np.maximum(z @ p[0] + b, 0), rtol=1e-10, atol=1e-10)
    assert static.as_list() == [None, z.shape[1], 4]


def test_separable_is_a_conv_with_the_factorized_kernel(rng):
    # K[u, c, o] = sum_k D[u, c, k] P[c m + k, o]: the module docstring's factorization.
    x = rng.randn(2, 7, 3)
    layer = SeparableConv1D(5, 3, depth_multiplier=2, use_bias=False)
    y, (d, p), _ = run_with_random_weights(layer, x, rng)
    full = np.einsum("uck,cko->uco", d, p[0].reshape(3, 2, 5))
    np.testing.assert_allclose(y, conv_nd.conv(x, full, (1,), "VALID"), rtol=1e-10)


def test_separable_saves_the_flops_the_docstring_says():
    k, channels, filters, m = 3, 256, 256, 1
    full, separable = k * k * channels * filters, k * k * channels * m + channels * m * filters
    assert (full, separable) == (589824, 67840)
    assert separable / full == pytest.approx(m / filters + m / k ** 2)


@pytest.mark.parametrize("make,shape", [
    (lambda: DepthwiseConv1D(3, depth_multiplier=2, padding="same", activation="tanh"), (2, 5, 2)),
    (lambda: DepthwiseConv1D(2, strides=2, data_format="channels_first"), (1, 2, 5)),
    (lambda: SeparableConv1D(3, 2, depth_multiplier=2, padding="causal", dilation_rate=2), (1, 5, 2)),
    (lambda: SeparableConv1D(2, 3, strides=2, use_bias=False, data_format="channels_first"), (2, 2, 6)),
])
def test_depthwise_and_separable_1d_pass_gradient_check(rng, make, shape):
    tfcore.check_gradients(lambda x: make()(x), {"x": rng.randn(*shape)}, name="depthwise 1-D")


def test_depthwise_and_separable_1d_reject_bad_arguments():
    with pytest.raises(ValueError, match="depthwise_conv1d: padding must be one of"):
        DepthwiseConv1D(3, padding="causal")  # Keras: causal only for Conv1D and SeparableConv1D
    with pytest.raises(ValueError, match="depthwise_conv1d: depth_multiplier must be a positive int"):
        DepthwiseConv1D(3, depth_multiplier=0)
    with pytest.raises(ValueError, match="depthwise_conv1d: strides > 1 together with dilation_rate"):
        DepthwiseConv1D(3, strides=2, dilation_rate=2)
    with pytest.raises(ValueError, match="separable_conv1d: filters must be a positive int"):
        SeparableConv1D(0, 3)
    with pytest.raises(ValueError, match="separable_conv1d: kernel_size must be"):
        SeparableConv1D(2, (3, 3))
    with tfcore.new_graph().as_default():
        with pytest.raises(ValueError, match=r"separable_conv1d: input must have rank 3 "
                                             r"\(batch, channels, steps\)"):
            SeparableConv1D(2, 3, data_format="channels_first")(tfcore.placeholder((None, 5, 5, 2)))
        with pytest.raises(ValueError, match="depthwise_conv1d: with padding 'VALID' the kernel"):
            DepthwiseConv1D(4)(tfcore.placeholder((None, 3, 2)))
        layer = SeparableConv1D(2, 2)
        layer(tfcore.placeholder((None, 5, 2)))
        with pytest.raises(ValueError, match="separable_conv1d: input has 3 channels, but .* built for 2"):
            layer(tfcore.placeholder((None, 5, 3)))


@pytest.mark.parametrize("make,shape,constrained", [
    (lambda: DepthwiseConv1D(2, depthwise_constraint="non_neg", bias_constraint="non_neg"),
     (2, 5, 2), [0, 1]),
    (lambda: SeparableConv1D(3, 2, pointwise_constraint="non_neg"), (2, 5, 2), [1]),
    (lambda: Conv1DTranspose(2, 3, strides=2, kernel_constraint="non_neg"), (2, 4, 2), [0]),
    (lambda: Conv3DTranspose(2, 2, bias_constraint="non_neg"), (1, 2, 2, 2, 2), [1]),
])
def test_new_layers_apply_their_constraints_after_a_step(rng, make, shape, constrained):
    layer = make()
    with tfcore.new_graph().as_default() as graph:
        y = layer(tfcore.constant(rng.randn(*shape).astype(np.float32)))
        train = tfcore.optimizers.SGD(10.0).minimize(tf.reduce_sum(y * rng.randn(*y.shape.as_list())))
        with tfcore.session(graph=graph) as sess:
            sess.run(tf.compat.v1.global_variables_initializer())
            before = layer.get_weights(sess)
            sess.run(train)
            after = layer.get_weights(sess)
    for index, (w0, w1) in enumerate(zip(before, after)):
        assert not np.allclose(w0, w1)  # the step moved every weight
        if index in constrained:
            assert np.all(w1 >= 0)
        else:
            assert np.any(w1 < 0)


@pytest.mark.parametrize("make,shape", [
    (lambda: DepthwiseConv1D(2, activation="softmax", data_format="channels_first"), (2, 3, 5)),
    (lambda: SeparableConv2D(3, 2, activation="softmax", data_format="channels_first"), (1, 2, 4, 5)),
    (lambda: Conv3DTranspose(2, 2, activation="softmax", data_format="channels_first"), (1, 2, 2, 3, 2)),
])
def test_channels_first_activation_acts_on_the_last_axis(rng, make, shape):
    # As Keras: the activation sees the output in the layer's layout (softmax over its last axis).
    y, _, _ = run_with_random_weights(make(), rng.randn(*shape), rng)
    np.testing.assert_allclose(y.sum(axis=-1), 1.0, rtol=1e-12)
    assert not np.allclose(y.sum(axis=1), 1.0)
