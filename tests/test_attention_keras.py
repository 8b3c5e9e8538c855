"""Attention, AdditiveAttention and MultiHeadAttention equal tf-keras's with copied weights, on random
shapes and arguments: outputs, attention scores, the gradients with respect to every input and every
weight; the weights' names, shapes and order; masks, causal masks, no bias, output_shape, attention_axes."""

import numpy as np
import pytest
import tensorflow as tf

from tests.oracle import keras
import tfcore
import tfcore.layers as ours

pytestmark = pytest.mark.keras


def compare(ref, layer, inputs, rng, call_ref, call_ours, weight_noise=0.3, atol=1e-5):
    """Run Keras `ref` eagerly and tfcore `layer` in a graph on the same NumPy `inputs`.

    `call_ref(ref, tensors)` and `call_ours(layer, placeholders)` make the calls
    (lists of outputs). Keras's (perturbed) weights are copied into tfcore's;
    the outputs and the gradients of sum(y * r) w.r.t. the inputs and weights agree.
    Returns (tfcore's weight names, Keras's weight names).
    """
    xs = [tf.constant(x) for x in inputs]
    call_ref(ref, xs)  # builds
    weights = [w + rng.uniform(-weight_noise, weight_noise, w.shape).astype(w.dtype)
               for w in ref.get_weights()]
    ref.set_weights(weights)
    with tf.GradientTape() as tape:
        tape.watch(xs)
        ys_ref = call_ref(ref, xs)
        rs = [rng.uniform(-1, 1, y.shape).astype(np.float32) for y in ys_ref]
        loss = tf.add_n([tf.reduce_sum(y * r) for y, r in zip(ys_ref, rs)])
    g_ref = tape.gradient(loss, xs + ref.trainable_weights)

    graph = tfcore.new_graph()
    with graph.as_default():
        ps = [tfcore.placeholder((None,) + x.shape[1:]) for x in inputs]
        ys = call_ours(layer, ps)
        total = tf.add_n([tf.reduce_sum(y * r) for y, r in zip(ys, rs)])
        grads = tf.gradients(total, ps + layer.trainable_variables)
        grads = [tf.zeros_like(t) if g is None else g for t, g in zip(ps + layer.trainable_variables, grads)]
        with tfcore.session(graph=graph) as sess:
            layer.set_weights(sess, weights)
            out, g = sess.run([ys, grads], dict(zip(ps, inputs)))
            names = [v.name for v in layer.variables]
    assert len(out) == len(ys_ref)
    for a, b in zip(out, ys_ref):
        np.testing.assert_allclose(a, b.numpy(), rtol=0, atol=atol)
    assert len(g) == len(g_ref)
    for a, b in zip(g, g_ref):
        b = np.zeros_like(a) if b is None else tf.convert_to_tensor(b).numpy()
        np.testing.assert_allclose(a, b, rtol=0, atol=atol * max(1.0, np.abs(b).max()))
    # The names past the layer's own (Keras numbers its layers process-wide: attention_7/...).
    strip = lambda name: name.split("/", 1)[1]  # noqa: E731
    return [strip(n) for n in names], [strip(w.name) for w in ref.weights]


def _bool_mask(rng, shape):
    """A random boolean (B, T) mask that keeps at least the first step of every row."""
    mask = rng.rand(*shape) < 0.6
    mask[:, 0] = True
    return mask


def _dense_attention_case(rng):
    b, tq, tv = (int(s) for s in rng.randint(1, 5, size=3))
    d = int(rng.randint(1, 5))
    dv = int(rng.randint(1, 5))
    three = bool(rng.randint(2))
    inputs = [rng.randn(b, tq, d), rng.randn(b, tv, dv)] + ([rng.randn(b, tv, d)] if three else [])
    if not three:
        inputs[1] = rng.randn(b, tv, d)
    inputs = [x.astype(np.float32) for x in inputs]
    mask = None
    if rng.rand() < 0.6:
        mask = [_bool_mask(rng, (b, tq)) if rng.rand() < 0.7 else None, _bool_mask(rng, (b, tv))]
    causal = bool(rng.randint(2))
    scores = bool(rng.randint(2))
    return inputs, mask, causal, scores


def _dense_calls(mask, causal, scores):
    def call(layer, xs, as_tensor):
        m = None if mask is None else [None if v is None else as_tensor(v) for v in mask]
        y = layer(list(xs), mask=m, use_causal_mask=causal, return_attention_scores=scores)
        return list(y) if scores else [y]
    return (lambda layer, xs: call(layer, xs, tf.constant)), (lambda layer, xs: call(layer, xs, lambda v: v))


@pytest.mark.parametrize("seed", range(16))
def test_attention_equals_keras(seed):
    rng = np.random.RandomState(seed)
    inputs, mask, causal, scores = _dense_attention_case(rng)
    use_scale, mode = bool(rng.randint(2)), ["dot", "concat"][rng.randint(2)]
    call_ref, call_ours = _dense_calls(mask, causal, scores)
    names, ref_names = compare(keras.layers.Attention(use_scale=use_scale, score_mode=mode),
                               ours.Attention(use_scale=use_scale, score_mode=mode),
                               inputs, rng, call_ref, call_ours)
    assert names == ref_names


@pytest.mark.parametrize("seed", range(12))
def test_additive_attention_equals_keras(seed):
    rng = np.random.RandomState(100 + seed)
    inputs, mask, causal, scores = _dense_attention_case(rng)
    if len(inputs) == 3:  # the scale is sized from the value: AdditiveAttention needs dv == d
        inputs[1] = rng.randn(*inputs[1].shape[:2], inputs[0].shape[-1]).astype(np.float32)
    use_scale = bool(rng.randint(2))
    call_ref, call_ours = _dense_calls(mask, causal, scores)
    names, ref_names = compare(keras.layers.AdditiveAttention(use_scale=use_scale),
                               ours.AdditiveAttention(use_scale=use_scale),
                               inputs, rng, call_ref, call_ours)
    assert names == ref_names


def _mha_calls(three, mask, causal, scores):
    def call(layer, xs, as_tensor):
        key = xs[2] if three else None
        m = None if mask is None else as_tensor(mask)
        y = layer(xs[0], xs[1], key=key, attention_mask=m, use_causal_mask=causal,
                  return_attention_scores=scores)
        return list(y) if scores else [y]
    return (lambda layer, xs: call(layer, xs, tf.constant)), (lambda layer, xs: call(layer, xs, lambda v: v))


@pytest.mark.parametrize("seed", range(20))
def test_multi_head_attention_equals_keras(seed):
    rng = np.random.RandomState(200 + seed)
    b, t, s = (int(n) for n in rng.randint(1, 5, size=3))
    dq, dv, dk = (int(n) for n in rng.randint(1, 6, size=3))
    three = bool(rng.randint(2))
    if not three:
        dk = dv
    if rng.rand() < 0.3:  # self-attention shapes, so a causal mask is the usual square
        s, dv, dk = t, dq, dq
    inputs = [rng.randn(b, t, dq), rng.randn(b, s, dv)] + ([rng.randn(b, s, dk)] if three else [])
    inputs = [x.astype(np.float32) for x in inputs]
    kwargs = dict(num_heads=int(rng.randint(1, 4)), key_dim=int(rng.randint(1, 5)))
    if rng.rand() < 0.5:
        kwargs["value_dim"] = int(rng.randint(1, 5))
    if rng.rand() < 0.3:
        kwargs["use_bias"] = False
    if rng.rand() < 0.3:
        kwargs["output_shape"] = int(rng.randint(1, 5)) if rng.rand() < 0.5 else (int(rng.randint(1, 5)),)
    mask = None
    if rng.rand() < 0.5:
        mask = rng.rand(b, t, s) < 0.7
        mask[:, :, 0] = True
    causal, scores = bool(rng.randint(2)), bool(rng.randint(2))
    call_ref, call_ours = _mha_calls(three, mask, causal, scores)
    names, ref_names = compare(keras.layers.MultiHeadAttention(**kwargs),
                               ours.MultiHeadAttention(**kwargs), inputs, rng, call_ref, call_ours)
    assert names == ref_names


@pytest.mark.parametrize("shape,axes", [
    ((2, 3, 4, 5), None),        # attention over axes 1 and 2 together
    ((2, 3, 4, 5), (2,)),        # over axis 2, axis 1 a batch axis
    ((2, 3, 4, 5), 1),
    ((1, 2, 3, 2, 3), (1, 3)),
    ((2, 2, 3, 2, 3), (2, 3)),
])
def test_multi_head_attention_axes_equal_keras(shape, axes):
    rng = np.random.RandomState(7)
    inputs = [rng.randn(*shape).astype(np.float32), rng.randn(*shape).astype(np.float32)]
    kwargs = dict(num_heads=2, key_dim=3, attention_axes=axes)
    call_ref, call_ours = _mha_calls(False, None, False, True)
    names, ref_names = compare(keras.layers.MultiHeadAttention(**kwargs),
                               ours.MultiHeadAttention(**kwargs), inputs, rng, call_ref, call_ours)
    assert names == ref_names


def test_multi_head_attention_weights_copy_from_keras_by_get_weights():
    """set_weights(keras_layer.get_weights()) works: Keras's order, shapes and names."""
    ref = keras.layers.MultiHeadAttention(num_heads=3, key_dim=4, value_dim=5, output_shape=6)
    q, v = np.ones((1, 2, 7), np.float32), np.ones((1, 3, 8), np.float32)
    ref(q, v, key=np.ones((1, 3, 9), np.float32))
    assert [w.shape.as_list() for w in ref.weights] == [[7, 3, 4], [3, 4], [9, 3, 4], [3, 4],
                                                       [8, 3, 5], [3, 5], [3, 5, 6], [6]]
    with tfcore.new_graph().as_default():
        layer = ours.MultiHeadAttention(num_heads=3, key_dim=4, value_dim=5, output_shape=6)
        layer(tfcore.placeholder((None, 2, 7)), tfcore.placeholder((None, 3, 8)),
              key=tfcore.placeholder((None, 3, 9)))
        assert [v.name.split("/", 1)[1] for v in layer.variables] == \
            [w.name.split("/", 1)[1] for w in ref.weights]
        assert [v.shape.as_list() for v in layer.variables] == [w.shape.as_list() for w in ref.weights]


def test_multi_head_attention_penalties_equal_keras_layer_losses(rng):
    """Kernel and bias regularizers on every projection; the activity regularizer on the layer's output
    (tf-keras 2's sublayers get none), in Keras's order."""
    kwargs = dict(num_heads=2, key_dim=3, kernel_regularizer="l1_l2", bias_regularizer="l2",
                  activity_regularizer="l1")
    q, v = rng.randn(2, 3, 4).astype(np.float32), rng.randn(2, 5, 6).astype(np.float32)
    ref = keras.layers.MultiHeadAttention(**kwargs)
    ref(q, v)
    weights = [w + rng.uniform(-0.3, 0.3, w.shape).astype(np.float32) for w in ref.get_weights()]
    ref.set_weights(weights)
    ref(q, v)
    expected = [float(p) for p in ref.losses]
    layer = ours.MultiHeadAttention(**kwargs)
    with tfcore.new_graph().as_default() as graph:
        pq, pv = tfcore.placeholder(q.shape), tfcore.placeholder(v.shape)
        layer(pq, pv)
        with tfcore.session(graph=graph) as sess:
            layer.set_weights(sess, weights)
            got = sess.run(layer.losses, {pq: q, pv: v})
    assert len(got) == len(expected) == 9
    np.testing.assert_allclose(got, expected, rtol=1e-5)


def test_multi_head_attention_constraints_apply_after_a_step(rng):
    layer = ours.MultiHeadAttention(2, 3, kernel_constraint="non_neg", bias_constraint="non_neg")
    with tfcore.new_graph().as_default() as graph:
        q = tfcore.constant(rng.randn(2, 3, 4).astype(np.float32))
        y = layer(q, q)
        train = tfcore.optimizers.SGD(10.0).minimize(tf.reduce_sum(y * y))
        with tfcore.session(graph=graph) as sess:
            sess.run(tf.compat.v1.global_variables_initializer())
            sess.run(train)
            assert all((w >= 0).all() for w in layer.get_weights(sess))
    ref = keras.layers.MultiHeadAttention(2, 3, kernel_constraint="non_neg", bias_constraint="non_neg")
    ref(np.ones((1, 3, 4), np.float32), np.ones((1, 3, 4), np.float32))
    assert all(w.constraint is not None for w in ref.weights)


@pytest.mark.parametrize("kind", ["Attention", "AdditiveAttention"])
@pytest.mark.parametrize("causal", [False, True])
def test_dense_attention_on_rank_4_inputs_equals_keras(kind, causal):
    """An extra leading axis is a batch axis (Keras's matmul broadcasts over it); the value mask (B, X, Tv)."""
    rng = np.random.RandomState(11)
    q, v = rng.randn(2, 3, 4, 5).astype(np.float32), rng.randn(2, 3, 6, 5).astype(np.float32)
    v_mask = rng.rand(2, 3, 6) < 0.6
    v_mask[..., 0] = True
    call_ref, call_ours = _dense_calls([None, v_mask], causal, True)
    names, ref_names = compare(getattr(keras.layers, kind)(), getattr(ours, kind)(), [q, v], rng,
                               call_ref, call_ours)
    assert names == ref_names
