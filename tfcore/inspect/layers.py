"""The layers of a built graph, found from its name scopes, and the per-layer summary.

Every tfcore layer creates its ops and variables inside its own name scope
(`conv2d/`, `conv2d_1/`, `hidden/`, ...), so the graph alone says which op
belongs to which layer. `summary` groups the ops that the model's outputs
depend on by their top-level name scope, one row per scope:

    forward ops   = every op that running `outputs` needs (data and control inputs)
    row           = the forward ops of one top-level scope; inputs (placeholders)
                    get their own rows, ops outside any scope share "(no scope)"
    output shape  = the tensors of the row that another row (or the caller) reads
    FLOPs         = sum of `flops.op_flops` over the row's forward ops

Parameters come from the graph's variable collections, each variable going
to the layer whose scope holds it, sorted into four kinds:

    trainable      in the TRAINABLE_VARIABLES collection (kernels, biases, gamma, beta)
    non-trainable  other floating-point variables (batch-norm moving statistics)
    state          integer variables (Dropout's mask counter) and variables reset by the
                   ops in the "tfcore_reset_states" collection (a stateful RNN's carried
                   h and c): state, not weights, as in Keras
    slot           a variable nested under another one (`conv2d/kernel/adam_m`):
                   the optimizer's, not the layer's

Keras's `count_params()` is trainable + non-trainable. A layer called twice
in the same graph (a training and an evaluation branch) re-enters its scope,
so its row holds both calls' ops and FLOPs.
"""

import dataclasses

import tensorflow as tf

from tfcore import flops as flops_lib
from tfcore.flops import ancestors  # noqa: F401  (inspect's modules and users import it from here)
from tfcore.graph import RESET_STATES_COLLECTION

NO_SCOPE = "(no scope)"
_INPUT_TYPES = ("Placeholder", "PlaceholderWithDefault")
# Op types left out of a row's "ops" column: they name or move data, compute nothing.
BOOKKEEPING = frozenset(("Const", "Identity", "ReadVariableOp", "VarHandleOp", "NoOp",
                          "VarIsInitializedOp"))
# Op types that hold or read stored values: a layer's first call creates them.
_STORAGE = frozenset(("Const", "ReadVariableOp", "VarHandleOp", "VariableV2", "VarIsInitializedOp"))


@dataclasses.dataclass
class LayerRow:
    """One layer (top-level name scope) of a graph: what it computes and what it holds."""

    name: str
    ops: list  # the op types it runs, in order of first appearance (bookkeeping left out)
    output_shapes: list  # a tuple per output tensor, None for an unknown dimension
    trainable: int = 0
    non_trainable: int = 0
    state: int = 0
    flops: int = 0
    variables: list = dataclasses.field(default_factory=list)  # (name, shape, kind)

    @property
    def params(self):
        return self.trainable + self.non_trainable


@dataclasses.dataclass
class Summary:
    """The per-layer table of a graph, as data; `str(summary)` is the printed table."""

    rows: list
    edges: list  # (from row, to row, shape tuple, dtype name): the data flowing between layers
    trainable: int
    non_trainable: int
    state: int
    slots: int  # elements of optimizer slot variables
    other_variables: int  # elements of variables outside every row (step counters, ...)
    flops: int
    unknown_dim: int  # the value a None dimension took in the FLOP formulas
    per_example: bool  # some forward op had a None dimension (FLOPs per `unknown_dim` rows)
    uncounted_types: list  # forward op types with no FLOP formula (counted 0)

    @property
    def params(self):
        return self.trainable + self.non_trainable

    def row(self, name):
        for r in self.rows:
            if r.name == name:
                return r
        raise KeyError("no layer %r in this summary; layers: %s"
                       % (name, ", ".join(r.name for r in self.rows)))

    def as_dict(self):
        return dataclasses.asdict(self)

    def table(self):
        return format_table(self)

    def __str__(self):
        return format_table(self)


# ---------------------------------------------------------------------------
# The graph
# ---------------------------------------------------------------------------


def resolve(model, outputs=None):
    """`(graph, outputs)` from a TrainGraph, a `tf.Graph`, or a `(graph, tensor, ...)` tuple.

    A TrainGraph's outputs are its predictions; a tuple's are its tensors; a
    bare graph's are its floating-point tensors that no op reads, outside the
    `gradients`, `save` and initialisation machinery.
    """
    if isinstance(model, tf.Graph):
        graph = model
    elif isinstance(model, (tuple, list)) and model and isinstance(model[0], tf.Graph):
        graph = model[0]
        if outputs is None:
            outputs = [t for t in model[1:] if isinstance(t, tf.Tensor) and t.op.type not in _INPUT_TYPES]
    elif hasattr(model, "graph") and isinstance(model.graph, tf.Graph):
        graph = model.graph
        if outputs is None and getattr(model, "predictions", None) is not None:
            outputs = [model.predictions]
    else:
        raise TypeError("inspect: expected a TrainGraph, a tf.Graph or a (graph, tensors...) tuple, "
                        "got %r" % (model,))
    if outputs is None:
        outputs = _dangling_outputs(graph)
    outputs = list(outputs) if isinstance(outputs, (list, tuple)) else [outputs]
    for t in outputs:
        if getattr(t, "graph", None) is not graph:
            raise ValueError("inspect: output %r is not in the model's graph" % (t,))
    return graph, outputs


def _dangling_outputs(graph):
    found = []
    for op in graph.get_operations():
        top = op.name.split("/")[0]
        if top.startswith(("gradients", "save")) or "Initializer" in op.name:
            continue
        for t in op.outputs:
            if t.dtype.is_floating and not t.consumers():
                found.append(t)
    if not found:
        raise ValueError("inspect: the graph has no unread floating-point tensor; pass outputs=[...]")
    return found


def group_of(op_name, scope_names, prefix=""):
    """The row an op belongs to: its top-level scope (below `prefix`), or None outside `prefix`."""
    if prefix:
        if not op_name.startswith(prefix):
            return None
        op_name = op_name[len(prefix):]
    head = op_name.split("/")[0]
    return head if head in scope_names else None


def scope_names(graph, prefix):
    """Top-level scopes below `prefix` that are layers, not one op's helpers.

    `Max/reduction_indices` is the helper of the op `Max`, not a layer `Max`;
    name scopes are unique, so a scope that is also an op's name is such a helper
    (except a placeholder's: `training/input` belongs to the input `training`).
    """
    heads, ops = set(), set()
    for op in graph.get_operations():
        if not op.name.startswith(prefix):
            continue
        name = op.name[len(prefix):]
        if "/" in name:
            heads.add(name.split("/")[0])
        elif op.type not in _INPUT_TYPES:
            ops.add(name)
    return heads - ops


def classify_variables(graph):
    """`[(variable, kind)]` for every global and local variable; kind as in the module docstring."""
    variables = (graph.get_collection(tf.compat.v1.GraphKeys.GLOBAL_VARIABLES)
                 + graph.get_collection(tf.compat.v1.GraphKeys.LOCAL_VARIABLES))
    trainable = {v.op.name for v in graph.get_collection(tf.compat.v1.GraphKeys.TRAINABLE_VARIABLES)}
    names = {v.op.name for v in variables}
    reset = {op.name for op in ancestors(graph.get_collection(RESET_STATES_COLLECTION))
             if op.type in ("VarHandleOp", "VariableV2")}
    out = []
    for v in variables:
        name = v.op.name
        if any(name.startswith(other + "/") for other in names if other != name):
            kind = "slot"
        elif not v.dtype.base_dtype.is_floating or name in reset:
            kind = "state"
        elif name in trainable:
            kind = "trainable"
        else:
            kind = "non_trainable"
        out.append((v, kind))
    return out


def _shape_tuple(shape):
    return None if shape.rank is None else tuple(shape.as_list())


def _elements(shape):
    n = 1
    for d in shape.as_list():
        n *= int(d)
    return n


# ---------------------------------------------------------------------------
# The summary
# ---------------------------------------------------------------------------


def summary(model, outputs=None, batch_size=None, scope="", print_fn=print):
    """Per-layer output shapes, parameters and forward FLOPs of a built model; printed and returned.

    Args:
      model: a `tfcore.train.TrainGraph`, a `tf.Graph`, or a `(graph, tensor, ...)` tuple.
      outputs: the tensors whose forward pass to describe (default: see `resolve`).
      batch_size: the value of a `None` dimension in the FLOP formulas (default 1:
        FLOPs per example). Shapes and parameters do not depend on it.
      scope: describe only ops under this name scope (e.g. `"tower_0/"`), grouped
        by the scope below it.
      print_fn: called with the table (None: print nothing).

    Returns:
      A `Summary`: `rows` (a `LayerRow` per layer, in graph order), `edges`, totals.
    """
    graph, outputs = resolve(model, outputs)
    if scope and not scope.endswith("/"):
        scope += "/"
    unknown_dim = 1 if batch_size is None else int(batch_size)
    scopes = scope_names(graph, scope)
    rows, row_of, per_example, uncounted = _layer_rows(graph, ancestors(outputs), scopes, scope,
                                                       unknown_dim)
    edges = _edges(row_of, set(outputs))
    slots, other = _assign_variables(graph, rows, scopes, scope)
    result = Summary(
        rows=list(rows.values()), edges=edges,
        trainable=sum(r.trainable for r in rows.values()),
        non_trainable=sum(r.non_trainable for r in rows.values()),
        state=sum(r.state for r in rows.values()), slots=slots, other_variables=other,
        flops=sum(r.flops for r in rows.values()), unknown_dim=unknown_dim,
        per_example=per_example, uncounted_types=uncounted)
    if print_fn is not None:
        print_fn(format_table(result))
    return result


def _layer_rows(graph, forward, scopes, scope, unknown_dim):
    """The forward ops grouped into rows: `(rows by name, row of each op, per_example, uncounted)`.

    A row's FLOPs are the sum of `flops.op_flops` over its ops; `per_example`
    says some counted op had a None dimension; `uncounted` lists the op types
    without a formula.
    """
    rows, row_of, op_type_flops = {}, {}, {}
    per_example, uncounted = False, []
    loose_runs, last_loose = 0, False
    first_work = {}  # row name -> creation index of its first op that is not a variable or constant
    first_op = {}  # row name -> creation index of its first op
    for index, op in enumerate(graph.get_operations()):  # creation order
        if op not in forward:
            continue
        name = group_of(op.name, scopes, scope)
        loose = False
        if name is None:
            if scope and not op.name.startswith(scope):
                continue
            if op.type in _INPUT_TYPES:
                name = op.name[len(scope):]
            else:
                # Unscoped ops between two layers (an activation, a softmax) form
                # one row per run, so the rows keep the order of the computation.
                loose = True
                loose_runs += 0 if last_loose else 1
                name = NO_SCOPE if loose_runs == 1 else "%s %d" % (NO_SCOPE, loose_runs)
        last_loose = loose
        row = rows.get(name)
        if row is None:
            row = rows[name] = LayerRow(name=name, ops=[], output_shapes=[])
            op_type_flops[name] = {}
        row_of[op] = row
        first_op.setdefault(name, index)
        if op.type not in _STORAGE:
            first_work.setdefault(name, index)
        try:
            op_count, counted = flops_lib.op_flops(op, unknown_dim)
        except flops_lib.UnknownShape:
            op_count, counted = 0, False
        row.flops += op_count
        if op.type not in BOOKKEEPING:
            by_type = op_type_flops[name]
            by_type[op.type] = by_type.get(op.type, 0) + op_count
        if not counted and op.type not in uncounted:
            uncounted.append(op.type)
        if op_count and flops_lib.has_unknown_dims(op):
            per_example = True

    for row in rows.values():  # the costly op types first: "Conv2D BiasAdd Maximum"
        by_type = op_type_flops[row.name]
        row.ops = sorted(by_type, key=lambda t: -by_type[t])
    # Rows in the order of the computation: by each row's first op that is not a variable or
    # a constant, which a layer called a second time (a training pass, then an inference
    # pass) created long before this pass's ops.
    order = sorted(rows, key=lambda name: first_work.get(name, first_op[name]))
    return {name: rows[name] for name in order}, row_of, per_example, uncounted


def _edges(row_of, output_tensors):
    """The tensors flowing between rows, `(from, to, shape, dtype)`; fills each row's output shapes."""
    edges = []
    for op, row in row_of.items():
        for t in op.outputs:
            if t.dtype == tf.resource:
                continue
            readers = [row_of[c] for c in t.consumers() if c in row_of and row_of[c] is not row]
            if readers or t in output_tensors:
                shape = _shape_tuple(t.shape)
                if shape not in row.output_shapes:
                    row.output_shapes.append(shape)
            for reader in readers:
                edge = (row.name, reader.name, _shape_tuple(t.shape), t.dtype.name)
                if edge not in edges:
                    edges.append(edge)
    return edges


def _assign_variables(graph, rows, scopes, scope):
    """Each variable's elements added to its row's kind; returns (slot elements, other elements)."""
    slots = other = 0
    for var, kind in classify_variables(graph):
        name = group_of(var.op.name, scopes, scope)
        size = _elements(var.shape)
        if kind == "slot":
            slots += size
            continue
        if name is None or name not in rows:
            other += size
            continue
        row = rows[name]
        setattr(row, kind, getattr(row, kind) + size)
        row.variables.append((var.op.name, tuple(var.shape.as_list()), kind))
    return slots, other


def format_shape(shape):
    if shape is None:
        return "<unknown>"
    dims = ", ".join("None" if d is None else str(d) for d in shape)
    return "(%s%s)" % (dims, "," if len(shape) == 1 else "")  # (5,) like a Python tuple


def format_table(s):
    """The summary as a fixed-width text table with totals underneath."""
    header = ("Layer (scope)", "Ops", "Output shape", "Trainable", "Non-train.", "FLOPs")
    lines = []
    for r in s.rows:
        shapes = " ".join(format_shape(sh) for sh in r.output_shapes[:2]) or "-"
        if len(r.output_shapes) > 2:
            shapes += " ..."
        lines.append((r.name, " ".join(r.ops) or "-", shapes, "{:,}".format(r.trainable),
                      "{:,}".format(r.non_trainable), "{:,}".format(r.flops)))
    widths = [max(len(h), *(len(line[i]) for line in lines)) if lines else len(h)
              for i, h in enumerate(header)]
    widths[1] = min(widths[1], 34)

    def fmt(cells):
        cells = list(cells)
        if len(cells[1]) > widths[1]:
            cells[1] = cells[1][:widths[1] - 3] + "..."
        left = "  ".join(c.ljust(w) for c, w in zip(cells[:3], widths[:3]))
        right = "  ".join(c.rjust(w) for c, w in zip(cells[3:], widths[3:]))
        return left + "  " + right

    rule = "=" * len(fmt(header))
    out = [rule, fmt(header), rule.replace("=", "-")] + [fmt(line) for line in lines] + [rule]
    out.append("Total params: {:,} (trainable {:,}, non-trainable {:,})".format(
        s.params, s.trainable, s.non_trainable))
    extra = []
    if s.state:
        extra.append("layer state {:,}".format(s.state))
    if s.slots:
        extra.append("optimizer slots {:,}".format(s.slots))
    if s.other_variables:
        extra.append("other variables {:,}".format(s.other_variables))
    if extra:
        out.append("Not parameters: " + ", ".join(extra) + " (elements)")
    note = ""
    if s.per_example:
        note = (" per example (a None batch dimension taken as 1)" if s.unknown_dim == 1 else
                " per batch of %d (a None dimension taken as %d)" % (s.unknown_dim, s.unknown_dim))
    out.append("Forward FLOPs: {:,}{}".format(s.flops, note))
    if s.uncounted_types:
        out.append("No FLOP formula (counted 0): " + ", ".join(s.uncounted_types))
    return "\n".join(out)
