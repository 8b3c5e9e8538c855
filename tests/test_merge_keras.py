"""Merge layers equal tf-keras's (forward and gradients w.r.t. every input)."""

import numpy as np
import pytest

from tests.oracle import compare_inputs_with_keras, keras
import tfcore.layers as ours

pytestmark = pytest.mark.keras


def compare_merge_with_keras(layer, ref, xs, rng):
    compare_inputs_with_keras(layer, ref, xs, rng, atol=1e-5)


SHAPES = [[(3, 4)] * 2, [(2, 3, 5)] * 2, [(2, 3, 5), (2, 1, 5)], [(2, 5), (2, 3, 5)], [(2, 4)] * 3]


@pytest.mark.parametrize("name,shapes", [
    (name, shapes) for name in ["Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum"]
    for shapes in SHAPES if name != "Subtract" or len(shapes) == 2])
def test_elementwise_merge_equals_keras(rng, name, shapes):
    xs = [rng.randn(*s).astype(np.float32) for s in shapes]
    compare_merge_with_keras(getattr(ours, name)(), getattr(keras.layers, name)(), xs, rng)


@pytest.mark.parametrize("axis,shapes", [(-1, [(2, 3, 4), (2, 3, 2)]), (1, [(2, 1, 4), (2, 5, 4)]),
                                         (2, [(2, 3, 4, 1), (2, 3, 2, 1), (2, 3, 1, 1)])])
def test_concatenate_equals_keras(rng, axis, shapes):
    xs = [rng.randn(*s).astype(np.float32) for s in shapes]
    compare_merge_with_keras(ours.Concatenate(axis), keras.layers.Concatenate(axis), xs, rng)
