"""tfcore.train_graph.assemble: every switch (and towers) builds a model whose loss and one SGD
step match NumPy's on a linear network, minimising the loss or a separate objective; bad options
are clear errors."""

import numpy as np
import pytest
import tensorflow as tf

import tfcore
from tfcore import parallel, train
from tfcore.layers import Dense
from tfcore.optimizers import SGD


def _mse(targets, outputs):
    return tf.reduce_mean(tf.square(outputs - targets))


def _sse(targets, outputs):
    return tf.reduce_sum(tf.square(outputs - targets))


def _numpy_loss_and_step(x, y, w, b, lr, objective=None):
    """The mean squared error of x w + b and one gradient-descent step on it, d/dw = 2 x^T r / (n d),
    or on the sum of squares (objective=_sse), d/dw = 2 x^T r."""
    residual = x @ w + b - y
    scale = 2.0 / residual.size if objective is None else 2.0
    return np.mean(residual ** 2), w - lr * scale * x.T @ residual, b - lr * scale * residual.sum(0)


def _build(switch, devices=None, objective=None):
    graph = tfcore.new_graph(seed=3)
    with graph.as_default():
        x = tfcore.placeholder((None, 4), name="x")
        y = tfcore.placeholder((None, 2), name="y")
        layer = Dense(2)
        model = train.assemble(graph, x, y, lambda inputs, training: layer(inputs), _mse, SGD(0.1),
                               metrics={"mae": lambda t, o: tf.reduce_mean(tf.abs(o - t))},
                               switch=switch, devices=devices, output=tf.nn.relu,
                               objective=objective)
    return model, layer


@pytest.mark.parametrize("switch,towers,objective", [
    ("passes", 0, None), ("placeholder", 0, None), (None, 0, None), ("placeholder", 2, None),
    ("passes", 0, _sse), ("placeholder", 0, _sse), (None, 0, _sse)])
def test_assemble_matches_numpy_for_every_switch_and_towers(switch, towers, objective):
    # With an objective the step follows the sum of squares; the reported loss is still the mean.
    rng = np.random.RandomState(0)
    x, y = rng.randn(8, 4).astype(np.float32), rng.randn(8, 2).astype(np.float32)
    model, layer = _build(switch, parallel.tower_devices(towers) if towers else None, objective)
    assert (model.training is None) == (switch != "placeholder")  # fit feeds only a placeholder
    with tfcore.session(graph=model.graph, cpu_devices=max(1, towers)) as sess:
        train.initialize(model, sess)
        w, b = sess.run([layer.kernel, layer.bias])
        loss, w_next, b_next = _numpy_loss_and_step(x.astype(np.float64), y, w, b, 0.1, objective)
        got = train.evaluate(model, sess, x, y, batch_size=8)
        np.testing.assert_allclose(got["loss"], loss, rtol=1e-5)
        np.testing.assert_allclose(got["mae"], np.mean(np.abs(x @ w + b - y)), rtol=1e-5)
        np.testing.assert_allclose(train.predict(model, sess, x), np.maximum(x @ w + b, 0),
                                   rtol=1e-5, atol=1e-6)
        train.fit(model, sess, x, y, epochs=1, batch_size=8, shuffle=False, progress=False)
        np.testing.assert_allclose(sess.run(layer.kernel), w_next, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(sess.run(layer.bias), b_next, rtol=1e-5, atol=1e-6)


def test_assemble_refuses_unknown_switches_and_towers_without_the_placeholder():
    with pytest.raises(ValueError, match="assemble: switch must be 'passes', 'placeholder' or None"):
        _build("both")
    with pytest.raises(ValueError, match="assemble: towers .* pass switch='placeholder'"):
        _build("passes", parallel.tower_devices(2))
    with pytest.raises(ValueError, match="assemble: towers .* take no objective"):
        _build("placeholder", parallel.tower_devices(2), _sse)
