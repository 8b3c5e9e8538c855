"""The gradient rules' table, and the broadcasting rule every elementwise op shares.

A rule differentiates one op type. It receives the forward op (its `inputs`,
`outputs` and attributes: `op.get_attr("transpose_a")`) and the gradient of
each output, and returns the gradient of each input (None for an input that
carries none, such as an integer shape or axis):

    @register("Mul")
    def mul(op, grad):                 # z = x * y
        x, y = op.inputs
        return unbroadcast(grad * y, x, grad), unbroadcast(grad * x, y, grad)

It is the same signature as `tf.RegisterGradient`'s functions. An op with
several outputs gets one gradient per output, None for an output no path uses
(the rule decides what None means; usually zeros).

**Broadcasting.** z = x + b with x of shape (2, 3) and b of shape (3,) uses
each b_j twice (once per row), so b̄_j = Σ_i z̄_ij: the gradient of a
broadcast input is the output's gradient *summed over the axes it was
broadcast along*, then reshaped to the input's shape. TensorFlow's kernel
`BroadcastGradientArgs(shape_x, shape_z)` returns those axes (for x and z
here: [] and [0] for b against z).
"""

import tensorflow as tf

RULES = {}  # op type -> rule(op, *output_grads) -> input grads


def register(*op_types):
    """Decorator: `@register("Softplus")` makes the function the rule for those op types."""
    def add(rule):
        for op_type in op_types:
            RULES[op_type] = rule
        return rule
    return add


def trainable(t):
    """Whether a tensor can carry a gradient: floating point, complex, or a resource handle."""
    return t.dtype.is_floating or t.dtype.is_complex or t.dtype in (tf.resource, tf.variant)


def unbroadcast(grad, x, z):
    """grad (shaped like the output z) summed over the axes x was broadcast along, shaped like x."""
    if x.shape.is_fully_defined() and x.shape == z.shape:
        return grad  # known to be the same shape: nothing was broadcast (TensorFlow skips it too)
    x_shape = tf.shape(x)
    axes, _ = tf.raw_ops.BroadcastGradientArgs(s0=x_shape, s1=tf.shape(z))
    return tf.reshape(tf.reduce_sum(grad, axis=axes), x_shape)


def binary(op, grad, grad_x, grad_y):
    """The two inputs' gradients of an elementwise binary op, each summed back to its shape."""
    x, y = op.inputs
    z = op.outputs[0]
    return unbroadcast(grad_x, x, z), unbroadcast(grad_y, y, z)


def reduced_shape(shape, axes):
    """`shape` with the reduced `axes` set to 1 (what keepdims=True gives): [2, 3], [1] -> [2, 1]."""
    rank = tf.size(shape)
    axes = (tf.cast(tf.reshape(axes, [-1]), rank.dtype) + rank) % rank  # negative: from the end
    is_reduced = tf.reduce_any(tf.equal(tf.range(rank)[:, None], axes[None, :]), axis=1)
    return tf.where(is_reduced, tf.ones_like(shape), shape)


@register("StopGradient", "Shape", "ShapeN", "Size", "Rank", "ZerosLike", "OnesLike")
def not_differentiable(op, *grads):
    """No gradient flows through: stop_gradient says so; the others' outputs do not depend on values."""
    return [None] * len(op.inputs)
