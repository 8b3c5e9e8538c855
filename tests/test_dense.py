"""Dense: gradient check, weight protocol, clear errors."""

import pytest

import tfcore
from tfcore.layers import Dense


@pytest.mark.parametrize("activation", [None, "tanh", "sigmoid", "softmax"])
def test_dense_passes_gradient_check(rng, activation):
    tfcore.check_gradients(
        lambda x: Dense(3, activation=activation)(x), {"x": rng.randn(4, 5)},
        name="Dense(%s)" % activation,
    )


def test_dense_reuses_variables_and_checks_inner_size(rng):
    with tfcore.new_graph().as_default():
        layer = Dense(3)
        layer(tfcore.placeholder((None, 5)))
        layer(tfcore.placeholder((None, 5)))
        assert [v.name for v in layer.variables] == ["dense/kernel:0", "dense/bias:0"]
        with pytest.raises(ValueError, match="built for 5"):
            layer(tfcore.placeholder((None, 4)))


def test_dense_rejects_bad_units():
    with pytest.raises(ValueError, match="units"):
        Dense(0)
