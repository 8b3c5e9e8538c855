"""Step-time benchmarks of the example models: `python benchmarks/run.py` (see run.py)."""
