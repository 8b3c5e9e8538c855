"""LayerNormalization equals the docstring's equations in NumPy; gradient checks; errors."""

import numpy as np
import pytest

import tfcore
from tests.helpers import run_layer
from tfcore.layers.layer_norm import LayerNormalization


def layer_norm_reference(x, axes, gamma, beta, epsilon):
    mean = x.mean(axis=tuple(axes), keepdims=True)
    var = ((x - mean) ** 2).mean(axis=tuple(axes), keepdims=True)
    shape = [x.shape[a] if a in axes else 1 for a in range(x.ndim)]
    return (x - mean) / np.sqrt(var + epsilon) * gamma.reshape(shape) + beta.reshape(shape)


@pytest.mark.parametrize("shape,axis", [((4, 5), -1), ((2, 3, 6), -1), ((2, 3, 6), [1, 2]),
                                        ((2, 3, 4, 5), [1, 3]), ((1, 3, 4, 2), 2)])
def test_layer_norm_equals_numpy_equation(rng, shape, axis):
    x = rng.randn(*shape) * 3 + 1
    layer = LayerNormalization(axis=axis, epsilon=1e-2)
    with tfcore.new_graph().as_default() as graph:
        xp = tfcore.placeholder((None,) + shape[1:], np.float64)
        y = layer(xp)
        with tfcore.session(graph=graph) as sess:
            gamma = rng.randn(*layer.gamma.shape.as_list())
            beta = rng.randn(*layer.beta.shape.as_list())
            layer.set_weights(sess, [gamma, beta])
            got = sess.run(y, {xp: x})
    np.testing.assert_allclose(got, layer_norm_reference(x, layer.axis, gamma, beta, 1e-2),
                               rtol=1e-9, atol=1e-12)


def test_layer_norm_without_center_and_scale_has_no_weights_and_unit_moments(rng):
    layer = LayerNormalization(center=False, scale=False, epsilon=0)
    y, _ = run_layer(layer, rng.randn(3, 7) * 5 + 2)
    assert layer.variables == []
    np.testing.assert_allclose(y.mean(axis=1), 0, atol=1e-12)
    np.testing.assert_allclose(y.var(axis=1), 1, rtol=1e-10)


@pytest.mark.parametrize("axis", [[1, 2]])  # axis=-1: tests/conformance.py
def test_layer_norm_passes_gradient_check(rng, axis):
    tfcore.check_gradients(lambda x: LayerNormalization(axis=axis)(x), {"x": rng.randn(2, 3, 4)},
                           name="LayerNormalization")


def test_layer_norm_rejects_bad_arguments():
    with pytest.raises(TypeError, match="layer_normalization: axis must be an int or a non-empty list"):
        LayerNormalization(axis="last")
    with pytest.raises(ValueError, match=r"layer_normalization: epsilon must be in \[0, inf\)"):
        LayerNormalization(epsilon=-1)
    with tfcore.new_graph().as_default():
        with pytest.raises(ValueError, match="layer_normalization: axis 0 names the batch axis"):
            LayerNormalization(axis=0)(tfcore.placeholder((None, 3)))
        with pytest.raises(ValueError, match=r"layer_normalization: axis 3 is out of range for an "
                                             r"input of rank 2"):
            LayerNormalization(axis=3)(tfcore.placeholder((None, 3)))
