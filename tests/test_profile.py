"""inspect.profile: time and memory of a traced training step and a traced inference step.

Oracles: the bound stated in tfcore/inspect/profile.py (ops busy <= span <=
the wall time of the run; busy a good part of it), tensor sizes computed by
hand from the layers' shapes (what backprop keeps alive), the op types and
scopes of the built graph, and the order training > inference for the peak.
"""

import numpy as np
import pytest
import tensorflow as tf

import tfcore
from models import mnist_cnn
from tfcore import train
from tfcore.inspect import draw_profile, profile
from tfcore.inspect.__main__ import main as cli_main
from tfcore.inspect.profile import Event, layer_of, timeline_lanes
from tfcore.layers import Dense


@pytest.fixture(scope="module")
def cnn_profile():
    return profile(mnist_cnn.build(seed=0), batch_size=16)


def test_op_times_fit_in_the_measured_step(cnn_profile):
    for step in (cnn_profile.training, cnn_profile.inference):
        assert 0 < step.busy_micros <= step.span_micros <= step.wall_micros
        # The bound of the docstring, the other way: the ops fill a good part of the call
        # (measured 0.4-0.9 under a load of 10 on 2 cores; the short inference step less).
        assert step.busy_micros > (0.2 if step.kind == "training" else 0.1) * step.wall_micros, step.kind
        assert sum(step.op_micros.values()) == pytest.approx(sum(e.duration for e in step.events))
        assert sum(step.layer_micros.values()) == pytest.approx(sum(step.op_micros.values()))


def test_training_peaks_higher_than_inference_and_times_every_stage(cnn_profile):
    t, i = cnn_profile.training, cnn_profile.inference
    assert t.peak_bytes > i.peak_bytes > 0
    assert t.peak_bytes == max(b for _, b in t.memory)
    assert {"forward", "backward", "optimizer"} <= set(t.stage_micros)
    assert set(i.stage_micros) - {"runtime"} == {"forward"}
    # The fused kernels are what ran, and each conv layer has a forward and a backward row.
    assert "_MklNativeFusedConv2D" in t.op_micros or "_FusedConv2D" in t.op_micros
    for layer in ("conv2d", "conv2d_1", "conv2d_2", "conv2d_3", "dense", "dense_1"):
        assert (layer, "forward") in t.layer_micros and (layer, "backward") in t.layer_micros, layer
    # The inference step keeps nothing for a backward pass.
    assert i.kept == {}


def test_kept_for_backprop_is_the_forward_tensors_the_gradients_read():
    batch, features, units = 8, 5, 16
    graph = tfcore.new_graph(seed=0)
    with graph.as_default():
        x = tfcore.placeholder((None, features), name="x")
        y = tfcore.placeholder((None, 1), name="y")
        out = Dense(1)(Dense(units, activation="relu")(x))
        loss = tf.reduce_mean(tf.square(out - y))
        model = train.TrainGraph(graph, x, y, out, loss, tfcore.optimizers.SGD(0.1).minimize(loss))
    kept = profile(model, batch_size=batch).training.kept
    # ReluGrad and the second layer's dW read the ReLU's output; the first layer's dW reads x.
    assert kept["dense"] == batch * units * 4
    assert kept["(input)"] == batch * features * 4
    assert "dense_1" not in kept  # its output is read only through the loss's sub


def test_layer_of_reads_forward_backward_and_folded_names():
    assert layer_of("conv2d_1/Relu") == "conv2d_1"
    assert layer_of("gradients/conv2d_1/Conv2D_grad/Conv2DBackpropInput") == "conv2d_1"
    assert layer_of("gradients_1/dense/MatMul_grad/MatMul") == "dense"
    assert layer_of("ConstantFolding/gradients/conv2d/Conv2D_grad/ShapeN-matshapes-1") == "conv2d"
    assert layer_of("gradients/Relu_2_grad/ReluGrad") == "Relu_2"
    assert layer_of("Relu_2") == "(no scope)"
    assert layer_of("_SOURCE") == "(runtime)"


def test_timeline_lanes_never_overlap_two_ops():
    rng = np.random.RandomState(0)
    events = [Event("n%d" % k, "Op", float(s), float(d), "l", "forward")
              for k, (s, d) in enumerate(zip(rng.uniform(0, 100, 60), rng.uniform(0, 20, 60)))]
    lanes = {}
    for event, lane in timeline_lanes(events):
        lanes.setdefault(lane, []).append(event)
    for same in lanes.values():
        same.sort(key=lambda e: e.start)
        for a, b in zip(same, same[1:]):
            assert a.start + a.duration <= b.start
    # As few lanes as the most ops that overlap at one moment.
    most = max(sum(1 for e in events if e.start <= t < e.start + e.duration)
               for t in [e.start for e in events])
    assert len(lanes) == most


def test_draw_profile_writes_both_pictures(cnn_profile, tmp_path):
    paths = draw_profile(cnn_profile, tmp_path / "figs", prefix="cnn-")
    assert [p.split("/")[-1] for p in paths] == ["cnn-timeline.png", "cnn-memory.png"]
    for path in paths:
        with open(path, "rb") as f:
            assert f.read(8) == b"\x89PNG\r\n\x1a\n"


def test_cli_profile_and_its_usage_errors(capsys, tmp_path):
    assert cli_main(["mlp", "--profile", "--batch-size", "8", "--picture-dir", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "kept for backprop" in out and "peak" in out
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mlp-memory.png", "mlp-timeline.png"]
    with pytest.raises(SystemExit) as exit_:
        cli_main(["mlp", "--picture-dir", str(tmp_path)])
    assert exit_.value.code == 2 and "add --profile" in capsys.readouterr().err
    blocker = tmp_path / "a-file"
    blocker.write_text("mine")
    with pytest.raises(SystemExit) as exit_:
        cli_main(["mlp", "--profile", "--picture-dir", str(blocker / "sub")])
    assert exit_.value.code == 2 and "--picture-dir: cannot create" in capsys.readouterr().err
    assert blocker.read_text() == "mine"
    with pytest.raises(SystemExit) as exit_:
        cli_main(["laplacian", "--profile"])
    assert exit_.value.code == 2 and "no train op" in capsys.readouterr().err
