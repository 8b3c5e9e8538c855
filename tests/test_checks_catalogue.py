"""tfcore.checks, the block first needed by the Keras-2 catalogue, the optimizers and the losses:
a good value comes back normalised, each bad kind raises naming the layer and the argument
(a value of the wrong kind a TypeError, a value of the right kind out of bounds a ValueError)."""

import numpy as np
import pytest
import tensorflow as tf

import tfcore
from tfcore import checks


def test_check_type_and_check_flag():
    layer = tfcore.layers.Dense(2)
    assert checks.check_type(layer, tfcore.Module, "w", "layer", "a tfcore layer") is layer
    with pytest.raises(TypeError, match="w: layer must be a tfcore layer, got 3"):
        checks.check_type(3, tfcore.Module, "w", "layer", "a tfcore layer")
    for good in (True, False, np.bool_(True)):
        got = checks.check_flag(good, "adam", "amsgrad")
        assert got == bool(good) and type(got) is bool
    for bad in (0, 1, "yes", None):
        with pytest.raises(TypeError, match="adam: amsgrad must be True or False, got %r" % (bad,)):
            checks.check_flag(bad, "adam", "amsgrad")


def test_check_int():
    got = checks.check_int(np.int64(-2), "cat", "axis")
    assert got == -2 and type(got) is int
    for bad in (1.0, True, "1", None, [1]):
        with pytest.raises(TypeError, match="cat: axis must be an int, got"):
            checks.check_int(bad, "cat", "axis")


@pytest.mark.parametrize("value,kwargs,expected", [
    (-1, {}, (-1,)), ([1, np.int32(2)], {}, (1, 2)), (2, {"n": 2}, (2, 2)), ((1, -1), {"n": 2}, (1, -1)),
    ([], {"allow_empty": True}, ()), ((3, 1), {"minimum": 1}, (3, 1)),
])
def test_normalize_axes_turns_an_int_or_ints_into_a_tuple_of_python_ints(value, kwargs, expected):
    got = checks.normalize_axes(value, "l", "axis", **kwargs)
    assert got == expected and all(type(a) is int for a in got)


@pytest.mark.parametrize("value,kwargs,error,message", [
    ("1", {}, TypeError, "l: axis must be an int or a non-empty list of ints, got '1'"),
    (1.0, {"n": 2}, TypeError, "l: axis must be an int or a pair of ints, got 1.0"),
    (True, {}, TypeError, "l: axis must be an int or a non-empty list of ints, got True"),
    (None, {"allow_empty": True}, TypeError, "l: axis must be an int or a list of ints, got None"),
    ([], {}, ValueError, r"l: axis must be an int or a non-empty list of ints, got \[\]"),
    ((1, 2, 3), {"n": 2}, ValueError, r"l: axis must be an int or a pair of ints, got \(1, 2, 3\)"),
    ([1, 2], {"n": 3}, ValueError, r"l: axis must be an int or a list of 3 ints"),
    ((1.0, 1), {}, ValueError, "l: axis must be an int or a non-empty list of ints"),
    ([2, 0], {"minimum": 1, "why": " (why)"}, ValueError, r"l: axis must be distinct axes >= 1 \(why\), got \[2, 0\]"),
    (-1, {"minimum": 1}, ValueError, r"l: axis must be distinct axes >= 1, got -1$"),
])
def test_normalize_axes_refuses_naming_layer_and_argument(value, kwargs, error, message):
    with pytest.raises(error, match=message):
        checks.normalize_axes(value, "l", "axis", **kwargs)


def test_check_min_rank_refuses_a_lower_or_unknown_rank():
    checks.check_min_rank(tf.TensorShape([None, 2, 3]), 3, "td", "(batch, time, ...)")
    checks.check_min_rank(tf.TensorShape([]), 0, "loss")
    with pytest.raises(ValueError, match=r"td: input must have a known rank >= 3 \(batch, time, \.\.\.\), "
                                         r"got shape \(None, 3\)"):
        checks.check_min_rank(tf.TensorShape([None, 3]), 3, "td", "(batch, time, ...)")
    with pytest.raises(ValueError, match="td: input must have a known rank >= 1, got shape <unknown>"):
        checks.check_min_rank(tf.TensorShape(None), 1, "td")
    with pytest.raises(ValueError, match="loss: predictions must have a known rank, got shape <unknown>"):
        checks.check_min_rank(tf.TensorShape(None), 0, "loss", name="predictions")


def test_check_tensor_list_counts_the_inputs_and_their_ranks():
    with tfcore.new_graph().as_default():
        x, v = tfcore.placeholder((None, 3)), tfcore.placeholder((None,))
        assert checks.check_tensor_list((x, x), "add") == [x, x]
        assert checks.check_tensor_list([x, x, x], "m", 2, 3, min_rank=2) == [x, x, x]
        for inputs, least, most, count in [(x, 1, None, "a list of tensors"), ([], 1, None, "a list of tensors"),
                                           ([x], 2, None, "a list of at least 2 tensors"),
                                           ([x] * 3, 2, 2, "a list of 2 tensors"),
                                           ([x], 2, 3, "a list of 2 to 3 tensors")]:
            with pytest.raises(ValueError, match="m: call it on %s, got" % count):
                checks.check_tensor_list(inputs, "m", least, most)
        with pytest.raises(ValueError, match=r"dot: input 1 must have a known rank >= 2, got shape \(None,\)"):
            checks.check_tensor_list([x, v], "dot", 2, 2, min_rank=2)
        with pytest.raises(ValueError, match="add: input 0 must have a known rank, got shape <unknown>"):
            checks.check_tensor_list([tf.compat.v1.placeholder(tf.float32), x], "add")


def test_check_dtype_of_a_tensor_or_a_dtype_argument():
    with tfcore.new_graph().as_default():
        assert checks.check_dtype(tfcore.placeholder((2,), tf.float16), "floating", "l", "input") == tf.float16
        assert checks.check_dtype(tf.constant([1], tf.int64), "integer", "l", "labels") == tf.int64
        with pytest.raises(TypeError, match=r"l: input must be a floating tensor \(float16/32/64\), "
                                            "got int32; cast it"):
            checks.check_dtype(tf.constant([1]), "floating", "l", "input", "; cast it")
        with pytest.raises(TypeError, match="l: labels must be an integer tensor, got float32"):
            checks.check_dtype(tf.constant([1.0]), "integer", "l", "labels")
    assert checks.check_dtype(np.zeros(2, np.int8), "integer", "l", "x") == tf.int8
    for good in ("float64", np.float32, tf.bfloat16):
        assert checks.check_dtype(good, "floating", "emb", "dtype") == tf.as_dtype(good)
    with pytest.raises(TypeError, match=r"emb: dtype must be a floating dtype \(float16/32/64\), got int32"):
        checks.check_dtype(tf.int32, "floating", "emb", "dtype")
    for bad in ("floaty", None):
        with pytest.raises(TypeError, match="emb: dtype must be a floating dtype, got %r" % (bad,)):
            checks.check_dtype(bad, "floating", "emb", "dtype")


def test_resolve_axes_counts_from_the_front_and_refuses_axes_the_shape_lacks():
    shape = tf.TensorShape([None, 4, 5])
    got = checks.resolve_axes([-1, 1, np.int64(-3)], shape, "l", "axis")
    assert got == (2, 1, 0) and all(type(a) is int for a in got)
    assert checks.resolve_axes([-2], shape, "dot", "axes", batch=False) == (1,)
    for axes, batch, message in [([3], True, r"axis 3 is out of range for an input of rank 3 "
                                             r"\(shape \(None, 4, 5\)\)"),
                                 ([-4], True, r"axis -4 is out of range for an input of rank 3"),
                                 ([1, 0], False, r"axis \[1, 0\] names the batch axis"),
                                 ([-3], False, r"axis -3 names the batch axis"),
                                 ([1, -2], True, r"axis \[1, -2\] names an axis twice")]:
        with pytest.raises(ValueError, match="l: " + message):
            checks.resolve_axes(axes, shape, "l", "axis", batch=batch)
    with pytest.raises(ValueError, match=r"dot: axes 9 is out of range for input 1 of rank 3 "
                                         r"\(shape"):
        checks.resolve_axes([9], shape, "dot", "axes", "input 1", batch=False, given=(1, 9))
    with pytest.raises(ValueError, match=r"l: axis -1 needs an input of known rank, got shape <unknown>"):
        checks.resolve_axes([-1], tf.TensorShape(None), "l", "axis")
