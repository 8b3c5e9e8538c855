"""A picture of a forward graph and the backward ops `gradients` added to it.

The forward ops run left to right along the top row (blue). Under each one, in
its column, stand the backward ops its rule built (orange; `gradients` puts
them in the name scope `<op name>_grad`), so the backward pass reads right to
left: from the loss back to the inputs. Solid arrows carry gradients; dashed
ones bring the forward values a rule reads (tanh's output, matmul's inputs).
Constants and the ops that only move integers (shapes, axes:
`Shape`, `BroadcastGradientArgs`) are left out: bookkeeping, not arithmetic.
"""

FORWARD, BACKWARD = "#cfe2f3", "#fce5cd"


def _shown(op):
    return op.type != "Const" and any(t.dtype.is_floating for t in op.outputs)


def layout(forward_ops, backward_ops):
    """`{op: (column, row)}`: forward ops on row 0 in graph order, each rule's ops below its op."""
    created = {op: i for i, op in enumerate(forward_ops[0].graph.get_operations())}
    forward = sorted((op for op in forward_ops if _shown(op)), key=created.get)
    where = {op: (column, 0) for column, op in enumerate(forward)}
    below = {}  # column -> how many backward ops stand in it already
    for op in sorted((op for op in backward_ops if _shown(op)), key=created.get):
        owners = [f for f in forward if "/" + f.name + "_grad/" in "/" + op.name]
        column = where[owners[-1]][0] if owners else len(forward)  # the seed gradient: right of the loss
        below[column] = below.get(column, 0) + 1
        where[op] = (column, below[column])
    return where


def _arrow(ax, start, end, dashed):
    ax.annotate("", (end[0], -end[1]), (start[0], -start[1]), arrowprops=dict(
        arrowstyle="->", color="0.75" if dashed else "0.35", linestyle="--" if dashed else "-",
        shrinkA=13, shrinkB=13, lw=0.8, connectionstyle="arc3,rad=0.15"))


def draw(ax, forward_ops, backward_ops, title=None):
    """Draw the ops on a matplotlib Axes; returns the number of boxes drawn."""
    where = layout(list(forward_ops), list(backward_ops))
    backward = set(backward_ops)
    for op, end in where.items():
        for t in op.inputs:
            if t.op in where:
                _arrow(ax, where[t.op], end, dashed=op in backward and t.op not in backward)
    for op, (x, y) in where.items():
        ax.text(x, -y, op.type, ha="center", va="center", fontsize=7, bbox=dict(
            boxstyle="round,pad=0.3", lw=0.6, fc=BACKWARD if op in backward else FORWARD))
    ax.set_xlim(-0.7, max(x for x, _ in where.values()) + 0.7)
    ax.set_ylim(-max(y for _, y in where.values()) - 0.7, 0.7)
    ax.axis("off")
    if title:
        ax.set_title(title, fontsize=9)
    return len(where)
