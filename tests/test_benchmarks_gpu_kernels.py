"""The GPU path, before the first GPU: every op type of every benchmark graph has a GPU kernel.

Reads TensorFlow's kernel registry (`tensorflow.python.framework.kernels`, allowed in a
test only; the library never imports `tensorflow.python`). The installed pip wheel is a
CUDA build, so its registry lists GPU kernels even on this CPU-only machine; a CPU-only
build lists none, and then the test skips saying so (the expected GPU kernels cannot be
named without a GPU build's registry).

float32: each op, with the types its attributes have in the graph, needs a GPU kernel
allowing those types. bfloat16 (`--precision mixed_bfloat16`): TensorFlow's
mixed-precision rewrite converts float32 ops to bfloat16 only where such a kernel exists;
each op type that would stay float32 on a GPU is named in BF16_STAYS_FLOAT32 with why, so a
new one cannot appear unnoticed.
"""

import functools

import pytest
import tensorflow as tf
from tensorflow.python.framework import kernels

from benchmarks import harness
from benchmarks.params import make_params
from benchmarks.registry import MODELS
from tfcore.inspect.layers import ancestors

# Op types with a float32 GPU kernel but no bfloat16 one in TF 2.21's registry: under
# mixed_bfloat16 the rewrite leaves them in float32 on a GPU (measured by this test).
_FLOAT32_VARIABLES = ("updates float32 variables: a mixed policy keeps the variables and their "
                      "optimizer updates in float32 by design")
_NO_BF16_LSTM = ("TF 2.21 registers the fused LSTM for float32 and float16 only (CPU and GPU): "
                 "under mixed_bfloat16 it stays float32; --lstm-implementation unroll builds it "
                 "from matmuls, which have bfloat16 kernels")
BF16_STAYS_FLOAT32 = {"ResourceApplyAdam": _FLOAT32_VARIABLES,
                      "ResourceApplyGradientDescent": _FLOAT32_VARIABLES,
                      "BlockLSTM": _NO_BF16_LSTM, "BlockLSTMGrad": _NO_BF16_LSTM}


@functools.lru_cache(maxsize=None)
def _gpu_kernels(op_type):
    # DEFAULT: kernels registered for every device (many int32 shape ops), GPUs included.
    return [k for k in kernels.get_registered_kernels_for_op(op_type).kernel
            if k.device_type in ("GPU", "DEFAULT")]


def _allows(kernel, types):
    """Whether `kernel`'s type constraints admit the attr types `types` ({attr: DataType})."""
    for constraint in kernel.constraint:
        allowed = constraint.allowed_values.list.type
        if constraint.name in types and allowed and types[constraint.name] not in allowed:
            return False
    return True


def _type_attrs(op, replace=None):
    """{attr: DataType} of `op`; `replace` maps the types of its attribute T (the tensor type
    the mixed-precision rewrite changes; FusedBatchNorm's U, its statistics, stays float32)."""
    out = {}
    for name, value in op.node_def.attr.items():
        if value.HasField("type"):
            dtype = value.type
            out[name] = replace.get(dtype, dtype) if replace and name == "T" else dtype
    return out


def benchmark_ops(name):
    """The ops a benchmark's timed step runs for `name`: the fed step and the resident-data step
    (not the initialisers and savers, which run once, on the host)."""
    params = make_params(model=name, peer="none", json="", markdown="", plot="",
                         batch_size=None if MODELS[name].single_batch or MODELS[name].stateful else 4)
    batch = params.batch_for(name)
    bench = harness.TfcoreBench(name, "/device:CPU:0", params, *harness.load_data(name, 2 * batch, params))
    bench.use_resident()
    bench.close()
    return ancestors(bench._fetches) | ancestors(bench.resident_fetches)


@pytest.fixture(scope="module")
def graphs():
    if not _gpu_kernels("MatMul"):
        pytest.skip("this TensorFlow build registers no GPU kernels (a CPU-only build): the GPU "
                    "kernels of the benchmark graphs cannot be checked without a CUDA build")
    return {name: benchmark_ops(name) for name in MODELS}


def test_every_op_of_every_benchmark_graph_has_a_float32_gpu_kernel(graphs):
    missing = set()
    for name, ops in graphs.items():
        for op in ops:
            if not any(_allows(k, _type_attrs(op)) for k in _gpu_kernels(op.type)):
                missing.add("%s %s (%s, e.g. %s)" % (op.type, _type_attrs(op), name, op.name))
    assert not missing, "ops without a GPU kernel for their types: %s" % sorted(missing)


def test_float32_ops_have_bfloat16_gpu_kernels_or_are_named(graphs):
    to_bf16 = {tf.float32.as_datatype_enum: tf.bfloat16.as_datatype_enum}
    stays = {}
    for name, ops in graphs.items():
        for op in ops:
            if _type_attrs(op).get("T") != tf.float32.as_datatype_enum:
                continue
            if not any(_allows(k, _type_attrs(op, to_bf16)) for k in _gpu_kernels(op.type)):
                stays.setdefault(op.type, name)
    assert set(stays) == set(BF16_STAYS_FLOAT32), stays
