"""Gradient rules of ops that reduce, reshape, cut and join arrays.

These move numbers around without changing them, so their gradients move the
output's gradient back: a reshape is undone by a reshape, a transpose by the
inverse permutation, a slice by padding with zeros, a concatenation by a split,
and a reduction by broadcasting back (every input element of a sum receives
the gradient of the sum it went into). Integer inputs (shapes, axes,
permutations) get None.
"""

import tensorflow as tf

from tfcore.autodiff.rules import reduced_shape, register


@register("Reshape", "ExpandDims", "Squeeze")
def reshape(op, grad):
    """Same numbers in another shape: x̄ = z̄ reshaped to x's shape."""
    return [tf.reshape(grad, tf.shape(op.inputs[0]))] + [None] * (len(op.inputs) - 1)


@register("Transpose")
def transpose(op, grad):
    """z = transpose(x, perm), z_(i_perm) = x_i: x̄ = transpose(z̄, perm⁻¹)."""
    return [tf.transpose(grad, tf.math.invert_permutation(op.inputs[1])), None]


@register("Sum")
def sum_(op, grad):
    """z = Σ_axes x: every x element in a sum gets that sum's gradient, x̄ = broadcast(z̄)."""
    x, axes = op.inputs
    x_shape = tf.shape(x)
    return [tf.broadcast_to(tf.reshape(grad, reduced_shape(x_shape, axes)), x_shape), None]


@register("Mean")
def mean(op, grad):
    """z = Σ_axes x / n, n the number of elements averaged: x̄ = broadcast(z̄) / n."""
    sum_grad, _ = sum_(op, grad)
    n = tf.size(op.inputs[0]) // tf.maximum(tf.size(op.outputs[0]), 1)
    return [sum_grad / tf.cast(n, grad.dtype), None]


@register("Max", "Min")
def max_min(op, grad):
    """z = max_axes x: the gradient goes to the largest elements, shared equally on a tie."""
    x, axes = op.inputs
    kept = reduced_shape(tf.shape(x), axes)
    chosen = tf.cast(tf.equal(x, tf.reshape(op.outputs[0], kept)), grad.dtype)
    ties = tf.reshape(tf.reduce_sum(chosen, axes), kept)
    return [chosen / ties * tf.reshape(grad, kept), None]


@register("Prod")
def prod(op, grad):
    """z = Π_axes x: x̄_i = z̄ Π_{j≠i} x_j, the product of the *others* (not z / x_i: x_i may be 0).

    The others' product is (product of those before i) × (product of those
    after i): two exclusive cumulative products, over the reduced axes moved
    last and flattened into one.
    """
    x, axes = op.inputs
    rank = tf.rank(x)
    axes = (tf.cast(tf.reshape(axes, [-1]), rank.dtype) + rank) % rank
    is_reduced = tf.reduce_any(tf.equal(tf.range(rank)[:, None], axes[None, :]), axis=1)
    others_axes = tf.boolean_mask(tf.range(rank), tf.logical_not(is_reduced))
    perm = tf.concat([others_axes, axes], 0)
    moved = tf.transpose(x, perm)
    flat = tf.reshape(moved, [tf.reduce_prod(tf.gather(tf.shape(x), others_axes)), -1])
    others = (tf.math.cumprod(flat, axis=1, exclusive=True)
              * tf.math.cumprod(flat, axis=1, exclusive=True, reverse=True))
    x_bar = tf.transpose(tf.reshape(others, tf.shape(moved)), tf.math.invert_permutation(perm))
    x_shape = tf.shape(x)
    return [x_bar * tf.broadcast_to(tf.reshape(grad, reduced_shape(x_shape, axes)), x_shape), None]


@register("BroadcastTo")
def broadcast_to(op, grad):
    """z = x repeated along new or size-1 axes: x̄ = z̄ summed over those axes."""
    x_shape = tf.shape(op.inputs[0])
    axes, _ = tf.raw_ops.BroadcastGradientArgs(s0=x_shape, s1=tf.shape(op.outputs[0]))
    return [tf.reshape(tf.reduce_sum(grad, axis=axes), x_shape), None]


@register("Fill")
def fill(op, grad):
    """z = a tensor of one value v: v̄ = Σ z̄."""
    return [None, tf.reduce_sum(grad)]


@register("ConcatV2")
def concat(op, grad):
    """z = [x1, x2, ...] along an axis: cut z̄ back into pieces of each x's size."""
    *values, axis = op.inputs
    axis = tf.cast(axis, tf.int32) % tf.rank(values[0])
    sizes = tf.stack([tf.gather(tf.shape(v), axis) for v in values])
    return tf.split(grad, sizes, axis=axis, num=len(values)) + [None]


def _concat(op, grads, axis):
    """The outputs' gradients joined along `axis` (zeros for an output no path uses)."""
    grads = [tf.zeros_like(z) if g is None else g for z, g in zip(op.outputs, grads)]
    return tf.concat(grads, axis)


@register("Split")
def split(op, *grads):
    """[z1, ..., zn] = split(x) into equal pieces: x̄ = concat(z̄1, ..., z̄n)."""
    axis, _ = op.inputs
    return [None, _concat(op, grads, axis)]


@register("SplitV")
def split_v(op, *grads):
    """[z1, ..., zn] = split(x, sizes): x̄ = concat(z̄1, ..., z̄n)."""
    return [_concat(op, grads, op.inputs[2]), None, None]


@register("Pack")
def pack(op, grad):
    """z = stack(x1, ..., xn) along a new axis: x̄_i = z̄'s slice i along it."""
    return tf.unstack(grad, num=len(op.inputs), axis=op.get_attr("axis"))


@register("Unpack")
def unpack(op, *grads):
    """[z1, ..., zn] = unstack(x): x̄ = stack(z̄1, ..., z̄n)."""
    grads = [tf.zeros_like(z) if g is None else g for z, g in zip(op.outputs, grads)]
    return [tf.stack(grads, axis=op.get_attr("axis"))]


@register("Slice")
def slice_(op, grad):
    """z = x[begin : begin + size]: x̄ = z̄ padded with zeros back to x's shape."""
    x, begin, _ = op.inputs
    after = tf.shape(x, out_type=begin.dtype) - begin - tf.shape(op.outputs[0], out_type=begin.dtype)
    return [tf.pad(grad, tf.stack([begin, after], axis=1)), None, None]


@register("StridedSlice")
def strided_slice(op, grad):
    """z = x[b:e:s, ...]: x̄ = zeros of x's shape with z̄ scattered where z was read.

    The kernel `StridedSliceGrad` does the scattering, decoding the same masks
    (begin_mask, end_mask, ellipsis_mask, new_axis_mask, shrink_axis_mask).
    """
    x, begin, end, strides = op.inputs
    masks = {name: op.get_attr(name) for name in ("begin_mask", "end_mask", "ellipsis_mask",
                                                  "new_axis_mask", "shrink_axis_mask")}
    return [tf.raw_ops.StridedSliceGrad(shape=tf.shape(x, out_type=begin.dtype), begin=begin, end=end,
                                        strides=strides, dy=grad, **masks), None, None, None]


@register("Pad", "PadV2")
def pad(op, grad):
    """z = x with zeros (or a constant) around it: x̄ = the middle of z̄, where x was."""
    x, paddings = op.inputs[:2]
    begin = paddings[:, 0]
    return [tf.slice(grad, begin, tf.shape(x, out_type=begin.dtype)), None] + [None] * (len(op.inputs) - 2)
