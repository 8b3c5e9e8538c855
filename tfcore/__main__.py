"""`python -m tfcore`: a two-minute tour of the chapter's concepts."""

import numpy as np
import tensorflow as tf

import tfcore
from tfcore.layers import Dense


def main():
    print("tfcore %s on TensorFlow %s; devices: %s"
          % (tfcore.__version__, tf.__version__, ", ".join(tfcore.available_devices())))
    graph = tfcore.new_graph(seed=0)
    with graph.as_default():
        x = tfcore.placeholder((None,), name="x")                  # fed at run time
        g = x ** 3                                                 # an operation
        (dg,) = tf.gradients(g, x)                                 # 3x^2, also an operation
        (d2g,) = tf.gradients(dg, x)                               # 6x
        layer = Dense(2, activation="relu")                        # variables on first call
        y = layer(tf.reshape(x, (-1, 1)))
        init = tf.compat.v1.global_variables_initializer()
    with tfcore.session(graph=graph) as sess:
        sess.run(init)
        values = np.array([-2.0, 0.0, 1.0, 3.0], np.float32)
        out = sess.run({"x^3": g, "3x^2": dg, "6x": d2g, "dense": y}, {x: values})
    for name, value in out.items():
        print("%-6s %s" % (name, np.array2string(value, precision=3)))
    print("graph: %d operations; variables: %s"
          % (len(graph.get_operations()), ", ".join(v.name for v in layer.variables)))


if __name__ == "__main__":
    main()
