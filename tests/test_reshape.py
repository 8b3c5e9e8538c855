"""Flatten: equals NumPy's row-major reshape, with known and unknown batch/inner sizes."""

import numpy as np
import pytest
import tensorflow as tf

import tfcore
from tfcore.layers.keras.reshape import Flatten


@pytest.mark.parametrize("shape", [(3, 4), (2, 3, 4), (2, 5, 4, 3), (1, 2, 1, 3, 2)])
def test_flatten_equals_numpy_reshape_with_unknown_batch(rng, shape):
    x = rng.randn(*shape)
    graph = tfcore.new_graph()
    with graph.as_default():
        xp = tfcore.placeholder((None,) + shape[1:], tf.float64)
        y = Flatten()(xp)
        with tfcore.session(graph=graph) as sess:
            got = sess.run(y, {xp: x})
            got_other_batch = sess.run(y, {xp: np.concatenate([x, x])})
    assert y.shape.as_list() == [None, int(np.prod(shape[1:]))]  # the next Dense can build
    np.testing.assert_array_equal(got, x.reshape(shape[0], -1))
    np.testing.assert_array_equal(got_other_batch, np.concatenate([x, x]).reshape(2 * shape[0], -1))


def test_flatten_handles_unknown_inner_sizes_and_rank_one(rng):
    x = rng.randn(2, 3, 5, 2)
    graph = tfcore.new_graph()
    with graph.as_default():
        xp = tfcore.placeholder((None, None, None, 2), tf.float64)
        vp = tfcore.placeholder((None,), tf.float64)
        y, v = Flatten()(xp), Flatten()(vp)
        with tfcore.session(graph=graph) as sess:
            got, got_v = sess.run([y, v], {xp: x, vp: x[:, 0, 0, 0]})
    assert y.shape.rank == 2
    assert v.shape.as_list() == [None, 1]
    np.testing.assert_array_equal(got, x.reshape(2, -1))
    np.testing.assert_array_equal(got_v, x[:, 0, 0, :1])


def test_flatten_rejects_scalar_and_unknown_rank():
    with tfcore.new_graph().as_default():
        with pytest.raises(ValueError, match="flatten: input must have a known rank >= 1"):
            Flatten()(tfcore.constant(1.0))
        with pytest.raises(ValueError, match="flatten: input must have a known rank >= 1"):
            Flatten()(tfcore.placeholder(None))


# -- Reshape, Permute, RepeatVector ------------------------------------------

from tfcore.layers.keras.reshape import Permute, RepeatVector, Reshape  # noqa: E402
from tests.helpers import run_layer  # noqa: E402


@pytest.mark.parametrize("shape,target", [((3, 12), (3, 4)), ((2, 4, 6), (-1, 2)),
                                          ((1, 2, 3, 4), (4, -1, 3)), ((2, 5), (5, 1, 1))])
def test_reshape_equals_numpy_reshape_per_example(rng, shape, target):
    x = rng.randn(*shape)
    y, static = run_layer(Reshape(target), x)
    expected = x.reshape((shape[0],) + target)
    np.testing.assert_array_equal(y, expected)
    assert static.as_list() == [None] + list(expected.shape[1:])


def test_reshape_with_unknown_inner_sizes_resolves_at_run_time(rng):
    x = rng.randn(2, 3, 4)
    with tfcore.new_graph().as_default() as graph:
        xp = tfcore.placeholder((None, None, 4), tf.float64)
        y = Reshape((-1, 2))(xp)
        with tfcore.session(graph=graph) as sess:
            got = sess.run(y, {xp: x})
    assert y.shape.as_list() == [None, None, 2]
    np.testing.assert_array_equal(got, x.reshape(2, 6, 2))


@pytest.mark.parametrize("dims", [(2, 1), (1, 2), (3, 1, 2), (2, 3, 1)])
def test_permute_equals_numpy_transpose_of_inner_axes(rng, dims):
    x = rng.randn(2, 3, 4) if len(dims) == 2 else rng.randn(2, 3, 4, 5)
    y, static = run_layer(Permute(dims), x)
    np.testing.assert_array_equal(y, np.transpose(x, (0,) + dims))
    assert static.as_list()[1:] == list(y.shape[1:])


def test_repeat_vector_copies_each_example_n_times(rng):
    x = rng.randn(3, 5)
    y, static = run_layer(RepeatVector(4), x)
    np.testing.assert_array_equal(y, np.repeat(x[:, None, :], 4, axis=1))
    assert static.as_list() == [None, 4, 5]


def test_shape_layers_reject_bad_arguments_and_inputs():
    for make, message in [(lambda: Reshape((2, -1, -1)), "reshape: target_shape may hold at most"),
                          (lambda: Reshape((0, 2)), "reshape: target_shape must be"),
                          (lambda: Permute((1, 3)), "permute: dims must be a permutation"),
                          (lambda: RepeatVector(0), "repeat_vector: n must be a positive int")]:
        with pytest.raises(ValueError, match=message):
            make()
    with tfcore.new_graph().as_default():
        with pytest.raises(ValueError, match=r"reshape: cannot reshape examples of shape \[2, 3\]"):
            Reshape((4, 2))(tfcore.placeholder((None, 2, 3)))
        with pytest.raises(ValueError, match="permute: dims .* must have rank 3"):
            Permute((2, 1))(tfcore.placeholder((None, 2, 3, 4)))
        with pytest.raises(ValueError, match="repeat_vector: input must have rank 2"):
            RepeatVector(2)(tfcore.placeholder((None, 2, 3)))
