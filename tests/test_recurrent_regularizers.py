"""Regularizers and constraints on the LSTM/GRU/SimpleRNN cells' three weights and on the layers'
outputs.

Oracles: the penalties' NumPy formulas on the weights and outputs, float64
central differences of the total loss (data loss + penalties), and the NumPy
projection of a constraint after one SGD step.
"""

import numpy as np
import pytest
import tensorflow as tf

import tfcore
from tfcore import constraints, regularizers
from tfcore.layers.keras.conv3d import Conv3D
from tfcore.layers.recurrent import GRU, LSTM, GRUCell, LSTMCell
from tfcore.layers.keras.simple_rnn import SimpleRNN, SimpleRNNCell

REGULARIZED = dict(kernel_regularizer=regularizers.l1(0.03), recurrent_regularizer=regularizers.l2(0.02),
                   bias_regularizer=regularizers.l1_l2(0.01, 0.04))


@pytest.mark.parametrize("layer_class,kwargs", [
    (LSTM, dict(implementation="block")), (LSTM, dict(implementation="while")),
    (GRU, dict(reset_after=False)), (GRU, dict(return_sequences=True, return_state=True)),
    (SimpleRNN, dict(implementation="unroll")),
    (SimpleRNN, dict(implementation="while", return_sequences=True, return_state=True))])
def test_penalties_equal_numpy_formulas_on_weights_and_outputs(rng, layer_class, kwargs):
    graph = tfcore.new_graph(seed=1)
    with graph.as_default():
        layer = layer_class(3, activity_regularizer=regularizers.l2(0.05), **REGULARIZED, **kwargs)
        xp = tfcore.placeholder((None, 4, 2))
        outputs = tf.nest.flatten(layer(xp))
        with tfcore.session(graph=graph) as sess:
            sess.run(tf.compat.v1.global_variables_initializer())
            x = rng.randn(5, 4, 2).astype(np.float32)
            penalties, ys, (kernel, recurrent, bias) = sess.run(
                [layer.losses, outputs, layer.variables], {xp: x})
    expected = [0.05 * np.sum(y ** 2) / 5 for y in ys] + [
        0.03 * np.abs(kernel).sum(), 0.02 * np.square(recurrent).sum(),
        0.01 * np.abs(bias).sum() + 0.04 * np.square(bias).sum()]
    np.testing.assert_allclose(penalties, expected, rtol=1e-5)
    assert len(tf.compat.v1.get_collection(regularizers.REGULARIZATION_LOSSES)) == 0  # other graph
    assert len(graph.get_collection(regularizers.REGULARIZATION_LOSSES)) == len(expected)


@pytest.mark.parametrize("layer_class", [LSTM, GRU, SimpleRNN])
def test_total_loss_with_penalties_passes_gradient_check_in_float64(rng, layer_class):
    def build(x):
        layer = layer_class(2, implementation="unroll", activity_regularizer="l1", **REGULARIZED)
        return [tf.reduce_sum(tf.tanh(layer(x)))] + layer.losses
    tfcore.check_gradients(build, {"x": rng.randn(2, 3, 2)}, name="%s(regularized)" % layer_class.__name__)


def test_conv3d_penalties_gradient_check_in_float64(rng):
    def build(x):
        layer = Conv3D(2, 2, kernel_regularizer="l2", bias_regularizer="l1", activity_regularizer="l2")
        return [layer(x)] + layer.losses
    tfcore.check_gradients(build, {"x": rng.randn(1, 3, 3, 3, 2)}, name="Conv3D(regularized)")


@pytest.mark.parametrize("cell_class", [LSTMCell, GRUCell, SimpleRNNCell])
def test_constraints_project_the_cell_weights_after_an_sgd_step(rng, cell_class):
    graph = tfcore.new_graph(seed=2)
    with graph.as_default():
        cell = cell_class(3, kernel_constraint=constraints.max_norm(0.5),
                          recurrent_constraint=constraints.unit_norm(), bias_constraint="non_neg")
        xp = tfcore.placeholder((None, 2))
        output, _ = cell(xp)
        variables = [cell.kernel, cell.recurrent_kernel, cell.bias]
        grads = tf.gradients(tf.reduce_sum(output), variables)
        step = tfcore.optimizers.SGD(0.5).minimize(tf.reduce_sum(output))
        with tfcore.session(graph=graph) as sess:
            sess.run(tf.compat.v1.global_variables_initializer())
            x = rng.randn(4, 2).astype(np.float32)
            before, g = sess.run([variables, grads], {xp: x})
            sess.run(step, {xp: x})
            after = sess.run(variables)
    kernel, recurrent, bias = [w - 0.5 * d for w, d in zip(before, g)]
    norms = np.sqrt(np.sum(kernel ** 2, axis=0, keepdims=True))
    np.testing.assert_allclose(after[0], kernel * np.clip(norms, 0, 0.5) / (1e-7 + norms), rtol=1e-5)
    np.testing.assert_allclose(
        after[1], recurrent / (1e-7 + np.sqrt(np.sum(recurrent ** 2, axis=0, keepdims=True))), rtol=1e-5)
    np.testing.assert_allclose(after[2], bias * (bias >= 0), rtol=1e-6)


@pytest.mark.parametrize("layer_class", [LSTM, GRU, SimpleRNN])
def test_the_layer_hands_each_regularizer_and_constraint_to_its_cell(layer_class):
    given = dict(kernel_regularizer=regularizers.l1(0.1), recurrent_regularizer=regularizers.l2(0.2),
                 bias_regularizer=regularizers.l1(0.3), kernel_constraint=constraints.max_norm(1.0),
                 recurrent_constraint=constraints.unit_norm(), bias_constraint=constraints.non_neg())
    layer = layer_class(2, activity_regularizer=regularizers.l2(0.4), **given)
    for name, value in given.items():
        assert getattr(layer.cell, name) is value, name
    assert layer.activity_regularizer is not None and layer.cell.activity_regularizer is None


def test_simple_rnn_takes_keras_2s_positional_order():
    # Keras 2: units, activation, use_bias, kernel_initializer, recurrent_initializer,
    # bias_initializer, kernel_regularizer, recurrent_regularizer, bias_regularizer,
    # activity_regularizer, kernel_constraint, recurrent_constraint, bias_constraint.
    k, r, b, a = (regularizers.l2(v) for v in (0.1, 0.2, 0.3, 0.4))
    kc, rc, bc = constraints.max_norm(1.0), constraints.unit_norm(), constraints.non_neg()
    layer = SimpleRNN(2, "relu", True, "zeros", "ones", "zeros", k, r, b, a, kc, rc, bc)
    cell = layer.cell
    assert (cell.kernel_regularizer, cell.recurrent_regularizer, cell.bias_regularizer) == (k, r, b)
    assert layer.activity_regularizer is a
    assert (cell.kernel_constraint, cell.recurrent_constraint, cell.bias_constraint) == (kc, rc, bc)
    cell = SimpleRNNCell(2, "relu", True, "zeros", "ones", "zeros", k, r, b, kc, rc, bc, name="my_cell")
    assert (cell.kernel_regularizer, cell.bias_constraint, cell.name) == (k, bc, "my_cell")


def test_bad_regularizer_or_constraint_fails_at_construction_naming_it():
    with pytest.raises(ValueError, match="l3"):
        LSTM(2, recurrent_regularizer="l3")
    with pytest.raises(ValueError, match="max_nrm"):
        GRUCell(2, recurrent_constraint="max_nrm")
    with pytest.raises(TypeError):
        LSTMCell(2, activity_regularizer="l2")  # a cell has no output penalty (Keras's neither)
    with pytest.raises(ValueError, match="l3"):
        SimpleRNN(2, bias_regularizer="l3")
    with pytest.raises(ValueError, match="unit_nrm"):
        SimpleRNNCell(2, kernel_constraint="unit_nrm")
    with pytest.raises(TypeError):
        SimpleRNNCell(2, activity_regularizer="l2")
