"""Dot equals a NumPy batch_dot (move the summed axes, matmul, reshape); normalize is the cosine;
unknown sizes; float64 gradient checks; argument and input errors that name the layer."""

import numpy as np
import pytest
import tensorflow as tf

import tfcore
from tfcore.layers.keras.merge import Dot


def batch_dot(x, z, ax, az):
    """Keras 2's batch_dot in NumPy: x's summed axis last, z's at 1, one matmul per example."""
    x, z = np.moveaxis(x, ax, -1), np.moveaxis(z, az, 1)
    y = np.matmul(x.reshape(len(x), -1, x.shape[-1]), z.reshape(len(z), z.shape[1], -1))
    y = y.reshape((len(x),) + x.shape[1:-1] + z.shape[2:])
    return y.reshape(len(x), 1) if y.ndim == 1 else y


def run_dot(layer, xs, shapes=None):
    """`layer` on NumPy inputs `xs` (placeholders of `shapes`, default: unknown batch)."""
    with tfcore.new_graph().as_default() as graph:
        ps = [tfcore.placeholder(s or (None,) + x.shape[1:], tf.float64)
              for x, s in zip(xs, shapes or [None] * len(xs))]
        y = layer(ps)
        with tfcore.session(graph=graph) as sess:
            return sess.run(y, dict(zip(ps, xs))), y.shape


# (axes, shape of x, shape of z, the summed axes counted from the front)
CASES = [
    (1, (3, 4), (3, 4), (1, 1)),
    (-1, (3, 4), (3, 4), (1, 1)),
    ((1, 1), (2, 4), (2, 4, 5), (1, 1)),
    ((2, 1), (2, 3, 4), (2, 4), (2, 1)),
    ((2, 1), (2, 3, 4), (2, 4, 5), (2, 1)),
    ((-1, -2), (2, 3, 4), (2, 4, 5), (2, 1)),
    (1, (2, 3, 4), (2, 3, 5), (1, 1)),
    (-1, (2, 3, 4), (2, 5, 4), (2, 2)),
    ([3, 1], (2, 3, 2, 4), (2, 4, 2, 5), (3, 1)),
    ((1, 2), (1, 5, 2, 3), (1, 3, 5), (1, 2)),
]


@pytest.mark.parametrize("axes,sx,sz,summed", CASES)
@pytest.mark.parametrize("normalize", [False, True])
def test_dot_equals_numpy_batch_dot(rng, axes, sx, sz, summed, normalize):
    x, z = rng.randn(*sx), rng.randn(*sz)
    y, static = run_dot(Dot(axes, normalize=normalize), [x, z])
    if normalize:
        x = x / np.linalg.norm(x, axis=summed[0], keepdims=True)
        z = z / np.linalg.norm(z, axis=summed[1], keepdims=True)
    expected = batch_dot(x, z, *summed)
    np.testing.assert_allclose(y, expected, rtol=1e-12, atol=1e-12)
    assert static.as_list() == [None] + list(expected.shape[1:])


def test_dot_of_two_vectors_has_shape_batch_by_1_and_keras_docstring_example():
    a, b = np.array([[1.0, 2, 3], [0, 1, 0]]), np.array([[4.0, 5, 6], [2, 7, 1]])
    y, static = run_dot(Dot(1), [a, b])
    np.testing.assert_array_equal(y, [[32.0], [7.0]])
    assert static.as_list() == [None, 1]
    x, z = np.arange(10.0).reshape(1, 5, 2), np.arange(10.0, 20).reshape(1, 2, 5)
    np.testing.assert_array_equal(run_dot(Dot(axes=(1, 2)), [x, z])[0], [[[260, 360], [320, 445]]])


def test_normalized_dot_is_the_cosine_and_zero_for_a_zero_vector():
    a, b = np.array([[3.0, 4.0], [1.0, 1.0]]), np.array([[4.0, 3.0], [0.0, 0.0]])
    y, _ = run_dot(Dot(-1, normalize=True), [a, b])
    np.testing.assert_allclose(y, [[24 / 25], [0.0]], rtol=1e-15)


def test_dot_with_unknown_sizes(rng):
    x, z = rng.randn(2, 3, 4), rng.randn(2, 4, 5)
    y, static = run_dot(Dot((2, 1)), [x, z], shapes=[(None, None, None), (None, None, 5)])
    np.testing.assert_allclose(y, batch_dot(x, z, 2, 1), rtol=1e-12)
    assert static.as_list() == [None, None, 5]
    y, static = run_dot(Dot(1), [x[:, 0], x[:, 1]], shapes=[(None, None), (None, 4)])
    np.testing.assert_allclose(y, batch_dot(x[:, 0], x[:, 1], 1, 1), rtol=1e-12)
    assert static.as_list() == [None, 1]


@pytest.mark.parametrize("axes,sx,sz,summed", [CASES[0], CASES[3], CASES[8]])
@pytest.mark.parametrize("normalize", [False, True])
def test_dot_passes_gradient_check(rng, axes, sx, sz, summed, normalize):
    tfcore.check_gradients(lambda x, z: Dot(axes, normalize=normalize)([x, z]),
                           {"x": rng.randn(*sx), "z": rng.randn(*sz)}, name="Dot(%r)" % (axes,))


@pytest.mark.parametrize("axes,error,message", [
    ("1", TypeError, "dot: axes must be an int or a pair of ints, got '1'"),
    (1.0, TypeError, "dot: axes must be an int or a pair of ints"),
    (None, TypeError, "dot: axes must be an int or a pair of ints"),
    ((1,), ValueError, r"dot: axes must be an int or a pair of ints, got \(1,\)"),
    ((1, 2, 3), ValueError, "dot: axes must be an int or a pair of ints"),
    ((1.0, 1), ValueError, "dot: axes must be an int or a pair of ints"),
    (True, TypeError, "dot: axes must be an int or a pair of ints, got True"),
])
def test_dot_rejects_bad_axes(axes, error, message):
    with pytest.raises(error, match=message):
        Dot(axes)


@pytest.mark.parametrize("axes,sx,sz,message", [
    (0, (None, 3), (None, 3), r"dot: axes 0 names the batch axis; it must name axes after it \(input 0 of shape \(None, 3\)\)"),
    ((1, 0), (None, 3), (None, 3), r"dot: axes \(1, 0\) names the batch axis.* \(input 1 of"),
    (-2, (None, 3), (None, 3), r"dot: axes -2 names the batch axis.* \(input 0 of"),
    (-5, (None, 3, 4), (None, 3, 4), r"dot: axes -5 is out of range for input 0 of rank 3"),
    (3, (None, 3, 4), (None, 3, 4), r"dot: axes 3 is out of range for input 0 of rank 3"),
    ((2, 1), (None, 3, 4), (None, 5, 4), r"dot: the summed axes differ in size: 4 \(axis 2 of .*\) != 5"),
    (1, (2, 3), (4, 3), "dot: the inputs' batch sizes differ"),
    (1, (None,), (None,), r"dot: input 0 must have a known rank >= 2, got shape \(None,\)"),
])
def test_dot_rejects_bad_inputs(axes, sx, sz, message):
    with tfcore.new_graph().as_default():
        with pytest.raises(ValueError, match=message):
            Dot(axes)([tfcore.placeholder(sx), tfcore.placeholder(sz)])


def test_dot_takes_exactly_two_inputs():
    with tfcore.new_graph().as_default():
        x = tfcore.placeholder((None, 3))
        with pytest.raises(ValueError, match="dot: call it on a list of 2 tensors"):
            Dot(1)([x, x, x])
        with pytest.raises(ValueError, match="dot: call it on a list of 2 tensors, got <tf.Tensor"):
            Dot(1)(x)
        with pytest.raises(ValueError, match="dot: call it on a list of 2 tensors"):
            Dot(1)([x])
