"""Cropping1D and Cropping2D: cut rows and columns off the borders (the inverse of zero padding).

Cropping1D on (batch, steps, channels) with cropping (left, right):

    y[n, t, c] = x[n, t + left, c],   t < steps - left - right

Cropping2D on (batch, height, width, channels) with ((top, bottom), (left, right)):

    y[n, i, j, c] = x[n, i + top, j + left, c],   i < H - top - bottom,  j < W - left - right

Each is one slice. Its gradient is zero padding: dL/dx is dL/dy with zeros
where the border was cut off (ZeroPadding's gradient is cropping, and back).
"""

import tensorflow as tf

from tfcore.layers.checks import check_rank, normalize_borders_2d, normalize_tuple
from tfcore.layers.pad import BEFORE_AFTER
from tfcore.layers.layout import normalize_data_format, to_channels_last, to_data_format
from tfcore.module import Module


def _crop(inputs, crops, layer):
    """Slice `crops[k] = (before, after)` off spatial axis k + 1 (sizes checked when known)."""
    begin, size = [0], [-1]
    for axis, (before, after) in enumerate(crops, start=1):
        dim = inputs.shape[axis]
        if dim is not None and before + after >= dim:
            raise ValueError("%s: cropping %r removes all %d positions of axis %d (input shape %s)"
                             % (layer, (before, after), dim, axis, inputs.shape))
        length = tf.shape(inputs)[axis] - before - after if dim is None else dim - before - after
        begin.append(before)
        size.append(length)
    y = tf.slice(inputs, tf.stack(begin + [0]), tf.stack(size + [-1]))
    y.set_shape([inputs.shape[0]] + [
        None if inputs.shape[a] is None else inputs.shape[a] - sum(c)
        for a, c in enumerate(crops, start=1)] + [inputs.shape[-1]])
    return y


class Cropping1D(Module):
    """Crops the steps axis of (batch, steps, channels).

    Args:
      cropping: an int c (c steps off both ends) or a pair (left, right); default (1, 1).
    """

    def __init__(self, cropping=(1, 1), name=None):
        super().__init__(name=name or "cropping1d")
        self.cropping = normalize_tuple(cropping, 2, self.name, "cropping", minimum=0, what=BEFORE_AFTER)

    def call(self, inputs, training=False):
        """y[n, t, c] = x[n, t + left, c],  t < steps - left - right."""
        check_rank(inputs, 3, self.name, "(batch, steps, channels)")
        return _crop(inputs, [self.cropping], self.name)


class Cropping2D(Module):
    """Crops the height and width axes of NHWC images.

    Args:
      cropping: one of
        * an int c: c rows/columns off every side;
        * a pair (ch, cw): ch rows off top and bottom, cw columns off left and right;
        * a pair of pairs ((top, bottom), (left, right)); default ((0, 0), (0, 0)).
      data_format: "channels_last" (default, as Keras) or "channels_first"
        (transposed to channels-last and back, layout.py).
    """

    def __init__(self, cropping=((0, 0), (0, 0)), data_format=None, name=None):
        super().__init__(name=name or "cropping2d")
        self.data_format = normalize_data_format(data_format, self.name)
        self.cropping = normalize_borders_2d(cropping, self.name, "cropping")

    def call(self, inputs, training=False):
        """y[n, i, j, c] = x[n, i + top, j + left, c] (channels-last)."""
        inputs = to_channels_last(inputs, self.data_format)
        check_rank(inputs, 4, self.name, "(batch, height, width, channels)")
        return to_data_format(_crop(inputs, self.cropping, self.name), self.data_format)
