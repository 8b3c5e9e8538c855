"""`--sweep AXIS=V1,V2,...`: every model timed at each value, every framework alternating.

    --sweep batch=32,64,128,256,512    rows per step
    --sweep threads=1,2                intra-op threads (tfcore's sessions, the peers' runtimes)
    --sweep length=10,50,200           the recurrent models' sequence length

Each point is a whole run of the chosen models with that one parameter
changed: the matmul peak measured around them, tfcore and each peer in turn
(A B C A B C with `--peer keras,torch`), and (unless --no-memory) each
framework's memory probe. The JSON's results carry their point
(`"sweep": {"batch": 64}`), and its `sweep` holds one row per (model,
framework, path, point): samples/s, % of peak, peak memory and memory per
sample. `plot_models` draws one figure per model, a line per
framework and path.

Threads: TensorFlow's eager runtime (tf-keras) fixes its thread pools when it
starts, so under a threads sweep the tf-keras peer runs in a process of its
own per point (`benchmarks/isolated.py`), as PyTorch always does.

This module imports no TensorFlow: `params.py` validates a spec with it before
TensorFlow is imported.
"""

import dataclasses
import os
import re

from benchmarks.registry import MODELS

AXES = {"batch": "batch_size", "threads": "threads", "length": "length"}  # axis -> Params field
_SPEC = re.compile(r"^\s*(\w+)\s*=\s*(\d+(?:\s*,\s*\d+)*)\s*$")


def parse(spec):
    """(axis, [values]) of a `--sweep` spec, or None for ''; a ValueError says what is wrong."""
    if not spec:
        return None
    match = _SPEC.match(spec)
    if not match:
        raise ValueError("--sweep: %r is not AXIS=V1,V2,... with positive ints, e.g. "
                         "batch=32,64,128 (axes: %s)" % (spec, ", ".join(AXES)))
    axis, values = match.group(1), [int(v) for v in match.group(2).split(",")]
    if axis not in AXES:
        raise ValueError("--sweep: unknown axis %r; choose from %s" % (axis, ", ".join(AXES)))
    if min(values) < 1:
        raise ValueError("--sweep %s: every value must be >= 1 (got %s)" % (axis, values))
    if len(set(values)) != len(values):
        raise ValueError("--sweep %s: a value is repeated (%s)" % (axis, values))
    cores = os.cpu_count() or 1
    if axis == "threads" and max(values) > cores:
        raise ValueError("--sweep threads: %d threads is more than the %d cores present"
                         % (max(values), cores))
    return axis, values


def sweepable(axis, value, name):
    """Why model `name` cannot take `axis=value` ('' if it can)."""
    spec = MODELS[name]
    if axis == "batch" and spec.single_batch:
        return "%s runs one fixed input" % name
    if axis == "batch" and spec.stateful and spec.epoch % value:
        return "%s is stateful and %d does not divide its %d samples" % (name, value, spec.epoch)
    if axis == "length" and not spec.recurrent:
        return "%s has no sequence length" % name
    return ""


def select_models(axis, values, names, explicit):
    """The models of a sweep: an explicit --model must fit every point (else a ValueError);
    the default selection leaves out the models that cannot, and returns them with why."""
    left_out = {}
    for name in names:
        why = next((w for w in (sweepable(axis, v, name) for v in values) if w), "")
        if why:
            left_out[name] = why
    if explicit and left_out:
        raise ValueError("--sweep %s: %s; leave it out of --model" % (axis, "; ".join(left_out.values())))
    kept = [n for n in names if n not in left_out]
    if not kept:
        raise ValueError("--sweep %s: no chosen model can take it (%s)"
                         % (axis, "; ".join(left_out.values())))
    return kept, left_out


def points(params):
    """[(point, params of that point)]: [({}, params)] without a sweep."""
    if not params.sweep_axis:
        return [({}, params)]
    out = []
    for value in params.sweep_values:
        field = AXES[params.sweep_axis]
        changed = {field: value}
        if field == "threads":
            changed.update(threads=str(value), intra_op_threads=value)
        out.append(({params.sweep_axis: value}, dataclasses.replace(params, **changed)))
    return out


def label(point):
    return ", ".join("%s=%s" % kv for kv in sorted(point.items()))


def summary(params, entries):
    """The JSON's `sweep`: {axis, values, left_out, points: one row per entry and point}, or None."""
    if not params.sweep_axis:
        return None
    rows = []
    for e in entries:
        memory = e.get("memory") or {}
        rows.append({"model": e["model"], "device": e["device"], "framework": e["framework"],
                     "path": e["path"], params.sweep_axis: e["sweep"][params.sweep_axis],
                     "samples_per_s": e["samples_per_s"], "percent_of_peak": e["percent_of_peak"],
                     "peak_memory_bytes": memory.get("peak_bytes"),
                     "memory_per_sample_bytes": memory.get("per_sample_bytes")})
    return {"axis": params.sweep_axis, "values": params.sweep_values,
            "left_out": params.sweep_left_out, "points": rows}


def plot_models(doc, stem):
    """One PNG per (model, device): samples/s and peak memory against the swept value, a line
    per framework and path. Returns the files written (`stem`-sweep-MODEL[-DEVICE].png)."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sweep, files = doc.get("sweep"), []
    if not sweep:
        return files
    axis, rows = sweep["axis"], sweep["points"]
    for model, device in dict.fromkeys((r["model"], r["device"]) for r in rows):
        fig, (speed, memory) = plt.subplots(1, 2, figsize=(10, 4))
        mine = [r for r in rows if (r["model"], r["device"]) == (model, device)]
        for line in dict.fromkeys((r["framework"], r["path"]) for r in mine):
            points_ = sorted((r[axis], r) for r in mine if (r["framework"], r["path"]) == line)
            xs = [x for x, _ in points_]
            name = "%s %s" % line
            speed.plot(xs, [r["samples_per_s"] for _, r in points_], marker="o", label=name)
            if any(r["peak_memory_bytes"] is not None for _, r in points_):
                memory.plot(xs, [None if r["peak_memory_bytes"] is None else r["peak_memory_bytes"] / 2 ** 20
                                 for _, r in points_], marker="o", label=name)
        for ax, title in ((speed, "samples / s (median step)"), (memory, "peak host memory, MiB")):
            ax.set_xlabel(axis)
            ax.set_xscale("log", base=2)
            ax.set_xticks(sweep["values"], [str(v) for v in sweep["values"]])
            ax.minorticks_off()
            ax.set_ylabel(title)
            ax.grid(alpha=0.3)
            if ax.get_lines():  # no memory measured: an empty panel, without an empty legend
                ax.legend(fontsize=7)
        fig.suptitle("%s on %s: %s sweep" % (model, device.replace("/device:", ""), axis))
        fig.tight_layout()
        path = "%s-sweep-%s%s.png" % (stem, model, "" if len(set(r["device"] for r in rows)) == 1
                                      else "-" + device.replace("/device:", "").replace(":", ""))
        fig.savefig(path, dpi=100)
        plt.close(fig)
        files.append(path)
    return files
