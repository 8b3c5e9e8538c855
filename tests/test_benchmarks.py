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
from benchmarks import environment, harness, report, timing
from benchmarks.params import MODELS, ParamsError, make_params, parse
from tfcore.layers.conv import Conv2D
from tfcore.layers.dense import Dense

ROOT = pathlib.Path(__file__).resolve().parents[1]
RUN_PY = ROOT / "benchmarks" / "run.py"


def quiet(*args, **kwargs):
    pass


def small_params(**options):
    defaults = dict(warmup=1, steps=2, rounds=1, peer="none", json="", markdown="", plot="",
                    peak_size=128, epoch=False, memory=False)
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


@pytest.mark.parametrize("model", [m for m in MODELS if not MODELS[m].variant_of])
def test_every_model_runs_two_timed_steps_on_every_device(model):
    # (The CNN's readable variants run in tests/test_bench_variants.py, beside the fast CNN.)
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


@pytest.mark.parametrize("feed", ["feed_dict", "callable", "dataset", "resident"])
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


@pytest.mark.parametrize("feed", ["feed_dict", "callable", "dataset", "resident"])
def test_each_feed_steps_a_model_with_a_training_switch(feed):
    # The CNN's dropout reads the `training` placeholder: every feed must set it to True.
    params = small_params(model="mnist_cnn", device="cpu", feed=feed, batch_size=4)
    bench = harness.TfcoreBench("mnist_cnn", "/device:CPU:0", params,
                                *harness.load_data("mnist_cnn", 8, params))
    counters = [v for v in bench.model.graph.get_collection("variables") if "counter" in v.name]
    if feed == "resident":
        bench.use_resident()
    times = bench.time_steps(2)
    assert len(times) == 2
    assert len(counters) == 5
    if feed != "dataset":  # each dropout mask drawn advances its counter (training was True)
        assert all(value == 2 for value in bench.session.run(counters))
    bench.close()


@pytest.mark.parametrize("model,batch", [("mnist_cnn", 4), ("mlp", None), ("logistic_regression", None)])
def test_resident_steps_train_exactly_as_fed_steps(model, batch):
    # Oracle: the same model fed batch by batch (make_callable). The resident path slices the
    # same batches, in the same order, from its variables, wrapping around after the last.
    options = dict(model=model, **({"batch_size": batch} if batch else {}))
    params = small_params(feed="callable", **options)
    b = params.batch_for(model)
    x, y = harness.load_data(model, 3 * b, params)
    fed = harness.TfcoreBench(model, "/device:CPU:0", params, x, y)
    resident = harness.TfcoreBench(model, "/device:CPU:0", small_params(feed="resident", **options), x, y)
    resident.use_resident()
    fed_losses = [fed._run(*fed.next_batch())[1] for _ in range(5)]
    resident_losses = [resident._run()[1] for _ in range(5)]
    np.testing.assert_allclose(resident_losses, fed_losses, rtol=1e-5)
    assert len(set(np.round(fed_losses, 6))) == 5  # the weights moved, the batches changed
    fed.close()
    resident.close()


@pytest.mark.parametrize("model", ["lstm_temperature", "mlp"])
def test_epoch_in_one_session_run_trains_exactly_as_the_step_loop(model):
    # Oracle: the same steps run one session run each, in a second model built alike.
    # Two epochs, so the second starts from weights (and Adam moments) the first one left.
    params = small_params(model=model)
    x, y = harness.load_data(model, 80 if model == "lstm_temperature" else 150, params)
    in_graph = harness.TfcoreBench(model, "/device:CPU:0", params, x, y)
    loop = harness.TfcoreBench(model, "/device:CPU:0", params, x, y)
    in_graph.build_epoch_in_graph(x, y)
    b = in_graph.batch
    for _ in range(2):
        seconds, values = in_graph.run_epoch_in_graph()
        if loop.reset_ops:
            loop.session.run(loop.reset_ops)
        losses = [loop._run(x[i:i + b], y[i:i + b])[1] for i in range(0, len(x) - b + 1, b)]
        assert seconds > 0
        np.testing.assert_allclose(values[:, 0], losses, rtol=1e-5)
    in_graph.close()
    loop.close()


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
    said = []
    doc = harness.run(params, say=said.append, command="test")
    report.write_outputs(doc, params, say=quiet)
    loaded = json.loads((tmp_path / "r.json").read_text())
    # The CPU's ISA features are in the header, the JSON and the Markdown.
    isa = environment.format_isa(environment.isa_features())
    assert set(loaded["environment"]["isa"]) == set(environment.ISA_FLAGS)
    assert isa in said[0] and isa in (tmp_path / "r.md").read_text()
    assert set(report.JSON_FIELDS) <= set(loaded)
    assert loaded["schema"] == report.SCHEMA
    assert {"tensorflow", "build", "cpu", "cores", "TF_ENABLE_ONEDNN_OPTS"} <= set(loaded["environment"])
    assert loaded["environment"]["tensorflow"] == tf.__version__
    peak = loaded["peak"]["/device:CPU:0"]
    # Measured before and after the models (5 + 5 runs); the peak is the fastest of all.
    assert len(peak["tf_times_s"]) == 10 and len(peak["numpy_times_s"]) == 10
    np.testing.assert_allclose(peak["tf_gflops"], 2 * 128 ** 3 / min(peak["tf_times_s"]) / 1e9)
    for entry in loaded["results"]:
        assert set(report.RESULT_FIELDS) <= set(entry)
        assert len(entry["step_times_s"]) == 4 and len(entry["round_medians_s"]) == 2
        check_statistics(entry)
        np.testing.assert_allclose(entry["gflops_per_s"],
                                   entry["train_flops_per_step"] / entry["median_s"] / 1e9)
        np.testing.assert_allclose(entry["percent_of_peak"],
                                   100 * entry["gflops_per_s"] / peak["tf_gflops"])
    markdown = (tmp_path / "r.md").read_text()
    assert "| logistic_regression | CPU:0 | tfcore |" in markdown
    assert (tmp_path / "r.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def _profiled(graph, types=timing.PROFILED_TYPES):
    """The profiler's FLOPs of the graph's ops of `types` (initialisers and the rest left out)."""
    names = {op.name for op in graph.get_operations() if op.type in types}
    return sum(v for k, v in tfcore.inspect.profiler_flops(graph).items() if k in names)


def test_step_flops_of_dense_layers_equal_the_profiler_layer_by_layer():
    graph = tfcore.new_graph(seed=0)
    with graph.as_default():
        x = tfcore.placeholder((6, 5))
        y = Dense(3, activation="relu")(Dense(7)(x))
    total, layers = timing.forward_flops(y, batch=6)
    assert total == _profiled(graph)
    assert layers == {"dense": 2 * 6 * 5 * 7 + 6 * 7, "dense_1": 2 * 6 * 7 * 3 + 6 * 3}


@pytest.mark.parametrize("padding,strides", [("SAME", 1), ("VALID", 2)])
def test_step_flops_of_a_conv_equal_the_profiler(padding, strides):
    graph = tfcore.new_graph(seed=0)
    with graph.as_default():
        x = tfcore.placeholder((2, 9, 9, 3))
        y = Conv2D(4, 3, strides=strides, padding=padding)(x)
    assert timing.forward_flops(y, batch=2)[0] == _profiled(graph)


def test_mnist_cnn_step_flops_are_three_profiled_forward_passes():
    params = small_params(model="mnist_cnn", batch_size=4)
    bench = harness.TfcoreBench("mnist_cnn", "/device:CPU:0", params, *harness.load_data(
        "mnist_cnn", 4, params))
    bench.check_flops()
    assert sum(op.type == "Conv2D" for op in bench.model.graph.get_operations()
               if op.name.startswith("conv2d")) >= 4
    assert bench.flops == 3 * bench.profiler_forward_flops == 3 * sum(bench.flops_per_layer.values())
    bench.close()


def test_lstm_step_flops_use_the_inspect_formula_of_block_lstm():
    # One BlockLSTM formula in the project: tfcore.inspect's (the gate matmul, the bias, the
    # gate functions and the cell update: T * N * (8u(d + u) + 13u), tested there against the
    # unrolled cell's ops). The benchmark adds the output Dense's matmul and bias.
    params = small_params(model="lstm_temperature")
    bench = harness.TfcoreBench("lstm_temperature", "/device:CPU:0", params,
                                *harness.load_data("lstm_temperature", 20, params))
    steps, rows, d, u = 20, 20, 1, 8
    lstm = steps * rows * (8 * u * (d + u) + 13 * u)
    dense = 2 * rows * u * 1 + rows * 1
    assert bench.flops_per_layer["lstm"] == lstm
    assert bench.flops == 3 * (lstm + dense)
    summary = tfcore.inspect.summary(bench.model, print_fn=None)
    assert summary.row("lstm").flops == lstm
    bench.close()


def test_unknown_batch_is_filled_in():
    graph = tfcore.new_graph(seed=0)
    with graph.as_default():
        y = Dense(3)(tfcore.placeholder((None, 5)))
    assert timing.forward_flops(y, batch=10)[0] == 2 * 10 * 5 * 3 + 10 * 3


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
                          env=env, timeout=300, cwd=ROOT)


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
    with pytest.raises(ParamsError, match="--towers applies to mnist_cnn, mnist_cnn_patches, "
                                          "mnist_cnn_manual, mnist_cnn_bn"):
        make_params(model="mlp", towers=2)
    with pytest.raises(ParamsError, match="--towers must be an int >= 1"):
        make_params(model="mnist_cnn", towers=0)


def test_params_defaults_come_from_the_flags_alone():
    from benchmarks.params import FLAGS, Params

    params = Params()
    assert all(getattr(params, f.name) == f.default for f in FLAGS)
    parsed = parse(["--peer", "none", "--json", "", "--markdown", "", "--plot", ""])
    assert all(getattr(parsed, f.name) == f.default for f in FLAGS
               if f.name not in ("peer", "json", "markdown", "plot"))
    with pytest.raises(ParamsError, match="unknown parameter"):
        make_params(stepz=3)


@pytest.mark.parametrize("argv,message", [
    (["--rounds", "0"], "--rounds must be an int >= 1"),
    (["--towers", "-1", "--model", "mnist_cnn"], "--towers must be an int >= 1"),
    (["--cpu-devices", "0"], "--cpu-devices must be an int >= 1"),
    (["--batch-size", "0"], "--batch-size must be an int >= 1"),
    (["--peak-size", "8"], "--peak-size must be an int >= 64"),
    (["--seed", "-1"], "--seed must be an int >= 0"),
    (["--warmup", "x"], "argument --warmup: invalid int value"),
    (["--stepz", "3"], "unrecognized arguments: --stepz"),
    (["--step", "3"], "unrecognized arguments: --step"),  # no abbreviations
    (["--precision", "mixed_float16", "--device", "cpu"], "--precision mixed_float16 runs on GPUs only"),
    (["--precision", "bf16"], "argument --precision: invalid choice: 'bf16'"),
])
def test_bad_flags_exit_2_with_argparses_message(argv, message, capsys):
    with pytest.raises(SystemExit) as exit_info:
        parse(argv + ["--peer", "none"])
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err


def test_output_paths_are_checked_writable_before_measuring(tmp_path):
    a_file = tmp_path / "a_file"
    a_file.write_text("")
    with pytest.raises(ParamsError, match="--json .* cannot be written: .* not a writable directory"):
        small_params(json=str(a_file / "r.json"))
    with pytest.raises(ParamsError, match="--markdown .* is a directory"):
        small_params(markdown=str(tmp_path))
    assert small_params(json=str(tmp_path / "new" / "r.json")).json.endswith("r.json")


def test_output_paths_in_a_read_only_directory_are_refused(tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        if os.access(locked, os.W_OK):
            pytest.skip("running as a user who can write anywhere")
        with pytest.raises(ParamsError, match="--json .* cannot be written"):
            small_params(json=str(locked / "deeper" / "r.json"))
        with pytest.raises(ParamsError, match="--plot .* cannot be written"):
            small_params(plot=str(locked / "r.png"))
    finally:
        locked.chmod(0o700)


def test_a_bad_output_path_fails_before_tensorflow_is_imported(tmp_path):
    result = _run_py("--model", "mlp", "--peer", "none", "--markdown", str(tmp_path))
    assert result.returncode == 2
    assert "is a directory" in result.stderr and "oneDNN" not in result.stderr


def test_isa_features_are_read_from_cpuinfo_flags_and_unknown_elsewhere():
    cpuinfo = "model name\t: Some CPU\nflags\t\t: fpu sse avx2 avx512f amx_tile amx_bf16\n"
    assert environment.cpu_model(cpuinfo) == "Some CPU"
    assert environment.isa_features(cpuinfo) == {
        "AVX2": True, "AVX-512F": True, "AVX512_BF16": False, "AMX-TILE": True, "AMX-BF16": True,
        "AMX-INT8": False}
    unknown = environment.isa_features("")
    assert set(unknown.values()) == {None}
    assert "unknown" in environment.format_isa(unknown)
    assert environment.format_isa(environment.isa_features(cpuinfo)).startswith("AVX2 yes, AVX-512F yes")
    here = environment.isa_features()
    text = pathlib.Path("/proc/cpuinfo").read_text() if pathlib.Path("/proc/cpuinfo").exists() else ""
    if "avx2" in text.split():
        assert here["AVX2"] is True


@pytest.mark.parametrize("name", MODELS)
def test_registry_data_fits_each_models_placeholders(name):
    from benchmarks.registry import get

    spec = get(name)
    params = small_params(model=name, batch_size=spec.batch if spec.stateful else None)
    model = spec.build(params, "/device:CPU:0", params.batch_for(name))
    assert isinstance(model, tfcore.train.TrainGraph)
    assert (model.train_op is None) == spec.forward_only == (model.targets is None)
    x, y = harness.load_data(name, 3, params)
    sample = model.inputs.shape.as_list()
    if sample[0] is None or len(sample) == len(spec.x[0]) + 1:
        sample = sample[1:]
    assert int(np.prod(x.shape[1:])) == int(np.prod(sample))  # a batch of one reshapes to it
    if y is not None:
        assert list(y.shape[1:]) == model.targets.shape.as_list()[1:]


def test_no_example_is_named_in_the_benchmark_outside_the_registry():
    from benchmarks.registry import MODELS as SPECS

    offenders = []
    for path in sorted((ROOT / "benchmarks").glob("*.py")):
        if path.name != "registry.py":
            text = path.read_text()
            offenders += ["%s: %s" % (path.name, n) for n in sorted(SPECS) if n in text]
    assert not offenders
    # The library's synthetic data knows no example either: shapes come from the registry.
    import tfcore.data.synthetic as synthetic_module
    assert not hasattr(synthetic_module, "SHAPES") and not hasattr(synthetic_module, "synthetic_like")


def test_mixed_bfloat16_run_rewrites_tfcores_graphs_and_uses_the_bfloat16_peak():
    params = small_params(model="mnist_cnn", device="cpu", batch_size=8, precision="mixed_bfloat16")
    said = []
    doc = harness.run(params, say=said.append)
    assert "Precision: mixed_bfloat16" in said[0]
    assert "Precision: mixed_bfloat16" in report.markdown_table(doc)
    assert ("native bfloat16" in said[0]) or ("lacks native bfloat16" in said[0])
    peak = doc["peak"]["/device:CPU:0"]
    assert peak["dtype"] == "bfloat16" and peak["float32_tf_gflops"] > 0
    np.testing.assert_allclose(peak["tf_gflops"], 2 * 128 ** 3 / min(peak["tf_times_s"]) / 1e9)
    (entry,) = doc["results"]
    np.testing.assert_allclose(entry["percent_of_peak"], 100 * entry["gflops_per_s"] / peak["tf_gflops"])
    x, y = harness.load_data("mnist_cnn", 8, params)
    bench = timing.TfcoreBench("mnist_cnn", "/device:CPU:0", params, x, y)
    try:
        assert tfcore.precision.policy_of(bench.model.graph) == "mixed_bfloat16"
        rewrites = bench.session._config.graph_options.rewrite_options
        assert rewrites.auto_mixed_precision_onednn_bfloat16 == type(rewrites).ON
    finally:
        bench.close()


def test_peer_torch_without_pytorch_is_refused_with_the_install_command(monkeypatch):
    from benchmarks import params as params_lib

    monkeypatch.setattr(params_lib, "torch_installed", lambda: False)
    with pytest.raises(params_lib.ParamsError, match=r"--peer torch needs PyTorch.*\[peers\]"):
        make_params(peer="torch")


def test_trace_writes_a_chrome_trace_and_op_totals_of_one_tfcore_step(tmp_path):
    params = small_params(model="mlp", device="cpu", trace=str(tmp_path / "trace"))
    doc = harness.run(params, say=quiet)
    files = doc["results"][0]["trace_files"]
    trace = json.loads((tmp_path / "trace" / "mlp-CPU0-tfcore.json").read_text())
    assert sorted(files) == sorted(str(tmp_path / "trace" / f)
                                   for f in ("mlp-CPU0-tfcore.json", "mlp-CPU0-tfcore-ops.txt"))
    ops = [e for e in trace["traceEvents"] if e["ph"] == "X"]
    # The step's matmuls (MatMul, or oneDNN's _MklMatMul) and its Tanh ran, each with a time.
    names = {e["name"] for e in ops}
    assert any("MatMul" in n for n in names) and any("Tanh" in n for n in names), names
    assert all(e["dur"] >= 1 and e["ts"] > 0 for e in ops)
    totals = (tmp_path / "trace" / "mlp-CPU0-tfcore-ops.txt").read_text().splitlines()
    assert len(totals) == len({e["name"] for e in ops})


def test_trace_into_a_file_is_refused(tmp_path):
    (tmp_path / "f").write_text("")
    with pytest.raises(ParamsError, match="--trace .* is a file"):
        small_params(trace=str(tmp_path / "f"))
