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

# `import tfcore` imports no TensorFlow and changes nothing in the process (no file
# descriptor, no environment variable, no TensorFlow mode): the names below are
# loaded on first use (PEP 562). So a command can set up its process first, in its
# main(), before TensorFlow starts (tfcore.quiet: the start-up banners filter).
# Every module: `import tfcore; tfcore.layers.Dense` works without importing tfcore.layers first.
_SUBMODULES = ("activations", "callbacks", "checkpoint", "cli", "cluster", "constraints", "data",
               "export", "gradcheck", "graph", "initializers", "inspect", "layers", "learn", "losses",
               "metrics", "module", "optimizers", "parallel", "precision", "quiet", "reference",
               "regularizers", "schedules", "train")
_NAMES = {
    "GradientCheckError": "tfcore.gradcheck", "check_gradients": "tfcore.gradcheck",
    "Module": "tfcore.module", "smart_cond": "tfcore.module",
    **{name: "tfcore.graph" for name in (
        "available_devices", "constant", "interactive_session", "new_graph", "placeholder",
        "placeholder_with_default", "resolve_device", "session", "session_config", "variable")},
}

__version__ = "0.1.0"
__all__ = sorted(("activations", "constraints", "initializers", "losses", "metrics", "optimizers",
                  "precision", "regularizers", "schedules") + tuple(_NAMES))

from tfcore import lazy  # noqa: E402  (imports nothing heavy)

__getattr__, __dir__ = lazy.exports(__name__, _NAMES, _SUBMODULES)
