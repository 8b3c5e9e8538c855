"""Quiet by default: the CLIs' stderr carries no start-up banner or deprecation notice, real errors pass.

Oracles: the banner lines exactly as TensorFlow 2.21 printed them on this
machine (and real error lines that must pass), the pump's output compared with
its input minus the banners, and each command line run in a fresh process.
"""

import logging
import os
import pathlib
import re
import subprocess
import sys
import threading

import pytest

from tfcore import quiet

ROOT = pathlib.Path(__file__).resolve().parents[1]

BANNER_LINES = [
    b"WARNING: All log messages before absl::InitializeLog() is called are written to STDERR\n",
    b"I0000 00:00:1795956520.990395    6628 port.cc:153] oneDNN custom operations are on. You may "
    b"see slightly different numerical results due to floating-point round-off errors from "
    b"different computation orders. To turn them off, set the environment variable "
    b"`TF_ENABLE_ONEDNN_OPTS=0`.\n",
    b"I0000 00:00:1795956520.990727    6628 cudart_stub.cc:31] Could not find cuda drivers on your "
    b"machine, GPU will not be used.\n",
    b"I0000 00:00:1795956521.036786    6628 cpu_feature_guard.cc:227] This TensorFlow binary is "
    b"optimized to use available CPU instructions in performance-critical operations.\n",
    b"To enable the following instructions: AVX2 AVX512F AVX512_VNNI AVX512_BF16 FMA, in other "
    b"operations, rebuild TensorFlow with the appropriate compiler flags.\n",
    b"E0000 00:00:1795956523.745247    6628 cuda_platform.cc:52] failed call to cuInit: INTERNAL: "
    b"CUDA error: Failed call to cuInit: UNKNOWN ERROR (303)\n",
]
REAL_LINES = [
    b"E0000 00:00:1795956523.745247    6628 bfc_allocator.cc:52] failed to allocate 2.0GiB\n",
    b"W0000 00:00:1795956523.745247    6628 port.cc:153] something else about oneDNN\n",
    b"Traceback (most recent call last):\n",
    b"ValueError: Dense: units must be a positive int, got 0\n",
    b"Epoch 1/2:  50%|#####     | 3/6 [00:00<00:00, 20.1batch/s]\r",
    b"Input to reshape is a tensor with 10 values\n",
]


@pytest.mark.parametrize("line", BANNER_LINES)
def test_every_known_banner_is_recognised(line):
    assert quiet.is_banner(line)


@pytest.mark.parametrize("line", REAL_LINES)
def test_real_errors_and_progress_bars_are_not_banners(line):
    assert not quiet.is_banner(line)


def pump(chunks):
    """Run the pump over a real pipe, written in `chunks`; return what it passed on."""
    source_read, source_write = os.pipe()
    sink_read, sink_write = os.pipe()
    thread = threading.Thread(target=quiet._pump, args=(source_read, sink_write))
    thread.start()
    for chunk in chunks:
        os.write(source_write, chunk)
    os.close(source_write)
    thread.join(timeout=10)
    os.close(sink_write)
    out = b""
    while True:
        data = os.read(sink_read, 1 << 16)
        if not data:
            break
        out += data
    os.close(sink_read)
    return out


def test_the_pump_drops_exactly_the_banners_even_split_across_writes():
    lines = [line for pair in zip(BANNER_LINES, REAL_LINES) for line in pair]
    stream = b"".join(lines)
    for size in (1, 7, 64, len(stream)):
        chunks = [stream[i:i + size] for i in range(0, len(stream), size)]
        assert pump(chunks) == b"".join(REAL_LINES), size


@pytest.mark.parametrize("argv, called", [
    (["python", "-m", "models.gradients", "--out", "x"], ["--out", "x"]),
    (["python", "-W", "ignore", "-m", "models", "mlp"], ["mlp"]),
    (["python", "-m", "modelsx.train"], None),
    (["python", "-m", "pytest", "tests"], None),
    (["python", "my_script.py"], None),
    (["python", "-c", "import models"], None),
    (["python"], None),
])
def test_the_models_package_filters_only_when_the_process_is_one_of_its_commands(
        argv, called, monkeypatch):
    calls = []
    monkeypatch.setattr(quiet, "for_command", calls.append)
    monkeypatch.setattr(sys, "orig_argv", argv)
    quiet.when_command("models")
    assert calls == ([] if called is None else [called])


def test_importing_tfcore_leaves_fd_2_alone_even_in_a_models_command():
    # The process pretends to be `python -m models.mlp`, which once made `import tfcore`
    # put a pipe on descriptor 2. Oracle: the kernel's view of fd 2 before and after.
    code = (
        "import os, sys\n"
        "sys.orig_argv = [sys.executable, '-m', 'models.mlp']\n"
        "before = (os.readlink('/proc/self/fd/2'), os.fstat(2).st_ino, os.fstat(2).st_dev)\n"
        "import tfcore\n"
        "assert 'tensorflow' not in sys.modules, 'import tfcore imported TensorFlow'\n"
        "tfcore.__version__, tfcore.quiet\n"
        "after = (os.readlink('/proc/self/fd/2'), os.fstat(2).st_ino, os.fstat(2).st_dev)\n"
        "assert before == after, (before, after)\n"
        "assert len(os.listdir('/proc/self/task')) >= 1\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=dict(os.environ, PYTHONPATH=str(ROOT)), timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]


CRASHES = {
    "faulthandler dump": "import faulthandler; faulthandler.dump_traceback(); os._exit(3)",
    "os.abort": "os.abort()",
    "segfault": "import ctypes; ctypes.string_at(0)",
}


@pytest.mark.parametrize("crash", list(CRASHES))
def test_a_crash_in_a_command_prints_its_text_and_only_banners_are_dropped(crash):
    # What a command does first (quiet.for_command), then TensorFlow-like output and a crash.
    unknown = b"F0000 00:00:1795956523.7 6628 some_kernel.cc:12] Check failed: a == b (1 vs. 2)\n"
    code = ("import os, sys\nfrom tfcore import quiet\nquiet.for_command([])\n"
            "os.write(2, %r)\nos.write(2, %r)\nos.write(2, b'no newline yet: ')\n%s\n"
            % (BANNER_LINES[1], unknown, CRASHES[crash]))
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    env.pop("TFCORE_VERBOSE", None)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, env=env, timeout=60)
    assert done.returncode != 0
    err = done.stderr
    assert BANNER_LINES[1] not in err and b"oneDNN" not in err  # the known banner is dropped
    assert unknown in err and b"no newline yet: " in err  # the rest passes, even a partial line
    assert b"Current thread" in err and b'File "<string>", line' in err  # the Python stack at the crash
    if crash != "faulthandler dump":
        assert b"Fatal Python error: " + (b"Aborted" if crash == "os.abort" else b"Segmentation fault") in err


def test_deprecation_filter_drops_exactly_the_named_functions_notices(caplog):
    logger = logging.getLogger("tensorflow")
    notice = "From x.py:1: %s (from tensorflow.python.y) is deprecated and will be removed."
    with caplog.at_level(logging.WARNING, logger="tensorflow"):
        with quiet.deprecations_filtered("remove_checkpoint"):
            logger.warning(notice % "remove_checkpoint")
            logger.warning(notice % "remove_checkpoint_v2")
            logger.warning("remove_checkpoint failed: disk full")
        logger.warning(notice % "remove_checkpoint")
    assert [r.getMessage() for r in caplog.records] == [
        notice % "remove_checkpoint_v2", "remove_checkpoint failed: disk full",
        notice % "remove_checkpoint"]


NOISE = re.compile(r"oneDNN|cuInit|cuda drivers|absl::InitializeLog|cpu_feature_guard|"
                   r"To enable the following instructions|is deprecated|Instructions for updating")

CLIS = {
    "models.gradients": ["-m", "models.gradients", "--out", "{tmp}/g"],
    "models.mlp --quick --tensorboard --export": [
        "-m", "models.mlp", "--quick", "--epochs", "2", "--no-progress", "--out", "{tmp}/m",
        "--tensorboard", "{tmp}/tb", "--export", "{tmp}/export"],
    "tfcore.inspect": ["-m", "tfcore.inspect", "logistic_regression"],
    "tfcore": ["-m", "tfcore", "1", "--figures", "{tmp}/figures"],  # a chapter: the list imports no TF
    "benchmarks/run.py": [str(ROOT / "benchmarks" / "run.py"), "--quick", "--peer", "none",
                          "--model", "mlp", "--device", "cpu", "--json", "{tmp}/bench.json"],
}


def run_cli(args, tmp_path):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    env.pop("TF_CPP_MIN_LOG_LEVEL", None)
    env.pop("TFCORE_VERBOSE", None)
    return subprocess.run([sys.executable] + [a.format(tmp=tmp_path) for a in args],
                          capture_output=True, text=True, env=env, cwd=str(tmp_path), timeout=600)


# Each starts a Python that imports TensorFlow (5-8 s idle, more on a busy machine).
@pytest.mark.slow
@pytest.mark.parametrize("name", list(CLIS))
def test_each_cli_runs_without_banners_or_deprecation_notices_on_stderr(name, tmp_path):
    done = run_cli(CLIS[name], tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    noisy = [line for line in done.stderr.splitlines() if NOISE.search(line)]
    assert noisy == [], name
    if "--export" in CLIS[name]:
        assert (tmp_path / "export" / "saved_model" / "saved_model.pb").exists()
        assert (tmp_path / "export" / "frozen_graph.pb").exists()
        assert list((tmp_path / "tb" / "train").glob("events.out.tfevents.*"))
        # Run again with more epochs: it resumes from the checkpoints, quietly too.
        done = run_cli(CLIS[name][:CLIS[name].index("--tensorboard")] + ["--epochs", "3"],
                       tmp_path)
        assert done.returncode == 0, done.stderr[-3000:]
        assert [line for line in done.stderr.splitlines() if NOISE.search(line)] == []


@pytest.mark.slow
def test_verbose_brings_the_banners_back_and_errors_always_pass(tmp_path):
    done = run_cli(["-m", "models.gradients", "--verbose", "--out", str(tmp_path / "g")], tmp_path)
    assert done.returncode == 0 and "oneDNN custom operations are on" in done.stderr
    # With the filter on, errors still reach stderr.
    done = run_cli(["-m", "models.mlp", "--batch-size", "0"], tmp_path)
    assert done.returncode == 2 and "error: argument --batch-size" in done.stderr
    assert not NOISE.search(done.stderr)


@pytest.mark.slow
# (`python -m tfcore`, the chapter list, no longer starts TensorFlow at all: `import tfcore`
# is lazy, so it has no banner to bring back; it still takes --verbose.)
@pytest.mark.parametrize("name", ["benchmarks/run.py"])
def test_the_front_door_and_the_benchmark_take_verbose_too(name, tmp_path):
    done = run_cli(CLIS[name] + ["--verbose"], tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    assert NOISE.search(done.stderr), done.stderr[-3000:]  # TensorFlow's start-up lines are back
