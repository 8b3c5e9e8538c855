"""Weight initialisers: functions `(shape, dtype) -> tensor`.

Each draws from the graph's random seed (set with `new_graph(seed=...)`), so a
seeded graph starts from the same weights every time.

The defaults follow Keras 2, on purpose, so a tfcore model and its tf-keras twin
start from the same distributions:

* `glorot_uniform` for kernels: U(-l, l) with l = sqrt(6 / (fan_in + fan_out))
  keeps the activations' variance roughly constant from layer to layer
  (Glorot & Bengio, 2010).
* `orthogonal` for recurrent kernels: an orthogonal matrix preserves the norm
  of the state it multiplies, so repeated application through time neither
  explodes nor vanishes at the start of training (Saxe et al., 2014).
* `zeros` for biases, `ones` for batch-norm scales.
"""

import math

import tensorflow as tf


def _fans(shape):
    """fan_in, fan_out as Keras computes them (receptive field x channels for convs)."""
    if len(shape) < 1:
        return 1, 1
    if len(shape) == 1:
        return shape[0], shape[0]
    if len(shape) == 2:
        return shape[0], shape[1]
    receptive_field = 1
    for dim in shape[:-2]:
        receptive_field *= dim
    return shape[-2] * receptive_field, shape[-1] * receptive_field


def zeros(shape, dtype=tf.float32):
    return tf.zeros(shape, dtype=dtype)


def ones(shape, dtype=tf.float32):
    return tf.ones(shape, dtype=dtype)


def constant(value):
    """An initialiser that fills the variable with `value`."""

    def init(shape, dtype=tf.float32):
        return tf.fill(shape, tf.cast(value, dtype))

    return init


def glorot_uniform(shape, dtype=tf.float32):
    """U(-l, l), l = sqrt(6 / (fan_in + fan_out))."""
    fan_in, fan_out = _fans(shape)
    limit = math.sqrt(6.0 / max(1.0, fan_in + fan_out))
    return tf.random.uniform(shape, -limit, limit, dtype=dtype)


def uniform(shape, dtype=tf.float32):
    """U(-0.05, 0.05): Keras's "uniform" (RandomUniform's defaults), the Embedding default.

    Embedding rows have no fan-in to scale by: each is looked up, not summed
    over inputs, so small fixed-range values are enough to break symmetry.
    """
    return tf.random.uniform(shape, -0.05, 0.05, dtype=dtype)


def he_normal(shape, dtype=tf.float32):
    """Truncated N(0, 2 / fan_in): keeps ReLU activations' variance constant."""
    fan_in, _ = _fans(shape)
    stddev = math.sqrt(2.0 / max(1.0, fan_in)) / 0.87962566103423978
    return tf.random.truncated_normal(shape, 0.0, stddev, dtype=dtype)


def orthogonal(shape, dtype=tf.float32, gain=1.0):
    """A (semi-)orthogonal matrix from the QR decomposition of a Gaussian matrix."""
    rows = 1
    for dim in shape[:-1]:
        rows *= dim
    cols = shape[-1]
    flat = (max(rows, cols), min(rows, cols))
    a = tf.random.normal(flat, dtype=dtype)
    q, r = tf.linalg.qr(a)
    # Make the decomposition unique (and the distribution uniform) by fixing signs.
    q = q * tf.sign(tf.linalg.diag_part(r))
    if rows < cols:
        q = tf.transpose(q)
    return gain * tf.reshape(q, shape)


_BY_NAME = {
    "zeros": zeros,
    "ones": ones,
    "glorot_uniform": glorot_uniform,
    "he_normal": he_normal,
    "orthogonal": orthogonal,
    "uniform": uniform,
}


def get(initializer):
    """An initialiser from a name or a callable."""
    if callable(initializer):
        return initializer
    try:
        return _BY_NAME[initializer]
    except KeyError:
        raise ValueError(
            "Unknown initializer %r; known: %s" % (initializer, ", ".join(sorted(_BY_NAME)))
        ) from None
