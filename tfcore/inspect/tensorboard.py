"""Export a graph for TensorBoard's graph dashboard.

    write_graph(model, "runs/mnist_cnn/tensorboard")
    tensorboard --logdir runs/mnist_cnn/tensorboard       (then open the Graphs tab)

`tf.compat.v1.summary.FileWriter` writes an event file
(`events.out.tfevents.<time>.<host>`) whose first events carry the
serialised `GraphDef`. TensorBoard draws name scopes as collapsible boxes, so
each tfcore layer (which builds inside its own scope) is one box that opens
onto its ops. Read it back with `tf.compat.v1.train.summary_iterator(path)`.
"""

import os

import tensorflow as tf


def write_graph(model, logdir):
    """Write `model`'s graph (a TrainGraph or a `tf.Graph`) to an event file in `logdir`; return its path."""
    graph = model if isinstance(model, tf.Graph) else model.graph
    os.makedirs(logdir, exist_ok=True)
    with graph.as_default():  # the v1 writer refuses to run eagerly
        writer = tf.compat.v1.summary.FileWriter(logdir, graph=graph)
        writer.flush()
        path = writer.get_logdir()
        writer.close()
    # The writer does not expose its file name; it is the newest event file there.
    files = sorted((f for f in os.listdir(path) if f.startswith("events.out.tfevents")),
                   key=lambda f: os.path.getmtime(os.path.join(path, f)))
    return os.path.join(path, files[-1])
