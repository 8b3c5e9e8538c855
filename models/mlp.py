"""A two-layer perceptron against a linear baseline on a problem a line cannot separate.

    h = tanh(x W1 + b1)              (50 units)
    p = sigmoid(h W2 + b2)           (1 unit)
    objective = sum over the batch of (y - p)^2      (the chapter's "L2 loss")

1,000 samples, 3 informative features, 2 classes with 3 clusters each
(`make_classification`), 80/20 split. Gradient descent (lr 0.025) on batches
of 50 for 200 epochs; every sample is used each epoch, the last batch included.
The chapter: logistic regression about 0.715 test accuracy, the MLP about 0.94.

The reported `loss` is the mean squared error per example (the objective
divided by the batch size), so epochs with a smaller last batch compare fairly.
"""

import functools

import tensorflow as tf

import tfcore
from models import common
from models.logistic_regression import sklearn_baseline
from tfcore import cli, losses, metrics, optimizers, train
from tfcore.data import classification
from tfcore.layers import Dense


def network(hidden=50):
    """The layers, made once; returns `forward(x, training) -> p`."""
    layers = [Dense(hidden, activation="tanh", name="hidden"),
              Dense(1, activation="sigmoid", name="output")]

    def forward(x, training):
        for layer in layers:
            x = layer(x)
        return x

    return forward


def mean_loss(y, p):
    """The objective over the batch size: the squared error per example, which `fit` reports."""
    return tf.identity(losses.sum_of_squares(y, p) / tf.cast(tf.shape(y)[0], tf.float32), name="loss")


def build(features=3, hidden=50, learning_rate=0.025, seed=0, device=None):
    """The graph: Dense(50, tanh) -> Dense(1, sigmoid); minimises the sum of squares, reports its mean."""
    graph = tfcore.new_graph(seed=seed)
    with graph.as_default(), common.device_scope(device):
        x = tfcore.placeholder((None, features), name="x")
        y = tfcore.placeholder((None, 1), name="y")
        return train.assemble(graph, x, y, network(hidden), mean_loss, optimizers.SGD(learning_rate),
                              metrics={"accuracy": functools.partial(metrics.accuracy, kind="binary")},
                              switch=None, objective=losses.sum_of_squares)


def worker_model(x, y, learning_rate=0.025, hidden=50):
    """(p, mean loss, sum-of-squares objective, optimizer) on given placeholders.

    The parameter-server demo's model (models/cluster.py): its worker builds its own graph.
    """
    p = network(hidden)(x, False)
    return p, mean_loss(y, p), losses.sum_of_squares(y, p), optimizers.SGD(learning_rate)


def main(argv=None):
    p = common.parser("mlp", __doc__.splitlines()[0], epochs=200, batch_size=50)
    p.add_argument("--learning-rate", type=cli.positive_float, default=0.025)
    p.add_argument("--hidden", type=cli.positive_int, default=50)
    args = common.parse(p, argv, quick={"epochs": 50})
    (x_train, y_train), (x_test, y_test) = classification("mlp")
    _, baseline = sklearn_baseline(x_train, y_train, x_test, y_test)
    model = build(x_train.shape[1], args.hidden, args.learning_rate, args.seed, args.device)
    with tfcore.session(graph=model.graph) as sess:
        history = common.fit(args, model, sess, x_train, y_train, epochs=args.epochs,
                            batch_size=args.batch_size, shuffle=True, seed=args.seed,
                            validation_data=(x_test, y_test), progress=args.progress,
                            checkpoint_dir=common.checkpoint_dir(args))
        scores = train.evaluate(model, sess, x_test, y_test)
    results = {"test_accuracy": scores["accuracy"], "test_loss": scores["loss"],
               "logistic_regression_test_accuracy": baseline}
    print("MLP test accuracy %.3f (loss %.4f); scikit-learn LogisticRegression %.3f"
          % (scores["accuracy"], scores["loss"], baseline))
    common.plot_history(history.history, args.out)
    common.write_metrics(args.out, results, history.history, common.settings(args))
    return results


if __name__ == "__main__":
    common.cli(main)
