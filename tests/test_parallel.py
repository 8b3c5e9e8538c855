"""Towers: a step on N devices is the one-device step on the whole batch.

Oracles: the same network trained by `optimizer.minimize` in a plain graph
(same initial weights, copied with get/set_weights), NumPy's `array_split`
for the tower sizes, and the runtime's own record of where each op ran
(RunMetadata step_stats).
"""

import numpy as np
import pytest
import tensorflow as tf

import tfcore
from tfcore import losses, metrics, optimizers, parallel, train
from tfcore.layers.dense import Dense


def make_network():
    layers = [Dense(5, activation="tanh", name="hidden"), Dense(3, name="logits")]

    def network(x, training=False):
        for layer in layers:
            x = layer(x)
        return x
    network.layers = layers
    return network


def data(rows, seed=0, dtype=np.float64):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(rows, 4)).astype(dtype)
    y = np.eye(3, dtype=dtype)[rng.integers(0, 3, rows)]
    return x, y


def accuracy(t, o):
    return metrics.accuracy(t, o, kind="categorical")


def build_plain(make_optimizer, dtype=tf.float64):
    graph = tfcore.new_graph(seed=1)
    with graph.as_default():
        x = tfcore.placeholder((None, 4), dtype=dtype, name="x")
        y = tfcore.placeholder((None, 3), dtype=dtype, name="y")
        network = make_network()
        out = network(x)
        loss = losses.softmax_cross_entropy_with_logits(y, out)
        train_op = make_optimizer().minimize(loss)
        model = train.TrainGraph(graph, x, y, out, loss, train_op,
                                 metrics={"accuracy": accuracy(y, out)})
    model.layers = network.layers
    return model


def build_towers(make_optimizer, count=2, dtype=tf.float64):
    graph = tfcore.new_graph(seed=1)
    with graph.as_default():
        x = tfcore.placeholder((None, 4), dtype=dtype, name="x")
        y = tfcore.placeholder((None, 3), dtype=dtype, name="y")
        network = make_network()
        model = parallel.build(network, losses.softmax_cross_entropy_with_logits,
                               make_optimizer(), x, y, parallel.tower_devices(count),
                               metrics={"accuracy": accuracy})
    model.layers = network.layers
    return model


def layer_weights(model, sess):
    return [w for layer in model.layers for w in layer.get_weights(sess)]


def set_layer_weights(model, sess, weights):
    for layer in model.layers:
        n = len(layer.variables)
        layer.set_weights(sess, weights[:n])
        weights = weights[n:]


OPTIMIZERS = {
    "sgd": lambda: optimizers.SGD(0.1),
    "adam": lambda: optimizers.Adam(0.01),
}


@pytest.mark.parametrize("optimizer", sorted(OPTIMIZERS))
@pytest.mark.parametrize("rows", [8, 7])  # 7: the towers take 4 and 3 rows
def test_two_tower_steps_equal_one_device_steps_on_the_whole_batch(optimizer, rows):
    x, y = data(rows)
    plain, towers = build_plain(OPTIMIZERS[optimizer]), build_towers(OPTIMIZERS[optimizer])
    with tfcore.session(graph=plain.graph) as ps, \
            tfcore.session(graph=towers.graph, cpu_devices=2) as ts:
        train.initialize(plain, ps)
        train.initialize(towers, ts)
        set_layer_weights(towers, ts, layer_weights(plain, ps))
        for step in range(3):
            feed_p = {plain.inputs: x, plain.targets: y}
            feed_t = {towers.inputs: x, towers.targets: y}
            loss_p, _ = ps.run([plain.loss, plain.train_op], feed_p)
            loss_t, _ = ts.run([towers.loss, towers.train_op], feed_t)
            np.testing.assert_allclose(loss_t, loss_p, rtol=0, atol=1e-12)
            for got, want in zip(layer_weights(towers, ts), layer_weights(plain, ps)):
                np.testing.assert_allclose(got, want, rtol=0, atol=1e-6)
                assert np.abs(got - want).max() <= 1e-6
        # The optimizers' state (Adam's moments, the step counter) agrees too.
        # (Both graphs create their variables in the same order.)
        for got, want in zip(ts.run(towers.variables), ps.run(plain.variables)):
            np.testing.assert_allclose(got, want, rtol=0, atol=1e-6)


def test_float32_two_tower_adam_step_matches_one_device_within_1e6():
    x, y = data(64, seed=3, dtype=np.float32)
    make = OPTIMIZERS["adam"]
    plain, towers = build_plain(make, tf.float32), build_towers(make, dtype=tf.float32)
    with tfcore.session(graph=plain.graph) as ps, \
            tfcore.session(graph=towers.graph, cpu_devices=2) as ts:
        train.initialize(plain, ps)
        train.initialize(towers, ts)
        set_layer_weights(towers, ts, layer_weights(plain, ps))
        ps.run(plain.train_op, {plain.inputs: x, plain.targets: y})
        ts.run(towers.train_op, {towers.inputs: x, towers.targets: y})
        for got, want in zip(layer_weights(towers, ts), layer_weights(plain, ps)):
            assert np.abs(got - want).max() <= 1e-6


def test_tower_sizes_match_numpy_array_split():
    graph = tfcore.new_graph()
    with graph.as_default():
        rows = tfcore.placeholder((), dtype=tf.int32)
        sizes = {n: parallel.tower_sizes(rows, n) for n in (1, 2, 3, 4)}
    with tfcore.session(graph=graph) as sess:
        for n, tensor in sizes.items():
            for r in (n, n + 1, 10, 11, 257):
                want = [len(part) for part in np.array_split(np.arange(r), n)]
                assert sess.run(tensor, {rows: r}).tolist() == want


def test_predictions_are_the_towers_outputs_in_batch_order():
    x, y = data(9)
    plain, towers = build_plain(OPTIMIZERS["sgd"]), build_towers(OPTIMIZERS["sgd"], count=3)
    with tfcore.session(graph=plain.graph) as ps, \
            tfcore.session(graph=towers.graph, cpu_devices=3) as ts:
        train.initialize(plain, ps)
        train.initialize(towers, ts)
        set_layer_weights(towers, ts, layer_weights(plain, ps))
        np.testing.assert_allclose(ts.run(towers.predictions, {towers.inputs: x}),
                                   ps.run(plain.predictions, {plain.inputs: x}), atol=1e-12)


def test_each_towers_ops_run_on_its_own_device_and_variables_on_the_first():
    x, y = data(8)
    towers = build_towers(OPTIMIZERS["sgd"])
    options = tf.compat.v1.RunOptions(trace_level=tf.compat.v1.RunOptions.FULL_TRACE)
    run_metadata = tf.compat.v1.RunMetadata()
    with tfcore.session(graph=towers.graph, cpu_devices=2) as ts:
        train.initialize(towers, ts)
        ts.run(towers.train_op, {towers.inputs: x, towers.targets: y},
               options=options, run_metadata=run_metadata)
    ran_on = {}
    for dev in run_metadata.step_stats.dev_stats:
        for node in dev.node_stats:
            ran_on.setdefault(node.node_name, set()).add(dev.device.split("device:")[-1])
    graph = towers.graph

    def producers(tensor):
        """The ops `tensor` is computed from, back to the batch split (variables excluded)."""
        seen, stack = set(), [tensor.op]
        while stack:
            op = stack.pop()
            if op.name in seen or op.name.startswith("towers/") or op.type == "ReadVariableOp" \
                    or op.type in parallel.VARIABLE_OPS or op.type == "Const":
                continue
            seen.add(op.name)
            stack.extend(t.op for t in op.inputs)
        return seen

    for tower in (0, 1):
        forward = producers(towers.tower_losses[tower])
        ran = {name: ran_on[name] for name in forward if name in ran_on}
        assert any(graph.get_operation_by_name(n).type == "MatMul" for n in ran), \
            "no matmul of tower %d ran" % tower
        wrong = {n: d for n, d in ran.items() if d != {"CPU:%d" % tower}}
        assert not wrong, "tower %d ops ran elsewhere: %s" % (tower, wrong)
        grads = {n: d for n, d in ran_on.items() if n.startswith("tower_%d/gradients/" % tower)}
        assert grads and all(d == {"CPU:%d" % tower} for d in grads.values())
    # The variables, the gradient sums and the updates run on the first device.
    for var in graph.get_collection(tf.compat.v1.GraphKeys.TRAINABLE_VARIABLES):
        assert var.op.device.endswith("CPU:0")
    updates = {n: d for n, d in ran_on.items()
               if n.startswith("combine/average_") or "AssignSub" in n}
    assert updates and all(d == {"CPU:0"} for d in updates.values())


def test_fit_with_two_towers_equals_fit_on_one_device():
    x, y = data(30, seed=5)
    plain, towers = build_plain(OPTIMIZERS["adam"]), build_towers(OPTIMIZERS["adam"])
    with tfcore.session(graph=plain.graph) as ps, \
            tfcore.session(graph=towers.graph, cpu_devices=2) as ts:
        train.initialize(plain, ps)
        train.initialize(towers, ts)
        set_layer_weights(towers, ts, layer_weights(plain, ps))
        # batch 8 on 30 rows: the last batch has 6 rows.
        hp = train.fit(plain, ps, x, y, epochs=3, batch_size=8, seed=0, progress=False)
        ht = train.fit(towers, ts, x, y, epochs=3, batch_size=8, seed=0, progress=False)
        for key in ("loss", "accuracy"):
            np.testing.assert_allclose(ht.history[key], hp.history[key], atol=1e-9)
        for got, want in zip(layer_weights(towers, ts), layer_weights(plain, ps)):
            np.testing.assert_allclose(got, want, atol=1e-9)


def test_a_network_that_makes_new_layers_per_tower_is_refused():
    graph = tfcore.new_graph()
    with graph.as_default():
        x = tfcore.placeholder((None, 4), name="x")
        y = tfcore.placeholder((None, 3), name="y")
        with pytest.raises(ValueError, match="new variables on tower 1"):
            parallel.build(lambda h, training: Dense(3)(h), losses.softmax_cross_entropy_with_logits,
                           optimizers.SGD(0.1), x, y, parallel.tower_devices(2))


def test_a_batch_with_fewer_rows_than_towers_fails_clearly():
    x, y = data(1, dtype=np.float64)
    towers = build_towers(OPTIMIZERS["sgd"])
    with tfcore.session(graph=towers.graph, cpu_devices=2) as ts:
        train.initialize(towers, ts)
        with pytest.raises(tf.errors.InvalidArgumentError, match="one row per tower"):
            ts.run(towers.train_op, {towers.inputs: x, towers.targets: y})


def test_bad_tower_arguments_name_the_function():
    with pytest.raises(ValueError, match="tower_devices: count"):
        parallel.tower_devices(0)
    with pytest.raises(ValueError, match="tower_devices: kind"):
        parallel.tower_devices(2, "tpu")
    graph = tfcore.new_graph()
    with graph.as_default():
        x = tfcore.placeholder((None, 4))
        with pytest.raises(ValueError, match="parallel.build: devices"):
            parallel.build(make_network(), losses.softmax_cross_entropy_with_logits,
                           optimizers.SGD(0.1), x, x, [])


def test_benchmark_reports_samples_per_second_for_one_and_two_towers():
    from models import towers as demo

    for towers in (1, 2):
        result = demo.benchmark(towers=towers, batch_size=32, steps=2, warmup=1)
        assert result["towers"] == towers and len(result["step_times"]) == 2
        assert result["samples_per_s"] == pytest.approx(32 / result["median_step_s"])


@pytest.mark.parametrize("flags, message", [
    (["--towers", "0"], "argument --towers: must be an integer in [1, 64]"),
    (["--batch-size", "0"], "argument --batch-size: must be a positive integer"),
    (["--steps", "-1"], "argument --steps: must be a positive integer"),
    (["--warmup", "-1"], "argument --warmup: must be an integer >= 0"),
    (["--intra-op-threads", "x"], "argument --intra-op-threads: must be an integer >= 0"),
    (["--towers", "4", "--batch-size", "2"], "--batch-size 2 is smaller than --towers 4"),
    (["--bogus"], "unrecognized arguments: --bogus"),
])
def test_the_towers_demo_refuses_bad_flags_with_a_usage_error(tmp_path, capsys, flags, message):
    from models import towers as demo

    with pytest.raises(SystemExit) as raised:
        demo.main(flags + ["--json", str(tmp_path / "r.json")])
    assert raised.value.code == 2 and message in capsys.readouterr().err
    assert not (tmp_path / "r.json").exists()


def test_the_towers_demo_refuses_kind_gpu_without_gpus_instead_of_timing_cpus(capsys):
    from models import towers as demo

    if tf.config.list_physical_devices("GPU"):
        pytest.skip("this machine has a GPU")
    with pytest.raises(SystemExit) as raised:
        demo.main(["--kind", "gpu", "--towers", "1"])
    err = capsys.readouterr().err
    assert raised.value.code == 2 and "TensorFlow sees 0" in err and "/device:CPU:0" in err


def test_the_towers_demo_refuses_a_json_path_that_is_a_folder(tmp_path, capsys):
    from models import towers as demo

    with pytest.raises(SystemExit) as raised:
        demo.main(["--json", str(tmp_path)])
    assert raised.value.code == 2 and "is a folder" in capsys.readouterr().err
