"""Shape layers: Flatten, Reshape, Permute, RepeatVector.

None of them computes anything: they move the same numbers to new positions,
so their gradients move the output's gradient back (a reshape, the inverse
permutation, a sum over the copies). They never touch the batch axis.

Flatten turns each example into one vector:

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

import numpy as np
import tensorflow as tf

from tfcore.checks import check_min_rank, check_rank, is_int, positive_int
from tfcore.layers.layout import normalize_data_format, to_channels_last
from tfcore.module import Module


class Flatten(Module):
    """Reshapes (batch, d1, d2, ...) to (batch, d1 * d2 * ...).

    Args:
      data_format: "channels_last" (default or None) or "channels_first": as
        Keras, a channels_first input (batch, C, d1, ...) is first moved to
        channels-last (batch, d1, ..., C), so the vector has the same order as
        for the channels-last input and a Dense layer after it takes the same weights.
    """

    def __init__(self, data_format=None, name=None):
        super().__init__(name=name)
        self.data_format = normalize_data_format(data_format, self.name)

    def call(self, inputs, training=False):
        check_min_rank(inputs.shape, 1, self.name, "(a batch axis)")
        if inputs.shape.rank == 1:
            return tf.expand_dims(inputs, 1)
        inputs = to_channels_last(inputs, self.data_format)
        inner = inputs.shape[1:]
        if inner.is_fully_defined() and inner.num_elements() > 0:
            return tf.reshape(inputs, [-1, inner.num_elements()])
        # Unknown (or zero) inner size: -1 cannot go on the batch axis, so take the
        # batch from the run-time shape.
        y = tf.reshape(inputs, tf.stack([tf.shape(inputs)[0], -1]))
        if inner.is_fully_defined():
            y.set_shape([inputs.shape[0], 0])
        return y


class Reshape(Module):
    """Reshapes each example to `target_shape`: (batch, ...) -> (batch, *target_shape).

        y[n].flat == x[n].flat   (row-major order is kept; only the shape changes)

    Args:
      target_shape: a tuple of positive ints, without the batch axis; at most
        one entry may be -1, meaning "whatever the example's size leaves over"
        (NumPy's rule, as in Keras).
    """

    def __init__(self, target_shape, name=None):
        super().__init__(name=name)
        if (not isinstance(target_shape, (tuple, list)) or not all(is_int(d) for d in target_shape)
                or any(d == 0 or d < -1 for d in target_shape)):
            raise ValueError("%s: target_shape must be a tuple of positive ints (one may be -1), "
                             "got %r" % (self.name, target_shape))
        if list(target_shape).count(-1) > 1:
            raise ValueError("%s: target_shape may hold at most one -1, got %r"
                             % (self.name, tuple(target_shape)))
        self.target_shape = tuple(int(d) for d in target_shape)

    def _static_target(self, inner):
        """target_shape with its -1 resolved from the known inner size (and the sizes checked)."""
        size, known = inner.num_elements(), int(np.prod([d for d in self.target_shape if d != -1]))
        if -1 in self.target_shape and size % known == 0:
            return [size // known if d == -1 else d for d in self.target_shape]
        if -1 not in self.target_shape and size == known:
            return list(self.target_shape)
        raise ValueError("%s: cannot reshape examples of shape %s (%d values) to %r"
                         % (self.name, inner.as_list(), size, self.target_shape))

    def call(self, inputs, training=False):
        """y[n] = x[n] reshaped to target_shape (row-major order kept; -1 inferred)."""
        check_min_rank(inputs.shape, 1, self.name, "(a batch axis)")
        inner = inputs.shape[1:]
        target = self._static_target(inner) if inner.is_fully_defined() else self.target_shape
        # The batch is read at run time, so any batch size (and an unknown one) works.
        y = tf.reshape(inputs, tf.concat([tf.shape(inputs)[:1], target], axis=0))
        y.set_shape([inputs.shape[0]] + [d if d != -1 else None for d in target])
        return y


class Permute(Module):
    """Permutes the non-batch axes: y[n, i_1, ..., i_k] = x[n, j_1, ..., j_k] with j_{dims[a]} = i_a.

    Args:
      dims: a permutation of 1..k (1-based: axis 0 is the batch and stays put),
        e.g. `Permute((2, 1))` swaps the two axes of (batch, steps, features).
    """

    def __init__(self, dims, name=None):
        super().__init__(name=name)
        if (not isinstance(dims, (tuple, list)) or not all(is_int(d) for d in dims)
                or sorted(dims) != list(range(1, len(dims) + 1))):
            raise ValueError("%s: dims must be a permutation of 1..k (1-based, the batch axis "
                             "stays first), got %r" % (self.name, dims))
        self.dims = tuple(int(d) for d in dims)

    def call(self, inputs, training=False):
        """y = transpose(x, (0,) + dims): axis a + 1 of y is axis dims[a] of x."""
        if inputs.shape.rank != len(self.dims) + 1:
            raise ValueError("%s: dims %r permute %d axes, so the input must have rank %d, got "
                             "shape %s" % (self.name, self.dims, len(self.dims),
                                           len(self.dims) + 1, inputs.shape))
        return tf.transpose(inputs, (0,) + self.dims)


class RepeatVector(Module):
    """Repeats each vector n times: (batch, features) -> (batch, n, features), y[b, t] = x[b].

    Args:
      n: the number of copies (> 0). Its gradient sums the n copies' gradients.
    """

    def __init__(self, n, name=None):
        super().__init__(name=name)
        self.n = positive_int(n, self.name, "n")

    def call(self, inputs, training=False):
        """y[n, t, :] = x[n, :] for t < n_copies."""
        check_rank(inputs, 2, self.name, "(batch, features)")
        return tf.tile(tf.expand_dims(inputs, 1), [1, self.n, 1])
