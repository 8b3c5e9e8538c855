"""Peak host memory of a training step, measured the same way for every framework.

Each (model, framework) is measured in a fresh process of its own, because a
process's memory is only attributable when nothing else lives in it: tfcore and
tf-keras share one TensorFlow runtime in the timing process, and an allocator
keeps what it once held. (Measuring the models one after another in one
process, re-reading the baseline between them, is not the same thing: after the
MNIST CNN that process kept 134 MiB it had freed, and the CNN-BN measured next
showed 22 MiB instead of its 160.)

A fresh process need not be a fresh interpreter. Importing TensorFlow (or
PyTorch) takes 3-7 s here, more than building and stepping most models, so
after the run's timing one *probe process* per runtime (TensorFlow for tfcore
and tf-keras, PyTorch) imports its frameworks' modules once (`serve`) and then
forks a child for each (model, framework). It forks before any runtime has
started: no session, no eager context, no thread pool exists yet (threads do
not survive a fork), so each child starts its framework's runtime itself, as a
new process would, and nothing of another model ever ran in it. In the child:

    the framework's runtime started by one tiny op (`warm_runtime`: thread pools,
        kernel libraries; for PyTorch a tiny Adam step, which imports torch._dynamo)
    baseline = the resident set (VmRSS) now; the high-water mark (VmHWM) reset to it
        (/proc/self/clear_refs)
    build the model, run the warm-up and the measured steps (max(--warmup, 1), then
        min(--steps, 3)), each step from host NumPy batches (tfcore: session.run fed;
        tf-keras: train_on_batch; PyTorch: its step)
    peak_bytes = VmHWM - baseline

so `peak_bytes` is everything the step needs beyond the framework's start:
weights, optimizer slots, activations and gradients at the step's peak, the
runtime's buffers, caches and compiled code, and the allocator's slack. The host
batches are in the child before its baseline (it inherits them), so the input
data is not counted. `per_sample_bytes` is peak_bytes / batch: an upper bound of
the memory one more sample costs (the fixed part, weights and runtime, is spread
over the batch); a batch sweep (`--sweep batch=...`) shows the slope.

Each child has `--peer-timeout` seconds. A child that crashes (the signal is
named), hangs (it is killed at the deadline) or raises gives its (model,
framework) `{"unavailable": why}`, and the next child starts clean; a probe
process that cannot start (a framework that cannot be imported) gives all its
frameworks' rows the reason.

Limits: host memory only (a GPU's memory is not counted); RSS counts pages
touched, so memory allocated but never written is not seen, and memory the
allocator returned to the system before the peak is seen only at its peak.
Where fork or /proc/self/clear_refs is missing (not Linux), each (model,
framework) gets a new Python process instead (`probe_fresh`: slower, the same
steps), whose peak is `ru_maxrss`, since process start, imports included, and
`method` says so.
"""

import ctypes
import importlib
import os
import pathlib
import pickle
import select
import signal
import sys
import time

from benchmarks import isolated
from benchmarks.isolated import Child, PeerFailed
from benchmarks.registry import get

# framework -> (the module whose Peer the probe builds, its runtime, environment for its process)
PROBES = {"tfcore": ("benchmarks.memory", "TensorFlow", {}),
          "tf-keras": ("benchmarks.peers", "TensorFlow", {"TF_USE_LEGACY_KERAS": "1"}),
          "pytorch": ("benchmarks.torch_peer", "PyTorch", {})}
MEASURED_STEPS = 3  # measured steps after the warm-up (at most --steps)
FORKS = hasattr(os, "fork") and pathlib.Path("/proc/self/clear_refs").exists()
GRACE = 60  # seconds the parent waits beyond a child's deadline for the probe process's answer


def flag_values(params):
    """The flags of `params` (no derived fields): what `make_params` rebuilds them from."""
    from benchmarks.params import FLAGS
    return {f.name: getattr(params, f.name) for f in FLAGS}


def options(framework, params):
    """The keyword options of `framework`'s Peer for this run."""
    out = dict(seed=params.seed, jit_compile=params.xla, precision=params.precision)
    if params.length:
        out["length"] = params.length
    if framework == "tfcore":
        out["params"] = flag_values(params)
    return out


def batches(name, params, data):
    """The host (x, y) batches a probe steps through: the warm-up, then the measured steps."""
    rows = 1 if get(name).single_batch else params.batch_for(name)
    x, y = data
    out = []
    for i in range(max(params.warmup, 1) + min(params.steps, MEASURED_STEPS)):
        start = (i * rows) % max(len(x) - rows + 1, 1)
        out.append((x[start:start + rows], None if y is None else y[start:start + rows]))
    return out


def _per_sample(doc, batch):
    if "peak_bytes" in doc:
        doc["per_sample_bytes"] = doc["peak_bytes"] / batch
    return doc


# ---------------------------------------------------------------------------
# The run's side
# ---------------------------------------------------------------------------

def attach(entries, device, params, load):
    """Every entry's `memory`: its (model, framework)'s peak, or {"unavailable": why}.

    One probe process per runtime measures every model of `entries` (a child each);
    `load(name, rows, params)` gives a model's host data (harness.load_data).
    """
    wanted = list(dict.fromkeys((e["model"], e["framework"]) for e in entries))
    found = {}
    for runtime in dict.fromkeys(PROBES[f][1] for _, f in wanted if f in PROBES):
        mine = [(m, f) for m, f in wanted if f in PROBES and PROBES[f][1] == runtime]
        found.update(_probe_runtime(mine, device, params, load))
    for e in entries:
        e["memory"] = found.get((e["model"], e["framework"]),
                                {"unavailable": "no memory probe for %s" % e["framework"]})


def _probe_runtime(wanted, device, params, load):
    """{(model, framework): doc} for one runtime's (model, framework) pairs, in order."""
    frameworks = list(dict.fromkeys(f for _, f in wanted))
    found, data, server, broken = {}, {}, None, None
    try:
        for name, framework in wanted:
            if name not in data:
                rows = params.batch_for(name) * (max(params.warmup, 1) + MEASURED_STEPS)
                data = {name: batches(name, params, load(name, rows, params))}
            if not FORKS:
                found[name, framework] = probe_fresh(framework, name, device, params, data[name])
                continue
            if broken is None and (server is None or not server.alive):
                try:
                    server = ProbeProcess(frameworks, timeout=params.peer_timeout)
                except PeerFailed as err:
                    broken = str(err)
            if broken is not None:
                found[name, framework] = {"unavailable": broken}
                continue
            try:
                doc = server.measure(framework, name, device, params, data[name])
                if "unavailable" in doc:  # its child failed; the next one starts clean
                    doc["unavailable"] = "%s memory probe: %s" % (framework, doc["unavailable"])
            except PeerFailed as err:  # the probe process itself failed: the next model restarts it
                doc = {"unavailable": str(err)}
            found[name, framework] = _per_sample(doc, params.batch_for(name))
    finally:
        if server is not None:
            server.close()
    return found


def probe_fresh(framework, name, device, params, steps):
    """Where there is no fork: `framework`'s step in a new Python process of its own."""
    module, _, env = PROBES[framework]
    batch = params.batch_for(name)
    try:
        peer = isolated.IsolatedPeer(module, name, device, batch, timeout=params.peer_timeout,
                                     env=env, threads=params.intra_op_threads,
                                     label="%s memory probe" % framework, **options(framework, params))
    except PeerFailed as err:
        return {"unavailable": str(err)}
    try:
        for xb, yb in steps:
            peer.step_once(xb, yb)
        doc = peer.memory()
    except PeerFailed as err:
        return {"unavailable": str(err)}
    finally:
        peer.close()
    return _per_sample(doc, batch)


class ProbeProcess(Child):
    """One runtime's probe process (`serve`, in `python -m benchmarks.memory MODULE...`).

    `frameworks` (keys of PROBES, or for tests a {framework: (module, runtime, env)}
    mapping) share it: their modules are imported once, when it starts (within
    `timeout` s); `measure` forks a fresh child per call.
    """

    def __init__(self, frameworks, timeout=300):
        self.probes = frameworks if isinstance(frameworks, dict) else {f: PROBES[f] for f in frameworks}
        env = {k: v for _, _, e in self.probes.values() for k, v in e.items()}
        modules = list(dict.fromkeys(m for m, _, _ in self.probes.values()))
        super().__init__("benchmarks.memory", modules, timeout=timeout, env=env,
                         label="%s memory probe" % " and ".join(self.probes))
        self._call("ready")

    def measure(self, framework, name, device, params, steps, **extra):
        """{peak_bytes, baseline_bytes, method} of `framework`'s step on `steps`, or
        {"unavailable": why}; PeerFailed if the probe process itself fails."""
        return self._call("measure", self.probes[framework][0], name, device, params.batch_for(name),
                          steps, params.intra_op_threads, dict(options(framework, params), **extra),
                          self.timeout, wait=self.timeout + GRACE)


# ---------------------------------------------------------------------------
# The probe process and its children
# ---------------------------------------------------------------------------

def serve(modules, stdin=None):
    """The probe process: import `modules` (and run their `preload`), then answer calls until EOF."""
    loaded = {}
    for name in modules:  # first, before anything else a framework could meet
        loaded[name] = importlib.import_module(name)
        if hasattr(loaded[name], "preload"):
            loaded[name].preload()
    out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # a library's print goes to stderr, not into the messages
    stdin = stdin or sys.stdin.buffer
    while True:
        message = isolated._receive(stdin)
        if message is None:
            return 0
        method, args, _ = message
        try:
            result = None if method == "ready" else forked(loaded[args[0]], *args[1:], keep=out)
            reply = ("ok", result)
        except Exception as err:  # noqa: BLE001  (the parent makes it an unavailable row)
            reply = ("error", "%s: %s" % (type(err).__name__, err))
        isolated._send(out, reply)


def measure(module, name, device, batch, steps, threads, peer_options, inherited=()):
    """In a fresh child: the runtime started, the baseline, the model built and stepped; its peak.

    `inherited` (`mapped_file_pages` of the probe process) are mapped again first, so the
    libraries' code the imports used is in the baseline, as in a new process.
    """
    map_again(inherited)
    peer, baseline = isolated.start_peer(module, name, device, batch, threads=threads, **peer_options)
    for xb, yb in steps:
        peer.step_once(xb, yb)
    return baseline.peak()


def forked(module, name, device, batch, steps, threads, peer_options, timeout, keep=None):
    """`measure` in a child forked from this process, within `timeout` s: its doc or {"unavailable": why}."""
    inherited = mapped_file_pages()
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: answer once, then leave without the parent's exit handlers
        os.close(read)
        _child(write, keep, lambda: measure(module, name, device, batch, steps, threads,
                                            peer_options, inherited))
    os.close(write)
    data, complete = _read_until(read, time.monotonic() + timeout)
    os.close(read)
    if not complete:
        os.kill(pid, signal.SIGKILL)
    status = os.waitpid(pid, 0)[1]
    if not complete:
        return {"unavailable": "no answer within %d s (--peer-timeout); stopped" % timeout}
    if not data:
        return {"unavailable": "its process was killed by %s" % signal.Signals(os.WTERMSIG(status)).name
                if os.WIFSIGNALED(status) else
                "its process exited with status %d and no answer" % os.WEXITSTATUS(status)}
    kind, value = pickle.loads(data)
    return value if kind == "ok" else {"unavailable": "raised %s" % value}


def _child(write, keep, work):
    try:
        if keep is not None:
            os.close(keep.fileno())  # the probe process's message stream is not the child's
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        _die_with_parent()
        answer = ("ok", work())
    except BaseException as err:  # noqa: BLE001  (sent to the probe process)
        answer = ("error", "%s: %s" % (type(err).__name__, err))
    try:
        os.write(write, pickle.dumps(answer))
    finally:
        os._exit(0)


def _die_with_parent():
    """Linux: this process gets SIGKILL when its parent (the probe process) ends."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def mapped_file_pages():
    """[(address, pages)]: runs of this process's file-backed pages mapped now (/proc/self/pagemap).

    Why: a fork copies the parent's page tables for its private memory but not for
    its file mappings (the shared libraries' code and data), which the child faults
    in again as it touches them. Those faults would count in the child's peak the
    code its framework's import had already used, ~9 MiB of TensorFlow's for a
    step as small as the MLP's (a new process had them before its baseline).
    """
    import numpy as np

    page, runs = os.sysconf("SC_PAGE_SIZE"), []
    with open("/proc/self/maps") as maps, open("/proc/self/pagemap", "rb") as pagemap:
        for line in maps.read().splitlines():
            fields = line.split()
            # Readable file mappings; not devices (a driver's mapped registers are not memory).
            if len(fields) < 6 or not fields[5].startswith("/") or fields[5].startswith("/dev/") \
                    or not fields[1].startswith("r"):
                continue
            start, end = (int(v, 16) for v in fields[0].split("-"))
            pagemap.seek(start // page * 8)
            present = np.frombuffer(pagemap.read((end - start) // page * 8), np.uint64) >> 63
            edges = np.flatnonzero(np.diff(np.concatenate([[0], present, [0]]).astype(np.int8)))
            runs += [(start + int(a) * page, int(b - a)) for a, b in zip(edges[::2], edges[1::2])]
    return runs


def map_again(runs):
    """Read one byte of every page of `runs`: each page is mapped into this process again."""
    import numpy as np

    page = os.sysconf("SC_PAGE_SIZE")
    for address, pages in runs:
        np.frombuffer((ctypes.c_ubyte * (pages * page)).from_address(address), np.uint8)[::page].max()


def _read_until(fd, deadline):
    """(bytes read from `fd` until its end or `deadline`, whether the end was reached)."""
    chunks = []
    while True:
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([fd], [], [], left)[0]:
            return b"".join(chunks), False
        chunk = os.read(fd, 1 << 20)
        if not chunk:
            return b"".join(chunks), True
        chunks.append(chunk)


# ---------------------------------------------------------------------------
# tfcore's probe
# ---------------------------------------------------------------------------

def preload():
    """What tfcore's probe imports once, in the probe process (its children inherit it)."""
    import tensorflow  # noqa: F401

    import benchmarks.timing  # noqa: F401  (tfcore, the models' builders)


def warm_runtime(device):
    """TensorFlow's session runtime started by one tiny session run: the probe's baseline."""
    import tensorflow as tf

    import tfcore

    graph = tfcore.new_graph()
    with graph.as_default(), tf.device(device):
        product = tf.matmul(tf.ones((4, 4)), tf.ones((4, 4)))
    with tfcore.session(graph=graph) as session:
        session.run(product)


class Peer:
    """tfcore's step behind the peer interface, for its probe (built at the first step)."""

    framework, paths, build_seconds = "tfcore", ("session.run (feed_dict)",), 0.0

    def __init__(self, name, device, batch_size, seed=0, jit_compile=False, precision="float32",
                 params=None, length=None):
        from benchmarks.params import make_params

        flags = dict(params or {}, model=name, peer="none", feed="feed_dict", json="",
                     markdown="", plot="", memory=False, sweep="", overwrite=False)
        self.name, self.device, self.params = name, device, make_params(**flags)
        self.params.length = length
        self.forward_only = get(name).forward_only
        self.bench = None

    def step_once(self, xb, yb):
        if self.bench is None:
            from benchmarks.timing import TfcoreBench

            self.bench = TfcoreBench(self.name, self.device, self.params, xb, yb)
        self.bench.step()


if __name__ == "__main__":
    # Serve from the importable module, not __main__, as benchmarks/isolated.py does.
    from benchmarks import memory

    sys.exit(memory.serve(sys.argv[1:]))
