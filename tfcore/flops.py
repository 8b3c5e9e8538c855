"""Forward FLOPs of one graph operation, from its static shapes.

Used by `tfcore.inspect` (the per-layer FLOPs of `summary`) and by
`tfcore.train_speed` (a step small enough to run in the caller's thread), so
it lives beside both rather than inside either.

A FLOP here is one scalar multiply, add, compare or function evaluation, the
convention of `tf.compat.v1.profiler` (TensorFlow's `RegisterStatistics("...",
"flops")` functions in `tensorflow/python/profiler/internal/flops_registry.py`
and `nn_ops.py`). For every op type the profiler knows, `op_flops` uses the
same formula, so the two agree op by op:

    MatMul           2 * k * (m * n)          a (m, k) times b (k, n): one multiply + one add per term
    BatchMatMul*     2 * k * |output|
    Conv2D           2 * kh * kw * cin * |output|,  |output| = N * Hout * Wout * cout
                     (stride, padding and dilation enter only through Hout, Wout)
    DepthwiseConv2d  2 * kh * kw * |output|
    BiasAdd          |input|                  one add per element
    AvgPool, MaxPool kh * kw * |output|       one add (or compare) per window element
    Add Sub Mul RealDiv Maximum Minimum Pow, comparisons      |output|
    SquaredDifference 2 |output|;  Reciprocal Square Log Neg |input|;  Rsqrt 2 |input|
    Softmax          5 |input|
    Sum, ArgMax      |input| - |output|;   Mean  |input|
    AddN             |input| * (n - 1);    L2Loss  3 |input| - 1
    gradient kernels (Conv2DBackpropInput/Filter, AvgPoolGrad, MaxPoolGrad,
                     BiasAddGrad, RsqrtGrad) as registered by TensorFlow

The profiler counts nothing for other op types. tfcore adds its own
conventions for the ops its layers use (the profiler reports 0 for these,
so they are the documented difference between the two totals):

    Relu Tanh Sigmoid Exp Sqrt Elu Softplus Abs ...   |output|   (one evaluation per element)
    LogSoftmax       5 |input|  (as Softmax)
    Max Min Prod     |input| - |output|  (as Sum)
    FusedBatchNorm*  inference 2 |x| (x * scale' + offset');
                     training  5 |x| (mean 1, variance 2, normalise 2 per element)
    Einsum           two operands: 2 * the product of every index's size when an index is
                     summed (MatMul's count: "ij,jk->ik" is 2 i j k), else |output| (one
                     multiply per element); one operand: |input| - |output| (as Sum)
    BlockLSTM(V2)    T * N * (8 u (d + u) + 13 u)
                     per step and row: [x, h] (d + u) times W (d + u, 4u) is 2 (d + u) 4u,
                     the bias 4u, the gate functions 4u (3 sigmoids, 1 tanh),
                     c = f c + i g is 3u, h = o tanh(c) is 2u

Everything else (reshapes, copies, variable reads, `If`/`While` whose bodies
live in functions, random numbers) counts 0; `uncounted_types` lists the
types that were met so a reader knows what the total leaves out.

Static shapes are needed. A dimension TensorFlow does not know (a `None`
batch) is taken as `unknown_dim` (default 1: FLOPs per example); the profiler
instead skips such ops entirely, so cross-check it on a fixed-batch graph.
"""

from typing import Any, Dict, Iterable, Set, Tuple

import numpy as np
import tensorflow as tf

# The op types TensorFlow's profiler counts; for these op_flops equals the profiler.
PROFILER_TYPES = frozenset("""
    MatMul BatchMatMul BatchMatMulV2 BatchMatMulV3 Conv2D DepthwiseConv2dNative BiasAdd
    AvgPool MaxPool Add AddV2 Sub Mul RealDiv Maximum Minimum Pow GreaterEqual Greater
    LessEqual Less Equal NotEqual SquaredDifference Reciprocal Square Rsqrt Log Neg
    AssignSub AssignAdd L2Loss Softmax Mean Sum ArgMax ArgMin AddN BiasAddGrad RsqrtGrad
    AvgPoolGrad MaxPoolGrad Conv2DBackpropInput Conv2DBackpropFilter
""".split())

_BINARY = frozenset("""Add AddV2 Sub Mul RealDiv Maximum Minimum Pow GreaterEqual Greater
    LessEqual Less Equal NotEqual""".split())
_UNARY_IN = {"Reciprocal": 1, "Square": 1, "Log": 1, "Neg": 1, "AssignSub": 1, "AssignAdd": 1,
             "Rsqrt": 2, "Softmax": 5, "LogSoftmax": 5}
# tfcore's convention: one FLOP per output element for elementwise functions.
_ELEMENTWISE = frozenset("""Relu Relu6 Elu Selu LeakyRelu Tanh Sigmoid Exp Expm1 Log1p Sqrt
    Softplus Softsign Abs Sign Floor Ceil Round Select SelectV2 Erf Sin Cos
    TanhGrad SigmoidGrad ReluGrad FloorDiv FloorMod DivNoNan Xdivy""".split())
# Types that move or name data and compute nothing: they are not "uncounted".
_FREE = frozenset("""Const Identity IdentityN ReadVariableOp VarHandleOp Placeholder
    PlaceholderWithDefault NoOp Reshape Shape ShapeN Size Rank StopGradient Squeeze ExpandDims
    Pack Unpack Transpose ConcatV2 Concat Split SplitV Slice StridedSlice Fill ZerosLike OnesLike
    Tile Pad PadV2 GatherV2 Gather VarIsInitializedOp AssignVariableOp Assign VariableV2
    BroadcastTo BroadcastArgs BroadcastGradientArgs Range Cast""".split())


def ancestors(fetches: Iterable[Any]) -> Set[tf.Operation]:
    """Every op that running `fetches` (tensors or ops) needs, data and control inputs alike."""
    seen, stack = set(), [f.op if isinstance(f, tf.Tensor) else f for f in fetches]
    while stack:
        op = stack.pop()
        if op in seen:
            continue
        seen.add(op)
        stack.extend(t.op for t in op.inputs)
        stack.extend(op.control_inputs)
    return seen


class UnknownShape(Exception):
    """An op's rank is unknown, so its FLOPs cannot be computed from static shapes."""


def _dims(shape, unknown_dim):
    if shape.rank is None:
        raise UnknownShape(str(shape))
    return [unknown_dim if d is None else int(d) for d in shape.as_list()]


def _count(shape, unknown_dim):
    return int(np.prod(_dims(shape, unknown_dim), dtype=np.int64))


def has_unknown_dims(op: tf.Operation) -> bool:
    """True when an input or output of `op` has a `None` dimension (or unknown rank)."""
    for t in list(op.inputs) + list(op.outputs):
        if t.shape.rank is None or None in t.shape.as_list():
            return True
    return False


def op_flops(op: tf.Operation, unknown_dim: int = 1) -> Tuple[int, bool]:
    """Forward FLOPs of the `tf.Operation` `op` (see the module docstring).

    Returns `(flops, counted)`: `counted` is False when the op type has no
    formula (its FLOPs are 0 and it belongs in `uncounted_types`).
    Raises `UnknownShape` when a needed rank is unknown.
    """
    t = op.type
    out = lambda i=0: _count(op.outputs[i].shape, unknown_dim)  # noqa: E731
    inp = lambda i=0: _count(op.inputs[i].shape, unknown_dim)  # noqa: E731
    if t == "MatMul":
        a = _dims(op.inputs[0].shape, unknown_dim)
        k = a[0] if op.get_attr("transpose_a") else a[1]
        return 2 * k * out(), True
    if t in ("BatchMatMul", "BatchMatMulV2", "BatchMatMulV3"):
        a = _dims(op.inputs[0].shape, unknown_dim)
        adj = "adj_x" if "adj_x" in op.node_def.attr else "transpose_a"
        k = a[-2] if op.get_attr(adj) else a[-1]
        return 2 * k * out(), True
    if t == "Conv2D":
        kh, kw, cin, _ = _dims(op.inputs[1].shape, unknown_dim)
        return 2 * kh * kw * cin * out(), True
    if t == "DepthwiseConv2dNative":
        kh, kw = _dims(op.inputs[1].shape, unknown_dim)[:2]
        return 2 * kh * kw * out(), True
    if t in ("BiasAdd", "BiasAddV1"):
        return inp(), True
    if t in ("AvgPool", "MaxPool"):
        return int(np.prod(op.get_attr("ksize"))) * out(), True
    if t in _BINARY:
        return out(), True
    if t == "SquaredDifference":
        return 2 * out(), True
    if t == "RsqrtGrad":
        return 4 * out(), True
    if t in _UNARY_IN:
        return _UNARY_IN[t] * inp(), True
    if t in ("Sum", "ArgMax", "ArgMin", "BiasAddGrad", "Max", "Min", "Prod"):
        return inp() - out(), True
    if t == "Mean":
        return inp(), True
    if t == "AddN":
        return inp() * (len(op.inputs) - 1), True
    if t == "L2Loss":
        return 3 * inp() - 1, True
    if t in ("AvgPoolGrad", "MaxPoolGrad"):
        area = int(np.prod(op.get_attr("ksize")))
        grads = inp(1)  # AvgPoolGrad: the output gradient; MaxPoolGrad: the original output
        return (2 * area * grads, True) if t == "AvgPoolGrad" else ((area + 1) * grads, True)
    if t in ("Conv2DBackpropInput", "Conv2DBackpropFilter"):
        return _conv_backprop_flops(op, unknown_dim), True
    if t in _ELEMENTWISE:
        return out(), True
    if t.startswith("FusedBatchNorm") and not t.endswith("Grad"):
        per_element = 5 if op.get_attr("is_training") else 2
        return per_element * inp(), True
    if t == "Einsum":
        return _einsum_flops(op, unknown_dim), True
    if t in ("BlockLSTM", "BlockLSTMV2"):
        steps, rows, d = _dims(op.inputs[1].shape, unknown_dim)  # x: (time, batch, features)
        u = _dims(op.inputs[3].shape, unknown_dim)[-1]           # cs_prev: (batch, units)
        return steps * rows * (8 * u * (d + u) + 13 * u), True
    return 0, t in _FREE


def _einsum_flops(op, unknown_dim):
    """An einsum's FLOPs from its equation and static shapes (the module docstring's rule).

    Each "..." stands for the operand's leading axes not named by a letter; they are
    labelled from the right, as einsum broadcasts them."""
    inputs, output = op.get_attr("equation").decode().replace(" ", "").split("->")
    sizes = {}
    for labels, tensor in zip(inputs.split(","), op.inputs):
        dims = _dims(tensor.shape, unknown_dim)
        if "..." in labels:
            head, tail = labels.split("...")
            broadcast = len(dims) - len(head) - len(tail)
            labels = head + "".join(chr(0x100 + i) for i in range(broadcast - 1, -1, -1)) + tail
        for label, size in zip(labels, dims):
            sizes[label] = max(sizes.get(label, 1), size)
    kept = set(output.replace("...", ""))
    if "..." in output:  # the output keeps every broadcast axis
        kept |= {label for label in sizes if ord(label) >= 0x100}
    out_count = _count(op.outputs[0].shape, unknown_dim)
    if len(op.inputs) == 1:
        return _count(op.inputs[0].shape, unknown_dim) - out_count
    summed = set(sizes) - kept
    return 2 * int(np.prod(list(sizes.values()), dtype=np.int64)) if summed else out_count


def _conv_backprop_flops(op, unknown_dim):
    """A convolution's gradient kernel, as TensorFlow's registry counts it.

    2 |image| |kernel| / (cin * stride area): the registry divides by the
    stride area; its integer result is kept.
    """
    strides = op.get_attr("strides")
    stride_area = strides[1] * strides[2]
    if op.type == "Conv2DBackpropInput":
        image, kernel = _dims(op.outputs[0].shape, unknown_dim), op.inputs[1].shape
    else:
        image, kernel = _dims(op.inputs[0].shape, unknown_dim), op.outputs[0].shape
    return int(2 * int(np.prod(image)) * _count(kernel, unknown_dim) / (image[-1] * stride_area))


def profiler_flops(graph: tf.Graph) -> Dict[str, int]:
    """`tf.compat.v1.profiler`'s FLOPs for `graph`, op by op: `{op name: flops}`.

    The profiler counts every op of the graph that has a registered formula,
    initialisers and training ops included, and skips ops whose shapes are not
    fully known. Nothing is printed.
    """
    import tensorflow as tf

    from tfcore import quiet

    builder = tf.compat.v1.profiler.ProfileOptionBuilder
    options = builder(builder.float_operation()).with_empty_output().build()
    # The profiler's own FLOP formulas call a deprecated shape helper; the profiler has
    # no successor in public API, so exactly that notice is filtered.
    with quiet.deprecations_filtered("tensor_shape_from_node_def_name"):
        root = tf.compat.v1.profiler.profile(graph=graph, cmd="scope", options=options)
    per_op = {}
    stack = list(root.children)
    while stack:
        node = stack.pop()
        if node.float_ops:
            per_op[node.name] = int(node.float_ops)
        stack.extend(node.children)
    return per_op
