"""Parameter-server training: one graph per worker process, variables on `ps` tasks.

TensorFlow's own runtime does between-graph replication; this module only
wires it up, in the open:

* A **cluster** is a JSON file naming every task's address:
  `{"ps": ["127.0.0.1:2222"], "worker": ["127.0.0.1:2223", "127.0.0.1:2224"]}`.
  Each process runs a `tf.compat.v1.train.Server` for its own task.
* A **ps** process only serves its variables (`server.join()` forever;
  servers have no stop method, so the process is killed when training ends).
* A **worker** builds the whole training graph itself, inside
  `tf.compat.v1.device(replica_device_setter(cluster))`: variable ops go to the
  ps tasks (round robin), every other op to this worker. Its session talks to
  its own server (`server.target`); reading a variable is a gRPC call to a ps.
* Worker 0 is the **chief**: it initialises the variables (or restores the
  newest checkpoint), saves checkpoints every `save_steps` global steps and at
  the end, and in sync mode applies the aggregated update. Other workers wait
  until the variables exist.

Every worker trains on its own shard of the data (rows `task::num_workers`)
and stops when the shared `global_step` reaches `steps`.

Asynchronous updates (`mode="async"`): each worker, on its own clock,

    g_k = grad of its shard's loss at the weights it just read
    w  <- update(w, g_k)            (the optimizer's ops, run on the ps)
    global_step += 1

Workers do not wait for each other; a gradient may be computed from weights
another worker has changed since (stale gradients).

Synchronous updates (`mode="sync"`), the design of SyncReplicasOptimizer with
our own optimizer's update ops (that class wraps a `tf.compat.v1.train`
optimizer, and ours are hand-written). One `ConditionalAccumulator` per
variable lives next to it on the ps:

    every worker:  accumulator.apply_grad(g, local_step=global_step it read)
                   (a gradient from an older step is dropped: no stale updates)
    chief:         g = accumulator.take_grad(num_workers)     (waits for all; the mean)
                   w <- update(w, g); global_step += 1
                   put num_workers - 1 tokens in a queue on the ps
    other workers: take one token (wait until the chief has applied the step)

With equal shards the mean of the workers' gradients is the gradient of the
whole data, so a sync step equals a one-process step on all the rows.

Resuming: the chief restores the newest checkpoint only when the variables
are not initialised yet (a new job, or the ps restarted). A restarted worker
finds the variables alive on the ps and continues from their state (the
global step goes on; nothing is reset). A sync job tolerates a worker restart
only between steps; an async job at any time.

Nothing waits forever: every session run carries a deadline (`timeout`), a
worker first checks that every ps task accepts connections within it, and a
worker whose ps never comes up stops with an error naming the address. Making
the session (which has no deadline of its own in TensorFlow) happens under a
watchdog thread, so a port that accepts TCP but is not a ps is named after
`timeout` too; a task whose port is taken (by the same task started twice, or
another program) is refused in one line naming the task and the port. A NaN
or infinite loss stops the job before anything is checkpointed, so the last
checkpoint stays the last good one (the chief also refuses to save weights
that are not finite).

This module is the mechanism: a model is any `model_fn(x, y) -> (predictions,
loss, objective, optimizer)`. The runnable demo, which picks the examples
and the data, is `python -m models.cluster` (see docs/parallel.md):

    python -m models.cluster --cluster cluster.json --new-local-cluster --ps 1 --workers 2
    python -m models.cluster --job ps --task 0 --cluster cluster.json
    python -m models.cluster --job worker --task 0 --cluster cluster.json --mode sync --checkpoint-dir ckpt
    python -m models.cluster --job worker --task 1 --cluster cluster.json --mode sync
"""

import errno
import json
import socket
import threading
import time

import numpy as np
import tensorflow as tf

import tfcore
from tfcore import checkpoint, metrics
from tfcore.train import NonFiniteLossError


class ClusterError(ValueError):
    """A missing or malformed cluster file, or a task that is not in it."""


# ---------------------------------------------------------------------------
# The cluster description
# ---------------------------------------------------------------------------

def free_ports(count):
    """`count` TCP ports free on 127.0.0.1 now (the OS picks them: bind to port 0)."""
    sockets, ports = [], []
    try:
        for _ in range(count):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind(("127.0.0.1", 0))
            sockets.append(s)
            ports.append(s.getsockname()[1])
    finally:
        for s in sockets:
            s.close()
    return ports


def local_cluster(ps=1, workers=2):
    """A cluster of `ps` + `workers` tasks on free loopback ports (nothing leaves the machine)."""
    ports = free_ports(ps + workers)
    return {"ps": ["127.0.0.1:%d" % p for p in ports[:ps]],
            "worker": ["127.0.0.1:%d" % p for p in ports[ps:]]}


def load_cluster(path):
    """Read and check a cluster JSON file: `{"ps": ["host:port", ...], "worker": [...]}`."""
    try:
        with open(path) as f:
            cluster = json.load(f)
    except FileNotFoundError:
        raise ClusterError("cluster file %s does not exist (write one with --new-local-cluster)"
                           % path) from None
    except IsADirectoryError:
        raise ClusterError("cluster file %s is a folder" % path) from None
    except (OSError, UnicodeDecodeError, ValueError) as err:
        raise ClusterError("cluster file %s is not readable JSON (%s)" % (path, err)) from None
    if not isinstance(cluster, dict):
        raise ClusterError('cluster %s: expected {"ps": [...], "worker": [...]}, got %s'
                           % (path, type(cluster).__name__))
    for job in ("ps", "worker"):
        tasks = cluster.get(job)
        if not isinstance(tasks, list) or not tasks or not all(_is_address(t) for t in tasks):
            raise ClusterError("cluster %s: %r must be a non-empty list of 'host:port' strings "
                               "(port 1-65535), got %r" % (path, job, tasks))
    unknown = sorted(set(cluster) - {"ps", "worker"})
    if unknown:
        raise ClusterError("cluster %s: unknown jobs %s (only 'ps' and 'worker')" % (path, unknown))
    return cluster


def _is_address(task):
    host, _, port = task.rpartition(":") if isinstance(task, str) else ("", "", "")
    return bool(host) and port.isdigit() and 0 < int(port) < 65536


def wait_for_ps(cluster, timeout, name="worker"):
    """Block until every ps task accepts TCP connections; TimeoutError after `timeout` s.

    A session to an absent ps would otherwise wait forever ("CreateSession still
    waiting for response from worker").
    """
    deadline = time.monotonic() + timeout
    for task, address in enumerate(cluster["ps"]):
        host, _, port = address.rpartition(":")
        while True:
            try:
                socket.create_connection((host, int(port)), timeout=1.0).close()
                break
            except OSError as err:
                if time.monotonic() > deadline:
                    raise TimeoutError(
                        "%s: ps task %d at %s did not come up within --timeout %g s (%s); "
                        "start it with --job ps --task %d, or check the cluster file"
                        % (name, task, address, timeout, err.strerror or err, task)) from None
                time.sleep(0.2)


# ---------------------------------------------------------------------------
# The worker's graph
# ---------------------------------------------------------------------------

class WorkerGraph:
    """Everything one worker runs, built in its own graph with variables on the ps."""

    def __init__(self, cluster, task, model_fn, mode="async", features=2, seed=0):
        """`model_fn(x, y) -> (predictions, loss, objective, optimizer)` builds the model."""
        if mode not in ("async", "sync"):
            raise ValueError("WorkerGraph: mode must be 'async' or 'sync', got %r" % (mode,))
        if not callable(model_fn):
            raise TypeError("WorkerGraph: model_fn must be a function (x, y) -> (predictions, "
                            "loss, objective, optimizer), got %r" % (model_fn,))
        num_workers = len(cluster["worker"])
        self.is_chief = task == 0
        self.mode = mode
        self.graph = tfcore.new_graph(seed=seed)
        spec = tf.compat.v1.train.ClusterSpec(cluster)
        setter = tf.compat.v1.train.replica_device_setter(
            cluster=spec, worker_device="/job:worker/task:%d" % task)
        with self.graph.as_default(), tf.compat.v1.device(setter):
            # `train_op` returns the global step after this worker's update.
            self.global_step = tf.compat.v1.train.get_or_create_global_step()
            self.x = tfcore.placeholder((None, features), name="x")
            self.y = tfcore.placeholder((None, 1), name="y")
            self.predictions, self.loss, objective, optimizer = model_fn(self.x, self.y)
            self.accuracy = metrics.accuracy(self.y, self.predictions, kind="binary")
            grads_and_vars = optimizer.compute_gradients(objective)
            if mode == "async":
                self.train_op = self._async_step(optimizer, grads_and_vars)
            else:
                self.train_op = self._sync_step(optimizer, grads_and_vars, num_workers)
            self.variables = tf.compat.v1.global_variables()
            self.init_op = tf.compat.v1.variables_initializer(self.variables)
            self.uninitialized = tf.compat.v1.report_uninitialized_variables(self.variables)
            # Checked before every save: a checkpoint never holds NaN or inf weights.
            self.all_finite = tf.reduce_all(
                [tf.reduce_all(tf.math.is_finite(v)) for v in tf.compat.v1.trainable_variables()])
            # Built under the setter: the save/restore ops run on this worker,
            # which reads the values from the ps and writes the files locally.
            self.saver = tf.compat.v1.train.Saver(self.variables, max_to_keep=3)
        # tfcore.checkpoint's verified save and restore count "epochs" in a variable;
        # here a checkpoint's number is the global step, which every step already sets.
        # Its ckpt-N.json holds nothing the restore needs, and checkpoints written
        # before it existed have none: the tensors' checks alone decide.
        self.epoch_variable = self.global_step
        self.bookkeeping_optional = True

    def set_epoch(self, session, step):
        """Nothing to do: the global step already is `step` when the chief saves."""

    def _async_step(self, optimizer, grads_and_vars):
        apply = optimizer.apply_gradients(grads_and_vars)
        with tf.control_dependencies([apply]):
            return self.global_step.assign_add(1)  # the new global step

    def _sync_step(self, optimizer, grads_and_vars, num_workers):
        step_read = tf.identity(self.global_step.read_value(), name="local_step")
        self.accumulators = []
        applies = []
        for grad, var in grads_and_vars:
            # On the variable's ps task; the shared name makes every worker's
            # graph refer to the same accumulator there.
            with self.graph.colocate_with(var.op):
                accumulator = tf.compat.v1.ConditionalAccumulator(
                    grad.dtype, shape=var.shape,
                    shared_name=var.op.name + "/grad_accumulator")
            self.accumulators.append(accumulator)
            applies.append(accumulator.apply_grad(grad, local_step=step_read))
        with self.graph.colocate_with(self.global_step.op):
            tokens = tf.queue.FIFOQueue(-1, tf.int64, shapes=[()], shared_name="sync_tokens")
            self.reset_accumulators = tf.group(
                *[a.set_global_step(self.global_step.read_value()) for a in self.accumulators])
        with tf.control_dependencies(applies):
            if not self.is_chief:
                return tokens.dequeue(name="wait_for_chief")  # the new global step
            # take_grad waits until num_workers gradients of this step arrived.
            mean_grads = [(a.take_grad(num_workers), v)
                          for a, (_, v) in zip(self.accumulators, grads_and_vars)]
        apply = optimizer.apply_gradients(mean_grads)
        with tf.control_dependencies([apply]):
            increment = self.global_step.assign_add(1)
        with tf.control_dependencies([increment]):
            release = tokens.enqueue_many(tf.fill([num_workers - 1], increment))
        with tf.control_dependencies([release]):
            return tf.identity(increment, name="chief_sync_step")  # the new global step


# ---------------------------------------------------------------------------
# The processes
# ---------------------------------------------------------------------------

def server_config(job, task):
    """Only talk to the ps tasks and oneself: a worker need not wait for the others."""
    return tf.compat.v1.ConfigProto(device_filters=["/job:ps", "/job:%s/task:%d" % (job, task)])


def start_server(cluster, job, task):
    """This task's gRPC server; a port already taken is a one-line ClusterError naming it.

    gRPC listens on every interface (0.0.0.0:port) and fails with "Could not start
    gRPC server" plus its own log lines when the port is taken. So the port is
    tried first with a plain socket (SO_REUSEADDR: a port a crashed task left in
    TIME_WAIT is free for gRPC too), and the error says which task and port.
    """
    address = cluster[job][task]
    port = int(address.rpartition(":")[2])
    probe = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        probe.bind(("0.0.0.0", port))
    except OSError as err:
        if err.errno == errno.EADDRINUSE:
            raise _port_in_use(job, task, address) from None
    finally:
        probe.close()
    try:
        return tf.compat.v1.train.Server(tf.compat.v1.train.ClusterSpec(cluster), job_name=job,
                                         task_index=task, config=server_config(job, task))
    except tf.errors.OpError as err:  # taken in the instant since the probe, or another reason
        raise ClusterError("%s task %d: could not serve at %s (%s)" % (job, task, address, err.message)
                           ) from None


def _port_in_use(job, task, address):
    return ClusterError(
        "%s task %d: port %s of %s is already in use: %s task %d is running already, or another "
        "program holds the port (stop it, or write a new cluster file with --new-local-cluster)"
        % (job, task, address.rpartition(":")[2], address, job, task))


def run_ps(cluster, task):
    """Serve the variables of ps task `task` until killed."""
    server = start_server(cluster, "ps", task)
    print("ps %d serving at %s" % (task, cluster["ps"][task]), flush=True)
    server.join()


def run_worker(cluster, task, model_fn, x_all, y_all, mode="async", steps=1000, batch_size=None,
               checkpoint_dir=None, save_steps=100, seed=0, timeout=60.0, log_every=100, out=None):
    """Train until the global step reaches `steps`; return (and write to `out`) a summary.

    `model_fn(x, y)` builds the model (see WorkerGraph); `x_all`, `y_all` are all
    the rows, of which this worker trains on its shard `task::num_workers`. The
    summary has `first_global_step` and `first_loss` (the state this worker
    found when it joined), `global_step` (at the end), `local_steps`, and the
    final `loss` and `accuracy` on all the rows.

    Raises:
      ValueError: a bad argument (before anything starts).
      TimeoutError: a ps task, the chief or another worker kept this one waiting
        longer than `timeout` seconds.
      NonFiniteLossError: the loss became NaN or infinite; nothing was saved.
    """
    num_workers = len(cluster["worker"])
    _check_worker_args(task, num_workers, steps, batch_size, save_steps, timeout, log_every)
    x, y = x_all[task::num_workers], y_all[task::num_workers]
    batch_size = batch_size or len(x)
    name = "worker %d%s" % (task, " (chief)" if task == 0 else "")
    wait_for_ps(cluster, timeout, name)
    server = start_server(cluster, "worker", task)
    worker = WorkerGraph(cluster, task, model_fn, mode, x.shape[1], seed)
    worker.graph.finalize()
    with _open_session(server, worker, cluster, task, timeout, name) as sess:
        run = _deadline_runner(sess, timeout, name)
        if worker.is_chief:
            _chief_prepare(worker, run, checkpoint_dir, name)
        else:
            deadline = time.monotonic() + timeout
            while run(worker.uninitialized).size:
                if time.monotonic() > deadline:
                    raise TimeoutError("%s: the chief did not initialise the variables "
                                       "within --timeout %g s" % (name, timeout))
                time.sleep(0.2)
        everything = {worker.x: x_all, worker.y: y_all}
        first, first_loss = run([worker.global_step, worker.loss], everything)
        print("%s: starting at global step %d, loss %.4f" % (name, first, first_loss), flush=True)
        global_step, local_steps = _train(worker, run, x, y, batch_size, steps, first, name,
                                          checkpoint_dir, save_steps, log_every)
        loss, accuracy = run([worker.loss, worker.accuracy], everything)
        summary = {"task": task, "mode": mode, "first_global_step": int(first),
                   "first_loss": float(first_loss), "global_step": global_step,
                   "local_steps": local_steps, "loss": float(loss), "accuracy": float(accuracy)}
    print("%s: done %s" % (name, json.dumps(summary)), flush=True)
    if out:
        with open(out, "w") as f:
            json.dump(summary, f)
    return summary


def _check_worker_args(task, num_workers, steps, batch_size, save_steps, timeout, log_every):
    def count(value, what, allow_none=False, low=1):
        if (value is None and allow_none) or (
                isinstance(value, (int, np.integer)) and not isinstance(value, bool) and value >= low):
            return
        raise ValueError("run_worker: %s must be an int >= %d, got %r" % (what, low, value))
    if not isinstance(task, (int, np.integer)) or not 0 <= task < num_workers:
        raise ValueError("run_worker: task must be in [0, %d), got %r" % (num_workers, task))
    count(steps, "steps")
    count(batch_size, "batch_size", allow_none=True)
    count(save_steps, "save_steps")
    count(log_every, "log_every", low=0)
    if not isinstance(timeout, (int, float)) or not 0 < timeout < float("inf"):
        raise ValueError("run_worker: timeout must be a positive number of seconds, got %r" % (timeout,))


def _open_session(server, worker, cluster, task, timeout, name):
    """The worker's session, made and tried once within `timeout` (a watchdog thread).

    Creating a session asks every ps task for its devices, and that request has
    no deadline of its own: a port that accepts TCP but is not a TensorFlow ps
    (another program, a port reused after a crash) would keep us waiting
    forever ("CreateSession still waiting for response"). So the session is made,
    and its first run done, in a helper thread; if it has not finished within
    `timeout` this thread gives up with an error naming the addresses. (The
    helper stays blocked in TensorFlow's C++; the command line then exits.)
    """
    config = server_config("worker", task)
    config.operation_timeout_in_ms = int(timeout * 1000)  # the deadline of every run, Saver's too
    done = {}

    def connect():
        try:
            sess = tf.compat.v1.Session(server.target, graph=worker.graph, config=config)
            sess.run(worker.uninitialized)
            done["session"] = sess
        except BaseException as err:  # handed to the waiting thread
            done["error"] = err

    helper = threading.Thread(target=connect, daemon=True, name="tfcore-cluster-connect")
    helper.start()
    helper.join(timeout)
    if helper.is_alive():
        raise TimeoutError(
            "%s: no answer from the ps at %s within --timeout %g s: the port accepts connections "
            "but no TensorFlow ps answers there (another program on the port, or a port reused "
            "after a crash?); start the ps with --job ps, or check the cluster file"
            % (name, ", ".join(cluster["ps"]), timeout))
    if "error" in done:
        if isinstance(done["error"], tf.errors.DeadlineExceededError):
            raise TimeoutError("%s: the ps at %s did not answer within --timeout %g s"
                               % (name, ", ".join(cluster["ps"]), timeout)) from None
        raise done["error"]
    return done["session"]


def _deadline_runner(sess, timeout, name):
    """`run(fetches, feeds)`: sess.run with a deadline; a timeout says who kept us waiting."""
    options = tf.compat.v1.RunOptions(timeout_in_ms=int(timeout * 1000))

    def run(fetches, feeds=None):
        try:
            return sess.run(fetches, feeds, options=options)
        except tf.errors.DeadlineExceededError:
            raise TimeoutError(
                "%s: a step waited longer than --timeout %g s (a ps task or, in sync mode, "
                "another worker or the chief is gone or stalled)" % (name, timeout)) from None
    run.session = sess  # the Saver takes the session itself (its runs get the config's deadline)
    return run


def _train(worker, run, x, y, batch_size, steps, global_step, name, checkpoint_dir, save_steps,
           log_every):
    """The step loop: (final global step, local steps). Stops on a non-finite loss, unsaved."""
    local_steps, offset = 0, 0
    while global_step < steps:
        rows = np.arange(offset, offset + batch_size) % len(x)
        offset = (offset + batch_size) % len(x)
        # One run per step: the global step after the update, and the loss before it.
        global_step, loss = run([worker.train_op, worker.loss], {worker.x: x[rows], worker.y: y[rows]})
        global_step = int(global_step)
        local_steps += 1
        if not np.isfinite(loss):
            raise _non_finite(loss, global_step, name, checkpoint_dir)
        if log_every and local_steps % log_every == 0:
            print("%s: local step %d, global step %d" % (name, local_steps, global_step), flush=True)
        if worker.is_chief and checkpoint_dir and global_step % save_steps == 0:
            _save(worker, run, checkpoint_dir, global_step, name)
    if worker.is_chief and checkpoint_dir:
        _save(worker, run, checkpoint_dir, global_step, name)
    return global_step, local_steps


def _non_finite(value, global_step, name, checkpoint_dir):
    last = checkpoint.latest(checkpoint_dir) if checkpoint_dir else None
    return NonFiniteLossError(
        "%s: the loss is %s at global step %d; the job stops and nothing is saved. %s Lower "
        "the learning rate or check the data." % (
            name, value, global_step, "The last good checkpoint is %s." % last if last
            else "There is no checkpoint."),
        epoch=None, batch=global_step, checkpoint=last)


def _chief_prepare(worker, run, checkpoint_dir, name):
    """Initialise or restore, unless the ps already holds live variables.

    The restore is `fit`'s (tfcore.checkpoint.restore): the candidates are the
    checkpoints on disk, not what the `checkpoint` index file says; each is
    verified (every tensor's checksum, its global step, its bookkeeping); a
    damaged one is skipped with a warning naming the file; the index is rebuilt;
    and when none is intact the job stops with the list of files (never a silent
    restart at step 0 that would then rewrite the index over them).
    """
    if checkpoint_dir:
        checkpoint.lock(checkpoint_dir)  # one chief per checkpoint folder
    if run(worker.uninitialized).size:
        state = checkpoint.restore(worker, run.session, checkpoint_dir) if checkpoint_dir else None
        if state is not None:
            print("%s: restored %s" % (name, checkpoint.latest(checkpoint_dir)), flush=True)
        else:
            run(worker.init_op)
    elif checkpoint_dir:
        # The variables live on: keep counting the checkpoints already on disk,
        # so the next save's index still lists them (and max_to_keep sees them).
        worker.saver.recover_last_checkpoints(list(reversed(checkpoint.on_disk(checkpoint_dir))))
    if worker.mode == "sync":
        # Accumulators count steps from 0 on a fresh ps; make them agree with
        # the (possibly restored) global step, or every gradient would look stale.
        run(worker.reset_accumulators)


def _save(worker, run, checkpoint_dir, global_step, name):
    if not run(worker.all_finite):
        last = checkpoint.latest(checkpoint_dir)
        raise NonFiniteLossError(
            "%s: the weights hold NaN or inf at global step %d; not saved, the last good "
            "checkpoint (%s) is kept" % (name, global_step, last),
            epoch=None, batch=global_step, checkpoint=last)
    # Bookkeeping (ckpt-N.json) first, then the tensors, each file atomically.
    checkpoint.save(worker, run.session, checkpoint_dir, global_step,
                    {"global_step": int(global_step), "mode": worker.mode})
