"""Recurrent layers: LSTM and GRU cells, and the layers that run them over time.

A recurrent **cell** maps one time step's input `x_t` (batch, features) and the
previous state to an output and a new state. A **sequence layer** (`LSTM`,
`GRU`) runs its cell over the time axis of a (batch, time, features) input;
`RNN(cell)` is the same machinery for a cell given by the caller (any of
LSTMCell, GRUCell, SimpleRNNCell), as Keras's `RNN(LSTMCell(8))`.

LSTM cell (Hochreiter & Schmidhuber, 1997), gates in Keras's order i, f, c, o:

    [z_i, z_f, z_c, z_o] = x_t W + h_{t-1} U + b          (W: kernel, U: recurrent_kernel)
    i_t = sigmoid(z_i)                input gate: how much new content to write
    f_t = sigmoid(z_f)                forget gate: how much old memory to keep
    g_t = tanh(z_c)                   candidate content
    o_t = sigmoid(z_o)                output gate: how much memory to show
    c_t = f_t * c_{t-1} + i_t * g_t   the cell (memory) state
    h_t = o_t * tanh(c_t)             the hidden state, which is also the output

GRU cell (Cho et al., 2014), gates in Keras's order z, r, h:

    z_t  = sigmoid(x_t W_z + h_{t-1} U_z + b_z)           update gate
    r_t  = sigmoid(x_t W_r + h_{t-1} U_r + b_r)           reset gate
    reset_after=True  (Keras 2 default, cuDNN's form; two biases, bias (2, 3H)):
      h~_t = tanh(x_t W_h + b_h + r_t * (h_{t-1} U_h + b'_h))
    reset_after=False (the 2014 paper's form; one bias, bias (3H,)):
      h~_t = tanh(x_t W_h + (r_t * h_{t-1}) U_h + b_h)
    h_t  = z_t * h_{t-1} + (1 - z_t) * h~_t

One step of backprop through time (`gradient="manual"`, written out in
`LSTMCell.step` and `GRUCell.step`). Given the gradients arriving at the step's
outputs (dh_t; for the LSTM also dc_t, from the next step), with a' the
derivative of an activation at its input (tanh' = 1 - tanh^2,
sigmoid' = s (1 - s)):

  LSTM:
    do     = dh_t * tanh(c_t)
    dc     = dc_t + dh_t * o_t * tanh'(c_t)        c_t reaches the loss directly and through h_t
    di, df, dg = dc * g_t, dc * c_{t-1}, dc * i_t
    dc_{t-1} = dc * f_t
    dz     = [di sigmoid'(z_i), df sigmoid'(z_f), dg tanh'(z_c), do sigmoid'(z_o)]
    dW = x_t^T dz,  dU = h_{t-1}^T dz,  db = sum_batch dz
    dx_t = dz W^T,  dh_{t-1} = dz U^T

  GRU (dh = dh_t; a_h the candidate's pre-activation):
    dz_t = dh * (h_{t-1} - h~_t);   dh~ = dh * (1 - z_t);   dh_{t-1} = dh * z_t + ...
    da_h = dh~ * tanh'(a_h)
    reset_after=True:   dr_t = da_h * (h_{t-1} U_h + b'_h),  d(h_{t-1} U_h + b'_h) = da_h * r_t
    reset_after=False:  d(r_t * h_{t-1}) = da_h U_h^T,  dr_t = that * h_{t-1},
                        dh_{t-1} += that * r_t,  dU_h = (r_t * h_{t-1})^T da_h
    then through the gates' sigmoids and the matmuls as for the LSTM.

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

Execution strategies (`implementation=`), which give the same numbers:

* `"unroll"`: a Python loop that builds the cell's ops once per time step, each
  step in its own name scope (`lstm/step_0`, `lstm/step_1`, ...), so a graph
  picture shows the network unrolled through time. Needs a known number of
  steps. The readable, teaching version.
* `"while"`: one `tf.while_loop` whose body is the cell: the graph stays the
  same size for any sequence length, which may vary from run to run.
* `"block"` (LSTM only): TensorFlow's fused kernel `tf.raw_ops.BlockLSTM`, one
  op for the whole sequence (and one for its gradient). It wants time-major
  input and the gates in the order i, c, f, o; its run-time `forget_bias` is 0
  because our bias already holds Keras's +1 on the forget gate; no cell
  clipping (`cell_clip=-1`) and no peepholes (zero `wci`, `wcf`, `wco`). It
  runs float16/float32 only and the standard activations (tanh, sigmoid).

Defaults, measured on a 2-core CPU (shared with other work, so best-decile
times) for the time-series example's training step (stateful LSTM, batch 20,
20 steps, 8 units, then Dense 1, MSE, Adam): per-op dispatch dominates at that
size. The fused `"block"` LSTM is ~0.5 ms/step; the unrolled graph (~9,000 ops
with the hand-written activations and their gradients) ~8 ms; the while loop
~7-12 ms. So `"block"` is the LSTM's default. The GRU has no fused sequence
kernel; `"unroll"` (~4-8 ms) beats the while loop (~12 ms) and is its default;
choose `"while"` for sequences whose length is unknown or varies.

**Stateful protocol** (`stateful=True`, which requires `batch_size`): the
state after the last step of one batch is the initial state of the next, so a
long series can be fed as consecutive windows, row `k` of every batch
continuing row `k` of the previous one.

* The carried state lives in non-trainable variables (`layer.states`, zeros
  at first), one row per sample of the fixed batch. Like Keras's, they are not
  weights: `get_weights`/`set_weights` leave them out.
* The new state is assigned as part of the step, not by a separate call: the
  layer's outputs carry a control dependency on the assignments, so whatever
  runs the output (a prediction, a loss, a training op) also carries the state.
* `layer.reset_states_op` (built once) sets the state to zero;
  `layer.reset_states(session)` runs it. Every stateful layer also adds its
  reset op to the graph collection `RESET_STATES_COLLECTION`
  (`"tfcore_reset_states"`); the training loop runs that collection
  (`reset_all_states(session)`) at the start of each epoch and before
  evaluation and prediction.
* Calling the same layer twice (a training branch and an evaluation branch)
  builds two paths that both read and write the same state variables: each
  path continues from wherever the last run left the state, so do not fetch
  both in one `session.run` (their order would be undefined) and reset in
  between when the two streams are unrelated.
* A batch of another size is an error: at graph-building time when the batch
  dimension is known, and at run time (`tf.debugging.assert_equal`) when the
  placeholder's batch dimension is `None`.

Stacking: a layer with `return_sequences=True` outputs (batch, time, units),
which is the input the next recurrent layer expects.

**Masks** (`layer(x, mask=m)`, m (batch, time) boolean, from
`Embedding(mask_zero=True).compute_mask` or `Masking.compute_mask`): a step
with m[n, t] False is padding, and Keras's rule applies to it, row by row:

    states_t = m_t ? cell's new states : states_{t-1}         (the padding changes nothing)
    y_t      = m_t ? cell's output     : y_{t-1}              (zeros before the first real step)

so a padded sequence ends with the state of its last real step. (With
`zero_output_for_mask`, which Bidirectional sets when returning sequences as
Keras does, padded steps output zeros instead.) The fused BlockLSTM has no
mask, so a masked LSTM runs unrolled (or as a while loop if the length is unknown).

**Dropout** (active only with `training=True`, as the Dropout layer): one
random mask per sequence, the same at every step (Gal & Ghahramani, 2016), so
the network cannot average it away over time:

    x_t -> x_t * m_x            dropout: on the inputs, m_x (batch, features)
    h_{t-1} U -> (h_{t-1} * m_h) U    recurrent_dropout: only where the state enters the
                                      recurrent matmul; the carried state itself is not dropped

with m ~ Bernoulli(1 - rate) / (1 - rate) (inverted dropout). Keras 2 draws one
mask per gate when `recurrent_dropout` is set (its implementation 1); here the
gates share one mask, the layout of Keras's implementation 2.

**time_major=True**: inputs (and outputs with return_sequences) are
(time, batch, features), the layout of TensorFlow's fused kernels; the mask
is then (time, batch) too, as in Keras.
"""

import numbers

import tensorflow as tf

from tfcore import activations, constraints, initializers, regularizers
from tfcore import graph as graph_lib
from tfcore.module import Module, check_gradient, smart_cond

RESET_STATES_COLLECTION = graph_lib.RESET_STATES_COLLECTION  # defined in tfcore/graph.py

IMPLEMENTATIONS = ("unroll", "while", "block")


def reset_states_ops(graph=None):
    """The reset ops of every stateful layer built in `graph` (default: the current graph)."""
    graph = graph or tf.compat.v1.get_default_graph()
    return graph.get_collection(RESET_STATES_COLLECTION)


def reset_all_states(session):
    """Zero the carried state of every stateful layer in the session's graph."""
    ops = reset_states_ops(session.graph)
    if ops:
        session.run(ops)


def _check_units(layer_name, units):
    if not isinstance(units, numbers.Integral) or isinstance(units, bool) or units <= 0:
        raise ValueError("%s: units must be a positive int, got %r" % (layer_name, units))


# ---------------------------------------------------------------------------
# Cells: one time step
# ---------------------------------------------------------------------------


class _Cell(Module):
    """Shared machinery of the cells: argument checks, variables, the one-step call."""

    state_names = ()

    def __init__(self, units, activation, recurrent_activation, use_bias,
                 kernel_initializer, recurrent_initializer, bias_initializer, name, gradient="auto",
                 kernel_regularizer=None, recurrent_regularizer=None, bias_regularizer=None,
                 kernel_constraint=None, recurrent_constraint=None, bias_constraint=None):
        super().__init__(name=name)
        _check_units(self.name, units)
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
        if input_shape.rank != 2 or input_shape[-1] is None:
            raise ValueError(
                "%s: a cell's input must be (batch, features) with known features, got shape %s"
                % (self.name, input_shape)
            )
        self.input_size = int(input_shape[-1])
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
        if inputs.shape.rank != 2:
            raise ValueError("%s: inputs must be (batch, features), got shape %s"
                             % (self.name, inputs.shape))
        self._check_inner_dims(inputs, [self.input_size])
        if states is None:
            batch = inputs.shape[0] if inputs.shape[0] is not None else tf.shape(inputs)[0]
            states = self.zero_state(batch, self.dtype)
        states = _as_state_list(self.name, states, len(self.state_names))
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


def _as_state_list(layer_name, states, count):
    if tf.is_tensor(states) or not isinstance(states, (list, tuple)):
        states = [states]
    states = [tf.convert_to_tensor(s) for s in states]
    if len(states) != count:
        raise ValueError("%s: expected %d state tensors, got %d" % (layer_name, count, len(states)))
    return states


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


class LSTMCell(_Cell):
    """One LSTM step, written out gate by gate (equations in the module docstring).

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
        recurrent_constraint, bias_constraint (keywords): Keras's, one per weight
        (`tfcore.regularizers`, `tfcore.constraints`); see `_Cell._add_cell_weights`.
    """

    state_names = ("h", "c")

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", unit_forget_bias=True, gradient="auto", name=None,
                 **regularizers_and_constraints):
        super().__init__(units, activation, recurrent_activation, use_bias, kernel_initializer,
                         recurrent_initializer, bias_initializer, name, gradient,
                         **regularizers_and_constraints)
        self.unit_forget_bias = bool(unit_forget_bias)

    def _create_weights(self):
        init = self.bias_initializer
        if self.unit_forget_bias:
            init = _lstm_bias_initializer(init, self.units)
        self._add_cell_weights(4, (4 * self.units,), init)

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


class GRUCell(_Cell):
    """One GRU step, written out gate by gate (equations in the module docstring).

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
        recurrent_constraint, bias_constraint (keywords): Keras's, one per weight
        (`tfcore.regularizers`, `tfcore.constraints`); see `_Cell._add_cell_weights`.
    """

    state_names = ("h",)

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", reset_after=True, gradient="auto", name=None,
                 **regularizers_and_constraints):
        super().__init__(units, activation, recurrent_activation, use_bias, kernel_initializer,
                         recurrent_initializer, bias_initializer, name, gradient,
                         **regularizers_and_constraints)
        self.reset_after = bool(reset_after)

    def _create_weights(self):
        h3 = 3 * self.units
        self._add_cell_weights(3, (2, h3) if self.reset_after else (h3,), self.bias_initializer)

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
        """One GRU step backwards: [dx, dh_prev, dW, dU(, db)] from dh (module docstring)."""
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


# ---------------------------------------------------------------------------
# Sequence layers: a cell run over time
# ---------------------------------------------------------------------------


class _Recurrent(Module):
    """Runs a cell over (batch, time, features); the strategies and the stateful protocol."""

    def __init__(self, cell, return_sequences, return_state, go_backwards, stateful,
                 batch_size, implementation, name, dropout=0.0, recurrent_dropout=0.0,
                 time_major=False):
        super().__init__(name=name)
        for arg, rate in (("dropout", dropout), ("recurrent_dropout", recurrent_dropout)):
            if not isinstance(rate, numbers.Real) or isinstance(rate, bool) or not 0 <= rate < 1:
                raise ValueError("%s: %s must be a number in [0, 1), got %r" % (self.name, arg, rate))
        self.dropout, self.recurrent_dropout = float(dropout), float(recurrent_dropout)
        self.time_major = bool(time_major)
        self.zero_output_for_mask = False  # Keras's: padded steps output zeros (Bidirectional sets it)
        self.cell = cell
        self.units = cell.units
        self.return_sequences = bool(return_sequences)
        self.return_state = bool(return_state)
        self.go_backwards = bool(go_backwards)
        self.stateful = bool(stateful)
        if implementation not in self._implementations:
            raise ValueError("%s: implementation must be one of %s, got %r"
                             % (self.name, ", ".join(repr(i) for i in self._implementations),
                                implementation))
        self.implementation = implementation
        if batch_size is not None and (not isinstance(batch_size, numbers.Integral)
                                       or isinstance(batch_size, bool)
                                       or batch_size <= 0):
            raise ValueError("%s: batch_size must be a positive int, got %r" % (self.name, batch_size))
        if self.stateful and batch_size is None:
            raise ValueError(
                "%s: stateful=True needs a fixed batch_size (row k of each batch continues row k "
                "of the previous one), e.g. %s(units, stateful=True, batch_size=20)"
                % (self.name, type(self).__name__)
            )
        self.batch_size = None if batch_size is None else int(batch_size)
        self.input_size = None
        self.states = []  # the carried state variables of a stateful layer
        self.reset_states_op = None

    @property
    def submodules(self):
        return [self.cell]

    supports_masking = True

    def compute_mask(self, inputs, mask=None):
        """A returned sequence keeps the input's padded steps; a last output or a state has none."""
        output_mask = mask if self.return_sequences else None
        if self.return_state:
            return [output_mask] + [None] * len(self.cell.state_names)
        return output_mask

    # -- building ----------------------------------------------------------
    def build(self, input_shape):
        if self.time_major and input_shape.rank == 3:
            input_shape = tf.TensorShape([input_shape[1], input_shape[0], input_shape[2]])
        if input_shape.rank != 3 or input_shape[-1] is None:
            raise ValueError(
                "%s: inputs must be (batch, time, features) with known features, got shape %s"
                % (self.name, input_shape)
            )
        self._check_batch(input_shape[0])
        self.input_size = int(input_shape[-1])
        self.cell.build_within(self.input_size, self.dtype)
        if self.stateful:
            self.states = [
                graph_lib.variable(
                    lambda: tf.zeros([self.batch_size, self.units], self.dtype),
                    trainable=False, name="state_" + name, dtype=self.dtype,
                )
                for name in self.cell.state_names
            ]
            self.reset_states_op = tf.group(
                *[s.assign(tf.zeros([self.batch_size, self.units], self.dtype)) for s in self.states],
                name="reset_states",
            )
            tf.compat.v1.add_to_collection(RESET_STATES_COLLECTION, self.reset_states_op)

    def reset_states(self, session):
        """Set the carried state of this stateful layer to zero."""
        if not self.stateful:
            raise ValueError("%s: reset_states needs a stateful layer (stateful=True)" % self.name)
        if self.reset_states_op is None:
            raise ValueError("%s: reset_states before the layer is built (call it on an input first)"
                             % self.name)
        session.run(self.reset_states_op)

    def _check_batch(self, batch):
        if self.stateful and batch is not None and batch != self.batch_size:
            raise ValueError(
                "%s: stateful layer built for batch_size %d got a batch of %d; a stateful layer "
                "carries one state row per sample, so every batch must have exactly %d rows"
                % (self.name, self.batch_size, batch, self.batch_size)
            )

    # -- the forward pass ---------------------------------------------------
    def call(self, inputs, training=False, initial_state=None, mask=None):
        if inputs.shape.rank != 3:
            raise ValueError("%s: inputs must be (%s, features), got shape %s"
                             % (self.name, "time, batch" if self.time_major else "batch, time",
                                inputs.shape))
        if self.time_major:
            inputs = tf.transpose(inputs, [1, 0, 2])
            mask = None if mask is None else tf.transpose(mask, [1, 0])
        if inputs.shape[-1] is not None and inputs.shape[-1] != self.input_size:
            raise ValueError("%s: inputs have %d features, but the layer was built for %d"
                             % (self.name, inputs.shape[-1], self.input_size))
        self._check_batch(inputs.shape[0])
        if self.stateful:
            if initial_state is not None:
                raise ValueError("%s: a stateful layer starts from its state variables; "
                                 "initial_state is for non-stateful layers" % self.name)
            if inputs.shape[0] is None:
                check = tf.debugging.assert_equal(
                    tf.shape(inputs)[0], self.batch_size,
                    message="%s: stateful layer built for batch_size %d got another batch size"
                            % (self.name, self.batch_size))
                with tf.control_dependencies([check]):
                    inputs = tf.identity(inputs)
                inputs.set_shape([self.batch_size, None, self.input_size])
            states = [s.read_value() for s in self.states]
        elif initial_state is not None:
            states = _as_state_list(self.name, initial_state, len(self.cell.state_names))
            for s in states:
                if s.shape.rank != 2 or (s.shape[-1] is not None and s.shape[-1] != self.units):
                    raise ValueError("%s: each initial state must be (batch, %d), got shape %s"
                                     % (self.name, self.units, s.shape))
        else:
            batch = inputs.shape[0] if inputs.shape[0] is not None else tf.shape(inputs)[0]
            states = self.cell.zero_state(batch, self.dtype)

        outputs, last_output, states = self._run(inputs, states, self._check_mask(inputs, mask),
                                                 training)
        if self.time_major:
            outputs = tf.transpose(outputs, [1, 0, 2])
        result = [outputs if self.return_sequences else last_output]
        if self.return_state:
            result += states

        if self.stateful:
            # The state assignment is part of the step: anything that runs an
            # output of this layer also stores the state for the next batch.
            assigns = [var.assign(value) for var, value in zip(self.states, states)]
            with tf.control_dependencies(assigns):
                result = [tf.identity(t) for t in result]
        return result if self.return_state else result[0]

    def _check_mask(self, inputs, mask):
        """The mask as a bool (batch, time) tensor matching the inputs, or None."""
        if mask is None:
            return None
        mask = tf.convert_to_tensor(mask)
        if mask.shape.rank != 2 or not mask.shape.is_compatible_with(inputs.shape[:2]):
            raise ValueError("%s: mask must be (%s) like the inputs' first two axes %s, got shape %s"
                             % (self.name, "time, batch" if self.time_major else "batch, time",
                                inputs.shape[:2], mask.shape))
        return mask if mask.dtype == tf.bool else tf.cast(mask, tf.bool)

    def _dropout_mask(self, inputs, rate, size, training):
        """One inverted-dropout mask (batch, size) for the whole sequence; None when inactive."""
        if rate == 0 or (isinstance(training, bool) and not training):
            return None
        ones = tf.ones(tf.stack([tf.shape(inputs)[0], size]), self.dtype)
        return smart_cond(training, lambda: tf.nn.dropout(ones, rate=rate), lambda: ones)

    def _run(self, inputs, states, mask, training):
        """Dropout masks, then the strategy; BlockLSTM can neither mask steps nor drop the state."""
        input_mask = self._dropout_mask(inputs, self.dropout, self.input_size, training)
        if input_mask is not None:
            inputs = inputs * tf.expand_dims(input_mask, 1)  # the same mask at every step
        recurrent_mask = self._dropout_mask(inputs, self.recurrent_dropout, self.units, training)
        strategy = self.implementation
        if strategy == "block" and (mask is not None or recurrent_mask is not None):
            strategy = "unroll" if inputs.shape[1] is not None else "while"
        if strategy == "block":
            return self._run_block(inputs, states)
        run = self._run_unrolled if strategy == "unroll" else self._run_while_loop
        return run(inputs, states, mask, recurrent_mask)

    def _step(self, x, states, prev_output, step_mask, recurrent_mask):
        """One cell step, with recurrent dropout and the mask rule of the module docstring."""
        if recurrent_mask is None:
            output, new_states = self.cell.step(x, states)
        else:
            dropped = [states[0] * recurrent_mask] + list(states[1:])
            output, new_states = self._dropped_state_step(x, states, dropped)
        if step_mask is None:
            return output, new_states
        keep = tf.expand_dims(step_mask, -1)
        if prev_output is None or self.zero_output_for_mask:
            prev_output = tf.zeros_like(output)
        return (tf.where(keep, output, prev_output),
                [tf.where(keep, new, old) for new, old in zip(new_states, states)])

    def _dropped_state_step(self, x, states, dropped):
        """The LSTM and SimpleRNN read h_{t-1} only through h U: the dropped state is all they need."""
        return self.cell.step(x, dropped)

    def _run_unrolled(self, inputs, states, mask=None, recurrent_mask=None):
        steps = inputs.shape[1]
        if steps is None:
            raise ValueError("%s: implementation='unroll' needs a known number of time steps, got "
                             "shape %s; use implementation='while'" % (self.name, inputs.shape))
        xs = tf.unstack(inputs, axis=1)
        ms = [None] * len(xs) if mask is None else tf.unstack(mask, num=len(xs), axis=1)
        if self.go_backwards:
            xs, ms = xs[::-1], ms[::-1]
        outputs = []
        for t, (x, m) in enumerate(zip(xs, ms)):
            with tf.name_scope("step_%d" % t):
                output, states = self._step(x, states, outputs[-1] if outputs else None, m,
                                            recurrent_mask)
            outputs.append(output)
        return tf.stack(outputs, axis=1), outputs[-1], states

    def _run_while_loop(self, inputs, states, mask=None, recurrent_mask=None):
        x_time_major = tf.transpose(inputs, [1, 0, 2])
        if self.go_backwards:
            x_time_major = tf.reverse(x_time_major, [0])
        steps = tf.shape(x_time_major)[0]
        xs = tf.TensorArray(self.dtype, size=steps, element_shape=x_time_major.shape[1:])
        xs = xs.unstack(x_time_major)
        ys = tf.TensorArray(self.dtype, size=steps,
                            element_shape=tf.TensorShape([inputs.shape[0], self.units]))
        ms = None
        if mask is not None:
            ms = tf.TensorArray(tf.bool, size=steps).unstack(
                tf.reverse(tf.transpose(mask), [0]) if self.go_backwards else tf.transpose(mask))

        def body(t, ys, prev_output, *states):
            output, states = self._step(xs.read(t), list(states), prev_output,
                                        None if ms is None else ms.read(t), recurrent_mask)
            return (t + 1, ys.write(t, output), output) + tuple(states)

        # The states' batch size may be known statically where the input's is not
        # (an initial state of batch 1, which broadcasts against x W): let it vary.
        invariants = (tf.TensorShape([]), tf.TensorShape(None)) + tuple(
            tf.TensorShape([None, self.units]) for _ in range(len(states) + 1))
        zeros = tf.zeros(tf.stack([tf.shape(inputs)[0], self.units]), self.dtype)
        _, ys, last_output, *states = tf.while_loop(
            lambda t, *_: t < steps, body, (0, ys, zeros) + tuple(states),
            shape_invariants=invariants, name="time_loop")
        outputs = tf.transpose(ys.stack(), [1, 0, 2])
        # The loop forgets the static sizes; restore what is known.
        outputs.set_shape([inputs.shape[0], inputs.shape[1], self.units])
        for state in states + [last_output]:
            state.set_shape([inputs.shape[0], self.units])
        return outputs, last_output, states

    def _run_block(self, inputs, states):
        raise NotImplementedError  # only the LSTM has a fused kernel


class LSTM(_Recurrent):
    """Long short-term memory over a (batch, time, features) input.

    Returns the last output (batch, H), or every step's (batch, time, H) with
    `return_sequences=True`; with `return_state=True` a list
    `[output, h, c]`. `initial_state=[h0, c0]` may be passed when calling.

    Args:
      units: H, the state size.
      activation, recurrent_activation, use_bias, kernel_initializer,
        recurrent_initializer, bias_initializer, unit_forget_bias, kernel_regularizer,
        recurrent_regularizer, bias_regularizer, kernel_constraint, recurrent_constraint,
        bias_constraint: as for `LSTMCell`, which holds the weights
        (`lstm/lstm_cell/kernel`, ...).
      activity_regularizer: a penalty on the layer's output(s), divided by the
        batch size, as Keras's (`tfcore.regularizers`).
      return_sequences: output every step (to stack another recurrent layer).
      return_state: also return the final states.
      go_backwards: run from the last step to the first (outputs come in the
        order they were computed, i.e. reversed, as in Keras).
      stateful: carry the final state into the next batch (module docstring).
      batch_size: the fixed batch size a stateful layer requires.
      implementation: `"block"` (default: fused `BlockLSTM`, the fastest here;
        float16/32, tanh/sigmoid), `"unroll"` or `"while"`; see the module
        docstring.
      gradient: "auto" or "manual": the cell's hand-derived step backwards,
        chained through time by tf.gradients (backprop through time); "manual"
        needs `"unroll"` or `"while"`.
      dropout, recurrent_dropout: rates in [0, 1) of the input and the
        recurrent dropout masks (training only; module docstring).
      time_major: inputs (time, batch, features) instead of (batch, time, features).

    Call it as `layer(x, training=..., initial_state=..., mask=...)`; `mask`
    (batch, time) marks the real steps (module docstring).
    """

    _implementations = IMPLEMENTATIONS

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", unit_forget_bias=True,
                 kernel_regularizer=None, recurrent_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, kernel_constraint=None, recurrent_constraint=None,
                 bias_constraint=None, return_sequences=False,
                 return_state=False, go_backwards=False, stateful=False, batch_size=None,
                 implementation="block", gradient="auto", dropout=0.0, recurrent_dropout=0.0,
                 time_major=False, name=None):
        _check_units(name or "lstm", units)
        cell = LSTMCell(units, activation, recurrent_activation, use_bias, kernel_initializer,
                        recurrent_initializer, bias_initializer, unit_forget_bias, gradient,
                        kernel_regularizer=kernel_regularizer,
                        recurrent_regularizer=recurrent_regularizer,
                        bias_regularizer=bias_regularizer, kernel_constraint=kernel_constraint,
                        recurrent_constraint=recurrent_constraint, bias_constraint=bias_constraint)
        super().__init__(cell, return_sequences, return_state, go_backwards, stateful,
                         batch_size, implementation, name, dropout, recurrent_dropout, time_major)
        if implementation == "block" and gradient == "manual":
            raise ValueError("%s: gradient='manual' is the cell's hand-derived step, which "
                             "implementation='block' (the fused BlockLSTM kernel and its own "
                             "gradient kernel) does not run; use implementation='unroll' or 'while'"
                             % self.name)
        if implementation == "block" and (cell.activation is not activations.tanh
                                          or cell.recurrent_activation is not activations.sigmoid):
            raise ValueError("%s: implementation='block' (the fused BlockLSTM kernel) computes tanh "
                             "and sigmoid only; use implementation='unroll' or 'while' for other "
                             "activations" % self.name)
        self.activity_regularizer = regularizers.get(activity_regularizer)  # on the layer's output

    def _run_block(self, inputs, states):
        if self.dtype not in (tf.float16, tf.float32):
            raise TypeError("%s: implementation='block' (BlockLSTM) runs float16/float32 only, got "
                            "%s; use implementation='unroll' or 'while'" % (self.name, self.dtype.name))
        cell = self.cell
        x_time_major = tf.transpose(inputs, [1, 0, 2])
        if self.go_backwards:
            x_time_major = tf.reverse(x_time_major, [0])
        # BlockLSTM multiplies [x, h] by one matrix whose gate blocks are in the
        # order i, c, f, o; Keras's (and ours) are i, f, c, o.
        def icfo(t):
            i, f, c, o = tf.split(t, 4, axis=-1)
            return tf.concat([i, c, f, o], axis=-1)

        w = icfo(tf.concat([cell.kernel, cell.recurrent_kernel], axis=0))
        b = icfo(cell.bias) if cell.use_bias else tf.zeros([4 * self.units], self.dtype)
        no_peephole = tf.zeros([self.units], self.dtype)
        h, c = states
        fused = tf.raw_ops.BlockLSTM(
            seq_len_max=tf.cast(tf.shape(x_time_major)[0], tf.int64), x=x_time_major,
            cs_prev=c, h_prev=h, w=w, wci=no_peephole, wcf=no_peephole, wco=no_peephole, b=b,
            forget_bias=0.0,  # the +1 is already in the bias (unit_forget_bias)
            cell_clip=-1.0,  # no clipping of the cell state (the op's default clips at 3)
            use_peephole=False,
        )
        outputs = tf.transpose(fused.h, [1, 0, 2])
        return outputs, fused.h[-1], [fused.h[-1], fused.cs[-1]]


class GRU(_Recurrent):
    """Gated recurrent unit over a (batch, time, features) input.

    Returns the last output (batch, H), or every step's (batch, time, H) with
    `return_sequences=True`; with `return_state=True` a list `[output, h]`.
    `initial_state=h0` (or `[h0]`) may be passed when calling.

    Args:
      units: H, the state size.
      activation, recurrent_activation, use_bias, kernel_initializer,
        recurrent_initializer, bias_initializer, reset_after, the regularizers and
        constraints (activity_regularizer on the layer's output): as for `LSTM`, `GRUCell`,
        which holds the weights (`gru/gru_cell/kernel`, ...).
      return_sequences, return_state, go_backwards, stateful, batch_size: as
        for `LSTM`.
      implementation: `"unroll"` (default: the faster one here for short
        sequences of known length) or `"while"`.
      gradient: "auto" or "manual" (the cell's hand-derived step backwards,
        chained through time by tf.gradients: backprop through time).
      dropout, recurrent_dropout, time_major, and the call's `mask`: as for `LSTM`.
    """

    _implementations = ("unroll", "while")

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", reset_after=True,
                 kernel_regularizer=None, recurrent_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, kernel_constraint=None, recurrent_constraint=None,
                 bias_constraint=None, return_sequences=False,
                 return_state=False, go_backwards=False, stateful=False, batch_size=None,
                 implementation="unroll", gradient="auto", dropout=0.0, recurrent_dropout=0.0,
                 time_major=False, name=None):
        _check_units(name or "gru", units)
        cell = GRUCell(units, activation, recurrent_activation, use_bias, kernel_initializer,
                       recurrent_initializer, bias_initializer, reset_after, gradient,
                       kernel_regularizer=kernel_regularizer,
                       recurrent_regularizer=recurrent_regularizer,
                       bias_regularizer=bias_regularizer, kernel_constraint=kernel_constraint,
                       recurrent_constraint=recurrent_constraint, bias_constraint=bias_constraint)
        super().__init__(cell, return_sequences, return_state, go_backwards, stateful,
                         batch_size, implementation, name, dropout, recurrent_dropout, time_major)
        self.activity_regularizer = regularizers.get(activity_regularizer)  # on the layer's output

    def _dropped_state_step(self, x, states, dropped):
        """With recurrent dropout the gates and the candidate see h_{t-1} * m (through U), but
        h_t = z h_{t-1} + (1 - z) h~ blends the real h_{t-1}, as Keras does.

        The cell's step on the dropped state blended the dropped one; adding z (h - h*m) fixes that.
        """
        cell = self.cell
        if cell.gradient != "auto":
            raise ValueError("%s: recurrent_dropout needs gradient='auto' (the manual GRU step "
                             "blends the state it is given)" % self.name)
        h_dropped, (_, _, _, z, _, _, _) = cell.forward(
            x, dropped[0], cell.kernel, cell.recurrent_kernel, cell.bias if cell.use_bias else None)
        h = h_dropped + z * (states[0] - dropped[0])
        return h, [h]


class RNN(_Recurrent):
    """Runs any tfcore cell (LSTMCell, GRUCell, SimpleRNNCell) over a (batch, time, features) input.

    Keras's generic recurrent layer: `RNN(LSTMCell(8))` computes what
    `LSTM(8)` does (the same `_Recurrent` machinery, the cell held as given),
    with the weights under the cell's name (`rnn/lstm_cell/kernel`, as Keras).
    The named layers add only their constructor conveniences and, for the
    LSTM, the fused BlockLSTM kernel.

    Args:
      cell: an unbuilt tfcore cell. A list of cells (Keras's StackedRNNCells)
        is not supported: stack layers with `return_sequences=True` instead.
      return_sequences, return_state, go_backwards, stateful, time_major: as
        for `LSTM`; `batch_size` is the fixed batch a stateful layer requires.
      unroll: Keras's choice of strategy: True builds the steps one by one
        (`"unroll"`, needs a known number of steps), False one `tf.while_loop`
        (`"while"`, any length). Same numbers either way.
      zero_output_for_mask: masked (padded) steps output zeros instead of
        repeating the previous output (Keras's keyword of the same name).
      activity_regularizer: a penalty on the output(s), divided by the batch size.

    Call it as `layer(x, training=..., initial_state=..., mask=...)`, as `LSTM`.
    Dropout: Keras puts `dropout`/`recurrent_dropout` on its cells; tfcore's
    cells have none, so use `LSTM`/`GRU`/`SimpleRNN(dropout=...)` for it.
    """

    _implementations = ("unroll", "while")

    def __init__(self, cell, return_sequences=False, return_state=False, go_backwards=False,
                 stateful=False, unroll=False, time_major=False, zero_output_for_mask=False,
                 batch_size=None, activity_regularizer=None, name=None):
        layer_name = name or "rnn"
        if isinstance(cell, (list, tuple)):
            raise ValueError("%s: a list of cells (Keras's StackedRNNCells) is not supported; stack "
                             "RNN layers with return_sequences=True instead" % layer_name)
        if not isinstance(cell, _Cell):
            raise ValueError("%s: cell must be a tfcore cell (LSTMCell, GRUCell, SimpleRNNCell), "
                             "got %r" % (layer_name, cell))
        if cell.built:
            raise ValueError("%s: cell %r is already built (used by another layer or called on its "
                             "own); give the RNN a new cell" % (layer_name, cell.name))
        super().__init__(cell, return_sequences, return_state, go_backwards, stateful, batch_size,
                         "unroll" if unroll else "while", name, time_major=time_major)
        self.unroll = bool(unroll)
        self.zero_output_for_mask = bool(zero_output_for_mask)
        self.activity_regularizer = regularizers.get(activity_regularizer)
