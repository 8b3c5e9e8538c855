"""Sequential, composite Modules that find their sublayers, and the functional merge helpers."""

import numpy as np
import pytest
import tensorflow as tf

import tfcore
from tfcore.layers import (Add, BatchNormalization, Concatenate, Dense, Dot, Dropout, Embedding,
                           Subtract, add, average, concatenate, dot, maximum, minimum, multiply,
                           subtract)


def test_sequential_is_its_layers_called_in_order(rng):
    x_value = rng.standard_normal((5, 4))
    layers = [Dense(6, activation="tanh"), Dense(3)]
    model = tfcore.Sequential(layers)
    with tfcore.new_graph().as_default() as graph:
        x = tfcore.placeholder((None, 4), dtype=tf.float64)
        y = model(x)
        init = tf.compat.v1.global_variables_initializer()
    with tfcore.session(graph=graph) as sess:
        sess.run(init)
        got = sess.run(y, {x: x_value})
        w1, b1, w2, b2 = model.get_weights(sess)
        # Keras's order: layer by layer, kernel then bias.
        assert [w.shape for w in (w1, b1, w2, b2)] == [(4, 6), (6,), (6, 3), (3,)]
        np.testing.assert_allclose(got, np.tanh(x_value @ w1 + b1) @ w2 + b2, rtol=1e-12)
        new = [rng.standard_normal(w.shape) for w in (w1, b1, w2, b2)]
        model.set_weights(sess, new)
        np.testing.assert_allclose(sess.run(y, {x: x_value}),
                                   np.tanh(x_value @ new[0] + new[1]) @ new[2] + new[3], rtol=1e-12)


def test_sequential_reuses_its_weights_on_a_second_call_and_takes_integer_ids(rng):
    model = tfcore.Sequential([Embedding(10, 4), Dense(2)])
    with tfcore.new_graph().as_default() as graph:
        ids = tf.compat.v1.placeholder(tf.int32, (None, 3))
        train = model(ids, training=True)
        infer = model(ids, training=False)  # the second call: same weights, ids still accepted
        init = tf.compat.v1.global_variables_initializer()
    assert len(model.variables) == 3
    assert len(graph.get_collection(tf.compat.v1.GraphKeys.TRAINABLE_VARIABLES)) == 3
    with tfcore.session(graph=graph) as sess:
        sess.run(init)
        feed = {ids: rng.randint(0, 10, (4, 3))}
        a, b = sess.run([train, infer], feed)
    np.testing.assert_array_equal(a, b)


def test_sequential_summary_counts_every_layers_parameters():
    model = tfcore.Sequential([Dense(8), BatchNormalization(), Dropout(0.5), Dense(2)],
                              name="net")
    with tfcore.new_graph().as_default():
        model(tfcore.placeholder((None, 3)))
    lines = []
    model.summary(print_fn=lines.append)
    text = "\n".join(lines)
    assert 'Model: "net"' in text
    assert "dense (Dense)" in text and "(None, 8)" in text and " 32" in text  # 3*8 + 8
    assert "batch_normalization (BatchNormalization)" in text
    # BatchNormalization: gamma, beta trainable (16); moving mean and variance not (16).
    assert "Total params: %d" % (32 + 32 + 18) in text
    assert "Trainable params: %d" % (32 + 16 + 18) in text
    assert "Non-trainable params: 16" in text


def test_sequential_refuses_what_is_not_a_layer_and_growing_after_its_first_call():
    with pytest.raises(TypeError, match="sequential.add: expected a tfcore layer"):
        tfcore.Sequential([Dense(2), "relu"])
    model = tfcore.Sequential([Dense(2)])
    with tfcore.new_graph().as_default():
        model(tfcore.placeholder((None, 3)))
    with pytest.raises(ValueError, match="already called"):
        model.add(Dense(1))
    with pytest.raises(ValueError, match="no layers"):
        with tfcore.new_graph().as_default():
            tfcore.Sequential()(tfcore.placeholder((None, 3)))
    with pytest.raises(ValueError, match="never called"):
        tfcore.Sequential([Dense(1)]).summary()


class Block(tfcore.Module):
    """A composite written as a user would: sublayers in an attribute, a list and a dict."""

    def __init__(self):
        super().__init__()
        self.first = Dense(3, name="first")
        self.middle = [Dense(4, name="m0"), Dense(4, name="m1")]
        self.heads = {"a": Dense(2, name="a"), "b": Dense(2, name="b")}

    def call(self, x, training=False):
        h = self.first(x)
        for layer in self.middle:
            h = layer(h)
        return self.heads["a"](h) + self.heads["b"](h)


def test_a_composite_finds_its_sublayers_in_attributes_lists_and_dicts(rng):
    block = Block()
    with tfcore.new_graph().as_default() as graph:
        x = tfcore.placeholder((None, 5), dtype=tf.float64)
        y = block(x)
        init = tf.compat.v1.global_variables_initializer()
    names = [v.name for v in block.variables]
    assert names == ["block/%s/%s:0" % (layer, w) for layer in ["first", "m0", "m1", "a", "b"]
                     for w in ["kernel", "bias"]]
    assert [m.name for m in block.submodules] == ["first", "m0", "m1", "a", "b"]
    with tfcore.session(graph=graph) as sess:
        sess.run(init)
        weights = [rng.standard_normal(w.shape) for w in block.get_weights(sess)]
        block.set_weights(sess, weights)
        xv = rng.standard_normal((2, 5))
        k, c, k0, c0, k1, c1, ka, ca, kb, cb = weights
        h = ((xv @ k + c) @ k0 + c0) @ k1 + c1
        np.testing.assert_allclose(sess.run(y, {x: xv}), h @ ka + ca + h @ kb + cb, rtol=1e-12)


class Hidden(tfcore.Module):
    """Sublayers kept where `submodules` does not look (a set)."""

    def __init__(self):
        super().__init__()
        self.bag = {Dense(2, name="hidden")}

    def call(self, x, training=False):
        return next(iter(self.bag))(x)


def test_get_and_set_weights_on_an_untracked_composite_name_what_is_missing():
    hidden = Hidden()
    with tfcore.new_graph().as_default() as graph:
        hidden(tfcore.placeholder((None, 3)))
        init = tf.compat.v1.global_variables_initializer()
    with tfcore.session(graph=graph) as sess:
        sess.run(init)
        for call in (lambda: hidden.get_weights(sess), lambda: hidden.set_weights(sess, [])):
            with pytest.raises(ValueError, match=r"hidden/hidden/kernel:0, hidden/hidden/bias:0.*"
                                                 r"override `submodules`"):
                call()


@pytest.mark.parametrize("function,layer,reference", [
    (add, Add, lambda a, b: a + b),
    (subtract, Subtract, lambda a, b: a - b),
    (multiply, None, lambda a, b: a * b),
    (average, None, lambda a, b: (a + b) / 2),
    (maximum, None, np.maximum),
    (minimum, None, np.minimum),
    (lambda xs: concatenate(xs, axis=1), Concatenate, lambda a, b: np.concatenate([a, b], 1)),
    (lambda xs: dot(xs, axes=1), Dot, lambda a, b: np.sum(a * b, 1, keepdims=True)),
], ids=["add", "subtract", "multiply", "average", "maximum", "minimum", "concatenate", "dot"])
def test_functional_helpers_build_and_call_their_layer(rng, function, layer, reference):
    a, b = rng.standard_normal((2, 3, 4))
    with tfcore.new_graph().as_default() as graph:
        pa, pb = tfcore.placeholder((None, 4), dtype=tf.float64), tfcore.placeholder((None, 4), dtype=tf.float64)
        y = function([pa, pb])
    with tfcore.session(graph=graph) as sess:
        np.testing.assert_allclose(sess.run(y, {pa: a, pb: b}), reference(a, b), rtol=1e-12)
    if layer is not None:  # the layer shows in the graph under its own name scope
        scope = tfcore.module._snake_case(layer.__name__) + "/"
        assert any(op.name.startswith(scope) for op in graph.get_operations())
