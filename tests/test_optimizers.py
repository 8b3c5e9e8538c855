"""Optimizers: closed-form and NumPy recurrences, state, grouping, clear errors."""

import numpy as np
import pytest
import tensorflow as tf

import tfcore
import tfcore.layers
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


@pytest.mark.parametrize("implementation", ["fused", "readable"])
@pytest.mark.parametrize("decay", [0.0, 0.3])
def test_sgd_equals_closed_form_update_with_time_decay(rng, decay, implementation):
    lr = 0.1
    weights, lrs, iterations, grad = _quadratic(
        rng, SGD(lr, decay=decay, implementation=implementation), steps=6)
    assert iterations == 6
    for k in range(6):
        lr_k = lr / (1.0 + decay * k)
        np.testing.assert_allclose(lrs[k], lr_k, rtol=1e-12)
        expected = weights[k] - lr_k * grad(weights[k])
        np.testing.assert_allclose(weights[k + 1], expected, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("implementation", ["fused", "readable"])
@pytest.mark.parametrize("nesterov", [False, True])
def test_momentum_equals_numpy_recurrence(rng, nesterov, implementation):
    lr, mu, decay = 0.05, 0.8, 0.1
    weights, _, _, grad = _quadratic(
        rng, Momentum(lr, mu, nesterov=nesterov, decay=decay, implementation=implementation), steps=8)
    w, v = weights[0], np.zeros_like(weights[0])
    for k in range(8):
        lr_k = lr / (1.0 + decay * k)
        g = grad(w)
        v = mu * v - lr_k * g
        w = w + (mu * v - lr_k * g if nesterov else v)
        np.testing.assert_allclose(weights[k + 1], w, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("implementation", ["fused", "readable"])
def test_adam_equals_numpy_recurrence_with_decay(rng, implementation):
    lr, b1, b2, eps, decay = 0.01, 0.9, 0.99, 1e-7, 0.05
    weights, _, _, grad = _quadratic(
        rng, Adam(lr, b1, b2, eps, decay=decay, implementation=implementation), steps=10)
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


@pytest.mark.parametrize("implementation", ["fused", "readable"])
def test_adam_amsgrad_equals_numpy_recurrence_and_differs_from_adam(rng, implementation):
    # beta_2 = 0.5 lets v follow the shrinking gradients down, so max(v_hat, v) matters.
    lr, b1, b2, eps, decay = 0.3, 0.9, 0.5, 1e-7, 0.01
    weights, _, _, grad = _quadratic(
        rng, Adam(lr, b1, b2, eps, decay=decay, amsgrad=True, implementation=implementation), steps=12)
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
    (lambda: SGD(clipnorm=0.0), "clipnorm"),
    (lambda: Adam(clipvalue=-1.0), "clipvalue"),
    (lambda: tfcore.optimizers.RMSprop(rho=1.5), "rho"),
    (lambda: tfcore.optimizers.RMSprop(momentum=-0.1), "momentum"),
    (lambda: tfcore.optimizers.Adagrad(initial_accumulator_value=-0.1), "initial_accumulator_value"),
    (lambda: tfcore.optimizers.Adadelta(epsilon=0.0), "epsilon"),
    (lambda: tfcore.optimizers.Adamax(beta_1=1.0), "beta_1"),
    (lambda: tfcore.optimizers.Nadam(schedule_decay=-0.1), "schedule_decay"),
    (lambda: SGD(learning_rate=float("nan")), "learning_rate"),
    (lambda: SGD(learning_rate=float("inf")), "learning_rate"),
    (lambda: SGD(clipnorm=float("inf")), "clipnorm"),  # tf.clip_by_norm(g, inf) is NaN
    (lambda: Adam(global_clipnorm=float("inf")), "global_clipnorm"),
])
def test_bad_hyperparameters_raise_value_error_naming_optimizer_and_argument(make, argument):
    with pytest.raises(ValueError, match=r"^\w+: %s must be in" % argument):
        make()


def test_non_number_hyperparameter_raises_type_error():
    with pytest.raises(TypeError, match="Adam: learning_rate"):
        Adam(learning_rate="0.1")
    with pytest.raises(TypeError, match="Adam: amsgrad must be True or False, got 1"):
        Adam(amsgrad=1)
    with tfcore.new_graph().as_default():
        w = tfcore.variable(1.0)
        with pytest.raises(TypeError, match="SGD: each entry of var_list must be a tf.Variable, got <tf.Tensor"):
            SGD().minimize(tf.square(w), var_list=[w, w * 2.0])
    assert SGD(clipvalue=float("inf")).clipvalue == float("inf")  # clip_by_value(g, -inf, inf) = g


def test_base_optimizer_is_abstract():
    with tfcore.new_graph().as_default():
        with pytest.raises(NotImplementedError):
            Optimizer(0.1).minimize(tf.square(tfcore.variable(1.0)))


# -- the rest of Keras 2's legacy optimizers, as NumPy recurrences in float64 --

def _numpy_path(weights, grad, steps, rule):
    """Replay `rule(k, g, w, state) -> (w, state)` from weights[0]; compare every step."""
    w, state = weights[0], {}
    for k in range(steps):
        w, state = rule(k, grad(w), w, state)
        np.testing.assert_allclose(weights[k + 1], w, rtol=1e-10, atol=1e-12, err_msg="step %d" % (k + 1))


@pytest.mark.parametrize("momentum", [0.0, 0.7])
@pytest.mark.parametrize("centered", [False, True])
def test_rmsprop_equals_numpy_recurrence(rng, momentum, centered):
    lr, rho, eps, decay = 0.01, 0.85, 1e-7, 0.1
    opt = tfcore.optimizers.RMSprop(lr, rho=rho, momentum=momentum, epsilon=eps, centered=centered, decay=decay)
    weights, _, _, grad = _quadratic(rng, opt, steps=12)

    def rule(k, g, w, s):
        lr_k = lr / (1 + decay * k)
        ms = s["ms"] = rho * s.get("ms", 0) + (1 - rho) * g * g
        d = ms
        if centered:
            s["mg"] = rho * s.get("mg", 0) + (1 - rho) * g
            d = ms - s["mg"] ** 2
        if momentum == 0:
            return w - lr_k * g / (np.sqrt(d) + eps), s
        s["mom"] = momentum * s.get("mom", 0) + lr_k * g / np.sqrt(d + eps)  # eps under the root
        return w - s["mom"], s
    _numpy_path(weights, grad, 12, rule)


def test_adagrad_equals_numpy_recurrence(rng):
    lr, a0, eps, decay = 0.3, 0.2, 1e-7, 0.05
    weights, _, _, grad = _quadratic(rng, tfcore.optimizers.Adagrad(lr, a0, eps, decay=decay), steps=10)

    def rule(k, g, w, s):
        s["a"] = s.get("a", a0) + g * g
        return w - lr / (1 + decay * k) * g / (np.sqrt(s["a"]) + eps), s
    _numpy_path(weights, grad, 10, rule)


def test_adadelta_equals_numpy_recurrence(rng):
    lr, rho, eps, decay = 1.0, 0.9, 1e-6, 0.05
    weights, _, _, grad = _quadratic(rng, tfcore.optimizers.Adadelta(lr, rho, eps, decay=decay), steps=10)

    def rule(k, g, w, s):
        s["a"] = rho * s.get("a", 0) + (1 - rho) * g * g
        d = np.sqrt(s.get("u", 0) + eps) / np.sqrt(s["a"] + eps) * g
        s["u"] = rho * s.get("u", 0) + (1 - rho) * d * d
        return w - lr / (1 + decay * k) * d, s
    _numpy_path(weights, grad, 10, rule)


def test_adamax_equals_numpy_recurrence(rng):
    lr, b1, b2, eps, decay = 0.05, 0.8, 0.9, 1e-7, 0.05
    weights, _, _, grad = _quadratic(rng, tfcore.optimizers.Adamax(lr, b1, b2, eps, decay=decay), steps=10)

    def rule(k, g, w, s):
        s["m"] = b1 * s.get("m", 0) + (1 - b1) * g
        s["v"] = np.maximum(b2 * s.get("v", 0), np.abs(g))
        return w - lr / (1 + decay * k) / (1 - b1 ** (k + 1)) * s["m"] / (s["v"] + eps), s
    _numpy_path(weights, grad, 10, rule)


def test_nadam_equals_dozat_recurrence_with_momentum_cache(rng):
    lr, b1, b2, eps, sd = 0.05, 0.9, 0.99, 1e-7, 0.2
    opt = tfcore.optimizers.Nadam(lr, b1, b2, eps, schedule_decay=sd)
    weights, _, _, grad = _quadratic(rng, opt, steps=10)
    mu = lambda t: b1 * (1 - 0.5 * 0.96 ** (sd * t))

    def rule(k, g, w, s):
        t = k + 1
        cache = s["P"] = s.get("P", 1.0) * mu(t)
        s["m"] = b1 * s.get("m", 0) + (1 - b1) * g
        s["v"] = b2 * s.get("v", 0) + (1 - b2) * g * g
        m_bar = (1 - mu(t)) * g / (1 - cache) + mu(t + 1) * s["m"] / (1 - cache * mu(t + 1))
        return w - lr * m_bar / (np.sqrt(s["v"] / (1 - b2 ** t)) + eps), s
    _numpy_path(weights, grad, 10, rule)
    assert opt.variables[1].name == "Nadam/momentum_cache:0"


@pytest.mark.parametrize("clip", [dict(clipvalue=0.3), dict(clipnorm=0.5), dict(global_clipnorm=0.7),
                                  dict(clipvalue=0.3, global_clipnorm=0.4)])
def test_gradient_clipping_equals_numpy_in_keras_order(clip):
    # Two variables, so clipnorm (each alone) and global_clipnorm (together) differ.
    rng = np.random.RandomState(3)
    a0, b0, ca, cb = rng.randn(3, 2), rng.randn(4), 3 * rng.randn(3, 2), 3 * rng.randn(4)
    graph = tfcore.new_graph()
    with graph.as_default():
        a, b = tfcore.variable(a0, dtype=tf.float64), tfcore.variable(b0, dtype=tf.float64)
        loss = 0.5 * tf.reduce_sum(tf.square(a - ca)) + 0.5 * tf.reduce_sum(tf.square(b - cb))
        train = SGD(1.0, **clip).minimize(loss)
    with tfcore.session(graph=graph) as sess:
        sess.run(tf.compat.v1.global_variables_initializer())
        sess.run(train)
        got = sess.run([a, b])
    grads = [a0 - ca, b0 - cb]
    if "clipvalue" in clip:
        grads = [np.clip(g, -clip["clipvalue"], clip["clipvalue"]) for g in grads]
    if "clipnorm" in clip:
        grads = [g * min(1.0, clip["clipnorm"] / np.linalg.norm(g)) for g in grads]
    if "global_clipnorm" in clip:
        norm = np.sqrt(sum(np.sum(g * g) for g in grads))
        grads = [g * min(1.0, clip["global_clipnorm"] / norm) for g in grads]
    np.testing.assert_allclose(got[0], a0 - grads[0], rtol=1e-12)
    np.testing.assert_allclose(got[1], b0 - grads[1], rtol=1e-12)


def test_set_learning_rate_changes_following_steps_and_keeps_time_decay():
    graph = tfcore.new_graph()
    with graph.as_default():
        w = tfcore.variable(np.array([1.0, -2.0]), dtype=tf.float64)
        opt = SGD(0.1, decay=0.5)
        train = opt.minimize(0.5 * tf.reduce_sum(tf.square(w)))  # gradient w
        init = tf.compat.v1.global_variables_initializer()
        graph.finalize()  # the hook adds no ops
    with tfcore.session(graph=graph) as sess:
        sess.run(init)
        assert opt.get_learning_rate(sess) == 0.1 and opt.learning_rate_variable.dtype == tf.float64
        expected = np.array([1.0, -2.0])
        for k, lr in enumerate([0.1, 0.1, 0.02, 0.02, 0.3]):
            opt.set_learning_rate(sess, lr)
            assert sess.run(opt.learning_rate_tensor) == pytest.approx(lr / (1 + 0.5 * k), rel=1e-12)
            sess.run(train)
            expected = expected - lr / (1 + 0.5 * k) * expected
            np.testing.assert_allclose(sess.run(w), expected, rtol=1e-12)
        with pytest.raises(ValueError, match="SGD: learning_rate must be in"):
            opt.set_learning_rate(sess, -1.0)


def test_schedule_learning_rate_is_evaluated_at_iterations_and_cannot_be_set():
    schedule = tfcore.schedules.PiecewiseConstantDecay([1, 3], [0.1, 0.01, 0.001])
    weights, lrs, _, grad = _quadratic(np.random.RandomState(5), SGD(schedule, decay=0.1), steps=6)
    expected = [0.1, 0.1, 0.01, 0.01, 0.001, 0.001]  # values[i] while k <= boundaries[i]
    np.testing.assert_allclose(lrs, [e / (1 + 0.1 * k) for k, e in enumerate(expected)], rtol=1e-12)
    for k in range(6):
        np.testing.assert_allclose(weights[k + 1], weights[k] - lrs[k] * grad(weights[k]), rtol=1e-12)
    opt = SGD(schedule)
    with tfcore.new_graph().as_default():
        opt.minimize(tf.square(tfcore.variable(1.0)))
        assert opt.learning_rate_variable is None
        with tfcore.session() as sess, pytest.raises(ValueError, match="schedule"):
            opt.set_learning_rate(sess, 0.1)


def test_sparse_updates_touch_rows_as_keras_does_and_sum_repeated_rows():
    # Adadelta changes only the looked-up rows of w and of its slots ("rows");
    # RMSprop without momentum decays every row's average but moves only those rows ("weights").
    table0 = np.arange(1.0, 13.0).reshape(4, 3) / 10
    rho = 0.95
    graph = tfcore.new_graph()
    with graph.as_default():
        ids = tf.compat.v1.placeholder(tf.int32, (None,))
        tables = [tfcore.variable(table0, dtype=tf.float64) for _ in range(2)]
        opts = [tfcore.optimizers.Adadelta(1.0, rho=rho), tfcore.optimizers.RMSprop(0.01, rho=rho)]
        train = tf.group(*[o.minimize(tf.reduce_sum(tf.square(tf.gather(t, ids))), var_list=[t])
                           for o, t in zip(opts, tables)])
        slots = [opts[0].get_slot(tables[0], "accum_grad"), opts[1].get_slot(tables[1], "rms")]
    with tfcore.session(graph=graph) as sess:
        sess.run(tf.compat.v1.global_variables_initializer())
        sess.run(train, {ids: [0, 2, 2]})
        # Row 2 is looked up twice: its gradient is the sum, 2 * (2 w).
        g = np.zeros_like(table0)
        g[0], g[2] = 2 * table0[0], 4 * table0[2]
        for slot in sess.run(slots):
            np.testing.assert_allclose(slot, (1 - rho) * g * g, rtol=1e-12)
        for table in sess.run(tables):
            np.testing.assert_array_equal(table[[1, 3]], table0[[1, 3]])
            assert np.all(table[[0, 2]] < table0[[0, 2]])
        before = sess.run(tables + slots)
        sess.run(train, {ids: [1]})
        after = sess.run(tables + slots)
    for table_before, table_after in zip(before[:2], after[:2]):
        np.testing.assert_array_equal(table_after[[0, 2, 3]], table_before[[0, 2, 3]])
    np.testing.assert_array_equal(after[2][[0, 2]], before[2][[0, 2]])  # Adadelta: untouched rows kept
    np.testing.assert_allclose(after[3][[0, 2]], rho * before[3][[0, 2]], rtol=1e-12)  # RMSprop: decayed


def test_constraint_on_a_variable_with_sparse_gradient_is_refused_as_in_keras():
    with tfcore.new_graph().as_default():
        table = tfcore.variable(np.ones((3, 2)), constraint=tfcore.constraints.NonNeg())
        with pytest.raises(ValueError, match="constraint and a sparse gradient"):
            SGD().minimize(tf.reduce_sum(tf.gather(table, [0, 1])))


def test_clipnorm_with_global_clipnorm_and_nadam_with_a_schedule_are_refused_as_in_keras():
    with pytest.raises(ValueError, match="Adam: give clipnorm or global_clipnorm, not both"):
        Adam(clipnorm=1.0, global_clipnorm=1.0)
    with pytest.raises(ValueError, match="Nadam: learning_rate cannot be a schedule"):
        tfcore.optimizers.Nadam(tfcore.schedules.ExponentialDecay(0.1, 10, 0.5))


def test_keras_lr_keyword_is_the_learning_rate():
    assert tfcore.optimizers.RMSprop(lr=0.05).learning_rate == 0.05
    assert "learning_rate=0.05" in repr(tfcore.optimizers.RMSprop(lr=0.05, clipnorm=1.0))


def test_a_changed_learning_rate_is_saved_and_restored_with_the_checkpoint(tmp_path):
    graph = tfcore.new_graph()
    with graph.as_default():
        w = tfcore.variable(np.ones(2), dtype=tf.float64)
        opt = tfcore.optimizers.RMSprop(0.01, decay=0.1)
        train = opt.minimize(tf.reduce_sum(tf.square(w)))
        saver = tf.compat.v1.train.Saver()
        init = tf.compat.v1.global_variables_initializer()
    with tfcore.session(graph=graph) as sess:
        sess.run(init)
        sess.run(train)
        opt.set_learning_rate(sess, 0.004)
        path = saver.save(sess, str(tmp_path / "ckpt"))
    with tfcore.session(graph=graph) as sess:
        saver.restore(sess, path)
        assert opt.get_learning_rate(sess) == 0.004
        assert sess.run(opt.learning_rate_tensor) == pytest.approx(0.004 / 1.1, rel=1e-12)


def test_state_is_found_through_graph_collections_without_the_optimizer():
    graph = tfcore.new_graph()
    with graph.as_default():
        w = tfcore.variable(np.ones(3))
        nadam, sgd = tfcore.optimizers.Nadam(0.01), SGD(tfcore.schedules.ExponentialDecay(0.1, 10, 0.5))
        nadam.minimize(tf.reduce_sum(w * w))
        sgd.minimize(tf.reduce_sum(w * w))
    rates = graph.get_collection(tfcore.optimizers.LEARNING_RATES)
    assert rates == [nadam.learning_rate_variable] and rates[0].name == "Nadam/base_learning_rate:0"
    state = graph.get_collection(tfcore.optimizers.OPTIMIZER_VARIABLES)
    assert set(v.ref() for v in state) == set(
        v.ref() for v in nadam.variables + sgd.variables + [nadam.learning_rate_variable])


def _train_small_model(make_optimizer, steps=20, seed=0):
    """A conv + embedding model trained `steps` steps in float32; every variable after each step.

    It has what an update can meet: a 4-D kernel, biases, a constrained
    variable, an Embedding table (a sparse gradient), clipping from the
    optimizer's own arguments, and a learning rate that decays.
    """
    rng = np.random.RandomState(seed)
    graph = tfcore.new_graph(seed=seed)
    with graph.as_default():
        images = tf.constant(rng.randn(6, 7, 7, 2), tf.float32)
        ids = tf.constant(rng.randint(0, 5, (6, 3)))
        conv = tfcore.layers.Conv2D(4, 3, activation="relu", name="conv")
        table = tfcore.layers.Embedding(5, 4, name="embed")
        dense = tfcore.layers.Dense(1, kernel_constraint=tfcore.constraints.MaxNorm(0.5), name="dense")
        features = tf.reduce_mean(conv(images), [1, 2]) + tf.reduce_sum(table(ids), 1)
        loss = tf.reduce_mean(tf.square(dense(features) - 1.0))
        optimizer = make_optimizer()
        train = optimizer.minimize(loss)
        variables = graph.get_collection(tf.compat.v1.GraphKeys.GLOBAL_VARIABLES)
        init = tf.compat.v1.global_variables_initializer()
    with tfcore.session(graph=graph) as sess:
        sess.run(init)
        values = []
        for _ in range(steps):
            sess.run(train)
            values.append(sess.run(variables))
    return [v.name for v in variables], values, graph


@pytest.mark.parametrize("make", [
    lambda i: Adam(0.05, decay=0.01, clipnorm=1.0, implementation=i),
    lambda i: Adam(0.05, amsgrad=True, clipvalue=0.2, implementation=i),
    lambda i: SGD(0.1, implementation=i),
    lambda i: SGD(0.1, momentum=0.9, nesterov=True, global_clipnorm=2.0, implementation=i),
    lambda i: Momentum(tfcore.schedules.ExponentialDecay(0.1, 5, 0.5), implementation=i),
], ids=["adam", "adam-amsgrad", "sgd", "sgd-nesterov", "momentum-schedule"])
def test_fused_kernels_equal_the_readable_rule_step_by_step(make):
    names, fused, fused_graph = _train_small_model(lambda: make("fused"))
    _, readable, readable_graph = _train_small_model(lambda: make("readable"))
    for step, (a, b) in enumerate(zip(fused, readable)):
        for name, x, y in zip(names, a, b):
            np.testing.assert_allclose(x, y, rtol=1e-6, atol=1e-7, err_msg="%s after step %d" % (name, step + 1))
    assert not np.allclose(fused[0][names.index("conv/kernel:0")], fused[-1][names.index("conv/kernel:0")])
    kernels = {op.type for op in fused_graph.get_operations() if op.type.startswith("ResourceApply")}
    assert kernels and not any(op.type.startswith("ResourceApply") for op in readable_graph.get_operations())
    assert len(fused_graph.get_operations()) < len(readable_graph.get_operations())


def test_fused_is_the_default_where_there_is_a_kernel_and_unknown_choices_are_refused():
    assert Adam().implementation == SGD().implementation == "fused"
    assert tfcore.optimizers.RMSprop().implementation == "readable"
    assert "implementation='readable'" in repr(Adam(implementation="readable"))
    with pytest.raises(ValueError, match="no fused kernel"):
        tfcore.optimizers.Nadam(implementation="fused")
    with pytest.raises(ValueError, match="SGD: implementation must be one of 'fused', 'readable', got 'fast'"):
        SGD(implementation="fast")
