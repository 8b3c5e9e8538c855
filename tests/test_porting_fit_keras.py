"""Keras 2 training ports without workarounds (issue 23): `fit` with `sample_weight` and
`class_weight` (G3), and the legacy RMSprop on a toy ResNet (D5), against tf-keras with
copied weights."""

import numpy as np
import pytest
import tensorflow as tf

from tests.oracle import keras
from tests.porting import copy_weights, perturb
import tfcore
from tfcore import layers, losses, train
from tfcore.optimizers import SGD

pytestmark = pytest.mark.keras

FIT_CASES = {
    # name: (output units, activation, Keras loss, tfcore loss, targets)
    "sparse_softmax": (3, "softmax", "sparse_categorical_crossentropy",
                       losses.sparse_categorical_crossentropy, "ids"),
    "one_hot_softmax": (3, "softmax", "categorical_crossentropy", losses.categorical_crossentropy,
                        "one_hot"),
    "binary_sigmoid": (1, "sigmoid", "binary_crossentropy", losses.binary_crossentropy, "binary"),
    "mse": (1, None, "mse", losses.mean_squared_error, "real"),
}


def _targets(rng, kind, n):
    ids = rng.randint(0, 3, n)
    return {"ids": ids, "one_hot": np.eye(3, dtype=np.float32)[ids],
            # (batch, 1): tf-keras's class_weight fails on (batch,) targets (it reads shape[1])
            "binary": (rng.rand(n, 1) > 0.5).astype(np.float32),
            "real": rng.randn(n).astype(np.float32)}[kind]  # (batch,) against (batch, 1) outputs


def _tfcore_model(units, activation, loss_fn, y):
    """Dense(8, tanh) -> Dense(units, activation), the loss weighted by a placeholder."""
    graph = tfcore.new_graph()
    with graph.as_default():
        x = tfcore.placeholder((None, 4))
        targets = tf.compat.v1.placeholder(tf.int64 if y.dtype.kind == "i" else tf.float32,
                                           (None,) + y.shape[1:])
        weights = tfcore.placeholder((None,))
        stack = [layers.Dense(8, activation="tanh"), layers.Dense(units, activation=activation)]
        predictions = stack[1](stack[0](x))
        loss = loss_fn(targets, predictions, sample_weight=weights)
        model = train.TrainGraph(graph, x, targets, predictions, loss, SGD(0.1).minimize(loss),
                                 sample_weights=weights)
    return model, stack


def _fit_both(rng, name, batch_size, steps_per_run, with_sample_weight, with_class_weight):
    """fit for 2 epochs without shuffling in tf-keras and in tfcore, from the same weights:
    (tfcore's History, Keras's history, tfcore's final weights, Keras's)."""
    units, activation, keras_loss, loss_fn, kind = FIT_CASES[name]
    x, y = rng.randn(38, 4).astype(np.float32), _targets(rng, kind, 38)
    w = rng.uniform(0, 2, 38).astype(np.float32) if with_sample_weight else None
    class_weight = ({0: 0.5, 1: 2.0, 2: 1.5} if units == 3 else {0: 0.3, 1: 1.7}) \
        if with_class_weight else None
    val = (x[:10], y[:10]) + ((w[:10],) if with_sample_weight else ())

    ref = keras.Sequential([keras.layers.Dense(8, activation="tanh", input_shape=(4,)),
                            keras.layers.Dense(units, activation=activation)])
    perturb(ref, rng, 0.2)
    initial = ref.get_weights()
    ref.compile(keras.optimizers.legacy.SGD(0.1), keras_loss)
    expected = ref.fit(x, y, batch_size=batch_size, epochs=2, shuffle=False, sample_weight=w,
                       class_weight=class_weight, validation_data=val, verbose=0).history

    model, stack = _tfcore_model(units, activation, loss_fn, y)
    with tfcore.session(graph=model.graph) as sess:
        train.initialize(model, sess)
        copy_weights(initial, stack, sess)
        history = train.fit(model, sess, x, y, epochs=2, batch_size=batch_size, shuffle=False,
                            sample_weight=w, class_weight=class_weight, validation_data=val,
                            progress=False, steps_per_run=steps_per_run)
        final = [v for layer in stack for v in layer.get_weights(sess)]
    for key in ("loss", "val_loss"):
        np.testing.assert_allclose(history.history[key], expected[key], rtol=1e-5, atol=1e-5)
    for a, b in zip(final, ref.get_weights()):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-4)


@pytest.mark.parametrize("name, steps_per_run", [
    ("sparse_softmax", 1), ("binary_sigmoid", 1), ("mse", 1), ("one_hot_softmax", 3)])
def test_fit_with_sample_weight_equals_keras_fit(rng, name, steps_per_run):
    """2 epochs of 10 batches (20 steps, the last batch partial): the epoch losses, the
    weighted validation loss and the final weights equal Keras's."""
    _fit_both(rng, name, 4, steps_per_run, with_sample_weight=True, with_class_weight=False)


@pytest.mark.parametrize("name", ["one_hot_softmax", "binary_sigmoid"])
def test_fit_with_class_weight_equals_keras_fit(rng, name):
    _fit_both(rng, name, 4, 1, with_sample_weight=False, with_class_weight=True)


def test_fit_with_sample_and_class_weight_multiplies_them_as_keras(rng):
    # tf-keras 2.21 fails on both together unless one batch holds every row.
    _fit_both(rng, "sparse_softmax", 38, 1, with_sample_weight=True, with_class_weight=True)


def test_fit_refuses_weights_for_a_model_that_takes_none(rng):
    graph = tfcore.new_graph()
    with graph.as_default():
        x, t = tfcore.placeholder((None, 2)), tfcore.placeholder((None, 1))
        p = layers.Dense(1)(x)
        loss = losses.mean_squared_error(t, p)
        model = train.TrainGraph(graph, x, t, p, loss, SGD(0.1).minimize(loss))
    with tfcore.session(graph=graph) as sess:
        with pytest.raises(ValueError, match="fit: sample_weight/class_weight need a model that takes"):
            train.fit(model, sess, np.zeros((4, 2)), np.zeros((4, 1)), 1, sample_weight=np.ones(4),
                      progress=False)


# ---------------------------------------------------------------------------
# D5: the legacy RMSprop on a toy ResNet, and on gradients of every magnitude
# ---------------------------------------------------------------------------

RMSPROP = [dict(), dict(momentum=0.9), dict(centered=True, rho=0.8)]


def _toy_resnet(lib):
    return [lib.Conv2D(8, 3, padding="same", activation="relu"),
            lib.Conv2D(8, 3, padding="same", activation="relu"),
            lib.Conv2D(8, 3, padding="same"), lib.Add(), lib.GlobalAveragePooling2D(), lib.Dense(5)]


def _resnet_forward(stack, x):
    conv1, conv2, conv3, add, pool, dense = stack
    h = conv1(x)
    return dense(pool(tf.nn.relu(add([h, conv3(conv2(h))]))))


def _rmsprop_on_the_toy_resnet(keras_seed, epsilon=1e-7, ulp=False):
    """20 RMSprop(0.01) steps on the toy ResNet from Keras's seeded initial weights (moved by
    one float32 ulp with `ulp`), in tf-keras and in tfcore: ((losses, weights), (losses, weights))."""
    from tests.porting import keras_steps, tfcore_steps
    from tfcore.optimizers import RMSprop

    keras.utils.set_random_seed(keras_seed)
    rng = np.random.RandomState(0)
    inputs = keras.Input((8, 8, 3))
    ref = keras.Model(inputs, _resnet_forward(_toy_resnet(keras.layers), inputs))
    perturb(ref, rng, 0.05)
    if ulp:
        ref.set_weights([np.nextafter(w, np.float32(np.inf)) for w in ref.get_weights()])
    batches = [(rng.randn(16, 8, 8, 3).astype(np.float32), rng.randint(0, 5, 16)) for _ in range(20)]
    ours_stack = _toy_resnet(layers)
    ours = tfcore_steps(ref.get_weights(), [ours_stack[i] for i in (0, 1, 2, 5)],
                        lambda y, p: losses.sparse_categorical_crossentropy(y, p, from_logits=True),
                        RMSprop(0.01, epsilon=epsilon), batches, y_dtype=tf.int64,
                        forward=lambda x: _resnet_forward(ours_stack, x))
    theirs = keras_steps(ref, keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                         keras.optimizers.legacy.RMSprop(0.01, epsilon=epsilon), batches)
    return ours, theirs


def _distance(a, b):
    """(largest loss difference over the steps, largest final weight difference)."""
    return (np.abs(np.subtract(a[0], b[0])).max(),
            max(np.abs(x - y).max() for x, y in zip(a[1], b[1])))


def test_rmsprop_trains_a_toy_resnet_like_keras_for_20_steps():
    """Conv2D, Add: the loss at every step and the final weights within 1e-4."""
    from tests.porting import assert_same_training

    ours, theirs = _rmsprop_on_the_toy_resnet(keras_seed=0)
    assert_same_training(ours, theirs, atol=1e-4)
    np.testing.assert_allclose(ours[0], theirs[0], rtol=0, atol=1e-5)


def test_rmsprop_drift_is_rounding_amplified_near_epsilon_as_in_keras_itself():
    """Issue 23's D5. From one initialisation in about 70 (Keras seed 17 on this machine) the
    two trajectories part after ~15 steps (loss 3e-4, weights 1e-2 apart), but so do Keras's
    own from weights moved by one ulp: the step lr g / (sqrt(ms) + eps) has slope lr / eps =
    1e5 at g = 0, so the rounding of near-cancelling gradients becomes a difference of a whole
    step. With epsilon 1e-4 the same runs agree to float32 rounding."""
    ours, theirs = _rmsprop_on_the_toy_resnet(keras_seed=17)
    _, keras_moved = _rmsprop_on_the_toy_resnet(keras_seed=17, ulp=True)
    own = _distance(theirs, keras_moved)  # Keras against itself, one ulp away
    for ours_apart, keras_apart in zip(_distance(ours, theirs), own):
        assert ours_apart <= 10 * keras_apart + 1e-6
    ours, theirs = _rmsprop_on_the_toy_resnet(keras_seed=17, epsilon=1e-4)
    loss_apart, weights_apart = _distance(ours, theirs)
    assert loss_apart < 1e-6 and weights_apart < 1e-5


@pytest.mark.parametrize("kwargs", RMSPROP)
def test_rmsprop_equals_keras_on_gradients_from_zero_to_one_for_20_steps(kwargs):
    """Where the suspects of issue 23's D5 would show: epsilon inside or outside the root
    (they differ most when sqrt(ms) is near epsilon), rho's float32 arithmetic, tiny and zero
    gradients. Fixed gradients of magnitudes 0, 1e-12 .. 1, both signs, 20 steps."""
    from tfcore.optimizers import RMSprop

    rng = np.random.RandomState(0)
    magnitudes = np.concatenate([[0.0], 10.0 ** np.arange(-12, 1)])
    shape = (4, len(magnitudes))
    grads = [(rng.choice([-1, 1], shape) * magnitudes * rng.uniform(0.5, 2, shape)).astype(np.float32)
             for _ in range(20)]
    start = rng.randn(4, len(magnitudes)).astype(np.float32)

    var = tf.Variable(start)
    keras_opt = keras.optimizers.legacy.RMSprop(0.01, **kwargs)
    for g in grads:
        keras_opt.apply_gradients([(tf.constant(g), var)])
    expected = var.numpy()

    graph = tfcore.new_graph()
    with graph.as_default():
        ours = tf.compat.v1.Variable(start, use_resource=True)
        g = tfcore.placeholder(start.shape)
        step = RMSprop(0.01, **kwargs).apply_gradients([(g, ours)])
        with tfcore.session(graph=graph) as sess:
            sess.run(tf.compat.v1.global_variables_initializer())
            for value in grads:
                sess.run(step, {g: value})
            got = sess.run(ours)
    np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-7)
