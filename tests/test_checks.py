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


@pytest.mark.parametrize("value,interval,expected", [
    (0, "[0, 1)", 0.0), (np.float32(0.25), "[0, 1)", 0.25), (1, "(0, 1]", 1.0), (3e9, "(0, inf)", 3e9),
])
def test_number_in_accepts_the_interval_as_written(value, interval, expected):
    got = checks.number_in(value, interval, "l", "rate")
    assert got == expected and type(got) is float


@pytest.mark.parametrize("value,interval,error,message", [
    (1.0, "[0, 1)", ValueError, r"l: rate must be in \[0, 1\) \(why\), got 1.0"),
    (0, "(0, 1]", ValueError, r"l: rate must be in \(0, 1\]"),
    (float("nan"), "[0, inf)", ValueError, r"l: rate must be in \[0, inf\)"),
    (-1e-9, "[0, inf)", ValueError, r"l: rate must be in \[0, inf\)"),
    ("0.5", "[0, 1)", TypeError, r"l: rate must be a number in \[0, 1\), got '0.5'"),
    (True, "[0, 1)", TypeError, r"l: rate must be a number in"),
])
def test_number_in_refuses_naming_layer_argument_and_interval(value, interval, error, message):
    with pytest.raises(error, match=message):
        checks.number_in(value, interval, "l", "rate", " (why)")


def test_input_spec_fixes_rank_and_sizes_and_lets_unknown_ones_pass():
    with tfcore.new_graph().as_default():
        spec = checks.InputSpec(ndim=3, axes={-1: 4}, unit="channels", layout="(batch, steps, channels)")
        checks.check_input_spec(tfcore.placeholder((None, 7, 4)), spec, "l")
        checks.check_input_spec(tfcore.placeholder((None, 7, None)), spec, "l")  # known at feed time
        checks.check_input_spec(tf.compat.v1.placeholder(tf.float32), spec, "l")  # unknown rank
        with pytest.raises(ValueError, match=r"l: input must have rank 3 \(batch, steps, channels\), "
                                             r"got shape \(None, 4\)"):
            checks.check_input_spec(tfcore.placeholder((None, 4)), spec, "l")
        with pytest.raises(ValueError, match=r"l: input has 5 channels, but the layer was built for 4 "
                                             r"\(axis -1 of shape \(None, 7, 5\)\)"):
            checks.check_input_spec(tfcore.placeholder((None, 7, 5)), spec, "l")
        pair = [checks.InputSpec(axes={1: 2}, name="query"), checks.InputSpec(axes={1: 3}, name="value")]
        checks.check_input_spec([tfcore.placeholder((None, 2)), tfcore.placeholder((None, 3))], pair, "l")
        with pytest.raises(ValueError, match="l: value has 2 features, but the layer was built for 3"):
            checks.check_input_spec([tfcore.placeholder((None, 2)), tfcore.placeholder((None, 2))], pair, "l")


class _Scale(tfcore.Module):
    """A user's layer: one weight per feature, and an input_spec saying so."""

    def build(self, input_shape):
        self.w = self.add_weight("w", [input_shape[-1]], tf.compat.v1.initializers.ones())
        self.input_spec = checks.InputSpec(axes={-1: int(input_shape[-1])})

    def call(self, inputs, training=False):
        return inputs * self.w


def test_module_call_checks_every_later_input_against_the_built_input_spec():
    with tfcore.new_graph().as_default():
        layer = _Scale(name="scale")
        layer(tfcore.placeholder((None, 3)))
        layer(tfcore.placeholder((None, 5, 3)))  # any rank: only the last axis is fixed
        with pytest.raises(ValueError, match="scale: input has 4 features, but the layer was built for 3"):
            layer(tfcore.placeholder((None, 4)))
        assert len(layer.variables) == 1  # the refused call made nothing
