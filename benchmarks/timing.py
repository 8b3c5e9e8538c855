"""The timing method: tfcore's step on one device, timed; the matmul peak; the statistics.

Only the session run of the training step is timed: one `perf_counter()`
pair around each run, with the data already in host memory (`--feed`):
copied once into variables and sliced in the graph (`resident`, the
default; `use_resident`), fed per run through `Session.make_callable` or a
feed dict, or a `tf.data` iterator over the same arrays. A small step runs in
the caller's thread, as `tfcore.train.fit` runs it (`TrainGraph.step_options`).
Every step's time is kept, with the process CPU time beside it (how many
cores the step kept busy).

An epoch is timed three ways: as users run it (`tfcore.train.fit`), as the
bare step loop (reset, then the step per batch), and, for dispatch-bound
models, in one session run (`TrainGraph.multi_step`: the step in a
`tf.while_loop`).

FLOPs per step: the forward FLOPs of the dense arithmetic (`DENSE_TYPES`:
convolutions, matmuls, their bias adds, the fused LSTM) counted by
`tfcore.flops.op_flops`, the formulas `python -m tfcore.inspect`
prints, times `TRAINING_MULTIPLIER` for a training step. Element-wise work
(activations, pooling, dropout masks, the loss) is left out: a few FLOPs per
activation against hundreds for a 3x3 convolution, and memory-bound, so
counting it would flatter the achieved rate rather than describe it. A
training step is counted as 3x the forward pass: for every conv/matmul the
backward pass computes one product of the same size for the gradient with
respect to its input and one for its weights (the usual convention; the first
layer's input gradient and the optimizer's updates are not exact).
"""

import contextlib
import io
import re
import sys
import time

import numpy as np
import tensorflow as tf

import tfcore
from benchmarks.environment import session_config
from benchmarks.registry import get
from tfcore import precision, train
from tfcore import flops as inspect_flops
from tfcore.flops import ancestors

TRAINING_MULTIPLIER = 3  # forward + backward (input gradients + weight gradients)
DENSE_TYPES = frozenset(("Conv2D", "DepthwiseConv2dNative", "MatMul", "BatchMatMul",
                         "BatchMatMulV2", "BatchMatMulV3", "BiasAdd", "BlockLSTM", "BlockLSTMV2"))
# The op types tf.compat.v1.profiler also counts: the run cross-checks these against it.
PROFILED_TYPES = ("Conv2D", "MatMul", "BiasAdd")


# ---------------------------------------------------------------------------
# What a step computes
# ---------------------------------------------------------------------------

def forward_flops(output, batch):
    """(total, {layer: flops}) of the dense arithmetic `output` depends on (module docstring).

    A `None` dimension is taken as `batch`; the layer is an op's first name scope.
    """
    total, layers = 0, {}
    for op in sorted(ancestors([output]), key=lambda o: o.name):
        if op.type in DENSE_TYPES:
            flops, _ = inspect_flops.op_flops(op, unknown_dim=batch)
            total += flops
            layer = op.name.split("/")[0]
            layers[layer] = layers.get(layer, 0) + flops
    return total, layers


def profiler_check(name, output):
    """tf.compat.v1.profiler's FLOPs of the forward Conv2D/MatMul/BiasAdd ops, or None.

    None when a dimension is not fixed (the profiler skips such ops). The
    analytic count must equal it; a mismatch is reported, not hidden.
    """
    counted = [op for op in ancestors([output]) if op.type in PROFILED_TYPES]
    if any(inspect_flops.has_unknown_dims(op) for op in counted):
        return None
    analytic = sum(inspect_flops.op_flops(op)[0] for op in counted)
    said = io.StringIO()
    with contextlib.redirect_stderr(said):  # the profiler writes "N ops no flops stats ..."
        per_op = inspect_flops.profiler_flops(output.graph)
    skipped = re.search(r"(\d+) ops no flops stats", said.getvalue())
    if skipped:  # its whole-graph count skips ops of unknown shape: never the ones checked here
        print("note: %s: the profiler skipped %s op(s) of unknown shape elsewhere in the graph "
              "(none of the fixed-shape Conv2D/MatMul/BiasAdd ops it is checked on)"
              % (name, skipped.group(1)), file=sys.stderr)
    profiled = sum(per_op.get(op.name, 0) for op in counted)
    if profiled != analytic:
        print("warning: %s: analytic conv/matmul/bias FLOPs %d != profiler's %d"
              % (name, analytic, profiled), file=sys.stderr)
    return profiled


# ---------------------------------------------------------------------------
# The matmul peak
# ---------------------------------------------------------------------------

def _peak_record(n, tf_times, np_times, dtype="float32"):
    flops = 2.0 * n ** 3
    return {"size": n, "dtype": dtype, "tf_times_s": tf_times, "numpy_times_s": np_times,
            "tf_gflops": flops / min(tf_times) / 1e9, "numpy_gflops": flops / min(np_times) / 1e9,
            "tf_gflops_median": flops / float(np.median(tf_times)) / 1e9}


def _time_calls(run, repeats):
    run()  # warm-up
    times = []
    for _ in range(repeats):
        began = time.perf_counter()
        run()
        times.append(time.perf_counter() - began)
    return times


def matmul_peak(device, params, repeats=5, dtype="float32"):
    """An n x n matmul's rate in `dtype` on `device` in a session (NumPy's float32 on the host), GFLOP/s."""
    n = params.peak_size
    graph = tfcore.new_graph(seed=params.seed)
    with graph.as_default(), tf.device(device):
        a = tfcore.variable(tf.cast(tf.random.uniform((n, n)), dtype), name="a")
        b = tfcore.variable(tf.cast(tf.random.uniform((n, n)), dtype), name="b")
        product = tf.matmul(a, b)
        init = tf.compat.v1.global_variables_initializer()
    with tfcore.session(graph=graph, config=session_config(params)) as sess:
        sess.run(init)
        # Run the op, fetch nothing: no copy of the result.
        tf_times = _time_calls(lambda: sess.run(product.op), repeats)
    rng = np.random.RandomState(params.seed)
    x, y = rng.rand(n, n).astype(np.float32), rng.rand(n, n).astype(np.float32)
    return _peak_record(n, tf_times, _time_calls(lambda: x @ y, repeats), dtype)


def merge_peaks(before, after):
    """One peak record from two measurements: all the times, rates from the fastest."""
    merged = _peak_record(before["size"], before["tf_times_s"] + after["tf_times_s"],
                          before["numpy_times_s"] + after["numpy_times_s"], before["dtype"])
    if "float32_tf_gflops" in before:  # a mixed-precision run also keeps the float32 peak
        merged["float32_tf_gflops"] = max(before["float32_tf_gflops"], after["float32_tf_gflops"])
    return merged


# ---------------------------------------------------------------------------
# Statistics
# ---------------------------------------------------------------------------

def summarize(times, batch, flops, peak_gflops):
    """Median, quartiles, min, max of `times`; samples/s, GFLOP/s and % of the peak.

    A step cannot compute faster than the best matmul of the same device and
    type: a rate above the measured peak means the peak was measured at a busier
    moment (the machine's load changed). Then `percent_of_peak` is None and
    `measurement_error` says why, rather than print a % above 100.
    """
    t = np.asarray(times, dtype=np.float64)
    q1, median, q3 = np.percentile(t, [25, 50, 75])
    gflops = flops / median / 1e9 if flops else None
    percent = 100.0 * gflops / peak_gflops if gflops and peak_gflops else None
    error = None
    if percent is not None and percent > 100.0:
        error = ("measurement error: %.1f GFLOP/s achieved is above the %.1f GFLOP/s matmul peak "
                 "measured around the models (the load changed between them); %% of peak not "
                 "reported" % (gflops, peak_gflops))
        percent = None
    return {"median_s": float(median), "q1_s": float(q1), "q3_s": float(q3), "iqr_s": float(q3 - q1),
            "min_s": float(t.min()), "max_s": float(t.max()), "samples_per_s": batch / float(median),
            "train_flops_per_step": int(flops) if flops else None, "gflops_per_s": gflops,
            "percent_of_peak": percent, "measurement_error": error}


def epoch_doc(rows, batch, seconds):
    """{samples, steps, seconds, samples_per_s} of an epoch's wall times, or None if none ran."""
    seconds = [s for s in seconds if s is not None]
    if not seconds:
        return None
    return {"samples": rows, "steps": rows // batch, "seconds": seconds,
            "samples_per_s": rows / float(np.median(seconds))}


# ---------------------------------------------------------------------------
# tfcore's side
# ---------------------------------------------------------------------------

def _fit_placeholder(array, placeholder):
    """A batch reshaped to a fully fixed placeholder's shape (the Laplacian's image has no batch axis)."""
    shape = placeholder.shape
    if shape.is_fully_defined() and array.shape != tuple(shape.as_list()):
        return array.reshape(shape.as_list())
    return array


class TfcoreBench:
    """One tfcore model on one device: a session, its step function, timing."""

    def __init__(self, name, device, params, x, y):
        began = time.perf_counter()
        self.name, self.device, self.params = name, device, params
        self.batch = params.batch_for(name)
        # Under a mixed policy the graph records it and every tfcore.session on it
        # (the step's, the epoch's, the dataset path's) runs TF's mixed-precision rewrite.
        with precision.policy(params.precision):
            self.model = m = get(name).build(params, device, self.batch)
        self.forward_only = m.train_op is None
        self.output = m.predictions if self.forward_only else m.train_loss
        fetches = [self.output] if self.forward_only else \
            [m.train_op, m.train_loss] + [m.train_metrics[k] for k in m.metrics]
        forward, self.flops_per_layer = forward_flops(self.output, self.batch)
        self.flops = forward * (1 if self.forward_only else TRAINING_MULTIPLIER)
        self.profiler_forward_flops = None  # filled by check_flops(), outside the timed build
        self.x, self.y = x, y
        self.cursor = 0
        self.cpu_times = []
        self._fit_warm = False  # time_epoch's loop graph has run once
        self._epoch_in_graph = None  # (MultiStep, its feed), from build_epoch_in_graph
        self.reset_ops = m.reset_ops
        # What `tfcore.train.fit` runs its steps with: the caller's thread for a small step.
        self.options = None if self.forward_only else m.step_options(self.batch)
        self._fetches = fetches
        if params.feed == "dataset":
            self._build_dataset_step(fetches)  # the imported graph has its own reset ops
        else:  # resident too: its first step is fed, as a user's is (`use_resident` then)
            self._build_session_step(fetches)
        # Ops the step depends on, before Grappler rewrites them: what one session run dispatches.
        self.graph_ops = len(ancestors(fetches))
        self.build_seconds = time.perf_counter() - began

    def _build_session_step(self, fetches):
        """`self._run(x, y)`: one session run of `fetches`, fed as --feed says."""
        m = self.model
        self.session = tfcore.session(graph=m.graph, config=session_config(self.params))
        train.initialize(m, self.session)
        feeds = [m.inputs] + ([m.targets] if m.targets is not None else [])
        options = self.options
        if self.params.feed == "callable" and m.training is not None:
            # make_callable feeds only its feed_list; the training switch is a fed
            # placeholder_with_default, so pass it as a feed too.
            run = self.session.make_callable(fetches, feed_list=feeds + [m.training])
            self._run = lambda *batch: run(*batch, True, options=options)
        elif self.params.feed == "callable":
            run = self.session.make_callable(fetches, feed_list=feeds)
            self._run = lambda *batch: run(*batch, options=options)
        else:
            extra = {m.training: True} if m.training is not None else {}
            self._run = lambda *batch: self.session.run(
                fetches, {**dict(zip(feeds, batch)), **extra}, options=options)

    def use_resident(self):
        """From now on `self._run()`: the host arrays copied once into variables, each run
        slicing its batch.

        The data stays in the device's memory as the peers' does (PyTorch's
        tensors, tf-keras `fit`'s dataset), and the run has no feed: TensorFlow's
        Python feed path costs ~0.15 ms a run, the whole step of the smallest
        models. The step's sub-graph is imported into the model's own graph with
        its inputs mapped to the slice (the variables are shared by name, as in
        `TrainGraph.multi_step`); a cursor variable moves to the next batch
        after each step, wrapping around.
        """
        m, b, fetches = self.model, self.batch, self._fetches
        arrays = [self.x] + ([self.y] if m.targets is not None else [])
        batches = max(len(self.x) // b, 1)
        outputs = [f.name for f in fetches]
        step_def = train.sub_graph_def(m.graph.as_graph_def(), [f.op.name if isinstance(f, tf.Tensor)
                                                              else f.name for f in fetches])
        with m.graph.as_default(), tf.name_scope("bench/resident/"):
            initial = [tf.compat.v1.placeholder(a.dtype, a.shape) for a in arrays]
            data = [tf.compat.v1.Variable(p, trainable=False, collections=[], use_resource=True)
                    for p in initial]
            cursor = tf.compat.v1.Variable(0, dtype=tf.int64, trainable=False, collections=[],
                                           use_resource=True, name="cursor")
            if batches == 1 and len(self.x) == b:  # the whole array is the batch: no copy
                rows = [d.read_value() for d in data]
            else:
                start = cursor.read_value() % batches * b
                rows = [d[start:start + b] for d in data]
            # A slice at a run-time offset has an unknown row count: give each its placeholder's
            # fixed shape back, so shape inference (and the profiler's FLOP count, which skips
            # ops of unknown shape and says so) sees the same shapes as in the fed graph.
            for i, placeholder in enumerate([m.inputs, m.targets][:len(rows)]):
                if placeholder.shape.is_fully_defined():
                    rows[i] = tf.reshape(rows[i], placeholder.shape)
            input_map = dict(zip([p.name for p in [m.inputs, m.targets] if p is not None], rows))
            if m.training is not None and m.training.op.name in {n.name for n in step_def.node}:
                input_map[m.training.name] = tf.constant(True)
            imported = tf.graph_util.import_graph_def(step_def, input_map=input_map, name="step",
                                                      return_elements=outputs)
            with tf.control_dependencies(imported):
                advance = cursor.assign_add(1, read_value=False)
        self.session.run([v.initializer for v in data + [cursor]], dict(zip(initial, arrays)))
        self.resident_fetches = imported + [advance]
        if self.options is None:
            run = self.session.make_callable(self.resident_fetches)
            self._run = lambda *unused: run()
        else:
            run = self.session.make_callable(self.resident_fetches, accept_options=True)
            self._run = lambda *unused: run(options=self.options)

    def _build_dataset_step(self, fetches):
        # Re-import the model's graph with a tf.data iterator in place of the placeholders
        # (public API: import_graph_def with input_map), so the builders stay unchanged.
        m = self.model
        graph_def = m.graph.as_graph_def()
        graph = precision.set_policy(tfcore.new_graph(seed=m.graph.seed), precision.policy_of(m.graph))
        with graph.as_default():
            arrays = (self.x,) if m.targets is None else (self.x, self.y)
            n = len(self.x) // self.batch * self.batch if len(self.x) >= self.batch else len(self.x)
            data = tf.data.Dataset.from_tensor_slices(tuple(a[:n] for a in arrays))
            data = data.batch(self.batch, drop_remainder=True).repeat().prefetch(2)
            batch = tf.compat.v1.data.make_one_shot_iterator(data).get_next()
            inputs = batch[0]
            if m.inputs.shape.is_fully_defined():
                inputs = tf.reshape(inputs, m.inputs.shape)
            input_map = {m.inputs.name: inputs}
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

    def check_flops(self):
        """tf.compat.v1.profiler's count of the forward Conv2D/MatMul/BiasAdd ops (`profiler_check`)."""
        self.profiler_forward_flops = profiler_check(self.name, self.output)

    def next_batch(self):
        """The next batch of the host arrays (wrapping around), shaped for the placeholders."""
        b = self.batch
        if self.cursor + b > len(self.x):
            self.cursor = 0
        rows = slice(self.cursor, self.cursor + b)
        self.cursor += b
        x = _fit_placeholder(self.x[rows], self.model.inputs)
        return (x,) if self.y is None else (x, self.y[rows])

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
        """One session run per epoch: `TrainGraph.multi_step` over the epoch's batches.

        The step's ops run in a `tf.while_loop` on the model's own variables
        (see `tfcore.train.TrainGraph.multi_step`); the epoch's batches are fed
        stacked, once per run. Returns the `MultiStep`.
        """
        b = self.batch
        steps = len(x) // b
        multi = self.model.multi_step(steps, b)
        feed = {multi.xs: x[:steps * b].reshape((steps, b) + x.shape[1:]),
                multi.ys: y[:steps * b].reshape((steps, b) + y.shape[1:])}
        self._epoch_in_graph = (multi, feed)
        return multi

    def run_epoch_in_graph(self):
        """(wall seconds, per-step [loss, metrics...] rows) of one epoch in one session run.

        The reset of stateful layers is one more (timed) run before it.
        """
        multi, feed = self._epoch_in_graph
        began = time.perf_counter()
        if self.reset_ops:
            self.session.run(self.reset_ops)
        values = self.session.run(multi.values, feed, options=self.options)
        return time.perf_counter() - began, values

    def close(self):
        self.session.close()
