"""Optimizers: closed-form and NumPy recurrences, state, grouping, clear errors."""

import numpy as np
import pytest
import tensorflow as tf

import tfcore
from tfcore.optimizers import SGD, Adam, Momentum, Optimizer


def _quadratic(rng, optimizer, steps, dtype=tf.float64):
    """Train w on loss = 0.5 * sum(a * (w - c)^2); return the weights and gradients seen.

    The gradient a * (w - c) is known in closed form, so each recorded step can be
    checked against the update formula computed in NumPy.
    """
    a = rng.uniform(0.5, 2.0, (3, 2))
    c = rng.randn(3, 2)
    w0 = rng.randn(3, 2)
    graph = tfcore.new_graph()
    with graph.as_default():
        w = tfcore.variable(w0, name="w", dtype=dtype)
        loss = 0.5 * tf.reduce_sum(a * tf.square(w - c))
        train = optimizer.minimize(loss)
        init = tf.compat.v1.global_variables_initializer()
    weights, lrs = [w0], []
    with tfcore.session(graph=graph) as sess:
        sess.run(init)
        for _ in range(steps):
            _, lr = sess.run([train, optimizer.learning_rate_tensor])
            weights.append(sess.run(w))
            lrs.append(lr)
        iterations = sess.run(optimizer.iterations)
    return weights, lrs, iterations, lambda w: a * (w - c)


@pytest.mark.parametrize("decay", [0.0, 0.3])
def test_sgd_equals_closed_form_update_with_time_decay(rng, decay):
    lr = 0.1
    weights, lrs, iterations, grad = _quadratic(rng, SGD(lr, decay=decay), steps=6)
    assert iterations == 6
    for k in range(6):
        lr_k = lr / (1.0 + decay * k)
        np.testing.assert_allclose(lrs[k], lr_k, rtol=1e-12)
        expected = weights[k] - lr_k * grad(weights[k])
        np.testing.assert_allclose(weights[k + 1], expected, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("nesterov", [False, True])
def test_momentum_equals_numpy_recurrence(rng, nesterov):
    lr, mu, decay = 0.05, 0.8, 0.1
    weights, _, _, grad = _quadratic(rng, Momentum(lr, mu, nesterov=nesterov, decay=decay), steps=8)
    w, v = weights[0], np.zeros_like(weights[0])
    for k in range(8):
        lr_k = lr / (1.0 + decay * k)
        g = grad(w)
        v = mu * v - lr_k * g
        w = w + (mu * v - lr_k * g if nesterov else v)
        np.testing.assert_allclose(weights[k + 1], w, rtol=1e-12, atol=1e-14)


def test_adam_equals_numpy_recurrence_with_decay(rng):
    lr, b1, b2, eps, decay = 0.01, 0.9, 0.99, 1e-7, 0.05
    weights, _, _, grad = _quadratic(rng, Adam(lr, b1, b2, eps, decay=decay), steps=10)
    w = weights[0]
    m, v = np.zeros_like(w), np.zeros_like(w)
    for k in range(10):
        t = k + 1
        g = grad(w)
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        lr_t = lr / (1.0 + decay * k) * np.sqrt(1 - b2 ** t) / (1 - b1 ** t)
        w = w - lr_t * m / (np.sqrt(v) + eps)
        np.testing.assert_allclose(weights[k + 1], w, rtol=1e-10, atol=1e-12)


def test_adam_amsgrad_equals_numpy_recurrence_and_differs_from_adam(rng):
    # beta_2 = 0.5 lets v follow the shrinking gradients down, so max(v_hat, v) matters.
    lr, b1, b2, eps, decay = 0.3, 0.9, 0.5, 1e-7, 0.01
    weights, _, _, grad = _quadratic(rng, Adam(lr, b1, b2, eps, decay=decay, amsgrad=True), steps=12)
    w = weights[0]
    m, v, vhat = np.zeros_like(w), np.zeros_like(w), np.zeros_like(w)
    plain = w
    pm, pv = np.zeros_like(w), np.zeros_like(w)
    for k in range(12):
        t = k + 1
        lr_t = lr / (1.0 + decay * k) * np.sqrt(1 - b2 ** t) / (1 - b1 ** t)
        g = grad(w)
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        vhat = np.maximum(vhat, v)
        w = w - lr_t * m / (np.sqrt(vhat) + eps)
        np.testing.assert_allclose(weights[k + 1], w, rtol=1e-10, atol=1e-12)
        pg = grad(plain)
        pm, pv = b1 * pm + (1 - b1) * pg, b2 * pv + (1 - b2) * pg * pg
        plain = plain - lr_t * pm / (np.sqrt(pv) + eps)
    assert np.abs(weights[-1] - plain).max() > 1e-3  # the maximum did change the path


def test_sgd_with_momentum_is_momentum_and_without_has_no_slot():
    # Keras 2 spells momentum as SGD(momentum=...): the same update as Momentum(...).
    make = (lambda: SGD(0.05, momentum=0.8, nesterov=True, decay=0.1),
            lambda: Momentum(0.05, 0.8, nesterov=True, decay=0.1))
    runs = [_quadratic(np.random.RandomState(0), m(), steps=5)[0] for m in make]
    for a, b in zip(*runs):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(runs[0][-1], _quadratic(np.random.RandomState(0), SGD(0.05, decay=0.1), steps=5)[0][-1])
    graph = tfcore.new_graph()
    with graph.as_default():
        w = tfcore.variable(np.ones(3))
        plain, moving = SGD(0.1), SGD(0.1, momentum=0.5)
        plain.minimize(tf.reduce_sum(w * w))
        moving.minimize(tf.reduce_sum(w * w))
    assert [v.name for v in plain.variables] == [plain.iterations.name]
    assert len(moving.variables) == 2 and moving.get_slot(w, "momentum") is moving.variables[1]


def test_adam_first_step_moves_each_weight_by_learning_rate():
    # A known property: m_hat / sqrt(v_hat) = g / |g| on step 1, so |dw| = lr (up to eps).
    graph = tfcore.new_graph()
    with graph.as_default():
        w = tfcore.variable(np.array([3.0, -2.0, 0.5]), dtype=tf.float64)
        train = Adam(0.1).minimize(tf.reduce_sum(w * w))
        init = tf.compat.v1.global_variables_initializer()
    with tfcore.session(graph=graph) as sess:
        sess.run(init)
        sess.run(train)
        np.testing.assert_allclose(sess.run(w), [2.9, -1.9, 0.4], rtol=1e-6)


def test_adam_state_is_iterations_then_slots_next_to_their_variables():
    graph = tfcore.new_graph()
    with graph.as_default():
        kernel = tfcore.variable(tf.ones((2, 3)), name="dense/kernel")
        bias = tfcore.variable(tf.zeros((3,)), name="dense/bias")
        loss = tf.reduce_sum(tf.matmul(tf.ones((1, 2)), kernel) + bias)
        opt = Adam()
        assert opt.iterations is None and opt.variables == [] and opt.learning_rate_tensor is None
        opt.minimize(loss)
        assert [v.name for v in opt.variables] == [
            "Adam/iterations:0",
            "dense/kernel/adam_m:0", "dense/bias/adam_m:0",
            "dense/kernel/adam_v:0", "dense/bias/adam_v:0",
        ]
        assert opt.iterations.dtype == tf.int64 and not opt.iterations.trainable
        assert all(not v.trainable for v in opt.variables)
        assert opt.get_slot(kernel, "adam_m").shape == kernel.shape
        # Slots are not trained, and a second minimize reuses the same state.
        assert tf.compat.v1.trainable_variables() == [kernel, bias]
        opt.minimize(loss)
        assert len(opt.variables) == 5


def test_train_op_runs_update_ops_collection_in_the_same_session_run():
    graph = tfcore.new_graph()
    with graph.as_default():
        w = tfcore.variable(1.0, dtype=tf.float32)
        counter = tfcore.variable(0.0, trainable=False)
        tf.compat.v1.add_to_collection(tf.compat.v1.GraphKeys.UPDATE_OPS, counter.assign_add(1.0))
        train = SGD(0.1).minimize(tf.square(w))
        explicit_counter = tfcore.variable(0.0, trainable=False)
        train_explicit = SGD(0.1).minimize(tf.square(w), update_ops=[explicit_counter.assign_add(5.0)])
        init = tf.compat.v1.global_variables_initializer()
    with tfcore.session(graph=graph) as sess:
        sess.run(init)
        sess.run(train)
        sess.run(train)
        assert sess.run(counter) == 2.0
        np.testing.assert_allclose(sess.run(w), 1.0 * (1 - 0.2) ** 2, rtol=1e-6)
        sess.run(train_explicit)
        assert sess.run(explicit_counter) == 5.0
        assert sess.run(counter) == 2.0  # update_ops given explicitly replace the collection


def test_minimize_defaults_to_trainable_variables_and_skips_frozen_ones():
    graph = tfcore.new_graph()
    with graph.as_default():
        w = tfcore.variable(2.0)
        frozen = tfcore.variable(3.0, trainable=False)
        train = SGD(0.5).minimize(tf.square(w) * frozen)
        init = tf.compat.v1.global_variables_initializer()
    with tfcore.session(graph=graph) as sess:
        sess.run(init)
        sess.run(train)
        np.testing.assert_allclose(sess.run([w, frozen]), [2.0 - 0.5 * 2 * 2.0 * 3.0, 3.0])


def test_all_gradients_use_the_weights_before_the_step():
    # loss = (u * w)^2: both gradients must see the old u and w even though both change.
    graph = tfcore.new_graph()
    with graph.as_default():
        u = tfcore.variable(1.5, dtype=tf.float64)
        w = tfcore.variable(-0.7, dtype=tf.float64)
        train = SGD(0.1).minimize(tf.square(u * w))
        init = tf.compat.v1.global_variables_initializer()
    with tfcore.session(graph=graph) as sess:
        sess.run(init)
        for _ in range(5):
            u0, w0 = sess.run([u, w])
            sess.run(train)
            np.testing.assert_allclose(
                sess.run([u, w]), [u0 - 0.1 * 2 * u0 * w0 * w0, w0 - 0.1 * 2 * u0 * u0 * w0], rtol=1e-12
            )


def test_learning_rate_tensor_can_be_fetched_without_feeds():
    graph = tfcore.new_graph()
    with graph.as_default():
        x = tfcore.placeholder((None,))
        w = tfcore.variable(1.0)
        opt = SGD(0.2, decay=1.0)
        train = opt.minimize(tf.reduce_sum(x * w))
        init = tf.compat.v1.global_variables_initializer()
    with tfcore.session(graph=graph) as sess:
        sess.run(init)
        assert sess.run(opt.learning_rate_tensor) == pytest.approx(0.2)
        sess.run(train, {x: [1.0, 2.0]})
        assert sess.run(opt.learning_rate_tensor) == pytest.approx(0.2 / 2.0)


def test_float64_variables_get_float64_updates():
    weights, _, _, _ = _quadratic(np.random.RandomState(0), Adam(0.1), steps=1, dtype=tf.float64)
    assert weights[1].dtype == np.float64


def test_variable_without_gradient_is_named_in_the_error():
    with tfcore.new_graph().as_default():
        used = tfcore.variable(1.0, name="used")
        tfcore.variable(1.0, name="unused")
        with pytest.raises(ValueError, match="unused"):
            SGD().minimize(tf.square(used))


def test_no_variables_is_a_clear_error():
    with tfcore.new_graph().as_default():
        with pytest.raises(ValueError, match="no variables"):
            SGD().minimize(tf.constant(1.0))


def test_optimizer_refuses_a_second_graph():
    opt = SGD()
    for i in range(2):
        with tfcore.new_graph().as_default():
            loss = tf.square(tfcore.variable(1.0))
            if i == 0:
                opt.minimize(loss)
            else:
                with pytest.raises(ValueError, match="another graph"):
                    opt.minimize(loss)


@pytest.mark.parametrize("make,argument", [
    (lambda: SGD(learning_rate=0.0), "learning_rate"),
    (lambda: SGD(learning_rate=-1.0), "learning_rate"),
    (lambda: SGD(decay=-0.1), "decay"),
    (lambda: Momentum(momentum=-0.1), "momentum"),
    (lambda: Momentum(momentum=1.5), "momentum"),
    (lambda: SGD(momentum=-0.5), "momentum"),
    (lambda: Adam(beta_1=1.0), "beta_1"),
    (lambda: Adam(beta_1=-0.1), "beta_1"),
    (lambda: Adam(beta_2=1.0), "beta_2"),
    (lambda: Adam(epsilon=0.0), "epsilon"),
    (lambda: Adam(learning_rate=-0.001), "learning_rate"),
    (lambda: Adam(decay=-1e-5), "decay"),
])
def test_bad_hyperparameters_raise_value_error_naming_optimizer_and_argument(make, argument):
    with pytest.raises(ValueError, match=r"^\w+: %s must be in" % argument):
        make()


def test_non_number_hyperparameter_raises_type_error():
    with pytest.raises(TypeError, match="Adam: learning_rate"):
        Adam(learning_rate="0.1")


def test_base_optimizer_is_abstract():
    with tfcore.new_graph().as_default():
        with pytest.raises(NotImplementedError):
            Optimizer(0.1).minimize(tf.square(tfcore.variable(1.0)))
