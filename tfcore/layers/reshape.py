"""Flatten: turn each example into one vector.

    y[n, :] = x[n, ...] read in row-major (C) order,   y has shape (batch, prod(inner))

For NHWC images the vector runs over width fastest, then height: index
k = (i * W + j) * C + c, the order Keras uses, so a Dense layer after Flatten
can take Keras's weights unchanged.

The batch size is usually unknown when the graph is built (a placeholder of
shape (None, 28, 28, 1)). `tf.reshape(x, [-1, prod(inner)])` handles that: -1
lets TensorFlow infer the batch at run time while the static inner size keeps
the output's last dimension known, which the next Dense layer needs to build.
If the inner sizes are themselves unknown, the batch is read at run time
instead and the inner size inferred. A rank-1 input (batch,) becomes (batch, 1).
"""

import tensorflow as tf

from tfcore.module import Module


class Flatten(Module):
    """Reshapes (batch, d1, d2, ...) to (batch, d1 * d2 * ...)."""

    def call(self, inputs, training=False):
        if inputs.shape.rank is None or inputs.shape.rank < 1:
            raise ValueError(
                "%s: input must have a known rank >= 1 (a batch axis), got shape %s"
                % (self.name, inputs.shape)
            )
        if inputs.shape.rank == 1:
            return tf.expand_dims(inputs, 1)
        inner = inputs.shape[1:]
        if inner.is_fully_defined() and inner.num_elements() > 0:
            return tf.reshape(inputs, [-1, inner.num_elements()])
        # Unknown (or zero) inner size: -1 cannot go on the batch axis, so take the
        # batch from the run-time shape.
        y = tf.reshape(inputs, tf.stack([tf.shape(inputs)[0], -1]))
        if inner.is_fully_defined():
            y.set_shape([inputs.shape[0], 0])
        return y
