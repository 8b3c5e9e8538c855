"""Conv2D: the 2-D convolution layer (NHWC).

What deep-learning libraries call convolution is cross-correlation: the kernel
slides over the image without being flipped. With input `x` of shape
(batch, H, W, C_in), kernel `K` of shape (kh, kw, C_in, C_out), strides (sh, sw),
dilation (dh, dw) and bias `b` of shape (C_out,):

    y[n, i, j, o] = activation( b[o] + sum_{u, v, c} x[n, i*sh + u*dh - pt, j*sw + v*dw - pl, c]
                                                     * K[u, v, c, o] )

where u < kh, v < kw, c < C_in, and `x` is zero outside the image.

The effective kernel size is k_eff = (k - 1) * d + 1 along each axis (a
dilated kernel samples every d-th pixel, as if d - 1 zeros sat between its taps).
The padding decides the output size and the shifts `pt`, `pl`:

    VALID: no padding;              H_out = ceil((H - k_eff + 1) / s),  pt = 0
    SAME:  pad so that              H_out = ceil(H / s),
           total pad p = max((H_out - 1) * s + k_eff - H, 0),  pt = p // 2
           (the extra pixel of an odd total goes to the bottom/right)

Dilation. `tf.nn.conv2d(..., dilations=...)` computes the forward pass, but
TensorFlow's CPU kernels for its gradients reject dilation rates above 1. So a
dilated convolution is computed the way `tf.nn.convolution` (and so Keras)
does it, the "atrous" trick: with rate d, the pixels that a dilated kernel
touches together are the pixels whose coordinates agree modulo d. Rearranging
the padded image into dh*dw sub-images of those pixels (`tf.space_to_batch`)
turns the dilated convolution into an ordinary one on each sub-image, and
`tf.batch_to_space` interleaves the results back. Both rearrangements are pure
permutations, so their gradients are too and everything runs on any device.
Like Keras, strides > 1 together with dilation > 1 are refused.

A fixed filter. `Conv2D.from_kernel(array)` builds a layer whose kernel is the
given array, stored as a non-trainable variable (optimizers leave it alone,
`get_weights` still shows it). The image-convolution example uses it to apply
the discrete Laplacian:

    laplacian = np.array([[0, 1, 0], [1, -4, 1], [0, 1, 0]], np.float32)
    edges = Conv2D.from_kernel(laplacian.reshape(3, 3, 1, 1), padding="SAME")(image)
"""

import numpy as np
import tensorflow as tf

from tfcore import activations, initializers
from tfcore.module import Module

PADDINGS = ("SAME", "VALID")


# ---------------------------------------------------------------------------
# Argument checks shared by the spatial layers (pool.py uses them too)
# ---------------------------------------------------------------------------

def normalize_pair(value, layer, arg):
    """An int or a pair of ints -> a pair of positive ints; else a ValueError naming the layer."""
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        value = (value, value)
    if (not isinstance(value, (tuple, list)) or len(value) != 2
            or not all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in value)):
        raise ValueError("%s: %s must be an int or a pair of ints, got %r" % (layer, arg, value))
    if min(value) <= 0:
        raise ValueError("%s: %s must be positive, got %r" % (layer, arg, tuple(value)))
    return int(value[0]), int(value[1])


def normalize_padding(padding, layer):
    """'same' / 'SAME' / 'valid' / ... -> 'SAME' or 'VALID' (tf.nn accepts upper case only)."""
    if isinstance(padding, str) and padding.upper() in PADDINGS:
        return padding.upper()
    raise ValueError(
        "%s: padding must be one of %s (any case), got %r"
        % (layer, ", ".join(repr(p) for p in PADDINGS), padding)
    )


def check_rank(inputs, rank, layer, layout):
    """Fail clearly when the input's rank is not `rank`."""
    if inputs.shape.rank != rank:
        raise ValueError(
            "%s: input must have rank %d %s, got shape %s" % (layer, rank, layout, inputs.shape)
        )


def check_window_fits(inputs, window, padding, layer, what):
    """With VALID padding a window larger than the image leaves no output at all."""
    if padding != "VALID":
        return
    for axis, size in zip((1, 2), window):
        dim = inputs.shape[axis]
        if dim is not None and dim < size:
            raise ValueError(
                "%s: with padding 'VALID' the %s (%d along axis %d) is larger than the "
                "input (%d); use padding 'SAME' or a larger input, input shape %s"
                % (layer, what, size, axis, dim, inputs.shape)
            )


def _array_initializer(array):
    """An initialiser that returns `array` itself (shape checked)."""
    array = np.asarray(array)

    def init(shape, dtype=tf.float32):
        if tuple(shape) != array.shape:
            raise ValueError("initial value has shape %s, expected %s" % (array.shape, tuple(shape)))
        return tf.constant(array, dtype=dtype)

    return init


class Conv2D(Module):
    """A 2-D convolution over NHWC images: `activation(conv(x, kernel) + bias)`.

    Args:
      filters: the number of output channels C_out (> 0).
      kernel_size: kh, kw: an int or a pair.
      strides: sh, sw: an int or a pair (default 1).
      padding: "SAME" (output size ceil(H / s)) or "VALID" (no padding); any case.
      dilation_rate: dh, dw: an int or a pair (default 1); > 1 only with strides 1.
      activation: a name (`"relu"`, ...), a callable or None (linear).
      use_bias: add a bias per output channel.
      kernel_initializer: default `glorot_uniform` with Keras's fans for convolutions
        (fan_in = kh*kw*C_in, fan_out = kh*kw*C_out): it keeps the activations'
        variance roughly constant, and it is Keras's default, so tfcore and
        tf-keras models start from the same distribution.
      bias_initializer: default zeros (random kernels already break symmetry).
      trainable: False stores kernel and bias as non-trainable variables (a fixed
        filter); see also `Conv2D.from_kernel`.
      kernel_regularizer, bias_regularizer, activity_regularizer, kernel_constraint,
        bias_constraint: as in `Dense` (`tfcore.regularizers`, `tfcore.constraints`).

    Weights, in Keras's order and layout: kernel (kh, kw, C_in, C_out), bias (C_out,).
    """

    def __init__(self, filters, kernel_size, strides=1, padding="SAME", dilation_rate=1,
                 activation=None, use_bias=True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", trainable=True, kernel_regularizer=None,
                 bias_regularizer=None, activity_regularizer=None, kernel_constraint=None,
                 bias_constraint=None, name=None):
        super().__init__(name=name or "conv2d")
        if not isinstance(filters, (int, np.integer)) or isinstance(filters, bool) or filters <= 0:
            raise ValueError("%s: filters must be a positive int, got %r" % (self.name, filters))
        self.filters = int(filters)
        self.kernel_size = normalize_pair(kernel_size, self.name, "kernel_size")
        self.strides = normalize_pair(strides, self.name, "strides")
        self.padding = normalize_padding(padding, self.name)
        self.dilation_rate = normalize_pair(dilation_rate, self.name, "dilation_rate")
        if max(self.strides) > 1 and max(self.dilation_rate) > 1:
            raise ValueError(
                "%s: strides > 1 together with dilation_rate > 1 are not supported (as in Keras); "
                "got strides=%r, dilation_rate=%r" % (self.name, self.strides, self.dilation_rate)
            )
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.trainable = bool(trainable)
        self.set_regularizers_and_constraints(kernel_regularizer, bias_regularizer, activity_regularizer,
                                              kernel_constraint, bias_constraint)
        self.input_channels = None
        self.fixed_input_channels = None  # set by from_kernel: the kernel's C_in

    @classmethod
    def from_kernel(cls, kernel, strides=1, padding="SAME", dilation_rate=1, bias=None,
                    activation=None, trainable=False, name=None):
        """A Conv2D whose kernel is `kernel`, an array of shape (kh, kw, C_in, C_out).

        The kernel (and `bias`, if given, shape (C_out,)) become variables
        initialised to these values, non-trainable unless `trainable=True`.
        Without `bias` the layer has no bias. The input must have C_in channels.
        """
        kernel = np.asarray(kernel)
        layer_name = name or "conv2d"
        if kernel.ndim != 4:
            raise ValueError(
                "%s.from_kernel: kernel must have rank 4 (kh, kw, C_in, C_out), got shape %s"
                % (layer_name, kernel.shape)
            )
        if bias is not None:
            bias = np.asarray(bias)
            if bias.shape != (kernel.shape[3],):
                raise ValueError(
                    "%s.from_kernel: bias must have shape (%d,) to match the kernel, got %s"
                    % (layer_name, kernel.shape[3], bias.shape)
                )
        layer = cls(
            filters=kernel.shape[3], kernel_size=kernel.shape[:2], strides=strides,
            padding=padding, dilation_rate=dilation_rate, activation=activation,
            use_bias=bias is not None, kernel_initializer=_array_initializer(kernel),
            bias_initializer=_array_initializer(bias) if bias is not None else "zeros",
            trainable=trainable, name=name,
        )
        layer.fixed_input_channels = kernel.shape[2]
        return layer

    def build(self, input_shape):
        if input_shape.rank != 4 or input_shape[-1] is None:
            raise ValueError(
                "%s: input must have rank 4 (batch, height, width, channels) with a known "
                "channel count, got shape %s" % (self.name, input_shape)
            )
        self.input_channels = int(input_shape[-1])
        expected = self.fixed_input_channels
        if expected is not None and expected != self.input_channels:
            raise ValueError(
                "%s: the kernel expects %d input channels, but the input has %d (shape %s)"
                % (self.name, expected, self.input_channels, input_shape)
            )
        kh, kw = self.kernel_size
        self.kernel = self.add_weight(
            "kernel", (kh, kw, self.input_channels, self.filters), self.kernel_initializer,
            trainable=self.trainable, regularizer=self.kernel_regularizer,
            constraint=self.kernel_constraint,
        )
        if self.use_bias:
            self.bias = self.add_weight(
                "bias", (self.filters,), self.bias_initializer, trainable=self.trainable,
                regularizer=self.bias_regularizer, constraint=self.bias_constraint,
            )

    def call(self, inputs, training=False):
        check_rank(inputs, 4, self.name, "(batch, height, width, channels)")
        if inputs.shape[-1] is not None and inputs.shape[-1] != self.input_channels:
            raise ValueError(
                "%s: input has %d channels, but the layer was built for %d"
                % (self.name, inputs.shape[-1], self.input_channels)
            )
        effective = [(k - 1) * d + 1 for k, d in zip(self.kernel_size, self.dilation_rate)]
        check_window_fits(inputs, effective, self.padding, self.name, "dilated kernel"
                          if max(self.dilation_rate) > 1 else "kernel")
        if max(self.dilation_rate) == 1:
            y = tf.nn.conv2d(inputs, self.kernel, strides=[1, *self.strides, 1], padding=self.padding)
        else:
            y = self._atrous_conv(inputs, effective)
        if self.use_bias:
            y = tf.nn.bias_add(y, self.bias)
        return self.activation(y)

    def _atrous_conv(self, inputs, effective):
        """A dilated, stride-1 convolution as an ordinary one on space-to-batch sub-images.

        Pad as SAME/VALID would for the effective kernel, plus `extra` pixels at
        the end so each padded size is a multiple of d. `tf.space_to_batch` then
        deals the pixels into d sub-images per axis (pixel p goes to sub-image
        p mod d, position p // d), where the dilated kernel's taps are adjacent:
        a VALID undilated conv on each gives every output pixel, and
        `tf.batch_to_space` interleaves them back and crops the `extra` ones.
        """
        rates = list(self.dilation_rate)
        # Static sizes where known (so the output keeps a static shape), else run-time sizes.
        size = [inputs.shape[a] if inputs.shape[a] is not None else tf.shape(inputs)[a]
                for a in (1, 2)]
        paddings, crops = [], []
        for n, k_eff, d in zip(size, effective, rates):
            total = k_eff - 1 if self.padding == "SAME" else 0
            before, after = total // 2, total - total // 2
            # Pad the end further so the padded size is a multiple of d; crop it off afterwards.
            extra = (d - (n + total) % d) % d
            paddings.append([before, after + extra])
            crops.append([0, extra])
        x = tf.space_to_batch(inputs, rates, paddings)
        y = tf.nn.conv2d(x, self.kernel, strides=[1, 1, 1, 1], padding="VALID")
        return tf.batch_to_space(y, rates, crops)
