"""Activation functions, written by hand from elementary ops.

Each is stable for large |x|: no `exp` of a large positive number is ever taken
(except by `exponential`, whose value is that number). Every one has the
semantics of the Keras 2 (tf-keras) function of the same name, defaults included.

    linear(x)       = x
    relu(x)         = max(x, 0),   relu'(x) = [x > 0]
    tanh(x)         = (1 - e^{-2|x|}) / (1 + e^{-2|x|}) * sign(x)   (via expm1)
    sigmoid(x)      = 1 / (1 + e^{-x})          for x >= 0
                    = e^{x} / (1 + e^{x})       for x <  0
    softmax(x)_i    = e^{x_i - m} / sum_j e^{x_j - m},   m = max_j x_j
    log_softmax(x)  = (x - m) - log sum_j e^{x_j - m}
    elu(x, a=1)     = x                  for x > 0
                    = a (e^{x} - 1)      for x <= 0   (expm1: exact near 0)
    selu(x)         = s x                for x >= 0
                    = s a (e^{x} - 1)    for x <  0
                      a = 1.6732632423543772, s = 1.0507009873554805
    softplus(x)     = log(1 + e^{x}) = max(x, 0) + log(1 + e^{-|x|})
    softsign(x)     = x / (1 + |x|)
    swish(x)        = x sigmoid(x)                       (also "silu")
    mish(x)         = x tanh(softplus(x))
    gelu(x)         = x Phi(x) = x erfc(-x / sqrt 2) / 2  (Phi: the N(0, 1) CDF)
    gelu(x, approximate=True)
                    = x (1 + tanh(u)) / 2 = x sigmoid(2u),
                      u = sqrt(2 / pi) (x + 0.044715 x^3)
    hard_sigmoid(x) = clip(0.2 x + 0.5, 0, 1)            (Keras 2's slope, not 1/6)
    exponential(x)  = e^{x}
    leaky_relu(x, a=0.2) = x for x > 0, a x otherwise
    relu6(x)        = min(max(x, 0), 6)
    thresholded_relu(x, theta=1) = x [x > theta]

Derivatives at the kinks are those of TensorFlow's kernels (and so of Keras):
elu'(0) = a, selu'(0) = s, leaky_relu'(0) = a, relu6'(0) = relu6'(6) = 0,
hard_sigmoid'(+-2.5) = 0.2.

`get` also accepts the names of Keras's activation layers, which Keras's `get`
turns into those layers with their default arguments: "ReLU", "ELU", "Softmax",
"LeakyReLU" (slope 0.3, where the function leaky_relu has 0.2) and
"ThresholdedReLU".

Two implementations: fused (the default) and readable
---------------------------------------------------
Where TensorFlow has a kernel for the function (relu, relu6, elu, leaky_relu,
tanh, sigmoid, softplus, swish, the exact gelu, softmax, log_softmax), the
function calls it: one op forward and one op backward
(`Relu` and `ReluGrad`, ...), which Grappler's remapper can fold into the op
before it: Conv2D + BiasAdd + Relu becomes one `_FusedConv2D`, MatMul +
BiasAdd + Relu one `_FusedMatMul`. The formulas above stay as the readable
path, each written below the one line that calls the kernel, and the tests
hold the two equal (values to 1e-6, gradients to 1e-5, at 0, +-inf and NaN
too). Choose the readable path for everything built inside a block:

    with tfcore.activations.implementation("readable"):
        logits = model(x)                 # every activation: the formulas below

or for one activation: `get("relu", implementation="readable")`. The choice is
read when an activation is called, i.e. while the graph is built, so a layer
made outside the block but called inside it uses the readable path.
"""

import contextlib
import threading

import tensorflow as tf

IMPLEMENTATIONS = ("fused", "readable")
_CHOICE = threading.local()  # a stack per thread: graph builders in threads do not mix


@contextlib.contextmanager
def implementation(name):
    """Within this block, activations are built the `name` way: "fused" or "readable"."""
    if name not in IMPLEMENTATIONS:
        raise ValueError("activations.implementation: %r is not one of %s"
                         % (name, ", ".join(IMPLEMENTATIONS)))
    stack = _CHOICE.__dict__.setdefault("stack", [])
    stack.append(name)
    try:
        yield
    finally:
        stack.pop()


def current_implementation():
    """The implementation activations called now use: "fused" unless a block says otherwise."""
    stack = getattr(_CHOICE, "stack", None)
    return stack[-1] if stack else "fused"


def _fused():
    return current_implementation() == "fused"


def linear(x):
    """The identity: a layer with no activation."""
    return x


def relu(x, alpha=0.0, max_value=None, threshold=0.0):
    """max(x, 0); relu'(x) = [x > 0]. Keras 2's options: below `threshold` a slope `alpha`,
    above it x, capped at `max_value` (the ReLU layer's `negative_slope`, `max_value`,
    `threshold`; `_keras_relu`)."""
    if alpha != 0 or max_value is not None or threshold != 0:
        return _keras_relu(x, alpha, max_value, threshold)
    x = tf.convert_to_tensor(x)
    if _fused():
        # One Relu op: Grappler folds Conv2D + BiasAdd + Relu into _FusedConv2D, and
        # the backward pass is one ReluGrad (which also computes [x > 0] * dy).
        return tf.nn.relu(x)
    return _relu(x)


@tf.custom_gradient
def _relu(x):
    def derivative(dy):
        # d relu / dx = [x > 0]: 0 at x = 0, the subgradient tf.nn.relu (and Keras)
        # use. Stated rather than derived: TF's derivative of max(0, x) is a
        # comparison and a select against a broadcast zero, which measured twice
        # the time of this mask multiply on the MNIST CNN's activations.
        return dy * tf.cast(x > 0, dy.dtype)

    # A scalar 0 allocates no zeros tensor.
    return tf.maximum(tf.constant(0, x.dtype), x), derivative


def _abs(x):
    # |x| through `where`, not `tf.abs`: the gradient of Abs at 0 is 0, which
    # would make the derivatives below wrong at exactly x = 0.
    return tf.where(x >= 0, x, -x)


def tanh(x):
    """The hyperbolic tangent, through expm1 of -2|x| (no overflow, no cancellation near 0)."""
    x = tf.convert_to_tensor(x)
    if _fused():
        return tf.math.tanh(x)  # Tanh; its gradient is one TanhGrad: dy (1 - y^2)
    # m = e^{-2|x|} - 1 is in (-1, 0]: never overflows. expm1, not exp - 1: for
    # small |x|, 1 - e^{-2|x|} would cancel to a few digits (to 0 for |x| < 1e-17),
    # while -m / (2 + m) keeps tanh(x) ~ x to full precision.
    m = tf.math.expm1(-2.0 * _abs(x))
    t = -m / (2.0 + m)
    return tf.where(x >= 0, t, -t)


def sigmoid(x):
    """1 / (1 + e^{-x}), written so that no branch overflows."""
    x = tf.convert_to_tensor(x)
    if _fused():
        return tf.math.sigmoid(x)  # Sigmoid; its gradient is one SigmoidGrad: dy y (1 - y)
    # exp(-|x|) is in (0, 1]: the two branches are the same function, rearranged
    # so that neither overflows, and both have finite gradients everywhere
    # (`where` passes 0 times the unselected branch's gradient: it must not be inf).
    e = tf.exp(-_abs(x))
    return tf.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def softmax(x, axis=-1):
    """e^{x_i - m} / sum_j e^{x_j - m} along `axis`, m the maximum (so no e^x overflows)."""
    x = tf.convert_to_tensor(x)
    if _fused():
        return tf.nn.softmax(x, axis=axis)  # one Softmax kernel (it subtracts the max too)
    shifted = x - tf.stop_gradient(tf.reduce_max(x, axis=axis, keepdims=True))
    e = tf.exp(shifted)
    return e / tf.reduce_sum(e, axis=axis, keepdims=True)


def log_softmax(x, axis=-1):
    """(x - m) - log sum_j e^{x_j - m} along `axis`."""
    x = tf.convert_to_tensor(x)
    if _fused():
        return tf.nn.log_softmax(x, axis=axis)
    shifted = x - tf.stop_gradient(tf.reduce_max(x, axis=axis, keepdims=True))
    return shifted - tf.math.log(tf.reduce_sum(tf.exp(shifted), axis=axis, keepdims=True))


# SELU's constants (Klambauer et al. 2017): with them, a layer keeps inputs of
# mean 0 and variance 1 at mean 0 and variance 1 (for LeCun-normal weights).
_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def elu(x, alpha=1.0):
    """Exponential linear unit: x for x > 0, alpha (e^x - 1) otherwise."""
    x = tf.convert_to_tensor(x)
    if _fused():
        # Elu has no alpha: for alpha != 1 scale its negative side, as tf-keras does.
        # (Its kernel computes e^x - 1, not expm1: ~1e-8 absolute near 0 in float32.)
        y = tf.nn.elu(x)
        return y if alpha == 1.0 else tf.where(x > 0, y, alpha * y)
    # The unused branch must not overflow (e^1000 = inf, and `where` would pass
    # 0 * inf = NaN back as its gradient): it only sees min(x, 0).
    negative = tf.where(x > 0, tf.zeros_like(x), x)
    # expm1, not exp(x) - 1, which loses every digit as x -> 0 (tf.nn.elu does that).
    # `x > 0` puts x = 0 in the exponential branch: elu'(0) = alpha, as Keras.
    return tf.where(x > 0, x, alpha * tf.math.expm1(negative))


def selu(x):
    """Scaled ELU with the fixed constants that make a layer self-normalising."""
    # One path only: TensorFlow's SeluGrad picks the branch from the output, which
    # rounds to 0 for tiny negative x in float32 (x = -1e-8: derivative `scale`
    # instead of `scale * alpha`, 40% off); and no fusion takes Selu.
    x = tf.convert_to_tensor(x)
    negative = tf.where(x >= 0, tf.zeros_like(x), x)
    # `x >= 0`, unlike elu: selu'(0) = scale, as tf.nn.selu's kernel (Keras uses it).
    return _SELU_SCALE * tf.where(x >= 0, x, _SELU_ALPHA * tf.math.expm1(negative))


def softplus(x):
    """log(1 + e^x), computed as max(x, 0) + log(1 + e^{-|x|})."""
    x = tf.convert_to_tensor(x)
    if _fused():
        return tf.math.softplus(x)  # its gradient is one SoftplusGrad: dy sigmoid(x)
    # e^{-|x|} is in (0, 1]: log1p never overflows and keeps its digits when
    # e^{-|x|} is tiny. The `where` (not tf.maximum) states the derivative of
    # max(x, 0) at 0 as 1, so that softplus'(0) = 1 - 1/2 = sigmoid(0).
    return tf.where(x >= 0, x, tf.zeros_like(x)) + tf.math.log1p(tf.exp(-_abs(x)))


def softsign(x):
    """x / (1 + |x|): a sigmoid-shaped curve with polynomial, not exponential, tails."""
    # One path only: TensorFlow's Softsign kernel has no second derivative
    # (SoftsignGrad has no gradient), and no fusion would take it.
    x = tf.convert_to_tensor(x)
    return x / (1.0 + _abs(x))


def swish(x):
    """x sigmoid(x), also called SiLU."""
    x = tf.convert_to_tensor(x)
    if _fused():
        return tf.nn.silu(x)
    return x * sigmoid(x)


def mish(x):
    """x tanh(softplus(x))."""
    x = tf.convert_to_tensor(x)
    return x * tanh(softplus(x))


def gelu(x, approximate=False):
    """Gaussian error linear unit: x Phi(x), Phi the standard normal CDF.

    Exact: Phi(x) = erfc(-x / sqrt 2) / 2. erfc, not 1 + erf(x / sqrt 2): for
    x << 0 the sum cancels to 0 while erfc keeps the tiny value.
    Approximate (Hendrycks & Gimpel): (1 + tanh(u)) / 2 with
    u = sqrt(2 / pi) (x + 0.044715 x^3), computed as the equal sigmoid(2u),
    which, unlike 1 + tanh(u), does not cancel for x << 0.
    """
    x = tf.convert_to_tensor(x)
    if approximate:  # one path: tf.nn.gelu's 1 + tanh(u) cancels for x << 0 (23% off at x = -4.5)
        u = 0.7978845608028654 * (x + 0.044715 * x * x * x)  # sqrt(2 / pi)
        return x * sigmoid(2.0 * u)
    if _fused():
        return tf.nn.gelu(x)
    return 0.5 * x * tf.math.erfc(-0.7071067811865476 * x)  # 1 / sqrt 2


def hard_sigmoid(x):
    """Piecewise-linear sigmoid: 0 below -2.5, 1 above 2.5, 0.2 x + 0.5 between.

    Keras 2's slope 0.2 (Keras 3 uses 1/6: relu6(x + 3) / 6).
    """
    x = tf.convert_to_tensor(x)
    # clip_by_value passes the gradient at the ends (+-2.5) too, as in Keras.
    return tf.clip_by_value(0.2 * x + 0.5, 0.0, 1.0)


def exponential(x):
    """e^x. It overflows to inf for x > ~88 (float32) or ~709 (float64), as e^x must."""
    return tf.exp(x)


def leaky_relu(x, alpha=0.2):
    """x for x > 0, alpha x otherwise (tf.nn.leaky_relu's default slope, which Keras's get returns)."""
    x = tf.convert_to_tensor(x)
    if _fused():
        # One LeakyRelu op (its alpha attribute is a float32: 0.2 -> 0.2000000030).
        return tf.nn.leaky_relu(x, alpha=alpha)
    return tf.where(x > 0, x, alpha * x)


def _keras_relu(x, a, m, t):
    """Keras 2's relu(x, alpha=a, max_value=m, threshold=t), built from the plain ones so each
    kink keeps its derivative: x [x > t] (or relu, or relu6), min(., m), - a relu(t - x)."""
    x = tf.convert_to_tensor(x)
    if a != 0 and m is None and t == 0:
        return leaky_relu(x, alpha=a)  # one LeakyRelu op; slope a at 0
    if t != 0:
        y = thresholded_relu(x, theta=t)  # x [x > t]
    elif m == 6:
        y, m = relu6(x), None  # relu6 already clips at 6 (derivative 0 there)
    else:
        y = relu(x)
    if m is not None:
        # Keras's clip_by_value(y, 0, m) is minimum then maximum; y >= 0 already, so only
        # the minimum acts. Its gradient passes where y <= m: 1 at y = m.
        y = tf.minimum(y, tf.constant(m, y.dtype))
    if a != 0:
        y = y - a * relu(t - x)  # a (x - t) below the threshold
    return y


def relu6(x):
    """min(max(x, 0), 6); the derivative is [0 < x < 6], 0 at both kinks, as tf.nn.relu6."""
    x = tf.convert_to_tensor(x)
    if _fused():
        return tf.nn.relu6(x)  # Grappler fuses Conv2D + BiasAdd + Relu6 too
    six = tf.constant(6, x.dtype)
    # The comparisons are ordered so that NaN falls through to x (NaN in, NaN out, as
    # tf.nn.relu6), while 0 and 6 take the constant branches (derivative 0 there).
    return tf.where(x <= 0, tf.zeros_like(x), tf.where(x >= six, six, x))


def thresholded_relu(x, theta=1.0):
    """x where x > theta, else 0 (Keras's ThresholdedReLU layer)."""
    x = tf.convert_to_tensor(x)
    return x * tf.cast(x > theta, x.dtype)


def _leaky_relu_layer(x):
    # Keras's LeakyReLU layer defaults to slope 0.3, its leaky_relu function to 0.2.
    return leaky_relu(x, alpha=0.3)


_BY_NAME = {
    None: linear,
    "linear": linear,
    "relu": relu,
    "tanh": tanh,
    "sigmoid": sigmoid,
    "softmax": softmax,
    "log_softmax": log_softmax,
    "elu": elu,
    "selu": selu,
    "softplus": softplus,
    "softsign": softsign,
    "swish": swish,
    "silu": swish,
    "mish": mish,
    "gelu": gelu,
    "hard_sigmoid": hard_sigmoid,
    "exponential": exponential,
    "leaky_relu": leaky_relu,
    "relu6": relu6,
    # Keras's get also takes its activation layers' class names (with their
    # default arguments); PReLU is not here: it has a trained slope, a weight.
    "ReLU": relu,
    "ELU": elu,
    "Softmax": softmax,
    "LeakyReLU": _leaky_relu_layer,
    "ThresholdedReLU": thresholded_relu,
}


def get(activation, implementation=None):
    """An activation from a name (`"relu"`), `None` (linear) or a callable.

    `implementation` ("fused" or "readable") pins the path for this one function
    whatever block it is later called in; None (the default) returns the
    function itself, which follows `implementation(...)` blocks.
    """
    if implementation is not None and implementation not in IMPLEMENTATIONS:
        raise ValueError("activations.get: implementation must be one of %s, got %r"
                         % (", ".join(IMPLEMENTATIONS), implementation))
    if callable(activation):
        function = activation
    else:
        try:
            function = _BY_NAME[activation]
        except (KeyError, TypeError):
            names = ", ".join(sorted(k for k in _BY_NAME if k))
            raise ValueError("Unknown activation %r; known: %s" % (activation, names)) from None
    if implementation is None:
        return function
    return _Pinned(function, implementation)


class _Pinned:
    """An activation that always builds one implementation (what `get(..., implementation=)` returns)."""

    def __init__(self, function, implementation):
        self.function, self.implementation = function, implementation
        self.__name__ = getattr(function, "__name__", "activation")

    def __call__(self, x, *args, **kwargs):
        with implementation(self.implementation):
            return self.function(x, *args, **kwargs)

    def __repr__(self):
        return "<%s activation, %s>" % (self.__name__, self.implementation)
