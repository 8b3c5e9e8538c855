"""data_format: where the channels axis sits.

Keras's layers take `data_format="channels_last"` (NHWC, (batch, ..., channels),
the default and what TensorFlow's CPU kernels run) or `"channels_first"` (NCHW,
(batch, channels, ...), the layout cuDNN prefers on GPUs). tfcore's spatial
layers compute in channels-last; for channels-first input they transpose at
the edges, which is what Keras itself does where a kernel lacks NCHW:

    x_last = transpose(x, (0, 2, ..., r-1, 1))          channels to the end
    y      = layer's channels-last computation (x_last)
    y_first = transpose(y, (0, r-1, 1, ..., r-2))       channels back to axis 1

A transpose is a permutation, so its gradient is the inverse transpose.
"""

import tensorflow as tf

from tfcore.layers.checks import normalize_choice

DATA_FORMATS = ("channels_last", "channels_first")


def normalize_data_format(data_format, layer):
    """None (Keras's default) -> "channels_last"; else one of DATA_FORMATS."""
    return normalize_choice(data_format or "channels_last", DATA_FORMATS, layer, "data_format")


def channels_last_shape(shape, data_format):
    """A static TensorShape in channels-last order (unchanged for channels_last or unknown rank)."""
    shape = tf.TensorShape(shape)
    if data_format == "channels_last" or shape.rank is None or shape.rank < 3:
        return shape
    dims = shape.as_list()
    return tf.TensorShape([dims[0]] + dims[2:] + [dims[1]])


def to_channels_last(x, data_format):
    if data_format == "channels_last" or x.shape.rank is None or x.shape.rank < 3:
        return x
    rank = x.shape.rank
    return tf.transpose(x, [0] + list(range(2, rank)) + [1])


def to_data_format(y, data_format):
    """A channels-last result back in `data_format`."""
    if data_format == "channels_last":
        return y
    rank = y.shape.rank
    return tf.transpose(y, [0, rank - 1] + list(range(1, rank - 1)))
