"""data_format="channels_first" on Conv1D/Conv2D, the 1-D/2-D pools, ZeroPadding2D and Flatten:
the channels_last layer on the same numbers, in float64, unknown sizes, forward and gradients;
float64 central differences; clear errors in the layer's own layout."""

import numpy as np
import pytest
import tensorflow as tf

import tfcore
from tfcore.layers.conv import Conv1D, Conv2D
from tfcore.layers.keras.pad import ZeroPadding2D
from tfcore.layers.pool import AvgPool1D, AvgPool2D, MaxPool1D, MaxPool2D
from tfcore.layers.keras.reshape import Flatten

CASES = [
    (lambda **kw: Conv2D(4, (3, 2), strides=(2, 1), groups=2, activation="tanh", **kw), (2, 7, 6, 4)),
    (lambda **kw: Conv2D(3, 3, dilation_rate=2, implementation="patches", gradient="manual", **kw),
     (1, 9, 8, 2)),
    (lambda **kw: Conv1D(3, 3, padding="causal", **kw), (2, 9, 3)),
    (lambda **kw: Conv1D(2, 4, strides=3, padding="same", implementation="patches", **kw), (1, 10, 2)),
    (lambda **kw: MaxPool2D((3, 2), strides=(1, 2), padding="same", **kw), (2, 7, 6, 3)),
    (lambda **kw: AvgPool2D(2, implementation="patches", gradient="manual", **kw), (2, 6, 5, 2)),
    (lambda **kw: MaxPool1D(3, implementation="patches", **kw), (2, 10, 3)),
    (lambda **kw: AvgPool1D(2, strides=1, padding="same", **kw), (1, 7, 2)),
    (lambda **kw: ZeroPadding2D(((2, 0), (1, 3)), **kw), (2, 3, 4, 2)),
    (lambda **kw: Flatten(**kw), (2, 3, 4, 2)),
]


def _first(t):
    """channels_last -> channels_first, for a NumPy array or a tensor of rank >= 3."""
    perm = [0, t.ndim - 1] + list(range(1, t.ndim - 1))
    return np.transpose(t, perm) if isinstance(t, np.ndarray) else tf.transpose(t, perm)


@pytest.mark.parametrize("make,shape", CASES)
def test_channels_first_equals_channels_last_on_the_same_numbers(rng, make, shape):
    x = rng.randn(*shape)
    graph = tfcore.new_graph(seed=0)
    with graph.as_default():
        xp = tfcore.placeholder([None] * (len(shape) - 1) + [shape[-1]], tf.float64)  # channels last
        last, first = make(), make(data_format="channels_first")
        y_last = last(xp)
        y_first = first(_first(xp))
        if y_last.shape.rank > 2:
            y_first = tf.transpose(y_first, [0] + list(range(2, y_first.shape.rank)) + [1])
        with tfcore.session(graph=graph) as sess:
            weights = [rng.randn(*v.shape.as_list()) for v in last.variables]
            last.set_weights(sess, weights)
            first.set_weights(sess, weights)
            r = rng.uniform(-1, 1, sess.run(y_last, {xp: x}).shape)
            grads = [tf.gradients(tf.reduce_sum(y * r), [xp] + layer.trainable_variables)
                     for y, layer in ((y_last, last), (y_first, first))]
            (a, ga), (b, gb) = sess.run([(y_last, grads[0]), (y_first, grads[1])], {xp: x})
    np.testing.assert_allclose(b, a, rtol=1e-12, atol=1e-12)
    assert len(ga) == len(gb)
    for u, v in zip(gb, ga):
        np.testing.assert_allclose(u, v, rtol=1e-12, atol=1e-12)


def test_channels_first_conv2d_passes_gradient_check(rng):
    tfcore.check_gradients(lambda x: Conv2D(2, 2, strides=2, activation="tanh", groups=2,
                                            data_format="channels_first")(x),
                           {"x": rng.randn(2, 4, 5, 3)}, name="Conv2D(channels_first)")


def test_channels_first_errors_name_the_layer_and_its_layout():
    with pytest.raises(ValueError, match="conv2d: data_format must be one of"):
        Conv2D(2, 3, data_format="NCHW")
    with tfcore.new_graph().as_default():
        with pytest.raises(ValueError, match=r"max_pool2d: input must have rank 4 "
                                             r"\(batch, channels, height, width\)"):
            MaxPool2D(data_format="channels_first")(tfcore.placeholder((None, 3, 4)))
        with pytest.raises(ValueError, match=r"conv1d: input must have rank 3 \(batch, channels, steps\)"):
            Conv1D(2, 3, data_format="channels_first")(tfcore.placeholder((None, 3, 4, 5)))
        layer = Conv2D(2, 3, data_format="channels_first")
        layer(tfcore.placeholder((None, 3, 8, 8)))
        assert layer.kernel.shape.as_list() == [3, 3, 3, 2]  # Keras's layout whatever the data format
