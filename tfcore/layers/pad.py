"""Zero padding: add rows and columns of zeros around sequences and images.

Both layers are one `tf.pad` whose paddings list (before, after) per axis, with
(0, 0) on the batch and channel axes; each layer's equation sits above its
`call`. The gradient of padding is cropping: dL/dx is dL/dy with the padded
border cut off.

A common use is to pad explicitly before a VALID convolution, which gives
SAME-like output sizes with padding of the user's choice.
"""

import tensorflow as tf

from tfcore.layers.checks import check_rank, layout_of, normalize_borders_2d, normalize_tuple
from tfcore.layers.layout import normalize_data_format, to_channels_last, to_data_format
from tfcore.module import Module

BEFORE_AFTER = "an int or a pair (before, after) of ints"


class ZeroPadding1D(Module):
    """Pads the steps axis of (batch, steps, channels) with zeros.

    Args:
      padding: an int p (p zeros at both ends) or a pair (left, right); default 1.
    """

    def __init__(self, padding=1, name=None):
        super().__init__(name=name or "zero_padding1d")
        self.padding = normalize_tuple(padding, 2, self.name, "padding", minimum=0, what=BEFORE_AFTER)

    def call(self, inputs, training=False):
        """y[n, t, c] = x[n, t - left, c]  if 0 <= t - left < steps,  else 0.

        y has steps + left + right steps.
        """
        check_rank(inputs, 3, self.name, "(batch, steps, channels)")
        return tf.pad(inputs, [[0, 0], list(self.padding), [0, 0]])


class ZeroPadding2D(Module):
    """Pads the height and width axes of NHWC images with zeros.

    Args:
      padding: one of
        * an int p: p rows/columns on every side (default 1);
        * a pair (ph, pw): ph rows at top and bottom, pw columns at left and right;
        * a pair of pairs ((top, bottom), (left, right)).
      data_format: "channels_last" (default or None, NHWC) or "channels_first"
        (NCHW: transposed to NHWC and back, see tfcore/layers/layout.py).
    """

    def __init__(self, padding=1, data_format=None, name=None):
        super().__init__(name=name or "zero_padding2d")
        self.data_format = normalize_data_format(data_format, self.name)
        self.padding = normalize_borders_2d(padding, self.name, "padding")

    def call(self, inputs, training=False):
        """y[n, i, j, c] = x[n, i - top, j - left, c]  inside the image,  else 0.

        y has height + top + bottom rows and width + left + right columns.
        """
        check_rank(inputs, 4, self.name, layout_of("(batch, height, width, channels)", self.data_format))
        (top, bottom), (left, right) = self.padding
        y = tf.pad(to_channels_last(inputs, self.data_format), [[0, 0], [top, bottom], [left, right], [0, 0]])
        return to_data_format(y, self.data_format)
