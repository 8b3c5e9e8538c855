"""Zero padding: add zeros around sequences, images and volumes.

All three layers are one `tf.pad` whose paddings list (before, after) per
axis, with (0, 0) on the batch and channel axes. For k spatial axes with
borders (b_1, a_1), ..., (b_k, a_k):

    y[n, i_1, ..., i_k, c] = x[n, i_1 - b_1, ..., i_k - b_k, c]   inside the input,  else 0

and axis d grows from size_d to b_d + size_d + a_d. ZeroPadding1D pads the
steps of (batch, steps, channels), ZeroPadding2D the rows and columns of
(batch, height, width, channels), ZeroPadding3D the depth, rows and columns of
(batch, depth, height, width, channels). The gradient of padding is cropping:
dL/dx is dL/dy with the padded border cut off.

A common use is to pad explicitly before a VALID convolution, which gives
SAME-like output sizes with padding of the user's choice.
"""

import tensorflow as tf

from tfcore.checks import normalize_borders, normalize_tuple
from tfcore.layers.layout import ChannelsLastLayer, normalize_data_format

BEFORE_AFTER = "an int or a pair (before, after) of ints"


class BordersLayer(ChannelsLastLayer):
    """Base of ZeroPadding1D/2D/3D and Cropping1D/2D/3D: subclasses set `borders`,
    (before, after) per spatial axis."""

    borders = None

    @property
    def changes_nothing(self):
        return not any(before or after for before, after in self.borders)


class _ZeroPadding(BordersLayer):
    """ZeroPadding1D/2D/3D: one tf.pad."""

    def channels_last_call(self, inputs):
        """y[n, i_1, ..., i_k, c] = x[n, i_1 - b_1, ..., i_k - b_k, c]  inside the input,  else 0."""
        return tf.pad(inputs, [[0, 0]] + [list(border) for border in self.borders] + [[0, 0]])


class ZeroPadding1D(_ZeroPadding):
    """Pads the steps axis of (batch, steps, channels) with zeros:

        y[n, t, c] = x[n, t - left, c]  if 0 <= t - left < steps,  else 0

    Args:
      padding: an int p (p zeros at both ends) or a pair (left, right); default 1.
    """

    layout = "(batch, steps, channels)"

    def __init__(self, padding=1, name=None):
        super().__init__(name=name or "zero_padding1d")
        self.padding = normalize_tuple(padding, 2, self.name, "padding", minimum=0, what=BEFORE_AFTER)
        self.borders = (self.padding,)


class ZeroPadding2D(_ZeroPadding):
    """Pads the height and width axes of NHWC images with zeros:

        y[n, i, j, c] = x[n, i - top, j - left, c]  inside the image,  else 0

    Args:
      padding: one of
        * an int p: p rows/columns on every side (default 1);
        * a pair (ph, pw): ph rows at top and bottom, pw columns at left and right;
        * a pair of pairs ((top, bottom), (left, right)).
      data_format: "channels_last" (default or None, NHWC) or "channels_first"
        (NCHW: transposed to NHWC and back, see tfcore/layers/layout.py).
    """

    layout = "(batch, height, width, channels)"

    def __init__(self, padding=1, data_format=None, name=None):
        super().__init__(name=name or "zero_padding2d")
        self.data_format = normalize_data_format(data_format, self.name)
        self.padding = self.borders = normalize_borders(padding, 2, self.name, "padding")


class ZeroPadding3D(_ZeroPadding):
    """Pads the depth, height and width axes of (batch, depth, height, width, channels) with zeros:

        y[n, d, i, j, c] = x[n, d - front, i - top, j - left, c]  inside the volume,  else 0

    Args:
      padding: one of
        * an int p: p on every side of every axis (default 1);
        * a triple (pd, ph, pw): pd at front and back, ph at top and bottom, pw at left and right;
        * a triple of pairs ((front, back), (top, bottom), (left, right)).
      data_format: "channels_last" (default or None) or "channels_first"
        ((batch, channels, depth, height, width): transposed to channels-last and back).
    """

    layout = "(batch, depth, height, width, channels)"

    def __init__(self, padding=(1, 1, 1), data_format=None, name=None):
        super().__init__(name=name or "zero_padding3d")
        self.data_format = normalize_data_format(data_format, self.name)
        self.padding = self.borders = normalize_borders(padding, 3, self.name, "padding")
