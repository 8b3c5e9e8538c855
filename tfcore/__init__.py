"""tfcore: a thin, readable graph-mode layer over `tf.compat.v1`.

Every layer is written by hand from TensorFlow ops, every gradient comes from
`tf.gradients`, and every optimizer is a handful of explicit update ops.
"""

from tfcore import activations, initializers
from tfcore.graph import (
    available_devices,
    constant,
    interactive_session,
    new_graph,
    placeholder,
    placeholder_with_default,
    resolve_device,
    session,
    session_config,
    variable,
)
from tfcore.gradcheck import GradientCheckError, check_gradients
from tfcore.module import Module, smart_cond

__version__ = "0.1.0"
