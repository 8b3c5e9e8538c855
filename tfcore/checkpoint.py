"""Checkpoints: save a training run after each epoch, resume it exactly.

A run is fully described by two things, written side by side in one directory:

* **the graph's state**, every global variable: weights, optimizer slots and
  step counter (Adam's `m`, `v`, `iterations`), the carried state of stateful
  RNNs, dropout mask counters, and the run's `epoch` counter. A
  `tf.compat.v1.train.Saver` writes them as `ckpt-<epoch>.index/.data-*` and
  keeps the file `checkpoint` pointing at the latest (no `.meta` graph: the
  builder's code rebuilds the graph, then the values are loaded into it);
* **the run's bookkeeping**, which is not a tensor: the History so far and the
  shuffling seed, as JSON in `train_state.json`.

Restoring both into a freshly built copy of the same graph puts the run back
where it stopped: the next epoch sees the same weights, the same optimizer
state, the same dropout masks and (because the shuffle order is a function of
`(seed, epoch)`) the same batches as an uninterrupted run.

Ordering makes a crash between the two writes harmless: the JSON is written
first (atomically, by renaming a temporary file), then the checkpoint. The JSON
can therefore only be *ahead* of the checkpoint, and on restore it is cut back
to the epoch counter read from the checkpoint.

The functions take a `tfcore.train.TrainGraph` (anything with `saver`,
`epoch_variable` and `set_epoch(session, n)`).
"""

import json
import os

import tensorflow as tf

STATE_FILE = "train_state.json"
PREFIX = "ckpt"


def latest(directory):
    """Path prefix of the newest checkpoint in `directory`, or None if there is none."""
    if not directory or not os.path.isdir(directory):
        return None
    return tf.train.latest_checkpoint(directory)


def save(model, session, directory, epoch, state):
    """Save the graph's variables and `state` (a JSON-able dict) as epoch `epoch`.

    `epoch` is the number of completed epochs; it is stored in the graph's
    `epoch` variable too, so the checkpoint alone says where the run stands.
    Returns the checkpoint's path prefix.
    """
    os.makedirs(directory, exist_ok=True)
    state = dict(state, epoch=int(epoch))
    state_path = os.path.join(directory, STATE_FILE)
    temporary = state_path + ".tmp"
    with open(temporary, "w") as f:
        json.dump(state, f, indent=1)
    os.replace(temporary, state_path)  # atomic: never a half-written state file
    model.set_epoch(session, epoch)
    return model.saver.save(session, os.path.join(directory, PREFIX), global_step=int(epoch),
                            write_meta_graph=False)


def restore(model, session, directory, checkpoint=None):
    """Load the newest (or the given) checkpoint of `directory` into `session`.

    Returns the saved state dict with its `epoch` set from the checkpoint and
    every per-epoch list cut to that many entries, or None when `directory`
    holds no checkpoint.

    Raises:
      ValueError: the state file is missing or records fewer epochs than the
        checkpoint (the directory was edited by hand or mixes two runs).
    """
    checkpoint = checkpoint or latest(directory)
    if checkpoint is None:
        return None
    model.saver.restore(session, checkpoint)
    epoch = int(session.run(model.epoch_variable))
    state_path = os.path.join(directory, STATE_FILE)
    if not os.path.exists(state_path):
        raise ValueError(
            "checkpoint.restore: %s has a checkpoint (%s) but no %s; cannot resume "
            "its history. Remove the directory to start afresh."
            % (directory, os.path.basename(checkpoint), STATE_FILE)
        )
    with open(state_path) as f:
        state = json.load(f)
    if int(state.get("epoch", 0)) < epoch:
        raise ValueError(
            "checkpoint.restore: %s records %d epochs but the checkpoint %s is at epoch %d; "
            "the directory mixes two runs. Remove it to start afresh."
            % (state_path, state.get("epoch", 0), os.path.basename(checkpoint), epoch)
        )
    state["epoch"] = epoch
    state["history"] = {k: v[:epoch] for k, v in state.get("history", {}).items()}
    state["epoch_times"] = state.get("epoch_times", [])[:epoch]
    return state
