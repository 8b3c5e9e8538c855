"""The benchmark harness: every model steps on every device, the JSON is complete, FLOPs are right.

The peer (tf-keras) is exercised in tests/test_benchmarks_keras.py, in its own
process; here the harness runs with `peer="none"`.
"""

import json
import os
import pathlib
import subprocess
import sys

import numpy as np
import pytest
import tensorflow as tf

import tfcore
from benchmarks import flops as flops_lib
from benchmarks import harness
from benchmarks.params import MODELS, ParamsError, make_params, parse
from tfcore.layers.conv import Conv2D
from tfcore.layers.dense import Dense

ROOT = pathlib.Path(__file__).resolve().parents[1]
RUN_PY = ROOT / "benchmarks" / "run.py"


def quiet(*args, **kwargs):
    pass


def small_params(**options):
    defaults = dict(warmup=1, steps=2, rounds=1, peer="none", json="", markdown="", plot="",
                    peak_size=128, epoch=False)
    defaults.update(options)
    return make_params(**defaults)


def check_statistics(entry):
    """The summary figures are the NumPy statistics of the kept step times."""
    t = np.asarray(entry["step_times_s"])
    q1, median, q3 = np.percentile(t, [25, 50, 75])
    np.testing.assert_allclose(entry["median_s"], median)
    np.testing.assert_allclose(entry["iqr_s"], q3 - q1)
    np.testing.assert_allclose([entry["min_s"], entry["max_s"]], [t.min(), t.max()])
    np.testing.assert_allclose(entry["samples_per_s"], entry["batch_size"] / median)


@pytest.mark.parametrize("model", MODELS)
def test_every_model_runs_two_timed_steps_on_every_device(model):
    # The CNNs at a small batch keep the test in seconds; the LSTM needs a divisor of 1,400.
    batch = {"mnist_cnn": 8, "mnist_cnn_bn": 8}.get(model)
    params = small_params(model=model, device="all", batch_size=batch)
    doc = harness.run(params, say=quiet)
    assert doc["devices"] == tfcore.available_devices()
    assert [e["device"] for e in doc["results"]] == doc["devices"]
    for entry in doc["results"]:
        assert entry["framework"] == "tfcore" and entry["model"] == model
        assert len(entry["step_times_s"]) == 2 and min(entry["step_times_s"]) > 0
        check_statistics(entry)
        # Fixed-batch graphs are cross-checked against the profiler at run time.
        if model in ("mnist_cnn", "mnist_cnn_bn", "laplacian"):
            assert entry["profiler_forward_flops"] == sum(entry["forward_flops_per_layer"].values())


@pytest.mark.parametrize("feed", ["feed_dict", "callable", "dataset"])
def test_each_feed_trains_the_stateful_lstm_and_counts_its_epoch(feed):
    params = small_params(model="lstm_temperature", device="cpu", feed=feed, epoch=True)
    doc = harness.run(params, say=quiet)
    (entry,) = doc["results"]
    check_statistics(entry)
    loop = entry["epoch_step_loop"]
    assert loop["samples"] == 1400 and loop["steps"] == 70  # the chapter's epoch, batch 20
    if feed == "dataset":
        assert entry["epoch"] is None  # train.fit feeds placeholders; the imported graph has none
    else:
        assert entry["epoch"]["samples"] == 1400


@pytest.mark.parametrize("feed", ["feed_dict", "callable", "dataset"])
def test_each_feed_steps_a_model_with_a_training_switch(feed):
    # The CNN's dropout reads the `training` placeholder: every feed must set it to True.
    params = small_params(model="mnist_cnn", device="cpu", feed=feed, batch_size=4)
    bench = harness.TfcoreBench("mnist_cnn", "/device:CPU:0", params,
                                *harness.load_data("mnist_cnn", 8, params))
    counters = [v for v in bench.model.graph.get_collection("variables") if "counter" in v.name]
    times = bench.time_steps(2)
    assert len(times) == 2
    assert len(counters) == 5
    if feed != "dataset":  # each dropout mask drawn advances its counter (training was True)
        assert all(value == 2 for value in bench.session.run(counters))
    bench.close()


@pytest.mark.parametrize("model", ["lstm_temperature", "mlp"])
def test_epoch_in_one_session_run_trains_exactly_as_the_step_loop(model):
    # Oracle: the same steps run one session run each. Two epochs, so the second starts
    # from weights (and Adam moments) the first one left, in both.
    params = small_params(model=model)
    x, y = harness.load_data(model, 80 if model == "lstm_temperature" else 150, params)
    bench = harness.TfcoreBench(model, "/device:CPU:0", params, x, y)
    session, reset, epoch_loss = bench.build_epoch_in_graph(x, y)
    b, m = bench.batch, bench.model
    for _ in range(2):
        if reset:
            session.run(reset)
        got = session.run(epoch_loss)
        if m.reset_ops:
            bench.session.run(m.reset_ops)
        losses = [bench._run(x[i:i + b], y[i:i + b])[1] for i in range(0, len(x) - b + 1, b)]
        np.testing.assert_allclose(got, np.mean(losses), rtol=1e-5)
    bench.close()


def test_soft_placement_runs_a_gpu_pinned_model_on_this_machine():
    # The GPU code path (ops built under tf.device('/device:GPU:0')) runs here through
    # soft placement, and its step loss equals the same model pinned to the CPU.
    params = small_params(model="mlp")
    x, y = harness.load_data("mlp", 100, params)
    losses = []
    for device in ("/device:GPU:0", "/device:CPU:0"):
        bench = harness.TfcoreBench("mlp", device, params, x, y)
        assert all(op.device.endswith(device.split(":", 1)[1]) for op in bench.model.graph.get_operations()
                   if op.type == "MatMul")
        feed = {bench.model.inputs: x[:50], bench.model.targets: y[:50]}
        losses.append(bench.session.run(bench.model.loss, feed))
        bench.close()
    np.testing.assert_allclose(losses[0], losses[1], rtol=1e-6)


def test_logical_cpu_devices_are_each_benchmarked():
    params = small_params(model="logistic_regression", device="all", cpu_devices=2)
    doc = harness.run(params, say=quiet)
    assert [e["device"] for e in doc["results"]] == ["/device:CPU:0", "/device:CPU:1"]


def test_ratios_are_per_round_medians_divided():
    # compare() and speedups() against the ratio computed here from the round medians.
    def entry(device, framework, path, rounds):
        return dict(model="m", device=device, framework=framework, path=path, batch_size=4,
                    round_medians_s=rounds, median_s=float(np.median(rounds)), epoch=None,
                    first_step_s=None)

    ours = entry("/device:CPU:0", "tfcore", "session.run", [1.0, 2.0, 4.0])
    slow = entry("/device:CPU:0", "tf-keras", "train_on_batch", [9.0, 9.0, 9.0])
    fast = entry("/device:CPU:0", "tf-keras", "fit", [3.0, 4.0, 6.0])
    gpu = entry("/device:GPU:0", "tfcore", "session.run", [0.5, 0.5, 2.0])
    (comparison,) = harness.compare([ours, slow, fast])
    assert comparison["peer_path"] == "fit"
    expected = np.array([3.0, 4.0, 6.0]) / np.array([1.0, 2.0, 4.0])
    np.testing.assert_allclose(comparison["ratio_per_round"], expected)
    np.testing.assert_allclose([comparison["ratio_median"], comparison["ratio_min"],
                                comparison["ratio_max"]], [np.median(expected), expected.min(), expected.max()])
    (speedup,) = harness.speedups([ours, gpu])
    np.testing.assert_allclose(speedup["speedup_median"], np.median([2.0, 4.0, 2.0]))


def test_json_markdown_and_chart_have_the_documented_fields(tmp_path):
    params = small_params(model="logistic_regression,mlp", device="cpu", rounds=2, epoch=True,
                          json=str(tmp_path / "r.json"), markdown=str(tmp_path / "r.md"),
                          plot=str(tmp_path / "r.png"))
    doc = harness.run(params, say=quiet, command="test")
    harness.write_outputs(doc, params, say=quiet)
    loaded = json.loads((tmp_path / "r.json").read_text())
    assert set(harness.JSON_FIELDS) <= set(loaded)
    assert loaded["schema"] == harness.SCHEMA
    assert {"tensorflow", "build", "cpu", "cores", "TF_ENABLE_ONEDNN_OPTS"} <= set(loaded["environment"])
    assert loaded["environment"]["tensorflow"] == tf.__version__
    peak = loaded["peak"]["/device:CPU:0"]
    # Measured before and after the models (5 + 5 runs); the peak is the fastest of all.
    assert len(peak["tf_times_s"]) == 10 and len(peak["numpy_times_s"]) == 10
    np.testing.assert_allclose(peak["tf_gflops"], 2 * 128 ** 3 / min(peak["tf_times_s"]) / 1e9)
    for entry in loaded["results"]:
        assert set(harness.RESULT_FIELDS) <= set(entry)
        assert len(entry["step_times_s"]) == 4 and len(entry["round_medians_s"]) == 2
        check_statistics(entry)
        np.testing.assert_allclose(entry["gflops_per_s"],
                                   entry["train_flops_per_step"] / entry["median_s"] / 1e9)
        np.testing.assert_allclose(entry["percent_of_peak"],
                                   100 * entry["gflops_per_s"] / peak["tf_gflops"])
    markdown = (tmp_path / "r.md").read_text()
    assert "| logistic_regression | CPU:0 | tfcore |" in markdown
    assert (tmp_path / "r.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def _counted_op_names(graph):
    return [op.name for op in graph.get_operations() if op.type in ("Conv2D", "MatMul", "BiasAdd")]


def test_analytic_dense_flops_equal_the_profiler():
    graph = tfcore.new_graph(seed=0)
    with graph.as_default():
        x = tfcore.placeholder((6, 5))
        y = Dense(3, activation="relu")(Dense(7)(x))
    total, layers = flops_lib.forward_flops(y, per_layer=True)
    assert total == flops_lib.profiler_flops(graph, _counted_op_names(graph))
    assert layers == {"dense": 2 * 6 * 5 * 7 + 6 * 7, "dense_1": 2 * 6 * 7 * 3 + 6 * 3}


@pytest.mark.parametrize("padding,strides", [("SAME", 1), ("VALID", 2)])
def test_analytic_conv_flops_equal_the_profiler(padding, strides):
    graph = tfcore.new_graph(seed=0)
    with graph.as_default():
        x = tfcore.placeholder((2, 9, 9, 3))
        y = Conv2D(4, 3, strides=strides, padding=padding)(x)
    assert flops_lib.forward_flops(y) == flops_lib.profiler_flops(graph, _counted_op_names(graph))


def test_mnist_cnn_training_flops_equal_three_profiled_forward_passes():
    from models import mnist_cnn

    model = mnist_cnn.build(batch_size=4)
    forward = [op.name for op in flops_lib.forward_ops(model.loss)
               if op.type in ("Conv2D", "MatMul", "BiasAdd")]
    assert len([n for n in forward if n.endswith("Conv2D")]) == 4
    profiled = flops_lib.profiler_flops(model.graph, forward)
    assert flops_lib.training_flops(model.loss) == 3 * profiled


def test_unknown_batch_is_filled_in_or_refused():
    graph = tfcore.new_graph(seed=0)
    with graph.as_default():
        y = Dense(3)(tfcore.placeholder((None, 5)))
    assert flops_lib.forward_flops(y, batch=10) == 2 * 10 * 5 * 3 + 10 * 3
    with pytest.raises(ValueError, match="unknown shape"):
        flops_lib.forward_flops(y)


def test_bad_parameters_and_combinations_are_refused():
    with pytest.raises(ParamsError, match="--steps"):
        make_params(steps=1)
    with pytest.raises(ParamsError, match="unknown model"):
        make_params(model="resnet")
    with pytest.raises(ParamsError, match="'all' cannot be combined"):
        make_params(model="all,mlp")
    with pytest.raises(ParamsError, match="1,400"):
        make_params(model="lstm_temperature", batch_size=30)
    with pytest.raises(ParamsError, match="--threads"):
        make_params(threads="two")
    with pytest.raises(ParamsError, match="--device"):
        make_params(device="tpu")
    with pytest.raises(ParamsError, match="--peer none"):
        make_params(cpu_devices=2, peer="keras")
    params = make_params(threads="2,1", model="mlp", peer="none")
    assert (params.intra_op_threads, params.inter_op_threads, params.models) == (2, 1, ["mlp"])
    with pytest.raises(SystemExit):
        parse(["--rounds", "0"])


def _run_py(*args):
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    return subprocess.run([sys.executable, str(RUN_PY), *args], capture_output=True, text=True,
                          env=env, timeout=300)


def test_bad_flags_fail_before_tensorflow_is_imported():
    result = _run_py("--steps", "1", "--model", "mlp")
    assert result.returncode == 2
    assert "--steps must be an int >= 2" in result.stderr
    assert "oneDNN" not in result.stderr  # TensorFlow's import banner never appeared
    result = _run_py("--feed", "pigeon")
    assert result.returncode == 2 and "invalid choice: 'pigeon'" in result.stderr


@pytest.mark.skipif(bool(tf.config.list_physical_devices("GPU")), reason="this machine has a GPU")
def test_device_gpu_without_a_gpu_fails_naming_the_devices_and_the_install():
    result = _run_py("--device", "gpu", "--peer", "none", "--model", "mlp")
    assert result.returncode != 0
    assert "/device:CPU:0" in result.stderr
    assert "pip install 'tensorflow[and-cuda]'" in result.stderr


def test_cnn_towers_are_timed_and_recorded():
    params = small_params(model="mnist_cnn", device="cpu", batch_size=8, towers=2)
    doc = harness.run(params, say=quiet)
    (entry,) = doc["results"]
    assert doc["params"]["towers"] == 2
    assert len(entry["step_times_s"]) == 2 and min(entry["step_times_s"]) > 0
    check_statistics(entry)


def test_towers_are_refused_for_models_without_them():
    with pytest.raises(ParamsError, match="--towers applies to the CNNs"):
        make_params(model="mlp", towers=2)
    with pytest.raises(ParamsError, match="--towers must be a positive int"):
        make_params(model="mnist_cnn", towers=0)
