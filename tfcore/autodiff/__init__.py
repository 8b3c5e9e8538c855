"""tfcore.autodiff: `tf.gradients` written out in readable Python, on TensorFlow's own graphs.

    dx, dw = tfcore.autodiff.gradients(loss, [x, w])    # equal to tf.gradients(loss, [x, w])

backprop.py    the walk: the ops between xs and ys, reverse topological order,
               fan-out summed (AddN), stop_gradient and unconnected xs (None)
rules.py       the table of rules (`register`) and the broadcasting rule
elementwise.py Add, Mul, Tanh, Relu, ... each derivative beside its formula
arrays.py      Sum, Mean, Max, Reshape, Transpose, ConcatV2, Slice, Pad, ...
nn.py          MatMul, BiasAdd, Softmax, cross-entropy, Conv2D, pools, BlockLSTM, Einsum
exercise.py    `check_gradient_rule`: a learner's rule against tf.gradients
draw.py        a picture of a forward graph and the backward ops it grew

Control flow (`If`, `While`) is out of scope: backprop.py's docstring says why.
"""

# Importing the rule files fills RULES (their @register lines run).
from tfcore.autodiff import arrays, elementwise, nn  # noqa: F401
from tfcore.autodiff.backprop import UnknownOpError, gradients, ops_between, tensorflow_rule
from tfcore.autodiff.exercise import check_gradient_rule
from tfcore.autodiff.rules import RULES, register, unbroadcast

__all__ = ["RULES", "UnknownOpError", "check_gradient_rule", "gradients", "ops_between", "register",
           "tensorflow_rule", "unbroadcast"]
