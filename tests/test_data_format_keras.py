"""data_format="channels_first" on Conv1D/Conv2D (groups too), the 1-D/2-D pools, ZeroPadding2D
and Flatten equals tf-keras's channels_first layers with copied weights (forward and gradients)."""

import numpy as np
import pytest
import tensorflow as tf

from tests.oracle import keras
from tests.test_conv_keras import compare_with_keras
import tfcore
from tfcore.layers.conv import Conv1D, Conv2D
from tfcore.layers.keras.pad import ZeroPadding2D
from tfcore.layers.pool import AvgPool1D, AvgPool2D, MaxPool1D, MaxPool2D
from tfcore.layers.keras.reshape import Flatten

pytestmark = pytest.mark.keras

FIRST = dict(data_format="channels_first")


@pytest.mark.parametrize("implementation,gradient", [("fused", "auto"), ("patches", "manual")])
@pytest.mark.parametrize("seed", range(3))
def test_channels_first_conv2d_equals_keras_on_random_shapes(seed, implementation, gradient):
    rng = np.random.RandomState(300 + seed)
    groups = [1, 1, 2][seed]
    kernel = tuple(int(k) for k in rng.randint(1, 4, size=2))
    kwargs = dict(strides=tuple(int(s) for s in rng.randint(1, 3, size=2)),
                  padding=["same", "valid"][seed % 2],
                  groups=groups, activation=["softmax", "relu", None][seed], **FIRST)
    filters = groups * int(rng.randint(1, 4))
    x = rng.randn(int(rng.randint(1, 3)), groups * int(rng.randint(1, 3)), int(rng.randint(6, 10)),
                  int(rng.randint(6, 10))).astype(np.float32)
    compare_with_keras(Conv2D(filters, kernel, implementation=implementation, gradient=gradient, **kwargs),
                       keras.layers.Conv2D(filters, kernel, **kwargs), x, rng)


@pytest.mark.parametrize("padding,dilation", [("valid", 1), ("same", 2), ("causal", 2)])
def test_channels_first_conv1d_equals_keras(rng, padding, dilation):
    x = rng.randn(2, 3, 11).astype(np.float32)
    kwargs = dict(padding=padding, dilation_rate=dilation, **FIRST)
    compare_with_keras(Conv1D(4, 3, **kwargs), keras.layers.Conv1D(4, 3, **kwargs), x, rng)


def _pool_both_ways(ref_first, ref_last, layer, x, rng):
    """Keras's channels_first pool forward; its gradient where CPU kernels run it (channels_last).

    TensorFlow's CPU MaxPoolGrad/AvgPoolGrad refuse NCHW, so Keras cannot
    differentiate its own channels_first pool on a CPU: its gradient here is
    that of Keras's channels_last pool on the transposed input, transposed back.
    """
    y_ref = ref_first(x).numpy()
    r = rng.uniform(-1, 1, y_ref.shape).astype(np.float32)
    x_last = tf.constant(np.moveaxis(x, 1, -1))
    with tf.GradientTape() as tape:
        tape.watch(x_last)
        loss = tf.reduce_sum(ref_last(x_last) * np.moveaxis(r, 1, -1))
    g_ref = np.moveaxis(tape.gradient(loss, x_last).numpy(), -1, 1)
    y, g = run_with_gradient(layer, x, r)
    np.testing.assert_allclose(y, y_ref, rtol=0, atol=1e-5)
    np.testing.assert_allclose(g, g_ref, rtol=0, atol=1e-5)


def run_with_gradient(layer, x, r):
    graph = tfcore.new_graph()
    with graph.as_default():
        xp = tfcore.placeholder((None,) + x.shape[1:])
        y = layer(xp)
        assert y.shape.as_list()[1:] == list(r.shape[1:])
        with tfcore.session(graph=graph) as sess:
            return sess.run([y, tf.gradients(tf.reduce_sum(y * r), xp)[0]], {xp: x})


@pytest.mark.parametrize("ours,theirs,shape,pool_size,strides,padding", [
    (MaxPool2D, "MaxPooling2D", (2, 3, 7, 6), 2, None, "valid"),
    (AvgPool2D, "AveragePooling2D", (1, 2, 7, 5), (3, 2), (2, 1), "same"),
    (MaxPool1D, "MaxPooling1D", (2, 3, 9), 3, 2, "same"),
    (AvgPool1D, "AveragePooling1D", (2, 4, 8), 2, None, "valid"),
])
@pytest.mark.parametrize("implementation,gradient", [("fused", "auto"), ("patches", "manual")])
def test_channels_first_pools_equal_keras(rng, ours, theirs, shape, pool_size, strides, padding,
                                          implementation, gradient):
    x = rng.randn(*shape).astype(np.float32)
    kwargs = dict(strides=strides, padding=padding)
    ref = getattr(keras.layers, theirs)
    _pool_both_ways(ref(pool_size, **kwargs, **FIRST), ref(pool_size, **kwargs),
                    ours(pool_size, implementation=implementation, gradient=gradient, **kwargs, **FIRST),
                    x, rng)


def test_channels_first_zero_padding_and_flatten_equal_keras(rng):
    x = rng.randn(2, 3, 4, 5).astype(np.float32)
    compare_with_keras(ZeroPadding2D(((1, 2), (0, 3)), **FIRST),
                       keras.layers.ZeroPadding2D(((1, 2), (0, 3)), **FIRST), x, rng)
    compare_with_keras(Flatten(**FIRST), keras.layers.Flatten(**FIRST), x, rng)
    compare_with_keras(Flatten(**FIRST), keras.layers.Flatten(**FIRST), x[:, :, 0], rng)  # rank 3
