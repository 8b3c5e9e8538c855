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


# -- the optimizers of Keras 2's legacy set, their variants and gradient clipping --

LEGACY_CASES = {
    "rmsprop_decay": lambda o: o.RMSprop(0.01, decay=0.05),
    "rmsprop_centered": lambda o: o.RMSprop(0.01, rho=0.8, centered=True, decay=0.05),
    "rmsprop_momentum": lambda o: o.RMSprop(0.01, momentum=0.8, decay=0.05),
    "rmsprop_centered_momentum": lambda o: o.RMSprop(0.01, momentum=0.8, centered=True),
    "adagrad_decay": lambda o: o.Adagrad(0.1, initial_accumulator_value=0.2, decay=0.05),
    "adadelta_decay": lambda o: o.Adadelta(1.0, rho=0.9, decay=0.05),
    "adadelta_default_lr": lambda o: o.Adadelta(),
    "adamax_decay": lambda o: o.Adamax(0.02, beta_2=0.99, decay=0.05),
    "nadam": lambda o: o.Nadam(0.02),
    "nadam_schedule_decay": lambda o: o.Nadam(0.02, beta_2=0.99, schedule_decay=0.1),
    "sgd_clipnorm": lambda o: o.SGD(0.1, clipnorm=0.3),
    "sgd_momentum_clipvalue": lambda o: o.SGD(0.1, momentum=0.9, clipvalue=0.05, decay=0.05),
    "adam_clipnorm_decay": lambda o: o.Adam(0.01, clipnorm=0.2, decay=0.05),
    "adam_clipvalue": lambda o: o.Adam(0.01, clipvalue=0.1),
    "adam_global_clipnorm": lambda o: o.Adam(0.01, global_clipnorm=0.2, clipvalue=0.15),
    "rmsprop_clipnorm": lambda o: o.RMSprop(0.01, clipnorm=0.1),
    "nadam_clipvalue": lambda o: o.Nadam(0.02, clipvalue=0.05),
}


@pytest.mark.parametrize("case", sorted(LEGACY_CASES))
def test_optimizer_equals_keras_legacy_for_25_steps(rng, case):
    make = LEGACY_CASES[case]
    ours, ref = _train_both(rng, lambda: make(tfcore.optimizers), lambda: make(keras.optimizers.legacy))
    _assert_same_path(ours, ref)


def test_nadam_ignores_decay_like_keras_legacy_nadam(rng):
    with pytest.warns(UserWarning, match="decay=0.5 is ignored"):
        ours, ref = _train_both(rng, lambda: tfcore.optimizers.Nadam(0.02, decay=0.5),
                                lambda: keras.optimizers.legacy.Nadam(0.02, decay=0.5))
    _assert_same_path(ours, ref)


# -- learning-rate schedules as the learning rate, and a rate changed mid-training --

def _schedules(module):
    return {
        "exponential_staircase": module.ExponentialDecay(0.1, decay_steps=4, decay_rate=0.5, staircase=True),
        "piecewise": module.PiecewiseConstantDecay([5, 12], [0.1, 0.05, 0.01]),
        "cosine": module.CosineDecay(0.1, decay_steps=15, alpha=0.1),
        "cosine_restarts": module.CosineDecayRestarts(0.1, first_decay_steps=4, t_mul=1.5, m_mul=0.8),
        "inverse_time": module.InverseTimeDecay(0.1, decay_steps=3, decay_rate=0.7),
    }


@pytest.mark.parametrize("name", ["exponential_staircase", "piecewise", "cosine", "cosine_restarts",
                                  "inverse_time"])
def test_schedule_as_learning_rate_equals_keras_legacy_with_time_decay(rng, name):
    ours, ref = _train_both(
        rng,
        lambda: tfcore.optimizers.SGD(_schedules(tfcore.schedules)[name], momentum=0.5, decay=0.02),
        lambda: keras.optimizers.legacy.SGD(_schedules(keras.optimizers.schedules)[name], momentum=0.5,
                                            decay=0.02),
    )
    _assert_same_path(ours, ref)


def test_adam_with_exponential_decay_schedule_equals_keras_legacy(rng):
    ours, ref = _train_both(
        rng,
        lambda: Adam(tfcore.schedules.ExponentialDecay(0.02, 6, 0.6)),
        lambda: keras.optimizers.legacy.Adam(keras.optimizers.schedules.ExponentialDecay(0.02, 6, 0.6)),
    )
    _assert_same_path(ours, ref)


# -- sparse gradients: tf.gather of a table (an Embedding lookup) gives IndexedSlices --

SPARSE_CASES = {
    "sgd_decay": lambda o: o.SGD(0.2, decay=0.05),
    "sgd_nesterov": lambda o: o.SGD(0.2, momentum=0.9, nesterov=True),
    "adam_amsgrad": lambda o: o.Adam(0.05, amsgrad=True),
    "rmsprop": lambda o: o.RMSprop(0.01),
    "rmsprop_centered": lambda o: o.RMSprop(0.01, centered=True),
    "rmsprop_momentum": lambda o: o.RMSprop(0.01, momentum=0.8),
    "rmsprop_centered_momentum": lambda o: o.RMSprop(0.01, momentum=0.8, centered=True),
    "adagrad": lambda o: o.Adagrad(0.1),
    "adadelta": lambda o: o.Adadelta(1.0),
    "adamax": lambda o: o.Adamax(0.05),
    "nadam": lambda o: o.Nadam(0.05),
    "momentum_clipnorm": lambda o: o.SGD(0.5, momentum=0.5, clipnorm=0.05),
    "adam_global_clipnorm_clipvalue": lambda o: o.Adam(0.05, global_clipnorm=0.05, clipvalue=0.01),
}


@pytest.mark.parametrize("case", sorted(SPARSE_CASES))
def test_sparse_gradient_updates_equal_keras_legacy_for_20_steps(case):
    """Rows looked up with repeats from a (10, 3) table; rows 8 and 9 are never looked up."""
    rng = np.random.RandomState(7)
    steps = 20
    ids = rng.randint(0, 8, (steps, 6))
    y = rng.randn(steps, 6, 3).astype(np.float32)
    table0 = rng.randn(10, 3).astype(np.float32)
    table, ref_opt, ref = tf.Variable(table0), SPARSE_CASES[case](keras.optimizers.legacy), []
    for k in range(steps):
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(tf.square(tf.gather(table, ids[k]) - y[k]))
        grads = tape.gradient(loss, [table])
        assert isinstance(grads[0], tf.IndexedSlices)
        ref_opt.apply_gradients(zip(grads, [table]))
        ref.append(table.numpy())

    graph = tfcore.new_graph()
    with graph.as_default():
        ids_p, y_p = tf.compat.v1.placeholder(tf.int32, (None,)), tfcore.placeholder((None, 3))
        ours = tfcore.variable(table0)
        loss = tf.reduce_mean(tf.square(tf.gather(ours, ids_p) - y_p))
        opt = SPARSE_CASES[case](tfcore.optimizers)
        assert isinstance(opt.compute_gradients(loss)[0][0], tf.IndexedSlices)
        train = opt.minimize(loss)
        with tfcore.session(graph=graph) as sess:
            sess.run(tf.compat.v1.global_variables_initializer())
            for k in range(steps):
                sess.run(train, {ids_p: ids[k], y_p: y[k]})
                np.testing.assert_allclose(sess.run(ours), ref[k], atol=1e-6, rtol=0,
                                           err_msg="step %d" % (k + 1))
    np.testing.assert_array_equal(ref[-1][8:], table0[8:])  # rows never looked up never move
