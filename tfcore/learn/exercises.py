"""The exercises a learner can have checked: each one's signature, cases and oracle.

A learner's function works in graph mode: it receives `tf.Tensor`s (float64
placeholders) and Python values (strides, padding, ...), positionally in the
signature's order (so any argument names do), builds ops and returns the
output tensor(s), float64 like the inputs. Any TensorFlow op is allowed, so the exercise is to write
the computation, e.g. a convolution from `tf.image.extract_patches` and
`tf.matmul`, and optionally its backward pass with `tf.custom_gradient`.

Each exercise's oracle is TensorFlow's own op (`tf.nn.conv2d`, `tf.nn.max_pool2d`,
`tf.nn.batch_normalization`, ...) or a tfcore layer's step (`LSTMCell`,
`GRUCell`, `Attention`), never the learner's code. Cases are random shapes and settings drawn
from a seed: batch 1, odd sizes, both paddings, strides above 1.
"""

import dataclasses

import numpy as np
import tensorflow as tf

from tfcore.layers.attention import Attention
from tfcore.layers.recurrent import GRUCell, LSTMCell


@dataclasses.dataclass
class Exercise:
    """What a learner writes (`signature`, `doc`) and how it is checked.

    `cases(rng)` returns a list of `(arrays, config)`: the tensors' values by
    argument name and the Python arguments. `oracle(**tensors, **config)` builds
    the expected output(s). `differentiable` names the arguments whose gradients
    are checked; `outputs` names the returned tensors (one name: a single tensor).
    """

    name: str
    signature: str
    doc: str
    oracle_name: str
    oracle: callable
    cases: callable
    differentiable: tuple
    outputs: tuple = ("y",)


def _normal(rng, *shape):
    return rng.standard_normal(shape)


def _dense_cases(rng):
    shapes = [(1, 3, 2), (4, 5, 3), (7, 2, 6)]
    return [({"x": _normal(rng, n, k), "w": _normal(rng, k, m), "b": _normal(rng, m)}, {})
            for n, k, m in shapes]


def _elementwise_cases(rng):
    # Away from 0, where relu has no derivative and central differences straddle the kink.
    cases = []
    for shape in [(1, 4), (3, 5), (2, 3, 4)]:
        x = _normal(rng, *shape) * 3
        x = np.where(np.abs(x) < 0.05, 0.5, x)
        cases.append(({"x": x}, {}))
    return cases


def _cross_entropy_cases(rng):
    cases = []
    for n, k in [(1, 3), (4, 5), (6, 2)]:
        labels = rng.dirichlet(np.ones(k), size=n)  # soft labels: one-hot is a special case
        labels[0] = np.eye(k)[rng.randint(k)]
        cases.append(({"labels": labels, "logits": _normal(rng, n, k) * 2}, {}))
    return cases


def _image_cases(rng, kernel):
    """Images and windows: (batch, height, width, channels), window, strides, padding."""
    # SAME cases 3 and 5 pad an odd number of zeros (the extra one goes after).
    settings = [(1, 5, 5, 1, (3, 3), (1, 1), "SAME"), (2, 6, 7, 2, (2, 3), (2, 1), "VALID"),
                (1, 6, 7, 3, (3, 2), (2, 2), "SAME"), (2, 5, 4, 2, (1, 1), (1, 2), "VALID"),
                (1, 5, 4, 2, (2, 3), (1, 2), "SAME"), (1, 6, 6, 1, (2, 2), (2, 2), "VALID")]
    cases = []
    for n, h, w, c, window, strides, padding in settings:
        arrays = {"x": _normal(rng, n, h, w, c)}
        config = {"strides": strides, "padding": padding}
        if kernel:
            arrays["kernel"] = _normal(rng, window[0], window[1], c, 1 + rng.randint(3))
        else:
            config = {"pool_size": window, **config}
        cases.append((arrays, config))
    return cases


def _batch_norm_cases(rng):
    cases = []
    for shape in [(4, 3), (2, 3, 3, 2), (5, 1), (3, 2, 4, 3)]:
        arrays = {"x": _normal(rng, *shape) * 2 + 1, "gamma": _normal(rng, shape[-1]),
                  "beta": _normal(rng, shape[-1])}
        cases.append((arrays, {"epsilon": 1e-3}))
    return cases


def _dropout_cases(rng):
    cases = []
    for shape, rate in [((1, 5), 0.5), ((3, 4), 0.25), ((2, 3, 2), 0.1)]:
        mask = (rng.uniform(size=shape) >= rate).astype(np.float64)
        cases.append(({"x": _normal(rng, *shape), "keep_mask": mask}, {"rate": rate}))
    return cases


def _cell_cases(rng, gates, with_c, bias_rows):
    cases = []
    for n, features, units in [(1, 2, 3), (3, 4, 2), (2, 3, 5)]:
        arrays = {"x": _normal(rng, n, features), "h": _normal(rng, n, units) * 0.5}
        if with_c:
            arrays["c"] = _normal(rng, n, units) * 0.5
        arrays["kernel"] = _normal(rng, features, gates * units) * 0.5
        arrays["recurrent_kernel"] = _normal(rng, units, gates * units) * 0.5
        arrays["bias"] = _normal(rng, *bias_rows, gates * units) * 0.5
        cases.append((arrays, {}))
    return cases


def _cell_oracle(cell_class, x, states, kernel, recurrent_kernel, bias):
    """tfcore's own cell step, with the weights given as tensors instead of variables."""
    units = int(recurrent_kernel.shape[0])
    cell = cell_class(units)
    cell.kernel, cell.recurrent_kernel, cell.bias = kernel, recurrent_kernel, bias
    _, new_states = cell.step(x, states)
    return new_states


def _lstm_oracle(x, h, c, kernel, recurrent_kernel, bias):
    h, c = _cell_oracle(LSTMCell, x, [h, c], kernel, recurrent_kernel, bias)
    return h, c


def _gru_oracle(x, h, kernel, recurrent_kernel, bias):
    (h,) = _cell_oracle(GRUCell, x, [h], kernel, recurrent_kernel, bias)
    return h


def _batch_norm_oracle(x, gamma, beta, epsilon):
    axes = list(range(x.shape.rank - 1))
    mean, variance = tf.nn.moments(x, axes)
    return tf.nn.batch_normalization(x, mean, variance, beta, gamma, epsilon)


def _attention_cases(rng):
    """Queries, keys, values and a key padding mask (1 attended, 0 padding) that keeps a key per row."""
    cases = []
    for n, tq, tv, d, dv in [(1, 2, 3, 2, 2), (2, 3, 4, 4, 3), (3, 1, 5, 3, 2), (2, 4, 2, 5, 1)]:
        mask = (rng.uniform(size=(n, tv)) >= 0.3).astype(np.float64)
        mask[:, rng.randint(tv)] = 1.0
        cases.append(({"q": _normal(rng, n, tq, d), "k": _normal(rng, n, tv, d),
                       "v": _normal(rng, n, tv, dv), "mask": mask}, {}))
    return cases


def _attention_oracle(q, k, v, mask):
    """tfcore's Attention layer on the query scaled by 1 / sqrt(d) (the layer's own scale is 1)."""
    scale = 1.0 / np.sqrt(int(q.shape[-1]))
    return Attention()([q * scale, v, k], mask=[None, mask])


_POOL_DOC = ("x: (batch, height, width, channels); pool_size, strides: (rows, cols) int pairs; "
             "padding 'SAME' or 'VALID'. SAME pads so that output size = ceil(input / stride); ")

EXERCISES = {e.name: e for e in [
    Exercise("dense", "dense(x, w, b) -> y",
             "y = x w + b; x (batch, in), w (in, out), b (out,).",
             "tf.matmul + tf.nn.bias_add", lambda x, w, b: tf.nn.bias_add(tf.matmul(x, w), b),
             _dense_cases, ("x", "w", "b")),
    Exercise("relu", "relu(x) -> y", "y = max(x, 0), elementwise.",
             "tf.nn.relu", lambda x: tf.nn.relu(x), _elementwise_cases, ("x",)),
    Exercise("sigmoid", "sigmoid(x) -> y", "y = 1 / (1 + exp(-x)), elementwise.",
             "tf.math.sigmoid", lambda x: tf.math.sigmoid(x), _elementwise_cases, ("x",)),
    Exercise("softmax", "softmax(x) -> y", "y_i = exp(x_i) / sum_j exp(x_j) along the last axis.",
             "tf.nn.softmax", lambda x: tf.nn.softmax(x, axis=-1), _elementwise_cases, ("x",)),
    Exercise("softmax_cross_entropy", "softmax_cross_entropy(labels, logits) -> loss",
             "loss (batch,) = -sum_k labels_k log softmax(logits)_k, one value per example; "
             "labels are probabilities (rows sum to 1). Gradient checked for logits.",
             "tf.nn.softmax_cross_entropy_with_logits",
             lambda labels, logits: tf.nn.softmax_cross_entropy_with_logits(labels, logits),
             _cross_entropy_cases, ("logits",), ("loss",)),
    Exercise("conv2d", "conv2d(x, kernel, strides, padding) -> y",
             "x: (batch, height, width, in); kernel: (kh, kw, in, out); strides: (rows, cols); "
             "padding 'SAME' (output size ceil(input / stride), zeros split before/after with "
             "the extra one after) or 'VALID'. Cross-correlation, as tf.nn.conv2d.",
             "tf.nn.conv2d", lambda x, kernel, strides, padding: tf.nn.conv2d(x, kernel, strides, padding),
             lambda rng: _image_cases(rng, kernel=True), ("x", "kernel")),
    Exercise("max_pool2d", "max_pool2d(x, pool_size, strides, padding) -> y",
             _POOL_DOC + "padded cells never win the max.", "tf.nn.max_pool2d",
             lambda x, pool_size, strides, padding: tf.nn.max_pool2d(x, pool_size, strides, padding),
             lambda rng: _image_cases(rng, kernel=False), ("x",)),
    Exercise("avg_pool2d", "avg_pool2d(x, pool_size, strides, padding) -> y",
             _POOL_DOC + "a SAME window averages only the pixels inside the image.", "tf.nn.avg_pool2d",
             lambda x, pool_size, strides, padding: tf.nn.avg_pool2d(x, pool_size, strides, padding),
             lambda rng: _image_cases(rng, kernel=False), ("x",)),
    Exercise("batch_norm", "batch_norm(x, gamma, beta, epsilon) -> y",
             "Training mode: mean and (biased) variance over every axis but the last; "
             "y = gamma (x - mean) / sqrt(variance + epsilon) + beta; gamma, beta: (features,).",
             "tf.nn.moments + tf.nn.batch_normalization", _batch_norm_oracle, _batch_norm_cases,
             ("x", "gamma", "beta")),
    Exercise("dropout", "dropout(x, keep_mask, rate) -> y",
             "Inverted dropout with a given mask: y = x * keep_mask / (1 - rate); keep_mask is "
             "0/1 of x's shape (the randomness is the mask's, so the check is exact).",
             "x * keep_mask / (1 - rate) (tf.math)",
             lambda x, keep_mask, rate: tf.math.multiply(x, keep_mask) / (1.0 - rate),
             _dropout_cases, ("x",)),
    Exercise("lstm_cell", "lstm_cell(x, h, c, kernel, recurrent_kernel, bias) -> (h, c)",
             "One LSTM step, Keras's layout: kernel (in, 4H), recurrent_kernel (H, 4H), bias "
             "(4H,), gate blocks i, f, c, o; z = x kernel + h recurrent_kernel + bias; "
             "c' = sigmoid(f) c + sigmoid(i) tanh(c~); h' = sigmoid(o) tanh(c').",
             "tfcore.layers.LSTMCell.step", _lstm_oracle,
             lambda rng: _cell_cases(rng, 4, True, ()),
             ("x", "h", "c", "kernel", "recurrent_kernel", "bias"), ("h", "c")),
    Exercise("gru_cell", "gru_cell(x, h, kernel, recurrent_kernel, bias) -> h",
             "One GRU step, Keras 2's reset_after form: kernel (in, 3H), recurrent_kernel (H, 3H), "
             "bias (2, 3H) (row 0 input, row 1 recurrent), blocks z, r, h; "
             "z = sigmoid(xz + hz), r = sigmoid(xr + hr), n = tanh(xh + r hh), h' = z h + (1 - z) n.",
             "tfcore.layers.GRUCell.step (reset_after=True)", _gru_oracle,
             lambda rng: _cell_cases(rng, 3, False, (2,)),
             ("x", "h", "kernel", "recurrent_kernel", "bias"), ("h",)),
    Exercise("attention", "attention(q, k, v, mask) -> y",
             "Scaled dot-product attention: q (batch, Tq, d), k (batch, Tv, d), v (batch, Tv, dv), "
             "mask (batch, Tv) 1.0 where key j may be attended and 0.0 where it is padding (every "
             "row keeps a key); y = softmax(q k^T / sqrt(d) + M) v, softmax over the keys, "
             "M = -1e9 (or -inf) where the mask is 0. y: (batch, Tq, dv).",
             "tfcore.layers.Attention (query scaled by 1/sqrt(d))", _attention_oracle,
             _attention_cases, ("q", "k", "v")),
]}
