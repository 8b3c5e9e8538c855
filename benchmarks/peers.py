"""The peer: each example model rebuilt in tf-keras (Keras 2), timed the ways users run it.

This is the only place in the project that imports tf-keras for benchmarking,
and it must be imported in a process where `TF_USE_LEGACY_KERAS=1` was set
before TensorFlow was imported (`run.py` does it), so that the peer is Keras 2
(graph functions over eager TensorFlow), not Keras 3.

Each twin has the same layers, initialisers, loss, optimizer (the legacy
Keras 2 optimizers, with the same time decay) and metrics as the tfcore model,
so both sides do the same arithmetic. Two timings:

* `train_on_batch`: one Python call per step; the time of each call.
* `fit`: the steady-state step inside `model.fit` (one epoch over the timed
  batches, no shuffling), from a callback: the interval between consecutive
  `on_train_batch_end` calls, i.e. everything `fit` does per batch (slicing the
  host arrays, the step function, the callback bookkeeping). `fit` is what
  users run, and it is usually the faster path.

The Laplacian is a forward op only: `predict_on_batch`, and `predict` with a
callback on `on_predict_batch_end`.
"""

import os
import time

import numpy as np

if os.environ.get("TF_USE_LEGACY_KERAS") != "1":
    raise ImportError("benchmarks.peers needs TF_USE_LEGACY_KERAS=1 set before TensorFlow is "
                      "imported (python benchmarks/run.py sets it for --peer keras)")

import tensorflow as tf  # noqa: E402
import tf_keras as keras  # noqa: E402

from models.laplacian import LAPLACIAN  # noqa: E402

L = keras.layers


def _mnist_cnn(batchnorm, batch_size, compile_options):
    def hidden(layer_fn, units, layers):
        if batchnorm:
            layers += [layer_fn(units, None), L.BatchNormalization(), L.Activation("relu")]
        else:
            layers.append(layer_fn(units, "relu"))

    def dropout(rate, layers):
        if not batchnorm:
            layers.append(L.Dropout(rate))

    conv = lambda filters, act: L.Conv2D(filters, 3, padding="same", activation=act)  # noqa: E731
    dense = lambda units, act: L.Dense(units, activation=act)  # noqa: E731
    layers = [L.InputLayer(input_shape=(28, 28, 1), batch_size=batch_size)]
    dropout(0.25, layers)
    hidden(conv, 16, layers)
    dropout(0.5, layers)
    hidden(conv, 16, layers)
    dropout(0.5, layers)
    layers.append(L.AveragePooling2D(2, padding="same"))
    hidden(conv, 32, layers)
    layers.append(L.AveragePooling2D(2, padding="same"))
    hidden(conv, 64, layers)
    dropout(0.5, layers)
    layers += [L.AveragePooling2D(2, padding="same"), L.Flatten()]
    hidden(dense, 512, layers)
    dropout(0.5, layers)
    layers.append(L.Dense(10, activation="softmax"))
    model = keras.Sequential(layers)
    model.compile(keras.optimizers.legacy.Adam(1e-3, decay=1e-5), "categorical_crossentropy",
                  metrics=["accuracy"], **compile_options)
    return model


def build(name, batch_size, seed=0, jit_compile=False):
    """The compiled tf-keras twin of model `name`."""
    keras.utils.set_random_seed(seed)
    jit = {"jit_compile": True} if jit_compile else {}
    if name in ("mnist_cnn", "mnist_cnn_bn"):
        model = _mnist_cnn(name == "mnist_cnn_bn", batch_size, jit)
    elif name == "lstm_temperature":
        model = keras.Sequential([
            L.LSTM(8, stateful=True, batch_input_shape=(batch_size, 20, 1)),
            L.Dense(1)])
        model.compile(keras.optimizers.legacy.Adam(1e-3, decay=1e-4), "mse", **jit)
    elif name == "mlp":
        model = keras.Sequential([L.InputLayer(input_shape=(3,)), L.Dense(50, activation="tanh"),
                                  L.Dense(1, activation="sigmoid")])
        # tfcore minimises the sum of squares over the batch (the chapter's "L2 loss").
        model.compile(keras.optimizers.legacy.SGD(0.025),
                      keras.losses.MeanSquaredError(reduction="sum"), metrics=["accuracy"], **jit)
    elif name == "logistic_regression":
        model = keras.Sequential([L.InputLayer(input_shape=(2,)),
                                  L.Dense(1, kernel_initializer="zeros", bias_initializer="zeros")])
        model.compile(keras.optimizers.legacy.SGD(0.025),
                      keras.losses.BinaryCrossentropy(from_logits=True),
                      metrics=[keras.metrics.BinaryAccuracy(threshold=0.0)], **jit)
    elif name == "laplacian":
        model = keras.Sequential([L.InputLayer(input_shape=(768, 1024, 1), batch_size=1),
                                  L.Conv2D(1, 3, padding="same", use_bias=False)])
        model.layers[0].set_weights([LAPLACIAN.reshape(3, 3, 1, 1)])
        model.compile(**jit)
        return model
    else:
        raise ValueError("peers.build: unknown model %r" % name)
    return model


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

    def __init__(self, name, device, batch_size, seed=0, jit_compile=False):
        self.name, self.device, self.batch_size = name, device, batch_size
        self.forward_only = name == "laplacian"
        began = time.perf_counter()
        with tf.device(device):
            self.model = build(name, batch_size, seed, jit_compile)
        self.build_seconds = time.perf_counter() - began

    def reset(self):
        if self.name == "lstm_temperature":
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
