"""UpSampling1D/2D/3D: enlarge sequences, images and volumes by whole factors.

Nearest neighbour (all three): every position becomes a block of copies,

    UpSampling1D:  y[n, t, c]       = x[n, t // s, c]
    UpSampling2D:  y[n, i, j, c]    = x[n, i // sh, j // sw, c]
    UpSampling3D:  y[n, d, i, j, c] = x[n, d // sd, i // sh, j // sw, c]

which is one `tf.repeat` per spatial axis. Its gradient sums each block's
gradients back into the position it copies.

Bilinear (UpSampling2D only, as in Keras; the half-pixel rule of `tf.image.resize`, which Keras 2 uses): the
centre of output pixel i sits at input coordinate

    u = (i + 0.5) / s - 0.5,  clipped to [0, H - 1]
    y[i] = (1 - w) x[floor(u)] + w x[min(floor(u) + 1, H - 1)],   w = u - floor(u)

along height, then the same along width (bilinear = linear in each axis
separately). The indices and weights depend only on the sizes, so they are
computed from the (possibly run-time) shape and applied with `tf.gather`; the
gradient scatters w and 1 - w back to the two source pixels.
"""

import tensorflow as tf

from tfcore.checks import check_dtype, normalize_choice, normalize_pair, normalize_tuple, positive_int
from tfcore.layers.layout import ChannelsLastLayer, normalize_data_format

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
    # Weights shaped to broadcast along `axis`.
    w = tf.reshape(w, [-1 if a == axis else 1 for a in range(x.shape.rank)])
    return (1 - w) * tf.gather(x, lo, axis=axis) + w * tf.gather(x, hi, axis=axis)


class _UpSampling(ChannelsLastLayer):
    """Shared by UpSampling1D/2D/3D; subclasses set `factors`, one per spatial axis."""

    factors = None
    interpolation = "nearest"

    @property
    def changes_nothing(self):
        # (bilinear keeps its check that the input is floating)
        return self.interpolation == "nearest" and all(factor == 1 for factor in self.factors)

    def channels_last_call(self, inputs):
        """nearest:  y[n, i_1, ..., i_k, c] = x[n, i_1 // s_1, ..., i_k // s_k, c]
        bilinear: y[i] = (1 - w) x[floor(u)] + w x[floor(u) + 1],  u = (i + 0.5) / s - 0.5, per axis
        """
        if self.interpolation == "bilinear":
            check_dtype(inputs, "floating", self.name, "input",
                        " (bilinear interpolation weighs neighbours; 'nearest' takes any dtype)")
        y = inputs
        for axis, factor in enumerate(self.factors, start=1):
            if self.interpolation == "nearest":
                y = tf.repeat(y, factor, axis=axis)
            else:
                y = _linear_along(y, axis, factor)
        spatial = inputs.shape[1:-1]
        y.set_shape([inputs.shape[0]] + [d and d * s for d, s in zip(spatial, self.factors)]
                    + [inputs.shape[-1]])
        return y


class UpSampling1D(_UpSampling):
    """Repeats each step of (batch, steps, channels) `size` times: y[n, t, c] = x[n, t // size, c].

    Args:
      size: a positive int (default 2).

    Output shape: (batch, steps * size, channels).
    """

    layout = "(batch, steps, channels)"

    def __init__(self, size=2, name=None):
        super().__init__(name=name or "up_sampling1d")
        self.size = positive_int(size, self.name, "size")
        self.factors = (self.size,)


class UpSampling2D(_UpSampling):
    """Repeats (nearest) or interpolates (bilinear) rows and columns of NHWC images.

    Args:
      size: (sh, sw), an int or a pair of positive ints (default 2).
      interpolation: "nearest" (default) or "bilinear", as in Keras.
      data_format: "channels_last" (default, as Keras) or "channels_first"
        (transposed to channels-last and back, layout.py).

    Output shape: (batch, H * sh, W * sw, channels).
    """

    layout = "(batch, height, width, channels)"

    def __init__(self, size=(2, 2), data_format=None, interpolation="nearest", name=None):
        super().__init__(name=name or "up_sampling2d")
        self.data_format = normalize_data_format(data_format, self.name)
        self.size = self.factors = normalize_pair(size, self.name, "size")
        self.interpolation = normalize_choice(interpolation, INTERPOLATIONS, self.name, "interpolation")


class UpSampling3D(_UpSampling):
    """Repeats the depth, height and width axes of volumes (nearest only, as Keras).

    Args:
      size: (sd, sh, sw), an int or a triple of positive ints (default (2, 2, 2)).
      data_format: "channels_last" (default, (batch, depth, height, width, channels))
        or "channels_first" (transposed to channels-last and back, layout.py).

    Output shape: (batch, D * sd, H * sh, W * sw, channels).
    """

    layout = "(batch, depth, height, width, channels)"

    def __init__(self, size=(2, 2, 2), data_format=None, name=None):
        super().__init__(name=name or "up_sampling3d")
        self.data_format = normalize_data_format(data_format, self.name)
        self.size = self.factors = normalize_tuple(size, 3, self.name, "size")
