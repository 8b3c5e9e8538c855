"""BatchNormalization: NumPy oracle, gradient checks, training switch, fused == readable, errors."""

import numpy as np
import pytest
import tensorflow as tf

import tfcore
from tests.helpers import run_batch_norm
from tfcore.layers.batch_norm import BatchNormalization
from tfcore.reference import batch_norm_inference, batch_norm_training, moving_average


def _random_weights(rng, features):
    gamma = rng.uniform(0.5, 1.5, features).astype(np.float32)
    beta = rng.uniform(-0.5, 0.5, features).astype(np.float32)
    moving_mean = rng.uniform(-0.3, 0.3, features).astype(np.float32)
    moving_variance = rng.uniform(0.5, 2.0, features).astype(np.float32)
    return gamma, beta, moving_mean, moving_variance


# `asked` is the unbiased_moving_variance argument, `unbiased` what it must resolve to:
# by default (None) Bessel's correction exactly where tf-keras 2 fuses (4-D/5-D, channel axis 1 or last).
@pytest.mark.parametrize("shape,axis,asked,unbiased", [
    ((16, 5), -1, None, False), ((4, 3, 3, 5), -1, None, True), ((4, 5, 3, 3), 1, None, True),
    ((4, 3, 5, 3), 2, None, False), ((6, 4, 3), -1, None, False),
    ((4, 3, 3, 5), -1, False, False), ((16, 5), -1, True, True),
])
def test_batch_norm_training_inference_and_moving_stats_equal_numpy(rng, shape, axis, asked, unbiased):
    momentum, epsilon, steps = 0.9, 1e-3, 3
    features = shape[axis]
    gamma, beta, mm, mv = _random_weights(rng, features)
    batches = [(rng.randn(*shape) * 2 + 1).astype(np.float32) for _ in range(steps)]
    graph = tfcore.new_graph()
    with graph.as_default():
        xp = tfcore.placeholder((None,) + shape[1:])
        layer = BatchNormalization(axis=axis, momentum=momentum, epsilon=epsilon,
                                   unbiased_moving_variance=asked)
        y_train = layer(xp, training=True)
        y_infer = layer(xp, training=False)
        with tfcore.session(graph=graph) as sess:
            layer.set_weights(sess, [gamma, beta, mm, mv])
            outs = [sess.run([y_train, layer.updates], {xp: b})[0] for b in batches]
            moving = sess.run([layer.moving_mean, layer.moving_variance])
            inferred = sess.run(y_infer, {xp: batches[0]})
    assert layer.unbiased_moving_variance == unbiased
    ref_mm, ref_mv = mm.astype(np.float64), mv.astype(np.float64)
    for batch, out in zip(batches, outs):
        y, mean, var, n = batch_norm_training(batch, axis, gamma, beta, epsilon)
        np.testing.assert_allclose(out, y, atol=1e-5)
        var_for_moving = var * n / (n - 1) if unbiased else var
        ref_mm = moving_average(ref_mm, mean, momentum)
        ref_mv = moving_average(ref_mv, var_for_moving, momentum)
    np.testing.assert_allclose(moving[0], ref_mm, atol=1e-5)
    np.testing.assert_allclose(moving[1], ref_mv, atol=1e-5)
    ref_inf = batch_norm_inference(batches[0], axis, gamma, beta, ref_mm, ref_mv, epsilon)
    np.testing.assert_allclose(inferred, ref_inf, atol=1e-5)


@pytest.mark.parametrize("shape,center,scale", [
    ((4, 3), True, True), ((3, 2, 2, 3), True, True), ((4, 3), False, True), ((4, 3), True, False),
])
def test_batch_norm_passes_gradient_check_in_training_mode(rng, shape, center, scale):
    tfcore.check_gradients(
        lambda x: BatchNormalization(center=center, scale=scale)(x, training=True),
        {"x": rng.randn(*shape)}, name="BatchNormalization(training, shape=%s)" % (shape,),
    )


def test_batch_norm_passes_second_order_gradient_check_in_training_mode(rng):
    tfcore.check_gradients(
        lambda x: BatchNormalization()(x, training=True), {"x": rng.randn(5, 3)},
        name="BatchNormalization(training)", order=2,
    )


def _with_moving_statistics(**kwargs):
    """Starts from moving statistics other than 0 and 1, so inference is a real normalisation."""
    return BatchNormalization(moving_mean_initializer=tfcore.initializers.constant(0.3),
                              moving_variance_initializer=tfcore.initializers.constant(1.7), **kwargs)


@pytest.mark.parametrize("shape", [(4, 3), (2, 2, 2, 3)])
def test_batch_norm_passes_gradient_check_in_inference_mode(rng, shape):
    tfcore.check_gradients(
        lambda x: _with_moving_statistics(name="batch_norm")(x, training=False),
        {"x": rng.randn(*shape)},
        name="BatchNormalization(inference)",
    )


@pytest.mark.parametrize("shape,fused", [((8, 4), False), ((3, 2, 2, 4), False), ((3, 2, 2, 4), True)])
def test_batch_norm_training_tensor_switches_output_and_updates(rng, shape, fused):
    x = (rng.randn(*shape) * 3 + 2).astype(np.float32)
    gamma, beta, mm, mv = _random_weights(rng, 4)
    graph = tfcore.new_graph()
    with graph.as_default():
        xp = tfcore.placeholder((None,) + shape[1:])
        training = tfcore.placeholder_with_default(False)
        layer = BatchNormalization(momentum=0.8, fused=fused)
        y = layer(xp, training=training)
        # The references: the same layer built once per mode with Python bools.
        ref_train = BatchNormalization(momentum=0.8, fused=fused, name="ref_train")
        y_train = ref_train(xp, training=True)
        ref_infer = BatchNormalization(momentum=0.8, fused=fused, name="ref_infer")
        y_infer = ref_infer(xp, training=False)
        grad = tf.gradients(tf.reduce_sum(tf.sin(y)), [xp] + layer.trainable_variables)
        grad_train = tf.gradients(tf.reduce_sum(tf.sin(y_train)), [xp] + ref_train.trainable_variables)
        with tfcore.session(graph=graph) as sess:
            for l in (layer, ref_train, ref_infer):
                l.set_weights(sess, [gamma, beta, mm, mv])
            # training fed False: inference output, and running the updates changes nothing.
            out, _ = sess.run([y, layer.updates], {xp: x})
            np.testing.assert_array_equal(sess.run(layer.moving_mean), mm)
            np.testing.assert_array_equal(sess.run(layer.moving_variance), mv)
            np.testing.assert_allclose(out, sess.run(y_infer, {xp: x}), atol=1e-6)
            # training fed True: batch statistics, and the updates move the statistics.
            out, g, _ = sess.run([y, grad, layer.updates], {xp: x, training: True})
            ref_out, ref_g, _ = sess.run([y_train, grad_train, ref_train.updates], {xp: x})
            np.testing.assert_allclose(out, ref_out, atol=1e-6)
            for a, b in zip(g, ref_g):
                np.testing.assert_allclose(a, b, atol=1e-6)
            np.testing.assert_allclose(sess.run(layer.moving_mean), sess.run(ref_train.moving_mean), atol=1e-7)
            np.testing.assert_allclose(sess.run(layer.moving_variance),
                                       sess.run(ref_train.moving_variance), atol=1e-7)
            assert not np.allclose(sess.run(layer.moving_mean), mm)
    assert ref_infer.updates == []  # a graph built for inference only has no update ops


def test_batch_norm_update_ops_are_in_the_update_ops_collection_and_run_with_a_train_step(rng):
    x = rng.randn(6, 3).astype(np.float32)
    graph = tfcore.new_graph()
    with graph.as_default():
        layer = BatchNormalization(momentum=0.5)
        y = layer(tf.constant(x), training=True)
        assert len(layer.updates) == 2
        collected = tf.compat.v1.get_collection(tf.compat.v1.GraphKeys.UPDATE_OPS)
        assert all(any(u is c for c in collected) for u in layer.updates)
        loss = tf.reduce_sum(tf.square(y - 1.0))
        with tf.control_dependencies(collected):
            train_op = tf.compat.v1.train.GradientDescentOptimizer(0.1).minimize(loss)
        with tfcore.session(graph=graph) as sess:
            sess.run(tf.compat.v1.global_variables_initializer())
            sess.run(train_op)
            moving_mean = sess.run(layer.moving_mean)
    np.testing.assert_allclose(moving_mean, 0.5 * x.mean(axis=0), atol=1e-6)


def _fused_and_readable(rng, shape, center, scale, unbiased, steps=3):
    """Outputs, gradients and moving statistics of the fused and the readable layer."""
    features = shape[-1]
    gamma, beta, mm, mv = _random_weights(rng, features)
    weights = ([gamma] if scale else []) + ([beta] if center else []) + [mm, mv]
    batches = [(rng.randn(*shape) * 1.5 - 0.5).astype(np.float32) for _ in range(steps)]
    r = rng.uniform(-1, 1, shape).astype(np.float32)
    results = []
    for fused in (True, False):
        layer = BatchNormalization(momentum=0.9, center=center, scale=scale, fused=fused,
                                   unbiased_moving_variance=unbiased)
        results.append(run_batch_norm(layer, weights, batches, r))
    return results


@pytest.mark.parametrize("center,scale,unbiased", [
    (True, True, True), (True, True, False), (False, True, True), (True, False, False), (False, False, True),
])
def test_fused_batch_norm_agrees_with_readable_version(rng, center, scale, unbiased):
    fused, readable = _fused_and_readable(rng, (4, 3, 3, 5), center, scale, unbiased)
    for (y_f, g_f), (y_r, g_r) in zip(fused[0] + [fused[1]], readable[0] + [readable[1]]):
        np.testing.assert_allclose(y_f, y_r, atol=1e-5)
        for a, b in zip(g_f, g_r):
            np.testing.assert_allclose(a, b, atol=1e-5)
    for a, b in zip(fused[2], readable[2]):  # weights, moving statistics after 3 steps
        np.testing.assert_allclose(a, b, atol=1e-5)


def test_batch_norm_weights_in_keras_order_with_trainable_flags():
    with tfcore.new_graph().as_default():
        layer = BatchNormalization(name="bn")
        layer(tfcore.placeholder((None, 4)), training=True)
        assert [v.name for v in layer.variables] == [
            "bn/gamma:0", "bn/beta:0", "bn/moving_mean:0", "bn/moving_variance:0"]
        assert layer.trainable_variables == [layer.gamma, layer.beta]
        assert layer.non_trainable_variables == [layer.moving_mean, layer.moving_variance]
        bare = BatchNormalization(center=False, scale=False, name="bare")
        bare(tfcore.placeholder((None, 2, 2, 4)))
        assert [v.name for v in bare.variables] == ["bare/moving_mean:0", "bare/moving_variance:0"]
        with tfcore.session() as sess:
            sess.run(tf.compat.v1.global_variables_initializer())
            w = layer.get_weights(sess)
    np.testing.assert_array_equal(np.stack(w), [[1] * 4, [0] * 4, [0] * 4, [1] * 4])


def test_batch_norm_rejects_bad_arguments_naming_the_layer():
    with pytest.raises(ValueError, match="bn: momentum"):
        BatchNormalization(momentum=1.5, name="bn")
    with pytest.raises(ValueError, match="bn: epsilon"):
        BatchNormalization(epsilon=0.0, name="bn")
    with pytest.raises(TypeError, match="bn: axis must be an int or a non-empty list of ints"):
        BatchNormalization(axis=1.5, name="bn")
    with pytest.raises(ValueError, match="bn: axis must be an int or a non-empty list of ints"):
        BatchNormalization(axis=[], name="bn")  # a list of axes is fine, an empty one is not
    with pytest.raises(TypeError, match="bn: momentum must be a number in"):
        BatchNormalization(momentum="0.9", name="bn")
    with pytest.raises(TypeError, match="bn: fused must be True or False, got 1"):
        BatchNormalization(fused=1, name="bn")
    with pytest.raises(TypeError, match="bn: unbiased_moving_variance must be None, True or False"):
        BatchNormalization(unbiased_moving_variance="yes", name="bn")
    with pytest.raises(ValueError, match="bn: fused=True needs epsilon"):
        BatchNormalization(fused=True, epsilon=1e-6, name="bn")
    with tfcore.new_graph().as_default():
        with pytest.raises(ValueError, match="bn: fused=True needs a 4-D or 5-D float32"):
            BatchNormalization(fused=True, name="bn")(tfcore.placeholder((None, 3)))
        with pytest.raises(ValueError, match="fused=True needs a 4-D or 5-D float32"):
            BatchNormalization(fused=True, axis=2)(tfcore.placeholder((None, 3, 2, 2)))
        with pytest.raises(ValueError, match="fused=True needs a 4-D or 5-D float32"):
            BatchNormalization(fused=True, axis=3)(tfcore.placeholder((None, 3, 2, 2, 2)))
        with pytest.raises(ValueError, match="fused=True needs a 4-D or 5-D float32"):
            BatchNormalization(fused=True)(tfcore.placeholder((None, 2, 2, 3), tf.float64))
        with pytest.raises(ValueError, match="axis 2 is out of range"):
            BatchNormalization(axis=2)(tfcore.placeholder((None, 3)))
        with pytest.raises(ValueError, match="input's size along axis 1 must be known"):
            BatchNormalization()(tfcore.placeholder((None, None)))
        layer = BatchNormalization(name="bn2")
        layer(tfcore.placeholder((None, 3)))
        with pytest.raises(ValueError, match="bn2: input has 4 features, but .* built for 3"):
            layer(tfcore.placeholder((None, 4)))
