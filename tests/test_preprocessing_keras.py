"""The preprocessing layers equal tf-keras's on random arguments (values, adapted weights)."""

import numpy as np
import pytest
import tensorflow as tf

from tests.oracle import keras
import tfcore
from tfcore import layers as ours

pytestmark = pytest.mark.keras


def _ours(layer, x, before_run=None):
    graph = tfcore.new_graph()
    with graph.as_default():
        p = tf.compat.v1.placeholder(tf.as_dtype(x.dtype), x.shape)
        y = layer(p)
        init = tf.compat.v1.global_variables_initializer()
    with tfcore.session(graph=graph) as sess:
        sess.run(init)
        return sess.run(y, {p: x}), (layer.get_weights(sess) if layer.variables else [])


@pytest.mark.parametrize("case", range(6))
def test_image_layers_equal_keras_on_random_sizes(rng, case):
    h, w = rng.randint(2, 12, 2)
    th, tw = rng.randint(1, 14, 2)
    images = (rng.rand(2, h, w, 3) * 255).astype(np.float32 if case % 2 else np.uint8)
    pairs = [(ours.Resizing(th, tw), keras.layers.Resizing(th, tw)),
             (ours.Resizing(th, tw, "nearest"), keras.layers.Resizing(th, tw, "nearest")),
             (ours.Resizing(th, tw, crop_to_aspect_ratio=True),
              keras.layers.Resizing(th, tw, crop_to_aspect_ratio=True)),
             (ours.CenterCrop(th, tw), keras.layers.CenterCrop(th, tw)),
             (ours.Rescaling(1 / 255.0, 0.5), keras.layers.Rescaling(1 / 255.0, 0.5))]
    for mine, theirs in pairs:
        got, _ = _ours(mine, images)
        np.testing.assert_allclose(got, theirs(images).numpy(), atol=1e-4, err_msg=mine.name)


@pytest.mark.parametrize("axis", [-1, None, (1, 2), 1])
def test_normalization_adapts_the_weights_keras_adapts(rng, axis):
    data = (rng.randn(40, 3, 4) * 5 + 1).astype(np.float32)
    theirs = keras.layers.Normalization(axis=axis)
    theirs.adapt(data)
    mine = ours.Normalization(axis=axis)
    mine.adapt(data)
    got, weights = _ours(mine, data)
    np.testing.assert_allclose(got, theirs(data).numpy(), atol=1e-5)
    for a, b in zip(weights, theirs.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5)
    # and Keras's weights copied in give Keras's outputs
    inverted = keras.layers.Normalization(axis=axis, invert=True)
    inverted.adapt(data)
    keras_weights, expected = inverted.get_weights(), inverted(data).numpy()
    mine = ours.Normalization(axis=axis, invert=True)
    graph = tfcore.new_graph()
    with graph.as_default():
        p = tf.compat.v1.placeholder(tf.float32, data.shape)
        y = mine(p)
        init = tf.compat.v1.global_variables_initializer()
    with tfcore.session(graph=graph) as sess:
        sess.run(init)
        mine.set_weights(sess, keras_weights)
        np.testing.assert_allclose(sess.run(y, {p: data}), expected, rtol=1e-5, atol=1e-4)
