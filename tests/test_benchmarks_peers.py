"""Several peers in one run (`--peer keras,torch`): tfcore and every peer take turns, A B C A B C;
a peer that fails skips only its own rows; each peer framework gets its own ratio, against its
own faster path, in the JSON, the tables and the sweep plots.

The peers here are fakes that record their calls (no tf-keras or PyTorch needed): in-process
subclasses of tests/bench_fake_peers.py's, and one in a process of its own that segfaults."""

import json
import pathlib
import subprocess
import sys

import matplotlib.figure
import numpy as np
import pytest

from benchmarks import harness, isolated, params as params_lib, report, sweep, timing
from benchmarks.params import ParamsError, make_params, parse
from tests import bench_fake_peers
from tests.bench_fake_peers import quiet, small_params

ROOT = pathlib.Path(__file__).resolve().parents[1]


class RecordingPeer(bench_fake_peers.Peer):
    """The fake peer, named `framework`, writing each call into the shared `log`; it raises
    (or waits, `slow`) in the call `at` of number `when` (1 = its first such call)."""

    def __init__(self, framework, log, at=None, when=1, slow=0.0):
        super().__init__("m", "/device:CPU:0", 4)
        self.framework, self.log, self.fail_at, self.when, self.slow = framework, log, at, when, slow
        self.counts = {}

    def _check(self, call):
        self.log.append((self.framework, call))
        self.counts[call] = self.counts.get(call, 0) + 1
        if call == self.fail_at and self.counts[call] == self.when:
            raise RuntimeError("%s broke in %s" % (self.framework, call))

    def _steps(self, steps):
        times = super()._steps(steps)
        return [t + self.slow for t in times]  # a slower framework, without sleeping


def recording(framework, log, **options):
    return lambda name, device, batch: RecordingPeer(framework, log, **options)


@pytest.fixture
def log(monkeypatch):
    """The shared record of calls, tfcore's timed blocks included."""
    calls = []
    original = timing.TfcoreBench.time_steps

    def time_steps(self, steps):
        calls.append(("tfcore", "time_steps"))
        return original(self, steps)

    monkeypatch.setattr(timing.TfcoreBench, "time_steps", time_steps)
    return calls


def blocks(calls):
    """The timed blocks in order: tfcore's, and each peer's (its first call of a round)."""
    return [who for who, call in calls if call in ("time_steps", "time_train_on_batch")]


def test_two_peers_take_turns_with_tfcore_in_every_round(log):
    make_peer = {"alpha": recording("alpha", log), "beta": recording("beta", log, slow=0.01)}
    doc = harness.run(small_params(rounds=3), say=quiet, make_peer=make_peer)
    # Each peer started (first step, fit's warm-up) before the rounds, then A B C A B C A B C.
    assert log[:4] == [("alpha", "first_step"), ("alpha", "time_fit"),
                       ("beta", "first_step"), ("beta", "time_fit")]
    assert blocks(log) == ["tfcore", "alpha", "beta"] * 3
    assert log[4:7] == [("tfcore", "time_steps"), ("alpha", "time_train_on_batch"), ("alpha", "time_fit")]
    assert [(e["framework"], e["path"], len(e["step_times_s"])) for e in doc["results"]] == [
        ("tfcore", "session.run (resident)", 6), ("alpha", "step", 6), ("alpha", "loop", 6),
        ("beta", "step", 6), ("beta", "loop", 6)]
    assert doc["failures"] == []


def test_each_peer_framework_is_compared_against_its_own_faster_path(log):
    make_peer = [recording("alpha", log), recording("beta", log, slow=0.01)]  # a list works too
    doc = harness.run(small_params(rounds=3), say=quiet, make_peer=make_peer)
    ours = doc["results"][0]
    assert [c["peer"] for c in doc["comparisons"]] == ["alpha", "beta"]
    for c in doc["comparisons"]:
        theirs = [e for e in doc["results"] if e["framework"] == c["peer"]]
        best = min(theirs, key=lambda e: e["median_s"])  # oracle: that framework's faster path
        assert c["peer_path"] == best["path"]
        expected = np.array(best["round_medians_s"]) / np.array(ours["round_medians_s"])
        np.testing.assert_allclose(c["ratio_per_round"], expected)
        np.testing.assert_allclose(c["ratio_median"], np.median(expected))
    # beta's every step is 10 ms slower than alpha's (tfcore's are the same), so its ratio is larger.
    assert doc["comparisons"][1]["ratio_median"] > doc["comparisons"][0]["ratio_median"]
    # Each ratio sits on the row of the path it was measured against: a row per framework.
    rows = report.table_rows(doc)
    ratios = {(r[2], r[3]): r[-2] for r in rows}
    for c in doc["comparisons"]:
        assert ratios[c["peer"], c["peer_path"]].startswith("%.2f (" % c["ratio_median"])
    assert ratios["tfcore", "session.run (resident)"] == "-"
    summary = report.summary_rows(doc)
    assert [r[3].split()[0] for r in summary] == ["alpha", "beta"]
    assert [r[4] for r in summary] == [report._ratio_texts(c)[0] for c in doc["comparisons"]]


@pytest.mark.parametrize("at,when", [("first_step", 1), ("time_fit", 2)])
def test_a_failing_peer_skips_only_its_rows(log, at, when):
    # time_fit's 2nd call is its first timed round (the 1st is the warm-up before the rounds).
    make_peer = {"alpha": recording("alpha", log, at=at, when=when), "beta": recording("beta", log)}
    doc = harness.run(small_params(), say=quiet, make_peer=make_peer)
    assert [(e["framework"], len(e["step_times_s"])) for e in doc["results"]] == [
        ("tfcore", 4), ("beta", 4), ("beta", 4)]
    (failure,) = doc["failures"]
    assert failure["framework"] == "alpha" and "alpha broke in %s" % at in failure["why"]
    # After its failure alpha is never called again; tfcore and beta go on taking turns.
    assert blocks(log)[-2:] == ["tfcore", "beta"]
    assert [c["peer"] for c in doc["comparisons"]] == ["beta"]
    assert report.table_rows(doc)[-1][2:4] == ["alpha", "skipped (see below)"]


def test_a_crashing_peer_in_its_own_process_leaves_the_in_process_peer_measured(log):
    crashing = lambda name, device, batch: isolated.IsolatedPeer(  # noqa: E731
        "tests.bench_fake_peers", name, device, batch, timeout=60, label="fake",
        behaviour="segfault", at="time_train_on_batch")
    doc = harness.run(small_params(), say=quiet, make_peer={"fake": crashing, "beta": recording("beta", log)})
    assert [e["framework"] for e in doc["results"]] == ["tfcore", "beta", "beta"]
    (failure,) = doc["failures"]
    assert failure["framework"] == "fake" and "SIGSEGV" in failure["why"]
    assert blocks(log) == ["tfcore", "beta"] * 2


def test_compare_gives_one_comparison_per_point_and_peer_framework():
    def entry(framework, path, rounds, point):
        return dict(model="m", device="/device:CPU:0", framework=framework, path=path, batch_size=4,
                    round_medians_s=rounds, median_s=float(np.median(rounds)), epoch=None,
                    first_step_s=None, sweep=point)

    entries = []
    for point in ({"batch": 4}, {"batch": 8}):
        entries += [entry("tfcore", "session.run", [1.0, 2.0, 4.0], point),
                    entry("tf-keras", "train_on_batch", [9.0, 9.0, 9.0], point),
                    entry("tf-keras", "fit", [3.0, 4.0, 6.0], point),
                    entry("pytorch", "step", [2.0, 3.0, 5.0], point),
                    entry("pytorch", "loop", [8.0, 8.0, 8.0], point)]
    comparisons = harness.compare(entries)
    assert [(c["sweep"], c["peer"], c["peer_path"]) for c in comparisons] == [
        ({"batch": 4}, "tf-keras", "fit"), ({"batch": 4}, "pytorch", "step"),
        ({"batch": 8}, "tf-keras", "fit"), ({"batch": 8}, "pytorch", "step")]
    np.testing.assert_allclose(comparisons[1]["ratio_per_round"], [2.0, 1.5, 1.25])
    # Before, the fastest path of all peers' entries was the one ratio: PyTorch's step here.


def test_the_sweep_plot_draws_a_line_per_framework_and_path(tmp_path, monkeypatch, log):
    from benchmarks import memory

    monkeypatch.setattr(memory, "attach", lambda *args, **kwargs: None)  # probes: not here
    drawn = []
    monkeypatch.setattr(matplotlib.figure.Figure, "savefig", lambda fig, path, **kw: drawn.append(
        sorted(line.get_label() for line in fig.axes[0].get_lines())))
    params = small_params(sweep="batch=4,8", model="mlp", rounds=1)
    doc = harness.run(params, say=quiet, make_peer={"alpha": recording("alpha", log),
                                                    "beta": recording("beta", log)})
    assert [(c["sweep"], c["peer"]) for c in doc["comparisons"]] == [
        ({"batch": 4}, "alpha"), ({"batch": 4}, "beta"), ({"batch": 8}, "alpha"), ({"batch": 8}, "beta")]
    files = sweep.plot_models(doc, str(tmp_path / "p"))
    assert files == [str(tmp_path / "p-sweep-mlp.png")]
    assert drawn == [["alpha loop", "alpha step", "beta loop", "beta step", "tfcore session.run (resident)"]]


@pytest.mark.parametrize("keras,torch", [(True, True), (True, False), (False, True), (False, False)])
def test_peer_lists_all_and_the_default(monkeypatch, keras, torch):
    monkeypatch.setattr(params_lib, "keras_installed", lambda: keras)
    monkeypatch.setattr(params_lib, "torch_installed", lambda: torch)
    installed = [n for n, there in (("keras", keras), ("torch", torch)) if there]
    params = make_params(peer="all")
    assert params.peers == installed and params.peer == (",".join(installed) or "none")
    assert make_params().peers == (["keras"] if keras else [])  # the default: as before
    assert make_params(peer="none").peers == [] and make_params(peer="none").peer == "none"
    if keras and torch:
        params = parse(["--peer", "torch, keras"])
        assert params.peers == ["torch", "keras"] and params.peer == "torch,keras"  # the order given
        assert make_params(peer=["keras", "torch"]).peers == ["keras", "torch"]
    for peer, command in (("keras,torch", "tf-keras: pip install 'tf-keras"),
                          ("torch,keras", r"PyTorch.*pip install -e '\.\[peers\]'")):
        missing = peer.split(",")[0]
        if missing not in installed:  # the first one missing is named, with its install command
            with pytest.raises(ParamsError, match=r"--peer %s needs %s" % (missing, command)):
                make_params(peer=peer)


@pytest.mark.parametrize("value,message", [
    ("keras,jax", "unknown peer(s) 'jax'"),
    ("keras,none", "'none' cannot be combined"),
    ("all,torch", "'all' cannot be combined"),
    ("keras,keras", "a peer is named twice"),
    (",", "no peer named"),
])
def test_bad_peer_lists_exit_2_naming_the_mistake(monkeypatch, capsys, value, message):
    monkeypatch.setattr(params_lib, "keras_installed", lambda: True)
    monkeypatch.setattr(params_lib, "torch_installed", lambda: True)
    with pytest.raises(SystemExit) as exit_info:
        parse(["--peer", value])
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err


def test_saved_runs_of_one_peer_are_still_read(tmp_path):
    # The docs' blocks were generated from these files before --peer took a list; the report
    # reads them still and fills the same blocks.
    page = (ROOT / "docs" / "benchmarks.md").read_text()
    for saved, block in (("benchmarks-results.json", "results"), ("benchmarks-sweep.json", "sweep")):
        target = tmp_path / "page.md"
        target.write_text(page)
        result = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "report.py"),
                                 str(ROOT / "docs" / saved), "--markdown", str(target),
                                 "--block", block], capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, result.stderr
        assert target.read_text() == page
        doc = json.loads((ROOT / "docs" / saved).read_text())
        text = report.text_table(doc)
        assert doc["comparisons"] and all(report._ratio_texts(c)[0] in text for c in doc["comparisons"])
