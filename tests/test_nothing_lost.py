"""Nothing lost, round two (issue 24): tfcore never deletes a file it did not write.

Oracles: the user's own bytes, read back after tfcore met them (a rejected cache
copy must still hold every file, byte for byte), and the error messages, which
must name the line, file or place a user needs.
"""

import csv
import json
import os
import pathlib
import shutil

import numpy as np
import pytest

from tfcore.data import cache as cache_module
from tfcore.data.cache import DataNotFoundError, DataVerificationError
from tfcore.data.global_temp import load_global_temp


@pytest.fixture
def staged():
    path = os.environ.get("TFCORE_DATA")
    if not path or not (pathlib.Path(path) / "global-temp").is_dir():
        pytest.skip("the staged data directory (../shared/data or TFCORE_DATA) is not available")
    return pathlib.Path(path)


def copy_global_temp(staged, where):
    shutil.copytree(staged / "global-temp", where / "global-temp")
    for path in (where / "global-temp").rglob("*"):
        path.chmod(0o755 if path.is_dir() else 0o644)  # the staged copy is read-only
    return where / "global-temp"


def snapshot(directory):
    """{relative path: bytes} of every file under `directory`."""
    return {str(p.relative_to(directory)): p.read_bytes() for p in directory.rglob("*") if p.is_file()}


def damage_line_6(folder):
    monthly = folder / "data" / "monthly.csv"
    lines = monthly.read_text().splitlines(keepends=True)
    lines[5] = lines[5].rsplit(",", 1)[0] + ",5.2\n"  # an anomaly outside +-5 degrees: refused
    monthly.write_text("".join(lines))


def test_a_rejected_cache_copy_is_moved_aside_with_the_users_files_even_offline(
        staged, tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    cache.mkdir()
    folder = copy_global_temp(staged, cache)
    (folder / "MY_NOTES.txt").write_text("notes\n")
    damage_line_6(folder)
    before = snapshot(folder)
    monkeypatch.setenv("TFCORE_CACHE", str(cache))
    monkeypatch.setenv("TFCORE_OFFLINE", "1")
    monkeypatch.delenv("TFCORE_DATA", raising=False)
    with pytest.raises(DataNotFoundError) as err:
        load_global_temp()
    [kept] = [p for p in cache.iterdir()]
    assert kept.name.startswith("global-temp.rejected-")
    assert snapshot(kept) == before  # every file, the user's notes too, byte for byte
    assert str(kept) in str(err.value) and "line 6" in str(err.value)


def test_an_earlier_rejected_copy_is_never_overwritten(tmp_path, monkeypatch):
    frozen = cache_module.time.gmtime(0)  # both in the same second: the names must still differ
    monkeypatch.setattr(cache_module.time, "gmtime", lambda *args: frozen)
    first, second = tmp_path / "face.dat", tmp_path / "face.dat"
    first.write_bytes(b"one")
    a = cache_module._set_aside(first)
    second.write_bytes(b"two")
    b = cache_module._set_aside(second)
    assert a != b and a.read_bytes() == b"one" and b.read_bytes() == b"two"


def test_a_non_numeric_mean_is_refused_with_its_line_number(staged, tmp_path, monkeypatch):
    folder = copy_global_temp(staged, tmp_path)
    monthly = folder / "data" / "monthly.csv"
    lines = monthly.read_text().splitlines(keepends=True)
    lines[3] = lines[3].rsplit(",", 1)[0] + ",n/a\n"
    monthly.write_text("".join(lines))
    with pytest.raises(DataVerificationError, match=r"monthly.csv line 4 Mean is 'n/a', not a number"):
        load_global_temp(data_dir=tmp_path)


# ----------------------------------------------------------------------------- the command lines

def exit_of(main, argv, capsys):
    with pytest.raises(SystemExit) as raised:
        main(argv)
    return raised.value.code, capsys.readouterr().err


def test_models_all_with_an_abbreviated_out_is_a_usage_error_not_a_silent_runs_folder(
        tmp_path, capsys, monkeypatch):
    from models import __main__ as models_cli

    monkeypatch.chdir(tmp_path)
    status, err = exit_of(models_cli.main, ["all", "--ou", str(tmp_path / "mine"), "--quick"], capsys)
    assert status == 2 and "unrecognized arguments: --ou" in err
    assert os.listdir(tmp_path) == []  # no ./runs/, no DIR


@pytest.mark.parametrize("flag", ["--export", "--tensorboard"])
def test_export_and_tensorboard_paths_are_checked_before_training(tmp_path, capsys, flag):
    from models import mlp

    blocker = tmp_path / "a-file"
    blocker.write_text("mine\n")
    status, err = exit_of(mlp.main, ["--out", str(tmp_path / "run"), flag, str(blocker / "sub")], capsys)
    assert status == 2 and "argument %s" % flag in err
    assert not (tmp_path / "run").exists() and blocker.read_text() == "mine\n"


def test_an_example_that_does_not_train_says_it_ignores_epochs(tmp_path, capsys):
    from models import gradients

    gradients.main(["--epochs", "5", "--points", "3", "--out", str(tmp_path / "g")])
    assert "--epochs 5 is ignored: this example does not train" in capsys.readouterr().err


def test_inspect_picture_where_no_file_can_be_written_is_a_usage_error(tmp_path, capsys):
    from tfcore.inspect.__main__ import main as inspect_main

    blocker = tmp_path / "a-file"
    blocker.write_text("mine\n")
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)  # read-only (root may write there anyway: then only the first case runs)
    try:
        targets = [blocker / "m.png"] + ([locked / "m.png"] if not os.access(locked, os.W_OK) else [])
        for target in targets:
            status, err = exit_of(inspect_main, ["logistic_regression", "--picture", str(target)], capsys)
            assert status == 2 and "argument --picture" in err, target
    finally:
        locked.chmod(0o700)


def test_an_npy_header_declaring_a_huge_shape_is_refused_before_any_allocation(tmp_path):
    import io
    import zipfile

    import numpy as np

    from tfcore.data import mnist

    path = tmp_path / "mnist.npz"
    with zipfile.ZipFile(path, "w") as archive:
        for key, shape in mnist.SHAPES.items():
            member = io.BytesIO()
            if key == "x_train":  # a damaged header: 10**12 images, 100 bytes of data
                np.lib.format.write_array_header_1_0(member, {
                    "descr": "|u1", "fortran_order": False, "shape": (10**12,) + tuple(shape[1:])})
                member.write(b"\0" * 100)
            else:
                np.lib.format.write_array(member, np.zeros(shape, np.uint8))
            archive.writestr(key + ".npy", member.getvalue())
    with pytest.raises(DataVerificationError, match=r"array x_train declares shape \(1000000000000, 28, 28\)"):
        mnist.verify_mnist(path)


# ----------------------------------------------------------------------------- run folders

def run_mlp(out, *flags):
    from models import mlp

    return mlp.main(["--quick", "--epochs", "1", "--no-progress", "--out", str(out), *flags])


def test_fresh_refuses_a_linked_checkpoints_folder_and_keeps_the_users_hidden_tmp(tmp_path, capsys):
    from models import common

    out, elsewhere = tmp_path / "run", tmp_path / "elsewhere"
    run_mlp(out)
    # The user's own hidden *.tmp in checkpoints/ is not tfcore's: --fresh keeps it.
    (out / "checkpoints" / ".notes.tmp").write_text("mine")
    (out / "checkpoints" / ".checkpoint.abc123.tmp").write_text("tfcore's, left by a kill")
    run_mlp(out, "--fresh")
    assert (out / "checkpoints" / ".notes.tmp").read_text() == "mine"
    assert not (out / "checkpoints" / ".checkpoint.abc123.tmp").exists()
    # A checkpoints folder that is a link elsewhere: --fresh refuses and deletes nothing there.
    shutil.move(str(out / "checkpoints"), str(elsewhere))
    (out / "checkpoints").symlink_to(elsewhere)
    before = snapshot(elsewhere)
    with pytest.raises(SystemExit) as raised:
        run_mlp(out, "--fresh")
    assert raised.value.code == 2 and "is a link to %s" % elsewhere in capsys.readouterr().err
    assert snapshot(elsewhere) == before
    common.remove_tfcore_files(out, None)  # called directly, it does not follow the link either
    assert snapshot(elsewhere) == before


def test_a_damaged_manifest_beside_checkpoints_refuses_to_resume(tmp_path, capsys):
    out = tmp_path / "run"
    run_mlp(out)
    (out / "tfcore-run.json").write_text('{"example": "mlp", "sett')  # cut short
    with pytest.raises(SystemExit) as raised:
        run_mlp(out, "--learning-rate", "0.5", "--epochs", "2")
    err = capsys.readouterr().err
    assert raised.value.code == 2 and "tfcore-run.json is damaged" in err and "missing" not in err
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["settings"]["learning_rate"] == 0.025  # the run's record is the first run's
    run_mlp(out, "--learning-rate", "0.5", "--fresh")  # the way out the message names works
    assert json.loads((out / "metrics.json").read_text())["settings"]["learning_rate"] == 0.5


# ----------------------------------------------------------------------------- fit's resume

def test_rerunning_a_run_early_stopping_ended_trains_no_more_epochs(tmp_path):
    from tests.test_callbacks import early_stopping, train

    first, first_weights = train([early_stopping()], checkpoint_dir=str(tmp_path))
    assert len(first.epoch) < 30  # EarlyStopping ended it (oracle: the same run's History)
    with pytest.warns(UserWarning, match="stopped by a callback .* no epoch is trained"):
        again, again_weights = train([early_stopping()], checkpoint_dir=str(tmp_path))
    assert again.epoch == first.epoch and again.history == first.history
    for got, expected in zip(again_weights, first_weights):
        np.testing.assert_array_equal(got, expected)


def test_a_csv_logger_appending_after_a_kill_before_the_checkpoint_writes_each_epoch_once(
        tmp_path, monkeypatch):
    from tests.test_callbacks import train
    from tfcore import callbacks, train as train_module

    log, ckpt = tmp_path / "log.csv", str(tmp_path / "ckpt")
    save = train_module._save

    def killed_at_the_third_save(model, session, directory, epoch, *rest):
        if epoch == 2:
            raise KeyboardInterrupt  # after epoch 3's callbacks (its CSV row), before its checkpoint
        save(model, session, directory, epoch, *rest)

    monkeypatch.setattr(train_module, "_save", killed_at_the_third_save)
    with pytest.raises(KeyboardInterrupt):
        train([callbacks.CSVLogger(log, append=True)], epochs=5, checkpoint_dir=ckpt)
    monkeypatch.setattr(train_module, "_save", save)
    history, _ = train([callbacks.CSVLogger(log, append=True)], epochs=5, checkpoint_dir=ckpt)
    with open(log, newline="") as f:
        rows = list(csv.DictReader(f))
    assert [int(r["epoch"]) for r in rows] == [0, 1, 2, 3, 4]
    np.testing.assert_allclose([float(r["loss"]) for r in rows], history.history["loss"], rtol=1e-6)


def test_a_learning_rate_changed_in_the_builder_is_not_silently_replaced_on_resume(tmp_path):
    from tests.test_callbacks import train
    from tests.test_train import build_regression
    from tfcore import callbacks
    from tfcore.optimizers import SGD

    train([], epochs=2, checkpoint_dir=str(tmp_path), model=build_regression(hidden=4, optimizer=SGD(0.3)))
    seen = []
    watch = callbacks.LambdaCallback(
        on_epoch_end=lambda epoch, logs: seen.append(watch.model.get_learning_rate(watch.session)))
    with pytest.warns(UserWarning, match=r"built with learning rate\(s\) \[0.1.*built with \[0.3.*"
                                         r"goes on with the checkpoint's value\(s\) \[0.3"):
        train([watch], epochs=3, checkpoint_dir=str(tmp_path),
              model=build_regression(hidden=4, optimizer=SGD(0.1)))
    assert seen == [pytest.approx(0.3)]  # the documented rule: the checkpoint's value goes on


def test_a_full_disk_ends_in_one_line_naming_the_file_and_keeps_every_earlier_file(
        tmp_path, monkeypatch, capsys):
    import errno
    import sys

    from models import common, mlp

    out = tmp_path / "run"
    run_mlp(out)
    before = snapshot(out)
    real_fsync = os.fsync

    def full(fd):  # fault injection: the disk fills up as tfcore writes its next file
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "fsync", full)
    monkeypatch.setattr(sys, "argv", ["mlp", "--quick", "--epochs", "2", "--no-progress", "--out", str(out)])
    with pytest.raises(SystemExit) as raised:
        common.cli(mlp.main)
    monkeypatch.setattr(os, "fsync", real_fsync)
    message = str(raised.value.code)
    assert message.startswith("error: the disk is full: ") and "\n" not in message
    assert str(out / "tfcore-run.json") in message and "kept unchanged" in message
    after = snapshot(out)
    assert {k: v for k, v in after.items() if k != ".tfcore.lock"} == \
        {k: v for k, v in before.items() if k != ".tfcore.lock"}  # nothing lost, no temporary left
