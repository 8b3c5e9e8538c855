"""Mixed precision (tfcore.precision): the policy reaches the session, the rewritten graph
computes in bfloat16 with float32 variables, the numerics stay close to float32's, and
mixed_float16's loss scaling is undone exactly."""

import os

import numpy as np
import pytest
import tensorflow as tf

import tfcore
from models import mnist_cnn
from tfcore import precision, train


@pytest.fixture(autouse=True, scope="module")
def _loss_in_float32():
    """What a program's main() does once (the commands do it on --precision)."""
    precision.keep_loss_in_float32()


def test_building_and_configuring_a_session_writes_no_environment_variable(monkeypatch):
    for variable in precision._LIST_VARIABLES:
        monkeypatch.delenv(variable, raising=False)
    before = dict(os.environ)
    with precision.policy("mixed_bfloat16"):
        graph = tfcore.new_graph()
    with graph.as_default():
        tf.nn.softmax(tfcore.placeholder((None, 3)))
    precision.configure(tfcore.session_config(), "mixed_bfloat16")
    with tfcore.session(graph=graph):
        pass
    assert dict(os.environ) == before
    # The explicit step writes them, and keeps a value the user set.
    assert precision.keep_loss_in_float32()
    assert all(os.environ[v] == precision.FLOAT32_OPS for v in precision._LIST_VARIABLES)
    monkeypatch.setenv(precision._LIST_VARIABLES[0], "Softmax")
    assert not precision.keep_loss_in_float32()
    assert os.environ[precision._LIST_VARIABLES[0]] == "Softmax"


def _batch(n, seed=0):
    rng = np.random.RandomState(seed)
    return rng.rand(n, 28, 28, 1).astype(np.float32), np.eye(10, dtype=np.float32)[rng.randint(0, 10, n)]


def test_policy_is_recorded_by_new_graph_inside_the_block_and_applied_by_session():
    assert precision.current_policy() == "float32"
    with precision.policy("mixed_bfloat16"):
        graph = tfcore.new_graph()
    assert precision.policy_of(graph) == "mixed_bfloat16"
    assert precision.policy_of(tfcore.new_graph()) == "float32"
    with tfcore.session(graph=graph) as sess:
        rewrites = sess._config.graph_options.rewrite_options
        assert rewrites.auto_mixed_precision_onednn_bfloat16 == type(rewrites).ON
    config = tfcore.session_config()
    assert precision.configure(config, "mixed_float16").graph_options.rewrite_options.auto_mixed_precision
    assert not config.graph_options.rewrite_options.auto_mixed_precision  # a copy was changed


def test_unknown_policy_and_float16_without_gpu_are_clear_errors():
    with pytest.raises(ValueError, match="precision.policy: unknown precision policy 'bf16'.*"
                                         "float32, mixed_bfloat16, mixed_float16"):
        with precision.policy("bf16"):
            pass
    with pytest.raises(ValueError, match="mixed_float16 needs a GPU"):
        precision.check_device("mixed_float16", has_gpu=False)
    precision.check_device("mixed_float16", has_gpu=True)


def _train(policy, steps, batchnorm=False, batch=32):
    """Losses of `steps` Adam steps on one batch, the gradients after them, the variables."""
    with precision.policy(policy):
        # The switch as a placeholder fed False: no dropout, batch norm on its moving statistics,
        # so both precisions take the same deterministic steps.
        model = mnist_cnn.build(batchnorm=batchnorm, fused_batchnorm=batchnorm, seed=1, batch_size=batch,
                                switch="placeholder")
    with model.graph.as_default():
        variables = tf.compat.v1.trainable_variables()
        gradients = tf.gradients(model.loss, variables)
    x, y = _batch(batch)
    feed = {model.inputs: x, model.targets: y, model.training: False}
    options = tf.compat.v1.RunOptions(output_partition_graphs=True)
    metadata = tf.compat.v1.RunMetadata()
    with tfcore.session(graph=model.graph) as sess:
        train.initialize(model, sess)
        losses = [sess.run([model.train_op, model.loss], feed)[1] for _ in range(steps)]
        grads = sess.run(gradients, feed, options=options, run_metadata=metadata)
        values = sess.run(variables)
    types = {(n.op, n.attr["T"].type) for g in metadata.partition_graphs for n in g.node}
    return np.array(losses), grads, values, variables, types


@pytest.mark.parametrize("batchnorm", [False, True])
def test_mixed_bfloat16_trains_close_to_float32_with_finite_gradients_and_float32_variables(batchnorm):
    steps = 5
    losses32, _, _, _, _ = _train("float32", steps, batchnorm)
    losses16, grads, values, variables, types = _train("mixed_bfloat16", steps, batchnorm)
    if ("Conv2D", tf.bfloat16.as_datatype_enum) not in types and \
            not any(op.endswith("Conv2D") and t == tf.bfloat16.as_datatype_enum for op, t in types):
        onednn = os.environ.get("TF_ENABLE_ONEDNN_OPTS")
        # A CPU with native bfloat16 and oneDNN on must be rewritten: skipping would hide a
        # broken rewrite (e.g. rewrite lists TensorFlow refuses).
        assert not (precision.native_bfloat16() and onednn != "0"), sorted(types)
        pytest.skip("TensorFlow did not rewrite the graph to bfloat16 here (oneDNN off, or a CPU "
                    "without AVX-512: TF_ENABLE_ONEDNN_OPTS=%s)" % onednn)
    # The convolutions and matmuls, forward and backward, run in bfloat16; the loss
    # (the mean over the batch) and the optimizer's updates stay float32.
    bf16 = {op for op, t in types if t == tf.bfloat16.as_datatype_enum}
    assert any(op.endswith("Conv2DBackpropInput") for op in bf16), sorted(bf16)
    assert losses16.dtype == np.float32
    assert not any("Softmax" in op for op in bf16), sorted(bf16)  # the loss is float32 throughout
    assert not {"ResourceApplyAdam", "AssignSubVariableOp", "AssignVariableOp"} & bf16, sorted(bf16)
    # bfloat16 keeps ~3 significant digits: the losses follow float32's to ~1%, and fall alike.
    np.testing.assert_allclose(losses16, losses32, rtol=3e-2)
    assert losses16[-1] < losses16[0]
    assert all(np.all(np.isfinite(g)) for g in grads)
    assert all(v.dtype.base_dtype == tf.float32 for v in variables)
    assert all(value.dtype == np.float32 for value in values)


def test_mixed_float16_scales_the_loss_and_unscales_the_gradients_exactly():
    # Without a GPU the float16 rewrite converts nothing, so the step must equal float32's:
    # only the scaling by LOSS_SCALE (a power of 2) and back is in the graph.
    def step(policy):
        with precision.policy(policy):
            model = mnist_cnn.build(seed=2, batch_size=8)
        x, y = _batch(8, seed=3)
        with tfcore.session(graph=model.graph) as sess:
            train.initialize(model, sess)
            sess.run(model.train_op, {model.inputs: x, model.targets: y})
            with model.graph.as_default():
                values = sess.run(tf.compat.v1.trainable_variables())
        return model, values

    scaled_model, scaled = step("mixed_float16")
    _, plain = step("float32")
    assert any(op.type == "Mul" and precision.LOSS_SCALE in _constants(op)
               for op in scaled_model.graph.get_operations())
    if tf.config.list_physical_devices("GPU"):
        pytest.skip("with a GPU the float16 rewrite changes the arithmetic")
    for a, b in zip(scaled, plain):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)


def _constants(op):
    values = []
    for t in op.inputs:
        if t.op.type == "Const":
            values.extend(np.ravel(tf.make_ndarray(t.op.get_attr("value"))).tolist())
    return values


@pytest.mark.slow
def test_mnist_cnn_reaches_097_in_a_short_bfloat16_run(tmp_path):
    from tfcore.data import DataError

    try:
        mnist_cnn.load(limit=1)
    except DataError as err:
        pytest.skip("the real MNIST is not available (set TFCORE_DATA): %s" % err)
    try:
        results = mnist_cnn.main(["--precision", "mixed_bfloat16", "--epochs", "2", "--no-progress",
                                  "--out", str(tmp_path / "run")])
    finally:
        precision.set_default_policy("float32")  # main set it for this process
    assert results["test_accuracy"] >= 0.97, results


def test_examples_precision_flag_sets_the_policy_of_the_graphs_they_build(tmp_path):
    from models import common

    p = common.parser("mnist_cnn", "test", epochs=1, batch_size=8)
    try:
        common.parse(p, ["--precision", "mixed_bfloat16", "--out", str(tmp_path / "a")])
        assert precision.policy_of(mnist_cnn.build(batch_size=2).graph) == "mixed_bfloat16"
        common.parse(p, ["--out", str(tmp_path / "b")])  # the default resets it
        assert precision.policy_of(mnist_cnn.build(batch_size=2).graph) == "float32"
    finally:
        precision.set_default_policy("float32")


def test_examples_refuse_mixed_float16_without_a_gpu(tmp_path, capsys):
    if tf.config.list_physical_devices("GPU"):
        pytest.skip("a GPU is present: mixed_float16 is allowed")
    with pytest.raises(SystemExit) as exit_info:
        mnist_cnn.main(["--precision", "mixed_float16", "--out", str(tmp_path)])
    assert exit_info.value.code == 2
    assert "mixed_float16 needs a GPU" in capsys.readouterr().err
    assert precision.current_policy() == "float32"
