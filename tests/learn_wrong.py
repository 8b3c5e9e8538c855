"""Wrong solutions a learner writes: at least three per exercise, each with one classic mistake.

Written from scratch as a learner would (not from tfcore/learn/mistakes.py), so
that the checker naming the mistake is a real test of the match. `WRONG` maps
each exercise to `(function, words the failure must contain or None)`.
"""

import tensorflow as tf

from tests import learn_solutions as right


def dense_no_bias(x, w, b):
    return tf.matmul(x, w)


def dense_bias_on_rows(x, w, b):
    return tf.matmul(x, w) + tf.reduce_sum(b)


def dense_relu(x, w, b):
    return tf.maximum(tf.matmul(x, w) + b, 0.0)


def relu_leaky(x):
    return tf.maximum(x, 0.01 * x)


def relu_abs(x):
    return tf.sqrt(x * x)


def relu_wrong_gradient(x):
    @tf.custom_gradient
    def f(x):
        return tf.maximum(x, 0.0), lambda dy: dy  # the gradient of the identity, not of relu
    return f(x)


def sigmoid_sign_flipped(x):
    return 1.0 / (1.0 + tf.exp(x))


def sigmoid_tanh(x):
    return tf.tanh(x)


def sigmoid_overflows(x):
    return tf.exp(x) / (1.0 + tf.exp(x))  # inf / inf = NaN beyond x ~ 709; fine at 40


def softmax_no_max(x):
    e = tf.exp(x)
    return e / tf.reduce_sum(e, axis=-1, keepdims=True)


def softmax_axis_0(x):
    e = tf.exp(x - tf.reduce_max(x, axis=0, keepdims=True))
    return e / tf.reduce_sum(e, axis=0, keepdims=True)


def softmax_whole_tensor(x):
    e = tf.exp(x - tf.reduce_max(x))
    return e / tf.reduce_sum(e)


def softmax_cross_entropy_no_max(labels, logits):
    e = tf.exp(logits)
    return -tf.reduce_sum(labels * tf.math.log(e / tf.reduce_sum(e, axis=-1, keepdims=True)), axis=-1)


def softmax_cross_entropy_log_of_softmax(labels, logits):
    return -tf.reduce_sum(labels * tf.math.log(right.softmax(logits)), axis=-1)


def softmax_cross_entropy_arguments_swapped(labels, logits):
    return right.softmax_cross_entropy(logits, labels)  # the helper takes (labels, logits)


def softmax_cross_entropy_mean_over_classes(labels, logits):
    return right.softmax_cross_entropy(labels, logits) / int(logits.shape[-1])


def _padded(x, window, strides, padding, fill, before):
    """SAME padding with the extra zero `before` on (rows, cols), or after."""
    if padding != "SAME":
        return x
    pads = []
    for axis, size in enumerate(window):
        n, s = int(x.shape[axis + 1]), strides[axis]
        total = max((-(-n // s) - 1) * s + size - n, 0)
        pads.append([total - total // 2, total // 2] if before[axis] else [total // 2, total - total // 2])
    return tf.pad(x, [[0, 0]] + pads + [[0, 0]], constant_values=fill)


def _conv(x, kernel, strides, padding, before=(False, False)):
    kh, kw, cin, cout = kernel.shape
    x = _padded(x, (kh, kw), strides, padding, 0.0, before)
    patches = tf.image.extract_patches(x, [1, kh, kw, 1], [1, *strides, 1], [1, 1, 1, 1], "VALID")
    return tf.tensordot(patches, tf.reshape(kernel, [kh * kw * cin, cout]), axes=1)


def conv2d_extra_zero_before(x, kernel, strides, padding):
    return _conv(x, kernel, strides, padding, before=(True, True))


def conv2d_extra_zero_before_on_columns(x, kernel, strides, padding):
    return _conv(x, kernel, strides, padding, before=(False, True))


def conv2d_flipped_kernel(x, kernel, strides, padding):
    return _conv(x, kernel[::-1, ::-1], strides, padding)


def _pool(x, pool_size, strides, padding, reduce, fill, before=(False, False)):
    x = _padded(x, pool_size, strides, padding, fill, before)
    patches = tf.image.extract_patches(x, [1, *pool_size, 1], [1, *strides, 1], [1, 1, 1, 1], "VALID")
    shape = tf.shape(patches)
    windows = tf.reshape(patches, [shape[0], shape[1], shape[2], pool_size[0] * pool_size[1], x.shape[-1]])
    return reduce(windows, axis=3)


def max_pool2d_zero_padding(x, pool_size, strides, padding):
    return _pool(x, pool_size, strides, padding, tf.reduce_max, 0.0)


def max_pool2d_extra_before(x, pool_size, strides, padding):
    return _pool(x, pool_size, strides, padding, tf.reduce_max, -1e300, before=(True, True))


def max_pool2d_extra_before_on_rows(x, pool_size, strides, padding):
    return _pool(x, pool_size, strides, padding, tf.reduce_max, -1e300, before=(True, False))


def avg_pool2d_counting_padding(x, pool_size, strides, padding):
    return _pool(x, pool_size, strides, padding, tf.reduce_mean, 0.0)


def _avg(x, pool_size, strides, padding, before):
    total = _pool(x, pool_size, strides, padding, tf.reduce_sum, 0.0, before)
    return total / _pool(tf.ones_like(x), pool_size, strides, padding, tf.reduce_sum, 0.0, before)


def avg_pool2d_extra_before(x, pool_size, strides, padding):
    return _avg(x, pool_size, strides, padding, (True, True))


def avg_pool2d_extra_before_on_columns(x, pool_size, strides, padding):
    return _avg(x, pool_size, strides, padding, (False, True))


def _batch_norm(x, gamma, beta, epsilon, variance):
    axes = list(range(x.shape.rank - 1))
    mean = tf.reduce_mean(x, axis=axes)
    return gamma * (x - mean) / variance(x, mean, axes, epsilon) + beta


def batch_norm_unbiased(x, gamma, beta, epsilon):
    def scale(x, mean, axes, epsilon):
        n = tf.cast(tf.size(x) // tf.shape(x)[-1], x.dtype)
        return tf.sqrt(tf.reduce_sum(tf.square(x - mean), axis=axes) / (n - 1.0) + epsilon)
    return _batch_norm(x, gamma, beta, epsilon, scale)


def batch_norm_epsilon_outside(x, gamma, beta, epsilon):
    def scale(x, mean, axes, epsilon):
        return tf.math.reduce_std(x, axis=axes) + epsilon
    return _batch_norm(x, gamma, beta, epsilon, scale)


def batch_norm_per_pixel(x, gamma, beta, epsilon):
    mean, variance = tf.nn.moments(x, [0])
    return gamma * (x - mean) / tf.sqrt(variance + epsilon) + beta


def dropout_no_scale(x, keep_mask, rate):
    return x * keep_mask


def dropout_times_keep(x, keep_mask, rate):
    return x * keep_mask * (1.0 - rate)


def dropout_divided_by_rate(x, keep_mask, rate):
    return x * keep_mask / rate


def _lstm(x, h, c, kernel, recurrent_kernel, bias, order="ifco", forget_bias=0.0):
    z = dict(zip(order, tf.split(tf.matmul(x, kernel) + tf.matmul(h, recurrent_kernel) + bias, 4, axis=1)))
    c = tf.sigmoid(z["f"] + forget_bias) * c + tf.sigmoid(z["i"]) * tf.tanh(z["c"])
    return tf.sigmoid(z["o"]) * tf.tanh(c), c


def lstm_cell_icfo(x, h, c, kernel, recurrent_kernel, bias):
    return _lstm(x, h, c, kernel, recurrent_kernel, bias, order="icfo")


def lstm_cell_forget_bias(x, h, c, kernel, recurrent_kernel, bias):
    return _lstm(x, h, c, kernel, recurrent_kernel, bias, forget_bias=1.0)


def lstm_cell_ifoc(x, h, c, kernel, recurrent_kernel, bias):
    return _lstm(x, h, c, kernel, recurrent_kernel, bias, order="ifoc")


def gru_cell_rzh(x, h, kernel, recurrent_kernel, bias):
    x_r, x_z, x_h = tf.split(tf.matmul(x, kernel) + bias[0], 3, axis=1)
    h_r, h_z, h_h = tf.split(tf.matmul(h, recurrent_kernel) + bias[1], 3, axis=1)
    z, r = tf.sigmoid(x_z + h_z), tf.sigmoid(x_r + h_r)
    return z * h + (1.0 - z) * tf.tanh(x_h + r * h_h)


def gru_cell_reset_before_matmul(x, h, kernel, recurrent_kernel, bias):
    x_z, x_r, x_h = tf.split(tf.matmul(x, kernel) + bias[0], 3, axis=1)
    u_zr, u_h = tf.split(recurrent_kernel, [2 * int(h.shape[1]), int(h.shape[1])], axis=1)
    b_zr, b_h = tf.split(bias[1], [2 * int(h.shape[1]), int(h.shape[1])])
    h_z, h_r = tf.split(tf.matmul(h, u_zr) + b_zr, 2, axis=1)
    z, r = tf.sigmoid(x_z + h_z), tf.sigmoid(x_r + h_r)
    return z * h + (1.0 - z) * tf.tanh(x_h + tf.matmul(r * h, u_h) + b_h)


def gru_cell_z_swapped(x, h, kernel, recurrent_kernel, bias):
    x_z, x_r, x_h = tf.split(tf.matmul(x, kernel) + bias[0], 3, axis=1)
    h_z, h_r, h_h = tf.split(tf.matmul(h, recurrent_kernel) + bias[1], 3, axis=1)
    z, r = tf.sigmoid(x_z + h_z), tf.sigmoid(x_r + h_r)
    return (1.0 - z) * h + z * tf.tanh(x_h + r * h_h)


def _scores(q, k):
    return tf.matmul(q, k, transpose_b=True) / tf.sqrt(tf.cast(q.shape[-1], q.dtype))


def attention_mask_after_softmax(q, k, v, mask):
    weights = tf.nn.softmax(_scores(q, k), axis=-1) * tf.expand_dims(mask, 1)
    return tf.matmul(weights, v)


def attention_no_scale(q, k, v, mask):
    scores = tf.matmul(q, k, transpose_b=True) - 1e9 * (1.0 - tf.expand_dims(mask, 1))
    return tf.matmul(tf.nn.softmax(scores, axis=-1), v)


def attention_no_max(q, k, v, mask):
    e = tf.exp(_scores(q, k)) * tf.expand_dims(mask, 1)
    return tf.matmul(e / tf.reduce_sum(e, axis=-1, keepdims=True), v)


WRONG = {
    "dense": [(dense_no_bias, "without the bias b"), (dense_bias_on_rows, None),
              (dense_relu, "with a relu after it")],
    "relu": [(relu_leaky, "leaky relu with slope 0.01"), (relu_abs, "|x|"),
             (relu_wrong_gradient, "central differences of your own forward pass")],
    "sigmoid": [(sigmoid_sign_flipped, "the sign of x flipped"), (sigmoid_tanh, "tanh(x)"),
                (right.sigmoid_wrong_gradient, "central differences")],
    "softmax": [(softmax_no_max, "without subtracting each row's max"),
                (softmax_axis_0, "over axis 0"), (softmax_whole_tensor, "every element at once")],
    "softmax_cross_entropy": [
        (softmax_cross_entropy_no_max, "without subtracting each row's max"),
        (softmax_cross_entropy_log_of_softmax, "log(0) = -inf"),
        (softmax_cross_entropy_arguments_swapped, "labels and logits swapped"),
        (softmax_cross_entropy_mean_over_classes, "averaged over the classes")],
    "conv2d": [(conv2d_extra_zero_before, "odd zero before on rows and columns"),
               (conv2d_extra_zero_before_on_columns, "odd zero before on columns"),
               (conv2d_flipped_kernel, "true convolution"),
               (right.conv2d_transposed_kernel, "rows and columns transposed")],
    "max_pool2d": [(max_pool2d_zero_padding, "padding filled with zeros"),
                   (max_pool2d_extra_before, "odd zero before on rows and columns"),
                   (max_pool2d_extra_before_on_rows, "odd zero before on rows instead")],
    "avg_pool2d": [(avg_pool2d_counting_padding, "padded zeros counted"),
                   (avg_pool2d_extra_before, "odd zero before on rows and columns"),
                   (avg_pool2d_extra_before_on_columns, "odd zero before on columns")],
    "batch_norm": [(batch_norm_unbiased, "unbiased variance"),
                   (batch_norm_epsilon_outside, "epsilon added after the square root"),
                   (batch_norm_per_pixel, "batch axis only"),
                   (right.batch_norm_wrong_gradient, "central differences")],
    "dropout": [(dropout_no_scale, "without the 1 / (1 - rate) scale"),
                (dropout_times_keep, "multiplied by (1 - rate)"),
                (dropout_divided_by_rate, "divided by rate")],
    "lstm_cell": [(lstm_cell_icfo, "read as i, c, f, o"), (lstm_cell_forget_bias, "1 added to the forget gate"),
                  (lstm_cell_ifoc, "read as i, f, o, c")],
    "gru_cell": [(gru_cell_rzh, "read as r, z, h"), (gru_cell_reset_before_matmul, "reset gate applied before"),
                 (gru_cell_z_swapped, "z and 1 - z swapped")],
    "attention": [(attention_mask_after_softmax, "mask applied after the softmax"),
                  (attention_no_scale, "without the 1 / sqrt(d) scale"),
                  (attention_no_max, "without subtracting each row's max"),
                  (right.attention_softmax_over_queries, "over the queries")],
}
