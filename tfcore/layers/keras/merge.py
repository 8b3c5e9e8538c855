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

Dot multiplies two tensors example by example and sums over one axis of each
(Keras 2's `batch_dot`): with x of shape (batch, i..., k) and z of shape
(batch, k, j...) (the summed axis k may sit anywhere but the batch axis),

    Dot:       y[n, i..., j...] = sum_k x[n, i..., k] z[n, k, j...]

e.g. (batch, 3, 4) . (batch, 4, 5) -> (batch, 3, 5), and two vectors (batch, k)
give (batch, 1). With normalize=True each input is first divided by its L2
norm along the summed axis, so y is the cosine similarity.

Gradients: the sum passes its gradient to every input unchanged, the product
multiplies it by the other inputs, the average divides it by k, and the
maximum / minimum sends it to the input that won at each position (on a tie,
TensorFlow's pairwise `tf.maximum` splits it evenly, as Keras's does). Dot's
gradient is a dot product too: dL/dx[n, i..., k] = sum_j dL/dy[n, i..., j...] z[n, k, j...].

Inputs of different ranks (e.g. (batch, 8) with (batch, 4, 8)) are given
extra axes of size 1 right after the batch axis until the ranks agree, the
rule Keras uses, and then broadcast.
"""

import string

import tensorflow as tf

from tfcore.checks import check_int, check_tensor_list, normalize_axes, resolve_axes
from tfcore.module import Module


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

    min_inputs, max_inputs = 1, None

    def call(self, inputs, training=False):
        """y = the elementwise merge of the inputs (each subclass's `_merge`), after Keras's rank rule."""
        check_tensor_list(inputs, self.name, self.min_inputs, self.max_inputs)
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

    supports_masking = True

    def compute_mask(self, inputs, mask=None):
        """A position is real in the output where it is real in every input that has a mask."""
        masks = [m for m in (mask or []) if m is not None]
        if not masks:
            return None
        return tf.reduce_all(tf.stack([tf.cast(m, tf.bool) for m in masks]), axis=0)


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

    min_inputs = max_inputs = 2

    def _merge(self, inputs):
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
        self.axis = check_int(axis, self.name, "axis")

    def call(self, inputs, training=False):
        """y = [x_1 | x_2 | ... | x_k] along `axis`."""
        check_tensor_list(inputs, self.name)
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

    supports_masking = True

    def compute_mask(self, inputs, mask=None):
        """Keras's rule: each input's mask (all True where it has none) joined along `axis`,
        then a position is real where every feature of it is."""
        if mask is None or all(m is None for m in mask):
            return None
        pieces = []
        for x, m in zip(inputs, mask):
            if m is None:
                pieces.append(tf.ones_like(x, dtype=tf.bool))
            elif m.shape.rank < x.shape.rank:
                pieces.append(tf.expand_dims(tf.cast(m, tf.bool), -1))
            else:
                pieces.append(tf.cast(m, tf.bool))
        return tf.reduce_all(tf.concat(pieces, axis=self.axis), axis=-1)


def _l2_normalize(x, axis):
    """x / ||x|| along `axis`, as tf.linalg.l2_normalize: x * rsqrt(max(sum x^2, 1e-12))."""
    return x * tf.math.rsqrt(tf.maximum(tf.reduce_sum(tf.square(x), axis, keepdims=True), 1e-12))


class Dot(Module):
    """The dot product of two tensors along one axis of each, example by example.

        y[n, i..., j...] = sum_k x[n, i..., k] z[n, k, j...]

    Args:
      axes: an int (the same axis of both inputs) or a pair (axis of x, axis of z);
        negative counts from the end; the batch axis 0 is refused, as in Keras.
      normalize: L2-normalize both inputs along their axis first (y is then the
        cosine similarity).

    Output: x's axes without the summed one, then z's without the batch and
    the summed one; a rank-1 result gets an axis of size 1 ((batch, 1) for two
    vectors), as Keras's `batch_dot`.
    """

    def __init__(self, axes, normalize=False, name=None):
        super().__init__(name=name)
        self.axes = axes  # as given, as Keras keeps it (an int or a pair)
        self._axis_pair = normalize_axes(axes, self.name, "axes", n=2)
        self.normalize = bool(normalize)

    def _axes(self, x, z):
        """The two summed axes, counted from the front, checked against the inputs."""
        axes = []
        for i, (axis, t) in enumerate(zip(self._axis_pair, (x, z))):
            axes += resolve_axes([axis], t.shape, self.name, "axes", "input %d" % i, batch=False,
                                 given=self.axes)
        sizes = [x.shape[axes[0]], z.shape[axes[1]]]
        if None not in sizes and sizes[0] != sizes[1]:
            raise ValueError("%s: the summed axes differ in size: %d (axis %d of %s) != %d (axis %d of %s)"
                             % (self.name, sizes[0], axes[0], x.shape, sizes[1], axes[1], z.shape))
        batch = [x.shape[0], z.shape[0]]
        if None not in batch and batch[0] != batch[1]:
            raise ValueError("%s: the inputs' batch sizes differ: shapes %s and %s"
                             % (self.name, x.shape, z.shape))
        return axes

    def call(self, inputs, training=False):
        """y[n, i..., j...] = sum_k x[n, i..., k] z[n, k, j...]   (one tf.einsum)."""
        x, z = check_tensor_list(inputs, self.name, 2, 2, min_rank=2)
        ax, az = self._axes(x, z)
        if self.normalize:
            x, z = _l2_normalize(x, ax), _l2_normalize(z, az)
        # One letter per axis: "n" the batch, "k" the summed axis, the others x's and z's own.
        letters = iter(string.ascii_lowercase.replace("n", "").replace("k", ""))
        sx = ["n"] + [next(letters) for _ in range(x.shape.rank - 1)]
        sz = ["n"] + [next(letters) for _ in range(z.shape.rank - 1)]
        sx[ax], sz[az] = "k", "k"
        out = [c for c in sx if c != "k"] + [c for c in sz[1:] if c != "k"]
        y = tf.einsum("%s,%s->%s" % ("".join(sx), "".join(sz), "".join(out)), x, z)
        return tf.expand_dims(y, 1) if y.shape.rank == 1 else y


# -- Keras's functional spellings: build the layer and call it once ------------------------
# `add([a, b])` is `Add()([a, b])`: the layer is made for this one call (its name, such as
# "add_1", still shows in the graph), as Keras 2's `keras.layers.add` does.

def add(inputs, **kwargs):
    """y = x_1 + ... + x_k: `Add(**kwargs)(inputs)`."""
    return Add(**kwargs)(inputs)


def subtract(inputs, **kwargs):
    """y = x_1 - x_2: `Subtract(**kwargs)(inputs)`."""
    return Subtract(**kwargs)(inputs)


def multiply(inputs, **kwargs):
    """y = x_1 * ... * x_k: `Multiply(**kwargs)(inputs)`."""
    return Multiply(**kwargs)(inputs)


def average(inputs, **kwargs):
    """y = (x_1 + ... + x_k) / k: `Average(**kwargs)(inputs)`."""
    return Average(**kwargs)(inputs)


def maximum(inputs, **kwargs):
    """y = max(x_1, ..., x_k) elementwise: `Maximum(**kwargs)(inputs)`."""
    return Maximum(**kwargs)(inputs)


def minimum(inputs, **kwargs):
    """y = min(x_1, ..., x_k) elementwise: `Minimum(**kwargs)(inputs)`."""
    return Minimum(**kwargs)(inputs)


def concatenate(inputs, axis=-1, **kwargs):
    """y = [x_1 | ... | x_k] along `axis`: `Concatenate(axis, **kwargs)(inputs)`."""
    return Concatenate(axis=axis, **kwargs)(inputs)


def dot(inputs, axes, normalize=False, **kwargs):
    """Keras 2's batch dot of two tensors: `Dot(axes, normalize, **kwargs)(inputs)`."""
    return Dot(axes=axes, normalize=normalize, **kwargs)(inputs)
