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
import pkgutil
from typing import TYPE_CHECKING

from tfcore import lazy

# Nothing below imports TensorFlow until a name is used: `python -m tfcore` lists the
# course's chapters and answers a mistyped chapter in a fraction of a second instead
# of the seconds TensorFlow's import takes, and a command's main() can still set
# TensorFlow's environment (TF_CPP_MIN_LOG_LEVEL) before that import. The first use
# of `tfcore.session` (or `from tfcore import session`) imports tfcore.graph, and so
# TensorFlow; `tfcore.losses` imports its submodule the same way (tfcore/lazy.py).
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
               "optimizers", "parallel", "port", "precision", "quiet", "reference", "regularizers",
               "schedules", "train")
__all__ = sorted(_FROM) + list(_SUBMODULES)

# Every submodule loads on first use, the listed ones and the helpers (tfcore.cli, ...).
__getattr__, __dir__ = lazy.exports(
    __name__, {name: "tfcore." + module for name, module in _FROM.items()},
    submodules=[m.name for m in pkgutil.iter_modules(__path__) if not m.name.startswith("_")])

if TYPE_CHECKING:  # a type checker runs no __getattr__: it reads the names where they are defined
    from tfcore.gradcheck import GradientCheckError, check_gradients
    from tfcore.graph import (available_devices, constant, interactive_session, new_graph,
                              placeholder, placeholder_with_default, resolve_device, session,
                              session_config, variable)
    from tfcore.module import Module, smart_cond
    from tfcore.recomputation import recompute
    from tfcore.sequential import Sequential

__version__ = "0.1.0"
