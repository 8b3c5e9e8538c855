"""tfcore: a thin, readable graph-mode layer over `tf.compat.v1`.

Every layer is written by hand from TensorFlow ops, every gradient comes from
`tf.gradients`, and every optimizer is a handful of explicit update ops.

    tfcore.graph        graphs, placeholders, variables, sessions, devices
    tfcore.module       the layer protocol (build on first call, weights in Keras order)
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
    tfcore.learn        the course, tfcore/learn/chapters/ (`python -m tfcore`) and the checker for
                        your own layers (`python -m tfcore.learn check conv2d mine.py:conv2d`)
"""

# First, before anything imports TensorFlow: tfcore's command lines hide its start-up
# banners (tfcore/quiet.py; a library import is left alone).
from tfcore import quiet

quiet.when_run_as_cli()

# The rest loads on first use (PEP 562): `import tfcore` alone imports no TensorFlow, so
# a command line that only parses its arguments (`python -m tfcore.learn list`, a typo's
# usage error) answers at once; `tfcore.Module` or `from tfcore import losses` imports it.
_SUBMODULES = ("activations", "constraints", "initializers", "losses", "metrics",
               "optimizers", "precision", "regularizers", "schedules")
_NAMES = {
    "GradientCheckError": "tfcore.gradcheck", "check_gradients": "tfcore.gradcheck",
    "available_devices": "tfcore.graph", "constant": "tfcore.graph",
    "interactive_session": "tfcore.graph", "new_graph": "tfcore.graph",
    "placeholder": "tfcore.graph", "placeholder_with_default": "tfcore.graph",
    "resolve_device": "tfcore.graph", "session": "tfcore.graph", "session_config": "tfcore.graph",
    "variable": "tfcore.graph", "Module": "tfcore.module", "smart_cond": "tfcore.module",
}


def __getattr__(name):
    import importlib.util

    if name in _NAMES:
        return getattr(importlib.import_module(_NAMES[name]), name)
    if name in _SUBMODULES or (not name.startswith("_") and importlib.util.find_spec("tfcore." + name)):
        return importlib.import_module("tfcore." + name)  # as `tfcore.graph` worked before
    raise AttributeError("module 'tfcore' has no attribute %r" % name)


def __dir__():
    return sorted(set(globals()) | set(_NAMES) | set(_SUBMODULES))


__version__ = "0.1.0"
