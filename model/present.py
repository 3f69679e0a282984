"""Presentation primitives shared by every text and notebook view of a result.

Plain text: :func:`fit_table` lays out a table that fits a width (100 columns by default) by
splitting its value columns into panels that repeat the key columns, as pandas does for wide
frames; :func:`wrap` fills prose to the same width. ``width=None`` means one wide table.

Notebooks: :func:`html_table` and three small figures drawn as inline SVG in pure Python
(:func:`svg_lines`, :func:`svg_intervals`, :func:`svg_histogram`), so that ``_repr_html_`` of
results, sweep summaries and predictions shows a figure without matplotlib (the core never
imports it). Every string that comes from data is escaped.
"""

from __future__ import annotations

import html
import math
import re
import textwrap
from collections.abc import Sequence

__all__ = ["WIDTH", "fit_table", "wrap", "html_table", "svg_lines", "svg_intervals", "svg_histogram",
           "pct", "pts"]

#: The default width of text output (columns).
WIDTH = 100

_NBSP = "\u00a0"
_COLOURS = ("#4477aa", "#ee6677", "#228833", "#ccbb44", "#66ccee", "#aa3377")


def pct(x: float | None, digits: int = 1) -> str:
    """``x`` (a fraction) as a percentage, ``-`` when missing."""
    return "-" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.{digits}%}"


def pts(x: float | None, digits: int = 1) -> str:
    """``x`` (a difference of fractions) in signed percentage points, e.g. ``+4.2 pts``."""
    return "-" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{100 * x:+.{digits}f} pts"


def wrap(text: str, width: int | None = WIDTH, indent: str = "", subsequent: str | None = None) -> list[str]:
    """``text`` filled to ``width`` columns (never breaking words or paths); ``None``: one line."""
    text = " ".join(text.split())
    if width is None:
        return [indent + text]
    # keep `code spans` (commands) on one line
    text = re.sub(r"`[^`]*`", lambda m: m.group(0).replace(" ", _NBSP), text)
    lines = textwrap.wrap(text, width=width, initial_indent=indent,
                          subsequent_indent=indent if subsequent is None else subsequent,
                          break_long_words=False, break_on_hyphens=False) or [indent]
    return [line.replace(_NBSP, " ") for line in lines]


def fit_table(header: Sequence[str], rows: Sequence[Sequence[str]], *, keys: int = 1, width: int | None = WIDTH,
              indent: int = 2, gap: int = 2, left: Sequence[int] = (0,)) -> list[str]:
    """A text table that fits ``width`` columns.

    Args:
        header: column labels.
        rows: cells, already formatted as text.
        keys: the first ``keys`` columns identify a row; they are repeated in every panel when the
            value columns must be split to fit.
        width: the width to fit (None: one table however wide).
        indent: spaces before every line.
        gap: spaces between columns.
        left: indices of left-aligned columns (others are right-aligned).

    Returns:
        The lines (panels separated by one empty line).
    """
    ncol = len(header)
    cells = [[str(c) for c in r] for r in rows]
    widths = [max([len(header[j])] + [len(r[j]) for r in cells]) for j in range(ncol)]

    def line(cols: list[int], values: Sequence[str]) -> str:
        parts = [values[j].ljust(widths[j]) if j in left else values[j].rjust(widths[j]) for j in cols]
        return (" " * indent + (" " * gap).join(parts)).rstrip()

    key_cols = list(range(min(keys, ncol)))
    value_cols = list(range(len(key_cols), ncol))
    panels: list[list[int]] = []
    if width is None:
        panels = [value_cols]
    else:
        base = indent + sum(widths[j] + gap for j in key_cols)
        current: list[int] = []
        used = base
        for j in value_cols:
            extra = widths[j] + (gap if current else 0)
            if current and used + extra > width:
                panels.append(current)
                current, used = [], base
                extra = widths[j]
            current.append(j)
            used += extra
        panels.append(current)
    out: list[str] = []
    for i, panel in enumerate(panels):
        if i:
            out.append("")
        cols = key_cols + panel
        out.append(line(cols, header))
        out += [line(cols, r) for r in cells]
    return out


# ---------------------------------------------------------------------- HTML and SVG
def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def html_table(header: Sequence[str], rows: Sequence[Sequence[object]], *, caption: str = "") -> str:
    """A small HTML table (cells escaped; the first column left-aligned, the rest right)."""
    cap = f"<caption style='text-align:left'>{_e(caption)}</caption>" if caption else ""
    head = "".join(f"<th style='text-align:{'left' if j == 0 else 'right'}'>{_e(h)}</th>"
                   for j, h in enumerate(header))
    body = "".join("<tr>" + "".join(f"<td style='text-align:{'left' if j == 0 else 'right'}'>{_e(c)}</td>"
                                    for j, c in enumerate(r)) + "</tr>" for r in rows)
    return f"<table>{cap}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _finite(values) -> list[float]:
    return [float(v) for v in values if v is not None and math.isfinite(float(v))]


def _svg(width: int, height: int, body: str, title: str) -> str:
    return (f"<svg xmlns='http://www.w3.org/2000/svg' width='{width}' height='{height}' "
            f"viewBox='0 0 {width} {height}' role='img' aria-label='{_e(title)}' "
            f"style='font-family:sans-serif;font-size:10px'><title>{_e(title)}</title>{body}</svg>")


def _fmt_tick(v: float) -> str:
    return f"{v:.0%}" if 0 <= v <= 1 else f"{v:g}"


def svg_lines(xs: Sequence[float], series: dict[str, Sequence[float]], *, title: str, xlabel: str = "",
              hlines: dict[str, float] | None = None, ylim: tuple[float, float] | None = None,
              width: int = 360, height: int = 160) -> str:
    """Lines of ``series`` over ``xs`` with labelled horizontal reference lines (``hlines``)."""
    ml, mr, mt, mb = 38, 90, 16, 26
    pw, ph = width - ml - mr, height - mt - mb
    vals = _finite([v for s in series.values() for v in s] + list((hlines or {}).values()))
    lo, hi = ylim if ylim else ((min(vals), max(vals)) if vals else (0.0, 1.0))
    if hi - lo < 1e-9:
        lo, hi = lo - 0.01, hi + 0.01
    x0, x1 = (min(xs), max(xs)) if len(xs) else (0, 1)
    x1 = x1 if x1 > x0 else x0 + 1

    def sx(x):
        return ml + (x - x0) / (x1 - x0) * pw

    def sy(y):
        return mt + (hi - y) / (hi - lo) * ph

    parts = [f"<rect x='{ml}' y='{mt}' width='{pw}' height='{ph}' fill='none' stroke='#ccc'/>"]
    for t in (lo, (lo + hi) / 2, hi):
        parts.append(f"<text x='{ml - 3}' y='{sy(t) + 3:.1f}' text-anchor='end'>{_e(_fmt_tick(t))}</text>")
    parts.append(f"<text x='{ml}' y='{height - 4}'>{_e(f'{x0:g}')}</text>")
    parts.append(f"<text x='{ml + pw}' y='{height - 4}' text-anchor='end'>{_e(f'{x1:g}')}</text>")
    if xlabel:
        parts.append(f"<text x='{ml + pw / 2}' y='{height - 4}' text-anchor='middle'>{_e(xlabel)}</text>")
    for i, (name, y) in enumerate((hlines or {}).items()):
        if y is None or not math.isfinite(y) or not lo <= y <= hi:
            continue
        parts.append(f"<line x1='{ml}' x2='{ml + pw}' y1='{sy(y):.1f}' y2='{sy(y):.1f}' stroke='#888' "
                     f"stroke-dasharray='{'4 3' if i == 0 else '1 2'}'/>")
        parts.append(f"<text x='{ml + pw + 4}' y='{sy(y) + 3:.1f}' fill='#555'>{_e(name)}</text>")
    for i, (name, ys) in enumerate(series.items()):
        pts_ = " ".join(f"{sx(x):.1f},{sy(y):.1f}" for x, y in zip(xs, ys, strict=True)
                        if y is not None and math.isfinite(y))
        colour = _COLOURS[i % len(_COLOURS)]
        parts.append(f"<polyline fill='none' stroke='{colour}' stroke-width='2' points='{pts_}'/>")
        if len(ys):
            parts.append(f"<text x='{ml + pw + 4}' y='{sy(ys[-1]) - 4:.1f}' fill='{colour}'>{_e(name)}</text>")
    return _svg(width, height, "".join(parts), title)


def svg_intervals(rows: Sequence[tuple[str, float, float, float]], *, title: str, ref: float | None = None,
                  xlim: tuple[float, float] = (0.0, 1.0), width: int = 420, row_height: int = 18) -> str:
    """A dot-and-whisker chart: one row ``(label, estimate, low, high)`` each, with a reference line."""
    ml, mr, mt, mb = 150, 20, 8, 22
    pw = width - ml - mr
    height = mt + mb + row_height * max(1, len(rows))
    lo, hi = xlim

    def sx(x):
        return ml + (min(max(x, lo), hi) - lo) / (hi - lo) * pw

    parts = [f"<rect x='{ml}' y='{mt}' width='{pw}' height='{height - mt - mb}' fill='none' stroke='#ccc'/>"]
    for t in (lo, (lo + hi) / 2, hi):
        parts.append(f"<text x='{sx(t):.1f}' y='{height - 6}' text-anchor='middle'>{_e(_fmt_tick(t))}</text>")
    if ref is not None:
        parts.append(f"<line x1='{sx(ref):.1f}' x2='{sx(ref):.1f}' y1='{mt}' y2='{height - mb}' stroke='#888' "
                     "stroke-dasharray='4 3'/>")
    for i, (label, est, a, b) in enumerate(rows):
        y = mt + row_height * (i + 0.5)
        parts.append(f"<text x='{ml - 6}' y='{y + 3:.1f}' text-anchor='end'>{_e(label)}</text>")
        if all(v is not None and math.isfinite(v) for v in (a, b)):
            parts.append(f"<line x1='{sx(a):.1f}' x2='{sx(b):.1f}' y1='{y:.1f}' y2='{y:.1f}' stroke='#4477aa' "
                         "stroke-width='2'/>")
        if est is not None and math.isfinite(est):
            parts.append(f"<circle cx='{sx(est):.1f}' cy='{y:.1f}' r='3.5' fill='#4477aa'/>")
    return _svg(width, height, "".join(parts), title)


def svg_histogram(values: Sequence[float], *, title: str, xlabel: str = "", bins: int = 20,
                  marks: dict[str, float] | None = None, band: tuple[float, float] | None = None,
                  width: int = 360, height: int = 150) -> str:
    """A histogram of ``values`` with a shaded ``band`` (e.g. the 90% interval) and labelled ``marks``."""
    ml, mr, mt, mb = 10, 10, 22, 26
    pw, ph = width - ml - mr, height - mt - mb
    vals = _finite(values)
    extra = _finite(list((marks or {}).values()) + list(band or ()))
    lo, hi = (min(vals + extra), max(vals + extra)) if vals else (0.0, 1.0)
    if hi - lo < 1e-9:
        lo, hi = lo - 0.005, hi + 0.005
    counts = [0] * bins
    for v in vals:
        counts[min(bins - 1, int((v - lo) / (hi - lo) * bins))] += 1
    top = max(counts) or 1

    def sx(x):
        return ml + (x - lo) / (hi - lo) * pw

    parts = []
    if band is not None:
        parts.append(f"<rect x='{sx(band[0]):.1f}' y='{mt}' width='{max(0.5, sx(band[1]) - sx(band[0])):.1f}' "
                     f"height='{ph}' fill='#ddeeff'/>")
    bw = pw / bins
    for k, c in enumerate(counts):
        h = c / top * ph
        parts.append(f"<rect x='{ml + k * bw + 0.5:.1f}' y='{mt + ph - h:.1f}' width='{max(0.5, bw - 1):.1f}' "
                     f"height='{h:.1f}' fill='#4477aa'/>")
    for i, (name, x) in enumerate((marks or {}).items()):
        if x is None or not math.isfinite(x):
            continue
        parts.append(f"<line x1='{sx(x):.1f}' x2='{sx(x):.1f}' y1='{mt - 2}' y2='{mt + ph}' stroke='#222' "
                     f"stroke-dasharray='{'4 3' if i else 'none'}'/>")
        parts.append(f"<text x='{sx(x):.1f}' y='{mt - 6 - 10 * (i % 2)}' text-anchor='middle'>{_e(name)}</text>")
    parts.append(f"<text x='{ml}' y='{height - 4}'>{_e(_fmt_tick(lo))}</text>")
    parts.append(f"<text x='{ml + pw}' y='{height - 4}' text-anchor='end'>{_e(_fmt_tick(hi))}</text>")
    if xlabel:
        parts.append(f"<text x='{ml + pw / 2}' y='{height - 4}' text-anchor='middle'>{_e(xlabel)}</text>")
    return _svg(width, height, "".join(parts), title)
