"""Dense: clear errors. (Its gradient check, variable reuse, float64 and weight round trip are
one line of tests/conformance.py.)"""

import pytest

import tfcore
from tfcore.layers import Dense


def test_dense_names_its_variables_in_keras_order_and_checks_inner_size(rng):
    with tfcore.new_graph().as_default():
        layer = Dense(3)
        layer(tfcore.placeholder((None, 5)))
        assert [v.name for v in layer.variables] == ["dense/kernel:0", "dense/bias:0"]
        with pytest.raises(ValueError, match="built for 5"):
            layer(tfcore.placeholder((None, 4)))


def test_dense_rejects_bad_units():
    with pytest.raises(ValueError, match="units"):
        Dense(0)
