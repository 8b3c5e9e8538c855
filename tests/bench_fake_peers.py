"""Fake benchmark peers for tests/test_benchmarks_isolation.py, run in a child process by
benchmarks/isolated.py: one that works (NumPy matmuls, timed), and ones that segfault, abort,
hang or raise at a chosen call. No PyTorch or TensorFlow is imported here."""

import ctypes
import os
import time

import numpy as np

POOL = []  # buffers kept across peers of one process (Peer's `pooled`)


def quiet(*args, **kwargs):
    """A `say` that prints nothing (the harness's progress lines)."""


def small_params(**options):
    """The smallest real run's parameters (logistic regression, 2 rounds of 2 steps, no peer)."""
    from benchmarks.params import make_params

    defaults = dict(model="logistic_regression", device="cpu", warmup=1, steps=2, rounds=2,
                    peer="none", json="", markdown="", plot="", peak_size=128, epoch=False,
                    memory=False)
    defaults.update(options)
    return make_params(**defaults)


def _misbehave(behaviour):
    if behaviour == "segfault":
        ctypes.string_at(0)  # reads address 0: SIGSEGV, as libtriton's crash
    elif behaviour == "abort":
        os.abort()
    elif behaviour == "hang":
        time.sleep(3600)
    elif behaviour == "raise":
        raise ValueError("boom")


class Peer:
    """Times a small matmul per step; misbehaves (`behaviour`) in the call named `at`."""

    framework, paths, forward_only = "fake", ("step", "loop"), False

    def __init__(self, name, device, batch_size, behaviour=None, at="first_step", allocate_mb=0,
                 pooled=False, **unused):
        if isinstance(allocate_mb, dict):  # MiB per step for each model name
            allocate_mb = allocate_mb.get(name, 0)
        self.batch_size, self.behaviour, self.at, self.allocate_mb = batch_size, behaviour, at, allocate_mb
        self.build_seconds = 0.001
        # pooled: like an allocator that keeps what it once held, the buffers outlive the
        # peer (a module-level pool) and a later peer in the same process reuses them.
        self.kept = POOL if pooled else []
        self.steps = 0
        if at == "__init__":
            _misbehave(behaviour)

    def _check(self, call):
        if call == self.at:
            _misbehave(self.behaviour)

    def _steps(self, steps):
        times = []
        a = np.ones((64, 64), np.float32)
        for _ in range(steps):
            began = time.perf_counter()
            a @ a
            times.append(time.perf_counter() - began)
        return times

    def first_step(self, x, y):
        self._check("first_step")
        return 0.01

    def step_once(self, xb, yb):
        self._check("step_once")
        if self.allocate_mb and len(self.kept) <= self.steps:  # touched pages the probe must see
            self.kept.append(np.ones(self.allocate_mb * 2 ** 20, np.uint8))
        self.steps += 1

    def time_train_on_batch(self, x, y, steps):
        self._check("time_train_on_batch")
        return self._steps(steps)

    def time_fit(self, x, y, steps):
        self._check("time_fit")
        times = self._steps(steps)
        return times, sum(times)

    def time_epoch(self, x, y):
        self._check("time_epoch")
        return sum(self._steps(4))
