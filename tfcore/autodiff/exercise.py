"""The exercise's checker: a learner's gradient rule against `tf.gradients` on random graphs.

    @tfcore.autodiff.register("Softplus")
    def softplus(op, grad):                  # z = log(1 + eˣ), z' = σ(x)
        return [grad * tf.sigmoid(op.inputs[0])]

    tfcore.autodiff.check_gradient_rule("Softplus")          # the registered rule
    tfcore.autodiff.check_gradient_rule("Tanh", my_tanh)     # or any function, unregistered

Each case builds, in float64, one op of that type (from `tf.raw_ops`) on random
inputs of random shapes (two inputs broadcast against each other), and feeds
its output to two consumers (so the gradient arriving at the op is a sum), with
a random `grad_ys`. Your rule gives `tfcore.autodiff.gradients`' answer, with
every other op on the built-in rules; `tf.gradients` gives the oracle's. The
report names the first wrong element. Inputs stay away from 0 (where Relu and
Abs have a kink), and are positive if the op is not finite on negative ones
(Log, Sqrt).
"""

import inspect

import numpy as np
import tensorflow as tf

from tfcore.autodiff.backprop import gradients
from tfcore.autodiff.rules import RULES

TOLERANCE = (1e-9, 1e-12)  # (relative to the largest element, absolute): float64 rounding only


def forward_op(op_type):
    """`(build, n_inputs)`: builds one `op_type` op from `tf.raw_ops` on 1 or 2 float tensors."""
    raw = getattr(tf.raw_ops, op_type, None)
    if raw is None:
        raise ValueError("check_gradient_rule: %r is not an op type of tf.raw_ops" % (op_type,))
    params = [p.name for p in inspect.signature(raw).parameters.values()
              if p.default is inspect.Parameter.empty]
    if len(params) not in (1, 2):
        raise ValueError("check_gradient_rule checks elementwise ops of one or two inputs; %s takes %s"
                         % (op_type, ", ".join(params)))
    return (lambda *xs: raw(**dict(zip(params, xs)))), len(params)


def _shapes(rng, n_inputs):
    """A random shape, and for a second input one that broadcasts against it."""
    shape = list(rng.randint(1, 5, size=rng.randint(0, 4)))
    if n_inputs == 1:
        return [shape]
    other = [1 if rng.uniform() < 0.4 else d for d in shape][rng.randint(len(shape) + 1):]
    return [shape, other] if rng.uniform() < 0.5 else [other, shape]


def _values(rng, shape, positive):
    magnitude = rng.uniform(0.2, 2.0, shape)
    return magnitude if positive else magnitude * rng.choice([-1.0, 1.0], shape)


def _needs_positive(build, n_inputs):
    """Whether the op gives non-finite values (or fails) on negative inputs."""
    with tf.Graph().as_default(), tf.compat.v1.Session() as sess:
        try:
            z = sess.run(build(*[tf.constant([-1.5, -0.5, 0.5, 1.5], tf.float64)] * n_inputs))
        except (tf.errors.OpError, ValueError, TypeError):
            return True
    return not np.all(np.isfinite(z))


def _case(build, arrays, rule, op_type, rng):
    """(mine, tf's) gradient values with respect to each input, or what went wrong as text."""
    graph = tf.Graph()
    with graph.as_default():
        xs = [tf.constant(a) for a in arrays]
        try:
            z = build(*xs)
        except (TypeError, ValueError) as err:  # not the learner's fault: the op is not elementwise
            raise ValueError("check_gradient_rule checks elementwise ops of one or two inputs; "
                             "%s on shapes %s: %s" % (op_type, [a.shape for a in arrays], err)) from err
        out = [tf.tanh(z), z * tf.constant(rng.uniform(-1, 1, z.shape.as_list()))]  # z fans out
        grad_ys = [tf.constant(rng.uniform(-1, 1, t.shape.as_list())) for t in out]
        theirs = tf.gradients(out, xs, grad_ys)
        try:
            mine = gradients(out, xs, grad_ys, rules={op_type: rule})
        except Exception as err:  # noqa: BLE001 - the learner's rule failed: report it, do not crash
            return None, "your rule raised %s: %s" % (type(err).__name__, err)
    if any(m is None for m in mine):
        return None, "your rule returned None for input %d" % [m is None for m in mine].index(True)
    with tf.compat.v1.Session(graph=graph) as sess:
        try:
            return sess.run([mine, theirs]), None
        except tf.errors.OpError as err:
            return None, "your rule's ops failed when run: %s" % err.message.splitlines()[0]


def _first_wrong(mine, theirs):
    for i, (m, t) in enumerate(zip(mine, theirs)):
        if m.shape != t.shape:
            return "input %d: gradient of shape %s, expected %s" % (i, m.shape, t.shape)
        bad = np.abs(m - t) > TOLERANCE[0] * (np.abs(t).max() if t.size else 0) + TOLERANCE[1]
        if bad.any():
            where = tuple(np.argwhere(bad)[0])
            return "input %d, element %s: expected %.10g, got %.10g" % (i, list(where), t[where], m[where])
    return None


def check_gradient_rule(op_type, rule=None, seed=0, cases=6, print_fn=print):
    """Check `rule` (default: the rule registered for `op_type`) against tf.gradients.

    Returns the course checker's `CheckResult` (`ok`, `passed`, `total`, `failure`, with the
    op type as `exercise`); prints one line per result (`print_fn=None` for silence).
    """
    from tfcore.learn.checker import CheckResult  # here: the checker may one day import this module

    rule = rule or RULES.get(op_type)
    if rule is None:
        raise ValueError("check_gradient_rule: no rule for %s: write one and decorate it with "
                         "@tfcore.autodiff.register(%r), or pass it as rule=" % (op_type, op_type))
    build, n_inputs = forward_op(op_type)
    positive = _needs_positive(build, n_inputs)
    rng = np.random.RandomState(seed)
    result = CheckResult(op_type, 0, cases)
    for _ in range(cases):
        arrays = [_values(rng, shape, positive) for shape in _shapes(rng, n_inputs)]
        case = "%s on inputs of shapes %s" % (op_type, ", ".join(str(tuple(a.shape)) for a in arrays))
        values, problem = _case(build, arrays, rule, op_type, rng)
        problem = problem or _first_wrong(*values)
        if problem:
            result.failure = "%s: %s" % (case, problem)
            break
        result.passed += 1
    if print_fn:
        print_fn("%s: %d of %d cases agree with tf.gradients" % (op_type, result.passed, cases)
                 + ("" if result.ok else "\n  first wrong: " + result.failure))
    return result
