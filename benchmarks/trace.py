"""`--trace DIR`: one training step of each model, per framework, as a timeline you can open.

    DIR/<model>-<device>-tfcore.json        Chrome trace (chrome://tracing, ui.perfetto.dev)
    DIR/<model>-<device>-tfcore-ops.txt     the same step's op times summed per op type
    DIR/<model>-<device>-pytorch.json       Chrome trace from torch.profiler (--peer torch)
    DIR/<model>-<device>-tf-keras/          TensorFlow profiler run (TensorBoard's Profile
                                            tab, trace viewer): tf-keras runs eagerly, so
                                            there is no session RunMetadata to convert

tfcore's step is one session run with `RunOptions(trace_level=FULL_TRACE)`; its
`RunMetadata.step_stats` lists every op the executor ran after Grappler's rewrites
(`_FusedConv2D`, `_MklFusedBatchNormV3`, ...), with its device, thread, start and
duration: exactly the events of the Chrome trace format. The traced step is an
extra, untimed step after the warm-up.
"""

import collections
import json
import pathlib

import tensorflow as tf


def chrome_trace(step_stats):
    """The Chrome trace-event document of a session run's `step_stats`."""
    events = []
    for pid, device in enumerate(step_stats.dev_stats):
        events.append({"ph": "M", "name": "process_name", "pid": pid, "args": {"name": device.device}})
        for node in device.node_stats:
            # timeline_label reads "name = OpType(inputs)": the op type names the event.
            label = node.timeline_label
            kind = label.split(" = ", 1)[1].split("(", 1)[0] if " = " in label else node.node_name
            events.append({"ph": "X", "name": kind, "cat": "Op", "pid": pid, "tid": node.thread_id,
                           "ts": node.all_start_micros, "dur": max(node.all_end_rel_micros, 1),
                           "args": {"name": node.node_name, "label": label}})
    return {"traceEvents": events, "displayTimeUnit": "ms"}


def op_totals(trace):
    """{op type: total microseconds} over a trace's events, largest first."""
    totals = collections.Counter()
    for event in trace["traceEvents"]:
        if event["ph"] == "X":
            totals[event["name"]] += event["dur"]
    return dict(totals.most_common())


def _stem(folder, name, device, framework):
    folder = pathlib.Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    return folder / ("%s-%s-%s" % (name, device.replace("/device:", "").replace(":", ""), framework))


def trace_tfcore(bench, folder):
    """One traced training step of a `timing.TfcoreBench`; returns the files written."""
    m, stem = bench.model, _stem(folder, bench.name, bench.device or "default", "tfcore")
    if bench.params.feed == "dataset":
        return []  # the session runs an imported graph; trace with --feed callable
    fetches = [m.predictions] if bench.forward_only else [m.train_op, m.train_loss]
    feed = dict(zip([m.inputs, m.targets], bench.next_batch()))
    if m.training is not None:
        feed[m.training] = True
    metadata = tf.compat.v1.RunMetadata()
    bench.session.run(fetches, feed, run_metadata=metadata, options=tf.compat.v1.RunOptions(
        trace_level=tf.compat.v1.RunOptions.FULL_TRACE))
    trace = chrome_trace(metadata.step_stats)
    stem.with_suffix(".json").write_text(json.dumps(trace))
    lines = ["%-40s %10.2f ms" % (kind, us / 1e3) for kind, us in op_totals(trace).items()]
    (stem.parent / (stem.name + "-ops.txt")).write_text("\n".join(lines) + "\n")
    return [str(stem.with_suffix(".json")), str(stem.parent / (stem.name + "-ops.txt"))]


def trace_peer(peer, name, device, x, y, folder):
    """One profiled step of the peer (tf-keras: TF profiler; PyTorch: Chrome trace)."""
    stem = _stem(folder, name, device, peer.framework)
    xb, yb = x[:peer.batch_size], None if y is None else y[:peer.batch_size]
    if peer.framework == "pytorch":  # in its own process (benchmarks/isolated.py)
        return peer.trace_step(x, y, str(stem.with_suffix(".json")))
    tf.profiler.experimental.start(str(stem))
    try:
        peer.step_once(xb, yb)
    finally:
        tf.profiler.experimental.stop()
    return [str(stem)]
