"""Keras 2 layers port without workarounds (issue 23): Conv2D's default padding (D1),
depthwise/separable convolutions with unequal strides (D2), Keras's pooling spellings
(G1), integer ids on every call of a custom module (D3); against tf-keras, copied weights."""

import numpy as np
import pytest
import tensorflow as tf

from tests.oracle import compare_with_keras, keras
from tests.porting import assert_same_training, keras_steps, perturb, tfcore_steps
import tfcore
from tfcore import layers
from tfcore.losses import mean_squared_error
from tfcore.optimizers import SGD

pytestmark = pytest.mark.keras


def test_conv2d_defaults_are_keras_defaults(rng):
    x = rng.randn(2, 7, 6, 3).astype(np.float32)
    compare_with_keras(layers.Conv2D(4, 3), keras.layers.Conv2D(4, 3), x, rng)
    compare_with_keras(layers.Conv2D(4, (2, 3), strides=2), keras.layers.Conv2D(4, (2, 3), strides=2),
                       x, rng)


UNEQUAL = [
    (lambda **kw: (layers.DepthwiseConv2D(3, **kw), keras.layers.DepthwiseConv2D(3, **kw)),
     dict(strides=(2, 1), padding="same", depth_multiplier=2)),
    (lambda **kw: (layers.DepthwiseConv2D((2, 3), **kw), keras.layers.DepthwiseConv2D((2, 3), **kw)),
     dict(strides=(1, 3), padding="valid")),
    (lambda **kw: (layers.SeparableConv2D(5, 3, **kw), keras.layers.SeparableConv2D(5, 3, **kw)),
     dict(strides=(1, 2), padding="same")),
    (lambda **kw: (layers.SeparableConv2D(4, (3, 2), **kw),
                   keras.layers.SeparableConv2D(4, (3, 2), **kw)),
     dict(strides=(2, 4), padding="valid", depth_multiplier=2, activation="tanh")),
    (lambda **kw: (layers.DepthwiseConv1D(3, **kw), keras.layers.DepthwiseConv1D(3, **kw)),
     dict(strides=2, padding="same", depth_multiplier=2)),
    (lambda **kw: (layers.SeparableConv1D(4, 3, **kw), keras.layers.SeparableConv1D(4, 3, **kw)),
     dict(strides=2, padding="valid")),
]


@pytest.mark.parametrize("make, kwargs", UNEQUAL, ids=lambda v: str(v) if isinstance(v, dict) else "")
def test_unequal_strides_equal_keras_forward_and_gradients(rng, make, kwargs):
    ours, ref = make(**kwargs)
    shape = (2, 9, 3) if ours.rank == 1 else (2, 9, 11, 3)
    compare_with_keras(ours, ref, rng.randn(*shape).astype(np.float32), rng)


def test_unequal_strides_channels_first_equal_keras_channels_last_transposed(rng):
    # Keras's depthwise kernels refuse channels_first on CPU, so the oracle is the
    # channels_last layer on the transposed input (same weights), transposed back.
    x = rng.randn(2, 3, 9, 8).astype(np.float32)
    ref = keras.layers.SeparableConv2D(4, 3, strides=(2, 1), padding="same")
    ref.build((None, 9, 8, 3))
    perturb(ref, rng, 0.3)
    expected = ref(np.transpose(x, (0, 2, 3, 1))).numpy().transpose(0, 3, 1, 2)
    weights = ref.get_weights()  # eagerly, before a graph is the default
    ours = layers.SeparableConv2D(4, 3, strides=(2, 1), padding="same", data_format="channels_first")
    graph = tfcore.new_graph()
    with graph.as_default():
        y = ours(tf.constant(x))
        with tfcore.session(graph=graph) as sess:
            ours.set_weights(sess, weights)
            np.testing.assert_allclose(sess.run(y), expected, rtol=0, atol=1e-5)


def test_unequal_strides_train_like_keras_for_20_steps(rng):
    """DepthwiseConv2D(strides=(2, 1)) -> SeparableConv2D(strides=(1, 2)) -> Dense, SGD, MSE."""
    def model(lib):
        return [lib.DepthwiseConv2D(3, strides=(2, 1), padding="same", activation="relu"),
                lib.SeparableConv2D(4, 3, strides=(1, 2), padding="same", activation="relu"),
                lib.Flatten(), lib.Dense(2)]

    ref = keras.Sequential(model(keras.layers))
    ref.build((None, 8, 8, 3))
    perturb(ref, rng, 0.1)
    batches = [(rng.randn(4, 8, 8, 3).astype(np.float32), rng.randn(4, 2).astype(np.float32))
               for _ in range(20)]
    ours = tfcore_steps(ref.get_weights(), model(layers), mean_squared_error, SGD(0.05), batches)
    theirs = keras_steps(ref, keras.losses.MeanSquaredError(), keras.optimizers.legacy.SGD(0.05),
                         batches)
    assert_same_training(ours, theirs)


KERAS_SPELLINGS = ["MaxPooling1D", "MaxPooling2D", "MaxPooling3D", "AveragePooling1D",
                   "AveragePooling2D", "AveragePooling3D", "GlobalMaxPool1D", "GlobalMaxPool2D",
                   "GlobalMaxPool3D", "GlobalAvgPool1D", "GlobalAvgPool2D", "GlobalAvgPool3D"]


@pytest.mark.parametrize("name", KERAS_SPELLINGS)
def test_keras_pooling_spellings_are_tfcore_layers_computing_as_keras(rng, name):
    rank = int(name[-2])
    kwargs = {} if name.startswith("Global") else {"padding": "same", "strides": 2}
    x = rng.randn(*((2,) + (5,) * rank + (3,))).astype(np.float32)
    compare_with_keras(getattr(layers, name)(**kwargs), getattr(keras.layers, name)(**kwargs), x, rng)


class _KerasTagger(keras.layers.Layer):
    def __init__(self):
        super().__init__()
        self.embed, self.head = keras.layers.Embedding(10, 4), keras.layers.Dense(3)

    def call(self, ids):
        return self.head(self.embed(ids))


def test_a_custom_module_over_ids_equals_keras_on_its_training_and_inference_calls(rng):
    from tests.test_porting import Tagger

    ids = rng.randint(0, 10, (3, 5))
    ref = _KerasTagger()
    ref(ids)
    perturb(ref, rng, 0.2)
    expected, weights = ref(ids).numpy(), ref.get_weights()
    ours = Tagger()
    graph = tfcore.new_graph()
    with graph.as_default():
        x = tf.compat.v1.placeholder(tf.int32, (None, 5))
        outputs = [ours(x, training=True), ours(x)]
        with tfcore.session(graph=graph) as sess:
            ours.set_weights(sess, weights)
            for y in sess.run(outputs, {x: ids}):
                np.testing.assert_allclose(y, expected, rtol=0, atol=1e-5)
