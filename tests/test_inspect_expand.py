"""`tfcore.inspect.control_flow` and `python -m tfcore.inspect MODEL --expand`: what runs inside If and While.

Oracles: control flow built by hand with known ops in each branch (Sin in one,
Cos in the other, Square in a loop body, a cond nested in the body), and the
layers' own code: Dropout's mask is a stateless random draw compared with the
rate (GreaterEqual) and multiplied in; an LSTM step has two matmuls (input and
recurrent) and one split into four gate blocks.
"""

import pytest
import tensorflow as tf

import tfcore
from models import mnist_cnn
from tfcore.inspect import control_flow, format_control_flow, summary
from tfcore.inspect.__main__ import main as inspect_main
from tfcore.layers import LSTM, Dropout


def _branch(cf, role):
    (branch,) = [b for b in cf.branches if b.role == role]
    return branch


def test_each_branch_of_a_hand_built_cond_lists_its_own_ops():
    graph = tfcore.new_graph(0)
    with graph.as_default():
        x = tfcore.placeholder((3,))
        flag = tfcore.placeholder_with_default(True)
        with tf.name_scope("switch"):
            y = tf.cond(flag, lambda: tf.sin(x) * 2.0, lambda: tf.cos(x))
    (cf,) = control_flow((graph, y))
    assert cf.layer == "switch" and cf.type in ("If", "StatelessIf")
    assert _branch(cf, "then_branch").op_types() == {"Sin": 1, "Mul": 1}
    assert _branch(cf, "else_branch").op_types() == {"Cos": 1}


def test_a_cond_nested_in_a_while_body_is_opened_inside_the_body():
    graph = tfcore.new_graph(0)
    with graph.as_default():
        x = tfcore.placeholder(())
        with tf.name_scope("loop"):
            _, y = tf.while_loop(
                lambda i, v: i < 3,
                lambda i, v: (i + 1, tf.cond(v > 1.0, lambda: tf.sqrt(v), lambda: tf.square(v))),
                [tf.constant(0), x])
    (cf,) = control_flow((graph, y))
    assert cf.layer == "loop" and cf.type in ("While", "StatelessWhile")
    assert "Less" in _branch(cf, "cond").op_types()
    body = _branch(cf, "body")
    (inner,) = body.nested
    assert inner.type in ("If", "StatelessIf")
    assert _branch(inner, "then_branch").op_types() == {"Sqrt": 1}
    assert _branch(inner, "else_branch").op_types() == {"Square": 1}
    text = format_control_flow([cf])
    assert text.index("Less") < text.index("Sqrt") < text.index("Square")


def test_the_dropout_mask_is_inside_the_training_switch_and_evaluation_passes_through():
    graph = tfcore.new_graph(0)
    with graph.as_default():
        x = tfcore.placeholder((None, 6))
        training = tfcore.placeholder_with_default(False)
        y = Dropout(0.3)(x, training=training)
    (cf,) = control_flow((graph, y))
    assert cf.layer == "dropout"
    mask = _branch(cf, "then_branch").op_types()
    # rate 0.3 is not k/256, so one float per element: u ~ U[0,1), keep = [u >= 0.3], x * keep * s
    assert {"StatelessRandomUniformV2", "GreaterEqual", "Cast", "Mul", "AssignAddVariableOp"} <= set(mask)
    assert _branch(cf, "else_branch").op_types() == {}
    assert "(passes its inputs through)" in format_control_flow([cf])


def test_every_if_row_of_the_mnist_cnn_summary_is_opened_with_its_mask_ops():
    model = mnist_cnn.build(switch="placeholder")
    rows_with_if = [r.name for r in summary(model, print_fn=None).rows if "If" in r.ops]
    opened = control_flow(model)
    assert [cf.layer for cf in opened] == rows_with_if == ["dropout"] + ["dropout_%d" % i for i in range(1, 5)]
    for cf in opened:
        mask = _branch(cf, "then_branch").op_types()
        assert {"StatelessRandomUniformFullIntV2", "Bitcast", "GreaterEqual", "Mul"} <= set(mask)


def test_the_lstm_while_body_is_one_time_step_of_the_cell():
    graph = tfcore.new_graph(0)
    with graph.as_default():
        x = tfcore.placeholder((None, 5, 3))
        y = LSTM(4, implementation="while")(x)
    (cf,) = control_flow((graph, y))
    body = _branch(cf, "body").op_types()
    assert cf.layer == "lstm" and body["MatMul"] == 2 and body["Split"] == 1
    assert {"TensorListGetItem", "TensorListSetItem"} <= set(body)  # read x_t, write h_t


def test_a_graph_without_control_flow_says_so():
    graph = tfcore.new_graph(0)
    with graph.as_default():
        x = tfcore.placeholder((2,))
        y = tf.sin(x)
    assert control_flow((graph, y)) == []
    assert format_control_flow([]) == "No control flow (If, While, Case) in the forward pass."


def test_cli_expand_prints_the_branches_after_the_summary(capsys):
    assert inspect_main(["mnist_cnn:build_with_switch", "--expand"]) == 0
    out = capsys.readouterr().out
    table_end = out.index("Forward FLOPs")
    assert out.index("[dropout_4]") > table_end
    assert "then_branch" in out and "StatelessRandomUniformFullIntV2" in out


@pytest.mark.parametrize("argv, message", [
    (["mnist_cnn", "--batch-size", "0"], "must be a positive integer, got '0'"),
    (["mnist_cnn", "--cpu-devices", "-2"], "must be a positive integer, got '-2'"),
    (["mnist_cnn", "--batch-size", "ten"], "must be a positive integer, got 'ten'"),
    (["no_such_model"], "no model 'no_such_model'"),
    (["models.mlp:no_such_builder"], "models.mlp has no function 'no_such_builder'"),
])
def test_cli_rejects_bad_flags_and_unknown_models_with_exit_2(argv, message, capsys):
    with pytest.raises(SystemExit) as err:
        inspect_main(argv)
    assert err.value.code == 2
    assert message in capsys.readouterr().err
