"""ActivityRegularization: the identity, plus a penalty on the activations passing through.

    y = x
    penalty = (l1 * sum |x| + l2 * sum x^2) / N        (N = the batch size, x's first axis)

The penalty joins the layer's `losses` (and the graph's regularization losses,
so `tfcore.regularizers.add_regularization(loss)` adds it to the training
loss), on every call, in training and at evaluation alike. It is any layer's
`activity_regularizer` (module.py) with `L1L2(l1, l2)`, on a layer that
computes nothing: Keras 2 builds it the same way, and divides by the batch
size the same way (`regularizers.activity_penalty`), so the strength of the
penalty does not grow with the batch.

The gradient of the total loss L = data_loss + penalty with respect to x:

    dL/dx = dL_data/dx + (l1 * sign(x) + 2 * l2 * x) / N

(the penalty's gradient reaches x directly; y = x passes dL_data/dy unchanged).
"""

import tensorflow as tf

from tfcore import regularizers
from tfcore.module import Module


class ActivityRegularization(Module):
    """y = x; `losses` gets (l1 * sum|x| + l2 * sum x^2) / batch size per call.

    Args:
      l1, l2: the penalty factors, finite numbers (default 0.0; None means 0.0, as Keras).
    """

    supports_masking = True  # a mask on the input rides on to the output, as in Keras

    def __init__(self, l1=0.0, l2=0.0, name=None):
        super().__init__(name=name)
        # Checked here so that an error names this layer (None is 0.0, as Keras's L1L2).
        self.l1 = regularizers._check_penalty(self.name, "l1", 0.0 if l1 is None else l1)
        self.l2 = regularizers._check_penalty(self.name, "l2", 0.0 if l2 is None else l2)
        self.activity_regularizer = regularizers.L1L2(l1=self.l1, l2=self.l2)

    def call(self, inputs, training=False):
        """y = x (the penalty is added by Module.__call__, from the output)."""
        return tf.identity(inputs)
