"""Activations equal TensorFlow's own ops and NumPy/SciPy formulas (values and
derivatives), stay finite at extreme inputs, and pass 1st/2nd-order gradient checks."""

import numpy as np
import pytest
import scipy.special
import tensorflow as tf

import tfcore
from tfcore import activations

_SELU_ALPHA = 1.6732632423543772848170429916717  # Klambauer et al. 2017
_SELU_SCALE = 1.0507009873554804934193349852946

ORACLES = {
    "relu": tf.nn.relu,
    "tanh": tf.math.tanh,
    "sigmoid": tf.math.sigmoid,
    "softmax": tf.nn.softmax,
    "log_softmax": tf.nn.log_softmax,
    "elu": tf.nn.elu,
    "selu": tf.nn.selu,
    "softplus": tf.nn.softplus,
    "softsign": tf.nn.softsign,
    "swish": tf.nn.silu,
    "silu": tf.nn.silu,
    "gelu": tf.nn.gelu,
    "exponential": tf.math.exp,
    "leaky_relu": tf.nn.leaky_relu,
    "relu6": tf.nn.relu6,
    "gelu_approximate": lambda x: tf.nn.gelu(x, approximate=True),
}

# (rtol, atol) where TensorFlow's kernel, not ours, is the less exact side (the
# NumPy/SciPy test below holds ours to 1e-12): TF 2.21's float64 Gelu is good to
# ~5e-9 absolute only (tf.nn.gelu(1.0) = 0.841344741927, Phi(1) = 0.841344746069),
# and tf.nn.leaky_relu's slope is a float32 attribute (0.2 -> 0.2000000030).
LOOSE = {"gelu": (1e-8, 1e-8), "gelu_approximate": (1e-8, 1e-8), "leaky_relu": (3e-8, 1e-15)}


def _ours(name):
    if name == "gelu_approximate":
        return lambda x: activations.gelu(x, approximate=True)
    return activations.get(name)


def _run(fn, x, dtype=tf.float64):
    graph = tfcore.new_graph()
    with graph.as_default():
        xp = tfcore.placeholder(x.shape, dtype)
        y = fn(xp)
        weights = np.linspace(-1, 1, y.shape.num_elements()).reshape(y.shape)
        (g,) = tf.gradients(tf.reduce_sum(y * tf.constant(weights, dtype)), xp)
    with tfcore.session(graph=graph) as sess:
        return sess.run([y, g], {xp: x.astype(dtype.as_numpy_dtype)})


def _inputs(rng):
    # Random values plus the points where the formulas change branch (0, -0,
    # +-1e-8), the kinks of hard_sigmoid (+-2.5) and relu6 (6), and large |x|.
    return np.concatenate([
        rng.randn(3, 6) * 4,
        [[0.0, -0.0, 1e-8, -1e-8, 30.0, -30.0]],
        [[2.5, -2.5, 6.0, -6.0, 1.0, -1.0]],
    ])


@pytest.mark.parametrize("name", sorted(ORACLES))
def test_activation_and_its_gradient_equal_tensorflows_op(name, rng):
    x = _inputs(rng)
    ours, our_grad = _run(_ours(name), x)
    ref, ref_grad = _run(ORACLES[name], x)
    rtol, atol = LOOSE.get(name, (1e-12, 1e-15))
    np.testing.assert_allclose(ours, ref, rtol=rtol, atol=atol)
    np.testing.assert_allclose(our_grad, ref_grad, rtol=max(rtol, 1e-10), atol=max(atol, 1e-14))


def _sigmoid(x):
    return scipy.special.expit(x)


def _gelu_tanh_u(x):
    return np.sqrt(2 / np.pi) * (x + 0.044715 * x ** 3), np.sqrt(2 / np.pi) * (1 + 3 * 0.044715 * x ** 2)


def _mish_derivative(x):
    t = np.tanh(np.logaddexp(0, x))
    return t + x * (1 - t * t) * _sigmoid(x)


# f and f' in float64 NumPy/SciPy, written from the definitions (Keras 2's
# parameters); the derivative at a kink is TensorFlow's convention.
NUMPY_ORACLES = {
    "elu": (lambda x: np.where(x > 0, x, np.expm1(np.minimum(x, 0))),
            lambda x: np.where(x > 0, 1.0, np.exp(np.minimum(x, 0)))),
    "selu": (lambda x: _SELU_SCALE * np.where(x >= 0, x, _SELU_ALPHA * np.expm1(np.minimum(x, 0))),
             lambda x: _SELU_SCALE * np.where(x >= 0, 1.0, _SELU_ALPHA * np.exp(np.minimum(x, 0)))),
    "softplus": (lambda x: np.logaddexp(0, x), _sigmoid),
    "softsign": (lambda x: x / (1 + np.abs(x)), lambda x: 1 / (1 + np.abs(x)) ** 2),
    "swish": (lambda x: x * _sigmoid(x), lambda x: _sigmoid(x) * (1 + x * (1 - _sigmoid(x)))),
    "mish": (lambda x: x * np.tanh(np.logaddexp(0, x)), _mish_derivative),
    "gelu": (lambda x: x * scipy.special.ndtr(x),
             lambda x: scipy.special.ndtr(x) + x * np.exp(-x * x / 2) / np.sqrt(2 * np.pi)),
    "gelu_approximate": (
        lambda x: x * _sigmoid(2 * _gelu_tanh_u(x)[0]),
        lambda x: (_sigmoid(2 * _gelu_tanh_u(x)[0])
                   + x * 2 * _gelu_tanh_u(x)[1] * _sigmoid(2 * _gelu_tanh_u(x)[0])
                   * _sigmoid(-2 * _gelu_tanh_u(x)[0]))),
    "hard_sigmoid": (lambda x: np.clip(0.2 * x + 0.5, 0, 1),
                     lambda x: np.where(np.abs(x) <= 2.5, 0.2, 0.0)),
    "exponential": (np.exp, np.exp),
    "leaky_relu": (lambda x: np.where(x > 0, x, 0.2 * x), lambda x: np.where(x > 0, 1.0, 0.2)),
    "relu6": (lambda x: np.clip(x, 0, 6), lambda x: ((x > 0) & (x < 6)).astype(float)),
    "LeakyReLU": (lambda x: np.where(x > 0, x, 0.3 * x), lambda x: np.where(x > 0, 1.0, 0.3)),
    "ThresholdedReLU": (lambda x: np.where(x > 1, x, 0.0), lambda x: (x > 1).astype(float)),
}


@pytest.mark.parametrize("name", sorted(NUMPY_ORACLES))
def test_activation_and_its_derivative_equal_the_numpy_formula(name, rng):
    x = _inputs(rng)
    graph = tfcore.new_graph()
    with graph.as_default():
        xp = tfcore.placeholder(x.shape, tf.float64)
        y = _ours(name)(xp)
        (g,) = tf.gradients(y, xp)
    with tfcore.session(graph=graph) as sess:
        ours, our_grad = sess.run([y, g], {xp: x})
    f, df = NUMPY_ORACLES[name]
    np.testing.assert_allclose(ours, f(x), rtol=1e-13, atol=1e-300)
    np.testing.assert_allclose(our_grad, df(x), rtol=1e-12, atol=1e-300)


EXTREMES = np.array([[-1000.0, -88.0, -80.0, -1e-30, 0.0, 1e-30, 80.0, 88.0, 1000.0]])
FINITE_EVERYWHERE = sorted((set(ORACLES) | set(NUMPY_ORACLES)) - {"exponential"})


@pytest.mark.parametrize("name", FINITE_EVERYWHERE)
@pytest.mark.parametrize("dtype", [tf.float32, tf.float64])
def test_activation_is_finite_at_extreme_inputs(name, dtype):
    ours, grad = _run(_ours(name), EXTREMES, dtype)
    assert np.all(np.isfinite(ours)) and np.all(np.isfinite(grad)), (name, ours, grad)
    if name in NUMPY_ORACLES:  # the formula in float64, to float32's precision when float32
        f, df = NUMPY_ORACLES[name]
        tol = 1e-6 if dtype == tf.float32 else 1e-13
        np.testing.assert_allclose(ours, f(EXTREMES), rtol=tol, atol=1e-300 if dtype == tf.float64 else 1e-30)
    elif dtype == tf.float64:
        ref, _ = _run(ORACLES[name], EXTREMES)
        np.testing.assert_allclose(ours, ref, rtol=1e-12, atol=1e-300)


@pytest.mark.parametrize("dtype", [tf.float32, tf.float64])
def test_exponential_overflows_to_inf_exactly_where_exp_does(dtype):
    x = EXTREMES.astype(dtype.as_numpy_dtype)
    ours, _ = _run(activations.exponential, EXTREMES, dtype)
    ref, _ = _run(tf.math.exp, EXTREMES, dtype)
    np.testing.assert_array_equal(np.isinf(ours), np.isinf(ref))
    np.testing.assert_array_equal(ours, ref)
    with np.errstate(over="ignore"):
        assert np.isinf(ours).tolist() == np.isinf(np.exp(x)).tolist()


SMOOTH = ["tanh", "sigmoid", "softmax", "log_softmax", "softplus", "swish", "mish", "gelu",
          "gelu_approximate", "exponential"]
KINKED = {  # name -> the points near which finite differences would straddle a kink
    "relu": [0.0], "elu": [0.0], "selu": [0.0], "softsign": [0.0], "hard_sigmoid": [-2.5, 2.5],
    "leaky_relu": [0.0], "relu6": [0.0, 6.0], "ThresholdedReLU": [1.0], "LeakyReLU": [0.0],
}


@pytest.mark.parametrize("name", SMOOTH + sorted(KINKED))
@pytest.mark.parametrize("order", [1, 2])
def test_activation_passes_the_gradient_check(name, order, rng):
    x = rng.randn(3, 4) * 2
    if name == "relu6":
        x = x * 2 + 3  # both sides of both kinks
    for kink in KINKED.get(name, []):
        x = np.where(np.abs(x - kink) < 0.1, kink + 0.5, x)  # keep finite differences off the kink
    tfcore.check_gradients(lambda x: _ours(name)(x), {"x": x}, name=name, order=order)


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
    with pytest.raises(ValueError, match="Unknown activation 'swishh'.*relu.*swish"):
        activations.get("swishh")
    # Keras's PReLU layer has a trained slope: a weight, not an activation function.
    with pytest.raises(ValueError, match="Unknown activation 'PReLU'"):
        activations.get("PReLU")


def test_activation_parameters_have_keras_2_defaults_and_are_used(rng):
    x = _inputs(rng)
    cases = [
        (lambda t: activations.elu(t, alpha=2.5), lambda v: np.where(v > 0, v, 2.5 * np.expm1(np.minimum(v, 0)))),
        (lambda t: activations.leaky_relu(t, alpha=0.05), lambda v: np.where(v > 0, v, 0.05 * v)),
        (lambda t: activations.thresholded_relu(t, theta=-0.5), lambda v: np.where(v > -0.5, v, 0.0)),
        (lambda t: activations.softmax(t, axis=0), lambda v: scipy.special.softmax(v, axis=0)),
    ]
    for fn, ref in cases:
        ours, _ = _run(fn, x)
        np.testing.assert_allclose(ours, ref(x), rtol=1e-13, atol=1e-300)


def test_names_for_the_same_function_give_the_same_function():
    assert activations.get("silu") is activations.get("swish") is activations.swish
    assert activations.get("ReLU") is activations.relu
    assert activations.get("ELU") is activations.elu
    assert activations.get("Softmax") is activations.softmax
    assert activations.get(None) is activations.linear


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
