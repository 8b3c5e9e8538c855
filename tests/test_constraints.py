"""Constraints equal Keras's formulas in NumPy; the optimizer applies them after each update."""

import numpy as np
import pytest
import tensorflow as tf

import tfcore
from tfcore import constraints
from tfcore.layers.conv import Conv2D
from tfcore.layers.dense import Dense
from tests.helpers import evaluate

EPS = 1e-7


def _norms(w, axis):
    return np.sqrt(np.sum(w * w, axis=tuple(np.atleast_1d(axis)), keepdims=True))


def _max_norm(w, m, axis):
    n = _norms(w, axis)
    return w * np.clip(n, 0, m) / (EPS + n)


def _min_max_norm(w, lo, hi, rate, axis):
    n = _norms(w, axis)
    return w * (rate * np.clip(n, lo, hi) + (1 - rate) * n) / (EPS + n)


@pytest.mark.parametrize("axis", [0, 1, [0, 1], [0, 1, 2]])
def test_constraints_equal_keras_formulas_in_numpy(rng, axis):
    w = 2 * rng.randn(3, 4, 5)
    cases = [
        (constraints.max_norm(), _max_norm(w, 2, 0)),
        (constraints.MaxNorm(1.5, axis=axis), _max_norm(w, 1.5, axis)),
        (constraints.non_neg(), np.where(w >= 0, w, 0.0)),
        (constraints.UnitNorm(axis=axis), w / (EPS + _norms(w, axis))),
        (constraints.min_max_norm(), _min_max_norm(w, 0.0, 1.0, 1.0, 0)),
        (constraints.MinMaxNorm(2.0, 3.0, rate=0.3, axis=axis), _min_max_norm(w, 2.0, 3.0, 0.3, axis)),
    ]
    got = evaluate(lambda: [c(tf.constant(w)) for c, _ in cases])
    for value, (c, expected) in zip(got, cases):
        np.testing.assert_allclose(value, expected, rtol=1e-12, err_msg=repr(c))
    # Projections: the norms land where they should.
    assert np.all(_norms(got[1], axis) <= 1.5 + 1e-9)
    np.testing.assert_allclose(_norms(got[3], axis), 1.0, rtol=1e-6)


def test_get_accepts_keras_names_dicts_and_callables():
    assert constraints.get(None) is None
    assert repr(constraints.get("max_norm")) == "MaxNorm(max_value=2, axis=0)"
    assert repr(constraints.get("nonneg")) == "NonNeg()"
    assert repr(constraints.get({"class_name": "MinMaxNorm", "config": {"max_value": 3.0, "axis": [0, 1]}})) == \
        "MinMaxNorm(min_value=0.0, max_value=3.0, rate=1.0, axis=[0, 1])"
    with pytest.raises(ValueError, match="constraints.get: cannot interpret 'positive'"):
        Conv2D(2, 3, bias_constraint="positive")
    with pytest.raises(ValueError, match="UnitNorm: axis must be an int or a list of ints"):
        constraints.UnitNorm(axis="rows")


def test_sgd_projects_after_each_update_in_the_same_train_op(rng):
    x = rng.randn(8, 4)
    graph = tfcore.new_graph()
    with graph.as_default():
        xp = tfcore.placeholder((None, 4), tf.float64)
        layer = Dense(3, kernel_constraint=constraints.MaxNorm(0.5), bias_constraint="non_neg")
        loss = tf.reduce_sum(tf.square(layer(xp) - 3.0))
        grads = tf.gradients(loss, layer.trainable_variables)
        train = tfcore.optimizers.SGD(0.05).minimize(loss)
        with tfcore.session(graph=graph) as sess:
            sess.run(tf.compat.v1.global_variables_initializer())
            for step in range(4):
                (kernel, bias), (g_kernel, g_bias) = layer.get_weights(sess), sess.run(grads, {xp: x})
                sess.run(train, {xp: x})
                new_kernel, new_bias = layer.get_weights(sess)
                # w <- constraint(w - lr g), one session run
                np.testing.assert_allclose(new_kernel, _max_norm(kernel - 0.05 * g_kernel, 0.5, 0),
                                           rtol=1e-12, err_msg="step %d" % step)
                np.testing.assert_allclose(new_bias, np.maximum(bias - 0.05 * g_bias, 0.0),
                                           rtol=1e-12, atol=1e-15, err_msg="step %d" % step)
    assert np.any(np.abs(bias - 0.05 * g_bias) > 0)  # the unconstrained step did leave the set


def test_conv2d_kernel_constraint_per_filter_after_adam_steps(rng):
    graph = tfcore.new_graph()
    with graph.as_default():
        xp = tfcore.placeholder((None, 6, 6, 2), tf.float64)
        layer = Conv2D(4, 3, kernel_constraint=constraints.UnitNorm(axis=[0, 1, 2]))
        train = tfcore.optimizers.Adam(0.1).minimize(tf.reduce_sum(tf.square(layer(xp) - 1.0)))
        with tfcore.session(graph=graph) as sess:
            sess.run(tf.compat.v1.global_variables_initializer())
            for _ in range(3):
                sess.run(train, {xp: rng.randn(2, 6, 6, 2)})
            kernel = sess.run(layer.kernel)
    np.testing.assert_allclose(_norms(kernel, [0, 1, 2]).ravel(), 1.0, rtol=1e-6)
