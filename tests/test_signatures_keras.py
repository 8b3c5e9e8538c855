"""A name borrowed from Keras keeps Keras's arguments: the same order, names and defaults.

For every public layer of tfcore.layers that tf-keras has under the same name:

* positional order: the arguments both accept positionally come in the same order,
  so `Conv2D(32, 3, 1, "same", None, 2)` means in tfcore what it means in Keras
  (tfcore's own options, `gradient`, `implementation`, ..., come after Keras's or
  are keyword-only);
* names: every argument of Keras's signature is accepted (a few, listed with
  their reason, are not);
* defaults: where both give a default, it is the same value (spelled alike up to
  case, an int for a tuple of that int, None for Keras's "channels_last").
"""

import inspect

import pytest

from tests.oracle import keras
import tfcore.layers as layers

pytestmark = pytest.mark.keras

NAMES = sorted(n for n in dir(layers) if n[0].isupper() and isinstance(getattr(layers, n), type)
               and hasattr(keras.layers, n))

# Keras arguments tfcore does not take, and why.
NOT_TAKEN = {
    ("BatchNormalization", "synchronized"): "cross-replica statistics of a tf.distribute strategy",
    ("MultiHeadAttention", "softmax_robust_masking"): "another masked softmax; tfcore computes "
                                                      "Keras's default (False)",
}


def _arguments(cls):
    return [p for p in inspect.signature(cls.__init__).parameters.values()
            if p.name != "self" and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]


def _positional(params):
    return [p.name for p in params if p.kind == p.POSITIONAL_OR_KEYWORD]


def _same_default(ours, theirs):
    if isinstance(ours, str) and isinstance(theirs, str):
        return ours.lower() == theirs.lower()
    if isinstance(theirs, (tuple, list)) and not isinstance(ours, (tuple, list)):
        return all(t == ours for t in theirs)
    if ours is None and theirs == "channels_last":  # None: Keras's image_data_format()
        return True
    return ours == theirs or (isinstance(theirs, list) and tuple(theirs) == ours)


def test_the_table_covers_the_layers():
    assert len(NAMES) > 80 and {"Dense", "Conv2D", "LSTM", "GRU", "Dropout"} <= set(NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_positional_order_names_and_defaults_are_keras_2s(name):
    ours, theirs = _arguments(getattr(layers, name)), _arguments(getattr(keras.layers, name))
    mine, keras_order = _positional(ours), _positional(theirs)
    shared = min(len(mine), len(keras_order))
    assert mine[:shared] == keras_order[:shared], "positional order differs from Keras 2's"
    taken = {p.name: p for p in ours}
    missing = [p.name for p in theirs if p.name not in taken and (name, p.name) not in NOT_TAKEN]
    assert not missing, "Keras arguments not accepted: %s" % missing
    for p in theirs:
        mine_p = taken.get(p.name)
        if mine_p is None or p.default is p.empty or mine_p.default is mine_p.empty:
            continue
        if isinstance(p.default, (str, int, float, bool, tuple, list, type(None))):
            assert _same_default(mine_p.default, p.default), (p.name, mine_p.default, p.default)
