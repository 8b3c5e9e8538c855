"""Cropping1D/2D/3D: cut steps, rows, columns or slices off the borders (the inverse of zero padding).

Cropping1D on (batch, steps, channels) with cropping (left, right):

    y[n, t, c] = x[n, t + left, c],   t < steps - left - right

Cropping2D on (batch, height, width, channels) with ((top, bottom), (left, right)):

    y[n, i, j, c] = x[n, i + top, j + left, c],   i < H - top - bottom,  j < W - left - right

Cropping3D on (batch, depth, height, width, channels) the same with a third pair
(front, back) first. Each is one slice. Its gradient is zero padding: dL/dx is dL/dy with zeros
where the border was cut off (ZeroPadding's gradient is cropping, and back).
"""

import tensorflow as tf

from tfcore.checks import normalize_borders, normalize_tuple
from tfcore.layers.layout import normalize_data_format
from tfcore.layers.keras.pad import BEFORE_AFTER, BordersLayer


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


class _Cropping(BordersLayer):
    """Cropping1D/2D/3D: one slice."""

    def channels_last_call(self, inputs):
        """y[n, i_1, ..., i_k, c] = x[n, i_1 + b_1, ..., i_k + b_k, c]."""
        return _crop(inputs, self.borders, self.name)


class Cropping1D(_Cropping):
    """Crops the steps axis of (batch, steps, channels): y[n, t, c] = x[n, t + left, c].

    Args:
      cropping: an int c (c steps off both ends) or a pair (left, right); default (1, 1).
    """

    layout = "(batch, steps, channels)"

    def __init__(self, cropping=(1, 1), name=None):
        super().__init__(name=name or "cropping1d")
        self.cropping = normalize_tuple(cropping, 2, self.name, "cropping", minimum=0, what=BEFORE_AFTER)
        self.borders = (self.cropping,)


class Cropping2D(_Cropping):
    """Crops the height and width axes of NHWC images: y[n, i, j, c] = x[n, i + top, j + left, c].

    Args:
      cropping: one of
        * an int c: c rows/columns off every side;
        * a pair (ch, cw): ch rows off top and bottom, cw columns off left and right;
        * a pair of pairs ((top, bottom), (left, right)); default ((0, 0), (0, 0)).
      data_format: "channels_last" (default, as Keras) or "channels_first"
        (transposed to channels-last and back, layout.py).
    """

    layout = "(batch, height, width, channels)"

    def __init__(self, cropping=((0, 0), (0, 0)), data_format=None, name=None):
        super().__init__(name=name or "cropping2d")
        self.data_format = normalize_data_format(data_format, self.name)
        self.cropping = self.borders = normalize_borders(cropping, 2, self.name, "cropping")


class Cropping3D(_Cropping):
    """Crops the depth, height and width axes of (batch, depth, height, width, channels):

        y[n, d, i, j, c] = x[n, d + front, i + top, j + left, c]

    Args:
      cropping: one of
        * an int c: c off every side of every axis;
        * a triple (cd, ch, cw): cd off front and back, ch off top and bottom, cw off left and right;
        * a triple of pairs ((front, back), (top, bottom), (left, right)); default ((1, 1), (1, 1), (1, 1)).
      data_format: "channels_last" (default, as Keras) or "channels_first"
        (transposed to channels-last and back, layout.py).
    """

    layout = "(batch, depth, height, width, channels)"

    def __init__(self, cropping=((1, 1), (1, 1), (1, 1)), data_format=None, name=None):
        super().__init__(name=name or "cropping3d")
        self.data_format = normalize_data_format(data_format, self.name)
        self.cropping = self.borders = normalize_borders(cropping, 3, self.name, "cropping")
