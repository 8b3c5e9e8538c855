"""The MNIST CNN's two ways of switching training on: two passes (the default) or a placeholder.

Oracle: the one-pass graph, whose Dropout and BatchNormalization layers choose
their branch with a `tf.cond` on a fed `training` placeholder. The two-pass
graph calls the same layers with `training=True` for the loss Adam minimises
and `training=False` for evaluation; both must train bit for bit alike (the
dropout masks are functions of each layer's seed and counter, not of the
graph's shape).
"""

import numpy as np
import pytest

import tfcore
from models import mnist_cnn
from tfcore import train


def _train(batchnorm, switch, x, y):
    model = mnist_cnn.build(batchnorm=batchnorm, fused_batchnorm=batchnorm, seed=3, switch=switch)
    with tfcore.session(graph=model.graph) as sess:
        train.initialize(model, sess)
        start = model.get_weights(sess)
        history = train.fit(model, sess, x, y, epochs=2, batch_size=16, seed=1, progress=False)
        scores = train.evaluate(model, sess, x, y, batch_size=20)
        return model, start, history.history, model.get_weights(sess), scores


@pytest.mark.parametrize("batchnorm", [False, True])
def test_two_passes_train_and_evaluate_exactly_as_one_pass_with_a_switch(batchnorm):
    rng = np.random.RandomState(0)
    x = rng.rand(32, 28, 28, 1).astype(np.float32)
    y = np.eye(10, dtype=np.float32)[rng.randint(0, 10, 32)]
    passes = _train(batchnorm, "passes", x, y)
    switch = _train(batchnorm, "placeholder", x, y)
    model = passes[0]
    assert model.training is None and model.train_loss is not model.loss
    assert switch[0].training is not None and switch[0].train_loss is switch[0].loss
    # No conditional in the two-pass graph; one per Dropout / BatchNormalization in the other.
    assert not {"If", "StatelessIf"} & {op.type for op in model.graph.get_operations()}
    assert {"If", "StatelessIf"} & {op.type for op in switch[0].graph.get_operations()}
    for a, b in zip(passes[1] + passes[3], switch[1] + switch[3]):
        np.testing.assert_array_equal(a, b)
    assert passes[2] == switch[2] and passes[4] == switch[4]
    assert any(np.abs(a - b).max() > 0 for a, b in zip(passes[1], passes[3]))  # it trained


def test_an_unknown_switch_is_refused():
    with pytest.raises(ValueError, match="switch must be 'passes' or 'placeholder'"):
        mnist_cnn.build(switch="cond")


def test_train_metrics_must_name_the_metrics():
    model = mnist_cnn.build()
    with pytest.raises(ValueError, match="train_metrics must name the same metrics"):
        train.TrainGraph(model.graph, model.inputs, model.targets, model.predictions, model.loss,
                         model.train_op, metrics=model.metrics, train_loss=model.train_loss,
                         train_metrics={"acc": model.train_metrics["accuracy"]})
