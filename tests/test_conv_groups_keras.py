"""Conv1D/Conv2D(groups=...) equal tf-keras's with copied weights (forward and gradients)."""

import numpy as np
import pytest

from tests.oracle import keras
from tests.test_conv_keras import compare_with_keras
import tfcore
from tfcore.layers.conv import Conv1D, Conv2D

pytestmark = pytest.mark.keras


@pytest.mark.parametrize("implementation,gradient", [("fused", "auto"), ("patches", "manual")])
@pytest.mark.parametrize("seed", range(4))
def test_grouped_conv2d_equals_keras_on_random_shapes(seed, implementation, gradient):
    rng = np.random.RandomState(200 + seed)
    groups = int(rng.randint(2, 5))
    kernel = tuple(int(k) for k in rng.randint(1, 4, size=2))
    dilated = seed == 3
    strides = 1 if dilated else tuple(int(s) for s in rng.randint(1, 3, size=2))
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


def test_grouped_kernel_has_keras_shape():
    ref = keras.layers.Conv2D(6, (2, 3), groups=3)
    ref.build((None, 5, 5, 9))
    layer = Conv2D(6, (2, 3), groups=3)
    with tfcore.new_graph().as_default():
        layer(tfcore.placeholder((None, 5, 5, 9)))
    assert [tuple(v.shape.as_list()) for v in layer.variables] == [w.shape for w in ref.get_weights()]
