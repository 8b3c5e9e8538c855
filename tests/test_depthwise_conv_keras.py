"""DepthwiseConv1D/2D and SeparableConv1D/2D equal tf-keras's with copied weights (forward and gradients)."""

import numpy as np
import pytest

import tfcore.layers as tfcore_layers
from tests.oracle import keras
from tests.test_conv_keras import compare_with_keras
from tests.test_depthwise_conv import DEPTHWISE_1D_CASES, DEPTHWISE_CASES
from tfcore.layers.keras.depthwise_conv import (DepthwiseConv1D, DepthwiseConv2D, SeparableConv1D,
                                         SeparableConv2D)

pytestmark = pytest.mark.keras


@pytest.mark.parametrize("ours,shape,kernel,strides,padding,multiplier,dilation",
                         [(DepthwiseConv2D,) + case for case in DEPTHWISE_CASES]
                         + [(DepthwiseConv1D,) + case for case in DEPTHWISE_1D_CASES])
def test_depthwise_conv_equals_keras(rng, ours, shape, kernel, strides, padding, multiplier, dilation):
    x = rng.randn(*shape).astype(np.float32)
    kwargs = dict(strides=strides, padding=padding, depth_multiplier=multiplier,
                  dilation_rate=dilation, activation="relu")
    compare_with_keras(ours(kernel, **kwargs), getattr(keras.layers, ours.__name__)(kernel, **kwargs),
                       x, rng)


@pytest.mark.parametrize("shape,kernel,strides,padding,multiplier,dilation", DEPTHWISE_CASES)
def test_separable_conv2d_equals_keras(rng, shape, kernel, strides, padding, multiplier, dilation):
    x = rng.randn(*shape).astype(np.float32)
    kwargs = dict(strides=strides, padding=padding, depth_multiplier=multiplier, dilation_rate=dilation)
    compare_with_keras(SeparableConv2D(5, kernel, **kwargs), keras.layers.SeparableConv2D(5, kernel, **kwargs),
                       x, rng)


@pytest.mark.parametrize("shape,kernel,strides,padding,multiplier,dilation",
                         DEPTHWISE_1D_CASES + [((2, 6, 2), 3, 1, "causal", 2, 2),
                                               ((1, 5, 3), 2, 2, "causal", 1, 1)])
def test_separable_conv1d_equals_keras(rng, shape, kernel, strides, padding, multiplier, dilation):
    x = rng.randn(*shape).astype(np.float32)
    kwargs = dict(strides=strides, padding=padding, depth_multiplier=multiplier, dilation_rate=dilation)
    compare_with_keras(SeparableConv1D(5, kernel, **kwargs),
                       keras.layers.SeparableConv1D(5, kernel, **kwargs), x, rng)


@pytest.mark.parametrize("seed", range(8))
def test_depthwise_and_separable_1d_equal_keras_on_random_arguments(seed):
    rng = np.random.RandomState(200 + seed)
    separable = seed % 2 == 1
    dilated = rng.rand() < 0.4
    kwargs = dict(strides=1 if dilated else int(rng.randint(1, 4)),
                  dilation_rate=int(rng.randint(2, 4)) if dilated else 1,
                  padding=["same", "valid", "causal" if separable else "same"][rng.randint(3)],
                  depth_multiplier=int(rng.randint(1, 4)), use_bias=bool(rng.rand() < 0.7),
                  activation=[None, "tanh"][rng.randint(2)])
    kernel = int(rng.randint(1, 5))
    channels_first = seed % 4 >= 2  # each layer in both formats
    steps, channels = int(rng.randint(kernel * kwargs["dilation_rate"] + 1, 14)), int(rng.randint(1, 4))
    shape = (int(rng.randint(1, 4)),) + ((channels, steps) if channels_first else (steps, channels))
    x = rng.randn(*shape).astype(np.float32)
    args = (int(rng.randint(1, 5)), kernel) if separable else (kernel,)
    ours, theirs = ((SeparableConv1D, keras.layers.SeparableConv1D) if separable
                    else (DepthwiseConv1D, keras.layers.DepthwiseConv1D))
    data_format = "channels_first" if channels_first else None
    compare_with_keras(ours(*args, data_format=data_format, **kwargs),
                       theirs(*args, data_format=data_format, **kwargs), x, rng)


@pytest.mark.parametrize("make", [
    lambda layers: layers.DepthwiseConv1D(3, strides=2, depth_multiplier=2),
    lambda layers: layers.SeparableConv1D(2, 3, padding="causal", dilation_rate=2),
])
def test_depthwise_and_separable_1d_with_unknown_steps_equal_keras(rng, make):
    x = rng.randn(2, 9, 3).astype(np.float32)
    compare_with_keras(make(tfcore_layers), make(keras.layers), x, rng, placeholder_shape=(None, None, 3))
