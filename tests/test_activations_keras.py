"""Every activation name tf-keras's `activations.get` accepts gives, through our
`activations.get`, the values and gradients of Keras's, alone and inside a Dense
and a Conv2D layer with copied weights."""

import numpy as np
import pytest
import tensorflow as tf

from tests.oracle import compare_layer_with_keras, keras
import tfcore
from tfcore import activations
from tfcore.layers.conv import Conv2D
from tfcore.layers.dense import Dense

pytestmark = pytest.mark.keras

# The activation names of tf-keras 2.21's `keras.activations.get`: its function
# names, the extra names its module adds (leaky_relu, log_softmax, relu6, silu)
# and its activation layers' class names (except PReLU, which has a weight).
KERAS_NAMES = [
    "elu", "exponential", "gelu", "hard_sigmoid", "leaky_relu", "linear", "log_softmax", "mish",
    "relu", "relu6", "selu", "sigmoid", "silu", "softmax", "softplus", "softsign", "swish", "tanh",
    "ELU", "LeakyReLU", "ReLU", "Softmax", "ThresholdedReLU",
]
# Inputs at which e^x overflows: exponential's value is inf there, for both.
OVERFLOWS = {"exponential"}


def test_the_name_list_is_every_function_name_keras_get_accepts():
    public = {n for n in dir(keras.activations) if not n.startswith("_")}
    public -= {"get", "serialize", "deserialize"}
    assert public <= set(KERAS_NAMES)
    for name in KERAS_NAMES:
        assert callable(keras.activations.get(name)), name
    with pytest.raises(ValueError):
        keras.activations.get("swishh")  # so "accepts" above means something


def _inputs(rng, dtype):
    return np.concatenate([
        rng.randn(4, 6) * 3,
        [[0.0, -0.0, 1e-8, -1e-8, 2.5, -2.5], [6.0, 1.0, 30.0, -30.0, 80.0, -80.0],
         [1000.0, -1000.0, 88.0, -88.0, 0.5, -0.5]],
    ]).astype(dtype)


def _ours(name, x):
    graph = tfcore.new_graph()
    with graph.as_default():
        xp = tfcore.placeholder(x.shape, tf.as_dtype(x.dtype))
        y = activations.get(name)(xp)
        (g,) = tf.gradients(tf.reduce_sum(y * np.linspace(-1, 1, x.size).reshape(x.shape).astype(x.dtype)), xp)
    with tfcore.session(graph=graph) as sess:
        return sess.run([y, g], {xp: x})


def _keras(name, x):
    xv = tf.constant(x)
    with tf.GradientTape() as tape:
        tape.watch(xv)
        y = keras.activations.get(name)(xv)
        loss = tf.reduce_sum(y * np.linspace(-1, 1, x.size).reshape(x.shape).astype(x.dtype))
    return y.numpy(), tape.gradient(loss, xv).numpy()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", KERAS_NAMES)
def test_activation_by_name_equals_keras_values_and_gradients(name, dtype, rng):
    x = _inputs(rng, dtype)
    if name in ("softmax", "log_softmax", "Softmax"):
        x = x[:4]  # a row of +-1000 only tests that both pick the max
    with np.errstate(over="ignore", invalid="ignore"):
        ours, our_grad = _ours(name, x)
        ref, ref_grad = _keras(name, x)
    if name not in OVERFLOWS:
        assert np.isfinite(ours).all() and np.isfinite(our_grad).all(), name
    if name == "selu" and dtype == np.float32:
        # tf.nn.selu computes e^x - 1, which is 0 in float32 for |x| < ~6e-8, and
        # takes its derivative from the output's sign: there it returns the
        # right-hand slope, scale, at x < 0. Ours is the true one, scale * alpha.
        tiny_negative = (x < 0) & (x > -6e-8)
        np.testing.assert_allclose(our_grad[tiny_negative] / np.linspace(-1, 1, x.size).reshape(x.shape)[tiny_negative],
                                   1.0507009873554805 * 1.6732632423543772, rtol=1e-6)
        our_grad, ref_grad = our_grad[~tiny_negative], ref_grad[~tiny_negative]
    # float64: TF's own kernels (elu's exp(x) - 1, gelu's float64 kernel, a
    # float32 leaky_relu slope) are the inexact side, by up to ~1e-8. Keras's
    # layer-class names are layers, which compute in float32 whatever the input.
    float32_grade = dtype == np.float32 or name[0].isupper()
    rtol, atol = (1e-5, 1e-6) if float32_grade else (1e-7, 1e-8)
    np.testing.assert_allclose(ours, ref, rtol=rtol, atol=atol)
    np.testing.assert_allclose(our_grad, ref_grad, rtol=rtol, atol=atol)


def _compare_function(ours_fn, keras_fn, x):
    """ours_fn on a placeholder vs keras_fn eagerly: values and gradients of the sum."""
    graph = tfcore.new_graph()
    with graph.as_default():
        xp = tfcore.placeholder(x.shape)
        y = ours_fn(xp)
        (g,) = tf.gradients(y, xp)
    with tfcore.session(graph=graph) as sess:
        ours, our_grad = sess.run([y, g], {xp: x})
    xv = tf.constant(x)
    with tf.GradientTape() as tape:
        tape.watch(xv)
        ref = keras_fn(xv)
    np.testing.assert_allclose(ours, ref.numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(our_grad, tape.gradient(ref, xv).numpy(), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("approximate", [False, True])
def test_gelu_approximate_argument_equals_keras(approximate, rng):
    _compare_function(lambda t: activations.gelu(t, approximate=approximate),
                      lambda t: keras.activations.gelu(t, approximate=approximate),
                      _inputs(rng, np.float32))


def test_elu_alpha_argument_equals_keras(rng):
    _compare_function(lambda t: activations.elu(t, alpha=0.5),
                      lambda t: keras.activations.elu(t, alpha=0.5),
                      _inputs(rng, np.float32)[:4])


@pytest.mark.parametrize("alpha,max_value,threshold", [
    (0.1, None, 0.0), (0.0, 6.0, 0.0), (0.0, 2.5, 0.0), (0.0, None, 0.7), (0.2, 3.0, 0.5),
    (0.3, None, 1.5)])
def test_relu_keras_arguments_equal_keras(alpha, max_value, threshold, rng):
    # Keras's activation relu(x, alpha, max_value, threshold), positionally, values and gradients.
    _compare_function(lambda t: activations.relu(t, alpha, max_value, threshold),
                      lambda t: keras.activations.relu(t, alpha, max_value, threshold),
                      _inputs(rng, np.float32))


# exponential: a Dense with random weights would overflow; it gets the same
# comparison on small inputs below.
@pytest.mark.parametrize("name", [n for n in KERAS_NAMES if n not in OVERFLOWS])
def test_dense_with_activation_name_equals_keras_dense(name, rng):
    x = (rng.randn(5, 7) * 2).astype(np.float32)
    compare_layer_with_keras(keras.layers.Dense(4, activation=name), Dense(4, activation=name), x, rng)


def test_dense_with_exponential_activation_equals_keras_dense(rng):
    x = (rng.randn(5, 7) * 0.3).astype(np.float32)
    compare_layer_with_keras(keras.layers.Dense(4, activation="exponential"),
                             Dense(4, activation="exponential"), x, rng)


@pytest.mark.parametrize("name", ["elu", "selu", "gelu", "swish", "mish", "hard_sigmoid", "softplus"])
def test_conv2d_with_activation_name_equals_keras_conv2d(name, rng):
    x = rng.randn(2, 5, 5, 3).astype(np.float32)
    compare_layer_with_keras(keras.layers.Conv2D(4, 3, padding="same", activation=name),
                             Conv2D(4, 3, padding="SAME", activation=name), x, rng)
