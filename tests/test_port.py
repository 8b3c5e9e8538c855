"""tfcore.port reads Keras models without importing Keras (only the models it is given do)."""

import subprocess
import sys


def test_importing_tfcore_port_imports_no_keras():
    # TensorFlow itself loads a few modules of Keras 3's package; tfcore.port adds none,
    # and tf-keras (Keras 2) is never loaded.
    code = ("import sys, tensorflow; keras = lambda: {m for m in sys.modules "
            "if m.split('.')[0] in ('keras', 'tf_keras')}; before = keras(); "
            "import tfcore, tfcore.port; added = keras() - before; "
            "print(sorted(added)); sys.exit(1 if added else 0)")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert run.returncode == 0, run.stdout + run.stderr[-2000:]


def test_a_layer_without_a_tfcore_twin_is_named():
    from tfcore import port

    class Fake:  # what from_keras reads of a Keras layer: its class name and config
        name = "my_lambda"

        def get_config(self):
            return {"name": self.name}

    Lambda = type("Lambda", (Fake,), {})
    problems = []
    assert port._port_layer(Lambda(), problems) is None
    assert problems == ["Lambda 'my_lambda' has no tfcore layer"]


def test_a_call_with_tensors_as_keyword_arguments_is_named():
    from tfcore import port

    config = {"layers": [
        {"class_name": "InputLayer", "name": "q", "inbound_nodes": []},
        {"class_name": "MultiHeadAttention", "name": "mha",
         "inbound_nodes": [[["q", 0, 0, {"value": ["v", 0, 0], "training": False}]]]},
        {"class_name": "Dense", "name": "dense", "inbound_nodes": [[["mha", 0, 0, {}]]]}]}
    assert port._tensor_keyword_calls(config) == [
        "MultiHeadAttention 'mha' is called with tensors as keyword arguments (value), which the "
        "port does not replay"]
