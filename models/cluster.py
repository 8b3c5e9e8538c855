"""Parameter-server training of the chapter's logistic regression or MLP (tfcore.cluster's demo).

The mechanism (the worker's graph, ps processes, sync and async updates,
deadlines) is `tfcore.cluster`; this file picks the model and the data and
is the command line. Each line in its own shell (or see docs/parallel.md):

    python -m models.cluster --cluster cluster.json --new-local-cluster --ps 1 --workers 2
    python -m models.cluster --job ps --task 0 --cluster cluster.json
    python -m models.cluster --job worker --task 0 --cluster cluster.json --mode sync --checkpoint-dir ckpt
    python -m models.cluster --job worker --task 1 --cluster cluster.json --mode sync

Every number is checked before anything starts (a usage error, exit 2); a
missing or malformed cluster file is a usage error naming the file; a worker
waits at most --timeout seconds for anything (exit 1 with the reason); a NaN
or infinite loss ends the job (exit 1) with the last good checkpoint kept.
"""

import argparse
import functools
import json
import sys

import numpy as np

import tfcore.cli as types
from models import logistic_regression, mlp
from tfcore import cluster
from tfcore.checkpoint import CheckpointError, DiskFull
from tfcore.train import NonFiniteLossError

# The models a worker can train: model_fn(x, y, learning_rate) -> (predictions, loss, objective, optimizer).
MODELS = {
    "logistic": logistic_regression.worker_model,
    "mlp": mlp.worker_model,
}


def load_data(model):
    """The example's training rows (all of them; each worker takes its shard)."""
    from tfcore.data import classification

    (x, y), _ = classification("logistic" if model == "logistic" else "mlp")
    return x.astype(np.float32), y.astype(np.float32)


def parser():
    p = argparse.ArgumentParser(prog="python -m models.cluster", description=__doc__.splitlines()[0],
                                allow_abbrev=False)  # --ou is not --out: unknown flags are errors
    p.add_argument("--cluster", required=True, help="the cluster JSON file")
    p.add_argument("--new-local-cluster", action="store_true",
                   help="write a loopback cluster with --ps and --workers tasks to --cluster, then exit")
    p.add_argument("--ps", type=types.int_in(1, 64), default=1, help="ps tasks (1-64)")
    p.add_argument("--workers", type=types.int_in(1, 64), default=2, help="worker tasks (1-64)")
    p.add_argument("--job", choices=("ps", "worker"))
    p.add_argument("--task", type=types.non_negative_int, default=0)
    p.add_argument("--model", choices=sorted(MODELS), default="logistic")
    p.add_argument("--mode", choices=("async", "sync"), default="async")
    p.add_argument("--steps", type=types.positive_int, default=1000,
                   help="train until the global step reaches this")
    p.add_argument("--batch-size", type=types.positive_int, default=None,
                   help="default: the worker's whole shard")
    p.add_argument("--learning-rate", type=types.positive_float, default=0.025)
    p.add_argument("--checkpoint-dir", type=types.writable_dir, default=None,
                   help="the chief saves and restores here")
    p.add_argument("--save-steps", type=types.positive_int, default=100)
    p.add_argument("--seed", type=types.SEED, default=0, help="graph seed (0 .. 2**31 - 1)")
    p.add_argument("--timeout", type=types.positive_float, default=60.0,
                   help="seconds any wait may take (the ps coming up, a step, the chief)")
    p.add_argument("--log-every", type=types.non_negative_int, default=100, help="0: no step log")
    p.add_argument("--out", type=types.writable_file, default=None,
                   help="write the worker's summary JSON here")
    return p


def main(argv=None):
    p = parser()
    args = p.parse_args(argv)
    if args.new_local_cluster:
        try:
            types.writable_file(args.cluster)
        except argparse.ArgumentTypeError as err:
            p.error("argument --cluster: %s" % err)
        addresses = cluster.local_cluster(args.ps, args.workers)
        with open(args.cluster, "w") as f:
            json.dump(addresses, f, indent=1)
        print(json.dumps(addresses))
        return addresses
    if args.job is None:
        p.error("--job ps|worker is required")
    try:
        addresses = cluster.load_cluster(args.cluster)
    except cluster.ClusterError as err:
        p.error(str(err))
    if not args.task < len(addresses[args.job]):
        p.error("--task %d: the cluster has %d %s tasks" % (args.task, len(addresses[args.job]), args.job))
    if args.job == "ps":
        return cluster.run_ps(addresses, args.task)
    x, y = load_data(args.model)
    shard = len(x[args.task::len(addresses["worker"])])
    if args.batch_size is not None and args.batch_size > shard:
        p.error("--batch-size %d: worker %d's shard has only %d rows" % (args.batch_size, args.task, shard))
    model_fn = functools.partial(MODELS[args.model], learning_rate=args.learning_rate)
    return cluster.run_worker(addresses, args.task, model_fn, x, y, args.mode, args.steps,
                              args.batch_size, args.checkpoint_dir, args.save_steps, args.seed,
                              args.timeout, args.log_every, args.out)


if __name__ == "__main__":
    try:
        main(sys.argv[1:])
    except (TimeoutError, NonFiniteLossError, CheckpointError, DiskFull, cluster.ClusterError) as err:
        sys.exit("error: %s" % err)
