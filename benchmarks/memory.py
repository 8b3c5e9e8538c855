"""Peak host memory of a training step, measured the same way for every framework.

Each framework's model is built and stepped in a fresh process of its own
(`benchmarks/isolated.py`), because a process's memory is only attributable
when nothing else lives in it: tfcore and tf-keras share one TensorFlow
runtime in the timing process, and an allocator keeps what it once held.

In that process, after the imports, the data and one tiny op that starts the
framework's runtime (its thread pools and kernel libraries: `warm_runtime`):

    baseline = the resident set (VmRSS) now; the high-water mark (VmHWM) reset to it
    build the model, run the warm-up and the timed step count (--warmup, min(--steps, 3)),
        each step from host NumPy batches (tfcore: session.run fed; tf-keras:
        train_on_batch; PyTorch: its step)
    peak_bytes = VmHWM - baseline

so `peak_bytes` is everything the step needs beyond the framework's import:
weights, optimizer slots, activations and gradients at the step's peak, the
runtime's buffers, caches and compiled code, and the allocator's slack.
`per_sample_bytes` is peak_bytes / batch: an upper bound of the memory one more
sample costs (the fixed part, weights and runtime, is spread over the batch);
a batch sweep (`--sweep batch=...`) shows the slope.

Limits: host memory only (a GPU's memory is not counted); RSS counts pages
touched, so memory allocated but never written is not seen, and memory the
allocator returned to the system before the peak is seen only at its peak;
where /proc/self/clear_refs is missing (not Linux) the method falls back to
ru_maxrss, the peak since process start, imports included, and says so. A
framework whose probe fails (it crashed, was stopped at the deadline, or
raised) gets `{"unavailable": why}` in its rows instead of figures.
"""

from benchmarks.isolated import IsolatedPeer, PeerFailed
from benchmarks.registry import get

# framework -> (the module whose Peer the probe builds, environment for its process)
PROBES = {"tfcore": ("benchmarks.memory", {}),
          "tf-keras": ("benchmarks.peers", {"TF_USE_LEGACY_KERAS": "1"}),
          "pytorch": ("benchmarks.torch_peer", {})}
MEASURED_STEPS = 3  # timed steps after the warm-up (at most --steps)


def flag_values(params):
    """The flags of `params` (no derived fields): what `make_params` rebuilds them from."""
    from benchmarks.params import FLAGS
    return {f.name: getattr(params, f.name) for f in FLAGS}


def probe(framework, name, device, params, data):
    """{peak_bytes, per_sample_bytes, baseline_bytes, method} of `framework`'s step, or
    {"unavailable": why}."""
    module, env = PROBES[framework]
    batch = params.batch_for(name)
    x, y = data
    options = dict(seed=params.seed, jit_compile=params.xla, precision=params.precision)
    if params.length:
        options["length"] = params.length
    if framework == "tfcore":
        options["params"] = flag_values(params)
    try:
        peer = IsolatedPeer(module, name, device, batch, timeout=params.peer_timeout, env=env,
                            threads=params.intra_op_threads, label="%s memory probe" % framework,
                            **options)
    except PeerFailed as err:
        return {"unavailable": str(err)}
    try:
        rows = 1 if get(name).single_batch else batch
        for i in range(max(params.warmup, 1) + min(params.steps, MEASURED_STEPS)):
            start = (i * rows) % max(len(x) - rows + 1, 1)
            peer.step_once(x[start:start + rows], None if y is None else y[start:start + rows])
        doc = peer.memory()
    except PeerFailed as err:
        return {"unavailable": str(err)}
    finally:
        peer.close()
    doc["per_sample_bytes"] = doc["peak_bytes"] / batch
    return doc


def attach(entries, name, device, params, data):
    """Each entry's `memory`: its framework's probe (one probe per framework, run once)."""
    found = {}
    for entry in entries:
        framework = entry["framework"]
        if framework not in found:
            found[framework] = probe(framework, name, device, params, data) \
                if framework in PROBES else {"unavailable": "no memory probe for %s" % framework}
        entry["memory"] = found[framework]


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
    """tfcore's step behind the peer interface, for its probe's process (built at the first step)."""

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
