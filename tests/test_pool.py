"""MaxPool2D / AvgPool2D: equal the docstring's equations (tfcore.reference's NumPy loops);
gradient checks; errors."""

import numpy as np
import pytest

import tfcore
from tests.helpers import run_layer
from tfcore import reference
from tfcore.layers.pool import AvgPool2D, MaxPool2D


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
