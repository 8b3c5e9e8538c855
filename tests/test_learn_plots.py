"""The course's drawings (tfcore/learn/plots.py): the op graph shows exactly what a fetch runs, arrows left to right; the grid labels each cell with its value."""

import numpy as np
import pytest
import tensorflow as tf

import tfcore
from tfcore.learn import figures, plots


def _gradient_graph():
    graph = tfcore.new_graph()
    with graph.as_default():
        x = tfcore.placeholder((None,), name="x")
        w = tfcore.variable(tf.ones(()), name="w")
        g = x ** 3 * w
        (dg,) = tf.gradients(g, x)
        unused = tf.sin(x, name="unused")  # noqa: F841 - in the graph, not needed by dg
    return graph, dg


def test_reachable_ops_are_the_sub_graph_tensorflow_extracts_for_the_fetch():
    graph, dg = _gradient_graph()
    oracle = tf.compat.v1.graph_util.extract_sub_graph(graph.as_graph_def(), [dg.op.name])
    names = [op.name for op in plots.reachable_ops([dg])]
    assert sorted(names) == sorted(node.name for node in oracle.node)
    assert "unused" not in names and len(names) < len(graph.get_operations())
    order = [op.name for op in graph.get_operations()]
    assert names == sorted(names, key=order.index)


def test_op_graph_draws_one_box_per_op_and_every_arrow_points_right():
    graph, dg = _gradient_graph()
    fig = figures.new()
    ax = fig.axes[0]
    kinds = lambda op: "backward" if op.name.startswith("gradients/") else "forward"  # noqa: E731
    where = plots.op_graph(ax, [dg], group=kinds, shapes=True)
    ops = plots.reachable_ops([dg])
    assert set(where) == set(ops)
    edges = {(t.op, op) for op in ops for t in op.inputs}
    assert len([a for a in ax.texts if getattr(a, "arrow_patch", None) is not None]) == len(edges)
    assert all(where[a][0] < where[b][0] for a, b in edges)
    for op in ops:  # an op with inputs sits one column after its deepest input
        if op.inputs:
            assert where[op][0] == 1 + max(where[t.op][0] for t in op.inputs)
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == list(dict.fromkeys(kinds(op) for op in ops))
    box = next(t.get_text() for t in ax.texts if t.get_text().startswith("Placeholder"))
    assert box == "Placeholder\nx\n(?,)"


def test_grid_writes_each_value_without_negative_zero_in_a_readable_colour():
    fig = figures.new()
    values = np.array([[0.0, -0.001, 1.0], [0.5, -1.0, 0.25]])
    plots.grid(fig.axes[0], values, fmt="%.1f", cmap="gray", vmin=-1, vmax=1, colorbar=False)
    texts = {(round(t.get_position()[1]), round(t.get_position()[0])): t for t in fig.axes[0].texts}
    for (i, j), v in np.ndenumerate(values):
        expected = "%.1f" % v
        assert texts[(i, j)].get_text() == (expected.lstrip("-") if float(expected) == 0 else expected)
    assert texts[(1, 1)].get_color() == "white" and texts[(0, 2)].get_color() == "black"
    assert len(fig.axes[0].images) == 1 and np.array_equal(fig.axes[0].images[0].get_array(), values)


def test_grid_leaves_out_the_numbers_of_a_large_array_unless_asked():
    fig = figures.new(ncols=2)
    plots.grid(fig.axes[0], np.zeros((11, 10)), colorbar=False)
    plots.grid(fig.axes[1], np.zeros((11, 10)), numbers=True, colorbar=False)
    assert len(fig.axes[0].texts) == 0 and len(fig.axes[1].texts) == 110


def test_inspect_picture_draw_puts_one_box_per_layer_on_the_callers_axes():
    from tfcore.inspect import picture, summary
    from tfcore.layers import Dense

    graph = tfcore.new_graph(seed=0)
    with graph.as_default():
        x = tfcore.placeholder((None, 4), name="x")
        y = Dense(2, name="second")(Dense(3, name="first")(x))
    table = summary((graph, y), print_fn=None)
    fig = figures.new()
    picture.draw(fig.axes[0], table, title="two layers")
    bold = [t.get_text() for t in fig.axes[0].texts if t.get_fontweight() == "bold"]
    assert bold == [r.name for r in table.rows]
    assert fig.axes[0].get_title() == "two layers"


@pytest.mark.parametrize("name", ["a/b.png", "picture.jpg"])
def test_a_figure_name_is_a_plain_png_name(tmp_path, name):
    with figures.writing_to(tmp_path), pytest.raises(ValueError, match="plain file name"):
        figures.save(figures.new(), name)


def test_op_graph_of_nothing_is_a_clear_error():
    with pytest.raises(ValueError, match="op_graph: nothing to draw"):
        plots.op_graph(figures.new().axes[0], [])
