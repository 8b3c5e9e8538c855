"""Convolution layers: Conv1D over sequences (batch, steps, channels), Conv2D over NHWC images.

What deep-learning libraries call convolution is cross-correlation: the kernel
slides over the input without being flipped, and at every position the output
is the sum of the input under the kernel times the kernel, over every input
channel, once per output channel. Each class's equation sits above its `call`.

The window itself, its geometry (how "VALID", "SAME" and Conv1D's "CAUSAL"
padding set the output size) and its patches (im2col: `extract_patches`, and
its transpose col2im, `scatter_patches`), is shared with pooling and lives in
windows.py. This file reads in two parts:

1. **The two ways to compute a convolution**: `fused_conv2d` (one TensorFlow
   kernel) and `conv_patches` (patches, then one matmul, with its backward pass
   written out).

2. **The layers.** `implementation=` chooses how the same equation is computed:

   * `"fused"` (default): one TensorFlow kernel, `tf.nn.conv2d` (Conv1D runs it
     on a height-1 image, as Keras does). The fast path.
   * `"patches"`: patches, then ONE `tf.matmul` of the (positions, taps * C_in)
     patch matrix with the kernel reshaped to (taps * C_in, C_out). Readable;
     equal to the fused path within float rounding.

   `gradient="manual"` (patches path only) replaces TensorFlow's automatic
   gradient of the patches path with the backward pass written out in
   `conv_patches`, attached with `tf.custom_gradient`.

Groups and layouts. `groups=G` splits the channels into G independent
convolutions (`grouped_convolution`, which Conv3D shares);
`data_format="channels_first"` computes the same channels-last ops between two
transposes (tfcore/layers/layout.py).

Dilation on the fused path. `tf.nn.conv2d(..., dilations=...)` computes the
forward pass, but TensorFlow's CPU kernels for its gradients reject dilation
rates above 1. So a dilated convolution is computed the way
`tf.nn.convolution` (and so Keras) does it, the "atrous" trick: see
`fused_conv2d`. Like Keras, strides > 1 together with dilation > 1 are refused.

A fixed filter. `Conv2D.from_kernel(array)` builds a layer whose kernel is the
given array, stored as a non-trainable variable. The image-convolution example
uses it to apply the discrete Laplacian:

    laplacian = np.array([[0, 1, 0], [1, -4, 1], [0, 1, 0]], np.float32)
    edges = Conv2D.from_kernel(laplacian.reshape(3, 3, 1, 1), padding="SAME")(image)

`tfcore/reference/conv.py` computes the same equations with NumPy loops.
"""

import numpy as np
import tensorflow as tf

from tfcore.checks import (  # noqa: F401  (check_rank, normalize_pair: re-exported)
    channels_spec, check_group_channels, check_groups, check_input, check_rank, check_shapes_agree,
    check_strides_and_dilation, check_window_fits, implementation_and_gradient, known_sizes,
    layout_of, normalize_pair, normalize_padding, normalize_tuple, positive_int)
from tfcore.layers.layout import (channels_last_shape, normalize_data_format, to_channels_last,
                                  to_data_format)
from tfcore.layers.windows import (Window, crop, extract_patches, pad_for_window, scatter_patches,
                                   spatial_sizes)
from tfcore.module import Module

PADDINGS = ("SAME", "VALID")

# ---------------------------------------------------------------------------
# 1. The two ways to compute a convolution
# ---------------------------------------------------------------------------

def fused_conv2d(x, kernel, strides, padding, dilation):
    """`tf.nn.conv2d`; with dilation > 1 the atrous trick, whose gradients run on any device.

    With rate d, the pixels a dilated kernel touches together are those whose
    coordinates agree modulo d. Pad as SAME/VALID would for the effective kernel,
    plus `extra` pixels at the end so each padded size is a multiple of d;
    `tf.space_to_batch` then deals the pixels into d sub-images per axis (pixel p
    goes to sub-image p mod d, position p // d), where the taps are adjacent: a
    VALID undilated conv on each gives every output pixel, and
    `tf.batch_to_space` interleaves them back and crops the `extra` ones. Both
    rearrangements are permutations, so their gradients are too.
    """
    if max(dilation) == 1:
        return tf.nn.conv2d(x, kernel, strides=[1, *strides, 1], padding=padding)
    paddings, crops = [], []
    for n, k, d in zip(spatial_sizes(x), kernel.shape[:2], dilation):
        total = (int(k) - 1) * d if padding == "SAME" else 0
        extra = (d - (n + total) % d) % d
        paddings.append([total // 2, total - total // 2 + extra])
        crops.append([0, extra])
    y = tf.nn.conv2d(tf.space_to_batch(x, list(dilation), paddings), kernel,
                     strides=[1, 1, 1, 1], padding="VALID")
    return tf.batch_to_space(y, list(dilation), crops)


def conv_patches(x, kernel, bias, window, manual=False):
    """Convolution as im2col: patches, then ONE matrix product (plus the bias).

    Forward, with P one row per output position (M = batch * H_out * W_out) and
    one column per kernel tap and input channel:

        P = patches(pad(x))          (M, kh*kw*C_in)
        K = reshape(kernel)          (kh*kw*C_in, C_out)   the same (tap, channel) order
        Y = P K + b                  (M, C_out), reshaped to (batch, H_out, W_out, C_out)

    Backward (`manual=True`), given dY = dL/dY, by the chain rule through Y = P K + b:

        dK = Pᵀ dY                   every position's patch, weighted by its output gradient
        db = Σ_rows dY               the bias was added to every row
        dP = dY Kᵀ                   (M, kh*kw*C_in)
        dX = crop(col2im(dP))        each column back to the pixels its tap read, summed

    Second order: the backward is made of differentiable ops (matmul, reshape,
    pad, slices), so `tf.gradients` of the manual gradient works too.
    """
    taps_by_channels = int(np.prod(kernel.shape[:-1]))
    filters = int(kernel.shape[-1])

    def forward(x, kernel, *bias):
        padded, pads, out_sizes = pad_for_window(x, window)
        patches = extract_patches(padded, window, out_sizes)
        rows = tf.reshape(patches, [-1, taps_by_channels])
        k = tf.reshape(kernel, [taps_by_channels, filters])
        y = tf.matmul(rows, k)
        if bias:
            y = tf.nn.bias_add(y, bias[0])
        y = tf.reshape(y, tf.concat([tf.shape(patches)[:-2], [filters]], 0))

        def backward(dy):
            dy_rows = tf.reshape(dy, [-1, filters])
            dk = tf.reshape(tf.matmul(rows, dy_rows, transpose_a=True), tf.shape(kernel))
            dp = tf.reshape(tf.matmul(dy_rows, k, transpose_b=True), tf.shape(patches))
            dx = crop(scatter_patches(dp, spatial_sizes(padded), window, out_sizes),
                      pads, spatial_sizes(x))
            return [dx, dk] + [tf.reduce_sum(dy_rows, axis=0)] * len(bias)

        return y, backward

    args = [x, tf.convert_to_tensor(kernel)] + ([tf.convert_to_tensor(bias)] if bias is not None else [])
    return tf.custom_gradient(forward)(*args) if manual else forward(*args)[0]


def grouped_convolution(convolve, x, kernel, groups, bias=None):
    """`groups` = G independent convolutions side by side: `convolve` once per channel block.

    Grouped convolution splits the C_in input channels and the C_out filters
    into G consecutive blocks; output block g sees only input block g, through
    kernel[..., g*C_out/G : (g+1)*C_out/G], whose input axis has C_in / G channels:

        y[..., g-th block of outputs] = conv(x[..., g-th block of inputs], K_g) + b_g

    `convolve(x_g, K_g, b_g)` computes one ordinary convolution (b_g is None
    when `bias` is); G = 1 is the whole layer in one call. The G results are
    concatenated along the channels (channels-last `x`). `tf.nn.conv2d` accepts
    a grouped kernel directly, but only some CPU builds run it (oneDNN), and not
    for every dtype; TensorFlow's CPU `tf.nn.conv3d` refuses one ("input and
    filter must have the same depth"). The split below runs everywhere.
    """
    if groups == 1:
        return convolve(x, kernel, bias)
    inputs = tf.split(x, groups, axis=-1)
    kernels = tf.split(kernel, groups, axis=-1)
    biases = tf.split(bias, groups) if bias is not None else [None] * groups
    return tf.concat([convolve(*group) for group in zip(inputs, kernels, biases)], axis=-1)


def _array_initializer(array):
    """An initialiser that returns `array` itself (shape checked)."""
    array = np.asarray(array)

    def init(shape, dtype=tf.float32):
        if tuple(shape) != array.shape:
            raise ValueError("initial value has shape %s, expected %s" % (array.shape, tuple(shape)))
        return tf.constant(array, dtype=dtype)

    return init


class _Conv(Module):
    """What Conv1D and Conv2D share: arguments, weights, checks, the two implementations."""

    rank = None            # the number of spatial axes, set by the subclasses
    layout = None          # e.g. "(batch, height, width, channels)"
    kernel_layout = None   # e.g. "(kh, kw, C_in, C_out)"
    paddings = PADDINGS

    def __init__(self, filters, kernel_size, strides=1, padding="VALID", data_format=None,
                 dilation_rate=1, groups=1, activation=None, use_bias=True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, *, trainable=True,
                 implementation="fused", gradient="auto", name=None):
        super().__init__(name=name)
        self.data_format = normalize_data_format(data_format, self.name)
        self.filters = positive_int(filters, self.name, "filters")
        self.groups = check_groups(groups, self.filters, self.name)
        self.kernel_size = normalize_tuple(kernel_size, self.rank, self.name, "kernel_size")
        self.strides = normalize_tuple(strides, self.rank, self.name, "strides")
        self.padding = normalize_padding(padding, self.name, self.paddings)
        self.dilation_rate = normalize_tuple(dilation_rate, self.rank, self.name, "dilation_rate")
        check_strides_and_dilation(self.strides, self.dilation_rate, self.name)
        self.implementation, self.gradient = implementation_and_gradient(
            implementation, gradient, self.name)
        self.set_affine_options(activation, use_bias, kernel_initializer, bias_initializer)
        self.trainable = bool(trainable)
        self.set_regularizers_and_constraints(kernel_regularizer, bias_regularizer, activity_regularizer,
                                              kernel_constraint, bias_constraint)
        self.input_channels = None
        self.fixed_input_channels = None  # set by from_kernel: the kernel's C_in

    @classmethod
    def from_kernel(cls, kernel, strides=1, padding="VALID", dilation_rate=1, bias=None,
                    activation=None, trainable=False, name=None, **kwargs):
        """A layer whose kernel is `kernel`, an array in the layer's kernel layout.

        The kernel (and `bias`, if given, shape (C_out,)) become variables
        initialised to these values, non-trainable unless `trainable=True`.
        Without `bias` the layer has no bias. The input must have C_in channels.
        `padding` defaults to "VALID", as the constructor's (Keras's) does.
        `kwargs` (implementation, gradient) go to the constructor.
        """
        kernel = np.asarray(kernel)
        caller = "%s.from_kernel" % (name or cls.default_name())
        known_sizes(kernel.shape, (), caller, "kernel", rank=cls.rank + 2, layout=cls.kernel_layout)
        if bias is not None:
            bias = np.asarray(bias)
            check_shapes_agree([bias.shape, kernel.shape[-1:]], caller,
                               "the bias and the kernel's last axis (C_out)")
        layer = cls(
            filters=kernel.shape[-1], kernel_size=kernel.shape[:-2], strides=strides,
            padding=padding, dilation_rate=dilation_rate, activation=activation,
            use_bias=bias is not None, kernel_initializer=_array_initializer(kernel),
            bias_initializer=_array_initializer(bias) if bias is not None else "zeros",
            trainable=trainable, name=name, **kwargs)
        layer.fixed_input_channels = kernel.shape[-2]
        return layer

    @classmethod
    def default_name(cls):
        return cls.__name__.lower()

    def build(self, input_shape):
        # The rank is checked by `call`, on every input; here only the channel count matters.
        channel_axis = 1 if self.data_format == "channels_first" else -1
        (self.input_channels,) = known_sizes(input_shape, (channel_axis,), self.name)
        input_shape = channels_last_shape(input_shape, self.data_format)
        self.input_spec = channels_spec(self.rank + 2, self.input_channels, self.data_format,
                                        layout_of(self.layout, self.data_format))
        check_group_channels(self.input_channels, self.groups, self.name, input_shape)
        expected = self.fixed_input_channels
        if expected is not None and expected * self.groups != self.input_channels:
            raise ValueError("%s: the kernel expects %d input channels, but the input has %d "
                             "(shape %s)" % (self.name, expected * self.groups, self.input_channels,
                                             input_shape))
        # With groups, each filter sees only its group's C_in / groups channels.
        self.add_kernel_and_bias(
            self.kernel_size + (self.input_channels // self.groups, self.filters), self.filters,
            trainable=self.trainable)

    def _call(self, inputs):
        """activation(conv(x) + b), computed channels-last (layout.py), the activation last.

        The activation acts on the output in the layer's own layout, as Keras's
        does (a softmax runs over the last axis, whichever that is).
        """
        check_input(inputs, self.rank + 2, self.name, layout_of(self.layout, self.data_format))
        y = self._convolve(self._checked(to_channels_last(inputs, self.data_format)))
        return self.activation(to_data_format(y, self.data_format))

    def _checked(self, inputs):
        """Channels-last `inputs` after the window check of every call (Module.__call__ checked
        the channels against `input_spec`)."""
        effective = [(k - 1) * d + 1 for k, d in zip(self.kernel_size, self.dilation_rate)]
        what = "dilated kernel" if max(self.dilation_rate) > 1 else "kernel"
        return check_window_fits(inputs, effective, self.padding, self.name, what)

    def _convolve(self, x):
        """The convolution plus bias, by the chosen implementation, one group at a time
        (`grouped_convolution`; each group's bias block goes with its convolution)."""
        bias = self.bias if self.use_bias else None
        return grouped_convolution(self._convolve_group, x, self.kernel, self.groups, bias)

    def _convolve_group(self, x, kernel, bias):
        """One ordinary convolution of `x` with `kernel`, plus `bias` (None: no bias)."""
        if self.implementation == "patches":
            window = Window(self.kernel_size, self.strides, self.dilation_rate, self.padding)
            return conv_patches(x, kernel, bias, window, manual=self.gradient == "manual")
        y = self._fused(x, kernel)
        return tf.nn.bias_add(y, bias) if bias is not None else y


class Conv1D(_Conv):
    """A 1-D convolution over (batch, steps, channels): `activation(conv(x, kernel) + bias)`.

    Args:
      filters: the number of output channels C_out (> 0).
      kernel_size: k, an int (or a 1-tuple).
      strides: s (default 1).
      padding: "VALID" (default, as Keras), "SAME" (output ceil(steps / s)) or
        "CAUSAL" (k_eff - 1 zeros before the sequence only, so output t depends
        on steps <= t: for forecasting and WaveNet-like stacks); any case.
      dilation_rate: d (default 1); > 1 only with strides 1.
      activation, use_bias, kernel_initializer, bias_initializer, trainable: as Conv2D
        (glorot_uniform with fans k*C_in, k*C_out; zeros).
      implementation: "fused" (default, `tf.nn.conv2d` on a height-1 image) or
        "patches" (im2col + one matmul, see `conv_patches`).
      gradient: "auto" (default, `tf.gradients`) or "manual" (the backward pass
        written in `conv_patches`; needs implementation="patches").
      kernel_regularizer, bias_regularizer, activity_regularizer, kernel_constraint,
        bias_constraint: as in `Dense` (`tfcore.regularizers`, `tfcore.constraints`).
      groups: G (default 1), as Conv2D: G independent convolutions side by side.
      data_format: "channels_last" (default; None means it too, as Keras) or
        "channels_first" ((batch, channels, steps)); see tfcore/layers/layout.py.

    Weights, in Keras's order and layout: kernel (k, C_in / G, C_out), bias (C_out,).
    """

    rank = 1
    layout = "(batch, steps, channels)"
    kernel_layout = "(k, C_in, C_out)"
    paddings = PADDINGS + ("CAUSAL",)

    def call(self, inputs, training=False):
        """y[n, t, o] = activation( b[o] + Σ_{u < k, c < C_in} xp[n, t*s + u*d, c] · K[u, c, o] )

        where xp is x with zeros padded before (and, for SAME, after) the steps,
        as the padding says (`window_geometry`): CAUSAL pads (k - 1) d zeros before.
        """
        return self._call(inputs)

    def _fused(self, x, kernel):
        if self.padding == "CAUSAL":  # pad the past, then an ordinary VALID convolution
            x = tf.pad(x, [[0, 0], [(self.kernel_size[0] - 1) * self.dilation_rate[0], 0], [0, 0]])
        padding = "SAME" if self.padding == "SAME" else "VALID"
        y = fused_conv2d(x[:, tf.newaxis], kernel[tf.newaxis], (1,) + self.strides,
                         padding, (1,) + self.dilation_rate)
        return y[:, 0]


class Conv2D(_Conv):
    """A 2-D convolution over NHWC images: `activation(conv(x, kernel) + bias)`.

    Args:
      filters: the number of output channels C_out (> 0).
      kernel_size: kh, kw: an int or a pair.
      strides: sh, sw: an int or a pair (default 1).
      padding: "VALID" (default, as Keras and every other tfcore convolution: no padding,
        output floor((H - k_eff) / s) + 1) or "SAME" (output ceil(H / s)); any case.
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
      implementation: "fused" (default, `tf.nn.conv2d`) or "patches" (im2col +
        one matmul, see `conv_patches`).
      gradient: "auto" (default, `tf.gradients`) or "manual" (the backward pass
        written in `conv_patches`; needs implementation="patches").
      kernel_regularizer, bias_regularizer, activity_regularizer, kernel_constraint,
        bias_constraint: as in `Dense` (`tfcore.regularizers`, `tfcore.constraints`).
      groups: G (default 1), Keras's grouped convolution: the input channels and
        the filters are split into G consecutive blocks, and output block g is
        computed from input block g only (G = C_in: one kernel per channel).
        C_in and filters must be divisible by G. See `grouped_convolution`.
      data_format: "channels_last" (default or None, NHWC) or "channels_first" (NCHW:
        computed as NHWC between two transposes, see tfcore/layers/layout.py).

    Weights, in Keras's order and layout: kernel (kh, kw, C_in / G, C_out), bias (C_out,).
    """

    rank = 2
    layout = "(batch, height, width, channels)"
    kernel_layout = "(kh, kw, C_in, C_out)"

    def call(self, inputs, training=False):
        """y[n, i, j, o] = activation( b[o] + Σ_{u, v, c} xp[n, i*sh + u*dh, j*sw + v*dw, c] · K[u, v, c, o] )

        summed over the kernel's taps u < kh, v < kw and the input channels c < C_in,
        where xp is x padded with zeros as the padding says (`window_geometry`):
        SAME puts p // 2 rows/columns before the image, VALID none.
        """
        return self._call(inputs)

    def _fused(self, x, kernel):
        return fused_conv2d(x, kernel, self.strides, self.padding, self.dilation_rate)
