"""Gradients as operations: x^3, then `tf.gradients` once (3x^2) and twice (6x).

    g(x)   = x^3
    g'(x)  = tf.gradients(g, x)   = 3 x^2
    g''(x) = tf.gradients(g', x)  = 6 x

200 points of f(x) = x on [-100, 100] are fed through a placeholder; the three
curves are plotted in three panels.
"""

import numpy as np
import tensorflow as tf

import tfcore
from models import common
from tfcore import cli


def build(device=None):
    """The graph: a placeholder x and the tensors x^3, 3x^2, 6x."""
    graph = tfcore.new_graph()
    with graph.as_default(), common.device_scope(device):
        x = tfcore.placeholder((None,), name="x")
        g = tf.pow(x, 3.0, name="cube")
        (dg,) = tf.gradients(g, x, name="first_derivative")
        (d2g,) = tf.gradients(dg, x, name="second_derivative")
    return graph, x, (g, dg, d2g)


def run(points=200, device=None):
    """Evaluate the three tensors on `points` values of x in [-100, 100]."""
    graph, x, tensors = build(device)
    xs = np.linspace(-100.0, 100.0, points, dtype=np.float32)
    with tfcore.session(graph=graph) as sess:
        g, dg, d2g = sess.run(tensors, {x: xs})
    return xs, g, dg, d2g


def main(argv=None):
    p = common.parser("gradients", __doc__.splitlines()[0], epochs=None, batch_size=None)
    p.add_argument("--points", type=cli.int_in(2, 10**7), default=200)
    args = common.parse(p, argv)
    xs, g, dg, d2g = run(args.points, args.device)
    err = {
        "max_rel_err_3x2": float(np.max(np.abs(dg - 3 * xs.astype(np.float64) ** 2) / np.maximum(3 * xs.astype(np.float64) ** 2, 1))),
        "max_abs_err_6x": float(np.max(np.abs(d2g - 6 * xs.astype(np.float64)))),
    }
    print("x^3 and its derivatives at %d points in [-100, 100]" % len(xs))
    for i in (0, len(xs) // 2, len(xs) - 1):
        print("  x=%9.3f  x^3=%14.3f  3x^2=%11.3f  6x=%9.3f" % (xs[i], g[i], dg[i], d2g[i]))
    print("  largest relative error of 3x^2: %.2e; of 6x (absolute): %.2e"
          % (err["max_rel_err_3x2"], err["max_abs_err_6x"]))
    plt = common.pyplot()
    fig, axes = plt.subplots(1, 3, figsize=(13, 3.6))
    for ax, ys, title in zip(axes, (g, dg, d2g), ("g(x) = x^3", "g'(x) = 3x^2", "g''(x) = 6x")):
        ax.plot(xs, ys)
        ax.set_title(title)
        ax.set_xlabel("x")
        ax.grid(alpha=0.3)
    figure = common.save_figure(fig, args.out, "gradients")
    common.write_metrics(args.out, err, settings=common.settings(args))
    print("wrote %s and %s" % (figure, args.out / "metrics.json"))
    return err


if __name__ == "__main__":
    common.cli(main)
