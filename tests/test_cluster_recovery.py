"""Nothing lost in a cluster (issue 24, items 2 and 3): the chief's checkpoints and every wait.

Oracles: the global step a restarted chief reports it found (it must be the
newest intact checkpoint's, read back with tf.train.load_checkpoint), the
files on disk, and the wall clock against --timeout. Every process is a real
`python -m models.cluster` on loopback ports, killed in teardown.
"""

import json
import os
import shutil
import socket
import threading
import time

import pytest
import tensorflow as tf

from tests.test_cluster import TIMEOUT, processes, summary, write_cluster  # noqa: F401 (fixture)
from tfcore import cluster as cluster_lib


def start_job(processes, tmp_path, tag, steps, ckpt, timeout=TIMEOUT):
    path = write_cluster(tmp_path, ps=1, workers=1)
    processes.start("ps-" + tag, "--job", "ps", "--task", 0, "--cluster", path)
    return processes.start("chief-" + tag, "--job", "worker", "--task", 0, "--cluster", path,
                           "--steps", steps, "--save-steps", 10, "--checkpoint-dir", ckpt,
                           "--timeout", timeout, "--out", tmp_path / (tag + ".json"), "--log-every", 0)


@pytest.mark.slow  # two rounds of jobs (ps + chief each, the second round two at once): 25-65 s here
def test_a_chief_resumes_from_the_newest_intact_checkpoint_and_refuses_when_none_is(
        processes, tmp_path):
    ckpt, ruined = tmp_path / "ckpt", tmp_path / "ruined"
    processes.wait(start_job(processes, tmp_path, "first", 30, ckpt))
    assert tf.train.load_checkpoint(str(ckpt / "ckpt-20")).get_tensor("global_step") == 20
    stop_all(processes)  # the ps goes too: the variables live only in the checkpoints now
    shutil.copytree(ckpt, ruined)
    (ruined / ".tfcore.lock").unlink()
    # In `ckpt`, a garbage index and a newest checkpoint cut short; in `ruined`, every one emptied.
    (ckpt / "checkpoint").write_text("model_checkpoint_path: \x00\x01 garbage\n")
    for bookkeeping in ("ckpt-20.json", "train_state.json"):  # as a cluster checkpoint of old
        (ckpt / bookkeeping).unlink()
    [data] = ckpt.glob("ckpt-30.data-*")
    data.write_bytes(data.read_bytes()[:-7])
    damaged = sorted(ruined.glob("ckpt-*.data-*"))
    for each in damaged:
        each.write_bytes(b"")
    again = start_job(processes, tmp_path, "again", 40, ckpt)  # both jobs at once
    last = start_job(processes, tmp_path, "last", 50, ruined)

    processes.wait(again)
    log = processes.read(again)
    assert "skipped the damaged checkpoint %s" % data in log
    assert "restored %s" % (ckpt / "ckpt-20") in log
    result = summary(tmp_path / "again.json")
    assert result["first_global_step"] == 20 and result["global_step"] == 40
    state = tf.train.get_checkpoint_state(str(ckpt))
    assert [os.path.basename(p) for p in state.all_model_checkpoint_paths] == ["ckpt-20", "ckpt-30", "ckpt-40"]

    # No intact checkpoint: the chief stops, listing each file, and overwrites none.
    assert last.wait(TIMEOUT) == 1
    log = processes.read(last)
    assert "no intact checkpoint in %s" % ruined in log and "Traceback" not in log
    for each in damaged:
        assert str(each) in log
    assert not (tmp_path / "last.json").exists()
    assert sorted(ruined.glob("ckpt-*.data-*")) == damaged and all(d.stat().st_size == 0 for d in damaged)


def stop_all(processes):
    for proc in processes.started:
        processes.kill(proc)


@pytest.fixture
def not_a_ps():
    """A plain TCP server on 127.0.0.1 that accepts connections and never answers."""
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    accepted, stop = [], threading.Event()

    def accept():
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                accepted.append(server.accept()[0])
            except OSError:
                pass

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield "127.0.0.1:%d" % server.getsockname()[1]
    stop.set()
    thread.join(5)
    for connection in accepted:
        connection.close()
    server.close()


def test_a_chief_whose_ps_port_is_another_program_stops_after_its_timeout_naming_it(
        processes, tmp_path, not_a_ps):
    path = tmp_path / "cluster.json"
    (port,) = cluster_lib.free_ports(1)
    path.write_text(json.dumps({"ps": [not_a_ps], "worker": ["127.0.0.1:%d" % port]}))
    began = time.monotonic()
    chief = processes.start("chief", "--job", "worker", "--task", 0, "--cluster", path, "--timeout", 2)
    assert chief.wait(TIMEOUT) == 1, processes.read(chief)
    assert time.monotonic() - began < TIMEOUT
    log = processes.read(chief)
    assert "no answer from the ps at %s within --timeout 2 s" % not_a_ps in log
    assert "Traceback" not in log


@pytest.mark.parametrize("job", ["ps", "worker"])
def test_a_task_whose_port_is_taken_is_refused_in_one_line_naming_the_task_and_port(job, not_a_ps):
    cluster = {"ps": ["127.0.0.1:1"], "worker": ["127.0.0.1:1", "127.0.0.1:2"]}
    cluster[job][-1] = not_a_ps  # taken (here by a plain socket; a task started twice is the same)
    task = len(cluster[job]) - 1
    port = not_a_ps.rpartition(":")[2]
    message = r"^%s task %d: port %s of %s is already in use: %s task %d is running already" % (
        job, task, port, not_a_ps, job, task)
    with pytest.raises(cluster_lib.ClusterError, match=message) as err:
        cluster_lib.start_server(cluster, job, task)
    assert "\n" not in str(err.value)
