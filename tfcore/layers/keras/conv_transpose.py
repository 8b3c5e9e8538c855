"""Conv1DTranspose, Conv2DTranspose, Conv3DTranspose: transposed ("deconvolution") layers, which upsample.

A strided convolution maps a large signal to a small one; its transpose maps
small to large with the same connectivity, which is what a decoder or a
segmentation head needs. Each input pixel *scatters* a copy of the kernel,
weighted by its value, into the output, stepping s pixels per input pixel
(written for images; Conv1D drops the j axis, Conv3D adds a depth axis):

    z[n, i*s + u*d, j*s + v*d, o] += x[n, i, j, c] * K[u, v, o, c]      (all i, j, u, v, c)
    y[n, a, b, o] = activation( b[o] + z[n, a + pt, b + pl, o] )

`z` is the full scatter, of size (H - 1) s + k_eff per axis (k_eff = (k - 1) d + 1);
the output is a window of it shifted by the padding pt, pl. Note the kernel
layout (kh, kw, C_out, C_in): it is the kernel of the Conv2D this layer
transposes, which maps C_out channels back to C_in.

Why "transpose". A convolution is linear, so with x and y flattened it is a
matrix: conv(z) = A z, where row (i, c) of A holds the kernel taps that output
(i, c) reads. In 1-D with k = 2, s = 2 and an input of 4 steps:

    A = [[K0 K1  0  0]        Aᵀ = [[K0  0]
         [ 0  0 K0 K1]]              [K1  0]
                                     [ 0 K0]
                                     [ 0 K1]]

Aᵀ spreads each of the 2 values over 2 outputs: the scatter above. And Aᵀ is
also the gradient of that convolution with respect to its input: for a loss L
of y = A z, dL/dz = Aᵀ dL/dy. So a transposed convolution *is* a strided
convolution's backward pass, and that is how it is computed:
`tf.nn.conv2d_transpose` is TensorFlow's `Conv2DBackpropInput` (and
`tf.nn.conv3d_transpose` is `Conv3DBackpropInputV2`), told the output size.
The defining identity, which the tests check, is the adjoint one:

    < conv(z, K), x >  =  < z, conv_transpose(x, K) >      for all z, x.

Its own gradients follow: with respect to x it is the forward convolution
again (the transpose of Aᵀ is A), with respect to K the correlation of x with
the output gradient.

Output size. Several input sizes convolve to the same size H (a stride-s
convolution floors), so the transpose must be told which; Keras's rule, per axis:

    output_padding None:  VALID  H_out = H s + max(k_eff - s, 0)
                          SAME   H_out = H s
    output_padding p:     H_out = (H - 1) s + k_eff - 2 pad + p,  pad = 0 (VALID) or k_eff // 2 (SAME)

and the shift is the forward convolution's padding for an H_out-sized input:
VALID pt = 0, SAME pt = max((H - 1) s + k_eff - H_out, 0) // 2. `output_padding`
(< s) picks among the output sizes that the forward strided conv would all map
back to H.

The three layers share everything but the op (`_ConvTranspose`):

* Conv1DTranspose runs as Conv2DTranspose on a height-1 image with a height-1
  kernel (Keras 2 calls `tf.nn.conv1d_transpose`, which does the same inside).
* Conv2DTranspose: `tf.nn.conv2d_transpose`.
* Conv3DTranspose: `tf.nn.conv3d_transpose`.

Dilation (d > 1, strides 1; for images the same rate on both axes, as in Keras)
uses `tf.nn.atrous_conv2d_transpose`, as Keras's Conv2DTranspose does:
TensorFlow's CPU kernel of `Conv2DBackpropInput` refuses dilation rates above
1, so Keras 2's own Conv1DTranspose fails on CPU with a dilation that tfcore's
computes. Keras 2's Conv3DTranspose accepts a dilation rate (with strides 1)
but ignores it; tfcore's does the same, so a ported model computes the same
numbers, and warns.
"""

import warnings

import tensorflow as tf

from tfcore.checks import (channel_count, check_input, check_strides_and_dilation,
                           layout_of, normalize_padding, normalize_tuple, positive_int)
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


def conv2d_transpose(x, kernel, out_shape, strides, padding, rate):
    """Conv2D's input gradient: `tf.nn.conv2d_transpose`, or for rate > 1 (strides 1)
    `tf.nn.atrous_conv2d_transpose`, because TensorFlow's CPU kernel of the former
    refuses dilations ("Current CPU implementations do not yet support dilation rates > 1")."""
    if rate == 1:
        return tf.nn.conv2d_transpose(x, kernel, out_shape, strides=[1, *strides, 1], padding=padding)
    return tf.nn.atrous_conv2d_transpose(x, kernel, out_shape, rate=rate, padding=padding)


class _ConvTranspose(Module):
    """What Conv1DTranspose, Conv2DTranspose and Conv3DTranspose share: arguments, the
    kernel (*k, filters, C_in), Keras's output sizes, the round-trip check; the subclass's
    `_transpose(x, kernel, out_shape)` runs TensorFlow's op on channels-last input.

    Args, in Keras 2's order (one int, or one per spatial axis, where a size is asked):
      filters: the number of output channels (> 0).
      kernel_size: the kernel's size.
      strides: the upsampling factors (default 1).
      padding: "valid" (default, as Keras) or "same"; any case.
      output_padding: None (Keras's default sizes) or sizes each < its stride.
      data_format: "channels_last" (default, as Keras) or "channels_first"
        (transposed to channels-last and back, layout.py).
      dilation_rate: default 1; > 1 only with strides 1 (each subclass says which rates).
      activation, use_bias, kernel_initializer (glorot_uniform), bias_initializer
        (zeros): as the convolutions.
      kernel_regularizer, bias_regularizer, activity_regularizer, kernel_constraint,
        bias_constraint: as in `Dense` (`tfcore.regularizers`, `tfcore.constraints`).
    """

    rank = None      # the number of spatial axes
    layout = None    # the input's axes, channels last

    def __init__(self, filters, kernel_size, strides=1, padding="valid", output_padding=None,
                 data_format=None, dilation_rate=1, activation=None, use_bias=True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, name=None):
        super().__init__(name=name)
        self.set_regularizers_and_constraints(kernel_regularizer, bias_regularizer, activity_regularizer,
                                              kernel_constraint, bias_constraint)
        self.data_format = normalize_data_format(data_format, self.name)
        self.filters = positive_int(filters, self.name, "filters")
        self.kernel_size = normalize_tuple(kernel_size, self.rank, self.name, "kernel_size")
        self.strides = normalize_tuple(strides, self.rank, self.name, "strides")
        self.padding = normalize_padding(padding, self.name)
        self.output_padding = self._check_output_padding(output_padding)
        self.dilation_rate = normalize_tuple(dilation_rate, self.rank, self.name, "dilation_rate")
        check_strides_and_dilation(self.strides, self.dilation_rate, self.name)
        self._check_dilation()
        self.set_affine_options(activation, use_bias, kernel_initializer, bias_initializer)
        self.input_channels = None

    def _check_dilation(self):
        """What dilation rates the subclass's op accepts (any, with strides 1, by default)."""

    def _check_output_padding(self, output_padding):
        if output_padding is None:
            return None
        what = "None, an int or a tuple of %d ints" % self.rank
        output_padding = normalize_tuple(output_padding, self.rank, self.name, "output_padding",
                                         minimum=0, what=what)
        if any(p >= s for p, s in zip(output_padding, self.strides)):
            raise ValueError("%s: output_padding %r must be smaller than the strides %r"
                             % (self.name, tuple(output_padding), self.strides))
        return output_padding

    def build(self, input_shape):
        input_shape = channels_last_shape(input_shape, self.data_format)
        self.input_channels, self.input_spec = channel_count(
            input_shape, self.rank + 2, self.name, layout_of(self.layout, self.data_format),
            self.data_format)
        self.add_kernel_and_bias(self.kernel_size + (self.filters, self.input_channels), self.filters)

    def output_size(self, *sizes):
        """The output's spatial sizes for an input of `sizes`, Keras's rule (None stays None)."""
        pads = self.output_padding or (None,) * self.rank
        return tuple(deconv_output_length(n, k, s, self.padding, p, d) for n, k, s, p, d in
                     zip(sizes, self.kernel_size, self.strides, pads, self.dilation_rate))

    def _check_round_trip(self, sizes, out_sizes):
        """The forward convolution must map the output size back to the input's, or TensorFlow
        has no transpose to compute."""
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
        """z[n, i s + u d, o] += x[n, i, c] K[u, o, c] on every spatial axis (module docstring);
        y[n, a, o] = activation(bias[o] + z[n, a + pad, o])
        """
        check_input(inputs, self.rank + 2, self.name, layout_of(self.layout, self.data_format))
        inputs = to_channels_last(inputs, self.data_format)
        spatial = range(1, self.rank + 1)
        static = self.output_size(*(inputs.shape[a] for a in spatial))
        self._check_round_trip(inputs.shape[1:-1], static)
        dynamic = self.output_size(*(tf.shape(inputs)[a] for a in spatial))
        out_shape = tf.stack([tf.shape(inputs)[0], *dynamic, self.filters])
        y = self._transpose(inputs, self.kernel, out_shape)
        y.set_shape([inputs.shape[0], *static, self.filters])
        if self.use_bias:
            y = tf.nn.bias_add(y, self.bias)
        # The activation acts in the layer's own layout, as Keras's (a softmax over the last axis).
        return self.activation(to_data_format(y, self.data_format))


class Conv1DTranspose(_ConvTranspose):
    """The transpose of a Conv1D over (batch, steps, channels): output (batch, steps_out, filters).

    Args: as `_ConvTranspose`; kernel_size, strides, output_padding and dilation_rate
    are one int (or a 1-tuple) each.

    Weights, in Keras's order and layout: kernel (k, filters, C_in), bias (filters,).
    """

    rank = 1
    layout = "(batch, steps, channels)"

    def _transpose(self, x, kernel, out_shape):
        # A height-1 image and a height-1 kernel: the rate also applies to the height axis,
        # where a kernel of one tap spans one pixel whatever the rate.
        out_shape = tf.stack([out_shape[0], 1, out_shape[1], out_shape[2]])
        y = conv2d_transpose(x[:, tf.newaxis], kernel[tf.newaxis], out_shape, (1,) + self.strides,
                             self.padding, self.dilation_rate[0])
        return y[:, 0]


class Conv2DTranspose(_ConvTranspose):
    """The transpose of a Conv2D over NHWC images: output (batch, H_out, W_out, filters).

    Args: as `_ConvTranspose`; kernel_size, strides and output_padding are an int or a
    pair; dilation_rate an int or a pair of equal rates (atrous_conv2d_transpose's).

    Weights, in Keras's order and layout: kernel (kh, kw, filters, C_in), bias (filters,).
    """

    rank = 2
    layout = "(batch, height, width, channels)"

    def _check_dilation(self):
        if len(set(self.dilation_rate)) > 1:
            raise ValueError(
                "%s: dilation_rate > 1 needs strides 1 and the same rate on both axes "
                "(atrous_conv2d_transpose, as Keras); got dilation_rate=%r"
                % (self.name, self.dilation_rate))

    def _transpose(self, x, kernel, out_shape):
        return conv2d_transpose(x, kernel, out_shape, self.strides, self.padding,
                                self.dilation_rate[0])


class Conv3DTranspose(_ConvTranspose):
    """The transpose of a Conv3D over NDHWC volumes: output (batch, D_out, H_out, W_out, filters).

    Args: as `_ConvTranspose`; kernel_size, strides and output_padding are an int or a
    triple. dilation_rate: Keras 2 accepts rates above 1 (with strides 1) but ignores them
    (its output size and `tf.nn.conv3d_transpose` call leave them out); tfcore does the
    same, so the numbers are Keras's, and warns that the rate has no effect.

    Weights, in Keras's order and layout: kernel (kd, kh, kw, filters, C_in), bias (filters,).
    """

    rank = 3
    layout = "(batch, depth, height, width, channels)"

    def _check_dilation(self):
        if max(self.dilation_rate) > 1:
            warnings.warn("%s: dilation_rate=%r has no effect: Keras 2's Conv3DTranspose ignores "
                          "it, and tfcore computes what Keras does" % (self.name, self.dilation_rate))
            self.dilation_rate = (1, 1, 1)

    def _transpose(self, x, kernel, out_shape):
        return tf.nn.conv3d_transpose(x, kernel, out_shape, strides=[1, *self.strides, 1],
                                      padding=self.padding)
