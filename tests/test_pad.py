"""ZeroPadding1D / ZeroPadding2D: equal np.pad; gradient checks; errors."""

import numpy as np
import pytest

import tfcore
from tests.helpers import run_layer
from tfcore.layers.keras.pad import ZeroPadding1D, ZeroPadding2D


@pytest.mark.parametrize("padding,np_padding", [
    (1, (1, 1)), (0, (0, 0)), (3, (3, 3)), ((2, 0), (2, 0)), ((0, 4), (0, 4)), ([1, 2], (1, 2)),
])
def test_zero_padding_1d_equals_numpy_pad(rng, padding, np_padding):
    x = rng.randn(2, 5, 3)
    y, static = run_layer(ZeroPadding1D(padding), x)
    expected = np.pad(x, [(0, 0), np_padding, (0, 0)])
    np.testing.assert_array_equal(y, expected)
    assert static.as_list() == [None] + list(expected.shape[1:])


@pytest.mark.parametrize("padding,np_padding", [
    (1, ((1, 1), (1, 1))), (2, ((2, 2), (2, 2))), ((1, 3), ((1, 1), (3, 3))),
    (((0, 2), (1, 0)), ((0, 2), (1, 0))), (((1, 2), (3, 4)), ((1, 2), (3, 4))),
])
def test_zero_padding_2d_equals_numpy_pad(rng, padding, np_padding):
    x = rng.randn(2, 4, 5, 3)
    y, static = run_layer(ZeroPadding2D(padding), x)
    expected = np.pad(x, [(0, 0), *np_padding, (0, 0)])
    np.testing.assert_array_equal(y, expected)
    assert static.as_list() == [None] + list(expected.shape[1:])


@pytest.mark.parametrize("padding", [-1, (1, -1), (1, 2, 3), 1.5, "same", ((1, 1), (1, -2))])
def test_zero_padding_rejects_bad_padding_naming_the_layer(padding):
    with pytest.raises(ValueError, match="zero_padding2d: padding"):
        ZeroPadding2D(padding)
    if not (isinstance(padding, tuple) and isinstance(padding[0], tuple)):
        with pytest.raises(ValueError, match="zero_padding1d: padding"):
            ZeroPadding1D(padding)


def test_zero_padding_rejects_wrong_rank():
    with tfcore.new_graph().as_default():
        with pytest.raises(ValueError, match=r"zero_padding1d: input must have rank 3 \(batch, steps"):
            ZeroPadding1D()(tfcore.placeholder((None, 4, 4, 1)))
        with pytest.raises(ValueError, match=r"zero_padding2d: input must have rank 4 \(batch, height"):
            ZeroPadding2D()(tfcore.placeholder((None, 4, 1)))
