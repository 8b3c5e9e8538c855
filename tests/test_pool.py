"""MaxPool2D / AvgPool2D: equal the docstring's equations (tfcore.reference's NumPy loops);
gradient checks; errors."""

import numpy as np
import pytest
import tensorflow as tf

import tfcore
from tests.helpers import assert_implementations_agree, run_layer, run_layers_with_gradients
from tfcore import reference
from tfcore.layers.pool import AvgPool1D, AvgPool2D, MaxPool1D, MaxPool2D


CASES = [
    # (input shape, pool_size, strides, padding)
    ((2, 7, 9, 3), 2, None, "VALID"),
    ((2, 7, 9, 3), 2, None, "same"),
    ((1, 7, 7, 2), 3, None, "SAME"),
    ((1, 8, 7, 2), 3, None, "valid"),
    ((2, 9, 5, 1), 3, 2, "SAME"),
    ((2, 9, 5, 1), 3, 2, "VALID"),
    ((1, 6, 11, 2), (2, 3), (1, 2), "SAME"),
    ((1, 6, 11, 2), (3, 2), (2, 1), "VALID"),
    ((1, 5, 5, 1), 2, 1, "SAME"),
]


@pytest.mark.parametrize("shape,pool_size,strides,padding", CASES)
@pytest.mark.parametrize("layer_class,numpy_pool", [(MaxPool2D, reference.max_pool2d),
                                                    (AvgPool2D, reference.avg_pool2d)],
                         ids=["max", "avg"])
def test_pooling_equals_numpy_equation(rng, layer_class, numpy_pool, shape, pool_size, strides,
                                       padding):
    x = rng.randn(*shape)
    layer = layer_class(pool_size, strides=strides, padding=padding)
    y, static = run_layer(layer, x)
    expected = numpy_pool(x, layer.pool_size, layer.strides, layer.padding)
    assert y.shape == expected.shape
    assert static.as_list() == [None] + list(expected.shape[1:])
    np.testing.assert_allclose(y, expected, rtol=1e-12, atol=1e-12)


def test_same_average_pooling_of_a_constant_image_is_that_constant_at_the_borders():
    # Dividing by pool_size**2 instead of the valid count would shrink the borders.
    y, _ = run_layer(AvgPool2D(3, strides=2, padding="SAME"), np.full((1, 6, 7, 2), 2.5))
    np.testing.assert_allclose(y, np.full((1, 3, 4, 2), 2.5), rtol=1e-12)


def test_pool_strides_default_to_pool_size():
    assert MaxPool2D(3).strides == (3, 3)
    assert AvgPool2D((2, 3), strides=1).strides == (1, 1)


@pytest.mark.parametrize("padding", ["SAME", "VALID"])
@pytest.mark.parametrize("pool_size,strides", [(2, None), (3, 2), ((2, 3), 1)])
def test_avg_pool_passes_gradient_check(rng, padding, pool_size, strides):
    tfcore.check_gradients(lambda x: AvgPool2D(pool_size, strides, padding)(x),
                           {"x": rng.randn(1, 5, 5, 2)}, name="AvgPool2D")


@pytest.mark.parametrize("padding", ["SAME", "VALID"])
@pytest.mark.parametrize("pool_size,strides", [(2, None), (3, 2), ((2, 3), 1)])
def test_max_pool_passes_gradient_check_away_from_ties(rng, padding, pool_size, strides):
    # Distinct values 0.1 apart: a finite-difference step of 1e-5 never changes the winner.
    x = rng.permutation(50).reshape(1, 5, 5, 2) * 0.1
    tfcore.check_gradients(lambda x: MaxPool2D(pool_size, strides, padding)(x), {"x": x},
                           name="MaxPool2D")


@pytest.mark.parametrize("layer_class", [MaxPool2D, AvgPool2D])
def test_pool_rejects_unknown_padding_listing_valid_values(layer_class):
    with pytest.raises(ValueError, match=r"pool2d: padding must be one of 'SAME', 'VALID'.*'full'"):
        layer_class(2, padding="full")


@pytest.mark.parametrize("kwargs,arg", [
    (dict(pool_size=0), "pool_size"), (dict(pool_size=(2, -2)), "pool_size"),
    (dict(pool_size=2.5), "pool_size"), (dict(pool_size=2, strides=0), "strides"),
])
def test_pool_rejects_non_positive_sizes(kwargs, arg):
    with pytest.raises(ValueError, match="max_pool2d: " + arg):
        MaxPool2D(**kwargs)


def test_pool_rejects_wrong_rank_and_window_larger_than_valid_image():
    with tfcore.new_graph().as_default():
        with pytest.raises(ValueError, match="avg_pool2d: input must have rank 4"):
            AvgPool2D()(tfcore.placeholder((None, 8, 3)))
        layer = MaxPool2D(name="pool")
        layer(tfcore.placeholder((None, 8, 8, 3)))
        with pytest.raises(ValueError, match="pool: input must have rank 4"):
            layer(tfcore.placeholder((None, 8, 8)))
        with pytest.raises(ValueError, match="pool: with padding 'VALID' the pool window"):
            MaxPool2D(3, name="pool")(tfcore.placeholder((None, 2, 8, 1)))


def test_pool_accepts_other_image_and_channel_sizes_on_later_calls():
    # Pooling has no variables: nothing ties it to the first input's sizes.
    with tfcore.new_graph().as_default():
        layer = AvgPool2D(2)
        assert layer(tfcore.placeholder((None, 8, 8, 3))).shape.as_list() == [None, 4, 4, 3]
        assert layer(tfcore.placeholder((None, 6, 4, 5))).shape.as_list() == [None, 3, 2, 5]


# ---------------------------------------------------------------------------
# 1-D pooling, the patches path and the hand-derived gradients
# ---------------------------------------------------------------------------

IMPLEMENTATIONS = [("fused", "auto"), ("patches", "auto"), ("patches", "manual")]
POOLS = {"max1d": (MaxPool1D, reference.max_pool1d), "avg1d": (AvgPool1D, reference.avg_pool1d),
         "max2d": (MaxPool2D, reference.max_pool2d), "avg2d": (AvgPool2D, reference.avg_pool2d)}


@pytest.mark.parametrize("implementation,gradient", IMPLEMENTATIONS)
@pytest.mark.parametrize("kind", ["max1d", "avg1d"])
@pytest.mark.parametrize("shape,pool_size,strides,padding", [
    ((2, 9, 3), 2, None, "valid"), ((2, 9, 3), 2, None, "same"), ((1, 8, 2), 3, 2, "SAME"),
    ((2, 11, 1), 4, 3, "valid"), ((1, 5, 2), 3, 1, "same"),
])
def test_1d_pooling_equals_numpy_equation(rng, kind, implementation, gradient, shape, pool_size,
                                          strides, padding):
    layer_class, numpy_pool = POOLS[kind]
    x = rng.randn(*shape)
    layer = layer_class(pool_size, strides, padding, implementation=implementation, gradient=gradient)
    y, static = run_layer(layer, x)
    expected = numpy_pool(x, pool_size, strides, padding)
    assert static.as_list() == [None] + list(expected.shape[1:])
    np.testing.assert_allclose(y, expected, rtol=1e-12, atol=1e-12)


def random_pool_case(seed):
    """A random pooling layer and a tie-free input: 1-D or 2-D, odd sizes, batch 1, either padding."""
    rng = np.random.RandomState(seed)
    kind = sorted(POOLS)[rng.randint(len(POOLS))]
    rank = int(kind[-2])
    pool_size = tuple(int(p) for p in rng.randint(1, 5, size=rank))
    strides = None if rng.rand() < 0.3 else tuple(int(s) for s in rng.randint(1, 4, size=rank))
    shape = ((int(rng.randint(1, 4)),) + tuple(int(n) for n in rng.randint(5, 12, size=rank))
             + (int(rng.randint(1, 4)),))
    # Distinct values (a permutation): with ties the max's gradient legitimately differs.
    x = (rng.permutation(int(np.prod(shape))).reshape(shape) - np.prod(shape) / 2) * 0.01
    return POOLS[kind][0], dict(pool_size=pool_size, strides=strides,
                                padding=["same", "valid"][rng.randint(2)]), x, rng.rand() < 0.5


@pytest.mark.parametrize("seed", range(10))
def test_patches_pooling_equals_fused_pooling_forward_and_backward_in_float32(seed):
    layer_class, kwargs, x, unknown_spatial = random_pool_case(seed)
    assert_implementations_agree(layer_class, kwargs, IMPLEMENTATIONS, x.astype(np.float32), 1e-5,
                                 unknown_spatial=unknown_spatial, seed=seed)


@pytest.mark.parametrize("seed", range(10, 16))
def test_manual_pool_gradient_equals_tf_gradients_and_numpy_in_float64(seed):
    layer_class, kwargs, x, unknown_spatial = random_pool_case(seed)
    layers = [layer_class(implementation=i, gradient=g, **kwargs)
              for i, g in [("patches", "auto"), ("patches", "manual"), ("fused", "auto")]]
    (y, (auto,)), (_, (manual,)), (y_fused, (fused,)) = run_layers_with_gradients(
        layers, x, unknown_spatial=unknown_spatial, seed=seed)
    np.testing.assert_allclose(manual, auto, rtol=1e-6, atol=1e-12)
    np.testing.assert_allclose(y_fused, y, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(fused, manual, rtol=1e-6, atol=1e-12)
    if x.ndim == 4:  # the NumPy loops of tfcore.reference, given the same dL/dy = r
        numpy_grad = {MaxPool2D: reference.max_pool2d_grad, AvgPool2D: reference.avg_pool2d_grad}
        r = np.random.RandomState(seed).uniform(-1, 1, y.shape)  # as run_layers_with_gradients draws it
        expected = numpy_grad[layer_class](x, r, layers[0].pool_size, layers[0].strides, layers[0].padding)
        np.testing.assert_allclose(manual, expected, rtol=1e-6, atol=1e-12)


@pytest.mark.parametrize("kind", sorted(POOLS))
@pytest.mark.parametrize("padding,pool_size,strides", [("SAME", 3, 2), ("VALID", 2, 1)])
def test_manual_pool_gradient_passes_central_differences(kind, padding, pool_size, strides):
    layer_class = POOLS[kind][0]
    shape = (1, 5, 2) if kind.endswith("1d") else (1, 5, 4, 2)
    x = np.random.RandomState(3).permutation(int(np.prod(shape))).reshape(shape) * 0.1  # no ties
    tfcore.check_gradients(
        lambda x: layer_class(pool_size, strides, padding, implementation="patches",
                              gradient="manual")(x),
        {"x": x}, name="%s(gradient='manual', %s)" % (layer_class.__name__, padding))


@pytest.mark.parametrize("layer_class", [MaxPool2D, AvgPool2D])
def test_manual_pool_gradient_second_order_check_passes(layer_class):
    # The backward is built from differentiable ops, so tf.custom_gradient does not stop
    # the second derivative; both are piecewise linear, so it is zero, as the numbers say.
    x = np.random.RandomState(4).permutation(32).reshape(1, 4, 4, 2) * 0.1
    tfcore.check_gradients(
        lambda x: tf.tanh(layer_class(2, 1, "SAME", implementation="patches", gradient="manual")(x)),
        {"x": x}, name="%s(manual) then tanh" % layer_class.__name__, order=2)


def test_max_pool_ties_fused_and_manual_route_to_the_first_maximum_auto_patches_splits():
    # Ties: MaxPoolGrad (fused) and the manual gradient send dy to the first maximal pixel of
    # each window (row-major), as reference.max_pool2d_grad does; tf.reduce_max's automatic
    # gradient (patches, gradient="auto") shares it equally among the tied pixels.
    x = np.array([[1., 1., 0., 2.], [1., 0., 2., 2.], [3., 3., 5., 5.], [3., 3., 5., 5.]]).reshape(1, 4, 4, 1)
    layers = [MaxPool2D(2, implementation=i, gradient=g) for i, g in IMPLEMENTATIONS]
    results = run_layers_with_gradients(layers, x)
    r = np.random.RandomState(0).uniform(-1, 1, (1, 2, 2, 1))
    first = reference.max_pool2d_grad(x, r)
    np.testing.assert_allclose(results[0][1][0], first, rtol=1e-12)    # fused
    np.testing.assert_allclose(results[2][1][0], first, rtol=1e-12)    # patches, manual
    split = results[1][1][0]                                           # patches, auto
    np.testing.assert_allclose(split.sum(axis=(1, 2)), first.sum(axis=(1, 2)), rtol=1e-12)
    np.testing.assert_allclose(split[0, 2:, 2:, 0], np.full((2, 2), r[0, 1, 1, 0] / 4), rtol=1e-12)
    assert first[0, 2, 2, 0] == r[0, 1, 1, 0] and first[0, 3, 3, 0] == 0


def test_patches_max_pool_pads_with_minus_infinity_so_negative_borders_pool_right(rng):
    x = -1.0 - rng.rand(1, 5, 5, 1)  # all negative: zero padding would win every border window
    y, _ = run_layer(MaxPool2D(3, 2, "SAME", implementation="patches"), x)
    np.testing.assert_allclose(y, reference.max_pool2d(x, 3, 2, "SAME"), rtol=1e-12)
    assert y.max() < 0


def test_pool_rejects_manual_gradient_on_the_fused_path_and_integer_input():
    with pytest.raises(ValueError, match="max_pool1d: gradient='manual' .* implementation='patches'"):
        MaxPool1D(gradient="manual")
    with pytest.raises(ValueError, match="avg_pool1d: pool_size must be an int or a tuple of 1 ints"):
        AvgPool1D((2, 2))
    with tfcore.new_graph().as_default():
        with pytest.raises(TypeError, match="avg_pool2d: input must be a floating tensor.*uint8"):
            AvgPool2D()(tfcore.placeholder((None, 4, 4, 1), tf.uint8))


@pytest.mark.parametrize("implementation", ["fused", "patches"])
def test_pool_window_larger_than_a_feed_time_size_fails_at_run_time_naming_the_layer(implementation):
    graph = tfcore.new_graph()
    with graph.as_default():
        x = tfcore.placeholder((None, None, 2))
        y = MaxPool1D(4, implementation=implementation, name="pool")(x)
        with tfcore.session(graph=graph) as sess:
            assert sess.run(y, {x: np.ones((1, 9, 2))}).shape == (1, 2, 2)
            message = r"pool: with VALID padding the pool window \(4 along axis 1\) is larger than the fed"
            with pytest.raises(tf.errors.InvalidArgumentError, match=message):
                sess.run(y, {x: np.ones((1, 3, 2))})


def test_pool1d_flops_are_counted_like_pool2d():
    from tfcore.inspect import summary
    graph = tfcore.new_graph(0)
    with graph.as_default():
        y = MaxPool1D(3, name="pool")(tfcore.placeholder((2, 9, 4)))
    assert summary((graph, y), print_fn=None).row("pool").flops == 3 * 2 * 3 * 4  # one compare per tap
