"""Open a tf-keras model up: rebuild it from tfcore layers, weights copied.

    import tfcore
    from tfcore import port

    ported = port.from_keras(keras_model)   # tfcore layers; nothing built yet
    graph = tfcore.new_graph()
    with graph.as_default():
        x = tfcore.placeholder((None, 28, 28, 1))
        y = ported(x)                        # built here, in your graph
        init = tf.compat.v1.global_variables_initializer()
    with tfcore.session(graph=graph) as sess:
        sess.run(init)
        ported.load_keras_weights(sess)      # the Keras model's weights, layer by layer
        print(sess.run(y, {x: images}))      # = keras_model.predict(images)

Then the model is ordinary tfcore: `tfcore.inspect` shows its layers, FLOPs and
graph; `implementation="patches"` or `gradient="manual"` on a layer opens it
further; `tf.gradients` differentiates it.

How: a `Sequential` model becomes a `tfcore.Sequential` of the same layers. A
functional model becomes a `Functional` module whose `call` replays Keras's
graph: each layer called, in Keras's order, on the tensors its inbound nodes
name. Each layer is rebuilt from its `get_config()`: the arguments tfcore's
constructor of the same name takes are passed on (initializers are dropped: the
weights are copied); an argument tfcore lacks, set to anything but Keras's
default, is a difference and stops the port. Every layer that cannot be ported
is named, all in one error.

This module reads Keras models by their public methods (`layers`, `get_config`,
`get_weights`) and never imports Keras, so `import tfcore` stays Keras-free.
"""

import inspect

from tfcore import layers as tfcore_layers
from tfcore.module import Module
from tfcore.sequential import Sequential

# Keras 2's class names whose tfcore layer is spelled differently.
RENAMED = {
    "MaxPooling1D": "MaxPool1D", "MaxPooling2D": "MaxPool2D", "MaxPooling3D": "MaxPool3D",
    "AveragePooling1D": "AvgPool1D", "AveragePooling2D": "AvgPool2D",
    "AveragePooling3D": "AvgPool3D", "GlobalMaxPool1D": "GlobalMaxPooling1D",
    "GlobalMaxPool2D": "GlobalMaxPooling2D", "GlobalMaxPool3D": "GlobalMaxPooling3D",
    "GlobalAvgPool1D": "GlobalAveragePooling1D", "GlobalAvgPool2D": "GlobalAveragePooling2D",
    "GlobalAvgPool3D": "GlobalAveragePooling3D",
}
# Config entries that describe how Keras builds a layer, not what it computes.
IGNORED = {"trainable", "dtype", "batch_input_shape", "input_shape", "batch_size_input",
           "input_dim_ignored", "implementation"}


class PortError(NotImplementedError):
    """Some layers of the Keras model have no tfcore counterpart (all are listed)."""


def from_keras(model):
    """A tfcore Module computing what the tf-keras `model` (Sequential or functional) computes."""
    problems = []
    if type(model).__name__ == "Sequential":
        pairs = [(layer, _port_layer(layer, problems)) for layer in model.layers]
        _raise_if(problems, model)
        ported = PortedSequential([mine for _, mine in pairs], name=model.name)
    else:
        config = model.get_config()
        by_name = {layer.name: layer for layer in model.layers}
        pairs = [(by_name[entry["name"]], _port_layer(by_name[entry["name"]], problems))
                 for entry in config["layers"] if entry["class_name"] != "InputLayer"]
        problems += _tensor_keyword_calls(config)
        _raise_if(problems, model)
        ported = Functional(config, {keras.name: mine for keras, mine in pairs}, name=model.name)
    ported.keras_weights = [(mine, keras.get_weights()) for keras, mine in pairs]
    return ported


def _tensor_keyword_calls(config):
    """Calls that pass tensors by keyword (`mha(q, value=v)`): the replay passes tensors only
    positionally, so these are named rather than replayed wrongly."""
    found = []
    for entry in config["layers"]:
        for node in entry["inbound_nodes"]:
            for arg in node:
                keywords = arg[3] if len(arg) > 3 else {}
                tensors = sorted(k for k, v in keywords.items() if isinstance(v, (list, tuple)))
                if tensors:
                    found.append("%s %r is called with tensors as keyword arguments (%s), which "
                                 "the port does not replay" % (entry["class_name"], entry["name"],
                                                                ", ".join(tensors)))
    return found


def _raise_if(problems, model):
    if problems:
        raise PortError("cannot port %r to tfcore: %s" % (model.name, "; ".join(problems)))


def _port_layer(layer, problems):
    """The tfcore layer for one Keras layer (None, with a line in `problems`, if there is none)."""
    kind = type(layer).__name__
    name = RENAMED.get(kind, kind)
    cls = getattr(tfcore_layers, name, None)
    if not (isinstance(cls, type) and issubclass(cls, Module)):
        problems.append("%s %r has no tfcore layer" % (kind, layer.name))
        return None
    config = dict(layer.get_config())
    # The wrappers hold layers, ported in turn (Bidirectional copies its own backward one
    # unless Keras was given one).
    if "layer" in config:
        config["layer"] = _port_layer(layer.layer, problems)
    if "backward_layer" in config:
        config["backward_layer"] = _port_layer(layer.backward_layer, problems)
    kwargs = _arguments(layer, cls, config, problems)
    if kwargs is None:
        return None
    try:
        return cls(**kwargs)
    except (TypeError, ValueError) as err:
        problems.append("%s %r: %s" % (kind, layer.name, err))
        return None


def _arguments(layer, cls, config, problems):
    """The config entries tfcore's constructor takes; an entry it lacks must be Keras's default."""
    ours = _parameters(cls)
    theirs = inspect.signature(type(layer).__init__).parameters
    kwargs, unsupported = {}, []
    for key, value in config.items():
        if key in IGNORED or key.endswith("_initializer"):
            continue
        if key in ours:
            kwargs[key] = value
        elif not (key in theirs and _same(theirs[key].default, value)) and value is not None:
            unsupported.append("%s=%r" % (key, value))
    if unsupported:
        problems.append("%s %r: tfcore's %s has no %s" % (type(layer).__name__, layer.name,
                                                            cls.__name__, ", ".join(unsupported)))
        return None
    return kwargs


def _parameters(cls):
    """The keyword arguments `cls(...)` takes, following `**kwargs` up to the base classes."""
    names = {}
    for klass in cls.__mro__:
        if "__init__" not in vars(klass):
            continue
        params = inspect.signature(klass.__init__).parameters
        names.update({k: p for k, p in params.items() if p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL)
                      and k != "self" and k not in names})
        if not any(p.kind == p.VAR_KEYWORD for p in params.values()):
            break
    return names


def _same(default, value):
    try:
        return default == value or (isinstance(value, (list, tuple)) and tuple(value) == default)
    except Exception:  # an array default: not comparable, so not the default
        return False


class _Ported:
    """What every ported model has: the Keras weights to copy, layer by layer."""

    keras_weights = ()

    def load_keras_weights(self, session):
        """Assign the Keras model's weights (read when it was ported) to the built tfcore layers."""
        for layer, weights in self.keras_weights:
            if weights:
                layer.set_weights(session, weights)


class PortedSequential(_Ported, Sequential):
    """A ported Keras Sequential model: tfcore.Sequential, plus `load_keras_weights`."""


class Functional(_Ported, Module):
    """A ported functional model: `call` replays Keras's graph of layer calls.

        for each layer, for each of its calls (Keras's inbound nodes), in order:
            outputs[layer, call] = layer(outputs of the layers that call names)

    Inputs: one tensor, or a list in the order of Keras's `model.inputs`.
    """

    def __init__(self, config, layers, name=None):
        super().__init__(name=name)
        self.layers = [layers[entry["name"]] for entry in config["layers"] if entry["name"] in layers]
        self._ported = layers
        self._config = config

    @property
    def submodules(self):
        return list(self.layers)

    # Each input goes to its own first layer, which checks it. Needed, as on Sequential:
    # layers built before the model's first call would make their weights refuse ids.
    integer_inputs = True

    def call(self, inputs, training=False):
        inputs = list(inputs) if isinstance(inputs, (list, tuple)) else [inputs]
        entries = self._config["input_layers"]
        if len(inputs) != len(entries):
            raise ValueError("%s: the model takes %d inputs, got %d" % (self.name, len(entries), len(inputs)))
        tensors = {(name, node, index): x for (name, node, index), x in zip(entries, inputs)}
        pending = [(entry["name"], node_index, node)
                   for entry in self._config["layers"] if entry["class_name"] != "InputLayer"
                   for node_index, node in enumerate(entry["inbound_nodes"])]
        while pending:
            ready = [p for p in pending if all(tuple(arg[:3]) in tensors for arg in p[2])]
            if not ready:
                raise ValueError("%s: cannot order the layers %s" % (self.name, [p[0] for p in pending]))
            for name, node_index, node in ready:
                args = [tensors[tuple(arg[:3])] for arg in node]
                kwargs = dict(node[0][3]) if node and len(node[0]) > 3 else {}
                kwargs.pop("training", None)
                outputs = self._ported[name](args if len(args) > 1 else args[0], training=training,
                                             **kwargs)
                flat = outputs if isinstance(outputs, (list, tuple)) else [outputs]
                for index, tensor in enumerate(flat):
                    tensors[(name, node_index, index)] = tensor
                pending.remove((name, node_index, node))
        outputs = [tensors[tuple(entry)] for entry in self._config["output_layers"]]
        return outputs if len(outputs) > 1 else outputs[0]
