"""A picture of the layer-level graph: one box per layer, the tensor shapes on the arrows.

The boxes are the rows of `summary` (name scopes collapsed to layers, in
graph order); an arrow goes from one layer to another when the second reads a
tensor of the first, labelled with that tensor's shape. The boolean training
switch (a scalar `bool` read by every Dropout and BatchNormalization) is left
out: its arrows would cross the whole picture and carry no shape.

Two renderers draw the same boxes and arrows:

* **graphviz**: the DOT text (`to_dot`) laid out by the `dot` program, when it
  is installed (`apt-get install graphviz`, `brew install graphviz`);
* **matplotlib**: boxes top to bottom in graph order, arrows between them,
  so a fresh machine with no graphviz still gets a picture. `draw(ax, summary)`
  is this drawing on an axes the caller owns (the course draws into its own
  figures with it).

The file type comes from the suffix: `.png`, `.svg` or `.pdf`.
"""

import os
import shutil
import subprocess

from tfcore.inspect.layers import Summary, format_shape, summary as make_summary


def _picture_parts(s):
    """The boxes `[(name, label)]` and arrows `[(from, to, label)]` to draw."""
    switch = {a for a, _, shape, dtype in s.edges if dtype == "bool" and shape == ()}
    switch = {name for name in switch
              if all(dtype == "bool" and shape == () for a, _, shape, dtype in s.edges if a == name)}
    boxes = []
    for r in s.rows:
        if r.name in switch:
            continue
        ops = " ".join(r.ops[:3]) + (" ..." if len(r.ops) > 3 else "")
        details = []
        if r.params:
            details.append("{:,} params".format(r.params))
        if r.flops:
            details.append("{:,} FLOPs".format(r.flops))
        label = r.name + "\n" + ops
        if details:
            label += "\n" + " · ".join(details)
        boxes.append((r.name, label))
    arrows = []
    for a, b, shape, dtype in s.edges:
        if a in switch:
            continue
        label = format_shape(shape)
        if (a, b, label) not in arrows:
            arrows.append((a, b, label))
    return boxes, arrows


def to_dot(s, title=None):
    """The layer graph of the `Summary` `s` as graphviz DOT text (top to bottom)."""
    boxes, arrows = _picture_parts(s)
    q = lambda text: '"%s"' % text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")  # noqa: E731
    lines = ["digraph layers {", "  rankdir=TB; ranksep=0.22; nodesep=0.3;",
             '  node [shape=box, style="rounded,filled", fillcolor="#eef3fb", fontname="Helvetica",'
             ' fontsize=11, margin="0.15,0.04"];',
             '  edge [fontname="Helvetica", fontsize=10, color="#555555"];']
    if title:
        lines.append("  labelloc=t; label=%s; fontname=Helvetica;" % q(title))
    for name, label in boxes:
        lines.append("  %s [label=%s];" % (q(name), q(label)))
    for a, b, label in arrows:
        lines.append("  %s -> %s [label=%s];" % (q(a), q(b), q(" " + label)))
    lines.append("}")
    return "\n".join(lines) + "\n"


def _render_graphviz(s, path, title):
    fmt = os.path.splitext(path)[1].lstrip(".").lower() or "png"
    subprocess.run([shutil.which("dot"), "-T" + fmt, "-Gdpi=130" if fmt == "png" else "-Gdpi=72",
                    "-o", path], input=to_dot(s, title).encode(), check=True)


def _render_matplotlib(s, path, title):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5.0, max(2.0, len(_picture_parts(s)[0]) * 0.95 + 0.8)))
    draw(ax, s, title)
    fig.savefig(path, dpi=110, bbox_inches="tight")
    plt.close(fig)


def draw(ax, s, title=None):
    """Draw the layer graph of the `Summary` `s` on a matplotlib axes (about 0.95 inch per layer).

    The matplotlib renderer's drawing, for a figure the caller owns (the course's
    chapters draw into their own figures this way).
    """
    from matplotlib.patches import FancyBboxPatch

    boxes, arrows = _picture_parts(s)
    row_of = {name: i for i, (name, _) in enumerate(boxes)}
    step, box_h, box_w = 1.0, 0.62, 3.6
    for i, (name, label) in enumerate(boxes):
        y = -i * step
        ax.add_patch(FancyBboxPatch((-box_w / 2, y - box_h / 2), box_w, box_h,
                                    boxstyle="round,pad=0.02,rounding_size=0.08",
                                    facecolor="#eef3fb", edgecolor="#33507a", linewidth=1.0))
        first, _, rest = label.partition("\n")
        ax.text(0, y + 0.12, first, ha="center", va="center", fontsize=9.5, fontweight="bold")
        ax.text(0, y - 0.12, rest, ha="center", va="center", fontsize=7.5, color="#333333",
                linespacing=1.1)
    skips = 0
    for a, b, label in arrows:
        i, j = row_of[a], row_of[b]
        y0, y1 = -i * step - box_h / 2, -j * step + box_h / 2
        if j == i + 1:
            ax.annotate("", xy=(0, y1), xytext=(0, y0),
                        arrowprops=dict(arrowstyle="-|>", color="#555555", lw=1.0))
            ax.text(0.08, (y0 + y1) / 2, label, fontsize=7.5, va="center", color="#1d5a1d")
        else:
            # A skip or backward connection goes round the right-hand side of the boxes.
            skips += 1
            x = box_w / 2
            rad = -0.35 if j > i else 0.35
            ax.annotate("", xy=(x, -j * step), xytext=(x, -i * step),
                        arrowprops=dict(arrowstyle="-|>", color="#8a5a00", lw=0.9,
                                        connectionstyle="arc3,rad=%.2f" % rad))
            ax.text(x + 0.25 + 0.1 * skips, -(i + j) * step / 2, label, fontsize=7.5,
                    va="center", color="#8a5a00")
    ax.set_xlim(-box_w / 2 - 0.2, box_w / 2 + (2.0 if skips else 0.2))
    ax.set_ylim(-(len(boxes) - 1) * step - 0.6, 0.6 + (0.3 if title else 0))
    ax.axis("off")
    if title:
        ax.set_title(title, fontsize=11)


def render(model, path, engine="auto", title=None, **summary_options):
    """Draw the layer graph of `model` (or of a `Summary`) to `path`; return the engine used.

    Args:
      model: a `Summary`, or anything `summary` accepts (TrainGraph, graph, tuple).
      path: the picture file; `.png`, `.svg` or `.pdf`.
      engine: "graphviz" (needs the `dot` program), "matplotlib", or "auto":
        graphviz when `dot` is on the PATH, matplotlib otherwise.
      title: a line above the picture.
      summary_options: passed to `summary` (outputs=, batch_size=, scope=).
    """
    s = model if isinstance(model, Summary) else make_summary(model, print_fn=None, **summary_options)
    if engine not in ("auto", "graphviz", "matplotlib"):
        raise ValueError("render: engine must be 'auto', 'graphviz' or 'matplotlib', got %r" % (engine,))
    if engine == "auto":
        engine = "graphviz" if shutil.which("dot") else "matplotlib"
    if engine == "graphviz" and not shutil.which("dot"):
        raise ValueError("render: engine='graphviz' needs the graphviz `dot` program on the PATH "
                         "(apt-get install graphviz); engine='matplotlib' needs nothing more")
    path = os.fspath(path)
    directory = os.path.dirname(path)
    if directory:
        os.makedirs(directory, exist_ok=True)
    (_render_graphviz if engine == "graphviz" else _render_matplotlib)(s, path, title)
    return engine
