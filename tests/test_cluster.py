"""Parameter-server training on loopback: 1 ps + 2 workers as real processes.

Oracles: the logistic regression example trained in one process (`models.
logistic_regression.build` + `tfcore.train.fit`) for the accuracy, the
global step a worker reads from the ps for "continues, not reset", and
/proc for "no process left behind". Every process is started with
`python -m models.cluster` on 127.0.0.1 ports the OS handed out, with
timeouts, and killed in the fixture's teardown whatever happens.
"""

import json
import os
import re
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from models import cluster as demo
from tfcore import cluster as cluster_lib

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TIMEOUT = 90  # seconds any one process may take


def children(pid=None):
    """Process ids of the live (not zombie) children of `pid` (default: this process)."""
    pid = pid or os.getpid()
    found = set()
    for task in os.listdir("/proc/%d/task" % pid):
        try:
            with open("/proc/%d/task/%s/children" % (pid, task)) as f:
                found.update(int(c) for c in f.read().split())
        except FileNotFoundError:
            pass
    alive = set()
    for child in found:
        try:
            with open("/proc/%d/stat" % child) as f:
                if f.read().split(")")[-1].split()[0] != "Z":
                    alive.add(child)
        except FileNotFoundError:
            pass
    return alive


class Processes:
    """Starts `python -m models.cluster ...` subprocesses; `close()` kills every one."""

    def __init__(self, directory):
        self.directory = directory
        self.started = []

    def start(self, name, *args):
        log = open(os.path.join(self.directory, name + ".log"), "w")
        env = dict(os.environ, PYTHONPATH=ROOT, TF_CPP_MIN_LOG_LEVEL="2", CUDA_VISIBLE_DEVICES="")
        proc = subprocess.Popen([sys.executable, "-m", "models.cluster", *map(str, args)],
                                stdout=log, stderr=subprocess.STDOUT, cwd=ROOT, env=env,
                                start_new_session=True)
        proc.log, proc.log_path, proc.name = log, log.name, name
        self.started.append(proc)
        return proc

    def wait(self, proc, timeout=TIMEOUT):
        try:
            code = proc.wait(timeout)
        except subprocess.TimeoutExpired:
            raise AssertionError("%s did not finish in %d s:\n%s" % (proc.name, timeout, self.read(proc)))
        assert code == 0, "%s exited with %d:\n%s" % (proc.name, code, self.read(proc))

    def kill(self, proc):
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)  # its own session: the process and nothing else
        proc.wait(10)

    @staticmethod
    def read(proc):
        with open(proc.log_path) as f:
            return f.read()

    def close(self):
        for proc in self.started:
            self.kill(proc)
            proc.log.close()


@pytest.fixture
def processes(tmp_path):
    procs = Processes(str(tmp_path))
    try:
        yield procs
    finally:
        procs.close()
        assert all(p.poll() is not None for p in procs.started)


def write_cluster(tmp_path, ps=1, workers=2):
    path = tmp_path / ("cluster_%d.json" % len(list(tmp_path.glob("cluster_*.json"))))
    cluster = cluster_lib.local_cluster(ps, workers)
    path.write_text(json.dumps(cluster))
    for address in cluster["ps"] + cluster["worker"]:
        assert address.startswith("127.0.0.1:")
    return str(path)


def single_process(steps):
    """The example in one process: full-batch gradient descent, `steps` steps."""
    import tfcore
    from models import logistic_regression
    from tfcore import train
    from tfcore.data import classification

    (x, y), _ = classification("logistic")
    model = logistic_regression.build(x.shape[1])
    with tfcore.session(graph=model.graph) as sess:
        train.fit(model, sess, x, y, epochs=steps, batch_size=len(x), shuffle=False, progress=False)
        return train.evaluate(model, sess, x, y)


def summary(path):
    with open(path) as f:
        return json.load(f)


@pytest.mark.slow
def test_sync_1ps_2workers_reach_single_process_accuracy_and_a_restarted_job_resumes(
        processes, tmp_path):
    steps, more = 300, 40
    ckpt = tmp_path / "ckpt"
    path = write_cluster(tmp_path)
    out = [str(tmp_path / ("worker%d.json" % i)) for i in range(2)]
    ps = processes.start("ps0", "--job", "ps", "--task", 0, "--cluster", path)
    workers = [processes.start("worker%d" % i, "--job", "worker", "--task", i, "--cluster", path,
                               "--mode", "sync", "--steps", steps, "--timeout", TIMEOUT,
                               "--out", out[i], "--checkpoint-dir", ckpt)
               for i in range(2)]
    for w in workers:
        processes.wait(w)
    chief, other = summary(out[0]), summary(out[1])
    oracle = single_process(steps)
    assert chief["global_step"] == steps
    # Synchronous: every global step used both workers' gradients, once each.
    assert chief["local_steps"] == other["local_steps"] == steps
    assert abs(chief["accuracy"] - oracle["accuracy"]) <= 0.02
    # Equal shards: the mean of the two gradients is the full-batch gradient.
    assert chief["loss"] == pytest.approx(oracle["loss"], rel=1e-3)

    # The whole job goes away (the ps held the only live copy of the variables)
    # and a new one starts: its chief restores the checkpoint and goes on.
    processes.kill(ps)
    path = write_cluster(tmp_path, ps=1, workers=1)
    processes.start("ps0_again", "--job", "ps", "--task", 0, "--cluster", path)
    w = processes.start("worker0_again", "--job", "worker", "--task", 0, "--cluster", path,
                        "--mode", "sync", "--steps", steps + more, "--checkpoint-dir", ckpt,
                        "--timeout", TIMEOUT, "--out", tmp_path / "again.json")
    processes.wait(w)
    again = summary(tmp_path / "again.json")
    assert "restored" in processes.read(w)
    assert again["first_global_step"] == steps and again["global_step"] == steps + more
    # Resumed training is training continued: it ends where steps + more steps in one process do.
    assert again["loss"] == pytest.approx(single_process(steps + more)["loss"], rel=1e-3)


@pytest.mark.slow
def test_async_worker_killed_and_restarted_continues_from_the_chiefs_state(processes, tmp_path):
    steps, more = 1000, 200
    path = write_cluster(tmp_path)
    out = [str(tmp_path / ("worker%d.json" % i)) for i in range(2)]
    processes.start("ps0", "--job", "ps", "--task", 0, "--cluster", path)
    common = ["--cluster", path, "--mode", "async", "--timeout", TIMEOUT, "--log-every", 20]
    chief = processes.start("worker0", "--job", "worker", "--task", 0, "--out", out[0],
                            "--steps", steps, "--checkpoint-dir", tmp_path / "ckpt", *common)
    worker = processes.start("worker1", "--job", "worker", "--task", 1, "--out", out[1],
                             "--steps", steps, *common)

    # Kill worker 1 (SIGKILL, mid-training) once it has taken part in training.
    deadline = time.monotonic() + TIMEOUT
    seen = []
    while not seen:
        assert time.monotonic() < deadline, processes.read(worker)
        assert worker.poll() is None, "worker 1 ended before it was killed:\n" + processes.read(worker)
        seen = [int(g) for g in re.findall(r"local step \d+, global step (\d+)",
                                           processes.read(worker))]
        time.sleep(0.05)
    processes.kill(worker)
    processes.wait(chief)
    final = summary(out[0])
    assert final["global_step"] >= steps
    assert abs(final["accuracy"] - single_process(steps)["accuracy"]) <= 0.02

    # Start worker 1 again, with a further goal: it must find the chief's
    # weights and step on the ps (not zeros, not step 0) and train on from there.
    restarted = processes.start("worker1_again", "--job", "worker", "--task", 1, "--out", out[1],
                                "--steps", final["global_step"] + more, *common)
    processes.wait(restarted)
    again = summary(out[1])
    assert again["first_global_step"] == final["global_step"] > max(seen) > 0
    assert again["first_loss"] == pytest.approx(final["loss"], rel=1e-6)
    assert again["first_loss"] < np.log(2) - 0.1  # zero weights would give ln 2
    assert again["local_steps"] == more and again["global_step"] == final["global_step"] + more
    assert abs(again["accuracy"] - single_process(steps + more)["accuracy"]) <= 0.02


@pytest.mark.parametrize("mode", ["async", "sync"])
@pytest.mark.parametrize("model", sorted(demo.MODELS))
def test_worker_graph_puts_variables_on_ps_tasks_and_compute_on_the_worker(model, mode):
    # Building the graph needs no server: placement is decided when ops are made.
    cluster = {"ps": ["127.0.0.1:1", "127.0.0.1:2"], "worker": ["127.0.0.1:3", "127.0.0.1:4"]}
    features = 2 if model == "logistic" else 3
    model_fn = lambda x, y: demo.MODELS[model](x, y, learning_rate=0.025)  # noqa: E731
    worker = cluster_lib.WorkerGraph(cluster, task=1, model_fn=model_fn, mode=mode, features=features)
    ops = worker.graph.get_operations()
    variables = [op for op in ops if op.type == "VarHandleOp"]
    ps_tasks = {op.device for op in variables}
    # replica_device_setter spreads the variables round robin over both ps tasks.
    assert ps_tasks == {"/job:ps/task:0", "/job:ps/task:1"}
    matmuls = [op for op in ops if op.type == "MatMul"]
    assert matmuls and all(op.device == "/job:worker/task:1" for op in matmuls)
    if mode == "sync":
        # Each accumulator sits with its variable (colocation), on a ps task.
        accumulators = [op for op in ops if op.type.endswith("ConditionalAccumulator")]
        assert len(accumulators) == len([v for v in variables if "global_step" not in v.name])
        for acc in accumulators:
            assert acc.colocation_groups()[0].decode().startswith("loc:@")
            (var,) = [v for v in variables if acc.colocation_groups()[0].decode() == "loc:@" + v.name]
            assert var.device.startswith("/job:ps/") and acc.device == var.device


def test_worker_graph_refuses_unknown_mode_and_a_model_that_is_not_a_function():
    cluster = {"ps": ["127.0.0.1:1"], "worker": ["127.0.0.1:2"]}
    with pytest.raises(ValueError, match="WorkerGraph: mode"):
        cluster_lib.WorkerGraph(cluster, 0, demo.MODELS["logistic"], mode="semi")
    with pytest.raises(TypeError, match="WorkerGraph: model_fn"):
        cluster_lib.WorkerGraph(cluster, 0, "cnn")


def test_cluster_file_errors_name_the_job(tmp_path):
    path = tmp_path / "bad.json"
    path.write_text(json.dumps({"ps": ["127.0.0.1:1"], "worker": []}))
    with pytest.raises(ValueError, match="'worker' must be a non-empty list"):
        cluster_lib.load_cluster(str(path))


@pytest.mark.parametrize("text, message", [
    (None, "does not exist"),
    ("[1", "not readable JSON"),
    ('["127.0.0.1:1"]', "expected"),
    ('{"ps": ["127.0.0.1:1"], "worker": ["localhost"]}', "'worker' must be a non-empty list"),
    ('{"ps": ["127.0.0.1:70000"], "worker": ["127.0.0.1:2"]}', "'ps' must be a non-empty list"),
    ('{"ps": ["127.0.0.1:1"], "worker": ["127.0.0.1:2"], "chief": ["127.0.0.1:3"]}', "unknown jobs"),
])
def test_a_missing_or_malformed_cluster_file_is_a_usage_error_naming_the_file(tmp_path, capsys, text, message):
    path = tmp_path / "cluster.json"
    if text is not None:
        path.write_text(text)
    with pytest.raises(cluster_lib.ClusterError, match=message):
        cluster_lib.load_cluster(str(path))
    with pytest.raises(SystemExit) as raised:
        demo.main(["--job", "worker", "--cluster", str(path)])
    err = capsys.readouterr().err
    assert raised.value.code == 2 and str(path) in err and message in err


@pytest.mark.parametrize("flag, value", [
    ("--steps", "0"), ("--batch-size", "0"), ("--save-steps", "0"), ("--timeout", "0"),
    ("--timeout", "-1"), ("--timeout", "inf"), ("--learning-rate", "-0.5"), ("--workers", "0"),
    ("--ps", "65"), ("--task", "-1"), ("--log-every", "-2"),
])
def test_bad_counts_rates_and_timeouts_are_usage_errors_before_anything_starts(tmp_path, capsys, flag, value):
    path = write_cluster(tmp_path)
    with pytest.raises(SystemExit) as raised:
        demo.main(["--job", "worker", "--cluster", path, "%s=%s" % (flag, value)])
    assert raised.value.code == 2 and "argument %s" % flag in capsys.readouterr().err


def test_a_batch_larger_than_the_shard_and_a_task_outside_the_cluster_are_refused(tmp_path, capsys):
    path = write_cluster(tmp_path, workers=2)
    for flags, message in ((["--batch-size", "300"], "shard has only 250 rows"),
                           (["--task", "2"], "the cluster has 2 worker tasks")):
        with pytest.raises(SystemExit) as raised:
            demo.main(["--job", "worker", "--cluster", path] + flags)
        assert raised.value.code == 2 and message in capsys.readouterr().err


def test_run_worker_refuses_bad_arguments_before_starting_a_server():
    cluster = {"ps": ["127.0.0.1:1"], "worker": ["127.0.0.1:2"]}
    x, y = np.zeros((4, 2), np.float32), np.zeros((4, 1), np.float32)
    for change, message in (({"steps": 0}, "steps"), ({"batch_size": 0}, "batch_size"),
                            ({"save_steps": -1}, "save_steps"), ({"timeout": 0}, "timeout"),
                            ({"task": 1}, "task")):
        arguments = dict(task=0, steps=5, timeout=1.0)
        arguments.update(change)
        task = arguments.pop("task")
        with pytest.raises(ValueError, match="run_worker: %s" % message):
            cluster_lib.run_worker(cluster, task, demo.MODELS["logistic"], x, y, **arguments)


def test_waiting_for_an_absent_ps_ends_after_the_timeout_naming_its_address():
    (port,) = cluster_lib.free_ports(1)
    began = time.monotonic()
    with pytest.raises(TimeoutError, match=r"ps task 0 at 127.0.0.1:%d did not come up within --timeout 0.5 s" % port):
        cluster_lib.wait_for_ps({"ps": ["127.0.0.1:%d" % port], "worker": []}, 0.5)
    assert time.monotonic() - began < 5


def test_a_worker_with_no_ps_exits_non_zero_after_its_timeout(processes, tmp_path):
    path = write_cluster(tmp_path, ps=1, workers=1)  # nobody serves the ps port
    began = time.monotonic()
    worker = processes.start("lonely", "--job", "worker", "--task", 0, "--cluster", path, "--timeout", 2)
    assert worker.wait(TIMEOUT) == 1
    assert time.monotonic() - began < TIMEOUT
    assert "did not come up within --timeout 2 s" in processes.read(worker)


def test_a_nan_loss_stops_the_job_before_saving_and_keeps_the_last_good_checkpoint(processes, tmp_path):
    # A learning rate of 3e38 sends the weights to ~1e38 after one step; the next
    # step's logits overflow and the loss is NaN. save-steps 1 would save every step.
    import tensorflow as tf

    path = write_cluster(tmp_path, ps=1, workers=1)
    ckpt = tmp_path / "ckpt"
    processes.start("ps0", "--job", "ps", "--task", 0, "--cluster", path)
    worker = processes.start("chief", "--job", "worker", "--task", 0, "--cluster", path,
                             "--learning-rate", "3e38", "--save-steps", 1, "--steps", 50,
                             "--checkpoint-dir", ckpt, "--timeout", TIMEOUT)
    assert worker.wait(TIMEOUT) == 1, processes.read(worker)
    log = processes.read(worker)
    assert "the loss is nan at global step 2" in log and "nothing is saved" in log
    last = tf.train.latest_checkpoint(str(ckpt))
    assert last.endswith("ckpt-1") and "The last good checkpoint is %s" % last in log
    reader = tf.train.load_checkpoint(last)
    for name in reader.get_variable_to_shape_map():
        assert np.all(np.isfinite(reader.get_tensor(name))), name


def test_free_ports_are_distinct_loopback_ports():
    ports = cluster_lib.free_ports(4)
    assert len(set(ports)) == 4 and all(0 < p < 65536 for p in ports)


def test_no_child_process_is_left_after_the_cluster_tests():
    # Runs after the tests above in file order; each fixture already checked its own.
    assert children() == set()
