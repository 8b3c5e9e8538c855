"""Parameter-server training on loopback: 1 ps + 2 workers as real processes.

Oracles: the logistic regression example trained in one process (`models.
logistic_regression.build` + `tfcore.train.fit`) for the accuracy, the
global step a worker reads from the ps for "continues, not reset", and
/proc for "no process left behind". Every process is started with
`python -m tfcore.cluster` on 127.0.0.1 ports the OS handed out, with
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
    """Starts `python -m tfcore.cluster ...` subprocesses; `close()` kills every one."""

    def __init__(self, directory):
        self.directory = directory
        self.started = []

    def start(self, name, *args):
        log = open(os.path.join(self.directory, name + ".log"), "w")
        env = dict(os.environ, PYTHONPATH=ROOT, TF_CPP_MIN_LOG_LEVEL="2", CUDA_VISIBLE_DEVICES="")
        proc = subprocess.Popen([sys.executable, "-m", "tfcore.cluster", *map(str, args)],
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
@pytest.mark.parametrize("model", sorted(cluster_lib.MODELS))
def test_worker_graph_puts_variables_on_ps_tasks_and_compute_on_the_worker(model, mode):
    # Building the graph needs no server: placement is decided when ops are made.
    cluster = {"ps": ["127.0.0.1:1", "127.0.0.1:2"], "worker": ["127.0.0.1:3", "127.0.0.1:4"]}
    features = 2 if model == "logistic" else 3
    worker = cluster_lib.WorkerGraph(cluster, task=1, model=model, mode=mode, features=features)
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


def test_worker_graph_refuses_unknown_mode_and_model():
    cluster = {"ps": ["127.0.0.1:1"], "worker": ["127.0.0.1:2"]}
    with pytest.raises(ValueError, match="WorkerGraph: mode"):
        cluster_lib.WorkerGraph(cluster, 0, mode="semi")
    with pytest.raises(ValueError, match="WorkerGraph: model"):
        cluster_lib.WorkerGraph(cluster, 0, model="cnn")


def test_cluster_file_errors_name_the_job(tmp_path):
    path = tmp_path / "bad.json"
    path.write_text(json.dumps({"ps": ["127.0.0.1:1"], "worker": []}))
    with pytest.raises(ValueError, match="'worker' must be a non-empty list"):
        cluster_lib.load_cluster(str(path))


def test_free_ports_are_distinct_loopback_ports():
    ports = cluster_lib.free_ports(4)
    assert len(set(ports)) == 4 and all(0 < p < 65536 for p in ports)


def test_no_child_process_is_left_after_the_cluster_tests():
    # Runs after the tests above in file order; each fixture already checked its own.
    assert children() == set()
