"""GroupNormalization and UnitNormalization equal the docstring's equations in NumPy; gradient
checks; errors naming the layer; unknown batch and spatial sizes."""

import numpy as np
import pytest
import tensorflow as tf

import tfcore
from tests.helpers import run_layer
from tfcore.layers.layer_norm import GroupNormalization, UnitNormalization


def group_norm_reference(x, groups, axis, gamma, beta, epsilon):
    """Loop over examples and groups: each group's channels, with all other non-batch axes."""
    axis = axis % x.ndim
    xc = np.moveaxis(x, axis, -1)  # channels last
    y = np.empty_like(xc)
    per = xc.shape[-1] // groups
    for n in range(x.shape[0]):
        for g in range(groups):
            block = xc[n, ..., g * per:(g + 1) * per]
            y[n, ..., g * per:(g + 1) * per] = (block - block.mean()) / np.sqrt(block.var() + epsilon)
    y = y * gamma + beta
    return np.moveaxis(y, -1, axis)


def run_with_weights(layer, x, *weights, placeholder_shape=None):
    with tfcore.new_graph().as_default() as graph:
        xp = tfcore.placeholder(placeholder_shape or (None,) + x.shape[1:], np.float64)
        y = layer(xp)
        with tfcore.session(graph=graph) as sess:
            layer.set_weights(sess, list(weights))
            return sess.run(y, {xp: x}), y.shape


@pytest.mark.parametrize("shape,groups,axis", [
    ((3, 8), 4, -1), ((2, 5, 6), 3, -1), ((2, 4, 5, 6), 2, -1), ((2, 6, 4, 5), 3, 1),
    ((2, 6, 3), 6, 1), ((1, 3, 4), 1, -1), ((2, 3, 4, 6), 2, 2), ((2, 3, 8), -1, -1)])
def test_group_norm_equals_numpy_equation(rng, shape, groups, axis):
    x = rng.randn(*shape) * 3 + 1
    c = shape[axis]
    gamma, beta = rng.randn(c), rng.randn(c)
    got, static = run_with_weights(GroupNormalization(groups, axis=axis, epsilon=1e-2), x, gamma, beta)
    want = group_norm_reference(x, c if groups == -1 else groups, axis, gamma, beta, 1e-2)
    np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-12)
    assert static.as_list() == [None] + list(shape[1:])


def test_group_norm_with_unknown_spatial_sizes(rng):
    x = rng.randn(2, 3, 5, 4)
    gamma, beta = rng.randn(4), rng.randn(4)
    got, _ = run_with_weights(GroupNormalization(2), x, gamma, beta,
                              placeholder_shape=(None, None, None, 4))
    np.testing.assert_allclose(got, group_norm_reference(x, 2, -1, gamma, beta, 1e-3), rtol=1e-9,
                               atol=1e-12)


def test_group_norm_one_group_is_layer_norm_over_all_axes_and_weights_are_per_channel(rng):
    x = rng.randn(3, 4, 6)
    layer = GroupNormalization(1, center=False, epsilon=0)
    y, _ = run_with_weights(layer, x, np.ones(6))
    assert [v.name for v in layer.variables] == ["group_normalization/gamma:0"]
    assert layer.variables[0].shape.as_list() == [6]
    np.testing.assert_allclose(y.mean(axis=(1, 2)), 0, atol=1e-12)
    np.testing.assert_allclose(y.var(axis=(1, 2)), 1, rtol=1e-10)
    layer = GroupNormalization(3)
    run_with_weights(layer, x, np.ones(6), np.zeros(6))
    assert [v.name.split("/")[-1] for v in layer.variables] == ["gamma:0", "beta:0"]
    layer = GroupNormalization(3, center=False, scale=False)
    run_layer(layer, x)
    assert layer.variables == []


@pytest.mark.parametrize("shape,groups,axis", [((2, 3, 4), 2, -1), ((2, 6, 2, 3), 3, 1)])
def test_group_norm_passes_gradient_check(rng, shape, groups, axis):
    tfcore.check_gradients(lambda x: GroupNormalization(groups, axis=axis)(x),
                           {"x": rng.randn(*shape)}, name="GroupNormalization")


def test_group_norm_rejects_bad_arguments():
    with pytest.raises(ValueError, match=r"group_normalization: groups \(or -1\) must be a positive int"):
        GroupNormalization(0)
    with pytest.raises(TypeError, match="group_normalization: axis must be an int"):
        GroupNormalization(2, axis=[1, 2])
    with pytest.raises(ValueError, match=r"group_normalization: epsilon must be in \[0, inf\)"):
        GroupNormalization(2, epsilon=-1)
    with tfcore.new_graph().as_default():
        with pytest.raises(ValueError, match=r"group_normalization: the input's 8 channels must be "
                                             r"divisible by groups \(32\)"):
            GroupNormalization()(tfcore.placeholder((None, 8)))
        with pytest.raises(ValueError, match=r"group_normalization: the input's 6 channels must be "
                                             r"divisible by groups \(4\)"):
            GroupNormalization(4)(tfcore.placeholder((None, 6)))
        with pytest.raises(ValueError, match="group_normalization: axis 0 names the batch axis"):
            GroupNormalization(1, axis=0)(tfcore.placeholder((None, 6)))
        with pytest.raises(ValueError, match=r"group_normalization: axis 3 is out of range"):
            GroupNormalization(1, axis=3)(tfcore.placeholder((None, 6)))
        with pytest.raises(ValueError, match=r"group_normalization: input's size along axis 1 must be known"):
            GroupNormalization(1, axis=1)(tfcore.placeholder((None, None, 6)))


def unit_norm_reference(x, axes):
    return x / np.sqrt(np.maximum((x ** 2).sum(axis=tuple(axes), keepdims=True), 1e-12))


@pytest.mark.parametrize("shape,axis", [((4, 5), -1), ((2, 3, 6), 1), ((2, 3, 6), [1, 2]),
                                        ((2, 3, 4, 5), [-1, 1]), ((3, 4), [0])])
def test_unit_norm_equals_numpy_equation(rng, shape, axis):
    x = rng.randn(*shape) * 3
    layer = UnitNormalization(axis)
    with tfcore.new_graph().as_default() as graph:
        xp = tfcore.placeholder((None,) + shape[1:], np.float64)
        y = layer(xp)
        with tfcore.session(graph=graph) as sess:
            got = sess.run(y, {xp: x})
    np.testing.assert_allclose(got, unit_norm_reference(x, layer.axis), rtol=1e-12)
    assert layer.variables == []


def test_unit_norm_floors_the_norm_of_a_zero_vector():
    y, _ = run_layer(UnitNormalization(), np.array([[0.0, 0.0], [3e-7, 4e-7], [3.0, 4.0]]))
    np.testing.assert_allclose(y, [[0, 0], [0.3, 0.4], [0.6, 0.8]], rtol=1e-9)


@pytest.mark.parametrize("axis", [[1, 2]])  # axis=-1: tests/conformance.py
def test_unit_norm_passes_gradient_check(rng, axis):
    tfcore.check_gradients(lambda x: UnitNormalization(axis)(x), {"x": rng.randn(2, 3, 4)},
                           name="UnitNormalization")


def test_unit_norm_rejects_bad_arguments():
    with pytest.raises(TypeError, match="unit_normalization: axis must be an int or a non-empty list"):
        UnitNormalization("last")
    with tfcore.new_graph().as_default():
        with pytest.raises(ValueError, match=r"unit_normalization: axis 2 is out of range"):
            UnitNormalization(2)(tfcore.placeholder((None, 3)))
        with pytest.raises(ValueError, match=r"unit_normalization: axis \[1, -1\] names an axis twice"):
            UnitNormalization([1, -1])(tfcore.placeholder((None, 3)))


def test_group_norm_with_one_value_per_group_outputs_beta(rng):
    x = rng.randn(3, 4) * 100
    beta = rng.randn(4)
    got, _ = run_with_weights(GroupNormalization(-1, epsilon=1e-5), x, rng.randn(4), beta)
    np.testing.assert_array_equal(got, np.tile(beta, (3, 1)))


def test_group_norm_mask_weights_the_statistics(rng):
    x = rng.randn(2, 5, 4)
    mask = rng.rand(2, 5, 1) < 0.6
    mask[:, 0] = True
    gamma, beta = rng.randn(4), rng.randn(4)
    layer = GroupNormalization(2, epsilon=1e-2)
    with tfcore.new_graph().as_default() as graph:
        xp = tfcore.placeholder((None, 5, 4), np.float64)
        y = layer(xp, mask=mask)
        with tfcore.session(graph=graph) as sess:
            layer.set_weights(sess, [gamma, beta])
            got = sess.run(y, {xp: x})
    m = np.broadcast_to(mask, x.shape)
    want = np.empty_like(x)
    for n in range(2):
        for g in range(2):
            block, keep = x[n, :, 2 * g:2 * g + 2], m[n, :, 2 * g:2 * g + 2]
            mean = block[keep].mean()
            var = ((block[keep] - mean) ** 2).mean()
            want[n, :, 2 * g:2 * g + 2] = (block - mean) / np.sqrt(var + 1e-2)
    np.testing.assert_allclose(got, want * gamma + beta, rtol=1e-9, atol=1e-12)


def test_group_norm_gradients_equal_the_docstring_formula(rng):
    x, dy = rng.randn(2, 3, 6), rng.randn(2, 3, 6)
    gamma, beta = rng.randn(6), rng.randn(6)
    layer = GroupNormalization(2, epsilon=0.1)
    with tfcore.new_graph().as_default() as graph:
        xp = tfcore.placeholder((None, 3, 6), np.float64)
        y = layer(xp)
        grads = tf.gradients(y, [xp, layer.gamma, layer.beta], grad_ys=dy)
        with tfcore.session(graph=graph) as sess:
            layer.set_weights(sess, [gamma, beta])
            dx, dgamma, dbeta = sess.run(grads, {xp: x})
    want_dx, xhat = np.empty_like(x), np.empty_like(x)
    for n in range(2):
        for g in range(2):
            c = slice(3 * g, 3 * g + 3)
            block = x[n, :, c]
            s = np.sqrt(block.var() + 0.1)
            xh = (block - block.mean()) / s
            dxh = dy[n, :, c] * gamma[c]
            want_dx[n, :, c] = (dxh - dxh.mean() - xh * (dxh * xh).mean()) / s
            xhat[n, :, c] = xh
    np.testing.assert_allclose(dx, want_dx, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(dgamma, (dy * xhat).sum(axis=(0, 1)), rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(dbeta, dy.sum(axis=(0, 1)), rtol=1e-9, atol=1e-12)


def test_unit_norm_gradient_equals_the_docstring_formula(rng):
    x, dy = rng.randn(3, 5), rng.randn(3, 5)
    with tfcore.new_graph().as_default() as graph:
        xp = tfcore.placeholder((None, 5), np.float64)
        (dx,) = tf.gradients(UnitNormalization()(xp), [xp], grad_ys=dy)
        with tfcore.session(graph=graph) as sess:
            got = sess.run(dx, {xp: x})
    norm = np.linalg.norm(x, axis=1, keepdims=True)
    y = x / norm
    np.testing.assert_allclose(got, (dy - y * (dy * y).sum(axis=1, keepdims=True)) / norm,
                               rtol=1e-9, atol=1e-12)
