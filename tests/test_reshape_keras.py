"""Flatten equals tf-keras Flatten (element order, forward and input gradients)."""

import numpy as np
import pytest

from tests.oracle import keras
from tests.test_conv_keras import compare_with_keras
from tfcore.layers.reshape import Flatten

pytestmark = pytest.mark.keras


@pytest.mark.parametrize("shape", [(4, 6), (2, 3, 5), (2, 4, 5, 3), (1, 2, 3, 2, 2)])
def test_flatten_equals_keras(rng, shape):
    x = rng.randn(*shape).astype(np.float32)
    compare_with_keras(Flatten(), keras.layers.Flatten(), x, rng)
