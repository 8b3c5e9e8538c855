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

Run it (each line in its own shell, or see docs/parallel.md):

    python -m tfcore.cluster --new-local-cluster cluster.json --ps 1 --workers 2
    python -m tfcore.cluster --job ps --task 0 --cluster cluster.json
    python -m tfcore.cluster --job worker --task 0 --cluster cluster.json --mode sync --checkpoint-dir ckpt
    python -m tfcore.cluster --job worker --task 1 --cluster cluster.json --mode sync
"""

import argparse
import json
import os
import socket
import sys
import time

import numpy as np
import tensorflow as tf

import tfcore
from tfcore import losses, metrics, optimizers
from tfcore.layers.dense import Dense


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
    """Read and check a cluster JSON file: `{"ps": [...], "worker": [...]}`."""
    with open(path) as f:
        cluster = json.load(f)
    for job in ("ps", "worker"):
        tasks = cluster.get(job) if isinstance(cluster, dict) else None
        if not isinstance(tasks, list) or not tasks or \
                not all(isinstance(t, str) and ":" in t for t in tasks):
            raise ValueError("cluster %s: %r must be a non-empty list of 'host:port' strings"
                             % (path, job))
    return cluster


# ---------------------------------------------------------------------------
# The models a worker can train (the chapter's examples, from tfcore layers)
# ---------------------------------------------------------------------------

def logistic_model(x, y, learning_rate=0.025):
    """The logistic regression example: Dense(1) from zeros, sigmoid cross-entropy, SGD."""
    logits = Dense(1, kernel_initializer="zeros", bias_initializer="zeros", name="logistic")(x)
    probability = tf.sigmoid(logits, name="probability")
    loss = losses.sigmoid_cross_entropy_with_logits(y, logits)
    return probability, loss, loss, optimizers.SGD(learning_rate)


def mlp_model(x, y, learning_rate=0.025):
    """The MLP example: Dense(50, tanh) -> Dense(1, sigmoid), sum-of-squares objective, SGD."""
    h = Dense(50, activation="tanh", name="hidden")(x)
    p = Dense(1, activation="sigmoid", name="output")(h)
    objective = losses.sum_of_squares(y, p)
    loss = objective / tf.cast(tf.shape(x)[0], tf.float32)
    return p, loss, objective, optimizers.SGD(learning_rate)


MODELS = {"logistic": logistic_model, "mlp": mlp_model}


def load_data(model):
    """The example's training rows (all of them; each worker takes its shard)."""
    from tfcore.data import classification

    (x, y), _ = classification("logistic" if model == "logistic" else "mlp")
    return x.astype(np.float32), y.astype(np.float32)


# ---------------------------------------------------------------------------
# The worker's graph
# ---------------------------------------------------------------------------

class WorkerGraph:
    """Everything one worker runs, built in its own graph with variables on the ps."""

    def __init__(self, cluster, task, model="logistic", mode="async", features=2,
                 learning_rate=0.025, seed=0):
        if mode not in ("async", "sync"):
            raise ValueError("WorkerGraph: mode must be 'async' or 'sync', got %r" % (mode,))
        if model not in MODELS:
            raise ValueError("WorkerGraph: model must be one of %s, got %r" % (sorted(MODELS), model))
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
            self.predictions, self.loss, objective, optimizer = MODELS[model](
                self.x, self.y, learning_rate)
            self.accuracy = metrics.accuracy(self.y, self.predictions, kind="binary")
            grads_and_vars = optimizer.compute_gradients(objective)
            if mode == "async":
                self.train_op = self._async_step(optimizer, grads_and_vars)
            else:
                self.train_op = self._sync_step(optimizer, grads_and_vars, num_workers)
            self.variables = tf.compat.v1.global_variables()
            self.init_op = tf.compat.v1.variables_initializer(self.variables)
            self.uninitialized = tf.compat.v1.report_uninitialized_variables(self.variables)
            # Built under the setter: the save/restore ops run on this worker,
            # which reads the values from the ps and writes the files locally.
            self.saver = tf.compat.v1.train.Saver(self.variables, max_to_keep=3)

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


def run_ps(cluster, task):
    """Serve the variables of ps task `task` until killed."""
    server = tf.compat.v1.train.Server(tf.compat.v1.train.ClusterSpec(cluster), job_name="ps",
                                       task_index=task, config=server_config("ps", task))
    print("ps %d serving at %s" % (task, cluster["ps"][task]), flush=True)
    server.join()


def run_worker(cluster, task, model="logistic", mode="async", steps=1000, batch_size=None,
               learning_rate=0.025, checkpoint_dir=None, save_steps=100, seed=0, timeout=60.0,
               log_every=100, out=None):
    """Train until the global step reaches `steps`; return (and write to `out`) a summary.

    The summary has `first_global_step` and `first_loss` (the state this
    worker found when it joined), `global_step` (at the end), `local_steps`,
    and the final `loss` and `accuracy` on all the rows (the loss is the
    model's, e.g. the MLP's mean squared error).
    """
    num_workers = len(cluster["worker"])
    if not 0 <= task < num_workers:
        raise ValueError("run_worker: task must be in [0, %d), got %d" % (num_workers, task))
    x_all, y_all = load_data(model)
    x, y = x_all[task::num_workers], y_all[task::num_workers]
    batch_size = batch_size or len(x)
    server = tf.compat.v1.train.Server(tf.compat.v1.train.ClusterSpec(cluster), job_name="worker",
                                       task_index=task, config=server_config("worker", task))
    worker = WorkerGraph(cluster, task, model, mode, x.shape[1], learning_rate, seed)
    worker.graph.finalize()
    run_options = tf.compat.v1.RunOptions(timeout_in_ms=int(timeout * 1000))
    deadline = time.monotonic() + timeout
    name = "worker %d%s" % (task, " (chief)" if worker.is_chief else "")
    with tf.compat.v1.Session(server.target, graph=worker.graph,
                              config=server_config("worker", task)) as sess:
        if worker.is_chief:
            _chief_prepare(worker, sess, checkpoint_dir, name)
        else:
            while sess.run(worker.uninitialized).size:
                if time.monotonic() > deadline:
                    raise TimeoutError("%s: the chief did not initialise the variables "
                                       "within %g s" % (name, timeout))
                time.sleep(0.2)
        first = int(sess.run(worker.global_step))
        everything = {worker.x: x_all, worker.y: y_all}
        first_loss = float(sess.run(worker.loss, everything))
        print("%s: starting at global step %d, loss %.4f" % (name, first, first_loss), flush=True)
        local_steps, offset = 0, 0
        global_step = first
        while global_step < steps:
            rows = np.arange(offset, offset + batch_size) % len(x)
            offset = (offset + batch_size) % len(x)
            # One run per step; it returns the global step after the update.
            global_step = int(sess.run(worker.train_op, {worker.x: x[rows], worker.y: y[rows]},
                                       options=run_options))
            local_steps += 1
            if log_every and local_steps % log_every == 0:
                print("%s: local step %d, global step %d" % (name, local_steps, global_step),
                      flush=True)
            if worker.is_chief and checkpoint_dir and global_step % save_steps == 0:
                _save(worker, sess, checkpoint_dir, global_step)
        if worker.is_chief and checkpoint_dir:
            _save(worker, sess, checkpoint_dir, global_step)
        loss, accuracy = sess.run([worker.loss, worker.accuracy], everything)
        summary = {"task": task, "mode": mode, "first_global_step": first,
                   "first_loss": first_loss, "global_step": global_step,
                   "local_steps": local_steps, "loss": float(loss), "accuracy": float(accuracy)}
    print("%s: done %s" % (name, json.dumps(summary)), flush=True)
    if out:
        with open(out, "w") as f:
            json.dump(summary, f)
    return summary


def _chief_prepare(worker, sess, checkpoint_dir, name):
    """Initialise or restore, unless the ps already holds live variables."""
    if sess.run(worker.uninitialized).size:
        latest = tf.train.latest_checkpoint(checkpoint_dir) if checkpoint_dir else None
        if latest:
            worker.saver.restore(sess, latest)
            print("%s: restored %s" % (name, latest), flush=True)
        else:
            sess.run(worker.init_op)
    if worker.mode == "sync":
        # Accumulators count steps from 0 on a fresh ps; make them agree with
        # the (possibly restored) global step, or every gradient would look stale.
        sess.run(worker.reset_accumulators)


def _save(worker, sess, checkpoint_dir, global_step):
    os.makedirs(checkpoint_dir, exist_ok=True)
    worker.saver.save(sess, os.path.join(checkpoint_dir, "ckpt"), global_step=global_step,
                      write_meta_graph=False)


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m tfcore.cluster", description=__doc__.splitlines()[0])
    p.add_argument("--cluster", required=True, help="the cluster JSON file")
    p.add_argument("--new-local-cluster", action="store_true",
                   help="write a loopback cluster with --ps and --workers tasks to --cluster, then exit")
    p.add_argument("--ps", type=int, default=1)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--job", choices=("ps", "worker"))
    p.add_argument("--task", type=int, default=0)
    p.add_argument("--model", choices=sorted(MODELS), default="logistic")
    p.add_argument("--mode", choices=("async", "sync"), default="async")
    p.add_argument("--steps", type=int, default=1000, help="train until the global step reaches this")
    p.add_argument("--batch-size", type=int, default=None, help="default: the worker's whole shard")
    p.add_argument("--learning-rate", type=float, default=0.025)
    p.add_argument("--checkpoint-dir", default=None, help="the chief saves and restores here")
    p.add_argument("--save-steps", type=int, default=100)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--timeout", type=float, default=60.0, help="seconds any wait may take")
    p.add_argument("--log-every", type=int, default=100)
    p.add_argument("--out", default=None, help="write the worker's summary JSON here")
    args = p.parse_args(argv)
    if args.new_local_cluster:
        cluster = local_cluster(args.ps, args.workers)
        with open(args.cluster, "w") as f:
            json.dump(cluster, f, indent=1)
        print(json.dumps(cluster))
        return cluster
    if args.job is None:
        p.error("--job ps|worker is required")
    cluster = load_cluster(args.cluster)
    if not 0 <= args.task < len(cluster[args.job]):
        p.error("--task %d: the cluster has %d %s tasks" % (args.task, len(cluster[args.job]), args.job))
    if args.job == "ps":
        return run_ps(cluster, args.task)
    return run_worker(cluster, args.task, args.model, args.mode, args.steps, args.batch_size,
                      args.learning_rate, args.checkpoint_dir, args.save_steps, args.seed,
                      args.timeout, args.log_every, args.out)


if __name__ == "__main__":
    main(sys.argv[1:])
