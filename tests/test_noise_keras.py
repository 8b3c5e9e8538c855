"""SpatialDropout1D/2D/3D, GaussianNoise, GaussianDropout, AlphaDropout, ActivityRegularization vs tf-keras.

The random layers cannot match Keras draw for draw (different generators), so
the comparison is of everything else: the signature and defaults, identity at
evaluation, which axes share a mask value, AlphaDropout's affine constants and
its output given Keras's own mask (read back from Keras's output), and the
noise's statistics. ActivityRegularization is deterministic: its penalty and
gradients equal Keras's.
"""

import inspect
import math

import numpy as np
import pytest
import tensorflow as tf

from tests.oracle import keras
import tfcore
import tfcore.layers as ours

pytestmark = pytest.mark.keras

ALPHA_P = -1.6732632423543772848170429916717 * 1.0507009873554804934193349852946
NAMES = ["SpatialDropout1D", "SpatialDropout2D", "SpatialDropout3D", "GaussianNoise",
         "GaussianDropout", "AlphaDropout", "ActivityRegularization"]


def _graph_run(make, x, training, extra=None):
    """Our layer on a placeholder fed x; returns (output, [extra(layer, y, xp) values])."""
    graph = tfcore.new_graph(seed=0)
    with graph.as_default():
        xp = tfcore.placeholder((None,) * x.ndim)
        layer = make()
        y = layer(xp, training=training)
        fetches = [y] + (extra(layer, y, xp) if extra else [])
        with tfcore.session(graph=graph) as sess:
            sess.run(tf.compat.v1.global_variables_initializer())
            out = sess.run(fetches, {xp: x})
    return out[0], out[1:]


@pytest.mark.parametrize("name", NAMES)
def test_signature_and_defaults_follow_keras(name):
    ref = inspect.signature(getattr(keras.layers, name).__init__).parameters
    mine = inspect.signature(getattr(ours, name).__init__).parameters
    ref_args = [(p.name, p.default) for p in ref.values() if p.kind != p.VAR_KEYWORD]
    assert [(p.name, p.default) for p in mine.values()][:len(ref_args)] == ref_args


@pytest.mark.parametrize("name, args, shape", [
    ("SpatialDropout1D", (0.4,), (3, 4, 5)), ("SpatialDropout2D", (0.4,), (3, 4, 5, 2)),
    ("SpatialDropout3D", (0.4, "channels_first"), (3, 2, 4, 5, 2)), ("GaussianNoise", (0.3,), (3, 4)),
    ("GaussianDropout", (0.3,), (3, 4, 2)), ("AlphaDropout", (0.3,), (5, 6)),
])
def test_identity_at_evaluation_as_keras(rng, name, args, shape):
    x = rng.randn(*shape).astype(np.float32)
    ref = getattr(keras.layers, name)(*args)
    np.testing.assert_array_equal(ref(x, training=False).numpy(), x)
    out, _ = _graph_run(lambda: getattr(ours, name)(*args), x, training=False)
    np.testing.assert_array_equal(out, x)


# -- SpatialDropout ----------------------------------------------------------------------------

@pytest.mark.parametrize("name, data_format, shape", [
    ("SpatialDropout1D", None, (7, 5, 6)),
    ("SpatialDropout2D", None, (7, 3, 4, 6)),
    ("SpatialDropout2D", "channels_last", (7, 3, 4, 6)),
    ("SpatialDropout2D", "channels_first", (7, 6, 3, 4)),
    ("SpatialDropout3D", "channels_last", (7, 2, 3, 2, 6)),
    ("SpatialDropout3D", "channels_first", (7, 6, 2, 3, 2)),
])
def test_spatial_dropout_masks_span_the_axes_keras_masks_span(rng, name, data_format, shape):
    rate = 0.5
    x = (rng.rand(*shape) + 0.5).astype(np.float32)  # no zeros: a 0 in y is a dropped unit
    kwargs = {} if data_format is None else {"data_format": data_format}
    ref = getattr(keras.layers, name)(rate, **kwargs)
    layer = getattr(ours, name)(rate, **kwargs)
    # The noise shapes: Keras's (tensors) and ours (None: the input's size).
    ref_shape = tuple(int(d) for d in ref._get_noise_shape(tf.constant(x)))
    assert tuple(n if d is None else d for d, n in zip(layer.noise_shape, shape)) == ref_shape

    y_ref = ref(x, training=True).numpy()
    out, _ = _graph_run(lambda: layer, x, training=True)
    scale = np.float32(1 / (1 - rate))
    for y in (y_ref, out):
        keep = y != 0
        # One keep value per cell of the noise shape, broadcast over the rest.
        axes = tuple(i for i, d in enumerate(ref_shape) if d == 1)
        cell = keep.all(axis=axes, keepdims=True)
        np.testing.assert_array_equal(keep, np.broadcast_to(cell, shape))
        assert 0 < cell.sum() < cell.size
        np.testing.assert_allclose(y[keep], x[keep] * scale, rtol=1e-6)


@pytest.mark.parametrize("name, rank", [("SpatialDropout1D", 3), ("SpatialDropout2D", 4),
                                        ("SpatialDropout3D", 5)])
def test_spatial_dropout_rank_and_data_format_errors_as_keras(name, rank):
    x = np.ones((2,) * (rank + 1), np.float32)
    with pytest.raises(ValueError):
        getattr(keras.layers, name)(0.5)(x, training=True)
    with tfcore.new_graph().as_default():
        with pytest.raises(ValueError, match="input must have rank %d" % rank):
            getattr(ours, name)(0.5)(tf.constant(x), training=True)
    if rank > 3:
        with pytest.raises(ValueError):
            getattr(keras.layers, name)(0.5, data_format="channels_middle")
        with pytest.raises(ValueError, match="data_format"):
            getattr(ours, name)(0.5, data_format="channels_middle")


# -- AlphaDropout ------------------------------------------------------------------------------

@pytest.mark.parametrize("rate", [0.05, 0.2, 0.5, 0.7])
def test_alpha_dropout_equals_keras_given_keras_mask_and_its_constants(rng, rate):
    shape = (40, 25)
    x = rng.randn(*shape).astype(np.float32)
    ref = keras.layers.AlphaDropout(rate, seed=int(rng.randint(1000)))
    xv = tf.constant(x)
    with tf.GradientTape() as tape:
        tape.watch(xv)
        y_ref = ref(xv, training=True)
        total = tf.reduce_sum(y_ref)
    g_ref = tape.gradient(total, xv).numpy()
    y_ref = y_ref.numpy()

    # Keras's constants from the formula (float64), as the layer's docstring states them.
    a = ((1 - rate) * (1 + rate * ALPHA_P ** 2)) ** -0.5
    b = -a * ALPHA_P * rate
    # Keras's mask, read back from its gradient: dy/dx = a * keep.
    keep = g_ref != 0
    assert 0 < keep.sum() < keep.size
    np.testing.assert_allclose(g_ref[keep], a, rtol=1e-6)
    # The dropped units all sit at a alpha' + b; the kept ones on the line a x + b.
    np.testing.assert_allclose(y_ref[~keep], a * ALPHA_P + b, rtol=1e-6)
    slope, intercept = np.polyfit(x[keep].astype(np.float64), y_ref[keep].astype(np.float64), 1)
    np.testing.assert_allclose([slope, intercept], [a, b], rtol=1e-5, atol=1e-6)

    # Ours: the same constants, and Keras's output exactly when given Keras's mask.
    layer = ours.AlphaDropout(rate)
    np.testing.assert_allclose(layer.affine(), (ALPHA_P, a, b), rtol=1e-15)
    with tfcore.new_graph().as_default() as graph:
        y = layer.apply_keep(tf.constant(x), tf.constant(keep))
        with tfcore.session(graph=graph) as sess:
            out = sess.run(y)
    np.testing.assert_allclose(out, y_ref, rtol=0, atol=2e-7 * np.abs(y_ref).max())

    # And a training run of ours has the same structure: a * keep gradient, two families.
    out, (grad,) = _graph_run(lambda: ours.AlphaDropout(rate), x, True,
                              lambda _, y, xp: tf.gradients(tf.reduce_sum(y), [xp]))
    mine = grad != 0
    np.testing.assert_allclose(grad[mine], a, rtol=1e-6)
    np.testing.assert_allclose(out[~mine], a * ALPHA_P + b, rtol=1e-6)
    np.testing.assert_allclose(out[mine], a * x[mine] + b, rtol=1e-5, atol=1e-6)


def test_alpha_dropout_moments_match_keras_for_standard_normal_input():
    rate, n = 0.3, 400_000
    x = np.random.RandomState(0).randn(n).astype(np.float32)
    y_ref = keras.layers.AlphaDropout(rate, seed=1)(x, training=True).numpy().astype(np.float64)
    out, _ = _graph_run(lambda: ours.AlphaDropout(rate), x, training=True)
    out = out.astype(np.float64)
    for y in (y_ref, out):
        assert abs(y.mean()) < 5 / math.sqrt(n)
        assert abs(y.var() - 1) < 5 * math.sqrt(3 / n)


# -- Gaussian layers ---------------------------------------------------------------------------

@pytest.mark.parametrize("stddev", [0.1, 0.8, 2.0])
def test_gaussian_noise_statistics_match_keras(stddev):
    n = 300_000
    x = np.full((n,), 2.0, np.float32)
    noise_ref = keras.layers.GaussianNoise(stddev, seed=3)(x, training=True).numpy() - 2.0
    out, _ = _graph_run(lambda: ours.GaussianNoise(stddev), x, training=True)
    for noise in (noise_ref.astype(np.float64), out.astype(np.float64) - 2.0):
        assert abs(noise.mean()) < 5 * stddev / math.sqrt(n)
        assert abs(noise.var() - stddev ** 2) < 5 * stddev ** 2 * math.sqrt(2 / n)


@pytest.mark.parametrize("rate", [0.1, 0.5, 0.75])
def test_gaussian_dropout_statistics_and_gradient_match_keras(rate):
    n = 300_000
    x = np.full((n,), 3.0, np.float32)
    xv = tf.constant(x)
    with tf.GradientTape() as tape:
        tape.watch(xv)
        y_ref = keras.layers.GaussianDropout(rate, seed=5)(xv, training=True)
        total = tf.reduce_sum(y_ref)
    g_ref = tape.gradient(total, xv).numpy()
    np.testing.assert_allclose(y_ref.numpy(), 3 * g_ref, rtol=1e-6)  # Keras's dy/dx is m too
    out, (grad,) = _graph_run(lambda: ours.GaussianDropout(rate), x, True,
                              lambda _, y, xp: tf.gradients(tf.reduce_sum(y), [xp]))
    np.testing.assert_allclose(out, 3 * grad, rtol=1e-6)
    var = rate / (1 - rate)
    for m in (g_ref.astype(np.float64), grad.astype(np.float64)):
        assert abs(m.mean() - 1) < 5 * math.sqrt(var / n)
        assert abs(m.var() - var) < 5 * var * math.sqrt(2 / n)


# -- ActivityRegularization --------------------------------------------------------------------

def test_activity_regularization_penalty_and_gradients_equal_keras(rng):
    for trial in range(8):
        shape = tuple(rng.randint(1, 6, size=rng.randint(2, 5)))
        x = (rng.randn(*shape) * rng.uniform(0.1, 3)).astype(np.float32)
        l1 = float(rng.choice([0.0, rng.uniform(0, 1)]))
        l2 = float(rng.choice([0.0, rng.uniform(0, 1)]))
        r = rng.randn(*shape).astype(np.float32)

        ref = keras.layers.ActivityRegularization(l1=l1, l2=l2)
        xv = tf.constant(x)
        with tf.GradientTape() as tape:
            tape.watch(xv)
            y_ref = ref(xv)
            (loss_ref,) = ref.losses
            total_ref = tf.reduce_sum(y_ref * r) + loss_ref
        g_ref = tape.gradient(total_ref, xv).numpy()

        graph = tfcore.new_graph()
        with graph.as_default():
            xp = tfcore.placeholder((None,) + shape[1:])
            layer = ours.ActivityRegularization(l1=l1, l2=l2)
            y = layer(xp)
            (loss,) = layer.losses
            (g,) = tf.gradients(tf.reduce_sum(y * r) + loss, [xp])
            with tfcore.session(graph=graph) as sess:
                out, value, grad = sess.run([y, loss, g], {xp: x})
        msg = "trial %d: shape %s, l1=%g, l2=%g" % (trial, shape, l1, l2)
        np.testing.assert_array_equal(out, y_ref.numpy(), err_msg=msg)
        np.testing.assert_allclose(value, loss_ref.numpy(), rtol=1e-6, atol=1e-7, err_msg=msg)
        np.testing.assert_allclose(grad, g_ref, rtol=1e-6, atol=1e-6, err_msg=msg)


@pytest.mark.parametrize("l1, l2", [(None, 0.5), (0.25, None)])
def test_activity_regularization_empty_batch_and_none_factors_as_keras(l1, l2):
    """None is 0.0 (Keras's L1L2), and an empty batch's penalty is 0 (divide_no_nan), not NaN."""
    full = np.arange(-3, 3, dtype=np.float32).reshape(2, 3)
    empty = np.zeros((0, 3), np.float32)
    ref = keras.layers.ActivityRegularization(l1=l1, l2=l2)
    expected = []
    for x in (full, empty):  # eager Keras keeps the losses of the latest call only
        ref(x)
        (penalty,) = ref.losses
        expected.append(float(penalty))
    graph = tfcore.new_graph()
    with graph.as_default():
        xp = tfcore.placeholder((None, 3))
        layer = ours.ActivityRegularization(l1=l1, l2=l2)
        layer(xp)
        with tfcore.session(graph=graph) as sess:
            values = [sess.run(layer.losses[0], {xp: x}) for x in (full, empty)]
    np.testing.assert_allclose(values, expected, rtol=1e-7)
    assert values[1] == 0.0
