"""tfcore.Sequential equals tf-keras's Sequential with the same layers and copied weights:
forward, gradients, summary counts, and 20 steps of legacy Adam."""

import numpy as np
import pytest
import tensorflow as tf

from tests.oracle import keras
import tfcore
from tfcore import layers as ours

pytestmark = pytest.mark.keras


def pair():
    """The same small CNN in tfcore and in tf-keras (Keras's defaults spelled out where they
    differ from nothing: padding is explicit on both sides)."""
    mine = tfcore.Sequential([
        ours.Conv2D(6, 3, padding="same", activation="relu"), ours.MaxPool2D(2),
        ours.Conv2D(8, 3, padding="valid", activation="relu"), ours.Flatten(),
        ours.Dense(16, activation="tanh"), ours.Dense(5, activation="softmax")])
    theirs = keras.Sequential([
        keras.layers.Conv2D(6, 3, padding="same", activation="relu", input_shape=(10, 10, 2)),
        keras.layers.MaxPool2D(2),
        keras.layers.Conv2D(8, 3, padding="valid", activation="relu"), keras.layers.Flatten(),
        keras.layers.Dense(16, activation="tanh"), keras.layers.Dense(5, activation="softmax")])
    return mine, theirs


def _build(mine, batch):
    graph = tfcore.new_graph(seed=0)
    with graph.as_default():
        x = tfcore.placeholder((batch, 10, 10, 2))
        y = tfcore.placeholder((batch, 5))
        p = mine(x)
        loss = tfcore.losses.categorical_crossentropy(y, p)
    return graph, x, y, p, loss


def test_forward_gradients_and_summary_equal_keras(rng):
    mine, theirs = pair()
    xv = rng.rand(4, 10, 10, 2).astype(np.float32)
    yv = np.eye(5, dtype=np.float32)[rng.randint(0, 5, 4)]
    initial = theirs.get_weights()
    graph, x, y, p, loss = _build(mine, 4)
    with graph.as_default():
        grads = tf.gradients(loss, mine.trainable_variables)
    with tfcore.session(graph=graph) as sess:
        sess.run(tf.compat.v1.variables_initializer(mine.variables))
        mine.set_weights(sess, initial)
        got_p, got_g = sess.run([p, grads], {x: xv, y: yv})
    with tf.GradientTape() as tape:
        ref_p = theirs(xv)
        ref_loss = keras.losses.categorical_crossentropy(yv, ref_p)
        ref_loss = tf.reduce_mean(ref_loss)
    ref_g = tape.gradient(ref_loss, theirs.trainable_variables)
    np.testing.assert_allclose(got_p, ref_p.numpy(), atol=1e-5)
    for a, b in zip(got_g, ref_g):
        np.testing.assert_allclose(a, b.numpy(), atol=1e-4)
    lines = []
    mine.summary(print_fn=lines.append)
    rows = lines[4:4 + len(theirs.layers)]  # after the title, rule, header and rule
    for ref, row in zip(theirs.layers, rows):
        assert row.split()[-1] == format(ref.count_params(), ","), row
        shape = row.split("(", 2)[2].split(")")[0].rstrip(",")
        assert shape.split(", ")[1:] == [str(d) for d in ref.output_shape[1:]], row
    assert "Total params: %s" % format(theirs.count_params(), ",") in lines


def test_twenty_adam_steps_equal_keras_legacy_adam(rng):
    mine, theirs = pair()
    batches = [(rng.rand(4, 10, 10, 2).astype(np.float32),
                np.eye(5, dtype=np.float32)[rng.randint(0, 5, 4)]) for _ in range(20)]
    initial = theirs.get_weights()
    opt = keras.optimizers.legacy.Adam(learning_rate=0.01)
    for xv, yv in batches:
        with tf.GradientTape() as tape:
            ref_loss = tf.reduce_mean(keras.losses.categorical_crossentropy(yv, theirs(xv)))
        opt.apply_gradients(zip(tape.gradient(ref_loss, theirs.trainable_variables),
                                theirs.trainable_variables))
    graph, x, y, p, loss = _build(mine, 4)
    with graph.as_default():
        train = tfcore.optimizers.Adam(learning_rate=0.01).minimize(loss)
        init = tf.compat.v1.global_variables_initializer()
    with tfcore.session(graph=graph) as sess:
        sess.run(init)
        mine.set_weights(sess, initial)
        for xv, yv in batches:
            sess.run(train, {x: xv, y: yv})
        trained = mine.get_weights(sess)
    for a, b in zip(trained, theirs.get_weights()):
        np.testing.assert_allclose(a, b, atol=1e-4)
