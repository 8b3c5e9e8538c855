"""Conv2D: equals the docstring's equation (tfcore.reference's NumPy loops), tf.nn ops and SciPy;
gradient checks; errors."""

import numpy as np
import pytest
import scipy.signal
import tensorflow as tf

import tfcore
from tfcore import reference
from tfcore.layers.conv import Conv2D


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
    with pytest.raises(ValueError, match=r"from_kernel: bias must have shape \(2,\)"):
        Conv2D.from_kernel(np.ones((3, 3, 1, 2)), bias=np.ones(3))
    with tfcore.new_graph().as_default():
        with pytest.raises(ValueError, match="conv2d: the kernel expects 1 input channels, but .* 3"):
            Conv2D.from_kernel(np.ones((3, 3, 1, 1)))(tfcore.placeholder((None, 5, 5, 3)))
