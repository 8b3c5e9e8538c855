"""The chapter's deep CNN for MNIST digits.

    Dropout 0.25 on the input
    Conv 16 3x3 SAME + ReLU  -> Dropout 0.5
    Conv 16 3x3 SAME + ReLU  -> Dropout 0.5 -> AvgPool 2x2 SAME      28 -> 14
    Conv 32 3x3 SAME + ReLU                 -> AvgPool 2x2 SAME      14 -> 7
    Conv 64 3x3 SAME + ReLU  -> Dropout 0.5 -> AvgPool 2x2 SAME       7 -> 4
    Flatten (4*4*64 = 1024) -> Dense 512 ReLU -> Dropout 0.5 -> Dense 10 softmax

555,546 parameters. Categorical cross-entropy; Adam (lr 0.001, Keras 2 time
decay 1e-5 per step); batch 256. `batchnorm=True` builds the chapter's variant:
BatchNormalization between each hidden conv/dense and its ReLU, and no dropout.

With `batchnorm=True`, judge the model after a few epochs, not one: inference
uses the moving statistics, which start at mean 0 and variance 1 and, with
momentum 0.99, still carry 0.99^235 ~ 9% of those starting values after one
epoch of 235 steps; where the true variances are small this dominates (measured
here: 0.17 test accuracy after one full epoch; after 20 steps on 2,560 images,
0.21 with the moving statistics against 0.96 with the batch's own).
Keras's BatchNormalization behaves the same way.

The softmax and the cross-entropy are computed together from the logits
(`log_softmax`), which is the same function as Keras's softmax followed by
categorical cross-entropy, without the round trip through probabilities.
"""

import contextlib
import functools

import numpy as np

import tfcore
from models import common
from tfcore import cli, losses, metrics, optimizers, parallel, train
from tfcore.data import load_mnist, one_hot, scale_images
from tfcore.layers import AvgPool2D, BatchNormalization, Conv2D, Dense, Dropout, Flatten
from tfcore.module import Module


def network(batchnorm=False, fused_batchnorm=False, implementation="fused", gradient="auto"):
    """The layers, made once; returns `forward(x, training) -> logits`.

    The list reads as the architecture. Calling `forward` again (an evaluation
    branch, or another tower) reuses the same layers and so the same variables.
    `implementation="patches"` computes the convolutions and pools from image
    patches and one matmul or reduction (im2col) instead of the fused kernels;
    `gradient="manual"` gives every layer the backward pass written in its own
    file instead of `tf.gradients`' (the conv and pool ones need "patches").
    """
    relu = tfcore.activations.relu

    def conv(filters):
        # With batch norm the ReLU comes after the normalisation, not inside the conv.
        return Conv2D(filters, 3, padding="SAME", activation=None if batchnorm else "relu",
                      implementation=implementation, gradient=gradient)

    def pool():
        return AvgPool2D(2, padding="SAME", implementation=implementation, gradient=gradient)

    def dense(units, activation=None):
        return Dense(units, activation=activation, gradient=gradient)

    def dropout(rate):
        return Dropout(rate, gradient=gradient)

    def normalize(fused=fused_batchnorm):
        return BatchNormalization(fused=fused, gradient=gradient)

    if batchnorm:
        layers = [conv(16), normalize(), relu,
                  conv(16), normalize(), relu, pool(),
                  conv(32), normalize(), relu, pool(),
                  conv(64), normalize(), relu, pool(),
                  Flatten(),
                  dense(512), normalize(fused=False), relu,  # FusedBatchNormV3 takes 4-D input
                  dense(10)]
    else:
        layers = [dropout(0.25),
                  conv(16), dropout(0.5),
                  conv(16), dropout(0.5), pool(),
                  conv(32), pool(),
                  conv(64), dropout(0.5), pool(),
                  Flatten(),
                  dense(512, activation="relu"), dropout(0.5),
                  dense(10)]

    def forward(x, training):
        for layer in layers:
            x = layer(x, training=training) if isinstance(layer, Module) else layer(x)
        return x

    return forward


def build(batchnorm=False, learning_rate=1e-3, decay=1e-5, seed=0, device=None,
          batch_size=None, fused_batchnorm=False, towers=1, implementation="fused",
          gradient="auto", switch="passes"):
    """The training graph: placeholders, network, loss, Adam step, accuracy.

    `towers=N` splits each batch over N devices of `device`'s kind (`/cpu:0..N-1`
    need `tfcore.session(cpu_devices=N)`), sharing the variables; see tfcore.parallel.
    `implementation` and `gradient` go to the layers (see `network`) and `gradient`
    to the loss too: the readable paths, the same numbers as the fast ones. With
    `implementation="patches"` the activations are the readable formulas too.

    `switch` says how training and inference differ (dropout on or off, batch
    norm on the batch's or the moving statistics):

      "passes"       (default) the network is called twice on the same layers,
                     so with the same variables: `forward(x, True)` gives the
                     loss the optimizer minimises, `forward(x, False)` the
                     predictions, evaluation and export. Neither pass holds a
                     conditional, as in Keras's train and predict functions; the
                     graph builds and starts faster (NOTES lever 28).
      "placeholder"  one pass reading a boolean `training` placeholder (default
                     False) that `fit` feeds True: each Dropout and
                     BatchNormalization holds an `If` op (`tf.cond`) that picks
                     its branch at every run (what `python -m tfcore.inspect
                     mnist_cnn --expand` opens). Towers always use it.
    """
    if switch not in ("passes", "placeholder"):
        raise ValueError("mnist_cnn.build: switch must be 'passes' or 'placeholder', got %r" % (switch,))
    # The readable variant is readable throughout; otherwise the caller's choice stands.
    activations_path = (tfcore.activations.implementation("readable") if implementation == "patches"
                        else contextlib.nullcontext())
    cross_entropy = functools.partial(losses.softmax_cross_entropy_with_logits, gradient=gradient)
    graph = tfcore.new_graph(seed=seed)
    with graph.as_default(), common.device_scope(device if towers == 1 else None), activations_path:
        x = tfcore.placeholder((batch_size, 28, 28, 1), name="pixels")
        y = tfcore.placeholder((batch_size, 10), name="one_hot_labels")
        return train.assemble(
            graph, x, y, network(batchnorm, fused_batchnorm, implementation, gradient), cross_entropy,
            optimizers.Adam(learning_rate, decay=decay),
            metrics={"accuracy": functools.partial(metrics.accuracy, kind="categorical")},
            switch="placeholder" if towers > 1 else switch,  # towers always read a placeholder
            devices=parallel.tower_devices(towers, common.device_kind(device)) if towers > 1 else None,
            output=tfcore.activations.softmax)


def build_with_switch(**options):
    """`build(switch="placeholder", ...)`: one forward pass whose Dropout layers hold `If` ops.

    `python -m tfcore.inspect mnist_cnn:build_with_switch --expand` opens them.
    """
    return build(switch="placeholder", **options)


def load(data_dir=None, limit=None):
    """MNIST scaled to [0, 1] with a channel axis, one-hot labels; `limit` trims the training set."""
    (x_train, y_train), (x_test, y_test) = load_mnist(data_dir)
    x_train, x_test = scale_images(x_train)[..., None], scale_images(x_test)[..., None]
    y_train, y_test = one_hot(y_train), one_hot(y_test)
    if limit:
        x_train, y_train = x_train[:limit], y_train[:limit]
    return (x_train, y_train), (x_test, y_test)


def main(argv=None):
    p = common.parser("mnist_cnn", __doc__.splitlines()[0], epochs=5, batch_size=256)
    p.add_argument("--batchnorm", action="store_true",
                   help="BatchNormalization before each hidden activation instead of dropout")
    p.add_argument("--limit", type=cli.positive_int, default=None,
                   help="use only the first N training images")
    p.add_argument("--learning-rate", type=cli.positive_float, default=1e-3)
    p.add_argument("--decay", type=cli.non_negative_float, default=1e-5)
    p.add_argument("--towers", type=cli.positive_int, default=1,
                   help="split each batch over N devices of --device's kind (logical CPUs here)")
    args = common.parse(p, argv, quick={"epochs": 1, "limit": 6000})
    (x_train, y_train), (x_test, y_test) = load(args.data_dir, args.limit)
    model = build(args.batchnorm, args.learning_rate, args.decay, args.seed, args.device,
                  towers=args.towers)
    with tfcore.session(graph=model.graph, cpu_devices=max(1, args.towers)) as sess:
        history = common.fit(args, model, sess, x_train, y_train, epochs=args.epochs,
                            batch_size=args.batch_size, validation_data=(x_test, y_test),
                            seed=args.seed, progress=args.progress,
                            checkpoint_dir=common.checkpoint_dir(args))
        scores = train.evaluate(model, sess, x_test, y_test, batch_size=1000)
    h = history.history
    for epoch, (acc, seconds) in enumerate(zip(h.get("val_accuracy", []), history.epoch_times), 1):
        print("epoch %3d  val_accuracy %.4f  (%.1f s)" % (epoch, acc, seconds))
    results = {"test_accuracy": scores["accuracy"], "test_loss": scores["loss"],
               "epochs": len(h.get("loss", [])), "seconds_per_epoch": float(np.mean(history.epoch_times))
               if history.epoch_times else None}
    print("test accuracy %.4f after %d epochs" % (scores["accuracy"], len(h.get("loss", []))))
    common.plot_history(h, args.out)
    common.write_metrics(args.out, results, h, common.settings(args, epoch_times=history.epoch_times))
    return results


if __name__ == "__main__":
    common.cli(main)
