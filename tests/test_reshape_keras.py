"""Flatten equals tf-keras Flatten (element order, forward and input gradients)."""

import numpy as np
import pytest

from tests.oracle import keras
from tests.test_conv_keras import compare_with_keras
from tfcore.layers.keras.reshape import Flatten

pytestmark = pytest.mark.keras


@pytest.mark.parametrize("shape", [(4, 6), (2, 3, 5), (2, 4, 5, 3), (1, 2, 3, 2, 2)])
def test_flatten_equals_keras(rng, shape):
    x = rng.randn(*shape).astype(np.float32)
    compare_with_keras(Flatten(), keras.layers.Flatten(), x, rng)


from tfcore.layers.keras.reshape import Permute, RepeatVector, Reshape  # noqa: E402


@pytest.mark.parametrize("make,shape", [
    (lambda k: k.Reshape((3, 4)), (2, 12)),
    (lambda k: k.Reshape((-1, 3)), (3, 2, 6)),
    (lambda k: k.Reshape((2, 3, -1)), (1, 4, 6)),
    (lambda k: k.Permute((2, 1)), (2, 3, 5)),
    (lambda k: k.Permute((3, 1, 2)), (2, 3, 4, 5)),
    (lambda k: k.RepeatVector(3), (4, 5)),
])
def test_reshape_permute_repeat_vector_equal_keras(rng, make, shape):
    import tfcore.layers as ours
    x = rng.randn(*shape).astype(np.float32)
    compare_with_keras(make(ours), make(keras.layers), x, rng)
