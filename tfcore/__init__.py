"""tfcore: a thin, readable graph-mode layer over `tf.compat.v1`.

Every layer is written by hand from TensorFlow ops, every gradient comes from
`tf.gradients`, and every optimizer is a handful of explicit update ops.

    tfcore.graph        graphs, placeholders, variables, sessions, devices
    tfcore.module       the layer protocol (build on first call, weights in Keras order)
    tfcore.layers       Dense, Conv2D, pooling, padding, Dropout, BatchNormalization,
                        Flatten, LSTM/GRU cells and sequence layers
    tfcore.activations  tfcore.initializers  tfcore.losses  tfcore.metrics
    tfcore.optimizers   SGD, Momentum, Adam, RMSprop, Adagrad, Adadelta, Adamax, Nadam
                        (Keras 2 legacy semantics: time decay, clipping) as update ops
    tfcore.schedules    learning-rate schedules (ExponentialDecay, CosineDecay, ...)
    tfcore.regularizers l1, l2, l1_l2 penalties; add_regularization(loss)
    tfcore.constraints  max_norm, non_neg, unit_norm, min_max_norm
    tfcore.gradcheck    tf.gradients against central differences in float64
    tfcore.train        fit / evaluate / predict, History, checkpoints
    tfcore.data         MNIST, global-temp, the SciPy face, the chapter's generated data
"""

from tfcore import (activations, constraints, initializers, losses, metrics, optimizers, precision,
                    regularizers, schedules)
from tfcore.gradcheck import GradientCheckError, check_gradients
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
from tfcore.module import Module, smart_cond

__version__ = "0.1.0"
