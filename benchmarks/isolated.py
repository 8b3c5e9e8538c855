"""A framework in its own process: its crash, abort or hang cannot take the benchmark down.

    parent: run.py, TensorFlow loaded             child: python -m benchmarks.isolated MODULE
    IsolatedPeer(MODULE, ...)  -- (method, args) -->  MODULE.Peer(...), built in the child
                               <-- (ok, result) ---   its timings, or the exception's text

Why a process. PyTorch 2.14's `torch.optim.Adam` imports `torch._dynamo` and triton,
whose `libtriton` segfaults in a process where TensorFlow is already loaded: the
run died with rc 139 and no message. In a child of its own, PyTorch is the first
thing imported and never meets TensorFlow; and whatever happens there (a
segfault, `abort()`, an exception, an endless loop) the parent sees a closed
pipe or no answer by the deadline, stops the child, and reports the peer as a
skipped row with the reason (`PeerFailed`). The timed code runs in the child,
so pickling the messages is never inside a timed interval.

The alternation A B A B is unchanged: the harness calls the proxy between
tfcore's blocks exactly as it calls an in-process peer. Each call waits at most
`timeout` seconds for its answer.

Memory. On `__init__` the child starts the framework's runtime (the module's
`warm_runtime(device)`: one tiny op, so thread pools and kernels libraries are
loaded), then records its resident set (RSS) before it builds anything and
resets the kernel's high-water mark (`VmHWM`, by writing 5 to
/proc/self/clear_refs); `memory()` then returns the high-water mark minus that
baseline: the peak host memory of everything built and run since (the model,
its optimizer state, the framework's per-step buffers and caches). Where the
mark cannot be reset (not Linux), the peak since process start (`ru_maxrss`) is
used and the method says so. `start_peer` is that sequence; `benchmarks/memory.py`
runs it for every framework in a child forked per model (or, without fork, in
one of these processes per model).

Messages are length-prefixed pickles over the child's stdin/stdout (the child
moves its own stdout to stderr first, so a library's prints cannot corrupt
them); the child's stderr goes to a temporary file whose last lines explain a
crash.
"""

import importlib
import os
import pathlib
import pickle
import queue
import re
import resource
import signal
import struct
import subprocess
import sys
import tempfile
import threading

ROOT = pathlib.Path(__file__).resolve().parents[1]
_HEADER = struct.Struct(">Q")
# TensorFlow's and absl's start-up log lines in a child's stderr: not a crash's last words.
_LOG_NOISE = re.compile(r"^([IW]\d{4} |WARNING: All log messages|To enable the following)")


class PeerFailed(RuntimeError):
    """A framework could not run (crashed, hung, raised); the message says why."""


def _send(stream, message):
    data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(_HEADER.pack(len(data)) + data)
    stream.flush()


def _receive(stream):
    """The next message, or None at the end of the stream."""
    header = stream.read(_HEADER.size)
    if len(header) < _HEADER.size:
        return None
    size = _HEADER.unpack(header)[0]
    data = stream.read(size)
    return pickle.loads(data) if len(data) == size else None


# ---------------------------------------------------------------------------
# Memory of this process
# ---------------------------------------------------------------------------

def _status_bytes(field):
    """A `kB` field of /proc/self/status (VmRSS, VmHWM) in bytes, or None where it is absent."""
    try:
        for line in pathlib.Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def _maxrss_bytes():
    scale = 1 if sys.platform == "darwin" else 1024  # macOS reports bytes, Linux KiB
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale


class MemoryBaseline:
    """The RSS now, and the peak above it later (module docstring: the method and its limits)."""

    def __init__(self):
        self.rss = _status_bytes("VmRSS")
        self.method = "VmHWM reset at the baseline (/proc/self/clear_refs)"
        try:
            pathlib.Path("/proc/self/clear_refs").write_text("5")
        except OSError:
            self.method = "ru_maxrss (peak since process start: imports included)"
        if self.rss is None:
            self.rss = _maxrss_bytes()

    def peak(self):
        """{peak_bytes, baseline_bytes, method}: the high-water mark above the baseline."""
        hwm = _status_bytes("VmHWM") if "VmHWM" in self.method else None
        hwm = _maxrss_bytes() if hwm is None else hwm
        return {"peak_bytes": max(hwm - self.rss, 0), "baseline_bytes": self.rss,
                "method": self.method}


# ---------------------------------------------------------------------------
# The child
# ---------------------------------------------------------------------------

def start_peer(module, name, device, batch_size, threads=0, **options):
    """(module.Peer(...), the memory baseline taken just before it is built).

    The framework's runtime starts first (the module's `warm_runtime`: its thread
    pools and kernel libraries, with `threads` intra-op threads where the module
    has `set_threads`), so the baseline holds the runtime and the peak the model.
    """
    if threads and hasattr(module, "set_threads"):
        module.set_threads(threads)
    if hasattr(module, "warm_runtime"):  # the runtime's one-time start, not the model's
        module.warm_runtime(device)
    baseline = MemoryBaseline()
    return module.Peer(name, device, batch_size, **options), baseline


def serve(module_name, stdin=None):
    """The child's loop: build `module_name`.Peer on `__init__`, answer calls until EOF."""
    module = importlib.import_module(module_name)  # first: PyTorch before anything else
    out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # a library's print goes to stderr, not into the messages
    stdin = stdin or sys.stdin.buffer
    peer, arrays, baseline = None, {}, None
    while True:
        message = _receive(stdin)
        if message is None:
            return 0
        method, args, kwargs = message
        try:
            args = [arrays.get(a.key) if isinstance(a, _Stored) else a for a in args]
            if method == "__store__":
                arrays[args[0]] = args[1]
                result = None
            elif method == "__init__":
                peer, baseline = start_peer(module, *args, **kwargs)
                result = {k: getattr(peer, k) for k in ("framework", "paths", "forward_only",
                                                        "build_seconds")}
            elif method == "__memory__":
                result = baseline.peak()
            else:
                result = getattr(peer, method)(*args, **kwargs)
            reply = ("ok", result)
        except Exception as err:  # noqa: BLE001  (reported to the parent, which skips the row)
            reply = ("error", "%s: %s" % (type(err).__name__, err))
        _send(out, reply)


class _Stored:
    """A reference to an array the child already holds (sent once by `IsolatedPeer._ref`)."""

    def __init__(self, key):
        self.key = key


# ---------------------------------------------------------------------------
# The parent's proxy
# ---------------------------------------------------------------------------

def _signal_name(code):
    try:
        return signal.Signals(-code).name
    except ValueError:
        return "signal %d" % -code


class Child:
    """`python -m MODULE ARGS...` in a child process, called by proxy with deadlines.

    Messages go as in `serve`; every call waits at most `timeout` seconds for its
    answer. Any failure (the child died, hung or answered with an error) stops the
    child and raises `PeerFailed` naming `label`, what happened and the child's
    last stderr lines. `env` adds environment variables for the child.
    """

    def __init__(self, module, args=(), timeout=300, env=None, label=None):
        self.label, self.timeout = label or module, timeout
        self._log = tempfile.TemporaryFile()
        child_env = dict(os.environ, PYTHONPATH=os.pathsep.join(
            [str(ROOT)] + [p for p in [os.environ.get("PYTHONPATH")] if p]), **(env or {}))
        self._process = subprocess.Popen(
            [sys.executable, "-m", module, *args], cwd=str(ROOT), env=child_env,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._log)
        self._replies = queue.Queue()
        threading.Thread(target=self._read_replies, daemon=True).start()

    def _read_replies(self):
        while True:
            try:
                message = _receive(self._process.stdout)
            except Exception:  # noqa: BLE001  (a torn stream is a dead child)
                message = None
            self._replies.put(message)
            if message is None:
                return

    def _call(self, method, *args, wait=None, **kwargs):
        """The child's answer to `method`(*args, **kwargs), within `wait` s (default `timeout`)."""
        if self._process is None:
            raise PeerFailed("%s: its process was already stopped" % self.label)
        timeout = self.timeout if wait is None else wait
        try:
            _send(self._process.stdin, (method, list(args), kwargs))
            reply = self._replies.get(timeout=timeout)
        except (BrokenPipeError, OSError):
            reply = None
        except queue.Empty:
            self._fail("no answer to %s within %d s (--peer-timeout); stopped" % (method, timeout))
        if reply is None:
            self._fail("its process died during %s" % method)
        if reply[0] == "error":
            self._fail("%s raised %s" % (method, reply[1]))
        return reply[1]

    def _fail(self, what):
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            process.kill()
        code = process.wait(timeout=30) if process is not None else None
        if code is not None and code < 0 and "died" in what:
            what = "its process was killed by %s during %s" % (_signal_name(code),
                                                              what.rsplit(" ", 1)[-1])
        elif code and "died" in what:
            what += " (exit status %d)" % code
        self._log.seek(0)
        tail = [line for line in self._log.read().decode(errors="replace").splitlines()
                if line and not _LOG_NOISE.match(line)][-3:]
        self._log.close()
        raise PeerFailed("%s: %s%s" % (self.label, what, "; its last words: " + " | ".join(tail)
                                       if tail else ""))

    @property
    def alive(self):
        """Whether the child still runs (a failed call stops it)."""
        return self._process is not None

    def close(self):
        """End the child (EOF on its stdin), killing it if it does not exit within 30 s."""
        process, self._process = self._process, None
        if process is None:
            return
        try:
            process.stdin.close()
            process.wait(timeout=30)
        except (OSError, subprocess.TimeoutExpired):
            process.kill()
            process.wait()
        self._log.close()


class IsolatedPeer(Child):
    """`module`.Peer(name, device, batch_size, **options) in a child process, called by proxy.

    Every method of an in-process peer the harness calls is forwarded; any
    failure raises `PeerFailed` naming the framework, what happened and the
    child's last stderr lines. `env` adds environment variables for the child
    (e.g. TF_USE_LEGACY_KERAS=1); `threads` (> 0) is passed to the module's
    `set_threads` before the peer is built.
    """

    def __init__(self, module, name, device, batch_size, timeout=300, env=None, threads=0,
                 label=None, **options):
        super().__init__("benchmarks.isolated", [module], timeout=timeout, env=env,
                         label=label or module)
        self._stored = {}
        info = self._call("__init__", name, device, batch_size, threads=threads, **options)
        self.name, self.device, self.batch_size = name, device, batch_size
        self.framework, self.paths = info["framework"], tuple(info["paths"])
        self.forward_only, self.build_seconds = info["forward_only"], info["build_seconds"]

    def _ref(self, array):
        """The array, sent to the child once; later calls pass a reference to it."""
        if array is None or not hasattr(array, "shape"):
            return array
        key = id(array)
        if key not in self._stored:
            self._stored[key] = array  # kept alive, so its id is not reused
            self._call("__store__", key, array)
        return _Stored(key)

    # The in-process peer's interface (benchmarks/peers.py, torch_peer.py), forwarded.
    def reset(self):
        return self._call("reset")

    def first_step(self, x, y):
        return self._call("first_step", self._ref(x), self._ref(y))

    def step_once(self, xb, yb):
        return self._call("step_once", xb, yb)

    def time_train_on_batch(self, x, y, steps):
        return self._call("time_train_on_batch", self._ref(x), self._ref(y), steps)

    def time_fit(self, x, y, steps):
        return self._call("time_fit", self._ref(x), self._ref(y), steps)

    def time_epoch(self, x, y):
        return self._call("time_epoch", self._ref(x), self._ref(y))

    def trace_step(self, x, y, path):
        return self._call("trace_step", self._ref(x), self._ref(y), path)

    def memory(self):
        """{peak_bytes, baseline_bytes, method}: the child's peak memory since it began building."""
        return self._call("__memory__")


if __name__ == "__main__":
    # Serve from the importable module, not __main__: the parent pickles
    # benchmarks.isolated._Stored, and isinstance must see that same class.
    from benchmarks import isolated

    sys.exit(isolated.serve(sys.argv[1]))
