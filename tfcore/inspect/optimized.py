"""The graph the runtime executes, beside the graph you built: what Grappler did to it.

A session does not run your graph as built. The first time it runs a set of
fetches it

    prunes     keeps only the ops the fetches need (the initialisers, the
               Saver, the inference pass of a training step are left out);
    optimises  hands that subgraph to Grappler, TensorFlow's graph optimiser:
               constant folding (a `Shape` of a static shape becomes a
               `Const`, and so does arithmetic on constants), the arithmetic
               and dependency optimisers (`x / c` -> `x * (1/c)`, `Identity`
               chains removed), and the *remapper*, which replaces a chain of
               ops by one fused kernel: Conv2D + BiasAdd + Relu -> `_FusedConv2D`,
               MatMul + BiasAdd (+ Relu) -> `_FusedMatMul`, FusedBatchNormV3 +
               Relu -> `_FusedBatchNormEx`;
    rewrites   (on this oneDNN CPU build) swaps the kernels for oneDNN's:
               `_FusedConv2D` runs as `_MklNativeFusedConv2D`, `MatMul` as
               `_MklMatMul`, and Conv2DBackpropFilter + BiasAddGrad become one
               `_MklNativeConv2DBackpropFilterWithBias`;
    partitions cuts the result into one graph per device (`_Send`/`_Recv` pairs
               between them, chapter 12).

All of that is public to read: run the step once with
`RunOptions(output_partition_graphs=True)` and `RunMetadata.partition_graphs`
holds the graphs the executor actually ran. A node keeps the name of the op it
replaced, so the two graphs can be matched by name:

    same name, same type            kept
    same name, type now `Const`     folded: constant folding computed it once
    same name, another kernel       rewritten (`MatMul` -> `_MklMatMul`: one op,
                                    another implementation)
    same name, a fused type         a fusion: the node is named after the op
                                    whose output it now computes (`conv2d/Relu`
                                    for Conv2D + BiasAdd + Relu); the ops it
                                    replaced are that op, the chain behind it
                                    through inputs that are gone from the
                                    runtime graph and fed only it, and the
                                    vanished neighbours the node's attributes
                                    name (`fused_ops`, `activation_mode`, the
                                    BiasAdd or BiasAddGrad of oneDNN's `...WithBias`)
    built op absent                 removed (folded into a constant, fused, or
                                    dropped by the dependency optimiser)
    runtime node with no built op   added: `ConstantFolding/...` constants,
                                    `_Arg`/`_Retval` for feeds and fetches

Control flow is lowered: an `If` or `While` op (a call of functions in the
graph's library, `inspect.control_flow` opens them as built) becomes
`Switch`/`Merge` (and `Enter`/`Exit`/`NextIteration`) nodes with the branch's
or the body's ops inlined between them, under new names
(`dropout/cond/then/_9/Mul`): they count as added. What this cannot see is
inside a kernel: oneDNN's own layout choices and scratch buffers.
"""

import collections
import dataclasses

import tensorflow as tf

from tfcore.flops import ancestors
from tfcore.inspect.placement import step_fetches, traced_run

# Op types the runtime adds around a partition: feeds, fetches and cross-device copies.
RUNTIME_TYPES = ("_Arg", "_Retval", "_Send", "_Recv", "_HostSend", "_HostRecv")


def generic_type(op_type):
    """The op type without oneDNN's kernel prefix: `_MklNativeFusedConv2D` -> `_FusedConv2D`.

    `_MklMatMul` -> `MatMul` (a public op); a name that is no public op keeps
    its leading underscore (`_FusedMatMul`, `_Conv2DBackpropFilterWithBias`).
    """
    for prefix in ("_MklNative", "_Mkl"):
        if op_type.startswith(prefix):
            rest = op_type[len(prefix):]
            return rest if hasattr(tf.raw_ops, rest) else "_" + rest
    return op_type


@dataclasses.dataclass
class Fusion:
    """One fused node of the runtime graph and the built ops it computes."""

    name: str  # the node's name: the built op whose output it now computes
    op: str  # its type as the runtime runs it, e.g. `_MklNativeFusedConv2D`
    replaced: list  # [(built op name, built op type)], in data order

    @property
    def generic(self):
        return generic_type(self.op)

    @property
    def replaced_types(self):
        return [t for _, t in self.replaced]

    def __str__(self):
        return "%s <- %s" % (self.generic, " + ".join(self.replaced_types))


@dataclasses.dataclass
class OptimizedReport:
    """A built step beside the graph the runtime ran (see the module docstring)."""

    graph_ops: int  # ops in the whole built graph
    built: collections.Counter  # op types of the ops the step needs, as built
    executed: collections.Counter  # op types of the partition graphs' nodes
    fusions: list  # [Fusion]
    rewritten: list  # [(name, built type, runtime type)]
    folded: list  # [(name, built type)] same-name ops now `Const`
    removed: list  # [(name, built type)] needed built ops with no runtime node (fusions aside)
    added: list  # [(name, runtime type)] runtime nodes with no built op
    partitions: int = 1
    nodes: dict = dataclasses.field(default_factory=dict, repr=False)  # name -> NodeDef, as run

    @property
    def pruned(self):
        """Ops of the built graph this step does not need (the session never runs them)."""
        return self.graph_ops - sum(self.built.values())

    def fusion_counts(self):
        """`Counter("_FusedConv2D <- Conv2D + BiasAdd + Relu" -> how many)`."""
        return collections.Counter(str(f) for f in self.fusions)

    def __str__(self):
        return format_optimized(self)


def _absorbable(node):
    """Op types a fused node's attributes say it computes besides its head op."""
    types = {s.decode() for s in node.attr["fused_ops"].list.s}
    mode = node.attr["activation_mode"].s.decode() if "activation_mode" in node.attr else ""
    if mode and mode != "Identity":
        types.add(mode)
    if "num_side_inputs" in node.attr and node.attr["num_side_inputs"].i > 0:
        types.update({"Add", "AddV2"})
    if node.op.endswith("WithBias"):  # oneDNN's own: Conv2D + BiasAdd, a filter gradient + BiasAddGrad
        types.update({"BiasAdd", "BiasAddGrad"})
    return types


def _consumers(needed):
    out = collections.defaultdict(list)
    for op in needed:
        for t in op.inputs:
            out[t.op].append(op)
    return out


def _replaced_ops(node, op, gone, consumers, claimed):
    """The built ops a fused runtime `node` (named like built `op`) computes."""
    absorbable = _absorbable(node)
    chain, cur = [op], op
    # Back through the data inputs while the op is itself one of the fused steps: the input
    # that is gone from the runtime graph and fed only this op (an Add's operands either way).
    while cur.type in absorbable:
        behind = [t.op for t in cur.inputs
                  if t.op in gone and t.op not in claimed and len(consumers[t.op]) == 1]
        if not behind:
            break
        cur = behind[0]
        chain.insert(0, cur)
    # Vanished neighbours the node names: an activation after it, a BiasAddGrad beside it.
    near = list(consumers[op]) + [c for t in op.inputs for c in consumers[t.op]]
    for other in near:
        if other in gone and other not in claimed and other not in chain and other.type in absorbable:
            chain.append(other)
    return chain


def compare(graph, fetches, partition_graphs):
    """An `OptimizedReport` from the built `graph` and the step's `partition_graphs`."""
    needed = ancestors(tf.nest.flatten(fetches))
    nodes = {n.name: n for p in partition_graphs for n in p.node}
    gone = {op for op in needed if op.name not in nodes and op.type != "Placeholder"}
    consumers = _consumers(needed)
    fusions, rewritten, folded, added, claimed = [], [], [], [], set()
    for name in sorted(nodes):
        node = nodes[name]
        try:
            op = graph.get_operation_by_name(name)
        except KeyError:
            added.append((name, node.op))
            continue
        if node.op == op.type:
            continue
        if node.op == "Const":
            folded.append((name, op.type))
            continue
        replaced = _replaced_ops(node, op, gone, consumers, claimed) \
            if generic_type(node.op) != op.type else [op]
        if len(replaced) > 1:
            claimed.update(replaced)
            fusions.append(Fusion(name, node.op, [(o.name, o.type) for o in replaced]))
        else:
            rewritten.append((name, op.type, node.op))
    removed = sorted((op.name, op.type) for op in gone - claimed)
    return OptimizedReport(
        graph_ops=len(graph.get_operations()),
        built=collections.Counter(op.type for op in needed),
        executed=collections.Counter(n.op for n in nodes.values()),
        fusions=fusions, rewritten=rewritten, folded=folded, removed=removed, added=added,
        partitions=len(partition_graphs), nodes=nodes)


def optimized(model, fetches=None, feed_dict=None, session=None, batch_size=2, print_fn=None,
              **session_options):
    """Run one step of `model` and compare the built graph with the one the runtime ran.

    Arguments as `placement_report`'s: `model` a TrainGraph (default: one
    training step, its train op) or a `tf.Graph` with `fetches`; the feed
    defaults to zeros (a None dimension taken as `batch_size`). Returns an
    `OptimizedReport`; `print_fn=print` prints it.
    """
    fetches = step_fetches(model, fetches, "optimized")
    graph = model if isinstance(model, tf.Graph) else model.graph
    metadata, _ = traced_run(model, fetches, feed_dict, session, batch_size, **session_options)
    report = compare(graph, fetches, metadata.partition_graphs)
    if print_fn is not None:
        print_fn(format_optimized(report))
    return report


_FUNCTIONAL = ("If", "StatelessIf", "While", "StatelessWhile", "Case", "StatelessCase")
_LOWERED = ("Switch", "Merge", "Enter", "Exit", "NextIteration", "LoopCond")


def _histogram(counter, top):
    """`"Const 6, Mul 2, ..."`: the most common first, ties by name (the same text every run)."""
    ranked = sorted(counter.items(), key=lambda kv: (-kv[1], kv[0]))[:top]
    return ", ".join("%s %d" % kv for kv in ranked)


def format_optimized(r, top=8):
    """The printed report: op counts before and after, each kind of fusion, what went."""
    removed = collections.Counter(t for _, t in r.removed)
    lines = [
        "built graph: %d ops; this step needs %d of them (%d pruned: not needed by the fetches)"
        % (r.graph_ops, sum(r.built.values()), r.pruned),
        "  as built (%d ops):   %s" % (sum(r.built.values()), _histogram(r.built, top)),
        "  as run   (%d nodes): %s" % (sum(r.executed.values()), _histogram(r.executed, top)),
        "fusions (%d nodes): the fused node <- the built ops it computes" % len(r.fusions)]
    kernels = collections.Counter("%s -> %s" % (b, a) for _, b, a in r.rewritten)
    width = max(map(len, list(kernels) + list(r.fusion_counts()) + [""]))
    for text, n in sorted(r.fusion_counts().items()):
        lines.append("  %-*s x%d" % (width, text, n))
    lines.append("rewritten to another kernel or op (%d):" % len(r.rewritten))
    for text, n in sorted(kernels.items()):
        lines.append("  %-*s x%d" % (width, text, n))
    new_constants = sum(1 for name, _ in r.added if name.startswith("ConstantFolding/"))
    lines.append("constant folding: %d ops became constants in place, %d new constants"
                 % (len(r.folded), new_constants))
    if r.folded:
        lines.append("  in place: " + ", ".join("%s (%s)" % pair for pair in r.folded[:4])
                     + (", ..." if len(r.folded) > 4 else ""))
    lines.append("removed (%d ops, fusions aside): %s" % (len(r.removed), _histogram(removed, top) or "none"))
    calls = sum(n for t, n in removed.items() if t in _FUNCTIONAL)
    if calls:
        lowered = collections.Counter(t for _, t in r.added if t in _LOWERED)
        lines.append("control flow lowered: %d If/While ops -> %s, their functions' ops inlined (added)"
                     % (calls, _histogram(lowered, top)))
    return "\n".join(lines)
