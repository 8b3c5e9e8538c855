"""Cropping1D/2D and UpSampling2D equal tf-keras's (forward and input gradients)."""

import numpy as np
import pytest

from tests.oracle import keras
from tests.test_conv_keras import compare_with_keras
import tfcore.layers as ours

pytestmark = pytest.mark.keras


@pytest.mark.parametrize("make,shape", [
    (lambda k: k.Cropping1D(2), (2, 7, 3)),
    (lambda k: k.Cropping1D((0, 3)), (1, 5, 2)),
    (lambda k: k.Cropping2D(1), (2, 5, 6, 2)),
    (lambda k: k.Cropping2D((2, 1)), (2, 7, 5, 1)),
    (lambda k: k.Cropping2D(((0, 1), (3, 2))), (1, 4, 9, 3)),
])
def test_cropping_equals_keras(rng, make, shape):
    x = rng.randn(*shape).astype(np.float32)
    compare_with_keras(make(ours), make(keras.layers), x, rng)


@pytest.mark.parametrize("interpolation", ["nearest", "bilinear"])
@pytest.mark.parametrize("size,shape", [(2, (2, 3, 4, 2)), ((3, 2), (1, 5, 3, 1)), ((1, 4), (2, 2, 5, 3))])
def test_upsampling2d_equals_keras(rng, interpolation, size, shape):
    x = rng.randn(*shape).astype(np.float32)
    compare_with_keras(ours.UpSampling2D(size, interpolation=interpolation),
                       keras.layers.UpSampling2D(size, interpolation=interpolation), x, rng)


@pytest.mark.parametrize("make,shape", [
    (lambda k, **kw: k.UpSampling2D((2, 3), interpolation="bilinear", **kw), (2, 3, 4, 2)),
    (lambda k, **kw: k.UpSampling2D(2, **kw), (1, 2, 3, 3)),
    (lambda k, **kw: k.Cropping2D(((1, 0), (0, 2)), **kw), (2, 3, 4, 5)),
])
def test_channels_first_equals_keras(rng, make, shape):
    x = rng.randn(*shape).astype(np.float32)
    compare_with_keras(make(ours, data_format="channels_first"),
                       make(keras.layers, data_format="channels_first"), x, rng)
