"""The tf-keras peer of the benchmark: same architectures as tfcore's models, timed both ways."""

import numpy as np
import pytest

from tests.oracle import keras  # noqa: F401  (skips unless TF_USE_LEGACY_KERAS=1)

from benchmarks import harness, peers  # noqa: E402
from benchmarks.params import MODELS, make_params  # noqa: E402
from benchmarks.registry import get  # noqa: E402

pytestmark = pytest.mark.keras


def small_params(**options):
    defaults = dict(warmup=1, steps=2, rounds=1, peer="keras", json="", markdown="", plot="",
                    peak_size=128, epoch=False, device="cpu", memory=False)
    defaults.update(options)
    return make_params(**defaults)


@pytest.mark.parametrize("model", [m for m in MODELS if m != "laplacian" and get(m).peer is not None])
def test_peer_has_the_same_parameter_count_as_the_tfcore_model(model):
    params = small_params(model=model, batch_size=20 if model == "lstm_temperature" else None)
    batch = params.batch_for(model)
    ours = get(model).build(params, "/device:CPU:0", batch)
    with ours.graph.as_default():
        import tensorflow as tf
        trainable = tf.compat.v1.trainable_variables()
    expected = sum(int(np.prod(v.shape.as_list())) for v in trainable)
    twin = peers.build(model, batch)
    assert twin.count_params() - sum(int(np.prod(w.shape)) for w in twin.non_trainable_weights) \
        == expected


def test_laplacian_peer_filters_with_the_discrete_laplacian():
    from models.laplacian import LAPLACIAN
    from scipy.signal import correlate2d

    twin = peers.build("laplacian", 1)
    (kernel,) = twin.layers[0].get_weights()
    np.testing.assert_array_equal(kernel[:, :, 0, 0], LAPLACIAN)
    image = np.random.RandomState(0).rand(768, 1024).astype(np.float32)
    got = twin.predict_on_batch(image[None, :, :, None])[0, :, :, 0]
    np.testing.assert_allclose(got, correlate2d(image, LAPLACIAN, mode="same"), atol=1e-4)


@pytest.mark.parametrize("model", ["lstm_temperature", "mlp", "laplacian"])
def test_peer_paths_are_timed_alternately_with_tfcore(model):
    params = small_params(model=model, rounds=2, epoch=model != "laplacian")
    doc = harness.run(params, say=lambda *a, **k: None)
    paths = [(e["framework"], e["path"]) for e in doc["results"]]
    forward = model == "laplacian"
    assert paths == [("tfcore", "session.run (resident)"),
                     ("tf-keras", "predict_on_batch" if forward else "train_on_batch"),
                     ("tf-keras", "predict" if forward else "fit")]
    for entry in doc["results"]:
        assert len(entry["step_times_s"]) == 4 and len(entry["round_medians_s"]) == 2
    (comparison,) = doc["comparisons"]
    best = min(doc["results"][1:], key=lambda e: e["median_s"])
    expected = np.array(best["round_medians_s"]) / np.array(doc["results"][0]["round_medians_s"])
    np.testing.assert_allclose(comparison["ratio_per_round"], expected)
    if not forward:
        assert doc["results"][2]["epoch"]["samples"] == {"lstm_temperature": 1400, "mlp": 800}[model]


def test_a_readable_variant_without_a_twin_runs_beside_the_peer_and_is_compared_to_the_fast_cnn():
    params = small_params(model="mnist_cnn_patches", batch_size=4)
    doc = harness.run(params, say=lambda *a, **k: None)
    paths = [(e["model"], e["framework"], e["path"]) for e in doc["results"]]
    assert paths == [("mnist_cnn", "tfcore", "session.run (resident)"),
                     ("mnist_cnn", "tf-keras", "train_on_batch"), ("mnist_cnn", "tf-keras", "fit"),
                     ("mnist_cnn_patches", "tfcore", "session.run (resident)")]
    assert [c["model"] for c in doc["comparisons"]] == ["mnist_cnn"]  # no twin, no keras ratio
    (cost,) = doc["readable_costs"]
    ours, fast = doc["results"][3], doc["results"][0]
    np.testing.assert_allclose(cost["cost_median"], ours["median_s"] / fast["median_s"])


def test_peer_is_built_under_its_own_mixed_bfloat16_policy_and_the_global_one_is_restored():
    model = peers.build("mnist_cnn", 8, precision="mixed_bfloat16")
    conv = next(layer for layer in model.layers if "conv" in layer.name)
    assert conv.compute_dtype == "bfloat16" and conv.dtype == "float32"  # float32 variables
    assert keras.mixed_precision.global_policy().name == "float32"
    x = np.random.RandomState(0).rand(8, 28, 28, 1).astype(np.float32)
    y = np.eye(10, dtype=np.float32)[np.arange(8)]
    assert np.isfinite(model.train_on_batch(x, y)[0])
