"""Logistic regression by gradient descent, compared with scikit-learn.

    p(y = 1 | x) = sigmoid(x w + b)
    loss         = mean_i [ max(z_i, 0) - z_i y_i + log(1 + e^{-|z_i|}) ],  z = x w + b
    w <- w - lr dloss/dw,  b <- b - lr dloss/db      (lr 0.025, w = b = 0 at the start)

500 samples with 2 features and 2 classes from `make_classification`; every
step uses all 500 (full-batch gradient descent), 5,000 steps. The chapter's
loss settles near 0.26; scikit-learn's LogisticRegression on the same data
scores about the same accuracy.
"""

import functools

import numpy as np
import tensorflow as tf

import tfcore
from models import common
from tfcore import cli, losses, metrics, optimizers, train
from tfcore.data import classification
from tfcore.layers import Dense


def network():
    """The one zero-initialised layer; returns `forward(x, training) -> logits` (`forward.layer`)."""
    layer = Dense(1, kernel_initializer="zeros", bias_initializer="zeros", name="logistic")

    def forward(x, training):
        return layer(x)

    forward.layer = layer
    return forward


def probability(logits):
    """p(y = 1 | x) = sigmoid(z): the model's predictions."""
    return tf.sigmoid(logits, name="probability")


def build(features=2, learning_rate=0.025, seed=0, device=None):
    """The graph: x -> Dense(1) with zero-initialised weight and bias -> sigmoid.

    The loss and the accuracy read the logits z (the accuracy's threshold is z > 0,
    which is p > 0.5); `model.layer` is the Dense layer, for its weights.
    """
    graph = tfcore.new_graph(seed=seed)
    with graph.as_default(), common.device_scope(device):
        x = tfcore.placeholder((None, features), name="x")
        y = tfcore.placeholder((None, 1), name="y")
        forward = network()
        model = train.assemble(
            graph, x, y, forward, losses.sigmoid_cross_entropy_with_logits,
            optimizers.SGD(learning_rate),
            metrics={"accuracy": functools.partial(metrics.accuracy, kind="binary", threshold=0.0)},
            switch=None, output=probability)
    model.layer = forward.layer
    return model


def worker_model(x, y, learning_rate=0.025):
    """(probability, loss, objective, optimizer) on given placeholders; the objective is the loss.

    The parameter-server demo's model (models/cluster.py): its worker builds its own graph.
    """
    logits = network()(x, False)
    p = probability(logits)
    loss = losses.sigmoid_cross_entropy_with_logits(y, logits)
    return p, loss, loss, optimizers.SGD(learning_rate)


def sklearn_baseline(x_train, y_train, x_test, y_test):
    """scikit-learn's LogisticRegression (default L2 penalty, C=1) on the same split."""
    from sklearn.linear_model import LogisticRegression

    clf = LogisticRegression().fit(x_train, y_train.ravel())
    return clf, float(clf.score(x_test, y_test.ravel()))


def report(epoch, logs):
    """Print every 1,000th step (each epoch is one full-batch step)."""
    if (epoch + 1) % 1000 == 0:
        print("step %5d  loss %.4f  accuracy %.3f" % (epoch + 1, logs["loss"], logs["accuracy"]))


def main(argv=None):
    p = common.parser("logistic_regression", __doc__.splitlines()[0], epochs=5000, batch_size=500)
    p.add_argument("--learning-rate", type=cli.positive_float, default=0.025)
    args = common.parse(p, argv, quick={"epochs": 1000})
    (x, y), _ = classification("logistic")
    model = build(x.shape[1], args.learning_rate, args.seed, args.device)
    with tfcore.session(graph=model.graph) as sess:
        history = common.fit(args, model, sess, x, y, epochs=args.epochs, batch_size=args.batch_size,
                            shuffle=False, seed=args.seed, progress=False, on_epoch_end=report)
        scores = train.evaluate(model, sess, x, y)
        kernel, bias = model.layer.get_weights(sess)
    clf, sk_accuracy = sklearn_baseline(x, y, x, y)
    results = {"loss": scores["loss"], "accuracy": scores["accuracy"],
               "sklearn_accuracy": sk_accuracy, "weights": kernel.ravel(), "bias": float(bias[0]),
               "sklearn_weights": clf.coef_.ravel(), "sklearn_bias": float(clf.intercept_[0])}
    print("tfcore:  loss %.4f  accuracy %.3f  w = %s  b = %.4f"
          % (scores["loss"], scores["accuracy"], np.array2string(kernel.ravel(), precision=4), bias[0]))
    print("sklearn: accuracy %.3f  w = %s  b = %.4f"
          % (sk_accuracy, np.array2string(clf.coef_.ravel(), precision=4), clf.intercept_[0]))

    plt = common.pyplot()
    fig, ax = plt.subplots(figsize=(5.5, 4.5))
    ax.scatter(x[:, 0], x[:, 1], c=y.ravel(), cmap="coolwarm", s=12, edgecolors="none")
    xs = np.linspace(x[:, 0].min(), x[:, 0].max(), 2)
    for (w, b), style, label in (((kernel.ravel(), bias[0]), "k-", "tfcore"),
                                 ((clf.coef_.ravel(), clf.intercept_[0]), "g--", "scikit-learn")):
        if w[1] != 0:  # zero weights (--epochs 0) have no line
            ax.plot(xs, -(w[0] * xs + b) / w[1], style, label=label)  # the line w.x + b = 0
    ax.set_ylim(x[:, 1].min() - 0.5, x[:, 1].max() + 0.5)
    ax.set_xlabel("feature 1")
    ax.set_ylabel("feature 2")
    ax.set_title("separating line w.x + b = 0")
    ax.legend()
    common.save_figure(fig, args.out, "separating_line")
    common.plot_history(history.history, args.out)
    common.write_metrics(args.out, results, history.history, common.settings(args))
    return results


if __name__ == "__main__":
    common.cli(main)
