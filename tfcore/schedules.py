"""Learning-rate schedules: the rate as a function of the step, as Keras's schedules.

A schedule is a function lr(k) of the step count k (the optimizer's
`iterations`, the steps done before this one). Pass one as an optimizer's
`learning_rate` and every step uses lr(k), as Keras 2's legacy optimizers do;
a Keras 2 time `decay` still divides the scheduled rate:

    optimizer = tfcore.optimizers.SGD(
        learning_rate=tfcore.schedules.ExponentialDecay(0.1, decay_steps=1000, decay_rate=0.5))

Calling a schedule builds the ops that compute it: `schedule(k)` with k a
tensor (or a number) gives the rate as a tensor, in k's float dtype (float32
for an integer k). The formulas, with k the step:

    ExponentialDecay        lr0 * rate^(k / steps)           (staircase: floor(k / steps))
    InverseTimeDecay        lr0 / (1 + rate * k / steps)     (staircase: floor(k / steps))
    PiecewiseConstantDecay  values[i] for boundaries[i-1] < k <= boundaries[i]
    PolynomialDecay         (lr0 - end) * (1 - min(k, steps) / steps)^power + end
    CosineDecay             lr0 * ((1 - alpha) * 0.5 (1 + cos(pi min(k, steps) / steps)) + alpha)
    CosineDecayRestarts     the same cosine, restarted after each period (SGDR)

Names, arguments and defaults are Keras's (`tf_keras.optimizers.schedules`).
"""

import math
import numbers

import tensorflow as tf


def _check(schedule, argument, value, positive=True, integral=False):
    """A number (> 0, or >= 0), else a ValueError naming the schedule and the argument."""
    kind = numbers.Integral if integral else numbers.Real
    if not isinstance(value, kind) or isinstance(value, bool):
        raise TypeError("%s: %s must be %s, got %r"
                        % (schedule, argument, "an int" if integral else "a number", value))
    if value < 0 or (positive and value == 0) or value != value:
        raise ValueError("%s: %s must be %s 0, got %r" % (schedule, argument, ">" if positive else ">=", value))
    return value


def _step(step):
    """The step as a float tensor: its own float dtype, else float32 (Keras's float)."""
    step = tf.convert_to_tensor(step)
    return step if step.dtype.is_floating else tf.cast(step, tf.float32)


class LearningRateSchedule:
    """Base class: `schedule(step)` returns the learning rate at `step` as a tensor."""

    def __call__(self, step):
        raise NotImplementedError

    def __repr__(self):
        args = ", ".join("%s=%r" % (k, v) for k, v in vars(self).items() if k != "name")
        return "%s(%s)" % (type(self).__name__, args)


class _DecayEveryStep(LearningRateSchedule):
    """What ExponentialDecay and InverseTimeDecay share: p = k / decay_steps (floored if staircase)."""

    def __init__(self, initial_learning_rate, decay_steps, decay_rate, staircase=False, name=None):
        kind = type(self).__name__
        self.initial_learning_rate = _check(kind, "initial_learning_rate", initial_learning_rate)
        self.decay_steps = _check(kind, "decay_steps", decay_steps)
        self.decay_rate = _check(kind, "decay_rate", decay_rate, positive=False)
        self.staircase = bool(staircase)
        self.name = name

    def _progress(self, step):
        """(p, decay_rate) as tensors of the step's float dtype."""
        k = _step(step)
        p = k / tf.constant(self.decay_steps, k.dtype)
        return (tf.floor(p) if self.staircase else p), tf.constant(self.decay_rate, k.dtype)


class ExponentialDecay(_DecayEveryStep):
    """lr(k) = initial_learning_rate * decay_rate^(k / decay_steps).

    With `staircase=True` the exponent is floor(k / decay_steps): the rate drops
    by decay_rate every decay_steps steps instead of smoothly.
    """

    def __call__(self, step):
        with tf.name_scope(self.name or "ExponentialDecay"):
            p, decay_rate = self._progress(step)
            return self.initial_learning_rate * tf.pow(decay_rate, p)


class InverseTimeDecay(_DecayEveryStep):
    """lr(k) = initial_learning_rate / (1 + decay_rate * k / decay_steps).

    With `staircase=True`, k / decay_steps is floored. (Keras 2's optimizer
    `decay` argument is this schedule with decay_steps = 1.)
    """

    def __call__(self, step):
        with tf.name_scope(self.name or "InverseTimeDecay"):
            p, decay_rate = self._progress(step)
            return self.initial_learning_rate / (1.0 + decay_rate * p)


class PiecewiseConstantDecay(LearningRateSchedule):
    """A constant rate per interval of steps:

        values[0]  while k <= boundaries[0]
        values[i]  while boundaries[i-1] < k <= boundaries[i]
        values[-1] once k > boundaries[-1]

    so values[i] is chosen by i = the number of boundaries that k has passed.
    """

    def __init__(self, boundaries, values, name=None):
        boundaries, values = list(boundaries), list(values)
        if len(boundaries) != len(values) - 1:
            raise ValueError(
                "PiecewiseConstantDecay: boundaries must have one element less than values; got "
                "%d boundaries %r and %d values %r" % (len(boundaries), boundaries, len(values), values))
        for b in boundaries:
            _check("PiecewiseConstantDecay", "each boundary", b, positive=False)
        if any(b1 >= b2 for b1, b2 in zip(boundaries, boundaries[1:])):
            raise ValueError("PiecewiseConstantDecay: boundaries must increase strictly, got %r" % boundaries)
        for v in values:
            _check("PiecewiseConstantDecay", "each value", v, positive=False)
        self.boundaries, self.values, self.name = boundaries, values, name

    def __call__(self, step):
        with tf.name_scope(self.name or "PiecewiseConstant"):
            k = _step(step)
            # k[..., None]: a tensor of steps gives a tensor of rates.
            passed = tf.reduce_sum(tf.cast(k[..., None] > tf.constant(self.boundaries, k.dtype), tf.int32), -1)
            return tf.gather(tf.constant(self.values, k.dtype), passed)


class PolynomialDecay(LearningRateSchedule):
    """From initial_learning_rate down to end_learning_rate along a polynomial of (1 - p):

        p     = min(k, decay_steps) / decay_steps
        lr(k) = (lr0 - end_learning_rate) * (1 - p)^power + end_learning_rate

    `power=1` is a straight line. With `cycle=True` the decay restarts: decay_steps
    becomes the first multiple of itself not below k (1 x at k = 0).
    """

    def __init__(self, initial_learning_rate, decay_steps, end_learning_rate=0.0001, power=1.0,
                 cycle=False, name=None):
        self.initial_learning_rate = _check("PolynomialDecay", "initial_learning_rate", initial_learning_rate,
                                            positive=False)
        self.decay_steps = _check("PolynomialDecay", "decay_steps", decay_steps)
        self.end_learning_rate = _check("PolynomialDecay", "end_learning_rate", end_learning_rate,
                                        positive=False)
        self.power = _check("PolynomialDecay", "power", power, positive=False)
        self.cycle = bool(cycle)
        self.name = name

    def __call__(self, step):
        with tf.name_scope(self.name or "PolynomialDecay"):
            k = _step(step)
            decay_steps = tf.constant(self.decay_steps, k.dtype)
            if self.cycle:
                decay_steps = decay_steps * tf.maximum(tf.math.ceil(k / decay_steps), 1.0)
            else:
                k = tf.minimum(k, decay_steps)
            p = k / decay_steps
            end = self.end_learning_rate
            return (self.initial_learning_rate - end) * tf.pow(1.0 - p, self.power) + end


def _cosine(fraction, alpha, scale=1.0):
    """(1 - alpha) * scale * 0.5 (1 + cos(pi fraction)) + alpha: from scale down to alpha."""
    cosine = 0.5 * scale * (1.0 + tf.cos(tf.constant(math.pi, fraction.dtype) * fraction))
    return (1.0 - alpha) * cosine + alpha


class CosineDecay(LearningRateSchedule):
    """Cosine annealing (Loshchilov & Hutter's SGDR without restarts):

        lr(k) = lr0 * ((1 - alpha) * 0.5 * (1 + cos(pi * min(k, decay_steps) / decay_steps)) + alpha)

    from lr0 at k = 0 down to alpha * lr0 at k = decay_steps, then constant.
    With `warmup_target`, the rate first rises linearly from
    initial_learning_rate to warmup_target over `warmup_steps` steps, then
    decays from warmup_target as above (Keras's warmup).
    """

    def __init__(self, initial_learning_rate, decay_steps, alpha=0.0, name=None, warmup_target=None,
                 warmup_steps=0):
        self.initial_learning_rate = _check("CosineDecay", "initial_learning_rate", initial_learning_rate,
                                            positive=False)
        self.decay_steps = _check("CosineDecay", "decay_steps", decay_steps)
        self.alpha = _check("CosineDecay", "alpha", alpha, positive=False)
        self.name = name
        if warmup_target is not None:
            _check("CosineDecay", "warmup_target", warmup_target, positive=False)
        self.warmup_target = warmup_target
        self.warmup_steps = _check("CosineDecay", "warmup_steps", warmup_steps, positive=False)

    def __call__(self, step):
        with tf.name_scope(self.name or "CosineDecay"):
            k = _step(step)
            decay_steps = tf.constant(self.decay_steps, k.dtype)
            if self.warmup_target is None:
                return self.initial_learning_rate * _cosine(tf.minimum(k, decay_steps) / decay_steps, self.alpha)
            warmup_steps = tf.constant(self.warmup_steps, k.dtype)
            k = tf.minimum(k, decay_steps + warmup_steps)
            rising = self.initial_learning_rate + (self.warmup_target - self.initial_learning_rate) * (
                k / warmup_steps)
            falling = self.warmup_target * _cosine((k - warmup_steps) / decay_steps, self.alpha)
            return tf.where(k < warmup_steps, rising, falling)


class CosineDecayRestarts(LearningRateSchedule):
    """Cosine annealing with warm restarts (SGDR, Loshchilov & Hutter).

    Period i lasts first_decay_steps * t_mul^i steps and starts from
    lr0 * m_mul^i. With f = k / first_decay_steps:

        t_mul = 1:  i = floor(f),  f_i = f - i
        otherwise:  i = floor(log(1 - f (1 - t_mul)) / log(t_mul))
                    f_i = (f - (1 - t_mul^i) / (1 - t_mul)) / t_mul^i
        lr(k) = lr0 * ((1 - alpha) * m_mul^i * 0.5 (1 + cos(pi f_i)) + alpha)
    """

    def __init__(self, initial_learning_rate, first_decay_steps, t_mul=2.0, m_mul=1.0, alpha=0.0,
                 name=None):
        self.initial_learning_rate = _check("CosineDecayRestarts", "initial_learning_rate",
                                            initial_learning_rate, positive=False)
        self.first_decay_steps = _check("CosineDecayRestarts", "first_decay_steps", first_decay_steps)
        self.t_mul = _check("CosineDecayRestarts", "t_mul", t_mul)
        self.m_mul = _check("CosineDecayRestarts", "m_mul", m_mul, positive=False)
        self.alpha = _check("CosineDecayRestarts", "alpha", alpha, positive=False)
        self.name = name

    def __call__(self, step):
        with tf.name_scope(self.name or "SGDRDecay"):
            k = _step(step)
            f = k / tf.constant(self.first_decay_steps, k.dtype)
            t_mul = tf.constant(self.t_mul, k.dtype)
            if self.t_mul == 1.0:
                restart = tf.floor(f)
                f = f - restart
            else:
                restart = tf.floor(tf.math.log(1.0 - f * (1.0 - t_mul)) / tf.math.log(t_mul))
                f = (f - (1.0 - t_mul ** restart) / (1.0 - t_mul)) / t_mul ** restart
            scale = tf.constant(self.m_mul, k.dtype) ** restart
            return self.initial_learning_rate * _cosine(f, self.alpha, scale)
