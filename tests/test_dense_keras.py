"""Dense equals tf-keras Dense with copied weights (forward and backward)."""

import numpy as np
import pytest

from tests.oracle import compare_layer_with_keras, keras
from tfcore.layers import Dense

pytestmark = pytest.mark.keras


@pytest.mark.parametrize("shape,units,activation", [
    ((4, 7), 3, None), ((16, 5), 8, "relu"), ((3, 6, 5), 4, "tanh"), ((2, 9), 1, "sigmoid"),
    ((5, 3), 6, "softmax"),
])
def test_dense_forward_and_gradients_equal_keras(rng, shape, units, activation):
    x = rng.randn(*shape).astype(np.float32)
    compare_layer_with_keras(keras.layers.Dense(units, activation=activation),
                             Dense(units, activation=activation), x, rng, weight_noise=0.1,
                             atol=1e-5, rtol=1e-7, grad_atol=1e-4, grad_rtol=1e-5)
