"""Learning-rate schedules equal tf_keras.optimizers.schedules at every step 0..199 (float32)."""

import numpy as np
import pytest
import tensorflow as tf

from tests.oracle import keras
from tests.helpers import evaluate
from tfcore import schedules

pytestmark = pytest.mark.keras

ARGUMENTS = {
    "ExponentialDecay": [dict(initial_learning_rate=0.1, decay_steps=13, decay_rate=0.7),
                         dict(initial_learning_rate=0.05, decay_steps=10, decay_rate=0.5, staircase=True)],
    "InverseTimeDecay": [dict(initial_learning_rate=0.1, decay_steps=7, decay_rate=0.3),
                         dict(initial_learning_rate=0.1, decay_steps=7, decay_rate=2.0, staircase=True)],
    "PiecewiseConstantDecay": [dict(boundaries=[10, 50, 120], values=[0.1, 0.05, 0.02, 0.001]),
                               dict(boundaries=[0], values=[1.0, 0.5])],
    "PolynomialDecay": [dict(initial_learning_rate=0.1, decay_steps=120),
                        dict(initial_learning_rate=0.1, decay_steps=30, end_learning_rate=0.01, power=2.0,
                             cycle=True),
                        dict(initial_learning_rate=0.1, decay_steps=50, power=0.5)],
    "CosineDecay": [dict(initial_learning_rate=0.1, decay_steps=150),
                    dict(initial_learning_rate=0.1, decay_steps=80, alpha=0.2),
                    dict(initial_learning_rate=0.0, decay_steps=100, alpha=0.1, warmup_target=0.3,
                         warmup_steps=40)],
    "CosineDecayRestarts": [dict(initial_learning_rate=0.1, first_decay_steps=20),
                            dict(initial_learning_rate=0.1, first_decay_steps=15, t_mul=1.0, m_mul=0.8,
                                 alpha=0.05),
                            dict(initial_learning_rate=0.2, first_decay_steps=9, t_mul=1.7, m_mul=0.9,
                                 alpha=0.1)],
}
CASES = [(name, i) for name in ARGUMENTS for i in range(len(ARGUMENTS[name]))]


@pytest.mark.parametrize("name,index", CASES)
def test_schedule_equals_keras_at_every_step(name, index):
    kwargs = ARGUMENTS[name][index]
    ref = getattr(keras.optimizers.schedules, name)(**kwargs)
    ours = getattr(schedules, name)(**kwargs)
    # As the legacy optimizers call them: the step count cast to float32.
    expected = np.array([ref(tf.constant(float(k), tf.float32)).numpy() for k in range(200)])
    got = evaluate(lambda: ours(tf.range(200, dtype=tf.float32)))
    assert got.dtype == np.float32
    np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-9)
