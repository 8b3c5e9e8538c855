"""Learners' solutions for the checker's tests: correct ones from scratch, and subtly wrong ones.

The correct ones use no op that computes the exercise whole (no tf.nn.conv2d in
conv2d, no tf.nn.softmax in softmax); each wrong one has one bug a learner makes.
"""

import tensorflow as tf


def dense(x, w, b):
    return tf.matmul(x, w) + b


def relu(x):
    return tf.where(x > 0, x, tf.zeros_like(x))


def sigmoid(x):
    return 1.0 / (1.0 + tf.exp(-x))


def softmax(x):
    e = tf.exp(x - tf.reduce_max(x, axis=-1, keepdims=True))
    return e / tf.reduce_sum(e, axis=-1, keepdims=True)


def softmax_cross_entropy(labels, logits):
    shifted = logits - tf.reduce_max(logits, axis=-1, keepdims=True)
    log_p = shifted - tf.math.log(tf.reduce_sum(tf.exp(shifted), axis=-1, keepdims=True))
    return -tf.reduce_sum(labels * log_p, axis=-1)


def _same_pads(size, window, stride):
    out = -(-size // stride)
    total = max((out - 1) * stride + window - size, 0)
    return total // 2, total - total // 2  # the extra zero goes after


def _patches(x, window, strides, padding, fill=0.0, swap=False):
    (kh, kw), (sh, sw) = window, strides
    if padding == "SAME":
        top, bottom = _same_pads(x.shape[1], kh, sh)
        left, right = _same_pads(x.shape[2], kw, sw)
        if swap:  # the bug: the extra zero before, not after
            top, bottom, left, right = bottom, top, right, left
        x = tf.pad(x, [[0, 0], [top, bottom], [left, right], [0, 0]], constant_values=fill)
    return tf.image.extract_patches(x, [1, kh, kw, 1], [1, sh, sw, 1], [1, 1, 1, 1], "VALID")


def conv2d(x, kernel, strides, padding):
    kh, kw, cin, cout = kernel.shape
    patches = _patches(x, (kh, kw), strides, padding)
    return tf.tensordot(patches, tf.reshape(kernel, [kh * kw * cin, cout]), axes=1)


def conv2d_padding_off_by_one(x, kernel, strides, padding):
    kh, kw, cin, cout = kernel.shape
    patches = _patches(x, (kh, kw), strides, padding, swap=True)
    return tf.tensordot(patches, tf.reshape(kernel, [kh * kw * cin, cout]), axes=1)


def conv2d_transposed_kernel(x, kernel, strides, padding):
    """Reads the kernel's rows as columns: right only for symmetric kernels."""
    kh, kw, cin, cout = kernel.shape
    patches = _patches(x, (kw, kh), strides, padding)
    flipped = tf.transpose(kernel, [1, 0, 2, 3])
    return tf.tensordot(patches, tf.reshape(flipped, [kh * kw * cin, cout]), axes=1)


def _windows(x, pool_size, strides, padding, fill):
    """(batch, out_h, out_w, window cells, channels)."""
    patches = _patches(x, pool_size, strides, padding, fill)
    shape = tf.shape(patches)
    cells = pool_size[0] * pool_size[1]
    return tf.reshape(patches, [shape[0], shape[1], shape[2], cells, x.shape[-1]])


def max_pool2d(x, pool_size, strides, padding):
    return tf.reduce_max(_windows(x, pool_size, strides, padding, fill=-1e300), axis=3)


def avg_pool2d(x, pool_size, strides, padding):
    total = tf.reduce_sum(_windows(x, pool_size, strides, padding, 0.0), axis=3)
    count = tf.reduce_sum(_windows(tf.ones_like(x), pool_size, strides, padding, 0.0), axis=3)
    return total / count


def avg_pool2d_counting_padding(x, pool_size, strides, padding):
    """Divides by the window's size, padded zeros included."""
    return tf.reduce_mean(_windows(x, pool_size, strides, padding, 0.0), axis=3)


def batch_norm(x, gamma, beta, epsilon):
    axes = list(range(x.shape.rank - 1))
    mean = tf.reduce_mean(x, axis=axes)
    variance = tf.reduce_mean(tf.square(x - mean), axis=axes)
    return gamma * (x - mean) / tf.sqrt(variance + epsilon) + beta


def _batch_norm_with_backward(x, gamma, beta, epsilon, backward):
    """Training-mode batch norm whose gradient is `backward(dy, x_hat, inv, gamma, axes)`."""
    axes = list(range(x.shape.rank - 1))

    @tf.custom_gradient
    def normalize(x, gamma, beta):
        mean = tf.reduce_mean(x, axis=axes)
        inv = tf.math.rsqrt(tf.reduce_mean(tf.square(x - mean), axis=axes) + epsilon)
        x_hat = (x - mean) * inv

        def grad(dy):
            return backward(dy, x_hat, inv, gamma, axes)

        return gamma * x_hat + beta, grad

    return normalize(x, gamma, beta)


def _three_terms(dy, x_hat, inv, gamma, axes):
    n = tf.cast(tf.size(x_hat) // tf.size(gamma), x_hat.dtype)
    d_hat = dy * gamma
    dx = inv / n * (n * d_hat - tf.reduce_sum(d_hat, axes) - x_hat * tf.reduce_sum(d_hat * x_hat, axes))
    return dx, tf.reduce_sum(dy * x_hat, axes), tf.reduce_sum(dy, axes)


def _first_term_only(dy, x_hat, inv, gamma, axes):
    return dy * gamma * inv, tf.reduce_sum(dy * x_hat, axes), tf.reduce_sum(dy, axes)


def batch_norm_manual_gradient(x, gamma, beta, epsilon):
    """The three-term backward pass for dx, written out (tf.custom_gradient)."""
    return _batch_norm_with_backward(x, gamma, beta, epsilon, _three_terms)


def batch_norm_wrong_gradient(x, gamma, beta, epsilon):
    """Forward right; backward forgets the two terms that come from the batch statistics."""
    return _batch_norm_with_backward(x, gamma, beta, epsilon, _first_term_only)


def dropout(x, keep_mask, rate):
    return x * keep_mask / (1.0 - rate)


def lstm_cell(x, h, c, kernel, recurrent_kernel, bias):
    z = tf.matmul(x, kernel) + tf.matmul(h, recurrent_kernel) + bias
    z_i, z_f, z_c, z_o = tf.split(z, 4, axis=1)
    c = tf.sigmoid(z_f) * c + tf.sigmoid(z_i) * tf.tanh(z_c)
    return tf.sigmoid(z_o) * tf.tanh(c), c


def lstm_cell_gates_swapped(x, h, c, kernel, recurrent_kernel, bias):
    """Reads the gate blocks in the order i, c, f, o (BlockLSTM's) instead of Keras's i, f, c, o."""
    z = tf.matmul(x, kernel) + tf.matmul(h, recurrent_kernel) + bias
    z_i, z_c, z_f, z_o = tf.split(z, 4, axis=1)
    c = tf.sigmoid(z_f) * c + tf.sigmoid(z_i) * tf.tanh(z_c)
    return tf.sigmoid(z_o) * tf.tanh(c), c


def gru_cell(x, h, kernel, recurrent_kernel, bias):
    x_z, x_r, x_h = tf.split(tf.matmul(x, kernel) + bias[0], 3, axis=1)
    h_z, h_r, h_h = tf.split(tf.matmul(h, recurrent_kernel) + bias[1], 3, axis=1)
    z, r = tf.sigmoid(x_z + h_z), tf.sigmoid(x_r + h_r)
    return z * h + (1.0 - z) * tf.tanh(x_h + r * h_h)


@tf.custom_gradient
def _sigmoid_wrong_backward(x):
    s = 1.0 / (1.0 + tf.exp(-x))

    def grad(dy):
        return dy * s * (1.0 + s)  # should be s (1 - s)

    return s, grad


def sigmoid_wrong_gradient(x):
    return _sigmoid_wrong_backward(x)


def relu_raises(x):
    return tf.maximum(x, 0.0) + undefined_name  # noqa: F821 - the learner's bug


def dense_returns_wrong_shape(x, w, b):
    return tf.matmul(x, w)[:, :1] + b[:1]


def dense_in_float32(x, w, b):
    return tf.matmul(tf.cast(x, tf.float32), tf.cast(w, tf.float32)) + tf.cast(b, tf.float32)


def lstm_cell_returns_h_only(x, h, c, kernel, recurrent_kernel, bias):
    return lstm_cell(x, h, c, kernel, recurrent_kernel, bias)[0]


def relu_with_other_argument_names(features):
    return tf.maximum(features, tf.zeros_like(features))


def attention(q, k, v, mask):
    scores = tf.matmul(q, k, transpose_b=True) / tf.sqrt(tf.cast(tf.shape(q)[-1], q.dtype))
    scores = tf.where(tf.expand_dims(mask, 1) > 0, scores, tf.fill(tf.shape(scores), q.dtype.min))
    weights = tf.exp(scores - tf.reduce_max(scores, axis=-1, keepdims=True))
    return tf.matmul(weights / tf.reduce_sum(weights, axis=-1, keepdims=True), v)


def attention_softmax_over_queries(q, k, v, mask):
    scores = tf.matmul(q, k, transpose_b=True) / tf.sqrt(tf.cast(tf.shape(q)[-1], q.dtype))
    scores += -1e9 * (1.0 - tf.expand_dims(mask, 1))
    return tf.matmul(tf.nn.softmax(scores, axis=1), v)
