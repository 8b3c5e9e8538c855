"""gradient="manual": every hand-derived backward pass equals tf.gradients of the same
forward pass (float64, 1e-6 relative) and central differences (tfcore.check_gradients),
first and second order; optimizers train through it; bad arguments fail clearly."""

import numpy as np
import pytest
import tensorflow as tf

import tfcore
from tfcore import activations, losses, reference
from tfcore.layers import GRU, LSTM, BatchNormalization, Dense, Dropout, GRUCell, LSTMCell
from tfcore.layers.recurrent import cells as recurrent_cells
from tfcore.optimizers import SGD


# ---------------------------------------------------------------------------
# The comparison: one forward pass, its gradient twice (auto, manual)
# ---------------------------------------------------------------------------

def _random_value(variable, rng):
    shape = variable.shape.as_list()
    if variable.name.split("/")[-1].startswith("moving_variance"):
        return rng.uniform(0.5, 2.0, shape)  # a variance must be positive
    return rng.uniform(-0.8, 0.8, shape)


def _uses_custom_gradient(graph):
    """True when some op (also inside a loop or cond body) carries tf.custom_gradient's override."""
    graph_def = graph.as_graph_def()
    nodes = list(graph_def.node) + [n for f in graph_def.library.function for n in f.node_def]
    return any("_gradient_op_type" in node.attr for node in nodes)


def _outputs_and_gradients(build, inputs, gradient, seed=0, dtype=tf.float64):
    """Build `build(gradient, **placeholders)` in a fresh float64 graph with random weights.

    Returns (outputs, gradients of sum(outputs * r) with respect to every input
    and trainable variable, whether the graph holds a custom gradient). The
    weights, r and the inputs depend only on `seed`, so both modes see the same.
    """
    rng = np.random.RandomState(seed)
    graph = tfcore.new_graph(seed=seed)
    with graph.as_default():
        feeds = {k: tfcore.placeholder(v.shape, dtype, name=k) for k, v in inputs.items()}
        outputs = build(gradient, **feeds)
        outputs = list(outputs) if isinstance(outputs, (list, tuple)) else [outputs]
        loss = tf.add_n([tf.reduce_sum(o * tf.constant(rng.uniform(-1, 1, o.shape.as_list()), dtype))
                         for o in outputs])
        variables = tf.compat.v1.trainable_variables()
        grads = tf.gradients(loss, list(feeds.values()) + variables)
        floats = [v for v in tf.compat.v1.global_variables() if v.dtype.base_dtype == dtype]
        init = tf.compat.v1.global_variables_initializer()
    names = list(inputs) + [v.name for v in variables]
    with tfcore.session(graph=graph) as sess:
        sess.run(init)
        for v in floats:
            sess.run(v.initializer, {v.initial_value: _random_value(v, rng)})
        feed = {feeds[k]: v for k, v in inputs.items()}
        values, grad_values = sess.run([outputs, grads], feed)
    return values, dict(zip(names, grad_values)), _uses_custom_gradient(graph)


def assert_manual_equals_auto(build, inputs, what, dtype=tf.float64):
    """The manual backward pass equals tf.gradients' to 1e-6 relative in float64; same outputs.

    In float32 the tolerance is 1e-4 relative to each gradient's largest element:
    the two backward passes round differently.
    """
    tol, out_tol = (1e-6, 1e-12) if dtype == tf.float64 else (1e-4, 1e-5)
    auto_out, auto_grads, auto_custom = _outputs_and_gradients(build, inputs, "auto", dtype=dtype)
    manual_out, manual_grads, manual_custom = _outputs_and_gradients(build, inputs, "manual", dtype=dtype)
    assert manual_custom, "%s: gradient='manual' built no tf.custom_gradient" % what
    assert list(manual_grads) == list(auto_grads)
    for a, m in zip(auto_out, manual_out):
        np.testing.assert_allclose(m, a, rtol=out_tol, atol=out_tol, err_msg="%s: output" % what)
    for name, a in auto_grads.items():
        m = manual_grads[name]
        assert m is not None and a is not None, "%s: no gradient for %s" % (what, name)
        scale = max(np.abs(a).max(), 1e-300)
        atol = tol * scale * (1e-3 if dtype == tf.float64 else 1.0)
        np.testing.assert_allclose(m, a, rtol=tol, atol=atol,
                                   err_msg="%s: manual vs auto gradient of %s" % (what, name))
    return auto_custom


# ---------------------------------------------------------------------------
# Dense: dW = x^T g, db = sum g, dx = g W^T
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("shape,units,activation,use_bias", [
    ((4, 5), 3, None, True), ((1, 5), 2, "relu", True), ((3, 2, 4), 5, "tanh", True),
    ((2, 7), 1, "sigmoid", False), ((6, 3), 4, "softmax", True), ((2, 1, 3, 2), 3, "elu", True),
])
def test_dense_manual_gradient_equals_tf_gradients(rng, shape, units, activation, use_bias):
    def build(gradient, x):
        return Dense(units, activation=activation, use_bias=use_bias, gradient=gradient)(x)

    uses_custom = assert_manual_equals_auto(build, {"x": rng.randn(*shape)},
                                            "Dense(%s, %s)" % (units, activation))
    # Only relu's readable path states its own derivative (the fused one is a Relu op).
    assert uses_custom == (activation == "relu" and activations.current_implementation() == "readable")


@pytest.mark.parametrize("activation", [None, "tanh", "relu"])
def test_dense_manual_gradient_passes_finite_differences_first_and_second_order(rng, activation):
    def build(x):
        return Dense(3, activation=activation, gradient="manual")(x)

    tfcore.check_gradients(build, {"x": rng.randn(4, 5)}, name="Dense(manual, %s)" % activation)
    if activation == "tanh":  # relu's and the identity's second derivatives are 0
        tfcore.check_gradients(build, {"x": rng.randn(3, 2)}, order=2, name="Dense(manual, tanh)")


def test_dense_manual_handles_an_unknown_batch_dimension(rng):
    x = rng.randn(3, 2, 4)
    results = []
    for gradient in ("auto", "manual"):
        with tfcore.new_graph(seed=1).as_default():
            xp = tfcore.placeholder((None, None, 4), tf.float64)
            layer = Dense(3, gradient=gradient)
            y = layer(xp)
            assert y.shape.as_list() == [None, None, 3]
            grads = tf.gradients(tf.reduce_sum(tf.sin(y)), [xp] + layer.trainable_variables)
            with tfcore.session() as sess:
                layer.set_weights(sess, [np.arange(12.0).reshape(4, 3) / 10, np.ones(3)])
                results.append(sess.run([y] + grads, {xp: x}))
    for a, m in zip(*results):
        np.testing.assert_allclose(m, a, rtol=1e-12)


# ---------------------------------------------------------------------------
# BatchNormalization: the three-term formula (training), g gamma / sigma (inference)
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("shape,axis,center,scale", [
    ((6, 3), -1, True, True), ((1, 4), -1, True, True), ((4, 3, 2, 2), 1, True, True),
    ((3, 2, 4, 3), 2, False, True), ((3, 2, 2, 5), -1, True, False), ((5, 2, 3), 1, False, False),
])
@pytest.mark.parametrize("training", [True, False])
def test_batch_norm_manual_gradient_equals_tf_gradients(rng, shape, axis, center, scale, training):
    def build(gradient, x):
        return BatchNormalization(axis=axis, center=center, scale=scale, gradient=gradient)(
            x, training=training)

    assert_manual_equals_auto(build, {"x": rng.randn(*shape) * 2 + 1},
                              "BatchNormalization(axis=%d, training=%s)" % (axis, training))


def test_batch_norm_manual_gradient_with_training_fed_at_run_time(rng):
    """A tf.bool `training` puts both branches under tf.cond; the manual gradient runs in each."""
    x = rng.randn(5, 3)
    for value in (True, False):
        def build(gradient, x):
            layer = BatchNormalization(gradient=gradient)
            return layer(x, training=tf.constant(value))

        assert_manual_equals_auto(build, {"x": x}, "BatchNormalization(training=tensor %s)" % value)


def test_batch_norm_manual_keeps_the_moving_average_updates(rng):
    x = rng.randn(8, 3) * 3 + 1
    moving = []
    for gradient in ("auto", "manual"):
        with tfcore.new_graph().as_default():
            xp = tfcore.placeholder((None, 3), tf.float64)
            layer = BatchNormalization(momentum=0.5, gradient=gradient)
            y = layer(xp, training=True)
            with tfcore.session() as sess:
                sess.run(tf.compat.v1.global_variables_initializer())
                sess.run([y, layer.updates], {xp: x})
                moving.append(sess.run([layer.moving_mean, layer.moving_variance]))
    _, mean, variance, _ = reference.batch_norm_training(x, -1, np.ones(3), np.zeros(3), 1e-3)
    np.testing.assert_allclose(moving[1][0], reference.moving_average(0.0, mean, 0.5), rtol=1e-12)
    np.testing.assert_allclose(moving[1][1], reference.moving_average(1.0, variance, 0.5), rtol=1e-12)
    np.testing.assert_allclose(moving[1], moving[0], rtol=1e-12)


@pytest.mark.parametrize("shape,axis", [((5, 3), -1), ((2, 3, 2, 2), 1)])
def test_batch_norm_manual_passes_finite_differences_in_training_and_inference(rng, shape, axis):
    for training in (True, False):
        tfcore.check_gradients(
            lambda x: BatchNormalization(axis=axis, gradient="manual")(x, training=training),
            {"x": rng.randn(*shape)}, name="BatchNormalization(manual, training=%s)" % training)


def test_batch_norm_manual_second_order_is_exact_because_its_backward_is_differentiable(rng):
    # tf.custom_gradient replaces only the first derivative; tf.gradients differentiates
    # the hand-written backward ops again, and finite differences confirm the result.
    tfcore.check_gradients(
        lambda x: BatchNormalization(gradient="manual")(x, training=True), {"x": rng.randn(5, 3)},
        order=2, name="BatchNormalization(manual, training)")


# ---------------------------------------------------------------------------
# Dropout: dx = g * keep / (1 - rate), with the forward pass's own mask
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("shape,rate,noise_shape", [
    ((4, 6), 0.5, None), ((1, 7), 0.3, None), ((3, 2, 2, 4), 0.25, (None, 1, 1, None)),
])
def test_dropout_manual_gradient_equals_tf_gradients_and_the_mask_formula(rng, shape, rate, noise_shape):
    x = rng.randn(*shape)

    def build(gradient, x):
        return Dropout(rate, seed=7, noise_shape=noise_shape, gradient=gradient)(x, training=True)

    assert_manual_equals_auto(build, {"x": x}, "Dropout(%s)" % rate)
    with tfcore.new_graph().as_default():
        xp = tfcore.placeholder(shape, tf.float64)
        layer = Dropout(rate, seed=7, noise_shape=noise_shape, gradient="manual")
        y = layer(xp, training=True)
        (dx,) = tf.gradients(tf.reduce_sum(y), [xp])
        with tfcore.session() as sess:
            sess.run(tf.compat.v1.global_variables_initializer())
            y_value, dx_value = sess.run([y, dx], {xp: x})
    keep = y_value != 0  # x has no zeros, so the kept elements are the nonzero outputs
    assert 0 < keep.sum() < keep.size
    np.testing.assert_allclose(y_value, reference.dropout(x, keep, rate), rtol=1e-12)
    np.testing.assert_allclose(dx_value, reference.dropout(np.ones(shape), keep, rate), rtol=1e-12)


def test_dropout_manual_at_evaluation_is_the_identity_and_passes_finite_differences(rng):
    tfcore.check_gradients(lambda x: Dropout(0.5, gradient="manual")(x, training=False),
                           {"x": rng.randn(3, 4)}, name="Dropout(manual, eval)")


# ---------------------------------------------------------------------------
# Softmax cross-entropy: dz = g (p - y), dy = -g log p
# ---------------------------------------------------------------------------

def _soft_labels(rng, shape, normalised=True):
    y = rng.uniform(0, 1, shape)
    return y / y.sum(axis=-1, keepdims=True) if normalised else y


@pytest.mark.parametrize("shape,reduction,smoothing,normalised", [
    ((5, 4), "mean", 0.0, True), ((1, 3), "sum", 0.0, True), ((2, 3, 6), "none", 0.1, True),
    ((4, 5), "mean", 0.2, False), ((7,), "none", 0.0, True),
])
def test_softmax_cross_entropy_manual_gradient_equals_tf_gradients(rng, shape, reduction, smoothing,
                                                                   normalised):
    def build(gradient, labels, logits):
        loss = losses.softmax_cross_entropy_with_logits(
            labels, logits, reduction=reduction, label_smoothing=smoothing, gradient=gradient)
        return loss if reduction == "none" else tf.reshape(loss, [1])

    # Gradients with respect to the labels too: TensorFlow differentiates them, and so do we.
    assert_manual_equals_auto(
        build, {"labels": _soft_labels(rng, shape, normalised), "logits": rng.randn(*shape) * 3},
        "softmax_cross_entropy_with_logits(%s, smoothing %s)" % (shape, smoothing))


def test_softmax_cross_entropy_manual_gradient_is_p_minus_y_and_equals_tf_nn(rng):
    labels = np.eye(4)[rng.randint(0, 4, 6)]
    logits = rng.randn(6, 4) * 5
    with tfcore.new_graph().as_default():
        lp = tfcore.placeholder(labels.shape, tf.float64)
        zp = tfcore.placeholder(logits.shape, tf.float64)
        loss = losses.softmax_cross_entropy_with_logits(lp, zp, reduction="sum", gradient="manual")
        oracle = tf.nn.softmax_cross_entropy_with_logits(labels=lp, logits=zp)
        (dz,) = tf.gradients(loss, [zp])
        (dz_oracle,) = tf.gradients(tf.reduce_sum(oracle), [zp])
        with tfcore.session() as sess:
            got = sess.run([loss, oracle, dz, dz_oracle], {lp: labels, zp: logits})
    np.testing.assert_allclose(got[0], reference.softmax_cross_entropy(labels, logits).sum(), rtol=1e-12)
    np.testing.assert_allclose(got[0], got[1].sum(), rtol=1e-12)
    p = np.exp(reference.log_softmax(logits))
    np.testing.assert_allclose(got[2], p - labels, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(got[2], got[3], rtol=1e-12, atol=1e-15)


def test_softmax_cross_entropy_manual_passes_finite_differences_first_and_second_order(rng):
    inputs = {"labels": _soft_labels(rng, (3, 4)), "logits": rng.randn(3, 4)}

    def build(labels, logits):
        return losses.softmax_cross_entropy_with_logits(labels, logits, label_smoothing=0.1,
                                                        gradient="manual")

    tfcore.check_gradients(build, inputs, name="softmax_cross_entropy(manual)")
    tfcore.check_gradients(build, inputs, order=2, name="softmax_cross_entropy(manual)")


# ---------------------------------------------------------------------------
# LSTMCell, GRUCell: one step of backprop through time
# ---------------------------------------------------------------------------

# (cell, arguments, (batch, features, units)): every variant once, batch 1 among them.
CELL_CASES = [
    (LSTMCell, {}, (3, 4, 2)), (LSTMCell, {}, (1, 2, 5)), (LSTMCell, {"use_bias": False}, (2, 3, 3)),
    (LSTMCell, {"activation": "relu", "recurrent_activation": "hard_sigmoid"}, (1, 3, 2)),
    (GRUCell, {"reset_after": True}, (3, 4, 2)), (GRUCell, {"reset_after": False}, (1, 2, 5)),
    (GRUCell, {"reset_after": True, "use_bias": False, "activation": "elu"}, (2, 3, 3)),
    (GRUCell, {"reset_after": False, "recurrent_activation": "hard_sigmoid"}, (3, 1, 2)),
]


@pytest.mark.parametrize("cell_class,kwargs,sizes", CELL_CASES)
def test_cell_manual_step_gradient_equals_tf_gradients(rng, cell_class, kwargs, sizes):
    batch, features, units = sizes
    states = {"s%d" % k: rng.randn(batch, units) for k in range(len(cell_class.state_names))}

    def build(gradient, x, **states):
        cell = cell_class(units, gradient=gradient, **kwargs)
        output, new_states = cell(x, states=[states[k] for k in sorted(states)])
        return [output] + new_states

    assert_manual_equals_auto(build, {"x": rng.randn(batch, features), **states},
                              "%s(%s)" % (cell_class.__name__, kwargs))


@pytest.mark.parametrize("cell_class", [LSTMCell, GRUCell])
def test_cell_manual_step_with_a_batch_one_state_broadcast_over_the_batch(rng, cell_class):
    states = {"s%d" % k: rng.randn(1, 3) for k in range(len(cell_class.state_names))}

    def build(gradient, x, **states):
        output, new_states = cell_class(3, gradient=gradient)(x, states=[states[k] for k in sorted(states)])
        return [output] + new_states

    assert_manual_equals_auto(build, {"x": rng.randn(4, 2), **states}, cell_class.__name__)


@pytest.mark.parametrize("cell_class,kwargs", [(LSTMCell, {}), (GRUCell, {"reset_after": True}),
                                               (GRUCell, {"reset_after": False})])
def test_cell_manual_step_passes_finite_differences_first_and_second_order(rng, cell_class, kwargs):
    inputs = {"x": rng.randn(2, 3), **{"s%d" % k: rng.randn(2, 2)
                                       for k in range(len(cell_class.state_names))}}

    def build(x, **states):
        output, new_states = cell_class(2, gradient="manual", **kwargs)(
            x, states=[states[k] for k in sorted(states)])
        return [output] + new_states

    name = "%s(manual, %s)" % (cell_class.__name__, kwargs)
    tfcore.check_gradients(build, inputs, name=name)
    tfcore.check_gradients(build, inputs, order=2, name=name)


@pytest.mark.parametrize("layer_class,implementation,kwargs", [
    (LSTM, "unroll", {}), (LSTM, "while", {"go_backwards": True}),
    (GRU, "unroll", {"reset_after": False, "go_backwards": True}), (GRU, "while", {"reset_after": True}),
])
def test_sequence_manual_backprop_through_time_equals_tf_gradients(rng, layer_class, implementation,
                                                                   kwargs):
    states = {"s%d" % k: rng.randn(2, 3) for k in range(len(layer_class(1).cell.state_names))}

    def build(gradient, x, **states):
        layer = layer_class(3, return_sequences=True, return_state=True,
                            implementation=implementation, gradient=gradient, **kwargs)
        return layer(x, initial_state=[states[k] for k in sorted(states)])

    assert_manual_equals_auto(build, {"x": rng.randn(2, 3, 3), **states},
                              "%s(%s, %s)" % (layer_class.__name__, implementation, kwargs))


def test_sequence_manual_backprop_through_time_passes_finite_differences(rng):
    tfcore.check_gradients(
        lambda x: LSTM(2, return_sequences=True, implementation="unroll", gradient="manual")(x),
        {"x": rng.randn(2, 3, 2)}, name="LSTM(unroll, manual)")
    tfcore.check_gradients(
        lambda x: GRU(2, reset_after=False, implementation="while", gradient="manual")(x),
        {"x": rng.randn(2, 3, 2)}, name="GRU(while, manual, reset_after=False)")


def test_a_wrong_step_derivative_is_caught_by_the_comparison(rng, monkeypatch):
    """The comparison can fail: drop the gates' sigmoid' factor and it reports the tensor."""

    def wrong(activation, z, a, da):
        return da

    monkeypatch.setattr(recurrent_cells, "_through_activation", wrong)

    def build(gradient, x):
        return LSTMCell(2, gradient=gradient)(x)[0]

    with pytest.raises(AssertionError, match="manual vs auto gradient"):
        assert_manual_equals_auto(build, {"x": rng.randn(3, 2)}, "LSTMCell(wrong)")


# ---------------------------------------------------------------------------
# Random configurations, and float32
# ---------------------------------------------------------------------------

def _random_case(rng, kind):
    """(what, build, inputs) for one random configuration of `kind` (sizes, batch, rank, axis, flags)."""
    batch, size, units = rng.randint(1, 5), rng.randint(1, 6), rng.randint(1, 5)
    if kind == "dense":
        shape = (batch,) + tuple(int(d) for d in rng.randint(1, 4, rng.randint(0, 2))) + (size,)
        activation = rng.choice(["linear", "relu", "tanh", "sigmoid", "softplus"])
        return ("Dense(%d, %s) on %s" % (units, activation, shape),
                lambda gradient, x: Dense(units, activation=activation, gradient=gradient)(x),
                {"x": rng.randn(*shape)})
    if kind == "batch_norm":
        shape = (batch + 1,) + tuple(int(d) for d in rng.randint(1, 4, rng.randint(1, 3)))
        axis, training = int(rng.randint(-len(shape), len(shape))), bool(rng.randint(2))
        return ("BatchNormalization(axis=%d, training=%s) on %s" % (axis, training, shape),
                lambda gradient, x: BatchNormalization(axis=axis, gradient=gradient)(x, training=training),
                {"x": rng.randn(*shape) * 2})
    if kind == "cross_entropy":
        shape, smoothing = (batch, size + 1), float(rng.choice([0.0, 0.1]))
        return ("softmax_cross_entropy(%s, smoothing %s)" % (shape, smoothing),
                lambda gradient, labels, logits: tf.reshape(losses.softmax_cross_entropy_with_logits(
                    labels, logits, label_smoothing=smoothing, gradient=gradient), [1]),
                {"labels": _soft_labels(rng, shape), "logits": rng.randn(*shape) * 2})
    cell_class = LSTMCell if kind == "lstm_cell" else GRUCell
    kwargs = {"reset_after": bool(rng.randint(2))} if cell_class is GRUCell else {}
    states = {"s%d" % k: rng.randn(batch, units) for k in range(len(cell_class.state_names))}

    def build(gradient, x, **states):
        output, new_states = cell_class(units, gradient=gradient, **kwargs)(
            x, states=[states[k] for k in sorted(states)])
        return [output] + new_states

    return ("%s(%d, %s), batch %d" % (cell_class.__name__, units, kwargs, batch), build,
            {"x": rng.randn(batch, size), **states})


def test_random_configurations_manual_gradient_equals_tf_gradients():
    rng = np.random.RandomState(7)
    for kind in ["dense", "batch_norm", "lstm_cell", "gru_cell", "cross_entropy"] * 2:
        what, build, inputs = _random_case(rng, kind)
        assert_manual_equals_auto(build, inputs, what)


def test_float32_manual_gradients_equal_tf_gradients(rng):
    def build(gradient, x, y):
        h = LSTM(4, return_sequences=True, implementation="unroll", gradient=gradient)(x)
        h = BatchNormalization(axis=-1, gradient=gradient)(h, training=True)
        h = Dropout(0.5, seed=1, gradient=gradient)(h, training=True)
        logits = Dense(3, activation="relu", gradient=gradient)(h)
        return tf.reshape(losses.softmax_cross_entropy_with_logits(y, logits, gradient=gradient), [1])

    inputs = {"x": rng.randn(3, 3, 2), "y": np.eye(3)[rng.randint(0, 3, (3, 3))]}
    assert_manual_equals_auto(build, inputs, "float32 LSTM-BN-Dropout-Dense-CE", dtype=tf.float32)


# ---------------------------------------------------------------------------
# Training through the manual path
# ---------------------------------------------------------------------------

def _train_weights(build, gradient, batches, steps=4):
    """SGD steps on `build(gradient, x, y) -> loss`; returns every trainable variable afterwards."""
    graph = tfcore.new_graph(seed=3)
    with graph.as_default():
        xp = tfcore.placeholder((None,) + batches[0][0].shape[1:], tf.float64)
        yp = tfcore.placeholder((None,) + batches[0][1].shape[1:], tf.float64)
        loss = build(gradient, xp, yp)
        update_ops = tf.compat.v1.get_collection(tf.compat.v1.GraphKeys.UPDATE_OPS)
        train = SGD(0.1, momentum=0.9).minimize(loss, update_ops=update_ops)
        with tfcore.session(graph=graph) as sess:
            sess.run(tf.compat.v1.global_variables_initializer())
            for step in range(steps):
                x, y = batches[step % len(batches)]
                sess.run(train, {xp: x, yp: y})
            return sess.run(tf.compat.v1.global_variables())


def test_sgd_trains_a_manual_gradient_mlp_to_the_same_weights_as_auto(rng):
    batches = [(rng.randn(8, 5), np.eye(3)[rng.randint(0, 3, 8)]) for _ in range(2)]

    def build(gradient, x, y):
        h = Dense(6, activation="tanh", gradient=gradient)(x)
        h = BatchNormalization(gradient=gradient)(h, training=True)
        h = Dropout(0.3, seed=5, gradient=gradient)(h, training=True)
        logits = Dense(3, gradient=gradient)(h)
        return losses.softmax_cross_entropy_with_logits(y, logits, gradient=gradient)

    auto, manual = (_train_weights(build, g, batches) for g in ("auto", "manual"))
    assert len(auto) == len(manual) > 6
    for a, m in zip(auto, manual):
        np.testing.assert_allclose(m, a, rtol=1e-9, atol=1e-12)
    assert not np.allclose(auto[0], _train_weights(build, "auto", batches, steps=0)[0])


def test_sgd_trains_a_manual_gradient_lstm_and_gru_to_the_same_weights_as_auto(rng):
    batches = [(rng.randn(4, 2, 2), rng.randn(4, 1))]

    def build(gradient, x, y):
        h = LSTM(2, return_sequences=True, implementation="unroll", gradient=gradient)(x)
        h = GRU(2, implementation="unroll", gradient=gradient)(h)
        return losses.mean_squared_error(y, Dense(1)(h))

    auto, manual = (_train_weights(build, g, batches, steps=2) for g in ("auto", "manual"))
    for a, m in zip(auto, manual):
        np.testing.assert_allclose(m, a, rtol=1e-9, atol=1e-12)


# ---------------------------------------------------------------------------
# Arguments
# ---------------------------------------------------------------------------

def test_bad_gradient_arguments_are_clear_errors_naming_the_layer():
    for make in (lambda: Dense(2, gradient="numeric"), lambda: Dropout(0.5, gradient=None),
                 lambda: BatchNormalization(gradient="Manual"), lambda: LSTMCell(2, gradient=1),
                 lambda: GRU(2, gradient="auto ")):
        with pytest.raises(ValueError, match="gradient must be 'auto' or 'manual'"):
            make()
    with pytest.raises(ValueError, match="softmax_cross_entropy_with_logits: gradient"):
        losses.softmax_cross_entropy_with_logits(np.eye(2), np.eye(2), gradient="hand")
    with pytest.raises(ValueError, match="batch_normalization: gradient='manual' .* fused=False"):
        BatchNormalization(fused=True, gradient="manual")
    with pytest.raises(ValueError, match="lstm: gradient='manual' .*'unroll' or 'while'"):
        LSTM(2, gradient="manual", implementation="block")
    assert LSTM(2, gradient="manual").implementation is None  # chosen per call: never the block


def test_manual_step_hides_its_intermediates_from_tf_gradients(rng):
    """The limit of tf.custom_gradient: gradients reach the step's inputs, not its insides."""
    got = {}
    for gradient in ("auto", "manual"):
        with tfcore.new_graph().as_default() as graph:
            x = tfcore.placeholder((2, 3), tf.float64)
            h, _ = LSTMCell(2, gradient=gradient)(x)
            # The first Split in the step cuts z into the gates' pre-activations; z_i is output 0.
            z_i = next(op for op in graph.get_operations() if op.type == "Split").outputs[0]
            got[gradient] = tf.gradients(h, [z_i, x])
    assert got["auto"][0] is not None and got["auto"][1] is not None
    assert got["manual"][0] is None and got["manual"][1] is not None
