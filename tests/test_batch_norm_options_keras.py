"""BatchNormalization's Keras arguments equal tf-keras's: a list `axis` (training steps, moving
statistics, inference, gradients), the four initializers, beta/gamma regularizers and constraints."""

import numpy as np
import pytest
import tensorflow as tf

from tests.helpers import run_batch_norm
from tests.oracle import keras
from tests.test_batch_norm_keras import _keras_run
from tests.test_constraints_keras import _train_both
import tfcore
from tfcore import constraints, initializers, regularizers
from tfcore.layers.batch_norm import BatchNormalization

pytestmark = pytest.mark.keras


@pytest.mark.parametrize("shape,axis,center,scale,kwargs", [
    ((6, 3, 4, 5), [1, 3], True, True, {}),
    ((6, 3, 4, 5), [1, 3], True, True, {"gradient": "manual"}),
    ((5, 4, 3), [-1, 1], False, True, {}),
    ((4, 3, 2, 3, 2), [2, -1], True, False, {"gradient": "manual"}),
    ((4, 3, 3, 5), [3], True, True, {}),   # a one-element list: the ordinary layer
    ((7, 2, 3), (1, 2), True, True, {}),
])
def test_list_axis_training_moving_stats_inference_and_gradients_equal_keras(
        rng, shape, axis, center, scale, kwargs):
    ref = keras.layers.BatchNormalization(axis=list(axis), momentum=0.8, center=center, scale=scale)
    ref.build(shape)
    weights = [w + rng.uniform(0.2, 0.6, w.shape).astype(np.float32) for w in ref.get_weights()]
    ref.set_weights(weights)
    batches = [(rng.randn(*shape) * 2 + 0.5).astype(np.float32) for _ in range(3)]
    r = rng.uniform(-1, 1, shape).astype(np.float32)
    (train_k, infer_k, weights_k) = _keras_run(ref, batches, r)
    layer = BatchNormalization(axis=axis, momentum=0.8, center=center, scale=scale, **kwargs)
    (train_t, infer_t, weights_t) = run_batch_norm(layer, weights, batches, r)
    for step, ((y_k, g_k), (y_t, g_t)) in enumerate(zip(train_k + [infer_k], train_t + [infer_t])):
        np.testing.assert_allclose(y_t, y_k, atol=1e-5, err_msg="output, step %d" % step)
        assert len(g_t) == len(g_k)
        for i, (a, b) in enumerate(zip(g_t, g_k)):
            np.testing.assert_allclose(a, b, atol=1e-5, err_msg="gradient %d, step %d" % (i, step))
    assert [w.shape for w in weights_t] == [w.shape for w in weights_k]
    for a, b, name in zip(weights_t, weights_k, [w.name for w in ref.weights]):
        np.testing.assert_allclose(a, b, atol=1e-5, err_msg=name)


def test_initializers_give_kerass_initial_weights():
    kwargs = dict(beta_initializer=("Constant", 0.25), gamma_initializer=("Constant", 1.5),
                  moving_mean_initializer=("Constant", -0.5), moving_variance_initializer=("Constant", 3.0))
    ref = keras.layers.BatchNormalization(
        axis=[1, 2], **{k: getattr(keras.initializers, c)(v) for k, (c, v) in kwargs.items()})
    ref.build((None, 3, 4))
    layer = BatchNormalization(axis=[1, 2], **{k: initializers.constant(v) for k, (_, v) in kwargs.items()})
    graph = tfcore.new_graph()
    with graph.as_default():
        layer(tfcore.placeholder((None, 3, 4)))
        with tfcore.session(graph=graph) as sess:
            sess.run(tf.compat.v1.global_variables_initializer())
            got = layer.get_weights(sess)
    for a, b in zip(got, ref.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_beta_gamma_penalties_equal_keras_losses(rng):
    x = rng.randn(4, 5, 3).astype(np.float32)
    ref = keras.layers.BatchNormalization(gamma_regularizer=keras.regularizers.l2(0.1),
                                          beta_regularizer=keras.regularizers.l1(0.2))
    ref.build(x.shape)
    weights = [w + rng.uniform(-0.5, 0.5, w.shape).astype(np.float32) for w in ref.get_weights()]
    ref.set_weights(weights)
    expected = sorted(float(p) for p in ref.losses)
    graph = tfcore.new_graph()
    with graph.as_default():
        layer = BatchNormalization(gamma_regularizer=regularizers.l2(0.1),
                                   beta_regularizer=regularizers.l1(0.2))
        layer(tfcore.placeholder((None, 5, 3)), training=True)
        with tfcore.session(graph=graph) as sess:
            layer.set_weights(sess, weights)
            got = sorted(sess.run(layer.losses))
    np.testing.assert_allclose(got, expected, rtol=1e-6)


def test_beta_gamma_constraints_train_like_keras_for_12_steps(rng):
    make = lambda module: dict(  # noqa: E731
        gamma_constraint=module.MaxNorm(1.1), beta_constraint=module.NonNeg())
    _train_both(rng, lambda: keras.layers.BatchNormalization(**make(keras.constraints)),
                lambda: BatchNormalization(**make(constraints)), (6, 4),
                lambda o: o.SGD(0.3, momentum=0.5))
