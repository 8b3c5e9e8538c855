"""DepthwiseConv2D and SeparableConv2D equal tf-keras's with copied weights (forward and gradients)."""

import numpy as np
import pytest

from tests.oracle import keras
from tests.test_conv_keras import compare_with_keras
from tests.test_depthwise_conv import DEPTHWISE_CASES
from tfcore.layers.depthwise_conv import DepthwiseConv2D, SeparableConv2D

pytestmark = pytest.mark.keras


@pytest.mark.parametrize("shape,kernel,strides,padding,multiplier,dilation", DEPTHWISE_CASES)
def test_depthwise_conv2d_equals_keras(rng, shape, kernel, strides, padding, multiplier, dilation):
    x = rng.randn(*shape).astype(np.float32)
    kwargs = dict(strides=strides, padding=padding, depth_multiplier=multiplier,
                  dilation_rate=dilation, activation="relu")
    compare_with_keras(DepthwiseConv2D(kernel, **kwargs), keras.layers.DepthwiseConv2D(kernel, **kwargs),
                       x, rng)


@pytest.mark.parametrize("shape,kernel,strides,padding,multiplier,dilation", DEPTHWISE_CASES)
def test_separable_conv2d_equals_keras(rng, shape, kernel, strides, padding, multiplier, dilation):
    x = rng.randn(*shape).astype(np.float32)
    kwargs = dict(strides=strides, padding=padding, depth_multiplier=multiplier, dilation_rate=dilation)
    compare_with_keras(SeparableConv2D(5, kernel, **kwargs), keras.layers.SeparableConv2D(5, kernel, **kwargs),
                       x, rng)
