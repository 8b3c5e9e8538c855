"""BatchNormalization equals tf-keras BatchNormalization with copied weights.

Several training steps on the same batches (outputs, gradients, moving statistics),
then inference, for 2-D and 4-D inputs, with and without center/scale, for
both tf-keras paths (its fused kernel, the 4-D default, and its readable ops)
and both tfcore implementations.
"""

import numpy as np
import pytest
import tensorflow as tf

from tests.oracle import keras
import tfcore
from tests.helpers import run_batch_norm
from tfcore.layers.batch_norm import BatchNormalization

pytestmark = pytest.mark.keras

STEPS = 3


def _keras_run(ref, batches, r):
    """Training steps (output, gradients; each call updates the moving statistics), then inference."""
    train = []
    for batch in batches:
        x = tf.constant(batch)
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = ref(x, training=True)
            loss = tf.reduce_sum(y * r)
        grads = tape.gradient(loss, [x] + ref.trainable_weights)
        train.append((y.numpy(), [g.numpy() for g in grads]))
    x = tf.constant(batches[0])
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = ref(x, training=False)
        loss = tf.reduce_sum(y * r)
    grads = tape.gradient(loss, [x] + ref.trainable_weights)
    infer = (y.numpy(), [g.numpy() for g in grads])
    return train, infer, ref.get_weights()


CASES = [
    # shape, axis, center, scale, keras fused, tfcore kwargs
    ((16, 5), -1, True, True, None, {}),
    ((16, 5), -1, False, True, None, {}),
    ((16, 5), -1, True, False, None, {}),
    ((10, 4, 3), -1, True, True, None, {}),
    ((4, 3, 3, 5), -1, True, True, None, {}),             # Keras fuses: unbiased moving variance
    ((4, 3, 3, 5), -1, True, True, None, {"fused": True}),
    ((4, 3, 3, 5), -1, False, False, None, {"fused": True}),
    ((4, 3, 3, 5), -1, True, True, False, {"unbiased_moving_variance": False}),
    ((4, 3, 3, 5), -1, False, True, False, {"fused": True, "unbiased_moving_variance": False}),
    ((4, 5, 3, 3), 1, True, True, False, {"unbiased_moving_variance": False}),
    # tfcore's fused kernel in every layout tf-keras fuses: NCHW, NDHWC, NCDHW
    ((4, 5, 3, 3), 1, True, True, True, {"fused": True}),
    ((3, 2, 3, 2, 4), -1, True, True, None, {"fused": True}),
    ((3, 4, 2, 3, 2), 1, False, True, None, {"fused": True}),
]


@pytest.mark.parametrize("shape,axis,center,scale,keras_fused,kwargs", CASES)
def test_batch_norm_training_moving_stats_inference_and_gradients_equal_keras(
        rng, shape, axis, center, scale, keras_fused, kwargs):
    features = shape[axis]
    ref = keras.layers.BatchNormalization(axis=axis, momentum=0.9, epsilon=1e-3, center=center,
                                          scale=scale, fused=keras_fused)
    ref.build(shape)
    weights = []
    if scale:
        weights.append(rng.uniform(0.5, 1.5, features).astype(np.float32))
    if center:
        weights.append(rng.uniform(-0.5, 0.5, features).astype(np.float32))
    weights += [rng.uniform(-0.3, 0.3, features).astype(np.float32),
                rng.uniform(0.5, 2.0, features).astype(np.float32)]
    ref.set_weights(weights)
    batches = [(rng.randn(*shape) * 2 + 0.5).astype(np.float32) for _ in range(STEPS)]
    r = rng.uniform(-1, 1, shape).astype(np.float32)

    expected = _keras_run(ref, batches, r)
    layer = BatchNormalization(axis=axis, momentum=0.9, epsilon=1e-3, center=center, scale=scale,
                               **kwargs)
    got = run_batch_norm(layer, weights, batches, r)

    (train_k, infer_k, weights_k), (train_t, infer_t, weights_t) = expected, got
    for step, ((y_k, g_k), (y_t, g_t)) in enumerate(zip(train_k + [infer_k], train_t + [infer_t])):
        np.testing.assert_allclose(y_t, y_k, atol=1e-5, err_msg="output, step %d" % step)
        assert len(g_t) == len(g_k)
        for i, (a, b) in enumerate(zip(g_t, g_k)):
            np.testing.assert_allclose(a, b, atol=1e-5, err_msg="gradient %d, step %d" % (i, step))
    assert len(weights_t) == len(weights_k)
    for a, b, name in zip(weights_t, weights_k, [w.name for w in ref.weights]):
        np.testing.assert_allclose(a, b, atol=1e-5, err_msg=name)


@pytest.mark.parametrize("shape,axis", [((4, 3, 3, 5), -1), ((3, 4, 2, 2, 3), 1)])
def test_float64_batch_norm_moving_variance_equals_keras_readable_path(rng, shape, axis):
    # tf-keras fuses 4-D/5-D inputs by default, but not float64 ones (its fused
    # kernel has no float64 version): their moving variance gets the biased variance.
    features = shape[axis]
    ref = keras.layers.BatchNormalization(axis=axis, momentum=0.5, dtype="float64")
    ref.build(shape)
    weights = [rng.uniform(0.5, 1.5, features), rng.uniform(-0.5, 0.5, features),
               rng.uniform(-0.3, 0.3, features), rng.uniform(0.5, 2.0, features)]
    ref.set_weights(weights)
    batches = [rng.randn(*shape) * 2 + 0.5 for _ in range(STEPS)]
    r = rng.uniform(-1, 1, shape)
    train_k, infer_k, weights_k = _keras_run(ref, batches, r)

    graph = tfcore.new_graph()
    with graph.as_default():
        xp = tfcore.placeholder((None,) + shape[1:], tf.float64)
        layer = BatchNormalization(axis=axis, momentum=0.5)
        y_train, y_infer = layer(xp, training=True), layer(xp, training=False)
        with tfcore.session(graph=graph) as sess:
            layer.set_weights(sess, weights)
            train_t = [sess.run([y_train, layer.updates], {xp: b})[0] for b in batches]
            infer_t = sess.run(y_infer, {xp: batches[0]})
            weights_t = layer.get_weights(sess)
    for (y_k, _), y_t in zip(train_k, train_t):
        np.testing.assert_allclose(y_t, y_k, atol=1e-10)
    for a, b, name in zip(weights_t, weights_k, [w.name for w in ref.weights]):
        np.testing.assert_allclose(a, b, rtol=1e-10, err_msg=name)
    np.testing.assert_allclose(infer_t, infer_k[0], atol=1e-10)
