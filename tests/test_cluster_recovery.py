"""Nothing lost in a cluster (issue 24, items 2 and 3): the chief's checkpoints and every wait.

Oracles: the global step a restarted chief reports it found (it must be the
newest intact checkpoint's, read back with tf.train.load_checkpoint), the
files on disk, and the wall clock against --timeout. Every process is a real
`python -m models.cluster` on loopback ports, killed in teardown.
"""

import os
import socket
import threading
import time

import pytest
import tensorflow as tf

from tests.test_cluster import TIMEOUT, processes, summary, write_cluster  # noqa: F401 (fixture)


def start_job(processes, tmp_path, tag, steps, ckpt, timeout=TIMEOUT):
    path = write_cluster(tmp_path, ps=1, workers=1)
    processes.start("ps-" + tag, "--job", "ps", "--task", 0, "--cluster", path)
    return processes.start("chief-" + tag, "--job", "worker", "--task", 0, "--cluster", path,
                           "--steps", steps, "--save-steps", 10, "--checkpoint-dir", ckpt,
                           "--timeout", timeout, "--out", tmp_path / (tag + ".json"), "--log-every", 0)


@pytest.mark.slow  # three jobs in turn, each a ps and a chief importing TensorFlow (~65 s here)
def test_a_chief_resumes_from_the_newest_intact_checkpoint_and_refuses_when_none_is(
        processes, tmp_path):
    ckpt = tmp_path / "ckpt"
    processes.wait(start_job(processes, tmp_path, "first", 30, ckpt))
    assert tf.train.load_checkpoint(str(ckpt / "ckpt-20")).get_tensor("global_step") == 20
    stop_all(processes)  # the ps goes too: the variables live only in the checkpoints now
    (ckpt / "checkpoint").write_text("model_checkpoint_path: \x00\x01 garbage\n")
    [data] = ckpt.glob("ckpt-30.data-*")
    data.write_bytes(data.read_bytes()[:-7])  # the newest checkpoint is cut short
    again = start_job(processes, tmp_path, "again", 40, ckpt)
    processes.wait(again)
    log = processes.read(again)
    assert "skipped the damaged checkpoint %s" % data in log
    assert "restored %s" % (ckpt / "ckpt-20") in log
    result = summary(tmp_path / "again.json")
    assert result["first_global_step"] == 20 and result["global_step"] == 40
    state = tf.train.get_checkpoint_state(str(ckpt))
    assert [os.path.basename(p) for p in state.all_model_checkpoint_paths] == ["ckpt-20", "ckpt-30", "ckpt-40"]

    # Now every checkpoint is damaged: the chief stops, listing each file, and overwrites none.
    stop_all(processes)
    damaged = sorted(ckpt.glob("ckpt-*.data-*"))
    for data in damaged:
        data.write_bytes(b"")
    last = start_job(processes, tmp_path, "last", 50, ckpt)
    assert last.wait(TIMEOUT) == 1
    log = processes.read(last)
    assert "no intact checkpoint in %s" % ckpt in log and "Traceback" not in log
    for data in damaged:
        assert str(data) in log
    assert not (tmp_path / "last.json").exists()
    assert sorted(ckpt.glob("ckpt-*.data-*")) == damaged and all(d.stat().st_size == 0 for d in damaged)


def stop_all(processes):
    for proc in processes.started:
        processes.kill(proc)
