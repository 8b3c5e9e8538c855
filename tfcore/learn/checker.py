"""Check a learner's own function against tfcore's oracle, forward and backward.

    python -m tfcore.learn check conv2d my_file.py:my_conv2d
    tfcore.learn.check("conv2d", my_conv2d)            # the same from Python

For every case (random shapes and settings drawn from a seed; see exercises.py)
a float64 graph holds both your function and the oracle, fed the same values,
and three things are compared, in this order:

1. forward:   your output y against the oracle's, elementwise:
              |got - expected| <= 1e-9 + 1e-6 |expected|
2. backward against your own forward: tf.gradients of s = sum(r * y), r fixed
              and random, through *your* graph, against central differences
              (s(x + d e_i) - s(x - d e_i)) / 2d of your forward pass. A hand-written
              backward (tf.custom_gradient) that does not match its forward fails here.
3. backward against the oracle: your tf.gradients against the oracle's.

The report names the first wrong element: the exercise, the case (shapes and
settings), what was compared, the index, expected and got.
"""

import dataclasses
import importlib.util
import pathlib
import sys
import traceback

import numpy as np
import tensorflow as tf

from tfcore import graph as graph_lib
from tfcore.gradcheck import central_differences
from tfcore.learn.exercises import EXERCISES

FORWARD_TOLERANCE = (1e-6, 1e-9)  # (rtol, atol): float64 leaves room only for rounding
GRADIENT_TOLERANCE = (1e-6, 1e-9)  # your tf.gradients against the oracle's
DIFFERENCES_TOLERANCE = (1e-5, 1e-7)  # against central differences (their error ~1e-10)


class UsageError(ValueError):
    """The exercise, file or function named on the command line does not exist."""


@dataclasses.dataclass
class CheckResult:
    """`ok` when every case passed; otherwise `failure` is the report of the first wrong one."""

    exercise: str
    passed: int
    total: int
    failure: str = None

    @property
    def ok(self):
        return self.failure is None


def load_function(spec):
    """The function named by `FILE.py:FUNCTION` (a path to a Python file, then a name in it)."""
    path, sep, name = spec.rpartition(":")
    if not sep or not path or not name:
        raise UsageError("expected FILE.py:FUNCTION, e.g. my_conv.py:my_conv2d, got %r" % spec)
    file = pathlib.Path(path)
    if not file.is_file():
        raise UsageError("no such file: %s" % path)
    module_spec = importlib.util.spec_from_file_location("learner_" + file.stem, file)
    module = importlib.util.module_from_spec(module_spec)
    try:
        module_spec.loader.exec_module(module)
    except Exception as err:  # noqa: BLE001 - any error in the learner's file is reported as such
        raise UsageError("could not import %s: %s: %s" % (path, type(err).__name__, err)) from err
    function = getattr(module, name, None)
    if not callable(function):
        found = sorted(k for k, v in vars(module).items() if callable(v) and not k.startswith("_")
                       and getattr(v, "__module__", None) == module.__name__)
        raise UsageError("%s has no function %r; functions there: %s"
                         % (path, name, ", ".join(found) or "none"))
    return function


def get_exercise(name):
    if name not in EXERCISES:
        raise UsageError("unknown exercise %r; exercises: %s" % (name, ", ".join(EXERCISES)))
    return EXERCISES[name]


def describe_case(arrays, config):
    """`x (2, 6, 7, 2), kernel (3, 2, 2, 1), strides=(2, 1), padding='VALID'`."""
    parts = ["%s %s" % (k, tuple(v.shape)) for k, v in arrays.items()]
    return ", ".join(parts + ["%s=%r" % item for item in config.items()])


def first_wrong(got, expected, rtol, atol):
    """None when `got` matches; else (index of the first wrong element, how many are wrong)."""
    bad = ~(np.abs(got - expected) <= atol + rtol * np.abs(expected))  # NaN counts as wrong
    if not bad.any():
        return None
    return tuple(int(i) for i in np.argwhere(bad)[0]), int(bad.sum())


def _compare(what, got, expected, tolerance, expected_from):
    """A failure message for the first wrong element, or None."""
    got, expected = np.asarray(got, np.float64), np.asarray(expected, np.float64)
    if got.shape != expected.shape:
        return "%s: shape %s, expected %s" % (what, got.shape, expected.shape)
    wrong = first_wrong(got, expected, *tolerance)
    if wrong is None:
        return None
    index, count = wrong
    return ("%s: first wrong element at index %s: expected %.10g (%s), got %.10g\n"
            "  %d of %d elements wrong (tolerance |got - expected| <= %g + %g |expected|)"
            % (what, index, expected[index], expected_from, got[index], count, got.size,
               tolerance[1], tolerance[0]))


def _learner_error(err, function):
    """The exception, with the frames in the learner's own file (where the bug is)."""
    file = getattr(getattr(function, "__code__", None), "co_filename", None)
    frames = [f for f in traceback.extract_tb(err.__traceback__) if f.filename == file]
    lines = ["your function raised %s: %s" % (type(err).__name__, err)]
    lines += ["  %s, line %d, in %s: %s" % (pathlib.Path(f.filename).name, f.lineno, f.name, f.line)
              for f in frames]
    return "\n".join(lines)


class WrongOutput(TypeError):
    """The learner's function returned the wrong number of tensors, or not float64 ones."""


def _outputs(value, exercise):
    """The return value as a list of float64 tensors, one per name in `exercise.outputs`."""
    values = list(value) if isinstance(value, (tuple, list)) else [value]
    if len(values) != len(exercise.outputs):
        raise WrongOutput("your function returned %d value(s), expected %d (%s)"
                          % (len(values), len(exercise.outputs), ", ".join(exercise.outputs)))
    tensors = [tf.convert_to_tensor(v) for v in values]
    for name, t in zip(exercise.outputs, tensors):
        if t.dtype != tf.float64:
            raise WrongOutput("output %s is %s, but the inputs are float64: compute in the inputs' "
                              "dtype (a tf.cast or a float32 constant loses precision)" % (name, t.dtype.name))
    return tensors


def _scalar(outputs, projections):
    return tf.add_n([tf.reduce_sum(o * r) for o, r in zip(outputs, projections)])


def _build_case(exercise, function, arrays, config, rng):
    """Both graphs in one: (graph, feeds, fetches) or raises the learner's error as is."""
    graph = graph_lib.new_graph(seed=0)
    with graph.as_default():
        feeds = {k: graph_lib.placeholder(v.shape, tf.float64, name=k) for k, v in arrays.items()}
        expected = _outputs(exercise.oracle(**feeds, **config), exercise)
        # Positionally, in the signature's order: the learner may name the arguments freely.
        got = _outputs(function(*feeds.values(), *config.values()), exercise)
        projections = [tf.constant(rng.uniform(-1, 1, e.shape.as_list())) for e in expected]
        s_got, s_expected = _scalar(got, projections), _scalar(expected, projections)
        targets = [feeds[name] for name in exercise.differentiable]
        fetches = {"got": got, "expected": expected, "s_got": s_got,
                   "grad_got": tf.gradients(s_got, targets),
                   "grad_expected": tf.gradients(s_expected, targets)}
    return graph, feeds, fetches


def _check_case(exercise, function, arrays, config, rng):
    """The failure message of one case, or None when it passes."""
    try:
        graph, feeds, fetches = _build_case(exercise, function, arrays, config, rng)
    except WrongOutput as err:
        return str(err)
    except Exception as err:  # noqa: BLE001 - the learner's error is the report
        return _learner_error(err, function)
    feed = {feeds[k]: v for k, v in arrays.items()}
    with graph_lib.session(graph=graph) as sess:
        try:
            got, expected = sess.run([fetches["got"], fetches["expected"]], feed)
        except Exception as err:  # noqa: BLE001
            return _learner_error(err, function)
        for name, g, e in zip(exercise.outputs, got, expected):
            message = _compare("forward output %s" % name, g, e, FORWARD_TOLERANCE, exercise.oracle_name)
            if message:
                return message
        for name, mine, oracle in zip(exercise.differentiable, fetches["grad_got"], fetches["grad_expected"]):
            message = _check_gradient(sess, feeds[name], name, mine, oracle, fetches["s_got"], feed,
                                      exercise.oracle_name)
            if message:
                return message
    return None


def _check_gradient(sess, target, name, mine, oracle, s_got, feed, oracle_name):
    """Your gradient for one input: first against your forward's differences, then the oracle's."""
    expected = sess.run(oracle, feed) if oracle is not None else np.zeros(target.shape.as_list())
    if mine is None:
        if np.any(expected != 0):
            return ("gradient d s / d %s: tf.gradients finds no path from %s to your output "
                    "(it returned None), but the oracle's gradient is not zero" % (name, name))
        return None
    got = sess.run(mine, feed)

    def evaluate(value):
        return sess.run(s_got, {**feed, target: value})

    numerical = central_differences(evaluate, feed[target])
    message = _compare("gradient d s / d %s, s = sum(r * y): your backward pass against central "
                       "differences of your own forward pass" % name, got, numerical,
                       DIFFERENCES_TOLERANCE, "numerical")
    return message or _compare("gradient d s / d %s, s = sum(r * y)" % name, got, expected,
                               GRADIENT_TOLERANCE, "tf.gradients of " + oracle_name)


def check(exercise, function, seed=0, cases=None, print_fn=print):
    """Run `function` on the exercise's cases; print progress and return a `CheckResult`.

    Args:
      exercise: a name from `python -m tfcore.learn list` (`"conv2d"`, ...).
      function: the learner's function, taking tensors as the exercise's signature says.
      seed: draws the cases' values (the shapes and settings are fixed per exercise).
      cases: check only the first `cases` cases (default: all).
      print_fn: receives each line of the report (None: silent).
    """
    say = print_fn or (lambda *args: None)
    spec = get_exercise(exercise)
    rng = np.random.RandomState(seed)
    all_cases = spec.cases(rng)[:cases]
    name = getattr(function, "__name__", "function")
    say("%s: checking %s against %s on %d cases (forward, gradients)"
        % (spec.name, name, spec.oracle_name, len(all_cases)))
    for number, (arrays, config) in enumerate(all_cases, start=1):
        case = "case %d of %d: %s" % (number, len(all_cases), describe_case(arrays, config))
        message = _check_case(spec, function, arrays, config, rng)
        if message:
            report = "FAIL %s, %s\n  %s" % (spec.name, case, message.replace("\n", "\n  "))
            say(report)
            return CheckResult(spec.name, number - 1, len(all_cases), report)
        say("  ok  %s" % case)
    say("PASS %s: all %d cases" % (spec.name, len(all_cases)))
    return CheckResult(spec.name, len(all_cases), len(all_cases))


def list_exercises(out=None):
    """Print every exercise: its signature, what it computes, its oracle."""
    out = out or sys.stdout
    for spec in EXERCISES.values():
        out.write("%s\n    %s\n    %s\n    oracle: %s; gradients checked for: %s\n\n"
                  % (spec.name, spec.signature, spec.doc, spec.oracle_name, ", ".join(spec.differentiable)))
