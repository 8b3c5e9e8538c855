"""Analytic FLOP counts of a graph's forward pass, op by op and layer by layer.

Counted (multiply and add are one FLOP each, as `tf.compat.v1.profiler` counts):

    Conv2D      2 * kh * kw * cin * (batch * Hout * Wout * cout)     one MAC per kernel tap
    MatMul      2 * m * k * n                                         (m, k) x (k, n)
    BiasAdd     batch * ... * cout                                    one add per output
    BlockLSTM   T * 2 * batch * (in + H) * 4H                         the gate matmul of each step

Element-wise work (activations, pooling, dropout masks, the LSTM's gate
non-linearities, the loss) is not counted: it is a few FLOPs per activation
against hundreds per activation for a 3x3 convolution, and it is memory-bound,
so counting it would flatter the achieved rate rather than describe it.

A training step is counted as 3x the forward pass: the backward pass computes,
for every conv/matmul, one product of the same size for the gradient with
respect to its input and one for the gradient with respect to its weights.
(The first layer's input gradient is not actually needed, and the optimizer's
element-wise updates are not counted either, so 3x is the usual convention, not
an exact count.) The forward pass is found as the ancestors of the fetched
tensor (the loss), which leaves out initializers and the optimizer.

A leading `None` (the batch) is replaced by `batch`; tests check the counts
against `tf.compat.v1.profiler` on graphs with a fixed batch.
"""

import numpy as np

from tfcore.inspect import flops as inspect_flops
from tfcore.inspect.layers import ancestors

TRAINING_MULTIPLIER = 3  # forward + backward (input gradients + weight gradients)


def _dims(shape, batch):
    dims = shape.as_list() if shape.rank is not None else None
    if dims is None:
        return None
    return [batch if (d is None and i == 0) else d for i, d in enumerate(dims)]


def op_flops(op, batch=None):
    """The forward FLOPs of one op (0 for ops that are not counted); None if a shape is unknown."""
    if op.type == "Conv2D":
        out = _dims(op.outputs[0].shape, batch)
        kernel = _dims(op.inputs[1].shape, batch)
        if out is None or kernel is None or None in out or None in kernel:
            return None
        kh, kw, cin, _ = kernel
        return 2 * kh * kw * cin * int(np.prod(out))
    if op.type == "MatMul":
        a = _dims(op.inputs[0].shape, batch)
        b = _dims(op.inputs[1].shape, batch)
        if a is None or b is None or None in a or None in b:
            return None
        m, k = (a[1], a[0]) if op.get_attr("transpose_a") else (a[0], a[1])
        n = b[0] if op.get_attr("transpose_b") else b[1]
        return 2 * m * k * n
    if op.type == "BiasAdd":
        out = _dims(op.outputs[0].shape, batch)
        return None if out is None or None in out else int(np.prod(out))
    if op.type == "BlockLSTM":
        x = _dims(op.inputs[1].shape, batch)  # (time, batch, input)
        w = _dims(op.inputs[4].shape, batch)  # (input + H, 4H)
        if x is None or w is None or None in x or None in w:
            return None
        steps, rows = x[0], x[1]
        return steps * 2 * rows * w[0] * w[1]
    return 0


def forward_ops(fetches):
    """The ops the fetched tensors depend on (their ancestors): `tfcore.inspect`'s walk."""
    return ancestors(fetches if isinstance(fetches, (list, tuple)) else [fetches])


def layer_of(op_name):
    """The layer an op belongs to: its first name scope (`conv2d_1/Conv2D` -> `conv2d_1`)."""
    return op_name.split("/")[0]


def forward_flops(fetches, batch=None, per_layer=False):
    """Forward FLOPs of everything `fetches` depends on; with `per_layer` also a dict by layer.

    Raises ValueError if a counted op has a shape unknown even with `batch` filled in.
    """
    total, layers = 0, {}
    for op in sorted(forward_ops(fetches), key=lambda o: o.name):
        flops = op_flops(op, batch)
        if flops is None:
            raise ValueError("flops: %s (%s) has an unknown shape; pass batch= or build with a "
                             "fixed batch size" % (op.name, op.type))
        if flops:
            total += flops
            layers[layer_of(op.name)] = layers.get(layer_of(op.name), 0) + flops
    return (total, layers) if per_layer else total


def training_flops(loss, batch=None):
    """FLOPs of one training step by the 3x-forward convention (module docstring)."""
    return TRAINING_MULTIPLIER * forward_flops(loss, batch)


def profiler_flops(graph, op_names=None):
    """`tf.compat.v1.profiler`'s float_ops for `graph`, in total or for the named ops only.

    The profiler also counts initializer arithmetic; pass `op_names` to compare
    like with like. (The per-op profile comes from `tfcore.inspect`.)
    """
    per_op = inspect_flops.profiler_flops(graph)
    if op_names is None:
        return sum(per_op.values())
    wanted = set(op_names)
    return sum(v for name, v in per_op.items() if name in wanted)
