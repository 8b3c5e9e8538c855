"""What runs inside a layer's control flow: the branches of an `If`, the body of a `While`.

In a TensorFlow 2 graph, `tf.cond` and `tf.while_loop` each build a single op
(`If` / `StatelessIf`, `While` / `StatelessWhile`; `tf.switch_case` a `Case`)
whose branches are *functions*: small graphs stored in the graph's function
library (`graph.as_graph_def().library.function`) and named in the op's
attributes (`then_branch`, `else_branch`, `cond`, `body`, `branches`). So the
summary table shows one `If` row for a Dropout layer, and the random mask is
not there. `control_flow(model)` opens each such op of the forward pass, and
the functions it calls, recursively:

    [dropout]
      dropout/cond  If
        then_branch  AssignAddVariableOp ... StatelessRandomUniformFullIntV2 ... GreaterEqual Cast Mul x2
        else_branch  (passes its inputs through)
    [lstm]
      lstm/time_loop  While
        cond         Less
        body         TensorListGetItem MatMul x2 AddV2 ... Split ... TensorListSetItem

`python -m tfcore.inspect MODEL --expand` prints this after the summary.
"""

import dataclasses
import textwrap

from tfcore.inspect.layers import BOOKKEEPING, NO_SCOPE, scope_names, ancestors, group_of, resolve

# The attributes that name the functions a control-flow (or call) op runs.
FUNCTION_ATTRS = {
    "If": ("then_branch", "else_branch"), "StatelessIf": ("then_branch", "else_branch"),
    "While": ("cond", "body"), "StatelessWhile": ("cond", "body"),
    "Case": ("branches",), "StatelessCase": ("branches",),
    "PartitionedCall": ("f",), "StatefulPartitionedCall": ("f",),
}
# Left out of a branch's list as well: the function's arguments and results, and the
# Optionals through which tf.gradients lets a branch hand its intermediates to the
# backward pass (it rewrites the cond: `..._rewritten`).
_BODY_BOOKKEEPING = BOOKKEEPING | {"_Arg", "_Retval", "Placeholder", "OptionalFromValue", "OptionalNone"}


@dataclasses.dataclass
class Branch:
    """One function a control-flow op runs: its role (`then_branch`, `body`, ...) and its ops."""

    role: str
    function: str
    ops: list  # (node name, op type) in the function's order
    nested: list  # ControlFlowOp for each control-flow op inside

    def op_types(self):
        """The op types that compute something, in order of first appearance, with counts."""
        counts = {}
        for _, op_type in self.ops:
            if op_type not in _BODY_BOOKKEEPING:
                counts[op_type] = counts.get(op_type, 0) + 1
        return counts


@dataclasses.dataclass
class ControlFlowOp:
    """An `If`/`While`/`Case` (or function call) op and the functions it runs."""

    layer: str
    name: str
    type: str
    branches: list


def called_functions(node_def):
    """`[(role, function name)]` named by a NodeDef's function attributes."""
    found = []
    for role in FUNCTION_ATTRS.get(node_def.op, ()):
        attr = node_def.attr[role]
        if attr.HasField("func"):
            found.append((role, attr.func.name))
        else:
            found += [("%s[%d]" % (role, i), f.name) for i, f in enumerate(attr.list.func)]
    return found


def _open(node_def, layer, library, depth):
    branches = []
    for role, name in called_functions(node_def):
        function = library.get(name)
        nodes = list(function.node_def) if function is not None else []
        nested = [] if depth > 8 else [_open(n, layer, library, depth + 1)
                                       for n in nodes if n.op in FUNCTION_ATTRS]
        branches.append(Branch(role, name, [(n.name, n.op) for n in nodes], nested))
    return ControlFlowOp(layer, node_def.name, node_def.op, branches)


def control_flow(model, outputs=None, scope=""):
    """Every control-flow op the forward pass runs, opened: `[ControlFlowOp]` in graph order.

    `model` and `outputs` as for `summary`; `layer` is the op's top-level name
    scope (its row in the summary).
    """
    graph, outputs = resolve(model, outputs)
    forward = ancestors(outputs)
    library = {f.signature.name: f for f in graph.as_graph_def().library.function}
    scopes = scope_names(graph, scope)
    found = []
    for op in graph.get_operations():
        if op in forward and op.type in FUNCTION_ATTRS:
            layer = group_of(op.name, scopes, scope) or NO_SCOPE
            found.append(_open(op.node_def, layer, library, 0))
    return found


def _format_op(cf, indent, lines, width):
    lines.append("%s%s  %s" % (indent, cf.name, cf.type))
    for branch in cf.branches:
        counts = branch.op_types()
        text = " ".join(t if n == 1 else "%s x%d" % (t, n) for t, n in counts.items())
        # Not the function's name: it ends in a process-wide counter (`..._true_9`), so
        # the same model would print differently from run to run.
        head = "%s  %-12s " % (indent, branch.role)
        lines.extend(textwrap.wrap(text or "(passes its inputs through)", width, initial_indent=head,
                                   subsequent_indent=indent + " " * 6))
        for nested in branch.nested:
            _format_op(nested, indent + "    ", lines, width)


def format_control_flow(ops, width=100):
    """The opened control flow as indented text, one block per layer."""
    if not ops:
        return "No control flow (If, While, Case) in the forward pass."
    lines = ["Inside the control flow: each branch's ops (bookkeeping such as Const and Identity "
             "left out), by layer"]
    for cf in ops:
        lines.append("")
        lines.append("[%s]" % cf.layer)
        _format_op(cf, "  ", lines, width)
    return "\n".join(lines)
