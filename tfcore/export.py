"""Export a trained model for inference: a SavedModel, or one frozen GraphDef file.

A trained tfcore model is a graph plus the values of its variables in a
session. Serving it elsewhere (TensorFlow Serving, `saved_model_cli`, plain
TensorFlow without tfcore) needs both written in a format those tools read:

* **SavedModel** (`save`): the graph (`saved_model.pb`) and the variables
  (`variables/`) under the tag `serve`, with a *signature*: the named inputs
  and outputs a caller feeds and fetches. `serving_default` is

      inputs:  {input_name: model.inputs}          e.g. images (None, 28, 28, 1)
      outputs: {output_name: model.predictions}    e.g. probabilities (None, 10)

  Load it anywhere with `tf.saved_model.load(dir).signatures["serving_default"]`
  and call it with the input by name; `saved_model_cli show --all --dir dir`
  lists it.
* **Frozen graph** (`freeze`): one binary `GraphDef` in which every variable
  the prediction reads has become a constant holding its trained value, so
  the file alone is the model (no variables, no checkpoint).

**The training switch is fixed to inference.** tfcore's layers read a boolean
`training` placeholder with default False (Dropout off, batch norm on its
moving statistics). The signature does not list it, so a caller cannot feed
it and it keeps its default; in the frozen graph it is replaced by the
constant False.

**Stateful RNNs.** A stateful layer carries its state in variables that every
prediction updates, so the exported model is stateful too: `save` zeroes the
state (runs the reset ops) before writing, so a loaded model starts from a
zero state, as `tfcore.train.predict` does; each call of `serving_default`
then continues from the previous call's state, with the batch size fixed at
the model's; and a second signature, `reset_states` (no inputs, one output
`reset`), zeroes it again. A frozen graph has no variables, so it cannot
carry state: `freeze` refuses a stateful model (export it with `save`).

Both exports clear device placements, so a model trained on a GPU loads on a
machine without one.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any, Callable

import tensorflow as tf

from tfcore import quiet
from tfcore.train import reset_states

if TYPE_CHECKING:  # for the hints only: a TrainGraph is what these functions export
    from tfcore.train import TrainGraph

SERVING_KEY = "serving_default"


def _tensor_info(tensor):
    """The signature's description of one tensor: its name, dtype and shape."""
    # Built as the proto itself: tf.compat.v1.saved_model.build_tensor_info is deprecated.
    return tf.compat.v1.TensorInfo(name=tensor.name, dtype=tensor.dtype.as_datatype_enum,
                                   tensor_shape=tensor.shape.as_proto())


def _check(model, what):
    if model.predictions is None:
        raise ValueError("%s: the model has no predictions tensor to export" % what)


def signatures(model: TrainGraph, input_name: str = "inputs",
               output_name: str = "predictions") -> dict[str, Any]:
    """The SavedModel's signatures: `serving_default`, and `reset_states` for a stateful model."""
    predict = tf.compat.v1.saved_model.build_signature_def(
        inputs={input_name: _tensor_info(model.inputs)},
        outputs={output_name: _tensor_info(model.predictions)},
        method_name=tf.compat.v1.saved_model.PREDICT_METHOD_NAME)
    found = {SERVING_KEY: predict}
    if model.reset_ops:
        with model.graph.as_default(), tf.name_scope("export"):
            with tf.control_dependencies(model.reset_ops):
                reset = tf.constant(True, name="reset")
        found["reset_states"] = tf.compat.v1.saved_model.build_signature_def(
            inputs={}, outputs={"reset": _tensor_info(reset)},
            method_name=tf.compat.v1.saved_model.PREDICT_METHOD_NAME)
    return found


def save(model: TrainGraph, session: tf.compat.v1.Session, directory: str | os.PathLike[str],
         input_name: str = "inputs", output_name: str = "predictions") -> str:
    """Write `model` with the session's variable values as a SavedModel in `directory`.

    Args:
      model: a `tfcore.train.TrainGraph` (its `inputs` and `predictions` are served).
      session: the session holding the trained values.
      directory: where to write: a new or an empty directory (a SavedModel
        is never written over another).
      input_name, output_name: the names a caller uses in the signature.

    Returns the directory. A stateful model's state is zeroed first (see the
    module docstring).
    """
    _check(model, "export.save")
    directory = os.fspath(directory)
    if os.path.exists(directory) and (not os.path.isdir(directory) or os.listdir(directory)):
        raise ValueError("export.save: %s already exists and is not an empty directory; choose "
                         "a new one (a SavedModel is never written over another)" % directory)
    if input_name == output_name:
        raise ValueError("export.save: input_name and output_name must differ, both are %r"
                         % input_name)
    reset_states(model, session)
    signature_map = signatures(model, input_name, output_name)
    with model.graph.as_default():
        builder = tf.compat.v1.saved_model.Builder(directory)
        builder.add_meta_graph_and_variables(
            session, [tf.compat.v1.saved_model.SERVING], signature_def_map=signature_map,
            clear_devices=True, strip_default_attrs=True)
        builder.save()
    return directory


def freeze(model: TrainGraph, session: tf.compat.v1.Session,
           path: str | os.PathLike[str]) -> dict[str, str]:
    """Write the prediction's graph, variables as constants, to the binary GraphDef file `path`.

    Returns `{"inputs": name, "predictions": name}`: the tensor names to feed
    and fetch in the frozen graph, e.g.

        graph_def = tf.compat.v1.GraphDef.FromString(open(path, "rb").read())
        run = tf.compat.v1.wrap_function(lambda: tf.compat.v1.import_graph_def(graph_def, name=""), [])
        predict = run.prune(names["inputs"], names["predictions"])
    """
    _check(model, "export.freeze")
    if model.reset_ops:
        raise ValueError("export.freeze: the model has stateful layers, whose state must live in "
                         "variables; a frozen graph has none. Use tfcore.export.save instead.")
    predictions = model.predictions
    if predictions is None:
        raise ValueError("export.freeze: the model has no predictions tensor to serve")
    graph_def = model.graph.as_graph_def()
    # The non-deprecated successor, convert_variables_to_constants_v2, is not public API
    # (it lives in tensorflow.python), so the v1 function is used and exactly its own
    # deprecation notices (and that of extract_sub_graph, which it calls) are filtered.
    with quiet.deprecations_filtered("convert_variables_to_constants", "extract_sub_graph"):
        frozen = tf.compat.v1.graph_util.convert_variables_to_constants(
            session, graph_def, [predictions.op.name])
    if model.training is not None:
        _fix_to_false(frozen, model.training.op.name)
    for node in frozen.node:
        node.device = ""
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, "wb") as f:
        f.write(frozen.SerializeToString())
    return {"inputs": model.inputs.name, "predictions": predictions.name}


def _fix_to_false(graph_def, name):
    """Turn the placeholder `name` (the training switch) into the constant False, if present."""
    for node in graph_def.node:
        if node.name == name:
            node.op = "Const"
            del node.input[:]
            for key in list(node.attr):
                del node.attr[key]
            node.attr["dtype"].type = tf.bool.as_datatype_enum
            node.attr["value"].tensor.CopyFrom(tf.make_tensor_proto(False))


def load_frozen(path: str | os.PathLike[str], input_name: str,
                output_name: str) -> Callable[..., Any]:
    """A function `predict(x)` running a frozen graph written by `freeze` (plain TensorFlow)."""
    with open(path, "rb") as f:
        graph_def = tf.compat.v1.GraphDef.FromString(f.read())
    wrapped = tf.compat.v1.wrap_function(
        lambda: tf.compat.v1.import_graph_def(graph_def, name=""), [])
    return wrapped.prune(input_name, output_name)
