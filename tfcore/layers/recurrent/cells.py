"""Recurrent cells: one time step each (the sequence layers in sequence.py run them over time).

A recurrent **cell** maps one time step's input `x_t` (batch, features) and the
previous state to an output and a new state. `RecurrentCell` holds what every
cell shares, declared once: the options (units, activations, initializers, and
Keras's regularizers and constraints, one per weight), the weights in Keras's
layout (kernel W, recurrent_kernel U, bias b, one block per gate), and the
one-step call. Each cell writes its own equations and its backward step
directly above its `forward`.

The backward step (`gradient="manual"`) is one step of backprop through time,
given the gradients arriving at the step's outputs (dh_t; for the LSTM also
dc_t, from the next step), with a' the derivative of an activation at its input
(tanh' = 1 - tanh^2, sigmoid' = s (1 - s)).

Run inside `LSTM`/`GRU` (`"unroll"` or `"while"`), tf.gradients chains these
per-step backward passes from the last step to the first: that chain is backprop
through time. The derivation is checked against tf.gradients of the same
forward pass and against finite differences (tests/test_manual_gradients.py).
What `tf.custom_gradient` changes: it replaces the first derivative only. The
backward ops above are ordinary differentiable ops on the forward tensors, so
second derivatives still come out right (checked with `order=2`); but a tensor
inside the hand-written step (a gate, say) has no gradient path of its own:
tf.gradients of the loss with respect to it is None, as the gradient flows only
to the step's inputs (x, the states, the weights).
"""

import tensorflow as tf

from tfcore import activations, constraints, initializers, regularizers
from tfcore.checks import InputSpec, check_list, known_sizes, positive_int
from tfcore.module import Module, check_gradient


def constructor_arguments(constructor_locals):
    """A constructor's arguments, from its `locals()` taken first thing (less self).

    LSTM, GRU, SimpleRNN and SimpleRNNCell spell out Keras 2's signatures (its positional
    order is tested, and tfcore.port reads them); handing the arguments on whole, by name,
    leaves one place where each option is checked and stored: `RecurrentCell.__init__` for
    the cell's options, `RecurrentLayer.__init__` for the sequence layer's.
    """
    return {k: v for k, v in constructor_locals.items() if k not in ("self", "__class__")}


# ---------------------------------------------------------------------------
# The shared cell
# ---------------------------------------------------------------------------


class RecurrentCell(Module):
    """Shared machinery of the cells: argument checks, variables, the one-step call."""

    state_names = ()

    def __init__(self, units, activation, recurrent_activation, use_bias,
                 kernel_initializer, recurrent_initializer, bias_initializer, name, gradient="auto",
                 kernel_regularizer=None, recurrent_regularizer=None, bias_regularizer=None,
                 kernel_constraint=None, recurrent_constraint=None, bias_constraint=None,
                 dropout=0.0, recurrent_dropout=0.0):
        super().__init__(name=name)
        positive_int(units, self.name, "units")
        if dropout or recurrent_dropout:  # Keras's cell arguments, kept in its positional order
            raise ValueError("%s: tfcore's cells have no dropout (got dropout=%r, recurrent_dropout=%r); "
                             "the sequence layers apply it: LSTM/GRU/SimpleRNN(dropout=..., "
                             "recurrent_dropout=...)" % (self.name, dropout, recurrent_dropout))
        # Keras's identifiers ("l2", "max_norm", ...) resolved now, so a bad one fails here.
        self.set_regularizers_and_constraints(kernel_regularizer, bias_regularizer, None,
                                              kernel_constraint, bias_constraint)
        self.recurrent_regularizer = regularizers.get(recurrent_regularizer)
        self.recurrent_constraint = constraints.get(recurrent_constraint)
        self.gradient = check_gradient(self.name, gradient)
        self.units = int(units)
        self.activation = activations.get(activation)
        self.recurrent_activation = activations.get(recurrent_activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.recurrent_initializer = initializers.get(recurrent_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.input_size = None

    @property
    def state_size(self):
        return [self.units] * len(self.state_names)

    def build(self, input_shape):
        (self.input_size,) = known_sizes(input_shape, (-1,), self.name, rank=2,
                                         layout="(batch, features)")
        self.input_spec = InputSpec(ndim=2, axes={-1: self.input_size}, layout="(batch, features)")
        self._create_weights()

    def build_within(self, input_size, dtype):
        """Build the variables in a sub-scope of the caller's (the sequence layer's).

        This gives Keras's names (`lstm/lstm_cell/kernel`) and lets the sequence
        layer call `step` from its own name scopes (`lstm/step_3`), which a
        first `__call__` per step would not.
        """
        with tf.name_scope(self.name) as scope:
            self._graph, self._scope = tf.compat.v1.get_default_graph(), scope
            self.dtype = dtype
            self.build(tf.TensorShape([None, input_size]))
            self.built = True

    def _add_cell_weights(self, gates, bias_shape, bias_initializer):
        """kernel (features, gates*H), recurrent_kernel (H, gates*H) and the bias, in Keras's order.

        Each weight carries its regularizer (its penalty joins the layer's
        `losses`) and its constraint (applied by the optimizer after each update).
        """
        width = gates * self.units
        self.kernel = self.add_weight("kernel", (self.input_size, width), self.kernel_initializer,
                                      regularizer=self.kernel_regularizer,
                                      constraint=self.kernel_constraint)
        self.recurrent_kernel = self.add_weight(
            "recurrent_kernel", (self.units, width), self.recurrent_initializer,
            regularizer=self.recurrent_regularizer, constraint=self.recurrent_constraint)
        if self.use_bias:
            self.bias = self.add_weight("bias", bias_shape, bias_initializer,
                                        regularizer=self.bias_regularizer,
                                        constraint=self.bias_constraint)

    def zero_state(self, batch_size, dtype):
        """All-zero states for a batch: `[h, c]` for the LSTM, `[h]` for the GRU."""
        return [tf.zeros([batch_size, size], dtype=dtype) for size in self.state_size]

    def call(self, inputs, training=False, states=None):
        """One step: `(output, new_states)` from `inputs` (batch, features) and `states`."""
        if states is None:
            batch = inputs.shape[0] if inputs.shape[0] is not None else tf.shape(inputs)[0]
            states = self.zero_state(batch, self.dtype)
        states = as_state_list(self.name, states, self.state_names, "states")
        return self.step(inputs, states)

    def step(self, x, states):
        raise NotImplementedError

    def _weight_tensors(self):
        """[kernel, recurrent_kernel(, bias)] read as tensors: what the manual step takes.

        A function under `tf.custom_gradient` must not read variables itself
        (graph mode would then want its `variables=` protocol); given their
        values as inputs, it returns their gradients like any input's, and
        tf.gradients carries them on to the variables through the reads.
        """
        weights = [self.kernel, self.recurrent_kernel] + ([self.bias] if self.use_bias else [])
        return [tf.convert_to_tensor(w) for w in weights]


def _through_activation(activation, z, a, da):
    """dL/dz from dL/da, for a = activation(z).

    tanh and sigmoid, the cells' defaults, use their textbook derivatives written
    in terms of the output a; any other activation passes da back through its own
    gradient (of a local copy of z, so this works inside a loop's backward pass).
    """
    if activation is activations.tanh:
        return da * (1.0 - a * a)  # tanh' = 1 - tanh^2
    if activation is activations.sigmoid:
        return da * a * (1.0 - a)  # sigmoid' = s (1 - s)
    z = tf.identity(z)
    return tf.gradients(activation(z), z, grad_ys=da)[0]


def _sum_to_shape(grad, like):
    """`grad` summed over the axes `like` was broadcast along (a batch-1 state), as tf.gradients does."""
    if like.shape.is_fully_defined() and grad.shape.is_fully_defined() and like.shape == grad.shape:
        return grad
    axes, _ = tf.raw_ops.BroadcastGradientArgs(s0=tf.shape(like), s1=tf.shape(grad))
    return tf.reshape(tf.reduce_sum(grad, axis=axes), tf.shape(like))


def _matmul_backward(dz, a, w):
    """Backward of z = a W: (da, dW) = (dz W^T, a^T dz)."""
    da = _sum_to_shape(tf.matmul(dz, w, transpose_b=True), a)
    dw = tf.matmul(_broadcast_rows(a, dz), dz, transpose_a=True)
    return da, dw


def _broadcast_rows(t, like):
    """`t` with as many rows as `like` (a batch-1 state repeated, as the forward pass broadcast it)."""
    if t.shape[0] is not None and t.shape[0] == like.shape[0]:
        return t
    return tf.broadcast_to(t, tf.concat([tf.shape(like)[:1], tf.shape(t)[1:]], axis=0))


def as_state_list(layer_name, states, names, arg):
    """`states` (a tensor or a list) as a list of tensors, one per state name, or a clear error."""
    if tf.is_tensor(states) or not isinstance(states, (list, tuple)):
        states = [states]
    states = check_list(states, (len(names),), layer_name, arg,
                        "a list of %d state tensors [%s]" % (len(names), ", ".join(names)))
    return [tf.convert_to_tensor(s) for s in states]


def _lstm_bias_initializer(bias_initializer, units):
    """Keras's `unit_forget_bias`: the forget gate's block starts at 1, the rest as given.

    A forget gate near sigmoid(1) = 0.73 keeps most of the memory at the start
    of training, so gradients can flow back through many steps
    (Jozefowicz et al., 2015).
    """

    def init(shape, dtype=tf.float32):
        return tf.concat([
            bias_initializer([units], dtype),
            tf.ones([units], dtype),
            bias_initializer([2 * units], dtype),
        ], axis=0)

    return init


class LSTMCell(RecurrentCell):
    """One LSTM step, written out gate by gate (equations above `forward`).

    Weights, in Keras's order and layout (so they copy to and from tf-keras):
    `kernel` (features, 4H), `recurrent_kernel` (H, 4H), `bias` (4H,), each
    split into the gate blocks i, f, c, o.

    Args:
      units: H, the size of the hidden and cell states.
      activation: for the candidate and the output squashing (default tanh).
      recurrent_activation: for the gates (default sigmoid, as in Keras 2;
        Keras 1 used hard_sigmoid).
      use_bias: add `bias`.
      kernel_initializer: default glorot_uniform: keeps the input projection's
        variance roughly constant (Keras's default).
      recurrent_initializer: default orthogonal: multiplying the state by an
        orthogonal matrix at every step preserves its norm, so signals neither
        explode nor vanish through time at the start of training.
      bias_initializer: default zeros, with the forget block at 1 when
        `unit_forget_bias` (Keras's default; see `_lstm_bias_initializer`).
      gradient: "auto" (tf.gradients differentiates the step's ops) or
        "manual" (one step of backprop through time, written out in `step`).
      kernel_regularizer, recurrent_regularizer, bias_regularizer, kernel_constraint,
        recurrent_constraint, bias_constraint: Keras's, one per weight
        (`tfcore.regularizers`, `tfcore.constraints`); see `RecurrentCell._add_cell_weights`.
      dropout, recurrent_dropout: Keras's positions, 0 only: the sequence layers
        (`LSTM(dropout=...)`) apply dropout, not the cells.
      The arguments come in Keras 2's positional order; `gradient` and `name`
      are keywords.
    """

    state_names = ("h", "c")

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", unit_forget_bias=True, kernel_regularizer=None,
                 recurrent_regularizer=None, bias_regularizer=None, kernel_constraint=None,
                 recurrent_constraint=None, bias_constraint=None, dropout=0.0, recurrent_dropout=0.0,
                 *, gradient="auto", name=None):
        arguments = constructor_arguments(locals())
        arguments.pop("unit_forget_bias")
        super().__init__(**arguments)
        self.unit_forget_bias = bool(unit_forget_bias)

    def _create_weights(self):
        init = self.bias_initializer
        if self.unit_forget_bias:
            init = _lstm_bias_initializer(init, self.units)
        self._add_cell_weights(4, (4 * self.units,), init)

    # LSTM cell (Hochreiter & Schmidhuber, 1997), gates in Keras's order i, f, c, o:
    #
    #   [z_i, z_f, z_c, z_o] = x_t W + h_{t-1} U + b          (W: kernel, U: recurrent_kernel)
    #   i_t = sigmoid(z_i)                input gate: how much new content to write
    #   f_t = sigmoid(z_f)                forget gate: how much old memory to keep
    #   g_t = tanh(z_c)                   candidate content
    #   o_t = sigmoid(z_o)                output gate: how much memory to show
    #   c_t = f_t * c_{t-1} + i_t * g_t   the cell (memory) state
    #   h_t = o_t * tanh(c_t)             the hidden state, which is also the output
    #
    # One step backwards (`step` with gradient="manual"):
    #
    #   do     = dh_t * tanh(c_t)
    #   dc     = dc_t + dh_t * o_t * tanh'(c_t)        c_t reaches the loss directly and through h_t
    #   di, df, dg = dc * g_t, dc * c_{t-1}, dc * i_t
    #   dc_{t-1} = dc * f_t
    #   dz     = [di sigmoid'(z_i), df sigmoid'(z_f), dg tanh'(z_c), do sigmoid'(z_o)]
    #   dW = x_t^T dz,  dU = h_{t-1}^T dz,  db = sum_batch dz
    #   dx_t = dz W^T,  dh_{t-1} = dz U^T
    def forward(self, x, h, c, kernel, recurrent_kernel, bias=None):
        """The step's equations; returns h_t, c_t and what the backward pass reuses."""
        z = tf.matmul(x, kernel) + tf.matmul(h, recurrent_kernel)
        if bias is not None:
            z = tf.nn.bias_add(z, bias)
        z_i, z_f, z_c, z_o = tf.split(z, 4, axis=1)
        i = self.recurrent_activation(z_i)
        f = self.recurrent_activation(z_f)
        o = self.recurrent_activation(z_o)
        g = self.activation(z_c)
        c = f * c + i * g
        tanh_c = self.activation(c)
        h = o * tanh_c
        return h, c, (z_i, z_f, z_c, z_o, i, f, g, o, tanh_c)

    def step(self, x, states):
        h, c = states
        if self.gradient == "auto":
            h, c, _ = self.forward(x, h, c, self.kernel, self.recurrent_kernel,
                                   self.bias if self.use_bias else None)
            return h, [h, c]

        @tf.custom_gradient
        def lstm_step(x, h_prev, c_prev, kernel, recurrent_kernel, *bias):
            h, c, (z_i, z_f, z_c, z_o, i, f, g, o, tanh_c) = self.forward(
                x, h_prev, c_prev, kernel, recurrent_kernel, *bias)

            def backward(dh, dc):
                act, gate = self.activation, self.recurrent_activation
                do = dh * tanh_c                                           # h = o tanh(c)
                dc = dc + _through_activation(act, c, tanh_c, dh * o)      # c: directly and via h
                di, df, dg, dc_prev = dc * g, dc * c_prev, dc * i, dc * f  # c = f c_prev + i g
                dz = tf.concat([_through_activation(gate, z_i, i, di),
                                _through_activation(gate, z_f, f, df),
                                _through_activation(act, z_c, g, dg),
                                _through_activation(gate, z_o, o, do)], axis=1)
                # z = x W + h_prev U + b
                dx, dw = _matmul_backward(dz, x, kernel)                   # dx = dz W^T, dW = x^T dz
                dh_prev, du = _matmul_backward(dz, h_prev, recurrent_kernel)  # dh = dz U^T, dU = h^T dz
                db = [tf.reduce_sum(dz, axis=0)][:len(bias)]               # db = sum dz
                return [dx, dh_prev, _sum_to_shape(dc_prev, c_prev), dw, du] + db

            return (h, c), backward

        h, c = lstm_step(x, h, c, *self._weight_tensors())
        return h, [h, c]


class GRUCell(RecurrentCell):
    """One GRU step, written out gate by gate (equations above `forward`).

    Weights, in Keras's order and layout: `kernel` (features, 3H),
    `recurrent_kernel` (H, 3H), `bias` (2, 3H) with `reset_after=True` (row 0
    for the input projection, row 1 for the recurrent one) or (3H,) with
    `reset_after=False`; gate blocks z, r, h.

    Args:
      units: H, the size of the hidden state.
      activation: for the candidate (default tanh).
      recurrent_activation: for the gates (default sigmoid, as in Keras 2).
      use_bias: add the bias.
      kernel_initializer: default glorot_uniform (Keras's default).
      recurrent_initializer: default orthogonal: preserves the state's norm
        through time at the start of training.
      bias_initializer: default zeros.
      reset_after: apply the reset gate after the recurrent matmul (Keras 2's
        default and cuDNN's form) or before it (the original paper's).
      gradient: "auto" (tf.gradients differentiates the step's ops) or
        "manual" (one step of backprop through time, written out in `step`).
      kernel_regularizer, recurrent_regularizer, bias_regularizer, kernel_constraint,
        recurrent_constraint, bias_constraint: Keras's, one per weight
        (`tfcore.regularizers`, `tfcore.constraints`); see `RecurrentCell._add_cell_weights`.
      dropout, recurrent_dropout: Keras's positions, 0 only (as for `LSTMCell`).
      The arguments come in Keras 2's positional order (`reset_after` after the
      dropouts); `gradient` and `name` are keywords.
    """

    state_names = ("h",)

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", kernel_regularizer=None, recurrent_regularizer=None,
                 bias_regularizer=None, kernel_constraint=None, recurrent_constraint=None,
                 bias_constraint=None, dropout=0.0, recurrent_dropout=0.0, reset_after=True, *,
                 gradient="auto", name=None):
        arguments = constructor_arguments(locals())
        arguments.pop("reset_after")
        super().__init__(**arguments)
        self.reset_after = bool(reset_after)

    def _create_weights(self):
        h3 = 3 * self.units
        self._add_cell_weights(3, (2, h3) if self.reset_after else (h3,), self.bias_initializer)

    # GRU cell (Cho et al., 2014), gates in Keras's order z, r, h:
    #
    #   z_t  = sigmoid(x_t W_z + h_{t-1} U_z + b_z)           update gate
    #   r_t  = sigmoid(x_t W_r + h_{t-1} U_r + b_r)           reset gate
    #   reset_after=True  (Keras 2 default, cuDNN's form; two biases, bias (2, 3H)):
    #     h~_t = tanh(x_t W_h + b_h + r_t * (h_{t-1} U_h + b'_h))
    #   reset_after=False (the 2014 paper's form; one bias, bias (3H,)):
    #     h~_t = tanh(x_t W_h + (r_t * h_{t-1}) U_h + b_h)
    #   h_t  = z_t * h_{t-1} + (1 - z_t) * h~_t
    #
    # One step backwards (`step` with gradient="manual", in `_backward`; dh = dh_t,
    # a_h the candidate's pre-activation):
    #
    #   dz_t = dh * (h_{t-1} - h~_t);   dh~ = dh * (1 - z_t);   dh_{t-1} = dh * z_t + ...
    #   da_h = dh~ * tanh'(a_h)
    #   reset_after=True:   dr_t = da_h * (h_{t-1} U_h + b'_h),  d(h_{t-1} U_h + b'_h) = da_h * r_t
    #   reset_after=False:  d(r_t * h_{t-1}) = da_h U_h^T,  dr_t = that * h_{t-1},
    #                       dh_{t-1} += that * r_t,  dU_h = (r_t * h_{t-1})^T da_h
    #   then through the gates' sigmoids and the matmuls as for the LSTM.
    def forward(self, x, h, kernel, recurrent_kernel, bias=None):
        """The step's equations; returns h_t and what the backward pass reuses.

        `recurrent_part` is h_{t-1} U_h + b'_h with reset_after, r_t * h_{t-1} without.
        """
        x_proj = tf.matmul(x, kernel)
        if bias is not None:
            x_proj = tf.nn.bias_add(x_proj, bias[0] if self.reset_after else bias)
        x_z, x_r, x_h = tf.split(x_proj, 3, axis=1)
        if self.reset_after:
            h_proj = tf.matmul(h, recurrent_kernel)
            if bias is not None:
                h_proj = tf.nn.bias_add(h_proj, bias[1])
            h_z, h_r, recurrent_part = tf.split(h_proj, 3, axis=1)
            a_z, a_r = x_z + h_z, x_r + h_r
            z, r = self.recurrent_activation(a_z), self.recurrent_activation(a_r)
            a_h = x_h + r * recurrent_part
        else:
            u_zr, u_h = tf.split(recurrent_kernel, [2 * self.units, self.units], axis=1)
            h_z, h_r = tf.split(tf.matmul(h, u_zr), 2, axis=1)
            a_z, a_r = x_z + h_z, x_r + h_r
            z, r = self.recurrent_activation(a_z), self.recurrent_activation(a_r)
            recurrent_part = r * h
            a_h = x_h + tf.matmul(recurrent_part, u_h)
        candidate = self.activation(a_h)
        h = z * h + (1.0 - z) * candidate
        return h, (a_z, a_r, a_h, z, r, candidate, recurrent_part)

    def step(self, x, states):
        (h,) = states
        if self.gradient == "auto":
            h, _ = self.forward(x, h, self.kernel, self.recurrent_kernel,
                                self.bias if self.use_bias else None)
            return h, [h]

        @tf.custom_gradient
        def gru_step(x, h_prev, kernel, recurrent_kernel, *bias):
            h, saved = self.forward(x, h_prev, kernel, recurrent_kernel, *bias)

            def backward(dh):
                return self._backward(dh, x, h_prev, kernel, recurrent_kernel, bool(bias), saved)

            return h, backward

        h = gru_step(x, h, *self._weight_tensors())
        return h, [h]

    def _backward(self, dh, x, h_prev, kernel, recurrent_kernel, use_bias, saved):
        """One GRU step backwards: [dx, dh_prev, dW, dU(, db)] from dh (the equations above `forward`)."""
        a_z, a_r, a_h, z, r, candidate, recurrent_part = saved
        act, gate = self.activation, self.recurrent_activation
        dz = dh * (h_prev - candidate)                                # h = z h_prev + (1 - z) h~
        da_h = _through_activation(act, a_h, candidate, dh * (1.0 - z))
        dh_prev = dh * z
        if self.reset_after:                                          # a_h = x_h + r (h U_h + b'_h)
            dr = da_h * recurrent_part
            d_recurrent_part = da_h * r
        else:                                                         # a_h = x_h + (r h) U_h
            u_zr, u_h = tf.split(recurrent_kernel, [2 * self.units, self.units], axis=1)
            d_r_h, du_h = _matmul_backward(da_h, recurrent_part, u_h)
            dr = d_r_h * h_prev
            dh_prev = dh_prev + d_r_h * r
        da_z = _through_activation(gate, a_z, z, dz)
        da_r = _through_activation(gate, a_r, r, dr)
        dx_proj = tf.concat([da_z, da_r, da_h], axis=1)               # x_proj = x W + b
        dx, dw = _matmul_backward(dx_proj, x, kernel)
        if self.reset_after:                                          # h_proj = h U + b'
            dh_proj = tf.concat([da_z, da_r, d_recurrent_part], axis=1)
            dh_rec, du = _matmul_backward(dh_proj, h_prev, recurrent_kernel)
            db = tf.stack([tf.reduce_sum(dx_proj, axis=0), tf.reduce_sum(dh_proj, axis=0)])
        else:                                                         # [h_z, h_r] = h U_zr
            dh_rec, du_zr = _matmul_backward(tf.concat([da_z, da_r], axis=1), h_prev, u_zr)
            du = tf.concat([du_zr, du_h], axis=1)
            db = tf.reduce_sum(dx_proj, axis=0)
        dh_prev = _sum_to_shape(dh_prev, h_prev) + dh_rec
        return [dx, dh_prev, dw, du] + ([db] if use_bias else [])
