"""Exports load in plain TensorFlow, without tfcore, and predict what tfcore's `predict` predicts.

Oracle: `tfcore.train.predict` on the same inputs in the exporting process; the
exports are read back in a fresh Python process that never imports tfcore
(`tf.saved_model.load` and its signature; the frozen GraphDef through
`tf.compat.v1.wrap_function`), and by `saved_model_cli show --all`.
"""

import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest
import tensorflow as tf

from models import lstm_temperature, mnist_cnn
from tfcore import export
from tfcore.train import fit, predict

# Runs in a fresh process: plain TensorFlow only, and it checks that tfcore stays out.
LOADER = textwrap.dedent("""
    import json, sys
    import numpy as np
    import tensorflow as tf
    jobs = json.load(open(sys.argv[1]))
    for job in jobs:
        x = np.load(job["x"])
        if job["kind"] == "saved_model":
            loaded = tf.saved_model.load(job["path"])
            serve = loaded.signatures["serving_default"]
            outputs = []
            for start in range(0, len(x), job["batch"]):
                outputs.append(serve(**{job["input"]: tf.constant(x[start:start + job["batch"]])})
                               [job["output"]].numpy())
            if job.get("reset"):
                loaded.signatures["reset_states"]()
                outputs.append(serve(**{job["input"]: tf.constant(x[:job["batch"]])})
                               [job["output"]].numpy())
            got = np.concatenate(outputs)
        else:
            graph_def = tf.compat.v1.GraphDef.FromString(open(job["path"], "rb").read())
            wrapped = tf.compat.v1.wrap_function(
                lambda: tf.compat.v1.import_graph_def(graph_def, name=""), [])
            got = wrapped.prune(job["input"], job["output"])(tf.constant(x)).numpy()
        np.save(job["out"], got)
    assert "tfcore" not in sys.modules, "the loader imported tfcore"
""")


def run_plain_tensorflow(jobs, tmp_path):
    (tmp_path / "jobs.json").write_text(json.dumps(jobs))
    (tmp_path / "loader.py").write_text(LOADER)
    env = dict(os.environ, PYTHONPATH="")  # nothing of tfcore's checkout on the path
    done = subprocess.run([sys.executable, str(tmp_path / "loader.py"), str(tmp_path / "jobs.json")],
                          capture_output=True, text=True, env=env, cwd=str(tmp_path), timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return [np.load(job["out"]) for job in jobs]


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    """A trained batch-norm CNN and a trained stateful LSTM, exported; what predict gives."""
    tmp = tmp_path_factory.mktemp("export")
    rng = np.random.RandomState(0)
    cnn = mnist_cnn.build(batchnorm=True, learning_rate=1e-2, seed=1)
    images = rng.rand(48, 28, 28, 1).astype(np.float32)
    labels = np.eye(10, dtype=np.float32)[rng.randint(10, size=48)]
    lstm = lstm_temperature.build(batch_size=4, window=5, seed=2)
    (tmp / "lstm").mkdir()  # an empty directory is a fine place for a SavedModel
    windows = rng.uniform(-1, 1, (16, 5, 1)).astype(np.float32)
    jobs, expected = [], []
    with tf.compat.v1.Session(graph=cnn.graph) as sess:
        fit(cnn, sess, images, labels, epochs=1, batch_size=16, progress=False)
        expected += [predict(cnn, sess, images[:10])] * 2
        export.save(cnn, sess, tmp / "cnn", input_name="images", output_name="probabilities")
        names = export.freeze(cnn, sess, str(tmp / "cnn.pb"))
        with pytest.raises(ValueError, match="already exists and is not an empty directory"):
            export.save(cnn, sess, tmp / "cnn")
    np.save(tmp / "images.npy", images[:10])
    jobs.append(dict(kind="saved_model", path=str(tmp / "cnn"), x=str(tmp / "images.npy"),
                     batch=10, input="images", output="probabilities", out=str(tmp / "a.npy")))
    jobs.append(dict(kind="frozen", path=str(tmp / "cnn.pb"), x=str(tmp / "images.npy"),
                     input=names["inputs"], output=names["predictions"], out=str(tmp / "b.npy")))
    with tf.compat.v1.Session(graph=lstm.graph) as sess:
        fit(lstm, sess, windows, windows[:, -1], epochs=2, shuffle=False, progress=False)
        # Batches in a row continue the state; after a reset, the first batch again.
        expected.append(np.concatenate([predict(lstm, sess, windows),
                                        predict(lstm, sess, windows[:4])]))
        export.save(lstm, sess, tmp / "lstm")
        with pytest.raises(ValueError, match="stateful"):
            export.freeze(lstm, sess, str(tmp / "lstm.pb"))
    np.save(tmp / "windows.npy", windows)
    jobs.append(dict(kind="saved_model", path=str(tmp / "lstm"), x=str(tmp / "windows.npy"),
                     batch=4, input="inputs", output="predictions", reset=True,
                     out=str(tmp / "c.npy")))
    return tmp, run_plain_tensorflow(jobs, tmp), expected


def test_a_saved_model_loaded_without_tfcore_predicts_what_predict_predicts_with_training_off(
        exported):
    _, got, expected = exported
    # Batch norm on its moving statistics: with batch statistics (training on) the
    # probabilities of 10 random images would differ.
    np.testing.assert_allclose(got[0], expected[0], rtol=1e-5, atol=1e-6)


def test_a_frozen_graph_loaded_without_tfcore_predicts_what_predict_predicts(exported):
    _, got, expected = exported
    np.testing.assert_allclose(got[1], expected[1], rtol=1e-5, atol=1e-6)


def test_a_stateful_export_starts_from_zero_carries_state_across_calls_and_resets(exported):
    _, got, expected = exported
    np.testing.assert_allclose(got[2], expected[2], rtol=1e-5, atol=1e-6)


def test_the_frozen_graph_holds_no_variables_and_no_switch_to_feed(exported):
    # The default CNN's inference pass has no training switch at all (two passes).
    tmp = exported[0]
    graph_def = tf.compat.v1.GraphDef.FromString((tmp / "cnn.pb").read_bytes())
    ops = {node.op for node in graph_def.node}
    assert not ops & {"VarHandleOp", "ReadVariableOp", "VariableV2", "PlaceholderWithDefault", "If",
                      "StatelessIf"}


def test_freezing_fixes_a_placeholder_training_switch_to_false(tmp_path):
    # One forward pass with the switch as a placeholder: the frozen graph holds it as False.
    cnn = mnist_cnn.build(batchnorm=True, seed=1, switch="placeholder")
    images = np.random.RandomState(0).rand(4, 28, 28, 1).astype(np.float32)
    with tf.compat.v1.Session(graph=cnn.graph) as sess:
        sess.run(cnn.init_op)
        expected = predict(cnn, sess, images)
        names = export.freeze(cnn, sess, str(tmp_path / "cnn.pb"))
    graph_def = tf.compat.v1.GraphDef.FromString((tmp_path / "cnn.pb").read_bytes())
    (training,) = [node for node in graph_def.node if node.name == "training"]
    assert training.op == "Const" and tf.make_ndarray(training.attr["value"].tensor) == np.False_
    graph = tf.Graph()
    with graph.as_default():
        tf.graph_util.import_graph_def(graph_def, name="")
    with tf.compat.v1.Session(graph=graph) as sess:
        got = sess.run(names["predictions"], {names["inputs"]: images})
    np.testing.assert_allclose(got, expected, rtol=1e-6)


def test_saved_model_cli_lists_the_serving_signature_with_named_inputs_and_outputs(exported):
    tmp = exported[0]
    done = subprocess.run(["saved_model_cli", "show", "--all", "--dir", str(tmp / "cnn")],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    out = done.stdout
    assert "signature_def['serving_default']" in out
    assert "inputs['images'] tensor_info:" in out and "shape: (-1, 28, 28, 1)" in out
    assert "outputs['probabilities'] tensor_info:" in out and "shape: (-1, 10)" in out
    assert "training" not in out.split("signature_def['serving_default']")[1]


def test_export_refuses_an_existing_directory_and_equal_names(tmp_path):
    model = lstm_temperature.build(batch_size=2, window=3)
    with tf.compat.v1.Session(graph=model.graph) as sess:
        sess.run(model.init_op)
        with pytest.raises(ValueError, match="input_name and output_name must differ"):
            export.save(model, sess, tmp_path / "x", input_name="a", output_name="a")
