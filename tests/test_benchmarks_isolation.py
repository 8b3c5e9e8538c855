"""The benchmark tells the truth and survives its peers: a peer's crash, abort, hang or error is a
skipped row with its reason (the peer runs in its own process, benchmarks/isolated.py); a run that
measured less never replaces saved results; an empty selection is a usage error; % of peak never
exceeds 100; the memory probe sees a known allocation; sweeps time every point.

The crashing peers are fakes (tests/bench_fake_peers.py): no PyTorch needed."""

import json
import pathlib
import subprocess
import sys

import numpy as np
import pytest

from benchmarks import harness, isolated, report, sweep, timing
from benchmarks.params import make_params
from tests.bench_fake_peers import quiet, small_params

ROOT = pathlib.Path(__file__).resolve().parents[1]
RUN_PY = ROOT / "benchmarks" / "run.py"
FAKE = "tests.bench_fake_peers"


def fake_peer(timeout=60, **behaviour):
    return lambda name, device, batch: isolated.IsolatedPeer(
        FAKE, name, device, batch, timeout=timeout, label="fake", **behaviour)


@pytest.mark.parametrize("behaviour,at,expected", [
    ("segfault", "time_fit", "killed by SIGSEGV during time_fit"),
    ("abort", "__init__", "killed by SIGABRT during __init__"),
    ("raise", "first_step", "first_step raised ValueError: boom"),
    ("hang", "time_train_on_batch", "no answer to time_train_on_batch within 2 s"),
])
def test_a_failing_peer_is_a_skipped_row_with_its_reason_and_tfcore_is_still_timed(behaviour, at, expected):
    params = small_params(peer_timeout=2)
    doc = harness.run(params, say=quiet, make_peer=fake_peer(timeout=2, behaviour=behaviour, at=at))
    assert [(e["framework"], len(e["step_times_s"])) for e in doc["results"]] == [("tfcore", 4)]
    (failure,) = doc["failures"]
    assert failure["model"] == "logistic_regression" and expected in failure["why"]
    assert doc["comparisons"] == []  # nothing to compare with: no ratio is made up
    assert report.table_rows(doc)[-1][2:4] == ["peer", "skipped (see below)"]
    assert expected in report.notes(doc)[0] and expected in report.text_table(doc)


def test_a_working_isolated_peer_is_timed_alternately_with_tfcore():
    doc = harness.run(small_params(), say=quiet, make_peer=fake_peer())
    paths = [(e["framework"], e["path"]) for e in doc["results"]]
    assert paths == [("tfcore", "session.run (resident)"), ("fake", "step"), ("fake", "loop")]
    assert doc["failures"] == []
    (c,) = doc["comparisons"]
    best = min(doc["results"][1:], key=lambda e: e["median_s"])
    np.testing.assert_allclose(c["ratio_per_round"], np.array(best["round_medians_s"])
                               / np.array(doc["results"][0]["round_medians_s"]))
    # What the ratio means is said in the JSON, the text table and the Markdown.
    assert "> 1 means tfcore is faster" in doc["ratio_meaning"]
    assert doc["ratio_meaning"] in report.text_table(doc)
    assert doc["ratio_meaning"] in report.markdown_table(doc)
    assert ">1: tfcore faster" in report.COLUMNS[-2]


def test_the_memory_probe_sees_a_known_allocation_in_the_peers_process():
    peer = isolated.IsolatedPeer(FAKE, "mlp", "/device:CPU:0", 1, timeout=60, allocate_mb=64)
    try:
        for _ in range(3):
            peer.step_once(None, None)
        memory = peer.memory()
    finally:
        peer.close()
    # Oracle: three touched 64 MiB arrays kept alive; the interpreter adds a little around them.
    assert 3 * 64 * 2 ** 20 <= memory["peak_bytes"] < 3 * 64 * 2 ** 20 + 32 * 2 ** 20
    assert memory["baseline_bytes"] > 0 and "VmHWM" in memory["method"]


def test_percent_of_peak_above_100_is_a_measurement_error_not_a_figure():
    times = [0.01, 0.01]
    ok = timing.summarize(times, 8, flops=1e9, peak_gflops=200.0)
    assert ok["percent_of_peak"] == pytest.approx(100 * 100.0 / 200.0) and ok["measurement_error"] is None
    bad = timing.summarize(times, 8, flops=1e9, peak_gflops=50.0)  # 100 GFLOP/s above a 50 peak
    assert bad["percent_of_peak"] is None and "above the 50.0 GFLOP/s matmul peak" in bad["measurement_error"]


def _doc(rows, failures=()):
    return {"results": [{"model": m, "device": "/device:CPU:0", "framework": "tfcore",
                         "path": "session.run", "sweep": {}} for m in rows], "failures": list(failures)}


@pytest.mark.parametrize("new,failures,overwrite,partial", [
    (["mlp"], (), False, True),  # fewer rows than saved
    (["mlp", "laplacian"], ({"model": "mlp", "framework": "pytorch"},), False, True),  # a skipped peer
    (["mlp"], (), True, False),  # --overwrite
    (["mlp", "laplacian", "lstm_temperature"], (), False, False),  # measured at least as much
])
def test_a_run_that_measured_less_writes_beside_the_saved_results(tmp_path, new, failures, overwrite, partial):
    saved = tmp_path / "results.json"
    saved.write_text(json.dumps(_doc(["mlp", "laplacian"])))
    params = small_params(json=str(saved), overwrite=overwrite)
    said = []
    written = report.write_outputs(_doc(new, failures), params, say=said.append)
    if partial:
        assert written == [str(tmp_path / "results.partial.json")]
        assert [e["model"] for e in json.loads(saved.read_text())["results"]] == ["mlp", "laplacian"]
        assert "--overwrite" in said[0]
    else:
        assert written == [str(saved)]
        assert [e["model"] for e in json.loads(saved.read_text())["results"]] == new


def run_cli(*args):
    return subprocess.run([sys.executable, str(RUN_PY), *args], capture_output=True, text=True,
                          cwd=ROOT, timeout=120)


@pytest.mark.parametrize("argv,message", [
    (["--model", ","], "--model: no model named"),
    (["--sweep", "batch"], "is not AXIS=V1,V2"),
    (["--sweep", "speed=1,2"], "unknown axis 'speed'"),
    (["--sweep", "batch=0,8"], "must be >= 1"),
    (["--sweep", "threads=1,4096"], "more than the"),
    (["--sweep", "length=10,50", "--model", "mlp"], "mlp has no sequence length"),
    (["--sweep", "batch=32,64", "--model", "lstm_temperature"], "32 does not divide"),
    (["--sweep", "batch=8,16", "--batch-size", "8"], "leave out --batch-size"),
])
def test_empty_selections_and_bad_sweeps_are_usage_errors_that_touch_no_results(tmp_path, argv, message):
    saved = tmp_path / "results.json"
    saved.write_text("{}")
    result = run_cli(*argv, "--json", str(saved))
    assert result.returncode == 2 and message in result.stderr
    assert saved.read_text() == "{}"


def test_default_selection_leaves_out_models_a_batch_sweep_cannot_take():
    params = make_params(sweep="batch=32,64", peer="none")
    assert "laplacian" not in params.models and "lstm_temperature" not in params.models
    assert "mnist_cnn" in params.models and "32 does not divide" in params.sweep_left_out["lstm_temperature"]
    assert [p for p, _ in sweep.points(params)] == [{"batch": 32}, {"batch": 64}]
    assert [q.batch_for("mlp") for _, q in sweep.points(params)] == [32, 64]


def test_a_sweep_times_every_point_and_framework_and_plots_one_figure_per_model(tmp_path, monkeypatch):
    from benchmarks import memory

    probed = []

    def fake_attach(entries, device, params, load):  # the probes: tests/test_benchmarks_memory.py
        for name in dict.fromkeys(e["model"] for e in entries):
            probed.append((name, params.batch_for(name), load(name, 1, params)[0].shape[1:]))
        for e in entries:
            batch = params.batch_for(e["model"])
            e["memory"] = {"peak_bytes": 2 ** 20 * batch, "per_sample_bytes": 2 ** 20}

    monkeypatch.setattr(memory, "attach", fake_attach)
    params = small_params(sweep="batch=4,8", model="mlp", plot=str(tmp_path / "p.png"), rounds=1,
                          memory=True)
    doc = harness.run(params, say=quiet, make_peer=fake_peer())
    assert [(e["framework"], e["batch_size"], e["sweep"]) for e in doc["results"]] == [
        ("tfcore", 4, {"batch": 4}), ("fake", 4, {"batch": 4}), ("fake", 4, {"batch": 4}),
        ("tfcore", 8, {"batch": 8}), ("fake", 8, {"batch": 8}), ("fake", 8, {"batch": 8})]
    assert probed == [("mlp", 4, (3,)), ("mlp", 8, (3,))]
    assert [(c["sweep"], c["peer"]) for c in doc["comparisons"]] == [({"batch": 4}, "fake"),
                                                                     ({"batch": 8}, "fake")]
    points = doc["sweep"]["points"]
    assert [(r["framework"], r["batch"], r["peak_memory_bytes"]) for r in points][:2] == [
        ("tfcore", 4, 4 * 2 ** 20), ("fake", 4, 4 * 2 ** 20)]
    assert report.columns(doc)[2] == "sweep" and report.table_rows(doc)[3][2] == "batch=8"
    written = report.write_outputs(doc, params, say=quiet)
    assert str(tmp_path / "p-sweep-mlp.png") in written and (tmp_path / "p-sweep-mlp.png").stat().st_size


def test_a_length_sweep_builds_the_recurrent_model_at_each_length():
    params = small_params(sweep="length=5,12,19", model="lstm_temperature", rounds=1)
    doc = harness.run(params, say=quiet)
    assert [e["sweep"] for e in doc["results"]] == [{"length": 5}, {"length": 12}, {"length": 19}]
    # Oracle: the recurrence runs its cell once per time step, so the step's FLOPs are
    # a * length + b (the dense head is fixed): equal steps in length add equal FLOPs.
    f5, f12, f19 = [e["train_flops_per_step"] for e in doc["results"]]
    assert f12 - f5 == f19 - f12 > 0


def test_report_fills_the_marked_block_of_a_doc_from_a_saved_run(tmp_path):
    doc = harness.run(small_params(), say=quiet, make_peer=fake_peer(), command="python benchmarks/run.py x")
    saved = tmp_path / "results.json"
    saved.write_text(json.dumps(doc))
    page = tmp_path / "page.md"
    page.write_text("# Page\n\n%s\nold figures\n%s\n\nafter\n" % (report.BLOCK_BEGIN, report.BLOCK_END))
    result = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "report.py"), str(saved),
                             "--markdown", str(page)], capture_output=True, text=True, cwd=tmp_path,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    text = page.read_text()
    assert "old figures" not in text and text.startswith("# Page") and text.endswith("\nafter\n")
    ours = doc["results"][0]
    # Oracle: the saved run's own figures, formatted; the first steps as measured.
    row = next(line for line in text.splitlines() if line.startswith("| logistic_regression"))
    assert "{:,.0f}".format(ours["samples_per_s"]) in row
    assert "%.2f / 0.01" % ours["first_step_s"] in row  # the fake peer's first step: 0.01 s
    assert doc["ratio_meaning"] in text and "python benchmarks/run.py x" in text
    page.write_text("no block here\n")
    again = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "report.py"), str(saved),
                            "--markdown", str(page)], capture_output=True, text=True, timeout=120)
    assert again.returncode == 2 and "benchmark-results:begin" in again.stderr
    assert page.read_text() == "no block here\n"


def test_gpu_over_cpu_speedups_are_printed_under_the_table():
    doc = {"speedups": [{"model": "mlp", "framework": "tfcore", "path": "session.run",
                         "gpu": "/device:GPU:0", "cpu": "/device:CPU:0", "speedup_median": 3.0,
                         "speedup_min": 2.5, "speedup_max": 3.5}]}
    assert report.speedup_rows(doc) == [["mlp", "tfcore", "session.run", "GPU:0", "CPU:0",
                                         "3.00 (2.50-3.50)"]]


def test_the_profiler_skips_no_op_of_the_resident_step(capsys):
    # The resident step slices its rows at a run-time offset; without their fixed shapes back,
    # the profiler's whole-graph pass skipped the accuracy's ArgMax ("1 ops no flops stats").
    params = small_params(model="mnist_cnn", batch_size=4)
    bench = harness.TfcoreBench("mnist_cnn", "/device:CPU:0", params,
                                *harness.load_data("mnist_cnn", 8, params))
    bench.use_resident()
    capsys.readouterr()
    bench.check_flops()
    bench.close()
    err = capsys.readouterr().err
    assert "no flops stats" not in err and "skipped" not in err
    assert bench.profiler_forward_flops == sum(bench.flops_per_layer.values())
