"""Max and average pooling over NHWC images.

A pooling layer slides a window of (ph, pw) pixels with strides (sh, sw) over
each channel separately and summarises the window by one number:

    max:      y[n, i, j, c] = max_{(u, v) in W(i, j)} x[n, i*sh + u - pt, j*sw + v - pl, c]
    average:  y[n, i, j, c] = 1/|W(i, j)| * sum_{(u, v) in W(i, j)} x[n, i*sh + u - pt, j*sw + v - pl, c]

where W(i, j) is the set of offsets (u < ph, v < pw) whose pixel lies inside
the image. Output sizes and shifts follow the same rules as Conv2D:

    VALID: H_out = ceil((H - ph + 1) / sh), pt = 0
    SAME:  H_out = ceil(H / sh), total pad p = max((H_out - 1) * sh + ph - H, 0), pt = p // 2

With SAME padding a window at the border hangs over the edge. The padded
positions are not zeros that count: max pooling ignores them, and average
pooling divides by the number of **valid** pixels |W(i, j)|, not by ph * pw.
So the average of a constant image is that constant everywhere, borders
included. This is what `tf.nn.avg_pool2d` computes and what Keras's
AveragePooling2D does.

Gradients: average pooling spreads each output's gradient equally over its
valid window pixels (divided by |W|); max pooling sends it all to the one
pixel that won the max (so it is only differentiable away from ties).

The layers have no variables; the window may slide over images of any size and
channel count from one call to the next.
"""

import tensorflow as tf

from tfcore.layers.conv import check_rank, check_window_fits, normalize_pair, normalize_padding
from tfcore.module import Module


class _Pool2D(Module):
    """Shared arguments and checks of MaxPool2D and AvgPool2D."""

    default_name = None  # "max_pool2d" / "avg_pool2d", set by the subclasses

    def __init__(self, pool_size=2, strides=None, padding="VALID", name=None):
        super().__init__(name=name or self.default_name)
        self.pool_size = normalize_pair(pool_size, self.name, "pool_size")
        # Keras's default: non-overlapping windows.
        self.strides = (self.pool_size if strides is None
                        else normalize_pair(strides, self.name, "strides"))
        self.padding = normalize_padding(padding, self.name)

    def build(self, input_shape):
        if input_shape.rank != 4:
            raise ValueError(
                "%s: input must have rank 4 (batch, height, width, channels), got shape %s"
                % (self.name, input_shape)
            )

    def call(self, inputs, training=False):
        check_rank(inputs, 4, self.name, "(batch, height, width, channels)")
        check_window_fits(inputs, self.pool_size, self.padding, self.name, "pool window")
        return self._pool(
            inputs, ksize=[1, *self.pool_size, 1], strides=[1, *self.strides, 1], padding=self.padding
        )

    def _pool(self, inputs, ksize, strides, padding):
        raise NotImplementedError


class MaxPool2D(_Pool2D):
    """Max pooling: the largest value in each (ph, pw) window, per channel.

    Args:
      pool_size: ph, pw: an int or a pair (default 2).
      strides: an int or a pair; default None means `pool_size` (windows that
        tile the image without overlap, as in Keras).
      padding: "VALID" (default, windows inside the image) or "SAME"; any case.
    """

    default_name = "max_pool2d"

    def _pool(self, inputs, ksize, strides, padding):
        return tf.nn.max_pool2d(inputs, ksize=ksize, strides=strides, padding=padding)


class AvgPool2D(_Pool2D):
    """Average pooling: the mean of each (ph, pw) window over its valid pixels, per channel.

    Args:
      pool_size: ph, pw: an int or a pair (default 2).
      strides: an int or a pair; default None means `pool_size`.
      padding: "VALID" (default) or "SAME"; any case. With SAME, border windows
        average only the pixels inside the image (see the module docstring).
    """

    default_name = "avg_pool2d"

    def _pool(self, inputs, ksize, strides, padding):
        return tf.nn.avg_pool2d(inputs, ksize=ksize, strides=strides, padding=padding)
