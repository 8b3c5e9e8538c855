"""tfcore.port.from_keras rebuilds tf-keras models from tfcore layers with the weights copied:
outputs within 1e-5 and gradients within 1e-4 of Keras's."""

import numpy as np
import pytest
import tensorflow as tf

from tests.oracle import keras
import tfcore
from tfcore import port

pytestmark = pytest.mark.keras


def chapter_mnist_cnn():
    """The chapter's MNIST CNN, as its Keras code writes it."""
    L = keras.layers
    return keras.Sequential([
        L.Dropout(0.25, input_shape=(28, 28, 1)),
        L.Conv2D(16, (3, 3), padding="same", activation="relu"), L.Dropout(0.5),
        L.Conv2D(16, (3, 3), padding="same", activation="relu"), L.Dropout(0.5),
        L.AveragePooling2D(pool_size=(2, 2), padding="same"),
        L.Conv2D(32, (3, 3), padding="same", activation="relu"),
        L.AveragePooling2D(pool_size=(2, 2), padding="same"),
        L.Conv2D(64, (3, 3), padding="same", activation="relu"), L.Dropout(0.5),
        L.AveragePooling2D(pool_size=(2, 2), padding="same"),
        L.Flatten(), L.Dense(512, activation="relu"), L.Dropout(0.5),
        L.Dense(10, activation="softmax")])


def toy_resnet():
    """The functional API guide's toy ResNet, smaller: Conv2D, MaxPooling2D, Add, shared input."""
    L = keras.layers
    inputs = keras.Input((12, 12, 3))
    x = L.Conv2D(8, 3, activation="relu")(inputs)
    x = L.Conv2D(8, 3, activation="relu")(x)
    block_1 = L.MaxPooling2D(2)(x)
    x = L.Conv2D(8, 3, activation="relu", padding="same")(block_1)
    x = L.Conv2D(8, 3, activation="relu", padding="same")(x)
    block_2 = L.add([x, block_1])
    x = L.GlobalAveragePooling2D()(block_2)
    x = L.Dense(6, activation="relu")(x)
    return keras.Model(inputs, L.Dense(4, activation="softmax")(x), name="toy_resnet")


def two_inputs_shared_dense():
    L = keras.layers
    a, b = keras.Input((5,)), keras.Input((5,))
    shared = L.Dense(4, activation="tanh")
    merged = L.concatenate([shared(a), shared(b)])
    return keras.Model([a, b], L.Dense(3)(merged))


def masked_tagger():
    L = keras.layers
    return keras.Sequential([L.Embedding(20, 6, mask_zero=True, input_length=7),
                             L.Bidirectional(L.LSTM(5, return_sequences=True)),
                             L.GRU(4, return_sequences=True),
                             L.TimeDistributed(L.Dense(3, activation="softmax"))])


def _compare(model, inputs, dtype=tf.float32):
    inputs = inputs if isinstance(inputs, list) else [inputs]
    with tf.GradientTape() as tape:
        ref = model(inputs if len(inputs) > 1 else inputs[0], training=False)
        ref_loss = tf.reduce_sum(ref * ref)
    ref_grads = tape.gradient(ref_loss, model.trainable_weights)
    ported = port.from_keras(model)
    graph = tfcore.new_graph()
    with graph.as_default():
        ps = [tf.compat.v1.placeholder(tf.as_dtype(x.dtype), (None,) + x.shape[1:]) for x in inputs]
        y = ported(ps if len(ps) > 1 else ps[0], training=False)
        grads = [tf.convert_to_tensor(g)
                 for g in tf.gradients(tf.reduce_sum(y * y), ported.trainable_variables)]
        init = tf.compat.v1.global_variables_initializer()
    with tfcore.session(graph=graph) as sess:
        sess.run(init)
        ported.load_keras_weights(sess)
        got, got_grads = sess.run([y, grads], dict(zip(ps, inputs)))
    np.testing.assert_allclose(got, ref.numpy(), atol=1e-5)
    assert len(got_grads) == len(ref_grads)
    for a, b in zip(got_grads, ref_grads):
        # (an embedding's gradient is IndexedSlices on both sides: compared dense)
        np.testing.assert_allclose(a, tf.convert_to_tensor(b).numpy(), atol=1e-4)
    return ported


def test_the_chapters_mnist_cnn_written_in_keras_ports_with_equal_outputs_and_gradients(rng):
    model = chapter_mnist_cnn()
    ported = _compare(model, rng.rand(3, 28, 28, 1).astype(np.float32))
    assert [type(layer).__name__ for layer in ported.layers][:3] == ["Dropout", "Conv2D", "Dropout"]
    assert sum(int(np.prod(v.shape)) for v in ported.variables) == model.count_params()


def test_a_functional_toy_resnet_ports(rng):
    _compare(toy_resnet(), rng.rand(2, 12, 12, 3).astype(np.float32))


def test_a_model_with_two_inputs_and_a_shared_layer_ports(rng):
    ported = _compare(two_inputs_shared_dense(), [rng.randn(4, 5).astype(np.float32),
                                                  rng.randn(4, 5).astype(np.float32)])
    assert len(ported.variables) == 4  # the shared Dense once, then the head


def test_a_masked_tagger_ports_and_its_padding_stays_masked(rng):
    ids = rng.randint(1, 20, (3, 7))
    ids[1, 4:] = 0
    ids[2, 1:] = 0
    _compare(masked_tagger(), ids.astype(np.int32))


def test_every_layer_that_cannot_be_ported_is_named_at_once():
    L = keras.layers
    model = keras.Sequential([L.RandomFlip(input_shape=(4, 4, 1)), L.Lambda(lambda t: t * 2),
                              L.Flatten(), L.Dense(2)])
    with pytest.raises(port.PortError) as err:
        port.from_keras(model)
    message = str(err.value)
    assert "Lambda" in message and "RandomFlip" in message and "Dense" not in message
