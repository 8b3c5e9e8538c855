"""Global pooling equals NumPy's mean / max over the spatial axes (masks too); gradient checks."""

import numpy as np
import pytest
import tensorflow as tf

import tfcore
from tests.helpers import run_layer
from tfcore.layers.keras.global_pool import (GlobalAveragePooling1D, GlobalAveragePooling2D,
                                       GlobalMaxPooling1D, GlobalMaxPooling2D)

CASES = [(GlobalAveragePooling1D, np.mean, (3, 5, 2)), (GlobalMaxPooling1D, np.max, (3, 5, 2)),
         (GlobalAveragePooling2D, np.mean, (2, 4, 3, 5)), (GlobalMaxPooling2D, np.max, (1, 4, 3, 5))]


@pytest.mark.parametrize("cls,reduce,shape", CASES)
@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
@pytest.mark.parametrize("keepdims", [False, True])
def test_global_pooling_equals_numpy(rng, cls, reduce, shape, data_format, keepdims):
    x = rng.randn(*shape)
    y, static = run_layer(cls(data_format=data_format, keepdims=keepdims), x)
    first = 1 if data_format == "channels_last" else 2
    expected = reduce(x, axis=tuple(range(first, first + len(shape) - 2)), keepdims=keepdims)
    np.testing.assert_allclose(y, expected, rtol=1e-12)
    assert static.as_list()[1:] == list(expected.shape[1:])


def test_masked_global_average_counts_only_unmasked_steps(rng):
    x, mask = rng.randn(3, 5, 2), rng.rand(3, 5) > 0.4
    mask[:, 0] = True
    with tfcore.new_graph().as_default() as graph:
        xp, mp = tfcore.placeholder((None, 5, 2), tf.float64), tfcore.placeholder((None, 5), tf.bool)
        y = GlobalAveragePooling1D()(xp, mask=mp)
        with tfcore.session(graph=graph) as sess:
            got = sess.run(y, {xp: x, mp: mask})
    expected = [x[n][mask[n]].mean(axis=0) for n in range(3)]
    np.testing.assert_allclose(got, expected, rtol=1e-12)


def test_global_pooling_rejects_bad_arguments_and_ranks():
    with pytest.raises(ValueError, match="global_max_pooling2d: data_format must be"):
        GlobalMaxPooling2D(data_format="NHWC")
    with tfcore.new_graph().as_default():
        with pytest.raises(ValueError, match="global_average_pooling1d: input must have rank 3"):
            GlobalAveragePooling1D()(tfcore.placeholder((None, 3, 3, 2)))
