"""MaxPool2D / AvgPool2D equal tf-keras MaxPooling2D / AveragePooling2D (forward and input gradients)."""

import numpy as np
import pytest

from tests.oracle import keras
from tests.test_conv_keras import compare_with_keras
from tfcore.layers.pool import AvgPool1D, AvgPool2D, MaxPool1D, MaxPool2D

pytestmark = pytest.mark.keras

CASES = [
    # (input shape, pool_size, strides, padding): odd sizes, pool 2 and 3, default and explicit strides
    ((2, 7, 9, 3), 2, None, "valid"),
    ((2, 7, 9, 3), 2, None, "same"),
    ((2, 9, 7, 2), 3, None, "same"),
    ((2, 9, 7, 2), 3, None, "valid"),
    ((1, 11, 11, 2), 3, 2, "same"),
    ((1, 11, 11, 2), 3, 2, "valid"),
    ((3, 5, 13, 1), (2, 3), (1, 2), "same"),
    ((3, 13, 5, 2), (3, 2), 1, "valid"),
    ((2, 7, 7, 3), 2, 1, "same"),
]


@pytest.mark.parametrize("shape,pool_size,strides,padding", CASES)
@pytest.mark.parametrize("layer_class,keras_name", [(MaxPool2D, "MaxPooling2D"),
                                                    (AvgPool2D, "AveragePooling2D")],
                         ids=["max", "avg"])
def test_pooling_forward_and_gradients_equal_keras(rng, layer_class, keras_name, shape, pool_size,
                                                   strides, padding):
    # A permutation makes the values distinct: with ties the max's gradient could
    # legitimately go to either of two equal pixels.
    x = (rng.permutation(int(np.prod(shape))).reshape(shape) * 0.01).astype(np.float32)
    ref = getattr(keras.layers, keras_name)(pool_size, strides=strides, padding=padding)
    compare_with_keras(layer_class(pool_size, strides=strides, padding=padding), ref, x, rng)


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("layer_class,keras_name", [(MaxPool2D, "MaxPooling2D"),
                                                    (AvgPool2D, "AveragePooling2D")],
                         ids=["max", "avg"])
def test_pooling_equals_keras_on_random_shapes(layer_class, keras_name, seed):
    rng = np.random.RandomState(seed)
    pool_size = tuple(int(p) for p in rng.randint(1, 4, size=2))
    strides = None if rng.rand() < 0.3 else tuple(int(s) for s in rng.randint(1, 4, size=2))
    padding = ["same", "valid"][rng.randint(2)]
    shape = (int(rng.randint(1, 4)), int(rng.randint(5, 12)), int(rng.randint(5, 12)),
             int(rng.randint(1, 4)))
    x = rng.randn(*shape).astype(np.float32)
    ref = getattr(keras.layers, keras_name)(pool_size, strides=strides, padding=padding)
    compare_with_keras(layer_class(pool_size, strides=strides, padding=padding), ref, x, rng)


@pytest.mark.parametrize("implementation,gradient", [("fused", "auto"), ("patches", "manual")])
@pytest.mark.parametrize("shape,pool_size,strides,padding", [
    ((2, 9, 3), 2, None, "valid"), ((2, 9, 3), 2, None, "same"), ((1, 11, 2), 3, 2, "same"),
    ((1, 11, 2), 3, 2, "valid"), ((3, 7, 1), 4, 1, "same"), ((2, 10, 2), 3, None, "valid"),
])
@pytest.mark.parametrize("layer_class,keras_name", [(MaxPool1D, "MaxPooling1D"),
                                                    (AvgPool1D, "AveragePooling1D")],
                         ids=["max", "avg"])
def test_1d_pooling_forward_and_gradients_equal_keras(rng, layer_class, keras_name, shape, pool_size,
                                                      strides, padding, implementation, gradient):
    x = (rng.permutation(int(np.prod(shape))).reshape(shape) * 0.01 - 0.3).astype(np.float32)
    ref = getattr(keras.layers, keras_name)(pool_size, strides=strides, padding=padding)
    compare_with_keras(layer_class(pool_size, strides=strides, padding=padding,
                                   implementation=implementation, gradient=gradient), ref, x, rng)


@pytest.mark.parametrize("layer_class,keras_name", [(MaxPool1D, "MaxPooling1D"),
                                                    (AvgPool1D, "AveragePooling1D")])
def test_1d_pooling_defaults_equal_keras_defaults(layer_class, keras_name):
    ref, ours = getattr(keras.layers, keras_name)(), layer_class()
    assert (ours.pool_size, ours.strides, ours.padding.lower()) == (ref.pool_size, ref.strides,
                                                                    ref.padding)


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("layer_class,keras_name", [(MaxPool2D, "MaxPooling2D"),
                                                    (AvgPool2D, "AveragePooling2D")],
                         ids=["max", "avg"])
def test_patches_pooling_with_manual_gradient_equals_keras_on_random_shapes(layer_class, keras_name,
                                                                            seed):
    rng = np.random.RandomState(200 + seed)
    pool_size = tuple(int(p) for p in rng.randint(1, 4, size=2))
    strides = None if rng.rand() < 0.3 else tuple(int(s) for s in rng.randint(1, 4, size=2))
    padding = ["same", "valid"][rng.randint(2)]
    shape = (int(rng.randint(1, 4)), int(rng.randint(5, 12)), int(rng.randint(5, 12)),
             int(rng.randint(1, 4)))
    x = (rng.permutation(int(np.prod(shape))).reshape(shape) * 0.01 - 1).astype(np.float32)
    ref = getattr(keras.layers, keras_name)(pool_size, strides=strides, padding=padding)
    compare_with_keras(layer_class(pool_size, strides=strides, padding=padding,
                                   implementation="patches", gradient="manual"), ref, x, rng)
