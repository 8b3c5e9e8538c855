"""tfcore.checks: the shared argument and input checks name the layer and the argument."""

import numpy as np
import pytest
import tensorflow as tf

import tfcore
from tfcore import checks


@pytest.mark.parametrize("value,n,expected", [
    (3, 2, (3, 3)), (np.int64(2), 1, (2,)), ([1, 4], 2, (1, 4)), ((2, 3, 4), 3, (2, 3, 4)),
])
def test_normalize_tuple_turns_an_int_or_n_ints_into_python_ints(value, n, expected):
    got = checks.normalize_tuple(value, n, "layer", "size")
    assert got == expected and all(type(v) is int for v in got)


@pytest.mark.parametrize("value,message", [
    (0, "must be positive"), ((2, -1), "must be positive"), (True, "must be an int or a pair"),
    (2.0, "must be an int or a pair"), ((1, 2, 3), "must be an int or a pair"),
    ("2", "must be an int or a pair"),
])
def test_normalize_pair_rejects_bad_values_naming_layer_and_argument(value, message):
    with pytest.raises(ValueError, match="edges: strides " + message):
        checks.normalize_pair(value, "edges", "strides")


def test_non_negative_tuple_and_custom_description():
    assert checks.normalize_tuple(0, 2, "pad", "padding", minimum=0) == (0, 0)
    with pytest.raises(ValueError, match=r"pad: padding must be non-negative, got \(1, -1\)"):
        checks.normalize_tuple((1, -1), 2, "pad", "padding", minimum=0)
    with pytest.raises(ValueError, match=r"pad: padding must be a \(before, after\) pair"):
        checks.normalize_tuple("x", 2, "pad", "padding", what="a (before, after) pair")


def test_positive_int_choice_and_padding():
    assert checks.positive_int(np.int32(4), "fc", "units") == 4
    for bad in (0, -1, 2.5, True, None):
        with pytest.raises(ValueError, match="fc: units must be a positive int"):
            checks.positive_int(bad, "fc", "units")
    assert checks.normalize_choice("b", ("a", "b"), "l", "mode") == "b"
    with pytest.raises(ValueError, match="l: mode must be one of 'a', 'b', got 'c'"):
        checks.normalize_choice("c", ("a", "b"), "l", "mode")
    assert checks.normalize_padding("causal", "c", ("SAME", "VALID", "CAUSAL")) == "CAUSAL"
    with pytest.raises(ValueError, match="c: padding must be one of 'SAME', 'VALID' .any case., got 'causal'"):
        checks.normalize_padding("causal", "c")


def test_check_input_rejects_wrong_rank_and_integer_dtype():
    with tfcore.new_graph().as_default():
        checks.check_input(tfcore.placeholder((None, 3, 2)), 3, "l", "(batch, steps, channels)")
        with pytest.raises(ValueError, match=r"l: input must have rank 3 \(batch, steps, channels\)"):
            checks.check_input(tfcore.placeholder((None, 3)), 3, "l", "(batch, steps, channels)")
        with pytest.raises(TypeError, match="l: input must be a floating tensor .* got int64"):
            checks.check_input(tf.constant(np.ones((1, 2, 3), np.int64)), 3, "l", "")


def test_check_window_fits_statically_and_at_feed_time():
    graph = tfcore.new_graph()
    with graph.as_default():
        known = tfcore.placeholder((None, 4, 6, 1))
        assert checks.check_window_fits(known, (3, 6), "VALID", "l", "kernel") is known
        assert checks.check_window_fits(known, (9, 9), "SAME", "l", "kernel") is known
        with pytest.raises(ValueError, match=r"l: with padding 'VALID' the kernel \(7 along axis 2\)"):
            checks.check_window_fits(known, (3, 7), "VALID", "l", "kernel")
        unknown = tfcore.placeholder((None, None, 6, 1))
        checked = checks.check_window_fits(unknown, (3, 2), "VALID", "l", "pool window")
        assert checked is not unknown
        with tfcore.session(graph=graph) as sess:
            assert sess.run(checked, {unknown: np.ones((1, 3, 6, 1))}).shape == (1, 3, 6, 1)
            with pytest.raises(tf.errors.InvalidArgumentError,
                               match=r"l: with VALID padding the pool window \(3 along axis 1\)"):
                sess.run(checked, {unknown: np.ones((1, 2, 6, 1))})
