"""Preprocessing layers that models carry inside them: Rescaling, Normalization, Resizing, CenterCrop.

A Keras model often starts by scaling or normalising its raw input, so that
what is exported takes raw pixels or raw measurements. These are those steps,
as layers of the graph:

    Rescaling:      y = x * scale + offset                   (e.g. scale = 1/255)
    Normalization:  y = (x - mean) / max(sqrt(var), 1e-7)    (invert: y = mean + x * max(sqrt(var), 1e-7))
    Resizing:       y = the image resampled to (height, width)
    CenterCrop:     y = the central (height, width) window of the image

Normalization's mean and variance are per position of the kept `axis` (the
features, by default), over every other axis of the data given to `adapt`:

    mean[c] = (1/N) sum_i x[i, c],    var[c] = (1/N) sum_i (x[i, c] - mean[c])^2

(N counts every value that shares c: the population variance, as Keras).
`adapt(data)` computes them with NumPy before the graph exists, so they become
the initial values of the layer's non-trainable weights `mean`, `variance` and
`count` (Keras's names and order); `adapt(data, session)` assigns them to a layer
already built. Given `mean=` and `variance=` instead, they are constants and the
layer has no weights, as in Keras.

Resizing samples the input at the output pixels' centres (the half-pixel rule
of `tf.image.resize`, which Keras 2 calls). Output pixel i of n_out has its
centre at input coordinate

    u = (i + 0.5) * n_in / n_out - 0.5
    bilinear: y[i] = (1 - w) x[floor(u)] + w x[floor(u) + 1],  w = u - floor(u),  u clipped to [0, n_in - 1]
    nearest:  y[i] = x[min(floor((i + 0.5) * n_in / n_out), n_in - 1)]

along height, then along width; the gradient sends each output's gradient back
to the pixels it was read from (by w and 1 - w for bilinear). With
`crop_to_aspect_ratio=True` the largest central window of the target's aspect
ratio is cut first, so nothing is stretched (Keras's `smart_resize`).

The image layers take channels-last images, (batch, height, width, channels) or
one (height, width, channels), as Keras's do; integer pixels are cast to float32.
"""

import numpy as np
import tensorflow as tf

from tfcore.checks import normalize_axes, normalize_choice, number_in, positive_int, resolve_axes
from tfcore.module import Module

EPSILON = 1e-7  # Keras's backend.epsilon(): the smallest standard deviation divided by
INTERPOLATIONS = ("bilinear", "nearest")


def _values(array):
    """An initializer that starts a weight at `array` (the adapted statistics)."""
    return lambda shape, dtype: tf.reshape(tf.constant(np.asarray(array), dtype), shape)


def _as_float(inputs, dtype=None):
    """Integer pixels and measurements become float32 (or `dtype`), as Keras's compute dtype."""
    if inputs.dtype.is_floating and dtype is None:
        return inputs
    return tf.cast(inputs, dtype or tf.float32)


class Rescaling(Module):
    """y = x * scale + offset (Keras 2's Rescaling; integer inputs become float32).

    Args:
      scale: the factor, e.g. 1/255 for pixels to [0, 1].
      offset: added after scaling, e.g. -1 with scale 1/127.5 for [-1, 1].
    """

    def __init__(self, scale, offset=0.0, name=None):
        super().__init__(name=name)
        self.scale = number_in(scale, "(-inf, inf)", self.name, "scale")
        self.offset = number_in(offset, "(-inf, inf)", self.name, "offset")

    def call(self, inputs, training=False):
        """y = x * scale + offset"""
        x = _as_float(inputs)
        return x * tf.cast(self.scale, x.dtype) + tf.cast(self.offset, x.dtype)


class Normalization(Module):
    """y = (x - mean) / max(sqrt(variance), 1e-7), statistics per position of `axis`.

    Args:
      axis: the axis or axes that keep their own statistics (default -1, the
        features); None: one mean and variance over everything.
      mean, variance: the statistics, if known (then no `adapt` and no weights).
      invert: undo a normalisation instead: y = mean + x * max(sqrt(variance), 1e-7).
    """

    # Adapted, it holds float weights (mean, variance), which would make it refuse the
    # integer features it casts (module.py's first-call rule).
    integer_inputs = True

    def __init__(self, axis=-1, mean=None, variance=None, invert=False, name=None):
        super().__init__(name=name)
        axis = () if axis is None else normalize_axes(axis, self.name, "axis", allow_empty=True)
        if 0 in axis:  # negative axes count from the end: only 0 is sure to be the batch axis
            raise ValueError("%s: axis may not be 0, the batch axis" % self.name)
        if (mean is None) != (variance is None):
            raise ValueError("%s: give both mean and variance, or neither (then call adapt)"
                             % self.name)
        self.axis, self.invert = axis, bool(invert)
        self.input_mean, self.input_variance = mean, variance
        self._adapted = None  # (mean, variance, count) from adapt() before the first call

    def _kept_axes(self, shape):
        return sorted(resolve_axes(self.axis, tf.TensorShape(shape), self.name, "axis"))

    def adapt(self, data, session=None):
        """Compute the mean and variance of `data` (a NumPy array, batch first) per kept position."""
        if self.input_mean is not None:
            raise ValueError("%s: mean and variance were given; adapt is for a layer without them"
                             % self.name)
        data = np.asarray(data, dtype=np.float64)
        kept = self._kept_axes(data.shape)
        reduce = tuple(a for a in range(data.ndim) if a not in kept)
        mean, variance = data.mean(axis=reduce), data.var(axis=reduce)
        count = int(np.prod([data.shape[a] for a in reduce]))
        if not self.built:
            self._adapted = (mean, variance, count)
        else:
            if session is None:
                raise ValueError("%s.adapt: the layer is built; pass the session to assign the "
                                 "statistics to its weights: adapt(data, session)" % self.name)
            self.set_weights(session, [mean, variance, np.int64(count)])

    def build(self, input_shape):
        kept = self._kept_axes(input_shape)
        rank = input_shape.rank
        if any(input_shape[a] is None for a in kept):
            raise ValueError("%s: the kept axes %s need known sizes, got input shape %s"
                             % (self.name, self.axis, input_shape))
        shape = [int(input_shape[a]) for a in kept]
        self._broadcast = [int(input_shape[a]) if a in kept else 1 for a in range(rank)]
        if self.input_mean is not None:
            self.mean = tf.reshape(tf.constant(self.input_mean * np.ones(shape), self.dtype), self._broadcast)
            self.variance = tf.reshape(tf.constant(self.input_variance * np.ones(shape), self.dtype),
                                       self._broadcast)
            return
        mean, variance, count = self._adapted or (np.zeros(shape), np.ones(shape), 0)
        if list(np.shape(mean)) != shape:
            raise ValueError("%s: adapted on data whose kept axes have sizes %s, called on input "
                             "shape %s" % (self.name, list(np.shape(mean)), input_shape))
        self.adapt_mean = self.add_weight("mean", shape, _values(mean), trainable=False)
        self.adapt_variance = self.add_weight("variance", shape, _values(variance), trainable=False)
        self.count = self.add_weight("count", (), _values(count), trainable=False, dtype=tf.int64)
        self.mean = tf.reshape(self.adapt_mean, self._broadcast)
        self.variance = tf.reshape(self.adapt_variance, self._broadcast)

    def call(self, inputs, training=False):
        """y = (x - mean) / max(sqrt(var), eps)   (invert: y = mean + x * max(sqrt(var), eps))"""
        x = _as_float(inputs, self.dtype)
        mean, variance = tf.cast(self.mean, x.dtype), tf.cast(self.variance, x.dtype)
        std = tf.maximum(tf.sqrt(variance), tf.cast(EPSILON, x.dtype))
        return mean + x * std if self.invert else (x - mean) / std


def _resize_along(x, axis, size, interpolation):
    """Resample `x` along `axis` to `size` samples (half-pixel centres; the module's formulas)."""
    n = tf.shape(x)[axis]
    # float32, as tf.image.resize computes its coordinates, so the same pixels are read.
    scale = tf.cast(n, tf.float32) / float(size)
    centres = (tf.range(size, dtype=tf.float32) + 0.5) * scale
    if interpolation == "nearest":
        return tf.gather(x, tf.minimum(tf.cast(tf.floor(centres), tf.int32), n - 1), axis=axis)
    u = tf.clip_by_value(centres - 0.5, 0.0, tf.cast(n - 1, tf.float32))
    lo = tf.floor(u)
    w = tf.reshape(tf.cast(u - lo, x.dtype), [-1 if a == axis else 1 for a in range(x.shape.rank)])
    lo = tf.cast(lo, tf.int32)
    hi = tf.minimum(lo + 1, n - 1)
    return (1 - w) * tf.gather(x, lo, axis=axis) + w * tf.gather(x, hi, axis=axis)


def _central_window(images, height, width):
    """The largest central window with the aspect ratio height : width (Keras's smart_resize)."""
    shape = tf.shape(images)
    h, w = shape[-3], shape[-2]
    crop_h = tf.minimum(h, tf.cast(tf.cast(w * height, tf.float32) / width, tf.int32))
    crop_w = tf.minimum(w, tf.cast(tf.cast(h * width, tf.float32) / height, tf.int32))
    top = tf.cast(tf.cast(h - crop_h, tf.float32) / 2, tf.int32)
    left = tf.cast(tf.cast(w - crop_w, tf.float32) / 2, tf.int32)
    return images[..., top:top + crop_h, left:left + crop_w, :]


class _ImageLayer(Module):
    """Channels-last images, one (H, W, C) or a batch (N, H, W, C); integer pixels become float32."""

    def __init__(self, height, width, name=None):
        super().__init__(name=name)
        self.height = positive_int(height, self.name, "height")
        self.width = positive_int(width, self.name, "width")

    def _images(self, inputs):
        if inputs.shape.rank not in (3, 4):
            raise ValueError("%s: input must be an image (height, width, channels) or a batch "
                             "(batch, height, width, channels), got shape %s" % (self.name, inputs.shape))
        return _as_float(inputs)

    def _resize(self, images, interpolation):
        y = _resize_along(images, images.shape.rank - 3, self.height, interpolation)
        y = _resize_along(y, images.shape.rank - 2, self.width, interpolation)
        y.set_shape(images.shape[:-3].concatenate([self.height, self.width, images.shape[-1]]))
        return y


class Resizing(_ImageLayer):
    """Resample images to (height, width): Keras 2's Resizing.

    Args:
      height, width: the output size.
      interpolation: "bilinear" (default) or "nearest".
      crop_to_aspect_ratio: cut the largest central window of the output's aspect
        ratio first, so the image is not distorted.
    """

    def __init__(self, height, width, interpolation="bilinear", crop_to_aspect_ratio=False, name=None):
        super().__init__(height, width, name=name)
        self.interpolation = normalize_choice(interpolation, INTERPOLATIONS, self.name, "interpolation")
        self.crop_to_aspect_ratio = bool(crop_to_aspect_ratio)

    def call(self, inputs, training=False):
        """y = x sampled at the output pixels' centres (see the module docstring)."""
        images = self._images(inputs)
        if self.crop_to_aspect_ratio:
            images = _central_window(images, self.height, self.width)
        return self._resize(images, self.interpolation)


class CenterCrop(_ImageLayer):
    """The central (height, width) window of each image: Keras 2's CenterCrop.

    The window starts at ((H - height) // 2, (W - width) // 2). An image smaller
    than the window on either axis is instead resized to it (after cutting the
    largest central window of its aspect ratio), as Keras does.
    """

    def call(self, inputs, training=False):
        """y[i, j] = x[top + i, left + j],  top = (H - height) // 2,  left = (W - width) // 2"""
        images = self._images(inputs)
        shape = tf.shape(images)
        h_diff, w_diff = shape[-3] - self.height, shape[-2] - self.width

        def crop():
            top, left = h_diff // 2, w_diff // 2
            return images[..., top:top + self.height, left:left + self.width, :]

        def upsize():
            return self._resize(_central_window(images, self.height, self.width), "bilinear")

        if images.shape[-3] is not None and images.shape[-2] is not None:  # known now: no cond
            y = crop() if images.shape[-3] >= self.height and images.shape[-2] >= self.width else upsize()
        else:
            y = tf.cond(tf.logical_and(h_diff >= 0, w_diff >= 0), crop, upsize)
        y.set_shape(images.shape[:-3].concatenate([self.height, self.width, images.shape[-1]]))
        return y
