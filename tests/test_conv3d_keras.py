"""Conv3D, MaxPool3D and AvgPool3D equal tf-keras's with copied weights (forward and gradients)."""

import numpy as np
import pytest

from tests.oracle import keras
from tests.test_conv_keras import compare_with_keras
from tfcore.layers.keras.conv3d import Conv3D
from tfcore.layers.keras.pool3d import AvgPool3D, MaxPool3D

pytestmark = pytest.mark.keras


@pytest.mark.parametrize("shape,filters,kernel,strides,padding,dilation,activation", [
    ((2, 5, 6, 4, 2), 3, 3, 1, "valid", 1, None),
    ((1, 5, 6, 4, 3), 2, (2, 3, 1), 1, "same", 1, "relu"),
    ((2, 7, 5, 6, 1), 3, 3, (2, 1, 3), "same", 1, None),
    ((1, 6, 7, 5, 2), 4, (3, 2, 2), 2, "valid", 1, "tanh"),
    ((1, 7, 6, 6, 2), 2, 2, 1, "same", (2, 1, 3), None),
    ((1, 8, 7, 6, 1), 2, (2, 3, 2), 1, "valid", 2, None),
])
def test_conv3d_equals_keras(rng, shape, filters, kernel, strides, padding, dilation, activation):
    x = rng.randn(*shape).astype(np.float32)
    kwargs = dict(strides=strides, padding=padding, dilation_rate=dilation, activation=activation)
    compare_with_keras(Conv3D(filters, kernel, **kwargs),
                       keras.layers.Conv3D(filters, kernel, **kwargs), x, rng)


@pytest.mark.parametrize("shape,pool_size,strides,padding", [
    ((2, 4, 5, 6, 2), 2, None, "valid"), ((1, 5, 5, 3, 1), 3, 2, "same"),
    ((1, 5, 7, 4, 2), (2, 3, 1), (1, 2, 2), "same"), ((2, 6, 5, 4, 1), (3, 2, 2), None, "valid")])
@pytest.mark.parametrize("ours,theirs", [(MaxPool3D, "MaxPooling3D"), (AvgPool3D, "AveragePooling3D")])
def test_pool3d_equals_keras(rng, ours, theirs, shape, pool_size, strides, padding):
    x = rng.randn(*shape).astype(np.float32)
    compare_with_keras(ours(pool_size, strides=strides, padding=padding),
                       getattr(keras.layers, theirs)(pool_size, strides=strides, padding=padding), x, rng)


@pytest.mark.parametrize("ours,theirs", [(MaxPool3D, "MaxPooling3D"), (AvgPool3D, "AveragePooling3D")])
def test_pool3d_channels_first_equals_keras(rng, ours, theirs):
    x = rng.randn(2, 3, 4, 5, 6).astype(np.float32)
    compare_with_keras(ours(2, padding="same", data_format="channels_first"),
                       getattr(keras.layers, theirs)(2, padding="same", data_format="channels_first"),
                       x, rng)
