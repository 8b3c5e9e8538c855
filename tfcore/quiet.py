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
therefore puts a pipe in place of descriptor 2 and a small helper *process*
(this file run as a script, `python -I quiet.py`) that copies everything from
the pipe to the real standard error, line by line, except the lines that match
`BANNERS`. Anything else (tracebacks, TensorFlow's real errors and warnings,
progress bars, text it does not know) passes through as it arrives.

Why a process and not a thread: a crash (a segfault, `os.abort()`, TensorFlow's
fatal `F` log line followed by an abort) kills every thread of the crashing
process at once, and a thread would die holding the crash's last words. The
helper outlives it: the pipe's end-of-file comes only when the crashed process
is gone, after everything it wrote. The commands also turn on `faulthandler`, so
a segfault prints the Python stack of every thread ("Fatal Python error: ...").

Only tfcore's command lines do this, each as it starts and before it imports
TensorFlow, by calling `for_command()`:

    python benchmarks/run.py            its main()
    python -m tfcore, tfcore.learn      their `if __name__ == "__main__":` block
    python -m tfcore.inspect            the top of its __main__.py (the module imports
                                        TensorFlow; tfcore.inspect's names load lazily)
    python -m models ..., models.<ex>   models/__init__.py, through `when_command("models")`:
                                        `python -m models.mlp` imports TensorFlow with
                                        models/mlp.py, before that module's main() runs

A test calling a command's main() in its own process is left alone. `import
tfcore` imports no TensorFlow and touches no file descriptor, so your own
program or notebook is never changed. `--verbose` (or `TFCORE_VERBOSE=1`) turns
the filter off.

The second tool, `deprecations_filtered(...)`, drops TensorFlow's Python-level
deprecation notices ("<function> (from <TensorFlow module>) is deprecated ...") for
exactly the named functions, around the few calls where tfcore has no
non-deprecated public alternative (each such call says why).

This module imports no TensorFlow: it must run before TensorFlow's import.
"""

import atexit
import contextlib
import faulthandler
import logging
import os
import re
import signal
import subprocess
import sys

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
        try:
            chunk = os.read(read_fd, 1 << 16)
        except InterruptedError:
            continue
        if not chunk:
            break
        lines = _LINE_END.split(pending + chunk)
        pending = lines.pop()  # the unfinished end ("" when the chunk ended a line)
        keep = [line for line in lines if not is_banner(line)]
        if pending and not _could_become_banner(pending):
            keep.append(pending)  # a progress bar's partial line shows at once
            pending = b""
        if keep:
            _write_all(write_fd, b"".join(keep))
    if pending and not is_banner(pending):
        _write_all(write_fd, pending)
    os.close(read_fd)


def _write_all(fd, data):
    while data:
        data = data[os.write(fd, data):]


_installed = None  # the helper process, once filter_stderr ran


def filter_stderr():
    """From now until exit, drop `BANNERS` lines from file descriptor 2 (see the module docstring)."""
    global _installed
    if _installed is not None:
        return
    real_stderr = os.dup(2)
    read_fd, write_fd = os.pipe()
    # The helper reads the pipe and writes to the real stderr. It inherits only
    # descriptors 0-2 (close_fds), never the pipe's write end: its end-of-file is ours.
    _installed = subprocess.Popen([sys.executable, "-I", os.path.abspath(__file__)],
                                  stdin=read_fd, stdout=real_stderr, stderr=real_stderr,
                                  close_fds=True)
    os.close(read_fd)
    with contextlib.suppress(Exception):
        sys.stderr.flush()
    os.dup2(write_fd, 2)
    os.close(write_fd)

    def restore():
        # Put the real stderr back: that closes the pipe's write end, the helper
        # reads its end-of-file, writes what it still holds and stops.
        with contextlib.suppress(Exception):
            sys.stderr.flush()
        os.dup2(real_stderr, 2)
        with contextlib.suppress(subprocess.TimeoutExpired):
            # A copy of descriptor 2 (made by a library, or a child process still
            # running) keeps the pipe open: then the helper finishes after us.
            _installed.wait(timeout=2)

    atexit.register(restore)


def for_command(argv=None):
    """A command's main() calls this first: filter fd 2 and show crashes, unless --verbose.

    `argv` is the command's arguments (default `sys.argv[1:]`); `--verbose` in it,
    or TFCORE_VERBOSE=1, leaves standard error exactly as TensorFlow writes it.
    Call it before TensorFlow is imported, or the banners printed at import pass.
    """
    faulthandler.enable()  # a segfault or abort prints every thread's Python stack
    argv = sys.argv[1:] if argv is None else argv
    if os.environ.get("TFCORE_VERBOSE") == "1" or "--verbose" in argv:
        return
    filter_stderr()


def when_command(package):
    """`for_command` if this process is `python -m <package>[.<module>] ...`, else nothing.

    For a package of commands whose modules import TensorFlow before their main()
    runs (`python -m models.mlp` imports TensorFlow with models/mlp.py): the
    package's __init__ calls this, which looks at the process's own command line
    (`sys.orig_argv`), so importing the package from your program changes nothing.
    """
    argv = list(getattr(sys, "orig_argv", []))
    if "-m" in argv[1:]:
        at = argv.index("-m", 1)
        if at + 1 < len(argv) and argv[at + 1].split(".")[0] == package:
            for_command(argv[at + 2:])


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


if __name__ == "__main__":
    # The helper process of filter_stderr: stdin is the pipe, stdout the real stderr.
    # Ctrl-C goes to the whole process group; the helper ignores it and keeps copying
    # until the command itself has printed its last line and closed the pipe.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _pump(0, 1)
