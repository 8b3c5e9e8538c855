"""LSTM and GRU equal tf-keras (Keras 2) with copied weights: forward, final states,
stacks, gradients, and the stateful protocol batch after batch."""

import numpy as np
import pytest
import tensorflow as tf

from tests.oracle import keras
import tfcore
from tfcore.layers.recurrent import GRU, LSTM

pytestmark = pytest.mark.keras

KINDS = {
    "lstm": (LSTM, keras.layers.LSTM, {}),
    "gru": (GRU, keras.layers.GRU, {"reset_after": True}),
    "gru-reset-before": (GRU, keras.layers.GRU, {"reset_after": False}),
}


def _keras_layer(kind, units, rng, input_shape, **kwargs):
    """A built tf-keras layer with its initial weights perturbed (so biases are not all zero)."""
    _, keras_class, options = KINDS[kind]
    layer = keras_class(units, **options, **kwargs)
    layer.build(input_shape)
    layer.set_weights([w + rng.uniform(-0.2, 0.2, w.shape).astype(np.float32)
                       for w in layer.get_weights()])
    return layer


def _tfcore_run(make_layer, x, weights_per_layer, static_time=True):
    """Build a stack of tfcore layers on a placeholder, copy weights in, run on `x`."""
    graph = tfcore.new_graph()
    with graph.as_default():
        xp = tfcore.placeholder((None, x.shape[1] if static_time else None, x.shape[2]))
        layers = make_layer()
        out = xp
        for layer in layers:
            out = layer(out)
        with tfcore.session(graph=graph) as sess:
            for layer, weights in zip(layers, weights_per_layer):
                layer.set_weights(sess, weights)
            return sess.run(out, {xp: x})


# Random shapes (batch, time up to 30, features, units), one per case, from a fixed seed.
_shape_rng = np.random.RandomState(2024)
CASES = []
for kind, implementation in [("lstm", "block"), ("lstm", "unroll"), ("lstm", "while"),
                             ("gru", "unroll"), ("gru", "while"),
                             ("gru-reset-before", "unroll"), ("gru-reset-before", "while")]:
    for return_sequences in (False, True):
        shape = tuple(int(n) for n in (_shape_rng.randint(1, 7), _shape_rng.randint(1, 31),
                                       _shape_rng.randint(1, 7), _shape_rng.randint(1, 9)))
        CASES.append((kind, implementation, return_sequences, shape))


@pytest.mark.parametrize("kind,implementation,return_sequences,shape", CASES)
def test_forward_outputs_and_final_states_equal_keras(kind, implementation, return_sequences, shape):
    batch, steps, features, units = shape
    rng = np.random.RandomState(sum(shape))
    x = rng.randn(batch, steps, features).astype(np.float32)
    ref = _keras_layer(kind, units, rng, (batch, steps, features),
                       return_sequences=return_sequences, return_state=True)
    expected = [t.numpy() for t in ref(x)]
    ours_class, _, options = KINDS[kind]
    got = _tfcore_run(
        lambda: [ours_class(units, return_sequences=return_sequences, return_state=True,
                            implementation=implementation, **options)],
        x, [ref.get_weights()], static_time=implementation == "unroll")
    assert len(got) == len(expected)
    for a, b in zip(got, expected):
        assert a.shape == b.shape
        np.testing.assert_allclose(a, b, atol=1e-5)


@pytest.mark.parametrize("kind", ["lstm", "gru"])
def test_initial_weights_copy_from_tfcore_to_keras(rng, kind):
    # The other direction: tfcore's own initial weights, loaded into Keras
    # (with go_backwards and a given initial state for good measure).
    ours_class, keras_class, options = KINDS[kind]
    x = rng.randn(3, 6, 4).astype(np.float32)
    state = [rng.randn(3, 5).astype(np.float32) for _ in (("h", "c") if kind == "lstm" else ("h",))]
    graph = tfcore.new_graph(seed=5)
    with graph.as_default():
        xp = tfcore.placeholder((None, 6, 4))
        layer = ours_class(5, go_backwards=True, return_sequences=True, **options)
        y = layer(xp, initial_state=[tf.constant(s) for s in state])
        with tfcore.session(graph=graph) as sess:
            sess.run(tf.compat.v1.global_variables_initializer())
            weights = layer.get_weights(sess)
            got = sess.run(y, {xp: x})
    ref = keras_class(5, go_backwards=True, return_sequences=True, **options)
    ref.build((3, 6, 4))
    ref.set_weights(weights)
    expected = ref(x, initial_state=[tf.constant(s) for s in state]).numpy()
    np.testing.assert_allclose(got, expected, atol=1e-5)


@pytest.mark.parametrize("first,second", [("lstm", "lstm"), ("gru", "lstm")])
def test_two_layer_stack_equals_keras_stack(rng, first, second):
    x = rng.randn(4, 12, 3).astype(np.float32)
    ref_first = _keras_layer(first, 6, rng, (4, 12, 3), return_sequences=True)
    ref_second = _keras_layer(second, 5, rng, (4, 12, 6))
    expected = ref_second(ref_first(x)).numpy()

    def make():
        return [KINDS[first][0](6, return_sequences=True, **KINDS[first][2]),
                KINDS[second][0](5, **KINDS[second][2])]

    got = _tfcore_run(make, x, [ref_first.get_weights(), ref_second.get_weights()])
    np.testing.assert_allclose(got, expected, atol=1e-5)


@pytest.mark.parametrize("kind,implementation", [
    ("lstm", "block"), ("lstm", "unroll"), ("lstm", "while"), ("gru", "unroll"),
    ("gru-reset-before", "while"),
])
def test_gradients_equal_keras_gradient_tape(rng, kind, implementation):
    x = rng.randn(3, 6, 2).astype(np.float32)
    ref = _keras_layer(kind, 4, rng, (3, 6, 2), return_sequences=True)
    xv = tf.constant(x)
    with tf.GradientTape() as tape:
        tape.watch(xv)
        y = ref(xv)
        loss = tf.reduce_sum(y * y)
    expected = [g.numpy() for g in tape.gradient(loss, [xv] + ref.trainable_weights)]

    weights = ref.get_weights()  # outside the tfcore graph: Keras reads eagerly there
    ours_class, _, options = KINDS[kind]
    with tfcore.new_graph().as_default():
        xp = tfcore.placeholder((3, 6, 2))
        layer = ours_class(4, return_sequences=True, implementation=implementation, **options)
        out = layer(xp)
        grads = tf.gradients(tf.reduce_sum(out * out), [xp] + layer.trainable_variables)
        with tfcore.session() as sess:
            layer.set_weights(sess, weights)
            got = sess.run(grads, {xp: x})
    for a, b in zip(got, expected):
        np.testing.assert_allclose(a, b, atol=1e-4, rtol=1e-5)


@pytest.mark.parametrize("implementation", ["block", "unroll"])
def test_stateful_lstm_equals_stateful_keras_lstm_batch_after_batch(rng, implementation):
    batch, steps, features, units = 5, 4, 2, 3
    batches = [rng.randn(batch, steps, features).astype(np.float32) for _ in range(3)]
    inputs = keras.Input(batch_size=batch, shape=(steps, features))
    ref = keras.layers.LSTM(units, stateful=True, return_sequences=True)
    model = keras.Model(inputs, ref(inputs))
    model.set_weights([w + rng.uniform(-0.2, 0.2, w.shape).astype(np.float32)
                       for w in model.get_weights()])
    weights = ref.get_weights()
    expected, expected_states = [], []
    for _ in range(2):  # the second round after a reset
        expected.append([model.predict_on_batch(x) for x in batches])
        expected_states.append([s.numpy() for s in ref.states])
        ref.reset_states()

    # The tfcore graph is built after Keras ran: Keras runs eagerly only outside it.
    graph = tfcore.new_graph()
    with graph.as_default():
        xp = tfcore.placeholder((batch, steps, features))
        layer = LSTM(units, stateful=True, batch_size=batch, return_sequences=True,
                     implementation=implementation)
        y = layer(xp)
        with tfcore.session(graph=graph) as sess:
            sess.run(tf.compat.v1.global_variables_initializer())
            layer.set_weights(sess, weights)
            for round_ in range(2):
                for i, x in enumerate(batches):
                    np.testing.assert_allclose(sess.run(y, {xp: x}), expected[round_][i], atol=1e-5,
                                               err_msg="round %d batch %d" % (round_, i))
                for a, b in zip(sess.run(layer.states), expected_states[round_]):
                    np.testing.assert_allclose(a, b, atol=1e-5)
                layer.reset_states(sess)


@pytest.mark.parametrize("kind", ["lstm", "gru"])
def test_while_loop_takes_a_batch_one_initial_state_with_an_unknown_batch_input(rng, kind):
    # The state's static batch (1) is known where the input's is not; the loop
    # must let it vary (1 broadcasts against x W to an unknown batch).
    shape, units = (1, 3, 2), 4
    ref = _keras_layer(kind, units, rng, shape, return_state=True)
    x = rng.randn(*shape).astype(np.float32)
    initial = [rng.randn(1, units).astype(np.float32) for _ in range(2 if kind == "lstm" else 1)]
    expected = ref(x, initial_state=[tf.constant(s) for s in initial])
    weights = ref.get_weights()

    tfcore_class, _, options = KINDS[kind]
    graph = tfcore.new_graph()
    with graph.as_default():
        xp = tfcore.placeholder((None,) + shape[1:])
        layer = tfcore_class(units, return_state=True, implementation="while", **options)
        out = layer(xp, initial_state=[tf.constant(s) for s in initial])
        with tfcore.session(graph=graph) as sess:
            layer.set_weights(sess, weights)
            got = sess.run(out, {xp: x})
    for a, b in zip(got, expected):
        np.testing.assert_allclose(a, b.numpy(), atol=1e-5)
