"""Embedding: integer ids to dense vectors, by table lookup.

A vocabulary of `input_dim` tokens, each with a learned row of `output_dim`
numbers in a table E (input_dim, output_dim):

    y[n, t, :] = E[ids[n, t], :]

It is the same as a Dense layer (no bias) applied to one-hot vectors,
onehot(id) E, but without building the one-hot vectors: `tf.gather` reads the
rows. Its gradient is therefore sparse: only the rows that were looked up get
one, dL/dE[k] = sum over positions with id k of dL/dy there. TensorFlow
represents it as `tf.IndexedSlices` (the row indices and their gradient rows)
instead of a dense (input_dim, output_dim) tensor; tfcore's optimizers turn it
into a dense gradient before updating.

Masking. With `mask_zero=True`, id 0 means "padding": sequences of different
lengths are padded with 0 to one length, and `compute_mask(ids)` gives the
boolean mask ids != 0 (batch, time) that the recurrent layers take as `mask=`,
so that padded steps do not change their state (recurrent/sequence.py). Id 0 then
cannot be a real token, so `input_dim` should be vocabulary size + 1.
"""

import tensorflow as tf

from tfcore import initializers
from tfcore.checks import check_dtype, positive_int
from tfcore.module import Module


class Embedding(Module):
    """Looks up a learned vector for each integer id: (batch, ...) ids -> (batch, ..., output_dim).

    Args:
      input_dim: the vocabulary size (the largest id + 1).
      output_dim: the size of each vector.
      embeddings_initializer: default "uniform", U(-0.05, 0.05), Keras's default.
      mask_zero: treat id 0 as padding; `compute_mask` then returns ids != 0.
      input_length: optional, the length of every id sequence (Keras 2's argument): a
        call whose last axis has another known length is an error.
      sparse: Keras's choice of a sparse output for its gradient's consumers; the
        numbers are the same either way (the gradient here is always sparse, see above).
      dtype: the table's dtype (default float32; the ids say nothing about it).
      embeddings_regularizer, activity_regularizer: penalties added to `losses`
        (`tfcore.regularizers`); embeddings_constraint: applied after each step
        (with a sparse gradient that is an error, as in Keras).

    Weights: embeddings (input_dim, output_dim).
    """

    integer_inputs = True  # its input is ids (module.py's protocol), checked in `_ids`

    def __init__(self, input_dim, output_dim, embeddings_initializer="uniform",
                 embeddings_regularizer=None, activity_regularizer=None, embeddings_constraint=None,
                 mask_zero=False, input_length=None, sparse=False, *, dtype=tf.float32, name=None):
        super().__init__(name=name)
        self.sparse = bool(sparse)
        # Keras's names for the table's penalty and projection: the kernel's slots here.
        self.set_regularizers_and_constraints(kernel_regularizer=embeddings_regularizer,
                                              activity_regularizer=activity_regularizer,
                                              kernel_constraint=embeddings_constraint)
        self.input_dim = positive_int(input_dim, self.name, "input_dim")
        self.output_dim = positive_int(output_dim, self.name, "output_dim")
        self.embeddings_initializer = initializers.get(embeddings_initializer)
        self.mask_zero = bool(mask_zero)
        self.input_length = None if input_length is None else positive_int(
            input_length, self.name, "input_length")
        self.table_dtype = check_dtype(dtype, "floating", self.name, "dtype")

    def build(self, input_shape):
        self.dtype = self.table_dtype  # not the ids' dtype
        self.embeddings = self.add_weight("embeddings", (self.input_dim, self.output_dim),
                                          self.embeddings_initializer,
                                          regularizer=self.kernel_regularizer,
                                          constraint=self.kernel_constraint)

    def _ids(self, inputs):
        if inputs.dtype.is_floating or inputs.dtype.is_integer:
            # Keras casts float ids too (a float placeholder holding whole numbers).
            return inputs if inputs.dtype in (tf.int32, tf.int64) else tf.cast(inputs, tf.int32)
        raise TypeError("%s: ids must be integers, got dtype %s" % (self.name, inputs.dtype.name))

    def call(self, inputs, training=False):
        """y[n, ..., :] = E[ids[n, ...], :]"""
        length = inputs.shape[-1] if inputs.shape.rank else None
        if self.input_length is not None and length is not None and length != self.input_length:
            raise ValueError("%s: input_length is %d, but the ids have shape %s"
                             % (self.name, self.input_length, inputs.shape))
        return tf.gather(self.embeddings, self._ids(inputs))

    @property
    def supports_masking(self):
        """With `mask_zero`, the output carries the mask ids != 0 (Keras: supports_masking = mask_zero)."""
        return self.mask_zero

    def compute_mask(self, inputs, mask=None):
        """The padding mask ids != 0 (same shape as the ids), or None without `mask_zero`."""
        if not self.mask_zero:
            return None
        return tf.not_equal(self._ids(tf.convert_to_tensor(inputs)), 0)
