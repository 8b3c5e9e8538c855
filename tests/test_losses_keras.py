"""Losses equal tf-keras (Keras 2) losses, values and gradients, including extreme inputs."""

import numpy as np
import pytest
import tensorflow as tf

from tests.oracle import keras
import tfcore
from tfcore import losses

pytestmark = pytest.mark.keras


def _ours(loss, labels, predictions):
    """Our batch-mean loss and its gradient wrt the predictions, in float32."""
    graph = tfcore.new_graph()
    with graph.as_default():
        p = tfcore.placeholder(predictions.shape)
        value = loss(labels, p)
        grad = tf.gradients(value, p)[0]
    with tfcore.session(graph=graph) as sess:
        return sess.run([value, grad], {p: predictions})


def _keras(keras_loss, labels, predictions):
    p = tf.constant(predictions)
    with tf.GradientTape() as tape:
        tape.watch(p)
        value = keras_loss(tf.constant(labels), p)
    return value.numpy(), tape.gradient(value, p).numpy()


def _compare(ours, ref, atol=1e-6):
    for a, b in zip(ours, ref):
        assert np.isfinite(a).all()
        np.testing.assert_allclose(a, b, atol=atol, rtol=1e-5)


def _one_hot(rng, batch, classes):
    return np.eye(classes, dtype=np.float32)[rng.randint(0, classes, batch)]


@pytest.mark.parametrize("scale", [1.0, 1000.0])
def test_softmax_cross_entropy_with_logits_equals_keras_from_logits(rng, scale):
    logits = (rng.randn(8, 5) * scale).astype(np.float32)
    labels = _one_hot(rng, 8, 5)
    _compare(
        _ours(losses.softmax_cross_entropy_with_logits, labels, logits),
        _keras(keras.losses.CategoricalCrossentropy(from_logits=True), labels, logits),
    )


@pytest.mark.parametrize("scale", [1.0, 1000.0])
def test_sparse_softmax_cross_entropy_equals_keras_sparse_from_logits(rng, scale):
    logits = (rng.randn(8, 5) * scale).astype(np.float32)
    labels = rng.randint(0, 5, 8)
    _compare(
        _ours(losses.sparse_softmax_cross_entropy_with_logits, labels, logits),
        _keras(keras.losses.SparseCategoricalCrossentropy(from_logits=True), labels, logits),
    )


@pytest.mark.parametrize("scale", [1.0, 1000.0])
def test_sigmoid_cross_entropy_with_logits_equals_keras_binary_from_logits(rng, scale):
    logits = (rng.randn(8, 3) * scale).astype(np.float32)
    labels = rng.randint(0, 2, (8, 3)).astype(np.float32)
    _compare(
        _ours(losses.sigmoid_cross_entropy_with_logits, labels, logits),
        _keras(keras.losses.BinaryCrossentropy(from_logits=True), labels, logits),
    )


def test_categorical_crossentropy_equals_keras_including_zero_and_unnormalised_probs(rng):
    p = rng.uniform(0, 1, (6, 4)).astype(np.float32)  # rows do not sum to 1: both renormalise
    p[0] = [0.0, 1.0, 0.0, 0.0]  # saturated: both clip
    labels = _one_hot(rng, 6, 4)
    labels[0] = [1, 0, 0, 0]
    _compare(
        _ours(losses.categorical_crossentropy, labels, p),
        _keras(keras.losses.CategoricalCrossentropy(), labels, p),
    )


def test_binary_crossentropy_equals_keras_including_saturated_probs(rng):
    p = rng.uniform(0, 1, (6, 2)).astype(np.float32)
    p[0, 0], p[1, 1] = 0.0, 1.0
    labels = rng.randint(0, 2, (6, 2)).astype(np.float32)
    labels[0, 0], labels[1, 1] = 1.0, 0.0
    _compare(
        _ours(losses.binary_crossentropy, labels, p),
        _keras(keras.losses.BinaryCrossentropy(), labels, p),
    )


@pytest.mark.parametrize("shape", [(7, 3), (4, 5, 2)])
def test_mean_squared_error_equals_keras(rng, shape):
    y = rng.randn(*shape).astype(np.float32)
    p = rng.randn(*shape).astype(np.float32)
    _compare(_ours(losses.mean_squared_error, y, p), _keras(keras.losses.MeanSquaredError(), y, p))


@pytest.mark.parametrize("shape", [(8, 5), (3, 4, 5)])
def test_sparse_softmax_cross_entropy_takes_keras_trailing_unit_label_axis(rng, shape):
    logits = rng.randn(*shape).astype(np.float32)
    labels = rng.randint(0, shape[-1], size=shape[:-1] + (1,)).astype(np.int64)
    got = _ours(losses.sparse_softmax_cross_entropy_with_logits, labels, logits)
    expected = _keras(keras.losses.SparseCategoricalCrossentropy(from_logits=True), labels, logits)
    np.testing.assert_allclose(got[0], expected[0], rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(got[1], expected[1], rtol=1e-6, atol=1e-7)


def _softmax(logits):
    e = np.exp(logits - logits.max(-1, keepdims=True))
    return (e / e.sum(-1, keepdims=True)).astype(np.float32)


@pytest.mark.parametrize("s", [0.1, 0.5, 1.0])
@pytest.mark.parametrize("from_logits", [False, True])
def test_categorical_label_smoothing_equals_keras(rng, s, from_logits):
    logits = (rng.randn(8, 5) * 3).astype(np.float32)
    predictions = logits if from_logits else _softmax(logits)
    labels = _one_hot(rng, 8, 5)
    ours = losses.softmax_cross_entropy_with_logits if from_logits else losses.categorical_crossentropy
    _compare(
        _ours(lambda y, p: ours(y, p, label_smoothing=s), labels, predictions),
        _keras(keras.losses.CategoricalCrossentropy(from_logits=from_logits, label_smoothing=s), labels, predictions),
    )


@pytest.mark.parametrize("s", [0.1, 0.5, 1.0])
@pytest.mark.parametrize("from_logits", [False, True])
def test_binary_label_smoothing_equals_keras(rng, s, from_logits):
    logits = (rng.randn(8, 3) * 3).astype(np.float32)
    predictions = logits if from_logits else (1 / (1 + np.exp(-logits))).astype(np.float32)
    labels = rng.randint(0, 2, (8, 3)).astype(np.float32)
    ours = losses.sigmoid_cross_entropy_with_logits if from_logits else losses.binary_crossentropy
    _compare(
        _ours(lambda y, p: ours(y, p, label_smoothing=s), labels, predictions),
        _keras(keras.losses.BinaryCrossentropy(from_logits=from_logits, label_smoothing=s), labels, predictions),
    )



@pytest.mark.parametrize("name", ["binary_crossentropy", "categorical_crossentropy",
                                  "sparse_categorical_crossentropy", "mean_squared_error",
                                  "mean_absolute_error"])
def test_loss_functions_take_keras_2s_arguments_in_its_order(name):
    import inspect

    ours = [p.name for p in inspect.signature(getattr(losses, name)).parameters.values()
            if p.kind == p.POSITIONAL_OR_KEYWORD]
    theirs = [p.name for p in inspect.signature(getattr(keras.losses, name)).parameters.values()]
    assert ours[2:len(theirs)] == theirs[2:]  # (labels, predictions) are Keras's (y_true, y_pred)


@pytest.mark.parametrize("from_logits", [True, False])
def test_sparse_categorical_crossentropy_ignore_class_and_float_labels_equal_keras(rng, from_logits):
    logits = rng.randn(6, 4).astype(np.float32)
    labels = rng.randint(0, 3, 6).astype(np.float32)  # float class numbers, as fit passes them
    labels[:2] = 3  # the ignored class, twice
    p = logits if from_logits else tf.nn.softmax(logits).numpy()
    want_mean = keras.losses.SparseCategoricalCrossentropy(from_logits=from_logits, ignore_class=3)(
        labels, p).numpy()
    want_each = keras.losses.sparse_categorical_crossentropy(labels, p, from_logits, -1, 3).numpy()
    graph = tfcore.new_graph()
    with graph.as_default():
        mean = losses.sparse_categorical_crossentropy(labels, tf.constant(p), from_logits, -1, 3)
        each = losses.sparse_categorical_crossentropy(labels[:, None], tf.constant(p), from_logits, -1,
                                                      3, reduction="none")
    with tfcore.session(graph=graph) as sess:
        got_mean, got_each = sess.run([mean, each])
    assert (want_each[:2] == 0).all() and want_each[2:].min() > 0
    np.testing.assert_allclose(got_mean, want_mean, rtol=1e-6)
    np.testing.assert_allclose(got_each, want_each, rtol=1e-6, atol=1e-7)
