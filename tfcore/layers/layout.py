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

`ChannelsLastLayer` is that recipe as a base class, for the layers without
weights that only move or copy positions (padding, cropping, up-sampling).
"""

import tensorflow as tf

from tfcore.checks import check_rank, layout_of, normalize_choice
from tfcore.module import Module

DATA_FORMATS = ("channels_last", "channels_first")


def normalize_data_format(data_format, layer):
    """None (Keras's default) -> "channels_last"; else one of DATA_FORMATS, in any case (as Keras)."""
    if data_format is None:
        return "channels_last"
    if isinstance(data_format, str):
        data_format = data_format.lower()
    return normalize_choice(data_format, DATA_FORMATS, layer, "data_format")


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


class ChannelsLastLayer(Module):
    """A layer computed in channels-last: `call` checks the input's rank, moves channels-first
    input's channels last, runs the subclass's `channels_last_call` and moves them back.

    Subclasses set `layout`, the input's axes in channels-last order (e.g.
    "(batch, steps, channels)"; its length gives the rank), and, when they take
    the argument, `data_format`.
    """

    layout = None
    data_format = "channels_last"
    changes_nothing = False  # True for arguments that make y = x (zero borders, factors of 1)

    def call(self, inputs, training=False):
        """y = to_data_format(channels_last_call(to_channels_last(x)))."""
        check_rank(inputs, len(self.layout.split(", ")), self.name, layout_of(self.layout, self.data_format))
        if self.changes_nothing:
            # y = x, with no transposes: TensorFlow 2.21's graph optimizer turns a pad that
            # adds nothing into an identity, then drops one of the two transposes around it,
            # so channels-first input would come back with its axes permuted.
            return tf.identity(inputs)
        y = self.channels_last_call(to_channels_last(inputs, self.data_format))
        return to_data_format(y, self.data_format)

    def channels_last_call(self, inputs):
        raise NotImplementedError
