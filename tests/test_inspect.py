"""tfcore.inspect: per-layer parameters and FLOPs, graph statistics, pictures, TensorBoard, placement.

Oracles: the FLOP formulas written out by hand from the layer's shapes (2 m k n
per matmul, 2 kh kw cin per conv output element), `tf.compat.v1.profiler`
op by op, the layers' own variable lists, node counts taken before and after
`tf.gradients`, the serialised GraphDef, `summary_iterator`, and the devices
pinned with `tf.device`.
"""

import collections
import types

import numpy as np
import pytest
import tensorflow as tf

import tfcore
from models import lstm_temperature, mlp, mnist_cnn
from tfcore import losses, optimizers
from tfcore import flops as flops_lib
from tfcore.inspect import graph_stats, placement_report, profiler_flops, render, summary, to_dot
from tfcore.inspect import write_graph
from tfcore.inspect.layers import ancestors
from tfcore.inspect.__main__ import main as cli_main
from tfcore.layers.batch_norm import BatchNormalization
from tfcore.layers.conv import Conv2D
from tfcore.layers.dense import Dense
from tfcore.layers.recurrent import LSTM


def _quiet(model, **kw):
    return summary(model, print_fn=None, **kw)


# ---------------------------------------------------------------------------
# FLOPs of single layers against the hand-written formulas
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("activation", [None, "relu"])
def test_dense_flops_equal_two_m_k_n_plus_bias_plus_activation(activation):
    m, k, n = 5, 3, 7
    graph = tfcore.new_graph(0)
    with graph.as_default():
        x = tfcore.placeholder((m, k))
        y = Dense(n, activation=activation, name="fc")(x)
    row = _quiet((graph, y)).row("fc")
    expected = 2 * m * k * n + m * n + (m * n if activation == "relu" else 0)  # matmul, bias, max(x, 0)
    assert row.flops == expected
    assert row.trainable == k * n + n and row.non_trainable == 0
    assert row.output_shapes == [(m, n)]


@pytest.mark.parametrize("padding,size", [("SAME", 9), ("VALID", 9), ("SAME", 10), ("VALID", 10)])
def test_conv2d_flops_equal_hand_computed_for_stride_two(padding, size):
    batch, cin, cout, kh, kw, stride = 2, 3, 4, 3, 2, 2
    graph = tfcore.new_graph(0)
    with graph.as_default():
        x = tfcore.placeholder((batch, size, size, cin))
        y = Conv2D(cout, (kh, kw), strides=stride, padding=padding, name="conv")(x)
    if padding == "SAME":
        h_out, w_out = -(-size // stride), -(-size // stride)
    else:
        h_out, w_out = (size - kh) // stride + 1, (size - kw) // stride + 1
    outputs = batch * h_out * w_out * cout
    row = _quiet((graph, y)).row("conv")
    assert row.output_shapes == [(batch, h_out, w_out, cout)]
    assert row.flops == 2 * kh * kw * cin * outputs + outputs  # multiply-adds + the bias
    assert row.trainable == kh * kw * cin * cout + cout


def test_unknown_batch_counts_flops_per_example_or_per_given_batch():
    graph = tfcore.new_graph(0)
    with graph.as_default():
        x = tfcore.placeholder((None, 4))
        y = Dense(3, name="fc")(x)
    one, eight = _quiet((graph, y)), _quiet((graph, y), batch_size=8)
    assert one.per_example and one.row("fc").flops == 2 * 4 * 3 + 3
    assert eight.row("fc").flops == 8 * one.row("fc").flops
    assert "per example" in str(one)


def test_block_lstm_flops_are_the_unrolled_matmuls_plus_thirteen_per_unit():
    steps, rows, features, units = 5, 3, 2, 4

    def lstm_summary(implementation):
        graph = tfcore.new_graph(0)
        with graph.as_default():
            x = tfcore.placeholder((rows, steps, features))
            y = LSTM(units, implementation=implementation, name="lstm")(x)
        return graph, _quiet((graph, y)).row("lstm")

    _, block = lstm_summary("block")
    graph, _ = lstm_summary("unroll")
    unrolled_matmuls = sum(flops_lib.op_flops(op)[0] for op in graph.get_operations()
                           if op.type == "MatMul")
    # The fused kernel multiplies [x, h] by [W; U] once per step: the same multiply-adds.
    assert unrolled_matmuls == steps * rows * 8 * units * (features + units)
    assert block.flops == unrolled_matmuls + steps * rows * 13 * units


@pytest.mark.parametrize("equation, shapes, as_matmul", [
    ("ij,jk->ik", [(5, 8), (8, 7)], lambda a, b: tf.matmul(a, b)),
    ("bij,bjk->bik", [(3, 5, 8), (3, 8, 6)], lambda a, b: tf.matmul(a, b)),
    ("abc,cde->abde", [(3, 5, 8), (8, 2, 4)],  # MultiHeadAttention's projection
     lambda a, b: tf.matmul(tf.reshape(a, (15, 8)), tf.reshape(b, (8, 8)))),
    ("...ij,jk->...ik", [(3, 5, 8), (8, 7)], lambda a, b: tf.matmul(tf.reshape(a, (15, 8)), b)),
])
def test_einsum_flops_equal_the_profilers_matmul_that_computes_the_same(equation, shapes, as_matmul):
    """An einsum that is a (batched) matrix product counts what TensorFlow's profiler counts
    for that product: 2 * every index's size."""
    graph = tfcore.new_graph(0)
    with graph.as_default():
        operands = [tf.ones(shape) for shape in shapes]
        einsum = tf.einsum(equation, *operands)
        matmul = as_matmul(*operands)
    assert flops_lib.op_flops(einsum.op) == (profiler_flops(graph)[matmul.op.name], True)


def test_einsum_without_a_summed_index_or_with_one_operand():
    graph = tfcore.new_graph(0)
    with graph.as_default():
        a, b = tf.ones((5, 8)), tf.ones((5, 8))
        assert flops_lib.op_flops(tf.einsum("ij,ij->ij", a, b).op) == (40, True)  # 40 multiplies
        assert flops_lib.op_flops(tf.einsum("ij->j", a).op) == (32, True)  # as Sum: 40 - 8 adds
        assert flops_lib.op_flops(tf.einsum("ij->ji", a).op) == (0, True)  # a transpose


# ---------------------------------------------------------------------------
# Parameters: the layers' own variable lists
# ---------------------------------------------------------------------------


def test_parameters_per_layer_equal_the_layers_variables_and_exclude_slots_and_state():
    graph = tfcore.new_graph(0)
    with graph.as_default():
        x = tfcore.placeholder((4, 6, 6, 2))
        seq = tfcore.placeholder((4, 3, 5))
        conv, bn, dense = Conv2D(3, 3, name="conv"), BatchNormalization(name="bn"), Dense(2, name="fc")
        lstm = LSTM(6, stateful=True, batch_size=4, name="rnn")
        h = tf.reshape(bn(conv(x), training=True), (4, -1))
        out = dense(h) + tf.reduce_sum(lstm(seq))
        loss = tf.reduce_mean(out ** 2)
        optimizers.Adam(0.01).minimize(loss)
    s = _quiet((graph, out))
    size = lambda vs: sum(int(np.prod(v.shape.as_list())) for v in vs)  # noqa: E731
    for layer in (conv, bn, dense, lstm):
        row = s.row(layer.name)
        assert row.trainable == size(layer.trainable_variables), layer.name
        assert row.non_trainable == size(layer.non_trainable_variables), layer.name
    assert s.row("rnn").state == size(lstm.states) == 2 * 4 * 6
    assert s.params == sum(size(layer.variables) for layer in (conv, bn, dense, lstm))
    trainable = size(graph.get_collection(tf.compat.v1.GraphKeys.TRAINABLE_VARIABLES))
    assert s.slots == 2 * trainable  # Adam's m and v, one of each per trained variable


@pytest.mark.parametrize("switch, uncounted", [("passes", []), ("placeholder", ["If"])])
def test_mnist_cnn_summary_rows_follow_the_architecture(switch, uncounted):
    s = _quiet(mnist_cnn.build(switch=switch))
    convs = [r for r in s.rows if "Conv2D" in r.ops]
    assert [r.output_shapes[0][1:] for r in convs] == [(28, 28, 16), (28, 28, 16), (14, 14, 32), (7, 7, 64)]
    assert [r.name for r in s.rows if "AvgPool" in r.ops] == ["avg_pool2d", "avg_pool2d_1", "avg_pool2d_2"]
    assert s.row("dense").output_shapes == [(None, 512)]
    # One pass reading the switch: Dropout's tf.cond, whose branches live in functions. Two
    # passes: the summary describes the inference pass, where Dropout passes its input on.
    assert s.uncounted_types == uncounted


# ---------------------------------------------------------------------------
# The profiler cross-check
# ---------------------------------------------------------------------------


def test_op_flops_equal_the_profiler_on_every_op_it_counts_in_a_fixed_batch_training_graph():
    model = mnist_cnn.build(batch_size=2)
    profiled = profiler_flops(model.graph)
    assert profiled, "the profiler counted nothing"
    types_seen = set()
    for name, count in profiled.items():
        op = model.graph.get_operation_by_name(name)
        types_seen.add(op.type)
        assert op.type in flops_lib.PROFILER_TYPES
        assert flops_lib.op_flops(op)[0] == count, name
    # Forward, gradient, optimizer and initializer kernels were all compared.
    assert {"Conv2D", "MatMul", "BiasAdd", "AvgPool", "Conv2DBackpropInput",
            "Conv2DBackpropFilter", "AvgPoolGrad", "BiasAddGrad"} <= types_seen


def test_summary_flops_equal_profiler_on_forward_ops_plus_tfcore_conventions():
    model = mnist_cnn.build(batch_size=2)
    s = _quiet(model)
    profiled = profiler_flops(model.graph)
    forward = ancestors([model.predictions])
    from_profiler = sum(profiled.get(op.name, 0) for op in forward)
    ours_only = sum(flops_lib.op_flops(op)[0] for op in forward
                    if op.type not in flops_lib.PROFILER_TYPES)
    assert s.flops == from_profiler + ours_only
    # The profiler's whole-graph total also counts initialisers and the training step.
    init_ops = [n for n in profiled if "/Initializer/" in n]
    assert init_ops and sum(profiled.values()) > s.flops
    assert not any(model.graph.get_operation_by_name(n) in forward for n in init_ops)


def test_profiler_skips_ops_with_a_none_batch_dimension():
    model = mnist_cnn.build()  # batch None
    profiled = profiler_flops(model.graph)
    assert "conv2d/Conv2D" not in profiled
    assert "conv2d/kernel/Initializer/random_uniform/mul" in profiled  # static shape: counted
    assert _quiet(model).row("conv2d").flops > 0


# ---------------------------------------------------------------------------
# Graph statistics
# ---------------------------------------------------------------------------


def test_graph_stats_gradients_stage_is_what_tf_gradients_added():
    graph = tfcore.new_graph(0)
    with graph.as_default():
        x = tfcore.placeholder((None, 3))
        y = tfcore.placeholder((None, 1))
        p = Dense(1, activation="sigmoid")(Dense(4, activation="tanh")(x))
        loss = losses.mean_squared_error(y, p)
        before = len(graph.get_operations())
        variables = graph.get_collection(tf.compat.v1.GraphKeys.TRAINABLE_VARIABLES)
        grads = tf.gradients(loss, variables)
        after_gradients = len(graph.get_operations())
        train_op = optimizers.SGD(0.1).apply_gradients(list(zip(grads, variables)))
    model = types.SimpleNamespace(graph=graph, loss=loss, predictions=p, metrics={}, train_op=train_op)
    stats = graph_stats(model)
    assert stats.nodes["gradients"] == after_gradients - before
    assert stats.nodes["forward"] <= before and stats.nodes["optimizer"] > 0
    assert sum(stats.nodes[s] for s in ("forward", "gradients", "optimizer", "other")) \
        == stats.nodes["total"] == len(graph.get_operations())
    assert sum(n for _, n in stats.histogram()) == stats.nodes["total"]
    added = graph.get_operations()[before:after_gradients]
    assert dict(stats.histogram("gradients")) == dict(collections.Counter(op.type for op in added))


def test_graphdef_size_is_the_size_of_the_written_binary_graph(tmp_path):
    model = mlp.build()
    tf.io.write_graph(model.graph.as_graph_def(), str(tmp_path), "graph.pb", as_text=False)
    assert graph_stats(model).graphdef_bytes == (tmp_path / "graph.pb").stat().st_size


# ---------------------------------------------------------------------------
# Pictures and TensorBoard
# ---------------------------------------------------------------------------


def test_tensorboard_event_file_holds_the_graph(tmp_path):
    model = mlp.build()
    path = write_graph(model, str(tmp_path / "tb"))
    graph_defs = []
    for event in tf.compat.v1.train.summary_iterator(path):
        if event.WhichOneof("what") == "graph_def":
            graph_def = tf.compat.v1.GraphDef()
            graph_def.ParseFromString(event.graph_def)
            graph_defs.append(graph_def)
    assert len(graph_defs) == 1
    assert {n.name for n in graph_defs[0].node} == {op.name for op in model.graph.get_operations()}


def test_matplotlib_picture_is_written_and_shows_every_layer(tmp_path):
    import matplotlib.image

    model = mnist_cnn.build()
    path = tmp_path / "cnn.png"
    assert render(model, path, engine="matplotlib") == "matplotlib"
    image = matplotlib.image.imread(str(path))
    assert path.stat().st_size > 20_000
    assert image.shape[0] > 2 * image.shape[1]  # a tall column of boxes
    ink = (image[..., :3].mean(axis=-1) < 0.9).mean()
    assert 0.01 < ink < 0.5


def test_dot_text_has_a_box_per_layer_and_shapes_on_the_arrows():
    s = _quiet(mnist_cnn.build())
    dot = to_dot(s)
    for row in s.rows:
        if row.name != "training":  # the boolean switch is left out of the picture
            assert '"%s" [label=' % row.name in dot
    assert '"avg_pool2d_2" -> "flatten" [label=" (None, 4, 4, 64)"]' in dot
    assert '"training"' not in dot


def test_graphviz_picture_when_dot_is_installed(tmp_path):
    import shutil

    if not shutil.which("dot"):
        pytest.skip("graphviz's dot is not installed (the matplotlib picture covers this machine)")
    path = tmp_path / "cnn.svg"
    assert render(mnist_cnn.build(), path, engine="graphviz") == "graphviz"
    svg = path.read_text()
    assert "<svg" in svg and "conv2d_3" in svg and "(None, 1024)" in svg


def test_render_rejects_an_unknown_engine(tmp_path):
    with pytest.raises(ValueError, match="engine"):
        render(mlp.build(), tmp_path / "x.png", engine="ascii")


# ---------------------------------------------------------------------------
# Device placement
# ---------------------------------------------------------------------------


def test_placement_report_attributes_ops_to_both_logical_cpus_and_counts_copies():
    graph = tfcore.new_graph(0)
    with graph.as_default():
        x = tfcore.placeholder((4, 3), name="x")
        with tf.device("/device:CPU:0"):
            a = tf.matmul(x, tf.ones((3, 5)), name="first")
        with tf.device("/device:CPU:1"):
            b = tf.reduce_sum(tf.nn.relu(a) * 2.0, name="second")
        with tf.device("/device:CPU:0"):
            c = tf.square(b, name="third")
    report = placement_report(graph, fetches=c, print_fn=None, cpu_devices=2)
    assert set(report.ops_per_device) == {"/device:CPU:0", "/device:CPU:1"}
    for name, device in (("first", 0), ("second", 1), ("third", 0)):
        assert report.placed[name] == "/device:CPU:%d" % device
    # first's output goes CPU:0 -> CPU:1, second's comes back: one copy each way.
    assert report.copies == {("/device:CPU:0", "/device:CPU:1"): 1,
                             ("/device:CPU:1", "/device:CPU:0"): 1}
    assert report.fallbacks == []


def test_placement_report_names_ops_that_soft_placement_moved_off_a_missing_gpu():
    if "/device:GPU:7" in tfcore.available_devices():
        pytest.skip("this machine really has a GPU:7")
    graph = tfcore.new_graph(0)
    with graph.as_default():
        x = tfcore.placeholder((2, 2), name="x")
        with tf.device("/device:GPU:7"):
            y = tf.square(x, name="wants_gpu")
    report = placement_report(graph, fetches=y, print_fn=None, soft_placement=True)
    assert report.fallbacks == [("wants_gpu", "/device:GPU:7", "/device:CPU:0")]
    assert "wants_gpu: /device:GPU:7 -> /device:CPU:0" in str(report)


def test_placement_report_runs_a_training_step_of_a_model():
    model = lstm_temperature.build()
    report = placement_report(model, print_fn=None)
    assert report.placed["lstm/BlockLSTM"] == "/device:CPU:0"
    assert report.copies == {}


# ---------------------------------------------------------------------------
# The command line and errors
# ---------------------------------------------------------------------------


def test_cli_prints_the_summary_and_writes_picture_and_event_file(tmp_path, capsys):
    picture, logdir = tmp_path / "mlp.png", tmp_path / "tb"
    assert cli_main(["mlp", "--picture", str(picture), "--engine", "matplotlib",
                     "--tensorboard", str(logdir)]) == 0
    out = capsys.readouterr().out
    assert "Total params: 251 (trainable 251, non-trainable 0)" in out
    assert "gradients" in out and "GraphDef" in out
    assert picture.stat().st_size > 5_000
    assert list(logdir.glob("events.out.tfevents.*"))


def test_summary_rejects_something_that_is_not_a_model():
    with pytest.raises(TypeError, match="TrainGraph"):
        summary(42)
