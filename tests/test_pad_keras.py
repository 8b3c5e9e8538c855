"""ZeroPadding1D / ZeroPadding2D equal tf-keras's (forward and input gradients)."""

import numpy as np
import pytest

from tests.oracle import keras
from tests.test_conv_keras import compare_with_keras
from tfcore.layers.keras.pad import ZeroPadding1D, ZeroPadding2D

pytestmark = pytest.mark.keras


@pytest.mark.parametrize("shape,padding", [((2, 5, 3), 1), ((3, 7, 2), (2, 0)), ((1, 4, 1), (0, 3))])
def test_zero_padding_1d_equals_keras(rng, shape, padding):
    x = rng.randn(*shape).astype(np.float32)
    compare_with_keras(ZeroPadding1D(padding), keras.layers.ZeroPadding1D(padding), x, rng)


@pytest.mark.parametrize("shape,padding", [
    ((2, 5, 6, 3), 1), ((2, 5, 6, 3), (2, 1)), ((1, 4, 7, 2), ((0, 2), (3, 1))), ((2, 3, 3, 1), 0),
])
def test_zero_padding_2d_equals_keras(rng, shape, padding):
    x = rng.randn(*shape).astype(np.float32)
    compare_with_keras(ZeroPadding2D(padding), keras.layers.ZeroPadding2D(padding), x, rng)
