"""Conv2D: equals the docstring's equation (tfcore.reference's NumPy loops), tf.nn ops and SciPy;
gradient checks; errors."""

import numpy as np
import pytest
import scipy.signal
import tensorflow as tf

import tfcore
from tests.helpers import assert_implementations_agree
from tfcore import reference
from tfcore.layers.conv import Conv1D, Conv2D


def run_conv(layer, x, batch_none=True, spatial_none=False):
    """Build `layer` on a float64 placeholder, randomise its weights, return (y, weights)."""
    graph = tfcore.new_graph(seed=0)
    with graph.as_default():
        shape = list(x.shape)
        if batch_none:
            shape[0] = None
        if spatial_none:
            shape[1] = shape[2] = None
        xp = tfcore.placeholder(shape, tf.float64)
        y = layer(xp)
        with tfcore.session(graph=graph) as sess:
            sess.run(tf.compat.v1.global_variables_initializer())
            rng = np.random.RandomState(7)
            weights = [rng.randn(*w.shape) for w in layer.get_weights(sess)]
            layer.set_weights(sess, weights)
            return sess.run(y, {xp: x}), weights, y.shape


CASES = [
    # (input shape, filters, kernel, strides, padding, dilation)
    ((2, 7, 9, 3), 4, 3, 1, "SAME", 1),
    ((2, 7, 9, 3), 4, 3, 1, "valid", 1),
    ((1, 8, 7, 2), 3, (2, 3), 2, "SAME", 1),
    ((1, 9, 8, 2), 3, (3, 2), (2, 3), "VALID", 1),
    ((2, 6, 6, 1), 2, 5, 1, "same", 1),
    ((2, 5, 6, 2), 2, 1, 2, "SAME", 1),
    ((1, 9, 7, 2), 3, 3, 1, "SAME", 2),
    ((1, 9, 10, 2), 3, (3, 2), 1, "VALID", (2, 3)),
    ((2, 8, 8, 3), 2, (2, 3), 1, "SAME", (3, 1)),
]


@pytest.mark.parametrize("shape,filters,kernel,strides,padding,dilation", CASES)
def test_conv2d_equals_numpy_equation(rng, shape, filters, kernel, strides, padding, dilation):
    x = rng.randn(*shape)
    layer = Conv2D(filters, kernel, strides=strides, padding=padding, dilation_rate=dilation)
    y, (k, b), static = run_conv(layer, x)
    expected = reference.conv2d(x, k, b, layer.strides, layer.padding, layer.dilation_rate)
    assert y.shape == expected.shape
    assert static.as_list() == [None] + list(expected.shape[1:])
    np.testing.assert_allclose(y, expected, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("padding", ["SAME", "VALID"])
@pytest.mark.parametrize("dilation", [(2, 2), (3, 2), (1, 4)])
def test_dilated_conv2d_equals_tf_nn_convolution_with_unknown_spatial_size(rng, padding, dilation):
    x = rng.randn(2, 11, 13, 2)
    layer = Conv2D(3, 3, padding=padding, dilation_rate=dilation, use_bias=False)
    y, (k,), static = run_conv(layer, x, spatial_none=True)
    with tfcore.new_graph().as_default():
        expected = tf.nn.convolution(tf.constant(x), tf.constant(k), padding=padding, dilations=dilation)
        with tfcore.session() as sess:
            expected = sess.run(expected)
    assert static.as_list() == [None, None, None, 3]
    np.testing.assert_allclose(y, expected, rtol=1e-10, atol=1e-10)


def test_undilated_conv2d_equals_tf_nn_conv2d(rng):
    x = rng.randn(3, 10, 7, 4)
    layer = Conv2D(5, (3, 4), strides=(2, 1), padding="SAME", activation="tanh")
    y, (k, b), _ = run_conv(layer, x)
    with tfcore.new_graph().as_default():
        expected = tf.tanh(tf.nn.conv2d(x, k, strides=[1, 2, 1, 1], padding="SAME") + b)
        with tfcore.session() as sess:
            expected = sess.run(expected)
    np.testing.assert_allclose(y, expected, rtol=1e-10, atol=1e-12)


def test_conv2d_equals_scipy_correlate_summed_over_channels(rng):
    x = rng.randn(1, 6, 8, 3)
    layer = Conv2D(2, (3, 2), padding="VALID")
    y, (k, b), _ = run_conv(layer, x)
    for o in range(2):
        expected = sum(scipy.signal.correlate(x[0, :, :, c], k[:, :, c, o], mode="valid")
                       for c in range(3)) + b[o]
        np.testing.assert_allclose(y[0, :, :, o], expected, rtol=1e-10, atol=1e-12)


def test_from_kernel_applies_the_laplacian_like_scipy_and_is_not_trained(rng):
    laplacian = np.array([[0, 1, 0], [1, -4, 1], [0, 1, 0]], np.float32)
    image = rng.rand(1, 12, 15, 1).astype(np.float32)
    graph = tfcore.new_graph()
    with graph.as_default():
        layer = Conv2D.from_kernel(laplacian.reshape(3, 3, 1, 1), padding="same")
        x = tfcore.placeholder((None, None, None, 1))
        edges = layer(x)
        assert layer.trainable_variables == []
        assert [v.name for v in layer.variables] == ["conv2d/kernel:0"]
        assert tf.compat.v1.trainable_variables() == []
        with tfcore.session(graph=graph) as sess:
            sess.run(tf.compat.v1.global_variables_initializer())
            got = sess.run(edges, {x: image})
            (kernel,) = layer.get_weights(sess)
    np.testing.assert_array_equal(kernel[:, :, 0, 0], laplacian)
    # SAME padding = zero fill around the image; the Laplacian is symmetric, so
    # correlation and convolution agree.
    expected = scipy.signal.correlate2d(image[0, :, :, 0], laplacian, mode="same", boundary="fill")
    np.testing.assert_allclose(got[0, :, :, 0], expected, atol=1e-5)


def test_from_kernel_with_bias_and_trainable_creates_trainable_weights(rng):
    kernel, bias = rng.randn(2, 2, 3, 4), rng.randn(4)
    with tfcore.new_graph().as_default():
        layer = Conv2D.from_kernel(kernel, bias=bias, padding="VALID", trainable=True)
        y = layer(tfcore.placeholder((None, 5, 5, 3), tf.float64))
        assert [v.name for v in layer.trainable_variables] == ["conv2d/kernel:0", "conv2d/bias:0"]
        with tfcore.session() as sess:
            sess.run(tf.compat.v1.global_variables_initializer())
            got_kernel, got_bias = layer.get_weights(sess)
    assert y.shape.as_list() == [None, 4, 4, 4]
    np.testing.assert_array_equal(got_kernel, kernel)
    np.testing.assert_array_equal(got_bias, bias)


def test_conv2d_reuses_variables_in_keras_order_and_layout():
    with tfcore.new_graph().as_default():
        layer = Conv2D(6, (3, 5))
        layer(tfcore.placeholder((None, 8, 8, 2)))
        layer(tfcore.placeholder((None, 16, 12, 2)))  # other image sizes share the weights
        assert [v.name for v in layer.variables] == ["conv2d/kernel:0", "conv2d/bias:0"]
        assert [v.shape.as_list() for v in layer.variables] == [[3, 5, 2, 6], [6]]
        assert Conv2D(1, 1, use_bias=False)(tfcore.placeholder((1, 2, 2, 1))).shape == (1, 2, 2, 1)


GRADIENT_CASES = [
    ("same", dict(filters=3, kernel_size=3, padding="SAME")),
    ("valid_tanh", dict(filters=2, kernel_size=(2, 3), padding="VALID", activation="tanh")),
    ("stride2", dict(filters=2, kernel_size=3, strides=2, padding="SAME")),
    ("dilation2", dict(filters=2, kernel_size=2, dilation_rate=2, padding="SAME")),
    ("dilation_valid", dict(filters=2, kernel_size=(2, 2), dilation_rate=(2, 1), padding="VALID")),
]


@pytest.mark.parametrize("label,kwargs", GRADIENT_CASES, ids=[c[0] for c in GRADIENT_CASES])
def test_conv2d_passes_gradient_check(rng, label, kwargs):
    tfcore.check_gradients(lambda x: Conv2D(**kwargs)(x), {"x": rng.randn(1, 5, 5, 2)},
                           name="Conv2D(%s)" % label)


def test_conv2d_second_order_gradient_check(rng):
    tfcore.check_gradients(lambda x: Conv2D(2, 3, activation="tanh")(x), {"x": rng.randn(1, 4, 4, 1)},
                           name="Conv2D(tanh)", order=2)


def test_conv2d_rejects_unknown_padding_listing_valid_values():
    with pytest.raises(ValueError, match=r"conv2d: padding must be one of 'SAME', 'VALID'.*'full'"):
        Conv2D(2, 3, padding="full")


@pytest.mark.parametrize("kwargs,arg", [
    (dict(filters=0, kernel_size=3), "filters"),
    (dict(filters=2, kernel_size=0), "kernel_size"),
    (dict(filters=2, kernel_size=(3, -1)), "kernel_size"),
    (dict(filters=2, kernel_size=(1, 2, 3)), "kernel_size"),
    (dict(filters=2, kernel_size=3, strides=0), "strides"),
    (dict(filters=2, kernel_size=3, dilation_rate=0), "dilation_rate"),
    (dict(filters=2, kernel_size=3, strides=2, dilation_rate=2), "strides > 1 together with dilation"),
])
def test_conv2d_rejects_bad_sizes_naming_the_argument(kwargs, arg):
    with pytest.raises(ValueError, match="conv2d: " + arg):
        Conv2D(**kwargs)


def test_conv2d_rejects_wrong_rank_and_channel_change():
    with tfcore.new_graph().as_default():
        with pytest.raises(ValueError, match="conv2d: input must have rank 4"):
            Conv2D(2, 3)(tfcore.placeholder((None, 8, 3)))
        layer = Conv2D(2, 3, name="edges")
        layer(tfcore.placeholder((None, 8, 8, 3)))
        with pytest.raises(ValueError, match="edges: input has 1 channels, but .* built for 3"):
            layer(tfcore.placeholder((None, 8, 8, 1)))
        with pytest.raises(ValueError, match="edges: input must have rank 4"):
            layer(tfcore.placeholder((None, 8, 8, 3, 1)))


def test_conv2d_rejects_kernel_larger_than_image_with_valid_padding():
    with tfcore.new_graph().as_default():
        with pytest.raises(ValueError, match="conv2d: with padding 'VALID' the dilated kernel"):
            Conv2D(2, 3, padding="VALID", dilation_rate=3)(tfcore.placeholder((None, 6, 9, 1)))


def test_from_kernel_rejects_bad_kernel_bias_and_channel_mismatch():
    with pytest.raises(ValueError, match="from_kernel: kernel must have rank 4"):
        Conv2D.from_kernel(np.ones((3, 3)))
    with pytest.raises(ValueError, match=r"conv2d.from_kernel: the bias and the kernel's last axis "
                                         r"\(C_out\) must agree, got shapes \(3,\), \(2,\)"):
        Conv2D.from_kernel(np.ones((3, 3, 1, 2)), bias=np.ones(3))
    with tfcore.new_graph().as_default():
        with pytest.raises(ValueError, match="conv2d: the kernel expects 1 input channels, but .* 3"):
            Conv2D.from_kernel(np.ones((3, 3, 1, 1)))(tfcore.placeholder((None, 5, 5, 3)))


# ---------------------------------------------------------------------------
# Conv1D, the patches (im2col) path and the hand-derived gradient
# ---------------------------------------------------------------------------

CONV1D_CASES = [
    # (input shape, filters, kernel, strides, padding, dilation)
    ((2, 9, 3), 4, 3, 1, "valid", 1),
    ((2, 9, 3), 4, 3, 1, "same", 1),
    ((1, 10, 2), 3, 4, 1, "SAME", 1),           # even kernel: the extra pad goes after
    ((2, 11, 2), 3, 3, 1, "causal", 1),
    ((2, 11, 2), 2, 3, 1, "causal", 3),
    ((1, 13, 1), 2, 2, 3, "valid", 1),
    ((2, 12, 2), 3, 5, 2, "same", 1),
    ((2, 12, 2), 3, 2, 1, "valid", 4),
    ((1, 7, 3), 2, 3, 3, "causal", 1),
]
IMPLEMENTATIONS = [("fused", "auto"), ("patches", "auto"), ("patches", "manual")]


@pytest.mark.parametrize("implementation,gradient", IMPLEMENTATIONS)
@pytest.mark.parametrize("shape,filters,kernel,strides,padding,dilation", CONV1D_CASES)
def test_conv1d_equals_numpy_equation(rng, shape, filters, kernel, strides, padding, dilation,
                                      implementation, gradient):
    x = rng.randn(*shape)
    layer = Conv1D(filters, kernel, strides=strides, padding=padding, dilation_rate=dilation,
                   implementation=implementation, gradient=gradient)
    y, (k, b), static = run_conv(layer, x)
    expected = reference.conv1d(x, k, b, strides, padding, dilation)
    assert static.as_list() == [None] + list(expected.shape[1:])
    np.testing.assert_allclose(y, expected, rtol=1e-10, atol=1e-10)


def test_causal_conv1d_output_does_not_depend_on_later_steps(rng):
    x = rng.randn(1, 10, 2)
    later_changed = x.copy()
    later_changed[:, 6:] += 1.0
    layer = Conv1D(3, 3, padding="causal", dilation_rate=2, implementation="patches")
    y, _, _ = run_conv(layer, x)
    y_changed, _, _ = run_conv(Conv1D(3, 3, padding="causal", dilation_rate=2), later_changed)
    np.testing.assert_allclose(y[:, :6], y_changed[:, :6], rtol=1e-12)
    assert np.abs(y[:, 6:] - y_changed[:, 6:]).max() > 0.1


def random_conv_case(seed):
    """A random Conv1D/Conv2D configuration and input: odd sizes, batch 1, strides or dilation."""
    rng = np.random.RandomState(seed)
    rank = int(rng.randint(1, 3))
    kernel = tuple(int(k) for k in rng.randint(1, 5, size=rank))
    dilated = rng.rand() < 0.4
    dilation = tuple(int(d) for d in rng.randint(1, 4, size=rank)) if dilated else 1
    strides = 1 if dilated else tuple(int(s) for s in rng.randint(1, 4, size=rank))
    paddings = ["same", "valid"] + (["causal"] if rank == 1 else [])
    padding = paddings[rng.randint(len(paddings))]
    spatial = tuple(int(n) for n in rng.randint(9, 14, size=rank))
    shape = (int(rng.randint(1, 4)),) + spatial + (int(rng.randint(1, 4)),)
    kwargs = dict(filters=int(rng.randint(1, 5)), kernel_size=kernel, strides=strides,
                  padding=padding, dilation_rate=dilation, use_bias=rng.rand() < 0.8)
    return (Conv1D if rank == 1 else Conv2D), kwargs, rng.randn(*shape), rng.rand() < 0.5


@pytest.mark.parametrize("seed", range(8))
def test_patches_path_equals_fused_path_forward_and_backward_in_float32(seed):
    layer_class, kwargs, x, unknown_spatial = random_conv_case(seed)
    assert_implementations_agree(layer_class, kwargs, IMPLEMENTATIONS, x.astype(np.float32), 1e-5,
                                 unknown_spatial=unknown_spatial, seed=seed)


@pytest.mark.parametrize("seed", range(8, 14))
def test_manual_conv_gradient_equals_tf_gradients_of_the_same_forward_in_float64(seed):
    layer_class, kwargs, x, unknown_spatial = random_conv_case(seed)
    # The first pair is the reference: TensorFlow's gradient of the same (patches) forward pass.
    implementations = [("patches", "auto"), ("patches", "manual"), ("fused", "auto")]
    assert_implementations_agree(layer_class, kwargs, implementations, x, 1e-6,
                                 unknown_spatial=unknown_spatial, seed=seed)


MANUAL_GRADIENT_CASES = [
    ("conv2d_same_stride2", Conv2D, dict(filters=2, kernel_size=3, strides=2, padding="SAME"), (1, 5, 6, 2)),
    ("conv2d_valid_dilated", Conv2D, dict(filters=2, kernel_size=2, dilation_rate=(2, 1),
                                          padding="VALID"), (2, 5, 4, 1)),
    ("conv1d_causal_tanh", Conv1D, dict(filters=2, kernel_size=3, padding="causal",
                                        activation="tanh"), (2, 6, 2)),
    ("conv1d_same_stride3", Conv1D, dict(filters=3, kernel_size=4, strides=3, padding="same"), (1, 8, 2)),
]


@pytest.mark.parametrize("label,layer_class,kwargs,shape", MANUAL_GRADIENT_CASES,
                         ids=[c[0] for c in MANUAL_GRADIENT_CASES])
def test_manual_conv_gradient_passes_central_differences(rng, label, layer_class, kwargs, shape):
    tfcore.check_gradients(
        lambda x: layer_class(implementation="patches", gradient="manual", **kwargs)(x),
        {"x": rng.randn(*shape)}, name="%s(gradient='manual', %s)" % (layer_class.__name__, label))


def test_manual_conv_gradient_is_differentiable_so_second_order_checks_pass(rng):
    # tf.custom_gradient stops second-order gradients only when its backward is not built
    # from differentiable ops; conv_patches' backward is (matmul, reshape, pad, slices).
    tfcore.check_gradients(
        lambda x: Conv2D(2, 3, activation="tanh", implementation="patches", gradient="manual")(x),
        {"x": rng.randn(1, 4, 4, 1)}, name="Conv2D(tanh, manual)", order=2)


def test_patches_from_kernel_applies_the_laplacian_like_scipy(rng):
    laplacian = np.array([[0, 1, 0], [1, -4, 1], [0, 1, 0]], np.float64)
    image = rng.rand(1, 9, 11, 1)
    with tfcore.new_graph().as_default():
        layer = Conv2D.from_kernel(laplacian.reshape(3, 3, 1, 1), padding="SAME",
                                   implementation="patches", gradient="manual")
        y = layer(tf.constant(image))
        with tfcore.session() as sess:
            sess.run(tf.compat.v1.global_variables_initializer())
            y = sess.run(y)
    expected = scipy.signal.correlate2d(image[0, :, :, 0], laplacian, mode="same", boundary="fill")
    np.testing.assert_allclose(y[0, :, :, 0], expected, rtol=1e-12, atol=1e-12)


def test_conv1d_weights_follow_keras_layout_and_names():
    with tfcore.new_graph().as_default():
        layer = Conv1D(6, 4)
        y = layer(tfcore.placeholder((None, 10, 3)))
        assert [v.name for v in layer.variables] == ["conv1d/kernel:0", "conv1d/bias:0"]
        assert [v.shape.as_list() for v in layer.variables] == [[4, 3, 6], [6]]
        assert y.shape.as_list() == [None, 7, 6]  # Keras's default padding for Conv1D is VALID


def test_conv1d_and_patches_conv_flops_equal_two_k_cin_per_output_plus_bias():
    # inspect counts op types: the fused path's Conv2D op and the patches path's MatMul
    # (2 * taps * C_in per output) cost the same; slices, stacks and reshapes are free.
    from tfcore.inspect import summary
    batch, steps, cin, cout, k = 2, 11, 3, 4, 3
    for implementation in ("fused", "patches"):
        graph = tfcore.new_graph(0)
        with graph.as_default():
            y = Conv1D(cout, k, implementation=implementation, name="conv")(
                tfcore.placeholder((batch, steps, cin)))
        outputs = batch * (steps - k + 1) * cout
        assert summary((graph, y), print_fn=None).row("conv").flops == 2 * k * cin * outputs + outputs


def test_conv_rejects_bad_implementation_gradient_and_padding_naming_the_layer():
    with pytest.raises(ValueError, match="conv2d: implementation must be one of 'fused', 'patches'"):
        Conv2D(2, 3, implementation="im2col")
    with pytest.raises(ValueError, match="conv1d: gradient must be one of 'auto', 'manual'"):
        Conv1D(2, 3, implementation="patches", gradient="numeric")
    with pytest.raises(ValueError, match="conv2d: gradient='manual' .* implementation='patches'"):
        Conv2D(2, 3, gradient="manual")
    with pytest.raises(ValueError, match="conv2d: padding must be one of 'SAME', 'VALID'"):
        Conv2D(2, 3, padding="causal")
    with pytest.raises(ValueError, match="conv1d: kernel_size must be an int or a tuple of 1 ints"):
        Conv1D(2, (3, 3))
    with pytest.raises(ValueError, match="conv1d.from_kernel: kernel must have rank 3"):
        Conv1D.from_kernel(np.ones((3, 3, 1, 1)))


@pytest.mark.parametrize("layer", [Conv2D(2, 3), Conv1D(2, 3, implementation="patches")],
                         ids=["conv2d", "conv1d"])
def test_conv_rejects_integer_input_naming_the_layer(layer):
    shape = (1, 6, 6, 1) if isinstance(layer, Conv2D) else (1, 6, 1)
    with tfcore.new_graph().as_default():
        with pytest.raises(TypeError, match=layer.name + ": input must be a floating tensor.*int32"):
            layer(tfcore.placeholder(shape, tf.int32))


@pytest.mark.parametrize("implementation", ["fused", "patches"])
def test_kernel_larger_than_a_feed_time_size_fails_at_run_time_naming_the_layer(implementation):
    graph = tfcore.new_graph()
    with graph.as_default():
        x = tfcore.placeholder((None, None, None, 1))
        y = Conv2D(2, (3, 5), padding="VALID", implementation=implementation, name="edges")(x)
        with tfcore.session(graph=graph) as sess:
            sess.run(tf.compat.v1.global_variables_initializer())
            assert sess.run(y, {x: np.ones((1, 3, 5, 1))}).shape == (1, 1, 1, 2)
            message = r"edges: with VALID padding the kernel \(5 along axis 2\) is larger than the fed"
            with pytest.raises(tf.errors.InvalidArgumentError, match=message):
                sess.run(y, {x: np.ones((1, 4, 4, 1))})


def test_the_channel_count_must_be_known_along_the_data_formats_channel_axis():
    with tfcore.new_graph().as_default():
        with pytest.raises(ValueError, match=r"conv2d: input's size along axis 1 must be known .* got "
                                             r"shape \(None, None, 5, 5\)"):
            Conv2D(2, 3, data_format="channels_first")(tfcore.placeholder((None, None, 5, 5)))
        with pytest.raises(ValueError, match=r"conv1d: input's size along axis 2 must be known"):
            Conv1D(2, 3)(tfcore.placeholder((None, 5, None)))
