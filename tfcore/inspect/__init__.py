"""See what a graph-mode model is made of.

    from tfcore import inspect
    s = inspect.summary(model)            # per-layer table: shapes, parameters, FLOPs
    print(inspect.format_control_flow(inspect.control_flow(model)))   # inside If / While
    print(inspect.graph_stats(model))     # node counts: forward, + gradients, + optimizer
    inspect.render(model, "model.png")    # the layer graph, shapes on the arrows
    inspect.write_graph(model, "logs")    # for `tensorboard --logdir logs`
    inspect.placement_report(model)       # where one traced training step ran
    inspect.optimized(model)              # the graph the runtime ran: fusions, folding
    inspect.profile(model)                # time and memory of a training and an inference step

or from a shell: `python -m tfcore.inspect mnist_cnn --picture docs/mnist_cnn.png`.

Everything is read from the graph itself, so it works for any graph:

    layers.py       the layers are the top-level name scopes (each tfcore layer builds
                    in its own); parameters from the variable collections; `summary`
    ../flops.py     forward FLOPs per op from static shapes (`tfcore.flops`, which
                    training uses too), with the conventions of
                    `tf.compat.v1.profiler` (2 m k n per MatMul, ...); `profiler_flops`
    control_flow.py the functions inside If / While / Case ops (a dropout mask, an
                    RNN's time step), opened from the graph's function library
    graph_stats.py  op-type histograms, node counts per stage, GraphDef size
    picture.py      graphviz (`dot`) or matplotlib drawing of the layer graph
    tensorboard.py  `tf.compat.v1.summary.FileWriter` export
    placement.py    RunMetadata step stats and partition graphs: ops per device,
                    _Send/_Recv copies, soft-placement fallbacks
    optimized.py    the partition graphs beside the built graph: what Grappler
                    and oneDNN fused, folded, rewrote and removed
    profile.py      traced steps' time per op type and layer, peak memory, what
                    backprop keeps alive; a timeline and a memory picture

The profiler, compared. `tf.compat.v1.profiler.profile(graph,
options=ProfileOptionBuilder.float_operation())` counts FLOPs from the
formulas TensorFlow registers per op type (`RegisterStatistics(type, "flops")`):
a multiply-add is 2 FLOPs (MatMul 2 m k n, Conv2D 2 kh kw cin per output
element), elementwise ops 1 per element. It counts *every* op of the graph
that has a formula, the initialisers' arithmetic included (a uniform
initialiser's `Mul` and `AddV2` over the kernel), and the gradient and
optimizer ops if they are there; it needs fully defined static shapes and
silently counts 0 for an op with a `None` dimension; it counts nothing for
op types without a formula (Relu, Tanh, Exp, BlockLSTM, FusedBatchNorm, ...).
`summary` counts only the forward ops of the model, uses the profiler's
formula wherever there is one (so on a fixed-batch graph the two agree op by
op) and adds documented formulas for the rest (see `tfcore/flops.py`).
"""

# Loaded on first use (tfcore/lazy.py): `python -m tfcore.inspect` sets up its process
# (tfcore.quiet) before TensorFlow is imported.
_NAMES = {
    "ControlFlowOp": "tfcore.inspect.control_flow", "control_flow": "tfcore.inspect.control_flow",
    "format_control_flow": "tfcore.inspect.control_flow",
    "op_flops": "tfcore.flops", "profiler_flops": "tfcore.flops",
    "GraphStats": "tfcore.inspect.graph_stats", "graph_stats": "tfcore.inspect.graph_stats",
    "LayerRow": "tfcore.inspect.layers", "Summary": "tfcore.inspect.layers",
    "summary": "tfcore.inspect.layers",
    "Fusion": "tfcore.inspect.optimized", "OptimizedReport": "tfcore.inspect.optimized",
    "optimized": "tfcore.inspect.optimized",
    "render": "tfcore.inspect.picture", "to_dot": "tfcore.inspect.picture",
    "PlacementReport": "tfcore.inspect.placement", "placement_report": "tfcore.inspect.placement",
    "Profile": "tfcore.inspect.profile", "StepProfile": "tfcore.inspect.profile",
    "draw_profile": "tfcore.inspect.profile", "profile": "tfcore.inspect.profile",
    "write_graph": "tfcore.inspect.tensorboard",
}

__all__ = ["summary", "Summary", "LayerRow", "op_flops", "profiler_flops", "graph_stats",
           "GraphStats", "render", "to_dot", "write_graph", "placement_report", "PlacementReport",
           "control_flow", "format_control_flow", "ControlFlowOp", "optimized", "OptimizedReport",
           "Fusion", "profile", "Profile", "StepProfile", "draw_profile"]

from tfcore import lazy  # noqa: E402

__getattr__, __dir__ = lazy.exports(__name__, _NAMES)
