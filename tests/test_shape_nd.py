"""UpSampling1D/3D, ZeroPadding3D, Cropping3D, GlobalAverage/MaxPooling3D: NumPy references in both
data formats with known and unknown (None) spatial sizes, float64 gradient checks, argument and
input errors that name the layer."""

import numpy as np
import pytest
import tensorflow as tf

import tfcore
from tests.helpers import run_layer
from tfcore.layers import (Cropping2D, Cropping3D, GlobalAveragePooling3D, GlobalMaxPooling3D,
                           UpSampling1D, UpSampling2D, UpSampling3D, ZeroPadding1D, ZeroPadding2D,
                           ZeroPadding3D)


def _repeat(x, factors):
    for axis, factor in enumerate(factors, start=1):
        x = np.repeat(x, factor, axis=axis)
    return x


def _crop(x, borders):
    return x[(slice(None),) + tuple(slice(b, x.shape[a] - e) for a, (b, e) in enumerate(borders, 1))]


# (layer class, its arguments, channels-last input shape, NumPy reference on channels-last input)
CASES = [
    (UpSampling1D, {}, (2, 4, 3), lambda x: np.repeat(x, 2, axis=1)),
    (UpSampling1D, {"size": 3}, (1, 5, 2), lambda x: np.repeat(x, 3, axis=1)),
    (UpSampling1D, {"size": np.int64(1)}, (2, 3, 1), lambda x: x),
    (UpSampling3D, {}, (2, 2, 3, 4, 2), lambda x: _repeat(x, (2, 2, 2))),
    (UpSampling3D, {"size": (1, 3, 2)}, (1, 3, 2, 2, 3), lambda x: _repeat(x, (1, 3, 2))),
    (UpSampling3D, {"size": 3}, (1, 2, 1, 2, 1), lambda x: _repeat(x, (3, 3, 3))),
    (ZeroPadding3D, {}, (2, 2, 3, 4, 2), lambda x: np.pad(x, [(0, 0)] + [(1, 1)] * 3 + [(0, 0)])),
    (ZeroPadding3D, {"padding": (2, 0, 1)}, (1, 3, 2, 2, 3),
     lambda x: np.pad(x, [(0, 0), (2, 2), (0, 0), (1, 1), (0, 0)])),
    (ZeroPadding3D, {"padding": ((0, 2), [1, 0], 3)}, (2, 2, 3, 1, 1),
     lambda x: np.pad(x, [(0, 0), (0, 2), (1, 0), (3, 3), (0, 0)])),
    (Cropping3D, {}, (2, 4, 3, 5, 2), lambda x: _crop(x, ((1, 1),) * 3)),
    (Cropping3D, {"cropping": (0, 2, 1)}, (1, 3, 6, 4, 3), lambda x: _crop(x, ((0, 0), (2, 2), (1, 1)))),
    (Cropping3D, {"cropping": ((2, 0), (0, 1), [1, 3])}, (2, 3, 2, 6, 1),
     lambda x: _crop(x, ((2, 0), (0, 1), (1, 3)))),
    (GlobalAveragePooling3D, {}, (2, 3, 2, 4, 3), lambda x: x.mean(axis=(1, 2, 3))),
    (GlobalAveragePooling3D, {"keepdims": True}, (1, 2, 3, 2, 2), lambda x: x.mean(axis=(1, 2, 3), keepdims=True)),
    (GlobalMaxPooling3D, {}, (2, 3, 2, 4, 3), lambda x: x.max(axis=(1, 2, 3))),
    (GlobalMaxPooling3D, {"keepdims": True}, (1, 2, 3, 2, 2), lambda x: x.max(axis=(1, 2, 3), keepdims=True)),
]
WITH_DATA_FORMAT = [case for case in CASES if case[0] is not UpSampling1D]


def _to_first(x):
    """channels_last -> channels_first (a NumPy array of rank >= 3)."""
    return np.transpose(x, [0, x.ndim - 1] + list(range(1, x.ndim - 1))) if x.ndim > 2 else x


def assert_equal(y, expected):
    """Copies are exact; a mean may differ from NumPy's in the last bit (another summation order)."""
    np.testing.assert_allclose(y, expected, rtol=1e-14, atol=0)


@pytest.mark.parametrize("cls,kwargs,shape,reference", CASES)
def test_equals_numpy_channels_last(rng, cls, kwargs, shape, reference):
    x = rng.randn(*shape)
    y, static = run_layer(cls(**kwargs), x)
    expected = reference(x)
    assert_equal(y, expected)
    assert static.as_list() == [None] + list(expected.shape[1:])


@pytest.mark.parametrize("cls,kwargs,shape,reference", WITH_DATA_FORMAT)
def test_equals_numpy_channels_first(rng, cls, kwargs, shape, reference):
    x = rng.randn(*shape)
    y, static = run_layer(cls(data_format="channels_first", **kwargs), _to_first(x))
    expected = _to_first(reference(x))
    assert_equal(y, expected)
    assert static.as_list() == [None] + list(expected.shape[1:])


@pytest.mark.parametrize("cls,kwargs,shape,reference,data_format",
                         [case + ("channels_last",) for case in CASES]
                         + [case + ("channels_first",) for case in WITH_DATA_FORMAT])
def test_unknown_spatial_sizes(rng, cls, kwargs, shape, reference, data_format):
    """Every axis but the channels unknown until the feed (Keras allows it for all of these)."""
    first = data_format == "channels_first"
    layer = cls(**kwargs) if cls is UpSampling1D else cls(data_format=data_format, **kwargs)
    x = rng.randn(*shape)
    expected = reference(x)
    if first:
        x, expected = _to_first(x), _to_first(expected)
    with tfcore.new_graph().as_default() as graph:
        placeholder_shape = [None] * x.ndim
        placeholder_shape[1 if first else -1] = x.shape[1 if first else -1]
        xp = tfcore.placeholder(placeholder_shape, tf.float64)
        y = layer(xp)
        channels = 1 if first else y.shape.rank - 1
        pooled = cls in (GlobalAveragePooling3D, GlobalMaxPooling3D)
        # The channels stay known; the pooled axes are 1 with keepdims; every other size is unknown.
        assert [d is None for d in y.shape.as_list()] == [
            a == 0 or (a != channels and not pooled) for a in range(y.shape.rank)]
        with tfcore.session(graph=graph) as sess:
            assert_equal(sess.run(y, {xp: x}), expected)


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
@pytest.mark.parametrize("make,shape", [
    (lambda **kw: UpSampling3D((2, 1, 3), **kw), (2, 2, 3, 2, 2)),
    (lambda **kw: ZeroPadding3D(((1, 0), (0, 2), (1, 1)), **kw), (1, 2, 3, 2, 2)),
    (lambda **kw: Cropping3D(((1, 0), (0, 2), (1, 1)), **kw), (2, 3, 4, 4, 2)),
    (lambda **kw: GlobalAveragePooling3D(**kw), (2, 2, 3, 2, 3)),
    (lambda **kw: GlobalMaxPooling3D(keepdims=True, **kw), (2, 2, 3, 2, 3)),
])
def test_passes_gradient_check(rng, make, shape, data_format):
    x = rng.randn(*shape)
    x = _to_first(x) if data_format == "channels_first" else x
    tfcore.check_gradients(lambda x: make(data_format=data_format)(x), {"x": x},
                           name="%s(%s)" % (make().name, data_format))


@pytest.mark.parametrize("make,message", [
    (lambda: UpSampling1D(0), "up_sampling1d: size must be a positive int, got 0"),
    (lambda: UpSampling1D(-2), "up_sampling1d: size must be a positive int"),
    (lambda: UpSampling1D((2,)), "up_sampling1d: size must be a positive int, got \\(2,\\)"),
    (lambda: UpSampling1D(2.5), "up_sampling1d: size must be a positive int, got 2.5"),
    (lambda: UpSampling1D(True), "up_sampling1d: size must be a positive int, got True"),
    (lambda: UpSampling3D((2, 2)), "up_sampling3d: size must be an int or a tuple of 3 ints"),
    (lambda: UpSampling3D((0, 1, 1)), "up_sampling3d: size must be positive, got \\(0, 1, 1\\)"),
    (lambda: UpSampling3D((2, 2, 2.0)), "up_sampling3d: size must be an int or a tuple of 3 ints"),
    (lambda: UpSampling3D(interpolation="bilinear"), "unexpected keyword argument 'interpolation'"),
    (lambda: UpSampling3D(data_format="NCDHW"), "up_sampling3d: data_format must be one of"),
    (lambda: ZeroPadding3D(-1), "zero_padding3d: padding\\[0\\] \\(front, back\\) must be non-negative"),
    (lambda: ZeroPadding3D((1, 2)), "zero_padding3d: padding must be an int, a triple"),
    (lambda: ZeroPadding3D(((1, 2), (1,), (0, 0))),
     "zero_padding3d: padding\\[1\\] \\(top, bottom\\) must be an int or a pair"),
    (lambda: ZeroPadding3D(1.5), "zero_padding3d: padding must be an int, a triple"),
    (lambda: ZeroPadding3D((1, 1, -1)), "zero_padding3d: padding\\[2\\] \\(left, right\\) must be non-negative"),
    (lambda: Cropping3D(-1), "cropping3d: cropping\\[0\\] \\(front, back\\) must be non-negative"),
    (lambda: Cropping3D((1, 2)), "cropping3d: cropping must be an int, a triple"),
    (lambda: Cropping3D(((1, 2), 1, (0, 0, 0))), "cropping3d: cropping\\[2\\] \\(left, right\\) must be"),
    (lambda: Cropping3D("same"), "cropping3d: cropping must be an int, a triple"),
    (lambda: GlobalAveragePooling3D(data_format="channels_middle"),
     "global_average_pooling3d: data_format must be one of"),
    (lambda: GlobalMaxPooling3D(data_format=""), "global_max_pooling3d: data_format must be one of"),
])
def test_rejects_bad_arguments_naming_the_layer(make, message):
    with pytest.raises((ValueError, TypeError), match=message):
        make()


def test_data_format_in_any_case_as_keras():
    assert UpSampling3D(data_format="Channels_First").data_format == "channels_first"
    assert GlobalMaxPooling3D(data_format="CHANNELS_LAST").data_format == "channels_last"
    assert Cropping3D(data_format=None).data_format == "channels_last"


def test_keras_argument_forms_and_defaults():
    assert UpSampling1D().size == 2 and UpSampling1D(np.int32(4)).size == 4
    assert UpSampling3D().size == (2, 2, 2) and UpSampling3D([1, 2, 3]).size == (1, 2, 3)
    assert ZeroPadding3D().padding == ((1, 1),) * 3
    assert ZeroPadding3D(2).padding == ((2, 2),) * 3
    assert ZeroPadding3D((1, 2, 3)).padding == ((1, 1), (2, 2), (3, 3))
    assert Cropping3D().cropping == ((1, 1),) * 3
    assert Cropping3D(((0, 1), 2, (3, 0))).cropping == ((0, 1), (2, 2), (3, 0))
    assert GlobalAveragePooling3D().data_format == "channels_last"
    assert not GlobalMaxPooling3D().keepdims
    assert [cls().name for cls in (UpSampling1D, UpSampling3D, ZeroPadding3D, Cropping3D,
                                   GlobalAveragePooling3D, GlobalMaxPooling3D)] == [
        "up_sampling1d", "up_sampling3d", "zero_padding3d", "cropping3d", "global_average_pooling3d",
        "global_max_pooling3d"]


@pytest.mark.parametrize("make,shape,message", [
    (lambda: UpSampling1D(), (None, 4, 3, 2), r"up_sampling1d: input must have rank 3 \(batch, steps, channels\)"),
    (lambda: UpSampling3D(), (None, 4, 3, 2), r"up_sampling3d: input must have rank 5 "
                                              r"\(batch, depth, height, width, channels\)"),
    (lambda: ZeroPadding3D(data_format="channels_first"), (None, 4, 3, 2),
     r"zero_padding3d: input must have rank 5 \(batch, channels, depth, height, width\)"),
    (lambda: Cropping3D(data_format="channels_first"), (None, 2, 4, 3, 2, 1),
     r"cropping3d: input must have rank 5 \(batch, channels, depth, height, width\)"),
    (lambda: GlobalAveragePooling3D(), (None, 4, 3, 2), r"global_average_pooling3d: input must have rank 5"),
    (lambda: GlobalMaxPooling3D(data_format="channels_first"), (None, 4, 3, 2),
     r"global_max_pooling3d: input must have rank 5 \(batch, channels, depth"),
    (lambda: Cropping3D(((1, 2), 0, 0)), (None, 3, 4, 4, 1),
     r"cropping3d: cropping \(1, 2\) removes all 3 positions of axis 1"),
    (lambda: Cropping3D((0, 0, 2), data_format="channels_first"), (None, 1, 6, 6, 4),
     r"cropping3d: cropping \(2, 2\) removes all 4 positions of axis 3"),
    (lambda: GlobalAveragePooling3D(), (None, 2, 0, 2, 3),
     r"global_average_pooling3d: input shape .* has size 0 along a pooled axis"),
    (lambda: GlobalMaxPooling3D(data_format="channels_first"), (None, 3, 2, 2, 0),
     r"global_max_pooling3d: input shape .* has size 0 along a pooled axis"),
])
def test_rejects_bad_inputs_naming_the_layer(make, shape, message):
    with tfcore.new_graph().as_default():
        with pytest.raises(ValueError, match=message):
            make()(tfcore.placeholder(shape))


@pytest.mark.parametrize("make,shape", [
    (lambda: ZeroPadding2D(0, data_format="channels_first"), (2, 3, 4, 5)),
    (lambda: ZeroPadding3D(0, data_format="channels_first"), (2, 3, 4, 5, 2)),
    (lambda: Cropping2D(data_format="channels_first"), (2, 3, 4, 5)),
    (lambda: Cropping3D(0, data_format="channels_first"), (2, 3, 4, 5, 2)),
    (lambda: UpSampling2D(1, data_format="channels_first", interpolation="bilinear"), (2, 3, 4, 5)),
    (lambda: UpSampling3D(1, data_format="channels_first"), (2, 3, 4, 5, 2)),
    (lambda: ZeroPadding1D(0), (2, 3, 4)),
])
@pytest.mark.parametrize("unknown", [False, True])
def test_arguments_that_change_nothing_return_the_input(rng, make, shape, unknown):
    """Zero borders and factors of 1 give back x, in channels_first too (TensorFlow 2.21's graph
    optimizer returned x with its axes permuted when a no-op pad sat between the two transposes)."""
    x = rng.randn(*shape)
    with tfcore.new_graph().as_default() as graph:
        xp = tfcore.placeholder([None] * len(shape) if unknown else (None,) + shape[1:], tf.float64)
        y = make()(xp)
        with tfcore.session(graph=graph) as sess:
            np.testing.assert_array_equal(sess.run(y, {xp: x}), x)
