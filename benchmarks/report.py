"""The benchmark's report: the text table, the Markdown file, the JSON and the bar chart.

All of them are views of one result document, the dict `harness.run`
returns (and `python benchmarks/report.py RESULTS.json` reads back, without
importing TensorFlow): its fields are documented in `JSON_FIELDS` and `RESULT_FIELDS`
(tests check that a run fills every one of them).
"""

import json
import pathlib
import sys

import numpy as np

if __name__ == "__main__":  # `python benchmarks/report.py`: the repository's root on the path
    sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))

SCHEMA = "tfcore-benchmark/1"
RATIO_MEANING = ("Ratios \"x peer\" = the peer's median step time / tfcore's (= tfcore's samples/s / "
                 "the peer's), one per peer framework, against its faster path, on that path's "
                 "row: > 1 means tfcore is faster, < 1 the peer")

# The documented fields of the JSON document (tests check them).
JSON_FIELDS = {
    "schema": "the format's name and version",
    "command": "the command line that produced the file",
    "ratio_meaning": "what the ratios mean: peer time / tfcore time, one per peer framework against "
                     "its faster path, > 1 = tfcore faster",
    "environment": "TF version and build info, CPU, its ISA features (AVX2, AVX-512F, AVX512_BF16, "
                   "AMX; null where unknown), cores, threads, oneDNN and Keras switches, load",
    "params": "every parameter of the run",
    "devices": "the devices benchmarked",
    "skipped": "devices asked for but absent, with why",
    "peak": "per device (under --sweep, per device and point: 'DEVICE batch=64'): measured matmul peak (TF, in the run's compute dtype, and NumPy float32), "
            "GFLOP/s; a mixed-precision run also has float32_tf_gflops",
    "results": "one entry per (model, device, framework, path, sweep point); see RESULT_FIELDS",
    "failures": "peers that could not run (crashed, stopped at --peer-timeout, raised): "
                "{model, device, framework, why, sweep}; their rows are skipped",
    "comparisons": "peer step time / tfcore's, one per model, device, sweep point and peer "
                   "framework (`peer`: tf-keras, pytorch), each against that framework's faster "
                   "path (`peer_path`): ratio_median, ratio_min, ratio_max of the per-round "
                   "ratios (> 1 = tfcore faster), ratio_per_round, ratio_of_medians, and where "
                   "measured epoch_ratio, epoch_step_loop_ratio, epoch_in_graph_ratio, "
                   "first_step_ratio. Files written before --peer took a list hold one peer",
    "sweep": "null, or {axis, values, left_out: {model: why}, points: [{model, device, framework, "
             "path, AXIS, samples_per_s, percent_of_peak, peak_memory_bytes, "
             "memory_per_sample_bytes}]}",
    "readable_costs": "per readable variant and device: {model, device, fast_model, cost_median, "
                      "cost_min, epoch_cost}: its median (fastest) step and its epoch per sample "
                      "over its fast model's, in the same run",
    "speedups": "GPU / CPU per model and framework, where both were run",
}
RESULT_FIELDS = {
    "model": "model name", "device": "device string", "framework": "tfcore, tf-keras or pytorch",
    "path": "session.run (feed), train_on_batch, fit, predict_on_batch, predict; PyTorch's step, loop",
    "batch_size": "rows per step", "step_times_s": "every timed step, seconds, in order",
    "round_medians_s": "the median of each block (tfcore and its peers take turns: A B C A B C)",
    "median_s": "median step time", "q1_s": "first quartile", "q3_s": "third quartile",
    "iqr_s": "q3 - q1", "min_s": "fastest step", "max_s": "slowest step",
    "samples_per_s": "batch_size / median_s",
    "train_flops_per_step": "analytic FLOPs per step (3x forward for training; the forward for a "
                            "forward-only model)",
    "gflops_per_s": "train_flops_per_step / median_s / 1e9",
    "percent_of_peak": "gflops_per_s / the device's TF matmul peak (the run's compute dtype, best "
                       "of the measurements before and after the models) * 100; null above 100",
    "measurement_error": "null, or why percent_of_peak is not reported (the step beat the peak)",
    "memory": "null (--no-memory), {peak_bytes, per_sample_bytes, baseline_bytes, method} of the "
              "framework's memory probe (benchmarks/memory.py), or {unavailable: why}",
    "sweep": "the sweep point of the row, e.g. {\"batch\": 64}; {} outside a sweep",
    "first_step_s": "build + session or compile + first step, seconds",
    "epoch": "{samples, steps, seconds: [...], samples_per_s} of whole-epoch wall times (tfcore: "
             "tfcore.train.fit with --steps-per-run; tf-keras: model.fit), or null",
    "epoch_step_loop": "tfcore only: the same epoch as reset + the timed step function per batch",
    "epoch_in_graph": "tfcore only (dispatch-bound models, the registry's in_graph_epoch): the "
                      "same epoch as one session run of TrainGraph.multi_step; or null",
    "graph_ops_per_step": "tfcore only: ops the step's fetches depend on (before Grappler)",
    "cores_busy": "tfcore only: median process CPU seconds per step / median wall seconds",
    "forward_flops_per_layer": "tfcore only: analytic forward FLOPs by layer (name scope)",
    "profiler_forward_flops": "tfcore only: tf.compat.v1.profiler's float_ops for the forward "
                              "Conv2D/MatMul/BiasAdd ops (fixed-batch graphs; null where the "
                              "batch is None); equals their analytic count (else a warning)",
}


def _fmt(v, spec):
    return "-" if v is None else spec % v


def _point(entry):
    return tuple(sorted((entry.get("sweep") or {}).items()))


def _memory_text(memory):
    if not memory:
        return "-"
    if "unavailable" in memory:
        return "n/a"
    return "%.0f (%.0f)" % (memory["peak_bytes"] / 2 ** 20, memory["per_sample_bytes"] / 2 ** 10)


def _epoch_text(e):
    epoch = e["epoch"]
    if not epoch:
        return "-"
    return " / ".join("%.3f" % float(np.median(d["seconds"])) if d else "-"
                      for d in ([epoch] if e["framework"] != "tfcore"
                                else [epoch, e.get("epoch_step_loop"), e.get("epoch_in_graph")])) \
        + " (%d)" % epoch["samples"]


def _ratio_texts(c):
    if c is None:
        return "-", "-"
    ratio = "%.2f (%.2f-%.2f)" % (c["ratio_median"], c["ratio_min"], c["ratio_max"])
    epoch_ratio = "-"
    if "epoch_ratio" in c:
        epoch_ratio = " / ".join("%.2f" % c[k] if k in c else "-" for k in (
            "epoch_ratio", "epoch_step_loop_ratio", "epoch_in_graph_ratio"))
    return ratio, epoch_ratio


def _sweep_text(entry):
    return " ".join("%s=%s" % kv for kv in _point(entry)) or "-"


def columns(doc):
    """The main table's columns: COLUMNS, without "sweep" when the run had none."""
    return [c for c in COLUMNS if c != "sweep" or doc.get("sweep")]


def table_rows(doc):
    """The main table's rows (`columns(doc)`): every result, then every skipped peer."""
    rows = _table_rows(doc)
    return rows if doc.get("sweep") else [r[:2] + r[3:] for r in rows]


def _comparison_of(comps, e):
    """The comparison made against entry `e` (a peer framework's faster path), or None."""
    return comps.get((e["model"], e["device"], _point(e), e["framework"], e["path"]))


def _table_rows(doc):
    # Each ratio sits on the row of the peer path it was measured against: a row per framework.
    comps = {(c["model"], c["device"], _point(c), c["peer"], c["peer_path"]): c
             for c in doc["comparisons"]}
    rows = []
    for e in doc["results"]:
        c = _comparison_of(comps, e)
        percent = "err>peak" if e.get("measurement_error") else _fmt(e["percent_of_peak"], "%.1f")
        rows.append([e["model"], e["device"].replace("/device:", ""), _sweep_text(e), e["framework"],
                     e["path"], str(e["batch_size"]), "%.2f" % (1e3 * e["median_s"]),
                     "%.2f" % (1e3 * e["iqr_s"]),
                     "%.2f-%.2f" % (1e3 * e["min_s"], 1e3 * e["max_s"]),
                     "%.0f" % e["samples_per_s"], _fmt(e["gflops_per_s"], "%.2f"),
                     percent, _memory_text(e.get("memory")), _fmt(e["first_step_s"], "%.2f"),
                     _epoch_text(e)] + list(_ratio_texts(c)))
    for f in doc.get("failures", []):
        rows.append([f["model"], f["device"].replace("/device:", ""), _sweep_text(f), f["framework"],
                     "skipped (see below)"] + ["-"] * (len(COLUMNS) - 5))
    return rows


def notes(doc):
    """The lines under a table: skipped peers, % of peak errors and unavailable memory, with why."""
    out = ["%s %s %s skipped%s: %s" % (f["model"], f["device"].replace("/device:", ""), f["framework"],
                                        (" at " + _sweep_text(f)) if f.get("sweep") else "", f["why"])
           for f in doc.get("failures", [])]
    for e in doc["results"]:
        where = "%s %s %s %s%s" % (e["model"], e["device"].replace("/device:", ""), e["framework"],
                                   e["path"], (" " + _sweep_text(e)) if e.get("sweep") else "")
        if e.get("measurement_error"):
            out.append("%s: %s" % (where, e["measurement_error"]))
        if e.get("memory") and "unavailable" in e["memory"]:
            out.append("%s: memory unavailable: %s" % (where, e["memory"]["unavailable"]))
    return out


COLUMNS = ["model", "device", "sweep", "framework", "path", "batch", "median ms", "IQR ms",
           "min-max ms", "samples/s", "GFLOP/s", "% peak", "peak MiB (KiB/sample)", "1st step s",
           "epoch s: fit / loop / in-graph (samples)", "step x peer (min-max), >1: tfcore faster",
           "epoch x peer: fit / loop / in-graph"]


# The readable paths, beside the fast one: what each costs a learner who reads it.
READABLE_TITLE = "Readable paths: each variant's training step against tfcore's fast model, same run"
READABLE_COLUMNS = ["readable variant", "device", "fast model", "median ms", "fast median ms",
                    "step x fast: median (fastest)", "epoch x fast (per sample)"]


def readable_rows(doc):
    """One row per (variant, device) of `readable_costs`: its step, the fast one's, the costs."""
    tfcore_entries = {(e["model"], e["device"], _point(e)): e for e in doc["results"]
                      if e["framework"] == "tfcore"}
    rows = []
    for c in doc.get("readable_costs", []):
        ours = tfcore_entries[c["model"], c["device"], _point(c)]
        fast = tfcore_entries[c["fast_model"], c["device"], _point(c)]
        rows.append([c["model"], c["device"].replace("/device:", ""), c["fast_model"],
                     "%.2f" % (1e3 * ours["median_s"]), "%.2f" % (1e3 * fast["median_s"]),
                     "%.1f (%.1f)" % (c["cost_median"], c["cost_min"]),
                     _fmt(c.get("epoch_cost"), "%.1f")])
    return rows


SPEEDUP_TITLE = "GPU / CPU: each path's CPU step time over its GPU step time, median of rounds (min-max)"
SPEEDUP_COLUMNS = ["model", "framework", "path", "gpu", "cpu", "speed-up (min-max)"]


def speedup_rows(doc):
    """One row per `speedups` entry (runs with a GPU and a CPU, e.g. --device all on a GPU machine)."""
    return [[s["model"], s["framework"], s["path"], s["gpu"].replace("/device:", ""),
             s["cpu"].replace("/device:", ""),
             "%.2f (%.2f-%.2f)" % (s["speedup_median"], s["speedup_min"], s["speedup_max"])]
            for s in doc.get("speedups", [])]


def _extra_tables(doc):
    """(title, columns, rows) of the tables under the main one that have rows."""
    return [(t, c, r) for t, c, r in ((READABLE_TITLE, READABLE_COLUMNS, readable_rows(doc)),
                                      (SPEEDUP_TITLE, SPEEDUP_COLUMNS, speedup_rows(doc))) if r]


def _aligned(columns, rows):
    rows = [columns] + rows
    widths = [max(len(r[i]) for r in rows) for i in range(len(columns))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths)) for r in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def text_table(doc):
    text = doc.get("ratio_meaning", RATIO_MEANING) + ".\n" + _aligned(columns(doc), table_rows(doc))
    text += "".join("\n" + line for line in notes(doc))
    for title, cols, rows in _extra_tables(doc):
        text += "\n\n%s\n%s" % (title, _aligned(cols, rows))
    return text


def _markdown(columns, rows):
    return ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)] + \
        ["| " + " | ".join(r) + " |" for r in rows]


def markdown_table(doc):
    from benchmarks.environment import format_isa, precision_line  # (imports TensorFlow)

    env = doc["environment"]
    out = ["Command: `%s`" % doc["command"], "",
           "TensorFlow %s, %s (%s cores; %s), TF_ENABLE_ONEDNN_OPTS=%s, load average %s." % (
               env["tensorflow"], env["cpu"], env["cores"], format_isa(env["isa"]),
               env["TF_ENABLE_ONEDNN_OPTS"], " ".join("%.2f" % v for v in env["load_average"] or [])),
           precision_line(env, doc["params"].get("precision", "float32")) + ".", ""]
    for device, peak in doc["peak"].items():
        out.append("Matmul peak on %s (%s %d^2): %.1f GFLOP/s (TF), %.1f GFLOP/s (NumPy float32)%s."
                   % (device, peak.get("dtype", "float32"), peak["size"], peak["tf_gflops"],
                      peak["numpy_gflops"], "; float32 %.1f GFLOP/s (TF)" % peak["float32_tf_gflops"]
                      if "float32_tf_gflops" in peak else ""))
    out += ["", doc.get("ratio_meaning", RATIO_MEANING) + ". Peak memory: each framework's step "
            "built and run again after the timing in a fresh process of its own, its high-water "
            "mark above the baseline before the build (benchmarks/memory.py).", ""]
    out += _markdown(columns(doc), table_rows(doc))
    out += [""] + ["- " + line for line in notes(doc)] if notes(doc) else []
    for title, cols, rows in _extra_tables(doc):
        out += ["", title + ":", ""] + _markdown(cols, rows)
    return "\n".join(out) + "\n"


def plot(doc, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    # The Laplacian's forward-only paths share the bars of the training paths they mirror.
    role = {"fit": "fit / predict", "predict": "fit / predict",
            "train_on_batch": "train_on_batch / predict_on_batch",
            "predict_on_batch": "train_on_batch / predict_on_batch"}
    entries = [dict(e, path=role.get(e["path"], e["path"])) for e in doc["results"]]
    labels = sorted({(e["model"], e["device"].replace("/device:", "")) for e in entries})
    series = sorted({(e["framework"], e["path"]) for e in entries})
    fig, ax = plt.subplots(figsize=(max(6, 1.6 * len(labels)), 4.2))
    width = 0.8 / max(len(series), 1)
    for i, (framework, path_name) in enumerate(series):
        values = []
        for model, device in labels:
            match = [e for e in entries if e["model"] == model and e["device"].replace("/device:", "") == device
                     and e["framework"] == framework and e["path"] == path_name]
            values.append(match[0]["samples_per_s"] if match else 0.0)
        ax.bar(np.arange(len(labels)) + i * width, values, width, label="%s %s" % (framework, path_name))
    ax.set_xticks(np.arange(len(labels)) + 0.4 - width / 2)
    ax.set_xticklabels(["%s\n%s" % l for l in labels], fontsize=8)
    ax.set_yscale("log")
    ax.set_ylabel("samples / s (median step, log scale)")
    ax.set_title("Training-step throughput by model, device and framework")
    ax.legend(fontsize=7)
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _row_keys(doc):
    return {(e["model"], e["device"], e["framework"], e["path"], _point(e)) for e in doc["results"]}


def shortfall(doc, saved):
    """Why `doc` may not replace the saved document `saved` (None: nothing saved): a list of
    reasons, empty when it measured at least every row the saved one holds, and nothing failed."""
    reasons = []
    if not doc["results"]:
        reasons.append("no row was measured")
    if doc.get("failures"):
        reasons.append("%d peer row(s) skipped (%s)" % (len(doc["failures"]), "; ".join(
            "%s %s" % (f["model"], f["framework"]) for f in doc["failures"])))
    if saved is not None:
        missing = _row_keys(saved) - _row_keys(doc)
        if missing:
            reasons.append("%d of the %d saved rows not measured (e.g. %s)" % (
                len(missing), len(_row_keys(saved)), " ".join(map(str, sorted(missing)[0][:4]))))
    return reasons


def partial_path(path):
    """results.json -> results.partial.json: where a run that measured less writes."""
    path = pathlib.Path(path)
    return path.with_name(path.stem + ".partial" + path.suffix)


def _saved(params):
    """The saved JSON document at --json, None if there is none; {"results": []} if unreadable."""
    if not params.json or not pathlib.Path(params.json).exists():
        return None
    try:
        return json.loads(pathlib.Path(params.json).read_text())
    except (OSError, ValueError):
        return {"results": [], "unreadable": True}


def write_outputs(doc, params, say=print):
    """The JSON, Markdown and chart (and a sweep's plots); beside the saved ones, as
    NAME.partial.EXT, when this run measured less than they hold (`shortfall`) and
    --overwrite was not given. Returns the files written."""
    reasons = shortfall(doc, _saved(params))
    targets = [t for t in (params.json, params.markdown, params.plot) if t]
    partial = bool(reasons) and not params.overwrite and any(pathlib.Path(t).exists() for t in targets)
    written = []
    for target, writer in ((params.json, lambda p: p.write_text(json.dumps(doc, indent=1) + "\n")),
                           (params.markdown, lambda p: p.write_text(markdown_table(doc))),
                           (params.plot, lambda p: plot(doc, p))):
        if target:
            path = partial_path(target) if partial else pathlib.Path(target)
            path.parent.mkdir(parents=True, exist_ok=True)
            writer(path)
            written.append(str(path))
    if params.plot and doc.get("sweep"):
        from benchmarks import sweep

        stem = pathlib.Path(written[-1])
        written += sweep.plot_models(doc, str(stem.with_name(stem.stem)))
    if partial and written:
        say("This run measured less than the saved results: %s. The saved files are kept; "
            "pass --overwrite to replace them." % "; ".join(reasons))
    if written:
        say("Wrote " + ", ".join(written))
    return written


# ---------------------------------------------------------------------------
# Figures in the docs: `python benchmarks/report.py RESULTS.json --markdown docs/benchmarks.md`
# ---------------------------------------------------------------------------

def block_markers(name="results"):
    """The two lines that enclose the generated block `name` in a Markdown file."""
    return ("<!-- benchmark-%s:begin: generated by python benchmarks/report.py; do not edit -->" % name,
            "<!-- benchmark-%s:end -->" % name)


BLOCK_BEGIN, BLOCK_END = block_markers()
SUMMARY_COLUMNS = ["model (batch)", "device", "tfcore samples/s", "peer: its faster path, samples/s",
                   "step x peer: median (min-max)", "tfcore % of peak",
                   "first step s: tfcore / peer", "peak MiB: tfcore / peer"]


def _mib(entry):
    memory = (entry or {}).get("memory")
    if not memory:
        return "-"  # not measured (--no-memory)
    return "n/a" if "peak_bytes" not in memory else "%.0f" % (memory["peak_bytes"] / 2 ** 20)


def summary_rows(doc):
    """One row per tfcore row (model, device, sweep point) and peer framework it was compared
    with (one row, peer columns '-', where none was): the figures the docs quote."""
    comps = doc["comparisons"]
    rows = []
    for e in (e for e in doc["results"] if e["framework"] == "tfcore"):
        where = (e["model"], e["device"], _point(e))
        peers = [p for p in doc["results"] if p["framework"] != "tfcore"
                 and (p["model"], p["device"], _point(p)) == where]
        percent = "err>peak" if e.get("measurement_error") else _fmt(e["percent_of_peak"], "%.1f%%")
        for c in [c for c in comps if (c["model"], c["device"], _point(c)) == where] or [None]:
            mine = [p for p in peers if c and p["framework"] == c["peer"]]
            best = next((p for p in mine if p["path"] == c["peer_path"]), None)
            first = next((p["first_step_s"] for p in mine if p["first_step_s"]), None)
            rows.append(["%s (%d)%s" % (e["model"], e["batch_size"], (" " + _sweep_text(e))
                                        if e.get("sweep") else ""),
                         e["device"].replace("/device:", ""), "{:,.0f}".format(e["samples_per_s"]),
                         "-" if best is None else "%s %s: {:,.0f}".format(best["samples_per_s"])
                         % (best["framework"], best["path"]),
                         _ratio_texts(c)[0], percent,
                         "%.2f / %s" % (e["first_step_s"], _fmt(first, "%.2f")),
                         "%s / %s" % (_mib(e), _mib(best) if best else "-")])
    return rows


def summary_markdown(doc):
    """The block the docs embed: where and how the run was made, the meaning, the table, the notes."""
    env = doc["environment"]
    peaks = "; ".join("%s %.1f GFLOP/s (%s %d^2, best of %d)" % (
        d.replace("/device:", ""), p["tf_gflops"], p.get("dtype", "float32"), p["size"],
        len(p["tf_times_s"])) for d, p in doc["peak"].items())
    lines = ["Run: `%s` at %s; TensorFlow %s, tf-keras %s, %s, %s cores; load average at the "
             "start %s (a shared machine: compare ratios within this run only). Matmul peak: %s."
             % (doc["command"], env["time"], env["tensorflow"], env.get("tf_keras") or "-", env["cpu"],
                env["cores"], " ".join("%.2f" % v for v in env["load_average"] or []), peaks), "",
             doc.get("ratio_meaning", RATIO_MEANING) + ".", ""]
    lines += _markdown(SUMMARY_COLUMNS, summary_rows(doc))
    return "\n".join(lines + [""] + ["- " + n for n in notes(doc)]).rstrip() + "\n"


def fill_block(text, block, name="results"):
    """`text` with the lines between block `name`'s two markers replaced by `block`."""
    begin, end = block_markers(name)
    if text.count(begin) != 1 or text.count(end) != 1 or text.index(begin) > text.index(end):
        raise ValueError("needs exactly one pair of lines\n  %s\n  %s\nto put the results between"
                         % (begin, end))
    head, rest = text.split(begin)
    return head + begin + "\n" + block + end + rest.split(end, 1)[1]


def _bad_block(value):
    import argparse

    raise argparse.ArgumentTypeError("%r is not a name (letters, digits, _)" % value)


def main(argv=None):
    """python benchmarks/report.py RESULTS.json [--markdown FILE]: print the summary block, or
    fill FILE's marked block with it (the docs' figures come from a saved run this way)."""
    import argparse

    p = argparse.ArgumentParser(prog="python benchmarks/report.py", description=main.__doc__)
    p.add_argument("results", help="a JSON file written by python benchmarks/run.py")
    p.add_argument("--markdown", default="", help="a Markdown file with the marked block to fill")
    p.add_argument("--block", default="results", type=lambda v: v if v.isidentifier() else
                   _bad_block(v), help="the block's name in its markers (default results)")
    p.add_argument("--sweep-plots", default="", metavar="STEM",
                   help="also draw a sweep's plots again, as STEM-sweep-MODEL.png")
    args = p.parse_args(argv)
    try:
        doc = json.loads(pathlib.Path(args.results).read_text())
        block = summary_markdown(doc)
    except (OSError, ValueError, KeyError, TypeError) as err:
        p.error("%s: not a benchmark result (%s: %s)" % (args.results, type(err).__name__, err))
    if args.sweep_plots:
        from benchmarks import sweep

        print("Wrote " + ", ".join(sweep.plot_models(doc, args.sweep_plots) or ["no plot (no sweep)"]))
    if not args.markdown:
        print(block, end="")
        return 0
    target = pathlib.Path(args.markdown)
    try:
        target.write_text(fill_block(target.read_text(), block, args.block))
    except (OSError, ValueError) as err:
        p.error("--markdown %s: %s" % (args.markdown, err))
    print("Filled the %s block of %s from %s" % (args.block, target, args.results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
