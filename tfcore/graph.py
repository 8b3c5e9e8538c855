"""Graphs, placeholders, variables, constants, sessions and devices.

These are the chapter's concepts, each a thin named wrapper over `tf.compat.v1`
so that a reader sees exactly which TensorFlow call stands behind it:

* **Graph**: a directed network of operations. `new_graph()` returns a fresh
  `tf.Graph`; everything is built inside `with graph.as_default():`.
* **Placeholder**: an input fed at run time; a `None` dimension takes any size.
* **Variable**: state the training updates. `trainable=False` marks state that
  is not trained (moving averages, the carried state of a stateful RNN).
* **Constant**: a value baked into the graph.
* **Session**: runs fetches with a feed dict, on the devices its `ConfigProto`
  allows. `interactive_session()` installs itself as the default session, as
  notebooks and shells like.
* **Device**: `tf.device(resolve_device("gpu"))` pins the ops built inside the
  block; with no device TensorFlow picks one (a GPU kernel where there is one).

Nothing here changes process-global TensorFlow modes: graph mode comes from
building inside an explicit `tf.Graph`, not from `disable_eager_execution()`.
"""

from __future__ import annotations

import re
from typing import Any, Callable, Sequence

import tensorflow as tf

from tfcore import precision

RESET_STATES_COLLECTION = "tfcore_reset_states"
"""Graph collection holding every stateful layer's reset op.

A stateful recurrent layer adds its reset op here when it is built;
`tfcore.train` runs them between epochs and `tfcore.inspect` counts the
variables they reset as state. It lives in this file, beside the graph, because
training and inspection read it, not only the layer that fills it.
"""


def new_graph(seed: int | None = None) -> tf.Graph:
    """Return a fresh `tf.Graph`, with its graph-level random seed set if given.

    The graph seed makes every random op built in the graph (initialisers,
    dropout masks, shuffles) reproducible from one number. Inside a
    `tfcore.precision.policy(name)` block the graph records that policy.
    """
    graph = tf.Graph()
    if seed is not None:
        graph.seed = int(seed)
    if precision.current_policy() != "float32":
        precision.set_policy(graph, precision.current_policy())
    return graph


def placeholder(shape: Sequence[int | None] | None, dtype: tf.DType = tf.float32,
                name: str | None = None) -> tf.Tensor:
    """An input fed at run time; `None` in `shape` accepts any size there."""
    return tf.compat.v1.placeholder(dtype, shape=shape, name=name)


def placeholder_with_default(value: Any, shape: Sequence[int | None] = (),
                             name: str | None = None) -> tf.Tensor:
    """A placeholder that evaluates to `value` when not fed.

    The usual use is the training switch: `training = placeholder_with_default(False)`
    lets one graph serve training (feed `True`) and evaluation (feed nothing).
    """
    return tf.compat.v1.placeholder_with_default(value, shape=shape, name=name)


def variable(initial_value: Any, trainable: bool = True, name: str | None = None,
             dtype: tf.DType | None = None,
             constraint: Callable[[tf.Tensor], tf.Tensor] | None = None) -> tf.Variable:
    """A resource variable: state that persists across `Session.run` calls.

    `trainable=False` keeps it out of `tf.compat.v1.trainable_variables()`, so
    optimizers leave it alone (moving statistics, carried RNN state).
    `constraint` (see `tfcore.constraints`) is applied by the optimizers after each update.
    """
    return tf.compat.v1.Variable(
        initial_value, trainable=trainable, name=name, dtype=dtype, use_resource=True,
        constraint=constraint,
    )


def constant(value: Any, dtype: tf.DType | None = None, name: str | None = None) -> tf.Tensor:
    """A value stored in the graph itself."""
    return tf.constant(value, dtype=dtype, name=name)


def session_config(
    intra_op_threads: int = 0,
    inter_op_threads: int = 0,
    soft_placement: bool = True,
    log_device_placement: bool = False,
    xla: bool = False,
    cpu_devices: int = 1,
) -> tf.compat.v1.ConfigProto:
    """Build a `tf.compat.v1.ConfigProto` from readable options.

    Args:
      intra_op_threads: threads inside one op (a matmul); 0 lets TF choose.
      inter_op_threads: ops run concurrently; 0 lets TF choose.
      soft_placement: when a pinned op has no kernel on its device (or the device
        is absent), place it elsewhere instead of failing.
      log_device_placement: print where each op runs when the session starts.
      xla: turn on XLA auto-clustering (global JIT) for the session's graph.
      cpu_devices: how many CPU devices the session exposes (`/cpu:0` ...
        `/cpu:N-1`). Several CPU devices let a 1-CPU machine exercise
        multi-device code paths (towers, placement) that a GPU box would use.
    """
    config = tf.compat.v1.ConfigProto(
        intra_op_parallelism_threads=int(intra_op_threads),
        inter_op_parallelism_threads=int(inter_op_threads),
        allow_soft_placement=bool(soft_placement),
        log_device_placement=bool(log_device_placement),
        device_count={"CPU": int(cpu_devices)},
    )
    if xla:
        config.graph_options.optimizer_options.global_jit_level = (
            tf.compat.v1.OptimizerOptions.ON_1
        )
    return config


def session(graph: tf.Graph | None = None, config: tf.compat.v1.ConfigProto | None = None,
            **config_options: Any) -> tf.compat.v1.Session:
    """A `tf.compat.v1.Session` on `graph` (default: the current default graph).

    Either pass a ready `config` or keyword options for `session_config`. A
    graph that carries a mixed-precision policy (`tfcore.precision`) gets that
    policy's rewrite turned on in (a copy of) the config.
    """
    if config is None:
        config = session_config(**config_options)
    config = precision.configure(config, precision.policy_of(graph or tf.compat.v1.get_default_graph()))
    return tf.compat.v1.Session(graph=graph, config=config)


def interactive_session(graph: tf.Graph | None = None,
                        config: tf.compat.v1.ConfigProto | None = None,
                        **config_options: Any) -> tf.compat.v1.InteractiveSession:
    """A session that installs itself as the default (`tensor.eval()` works).

    This is what shells and notebooks use; close it when done.
    """
    if config is None:
        config = session_config(**config_options)
    config = precision.configure(config, precision.policy_of(graph or tf.compat.v1.get_default_graph()))
    return tf.compat.v1.InteractiveSession(graph=graph, config=config)


# ---------------------------------------------------------------------------
# Devices
# ---------------------------------------------------------------------------

_DEVICE_RE = re.compile(
    r"^\s*/?(?:device:)?(?P<kind>cpu|gpu)(?::(?P<index>\d+))?\s*$", re.IGNORECASE
)


def available_devices(cpu_devices: int | None = None) -> list[str]:
    """Device strings this process can use, e.g. `['/device:CPU:0', '/device:GPU:0']`.

    GPUs come from `tf.config.list_physical_devices` (which does not start the
    runtime). CPUs: `cpu_devices` if given (the count a session's
    `session_config(cpu_devices=...)` exposes), else the logical CPU devices
    configured with `tf.config.set_logical_device_configuration`, else one.
    """
    cpus = tf.config.list_physical_devices("CPU")
    if cpu_devices is None:
        logical = tf.config.get_logical_device_configuration(cpus[0]) if cpus else None
        cpu_devices = len(logical) if logical else 1
    devices = ["/device:CPU:%d" % i for i in range(int(cpu_devices))]
    gpus = tf.config.list_physical_devices("GPU")
    gpu_count = 0
    for gpu in gpus:
        logical = tf.config.get_logical_device_configuration(gpu)
        gpu_count += len(logical) if logical else 1
    devices += ["/device:GPU:%d" % i for i in range(gpu_count)]
    return devices


def resolve_device(spec: str | None, cpu_devices: int | None = None) -> str | None:
    """Map `"cpu"`, `"gpu"`, `"gpu:1"`, `"/device:GPU:0"` to a device string.

    Returns the canonical `"/device:KIND:N"` form for use in `tf.device(...)`.
    `None` means "let TensorFlow choose" and is returned unchanged.

    Raises:
      ValueError: the string is not a device name, or no such device exists here;
        the message lists the devices that do.
    """
    if spec is None:
        return None
    match = _DEVICE_RE.match(str(spec))
    devices = available_devices(cpu_devices)
    if not match:
        raise ValueError(
            "Unknown device %r: use 'cpu', 'gpu', 'gpu:N' or '/device:GPU:N'. "
            "Devices here: %s" % (spec, ", ".join(devices))
        )
    name = "/device:%s:%d" % (match.group("kind").upper(), int(match.group("index") or 0))
    if name not in devices:
        hint = ""
        if match.group("kind").lower() == "gpu":
            hint = (
                " TensorFlow sees no such GPU; on a machine with an NVIDIA GPU install "
                "GPU support with `pip install 'tensorflow[and-cuda]'`."
            )
        raise ValueError(
            "Device %r is not available. Devices here: %s.%s"
            % (spec, ", ".join(devices), hint)
        )
    return name
