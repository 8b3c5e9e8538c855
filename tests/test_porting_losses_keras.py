"""Keras 2 losses port without workarounds (issue 23): cross-entropies from probabilities
and from logits, Keras's clipping and its reading of logits back from a Softmax/Sigmoid op
(G2); sample weights and masks (G3); (batch,) labels against (batch, 1) outputs (G4).
Oracles: tf-keras's loss objects (eager), and `evaluate` of a compiled tf-keras model."""

import numpy as np
import pytest
import tensorflow as tf

from tests.oracle import keras
import tfcore
from tfcore import losses

pytestmark = pytest.mark.keras


def _ours(loss, labels, predictions, through=None, label_dtype=None, **kwargs):
    """tfcore's loss and its gradient with respect to the network input `predictions`
    (`through(x)`: e.g. a softmax, so the loss sees a Softmax op's output)."""
    dtype = tf.float64 if predictions.dtype == np.float64 else tf.float32
    graph = tfcore.new_graph()
    with graph.as_default():
        x = tfcore.placeholder(predictions.shape, dtype)
        y = tf.constant(labels, label_dtype or (tf.int64 if labels.dtype.kind == "i" else dtype))
        feeds = {k: tf.constant(v) for k, v in kwargs.items() if isinstance(v, np.ndarray)}
        args = {k: feeds.get(k, v) for k, v in kwargs.items()}
        value = loss(y, through(x) if through else x, **args)
        grad = tf.gradients(value, x)[0]
    with tfcore.session(graph=graph) as sess:
        return sess.run([value, grad], {x: predictions})


def _keras(keras_loss, labels, predictions, through=None, mask=None, **kwargs):
    x = tf.constant(predictions)
    with tf.GradientTape() as tape:
        tape.watch(x)
        output = through(x) if through else x
        if mask is not None:
            output._keras_mask = tf.constant(mask)  # what a masking layer leaves on its output
        value = keras_loss(tf.constant(labels), output, **kwargs)
    return value.numpy(), tape.gradient(value, x).numpy()


def _compare(ours, ref, atol=1e-5, grad_atol=1e-4):
    (value, grad), (ref_value, ref_grad) = ours, ref
    assert np.isfinite(value).all() and np.isfinite(grad).all()
    np.testing.assert_allclose(value, ref_value, rtol=1e-5, atol=atol)  # (or a vector of them)
    np.testing.assert_allclose(grad, ref_grad, rtol=1e-4, atol=grad_atol)


def _probabilities(rng, shape, axis=-1, extreme=False, dtype=np.float32):
    """Random probabilities along `axis`; `extreme` puts exact 0s, 1e-9s and near-1s in."""
    p = rng.dirichlet(np.ones(shape[axis]) * 0.5, size=int(np.prod(shape)) // shape[axis])
    p = np.moveaxis(p.reshape(tuple(np.delete(shape, axis)) + (shape[axis],)), -1, axis)
    if extreme:
        flat = p.reshape(-1)
        flat[rng.rand(flat.size) < 0.2] = 0.0
        flat[rng.rand(flat.size) < 0.1] = 1e-9
        flat[rng.rand(flat.size) < 0.1] = 1.0 - 1e-8
    return p.astype(dtype)


CASES = [(axis, extreme, dtype) for axis in (-1, 1) for extreme in (False, True)
         for dtype in (np.float32, np.float64)]


@pytest.mark.parametrize("axis, extreme, dtype", CASES)
def test_categorical_crossentropy_from_probabilities_equals_keras(rng, axis, extreme, dtype):
    p = _probabilities(rng, (4, 5, 3), axis, extreme, dtype)
    classes = p.shape[axis]
    ids = rng.randint(0, classes, np.delete(p.shape, axis % 3))
    labels = np.moveaxis(np.eye(classes)[ids], -1, axis).astype(dtype)
    _compare(_ours(losses.categorical_crossentropy, labels, p, axis=axis),
             _keras(keras.losses.CategoricalCrossentropy(axis=axis), labels, p))


@pytest.mark.parametrize("axis, extreme, dtype", CASES)
def test_sparse_categorical_crossentropy_from_probabilities_equals_keras(rng, axis, extreme, dtype):
    p = _probabilities(rng, (4, 5, 3), axis, extreme, dtype)
    labels = rng.randint(0, p.shape[axis], (4, 3) if axis == 1 else (4, 5))
    ours = _ours(losses.sparse_categorical_crossentropy, labels, p, axis=axis)
    if axis == -1:
        ref = _keras(keras.losses.SparseCategoricalCrossentropy(), labels, p)
    else:  # tf-keras's loss object has no axis; its function has
        ref = _keras(lambda y, q: tf.reduce_mean(keras.losses.sparse_categorical_crossentropy(y, q, axis=1)),
                     labels, p)
    _compare(ours, ref)


@pytest.mark.parametrize("extreme, dtype", [(False, np.float32), (True, np.float32), (True, np.float64)])
def test_binary_crossentropy_from_probabilities_equals_keras(rng, extreme, dtype):
    p = _probabilities(rng, (6, 2), extreme=extreme, dtype=dtype)
    labels = (rng.rand(6, 2) > 0.5).astype(dtype)
    _compare(_ours(losses.binary_crossentropy, labels, p),
             _keras(keras.losses.BinaryCrossentropy(), labels, p))


@pytest.mark.parametrize("scale", [1.0, 30.0])
def test_a_softmax_output_is_read_back_as_logits_as_keras_does(rng, scale):
    """Confident wrong predictions: Keras computes from the softmax's logits (no clipping,
    the gradient stays); so does tfcore. Both the one-hot and the sparse loss."""
    logits = (rng.randn(6, 4) * scale).astype(np.float32)
    ids = rng.randint(0, 4, 6)
    softmax = tf.nn.softmax
    _compare(_ours(losses.categorical_crossentropy, np.eye(4, dtype=np.float32)[ids], logits, softmax),
             _keras(keras.losses.CategoricalCrossentropy(), np.eye(4, dtype=np.float32)[ids], logits,
                    keras.activations.softmax))
    _compare(_ours(losses.sparse_categorical_crossentropy, ids, logits, softmax),
             _keras(keras.losses.SparseCategoricalCrossentropy(), ids, logits, keras.activations.softmax))
    labels = (rng.rand(6, 4) > 0.5).astype(np.float32)
    _compare(_ours(losses.binary_crossentropy, labels, logits, tf.sigmoid),
             _keras(keras.losses.BinaryCrossentropy(), labels, logits, keras.activations.sigmoid))
    if scale > 1:  # the clipped formula would have a zero gradient for the saturated rows
        _, clipped = _ours(losses.categorical_crossentropy, np.eye(4, dtype=np.float32)[ids], logits,
                           lambda z: tf.identity(tf.nn.softmax(z)))
        _, read_back = _ours(losses.categorical_crossentropy, np.eye(4, dtype=np.float32)[ids], logits,
                             softmax)
        assert np.abs(clipped - read_back).max() > 1e-3


@pytest.mark.parametrize("name", ["categorical", "sparse", "binary"])
def test_from_logits_equals_keras(rng, name):
    logits = (rng.randn(5, 3) * 4).astype(np.float32)
    ids = rng.randint(0, 3, 5)
    labels = {"categorical": np.eye(3, dtype=np.float32)[ids], "sparse": ids,
              "binary": (rng.rand(5, 3) > 0.5).astype(np.float32)}[name]
    ours = {"categorical": losses.categorical_crossentropy, "binary": losses.binary_crossentropy,
            "sparse": losses.sparse_categorical_crossentropy}[name]
    ref = {"categorical": keras.losses.CategoricalCrossentropy, "binary": keras.losses.BinaryCrossentropy,
           "sparse": keras.losses.SparseCategoricalCrossentropy}[name](from_logits=True)
    _compare(_ours(ours, labels, logits, from_logits=True), _keras(ref, labels, logits))


# ---------------------------------------------------------------------------
# G3: sample weights and masks
# ---------------------------------------------------------------------------

WEIGHTED = {
    "mse": (losses.mean_squared_error, keras.losses.MeanSquaredError, "real"),
    "mae": (losses.mean_absolute_error, keras.losses.MeanAbsoluteError, "real"),
    "binary": (losses.binary_crossentropy, keras.losses.BinaryCrossentropy, "binary"),
    "categorical": (losses.categorical_crossentropy, keras.losses.CategoricalCrossentropy, "one_hot"),
    "sparse": (losses.sparse_categorical_crossentropy, keras.losses.SparseCategoricalCrossentropy, "ids"),
    "sparse_logits": (lambda y, p, **kw: losses.sparse_categorical_crossentropy(y, p, from_logits=True, **kw),
                      lambda **kw: keras.losses.SparseCategoricalCrossentropy(from_logits=True, **kw), "ids"),
}


def _labels(rng, kind, shape):
    if kind == "real":
        return rng.randn(*shape).astype(np.float32)
    if kind == "binary":
        return (rng.rand(*shape) > 0.5).astype(np.float32)
    ids = rng.randint(0, shape[-1], shape[:-1])
    return ids if kind == "ids" else np.eye(shape[-1], dtype=np.float32)[ids]


@pytest.mark.parametrize("name", sorted(WEIGHTED))
@pytest.mark.parametrize("weights", ["batch", "steps", "with_mask", "mask"])
def test_sample_weight_and_mask_equal_keras(rng, name, weights):
    """(batch, time, classes) outputs: weights per example or per step, a mask per step; each
    reduction ("none" through the sum of its per-step losses), values and gradients."""
    ours, ref, kind = WEIGHTED[name]
    p = _probabilities(rng, (4, 5, 3))
    labels = _labels(rng, kind, (4, 5, 3))
    mask = rng.rand(4, 5) > 0.3
    mask[0] = False  # a whole padded example
    w = rng.rand(*((4,) if weights == "batch" else (4, 5))).astype(np.float32)
    kwargs = {} if weights == "mask" else {"sample_weight": w}
    mask = mask if weights in ("with_mask", "mask") else None
    coefficients = np.array([1.0, 0.3, 0.1], np.float32)  # one gradient for the three reductions

    def all_three(reduce):
        def loss(y, q, **kw):
            values = tf.stack([tf.reduce_sum(reduce(r, y, q, **kw)) for r in ("mean", "sum", "none")])
            return values, tf.reduce_sum(values * coefficients)
        return loss

    keras_names = {"mean": "sum_over_batch_size", "sum": "sum", "none": "none"}
    graph = tfcore.new_graph()
    with graph.as_default():
        x = tfcore.placeholder(p.shape)
        values, total = all_three(lambda r, y, q, **kw: ours(y, q, reduction=r, **kw))(
            tf.constant(labels), x, mask=mask, **kwargs)
        grad = tf.gradients(total, x)[0]
        with tfcore.session(graph=graph) as sess:
            got = sess.run([values, grad], {x: p})
    q = tf.constant(p)
    with tf.GradientTape() as tape:
        tape.watch(q)
        output = tf.identity(q)
        if mask is not None:
            output._keras_mask = tf.constant(mask)  # what a masking layer leaves on its output
        want_values, want_total = all_three(lambda r, y, o, **kw: ref(reduction=keras_names[r])(y, o, **kw))(
            tf.constant(labels), output, **kwargs)
    _compare(got, (want_values.numpy(), tape.gradient(want_total, q).numpy()))


# ---------------------------------------------------------------------------
# G4: (batch,) labels against (batch, 1) outputs, as tf-keras's fit takes them
# ---------------------------------------------------------------------------

FIT_LOSSES = {
    "mse": (losses.mean_squared_error, "mse", None),
    "mae": (losses.mean_absolute_error, "mae", None),
    "binary_probabilities": (losses.binary_crossentropy, "binary_crossentropy", "sigmoid"),
    "binary_logits": (lambda y, p, **kw: losses.binary_crossentropy(y, p, from_logits=True, **kw),
                      keras.losses.BinaryCrossentropy(from_logits=True), None),
    "sparse_probabilities": (losses.sparse_categorical_crossentropy, "sparse_categorical_crossentropy",
                             "softmax"),
}


@pytest.mark.parametrize("name", sorted(FIT_LOSSES))
def test_batch_labels_and_sample_weight_equal_keras_evaluate(rng, name):
    """A compiled tf-keras Dense model's `evaluate(x, y, sample_weight=w)` with (batch,) labels
    and weights, against tfcore's loss on the same outputs."""
    ours, keras_loss, activation = FIT_LOSSES[name]
    units = 3 if name.startswith("sparse") else 1
    model = keras.Sequential([keras.layers.Dense(units, activation=activation, input_shape=(4,))])
    model.compile(keras.optimizers.legacy.SGD(0.0), keras_loss)
    x = rng.randn(8, 4).astype(np.float32)
    y = (rng.randint(0, units, 8) if units > 1 else rng.rand(8) > 0.5).astype(
        np.int64 if units > 1 else np.float32)
    w = rng.rand(8).astype(np.float32)
    expected = model.evaluate(x, y, sample_weight=w, batch_size=8, verbose=0)
    kernel, bias = model.get_weights()
    graph = tfcore.new_graph()
    with graph.as_default():
        z = tf.constant(x) @ kernel + bias
        output = {"sigmoid": tf.sigmoid, "softmax": tf.nn.softmax, None: tf.identity}[activation](z)
        value = ours(tf.constant(y), output, sample_weight=tf.constant(w))
        with tfcore.session(graph=graph) as sess:
            np.testing.assert_allclose(sess.run(value), expected, rtol=1e-5, atol=1e-6)


def test_where_tfcore_departs_from_keras_loss_objects_on_purpose(rng):
    """docs/porting-from-keras.md's differences: a tf-keras loss object broadcasts (batch,)
    labels against (batch, 1) outputs to (batch, batch); tfcore takes them as Keras's fit
    does. An all-masked batch: NaN in tf-keras, 0 in tfcore."""
    y, p = rng.rand(6).astype(np.float32), rng.rand(6, 1).astype(np.float32)
    broadcast = keras.losses.MeanSquaredError()(y, p).numpy()
    np.testing.assert_allclose(broadcast, np.mean((p - y) ** 2), rtol=1e-6)  # (6, 6)
    ours, _ = _ours(losses.mean_squared_error, y, p)
    np.testing.assert_allclose(ours, np.mean((p[:, 0] - y) ** 2), rtol=1e-6)
    mask = np.zeros((6, 1), bool)
    assert np.isnan(_keras(keras.losses.MeanSquaredError(), y[:, None], p, mask=mask[:, 0])[0])
    assert _ours(losses.mean_squared_error, y[:, None], p, mask=mask[:, 0])[0] == 0.0
