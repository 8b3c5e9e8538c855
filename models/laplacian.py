"""Edge detection: the raccoon face convolved with the discrete Laplacian.

    out[i, j] = sum_{a, b} image[i + a - 1, j + b - 1] * L[a, b]

            [[0,  1, 0],
    L   =    [1, -4, 1],        (1 on all four neighbours; the chapter's printed
             [0,  1, 0]]         kernel has a typo, a 0 on the right)

The grey image (768 x 1024) is a batch of one NHWC image (1, 768, 1024, 1);
the kernel is a constant filter of shape (3, 3, 1, 1) (height, width, input
channels, output channels); stride 1 and SAME padding (zeros outside the image)
keep the output the size of the input. The same graph is built twice: once with
`tf.nn.conv2d` directly and once through tfcore's `Conv2D` with a fixed kernel.
"""

import numpy as np
import tensorflow as tf

import tfcore
from models import common
from tfcore.data import load_face
from tfcore.layers import Conv2D

LAPLACIAN = np.array([[0, 1, 0], [1, -4, 1], [0, 1, 0]], dtype=np.float32)


def build(height=768, width=1024, device=None):
    """The graph: an image placeholder, and its Laplacian by tf.nn.conv2d and by Conv2D."""
    graph = tfcore.new_graph()
    with graph.as_default(), common.device_scope(device):
        image = tfcore.placeholder((height, width), name="image")
        batch = tf.reshape(image, (1, height, width, 1))  # NHWC: one image, one channel
        kernel = tfcore.constant(LAPLACIAN.reshape(3, 3, 1, 1), name="laplacian")
        direct = tf.nn.conv2d(batch, kernel, strides=1, padding="SAME", name="edges")[0, :, :, 0]
        layer = Conv2D.from_kernel(LAPLACIAN.reshape(3, 3, 1, 1), padding="SAME", name="laplacian_conv")
        through_layer = layer(batch)[0, :, :, 0]
        init = tf.compat.v1.global_variables_initializer()
    return graph, image, direct, through_layer, init


def edges(image, device=None):
    """The Laplacian of a 2-D array (float32), by both routes."""
    graph, placeholder, direct, through_layer, init = build(*image.shape, device=device)
    with tfcore.session(graph=graph) as sess:
        sess.run(init)
        return sess.run([direct, through_layer], {placeholder: image.astype(np.float32)})


def main(argv=None):
    p = common.parser("laplacian", __doc__.splitlines()[0], epochs=None, batch_size=None)
    args = common.parse(p, argv)
    face = load_face(args.data_dir, gray=True)
    direct, through_layer = edges(face, args.device)
    results = {"image_shape": face.shape, "edges_min": float(direct.min()),
               "edges_max": float(direct.max()),
               "max_abs_diff_conv2d_vs_layer": float(np.abs(direct - through_layer).max())}
    print("face %s -> edges in [%.0f, %.0f]; tf.nn.conv2d vs tfcore Conv2D max |diff| %.1e"
          % (face.shape, direct.min(), direct.max(), results["max_abs_diff_conv2d_vs_layer"]))
    plt = common.pyplot()
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.8))
    axes[0].imshow(face, cmap="gray")
    axes[0].set_title("grey face (768 x 1024)")
    # Edges are signed; clip the extreme 1% so the structure is visible.
    limit = np.percentile(np.abs(direct), 99)
    axes[1].imshow(direct, cmap="gray", vmin=-limit, vmax=limit)
    axes[1].set_title("Laplacian (SAME padding)")
    for ax in axes:
        ax.axis("off")
    common.save_figure(fig, args.out, "laplacian")
    common.write_metrics(args.out, results, settings=common.settings(args))
    return results


if __name__ == "__main__":
    common.cli(main)
