"""Max and average pooling over NDHWC volumes.

pool.py's equations with one more spatial axis: a window of (pd, ph, pw)
voxels slides with strides (sd, sh, sw) over each channel and is summarised
by its maximum or by the mean of its voxels that lie inside the volume:

    max:      y[n, p, i, j, c] = max_{(t, u, v) in W} x[n, p*sd + t - pf, i*sh + u - pt, j*sw + v - pl, c]
    average:  y[n, p, i, j, c] = 1/|W| * sum_{(t, u, v) in W} x[...]

With SAME padding, padded voxels never count (|W| is the number of valid
voxels), as in `tf.nn.avg_pool3d` and Keras's AveragePooling3D. Output sizes:
VALID ceil((D - pd + 1) / sd), SAME ceil(D / sd), per axis.

Two paths give the same numbers:

* the fused ops `tf.nn.max_pool3d` / `tf.nn.avg_pool3d` (what Keras runs), for
  float16 / float32, the only dtypes they accept;
* a separable reference for any float dtype (float64 gradient checks): a box
  window is the product of one interval per axis, so its max is the max over
  depth of the max over (height, width), and its mean over valid voxels is the
  mean over valid depths of the means over valid (height, width) pixels (each
  depth slice has the same number of valid pixels). So: a 2-D pool of every
  depth slice, then a (pd, 1) pool along depth.
"""

import tensorflow as tf

from tfcore.checks import check_input, check_window_fits, normalize_padding, normalize_tuple
from tfcore.layers.layout import normalize_data_format, to_channels_last, to_data_format
from tfcore.module import Module


class _Pool3D(Module):
    """Shared arguments and checks of MaxPool3D and AvgPool3D."""

    default_name = None

    def __init__(self, pool_size=2, strides=None, padding="valid", data_format=None, name=None):
        super().__init__(name=name or self.default_name)
        self.data_format = normalize_data_format(data_format, self.name)
        self.pool_size = normalize_tuple(pool_size, 3, self.name, "pool_size")
        # Keras's default: non-overlapping windows.
        self.strides = (self.pool_size if strides is None
                        else normalize_tuple(strides, 3, self.name, "strides"))
        self.padding = normalize_padding(padding, self.name)

    def call(self, inputs, training=False):
        """y[n, p, i, j, c] = max or mean of x over the window (p, i, j) (voxels inside only)."""
        inputs = to_channels_last(inputs, self.data_format)
        check_input(inputs, 5, self.name, "(batch, depth, height, width, channels)")
        inputs = check_window_fits(inputs, self.pool_size, self.padding, self.name, "pool window")
        if inputs.dtype in (tf.float16, tf.float32):
            y = self._pool3d(inputs, ksize=[1, *self.pool_size, 1], strides=[1, *self.strides, 1],
                             padding=self.padding)
        else:
            y = self._separable(inputs)
        return to_data_format(y, self.data_format)

    def _separable(self, inputs):
        """The 2-D pool of each depth slice, then the pool along depth (module docstring)."""
        (pd, ph, pw), (sd, sh, sw) = self.pool_size, self.strides
        n, d = tf.shape(inputs)[0], tf.shape(inputs)[1]
        slices = tf.reshape(inputs, tf.concat([[n * d], tf.shape(inputs)[2:]], 0))
        y = self._pool2d(slices, ksize=[1, ph, pw, 1], strides=[1, sh, sw, 1], padding=self.padding)
        hw = tf.shape(y)[1:3]
        y = tf.reshape(y, tf.stack([n, d, hw[0] * hw[1], tf.shape(y)[3]]))
        y = self._pool2d(y, ksize=[1, pd, 1, 1], strides=[1, sd, 1, 1], padding=self.padding)
        y = tf.reshape(y, tf.concat([tf.shape(y)[:2], hw, tf.shape(y)[3:]], 0))
        y.set_shape(self._output_shape(inputs.shape))
        return y

    def _output_shape(self, shape):
        sizes = []
        for dim, p, s in zip(shape[1:4], self.pool_size, self.strides):
            if dim is None:
                sizes.append(None)
            else:
                sizes.append(-(-(dim - p + 1) // s) if self.padding == "VALID" else -(-dim // s))
        return [shape[0]] + sizes + [shape[4]]

    def _pool3d(self, inputs, ksize, strides, padding):
        raise NotImplementedError

    def _pool2d(self, inputs, ksize, strides, padding):
        raise NotImplementedError


class MaxPool3D(_Pool3D):
    """Max pooling: the largest value in each (pd, ph, pw) window, per channel.

    Args:
      pool_size: an int or a triple (default 2).
      strides: an int or a triple; default None means `pool_size`.
      padding: "valid" (default) or "same"; any case.
      data_format: "channels_last" (default, as Keras) or "channels_first"
        (transposed to channels-last and back, layout.py).
    """

    default_name = "max_pool3d"

    def _pool3d(self, inputs, ksize, strides, padding):
        return tf.nn.max_pool3d(inputs, ksize=ksize, strides=strides, padding=padding)

    def _pool2d(self, inputs, ksize, strides, padding):
        return tf.nn.max_pool2d(inputs, ksize=ksize, strides=strides, padding=padding)


class AvgPool3D(_Pool3D):
    """Average pooling: the mean of each window over its voxels inside the volume, per channel.

    Args: as MaxPool3D.
    """

    default_name = "avg_pool3d"

    def _pool3d(self, inputs, ksize, strides, padding):
        return tf.nn.avg_pool3d(inputs, ksize=ksize, strides=strides, padding=padding)

    def _pool2d(self, inputs, ksize, strides, padding):
        return tf.nn.avg_pool2d(inputs, ksize=ksize, strides=strides, padding=padding)


# Keras's longer spellings of the same layers (tf-keras has both): one class, two names.
MaxPooling3D, AveragePooling3D = MaxPool3D, AvgPool3D
