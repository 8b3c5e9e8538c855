"""Accuracy vs NumPy for each kind, and clear errors."""

import numpy as np
import pytest
import tensorflow as tf

import tfcore
from tests.helpers import evaluate
from tfcore.metrics import accuracy


def test_categorical_accuracy_equals_numpy(rng):
    p = rng.randn(50, 4)
    labels = np.eye(4)[rng.randint(0, 4, 50)]
    got = evaluate(lambda: accuracy(labels, p))
    assert got.dtype == np.float32
    np.testing.assert_allclose(got, np.mean(labels.argmax(-1) == p.argmax(-1)), rtol=1e-6)


def test_categorical_accuracy_over_time_steps_equals_numpy(rng):
    p = rng.randn(6, 5, 3)
    labels = np.eye(3)[rng.randint(0, 3, (6, 5))]
    got = evaluate(lambda: accuracy(labels, p))
    np.testing.assert_allclose(got, np.mean(labels.argmax(-1) == p.argmax(-1)), rtol=1e-6)


@pytest.mark.parametrize("label_shape", [(40,), (40, 1)])
def test_sparse_accuracy_equals_numpy(rng, label_shape):
    p = rng.randn(40, 5)
    labels = rng.randint(0, 5, label_shape)
    got = evaluate(lambda: accuracy(labels, p, kind="sparse"))
    np.testing.assert_allclose(got, np.mean(labels.reshape(-1) == p.argmax(-1)), rtol=1e-6)


@pytest.mark.parametrize("threshold", [0.5, 0.3])
def test_binary_accuracy_equals_numpy(rng, threshold):
    p = rng.uniform(0, 1, (60, 1))
    labels = rng.randint(0, 2, (60, 1)).astype(np.float32)
    got = evaluate(lambda: accuracy(labels, p, kind="binary", threshold=threshold))
    np.testing.assert_allclose(got, np.mean(labels == (p > threshold)), rtol=1e-6)


def test_binary_accuracy_on_logits_with_threshold_zero_equals_numpy(rng):
    z = rng.randn(30)
    labels = rng.randint(0, 2, 30)
    got = evaluate(lambda: accuracy(labels, z, kind="binary", threshold=0.0))
    np.testing.assert_allclose(got, np.mean(labels == (z > 0)), rtol=1e-6)


def test_accuracy_with_fed_batches_of_different_sizes(rng):
    graph = tfcore.new_graph()
    with graph.as_default():
        y = tfcore.placeholder((None, 3))
        p = tfcore.placeholder((None, 3))
        acc = accuracy(y, p)
    with tfcore.session(graph=graph) as sess:
        for n in (7, 20):
            pv = rng.randn(n, 3)
            yv = np.eye(3)[rng.randint(0, 3, n)]
            np.testing.assert_allclose(
                sess.run(acc, {y: yv, p: pv}), np.mean(yv.argmax(-1) == pv.argmax(-1)), rtol=1e-6
            )


def test_accuracy_errors_name_the_kind_and_shapes():
    with tfcore.new_graph().as_default():
        with pytest.raises(ValueError, match="kind must be one of"):
            accuracy(tf.zeros((2, 3)), tf.zeros((2, 3)), kind="top5")
        with pytest.raises(ValueError, match="'categorical'.*shape"):
            accuracy(tf.zeros((2, 3)), tf.zeros((2, 4)))
        with pytest.raises(ValueError, match="'sparse'.*class axis"):
            accuracy(tf.zeros((2, 3), tf.int32), tf.zeros((2, 3)), kind="sparse")
        with pytest.raises(ValueError, match="'binary'.*shape"):
            accuracy(tf.zeros((2, 1)), tf.zeros((3, 1)), kind="binary")
