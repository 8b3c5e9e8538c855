"""tf-keras (Keras 2) as a numerical oracle, isolated from the rest of the suite.

`tf.keras` resolves to Keras 2 only when `TF_USE_LEGACY_KERAS=1` is set before
TensorFlow is imported, which is a process-wide choice. So oracle tests run in a
pytest process of their own (`TF_USE_LEGACY_KERAS=1 pytest -m keras`, see
README); in any other process this guard skips the importing module with the
reason. The library itself never imports Keras.

Usage in a test module:

    from tests.oracle import keras   # skips the module unless isolated
    pytestmark = pytest.mark.keras
"""

import os

import pytest

if os.environ.get("TF_USE_LEGACY_KERAS") != "1":
    pytest.skip(
        "tf-keras oracle tests run in their own process: TF_USE_LEGACY_KERAS=1 pytest -m keras",
        allow_module_level=True,
    )

import tf_keras as keras  # noqa: E402  (after the guard on purpose)


def keras_forward(layer, x, training=False):
    """Run a built tf-keras layer eagerly on NumPy input and return NumPy."""
    return layer(x, training=training).numpy()
