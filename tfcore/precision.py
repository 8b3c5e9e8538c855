"""Mixed precision: float32 variables, bfloat16 or float16 arithmetic.

A precision policy says which type the arithmetic runs in:

    float32          everything in float32 (the default)
    mixed_bfloat16   convolutions, matmuls and the element-wise ops around them in
                     bfloat16; variables, optimizer state, the loss and its
                     reductions stay float32. bfloat16 keeps float32's 8-bit
                     exponent (no overflow, no loss scaling needed) and an 8-bit
                     mantissa (about 2-3 significant digits).
    mixed_float16    the same in float16 (5-bit exponent, 11-bit mantissa), GPU only,
                     with static loss scaling: gradients smaller than float16's
                     smallest number (6e-8) would flush to 0, so the loss is
                     multiplied by LOSS_SCALE before `tf.gradients` and every
                     gradient divided by it afterwards (in float32).

How it is done: the graph you build is the float32 graph, and the policy is
recorded on it (`set_policy(graph, name)`, or `new_graph` inside a `policy(name)`
block). Every `tfcore.session` on that graph turns on TensorFlow's automatic
mixed-precision rewrite (a Grappler pass) in its `ConfigProto`:
`auto_mixed_precision_onednn_bfloat16` on CPUs (oneDNN), `auto_mixed_precision`
(float16) on GPUs. The rewrite changes the graph the session runs, not yours:

    w (float32 variable) -> ReadVariableOp -> Cast to bfloat16 -> Conv2D (bfloat16) ...
    ... -> Cast to float32 -> softmax cross-entropy (float32) -> loss

i.e. variables are cast on read, the ops on TensorFlow's allow list compute in
the low precision, and the ops that need range or accumulate (the sums into the
loss, the optimizer's updates) stay float32. TensorFlow's lists decide per op;
its oneDNN list would also run (Log)Softmax in bfloat16, i.e. the loss's
log-probabilities. `keep_loss_in_float32()` moves them to the deny list: the
logits are cast back to float32 and the loss is computed in float32. TensorFlow
reads those lists only from the process's environment
(TF_AUTO_MIXED_PRECISION_GRAPH_REWRITE_INFERLIST_REMOVE and ..._DENYLIST_ADD,
when a session first runs a graph), so this is an explicit step of setting up
the process, like the stderr filter: the commands call it in `main()` (every
`--precision` parse), and a program of yours calls it once, before its first
session. Nothing in tfcore writes the environment while a graph or session is
being built. See the rewritten graph with
`RunOptions(output_partition_graphs=True)` (tests/test_precision.py does).

On a CPU without native bfloat16 (no AVX512_BF16 or AMX) oneDNN emulates it:
the path runs, usually slower than float32. `native_bfloat16()` tells.

    tfcore.precision.keep_loss_in_float32()         # once per process: the loss in float32
    graph = tfcore.new_graph()
    tfcore.precision.set_policy(graph, "mixed_bfloat16")
    ... build the model in graph ...
    with tfcore.session(graph=graph) as sess:       # the rewrite is on
        ...
"""

import contextlib
import os
import threading
from typing import Any, Iterator, List, Optional, Sequence, Tuple

import tensorflow as tf

POLICIES = ("float32", "mixed_bfloat16", "mixed_float16")
LOSS_SCALE = 2.0 ** 10  # mixed_float16's static loss scale
_COLLECTION = "tfcore_precision_policy"
# Ops moved from TensorFlow's infer list to its deny list (they must be in one list only,
# or the rewrite refuses the lists and does nothing): the loss's softmax and log-softmax.
FLOAT32_OPS = "Softmax,LogSoftmax"
_LIST_VARIABLES = ("TF_AUTO_MIXED_PRECISION_GRAPH_REWRITE_INFERLIST_REMOVE",
                   "TF_AUTO_MIXED_PRECISION_GRAPH_REWRITE_DENYLIST_ADD")
_DEFAULT = threading.local()  # the policy `new_graph` records: a stack of `policy` blocks
_PROCESS = ["float32"]  # below every block: what a command line chose (set_default_policy)


def check(name: str, who: str = "precision") -> str:
    """`name` if it is a policy; a ValueError naming `who` and the choices otherwise."""
    if name not in POLICIES:
        raise ValueError("%s: unknown precision policy %r; choose from %s"
                         % (who, name, ", ".join(POLICIES)))
    return name


@contextlib.contextmanager
def policy(name: str) -> Iterator[None]:
    """Graphs made by `tfcore.new_graph` inside this block carry policy `name`."""
    stack = _DEFAULT.__dict__.setdefault("stack", [])
    stack.append(check(name, "precision.policy"))
    try:
        yield
    finally:
        stack.pop()


def set_default_policy(name: str) -> None:
    """The policy of graphs made outside any `policy` block, for this process.

    For command lines (the examples' `--precision`), which build their graphs
    deep inside library calls; every parse sets it, float32 included, so one
    run never inherits another's. Library code should prefer `policy(name)`.
    """
    _PROCESS[0] = check(name, "precision.set_default_policy")


def current_policy() -> str:
    """The policy of the innermost `policy` block (outside any: the process default, float32)."""
    stack = getattr(_DEFAULT, "stack", None)
    return stack[-1] if stack else _PROCESS[0]


def set_policy(graph: tf.Graph, name: str) -> tf.Graph:
    """Record policy `name` on `graph`: every `tfcore.session` on it applies it."""
    check(name, "precision.set_policy")
    graph.clear_collection(_COLLECTION)
    graph.add_to_collection(_COLLECTION, name)
    return graph


def policy_of(graph: Optional[tf.Graph]) -> str:
    """The policy recorded on `graph` ("float32" if none)."""
    recorded = graph.get_collection(_COLLECTION) if graph is not None else []
    return recorded[-1] if recorded else "float32"


def loss_scale(graph: Optional[tf.Graph]) -> float:
    """The factor the loss is multiplied by before differentiating: LOSS_SCALE for float16, else 1."""
    return LOSS_SCALE if policy_of(graph) == "mixed_float16" else 1.0


def unscale(grads_and_vars: Sequence[Tuple[Any, Any]], scale: float) -> List[Tuple[Any, Any]]:
    """Each gradient divided by `scale` (sparse ones through their values)."""
    def divide(grad):
        if isinstance(grad, tf.IndexedSlices):
            return tf.IndexedSlices(grad.values / scale, grad.indices, grad.dense_shape)
        return grad / scale
    return [(divide(g), v) for g, v in grads_and_vars]


def configure(config: Any, name: str) -> Any:
    """`config` (a ConfigProto, not changed) with the rewrite of policy `name` turned on: a copy."""
    check(name, "precision.configure")
    if name == "float32":
        return config
    configured = tf.compat.v1.ConfigProto()
    configured.CopyFrom(config)
    rewrites = configured.graph_options.rewrite_options
    on = type(rewrites).ON  # RewriterConfig.Toggle.ON, read from the message's own class
    if name == "mixed_bfloat16":
        rewrites.auto_mixed_precision_onednn_bfloat16 = on
    else:
        rewrites.auto_mixed_precision = on  # float16 on GPUs; TensorFlow skips it without one
    return configured


def keep_loss_in_float32() -> bool:
    """Set up this process so the mixed-precision rewrite keeps Softmax and LogSoftmax in float32.

    Writes TensorFlow's list variables (TF_AUTO_MIXED_PRECISION_GRAPH_REWRITE_INFERLIST_REMOVE
    and ..._DENYLIST_ADD) to `FLOAT32_OPS`, unless you set either yourself (yours are kept).
    The rewrite reads them whenever it runs, so they hold for every session of the process
    that runs afterwards; call this from a program's `main()`, before its first session.
    Returns whether it wrote them.
    """
    if any(variable in os.environ for variable in _LIST_VARIABLES):
        return False
    for variable in _LIST_VARIABLES:
        os.environ[variable] = FLOAT32_OPS
    return True


def native_bfloat16() -> Optional[bool]:
    """Whether this CPU computes bfloat16 natively (AVX512_BF16 or AMX-BF16); None if unknown."""
    try:
        with open("/proc/cpuinfo") as f:
            flags = f.read()
    except OSError:
        return None
    return "avx512_bf16" in flags or "amx_bf16" in flags


def check_device(name: str, has_gpu: bool) -> None:
    """mixed_float16 needs a GPU: TensorFlow's float16 rewrite converts only GPU ops."""
    if name == "mixed_float16" and not has_gpu:
        raise ValueError("precision mixed_float16 needs a GPU (TensorFlow's float16 rewrite "
                         "converts GPU ops only; no GPU here): use mixed_bfloat16 on a CPU")
