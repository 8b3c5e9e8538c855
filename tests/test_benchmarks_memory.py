"""The memory probes of the benchmark (benchmarks/memory.py): one probe process per runtime
imports its frameworks once and forks a fresh child per (model, framework), so a model's figure
never sees what another model left behind; a child that crashes, hangs or raises is that row's
"unavailable: why", and the next child is measured; the run measures memory by default, after
the timing, with the same method for every framework (`--no-memory` skips it).

The probed peers are fakes (tests/bench_fake_peers.py) that touch a known number of MiB, except
for one run of tfcore's real probe."""

import numpy as np
import pytest

from benchmarks import harness, memory
from benchmarks.params import make_params, parse

FAKE = {"fake": ("tests.bench_fake_peers", "fake", {})}
MiB = 2 ** 20
pytestmark = pytest.mark.skipif(not memory.FORKS, reason="the forked probes need Linux's fork "
                                                         "and /proc/self/clear_refs")


def params_for(**options):
    defaults = dict(model="mlp", device="cpu", warmup=1, steps=2, rounds=1, peer="none", json="",
                    markdown="", plot="", peak_size=128, epoch=False)
    defaults.update(options)
    return make_params(**defaults)


STEPS = [(None, None)] * 3


def test_each_model_is_measured_in_a_fresh_child_even_where_an_allocator_keeps_its_memory():
    params = params_for(peer_timeout=60)
    probe = memory.ProbeProcess(FAKE, timeout=60)
    try:
        # The fake keeps its buffers in a module-level pool that a later peer of the same
        # process reuses, as an allocator keeps what it once held: in one process the
        # second model would touch no new page. Each child starts from the probe process.
        first = probe.measure("fake", "mlp", "/device:CPU:0", params, STEPS, allocate_mb=64, pooled=True)
        second = probe.measure("fake", "mlp", "/device:CPU:0", params, STEPS, allocate_mb=64, pooled=True)
        small = probe.measure("fake", "mlp", "/device:CPU:0", params, STEPS[:2], allocate_mb=16)
    finally:
        probe.close()
    # Oracle: the touched arrays (3 x 64 MiB, then 2 x 16 MiB) and a little interpreter around them.
    for doc in (first, second):
        assert 3 * 64 * MiB <= doc["peak_bytes"] < 3 * 64 * MiB + 32 * MiB, doc
        assert "VmHWM" in doc["method"]
    assert 2 * 16 * MiB <= small["peak_bytes"] < 2 * 16 * MiB + 32 * MiB, small


def test_a_child_that_crashes_hangs_or_raises_is_unavailable_and_the_next_is_measured():
    params = params_for()
    probe = memory.ProbeProcess(FAKE, timeout=3)
    try:
        crashed = probe.measure("fake", "mlp", "/device:CPU:0", params, STEPS, behaviour="segfault",
                                at="step_once")
        raised = probe.measure("fake", "mlp", "/device:CPU:0", params, STEPS, behaviour="raise",
                               at="__init__")
        hung = probe.measure("fake", "mlp", "/device:CPU:0", params, STEPS, behaviour="hang",
                             at="step_once")
        fine = probe.measure("fake", "mlp", "/device:CPU:0", params, STEPS, allocate_mb=8)
        assert probe.alive  # the probe process itself never failed
    finally:
        probe.close()
    assert crashed == {"unavailable": "its process was killed by SIGSEGV"}
    assert raised == {"unavailable": "raised ValueError: boom"}
    assert hung == {"unavailable": "no answer within 3 s (--peer-timeout); stopped"}
    assert 3 * 8 * MiB <= fine["peak_bytes"] < 3 * 8 * MiB + 32 * MiB


def fake_data(name, rows, params):
    return np.zeros((rows, 3), np.float32), np.zeros((rows, 1), np.float32)


@pytest.mark.parametrize("forks", [True, False])
def test_attach_gives_every_row_its_frameworks_figure_or_why_not(monkeypatch, forks):
    # forks=False is the fallback where there is no fork: a new process per (model, framework).
    monkeypatch.setattr(memory, "PROBES", dict(FAKE, other=("tests.bench_fake_peers", "fake", {})))
    monkeypatch.setattr(memory, "FORKS", forks)
    sizes = {"mlp": 8, "logistic_regression": 24}  # MiB per step of the "fake" framework
    monkeypatch.setattr(memory, "options", lambda framework, params: dict(
        allocate_mb=sizes if framework == "fake" else 0))
    entries = [{"model": m, "framework": f} for m in sizes for f in ("fake", "other", "nobody")]
    params = params_for(model="mlp,logistic_regression")
    memory.attach(entries, "/device:CPU:0", params, fake_data)
    for e in entries:
        if e["framework"] == "nobody":
            assert e["memory"] == {"unavailable": "no memory probe for nobody"}
            continue
        # Oracle: warm-up 1 + min(--steps 2, 3) = 3 steps, each touching its MiB.
        low = 3 * sizes[e["model"]] * MiB if e["framework"] == "fake" else 0
        assert low <= e["memory"]["peak_bytes"] < low + 32 * MiB, e
        assert e["memory"]["per_sample_bytes"] == e["memory"]["peak_bytes"] / params.batch_for(e["model"])


def test_memory_is_measured_by_default_and_no_memory_skips_it():
    assert parse([]).memory is True
    assert parse(["--no-memory"]).memory is False
    assert parse(["--memory"]).memory is True  # the former opt-in spelling: the default now
    assert make_params().memory is True


def test_a_run_measures_tfcores_real_step_after_its_timing():
    params = params_for(model="mnist_cnn", batch_size=64)
    said = []
    doc = harness.run(params, say=said.append)
    (entry,) = doc["results"]
    peak = entry["memory"]["peak_bytes"]
    # Oracle, a lower bound: what the step must hold at once. The input batch (64x28x28x1) is
    # in the process before the baseline, but the activations of conv2d_1 (64x28x28x16 floats)
    # and their gradient coexist in the backward pass, with the weights and Adam's two slots.
    activations = 2 * 64 * 28 * 28 * 16 * 4
    assert activations < peak < 1024 * MiB, entry["memory"]
    assert entry["memory"]["per_sample_bytes"] == peak / 64
    assert any("peak host memory per step measured" in line for line in said)


def _peak_after_fork(path, again):
    """In a child forked from here: the peak of reading every page of the mmapped `path` again."""
    import mmap
    import os
    import pickle

    from benchmarks.isolated import MemoryBaseline

    with open(path, "rb") as f:
        mapped = mmap.mmap(f.fileno(), 0, prot=mmap.PROT_READ)
    assert sum(mapped[i] for i in range(0, len(mapped), 4096)) == 0  # every page mapped here
    runs = memory.mapped_file_pages()
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            if again:
                memory.map_again(runs)
            baseline = MemoryBaseline()
            sum(mapped[i] for i in range(0, len(mapped), 4096))
            os.write(write, pickle.dumps(baseline.peak()["peak_bytes"]))
        finally:
            os._exit(0)
    os.close(write)
    with os.fdopen(read, "rb") as answer:
        peak = pickle.loads(answer.read())
    os.waitpid(pid, 0)
    mapped.close()
    return peak


def test_a_forked_child_maps_its_parents_file_pages_before_its_baseline(tmp_path):
    # A fork copies the page tables of private memory, not of file mappings (the libraries'
    # code): the child faults those pages in again as it reads them, and they would count in
    # its peak though the parent had them, as a new process has its imports before its baseline.
    path = tmp_path / "file"
    path.write_bytes(bytes(16 * MiB))
    assert _peak_after_fork(path, again=False) >= 15 * MiB  # the oracle: what map_again is for
    assert _peak_after_fork(path, again=True) < 2 * MiB
