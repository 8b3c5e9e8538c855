"""The optional PyTorch peer (`--peer torch`): each twin matches tfcore's model and is timed
beside it. Skipped where PyTorch is not installed (it is only in the `[peers]` extra)."""

import numpy as np
import pytest
import tensorflow as tf

torch = pytest.importorskip("torch", reason="PyTorch is optional (pip install -e '.[peers]')")

from benchmarks import harness, torch_peer  # noqa: E402
from benchmarks.params import make_params  # noqa: E402
from benchmarks.registry import MODELS, get  # noqa: E402

# PyTorch's LSTM has two bias vectors (input and recurrent), Keras's and tfcore's one.
EXTRA_TORCH_PARAMETERS = {"lstm_temperature": 4 * 8}


def _params(**options):
    defaults = dict(warmup=1, steps=2, rounds=1, peer="torch", json="", markdown="", plot="",
                    peak_size=128, epoch=False, device="cpu", memory=False)
    defaults.update(options)
    return make_params(**defaults)


@pytest.mark.parametrize("name", [m for m in MODELS if MODELS[m].torch is not None])
def test_torch_twin_has_the_same_trainable_parameter_count_as_the_tfcore_model(name):
    params = _params(model=name)
    model = get(name).build(params, None, params.batch_for(name))
    with model.graph.as_default():
        ours = sum(int(np.prod(v.shape)) for v in tf.compat.v1.trainable_variables())
    module = get(name).torch(torch, params.batch_for(name))[0]
    theirs = sum(p.numel() for p in module.parameters() if p.requires_grad)
    if name == "laplacian":  # a fixed filter: tfcore's is a constant, PyTorch's a parameter
        assert theirs == 9
        return
    assert theirs == ours + EXTRA_TORCH_PARAMETERS.get(name, 0)


@pytest.mark.parametrize("name", ["mnist_cnn", "lstm_temperature", "laplacian"])
def test_torch_peer_paths_are_timed_alternately_with_tfcore(name):
    batch = {"mnist_cnn": 8}.get(name)
    doc = harness.run(_params(model=name, batch_size=batch), say=lambda *a: None)
    frameworks = [(e["framework"], e["path"]) for e in doc["results"]]
    assert frameworks == [("tfcore", "session.run (resident)"), ("pytorch", "step"), ("pytorch", "loop")]
    for entry in doc["results"]:
        assert len(entry["step_times_s"]) == 2 and min(entry["step_times_s"]) > 0
    (comparison,) = doc["comparisons"]
    assert comparison["peer_path"] in ("step", "loop") and comparison["ratio_median"] > 0


def test_torch_twin_learns_with_keras_adam_settings():
    module, loss_fn, optimizer, schedule = get("mnist_cnn").torch(torch, 8)
    assert optimizer.defaults["eps"] == 1e-7 and optimizer.defaults["lr"] == 1e-3
    peer = torch_peer.TorchPeer("mnist_cnn", "/device:CPU:0", 8)
    rng = np.random.RandomState(0)
    x, y = rng.rand(8, 28, 28, 1).astype(np.float32), np.eye(10, dtype=np.float32)[rng.randint(0, 10, 8)]
    peer.module.eval()  # no dropout: the same batch's loss must fall
    xb, yb = peer._tensor(x), peer._tensor(y)
    def loss():
        with torch.no_grad():
            return float(peer.loss(peer.module(xb), yb))

    before = loss()
    for _ in range(5):
        peer._step(xb, yb)
    assert loss() < before
    # Keras 2's time decay: lr / (1 + decay * steps) after 6 steps (1 in the constructor's check + 5).
    np.testing.assert_allclose(peer.optimizer.param_groups[0]["lr"], 1e-3 / (1 + 1e-5 * 5), rtol=1e-12)
