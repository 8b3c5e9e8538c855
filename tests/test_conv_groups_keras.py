"""Conv1D/Conv2D/Conv3D(groups=...) equal tf-keras's with copied weights (forward and gradients).

tf-keras runs a grouped convolution as one XLA-compiled op (`jit_compile`), so
its Conv3D(groups=G) works on CPU, where TensorFlow's own Conv3D kernel refuses
a grouped kernel; tfcore's runs G ordinary convolutions, so the two compute
the same numbers in different ways.
"""

import numpy as np
import pytest

from tests.helpers import random_kernel_and_strides
from tests.oracle import keras
from tests.test_conv_keras import compare_with_keras
import tfcore
from tfcore.layers.conv import Conv1D, Conv2D
from tfcore.layers.keras.conv3d import Conv3D

pytestmark = pytest.mark.keras


@pytest.mark.parametrize("implementation,gradient", [("fused", "auto"), ("patches", "manual")])
@pytest.mark.parametrize("seed", range(4))
def test_grouped_conv2d_equals_keras_on_random_shapes(seed, implementation, gradient):
    rng = np.random.RandomState(200 + seed)
    groups = int(rng.randint(2, 5))
    dilated = seed == 3
    kernel, strides = random_kernel_and_strides(rng, 2, dilated)
    kwargs = dict(strides=strides, padding=["same", "valid"][seed % 2],
                  dilation_rate=2 if dilated else 1, groups=groups, use_bias=seed != 1)
    filters = groups * int(rng.randint(1, 3))
    x = rng.randn(int(rng.randint(1, 3)), int(rng.randint(7, 11)), int(rng.randint(7, 11)),
                  groups * int(rng.randint(1, 3))).astype(np.float32)
    compare_with_keras(Conv2D(filters, kernel, implementation=implementation, gradient=gradient, **kwargs),
                       keras.layers.Conv2D(filters, kernel, **kwargs), x, rng)


@pytest.mark.parametrize("padding", ["valid", "same", "causal"])
def test_grouped_conv1d_equals_keras(rng, padding):
    x = rng.randn(2, 11, 4).astype(np.float32)
    compare_with_keras(Conv1D(6, 3, padding=padding, groups=2, activation="relu"),
                       keras.layers.Conv1D(6, 3, padding=padding, groups=2, activation="relu"), x, rng)


@pytest.mark.parametrize("ours,theirs,kernel,shape", [
    (Conv2D, "Conv2D", (2, 3), (None, 5, 5, 9)), (Conv3D, "Conv3D", (2, 3, 1), (None, 4, 5, 5, 9))])
def test_grouped_kernel_has_keras_shape(ours, theirs, kernel, shape):
    ref = getattr(keras.layers, theirs)(6, kernel, groups=3)
    ref.build(shape)
    layer = ours(6, kernel, groups=3)
    with tfcore.new_graph().as_default():
        layer(tfcore.placeholder(shape))
    assert [tuple(v.shape.as_list()) for v in layer.variables] == [w.shape for w in ref.get_weights()]


@pytest.mark.parametrize("seed", range(5))
def test_grouped_conv3d_equals_keras_on_random_shapes(seed):
    """Strides, dilation, both paddings, no bias, channels_first (seed 4), an activation."""
    rng = np.random.RandomState(400 + seed)
    groups = int(rng.randint(2, 4))
    dilated = seed == 3
    kernel, strides = random_kernel_and_strides(rng, 3, dilated)
    kwargs = dict(strides=strides, padding=["same", "valid"][seed % 2],
                  dilation_rate=(2, 1, 2) if dilated else 1, groups=groups, use_bias=seed != 1,
                  activation=[None, "tanh"][seed % 2],
                  data_format="channels_first" if seed == 4 else "channels_last")
    filters = groups * int(rng.randint(1, 3))
    per_group = 1 if seed == 0 else int(rng.randint(2, 4))  # input channels per group
    channels, spatial = groups * per_group, tuple(rng.randint(6, 9, size=3))
    shape = (int(rng.randint(1, 3)),) + ((channels,) + spatial if seed == 4 else spatial + (channels,))
    x = rng.randn(*shape).astype(np.float32)
    compare_with_keras(Conv3D(filters, kernel, **kwargs),
                       keras.layers.Conv3D(filters, kernel, **kwargs), x, rng)
