"""PNG export of a chart: the same :class:`~runoff_abm.viz.charts.Chart` the page shows as SVG,
drawn with matplotlib (Agg) only when a user asks for a PNG.

The page never rasterises figures (that cost ~0.25 s per figure per session and queued a whole
class behind one another's drawings); this module runs only on an explicit *Export PNG*, on its
own Agg canvas (no pyplot, no global figure registry), one drawing at a time.
"""

from __future__ import annotations

import io
import textwrap
import threading

from matplotlib.artist import Artist
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Rectangle

from runoff_abm.viz.charts import Chart, Panel

__all__ = ["chart_figure", "chart_png"]

_MARKERS = {"circle": "o", "ring": "o", "star": "*", "diamond": "D", "tick": "|"}
#: Matplotlib is not thread-safe; exports take turns (no session data is held).
_DRAWING = threading.Lock()


def _axes(ax, p: Panel) -> None:
    ax.set_xlim(p.x.low, p.x.high)
    lo, hi = (p.y.high, p.y.low) if p.y.reverse else (p.y.low, p.y.high)
    ax.set_ylim(lo, hi)
    if p.x.ticks:
        ax.set_xticks([v for v, _ in p.x.ticks], [t for _, t in p.x.ticks] if p.show_x else [""] * len(p.x.ticks))
    if p.y.ticks:
        ax.set_yticks([v for v, _ in p.y.ticks], [t for _, t in p.y.ticks] if p.show_y else [""] * len(p.y.ticks))
    else:
        ax.set_yticks([])
    if p.x.title and p.show_x:
        ax.set_xlabel(p.x.title, fontsize=9)
    if p.y.title and p.show_y:
        ax.set_ylabel(p.y.title, fontsize=9)
    if p.title:
        ax.set_title(p.title, fontsize=9, loc="left")
    ax.tick_params(labelsize=8)
    if not p.y.categorical:
        ax.grid(axis="y", alpha=0.3)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)


def _draw(ax, p: Panel) -> None:
    for band in p.bands:
        ax.fill_between(band.xs, band.lows, band.highs, color=band.colour, alpha=band.opacity, lw=0)
    for box in p.boxes:
        ax.add_patch(Rectangle(
            (min(box.x0, box.x1), min(box.y0, box.y1)), abs(box.x1 - box.x0), abs(box.y1 - box.y0),
            color=box.colour, alpha=box.opacity, lw=0))
        if box.text:
            ax.text((box.x0 + box.x1) / 2, (box.y0 + box.y1) / 2, box.text, ha="center", va="center", fontsize=7,
                    color=box.text_colour)
    for rule in p.rules:
        style = {"color": rule.colour, "lw": rule.width, "ls": "--" if rule.dashed else "-"}
        if rule.axis == "x":
            ax.axvline(rule.value, **style)
            if rule.label:
                ax.annotate(rule.label, (rule.value, 1), xycoords=("data", "axes fraction"), xytext=(3, -10),
                            textcoords="offset points", fontsize=7)
        else:
            ax.axhline(rule.value, **style)
            if rule.label:
                ax.annotate(rule.label, (0, rule.value), xycoords=("axes fraction", "data"), xytext=(3, 3),
                            textcoords="offset points", fontsize=7)
    for line in p.lines:
        ax.plot(line.xs, line.ys, color=line.colour, lw=line.width, ls="--" if line.dashed else "-",
                marker="o" if line.markers else None, ms=3.5, label=line.label)
    for m in p.marks:
        marker = _MARKERS.get(m.shape, "o")
        face = "white" if m.shape == "ring" else m.colour
        ax.plot([m.x], [m.y], ls="", marker=marker, ms=m.size * (1.6 if m.shape == "star" else 1.0), mfc=face,
                mec=m.colour if m.shape in ("ring", "tick") else "black", mew=2 if m.shape in ("ring", "tick") else 0.6)


def chart_figure(chart: Chart) -> Figure:
    """A matplotlib Figure of ``chart`` (title, legend, panels, event badges and key)."""
    key_lines = [textwrap.shorten(f"{n}  {text}", 110, placeholder="…") for n, text, _ in chart.key]
    side = chart.side_by_side and len(chart.panels) > 1
    plot_h = chart.height / 100 * 1.15
    legend_rows = -(-len(chart.legend) // 4)
    per_x: dict[float, int] = {}
    for b in chart.badges:
        per_x[b.x] = per_x.get(b.x, 0) + 1
    head = 0.4 + 0.22 * legend_rows + 0.2 * max(per_x.values(), default=0) + 0.1
    height = head + 0.45 + plot_h + 0.18 * len(key_lines)
    fig = Figure(figsize=(8.4, height), dpi=150, layout=None)
    FigureCanvasAgg(fig)
    top = 1 - head / height
    bottom = (0.45 + 0.18 * len(key_lines)) / height
    widest = max((len(t) for p in chart.panels if p.show_y for _, t in p.y.ticks), default=4)
    fig.subplots_adjust(left=min(0.45, (0.062 * widest + 0.55) / 8.4),
                        right=0.97, top=top, bottom=bottom, hspace=0.12 if not side else 0.3, wspace=0.35)
    n = len(chart.panels)
    if side:
        axes = fig.subplots(1, n, squeeze=False)[0]
    else:
        axes = fig.subplots(n, 1, squeeze=False, height_ratios=[p.weight for p in chart.panels])[:, 0]
    for ax, p in zip(axes, chart.panels, strict=True):
        _axes(ax, p)
        _draw(ax, p)
    if chart.badges:
        first = axes[0]
        stacked: dict[float, int] = {}
        for b in chart.badges:
            k = per_x[b.x] - 1 - stacked.get(b.x, 0)  # the first number on top
            stacked[b.x] = stacked.get(b.x, 0) + 1
            for ax in axes:
                ax.axvline(b.x, color="#888" if b.done else "#ccc", lw=0.8, ls="-" if b.done else ":", zorder=0)
            first.annotate(str(b.number), (b.x, 1), xycoords=("data", "axes fraction"), xytext=(0, 6 + 13 * k),
                           textcoords="offset points", ha="center", va="bottom", fontsize=7, fontweight="bold",
                           color="white" if b.done else "#222",
                           bbox={"boxstyle": "circle,pad=0.25", "fc": "#333" if b.done else "white", "ec": "#555"})
    handles: list[Artist] = []
    for item in chart.legend:
        if item.kind in ("box", "band"):
            handles.append(Patch(color=item.colour, alpha=0.45 if item.kind == "band" else 1, label=item.label))
        elif item.kind in ("star", "ring", "tick"):
            handles.append(Line2D([], [], ls="", marker=_MARKERS[item.kind], color=item.colour,
                                  mfc="white" if item.kind == "ring" else item.colour, ms=8, label=item.label))
        else:
            handles.append(Line2D([], [], color=item.colour, ls="--" if item.kind == "dash" else "-", label=item.label))
    if handles:
        fig.legend(handles=handles, loc="upper left", bbox_to_anchor=(0.02, 1 - 0.36 / height), ncols=min(4, len(handles)),
                   fontsize=7, frameon=False)
    fig.suptitle(textwrap.shorten(chart.title, 110, placeholder="…"), x=0.02, ha="left", fontsize=10)
    for i, line in enumerate(key_lines):
        fig.text(0.02, (0.1 + 0.18 * (len(key_lines) - 1 - i)) / height, line, fontsize=7)
    return fig


def chart_png(chart: Chart) -> bytes:
    """``chart`` as PNG bytes (150 dpi)."""
    with _DRAWING:
        fig = chart_figure(chart)
        out = io.BytesIO()
        fig.savefig(out, format="png")
        return out.getvalue()
