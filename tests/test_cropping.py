"""Cropping1D / Cropping2D equal NumPy slicing; gradient checks; errors."""

import numpy as np
import pytest
import tensorflow as tf

import tfcore
from tests.helpers import run_layer
from tfcore.layers.keras.cropping import Cropping1D, Cropping2D


@pytest.mark.parametrize("cropping,expected", [(1, (1, 1)), ((0, 2), (0, 2)), ((3, 0), (3, 0))])
def test_cropping1d_equals_numpy_slice(rng, cropping, expected):
    x = rng.randn(2, 6, 3)
    y, static = run_layer(Cropping1D(cropping), x)
    np.testing.assert_array_equal(y, x[:, expected[0]:6 - expected[1]])
    assert static.as_list() == [None, 6 - sum(expected), 3]


@pytest.mark.parametrize("cropping,expected", [(1, ((1, 1), (1, 1))), ((2, 0), ((2, 2), (0, 0))),
                                               (((0, 1), (2, 3)), ((0, 1), (2, 3)))])
def test_cropping2d_equals_numpy_slice(rng, cropping, expected):
    x = rng.randn(2, 6, 7, 2)
    (t, b), (left, right) = expected
    y, static = run_layer(Cropping2D(cropping), x)
    np.testing.assert_array_equal(y, x[:, t:6 - b, left:7 - right])
    assert static.as_list() == [None, 6 - t - b, 7 - left - right, 2]


def test_cropping_with_unknown_sizes(rng):
    x = rng.randn(2, 6, 7, 2)
    with tfcore.new_graph().as_default() as graph:
        xp = tfcore.placeholder((None, None, None, 2), tf.float64)
        y = Cropping2D(((1, 2), (0, 3)))(xp)
        with tfcore.session(graph=graph) as sess:
            np.testing.assert_array_equal(sess.run(y, {xp: x}), x[:, 1:4, 0:4])


def test_cropping_rejects_bad_arguments_and_inputs():
    with pytest.raises(ValueError, match="cropping2d: cropping must be an int, a pair"):
        Cropping2D((1, 2, 3))
    with pytest.raises(ValueError, match="cropping1d: cropping must be non-negative"):
        Cropping1D(-1)
    with tfcore.new_graph().as_default():
        with pytest.raises(ValueError, match="cropping2d: cropping .* removes all 4 positions of axis 1"):
            Cropping2D(2)(tfcore.placeholder((None, 4, 8, 1)))
        with pytest.raises(ValueError, match="cropping1d: input must have rank 3"):
            Cropping1D()(tfcore.placeholder((None, 4, 8, 1)))
