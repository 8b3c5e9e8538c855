"""Per-example weights for `fit` and `evaluate`: Keras 2's `sample_weight` and `class_weight`.

A model that takes weights has a sample-weight placeholder, `(batch,)` floats,
that its loss uses (`tfcore.losses`, `sample_weight=`), and hands it to
`TrainGraph(sample_weights=...)`. Each row's weight is then

    w_i = sample_weight_i * class_weight[class of y_i]

(either factor 1 when not given), where the class of a row is, as Keras 2's
`fit` reads it, argmax(y_i) for one-hot rows (targets (batch, C), C > 1), else
the label itself as an integer ((batch,) or (batch, 1) targets; a float label
0.7 is class 0, as Keras's int64 cast). Keras 2 wants `class_weight`'s keys to
be exactly 0 .. C - 1, and so does tfcore. The loss of a batch is
sum(l w) / batch size (losses.py); rows not given a weight weigh 1.
"""

import numpy as np


def class_of_rows(y):
    """The class each row of targets `y` stands for (Keras 2's rule, module docstring)."""
    y = np.asarray(y)
    if y.ndim > 2:
        raise ValueError("class_weight: targets of rank %d are not supported (Keras 2 refuses "
                         "them too); pass sample_weight instead" % y.ndim)
    if y.ndim == 2 and y.shape[1] > 1:
        return np.argmax(y, axis=1)
    return y.reshape(-1).astype(np.int64)


def class_weight_table(class_weight):
    """`{class: weight}` as an array indexed by class, keys checked to be 0 .. C - 1."""
    if not isinstance(class_weight, dict) or not class_weight:
        raise TypeError("class_weight must be a non-empty dict {class index: weight}, got %r"
                        % (class_weight,))
    keys = sorted(class_weight)
    if keys != list(range(len(keys))):
        raise ValueError("class_weight must have the keys 0 .. %d (one per class, as Keras 2 "
                         "asks), got %s" % (len(keys) - 1, keys))
    return np.array([float(class_weight[k]) for k in keys])


def row_weights(model, y, sample_weight, class_weight, what):
    """The weight of every row of `y`, or None when the model takes none and none are given."""
    placeholder = getattr(model, "sample_weights", None)
    if sample_weight is None and class_weight is None:
        return None if placeholder is None else np.ones(len(y), _dtype(placeholder))
    if placeholder is None:
        raise ValueError(
            "%s: sample_weight/class_weight need a model that takes weights: a (batch,) "
            "placeholder its loss uses (losses.mean_squared_error(y, p, sample_weight=w)), "
            "given as TrainGraph(..., sample_weights=w)" % what)
    weights = np.ones(len(y))
    if sample_weight is not None:
        sample_weight = np.asarray(sample_weight, dtype=np.float64)
        if sample_weight.shape != (len(y),):
            raise ValueError("%s: sample_weight must have one weight per row, shape (%d,), got %s"
                             % (what, len(y), sample_weight.shape))
        weights = weights * sample_weight
    if class_weight is not None:
        table, classes = class_weight_table(class_weight), class_of_rows(y)
        if classes.size and (classes.min() < 0 or classes.max() >= len(table)):
            raise ValueError("%s: class_weight has weights for classes 0 .. %d, but the targets "
                             "hold class %d" % (what, len(table) - 1,
                                                classes.max() if classes.max() >= len(table)
                                                else classes.min()))
        weights = weights * table[classes]
    return weights.astype(_dtype(placeholder))


def _dtype(placeholder):
    return placeholder.dtype.as_numpy_dtype
