"""One progress facility for every long job: sweeps, calibration, prediction, replicates, validation.

A :class:`Progress` is a `tqdm <https://tqdm.github.io>`_ bar (tqdm is already a dependency of
Mesa) showing the runs done out of the total, the rate (runs/s) and the time left. It is shown
only where someone is watching: on stderr when stderr is a terminal, or as a notebook widget
inside Jupyter. Anywhere else (a pipe, a log file, a test) and with ``show=False`` (the
command line's ``--quiet``) it draws nothing, so captured output stays byte-identical.

Usage::

    with Progress(total=len(tasks), desc="sweep compliance-x-herzog") as bar:
        for rows in iter_rows(...):
            bar.update(len(rows))
"""

from __future__ import annotations

import os
import shutil
import sys
from typing import IO, Any

__all__ = ["Progress", "visible", "in_notebook"]

#: The widest a bar is drawn (the command line's output fits 100 columns).
MAX_COLUMNS = 100


def in_notebook() -> bool:
    """Whether this process is a Jupyter kernel (IPython already imported and running a kernel)."""
    ipython = sys.modules.get("IPython")
    if ipython is None:
        return False
    try:
        shell = ipython.get_ipython()
    except Exception:  # pragma: no cover - a broken IPython install
        return False
    return shell is not None and "IPKernelApp" in getattr(shell, "config", {})


def _terminal_size(stream: IO[str]) -> tuple[int, int]:
    """(columns, rows) of the terminal ``stream`` writes to, 100 x 24 where unknown or zero."""
    try:
        size = os.get_terminal_size(stream.fileno())
        cols, rows = size.columns, size.lines
    except (AttributeError, OSError, ValueError):
        cols, rows = shutil.get_terminal_size((MAX_COLUMNS, 24))
    return cols or MAX_COLUMNS, rows or 24


def visible(show: bool | None, stream: IO[str] | None = None) -> bool:
    """Whether a bar asked for with ``show`` is drawn: never when ``show`` is False; otherwise
    when ``stream`` (default stderr) is a terminal or the process is a Jupyter kernel."""
    if show is False:
        return False
    stream = stream if stream is not None else sys.stderr
    try:
        tty = bool(stream.isatty())
    except (AttributeError, ValueError):
        tty = False
    return tty or in_notebook()


class Progress:
    """A progress bar for ``total`` units of work (runs, by default).

    Args:
        total: units in the whole job (including those already done, see ``initial``).
        desc: what the job is, e.g. ``"sweep compliance-x-herzog"``.
        unit: the unit's name (``"run"`` -> ``runs/s``).
        initial: units already done (a resumed sweep).
        show: False never draws; True or None draws when someone is watching (see :func:`visible`).
        stream: where to draw (default stderr).
    """

    def __init__(self, total: int, *, desc: str, unit: str = "run", initial: int = 0, show: bool | None = True,
                 stream: IO[str] | None = None):
        self.total = total
        self.done = initial
        self._bar: Any = None
        stream = stream if stream is not None else sys.stderr
        if not visible(show, stream) or total <= 0:
            return
        options: dict[str, Any] = {
            "total": total, "initial": initial, "desc": desc, "unit": f" {unit}s", "mininterval": 0.5,
            "smoothing": 0.1,  # " runs": "6/6 runs [00:02<00:00, 2.9 runs/s]"
            "bar_format": "{desc}: {percentage:3.0f}%|{bar}| {n_fmt}/{total_fmt}{unit} [{elapsed}<{remaining}, "
                          "{rate_fmt}]"}
        if in_notebook():
            from tqdm.auto import tqdm
        else:
            from tqdm import tqdm

            cols, rows = _terminal_size(stream)
            # never wider than the rest of the output; a terminal that reports 0 rows (some
            # pseudo-terminals) would make tqdm hide the bar
            options.update(file=stream, ncols=min(MAX_COLUMNS, cols), nrows=rows)
        self._bar = tqdm(**options)

    @property
    def shown(self) -> bool:
        """Whether the bar is drawn."""
        return self._bar is not None

    def update(self, n: int = 1) -> None:
        """Record ``n`` more units done."""
        self.done += n
        if self._bar is not None:
            self._bar.update(n)

    def close(self) -> None:
        """Finish the bar (leaves its last state on the terminal)."""
        if self._bar is not None:
            self._bar.close()
            self._bar = None

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
