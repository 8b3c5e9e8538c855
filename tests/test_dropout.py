"""Dropout: mask statistics, inverted scaling, evaluation identity, reproducible stateless masks."""

import numpy as np
import pytest
import tensorflow as tf

import tfcore
from tfcore.layers.dropout import Dropout


def _run(fetches, feed=None, runs=1, graph=None, init=True):
    """Run `fetches` `runs` times in a fresh session; returns the list of results."""
    with tfcore.session(graph=graph) as sess:
        if init:
            sess.run(tf.compat.v1.global_variables_initializer())
        return [sess.run(fetches, feed) for _ in range(runs)]


def _oracle_mask(shape, seed, counter, rate, dtype=tf.float32):
    """The keep mask the layer must draw, eagerly, with NumPy splitting the words.

    The narrowest w of 1, 2, 4, 8, 16 with k = rate * 2**w whole: w-bit fields >= k, where
    the fields are the words' 16-bit halves (w = 16) or, for w <= 8, field f = (b >> f*w) &
    (2**w - 1) of every little-endian byte b, all bytes' field 0 first, then field 1, ...
    Otherwise: stateless_uniform(seed=[seed, counter]) >= rate.
    """
    seed_pair = tf.constant([seed, counter], tf.int64)
    size = int(np.prod(shape))
    for bits in (1, 2, 4, 8, 16):
        if float(rate * 2 ** bits).is_integer():
            words = tf.random.stateless_uniform([-(-size * bits // 32)], seed=seed_pair,
                                                dtype=tf.uint32, minval=None, maxval=None)
            words = words.numpy().astype("<u4")
            if bits == 16:
                fields = words.view(np.uint16)
            else:
                b = words.view(np.uint8)
                fields = np.concatenate([(b >> f * bits) & (2 ** bits - 1) for f in range(8 // bits)])
            return fields[:size].reshape(shape) >= rate * 2 ** bits
    u = tf.random.stateless_uniform(shape, seed=seed_pair, dtype=dtype)
    return u.numpy() >= rate


@pytest.mark.parametrize("rate", [0.25, 0.5, 0.75, 5 / 16, 0.8, 1 / 256, 255 / 256, 3 / 65536])
def test_dropout_zero_fraction_is_rate_within_five_binomial_sigmas(rate):
    shape = (400, 250)
    graph = tfcore.new_graph(seed=3)
    with graph.as_default():
        y = Dropout(rate)(tf.ones(shape), training=True)
        (out,) = _run(y, graph=graph)
    n = out.size
    zeros = np.count_nonzero(out == 0)
    sigma = np.sqrt(n * rate * (1 - rate))
    assert abs(zeros - n * rate) <= 5 * sigma, (zeros, n * rate, sigma)


def test_dropout_kept_values_are_x_over_keep_probability_and_dropped_are_zero(rng):
    rate = 0.3
    x = (rng.rand(50, 40) + 0.5).astype(np.float32)  # no exact zeros in x
    graph = tfcore.new_graph(seed=1)
    with graph.as_default():
        y = Dropout(rate)(tf.constant(x), training=True)
        (out,) = _run(y, graph=graph)
    kept = out != 0
    assert 0 < kept.sum() < kept.size
    # Exactly x times the float32 reciprocal, i.e. x / (1 - p) to one rounding.
    np.testing.assert_array_equal(out[kept], x[kept] * np.float32(1 / (1 - rate)))
    np.testing.assert_allclose(out[kept], x[kept].astype(np.float64) / (1 - rate), rtol=1.2e-7)
    np.testing.assert_array_equal(out[~kept], 0)


def test_dropout_is_identity_at_evaluation_for_bool_and_tensor_training(rng):
    x = rng.randn(8, 6).astype(np.float32)
    graph = tfcore.new_graph(seed=2)
    with graph.as_default():
        xp = tfcore.placeholder((None, 6))
        layer = Dropout(0.5)
        eval_by_bool = layer(xp, training=False)
        training = tfcore.placeholder_with_default(False)
        by_tensor = layer(xp, training=training)
        with tfcore.session(graph=graph) as sess:
            sess.run(tf.compat.v1.global_variables_initializer())
            a, b = sess.run([eval_by_bool, by_tensor], {xp: x})
            dropped = sess.run(by_tensor, {xp: x, training: True})
            counter = sess.run(layer.counter)
    np.testing.assert_array_equal(a, x)
    np.testing.assert_array_equal(b, x)
    # Fed True, the same graph drops (the counter moved only on that run).
    assert np.any(dropped == 0)
    assert counter == 1


@pytest.mark.parametrize("rate, bits", [(0.4, None), (0.5, 1), (0.25, 2), (0.75, 2), (5 / 16, 4),
                                        (3 / 256, 8), (3 / 65536, 16)])
def test_dropout_masks_are_stateless_uniform_of_seed_and_counter(rng, rate, bits):
    seed, shape = 1234, (6, 7)  # 42 elements: not a whole number of words
    x = (rng.rand(*shape) + 0.5).astype(np.float32)
    graph = tfcore.new_graph()
    with graph.as_default():
        layer = Dropout(rate, seed=seed)
        y = layer(tf.constant(x), training=True)
        assert layer.mask_bits == bits
        with tfcore.session(graph=graph) as sess:
            sess.run(tf.compat.v1.global_variables_initializer())
            outs = [sess.run(y) for _ in range(3)]
            counter = sess.run(layer.counter)
    assert counter == 3
    for k, out in enumerate(outs):
        np.testing.assert_array_equal(out != 0, _oracle_mask(shape, seed, k, rate))


def test_dropout_same_graph_seed_gives_same_mask_sequence_in_fresh_graphs():
    def masks(graph_seed, layers=1):
        graph = tfcore.new_graph(seed=graph_seed)
        with graph.as_default():
            outs = [Dropout(0.5)(tf.ones((20, 30)), training=True) for _ in range(layers)]
            return [np.stack(o) for o in zip(*_run(outs, graph=graph, runs=3))]

    first, again = masks(7), masks(7)
    np.testing.assert_array_equal(first[0], again[0])
    assert not np.array_equal(first[0], masks(8)[0])
    # Two layers in one seeded graph get different streams (their names differ).
    two = masks(7, layers=2)
    assert not np.array_equal(two[0], two[1])


def test_dropout_different_counter_values_give_different_masks_and_reset_repeats():
    graph = tfcore.new_graph(seed=5)
    with graph.as_default():
        layer = Dropout(0.5)
        y = layer(tf.ones((30, 30)), training=True)
        with tfcore.session(graph=graph) as sess:
            sess.run(tf.compat.v1.global_variables_initializer())
            m0, m1 = sess.run(y), sess.run(y)
            sess.run(layer.counter.initializer)  # back to counter 0
            m0_again = sess.run(y)
    assert not np.array_equal(m0, m1)
    np.testing.assert_array_equal(m0, m0_again)


def test_dropout_gradient_is_the_mask_over_keep_probability(rng):
    rate, seed, shape = 0.35, 99, (5, 9)
    x = rng.randn(*shape).astype(np.float32)
    graph = tfcore.new_graph()
    with graph.as_default():
        xp = tfcore.placeholder(shape)
        y = Dropout(rate, seed=seed)(xp, training=True)
        (grad,) = tf.gradients(tf.reduce_sum(y), [xp])
        results = _run([y, grad], {xp: x}, runs=2, graph=graph)
    for k, (out, g) in enumerate(results):
        mask = _oracle_mask(shape, seed, k, rate)
        np.testing.assert_array_equal(g, mask * np.float32(1 / (1 - rate)))
        np.testing.assert_array_equal(out, x * mask * np.float32(1 / (1 - rate)))


def test_dropout_noise_shape_broadcasts_one_mask_value_per_row(rng):
    rate, seed = 0.5, 21
    graph = tfcore.new_graph()
    with graph.as_default():
        y = Dropout(rate, seed=seed, noise_shape=(None, 1))(tf.ones((40, 6)), training=True)
        (out,) = _run(y, graph=graph)
    mask = _oracle_mask((40, 1), seed, 0, rate)
    np.testing.assert_array_equal(out != 0, np.broadcast_to(mask, (40, 6)))


def test_dropout_rate_zero_is_identity_even_in_training(rng):
    x = rng.randn(4, 5).astype(np.float32)
    graph = tfcore.new_graph(seed=0)
    with graph.as_default():
        y = Dropout(0.0)(tf.constant(x), training=True)
        (out,) = _run(y, graph=graph)
    np.testing.assert_array_equal(out, x)


def test_dropout_has_no_weights_but_a_checkpointed_counter():
    graph = tfcore.new_graph(seed=0)
    with graph.as_default():
        layer = Dropout(0.5)
        layer(tfcore.placeholder((None, 3)), training=True)
        assert layer.variables == [] and layer.trainable_variables == []
        assert layer.state_variables == [layer.counter]
        assert layer.counter.dtype == tf.int64 and not layer.counter.trainable
        assert layer.counter in tf.compat.v1.global_variables()
        assert layer.counter not in tf.compat.v1.trainable_variables()
        with tfcore.session(graph=graph) as sess:
            assert layer.get_weights(sess) == []


@pytest.mark.parametrize("rate", [-0.1, 1.0, 1.5])
def test_dropout_rejects_rate_outside_zero_one_naming_the_layer(rate):
    with pytest.raises(ValueError, match=r"my_drop: rate must be in \[0, 1\)"):
        Dropout(rate, name="my_drop")


def test_dropout_accepts_numpy_scalar_rates():
    for rate in (np.float32(0.5), np.float64(0.25), np.int64(0)):
        assert Dropout(rate).rate == float(rate)
    assert Dropout(np.float32(0.5)).mask_bits == 1 and Dropout(np.float32(0.1)).mask_bits is None


def test_dropout_rejects_non_numeric_rate_and_bad_noise_shape():
    for rate in ("0.5", True, np.bool_(False), None):
        with pytest.raises(TypeError, match="dropout: rate"):
            Dropout(rate)
    with pytest.raises(ValueError, match="noise_shape"):
        Dropout(0.5, noise_shape=(None, 0))
    with tfcore.new_graph().as_default():
        with pytest.raises(ValueError, match="noise_shape .* rank 2"):
            Dropout(0.5, noise_shape=(None, 1, 1))(tfcore.placeholder((None, 3)), training=True)


def test_two_training_calls_in_one_run_draw_independent_reproducible_masks():
    def masks():
        graph = tfcore.new_graph(seed=11)
        with graph.as_default():
            layer = Dropout(0.5)
            ones = tf.ones((4, 64))
            first, second = layer(ones, training=True), layer(ones, training=True)
            init = tf.compat.v1.global_variables_initializer()
        with tfcore.session(graph=graph) as sess:
            sess.run(init)
            return [sess.run([first, second]) for _ in range(2)], len(layer.state_variables)

    runs, counters = masks()
    again, _ = masks()
    assert counters == 2  # one counter per training-mode call site
    for (a, b), (a2, b2) in zip(runs, again):
        assert not np.array_equal(a, b)  # the two call sites do not share a mask
        np.testing.assert_array_equal(a, a2)  # and each is reproducible from the seed
        np.testing.assert_array_equal(b, b2)
    assert not np.array_equal(runs[0][0], runs[1][0])  # each run advances the counters
