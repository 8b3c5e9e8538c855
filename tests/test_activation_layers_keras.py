"""The activation layers equal tf-keras's: forward and gradients (at the kinks too), random
shapes and arguments, on both activation paths; PReLU with copied alpha and shared_axes;
Softmax with axes and masks."""

import numpy as np
import pytest
import tensorflow as tf

from tests.oracle import compare_with_keras, keras, keras_and_tfcore
import tfcore
import tfcore.layers as ours
from tfcore import activations

pytestmark = pytest.mark.keras

IMPLEMENTATIONS = pytest.mark.parametrize("impl", activations.IMPLEMENTATIONS)


def random_shape(rng, min_rank=2, max_rank=4):
    return tuple(int(d) for d in rng.randint(1, 6, size=rng.randint(min_rank, max_rank + 1)))


def with_points(rng, shape, points):
    """float32 values in [-8, 8), quarter-steps so that some land on the kinks, plus the kinks."""
    x = np.round(rng.uniform(-8, 8, shape) * 4) / 4
    flat = x.reshape(-1)
    n = min(flat.size, len(points))
    for i, p in zip(rng.choice(flat.size, n, replace=False), rng.permutation(points)[:n]):
        flat[i] = p
    return x.astype(np.float32)


@IMPLEMENTATIONS
@pytest.mark.parametrize("seed", range(12))
def test_relu_equals_keras_with_random_arguments_on_the_kinks(impl, seed):
    rng = np.random.RandomState(seed)
    kwargs = {}
    if rng.rand() < 0.6:
        kwargs["max_value"] = float(rng.choice([0.0, 1.0, 2.5, 6.0, 6.0]))
    if rng.rand() < 0.6:
        kwargs["negative_slope"] = float(rng.choice([0.1, 0.25, 0.3, 1.0, 2.0]))
    if rng.rand() < 0.5:
        kwargs["threshold"] = float(rng.choice([0.5, 1.0, 2.0, 6.0]))
    points = [0.0, 6.0, kwargs.get("threshold", 0.0), kwargs.get("max_value") or 0.0] * 3
    x = with_points(rng, random_shape(rng), points)
    with activations.implementation(impl):
        compare_with_keras(ours.ReLU(**kwargs), keras.layers.ReLU(**kwargs), x, rng)


@IMPLEMENTATIONS
@pytest.mark.parametrize("kwargs", [{}, {"negative_slope": 0.2}, {"max_value": 6.0},
                                    {"max_value": 6.0, "negative_slope": 0.2},
                                    {"max_value": 2.0, "negative_slope": 0.2},
                                    {"threshold": 1.0, "negative_slope": 0.5},
                                    {"threshold": 6.0, "max_value": 6.0}], ids=str)
def test_relu_equals_keras_on_every_kink(rng, impl, kwargs):
    x = np.array([[-2.0, -1.0, 0.0, 0.5, 1.0, 1.5, 2.0, 6.0, 7.0]], np.float32)
    with activations.implementation(impl):
        compare_with_keras(ours.ReLU(**kwargs), keras.layers.ReLU(**kwargs), x, rng, atol=1e-6)


@IMPLEMENTATIONS
@pytest.mark.parametrize("seed", range(4))
def test_leaky_relu_elu_thresholded_relu_equal_keras(impl, seed):
    rng = np.random.RandomState(seed)
    alpha = [None, 0.0, 0.05, 1.5][seed]
    theta = float(rng.choice([0.0, 0.5, 1.0, 3.0]))
    layer_args = {"LeakyReLU": {} if alpha is None else {"alpha": alpha},
                  "ELU": {} if alpha is None else {"alpha": alpha},
                  "ThresholdedReLU": {"theta": theta}}
    for name, kwargs in layer_args.items():
        x = with_points(rng, random_shape(rng), [0.0, theta] * 2)
        with activations.implementation(impl):
            compare_with_keras(getattr(ours, name)(**kwargs), getattr(keras.layers, name)(**kwargs),
                               x, rng)


@IMPLEMENTATIONS
@pytest.mark.parametrize("seed", range(8))
def test_prelu_equals_keras_with_copied_alpha_and_shared_axes(impl, seed):
    rng = np.random.RandomState(100 + seed)
    shape = random_shape(rng, 2, 4)
    axes = [a for a in range(1, len(shape)) if rng.rand() < 0.5]
    shared_axes = None if not axes else (axes[0] if len(axes) == 1 and rng.rand() < 0.5 else axes)
    x = with_points(rng, shape, [0.0] * 3)
    layer = ours.PReLU(shared_axes=shared_axes)
    with activations.implementation(impl):
        compare_with_keras(layer, keras.layers.PReLU(shared_axes=shared_axes), x, rng)
    assert layer.alpha.shape.as_list() == [1 if a in axes else shape[a] for a in range(1, len(shape))]


@IMPLEMENTATIONS
@pytest.mark.parametrize("name", ["relu", "softmax", "elu", "selu", "gelu", "LeakyReLU", "swish",
                                  "hard_sigmoid", None])
def test_activation_layer_equals_keras(rng, impl, name):
    x = with_points(rng, random_shape(rng), [0.0] * 2)
    with activations.implementation(impl):
        compare_with_keras(ours.Activation(name), keras.layers.Activation(name), x, rng)


def _softmax_case(rng, seed):
    rank = rng.randint(2, 5)
    shape = random_shape(rng, rank, rank)
    choice = seed % 4
    if choice == 0:
        axis = -1
    elif choice == 1:
        axis = int(rng.randint(-rank, rank))
    elif choice == 2:
        axis = [int(rng.randint(0, rank))]
    else:
        axis = sorted(int(a) for a in rng.choice(rank, size=2, replace=False))
    return shape, axis


@IMPLEMENTATIONS
@pytest.mark.parametrize("seed", range(8))
def test_softmax_equals_keras_with_axis(impl, seed):
    rng = np.random.RandomState(200 + seed)
    shape, axis = _softmax_case(rng, seed)
    x = (rng.randn(*shape) * 3).astype(np.float32)
    with activations.implementation(impl):
        compare_with_keras(ours.Softmax(axis=axis), keras.layers.Softmax(axis=axis), x, rng)


@IMPLEMENTATIONS
@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize("robust", [False, True])
def test_softmax_equals_keras_with_mask(impl, seed, robust):
    rng = np.random.RandomState(300 + seed)
    shape, axis = _softmax_case(rng, seed)
    x = (rng.randn(*shape) * 3).astype(np.float32)
    mask = rng.rand(*shape) > 0.3
    if seed % 3 == 1:  # a broadcast mask: size 1 along the first inner axis
        mask = mask[:, :1]
    if seed % 2:  # 0/1 floats (robust masking keeps > 0.5)
        mask = mask.astype(np.float32) * (0.75 if robust else 1.0)
    kwargs = {"axis": axis, "robust_masking": robust}
    with activations.implementation(impl):
        (out,), (y_ref,), g, g_ref, _ = keras_and_tfcore(
            keras.layers.Softmax(**kwargs), ours.Softmax(**kwargs), x, rng, 0.0,
            call_kwargs={"mask": mask}, placeholder_shape=x.shape)
    np.testing.assert_allclose(out, y_ref, rtol=0, atol=1e-6)
    np.testing.assert_allclose(g[0], g_ref[0], rtol=0, atol=1e-5)


@IMPLEMENTATIONS
@pytest.mark.parametrize("name,kwargs", [
    ("ReLU", {}), ("ReLU", {"max_value": 2.0}), ("ReLU", {"max_value": 6.0}),
    ("ReLU", {"threshold": 1.0}), ("ReLU", {"negative_slope": 0.1, "max_value": 2.0}),
    ("ReLU", {"negative_slope": 0.1, "threshold": 1.0}), ("ReLU", {"negative_slope": 0.1}),
    ("LeakyReLU", {}), ("ELU", {"alpha": 0.5}), ("ThresholdedReLU", {})], ids=str)
def test_nonfinite_inputs_give_keras_values(impl, name, kwargs):
    # NaN stays NaN; x * [x > t] at -inf is NaN in both (-inf * 0).
    x = np.array([[np.nan, np.inf, -np.inf, 0.0, 3.0, -2.0]], np.float32)
    expected = getattr(keras.layers, name)(**kwargs)(x).numpy()
    graph = tfcore.new_graph()
    with graph.as_default(), activations.implementation(impl):
        y = getattr(ours, name)(**kwargs)(tf.constant(x))
        with tfcore.session(graph=graph) as sess:
            np.testing.assert_array_equal(sess.run(y), expected)
