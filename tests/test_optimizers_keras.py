"""Optimizers equal tf_keras.optimizers.legacy step for step (same weights, same batches)."""

import numpy as np
import pytest
import tensorflow as tf

from tests.oracle import keras
import tfcore
from tfcore.layers.dense import Dense
from tfcore.optimizers import SGD, Adam, Momentum

pytestmark = pytest.mark.keras

STEPS = 25


def _train_both(rng, make_tfcore, make_keras):
    """Train x W + b on MSE with both optimizers; return per-step weights of each."""
    x = rng.randn(STEPS, 8, 4).astype(np.float32)
    y = rng.randn(STEPS, 8, 3).astype(np.float32)

    ref = keras.layers.Dense(3)
    ref.build((None, 4))
    weights = [w + rng.uniform(-0.1, 0.1, w.shape).astype(np.float32) for w in ref.get_weights()]
    ref.set_weights(weights)
    ref_opt = make_keras()
    ref_weights = []
    for k in range(STEPS):
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(tf.square(ref(x[k]) - y[k]))
        ref_opt.apply_gradients(zip(tape.gradient(loss, ref.trainable_weights), ref.trainable_weights))
        ref_weights.append([w.numpy() for w in ref.trainable_weights])
    ref_iterations = int(ref_opt.iterations.numpy())

    graph = tfcore.new_graph()
    with graph.as_default():
        xp, yp = tfcore.placeholder((None, 4)), tfcore.placeholder((None, 3))
        layer = Dense(3)
        loss = tf.reduce_mean(tf.square(layer(xp) - yp))
        opt = make_tfcore()
        train = opt.minimize(loss)
        init = tf.compat.v1.global_variables_initializer()
    ours = []
    with tfcore.session(graph=graph) as sess:
        sess.run(init)
        layer.set_weights(sess, weights)
        for k in range(STEPS):
            sess.run(train, {xp: x[k], yp: y[k]})
            ours.append(layer.get_weights(sess))
        assert sess.run(opt.iterations) == STEPS == ref_iterations
    return ours, ref_weights


def _assert_same_path(ours, ref):
    """Every weight after every step within 1e-6."""
    assert len(ours) == len(ref) == STEPS
    for k, (a, b) in enumerate(zip(ours, ref)):
        for wa, wb in zip(a, b):
            np.testing.assert_allclose(wa, wb, atol=1e-6, rtol=0, err_msg="step %d" % (k + 1))


@pytest.mark.parametrize("decay", [0.0, 0.05])
def test_adam_with_time_decay_equals_keras_legacy_adam_for_25_steps(rng, decay):
    ours, ref = _train_both(
        rng,
        lambda: Adam(learning_rate=0.01, decay=decay),
        lambda: keras.optimizers.legacy.Adam(learning_rate=0.01, decay=decay),
    )
    _assert_same_path(ours, ref)


@pytest.mark.parametrize("nesterov", [False, True])
def test_momentum_with_decay_equals_keras_legacy_sgd_momentum(rng, nesterov):
    ours, ref = _train_both(
        rng,
        lambda: Momentum(learning_rate=0.05, momentum=0.9, nesterov=nesterov, decay=0.1),
        lambda: keras.optimizers.legacy.SGD(learning_rate=0.05, momentum=0.9, nesterov=nesterov, decay=0.1),
    )
    _assert_same_path(ours, ref)


def test_sgd_with_decay_equals_keras_legacy_sgd(rng):
    ours, ref = _train_both(
        rng,
        lambda: SGD(learning_rate=0.1, decay=0.2),
        lambda: keras.optimizers.legacy.SGD(learning_rate=0.1, decay=0.2),
    )
    _assert_same_path(ours, ref)


@pytest.mark.parametrize("nesterov", [False, True])
def test_sgd_momentum_argument_equals_keras_legacy_sgd(rng, nesterov):
    ours, ref = _train_both(
        rng,
        lambda: SGD(learning_rate=0.05, momentum=0.7, nesterov=nesterov, decay=0.05),
        lambda: keras.optimizers.legacy.SGD(learning_rate=0.05, momentum=0.7, nesterov=nesterov, decay=0.05),
    )
    _assert_same_path(ours, ref)


@pytest.mark.parametrize("decay", [0.0, 0.05])
def test_adam_amsgrad_equals_keras_legacy_adam_amsgrad_for_25_steps(rng, decay):
    ours, ref = _train_both(
        rng,
        lambda: Adam(learning_rate=0.02, beta_2=0.9, decay=decay, amsgrad=True),
        lambda: keras.optimizers.legacy.Adam(learning_rate=0.02, beta_2=0.9, decay=decay, amsgrad=True),
    )
    _assert_same_path(ours, ref)
