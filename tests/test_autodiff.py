"""tfcore.autodiff.gradients builds the same gradient as tf.gradients: every rule (with
broadcasting), the walk (fan-out, shared weights, stop_gradient, unconnected xs, grad_ys,
several ys), and every model of the course, all in float64 to 1e-10 relative, fetched in
one session run so a random dropout mask is the same for both."""

import functools
import re

import numpy as np
import pytest
import tensorflow as tf

import tfcore
from models import logistic_regression, lstm_temperature, mlp, mnist_cnn
from tfcore import activations, autodiff, layers, losses
from tfcore.autodiff import draw

RTOL = 1e-10  # relative to each gradient's largest element: float64 leaves room for rounding only
ATOL = 1e-12  # a gradient that is zero up to rounding (a bias just before batch norm) has no scale


def assert_same_gradients(mine, theirs, feed=None, what="", rtol=RTOL, atol=ATOL, randomize=False):
    """Run both lists of gradients in one session run and compare them (None must match None).

    `randomize` loads random values into the floating-point variables after their
    initializers ran (zero-initialised weights would make some gradients trivially 0).
    """
    assert len(mine) == len(theirs)
    for i, (m, t) in enumerate(zip(mine, theirs)):
        assert (m is None) == (t is None), "%s: gradient %d: mine %s, tf.gradients %s" % (what, i, m, t)
    pairs = [(m, t) for m, t in zip(mine, theirs) if t is not None]
    graph = pairs[0][1].graph
    with graph.as_default():
        initializer = tf.compat.v1.global_variables_initializer()
    with tf.compat.v1.Session(graph=graph) as sess:
        sess.run(initializer)
        rng = np.random.RandomState(5)
        for v in graph.get_collection(tf.compat.v1.GraphKeys.GLOBAL_VARIABLES) if randomize else []:
            if v.dtype.base_dtype.is_floating:
                v.load(rng.uniform(-0.5, 0.5, v.shape.as_list()), sess)
        values = sess.run(pairs, feed)
    for i, (m, t) in enumerate(values):
        assert m.shape == t.shape, "%s: gradient %d: shape %s, expected %s" % (what, i, m.shape, t.shape)
        scale = max(np.abs(t).max(), 1e-300) if t.size else 1.0
        bad = np.abs(m - t) > rtol * scale + atol
        assert not bad.any(), "%s: gradient %d, element %s: expected %r, got %r" % (
            what, i, np.argwhere(bad)[0], t[tuple(np.argwhere(bad)[0])], m[tuple(np.argwhere(bad)[0])])


def _const(rng, *shape, low=-2.0, high=2.0):
    return tf.constant(rng.uniform(low, high, shape))


# ---------------------------------------------------------------------------
# Every rule on its own, with broadcasting and a random grad_ys
# ---------------------------------------------------------------------------

def _binary(fn, shape_x, shape_y, low=-2.0):
    def build(rng):
        x, y = _const(rng, *shape_x, low=low), _const(rng, *shape_y, low=low)
        return fn(x, y), [x, y]
    return build


def _unary(fn, shape=(3, 4), low=-2.0, high=2.0):
    def build(rng):
        x = _const(rng, *shape, low=low, high=high)
        return fn(x), [x]
    return build


def _ties(rng):
    x = tf.constant(np.round(rng.uniform(-2, 2, (3, 4, 2))))  # integers: many ties for Max
    return tf.reduce_max(x * 1.0, axis=[0, 2]) + tf.reduce_min(x, axis=-1, keepdims=True), [x]


def _select(rng):
    c = tf.constant(rng.uniform(size=(3, 4)) > 0.5)
    x, y = _const(rng, 3, 4), _const(rng, 3, 4)
    return tf.raw_ops.Select(condition=c, x=x, y=y) + tf.compat.v1.where(c[:, 0], x, y), [x, y]


def _select_v2(rng):
    c = tf.constant(rng.uniform(size=(3, 1)) > 0.5)
    x, y = _const(rng, 4), _const(rng, 1, 4)
    return tf.where(c, x, y), [x, y]


def _split(rng):
    x = _const(rng, 2, 6)
    a, _, c = tf.split(x, 3, axis=1)  # the middle piece unused: its gradient is zeros
    p, q = tf.split(x, [1, 5], axis=-1)
    return a * c + tf.reduce_sum(q, axis=1, keepdims=True) * p, [x]


def _pack(rng):
    x, y = _const(rng, 2, 3), _const(rng, 2, 3)
    a, b = tf.unstack(tf.stack([x, y * x], axis=1), axis=1)
    return a * b, [x, y]


def _cross_entropy(rng):
    logits, labels = _const(rng, 4, 5), tf.nn.softmax(_const(rng, 4, 5))
    loss, backprop = tf.raw_ops.SoftmaxCrossEntropyWithLogits(features=logits, labels=labels)
    # backprop used too: the rule's second-output branch (a gradient of the gradient)
    return loss[:, None] * backprop + tf.nn.softmax_cross_entropy_with_logits(labels, 2 * logits)[:, None], \
        [logits, labels]


def _conv(padding, strides, dilations=1):
    def build(rng):
        x, k = _const(rng, 2, 7, 6, 3), _const(rng, 3, 2, 3, 4)
        return tf.nn.conv2d(x, k, strides, padding, dilations=dilations), [x, k]
    return build


def _pool(fn, padding):
    def build(rng):
        x = _const(rng, 2, 7, 5, 3)
        return fn(x * x, ksize=(3, 2), strides=(2, 2), padding=padding), [x]
    return build


def _matmul(t_a, t_b):
    def build(rng):
        a, b = _const(rng, *((4, 3) if t_a else (3, 4))), _const(rng, *((5, 4) if t_b else (4, 5)))
        return tf.matmul(a, b, transpose_a=t_a, transpose_b=t_b), [a, b]
    return build


def _batch_matmul(adj_x, adj_y):
    def build(rng):
        x, y = _const(rng, 2, 1, *((4, 3) if adj_x else (3, 4))), _const(rng, 5, *((2, 4) if adj_y else (4, 2)))
        return tf.linalg.matmul(x, y, adjoint_a=adj_x, adjoint_b=adj_y), [x, y]
    return build


def _bias_add(data_format):
    def build(rng):
        x, b = _const(rng, 2, 3, 4, 5), _const(rng, 3 if data_format == "NCHW" else 5)
        return tf.nn.bias_add(x, b, data_format=data_format), [x, b]
    return build


def _fill(rng):
    s = _const(rng)
    return tf.fill([2, 3], s * s), [s]


RULE_CASES = {
    "Add broadcast": _binary(lambda x, y: tf.raw_ops.Add(x=x, y=y), (2, 3), (3,)),
    "AddV2 both broadcast": _binary(tf.add, (2, 1, 4), (3, 1)),
    "AddV2 scalar": _binary(tf.add, (), (2, 3)),
    "Sub broadcast": _binary(tf.subtract, (3, 1), (1, 4)),
    "Mul broadcast": _binary(tf.multiply, (2, 3, 4), (4,)),
    "RealDiv broadcast": _binary(tf.divide, (2, 3), (1, 3), low=0.5),
    "Maximum": _binary(tf.maximum, (2, 3), (3,)),
    "Minimum": _binary(tf.minimum, (4, 1), (4, 3)),
    "SquaredDifference": _binary(tf.math.squared_difference, (2, 3), (2, 1)),
    "Pow": _binary(tf.pow, (2, 3), (3,), low=0.5),
    "Pow negative base": lambda rng: (lambda x: (tf.pow(x, tf.constant(2.0, tf.float64)), [x]))(_const(rng, 5)),
    "Neg": _unary(tf.negative),
    "Square": _unary(tf.square),
    "Sqrt": _unary(tf.sqrt, low=0.5),
    "Rsqrt": _unary(tf.math.rsqrt, low=0.5),
    "Exp": _unary(tf.exp),
    "Log": _unary(tf.math.log, low=0.5),
    "Log1p": _unary(tf.math.log1p, low=-0.5),
    "Abs": _unary(tf.abs),
    "Expm1": _unary(tf.math.expm1),
    "Erfc": _unary(tf.math.erfc),
    "LeakyRelu": _unary(lambda x: tf.nn.leaky_relu(x, alpha=0.3)),
    "Tanh": _unary(tf.tanh),
    "Sigmoid": _unary(tf.sigmoid),
    "Relu": _unary(tf.nn.relu),
    "Relu, Maximum and Minimum at ties and 0": _unary(lambda x: tf.nn.relu(tf.round(x) * x) + tf.maximum(x, x)
                                                      + tf.minimum(tf.sign(x) * x, tf.abs(x)) + tf.floor(x)),
    "Relu6": _unary(tf.nn.relu6, low=-2.0, high=8.0),
    "Elu": _unary(tf.nn.elu),
    "Softmax": _unary(tf.nn.softmax, (2, 3, 4)),
    "LogSoftmax": _unary(tf.nn.log_softmax),
    "Cast": _unary(lambda x: tf.cast(tf.cast(x, tf.float32), tf.float64) * x),
    "Identity": _unary(lambda x: tf.identity(x) * x),
    "AddN": _unary(lambda x: tf.add_n([x, x * x, x])),
    "Select": _select,
    "SelectV2 broadcast": _select_v2,
    "MatMul": _matmul(False, False),
    "MatMul transpose_a": _matmul(True, False),
    "MatMul transpose_b": _matmul(False, True),
    "MatMul transpose both": _matmul(True, True),
    "BatchMatMulV2 broadcast": _batch_matmul(False, False),
    "BatchMatMulV2 adjoint_a": _batch_matmul(True, False),
    "BatchMatMulV2 adjoint_b": _batch_matmul(False, True),
    "BatchMatMulV2 adjoint both": _batch_matmul(True, True),
    "Einsum matmul": _binary(lambda x, y: tf.einsum("ab,bc->ac", x, y), (2, 3), (3, 4)),
    "Einsum ellipsis broadcast": _binary(lambda x, y: tf.einsum("...qd,...vd->...qv", x, y), (2, 1, 3, 4), (5, 2, 4)),
    "Einsum an operand-only index": _binary(lambda x, y: tf.einsum("abc,cd->ad", x, y), (2, 3, 4), (4, 5)),
    "Einsum one operand": _unary(lambda x: tf.einsum("ijk->kj", x), (2, 3, 4)),
    "Einsum three operands": lambda rng: (lambda x, y, z: (tf.einsum("ab,bc,cd->da", x, y, z), [x, y, z]))(
        _const(rng, 2, 3), _const(rng, 3, 4), _const(rng, 4, 2)),
    "BiasAdd NHWC": _bias_add("NHWC"),
    "BiasAdd NCHW": _bias_add("NCHW"),
    "Sum axis": _unary(lambda x: tf.reduce_sum(x, axis=-1), (2, 3, 4)),
    "Sum all keepdims": _unary(lambda x: tf.reduce_sum(x * x, keepdims=True), (2, 3, 4)),
    "Mean axes": _unary(lambda x: tf.reduce_mean(x, axis=[0, 2]), (2, 3, 4)),
    "Mean keepdims": _unary(lambda x: tf.reduce_mean(x, axis=1, keepdims=True), (2, 3, 4)),
    "Max and Min with ties": _ties,
    "Prod with zeros": _unary(lambda x: tf.reduce_sum(tf.reduce_prod(tf.nn.relu(x), axis=1))
                              + tf.reduce_prod(x, axis=[0, 2], keepdims=True), (2, 3, 4)),
    "Reshape": _unary(lambda x: tf.reshape(x, (4, -1)) * tf.range(1.0, 4.0, dtype=tf.float64)),
    "ExpandDims Squeeze": _unary(lambda x: tf.squeeze(tf.expand_dims(x, 1) * x[:, None, :1], axis=1)),
    "Transpose": _unary(lambda x: tf.transpose(x, (2, 0, 1)) * tf.range(3.0, dtype=tf.float64)[:, None, None],
                        (2, 4, 3)),
    "ConcatV2": _binary(lambda x, y: tf.concat([x, y * y, x], axis=-1), (2, 3), (2, 1)),
    "Split and SplitV": _split,
    "Pack and Unpack": _pack,
    "Slice": _unary(lambda x: tf.slice(x, [1, 0, 2], [1, -1, 2]), (3, 4, 5)),
    "StridedSlice masks": _unary(lambda x: x[1:, ::2, None, -1] * x[-1, 1:3, 0:1]
                                + tf.reduce_sum(x[..., 2]), (3, 4, 5)),
    "Pad": _unary(lambda x: tf.pad(x, [[1, 0], [2, 3]]) ** 2),
    "PadV2": _unary(lambda x: tf.pad(x, [[1, 2], [0, 1]], constant_values=3.0) * 2.0),
    "BroadcastTo": _unary(lambda x: tf.broadcast_to(x, (2, 3, 4)), (3, 1)),
    "Fill": _fill,
    "SoftmaxCrossEntropyWithLogits": _cross_entropy,
    "Conv2D SAME": _conv("SAME", 1),
    "Conv2D VALID strided": _conv("VALID", 2),
    "Conv2D VALID": _conv("VALID", 1),
    "MaxPool SAME": _pool(tf.nn.max_pool2d, "SAME"),
    "MaxPool VALID": _pool(tf.nn.max_pool2d, "VALID"),
    "AvgPool SAME": _pool(tf.nn.avg_pool2d, "SAME"),
    "AvgPool VALID": _pool(tf.nn.avg_pool2d, "VALID"),
}


@pytest.mark.parametrize("case", sorted(RULE_CASES))
def test_each_rule_equals_tf_gradients_with_broadcasting_and_grad_ys(case):
    rng = np.random.RandomState(sorted(RULE_CASES).index(case))
    graph = tf.Graph()
    with graph.as_default():
        y, xs = RULE_CASES[case](rng)
        r = tf.constant(rng.uniform(-1, 1, y.shape.as_list()))
        mine, theirs = autodiff.gradients(y, xs, grad_ys=r), tf.gradients(y, xs, grad_ys=r)
    assert_same_gradients(mine, theirs, what=case)


def test_the_rule_cases_cover_the_op_types_the_brief_lists():
    listed = {"MatMul", "BiasAdd", "Add", "AddV2", "Sub", "Mul", "RealDiv", "Neg", "Square", "Sqrt",
              "Rsqrt", "Exp", "Log", "Tanh", "Sigmoid", "Relu", "Softmax", "SoftmaxCrossEntropyWithLogits",
              "Sum", "Mean", "Max", "Reshape", "Transpose", "ConcatV2", "Split", "Slice", "StridedSlice",
              "Pad", "Identity", "Cast", "Conv2D", "MaxPool", "AvgPool", "BroadcastTo", "ExpandDims",
              "Squeeze", "Maximum", "Minimum", "SquaredDifference", "Pow", "Select", "SelectV2",
              "Relu6", "Elu", "LogSoftmax", "Prod", "BatchMatMulV2", "Einsum", "ReadVariableOp"}
    assert listed <= set(autodiff.RULES)
    graph = tf.Graph()
    with graph.as_default():
        for i, case in enumerate(sorted(RULE_CASES)):
            RULE_CASES[case](np.random.RandomState(i))
        built = {op.type for op in graph.get_operations()}
    assert listed - {"ReadVariableOp"} <= built, sorted(listed - built)


# ---------------------------------------------------------------------------
# The walk: fan-out, shared weights, stop_gradient, unconnected xs, several ys
# ---------------------------------------------------------------------------

def _random_mlp(rng, x, depth, shared):
    """A tanh/sigmoid/relu MLP whose layers reuse `shared` weights and feed later layers (fan-out)."""
    h, outputs = x, []
    for i in range(depth):
        w = shared[rng.randint(len(shared))]
        act = (tf.tanh, tf.sigmoid, tf.nn.relu)[rng.randint(3)]
        h = act(tf.matmul(h, w) + (h if rng.uniform() < 0.5 else 0.0))  # a skip: h fans out
        outputs.append(h)
    return tf.add_n(outputs)  # every layer's output also goes straight to the loss


@pytest.mark.parametrize("seed", range(4))
def test_random_mlps_with_shared_weights_and_fan_out(seed):
    rng = np.random.RandomState(seed)
    graph = tf.Graph()
    with graph.as_default():
        x = tf.compat.v1.placeholder(tf.float64, (None, 4))
        shared = [tfcore.variable(rng.uniform(-1, 1, (4, 4)), name="w%d" % i) for i in range(2)]
        y = _random_mlp(rng, x, depth=rng.randint(2, 6), shared=shared)
        loss = tf.reduce_mean(tf.square(y - 0.5))
        xs = [x] + shared
        mine, theirs = autodiff.gradients(loss, xs), tf.gradients(loss, xs)
    assert_same_gradients(mine, theirs, {x: rng.uniform(-1, 1, (5, 4))}, "random MLP %d" % seed)


def test_stop_gradient_unconnected_and_integer_paths_give_none_as_tf_gradients_does():
    graph = tf.Graph()
    with graph.as_default():
        rng = np.random.RandomState(0)
        a, b, c, unused = (_const(rng, 3) for _ in range(4))
        only_stopped = _const(rng, 3)
        n = tf.cast(tf.shape(c)[0], tf.float64)  # c reaches y only through its (integer) shape
        y = a * tf.stop_gradient(b * a) + tf.stop_gradient(only_stopped) + n + tf.reduce_sum(b)
        xs = [a, b, c, unused, only_stopped]
        mine, theirs = autodiff.gradients(y, xs), tf.gradients(y, xs)
    assert [g is None for g in mine] == [False, False, True, True, True]
    assert_same_gradients(mine, theirs, what="stop_gradient")


def test_several_ys_with_grad_ys_an_x_that_is_a_y_and_an_x_downstream_of_another():
    graph = tf.Graph()
    with graph.as_default():
        rng = np.random.RandomState(1)
        x = _const(rng, 2, 3)
        h = tf.tanh(x)
        y1, y2 = tf.reduce_sum(h * h, axis=1), h * x
        ys, xs = [y1, y2, h], [x, h, y1]
        grad_ys = [_const(rng, 2), None, _const(rng, 2, 3)]
        mine, theirs = autodiff.gradients(ys, xs, grad_ys), tf.gradients(ys, xs, grad_ys)
    assert_same_gradients(mine, theirs, what="several ys")


def test_a_gradient_of_a_gradient_differentiates_the_rules_own_ops():
    graph = tf.Graph()
    with graph.as_default():
        rng = np.random.RandomState(2)
        x, w = _const(rng, 3, 4), tfcore.variable(rng.uniform(-1, 1, (4, 2)))
        loss = tf.reduce_sum(tf.nn.log_softmax(tf.tanh(tf.matmul(x, w))) * tf.sigmoid(x[:, :2]))
        (dw,) = autodiff.gradients(loss, w)
        (tf_dw,) = tf.gradients(loss, w)
        mine = autodiff.gradients(tf.reduce_sum(dw * dw), [x, w])
        theirs = tf.gradients(tf.reduce_sum(tf_dw * tf_dw), [x, w])
    assert_same_gradients(mine, theirs, what="second order")


def test_an_op_without_a_rule_is_named_with_its_type_and_fallback_is_explicit():
    graph = tf.Graph()
    with graph.as_default():
        x = _const(np.random.RandomState(3), 4)
        y = tf.math.atan(x, name="my_atan") * x  # (the course's chapter 14 registers Softplus)
        with pytest.raises(autodiff.UnknownOpError, match=r"'my_atan' \(type Atan\).*fallback"):
            autodiff.gradients(y, x)
        with pytest.raises(ValueError, match="fallback must be"):
            autodiff.gradients(y, x, fallback="keras")
        mine, theirs = autodiff.gradients(y, x, fallback="tensorflow"), tf.gradients(y, x)
    assert_same_gradients(mine, theirs, what="fallback")


def test_a_custom_gradient_is_never_replaced_by_its_op_types_rule():
    """tf.custom_gradient wraps its tensors in IdentityN: the identity rule would silently drop
    the hand-written backward pass (tfcore's gradient="manual" layers, readable relu, swish)."""
    graph = tfcore.new_graph(seed=0)
    with graph.as_default():
        x = tfcore.placeholder((3, 4), tf.float64)
        layer = layers.Dense(2, activation="tanh", gradient="manual")
        with activations.implementation("readable"):
            y = tf.reduce_sum(layer(x)) + tf.reduce_sum(activations.relu(x))
        y += tf.reduce_sum(activations.swish(x))  # tf.nn.silu: TensorFlow's own custom gradient
        with pytest.raises(autodiff.UnknownOpError, match=r"custom gradient.*fallback"):
            autodiff.gradients(y, [x] + layer.trainable_variables)
        xs = [x] + layer.trainable_variables
        mine, theirs = autodiff.gradients(y, xs, fallback="tensorflow"), tf.gradients(y, xs)
    assert_same_gradients(mine, theirs, {x: np.random.RandomState(6).uniform(-1, 1, (3, 4))},
                          what="Dense(gradient='manual')", randomize=True)


def test_control_flow_is_refused_with_a_pointer_to_why():
    graph = tf.Graph()
    with graph.as_default():
        x = tf.compat.v1.placeholder(tf.float64, ())
        y = tf.cond(x > 0, lambda: x * x, lambda: -x)
        with pytest.raises(autodiff.UnknownOpError, match=r"type (Stateless)?If.*control flow"):
            autodiff.gradients(y, x)
        mine, theirs = autodiff.gradients(y, x, fallback="tensorflow"), tf.gradients(y, x)
    assert_same_gradients(mine, theirs, {x: 1.5}, what="If with fallback")


def test_a_while_loop_is_refused_and_its_fallback_survives_tensorflow_rewriting_the_loop():
    graph = tf.Graph()
    with graph.as_default():
        x = tf.compat.v1.placeholder(tf.float64, (2,))
        w = tfcore.variable(np.array([0.5, -1.5]))
        _, h = tf.while_loop(lambda i, h: i < 3, lambda i, h: (i + 1, tf.tanh(h * w) + h), [0, x])
        y = tf.reduce_sum(h * h)
        with pytest.raises(autodiff.UnknownOpError, match=r"type (Stateless)?While.*control flow"):
            autodiff.gradients(y, [x, w])
        # TensorFlow's While gradient adds accumulators to the forward loop's inputs: they get None.
        mine = autodiff.gradients(y, [x, w], fallback="tensorflow")
        theirs = tf.gradients(y, [x, w])
    assert_same_gradients(mine, theirs, {x: [0.3, -0.7]}, what="While with fallback")


# ---------------------------------------------------------------------------
# Every model of the course, as models/*.py builds it, made float64
# ---------------------------------------------------------------------------

def _as_float64(graph_def):
    """Turn every float32 of a GraphDef into float64, in place: op types and constants' values."""
    f32, f64 = tf.float32.as_datatype_enum, tf.float64.as_datatype_enum
    for node in graph_def.node:
        for attr in node.attr.values():
            kind = attr.WhichOneof("value")
            if kind == "type" and attr.type == f32:
                attr.type = f64
            elif kind == "list" and f32 in attr.list.type:
                attr.list.type[:] = [f64 if t == f32 else t for t in attr.list.type]
            elif kind == "tensor" and attr.tensor.dtype == f32:
                attr.tensor.CopyFrom(tf.make_tensor_proto(tf.make_ndarray(attr.tensor).astype(np.float64)))


def _model_gradients(build, dtype):
    """The model's training loss differentiated by both, with respect to its input and every variable.

    `build()` returns (graph, loss, x, y) from the model's own file. The graph is copied
    (its meta graph: the variables come along) into a new graph, in float64 if asked.
    mnist_cnn's training loss holds its dropout masks: both gradients are fetched in one
    run, so they see the same masks.
    """
    graph, loss, x, y = build()
    with graph.as_default():
        meta = tf.compat.v1.train.export_meta_graph()
    if dtype == tf.float64:
        _as_float64(meta.graph_def)
    copy = tf.Graph()
    with copy.as_default():
        tf.compat.v1.train.import_meta_graph(meta)
        loss, x, y = (copy.get_tensor_by_name(t.name) for t in (loss, x, y))
        xs = [x] + tf.compat.v1.global_variables()  # with any optimizer slots: unconnected, None
        mine, theirs = autodiff.gradients(loss, xs), tf.gradients(loss, xs)
    rng = np.random.RandomState(0)
    feed = {t: rng.uniform(0, 1, t.shape.as_list()) for t in (x, y)}
    return mine, theirs, feed


def _network(module, batch, features, classes, loss_of, **options):
    """A model's `network` on placeholders of a small batch and the objective its optimizer
    minimises; returns (graph, loss, x, y)."""
    graph = tfcore.new_graph(seed=0)
    with graph.as_default():
        x = tfcore.placeholder((batch,) + features, name="x")
        y = tfcore.placeholder((batch, classes), name="y")
        loss = loss_of(module.network(**options)(x, training=True), y)
    return graph, loss, x, y


def _trained_loss(model):
    return model.graph, model.loss, model.inputs, model.targets


def _cnn_loss(logits, y):
    return losses.softmax_cross_entropy_with_logits(y, logits)


MODELS = {
    "logistic_regression": lambda: _network(logistic_regression, 5, (2,), 1,
                                            lambda z, y: losses.sigmoid_cross_entropy_with_logits(y, z)),
    "mlp": lambda: _network(mlp, 5, (3,), 1, lambda p, y: losses.sum_of_squares(y, p)),
    "mnist_cnn (dropout)": lambda: _network(mnist_cnn, 2, (28, 28, 1), 10, _cnn_loss),
    "mnist_cnn (batchnorm)": lambda: _network(mnist_cnn, 2, (28, 28, 1), 10, _cnn_loss, batchnorm=True),
    "lstm_temperature (unrolled cells)": lambda: _trained_loss(lstm_temperature.build(
        batch_size=3, window=4, implementation="unroll")),
}


@pytest.mark.parametrize("name", sorted(MODELS))
def test_every_model_of_the_course_in_float64(name):
    mine, theirs, feed = _model_gradients(MODELS[name], tf.float64)
    assert sum(t is not None for t in theirs) >= 3
    assert_same_gradients(mine, theirs, feed, what=name, randomize=True)


def test_the_fused_lstm_in_float32_through_block_lstm_grad():
    """BlockLSTM has no float64 kernel: float32, where two gradients may round differently."""
    mine, theirs, feed = _model_gradients(lambda: _trained_loss(lstm_temperature.build(batch_size=3, window=4)),
                                          tf.float32)
    assert "BlockLSTM" in {op.type for op in mine[0].graph.get_operations()}
    assert_same_gradients(mine, theirs, feed, what="lstm_temperature (BlockLSTM)", rtol=1e-6, atol=0)


# ---------------------------------------------------------------------------
# The exercise's checker and the drawing
# ---------------------------------------------------------------------------

def _softplus(op, grad):
    return [grad * tf.sigmoid(op.inputs[0])]


def test_check_gradient_rule_passes_a_right_rule_and_names_the_first_wrong_element_of_a_wrong_one():
    right = autodiff.check_gradient_rule("Softplus", _softplus, cases=3, print_fn=None)
    assert right.ok and right.passed == right.total == 3
    lines = []
    wrong = autodiff.check_gradient_rule("Softplus", lambda op, g: [g * tf.sigmoid(op.outputs[0])],
                                         cases=3, print_fn=lines.append)
    assert not wrong.ok and wrong.passed == 0
    assert re.search(r"Softplus on inputs of shapes .*: input 0, element \[.*\]: expected .*, got", wrong.failure)
    assert "0 of 3 cases agree" in lines[0] and wrong.failure in lines[0]


def test_check_gradient_rule_reports_a_missing_broadcast_sum_and_a_rule_that_raises():
    no_sum = autodiff.check_gradient_rule("Mul", lambda op, g: [g * op.inputs[1], g * op.inputs[0]],
                                          cases=6, print_fn=None)
    assert not no_sum.ok and "summed back" in no_sum.failure
    raises = autodiff.check_gradient_rule("Tanh", lambda op, g: [g * undefined_name], print_fn=None)  # noqa: F821
    assert "your rule raised NameError" in raises.failure
    assert autodiff.check_gradient_rule("Tanh", print_fn=None).ok  # the built-in one
    with pytest.raises(ValueError, match="not an op type"):
        autodiff.check_gradient_rule("NoSuchOp", _softplus)
    with pytest.raises(ValueError, match="elementwise ops"):
        autodiff.check_gradient_rule("MatMul", print_fn=None)
    with pytest.raises(ValueError, match="register"):
        autodiff.check_gradient_rule("Atan")


def test_the_drawing_puts_each_rules_ops_under_the_op_they_differentiate():
    graph = tf.Graph()
    with graph.as_default():
        x = tf.compat.v1.placeholder(tf.float64, (2, 3))
        loss = tf.reduce_sum(tf.tanh(x) * x)
        before = set(graph.get_operations())
        autodiff.gradients(loss, x)
        backward = [op for op in graph.get_operations() if op not in before]
    where = draw.layout(sorted(before, key=lambda op: op.name), backward)
    forward_columns = {op.type: column for op, (column, row) in where.items() if row == 0}
    assert sorted(forward_columns, key=forward_columns.get) == ["Placeholder", "Tanh", "Mul", "Sum"]
    for op, (column, row) in where.items():
        if row and op.name.split("/")[1].endswith("_grad"):
            owner = op.name.split("/")[1][:-len("_grad")]
            assert column == where[graph.get_operation_by_name(owner)][0], op.name
        elif row:  # the seed gradient (ones like the loss) stands right of the loss
            assert column == len(forward_columns), op.name


# ---------------------------------------------------------------------------
# tfcore's readable paths: the ops the course's layers build besides the models'
# ---------------------------------------------------------------------------

def _readable_activations(x):
    # (not relu: its readable path, like fused swish, is a tf.custom_gradient; see below)
    names = ["tanh", "sigmoid", "softmax", "log_softmax", "elu", "selu", "softsign", "swish",
             "gelu", "hard_sigmoid", "exponential", "leaky_relu", "relu6", "thresholded_relu"]
    with activations.implementation("readable"):
        return tf.add_n([getattr(activations, name)(x) for name in names])


LAYERS = {
    "Conv2D and pools from patches": lambda x: layers.AvgPool2D(2, padding="SAME", implementation="patches")(
        layers.MaxPool2D(2, implementation="patches")(
            layers.Conv2D(2, 3, padding="SAME", implementation="patches")(x))),
    "ZeroPadding2D, BatchNormalization, Flatten, Dense": lambda x: layers.Dense(3)(layers.Flatten()(
        layers.BatchNormalization()(layers.ZeroPadding2D(1)(x), training=True))),
    "GRU unrolled, LayerNormalization": lambda x: layers.LayerNormalization()(  # (LSTM: the models)
        layers.GRU(3, implementation="unroll")(tf.reshape(x, (4, 3, 12)))),
    "MultiHeadAttention (einsums)": lambda x: layers.MultiHeadAttention(2, 3)(
        tf.reshape(x, (2, 12, 6)), tf.reshape(x[:, :4], (2, 8, 6))),
    "activations, readable and fused": lambda x: _readable_activations(x) + activations.gelu(x) + activations.selu(x),
}


@pytest.mark.parametrize("name", sorted(LAYERS))
def test_tfcore_layers_readable_paths_and_activations(name):
    rng = np.random.RandomState(sorted(LAYERS).index(name))
    graph = tfcore.new_graph(seed=0)
    with graph.as_default():
        x = tfcore.placeholder((2, 6, 6, 2), tf.float64)
        y = LAYERS[name](x)
        xs = [x] + tf.compat.v1.trainable_variables()
        r = tf.constant(rng.uniform(-1, 1, y.shape.as_list()))
        mine, theirs = autodiff.gradients(y, xs, grad_ys=r), tf.gradients(y, xs, grad_ys=r)
    assert_same_gradients(mine, theirs, {x: rng.uniform(-1, 1, (2, 6, 6, 2))}, what=name, randomize=True)


def test_a_reference_variable_and_int64_indices():
    graph = tf.Graph()
    with graph.as_default():
        rng = np.random.RandomState(4)
        v = tf.compat.v1.Variable(rng.uniform(-1, 1, (2, 3)), use_resource=False)
        x = _const(rng, 2, 3)
        int64 = functools.partial(tf.constant, dtype=tf.int64)
        y = (tf.reduce_sum(tf.slice(v * x, int64([0, 1]), int64([2, 2])))
             + tf.reduce_sum(tf.pad(x, int64([[1, 1], [0, 2]])) ** 2)
             + tf.reduce_sum(v * v, axis=int64([1])) + tf.reduce_mean(x * x, axis=int64(-1)))
        mine, theirs = autodiff.gradients(y, [v, x]), tf.gradients(y, [v, x])
    assert_same_gradients(mine, theirs, what="reference variable")
