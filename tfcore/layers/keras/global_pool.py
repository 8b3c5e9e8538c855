"""Global pooling: one number per channel, summarising the whole sequence or image.

For a sequence x of shape (batch, steps, channels), an image of shape
(batch, H, W, channels) and a volume of shape (batch, D, H, W, channels)
(channels_last, the default):

    GlobalAveragePooling1D:  y[n, c] = 1/T * sum_t x[n, t, c]
    GlobalMaxPooling1D:      y[n, c] = max_t x[n, t, c]
    GlobalAveragePooling2D:  y[n, c] = 1/(H W) * sum_{i, j} x[n, i, j, c]
    GlobalMaxPooling2D:      y[n, c] = max_{i, j} x[n, i, j, c]
    GlobalAveragePooling3D:  y[n, c] = 1/(D H W) * sum_{d, i, j} x[n, d, i, j, c]
    GlobalMaxPooling3D:      y[n, c] = max_{d, i, j} x[n, d, i, j, c]

The gradient of the mean spreads dL/dy[n, c] evenly, 1/(number of positions)
to each; that of the max sends it to the position that holds the maximum.

A common head for a convolutional network: it replaces Flatten + a large Dense
and works for any input size. `keepdims=True` keeps the pooled axes with size
1 ((batch, 1, channels), (batch, 1, 1, channels), ...), as in Keras.

With a mask (from Embedding(mask_zero=True) or Masking), the 1-D average only
counts the unmasked steps, as Keras's does:

    y[n, c] = sum_t m[n, t] x[n, t, c] / sum_t m[n, t]

(the max ignores the mask, as Keras's GlobalMaxPooling1D does).
"""

import tensorflow as tf

from tfcore.checks import check_rank, layout_of
from tfcore.layers.layout import normalize_data_format
from tfcore.module import Module


class _GlobalPool(Module):
    """Shared arguments and checks; subclasses set `rank` (3, 4 or 5) and `reduce`."""

    rank = None
    layout = None

    def __init__(self, data_format=None, keepdims=False, name=None):
        super().__init__(name=name)
        self.data_format = normalize_data_format(data_format, self.name)
        self.keepdims = bool(keepdims)

    def _axes(self, inputs):
        check_rank(inputs, self.rank, self.name, layout_of(self.layout, self.data_format))
        first = 1 if self.data_format == "channels_last" else 2
        axes = list(range(first, first + self.rank - 2))
        if any(inputs.shape[a] == 0 for a in axes):
            # Keras refuses it too: the mean of no positions is NaN, their max -inf.
            raise ValueError("%s: input shape %s has size 0 along a pooled axis %s"
                             % (self.name, inputs.shape, axes))
        return axes

    def call(self, inputs, training=False):
        """y[n, c] = mean or max of x[n, ..., c] over the spatial axes (`reduce`)."""
        return self.reduce(inputs, axis=self._axes(inputs), keepdims=self.keepdims)


class GlobalAveragePooling1D(_GlobalPool):
    """The mean over the steps axis (of the unmasked steps, given `mask` (batch, steps))."""

    rank, layout, reduce = 3, "(batch, steps, channels)", staticmethod(tf.reduce_mean)
    supports_masking = True  # it reads the steps' mask, and its output (no steps) has none

    def compute_mask(self, inputs, mask=None):
        return None

    def call(self, inputs, training=False, mask=None):
        """y[n, c] = sum_t m[n, t] x[n, t, c] / sum_t m[n, t]   (m = 1 without a mask)."""
        axes = self._axes(inputs)
        if mask is None:
            return tf.reduce_mean(inputs, axis=axes, keepdims=self.keepdims)
        m = tf.expand_dims(tf.cast(mask, inputs.dtype), -1 if self.data_format == "channels_last" else 1)
        total = tf.reduce_sum(inputs * m, axis=axes, keepdims=self.keepdims)
        return total / tf.reduce_sum(m, axis=axes, keepdims=self.keepdims)


class GlobalMaxPooling1D(_GlobalPool):
    """The maximum over the steps axis."""

    rank, layout, reduce = 3, "(batch, steps, channels)", staticmethod(tf.reduce_max)


class GlobalAveragePooling2D(_GlobalPool):
    """The mean over height and width."""

    rank, layout, reduce = 4, "(batch, height, width, channels)", staticmethod(tf.reduce_mean)


class GlobalMaxPooling2D(_GlobalPool):
    """The maximum over height and width."""

    rank, layout, reduce = 4, "(batch, height, width, channels)", staticmethod(tf.reduce_max)


class GlobalAveragePooling3D(_GlobalPool):
    """The mean over depth, height and width."""

    rank, layout, reduce = 5, "(batch, depth, height, width, channels)", staticmethod(tf.reduce_mean)


class GlobalMaxPooling3D(_GlobalPool):
    """The maximum over depth, height and width."""

    rank, layout, reduce = 5, "(batch, depth, height, width, channels)", staticmethod(tf.reduce_max)


# Keras's shorter spellings of the same layers (tf-keras has both): one class, two names.
GlobalAvgPool1D, GlobalAvgPool2D, GlobalAvgPool3D = (
    GlobalAveragePooling1D, GlobalAveragePooling2D, GlobalAveragePooling3D)
GlobalMaxPool1D, GlobalMaxPool2D, GlobalMaxPool3D = (
    GlobalMaxPooling1D, GlobalMaxPooling2D, GlobalMaxPooling3D)
