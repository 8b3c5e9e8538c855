"""Regularizers equal their NumPy formulas; layers collect them; the total loss trains and is reported."""

import numpy as np
import pytest
import tensorflow as tf

import tfcore
from tfcore import regularizers, train
from tfcore.layers.conv import Conv2D
from tfcore.layers.dense import Dense
from tests.helpers import evaluate


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_l1_l2_l1l2_equal_numpy_formulas(rng, dtype):
    x = rng.randn(5, 7).astype(dtype)
    cases = [
        (regularizers.l1(), 0.01 * np.abs(x).sum()),
        (regularizers.L1(0.3), 0.3 * np.abs(x).sum()),
        (regularizers.l2(), 0.01 * (x * x).sum()),
        (regularizers.L2(0.2), 0.2 * (x * x).sum()),
        (regularizers.l1_l2(), 0.01 * np.abs(x).sum() + 0.01 * (x * x).sum()),
        (regularizers.L1L2(l2=0.5), 0.5 * (x * x).sum()),  # the class's l1 defaults to 0
        (regularizers.L1L2(), 0.0),
    ]
    got = evaluate(lambda: [r(tf.constant(x)) for r, _ in cases])
    rtol = 1e-5 if dtype == np.float32 else 1e-12
    for value, (r, expected) in zip(got, cases):
        assert value.dtype == dtype
        np.testing.assert_allclose(value, expected, rtol=rtol, err_msg=repr(r))


def test_get_accepts_keras_names_dicts_callables_and_none():
    assert regularizers.get(None) is None
    assert repr(regularizers.get("l1")) == "L1(l1=0.01)" and repr(regularizers.get("L2")) == "L2(l2=0.01)"
    assert repr(regularizers.get("l1_l2")) == "L1L2(l1=0.01, l2=0.01)"
    assert repr(regularizers.get("L1L2")) == "L1L2(l1=0, l2=0)"  # Keras: the class's defaults
    assert repr(regularizers.get({"class_name": "L1L2", "config": {"l1": 0.1, "l2": 0.2}})) == \
        "L1L2(l1=0.1, l2=0.2)"
    penalty = lambda w: tf.reduce_sum(w)  # noqa: E731
    assert regularizers.get(penalty) is penalty
    with pytest.raises(ValueError, match="regularizers.get: cannot interpret 'l3'"):
        regularizers.get("l3")
    with pytest.raises(ValueError, match="L2: l2 must be a finite number"):
        regularizers.L2(float("nan"))
    with pytest.raises(ValueError, match="regularizers.get: cannot interpret 'l3'"):
        Dense(3, kernel_regularizer="l3")  # fails in the constructor, before any graph


def test_dense_collects_kernel_bias_and_activity_penalties_per_layer_and_in_the_graph(rng):
    x = rng.randn(6, 4)
    w, b = rng.randn(4, 3), rng.randn(3)
    graph = tfcore.new_graph()
    with graph.as_default():
        xp = tfcore.placeholder((None, 4), tf.float64)
        layer = Dense(3, activation="tanh", kernel_regularizer=regularizers.l1_l2(0.1, 0.2),
                      bias_regularizer="l2", activity_regularizer=regularizers.L1(0.5))
        other = Dense(2)
        y = other(layer(xp))
        data_loss = tf.reduce_mean(tf.square(y))
        total = regularizers.add_regularization(data_loss)
        assert len(layer.losses) == 3 and other.losses == []
        assert set(regularizers.regularization_losses(graph)) == set(layer.losses)
        assert regularizers.add_regularization(data_loss, layers=[other]) is data_loss
        with tfcore.session(graph=graph) as sess:
            layer.set_weights(sess, [w, b])
            sess.run(other.kernel.initializer)
            sess.run(other.bias.initializer)
            losses, total_value, data_value = sess.run([layer.losses, total, data_loss], {xp: x})
    h = np.tanh(x @ w + b)
    expected = [0.5 * np.abs(h).sum() / len(x),  # activity first: per example (divided by the batch size)
                0.1 * np.abs(w).sum() + 0.2 * (w * w).sum(), 0.01 * (b * b).sum()]
    np.testing.assert_allclose(losses, expected, rtol=1e-12)
    np.testing.assert_allclose(total_value, data_value + sum(expected), rtol=1e-12)


def test_conv2d_penalties_and_a_training_step_on_the_total_loss(rng):
    x = rng.randn(2, 5, 5, 2)
    graph = tfcore.new_graph()
    with graph.as_default():
        xp = tfcore.placeholder((None, 5, 5, 2), tf.float64)
        layer = Conv2D(3, 3, kernel_regularizer="l2", bias_regularizer=regularizers.L1(0.1))
        data_loss = tf.reduce_mean(layer(xp))
        total = regularizers.add_regularization(data_loss)
        train_op = tfcore.optimizers.SGD(0.5).minimize(total)
        grad_data = tf.gradients(data_loss, [layer.kernel, layer.bias])
        with tfcore.session(graph=graph) as sess:
            sess.run(tf.compat.v1.global_variables_initializer())
            kernel, bias = layer.get_weights(sess)
            bias = bias + 0.3
            layer.set_weights(sess, [kernel, bias])
            g_kernel, g_bias = sess.run(grad_data, {xp: x})
            sess.run(train_op, {xp: x})
            new_kernel, new_bias = layer.get_weights(sess)
    # d/dw of 0.01 sum(w^2) is 0.02 w; of 0.1 sum|b| is 0.1 sign(b).
    np.testing.assert_allclose(new_kernel, kernel - 0.5 * (g_kernel + 0.02 * kernel), rtol=1e-12)
    np.testing.assert_allclose(new_bias, bias - 0.5 * (g_bias + 0.1 * np.sign(bias)), rtol=1e-12)


def test_fit_reports_the_total_loss_with_penalties(rng):
    x, y = rng.randn(12, 3).astype(np.float32), rng.randn(12, 1).astype(np.float32)
    graph = tfcore.new_graph()
    with graph.as_default():
        xp, yp = tfcore.placeholder((None, 3)), tfcore.placeholder((None, 1))
        layer = Dense(1, kernel_regularizer=regularizers.L2(1.0), activity_regularizer="l1")
        prediction = layer(xp)
        data_loss = tf.reduce_mean(tf.square(prediction - yp))
        total = regularizers.add_regularization(data_loss)
        opt = tfcore.optimizers.SGD(1e-3)
        model = train.TrainGraph(graph, xp, yp, prediction, total, opt.minimize(total))
    with tfcore.session(graph=graph) as sess:
        train.initialize(model, sess)
        w, b = layer.get_weights(sess)
        evaluated = train.evaluate(model, sess, x, y, batch_size=12)["loss"]
        history = train.fit(model, sess, x, y, epochs=1, batch_size=12, progress=False)
    p = x @ w + b
    expected = np.mean((p - y) ** 2) + (w * w).sum() + 0.01 * np.abs(p).sum() / 12
    np.testing.assert_allclose([evaluated, history.history["loss"][0]], [expected, expected], rtol=1e-5)


def test_activity_penalty_is_added_on_every_call_and_for_each_output():
    graph = tfcore.new_graph()
    with graph.as_default():
        layer = Dense(2, kernel_initializer="ones", activity_regularizer="l2")
        layer(tf.ones((1, 3)))
        layer(2 * tf.ones((4, 3)))
        with tfcore.session(graph=graph) as sess:
            sess.run(tf.compat.v1.global_variables_initializer())
            values = sess.run(layer.losses)
    # Outputs: 3 per unit for the first call (batch 1), 6 per unit for the second (batch 4).
    np.testing.assert_allclose(values, [0.01 * 2 * 9 / 1, 0.01 * 4 * 2 * 36 / 4], rtol=1e-6)
