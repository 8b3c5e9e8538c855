"""Activation functions, written by hand from elementary ops.

Each is stable for large |x|: no `exp` of a large positive number is ever taken.

    relu(x)        = max(x, 0),   relu'(x) = [x > 0]
    tanh(x)        = (1 - e^{-2|x|}) / (1 + e^{-2|x|}) * sign(x)
    sigmoid(x)     = 1 / (1 + e^{-x})          for x >= 0
                   = e^{x} / (1 + e^{x})       for x <  0
    softmax(x)_i   = e^{x_i - m} / sum_j e^{x_j - m},   m = max_j x_j
    log_softmax(x) = (x - m) - log sum_j e^{x_j - m}
"""

import tensorflow as tf


def linear(x):
    """The identity: a layer with no activation."""
    return x


def relu(x):
    x = tf.convert_to_tensor(x)
    return _relu(x)


@tf.custom_gradient
def _relu(x):
    def derivative(dy):
        # d relu / dx = [x > 0]: 0 at x = 0, the subgradient tf.nn.relu (and Keras)
        # use. Stated rather than derived: TF's derivative of max(0, x) is a
        # comparison and a select against a broadcast zero, which measured twice
        # the time of this mask multiply on the MNIST CNN's activations.
        return dy * tf.cast(x > 0, dy.dtype)

    # A scalar 0 allocates no zeros tensor.
    return tf.maximum(tf.constant(0, x.dtype), x), derivative


def _abs(x):
    # |x| through `where`, not `tf.abs`: the gradient of Abs at 0 is 0, which
    # would make the derivatives below wrong at exactly x = 0.
    return tf.where(x >= 0, x, -x)


def tanh(x):
    e = tf.exp(-2.0 * _abs(x))  # in (0, 1]: never overflows
    t = (1.0 - e) / (1.0 + e)
    return tf.where(x >= 0, t, -t)


def sigmoid(x):
    # exp(-|x|) is in (0, 1]: the two branches are the same function, rearranged
    # so that neither overflows, and both have finite gradients everywhere
    # (`where` passes 0 times the unselected branch's gradient: it must not be inf).
    e = tf.exp(-_abs(x))
    return tf.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def softmax(x, axis=-1):
    shifted = x - tf.stop_gradient(tf.reduce_max(x, axis=axis, keepdims=True))
    e = tf.exp(shifted)
    return e / tf.reduce_sum(e, axis=axis, keepdims=True)


def log_softmax(x, axis=-1):
    shifted = x - tf.stop_gradient(tf.reduce_max(x, axis=axis, keepdims=True))
    return shifted - tf.math.log(tf.reduce_sum(tf.exp(shifted), axis=axis, keepdims=True))


_BY_NAME = {
    None: linear,
    "linear": linear,
    "relu": relu,
    "tanh": tanh,
    "sigmoid": sigmoid,
    "softmax": softmax,
    "log_softmax": log_softmax,
}


def get(activation):
    """An activation from a name (`"relu"`), `None` (linear) or a callable."""
    if callable(activation):
        return activation
    try:
        return _BY_NAME[activation]
    except (KeyError, TypeError):
        names = ", ".join(sorted(k for k in _BY_NAME if k))
        raise ValueError("Unknown activation %r; known: %s" % (activation, names)) from None
