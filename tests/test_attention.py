"""Attention, AdditiveAttention and MultiHeadAttention against NumPy references (masks, causal masks,
scales, heads, attention_axes), float64 gradient checks, dropout (the identity at inference,
reproducible in training), unknown sizes, and argument errors that name the layer."""

import numpy as np
import pytest
import tensorflow as tf

import tfcore
from tfcore.layers.attention import AdditiveAttention, Attention, MultiHeadAttention


def softmax(s, axis=-1):
    e = np.exp(s - s.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def np_dense_attention(q, v, k, scores, q_mask=None, v_mask=None, causal=False):
    """Keras's BaseDenseAttention in NumPy: S - 1e9 where masked, softmax over keys, A V, query mask."""
    allowed = np.ones(scores.shape, bool)
    if v_mask is not None:
        allowed &= v_mask[:, None, :]
    if causal:
        allowed &= np.tril(np.ones(scores.shape[-2:], bool))
    a = softmax(scores - 1e9 * ~allowed)
    out = a @ v
    if q_mask is not None:
        out = out * q_mask[:, :, None]
    return out, a


def run(build, inputs, shapes=None):
    """`build(placeholders)` on float64 NumPy `inputs`; returns (values, output tensors, session values)."""
    with tfcore.new_graph(seed=1).as_default() as graph:
        ps = [tfcore.placeholder(s or (None,) + x.shape[1:], tf.float64)
              for x, s in zip(inputs, shapes or [None] * len(inputs))]
        ys = build(ps)
        with tfcore.session(graph=graph) as sess:
            sess.run(tf.compat.v1.global_variables_initializer())
            return sess.run(ys, dict(zip(ps, inputs))), ys


def _qvk(rng, b=2, tq=3, tv=4, d=5, dv=5):
    return rng.randn(b, tq, d), rng.randn(b, tv, dv), rng.randn(b, tv, d)


@pytest.mark.parametrize("with_key", [False, True])
@pytest.mark.parametrize("masks", [None, "value", "both"])
@pytest.mark.parametrize("causal", [False, True])
def test_attention_dot_equals_numpy(rng, with_key, masks, causal):
    q, v, k = _qvk(rng, dv=6 if with_key else 5)
    if not with_key:
        k = v
    q_mask = np.array([[1, 0, 1], [1, 1, 0]], bool) if masks == "both" else None
    v_mask = np.array([[1, 1, 0, 1], [0, 1, 1, 0]], bool) if masks else None
    if causal and masks:
        v_mask[:, 0] = True  # every query keeps a key
    layer = Attention()
    inputs = [q, v, k] if with_key else [q, v]
    (y, a), _ = run(lambda ps: layer(ps, mask=None if masks is None else [q_mask, v_mask],
                                     use_causal_mask=causal, return_attention_scores=True), inputs)
    expected, weights = np_dense_attention(q, v, k, q @ k.transpose(0, 2, 1), q_mask, v_mask, causal)
    np.testing.assert_allclose(y, expected, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(a, weights, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(a.sum(-1), 1.0, rtol=1e-12)
    if v_mask is not None:
        assert np.all(a[~np.broadcast_to(v_mask[:, None, :], a.shape)] == 0.0)
    if causal:
        assert np.all(np.triu(a, 1) == 0.0)


def test_attention_scale_and_concat_equal_numpy(rng):
    q, v, _ = _qvk(rng)
    v_mask = np.array([[1, 1, 0, 1], [0, 1, 1, 1]], bool)
    for mode in ("dot", "concat"):
        layer = Attention(use_scale=True, score_mode=mode)

        def build(ps):
            y = layer(ps, mask=[None, v_mask])
            return y, layer.variables

        with tfcore.new_graph().as_default() as graph:
            ps = [tfcore.placeholder((None, 3, 5), tf.float64), tfcore.placeholder((None, 4, 5), tf.float64)]
            y = layer(ps, mask=[None, v_mask])
            with tfcore.session(graph=graph) as sess:
                layer.set_weights(sess, [np.array(0.7)] + ([np.array(-1.3)] if mode == "concat" else []))
                out = sess.run(y, dict(zip(ps, [q, v])))
        if mode == "dot":
            scores = 0.7 * q @ v.transpose(0, 2, 1)
        else:
            scores = -1.3 * np.tanh(0.7 * (q[:, :, None, :] + v[:, None, :, :])).sum(-1)
        np.testing.assert_allclose(out, np_dense_attention(q, v, v, scores, v_mask=v_mask)[0], rtol=1e-12)
        assert [w.name for w in layer.variables] == (
            ["attention/scale:0"] + (["attention/concat_score_weight:0"] if mode == "concat" else []))


@pytest.mark.parametrize("use_scale", [False, True])
def test_additive_attention_equals_numpy(rng, use_scale):
    q, v, k = _qvk(rng)
    q_mask, v_mask = np.array([[1, 1, 0], [1, 1, 1]], bool), np.array([[1, 0, 1, 1], [1, 1, 1, 0]], bool)
    s = rng.randn(5)
    layer = AdditiveAttention(use_scale=use_scale)
    with tfcore.new_graph().as_default() as graph:
        ps = [tfcore.placeholder((None, 3, 5), tf.float64), tfcore.placeholder((None, 4, 5), tf.float64),
              tfcore.placeholder((None, 4, 5), tf.float64)]
        y = layer(ps, mask=[q_mask, v_mask], use_causal_mask=True)
        with tfcore.session(graph=graph) as sess:
            if use_scale:
                layer.set_weights(sess, [s])
            out = sess.run(y, dict(zip(ps, [q, v, k])))
    scores = ((s if use_scale else 1.0) * np.tanh(q[:, :, None, :] + k[:, None, :, :])).sum(-1)
    expected, _ = np_dense_attention(q, v, k, scores, q_mask, v_mask, causal=True)
    np.testing.assert_allclose(out, expected, rtol=1e-12, atol=1e-12)
    assert [v.shape.as_list() for v in layer.variables] == ([[5]] if use_scale else [])


def np_multi_head(query, value, key, weights, num_heads, key_dim, mask=None, causal=False):
    """head_h = softmax(Q_h K_h^T / sqrt(d_k) + M) V_h; output = concat_h(head_h) W_O + b, in NumPy loops."""
    wq, bq, wk, bk, wv, bv, wo, bo = weights
    heads, probs = [], []
    for h in range(num_heads):
        qh = query @ wq[:, h] + bq[h]                 # (B, T, H)
        kh = key @ wk[:, h] + bk[h]                   # (B, S, H)
        vh = value @ wv[:, h] + bv[h]                 # (B, S, Hv)
        s = qh @ kh.transpose(0, 2, 1) / np.sqrt(key_dim)
        allowed = np.ones(s.shape, bool)
        if mask is not None:
            allowed &= mask
        if causal:
            allowed &= np.tril(np.ones(s.shape[-2:], bool))
        a = softmax(s + (-1e9) * ~allowed)
        probs.append(a)
        heads.append(a @ vh)
    concat = np.concatenate(heads, axis=-1)           # (B, T, N * Hv)
    return concat @ wo.reshape(-1, wo.shape[-1]) + bo, np.stack(probs, axis=1)


def _mha_weights(rng, dq, dk, dv, n, h, hv, dout):
    return [rng.randn(dq, n, h), rng.randn(n, h), rng.randn(dk, n, h), rng.randn(n, h),
            rng.randn(dv, n, hv), rng.randn(n, hv), rng.randn(n, hv, dout), rng.randn(dout)]


@pytest.mark.parametrize("masked", [False, True])
@pytest.mark.parametrize("causal", [False, True])
def test_multi_head_attention_equals_numpy(rng, masked, causal):
    b, t, s, dq, dk, dv = 2, 3, 4, 5, 6, 7
    query, value, key = rng.randn(b, t, dq), rng.randn(b, s, dv), rng.randn(b, s, dk)
    mask = rng.rand(b, t, s) < 0.6 if masked else None
    if masked:
        mask[:, :, 0] = True
    weights = _mha_weights(rng, dq, dk, dv, 3, 2, 4, dq)
    layer = MultiHeadAttention(num_heads=3, key_dim=2, value_dim=4)
    with tfcore.new_graph().as_default() as graph:
        ps = [tfcore.placeholder((None, None, d), tf.float64) for d in (dq, dv, dk)]
        y, a = layer(ps[0], ps[1], key=ps[2], attention_mask=mask, use_causal_mask=causal,
                     return_attention_scores=True)
        with tfcore.session(graph=graph) as sess:
            layer.set_weights(sess, weights)
            out, probs = sess.run([y, a], dict(zip(ps, [query, value, key])))
    # (a NumPy mask, constant in the graph, makes the batch and time sizes static)
    assert y.shape.is_compatible_with([None, None, dq]) and y.shape[-1] == dq
    assert a.shape.is_compatible_with([None, 3, None, None])
    expected, expected_probs = np_multi_head(query, value, key, weights, 3, 2, mask, causal)
    np.testing.assert_allclose(out, expected, rtol=1e-11, atol=1e-11)
    np.testing.assert_allclose(probs, expected_probs, rtol=1e-11, atol=1e-14)


def test_multi_head_attention_without_bias_and_with_output_shape(rng):
    query, value = rng.randn(2, 3, 4), rng.randn(2, 5, 4)
    layer = MultiHeadAttention(num_heads=2, key_dim=3, use_bias=False, output_shape=(6,))
    with tfcore.new_graph().as_default() as graph:
        ps = [tfcore.placeholder((None, 3, 4), tf.float64), tfcore.placeholder((None, 5, 4), tf.float64)]
        y = layer(ps[0], ps[1])
        assert [v.name for v in layer.variables] == [
            "multi_head_attention/%s/kernel:0" % n for n in ("query", "key", "value", "attention_output")]
        with tfcore.session(graph=graph) as sess:
            weights = [rng.randn(*v.shape.as_list()) for v in layer.variables]
            layer.set_weights(sess, weights)
            out = sess.run(y, dict(zip(ps, [query, value])))
    wq, wk, wv, wo = weights
    zeros = [np.zeros((2, 3)), np.zeros((2, 3)), np.zeros((2, 3)), np.zeros(6)]
    expected, _ = np_multi_head(query, value, value, [wq, zeros[0], wk, zeros[1], wv, zeros[2], wo, zeros[3]],
                                2, 3)
    np.testing.assert_allclose(out, expected, rtol=1e-11, atol=1e-12)
    assert out.shape == (2, 3, 6)


def test_multi_head_attention_over_two_axes_is_one_softmax_over_both(rng):
    """attention_axes=(1, 2) on (B, X, Y, d): every (x, y) attends to every (x', y') at once."""
    x = rng.randn(2, 2, 3, 4)
    layer = MultiHeadAttention(num_heads=2, key_dim=3)  # default axes: (1, 2)
    with tfcore.new_graph().as_default() as graph:
        p = tfcore.placeholder((None, 2, 3, 4), tf.float64)
        y, a = layer(p, p, return_attention_scores=True)
        with tfcore.session(graph=graph) as sess:
            weights = [rng.randn(*v.shape.as_list()) for v in layer.variables]
            layer.set_weights(sess, weights)
            out, probs = sess.run([y, a], {p: x})
    assert probs.shape == (2, 2, 2, 3, 2, 3)
    flat = x.reshape(2, 6, 4)  # the two attended axes as one sequence of 6
    expected, expected_probs = np_multi_head(flat, flat, flat, weights, 2, 3)
    np.testing.assert_allclose(out, expected.reshape(2, 2, 3, 4), rtol=1e-11, atol=1e-12)
    np.testing.assert_allclose(probs, expected_probs.reshape(2, 2, 2, 3, 2, 3), rtol=1e-11, atol=1e-14)


def test_multi_head_attention_over_one_of_two_axes(rng):
    """attention_axes=(2,) on (B, X, Y, d): axis X is a batch axis, each row attends along Y."""
    x = rng.randn(2, 2, 3, 4)
    layer = MultiHeadAttention(num_heads=2, key_dim=3, attention_axes=2)
    with tfcore.new_graph().as_default() as graph:
        p = tfcore.placeholder((None, 2, 3, 4), tf.float64)
        y = layer(p, p)
        with tfcore.session(graph=graph) as sess:
            weights = [rng.randn(*v.shape.as_list()) for v in layer.variables]
            layer.set_weights(sess, weights)
            out = sess.run(y, {p: x})
    rows = x.reshape(4, 3, 4)
    expected, _ = np_multi_head(rows, rows, rows, weights, 2, 3)
    np.testing.assert_allclose(out, expected.reshape(2, 2, 3, 4), rtol=1e-11, atol=1e-12)


# -- gradients ------------------------------------------------------------------------------------

@pytest.mark.parametrize("kwargs", [dict(), dict(use_scale=True), dict(use_scale=True, score_mode="concat"),
                                    dict(score_mode="concat")])
def test_attention_passes_gradient_check(rng, kwargs):
    v_mask = np.array([[1, 0, 1, 1], [1, 1, 1, 0]], bool)
    tfcore.check_gradients(
        lambda q, v, k: Attention(**kwargs)([q, v, k], mask=[np.array([[1, 0, 1]] * 2, bool), v_mask],
                                            use_causal_mask=True),
        dict(zip("qvk", _qvk(rng))), name="Attention(%r)" % kwargs)


@pytest.mark.parametrize("use_scale", [False, True])
def test_additive_attention_passes_gradient_check(rng, use_scale):
    tfcore.check_gradients(
        lambda q, v: AdditiveAttention(use_scale=use_scale)([q, v], mask=[None, np.array([[1, 0, 1, 1]] * 2, bool)]),
        dict(zip("qv", _qvk(rng)[:2])), name="AdditiveAttention")


@pytest.mark.parametrize("kwargs,causal", [
    (dict(num_heads=2, key_dim=3), False),
    (dict(num_heads=2, key_dim=2, value_dim=3, output_shape=4), True),
    (dict(num_heads=1, key_dim=2, use_bias=False), True),
])
def test_multi_head_attention_passes_gradient_check(rng, kwargs, causal):
    mask = rng.rand(2, 3, 4) < 0.6
    mask[:, :, 0] = True
    tfcore.check_gradients(
        lambda q, v, k: MultiHeadAttention(**kwargs)(q, v, key=k, attention_mask=mask, use_causal_mask=causal),
        {"q": rng.randn(2, 3, 3), "v": rng.randn(2, 4, 2), "k": rng.randn(2, 4, 3)},
        name="MultiHeadAttention(%r)" % kwargs)


def test_multi_head_attention_passes_second_order_gradient_check(rng):
    tfcore.check_gradients(lambda q, v: MultiHeadAttention(num_heads=2, key_dim=2)(q, v),
                           {"q": rng.randn(1, 2, 3), "v": rng.randn(1, 3, 3)}, order=2,
                           name="MultiHeadAttention")


def test_no_gradient_reaches_a_masked_key(rng):
    q, v, _ = _qvk(rng)
    v_mask = np.array([[1, 0, 1, 1], [1, 1, 1, 0]], bool)
    with tfcore.new_graph().as_default() as graph:
        pq, pv = tfcore.placeholder(q.shape, tf.float64), tfcore.placeholder(v.shape, tf.float64)
        y = Attention()([pq, pv], mask=[None, v_mask])
        grad = tf.gradients(tf.reduce_sum(y * rng.randn(*q.shape)), pv)[0]
        with tfcore.session(graph=graph) as sess:
            g = sess.run(grad, {pq: q, pv: v})
    assert np.all(g[~v_mask] == 0.0) and np.all(np.abs(g[v_mask]).sum(-1) > 0)


# -- dropout --------------------------------------------------------------------------------------

def _mha_with_dropout(rate, training, seed=5):
    layer = MultiHeadAttention(num_heads=2, key_dim=3, dropout=rate, seed=seed)
    with tfcore.new_graph().as_default() as graph:
        q, v = tfcore.placeholder((None, 4, 3)), tfcore.placeholder((None, 5, 3))
        ys = layer(q, v, training=training, return_attention_scores=True)
        return graph, layer, q, v, ys


@pytest.mark.parametrize("make", [
    lambda rate, seed=5: ("mha", MultiHeadAttention(num_heads=2, key_dim=3, dropout=rate, seed=seed)),
    lambda rate, seed=5: ("dense", Attention(use_scale=True, dropout=rate, seed=seed)),
    lambda rate, seed=5: ("dense", AdditiveAttention(dropout=rate, seed=seed)),
])
def test_dropout_is_identity_at_inference_and_reproducible_in_training(rng, make):
    q, v = rng.randn(2, 4, 3).astype(np.float32), rng.randn(2, 5, 3).astype(np.float32)

    def outputs(rate, training, weights=None, runs=1, seed=5):
        kind, layer = make(rate, seed)
        with tfcore.new_graph().as_default() as graph:
            pq, pv = tfcore.placeholder((None, 4, 3)), tfcore.placeholder((None, 5, 3))
            t = tf.compat.v1.placeholder(tf.bool, ()) if training == "fed" else training
            if kind == "mha":
                y = layer(pq, pv, training=t, return_attention_scores=True)
            else:
                y = layer([pq, pv], training=t, return_attention_scores=True)
            with tfcore.session(graph=graph) as sess:
                sess.run(tf.compat.v1.global_variables_initializer())
                if weights is not None:
                    layer.set_weights(sess, weights)
                feed = {pq: q, pv: v}
                if training == "fed":
                    feed[t] = True
                got = [sess.run(y, feed) for _ in range(runs)]
                return got, layer.get_weights(sess)

    (reference,), weights = outputs(0.0, True)
    # At inference (training False, the default) the dropout layer is the identity.
    (inference,), _ = outputs(0.5, False, weights)
    for a, b in zip(inference, reference):
        np.testing.assert_array_equal(a, b)
    # In training: reproducible (same seed, same masks, run by run), different from run to run.
    first, _ = outputs(0.5, True, weights, runs=2)
    again, _ = outputs(0.5, "fed", weights, runs=2)
    for run_a, run_b in zip(first, again):
        for a, b in zip(run_a, run_b):
            np.testing.assert_array_equal(a, b)
    assert not np.array_equal(first[0][0], first[1][0])
    # The scores returned: MultiHeadAttention's are A before dropout, Attention's after (as Keras).
    if make(0.5)[0] == "mha":
        np.testing.assert_array_equal(first[0][1], reference[1])
    else:
        assert not np.array_equal(first[0][1], reference[1])
    assert not np.array_equal(first[0][0], reference[0])
    other_seed, _ = outputs(0.5, True, weights, seed=6)
    assert not np.array_equal(other_seed[0][0], first[0][0])


def test_attention_dropout_drops_weights_with_inverted_scaling(rng):
    """Attention returns the dropped weights (as Keras): each 0 or A / (1 - p); MultiHeadAttention the
    probabilities before dropout, and its output is dropout(A) V."""
    q, v = rng.randn(2, 4, 3), rng.randn(2, 5, 3)
    with tfcore.new_graph().as_default() as graph:
        pq, pv = tfcore.placeholder(q.shape, tf.float64), tfcore.placeholder(v.shape, tf.float64)
        _, dropped = Attention(dropout=0.5, seed=1)([pq, pv], training=True, return_attention_scores=True)
        _, clean = Attention()([pq, pv], return_attention_scores=True)
        with tfcore.session(graph=graph) as sess:
            sess.run(tf.compat.v1.global_variables_initializer())
            d, c = sess.run([dropped, clean], {pq: q, pv: v})
    kept = d != 0
    assert 0 < kept.mean() < 1
    np.testing.assert_allclose(d[kept], 2 * c[kept], rtol=1e-14)


# -- unknown sizes ---------------------------------------------------------------------------------

def test_unknown_batch_and_time_sizes(rng):
    q, v, k = _qvk(rng)
    (y,), (t,) = run(lambda ps: [Attention()(ps, use_causal_mask=True)], [q, v],
                     shapes=[(None, None, 5), (None, None, 5)])
    np.testing.assert_allclose(y, np_dense_attention(q, v, v, q @ v.transpose(0, 2, 1), causal=True)[0],
                               rtol=1e-12)
    assert t.shape.as_list() == [None, None, 5]
    (y,), (t,) = run(lambda ps: [MultiHeadAttention(2, 3, output_shape=7)(ps[0], ps[1], use_causal_mask=True)],
                     [q, v], shapes=[(None, None, 5), (None, None, 5)])
    assert y.shape == (2, 3, 7) and t.shape.as_list() == [None, None, 7]


# -- argument and input errors ---------------------------------------------------------------------

@pytest.mark.parametrize("make,message", [
    (lambda: Attention(score_mode="add"), "attention: score_mode must be one of 'dot', 'concat', got 'add'"),
    (lambda: Attention(dropout=1.0), r"attention: dropout must be in \[0, 1\) \(the probability"),
    (lambda: AdditiveAttention(dropout=-0.1), r"additive_attention: dropout must be in \[0, 1\)"),
    (lambda: MultiHeadAttention(0, 2), "multi_head_attention: num_heads must be a positive int, got 0"),
    (lambda: MultiHeadAttention(2, 2.5), "multi_head_attention: key_dim must be a positive int, got 2.5"),
    (lambda: MultiHeadAttention(2, 2, value_dim=-1), "multi_head_attention: value_dim must be a positive int"),
    (lambda: MultiHeadAttention(2, 2, output_shape=(3, 0)), "multi_head_attention: output_shape must be"),
    (lambda: MultiHeadAttention(2, 2, attention_axes=0), "multi_head_attention: attention_axes must be"),
    (lambda: MultiHeadAttention(2, 2, attention_axes=(1, 1)), "multi_head_attention: attention_axes must be"),
    (lambda: MultiHeadAttention(2, 2, kernel_initializer="glorot"), "glorot"),
])
def test_constructor_errors_name_the_layer(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_a_non_number_dropout_is_a_type_error():
    with pytest.raises(TypeError, match=r"multi_head_attention: dropout must be a number in \[0, 1\)"):
        MultiHeadAttention(2, 2, dropout="0.1")


def _call_error(call, message, shapes):
    with tfcore.new_graph().as_default():
        ps = [tfcore.placeholder(s) for s in shapes]
        with pytest.raises(ValueError, match=message):
            call(ps)


@pytest.mark.parametrize("call,message,shapes", [
    (lambda ps: Attention()(ps[0]), r"attention: inputs must be a list \[query, value\] or "
     r"\[query, value, key\], got <tf.Tensor", [(2, 3, 4)]),
    (lambda ps: Attention()([ps[0]]), r"attention: inputs must be a list .*, got a list of 1", [(2, 3, 4)]),
    (lambda ps: Attention()(ps * 4), r"attention: inputs must be a list .*, got a list of 4", [(2, 3, 4)]),
    (lambda ps: Attention()(ps, mask=ps[0]), "attention: mask must be a list", [(2, 3, 4), (2, 3, 4)]),
    (lambda ps: Attention()(ps, mask=[None]), "attention: mask must be a list", [(2, 3, 4), (2, 3, 4)]),
    (lambda ps: Attention()(ps), "attention: query must have rank >= 3", [(2, 4), (2, 3, 4)]),
    (lambda ps: Attention()(ps), "attention: query and key must agree on the feature size",
     [(2, 3, 4), (2, 3, 5)]),
    (lambda ps: Attention()(ps), "attention: value and key must agree", [(2, 3, 4), (2, 3, 4), (2, 5, 4)]),
    (lambda ps: AdditiveAttention()(ps), "additive_attention: query, key", [(2, 3, 4), (2, 3, 4), (2, 3, 5)]),
    (lambda ps: MultiHeadAttention(2, 2)(ps[0], ps[1]), "multi_head_attention: query must have rank >= 3",
     [(2, 4), (2, 3, 4)]),
    (lambda ps: MultiHeadAttention(2, 2)(ps[0], ps[1]), r"multi_head_attention: value must have rank 3 "
     r"\(the query's\), got shape \(2, 3, 4, 4\)", [(2, 3, 4), (2, 3, 4, 4)]),
    (lambda ps: MultiHeadAttention(2, 2, attention_axes=2)(ps[0], ps[1]),
     "multi_head_attention: attention_axes", [(2, 3, 4), (2, 3, 4)]),
    (lambda ps: MultiHeadAttention(2, 2)(ps[0], ps[1], key=ps[2]), "multi_head_attention: value and key "
     "must agree", [(2, 3, 4), (2, 3, 4), (2, 5, 4)]),
])
def test_call_errors_name_the_layer(call, message, shapes):
    _call_error(call, message, shapes)


def test_a_later_call_with_other_features_is_refused():
    with tfcore.new_graph().as_default():
        layer = MultiHeadAttention(2, 2)
        layer(tfcore.placeholder((None, 3, 4)), tfcore.placeholder((None, 3, 4)))
        with pytest.raises(ValueError, match="multi_head_attention: value has 5 features, but the "
                                             "layer was built for 4"):
            layer(tfcore.placeholder((None, 3, 4)), tfcore.placeholder((None, 3, 5)))


def test_a_row_with_every_key_masked_is_finite_as_in_keras(rng):
    """-1e9, not -inf: a query whose keys are all masked gets finite weights (no NaN). In float32,
    s - 1e9 rounds every score to -1e9, so the weights are uniform."""
    q, v = rng.randn(1, 2, 3).astype(np.float32), rng.randn(1, 4, 3).astype(np.float32)
    mask = np.array([[[True] * 4, [False] * 4]])
    with tfcore.new_graph().as_default() as graph:
        pq, pv = tfcore.placeholder(q.shape), tfcore.placeholder(v.shape)
        _, a = MultiHeadAttention(2, 3)(pq, pv, attention_mask=mask, return_attention_scores=True)
        _, b = Attention()([pq, pv], mask=[None, np.zeros((1, 4), bool)], return_attention_scores=True)
        with tfcore.session(graph=graph) as sess:
            sess.run(tf.compat.v1.global_variables_initializer())
            a, b = sess.run([a, b], {pq: q, pv: v})
    np.testing.assert_allclose(a[:, :, 1], 0.25, rtol=1e-6)
    np.testing.assert_allclose(b, 0.25, rtol=1e-6)


def test_a_refused_first_call_leaves_the_default_axes_for_the_next_input():
    with tfcore.new_graph().as_default():
        layer = MultiHeadAttention(2, 2)
        with pytest.raises(ValueError, match="value and key must agree"):
            layer(tfcore.placeholder((None, 3, 4)), tfcore.placeholder((None, 3, 4)),
                  key=tfcore.placeholder((None, 5, 4)))
        assert not layer.built and layer.variables == []
        x = tfcore.placeholder((None, 2, 3, 4))
        _, scores = layer(x, x, return_attention_scores=True)
        assert layer.axes == (1, 2) and scores.shape.as_list() == [None, 2, 2, 3, 2, 3]
