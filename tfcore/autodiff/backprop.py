"""Reverse-mode differentiation of a graph, written out: what `tf.gradients` does.

`gradients(ys, xs)` adds to the graph the operations that compute
d(sum of ys)/dx for every x, in four steps:

1. **Find the ops between xs and ys**: those reached forward from an x (through
   floating-point and resource tensors only: an integer shape carries no
   gradient) that also lead back to a y. Nothing else can carry a gradient.
2. **Walk them in reverse topological order**, from the ys back to the xs, so an
   op is visited only after every op that consumes its outputs: by then the
   gradient of each of its outputs is complete.
3. **Sum where a tensor fans out.** A tensor read by k ops receives k
   contributions; its gradient is their sum (one `AddN` op), because
   d/dt f(t, t) = df/da + df/db (the multivariate chain rule).
4. **Call the op type's rule** (`rules.RULES[op.type]`): given the gradient ḡ
   of each output (same shape as the output) it returns the gradient of each
   input, the vector-Jacobian product ḡᵀ ∂out/∂in, as new graph ops.

The chain rule as vector-Jacobian products: for y = f(g(x)) with a scalar
loss L, L̄ = 1 and

    x̄ = (∂g/∂x)ᵀ ḡ,   ḡ = (∂f/∂g)ᵀ ȳ

so no Jacobian is ever formed: each rule maps an output-shaped gradient to
input-shaped ones (for Mul, z = x y: x̄ = z̄ · y, ȳ = z̄ · x).

Like `tf.gradients`: `grad_ys` defaults to ones (so a non-scalar y is summed);
an x that no path reaches, or reaches only through `tf.stop_gradient` (whose
rule returns None), gets None; a resource variable as x means its handle, and
the gradient reaches the handle through `ReadVariableOp` (whose rule is the
identity), summed over every read.

An op under `tf.custom_gradient` (the layers' `gradient="manual"`) keeps its
backward pass in a Python function registered with TensorFlow, so its type's
rule must not be used: it raises unless `fallback="tensorflow"`.

**Not here: control flow.** `If` and `While` ops run functions (subgraphs), and
their gradient is not a rule on inputs and outputs. TensorFlow
(`cond_v2`/`while_v2`) rewrites the *forward* function so that it also outputs
the intermediate tensors the backward pass needs, then builds the gradient as
another `If` (over the branches' gradient functions) or another `While` that
runs the loop body's gradient backwards for as many iterations as the forward
loop ran, reading each iteration's intermediates from accumulators
(`TensorList`s pushed in the forward loop, popped in the backward one). That
is a graph rewrite, not a local rule, so an `If`/`While` here raises the
unknown-op error (or use `fallback="tensorflow"`).
"""

import tensorflow as tf

from tfcore.autodiff.rules import RULES, trainable


class UnknownOpError(LookupError):
    """An op between xs and ys whose type has no rule here."""


def _as_list(value):
    return list(value) if isinstance(value, (list, tuple)) else [value]


def _source(x):
    """The tensor that stands for x: a resource variable's handle, as in tf.gradients.

    A legacy reference variable (`use_resource=False`) stands for its read value,
    the `read` Identity every use of it goes through.
    """
    if isinstance(x, tf.Variable) and hasattr(x, "handle"):
        return x.handle
    return tf.convert_to_tensor(x)


def ops_between(xs, ys):
    """The ops reached forward from the xs (through trainable tensors) that lead back to the ys."""
    reached, stack = set(), [x.op for x in xs]
    while stack:
        op = stack.pop()
        if op not in reached:
            reached.add(op)
            stack.extend(c for t in op.outputs if trainable(t) for c in t.consumers())
    between, stack = set(), [y.op for y in ys]
    while stack:
        op = stack.pop()
        if op in reached and op not in between:
            between.add(op)
            stack.extend(t.op for t in op.inputs)
    return between


def reverse_topological_order(ops):
    """`ops` ordered so that every op comes before the ops it reads from (consumers first)."""
    order, done = [], set()
    for root in sorted(ops, key=lambda op: op.name):  # sorted: the same order on every run
        stack = [(root, False)]
        while stack:
            op, inputs_done = stack.pop()
            if inputs_done:
                order.append(op)
            elif op not in done:
                done.add(op)
                stack.append((op, True))
                stack.extend((t.op, False) for t in op.inputs if t.op in ops and t.op not in done)
    return order[::-1]  # a post-order lists inputs before consumers: reverse it


def _total(grads, t):
    """The gradient of tensor t: its one contribution, or their sum (AddN), or None if none."""
    contributions = grads.get(t.ref())
    if not contributions:
        return None
    if len(contributions) > 1:
        grads[t.ref()] = [tf.math.add_n(contributions)]  # summed once, however often asked
    return grads[t.ref()][0]


def tensorflow_rule(op, *out_grads):
    """TensorFlow's own registered gradient of one op, through the public `tf.gradients`.

    `stop_gradients=op.inputs` keeps it local: only this op is differentiated,
    even when one input is computed from another. TensorFlow's gradient of a
    `While` rewrites the forward op, adding inputs (its accumulators): they get None.
    """
    original = list(op.inputs)
    pairs = [(t, g) for t, g in zip(op.outputs, out_grads) if g is not None]
    inputs = [t for t in original if trainable(t)]
    grads = iter(tf.gradients([t for t, _ in pairs], inputs, grad_ys=[g for _, g in pairs],
                              stop_gradients=inputs))
    in_grads = [next(grads) if trainable(t) else None for t in original]
    return in_grads + [None] * (len(op.inputs) - len(original))


def _custom_gradient(op):
    """The name of the gradient TensorFlow was told to use for this op instead (tf.custom_gradient)."""
    try:
        return op.get_attr("_gradient_op_type").decode()
    except ValueError:
        return None


def rule_for(op, rules=None, fallback=None):
    """The function that differentiates `op`: `rules`, then RULES, then the fallback if asked.

    An op under `tf.custom_gradient` (tfcore's `gradient="manual"` layers) has its
    backward pass in a Python function TensorFlow keeps: no rule of its type applies.
    """
    custom = _custom_gradient(op)
    if custom:
        if fallback == "tensorflow":
            return tensorflow_rule
        raise UnknownOpError(
            "op %r (type %s) has a custom gradient (%s, from tf.custom_gradient): its backward pass "
            "is a Python function registered with TensorFlow; pass fallback=\"tensorflow\" to use it"
            % (op.name, op.type, custom))
    for table in (rules or {}, RULES):
        if op.type in table:
            return table[op.type]
    if fallback == "tensorflow":
        return tensorflow_rule
    raise UnknownOpError(
        "tfcore.autodiff has no gradient rule for op %r (type %s). Write one with "
        "@tfcore.autodiff.register(%r), or pass fallback=\"tensorflow\" to use TensorFlow's "
        "registered gradient for the op types it does not know%s"
        % (op.name, op.type, op.type,
           " (control flow: see the module docstring)" if op.type in ("If", "StatelessIf", "While",
                                                                     "StatelessWhile") else ""))


def _apply(op, rule, out_grads):
    """Call a rule and check it returned one gradient (or None) per input."""
    in_grads = rule(op, *out_grads)
    in_grads = list(in_grads) if isinstance(in_grads, (list, tuple)) else [in_grads]
    if len(in_grads) != len(op.inputs):
        raise ValueError("the gradient rule for %s (type %s) returned %d gradients for %d inputs"
                         % (op.name, op.type, len(in_grads), len(op.inputs)))
    return in_grads


def _shaped_like(grad, t, op):
    """A gradient has its input's shape: say so to TensorFlow, or say which rule broke it."""
    grad = tf.convert_to_tensor(grad)
    if t.dtype != tf.resource:
        if not grad.shape.is_compatible_with(t.shape):
            raise ValueError("the gradient rule for %s (type %s) returned a gradient of shape %s for "
                             "input %s of shape %s (a broadcast input needs its gradient summed back)"
                             % (op.name, op.type, grad.shape, t.name, t.shape))
        grad.set_shape(t.shape)
    return grad


def gradients(ys, xs, grad_ys=None, rules=None, fallback=None, name="autodiff"):
    """d(sum of ys)/dx for each x, built as graph ops the way `tf.gradients` builds them.

    Args:
      ys, xs: a tensor or a list of them (xs may be resource variables).
      grad_ys: the gradient flowing into each y (default: ones of y's shape).
      rules: `{op_type: rule}` tried before `RULES` (how the exercise checks yours).
      fallback: None (default) to raise on an op type without a rule, or
        "tensorflow" to use TensorFlow's registered gradient for it.
    Returns:
      a list with one tensor per x, or None where no gradient reaches it.
    """
    if fallback not in (None, "tensorflow"):
        raise ValueError("gradients: fallback must be None or \"tensorflow\", got %r" % (fallback,))
    ys, xs = [tf.convert_to_tensor(y) for y in _as_list(ys)], [_source(x) for x in _as_list(xs)]
    grad_ys = _as_list(grad_ys) if grad_ys is not None else [None] * len(ys)
    if len(grad_ys) != len(ys):
        raise ValueError("gradients: %d grad_ys for %d ys" % (len(grad_ys), len(ys)))
    with ys[0].graph.as_default(), tf.name_scope(name):
        grads = {}  # tensor -> the gradient contributions it has received so far
        for y, g in zip(ys, grad_ys):
            g = tf.ones_like(y) if g is None else tf.convert_to_tensor(g, dtype=y.dtype)
            grads.setdefault(y.ref(), []).append(g)
        between = ops_between(xs, ys)
        for op in reverse_topological_order(between):
            if not any(t.op in between for t in op.inputs):
                continue  # an x's own op (a placeholder, a variable): nothing upstream
            with tf.compat.v1.name_scope(op.name + "_grad"):  # op's backward ops, AddN included
                out_grads = [_total(grads, t) for t in op.outputs]
                if all(g is None for g in out_grads):
                    continue  # no gradient arrives (an output only stop_gradient read)
                in_grads = _apply(op, rule_for(op, rules, fallback), out_grads)
            for t, g in zip(op.inputs, in_grads):
                if g is not None:
                    grads.setdefault(t.ref(), []).append(_shaped_like(g, t, op))
        return [_total(grads, x) for x in xs]
