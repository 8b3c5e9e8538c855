"""Callbacks: code `fit` runs at fixed moments of training, with Keras 2's names and semantics.

`fit` calls each callback's hooks in this order (`logs` is a dict of floats):

    on_train_begin(logs)
    for epoch in range(initial_epoch, epochs):
        on_epoch_begin(epoch, logs)
        for each session run (one batch, or a group of N with steps_per_run=N):
            on_train_batch_begin(batch, logs)
            ... the training step(s) ...
            on_train_batch_end(batch, logs)        logs: loss and metrics, running means
        on_epoch_end(epoch, logs)                  logs: loss, metrics, val_*, and lr
        (History records logs, the checkpoint saves weights and callback state)
        stop if a callback set model.stop_training
    on_train_end(logs)

A callback reaches the run through three attributes, set by `fit` before
`on_train_begin`: `self.model` (the `tfcore.train.TrainGraph`: its graph,
tensors, `stop_training` flag, `get_weights`/`set_weights` and
`get_learning_rate`/`set_learning_rate`), `self.session` and `self.params`
(`epochs`, `steps` per epoch, `batch_size`, `steps_per_run`, `checkpoint_dir`,
`verbose`).

With `steps_per_run=N`, N batches train in one session run, so the batch hooks
run once per group, as Keras 2 does with `steps_per_execution`: `batch` is the
group's first batch index in `on_train_batch_begin` and its last in
`on_train_batch_end`. `fit` calls the batch hooks only if some callback
overrides them: a hook per batch costs time a small model's step does not have.

**Exact resume.** A callback whose decisions depend on earlier epochs
(EarlyStopping's patience, ReduceLROnPlateau's cooldown, ModelCheckpoint's
best value and count of batches) returns that memory from `get_state()` as a
JSON-able dict; `fit` saves it with every checkpoint and hands it back through
`set_state(state)` after `on_train_begin` when it resumes, so a resumed run
makes the same decisions, at the same epochs, as an uninterrupted one. (Keras 2 has no such
hook: its callbacks start over after a restart.)

Where they live: base.py (Callback, CallbackList, the monitored metric), decisions.py
(EarlyStopping, ReduceLROnPlateau, LearningRateScheduler, TerminateOnNaN, LambdaCallback),
writers.py (CSVLogger, ModelCheckpoint, TensorBoard).
"""

from tfcore.callbacks.base import Callback, CallbackList, Logs, overrides
from tfcore.callbacks.decisions import (EarlyStopping, LambdaCallback, LearningRateScheduler,
                                        ReduceLROnPlateau, TerminateOnNaN)
from tfcore.callbacks.writers import CSVLogger, ModelCheckpoint, TensorBoard

__all__ = ['Callback', 'CallbackList', 'overrides', 'Logs', 'EarlyStopping', 'ReduceLROnPlateau', 'LearningRateScheduler', 'TerminateOnNaN', 'LambdaCallback', 'CSVLogger', 'ModelCheckpoint', 'TensorBoard']
