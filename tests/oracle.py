"""tf-keras (Keras 2) as a numerical oracle, isolated from the rest of the suite.

`tf.keras` resolves to Keras 2 only when `TF_USE_LEGACY_KERAS=1` is set before
TensorFlow is imported, which is a process-wide choice. So oracle tests run in a
pytest process of their own (`TF_USE_LEGACY_KERAS=1 pytest -m keras`, see
README); in any other process this guard skips the importing module with the
reason. The library itself never imports Keras.

Usage in a test module:

    from tests.oracle import keras   # skips the module unless isolated
    pytestmark = pytest.mark.keras
"""

import os

import numpy as np
import pytest

if os.environ.get("TF_USE_LEGACY_KERAS") != "1":
    pytest.skip(
        "tf-keras oracle tests run in their own process: TF_USE_LEGACY_KERAS=1 pytest -m keras",
        allow_module_level=True,
    )

import tensorflow as tf  # noqa: E402
import tf_keras as keras  # noqa: E402  (after the guard on purpose)

import tfcore  # noqa: E402


def keras_forward(layer, x, training=False):
    """Run a built tf-keras layer eagerly on NumPy input and return NumPy."""
    return layer(x, training=training).numpy()


def compare_layer_with_keras(ref, ours, x, rng, weight_noise=0.3, atol=1e-5, rtol=1e-5,
                             grad_atol=1e-4, grad_rtol=1e-4):
    """A tf-keras layer and a tfcore layer, same (perturbed) weights: equal outputs and gradients.

    `ref` (unbuilt) is built for `x`, its initial weights are moved by up to
    `weight_noise` so that zero biases do not hide bias bugs, and copied into
    `ours`; the gradients of sum(y^2) w.r.t. the input and every trainable
    weight must agree.
    """
    ref.build(x.shape)
    weights = [w + rng.uniform(-weight_noise, weight_noise, w.shape).astype(w.dtype)
               for w in ref.get_weights()]
    ref.set_weights(weights)
    xv = tf.constant(x)
    with tf.GradientTape() as tape:
        tape.watch(xv)
        y_ref = ref(xv)
        loss = tf.reduce_sum(y_ref * y_ref)
    g_ref = tape.gradient(loss, [xv] + ref.trainable_weights)

    graph = tfcore.new_graph()
    with graph.as_default():
        xp = tfcore.placeholder((None,) + x.shape[1:])
        y = ours(xp)
        grads = tf.gradients(tf.reduce_sum(y * y), [xp] + ours.trainable_variables)
        with tfcore.session(graph=graph) as sess:
            ours.set_weights(sess, weights)
            out, g = sess.run([y, grads], {xp: x})
    np.testing.assert_allclose(out, y_ref.numpy(), rtol=rtol, atol=atol)
    assert len(g) == len(g_ref)
    for a, b in zip(g, g_ref):
        np.testing.assert_allclose(a, b.numpy(), rtol=grad_rtol, atol=grad_atol)
