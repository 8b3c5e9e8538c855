"""Constrained layers equal tf-keras step by step: Keras 2's legacy optimizers project after each update."""

import numpy as np
import pytest
import tensorflow as tf

from tests.oracle import keras
import tfcore
from tfcore import constraints
from tfcore.layers.conv import Conv2D
from tfcore.layers.dense import Dense

pytestmark = pytest.mark.keras

STEPS = 12


def _train_both(rng, make_ref, make_ours, input_shape, make_optimizer):
    """Train both layers on sum((y - 1)^2) from the same weights; per-step weights of each."""
    xs = rng.randn(STEPS, *input_shape).astype(np.float32)
    ref = make_ref()
    ref.build(xs[0].shape)
    weights = [w + rng.uniform(-0.5, 0.5, w.shape).astype(np.float32) for w in ref.get_weights()]
    ref.set_weights(weights)
    ref_opt, ref_path = make_optimizer(keras.optimizers.legacy), []
    for x in xs:
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(tf.square(ref(x) - 1.0))
        ref_opt.apply_gradients(zip(tape.gradient(loss, ref.trainable_weights), ref.trainable_weights))
        ref_path.append(ref.get_weights())

    graph = tfcore.new_graph()
    with graph.as_default():
        xp = tfcore.placeholder((None,) + xs.shape[2:])
        ours = make_ours()
        train = make_optimizer(tfcore.optimizers).minimize(tf.reduce_mean(tf.square(ours(xp) - 1.0)))
        with tfcore.session(graph=graph) as sess:
            sess.run(tf.compat.v1.global_variables_initializer())
            ours.set_weights(sess, weights)
            path = []
            for x in xs:
                sess.run(train, {xp: x})
                path.append(ours.get_weights(sess))
    for k, (a, b) in enumerate(zip(path, ref_path)):
        for wa, wb in zip(a, b):
            np.testing.assert_allclose(wa, wb, atol=1e-6, rtol=0, err_msg="step %d" % (k + 1))


DENSE_CASES = {
    "max_norm": dict(kernel_constraint="max_norm", bias_constraint="non_neg"),
    "max_norm_axis_1": dict(kernel_constraint=("MaxNorm", dict(max_value=0.7, axis=1))),
    "unit_norm": dict(kernel_constraint="unit_norm"),
    "min_max_norm": dict(kernel_constraint=("MinMaxNorm", dict(min_value=0.5, max_value=0.9, rate=0.6)),
                         bias_constraint=("MaxNorm", dict(max_value=0.3))),
    "non_neg": dict(kernel_constraint="non_neg"),
}


def _resolve(module, kwargs):
    """("MaxNorm", {...}) -> module.MaxNorm(...); a name stays a name (both get it by name)."""
    return {k: getattr(module, v[0])(**v[1]) if isinstance(v, tuple) else v for k, v in kwargs.items()}


@pytest.mark.parametrize("case", sorted(DENSE_CASES))
def test_constrained_dense_equals_keras_with_adam_for_12_steps(rng, case):
    kwargs = DENSE_CASES[case]
    _train_both(rng, lambda: keras.layers.Dense(3, **_resolve(keras.constraints, kwargs)),
                lambda: Dense(3, **_resolve(constraints, kwargs)), (8, 5),
                lambda o: o.Adam(0.05, decay=0.01))


def test_conv2d_per_filter_max_norm_and_non_neg_bias_equal_keras_with_momentum(rng):
    make = lambda module: dict(  # noqa: E731
        kernel_constraint=module.MaxNorm(0.8, axis=[0, 1, 2]), bias_constraint=module.NonNeg())
    _train_both(rng, lambda: keras.layers.Conv2D(3, 3, padding="same", **make(keras.constraints)),
                lambda: Conv2D(3, 3, padding="SAME", **make(constraints)), (2, 6, 5, 2),
                lambda o: o.SGD(0.1, momentum=0.9))
