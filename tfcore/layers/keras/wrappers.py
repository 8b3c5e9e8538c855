"""Wrappers: layers that run another layer in a new way.

TimeDistributed applies one layer to every time step of a sequence, with the
same weights at every step:

    y[n, t] = layer(x[n, t])          for x (batch, time, ...)

It folds time into the batch, (batch, time, ...) -> (batch * time, ...), calls
the layer once, and unfolds the result: one big call instead of T small ones,
and the inner layer never knows about time. (A Dense layer already maps the
last axis of any rank, so TimeDistributed(Dense) equals Dense; the wrapper
matters for layers that need a fixed rank, like Conv2D on video frames.)

Bidirectional runs a recurrent layer over the sequence twice, once forwards
and once backwards (a copy of the layer with its own weights and
`go_backwards` flipped), so every step's output can depend on the past and
the future:

    f_t = forward(x)_t,   b_t = backward(x)_t   (b re-reversed to line up with f)
    merge_mode "concat": y_t = [f_t, b_t]     "sum": f_t + b_t     "mul": f_t * b_t
               "ave": (f_t + b_t) / 2         None: the list [f, b]

With `return_state=True` the forward layer's final states follow the output(s),
then the backward layer's (Keras's order). Weights, as in Keras: the forward
layer's, then the backward layer's. A stateful Bidirectional carries both
layers' states from batch to batch (each layer's own state variables and
reset op, tfcore/layers/recurrent/sequence.py's protocol).
"""

import copy

import tensorflow as tf

from tfcore.checks import check_min_rank, check_type, normalize_choice
from tfcore.layers.recurrent import RecurrentLayer
from tfcore.module import Module, call_takes_mask

MERGE_MODES = ("concat", "sum", "mul", "ave", None)
RECURRENT = "a tfcore recurrent layer (LSTM, GRU, SimpleRNN)"


def _check_unbuilt_layer(wrapper, layer, kind=Module, what="a tfcore layer", arg="layer"):
    check_type(layer, kind, wrapper, arg, what)
    if layer.built:
        raise ValueError("%s: the wrapped layer %r is already built; pass a new, unbuilt layer"
                         % (wrapper, layer.name))


class TimeDistributed(Module):
    """Applies `layer` to every time step: (batch, time, ...) -> (batch, time, ...layer output).

    Args:
      layer: an unbuilt tfcore layer; its weights are this wrapper's weights.
    """

    def __init__(self, layer, name=None):
        super().__init__(name=name)
        _check_unbuilt_layer(self.name, layer)
        self.layer = layer

    @property
    def submodules(self):
        return [self.layer]

    supports_masking = True  # the output's steps are the input's: the mask rides on

    def call(self, inputs, training=False, mask=None):
        """y[n, t] = layer(x[n, t]), as one call on (batch * time, ...)."""
        check_min_rank(inputs.shape, 3, self.name, "(batch, time, ...)")
        dynamic = tf.shape(inputs)

        def sizes(shape, first):
            # Static sizes where known (so the inner layer can build), run-time ones elsewhere.
            return [d if d is not None else dynamic_d for d, dynamic_d in zip(shape, first)]

        inner = sizes(inputs.shape[2:], tf.unstack(dynamic[2:], num=inputs.shape.rank - 2))
        folded = tf.reshape(inputs, tf.stack([-1] + inner))
        folded.set_shape([None] + inputs.shape[2:].as_list())
        inner_mask = {}
        if mask is not None and call_takes_mask(self.layer):  # the inner layer's own steps' mask
            inner_mask["mask"] = tf.reshape(mask, tf.concat([[-1], tf.shape(mask)[2:]], 0))
        y = self.layer(folded, training=training, **inner_mask)
        out_inner = sizes(y.shape[1:], tf.unstack(tf.shape(y)[1:], num=y.shape.rank - 1))
        y_seq = tf.reshape(y, tf.stack([dynamic[0], dynamic[1]] + out_inner))
        y_seq.set_shape(inputs.shape[:2].concatenate(y.shape[1:]))
        return y_seq


class Bidirectional(Module):
    """Runs a recurrent layer forwards and a copy of it backwards, and merges their outputs.

    Args:
      layer: an unbuilt LSTM, GRU, SimpleRNN or RNN(cell); the backward layer is a copy of
        it with its own weights and `go_backwards` flipped.
      merge_mode: "concat" (default), "sum", "mul", "ave" or None (a list).
      weights: Keras's initial weights, not taken here: after building, use
        `set_weights(session, weights)`.
      backward_layer: optional unbuilt recurrent layer to use instead of the copy
        (it must have the opposite `go_backwards` and the same
        return_sequences / return_state, as Keras requires).
    """

    def __init__(self, layer, merge_mode="concat", weights=None, backward_layer=None, *, name=None):
        super().__init__(name=name)
        if weights is not None:
            raise ValueError("%s: weights (Keras's initial weights) is not taken here; build the layer, "
                             "then call set_weights(session, weights)" % self.name)
        _check_unbuilt_layer(self.name, layer, RecurrentLayer, RECURRENT)
        self.merge_mode = normalize_choice(merge_mode, MERGE_MODES, self.name, "merge_mode")
        if backward_layer is None:
            backward_layer = copy.deepcopy(layer)
            backward_layer.go_backwards = not layer.go_backwards
            backward_layer.name = "backward_" + layer.name
        else:
            _check_unbuilt_layer(self.name, backward_layer, RecurrentLayer, RECURRENT,
                                 "backward_layer")
            for attr in ("return_sequences", "return_state", "stateful"):
                if getattr(layer, attr) != getattr(backward_layer, attr):
                    raise ValueError("%s: forward and backward layers must agree on %s"
                                     % (self.name, attr))
            if backward_layer.go_backwards == layer.go_backwards:
                raise ValueError("%s: backward_layer must have the opposite go_backwards of layer"
                                 % self.name)
        layer.name = "forward_" + layer.name
        self.forward_layer, self.backward_layer = layer, backward_layer
        for direction in (layer, backward_layer):
            # Keras's choice: returned sequences show zeros (not a repeat) at padded steps.
            direction.zero_output_for_mask = direction.return_sequences
        self.return_sequences, self.return_state = layer.return_sequences, layer.return_state
        self.stateful = layer.stateful

    @property
    def submodules(self):
        return [self.forward_layer, self.backward_layer]

    def reset_states(self, session):
        """Zero both directions' carried states (stateful layers only)."""
        self.forward_layer.reset_states(session)
        self.backward_layer.reset_states(session)

    supports_masking = True

    def compute_mask(self, inputs, mask=None):
        """Keras's rule: returned sequences keep the input's mask (each of them with
        merge_mode=None); a last output or a state has none."""
        outputs = 1 if self.merge_mode else 2
        masks = [mask if self.return_sequences else None] * outputs
        if self.return_state:
            masks += [None] * 2 * len(self.forward_layer.cell.state_names)
        return masks if len(masks) > 1 else masks[0]

    def call(self, inputs, training=False, initial_state=None, mask=None, **kwargs):
        """y_t = merge(forward(x)_t, backward(x)_{reversed, t}), then the states."""
        forward_state = backward_state = None
        if initial_state is not None:
            if not isinstance(initial_state, (list, tuple)) or len(initial_state) % 2:
                raise ValueError("%s: initial_state must list the forward layer's states, then the "
                                 "backward layer's, got %r" % (self.name, initial_state))
            half = len(initial_state) // 2
            forward_state, backward_state = list(initial_state[:half]), list(initial_state[half:])
        forward = self.forward_layer(inputs, training=training, initial_state=forward_state,
                                     mask=mask, **kwargs)
        backward = self.backward_layer(inputs, training=training, initial_state=backward_state,
                                       mask=mask, **kwargs)
        states = []
        if self.return_state:
            forward, states = forward[0], forward[1:] + backward[1:]
            backward = backward[0]
        if self.return_sequences:
            # The backward layer emits its steps last-first: line them up with the forward ones.
            backward = tf.reverse(backward, [1])
        if self.merge_mode is None:
            output = [forward, backward]
        else:
            output = [{"concat": lambda: tf.concat([forward, backward], axis=-1),
                       "sum": lambda: forward + backward,
                       "mul": lambda: forward * backward,
                       "ave": lambda: (forward + backward) / 2}[self.merge_mode]()]
        return output + states if (self.return_state or self.merge_mode is None) else output[0]
