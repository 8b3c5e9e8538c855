"""Check `tf.gradients` against central finite differences in float64.

The gradient TensorFlow computes is an operation in the graph, built by
`tf.gradients` from each op's registered gradient. To check it we need a number
it must equal. Central differences give one for any function f:

    df/dx_i  ~  (f(x + d e_i) - f(x - d e_i)) / (2 d)

with error O(d^2) from truncation and O(eps |f| / d) from rounding, so in
float64 (eps ~ 1e-16) with d = 1e-5 both are ~1e-10: far below the tolerance.

A layer's output is a tensor, not a number, so we check the scalar
`y = sum(output * r)` for a fixed random `r`: every element of the Jacobian
contributes to dy/dx, so a wrong element shows up (with probability 1).

Second order: the gradient `g = dy/dx` is itself a tensor built by ops, so
checking `sum(g * r2)` the same way checks the gradient of the gradient.

Usage:

    def build(x):
        return Dense(3, activation="tanh")(x)

    check_gradients(build, {"x": np.random.randn(4, 5)}, name="dense")

`build` is called inside a fresh float64 graph with one placeholder per input;
every trainable variable it creates is checked as well as every input.
"""

from __future__ import annotations

from typing import Any, Callable, Mapping

import numpy as np
import numpy.typing as npt
import tensorflow as tf

from tfcore import graph as graph_lib


class GradientCheckError(AssertionError):
    """The analytical and numerical gradients disagree; the message says where."""


class GradientCheckResult:
    """Per-tensor worst errors of one check. `ok` is True when all are within tolerance."""

    def __init__(self, name: str, rtol: float) -> None:
        self.name = name
        self.rtol = rtol
        # dicts: kind, tensor, index, analytical, numerical, error
        self.entries: list[dict[str, Any]] = []

    @property
    def ok(self) -> bool:
        return all(e["error"] <= self.rtol for e in self.entries)

    @property
    def max_error(self) -> float:
        return max((e["error"] for e in self.entries), default=0.0)

    def failures(self) -> list[dict[str, Any]]:
        return [e for e in self.entries if e["error"] > self.rtol]

    def __str__(self) -> str:
        lines = ["gradient check of %s (rtol %.1e):" % (self.name, self.rtol)]
        for e in self.entries:
            lines.append(
                "  %-8s %-28s worst at %-14s analytical % .10e numerical % .10e rel.err %.2e %s"
                % (
                    e["kind"], e["tensor"], str(e["index"]), e["analytical"], e["numerical"],
                    e["error"], "ok" if e["error"] <= self.rtol else "FAIL",
                )
            )
        return "\n".join(lines)


def relative_error(analytical: npt.ArrayLike, numerical: npt.ArrayLike,
                   floor: float = 1e-3) -> np.ndarray:
    """|a - n| / max(|a|, |n|, floor), elementwise.

    The floor keeps elements that are (nearly) zero from turning rounding noise
    into a huge relative error: below it the comparison is absolute.
    """
    a, n = np.asarray(analytical), np.asarray(numerical)
    return np.abs(a - n) / np.maximum(np.maximum(np.abs(a), np.abs(n)), floor)


def central_differences(evaluate: Callable[[np.ndarray], float], base: npt.ArrayLike,
                        delta: float = 1e-5) -> np.ndarray:
    """d evaluate / d base by central differences: (f(x + d e_i) - f(x - d e_i)) / 2d per element.

    `evaluate(array)` returns the scalar f at `array` (same shape as `base`).
    """
    base = np.asarray(base)  # a 0-d variable's value comes back from Session.run as a NumPy scalar
    numerical = np.zeros_like(base)
    for index in np.ndindex(*base.shape):
        plus, minus = base.copy(), base.copy()
        plus[index] += delta
        minus[index] -= delta
        numerical[index] = (evaluate(plus) - evaluate(minus)) / (2 * delta)
    return numerical


def _gradients(y, targets):
    # tf.gradients says None where y does not depend on a target: the gradient is
    # zero there, and the finite differences will confirm (or refute) it.
    grads = tf.gradients(y, targets)
    return [tf.zeros_like(t) if g is None else tf.convert_to_tensor(g) for t, g in zip(targets, grads)]


def check_gradients(
    build: Callable[..., Any],
    inputs: Mapping[str, npt.ArrayLike],
    name: str | None = None,
    order: int = 1,
    delta: float = 1e-5,
    rtol: float = 1e-6,
    floor: float = 1e-3,
    check_variables: bool = True,
    seed: int = 0,
    raise_on_failure: bool = True,
) -> GradientCheckResult:
    """Compare `tf.gradients` with central differences for `build(*inputs)`.

    Args:
      build: called as `build(**placeholders)` (keyword per input) inside a
        fresh graph; returns the output tensor (or a list of tensors, summed).
      inputs: dict name -> NumPy array (cast to float64).
      name: what is being checked (a layer name), used in messages.
      order: 1 checks dy/dx; 2 checks d(sum(r2 * dy/dx))/dx (second order).
      delta: the finite-difference step.
      rtol: the largest accepted `relative_error`.
      floor: see `relative_error`.
      check_variables: also check every trainable variable `build` created
        (first order: their gradients; the inputs are always checked).
      seed: seeds the random projections and the graph.

    Returns:
      a `GradientCheckResult`. With `raise_on_failure`, a failure raises
      `GradientCheckError` naming the layer, the tensor, the element index and
      both values.
    """
    name = name or str(getattr(build, "__name__", "function"))
    rng = np.random.RandomState(seed)
    values = {k: np.asarray(v, dtype=np.float64) for k, v in inputs.items()}
    graph, feeds, y, targets, grads = _check_graph(build, values, order, check_variables, rng, seed)
    with graph.as_default():
        init = tf.compat.v1.global_variables_initializer()

    result = GradientCheckResult(name, rtol)
    with graph_lib.session(graph=graph) as sess:
        sess.run(init)
        feed = {feeds[k]: v for k, v in values.items()}
        analytical = sess.run(grads, feed)
        for target, grad in zip(targets, analytical):
            base, numerical = _target_differences(sess, y, feed, target, delta)
            grad = np.asarray(grad, dtype=np.float64).reshape(base.shape)
            result.entries.append(_worst(target, grad, numerical, floor))

    if raise_on_failure and not result.ok:
        lines = ["Gradient check failed for %s (order %d):" % (name, order)]
        for e in result.failures():
            lines.append(
                "  %s %r element %s: expected (numerical) %.10g, got (tf.gradients) %.10g,"
                " relative error %.3g > %.1g"
                % (e["kind"], e["tensor"], e["index"], e["numerical"], e["analytical"], e["error"], rtol)
            )
        raise GradientCheckError("\n".join(lines))
    return result


def _check_graph(build, values, order, check_variables, rng, seed):
    """The float64 graph: `(graph, feeds, y, targets, grads)`, y the random projection checked.

    Order 1: `y = sum(r * output)`, checked against the inputs and the
    trainable variables. Order 2: `y = sum(r2 * dy/dx)` over the inputs' first
    gradients, checked against the inputs.
    """
    graph = graph_lib.new_graph(seed=seed)
    with graph.as_default():
        feeds = {k: graph_lib.placeholder(v.shape, tf.float64, name=k) for k, v in values.items()}
        output = build(**feeds)
        outputs = output if isinstance(output, (list, tuple)) else [output]
        y = tf.add_n([
            tf.reduce_sum(tf.cast(o, tf.float64) * tf.constant(rng.uniform(-1, 1, o.shape.as_list())))
            for o in outputs
        ])
        variables = tf.compat.v1.trainable_variables() if check_variables else []
        targets = list(feeds.values()) + list(variables)
        grads = _gradients(y, targets)
        if order == 2:
            # Check the gradient of the gradient with respect to the inputs.
            n_inputs = len(feeds)
            y = tf.add_n([
                tf.reduce_sum(g * tf.constant(rng.uniform(-1, 1, g.shape.as_list())))
                for g in grads[:n_inputs]
            ])
            targets = list(feeds.values())
            grads = _gradients(y, targets)
        elif order != 1:
            raise ValueError("order must be 1 or 2, got %r" % (order,))
    return graph, feeds, y, targets, grads


def _target_differences(sess, y, feed, target, delta):
    """`(value, dy/dtarget by central differences)` for an input placeholder or a variable.

    A variable is moved through its initializer, and put back afterwards.
    """
    is_input = target.op.type == "Placeholder"
    if is_input:
        base = feed[target].copy()

        def evaluate(value):
            return sess.run(y, {**feed, target: value})
    else:
        base = sess.run(target)

        def evaluate(value):
            sess.run(target.initializer, {target.initial_value: value})
            return sess.run(y, feed)

    numerical = central_differences(evaluate, base, delta)
    if not is_input:
        sess.run(target.initializer, {target.initial_value: base})
    return base, numerical


def _worst(target, grad, numerical, floor):
    """The entry of `target`: its worst element's index, both values and the relative error."""
    errors = relative_error(grad, numerical, floor)
    worst = np.unravel_index(np.argmax(errors), errors.shape) if errors.size else ()
    return {
        "kind": "input" if target.op.type == "Placeholder" else "variable",
        "tensor": target.name.split(":")[0],
        "index": tuple(int(i) for i in worst),
        "analytical": float(grad[worst]) if errors.size else 0.0,
        "numerical": float(numerical[worst]) if errors.size else 0.0,
        "error": float(errors[worst]) if errors.size else 0.0,
    }
