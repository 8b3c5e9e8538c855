"""Attention: each query reads a weighted average of the values, weighted by how well it matches each key.

Scaled dot-product attention. A query q_i (one row of Q, shape (Tq, d)) is
compared with every key k_j (a row of K, (Tv, d)); the scores go through a
softmax over the keys, and the result is the average of the values v_j (rows
of V, (Tv, dv)) under those weights:

    S = Q K^T * c + M                    scores, (Tq, Tv): S_ij = c q_i . k_j (+ M_ij)
    A = softmax_j(S)                     A_ij = e^{S_ij} / sum_j' e^{S_ij'}   each row sums to 1
    O = A V                              O_i = sum_j A_ij v_j,   (Tq, dv)

`c` is a scale: 1 / sqrt(d) in MultiHeadAttention (so the scores' variance
does not grow with d and the softmax does not saturate), a learned scalar in
Attention(use_scale=True), 1 otherwise. The softmax runs over the keys: query
i distributes one unit of attention among the Tv keys.

Masks. `M` is 0 where attention is allowed and a large negative number where
it is not, so e^{S_ij} vanishes there: Keras adds -1e9 (float16: -65504 in
Attention, float16.min / 2 in MultiHeadAttention) rather than -inf, so a row
that masks every key stays finite instead of NaN (in float32 the -1e9 swamps
the scores and the row is a uniform average). The kinds of mask, all merged
with a logical AND before they become `M`:

    value (key padding) mask (B, Tv)     key j is padding: nobody attends to it
    causal mask                          i attends to j <= i only: no peeking at the future
                                         (the lower triangle of a (Tq, Tv) matrix of ones)
    attention_mask (B, Tq, Tv)           MultiHeadAttention: any pattern, per example

Attention's query mask (B, Tq) acts after the average instead: it zeroes the
output rows of padded queries.

Dropout. In training, the attention weights A are dropped out (tfcore's
Dropout: stateless draws from [seed, counter], inverted scaling, reproducible
and the identity at inference) before they multiply V: O = dropout(A) V.

Three layers, as Keras 2 has them:

* `Attention` (Luong): S = c Q K^T ("dot"), or S = w sum_d tanh(c (q_i + k_j)) ("concat").
* `AdditiveAttention` (Bahdanau): S_ij = sum_d s_d tanh(q_id + k_jd), `s` a learned vector.
* `MultiHeadAttention` (Vaswani et al. 2017): h heads, each attending in its
  own learned projection, then concatenated and projected back:

      Q_h = query W^Q_h + b^Q_h,  K_h = key W^K_h + b^K_h,  V_h = value W^V_h + b^V_h
      head_h = softmax(Q_h K_h^T / sqrt(d_k) + M) V_h
      output = concat_h(head_h) W_O + b

  The projections are einsums over the feature axis into (heads, size) axes,
  so W^Q is one (d_query, num_heads, key_dim) tensor and "concat then W_O" is
  one einsum with a (num_heads, value_dim, d_out) kernel.

The derivative. No backward pass is written by hand here: `tf.gradients`
differentiates the forward ops (einsum, exp, sum, tanh), and float64 finite
differences confirm it (tests/test_attention.py). What it computes, for
O = A V, A = softmax(S), with G = dL/dO:

    dV = A^T G                           each value gets the gradient of the outputs that read it
    dA = G V^T
    dS_ij = A_ij (dA_ij - sum_j' A_ij' dA_ij')     the softmax's Jacobian, row by row
    dQ = c dS K,  dK = c dS^T Q          the scores are bilinear in Q and K

A masked score gets dS = A dA ~ 0: with e^{-1e9} = 0 its weight is exactly 0,
so no gradient reaches a padded key.
"""

import collections.abc
import math
import string

import tensorflow as tf

from tfcore import activations, initializers
from tfcore.checks import (InputSpec, check_list, check_shapes_agree, known_sizes, normalize_axes,
                           normalize_choice, number_in, positive_int)
from tfcore.layers.dropout import Dropout
from tfcore.module import Module, get_mask


def _check_value_and_key(layer, value, key):
    """One value per key: the two agree on every axis but the features."""
    check_shapes_agree([value.shape[:-1], key.shape[:-1]], layer, "value and key",
                       " on every axis but the last (one value per key)")


def _padding_bias(mask, dtype, large):
    """M = -large where `mask` is False (not attended), 0 where True."""
    return -large * (1.0 - tf.cast(mask, dtype))


def _lower_triangle(rows, cols):
    """The causal mask: True at (i, j) with j <= i (a (rows, cols) boolean matrix)."""
    return tf.linalg.band_part(tf.ones(tf.stack([rows, cols]), tf.bool), -1, 0)


class _AttentionDropout(Module):
    """Dropout on the attention weights: a tfcore Dropout sublayer (stateless, checkpointed
    masks), made only when it drops anything (Keras draws no random numbers then)."""

    def __init__(self, dropout=0.0, seed=None, name=None):
        super().__init__(name=name)
        self.dropout = number_in(dropout, "[0, 1)", self.name, "dropout",
                                 " (the probability of dropping an attention weight)")
        self.dropout_layer = Dropout(self.dropout, seed=seed, name="dropout") if self.dropout else None

    @property
    def submodules(self):
        return [self.dropout_layer] if self.dropout_layer is not None else []

    @property
    def state_variables(self):
        return self.dropout_layer.state_variables if self.dropout_layer is not None else []


class _DenseAttention(_AttentionDropout):
    """Keras's BaseDenseAttention: inputs [query, value] or [query, value, key], masks,
    causal masking, the softmax over the keys, dropout on the weights.

    Subclasses define `_scores(query, key)`: (B, Tq, d), (B, Tv, d) -> (B, Tq, Tv).
    """

    def __call__(self, inputs, mask=None, training=False, return_attention_scores=False,
                 use_causal_mask=False):
        inputs = check_list(inputs, (2, 3), self.name, "inputs",
                            "a list [query, value] or [query, value, key]")
        if mask is not None:  # [] is no mask
            mask = check_list(mask, (0, *range(2, len(inputs) + 1)), self.name, "mask",
                              "a list [query_mask, value_mask] (each a (batch, time) boolean "
                              "tensor or None)")
        return super().__call__(inputs, training=training, mask=mask or None,
                                return_attention_scores=return_attention_scores,
                                use_causal_mask=use_causal_mask)

    supports_masking = True

    def compute_mask(self, inputs, mask=None):
        """The output's rows are the queries: it carries the query mask."""
        return mask[0] if mask else None

    def _check_shapes(self, query, value, key):
        for what, t in (("query", query), ("value", value), ("key", key)):
            known_sizes(t.shape, (), self.name, what, min_rank=3, layout="(batch, time, features)")
        _check_value_and_key(self.name, value, key)

    def call(self, inputs, training=False, mask=None, return_attention_scores=False,
             use_causal_mask=False):
        query, value = inputs[0], inputs[1]
        key = inputs[2] if len(inputs) > 2 else value
        self._check_shapes(query, value, key)
        q_mask = mask[0] if mask else None
        v_mask = mask[1] if mask else None
        scores = self._scores(query, key)                  # S: (B, Tq, Tv)

        # The scores' mask: value mask (B, 1, Tv) AND the causal lower triangle (1, Tq, Tv).
        scores_mask = None
        if v_mask is not None:
            scores_mask = tf.expand_dims(tf.cast(v_mask, tf.bool), axis=-2)
        if use_causal_mask:
            causal = _lower_triangle(tf.shape(scores)[-2], tf.shape(scores)[-1])
            scores_mask = causal if scores_mask is None else tf.logical_and(scores_mask, causal)
        if scores_mask is not None:
            # Keras's _apply_scores: S -= 1e9 where masked (65504, float16's largest, in float16).
            large = 65504.0 if scores.dtype == tf.float16 else 1.0e9
            scores += _padding_bias(scores_mask, scores.dtype, large)

        weights = activations.softmax(scores, axis=-1)     # A = softmax over the keys
        if self.dropout_layer is not None:
            weights = self.dropout_layer(weights, training=training)
        result = tf.einsum("...qv,...vd->...qd", weights, value)   # O = A V: (B, Tq, Tv) x (B, Tv, dv)
        if q_mask is not None:
            # Padded queries output zeros: O_i *= query_mask_i.
            result *= tf.cast(tf.expand_dims(q_mask, axis=-1), result.dtype)
        if return_attention_scores:
            return result, weights  # (Keras returns the weights after dropout)
        return result

    def _scores(self, query, key):
        raise NotImplementedError


class Attention(_DenseAttention):
    """Dot-product (Luong) attention: O = softmax(c Q K^T + M) V.

    Args:
      use_scale: learn the scale c, a scalar weight `scale` starting at 1 (else c = 1).
      score_mode: "dot": S_ij = c q_i . k_j (one einsum "bqd,bvd->bqv");
        "concat": S_ij = w sum_d tanh(c (q_id + k_jd)), w a learned scalar
        `concat_score_weight` starting at 1.
      dropout: the rate of dropout on the attention weights, in training.
      seed: the dropout's seed (see Dropout).

    Called as `layer([query, value])` or `layer([query, value, key])` (key
    defaults to value), shapes (B, Tq, d), (B, Tv, dv), (B, Tv, d), with
    `mask=[query_mask, value_mask]` ((B, Tq), (B, Tv) booleans, either may be
    None), `training`, `return_attention_scores` (also return A, (B, Tq, Tv))
    and `use_causal_mask`. Output: (B, Tq, dv).

    Weights (Keras's order): `scale` if use_scale, `concat_score_weight` if "concat".
    """

    def __init__(self, use_scale=False, score_mode="dot", dropout=0.0, seed=None, name=None):
        super().__init__(dropout=dropout, seed=seed, name=name)
        self.use_scale = bool(use_scale)
        self.score_mode = normalize_choice(score_mode, ("dot", "concat"), self.name, "score_mode")
        self.scale = self.concat_score_weight = None

    def build(self, input_shape):
        if self.use_scale:
            self.scale = self.add_weight("scale", (), initializers.get("ones"))
        if self.score_mode == "concat":
            self.concat_score_weight = self.add_weight("concat_score_weight", (), initializers.get("ones"))

    def _scores(self, query, key):
        check_shapes_agree([query.shape[-1:], key.shape[-1:]], self.name, "query and key",
                           " on the feature size (their dot product)")
        if self.score_mode == "dot":
            scores = tf.einsum("...qd,...vd->...qv", query, key)   # S_ij = q_i . k_j
            if self.scale is not None:
                scores *= self.scale
            return scores
        # "concat": every query plus every key, (B, Tq, 1, d) + (B, 1, Tv, d) -> (B, Tq, Tv, d).
        pairs = tf.expand_dims(query, axis=-2) + tf.expand_dims(key, axis=-3)
        if self.scale is not None:
            pairs = self.scale * pairs
        return self.concat_score_weight * tf.reduce_sum(tf.tanh(pairs), axis=-1)


class AdditiveAttention(_DenseAttention):
    """Additive (Bahdanau) attention: S_ij = sum_d s_d tanh(q_id + k_jd), O = softmax(S + M) V.

    Args:
      use_scale: learn `s`, a weight `scale` of shape (dv,) (the value's
        feature size, as Keras), glorot_uniform; else s = 1.
      dropout, seed: as Attention.

    Called as Attention. Weights: `scale` if use_scale.
    """

    def __init__(self, use_scale=True, dropout=0.0, seed=None, name=None):
        super().__init__(dropout=dropout, seed=seed, name=name)
        self.use_scale = bool(use_scale)
        self.scale = None

    def build(self, input_shape):
        if self.use_scale:
            dim = known_sizes(input_shape[1], (-1,), self.name, "value")
            self.scale = self.add_weight("scale", dim, initializers.get("glorot_uniform"))

    def _scores(self, query, key):
        sizes = [query.shape[-1:], key.shape[-1:]] + ([self.scale.shape] if self.use_scale else [])
        check_shapes_agree(sizes, self.name, "query, key (and the scale, sized from the value)",
                           " on the feature size")
        # (B, Tq, 1, d) + (B, 1, Tv, d): every query with every key, then sum over d.
        pairs = tf.tanh(tf.expand_dims(query, axis=-2) + tf.expand_dims(key, axis=-3))
        if self.scale is not None:
            pairs = self.scale * pairs
        return tf.reduce_sum(pairs, axis=-1)


_LETTERS = string.ascii_lowercase


def _projection_equation(free, bound, out):
    """Keras's EinsumDense equations: `free` axes kept, `bound` summed, `out` new ones.

    E.g. (2, 1, 2) -> "abc,cde->abde": (B, T, d) x (d, N, H) -> (B, T, N, H);
    (2, 2, 1) -> "abcd,cde->abe": (B, T, N, H) x (N, H, d_out) -> (B, T, d_out).
    Returns the equation and the number of kernel axes that are output axes (the bias's).
    """
    x = _LETTERS[:free + bound]
    kernel = _LETTERS[free:free + bound + out]
    y = _LETTERS[:free] + _LETTERS[free + bound:free + bound + out]
    return "%s,%s->%s" % (x, kernel, y)


def _attention_equations(rank, axes):
    """Keras's two einsums for projected tensors of `rank` (B, ..., N, H), attending over `axes`.

    Rank 4 (B, T, N, H), axes (1,): "aecd,abcd->acbe" (key (B, S, N, H), query
    (B, T, N, H) -> scores (B, N, T, S)) and "acbe,aecd->abcd" (scores,
    value (B, S, N, Hv) -> (B, T, N, Hv)).
    """
    target = _LETTERS[:rank]
    batch = [i for i in range(rank) if i not in axes and i != rank - 1]
    source, offset = "", rank
    for i in range(rank):
        if i in batch or i == rank - 1:
            source += target[i]
        else:
            source += _LETTERS[offset]
            offset += 1
    product = "".join([target[i] for i in batch] + [target[i] for i in axes]
                      + [source[i] for i in axes])
    return "%s,%s->%s" % (source, target, product), "%s,%s->%s" % (product, source, target), len(product)


def _mask_from_inputs(query, value, key, attention_mask):
    """Keras 2's automatic attention mask from the masks riding on the inputs:
    M[b, t, s] = query_mask[b, t] AND value_mask[b, s] AND key_mask[b, s], each where
    present, AND the explicit `attention_mask` (None when nothing is masked)."""
    parts = []
    if get_mask(query) is not None:
        parts.append(tf.cast(get_mask(query), tf.bool)[:, :, tf.newaxis])   # (B, T, 1)
    for t in (value, key):
        if t is not None and get_mask(t) is not None:
            parts.append(tf.cast(get_mask(t), tf.bool)[:, tf.newaxis, :])   # (B, 1, S)
    if not parts:
        return attention_mask
    auto = parts[0]
    for part in parts[1:]:
        auto = tf.logical_and(auto, part)
    if attention_mask is None:
        return auto
    return tf.logical_and(tf.cast(attention_mask, tf.bool), auto)


class MultiHeadAttention(_AttentionDropout):
    """Multi-head attention (Vaswani et al. 2017), Keras 2's layer.

        head_h = softmax(Q_h K_h^T / sqrt(key_dim) + M) V_h
        output = concat_h(head_h) W_O + b

    For rank-3 inputs query (B, T, d_q), value (B, S, d_v), key (B, S, d_k)
    (N = num_heads, H = key_dim, Hv = value_dim), the einsums are

        Q = einsum("abc,cde->abde", query, W_Q) + b_Q      (B, T, d_q) x (d_q, N, H) -> (B, T, N, H)
        K = einsum("abc,cde->abde", key, W_K) + b_K        (B, S, d_k) x (d_k, N, H) -> (B, S, N, H)
        V = einsum("abc,cde->abde", value, W_V) + b_V      (B, S, d_v) x (d_v, N, Hv) -> (B, S, N, Hv)
        S = einsum("aecd,abcd->acbe", K, Q / sqrt(H))      scores (B, N, T, S): S_nts = q_tn . k_sn
        A = softmax(S + M) over s                          (B, N, T, S); dropout(A) in training
        O = einsum("acbe,aecd->abcd", A, V)                (B, T, N, Hv): every head's average
        y = einsum("abcd,cde->abe", O, W_O) + b_O          (B, T, N, Hv) x (N, Hv, d_out) -> (B, T, d_out)

    The last einsum sums over heads and their features at once: that is
    concat_h(head_h) W_O with W_O reshaped to (N * Hv, d_out).

    Args:
      num_heads, key_dim: N and H (positive ints).
      value_dim: Hv; None (or 0) means key_dim, as Keras.
      dropout: the rate of dropout on A, in training.
      use_bias: add b_Q, b_K, b_V (each (N, H or Hv)) and b_O (d_out,).
      output_shape: d_out, an int or a tuple (the trailing output shape);
        default the query's feature size.
      attention_axes: the axes attended over (an int or a tuple, each in
        1 .. rank - 2); default every axis but the batch and the features, so
        (B, T, d) attends over T and (B, X, Y, d) over X and Y together.
      kernel_initializer, bias_initializer, kernel_regularizer,
        bias_regularizer, kernel_constraint, bias_constraint: as Dense's, for
        all four projections.
      activity_regularizer: penalizes the layer's outputs (y, and A too with
        return_attention_scores), not the projections: what tf-keras 2 does
        (the layer keeps it as its own; its EinsumDense sublayers get none).
      seed: the dropout's seed (see Dropout).

    Called as `layer(query, value, key=None, attention_mask=None,
    return_attention_scores=False, training=False, use_causal_mask=False)`.
    `attention_mask` (B, T, S) is True where query t may attend to key s (it
    broadcasts over the heads); `use_causal_mask` ANDs the lower triangle.
    Returns y (and A before dropout with `return_attention_scores`).

    Weights, in Keras's order and names: query/kernel, query/bias, key/kernel,
    key/bias, value/kernel, value/bias, attention_output/kernel,
    attention_output/bias (no biases without use_bias).
    """

    def __init__(self, num_heads, key_dim, value_dim=None, dropout=0.0, use_bias=True,
                 output_shape=None, attention_axes=None, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, kernel_constraint=None, bias_constraint=None, *,
                 seed=None, name=None):
        super().__init__(dropout=dropout, seed=seed, name=name)
        self.num_heads = positive_int(num_heads, self.name, "num_heads")
        self.key_dim = positive_int(key_dim, self.name, "key_dim")
        self.value_dim = positive_int(value_dim, self.name, "value_dim") if value_dim else self.key_dim
        self.use_bias = bool(use_bias)
        if output_shape is not None:
            dims = output_shape if isinstance(output_shape, collections.abc.Sized) else (output_shape,)
            output_shape = tuple(positive_int(d, self.name, "output_shape") for d in dims) or None
        self.output_shape = output_shape
        if attention_axes is not None:  # not the batch axis
            attention_axes = normalize_axes(attention_axes, self.name, "attention_axes", minimum=1)
        self.attention_axes = attention_axes
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.set_regularizers_and_constraints(kernel_regularizer, bias_regularizer, activity_regularizer,
                                              kernel_constraint, bias_constraint)

    supports_masking = True

    def compute_mask(self, inputs, mask=None):
        """The output's rows are the queries: it carries the query's mask."""
        return mask[0] if mask else None

    def __call__(self, query, value, key=None, attention_mask=None, return_attention_scores=False,
                 training=False, use_causal_mask=False):
        inputs = [query, value] if key is None else [query, value, key]
        attention_mask = _mask_from_inputs(query, value, key, attention_mask)
        return super().__call__(inputs, training=training, attention_mask=attention_mask,
                                return_attention_scores=return_attention_scores,
                                use_causal_mask=use_causal_mask)

    def _projection(self, name, input_rank, bound, out_shape, bias):
        """The weights of one EinsumDense sublayer, `name`/kernel and `name`/bias."""
        kernel_shape, free = out_shape, input_rank - 1
        with tf.name_scope(name):
            kernel = self.add_weight("kernel", bound + kernel_shape, self.kernel_initializer,
                                     regularizer=self.kernel_regularizer,
                                     constraint=self.kernel_constraint)
            b = None
            if bias:
                b = self.add_weight("bias", kernel_shape, self.bias_initializer,
                                    regularizer=self.bias_regularizer, constraint=self.bias_constraint)
        return name, _projection_equation(free, len(bound), len(kernel_shape)), kernel, b

    def build(self, input_shape):
        q_shape, v_shape = input_shape[0], input_shape[1]
        k_shape = input_shape[2] if len(input_shape) > 2 else v_shape
        known_sizes(q_shape, (-1,), self.name, "query", min_rank=3, layout="(batch, ..., features)")
        rank = q_shape.rank
        for what, shape in (("value", v_shape), ("key", k_shape)):
            known_sizes(shape, (-1,), self.name, what, rank=rank, layout="(the query's)")
        axes = self.attention_axes or tuple(range(1, rank - 1))
        if max(axes) > rank - 2:
            raise ValueError("%s: attention_axes %r must be axes between 1 and %d (not the batch "
                             "or the feature axis) of the rank-%d inputs"
                             % (self.name, self.attention_axes, rank - 2, rank))
        self.axes = tuple(axes)  # the attended axes of this build (attention_axes stays the argument)
        self.input_rank = rank
        n, h, hv = self.num_heads, self.key_dim, self.value_dim
        self.query_dense = self._projection("query", rank, [int(q_shape[-1])], [n, h], self.use_bias)
        self.key_dense = self._projection("key", rank, [int(k_shape[-1])], [n, h], self.use_bias)
        self.value_dense = self._projection("value", rank, [int(v_shape[-1])], [n, hv], self.use_bias)
        inputs = (("query", q_shape), ("value", v_shape), ("key", k_shape))
        self.input_spec = [InputSpec(ndim=rank, axes={-1: int(shape[-1])}, name=what)
                           for what, shape in inputs]  # Module.__call__ checks later inputs
        out = list(self.output_shape or [int(q_shape[-1])])
        self.output_dense = self._projection("attention_output", rank, [n, hv], out, self.use_bias)
        self.dot_equation, self.combine_equation, scores_rank = _attention_equations(rank + 1, axes)
        self.softmax_axes = tuple(range(scores_rank - len(axes), scores_rank))

    def _project(self, dense, x):
        _, equation, kernel, bias = dense  # y = einsum(x, kernel) + bias
        y = tf.einsum(equation, x, kernel)
        if bias is not None:
            y += bias
        return y

    def _softmax(self, scores):
        if len(self.softmax_axes) == 1:
            return activations.softmax(scores, axis=self.softmax_axes[0])
        # Over several axes at once (attention over (X, Y)): e^S / sum over all of them.
        return tf.exp(scores - tf.reduce_logsumexp(scores, axis=self.softmax_axes, keepdims=True))

    def call(self, inputs, training=False, attention_mask=None, return_attention_scores=False,
             use_causal_mask=False):
        query, value = inputs[0], inputs[1]
        key = inputs[2] if len(inputs) > 2 else value
        _check_value_and_key(self.name, value, key)

        if use_causal_mask:  # (1, T, S): query t attends to s <= t
            causal = tf.expand_dims(_lower_triangle(tf.shape(query)[1], tf.shape(value)[1]), 0)
            attention_mask = causal if attention_mask is None else tf.logical_and(
                tf.cast(attention_mask, tf.bool), causal)

        q = self._project(self.query_dense, query)        # (B, T, N, H)
        k = self._project(self.key_dense, key)            # (B, S, N, H)
        v = self._project(self.value_dense, value)        # (B, S, N, Hv)

        q = tf.multiply(q, 1.0 / math.sqrt(float(self.key_dim)))   # Q / sqrt(H), before the product
        scores = tf.einsum(self.dot_equation, k, q)       # (B, N, T, S)
        if attention_mask is not None:
            mask = tf.convert_to_tensor(attention_mask)
            # (B, T, S) -> (B, 1, T, S): the same mask for every head.
            for _ in range(scores.shape.rank - mask.shape.rank):
                mask = tf.expand_dims(mask, axis=-len(self.axes) * 2 - 1)
            large = -(tf.float16.min / 2.0) if scores.dtype == tf.float16 else 1e9
            scores += _padding_bias(mask, scores.dtype, large)
        probabilities = self._softmax(scores)             # A: softmax over the keys
        dropped = probabilities
        if self.dropout_layer is not None:
            dropped = self.dropout_layer(probabilities, training=training)
        heads = tf.einsum(self.combine_equation, dropped, v)   # (B, T, N, Hv)
        output = self._project(self.output_dense, heads)  # (B, T, d_out)
        if return_attention_scores:
            return output, probabilities
        return output
