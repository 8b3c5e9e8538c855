"""Each exercise's oracle: TensorFlow's own op or a tfcore layer's step, never the learner's code.

`ORACLES[name](**tensors, **config)` builds the expected output(s) of exercise
`name` (exercises.py) in the current graph, from float64 tensors:

    dense, relu, sigmoid, softmax      tf.matmul + tf.nn.bias_add, tf.nn.relu, tf.math.sigmoid, tf.nn.softmax
    softmax_cross_entropy              tf.nn.softmax_cross_entropy_with_logits
    conv2d, max_pool2d, avg_pool2d     tf.nn.conv2d, tf.nn.max_pool2d, tf.nn.avg_pool2d
    batch_norm                         tf.nn.moments + tf.nn.batch_normalization (training mode)
    dropout                            x * keep_mask / (1 - rate): the mask is given, so it is exact
    lstm_cell, gru_cell                tfcore.layers.LSTMCell / GRUCell .step with the weights as tensors
    attention                          tfcore.layers.Attention on the query scaled by 1 / sqrt(d)
"""

import numpy as np
import tensorflow as tf

from tfcore.layers.attention import Attention
from tfcore.layers.recurrent import GRUCell, LSTMCell


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


def _attention_oracle(q, k, v, mask):
    """tfcore's Attention layer on the query scaled by 1 / sqrt(d) (the layer's own scale is 1)."""
    scale = 1.0 / np.sqrt(int(q.shape[-1]))
    return Attention()([q * scale, v, k], mask=[None, mask])


ORACLES = {
    "dense": lambda x, w, b: tf.nn.bias_add(tf.matmul(x, w), b),
    "relu": lambda x: tf.nn.relu(x),
    "sigmoid": lambda x: tf.math.sigmoid(x),
    "softmax": lambda x: tf.nn.softmax(x, axis=-1),
    "softmax_cross_entropy": lambda labels, logits: tf.nn.softmax_cross_entropy_with_logits(labels, logits),
    "conv2d": lambda x, kernel, strides, padding: tf.nn.conv2d(x, kernel, strides, padding),
    "max_pool2d": lambda x, pool_size, strides, padding: tf.nn.max_pool2d(x, pool_size, strides, padding),
    "avg_pool2d": lambda x, pool_size, strides, padding: tf.nn.avg_pool2d(x, pool_size, strides, padding),
    "batch_norm": _batch_norm_oracle,
    "dropout": lambda x, keep_mask, rate: tf.math.multiply(x, keep_mask) / (1.0 - rate),
    "lstm_cell": _lstm_oracle,
    "gru_cell": _gru_oracle,
    "attention": _attention_oracle,
}
