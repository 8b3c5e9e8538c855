"""SimpleRNN: the plain (Elman) recurrent layer, the ancestor of the LSTM and the GRU.

One step maps the input x_t (batch, features) and the previous hidden state
h_{t-1} (batch, H) to the new state, which is also the output:

    h_t = activation( x_t W + h_{t-1} U + b )          (W: kernel, U: recurrent_kernel)

Run over a sequence this multiplies the state by U at every step, so a
gradient flowing back through T steps is multiplied by (roughly) U^T: it
vanishes or explodes for long sequences, which is what the LSTM's and the
GRU's gates were invented to avoid. It remains the clearest recurrent layer
to read, and a fine one for short sequences.

The cell reuses the recurrent package's machinery: `RecurrentCell` (weights built in the
sequence layer's scope, each with its regularizer and constraint, the one-step
call) and `RecurrentLayer` (the unrolled and while-loop strategies, go_backwards,
return_sequences / return_state, the stateful protocol), so everything said
there holds here. Its weights are laid out as the LSTM's and the GRU's with a
single block instead of one per gate (gates=1), so they take the same
regularizers and constraints, in Keras 2's argument order.
"""

import tensorflow as tf

from tfcore.layers.recurrent import RecurrentCell, RecurrentLayer, constructor_arguments


class SimpleRNNCell(RecurrentCell):
    """One SimpleRNN step: h_t = activation(x_t W + h_{t-1} U + b).

    Weights, in Keras's order and layout: `kernel` (features, H),
    `recurrent_kernel` (H, H), `bias` (H,).

    Args:
      units: H, the size of the hidden state.
      activation: default tanh (bounded, so the state cannot grow without limit).
      use_bias: add `bias`.
      kernel_initializer: default glorot_uniform (Keras's default).
      recurrent_initializer: default orthogonal: multiplying by an orthogonal U
        preserves the state's norm, the best start for a product of T of them.
      bias_initializer: default zeros.
      kernel_regularizer, recurrent_regularizer, bias_regularizer: a penalty on
        W, U, b (`tfcore.regularizers`); it joins the layer's `losses`.
      kernel_constraint, recurrent_constraint, bias_constraint: a projection of
        W, U, b (`tfcore.constraints`), applied by the optimizer after each update.
        These six come in Keras 2's order (see `RecurrentCell._add_cell_weights`); a cell
        has no `activity_regularizer`: the sequence layer penalizes its output.
    """

    state_names = ("h",)

    def __init__(self, units, activation="tanh", use_bias=True, kernel_initializer="glorot_uniform",
                 recurrent_initializer="orthogonal", bias_initializer="zeros",
                 kernel_regularizer=None, recurrent_regularizer=None, bias_regularizer=None,
                 kernel_constraint=None, recurrent_constraint=None, bias_constraint=None,
                 dropout=0.0, recurrent_dropout=0.0, *, name=None):
        super().__init__(recurrent_activation=None, **constructor_arguments(locals()))

    def _create_weights(self):
        # One block (gates=1): kernel (features, H), recurrent_kernel (H, H), bias (H,).
        self._add_cell_weights(1, (self.units,), self.bias_initializer)

    # SimpleRNN cell (Elman, 1990):
    #
    #   z_t = x_t W + h_{t-1} U + b          (W: kernel, U: recurrent_kernel)
    #   h_t = activation(z_t)                the hidden state, which is also the output
    #
    # One step backwards (tf.gradients derives it; the cell has no gradient="manual"):
    #
    #   dz = dh_t * activation'(z_t)
    #   dW = x_t^T dz,  dU = h_{t-1}^T dz,  db = sum_batch dz
    #   dx_t = dz W^T,  dh_{t-1} = dz U^T    the factor U^T at every step: vanishing/exploding
    def forward(self, x, h, kernel, recurrent_kernel, bias=None):
        """The step's equations; returns h_t."""
        z = tf.matmul(x, kernel) + tf.matmul(h, recurrent_kernel)
        if bias is not None:
            z = tf.nn.bias_add(z, bias)
        return self.activation(z)

    def step(self, x, states):
        """h_t = activation(x_t W + h_{t-1} U + b); the output is h_t."""
        (h,) = states
        h = self.forward(x, h, self.kernel, self.recurrent_kernel,
                         self.bias if self.use_bias else None)
        return h, [h]


class SimpleRNN(RecurrentLayer):
    """A SimpleRNN over a (batch, time, features) input.

    Returns the last output (batch, H), or every step's (batch, time, H) with
    `return_sequences=True`; with `return_state=True` a list `[output, h]`.
    `initial_state=h0` may be passed when calling.

    Args:
      units: H, the state size.
      activation, use_bias, kernel_initializer, recurrent_initializer,
        bias_initializer, kernel_regularizer, recurrent_regularizer, bias_regularizer,
        kernel_constraint, recurrent_constraint, bias_constraint: as for
        `SimpleRNNCell`, which holds the weights (`simple_rnn/simple_rnn_cell/kernel`, ...).
      activity_regularizer: a penalty on the layer's output(s), divided by the
        batch size, as Keras's (`tfcore.regularizers`).
      return_sequences, return_state, go_backwards, stateful, batch_size: as for `LSTM`.
      unroll, implementation: as for `GRU` (see tfcore/layers/recurrent/sequence.py).
      dropout, recurrent_dropout, time_major, and the call's `mask`: as for `LSTM`.
    """

    _implementations = ("unroll", "while")

    def __init__(self, units, activation="tanh", use_bias=True, kernel_initializer="glorot_uniform",
                 recurrent_initializer="orthogonal", bias_initializer="zeros",
                 kernel_regularizer=None, recurrent_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, kernel_constraint=None, recurrent_constraint=None,
                 bias_constraint=None, dropout=0.0, recurrent_dropout=0.0, return_sequences=False,
                 return_state=False, go_backwards=False, stateful=False, unroll=False, *,
                 batch_size=None, implementation=None, time_major=False, name=None):
        super().__init__(SimpleRNNCell, **constructor_arguments(locals()))
