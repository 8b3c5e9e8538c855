"""Layers take NumPy scalars (np.int64, np.float32, ...) as hyperparameters, as Keras does.

Each layer is built twice in seeded graphs, once with Python numbers and once with NumPy
scalars; the outputs must be identical and the stored hyperparameters plain Python numbers.
"""

import numpy as np
import pytest
import tensorflow as tf

import tfcore
from tfcore.layers import (GRU, LSTM, AvgPool1D, AvgPool2D, BatchNormalization, Conv1D, Conv2D,
                           Dense, Dropout, MaxPool1D, MaxPool2D, ZeroPadding2D)

CASES = {
    "dense": (lambda n: Dense(n(3), activation="tanh"), (4, 5)),
    "conv2d": (lambda n: Conv2D(n(2), n(3), strides=n(1), padding="same"), (2, 6, 6, 3)),
    "conv1d_patches": (lambda n: Conv1D(n(2), n(3), dilation_rate=n(2), padding="causal",
                                        implementation="patches"), (2, 7, 3)),
    "max_pool": (lambda n: MaxPool2D(n(2)), (2, 6, 6, 3)),
    "max_pool1d_patches": (lambda n: MaxPool1D(n(3), strides=n(2), implementation="patches"), (2, 7, 3)),
    "avg_pool1d": (lambda n: AvgPool1D(n(2)), (2, 7, 3)),
    "avg_pool": (lambda n: AvgPool2D((n(2), n(2)), strides=n(2)), (2, 6, 6, 3)),
    "zero_padding": (lambda n: ZeroPadding2D(n(1)), (2, 6, 6, 3)),
    "batch_norm": (lambda n: BatchNormalization(axis=n(-1), momentum=n(0.9), epsilon=n(0.01)), (4, 5)),
    "lstm": (lambda n: LSTM(n(3), stateful=True, batch_size=n(2)), (2, 4, 5)),
    "gru": (lambda n: GRU(n(3), return_sequences=True), (2, 4, 5)),
    "dropout": (lambda n: Dropout(n(0.5), seed=n(7), noise_shape=(None, n(1))), (4, 5)),
}


def _python(value):
    return value


def _numpy(value):
    return np.int64(value) if isinstance(value, int) else np.float32(value)


def _run(make, shape, x):
    graph = tfcore.new_graph(seed=1)
    with graph.as_default():
        layer = make()
        y = layer(tfcore.constant(x), training=True)
        with tfcore.session(graph=graph) as sess:
            sess.run(tf.compat.v1.global_variables_initializer())
            return layer, sess.run(y)


@pytest.mark.parametrize("name", sorted(CASES))
def test_numpy_scalar_hyperparameters_build_the_same_layer_as_python_numbers(name, rng):
    make, shape = CASES[name]
    x = rng.randn(*shape).astype(np.float32)
    ref_layer, ref = _run(lambda: make(_python), shape, x)
    layer, out = _run(lambda: make(_numpy), shape, x)
    np.testing.assert_array_equal(out, ref)
    for attr in ("units", "momentum", "epsilon", "axis", "batch_size", "seed", "rate", "filters",
                 "kernel_size", "strides", "dilation_rate", "pool_size"):
        value = getattr(layer, attr, None)
        if any(isinstance(v, np.generic) for v in (value if isinstance(value, tuple) else (value,))):
            pytest.fail("%s.%s kept a NumPy scalar: %r" % (name, attr, value))
