"""tfcore.checks: the shared argument and input checks name the layer and the argument."""

import numbers

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


# -- the checks first needed by the lesson layers and the recurrent layers ----------------------

def test_check_type_passes_the_value_and_refuses_a_bool_for_an_int():
    assert checks.check_type(np.int64(3), (numbers.Integral, type(None)), "d", "seed", "an int") == 3
    assert checks.check_type(None, (numbers.Integral, type(None)), "d", "seed", "an int") is None
    assert checks.check_type(False, bool, "bn", "fused", "True or False") is False
    for bad in (True, 1.5, "3"):
        with pytest.raises(TypeError, match="d: seed must be an int or None, got %r" % (bad,)):
            checks.check_type(bad, (numbers.Integral, type(None)), "d", "seed", "an int or None")
    with pytest.raises(TypeError, match="bn: fused must be True or False, got 1"):
        checks.check_type(1, bool, "bn", "fused", "True or False")


def test_check_list_takes_a_list_or_tuple_of_an_accepted_length():
    assert checks.check_list((1, 2), (2, 3), "att", "inputs", "a pair") == [1, 2]
    assert checks.check_list([], (0, 2), "att", "mask", "a pair") == []
    with pytest.raises(ValueError, match=r"att: inputs must be \[q, v\] or \[q, v, k\], got a list of 4"):
        checks.check_list([1] * 4, (2, 3), "att", "inputs", "[q, v] or [q, v, k]")
    with pytest.raises(ValueError, match="att: inputs must be a pair, got 'qv'"):
        checks.check_list("qv", (2,), "att", "inputs", "a pair")  # a string is no list


@pytest.mark.parametrize("value,minimum,expected", [
    (-1, None, (-1,)), (np.int32(2), None, (2,)), ([1, -1], None, (1, -1)), ((3, 1), 1, (3, 1)),
])
def test_normalize_axes_turns_an_int_or_ints_into_a_tuple(value, minimum, expected):
    got = checks.normalize_axes(value, "ln", "axis", minimum=minimum)
    assert got == expected and all(type(a) is int for a in got)


@pytest.mark.parametrize("value,minimum,error,message", [
    ("last", None, TypeError, "ln: axis must be an int or a non-empty list of ints, got 'last'"),
    ([], None, ValueError, "ln: axis must be an int or a non-empty list"),
    (True, None, TypeError, "must be an int or"),
    ([1, 2.0], None, ValueError, "must be an int or"),
    (0, 1, ValueError, r"ln: axis must be distinct axes >= 1, got 0"),
    ((1, 1), 1, ValueError, r"ln: axis must be distinct axes >= 1, got \(1, 1\)"),
])
def test_normalize_axes_refuses_naming_layer_and_argument(value, minimum, error, message):
    with pytest.raises(error, match=message):
        checks.normalize_axes(value, "ln", "axis", minimum=minimum)


def test_resolve_axes_counts_negative_axes_from_the_end_in_the_order_given():
    shape = tf.TensorShape([None, 2, 3, 4])
    assert checks.resolve_axes((-1, 1), shape, "ln") == (3, 1)
    assert checks.resolve_axes((0,), shape, "un") == (0,)
    for axes, message in [((4,), r"ln: axis 4 is out of range for an input of rank 4 "
                                 r"\(shape \(None, 2, 3, 4\)\)"),
                          ((-5, 1), "ln: axis -5 is out of range"),
                          ((1, -3), r"ln: axis \[1, -3\] names an axis twice"),
                          ((-4,), "ln: axis -4 names the batch axis")]:
        with pytest.raises(ValueError, match=message):
            checks.resolve_axes(axes, shape, "ln", batch=False)
    with pytest.raises(ValueError, match=r"ln: axis -1 needs an input of known rank"):
        checks.resolve_axes((-1,), tf.TensorShape(None), "ln")


def test_known_sizes_returns_python_ints_and_refuses_an_unknown_size_or_rank():
    got = checks.known_sizes(tf.TensorShape([None, 5, 7]), (-1, 1), "d", min_rank=2)
    assert got == (7, 5) and all(type(s) is int for s in got)
    assert checks.known_sizes((3, 3, 1, 2), (), "c", "kernel", rank=4) == ()
    cases = [
        ([None, 5], dict(rank=3, layout="(batch, time, features)"),
         r"d: input must have rank 3 \(batch, time, features\), got shape \(None, 5\)"),
        ([None], dict(min_rank=2), r"d: input must have rank >= 2, got shape \(None,\)"),
        (None, dict(), "d: input must have a known rank, got shape <unknown>"),
        ([None, 2, None], dict(axes=(-1,)), r"d: input's size along axis 2 must be known \(the layer's "
                                            r"weights are made from it\), got shape \(None, 2, None\)"),
    ]
    for shape, kwargs, message in cases:
        axes = kwargs.pop("axes", ())
        with pytest.raises(ValueError, match=message):
            checks.known_sizes(tf.TensorShape(shape), axes, "d", **kwargs)


def test_check_shapes_agree_lets_unknown_sizes_agree_and_names_whose_shapes():
    checks.check_shapes_agree([(None, 3), (2, None), (2, 3)], "att", "q, k and v")
    checks.check_shapes_agree([tf.TensorShape(None), (2, 3)], "att", "q and k")  # unknown rank
    with pytest.raises(ValueError, match=r"att: value and key must agree on every axis but the "
                                         r"last, got shapes \(None, 3\), \(None, 5\)"):
        checks.check_shapes_agree([(None, 3), (None, 5)], "att", "value and key",
                                  " on every axis but the last")
    with pytest.raises(ValueError, match=r"got shapes \(2, None\), \(None, 3\), \(3, 3\)"):
        checks.check_shapes_agree([(2, None), (None, 3), (3, 3)], "att", "a, b and c")  # pairs agree
    with pytest.raises(ValueError, match=r"rnn: the mask and the inputs must agree, got shapes \(4,\)"):
        checks.check_shapes_agree([(4,), (4, 5)], "rnn", "the mask and the inputs")  # ranks differ
