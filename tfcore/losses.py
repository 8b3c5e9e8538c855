"""Loss functions, written by hand so that each formula is visible and stable.

Every loss first computes one value per example, then reduces over the batch:

    reduction="mean"  the batch mean (the default, as Keras)
    reduction="sum"   the batch sum
    reduction="none"  the per-example values, shape = the batch shape

Sample weights and masks (Keras 2's `compute_weighted_loss` and
`apply_valid_mask`, `_reduce`): with per-example losses l, weights w (shaped
like l, or (batch,) for (batch, time) losses, or a scalar) and a mask m (1 for
a real step, 0 for padding, shaped like l):

    "mean" (Keras's SUM_OVER_BATCH_SIZE):  sum(l w m') / size(l),  m' = m size(m) / sum(m)
                                           = sum(l w m) / sum(m) with a mask: the masked mean
    "sum":                                  sum(l w m)
    "none":                                 l w m

so weights do NOT renormalise the mean (a batch whose weights are all 0.5 has
half the loss), exactly as Keras's loss objects and `fit(sample_weight=)`.

Labels of shape (batch,) against predictions of shape (batch, 1) get the
trailing axis (and (batch, 1) labels lose it against (batch,) predictions), as
Keras's `fit` does (`match_dtype_and_rank`) before it calls the loss. (Keras's
loss objects called directly instead broadcast (batch,) - (batch, 1) to
(batch, batch): a silent mistake tfcore does not copy.)

The last axis is the class (or output) axis: a (batch, classes) input gives
(batch,) per-example values; a (batch, time, classes) input gives (batch, time).
A rank-1 input holds one value per example.

Cross-entropy from logits z (one-hot labels y, K classes), via log-softmax so
that no exp of a large number is taken:

    loss = -sum_k y_k log softmax(z)_k = -sum_k y_k (z_k - m - log sum_j e^{z_j - m}),
    m = max_j z_j

Its gradient, with p = softmax(z) and g = dL/dloss for the example
(`gradient="manual"` states it by hand; "auto" lets tf.gradients derive it):

    dL/dz_k = g (p_k sum_j y_j - y_k)  =  g (p_k - y_k)   when the labels sum to 1
    dL/dy_k = -g log softmax(z)_k                          (labels get a gradient too)

Sparse labels (an integer class c per example): loss = -log softmax(z)_c.

Cross-entropy from probabilities p (Keras 2 semantics, for a softmax output):

    p <- p / sum_k p_k;   p <- clip(p, eps, 1 - eps);   loss = -sum_k y_k log p_k

and from probabilities with integer labels c (Keras 2's sparse version, which
clips first and renormalises through a softmax of log p):

    p <- clip(p, eps, 1 - eps);   loss = -log(p_c / sum_k p_k)

Logits read back (Keras 2's rule, `_logits_of`): when the probabilities are the
output of a Softmax op (a Sigmoid op for binary cross-entropy), as a layer's
`activation="softmax"` makes them, the probability losses compute from that
op's input, the logits, exactly as Keras does: no clipping, so confident
wrong predictions keep their gradient. Probabilities computed any other way
(`tf.identity(p)` forces it, as do the readable activations) get the clipped
formulas above. `from_logits=True` says the input is logits.

Sigmoid cross-entropy from logits z with labels y in [0, 1], elementwise:

    -y log s(z) - (1 - y) log(1 - s(z))  =  max(z, 0) - z y + log(1 + e^{-|z|})

(the right side never exponentiates a positive number), then the mean over the
last axis. Binary cross-entropy from probabilities (Keras 2):

    p <- clip(p, eps, 1 - eps)
    -(y log(p + eps) + (1 - y) log(1 - p + eps)),  mean over the last axis

Label smoothing s in [0, 1] (Keras 2; `label_smoothing=0.0`, the default, leaves
the labels alone) pulls the labels towards uniform before any of the four
cross-entropies above, so that a confident model is not pushed to infinite logits:

    categorical (K classes on the last axis):  y <- y (1 - s) + s / K
    binary (each output its own 2 classes):    y <- y (1 - s) + s / 2

Mean squared (absolute) error (Keras): mean over the last axis of (y - p)^2 (|y - p|).

Sum of squares (the chapter's "L2 loss"): sum over everything of (y - p)^2. Its
default reduction is "sum". Note `tf.nn.l2_loss(t)` is sum(t^2) / 2: half of it.
"""

import tensorflow as tf

from tfcore import activations
from tfcore.checks import check_dtype, check_int, check_min_rank, normalize_choice, number_in, resolve_axes
from tfcore.module import check_gradient, get_mask

_REDUCTIONS = ("mean", "sum", "none")


def _reduce(per_example, reduction, sample_weight=None, mask=None):
    """The batch reduction of the per-example losses, with Keras 2's weights and mask.

    A mask under "mean" is first scaled by size / sum (the masked mean; an all-masked
    batch gives 0 where Keras gives NaN), then multiplies the weights.
    """
    weights = None
    if mask is not None:
        mask = _match_rank(tf.cast(mask, per_example.dtype), per_example, "mask")
        if reduction == "mean":
            size = tf.cast(tf.size(mask), mask.dtype)
            mask = mask * tf.math.divide_no_nan(size, tf.reduce_sum(mask))
        weights = mask
    if sample_weight is not None:
        w = _match_rank(tf.cast(sample_weight, per_example.dtype), per_example, "sample_weight")
        weights = w if weights is None else w * weights
    if weights is not None:
        per_example = per_example * weights
    if reduction == "mean":
        return tf.reduce_mean(per_example)  # sum(l w) / size(l): Keras's SUM_OVER_BATCH_SIZE
    if reduction == "sum":
        return tf.reduce_sum(per_example)
    return per_example  # "none"; normalize_choice has ruled out anything else


def _travelling_mask(mask, predictions):
    """An explicit `mask=` wins; else the mask riding on the predictions (an Embedding's
    mask_zero, a Masking layer, passed on by the layers after them), as Keras 2's losses
    read `y_pred._keras_mask`: padded steps then count in neither sum of the masked mean."""
    return mask if mask is not None else get_mask(predictions)


def _match_rank(weights, per_example, what):
    """`weights` shaped to multiply `per_example`, as Keras's squeeze_or_expand_dimensions:
    a trailing axis of 1 too many is dropped, one too few is added (a (batch,) weight
    for (batch, time) losses weighs every step of the example)."""
    rank, loss_rank = weights.shape.rank, per_example.shape.rank
    if rank is not None and loss_rank is not None and rank > 0:
        if rank == loss_rank + 1 and weights.shape[-1] == 1:
            weights = tf.squeeze(weights, -1)
        elif rank == loss_rank - 1:
            weights = tf.expand_dims(weights, -1)
    if not weights.shape.is_compatible_with(per_example.shape) and weights.shape.rank != 0:
        try:
            tf.broadcast_static_shape(weights.shape, per_example.shape)
        except ValueError:
            raise ValueError("%s of shape %s does not fit the per-example losses of shape %s"
                             % (what, weights.shape, per_example.shape)) from None
    return weights


def _float_inputs(labels, predictions, loss_name, predictions_name="predictions"):
    """Convert both to tensors of the predictions' float dtype; shapes must match, after
    (batch,) labels meet (batch, 1) predictions (`_labels_like`)."""
    predictions = tf.convert_to_tensor(predictions)
    check_dtype(predictions, "floating", loss_name, predictions_name)
    labels = _labels_like(tf.cast(tf.convert_to_tensor(labels), predictions.dtype), predictions)
    if not labels.shape.is_compatible_with(predictions.shape):
        raise ValueError(
            "%s: labels have shape %s but %s have shape %s; they must match"
            % (loss_name, labels.shape, predictions_name, predictions.shape)
        )
    return labels, predictions


def _labels_like(labels, predictions):
    """(batch,) labels for (batch, 1) predictions gain the axis; (batch, 1) labels for
    (batch,) predictions lose it (Keras's fit, module docstring)."""
    rank, predicted_rank = labels.shape.rank, predictions.shape.rank
    if rank is None or predicted_rank is None:
        return labels
    if rank == predicted_rank - 1 and predictions.shape[-1] == 1:
        return tf.expand_dims(labels, -1)
    if rank == predicted_rank + 1 and labels.shape[-1] == 1:
        return tf.squeeze(labels, -1)
    return labels


def _logits_of(probabilities, from_logits, op_type):
    """(tensor, is it logits?): Keras 2 reads the logits back from a `op_type` op's output."""
    probabilities = tf.convert_to_tensor(probabilities)
    if not from_logits and not tf.executing_eagerly() and probabilities.op.type == op_type:
        return probabilities.op.inputs[0], True
    return probabilities, bool(from_logits)


def _class_axis_last(axis, loss_name, *tensors):
    """`tensors` with the class `axis` moved to the end (a transpose: no arithmetic)."""
    rank, axis = tensors[0].shape.rank, check_int(axis, loss_name, "axis")
    if axis == -1 or (rank is not None and axis == rank - 1):
        return tensors
    (axis,) = resolve_axes([axis], tensors[0].shape, loss_name, "axis", "the inputs", given=axis)
    order = [a for a in range(rank) if a != axis] + [axis]
    return tuple(tf.transpose(t, order) for t in tensors)


def _last_axis(x, reduce, loss_name):
    """Reduce the class axis (the last), unless the input is rank 1 (one value per example)."""
    check_min_rank(x.shape, 0, loss_name, name="inputs")
    if x.shape.rank <= 1:
        return x
    return reduce(x, axis=-1)


def _smooth_labels(labels, label_smoothing, classes):
    """y (1 - s) + s / classes; `classes` is the class-axis length (2 for binary labels)."""
    if label_smoothing == 0.0:
        return labels  # no ops in the graph when smoothing is off
    return labels * (1.0 - label_smoothing) + label_smoothing / classes


def _class_count(x):
    """The length of the class (last) axis: a Python number when static, else a tensor."""
    if x.shape.rank is not None and x.shape[-1] is not None:
        return float(x.shape[-1])
    return tf.cast(tf.shape(x)[-1], x.dtype)


def softmax_cross_entropy_with_logits(labels, logits, reduction="mean", label_smoothing=0.0,
                                      gradient="auto", sample_weight=None, mask=None):
    """Cross-entropy of one-hot (or soft) `labels` against softmax(`logits`).

    `label_smoothing` s replaces the labels by y (1 - s) + s / classes, as Keras 2.
    `gradient="manual"` uses the hand-derived backward pass
    (`_cross_entropy_with_manual_gradient`) instead of tf.gradients'; the same numbers.
    `sample_weight`, `mask`: Keras 2's per-example weights and mask (module docstring).
    """
    mask = _travelling_mask(mask, logits)
    name = "softmax_cross_entropy_with_logits"
    normalize_choice(reduction, _REDUCTIONS, name, "reduction")
    check_gradient(name, gradient)
    label_smoothing = number_in(label_smoothing, "[0, 1]", name, "label_smoothing")
    with tf.name_scope("softmax_cross_entropy"):
        labels, logits = _float_inputs(labels, logits, name, "logits")
        if logits.shape.rank is not None and logits.shape.rank < 1:
            raise ValueError("%s: logits must have a class axis, got a scalar" % name)
        labels = _smooth_labels(labels, label_smoothing, _class_count(logits))
        if gradient == "manual":
            per_example = _cross_entropy_with_manual_gradient(labels, logits)
        else:
            per_example = -tf.reduce_sum(labels * activations.log_softmax(logits), axis=-1)
        return _reduce(per_example, reduction, sample_weight, mask)


@tf.custom_gradient
def _cross_entropy_with_manual_gradient(labels, logits):
    """Per-example -sum_k y_k log softmax(z)_k, with its backward pass stated by hand.

    The labels here are the smoothed ones: the smoothing op before this function
    passes their gradient on (times 1 - s) by the chain rule.
    Second order: `tf.custom_gradient` replaces only the first derivative; the
    backward pass below is ordinary ops on z, y and g (softmax, log_softmax),
    which `tf.gradients` differentiates again, exactly.
    """
    log_p = activations.log_softmax(logits)
    per_example = -tf.reduce_sum(labels * log_p, axis=-1)

    def backward(g):
        g = tf.expand_dims(g, -1)  # one upstream gradient per example, over its classes
        p = tf.exp(log_p)
        # dz = g (p sum(y) - y): the familiar p - y when each label row sums to 1.
        dlogits = g * (p * tf.reduce_sum(labels, axis=-1, keepdims=True) - labels)
        dlabels = -g * log_p  # dy = -g log p
        return dlabels, dlogits

    return per_example, backward


def sparse_softmax_cross_entropy_with_logits(labels, logits, reduction="mean", sample_weight=None,
                                             mask=None):
    """Cross-entropy of integer class `labels` (shape = logits' without the last axis).

    Labels with a trailing axis of size 1, (batch, 1) for (batch, classes)
    logits, are accepted too, as in Keras.
    A label outside [0, classes) fails at run time with InvalidArgumentError.
    `sample_weight`, `mask`: Keras 2's per-example weights and mask (module docstring).
    """
    mask = _travelling_mask(mask, logits)
    name = "sparse_softmax_cross_entropy_with_logits"
    normalize_choice(reduction, _REDUCTIONS, name, "reduction")
    with tf.name_scope("sparse_softmax_cross_entropy"):
        logits = tf.convert_to_tensor(logits)
        labels = tf.convert_to_tensor(labels)
        check_dtype(logits, "floating", name, "logits")
        check_dtype(labels, "integer", name, "labels", "; they are class indices here (one-hot "
                    "labels go to softmax_cross_entropy_with_logits)")
        # Keras accepts (batch, 1) class labels as well as (batch,) (and so on for
        # longer shapes): a trailing label axis of size 1 is dropped.
        if labels.shape.rank is not None and labels.shape.rank == logits.shape.rank \
                and labels.shape[-1] == 1:
            labels = tf.squeeze(labels, axis=-1)
        if logits.shape.rank is None or logits.shape.rank < 1 \
                or not labels.shape.is_compatible_with(logits.shape[:-1]):
            raise ValueError(
                "%s: labels have shape %s but logits have shape %s; labels must have the "
                "logits' shape without the class axis" % (name, labels.shape, logits.shape)
            )
        classes = tf.shape(logits)[-1]  # int32, as one_hot's depth must be
        checks = [
            tf.debugging.assert_non_negative(labels, message=name + ": labels must be >= 0"),
            tf.debugging.assert_less(
                labels, tf.cast(classes, labels.dtype), message=name + ": labels must be < classes"
            ),
        ]
        with tf.control_dependencies(checks):
            one_hot = tf.one_hot(labels, classes, dtype=logits.dtype)
        # Picking log p_c with a one-hot mask: the gradient is softmax(z) - onehot(c).
        per_example = -tf.reduce_sum(one_hot * activations.log_softmax(logits), axis=-1)
        return _reduce(per_example, reduction, sample_weight, mask)


def categorical_crossentropy(labels, probabilities, from_logits=False, label_smoothing=0.0, axis=-1,
                             *, epsilon=1e-7, reduction="mean", sample_weight=None, mask=None):
    """Cross-entropy of one-hot `labels` against `probabilities` (a softmax output), as Keras 2's.

    Keras 2's arguments in its order (from_logits, label_smoothing, axis); tfcore's
    own (epsilon, reduction, sample_weight, mask) are keywords. Unlike Keras's
    function, which returns one loss per example, the default reduction is the batch
    mean (what `assemble` and `fit` minimise); `reduction="none"` gives Keras's.

    Keras 2 semantics: the probabilities are renormalised to sum to 1 and clipped
    to [epsilon, 1 - epsilon] so that log never sees 0; but the output of a
    Softmax op is read back as logits (`_logits_of`), as are the inputs with
    `from_logits=True`: then it is `softmax_cross_entropy_with_logits`, unclipped.
    `label_smoothing` s replaces the labels by y (1 - s) + s / classes.
    `axis`: the class axis (Keras's; -1 default, 1 for channels_first maps).
    `sample_weight`, `mask`: Keras 2's per-example weights and mask (module docstring).
    """
    mask = _travelling_mask(mask, probabilities)
    name = "categorical_crossentropy"
    normalize_choice(reduction, _REDUCTIONS, name, "reduction")
    number_in(epsilon, "(0, 0.5)", name, "epsilon")
    label_smoothing = number_in(label_smoothing, "[0, 1]", name, "label_smoothing")
    with tf.name_scope("categorical_crossentropy"):
        predictions, from_logits = _logits_of(probabilities, from_logits, "Softmax")
        labels, p = _float_inputs(labels, predictions, name, "probabilities")
        if p.shape.rank is not None and p.shape.rank < 1:
            raise ValueError("%s: probabilities must have a class axis, got a scalar" % name)
        labels, p = _class_axis_last(axis, name, labels, p)
        labels = _smooth_labels(labels, label_smoothing, _class_count(p))
        if from_logits:
            per_example = -tf.reduce_sum(labels * activations.log_softmax(p), axis=-1)
        else:
            p = p / tf.reduce_sum(p, axis=-1, keepdims=True)
            p = tf.clip_by_value(p, epsilon, 1.0 - epsilon)
            per_example = -tf.reduce_sum(labels * tf.math.log(p), axis=-1)
        return _reduce(per_example, reduction, sample_weight, mask)


def sparse_categorical_crossentropy(labels, predictions, from_logits=False, axis=-1, ignore_class=None,
                                    *, epsilon=1e-7, reduction="mean", sample_weight=None, mask=None):
    """Cross-entropy of integer class `labels` against probabilities (or logits), as Keras 2's.

    From probabilities p (a softmax output): -log(clip(p)_c / sum_k clip(p)_k), Keras 2's
    arithmetic (clip to [epsilon, 1 - epsilon], log, then a softmax cross-entropy of
    log p). A Softmax op's output is read back as logits (`_logits_of`), as are the
    inputs with `from_logits=True`: `sparse_softmax_cross_entropy_with_logits`.
    `axis`: the class axis of `predictions`. Labels may be floats holding class
    numbers (Keras casts them to ints; so does this).
    `ignore_class`: Keras's: a label equal to it adds nothing, and the mean is over the
    other examples (it joins `mask`).
    `sample_weight`, `mask`: Keras 2's per-example weights and mask (module docstring).
    Keras 2's arguments come first, in its order; the rest are keywords.
    """
    mask = _travelling_mask(mask, predictions)
    name = "sparse_categorical_crossentropy"
    labels = tf.convert_to_tensor(labels)
    if labels.dtype.is_floating:  # class numbers held in floats, as fit often passes them
        labels = tf.cast(labels, tf.int64)
    if ignore_class is not None:
        check_int(ignore_class, name, "ignore_class")
        rank = tf.convert_to_tensor(predictions).shape.rank
        if labels.shape.rank is not None and labels.shape.rank == rank and labels.shape[-1] == 1:
            labels = tf.squeeze(labels, axis=-1)  # (batch, 1) labels: the mask is per example
        valid = tf.not_equal(labels, tf.cast(ignore_class, labels.dtype))
        labels = tf.where(valid, labels, tf.zeros_like(labels))  # any class: its loss is masked
        mask = valid if mask is None else tf.logical_and(valid, tf.cast(mask, tf.bool))
    normalize_choice(reduction, _REDUCTIONS, name, "reduction")
    number_in(epsilon, "(0, 0.5)", name, "epsilon")
    with tf.name_scope("sparse_categorical_crossentropy"):
        logits, from_logits = _logits_of(predictions, from_logits, "Softmax")
        check_dtype(logits, "floating", name, "predictions")
        (logits,) = _class_axis_last(axis, name, logits)
        if not from_logits:  # softmax(log p) = p / sum p: the renormalisation after clipping
            logits = tf.math.log(tf.clip_by_value(logits, epsilon, 1.0 - epsilon))
        return sparse_softmax_cross_entropy_with_logits(labels, logits, reduction, sample_weight, mask)


def sigmoid_cross_entropy_with_logits(labels, logits, reduction="mean", label_smoothing=0.0,
                                      sample_weight=None, mask=None):
    """Binary cross-entropy of `labels` in [0, 1] against sigmoid(`logits`), stably.

    `label_smoothing` s replaces the labels by y (1 - s) + s / 2, as Keras 2.
    `sample_weight`, `mask`: Keras 2's per-example weights and mask (module docstring).
    """
    mask = _travelling_mask(mask, logits)
    return binary_crossentropy(labels, logits, reduction=reduction, label_smoothing=label_smoothing,
                               from_logits=True, sample_weight=sample_weight, mask=mask,
                               name="sigmoid_cross_entropy_with_logits")


def _sigmoid_cross_entropy(y, z):
    """max(z, 0) - z y + log(1 + e^{-|z|}), elementwise (module docstring)."""
    abs_z = tf.where(z >= 0, z, -z)  # not tf.abs: its gradient at 0 is 0
    return tf.maximum(z, tf.zeros_like(z)) - z * y + tf.math.log1p(tf.exp(-abs_z))


def binary_crossentropy(labels, probabilities, from_logits=False, label_smoothing=0.0, axis=-1,
                        *, epsilon=1e-7, reduction="mean", sample_weight=None, mask=None,
                        name="binary_crossentropy"):
    """Binary cross-entropy of `labels` against `probabilities` (a sigmoid output), Keras 2 style.

    Arguments and reduction as `categorical_crossentropy`'s (Keras 2's order first).

    Elementwise, then the mean over `axis` (Keras's; the last by default). A Sigmoid
    op's output is read back as logits (`_logits_of`), as are the inputs with
    `from_logits=True`: then the stable formula of `sigmoid_cross_entropy_with_logits`.
    `label_smoothing` s replaces the labels by y (1 - s) + s / 2.
    `sample_weight`, `mask`: Keras 2's per-example weights and mask (module docstring).
    """
    mask = _travelling_mask(mask, probabilities)
    normalize_choice(reduction, _REDUCTIONS, name, "reduction")
    number_in(epsilon, "(0, 0.5)", name, "epsilon")
    label_smoothing = number_in(label_smoothing, "[0, 1]", name, "label_smoothing")
    with tf.name_scope(name):
        predictions, from_logits = _logits_of(probabilities, from_logits, "Sigmoid")
        y, p = _float_inputs(labels, predictions, name, "logits" if from_logits else "probabilities")
        y = _smooth_labels(y, label_smoothing, 2.0)
        if from_logits:
            elementwise = _sigmoid_cross_entropy(y, p)
        else:
            p = tf.clip_by_value(p, epsilon, 1.0 - epsilon)
            # Keras adds epsilon again inside the logs; kept so the numbers match it.
            # The max(., 0) changes nothing (p <= 1 - eps) but stops Grappler from
            # folding (1 - p) + eps into (1 + eps) - p, which in float32 rounds
            # 1 + eps and shifts the loss near p = 1 away from Keras's value.
            one_minus_p = tf.maximum(1.0 - p, tf.zeros_like(p))
            elementwise = -(y * tf.math.log(p + epsilon) + (1.0 - y) * tf.math.log(one_minus_p + epsilon))
        if elementwise.shape.rank is not None and elementwise.shape.rank > 1:
            (elementwise,) = _class_axis_last(axis, name, elementwise)
        per_example = _last_axis(elementwise, tf.reduce_mean, name)
        return _reduce(per_example, reduction, sample_weight, mask)


def mean_squared_error(labels, predictions, reduction="mean", sample_weight=None, mask=None):
    """Mean over the last axis of (labels - predictions)^2, then the batch reduction.

    `sample_weight`, `mask`: Keras 2's per-example weights and mask (module docstring).
    """
    return _mean_over_last_axis("mean_squared_error", lambda y, p: tf.square(y - p), labels,
                                predictions, reduction, sample_weight, mask)


def mean_absolute_error(labels, predictions, reduction="mean", sample_weight=None, mask=None):
    """Mean over the last axis of |labels - predictions|, then the batch reduction.

    tf.abs, as Keras's: its gradient at a zero error is 0. `sample_weight`, `mask`:
    Keras 2's per-example weights and mask (module docstring).
    """
    return _mean_over_last_axis("mean_absolute_error", lambda y, p: tf.abs(y - p), labels,
                                predictions, reduction, sample_weight, mask)


def _mean_over_last_axis(name, elementwise, labels, predictions, reduction, sample_weight, mask):
    """The regression losses: `elementwise(y, p)`, its mean over the last axis, the reduction."""
    mask = _travelling_mask(mask, predictions)
    normalize_choice(reduction, _REDUCTIONS, name, "reduction")
    with tf.name_scope(name):
        y, p = _float_inputs(labels, predictions, name)
        per_example = _last_axis(elementwise(y, p), tf.reduce_mean, name)
        return _reduce(per_example, reduction, sample_weight, mask)


def sum_of_squares(labels, predictions, reduction="sum", sample_weight=None):
    """The chapter's "L2 loss": sum of (labels - predictions)^2 over everything.

    Per example it sums over every non-batch axis; `reduction="sum"` (the
    default) then sums over the batch too, `"mean"` averages the per-example
    sums. This is twice `tf.nn.l2_loss(labels - predictions)`, which halves it.
    `sample_weight`: per-example weights (module docstring).
    """
    name = "sum_of_squares"
    normalize_choice(reduction, _REDUCTIONS, name, "reduction")
    with tf.name_scope("sum_of_squares"):
        y, p = _float_inputs(labels, predictions, name)
        squares = tf.square(y - p)
        check_min_rank(squares.shape, 0, name, name="inputs")
        per_example = squares
        if squares.shape.rank > 1:
            per_example = tf.reduce_sum(squares, axis=list(range(1, squares.shape.rank)))
        return _reduce(per_example, reduction, sample_weight)
