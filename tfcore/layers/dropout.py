"""Dropout: randomly silence units while training, with inverted scaling.

In training, each element is kept with probability 1 - p and zeroed otherwise:

    u    ~ U[0, 1)                       (one draw per element, or per noise_shape cell)
    keep = [u >= p]                      (a 0/1 mask; P(keep = 1) = 1 - p)
    y    = x * keep / (1 - p)            (computed as x * keep * s, s = 1 / (1 - p))

At evaluation the layer is the identity: y = x.

Why divide by 1 - p ("inverted" dropout): E[keep / (1 - p)] = 1, so every
unit's expected value in training equals its value at evaluation. The scaling
happens once, while training, and the evaluation graph needs no rescaling at
all (the original paper instead multiplied the weights by 1 - p at test time).
The gradient follows from the same formula: dy/dx = keep / (1 - p), so dropped
units pass no gradient and kept ones pass it scaled. With `gradient="manual"`
the layer states that backward pass itself, with the forward pass's own mask:

    dx = g * keep / (1 - p)              (g = dL/dy; identity at evaluation: dx = g)

Reproducible masks, even across a checkpoint and resume. The mask comes from a
*stateless* random op, a pure function of its seed:

    u = stateless_uniform(shape, seed=[layer_seed, counter])

where `counter` is an int64 variable owned by the layer, read and then
incremented (assign_add) each time a training-mode mask is drawn. Run k of the
training step uses counter = k, so the k-th mask depends only on `layer_seed`
and k. The counter is an ordinary (non-trainable) graph variable, so a
`tf.compat.v1.train.Saver` checkpoint stores it, and a run restored from a
checkpoint draws exactly the masks the uninterrupted run would have drawn.
A stateful op (`tf.random.uniform`) cannot do this: its position in the random
stream lives inside the op's kernel, not in any variable a checkpoint sees.
This seed-and-counter machinery is the class `RandomLayer`, shared by every
random layer: SpatialDropout1D/2D/3D (keras/spatial_dropout.py) are Dropouts with a
noise_shape, and GaussianNoise, GaussianDropout and AlphaDropout (keras/noise.py)
draw their noise the same way.

Cheaper draws for round rates. The generator (Philox) costs ~5 ns per 32-bit
word on this project's CPU, so one float per element made the masks of the
MNIST CNN a fifth of its training step. A mask needs far fewer random bits:
when p * 2**w is a whole number k for a small width w, split the words into
w-bit fields, each uniform on 0 .. 2**w - 1, and

    keep = [field >= k]                  (P(keep = 1) = 1 - k / 2**w = 1 - p, exactly)

The layer takes the narrowest such w of 1, 2, 4, 8 and 16: p = 0.5 needs one
bit per element (32 elements per word), p = 0.25 or 0.75 two bits, multiples
of 1/16 four, of 1/256 a byte. Other rates (0.1, 0.3, ...) draw one float per
element as above. How the fields come out of the words, with no loop over
bits: the words are cut into their bytes b (B of them), and field f of every
byte is read at once,

    keep[f, j] = [ b[j] & (2**w - 1) << f*w  >=  k << f*w ]    (f = 0 .. 8/w - 1)

(masking a field in place and comparing it with the threshold shifted to the
same place is the same test as shifting the field down first). The (8/w, B)
result, read row by row, is the mask: field f of every byte, then field f + 1.
Laid out so, each bitwise op streams along the bytes; with the fields along
the inner axis instead it ran 3x slower (NOTES lever 33). Which width a layer
takes is `Dropout.mask_bits` (1, 2, 4, 8, 16, or None for floats); the masks
are the same pure function of (seed, counter).
"""

import numbers
import random
import zlib

import numpy as np
import tensorflow as tf

from tfcore import graph as graph_lib
from tfcore.checks import check_type, number_in, positive_int
from tfcore.module import Module, check_gradient, smart_cond

MASK_WIDTHS = (1, 2, 4, 8, 16)  # the bit widths of the integer masks, narrowest first


class RandomLayer(Module):
    """The seed-and-counter machinery of the random layers (Dropout and its kin, keras/noise.py).

    A training-mode call draws its randomness from a stateless op seeded with
    `[seed, counter]` and advances `counter` (see the module docstring);
    `_in_training` wraps that around a layer's `draw` and `apply` functions,
    and is the identity at evaluation. Subclasses call `super().build`.

    Args:
      seed: an int, the layer's seed (the first half of the stateless seed
        pair). None derives one from the graph seed and the layer's unique name
        (so a seeded graph gives every random layer its own, reproducible
        stream), or picks a random one when the graph has no seed.
    """

    supports_masking = True  # a mask on the input rides on to the output, as in Keras

    def __init__(self, seed=None, name=None):
        super().__init__(name=name)
        check_type(seed, (numbers.Integral, type(None)), self.name, "seed", "an int or None")
        self.seed = None if seed is None else int(seed)
        self.counter = None
        self.counters = []  # one per training-mode call site; counters[0] is `counter`

    def _forget_first_call(self, graph):
        super()._forget_first_call(graph)
        self.counter, self.counters = None, []

    @property
    def state_variables(self):
        """Variables that are layer state but not weights: the random counter(s)."""
        return list(self.counters) or ([self.counter] if self.counter is not None else [])

    def build(self, input_shape):
        if self.seed is None:
            self.seed = self._derive_seed()
        # Created directly, not with add_weight: the counter is not a weight.
        self.counter = graph_lib.variable(
            tf.constant(0, tf.int64), trainable=False, name="counter", dtype=tf.int64
        )

    def _derive_seed(self):
        graph_seed = self._graph.seed
        if graph_seed is None:
            return random.SystemRandom().randrange(2 ** 31)
        # A stable hash (unlike Python's hash(), which changes per process).
        key = "%d/%s" % (graph_seed, self._scope)
        return zlib.crc32(key.encode("utf-8")) & 0x7FFFFFFF

    def _call_site(self):
        """(seed, counter variable) of a new training-mode call of this layer."""
        index = len(self.counters)
        if index == 0:
            self.counters.append(self.counter)
            return self.seed, self.counter
        counter = graph_lib.variable(
            tf.constant(0, tf.int64), trainable=False, name="counter_%d" % index, dtype=tf.int64
        )
        self.counters.append(counter)
        return zlib.crc32(("%d/%d" % (self.seed, index)).encode("utf-8")) & 0x7FFFFFFF, counter

    def _in_training(self, inputs, training, draw, apply):
        """apply(inputs, draw(seed_pair)) in training, the identity at evaluation.

        `draw(seed_pair)` makes the random tensor from a stateless op;
        `seed_pair = [seed, counter]` with the counter read before it is
        incremented, so the k-th training run draws with counter = k.
        `training` is a Python bool (one branch built) or a tf.bool tensor (tf.cond).
        """
        if isinstance(training, (bool, np.bool_)) and not training:
            return tf.identity(inputs)
        seed, counter_variable = self._call_site()

        def noisy():
            counter = counter_variable.read_value()
            # Read before incrementing, so this draw uses the pre-increment value.
            with tf.control_dependencies([counter]):
                increment = counter_variable.assign_add(1)
            noise = draw(tf.stack([tf.constant(seed, tf.int64), counter]))
            # The output depends on the increment, so every draw advances the counter.
            with tf.control_dependencies([increment]):
                return apply(inputs, noise)

        return smart_cond(training, noisy, lambda: tf.identity(inputs))


class Dropout(RandomLayer):
    """Inverted dropout: in training, zero each element with probability `rate`, scale the rest by 1/(1 - rate).

    Args:
      rate: the probability p of dropping an element, in [0, 1). 0 makes the
        layer the identity.
      seed: an int, the layer's seed (the first half of the stateless seed
        pair). None derives one from the graph seed and the layer's unique name
        (so a seeded graph gives every Dropout layer its own, reproducible
        stream), or picks a random one when the graph has no seed.
      noise_shape: the shape of the mask, broadcast against the input; `None`
        entries take the input's size there. E.g. `(None, 1, 1, None)` on NHWC
        input drops whole feature maps. Default: the input's shape.
      gradient: "auto" (`tf.gradients` differentiates `x * mask`) or "manual"
        (the backward pass `dx = g * mask` stated in `_apply_mask`).

    Variables: none in `variables` (like Keras's Dropout, so `get_weights()` is
    `[]`). The mask counter is in `state_variables`: a non-trainable int64
    scalar in the global variables collection, so `global_variables_initializer`
    starts it at 0 and a Saver checkpoints it.

    Each training-mode call site of the layer (a second tower, say) gets its own
    counter and its own seed, so calls that run in the same `Session.run` draw
    independent masks deterministically instead of racing for one counter.
    """

    def __init__(self, rate, noise_shape=None, seed=None, *, gradient="auto", name=None):
        super().__init__(seed=seed, name=name)
        self.gradient = check_gradient(self.name, gradient)
        rate = number_in(rate, "[0, 1)", self.name, "rate",
                         " (the probability of dropping an element)")
        self.rate = float(rate)
        # The narrowest integer width w with rate * 2**w whole: masks compare w-bit
        # uniform integers with that threshold (see the module docstring).
        self.mask_bits = next((w for w in MASK_WIDTHS if (self.rate * 2 ** w).is_integer()), None)
        self.noise_shape = None if noise_shape is None else tuple(  # None: the input's size
            None if dim is None else positive_int(dim, self.name, "noise_shape entries")
            for dim in noise_shape)

    def build(self, input_shape):
        if self.noise_shape is not None and input_shape.rank is not None \
                and len(self.noise_shape) != input_shape.rank:
            raise ValueError(
                "%s: noise_shape %s has %d entries but the input has rank %d"
                % (self.name, self.noise_shape, len(self.noise_shape), input_shape.rank)
            )
        super().build(input_shape)

    def _mask_shape(self, inputs):
        if self.noise_shape is None:
            return tf.shape(inputs)
        dynamic = tf.shape(inputs)
        return tf.stack([
            dynamic[i] if dim is None else tf.constant(dim, tf.int32)
            for i, dim in enumerate(self.noise_shape)
        ])

    def _keep(self, shape, seed_pair, dtype):
        """The boolean keep mask of `shape`: a pure function of `seed_pair`."""
        if self.mask_bits is None:
            u = tf.random.stateless_uniform(shape, seed=seed_pair, dtype=dtype)
            return u >= self.rate
        width = self.mask_bits
        per_word = 32 // width
        size = tf.reduce_prod(shape)
        words = tf.random.stateless_uniform(
            [(size + per_word - 1) // per_word], seed=seed_pair, dtype=tf.uint32,
            minval=None, maxval=None)
        k = int(self.rate * 2 ** width)
        if width == 16:  # bitcast splits each word into its two halves
            fields = tf.reshape(tf.bitcast(words, tf.uint16), [-1])
            keep = fields >= tf.constant(k, tf.uint16)
        else:
            # bitcast splits each word into its bytes; field f of each byte sits at bits f*w.
            byte_row = tf.reshape(tf.bitcast(words, tf.uint8), [1, -1])
            shifts = np.arange(8 // width).reshape(-1, 1) * width
            thresholds = tf.constant((k << shifts).astype(np.uint8))
            if width < 8:  # (a whole byte needs no masking)
                field_masks = tf.constant(((2 ** width - 1) << shifts).astype(np.uint8))
                byte_row = tf.bitwise.bitwise_and(byte_row, field_masks)
            keep = tf.reshape(byte_row >= thresholds, [-1])
        return tf.reshape(keep[:size], shape)

    def call(self, inputs, training=False):
        if self.rate == 0.0:
            return tf.identity(inputs)

        def mask(seed_pair):
            keep = self._keep(self._mask_shape(inputs), seed_pair, inputs.dtype)
            # One rounding, x * fl(1 / (1 - p)), whatever kernel runs: TF's Div by a
            # scalar multiplies by the reciprocal anyway, and this says so. The scale
            # goes on the 0/1 mask, so the input and its gradient are multiplied once.
            scale = tf.constant(1.0 / (1.0 - self.rate), inputs.dtype)
            return tf.cast(keep, inputs.dtype) * scale

        return self._in_training(inputs, training, mask, self._apply_mask)

    def _apply_mask(self, x, mask):
        """y = x * mask, mask = keep / (1 - p); with gradient="manual", dx = g * mask by hand."""
        if self.gradient == "auto":
            return x * mask

        # The mask is not an input: it is drawn, not learned, so it gets no gradient.
        # Second order: dx = g * mask is linear in g and free of x, so the second
        # derivative is 0, as tf.gradients finds for x * mask.
        @tf.custom_gradient
        def dropout(x):
            def backward(g):
                return g * mask  # dx = g * keep / (1 - p): the forward pass's own mask

            return x * mask, backward

        return dropout(x)
