"""Activations equal TensorFlow's own ops and NumPy/SciPy formulas (values and
derivatives), stay finite at extreme inputs, and pass 1st/2nd-order gradient checks,
on both paths: the fused one (TensorFlow's kernels, the default) and the readable
formulas; and the two paths agree with each other at 0, +-inf and NaN."""


import numpy as np
import pytest
import scipy.special
import tensorflow as tf

import tfcore
from tfcore import activations

_SELU_ALPHA = 1.6732632423543772848170429916717  # Klambauer et al. 2017
_SELU_SCALE = 1.0507009873554804934193349852946

ORACLES = {
    "relu": tf.nn.relu,
    "tanh": tf.math.tanh,
    "sigmoid": tf.math.sigmoid,
    "softmax": tf.nn.softmax,
    "log_softmax": tf.nn.log_softmax,
    "elu": tf.nn.elu,
    "selu": tf.nn.selu,
    "softplus": tf.nn.softplus,
    "softsign": tf.nn.softsign,
    "swish": tf.nn.silu,
    "silu": tf.nn.silu,
    "gelu": tf.nn.gelu,
    "exponential": tf.math.exp,
    "leaky_relu": tf.nn.leaky_relu,
    "relu6": tf.nn.relu6,
    "gelu_approximate": lambda x: tf.nn.gelu(x, approximate=True),
}

# (rtol, atol) where TensorFlow's kernel, not ours, is the less exact side (the
# NumPy/SciPy test below holds ours to 1e-12): TF 2.21's float64 Gelu is good to
# ~5e-9 absolute only (tf.nn.gelu(1.0) = 0.841344741927, Phi(1) = 0.841344746069),
# and tf.nn.leaky_relu's slope is a float32 attribute (0.2 -> 0.2000000030).
LOOSE = {"gelu": (1e-8, 1e-8), "gelu_approximate": (1e-8, 1e-8), "leaky_relu": (3e-8, 1e-15)}


# (forward, gradient) tolerance of the fused path against the oracles: TensorFlow's
# kernels are not written for the last digit (Elu's e^x - 1 near 0, float32 attributes).
FUSED_TOLERANCE = (1e-6, 1e-5)
IMPLEMENTATIONS = pytest.mark.parametrize("impl", activations.IMPLEMENTATIONS)


def _tolerance(impl, rtol, atol, gradient=False):
    """The readable path's own (rtol, atol), or the fused path's looser bound."""
    if impl == "readable":
        return rtol, atol
    bound = FUSED_TOLERANCE[gradient]
    return max(rtol, bound), max(atol, 1e-12)


def _ours(name):
    if name == "gelu_approximate":
        return lambda x: activations.gelu(x, approximate=True)
    return activations.get(name)


def _run(fn, x, dtype=tf.float64, impl="fused"):
    graph = tfcore.new_graph()
    with graph.as_default(), activations.implementation(impl):
        xp = tfcore.placeholder(x.shape, dtype)
        y = fn(xp)
        weights = np.linspace(-1, 1, y.shape.num_elements()).reshape(y.shape)
        (g,) = tf.gradients(tf.reduce_sum(y * tf.constant(weights, dtype)), xp)
    with tfcore.session(graph=graph) as sess:
        return sess.run([y, g], {xp: x.astype(dtype.as_numpy_dtype)})


def _inputs(rng):
    # Random values plus the points where the formulas change branch (0, -0,
    # +-1e-8), the kinks of hard_sigmoid (+-2.5) and relu6 (6), and large |x|.
    return np.concatenate([
        rng.randn(3, 6) * 4,
        [[0.0, -0.0, 1e-8, -1e-8, 30.0, -30.0]],
        [[2.5, -2.5, 6.0, -6.0, 1.0, -1.0]],
    ])


@IMPLEMENTATIONS
@pytest.mark.parametrize("name", sorted(ORACLES))
def test_activation_and_its_gradient_equal_tensorflows_op(name, impl, rng):
    x = _inputs(rng)
    ours, our_grad = _run(_ours(name), x, impl=impl)
    ref, ref_grad = _run(ORACLES[name], x)
    rtol, atol = LOOSE.get(name, (1e-12, 1e-15))
    np.testing.assert_allclose(ours, ref, *_tolerance(impl, rtol, atol))
    np.testing.assert_allclose(our_grad, ref_grad,
                               *_tolerance(impl, max(rtol, 1e-10), max(atol, 1e-14), gradient=True))


def _sigmoid(x):
    return scipy.special.expit(x)


def _gelu_tanh_u(x):
    return np.sqrt(2 / np.pi) * (x + 0.044715 * x ** 3), np.sqrt(2 / np.pi) * (1 + 3 * 0.044715 * x ** 2)


def _mish_derivative(x):
    t = np.tanh(np.logaddexp(0, x))
    return t + x * (1 - t * t) * _sigmoid(x)


# f and f' in float64 NumPy/SciPy, written from the definitions (Keras 2's
# parameters); the derivative at a kink is TensorFlow's convention.
NUMPY_ORACLES = {
    "elu": (lambda x: np.where(x > 0, x, np.expm1(np.minimum(x, 0))),
            lambda x: np.where(x > 0, 1.0, np.exp(np.minimum(x, 0)))),
    "selu": (lambda x: _SELU_SCALE * np.where(x >= 0, x, _SELU_ALPHA * np.expm1(np.minimum(x, 0))),
             lambda x: _SELU_SCALE * np.where(x >= 0, 1.0, _SELU_ALPHA * np.exp(np.minimum(x, 0)))),
    "softplus": (lambda x: np.logaddexp(0, x), _sigmoid),
    "softsign": (lambda x: x / (1 + np.abs(x)), lambda x: 1 / (1 + np.abs(x)) ** 2),
    "swish": (lambda x: x * _sigmoid(x), lambda x: _sigmoid(x) * (1 + x * (1 - _sigmoid(x)))),
    "mish": (lambda x: x * np.tanh(np.logaddexp(0, x)), _mish_derivative),
    "gelu": (lambda x: x * scipy.special.ndtr(x),
             lambda x: scipy.special.ndtr(x) + x * np.exp(-x * x / 2) / np.sqrt(2 * np.pi)),
    "gelu_approximate": (
        lambda x: x * _sigmoid(2 * _gelu_tanh_u(x)[0]),
        lambda x: (_sigmoid(2 * _gelu_tanh_u(x)[0])
                   + x * 2 * _gelu_tanh_u(x)[1] * _sigmoid(2 * _gelu_tanh_u(x)[0])
                   * _sigmoid(-2 * _gelu_tanh_u(x)[0]))),
    "hard_sigmoid": (lambda x: np.clip(0.2 * x + 0.5, 0, 1),
                     lambda x: np.where(np.abs(x) <= 2.5, 0.2, 0.0)),
    "exponential": (np.exp, np.exp),
    "leaky_relu": (lambda x: np.where(x > 0, x, 0.2 * x), lambda x: np.where(x > 0, 1.0, 0.2)),
    "relu6": (lambda x: np.clip(x, 0, 6), lambda x: ((x > 0) & (x < 6)).astype(float)),
    "LeakyReLU": (lambda x: np.where(x > 0, x, 0.3 * x), lambda x: np.where(x > 0, 1.0, 0.3)),
    "ThresholdedReLU": (lambda x: np.where(x > 1, x, 0.0), lambda x: (x > 1).astype(float)),
}


@IMPLEMENTATIONS
@pytest.mark.parametrize("name", sorted(NUMPY_ORACLES))
def test_activation_and_its_derivative_equal_the_numpy_formula(name, impl, rng):
    x = _inputs(rng)
    graph = tfcore.new_graph()
    with graph.as_default(), activations.implementation(impl):
        xp = tfcore.placeholder(x.shape, tf.float64)
        y = _ours(name)(xp)
        (g,) = tf.gradients(y, xp)
    with tfcore.session(graph=graph) as sess:
        ours, our_grad = sess.run([y, g], {xp: x})
    f, df = NUMPY_ORACLES[name]
    np.testing.assert_allclose(ours, f(x), *_tolerance(impl, 1e-13, 1e-300))
    np.testing.assert_allclose(our_grad, df(x), *_tolerance(impl, 1e-12, 1e-300, gradient=True))


EXTREMES = np.array([[-1000.0, -88.0, -80.0, -1e-30, 0.0, 1e-30, 80.0, 88.0, 1000.0]])
FINITE_EVERYWHERE = sorted((set(ORACLES) | set(NUMPY_ORACLES)) - {"exponential"})


@IMPLEMENTATIONS
@pytest.mark.parametrize("name", FINITE_EVERYWHERE)
@pytest.mark.parametrize("dtype", [tf.float32, tf.float64])
def test_activation_is_finite_at_extreme_inputs(name, dtype, impl):
    ours, grad = _run(_ours(name), EXTREMES, dtype, impl)
    assert np.all(np.isfinite(ours)) and np.all(np.isfinite(grad)), (name, ours, grad)
    if name in NUMPY_ORACLES:  # the formula in float64, to float32's precision when float32
        f, df = NUMPY_ORACLES[name]
        tol = 1e-6 if dtype == tf.float32 else 1e-13
        atol = 1e-300 if dtype == tf.float64 else 1e-30
        np.testing.assert_allclose(ours, f(EXTREMES), *_tolerance(impl, tol, atol))
    elif dtype == tf.float64:
        ref, _ = _run(ORACLES[name], EXTREMES)
        np.testing.assert_allclose(ours, ref, rtol=1e-12, atol=1e-300)


@pytest.mark.parametrize("dtype", [tf.float32, tf.float64])
def test_exponential_overflows_to_inf_exactly_where_exp_does(dtype):
    x = EXTREMES.astype(dtype.as_numpy_dtype)
    ours, _ = _run(activations.exponential, EXTREMES, dtype)
    ref, _ = _run(tf.math.exp, EXTREMES, dtype)
    np.testing.assert_array_equal(np.isinf(ours), np.isinf(ref))
    np.testing.assert_array_equal(ours, ref)
    with np.errstate(over="ignore"):
        assert np.isinf(ours).tolist() == np.isinf(np.exp(x)).tolist()


SMOOTH = ["tanh", "sigmoid", "softmax", "log_softmax", "softplus", "swish", "mish", "gelu",
          "gelu_approximate", "exponential"]
KINKED = {  # name -> the points near which finite differences would straddle a kink
    "relu": [0.0], "elu": [0.0], "selu": [0.0], "softsign": [0.0], "hard_sigmoid": [-2.5, 2.5],
    "leaky_relu": [0.0], "relu6": [0.0, 6.0], "ThresholdedReLU": [1.0], "LeakyReLU": [0.0],
}


@IMPLEMENTATIONS
@pytest.mark.parametrize("name", SMOOTH + sorted(KINKED))
@pytest.mark.parametrize("order", [1, 2])
def test_activation_passes_the_gradient_check(name, order, impl, rng):
    x = rng.randn(3, 4) * 2
    if name == "relu6":
        x = x * 2 + 3  # both sides of both kinks
    for kink in KINKED.get(name, []):
        x = np.where(np.abs(x - kink) < 0.1, kink + 0.5, x)  # keep finite differences off the kink
    with activations.implementation(impl):
        tfcore.check_gradients(lambda x: _ours(name)(x), {"x": x}, name=name, order=order)


def test_derivatives_at_exactly_zero_are_right():
    # tanh'(0) = 1 and sigmoid'(0) = 1/4: a formula through tf.abs would give 0 here.
    _, g_tanh = _run(activations.tanh, np.zeros((1, 1)))
    graph = tfcore.new_graph()
    with graph.as_default():
        x = tfcore.placeholder((1,), tf.float64)
        (g,) = tf.gradients(activations.sigmoid(x), x)
    with tfcore.session(graph=graph) as sess:
        assert sess.run(g, {x: [0.0]})[0] == pytest.approx(0.25)
    assert g_tanh[0, 0] == pytest.approx(np.linspace(-1, 1, 1)[0])


def test_unknown_activation_is_a_clear_error():
    with pytest.raises(ValueError, match="Unknown activation 'swishh'.*relu.*swish"):
        activations.get("swishh")
    # Keras's PReLU layer has a trained slope: a weight, not an activation function.
    with pytest.raises(ValueError, match="Unknown activation 'PReLU'"):
        activations.get("PReLU")


@IMPLEMENTATIONS
def test_activation_parameters_have_keras_2_defaults_and_are_used(impl, rng):
    x = _inputs(rng)
    cases = [
        (lambda t: activations.elu(t, alpha=2.5), lambda v: np.where(v > 0, v, 2.5 * np.expm1(np.minimum(v, 0)))),
        (lambda t: activations.leaky_relu(t, alpha=0.05), lambda v: np.where(v > 0, v, 0.05 * v)),
        (lambda t: activations.thresholded_relu(t, theta=-0.5), lambda v: np.where(v > -0.5, v, 0.0)),
        (lambda t: activations.softmax(t, axis=0), lambda v: scipy.special.softmax(v, axis=0)),
    ]
    for fn, ref in cases:
        ours, _ = _run(fn, x, impl=impl)
        np.testing.assert_allclose(ours, ref(x), *_tolerance(impl, 1e-13, 1e-300))


def test_names_for_the_same_function_give_the_same_function():
    assert activations.get("silu") is activations.get("swish") is activations.swish
    assert activations.get("ReLU") is activations.relu
    assert activations.get("ELU") is activations.elu
    assert activations.get("Softmax") is activations.softmax
    assert activations.get(None) is activations.linear


@pytest.mark.parametrize("dtype", [tf.float32, tf.float64])
def test_relu_and_its_stated_derivative_match_tf_nn_relu_at_infinities_nan_and_signed_zeros(dtype):
    x = np.array([-np.inf, np.inf, np.nan, -0.0, 0.0, -1e-30, 1e-30, 3.0])
    graph = tfcore.new_graph()
    with graph.as_default():
        xp = tfcore.placeholder(x.shape, dtype)
        outs = []
        for fn in (activations.relu, tf.nn.relu):
            y = fn(xp)
            outs += [y, tf.gradients(y, xp, grad_ys=tf.fill(tf.shape(xp), tf.constant(2.0, dtype)))[0]]
    with tfcore.session(graph=graph) as sess:
        ours, our_grad, ref, ref_grad = sess.run(outs, {xp: x})
    np.testing.assert_array_equal(ours, ref)  # NaN == NaN here; -0.0 == 0.0
    np.testing.assert_array_equal(our_grad, ref_grad)


# Every activation whose fused path calls a TensorFlow kernel (the others have one path).
FUSED = ["relu", "relu6", "elu", "leaky_relu", "tanh", "sigmoid", "softplus", "swish", "gelu",
         "softmax", "log_softmax", "LeakyReLU"]
SPECIAL = np.array([[-np.inf, np.inf, np.nan, 0.0, -0.0, 1e-30, -1e-30, 6.0],
                    [-1000.0, 1000.0, -88.0, 88.0, -2.5, 2.5, 1e-8, -1e-8]])


def _both_paths(name, x, dtype):
    return [_run(_ours(name), x, dtype, impl) for impl in ("fused", "readable")]


@pytest.mark.parametrize("name", FUSED)
@pytest.mark.parametrize("dtype", [tf.float32, tf.float64])
def test_fused_and_readable_paths_agree_on_random_inputs_and_at_the_kinks(name, dtype, rng):
    x = np.concatenate([_inputs(rng), rng.randn(2, 6) * 30])
    (fused, fused_grad), (readable, readable_grad) = _both_paths(name, x, dtype)
    np.testing.assert_allclose(fused, readable, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(fused_grad, readable_grad, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("name", sorted(set(FUSED) - {"softmax", "log_softmax"}))
@pytest.mark.parametrize("dtype", [tf.float32, tf.float64])
def test_fused_and_readable_paths_agree_at_zero_infinities_and_nan(name, dtype):
    # Element-wise functions only: one NaN in a softmax row makes the whole row NaN.
    (fused, fused_grad), (readable, readable_grad) = _both_paths(name, SPECIAL, dtype)
    np.testing.assert_allclose(fused, readable, rtol=1e-6, atol=1e-6)  # NaN where NaN
    # The derivative at a NaN input is not compared: a kernel's branch test is false
    # for NaN (EluGrad passes dy through; the formula gives NaN), and the loss is NaN anyway.
    number = ~np.isnan(SPECIAL)
    np.testing.assert_allclose(fused_grad[number], readable_grad[number], rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_fused_and_readable_softmax_agree_on_rows_with_infinities(name):
    x = np.array([[0.0, -np.inf, 1.0, 2.0], [1000.0, -1000.0, 0.0, 0.0], [np.nan, 0.0, 1.0, 2.0]])
    (fused, fused_grad), (readable, readable_grad) = _both_paths(name, x, tf.float64)
    np.testing.assert_allclose(fused, readable, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(fused_grad[:2], readable_grad[:2], rtol=1e-5, atol=1e-5)


def _op_types(fn, implementation=None):
    graph = tfcore.new_graph()
    with graph.as_default():
        x = tfcore.placeholder((2, 3), tf.float32)
        y = activations.get(fn, implementation=implementation)(x)
        tf.gradients(y, x)
    return {op.type for op in graph.get_operations()}


def test_fused_path_is_one_kernel_forward_and_one_backward_and_is_the_default():
    assert activations.current_implementation() == "fused"
    assert {"Relu", "ReluGrad"} <= _op_types("relu")
    assert "Maximum" not in _op_types("relu")
    assert {"Elu", "EluGrad"} <= _op_types("elu")
    assert {"Tanh", "TanhGrad"} <= _op_types("tanh")
    with activations.implementation("readable"):
        assert "Relu" not in _op_types("relu") and "Maximum" in _op_types("relu")
        assert "Tanh" not in _op_types("tanh") and "Expm1" in _op_types("tanh")
    assert activations.current_implementation() == "fused"  # the block restored it


def test_get_pins_an_implementation_whatever_block_it_is_called_in():
    assert "Relu" not in _op_types("relu", implementation="readable")
    with activations.implementation("readable"):
        assert "Relu" in _op_types("relu", implementation="fused")
    with pytest.raises(ValueError, match="implementation must be one of fused, readable.*'fast'"):
        activations.get("relu", implementation="fast")
    with pytest.raises(ValueError, match="activations.implementation: 'quick'"):
        with activations.implementation("quick"):
            pass


def _optimized_ops(implementation, attr="fused_ops", **build):
    """(op type, `attr`) of each node of the MNIST CNN's training step after Grappler, on CPU.

    `attr` is a list attribute ("fused_ops": what a fused node absorbed) or a string one
    ("activation_mode": the activation a _FusedBatchNormEx applies); `build` goes to
    `mnist_cnn.build`."""
    from models import mnist_cnn

    with activations.implementation(implementation):
        model = mnist_cnn.build(seed=0, device="/cpu:0", batch_size=4, **build)
    options = tf.compat.v1.RunOptions(output_partition_graphs=True)
    metadata = tf.compat.v1.RunMetadata()
    rng = np.random.RandomState(0)
    feed = {model.inputs: rng.rand(4, 28, 28, 1), model.targets: np.eye(10)[rng.randint(0, 10, 4)]}
    if model.training is not None:  # the one-pass variant; the default trains on its own pass
        feed[model.training] = True
    with tfcore.session(graph=model.graph) as sess:
        sess.run(tf.compat.v1.global_variables_initializer())
        sess.run(model.train_op, feed, options=options, run_metadata=metadata)
    def value(node):
        if attr == "fused_ops":
            return tuple(s.decode() for s in node.attr[attr].list.s)
        return node.attr[attr].s.decode()

    return [(node.op, value(node)) for g in metadata.partition_graphs for node in g.node]


def test_grappler_fuses_the_cnns_conv_bias_and_relu_only_on_the_fused_path():
    if tf.config.optimizer.get_experimental_options().get("remapping") is False:
        pytest.skip("Grappler's remapper is switched off in this process")
    # _FusedConv2D, or its oneDNN name (_MklFusedConv2D / _MklNativeFusedConv2D) with
    # oneDNN on; fused_ops lists what it absorbed: ("BiasAdd", "Relu").
    fused = _optimized_ops("fused")
    conv_relu = [op for op, absorbed in fused if "FusedConv2D" in op and "Relu" in absorbed]
    assert len(conv_relu) == 4, sorted(set(fused))
    assert sum(op.endswith("ReluGrad") for op, _ in fused) == 5  # 4 convs + the Dense 512
    # The readable max(0, x) is not a Relu: Grappler folds at most the bias into the conv.
    readable = _optimized_ops("readable")
    assert not any("Relu" in absorbed for _, absorbed in readable), sorted(set(readable))


def test_grappler_fuses_batch_norm_and_relu_in_training_on_the_two_pass_graph():
    """NOTES lever 35: with no `tf.cond` around it (the CNN trains on its own forward pass),
    oneDNN's remapper folds FusedBatchNormV3 + Relu into one _FusedBatchNormEx, in training;
    the one-pass graph, whose batch norms sit in `If` branches, keeps them apart."""
    if tf.config.optimizer.get_experimental_options().get("remapping") is False:
        pytest.skip("Grappler's remapper is switched off in this process")
    build = dict(batchnorm=True, fused_batchnorm=True)
    passes = _optimized_ops("fused", "activation_mode", **build)
    if not any(op.startswith("_Mkl") for op, _ in passes):
        pytest.skip("oneDNN is off (TF_ENABLE_ONEDNN_OPTS=0): only its remapper fuses them on CPU")
    fused = [op for op, mode in passes if "FusedBatchNormEx" in op and mode == "Relu"]
    assert len(fused) == 4, sorted(set(passes))  # the four convolutions' (the Dense's is not fused)
    assert sum(op == "Relu" for op, _ in passes) == 1
    one_pass = _optimized_ops("fused", "activation_mode", switch="placeholder", **build)
    assert not any("FusedBatchNormEx" in op for op, _ in one_pass), sorted(set(one_pass))
