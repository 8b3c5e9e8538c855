"""Sequence layers: a cell run over the time axis (the time loop), and RNN, LSTM, GRU.

A **sequence layer** runs its cell (cells.py) over the time axis of a
(batch, time, features) input. `RecurrentLayer` is the machinery: the time loop,
the stateful protocol, masks, dropout and time_major. `RNN(cell)` runs a cell
given by the caller (any of LSTMCell, GRUCell, SimpleRNNCell), as Keras's
`RNN(LSTMCell(8))`; `LSTM` and `GRU` build their own cell and add Keras's
constructor conveniences (and, for the LSTM, the fused BlockLSTM kernel).

With `gradient="manual"` each step runs the cell's hand-written backward step;
run over time (`"unroll"` or `"while"`), tf.gradients chains those per-step
backward passes from the last step to the first: that chain is backprop through
time (cells.py).

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

The default (`implementation=None`) is chosen per call, as Keras picks its
kernel: the LSTM's `"block"` when BlockLSTM computes the layer (float16/32,
tanh and sigmoid, no mask, no recurrent dropout, gradient "auto"), else
`"unroll"` for a known length and `"while"` for an unknown one. Measured on a
2-core CPU (shared, so best-decile times) for the time-series example's step
(stateful LSTM, batch 20, 20 steps, 8 units, then Dense 1, MSE, Adam), where
per-op dispatch dominates: `"block"` ~0.5 ms/step, `"unroll"` (~9,000 ops)
~8 ms, `"while"` ~7-12 ms; the GRU, with no fused kernel, ~4-8 ms unrolled
and ~12 ms as a while loop.

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

import tensorflow as tf

from tfcore import activations, regularizers
from tfcore import graph as graph_lib
from tfcore.checks import (InputSpec, check_input_spec, check_shapes_agree, check_type, known_sizes,
                           normalize_choice, number_in, positive_int)
from tfcore.layers.recurrent.cells import (GRUCell, LSTMCell, RecurrentCell, as_state_list,
                                           constructor_arguments)
from tfcore.module import Module, smart_cond

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


class RecurrentLayer(Module):
    """Runs a cell over (batch, time, features); the strategies and the stateful protocol."""

    def __init__(self, cell, return_sequences=False, return_state=False, go_backwards=False,
                 stateful=False, batch_size=None, implementation=None, name=None, dropout=0.0,
                 recurrent_dropout=0.0, time_major=False, activity_regularizer=None, unroll=False,
                 **cell_options):
        """`cell` is a cell (RNN's), or a cell's class that LSTM, GRU and SimpleRNN pass with
        `cell_options`: their signatures repeat their cell's options in Keras 2's positional
        order, and the cell's constructor, the one place each option is checked and stored,
        receives them here by name (`constructor_arguments`), once this layer's name is known."""
        super().__init__(name=name)
        if isinstance(cell, type):
            positive_int(cell_options.get("units"), self.name, "units")  # named as the layer
            cell = cell(**cell_options)
        self.activity_regularizer = regularizers.get(activity_regularizer)  # on the layer's output
        self.dropout = number_in(dropout, "[0, 1)", self.name, "dropout")
        self.recurrent_dropout = number_in(recurrent_dropout, "[0, 1)", self.name, "recurrent_dropout")
        self.time_major = bool(time_major)
        self.zero_output_for_mask = False  # Keras's: padded steps output zeros (Bidirectional sets it)
        self.cell = cell
        self.units = cell.units
        self.return_sequences = bool(return_sequences)
        self.return_state = bool(return_state)
        self.go_backwards = bool(go_backwards)
        self.stateful = bool(stateful)
        self.implementation = self._chosen_implementation(implementation, unroll)
        self.unroll = bool(unroll)
        if batch_size is not None:
            positive_int(batch_size, self.name, "batch_size")
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

    def _chosen_implementation(self, implementation, unroll):
        """The strategy asked for, or None (chosen per call in `_run`). Keras's 1 and 2 (two
        layouts of the same arithmetic) mean None; Keras's `unroll=True` is "unroll"."""
        if implementation in (1, 2) and not isinstance(implementation, bool):
            implementation = None
        if implementation is not None:
            normalize_choice(implementation, self._implementations, self.name, "implementation")
        if unroll and implementation not in (None, "unroll"):
            raise ValueError("%s: unroll=True is implementation='unroll', but implementation=%r was "
                             "asked for" % (self.name, implementation))
        return "unroll" if unroll else implementation

    def _fused_kernel_fits(self):
        """Whether the fused sequence kernel computes this layer (the LSTM's BlockLSTM)."""
        return False

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
        layout = "(time, batch, features)" if self.time_major else "(batch, time, features)"
        (self.input_size,) = known_sizes(input_shape, (-1,), self.name, rank=3, layout=layout)
        self.input_spec = InputSpec(ndim=3, axes={-1: self.input_size}, layout=layout)  # later calls
        self._check_batch(input_shape[1 if self.time_major else 0])
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
        mask = self._check_mask(inputs, mask)  # in the inputs' own layout
        if self.time_major:
            inputs = tf.transpose(inputs, [1, 0, 2])
            mask = None if mask is None else tf.transpose(mask, [1, 0])
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
            states = as_state_list(self.name, initial_state, self.cell.state_names, "initial_state")
            spec = InputSpec(ndim=2, axes={-1: self.units}, unit="units", layout="(batch, units)",
                             name="each initial state")
            for s in states:
                check_input_spec(s, spec, self.name)
        else:
            batch = inputs.shape[0] if inputs.shape[0] is not None else tf.shape(inputs)[0]
            states = self.cell.zero_state(batch, self.dtype)

        outputs, last_output, states = self._run(inputs, states, mask, training)
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
        check_shapes_agree([mask.shape, inputs.shape[:2]], self.name, "the mask and the inputs' first "
                           "two axes %s" % ("(time, batch)" if self.time_major else "(batch, time)"))
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
        if strategy is None and self._fused_kernel_fits():
            strategy = "block"
        if strategy == "block" and (mask is not None or recurrent_mask is not None):
            strategy = None
        if strategy is None:  # chosen here: unrolled when the length is known (faster here)
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


class LSTM(RecurrentLayer):
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
      unroll: Keras's: True is `implementation="unroll"`.
      implementation: None (default: the fused `BlockLSTM` where it computes
        the layer, else unrolled or a while loop; module docstring), `"block"`,
        `"unroll"` or `"while"`. Keras's 1 and 2 mean None.
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
                 bias_constraint=None, dropout=0.0, recurrent_dropout=0.0, return_sequences=False,
                 return_state=False, go_backwards=False, stateful=False, time_major=False,
                 unroll=False, *, batch_size=None, implementation=None, gradient="auto", name=None):
        super().__init__(LSTMCell, **constructor_arguments(locals()))
        cell = self.cell
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

    def _fused_kernel_fits(self):
        cell = self.cell
        return (cell.gradient == "auto" and cell.activation is activations.tanh
                and cell.recurrent_activation is activations.sigmoid
                and self.dtype in (tf.float16, tf.float32))

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


class GRU(RecurrentLayer):
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
      unroll: Keras's: True is `implementation="unroll"`.
      implementation: None (default: `"unroll"` for a known length, else
        `"while"`), `"unroll"` or `"while"`; Keras's 1 and 2 mean None.
      gradient: "auto" or "manual" (the cell's hand-derived step backwards,
        chained through time by tf.gradients: backprop through time).
      dropout, recurrent_dropout, time_major, and the call's `mask`: as for `LSTM`.
    """

    _implementations = ("unroll", "while")

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros",
                 kernel_regularizer=None, recurrent_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, kernel_constraint=None, recurrent_constraint=None,
                 bias_constraint=None, dropout=0.0, recurrent_dropout=0.0, return_sequences=False,
                 return_state=False, go_backwards=False, stateful=False, unroll=False,
                 time_major=False, reset_after=True, *, batch_size=None, implementation=None,
                 gradient="auto", name=None):
        super().__init__(GRUCell, **constructor_arguments(locals()))

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


class RNN(RecurrentLayer):
    """Runs any tfcore cell (LSTMCell, GRUCell, SimpleRNNCell) over a (batch, time, features) input.

    Keras's generic recurrent layer: `RNN(LSTMCell(8))` computes what
    `LSTM(8)` does (the same `RecurrentLayer` machinery, the cell held as given),
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
        check_type(cell, RecurrentCell, layer_name, "cell", "a tfcore cell (LSTMCell, GRUCell, "
                   "SimpleRNNCell)")
        if cell.built:
            raise ValueError("%s: cell %r is already built (used by another layer or called on its "
                             "own); give the RNN a new cell" % (layer_name, cell.name))
        super().__init__(cell, return_sequences, return_state, go_backwards, stateful, batch_size,
                         "unroll" if unroll else "while", name, time_major=time_major,
                         activity_regularizer=activity_regularizer)
        self.unroll = bool(unroll)
        self.zero_output_for_mask = bool(zero_output_for_mask)
