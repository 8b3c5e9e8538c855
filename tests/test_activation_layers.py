"""The activation layers equal NumPy formulas (values, and derivatives including the
kinks as tf-keras takes them) on both activation paths, pass float64 gradient checks
away from the kinks, and refuse bad arguments naming the layer."""

import numpy as np
import pytest
import tensorflow as tf

import tfcore
from tfcore import activations
from tfcore.layers import (ELU, Activation, LeakyReLU, PReLU, ReLU, Softmax, ThresholdedReLU)

IMPLEMENTATIONS = pytest.mark.parametrize("impl", activations.IMPLEMENTATIONS)
# (rtol, atol): the fused path's LeakyRelu keeps its slope as a float32 attribute.
TOLERANCE = {"readable": (1e-12, 1e-14), "fused": (1e-7, 1e-14)}


def run(layer, x, impl="fused", r=None, mask=None, weights=None, shape=None):
    """Build `layer` on a float64 placeholder (batch unknown) under `impl`; return the
    output and the gradients of sum(y * r) w.r.t. the input and the trainable weights."""
    graph = tfcore.new_graph()
    with graph.as_default():
        xp = tfcore.placeholder(shape or (None,) + x.shape[1:], tf.float64)
        kwargs = {} if mask is None else {"mask": tf.constant(mask)}
        with activations.implementation(impl):
            y = layer(xp, **kwargs)
        r = np.ones(x.shape) if r is None else r
        grads = tf.gradients(tf.reduce_sum(y * r), [xp] + layer.trainable_variables)
        init = tf.compat.v1.global_variables_initializer()
        with tfcore.session(graph=graph) as sess:
            sess.run(init)
            if weights is not None:
                layer.set_weights(sess, weights)
            return sess.run([y, grads], {xp: x})


def keras_relu(x, a=0.0, m=None, t=0.0):
    """tf-keras backend.relu in NumPy: (value, derivative) with its ops' derivatives at the kinks."""
    if a != 0 and m is None and t == 0:  # tf.nn.leaky_relu: slope a at 0
        return np.where(x > 0, x, a * x), np.where(x > 0, 1.0, a)
    if t != 0:
        p, dp = x * (x > t), (x > t).astype(float)
    elif m == 6:  # tf.nn.relu6: derivative 0 at 0 and at 6
        p, dp, m = np.clip(x, 0, 6), ((x > 0) & (x < 6)).astype(float), None
    else:
        p, dp = np.maximum(x, 0), (x > 0).astype(float)
    if m is not None:  # clip_by_value = minimum, then maximum: passes where p <= m
        dp = dp * (p <= m)
        p = np.minimum(p, m)
    return p - a * np.maximum(t - x, 0), dp + a * (x < t)


def with_points(rng, shape, points):
    """Random values in [-8, 8) with some entries replaced by each of `points` (the kinks)."""
    x = rng.uniform(-8, 8, shape)
    flat = x.reshape(-1)
    for i, p in zip(rng.choice(flat.size, len(points) * 3, replace=False), points * 3):
        flat[i] = p
    return x


RELU_ARGS = [
    {},
    {"negative_slope": 0.1},
    {"max_value": 1.0},
    {"max_value": 6.0},
    {"max_value": 6, "negative_slope": 0.2},
    {"max_value": 0.0},
    {"max_value": 2.5, "negative_slope": 0.3},
    {"threshold": 1.0},
    {"threshold": 1.5, "negative_slope": 0.1},
    {"threshold": 1.0, "max_value": 2.0, "negative_slope": 0.1},
    {"threshold": 3.0, "max_value": 2.0},
    {"threshold": 6.0, "max_value": 6.0, "negative_slope": 0.5},
]


@IMPLEMENTATIONS
@pytest.mark.parametrize("kwargs", RELU_ARGS, ids=str)
def test_relu_equals_keras_formula_with_its_derivatives_at_the_kinks(rng, impl, kwargs):
    a, m, t = kwargs.get("negative_slope", 0.0), kwargs.get("max_value"), kwargs.get("threshold", 0.0)
    x = with_points(rng, (4, 3, 5), [0.0, t, 6.0] + ([m] if m is not None else []))
    (y, (dx,)) = run(ReLU(**kwargs), x, impl)
    value, derivative = keras_relu(x, a, m, t)
    rtol, atol = TOLERANCE[impl]
    np.testing.assert_allclose(y, value, rtol=rtol, atol=atol)
    np.testing.assert_allclose(dx, derivative, rtol=rtol, atol=atol)


def test_relu_kink_derivatives_are_the_documented_ones():
    x = np.array([[0.0, 5.0, 6.0, 1.0]])
    assert run(ReLU(negative_slope=0.25), x)[1][0][0, 0] == 0.25           # leaky_relu at 0
    assert run(ReLU(negative_slope=0.25, max_value=5), x)[1][0][0, 0] == 0  # relu at 0
    assert run(ReLU(max_value=5), x)[1][0][0, 1] == 1                       # minimum at m
    assert run(ReLU(max_value=6), x)[1][0][0, 2] == 0                       # relu6 at 6
    assert run(ReLU(threshold=1, negative_slope=0.5), x)[1][0][0, 3] == 0   # at the threshold


@IMPLEMENTATIONS
@pytest.mark.parametrize("alpha", [0.3, 0.01, 0.0, -0.5, 1.7])
def test_leaky_relu_equals_numpy(rng, impl, alpha):
    x = with_points(rng, (5, 6), [0.0])
    y, (dx,) = run(LeakyReLU(alpha), x, impl)
    rtol, atol = TOLERANCE[impl]
    np.testing.assert_allclose(y, np.where(x > 0, x, alpha * x), rtol=rtol, atol=atol)
    np.testing.assert_allclose(dx, np.where(x > 0, 1.0, alpha if alpha else 0.0), rtol=rtol, atol=atol)


def test_leaky_relu_default_slope_is_keras_layers_0_3():
    y, _ = run(LeakyReLU(), np.array([[-1.0, 2.0]]), "readable")
    np.testing.assert_allclose(y, [[-0.3, 2.0]], rtol=1e-15)


@IMPLEMENTATIONS
@pytest.mark.parametrize("alpha", [1.0, 0.5, 2.0])
def test_elu_equals_numpy(rng, impl, alpha):
    x = with_points(rng, (4, 7), [0.0])
    y, (dx,) = run(ELU(alpha), x, impl)
    np.testing.assert_allclose(y, np.where(x > 0, x, alpha * np.expm1(x)), rtol=1e-7, atol=1e-14)
    np.testing.assert_allclose(dx, np.where(x > 0, 1.0, alpha * np.exp(x)), rtol=1e-7, atol=1e-14)


@pytest.mark.parametrize("theta", [1.0, 0.0, 2.5])
def test_thresholded_relu_equals_numpy(rng, theta):
    x = with_points(rng, (3, 8), [theta])
    y, (dx,) = run(ThresholdedReLU(theta), x)
    np.testing.assert_array_equal(y, x * (x > theta))
    np.testing.assert_array_equal(dx, (x > theta).astype(float))


@IMPLEMENTATIONS
@pytest.mark.parametrize("shape,shared_axes", [((4, 5), None), ((3, 4, 5, 2), [1, 2]),
                                               ((3, 4, 5, 2), 3), ((2, 3, 4), (1,))])
def test_prelu_equals_numpy_with_its_alpha_gradient(rng, impl, shape, shared_axes):
    x = with_points(rng, shape, [0.0])
    r = rng.randn(*shape)
    alpha_shape = [1 if shared_axes is not None and i in np.atleast_1d(shared_axes) else shape[i]
                   for i in range(1, len(shape))]
    alpha = rng.uniform(-1, 1, alpha_shape)
    layer = PReLU(shared_axes=shared_axes)
    y, (dx, dalpha) = run(layer, x, impl, r=r, weights=[alpha])
    assert layer.alpha.name == "p_re_lu/alpha:0" and layer.alpha.shape.as_list() == alpha_shape
    np.testing.assert_allclose(y, np.maximum(x, 0) - alpha * np.maximum(-x, 0), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(dx, r * ((x > 0) + alpha * (x < 0)), rtol=1e-12, atol=1e-14)
    summed = tuple(i for i in range(len(shape)) if i == 0 or alpha_shape[i - 1] == 1 and shape[i] > 1)
    expected = (r * np.minimum(x, 0)).sum(axis=summed, keepdims=True)[0]
    np.testing.assert_allclose(dalpha, expected.reshape(alpha_shape), rtol=1e-12, atol=1e-12)


def test_prelu_starts_as_relu_and_takes_unknown_shared_axes(rng):
    x = rng.randn(2, 5, 3)
    y, _ = run(PReLU(shared_axes=1), x, shape=(None, None, 3))
    np.testing.assert_array_equal(y, np.maximum(x, 0))


def test_prelu_regularizer_and_constraint_reach_alpha():
    with tfcore.new_graph().as_default():
        layer = PReLU(alpha_regularizer="l2", alpha_constraint="non_neg")
        layer(tfcore.placeholder((None, 3)))
        assert len(layer.losses) == 1
        assert layer.alpha.constraint is not None


def _softmax(x, axis):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


@IMPLEMENTATIONS
@pytest.mark.parametrize("axis", [-1, 1, 0, [1, 2], [-1], (0, 2)])
@pytest.mark.parametrize("masked", [None, "add", "robust"])
def test_softmax_equals_numpy_with_axis_and_mask(rng, impl, axis, masked):
    x = rng.randn(3, 4, 5) * 3
    r = rng.randn(3, 4, 5)
    mask = None if masked is None else rng.rand(3, 4, 5) > 0.3
    layer = Softmax(axis=axis, robust_masking=masked == "robust")
    y, (dx,) = run(layer, x, impl, r=r, mask=mask, shape=x.shape)
    axes = tuple(axis) if isinstance(axis, (list, tuple)) else axis
    logits = x if mask is None else x + (1.0 - mask) * -1e9
    expected = _softmax(logits, axes)
    np.testing.assert_allclose(y, expected, rtol=1e-10, atol=1e-15)
    # dx_i = y_i (r_i - sum_j r_j y_j); masked entries get (almost) 0.
    np.testing.assert_allclose(dx, expected * (r - (r * expected).sum(axis=axes, keepdims=True)),
                               rtol=1e-9, atol=1e-14)


def test_softmax_mask_broadcasts_and_accepts_floats(rng):
    x = rng.randn(2, 3, 4)
    mask = np.array([[[1.0, 0.0, 1.0, 1.0]], [[0.0, 0.0, 1.0, 0.0]]])  # (2, 1, 4)
    y, _ = run(Softmax(), x, mask=mask)
    np.testing.assert_allclose(y, _softmax(np.where(mask > 0, x, -np.inf), -1), rtol=1e-12, atol=0)
    y, _ = run(Softmax(robust_masking=True), x, mask=0.4 + 0.2 * mask)  # > 0.5 keeps: 0.6, not 0.4
    np.testing.assert_allclose(y, _softmax(np.where(mask > 0, x, -np.inf), -1), rtol=1e-12, atol=0)


@pytest.mark.parametrize("name", ["relu", "tanh", "softmax", None, "LeakyReLU"])
def test_activation_layer_is_the_function(rng, name):
    x = rng.randn(3, 4)
    y, _ = run(Activation(name), x, "readable")
    with tfcore.new_graph().as_default() as graph, activations.implementation("readable"):
        expected = activations.get(name)(tf.constant(x))
        with tfcore.session(graph=graph) as sess:
            np.testing.assert_allclose(y, sess.run(expected), rtol=1e-15)
    y, _ = run(Activation(lambda t: 2.0 * t), x)
    np.testing.assert_allclose(y, 2 * x)


def test_readable_block_reaches_the_layers():
    kinds = {}
    for impl in activations.IMPLEMENTATIONS:
        with tfcore.new_graph().as_default() as graph:
            x = tfcore.placeholder((None, 4))
            with activations.implementation(impl):
                ReLU()(x), LeakyReLU()(x), ELU()(x), Softmax()(x), PReLU()(x), ReLU(max_value=6)(x)
            kinds[impl] = {op.type for op in graph.get_operations()}
    fused = {"Relu", "LeakyRelu", "Elu", "Softmax", "Relu6"}
    assert fused <= kinds["fused"]
    assert not fused & kinds["readable"]


@pytest.mark.parametrize("make", [
    lambda: ReLU(max_value=2.0, negative_slope=0.2, threshold=0.5),
    lambda: ReLU(max_value=6.0, negative_slope=0.1),
    lambda: ReLU(negative_slope=0.3),
    lambda: LeakyReLU(),
    lambda: ELU(0.7),
    lambda: ThresholdedReLU(0.5),
    lambda: PReLU(alpha_initializer=lambda shape, dtype: tf.fill(shape, tf.constant(0.4, dtype)),
                  shared_axes=[2]),
    lambda: Softmax(axis=1),
    lambda: Softmax(axis=[1, 2]),
    lambda: Activation("elu"),
], ids=["relu_all", "relu6_slope", "relu_leaky", "leaky", "elu", "thresholded", "prelu", "softmax",
        "softmax_axes", "activation"])
@IMPLEMENTATIONS
def test_activation_layers_pass_gradient_check_away_from_kinks(rng, make, impl):
    x = rng.uniform(-3, 7, (2, 3, 4))
    for kink in (0.0, 0.5, 2.0, 6.0):  # keep 0.01 away from every kink (delta is 1e-5)
        x = np.where(np.abs(x - kink) < 0.01, kink + 0.02, x)

    def build(x):
        with activations.implementation(impl):
            return make()(x)

    tfcore.check_gradients(build, {"x": x}, name="activation layer")


def test_softmax_mask_gradient_check(rng):
    mask = rng.rand(2, 3, 4) > 0.4
    tfcore.check_gradients(lambda x: Softmax()(x, mask=tf.constant(mask)), {"x": rng.randn(2, 3, 4)},
                           name="masked softmax")


def test_bad_arguments_name_the_layer():
    with pytest.raises(ValueError, match=r"re_lu: max_value must be in \[0, inf\], got -1"):
        ReLU(max_value=-1)
    with pytest.raises(ValueError, match=r"re_lu: negative_slope must be in \[0, inf\]"):
        ReLU(negative_slope=-0.1)
    with pytest.raises(ValueError, match="re_lu: negative_slope of a ReLU layer cannot be None"):
        ReLU(negative_slope=None)
    with pytest.raises(ValueError, match=r"re_lu: threshold must be in \[0, inf\]"):
        ReLU(threshold=-1.0)
    with pytest.raises(ValueError, match="re_lu: threshold of a ReLU layer cannot be None"):
        ReLU(threshold=None)
    with pytest.raises(TypeError, match="my_relu: max_value must be a number"):
        ReLU(max_value="6", name="my_relu")
    with pytest.raises(ValueError, match="leaky_re_lu: alpha of a LeakyReLU layer cannot be None"):
        LeakyReLU(None)
    with pytest.raises(ValueError, match="elu: alpha of a ELU layer cannot be None"):
        ELU(None)
    with pytest.raises(ValueError, match="thresholded_re_lu: theta of a ThresholdedReLU layer cannot "
                                         "be None"):
        ThresholdedReLU(None)
    with pytest.raises(ValueError, match=r"thresholded_re_lu: theta must be in \[0, inf\]"):
        ThresholdedReLU(-0.5)
    with pytest.raises(ValueError, match="activation: Unknown activation 'rleu'"):
        Activation("rleu")
    with pytest.raises(ValueError, match="p_re_lu: shared_axes must be distinct axes >= 1"):
        PReLU(shared_axes=[0])
    with pytest.raises(ValueError, match="p_re_lu: shared_axes must be distinct axes >= 1"):
        PReLU(shared_axes=-1)
    with pytest.raises(ValueError, match="softmax: axis must be an int or a non-empty list"):
        Softmax(axis=[])


def test_bad_inputs_name_the_layer():
    with tfcore.new_graph().as_default():
        with pytest.raises(ValueError, match=r"p_re_lu: shared_axes 3 is out of range for an input of rank 3 \(shape \(None, 4, 5\)\)"):
            PReLU(shared_axes=3)(tfcore.placeholder((None, 4, 5)))
        with pytest.raises(ValueError, match="p_re_lu: the input's sizes must be known"):
            PReLU(shared_axes=1)(tfcore.placeholder((None, 4, None)))
        layer = PReLU(shared_axes=1)
        layer(tfcore.placeholder((None, 4, 5)))
        layer(tfcore.placeholder((None, 7, 5)))  # a shared axis may change size
        with pytest.raises(ValueError, match=r"p_re_lu: input has 6 features, but .* built for 5 \(axis 2"):
            layer(tfcore.placeholder((None, 4, 6)))
        with pytest.raises(ValueError, match="softmax: cannot apply softmax to a tensor of rank 1"):
            Softmax()(tfcore.placeholder((None,)))


def test_softmax_mask_in_float16_stays_finite(rng):
    # -1e9 is -inf in float16, and (1 - 1) * -inf = NaN at the kept positions: Keras (and
    # so the layer) adds half of float16's most negative value instead.
    x = rng.randn(2, 5).astype(np.float16)
    mask = np.array([[1, 0, 1, 1, 0], [0, 0, 0, 1, 0]], bool)
    with tfcore.new_graph().as_default() as graph:
        y = Softmax()(tf.constant(x), mask=tf.constant(mask))
        with tfcore.session(graph=graph) as sess:
            y = sess.run(y)
    expected = _softmax(np.where(mask, x.astype(np.float64), -np.inf), -1)
    np.testing.assert_allclose(y, expected, rtol=0, atol=2e-3)
