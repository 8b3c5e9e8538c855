"""Hand-written layers, one file per concept."""

from tfcore.layers.dense import Dense
