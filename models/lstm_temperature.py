"""Forecasting global temperature anomalies with a stateful LSTM.

The monthly GCAG series (NOAA, via the `global-temp` data package), scaled to
(-1, 1) with a min-max scaler. The chapter's protocol, each part a flag:

    months 1880-01 ... 2016-12 (1,644 values); keep the first 1,600
    windows of 20 values -> the 21st value (1,580 windows)
    the first 1,400 windows train, the other 180 validate

    h_t = LSTM(8)(x_1 ... x_20)          stateful, batch 20, no shuffling
    y^  = h_20 w + b                    one linear output
    loss = mean (y - y^)^2              Adam lr 0.001, decay 1e-4; 100 epochs

Stateful: row k of batch b+1 is the window 20 months after row k of batch b,
so the LSTM's final state for one batch is the right initial state for the
next. The state is reset at the start of every epoch and before evaluating
or predicting (the chapter's code never reset it).

Reported: validation MSE on the scaled series (the chapter: 0.010) and in
degrees C squared, against persistence (predict the window's last value).
"""

import argparse

import numpy as np

import tfcore
from models import common
from tfcore import cli, losses, optimizers, train
from tfcore.data import DataError, load_global_temp, make_windows, scale_series, unscale_series
from tfcore.data.global_temp import parse_month
from tfcore.layers import LSTM, Dense


def network(batch_size=20, units=8, implementation="block"):
    """The layers, made once; returns `forward(x, training) -> prediction`."""
    lstm = LSTM(units, stateful=True, batch_size=batch_size, implementation=implementation)
    output = Dense(1)

    def forward(x, training):
        return output(lstm(x, training=training))

    return forward


def build(batch_size=20, window=20, units=8, learning_rate=1e-3, decay=1e-4, seed=0,
          device=None, implementation="block"):
    """The graph: a stateful LSTM(8) over the window, then Dense(1); MSE, Adam."""
    graph = tfcore.new_graph(seed=seed)
    with graph.as_default(), common.device_scope(device):
        x = tfcore.placeholder((batch_size, window, 1), name="window")
        y = tfcore.placeholder((batch_size, 1), name="next_value")
        return train.assemble(graph, x, y, network(batch_size, units, implementation),
                              losses.mean_squared_error, optimizers.Adam(learning_rate, decay=decay),
                              switch=None)


def prepare(data_dir=None, start="1880-01", end="2016-12", keep=1600, window=20, train_windows=1400):
    """The chapter's arrays: scaled windows split in train and validation, and the scaler."""
    dates, values = load_global_temp(data_dir, source="gcag", start=start, end=end)
    values, dates = values[:keep], dates[:keep]
    scaled, scaler = scale_series(values)
    x, y = make_windows(scaled, window)
    split = {"x_train": x[:train_windows], "y_train": y[:train_windows],
             "x_val": x[train_windows:], "y_val": y[train_windows:]}
    return dates, values, scaled, scaler, split


def mse(a, b):
    return float(np.mean((np.asarray(a, np.float64) - np.asarray(b, np.float64)) ** 2))


def month(text):
    """argparse type: a 'YYYY-MM' month."""
    try:
        parse_month(text)
    except ValueError as err:
        raise argparse.ArgumentTypeError(str(err)) from None
    return text


def parse_args(argv):
    """The flags, checked: the windows must split into training and validation parts."""
    p = common.parser("lstm_temperature", __doc__.splitlines()[0], epochs=100, batch_size=20)
    p.add_argument("--start", type=month, default="1880-01", help="first month, YYYY-MM")
    p.add_argument("--end", type=month, default="2016-12", help="last month, YYYY-MM")
    p.add_argument("--keep", type=cli.positive_int, default=1600, help="use the first N months")
    p.add_argument("--window", type=cli.positive_int, default=20)
    p.add_argument("--train-windows", type=cli.positive_int, default=1400)
    p.add_argument("--units", type=cli.positive_int, default=8)
    p.add_argument("--implementation", default="block", choices=("block", "unroll", "while"))
    p.add_argument("--steps-per-run", type=cli.non_negative_int, default=0,
                   help="training steps per session run (fit's steps_per_run); 0 (default): "
                        "the whole epoch in one run, the same training with ~70x fewer runs")
    args = common.parse(p, argv, quick={"epochs": 10})
    if not 0 < args.train_windows < args.keep - args.window:
        p.error("--train-windows %d must leave validation windows: --keep %d months give %d windows "
                "of --window %d" % (args.train_windows, args.keep, args.keep - args.window, args.window))
    return p, args


def load(p, args):
    """The series and its windows; a bad month range or batch size is a usage error."""
    try:
        prepared = prepare(args.data_dir, args.start, args.end, args.keep, args.window,
                           args.train_windows)
    except ValueError as err:
        if isinstance(err, DataError):
            raise
        p.error(str(err))  # --start/--end outside the series, or after one another
    d = prepared[-1]
    for part in ("train", "val"):
        n = len(d["x_" + part])
        if n % args.batch_size:
            p.error("%d %s windows are not a multiple of the batch size %d (a stateful model "
                    "needs full batches)" % (n, part, args.batch_size))
    return prepared


def main(argv=None):
    p, args = parse_args(argv)
    dates, values, scaled, scaler, d = load(p, args)
    model = build(args.batch_size, args.window, args.units, seed=args.seed, device=args.device,
                  implementation=args.implementation)
    # The step is tiny (0.2 MFLOP): a session run's fixed cost dominates, so run many per run.
    steps_per_run = args.steps_per_run or len(d["x_train"]) // args.batch_size
    with tfcore.session(graph=model.graph) as sess:
        history = common.fit(args, model, sess, d["x_train"], d["y_train"], epochs=args.epochs,
                            batch_size=args.batch_size, shuffle=False,
                            validation_data=(d["x_val"], d["y_val"]), seed=args.seed,
                            progress=args.progress, checkpoint_dir=common.checkpoint_dir(args),
                            steps_per_run=steps_per_run)
        fit_train = train.predict(model, sess, d["x_train"], args.batch_size)
        forecast = train.predict(model, sess, d["x_val"], args.batch_size)
    persistence = d["x_val"][:, -1, :]
    to_celsius = lambda a: unscale_series(a, scaler)  # noqa: E731
    results = {
        "val_mse_scaled": mse(forecast, d["y_val"]),
        "persistence_val_mse_scaled": mse(persistence, d["y_val"]),
        "val_mse_celsius2": mse(to_celsius(forecast), to_celsius(d["y_val"])),
        "persistence_val_mse_celsius2": mse(to_celsius(persistence), to_celsius(d["y_val"])),
        "train_mse_scaled": mse(fit_train, d["y_train"]),
        "months": [dates[0], dates[-1], len(values)],
        "windows": {"train": len(d["x_train"]), "validation": len(d["x_val"])},
    }
    print("validation MSE %.4f scaled (%.4f degC^2); persistence %.4f scaled (%.4f degC^2)"
          % (results["val_mse_scaled"], results["val_mse_celsius2"],
             results["persistence_val_mse_scaled"], results["persistence_val_mse_celsius2"]))
    plot_forecast(args, dates, values, d, fit_train, forecast, to_celsius)
    common.plot_history(history.history, args.out, metrics=("loss",))
    common.write_metrics(args.out, results, history.history, common.settings(args))
    return results


def plot_forecast(args, dates, values, d, fit_train, forecast, to_celsius):
    """Three panels: the series, the training fit, the validation forecast beside persistence."""
    plt = common.pyplot()
    persistence = d["x_val"][:, -1, :]
    months = np.arange(len(values))
    first_target = args.window  # window i predicts month i + window
    train_months = months[first_target:first_target + len(fit_train)]
    val_months = months[first_target + len(fit_train):first_target + len(fit_train) + len(forecast)]
    years = lambda m: 1880 + m / 12.0 if args.start == "1880-01" else m  # noqa: E731
    fig, axes = plt.subplots(3, 1, figsize=(11, 9))
    axes[0].plot(years(months), values, lw=0.7)
    axes[0].set_title("GCAG monthly anomaly %s .. %s (degC)" % (dates[0], dates[-1]))
    axes[1].plot(years(train_months), to_celsius(d["y_train"]).ravel(), lw=0.7, label="observed")
    axes[1].plot(years(train_months), to_celsius(fit_train).ravel(), lw=0.7, label="LSTM")
    axes[1].set_title("training fit")
    axes[2].plot(years(val_months), to_celsius(d["y_val"]).ravel(), "o-", ms=2, lw=0.7, label="observed")
    axes[2].plot(years(val_months), to_celsius(forecast).ravel(), "s-", ms=2, lw=0.7, label="LSTM")
    axes[2].plot(years(val_months), to_celsius(persistence).ravel(), lw=0.7, alpha=0.6, label="persistence")
    axes[2].set_title("validation forecast (one month ahead)")
    for ax in axes:
        ax.grid(alpha=0.3)
        ax.set_ylabel("degC")
    for ax in axes[1:]:
        ax.legend()
    fig.tight_layout()
    common.save_figure(fig, args.out, "forecast")

if __name__ == "__main__":
    common.cli(main)
