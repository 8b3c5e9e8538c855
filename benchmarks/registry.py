"""The benchmark's model registry: every fact the benchmark needs about an example, in one place.

After tf_cnn_benchmarks' `model_config.py`: one `ModelSpec` per benchmarked
model says

    build        how to build tfcore's model on a device: `build(params, device, batch)`
                 returns a `tfcore.train.TrainGraph` (every builder returns that one
                 type; a forward-only model has no loss and no train op)
    x, y         the synthetic data: each sample's shape and how its values are drawn
                 (`tfcore.data.synthetic`), in the real data's ranges
    real         how to load the real (staged) data, for `--data real`
    batch        the default batch (the chapter's)
    epoch        the training set's size: one epoch is this many samples
    peer         the same model in tf-keras, compiled: `peer(keras, batch, jit_compile)`,
                 or None (a readable variant: its yardstick is tfcore's fast path)
    torch        the same model in PyTorch: `torch(torch, batch)` returns `(module, loss,
                 optimizer, schedule)`, the optional `--peer torch` (benchmarks/torch_peer.py)
    variant_of   the model whose fast path this one computes another way (the
                 readable paths: im2col convolutions, hand-derived gradients), or None
    and the switches `towers`, `stateful`, `single_batch`, `in_graph_epoch`,
    `epoch_steps_cap` described on `ModelSpec`.

Adding a model to the benchmark means adding one entry to `MODELS`; nothing
else in `benchmarks/` names a model, and the library (`tfcore/`) names none.

Why here and not in `models/`: the registry holds the tf-keras and PyTorch twins, and
`models/` imports only tfcore (tf-keras is a test oracle and a benchmark peer,
never a dependency of an example); the other facts (default batch, synthetic
shapes, an epoch's size, the CNNs' epoch cap) are what the benchmark needs to
time a model, not part of the example. The model files stay the single source
of each architecture: `build` calls their builders, and
`tests/test_benchmarks_keras.py` holds each twin to the same parameter count.

Nothing here imports TensorFlow, tf-keras or the models at import time:
`run.py` validates the flags against this registry before TensorFlow is
imported, so the builders import what they need when they are called.
"""

import dataclasses

import numpy as np


@dataclasses.dataclass(frozen=True)
class ModelSpec:
    """What the benchmark needs to know about one model (see the module docstring)."""

    name: str
    build: object  # (params, device, batch) -> tfcore.train.TrainGraph
    x: tuple  # (sample shape, values): tfcore.data.synthetic's x_shape and x_values
    y: tuple  # the same for the targets, or None (a forward-only model)
    real: object  # () -> (x, y) float32 arrays, the staged data
    batch: int  # the default batch
    epoch: int  # samples in one epoch (the chapter's training set)
    peer: object = None  # (keras, batch, jit_compile) -> a compiled tf-keras model, or None
    variant_of: str = None  # the fast model this one is a readable variant of (reported beside it)
    description: str = ""
    towers: bool = False  # the builder takes towers= (in-graph replication, tfcore.parallel)
    stateful: bool = False  # state carries across batches: an epoch needs full batches
    single_batch: bool = False  # one fixed input (the batch cannot change)
    in_graph_epoch: bool = False  # dispatch-bound: time a whole epoch in one session run too
    epoch_steps_cap: int = None  # time at most this many steps of the epoch (None: all)
    torch: object = None  # (torch, batch) -> (module, loss, optimizer, schedule): the PyTorch twin
    recurrent: bool = False  # takes a sequence length (params.length; a length sweep)

    @property
    def forward_only(self):
        return self.y is None


# ---------------------------------------------------------------------------
# tfcore's builders (the examples in models/)
# ---------------------------------------------------------------------------

def _build_cnn(batchnorm, implementation="fused", gradient="auto"):
    def build(params, device, batch):
        from models import mnist_cnn
        return mnist_cnn.build(batchnorm=batchnorm, seed=params.seed, device=device,
                               batch_size=batch, fused_batchnorm=params.fused_batchnorm,
                               towers=params.towers, implementation=implementation,
                               gradient=gradient)
    return build


def _build_lstm(params, device, batch):
    from models import lstm_temperature
    return lstm_temperature.build(batch_size=batch, window=params.length or 20, seed=params.seed,
                                  device=device, implementation=params.lstm_implementation)


def _build_mlp(params, device, batch):
    from models import mlp
    return mlp.build(features=3, seed=params.seed, device=device)


def _build_logistic(params, device, batch):
    from models import logistic_regression
    return logistic_regression.build(features=2, seed=params.seed, device=device)


def _build_laplacian(params, device, batch):
    """The Laplacian's forward graph as a TrainGraph: no targets, no loss, no train op."""
    from models import laplacian
    from tfcore.train import TrainGraph

    graph, image, _, through_layer, _ = laplacian.build(device=device)
    return TrainGraph(graph, inputs=image, predictions=through_layer)


# ---------------------------------------------------------------------------
# The real data
# ---------------------------------------------------------------------------

def _real_mnist():
    from models.mnist_cnn import load
    return load()[0]


def _real_temperature():
    from models.lstm_temperature import prepare
    split = prepare()[-1]
    return split["x_train"], split["y_train"]


def _real_classification(kind):
    def load():
        from tfcore.data import classification
        return classification(kind)[0]
    return load


def _real_face():
    from tfcore.data import load_face
    return load_face(gray=True).astype(np.float32)[None, :, :, None], None


# ---------------------------------------------------------------------------
# The tf-keras twins (the peer): same layers, initialisers, loss and optimizer
# ---------------------------------------------------------------------------

def _keras_cnn(batchnorm):
    """The MNIST CNN in tf-keras; with batchnorm, BatchNormalization before each activation."""
    def peer(keras, batch, jit_compile):
        layers_ = keras.layers

        def hidden(layer, layers):
            layers += [layer, layers_.BatchNormalization(), layers_.Activation("relu")] \
                if batchnorm else [layer]

        def dropout(rate, layers):
            if not batchnorm:
                layers.append(layers_.Dropout(rate))

        act = None if batchnorm else "relu"
        conv = lambda filters: layers_.Conv2D(filters, 3, padding="same", activation=act)  # noqa: E731
        pool = lambda: layers_.AveragePooling2D(2, padding="same")  # noqa: E731
        layers = [layers_.InputLayer(input_shape=(28, 28, 1), batch_size=batch)]
        dropout(0.25, layers)
        hidden(conv(16), layers)
        dropout(0.5, layers)
        hidden(conv(16), layers)
        dropout(0.5, layers)
        layers.append(pool())
        hidden(conv(32), layers)
        layers.append(pool())
        hidden(conv(64), layers)
        dropout(0.5, layers)
        layers += [pool(), layers_.Flatten()]
        hidden(layers_.Dense(512, activation=act), layers)
        dropout(0.5, layers)
        layers.append(layers_.Dense(10, activation="softmax"))
        model = keras.Sequential(layers)
        model.compile(keras.optimizers.legacy.Adam(1e-3, decay=1e-5), "categorical_crossentropy",
                      metrics=["accuracy"], jit_compile=jit_compile)
        return model
    return peer


def _keras_lstm(keras, batch, jit_compile, length=None):
    model = keras.Sequential([
        keras.layers.LSTM(8, stateful=True, batch_input_shape=(batch, length or 20, 1)),
        keras.layers.Dense(1)])
    model.compile(keras.optimizers.legacy.Adam(1e-3, decay=1e-4), "mse", jit_compile=jit_compile)
    return model


def _keras_mlp(keras, batch, jit_compile):
    model = keras.Sequential([keras.layers.InputLayer(input_shape=(3,)),
                              keras.layers.Dense(50, activation="tanh"),
                              keras.layers.Dense(1, activation="sigmoid")])
    # tfcore minimises the sum of squares over the batch (the chapter's "L2 loss").
    model.compile(keras.optimizers.legacy.SGD(0.025), keras.losses.MeanSquaredError(reduction="sum"),
                  metrics=["accuracy"], jit_compile=jit_compile)
    return model


def _keras_logistic(keras, batch, jit_compile):
    model = keras.Sequential([keras.layers.InputLayer(input_shape=(2,)),
                              keras.layers.Dense(1, kernel_initializer="zeros",
                                                 bias_initializer="zeros")])
    model.compile(keras.optimizers.legacy.SGD(0.025), keras.losses.BinaryCrossentropy(from_logits=True),
                  metrics=[keras.metrics.BinaryAccuracy(threshold=0.0)], jit_compile=jit_compile)
    return model


def _keras_laplacian(keras, batch, jit_compile):
    from models.laplacian import LAPLACIAN

    model = keras.Sequential([keras.layers.InputLayer(input_shape=(768, 1024, 1), batch_size=1),
                              keras.layers.Conv2D(1, 3, padding="same", use_bias=False)])
    model.layers[0].set_weights([LAPLACIAN.reshape(3, 3, 1, 1)])
    model.compile(jit_compile=jit_compile)
    return model


# ---------------------------------------------------------------------------
# The PyTorch twins (`--peer torch`): same layers, Keras's initialisers where it
# matters little for timing aside, same loss, Adam with Keras's epsilon 1e-7 and
# its time decay lr / (1 + decay * step) as a LambdaLR schedule. PyTorch adds
# epsilon to sqrt(v_hat), Keras 2 to sqrt(v): the same arithmetic per step.
# ---------------------------------------------------------------------------

def _torch_adam(torch, module, learning_rate, decay):
    optimizer = torch.optim.Adam(module.parameters(), lr=learning_rate, eps=1e-7)
    schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: 1.0 / (1.0 + decay * step))
    return optimizer, schedule


def _torch_cnn(batchnorm):
    """The MNIST CNN in PyTorch (NCHW, as PyTorch's kernels want); logits + cross-entropy."""
    def twin(torch, batch):
        nn = torch.nn

        def hidden(layer, channels):
            return [layer, nn.BatchNorm2d(channels, eps=1e-3, momentum=0.01), nn.ReLU()] \
                if batchnorm else [layer, nn.ReLU()]

        def dropout(rate):
            return [] if batchnorm else [nn.Dropout(rate)]

        conv = lambda cin, cout: nn.Conv2d(cin, cout, 3, padding=1)  # noqa: E731
        pool = lambda: nn.AvgPool2d(2, ceil_mode=True)  # noqa: E731  (SAME: 7 -> 4)
        dense = [nn.Linear(1024, 512), nn.BatchNorm1d(512, eps=1e-3, momentum=0.01), nn.ReLU()] \
            if batchnorm else [nn.Linear(1024, 512), nn.ReLU()]
        module = nn.Sequential(
            *dropout(0.25), *hidden(conv(1, 16), 16), *dropout(0.5), *hidden(conv(16, 16), 16),
            *dropout(0.5), pool(), *hidden(conv(16, 32), 32), pool(), *hidden(conv(32, 64), 64),
            *dropout(0.5), pool(), nn.Flatten(), *dense, *dropout(0.5), nn.Linear(512, 10))
        return (module, nn.CrossEntropyLoss()) + _torch_adam(torch, module, 1e-3, 1e-5)
    return twin


def _torch_stateful_lstm(torch):
    """Stateful LSTM(8) + Dense(1): the last (h, c) of a batch starts the next one."""
    nn = torch.nn

    class StatefulLSTM(nn.Module):
        def __init__(self):
            super().__init__()
            self.lstm, self.dense, self.state = nn.LSTM(1, 8, batch_first=True), nn.Linear(8, 1), None

        def reset_states(self):
            self.state = None

        def forward(self, x):
            out, state = self.lstm(x, self.state)
            self.state = tuple(s.detach() for s in state)  # carried over, not back-propagated
            return self.dense(out[:, -1])

    return StatefulLSTM()


def _torch_lstm(torch, batch):
    module = _torch_stateful_lstm(torch)
    return (module, torch.nn.MSELoss()) + _torch_adam(torch, module, 1e-3, 1e-4)


def _torch_mlp(torch, batch):
    nn = torch.nn
    module = nn.Sequential(nn.Linear(3, 50), nn.Tanh(), nn.Linear(50, 1), nn.Sigmoid())
    optimizer = torch.optim.SGD(module.parameters(), lr=0.025)
    return module, nn.MSELoss(reduction="sum"), optimizer, None


def _torch_logistic(torch, batch):
    nn = torch.nn
    module = nn.Linear(2, 1)
    nn.init.zeros_(module.weight)
    nn.init.zeros_(module.bias)
    return module, nn.BCEWithLogitsLoss(), torch.optim.SGD(module.parameters(), lr=0.025), None


def _torch_laplacian(torch, batch):
    from models.laplacian import LAPLACIAN

    module = torch.nn.Conv2d(1, 1, 3, padding=1, bias=False)
    with torch.no_grad():
        module.weight.copy_(torch.as_tensor(LAPLACIAN, dtype=torch.float32).reshape(1, 1, 3, 3))
    return module, None, None, None


# ---------------------------------------------------------------------------
# The registry
# ---------------------------------------------------------------------------

_MNIST = dict(x=((28, 28, 1), ("uniform", 0.0, 1.0)), y=((10,), ("one_hot",)), real=_real_mnist,
              batch=256, epoch=60000, towers=True, epoch_steps_cap=16)
# The CNNs' 60,000-image epoch (235 steps) would take minutes per side: 16 steps are timed.
# The CNN's readable variants have no tf-keras twin: each is reported beside the fast
# `mnist_cnn`, which a run that asks for a variant always times too (params.py). Their
# steps take several times the fast one's (2-5x on this CPU): 4 steps make their epoch.
_MNIST_VARIANT = dict(_MNIST, epoch_steps_cap=4, variant_of="mnist_cnn")

MODELS = {spec.name: spec for spec in (
    ModelSpec("mnist_cnn", _build_cnn(False), peer=_keras_cnn(False), torch=_torch_cnn(False), **_MNIST,
              description="the chapter's MNIST CNN (dropout)"),
    ModelSpec("mnist_cnn_patches", _build_cnn(False, "patches"), **_MNIST_VARIANT,
              description="the CNN, convolutions and pools from image patches (im2col), "
                          "automatic gradients"),
    ModelSpec("mnist_cnn_manual", _build_cnn(False, "patches", "manual"), **_MNIST_VARIANT,
              description="the patches CNN with every hand-derived gradient: conv, pool, dense, "
                          "dropout, softmax cross-entropy"),
    ModelSpec("mnist_cnn_bn", _build_cnn(True), peer=_keras_cnn(True), torch=_torch_cnn(True), **_MNIST,
              description="the CNN with batch norm before each activation, no dropout"),
    ModelSpec("lstm_temperature", _build_lstm, x=((20, 1), ("uniform", -1.0, 1.0)),
              y=((1,), ("uniform", -1.0, 1.0)), real=_real_temperature, batch=20, epoch=1400,
              peer=_keras_lstm, torch=_torch_lstm, stateful=True, in_graph_epoch=True, recurrent=True,
              description="stateful LSTM, 8 units, windows of 20 scaled anomalies"),
    ModelSpec("mlp", _build_mlp, x=((3,), ("normal", 0.0, 1.0)), y=((1,), ("integers", 0, 2)),
              real=_real_classification("mlp"), batch=50, epoch=800, peer=_keras_mlp, torch=_torch_mlp,
              in_graph_epoch=True, description="Dense 50 tanh, Dense 1 sigmoid"),
    ModelSpec("logistic_regression", _build_logistic, x=((2,), ("normal", 0.0, 1.0)),
              y=((1,), ("integers", 0, 2)), real=_real_classification("logistic"), batch=500,
              epoch=500, peer=_keras_logistic, torch=_torch_logistic, in_graph_epoch=True,
              description="logistic regression on two features"),
    ModelSpec("laplacian", _build_laplacian, x=((768, 1024, 1), ("integers", 0, 256)), y=None,
              real=_real_face, batch=1, epoch=1, peer=_keras_laplacian, torch=_torch_laplacian,
              single_batch=True,
              description="a 768x1024 grey image convolved with the discrete Laplacian"),
)}


def variants(name):
    """The readable variants of model `name`: the models registered with `variant_of=name`."""
    return [spec.name for spec in MODELS.values() if spec.variant_of == name]


def get(name):
    """The ModelSpec of `name`; a KeyError names the registered models."""
    try:
        return MODELS[name]
    except KeyError:
        raise KeyError("no model %r in the benchmark's registry; registered: %s"
                       % (name, ", ".join(MODELS))) from None
