"""Porting Keras 2 models without workarounds (issue 23), the checks that need no tf-keras:
integer inputs on every call (D3), unequal depthwise strides in float64 (D2).
The comparisons with tf-keras are in tests/test_porting_*_keras.py."""

import numpy as np
import pytest
import tensorflow as tf

import tfcore
from tfcore.layers import Dense, Embedding


class Tagger(tfcore.Module):
    """A custom module over integer ids: an embedding, then a dense head (issue 23's D3)."""

    def __init__(self, name=None):
        super().__init__(name=name)
        self.embed, self.head = Embedding(10, 4), Dense(3)

    @property
    def submodules(self):
        return [self.embed, self.head]

    def call(self, ids, training=False):
        return self.head(self.embed(ids))


def test_a_module_that_took_integer_ids_on_its_first_call_takes_them_on_every_call():
    ids = np.array([[1, 2, 3], [9, 0, 4]])
    graph = tfcore.new_graph()
    with graph.as_default():
        tagger = Tagger()
        x = tf.compat.v1.placeholder(tf.int32, (None, 3))
        train, infer = tagger(x, training=True), tagger(x)  # a training pass, then inference
        again = tagger(tf.constant(ids, tf.int64))          # another integer dtype
        with tfcore.session(graph=graph) as sess:
            sess.run(tf.compat.v1.global_variables_initializer())
            a, b, c = sess.run([train, infer, again], {x: ids})
            table, kernel, bias = tagger.get_weights(sess)
    expected = table[ids] @ kernel + bias
    for got in (a, b, c):
        np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-6)


def test_tensorflows_float64_depthwise_kernel_refuses_unequal_strides_which_tfcore_computes(rng):
    """Why depthwise_conv.py has its own path for unequal strides (docs/porting-from-keras.md)."""
    from tfcore.layers import DepthwiseConv2D

    x = rng.randn(1, 6, 5, 2)
    graph = tfcore.new_graph()
    with graph.as_default():
        refused = tf.nn.depthwise_conv2d(x, np.ones((2, 2, 2, 1)), [1, 2, 1, 1], "VALID")
        layer = DepthwiseConv2D(2, strides=(2, 1), use_bias=False, depthwise_initializer="ones")
        y = layer(tf.constant(x))
        with tfcore.session(graph=graph) as sess:
            with pytest.raises(tf.errors.InvalidArgumentError):
                sess.run(refused)
            sess.run(tf.compat.v1.global_variables_initializer())
            window_sums = x[:, :-1] + x[:, 1:]
            window_sums = window_sums[:, :, :-1] + window_sums[:, :, 1:]
            np.testing.assert_allclose(sess.run(y), window_sums[:, ::2], rtol=1e-12)


def test_a_weighted_model_trains_and_evaluates_with_weights_and_its_histograms_are_written(tmp_path):
    """fit with sample_weight and class_weight, TensorBoard's gradient histograms (their
    loss needs the weights fed), and evaluate: the weighted loss sum(l w) / batch, by NumPy."""
    from tfcore import callbacks, losses, train
    from tfcore.optimizers import SGD

    rng = np.random.RandomState(0)
    x, y = rng.randn(12, 3).astype(np.float32), rng.randint(0, 2, 12)
    w = rng.uniform(0, 2, 12)
    graph = tfcore.new_graph()
    with graph.as_default():
        xp, yp, wp = tfcore.placeholder((None, 3)), tf.compat.v1.placeholder(tf.int64, (None,)), \
            tfcore.placeholder((None,))
        dense = Dense(2)
        logits = dense(xp)
        loss = losses.sparse_categorical_crossentropy(yp, logits, from_logits=True, sample_weight=wp)
        model = train.TrainGraph(graph, xp, yp, logits, loss, SGD(0.1).minimize(loss), sample_weights=wp)
    with tfcore.session(graph=graph) as sess:
        history = train.fit(model, sess, x, y, epochs=1, batch_size=5, sample_weight=w,
                            class_weight={0: 2.0, 1: 0.5}, progress=False,
                            callbacks=[callbacks.TensorBoard(str(tmp_path), histogram_freq=1)])
        assert np.isfinite(history.history["loss"]).all()
        got = train.evaluate(model, sess, x, y, batch_size=12, sample_weight=w)["loss"]
        kernel, bias = dense.get_weights(sess)
    z = x @ kernel + bias
    per_example = np.log(np.exp(z).sum(1)) - z[np.arange(12), y]
    np.testing.assert_allclose(got, np.sum(per_example * w) / 12, rtol=1e-5)
    assert list(tmp_path.rglob("events.*"))
