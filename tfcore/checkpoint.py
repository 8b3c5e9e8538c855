"""Checkpoints: save a training run after each epoch, resume it exactly, survive damage.

A run is fully described by two things, written side by side in one directory:

* **the graph's state**, every global variable: weights, optimizer slots and
  step counter (Adam's `m`, `v`, `iterations`), the carried state of stateful
  RNNs, dropout mask counters, and the run's `epoch` counter. A
  `tf.compat.v1.train.Saver` writes them as `ckpt-<epoch>.index/.data-*` and
  keeps the file `checkpoint` pointing at the latest (no `.meta` graph: the
  builder's code rebuilds the graph, then the values are loaded into it);
* **the run's bookkeeping**, which is not a tensor: the History so far and the
  shuffling seed, as JSON in `ckpt-<epoch>.json`, one file per checkpoint.
  `train_state.json` is a copy of the newest one, for people and older tfcore.

Restoring both into a freshly built copy of the same graph puts the run back
where it stopped: the next epoch sees the same weights, the same optimizer
state, the same dropout masks and (because the shuffle order is a function of
`(seed, epoch)`) the same batches as an uninterrupted run.

Damage (a disk filling up, a copy cut short, a kill -9 in the middle of a
write) must never lose a run silently. So:

* every file is written under a temporary name unique to the process, then
  renamed (atomic): a file is either whole or absent. The bookkeeping is
  written before the checkpoint, so a checkpoint never lacks its bookkeeping;
* the candidates are the `ckpt-<N>.index` files found on disk, newest first,
  not what the `checkpoint` index file says (it may be damaged or behind);
* each candidate is verified while it is restored: the Saver checks every
  tensor's CRC32C, the epoch variable must equal N, and its bookkeeping must
  parse and cover N epochs. A damaged one is skipped with a warning naming
  the file, and the next older one is tried;
* after a restore, the `checkpoint` index file and `train_state.json` are
  rebuilt from the checkpoint that was used;
* when no checkpoint is intact, `CheckpointError` lists every file and why,
  and what the user can do. A checkpoint written by a *different* model (other
  variable names or shapes) is not damage: it is refused at once, never skipped.

The functions take a `tfcore.train.TrainGraph` (anything with `saver`,
`variables`, `epoch_variable` and `set_epoch(session, n)`).
"""

import atexit
import errno
import fcntl
import json
import os
import re
import tempfile
import warnings

import tensorflow as tf

STATE_FILE = "train_state.json"
INDEX_FILE = "checkpoint"
LOCK_FILE = ".tfcore.lock"
PREFIX = "ckpt"
_NUMBERED = re.compile(r"^%s-(\d+)\.index$" % PREFIX)
_LOCKS = {}  # resolved directory -> the open lock file this process holds


class CheckpointError(ValueError):
    """No intact checkpoint to resume from, or one written by another model."""


class CheckpointWarning(UserWarning):
    """A damaged checkpoint was skipped; an older one is used."""


class DiskFull(OSError):
    """A write failed for lack of space (ENOSPC, EDQUOT); the file it would have replaced is intact."""

    def __str__(self):
        return ("the disk is full: %s could not be written (%s). Every file written before is kept "
                "unchanged (each is replaced only once its new version is complete), so a run "
                "resumes from its last checkpoint once space is freed" % (self.filename, self.strerror))


_FULL = (errno.ENOSPC, errno.EDQUOT)


class DirectoryInUse(CheckpointError):
    """Another process holds the directory's lock (it is training there now)."""


def lock(directory):
    """Hold an exclusive fcntl lock on `directory` for the rest of this process's life.

    One run at a time: a second process gets DirectoryInUse at once, naming the
    directory and the holder's PID (written in `.tfcore.lock`). The OS releases
    the lock when the holder ends, even by kill -9. Locking again from the same
    process is a no-op.
    """
    os.makedirs(directory, exist_ok=True)
    key = os.path.realpath(directory)
    if key in _LOCKS:
        return
    handle = open(os.path.join(directory, LOCK_FILE), "a+")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        handle.seek(0)
        holder = handle.read().strip() or "unknown"
        handle.close()
        raise DirectoryInUse("%s is in use by another run (process %s); wait for it to end, "
                             "or use another directory" % (directory, holder)) from None
    handle.seek(0)
    handle.truncate()
    handle.write("%d\n" % os.getpid())
    handle.flush()
    if not _LOCKS:
        atexit.register(_release_all)
    _LOCKS[key] = handle


def _release_all():
    """Close the lock files at exit (the OS would release the locks anyway)."""
    while _LOCKS:
        _LOCKS.popitem()[1].close()


def write_atomically(path, text):
    """Write `text` to `path` through a temporary file unique to this process, then rename.

    A reader (or a run killed half-way) sees the old file or the new one, never a
    mix; two processes never write to the same temporary file.
    """
    directory = os.path.dirname(os.path.abspath(path))
    handle, temporary = tempfile.mkstemp(prefix="." + os.path.basename(path) + ".",
                                         suffix=".tmp", dir=directory)
    try:
        with os.fdopen(handle, "w") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(temporary, path)
    except BaseException as err:
        if os.path.exists(temporary):
            os.remove(temporary)
        if isinstance(err, OSError) and err.errno in _FULL:
            raise DiskFull(err.errno, os.strerror(err.errno), path) from None
        raise


def on_disk(directory):
    """Path prefixes of the checkpoints in `directory`, newest epoch first (by their .index)."""
    if not directory or not os.path.isdir(directory):
        return []
    found = []
    for name in os.listdir(directory):
        match = _NUMBERED.match(name)
        if match:
            found.append((int(match.group(1)), os.path.join(directory, name[:-len(".index")])))
    return [prefix for _, prefix in sorted(found, reverse=True)]


def latest(directory):
    """Path prefix of the newest checkpoint in `directory`, or None if there is none.

    The `checkpoint` index file is trusted only when it names a checkpoint that
    exists; otherwise (missing, damaged) the newest `.index` on disk is the answer.
    """
    if not directory or not os.path.isdir(directory):
        return None
    try:
        named = tf.train.latest_checkpoint(directory)
    except (tf.errors.OpError, ValueError):
        named = None
    if named and os.path.exists(named + ".index"):
        return named
    found = on_disk(directory)
    return found[0] if found else None


def bookkeeping_path(prefix):
    """`ckpt-<N>.json`: the History and seed that go with checkpoint `ckpt-<N>`."""
    return prefix + ".json"


def save(model, session, directory, epoch, state):
    """Save the graph's variables and `state` (a JSON-able dict) as epoch `epoch`.

    `epoch` is the number of completed epochs; it is stored in the graph's
    `epoch` variable too, so the checkpoint alone says where the run stands.
    Returns the checkpoint's path prefix.
    """
    lock(directory)
    text = json.dumps(dict(state, epoch=int(epoch)), indent=1)
    prefix = os.path.join(directory, "%s-%d" % (PREFIX, int(epoch)))
    # Bookkeeping first: a checkpoint on disk always has its JSON beside it.
    write_atomically(bookkeeping_path(prefix), text)
    model.set_epoch(session, epoch)
    # In the session's graph: outside any graph TensorFlow 2 is eager, and the v1 Saver would
    # try to rebuild its ops eagerly (a session made without `with` leaves no graph current).
    try:
        with session.graph.as_default():
            saved = model.saver.save(session, os.path.join(directory, PREFIX), global_step=int(epoch),
                                     write_meta_graph=False)
    except tf.errors.OpError as err:  # TensorFlow's own file system reports a full disk as text
        if "No space left on device" in str(err) or "Disk quota exceeded" in str(err):
            raise DiskFull(errno.ENOSPC, os.strerror(errno.ENOSPC), prefix + ".data-*") from None
        raise
    write_atomically(os.path.join(directory, STATE_FILE), text)
    _remove_orphan_bookkeeping(directory)
    return saved


def _remove_orphan_bookkeeping(directory):
    """Delete the `ckpt-<N>.json` whose checkpoint the Saver removed (max_to_keep)."""
    for name in os.listdir(directory):
        if re.match(r"^%s-\d+\.json$" % PREFIX, name) and \
                not os.path.exists(os.path.join(directory, name[:-len(".json")] + ".index")):
            os.remove(os.path.join(directory, name))


def restore(model, session, directory, checkpoint=None):
    """Load the newest intact (or the given) checkpoint of `directory` into `session`.

    Returns the saved state dict with its `epoch` set from the checkpoint and
    every per-epoch list cut to that many entries, or None when `directory`
    holds no checkpoint. A damaged checkpoint is skipped with a
    `CheckpointWarning` naming the file (not when `checkpoint` is given: that
    one must be intact).

    Raises:
      CheckpointError: no checkpoint is intact (the message lists each file and
        what is wrong with it), or the checkpoints belong to a different model.
    """
    if directory and os.path.isdir(directory):
        lock(directory)
    candidates = [checkpoint] if checkpoint else on_disk(directory)
    if not candidates:
        _refuse_orphan_data(directory)
        return None
    damaged = []
    for prefix in candidates:
        try:
            state = _restore_one(model, session, directory, prefix)
        except _Damaged as err:
            damaged.append(str(err))
            if not checkpoint:
                warnings.warn("checkpoint.restore: skipped the damaged checkpoint %s; "
                              "trying an older one" % err, CheckpointWarning, stacklevel=2)
            continue
        if not checkpoint:
            _rebuild_index(model, directory, prefix, candidates, damaged)
        return state
    raise CheckpointError(
        "checkpoint.restore: no intact checkpoint in %s:\n  %s\nChoose: restore the files from "
        "a backup; start afresh (models: --fresh, which removes only the files tfcore wrote; "
        "or another --out); or pass checkpoint= to load one file by hand."
        % (directory, "\n  ".join(damaged)))


def _refuse_orphan_data(directory):
    """Data files of a later epoch without any .index: refuse to restart over them silently.

    A kill during the very first save may leave epoch 1's data without its index:
    starting again rewrites exactly that epoch, so nothing is lost.
    """
    if not directory or not os.path.isdir(directory):
        return
    orphans = sorted(n for n in os.listdir(directory)
                     if re.match(r"^%s-(\d+)\.data-" % PREFIX, n) and int(n.split("-")[1].split(".")[0]) > 1)
    if orphans:
        raise CheckpointError(
            "checkpoint.restore: %s holds checkpoint data without any .index file (%s); starting "
            "at epoch 1 would train over them. Restore the .index files from a backup, or start "
            "afresh (models: --fresh, or another --out; or remove them)." % (directory, ", ".join(orphans)))


class _Damaged(Exception):
    """One checkpoint failed verification; the message names the file and the reason."""


def _check_same_model(model, prefix, saved):
    """Refuse a checkpoint whose variables (`saved`: name -> shape) are not the model's."""
    wanted = {v.op.name: v.shape.as_list() for v in model.variables}
    missing = sorted(set(wanted) - set(saved))
    reshaped = sorted(k for k in set(wanted) & set(saved) if list(saved[k]) != wanted[k])
    if missing or reshaped:
        raise CheckpointError(
            "checkpoint.restore: %s was written by a different model: %s. Resume it with the "
            "model and settings that wrote it, or start afresh (models: --fresh or another --out)."
            % (prefix, "; ".join(filter(None, [
                missing and "missing variables %s" % ", ".join(missing[:5]),
                reshaped and "other shapes for %s" % ", ".join(
                    "%s %s (saved %s)" % (k, wanted[k], list(saved[k])) for k in reshaped[:5])]))))


def _restore_one(model, session, directory, prefix):
    """Restore `prefix` (verifying every tensor's checksum) and read its bookkeeping."""
    name = os.path.basename(prefix)
    try:
        saved = tf.train.load_checkpoint(prefix).get_variable_to_shape_map()
    except Exception as err:  # the reader raises OpError, but also IndexError and others
        raise _Damaged("%s.index (%s)" % (prefix, _first_line(err))) from None
    _check_same_model(model, prefix, saved)
    try:
        with session.graph.as_default():  # as in `save`
            model.saver.restore(session, prefix)  # CRC32C of every tensor is checked while read
    except (tf.errors.OpError, ValueError) as err:
        raise _Damaged("%s (%s)" % (_damaged_file(prefix), _first_line(err))) from None
    epoch = int(session.run(model.epoch_variable))
    match = re.search(r"-(\d+)$", name)
    if match and int(match.group(1)) != epoch:
        raise _Damaged("%s.index (it holds epoch %d, its name says %s)" % (prefix, epoch, match.group(1)))
    try:
        state = _bookkeeping(directory, prefix, epoch)
    except _Damaged:
        if not getattr(model, "bookkeeping_optional", False):
            raise
        state = {}  # a model whose checkpoints need none (the cluster's; older ones have none)
    state["epoch"] = epoch
    state["history"] = {k: v[:epoch] for k, v in state.get("history", {}).items()}
    state["epoch_times"] = state.get("epoch_times", [])[:epoch]
    return state


def _bookkeeping(directory, prefix, epoch):
    """The JSON of checkpoint `prefix`: its own file, else a train_state.json at least as new."""
    problems = []
    for path in (bookkeeping_path(prefix), os.path.join(directory or "", STATE_FILE)):
        try:
            with open(path) as f:
                state = json.load(f)
        except FileNotFoundError:
            problems.append("%s is missing" % os.path.basename(path))
            continue
        except (OSError, ValueError) as err:
            problems.append("%s is unreadable (%s)" % (path, _first_line(err)))
            continue
        if not isinstance(state, dict) or not isinstance(state.get("epoch"), int):
            problems.append("%s has no epoch count" % path)
        elif state["epoch"] < epoch:
            problems.append("%s records %d epochs, the checkpoint %d" % (path, state["epoch"], epoch))
        elif any(len(v) < epoch for v in state.get("history", {}).values()):
            problems.append("%s holds a history shorter than %d epochs" % (path, epoch))
        else:
            return state
    raise _Damaged("%s (no bookkeeping for it: %s)" % (bookkeeping_path(prefix), "; ".join(problems)))


def _damaged_file(prefix):
    """The file of a checkpoint most likely at fault: a missing or empty one, else its data."""
    directory = os.path.dirname(prefix) or "."
    base = os.path.basename(prefix)
    files = sorted(os.path.join(directory, n) for n in os.listdir(directory)
                   if n.startswith(base + ".data-") or n == base + ".index")
    if len(files) < 2:
        return "%s.data-* (missing)" % prefix
    empty = [f for f in files if os.path.getsize(f) == 0]
    return (empty or [f for f in files if ".data-" in f] or files)[0]


def _rebuild_index(model, directory, used, candidates, damaged):
    """Point the `checkpoint` index file and train_state.json at the checkpoint that was used.

    The Saver is told about the intact older checkpoints so that `max_to_keep`
    keeps counting them; the damaged newer ones are overwritten when their epoch
    is saved again.
    """
    kept = [p for p in reversed(candidates[candidates.index(used):])]
    names = [os.path.basename(p) for p in kept]
    state_text = json.dumps(_read_json(bookkeeping_path(used)) or {}, indent=1)
    if latest_named(directory) != used:
        write_atomically(os.path.join(directory, INDEX_FILE), "".join(
            ['model_checkpoint_path: "%s"\n' % names[-1]] +
            ['all_model_checkpoint_paths: "%s"\n' % n for n in names]))
    if damaged or _read_json(os.path.join(directory, STATE_FILE)) is None:
        if _read_json(bookkeeping_path(used)) is not None:
            write_atomically(os.path.join(directory, STATE_FILE), state_text)
    model.saver.recover_last_checkpoints(kept)


def latest_named(directory):
    """What the `checkpoint` index file names as newest, or None if it is missing or damaged."""
    try:
        named = tf.train.latest_checkpoint(directory)
    except (tf.errors.OpError, ValueError):
        return None
    return os.path.normpath(named) if named else None


def _read_json(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def _first_line(err):
    lines = [line for line in str(err).strip().splitlines() if line.strip()]
    detail = [line for line in lines if "Checksum" in line or "corrupt" in line or "Read less" in line
              or "not an sstable" in line or "Unable to read" in line]
    return (detail or lines or [type(err).__name__])[0].strip()[:200]
