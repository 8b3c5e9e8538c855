"""The MNIST CNN's readable variants in the benchmark: the fast CNN's numbers, timed and reported beside it.

`mnist_cnn_patches` computes the convolutions and pools from image patches
(im2col) with TensorFlow's automatic gradients; `mnist_cnn_manual` adds every
hand-derived backward pass the model has. The oracle for both is the fast CNN
(`tf.nn.conv2d`, `tf.nn.avg_pool2d`, `tf.gradients`) with the same weights,
batch and dropout masks. The harness runs here with `peer="none"`; the peer's
handling of a model without a twin is in tests/test_benchmarks_keras.py.
"""

import numpy as np
import pytest
import tensorflow as tf

import tfcore
from benchmarks import harness, report
from benchmarks.params import MODELS, ParamsError, make_params, parse
from benchmarks.registry import get, variants
from models import mnist_cnn

READABLE = ["mnist_cnn_patches", "mnist_cnn_manual"]


def quiet(*args, **kwargs):
    pass


def small_params(**options):
    defaults = dict(warmup=1, steps=2, rounds=1, peer="none", json="", markdown="", plot="",
                    peak_size=128, epoch=False, device="cpu", memory=False)
    defaults.update(options)
    return make_params(**defaults)


def loss_and_gradients(model, weights, x, y):
    """One training step of `model` from `weights`: (loss, gradients, weights before, weights after).

    Gradients and weights are dicts by variable name; `weights` None keeps the
    initial ones. The loss and gradients are fetched, then the train op runs
    on the same batch (so the step trains, and its dropout masks are the ones
    the gradients saw: each mask is a function of the layer's seed and counter).
    """
    with model.graph.as_default():
        variables = sorted(tf.compat.v1.trainable_variables(), key=lambda v: v.name)
        gradients = tf.gradients(model.train_loss, variables)
    feed = {model.inputs: x, model.targets: y}
    if model.training is not None:
        feed[model.training] = True
    with tfcore.session(graph=model.graph) as sess:
        tfcore.train.initialize(model, sess)
        if weights is not None:
            for v in variables:
                v.load(weights[v.name], sess)
        start = {v.name: value for v, value in zip(variables, sess.run(variables))}
        loss, values = sess.run([model.train_loss, gradients], feed)
        sess.run(model.train_op, feed)
        after = {v.name: value for v, value in zip(variables, sess.run(variables))}
    return loss, dict(zip([v.name for v in variables], values)), start, after


def batch(rows, seed=0):
    rng = np.random.RandomState(seed)
    return (rng.rand(rows, 28, 28, 1).astype(np.float32),
            np.eye(10, dtype=np.float32)[rng.randint(0, 10, rows)])


@pytest.mark.parametrize("batchnorm,implementation,gradient", [
    (False, "patches", "auto"),  # the registry's mnist_cnn_patches
    (False, "patches", "manual"),  # mnist_cnn_manual
    # The hook reaches the batch-norm CNN's layers too (slow: 5 readable batch norms more).
    pytest.param(True, "patches", "manual", marks=pytest.mark.slow),
])
def test_readable_cnn_gives_the_fast_cnns_loss_and_gradients_for_the_same_weights_and_batch(
        batchnorm, implementation, gradient):
    x, y = batch(3)  # an odd batch: nothing relies on the default 256
    fast = mnist_cnn.build(batchnorm=batchnorm, seed=1, batch_size=3)
    readable = mnist_cnn.build(batchnorm=batchnorm, seed=1, batch_size=3,
                               implementation=implementation, gradient=gradient)
    # The readable graph runs no fused convolution or pooling kernel.
    types = {op.type for op in readable.graph.get_operations()}
    assert {"Conv2D", "AvgPool"}.isdisjoint(types)
    assert {"Conv2D", "AvgPool"} <= {op.type for op in fast.graph.get_operations()}
    fast_loss, fast_grads, weights, fast_after = loss_and_gradients(fast, None, x, y)
    loss, grads, _, after = loss_and_gradients(readable, weights, x, y)
    # Kernels and biases; with batch norm, each norm's beta and gamma too.
    assert sorted(grads) == sorted(fast_grads) and len(grads) == 12 + 10 * batchnorm
    np.testing.assert_allclose(loss, fast_loss, rtol=1e-5)
    # float32 rounding, on the scale of the largest gradient: a bias before a batch norm
    # has a gradient of zero in exact arithmetic, float32 noise in both graphs.
    scale = max(np.abs(g).max() for g in fast_grads.values())
    for name, expected in fast_grads.items():
        assert np.abs(expected).max() > 1e-6 * scale or batchnorm, name  # every layer learns
        np.testing.assert_allclose(grads[name], expected, rtol=1e-4, atol=1e-5 * scale,
                                   err_msg="%s/%s: gradient of %s" % (implementation, gradient, name))
    # One Adam step moves every weight, by at most about the learning rate (1e-3).
    for name in weights:
        step = np.abs(after[name] - weights[name]).max()
        assert 0 < step <= 1.01e-3, (name, step)
        assert np.abs(fast_after[name] - weights[name]).max() <= 1.01e-3


def layers_with_custom_gradients(graph):
    """The layers (first name scope) with a `tf.custom_gradient` among their ops, cond branches included.

    Graph mode records each as an IdentityN whose gradient is overridden; the
    dropout masks sit in a `tf.cond`, whose branches are library functions.
    """
    graph_def = graph.as_graph_def()
    layers = {node.name.split("/")[0] for node in graph_def.node if node.op == "IdentityN"}
    return layers | {f.signature.name.split("_cond_")[0] for f in graph_def.library.function
                     if any(node.op == "IdentityN" for node in f.node_def)}


def test_manual_variant_attaches_a_hand_derived_gradient_to_each_layer_and_the_loss():
    found = {}
    for name in READABLE:
        params = small_params(model=name, batch_size=2)
        found[name] = layers_with_custom_gradients(get(name).build(params, "/device:CPU:0", 2).graph)

    def numbered(layer, count):
        return {layer} | {"%s_%d" % (layer, i) for i in range(1, count)}

    relus = numbered("conv2d", 4) | {"dense"}  # the readable relu states its derivative in both
    assert found["mnist_cnn_patches"] == relus
    assert found["mnist_cnn_manual"] == relus | numbered("avg_pool2d", 3) | numbered("dense", 2) \
        | numbered("dropout", 5) | numbered("softmax_cross_entropy", 2)  # training and inference loss


def test_variants_are_timed_in_the_same_run_and_reported_beside_the_fast_cnn(tmp_path):
    params = small_params(model="mnist_cnn", variants=True, batch_size=4, epoch=True,
                          json=str(tmp_path / "r.json"), markdown=str(tmp_path / "r.md"))
    doc = harness.run(params, say=quiet, command="test")
    report.write_outputs(doc, params, say=quiet)
    results = {e["model"]: e for e in doc["results"]}
    assert [e["model"] for e in doc["results"]] == ["mnist_cnn"] + READABLE
    assert {e["framework"] for e in doc["results"]} == {"tfcore"} and doc["comparisons"] == []
    fast = results["mnist_cnn"]
    # A variant's epoch is capped at 4 steps; the fast CNN's at 16 (the registry's caps).
    assert fast["epoch"]["steps"] == 16
    costs = {c["model"]: c for c in doc["readable_costs"]}
    assert sorted(costs) == sorted(READABLE)
    for name in READABLE:
        ours, cost = results[name], costs[name]
        assert ours["epoch"]["steps"] == 4 and len(ours["step_times_s"]) == 2
        # The same arithmetic, counted the same way: the patches matmuls are the convolutions.
        assert ours["train_flops_per_step"] == fast["train_flops_per_step"]
        assert ours["profiler_forward_flops"] == fast["profiler_forward_flops"]
        assert cost["fast_model"] == "mnist_cnn" and cost["device"] == "/device:CPU:0"
        np.testing.assert_allclose(cost["cost_median"], np.median(ours["step_times_s"])
                                   / np.median(fast["step_times_s"]))
        np.testing.assert_allclose(cost["cost_min"],
                                   min(ours["step_times_s"]) / min(fast["step_times_s"]))
        per_sample = [np.median(e["epoch"]["seconds"]) / e["epoch"]["samples"] for e in (ours, fast)]
        np.testing.assert_allclose(cost["epoch_cost"], per_sample[0] / per_sample[1])
    # The text table and the Markdown file show the variants' rows and their costs.
    text, markdown = report.text_table(doc), (tmp_path / "r.md").read_text()
    assert report.READABLE_TITLE in text and report.READABLE_TITLE in markdown
    for name in READABLE:
        row = "| %s | CPU:0 | mnist_cnn | %.2f | %.2f | %.1f (%.1f) | %.1f |" % (
            name, 1e3 * results[name]["median_s"], 1e3 * fast["median_s"], costs[name]["cost_median"],
            costs[name]["cost_min"], costs[name]["epoch_cost"])
        assert row in markdown
        assert "| %s | CPU:0 | tfcore |" % name in markdown
        assert any(line.split()[:3] == [name, "CPU:0", "mnist_cnn"] for line in text.splitlines())


def test_no_readable_section_without_variants():
    entries = [dict(model="mnist_cnn", device="/device:CPU:0", framework="tfcore", median_s=1.0,
                    min_s=1.0, epoch=None)]
    assert harness.readable_costs(entries) == []
    # A variant whose fast model did not run has nothing to be compared with.
    assert harness.readable_costs([dict(entries[0], model="mnist_cnn_manual")]) == []


def test_model_flag_accepts_the_variants_and_all_leaves_them_out():
    assert variants("mnist_cnn") == READABLE and all(get(m).peer is None for m in READABLE)
    fast_models = [m for m in MODELS if m not in READABLE]
    assert parse(["--peer", "none"]).models == fast_models
    assert parse(["--peer", "none", "--variants"]).models == \
        ["mnist_cnn"] + READABLE + fast_models[1:]
    # A variant asked for alone brings its fast model, first: the cost needs both.
    assert parse(["--peer", "none", "--model", "mnist_cnn_manual"]).models == \
        ["mnist_cnn", "mnist_cnn_manual"]
    assert parse(["--peer", "none", "--model", "mlp,mnist_cnn_patches"]).models == \
        ["mlp", "mnist_cnn", "mnist_cnn_patches"]
    assert parse(["--peer", "none", "--model", "mlp", "--variants"]).models == ["mlp"]  # none has any
    with pytest.raises(ParamsError, match="unknown model.*mnist_cnn_patches, mnist_cnn_manual"):
        make_params(model="mnist_cnn_im2col")


def test_bad_variant_name_on_the_command_line_exits_2(capsys):
    with pytest.raises(SystemExit) as exit_info:
        parse(["--model", "mnist_cnn_manaul", "--peer", "none"])
    assert exit_info.value.code == 2
    assert "unknown model(s) mnist_cnn_manaul" in capsys.readouterr().err
