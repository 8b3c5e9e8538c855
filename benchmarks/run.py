"""python benchmarks/run.py: the example models' training steps timed per device, tf-keras beside them.

    python benchmarks/run.py                      every model, every device present, tf-keras peer
    python benchmarks/run.py --device gpu         fails clearly when TensorFlow sees no GPU
    python benchmarks/run.py --model NAME,NAME --steps 20 --rounds 5   (names: benchmarks/registry.py)
    python benchmarks/run.py --quick --peer none  a smoke run
    python benchmarks/run.py --variants           also the readable variants (the CNN with im2col
                                                  convolutions, with hand-derived gradients), each
                                                  reported beside its fast model (slow)
    python benchmarks/run.py --peer torch         PyTorch twins, each in its own process (a crash or
                                                  a hang is a skipped row: benchmarks/isolated.py)
    python benchmarks/run.py --peer keras,torch   both peers, alternating tfcore, tf-keras, PyTorch
                                                  (--peer all: every peer installed)
    python benchmarks/run.py --no-memory          without each framework's peak host memory per
                                                  step (measured by default, after the timing)
    python benchmarks/run.py --sweep batch=32,64  every point, every framework (also threads=,
                                                  length=); one plot per model
    python benchmarks/run.py --overwrite          replace saved results even with a run that
                                                  measured less (else it writes *.partial.*)

Reading the report, the memory method, sweeps and a GPU run: docs/benchmarks.md.

The flags come from one registry (`benchmarks/params.py`), the models from
another (`benchmarks/registry.py`). The flags are validated (a bad one exits
2; output paths are checked writable) before TensorFlow is imported, because
two process-wide switches must be set before that import:

* `TF_USE_LEGACY_KERAS=1` when the peer is tf-keras, so `tf.keras` is Keras 2;
* `TF_ENABLE_ONEDNN_OPTS`: `--onednn auto` (the default) sets it to 1 unless
  the environment already sets it (TensorFlow leaves oneDNN off on CPUs
  without AVX-512, where it measured ~1.4x faster here); `on`/`off` force it.
  Both sides of every comparison run in this one process, so they share it.

The header printed first says which of these were set and by whom.
"""

import os
import pathlib
import shlex
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))

from benchmarks import params as params_lib  # noqa: E402  (no TensorFlow imported yet)


def set_process_switches(params):
    """Environment switches TensorFlow reads once, at import; call before importing it."""
    if params.onednn == "auto":
        if "TF_ENABLE_ONEDNN_OPTS" in os.environ:
            source = "environment"
        else:
            os.environ["TF_ENABLE_ONEDNN_OPTS"] = "1"
            source = "set by run.py (--onednn auto)"
    else:
        os.environ["TF_ENABLE_ONEDNN_OPTS"] = "1" if params.onednn == "on" else "0"
        source = "set by run.py (--onednn %s)" % params.onednn
    os.environ["TFCORE_BENCH_ONEDNN_SOURCE"] = source
    if "keras" in params.peers:
        os.environ["TF_USE_LEGACY_KERAS"] = "1"
    if params.xla:
        flags = os.environ.get("TF_XLA_FLAGS", "")
        if "--tf_xla_cpu_global_jit" not in flags:
            os.environ["TF_XLA_FLAGS"] = (flags + " --tf_xla_cpu_global_jit").strip()
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def main(argv=None):
    params = params_lib.parse(argv)
    if "tensorflow" in sys.modules and "keras" in params.peers \
            and os.environ.get("TF_USE_LEGACY_KERAS") != "1":
        sys.exit("run.py: TensorFlow is already imported without TF_USE_LEGACY_KERAS=1; "
                 "run the benchmark in a fresh process or pass --peer none")
    set_process_switches(params)
    from tfcore import quiet  # before TensorFlow: its start-up banners are filtered
    quiet.for_command(argv)
    from benchmarks import environment, harness, report  # imports TensorFlow
    if params.precision != "float32":  # the process's setup: the loss's softmax stays float32
        from tfcore import precision
        precision.keep_loss_in_float32()

    try:
        environment.select_devices(params)
    except ValueError as err:
        print("run.py: --device %s: %s" % (params.device, err), file=sys.stderr)
        return 2
    doc = harness.run(params, command=("python benchmarks/run.py " + shlex.join(
        sys.argv[1:] if argv is None else argv)).strip())
    print()
    print(report.text_table(doc))
    report.write_outputs(doc, params)
    return 0


if __name__ == "__main__":
    sys.exit(main())
