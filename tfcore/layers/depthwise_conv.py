"""DepthwiseConv2D and SeparableConv2D: convolutions that treat channels separately.

A Conv2D mixes all C_in channels in every output (kh kw C_in C_out weights).
A **depthwise** convolution filters each input channel on its own, with
`depth_multiplier` (m) kernels per channel, so output channel c*m + j sees
only input channel c:

    y[n, i, j', c*m + k] = b[c*m + k] + sum_{u, v} x[n, i*sh + u*dh - pt, j'*sw + v*dw - pl, c]
                                                   * D[u, v, c, k]

(padding, strides and dilation as in conv.py). It has kh kw C_in m weights.

A **separable** convolution (depthwise separable, as in Xception and
MobileNet) follows the depthwise step with a pointwise 1x1 convolution that
mixes the C_in m channels into C_out:

    z = depthwise(x, D)                       (no bias in between)
    y = activation( b + z P ),  P: (1, 1, C_in m, C_out)

kh kw C_in m + C_in m C_out weights instead of kh kw C_in C_out: far fewer
for large kernels and channel counts, which is why mobile networks use it.

Both run as TensorFlow's ops (`tf.nn.depthwise_conv2d`, `tf.nn.separable_conv2d`),
the ops Keras uses, so dilation and SAME padding follow the same rules.
"""

import tensorflow as tf

from tfcore import activations, constraints, initializers, regularizers
from tfcore.layers.checks import (channel_count, check_input, check_strides_and_dilation,
                                  check_window_fits, normalize_pair, normalize_padding,
                                  positive_int)
from tfcore.layers.layout import (channels_last_shape, normalize_data_format, to_channels_last,
                                  to_data_format)
from tfcore.module import Module


class _DepthwiseBase(Module):
    """The shared arguments and the depthwise kernel of both layers."""

    def __init__(self, kernel_size, strides, padding, depth_multiplier, dilation_rate, activation,
                 use_bias, depthwise_initializer, bias_initializer, data_format, name,
                 penalties=(None, None, None, None, None)):
        super().__init__(name=name)
        # (depthwise_regularizer, bias_regularizer, activity_regularizer, depthwise_constraint,
        # bias_constraint): module.py keeps the depthwise kernel's in the kernel_* attributes.
        self.set_regularizers_and_constraints(*penalties)
        self.data_format = normalize_data_format(data_format, self.name)
        self.kernel_size = normalize_pair(kernel_size, self.name, "kernel_size")
        self.strides = normalize_pair(strides, self.name, "strides")
        self.padding = normalize_padding(padding, self.name)
        self.dilation_rate = normalize_pair(dilation_rate, self.name, "dilation_rate")
        if self.strides[0] != self.strides[1]:
            raise ValueError("%s: TensorFlow's depthwise kernels need equal strides on both axes "
                             "(so does Keras), got strides=%r" % (self.name, self.strides))
        check_strides_and_dilation(self.strides, self.dilation_rate, self.name)
        self.depth_multiplier = positive_int(depth_multiplier, self.name, "depth_multiplier")
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)
        self.depthwise_initializer = initializers.get(depthwise_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.input_channels = None

    def _build_depthwise(self, input_shape):
        self.input_channels = channel_count(input_shape, 4, self.name,
                                            "(batch, height, width, channels)")
        self.depthwise_kernel = self.add_weight(
            "depthwise_kernel", self.kernel_size + (self.input_channels, self.depth_multiplier),
            self.depthwise_initializer, regularizer=self.kernel_regularizer,
            constraint=self.kernel_constraint)

    def _build_bias(self, size):
        if self.use_bias:
            self.bias = self.add_weight("bias", (size,), self.bias_initializer,
                                        regularizer=self.bias_regularizer,
                                        constraint=self.bias_constraint)

    def _check_input(self, inputs):
        inputs = to_channels_last(inputs, self.data_format)
        check_input(inputs, 4, self.name, "(batch, height, width, channels)")
        self._check_inner_dims(inputs, [None, None, self.input_channels])
        effective = [(k - 1) * d + 1 for k, d in zip(self.kernel_size, self.dilation_rate)]
        return check_window_fits(inputs, effective, self.padding, self.name, "kernel")

    def _finish(self, y):
        if self.use_bias:
            y = tf.nn.bias_add(y, self.bias)
        return to_data_format(self.activation(y), self.data_format)


class DepthwiseConv2D(_DepthwiseBase):
    """A per-channel 2-D convolution: output channels C_in * depth_multiplier.

    Args:
      kernel_size, strides (default 1; the same on both axes), padding ("valid"
        default, as Keras), dilation_rate (default 1; > 1 only with strides 1): as Conv2D.
      depth_multiplier: kernels per input channel (default 1).
      activation, use_bias, depthwise_initializer (glorot_uniform, Keras's),
        bias_initializer (zeros).
      data_format: "channels_last" (default, as Keras) or "channels_first"
        (transposed to channels-last and back, layout.py).
      depthwise_regularizer, bias_regularizer, activity_regularizer: penalties added
        to `losses` (`tfcore.regularizers`); depthwise_constraint, bias_constraint:
        applied after each step (`tfcore.constraints`).

    Weights, in Keras's order: depthwise_kernel (kh, kw, C_in, m), bias (C_in * m,).
    """

    def __init__(self, kernel_size, strides=1, padding="valid", depth_multiplier=1,
                 dilation_rate=1, activation=None, use_bias=True,
                 depthwise_initializer="glorot_uniform", bias_initializer="zeros", data_format=None,
                 depthwise_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 depthwise_constraint=None, bias_constraint=None, name=None):
        super().__init__(kernel_size, strides, padding, depth_multiplier, dilation_rate, activation,
                         use_bias, depthwise_initializer, bias_initializer, data_format, name,
                         (depthwise_regularizer, bias_regularizer, activity_regularizer,
                          depthwise_constraint, bias_constraint))

    def build(self, input_shape):
        input_shape = channels_last_shape(input_shape, self.data_format)
        self._build_depthwise(input_shape)
        self._build_bias(self.input_channels * self.depth_multiplier)

    def call(self, inputs, training=False):
        """y[n, i, j, c m + k] = b[c m + k] + sum_{u, v} x[n, i s + u d - pt, j s + v d - pl, c]
                                               * D[u, v, c, k]
        """
        inputs = self._check_input(inputs)
        y = tf.nn.depthwise_conv2d(inputs, self.depthwise_kernel, strides=[1, *self.strides, 1],
                                   padding=self.padding, dilations=self.dilation_rate)
        return self._finish(y)


class SeparableConv2D(_DepthwiseBase):
    """A depthwise convolution followed by a pointwise (1x1) one: output channels `filters`.

    Args:
      filters: the number of output channels (> 0).
      kernel_size, strides, padding ("valid" default), dilation_rate,
        depth_multiplier: as DepthwiseConv2D.
      activation, use_bias, depthwise_initializer and pointwise_initializer
        (glorot_uniform, Keras's), bias_initializer (zeros).
      data_format: "channels_last" (default, as Keras) or "channels_first"
        (transposed to channels-last and back, layout.py).
      depthwise_regularizer, bias_regularizer, activity_regularizer: penalties added
        to `losses` (`tfcore.regularizers`); depthwise_constraint, bias_constraint:
        applied after each step (`tfcore.constraints`).
      pointwise_regularizer, pointwise_constraint: the same for the pointwise kernel.

    Weights, in Keras's order: depthwise_kernel (kh, kw, C_in, m),
    pointwise_kernel (1, 1, C_in * m, filters), bias (filters,).
    """

    def __init__(self, filters, kernel_size, strides=1, padding="valid", dilation_rate=1,
                 depth_multiplier=1, activation=None, use_bias=True,
                 depthwise_initializer="glorot_uniform", pointwise_initializer="glorot_uniform",
                 bias_initializer="zeros", data_format=None, depthwise_regularizer=None,
                 pointwise_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 depthwise_constraint=None, pointwise_constraint=None, bias_constraint=None,
                 name=None):
        super().__init__(kernel_size, strides, padding, depth_multiplier, dilation_rate, activation,
                         use_bias, depthwise_initializer, bias_initializer, data_format, name,
                         (depthwise_regularizer, bias_regularizer, activity_regularizer,
                          depthwise_constraint, bias_constraint))
        self.filters = positive_int(filters, self.name, "filters")
        self.pointwise_initializer = initializers.get(pointwise_initializer)
        self.pointwise_regularizer = regularizers.get(pointwise_regularizer)
        self.pointwise_constraint = constraints.get(pointwise_constraint)

    def build(self, input_shape):
        input_shape = channels_last_shape(input_shape, self.data_format)
        self._build_depthwise(input_shape)
        self.pointwise_kernel = self.add_weight(
            "pointwise_kernel", (1, 1, self.input_channels * self.depth_multiplier, self.filters),
            self.pointwise_initializer, regularizer=self.pointwise_regularizer,
            constraint=self.pointwise_constraint)
        self._build_bias(self.filters)

    def call(self, inputs, training=False):
        """y = activation(b + depthwise(x, D) P),  P: (1, 1, C_in m, filters)."""
        inputs = self._check_input(inputs)
        y = tf.nn.separable_conv2d(inputs, self.depthwise_kernel, self.pointwise_kernel,
                                   strides=[1, *self.strides, 1], padding=self.padding,
                                   dilations=self.dilation_rate)
        return self._finish(y)
