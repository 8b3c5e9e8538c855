"""The layer protocol: nothing built at construction, variables on first call, reuse, weights in order."""

import numpy as np
import pytest
import tensorflow as tf

import tfcore
from tfcore import initializers
from tfcore.layers import BatchNormalization, Conv2D, Dense, Dropout, SpatialDropout2D


def test_constructor_creates_nothing_and_first_call_builds_in_a_unique_scope():
    graph = tfcore.new_graph()
    with graph.as_default():
        a, b = Dense(3), Dense(3)
        assert a.variables == [] and not a.built
        assert tf.compat.v1.global_variables() == []
        x = tfcore.placeholder((None, 4))
        a(x), b(x), a(x)
        assert [v.name for v in a.variables] == ["dense/kernel:0", "dense/bias:0"]
        assert [v.name for v in b.variables] == ["dense_1/kernel:0", "dense_1/bias:0"]
        assert len(tf.compat.v1.global_variables()) == 4  # the third call reused a's


def test_default_names_follow_keras():
    with tfcore.new_graph().as_default():
        conv, norm = Conv2D(2, 3), BatchNormalization()
        norm(conv(tfcore.placeholder((None, 5, 5, 1))))
    assert conv.name == "conv2d" and norm.name == "batch_normalization"
    assert [v.name for v in norm.variables] == [
        "batch_normalization/gamma:0", "batch_normalization/beta:0",
        "batch_normalization/moving_mean:0", "batch_normalization/moving_variance:0"]
    assert [v.name for v in norm.trainable_variables] == [
        "batch_normalization/gamma:0", "batch_normalization/beta:0"]


def test_get_and_set_weights_round_trip_in_keras_layout(rng):
    graph = tfcore.new_graph(seed=1)
    with graph.as_default():
        layer = Dense(3)
        y = layer(tfcore.placeholder((None, 2)))
        init = tf.compat.v1.global_variables_initializer()
    ops_before = len(graph.get_operations())
    graph.finalize()  # set_weights must add no ops
    kernel, bias = rng.randn(2, 3).astype(np.float32), rng.randn(3).astype(np.float32)
    with tfcore.session(graph=graph) as sess:
        sess.run(init)
        layer.set_weights(sess, [kernel, bias])
        got = layer.get_weights(sess)
        out = sess.run(y, {y.graph.get_tensor_by_name("Placeholder:0"): np.eye(2, dtype=np.float32)})
    np.testing.assert_array_equal(got[0], kernel)
    np.testing.assert_array_equal(got[1], bias)
    np.testing.assert_allclose(out, kernel + bias, rtol=1e-6)
    assert len(graph.get_operations()) == ops_before


def test_set_weights_errors_name_the_layer_and_the_variable():
    graph = tfcore.new_graph()
    with graph.as_default():
        layer = Dense(3)
        layer(tfcore.placeholder((None, 2)))
    with tfcore.session(graph=graph) as sess:
        with pytest.raises(ValueError, match="dense.set_weights: expected 2 arrays"):
            layer.set_weights(sess, [np.zeros((2, 3))])
        with pytest.raises(ValueError, match="dense/kernel:0 has shape \\[2, 3\\]"):
            layer.set_weights(sess, [np.zeros((3, 3)), np.zeros(3)])


def test_variables_take_the_first_inputs_dtype_and_refuse_another():
    with tfcore.new_graph().as_default():
        layer = Dense(2)
        layer(tfcore.placeholder((None, 2), tf.float64))
        assert layer.kernel.dtype.base_dtype == tf.float64
        with pytest.raises(TypeError, match="built for float64"):
            layer(tfcore.placeholder((None, 2), tf.float32))


def test_training_accepts_a_bool_or_a_boolean_tensor_only():
    with tfcore.new_graph().as_default():
        assert tfcore.smart_cond(True, lambda: 1, lambda: 2) == 1
        flag = tfcore.placeholder_with_default(False)
        out = tfcore.smart_cond(flag, lambda: tf.constant(1), lambda: tf.constant(2))
        with tfcore.session() as sess:
            assert sess.run(out) == 2 and sess.run(out, {flag: True}) == 1
        with pytest.raises(TypeError, match="training must be"):
            tfcore.smart_cond("yes", lambda: 1, lambda: 2)


def test_glorot_uniform_limits_and_orthogonal_rows():
    graph = tfcore.new_graph(seed=3)
    with graph.as_default():
        glorot = initializers.glorot_uniform((3, 3, 4, 8))
        ortho = initializers.orthogonal((6, 6), tf.float64)
        wide = initializers.orthogonal((3, 5), tf.float64)
    with tfcore.session(graph=graph) as sess:
        g, q, w = sess.run([glorot, ortho, wide])
    limit = np.sqrt(6.0 / (3 * 3 * 4 + 3 * 3 * 8))  # fans include the receptive field
    assert np.abs(g).max() <= limit and np.abs(g).max() > 0.9 * limit
    np.testing.assert_allclose(q.T @ q, np.eye(6), atol=1e-12)
    np.testing.assert_allclose(w @ w.T, np.eye(3), atol=1e-12)
    with pytest.raises(ValueError, match="Unknown initializer"):
        initializers.get("lecun")


def test_set_weights_works_outside_the_graph_block_where_tensorflow_is_eager():
    # A learner (or a notebook) calls set_weights after leaving `with graph.as_default():`.
    graph = tfcore.new_graph(0)
    with graph.as_default():
        x = tfcore.placeholder((None, 2))
        layer = Dense(3)
        y = layer(x)
    kernel, bias = np.arange(6.0).reshape(2, 3), np.array([1.0, -1.0, 0.5])
    with tfcore.session(graph=graph) as sess:
        layer.set_weights(sess, [kernel, bias])
        np.testing.assert_allclose(sess.run(y, {x: [[1.0, 2.0]]}), [[1.0, 2.0]] @ kernel + bias)


# ---------------------------------------------------------------------------
# Layers name themselves in their errors
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", [tf.int32, tf.int64, tf.uint8, tf.bool])
def test_an_integer_input_to_a_layer_with_weights_is_refused_naming_the_layer(dtype):
    # (Conv layers refuse integers in their own argument checks, tests/test_conv.py.)
    from tfcore.layers import LSTM, BatchNormalization, Dense

    graph = tfcore.new_graph()
    with graph.as_default():
        for layer, shape in ((Dense(3, name="scores"), (None, 4)),
                             (LSTM(2, name="memory"), (None, 3, 4)),
                             (BatchNormalization(name="norm"), (None, 4))):
            x = tf.compat.v1.placeholder(dtype, shape)
            with pytest.raises(TypeError, match=r"%s: input must be a floating tensor .*got %s: the %s.*tf.cast" % (
                    layer.name, dtype.name, type(layer).__name__)):
                layer(x)


def test_a_built_layer_refuses_a_later_integer_input_and_shape_layers_move_integers():
    from tfcore.layers import Dense, Flatten

    graph = tfcore.new_graph()
    with graph.as_default():
        dense = Dense(2, name="head")
        dense(tf.zeros((1, 3)))
        with pytest.raises(TypeError, match=r"head: input must be a floating tensor .*got int32"):
            dense(tf.zeros((1, 3), tf.int32))
        flat = Flatten()(tf.reshape(tf.range(12), (2, 2, 3)))
        with tf.compat.v1.Session() as sess:
            np.testing.assert_array_equal(sess.run(flat), np.arange(12).reshape(2, 6))


def _functional(layers):
    """A `tfcore.port.Functional` replaying ids -> layers[0] -> ... in a chain (Keras's config)."""
    from tfcore.port import Functional

    names = ["ids"] + [layer.name for layer in layers]
    entries = [{"class_name": "InputLayer", "name": "ids", "inbound_nodes": []}] + [
        {"class_name": type(layer).__name__, "name": name, "inbound_nodes": [[[before, 0, 0, {}]]]}
        for layer, before, name in zip(layers, names, names[1:])]
    config = {"layers": entries, "input_layers": [["ids", 0, 0]], "output_layers": [[names[-1], 0, 0]]}
    return Functional(config, dict(zip(names[1:], layers)))


@pytest.mark.parametrize("container", [tfcore.Sequential, _functional], ids=["sequential", "functional"])
def test_a_container_of_layers_built_elsewhere_takes_the_ids_its_embedding_takes(container):
    # At the container's first call its layers already hold float weights: `integer_inputs`
    # keeps the container from refusing the ids (its first layer, an Embedding, takes them).
    from tfcore.layers import Embedding, Flatten

    graph = tfcore.new_graph(seed=0)
    with graph.as_default():
        layers = [Embedding(10, 4), Flatten(), Dense(2)]
        ids = tf.compat.v1.placeholder(tf.int32, (None, 3))
        direct = ids
        for layer in layers:
            direct = layer(direct)
        through = container(layers)(ids)
        with tf.compat.v1.Session() as sess:
            sess.run(tf.compat.v1.global_variables_initializer())
            got, expected = sess.run([through, direct], {ids: [[1, 2, 3], [9, 0, 4]]})
    np.testing.assert_array_equal(got, expected)


@pytest.mark.parametrize("method", ["get_weights", "set_weights"])
def test_get_and_set_weights_on_a_layer_never_called_say_so(method):
    from tfcore.layers import Dense

    layer = Dense(3, name="unbuilt")
    graph = tfcore.new_graph()
    with graph.as_default(), tf.compat.v1.Session() as sess:
        args = (sess,) if method == "get_weights" else (sess, [np.zeros((2, 3)), np.zeros(3)])
        with pytest.raises(ValueError, match=r"unbuilt\.%s: the layer was never called.*layer\(x\)" % method):
            getattr(layer, method)(*args)


@pytest.mark.parametrize("make, bad, good", [
    (lambda: Conv2D(2, 3, padding="same", kernel_regularizer="l2"), (None, 5, 5), (None, 5, 5, 1)),  # refused in call
    (lambda: SpatialDropout2D(0.5), (None, 3, 3), (None, 3, 3, 2)),  # a random layer's counter
    (lambda: Dropout(0.5, noise_shape=(None, 1, None)), (None, 3), (None, 4, 3)),  # refused in build
])
def test_a_refused_first_call_leaves_no_trace_and_the_next_call_builds_afresh(make, bad, good):
    """A notebook user calls a layer on the wrong input, reads the error, calls it again:
    the layer builds for the new input, and no variable or penalty of the refused call is
    left in the graph's collections for an optimizer or a Saver to find."""
    graph = tfcore.new_graph(seed=0)
    with graph.as_default():
        layer = make()
        with pytest.raises(ValueError, match=layer.name):
            layer(tfcore.placeholder(bad), training=True)
        assert not layer.built and not tf.compat.v1.global_variables()
        assert not tf.compat.v1.get_collection(tf.compat.v1.GraphKeys.REGULARIZATION_LOSSES)
        x = tfcore.placeholder(good)
        y = layer(x, training=True)
        owned = layer.variables + list(getattr(layer, "state_variables", []))
        assert {v.ref() for v in tf.compat.v1.global_variables()} == {v.ref() for v in owned}
        assert len(tf.compat.v1.get_collection(tf.compat.v1.GraphKeys.REGULARIZATION_LOSSES)) == \
            len(layer.losses)
        with tfcore.session(graph=graph) as sess:
            sess.run(tf.compat.v1.global_variables_initializer())
            out = sess.run(y, {x: np.ones([2] + list(good[1:]), np.float32)})
    assert out.shape[:-1] == (2,) + tuple(good[1:-1])
