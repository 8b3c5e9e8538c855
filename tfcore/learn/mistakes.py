"""The classic mistakes, computed: when a check fails, which one does the learner's output equal?

`MISTAKES[exercise]` lists `(description, function)`: the function takes the
oracle's arguments (exercises.py) and builds what a learner who made that one
mistake would get. When a learner's forward output is wrong, the checker
evaluates each of them on the same case and, if one matches (within the forward
tolerance, NaN where it has NaN), says so in words:

    this equals the result with the gate blocks read as i, c, f, o (Keras's order is i, f, c, o)

Each description reads after "this equals the result ". The adversarial cases in
exercises.py are built so that every mistake here differs from the oracle on at
least one case, and is the one named there (tests/test_learn_mistakes.py checks both).
"""

import itertools
from typing import Any, Callable

import tensorflow as tf

Mistakes = list[tuple[str, Callable[..., Any]]]
"""(description, function) pairs; each function builds a wrong output from the exercise's
arguments."""


def _softmax(scores, axis=-1):
    e = tf.exp(scores - tf.reduce_max(scores, axis=axis, keepdims=True))
    return e / tf.reduce_sum(e, axis=axis, keepdims=True)


def _naive_softmax(scores, axis=-1):
    e = tf.exp(scores)  # overflows to inf beyond ~709
    return e / tf.reduce_sum(e, axis=axis, keepdims=True)


# dense, relu, sigmoid, softmax, softmax_cross_entropy -------------------------------------

_DENSE = [
    ("without the bias b", lambda x, w, b: tf.matmul(x, w)),
    ("with the bias subtracted, x w - b", lambda x, w, b: tf.matmul(x, w) - b),
    ("with a relu after it (dense alone is linear)", lambda x, w, b: tf.nn.relu(tf.matmul(x, w) + b)),
]

_RELU: Mistakes = [("of a leaky relu with slope %g for x < 0 (relu's is 0)" % slope,
          lambda x, slope=slope: tf.where(x > 0, x, slope * x)) for slope in (0.01, 0.1, 0.2, 0.3)]
_RELU += [("|x| (the absolute value)", lambda x: tf.abs(x)),
          ("min(x, 0): the comparison reversed", lambda x: tf.minimum(x, 0.0))]

_SIGMOID = [
    ("1 / (1 + exp(x)): the sign of x flipped", lambda x: tf.math.sigmoid(-x)),
    ("tanh(x)", lambda x: tf.tanh(x)),
    ("(1 + tanh(x)) / 2, which is sigmoid(2x)", lambda x: (1.0 + tf.tanh(x)) / 2.0),
]

_NO_MAX = ("without subtracting each row's max before exp: exp overflows to inf "
           "beyond 709, and inf / inf is NaN")

_SOFTMAX = [
    (_NO_MAX, lambda x: _naive_softmax(x)),
    ("normalized over axis 0 (the batch) instead of the last axis", lambda x: _softmax(x, axis=0)),
    ("normalized over every element at once instead of each row",
     lambda x: tf.exp(x - tf.reduce_max(x)) / tf.reduce_sum(tf.exp(x - tf.reduce_max(x)))),
    ("x / sum(x), without the exp", lambda x: x / tf.reduce_sum(x, axis=-1, keepdims=True)),
]


def _cross_entropy(labels, log_p):
    return -tf.reduce_sum(labels * log_p, axis=-1)


_CROSS_ENTROPY = [
    (_NO_MAX, lambda labels, logits: _cross_entropy(labels, tf.math.log(_naive_softmax(logits)))),
    ("of log(softmax(logits)) taken in two steps: a probability that underflows to 0 "
     "gives log(0) = -inf (use log_softmax = x - max - log sum exp(x - max))",
     lambda labels, logits: _cross_entropy(labels, tf.math.log(_softmax(logits)))),
    ("with labels and logits swapped (the signature is softmax_cross_entropy(labels, logits))",
     lambda labels, logits: _cross_entropy(logits, tf.nn.log_softmax(labels))),
    ("averaged over the classes instead of summed",
     lambda labels, logits: -tf.reduce_mean(labels * tf.nn.log_softmax(logits), axis=-1)),
    ("without the minus sign", lambda labels, logits: -tf.nn.softmax_cross_entropy_with_logits(labels, logits)),
]


# conv2d, max_pool2d, avg_pool2d -----------------------------------------------------------

def _same_pads(size, window, stride, extra_before):
    """SAME's (before, after) zeros on one axis; TensorFlow puts the odd one after."""
    out = -(-size // stride)
    total = max((out - 1) * stride + window - size, 0)
    small, large = total // 2, total - total // 2
    return (large, small) if extra_before else (small, large)


def _padded(x, window, strides, padding, rows_before, cols_before, fill):
    """x padded as SAME would, with the extra zero before on the axes asked (VALID: x)."""
    if padding != "SAME":
        return x
    rows = _same_pads(int(x.shape[1]), window[0], strides[0], rows_before)
    cols = _same_pads(int(x.shape[2]), window[1], strides[1], cols_before)
    return tf.pad(x, [[0, 0], list(rows), list(cols), [0, 0]], constant_values=fill)


_SPLITS = [((True, True), "on rows and columns"), ((True, False), "on rows"), ((False, True), "on columns")]


def _split_mistake(where):
    return "with SAME's odd zero before %s instead of after (TensorFlow pads the extra one after)" % where


def _conv_split(before):
    def conv(x, kernel, strides, padding):
        window = (int(kernel.shape[0]), int(kernel.shape[1]))
        return tf.nn.conv2d(_padded(x, window, strides, padding, *before, 0.0), kernel, strides, "VALID")
    return conv


_CONV = [(_split_mistake(where), _conv_split(before)) for before, where in _SPLITS] + [
    ("of a true convolution (the kernel flipped on both axes), not tf.nn.conv2d's cross-correlation",
     lambda x, kernel, strides, padding: tf.nn.conv2d(x, kernel[::-1, ::-1], strides, padding)),
    ("with the kernel's rows and columns transposed",
     lambda x, kernel, strides, padding: tf.nn.conv2d(
         x, tf.transpose(kernel, [1, 0, 2, 3]), strides, padding)),
]


def _max_split(before, fill):
    def pool(x, pool_size, strides, padding):
        padded = _padded(x, pool_size, strides, padding, *before, fill)
        return tf.nn.max_pool2d(padded, pool_size, strides, "VALID")
    return pool


def _avg_split(before, count_padding=False):
    def pool(x, pool_size, strides, padding):
        def window_sums(t):
            padded = _padded(t, pool_size, strides, padding, *before, 0.0)
            return tf.nn.avg_pool2d(padded, pool_size, strides, "VALID")
        if count_padding:
            return window_sums(x)
        return window_sums(x) / window_sums(tf.ones_like(x))
    return pool


_MAX_POOL = [(_split_mistake(where), _max_split(before, -1e300)) for before, where in _SPLITS] + [
    ("with SAME's padding filled with zeros, which win the max where every pixel is negative "
     "(padded cells must never win)", _max_split((False, False), 0.0))]

_AVG_POOL = [(_split_mistake(where), _avg_split(before)) for before, where in _SPLITS] + [
    ("with the padded zeros counted in each window's average (divide by the pixels inside "
     "the image)", _avg_split((False, False), count_padding=True))]


# batch_norm, dropout ----------------------------------------------------------------------

def _normalized(x, gamma, beta, epsilon, axes, unbiased=False, epsilon_outside=False):
    mean = tf.reduce_mean(x, axis=axes, keepdims=True)
    variance = tf.reduce_mean(tf.square(x - mean), axis=axes, keepdims=True)
    if unbiased:
        n = 1
        for axis in axes:
            n *= int(x.shape[axis])
        variance = variance * n / max(n - 1, 1)
    scale = tf.sqrt(variance) + epsilon if epsilon_outside else tf.sqrt(variance + epsilon)
    return gamma * (x - mean) / scale + beta


def _all_but_last(x):
    return list(range(x.shape.rank - 1))


_BATCH_NORM = [
    ("with the unbiased variance (divided by n - 1, not n): batch norm normalizes with the "
     "batch's own, biased, variance",
     lambda x, gamma, beta, epsilon: _normalized(x, gamma, beta, epsilon, _all_but_last(x), unbiased=True)),
    ("with epsilon added after the square root, (x - mean) / (sqrt(variance) + epsilon)",
     lambda x, gamma, beta, epsilon: _normalized(x, gamma, beta, epsilon, _all_but_last(x),
                                                 epsilon_outside=True)),
    ("with the mean and variance over the batch axis only (one per pixel), not every axis but the last",
     lambda x, gamma, beta, epsilon: _normalized(x, gamma, beta, epsilon, [0])),
    ("with the mean and variance over the last axis (layer normalization)",
     lambda x, gamma, beta, epsilon: _normalized(x, gamma, beta, epsilon, [-1])),
    ("with gamma and beta swapped",
     lambda x, gamma, beta, epsilon: _normalized(x, beta, gamma, epsilon, _all_but_last(x))),
]

_DROPOUT = [
    ("without the 1 / (1 - rate) scale (inverted dropout scales the kept units up)",
     lambda x, keep_mask, rate: x * keep_mask),
    ("multiplied by (1 - rate) instead of divided by it", lambda x, keep_mask, rate: x * keep_mask * (1 - rate)),
    ("divided by rate instead of 1 - rate", lambda x, keep_mask, rate: x * keep_mask / rate),
    ("with the mask inverted (the dropped units kept)", lambda x, keep_mask, rate: x * (1 - keep_mask) / (1 - rate)),
]


# lstm_cell, gru_cell ----------------------------------------------------------------------

def _lstm(order, forget_bias=0.0, output_tanh=True, candidate=tf.tanh):
    """An LSTM step reading the gate blocks in `order` (a permutation of "ifco")."""
    def step(x, h, c, kernel, recurrent_kernel, bias):
        blocks = tf.split(tf.matmul(x, kernel) + tf.matmul(h, recurrent_kernel) + bias, 4, axis=1)
        z = dict(zip(order, blocks))
        c_new = tf.sigmoid(z["f"] + forget_bias) * c + tf.sigmoid(z["i"]) * candidate(z["c"])
        return tf.sigmoid(z["o"]) * (tf.tanh(c_new) if output_tanh else c_new), c_new
    return step


_LSTM = [("with the gate blocks read as %s (Keras's order is i, f, c, o)" % ", ".join(order),
          _lstm(order)) for order in itertools.permutations("ifco") if order != tuple("ifco")]
_LSTM += [
    ("with 1 added to the forget gate (unit_forget_bias sets the bias's initial value; the step adds "
     "nothing)", _lstm("ifco", forget_bias=1.0)),
    ("with h' = sigmoid(o) c', without the tanh of the new cell state", _lstm("ifco", output_tanh=False)),
    ("with the candidate c~ through a sigmoid instead of tanh", _lstm("ifco", candidate=tf.sigmoid)),
]


def _gru(order, reset="after", swap_z=False):
    """A GRU step reading the blocks in `order` (a permutation of "zrh"), the reset gate applied:
    "after" the matmul (Keras 2's reset_after), "before" it on h, or on the matmul "without" its bias."""
    def step(x, h, kernel, recurrent_kernel, bias):
        xs = dict(zip(order, tf.split(tf.matmul(x, kernel) + bias[0], 3, axis=1)))
        hs = dict(zip(order, tf.split(tf.matmul(h, recurrent_kernel) + bias[1], 3, axis=1)))
        z, r = tf.sigmoid(xs["z"] + hs["z"]), tf.sigmoid(xs["r"] + hs["r"])
        u_h = dict(zip(order, tf.split(recurrent_kernel, 3, axis=1)))["h"]
        b_h = dict(zip(order, tf.split(bias[1], 3)))["h"]
        recurrent = {"after": r * hs["h"], "before": tf.matmul(r * h, u_h) + b_h,
                     "without": r * (hs["h"] - b_h) + b_h}[reset]
        n = tf.tanh(xs["h"] + recurrent)
        return (1.0 - z) * h + z * n if swap_z else z * h + (1.0 - z) * n
    return step


_GRU = [("with the gate blocks read as %s (Keras's order is z, r, h)" % ", ".join(order), _gru(order))
        for order in itertools.permutations("zrh") if order != tuple("zrh")]
_GRU += [
    ("with the reset gate applied before the matmul, n = tanh(x W_h + (r h) U_h + b) (reset_after=False; "
     "this exercise is Keras 2's reset_after=True: r (h U_h + b_h))", _gru("zrh", reset="before")),
    ("with the reset gate on h U_h but not on its recurrent bias b_h", _gru("zrh", reset="without")),
    ("with z and 1 - z swapped: h' = (1 - z) h + z n", _gru("zrh", swap_z=True)),
]


# attention --------------------------------------------------------------------------------

def _scores(q, k, scale=True):
    s = tf.matmul(q, k, transpose_b=True)
    return s / tf.sqrt(tf.cast(int(q.shape[-1]), q.dtype)) if scale else s


def _masked(scores, mask):
    return scores - 1e9 * (1.0 - mask[:, tf.newaxis, :])


def _masked_exp_weights(scores, mask):
    """exp(scores) * mask / sum: the mask multiplied in, no max subtracted (inf * 0 = NaN)."""
    e = tf.exp(scores) * mask[:, tf.newaxis, :]
    return e / tf.reduce_sum(e, axis=-1, keepdims=True)


_ATTENTION = [
    ("with the mask applied after the softmax: the masked keys' weights zeroed but the rest not "
     "renormalized (mask the scores before the softmax)",
     lambda q, k, v, mask: tf.matmul(_softmax(_scores(q, k)) * mask[:, tf.newaxis, :], v)),
    ("ignoring the mask", lambda q, k, v, mask: tf.matmul(_softmax(_scores(q, k)), v)),
    ("with the masked scores set to 0 instead of -1e9 (exp(0) = 1 still attends)",
     lambda q, k, v, mask: tf.matmul(_softmax(_scores(q, k) * mask[:, tf.newaxis, :]), v)),
    ("without the 1 / sqrt(d) scale",
     lambda q, k, v, mask: tf.matmul(_softmax(_masked(_scores(q, k, scale=False), mask)), v)),
    ("with the softmax over the queries (axis 1) instead of the keys",
     lambda q, k, v, mask: tf.matmul(_softmax(_masked(_scores(q, k), mask), axis=1), v)),
    (_NO_MAX, lambda q, k, v, mask: tf.matmul(_naive_softmax(_masked(_scores(q, k), mask)), v)),
    (_NO_MAX, lambda q, k, v, mask: tf.matmul(_masked_exp_weights(_scores(q, k), mask), v)),
]

MISTAKES: dict[str, Mistakes] = {
    "dense": _DENSE, "relu": _RELU, "sigmoid": _SIGMOID, "softmax": _SOFTMAX,
    "softmax_cross_entropy": _CROSS_ENTROPY, "conv2d": _CONV, "max_pool2d": _MAX_POOL,
    "avg_pool2d": _AVG_POOL, "batch_norm": _BATCH_NORM, "dropout": _DROPOUT,
    "lstm_cell": _LSTM, "gru_cell": _GRU, "attention": _ATTENTION,
}
