"""Every line of the conformance table (tests/conformance.py) against its tf-keras twin.

The same class name and arguments build a tf-keras layer and a tfcore layer; with the
Keras layer's weights (moved by up to 0.5, so that zero biases and unit scales hide
nothing) copied into ours, the outputs and the gradients of sum(y * r), r random, with
respect to every input and trainable weight must agree in float32.
"""

import numpy as np
import pytest

from tests.conformance import TABLE, line_id
from tests.oracle import compare_inputs_with_keras, compare_with_keras, keras
from tests.test_conformance import make, random_inputs

pytestmark = pytest.mark.keras


def keras_twin(line):
    return getattr(keras.layers, line.name)(**line.kwargs)


@pytest.mark.parametrize("line", TABLE, ids=line_id)
def test_equals_its_tf_keras_twin(line, rng):
    xs = [x.astype(np.float32) for x in random_inputs(line, rng)]
    if len(xs) == 1:
        compare_with_keras(make(line), keras_twin(line), xs[0], rng, atol=1e-5)
    else:
        compare_inputs_with_keras(make(line), keras_twin(line), xs, rng, atol=1e-5)
