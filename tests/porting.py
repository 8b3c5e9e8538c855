"""Training a small model in tf-keras and in tfcore from the same weights, step by step
(tests/test_porting_*_keras.py, issue 23). Import from keras-marked modules only: it
imports tests.oracle, which skips any process without TF_USE_LEGACY_KERAS=1."""

import numpy as np
import tensorflow as tf

from tests.oracle import keras  # noqa: F401  (the guard)
import tfcore


def perturb(keras_model, rng, noise):
    """Move Keras's initial weights by up to `noise` (zero biases would hide bias bugs)."""
    keras_model.set_weights([w + rng.uniform(-noise, noise, w.shape).astype(w.dtype)
                             for w in keras_model.get_weights()])


def copy_weights(weights, layers, session):
    """Keras-ordered `weights` into tfcore's `layers`, layer after layer."""
    weights = list(weights)
    for layer in layers:
        n = len(layer.variables)
        layer.set_weights(session, weights[:n])
        weights = weights[n:]
    assert not weights, "tfcore's layers hold fewer weights than the Keras model"


def keras_steps(model, loss_fn, optimizer, batches):
    """One step per batch `(x, y)` on `loss_fn(y, model(x))`: (losses before each step, weights)."""
    losses = []
    for x, y in batches:
        with tf.GradientTape() as tape:
            loss = loss_fn(tf.constant(y), model(tf.constant(x), training=True))
        grads = tape.gradient(loss, model.trainable_weights)
        optimizer.apply_gradients(zip(grads, model.trainable_weights))
        losses.append(float(loss))
    return losses, model.get_weights()


def tfcore_steps(weights, layers, loss_fn, optimizer, batches, x_dtype=tf.float32,
                 y_dtype=tf.float32, forward=None):
    """The same steps in a tfcore graph, from Keras-ordered `weights`; `forward(x)` (default:
    `layers` in sequence) gives the prediction. Returns (losses, weights after the last step)."""
    forward = forward or sequential(layers)
    x0, y0 = batches[0]
    graph = tfcore.new_graph()
    with graph.as_default():
        xp = tf.compat.v1.placeholder(x_dtype, (None,) + x0.shape[1:])
        yp = tf.compat.v1.placeholder(y_dtype, (None,) + np.shape(y0)[1:])
        loss = loss_fn(yp, forward(xp))
        train = optimizer.minimize(loss)
        init = tf.compat.v1.global_variables_initializer()
        with tfcore.session(graph=graph) as sess:
            sess.run(init)
            copy_weights(weights, layers, sess)
            losses = [float(sess.run([train, loss], {xp: x, yp: y})[1]) for x, y in batches]
            return losses, [w for layer in layers for w in layer.get_weights(sess)]


def sequential(layers):
    """`x -> layers[-1](... layers[0](x))`."""
    def forward(x):
        for layer in layers:
            x = layer(x)
        return x
    return forward


def assert_same_training(ours, ref, atol=1e-4):
    """Equal losses at every step and equal final weights, within `atol`."""
    (losses, weights), (ref_losses, ref_weights) = ours, ref
    np.testing.assert_allclose(losses, ref_losses, rtol=0, atol=atol)
    assert len(weights) == len(ref_weights)
    for a, b in zip(weights, ref_weights):
        np.testing.assert_allclose(a, b, rtol=0, atol=atol)
