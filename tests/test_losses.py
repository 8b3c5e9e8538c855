"""Losses vs tf.nn ops and NumPy formulas, reductions, stability, gradient checks, errors."""

import numpy as np
import pytest
import scipy.special
import tensorflow as tf

import tfcore
from tests.helpers import evaluate
from tfcore import losses


def _one_hot(rng, batch, classes):
    return np.eye(classes)[rng.randint(0, classes, batch)]


def _probabilities(rng, shape):
    return scipy.special.softmax(rng.randn(*shape), axis=-1)


# -- values against oracles -------------------------------------------------

@pytest.mark.parametrize("shape", [(6, 4), (2, 3, 5)])
def test_softmax_cross_entropy_equals_tf_nn_per_example(rng, shape):
    logits = rng.randn(*shape) * 3
    labels = _probabilities(rng, shape)  # soft labels too, as tf.nn allows
    ours, ref = evaluate(lambda: (
        losses.softmax_cross_entropy_with_logits(labels, logits, reduction="none"),
        tf.nn.softmax_cross_entropy_with_logits(labels=labels, logits=logits),
    ))
    assert ours.shape == shape[:-1]
    np.testing.assert_allclose(ours, ref, rtol=1e-12)


def test_sparse_softmax_cross_entropy_equals_tf_nn(rng):
    logits = rng.randn(7, 5) * 3
    labels = rng.randint(0, 5, 7)
    ours, ref = evaluate(lambda: (
        losses.sparse_softmax_cross_entropy_with_logits(labels, logits, reduction="none"),
        tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits),
    ))
    np.testing.assert_allclose(ours, ref, rtol=1e-12)


def test_sparse_label_out_of_range_fails_at_run_time():
    graph = tfcore.new_graph()
    with graph.as_default():
        labels = tfcore.placeholder((None,), tf.int32)
        loss = losses.sparse_softmax_cross_entropy_with_logits(labels, tf.zeros((2, 3)))
    with tfcore.session(graph=graph) as sess:
        assert sess.run(loss, {labels: [0, 2]}) == pytest.approx(np.log(3.0))
        with pytest.raises(tf.errors.InvalidArgumentError, match="labels must be < classes"):
            sess.run(loss, {labels: [0, 3]})
        with pytest.raises(tf.errors.InvalidArgumentError, match="labels must be >= 0"):
            sess.run(loss, {labels: [-1, 0]})


@pytest.mark.parametrize("shape", [(8,), (6, 3)])
def test_sigmoid_cross_entropy_equals_tf_nn_mean_over_last_axis(rng, shape):
    logits = rng.randn(*shape) * 4
    labels = rng.uniform(0, 1, shape)
    ours, ref = evaluate(lambda: (
        losses.sigmoid_cross_entropy_with_logits(labels, logits, reduction="none"),
        tf.nn.sigmoid_cross_entropy_with_logits(labels=labels, logits=logits),
    ))
    expected = ref if len(shape) == 1 else ref.mean(axis=-1)
    np.testing.assert_allclose(ours, expected, rtol=1e-12)


def test_categorical_crossentropy_equals_numpy_keras2_formula(rng):
    p = rng.uniform(0, 1, (6, 4))
    p[0, 1] = 0.0  # clipped to epsilon
    labels = _one_hot(rng, 6, 4)
    labels[0] = [0, 1, 0, 0]
    eps = 1e-7
    q = np.clip(p / p.sum(-1, keepdims=True), eps, 1 - eps)
    expected = -(labels * np.log(q)).sum(-1)
    ours = evaluate(lambda: losses.categorical_crossentropy(labels, p, reduction="none"))
    np.testing.assert_allclose(ours, expected, rtol=1e-12)
    assert np.isfinite(ours).all()


def test_categorical_crossentropy_of_softmax_equals_cross_entropy_of_logits(rng):
    logits = rng.randn(5, 3)
    labels = _one_hot(rng, 5, 3)
    a, b = evaluate(lambda: (
        losses.categorical_crossentropy(labels, tf.nn.softmax(logits)),
        losses.softmax_cross_entropy_with_logits(labels, logits),
    ))
    np.testing.assert_allclose(a, b, rtol=1e-9)


def test_binary_crossentropy_equals_numpy_keras2_formula(rng):
    p = rng.uniform(0, 1, (5, 3))
    p[0, 0], p[1, 1] = 0.0, 1.0
    y = rng.randint(0, 2, (5, 3)).astype(float)
    eps = 1e-7
    q = np.clip(p, eps, 1 - eps)
    expected = (-(y * np.log(q + eps) + (1 - y) * np.log(1 - q + eps))).mean(-1)
    ours = evaluate(lambda: losses.binary_crossentropy(y, p, reduction="none"))
    np.testing.assert_allclose(ours, expected, rtol=1e-12)


def test_mean_squared_error_equals_numpy(rng):
    y, p = rng.randn(4, 3, 2), rng.randn(4, 3, 2)
    none, mean, total = evaluate(lambda: [
        losses.mean_squared_error(y, p, reduction=r) for r in ("none", "mean", "sum")
    ])
    per_example = ((y - p) ** 2).mean(-1)
    np.testing.assert_allclose(none, per_example, rtol=1e-12)
    np.testing.assert_allclose(mean, per_example.mean(), rtol=1e-12)
    np.testing.assert_allclose(total, per_example.sum(), rtol=1e-12)


def test_sum_of_squares_is_the_full_sum_and_twice_tf_nn_l2_loss(rng):
    y, p = rng.randn(5, 3), rng.randn(5, 3)
    ours, l2, per_example, mean = evaluate(lambda: (
        losses.sum_of_squares(y, p), tf.nn.l2_loss(y - p),
        losses.sum_of_squares(y, p, reduction="none"), losses.sum_of_squares(y, p, reduction="mean"),
    ))
    np.testing.assert_allclose(ours, ((y - p) ** 2).sum(), rtol=1e-12)
    np.testing.assert_allclose(ours, 2 * l2, rtol=1e-12)
    np.testing.assert_allclose(per_example, ((y - p) ** 2).sum(-1), rtol=1e-12)
    np.testing.assert_allclose(mean, ((y - p) ** 2).sum(-1).mean(), rtol=1e-12)


@pytest.mark.parametrize("loss", [
    losses.softmax_cross_entropy_with_logits, losses.sigmoid_cross_entropy_with_logits,
    losses.categorical_crossentropy, losses.binary_crossentropy, losses.mean_squared_error,
])
def test_mean_and_sum_reductions_reduce_the_per_example_losses(rng, loss):
    labels, preds = _one_hot(rng, 6, 3), _probabilities(rng, (6, 3))
    none, mean, total = evaluate(lambda: [loss(labels, preds, reduction=r) for r in ("none", "mean", "sum")])
    assert none.shape == (6,)
    np.testing.assert_allclose(mean, none.mean(), rtol=1e-12)
    np.testing.assert_allclose(total, none.sum(), rtol=1e-12)


def test_float32_labels_with_float64_logits_and_int_one_hot_labels_work(rng):
    logits = rng.randn(3, 4)
    labels = _one_hot(rng, 3, 4)
    a, b = evaluate(lambda: (
        losses.softmax_cross_entropy_with_logits(labels.astype(np.int32), logits),
        losses.softmax_cross_entropy_with_logits(labels.astype(np.float32), logits),
    ))
    np.testing.assert_allclose(a, b, rtol=1e-12)


# -- stability ---------------------------------------------------------------

def test_extreme_logits_give_finite_losses_and_gradients_equal_to_tf_nn():
    logits = np.array([[1000.0, -1000.0, 0.0], [-1000.0, 1000.0, 999.0]], np.float32)
    labels = np.array([[0.0, 1.0, 0.0], [0.0, 0.0, 1.0]], np.float32)

    def build():
        z = tf.constant(logits)
        ours = [losses.softmax_cross_entropy_with_logits(labels, z, reduction="none"),
                losses.sigmoid_cross_entropy_with_logits(labels, z, reduction="none")]
        refs = [tf.nn.softmax_cross_entropy_with_logits(labels=labels, logits=z),
                tf.reduce_mean(tf.nn.sigmoid_cross_entropy_with_logits(labels=labels, logits=z), -1)]
        grads = [tf.gradients(tf.reduce_sum(t), z)[0] for t in ours + refs]
        return ours, refs, grads

    ours, refs, grads = evaluate(build)
    for a, b in zip(ours, refs):
        assert np.isfinite(a).all()
        np.testing.assert_allclose(a, b, rtol=1e-6)
    for g in grads:
        assert np.isfinite(g).all()
    np.testing.assert_allclose(grads[0], grads[2], atol=1e-6)
    np.testing.assert_allclose(grads[1], grads[3], atol=1e-6)


# -- gradients ----------------------------------------------------------------

def test_softmax_cross_entropy_passes_gradient_check(rng):
    labels = _probabilities(rng, (3, 4))
    tfcore.check_gradients(
        lambda z: losses.softmax_cross_entropy_with_logits(labels, z), {"z": rng.randn(3, 4)},
        name="softmax_cross_entropy_with_logits",
    )


def test_softmax_cross_entropy_passes_second_order_gradient_check(rng):
    labels = _one_hot(rng, 2, 3)
    tfcore.check_gradients(
        lambda z: losses.softmax_cross_entropy_with_logits(labels, z), {"z": rng.randn(2, 3)},
        name="softmax_cross_entropy_with_logits", order=2,
    )


def test_sparse_softmax_cross_entropy_passes_gradient_check(rng):
    labels = np.array([2, 0, 1])
    tfcore.check_gradients(
        lambda z: losses.sparse_softmax_cross_entropy_with_logits(labels, z), {"z": rng.randn(3, 4)},
        name="sparse_softmax_cross_entropy_with_logits",
    )


def test_sigmoid_cross_entropy_passes_gradient_check_including_zero_logit(rng):
    z = rng.randn(3, 2) * 3
    z[0, 0] = 0.0
    tfcore.check_gradients(
        lambda z, y: losses.sigmoid_cross_entropy_with_logits(y, z),
        {"z": z, "y": rng.uniform(0, 1, (3, 2))}, name="sigmoid_cross_entropy_with_logits",
    )


def test_categorical_crossentropy_passes_gradient_check(rng):
    p = rng.uniform(0.1, 1.0, (3, 4))  # inside the clip range: the formula is smooth there
    tfcore.check_gradients(
        lambda p: losses.categorical_crossentropy(_one_hot(rng, 3, 4), p), {"p": p},
        name="categorical_crossentropy",
    )


def test_binary_crossentropy_passes_gradient_check(rng):
    tfcore.check_gradients(
        lambda p, y: losses.binary_crossentropy(y, p),
        {"p": rng.uniform(0.05, 0.95, (3, 2)), "y": rng.uniform(0, 1, (3, 2))},
        name="binary_crossentropy",
    )


@pytest.mark.parametrize("loss", [losses.mean_squared_error, losses.sum_of_squares])
def test_squared_losses_pass_gradient_check(rng, loss):
    tfcore.check_gradients(
        lambda p, y: loss(y, p), {"p": rng.randn(3, 2), "y": rng.randn(3, 2)}, name=loss.__name__,
    )


# -- errors ------------------------------------------------------------------

@pytest.mark.parametrize("loss", [
    losses.softmax_cross_entropy_with_logits, losses.sigmoid_cross_entropy_with_logits,
    losses.categorical_crossentropy, losses.binary_crossentropy, losses.mean_squared_error,
    losses.sum_of_squares,
])
def test_incompatible_shapes_raise_value_error_naming_the_loss(loss):
    with tfcore.new_graph().as_default():
        with pytest.raises(ValueError, match=loss.__name__ + ".*shape"):
            loss(tf.zeros((4, 3)), tf.zeros((4, 2)))


def test_sparse_labels_with_wrong_shape_or_dtype_raise():
    with tfcore.new_graph().as_default():
        with pytest.raises(ValueError, match="sparse_softmax_cross_entropy_with_logits.*shape"):
            losses.sparse_softmax_cross_entropy_with_logits(tf.zeros((4, 3), tf.int32), tf.zeros((4, 3)))
        with pytest.raises(TypeError, match="labels must be an integer tensor, got float32; they are class indices"):
            losses.sparse_softmax_cross_entropy_with_logits(tf.zeros((4,)), tf.zeros((4, 3)))


def test_unknown_reduction_and_bad_epsilon_raise_value_error():
    with tfcore.new_graph().as_default():
        with pytest.raises(ValueError, match="mean_squared_error: reduction"):
            losses.mean_squared_error(tf.zeros((2, 2)), tf.zeros((2, 2)), reduction="average")
        with pytest.raises(ValueError, match="categorical_crossentropy: epsilon"):
            losses.categorical_crossentropy(tf.zeros((2, 2)), tf.zeros((2, 2)), epsilon=0.0)
        with pytest.raises(TypeError, match=r"categorical_crossentropy: epsilon must be a number in \(0, 0.5\)"):
            losses.categorical_crossentropy(tf.zeros((2, 2)), tf.zeros((2, 2)), epsilon="1e-7")
        with pytest.raises(TypeError, match=r"mean_squared_error: predictions must be a floating tensor"):
            losses.mean_squared_error(tf.zeros((2, 2)), tf.zeros((2, 2), tf.int32))
        with pytest.raises(TypeError, match="categorical_crossentropy: axis must be an int, got 1.0"):
            losses.categorical_crossentropy(tf.zeros((2, 2)), tf.zeros((2, 2)), axis=1.0)
        with pytest.raises(ValueError, match=r"categorical_crossentropy: axis 2 is out of range for the inputs "
                                             r"of rank 2 \(shape \(2, 2\)\)"):
            losses.categorical_crossentropy(tf.zeros((2, 2)), tf.zeros((2, 2)), axis=2)
        with pytest.raises(ValueError, match="mean_squared_error: inputs must have a known rank"):
            losses.mean_squared_error(tf.zeros((2, 2)), tf.compat.v1.placeholder(tf.float32))


# -- label smoothing (Keras 2: y (1 - s) + s / K, binary K = 2) ---------------

def _smoothed(labels, s, classes):
    return labels * (1 - s) + s / classes


@pytest.mark.parametrize("s", [0.1, 1.0])
def test_label_smoothing_equals_the_loss_of_numpy_smoothed_labels(rng, s):
    logits = rng.randn(6, 4) * 3
    one_hot = _one_hot(rng, 6, 4)
    binary = rng.randint(0, 2, (6, 4)).astype(float)
    p = scipy.special.softmax(logits, axis=-1)
    q = scipy.special.expit(logits)
    pairs = [  # (smoothed by the loss, the same loss of labels smoothed here)
        (lambda: losses.softmax_cross_entropy_with_logits(one_hot, logits, "none", label_smoothing=s),
         lambda: tf.nn.softmax_cross_entropy_with_logits(labels=_smoothed(one_hot, s, 4), logits=logits)),
        (lambda: losses.categorical_crossentropy(one_hot, p, reduction="none", label_smoothing=s),
         lambda: losses.categorical_crossentropy(_smoothed(one_hot, s, 4), p, reduction="none")),
        (lambda: losses.sigmoid_cross_entropy_with_logits(binary, logits, "none", label_smoothing=s),
         lambda: tf.reduce_mean(tf.nn.sigmoid_cross_entropy_with_logits(
             labels=_smoothed(binary, s, 2), logits=logits), axis=-1)),
        (lambda: losses.binary_crossentropy(binary, q, reduction="none", label_smoothing=s),
         lambda: losses.binary_crossentropy(_smoothed(binary, s, 2), q, reduction="none")),
    ]
    for ours, ref in pairs:
        a, b = evaluate(lambda: (ours(), ref()))
        np.testing.assert_allclose(a, b, rtol=1e-12)
    # Full smoothing makes the labels uniform: the loss no longer depends on them.
    if s == 1.0:
        a, b = evaluate(lambda: (
            losses.softmax_cross_entropy_with_logits(one_hot, logits, "none", label_smoothing=1.0),
            losses.softmax_cross_entropy_with_logits(one_hot[::-1], logits, "none", label_smoothing=1.0),
        ))
        np.testing.assert_allclose(a, b, rtol=1e-12)


def test_label_smoothing_uses_the_class_count_of_an_unknown_width(rng):
    logits = rng.randn(3, 5)
    labels = _one_hot(rng, 3, 5)
    graph = tfcore.new_graph()
    with graph.as_default():
        z = tfcore.placeholder((None, None), tf.float64)
        y = tfcore.placeholder((None, None), tf.float64)
        loss = losses.softmax_cross_entropy_with_logits(y, z, "none", label_smoothing=0.2)
        ref = tf.nn.softmax_cross_entropy_with_logits(labels=_smoothed(labels, 0.2, 5), logits=logits)
    with tfcore.session(graph=graph) as sess:
        a, b = sess.run([loss, ref], {z: logits, y: labels})
    np.testing.assert_allclose(a, b, rtol=1e-12)


def test_label_smoothed_losses_pass_gradient_check(rng):
    labels = _one_hot(rng, 3, 4)
    tfcore.check_gradients(
        lambda z: losses.softmax_cross_entropy_with_logits(labels, z, label_smoothing=0.2),
        {"z": rng.randn(3, 4)}, name="softmax_cross_entropy(label_smoothing=0.2)", order=2)
    tfcore.check_gradients(
        lambda z: losses.sigmoid_cross_entropy_with_logits(labels, z, label_smoothing=0.2),
        {"z": rng.randn(3, 4) + 0.3}, name="sigmoid_cross_entropy(label_smoothing=0.2)")


@pytest.mark.parametrize("loss", [losses.softmax_cross_entropy_with_logits, losses.categorical_crossentropy,
                                  losses.sigmoid_cross_entropy_with_logits, losses.binary_crossentropy])
def test_label_smoothing_outside_0_1_or_not_a_number_is_a_clear_error(loss):
    with tfcore.new_graph().as_default():
        for bad in (-0.1, 1.5, float("nan")):
            with pytest.raises(ValueError, match=loss.__name__ + ": label_smoothing must be in \\[0, 1\\]"):
                loss(tf.zeros((2, 3)), tf.ones((2, 3)) / 3, label_smoothing=bad)
        for bad in ("0.1", None, True):
            with pytest.raises(TypeError, match=loss.__name__ + ": label_smoothing must be a number"):
                loss(tf.zeros((2, 3)), tf.ones((2, 3)) / 3, label_smoothing=bad)
