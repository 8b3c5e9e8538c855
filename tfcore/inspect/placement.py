"""Where a step's ops ran: ops per device, the copies between devices, soft-placement fallbacks.

`tf.device(...)` only *requests* a device. The placer decides when the
session first runs the graph: it honours the request when the device exists
and has a kernel for the op, and otherwise, under soft placement
(`allow_soft_placement=True`, tfcore's default), moves the op elsewhere,
usually to the CPU. To see what happened, run one step with tracing on:

    options  = tf.compat.v1.RunOptions(trace_level=FULL_TRACE, output_partition_graphs=True)
    metadata = tf.compat.v1.RunMetadata()
    session.run(fetches, feed, options=options, run_metadata=metadata)

* `metadata.step_stats.dev_stats`: per device, every node that executed (with
  timings). Nodes named like graph ops are the graph's ops; the others
  (`_SOURCE`, `_arg_...`, `_retval_...`, Grappler's rewrites) are the runtime's.
* `metadata.partition_graphs`: the graph cut into one piece per device. Where
  an edge crosses devices the runtime inserts a `_Send` on the producer's
  device and a `_Recv` on the consumer's: one tensor copy per step. Between a
  CPU and a GPU these are the host<->device copies that cost time on a GPU.
* A fallback is a graph op whose requested device (its `op.device`) names a
  device type or index other than the one it ran on.
"""

import collections
import dataclasses
import re
import time

import numpy as np
import tensorflow as tf

from tfcore import graph as graph_lib
from tfcore.flops import ancestors

_DEVICE = re.compile(r"/device:([A-Za-z_]+):(\d+)$")


def short_device(name):
    """`/job:localhost/replica:0/task:0/device:CPU:0` -> `/device:CPU:0`; None for pseudo-devices."""
    match = _DEVICE.search(name or "")
    return "/device:%s:%s" % (match.group(1).upper(), match.group(2)) if match else None


@dataclasses.dataclass
class PlacementReport:
    """What one traced step ran where; `str(report)` is the printed report."""

    ops_per_device: dict  # device -> number of graph ops that executed there
    op_types_per_device: dict  # device -> Counter(op type -> count)
    runtime_nodes_per_device: dict  # device -> nodes the runtime added (_SOURCE, _arg_, ...)
    placed: dict  # graph op name -> device it ran on
    transfers: list  # (tensor name, from device, to device), one per _Send/_Recv pair
    fallbacks: list  # (op name, requested device, device it ran on)

    @property
    def copies(self):
        """`{(from device, to device): tensors copied per step}`."""
        return dict(collections.Counter((a, b) for _, a, b in self.transfers))

    def __str__(self):
        return format_report(self)


def _requested_mismatch(requested, ran_on):
    if not requested:
        return False
    spec = tf.DeviceSpec.from_string(requested)
    match = _DEVICE.search(ran_on)
    if spec.device_type is None or match is None:
        return False
    if spec.device_type.upper() != match.group(1).upper():
        return True
    return spec.device_index is not None and spec.device_index != int(match.group(2))


def fake_feed(ops, batch_size):
    """Zeros for every placeholder the step needs, a None dimension taken as `batch_size`."""
    feed = {}
    for op in ops:
        if op.type != "Placeholder":
            continue
        t = op.outputs[0]
        if t.shape.rank is None:
            raise ValueError("placement_report: placeholder %s has no known rank; pass feed_dict" % op.name)
        shape = [batch_size if d is None else d for d in t.shape.as_list()]
        feed[t] = np.zeros(shape, t.dtype.as_numpy_dtype)
    return feed


def trace_step(session, fetches, feed_dict=None):
    """Run `fetches` once with full tracing; return the `RunMetadata`."""
    options = tf.compat.v1.RunOptions(trace_level=tf.compat.v1.RunOptions.FULL_TRACE,
                                      output_partition_graphs=True)
    metadata = tf.compat.v1.RunMetadata()
    session.run(fetches, feed_dict, options=options, run_metadata=metadata)
    return metadata


def report_from_metadata(graph, metadata):
    """A `PlacementReport` from a traced step's `RunMetadata` on `graph`."""
    ops_per_device, types, runtime, placed = {}, {}, {}, {}
    for dev in metadata.step_stats.dev_stats:
        device = short_device(dev.device)
        if device is None:  # GPU stream and memcpy pseudo-devices repeat the real ones
            continue
        for node in dev.node_stats:
            try:
                op = graph.get_operation_by_name(node.node_name)
            except KeyError:
                runtime[device] = runtime.get(device, 0) + 1
                continue
            placed[op.name] = device
            ops_per_device[device] = ops_per_device.get(device, 0) + 1
            types.setdefault(device, collections.Counter())[op.type] += 1
    transfers = []
    for partition in metadata.partition_graphs:
        for node in partition.node:
            if node.op in ("_Send", "_HostSend"):
                transfers.append((node.attr["tensor_name"].s.decode(),
                                  short_device(node.attr["send_device"].s.decode()),
                                  short_device(node.attr["recv_device"].s.decode())))
    fallbacks = []
    for name, device in placed.items():
        requested = graph.get_operation_by_name(name).device
        if _requested_mismatch(requested, device):
            fallbacks.append((name, requested, device))
    return PlacementReport(ops_per_device=dict(sorted(ops_per_device.items())),
                           op_types_per_device=types, runtime_nodes_per_device=runtime,
                           placed=placed, transfers=transfers, fallbacks=fallbacks)


def placement_report(model, fetches=None, feed_dict=None, session=None, batch_size=2,
                     print_fn=print, **session_options):
    """Run one traced step of `model` and report where its ops ran.

    Args:
      model: a TrainGraph (default fetch: its train op, one training step, with
        the training switch fed True) or a `tf.Graph` (pass `fetches`).
      fetches: what to run (default: the TrainGraph's train op).
      feed_dict: the feed; default zeros for every placeholder the step needs
        (a None dimension taken as `batch_size`).
      session: a session on the model's graph, variables already initialised;
        default a new `tfcore.session` with `session_options` (e.g. `cpu_devices=2`,
        soft placement on), which runs the model's initialisers first.
      print_fn: called with the printed report (None: print nothing).
    """
    graph = model if isinstance(model, tf.Graph) else model.graph
    metadata, _ = traced_run(model, fetches, feed_dict, session, batch_size, **session_options)
    report = report_from_metadata(graph, metadata)
    if print_fn is not None:
        print_fn(format_report(report))
    return report


def step_fetches(model, fetches=None, what="placement_report"):
    """`fetches`, or a TrainGraph's train op: one training step."""
    if fetches is not None:
        return fetches
    if isinstance(model, tf.Graph) or getattr(model, "train_op", None) is None:
        raise ValueError("%s: pass fetches=... for a graph without a train op" % what)
    return model.train_op


def traced_run(model, fetches=None, feed_dict=None, session=None, batch_size=2, warmup=0,
               **session_options):
    """Run `fetches` of `model` (a TrainGraph or a `tf.Graph`) once, traced: `(RunMetadata, seconds)`.

    The arguments are `placement_report`'s. `warmup` untraced runs go first: the
    first run of a fetch signature also prunes, optimises (Grappler) and
    partitions the graph, which a timing must not include. `seconds` is the
    wall time of the traced `session.run` call alone (tracing overhead included).
    """
    graph = model if isinstance(model, tf.Graph) else model.graph
    fetches = step_fetches(model, fetches)
    flat = tf.nest.flatten(fetches)
    if feed_dict is None:
        feed_dict = fake_feed(ancestors(flat), batch_size)
        training = getattr(model, "training", None)
        if training is not None and training in ancestors(flat):
            feed_dict[training] = True
    own = session is None
    if own:
        session = graph_lib.session(graph=graph, **session_options)
    try:
        if own:
            init = getattr(model, "init_op", None)
            if init is None:
                init = [v.initializer for v in graph.get_collection(tf.compat.v1.GraphKeys.GLOBAL_VARIABLES)]
            session.run(init)
        for _ in range(warmup):
            session.run(fetches, feed_dict)
        start = time.perf_counter()
        metadata = trace_step(session, fetches, feed_dict)
        seconds = time.perf_counter() - start
    finally:
        if own:
            session.close()
    return metadata, seconds


def format_report(r, top=6):
    lines = ["%-16s %6s   most common op types" % ("device", "ops")]
    for device, count in r.ops_per_device.items():
        common = ", ".join("%s %d" % kv for kv in r.op_types_per_device[device].most_common(top))
        lines.append("%-16s %6d   %s" % (device, count, common))
    copies = r.copies
    if copies:
        lines.append("copies per step (_Send/_Recv pairs):")
        for (a, b), n in sorted(copies.items()):
            lines.append("  %s -> %s: %d tensor%s" % (a, b, n, "" if n == 1 else "s"))
    else:
        lines.append("copies per step: none (every op on one device)")
    if r.fallbacks:
        lines.append("soft-placement fallbacks (requested -> ran on):")
        for name, requested, device in r.fallbacks:
            lines.append("  %s: %s -> %s" % (name, requested, device))
    else:
        lines.append("soft-placement fallbacks: none")
    return "\n".join(lines)
