"""Learning-rate schedules equal their formulas (NumPy, float64) at many steps; bad arguments fail clearly."""

import math

import numpy as np
import pytest
import tensorflow as tf

import tfcore
from tfcore import schedules
from tests.helpers import evaluate

STEPS = np.arange(0, 90, dtype=np.float64)


def _at_steps(schedule, steps=STEPS):
    return evaluate(lambda: schedule(tf.constant(steps)))


def _cosine(fraction, alpha, scale=1.0):
    return (1 - alpha) * scale * 0.5 * (1 + np.cos(np.pi * fraction)) + alpha


@pytest.mark.parametrize("staircase", [False, True])
def test_exponential_decay_equals_numpy(staircase):
    p = STEPS / 7 if not staircase else np.floor(STEPS / 7)
    np.testing.assert_allclose(_at_steps(schedules.ExponentialDecay(0.3, 7, 0.6, staircase)),
                               0.3 * 0.6 ** p, rtol=1e-12)


@pytest.mark.parametrize("staircase", [False, True])
def test_inverse_time_decay_equals_numpy(staircase):
    p = STEPS / 5 if not staircase else np.floor(STEPS / 5)
    np.testing.assert_allclose(_at_steps(schedules.InverseTimeDecay(0.2, 5, 1.5, staircase)),
                               0.2 / (1 + 1.5 * p), rtol=1e-12)


def test_piecewise_constant_uses_values_i_up_to_and_including_boundary_i():
    got = _at_steps(schedules.PiecewiseConstantDecay([10, 20, 55], [1.0, 0.5, 0.1, 0.01]))
    expected = np.select([STEPS <= 10, STEPS <= 20, STEPS <= 55], [1.0, 0.5, 0.1], 0.01)
    np.testing.assert_array_equal(got, expected)


@pytest.mark.parametrize("cycle", [False, True])
def test_polynomial_decay_equals_numpy(cycle):
    steps = np.where(STEPS == 0, 1, np.ceil(STEPS / 20)) * 20 if cycle else np.full_like(STEPS, 20)
    k = STEPS if cycle else np.minimum(STEPS, 20)
    expected = (0.3 - 0.01) * (1 - k / steps) ** 1.7 + 0.01
    np.testing.assert_allclose(_at_steps(schedules.PolynomialDecay(0.3, 20, 0.01, 1.7, cycle)), expected,
                               rtol=1e-12)


def test_cosine_decay_equals_numpy_and_stays_at_alpha_after_decay_steps():
    got = _at_steps(schedules.CosineDecay(0.4, 37, alpha=0.05))
    np.testing.assert_allclose(got, 0.4 * _cosine(np.minimum(STEPS, 37) / 37, 0.05), rtol=1e-12)
    assert got[0] == pytest.approx(0.4) and got[-1] == pytest.approx(0.4 * 0.05)


def test_cosine_decay_warmup_rises_linearly_then_decays_from_the_target():
    got = _at_steps(schedules.CosineDecay(0.0, 30, alpha=0.1, warmup_target=0.5, warmup_steps=10))
    k = np.minimum(STEPS, 40)
    expected = np.where(k < 10, 0.5 * k / 10, 0.5 * _cosine((k - 10) / 30, 0.1))
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("t_mul,m_mul", [(1.0, 0.7), (2.0, 1.0), (1.5, 0.8)])
def test_cosine_decay_restarts_equals_sgdr_periods_by_counting(t_mul, m_mul):
    """Walk the periods one by one (first 6 steps, then 6 t_mul, ...) instead of the closed form."""
    first, lr0, alpha = 6, 0.2, 0.1
    expected = []
    for k in STEPS:
        start, length, i = 0.0, float(first), 0
        while k >= start + length:
            start, length, i = start + length, length * t_mul, i + 1
        expected.append(lr0 * _cosine((k - start) / length, alpha, m_mul ** i))
    got = _at_steps(schedules.CosineDecayRestarts(lr0, first, t_mul=t_mul, m_mul=m_mul, alpha=alpha))
    np.testing.assert_allclose(got, expected, rtol=1e-9, atol=1e-12)


def test_integer_steps_give_float32_and_float_steps_keep_their_dtype():
    schedule = schedules.ExponentialDecay(0.1, 10, 0.5)
    graph = tfcore.new_graph()
    with graph.as_default():
        assert schedule(tf.constant(3, tf.int64)).dtype == tf.float32
        assert schedule(tf.constant(3.0, tf.float64)).dtype == tf.float64
        assert schedule(3).dtype == tf.float32
        with tfcore.session(graph=graph) as sess:
            assert sess.run(schedule(tf.constant(10, tf.int64))) == pytest.approx(0.05)
    assert math.isclose(evaluate(lambda: schedule(20)), 0.025, rel_tol=1e-6)


@pytest.mark.parametrize("make,message", [
    (lambda: schedules.ExponentialDecay(0.1, 0, 0.5), "ExponentialDecay: decay_steps must be > 0"),
    (lambda: schedules.ExponentialDecay(-0.1, 10, 0.5), "ExponentialDecay: initial_learning_rate"),
    (lambda: schedules.InverseTimeDecay(0.1, 10, -1.0), "InverseTimeDecay: decay_rate must be >= 0"),
    (lambda: schedules.PiecewiseConstantDecay([1, 2], [0.1, 0.2]), "one element less"),
    (lambda: schedules.PiecewiseConstantDecay([5, 2], [0.1, 0.2, 0.3]), "increase strictly"),
    (lambda: schedules.CosineDecay(0.1, 0), "CosineDecay: decay_steps"),
    (lambda: schedules.CosineDecayRestarts(0.1, 10, t_mul=0.0), "CosineDecayRestarts: t_mul"),
])
def test_bad_schedule_arguments_name_the_schedule_and_argument(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_non_number_schedule_argument_is_a_type_error():
    with pytest.raises(TypeError, match="ExponentialDecay: decay_rate must be a number"):
        schedules.ExponentialDecay(0.1, 10, "0.5")
