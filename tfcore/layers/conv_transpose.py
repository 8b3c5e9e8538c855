"""Conv2DTranspose: the transposed ("deconvolution") layer, which upsamples.

A strided Conv2D maps a large image to a small one; its transpose maps small
to large with the same connectivity, which is what a decoder or a segmentation
head needs. Each input pixel *scatters* a copy of the kernel, weighted by its
value, into the output, stepping s pixels per input pixel:

    z[n, i*s + u*d, j*s + v*d, o] += x[n, i, j, c] * K[u, v, o, c]      (all i, j, u, v, c)
    y[n, a, b, o] = activation( b[o] + z[n, a + pt, b + pl, o] )

`z` is the full scatter, of size (H - 1) s + k_eff per axis (k_eff = (k - 1) d + 1);
the output is a window of it shifted by the padding pt, pl. Note the kernel
layout (kh, kw, C_out, C_in): it is the kernel of the Conv2D this layer
transposes, which maps C_out channels back to C_in.

This is exactly the gradient of that Conv2D with respect to its input, and
that is how it is computed: `tf.nn.conv2d_transpose` is TensorFlow's
`Conv2DBackpropInput`, told the output size. Keras's output-size rule, per axis:

    output_padding None:  VALID  H_out = H s + max(k_eff - s, 0)
                          SAME   H_out = H s
    output_padding p:     H_out = (H - 1) s + k_eff - 2 pad + p,  pad = 0 (VALID) or k_eff // 2 (SAME)

and the shift is the forward convolution's padding for an H_out-sized input:
VALID pt = 0, SAME pt = max((H - 1) s + k_eff - H_out, 0) // 2. `output_padding`
(< s) picks among the output sizes that the forward strided conv would all map
back to H.

Dilation (d > 1, strides 1, the same rate on both axes, as in Keras) uses
`tf.nn.atrous_conv2d_transpose`, as Keras does.
"""

import tensorflow as tf

from tfcore.layers.checks import (channel_count, check_input, normalize_pair, normalize_padding,
                                  normalize_tuple, positive_int)
from tfcore.layers.layout import (channels_last_shape, normalize_data_format, to_channels_last,
                                  to_data_format)
from tfcore.module import Module


def deconv_output_length(size, kernel, stride, padding, output_padding, dilation):
    """Keras's output size of a transposed convolution along one axis (module docstring)."""
    if size is None:
        return None
    kernel = (kernel - 1) * dilation + 1
    if output_padding is None:
        return size * stride + (max(kernel - stride, 0) if padding == "VALID" else 0)
    pad = kernel // 2 if padding == "SAME" else 0
    return (size - 1) * stride + kernel - 2 * pad + output_padding


class Conv2DTranspose(Module):
    """The transpose of a Conv2D over NHWC images: output (batch, H_out, W_out, filters).

    Args:
      filters: the number of output channels (> 0).
      kernel_size: kh, kw: an int or a pair.
      strides: the upsampling factors sh, sw (default 1).
      padding: "valid" (default, as Keras) or "same"; any case.
      output_padding: None (Keras's default sizes) or an int / pair, each < its stride.
      dilation_rate: an int or a pair with equal entries (default 1); > 1 only with strides 1.
      activation, use_bias, kernel_initializer (glorot_uniform), bias_initializer
        (zeros): as Conv2D.
      data_format: "channels_last" (default, as Keras) or "channels_first"
        (transposed to channels-last and back, layout.py).
      kernel_regularizer, bias_regularizer, activity_regularizer, kernel_constraint,
        bias_constraint: as in `Dense` (`tfcore.regularizers`, `tfcore.constraints`).

    Weights, in Keras's order and layout: kernel (kh, kw, filters, C_in), bias (filters,).
    """

    def __init__(self, filters, kernel_size, strides=1, padding="valid", output_padding=None,
                 dilation_rate=1, activation=None, use_bias=True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros", data_format=None,
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, name=None):
        super().__init__(name=name or "conv2d_transpose")
        self.set_regularizers_and_constraints(kernel_regularizer, bias_regularizer, activity_regularizer,
                                              kernel_constraint, bias_constraint)
        self.data_format = normalize_data_format(data_format, self.name)
        self.filters = positive_int(filters, self.name, "filters")
        self.kernel_size = normalize_pair(kernel_size, self.name, "kernel_size")
        self.strides = normalize_pair(strides, self.name, "strides")
        self.padding = normalize_padding(padding, self.name)
        self.output_padding = self._check_output_padding(output_padding)
        self.dilation_rate = normalize_pair(dilation_rate, self.name, "dilation_rate")
        if max(self.dilation_rate) > 1 and (max(self.strides) > 1 or len(set(self.dilation_rate)) > 1):
            raise ValueError(
                "%s: dilation_rate > 1 needs strides 1 and the same rate on both axes; got "
                "strides=%r, dilation_rate=%r" % (self.name, self.strides, self.dilation_rate))
        self.set_affine_options(activation, use_bias, kernel_initializer, bias_initializer)
        self.input_channels = None

    def _check_output_padding(self, output_padding):
        if output_padding is None:
            return None
        output_padding = normalize_tuple(output_padding, 2, self.name, "output_padding", minimum=0,
                                         what="None, an int or a pair of ints")
        if any(p >= s for p, s in zip(output_padding, self.strides)):
            raise ValueError("%s: output_padding %r must be smaller than the strides %r"
                             % (self.name, tuple(output_padding), self.strides))
        return output_padding

    def build(self, input_shape):
        input_shape = channels_last_shape(input_shape, self.data_format)
        self.input_channels = channel_count(input_shape, 4, self.name,
                                            "(batch, height, width, channels)")
        kh, kw = self.kernel_size
        self.kernel = self.add_weight("kernel", (kh, kw, self.filters, self.input_channels),
                                      self.kernel_initializer, regularizer=self.kernel_regularizer,
                                      constraint=self.kernel_constraint)
        if self.use_bias:
            self.bias = self.add_weight("bias", (self.filters,), self.bias_initializer,
                                        regularizer=self.bias_regularizer,
                                        constraint=self.bias_constraint)

    def output_size(self, height, width):
        """(H_out, W_out) for an input of (height, width), Keras's rule (None stays None)."""
        pads = self.output_padding or (None, None)
        return tuple(deconv_output_length(n, k, s, self.padding, p, d) for n, k, s, p, d in
                     zip((height, width), self.kernel_size, self.strides, pads, self.dilation_rate))

    def _check_round_trip(self, sizes, out_sizes):
        """The forward Conv2D must map H_out back to H, or TensorFlow has no transpose to compute."""
        for n, m, k, s, d in zip(sizes, out_sizes, self.kernel_size, self.strides, self.dilation_rate):
            if n is None:
                continue
            k_eff = (k - 1) * d + 1
            back = -(-(m - k_eff + 1) // s) if self.padding == "VALID" else -(-m // s)
            if back != n:
                raise ValueError(
                    "%s: an output of size %d (kernel %d, strides %d, padding %s, output_padding "
                    "%r) does not convolve back to the input size %d; choose another output_padding"
                    % (self.name, m, k, s, self.padding, self.output_padding, n))

    def call(self, inputs, training=False):
        """z[n, i s + u d, j s + v d, o] += x[n, i, j, c] K[u, v, o, c]
        y[n, a, b, o] = activation(bias[o] + z[n, a + pt, b + pl, o])
        """
        inputs = to_channels_last(inputs, self.data_format)
        check_input(inputs, 4, self.name, "(batch, height, width, channels)")
        self._check_inner_dims(inputs, [None, None, self.input_channels])
        static = self.output_size(inputs.shape[1], inputs.shape[2])
        self._check_round_trip(inputs.shape[1:3], static)
        dynamic = self.output_size(tf.shape(inputs)[1], tf.shape(inputs)[2])
        out_shape = tf.stack([tf.shape(inputs)[0], dynamic[0], dynamic[1], self.filters])
        if max(self.dilation_rate) == 1:
            y = tf.nn.conv2d_transpose(inputs, self.kernel, out_shape,
                                       strides=[1, *self.strides, 1], padding=self.padding)
        else:
            y = tf.nn.atrous_conv2d_transpose(inputs, self.kernel, out_shape,
                                              rate=self.dilation_rate[0], padding=self.padding)
        y.set_shape([inputs.shape[0], static[0], static[1], self.filters])
        if self.use_bias:
            y = tf.nn.bias_add(y, self.bias)
        return to_data_format(self.activation(y), self.data_format)
