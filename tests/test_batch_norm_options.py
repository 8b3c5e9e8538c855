"""BatchNormalization with a list `axis`, its initializers and beta/gamma regularizers.

Oracles: NumPy's per-(feature combination) statistics, float64 central
differences (both gradients), the automatic gradient against the manual one.
"""

import numpy as np
import pytest
import tensorflow as tf

import tfcore
from tests.helpers import run_batch_norm
from tfcore import regularizers
from tfcore.layers.batch_norm import BatchNormalization


@pytest.mark.parametrize("shape,axis", [
    ((5, 3, 4, 2), [1, 3]), ((4, 3, 5), [-1, -2]), ((3, 2, 3, 2, 2), [1, 2, 4])])
def test_list_axis_normalizes_each_feature_combination_like_numpy(rng, shape, axis):
    x = rng.randn(*shape) * 3 + 1
    kept = sorted(a % len(shape) for a in axis)
    averaged = tuple(a for a in range(len(shape)) if a not in kept)
    param_shape = [shape[a] if a in kept else 1 for a in range(len(shape))]
    gamma, beta = rng.uniform(0.5, 1.5, param_shape), rng.uniform(-1, 1, param_shape)
    weights = [gamma, beta, np.zeros(param_shape), np.ones(param_shape)]
    layer = BatchNormalization(axis=axis, momentum=0.75)
    (train, infer, final) = run_batch_norm(layer, weights, [x], np.ones(shape))  # float32
    mean, var = x.mean(axis=averaged, keepdims=True), x.var(axis=averaged, keepdims=True)
    np.testing.assert_allclose(train[0][0], gamma * (x - mean) / np.sqrt(var + 1e-3) + beta, atol=1e-5)
    np.testing.assert_allclose(final[2], 0.25 * mean, atol=1e-6)          # biased, as Keras's readable path
    np.testing.assert_allclose(final[3], 0.75 + 0.25 * var, rtol=1e-6)
    np.testing.assert_allclose(infer[0], gamma * (x - final[2]) / np.sqrt(final[3] + 1e-3) + beta, atol=1e-5)


@pytest.mark.parametrize("gradient", ["auto", "manual"])
@pytest.mark.parametrize("training", [True, False])
def test_list_axis_passes_gradient_check_in_float64(rng, gradient, training):
    def build(x):
        layer = BatchNormalization(axis=[1, -1], gradient=gradient,
                                   moving_variance_initializer=tfcore.initializers.constant(1.7))
        return tf.sin(layer(x, training=training))
    tfcore.check_gradients(build, {"x": rng.randn(4, 3, 2, 2)},
                           name="BatchNormalization(axis=[1, -1], %s, training=%s)" % (gradient, training))


def test_manual_gradient_equals_automatic_with_list_axis(rng):
    x, r = rng.randn(6, 2, 3, 4), rng.uniform(-1, 1, (6, 2, 3, 4))
    weights = [rng.uniform(0.5, 1.5, (1, 2, 1, 4)), rng.randn(1, 2, 1, 4), np.zeros((1, 2, 1, 4)),
               np.ones((1, 2, 1, 4))]
    auto, manual = (run_batch_norm(BatchNormalization(axis=[1, 3], gradient=g), weights, [x], r)
                    for g in ("auto", "manual"))
    for (ya, ga), (ym, gm) in zip(auto[0] + [auto[1]], manual[0] + [manual[1]]):
        np.testing.assert_allclose(ym, ya, atol=1e-6)  # float32 (run_batch_norm's placeholder)
        for a, b in zip(gm, ga):
            np.testing.assert_allclose(a, b, atol=1e-5)


def test_gamma_beta_penalties_and_initial_values(rng):
    graph = tfcore.new_graph()
    with graph.as_default():
        layer = BatchNormalization(gamma_initializer=tfcore.initializers.constant(2.0),
                                   beta_initializer=tfcore.initializers.constant(-0.5),
                                   gamma_regularizer=regularizers.l2(0.1), beta_regularizer="l1")
        layer(tfcore.placeholder((None, 3)), training=True)
        with tfcore.session(graph=graph) as sess:
            sess.run(tf.compat.v1.global_variables_initializer())
            weights, penalties = layer.get_weights(sess), sess.run(layer.losses)
    np.testing.assert_array_equal(np.stack(weights), [[2.0] * 3, [-0.5] * 3, [0.0] * 3, [1.0] * 3])
    np.testing.assert_allclose(penalties, [0.1 * 3 * 4.0, 0.01 * 3 * 0.5], rtol=1e-6)


@pytest.mark.parametrize("kwargs,shape,message", [
    (dict(axis=[1, 3], fused=True), (None, 2, 2, 3), "fused=True needs .* one feature axis"),
    (dict(axis=[1, -3]), (None, 2, 2, 3), "names an axis twice"),
    (dict(axis=[1, 4]), (None, 2, 2, 3), "axis 4 is out of range"),
    (dict(axis=[0, 1]), (None, 3), "leaves no axis to average over"),
    (dict(axis=[1, 2]), (None, None, 3), "input's size along axis 1 must be known"),
])
def test_bad_list_axis_fails_clearly_naming_the_layer(kwargs, shape, message):
    with tfcore.new_graph().as_default(), pytest.raises(ValueError, match="bn: .*" + message):
        BatchNormalization(name="bn", **kwargs)(tfcore.placeholder(shape))
