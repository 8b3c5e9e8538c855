"""Loss functions, written by hand so that each formula is visible and stable.

Every loss first computes one value per example, then reduces over the batch:

    reduction="mean"  the batch mean (the default, as Keras)
    reduction="sum"   the batch sum
    reduction="none"  the per-example values, shape = the batch shape

The last axis is the class (or output) axis: a (batch, classes) input gives
(batch,) per-example values; a (batch, time, classes) input gives (batch, time).
A rank-1 input holds one value per example.

Cross-entropy from logits z (one-hot labels y, K classes), via log-softmax so
that no exp of a large number is taken:

    loss = -sum_k y_k log softmax(z)_k = -sum_k y_k (z_k - m - log sum_j e^{z_j - m}),
    m = max_j z_j

Its gradient, with p = softmax(z) and g = dL/dloss for the example
(`gradient="manual"` states it by hand; "auto" lets tf.gradients derive it):

    dL/dz_k = g (p_k sum_j y_j - y_k)  =  g (p_k - y_k)   when the labels sum to 1
    dL/dy_k = -g log softmax(z)_k                          (labels get a gradient too)

Sparse labels (an integer class c per example): loss = -log softmax(z)_c.

Cross-entropy from probabilities p (Keras 2 semantics, for a softmax output):

    p <- p / sum_k p_k;   p <- clip(p, eps, 1 - eps);   loss = -sum_k y_k log p_k

Sigmoid cross-entropy from logits z with labels y in [0, 1], elementwise:

    -y log s(z) - (1 - y) log(1 - s(z))  =  max(z, 0) - z y + log(1 + e^{-|z|})

(the right side never exponentiates a positive number), then the mean over the
last axis. Binary cross-entropy from probabilities (Keras 2):

    p <- clip(p, eps, 1 - eps)
    -(y log(p + eps) + (1 - y) log(1 - p + eps)),  mean over the last axis

Label smoothing s in [0, 1] (Keras 2; `label_smoothing=0.0`, the default, leaves
the labels alone) pulls the labels towards uniform before any of the four
cross-entropies above, so that a confident model is not pushed to infinite logits:

    categorical (K classes on the last axis):  y <- y (1 - s) + s / K
    binary (each output its own 2 classes):    y <- y (1 - s) + s / 2

Mean squared error (Keras): mean over the last axis of (y - p)^2.

Sum of squares (the chapter's "L2 loss"): sum over everything of (y - p)^2. Its
default reduction is "sum". Note `tf.nn.l2_loss(t)` is sum(t^2) / 2: half of it.
"""

import numpy as np
import tensorflow as tf

from tfcore import activations
from tfcore.module import check_gradient

_REDUCTIONS = ("mean", "sum", "none")


def _reduce(per_example, reduction):
    if reduction == "mean":
        return tf.reduce_mean(per_example)
    if reduction == "sum":
        return tf.reduce_sum(per_example)
    return per_example  # "none"; _check_reduction has ruled out anything else


def _check_reduction(reduction, loss_name):
    if reduction not in _REDUCTIONS:
        raise ValueError(
            "%s: reduction must be one of %s, got %r" % (loss_name, ", ".join(_REDUCTIONS), reduction)
        )


def _float_inputs(labels, predictions, loss_name, predictions_name="predictions"):
    """Convert both to tensors of the predictions' float dtype; shapes must match."""
    predictions = tf.convert_to_tensor(predictions)
    if not predictions.dtype.is_floating:
        raise TypeError(
            "%s: %s must be floating point, got %s" % (loss_name, predictions_name, predictions.dtype.name)
        )
    labels = tf.cast(tf.convert_to_tensor(labels), predictions.dtype)
    if not labels.shape.is_compatible_with(predictions.shape):
        raise ValueError(
            "%s: labels have shape %s but %s have shape %s; they must match"
            % (loss_name, labels.shape, predictions_name, predictions.shape)
        )
    return labels, predictions


def _last_axis(x, reduce, loss_name):
    """Reduce the class axis (the last), unless the input is rank 1 (one value per example)."""
    if x.shape.rank is None:
        raise ValueError("%s: inputs must have a known rank" % loss_name)
    if x.shape.rank <= 1:
        return x
    return reduce(x, axis=-1)


def _check_epsilon(epsilon, loss_name):
    if not 0.0 < epsilon < 0.5:
        raise ValueError("%s: epsilon must be in (0, 0.5), got %r" % (loss_name, epsilon))


def _check_label_smoothing(label_smoothing, loss_name):
    if isinstance(label_smoothing, bool) or not isinstance(label_smoothing, (int, float, np.integer, np.floating)):
        raise TypeError("%s: label_smoothing must be a number in [0, 1], got %r" % (loss_name, label_smoothing))
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError("%s: label_smoothing must be in [0, 1], got %r" % (loss_name, label_smoothing))
    return float(label_smoothing)


def _smooth_labels(labels, label_smoothing, classes):
    """y (1 - s) + s / classes; `classes` is the class-axis length (2 for binary labels)."""
    if label_smoothing == 0.0:
        return labels  # no ops in the graph when smoothing is off
    return labels * (1.0 - label_smoothing) + label_smoothing / classes


def _class_count(x):
    """The length of the class (last) axis: a Python number when static, else a tensor."""
    if x.shape.rank is not None and x.shape[-1] is not None:
        return float(x.shape[-1])
    return tf.cast(tf.shape(x)[-1], x.dtype)


def softmax_cross_entropy_with_logits(labels, logits, reduction="mean", label_smoothing=0.0,
                                      gradient="auto"):
    """Cross-entropy of one-hot (or soft) `labels` against softmax(`logits`).

    `label_smoothing` s replaces the labels by y (1 - s) + s / classes, as Keras 2.
    `gradient="manual"` uses the hand-derived backward pass
    (`_cross_entropy_with_manual_gradient`) instead of tf.gradients'; the same numbers.
    """
    name = "softmax_cross_entropy_with_logits"
    _check_reduction(reduction, name)
    check_gradient(name, gradient)
    label_smoothing = _check_label_smoothing(label_smoothing, name)
    with tf.name_scope("softmax_cross_entropy"):
        labels, logits = _float_inputs(labels, logits, name, "logits")
        if logits.shape.rank is not None and logits.shape.rank < 1:
            raise ValueError("%s: logits must have a class axis, got a scalar" % name)
        labels = _smooth_labels(labels, label_smoothing, _class_count(logits))
        if gradient == "manual":
            per_example = _cross_entropy_with_manual_gradient(labels, logits)
        else:
            per_example = -tf.reduce_sum(labels * activations.log_softmax(logits), axis=-1)
        return _reduce(per_example, reduction)


@tf.custom_gradient
def _cross_entropy_with_manual_gradient(labels, logits):
    """Per-example -sum_k y_k log softmax(z)_k, with its backward pass stated by hand.

    The labels here are the smoothed ones: the smoothing op before this function
    passes their gradient on (times 1 - s) by the chain rule.
    Second order: `tf.custom_gradient` replaces only the first derivative; the
    backward pass below is ordinary ops on z, y and g (softmax, log_softmax),
    which `tf.gradients` differentiates again, exactly.
    """
    log_p = activations.log_softmax(logits)
    per_example = -tf.reduce_sum(labels * log_p, axis=-1)

    def backward(g):
        g = tf.expand_dims(g, -1)  # one upstream gradient per example, over its classes
        p = tf.exp(log_p)
        # dz = g (p sum(y) - y): the familiar p - y when each label row sums to 1.
        dlogits = g * (p * tf.reduce_sum(labels, axis=-1, keepdims=True) - labels)
        dlabels = -g * log_p  # dy = -g log p
        return dlabels, dlogits

    return per_example, backward


def sparse_softmax_cross_entropy_with_logits(labels, logits, reduction="mean"):
    """Cross-entropy of integer class `labels` (shape = logits' without the last axis).

    Labels with a trailing axis of size 1, (batch, 1) for (batch, classes)
    logits, are accepted too, as in Keras.
    A label outside [0, classes) fails at run time with InvalidArgumentError.
    """
    name = "sparse_softmax_cross_entropy_with_logits"
    _check_reduction(reduction, name)
    with tf.name_scope("sparse_softmax_cross_entropy"):
        logits = tf.convert_to_tensor(logits)
        labels = tf.convert_to_tensor(labels)
        if not logits.dtype.is_floating:
            raise TypeError("%s: logits must be floating point, got %s" % (name, logits.dtype.name))
        if not labels.dtype.is_integer:
            raise TypeError(
                "%s: labels must be integer class indices, got %s (one-hot labels go to "
                "softmax_cross_entropy_with_logits)" % (name, labels.dtype.name)
            )
        # Keras accepts (batch, 1) class labels as well as (batch,) (and so on for
        # longer shapes): a trailing label axis of size 1 is dropped.
        if labels.shape.rank is not None and labels.shape.rank == logits.shape.rank \
                and labels.shape[-1] == 1:
            labels = tf.squeeze(labels, axis=-1)
        if logits.shape.rank is None or logits.shape.rank < 1 \
                or not labels.shape.is_compatible_with(logits.shape[:-1]):
            raise ValueError(
                "%s: labels have shape %s but logits have shape %s; labels must have the "
                "logits' shape without the class axis" % (name, labels.shape, logits.shape)
            )
        classes = tf.shape(logits)[-1]  # int32, as one_hot's depth must be
        checks = [
            tf.debugging.assert_non_negative(labels, message=name + ": labels must be >= 0"),
            tf.debugging.assert_less(
                labels, tf.cast(classes, labels.dtype), message=name + ": labels must be < classes"
            ),
        ]
        with tf.control_dependencies(checks):
            one_hot = tf.one_hot(labels, classes, dtype=logits.dtype)
        # Picking log p_c with a one-hot mask: the gradient is softmax(z) - onehot(c).
        per_example = -tf.reduce_sum(one_hot * activations.log_softmax(logits), axis=-1)
        return _reduce(per_example, reduction)


def categorical_crossentropy(labels, probabilities, epsilon=1e-7, reduction="mean", label_smoothing=0.0):
    """Cross-entropy of one-hot `labels` against `probabilities` (a softmax output).

    Keras 2 semantics: the probabilities are renormalised to sum to 1 and clipped
    to [epsilon, 1 - epsilon] so that log never sees 0. Prefer
    `softmax_cross_entropy_with_logits` when the logits are at hand: it needs no
    clipping and keeps gradients for confident wrong predictions.
    `label_smoothing` s replaces the labels by y (1 - s) + s / classes.
    """
    name = "categorical_crossentropy"
    _check_reduction(reduction, name)
    _check_epsilon(epsilon, name)
    label_smoothing = _check_label_smoothing(label_smoothing, name)
    with tf.name_scope("categorical_crossentropy"):
        labels, p = _float_inputs(labels, probabilities, name, "probabilities")
        if p.shape.rank is not None and p.shape.rank < 1:
            raise ValueError("%s: probabilities must have a class axis, got a scalar" % name)
        labels = _smooth_labels(labels, label_smoothing, _class_count(p))
        p = p / tf.reduce_sum(p, axis=-1, keepdims=True)
        p = tf.clip_by_value(p, epsilon, 1.0 - epsilon)
        per_example = -tf.reduce_sum(labels * tf.math.log(p), axis=-1)
        return _reduce(per_example, reduction)


def sigmoid_cross_entropy_with_logits(labels, logits, reduction="mean", label_smoothing=0.0):
    """Binary cross-entropy of `labels` in [0, 1] against sigmoid(`logits`), stably.

    `label_smoothing` s replaces the labels by y (1 - s) + s / 2, as Keras 2.
    """
    name = "sigmoid_cross_entropy_with_logits"
    _check_reduction(reduction, name)
    label_smoothing = _check_label_smoothing(label_smoothing, name)
    with tf.name_scope("sigmoid_cross_entropy"):
        y, z = _float_inputs(labels, logits, name, "logits")
        y = _smooth_labels(y, label_smoothing, 2.0)
        abs_z = tf.where(z >= 0, z, -z)  # not tf.abs: its gradient at 0 is 0
        elementwise = tf.maximum(z, tf.zeros_like(z)) - z * y + tf.math.log1p(tf.exp(-abs_z))
        per_example = _last_axis(elementwise, tf.reduce_mean, name)
        return _reduce(per_example, reduction)


def binary_crossentropy(labels, probabilities, epsilon=1e-7, reduction="mean", label_smoothing=0.0):
    """Binary cross-entropy of `labels` against `probabilities` (a sigmoid output), Keras 2 style.

    `label_smoothing` s replaces the labels by y (1 - s) + s / 2.
    """
    name = "binary_crossentropy"
    _check_reduction(reduction, name)
    _check_epsilon(epsilon, name)
    label_smoothing = _check_label_smoothing(label_smoothing, name)
    with tf.name_scope("binary_crossentropy"):
        y, p = _float_inputs(labels, probabilities, name, "probabilities")
        y = _smooth_labels(y, label_smoothing, 2.0)
        p = tf.clip_by_value(p, epsilon, 1.0 - epsilon)
        # Keras adds epsilon again inside the logs; kept so the numbers match it.
        # The max(., 0) changes nothing (p <= 1 - eps) but stops Grappler from
        # folding (1 - p) + eps into (1 + eps) - p, which in float32 rounds
        # 1 + eps and shifts the loss near p = 1 away from Keras's value.
        one_minus_p = tf.maximum(1.0 - p, tf.zeros_like(p))
        elementwise = -(y * tf.math.log(p + epsilon) + (1.0 - y) * tf.math.log(one_minus_p + epsilon))
        per_example = _last_axis(elementwise, tf.reduce_mean, name)
        return _reduce(per_example, reduction)


def mean_squared_error(labels, predictions, reduction="mean"):
    """Mean over the last axis of (labels - predictions)^2, then the batch reduction."""
    name = "mean_squared_error"
    _check_reduction(reduction, name)
    with tf.name_scope("mean_squared_error"):
        y, p = _float_inputs(labels, predictions, name)
        per_example = _last_axis(tf.square(y - p), tf.reduce_mean, name)
        return _reduce(per_example, reduction)


def sum_of_squares(labels, predictions, reduction="sum"):
    """The chapter's "L2 loss": sum of (labels - predictions)^2 over everything.

    Per example it sums over every non-batch axis; `reduction="sum"` (the
    default) then sums over the batch too, `"mean"` averages the per-example
    sums. This is twice `tf.nn.l2_loss(labels - predictions)`, which halves it.
    """
    name = "sum_of_squares"
    _check_reduction(reduction, name)
    with tf.name_scope("sum_of_squares"):
        y, p = _float_inputs(labels, predictions, name)
        squares = tf.square(y - p)
        if squares.shape.rank is None:
            raise ValueError("%s: inputs must have a known rank" % name)
        per_example = squares
        if squares.shape.rank > 1:
            per_example = tf.reduce_sum(squares, axis=list(range(1, squares.shape.rank)))
        return _reduce(per_example, reduction)
