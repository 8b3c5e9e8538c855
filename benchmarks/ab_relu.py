"""Levers 8 and 15 of NOTES.md: the MNIST CNN step with three relus, A B C A B C.

    python benchmarks/ab_relu.py [bn]

tfcore's relu (max(0, x) with its derivative [x > 0] stated), the same max(0, x)
differentiated by TensorFlow (GreaterEqual + Select against a zero), and tf.nn.relu
(Grappler fuses it into the convolution). All graphs are built in this process (with
`tfcore.activations`' "relu" entry swapped while building; tfcore itself is not
changed) and stepped alternately, 4 rounds x 6 steps each; prints wall and
process-CPU medians.
"""

import os
import sys
import time

os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "1")
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

import tfcore  # noqa: E402
from models import mnist_cnn  # noqa: E402
from tfcore import activations, train  # noqa: E402


def step_function(relu, batchnorm):
    readable = activations._BY_NAME["relu"]
    activations._BY_NAME["relu"] = relu
    try:
        model = mnist_cnn.build(batchnorm=batchnorm, batch_size=256, fused_batchnorm=True)
    finally:
        activations._BY_NAME["relu"] = readable
    session = tfcore.session(graph=model.graph)
    train.initialize(model, session)
    return session.make_callable([model.train_op, model.loss],
                                 feed_list=[model.inputs, model.targets, model.training])


def main():
    batchnorm = "bn" in sys.argv[1:]
    rng = np.random.RandomState(0)
    x = rng.rand(256, 28, 28, 1).astype(np.float32)
    y = np.eye(10, dtype=np.float32)[rng.randint(0, 10, 256)]
    derived = lambda x: tf.maximum(tf.constant(0, x.dtype), x)  # noqa: E731
    steps = {"tfcore": step_function(activations.relu, batchnorm),
             "derived": step_function(derived, batchnorm),
             "tf.nn.relu": step_function(tf.nn.relu, batchnorm)}
    for run in steps.values():
        for _ in range(3):
            run(x, y, True)
    wall, cpu = {k: [] for k in steps}, {k: [] for k in steps}
    for _ in range(4):
        for name, run in steps.items():
            for _ in range(6):
                c, t = time.process_time(), time.perf_counter()
                run(x, y, True)
                wall[name].append(time.perf_counter() - t)
                cpu[name].append(time.process_time() - c)
    print("load average %s" % " ".join("%.2f" % v for v in os.getloadavg()))
    for name in steps:
        print("%-11s median %.1f ms  min %.1f ms  CPU median %.1f ms" % (
            name, 1e3 * np.median(wall[name]), 1e3 * min(wall[name]), 1e3 * np.median(cpu[name])))


if __name__ == "__main__":
    main()
