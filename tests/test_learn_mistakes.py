"""The checker's adversarial cases catch the classic mistakes, and its report names them.

tests/learn_wrong.py holds at least three wrong solutions per exercise, written
as a learner would (not from tfcore/learn/mistakes.py); each must fail, and where
its mistake is a known one the report must say which in words. The right
solutions (tests/learn_solutions.py) pass every case, adversarial ones included
(tests/test_learn_checker.py).
"""

import numpy as np
import pytest
import tensorflow as tf

from tests import learn_solutions as right
from tests.learn_wrong import WRONG
from tfcore.learn import EXERCISES, check
from tfcore.learn.checker import _matches
from tfcore.learn.mistakes import MISTAKES

CASES = [pytest.param(name, function, words, id="%s-%s" % (name, function.__name__))
         for name, wrong in WRONG.items() for function, words in wrong]


def test_every_exercise_keeps_at_least_three_wrong_solutions_and_known_mistakes():
    assert set(WRONG) == set(EXERCISES) == set(MISTAKES)
    assert all(len(wrong) >= 3 for wrong in WRONG.values())
    assert all(len(mistakes) >= 3 for mistakes in MISTAKES.values())


@pytest.mark.parametrize("name, function, words", CASES)
def test_a_wrong_solution_fails_and_the_report_names_its_mistake(name, function, words):
    result = check(name, function, print_fn=None)
    assert not result.ok, "%s passed every case of %s" % (function.__name__, name)
    assert result.failure.startswith("FAIL %s, case %d of " % (name, result.passed + 1))
    if words:
        assert words in result.failure, result.failure


@pytest.mark.parametrize("name, function, where", [
    ("softmax_cross_entropy", "softmax_cross_entropy_no_max", "logits of magnitude 1e3"),
    ("softmax", "softmax_no_max", "logits of magnitude 1e3"),
    ("max_pool2d", "max_pool2d_zero_padding", "every pixel negative"),
    ("attention", "attention_no_max", "scores ~1e3"),
])
def test_mistakes_that_only_large_or_odd_inputs_expose_pass_the_random_cases_and_fail_an_adversarial_one(
        name, function, where):
    from tests import learn_wrong

    result = check(name, getattr(learn_wrong, function), print_fn=None)
    random_cases = len(EXERCISES[name].cases(np.random.RandomState(0)))
    assert result.passed >= random_cases and not result.ok
    assert "(adversarial: " in result.failure.splitlines()[0] and where in result.failure.splitlines()[0]


def test_a_wrong_answer_that_matches_no_known_mistake_says_nothing_about_mistakes():
    from tests import learn_wrong

    result = check("dense", learn_wrong.dense_bias_on_rows, print_fn=None)
    assert not result.ok and "this equals the result" not in result.failure


def test_the_right_solutions_pass_on_another_seed_too():
    for name in ("softmax_cross_entropy", "attention"):
        result = check(name, getattr(right, name), seed=2024, print_fn=None)
        assert result.ok, result.failure


def _as_list(value):
    return list(value) if isinstance(value, (tuple, list)) else [value]


def _values_per_case(name):
    """For each case of `name` (seed 0): (the oracle's outputs, each mistake's outputs or None)."""
    spec = EXERCISES[name]
    for arrays, config, _ in spec.all_cases(0):
        graph = tf.Graph()
        with graph.as_default():
            feeds = {k: tf.compat.v1.placeholder(tf.float64, v.shape) for k, v in arrays.items()}
            fetches = [_as_list(spec.oracle(**feeds, **config))]
            for _, mistake in MISTAKES[name]:
                try:
                    fetches.append(_as_list(mistake(**feeds, **config)))
                except ValueError:  # a transposed kernel that does not fit: never matches
                    fetches.append(None)
        with tf.compat.v1.Session(graph=graph) as sess, np.errstate(all="ignore"):
            built = [f for f in fetches if f is not None]
            values = iter(sess.run(built, {feeds[k]: v for k, v in arrays.items()}))
            yield [next(values) if f is not None else None for f in fetches]


@pytest.mark.parametrize("name", list(MISTAKES))
def test_every_known_mistake_fails_some_case_and_is_the_one_named_there(name):
    """Each mistake in mistakes.py differs from the oracle on some case, and on the first such
    case the checker's search (the first mistake in the list that matches) finds that mistake."""
    descriptions = [description for description, _ in MISTAKES[name]]
    named = {}
    for oracle, *mistakes in _values_per_case(name):
        for i, values in enumerate(mistakes):
            if i in named or values is None or _matches(values, oracle):
                continue
            first = next(j for j, other in enumerate(mistakes) if other is not None and _matches(values, other))
            named[i] = descriptions[first]
    for i, description in enumerate(descriptions):
        assert named.get(i) == description, "%s: mistake %r %s" % (
            name, description, "never fails" if i not in named else "is named as %r" % named[i])
