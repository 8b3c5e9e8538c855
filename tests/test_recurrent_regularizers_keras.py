"""Regularized and constrained LSTM/GRU/SimpleRNN/Conv3D equal tf-keras: the same penalties
(model.losses), the same total loss and the same gradients of it and of the penalties alone, and
the same weights after constrained training steps."""

import numpy as np
import pytest
import tensorflow as tf

from tests.oracle import keras
from tests.test_constraints_keras import _train_both
import tfcore
from tfcore import constraints, regularizers
from tfcore.layers.keras.conv3d import Conv3D
from tfcore.layers.recurrent import GRU, LSTM
from tfcore.layers.keras.simple_rnn import SimpleRNN

pytestmark = pytest.mark.keras

PENALTIES = dict(kernel_regularizer=("l1_l2", dict(l1=0.01, l2=0.02)),
                 recurrent_regularizer=("l2", dict(l2=0.03)), bias_regularizer=("l1", dict(l1=0.05)),
                 activity_regularizer=("l2", dict(l2=0.02)))


def _make(module, spec):
    return {k: getattr(module, name)(**args) for k, (name, args) in spec.items()}


def _losses_both(rng, ref, ours, x, y):
    """Keras's penalties, data loss + sum(penalties), and the gradients of that total and of
    sum(penalties) alone w.r.t. every trainable weight; then tfcore's, from the same weights."""
    ref.build(x.shape)
    weights = [w + rng.uniform(-0.3, 0.3, w.shape).astype(np.float32) for w in ref.get_weights()]
    ref.set_weights(weights)
    with tf.GradientTape(persistent=True) as tape:
        out = tf.nest.flatten(ref(x))[0]
        ref_penalties = ref.losses  # the weights' penalties are computed here, on the tape
        ref_penalty = tf.add_n(ref_penalties)
        ref_total = tf.reduce_mean(tf.square(out - y)) + ref_penalty
    ref_grads = [tape.gradient(t, ref.trainable_weights) for t in (ref_total, ref_penalty)]
    graph = tfcore.new_graph()
    with graph.as_default():
        xp = tfcore.placeholder((None,) + x.shape[1:])
        prediction = tf.nest.flatten(ours(xp))[0]
        total = regularizers.add_regularization(tf.reduce_mean(tf.square(prediction - y)))
        grads = [tf.gradients(t, ours.trainable_variables) for t in (total, tf.add_n(ours.losses))]
        with tfcore.session(graph=graph) as sess:
            sess.run(tf.compat.v1.global_variables_initializer())
            ours.set_weights(sess, weights)
            got_total, got_penalties, got_grads = sess.run([total, ours.losses, grads], {xp: x})
    assert len(got_penalties) == len(ref_penalties) > 0
    np.testing.assert_allclose(sorted(got_penalties), sorted(float(p) for p in ref_penalties),
                               rtol=1e-5)
    np.testing.assert_allclose(got_total, float(ref_total), rtol=1e-5)
    for what, got, expected in zip(("total loss", "penalties"), got_grads, ref_grads):
        assert len(got) == len(expected) == len(weights)
        for k, (a, b) in enumerate(zip(got, expected)):
            np.testing.assert_allclose(a, b.numpy(), rtol=1e-4, atol=1e-6,
                                       err_msg="gradient of the %s, weight %d" % (what, k))


@pytest.mark.parametrize("layer,kwargs", [
    ("LSTM", dict()), ("LSTM", dict(return_sequences=True)), ("GRU", dict()),
    ("GRU", dict(reset_after=False, return_state=True)), ("SimpleRNN", dict()),
    ("SimpleRNN", dict(return_sequences=True, return_state=True))])
def test_regularized_recurrent_layer_total_loss_and_gradients_equal_keras(rng, layer, kwargs):
    x = rng.randn(4, 5, 3).astype(np.float32)
    ours_class = {"LSTM": LSTM, "GRU": GRU, "SimpleRNN": SimpleRNN}[layer]
    ref = getattr(keras.layers, layer)(3, **_make(keras.regularizers, PENALTIES), **kwargs)
    ours = ours_class(3, **_make(regularizers, PENALTIES), **kwargs)
    y = rng.randn(4, 5, 3).astype(np.float32) if kwargs.get("return_sequences") else rng.randn(4, 3)
    _losses_both(rng, ref, ours, x, y.astype(np.float32))


def test_regularized_conv3d_total_loss_and_gradients_equal_keras(rng):
    x = rng.randn(2, 4, 5, 4, 2).astype(np.float32)
    spec = {k: v for k, v in PENALTIES.items() if k != "recurrent_regularizer"}
    ref = keras.layers.Conv3D(3, 2, **_make(keras.regularizers, spec))
    ours = Conv3D(3, 2, **_make(regularizers, spec))
    _losses_both(rng, ref, ours, x, rng.randn(2, 3, 4, 3, 3).astype(np.float32))


CONSTRAINTS = dict(kernel_constraint=("MaxNorm", dict(max_value=0.6)),
                   recurrent_constraint=("UnitNorm", dict()),
                   bias_constraint=("MinMaxNorm", dict(min_value=0.2, max_value=0.9, axis=0)))


@pytest.mark.parametrize("layer", ["LSTM", "GRU", "SimpleRNN"])
def test_constrained_recurrent_layer_trains_like_keras_for_12_steps(rng, layer):
    ours_class = {"LSTM": LSTM, "GRU": GRU, "SimpleRNN": SimpleRNN}[layer]
    extra = dict(reset_after=False) if layer == "GRU" else {}  # a (3H,) bias: one norm over axis 0
    _train_both(rng,
                lambda: getattr(keras.layers, layer)(3, **_make(keras.constraints, CONSTRAINTS), **extra),
                lambda: ours_class(3, **_make(constraints, CONSTRAINTS), **extra), (4, 5, 2),
                lambda o: o.Adam(0.05))


def test_constrained_conv3d_trains_like_keras_for_12_steps(rng):
    spec = dict(kernel_constraint=("MaxNorm", dict(max_value=0.5, axis=[0, 1, 2, 3])),
                bias_constraint=("NonNeg", dict()))
    _train_both(rng, lambda: keras.layers.Conv3D(2, 2, **_make(keras.constraints, spec)),
                lambda: Conv3D(2, 2, **_make(constraints, spec)), (2, 3, 4, 3, 2),
                lambda o: o.SGD(0.1, momentum=0.9))
