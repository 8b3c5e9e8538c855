"""Where one step's time and memory go: a traced training step beside a traced inference step.

    from tfcore import inspect
    p = inspect.profile(model)          # one training step, one inference step, both traced
    print(p)                            # time per op type and per layer, memory, peaks
    inspect.draw_profile(p, "figs")     # figs/timeline.png, figs/memory.png

Each step runs once untraced first (the first run of a fetch also prunes,
optimises and partitions the graph), then once with
`RunOptions(trace_level=FULL_TRACE)`. `RunMetadata.step_stats` then lists every
node the executor ran (after Grappler: `_MklNativeFusedConv2D`, not Conv2D +
BiasAdd + Relu), each with its start, its duration and the memory its kernel
allocated and freed. From those, measured:

    time per op type     the nodes' op times (op_end - op_start) summed per type
    time per layer       the same per layer and stage: a node named `conv2d/...`
                         belongs to layer conv2d, `gradients/conv2d/...` to its
                         backward pass; the stage comes from the built graph
                         (forward: what the loss needs; backward: the gradient
                         ops and what only they need, a recomputed forward
                         pass included; optimizer: the rest)
    peak memory          the largest sum, over the step, of the allocation
                         records (+bytes at each allocation, -bytes at each
                         free): what the step's kernels held at once. It leaves
                         out what lives across steps (variables, Adam's slots)
                         and the fed batch, allocated before the step starts.
                         All allocators are summed (on a GPU machine, host and
                         device memory together)
    memory per layer     the bytes the layer's nodes allocated in the step

and one estimate:

    kept for backprop    the forward tensors a backward node reads (ReLU outputs
                         for ReluGrad, a conv's input for its filter gradient;
                         a `Shape` that reads only the size aside):
                         bytes from their traced shapes, per layer. It is what
                         the forward pass must keep alive until the backward
                         pass, all of it at the turn between the two if nothing
                         dies earlier: an upper bound on that moment's live
                         activations, not a measurement

The time bound. The trace measures each op's interval. The union of the
intervals (`busy`) fits in the step's span (first op start to last op end),
which fits in the wall time of the `session.run` call: busy <= span <= wall.
The *sum* of op times can exceed the span: the executor runs independent ops
side by side on its inter-op threads, so sum <= inter-op threads x span. The
other way, busy is most of the wall time, not all: the call also feeds,
fetches and waits for a thread between ops. Measured on a 2-core machine under
a load of 10, busy was 0.77-0.87 of the wall time of the CNN's training step
and 0.43-0.89 of its short inference step; the tests hold busy > 0.2 x wall
(training) and > 0.1 x wall (inference). The tracer adds its own cost to every
op, so traced times are somewhat longer than untraced ones (`benchmarks/`
times steps without tracing).
"""

import collections
import dataclasses

import numpy as np
import tensorflow as tf

from tfcore import graph as graph_lib
from tfcore.flops import ancestors
from tfcore.inspect.placement import short_device, traced_run

STAGES = ("forward", "backward", "optimizer", "runtime")


@dataclasses.dataclass
class Event:
    """One node of the traced step (microseconds from the step's first op start)."""

    name: str
    op: str
    start: float
    duration: float
    layer: str
    stage: str


@dataclasses.dataclass
class StepProfile:
    """One traced step: its events, times, memory curve and what backprop keeps alive."""

    kind: str  # "training" or "inference"
    wall_micros: float  # the traced session.run call
    span_micros: float  # first op start to last op end
    events: list  # [Event], by start
    memory: list  # [(micros from the first op start, live bytes)], one point per allocation record
    allocated: dict  # (layer, stage) -> bytes its nodes allocated
    kept: dict  # layer -> bytes of its forward tensors that backward nodes read (estimate)

    @property
    def peak_bytes(self):
        return max((b for _, b in self.memory), default=0)

    @property
    def op_micros(self):
        """Summed op time per op type (as run), largest first."""
        return _totals((e.op, e.duration) for e in self.events)

    @property
    def layer_micros(self):
        """Summed op time per (layer, stage), largest first."""
        return _totals(((e.layer, e.stage), e.duration) for e in self.events)

    @property
    def stage_micros(self):
        return _totals((e.stage, e.duration) for e in self.events)

    @property
    def busy_micros(self):
        """The length of the union of the op intervals (<= span <= wall)."""
        busy, end = 0.0, -np.inf
        for e in sorted(self.events, key=lambda e: e.start):
            stop = e.start + e.duration
            if stop > end:
                busy += stop - max(e.start, end)
                end = stop
        return busy

    @property
    def kept_bytes(self):
        return sum(self.kept.values())


@dataclasses.dataclass
class Profile:
    """A traced training step and a traced inference step of one model."""

    training: StepProfile  # None if not traced (`profile(steps=...)`)
    inference: StepProfile
    batch_size: int

    def __str__(self):
        return format_profile(self)


def _totals(pairs):
    totals = collections.Counter()
    for key, value in pairs:
        totals[key] += value
    return dict(totals.most_common())


def layer_of(name):
    """`conv2d/Conv2D` -> conv2d; `gradients/conv2d/...` -> conv2d; `ConstantFolding/x/...` -> x."""
    parts = [p for p in name.split("/") if p]
    while parts and (parts[0] == "ConstantFolding" or parts[0].split("_")[0] == "gradients"):
        parts = parts[1:]
    if len(parts) < 2:
        return "(no scope)" if not name.startswith("_") else "(runtime)"
    head = parts[0]
    return head[:-len("_grad")] if head.endswith("_grad") else head


def stages(graph, forward_fetches, step_fetches):
    """`{op name: stage}` for the ops a step needs (see the module docstring)."""
    forward = ancestors(forward_fetches)
    gradient_ops = [op for op in graph.get_operations() if op.name.split("/")[0].startswith("gradients")]
    backward = ancestors(gradient_ops) - forward
    stage = {}
    for op in ancestors(step_fetches):
        stage[op.name] = ("forward" if op in forward else "backward" if op in backward else "optimizer")
    return stage


def _stage_of(name, stage):
    if name in stage:
        return stage[name]
    if name.startswith("ConstantFolding/"):
        rest = name[len("ConstantFolding/"):]
        for key in (rest, rest.rsplit("-", 1)[0], rest.rsplit("_", 1)[0]):
            if key in stage:
                return stage[key]
        return "backward" if rest.startswith("gradients") else "forward"
    return "runtime"


def _tensor_bytes(description):
    dims = [d.size for d in description.shape.dim]
    if description.dtype == tf.resource.as_datatype_enum or any(d < 0 for d in dims):
        return 0
    return int(np.prod(dims, dtype=np.int64)) * tf.dtypes.as_dtype(description.dtype).size


# Ops that read only a tensor's shape: what they read is not an activation backprop needs.
_SHAPE_READERS = ("Shape", "ShapeN", "Size", "Rank")


def _kept_for_backprop(nodes, partition_graphs, stage):
    """Bytes, per layer, of the forward tensors that backward nodes of the partition graphs read."""
    outputs = {n.node_name: [o.tensor_description for o in n.output] for n in nodes}
    types = {n.name: n.op for p in partition_graphs for n in p.node}
    seen, kept = set(), collections.Counter()
    for p in partition_graphs:
        for node in p.node:
            if _stage_of(node.name, stage) != "backward" or node.op in _SHAPE_READERS:
                continue
            for source in node.input:
                if source.startswith("^"):
                    continue
                name, _, slot = source.partition(":")
                if types.get(name) in ("Const", "VarHandleOp", "ReadVariableOp") or (name, slot) in seen:
                    continue
                if _stage_of(name, stage) != "forward" and not name.startswith("_arg_"):
                    continue
                seen.add((name, slot))
                described = outputs.get(name, [])
                if int(slot or 0) < len(described):
                    kept["(input)" if name.startswith("_arg_") else layer_of(name)] += \
                        _tensor_bytes(described[int(slot or 0)])
    return dict(kept.most_common())


def step_profile(kind, metadata, wall_seconds, stage):
    """A `StepProfile` from one traced run's `RunMetadata`."""
    # A GPU's stream and memcpy pseudo-devices repeat its nodes: only the real devices count.
    nodes = [n for d in metadata.step_stats.dev_stats if short_device(d.device) for n in d.node_stats]
    t0 = min(n.all_start_nanos for n in nodes)
    end = max(n.all_start_nanos + n.all_end_rel_nanos for n in nodes)
    events, allocated, records = [], collections.Counter(), []
    for n in nodes:
        op = n.timeline_label.split(" = ", 1)[1].split("(", 1)[0] if " = " in n.timeline_label else n.node_name
        start = (n.all_start_nanos + n.op_start_rel_nanos - t0) / 1e3
        layer, node_stage = layer_of(n.node_name), _stage_of(n.node_name, stage)
        events.append(Event(n.node_name, op, start, (n.op_end_rel_nanos - n.op_start_rel_nanos) / 1e3,
                            layer, node_stage))
        for used in n.memory:
            allocated[(layer, node_stage)] += used.total_bytes
            records += [(r.alloc_micros - t0 / 1e3, r.alloc_bytes) for r in used.allocation_records]
    records.sort(key=lambda r: r[0])  # by time only: within a microsecond, the nodes' own order
    live = np.cumsum([b for _, b in records]) if records else []
    return StepProfile(kind, wall_seconds * 1e6, (end - t0) / 1e3, sorted(events, key=lambda e: e.start),
                       [(t, int(b)) for (t, _), b in zip(records, live)],
                       dict(allocated.most_common()),
                       _kept_for_backprop(nodes, metadata.partition_graphs, stage))


def profile(model, batch_size=32, feed_dict=None, print_fn=None, steps=("training", "inference"),
            **session_options):
    """Trace one training step and one inference step of a TrainGraph; returns a `Profile`.

    The feed defaults to zeros (a None dimension taken as `batch_size`), the
    training switch fed True for the training step. `session_options` go to
    `tfcore.session` (one session, so both steps see the same variables).
    `steps=("training",)` traces the training step alone (`Profile.inference`
    is then None). `print_fn=print` prints the report.
    """
    if getattr(model, "train_op", None) is None:
        raise ValueError("profile: the model has no train op; pass a TrainGraph with a loss and a train op")
    if not steps or set(steps) - {"training", "inference"}:
        raise ValueError("profile: steps must name 'training' and/or 'inference', got %r" % (steps,))
    graph = model.graph
    train_loss = model.train_loss if getattr(model, "train_loss", None) is not None else model.loss
    fetches = {"training": (model.train_op, [train_loss]),
               "inference": (model.predictions, [model.predictions])}
    results = {}
    with graph_lib.session(graph=graph, **session_options) as session:
        session.run(model.init_op)
        for kind in steps:
            fetch, forward = fetches[kind]
            feed = feed_dict
            if kind == "inference" and feed is None and getattr(model, "training", None) is not None:
                feed = _inference_feed(model, batch_size)
            metadata, seconds = traced_run(model, fetch, feed, session, batch_size, warmup=1)
            results[kind] = step_profile(kind, metadata, seconds, stages(graph, forward, [fetch]))
    report = Profile(results.get("training"), results.get("inference"), batch_size)
    if print_fn is not None:
        print_fn(format_profile(report))
    return report


def _inference_feed(model, batch_size):
    """Zeros for the inference pass's placeholders, the training switch left at its default."""
    from tfcore.inspect.placement import fake_feed

    return fake_feed(ancestors([model.predictions]), batch_size)


def _mb(n):
    """Bytes in the unit that shows them: `24.07 MB`, `131.1 kB`, `40 B`."""
    return "%.2f MB" % (n / 1e6) if n >= 1e6 else "%.1f kB" % (n / 1e3) if n >= 1e3 else "%d B" % n


def format_profile(p, top=6):
    """The printed report: time per op type and per layer, memory per layer, the peaks."""
    t = p.training
    lines = ["one step of batch %d (traced: times include the tracer's overhead; noisy on a shared machine)"
             % p.batch_size]
    for s in (step for step in (p.training, p.inference) if step is not None):
        lines.append("%-9s wall %.1f ms, ops busy %.1f ms (busy <= span %.1f ms <= wall), peak %s"
                     % (s.kind, s.wall_micros / 1e3, s.busy_micros / 1e3, s.span_micros / 1e3,
                        _mb(s.peak_bytes)))
    if t is None:
        return "\n".join(lines)
    lines.append("training time per stage: " + ", ".join(
        "%s %.1f ms" % (k, v / 1e3) for k, v in t.stage_micros.items()))
    lines.append("training time per op type (top %d):" % top)
    for op, us in list(t.op_micros.items())[:top]:
        lines.append("  %-40s %8.2f ms" % (op, us / 1e3))
    lines.append("training time per layer and stage (top %d):" % top)
    for (layer, stage), us in list(t.layer_micros.items())[:top]:
        lines.append("  %-24s %-9s %8.2f ms" % (layer, stage, us / 1e3))
    lines.append("memory the training step's nodes allocated, per layer (forward / backward):")
    layers = sorted({layer for layer, _ in t.allocated}, key=lambda l: -sum(
        v for (k, _), v in t.allocated.items() if k == l))
    for layer in layers[:top]:
        lines.append("  %-24s %10s / %s" % (layer, _mb(t.allocated.get((layer, "forward"), 0)),
                                             _mb(t.allocated.get((layer, "backward"), 0))))
    lines.append("kept for backprop (estimate from tensor shapes): %s in all" % _mb(t.kept_bytes))
    for layer, n in list(t.kept.items())[:top]:
        lines.append("  %-24s %10s" % (layer, _mb(n)))
    return "\n".join(lines)


_COLOURS = {"forward": "tab:blue", "backward": "tab:orange", "optimizer": "tab:green", "runtime": "0.6"}


def draw_timeline(ax, step, title=None):
    """Draw a step's ops on matplotlib axes `ax`: time across, one lane per op running side by side."""
    lanes = timeline_lanes(step.events)
    for event, lane in lanes:
        ax.broken_barh([(event.start / 1e3, max(event.duration, 1.0) / 1e3)], (lane - 0.4, 0.8),
                       color=_COLOURS[event.stage])
    for stage, colour in _COLOURS.items():
        ax.bar(0, 0, color=colour, label=stage)
    lane_count = 1 + max((lane for _, lane in lanes), default=0)
    ax.set_yticks(range(lane_count))
    ax.set(xlabel="ms from the step's first op", ylabel="lane (ops side by side)",
           title=title or "one traced %s step" % step.kind, ylim=(-0.6, lane_count + 0.6))
    ax.legend(loc="upper center", ncol=4, fontsize=8)


def draw_memory(ax, steps, labels=None, title="memory over one step"):
    """Draw the live bytes of each step over its time on axes `ax` (a step function)."""
    for k, s in enumerate(steps):
        if s.memory:
            times, live = zip(*s.memory)
            label = labels[k] if labels else s.kind
            ax.step(np.array(times) / 1e3, np.array(live) / 1e6, where="post",
                    label="%s (peak %s)" % (label, _mb(s.peak_bytes)))
    ax.set(xlabel="ms from the step's first op", ylabel="MB held by the step's kernels", title=title)
    ax.legend(fontsize=8)


def draw_profile(p, folder, prefix=""):
    """Draw `folder/<prefix>timeline.png` (the training step's ops over time, by stage) and
    `folder/<prefix>memory.png` (live bytes over each step); returns the two paths."""
    import pathlib

    from matplotlib.figure import Figure  # no pyplot: no window, no backend to choose

    folder = pathlib.Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, draw in (("timeline.png", lambda ax: draw_timeline(
            ax, p.training, "one traced training step, batch %d" % p.batch_size)),
                       ("memory.png", lambda ax: draw_memory(
            ax, [s for s in (p.training, p.inference) if s is not None],
            title="memory over one step, batch %d" % p.batch_size))):
        fig = Figure(figsize=(9, 3.2), layout="constrained")
        draw(fig.subplots())
        path = folder / (prefix + name)
        fig.savefig(path, dpi=100)
        paths.append(str(path))
    return paths


def timeline_lanes(events):
    """`[(event, lane)]`: each op on the lowest lane free at its start (lanes = ops side by side)."""
    ends, placed = [], []
    for e in sorted(events, key=lambda e: e.start):
        for lane, end in enumerate(ends):
            if end <= e.start:
                break
        else:
            lane = len(ends)
            ends.append(0.0)
        ends[lane] = e.start + e.duration
        placed.append((e, lane))
    return placed
