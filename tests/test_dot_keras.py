"""Dot equals tf-keras's on random ranks, axes (int or pair, negative or not) and normalize: values,
gradients with respect to both inputs, static output shapes; the axes Keras refuses, refused too."""

import numpy as np
import pytest

from tests.oracle import keras
from tests.test_merge_keras import compare_merge_with_keras
import tfcore
import tfcore.layers as ours

pytestmark = pytest.mark.keras


def _random_dot(rng):
    """(axes, shape of x, shape of z): ranks 2-4, the summed axes anywhere after the batch."""
    rx, rz = (int(r) for r in rng.randint(2, 5, size=2))
    sx, sz = [int(s) for s in rng.randint(1, 4, size=rx)], [int(s) for s in rng.randint(1, 4, size=rz)]
    ax, az = int(rng.randint(1, rx)), int(rng.randint(1, rz))
    sz[0] = sx[0]
    sz[az] = sx[ax] = int(rng.randint(1, 5))
    # Keras's forms: one int when both axes agree (sometimes negative), else a pair (either sign).
    if ax == az and rx == rz and rng.rand() < 0.7:
        axes = ax - rx if rng.rand() < 0.5 else ax
    else:
        axes = tuple(a - r if rng.rand() < 0.5 else a for a, r in ((ax, rx), (az, rz)))
    return axes, tuple(sx), tuple(sz)


@pytest.mark.parametrize("seed", range(16))
def test_dot_equals_keras_on_random_shapes_and_axes(seed):
    rng = np.random.RandomState(seed)
    axes, sx, sz = _random_dot(rng)
    normalize = bool(rng.randint(2))
    xs = [rng.randn(*sx).astype(np.float32), rng.randn(*sz).astype(np.float32)]
    compare_merge_with_keras(ours.Dot(axes, normalize=normalize),
                             keras.layers.Dot(axes, normalize=normalize), xs, rng)


@pytest.mark.parametrize("axes,sx,sz", [
    (1, (None, 4), (None, 4)),
    ((1, 1), (None, 4), (None, 4, None)),
    ((2, 1), (None, None, 4), (None, 4, 5)),
    ((-1, -2), (None, 3, None, 4), (None, 2, 4, None)),
    (-1, (None, None, None), (None, None, None)),
])
def test_dot_static_output_shape_equals_keras(axes, sx, sz):
    expected = keras.layers.Dot(axes)([keras.Input(batch_shape=sx), keras.Input(batch_shape=sz)]).shape
    with tfcore.new_graph().as_default():
        y = ours.Dot(axes)([tfcore.placeholder(sx), tfcore.placeholder(sz)])
    assert y.shape.as_list() == expected.as_list()


@pytest.mark.parametrize("axes,sx,sz", [
    ((1,), None, None), ("1", None, None), ((1.0, 1), None, None), ((1, 2, 3), None, None),
    (0, (2, 3), (2, 3)), ((2, 1), (2, 3, 4), (2, 5, 4)), (1, (2, 3), (4, 3)), (1, (3,), (3,)),
    (3, (2, 3, 4), (2, 3, 4)),
])
def test_dot_refuses_what_keras_refuses(axes, sx, sz):
    with pytest.raises((ValueError, TypeError, IndexError)):
        layer = keras.layers.Dot(axes)
        layer([np.ones(sx, np.float32), np.ones(sz, np.float32)])
    with pytest.raises((ValueError, TypeError), match="dot: "):
        layer = ours.Dot(axes)
        with tfcore.new_graph().as_default():
            layer([tfcore.placeholder(sx), tfcore.placeholder(sz)])
