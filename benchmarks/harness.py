"""The benchmark harness: build each model once per device, time its training step, report.

Method (after tf_cnn_benchmarks):

* Each model's training graph is built once per device, inside a `tf.device`
  block (the model builders' `device=`), in its own graph and session.
* The data is already in host memory as NumPy arrays before timing starts
  (synthetic arrays shaped like each model's data, or the staged datasets).
* `--warmup` steps run untimed (graph optimisation, memory allocation).
* Only the session run of the training step is timed: one `perf_counter()`
  pair around each run, with the batch fed from host NumPy (`--feed`:
  `feed_dict`, `Session.make_callable` with the same feed, or a `tf.data`
  iterator over the same arrays). Every step's time is kept.
* tfcore and the tf-keras peer alternate in blocks of `--steps` steps,
  A B A B for `--rounds` rounds, so that drift in the machine's speed (other
  processes, clock boost) hits both sides.
* Statistics per (model, device, framework, path): median, quartiles and
  interquartile range, min, max; samples/s = batch / median step;
  GFLOP/s = analytic training FLOPs per step (`flops.py`) / median step;
  percent of the matmul peak measured in the same run on the same device.
* Ratios: tfcore / tf-keras samples per second, against the peer's faster
  path (lower median of `train_on_batch` and `fit`), as the median, min and
  max of the per-round ratios. With a GPU present, the GPU / CPU speed-up the
  same way.
* Each side's time to first step (build + session/compile + first step) and
  the wall time of one epoch (`train.fit`, the bare step loop and, for
  dispatch-bound models, the epoch in one session run for tfcore; `model.fit`
  for the peer; the CNNs' 60,000-image epoch is capped at `EPOCH_STEPS_CAP`
  steps, see `epoch_rows`; the JSON records the epoch's size).

`run(params)` returns the result document (the JSON's content, fields in
`JSON_FIELDS` below) and `write_outputs` writes JSON, Markdown and the chart.
"""

import json
import os
import pathlib
import platform
import sys
import time

import numpy as np
import tensorflow as tf

import tfcore
from benchmarks import flops as flops_lib
from benchmarks.params import EPOCH_SAMPLES
from tfcore import train
from tfcore.data import synthetic_like

SCHEMA = "tfcore-benchmark/1"
EPOCH_STEPS_CAP = 16  # the CNNs' 60,000-image epoch (235 steps) would take minutes per side
# Models whose step is dispatch-bound, where a whole epoch in one session run is worth
# measuring (the CNNs' steps are arithmetic; their loop graph would only cost build time).
IN_GRAPH_EPOCH_MODELS = ("lstm_temperature", "mlp", "logistic_regression")

# The documented fields of the JSON document (tests check them).
JSON_FIELDS = {
    "schema": "the format's name and version",
    "command": "the command line that produced the file",
    "environment": "TF version and build info, CPU, cores, threads, oneDNN and Keras switches, load",
    "params": "every parameter of the run",
    "devices": "the devices benchmarked",
    "skipped": "devices asked for but absent, with why",
    "peak": "per device: measured float32 matmul peak (TF and NumPy), GFLOP/s",
    "results": "one entry per (model, device, framework, path); see RESULT_FIELDS",
    "comparisons": "tfcore / tf-keras per model and device (median, min, max of per-round ratios)",
    "speedups": "GPU / CPU per model and framework, where both were run",
}
RESULT_FIELDS = {
    "model": "model name", "device": "device string", "framework": "tfcore or tf-keras",
    "path": "session.run (feed), train_on_batch, fit, predict_on_batch, predict",
    "batch_size": "rows per step", "step_times_s": "every timed step, seconds, in order",
    "round_medians_s": "the median of each A B A B block",
    "median_s": "median step time", "q1_s": "first quartile", "q3_s": "third quartile",
    "iqr_s": "q3 - q1", "min_s": "fastest step", "max_s": "slowest step",
    "samples_per_s": "batch_size / median_s",
    "train_flops_per_step": "analytic FLOPs per step (3x forward for training; forward for laplacian)",
    "gflops_per_s": "train_flops_per_step / median_s / 1e9",
    "percent_of_peak": "gflops_per_s / the device's TF matmul peak * 100",
    "first_step_s": "build + session or compile + first step, seconds",
    "epoch": "{samples, steps, seconds: [...], samples_per_s} of whole-epoch wall times (tfcore: "
             "tfcore.train.fit with --steps-per-run; tf-keras: model.fit), or null",
    "epoch_step_loop": "tfcore only: the same epoch as reset + the timed step function per batch",
    "epoch_in_graph": "tfcore only (LSTM, MLP, logistic regression): the same epoch as one session "
                      "run of a tf.while_loop over the step, data as graph constants; or null",
    "graph_ops_per_step": "tfcore only: ops the step's fetches depend on (before Grappler)",
    "cores_busy": "tfcore only: median process CPU seconds per step / median wall seconds",
    "forward_flops_per_layer": "tfcore only: analytic forward FLOPs by layer (name scope)",
    "profiler_forward_flops": "tfcore only: tf.compat.v1.profiler's float_ops for the forward "
                              "Conv2D/MatMul/BiasAdd ops (fixed-batch graphs; null where the "
                              "batch is None); equals their analytic count (else a warning)",
}


# ---------------------------------------------------------------------------
# Environment
# ---------------------------------------------------------------------------

def cpu_model():
    try:
        for line in pathlib.Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def environment(params):
    """What a reader needs to interpret the figures."""
    info = dict(tf.sysconfig.get_build_info())
    try:
        import importlib.metadata as md
        keras_version = md.version("tf-keras")
    except Exception:  # noqa: BLE001  (not installed)
        keras_version = None
    return {
        "tensorflow": tf.__version__,
        "build": {k: info.get(k) for k in ("is_cuda_build", "is_rocm_build", "cuda_version",
                                           "cudnn_version") if k in info},
        "tf_keras": keras_version,
        "python": platform.python_version(),
        "numpy": np.__version__,
        "cpu": cpu_model(),
        "cores": os.cpu_count(),
        "intra_op_threads": params.intra_op_threads,
        "inter_op_threads": params.inter_op_threads,
        "TF_ENABLE_ONEDNN_OPTS": os.environ.get("TF_ENABLE_ONEDNN_OPTS"),
        "onednn_set_by": os.environ.get("TFCORE_BENCH_ONEDNN_SOURCE", "environment"),
        "TF_USE_LEGACY_KERAS": os.environ.get("TF_USE_LEGACY_KERAS"),
        "TF_XLA_FLAGS": os.environ.get("TF_XLA_FLAGS"),
        "gpus": [d.name for d in tf.config.list_physical_devices("GPU")],
        "load_average": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
        "time": time.strftime("%Y-%m-%dT%H:%M:%S"),
    }


def header(env, params, devices, skipped):
    b = env["build"]
    lines = [
        "tfcore benchmarks: TensorFlow %s (CUDA build: %s, CUDA %s, cuDNN %s), tf-keras %s, Python %s"
        % (env["tensorflow"], b.get("is_cuda_build"), b.get("cuda_version") or "-",
           b.get("cudnn_version") or "-", env["tf_keras"] or "not installed", env["python"]),
        "CPU: %s, %s cores; threads intra/inter %s/%s (0 = TF's choice); GPUs: %s"
        % (env["cpu"], env["cores"], env["intra_op_threads"], env["inter_op_threads"],
           ", ".join(env["gpus"]) or "none"),
        "oneDNN: TF_ENABLE_ONEDNN_OPTS=%s (%s; read when TensorFlow is imported); "
        "TF_USE_LEGACY_KERAS=%s (%s); XLA %s" % (
            env["TF_ENABLE_ONEDNN_OPTS"] or "unset", env["onednn_set_by"],
            env["TF_USE_LEGACY_KERAS"] or "unset",
            "set by run.py for the tf-keras peer" if params.peer == "keras" else "no peer",
            "on" if params.xla else "off"),
        "Devices: %s%s; load average %s" % (", ".join(devices), "".join(
            "; skipped %s (%s)" % s for s in skipped),
            " ".join("%.2f" % v for v in env["load_average"] or [])),
        "Method: warm-up %d steps excluded; %d rounds x %d timed steps per side, A B A B; only the "
        "session run (tf-keras: the call) is timed, data already in host memory (%s data, feed %s)"
        % (params.warmup, params.rounds, params.steps, params.data, params.feed),
    ]
    return "\n".join(lines)


def configure_threads(params):
    """Thread pools for the eager runtime (the tf-keras peer); sessions get theirs from the config."""
    try:
        if params.intra_op_threads:
            tf.config.threading.set_intra_op_parallelism_threads(params.intra_op_threads)
        if params.inter_op_threads:
            tf.config.threading.set_inter_op_parallelism_threads(params.inter_op_threads)
    except RuntimeError:
        pass  # the runtime is already initialised (library use after other TF work)


def select_devices(params):
    """(devices to run, skipped [(what, why)]); raises ValueError naming the devices TF sees."""
    spec = params.device
    present = tfcore.available_devices(params.cpu_devices)
    if spec in (None, "all"):
        skipped = []
        if not any("GPU" in d for d in present):
            skipped.append(("gpu", "TensorFlow sees no GPU; devices here: %s. For GPU support "
                            "install `pip install 'tensorflow[and-cuda]'`" % ", ".join(present)))
        return present, skipped
    return [tfcore.resolve_device(spec, params.cpu_devices)], []


def session_config(params):
    # CPU towers run on logical CPU devices, which the session has to expose.
    return tfcore.session_config(intra_op_threads=params.intra_op_threads,
                                 inter_op_threads=params.inter_op_threads, xla=params.xla,
                                 cpu_devices=max(params.cpu_devices, params.towers))


# ---------------------------------------------------------------------------
# The matmul peak
# ---------------------------------------------------------------------------

def matmul_peak(device, params, repeats=5):
    """Float32 n x n matmul rate on `device` in a session (and NumPy's on the host), GFLOP/s."""
    n = params.peak_size
    flops = 2.0 * n ** 3
    graph = tfcore.new_graph(seed=params.seed)
    with graph.as_default(), tf.device(device):
        a = tfcore.variable(tf.random.uniform((n, n)), name="a")
        b = tfcore.variable(tf.random.uniform((n, n)), name="b")
        product = tf.matmul(a, b)
        init = tf.compat.v1.global_variables_initializer()
    times = []
    with tfcore.session(graph=graph, config=session_config(params)) as sess:
        sess.run(init)
        sess.run(product.op)  # warm-up
        for _ in range(repeats):
            began = time.perf_counter()
            sess.run(product.op)  # run the op, fetch nothing: no copy of the result
            times.append(time.perf_counter() - began)
    rng = np.random.RandomState(params.seed)
    x, y = rng.rand(n, n).astype(np.float32), rng.rand(n, n).astype(np.float32)
    x @ y
    np_times = []
    for _ in range(repeats):
        began = time.perf_counter()
        x @ y
        np_times.append(time.perf_counter() - began)
    return {"size": n, "tf_times_s": times, "numpy_times_s": np_times,
            "tf_gflops": flops / min(times) / 1e9, "numpy_gflops": flops / min(np_times) / 1e9,
            "tf_gflops_median": flops / float(np.median(times)) / 1e9}


def merge_peaks(before, after):
    """One peak record from two measurements: all the times, rates from the fastest."""
    n = before["size"]
    flops = 2.0 * n ** 3
    tf_times = before["tf_times_s"] + after["tf_times_s"]
    np_times = before["numpy_times_s"] + after["numpy_times_s"]
    return {"size": n, "tf_times_s": tf_times, "numpy_times_s": np_times,
            "tf_gflops": flops / min(tf_times) / 1e9, "numpy_gflops": flops / min(np_times) / 1e9,
            "tf_gflops_median": flops / float(np.median(tf_times)) / 1e9}


# ---------------------------------------------------------------------------
# Data
# ---------------------------------------------------------------------------

def load_data(name, rows, params):
    """(x, y) host arrays with at least `rows` rows (y is None for the Laplacian)."""
    if params.data == "synthetic":
        key = "mnist_cnn" if name.startswith("mnist_cnn") else name
        return synthetic_like(key, rows if name != "laplacian" else 1, seed=params.seed)
    if name.startswith("mnist_cnn"):
        from models.mnist_cnn import load
        (x, y), _ = load()
    elif name == "lstm_temperature":
        from models.lstm_temperature import prepare
        split = prepare()[-1]
        x, y = split["x_train"], split["y_train"]
    elif name in ("mlp", "logistic_regression"):
        from tfcore.data import classification
        (x, y), _ = classification("mlp" if name == "mlp" else "logistic")
    else:
        from tfcore.data import load_face
        return load_face(gray=True).astype(np.float32)[None, :, :, None], None
    x, y = x.astype(np.float32), y.astype(np.float32)
    if len(x) < rows:  # repeat the data to fill the timed batches
        x, y = np.resize(x, (rows,) + x.shape[1:]), np.resize(y, (rows,) + y.shape[1:])
    return x, y


def epoch_rows(name, params):
    """Rows of the measured epoch: the chapter's epoch, the CNNs' capped (see EPOCH_STEPS_CAP)."""
    batch = params.batch_for(name)
    rows = EPOCH_SAMPLES[name] // batch * batch
    if name.startswith("mnist_cnn"):
        rows = min(rows, EPOCH_STEPS_CAP * batch)
    return max(rows, batch)


# ---------------------------------------------------------------------------
# tfcore's side
# ---------------------------------------------------------------------------

class _ForwardGraph:
    """The Laplacian as a TrainGraph-like object: its 'step' is the forward op."""

    def __init__(self, graph, image, output, init):
        self.graph, self.inputs, self.targets, self.training = graph, image, None, None
        self.loss, self.train_op, self.metrics, self.init_op = output, None, {}, init
        self.reset_ops = []


def build_tfcore(name, device, params):
    """The tfcore model `name` built on `device`: a TrainGraph (or the Laplacian's forward graph)."""
    batch = params.batch_for(name)
    if name in ("mnist_cnn", "mnist_cnn_bn"):
        from models import mnist_cnn
        return mnist_cnn.build(batchnorm=name == "mnist_cnn_bn", seed=params.seed, device=device,
                               batch_size=batch, fused_batchnorm=params.fused_batchnorm,
                               towers=params.towers)
    if name == "lstm_temperature":
        from models import lstm_temperature
        return lstm_temperature.build(batch_size=batch, seed=params.seed, device=device,
                                      implementation=params.lstm_implementation)
    if name == "mlp":
        from models import mlp
        return mlp.build(features=3, seed=params.seed, device=device)
    if name == "logistic_regression":
        from models import logistic_regression
        return logistic_regression.build(features=2, seed=params.seed, device=device)
    if name == "laplacian":
        from models import laplacian
        graph, image, _, through_layer, init = laplacian.build(device=device)
        return _ForwardGraph(graph, image, through_layer, init)
    raise ValueError("unknown model %r" % name)


class TfcoreBench:
    """One tfcore model on one device: a session, its step function, timing."""

    def __init__(self, name, device, params, x, y):
        began = time.perf_counter()
        self.name, self.device, self.params = name, device, params
        self.batch = params.batch_for(name)
        self.model = build_tfcore(name, device, params)
        self.forward_only = self.model.train_op is None
        m = self.model
        fetches = [m.loss] if self.forward_only else [m.train_op, m.loss] + list(m.metrics.values())
        forward, self.flops_per_layer = flops_lib.forward_flops(m.loss, batch=self.batch,
                                                                per_layer=True)
        self.flops = forward * (1 if self.forward_only else flops_lib.TRAINING_MULTIPLIER)
        self.profiler_forward_flops = None  # filled by check_flops(), outside the timed build
        self.x, self.y = x, y
        self.cursor = 0
        self.cpu_times = []
        self._fit_warm = False  # time_epoch's loop graph has run once
        self.reset_ops = m.reset_ops
        if params.feed == "dataset":
            self._build_dataset_step(fetches)  # the imported graph has its own reset ops
        else:
            self.session = tfcore.session(graph=m.graph, config=session_config(params))
            if isinstance(m, train.TrainGraph):
                train.initialize(m, self.session)
            else:
                self.session.run(m.init_op)
            feeds = [m.inputs] + ([m.targets] if m.targets is not None else [])
            self.feed_list = feeds
            extra = {m.training: True} if m.training is not None else {}
            if params.feed == "callable":
                run = self.session.make_callable(fetches, feed_list=feeds)
                if extra:
                    # make_callable feeds only its feed_list; the training switch is a fed
                    # placeholder_with_default, so pass it as a feed too.
                    run = self.session.make_callable(fetches, feed_list=feeds + list(extra))
                    self._run = lambda *batch: run(*batch, True)
                else:
                    self._run = run
            else:
                self._run = lambda *batch: self.session.run(fetches, {**dict(zip(feeds, batch)), **extra})
        # Ops the step depends on, before Grappler rewrites them: what one session run dispatches.
        self.graph_ops = len(flops_lib.forward_ops(fetches))
        self.build_seconds = time.perf_counter() - began

    def check_flops(self):
        """tf.compat.v1.profiler's count of the forward Conv2D/MatMul/BiasAdd ops (see below)."""
        self.profiler_forward_flops = self._profiler_check()

    def _profiler_check(self):
        """tf.compat.v1.profiler's count of the same forward ops (None if a batch is not fixed).

        The analytic count must equal it; a mismatch is reported, not hidden.
        """
        # The profiler has no FLOP count for BlockLSTM: compare the op types it knows.
        counted = [op for op in flops_lib.forward_ops(self.model.loss)
                   if op.type in ("Conv2D", "MatMul", "BiasAdd")]
        if any(flops_lib.op_flops(op) is None for op in counted):
            return None  # a None batch dimension: the profiler cannot count it either
        analytic = sum(flops_lib.op_flops(op) for op in counted)
        profiled = flops_lib.profiler_flops(self.model.graph, [op.name for op in counted])
        if profiled != analytic:
            print("warning: %s: analytic conv/matmul/bias FLOPs %d != profiler's %d"
                  % (self.name, analytic, profiled), file=sys.stderr)
        return profiled

    def _build_dataset_step(self, fetches):
        # Re-import the model's graph with a tf.data iterator in place of the placeholders
        # (public API: import_graph_def with input_map), so the builders stay unchanged.
        m = self.model
        graph_def = m.graph.as_graph_def()
        graph = tf.Graph()
        graph.seed = m.graph.seed
        with graph.as_default():
            arrays = (self.x,) if m.targets is None else (self.x, self.y)
            n = len(self.x) // self.batch * self.batch if len(self.x) >= self.batch else len(self.x)
            data = tf.data.Dataset.from_tensor_slices(tuple(a[:n] for a in arrays))
            data = data.batch(self.batch, drop_remainder=True).repeat().prefetch(2)
            batch = tf.compat.v1.data.make_one_shot_iterator(data).get_next()
            if self.name == "laplacian":
                batch = (tf.reshape(batch[0], m.inputs.shape),)
            input_map = {m.inputs.name: batch[0]}
            if m.targets is not None:
                input_map[m.targets.name] = batch[1]
            if m.training is not None:
                input_map[m.training.name] = tf.constant(True)
            tf.graph_util.import_graph_def(graph_def, input_map=input_map, name="model")
        lookup = lambda t: graph.as_graph_element("model/" + t.name)  # noqa: E731
        self.session = tfcore.session(graph=graph, config=session_config(self.params))
        self.session.run(lookup(m.init_op))
        imported = [lookup(f) for f in fetches]
        self._run = lambda *unused: self.session.run(imported)
        self.reset_ops = [lookup(op) for op in m.reset_ops]

    def next_batch(self):
        b = self.batch
        if self.cursor + b > len(self.x):
            self.cursor = 0
        rows = slice(self.cursor, self.cursor + b)
        self.cursor += b
        if self.name == "laplacian":
            return (self.x[0, :, :, 0],)
        return (self.x[rows],) if self.y is None else (self.x[rows], self.y[rows])

    def step(self):
        """One untimed step (warm-up)."""
        self._run(*self.next_batch())

    def time_steps(self, steps):
        """Wall seconds of each of `steps` steps (and, in `self.cpu_times`, process CPU seconds)."""
        times = []
        for _ in range(steps):
            batch = self.next_batch()
            cpu = time.process_time()
            began = time.perf_counter()
            self._run(*batch)
            times.append(time.perf_counter() - began)
            self.cpu_times.append(time.process_time() - cpu)
        return times

    def time_epoch(self, x, y):
        """Wall seconds of one epoch as users run it: `tfcore.train.fit` (no shuffle, no bar).

        `--steps-per-run` is fit's `steps_per_run` (0: the epoch's batches, one run per
        epoch). The first call with N > 1 runs one untimed epoch: the first run of the
        loop graph builds and optimises it, as the untimed warm-up steps do for the step.
        """
        if self.forward_only or self.params.feed == "dataset":
            return None
        steps_per_run = self.params.steps_per_run or max(len(x) // self.batch, 1)
        settings = dict(epochs=1, batch_size=self.batch, shuffle=False, progress=False,
                        seed=self.params.seed, steps_per_run=steps_per_run)
        if steps_per_run > 1 and not self._fit_warm:
            train.fit(self.model, self.session, x, y, **settings)
            self._fit_warm = True
        began = time.perf_counter()
        train.fit(self.model, self.session, x, y, **settings)
        return time.perf_counter() - began

    def time_epoch_fast(self, x, y):
        """Wall seconds of one epoch as this harness steps: reset, then the step function per batch."""
        if self.forward_only:
            return None
        began = time.perf_counter()
        if self.reset_ops:
            self.session.run(self.reset_ops)
        b = self.batch
        for start in range(0, len(x) - b + 1, b):
            self._run(x[start:start + b], y[start:start + b])
        return time.perf_counter() - began

    def build_epoch_in_graph(self, x, y):
        """One session run per epoch: the training step imported into a `tf.while_loop` body.

        The epoch's batches are constants in the graph (data already in device memory);
        iteration k gathers batch k and runs the step's ops (extracted from the model's
        graph: the ancestors of the train op and the loss, with `training` mapped to True).
        Variables are the imported model's own (resource handles by name), so the loop's
        steps update them one after the other; the body's output depends on the train
        op, which orders iteration k + 1 after iteration k. Returns the mean loss.
        """
        m, b = self.model, self.batch
        steps = len(x) // b
        graph_def = m.graph.as_graph_def()
        step_def = train.sub_graph_def(graph_def, [m.train_op.name, m.loss.op.name])
        graph = tf.Graph()
        graph.seed = m.graph.seed
        with graph.as_default(), tf.device(self.device):
            tf.graph_util.import_graph_def(graph_def, name="model")  # variables, init, reset
            xs = tf.constant(x[:steps * b].reshape((steps, b) + x.shape[1:]))
            ys = tf.constant(y[:steps * b].reshape((steps, b) + y.shape[1:]))

            def body(i, total):
                input_map = {m.inputs.name: tf.gather(xs, i), m.targets.name: tf.gather(ys, i)}
                if m.training is not None:
                    input_map[m.training.name] = tf.constant(True)
                loss, step = tf.graph_util.import_graph_def(
                    step_def, input_map=input_map, return_elements=[m.loss.name, m.train_op.name],
                    name="step")
                with tf.control_dependencies([step]):
                    return i + 1, total + loss

            _, total = tf.while_loop(lambda i, total: i < steps, body,
                                     [tf.constant(0), tf.constant(0.0, m.loss.dtype)])
            epoch_loss = total / steps
        lookup = lambda t: graph.as_graph_element("model/" + t.name)  # noqa: E731
        session = tfcore.session(graph=graph, config=session_config(self.params))
        session.run(lookup(m.init_op))
        reset = [lookup(op) for op in m.reset_ops]
        self._epoch_graph = (session, reset, epoch_loss)
        return session, reset, epoch_loss

    def time_epoch_in_graph(self):
        """Wall seconds of one epoch in one session run (plus one for the reset ops)."""
        session, reset, epoch_loss = self._epoch_graph
        began = time.perf_counter()
        if reset:
            session.run(reset)
        session.run(epoch_loss)
        return time.perf_counter() - began

    def close(self):
        self.session.close()
        if getattr(self, "_epoch_graph", None):
            self._epoch_graph[0].close()


# ---------------------------------------------------------------------------
# Statistics and the run
# ---------------------------------------------------------------------------

def summarize(times, batch, flops, peak_gflops):
    t = np.asarray(times, dtype=np.float64)
    q1, median, q3 = np.percentile(t, [25, 50, 75])
    gflops = flops / median / 1e9 if flops else None
    return {"median_s": float(median), "q1_s": float(q1), "q3_s": float(q3), "iqr_s": float(q3 - q1),
            "min_s": float(t.min()), "max_s": float(t.max()), "samples_per_s": batch / float(median),
            "train_flops_per_step": int(flops) if flops else None, "gflops_per_s": gflops,
            "percent_of_peak": 100.0 * gflops / peak_gflops if gflops and peak_gflops else None}


def _entry(name, device, framework, path, batch, rounds, flops, peak, first_step=None, epoch=None):
    times = [t for block in rounds for t in block]
    entry = {"model": name, "device": device, "framework": framework, "path": path,
             "batch_size": batch, "step_times_s": times,
             "round_medians_s": [float(np.median(b)) for b in rounds]}
    entry.update(summarize(times, batch, flops, peak))
    entry["first_step_s"] = first_step
    entry["epoch"] = epoch
    return entry


def _epoch_doc(rows, batch, seconds):
    seconds = [s for s in seconds if s is not None]
    if not seconds:
        return None
    return {"samples": rows, "steps": rows // batch, "seconds": seconds,
            "samples_per_s": rows / float(np.median(seconds))}


def bench_model(name, device, params, peak, peer_module=None, say=print):
    """Time model `name` on `device` (and its peer, alternating); return result entries."""
    batch = params.batch_for(name)
    rows = max(epoch_rows(name, params), batch * (params.steps + params.warmup))
    x, y = load_data(name, rows, params)
    x_epoch = x[:epoch_rows(name, params)]
    y_epoch = None if y is None else y[:epoch_rows(name, params)]
    began = time.perf_counter()
    ours = TfcoreBench(name, device, params, x, y)
    ours.step()
    first_step = time.perf_counter() - began
    ours.check_flops()
    for _ in range(max(params.warmup - 1, 0)):
        ours.step()
    peer = None
    if peer_module is not None:
        peer = peer_module.KerasPeer(name, device, batch, seed=params.seed, jit_compile=params.xla)
        peer_first = peer.first_step(x, y)
        for _ in range(max(params.warmup - 1, 0)):
            peer.step_once(x[:batch], None if y is None else y[:batch])
        peer.time_fit(x, y, max(params.warmup, 2))  # trace fit's own step function
    rounds = {"tfcore": [], "train_on_batch": [], "fit": []}
    epochs = {"tfcore": [], "tfcore_fast": [], "tfcore_in_graph": [], "keras": []}
    in_graph = (params.epoch and not ours.forward_only and name in IN_GRAPH_EPOCH_MODELS
                and params.feed != "dataset")
    if in_graph:
        ours.build_epoch_in_graph(x_epoch, y_epoch)
        ours.time_epoch_in_graph()  # warm-up: the first run optimises the loop graph
    for _ in range(params.rounds):
        rounds["tfcore"].append(ours.time_steps(params.steps))
        if peer is not None:
            rounds["train_on_batch"].append(peer.time_train_on_batch(x, y, params.steps))
            rounds["fit"].append(peer.time_fit(x, y, params.steps)[0])
        if params.epoch and not ours.forward_only:
            epochs["tfcore"].append(ours.time_epoch(x_epoch, y_epoch))
            epochs["tfcore_fast"].append(ours.time_epoch_fast(x_epoch, y_epoch))
            if in_graph:
                epochs["tfcore_in_graph"].append(ours.time_epoch_in_graph())
            if peer is not None:
                epochs["keras"].append(peer.time_epoch(x_epoch, y_epoch))
    ours.close()
    peak_gflops = peak["tf_gflops"] if peak else None
    flops = ours.flops
    path = "session.run (%s)" % params.feed
    entries = [_entry(name, device, "tfcore", path, batch, rounds["tfcore"], flops, peak_gflops,
                      first_step, _epoch_doc(len(x_epoch), batch, epochs["tfcore"]))]
    entries[0]["epoch_step_loop"] = _epoch_doc(len(x_epoch), batch, epochs["tfcore_fast"])
    entries[0]["epoch_in_graph"] = _epoch_doc(len(x_epoch), batch, epochs["tfcore_in_graph"])
    entries[0]["graph_ops_per_step"] = ours.graph_ops
    entries[0]["forward_flops_per_layer"] = ours.flops_per_layer
    entries[0]["profiler_forward_flops"] = ours.profiler_forward_flops
    # CPU seconds per wall second: how many cores the step kept busy (2 = both, here).
    entries[0]["cores_busy"] = float(np.median(ours.cpu_times[-len(entries[0]["step_times_s"]):])
                                     / entries[0]["median_s"])
    if peer is not None:
        fwd = ours.forward_only
        entries.append(_entry(name, device, "tf-keras", "predict_on_batch" if fwd else "train_on_batch",
                              batch, rounds["train_on_batch"], flops, peak_gflops, peer_first))
        entries.append(_entry(name, device, "tf-keras", "predict" if fwd else "fit", batch,
                              rounds["fit"], flops, peak_gflops, None,
                              _epoch_doc(len(x_epoch), batch, epochs["keras"])))
    return entries


def compare(entries):
    """tfcore / tf-keras samples-per-second ratios per (model, device), against the faster peer path."""
    out = []
    keys = {(e["model"], e["device"]) for e in entries}
    for model, device in sorted(keys):
        group = [e for e in entries if e["model"] == model and e["device"] == device]
        ours = [e for e in group if e["framework"] == "tfcore"]
        peers = [e for e in group if e["framework"] == "tf-keras"]
        if not ours or not peers:
            continue
        best = min(peers, key=lambda e: e["median_s"])
        per_round = [p / o for o, p in zip(ours[0]["round_medians_s"], best["round_medians_s"])]
        doc = {"model": model, "device": device, "peer_path": best["path"],
               "ratio_median": float(np.median(per_round)), "ratio_min": float(min(per_round)),
               "ratio_max": float(max(per_round)), "ratio_per_round": per_round,
               "ratio_of_medians": best["median_s"] / ours[0]["median_s"]}
        ep, pe = ours[0]["epoch"], (best["epoch"] or next((p["epoch"] for p in peers if p["epoch"]), None))
        if ep and pe:
            doc["epoch_ratio"] = float(np.median(pe["seconds"]) / np.median(ep["seconds"]))
        for key in ("epoch_step_loop", "epoch_in_graph"):
            fast = ours[0].get(key)
            if fast and pe:
                doc[key + "_ratio"] = float(np.median(pe["seconds"]) / np.median(fast["seconds"]))
        if ours[0]["first_step_s"] and any(p["first_step_s"] for p in peers):
            doc["first_step_ratio"] = max(p["first_step_s"] or 0 for p in peers) / ours[0]["first_step_s"]
        out.append(doc)
    return out


def speedups(entries):
    """GPU / CPU speed-up per (model, framework, path) where both devices ran."""
    out = []
    for e in entries:
        if "GPU" not in e["device"]:
            continue
        cpu = [c for c in entries if "CPU" in c["device"] and c["model"] == e["model"]
               and c["framework"] == e["framework"] and c["path"] == e["path"]]
        if cpu:
            per_round = [c / g for c, g in zip(cpu[0]["round_medians_s"], e["round_medians_s"])]
            out.append({"model": e["model"], "framework": e["framework"], "path": e["path"],
                        "gpu": e["device"], "cpu": cpu[0]["device"],
                        "speedup_median": float(np.median(per_round)),
                        "speedup_min": float(min(per_round)), "speedup_max": float(max(per_round))})
    return out


def run(params, say=print, command=None):
    """Run the benchmark described by validated `params`; return the result document."""
    configure_threads(params)
    devices, skipped = select_devices(params)
    env = environment(params)
    say(header(env, params, devices, skipped))
    peer_module = None
    if params.peer == "keras":
        from benchmarks import peers as peer_module
    peaks, entries = {}, []
    for device in devices:
        peaks[device] = matmul_peak(device, params)
        say("%s: float32 %dx%d matmul peak %.1f GFLOP/s (TF, best of 5), %.1f (NumPy)"
            % (device, params.peak_size, params.peak_size, peaks[device]["tf_gflops"],
               peaks[device]["numpy_gflops"]))
        found = []
        for name in params.models:
            found += bench_model(name, device, params, peaks[device], peer_module, say)
            say("  %-20s %s" % (name, ", ".join("%s %s %.2f ms" % (e["framework"], e["path"],
                                                                 1e3 * e["median_s"]) for e in found
                                                 if e["model"] == name)))
        # A busy moment at the start would understate the peak (and overstate every
        # "% peak"): measure again after the models and keep the better of the two.
        peaks[device] = merge_peaks(peaks[device], matmul_peak(device, params))
        say("%s: matmul peak measured again after the models: %.1f GFLOP/s (TF, best of 10)"
            % (device, peaks[device]["tf_gflops"]))
        for entry in found:
            entry.update(summarize(entry["step_times_s"], entry["batch_size"],
                                   entry["train_flops_per_step"], peaks[device]["tf_gflops"]))
        entries.extend(found)
    doc = {"schema": SCHEMA, "command": command or " ".join(sys.argv),
           "environment": env, "params": params.as_dict(), "devices": devices,
           "skipped": [{"device": d, "why": why} for d, why in skipped], "peak": peaks,
           "results": entries, "comparisons": compare(entries), "speedups": speedups(entries)}
    return doc


# ---------------------------------------------------------------------------
# Output
# ---------------------------------------------------------------------------

def _fmt(v, spec):
    return "-" if v is None else spec % v


def table_rows(doc):
    comps = {(c["model"], c["device"]): c for c in doc["comparisons"]}
    rows = []
    for e in doc["results"]:
        c = comps.get((e["model"], e["device"])) if e["framework"] == "tfcore" else None
        ratio = None if c is None else "%.2f (%.2f-%.2f)" % (c["ratio_median"], c["ratio_min"], c["ratio_max"])
        epoch_ratio = None
        if c is not None and "epoch_ratio" in c:
            epoch_ratio = " / ".join("%.2f" % c[k] if k in c else "-" for k in (
                "epoch_ratio", "epoch_step_loop_ratio", "epoch_in_graph_ratio"))
        epoch = e["epoch"]
        epoch_text = "-"
        if epoch:
            epoch_text = " / ".join(
                "%.3f" % float(np.median(d["seconds"])) if d else "-"
                for d in ([epoch] if e["framework"] != "tfcore"
                          else [epoch, e.get("epoch_step_loop"), e.get("epoch_in_graph")]))
            epoch_text += " (%d)" % epoch["samples"]
        rows.append([e["model"], e["device"].replace("/device:", ""), e["framework"], e["path"],
                     str(e["batch_size"]), "%.2f" % (1e3 * e["median_s"]),
                     "%.2f" % (1e3 * e["iqr_s"]),
                     "%.2f-%.2f" % (1e3 * e["min_s"], 1e3 * e["max_s"]),
                     "%.0f" % e["samples_per_s"], _fmt(e["gflops_per_s"], "%.2f"),
                     _fmt(e["percent_of_peak"], "%.1f"), _fmt(e["first_step_s"], "%.2f"),
                     epoch_text, ratio or "-", epoch_ratio or "-"])
    return rows


COLUMNS = ["model", "device", "framework", "path", "batch", "median ms", "IQR ms", "min-max ms",
           "samples/s", "GFLOP/s", "% peak", "1st step s", "epoch s: fit / loop / in-graph (samples)",
           "step x keras (min-max)", "epoch x keras: fit / loop / in-graph"]


def text_table(doc):
    rows = [COLUMNS] + table_rows(doc)
    widths = [max(len(r[i]) for r in rows) for i in range(len(COLUMNS))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths)) for r in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def markdown_table(doc):
    env = doc["environment"]
    out = ["Command: `%s`" % doc["command"], "",
           "TensorFlow %s, %s (%s cores), TF_ENABLE_ONEDNN_OPTS=%s, load average %s." % (
               env["tensorflow"], env["cpu"], env["cores"], env["TF_ENABLE_ONEDNN_OPTS"],
               " ".join("%.2f" % v for v in env["load_average"] or [])), ""]
    for device, peak in doc["peak"].items():
        out.append("Matmul peak on %s (float32 %d^2): %.1f GFLOP/s (TF), %.1f GFLOP/s (NumPy)."
                   % (device, peak["size"], peak["tf_gflops"], peak["numpy_gflops"]))
    out.append("")
    out.append("| " + " | ".join(COLUMNS) + " |")
    out.append("|" + "---|" * len(COLUMNS))
    for r in table_rows(doc):
        out.append("| " + " | ".join(r) + " |")
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


def write_outputs(doc, params, say=print):
    written = []
    for target, writer in ((params.json, lambda p: p.write_text(json.dumps(doc, indent=1) + "\n")),
                           (params.markdown, lambda p: p.write_text(markdown_table(doc))),
                           (params.plot, lambda p: plot(doc, p))):
        if target:
            path = pathlib.Path(target)
            path.parent.mkdir(parents=True, exist_ok=True)
            writer(path)
            written.append(str(path))
    if written:
        say("Wrote " + ", ".join(written))
    return written
