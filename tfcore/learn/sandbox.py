"""The learner's code runs in a child process, with a time limit: it cannot fool, hang or kill the checker.

    python -m tfcore.learn check conv2d mine.py:conv2d --timeout 60

A learner's function is arbitrary Python. In the checker's own process a
`sys.exit(0)` would end the check with "success", `os._exit(0)` would vanish
without a word, an infinite loop would never return and a segfault would take
the report with it. So the command line never imports the learner's file; it

1. validates the request without running anything (sandbox.find_function reads
   the file with `ast`: a missing file, a missing function or a syntax error is a
   usage error, exit 2, answered before TensorFlow is ever imported);
2. starts one *checker process* (`main` below) that imports TensorFlow and the
   checker once, and for each function to check forks a *child*. The checker
   process itself never builds a graph or opens a session, so every fork starts
   from the same clean state and costs milliseconds, not TensorFlow's start-up.
   Grading thirteen exercises pays that start-up once;
3. the child loads the learner's file, runs `checker.check` and sends each line of
   the report back as JSON over a pipe of its own (the learner's prints and
   TensorFlow's log lines go to a file, never into the report);
4. the checker process waits at most `timeout` seconds for the child's last
   line, then kills it. A result that never came is a failed check with a
   one-line reason: a time-out, an exit (`sys.exit`, `os._exit`), a crash (a
   signal), each named; never a pass. The checker process runs in a process group
   of its own, killed whole when the command ends (a Ctrl-C too), and it stops by
   itself if the command line disappears.

TensorFlow's C++ log lines are silenced in the checker process
(TF_CPP_MIN_LOG_LEVEL=3 in its environment, not ours) unless `verbose`.
"""

from __future__ import annotations

import ast
import contextlib
import importlib.util
import json
import os
import pathlib
import re
import select
import signal
import subprocess
import sys
import tempfile
import time
from typing import Any, Callable

from tfcore.learn.exercises import UsageError

DEFAULT_TIMEOUT = 60.0
STARTUP_LIMIT = 300.0  # seconds for the checker process to import TensorFlow on a loaded machine
_LOG_LINE = re.compile(r"^([IWEF]\d{4} |WARNING: All log messages|To enable the following instructions)")


# -- the parent: validate, start the checker process, relay its lines ---------------------------

def _top_level_names(tree):
    """Names a module's top level binds: def, class, assignments, imports."""
    names = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names.update(t.id for t in targets if isinstance(t, ast.Name))
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names.update((a.asname or a.name).split(".")[0] for a in node.names)
    return names


def find_function(path: str | pathlib.Path, name: str) -> str:
    """The absolute path of `path` if it defines `name` at its top level, else a UsageError.

    Reads the file with `ast` only: nothing in it runs here.
    """
    file = pathlib.Path(path)
    if not file.is_file():
        raise UsageError("no such file: %s" % path)
    try:
        tree = ast.parse(file.read_text(), filename=str(path))
    except (SyntaxError, UnicodeDecodeError, ValueError) as err:
        raise UsageError("could not import %s: %s: %s" % (path, type(err).__name__, err)) from None
    if name not in _top_level_names(tree):
        found = sorted(n.name for n in tree.body if isinstance(n, ast.FunctionDef) and not n.name.startswith("_"))
        raise UsageError("%s has no function %r; functions there: %s" % (path, name, ", ".join(found) or "none"))
    return str(file.resolve())


def parse_spec(spec: str) -> tuple[str, str]:
    """`FILE.py:FUNCTION` as (absolute path, name), validated by `find_function`."""
    path, sep, name = spec.rpartition(":")
    if not sep or not path or not name:
        raise UsageError("expected FILE.py:FUNCTION, e.g. my_conv.py:my_conv2d, got %r" % spec)
    return find_function(path, name), name


def _environment(verbose):
    env = dict(os.environ)
    package_root = str(pathlib.Path(__file__).resolve().parents[2])  # this tfcore, not another install
    env["PYTHONPATH"] = os.pathsep.join([package_root] + [p for p in [env.get("PYTHONPATH")] if p])
    if not verbose:
        env["TF_CPP_MIN_LOG_LEVEL"] = "3"
    return env


def run_jobs(jobs: list[dict[str, Any]], timeout: float = DEFAULT_TIMEOUT, verbose: bool = False,
             on_line: Callable[[int, str], object] | None = None) -> list[dict[str, Any]]:
    """Check each job in a child of one checker process; the results, in order.

    A job is a dict: exercise, file (absolute), function, seed, cases (None: all),
    keep_going. `on_line(job_index, line)` receives the report's lines as they come.
    A result is a dict: exercise, status ("pass", "fail", "timeout", "exit",
    "crash"), passed, total, failure (the report's first failure or the reason).
    """
    request = json.dumps({"jobs": jobs, "timeout": timeout, "verbose": verbose})
    with tempfile.TemporaryFile() as errors:
        process = subprocess.Popen(
            [sys.executable, "-c", "from tfcore.learn.sandbox import main; main()"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=None if verbose else errors,
            env=_environment(verbose), start_new_session=True)  # its own process group: see below
        stdin, stdout = process.stdin, process.stdout
        assert stdin is not None and stdout is not None  # both are pipes (for the type checker)
        stdin.write(request.encode())
        stdin.close()
        deadline = time.monotonic() + STARTUP_LIMIT + len(jobs) * (timeout + 10)
        results = {}
        try:
            for event in _lines(stdout.fileno(), deadline):
                message = json.loads(event)
                if "line" in message and on_line:
                    on_line(message["job"], message["line"])
                if "result" in message:
                    results[message["job"]] = message["result"]
        finally:
            # The whole group: the checker process and any child still running (a Ctrl-C here,
            # or something the learner's code started), before the checker is reaped, so
            # its id cannot have been reused.
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()
            stdout.close()
        errors.seek(0)
        reason = _checker_died(process.returncode, errors.read().decode(errors="replace"))
    return [results.get(i) or {"exercise": job["exercise"], "status": "crash", "passed": 0,
                               "total": 0, "failure": reason} for i, job in enumerate(jobs)]


def _checker_died(returncode, stderr):
    lines = [line for line in stderr.splitlines() if line.strip() and not _LOG_LINE.match(line)]
    return ("the checker process itself stopped (exit status %s) before this check ran%s"
            % (returncode, ": " + lines[-1][:300] if lines else ""))


def _lines(fd, deadline, alive=None):
    """The lines read from `fd` until it closes, `deadline` (time.monotonic) passes or `alive()` is False."""
    pending = b""
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0 or (alive and not alive()):
            return
        if not select.select([fd], [], [], min(remaining, 1.0))[0]:
            continue
        chunk = os.read(fd, 1 << 16)
        if not chunk:
            return
        *complete, pending = (pending + chunk).split(b"\n")
        for line in complete:
            yield line.decode()


# -- the checker process: import TensorFlow once, fork a child per job --------------------------

def main() -> None:
    """The checker process: jobs as JSON on stdin, events as JSON lines on stdout."""
    request = json.loads(sys.stdin.read())
    from tfcore.learn import checker  # noqa: F401 - TensorFlow, once, before any fork

    events = sys.stdout
    parent = os.getppid()
    for index, job in enumerate(request["jobs"]):
        if os.getppid() != parent:
            break  # the command line was killed: nobody is waiting for the rest
        result = _run_in_child(index, job, request["timeout"], request["verbose"], events)
        events.write(json.dumps({"job": index, "result": result}) + "\n")
        events.flush()


def _run_in_child(index, job, timeout, verbose, events):
    """Fork, relay the child's lines, kill it at the deadline; the job's result."""
    read_fd, write_fd = os.pipe()
    output = tempfile.TemporaryFile()
    sys.stdout.flush()
    pid = os.fork()
    if pid == 0:  # the child: never returns
        os.close(read_fd)
        _child(job, write_fd, output.fileno(), verbose)
    os.close(write_fd)
    start, result, passed = time.monotonic(), None, 0
    parent = os.getppid()
    for line in _lines(read_fd, start + timeout, alive=lambda: os.getppid() == parent):
        message = json.loads(line)
        if "line" in message:
            passed += message["line"].startswith("  ok  ")
            events.write(json.dumps({"job": index, "line": message["line"]}) + "\n")
            events.flush()
        else:
            result = message
    if result is not None and result["total"] is None:
        result["passed"] = passed  # an exit mid-check: the cases that passed before it
    timed_out = result is None and time.monotonic() - start >= timeout
    if timed_out or os.getppid() != parent:  # or the command line is gone (killed): stop too
        os.kill(pid, signal.SIGKILL)
    _, status = os.waitpid(pid, 0)
    os.close(read_fd)
    if result is None:
        result = {"status": "timeout" if timed_out else _died(status)[0], "passed": passed, "total": None,
                  "failure": _no_result(job, timeout, timed_out, status, output, passed)}
    output.close()
    return {"exercise": job["exercise"], **result}


def _died(status):
    if os.WIFSIGNALED(status):
        return "crash", "crashed: killed by signal %s" % signal.Signals(os.WTERMSIG(status)).name
    return "exit", "the process exited with status %d" % os.WEXITSTATUS(status)


def _no_result(job, timeout, timed_out, status, output, passed):
    """The one-line reason (and a few of the learner's last output lines) when no result came."""
    where = "%s:%s" % (pathlib.Path(job["file"]).name, job["function"])
    done = " (%d case(s) passed before)" % passed if passed else ""
    if timed_out:
        reason = ("%s did not finish within %g s%s: an infinite loop, a blocking op (a queue or a read "
                  "with nothing to come) or far too slow? (--timeout sets the limit)" % (where, timeout, done))
    else:
        reason = ("%s ended the process before the check finished%s: %s (does your code call os._exit, "
                  "or crash TensorFlow?)" % (where, done, _died(status)[1]))
    output.seek(0)
    tail = [line for line in output.read().decode(errors="replace").splitlines()
            if line.strip() and not _LOG_LINE.match(line)][-5:]
    return "\n".join([reason] + ["  your code printed: " + line[:200] for line in tail])


def load_function(path: str | pathlib.Path, name: str) -> Callable[..., Any]:
    """Import the learner's file (running its top level) and return `name` from it.

    The file's folder goes first on sys.path, so it may import its neighbours (helpers.py).
    """
    sys.path.insert(0, str(pathlib.Path(path).parent))
    spec = importlib.util.spec_from_file_location("learner_" + pathlib.Path(path).stem, path)
    if spec is None or spec.loader is None:  # not a file Python can import
        raise UsageError("%s: cannot be imported as a Python module" % (path,))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    function = getattr(module, name, None)
    if not callable(function):
        raise UsageError("%s: %r is not a function" % (path, name))
    return function


def _child(job, write_fd, output_fd, verbose):
    """Run one check, its report's lines as JSON on `write_fd`; exit without returning."""
    from tfcore.learn import checker

    os.dup2(output_fd, 1)  # the learner's prints (and TensorFlow's logs) go to a file
    if not verbose:
        os.dup2(output_fd, 2)
    pipe = os.fdopen(write_fd, "w", buffering=1)

    def send(message):
        pipe.write(json.dumps(message) + "\n")
        pipe.flush()

    where = "%s:%s" % (pathlib.Path(job["file"]).name, job["function"])
    try:
        function = load_function(job["file"], job["function"])
        result = checker.check(job["exercise"], function, seed=job["seed"], cases=job["cases"],
                               print_fn=lambda line: send({"line": line}), keep_going=job["keep_going"])
        send({"status": "pass" if result.ok else "fail", "passed": result.passed, "total": result.total,
              "failure": result.failure})
    except SystemExit as err:
        send({"status": "exit", "passed": 0, "total": None,
              "failure": "%s called sys.exit(%r) during the check: a check passes only by "
                         "returning the right tensors" % (where, err.code)})
    except BaseException as err:  # noqa: BLE001 - anything the learner's file raises is the report
        failure = checker.bounded("%s: %s: %s" % (where, type(err).__name__, err), 5)
        send({"line": "FAIL %s: %s" % (job["exercise"], failure)})  # the report's one line
        send({"status": "fail", "passed": 0, "total": None, "failure": failure})
    finally:
        with contextlib.suppress(Exception):  # what the learner printed, for the report's tail
            sys.stdout.flush()
            sys.stderr.flush()
        os._exit(0)
