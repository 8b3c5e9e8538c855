"""Constraints: projections applied to a weight after every optimizer step.

A constraint maps a weight w to an allowed value. The optimizer applies it
right after the update, inside the train op, as Keras 2 does after
`apply_gradients`:

    w <- update(w, g)
    w <- constraint(w)

Keras 2's four, with norms taken along `axis` (a vector per output unit for a
Dense kernel with axis=0; use axis=[0, 1, 2] for a Conv2D kernel's filters),
n = sqrt(sum(w^2, axis)) and eps = 1e-7 (Keras's backend epsilon):

    MaxNorm(max_value=2, axis=0)          w * clip(n, 0, max_value) / (eps + n)
    NonNeg()                              w * (w >= 0)
    UnitNorm(axis=0)                      w / (eps + n)
    MinMaxNorm(min_value=0.0, max_value=1.0, rate=1.0, axis=0)
        w * (rate * clip(n, min_value, max_value) + (1 - rate) * n) / (eps + n)

Layers take them as `kernel_constraint=` / `bias_constraint=`; the constraint
rides on the variable (`tf.Variable(..., constraint=...)`), where the
optimizer finds it. A variable with a sparse (IndexedSlices) gradient cannot
have one, as in Keras.
"""

import numbers

import tensorflow as tf

from tfcore.regularizers import from_keras_identifier

EPSILON = 1e-7


def _check(name, argument, value):
    if not isinstance(value, numbers.Real) or isinstance(value, bool) or value != value:
        raise ValueError("%s: %s must be a number, got %r" % (name, argument, value))
    return value


def _check_axis(name, axis):
    axes = axis if isinstance(axis, (list, tuple)) else [axis]
    if not axes or not all(isinstance(a, numbers.Integral) and not isinstance(a, bool) for a in axes):
        raise ValueError("%s: axis must be an int or a list of ints, got %r" % (name, axis))
    return list(axis) if isinstance(axis, (list, tuple)) else int(axis)


def _norms(w, axis):
    """n = sqrt(sum(w^2)) along `axis`, kept as size-1 axes so that it broadcasts over w."""
    return tf.sqrt(tf.reduce_sum(tf.square(w), axis=axis, keepdims=True))


class Constraint:
    """Base class: `constraint(w)` returns the projected weight (here: w unchanged)."""

    def __call__(self, w):
        return w


class MaxNorm(Constraint):
    """Rescale each weight vector whose norm exceeds max_value down to max_value."""

    def __init__(self, max_value=2, axis=0):
        self.max_value = _check("MaxNorm", "max_value", max_value)
        self.axis = _check_axis("MaxNorm", axis)

    def __call__(self, w):
        w = tf.convert_to_tensor(w)
        norms = _norms(w, self.axis)
        desired = tf.clip_by_value(norms, 0.0, tf.cast(self.max_value, w.dtype))
        return w * (desired / (EPSILON + norms))

    def __repr__(self):
        return "MaxNorm(max_value=%r, axis=%r)" % (self.max_value, self.axis)


class NonNeg(Constraint):
    """Zero the negative weights."""

    def __call__(self, w):
        w = tf.convert_to_tensor(w)
        return w * tf.cast(tf.greater_equal(w, 0.0), w.dtype)

    def __repr__(self):
        return "NonNeg()"


class UnitNorm(Constraint):
    """Scale each weight vector to norm 1 (just under: eps is added to the norm)."""

    def __init__(self, axis=0):
        self.axis = _check_axis("UnitNorm", axis)

    def __call__(self, w):
        w = tf.convert_to_tensor(w)
        return w / (EPSILON + _norms(w, self.axis))

    def __repr__(self):
        return "UnitNorm(axis=%r)" % (self.axis,)


class MinMaxNorm(Constraint):
    """Move each weight vector's norm into [min_value, max_value], a fraction `rate` of the way.

    rate = 1 projects exactly; rate < 1 moves the norm only part of the way
    each step, so the weights approach the interval gradually.
    """

    def __init__(self, min_value=0.0, max_value=1.0, rate=1.0, axis=0):
        self.min_value = _check("MinMaxNorm", "min_value", min_value)
        self.max_value = _check("MinMaxNorm", "max_value", max_value)
        self.rate = _check("MinMaxNorm", "rate", rate)
        self.axis = _check_axis("MinMaxNorm", axis)

    def __call__(self, w):
        w = tf.convert_to_tensor(w)
        norms = _norms(w, self.axis)
        # Keras's clip: a max_value below min_value is raised to min_value.
        clipped = tf.clip_by_value(norms, tf.cast(self.min_value, w.dtype),
                                   tf.cast(max(self.max_value, self.min_value), w.dtype))
        desired = self.rate * clipped + (1 - self.rate) * norms
        return w * (desired / (EPSILON + norms))

    def __repr__(self):
        return "MinMaxNorm(min_value=%r, max_value=%r, rate=%r, axis=%r)" % (
            self.min_value, self.max_value, self.rate, self.axis)


max_norm = MaxNorm
non_neg = NonNeg
unit_norm = UnitNorm
min_max_norm = MinMaxNorm

_BY_NAME = {"max_norm": MaxNorm, "non_neg": NonNeg, "unit_norm": UnitNorm, "min_max_norm": MinMaxNorm,
            "maxnorm": MaxNorm, "nonneg": NonNeg, "unitnorm": UnitNorm,
            "MaxNorm": MaxNorm, "NonNeg": NonNeg, "UnitNorm": UnitNorm, "MinMaxNorm": MinMaxNorm}


def get(identifier):
    """A constraint from Keras's identifiers: None, a name ("max_norm", "non_neg",
    "unit_norm", "min_max_norm" or the class names), a config dict
    `{"class_name": "MaxNorm", "config": {"max_value": 3}}`, or a callable."""
    return from_keras_identifier(identifier, _BY_NAME, "constraint")
