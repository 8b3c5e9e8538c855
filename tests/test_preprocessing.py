"""Rescaling, Normalization, Resizing and CenterCrop against NumPy and TensorFlow's resize kernels."""

import numpy as np
import pytest
import tensorflow as tf

import tfcore
from tfcore.layers import CenterCrop, Normalization, Rescaling, Resizing


def run(layer, x, session_hook=None, dtype=None):
    graph = tfcore.new_graph()
    with graph.as_default():
        p = tf.compat.v1.placeholder(dtype or tf.as_dtype(x.dtype), [None] * x.ndim)
        p.set_shape(x.shape[:0] + (None,) + x.shape[1:] if x.ndim == 4 else x.shape)
        y = layer(p)
        init = tf.compat.v1.global_variables_initializer()
    with tfcore.session(graph=graph) as sess:
        sess.run(init)
        if session_hook:
            session_hook(sess)
        return sess.run(y, {p: x})


def test_rescaling_scales_integer_pixels_to_floats(rng):
    pixels = rng.randint(0, 256, (2, 4, 4, 3)).astype(np.uint8)
    got = run(Rescaling(1 / 127.5, offset=-1), pixels)
    assert got.dtype == np.float32
    np.testing.assert_allclose(got, pixels.astype(np.float64) / 127.5 - 1, atol=1e-6)


@pytest.mark.parametrize("axis,shape", [(-1, (20, 3)), (None, (20, 3)), ((1, 2), (6, 4, 5)), (1, (6, 4, 5))])
def test_normalization_adapts_population_statistics_per_kept_axis(rng, axis, shape):
    data = rng.randn(*shape) * 3 + 2
    layer = Normalization(axis=axis)
    layer.adapt(data)
    got = run(layer, data)
    kept = () if axis is None else tuple(a % data.ndim for a in np.atleast_1d(axis))
    reduce = tuple(a for a in range(data.ndim) if a not in kept)
    expected = (data - data.mean(reduce, keepdims=True)) / data.std(reduce, keepdims=True)
    np.testing.assert_allclose(got, expected, rtol=1e-9, atol=1e-9)


def test_normalization_given_statistics_invert_and_the_epsilon(rng):
    x = rng.randn(5, 3)
    mean, variance = np.array([1.0, -2.0, 0.5]), np.array([4.0, 0.0, 9.0])
    std = np.maximum(np.sqrt(variance), 1e-7)
    np.testing.assert_allclose(run(Normalization(mean=mean, variance=variance), x), (x - mean) / std)
    np.testing.assert_allclose(run(Normalization(mean=mean, variance=variance, invert=True), x),
                               mean + x * std)
    assert Normalization(mean=mean, variance=variance).variables == []


def test_normalization_adapt_after_building_assigns_the_weights(rng):
    data = rng.randn(30, 4)
    layer = Normalization()
    got = run(layer, data, session_hook=lambda sess: layer.adapt(data, sess))
    np.testing.assert_allclose(got, (data - data.mean(0)) / data.std(0), rtol=1e-9)
    with pytest.raises(ValueError, match="pass the session"):
        layer.adapt(data)


def test_an_adapted_normalization_takes_integer_features(rng):
    # Its float weights (mean, variance) would refuse ids but for `integer_inputs` (module.py).
    data = rng.randint(0, 50, (30, 4)).astype(np.int32)
    layer = Normalization()
    layer.adapt(data)
    got = run(layer, data)
    assert got.dtype == np.float32 and len(layer.variables) == 3
    np.testing.assert_allclose(got, (data - data.mean(0)) / data.std(0), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("make", [lambda: Resizing(3, 3, interpolation="nearest"),
                                  lambda: CenterCrop(2, 2)], ids=["resizing", "center_crop"])
def test_image_layers_take_integer_pixels(rng, make):
    # No weights, so nothing to refuse them (module.py's first-call rule): pixels become float32.
    pixels = rng.randint(0, 256, (2, 6, 6, 1)).astype(np.uint8)
    expected = run(make(), pixels.astype(np.float32))
    got = run(make(), pixels)
    assert got.dtype == np.float32
    np.testing.assert_array_equal(got, expected)


def test_normalization_refuses_bad_arguments():
    with pytest.raises(ValueError, match="both mean and variance"):
        Normalization(mean=1.0)
    with pytest.raises(ValueError, match="batch axis"):
        Normalization(axis=0)
    with pytest.raises(ValueError, match="mean and variance were given"):
        Normalization(mean=0.0, variance=1.0).adapt(np.ones((3, 2)))


@pytest.mark.parametrize("size_in,size_out", [((5, 7), (9, 3)), ((8, 8), (3, 5)), ((4, 6), (4, 6)),
                                              ((3, 2), (7, 7)), ((10, 3), (4, 11))])
@pytest.mark.parametrize("interpolation", ["bilinear", "nearest"])
def test_resizing_equals_tensorflows_half_pixel_kernels(rng, size_in, size_out, interpolation):
    images = rng.rand(2, *size_in, 3).astype(np.float32)
    got = run(Resizing(*size_out, interpolation=interpolation), images)
    kernel = tf.raw_ops.ResizeBilinear if interpolation == "bilinear" else tf.raw_ops.ResizeNearestNeighbor
    expected = kernel(images=images, size=size_out, half_pixel_centers=True).numpy()
    np.testing.assert_allclose(got, expected, atol=1e-6)


def test_resizing_crop_to_aspect_ratio_cuts_the_central_window_first(rng):
    images = rng.rand(1, 6, 12, 2).astype(np.float32)
    got = run(Resizing(4, 4, crop_to_aspect_ratio=True), images)
    window = images[:, :, 3:9, :]  # the central 6x6 square of a 6x12 image
    expected = tf.raw_ops.ResizeBilinear(images=window, size=(4, 4), half_pixel_centers=True).numpy()
    np.testing.assert_allclose(got, expected, atol=1e-6)


def test_center_crop_takes_the_middle_and_resizes_small_images(rng):
    images = rng.rand(2, 7, 9, 1).astype(np.float32)
    np.testing.assert_array_equal(run(CenterCrop(3, 4), images), images[:, 2:5, 2:6])
    small = run(CenterCrop(10, 12), images)
    window = images[:, :, 0:8]  # a 7x9 image, ratio 10:12: width int(7 * 12 / 10) = 8, from 0
    expected = tf.raw_ops.ResizeBilinear(images=window, size=(10, 12), half_pixel_centers=True).numpy()
    np.testing.assert_allclose(small, expected, atol=1e-6)
    single = run(CenterCrop(3, 3), images[0])  # one image, no batch axis
    np.testing.assert_array_equal(single, images[0, 2:5, 3:6])


def test_image_layers_refuse_what_is_not_an_image():
    with pytest.raises(ValueError, match="resizing: input must be an image"):
        run(Resizing(2, 2), np.ones((3, 4), np.float32))
    with pytest.raises(ValueError, match="center_crop: height must be a positive int"):
        CenterCrop(0, 3)
    with pytest.raises(ValueError, match="interpolation"):
        Resizing(2, 2, interpolation="lanczos9")


def test_normalization_needs_a_known_rank_to_place_its_axes():
    with tfcore.new_graph().as_default():
        with pytest.raises(ValueError, match=r"normalization: axis -1 needs an input of known rank, "
                                             "got shape <unknown>"):
            Normalization()(tf.compat.v1.placeholder(tf.float32))
        with pytest.raises(ValueError, match=r"normalization: axis 3 is out of range for an input "
                                             r"of rank 2 \(shape \(None, 2\)\)"):
            Normalization(axis=3)(tfcore.placeholder((None, 2)))
