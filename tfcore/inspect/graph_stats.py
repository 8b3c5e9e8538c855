"""How big a graph is, and how much each stage of training adds to it.

A training graph is built in three stages, and each adds nodes:

    forward    the ops that the loss, the predictions and the metrics need
    gradients  the ops `tf.gradients` added: they sit in its name scope,
               `gradients/` (`gradients_1/`, ... for later calls)
    optimizer  the rest of what one run of the train op needs: the update
               ops, the slot reads, the learning-rate schedule, the step counter
    other      everything no training step runs: initialisers, the Saver,
               checkpoint bookkeeping

Every node is counted once, in the first stage that needs it. The GraphDef
size is the serialised `tf.compat.v1.GraphDef` in bytes, what a `.meta` or
`graph.pbtxt` file stores (the constants inside included).
"""

import collections
import dataclasses

import tensorflow as tf

from tfcore.flops import ancestors

STAGES = ("forward", "gradients", "optimizer", "other")


@dataclasses.dataclass
class GraphStats:
    """Node counts per stage, op-type histograms and the GraphDef size of one graph."""

    nodes: dict  # stage -> node count, plus "total"
    op_types: dict  # stage -> Counter(op type -> count)
    graphdef_bytes: int

    def histogram(self, stage=None, top=None):
        """`[(op type, count)]`, most common first, for one stage or the whole graph."""
        if stage is None:
            counter = collections.Counter()
            for c in self.op_types.values():
                counter.update(c)
        else:
            counter = self.op_types[stage]
        return counter.most_common(top)

    def __str__(self):
        return format_stats(self)


def _is_gradient_op(op):
    return op.name.split("/")[0].startswith("gradients")


def graph_stats(model):
    """`GraphStats` of a TrainGraph (stages as in the module docstring) or of a bare `tf.Graph`.

    A bare graph has no known loss or train op: its nodes count as forward,
    except those in a `gradients` scope.
    """
    if isinstance(model, tf.Graph):
        graph, forward_fetches, step = model, None, None
    else:
        graph = model.graph
        train = [getattr(model, "train_loss", None), *getattr(model, "train_metrics", {}).values()]
        forward_fetches = [t for t in [model.loss, model.predictions, *model.metrics.values(), *train]
                           if t is not None]
        step = [model.train_op] if getattr(model, "train_op", None) is not None else []
    ops = graph.get_operations()
    if forward_fetches is None:
        forward = {op for op in ops if not _is_gradient_op(op)}
        in_step = set(ops)
    else:
        forward = ancestors(forward_fetches)
        in_step = ancestors(step) | forward
    stage_of = {}
    for op in ops:
        if op in forward:
            stage_of[op] = "forward"
        elif _is_gradient_op(op):
            stage_of[op] = "gradients"
        elif op in in_step:
            stage_of[op] = "optimizer"
        else:
            stage_of[op] = "other"
    op_types = {s: collections.Counter() for s in STAGES}
    for op, stage in stage_of.items():
        op_types[stage][op.type] += 1
    nodes = {s: sum(op_types[s].values()) for s in STAGES}
    graph_def = graph.as_graph_def()
    nodes["total"] = len(graph_def.node)
    return GraphStats(nodes=nodes, op_types=op_types,
                      graphdef_bytes=len(graph_def.SerializeToString()))


def format_stats(stats, top=8):
    """Node counts (each stage and cumulative) and the most common op types of each stage."""
    lines = ["%-10s %7s %11s   most common op types" % ("stage", "nodes", "cumulative")]
    running = 0
    for stage in STAGES:
        running += stats.nodes[stage]
        common = ", ".join("%s %d" % kv for kv in stats.op_types[stage].most_common(top))
        lines.append("%-10s %7d %11d   %s" % (stage, stats.nodes[stage], running, common))
    lines.append("GraphDef: %d nodes, %s bytes" % (stats.nodes["total"], "{:,}".format(stats.graphdef_bytes)))
    return "\n".join(lines)
