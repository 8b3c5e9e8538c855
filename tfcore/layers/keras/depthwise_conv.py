"""DepthwiseConv1D/2D and SeparableConv1D/2D: convolutions that treat channels separately.

A Conv2D mixes all C_in channels in every output (kh kw C_in C_out weights).
A **depthwise** convolution filters each input channel on its own, with
`depth_multiplier` (m) kernels per channel, so output channel c*m + k sees
only input channel c:

    y[n, i, j', c*m + k] = b[c*m + k] + sum_{u, v} x[n, i*sh + u*dh - pt, j'*sw + v*dw - pl, c]
                                                   * D[u, v, c, k]

(padding, strides and dilation as in conv.py). It has kh kw C_in m weights.
It is a grouped convolution (conv.py's `grouped_convolution`) with one group
per input channel: its full Conv2D kernel is block-diagonal in (C_in, C_in m).

A **separable** convolution (depthwise separable, as in Xception and
MobileNet) follows the depthwise step with a pointwise 1x1 convolution that
mixes the C_in m channels into C_out:

    z = depthwise(x, D)                       (no bias in between)
    y = activation( b + z P ),  P: (1, 1, C_in m, C_out)

It factorizes the full kernel: K[u, v, c, o] = sum_k D[u, v, c, k] P[c m + k, o],
a rank-m (in the channels) kernel for every tap. What it saves, per output
position (multiply-adds, the FLOPs up to a factor 2) and in weights, with
k x k kernels:

    Conv2D:      k² C_in C_out
    separable:   k² C_in m + C_in m C_out
    ratio:       m / C_out + m / k²

e.g. k = 3, C_in = C_out = 256, m = 1: 589,824 against 67,840, 8.7 times fewer
(ratio 1/256 + 1/9). Whether the factorized kernel is expressive enough is an
empirical matter; Xception and MobileNet show that for images it mostly is.
Its gradient is the chain rule through the two steps: dP = zᵀ dY, dz = dY Pᵀ,
then dD and dx as for the depthwise convolution (itself a convolution).

The 1-D layers (over (batch, steps, channels)) run the 2-D ops on a height-1
image, as Keras 2 does: the input gets an axis of size 1 before the steps,
the kernels one of size 1 before their taps; the strides are (s, s) (the
depthwise kernels want equal strides, and a height of 1 with a 1-tap kernel
gives one row whatever the stride) and the dilation (1, d). SeparableConv1D
also takes padding "causal", as Keras's (conv.py's Conv1D explains it).

All run as TensorFlow's ops (`tf.nn.depthwise_conv2d`, `tf.nn.separable_conv2d`),
the ops Keras uses, so dilation and SAME padding follow the same rules.

Unequal strides, (sh, sw) with sh != sw. TensorFlow's own depthwise kernels
(Eigen on CPU, float64 and float16 everywhere) refuse them; only the oneDNN
float32 CPU kernel, on by default on x86 Linux, takes them, which is why
tf-keras trains such a layer in float32 on CPU (and fails with
TF_ENABLE_ONEDNN_OPTS=0). Whether oneDNN runs is not visible through a public
API, so tfcore computes unequal strides one way everywhere, exactly
(`_unequal_strides`): pad as the padding says for the real strides
(windows.py's `window_geometry`), convolve VALID with the equal stride
g = gcd(sh, sw), then keep every (sh / g)-th row and (sw / g)-th column:

    y[i, j] = z[i sh/g, j sw/g],   z = depthwise_g(pad(x))

since output (i, j) of a stride-(sh, sw) window reads the same pixels as
output (i sh/g, j sw/g) of a stride-g one. It costs sh sw / g² times the
multiply-adds of the strided kernel (twice, for strides (2, 1)), all in
kernels every dtype has.
"""

import math

import tensorflow as tf

from tfcore import constraints, initializers, regularizers
from tfcore.checks import (channel_count, check_input, check_strides_and_dilation,
                           check_window_fits, layout_of, normalize_padding, normalize_tuple,
                           positive_int)
from tfcore.layers.layout import (channels_last_shape, normalize_data_format, to_channels_last,
                                  to_data_format)
from tfcore.layers.windows import Window, pad_for_window
from tfcore.module import Module


class _DepthwiseBase(Module):
    """The shared arguments and the depthwise kernel of the four layers.

    `rank` (1 or 2) is the number of spatial axes; a 1-D layer computes on a
    height-1 image (`_as_image`, `_kernel_as_image`, `_image_strides_and_rates`)
    and drops the height again (`_finish`).
    """

    rank = 2
    layout = "(batch, height, width, channels)"
    paddings = ("SAME", "VALID")

    def __init__(self, kernel_size, strides, padding, depth_multiplier, data_format, dilation_rate,
                 activation, use_bias, depthwise_initializer, bias_initializer, name,
                 penalties=(None, None, None, None, None)):
        super().__init__(name=name)
        # (depthwise_regularizer, bias_regularizer, activity_regularizer, depthwise_constraint,
        # bias_constraint): module.py keeps the depthwise kernel's in the kernel_* attributes.
        self.set_regularizers_and_constraints(*penalties)
        self.data_format = normalize_data_format(data_format, self.name)
        self.kernel_size = normalize_tuple(kernel_size, self.rank, self.name, "kernel_size")
        self.strides = normalize_tuple(strides, self.rank, self.name, "strides")
        self.padding = normalize_padding(padding, self.name, self.paddings)
        self.dilation_rate = normalize_tuple(dilation_rate, self.rank, self.name, "dilation_rate")
        check_strides_and_dilation(self.strides, self.dilation_rate, self.name)
        self.depth_multiplier = positive_int(depth_multiplier, self.name, "depth_multiplier")
        self.set_affine_options(activation, use_bias, depthwise_initializer, bias_initializer)
        self.depthwise_initializer = self.kernel_initializer
        self.input_channels = None

    def _build_depthwise(self, input_shape):
        input_shape = channels_last_shape(input_shape, self.data_format)
        self.input_channels, self.input_spec = channel_count(
            input_shape, self.rank + 2, self.name, layout_of(self.layout, self.data_format),
            self.data_format)
        self.depthwise_kernel = self.add_weight(
            "depthwise_kernel", self.kernel_size + (self.input_channels, self.depth_multiplier),
            self.depthwise_initializer, regularizer=self.kernel_regularizer,
            constraint=self.kernel_constraint)

    def _build_bias(self, size):
        if self.use_bias:
            self.bias = self.add_weight("bias", (size,), self.bias_initializer,
                                        regularizer=self.bias_regularizer,
                                        constraint=self.bias_constraint)

    def _as_image(self, inputs):
        """Checked channels-last input as (batch, height, width, channels): a 1-D sequence
        gains a height of 1, after CAUSAL's (k_eff - 1) zeros before its steps."""
        check_input(inputs, self.rank + 2, self.name, layout_of(self.layout, self.data_format))
        inputs = to_channels_last(inputs, self.data_format)
        effective = [(k - 1) * d + 1 for k, d in zip(self.kernel_size, self.dilation_rate)]
        inputs = check_window_fits(inputs, effective, self.padding, self.name, "kernel")
        if self.padding == "CAUSAL":
            inputs = tf.pad(inputs, [[0, 0], [effective[0] - 1, 0], [0, 0]])
        return inputs if self.rank == 2 else inputs[:, tf.newaxis]

    def _kernel_as_image(self, kernel):
        return kernel if self.rank == 2 else kernel[tf.newaxis]

    def _image_op_args(self):
        """The 2-D op's strides, padding and dilations."""
        padding = "VALID" if self.padding == "CAUSAL" else self.padding
        if self.rank == 2:
            return [1, *self.strides, 1], padding, self.dilation_rate
        return [1, self.strides[0], self.strides[0], 1], padding, (1,) + self.dilation_rate

    def _depthwise(self, x):
        """depthwise(x, D) on the (height-1 for 1-D) image `x`, by TensorFlow's kernel, or
        by `_unequal_strides` when the strides differ."""
        strides, padding, dilations = self._image_op_args()
        kernel = self._kernel_as_image(self.depthwise_kernel)
        if strides[1] != strides[2]:
            return self._unequal_strides(x, kernel, strides[1:3], padding)
        return tf.nn.depthwise_conv2d(x, kernel, strides=strides, padding=padding,
                                      dilations=dilations)

    def _unequal_strides(self, x, kernel, strides, padding):
        """Strides (sh, sw), sh != sw, exactly, with kernels that take equal strides only
        (module docstring): pad for (sh, sw), stride g = gcd(sh, sw), keep every (s / g)-th."""
        x, _, _ = pad_for_window(x, Window(self.kernel_size, strides, (1, 1), padding))
        g = math.gcd(*strides)
        z = tf.nn.depthwise_conv2d(x, kernel, strides=[1, g, g, 1], padding="VALID")
        return z[:, ::strides[0] // g, ::strides[1] // g]

    def _finish(self, y):
        if self.use_bias:
            y = tf.nn.bias_add(y, self.bias)
        if self.rank == 1:
            y = y[:, 0]
        # The activation acts in the layer's own layout, as Keras's (a softmax over the last axis).
        return self.activation(to_data_format(y, self.data_format))


class _Depthwise(_DepthwiseBase):
    """A per-channel convolution: output channels C_in * depth_multiplier.

    Args, in Keras 2's order (one int, or one per spatial axis, where a size is asked):
      kernel_size, strides (default 1; unequal ones computed exactly, see the module
        docstring), padding ("valid"
        default, as Keras), depth_multiplier (kernels per input channel, default 1),
        data_format ("channels_last", the default, or "channels_first": transposed
        to channels-last and back, layout.py), dilation_rate (default 1; > 1 only
        with strides 1): as the convolutions.
      activation, use_bias, depthwise_initializer (glorot_uniform, Keras's),
        bias_initializer (zeros).
      depthwise_regularizer, bias_regularizer, activity_regularizer: penalties added
        to `losses` (`tfcore.regularizers`); depthwise_constraint, bias_constraint:
        applied after each step (`tfcore.constraints`).
    """

    def __init__(self, kernel_size, strides=1, padding="valid", depth_multiplier=1,
                 data_format=None, dilation_rate=1, activation=None, use_bias=True,
                 depthwise_initializer="glorot_uniform", bias_initializer="zeros",
                 depthwise_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 depthwise_constraint=None, bias_constraint=None, name=None):
        super().__init__(kernel_size, strides, padding, depth_multiplier, data_format, dilation_rate,
                         activation, use_bias, depthwise_initializer, bias_initializer, name,
                         (depthwise_regularizer, bias_regularizer, activity_regularizer,
                          depthwise_constraint, bias_constraint))

    def build(self, input_shape):
        self._build_depthwise(input_shape)
        self._build_bias(self.input_channels * self.depth_multiplier)

    def call(self, inputs, training=False):
        """y[n, i, j, c m + k] = b[c m + k] + sum_{u, v} x[n, i s + u d - pt, j s + v d - pl, c]
                                               * D[u, v, c, k]
        """
        return self._finish(self._depthwise(self._as_image(inputs)))


class DepthwiseConv1D(_Depthwise):
    """A per-channel 1-D convolution over (batch, steps, channels). Args: as `_Depthwise`.

    Weights, in Keras's order: depthwise_kernel (k, C_in, m), bias (C_in * m,).
    """

    rank = 1
    layout = "(batch, steps, channels)"


class DepthwiseConv2D(_Depthwise):
    """A per-channel 2-D convolution over NHWC images. Args: as `_Depthwise`.

    Weights, in Keras's order: depthwise_kernel (kh, kw, C_in, m), bias (C_in * m,).
    """


class _Separable(_DepthwiseBase):
    """A depthwise convolution followed by a pointwise (1x1) one: output channels `filters`.

    Args, in Keras 2's order:
      filters: the number of output channels (> 0).
      kernel_size, strides, padding ("valid" default; SeparableConv1D also "causal"),
        data_format, dilation_rate, depth_multiplier: as `_Depthwise`.
      activation, use_bias, depthwise_initializer and pointwise_initializer
        (glorot_uniform, Keras's), bias_initializer (zeros).
      depthwise_regularizer, pointwise_regularizer, bias_regularizer,
        activity_regularizer: penalties added to `losses` (`tfcore.regularizers`);
        depthwise_constraint, pointwise_constraint, bias_constraint: applied after
        each step (`tfcore.constraints`).
    """

    def __init__(self, filters, kernel_size, strides=1, padding="valid", data_format=None,
                 dilation_rate=1, depth_multiplier=1, activation=None, use_bias=True,
                 depthwise_initializer="glorot_uniform", pointwise_initializer="glorot_uniform",
                 bias_initializer="zeros", depthwise_regularizer=None, pointwise_regularizer=None,
                 bias_regularizer=None, activity_regularizer=None, depthwise_constraint=None,
                 pointwise_constraint=None, bias_constraint=None, name=None):
        super().__init__(kernel_size, strides, padding, depth_multiplier, data_format, dilation_rate,
                         activation, use_bias, depthwise_initializer, bias_initializer, name,
                         (depthwise_regularizer, bias_regularizer, activity_regularizer,
                          depthwise_constraint, bias_constraint))
        self.filters = positive_int(filters, self.name, "filters")
        self.pointwise_initializer = initializers.get(pointwise_initializer)
        self.pointwise_regularizer = regularizers.get(pointwise_regularizer)
        self.pointwise_constraint = constraints.get(pointwise_constraint)

    def build(self, input_shape):
        self._build_depthwise(input_shape)
        self.pointwise_kernel = self.add_weight(
            "pointwise_kernel",
            (1,) * self.rank + (self.input_channels * self.depth_multiplier, self.filters),
            self.pointwise_initializer, regularizer=self.pointwise_regularizer,
            constraint=self.pointwise_constraint)
        self._build_bias(self.filters)

    def call(self, inputs, training=False):
        """y = activation(b + depthwise(x, D) P),  P: (1, 1, C_in m, filters)."""
        strides, padding, dilations = self._image_op_args()
        x, pointwise = self._as_image(inputs), self._kernel_as_image(self.pointwise_kernel)
        if strides[1] != strides[2]:  # the two steps tf.nn.separable_conv2d takes, written out
            y = tf.nn.conv2d(self._depthwise(x), pointwise, strides=[1, 1, 1, 1], padding="VALID")
        else:
            y = tf.nn.separable_conv2d(x, self._kernel_as_image(self.depthwise_kernel), pointwise,
                                       strides=strides, padding=padding, dilations=dilations)
        return self._finish(y)


class SeparableConv1D(_Separable):
    """A separable 1-D convolution over (batch, steps, channels). Args: as `_Separable`.

    Weights, in Keras's order: depthwise_kernel (k, C_in, m),
    pointwise_kernel (1, C_in * m, filters), bias (filters,).
    """

    rank = 1
    layout = "(batch, steps, channels)"
    paddings = ("SAME", "VALID", "CAUSAL")


class SeparableConv2D(_Separable):
    """A separable 2-D convolution over NHWC images. Args: as `_Separable`.

    Weights, in Keras's order: depthwise_kernel (kh, kw, C_in, m),
    pointwise_kernel (1, 1, C_in * m, filters), bias (filters,).
    """
