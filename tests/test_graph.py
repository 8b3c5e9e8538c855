"""The graph-mode core: graphs, placeholders, variables, sessions, devices, and import hygiene."""

import ast
import pathlib
import subprocess
import sys

import numpy as np
import pytest
import tensorflow as tf

import tfcore

ROOT = pathlib.Path(__file__).resolve().parents[1]


def test_placeholder_variable_constant_session_compute_in_a_fresh_graph():
    graph = tfcore.new_graph(seed=3)
    with graph.as_default():
        x = tfcore.placeholder((None, 2))
        w = tfcore.variable(np.array([[1.0], [2.0]], np.float32), name="w")
        counter = tfcore.variable(0, trainable=False, name="counter")
        y = tf.matmul(x, w) + tfcore.constant(0.5)
        step = counter.assign_add(1)
        init = tf.compat.v1.global_variables_initializer()
    assert tf.compat.v1.get_default_graph() is not graph
    with graph.as_default():
        assert tf.compat.v1.trainable_variables() == [w]
    with tfcore.session(graph=graph) as sess:
        sess.run(init)
        out = sess.run(y, {x: np.array([[1, 1], [2, -1]], np.float32)})
        sess.run(step), sess.run(step)
        assert sess.run(counter) == 2
    np.testing.assert_allclose(out, [[3.5], [0.5]])


def test_graph_seed_makes_random_ops_reproducible():
    def draw():
        graph = tfcore.new_graph(seed=7)
        with graph.as_default():
            r = tf.random.uniform((3,))
        with tfcore.session(graph=graph) as sess:
            return sess.run(r)

    np.testing.assert_array_equal(draw(), draw())


def test_interactive_session_becomes_the_default():
    graph = tfcore.new_graph()
    with graph.as_default():
        c = tfcore.constant(4.0) * 2
    sess = tfcore.interactive_session(graph=graph)
    try:
        assert c.eval() == 8.0
    finally:
        sess.close()


def test_session_config_maps_readable_options():
    config = tfcore.session_config(intra_op_threads=2, inter_op_threads=1, soft_placement=False,
                                   log_device_placement=True, xla=True, cpu_devices=3)
    assert config.intra_op_parallelism_threads == 2
    assert config.inter_op_parallelism_threads == 1
    assert not config.allow_soft_placement and config.log_device_placement
    assert config.device_count["CPU"] == 3
    assert config.graph_options.optimizer_options.global_jit_level == tf.compat.v1.OptimizerOptions.ON_1


@pytest.mark.parametrize("spec,expected", [
    ("cpu", "/device:CPU:0"), ("CPU:0", "/device:CPU:0"), ("/device:CPU:0", "/device:CPU:0"),
    ("/cpu:0", "/device:CPU:0"), (None, None),
])
def test_resolve_device_names(spec, expected):
    assert tfcore.resolve_device(spec) == expected


def test_resolve_device_sees_session_cpu_devices():
    assert tfcore.resolve_device("cpu:1", cpu_devices=2) == "/device:CPU:1"


@pytest.mark.parametrize("spec", ["gpu:7", "cpu:5", "tpu", "banana"])
def test_unknown_device_error_names_the_devices_that_exist(spec):
    with pytest.raises(ValueError) as err:
        tfcore.resolve_device(spec)
    assert "/device:CPU:0" in str(err.value)


@pytest.mark.skipif(tf.config.list_physical_devices("GPU"), reason="this machine has a GPU")
def test_asking_for_a_gpu_without_one_says_how_to_get_gpu_support():
    with pytest.raises(ValueError, match="tensorflow\\[and-cuda\\]"):
        tfcore.resolve_device("gpu")


def test_ops_run_on_the_pinned_logical_cpu_device():
    graph = tfcore.new_graph()
    with graph.as_default():
        with tf.device(tfcore.resolve_device("cpu:1", cpu_devices=2)):
            y = tf.constant(2.0) * 3.0
    options = tf.compat.v1.RunOptions(trace_level=tf.compat.v1.RunOptions.FULL_TRACE)
    metadata = tf.compat.v1.RunMetadata()
    with tfcore.session(graph=graph, cpu_devices=2) as sess:
        assert sess.run(y, options=options, run_metadata=metadata) == 6.0
    devices = [d.device for d in metadata.step_stats.dev_stats]
    assert any(d.endswith("CPU:1") for d in devices), devices


def _dotted(node):
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
    return ".".join(reversed(parts))


BANNED_ATTRIBUTES = ("tf.keras", "compat.v1.layers", "compat.v1.nn.rnn_cell",
                     "disable_eager_execution", "disable_v2_behavior", "enable_op_determinism")


@pytest.mark.parametrize("package", ["tfcore", "models"])
def test_library_imports_no_keras_and_no_private_tensorflow(package):
    files = sorted((ROOT / package).rglob("*.py"))
    assert files, "no sources found under %s" % package
    for path in files:
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            for name in names:
                assert name.split(".")[0] not in ("keras", "tf_keras"), "%s imports %s" % (path, name)
                assert not name.startswith("tensorflow.python"), "%s imports %s" % (path, name)
            if isinstance(node, ast.Attribute):
                dotted = _dotted(node)
                for banned in BANNED_ATTRIBUTES:
                    assert banned not in dotted, "%s:%d uses %s" % (path, node.lineno, dotted)


def test_importing_tfcore_leaves_eager_mode_alone():
    code = "import tensorflow as tf, tfcore; import sys; sys.exit(0 if tf.executing_eagerly() else 1)"
    assert subprocess.run([sys.executable, "-c", code], cwd=ROOT).returncode == 0


def test_reset_states_collection_lives_in_graph_and_holds_a_stateful_layers_reset_op():
    from tfcore.graph import RESET_STATES_COLLECTION
    from tfcore.layers import recurrent

    assert recurrent.RESET_STATES_COLLECTION == RESET_STATES_COLLECTION  # the old name still works
    graph = tfcore.new_graph(seed=0)
    with graph.as_default():
        layer = recurrent.LSTM(3, stateful=True, batch_size=2)
        layer(tfcore.placeholder((2, 4, 1)))
    assert graph.get_collection(RESET_STATES_COLLECTION) == [layer.reset_states_op]
