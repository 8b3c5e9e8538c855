"""Metrics: numbers to watch during training, not to differentiate.

Accuracy is the fraction of predictions that are right, as a scalar tensor:

    categorical:  mean( argmax(y) == argmax(p) )          one-hot labels
    sparse:       mean( y == argmax(p) )                  integer class labels
    binary:       mean( y == [p > threshold] )            labels 0 or 1

`p` may be probabilities or logits for the categorical and sparse kinds
(argmax is the same); for binary, `threshold` must be on the same scale as `p`
(0.5 for probabilities, 0 for logits). Ties in argmax go to the first class.
"""

import tensorflow as tf

_KINDS = ("categorical", "sparse", "binary")


def accuracy(labels, predictions, kind="categorical", threshold=0.5):
    """The mean accuracy of `predictions` against `labels` (a float32 scalar tensor)."""
    if kind not in _KINDS:
        raise ValueError("accuracy: kind must be one of %s, got %r" % (", ".join(_KINDS), kind))
    with tf.name_scope("accuracy"):
        labels = tf.convert_to_tensor(labels)
        predictions = tf.convert_to_tensor(predictions)
        if kind == "categorical":
            _check_shapes(labels.shape, predictions.shape, kind)
            correct = tf.equal(tf.argmax(labels, axis=-1), tf.argmax(predictions, axis=-1))
        elif kind == "sparse":
            # Keras accepts (batch, 1) class labels as well as (batch,).
            if labels.shape.rank is not None and labels.shape.rank == predictions.shape.rank \
                    and labels.shape[-1] == 1:
                labels = tf.squeeze(labels, axis=-1)
            _check_shapes(labels.shape, predictions.shape[:-1], kind, "predictions without the class axis")
            correct = tf.equal(tf.cast(labels, tf.int64), tf.argmax(predictions, axis=-1))
        else:
            _check_shapes(labels.shape, predictions.shape, kind)
            predicted = tf.cast(predictions > threshold, tf.float32)
            correct = tf.equal(tf.cast(labels, tf.float32), predicted)
        return tf.reduce_mean(tf.cast(correct, tf.float32))


def _check_shapes(labels_shape, expected, kind, what="predictions"):
    if not labels_shape.is_compatible_with(expected):
        raise ValueError(
            "accuracy(kind=%r): labels have shape %s, but %s have shape %s"
            % (kind, labels_shape, what, expected)
        )
