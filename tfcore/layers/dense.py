"""Dense: the fully connected layer.

    y = activation(x W + b)

`x` is (batch, ..., in), `W` (kernel) is (in, units), `b` (bias) is (units,).
Inputs of rank > 2 are multiplied along their last axis, as Keras does.

The backward pass (`gradient="manual"`), for the affine map a = x W + b with
x flattened to (N, in) rows and g = dL/da (N, units):

    dW = x^T g          each weight w_ij collects x_i times the gradient of output j
    db = sum_rows g     the bias is added to every row
    dx = g W^T          each input feeds every output through its row of W

The activation comes after the affine map and keeps its own gradient (relu's is
stated by hand in activations.py; the others come from `tf.gradients`), which
hands g = dL/da = dL/dy * activation'(a) to the backward pass above.
"""

import tensorflow as tf

from tfcore.checks import InputSpec, known_sizes, positive_int
from tfcore.module import Module, check_gradient


class Dense(Module):
    """A fully connected layer: `activation(x @ kernel + bias)`.

    Args:
      units: the output size (> 0).
      activation: a name (`"relu"`, `"tanh"`, `"sigmoid"`, `"softmax"`, ...), a
        callable or None (linear).
      use_bias: add the bias vector.
      kernel_initializer: default `glorot_uniform`, which keeps activation
        variance roughly constant across layers (Keras's default, so tfcore and
        tf-keras models start from the same distribution).
      bias_initializer: default zeros: with random kernels nothing needs
        breaking symmetry in the bias.
      kernel_regularizer, bias_regularizer, activity_regularizer: penalties
        added to the layer's `losses` (`tfcore.regularizers`: "l1", "l2", ...).
      kernel_constraint, bias_constraint: projections the optimizer applies
        after each step (`tfcore.constraints`: "max_norm", "non_neg", ...).
    """

    supports_masking = True  # a mask on the input rides on to the output, as in Keras

    def __init__(self, units, activation=None, use_bias=True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, kernel_constraint=None, bias_constraint=None, *,
                 gradient="auto", name=None):
        super().__init__(name=name)
        self.units = positive_int(units, self.name, "units")
        self.set_affine_options(activation, use_bias, kernel_initializer, bias_initializer)
        self.gradient = check_gradient(self.name, gradient)
        self.set_regularizers_and_constraints(kernel_regularizer, bias_regularizer, activity_regularizer,
                                              kernel_constraint, bias_constraint)
        self.input_size = None

    def build(self, input_shape):
        (self.input_size,) = known_sizes(input_shape, (-1,), self.name, min_rank=2)
        self.input_spec = InputSpec(axes={-1: self.input_size})  # Module.__call__ checks it
        self.add_kernel_and_bias((self.input_size, self.units), self.units)

    def call(self, inputs, training=False):
        if self.gradient == "manual":
            # The variables go in as tensors (their values), so the custom
            # gradient's inputs are plain tensors and tf.gradients carries dW and
            # db on to the variables through the reads.
            bias = [tf.convert_to_tensor(self.bias)] if self.use_bias else []
            a = affine_with_manual_gradient(inputs, tf.convert_to_tensor(self.kernel), *bias)
            return self.activation(a)
        if inputs.shape.rank == 2:
            y = tf.matmul(inputs, self.kernel)
        else:
            y = tf.tensordot(inputs, self.kernel, axes=[[inputs.shape.rank - 1], [0]])
        if self.use_bias:
            y = tf.nn.bias_add(y, self.bias)
        return self.activation(y)


@tf.custom_gradient
def affine_with_manual_gradient(x, w, *bias):
    """a = x W (+ b) over the last axis of x, with the backward pass stated by hand.

    Second order: the backward pass is made of ordinary differentiable ops on
    x, W and g, so `tf.gradients` can differentiate it again (checked in
    tests/test_manual_gradients.py).
    """
    units = tf.shape(w)[1]
    rows = tf.reshape(x, [-1, tf.shape(w)[0]])  # (N, in): every leading axis is a row
    a = tf.matmul(rows, w)
    if bias:
        a = tf.nn.bias_add(a, bias[0])
    a = tf.reshape(a, tf.concat([tf.shape(x)[:-1], [units]], axis=0))  # x's leading axes back
    a.set_shape(x.shape[:-1].concatenate(w.shape[1:]))

    def backward(da):
        g = tf.reshape(da, [-1, units])                   # (N, units)
        dw = tf.matmul(rows, g, transpose_a=True)         # dW = x^T g
        dx = tf.matmul(g, w, transpose_b=True)            # dx = g W^T
        db = [tf.reduce_sum(g, axis=0)] if bias else []   # db = sum over rows of g
        return [tf.reshape(dx, tf.shape(x)), dw] + db

    return a, backward
