"""inspect.optimized: the graph the runtime ran (after Grappler and oneDNN) beside the built one.

Oracles: the built graph's own ops (names, types, inputs) and the fused nodes'
attributes in `RunMetadata.partition_graphs`, read independently of the
matching code: a fused node must take the inputs of the first op it replaced
and list the others in `fused_ops`. The benchmark's CNNs are built the way
`benchmarks/registry.py` builds them, and must show the fusions the
benchmark's speed relies on (NOTES.md), with the oneDNN names of this CPU build.
"""

import collections

import numpy as np
import pytest
import tensorflow as tf

import tfcore
from benchmarks.params import make_params
from benchmarks.registry import get
from tfcore.inspect import optimized
from tfcore.inspect.__main__ import main as cli_main
from tfcore.inspect.optimized import generic_type
from tfcore.inspect.placement import traced_run


def _benchmark_model(name, batch=4):
    params = make_params(model=name)
    return get(name).build(params, None, batch)


def _check_fused_node_takes_the_head_ops_inputs(model, report):
    """Each fusion: the node's first input is its head op's; `fused_ops` lists the fused tail."""
    nodes = report.nodes
    # An input that another fusion absorbed (a ReLU into the batch norm before it) is that node now.
    now = {name: f.name for f in report.fusions for name, _ in f.replaced}
    for fusion in report.fusions:
        node = nodes[fusion.name]
        head = model.graph.get_operation_by_name(fusion.replaced[0][0])
        source = head.inputs[0]
        name, _, index = node.input[0].partition(":")
        if source.op.type == "Placeholder":  # fed: arrives as an _Arg node
            assert name.startswith("_arg_%s_" % source.op.name), (fusion, node.input)
        else:
            expected = now.get(source.op.name, source.op.name)
            assert (name, int(index or 0)) == (expected, source.value_index), (fusion, node.input)
        fused_ops = [s.decode() for s in node.attr["fused_ops"].list.s]
        if fused_ops:
            assert fusion.replaced_types[1:] == fused_ops, fusion


def test_benchmark_cnn_runs_conv_bias_relu_and_dense_as_fused_kernels():
    model = _benchmark_model("mnist_cnn")
    report = optimized(model)
    counts = report.fusion_counts()
    assert counts["_FusedConv2D <- Conv2D + BiasAdd + Relu"] == 4
    assert counts["_FusedMatMul <- MatMul + BiasAdd + Relu"] == 1
    assert counts["_FusedMatMul <- MatMul + BiasAdd"] == 1
    # The backward pass's filter gradient takes the bias gradient with it (oneDNN).
    assert counts["_Conv2DBackpropFilterWithBias <- Conv2DBackpropFilter + BiasAddGrad"] == 4
    by_name = {f.name: f for f in report.fusions}
    first = by_name["conv2d/Relu"]
    assert first.op == "_MklNativeFusedConv2D"
    assert first.replaced == [("conv2d/Conv2D", "Conv2D"), ("conv2d/BiasAdd", "BiasAdd"),
                              ("conv2d/Relu", "Relu")]
    assert by_name["dense/Relu"].op == "_MklNativeFusedMatMul"
    _check_fused_node_takes_the_head_ops_inputs(model, report)
    # Every replaced op other than the node's namesake is gone from the runtime graph.
    executed_names = set(report.nodes)
    for fusion in report.fusions:
        for name, _ in fusion.replaced:
            assert (name in executed_names) == (name == fusion.name)


def test_benchmark_cnn_bn_fuses_batch_norm_with_its_relu():
    model = _benchmark_model("mnist_cnn_bn")
    report = optimized(model)
    counts = report.fusion_counts()
    assert counts["_FusedBatchNormEx <- FusedBatchNormV3 + Relu"] == 4
    assert counts["_FusedConv2D <- Conv2D + BiasAdd"] == 4  # the ReLU now follows the batch norm
    assert counts["_FusedMatMul <- MatMul + BiasAdd"] == 2
    norm = {f.name: f for f in report.fusions}["batch_normalization/FusedBatchNormV3"]
    assert norm.op == "_MklNativeFusedBatchNormEx"
    relu = model.graph.get_operation_by_name(norm.replaced[1][0])
    assert relu.type == "Relu" and relu.inputs[0].op.name == "batch_normalization/FusedBatchNormV3"
    node = report.nodes[norm.name]
    assert node.attr["activation_mode"].s == b"Relu"
    _check_fused_node_takes_the_head_ops_inputs(model, report)


def test_counts_before_and_after_match_the_graphs():
    graph = tfcore.new_graph(seed=0)
    with graph.as_default():
        x = tfcore.placeholder((None, 3), name="x")
        w = tf.constant(np.arange(6, dtype=np.float32).reshape(3, 2))
        b = tf.constant([1.0, -1.0])
        y = tf.nn.relu(tf.nn.bias_add(tf.matmul(x, w), b), name="y")
        # Arithmetic on constants only: constant folding computes it once.
        scale = tf.reduce_sum(tf.ones([4, 4]) * 2.0, name="scale")
        out = tf.multiply(y, scale, name="out")
        tf.identity(x, name="unused")
    report = optimized(graph, fetches=out)
    metadata, _ = traced_run(graph, out, batch_size=2)  # an independent run of the same step
    executed = {n.name: n for p in metadata.partition_graphs for n in p.node}
    assert set(executed) == set(report.nodes)
    assert sum(report.executed.values()) == len(executed)
    assert report.executed == collections.Counter(n.op for n in executed.values())
    needed = {"x", "Const", "Const_1", "MatMul", "BiasAdd", "y", "ones", "mul", "Const_2", "scale", "out",
              "scale/reduction_indices", "mul/y"}
    assert sum(report.built.values()) == len([n for n in needed if _exists(graph, n)])
    assert report.pruned == len(graph.get_operations()) - sum(report.built.values())
    assert [str(f) for f in report.fusions] == ["_FusedMatMul <- MatMul + BiasAdd + Relu"]
    # `scale` and what fed it were computed once: no Sum, no Mul of the ones remain.
    assert "Sum" not in report.executed and report.executed["Mul"] == 1
    gone = {name for name, _ in report.removed} | {name for name, _ in report.folded}
    assert {"ones", "mul"} <= gone | {n for n, _ in report.added}


def _exists(graph, name):
    try:
        graph.get_operation_by_name(name)
        return True
    except KeyError:
        return False


def test_generic_type_strips_only_the_onednn_prefix():
    assert generic_type("_MklNativeFusedConv2D") == "_FusedConv2D"
    assert generic_type("_MklMatMul") == "MatMul"
    assert generic_type("_MklNativeFusedBatchNormV3") == "FusedBatchNormV3"
    assert generic_type("_FusedMatMul") == "_FusedMatMul"
    assert generic_type("Relu") == "Relu"


def test_cli_optimized_prints_the_fusions(capsys):
    assert cli_main(["mlp", "--optimized"]) == 0
    out = capsys.readouterr().out
    assert "as built" in out and "as run" in out
    assert "_FusedMatMul <- MatMul + BiasAdd" in out


def test_an_if_is_lowered_to_switch_and_merge_with_its_branches_inlined():
    graph = tfcore.new_graph(seed=0)
    with graph.as_default():
        x = tfcore.placeholder((3,), name="x")
        flag = tfcore.placeholder_with_default(True, name="flag")
        with tf.name_scope("choice"):
            y = tf.cond(flag, lambda: tf.sin(x), lambda: tf.cos(x))
    report = optimized(graph, fetches=y)
    (cond,) = [op for op in graph.get_operations() if op.type in ("If", "StatelessIf")]
    assert (cond.name, cond.type) in report.removed
    added = dict(report.added)
    assert "Switch" in added.values() and "Merge" in added.values()
    # The branch functions' ops now run in the main graph, under the If's name.
    assert {"Sin", "Cos"} <= {t for n, t in report.added if n.startswith(cond.name + "/")}
    assert "control flow lowered: 1 If/While ops" in str(report)


def _conv(x, k):
    return tf.nn.conv2d(x, k, 1, "SAME")


@pytest.mark.parametrize("activation, head", [
    (tf.nn.relu6, "Conv2D"), (tf.nn.elu, "Conv2D"), (lambda t: tf.nn.leaky_relu(t, 0.2), "Conv2D"),
    (tf.nn.relu, "DepthwiseConv2dNative")])
def test_each_fusion_lists_the_head_op_then_the_nodes_fused_ops(activation, head):
    graph = tfcore.new_graph(seed=0)
    rng = np.random.RandomState(0)
    with graph.as_default():
        x = tfcore.placeholder((2, 8, 8, 4))
        k = tf.constant(rng.rand(3, 3, 4, 4 if head == "Conv2D" else 1).astype(np.float32))
        b = tf.constant(rng.rand(4).astype(np.float32))
        z = _conv(x, k) if head == "Conv2D" else tf.nn.depthwise_conv2d(x, k, [1, 1, 1, 1], "SAME")
        y = activation(tf.nn.bias_add(z, b))
    report = optimized(graph, fetches=y)
    (fusion,) = report.fusions
    node = report.nodes[y.op.name]
    assert fusion.name == y.op.name
    assert fusion.replaced_types == [head] + [s.decode() for s in node.attr["fused_ops"].list.s]
    assert [name for name, _ in fusion.replaced] == [z.op.name, y.op.inputs[0].op.name, y.op.name]
    assert report.removed == [(n, t) for n, t in report.removed if t == "Const"]  # nothing else vanished
