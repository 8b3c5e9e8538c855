"""UpSampling2D equals NumPy's repeat (nearest) and TensorFlow's ResizeBilinear (bilinear)."""

import numpy as np
import pytest
import tensorflow as tf

import tfcore
from tests.helpers import evaluate, run_layer
from tfcore.layers.keras.upsampling import UpSampling2D


@pytest.mark.parametrize("shape,size", [((2, 3, 4, 2), 2), ((1, 5, 3, 1), (3, 1)), ((2, 1, 2, 3), (1, 4))])
def test_nearest_upsampling_equals_numpy_repeat(rng, shape, size):
    x = rng.randn(*shape)
    layer = UpSampling2D(size)
    y, static = run_layer(layer, x)
    sh, sw = layer.size
    np.testing.assert_array_equal(y, np.repeat(np.repeat(x, sh, axis=1), sw, axis=2))
    assert static.as_list() == [None, shape[1] * sh, shape[2] * sw, shape[3]]


@pytest.mark.parametrize("shape,size", [((2, 3, 4, 2), 2), ((1, 5, 3, 1), (3, 2)), ((2, 1, 2, 3), (1, 4)),
                                        ((1, 4, 4, 1), 5)])
def test_bilinear_upsampling_equals_resize_bilinear_with_half_pixel_centers(rng, shape, size):
    # ResizeBilinear computes in float32 whatever its input, so compare in float32.
    x = rng.randn(*shape).astype(np.float32)
    layer = UpSampling2D(size, interpolation="bilinear")
    y, _ = run_layer(layer, x, tf.float32)
    out = [shape[1] * layer.size[0], shape[2] * layer.size[1]]
    expected = evaluate(lambda: tf.raw_ops.ResizeBilinear(
        images=tf.constant(x), size=out, align_corners=False, half_pixel_centers=True))
    np.testing.assert_allclose(y, expected, rtol=0, atol=1e-6)


def test_bilinear_upsampling_works_with_unknown_spatial_sizes(rng):
    x = rng.randn(1, 3, 2, 1)
    with tfcore.new_graph().as_default() as graph:
        xp = tfcore.placeholder((None, None, None, 1), tf.float64)
        y = UpSampling2D(2, interpolation="bilinear")(xp)
        with tfcore.session(graph=graph) as sess:
            assert sess.run(y, {xp: x}).shape == (1, 6, 4, 1)


@pytest.mark.parametrize("interpolation", ["bilinear"])  # nearest: tests/conformance.py
def test_upsampling_passes_gradient_check(rng, interpolation):
    tfcore.check_gradients(lambda x: UpSampling2D((2, 3), interpolation=interpolation)(x),
                           {"x": rng.randn(2, 3, 2, 2)}, name="UpSampling2D " + interpolation)


def test_upsampling_rejects_bad_arguments():
    with pytest.raises(ValueError, match="up_sampling2d: interpolation must be one of"):
        UpSampling2D(interpolation="cubic")
    with pytest.raises(ValueError, match="up_sampling2d: size must be positive"):
        UpSampling2D(0)
    with tfcore.new_graph().as_default():
        with pytest.raises(ValueError, match="up_sampling2d: input must have rank 4"):
            UpSampling2D()(tfcore.placeholder((None, 3, 3)))
        # Nearest copies integers as they are; bilinear weighs them, so it needs floats.
        pixels = tf.constant(np.arange(4, dtype=np.int32).reshape(1, 2, 2, 1))
        assert UpSampling2D(2)(pixels).dtype == tf.int32
        with pytest.raises(TypeError, match="up_sampling2d_1: input must be a floating tensor .*, "
                                            "got int32 .bilinear"):
            UpSampling2D(2, interpolation="bilinear", name="up_sampling2d_1")(pixels)
