"""Conv3D: the 3-D convolution layer over volumes (NDHWC).

The chapter notes that convolution is not only for images: the same sliding
dot product works on vectors (Conv1D) and on volumes (a CT scan, a video's
frames x height x width). With input `x` of shape (batch, D, H, W, C_in),
kernel `K` of shape (kd, kh, kw, C_in, C_out), strides s, dilation d and bias b:

    y[n, p, i, j, o] = activation( b[o] + sum_{t, u, v, c}
                         x[n, p*s_d + t*d_d - pf, i*s_h + u*d_h - pt, j*s_w + v*d_w - pl, c]
                         * K[t, u, v, c, o] )

exactly Conv2D's formula with one more spatial axis; the output sizes follow
the same SAME / VALID rules (conv.py's docstring) on each of the three axes.

Dilation (d > 1, strides 1) runs as Conv2D's does, an ordinary convolution on
the dilated sub-volumes (`tf.nn.with_space_to_batch` deals them out and
interleaves the results back), because not every CPU kernel of Conv3D's
gradient accepts dilation rates above 1.

Groups (`groups` = G, as Keras 2's Conv3D) split the C_in input channels and
the C_out filters into G consecutive blocks; output channel o, in block
g = o // (C_out/G), sums over its own block of input channels only:

    y[n, p, i, j, o] = activation( b[o] + sum_{t, u, v, c < C_in/G}
                         x[n, (as above), g*C_in/G + c] * K[t, u, v, c, o] )

so the kernel has shape (kd, kh, kw, C_in/G, C_out), as in Keras; G = 1 is
the formula above. TensorFlow's CPU Conv3D kernel refuses a kernel with fewer
input channels than the input ("input and filter must have the same depth"),
so the layer runs G ordinary convolutions, one per channel block, and
concatenates them: conv.py's `grouped_convolution`, the same code as Conv2D's.
With dilation the split happens inside `with_space_to_batch`: the volume is
dealt out once, and each group convolves the sub-volumes of its channels.

"""

import tensorflow as tf

from tfcore.checks import (channel_count, check_group_channels, check_groups, check_input,
                           check_strides_and_dilation, check_window_fits, normalize_padding,
                           normalize_tuple, positive_int)
from tfcore.layers.conv import grouped_convolution
from tfcore.layers.layout import (channels_last_shape, normalize_data_format, to_channels_last,
                                  to_data_format)
from tfcore.module import Module


class Conv3D(Module):
    """A 3-D convolution over NDHWC volumes: `activation(conv3d(x, kernel) + bias)`.

    Args:
      filters: the number of output channels C_out (> 0).
      kernel_size: (kd, kh, kw), an int or a triple.
      strides: an int or a triple (default 1).
      padding: "valid" (default, as Keras) or "same"; any case.
      dilation_rate: an int or a triple (default 1); > 1 only with strides 1 (as Keras).
      activation, use_bias, kernel_initializer (glorot_uniform with Keras's
        convolution fans), bias_initializer (zeros): as Conv2D.
      data_format: "channels_last" (default, as Keras) or "channels_first"
        (transposed to channels-last and back, layout.py).
      kernel_regularizer, bias_regularizer, activity_regularizer, kernel_constraint,
        bias_constraint: as in `Dense` (`tfcore.regularizers`, `tfcore.constraints`).
      groups: G (default 1), as Conv2D: G independent convolutions side by side,
        output block g computed from input block g only. C_in and filters must
        be divisible by G. A keyword here (Keras puts it after dilation_rate).

    Weights, in Keras's order and layout: kernel (kd, kh, kw, C_in / G, C_out), bias (C_out,).
    """

    def __init__(self, filters, kernel_size, strides=1, padding="valid", data_format=None,
                 dilation_rate=1, groups=1, activation=None, use_bias=True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, *, name=None):
        super().__init__(name=name or "conv3d")
        self.set_regularizers_and_constraints(kernel_regularizer, bias_regularizer, activity_regularizer,
                                              kernel_constraint, bias_constraint)
        self.data_format = normalize_data_format(data_format, self.name)
        self.filters = positive_int(filters, self.name, "filters")
        self.groups = check_groups(groups, self.filters, self.name)
        self.kernel_size = normalize_tuple(kernel_size, 3, self.name, "kernel_size")
        self.strides = normalize_tuple(strides, 3, self.name, "strides")
        self.padding = normalize_padding(padding, self.name)
        self.dilation_rate = normalize_tuple(dilation_rate, 3, self.name, "dilation_rate")
        check_strides_and_dilation(self.strides, self.dilation_rate, self.name)
        self.set_affine_options(activation, use_bias, kernel_initializer, bias_initializer)
        self.input_channels = None

    def build(self, input_shape):
        input_shape = channels_last_shape(input_shape, self.data_format)
        self.input_channels, self.input_spec = channel_count(
            input_shape, 5, self.name, "(batch, depth, height, width, channels)", self.data_format)
        check_group_channels(self.input_channels, self.groups, self.name, input_shape)
        shape = self.kernel_size + (self.input_channels // self.groups, self.filters)
        self.add_kernel_and_bias(shape, self.filters)

    def call(self, inputs, training=False):
        """y[n, p, i, j, o] = activation(b[o] + sum_{t, u, v, c} x[n, p s_d + t d_d - pf,
                                   i s_h + u d_h - pt, j s_w + v d_w - pl, c] K[t, u, v, c, o]),

        With groups > 1, c runs over output o's block of input channels only, and K's
        input index is c's position in that block (the module's docstring).
        """
        inputs = to_channels_last(inputs, self.data_format)
        check_input(inputs, 5, self.name, "(batch, depth, height, width, channels)")
        effective = [(k - 1) * d + 1 for k, d in zip(self.kernel_size, self.dilation_rate)]
        inputs = check_window_fits(inputs, effective, self.padding, self.name, "kernel")

        def conv(x, num_spatial_dims, padding):
            # One tf.nn.conv3d per group; the bias is added once, after.
            return grouped_convolution(
                lambda xg, kernel, _: tf.nn.conv3d(xg, kernel, strides=[1, *self.strides, 1],
                                                   padding=padding),
                x, self.kernel, self.groups)

        if max(self.dilation_rate) == 1:
            y = conv(inputs, 3, self.padding)
        else:
            y = tf.nn.with_space_to_batch(inputs, list(self.dilation_rate), self.padding, conv,
                                          filter_shape=list(self.kernel_size))
        if self.use_bias:
            y = tf.nn.bias_add(y, self.bias)
        return self.activation(to_data_format(y, self.data_format))  # in the layer's layout, as Keras
