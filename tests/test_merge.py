"""Merge layers equal NumPy's elementwise ops and concatenate; gradients checked; errors."""

import numpy as np
import pytest
import tensorflow as tf

import tfcore
from tfcore.layers.keras.merge import Add, Average, Concatenate, Maximum, Minimum, Multiply, Subtract

NUMPY = {
    Add: lambda xs: np.sum(xs, axis=0),
    Subtract: lambda xs: xs[0] - xs[1],
    Multiply: lambda xs: np.prod(xs, axis=0),
    Average: lambda xs: np.mean(xs, axis=0),
    Maximum: lambda xs: np.max(xs, axis=0),
    Minimum: lambda xs: np.min(xs, axis=0),
}


def run_merge(layer, xs, dtype=tf.float64):
    with tfcore.new_graph().as_default() as graph:
        ps = [tfcore.placeholder((None,) + x.shape[1:], dtype) for x in xs]
        y = layer(ps)
        with tfcore.session(graph=graph) as sess:
            return sess.run(y, dict(zip(ps, xs))), y.shape


@pytest.mark.parametrize("cls,count", [(cls, count) for cls in NUMPY for count in (2, 3)
                                       if cls is not Subtract or count == 2])
def test_elementwise_merge_equals_numpy(rng, cls, count):
    xs = [rng.randn(3, 4, 5) for _ in range(count)]
    y, static = run_merge(cls(), xs)
    np.testing.assert_allclose(y, NUMPY[cls](np.stack(xs)), rtol=1e-12)
    assert static.as_list() == [None, 4, 5]


def test_merge_of_lower_rank_input_adds_axes_after_the_batch_like_keras(rng):
    a, b = rng.randn(2, 5), rng.randn(2, 3, 5)
    y, _ = run_merge(Add(), [a, b])
    np.testing.assert_allclose(y, a[:, None, :] + b)
    y, _ = run_merge(Multiply(), [rng.randn(2, 1, 5)[:, :, :] * 0 + 2, b])
    np.testing.assert_allclose(y, 2 * b)


@pytest.mark.parametrize("axis", [-1, 1, 2, 0])
def test_concatenate_equals_numpy(rng, axis):
    shapes = {-1: [(2, 3, 4), (2, 3, 1), (2, 3, 2)], 2: [(2, 3, 4), (2, 3, 2)],
              1: [(2, 1, 4), (2, 5, 4)], 0: [(2, 3, 4), (1, 3, 4)]}[axis]
    xs = [rng.randn(*s) for s in shapes]
    y, _ = run_merge(Concatenate(axis), xs)
    np.testing.assert_array_equal(y, np.concatenate(xs, axis=axis))


def test_merge_layers_reject_bad_inputs():
    with tfcore.new_graph().as_default():
        a, b = tfcore.placeholder((None, 3)), tfcore.placeholder((None, 4))
        with pytest.raises(ValueError, match="add: inputs have incompatible shapes"):
            Add()([a, b])
        with pytest.raises(ValueError, match="add: call it on a list of tensors, got <tf.Tensor"):
            Add()(a)
        with pytest.raises(ValueError, match="subtract: call it on a list of 2 tensors"):
            Subtract()([a])
        with pytest.raises(ValueError, match="subtract: call it on a list of 2 tensors"):
            Subtract()([a, a, a])
        with pytest.raises(ValueError, match="concatenate: to concatenate along axis 1 the other"):
            Concatenate(1)([tfcore.placeholder((None, 2, 3)), tfcore.placeholder((None, 2, 4))])
        with pytest.raises(ValueError, match="concatenate: inputs must share one rank"):
            Concatenate(3)([tfcore.placeholder((None, 2, 3))] * 2)
    with pytest.raises(TypeError, match="concatenate: axis must be an int"):
        Concatenate(1.0)
