"""Gradient rules of elementwise ops: each derivative beside its formula.

For z = f(x) elementwise, the Jacobian is diagonal, so the vector-Jacobian
product is a product elementwise: x̄ = z̄ · f'(x). Where f' is cheaper from the
output (tanh' = 1 - z², σ' = z(1 - z), exp' = z) the rule reads `op.outputs[0]`
instead of recomputing f. Binary ops may broadcast: `binary` sums each
input's gradient back to its shape (rules.py).

`Softplus` has no rule here on purpose: chapter 14's first exercise writes it.
"""

import numpy as np
import tensorflow as tf

from tfcore.autodiff.rules import binary, register, unbroadcast


@register("Identity", "ReadVariableOp", "Snapshot")
def identity(op, grad):
    """z = x: x̄ = z̄. A variable read is an identity on the variable's value, so the
    gradient reaches the resource handle (what `tf.gradients` returns for a variable)."""
    return [grad]


@register("IdentityN")
def identity_n(op, *grads):
    return list(grads)


@register("AddN")
def add_n(op, grad):
    """z = x1 + ... + xn: every x̄_i = z̄."""
    return [grad] * len(op.inputs)


@register("Add", "AddV2")
def add(op, grad):
    """z = x + y: x̄ = z̄, ȳ = z̄ (each summed over its broadcast axes)."""
    return binary(op, grad, grad, grad)


@register("Sub")
def sub(op, grad):
    """z = x - y: x̄ = z̄, ȳ = -z̄."""
    return binary(op, grad, grad, -grad)


@register("Mul")
def mul(op, grad):
    """z = x y: x̄ = z̄ y, ȳ = x z̄."""
    x, y = op.inputs
    return binary(op, grad, grad * y, x * grad)


@register("RealDiv")
def real_div(op, grad):
    """z = x / y: x̄ = z̄ / y, ȳ = -z̄ x / y²."""
    x, y = op.inputs
    return binary(op, grad, grad / y, grad * (-x / y / y))


@register("Maximum", "Minimum")
def maximum_minimum(op, grad):
    """z = max(x, y): the gradient goes to the input that was chosen (x on a tie), zero to the other."""
    x, y = op.inputs
    x_chosen = x >= y if op.type == "Maximum" else x <= y
    zeros = tf.zeros_like(grad)
    return binary(op, grad, tf.where(x_chosen, grad, zeros), tf.where(x_chosen, zeros, grad))


@register("SquaredDifference")
def squared_difference(op, grad):
    """z = (x - y)²: x̄ = 2 z̄ (x - y), ȳ = -x̄."""
    x, y = op.inputs
    grad_x = 2.0 * grad * (x - y)
    return binary(op, grad, grad_x, -grad_x)


@register("Pow")
def pow_(op, grad):
    """z = x^y: x̄ = z̄ y x^(y-1), ȳ = z̄ z log x (taken as 0 where x <= 0, where log is undefined)."""
    x, y = op.inputs
    z = op.outputs[0]
    positive = x > 0
    log_x = tf.where(positive, tf.math.log(tf.where(positive, x, tf.ones_like(x))), tf.zeros_like(x))
    return binary(op, grad, grad * y * tf.pow(x, y - 1), grad * z * log_x)


@register("Neg")
def neg(op, grad):
    """z = -x: x̄ = -z̄."""
    return [-grad]


@register("Square")
def square(op, grad):
    """z = x²: x̄ = 2 x z̄."""
    return [grad * (2.0 * op.inputs[0])]


@register("Sqrt")
def sqrt(op, grad):
    """z = √x: x̄ = z̄ / (2 z)."""
    return [grad * 0.5 / op.outputs[0]]


@register("Rsqrt")
def rsqrt(op, grad):
    """z = 1/√x = x^(-1/2): x̄ = -½ x^(-3/2) z̄ = -½ z³ z̄."""
    z = op.outputs[0]
    return [grad * (-0.5 * z * z * z)]


@register("Exp")
def exp(op, grad):
    """z = eˣ: x̄ = z̄ z."""
    return [grad * op.outputs[0]]


@register("Log")
def log(op, grad):
    """z = log x: x̄ = z̄ / x."""
    return [grad / op.inputs[0]]


@register("Log1p")
def log1p(op, grad):
    """z = log(1 + x): x̄ = z̄ / (1 + x)."""
    return [grad / (1.0 + op.inputs[0])]


@register("Expm1")
def expm1(op, grad):
    """z = eˣ - 1: x̄ = z̄ eˣ."""
    return [grad * tf.exp(op.inputs[0])]


@register("Erfc")
def erfc(op, grad):
    """z = 1 - erf x = (2/√π) ∫ₓ^∞ e^(-t²) dt: x̄ = -(2/√π) e^(-x²) z̄."""
    x = op.inputs[0]
    return [grad * (-2.0 / np.sqrt(np.pi)) * tf.exp(-tf.square(x))]


@register("Abs")
def abs_(op, grad):
    """z = |x|: x̄ = z̄ sign(x) (0 at x = 0)."""
    return [grad * tf.sign(op.inputs[0])]


@register("Sign")
def sign(op, grad):
    """z = sign x, flat except at 0: x̄ = 0 (zeros, as TensorFlow returns, not None)."""
    return [tf.zeros_like(op.inputs[0])]


@register("Floor", "Ceil", "Round", "Rint")
def steps(op, grad):
    """A staircase: flat between its jumps, so no gradient flows (None, as in TensorFlow)."""
    return [None]


@register("Tanh")
def tanh(op, grad):
    """z = tanh x: x̄ = z̄ (1 - z²)."""
    z = op.outputs[0]
    return [grad * (1.0 - z * z)]


@register("Sigmoid")
def sigmoid(op, grad):
    """z = σ(x) = 1 / (1 + e⁻ˣ): x̄ = z̄ z (1 - z)."""
    z = op.outputs[0]
    return [grad * z * (1.0 - z)]


@register("Relu")
def relu(op, grad):
    """z = max(x, 0): x̄ = z̄ where z > 0, else 0 (0 at x = 0, as TensorFlow's ReluGrad)."""
    return [tf.where(op.outputs[0] > 0, grad, tf.zeros_like(grad))]


@register("Relu6")
def relu6(op, grad):
    """z = min(max(x, 0), 6): x̄ = z̄ where 0 < x < 6, else 0."""
    x = op.inputs[0]
    return [tf.where(tf.logical_and(x > 0, x < 6), grad, tf.zeros_like(grad))]


@register("LeakyRelu")
def leaky_relu(op, grad):
    """z = x if x > 0 else α x: x̄ = z̄ where x > 0, else α z̄."""
    return [tf.where(op.inputs[0] > 0, grad, grad * op.get_attr("alpha"))]


@register("Elu")
def elu(op, grad):
    """z = x if x > 0 else eˣ - 1: x̄ = z̄ if z > 0, else z̄ eˣ = z̄ (z + 1)."""
    z = op.outputs[0]
    return [tf.where(z > 0, grad, grad * (z + 1.0))]


@register("Select", "SelectV2")
def select(op, grad):
    """z = where(c, x, y): x̄ = z̄ where c, ȳ = z̄ where not c; the condition gets none."""
    c, x, y = op.inputs
    zeros = tf.zeros_like(grad)
    if op.type == "Select":  # no broadcasting, but c may be a vector choosing whole rows
        return [None, tf.compat.v1.where(c, grad, zeros), tf.compat.v1.where(c, zeros, grad)]
    z = op.outputs[0]
    return [None, unbroadcast(tf.where(c, grad, zeros), x, z), unbroadcast(tf.where(c, zeros, grad), y, z)]


@register("Cast")
def cast(op, grad):
    """z = x in another type: x̄ = z̄ cast back, if both types are floating (else no gradient)."""
    source = op.inputs[0].dtype
    if (source.is_floating or source.is_complex) and (grad.dtype.is_floating or grad.dtype.is_complex):
        return [tf.cast(grad, source)]
    return [None]
