"""Merge layers: combine a list of tensors into one.

Elementwise merges take tensors of the same shape (or shapes that broadcast,
as NumPy's do, ignoring the batch axis) and combine them position by position:

    Add:       y = x_1 + x_2 + ... + x_k
    Subtract:  y = x_1 - x_2                         (exactly two inputs)
    Multiply:  y = x_1 * x_2 * ... * x_k
    Average:   y = (x_1 + ... + x_k) / k
    Maximum:   y = max(x_1, ..., x_k)               elementwise
    Minimum:   y = min(x_1, ..., x_k)               elementwise

Concatenate joins them along one axis instead; all other sizes must agree.

Gradients: the sum passes its gradient to every input unchanged, the product
multiplies it by the other inputs, the average divides it by k, and the
maximum / minimum sends it to the input that won at each position (on a tie,
TensorFlow's pairwise `tf.maximum` splits it evenly, as Keras's does).

Inputs of different ranks (e.g. (batch, 8) with (batch, 4, 8)) are given
extra axes of size 1 right after the batch axis until the ranks agree, the
rule Keras uses, and then broadcast.
"""

import numbers

import tensorflow as tf

from tfcore.module import Module


def _check_list(layer, inputs, least):
    if not isinstance(inputs, (list, tuple)) or len(inputs) < least:
        raise ValueError("%s: call it on a list of at least %d tensors, got %r"
                         % (layer, least, inputs))
    if any(x.shape.rank is None for x in inputs):
        raise ValueError("%s: every input needs a known rank, got shapes %s"
                         % (layer, [x.shape for x in inputs]))


def _broadcast_inner(layer, shapes):
    """Keras's shape rule: inner sizes agree or one of them is 1 (unknown sizes pass)."""
    rank = max(s.rank for s in shapes)
    inner = [[1] * (rank - s.rank) + s.as_list()[1:] for s in shapes]
    for sizes in zip(*inner):
        known = {d for d in sizes if d is not None and d != 1}
        if len(known) > 1:
            raise ValueError("%s: inputs have incompatible shapes %s (their non-batch sizes must "
                             "be equal or 1)" % (layer, [s.as_list() for s in shapes]))


class _Merge(Module):
    """Shared checks of the elementwise merges; subclasses define `_merge(list of tensors)`."""

    min_inputs = 1

    def build(self, input_shape):
        if not isinstance(input_shape, list):
            raise ValueError("%s: a merge layer is called on a list of tensors, got one of shape %s"
                             % (self.name, input_shape))

    def call(self, inputs, training=False):
        """y = the elementwise merge of the inputs (each subclass's `_merge`), after Keras's rank rule."""
        _check_list(self.name, inputs, self.min_inputs)
        _broadcast_inner(self.name, [x.shape for x in inputs])
        rank = max(x.shape.rank for x in inputs)
        # Lower-rank inputs get size-1 axes after the batch axis, then broadcast.
        expanded = []
        for x in inputs:
            for _ in range(rank - x.shape.rank):
                x = tf.expand_dims(x, 1)
            expanded.append(x)
        return self._merge(expanded)

    def _merge(self, inputs):
        raise NotImplementedError


def _fold(op, inputs):
    y = inputs[0]
    for x in inputs[1:]:
        y = op(y, x)
    return y


class Add(_Merge):
    """y = x_1 + ... + x_k (elementwise)."""

    def _merge(self, inputs):
        return _fold(tf.add, inputs)


class Subtract(_Merge):
    """y = x_1 - x_2 (exactly two inputs)."""

    min_inputs = 2

    def _merge(self, inputs):
        if len(inputs) != 2:
            raise ValueError("%s: Subtract takes exactly 2 inputs, got %d" % (self.name, len(inputs)))
        return inputs[0] - inputs[1]


class Multiply(_Merge):
    """y = x_1 * ... * x_k (elementwise)."""

    def _merge(self, inputs):
        return _fold(tf.multiply, inputs)


class Average(_Merge):
    """y = (x_1 + ... + x_k) / k."""

    def _merge(self, inputs):
        return _fold(tf.add, inputs) / tf.cast(len(inputs), inputs[0].dtype)


class Maximum(_Merge):
    """y = max(x_1, ..., x_k) elementwise."""

    def _merge(self, inputs):
        return _fold(tf.maximum, inputs)


class Minimum(_Merge):
    """y = min(x_1, ..., x_k) elementwise."""

    def _merge(self, inputs):
        return _fold(tf.minimum, inputs)


class Concatenate(Module):
    """Joins a list of tensors along `axis`: y = [x_1 | x_2 | ... | x_k].

    Args:
      axis: the axis to join along (default -1, the features); negative counts
        from the end. The batch axis 0 is allowed, as in Keras. All other sizes
        must agree. The gradient splits the output's gradient back into pieces.
    """

    def __init__(self, axis=-1, name=None):
        super().__init__(name=name)
        if not isinstance(axis, numbers.Integral) or isinstance(axis, bool):
            raise ValueError("%s: axis must be an int, got %r" % (self.name, axis))
        self.axis = int(axis)

    def call(self, inputs, training=False):
        """y = [x_1 | x_2 | ... | x_k] along `axis`."""
        _check_list(self.name, inputs, 1)
        rank = inputs[0].shape.rank
        if any(x.shape.rank != rank for x in inputs) or not -rank <= self.axis < rank:
            raise ValueError("%s: inputs must share one rank that has axis %d, got shapes %s"
                             % (self.name, self.axis, [x.shape.as_list() for x in inputs]))
        axis = self.axis % rank
        for a in range(1, rank):
            known = {x.shape[a] for x in inputs if x.shape[a] is not None}
            if a != axis and len(known) > 1:
                raise ValueError("%s: to concatenate along axis %d the other sizes must agree, "
                                 "got shapes %s" % (self.name, self.axis,
                                                    [x.shape.as_list() for x in inputs]))
        return tf.concat(list(inputs), axis=axis)
