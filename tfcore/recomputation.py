"""Recompute a block's forward pass in the backward pass: less memory, more compute.

Backprop needs, for every layer, tensors of the forward pass: a ReLU's output
for ReluGrad, a convolution's input for its filter gradient. So by default the
forward pass of a training step keeps all of them alive until the backward
pass reaches their layer, and a training step's peak memory grows with the
depth of the network (`tfcore.inspect.profile` measures it).

Gradient checkpointing (Chen et al. 2016, "Training deep nets with sublinear
memory cost") keeps only the *input* of a block of layers. When the backward
pass reaches the block, it runs the block's forward pass again from that input
and backpropagates through the fresh copy:

    forward:   y = block(x)                      keep x (and y's consumers' needs),
                                                 drop everything inside the block
    backward:  given dy = dL/dy
               y' = block(x)                     the same numbers again
               dx, dW = tf.gradients(y', [x, W], grad_ys=dy)

With the network cut into n blocks, the forward pass keeps n block inputs and
the backward pass holds one block's insides at a time; the price is one more
forward pass of every recomputed block (roughly a third more compute for a
network whose backward pass costs twice its forward pass).

It is written out here with `tf.custom_gradient` instead of `tf.recompute_grad`,
because the written-out form is the lesson. Two details matter in graph mode:

* Variables. A block's weights are created on its first call, inside the
  function `tf.custom_gradient` wraps. Graph-mode `custom_gradient` watches
  the variables the function reads and then hands them to the backward
  function as `variables=`, which must return their gradients as a second list.
* The recomputation must not be merged with the original. Grappler removes
  duplicate subgraphs (common-subexpression elimination): the recomputed ops,
  having the same inputs, attributes and weights as the forward ones, would be
  merged back into them and nothing would be saved. The recomputation reads
  its input through an `Identity` that waits for `dy` (a control dependency):
  other inputs, so no merging, and the copy runs only once the backward pass
  has reached the block.
* The copy must die before the next one is made. Backprop through a block
  gives `dx`, which the block before it waits for, and the weights'
  gradients, which only the optimizer waits for. Left alone, the executor
  runs the `dx` chain first and the filter gradients last, so every block's
  copy stays alive to the end and the peak rises above the plain step's.
  The backward function returns its gradients through `tf.tuple` (each
  waits for all), so the block before it is recomputed only once this
  block's copy is no longer needed.

The block must compute the same numbers twice and change nothing: no dropout
in training mode (its second call would advance the mask counter and draw
another mask), no batch-norm moving-average update (it would update twice).
The recomputation refuses a block whose second call builds a stateful op
(an assignment, a stateful random op, a stateful `If`/`While`).
"""

import tensorflow as tf


def recompute(block):
    """`block` (tensors -> tensor or list of tensors) whose backward pass recomputes its forward pass.

    Returns a function with `block`'s signature; keyword arguments (e.g.
    `training=True`) are passed through, positional ones must be tensors.
    The gradients are the plain block's, to float rounding (they are the same
    ops on the same numbers). Example:

        inner = [Conv2D(32, 3, padding="SAME", activation="relu") for _ in range(2)]
        block = tfcore.recompute(lambda x: inner[1](inner[0](x)))
        y = block(x)       # creates the two layers' variables, keeps only x for backprop
    """
    if not callable(block):
        raise TypeError("recompute: block must be callable (tensors -> tensors), got %r" % (block,))

    def call(*inputs, **kwargs):
        inputs = [tf.convert_to_tensor(x) for x in inputs]

        @tf.custom_gradient
        def forward(*xs):
            ys = block(*xs, **kwargs)

            def backward(*dys, variables=None):
                variables = list(variables or [])
                # Wait for the incoming gradient: Grappler cannot merge the copy with the
                # forward ops (its inputs differ), and it runs when the backward pass needs it.
                with tf.control_dependencies(dys):
                    again_in = [tf.identity(x) for x in xs]
                graph = tf.compat.v1.get_default_graph()
                before = len(graph.get_operations())
                with tf.name_scope("recomputed"):
                    again = tf.nest.flatten(block(*again_in, **kwargs))
                _refuse_state_changes(graph.get_operations()[before:])
                grads = tf.gradients(again, again_in + variables, grad_ys=list(dys))
                grads = [tf.zeros_like(t) if g is None else g for t, g in zip(again_in + variables, grads)]
                # Hand every gradient on only once all of them exist: the previous block's
                # recomputation (it waits for our dx) cannot start while our copy is alive.
                grads = tf.tuple(grads)
                return grads[:len(xs)], grads[len(xs):]

            return ys, backward

        return forward(*inputs)

    return call


# Op types that change state or draw fresh randomness: running them a second time is not
# a recomputation. (Stateless random ops are fine: the same seed gives the same numbers.)
_STATEFUL_PREFIXES = ("Assign", "ResourceApply", "ResourceScatter", "ScatterUpdate", "Random",
                      "TruncatedNormal", "Multinomial", "StatefulUniform", "StatefulStandardNormal")
_STATEFUL_TYPES = ("If", "While", "Case")  # their Stateless* twins are fine


def _refuse_state_changes(ops):
    """A ValueError naming the first op of the recomputation that changes state."""
    for op in ops:
        if op.type.startswith(_STATEFUL_PREFIXES) or op.type in _STATEFUL_TYPES:
            raise ValueError(
                "recompute: recomputing the block builds %s (%s), which changes state or draws new "
                "random numbers, so the second pass would not repeat the first; keep dropout and "
                "batch norm in training mode out of recomputed blocks" % (op.name, op.type))
