"""The peer: each example model rebuilt in tf-keras (Keras 2), timed the ways users run it.

This is the only place in the project that imports tf-keras for benchmarking,
and it must be imported in a process where `TF_USE_LEGACY_KERAS=1` was set
before TensorFlow was imported (`run.py` does it), so that the peer is Keras 2
(graph functions over eager TensorFlow), not Keras 3.

Each twin (declared beside its model in `registry.py`) has the same layers,
initialisers, loss, optimizer (the legacy Keras 2 optimizers, with the same
time decay) and metrics as the tfcore model, so both sides do the same
arithmetic. Two timings:

* `train_on_batch`: one Python call per step; the time of each call.
* `fit`: the steady-state step inside `model.fit` (one epoch over the timed
  batches, no shuffling), from a callback: the interval between consecutive
  `on_train_batch_end` calls, i.e. everything `fit` does per batch (slicing the
  host arrays, the step function, the callback bookkeeping). `fit` is what
  users run, and it is usually the faster path.

A forward-only model (the Laplacian) is timed with `predict_on_batch`, and
`predict` with a callback on `on_predict_batch_end`.
"""

import os
import time

import numpy as np

if os.environ.get("TF_USE_LEGACY_KERAS") != "1":
    raise ImportError("benchmarks.peers needs TF_USE_LEGACY_KERAS=1 set before TensorFlow is "
                      "imported (python benchmarks/run.py sets it for --peer keras)")

import tensorflow as tf  # noqa: E402
import tf_keras as keras  # noqa: E402

from benchmarks.registry import get  # noqa: E402


def set_threads(threads):
    """The eager runtime's intra-op threads; only before it starts (a probe's or sweep's own process)."""
    tf.config.threading.set_intra_op_parallelism_threads(threads)


def warm_runtime(device):
    """TensorFlow's eager runtime started by one tiny graph function: a memory probe's baseline."""
    with tf.device(device):
        weight = tf.Variable(tf.ones((4, 4)))
        tf.function(lambda: weight.assign_sub(tf.matmul(weight, weight)))()


def build(name, batch_size, seed=0, jit_compile=False, precision="float32", length=None):
    """The compiled tf-keras twin of model `name` (the registry's `peer`), under Keras's `precision` policy.

    The policy is Keras's global one, set only while the model is built (its layers keep
    it), and float32 again afterwards.
    """
    keras.utils.set_random_seed(seed)
    keras.mixed_precision.set_global_policy(precision)
    try:
        extra = {"length": length} if length else {}  # a recurrent twin's sequence length
        return get(name).peer(keras, batch_size, jit_compile, **extra)
    finally:
        keras.mixed_precision.set_global_policy("float32")


class _StepClock(keras.callbacks.Callback):
    """Records the time of every batch end; the differences are fit's per-step times."""

    def __init__(self, kind):
        super().__init__()
        self.kind = kind
        self.stamps = []

    def _begin(self, batch, logs=None):
        if batch == 0:
            self.stamps.append(time.perf_counter())

    def _end(self, batch, logs=None):
        self.stamps.append(time.perf_counter())

    def on_train_batch_begin(self, batch, logs=None):
        self._begin(batch, logs)

    def on_train_batch_end(self, batch, logs=None):
        self._end(batch, logs)

    def on_predict_batch_begin(self, batch, logs=None):
        self._begin(batch, logs)

    def on_predict_batch_end(self, batch, logs=None):
        self._end(batch, logs)


class KerasPeer:
    """A compiled tf-keras twin on one device, with the timed paths the harness calls."""

    framework = "tf-keras"

    def __init__(self, name, device, batch_size, seed=0, jit_compile=False, precision="float32",
                 length=None):
        self.name, self.device, self.batch_size = name, device, batch_size
        self.spec = get(name)
        self.forward_only = self.spec.forward_only
        self.paths = ("predict_on_batch", "predict") if self.forward_only else ("train_on_batch", "fit")
        began = time.perf_counter()
        with tf.device(device):
            self.model = build(name, batch_size, seed, jit_compile, precision, length)
        self.build_seconds = time.perf_counter() - began

    def reset(self):
        if self.spec.stateful:
            self.model.reset_states()

    def first_step(self, x, y):
        """Seconds to the end of the first step, counted from the start of building."""
        began = time.perf_counter()
        self.step_once(x[:self.batch_size], None if y is None else y[:self.batch_size])
        return self.build_seconds + time.perf_counter() - began

    def step_once(self, xb, yb):
        with tf.device(self.device):
            if self.forward_only:
                self.model.predict_on_batch(xb)
            else:
                self.model.train_on_batch(xb, yb)

    def time_train_on_batch(self, x, y, steps):
        """Seconds of each of `steps` train_on_batch (predict_on_batch) calls over the batches of x."""
        times, b = [], self.batch_size
        with tf.device(self.device):
            for i in range(steps):
                rows = slice((i * b) % len(x), (i * b) % len(x) + b)
                xb, yb = x[rows], None if y is None else y[rows]
                began = time.perf_counter()
                if self.forward_only:
                    self.model.predict_on_batch(xb)
                else:
                    self.model.train_on_batch(xb, yb)
                times.append(time.perf_counter() - began)
        return times

    def time_fit(self, x, y, steps):
        """Per-step seconds inside one `fit` (or `predict`) call over `steps` batches; and its wall time."""
        clock = _StepClock("predict" if self.forward_only else "train")
        n = steps * self.batch_size
        xs = np.resize(x, (n,) + x.shape[1:]) if len(x) < n else x[:n]
        began = time.perf_counter()
        with tf.device(self.device):
            if self.forward_only:
                self.model.predict(xs, batch_size=self.batch_size, verbose=0, callbacks=[clock])
            else:
                ys = np.resize(y, (n,) + y.shape[1:]) if len(y) < n else y[:n]
                self.model.fit(xs, ys, batch_size=self.batch_size, epochs=1, shuffle=False,
                               verbose=0, callbacks=[clock])
        wall = time.perf_counter() - began
        return list(np.diff(clock.stamps)), wall

    def time_epoch(self, x, y):
        """Wall seconds of one `fit` epoch over (x, y) (stateful models reset first)."""
        self.reset()
        _, wall = self.time_fit(x, y, len(x) // self.batch_size)
        return wall


Peer = KerasPeer  # what the harness builds: every peer module names its class Peer
