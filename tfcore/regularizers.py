"""Regularizers: penalties on weights and activations, added to the training loss.

A regularizer maps a tensor to a scalar penalty. Keras 2's three:

    L1(l1=0.01)              l1 * sum(|x|)
    L2(l2=0.01)              l2 * sum(x^2)
    L1L2(l1=0.0, l2=0.0)     l1 * sum(|x|) + l2 * sum(x^2)
    l1_l2(l1=0.01, l2=0.01)  L1L2 with Keras's defaults for the function

Where they act (a layer's constructor arguments, as in Keras):

    kernel_regularizer, bias_regularizer, recurrent_regularizer
        penalty(w) of the weight's current value, one per weight
    activity_regularizer
        penalty(y) / batch_size of the layer's output y, one per call

Each penalty is a scalar tensor, listed in the layer's `losses` and in the
graph collection `tf.compat.v1.GraphKeys.REGULARIZATION_LOSSES`. The loss a
model trains on is Keras's total loss:

    total = loss + sum(penalties)          add_regularization(loss)

so pass that total to `optimizer.minimize` and to `TrainGraph(loss=...)`:
`fit` and `evaluate` then report the total, as Keras's do.
"""

import math
import numbers

import tensorflow as tf

REGULARIZATION_LOSSES = tf.compat.v1.GraphKeys.REGULARIZATION_LOSSES


def _check_penalty(name, argument, value):
    if not isinstance(value, numbers.Real) or isinstance(value, bool) or not math.isfinite(value):
        raise ValueError("%s: %s must be a finite number, got %r" % (name, argument, value))
    return float(value)


class Regularizer:
    """Base class: `regularizer(x)` is a scalar penalty of the tensor x."""

    def __call__(self, x):
        return tf.zeros((), tf.convert_to_tensor(x).dtype)


class L1L2(Regularizer):
    """l1 * sum(|x|) + l2 * sum(x^2); a zero factor adds no ops (defaults 0, as Keras's class)."""

    def __init__(self, l1=0.0, l2=0.0):
        self.l1 = _check_penalty(type(self).__name__, "l1", 0.0 if l1 is None else l1)
        self.l2 = _check_penalty(type(self).__name__, "l2", 0.0 if l2 is None else l2)

    def __call__(self, x):
        x = tf.convert_to_tensor(x)
        penalty = tf.zeros((), x.dtype)
        if self.l1:
            penalty += _l1(self.l1, x)
        if self.l2:
            penalty += _l2(self.l2, x)
        return penalty

    def __repr__(self):
        return "L1L2(l1=%g, l2=%g)" % (self.l1, self.l2)


class L1(L1L2):
    """l1 * sum(|x|): pushes weights to exactly zero (sparse weights)."""

    def __init__(self, l1=0.01):
        super().__init__(l1=0.01 if l1 is None else l1)

    def __repr__(self):
        return "L1(l1=%g)" % self.l1


class L2(L1L2):
    """l2 * sum(x^2) ("weight decay"): shrinks every weight in proportion to its size."""

    def __init__(self, l2=0.01):
        super().__init__(l2=0.01 if l2 is None else l2)

    def __repr__(self):
        return "L2(l2=%g)" % self.l2


def _l1(factor, x):
    return tf.constant(factor, x.dtype) * tf.reduce_sum(tf.abs(x))


def _l2(factor, x):
    # 2 * l2 * (sum(x^2) / 2) is l2 * sum(x^2) in Keras's own arithmetic (tf.nn.l2_loss).
    return 2.0 * tf.constant(factor, x.dtype) * tf.nn.l2_loss(x)


def l1_l2(l1=0.01, l2=0.01):
    """`L1L2` with both factors 0.01 by default (Keras's function, unlike its class)."""
    return L1L2(l1=l1, l2=l2)


l1 = L1
l2 = L2

_BY_NAME = {"l1": L1, "l2": L2, "l1_l2": l1_l2, "L1": L1, "L2": L2, "L1L2": L1L2}


def get(identifier):
    """A regularizer from Keras's identifiers: None, a name ("l1", "l2", "l1_l2",
    "L1", "L2", "L1L2"), a config dict `{"class_name": "L1L2", "config": {"l1": ...}}`,
    or a callable (returned as it is)."""
    return from_keras_identifier(identifier, _BY_NAME, "regularizer")


def from_keras_identifier(identifier, by_name, kind):
    """None, a callable, a name in `by_name` or a Keras config dict -> the object (also for constraints)."""
    if identifier is None or (callable(identifier) and not isinstance(identifier, type)):
        return identifier
    if isinstance(identifier, str) and identifier in by_name:
        return by_name[identifier]()
    if isinstance(identifier, dict) and identifier.get("class_name") in by_name:
        return by_name[identifier["class_name"]](**identifier.get("config", {}))
    raise ValueError("%ss.get: cannot interpret %r as a %s; use one of %s, a "
                     "{'class_name': ..., 'config': ...} dict or a callable"
                     % (kind, identifier, kind, ", ".join(sorted(by_name))))


def activity_penalty(regularizer, outputs):
    """Keras's activity regularization: penalty(y) / batch_size for each output tensor y."""
    penalties = []
    for y in tf.nest.flatten(outputs):
        with tf.name_scope("activity_regularizer"):
            penalty = regularizer(y)
            # divide_no_nan, as Keras: an empty batch has penalty 0, not 0 / 0 = NaN.
            penalties.append(tf.math.divide_no_nan(penalty, tf.cast(tf.shape(y)[0], penalty.dtype)))
    return penalties


def regularization_losses(graph=None):
    """Every penalty added so far to `graph` (default: the default graph)."""
    graph = graph or tf.compat.v1.get_default_graph()
    return graph.get_collection(REGULARIZATION_LOSSES)


def add_regularization(loss, layers=None, name="total_loss"):
    """Keras's total loss: `loss + sum(penalties)` (just `loss` when there are none).

    Args:
      loss: the scalar data loss (a batch mean).
      layers: take the penalties from these layers' `losses`; default: all of
        the loss's graph (its REGULARIZATION_LOSSES collection).
      name: the name of the total.
    """
    if layers is None:
        penalties = regularization_losses(loss.graph)
    else:
        penalties = [p for layer in layers for p in layer.losses]
    if not penalties:
        return loss
    with loss.graph.as_default(), tf.name_scope(name):
        return tf.add(loss, tf.add_n([tf.cast(p, loss.dtype) for p in penalties]), name="value")
