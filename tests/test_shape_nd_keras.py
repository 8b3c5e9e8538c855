"""UpSampling1D/3D, ZeroPadding3D, Cropping3D, GlobalAverage/MaxPooling3D equal tf-keras's on random
shapes and arguments in every form Keras takes (int, tuple, pairs), both data formats, known and
unknown spatial sizes: forward values, input gradients, static output shapes."""

import numpy as np
import pytest

from tests.oracle import compare_with_keras, keras
import tfcore.layers as ours

pytestmark = pytest.mark.keras

SEEDS = range(6)


def _borders(rng):
    """A padding / cropping argument in one of Keras's three forms."""
    form = rng.randint(3)
    if form == 0:
        return int(rng.randint(0, 3))
    if form == 1:
        return tuple(int(p) for p in rng.randint(0, 3, size=3))
    return tuple(int(rng.randint(0, 3)) if rng.rand() < 0.3 else tuple(int(p) for p in rng.randint(0, 3, size=2))
                 for _ in range(3))


def _pairs(borders):
    """Keras's normal form of a borders argument: three (before, after) pairs."""
    borders = (borders,) * 3 if isinstance(borders, int) else borders
    return [(b, b) if isinstance(b, int) else b for b in borders]


def _config(name, rng):
    """Random (kwargs, channels-last spatial sizes) for layer `name`."""
    if name == "UpSampling1D":
        return {"size": int(rng.randint(1, 4))}, [int(rng.randint(1, 6))]
    spatial = [int(s) for s in rng.randint(1, 5, size=3)]
    kwargs = {"data_format": ["channels_last", "channels_first"][rng.randint(2)]}
    if name == "UpSampling3D":
        kwargs["size"] = int(rng.randint(1, 4)) if rng.rand() < 0.3 else tuple(
            int(s) for s in rng.randint(1, 4, size=3))
    elif name == "ZeroPadding3D":
        kwargs["padding"] = _borders(rng)
    elif name == "Cropping3D":
        kwargs["cropping"] = _borders(rng)
        spatial = [before + after + s for (before, after), s in zip(_pairs(kwargs["cropping"]), spatial)]
    else:
        kwargs["keepdims"] = bool(rng.randint(2))
    return kwargs, spatial


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("name", ["UpSampling1D", "UpSampling3D", "ZeroPadding3D", "Cropping3D",
                                  "GlobalAveragePooling3D", "GlobalMaxPooling3D"])
def test_equals_keras_on_random_arguments(name, seed):
    rng = np.random.RandomState(seed)
    kwargs, spatial = _config(name, rng)
    batch, channels = int(rng.randint(1, 4)), int(rng.randint(1, 4))
    first = kwargs.get("data_format") == "channels_first"
    shape = [batch, channels] + spatial if first else [batch] + spatial + [channels]
    x = rng.randn(*shape).astype(np.float32)
    unknown = seed % 2 == 1  # every other seed leaves the spatial sizes unknown until the feed
    placeholder_shape = None
    if unknown:
        placeholder_shape = [None] * len(shape)
        placeholder_shape[1 if first else -1] = channels
    compare_with_keras(getattr(ours, name)(**kwargs), getattr(keras.layers, name)(**kwargs), x, rng,
                       placeholder_shape=placeholder_shape)


@pytest.mark.parametrize("name,kwargs,shape", [
    ("UpSampling1D", {"size": 3}, (None, None, 2)),
    ("UpSampling1D", {}, (None, 4, 2)),
    ("UpSampling3D", {"size": (1, 2, 3)}, (None, None, 3, None, 2)),
    ("UpSampling3D", {"data_format": "channels_first"}, (None, 2, 4, None, None)),
    ("ZeroPadding3D", {"padding": ((1, 2), 0, 3)}, (None, None, 3, None, 2)),
    ("ZeroPadding3D", {"data_format": "channels_first"}, (None, 2, None, 4, None)),
    ("Cropping3D", {"cropping": ((1, 2), 0, 1)}, (None, None, 3, None, 2)),
    ("Cropping3D", {"data_format": "channels_first"}, (None, 2, None, 4, None)),
    ("GlobalAveragePooling3D", {"keepdims": True}, (None, None, None, None, 2)),
    ("GlobalMaxPooling3D", {"data_format": "channels_first"}, (None, 2, None, None, None)),
    ("GlobalMaxPooling3D", {"data_format": "channels_first", "keepdims": True}, (None, 2, None, 3, None)),
])
def test_static_output_shape_equals_keras(name, kwargs, shape):
    """What each layer knows of its output before the feed, with some sizes unknown."""
    import tfcore

    expected = getattr(keras.layers, name)(**kwargs)(keras.Input(batch_shape=shape)).shape
    with tfcore.new_graph().as_default():
        y = getattr(ours, name)(**kwargs)(tfcore.placeholder(shape))
    assert y.shape.as_list() == expected.as_list()


@pytest.mark.parametrize("name,kwargs", [
    ("UpSampling3D", {"size": (2, 2)}), ("UpSampling3D", {"size": (0, 1, 1)}),
    ("ZeroPadding3D", {"padding": (1, 2)}), ("ZeroPadding3D", {"padding": 1.5}),
    ("ZeroPadding3D", {"padding": ((1, 2), (1,), (0, 0))}), ("ZeroPadding3D", {"padding": (1, -1, 0)}),
    ("Cropping3D", {"cropping": (1, 2)}), ("Cropping3D", {"cropping": ((1, 2), (1,), (0, 0))}),
    ("Cropping3D", {"cropping": (0, 0, -2)}),
    ("GlobalAveragePooling3D", {"data_format": "channels_middle"}),
    ("UpSampling1D", {"size": (2,)}),
])
def test_rejects_what_keras_rejects(name, kwargs):
    """The constructor arguments Keras refuses, tfcore refuses too (naming the layer)."""
    with pytest.raises((ValueError, TypeError)):
        getattr(keras.layers, name)(**kwargs)
    with pytest.raises(ValueError, match=ours.__dict__[name]().name):
        getattr(ours, name)(**kwargs)
