"""The layer protocol: build on first call, then reuse.

A layer (a `Module`) is a small object with three moments in its life:

1. **Construction** takes hyperparameters only and creates nothing, so a layer
   can be described before any graph exists: `Dense(units=10)`.
2. **The first call** enters the layer's own name scope (`dense/`, `dense_1/`,
   ... unique within the graph), reads the sizes it needs from the input
   (`build(input_shape)`) and creates its variables there.
3. **Later calls** re-enter the same name scope and reuse the same variables,
   so a training branch and an evaluation branch of one graph share weights.
   The sizes the weights fixed (Dense: the input's last axis) are checked
   here, once for all layers: `build` records them as `input_spec` (a
   `tfcore.checks.InputSpec`) and `__call__` refuses, by name, a later input
   that breaks them.

Subclasses implement `build(input_shape)` (create variables with `add_weight`)
and `call(inputs, training)` (the forward ops). A weight may carry a
regularizer (its penalty joins the layer's `losses`) and a constraint (the
optimizer applies it after each update); a layer's `activity_regularizer`
penalizes its output on every call (see `tfcore.regularizers`). Variables are created in the
same order Keras creates them, so `get_weights` / `set_weights` speak Keras's
order and layouts and weights can be copied across in either direction.

Integer inputs (ids, counts, masks). Whether a layer takes them is decided
once, on its first call, after `build`: a layer that then holds floating
weights refuses an integer input by name (cast it), unless it declares
`integer_inputs = True` (Embedding, Normalization, and the containers Sequential
and a ported model, whose layers may be built before them); any other layer (no
weights yet, such as a custom Module whose sublayers build inside `call`, or
Flatten) takes them. Every later call follows the first call's decision, so a module
whose training pass took ids takes them in its inference pass too.
"""

from __future__ import annotations

import inspect
import re
from typing import Any, Callable, ClassVar, Sequence, Union

import numpy as np
import numpy.typing as npt
import tensorflow as tf

from tfcore import graph as graph_lib
from tfcore import activations, checks, constraints, initializers, regularizers

Tensors = Union[tf.Tensor, Sequence[tf.Tensor]]
"""A layer's input or output, in the type hints: one tensor, or a list of them (Concatenate)."""


def _snake_case(name):
    """Keras's rule: `Conv2D` -> `conv2d`, `BatchNormalization` -> `batch_normalization`."""
    name = re.sub(r"(.)([A-Z][a-z0-9]+)", r"\1_\2", name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower()


def smart_cond(pred: bool | tf.Tensor, true_fn: Callable[[], Any], false_fn: Callable[[], Any],
               name: str | None = None) -> Any:
    """`true_fn()` or `false_fn()` chosen now if `pred` is a Python bool, else at run time.

    Layers take `training` either as a Python bool (one graph per mode) or as a
    boolean tensor (one graph, the mode fed at run time); this handles both.
    """
    if isinstance(pred, (bool, np.bool_)):
        return true_fn() if pred else false_fn()
    if tf.is_tensor(pred):
        if pred.dtype != tf.bool:
            raise TypeError("training must be a Python bool or a tf.bool tensor, got %s" % pred.dtype)
        return tf.cond(pred, true_fn, false_fn, name=name)
    raise TypeError("training must be a Python bool or a tf.bool tensor, got %r" % (pred,))


GRADIENTS = ("auto", "manual")
"""The `gradient=` choices of the layers that can state their own backward pass:
"auto" lets `tf.gradients` derive it from the forward ops; "manual" attaches the
hand-derived one written next to the forward formula (with `tf.custom_gradient`)."""


def check_gradient(owner: str, gradient: str) -> str:
    """Return `gradient` if it is one of `GRADIENTS`; otherwise a ValueError naming `owner`."""
    if not isinstance(gradient, str) or gradient not in GRADIENTS:
        raise ValueError("%s: gradient must be 'auto' or 'manual', got %r" % (owner, gradient))
    return gradient


def _collect_modules(value, found, seen):
    """Append the Modules in `value` (a Module, or lists, tuples and dicts of them) to `found`,
    each once, outermost first."""
    if isinstance(value, Module):
        if id(value) not in seen:
            seen.add(id(value))
            found.append(value)
    elif isinstance(value, (list, tuple)):
        for item in value:
            _collect_modules(item, found, seen)
    elif isinstance(value, dict):
        for item in value.values():
            _collect_modules(item, found, seen)


MASK_ATTRIBUTE = "_keras_mask"
"""Where a tensor's mask rides, Keras 2's attribute, so a mask set by either library is seen."""


def get_mask(tensor: tf.Tensor) -> tf.Tensor | None:
    """The padding mask that travels with `tensor` ((batch, time) booleans, True: real), or None."""
    return getattr(tensor, MASK_ATTRIBUTE, None)


def input_masks(inputs: Tensors) -> tf.Tensor | list[tf.Tensor | None] | None:
    """The masks of a layer's inputs: one tensor's mask, a list of masks (None where a tensor
    has none), or None when no input carries one."""
    if isinstance(inputs, (list, tuple)):
        masks = [get_mask(x) for x in inputs]
        return None if all(m is None for m in masks) else masks
    return get_mask(inputs)


def _set_masks(outputs, masks):
    """Attach `masks` to `outputs` (one tensor, or lists of both), leaving a mask already set."""
    if masks is None:
        return
    flat_outputs = list(outputs) if isinstance(outputs, (list, tuple)) else [outputs]
    flat_masks = list(masks) if isinstance(masks, (list, tuple)) else [masks]
    for tensor, mask in zip(flat_outputs, flat_masks):
        if mask is not None and tf.is_tensor(tensor) and get_mask(tensor) is None:
            setattr(tensor, MASK_ATTRIBUTE, mask)


def call_takes_mask(layer: Module) -> bool:
    """Whether the layer's `call` has a `mask` argument (read once per class)."""
    cls = type(layer)
    if "_call_takes_mask" not in cls.__dict__:
        cls._call_takes_mask = "mask" in inspect.signature(cls.call).parameters
    return cls._call_takes_mask


class Module:
    """Base class of every tfcore layer. See the module docstring for the protocol."""

    # A layer whose input is integer ids (an embedding lookup) sets this to True;
    # any other layer with floating weights at its first call refuses an integer
    # input by name (see "Integer inputs" above).
    integer_inputs = False

    # Set on each class by `call_takes_mask`, read from the class's own __dict__ (a subclass
    # must not inherit its parent's answer); declared here for the type checker only.
    _call_takes_mask: ClassVar[bool]

    # The sizes of the input that `build` fixed (a `checks.InputSpec`, or a list of them for a
    # list of inputs); None: any input. `__call__` checks every later call against it.
    input_spec: Any = None

    def __init__(self, name: str | None = None) -> None:
        self.name = name or _snake_case(type(self).__name__)
        self.built = False
        self._graph: tf.Graph | None = None
        self._scope: str | None = None  # the unique absolute name scope, e.g. "dense_1/"
        self._variables: list[tf.Variable] = []
        # the floating dtype of the first input (a tf.DType once called); variables use it
        self.dtype: Any = None
        # decided on the first call (`_check_not_integer`)
        self._refuses_integers: bool | None = None
        # ops that must run with a training step (moving statistics)
        self.updates: list[tf.Operation] = []
        # penalty(output) / batch size, added on every call
        self.activity_regularizer: Callable[[tf.Tensor], tf.Tensor] | None = None
        # regularization penalties (scalars)
        self._weight_losses: list[tf.Tensor] = []
        self._activity_losses: list[tf.Tensor] = []

    # -- the protocol -----------------------------------------------------
    def build(self, input_shape: Any) -> None:
        """Create the variables; `input_shape` is the static shape of the first input."""

    def call(self, inputs: Tensors, training: bool | tf.Tensor = False) -> Tensors:
        raise NotImplementedError

    def __call__(self, inputs: Tensors, training: bool | tf.Tensor = False,
                 **kwargs: Any) -> Tensors:
        graph = tf.compat.v1.get_default_graph()
        if self._graph is not None and graph is not self._graph:
            raise ValueError(
                "Layer %r was built in another graph; build a new layer for this graph."
                % self.name
            )
        if self._scope is None:
            with tf.name_scope(self.name) as scope:
                self._graph, self._scope = graph, scope
                try:
                    inputs = self._convert(inputs)
                    first = inputs[0] if isinstance(inputs, (list, tuple)) else inputs
                    self.dtype = first.dtype if first.dtype.is_floating else tf.float32
                    self.build(self._input_shape(inputs))
                    self.built = True
                    self._check_not_integer(first)
                    return self._call_with_masks(inputs, training, kwargs)
                except Exception:
                    # A refused first input (wrong rank, say) leaves the layer unbuilt, so the
                    # next call builds it afresh for its own input, not for the refused one.
                    self._forget_first_call(graph)
                    raise
        with tf.name_scope(self._scope):
            inputs = self._convert(inputs)
            first = inputs[0] if isinstance(inputs, (list, tuple)) else inputs
            self._check_not_integer(first)
            if self.input_spec is not None:
                checks.check_input_spec(inputs, self.input_spec, self.name)
            if first.dtype.is_floating and first.dtype != self.dtype:
                raise TypeError(
                    "%s: input dtype is %s, but the layer was built for %s (its variables' dtype); "
                    "cast the input with tf.cast" % (self.name, first.dtype.name, self.dtype.name)
                )
            return self._call_with_masks(inputs, training, kwargs)

    # -- masks that travel with tensors (Keras 2's protocol) ---------------
    def _call_with_masks(self, inputs, training, kwargs):
        """`call`, with the inputs' masks handed in and the output's mask set, as Keras 2 does.

        A mask rides on a tensor (`get_mask(x)`: True where a step is real). A layer whose
        `call` takes `mask=` receives its inputs' masks unless one is passed explicitly (an
        explicit mask wins); a layer with `supports_masking` marks its output with
        `compute_mask(inputs, mask)` (by default the input's mask, unchanged). Any other
        layer's output carries no mask, so a Flatten or a convolution ends it, as in Keras.
        """
        mask = kwargs.get("mask")
        if mask is None:
            mask = input_masks(inputs)
            if mask is not None and call_takes_mask(self):
                kwargs = dict(kwargs, mask=mask)
        outputs = self._regularize_activity(self.call(inputs, training=training, **kwargs))
        if self.supports_masking:
            _set_masks(outputs, self.compute_mask(inputs, mask))
        return outputs

    supports_masking = False
    """True for a layer whose output keeps (or, with `compute_mask`, makes) a mask."""

    def compute_mask(self, inputs: Tensors, mask: Any = None) -> Any:
        """The output's mask: the input's, unchanged, for a layer that `supports_masking`."""
        return mask if self.supports_masking else None

    def _forget_first_call(self, graph):
        """Undo a first call that raised: no variable or penalty of it stays in the graph's
        collections (an optimizer or a Saver would find them), and the layer is unbuilt."""
        made = {id(t) for t in self._variables + self._weight_losses + self._activity_losses
                + list(getattr(self, "state_variables", []))}
        for key in graph.get_all_collection_keys():
            collection = graph.get_collection_ref(key)
            collection[:] = [item for item in collection if id(item) not in made]
        self._graph = self._scope = self.dtype = self._refuses_integers = None
        self.built = False
        self._variables, self._weight_losses, self._activity_losses = [], [], []

    def _regularize_activity(self, outputs):
        if self.activity_regularizer is not None:
            for penalty in regularizers.activity_penalty(self.activity_regularizer, outputs):
                self._activity_losses.append(penalty)
                tf.compat.v1.add_to_collection(regularizers.REGULARIZATION_LOSSES, penalty)
        return outputs

    def _check_not_integer(self, first):
        """An integer (or bool) input to a layer with floating weights is refused by name.

        Layers without weights (Flatten, padding, pooling of ints) may move any dtype.
        The weights looked at are those the layer holds at its first call, after
        `build`: the decision is made then and kept, so a call that the first call's
        rule accepted is accepted on every later call (module docstring).
        """
        weights = [v for v in self.variables if v.dtype.base_dtype.is_floating]
        if self._refuses_integers is None:
            self._refuses_integers = bool(weights) and not self.integer_inputs
        if first.dtype.is_floating or first.dtype.is_complex or not self._refuses_integers:
            return
        raise TypeError(
            "%s: input must be a floating tensor (float16/32/64), got %s: the %s computes "
            "with %s weights; cast it first, e.g. tf.cast(x, tf.float32) (images: / 255)"
            % (self.name, first.dtype.name, type(self).__name__, weights[0].dtype.base_dtype.name))

    def _convert(self, inputs):
        if isinstance(inputs, (list, tuple)):
            return type(inputs)(tf.convert_to_tensor(x) for x in inputs)
        return tf.convert_to_tensor(inputs)

    @staticmethod
    def _input_shape(inputs):
        if isinstance(inputs, (list, tuple)):
            return [x.shape for x in inputs]
        return inputs.shape

    # -- variables --------------------------------------------------------
    def add_weight(self, name: str, shape: Sequence[int], initializer: Any, trainable: bool = True,
                   dtype: tf.DType | None = None, regularizer: Any = None,
                   constraint: Any = None) -> tf.Variable:
        """Create a variable inside the layer's scope and remember it (in order).

        Its dtype is the first input's (float32 normally, float64 in gradient checks).
        `regularizer(var)` becomes one of the layer's `losses`; `constraint`
        rides on the variable for the optimizer.
        """
        shape = [int(d) for d in shape]
        dtype = dtype or self.dtype or tf.float32
        var = graph_lib.variable(
            lambda: initializer(shape, dtype), trainable=trainable, name=name, dtype=dtype,
            constraint=constraint,
        )
        self._variables.append(var)
        if regularizer is not None:
            # Outside any control dependencies or tf.cond branch the layer may be
            # built in: the penalty is part of every training step's loss.
            with tf.control_dependencies(None), tf.name_scope(name + "/regularizer"):
                penalty = regularizer(var)
            self._weight_losses.append(penalty)
            tf.compat.v1.add_to_collection(regularizers.REGULARIZATION_LOSSES, penalty)
        return var

    def set_affine_options(self, activation: Any, use_bias: bool, kernel_initializer: Any,
                           bias_initializer: Any) -> None:
        """Resolve the options of a layer computing `activation(x·kernel + bias)` (Dense and
        the convolutions), so an unknown name ("rleu", "glorot") fails in the constructor."""
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)

    def add_kernel_and_bias(self, kernel_shape: Sequence[int], units: int,
                            trainable: bool = True) -> None:
        """`kernel` of `kernel_shape`, then (with `use_bias`) `bias` of shape (units,), in
        Keras's order, with the initializers, regularizers and constraints the constructor
        resolved (`set_regularizers_and_constraints`): the weights of Dense and the
        convolutions."""
        self.kernel = self.add_weight("kernel", kernel_shape, self.kernel_initializer,
                                      trainable=trainable, regularizer=self.kernel_regularizer,
                                      constraint=self.kernel_constraint)
        if self.use_bias:
            self.bias = self.add_weight("bias", (units,), self.bias_initializer, trainable=trainable,
                                        regularizer=self.bias_regularizer,
                                        constraint=self.bias_constraint)

    def set_regularizers_and_constraints(self, kernel_regularizer: Any = None,
                                         bias_regularizer: Any = None,
                                         activity_regularizer: Any = None,
                                         kernel_constraint: Any = None,
                                         bias_constraint: Any = None) -> None:
        """Resolve Keras's identifiers ("l2", "max_norm", dicts, callables) for a layer's
        constructor, so bad ones fail early; `add_weight` receives them in `build`."""
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.activity_regularizer = regularizers.get(activity_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)

    @property
    def losses(self) -> list[tf.Tensor]:
        """The regularization penalties of this layer (and its sublayers), as scalar tensors.

        Keras's order: the activity penalties of the calls so far, then the weights' penalties.
        """
        own = self._activity_losses + self._weight_losses
        return own + [p for m in self.submodules for p in m.losses]

    @property
    def variables(self) -> list[tf.Variable]:
        """All variables of this layer (and its sublayers), in Keras weight order."""
        return list(self._variables) + [v for m in self.submodules for v in m.variables]

    @property
    def trainable_variables(self) -> list[tf.Variable]:
        return [v for v in self.variables if v.trainable]

    @property
    def non_trainable_variables(self) -> list[tf.Variable]:
        return [v for v in self.variables if not v.trainable]

    @property
    def submodules(self) -> list[Module]:
        """Layers this layer owns, found as Sonnet and Keras find them: every Module held in an
        attribute, or in a list, tuple or dict held in one, in the order the attributes were
        first assigned (a dict's in its insertion order). Their variables follow the layer's
        own in `variables`. A layer that keeps sublayers anywhere else overrides this."""
        found: list[Module] = []
        for value in vars(self).values():
            _collect_modules(value, found, seen={id(self)})
        return found

    def get_weights(self, session: tf.compat.v1.Session) -> list[np.ndarray]:
        """The variables' current values as NumPy arrays, in Keras's order and layout."""
        self._check_built("get_weights")
        self._check_tracked("get_weights")
        return session.run(self.variables)

    def _check_tracked(self, method):
        """A composite whose sublayers hide where `submodules` does not look (a set, an object
        that is not a Module) would get or set only part of its weights: refuse, naming them."""
        tracked = {id(v) for v in self.variables}
        made_here = [v for v in self._graph.get_collection(tf.compat.v1.GraphKeys.TRAINABLE_VARIABLES)
                     if v.name.startswith(self._scope)]
        missing = [v.name for v in made_here if id(v) not in tracked]
        if missing:
            raise ValueError(
                "%s.%s: trainable variables made inside the layer are not among its weights: %s. "
                "Keep sublayers in attributes, or in lists or dicts held in attributes, or "
                "override `submodules` to return them" % (self.name, method, ", ".join(missing)))

    def _check_built(self, method):
        if not self.built:
            raise ValueError(
                "%s.%s: the layer was never called, so it has no weights yet (they are made on "
                "the first call, sized from its input); call it on an input first: y = layer(x)"
                % (self.name, method))

    def set_weights(self, session: tf.compat.v1.Session, weights: Sequence[npt.ArrayLike]) -> None:
        """Assign NumPy arrays (Keras's order and layout) to the variables.

        Uses each variable's initializer with its initial value fed, so no new
        ops are added to the graph (it may already be finalized).
        """
        self._check_built("set_weights")
        self._check_tracked("set_weights")
        variables = self.variables
        if len(weights) != len(variables):
            raise ValueError(
                "%s.set_weights: expected %d arrays (%s), got %d"
                % (self.name, len(variables), ", ".join(v.name for v in variables), len(weights))
            )
        # In the session's graph: outside `graph.as_default()` TensorFlow 2 is eager,
        # and a graph variable's initial value cannot be reached from there.
        with session.graph.as_default():
            for var, value in zip(variables, weights):
                value = np.asarray(value)
                if tuple(value.shape) != tuple(var.shape.as_list()):
                    raise ValueError(
                        "%s.set_weights: %s has shape %s, got an array of shape %s"
                        % (self.name, var.name, var.shape.as_list(), value.shape)
                    )
                session.run(var.initializer, {var.initial_value: value})

    def _check_inner_dims(self, inputs, expected, what="input"):
        """Fail clearly when a later call's inner sizes (all but the batch axis) differ from
        `expected`, the first call's (None: any size)."""
        if expected is not None:
            spec = checks.inner_shape_spec(tf.TensorShape([None]).concatenate(expected))
            checks.check_input_spec(inputs, spec._replace(name=what), self.name)

    def __repr__(self):
        return "%s(name=%r)" % (type(self).__name__, self.name)

