"""tfcore: a thin, readable graph-mode layer over `tf.compat.v1`.

Every layer is written by hand from TensorFlow ops, every gradient comes from
`tf.gradients`, and every optimizer is a handful of explicit update ops.

    tfcore.graph        graphs, placeholders, variables, sessions, devices
    tfcore.module       the layer protocol (build on first call, weights in Keras order)
    tfcore.Sequential   a stack of layers called in a visible loop (Keras's Sequential)
    tfcore.layers       Dense, Conv1D/2D/3D (fused or patches), pooling, padding, Dropout,
                        BatchNormalization, LayerNormalization, shape and merge layers,
                        Embedding, LSTM/GRU/SimpleRNN cells and sequence layers, wrappers
    tfcore.reference    the layers' equations in plain NumPy (the tests' oracles)
    tfcore.activations  tfcore.initializers  tfcore.losses  tfcore.metrics
    tfcore.optimizers   SGD, Momentum, Adam, RMSprop, Adagrad, Adadelta, Adamax, Nadam
                        (Keras 2 legacy semantics: time decay, clipping) as update ops
    tfcore.schedules    learning-rate schedules (ExponentialDecay, CosineDecay, ...)
    tfcore.regularizers l1, l2, l1_l2 penalties; add_regularization(loss)
    tfcore.constraints  max_norm, non_neg, unit_norm, min_max_norm
    tfcore.gradcheck    tf.gradients against central differences in float64
    tfcore.train        fit / evaluate / predict, History, checkpoints
    tfcore.precision    mixed precision: float32 variables, bfloat16 (CPU) / float16 (GPU) compute
    tfcore.callbacks    Keras 2's callbacks for fit: EarlyStopping, ReduceLROnPlateau, TensorBoard, ...
    tfcore.export       a SavedModel (serving_default) or a frozen GraphDef for inference
    tfcore.quiet        the command lines' filter of TensorFlow's start-up banners
    tfcore.data         MNIST, global-temp, the SciPy face, the chapter's generated data
    tfcore.port         from_keras(model): a tf-keras model rebuilt from tfcore layers, weights copied
    tfcore.learn        the course, tfcore/learn/chapters/ (`python -m tfcore`) and the checker for
                        your own layers (`python -m tfcore.learn check conv2d mine.py:conv2d`)
"""

# First, before anything imports TensorFlow: tfcore's command lines hide its start-up
# banners (tfcore/quiet.py; a library import is left alone).
from tfcore import quiet

quiet.when_run_as_cli()

from tfcore import (activations, constraints, initializers, losses, metrics,  # noqa: E402
                    optimizers, precision, regularizers, schedules)
from tfcore.gradcheck import GradientCheckError, check_gradients  # noqa: E402
from tfcore.graph import (  # noqa: E402
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
from tfcore.module import Module, smart_cond  # noqa: E402
from tfcore.sequential import Sequential  # noqa: E402

__version__ = "0.1.0"
