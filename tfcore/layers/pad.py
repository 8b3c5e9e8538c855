"""Zero padding: add rows and columns of zeros around sequences and images.

ZeroPadding1D on (batch, steps, channels) with padding (left, right):

    y[n, t, c] = x[n, t - left, c]   if 0 <= t - left < steps,   else 0
    y has steps + left + right steps.

ZeroPadding2D on (batch, height, width, channels) with ((top, bottom), (left, right)):

    y[n, i, j, c] = x[n, i - top, j - left, c]   inside the image,   else 0
    y has height + top + bottom rows and width + left + right columns.

Both are one `tf.pad` whose paddings list (before, after) per axis, with
(0, 0) on the batch and channel axes. The gradient of padding is cropping:
dL/dx is dL/dy with the padded border cut off.

A common use is to pad explicitly before a VALID convolution, which gives
SAME-like output sizes with padding of the user's choice.
"""

import numpy as np
import tensorflow as tf

from tfcore.module import Module


def _is_int(value):
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


def _before_after(value, layer, arg):
    """An int p -> (p, p); a pair (before, after) -> itself; non-negative ints only."""
    if _is_int(value):
        value = (value, value)
    if not isinstance(value, (tuple, list)) or len(value) != 2 or not all(_is_int(v) for v in value):
        raise ValueError("%s: %s must be an int or a pair (before, after) of ints, got %r"
                         % (layer, arg, value))
    if min(value) < 0:
        raise ValueError("%s: %s must be non-negative, got %r" % (layer, arg, tuple(value)))
    return int(value[0]), int(value[1])


def _check_rank(inputs, rank, layer, layout):
    if inputs.shape.rank != rank:
        raise ValueError("%s: input must have rank %d %s, got shape %s"
                         % (layer, rank, layout, inputs.shape))


class ZeroPadding1D(Module):
    """Pads the steps axis of (batch, steps, channels) with zeros.

    Args:
      padding: an int p (p zeros at both ends) or a pair (left, right); default 1.
    """

    def __init__(self, padding=1, name=None):
        super().__init__(name=name or "zero_padding1d")
        self.padding = _before_after(padding, self.name, "padding")

    def call(self, inputs, training=False):
        _check_rank(inputs, 3, self.name, "(batch, steps, channels)")
        return tf.pad(inputs, [[0, 0], list(self.padding), [0, 0]])


class ZeroPadding2D(Module):
    """Pads the height and width axes of NHWC images with zeros.

    Args:
      padding: one of
        * an int p: p rows/columns on every side (default 1);
        * a pair (ph, pw): ph rows at top and bottom, pw columns at left and right;
        * a pair of pairs ((top, bottom), (left, right)).
    """

    def __init__(self, padding=1, name=None):
        super().__init__(name=name or "zero_padding2d")
        if _is_int(padding):
            padding = (padding, padding)
        if not isinstance(padding, (tuple, list)) or len(padding) != 2:
            raise ValueError(
                "%s: padding must be an int, a pair (height, width) or a pair of pairs "
                "((top, bottom), (left, right)), got %r" % (self.name, padding)
            )
        self.padding = (
            _before_after(padding[0], self.name, "padding[0] (top, bottom)"),
            _before_after(padding[1], self.name, "padding[1] (left, right)"),
        )

    def call(self, inputs, training=False):
        _check_rank(inputs, 4, self.name, "(batch, height, width, channels)")
        (top, bottom), (left, right) = self.padding
        return tf.pad(inputs, [[0, 0], [top, bottom], [left, right], [0, 0]])
