"""The run directory (`--out`) and the examples' flags: one run at a time, settings kept, nothing lost.

Oracles: the files on disk (what exists before and after), the exit status and
message of argparse, and a second process holding (or wanting) the lock.
"""

import json
import os
import subprocess
import sys
import time

import pytest

from models import __main__ as models_cli
from models import common, gradients, lstm_temperature, mlp, mnist_cnn
from tfcore import cli

from tests.helpers import hold_lock

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def exit_of(main, argv, capsys):
    """(exit status, stderr) of `main(argv)`, which must exit."""
    with pytest.raises(SystemExit) as raised:
        main(argv)
    return raised.value.code, capsys.readouterr().err


# ---------------------------------------------------------------------------
# Flags: a bad value is a usage error (exit 2) before any work
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("main, argv, named", [
    (mlp.main, ["--batch-size", "0"], "--batch-size: must be a positive integer"),
    (mlp.main, ["--batch-size", "-3"], "--batch-size: must be a positive integer"),
    (mlp.main, ["--epochs", "-1"], "--epochs: must be an integer >= 0"),
    (mlp.main, ["--epochs", "two"], "--epochs: must be an integer >= 0"),
    (mlp.main, ["--learning-rate", "-0.1"], "--learning-rate: must be a number > 0"),
    (mlp.main, ["--learning-rate", "0"], "--learning-rate: must be a number > 0"),
    (mlp.main, ["--learning-rate", "nan"], "--learning-rate: must be a number > 0"),
    (mlp.main, ["--ou", "elsewhere"], "unrecognized arguments: --ou"),
    (mlp.main, ["--hidden", "0"], "--hidden: must be a positive integer"),
    (mlp.main, ["--bogus-flag"], "unrecognized arguments: --bogus-flag"),
    (mlp.main, ["--seed", "-1"], "--seed: must be an integer in [0, 2147483647]"),
    (mlp.main, ["--data-dir", "/no/such/folder"], "--data-dir: /no/such/folder is not an existing folder"),
    (mnist_cnn.main, ["--limit", "0"], "--limit: must be a positive integer"),
    (mnist_cnn.main, ["--towers", "0"], "--towers: must be a positive integer"),
    (mnist_cnn.main, ["--decay=-1e-5"], "--decay: must be a number >= 0"),
    (lstm_temperature.main, ["--units", "0"], "--units: must be a positive integer"),
    (lstm_temperature.main, ["--start", "1880-13"], "--start: date must be 'YYYY-MM'"),
    (lstm_temperature.main, ["--steps-per-run", "-1"], "--steps-per-run: must be an integer >= 0"),
    (gradients.main, ["--points", "1"], "--points: must be an integer in [2, 10000000]"),
])
def test_a_bad_flag_is_a_usage_error_with_exit_2_naming_the_flag(tmp_path, capsys, main, argv, named):
    status, err = exit_of(main, argv + ["--out", str(tmp_path / "run")], capsys)
    assert status == 2 and named in err and "usage:" in err
    assert not (tmp_path / "run").exists()  # refused before anything was written


def test_an_out_path_that_is_a_file_is_refused_before_any_work(tmp_path, capsys):
    (tmp_path / "taken").write_text("a user's file")
    for out in ("taken", "taken/sub"):
        status, err = exit_of(mlp.main, ["--out", str(tmp_path / out)], capsys)
        assert status == 2 and "--out" in err and "taken" in err
    assert (tmp_path / "taken").read_text() == "a user's file"


def test_lstm_train_windows_that_leave_no_validation_are_refused(tmp_path, capsys):
    status, err = exit_of(lstm_temperature.main, ["--keep", "100", "--train-windows", "90",
                                                  "--out", str(tmp_path)], capsys)
    assert status == 2 and "--train-windows 90 must leave validation windows" in err


@pytest.mark.parametrize("make, text, good, bad", [
    (cli.positive_int, "positive", ["1", "7"], ["0", "-1", "1.5", "x", ""]),
    (cli.non_negative_int, ">= 0", ["0", "3"], ["-1", "2.0"]),
    (cli.positive_float, "> 0", ["0.5", "1e-9"], ["0", "-1", "inf", "nan"]),
    (cli.non_negative_float, ">= 0", ["0", "1e-3"], ["-1e-9", "inf", "nan", "x"]),
    (cli.float_in(0, 1), "in [0, 1]", ["0", "1", "0.5"], ["1.01", "-0.1", "nan"]),
    (cli.int_in(1, 65535), "in [1, 65535]", ["1", "65535"], ["0", "65536"]),
])
def test_argument_types_accept_their_range_and_refuse_the_rest(make, text, good, bad):
    import argparse
    for value in good:
        make(value)
    for value in bad:
        with pytest.raises(argparse.ArgumentTypeError):
            make(value)


# ---------------------------------------------------------------------------
# The manifest: resuming under other settings is refused; --fresh removes only tfcore's files
# ---------------------------------------------------------------------------

def run_mlp(out, *flags):
    return mlp.main(["--epochs", "1", "--no-progress", "--out", str(out)] + list(flags))


def test_resuming_with_other_settings_is_refused_with_the_differences_and_the_way_out(tmp_path, capsys):
    run_mlp(tmp_path, "--batch-size", "100")
    status, err = exit_of(mlp.main, ["--epochs", "2", "--learning-rate", "0.1", "--batch-size", "100",
                                     "--out", str(tmp_path)], capsys)
    assert status == 2
    assert "learning_rate 0.025 (that run) vs 0.1 (now)" in err
    assert "--fresh" in err and "another --out" in err
    assert "batch_size" not in err  # only what differs is listed
    # The same settings resume (epochs may grow): the history continues.
    run_mlp(tmp_path, "--batch-size", "100", "--epochs", "2")
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    assert len(metrics["history"]["loss"]) == 2


def test_fresh_removes_only_the_files_tfcore_wrote_and_never_a_users_file(tmp_path):
    (tmp_path / "checkpoints").mkdir()
    users = [tmp_path / "notes.txt", tmp_path / "checkpoints" / "my-weights.npz",
             tmp_path / "checkpoints" / "ckpt-best.txt"]
    for path in users:
        path.write_text("the user's")
    run_mlp(tmp_path, "--batch-size", "100")
    manifest = json.loads((tmp_path / common.MANIFEST).read_text())
    assert sorted(manifest["files"]) == ["curves.png", "metrics.json"]
    assert (tmp_path / "checkpoints" / "ckpt-1.index").exists()

    run_mlp(tmp_path, "--fresh", "--learning-rate", "0.1", "--epochs", "0")
    for path in users:
        assert path.read_text() == "the user's"
    assert not list((tmp_path / "checkpoints").glob("ckpt-1*"))
    assert not (tmp_path / "curves.png").exists()  # tfcore's figure of the discarded run
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    assert metrics["history"] == {} and metrics["settings"]["learning_rate"] == 0.1


def test_fresh_never_follows_a_manifest_outside_the_run_directory(tmp_path):
    outside = tmp_path / "precious.txt"
    outside.write_text("keep")
    out = tmp_path / "run"
    out.mkdir()
    (out / common.MANIFEST).write_text(json.dumps({"files": ["../precious.txt", "/etc/hostname"]}))
    common.remove_tfcore_files(out, json.loads((out / common.MANIFEST).read_text()))
    assert outside.read_text() == "keep"


def test_epochs_0_evaluates_the_model_and_writes_metrics_json(tmp_path):
    results = mlp.main(["--epochs", "0", "--out", str(tmp_path)])
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    assert metrics["history"] == {}
    assert metrics["results"]["test_accuracy"] == pytest.approx(results["test_accuracy"])
    assert 0 <= results["test_accuracy"] <= 1


# ---------------------------------------------------------------------------
# One run at a time: an fcntl lock
# ---------------------------------------------------------------------------

def test_a_second_run_on_the_same_out_exits_at_once_naming_the_folder_and_the_holders_pid(tmp_path):
    holder = hold_lock(tmp_path)
    try:
        began = time.monotonic()
        second = subprocess.run(
            [sys.executable, "-m", "models.gradients", "--out", str(tmp_path), "--points", "10"],
            cwd=ROOT, capture_output=True, text=True, timeout=120,
            env=dict(os.environ, PYTHONPATH=ROOT))
        assert second.returncode == 1
        assert str(tmp_path) in second.stderr and "process %d" % holder.pid in second.stderr
        assert time.monotonic() - began < 60
        assert not (tmp_path / "metrics.json").exists()
    finally:
        holder.kill()
        holder.wait()
    # The lock dies with its holder (even killed): the next run goes ahead.
    gradients.main(["--out", str(tmp_path), "--points", "10"])
    assert (tmp_path / "metrics.json").exists()


# ---------------------------------------------------------------------------
# python -m models all
# ---------------------------------------------------------------------------

def test_models_all_gives_each_example_its_own_subdirectory(tmp_path, monkeypatch):
    calls = {}
    for name in models_cli.EXAMPLES:
        module = __import__("models." + name, fromlist=["main"])
        real = module.main

        def fake(argv, name=name, real=real):
            with common.validating():
                try:
                    real(argv)  # the real flag checks
                except common._Validated:
                    pass
            calls[name] = argv
        monkeypatch.setattr(module, "main", fake)
    for flags in (["--out", str(tmp_path)], ["--out=%s" % tmp_path]):
        calls.clear()
        assert models_cli.main(["all", "--quick"] + flags) == 0
        outs = {name: argv[argv.index("--out") + 1] for name, argv in calls.items()}
        assert outs == {name: os.path.join(str(tmp_path), name) for name in models_cli.EXAMPLES}
        assert all(argv.count("--out") == 1 and "--quick" in argv for argv in calls.values())


def test_models_all_checks_every_examples_flags_before_running_any(tmp_path, monkeypatch, capsys):
    ran = []
    monkeypatch.setattr(gradients, "run", lambda *a, **k: ran.append(1))
    status, err = exit_of(models_cli.main, ["all", "--batchnorm", "--out", str(tmp_path)], capsys)
    assert status == 2 and "unrecognized arguments: --batchnorm" in err
    assert ran == [] and not any(tmp_path.iterdir())


def test_models_with_an_unknown_example_is_a_usage_error(capsys):
    assert models_cli.main(["mnist"]) == 2
    assert "unknown example 'mnist'" in capsys.readouterr().err
