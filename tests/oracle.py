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


def keras_and_tfcore(ref, ours, x, rng, weight_noise, loss="random", call_kwargs=None,
                     placeholder_shape=None):
    """Run tf-keras `ref` (eager, GradientTape) and tfcore `ours` (graph, tf.gradients) on `x`.

    `ref` (unbuilt) is built for `x`, its initial weights are moved by up to
    `weight_noise` (so that zero biases do not hide bias bugs) and copied into
    `ours`. The loss is sum(y * r) over every output y for random r ("random") or
    sum(y^2) ("square"); its gradients are taken with respect to the input and
    every trainable weight. `call_kwargs` (NumPy values, e.g. a mask) go to both
    calls; `placeholder_shape` defaults to `(None,) + x.shape[1:]`.

    Returns `(outputs, ref_outputs, grads, ref_grads, tensors)`: lists of NumPy
    arrays, and tfcore's output tensors (for their static shapes).
    """
    call_kwargs = call_kwargs or {}
    ref.build(x.shape)
    weights = [w + rng.uniform(-weight_noise, weight_noise, w.shape).astype(w.dtype)
               for w in ref.get_weights()]
    ref.set_weights(weights)

    def objective(ys, rs):
        return tf.add_n([tf.reduce_sum(y * (y if r is None else r)) for y, r in zip(ys, rs)])

    xv = tf.constant(x)
    with tf.GradientTape() as tape:
        tape.watch(xv)
        y_ref = tf.nest.flatten(ref(xv, **{k: tf.constant(v) for k, v in call_kwargs.items()}))
        rs = [None if loss == "square" else rng.uniform(-1, 1, y.shape).astype(np.float32)
              for y in y_ref]
        ref_loss = objective(y_ref, rs)
    g_ref = tape.gradient(ref_loss, [xv] + ref.trainable_weights)

    graph = tfcore.new_graph()
    with graph.as_default():
        xp = tfcore.placeholder(placeholder_shape or (None,) + x.shape[1:])
        ys = tf.nest.flatten(ours(xp, **call_kwargs))
        grads = tf.gradients(objective(ys, rs), [xp] + ours.trainable_variables)
        with tfcore.session(graph=graph) as sess:
            ours.set_weights(sess, weights)
            out, g = sess.run([ys, grads], {xp: x})
    return (out, [y.numpy() for y in y_ref], g, [tf.convert_to_tensor(b).numpy() for b in g_ref],
            ys)


def compare_layer_with_keras(ref, ours, x, rng, weight_noise=0.3, atol=1e-5, rtol=1e-5,
                             grad_atol=1e-4, grad_rtol=1e-4):
    """A tf-keras layer and a tfcore layer, same (perturbed) weights: equal outputs and gradients.

    The gradients of sum(y^2) w.r.t. the input and every trainable weight must
    agree (`keras_and_tfcore`).
    """
    (out,), (y_ref,), g, g_ref, _ = keras_and_tfcore(ref, ours, x, rng, weight_noise, loss="square")
    np.testing.assert_allclose(out, y_ref, rtol=rtol, atol=atol)
    assert len(g) == len(g_ref)
    for a, b in zip(g, g_ref):
        np.testing.assert_allclose(a, b, rtol=grad_rtol, atol=grad_atol)


def compare_with_keras(layer, ref, x, rng, atol=1e-5, placeholder_shape=None):
    """tfcore `layer` against tf-keras `ref`: outputs, and gradients of sum(y * r) for a random r.

    Weights perturbed by up to 0.5; max abs difference <= atol (for gradients,
    relative to the largest gradient when it is above 1). The shared check of the
    spatial layers. `placeholder_shape` (default: x's with an unknown batch) may
    leave more sizes unknown; the output's static shape must then fit Keras's
    (it is equal to it otherwise).
    """
    (out,), (y_ref,), g, g_ref, (y,) = keras_and_tfcore(ref, layer, x, rng, 0.5,
                                                        placeholder_shape=placeholder_shape)
    assert out.shape == y_ref.shape
    if placeholder_shape is None:
        assert y.shape.as_list()[1:] == list(y_ref.shape[1:])
    else:
        assert tf.TensorShape(y_ref.shape[1:]).is_compatible_with(y.shape[1:])
    np.testing.assert_allclose(out, y_ref, rtol=0, atol=atol)
    assert len(g) == len(g_ref)
    for a, b in zip(g, g_ref):
        np.testing.assert_allclose(a, b, rtol=0, atol=atol * max(1.0, np.abs(b).max()))


def compare_recurrent_with_keras(ours, ref, x, rng, static_time=True, mask=None):
    """Output(s) and the gradients of sum(y * r) w.r.t. input and weights: tfcore vs Keras.

    With `mask` (batch, time) both layers are called with it; `static_time=False`
    leaves the time dimension of tfcore's placeholder unknown.
    """
    shape = (None, x.shape[1] if static_time else None, x.shape[2])
    out, y_ref, g, g_ref, _ = keras_and_tfcore(
        ref, ours, x, rng, 0.3, call_kwargs=None if mask is None else {"mask": mask},
        placeholder_shape=shape)
    assert len(out) == len(y_ref)
    for a, b in zip(out, y_ref):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-5)
    assert len(g) == len(g_ref)
    for a, b in zip(g, g_ref):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-5)


def _keras_run(ref, xs, rng):
    """Keras `ref` built for `xs` (a list), weights moved: (weights, output, r, input and weight grads)."""
    ref.build([x.shape for x in xs])
    weights = [w + rng.uniform(-0.5, 0.5, w.shape).astype(w.dtype) for w in ref.get_weights()]
    ref.set_weights(weights)
    constants = [tf.constant(x) for x in xs]
    with tf.GradientTape() as tape:
        tape.watch(constants)
        y = ref(constants)
        r = rng.uniform(-1, 1, y.shape).astype(np.float32)
        loss = tf.reduce_sum(y * r)
    grads = tape.gradient(loss, constants + ref.trainable_weights)
    return weights, y.numpy(), r, [tf.convert_to_tensor(g).numpy() for g in grads]


def _ours_run(layer, xs, weights, r):
    """tfcore `layer` on `xs` with `weights`: output and the gradients of sum(y * r)."""
    graph = tfcore.new_graph()
    with graph.as_default():
        placeholders = [tfcore.placeholder((None,) + x.shape[1:]) for x in xs]
        y = layer(placeholders)
        grads = tf.gradients(tf.reduce_sum(y * r), placeholders + layer.trainable_variables)
        with tfcore.session(graph=graph) as sess:
            layer.set_weights(sess, weights)
            return sess.run([y, grads], dict(zip(placeholders, xs)))


def compare_inputs_with_keras(layer, ref, xs, rng, atol=1e-5):
    """tfcore `layer` against tf-keras `ref`, both called on the list of inputs `xs`.

    Keras's weights (moved by up to 0.5) are copied into ours; outputs and the gradients
    of sum(y * r), r random, w.r.t. every input and trainable weight agree within `atol`
    (for gradients, relative to the largest one when it is above 1).
    """
    weights, y_ref, r, g_ref = _keras_run(ref, xs, rng)
    y, g = _ours_run(layer, xs, weights, r)
    np.testing.assert_allclose(y, y_ref, rtol=0, atol=atol, err_msg="%s: output" % layer.name)
    assert len(g) == len(g_ref)
    for i, (a, b) in enumerate(zip(g, g_ref)):
        np.testing.assert_allclose(a, b, rtol=0, atol=atol * max(1.0, np.abs(b).max()),
                                   err_msg="%s: gradient %d" % (layer.name, i))
