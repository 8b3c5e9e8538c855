"""Two drawings the chapters share: a graph of operations, and a grid of numbers.

    from tfcore.learn import figures, plots
    fig = figures.new(width=7, height=3)
    plots.op_graph(fig.axes[0], [y])              # y's ops, inputs on the left
    plots.grid(fig.axes[0], matrix, numbers=True) # a heat map, each cell labelled

`op_graph` draws what a session would run to compute the fetches: every op
they depend on, found by walking the graph from the fetches back along each
op's inputs (and control inputs), and nothing else. An op's column is its
depth, one more than its deepest input's, so data flows left to right and every
arrow points right; an op with no inputs (a constant, a placeholder) sits just
before its first user. A `group` function names each op's kind (its device,
forward or backward, ...): the kinds are the colours and the legend. Arrows are
the data inputs; a control dependency is drawn as a box without an arrow.

Both draw on an axes of a figure from `figures.new`, with matplotlib's object
API only (no pyplot), so they print nothing and open no window.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Sequence

if TYPE_CHECKING:  # for the hints only: matplotlib and NumPy are imported when a figure is drawn
    import numpy.typing as npt
    from matplotlib.axes import Axes
    from matplotlib.image import AxesImage

PALETTE = ["#dbe8f6", "#fde2c4", "#d7efd2", "#f4d3e0", "#e6dcf3", "#f3f0c8"]


def reachable_ops(fetches: Sequence[Any]) -> list[Any]:
    """The ops `fetches` (tensors or ops) depend on, in graph order."""
    todo = [getattr(f, "op", f) for f in fetches]
    found = set()
    while todo:
        op = todo.pop()
        if op not in found:
            found.add(op)
            todo.extend(t.op for t in op.inputs)
            todo.extend(op.control_inputs)
    graph_ops = next(iter(found)).graph.get_operations() if found else []
    order: dict[Any, int] = {op: i for i, op in enumerate(graph_ops)}
    return sorted(found, key=order.__getitem__)  # creation order: inputs before their users


def _columns(ops):
    """The ops in columns (depth = 1 + the deepest input's) and each op's height in its column."""
    users = {op: [] for op in ops}
    depth = {}
    for op in ops:  # graph order: an op's inputs were created before it
        parents = [t.op for t in op.inputs if t.op in users]
        for p in parents:
            users[p].append(op)
        depth[op] = 1 + max(depth[p] for p in parents) if parents else 0
    for op in ops:  # a constant read late is drawn late, not in column 0 with a long arrow
        if not op.inputs and users[op]:
            depth[op] = min(depth[u] for u in users[op]) - 1
    columns = [[] for _ in range(max(depth.values()) + 1)]
    for op in ops:
        columns[depth[op]].append(op)
    # Order each column by the mean height of its neighbours, sweeping right, left, right:
    # arrows then cross less.
    y = {}
    for sweep in (1, -1, 1):
        for column in columns[::sweep]:
            neighbours = (lambda op: [t.op for t in op.inputs]) if sweep == 1 else users.get
            column.sort(key=lambda op: _mean([y[n] for n in neighbours(op) if n in y], y.get(op, 0)))
            y.update((op, (len(column) - 1) / 2 - i) for i, op in enumerate(column))
    return columns, y


def _mean(values, default):
    return sum(values) / len(values) if values else default


def _label(op, shapes):
    """The op's type, the end of its name (two name scopes) when it says more, its output's shape."""
    name = "/".join(op.name.split("/")[-2:])
    lines = [op.type] if name == op.type else [op.type, name]
    out = op.outputs[0] if op.outputs else None
    if shapes and out is not None and out.shape.rank is not None and out.dtype.name != "resource":
        lines.append(str(tuple(out.shape)).replace("None", "?"))
    return "\n".join(lines)


def op_graph(ax: Axes, fetches: Sequence[Any], group: Callable[[Any], str] | None = None,
             shapes: bool = False, fontsize: float = 8) -> dict[Any, tuple[float, float]]:
    """Draw the ops computing `fetches` on `ax`, boxes by depth left to right; returns {op: (x, y)}.

    group: op -> a short text (the op's kind), one colour per kind, with a legend.
    shapes: write each op's (first) output shape in its box, `?` for a size fed at run time.
    """
    from matplotlib.patches import Patch

    ops = reachable_ops(fetches)
    if not ops:
        raise ValueError("op_graph: nothing to draw, `fetches` is empty")
    columns, height_of = _columns(ops)
    where: dict[Any, tuple[float, float]] = {
        op: (x, height_of[op]) for x, column in enumerate(columns) for op in column}
    boxes: dict[Any, Any] = {}  # op -> its box (a matplotlib Text)
    kinds: dict[str | None, str] = {}  # group(op) -> its colour
    for op in ops:
        kind = group(op) if group else None
        colour = kinds.setdefault(kind, PALETTE[len(kinds) % len(PALETTE)])
        boxes[op] = ax.text(*where[op], _label(op, shapes), ha="center", va="center", fontsize=fontsize,
                            zorder=2, bbox=dict(boxstyle="round,pad=0.35", facecolor=colour,
                                                edgecolor="#40506a", linewidth=0.8))
    for op in ops:
        for t in dict.fromkeys(op.inputs):   # x * x: one arrow
            (x0, y0), (x1, y1) = where[t.op], where[op]
            # From box edge to box edge (patchA, patchB clip the line); an arrow that skips
            # columns bends away from the middle row, to pass beside the boxes between.
            bend = 0.0 if x1 - x0 <= 1 else -0.2 if y0 + y1 >= 0 else 0.2
            ax.annotate("", xy=(x1, y1), xytext=(x0, y0), zorder=1,
                        arrowprops=dict(arrowstyle="-|>", color="#555555", lw=0.8, shrinkA=1, shrinkB=1,
                                        connectionstyle="arc3,rad=%.2f" % bend,
                                        patchA=boxes[t.op].get_bbox_patch(),
                                        patchB=boxes[op].get_bbox_patch()))
    height = max(len(c) for c in columns)
    ax.set_xlim(-0.6, len(columns) - 0.4)
    ax.set_ylim(-height / 2 - 0.1, height / 2 + 0.1)
    ax.axis("off")
    if group:
        ax.legend(handles=[Patch(facecolor=c, edgecolor="#40506a", label=k) for k, c in kinds.items()],
                  loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=len(kinds), fontsize=fontsize,
                  frameon=False)
    return where


def grid(ax: Axes, values: npt.ArrayLike, numbers: bool | None = None, fmt: str = "%.2g",
         cmap: str = "viridis", colorbar: bool = True, vmin: float | None = None,
         vmax: float | None = None, title: str | None = None, xlabel: str | None = None,
         ylabel: str | None = None) -> AxesImage:
    """A 2-D array as a heat map, row 0 at the top; `numbers=True` writes each cell's value in it.

    By default the cells are labelled when there are at most 100 of them.
    Returns the image (for a shared colour bar).
    """
    import numpy as np

    values = np.asarray(values)
    image = ax.imshow(values, cmap=cmap, vmin=vmin, vmax=vmax, interpolation="nearest")
    if numbers is None:
        numbers = values.size <= 100
    if numbers:
        for (i, j), v in np.ndenumerate(values):
            text = fmt % v
            text = text.lstrip("-") if float(text) == 0 else text   # no "-0.0"
            r, g, b, _ = image.cmap(image.norm(v))
            dark = 0.299 * r + 0.587 * g + 0.114 * b < 0.5          # white text on dark cells
            ax.text(j, i, text, ha="center", va="center", fontsize=8, color="white" if dark else "black")
    ax.set_xticks(range(0, values.shape[1], 1 if values.shape[1] <= 12 else 5))
    ax.set_yticks(range(0, values.shape[0], 1 if values.shape[0] <= 12 else 5))
    if colorbar:
        ax.figure.colorbar(image, ax=ax, shrink=0.8)
    ax.set(title=title, xlabel=xlabel, ylabel=ylabel)
    return image
