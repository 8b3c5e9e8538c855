"""Generated data: the chapter's scikit-learn problems and stand-ins for benchmarks.

`classification(kind, seed)` wraps `sklearn.datasets.make_classification`
with the chapter's settings, then splits train/test with the same seed:

    logistic: 500 samples, 2 features (both informative, none redundant),
              2 classes, 1 cluster per class; no split (the chapter trains
              and scores on all 500 samples)
    mlp:      1,000 samples, 3 features (all informative), 2 classes,
              3 clusters per class, 80/20 split

The chapter does not say which random state it used, and its figures depend
strongly on it: over seeds 0..9 the logistic problem's loss ranges 0.04-0.31
and the mlp problem's logistic baseline 0.57-0.84. The default seeds were
chosen once, as states on which the chapter's figures are reachable with the
chapter's own training settings (other seeds give other problems, not wrong
ones):

    logistic, seed 25: gradient descent (lr 0.025, zero start, 5,000 steps, all
        500 samples) reaches log-loss 0.2605, accuracy 0.912; scikit-learn's
        LogisticRegression scores 0.918 (`python -m models.logistic_regression`).
    mlp, seed 329: scikit-learn's LogisticRegression scores 0.715 on the test
        part; Dense 50 tanh -> Dense 1 sigmoid (sum-of-squares loss, gradient
        descent lr 0.025, batch 50, 200 epochs) scores 0.940 (`python -m
        models.mlp`), and 0.95-0.97 over three initialisations in a NumPy
        re-implementation.

`synthetic(n, x_shape, x_values, y_shape, y_values, seed)` returns random
arrays of given shapes and value ranges, for step-time benchmarks that must
not depend on a download (each example's shapes and ranges are declared in
the benchmark's model registry, `benchmarks/registry.py`).
"""

import numpy as np

SETTINGS = {
    "logistic": dict(
        n_samples=500, n_features=2, n_informative=2, n_redundant=0, n_classes=2, n_clusters_per_class=1
    ),
    "mlp": dict(
        n_samples=1000, n_features=3, n_informative=3, n_redundant=0, n_classes=2, n_clusters_per_class=3
    ),
}
DEFAULT_SEEDS = {"logistic": 25, "mlp": 329}
DEFAULT_TEST_SIZE = {"logistic": 0.0, "mlp": 0.2}


def classification(kind="logistic", seed=None, test_size=None):
    """The chapter's binary problem `kind`: ((x_train, y_train), (x_test, y_test)).

    x is float32 (n, features); y is float32 (n, 1) with values 0 or 1, the
    shape a sigmoid output produces. `seed` defaults to DEFAULT_SEEDS[kind] and
    seeds both the generator and the split. `test_size` defaults to
    DEFAULT_TEST_SIZE[kind]; 0 puts every sample in the training part (the test
    arrays are then empty), as the chapter's logistic regression does.
    """
    from sklearn.datasets import make_classification
    from sklearn.model_selection import train_test_split

    if kind not in SETTINGS:
        raise ValueError(f"classification: kind must be one of {sorted(SETTINGS)}, got {kind!r}")
    test_size = DEFAULT_TEST_SIZE[kind] if test_size is None else test_size
    if not 0 <= test_size < 1:
        raise ValueError(f"classification: test_size must be in [0, 1), got {test_size!r}")
    seed = DEFAULT_SEEDS[kind] if seed is None else seed
    x, y = make_classification(random_state=seed, **SETTINGS[kind])
    x = x.astype(np.float32)
    y = y.astype(np.float32)[:, None]
    if test_size == 0:
        return (x, y), (x[:0], y[:0])
    x_train, x_test, y_train, y_test = train_test_split(x, y, test_size=test_size, random_state=seed)
    return (x_train, y_train), (x_test, y_test)


# How `synthetic` draws an array's values: (kind, *arguments).
DISTRIBUTIONS = {
    "uniform": "(\"uniform\", low, high): floats in [low, high)",
    "normal": "(\"normal\", mean, std): Gaussian floats",
    "integers": "(\"integers\", low, high): whole numbers in [low, high), as floats",
    "one_hot": "(\"one_hot\",): one-hot rows over the shape's last axis (a random class each)",
}


def _draw(rng, n, shape, values, what):
    """n rows of `shape` drawn from `rng` as `values` (one of DISTRIBUTIONS) says."""
    kind, *args = values if isinstance(values, (tuple, list)) and values else (None,)
    expected_args = {"uniform": 2, "normal": 2, "integers": 2, "one_hot": 0}
    if kind not in expected_args or len(args) != expected_args[kind]:
        raise ValueError(f"synthetic: {what} must be one of {list(DISTRIBUTIONS.values())}, "
                         f"got {values!r}")
    if kind == "one_hot":
        classes = shape[-1]
        return np.eye(classes)[rng.randint(0, classes, (n,) + tuple(shape[:-1]))]
    draw = {"uniform": rng.uniform, "normal": rng.normal, "integers": rng.randint}[kind]
    return draw(args[0], args[1], (n,) + tuple(shape))


def synthetic(n, x_shape, x_values, y_shape=None, y_values=None, seed=0):
    """Random float32 `(x, y)`: `n` rows of `x_shape` (and of `y_shape`; y is None without it).

    `x_values` and `y_values` say how values are drawn (see DISTRIBUTIONS),
    e.g. `("uniform", 0.0, 1.0)` for pixels or `("one_hot",)` for labels. A
    stand-in for a model's data in step-time benchmarks, which must not depend
    on a download: drawn in the real data's ranges, activations and losses
    behave as in the real run, while the content is noise. The same `seed`
    gives the same arrays.
    """
    if not isinstance(n, (int, np.integer)) or isinstance(n, bool) or n < 1:
        raise ValueError(f"synthetic: n must be a positive int, got {n!r}")
    for what, shape in (("x_shape", x_shape), ("y_shape", y_shape)):
        if shape is not None and not (isinstance(shape, (tuple, list)) and shape and all(
                isinstance(d, (int, np.integer)) and d > 0 for d in shape)):
            raise ValueError(f"synthetic: {what} must be a non-empty tuple of positive ints, "
                             f"got {shape!r}")
    rng = np.random.RandomState(seed)
    x = _draw(rng, n, x_shape, x_values, "x_values").astype(np.float32)
    if y_shape is None:
        return x, None
    return x, _draw(rng, n, y_shape, y_values, "y_values").astype(np.float32)
