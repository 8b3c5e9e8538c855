"""Max and average pooling over sequences (batch, steps, channels) and NHWC images.

A pooling layer slides a window of (ph, pw) pixels with strides (sh, sw) over
each channel separately and summarises the window by one number, its max or
its mean. Output sizes and padding follow the same rules as the convolutions
(`window_geometry` in windows.py, with the pool size as the kernel size).

With SAME padding a window at the border hangs over the edge. The padded
positions are not values that count: max pooling ignores them, and average
pooling divides by the number of pixels **inside** the image, not by ph * pw.
So the average of a constant image is that constant everywhere, borders
included. This is what `tf.nn.avg_pool2d` computes and what Keras's
AveragePooling2D does.

Two implementations, as for the convolutions (`implementation=`):

* `"fused"` (default): one TensorFlow kernel, `tf.nn.max_pool` / `tf.nn.avg_pool`.
* `"patches"`: the windows gathered by windows.py's `extract_patches`, then a
  reduction over the window axis (`max_pool_patches`, `avg_pool_patches`).

`gradient="manual"` (patches path only) attaches the backward pass written next
to each forward formula, with `tf.custom_gradient`. Second order: each backward
is built from differentiable ops (the max's winner mask is a comparison, whose
derivative is zero), so `tf.gradients` of a manual gradient works and agrees
with central differences (tests/test_pool.py checks order=2).

The layers have no variables; the window may slide over inputs of any size and
channel count from one call to the next. `tfcore/reference/pool.py` computes
the same equations with NumPy loops.
"""

import numpy as np
import tensorflow as tf

from tfcore.checks import (check_input, check_window_fits, implementation_and_gradient, layout_of,
                           normalize_padding, normalize_tuple)
from tfcore.layers.layout import normalize_data_format, to_channels_last, to_data_format
from tfcore.layers.windows import (Window, crop, extract_patches, pad_for_window, scatter_patches,
                                   spatial_sizes)
from tfcore.module import Module


def _scatter_and_crop(dpatches, padded, pads, x, window, out_sizes):
    """dL/dx from dL/dpatches: col2im onto the padded input, then the padding cut off."""
    dpadded = scatter_patches(dpatches, spatial_sizes(padded), window, out_sizes)
    return crop(dpadded, pads, spatial_sizes(x))


def max_pool_patches(x, window, manual=False):
    """Max pooling from patches: pad with -inf, gather the windows, take the max.

    Forward, for the patches P[n, i, j, t, c] of the input padded with -inf
    (so a padded position never wins, and negative inputs pool correctly):

        y[n, i, j, c] = max_t P[n, i, j, t, c]

    Backward (`manual=True`): the max is a selection, so dL/dP is dL/dy at the
    winning tap and 0 elsewhere, then col2im adds it back onto the input:

        dP[n, i, j, t, c] = dy[n, i, j, c]  if t is the FIRST tap (row-major) with P = y,  else 0
        dx = crop(col2im(dP))

    Ties: the whole gradient goes to the first maximal tap in row-major window
    order, which is where TensorFlow's MaxPoolGrad (the fused path) sends it.
    The automatic gradient of `tf.reduce_max` (patches path, gradient="auto")
    instead splits it equally among the tied taps: all three agree without ties.
    """
    def forward(x):
        padded, pads, out_sizes = pad_for_window(x, window, value=-np.inf)
        patches = extract_patches(padded, window, out_sizes)
        y = tf.reduce_max(patches, axis=-2)

        def backward(dy):
            is_max = tf.cast(tf.equal(patches, tf.expand_dims(y, -2)), dy.dtype)
            first = is_max * tf.cast(tf.equal(tf.cumsum(is_max, axis=-2, exclusive=True), 0), dy.dtype)
            return _scatter_and_crop(first * tf.expand_dims(dy, -2), padded, pads, x, window, out_sizes)

        return y, backward

    return tf.custom_gradient(forward)(x) if manual else forward(x)[0]


def window_counts(x, window):
    """(1, *out_sizes, 1): how many pixels of each window lie inside the input.

    The patches of an all-ones input padded with zeros, summed over the window.
    """
    ones = tf.ones(tf.concat([[1], tf.shape(x)[1:-1], [1]], 0), x.dtype)
    ones.set_shape([1] + x.shape[1:-1].as_list() + [1])
    padded, _, out_sizes = pad_for_window(ones, window)
    return tf.reduce_sum(extract_patches(padded, window, out_sizes), axis=-2)


def avg_pool_patches(x, window, manual=False):
    """Average pooling from patches: pad with zeros, sum each window, divide by its count.

    Forward, for the patches P of the zero-padded input and `count`, the number
    of the window's pixels inside the input (`window_counts`):

        y[n, i, j, c] = Σ_t P[n, i, j, t, c] / count[i, j]

    Backward (`manual=True`): each of the window's pixels contributed 1/count
    of y, so each receives dy / count (the padded ones too, but they are cut off):

        dP[n, i, j, t, c] = dy[n, i, j, c] / count[i, j]       dx = crop(col2im(dP))
    """
    def forward(x):
        padded, pads, out_sizes = pad_for_window(x, window)
        patches = extract_patches(padded, window, out_sizes)
        count = window_counts(x, window)
        y = tf.reduce_sum(patches, axis=-2) / count

        def backward(dy):
            dpatches = tf.broadcast_to(tf.expand_dims(dy / count, -2), tf.shape(patches))
            return _scatter_and_crop(dpatches, padded, pads, x, window, out_sizes)

        return y, backward

    return tf.custom_gradient(forward)(x) if manual else forward(x)[0]


class _Pool(Module):
    """What the four pooling layers share: arguments, input checks, the window."""

    rank = None    # the number of spatial axes, set by the subclasses
    layout = None  # e.g. "(batch, height, width, channels)"

    def __init__(self, pool_size=2, strides=None, padding="VALID", data_format=None,
                 implementation="fused", gradient="auto", name=None):
        super().__init__(name=name)
        self.data_format = normalize_data_format(data_format, self.name)
        self.pool_size = normalize_tuple(pool_size, self.rank, self.name, "pool_size")
        # Keras's default: non-overlapping windows.
        self.strides = (self.pool_size if strides is None
                        else normalize_tuple(strides, self.rank, self.name, "strides"))
        self.padding = normalize_padding(padding, self.name)
        self.implementation, self.gradient = implementation_and_gradient(
            implementation, gradient, self.name)

    def call(self, inputs, training=False):
        """The subclass's `_pool`, computed channels-last (see tfcore/layers/layout.py)."""
        check_input(inputs, self.rank + 2, self.name, layout_of(self.layout, self.data_format))
        y = self._pool(self._checked(to_channels_last(inputs, self.data_format)))
        return to_data_format(y, self.data_format)

    def _checked(self, inputs):
        """Channels-last `inputs` after the checks of every call: the window size."""
        return check_window_fits(inputs, self.pool_size, self.padding, self.name, "pool window")

    @property
    def window(self):
        return Window(self.pool_size, self.strides, (1,) * self.rank, self.padding)


class _MaxPool(_Pool):
    def _pool(self, x):
        """y[n, i, j, c] = max_{u < ph, v < pw, pixel inside} x[n, i*sh + u - pt, j*sw + v - pl, c]

        (pt, pl: the padding before; 1-D drops j and v). Backward: see `max_pool_patches`.
        """
        if self.implementation == "patches":
            return max_pool_patches(x, self.window, manual=self.gradient == "manual")
        return tf.nn.max_pool(x, ksize=self.pool_size, strides=self.strides, padding=self.padding)


class _AvgPool(_Pool):
    def _pool(self, x):
        """y[n, i, j, c] = 1/|W(i, j)| Σ_{(u, v) in W(i, j)} x[n, i*sh + u - pt, j*sw + v - pl, c]

        W(i, j): the offsets (u < ph, v < pw) whose pixel lies inside the input;
        1-D drops j and v. Backward: see `avg_pool_patches`.
        """
        if self.implementation == "patches":
            return avg_pool_patches(x, self.window, manual=self.gradient == "manual")
        return tf.nn.avg_pool(x, ksize=self.pool_size, strides=self.strides, padding=self.padding)


_ARGS = """
    Args:
      pool_size: the window, {size} (default 2).
      strides: {size}; default None means `pool_size` (windows that tile the
        input without overlap, as in Keras).
      padding: "VALID" (default, windows inside the input) or "SAME"; any case.
      data_format: "channels_last" (default or None) or "channels_first" (channels on
        axis 1; computed between two transposes, see tfcore/layers/layout.py).
      implementation: "fused" (default, one TensorFlow kernel) or "patches"
        (windows gathered, then reduced; see `{function}`).
      gradient: "auto" (default) or "manual" (the backward pass written in
        `{function}`; needs implementation="patches").
"""


class MaxPool1D(_MaxPool):
    __doc__ = ("Max pooling over (batch, steps, channels): the largest value in each window.\n"
               + _ARGS.format(size="an int", function="max_pool_patches"))
    rank = 1
    layout = "(batch, steps, channels)"


class MaxPool2D(_MaxPool):
    __doc__ = ("Max pooling over NHWC images: the largest value in each (ph, pw) window.\n"
               + _ARGS.format(size="an int or a pair", function="max_pool_patches"))
    rank = 2
    layout = "(batch, height, width, channels)"


class AvgPool1D(_AvgPool):
    __doc__ = ("Average pooling over (batch, steps, channels): the mean of each window's "
               "steps inside the input.\n"
               + _ARGS.format(size="an int", function="avg_pool_patches"))
    rank = 1
    layout = "(batch, steps, channels)"


class AvgPool2D(_AvgPool):
    __doc__ = ("Average pooling over NHWC images: the mean of each (ph, pw) window over its "
               "pixels inside the image.\n"
               + _ARGS.format(size="an int or a pair", function="avg_pool_patches"))
    rank = 2
    layout = "(batch, height, width, channels)"


# Keras's longer spellings of the same layers (tf-keras has both): one class, two names.
MaxPooling1D, MaxPooling2D = MaxPool1D, MaxPool2D
AveragePooling1D, AveragePooling2D = AvgPool1D, AvgPool2D
