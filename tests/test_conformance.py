"""The generic properties of every public layer, one line each in tests/conformance.py.

    gradient check     tf.gradients of the layer equal central differences in float64,
                       for the inputs and every trainable variable
    variable reuse     a second call creates no variable; all of them live under the layer's scope
    other graph        a layer built in one graph refuses to be called in another, by name
    float64            float64 inputs give float64 variables and output, equal (to float32
                       rounding) to the float32 layer with the same weights
    weight round trip  set_weights then get_weights gives the arrays back, and the arrays
                       alone decide the output: a new layer given them computes the same
    channels_first     where the layer takes data_format, channels_first on the transposed
                       input is channels_last's output, transposed, with the same weights

A layer's own behaviour (its equations against a NumPy reference, its options, its errors)
stays in its own test file; tests/test_conformance_keras.py compares each line with tf-keras.
"""

import inspect

import numpy as np
import pytest
import tensorflow as tf

import tfcore
import tfcore.layers
from tfcore.module import Module
from tests.conformance import NOT_IN_TABLE, TABLE, line_id

CHANNELS_FIRST = [line for line in TABLE
                  if "data_format" in inspect.signature(getattr(tfcore.layers, line.name)).parameters]


def make(line, **extra):
    return getattr(tfcore.layers, line.name)(**dict(line.kwargs, **line.ours, **extra))


def random_inputs(line, rng):
    shapes = line.shape if isinstance(line.shape, list) else [line.shape]
    return [rng.randn(*shape) for shape in shapes]


def call(layer, tensors):
    return layer(tensors if len(tensors) > 1 else tensors[0])


def random_weights(layer, rng):
    """Weights in [-1, 1] (variances in [0.5, 1.5]): no initial zero or one can hide a bug."""
    weights = [rng.uniform(-1, 1, v.shape.as_list()) for v in layer.variables]
    return [np.abs(w) + 0.5 if "variance" in v.name else w for v, w in zip(layer.variables, weights)]


def run_layers(line, rng, jobs):
    """Layers of `line` in one graph and session, one per job (inputs, dtype, extra arguments).

    The first layer gets `random_weights`, the others the same arrays in their dtype.
    Returns (the arrays, [(output, get_weights, layer) per job]).
    """
    graph = tfcore.new_graph(seed=0)
    with graph.as_default():
        built, feed = [], {}
        for xs, dtype, extra in jobs:
            layer = make(line, **extra)
            placeholders = [tfcore.placeholder((None,) + x.shape[1:], dtype) for x in xs]
            feed.update({p: x.astype(dtype.as_numpy_dtype) for p, x in zip(placeholders, xs)})
            built.append((layer, call(layer, placeholders), dtype))
        with tfcore.session(graph=graph) as sess:
            chosen = random_weights(built[0][0], rng)
            for layer, _, dtype in built:
                layer.set_weights(sess, [w.astype(dtype.as_numpy_dtype) for w in chosen])
            outputs = sess.run([y for _, y, _ in built], feed)
            return chosen, [(y, layer.get_weights(sess), layer) for y, (layer, _, _) in zip(outputs, built)]


def test_every_public_layer_has_a_line():
    objects = [getattr(tfcore.layers, name) for name in dir(tfcore.layers)]
    public = {c.__name__ for c in objects if isinstance(c, type) and issubclass(c, Module)}
    lines = [line.name for line in TABLE]
    assert len(lines) == len(set(lines)), "a layer has two lines in tests/conformance.py"
    assert not set(lines) & set(NOT_IN_TABLE)
    missing = public - set(lines) - set(NOT_IN_TABLE)
    assert not missing, "add a line to tests/conformance.py for: %s" % sorted(missing)
    assert set(lines) | set(NOT_IN_TABLE) <= public


@pytest.mark.parametrize("line", TABLE, ids=line_id)
def test_gradient_check(line, rng):
    xs = random_inputs(line, rng)
    names = ["x%d" % i for i in range(len(xs))]
    tfcore.check_gradients(lambda **p: call(make(line), [p[n] for n in names]), dict(zip(names, xs)),
                           name="%s(%s)" % (line.name, line.kwargs))


@pytest.mark.parametrize("line", TABLE, ids=line_id)
def test_a_second_call_reuses_the_variables(line, rng):
    xs = random_inputs(line, rng)
    with tfcore.new_graph().as_default():
        layer = make(line)
        call(layer, [tfcore.placeholder((None,) + x.shape[1:], tf.float64) for x in xs])
        created = list(tf.compat.v1.global_variables())
        call(layer, [tfcore.placeholder((None,) + x.shape[1:], tf.float64) for x in xs])
        assert list(tf.compat.v1.global_variables()) == created
        # (a noise layer also keeps a draw counter: state under its scope, not a weight)
        assert set(layer.variables) <= set(created)
        assert all(v.name.startswith(layer.name + "/") for v in created)


@pytest.mark.parametrize("line", TABLE, ids=line_id)
def test_a_layer_built_in_one_graph_refuses_another(line, rng):
    xs = random_inputs(line, rng)
    layer = make(line)
    for graph_number in range(2):
        with tfcore.new_graph().as_default():
            tensors = [tfcore.placeholder((None,) + x.shape[1:], tf.float64) for x in xs]
            if graph_number == 0:
                call(layer, tensors)
            else:
                with pytest.raises(ValueError, match="%r was built in another graph" % layer.name):
                    call(layer, tensors)


@pytest.mark.parametrize("line", TABLE, ids=line_id)
def test_float64_and_the_weight_round_trip(line, rng):
    xs = random_inputs(line, rng)
    chosen, [(y, got, layer), (y_again, _, _), (y32, _, layer32)] = run_layers(
        line, rng, [(xs, tf.float64, {}), (xs, tf.float64, {}), (xs, tf.float32, {})])
    assert len(got) == len(chosen) == len(layer.variables)
    for a, b in zip(got, chosen):  # the arrays set are the arrays read back
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(y_again, y)  # and they alone decide the output
    assert np.asarray(y).dtype == np.float64 and np.asarray(y32).dtype == np.float32
    assert all(v.dtype.base_dtype == tf.float64 for v in layer.variables)
    assert all(v.dtype.base_dtype == tf.float32 for v in layer32.variables)
    np.testing.assert_allclose(y32, y, rtol=0, atol=1e-5 * max(1.0, np.abs(y).max()),
                               err_msg="%s: float32 and float64" % line.name)


@pytest.mark.parametrize("line", CHANNELS_FIRST, ids=line_id)
def test_channels_first_is_channels_last_transposed(line, rng):
    (x,) = random_inputs(line, rng)
    _, [(y_last, _, _), (y_first, _, _)] = run_layers(line, rng, [
        ([x], tf.float64, {}), ([np.moveaxis(x, -1, 1)], tf.float64, {"data_format": "channels_first"})])
    expected = np.moveaxis(y_last, -1, 1) if y_last.ndim > 2 else y_last
    np.testing.assert_allclose(y_first, expected, rtol=1e-12, atol=1e-12)
