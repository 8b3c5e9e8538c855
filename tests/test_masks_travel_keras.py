"""Masks travel with tensors as in tf-keras (Keras 2): the same layer stacks, weights copied,
give Keras's outputs and Keras's propagated masks with no explicit `mask=` anywhere."""

import numpy as np
import pytest
import tensorflow as tf

from tests.oracle import keras
import tfcore
from tfcore import layers as ours
from tfcore.module import get_mask

pytestmark = pytest.mark.keras


def _ids(rng, batch=4, time=7, vocab=9):
    """Padded id sequences (0 = padding at the end), one row fully real, one nearly all padding."""
    ids = rng.randint(1, vocab, (batch, time))
    for row, length in enumerate([time, 1, 4, 6][:batch]):
        ids[row, length:] = 0
    return ids


def _run_ours(stack, ids, with_masks=True):
    """Build `stack(ids_placeholder)` -> (outputs, masks); copy nothing (the caller sets weights)."""
    graph = tfcore.new_graph(seed=0)
    with graph.as_default():
        x = tf.compat.v1.placeholder(tf.int32, ids.shape)
        outputs, layers = stack(x)
        masks = [get_mask(t) for t in outputs]
        init = tf.compat.v1.global_variables_initializer()
    return graph, x, outputs, masks, layers, init


def _compare(ours_stack, keras_stack, ids, atol=1e-5):
    """Run both stacks: Keras's eagerly, ours in a graph with Keras's weights copied layer by layer."""
    ref_outputs, ref_layers = keras_stack(tf.constant(ids))
    ref_masks = [getattr(t, "_keras_mask", None) for t in ref_outputs]
    weights = [layer.get_weights() for layer in ref_layers]
    graph, x, outputs, masks, layers, init = _run_ours(ours_stack, ids)
    with tfcore.session(graph=graph) as sess:
        sess.run(init)
        for layer, w in zip(layers, weights):
            if w:
                layer.set_weights(sess, w)
        fetched = sess.run([outputs, [m for m in masks if m is not None]], {x: ids})
    got, got_masks = fetched
    for a, b in zip(got, ref_outputs):
        np.testing.assert_allclose(a, b.numpy(), atol=atol)
    assert [m is None for m in masks] == [m is None for m in ref_masks]
    for a, b in zip(got_masks, [m for m in ref_masks if m is not None]):
        np.testing.assert_array_equal(a, b.numpy())


def test_embedding_mask_reaches_a_gru_without_mask_argument(rng):
    ids = _ids(rng)

    def mine(x):
        emb, gru = ours.Embedding(9, 5, mask_zero=True), ours.GRU(6, return_sequences=True)
        h = gru(emb(x))
        return [h], [emb, gru]

    def theirs(x):
        emb, gru = keras.layers.Embedding(9, 5, mask_zero=True), keras.layers.GRU(6, return_sequences=True)
        return [gru(emb(x))], [emb, gru]

    _compare(mine, theirs, ids)


def test_bidirectional_lstm_time_distributed_dense_keep_the_mask(rng):
    ids = _ids(rng)

    def mine(x):
        layers = [ours.Embedding(9, 4, mask_zero=True),
                  ours.Bidirectional(ours.LSTM(3, return_sequences=True)),
                  ours.TimeDistributed(ours.Dense(2)), ours.LSTM(5)]
        h = x
        outputs = []
        for layer in layers:
            h = layer(h)
            outputs.append(h)
        return outputs[1:], layers

    def theirs(x):
        layers = [keras.layers.Embedding(9, 4, mask_zero=True),
                  keras.layers.Bidirectional(keras.layers.LSTM(3, return_sequences=True)),
                  keras.layers.TimeDistributed(keras.layers.Dense(2)), keras.layers.LSTM(5)]
        h, outputs = x, []
        for layer in layers:
            h = layer(h)
            outputs.append(h)
        return outputs[1:], layers

    _compare(mine, theirs, ids)


def test_pooling_merges_and_dense_follow_keras_mask_rules(rng):
    ids = _ids(rng)

    def mine(x):
        e1, e2 = ours.Embedding(9, 4, mask_zero=True), ours.Embedding(9, 4)
        dense, pool, gmax = ours.Dense(3), ours.GlobalAveragePooling1D(), ours.GlobalMaxPooling1D()
        a, b = e1(x), e2(x)
        added, joined = ours.add([a, b]), ours.concatenate([a, b])
        projected = dense(joined)
        return [added, joined, projected, pool(projected), gmax(projected)], [e1, e2, dense]

    def theirs(x):
        e1, e2 = keras.layers.Embedding(9, 4, mask_zero=True), keras.layers.Embedding(9, 4)
        dense = keras.layers.Dense(3)
        a, b = e1(x), e2(x)
        added, joined = keras.layers.add([a, b]), keras.layers.concatenate([a, b])
        projected = dense(joined)
        return [added, joined, projected, keras.layers.GlobalAveragePooling1D()(projected),
                keras.layers.GlobalMaxPooling1D()(projected)], [e1, e2, dense]

    _compare(mine, theirs, ids)


def test_attention_layers_read_their_inputs_masks(rng):
    ids = _ids(rng)

    def mine(x):
        eq, ev = ours.Embedding(9, 4, mask_zero=True), ours.Embedding(9, 4, mask_zero=True)
        attention, mha = ours.Attention(), ours.MultiHeadAttention(num_heads=2, key_dim=3)
        q, v = eq(x), ev(tf.reverse(x, [1]))
        return [attention([q, v]), mha(q, v)], [eq, ev, attention, mha]

    def theirs(x):
        eq, ev = keras.layers.Embedding(9, 4, mask_zero=True), keras.layers.Embedding(9, 4, mask_zero=True)
        attention = keras.layers.Attention()
        mha = keras.layers.MultiHeadAttention(num_heads=2, key_dim=3)
        q, v = eq(x), ev(tf.reverse(x, [1]))
        return [attention([q, v]), mha(q, v)], [eq, ev, attention, mha]

    _compare(mine, theirs, ids)


def test_masking_layer_then_lstm_and_an_explicit_mask_overrides(rng):
    x_value = rng.randn(3, 6, 2).astype(np.float32)
    x_value[1, 3:] = 0.0
    x_value[2, 1:] = 0.0
    ref_masking, ref_lstm = keras.layers.Masking(), keras.layers.LSTM(4, return_sequences=True)
    ref = ref_lstm(ref_masking(x_value))
    weights = ref_lstm.get_weights()
    graph = tfcore.new_graph()
    with graph.as_default():
        x = tfcore.placeholder(x_value.shape)
        lstm = ours.LSTM(4, return_sequences=True)
        masked = ours.Masking()(x)
        y = lstm(masked)
        everything = tf.ones(x_value.shape[:2], tf.bool)
        y_override = lstm(masked, mask=everything)  # an explicit mask wins over the travelling one
        init = tf.compat.v1.global_variables_initializer()
    with tfcore.session(graph=graph) as sess:
        sess.run(init)
        lstm.set_weights(sess, weights)
        got, got_mask, overridden = sess.run([y, get_mask(y), y_override], {x: x_value})
    np.testing.assert_allclose(got, ref.numpy(), atol=1e-5)
    np.testing.assert_array_equal(got_mask, ref._keras_mask.numpy())
    np.testing.assert_allclose(overridden, ref_lstm(x_value).numpy(), atol=1e-5)


@pytest.mark.parametrize("loss_name", ["sparse_categorical_crossentropy", "categorical_crossentropy",
                                       "mean_squared_error"])
def test_losses_read_the_mask_riding_on_the_predictions(rng, loss_name):
    ids = _ids(rng)
    labels = rng.randint(0, 3, ids.shape)
    if loss_name != "sparse_categorical_crossentropy":
        labels = np.eye(3, dtype=np.float32)[labels]
    emb = keras.layers.Embedding(9, 4, mask_zero=True)
    gru = keras.layers.GRU(5, return_sequences=True)
    dense = keras.layers.Dense(3, activation="softmax")
    predictions = dense(gru(emb(tf.constant(ids))))
    assert predictions._keras_mask is not None
    expected = getattr(keras.losses, {"sparse_categorical_crossentropy": "SparseCategoricalCrossentropy",
                                      "categorical_crossentropy": "CategoricalCrossentropy",
                                      "mean_squared_error": "MeanSquaredError"}[loss_name])()(labels, predictions)
    weights = [layer.get_weights() for layer in (emb, gru, dense)]
    graph = tfcore.new_graph()
    with graph.as_default():
        x = tf.compat.v1.placeholder(tf.int32, ids.shape)
        layers = [ours.Embedding(9, 4, mask_zero=True), ours.GRU(5, return_sequences=True),
                  ours.Dense(3, activation="softmax")]
        h = x
        for layer in layers:
            h = layer(h)
        loss = getattr(tfcore.losses, loss_name)(labels, h)       # no mask= : it travels
        unmasked = getattr(tfcore.losses, loss_name)(labels, tf.identity(h))  # the mask left behind
        init = tf.compat.v1.global_variables_initializer()
    with tfcore.session(graph=graph) as sess:
        sess.run(init)
        for layer, w in zip(layers, weights):
            layer.set_weights(sess, w)
        got, got_unmasked = sess.run([loss, unmasked], {x: ids})
    np.testing.assert_allclose(got, expected.numpy(), rtol=1e-5)
    assert not np.isclose(got_unmasked, got, rtol=1e-5, atol=0)  # without the mask the padding counts
