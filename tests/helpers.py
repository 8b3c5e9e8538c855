"""Small helpers several test modules share: run a graph once, run a layer, run batch norm,
compare a layer's implementations."""

import numpy as np
import tensorflow as tf

import tfcore


def evaluate(build):
    """Build `build()` in a fresh graph and return its fetches' values."""
    graph = tfcore.new_graph()
    with graph.as_default():
        fetches = build()
    with tfcore.session(graph=graph) as sess:
        return sess.run(fetches)


def run_layer(layer, x, dtype=tf.float64):
    """`layer` on NumPy `x` (any batch size): (output value, static output shape)."""
    graph = tfcore.new_graph()
    with graph.as_default():
        xp = tfcore.placeholder((None,) + x.shape[1:], dtype)
        y = layer(xp)
        with tfcore.session(graph=graph) as sess:
            return sess.run(y, {xp: x}), y.shape


def random_kernel_and_strides(rng, rank, dilated):
    """A random convolution window: kernel sizes 1..3 and strides 1..2 per axis (strides 1
    when `dilated`, since strides and dilation > 1 do not go together)."""
    kernel = tuple(int(k) for k in rng.randint(1, 4, size=rank))
    strides = 1 if dilated else tuple(int(s) for s in rng.randint(1, 3, size=rank))
    return kernel, strides


def run_batch_norm(layer, weights, batches, r):
    """Training steps on `batches`, then inference on the first batch, with `weights` set first.

    Returns (per-step [output, gradients], [inference output, gradients], final weights);
    gradients are of sum(y * r) with respect to the input and the trainable variables.
    """
    graph = tfcore.new_graph()
    with graph.as_default():
        xp = tfcore.placeholder((None,) + batches[0].shape[1:])
        y_train = layer(xp, training=True)
        y_infer = layer(xp, training=False)
        targets = [xp] + layer.trainable_variables
        g_train = tf.gradients(tf.reduce_sum(y_train * r), targets)
        g_infer = tf.gradients(tf.reduce_sum(y_infer * r), targets)
        with tfcore.session(graph=graph) as sess:
            layer.set_weights(sess, weights)
            train = [sess.run([y_train, g_train, layer.updates], {xp: b})[:2] for b in batches]
            infer = sess.run([y_infer, g_infer], {xp: batches[0]})
            return train, infer, layer.get_weights(sess)


def assert_implementations_agree(layer_class, kwargs, implementations, x, atol, **run_kwargs):
    """`layer_class(**kwargs)` gives the same output and gradients with each (implementation, gradient).

    Each array is compared with the first pair's within `atol` times its largest magnitude (at least 1).
    """
    layers = [layer_class(implementation=i, gradient=g, **kwargs) for i, g in implementations]
    dtype = tf.float32 if x.dtype == np.float32 else tf.float64
    results = run_layers_with_gradients(layers, x, dtype, **run_kwargs)
    (y0, g0) = results[0]
    for (implementation, gradient), (y, g) in zip(implementations[1:], results[1:]):
        what = "%s(%s, implementation=%r, gradient=%r)" % (layer_class.__name__, kwargs, implementation,
                                                            gradient)
        for name, a, b in [("output", y, y0)] + [("gradient %d" % i, a, b)
                                                 for i, (a, b) in enumerate(zip(g, g0))]:
            np.testing.assert_allclose(a, b, rtol=0, atol=atol * max(np.abs(b).max(), 1.0),
                                       err_msg="%s: %s" % (what, name))


def run_layers_with_gradients(layers, x, dtype=tf.float64, unknown_spatial=False, seed=0):
    """Each of `layers` on the same input and the same weights: [(output, gradients)] per layer.

    The first layer's weights are drawn from a seeded normal distribution and
    copied into the others. The gradients are those of L = sum(y * r), one random
    `r`, with respect to the input and then each trainable variable. With
    `unknown_spatial` the placeholder leaves every axis but the channels `None`.
    """
    rng = np.random.RandomState(seed)
    graph = tfcore.new_graph(seed=seed)
    with graph.as_default():
        shape = [None] * (x.ndim - 1) + [x.shape[-1]] if unknown_spatial else [None] + list(x.shape[1:])
        xp = tfcore.placeholder(shape, dtype)
        ys = [layer(xp) for layer in layers]
        with tfcore.session(graph=graph) as sess:
            weights = [rng.randn(*v.shape.as_list()) for v in layers[0].variables]
            for layer in layers:
                layer.set_weights(sess, weights)
            r = rng.uniform(-1, 1, sess.run(ys[0], {xp: x}).shape)
            grads = [tf.gradients(tf.reduce_sum(y * tf.cast(r, dtype)), [xp] + layer.trainable_variables)
                     for y, layer in zip(ys, layers)]
            return list(zip(*sess.run([ys, grads], {xp: x})))


_MISSING = {}


def require_data(*names):
    """Skip the calling test, with the reason, unless each named dataset can be had.

    `names` are "mnist", "face" and "global-temp". A dataset counts as present
    when `tfcore.data`'s fetch finds a verified copy (data directory, cache, or
    a download when $TFCORE_OFFLINE allows one); a fresh clone without
    ../shared/data and without network skips these tests instead of failing.
    """
    import pytest

    from tfcore.data import DataError
    from tfcore.data.cache import fetch
    from tfcore.data.face import FACE
    from tfcore.data.global_temp import GLOBAL_TEMP
    from tfcore.data.mnist import MNIST

    datasets = {"mnist": MNIST, "face": FACE, "global-temp": GLOBAL_TEMP}
    for name in names:
        if name not in _MISSING:
            try:
                fetch(datasets[name])
                _MISSING[name] = None
            except DataError as err:
                _MISSING[name] = str(err).splitlines()[0]
        if _MISSING[name]:
            pytest.skip("needs the %s dataset: %s (set TFCORE_DATA or allow a download)"
                        % (name, _MISSING[name]))


_HOLDER = """
import fcntl, os, time
# tfcore.checkpoint.lock's protocol without importing TensorFlow (fast).
handle = open(os.path.join(%r, ".tfcore.lock"), "a+")
fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
handle.truncate(0)
handle.write("%%d\\n" %% os.getpid())
handle.flush()
print("locked", flush=True)
time.sleep(60)
"""


def hold_lock(directory):
    """Start a process that holds `directory`'s tfcore lock; returns it once it does (kill it after)."""
    import subprocess
    import sys

    holder = subprocess.Popen([sys.executable, "-c", _HOLDER % str(directory)],
                              stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "locked"
    return holder
