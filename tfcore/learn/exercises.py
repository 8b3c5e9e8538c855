"""The exercises a learner can have checked: each one's signature, cases and oracle.

A learner's function works in graph mode: it receives `tf.Tensor`s (float64
placeholders) and Python values (strides, padding, ...), positionally in the
signature's order (so any argument names do), builds ops and returns the
output tensor(s), float64 like the inputs. Any TensorFlow op is allowed, so the exercise is to write
the computation, e.g. a convolution from `tf.image.extract_patches` and
`tf.matmul`, and optionally its backward pass with `tf.custom_gradient`.

Each exercise's oracle is TensorFlow's own op (`tf.nn.conv2d`, `tf.nn.max_pool2d`,
`tf.nn.batch_normalization`, ...) or a tfcore layer's step (`LSTMCell`,
`GRUCell`, `Attention`), never the learner's code: see oracles.py. Cases are random
values drawn from a seed on fixed shapes and settings (batch 1, odd sizes, both
paddings, strides above 1), then the exercise's *adversarial* cases, each built to
make one classic mistake fail: logits of magnitude 1e3 (a softmax without the max
subtracted overflows), SAME padding with an odd total on both axes (the extra zero
on the wrong side), all-negative windows (zero padding wins a max), a small batch
(an unbiased variance), rates other than 0.5 (a missing 1 / (1 - rate)), attention
rows whose keys are all masked but one. mistakes.py computes those mistakes, so a
failed check can say which one the learner's output equals.

This module imports no TensorFlow: `python -m tfcore.learn list` and every usage
error answer at once. The oracles load on first use (`Exercise.oracle`).
"""

from __future__ import annotations

import dataclasses
import importlib
import sys
from typing import IO, Any, Callable

import numpy as np

Arrays = dict[str, np.ndarray]
"""A case's tensors' values, by argument name."""
Config = dict[str, Any]
"""A case's Python arguments (strides, padding, ...), by name."""
Case = tuple[Arrays, Config]


@dataclasses.dataclass
class Exercise:
    """What a learner writes (`signature`, `doc`) and how it is checked.

    `cases(rng)` returns a list of `(arrays, config)`: the tensors' values by
    argument name and the Python arguments. `oracle(**tensors, **config)` builds
    the expected output(s). `differentiable` names the arguments whose gradients
    are checked; `outputs` names the returned tensors (one name: a single tensor).
    """

    name: str
    signature: str
    doc: str
    oracle_name: str
    cases: Callable[[np.random.RandomState], list[Case]]
    adversarial: Callable[[np.random.RandomState], list[tuple[Arrays, Config, str]]]
    differentiable: tuple[str, ...]
    outputs: tuple[str, ...] = ("y",)

    @property
    def oracle(self) -> Callable[..., Any]:
        """The TensorFlow function that builds the expected output(s) (imports TensorFlow)."""
        return importlib.import_module("tfcore.learn.oracles").ORACLES[self.name]

    def all_cases(self, seed: int) -> list[tuple[Arrays, Config, str | None]]:
        """[(arrays, config, note)]: the random cases, then the adversarial ones (note says why)."""
        rng = np.random.RandomState(seed)
        return ([(arrays, config, None) for arrays, config in self.cases(rng)]
                + list(self.adversarial(rng)))


class UsageError(ValueError):
    """The exercise, file or function named on the command line does not exist."""


def get_exercise(name: str) -> Exercise | None:
    """The `Exercise` called `name`, or a UsageError listing them all. `gradient:OpType` (a
    gradient rule for tfcore.autodiff, chapter 14) has no entry here: None."""
    if name.startswith("gradient:"):
        if not name[len("gradient:"):].isidentifier():
            raise UsageError("gradient: needs an op type, e.g. gradient:Softplus, got %r" % name)
        return None
    if name not in EXERCISES:
        raise UsageError("unknown exercise %r; exercises: %s" % (name, ", ".join(EXERCISES)))
    return EXERCISES[name]


def _normal(rng, *shape):
    return rng.standard_normal(shape)


def _dense_cases(rng):
    shapes = [(1, 3, 2), (4, 5, 3), (7, 2, 6)]
    return [({"x": _normal(rng, n, k), "w": _normal(rng, k, m), "b": _normal(rng, m)}, {})
            for n, k, m in shapes]


def _elementwise_cases(rng):
    # Away from 0, where relu has no derivative and central differences straddle the kink.
    cases = []
    for shape in [(1, 4), (3, 5), (2, 3, 4)]:
        x = _normal(rng, *shape) * 3
        x = np.where(np.abs(x) < 0.05, 0.5, x)
        cases.append(({"x": x}, {}))
    return cases


def _cross_entropy_cases(rng):
    cases = []
    for n, k in [(1, 3), (4, 5), (6, 2)]:
        labels = rng.dirichlet(np.ones(k), size=n)  # soft labels: one-hot is a special case
        labels[0] = np.eye(k)[rng.randint(k)]
        cases.append(({"labels": labels, "logits": _normal(rng, n, k) * 2}, {}))
    return cases


def _image_case(rng, kernel, n, h, w, c, window, strides, padding, sign=None):
    """One (arrays, config) of images and a window; sign -1 makes every pixel negative."""
    x = _normal(rng, n, h, w, c)
    if sign is not None:
        x = sign * (np.abs(x) + 0.5)
    arrays, config = {"x": x}, {"strides": strides, "padding": padding}
    if kernel:
        arrays["kernel"] = _normal(rng, window[0], window[1], c, 1 + rng.randint(3))
    else:
        config = {"pool_size": window, **config}
    return arrays, config


def _image_cases(rng, kernel):
    """Images and windows: (batch, height, width, channels), window, strides, padding."""
    # SAME cases 3 and 5 pad an odd number of zeros (the extra one goes after).
    settings = [(1, 5, 5, 1, (3, 3), (1, 1), "SAME"), (2, 6, 7, 2, (2, 3), (2, 1), "VALID"),
                (1, 6, 7, 3, (3, 2), (2, 2), "SAME"), (2, 5, 4, 2, (1, 1), (1, 2), "VALID"),
                (1, 5, 4, 2, (2, 3), (1, 2), "SAME"), (1, 6, 6, 1, (2, 2), (2, 2), "VALID")]
    return [_image_case(rng, kernel, *setting) for setting in settings]


def _odd_same_cases(rng, kernel, negative=False):
    """SAME padding with an odd total on both axes: the extra zero's side shows on rows and columns.

    Rows and columns each pad 1 or 3 zeros, so a split with the extra zero before
    (on either axis, or both) moves the windows. With `negative`, every pixel is
    below zero: a max over zero padding returns 0 at the border instead.
    """
    settings = [(1, 6, 6, 2, (2, 2), (1, 1), "SAME"),   # 1 zero on each axis
                (2, 7, 6, 1, (4, 3), (1, 2), "SAME"),   # 3 rows, 1 column
                (1, 6, 8, 1, (3, 3), (2, 2), "SAME")]   # 1 row, 1 column, stride 2
    cases = [_image_case(rng, kernel, *setting, sign=-1 if negative else None) for setting in settings]
    why = "SAME padding with an odd total on both axes" + (", every pixel negative" if negative else "")
    return [(arrays, config, why) for arrays, config in cases]


def _dense_adversarial(rng):
    """Batch 1 and a single output unit: a squeeze or a transposed w shows."""
    return [({"x": _normal(rng, n, k), "w": _normal(rng, k, m), "b": _normal(rng, m) * 3}, {},
             "batch %d, %d input(s), %d output(s)" % (n, k, m)) for n, k, m in [(1, 4, 1), (3, 1, 2)]]


def _relu_adversarial(rng):
    x = _normal(rng, 3, 4)
    x = np.sign(x) * 10.0 ** rng.uniform(-2, 3, size=x.shape)  # |x| from 0.01 to 1000
    return [({"x": x}, {}, "magnitudes from 1e-2 to 1e3")]


def _sigmoid_adversarial(rng):
    x = np.sign(_normal(rng, 2, 5)) * rng.uniform(20, 40, size=(2, 5))
    x[0, 0], x[1, 0] = 0.25, -0.25
    return [({"x": x}, {}, "|x| from 20 to 40, where sigmoid saturates")]


def _large_logits(rng, n, k):
    """Logits of magnitude ~1e3: exp overflows float64 (exp(710) = inf) unless the max is subtracted."""
    logits = _normal(rng, n, k) * 300 + 1000 * np.sign(_normal(rng, n, 1))
    logits[0, 0] = 1000.0
    return logits


def _softmax_adversarial(rng):
    return [({"x": _large_logits(rng, 3, 4)}, {}, "logits of magnitude 1e3"),
            ({"x": _large_logits(rng, 2, 1)}, {}, "logits of magnitude 1e3, one class")]


def _cross_entropy_adversarial(rng):
    logits = _large_logits(rng, 4, 3)
    labels = rng.dirichlet(np.ones(3), size=4)
    labels[0], labels[1] = np.eye(3)[1], np.eye(3)[2]
    return [({"labels": labels, "logits": logits}, {}, "logits of magnitude 1e3")]


def _batch_norm_adversarial(rng):
    """Two examples (n - 1 = 1: an unbiased variance doubles) and a large epsilon."""
    cases = []
    for shape, epsilon in [((2, 3), 0.5), ((2, 2, 3, 2), 1e-3)]:
        arrays = {"x": _normal(rng, *shape) * 3 + 2, "gamma": _normal(rng, shape[-1]),
                  "beta": _normal(rng, shape[-1])}
        cases.append((arrays, {"epsilon": epsilon}, "batch of 2, epsilon %g" % epsilon))
    return cases


def _dropout_adversarial(rng):
    """Rates other than 0.5 (where 1 / rate = 1 / (1 - rate)), and a row with every unit dropped."""
    cases = []
    for shape, rate in [((3, 4), 0.2), ((2, 5), 0.75)]:
        mask = (rng.uniform(size=shape) >= rate).astype(np.float64)
        mask[0], mask[-1, 0] = 0.0, 1.0
        cases.append(({"x": _normal(rng, *shape), "keep_mask": mask}, {"rate": rate},
                      "rate %g, a row with every unit dropped" % rate))
    return cases


def _cell_adversarial(rng, gates, with_c, bias_rows):
    """Larger weights and biases: every gate far from sigmoid(0) = 0.5, so no gate hides another."""
    cases = []
    for arrays, config in _cell_cases(rng, gates, with_c, bias_rows)[:2]:
        for name in ("kernel", "recurrent_kernel", "bias"):
            arrays[name] = arrays[name] * 3
        cases.append((arrays, config, "weights and biases three times larger"))
    return cases


def _key_mask(rng, n, tv, keep_one=False):
    """(n, tv) 0/1: at least one key masked in the case, at least one kept in every row."""
    mask = (rng.uniform(size=(n, tv)) >= 0.4).astype(np.float64)
    if keep_one:
        mask[:] = 0.0
    mask[np.arange(n), rng.randint(tv, size=n)] = 1.0
    if mask.all() and tv > 1:
        j = rng.randint(tv)
        mask[0, j], mask[0, (j + 1) % tv] = 0.0, 1.0
    return mask


def _attention_adversarial(rng):
    """Every row attends to one key only (all the others masked), and large scores."""
    cases = []
    for n, tq, tv, d, dv, scale in [(2, 3, 4, 2, 3, 1.0), (3, 2, 5, 4, 2, 30.0)]:
        mask = _key_mask(rng, n, tv, keep_one=True)
        arrays = {"q": _normal(rng, n, tq, d) * scale, "k": _normal(rng, n, tv, d) * scale,
                  "v": _normal(rng, n, tv, dv), "mask": mask}
        why = "every key but one masked in each row" + (", scores ~1e3" if scale > 1 else "")
        cases.append((arrays, {}, why))
    return cases


def _batch_norm_cases(rng):
    cases = []
    for shape in [(4, 3), (2, 3, 3, 2), (5, 1), (3, 2, 4, 3)]:
        arrays = {"x": _normal(rng, *shape) * 2 + 1, "gamma": _normal(rng, shape[-1]),
                  "beta": _normal(rng, shape[-1])}
        cases.append((arrays, {"epsilon": 1e-3}))
    return cases


def _dropout_cases(rng):
    cases = []
    for shape, rate in [((1, 5), 0.5), ((3, 4), 0.25), ((2, 3, 2), 0.1)]:
        mask = (rng.uniform(size=shape) >= rate).astype(np.float64)
        cases.append(({"x": _normal(rng, *shape), "keep_mask": mask}, {"rate": rate}))
    return cases


def _cell_cases(rng, gates, with_c, bias_rows):
    cases = []
    for n, features, units in [(1, 2, 3), (3, 4, 2), (2, 3, 5)]:
        arrays = {"x": _normal(rng, n, features), "h": _normal(rng, n, units) * 0.5}
        if with_c:
            arrays["c"] = _normal(rng, n, units) * 0.5
        arrays["kernel"] = _normal(rng, features, gates * units) * 0.5
        arrays["recurrent_kernel"] = _normal(rng, units, gates * units) * 0.5
        arrays["bias"] = _normal(rng, *bias_rows, gates * units) * 0.5
        cases.append((arrays, {}))
    return cases


def _attention_cases(rng):
    """Queries, keys, values and a key padding mask (1 attended, 0 padding): every case masks a key."""
    cases = []
    for n, tq, tv, d, dv in [(1, 2, 3, 2, 2), (2, 3, 4, 4, 3), (3, 1, 5, 3, 2), (2, 4, 2, 5, 1)]:
        cases.append(({"q": _normal(rng, n, tq, d), "k": _normal(rng, n, tv, d),
                       "v": _normal(rng, n, tv, dv), "mask": _key_mask(rng, n, tv)}, {}))
    return cases


_POOL_DOC = ("x: (batch, height, width, channels); pool_size, strides: (rows, cols) int pairs; "
             "padding 'SAME' or 'VALID'. SAME pads so that output size = ceil(input / stride); ")

EXERCISES = {e.name: e for e in [
    Exercise("dense", "dense(x, w, b) -> y",
             "y = x w + b; x (batch, in), w (in, out), b (out,).",
             "tf.matmul + tf.nn.bias_add", _dense_cases, _dense_adversarial, ("x", "w", "b")),
    Exercise("relu", "relu(x) -> y", "y = max(x, 0), elementwise.",
             "tf.nn.relu", _elementwise_cases, _relu_adversarial, ("x",)),
    Exercise("sigmoid", "sigmoid(x) -> y", "y = 1 / (1 + exp(-x)), elementwise.",
             "tf.math.sigmoid", _elementwise_cases, _sigmoid_adversarial, ("x",)),
    Exercise("softmax", "softmax(x) -> y", "y_i = exp(x_i) / sum_j exp(x_j) along the last axis.",
             "tf.nn.softmax", _elementwise_cases, _softmax_adversarial, ("x",)),
    Exercise("softmax_cross_entropy", "softmax_cross_entropy(labels, logits) -> loss",
             "loss (batch,) = -sum_k labels_k log softmax(logits)_k, one value per example; "
             "labels are probabilities (rows sum to 1). Gradient checked for logits.",
             "tf.nn.softmax_cross_entropy_with_logits", _cross_entropy_cases,
             _cross_entropy_adversarial, ("logits",), ("loss",)),
    Exercise("conv2d", "conv2d(x, kernel, strides, padding) -> y",
             "x: (batch, height, width, in); kernel: (kh, kw, in, out); strides: (rows, cols); "
             "padding 'SAME' (output size ceil(input / stride), zeros split before/after with "
             "the extra one after) or 'VALID'. Cross-correlation, as tf.nn.conv2d.",
             "tf.nn.conv2d", lambda rng: _image_cases(rng, kernel=True),
             lambda rng: _odd_same_cases(rng, kernel=True), ("x", "kernel")),
    Exercise("max_pool2d", "max_pool2d(x, pool_size, strides, padding) -> y",
             _POOL_DOC + "padded cells never win the max.", "tf.nn.max_pool2d",
             lambda rng: _image_cases(rng, kernel=False),
             lambda rng: _odd_same_cases(rng, kernel=False, negative=True), ("x",)),
    Exercise("avg_pool2d", "avg_pool2d(x, pool_size, strides, padding) -> y",
             _POOL_DOC + "a SAME window averages only the pixels inside the image.", "tf.nn.avg_pool2d",
             lambda rng: _image_cases(rng, kernel=False),
             lambda rng: _odd_same_cases(rng, kernel=False), ("x",)),
    Exercise("batch_norm", "batch_norm(x, gamma, beta, epsilon) -> y",
             "Training mode: mean and (biased) variance over every axis but the last; "
             "y = gamma (x - mean) / sqrt(variance + epsilon) + beta; gamma, beta: (features,).",
             "tf.nn.moments + tf.nn.batch_normalization", _batch_norm_cases, _batch_norm_adversarial,
             ("x", "gamma", "beta")),
    Exercise("dropout", "dropout(x, keep_mask, rate) -> y",
             "Inverted dropout with a given mask: y = x * keep_mask / (1 - rate); keep_mask is "
             "0/1 of x's shape (the randomness is the mask's, so the check is exact).",
             "x * keep_mask / (1 - rate) (tf.math)", _dropout_cases, _dropout_adversarial, ("x",)),
    Exercise("lstm_cell", "lstm_cell(x, h, c, kernel, recurrent_kernel, bias) -> (h, c)",
             "One LSTM step, Keras's layout: kernel (in, 4H), recurrent_kernel (H, 4H), bias "
             "(4H,), gate blocks i, f, c, o; z = x kernel + h recurrent_kernel + bias; "
             "c' = sigmoid(f) c + sigmoid(i) tanh(c~); h' = sigmoid(o) tanh(c').",
             "tfcore.layers.LSTMCell.step", lambda rng: _cell_cases(rng, 4, True, ()),
             lambda rng: _cell_adversarial(rng, 4, True, ()),
             ("x", "h", "c", "kernel", "recurrent_kernel", "bias"), ("h", "c")),
    Exercise("gru_cell", "gru_cell(x, h, kernel, recurrent_kernel, bias) -> h",
             "One GRU step, Keras 2's reset_after form: kernel (in, 3H), recurrent_kernel (H, 3H), "
             "bias (2, 3H) (row 0 input, row 1 recurrent), blocks z, r, h; "
             "z = sigmoid(xz + hz), r = sigmoid(xr + hr), n = tanh(xh + r hh), h' = z h + (1 - z) n.",
             "tfcore.layers.GRUCell.step (reset_after=True)", lambda rng: _cell_cases(rng, 3, False, (2,)),
             lambda rng: _cell_adversarial(rng, 3, False, (2,)),
             ("x", "h", "kernel", "recurrent_kernel", "bias"), ("h",)),
    Exercise("attention", "attention(q, k, v, mask) -> y",
             "Scaled dot-product attention: q (batch, Tq, d), k (batch, Tv, d), v (batch, Tv, dv), "
             "mask (batch, Tv) 1.0 where key j may be attended and 0.0 where it is padding (every "
             "row keeps a key); y = softmax(q k^T / sqrt(d) + M) v, softmax over the keys, "
             "M = -1e9 (or -inf) where the mask is 0. y: (batch, Tq, dv).",
             "tfcore.layers.Attention (query scaled by 1/sqrt(d))", _attention_cases,
             _attention_adversarial, ("q", "k", "v")),
]}


def list_exercises(out: IO[str] | None = None) -> None:
    """Print every exercise: its signature, what it computes, its oracle."""
    out = out or sys.stdout
    for spec in EXERCISES.values():
        out.write("%s\n    %s\n    %s\n    oracle: %s; gradients checked for: %s\n\n"
                  % (spec.name, spec.signature, spec.doc, spec.oracle_name, ", ".join(spec.differentiable)))
    out.write("gradient:<OpType>\n    rule(op, grad) -> [the gradient of each input]\n"
              "    a gradient rule for tfcore.autodiff (chapter 14), for an elementwise tf.raw_ops op "
              "with one or two inputs, e.g. gradient:Softplus\n    oracle: tf.gradients on random graphs\n\n")
