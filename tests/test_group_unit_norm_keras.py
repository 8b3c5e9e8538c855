"""GroupNormalization and UnitNormalization equal tf-keras's (copied gamma/beta): forward values
and the gradients with respect to the input and the weights, on random configurations."""

import numpy as np
import pytest

from tests.oracle import compare_with_keras, keras, keras_and_tfcore
from tfcore.layers.layer_norm import GroupNormalization, UnitNormalization

pytestmark = pytest.mark.keras


def random_group_norm_case(rng):
    rank = int(rng.randint(2, 5))
    axis = int(rng.choice([-1, 1])) if rank > 2 else -1
    groups = int(rng.choice([1, 2, 3, 4]))
    shape = [int(rng.randint(1, 4))] + [int(s) for s in rng.randint(1, 5, size=rank - 1)]
    shape[axis] = groups * int(rng.randint(1, 4))
    if np.prod(shape[1:]) == groups:
        # One value per group: its normalised value is exactly 0 here, but Keras's fused
        # x * inv + (beta - mean * inv) leaves float32 round-off of |x| * inv (inv up to 316).
        shape[axis] *= 2
    kwargs = {"groups": groups, "axis": axis, "epsilon": float(rng.choice([1e-3, 1e-5, 0.1])),
              "center": bool(rng.rand() < 0.8), "scale": bool(rng.rand() < 0.8)}
    return tuple(shape), kwargs


@pytest.mark.parametrize("seed", range(12))
def test_group_norm_equals_keras_on_random_configurations(seed):
    rng = np.random.RandomState(seed)
    shape, kwargs = random_group_norm_case(rng)
    x = (rng.randn(*shape) * 2 + 0.5).astype(np.float32)
    compare_with_keras(GroupNormalization(**kwargs), keras.layers.GroupNormalization(**kwargs), x, rng)


@pytest.mark.parametrize("shape,kwargs", [
    ((2, 6, 3, 4), {"groups": 3, "axis": 1}),             # channels_first
    ((2, 3, 4, 8), {"groups": -1}),                       # instance normalisation
    ((2, 5, 4), {"groups": 1, "axis": 2}),
    ((3, 4, 6), {"groups": 2, "axis": -2, "gamma_initializer": "glorot_uniform"}),
])
def test_group_norm_equals_keras(rng, shape, kwargs):
    x = (rng.randn(*shape) * 2 + 0.5).astype(np.float32)
    compare_with_keras(GroupNormalization(**kwargs), keras.layers.GroupNormalization(**kwargs), x, rng)


def test_group_norm_weights_are_keras_shaped_and_ordered(rng):
    ref = keras.layers.GroupNormalization(2)
    ref.build((None, 3, 4))
    ours = GroupNormalization(2)
    compare_with_keras(ours, keras.layers.GroupNormalization(2), rng.randn(2, 3, 4).astype(np.float32),
                       rng)
    assert [(v.name.split("/")[-1], v.shape.as_list()) for v in ours.variables] == [
        (w.name.split("/")[-1], list(w.shape)) for w in ref.weights]


@pytest.mark.parametrize("shape,axis", [
    ((4, 6), -1), ((3, 5, 7), 1), ((2, 3, 4, 5), [1, 2, 3]), ((2, 3, 4, 5), [1, 3]),
    ((2, 4, 3), [-1]), ((2, 5, 3), (2, 1))])
def test_unit_norm_equals_keras(rng, shape, axis):
    x = (rng.randn(*shape) * 2 + 0.5).astype(np.float32)
    compare_with_keras(UnitNormalization(axis), keras.layers.UnitNormalization(axis), x, rng)


@pytest.mark.parametrize("shape,groups,mask_shape", [
    ((2, 5, 4), 2, (2, 5, 1)), ((3, 2, 3, 6), 3, (3, 2, 3, 6)), ((2, 6), 3, (2, 6))])
def test_group_norm_with_a_mask_equals_keras(rng, shape, groups, mask_shape):
    x = (rng.randn(*shape) * 2 + 0.5).astype(np.float32)
    mask = rng.rand(*mask_shape) < 0.7
    out, y_ref, g, g_ref, _ = keras_and_tfcore(keras.layers.GroupNormalization(groups),
                                               GroupNormalization(groups), x, rng, 0.3,
                                               call_kwargs={"mask": mask})
    for a, b in zip(out + g, y_ref + g_ref):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-4 * max(1.0, np.abs(b).max()))
