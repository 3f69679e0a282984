"""Draw a :class:`~runoff_abm.viz.charts.Chart` as inline SVG (a string; a few milliseconds).

The page shows charts as SVG markup built here on the server: sharp at any screen resolution,
no JavaScript, no charting library, nothing from a CDN, and cheap enough that thirty sessions
stepping at once do not queue behind one another's drawings (the PNG figures they replace took
~0.25 s each). Hover values are SVG ``<title>`` elements (a column per day on line charts); the
image has ``role="img"`` and the chart's one-sentence summary as its accessible name, and the
numbers are offered as an HTML table beside it (:func:`table_html`).

Text cannot reflow inside an SVG that scales, so each chart is drawn three times — at a wide
(:data:`WIDE`), a medium (:data:`MEDIUM`) and a narrow (:data:`NARROW`) layout width with the
same font size — and CSS container queries in the page show the one that fits the chart's
column (:func:`chart_html`): labels stay between ~11 and ~15 px from a 390-px phone to a wide
screen. Every piece of text comes from
scenario data that a user may have uploaded, so all of it is escaped.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence

from runoff_abm.viz.charts import Axis, Chart, Panel

__all__ = ["escape", "WIDE", "MEDIUM", "NARROW", "LAYOUTS", "render", "chart_html", "table_html", "legend_html", "key_html", "text_width"]

WIDE = 960
MEDIUM = 700
NARROW = 380
#: The layouts drawn for the page: (CSS class suffix, layout width).
LAYOUTS = (("wide", WIDE), ("medium", MEDIUM), ("narrow", NARROW))
FONT = 13
BADGE_R = 9
BADGE_STEP = 20
FONT_FAMILY = "system-ui, -apple-system, 'Segoe UI', Roboto, 'DejaVu Sans', sans-serif"


def escape(text) -> str:
    """``text`` escaped for HTML and SVG (every text shown may come from an uploaded file)."""
    return html.escape(str(text), quote=True)


_e = escape


def text_width(text: str, size: float = FONT) -> float:
    """Approximate width of ``text`` in pixels at font ``size`` (sans-serif, average glyph)."""
    return 0.57 * size * len(text)


def _cut(text: str, width: float, size: float = FONT) -> str:
    """``text`` shortened with an ellipsis to fit ``width`` pixels."""
    if text_width(text, size) <= width:
        return text
    keep = max(1, int(width / (0.57 * size)) - 1)
    return text[:keep] + "…"


def _num(v: float) -> str:
    return f"{v:.1f}".rstrip("0").rstrip(".") if math.isfinite(v) else "0"


class _Frame:
    """The pixel frame of one panel and its coordinate maps."""

    def __init__(self, panel: Panel, left: float, top: float, width: float, height: float):
        self.panel, self.left, self.top, self.width, self.height = panel, left, top, width, height

    def x(self, v: float) -> float:
        ax = self.panel.x
        span = (ax.high - ax.low) or 1.0
        return self.left + (v - ax.low) / span * self.width

    def y(self, v: float) -> float:
        ay = self.panel.y
        span = (ay.high - ay.low) or 1.0
        f = (v - ay.low) / span
        return self.top + (f if ay.reverse else 1 - f) * self.height


def _thin(ticks: Sequence[tuple[float, str]], positions: Sequence[float], min_gap: float) -> list[int]:
    """Indices of ticks to label so that labels are at least ``min_gap`` apart (every k-th)."""
    if len(ticks) < 2:
        return list(range(len(ticks)))
    for k in range(1, len(ticks) + 1):
        keep = list(range(0, len(ticks), k))
        if all(abs(positions[j] - positions[i]) >= min_gap for i, j in zip(keep, keep[1:], strict=False)):
            return keep
    return [0]


def _star(cx: float, cy: float, r: float) -> str:
    pts = []
    for k in range(10):
        rad = r if k % 2 == 0 else r * 0.45
        ang = -math.pi / 2 + k * math.pi / 5
        pts.append(f"{_num(cx + rad * math.cos(ang))},{_num(cy + rad * math.sin(ang))}")
    return " ".join(pts)


def _y_label_width(panel: Panel) -> float:
    if not panel.show_y or not panel.y.ticks:
        return 0.0
    return max(text_width(t) for _, t in panel.y.ticks)


def _layout(chart: Chart, width: int) -> tuple[list[_Frame], float, int]:
    """Frames of the panels, the top of the first plot, and the total height."""
    side = chart.side_by_side and width >= 600 and len(chart.panels) > 1
    stack = _badge_stack(chart)
    top0 = 6 + (stack * BADGE_STEP + 6 if stack else 0)
    frames: list[_Frame] = []
    scale = 1.0 if width >= 600 else 0.9
    if side:
        n = len(chart.panels)
        col = (width - 8) / n
        height = chart.height * scale
        total = 0
        for i, p in enumerate(chart.panels):
            y_title = 20 if p.y.title and p.show_y else 0
            lw = min(_y_label_width(p), 0.42 * col)
            left = i * col + 6 + y_title + (lw + 8 if p.show_y and p.y.ticks else 6)
            title_h = 20 if p.title else 0
            frames.append(_Frame(p, left, top0 + title_h, col - (left - i * col) - 14, height))
            bottom = (22 + (18 if p.x.title else 0)) if p.show_x else 6
            total = max(total, int(top0 + title_h + height + bottom + 4))
        return frames, top0, total
    lw = min(max((_y_label_width(p) for p in chart.panels), default=0), 0.42 * width)
    y_title = 20 if any(p.y.title and p.show_y for p in chart.panels) else 0
    left = 6 + y_title + (lw + 8 if lw else 6)
    plot_w = width - left - 16
    weights = sum(p.weight for p in chart.panels) or 1.0
    total_h = chart.height * scale
    y = float(top0)
    for i, p in enumerate(chart.panels):
        title_h = 20 if p.title else 0
        h = total_h * p.weight / weights
        frames.append(_Frame(p, left, y + title_h, plot_w, h))
        y += title_h + h
        last = i == len(chart.panels) - 1
        if p.show_x:
            y += 22 + (18 if p.x.title else 0) + (0 if last else 10)
        else:
            y += 12
    return frames, top0, int(y + 6)


def _badge_stack(chart: Chart) -> int:
    per_x: dict[float, int] = {}
    for b in chart.badges:
        per_x[b.x] = per_x.get(b.x, 0) + 1
    return max(per_x.values(), default=0)


def _axes(out: list[str], f: _Frame) -> None:
    p = f.panel
    bottom = f.top + f.height
    # grid and y ticks
    if p.y.ticks and p.show_y:
        positions = [f.y(v) for v, _ in p.y.ticks]
        keep = range(len(p.y.ticks)) if p.y.categorical else _thin(p.y.ticks, positions, FONT * 1.3)
        room = f.left - 8 - (20 if p.y.title else 0) - 4
        for i in keep:
            v, label = p.y.ticks[i]
            yy = positions[i]
            if not p.y.categorical:
                out.append(f'<line x1="{_num(f.left)}" x2="{_num(f.left + f.width)}" y1="{_num(yy)}" y2="{_num(yy)}" '
                           f'stroke="#e3e3e3" stroke-width="1"/>')
            out.append(f'<text x="{_num(f.left - 6)}" y="{_num(yy + FONT * 0.35)}" text-anchor="end" '
                       f'fill="#2b2b2b">{_e(_cut(label, max(room, 30)))}</text>')
    elif p.y.ticks and not p.y.categorical:
        for v, _ in p.y.ticks:
            yy = f.y(v)
            out.append(f'<line x1="{_num(f.left)}" x2="{_num(f.left + f.width)}" y1="{_num(yy)}" y2="{_num(yy)}" '
                       f'stroke="#e3e3e3" stroke-width="1"/>')
    out.append(f'<line x1="{_num(f.left)}" x2="{_num(f.left + f.width)}" y1="{_num(bottom)}" y2="{_num(bottom)}" '
               f'stroke="#8a8a8a" stroke-width="1"/>')
    if not p.y.categorical:
        out.append(f'<line x1="{_num(f.left)}" x2="{_num(f.left)}" y1="{_num(f.top)}" y2="{_num(bottom)}" '
                   f'stroke="#8a8a8a" stroke-width="1"/>')
    if p.y.title and p.show_y:
        cx, cy = f.left - _y_label_width_clamped(f) - 18, f.top + f.height / 2
        out.append(f'<text transform="translate({_num(cx)},{_num(cy)}) rotate(-90)" text-anchor="middle" '
                   f'fill="#2b2b2b">{_e(_cut(p.y.title, f.height))}</text>')
    if p.title:
        out.append(f'<text x="{_num(f.left)}" y="{_num(f.top - 7)}" fill="#1a1a1a" font-weight="600">'
                   f'{escape(_cut(p.title, f.width))}</text>')
    if p.show_x and p.x.ticks:
        positions = [f.x(v) for v, _ in p.x.ticks]
        widest = max(text_width(t) for _, t in p.x.ticks)
        for i in _thin(p.x.ticks, positions, widest + 10):
            v, label = p.x.ticks[i]
            xx = positions[i]
            out.append(f'<line x1="{_num(xx)}" x2="{_num(xx)}" y1="{_num(bottom)}" y2="{_num(bottom + 4)}" '
                       f'stroke="#8a8a8a"/>')
            out.append(f'<text x="{_num(xx)}" y="{_num(bottom + 18)}" text-anchor="middle" fill="#2b2b2b">'
                       f'{_e(label)}</text>')
        if p.x.title:
            out.append(f'<text x="{_num(f.left + f.width / 2)}" y="{_num(bottom + 36)}" text-anchor="middle" '
                       f'fill="#2b2b2b">{_e(_cut(p.x.title, f.width))}</text>')


def _y_label_width_clamped(f: _Frame) -> float:
    return min(_y_label_width(f.panel), max(f.left - 34, 0))


def _dash(dashed: bool) -> str:
    return ' stroke-dasharray="6 4"' if dashed else ""


def _contents(out: list[str], f: _Frame) -> None:
    p = f.panel
    clip_l, clip_r = f.left, f.left + f.width
    for band in p.bands:
        upper = [f"{_num(f.x(x))},{_num(f.y(h))}" for x, h in zip(band.xs, band.highs, strict=True)]
        lower = [f"{_num(f.x(x))},{_num(f.y(lo))}" for x, lo in zip(band.xs[::-1], band.lows[::-1], strict=True)]
        out.append(f'<polygon points="{" ".join(upper + lower)}" fill="{band.colour}" fill-opacity="{band.opacity}">'
                   f'<title>{_e(band.label)}: 90% of runs</title></polygon>')
    for box in p.boxes:
        x0, x1 = sorted((f.x(box.x0), f.x(box.x1)))
        y0, y1 = sorted((f.y(box.y0), f.y(box.y1)))
        x0, x1 = max(x0, clip_l), min(x1, clip_r)
        if x1 - x0 <= 0 or y1 - y0 <= 0:
            continue
        opacity = f' fill-opacity="{box.opacity}"' if box.opacity < 1 else ""
        out.append(f'<rect x="{_num(x0)}" y="{_num(y0)}" width="{_num(x1 - x0)}" height="{_num(y1 - y0)}" '
                   f'fill="{box.colour}"{opacity}><title>{_e(box.label)}</title></rect>')
        if box.text:
            tw = text_width(box.text, 12)
            cy = (y0 + y1) / 2 + 12 * 0.35
            if tw + 6 <= x1 - x0:
                out.append(f'<text x="{_num((x0 + x1) / 2)}" y="{_num(cy)}" text-anchor="middle" font-size="12" '
                           f'fill="{box.text_colour}" pointer-events="none">{_e(box.text)}</text>')
            elif x1 + tw + 6 <= clip_r and box.x0 == 0:
                out.append(f'<text x="{_num(x1 + 4)}" y="{_num(cy)}" font-size="12" fill="#1a1a1a" '
                           f'pointer-events="none">{_e(box.text)}</text>')
    for rule in p.rules:
        if rule.axis == "x":
            if not (p.x.low <= rule.value <= p.x.high):
                continue
            xx = f.x(rule.value)
            out.append(f'<line x1="{_num(xx)}" x2="{_num(xx)}" y1="{_num(f.top)}" y2="{_num(f.top + f.height)}" '
                       f'stroke="{rule.colour}" stroke-width="{rule.width}"{_dash(rule.dashed)}/>')
            if rule.label:
                anchor, dx = ("end", -4) if xx > f.left + f.width * 0.7 else ("start", 4)
                out.append(f'<text x="{_num(xx + dx)}" y="{_num(f.top + 13)}" text-anchor="{anchor}" font-size="12" '
                           f'fill="#1a1a1a">{_e(rule.label)}</text>')
        else:
            if not (min(p.y.low, p.y.high) <= rule.value <= max(p.y.low, p.y.high)):
                continue
            yy = f.y(rule.value)
            out.append(f'<line x1="{_num(f.left)}" x2="{_num(f.left + f.width)}" y1="{_num(yy)}" y2="{_num(yy)}" '
                       f'stroke="{rule.colour}" stroke-width="{rule.width}"{_dash(rule.dashed)}/>')
            if rule.label:
                out.append(f'<text x="{_num(f.left + 4)}" y="{_num(yy - 4)}" font-size="12" fill="#1a1a1a">'
                           f'{_e(rule.label)}</text>')
    for line in p.lines:
        pts = [(f.x(x), f.y(y)) for x, y in zip(line.xs, line.ys, strict=True) if math.isfinite(y)]
        if not pts:
            continue
        if len(pts) > 1:
            out.append(f'<polyline points="{" ".join(f"{_num(x)},{_num(y)}" for x, y in pts)}" fill="none" '
                       f'stroke="{line.colour}" stroke-width="{line.width}" stroke-linejoin="round"{_dash(line.dashed)}>'
                       f'<title>{_e(line.label)}</title></polyline>')
        if line.markers:
            for x, y in pts:
                out.append(f'<circle cx="{_num(x)}" cy="{_num(y)}" r="3.6" fill="{line.colour}" stroke="#ffffff" '
                           f'stroke-width="1"/>')
    for m in p.marks:
        cx, cy = f.x(m.x), f.y(m.y)
        title = f"<title>{_e(m.label)}</title>" if m.label else ""
        r = m.size
        if m.shape == "star":
            out.append(f'<polygon points="{_star(cx, cy, r + 2)}" fill="{m.colour}" stroke="#000000" '
                       f'stroke-width="0.8">{title}</polygon>')
        elif m.shape == "ring":
            out.append(f'<circle cx="{_num(cx)}" cy="{_num(cy)}" r="{_num(r)}" fill="#ffffff" fill-opacity="0.6" '
                       f'stroke="{m.colour}" stroke-width="2.5">{title}</circle>')
        elif m.shape == "diamond":
            out.append(f'<polygon points="{_num(cx)},{_num(cy - r)} {_num(cx + r)},{_num(cy)} {_num(cx)},{_num(cy + r)} '
                       f'{_num(cx - r)},{_num(cy)}" fill="{m.colour}" stroke="#000000" stroke-width="0.8">{title}</polygon>')
        elif m.shape == "tick":
            half = abs(f.y(0.36) - f.y(0)) if p.y.categorical else r
            out.append(f'<line x1="{_num(cx)}" x2="{_num(cx)}" y1="{_num(cy - half - 2)}" y2="{_num(cy + half + 2)}" '
                       f'stroke="{m.colour}" stroke-width="3">{title}</line>')
        else:
            out.append(f'<circle cx="{_num(cx)}" cy="{_num(cy)}" r="{_num(r * 0.7)}" fill="{m.colour}" '
                       f'fill-opacity="0.85">{title}</circle>')
    if p.hovers:
        xs = [f.x(h.x) for h in p.hovers]
        for i, h in enumerate(p.hovers):
            lo = (xs[i - 1] + xs[i]) / 2 if i else max(f.left, xs[i] - (xs[1] - xs[0] if len(xs) > 1 else 20) / 2)
            hi = (xs[i] + xs[i + 1]) / 2 if i + 1 < len(xs) else min(f.left + f.width,
                                                                      xs[i] + (xs[i] - lo))
            out.append(f'<rect class="runoff-hover" x="{_num(lo)}" y="{_num(f.top)}" width="{_num(max(hi - lo, 1))}" '
                       f'height="{_num(f.height)}" fill="#000000" fill-opacity="0"><title>{_e(h.text)}</title></rect>')


def _badges(out: list[str], chart: Chart, frames: list[_Frame]) -> None:
    if not chart.badges:
        return
    first = frames[0]
    per_x: dict[float, int] = {}
    for b in chart.badges:
        per_x[b.x] = per_x.get(b.x, 0) + 1
    stacked: dict[float, int] = {}
    for b in chart.badges:
        if not (first.panel.x.low <= b.x <= first.panel.x.high):
            continue
        dash = "" if b.done else ' stroke-dasharray="2 3"'
        for f in frames:
            xx = f.x(b.x)
            out.append(f'<line x1="{_num(xx)}" x2="{_num(xx)}" y1="{_num(f.top)}" y2="{_num(f.top + f.height)}" '
                       f'stroke="{"#8a8a8a" if b.done else "#c4c4c4"}" stroke-width="1"{dash}/>')
        k = stacked.get(b.x, 0)
        stacked[b.x] = k + 1
        cx, cy = first.x(b.x), first.top - 6 - BADGE_R - (per_x[b.x] - 1 - k) * BADGE_STEP  # first number on top
        fill, stroke, ink = ("#333333", "#333333", "#ffffff") if b.done else ("#ffffff", "#6b6b6b", "#1a1a1a")
        out.append(f'<g class="runoff-badge"><title>{_e(b.label)}</title>'
                   f'<circle cx="{_num(cx)}" cy="{_num(cy)}" r="{BADGE_R}" fill="{fill}" stroke="{stroke}" '
                   f'stroke-width="1.3"/><text x="{_num(cx)}" y="{_num(cy + 4)}" text-anchor="middle" font-size="11" '
                   f'font-weight="700" fill="{ink}">{b.number}</text></g>')


def render(chart: Chart, width: int = WIDE) -> str:
    """The chart as one ``<svg>`` element laid out for ``width`` pixels (scales with its box)."""
    frames, _, height = _layout(chart, width)
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="100%" '
           f'role="img" aria-label="{_e(chart.summary)}" class="runoff-svg" font-size="{FONT}" '
           f'font-family="{FONT_FAMILY}" preserveAspectRatio="xMinYMin meet">']
    for f in frames:
        _axes(out, f)
    _badges(out, chart, frames)
    for f in frames:
        _contents(out, f)
    out.append("</svg>")
    return "".join(out)


def _swatch(kind: str, colour: str) -> str:
    if kind == "dash":
        return f'<span class="runoff-sw runoff-sw-dash" style="border-top-color:{colour}"></span>'
    if kind in ("box", "band"):
        opacity = "0.45" if kind == "band" else "1"
        return f'<span class="runoff-sw runoff-sw-box" style="background:{colour};opacity:{opacity}"></span>'
    if kind == "star":
        return f'<span class="runoff-sw-sym" style="color:{colour}">★</span>'
    if kind == "ring":
        return f'<span class="runoff-sw-sym" style="color:{colour}">○</span>'
    if kind == "tick":
        return f'<span class="runoff-sw-sym" style="color:{colour}">|</span>'
    return f'<span class="runoff-sw runoff-sw-line" style="background:{colour}"></span>'


def legend_html(chart: Chart) -> str:
    """The legend as wrapping HTML (legible at any width)."""
    if not chart.legend:
        return ""
    items = "".join(f'<li>{_swatch(i.kind, i.colour)}{_e(i.label)}</li>' for i in chart.legend)
    return f'<ul class="runoff-legend" aria-label="legend">{items}</ul>'


def key_html(chart: Chart) -> str:
    """The numbered event badges' key as an HTML list."""
    if not chart.key:
        return ""
    items = "".join(f'<li class="{"done" if done else "upcoming"}"><span class="runoff-key-n">{n}</span>'
                    f'<span>{_e(text)}{"" if done else " <em>(not yet)</em>"}</span></li>' for n, text, done in chart.key)
    return f'<ol class="runoff-key" aria-label="events on the time axis">{items}</ol>'


def table_html(header: Sequence[str], rows: Sequence[Sequence[str]], caption: str = "",
               classes: str = "runoff-table") -> str:
    """An HTML table of text cells (escaped)."""
    head = "".join(f"<th scope=\"col\">{_e(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{_e(c)}</td>" for c in row) + "</tr>" for row in rows)
    cap = f"<caption>{_e(caption)}</caption>" if caption else ""
    return f'<table class="{_e(classes)}">{cap}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def chart_html(chart: Chart, layout: str | None = None) -> str:
    """The chart block for the page: legend, the SVG and the numbered event key.

    Args:
        chart: the chart.
        layout: the one layout of :data:`LAYOUTS` to draw (the page knows its width); None draws
            all of them and CSS container queries show the one that fits.
    """
    if layout is not None:
        width = dict(LAYOUTS)[layout]
        drawings = f'<div class="runoff-svg-only">{render(chart, width)}</div>'
    else:
        drawings = "".join(f'<div class="runoff-svg-{name}">{render(chart, width)}</div>' for name, width in LAYOUTS)
    return (f'<div class="runoff-chart runoff-chart-{_e(chart.name)}">{legend_html(chart)}{drawings}'
            f'{key_html(chart)}</div>')


def axis_text(axis: Axis) -> list[str]:
    """The tick labels of an axis (for tests and text alternatives)."""
    return [t for _, t in axis.ticks]
