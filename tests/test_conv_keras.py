"""Conv2D equals tf-keras Conv2D with copied weights (forward, input and weight gradients).

`compare_with_keras` (tests/oracle.py) is shared by the other spatial-layer oracle tests.
"""

import numpy as np
import pytest

from tests.oracle import compare_with_keras, keras
from tfcore.layers.conv import Conv1D, Conv2D

pytestmark = pytest.mark.keras


CASES = [
    # (input shape, filters, kernel, strides, padding, dilation, activation)
    ((2, 9, 9, 3), 4, 1, 1, "same", 1, None),
    ((2, 9, 9, 3), 4, 3, 1, "same", 1, "relu"),
    ((2, 9, 9, 3), 4, 3, 1, "valid", 1, None),
    ((2, 8, 11, 2), 3, 5, 1, "SAME", 1, "tanh"),
    ((2, 8, 11, 2), 3, 5, 2, "VALID", 1, None),
    ((3, 7, 10, 2), 5, (3, 5), 2, "same", 1, None),
    ((1, 10, 7, 4), 2, (5, 2), (2, 1), "valid", 1, "sigmoid"),
    ((2, 11, 9, 2), 3, 3, 1, "same", 2, None),
    ((2, 12, 9, 2), 3, (3, 2), 1, "valid", 2, None),
    ((2, 10, 13, 1), 2, (2, 3), 1, "same", (2, 3), None),
    ((1, 9, 9, 2), 2, 5, 1, "same", 2, None),
    ((2, 10, 9, 2), 2, (2, 4), 1, "same", (3, 1), None),  # even dilated sizes: uneven SAME pads
]


@pytest.mark.parametrize("shape,filters,kernel,strides,padding,dilation,activation", CASES)
def test_conv2d_forward_and_gradients_equal_keras(rng, shape, filters, kernel, strides, padding,
                                                  dilation, activation):
    x = rng.randn(*shape).astype(np.float32)
    compare_with_keras(
        Conv2D(filters, kernel, strides=strides, padding=padding, dilation_rate=dilation,
               activation=activation),
        keras.layers.Conv2D(filters, kernel, strides=strides, padding=padding.lower(),
                            dilation_rate=dilation, activation=activation),
        x, rng,
    )


def test_conv2d_without_bias_equals_keras(rng):
    x = rng.randn(2, 6, 7, 3).astype(np.float32)
    compare_with_keras(Conv2D(4, 3, padding="same", use_bias=False),
                       keras.layers.Conv2D(4, 3, padding="same", use_bias=False), x, rng)


@pytest.mark.parametrize("seed", range(4))
def test_conv2d_equals_keras_on_random_shapes(seed):
    rng = np.random.RandomState(seed)
    kernel = tuple(rng.randint(1, 5, size=2))
    dilated = rng.rand() < 0.5
    dilation = tuple(rng.randint(1, 3, size=2)) if dilated else (1, 1)
    strides = (1, 1) if dilated else tuple(rng.randint(1, 3, size=2))
    padding = ["same", "valid"][rng.randint(2)]
    shape = (int(rng.randint(1, 4)), int(rng.randint(9, 14)), int(rng.randint(9, 14)),
             int(rng.randint(1, 4)))
    filters = int(rng.randint(1, 5))
    x = rng.randn(*shape).astype(np.float32)
    compare_with_keras(
        Conv2D(filters, kernel, strides=strides, padding=padding, dilation_rate=dilation),
        keras.layers.Conv2D(filters, kernel, strides=strides, padding=padding, dilation_rate=dilation),
        x, rng,
    )


def test_keras_also_refuses_strides_with_dilation():
    # The error tfcore raises mirrors a real Keras restriction.
    with pytest.raises(ValueError):
        keras.layers.Conv2D(2, 3, strides=2, dilation_rate=2)
    with pytest.raises(ValueError, match="strides > 1 together with dilation_rate > 1"):
        Conv2D(2, 3, strides=2, dilation_rate=2)


CONV1D_CASES = [
    # (input shape, filters, kernel, strides, padding, dilation, activation)
    ((2, 11, 3), 4, 3, 1, "valid", 1, None),
    ((2, 11, 3), 4, 3, 1, "same", 1, "relu"),
    ((2, 12, 2), 3, 4, 1, "same", 1, None),        # even kernel: uneven SAME pads
    ((2, 12, 2), 3, 3, 1, "causal", 1, "tanh"),
    ((1, 13, 2), 2, 3, 1, "causal", 2, None),
    ((2, 14, 1), 3, 2, 1, "causal", 4, None),
    ((2, 13, 2), 2, 3, 1, "same", 3, None),
    ((2, 12, 3), 2, 2, 1, "valid", 3, None),
    ((3, 13, 2), 5, 5, 2, "same", 1, None),
    ((1, 10, 4), 2, 3, 3, "valid", 1, "sigmoid"),
    ((2, 10, 2), 2, 3, 2, "causal", 1, None),
]


@pytest.mark.parametrize("implementation,gradient", [("fused", "auto"), ("patches", "manual")])
@pytest.mark.parametrize("shape,filters,kernel,strides,padding,dilation,activation", CONV1D_CASES)
def test_conv1d_forward_and_gradients_equal_keras(rng, shape, filters, kernel, strides, padding,
                                                  dilation, activation, implementation, gradient):
    x = rng.randn(*shape).astype(np.float32)
    compare_with_keras(
        Conv1D(filters, kernel, strides=strides, padding=padding, dilation_rate=dilation,
               activation=activation, implementation=implementation, gradient=gradient),
        keras.layers.Conv1D(filters, kernel, strides=strides, padding=padding,
                            dilation_rate=dilation, activation=activation),
        x, rng,
    )


def test_conv1d_defaults_equal_keras_defaults():
    ref = keras.layers.Conv1D(3, 2)
    ours = Conv1D(3, 2)
    assert (ours.strides, ours.padding.lower(), ours.dilation_rate, ours.use_bias) == (
        ref.strides, ref.padding, ref.dilation_rate, ref.use_bias)


@pytest.mark.parametrize("seed", range(3))
def test_patches_conv2d_with_manual_gradient_equals_keras_on_random_shapes(seed):
    rng = np.random.RandomState(100 + seed)
    kernel = tuple(int(k) for k in rng.randint(1, 5, size=2))
    strides = tuple(int(s) for s in rng.randint(1, 3, size=2))
    padding = ["same", "valid"][rng.randint(2)]
    shape = (int(rng.randint(1, 4)), int(rng.randint(9, 14)), int(rng.randint(9, 14)),
             int(rng.randint(1, 4)))
    x = rng.randn(*shape).astype(np.float32)
    compare_with_keras(
        Conv2D(3, kernel, strides=strides, padding=padding, implementation="patches", gradient="manual"),
        keras.layers.Conv2D(3, kernel, strides=strides, padding=padding), x, rng)
