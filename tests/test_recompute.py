"""tfcore.recompute: the backward pass recomputes a block's forward pass; the gradients stay equal.

Oracles: the plain block's `tf.gradients` on the same variables in float64
(the recomputation is the same ops on the same numbers: equal to ~1e-12), the
runtime graph (`inspect.optimized`: the copy survives Grappler, one more fused
conv per recomputed conv) and the traced step's allocation records
(`inspect.profile`: a lower peak).
"""

import numpy as np
import pytest
import tensorflow as tf

import tfcore
from tfcore import train
from tfcore.inspect import optimized, profile
from tfcore.layers import Conv2D, Dense
from tfcore.recomputation import recompute


def _block(filters, dtype_layers):
    convs = [Conv2D(filters, 3, padding="SAME", activation="tanh") for _ in range(2)]
    dense = Dense(3)
    dtype_layers.extend(convs + [dense])
    return lambda x: dense(tf.reduce_mean(convs[1](convs[0](x)), axis=[1, 2]))


def test_recomputed_gradients_equal_the_plain_blocks_in_float64():
    graph = tfcore.new_graph(seed=3)
    layers = []
    with graph.as_default():
        x = tfcore.placeholder((2, 5, 5, 2), dtype=tf.float64)
        block = _block(4, layers)
        # The recomputed block is called first: its variables are created inside custom_gradient.
        y_re = recompute(block)(x)
        y_plain = block(x)  # the same layers, so the same variables
        weights = tf.constant(np.random.RandomState(0).randn(2, 3))
        variables = [v for layer in layers for v in layer.trainable_variables]
        assert len(variables) == 6 and all(v.dtype == tf.float64 for v in variables)
        g_re = tf.gradients(tf.reduce_sum(tf.sin(y_re) * weights), [x] + variables)
        g_plain = tf.gradients(tf.reduce_sum(tf.sin(y_plain) * weights), [x] + variables)
        init = tf.compat.v1.global_variables_initializer()
    with tfcore.session(graph=graph) as s:
        s.run(init)
        feed = {x: np.random.RandomState(1).randn(2, 5, 5, 2)}
        a, b, ya, yb = s.run([g_re, g_plain, y_re, y_plain], feed)
    np.testing.assert_array_equal(ya, yb)
    for got, expected, name in zip(a, b, ["x"] + [v.name for v in variables]):
        assert np.abs(expected).max() > 0, name
        np.testing.assert_allclose(got, expected, rtol=0, atol=1e-12, err_msg=name)


def test_recompute_passes_keyword_arguments_and_several_inputs():
    graph = tfcore.new_graph(seed=0)
    with graph.as_default():
        a = tfcore.placeholder((3, 4), dtype=tf.float64)
        b = tfcore.placeholder((3, 4), dtype=tf.float64)
        f = recompute(lambda u, v, power=1: tf.sin(u) * v ** power)
        y = f(a, b, power=3)
        da, db = tf.gradients(tf.reduce_sum(y), [a, b])
    with tfcore.session(graph=graph) as s:
        va, vb = np.random.RandomState(2).randn(2, 3, 4)
        got = s.run([y, da, db], {a: va, b: vb})
    np.testing.assert_allclose(got[0], np.sin(va) * vb ** 3, atol=1e-14)
    np.testing.assert_allclose(got[1], np.cos(va) * vb ** 3, atol=1e-12)
    np.testing.assert_allclose(got[2], 3 * np.sin(va) * vb ** 2, atol=1e-12)


def test_recompute_refuses_a_block_whose_second_pass_would_draw_another_dropout_mask():
    from tfcore.layers import Dropout

    graph = tfcore.new_graph(seed=0)
    with graph.as_default():
        x = tfcore.placeholder((4, 3))
        dropout = Dropout(0.5)
        y = recompute(lambda t: dropout(t, training=True))(x)
        with pytest.raises(ValueError, match=r"recompute: recomputing the block builds dropout/"):
            tf.gradients(tf.reduce_sum(y), x)


def test_recompute_refuses_a_non_callable():
    with pytest.raises(TypeError, match="recompute: block must be callable"):
        recompute(3)


def deep_cnn(use_recompute, blocks=3, convs=3, size=24, filters=8):
    """Blocks of 3x3 convolutions, each block optionally recomputed, then a dense regression."""
    graph = tfcore.new_graph(seed=0)
    with graph.as_default():
        x = tfcore.placeholder((None, size, size, filters), name="images")
        y = tfcore.placeholder((None, 1), name="targets")
        h = x
        for _ in range(blocks):
            layers = [Conv2D(filters, 3, padding="SAME", activation="relu") for _ in range(convs)]

            def block(t, layers=layers):
                for layer in layers:
                    t = layer(t)
                return t
            h = recompute(block)(h) if use_recompute else block(h)
        out = Dense(1)(tf.reduce_mean(h, axis=[1, 2]))
        loss = tf.reduce_mean(tf.square(out - y))
        train_op = tfcore.optimizers.SGD(0.01).minimize(loss)
        return train.TrainGraph(graph, x, y, out, loss, train_op)


def test_recompute_keeps_less_for_backprop_and_runs_the_forward_convolutions_again():
    plain = profile(deep_cnn(False), batch_size=8, inter_op_threads=1)
    again = profile(deep_cnn(True), batch_size=8, inter_op_threads=1)
    assert again.training.kept_bytes < plain.training.kept_bytes
    # The measured peak falls too (0.61x in every trace here): each block's gradients leave
    # together (tf.tuple), so a block's recomputed insides die before the block before it is
    # recomputed. Without that ordering the filter gradients ran last and the peak rose to
    # 1.0-1.6x the plain one.
    assert again.training.peak_bytes < 0.85 * plain.training.peak_bytes
    # Inference does not differ: no backward pass, nothing to recompute.
    assert again.inference.peak_bytes == plain.inference.peak_bytes
    runs = lambda p: sum(1 for e in p.training.events if e.op.endswith("FusedConv2D"))  # noqa: E731
    assert (runs(plain), runs(again)) == (9, 18)
    # The copy survives Grappler: twice the fused forward convolutions in the runtime graph.
    fused = optimized(deep_cnn(True), batch_size=2).fusion_counts()
    assert fused["_FusedConv2D <- Conv2D + BiasAdd + Relu"] == 18


def test_a_block_is_recomputed_only_after_the_later_blocks_weight_gradients():
    # The schedule behind the lower peak, held in the graph (the executor's choices vary
    # from run to run; a dependency does not): every recomputed convolution waits, through
    # the block's input gradient, for the filter gradients of every later block.
    from tfcore.flops import ancestors

    graph = deep_cnn(True).graph
    ops = graph.get_operations()
    recomputed = [op for op in ops if op.type == "Conv2D" and op.name.endswith("/Conv2D_1")]
    filter_grads = [op for op in ops if op.type == "Conv2DBackpropFilter"]
    assert len(recomputed) == 9 and len(filter_grads) == 9
    for conv in recomputed:
        before = ancestors([conv])
        for grad in filter_grads:
            later = _conv_index(grad.name) // 3 > _conv_index(conv.name) // 3
            assert (grad in before) == later, (grad.name, conv.name)


def _conv_index(node_name):
    """`conv2d_4/...` or `gradients/.../conv2d_4/Conv2D_1_grad/...` -> 4 (`conv2d` -> 0)."""
    layer = next(part for part in node_name.split("/") if part.startswith("conv2d"))
    return int(layer.partition("_")[2] or 0)


def test_tfcore_recompute_is_the_function_even_after_its_module_is_imported():
    import tfcore.recomputation  # noqa: F401  (importing a submodule sets a package attribute)

    assert tfcore.recompute is recompute
