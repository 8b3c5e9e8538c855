"""Quiet by default: the command lines show tfcore's output, not TensorFlow's start-up banners.

TensorFlow 2.21 writes several lines to the process's standard error (file
descriptor 2) before its own logging is set up, so `TF_CPP_MIN_LOG_LEVEL=3`
does not silence them (an open upstream bug, tensorflow/tensorflow#100442):

    WARNING: All log messages before absl::InitializeLog() is called are written to STDERR
    I0000 ... port.cc:153] oneDNN custom operations are on. ...
    I0000 ... cudart_stub.cc:31] Could not find cuda drivers on your machine, GPU will not be used.
    I0000 ... cpu_feature_guard.cc:227] This TensorFlow binary is optimized to use ...
    To enable the following instructions: AVX2 ..., rebuild TensorFlow with the appropriate compiler flags.
    E0000 ... cuda_platform.cc:52] failed call to cuInit: ... (on a machine without a GPU)

They come from C++, so Python's `sys.stderr` never sees them. `filter_stderr`
therefore puts a pipe in place of descriptor 2 and a thread that copies
everything from it to the real standard error, line by line, except the lines
that match `BANNERS`. Anything else (tracebacks, TensorFlow's real errors and
warnings, progress bars) passes through as it arrives.

Only tfcore's command lines do this (`python -m tfcore`, `python -m
tfcore.inspect`, `python -m models.<example>`, `python benchmarks/run.py`):
`tfcore/__init__.py` calls `when_run_as_cli()` before it imports TensorFlow,
which looks at the command line (`sys.orig_argv`), so importing tfcore in
your own program or a notebook changes nothing. `--verbose` (or
`TFCORE_VERBOSE=1`) turns the filter off.

The second tool, `deprecations_filtered(...)`, drops TensorFlow's Python-level
deprecation notices ("<function> (from <TensorFlow module>) is deprecated ...") for
exactly the named functions, around the few calls where tfcore has no
non-deprecated public alternative (each such call says why).

This module imports no TensorFlow: it must run before TensorFlow's import.
"""

import atexit
import contextlib
import logging
import os
import re
import sys
import threading

# One pattern per known start-up line; each names the source file and the message,
# so a different message from the same file still passes.
_GLOG = rb"^[IWE]\d{4} [\d:.]+\s+\d+ "
BANNERS = tuple(re.compile(pattern) for pattern in (
    rb"^WARNING: All log messages before absl::InitializeLog\(\) is called are written to STDERR",
    _GLOG + rb"port\.cc:\d+\] oneDNN custom operations are on",
    _GLOG + rb"cudart_stub\.cc:\d+\] Could not find cuda drivers on your machine",
    _GLOG + rb"cpu_feature_guard\.cc:\d+\] This TensorFlow binary is optimized",
    rb"^To enable the following instructions: .* in other operations, rebuild TensorFlow",
    _GLOG + rb"cuda_platform\.cc:\d+\] failed call to cuInit: ",
    _GLOG + rb"mlir_graph_optimization_pass\.cc:\d+\] MLIR V1 optimization pass is not enabled",
))
_BANNER_STARTS = (b"WARNING: All log messages", b"To enable the following instructions")
_LINE_END = re.compile(rb"(?<=[\n\r])")

_installed = False


def is_banner(line):
    """True if `line` (bytes) is one of TensorFlow's known start-up lines."""
    return any(pattern.match(line) for pattern in BANNERS)


def _could_become_banner(fragment):
    """Whether an unfinished line might still turn into a banner (then it waits for its end)."""
    if any(start.startswith(fragment) or fragment.startswith(start) for start in _BANNER_STARTS):
        return True
    return fragment[:1] in (b"I", b"W", b"E") and (len(fragment) == 1 or fragment[1:2].isdigit())


def _pump(read_fd, write_fd):
    """Copy the pipe to the real stderr, dropping banner lines, until the pipe closes."""
    pending = b""
    while True:
        chunk = os.read(read_fd, 1 << 16)
        if not chunk:
            break
        lines = _LINE_END.split(pending + chunk)
        pending = lines.pop()  # the unfinished end ("" when the chunk ended a line)
        keep = [line for line in lines if not is_banner(line)]
        if pending and not _could_become_banner(pending):
            keep.append(pending)  # a progress bar's partial line shows at once
            pending = b""
        if keep:
            os.write(write_fd, b"".join(keep))
    if pending and not is_banner(pending):
        os.write(write_fd, pending)
    os.close(read_fd)


def filter_stderr():
    """From now until exit, drop `BANNERS` lines from file descriptor 2 (see the module docstring)."""
    global _installed
    if _installed:
        return
    _installed = True
    real_stderr = os.dup(2)
    read_fd, write_fd = os.pipe()
    os.dup2(write_fd, 2)
    os.close(write_fd)
    pump = threading.Thread(target=_pump, args=(read_fd, real_stderr), daemon=True,
                            name="tfcore-quiet-stderr")
    pump.start()

    def restore():
        # Put the real stderr back: that closes the pipe's last write end, the pump
        # reads its end-of-file, writes what it still holds and stops.
        with contextlib.suppress(Exception):
            sys.stderr.flush()
        os.dup2(real_stderr, 2)
        pump.join(timeout=5)

    atexit.register(restore)


def _cli_program(argv):
    """The tfcore command line `argv` (a `sys.orig_argv`) runs, or None if it runs something else."""
    args, i = list(argv[1:]), 0
    while i < len(args):
        arg = args[i]
        if arg == "-m" and i + 1 < len(args):
            module = args[i + 1]
            return module if module.split(".")[0] in ("tfcore", "models") else None
        if arg == "-c":
            return None
        if not arg.startswith("-"):  # the script
            path = arg.replace(os.sep, "/")
            return path if path.endswith("benchmarks/run.py") else None
        i += 2 if arg in ("-W", "-X") else 1  # the interpreter options that take a value
    return None


def when_run_as_cli():
    """Start `filter_stderr` if this process is one of tfcore's command lines without --verbose."""
    argv = getattr(sys, "orig_argv", sys.argv)
    if os.environ.get("TFCORE_VERBOSE") == "1" or "--verbose" in argv:
        return
    if _cli_program(argv) is not None:
        filter_stderr()


class _DeprecationFilter(logging.Filter):
    def __init__(self, names):
        super().__init__()
        self.pattern = re.compile(r"\b(%s) \(from [\w.]+\) is deprecated" % "|".join(
            re.escape(name) for name in names))

    def filter(self, record):
        return not self.pattern.search(record.getMessage())


@contextlib.contextmanager
def deprecations_filtered(*function_names):
    """Within the block, drop TensorFlow's deprecation notices for exactly these functions."""
    logger = logging.getLogger("tensorflow")
    dropped = _DeprecationFilter(function_names)
    logger.addFilter(dropped)
    try:
        yield
    finally:
        logger.removeFilter(dropped)
