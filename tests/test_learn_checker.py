"""tfcore.learn's checker: right solutions pass, each subtle bug fails naming the first wrong element.

Oracles: the exercises' oracles are tf.nn ops, tfcore's cells and its Attention
layer; the solutions in tests/learn_solutions.py are written from scratch without
them. The bugs are the ones learners make: the extra SAME zero on the wrong side,
a transposed kernel, padded zeros counted in an average, swapped gate blocks, a
softmax over the queries instead of the keys, a hand-written backward pass
(tf.custom_gradient) that does not match its forward.
"""

import re

import numpy as np
import pytest

from tests import learn_solutions as solutions
from tfcore.learn import EXERCISES, check
from tfcore.learn.__main__ import main as learn_main
from tfcore.learn.checker import first_wrong

SOLUTIONS_FILE = solutions.__file__


@pytest.mark.parametrize("name", list(EXERCISES))
def test_a_correct_from_scratch_solution_passes_every_case(name):
    result = check(name, getattr(solutions, name), print_fn=None)
    assert result.ok, result.failure
    assert result.passed == result.total >= 3


def test_a_hand_written_batch_norm_backward_pass_with_the_three_terms_passes():
    result = check("batch_norm", solutions.batch_norm_manual_gradient, print_fn=None)
    assert result.ok, result.failure


@pytest.mark.parametrize("exercise, function, case, what", [
    ("conv2d", solutions.conv2d_padding_off_by_one, 3, "forward output y"),
    ("conv2d", solutions.conv2d_transposed_kernel, 1, "forward output y"),
    ("avg_pool2d", solutions.avg_pool2d_counting_padding, 1, "forward output y"),
    ("lstm_cell", solutions.lstm_cell_gates_swapped, 1, "forward output h"),
    ("attention", solutions.attention_softmax_over_queries, 1, "forward output y"),
    ("sigmoid", solutions.sigmoid_wrong_gradient, 1, "gradient d s / d x"),
    ("batch_norm", solutions.batch_norm_wrong_gradient, 1, "gradient d s / d x"),
])
def test_a_subtle_bug_fails_naming_case_index_expected_and_got(exercise, function, case, what):
    result = check(exercise, function, print_fn=None)
    assert not result.ok and result.passed == case - 1
    header = "FAIL %s, case %d of %d: " % (exercise, case, result.total)
    assert result.failure.startswith(header)
    match = re.search(r"first wrong element at index \(([\d, ]+)\): expected (\S+) \(.*\), got (\S+)",
                      result.failure)
    assert match and what in result.failure
    assert float(match.group(2)) != pytest.approx(float(match.group(3)), rel=1e-5)


def test_the_reported_element_is_the_first_wrong_one_in_row_major_order():
    expected = np.zeros((2, 3, 4))
    got = expected.copy()
    got[1, 0, 2] = 1.0
    got[1, 2, 0] = 5.0
    assert first_wrong(got, expected, 1e-6, 1e-9) == ((1, 0, 2), 2)
    got[0, 1, 1] = np.nan
    assert first_wrong(got, expected, 1e-6, 1e-9) == ((0, 1, 1), 3)
    assert first_wrong(expected, expected, 1e-6, 1e-9) is None


def test_a_backward_pass_that_disagrees_with_its_own_forward_is_caught_by_central_differences():
    result = check("sigmoid", solutions.sigmoid_wrong_gradient, print_fn=None)
    assert "central differences of your own forward pass" in result.failure
    assert "(numerical)" in result.failure


def test_an_exception_or_a_wrong_shape_in_the_learners_code_is_reported_not_raised():
    raised = check("relu", solutions.relu_raises, print_fn=None)
    assert "NameError" in raised.failure and "learn_solutions.py, line" in raised.failure
    shape = check("dense", solutions.dense_returns_wrong_shape, print_fn=None)
    assert "shape (1, 1), expected (1, 2)" in shape.failure
    dtype = check("dense", solutions.dense_in_float32, print_fn=None)
    assert "output y is float32, but the inputs are float64" in dtype.failure
    count = check("lstm_cell", solutions.lstm_cell_returns_h_only, print_fn=None)
    assert "returned 1 value(s), expected 2 (h, c)" in count.failure


def test_the_learner_may_name_the_arguments_freely():
    assert check("relu", solutions.relu_with_other_argument_names, print_fn=None).ok


@pytest.mark.parametrize("argv, message", [
    (["check", "conv3d", "FILE:conv2d"], "unknown exercise 'conv3d'"),
    (["check", "conv2d", "/no/such/file.py:conv2d"], "no such file: /no/such/file.py"),
    (["check", "conv2d", "FILE:no_such_function"], "has no function 'no_such_function'"),
    (["check", "conv2d", "FILE"], "expected FILE.py:FUNCTION"),
    (["check", "conv2d", "FILE:conv2d", "--cases", "0"], "must be a positive integer, got '0'"),
    (["check", "conv2d", "FILE:conv2d", "--seed", "x"], "must be an integer >= 0, got 'x'"),
    (["check", "conv2d", "FILE:conv2d", "--timeout", "0"], "must be a number > 0, got '0'"),
    (["grade", "FILE"], "FILE"),
    (["grade", "/no/such/folder", "--json", "/no/such/folder/x.json"], "/no/such/folder"),
    (["test", "99"], "no chapter '99'"),
    ([], "the following arguments are required"),
])
def test_cli_usage_errors_exit_2_with_a_clear_message(argv, message, capsys):
    argv = [a.replace("FILE", SOLUTIONS_FILE) for a in argv]
    with pytest.raises(SystemExit) as err:
        learn_main(argv)
    assert err.value.code == 2
    assert message in capsys.readouterr().err


def test_a_file_that_does_not_import_is_a_usage_error(tmp_path, capsys):
    broken = tmp_path / "broken.py"
    broken.write_text("def conv2d(x, kernel, strides, padding)\n    return x\n")
    with pytest.raises(SystemExit) as err:
        learn_main(["check", "conv2d", "%s:conv2d" % broken])
    assert err.value.code == 2
    assert "could not import %s: SyntaxError" % broken in capsys.readouterr().err


def test_list_documents_every_exercise_with_its_signature_and_oracle(capsys):
    assert learn_main(["list"]) == 0
    out = capsys.readouterr().out
    for spec in EXERCISES.values():
        assert spec.signature in out and spec.oracle_name in out


def test_check_takes_chapter_14s_gradient_rules_and_names_the_first_wrong_element(tmp_path, capsys):
    rules = tmp_path / "rules.py"
    rules.write_text("import tensorflow as tf\n\n"
                     "def right(op, grad):\n    return [grad * tf.sigmoid(op.inputs[0])]\n\n"
                     "def wrong(op, grad):\n    return [grad * tf.exp(op.inputs[0])]\n")
    assert learn_main(["check", "gradient:Softplus", "%s:right" % rules, "--timeout", "120"]) == 0
    assert "6 of 6 cases agree with tf.gradients" in capsys.readouterr().out
    assert learn_main(["check", "gradient:Softplus", "%s:wrong" % rules, "--timeout", "120"]) == 1
    assert "first wrong: Softplus on inputs of shapes" in capsys.readouterr().out
    assert learn_main(["check", "gradient:NoSuchOp", "%s:wrong" % rules, "--timeout", "120"]) == 1
    assert "'NoSuchOp' is not an op type of tf.raw_ops" in capsys.readouterr().out
    with pytest.raises(SystemExit) as err:
        learn_main(["check", "gradient:1x", "%s:wrong" % rules])
    assert err.value.code == 2
