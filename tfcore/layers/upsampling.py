"""UpSampling2D: enlarge NHWC images by whole factors (sh, sw).

Nearest neighbour: every pixel becomes an sh x sw block of copies,

    y[n, i, j, c] = x[n, i // sh, j // sw, c]

which is `tf.repeat` along height and then width. Its gradient sums each
block's gradients back into the pixel.

Bilinear (the half-pixel rule of `tf.image.resize`, which Keras 2 uses): the
centre of output pixel i sits at input coordinate

    u = (i + 0.5) / s - 0.5,  clipped to [0, H - 1]
    y[i] = (1 - w) x[floor(u)] + w x[min(floor(u) + 1, H - 1)],   w = u - floor(u)

along height, then the same along width (bilinear = linear in each axis
separately). The indices and weights depend only on the sizes, so they are
computed from the (possibly run-time) shape and applied with `tf.gather`; the
gradient scatters w and 1 - w back to the two source pixels.
"""

import tensorflow as tf

from tfcore.layers.checks import check_rank, normalize_choice, normalize_pair
from tfcore.layers.layout import normalize_data_format, to_channels_last, to_data_format
from tfcore.module import Module

INTERPOLATIONS = ("nearest", "bilinear")


def _linear_along(x, axis, factor):
    """Linear interpolation of `x` along `axis` to `factor` times its size (half-pixel centres)."""
    n = tf.shape(x)[axis]
    i = tf.cast(tf.range(n * factor), x.dtype)
    u = tf.clip_by_value((i + 0.5) / factor - 0.5, 0.0, tf.cast(n - 1, x.dtype))
    lo = tf.floor(u)
    w = u - lo
    lo = tf.cast(lo, tf.int32)
    hi = tf.minimum(lo + 1, n - 1)
    # Weights shaped to broadcast along `axis` of a rank-4 tensor.
    w = tf.reshape(w, [-1 if a == axis else 1 for a in range(4)])
    return (1 - w) * tf.gather(x, lo, axis=axis) + w * tf.gather(x, hi, axis=axis)


class UpSampling2D(Module):
    """Repeats (nearest) or interpolates (bilinear) rows and columns of NHWC images.

    Args:
      size: (sh, sw), an int or a pair of positive ints (default 2).
      interpolation: "nearest" (default) or "bilinear", as in Keras.
      data_format: "channels_last" (default, as Keras) or "channels_first"
        (transposed to channels-last and back, layout.py).

    Output shape: (batch, H * sh, W * sw, channels).
    """

    def __init__(self, size=(2, 2), data_format=None, interpolation="nearest", name=None):
        super().__init__(name=name or "up_sampling2d")
        self.data_format = normalize_data_format(data_format, self.name)
        self.size = normalize_pair(size, self.name, "size")
        self.interpolation = normalize_choice(interpolation, INTERPOLATIONS, self.name, "interpolation")

    def call(self, inputs, training=False):
        """nearest:  y[n, i, j, c] = x[n, i // sh, j // sw, c]
        bilinear: y[i] = (1 - w) x[floor(u)] + w x[floor(u) + 1],  u = (i + 0.5) / s - 0.5, per axis
        """
        inputs = to_channels_last(inputs, self.data_format)
        check_rank(inputs, 4, self.name, "(batch, height, width, channels)")
        if not inputs.dtype.is_floating and self.interpolation == "bilinear":
            raise TypeError("%s: bilinear interpolation needs a floating input, got %s"
                            % (self.name, inputs.dtype.name))
        y = inputs
        for axis, factor in zip((1, 2), self.size):
            if self.interpolation == "nearest":
                y = tf.repeat(y, factor, axis=axis)
            else:
                y = _linear_along(y, axis, factor)
        h, w = inputs.shape[1], inputs.shape[2]
        y.set_shape([inputs.shape[0], h and h * self.size[0], w and w * self.size[1],
                     inputs.shape[3]])
        return to_data_format(y, self.data_format)
