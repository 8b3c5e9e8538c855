"""LayerNormalization equals tf-keras's with copied gamma/beta (forward, input and weight gradients)."""

import numpy as np
import pytest

from tests.oracle import keras
from tests.test_conv_keras import compare_with_keras
from tfcore.layers.layer_norm import LayerNormalization

pytestmark = pytest.mark.keras


@pytest.mark.parametrize("shape,kwargs", [
    ((4, 6), {}),
    ((3, 5, 7), {}),
    ((2, 3, 4, 5), {"axis": [1, 2, 3]}),
    ((2, 3, 4, 5), {"axis": [1, 3], "epsilon": 1e-5}),
    ((2, 4, 3), {"axis": 1, "center": False}),
    ((1, 4, 3), {"scale": False}),
    ((2, 5, 3), {"axis": [2, 1]}),
])
def test_layer_norm_equals_keras(rng, shape, kwargs):
    x = (rng.randn(*shape) * 2 + 0.5).astype(np.float32)
    compare_with_keras(LayerNormalization(**kwargs), keras.layers.LayerNormalization(**kwargs), x, rng)
