"""The course's pictures: chapter code draws them, this module decides where they go.

A chapter draws with matplotlib's object API (no pyplot, so no window and no
backend to choose) and saves by name:

    from tfcore.learn import figures
    fig = figures.new(ncols=2, width=8, height=3)
    fig.axes[0].plot(x, y)
    figures.save(fig, "05_window.png")

and links it in its Markdown as `![what it shows](figures/05_window.png)`.

`save` writes into `directory()`: the folder the runner chose with
`writing_to(path)` (the chapters' own `figures/` folder when regenerating, a
temporary one in tests, `--figures DIR` for a learner), otherwise
`./figures` under the current directory, so a learner running an installed
course never writes into site-packages. Every name saved is recorded in
`saved`, so the course test can check that each figure a chapter links to was
drawn by that chapter's code during the run.
"""

from __future__ import annotations

import contextlib
import pathlib
from typing import TYPE_CHECKING, Any, Iterator

if TYPE_CHECKING:  # for the hints only: matplotlib is imported when a figure is drawn
    from matplotlib.figure import Figure

_directory: str | pathlib.Path | None = None
saved: list[str] = []


def directory() -> pathlib.Path:
    """Where `save` writes now (created on first use)."""
    return pathlib.Path(_directory) if _directory is not None else pathlib.Path.cwd() / "figures"


@contextlib.contextmanager
def writing_to(path: str | pathlib.Path) -> Iterator[list[str]]:
    """Within the block, figures go to `path`; `saved` lists only the block's figures."""
    global _directory
    previous, previous_saved = _directory, list(saved)
    _directory = path
    saved.clear()
    try:
        yield saved
    finally:
        _directory = previous
        saved[:] = previous_saved


def new(nrows: int = 1, ncols: int = 1, width: float = 6.0, height: float = 4.0,
        **subplot_kw: Any) -> Figure:
    """A matplotlib Figure with a grid of axes (`fig.axes`), no pyplot involved."""
    from matplotlib.figure import Figure  # imported here: `import tfcore` must stay light

    fig = Figure(figsize=(width, height), layout="constrained")
    fig.subplots(nrows, ncols, squeeze=False, subplot_kw=subplot_kw or None)
    return fig


def save(fig: Figure, name: str) -> pathlib.Path:
    """Write `fig` as `name` (a PNG) into `directory()`; returns the path."""
    if "/" in name or "\\" in name or not name.endswith(".png"):
        raise ValueError("a figure's name is a plain file name ending in .png, got %r" % (name,))
    folder = directory()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    # No timestamp or version in the file: the same drawing gives the same bytes.
    fig.savefig(path, dpi=100, metadata={"Software": None})
    saved.append(name)
    return path
