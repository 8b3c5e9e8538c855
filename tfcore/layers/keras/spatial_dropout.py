"""Spatial dropout: drop whole feature maps instead of single elements.

In a convolutional network neighbouring pixels of a feature map are strongly
correlated, so ordinary dropout, which silences single pixels, hardly
regularizes: the neighbours still carry the signal. Spatial dropout
(Tompson et al., "Efficient Object Localization Using Convolutional Networks")
drops a whole channel c of one example n at once. For an image x of shape
(batch, H, W, C) (channels_last):

    u[n, c] ~ U[0, 1)                        (one draw per example and channel)
    keep[n, c] = [u[n, c] >= p]
    y[n, i, j, c] = x[n, i, j, c] * keep[n, c] / (1 - p)

and the layer is the identity at evaluation. It is exactly `Dropout` with a
noise_shape that is 1 along the spatial axes, broadcast against the input:

    SpatialDropout1D  (batch, steps, channels)         noise_shape (N, 1, C)
    SpatialDropout2D  channels_last  (N, H, W, C)      noise_shape (N, 1, 1, C)
                      channels_first (N, C, H, W)      noise_shape (N, C, 1, 1)
    SpatialDropout3D  channels_last  (N, D, H, W, C)   noise_shape (N, 1, 1, 1, C)
                      channels_first (N, C, D, H, W)   noise_shape (N, C, 1, 1, 1)

(N and C are `None` entries of Dropout's noise_shape: the input's sizes, known
at run time.) So these layers inherit everything from dropout.py: the
stateless mask drawn from [seed, counter] with its checkpointed counter, the
bit-field masks for round rates, `training` as a bool or a tf.bool tensor,
`gradient="manual"`. The derivative is Dropout's, with the broadcast mask:

    dy/dx[n, i, j, c] = keep[n, c] / (1 - p)

Only the layout is new: with channels_first the channel axis is axis 1, so
the mask's second entry, not its last, keeps the input's size. No transpose
is needed (the mask broadcasts either way).
"""

from tfcore.checks import check_rank, layout_of
from tfcore.layers.dropout import Dropout
from tfcore.layers.layout import normalize_data_format


class _SpatialDropout(Dropout):
    """Dropout whose noise_shape keeps only the batch and channel axes; subclasses set `rank`."""

    rank = None
    layout = None  # the axes' names in channels_last, for messages

    def __init__(self, rate, data_format="channels_last", seed=None, gradient="auto", name=None):
        super().__init__(rate, seed=seed, gradient=gradient, name=name)
        self.data_format = normalize_data_format(data_format, self.name)
        # None: the input's size (batch, channels); 1: one mask value for the whole axis.
        spatial = (1,) * (self.rank - 2)
        self.noise_shape = ((None,) + spatial + (None,) if self.data_format == "channels_last"
                            else (None, None) + spatial)

    def _check_rank(self, shape):
        if shape.rank != self.rank:
            raise ValueError("%s: input must have rank %d %s, got shape %s"
                             % (self.name, self.rank, layout_of(self.layout, self.data_format), shape))

    def build(self, input_shape):
        self._check_rank(input_shape)  # before Dropout's check of the noise_shape's length
        super().build(input_shape)

    def call(self, inputs, training=False):
        """y = x * keep[n, c] / (1 - p) in training (keep broadcast over the spatial axes); y = x otherwise."""
        check_rank(inputs, self.rank, self.name, layout_of(self.layout, self.data_format))
        return super().call(inputs, training=training)


class SpatialDropout1D(_SpatialDropout):
    """Drops whole channels of a sequence (batch, steps, channels): one mask value per (n, c).

    Args:
      rate: the probability of dropping a channel, in [0, 1).
      seed, gradient, name: as `Dropout`.
    """

    rank, layout = 3, "(batch, steps, channels)"

    def __init__(self, rate, seed=None, gradient="auto", name=None):
        super().__init__(rate, "channels_last", seed=seed, gradient=gradient, name=name)


class SpatialDropout2D(_SpatialDropout):
    """Drops whole feature maps of an image: one mask value per (n, c), broadcast over H and W.

    Args:
      rate: the probability of dropping a feature map, in [0, 1).
      data_format: "channels_last" (N, H, W, C; the default, also for None) or
        "channels_first" (N, C, H, W).
      seed, gradient, name: as `Dropout`.
    """

    rank, layout = 4, "(batch, height, width, channels)"

    def __init__(self, rate, data_format=None, seed=None, gradient="auto", name=None):
        super().__init__(rate, data_format, seed=seed, gradient=gradient, name=name)


class SpatialDropout3D(_SpatialDropout):
    """Drops whole feature volumes: one mask value per (n, c), broadcast over D, H and W.

    Args:
      rate: the probability of dropping a feature volume, in [0, 1).
      data_format: "channels_last" (N, D, H, W, C; the default, also for None)
        or "channels_first" (N, C, D, H, W).
      seed, gradient, name: as `Dropout`.
    """

    rank, layout = 5, "(batch, depth, height, width, channels)"

    def __init__(self, rate, data_format=None, seed=None, gradient="auto", name=None):
        super().__init__(rate, data_format, seed=seed, gradient=gradient, name=name)
