"""The optional PyTorch peer (`--peer torch`): each model's PyTorch twin, timed like tf-keras.

Installed with the `[peers]` extra (`pip install -e .[peers]`); nothing else in the
project needs PyTorch, and without it `--peer torch` is refused with the reason.
The twins live in `registry.py` beside the tf-keras ones (`ModelSpec.torch`).

The same method as the tf-keras peer (`peers.py`), in PyTorch's eager mode:

* `step`: one training step per call from host NumPy batches (`torch.from_numpy`,
  forward, loss, backward, optimizer and schedule step, `zero_grad`), timed per
  call: the counterpart of `train_on_batch`;
* `loop`: the same step over batches already converted to tensors, timed per
  step inside one loop: the counterpart of `fit`.

Images are NHWC in the registry's data; PyTorch's convolutions want NCHW, so the
arrays are transposed once, in host memory, before anything is timed.
"""

import time

import numpy as np
import torch

from benchmarks.registry import get

FRAMEWORK = "pytorch"
PATHS = ("step", "loop")  # the counterparts of tf-keras's train_on_batch and fit


def torch_device(device):
    """'/device:CPU:0' -> 'cpu', '/device:GPU:N' -> 'cuda:N' (a ValueError if PyTorch has no CUDA)."""
    if "GPU" not in device.upper():
        return "cpu"
    if not torch.cuda.is_available():
        raise ValueError("PyTorch %s has no CUDA device here; --peer torch on %s needs a CUDA build"
                         % (torch.__version__, device))
    return "cuda:%s" % device.rsplit(":", 1)[-1]


def set_threads(threads):
    """PyTorch's intra-op threads (`--threads`, a threads sweep); call before building a peer."""
    torch.set_num_threads(threads)


def preload():
    """What a memory probe process imports once (benchmarks/memory.py): torch.optim.Adam's first
    step imports torch._dynamo (5-6 s here), which starts no thread, so its children inherit it."""
    import torch._dynamo  # noqa: F401


def warm_runtime(device):
    """PyTorch's runtime started by one tiny Adam step: a memory probe's baseline.

    The thread pool, the autograd engine and the optimizer's lazily imported modules
    (torch.optim.Adam imports torch._dynamo) are the framework's, not the model's.
    """
    weight = torch.ones(4, 4, requires_grad=True, device=torch_device(device))
    (weight @ weight).sum().backward()
    torch.optim.Adam([weight]).step()


def _channels_first(x):
    return np.ascontiguousarray(np.transpose(x, (0, 3, 1, 2))) if x.ndim == 4 else x


class TorchPeer:
    """A PyTorch twin on one device, with the timed paths the harness calls."""

    framework, paths = FRAMEWORK, PATHS

    def __init__(self, name, device, batch_size, seed=0, jit_compile=False, precision="float32",
                 length=None):  # PyTorch's LSTM takes any sequence length: no twin change
        self.name, self.device, self.batch_size = name, torch_device(device), batch_size
        self.spec = get(name)
        self.forward_only = self.spec.forward_only
        # bfloat16 autocast on CPU (float16 on CUDA): PyTorch's counterpart of a mixed policy.
        self.autocast = {"mixed_bfloat16": torch.bfloat16, "mixed_float16": torch.float16}.get(precision)
        began = time.perf_counter()
        torch.manual_seed(seed)
        self.module, self.loss, self.optimizer, self.schedule = self.spec.torch(torch, batch_size)
        self.module.to(self.device).train()
        self.build_seconds = time.perf_counter() - began

    def reset(self):
        if self.spec.stateful:
            self.module.reset_states()

    def _tensor(self, array):
        return torch.from_numpy(_channels_first(np.asarray(array, np.float32))).to(self.device)

    def _step(self, xb, yb):
        kind = "cuda" if self.device.startswith("cuda") else "cpu"
        with torch.autocast(kind, dtype=self.autocast or torch.bfloat16, enabled=bool(self.autocast)):
            if self.forward_only:
                with torch.no_grad():
                    return self.module(xb)
            loss = self.loss(self.module(xb), yb)
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        self.optimizer.step()
        if self.schedule is not None:
            self.schedule.step()
        if self.device.startswith("cuda"):
            torch.cuda.synchronize()  # the step's kernels done, as a session run returns
        return loss

    def step_once(self, xb, yb):
        self._step(self._tensor(xb), None if yb is None else self._tensor(yb))

    def first_step(self, x, y):
        """Seconds to the end of the first step, counted from the start of building."""
        began = time.perf_counter()
        self.step_once(x[:self.batch_size], None if y is None else y[:self.batch_size])
        return self.build_seconds + time.perf_counter() - began

    def time_train_on_batch(self, x, y, steps):
        """Seconds of each of `steps` steps from host NumPy batches (the conversion included)."""
        times, b = [], self.batch_size
        for i in range(steps):
            rows = slice((i * b) % len(x), (i * b) % len(x) + b)
            began = time.perf_counter()
            self.step_once(x[rows], None if y is None else y[rows])
            times.append(time.perf_counter() - began)
        return times

    def time_fit(self, x, y, steps):
        """Per-step seconds of a loop over `steps` batches already in tensors; and its wall time."""
        b, n = self.batch_size, steps * self.batch_size
        xs = self._tensor(np.resize(x, (n,) + x.shape[1:]) if len(x) < n else x[:n])
        ys = None if y is None else self._tensor(np.resize(y, (n,) + y.shape[1:]) if len(y) < n else y[:n])
        stamps = [time.perf_counter()]
        for i in range(steps):
            self._step(xs[i * b:(i + 1) * b], None if ys is None else ys[i * b:(i + 1) * b])
            stamps.append(time.perf_counter())
        return list(np.diff(stamps)), stamps[-1] - stamps[0]

    def time_epoch(self, x, y):
        """Wall seconds of one epoch's loop over (x, y) (stateful models reset first)."""
        self.reset()
        _, wall = self.time_fit(x, y, len(x) // self.batch_size)
        return wall

    def trace_step(self, x, y, path):
        """One step of the first batch under torch.profiler, as a Chrome trace at `path`."""
        b = self.batch_size
        with torch.profiler.profile() as profile:
            self.step_once(x[:b], None if y is None else y[:b])
        profile.export_chrome_trace(path)
        return [path]


Peer = TorchPeer  # what the harness builds: every peer module names its class Peer
