"""Activation layers: an activation function as a layer of its own (Keras 2's set).

Each layer applies one elementwise function (Softmax: one per slice along an
axis); only PReLU has a weight. They go through the functions of
tfcore/activations.py where one exists, so the `implementation("readable")`
block switches them from TensorFlow's kernels to the written-out formulas too.

    Activation(f)           y = f(x)                 f: any name or callable activations.get takes
    ELU(alpha=1)            y = x                    x > 0
                              = alpha (e^x - 1)      x <= 0
    LeakyReLU(alpha=0.3)    y = x                    x > 0     (Keras 2's layer: 0.3; its
                              = alpha x              x <= 0     leaky_relu function: 0.2)
    ThresholdedReLU(theta=1) y = x [x > theta]
    PReLU                   y = relu(x) - alpha * relu(-x)   alpha learned, one per
                                                     position of x[0] (shared_axes: shared)
    Softmax(axis=-1)        y_i = e^{x_i} / sum_j e^{x_j}    along `axis` (one or several)
    ReLU(max_value=None, negative_slope=0, threshold=0):
                            y = min(x, max_value)              x > threshold
                              = negative_slope (x - threshold) x <= threshold

Derivatives (dy/dx, elementwise; at the kinks the value TensorFlow's ops give,
which is what tf-keras computes):

    ELU:             1 for x > 0; alpha e^x for x <= 0      (at 0: alpha)
    LeakyReLU:       1 for x > 0; alpha for x <= 0          (at 0: alpha)
    ThresholdedReLU: [x > theta]                            (at theta: 0)
    PReLU:           [x > 0] + alpha [x < 0]                (at 0: 0)
                     dy/dalpha = -relu(-x) = min(x, 0), summed over the batch and the shared axes
    Softmax:         dx_i = y_i (g_i - sum_j g_j y_j)       (g = dL/dy)

ReLU, the general case, is Keras's `backend.relu` piece by piece, and its
derivative follows from the pieces (a = negative_slope, m = max_value,
t = threshold):

    p(x) = x [x > t]        if t != 0          derivative [x > t]   (0 at t)
         = relu6(x)         if t == 0, m == 6  derivative [0 < x < 6] (0 at 0 and at 6)
         = relu(x)          otherwise          derivative [x > 0]   (0 at 0)
    q(x) = min(p(x), m)     (not for relu6)    derivative passes where p(x) <= m (1 at x = m)
    y    = q(x) - a relu(t - x)                  adds a [x < t]      (0 at t)

and with only a slope (m None, t 0, a != 0) Keras calls tf.nn.leaky_relu instead,
whose derivative at 0 is a, not 0. So ReLU'(0) is a for ReLU(negative_slope=a)
but 0 for ReLU(negative_slope=a, max_value=5); ReLU'(m) is 1 for m = 5 but 0 for
m = 6 (relu6). These are artefacts of which ops Keras picks, kept so that a
model's gradients equal Keras's exactly; at any other point the derivative is
the one of the formula.

Masks: Softmax(x, mask=m) adds a large negative number where m is 0 before the
softmax, so those positions get (almost) zero probability:

    x' = x + (1 - m) * (-1e9)        (float16: its most negative value / 2)
    y  = softmax(x')

(`robust_masking=True`: x' = where(m, x, -1e9) instead, which stays exact for
large |x|; a non-boolean m counts as True where it is > 0.5). A fully masked
slice gets the softmax of x - 1e9, i.e. uniform in float32 (as Keras). The
other layers are elementwise and take no mask; a mask from Masking or
Embedding is passed on by the caller, unchanged, as Keras propagates it.

Where these layers differ from tf-keras, on purpose:
* Arguments stay Python floats. Keras stores them as float32 (floatx), so in a
  float64 model its slope 0.1 is 0.10000000149; here it is 0.1 (in float32,
  the usual case, the two are the same number). The fused LeakyRelu op keeps
  its slope as a float32 attribute either way.
* PReLU refuses shared_axes outside 1 .. rank - 1 (Keras writes a 1 into
  alpha's shape at index axis - 1, so 0 or -1 silently share another axis) and
  a later input whose unshared sizes differ from the first one (Keras checks
  only the rank when shared_axes is None, and would broadcast a size-1 axis).
* A bool where a number is expected is a TypeError (Keras reads True as 1.0),
  and NaN a ValueError (Keras takes it, and every output is then NaN).
"""

import tensorflow as tf

from tfcore import activations, constraints, initializers, regularizers
from tfcore.checks import InputSpec, check_min_rank, normalize_axes, number_in, resolve_axes
from tfcore.module import Module


def _number(value, layer, arg, interval, kind):
    """`value` as a Python float in `interval` (checks.number_in); None is refused with Keras's
    ValueError and message."""
    if value is None:
        raise ValueError("%s: %s of a %s layer cannot be None, expecting a float"
                         % (layer, arg, kind))
    return number_in(value, interval, layer, arg)


class Activation(Module):
    """y = activation(x), for any activation `tfcore.activations.get` accepts (a name, None, a callable)."""

    supports_masking = True  # a mask on the input rides on to the output, as in Keras

    def __init__(self, activation, name=None):
        super().__init__(name=name)
        try:
            self.activation = activations.get(activation)
        except ValueError as error:
            raise ValueError("%s: %s" % (self.name, error)) from None

    def call(self, inputs, training=False):
        return self.activation(inputs)


class ReLU(Module):
    """Keras 2's ReLU: min(x, max_value) above `threshold`, negative_slope (x - threshold) below.

    Args (all >= 0, as Keras requires):
      max_value: the output's ceiling; None for none.
      negative_slope: the slope below the threshold (0: flat).
      threshold: where the identity part starts.
    The derivatives at the kinks are tf-keras's: see the module docstring.
    """

    supports_masking = True  # a mask on the input rides on to the output, as in Keras

    def __init__(self, max_value=None, negative_slope=0.0, threshold=0.0, name=None):
        super().__init__(name=name)
        if max_value is not None:
            max_value = _number(max_value, self.name, "max_value", "[0, inf]", "ReLU")
        self.max_value = max_value
        self.negative_slope = _number(negative_slope, self.name, "negative_slope", "[0, inf]", "ReLU")
        self.threshold = _number(threshold, self.name, "threshold", "[0, inf]", "ReLU")

    def call(self, inputs, training=False):
        return activations.relu(inputs, self.negative_slope, self.max_value, self.threshold)


class LeakyReLU(Module):
    """x for x > 0, alpha x otherwise; Keras 2's layer default alpha = 0.3."""

    supports_masking = True  # a mask on the input rides on to the output, as in Keras

    def __init__(self, alpha=0.3, name=None):
        super().__init__(name=name)
        # Keras only refuses None: a negative slope is accepted.
        self.alpha = _number(alpha, self.name, "alpha", "[-inf, inf]", "LeakyReLU")

    def call(self, inputs, training=False):
        if self.alpha == 0:
            return activations.relu(inputs)  # Keras's backend.relu takes the Relu op for alpha 0
        return activations.leaky_relu(inputs, alpha=self.alpha)


class PReLU(Module):
    """relu(x) - alpha relu(-x) with a learned slope `alpha` per position (or per shared group).

    Args:
      alpha_initializer, alpha_regularizer, alpha_constraint: for the weight `alpha`
        (Keras's identifiers; default: zeros, i.e. a ReLU at the start).
      shared_axes: an axis or a list of axes (1 .. rank - 1) along which one slope
        is shared: (1, 2) on (batch, height, width, channels) learns one slope per
        channel.

    Weight: `alpha`, shape input_shape[1:] with 1 on the shared axes (those
    axes may then have any size, even unknown; the others must be known).
    """

    supports_masking = True  # a mask on the input rides on to the output, as in Keras

    def __init__(self, alpha_initializer="zeros", alpha_regularizer=None, alpha_constraint=None,
                 shared_axes=None, name=None):
        super().__init__(name=name)
        self.alpha_initializer = initializers.get(alpha_initializer)
        self.alpha_regularizer = regularizers.get(alpha_regularizer)
        self.alpha_constraint = constraints.get(alpha_constraint)
        if shared_axes is not None:
            shared_axes = list(normalize_axes(
                shared_axes, self.name, "shared_axes", minimum=1, allow_empty=True,
                why=" (the batch axis 0 always has its own examples)"))
        self.shared_axes = shared_axes
        self.alpha = None

    def build(self, input_shape):
        check_min_rank(input_shape, 2, self.name, "(batch, ...)")
        rank = input_shape.rank
        shared = set(resolve_axes(self.shared_axes or (), input_shape, self.name, "shared_axes"))
        param_shape = [1 if axis in shared else input_shape[axis] for axis in range(1, rank)]
        if None in param_shape:
            raise ValueError("%s: the input's sizes must be known on every axis that is not in "
                             "shared_axes (alpha has one entry per position), got shape %s"
                             % (self.name, input_shape))
        self.param_shape = param_shape
        fixed = {axis: size for axis, size in enumerate(param_shape, start=1) if axis not in shared}
        self.input_spec = InputSpec(ndim=rank, axes=fixed)  # Module.__call__ checks later inputs
        self.alpha = self.add_weight("alpha", param_shape, self.alpha_initializer,
                                     regularizer=self.alpha_regularizer,
                                     constraint=self.alpha_constraint)

    def call(self, inputs, training=False):
        """y = relu(x) - alpha relu(-x)   (alpha broadcast over the batch and the shared axes)."""
        return activations.relu(inputs) - self.alpha * activations.relu(-inputs)


class ELU(Module):
    """x for x > 0, alpha (e^x - 1) otherwise."""

    supports_masking = True  # a mask on the input rides on to the output, as in Keras

    def __init__(self, alpha=1.0, name=None):
        super().__init__(name=name)
        self.alpha = _number(alpha, self.name, "alpha", "[-inf, inf]", "ELU")

    def call(self, inputs, training=False):
        return activations.elu(inputs, alpha=self.alpha)


class ThresholdedReLU(Module):
    """x where x > theta, else 0 (theta >= 0)."""

    supports_masking = True  # a mask on the input rides on to the output, as in Keras

    def __init__(self, theta=1.0, name=None):
        super().__init__(name=name)
        self.theta = _number(theta, self.name, "theta", "[0, inf]", "ThresholdedReLU")

    def call(self, inputs, training=False):
        return activations.thresholded_relu(inputs, theta=self.theta)


def _large_negative(dtype):
    """What a masked logit gets: -1e9, or half float16's most negative value (-1e9 is -inf there)."""
    return tf.float16.min / 2.0 if dtype == tf.float16 else -1e9


class Softmax(Module):
    """The softmax along `axis` (an int, or a list of axes normalised together), with an optional mask.

    Args:
      axis: the axis, or a list of axes, whose entries sum to 1.
      robust_masking: mask with where(m, x, -1e9) instead of adding (1 - m) (-1e9).
    Call: `layer(x, mask=m)`, m of x's shape (or one that broadcasts), 1/True to keep.
    """

    supports_masking = True  # a mask on the input rides on to the output, as in Keras

    def __init__(self, axis=-1, robust_masking=False, name=None):
        super().__init__(name=name)
        axes = normalize_axes(axis, self.name, "axis")
        self.axis = list(axes) if isinstance(axis, (list, tuple)) else axes[0]
        self.robust_masking = bool(robust_masking)

    def call(self, inputs, training=False, mask=None):
        x = inputs
        if mask is not None:
            mask = tf.convert_to_tensor(mask)
            negative = tf.constant(_large_negative(x.dtype), x.dtype)
            if self.robust_masking:
                if mask.dtype != tf.bool:
                    mask = mask > tf.constant(0.5, mask.dtype)
                x = tf.where(mask, x, negative)
            else:
                # 0 where the mask keeps, -1e9 where it masks: those logits vanish in e^x.
                x = x + (1.0 - tf.cast(mask, x.dtype)) * negative
        if isinstance(self.axis, list) and len(self.axis) > 1:
            # TensorFlow's Softmax kernel normalises one axis; the formula takes several.
            with activations.implementation("readable"):
                return activations.softmax(x, axis=self.axis)
        if x.shape.rank is not None and x.shape.rank <= 1:
            raise ValueError("%s: cannot apply softmax to a tensor of rank %d (as in Keras); "
                             "input shape %s" % (self.name, x.shape.rank, x.shape))
        axis = self.axis[0] if isinstance(self.axis, list) else self.axis
        return activations.softmax(x, axis=axis)
