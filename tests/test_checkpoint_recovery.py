"""Checkpoints under fault injection: damaged files, damaged bookkeeping, kill -9 mid-write.

Oracle: an uninterrupted run of the same graph, seed and data. Whatever is
damaged, a resumed run must end with the same History as that run (it retrains
the epochs it lost), say which file it skipped, and never restart at epoch 1
on top of later checkpoints.
"""

import os
import signal
import subprocess
import sys
import textwrap
import time
import warnings

import numpy as np
import pytest
import tensorflow as tf

import tfcore
from tfcore import checkpoint
from tfcore.layers.dense import Dense
from tfcore.optimizers import Adam
from tfcore.train import TrainGraph, fit

from tests.helpers import hold_lock

EPOCHS = 4
SETTINGS = dict(batch_size=8, seed=5, progress=False)


def build(hidden=6, seed=0):
    """x -> Dense(hidden, tanh) -> Dense(1), MSE, Adam: weights and optimizer slots to restore."""
    graph = tfcore.new_graph(seed)
    with graph.as_default():
        x = tfcore.placeholder((None, 3), name="x")
        y = tfcore.placeholder((None, 1), name="y")
        prediction = Dense(1)(Dense(hidden, activation="tanh")(x))
        loss = tf.reduce_mean(tf.square(prediction - y))
        return TrainGraph(graph, x, y, prediction, loss, Adam(0.05).minimize(loss))


def data(n=30, seed=0):
    rng = np.random.RandomState(seed)
    x = rng.randn(n, 3).astype(np.float32)
    return x, (x @ rng.randn(3, 1) + 0.3).astype(np.float32)


def run(directory, epochs=EPOCHS, model=None):
    model = model or build()
    with tfcore.session(model.graph) as sess:
        return fit(model, sess, *data(), epochs=epochs, checkpoint_dir=str(directory), **SETTINGS)


@pytest.fixture(scope="module")
def straight(tmp_path_factory):
    """The oracle: an uninterrupted run's History."""
    return run(tmp_path_factory.mktemp("straight")).history


def truncate(path):
    with open(path, "r+b") as f:
        f.truncate(os.path.getsize(path) // 2)


def flip_a_byte(path):
    with open(path, "r+b") as f:
        f.seek(os.path.getsize(path) // 2)
        byte = f.read(1)
        f.seek(-1, os.SEEK_CUR)
        f.write(bytes([byte[0] ^ 0xFF]))


def data_file(directory, epoch):
    return next(directory / n for n in os.listdir(directory) if n.startswith("ckpt-%d.data-" % epoch))


DAMAGES = {
    "data file truncated": (lambda d: truncate(data_file(d, 3)), "ckpt-3.data-"),
    "data file with a flipped byte": (lambda d: flip_a_byte(data_file(d, 3)), "ckpt-3.data-"),
    "data file deleted": (lambda d: os.remove(data_file(d, 3)), r"ckpt-3.data-\* \(missing\)"),
    "index file truncated": (lambda d: truncate(d / "ckpt-3.index"), "ckpt-3.index"),
    "index file with a flipped byte": (lambda d: flip_a_byte(d / "ckpt-3.index"), "ckpt-3.index"),
    "bookkeeping json and train_state.json garbage": (
        lambda d: [(d / n).write_text("{\"epoch\": 3, \"hist") for n in ("ckpt-3.json", "train_state.json")],
        "ckpt-3.json"),
}


@pytest.mark.parametrize("damage", sorted(DAMAGES))
def test_a_damaged_newest_checkpoint_falls_back_to_the_previous_with_a_warning_and_the_same_history(
        tmp_path, straight, damage):
    inflict, named = DAMAGES[damage]
    run(tmp_path, epochs=3)
    inflict(tmp_path)
    with pytest.warns(checkpoint.CheckpointWarning, match=named) as caught:
        resumed = run(tmp_path)
    assert "ckpt-2" not in str(caught[0].message).split("skipped")[1].split(";")[0]
    for key in straight:
        np.testing.assert_allclose(resumed.history[key], straight[key], rtol=0, atol=1e-6)
    # The damaged epoch was trained again and saved whole: the next resume is silent.
    model = build()
    with tfcore.session(model.graph) as sess, warnings.catch_warnings():
        warnings.simplefilter("error", checkpoint.CheckpointWarning)
        assert checkpoint.restore(model, sess, str(tmp_path))["epoch"] == EPOCHS


@pytest.mark.parametrize("damage", ["garbage", "deleted", "names a lost checkpoint"])
def test_a_damaged_checkpoint_index_file_is_rebuilt_from_disk_not_a_restart_at_epoch_one(
        tmp_path, straight, damage):
    run(tmp_path, epochs=3)
    index = tmp_path / checkpoint.INDEX_FILE
    if damage == "deleted":
        index.unlink()
    else:
        index.write_text({"garbage": "model_checkpoint_path: {{{\x00", "empty": "",
                          "names a lost checkpoint": 'model_checkpoint_path: "ckpt-1"\n'}[damage])
    model = build()
    with tfcore.session(model.graph) as sess:
        assert checkpoint.restore(model, sess, str(tmp_path))["epoch"] == 3
    assert os.path.basename(tf.train.latest_checkpoint(str(tmp_path))) == "ckpt-3"
    resumed = run(tmp_path)
    np.testing.assert_allclose(resumed.history["loss"], straight["loss"], rtol=0, atol=1e-6)


@pytest.mark.parametrize("damage", ["garbage", "an older run's"])
def test_a_damaged_train_state_json_is_rebuilt_from_the_checkpoints_bookkeeping(tmp_path, straight, damage):
    run(tmp_path, epochs=3)
    state = tmp_path / checkpoint.STATE_FILE
    if damage == "deleted":
        state.unlink()
    else:
        state.write_text({"garbage": "\x00\x01not json", "an older run's": '{"epoch": 1}'}[damage])
    resumed = run(tmp_path)
    assert resumed.epoch == list(range(EPOCHS))
    np.testing.assert_allclose(resumed.history["loss"], straight["loss"], rtol=0, atol=1e-6)
    assert checkpoint._read_json(state)["epoch"] == EPOCHS


def test_when_no_checkpoint_is_intact_the_error_names_every_file_and_the_choices(tmp_path):
    run(tmp_path, epochs=2)
    for epoch in (1, 2):
        flip_a_byte(data_file(tmp_path, epoch))
    model = build()
    with tfcore.session(model.graph) as sess, pytest.warns(checkpoint.CheckpointWarning):
        with pytest.raises(checkpoint.CheckpointError) as raised:
            fit(model, sess, *data(), epochs=3, checkpoint_dir=str(tmp_path), **SETTINGS)
    message = str(raised.value)
    assert "ckpt-1.data-" in message and "ckpt-2.data-" in message
    assert "--fresh" in message and "backup" in message
    # Nothing was overwritten: the damaged files are still there for the user.
    assert sorted(n for n in os.listdir(tmp_path) if n.endswith(".index")) == ["ckpt-1.index", "ckpt-2.index"]


def test_a_checkpoint_of_a_different_model_is_refused_at_once_not_skipped(tmp_path):
    run(tmp_path, epochs=2)
    model = build(hidden=7)
    with tfcore.session(model.graph) as sess:
        with pytest.raises(checkpoint.CheckpointError, match=r"different model.*\[3, 7\] \(saved \[3, 6\]\)"):
            checkpoint.restore(model, sess, str(tmp_path))
    assert checkpoint.latest(str(tmp_path)).endswith("ckpt-2")


def test_temporary_files_are_unique_to_the_process_and_never_left_behind(tmp_path):
    target = tmp_path / "state.json"
    checkpoint.write_atomically(str(target), "one")
    checkpoint.write_atomically(str(target), "two")
    assert target.read_text() == "two" and os.listdir(tmp_path) == ["state.json"]
    with pytest.raises(TypeError):
        checkpoint.write_atomically(str(target), 3)  # a failed write leaves no temporary file
    assert os.listdir(tmp_path) == ["state.json"] and target.read_text() == "two"


def test_checkpoint_data_without_any_index_is_refused_not_trained_over(tmp_path):
    run(tmp_path, epochs=3)
    for name in os.listdir(tmp_path):
        if name.endswith(".index") or name == checkpoint.INDEX_FILE:
            os.remove(tmp_path / name)
    model = build()
    with tfcore.session(model.graph) as sess:
        with pytest.raises(checkpoint.CheckpointError, match=r"data without any .index file \(ckpt-2.data-"):
            fit(model, sess, *data(), epochs=EPOCHS, checkpoint_dir=str(tmp_path), **SETTINGS)
    assert data_file(tmp_path, 3).exists()


def test_a_second_process_cannot_train_into_a_checkpoint_directory_in_use(tmp_path):
    holder = hold_lock(tmp_path)
    try:
        model = build()
        with tfcore.session(model.graph) as sess:
            with pytest.raises(checkpoint.DirectoryInUse, match=r"%s is in use by another run \(process %d\)"
                               % (tmp_path, holder.pid)):
                fit(model, sess, *data(), epochs=1, checkpoint_dir=str(tmp_path), **SETTINGS)
        assert not [n for n in os.listdir(tmp_path) if n.startswith("ckpt")]
    finally:
        holder.kill()
        holder.wait()


CHILD = textwrap.dedent("""
    import sys
    sys.path.insert(0, {root!r})
    from tests.test_checkpoint_recovery import run
    run({directory!r}, epochs={epochs})
""")


def test_kill_9_at_random_moments_during_checkpoint_writes_then_resume_gives_the_same_history(
        tmp_path, straight):
    # Each kill lands at a random moment after a checkpoint appeared: most of an
    # epoch here is spent writing files, so writes are often cut in the middle.
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    epochs = 24
    reference = run(tmp_path / "reference", epochs=epochs).history
    directory = tmp_path / "killed"
    rng = np.random.default_rng(12)
    killed = 0
    for target in (3, 10):
        child = subprocess.Popen([sys.executable, "-c", CHILD.format(
            root=root, directory=str(directory), epochs=epochs)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while not (directory / ("ckpt-%d.index" % target)).exists() and child.poll() is None:
            assert time.monotonic() < deadline, "the child saved no checkpoint in 60 s"
            time.sleep(0.005)
        time.sleep(rng.uniform(0, 0.05))
        child.send_signal(signal.SIGKILL)
        killed += child.wait() == -signal.SIGKILL
    assert killed >= 1
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", checkpoint.CheckpointWarning)  # a cut write is damage
        resumed = run(directory, epochs=epochs).history
    for key in reference:
        np.testing.assert_allclose(resumed[key], reference[key], rtol=0, atol=1e-6)


def test_a_session_made_without_with_saves_resumes_and_runs_model_checkpoint(tmp_path, straight):
    """`sess = tfcore.session(...)`, never entered, leaves no graph current: TensorFlow 2 is
    then eager, and a v1 Saver called there tries to rebuild itself eagerly and fails. The
    saves and restores run in the session's graph, so this works as the `with` form does."""
    from tfcore import callbacks

    model = build()
    sess = tfcore.session(model.graph)  # not entered: the chapters' (and many users') form
    saves = callbacks.ModelCheckpoint(str(tmp_path / "each" / "w-{epoch}"))
    first = fit(model, sess, *data(), epochs=2, checkpoint_dir=str(tmp_path / "run"),
                callbacks=[saves], **SETTINGS)
    sess.close()
    again = tfcore.session(model.graph)
    resumed = fit(model, again, *data(), epochs=EPOCHS, checkpoint_dir=str(tmp_path / "run"),
                  **SETTINGS)
    again.close()
    assert first.history["loss"] == straight["loss"][:2]
    assert resumed.history["loss"] == straight["loss"]
    assert sorted(name for name in os.listdir(tmp_path / "each") if name.endswith(".index")) == \
        ["w-1.index", "w-2.index"]
