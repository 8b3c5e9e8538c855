"""Regularized models equal tf-keras: the same total loss (model.losses included), fit history and weights."""

import numpy as np
import pytest
import tensorflow as tf

from tests.oracle import keras
import tfcore
from tfcore import regularizers, train
from tfcore.layers.conv import Conv2D
from tfcore.layers.dense import Dense

pytestmark = pytest.mark.keras


def _keras_mlp(rng):
    model = keras.Sequential([
        keras.layers.Dense(5, activation="tanh", kernel_regularizer=keras.regularizers.l1_l2(0.01, 0.02),
                           bias_regularizer=keras.regularizers.l2(0.05),
                           activity_regularizer=keras.regularizers.l1(0.01)),
        keras.layers.Dense(2, kernel_regularizer="l2", bias_regularizer="l1"),
    ])
    model.build((None, 4))
    weights = [w + rng.uniform(-0.3, 0.3, w.shape).astype(np.float32) for w in model.get_weights()]
    model.set_weights(weights)
    model.compile(optimizer=keras.optimizers.legacy.SGD(0.05, momentum=0.5), loss="mse")
    return model, weights


def _tfcore_mlp(weights):
    graph = tfcore.new_graph()
    with graph.as_default():
        xp, yp = tfcore.placeholder((None, 4)), tfcore.placeholder((None, 2))
        first = Dense(5, activation="tanh", kernel_regularizer=regularizers.l1_l2(0.01, 0.02),
                      bias_regularizer=regularizers.l2(0.05), activity_regularizer=regularizers.l1(0.01))
        second = Dense(2, kernel_regularizer="l2", bias_regularizer="l1")
        prediction = second(first(xp))
        loss = regularizers.add_regularization(tf.reduce_mean(tf.square(prediction - yp)))
        train_op = tfcore.optimizers.SGD(0.05, momentum=0.5).minimize(loss)
        model = train.TrainGraph(graph, xp, yp, prediction, loss, train_op)
    return model, [first, second]


def test_dense_model_total_loss_fit_history_and_weights_equal_keras(rng):
    x, y = rng.randn(24, 4).astype(np.float32), rng.randn(24, 2).astype(np.float32)
    ref, weights = _keras_mlp(rng)
    ref_eval = ref.evaluate(x, y, batch_size=24, verbose=0)
    ref(x)  # an eager call, so that ref.losses holds its activity penalty
    ref_penalties = float(tf.add_n(ref.losses))
    ref_history = ref.fit(x, y, batch_size=8, epochs=3, shuffle=False, verbose=0).history["loss"]

    model, layers = _tfcore_mlp(weights)
    with tfcore.session(graph=model.graph) as sess:
        train.initialize(model, sess)
        layers[0].set_weights(sess, weights[:2])
        layers[1].set_weights(sess, weights[2:])
        ours_eval = train.evaluate(model, sess, x, y, batch_size=24)["loss"]
        ours_penalties = sum(sess.run([p for layer in layers for p in layer.losses], {model.inputs: x}))
        history = train.fit(model, sess, x, y, epochs=3, batch_size=8, shuffle=False, progress=False)
        final = layers[0].get_weights(sess) + layers[1].get_weights(sess)
    np.testing.assert_allclose(ours_penalties, ref_penalties, rtol=1e-5)
    np.testing.assert_allclose(ours_eval, ref_eval, rtol=1e-5)
    np.testing.assert_allclose(history.history["loss"], ref_history, rtol=1e-5)
    for a, b in zip(final, ref.get_weights()):
        np.testing.assert_allclose(a, b, atol=1e-5)


def test_conv2d_kernel_bias_activity_penalties_equal_keras_model_losses(rng):
    x = rng.randn(3, 7, 6, 2).astype(np.float32)
    kwargs = dict(kernel_regularizer="l1_l2", bias_regularizer="l2", activity_regularizer="l1")
    ref = keras.layers.Conv2D(4, 3, strides=2, padding="same", **kwargs)
    ref.build(x.shape)
    weights = [w + rng.uniform(-0.3, 0.3, w.shape).astype(np.float32) for w in ref.get_weights()]
    ref.set_weights(weights)
    ref(x)
    expected = [float(p) for p in ref.losses]
    graph = tfcore.new_graph()
    with graph.as_default():
        ours = Conv2D(4, 3, strides=2, padding="SAME", **kwargs)
        ours(tfcore.placeholder((None, 7, 6, 2)))
        with tfcore.session(graph=graph) as sess:
            ours.set_weights(sess, weights)
            got = sess.run(ours.losses, {graph.get_tensor_by_name("Placeholder:0"): x})
    # Keras's order: the activity penalty, then the weights' (kernel, bias).
    np.testing.assert_allclose(got, expected, rtol=1e-5)
