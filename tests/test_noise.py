"""SpatialDropout1D/2D/3D, GaussianNoise, GaussianDropout, AlphaDropout, ActivityRegularization.

Random layers: statistics of the noise, the exact noise as a pure function of
[seed, counter] (NumPy / eager oracles), identity at evaluation (bool and
tensor `training`), dy/dx = the multiplier, checkpoint resume, errors.
"""

import math

import numpy as np
import pytest
import tensorflow as tf

import tfcore
from tfcore.layers import (ActivityRegularization, AlphaDropout, Dropout, GaussianDropout,
                           GaussianNoise, SpatialDropout1D, SpatialDropout2D, SpatialDropout3D)
from tests.test_dropout import _oracle_mask

ALPHA_P = -1.6732632423543772848170429916717 * 1.0507009873554804934193349852946


def _run(fetches, feed=None, runs=1, graph=None):
    with tfcore.session(graph=graph) as sess:
        sess.run(tf.compat.v1.global_variables_initializer())
        return [sess.run(fetches, feed) for _ in range(runs)]


def _normal(shape, seed, counter, dtype=tf.float32):
    """The standard normal draw the Gaussian layers must make at counter value `counter`."""
    return tf.random.stateless_normal(shape, seed=tf.constant([seed, counter], tf.int64),
                                      dtype=dtype).numpy()


# -- SpatialDropout --------------------------------------------------------------------------

SPATIAL = [  # (layer class, kwargs, input shape, mask shape: 1 on the spatial axes)
    (SpatialDropout1D, {}, (6, 5, 7), (6, 1, 7)),
    (SpatialDropout2D, {}, (6, 4, 5, 7), (6, 1, 1, 7)),
    (SpatialDropout2D, {"data_format": "channels_last"}, (6, 4, 5, 7), (6, 1, 1, 7)),
    (SpatialDropout2D, {"data_format": "channels_first"}, (6, 7, 4, 5), (6, 7, 1, 1)),
    (SpatialDropout3D, {}, (5, 3, 4, 2, 7), (5, 1, 1, 1, 7)),
    (SpatialDropout3D, {"data_format": "channels_first"}, (5, 7, 3, 4, 2), (5, 7, 1, 1, 1)),
]


@pytest.mark.parametrize("cls, kwargs, shape, mask_shape", SPATIAL)
@pytest.mark.parametrize("rate", [0.5, 0.3])
def test_spatial_dropout_drops_whole_channels_with_dropouts_stateless_mask(rng, cls, kwargs, shape,
                                                                          mask_shape, rate):
    seed = 77
    x = (rng.rand(*shape) + 0.5).astype(np.float32)  # no zeros in x
    graph = tfcore.new_graph()
    with graph.as_default():
        # Unknown batch and spatial sizes: the mask's shape is read at run time.
        xp = tfcore.placeholder((None,) * len(shape))
        layer = cls(rate, seed=seed, **kwargs)
        y = layer(xp, training=True)
        (g,) = tf.gradients(tf.reduce_sum(y), [xp])
        results = _run([y, g], {xp: x}, runs=3, graph=graph)
    scale = np.float32(1 / (1 - rate))
    for k, (out, grad) in enumerate(results):
        keep = _oracle_mask(mask_shape, seed, k, rate)
        assert 0 < keep.sum() < keep.size
        expected_mask = np.broadcast_to(keep, shape) * scale
        np.testing.assert_array_equal(out, x * expected_mask)
        np.testing.assert_array_equal(grad, expected_mask)  # dy/dx = keep[n, c] / (1 - p)
    assert not np.array_equal(results[0][0], results[1][0])


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_spatial_dropout2d_drops_a_fraction_rate_of_the_channels(data_format):
    rate, n, c = 0.3, 200, 50
    shape = (n, c, 3, 3) if data_format == "channels_first" else (n, 3, 3, c)
    channel_axis = 1 if data_format == "channels_first" else 3
    graph = tfcore.new_graph(seed=4)
    with graph.as_default():
        y = SpatialDropout2D(rate, data_format=data_format)(tf.ones(shape), training=True)
        (out,) = _run(y, graph=graph)
    dropped = out == 0
    per_channel = dropped.sum(axis=tuple(a for a in (1, 2, 3) if a != channel_axis))
    assert set(np.unique(per_channel)) <= {0, 9}  # a channel is dropped whole or not at all
    maps = n * c
    sigma = math.sqrt(maps * rate * (1 - rate))
    assert abs((per_channel == 9).sum() - maps * rate) <= 5 * sigma


@pytest.mark.parametrize("cls, kwargs, shape, mask_shape", SPATIAL[:4])
def test_spatial_dropout_is_identity_at_evaluation_bool_and_tensor(rng, cls, kwargs, shape, mask_shape):
    x = rng.randn(*shape).astype(np.float32)
    graph = tfcore.new_graph(seed=1)
    with graph.as_default():
        layer = cls(0.5, **kwargs)
        xp = tfcore.placeholder(shape)
        training = tfcore.placeholder_with_default(False)
        by_bool, by_tensor = layer(xp, training=False), layer(xp, training=training)
        with tfcore.session(graph=graph) as sess:
            sess.run(tf.compat.v1.global_variables_initializer())
            a, b = sess.run([by_bool, by_tensor], {xp: x})
            dropped = sess.run(by_tensor, {xp: x, training: True})
    np.testing.assert_array_equal(a, x)
    np.testing.assert_array_equal(b, x)
    assert np.any(dropped == 0)


def test_spatial_dropout_manual_gradient_and_checkpointed_counter(rng):
    x = rng.randn(4, 3, 3, 6).astype(np.float32)
    graph = tfcore.new_graph(seed=2)
    with graph.as_default():
        auto, manual = SpatialDropout2D(0.5, seed=5), SpatialDropout2D(0.5, seed=5, gradient="manual")
        xp = tfcore.placeholder(x.shape)
        ya, ym = auto(xp, training=True), manual(xp, training=True)
        ga, gm = tf.gradients(tf.reduce_sum(ya * ya), xp) + tf.gradients(tf.reduce_sum(ym * ym), xp)
        assert isinstance(auto, Dropout) and auto.variables == []
        assert auto.state_variables == [auto.counter] and auto.counter in tf.compat.v1.global_variables()
        (out_a, out_m, grad_a, grad_m), = _run([ya, ym, ga, gm], {xp: x}, graph=graph)
    np.testing.assert_array_equal(out_a, out_m)
    np.testing.assert_array_equal(grad_a, grad_m)


@pytest.mark.parametrize("cls, rank", [(SpatialDropout1D, 3), (SpatialDropout2D, 4),
                                       (SpatialDropout3D, 5)])
def test_spatial_dropout_rejects_other_ranks_naming_the_layer(cls, rank):
    with tfcore.new_graph().as_default():
        with pytest.raises(ValueError, match=r"sd: input must have rank %d" % rank):
            cls(0.5, name="sd")(tfcore.placeholder((None,) * (rank - 1)), training=True)
        layer = cls(0.5, name="sd")
        layer(tfcore.placeholder((None,) * rank), training=True)
        with pytest.raises(ValueError, match=r"sd: input must have rank %d" % rank):
            layer(tfcore.placeholder((None,) * (rank + 1)), training=False)


def test_spatial_dropout_argument_errors_name_the_layer():
    with pytest.raises(ValueError, match=r"sd2: data_format must be one of"):
        SpatialDropout2D(0.5, data_format="NHWC", name="sd2")
    with pytest.raises(ValueError, match=r"sd3: data_format must be one of"):
        SpatialDropout3D(0.5, data_format="channels_middle", name="sd3")
    with pytest.raises(ValueError, match=r"sd1: rate must be in \[0, 1\)"):
        SpatialDropout1D(1.0, name="sd1")
    with pytest.raises(TypeError, match=r"sd1: seed must be an int"):
        SpatialDropout1D(0.5, seed=1.5, name="sd1")
    assert SpatialDropout2D(0.5).data_format == "channels_last"  # None: Keras's default
    assert SpatialDropout3D(0.5, data_format="channels_first").noise_shape == (None, None, 1, 1, 1)


# -- GaussianNoise ---------------------------------------------------------------------------

def test_gaussian_noise_is_stddev_times_stateless_normal_of_seed_and_counter(rng):
    seed, stddev, shape = 321, 0.7, (5, 8)
    x = rng.randn(*shape).astype(np.float32)
    graph = tfcore.new_graph()
    with graph.as_default():
        xp = tfcore.placeholder((None, None))
        layer = GaussianNoise(stddev, seed=seed)
        y = layer(xp, training=True)
        (g,) = tf.gradients(tf.reduce_sum(y * y), [xp])
        with tfcore.session(graph=graph) as sess:
            sess.run(tf.compat.v1.global_variables_initializer())
            results = [sess.run([y, g], {xp: x}) for _ in range(3)]
            counter = sess.run(layer.counter)
    assert counter == 3
    for k, (out, grad) in enumerate(results):
        expected = x + np.float32(stddev) * _normal(shape, seed, k)
        np.testing.assert_array_equal(out, expected)
        np.testing.assert_allclose(grad, 2 * out, rtol=1e-6)  # dy/dx = 1: d(y^2)/dx = 2 y


def test_gaussian_noise_statistics_mean_zero_variance_stddev_squared():
    stddev, n = 1.5, 400_000
    graph = tfcore.new_graph(seed=6)
    with graph.as_default():
        y = GaussianNoise(stddev)(tf.fill((n,), 3.0), training=True)
        (out,) = _run(y, graph=graph)
    noise = out.astype(np.float64) - 3.0
    # 5 standard errors: se(mean) = s / sqrt(n), se(var) = s^2 sqrt(2 / n) for a normal.
    assert abs(noise.mean()) < 5 * stddev / math.sqrt(n)
    assert abs(noise.var() - stddev ** 2) < 5 * stddev ** 2 * math.sqrt(2 / n)


# -- GaussianDropout -------------------------------------------------------------------------

def test_gaussian_dropout_multiplier_is_one_plus_sigma_n_and_is_the_gradient(rng):
    seed, rate, shape = 55, 0.2, (4, 3, 6)
    sigma = math.sqrt(rate / (1 - rate))
    x = rng.randn(*shape).astype(np.float32)
    graph = tfcore.new_graph()
    with graph.as_default():
        xp = tfcore.placeholder((None,) + shape[1:])
        y = GaussianDropout(rate, seed=seed)(xp, training=True)
        (g,) = tf.gradients(tf.reduce_sum(y), [xp])
        results = _run([y, g], {xp: x}, runs=2, graph=graph)
    for k, (out, grad) in enumerate(results):
        m = 1 + np.float32(sigma) * _normal(shape, seed, k)
        np.testing.assert_array_equal(grad, m)  # dy/dx = m
        np.testing.assert_array_equal(out, x * m)


@pytest.mark.parametrize("rate", [0.1, 0.5, 0.8])
def test_gaussian_dropout_multiplier_has_mean_one_and_dropouts_variance(rate):
    n = 400_000
    graph = tfcore.new_graph(seed=8)
    with graph.as_default():
        y = GaussianDropout(rate)(tf.ones((n,)), training=True)
        (m,) = _run(y, graph=graph)
    m = m.astype(np.float64)
    var = rate / (1 - rate)  # inverted dropout's keep / (1 - p) has this variance
    assert abs(m.mean() - 1) < 5 * math.sqrt(var / n)
    assert abs(m.var() - var) < 5 * var * math.sqrt(2 / n)


# -- AlphaDropout ----------------------------------------------------------------------------

def _alpha_affine(rate):
    """Keras 2's constants, written out again from the formula."""
    a = ((1 - rate) * (1 + rate * ALPHA_P ** 2)) ** -0.5
    return a, -a * ALPHA_P * rate


@pytest.mark.parametrize("rate", [0.1, 0.25, 0.5])
def test_alpha_dropout_is_the_affine_map_of_dropouts_keep_mask(rng, rate):
    seed, shape = 9, (6, 10)
    x = rng.randn(*shape).astype(np.float32)
    a, b = _alpha_affine(rate)
    graph = tfcore.new_graph()
    with graph.as_default():
        xp = tfcore.placeholder((None, 10))
        layer = AlphaDropout(rate, seed=seed)
        y = layer(xp, training=True)
        (g,) = tf.gradients(tf.reduce_sum(y), [xp])
        results = _run([y, g], {xp: x}, runs=2, graph=graph)
    np.testing.assert_allclose(layer.affine(), (ALPHA_P, a, b), rtol=1e-15)
    for k, (out, grad) in enumerate(results):
        keep = _oracle_mask(shape, seed, k, rate)  # the same mask as Dropout(rate, seed)
        assert 0 < keep.sum() < keep.size
        expected = np.where(keep, a * x.astype(np.float64) + b, a * ALPHA_P + b)
        np.testing.assert_allclose(out, expected, rtol=1e-6, atol=1e-6)
        np.testing.assert_allclose(grad, a * keep, rtol=1e-6)  # dy/dx = a * keep


@pytest.mark.parametrize("rate", [0.05, 0.2, 0.5])
def test_alpha_dropout_keeps_mean_zero_and_variance_one_of_standard_normal_input(rate):
    n = 500_000
    graph = tfcore.new_graph(seed=12)
    with graph.as_default():
        x = tf.random.stateless_normal((n,), seed=[1, 2])
        y = AlphaDropout(rate)(x, training=True)
        xs, ys = _run([x, y], graph=graph)[0]
    ys = ys.astype(np.float64)
    assert abs(xs.mean()) < 0.01 and abs(xs.var() - 1) < 0.01
    assert abs(ys.mean()) < 5 / math.sqrt(n)
    assert abs(ys.var() - 1) < 5 * math.sqrt(3 / n)  # var of y^2 is at most ~3 here
    # Without the affine correction the moments would be off by far more than that.
    values, counts = np.unique(ys, return_counts=True)
    dropped = ys == values[counts.argmax()]  # every dropped unit has the one value a alpha' + b
    assert abs(dropped.mean() - rate) < 5 * math.sqrt(rate * (1 - rate) / n)
    z = np.where(dropped, ALPHA_P, xs)
    assert abs(z.var() - 1) > 0.05 and abs(z.mean()) > 0.05


def test_alpha_dropout_noise_shape_with_none_entries(rng):
    rate, seed = 0.5, 3
    x = rng.randn(8, 4, 5).astype(np.float32)
    a, b = _alpha_affine(rate)
    graph = tfcore.new_graph()
    with graph.as_default():
        xp = tfcore.placeholder((None, None, 5))
        y = AlphaDropout(rate, noise_shape=(None, 1, 5), seed=seed)(xp, training=True)
        (out,) = _run(y, {xp: x}, graph=graph)
    keep = np.broadcast_to(_oracle_mask((8, 1, 5), seed, 0, rate), x.shape)
    np.testing.assert_allclose(out, np.where(keep, a * x + b, a * ALPHA_P + b), rtol=1e-6, atol=1e-6)


# -- shared by the Gaussian and Alpha layers ------------------------------------------------

NOISE = [lambda **kw: GaussianNoise(0.5, **kw), lambda **kw: GaussianDropout(0.4, **kw),
         lambda **kw: AlphaDropout(0.3, **kw)]


@pytest.mark.parametrize("make", NOISE)
def test_noise_layers_are_identity_at_evaluation_for_bool_and_tensor_training(rng, make):
    x = rng.randn(7, 5).astype(np.float32)
    graph = tfcore.new_graph(seed=3)
    with graph.as_default():
        layer = make()
        xp = tfcore.placeholder((None, 5))
        training = tfcore.placeholder_with_default(False)
        by_bool, by_tensor = layer(xp, training=False), layer(xp, training=training)
        (g,) = tf.gradients(tf.reduce_sum(by_tensor), [xp])
        with tfcore.session(graph=graph) as sess:
            sess.run(tf.compat.v1.global_variables_initializer())
            a, b, grad = sess.run([by_bool, by_tensor, g], {xp: x})
            counter_at_eval = sess.run(layer.counter)
            noisy = sess.run(by_tensor, {xp: x, training: True})
            counter = sess.run(layer.counter)
    np.testing.assert_array_equal(a, x)
    np.testing.assert_array_equal(b, x)
    np.testing.assert_array_equal(grad, np.ones_like(x))
    assert np.abs(noisy - x).min() > 0
    assert (counter_at_eval, counter) == (0, 1)


@pytest.mark.parametrize("make", NOISE + [lambda **kw: Dropout(0.5, **kw)])
def test_random_layers_resume_from_a_checkpoint_with_the_uninterrupted_noise(tmp_path, make):
    """Dropout and the noise layers: the counter is in the checkpoint, so a restored run
    draws what the uninterrupted one drew next."""
    def build():
        graph = tfcore.new_graph(seed=11)
        with graph.as_default():
            layer = make()
            y = layer(tf.ones((6, 6)), training=True)
            assert layer.variables == [] and layer.state_variables == [layer.counter]
            saver = tf.compat.v1.train.Saver()
            init = tf.compat.v1.global_variables_initializer()
        return graph, y, saver, init

    graph, y, saver, init = build()
    with tfcore.session(graph=graph) as sess:
        sess.run(init)
        first = [sess.run(y) for _ in range(2)]
        path = saver.save(sess, str(tmp_path / "ckpt"))
        uninterrupted = [sess.run(y) for _ in range(2)]
    graph, y, saver, init = build()
    with tfcore.session(graph=graph) as sess:
        sess.run(init)
        np.testing.assert_array_equal(sess.run(y), first[0])  # same graph seed, same draws
        saver.restore(sess, path)
        resumed = [sess.run(y) for _ in range(2)]
    assert not np.array_equal(first[0], first[1])
    for u, r in zip(uninterrupted, resumed):
        np.testing.assert_array_equal(u, r)


def test_noise_layers_with_zero_rate_or_stddev_are_identity_in_training(rng):
    x = rng.randn(4, 5).astype(np.float32)
    with tfcore.new_graph(seed=0).as_default() as graph:
        ys = [layer(tf.constant(x), training=True) for layer in
              (GaussianNoise(0.0), GaussianDropout(0.0), AlphaDropout(0.0))]
        (outs,) = _run(ys, graph=graph)
    for out in outs:
        np.testing.assert_array_equal(out, x)


def test_noise_layers_float64_inputs_draw_float64_noise(rng):
    x = rng.randn(3, 4)
    with tfcore.new_graph(seed=0).as_default() as graph:
        ys = [make()(tf.constant(x), training=True) for make in NOISE]
        assert all(y.dtype == tf.float64 for y in ys)
        (outs,) = _run(ys, graph=graph)
    assert all(np.abs(out - x).max() > 0 for out in outs)


def test_noise_layer_argument_errors_name_the_layer():
    for stddev in (-0.1, float("nan"), float("inf")):
        with pytest.raises(ValueError, match=r"gn: stddev must be in \[0, inf\)"):
            GaussianNoise(stddev, name="gn")
    for stddev in ("1", None, True):
        with pytest.raises(TypeError, match=r"gn: stddev must be a number in \[0, inf\)"):
            GaussianNoise(stddev, name="gn")
    for rate in (-0.1, 1.0, 2.0):
        with pytest.raises(ValueError, match=r"gd: rate must be in \[0, 1\)"):
            GaussianDropout(rate, name="gd")
        with pytest.raises(ValueError, match=r"ad: rate must be in \[0, 1\)"):
            AlphaDropout(rate, name="ad")
    with pytest.raises(TypeError, match=r"gd: rate must be a number"):
        GaussianDropout("0.5", name="gd")
    with pytest.raises(TypeError, match=r"gn: seed must be an int"):
        GaussianNoise(0.1, seed="1", name="gn")
    with pytest.raises(ValueError, match=r"ad: noise_shape entries"):
        AlphaDropout(0.5, noise_shape=(None, 0), name="ad")
    with tfcore.new_graph().as_default():
        for make, name in ((GaussianNoise, "gn"), (GaussianDropout, "gd"), (AlphaDropout, "ad")):
            with pytest.raises(TypeError, match=r"%s: input must be a floating tensor" % name):
                make(0.5, name=name)(tf.ones((2, 3), tf.int32), training=True)


# -- ActivityRegularization ------------------------------------------------------------------

@pytest.mark.parametrize("l1, l2", [(0.01, 0.0), (0.0, 0.03), (0.2, 0.5), (0.0, 0.0)])
def test_activity_regularization_is_identity_with_penalty_over_batch_size(rng, l1, l2):
    x = rng.randn(5, 3, 4).astype(np.float32)
    r = rng.randn(*x.shape).astype(np.float32)
    graph = tfcore.new_graph()
    with graph.as_default():
        xp = tfcore.placeholder((None, 3, 4))
        layer = ActivityRegularization(l1=l1, l2=l2)
        y = layer(xp)
        (penalty,) = layer.losses
        assert tfcore.regularizers.regularization_losses(graph) == [penalty]
        total = tf.reduce_sum(y * r) + penalty
        (g,) = tf.gradients(total, [xp])
        (out, p, grad), = _run([y, penalty, g], {xp: x}, graph=graph)
    xd = x.astype(np.float64)
    np.testing.assert_array_equal(out, x)
    expected = (l1 * np.abs(xd).sum() + l2 * (xd ** 2).sum()) / 5
    np.testing.assert_allclose(p, expected, rtol=1e-6, atol=1e-12)
    np.testing.assert_allclose(grad, r + (l1 * np.sign(xd) + 2 * l2 * xd) / 5, rtol=1e-5, atol=1e-6)


def test_activity_regularization_penalty_gradient_check(rng):
    layer_args = dict(l1=0.3, l2=0.7)

    def build(x):
        layer = ActivityRegularization(**layer_args)
        y = layer(x)
        return [y, layer.losses[0]]

    # |x| is not differentiable at 0: keep the inputs away from it.
    x = rng.uniform(0.2, 1.0, (4, 3)) * rng.choice([-1, 1], (4, 3))
    tfcore.check_gradients(build, {"x": x}, name="ActivityRegularization")


def test_activity_regularization_adds_one_penalty_per_call_even_at_evaluation(rng):
    with tfcore.new_graph().as_default() as graph:
        layer = ActivityRegularization(l2=1.0)
        xp = tfcore.placeholder((None, 2))
        layer(xp, training=True)
        layer(2 * xp, training=False)
        assert len(layer.losses) == 2 and layer.variables == []
        x = rng.randn(3, 2).astype(np.float32)
        (p1, p2), = _run(layer.losses, {xp: x}, graph=graph)
    np.testing.assert_allclose([p1, p2], [(x ** 2).sum() / 3, 4 * (x ** 2).sum() / 3], rtol=1e-6)


def test_activity_regularization_empty_batch_penalty_is_zero_not_nan():
    with tfcore.new_graph().as_default() as graph:
        xp = tfcore.placeholder((None, 2))
        layer = ActivityRegularization(l1=1.0, l2=1.0)
        layer(xp)
        (p,), = _run(layer.losses, {xp: np.zeros((0, 2), np.float32)}, graph=graph)
    assert p == 0.0


def test_activity_regularization_arguments():
    layer = ActivityRegularization(l1=None, l2=np.float32(0.5))
    assert (layer.l1, layer.l2) == (0.0, 0.5)
    for bad in ("0.1", float("inf"), float("nan")):
        with pytest.raises(ValueError, match=r"act: l1 must be a finite number"):
            ActivityRegularization(l1=bad, name="act")
        with pytest.raises(ValueError, match=r"act: l2 must be a finite number"):
            ActivityRegularization(l2=bad, name="act")
