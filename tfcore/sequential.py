"""Sequential: a stack of layers, each called on the previous one's output.

Keras's `Sequential` hides its forward pass inside a functional graph; here it is
the loop you would write by hand:

    def call(self, x, training=False):
        for layer in self.layers:
            x = layer(x, training=training)
        return x

so porting a Keras model written as `Sequential([...])` takes one line per layer,
and the result is an ordinary tfcore Module: it builds on its first call, reuses
its weights on later calls (a training pass and an inference pass share them),
and `get_weights`/`set_weights` speak Keras's order (layer by layer, each layer's
weights in its own Keras order), so weights copy across from `keras_model.get_weights()`.

A mask travels with the tensors from layer to layer as in Keras (an
`Embedding(mask_zero=True)` or `Masking` first, then recurrent layers that skip
the padded steps): each layer reads its input's mask and marks its output's.
"""

import tensorflow as tf

from tfcore.module import Module


class Sequential(Module):
    """`Sequential([Dense(64, activation="relu"), Dense(10)])`: call the layers in order."""

    # The container computes nothing itself: its first layer checks the input's dtype
    # (an Embedding takes integer ids, a Dense refuses them). Needed, not just said: its
    # `variables` are its layers', so a stack of layers already built elsewhere holds float
    # weights at its first call, and module.py's first-call rule would refuse the ids.
    integer_inputs = True

    def __init__(self, layers=None, name=None):
        super().__init__(name=name)
        self.layers = []
        self._output_shapes = []
        for layer in layers or []:
            self.add(layer)

    def add(self, layer):
        """Append a layer (before the first call: a built stack does not grow)."""
        if not isinstance(layer, Module):
            raise TypeError("%s.add: expected a tfcore layer (a Module), got %r" % (self.name, layer))
        if self.built:
            raise ValueError("%s.add: the model was already called; add layers before the first call"
                             % self.name)
        if any(layer is other for other in self.layers):
            raise ValueError("%s.add: %r is already in the model" % (self.name, layer.name))
        self.layers.append(layer)

    @property
    def submodules(self):
        return list(self.layers)

    def call(self, inputs, training=False):
        if not self.layers:
            raise ValueError("%s: the model has no layers; add some first" % self.name)
        x = inputs
        shapes = []
        for layer in self.layers:
            x = layer(x, training=training)
            shapes.append(x.shape)
        if not self._output_shapes:
            self._output_shapes = shapes
        return x

    def summary(self, print_fn=print):
        """Print each layer's name, type, output shape and parameter count, as Keras's summary."""
        self._check_built("summary")
        # A layer's unique scope inside the model's ("conv2d_1"), as Keras numbers its names.
        rows = [(layer._scope[len(self._scope):].rstrip("/"), type(layer).__name__,
                 _shape_text(shape), _count(layer.variables))
                for layer, shape in zip(self.layers, self._output_shapes)]
        trainable = _count(self.trainable_variables)
        total = _count(self.variables)
        width = max([32] + [len("%s (%s)" % row[:2]) + 2 for row in rows])
        line = "%-*s%-26s%s" % (width, "Layer (type)", "Output Shape", "Param #")
        print_fn('Model: "%s"' % self.name)
        print_fn("_" * len(line) + "_" * 6)
        print_fn(line)
        print_fn("=" * len(line) + "=" * 6)
        for name, kind, shape, params in rows:
            print_fn("%-*s%-26s%s" % (width, "%s (%s)" % (name, kind), shape, format(params, ",")))
        print_fn("=" * len(line) + "=" * 6)
        print_fn("Total params: %s" % format(total, ","))
        print_fn("Trainable params: %s" % format(trainable, ","))
        print_fn("Non-trainable params: %s" % format(total - trainable, ","))


def _count(variables):
    return sum(int(tf.TensorShape(v.shape).num_elements()) for v in variables)


def _shape_text(shape):
    dims = ["None" if d is None else str(d) for d in tf.TensorShape(shape).as_list()]
    return "(%s)" % (dims[0] + "," if len(dims) == 1 else ", ".join(dims))
