"""The gradient checker itself: it passes true gradients and catches wrong ones, saying where."""

import numpy as np
import pytest
import tensorflow as tf

import tfcore
from tfcore.gradcheck import GradientCheckError, check_gradients, relative_error


@tf.custom_gradient
def _wrong_square(x):
    """x^2 whose registered gradient is 3x instead of 2x."""
    return x * x, lambda dy: dy * 3.0 * x


def test_correct_gradients_pass_for_inputs_and_variables(rng):
    def build(x):
        w = tfcore.variable(tf.constant(rng.randn(3, 2)), name="w")
        return tf.tanh(tf.matmul(x, w))

    result = check_gradients(build, {"x": rng.randn(4, 3)}, name="tanh_matmul")
    assert result.ok and result.max_error < 1e-8
    assert {(e["kind"], e["tensor"]) for e in result.entries} == {("input", "x"), ("variable", "w")}


def test_a_scalar_variable_is_checked(rng):
    """A 0-d weight (Attention's learned scale) comes back from Session.run as a NumPy scalar."""
    def build(x):
        c = tfcore.variable(tf.constant(0.7, tf.float64), name="c")
        return tf.tanh(c * x)

    result = check_gradients(build, {"x": rng.randn(4, 3)}, name="tanh_scale")
    assert result.ok and {e["tensor"] for e in result.entries} == {"x", "c"}


def test_a_wrong_input_gradient_is_caught_and_located(rng):
    x = rng.randn(2, 3)
    with pytest.raises(GradientCheckError) as err:
        check_gradients(lambda x: _wrong_square(x), {"x": x}, name="wrong_square")
    message = str(err.value)
    assert "wrong_square" in message and "input 'x'" in message
    assert "expected (numerical)" in message and "got (tf.gradients)" in message
    assert "element (" in message


def test_a_wrong_variable_gradient_is_caught():
    def build(x):
        w = tfcore.variable(tf.constant([[0.5, -1.5]], tf.float64), name="w")
        return _wrong_square(w) * x

    result = check_gradients(build, {"x": np.ones((1, 2))}, name="w", raise_on_failure=False)
    failures = result.failures()
    assert [f["tensor"] for f in failures] == ["w"]
    # analytical 3w vs numerical 2w at the worst element
    worst = failures[0]
    assert worst["analytical"] == pytest.approx(1.5 * worst["numerical"], rel=1e-6)


def test_second_order_catches_a_wrong_second_derivative(rng):
    @tf.custom_gradient
    def cube(x):
        # right first derivative 3x^2, but built from a wrong-gradient square
        return x ** 3, lambda dy: dy * 3.0 * _wrong_square(x)

    x = rng.uniform(0.5, 1.5, (3,))
    check_gradients(lambda x: cube(x), {"x": x}, name="cube", order=1)
    with pytest.raises(GradientCheckError, match="order 2"):
        check_gradients(lambda x: cube(x), {"x": x}, name="cube", order=2)


def test_second_order_of_a_known_function(rng):
    result = check_gradients(lambda x: tf.sin(x) * x, {"x": rng.randn(5)}, order=2)
    assert result.ok


def test_each_variable_is_restored_before_the_next_is_checked(rng):
    # y = sum(x * w1 * w2): w2's gradient depends on w1, so a w1 left perturbed
    # after its own check would spoil w2's numerical gradient.
    def build(x):
        w1 = tfcore.variable(tf.constant(rng.uniform(1, 2, (3,))), name="w1")
        w2 = tfcore.variable(tf.constant(rng.uniform(1, 2, (3,))), name="w2")
        return x * w1 * w2

    result = check_gradients(build, {"x": rng.uniform(1, 2, (3,))}, delta=1e-3, rtol=1e-9)
    assert result.ok, str(result)


def test_relative_error_is_absolute_below_the_floor():
    np.testing.assert_allclose(relative_error([1.0, 1e-9], [1.1, 2e-9], floor=1e-3),
                               [0.1 / 1.1, 1e-9 / 1e-3])


def test_bad_order_is_refused():
    with pytest.raises(ValueError, match="order"):
        check_gradients(lambda x: x * x, {"x": np.ones(2)}, order=3)
