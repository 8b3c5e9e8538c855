"""Parameter totals of the example models equal tf-keras's `count_params()` for the same architectures."""

import pytest

from tests.oracle import keras
from models import lstm_temperature, mlp, mnist_cnn
from tfcore.inspect import summary

pytestmark = pytest.mark.keras

L = keras.layers


def _keras_mnist_cnn(batchnorm=False):
    def hidden(layer):
        if not batchnorm:
            return [layer]
        layer.activation = keras.activations.linear
        return [layer, L.BatchNormalization(), L.Activation("relu")]

    def dropout(rate):
        return [] if batchnorm else [L.Dropout(rate)]

    stack = ([keras.Input((28, 28, 1))] + dropout(0.25)
             + hidden(L.Conv2D(16, 3, padding="same", activation="relu")) + dropout(0.5)
             + hidden(L.Conv2D(16, 3, padding="same", activation="relu")) + dropout(0.5)
             + [L.AveragePooling2D(2, padding="same")]
             + hidden(L.Conv2D(32, 3, padding="same", activation="relu"))
             + [L.AveragePooling2D(2, padding="same")]
             + hidden(L.Conv2D(64, 3, padding="same", activation="relu")) + dropout(0.5)
             + [L.AveragePooling2D(2, padding="same"), L.Flatten()]
             + hidden(L.Dense(512, activation="relu")) + dropout(0.5)
             + [L.Dense(10, activation="softmax")])
    return keras.Sequential(stack)


def _layer_params(model):
    return [layer.count_params() for layer in model.layers if layer.count_params()]


def _row_params(s):
    return [row.params for row in s.rows if row.params]


def test_mnist_cnn_parameters_equal_keras_count_params():
    reference = _keras_mnist_cnn()
    s = summary(mnist_cnn.build(), print_fn=None)
    assert reference.count_params() == 555_546
    assert s.params == reference.count_params()
    assert s.trainable == sum(w.shape.num_elements() for w in reference.trainable_weights)
    assert _row_params(s) == _layer_params(reference)


def test_mnist_cnn_batchnorm_variant_trainable_and_non_trainable_equal_keras():
    reference = _keras_mnist_cnn(batchnorm=True)
    s = summary(mnist_cnn.build(batchnorm=True), print_fn=None)
    assert s.params == reference.count_params()
    assert s.non_trainable == sum(w.shape.num_elements() for w in reference.non_trainable_weights)
    assert _row_params(s) == _layer_params(reference)


def test_mlp_parameters_equal_keras_count_params():
    reference = keras.Sequential([keras.Input((3,)), L.Dense(50, activation="tanh"),
                                  L.Dense(1, activation="sigmoid")])
    s = summary(mlp.build(), print_fn=None)
    assert s.params == reference.count_params()
    assert _row_params(s) == _layer_params(reference)


def test_stateful_lstm_parameters_equal_keras_and_leave_out_the_carried_state():
    reference = keras.Sequential([keras.Input(batch_shape=(20, 20, 1)),
                                  L.LSTM(8, stateful=True), L.Dense(1)])
    s = summary(lstm_temperature.build(), print_fn=None)
    assert s.params == reference.count_params()
    assert _row_params(s) == _layer_params(reference)
    assert s.state == 2 * 20 * 8  # h and c, one row per sample of the fixed batch
