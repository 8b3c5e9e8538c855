"""Global pooling equals tf-keras's (forward, input gradients, masks, keepdims, channels_first)."""

import numpy as np
import pytest
import tensorflow as tf

from tests.oracle import keras
from tests.test_conv_keras import compare_with_keras
import tfcore
import tfcore.layers as ours

pytestmark = pytest.mark.keras


@pytest.mark.parametrize("name,shape", [("GlobalAveragePooling1D", (3, 7, 4)),
                                        ("GlobalMaxPooling1D", (2, 5, 3)),
                                        ("GlobalAveragePooling2D", (2, 5, 6, 3)),
                                        ("GlobalMaxPooling2D", (1, 4, 3, 5))])
@pytest.mark.parametrize("kwargs", [{}, {"keepdims": True}, {"data_format": "channels_first"}])
def test_global_pooling_equals_keras(rng, name, shape, kwargs):
    x = rng.randn(*shape).astype(np.float32)
    compare_with_keras(getattr(ours, name)(**kwargs), getattr(keras.layers, name)(**kwargs), x, rng)


def test_masked_global_average_pooling_1d_equals_keras(rng):
    x = rng.randn(3, 6, 2).astype(np.float32)
    mask = rng.rand(3, 6) > 0.5
    mask[:, 2] = True
    expected = keras.layers.GlobalAveragePooling1D()(tf.constant(x), mask=tf.constant(mask)).numpy()
    with tfcore.new_graph().as_default() as graph:
        y = ours.GlobalAveragePooling1D()(tf.constant(x), mask=tf.constant(mask))
        with tfcore.session(graph=graph) as sess:
            np.testing.assert_allclose(sess.run(y), expected, rtol=0, atol=1e-6)
