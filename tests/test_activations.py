"""Activations equal TensorFlow's own ops, stay finite at extreme inputs, and pass 1st/2nd-order gradient checks."""

import numpy as np
import pytest
import tensorflow as tf

import tfcore
from tfcore import activations

ORACLES = {
    "relu": tf.nn.relu,
    "tanh": tf.math.tanh,
    "sigmoid": tf.math.sigmoid,
    "softmax": tf.nn.softmax,
    "log_softmax": tf.nn.log_softmax,
}


def _run(fn, x):
    graph = tfcore.new_graph()
    with graph.as_default():
        xp = tfcore.placeholder(x.shape, tf.float64)
        y = fn(xp)
        (g,) = tf.gradients(tf.reduce_sum(y * np.linspace(-1, 1, y.shape.num_elements()).reshape(y.shape)), xp)
    with tfcore.session(graph=graph) as sess:
        return sess.run([y, g], {xp: x})


@pytest.mark.parametrize("name", sorted(ORACLES))
def test_activation_and_its_gradient_equal_tensorflows_op(name, rng):
    x = np.concatenate([rng.randn(3, 6) * 4, [[0.0, -0.0, 1e-8, -1e-8, 30.0, -30.0]]])
    ours, our_grad = _run(activations.get(name), x)
    ref, ref_grad = _run(ORACLES[name], x)
    np.testing.assert_allclose(ours, ref, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(our_grad, ref_grad, rtol=1e-10, atol=1e-14)


@pytest.mark.parametrize("name", sorted(ORACLES))
def test_activation_is_finite_at_extreme_inputs(name):
    x = np.array([[-1000.0, -80.0, 0.0, 80.0, 1000.0]])
    for dtype in (np.float32, np.float64):
        ours, grad = _run(activations.get(name), x.astype(np.float64))
        assert np.all(np.isfinite(ours)) and np.all(np.isfinite(grad)), (name, ours, grad)
    ref, _ = _run(ORACLES[name], x)
    np.testing.assert_allclose(ours, ref, rtol=1e-12, atol=1e-300)


@pytest.mark.parametrize("name", ["tanh", "sigmoid", "softmax", "log_softmax", "relu"])
@pytest.mark.parametrize("order", [1, 2])
def test_activation_passes_the_gradient_check(name, order, rng):
    x = rng.randn(3, 4) * 2
    if name == "relu":
        x = np.where(np.abs(x) < 0.1, 0.5, x)  # keep finite differences off the kink
    tfcore.check_gradients(lambda x: activations.get(name)(x), {"x": x}, name=name, order=order)


def test_derivatives_at_exactly_zero_are_right():
    # tanh'(0) = 1 and sigmoid'(0) = 1/4: a formula through tf.abs would give 0 here.
    _, g_tanh = _run(activations.tanh, np.zeros((1, 1)))
    graph = tfcore.new_graph()
    with graph.as_default():
        x = tfcore.placeholder((1,), tf.float64)
        (g,) = tf.gradients(activations.sigmoid(x), x)
    with tfcore.session(graph=graph) as sess:
        assert sess.run(g, {x: [0.0]})[0] == pytest.approx(0.25)
    assert g_tanh[0, 0] == pytest.approx(np.linspace(-1, 1, 1)[0])


def test_unknown_activation_is_a_clear_error():
    with pytest.raises(ValueError, match="Unknown activation 'swish'.*relu"):
        activations.get("swish")


@pytest.mark.parametrize("dtype", [tf.float32, tf.float64])
def test_relu_and_its_stated_derivative_match_tf_nn_relu_at_infinities_nan_and_signed_zeros(dtype):
    x = np.array([-np.inf, np.inf, np.nan, -0.0, 0.0, -1e-30, 1e-30, 3.0])
    graph = tfcore.new_graph()
    with graph.as_default():
        xp = tfcore.placeholder(x.shape, dtype)
        outs = []
        for fn in (activations.relu, tf.nn.relu):
            y = fn(xp)
            outs += [y, tf.gradients(y, xp, grad_ys=tf.fill(tf.shape(xp), tf.constant(2.0, dtype)))[0]]
    with tfcore.session(graph=graph) as sess:
        ours, our_grad, ref, ref_grad = sess.run(outs, {xp: x})
    np.testing.assert_array_equal(ours, ref)  # NaN == NaN here; -0.0 == 0.0
    np.testing.assert_array_equal(our_grad, ref_grad)
