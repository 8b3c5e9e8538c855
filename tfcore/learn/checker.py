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

The cases are the exercise's random ones (values drawn from `seed`) and then its
adversarial ones (exercises.py). The report names the first wrong element: the
exercise, the case (shapes and settings, and why an adversarial case is there),
what was compared, the index, expected and got; and when your output equals one
of the classic mistakes (mistakes.py), which one, in words.

This runs your function in this process. `python -m tfcore.learn check` runs it
in a child process with a time limit instead (sandbox.py), so that a hang, an
exit or a crash in your code is a failed check, not a frozen or vanished checker.
"""

from __future__ import annotations

import dataclasses
import pathlib
import traceback
from typing import Any, Callable

import numpy as np
import tensorflow as tf

from tfcore import graph as graph_lib
from tfcore.gradcheck import central_differences
from tfcore.learn.exercises import Exercise, get_exercise
from tfcore.learn.mistakes import MISTAKES

FORWARD_TOLERANCE = (1e-6, 1e-9)  # (rtol, atol): float64 leaves room only for rounding
GRADIENT_TOLERANCE = (1e-6, 1e-9)  # your tf.gradients against the oracle's
DIFFERENCES_TOLERANCE = (1e-5, 1e-7)  # against central differences (their error ~1e-10)


@dataclasses.dataclass
class CheckResult:
    """`ok` when every case passed; otherwise `failure` is the report of the first wrong one."""

    exercise: str
    passed: int
    total: int
    failure: str | None = None
    failed_cases: tuple[int, ...] = ()  # the numbers of the failed cases (all of them with keep_going)

    @property
    def ok(self) -> bool:
        return self.failure is None


def describe_case(arrays: dict[str, np.ndarray], config: dict[str, Any],
                  note: str | None = None) -> str:
    """`x (2, 6, 7, 2), kernel (3, 2, 2, 1), strides=(2, 1), padding='VALID'` [`(adversarial: why)`]."""
    parts = ["%s %s" % (k, tuple(v.shape)) for k, v in arrays.items()]
    text = ", ".join(parts + ["%s=%r" % item for item in config.items()])
    return text + (" (adversarial: %s)" % note if note else "")


MAX_FRAMES = 6  # a traceback's frames shown: infinite recursion has a thousand identical ones
MAX_LINES = 30  # any one report


def bounded(text: object, max_lines: int = MAX_LINES) -> str:
    """`text` cut to `max_lines` lines (and 300 characters a line), saying how much was left out."""
    lines = [line if len(line) <= 300 else line[:300] + " ..." for line in str(text).splitlines()]
    if len(lines) <= max_lines:
        return "\n".join(lines)
    return "\n".join(lines[:max_lines - 1] + ["... (%d more lines)" % (len(lines) - max_lines + 1)])


def first_wrong(got: np.ndarray, expected: np.ndarray, rtol: float,
                atol: float) -> tuple[tuple[int, ...], int] | None:
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
    lines = ["your function raised %s: %s" % (type(err).__name__, bounded(err, 3))]
    if isinstance(err, RecursionError):
        lines[0] += " (it calls itself without end?)"
    shown = frames if len(frames) <= MAX_FRAMES else frames[:MAX_FRAMES // 2] + frames[-MAX_FRAMES // 2:]
    lines += ["  %s, line %d, in %s: %s" % (pathlib.Path(f.filename).name, f.lineno, f.name, f.line)
              for f in shown]
    if len(shown) < len(frames):
        lines.insert(1 + MAX_FRAMES // 2, "  ... %d more frames in your file" % (len(frames) - len(shown)))
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
                mistake = known_mistake(exercise, arrays, config, got)
                return message + ("\nthis equals the result %s" % mistake if mistake else "")
        for name, mine, oracle in zip(exercise.differentiable, fetches["grad_got"], fetches["grad_expected"]):
            message = _check_gradient(sess, feeds[name], name, mine, oracle, fetches["s_got"], feed,
                                      exercise.oracle_name)
            if message:
                return message
    return None


def _matches(got, values):
    """Whether every output equals the mistake's, within the forward tolerance (NaN where it has NaN)."""
    rtol, atol = FORWARD_TOLERANCE
    return all(np.shape(g) == np.shape(v) and np.allclose(g, v, rtol, atol, equal_nan=True)
               for g, v in zip(got, values))


def known_mistake(exercise: Exercise, arrays: dict[str, np.ndarray], config: dict[str, Any],
                  got: Any) -> str | None:
    """The description of the first mistake in mistakes.py whose output equals `got`, or None."""
    graph = graph_lib.new_graph(seed=0)
    with graph.as_default():
        feeds = {k: graph_lib.placeholder(v.shape, tf.float64, name=k) for k, v in arrays.items()}
        built = []
        for description, mistake in MISTAKES.get(exercise.name, []):
            try:
                value = mistake(**feeds, **config)
            except (ValueError, TypeError, tf.errors.OpError):  # e.g. a transposed kernel that cannot fit
                continue
            built.append((description, list(value) if isinstance(value, (tuple, list)) else [value]))
    feed = {feeds[k]: v for k, v in arrays.items()}
    with graph_lib.session(graph=graph) as sess, np.errstate(all="ignore"):
        for description, outputs in built:
            try:
                values = sess.run(outputs, feed)
            except tf.errors.OpError:
                continue
            if _matches(got, values):
                return description
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


def check(exercise: str, function: Callable[..., Any], seed: int = 0, cases: int | None = None,
          print_fn: Callable[[str], object] | None = print, keep_going: bool = False) -> Any:
    """Run `function` on the exercise's cases; print progress and return a `CheckResult`.

    Args:
      exercise: a name from `python -m tfcore.learn list` (`"conv2d"`, ...).
      function: the learner's function, taking tensors as the exercise's signature says.
      seed: draws the cases' values (the shapes and settings are fixed per exercise).
      cases: check only the first `cases` cases (default: all, the adversarial ones last).
      print_fn: receives each line of the report (None: silent).
      keep_going: run every case even after a failure (grading counts the cases passed);
        `failure` is then the first failed case's report.
    """
    say = print_fn or (lambda *args: None)
    spec = get_exercise(exercise)
    if spec is None:  # "gradient:OpType": a gradient rule, checked by tfcore.autodiff (chapter 14)
        from tfcore import autodiff

        return autodiff.check_gradient_rule(exercise.split(":", 1)[1], function, seed=seed, print_fn=print_fn)
    rng = np.random.RandomState(seed)
    all_cases = spec.all_cases(seed)[:cases]
    name = getattr(function, "__name__", "function")
    say("%s: checking %s against %s on %d cases (forward, gradients)%s"
        % (spec.name, name, spec.oracle_name, len(all_cases), ", seed %d" % seed if seed else ""))
    failures, first, passed = [], None, 0
    for number, (arrays, config, note) in enumerate(all_cases, start=1):
        case = "case %d of %d: %s" % (number, len(all_cases), describe_case(arrays, config, note))
        message = _check_case(spec, function, arrays, config, rng)
        if not message:
            say("  ok  %s" % case)
            passed += 1
            continue
        report = bounded("FAIL %s, %s\n  %s" % (spec.name, case, message.replace("\n", "\n  ")))
        say(report)
        failures.append(number)
        first = first or report
        if not keep_going:
            break
    if first is None:
        say("PASS %s: all %d cases" % (spec.name, len(all_cases)))
    return CheckResult(spec.name, passed, len(all_cases), first, tuple(failures))
