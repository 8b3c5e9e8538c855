"""The library's argument and input checks, in one place (as Sonnet's `utils.py`).

A layer file should show its lesson, not its validation: the checks live here,
each one raising an error that names the layer and the argument, so the layer
files call one line per check. Four kinds:

* **Hyperparameters**, checked once in the constructor: `positive_int`,
  `normalize_tuple` / `normalize_pair` (an int or n ints), `normalize_borders`
  (padding and cropping widths), `normalize_padding` ('same' -> 'SAME'),
  `normalize_choice` (one of a few names), `implementation_and_gradient`,
  `check_groups` (and, once the input's channels are known,
  `check_group_channels`).
* **Inputs**, checked on every call (a layer may be called on several
  inputs): `check_input` (rank and a floating dtype) and `check_window_fits`
  (a VALID window no larger than the input, statically when the size is known
  and at run time, with a clear message, when it is only known at feed time).
* **The forms the lesson and recurrent layers share**: `check_type` (fused,
  seed, cell), `check_list` ([query, value], states), `normalize_axes` and,
  once the input's rank is known, `resolve_axes` (the normalisations' `axis`),
  `known_sizes` (the sizes a layer's weights are made from, checked at build)
  and `check_shapes_agree` (value and key; a mask and its inputs); for the
  Keras-2 catalogue, the optimizers and the losses also `check_flag`,
  `check_int`, `check_min_rank`, `check_tensor_list` (a merge's inputs) and
  `check_dtype`. One rule throughout, as `number_in`'s: a value of the wrong
  kind is a TypeError, a value of the right kind out of bounds a ValueError.
* **A built layer's input shape.** A layer's weights fix some sizes of its
  input (Dense: the last axis; Conv2D: the channels). `build` records them in
  an `InputSpec`, and `Module.__call__` checks every later input against it
  with `check_input_spec`, once for all layers, before the layer's `call`.

This module imports nothing from tfcore, so any part of the library (the layer
protocol in module.py included) can use it.
"""

import numbers
import typing

import numpy as np
import tensorflow as tf


def is_int(value):
    """A Python or NumPy integer, but not a bool (True is an int in Python)."""
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


def positive_int(value, layer, arg):
    """`value` as a Python int > 0; else a ValueError naming the layer and the argument."""
    if not is_int(value) or value <= 0:
        raise ValueError("%s: %s must be a positive int, got %r" % (layer, arg, value))
    return int(value)


def normalize_tuple(value, n, layer, arg, minimum=1, what=None):
    """An int or `n` ints -> a tuple of `n` Python ints >= `minimum`.

    `what` describes the accepted form in the error message (default "an int
    or a pair/tuple of n ints").
    """
    what = what or ("an int or a pair of ints" if n == 2 else "an int or a tuple of %d ints" % n)
    if is_int(value):
        value = (value,) * n
    if not isinstance(value, (tuple, list)) or len(value) != n or not all(is_int(v) for v in value):
        raise ValueError("%s: %s must be %s, got %r" % (layer, arg, what, value))
    if min(value) < minimum:
        raise ValueError("%s: %s must be %s, got %r" % (
            layer, arg, {0: "non-negative", 1: "positive"}.get(minimum, ">= %d" % minimum), tuple(value)))
    return tuple(int(v) for v in value)


def number_in(value, interval, layer, arg, why=""):
    """`value` as a float if it is a real number in `interval`, written as in mathematics
    ("[0, 1)": 0 included, 1 excluded; "inf" for no bound). A non-number is a TypeError, a
    number outside (NaN included) a ValueError; both name the layer and the argument, and
    `why` says what the bounds mean."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError("%s: %s must be a number in %s, got %r" % (layer, arg, interval, value))
    low, high = (float(bound) for bound in interval[1:-1].split(","))
    above_low = low <= value if interval[0] == "[" else low < value
    below_high = value <= high if interval[-1] == "]" else value < high
    if not (above_low and below_high):
        raise ValueError("%s: %s must be in %s%s, got %r" % (layer, arg, interval, why, value))
    return float(value)


def normalize_pair(value, layer, arg):
    """An int or a pair of ints -> a pair of positive ints."""
    return normalize_tuple(value, 2, layer, arg)


# The accepted forms of a border argument, and each axis's two sides, by the number of spatial axes.
_BORDER_FORMS = {
    2: ("a pair (height, width) or a pair of pairs ((top, bottom), (left, right))",
        ("(top, bottom)", "(left, right)")),
    3: ("a triple (depth, height, width) or a triple of pairs ((front, back), (top, bottom), "
        "(left, right))", ("(front, back)", "(top, bottom)", "(left, right)")),
}


def normalize_borders(value, n, layer, arg):
    """An int p, n ints or n pairs of ints >= 0 -> n pairs (before, after), one per spatial axis:
    the border widths of ZeroPadding2D/3D and Cropping2D/3D (n = 2 or 3).

    2-D: p, (ph, pw) or ((top, bottom), (left, right)); 3-D the same with a depth axis first.
    """
    forms, sides = _BORDER_FORMS[n]
    if is_int(value):
        value = (value,) * n
    if not isinstance(value, (tuple, list)) or len(value) != n:
        raise ValueError("%s: %s must be an int, %s, got %r" % (layer, arg, forms, value))
    return tuple(
        normalize_tuple(v, 2, layer, "%s[%d] %s" % (arg, i, side), minimum=0,
                        what="an int or a pair (before, after) of ints")
        for i, (v, side) in enumerate(zip(value, sides)))


def check_groups(groups, filters, layer):
    """`groups` as a positive int that divides `filters` (Keras's grouped convolution)."""
    groups = positive_int(groups, layer, "groups")
    if filters % groups:
        raise ValueError("%s: filters (%d) must be divisible by groups (%d), as in Keras"
                         % (layer, filters, groups))
    return groups


def check_group_channels(channels, groups, layer, input_shape):
    """A grouped convolution splits the input's `channels` into `groups` equal blocks."""
    if channels % groups:
        raise ValueError("%s: the input's %d channels must be divisible by groups (%d), as in "
                         "Keras; input shape %s" % (layer, channels, groups, input_shape))


def check_strides_and_dilation(strides, dilation_rate, layer):
    """Refuse strides > 1 together with dilation > 1, as Keras does (no CPU kernel computes both)."""
    if max(strides) > 1 and max(dilation_rate) > 1:
        raise ValueError(
            "%s: strides > 1 together with dilation_rate > 1 are not supported (as in Keras); "
            "got strides=%r, dilation_rate=%r" % (layer, tuple(strides), tuple(dilation_rate)))


def normalize_choice(value, choices, layer, arg):
    """`value` if it is one of `choices` (strings), else a ValueError listing them."""
    if value not in choices:
        raise ValueError("%s: %s must be one of %s, got %r"
                         % (layer, arg, ", ".join(repr(c) for c in choices), value))
    return value


def implementation_and_gradient(implementation, gradient, layer):
    """Check the pair (implementation, gradient): a manual gradient is written for patches."""
    implementation = normalize_choice(implementation, ("fused", "patches"), layer, "implementation")
    gradient = normalize_choice(gradient, ("auto", "manual"), layer, "gradient")
    if gradient == "manual" and implementation != "patches":
        raise ValueError(
            "%s: gradient='manual' is the backward pass of implementation='patches' (the fused "
            "kernel has TensorFlow's own gradient); pass implementation='patches'" % layer)
    return implementation, gradient


def normalize_padding(padding, layer, choices=("SAME", "VALID")):
    """'same' / 'SAME' / 'valid' / ... -> 'SAME' or 'VALID' (tf.nn accepts upper case only)."""
    if isinstance(padding, str) and padding.upper() in choices:
        return padding.upper()
    raise ValueError("%s: padding must be one of %s (any case), got %r"
                     % (layer, ", ".join(repr(p) for p in choices), padding))


# Checks first needed by the lesson layers and the recurrent layers.

def check_type(value, types, layer, arg, what):
    """`value` if it is an instance of `types`, else a TypeError "layer: arg must be `what`".

    A bool passes only where `bool` is listed: True is an int in Python, but a
    `seed=True` or an `axis=False` is a mistake.
    """
    types = types if isinstance(types, tuple) else (types,)
    if not isinstance(value, types) or (isinstance(value, bool) and bool not in types):
        raise TypeError("%s: %s must be %s, got %r" % (layer, arg, what, value))
    return value


def check_list(value, lengths, layer, arg, what):
    """`value` as a list, if it is a list or tuple whose length is one of `lengths`; else a
    ValueError "layer: arg must be `what`" that says what it got."""
    if not isinstance(value, (list, tuple)) or len(value) not in lengths:
        got = ("a %s of %d" % (type(value).__name__, len(value))
               if isinstance(value, (list, tuple)) else repr(value))
        raise ValueError("%s: %s must be %s, got %s" % (layer, arg, what, got))
    return list(value)


def normalize_axes(value, layer, arg="axis", n=None, minimum=None, allow_empty=False, why=""):
    """An int or a list/tuple of ints -> a tuple of Python ints: axes, as Keras takes them
    (a negative one counts from the end until `resolve_axes` knows the rank).

      n:           the required length (an int then stands for n copies of itself).
      minimum:     the smallest axis allowed (1: not the batch axis, no negative axes);
                   the axes must then also be distinct.
      allow_empty: whether [] is accepted (it means "no axis", e.g. nothing shared).
      why:         what the minimum means, for the message.

    Not an int or a list: a TypeError; a list of the wrong length or contents, or an
    axis below `minimum`: a ValueError.
    """
    what = ("an int or a pair of ints" if n == 2 else "an int or a list of %d ints" % n if n
            else "an int or a list of ints" if allow_empty else "an int or a non-empty list of ints")
    axes = (value,) * (n or 1) if is_int(value) else value
    if not isinstance(axes, (tuple, list)):
        raise TypeError("%s: %s must be %s, got %r" % (layer, arg, what, value))
    if not all(is_int(v) for v in axes) or (n is not None and len(axes) != n) \
            or not (axes or allow_empty):
        raise ValueError("%s: %s must be %s, got %r" % (layer, arg, what, value))
    if minimum is not None and axes and (min(axes) < minimum or len(set(axes)) != len(axes)):
        raise ValueError("%s: %s must be distinct axes >= %d%s, got %r"
                         % (layer, arg, minimum, why, value))
    return tuple(int(v) for v in axes)


def resolve_axes(axes, shape, layer, arg="axis", name="an input", batch=True, given=None):
    """`axes` (ints, negative from the end) as distinct axes in [0, rank) of `shape`, in the
    order given; `batch=False` refuses axis 0 (a layer that works on each example on its
    own). A ValueError names the layer, the argument as the user wrote it (`given`, default
    `axes`), the input (`name`) and its shape."""
    axes = list(axes)
    shown = given if given is not None else (axes[0] if len(axes) == 1 else axes)
    rank = shape.rank
    if rank is None:
        raise ValueError("%s: %s %r needs %s of known rank, got shape %s"
                         % (layer, arg, shown, name, shape))
    for a in axes:
        if not -rank <= a < rank:
            raise ValueError("%s: %s %d is out of range for %s of rank %d (shape %s)"
                             % (layer, arg, a, name, rank, shape))
    resolved = tuple(int(a) % rank for a in axes)
    if len(set(resolved)) != len(resolved):
        raise ValueError("%s: %s %r names an axis twice (%s of shape %s)" % (layer, arg, shown, name, shape))
    if not batch and 0 in resolved:
        raise ValueError("%s: %s %r names the batch axis; it must name axes after it (%s of shape %s)"
                         % (layer, arg, shown, name, shape))
    return resolved


def known_sizes(shape, axes, layer, what="input", rank=None, min_rank=1, layout=""):
    """The sizes of `shape` along `axes`, as Python ints: the sizes a layer's weights are made
    from, so they must be known when it is built. The rank must be known too, and be `rank`
    (if given) or at least `min_rank`; `layout` names the axes for the message, e.g.
    "(batch, time, features)". `what` names the input: "input", "value", "kernel".
    """
    shape = tf.TensorShape(shape)
    layout = " " + layout if layout else ""
    if shape.rank is None or shape.rank < min_rank or (rank is not None and shape.rank != rank):
        wanted = "a known rank" if rank is None and min_rank <= 1 else (
            "rank %d%s" % (rank, layout) if rank is not None else "rank >= %d%s" % (min_rank, layout))
        raise ValueError("%s: %s must have %s, got shape %s" % (layer, what, wanted, shape))
    sizes = []
    for axis in axes:
        if shape[axis] is None:
            raise ValueError("%s: %s's size along axis %d must be known (the layer's weights are "
                             "made from it), got shape %s" % (layer, what, axis % shape.rank, shape))
        sizes.append(int(shape[axis]))
    return tuple(sizes)


def check_shapes_agree(shapes, layer, names, why=""):
    """Fail clearly unless `shapes` agree (as TensorShapes: a size known only at feed time
    agrees with any); `names` says whose shapes they are ("value and key") and `why` on what
    and why (" on every axis but the last (one value per key)")."""
    shapes = [tf.TensorShape(s) for s in shapes]
    merged = shapes[0]
    try:
        for shape in shapes[1:]:
            merged = merged.merge_with(shape)
    except ValueError:
        raise ValueError("%s: %s must agree%s, got shapes %s"
                         % (layer, names, why, ", ".join(str(s) for s in shapes))) from None


def check_rank(inputs, rank, layer, layout):
    """Fail clearly when the input's rank is not `rank`; `layout` names the axes."""
    check_input_spec(inputs, InputSpec(ndim=rank, layout=layout), layer)


class InputSpec(typing.NamedTuple):
    """What a built layer takes on every later call (Keras's InputSpec, reduced).

      ndim:   the rank, or None for any rank.
      axes:   {axis: size}, the sizes the weights fix (a negative axis counts from the end).
      unit:   what those sizes count, for messages: "features", "channels".
      layout: the axes' names, for messages: "(batch, height, width, channels)".
      name:   the input's name, for messages: "input"; "query", "value" in a list.
    """
    ndim: typing.Optional[int] = None
    axes: typing.Optional[dict] = None
    unit: str = "features"
    layout: str = ""
    name: str = "input"


def inner_shape_spec(input_shape):
    """The InputSpec fixing every known size of a first input but its batch size."""
    sizes = {axis: size for axis, size in enumerate(input_shape) if axis > 0 and size is not None}
    return InputSpec(ndim=input_shape.rank, axes=sizes)


def channels_spec(rank, channels, data_format, layout):
    """The InputSpec of a convolution built for `channels`: rank `rank`, the channels fixed."""
    axis = 1 if data_format == "channels_first" else -1
    return InputSpec(ndim=rank, axes={axis: channels}, unit="channels", layout=layout)


def check_input_spec(inputs, spec, layer):
    """Fail clearly when `inputs` (a tensor, or a list matched with a list of specs) break `spec`.

    An input of unknown rank, or a size only known at feed time, passes: the
    graph cannot tell yet, and the kernel will name the mismatch.
    """
    if not isinstance(spec, InputSpec):  # a list of specs, one per input
        for tensor, one in zip(inputs, spec):
            check_input_spec(tensor, one, layer)
        return
    shape = inputs.shape
    if shape.rank is None:
        return
    if spec.ndim is not None and shape.rank != spec.ndim:
        layout = " " + spec.layout if spec.layout else ""
        raise ValueError("%s: %s must have rank %d%s, got shape %s"
                         % (layer, spec.name, spec.ndim, layout, shape))
    for axis, size in (spec.axes or {}).items():
        got = shape[axis] if -shape.rank <= axis < shape.rank else None
        if got is not None and got != size:
            raise ValueError("%s: %s has %d %s, but the layer was built for %d (axis %d of "
                             "shape %s)" % (layer, spec.name, got, spec.unit, size, axis, shape))


def channel_count(input_shape, rank, layer, layout, data_format="channels_last"):
    """The channel count (last axis) of a first input's channels-last shape, which a layer's
    weights need, and the InputSpec that holds later inputs (in `data_format`) to it."""
    if input_shape.rank != rank or input_shape[-1] is None:
        raise ValueError("%s: input must have rank %d %s with a known channel count, got shape %s"
                         % (layer, rank, layout, input_shape))
    channels = int(input_shape[-1])
    return channels, channels_spec(rank, channels, data_format, layout)


def check_input(inputs, rank, layer, layout):
    """The checks every spatial layer makes on each input: its rank, and a floating dtype.

    An integer image (uint8 pixels, say) would otherwise reach a TensorFlow kernel
    that has no integer version and fail with a message about the kernel.
    """
    check_rank(inputs, rank, layer, layout)
    if not inputs.dtype.is_floating:
        raise TypeError("%s: input must be a floating tensor (float16/32/64), got %s; cast it "
                        "first, e.g. tf.cast(images, tf.float32) / 255" % (layer, inputs.dtype.name))


def check_window_fits(inputs, window, padding, layer, what):
    """With VALID padding a window larger than the input leaves no output at all.

    `window` lists the (effective) window size along the spatial axes 1, 2, ...
    A size known now is checked now (ValueError). A size only known at feed
    time (a `None` placeholder dimension) is checked when the graph runs: the
    returned tensor is `inputs` behind a `tf.debugging.assert_greater_equal`
    whose message names the layer, instead of a kernel-library failure about a
    negative output size. Use the returned tensor.
    """
    if padding != "VALID":
        return inputs
    assertions = []
    for axis, size in enumerate(window, start=1):
        dim = inputs.shape[axis]
        if dim is not None and dim < size:
            raise ValueError(
                "%s: with padding 'VALID' the %s (%d along axis %d) is larger than the "
                "input (%d); use padding 'SAME' or a larger input, input shape %s"
                % (layer, what, size, axis, dim, inputs.shape))
        if dim is None and size > 1:
            assertions.append(tf.debugging.assert_greater_equal(
                tf.shape(inputs)[axis], size,
                message="%s: with VALID padding the %s (%d along axis %d) is larger than the "
                        "fed input; use SAME padding or a larger input" % (layer, what, size, axis)))
    if not assertions:
        return inputs
    with tf.control_dependencies(assertions):
        return tf.identity(inputs)


def layout_of(layout, data_format):
    """The axes' names in `data_format`, for messages: "(batch, height, width, channels)"
    becomes "(batch, channels, height, width)" for "channels_first"."""
    if data_format != "channels_first":
        return layout
    axes = layout.strip("()").split(", ")
    return "(%s)" % ", ".join([axes[0], axes[-1]] + axes[1:-1])


# Checks first needed by the Keras-2 catalogue, the optimizers and the losses.
#
# Their rule, as `number_in`'s: a value of the wrong kind (not an int, not a list, not a
# layer, not a floating tensor) is a TypeError; a value of the right kind that breaks a
# bound (too short a list, an axis below `minimum`) is a ValueError.


def check_flag(value, layer, arg):
    """`value` as a Python bool if it is True or False (a NumPy bool too): not 0, 1 or "yes"."""
    return bool(check_type(value, (bool, np.bool_), layer, arg, "True or False"))


def check_int(value, layer, arg):
    """`value` as a Python int (any sign: an axis, an offset); not a bool, not 1.0."""
    if not is_int(value):
        raise TypeError("%s: %s must be an int, got %r" % (layer, arg, value))
    return int(value)


def check_min_rank(shape, minimum, layer, layout="", name="input"):
    """Fail clearly unless `shape` (a TensorShape) has a known rank >= `minimum`.

    Unlike `check_rank`, an unknown rank fails too: the caller needs the rank
    now (to flatten, to build weights, to count time steps). `layout` names the
    axes, e.g. "(batch, time, ...)".
    """
    if shape.rank is None or shape.rank < minimum:
        bound = " >= %d" % minimum if minimum else ""
        raise ValueError("%s: %s must have a known rank%s%s, got shape %s"
                         % (layer, name, bound, " " + layout if layout else "", shape))


def check_tensor_list(inputs, layer, least=1, most=None, min_rank=0):
    """The inputs of a layer called on a list (merges, Dot): a list or tuple of `least` to
    `most` tensors, each of known rank >= `min_rank`. Returns them as a list."""
    count = ("%d " % least if least == most else "" if least == 1 and most is None else
             "at least %d " % least if most is None else "%d to %d " % (least, most))
    if not isinstance(inputs, (list, tuple)) or not least <= len(inputs) <= (most or len(inputs)):
        raise ValueError("%s: call it on a list of %stensors, got %r" % (layer, count, inputs))
    for i, tensor in enumerate(inputs):
        check_min_rank(tensor.shape, min_rank, layer, name="input %d" % i)
    return list(inputs)


# The dtype kinds `check_dtype` knows, as its messages name them (article, detail).
_DTYPE_KINDS = {"floating": ("a", " (float16/32/64)"), "integer": ("an", "")}


def check_dtype(value, kind, layer, name, hint=""):
    """The dtype of `value` (a tensor, or a dtype argument such as "float32") if it is of
    `kind` ("floating" or "integer"), else a TypeError naming the layer and `name`;
    `hint` (e.g. "; cast it first") ends the message."""
    is_tensor = tf.is_tensor(value) or isinstance(value, np.ndarray)
    noun = "tensor" if is_tensor else "dtype"
    try:
        dtype = tf.as_dtype(value.dtype if is_tensor else value)
    except TypeError:
        raise TypeError("%s: %s must be a %s dtype, got %r" % (layer, name, kind, value)) from None
    if not getattr(dtype, "is_" + kind):
        article, detail = _DTYPE_KINDS[kind]
        raise TypeError("%s: %s must be %s %s %s%s, got %s%s"
                        % (layer, name, article, kind, noun, detail, dtype.name, hint))
    return dtype
