"""The benchmark run: each model built once per device, its step timed beside its peers'.

Method (after tf_cnn_benchmarks):

* Each model's training graph is built once per device, inside a `tf.device`
  block (the registry's builders pass `device=`), in its own graph and session.
* The data is already in host memory as NumPy arrays before timing starts
  (synthetic arrays shaped like each model's data, or the staged datasets).
* `--warmup` steps run untimed (graph optimisation, memory allocation).
* Only the session run of the training step is timed (`timing.py`).
* tfcore and its peers (`--peer keras,torch`: tf-keras, PyTorch) take turns
  in blocks of `--steps` steps, A B A B for one peer, A B C A B C for two, for
  `--rounds` rounds, so that drift in the machine's speed (other processes,
  clock boost) hits every side. A peer that fails is a skipped row; the others
  go on.
* Statistics per (model, device, framework, path): median, quartiles and
  interquartile range, min, max; samples/s = batch / median step;
  GFLOP/s = analytic training FLOPs per step / median step; percent of the
  matmul peak measured in the same run on the same device, before and after
  the models (the better of the two).
* Ratios: tfcore / peer samples per second, one per peer framework, each
  against that framework's faster path (lower median of `train_on_batch` and
  `fit`; PyTorch's `step` and `loop`), as the median, min and max of the
  per-round ratios. With a GPU present, the GPU / CPU speed-up the same way.
* Readable variants (the registry's `variant_of`: the CNN with im2col
  convolutions, with hand-derived gradients) have no peer: their cost is
  their median (and fastest) step over their fast model's, timed in the same
  run by the same method.
* Each side's time to first step (build + session/compile + first step) and
  the wall time of one epoch (`timing.py`; `model.fit` for the peer; a
  model's `epoch_steps_cap` in the registry caps the timed epoch; the JSON
  records the epoch's size).

The modules: `registry.py` (the models), `params.py` (the flags),
`environment.py` (the machine), `timing.py` (the method), `report.py` (the
outputs), `peers.py` (tf-keras), `torch_peer.py` (PyTorch, `--peer torch`),
`trace.py` (`--trace`). `run(params)` returns the result document
(the JSON's content, fields in `report.JSON_FIELDS`).
"""

import sys
import time

import numpy as np

from benchmarks import environment, report, timing
from benchmarks.registry import get
from benchmarks.timing import TfcoreBench  # noqa: F401  (tests and notebooks reach it here)
from tfcore.data import synthetic

# ---------------------------------------------------------------------------
# Data
# ---------------------------------------------------------------------------


def load_data(name, rows, params):
    """(x, y) host float32 arrays with at least `rows` rows (y is None for a forward-only model)."""
    spec = get(name)
    rows = 1 if spec.single_batch else rows
    if params.data == "synthetic":
        (x_shape, x_values), (y_shape, y_values) = spec.x, spec.y or (None, None)
        if spec.recurrent and params.length:  # a length sweep's point: (length, features)
            x_shape = (params.length,) + tuple(x_shape[1:])
        return synthetic(rows, x_shape, x_values, y_shape, y_values, seed=params.seed)
    x, y = spec.real()
    x = x.astype(np.float32)
    y = None if y is None else y.astype(np.float32)
    if len(x) < rows:  # repeat the data to fill the timed batches
        x = np.resize(x, (rows,) + x.shape[1:])
        y = None if y is None else np.resize(y, (rows,) + y.shape[1:])
    return x, y


def epoch_rows(name, params):
    """Rows of the measured epoch: the chapter's epoch, capped at the model's `epoch_steps_cap`."""
    spec, batch = get(name), params.batch_for(name)
    rows = spec.epoch // batch * batch
    if spec.epoch_steps_cap:
        rows = min(rows, spec.epoch_steps_cap * batch)
    return max(rows, batch)


# ---------------------------------------------------------------------------
# One model on one device
# ---------------------------------------------------------------------------

def _start_tfcore(name, device, params, x, y):
    """tfcore's side built, stepped once (the time to first step) and warmed up."""
    began = time.perf_counter()
    ours = timing.TfcoreBench(name, device, params, x, y)
    ours.step()  # fed from the host arrays, as a user's first step (and tf-keras's) is
    first_step = time.perf_counter() - began
    if params.feed == "resident":
        ours.use_resident()
    ours.check_flops()
    for _ in range(max(params.warmup - 1, 0)):
        ours.step()
    return ours, first_step


PEER_FRAMEWORKS = {"keras": "tf-keras", "torch": "pytorch"}  # --peer -> the rows' framework


def peer_factory(params, peer):
    """(name, device, batch) -> a peer of `peer` (a --peer name: keras or torch).

    tf-keras runs in this process (it is TensorFlow; `TF_USE_LEGACY_KERAS` was set
    before the import). PyTorch runs in a process of its own
    (`benchmarks/isolated.py`): its crash or hang becomes a skipped row, never the
    end of the run, and it never shares a process with TensorFlow.
    """
    options = dict(seed=params.seed, jit_compile=params.xla, precision=params.precision)
    if params.length:
        options["length"] = params.length
    if peer == "keras" and params.sweep_axis == "threads":
        from benchmarks.isolated import IsolatedPeer  # the eager runtime's threads are fixed at start
        return lambda name, device, batch: IsolatedPeer(
            "benchmarks.peers", name, device, batch, timeout=params.peer_timeout,
            env={"TF_USE_LEGACY_KERAS": "1"}, threads=params.intra_op_threads, label="tf-keras",
            **options)
    if peer == "keras":
        from benchmarks import peers
        return lambda name, device, batch: peers.Peer(name, device, batch, **options)
    from benchmarks.isolated import IsolatedPeer
    return lambda name, device, batch: IsolatedPeer(
        "benchmarks.torch_peer", name, device, batch, timeout=params.peer_timeout,
        threads=params.intra_op_threads, label="pytorch", **options)


def peer_factories(params):
    """{framework: factory} of every --peer, in the order given ({} for --peer none)."""
    return {PEER_FRAMEWORKS[p]: peer_factory(params, p) for p in params.peers}


def _as_factories(make_peer):
    """`make_peer` as {framework: factory}: one factory ("peer"), a list ("peer 1", ...), a dict.

    The name is what a failure row says before the peer exists to name itself.
    """
    if make_peer is None:
        return {}
    if callable(make_peer):
        return {"peer": make_peer}
    if isinstance(make_peer, dict):
        return dict(make_peer)
    return {"peer %d" % (i + 1): f for i, f in enumerate(make_peer)}


class PeerRun:
    """One peer in one model's run: the peer, its first step, its rounds, or why it failed."""

    def __init__(self, label):
        self.label = label  # the framework a failure row names
        self.peer, self.first_step, self.failure = None, None, None
        self.rounds = {"train_on_batch": [], "fit": []}  # step times per block, per path
        self.epochs = []  # its epoch wall times (fit, or its loop)

    def fail(self, err):
        """The peer is out of the run: its rounds are dropped, its process (if any) stopped."""
        self.failure = err
        self.rounds, self.epochs = {"train_on_batch": [], "fit": []}, []
        self.close()

    def close(self):
        peer, self.peer = self.peer, None
        if peer is not None and hasattr(peer, "close"):
            peer.close()


def _start_peer(make_peer, name, device, params, x, y):
    """The peer twin built, stepped once (the time to first step) and warmed up, both paths."""
    batch = params.batch_for(name)
    peer = make_peer(name, device, batch)
    try:
        first_step = peer.first_step(x, y)
        for _ in range(max(params.warmup - 1, 0)):
            peer.step_once(x[:batch], None if y is None else y[:batch])
        peer.time_fit(x, y, max(params.warmup, 2))  # trace fit's own step function
    except Exception:
        if hasattr(peer, "close"):
            peer.close()
        raise
    return peer, first_step


def _start_peers(make_peer, name, device, params, x, y):
    """A PeerRun per peer, each started in turn; one that cannot start has its `failure`."""
    runs = []
    if get(name).peer is None:  # a readable variant has no twin
        return runs
    for label, factory in _as_factories(make_peer).items():
        run_ = PeerRun(label)
        try:
            run_.peer, run_.first_step = _start_peer(factory, name, device, params, x, y)
        except Exception as err:  # noqa: BLE001  (a peer's failure is a skipped row)
            run_.fail(err)
        runs.append(run_)
    return runs


def _peer_round(run_, params, data, epoch_data):
    """One block of a peer's paths (and its epoch), appended to its rounds; a failure ends it."""
    (x, y), peer = data, run_.peer
    try:
        per_call = peer.time_train_on_batch(x, y, params.steps)
        loop = peer.time_fit(x, y, params.steps)[0]
        epoch = peer.time_epoch(*epoch_data) if params.epoch and not peer.forward_only else None
    except Exception as err:  # noqa: BLE001  (a peer's failure is a skipped row)
        run_.fail(err)
        return
    run_.rounds["train_on_batch"].append(per_call)
    run_.rounds["fit"].append(loop)
    if epoch is not None:
        run_.epochs.append(epoch)


def _alternate(ours, runs, params, data, epoch_data, in_graph):
    """The rounds, tfcore then each live peer in turn (A B C A B C): tfcore's step times and
    epoch wall times per way of running it; each peer's land in its PeerRun (a peer that
    fails loses all its rounds, and the others go on)."""
    rounds = {"tfcore": []}
    epochs = {"tfcore": [], "tfcore_fast": [], "tfcore_in_graph": []}
    for _ in range(params.rounds):
        rounds["tfcore"].append(ours.time_steps(params.steps))
        for run_ in runs:
            if run_.peer is not None:
                _peer_round(run_, params, data, epoch_data)
        if params.epoch and not ours.forward_only:
            epochs["tfcore"].append(ours.time_epoch(*epoch_data))
            epochs["tfcore_fast"].append(ours.time_epoch_fast(*epoch_data))
            if in_graph:
                epochs["tfcore_in_graph"].append(ours.run_epoch_in_graph()[0])
    return rounds, epochs


def _entry(name, device, framework, path, batch, rounds, flops, peak, first_step=None, epoch=None):
    times = [t for block in rounds for t in block]
    entry = {"model": name, "device": device, "framework": framework, "path": path,
             "batch_size": batch, "step_times_s": times,
             "round_medians_s": [float(np.median(b)) for b in rounds]}
    entry.update(timing.summarize(times, batch, flops, peak))
    entry["first_step_s"] = first_step
    entry["epoch"] = epoch
    entry["memory"] = None  # the framework's probe (benchmarks/memory.py), unless --no-memory
    return entry


def _entries(ours, runs, name, device, params, peak, timed, first_step, rows):
    """The result entries of one model on one device: tfcore's, then each peer's two paths."""
    rounds, epochs = timed
    batch, flops = params.batch_for(name), ours.flops
    peak_gflops = peak["tf_gflops"] if peak else None
    path = "session.run (%s)" % params.feed
    first = _entry(name, device, "tfcore", path, batch, rounds["tfcore"], flops, peak_gflops,
                   first_step, timing.epoch_doc(rows, batch, epochs["tfcore"]))
    first["epoch_step_loop"] = timing.epoch_doc(rows, batch, epochs["tfcore_fast"])
    first["epoch_in_graph"] = timing.epoch_doc(rows, batch, epochs["tfcore_in_graph"])
    first["graph_ops_per_step"] = ours.graph_ops
    first["forward_flops_per_layer"] = ours.flops_per_layer
    first["profiler_forward_flops"] = ours.profiler_forward_flops
    # CPU seconds per wall second: how many cores the step kept busy (2 = both, here).
    first["cores_busy"] = float(np.median(ours.cpu_times[-len(first["step_times_s"]):])
                                / first["median_s"])
    entries = [first]
    for run_ in runs:  # each peer's per-call path, then its loop (fit) path
        if run_.failure is not None:
            continue
        step_path, loop_path = run_.peer.paths
        framework = run_.peer.framework
        entries.append(_entry(name, device, framework, step_path, batch,
                              run_.rounds["train_on_batch"], flops, peak_gflops, run_.first_step))
        entries.append(_entry(name, device, framework, loop_path, batch, run_.rounds["fit"], flops,
                              peak_gflops, None, timing.epoch_doc(rows, batch, run_.epochs)))
    return entries


def _failure(name, device, framework, err):
    """The skipped row of a peer that could not run: which, where, and why."""
    return {"model": name, "device": device, "framework": framework,
            "why": str(err) or type(err).__name__}


def bench_model(name, device, params, peak, make_peer=None):
    """Time model `name` on `device` and its peers, in turn.

    `make_peer`: a factory (name, device, batch) -> peer, a list of them, or a
    {framework: factory} dict. Returns (result entries, failures): each peer that
    cannot be built or fails during its rounds is one failure ({model, device,
    framework, why}), and tfcore's rows and the other peers' are still measured.
    """
    batch, rows = params.batch_for(name), epoch_rows(name, params)
    x, y = load_data(name, max(rows, batch * (params.steps + params.warmup)), params)
    epoch_data = (x[:rows], None if y is None else y[:rows])
    ours, first_step = _start_tfcore(name, device, params, x, y)
    runs = _start_peers(make_peer, name, device, params, x, y)
    in_graph = (params.epoch and not ours.forward_only and get(name).in_graph_epoch
                and params.feed != "dataset")
    if in_graph:
        ours.build_epoch_in_graph(*epoch_data)
        ours.run_epoch_in_graph()  # warm-up: the first run optimises the loop graph
    traced = _trace(ours, runs, name, device, params, x, y)
    timed = _alternate(ours, runs, params, (x, y), epoch_data, in_graph)
    failures = [_failure(name, device, r.label, r.failure) for r in runs if r.failure is not None]
    ours.close()
    entries = _entries(ours, runs, name, device, params, peak, timed, first_step, rows)
    for run_ in runs:
        run_.close()
    entries[0]["trace_files"] = traced
    return entries, failures


def _trace(ours, runs, name, device, params, x, y):
    """--trace: one extra, untimed, traced step per framework (benchmarks/trace.py); the files."""
    if not params.trace:
        return []
    from benchmarks import trace

    files = trace.trace_tfcore(ours, params.trace)
    for peer in (r.peer for r in runs if r.peer is not None):
        try:
            files += trace.trace_peer(peer, name, device, x, y, params.trace)
        except Exception as err:  # noqa: BLE001  (the timing may still work; say why)
            print("warning: %s: %s trace failed: %s" % (name, peer.framework, err), file=sys.stderr)
    return files


# ---------------------------------------------------------------------------
# Ratios and the run
# ---------------------------------------------------------------------------

def _median_ratio(numerator, denominator):
    return float(np.median(numerator["seconds"]) / np.median(denominator["seconds"]))


def _point(entry):
    """The entry's sweep point as a hashable key (() outside a sweep)."""
    return tuple(sorted((entry.get("sweep") or {}).items()))


def _comparison(model, device, ours, peers):
    """tfcore / one peer framework for one (model, device, sweep point): step, epoch and
    first-step ratios, against that framework's faster path (`peers`: its entries)."""
    best = min(peers, key=lambda e: e["median_s"])
    per_round = [p / o for o, p in zip(ours["round_medians_s"], best["round_medians_s"])]
    doc = {"model": model, "device": device, "sweep": ours.get("sweep"),
           "peer": best["framework"], "peer_path": best["path"],
           "ratio_median": float(np.median(per_round)), "ratio_min": float(min(per_round)),
           "ratio_max": float(max(per_round)), "ratio_per_round": per_round,
           "ratio_of_medians": best["median_s"] / ours["median_s"]}
    peer_epoch = best["epoch"] or next((p["epoch"] for p in peers if p["epoch"]), None)
    if peer_epoch:
        for key, ratio in (("epoch", "epoch_ratio"), ("epoch_step_loop", "epoch_step_loop_ratio"),
                           ("epoch_in_graph", "epoch_in_graph_ratio")):
            if ours.get(key):
                doc[ratio] = _median_ratio(peer_epoch, ours[key])
    if ours["first_step_s"] and any(p["first_step_s"] for p in peers):
        doc["first_step_ratio"] = max(p["first_step_s"] or 0 for p in peers) / ours["first_step_s"]
    return doc


def compare(entries):
    """tfcore / peer samples-per-second ratios: one per (model, device, sweep point, peer
    framework), each against that framework's faster path, in the entries' order."""
    out = []
    keys = list(dict.fromkeys((e["model"], e["device"], _point(e)) for e in entries))
    for model, device, point in keys:
        group = [e for e in entries if (e["model"], e["device"], _point(e)) == (model, device, point)]
        ours = [e for e in group if e["framework"] == "tfcore"]
        frameworks = dict.fromkeys(e["framework"] for e in group if e["framework"] != "tfcore")
        for framework in frameworks if ours else ():
            peers = [e for e in group if e["framework"] == framework]
            out.append(_comparison(model, device, ours[0], peers))
    return out


def readable_costs(entries):
    """What each readable variant costs: its step (and epoch, per sample) time over its fast model's.

    The variant and its fast model (the registry's `variant_of`) are timed one
    after the other in the same run, by the same method, so the ratio is of
    medians (and of the fastest steps, which the machine's load disturbs least).
    """
    out = []
    for e in entries:
        fast_name = get(e["model"]).variant_of
        if e["framework"] != "tfcore" or fast_name is None:
            continue
        fast = next((f for f in entries if (f["model"], f["device"], f["framework"], _point(f))
                     == (fast_name, e["device"], "tfcore", _point(e))), None)
        if fast is None:
            continue
        doc = {"model": e["model"], "device": e["device"], "fast_model": fast_name,
               "cost_median": e["median_s"] / fast["median_s"], "cost_min": e["min_s"] / fast["min_s"]}
        if e["epoch"] and fast["epoch"]:  # per sample: a variant's timed epoch may be shorter
            doc["epoch_cost"] = fast["epoch"]["samples_per_s"] / e["epoch"]["samples_per_s"]
        out.append(doc)
    return out


def speedups(entries):
    """GPU / CPU speed-up per (model, framework, path) where both devices ran."""
    out = []
    for e in entries:
        if "GPU" not in e["device"]:
            continue
        cpu = [c for c in entries if "CPU" in c["device"] and c["model"] == e["model"]
               and _point(c) == _point(e)
               and c["framework"] == e["framework"] and c["path"] == e["path"]]
        if cpu:
            per_round = [c / g for c, g in zip(cpu[0]["round_medians_s"], e["round_medians_s"])]
            out.append({"model": e["model"], "framework": e["framework"], "path": e["path"],
                        "gpu": e["device"], "cpu": cpu[0]["device"],
                        "speedup_median": float(np.median(per_round)),
                        "speedup_min": float(min(per_round)), "speedup_max": float(max(per_round))})
    return out


# The type a precision policy computes in: the matmul peak "% of peak" is measured against.
COMPUTE_DTYPES = {"float32": "float32", "mixed_bfloat16": "bfloat16", "mixed_float16": "float16"}


def measure_peak(device, params):
    """The matmul peak in the run's compute type; a mixed run also records float32's."""
    dtype = COMPUTE_DTYPES[params.precision]
    peak = timing.matmul_peak(device, params, dtype=dtype)
    if dtype != "float32":
        peak["float32_tf_gflops"] = timing.matmul_peak(device, params)["tf_gflops"]
    return peak


def bench_device(device, params, make_peer, say):
    """(peak, entries, failures) of every model on `device`, the peak measured before and after."""
    peak = measure_peak(device, params)
    say("%s: %s %dx%d matmul peak %.1f GFLOP/s (TF, best of 5), %.1f (NumPy float32)%s"
        % (device, peak["dtype"], params.peak_size, params.peak_size, peak["tf_gflops"],
           peak["numpy_gflops"], "; float32 %.1f" % peak["float32_tf_gflops"]
           if "float32_tf_gflops" in peak else ""))
    found, failed = [], []
    for name in params.models:
        entries, failures = bench_model(name, device, params, peak, make_peer)
        say("  %-20s %s" % (name, ", ".join("%s %s %.2f ms" % (e["framework"], e["path"],
                                                             1e3 * e["median_s"]) for e in entries)))
        for f in failures:
            say("  %-20s %s skipped: %s" % (name, f["framework"], f["why"]))
        found += entries
        failed += failures
    # A busy moment at the start would understate the peak (and overstate every
    # "% peak"): measure again after the models and keep the better of the two.
    peak = timing.merge_peaks(peak, measure_peak(device, params))
    say("%s: matmul peak measured again after the models: %.1f GFLOP/s (TF, best of 10)"
        % (device, peak["tf_gflops"]))
    for entry in found:
        entry.update(timing.summarize(entry["step_times_s"], entry["batch_size"],
                                      entry["train_flops_per_step"], peak["tf_gflops"]))
    if params.memory:  # after the timing: the probes' processes never overlap a timed step
        from benchmarks import memory

        began = time.perf_counter()
        memory.attach(found, device, params, load_data)
        say("%s: peak host memory per step measured in %.0f s (a fresh process per model and "
            "framework: benchmarks/memory.py)" % (device, time.perf_counter() - began))
    return peak, found, failed


def run(params, say=print, command=None, make_peer=None):
    """Run the benchmark described by validated `params`; return the result document.

    `make_peer` (a factory (name, device, batch) -> peer, a list of them, or a
    {framework: factory} dict) overrides `peer_factories(params)` (tests run fake
    peers through it). Under `--sweep` every device runs every point.
    """
    from benchmarks import sweep

    environment.configure_threads(params)
    devices, skipped = environment.select_devices(params)
    env = environment.environment(params)
    say(environment.header(env, params, devices, skipped))
    say(report.RATIO_MEANING)
    peaks, entries, failures = {}, [], []
    for device in devices:
        for point, point_params in sweep.points(params):
            if point:
                say("sweep point %s" % sweep.label(point))
            peak, found, failed = bench_device(device, point_params,
                                               make_peer or peer_factories(point_params), say)
            for e in found + failed:
                e["sweep"] = point
            peaks[device + (" " + sweep.label(point) if point else "")] = peak
            entries += found
            failures += failed
    return {"schema": report.SCHEMA, "command": command or " ".join(sys.argv),
            "ratio_meaning": report.RATIO_MEANING, "environment": env,
            "params": params.as_dict(), "devices": devices,
            "skipped": [{"device": d, "why": why} for d, why in skipped], "peak": peaks,
            "results": entries, "failures": failures, "comparisons": compare(entries),
            "readable_costs": readable_costs(entries), "speedups": speedups(entries),
            "sweep": sweep.summary(params, entries)}
