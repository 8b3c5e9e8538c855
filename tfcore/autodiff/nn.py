"""Gradient rules of the layers' ops: matrix products, bias, softmax, cross-entropy, convolution, pooling.

The matrix product is the model of them all. For Z = X W (X: n×k, W: k×m),
Z_ij = Σ_l X_il W_lj, so ∂L/∂X_il = Σ_j Z̄_ij W_lj and ∂L/∂W_lj = Σ_i X_il Z̄_ij:

    X̄ = Z̄ Wᵀ        W̄ = Xᵀ Z̄

Convolution is a matrix product over image patches, so its rule has the same
two halves (gradient of the input, of the filter); TensorFlow's kernels
`Conv2DBackpropInput` and `Conv2DBackpropFilter` compute them without forming
the patches, as `MaxPoolGrad` and `AvgPoolGrad` route a pool's gradient back to
its window. The rule's lesson is the wiring: which tensors go in, which
attributes must match the forward op.
"""

import tensorflow as tf

from tfcore.autodiff.rules import register, unbroadcast


@register("MatMul")
def matmul(op, grad):
    """Z = op(A) op(B), op a transpose or not: Ā = Z̄ Bᵀ, B̄ = Aᵀ Z̄, with the flags carried through.

    With transpose_a (Z = Aᵀ B): Ā = (Z̄ Bᵀ)ᵀ = B Z̄ᵀ; with transpose_b likewise.
    """
    a, b = op.inputs
    t_a, t_b = op.get_attr("transpose_a"), op.get_attr("transpose_b")
    if not t_a and not t_b:
        return tf.matmul(grad, b, transpose_b=True), tf.matmul(a, grad, transpose_a=True)
    if not t_a and t_b:
        return tf.matmul(grad, b), tf.matmul(grad, a, transpose_a=True)
    if t_a and not t_b:
        return tf.matmul(b, grad, transpose_b=True), tf.matmul(a, grad)
    return (tf.matmul(b, grad, transpose_a=True, transpose_b=True),
            tf.matmul(grad, a, transpose_a=True, transpose_b=True))


@register("BatchMatMulV2", "BatchMatMulV3")
def batch_matmul(op, grad):
    """The matrix-product rule on each matrix of a batch, then summed over broadcast batch axes."""
    x, y = op.inputs
    adj_x, adj_y = op.get_attr("adj_x"), op.get_attr("adj_y")
    mm = tf.linalg.matmul
    if not adj_x and not adj_y:
        gx, gy = mm(grad, y, adjoint_b=True), mm(x, grad, adjoint_a=True)
    elif not adj_x and adj_y:
        gx, gy = mm(grad, y), mm(grad, x, adjoint_a=True)
    elif adj_x and not adj_y:
        gx, gy = mm(y, grad, adjoint_b=True), mm(x, grad)
    else:
        gx, gy = mm(y, grad, adjoint_a=True, adjoint_b=True), mm(grad, x, adjoint_a=True, adjoint_b=True)
    # The batch axes broadcast like an elementwise op's: sum each gradient back over them.
    return _batch_unbroadcast(gx, x, grad), _batch_unbroadcast(gy, y, grad)


def _batch_unbroadcast(g, x, z):
    x_shape = tf.shape(x)
    axes, _ = tf.raw_ops.BroadcastGradientArgs(s0=x_shape[:-2], s1=tf.shape(z)[:-2])
    return tf.reshape(tf.reduce_sum(g, axis=axes), x_shape)


@register("BiasAdd")
def bias_add(op, grad):
    """z = x + b along the channel axis: x̄ = z̄, b̄ = z̄ summed over every other axis."""
    rank = tf.rank(grad)
    if op.get_attr("data_format") == b"NCHW":
        axes = tf.concat([[0], tf.range(2, rank)], 0)  # channels are axis 1
    else:
        axes = tf.range(rank - 1)  # channels are last
    return grad, tf.reduce_sum(grad, axis=axes)


@register("Softmax")
def softmax(op, grad):
    """p = softmax(x) over the last axis, ∂p_i/∂x_j = p_i (δ_ij - p_j): x̄ = (p̄ - Σ_j p̄_j p_j) p."""
    p = op.outputs[0]
    return [(grad - tf.reduce_sum(grad * p, axis=-1, keepdims=True)) * p]


@register("LogSoftmax")
def log_softmax(op, grad):
    """z = x - log Σ eˣ, ∂z_i/∂x_j = δ_ij - p_j with p = e^z: x̄ = z̄ - (Σ_i z̄_i) p."""
    return [grad - tf.reduce_sum(grad, axis=-1, keepdims=True) * tf.exp(op.outputs[0])]


@register("SoftmaxCrossEntropyWithLogits")
def softmax_cross_entropy(op, grad_loss, grad_backprop):
    """loss = -Σ y log softmax(x) per row; the op's second output is already ∂loss/∂x = p - y.

    x̄ = loss̄ (p - y),  ȳ = -loss̄ log softmax(x). If something used the second
    output too (a gradient of the gradient), its gradient b̄ adds the softmax
    Jacobian applied to it: (b̄ - Σ_j b̄_j p_j) p.
    """
    logits = op.inputs[0]
    grad_loss = grad_loss[:, None] if grad_loss is not None else tf.zeros_like(op.outputs[0])[:, None]
    grad_logits = grad_loss * op.outputs[1]
    if grad_backprop is not None:
        p = tf.nn.softmax(logits)
        grad_logits += (grad_backprop - tf.reduce_sum(grad_backprop * p, -1, keepdims=True)) * p
    return grad_logits, grad_loss * -tf.nn.log_softmax(logits)


def _attrs(op, *names):
    return {name: op.get_attr(name) for name in names}


@register("Conv2D")
def conv2d(op, grad):
    """Y = X ⋆ K (per patch, y = patch · K): X̄ = Ȳ spread back through K, K̄ = Σ_patches patchᵀ Ȳ."""
    x, kernel = op.inputs
    same = _attrs(op, "strides", "padding", "explicit_paddings", "use_cudnn_on_gpu",
                  "data_format", "dilations")
    return (tf.raw_ops.Conv2DBackpropInput(input_sizes=tf.shape(x), filter=kernel, out_backprop=grad, **same),
            tf.raw_ops.Conv2DBackpropFilter(input=x, filter_sizes=tf.shape(kernel), out_backprop=grad, **same))


@register("MaxPool")
def max_pool(op, grad):
    """y = max of a window: the whole gradient goes to the window's largest element."""
    same = _attrs(op, "ksize", "strides", "padding", "explicit_paddings", "data_format")
    return [tf.raw_ops.MaxPoolGrad(orig_input=op.inputs[0], orig_output=op.outputs[0], grad=grad, **same)]


@register("AvgPool")
def avg_pool(op, grad):
    """y = mean of a window of n elements (n counts only real pixels with SAME): each gets ȳ / n."""
    same = _attrs(op, "ksize", "strides", "padding", "data_format")
    return [tf.raw_ops.AvgPoolGrad(orig_input_shape=tf.shape(op.inputs[0]), grad=grad, **same)]


@register("BlockLSTM", "BlockLSTMV2")
def block_lstm(op, *grads):
    """The fused LSTM over a whole sequence: its kernel `BlockLSTMGrad` runs backprop through time.

    Of the seven outputs (i, cs, f, o, ci, co, h) the gradient flows in through
    the cell states cs and the hidden states h; the kernel walks the steps
    backwards with the gates the forward pass saved.
    """
    outputs = list(op.outputs)
    cs_grad, h_grad = [tf.zeros_like(outputs[k]) if grads[k] is None else grads[k] for k in (1, 6)]
    grad_op = tf.raw_ops.BlockLSTMGrad if op.type == "BlockLSTM" else tf.raw_ops.BlockLSTMGradV2
    names = ("seq_len_max", "x", "cs_prev", "h_prev", "w", "wci", "wcf", "wco", "b")
    out_names = ("i", "cs", "f", "o", "ci", "co", "h")
    returned = grad_op(**dict(zip(names, op.inputs)), **dict(zip(out_names, outputs)),
                       cs_grad=cs_grad, h_grad=h_grad, use_peephole=op.get_attr("use_peephole"))
    return [None] + list(returned)


def _einsum_subscripts(equation):
    """(input subscripts, output subscripts); '...' must be in every operand or in none."""
    inputs, output = equation.replace(" ", "").split("->")
    subscripts = inputs.split(",")
    letters = [s.replace("...", "") for s in subscripts]
    if any(len(set(s)) != len(s) for s in letters) or len({"..." in s for s in subscripts}) > 1:
        raise NotImplementedError(
            "Einsum %r: a repeated index within one operand (a diagonal), or '...' in some operands "
            "only, has no rule here; use fallback=\"tensorflow\"" % equation)
    return subscripts, output


@register("Einsum")
def einsum(op, grad):
    """z = einsum("ab,bc->ac", x, y): x̄ = einsum("ac,bc->ab", z̄, y), and so on for each operand.

    The gradient of an operand is the einsum of z̄ with the *other* operands back to its
    own subscripts: each product term x_ab y_bc feeds z_ac, so x̄_ab = Σ_c z̄_ac y_bc. An
    index only this operand has (summed away in z) cannot come out of that einsum:
    every element along it got the same gradient, so it is broadcast back. Axes of
    '...' that broadcast against the other operands are summed back, as for Add.
    """
    operands = list(op.inputs)
    subscripts, output = _einsum_subscripts(op.get_attr("equation").decode())
    grads = []
    for i, (x, mine) in enumerate(zip(operands, subscripts)):
        others = [s for j, s in enumerate(subscripts) if j != i]
        letters = mine.replace("...", "")
        kept = "".join(c for c in letters if c in output or any(c in s for s in others))
        ellipsis = "..." if "..." in mine else ""
        g = tf.einsum("%s->%s%s" % (",".join([output] + others), ellipsis, kept),
                      grad, *[t for j, t in enumerate(operands) if j != i])
        # The operand-only indices come back as size-1 axes after the '...' axes.
        g_shape = tf.shape(g)
        leading = tf.size(g_shape) - len(kept)
        g = tf.reshape(g, tf.concat([g_shape[:leading]] + [
            g_shape[leading + kept.index(c)][None] if c in kept else [1] for c in letters], 0))
        x_shape = tf.shape(x)
        axes, _ = tf.raw_ops.BroadcastGradientArgs(s0=x_shape, s1=tf.shape(g))
        only_here = tf.constant([False] * (x.shape.rank - len(letters)) + [c not in kept for c in letters],
                                tf.bool)
        summed = tf.reshape(tf.reduce_sum(g, axis=axes), tf.where(only_here, tf.ones_like(x_shape), x_shape))
        grads.append(tf.broadcast_to(summed, x_shape))
    return grads
