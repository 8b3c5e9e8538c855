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
    tfcore.recompute    recompute(block) (in tfcore/recomputation.py): its backward pass recomputes its forward pass (less memory)
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

# `import tfcore` changes nothing in the process: no file descriptor, no environment
# variable, no TensorFlow mode. Each command sets up its own process (tfcore.quiet).
import importlib.util

# Nothing below imports TensorFlow until a name is used: `python -m tfcore` lists the
# course's chapters and answers a mistyped chapter in a fraction of a second instead
# of the seconds TensorFlow's import takes, and a command's main() can still set
# TensorFlow's environment (TF_CPP_MIN_LOG_LEVEL) before that import. The first use
# of `tfcore.session` (or `from tfcore import session`) imports tfcore.graph, and so
# TensorFlow, through the module-level `__getattr__` below (PEP 562).
_FROM = {
    "GradientCheckError": "gradcheck", "check_gradients": "gradcheck",
    "available_devices": "graph", "constant": "graph", "interactive_session": "graph",
    "new_graph": "graph", "placeholder": "graph", "placeholder_with_default": "graph",
    "resolve_device": "graph", "session": "graph", "session_config": "graph", "variable": "graph",
    "Module": "module", "smart_cond": "module", "recompute": "recomputation",
    "Sequential": "sequential",
}
_SUBMODULES = ("activations", "autodiff", "callbacks", "constraints", "data", "export", "gradcheck",
               "graph", "initializers", "inspect", "layers", "learn", "losses", "metrics", "module",
               "optimizers", "parallel", "port", "precision", "regularizers", "schedules", "train")
__all__ = sorted(_FROM) + list(_SUBMODULES)


def __getattr__(name):
    """`tfcore.X`: a function or class of the list above, or a submodule (`tfcore.losses`)."""
    if name in _FROM:
        value = getattr(importlib.import_module("tfcore." + _FROM[name]), name)
    elif not name.startswith("_") and importlib.util.find_spec("tfcore." + name) is not None:
        value = importlib.import_module("tfcore." + name)
    else:
        raise AttributeError("module 'tfcore' has no attribute %r" % name)
    globals()[name] = value  # once imported, a plain attribute
    return value


def __dir__():
    return sorted(set(globals()) | set(_FROM))


__version__ = "0.1.0"
