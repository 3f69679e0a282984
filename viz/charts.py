"""Chart specifications: what each view draws, as plain data, built from snapshots and results.

A :class:`Chart` says what to draw — panels with axes (ranges and ticks already chosen, the
share axis zoomed to the data), lines, bands, marks, boxes, reference rules, numbered event
badges with their key, a legend — and carries its own text alternative: a one-sentence
:attr:`Chart.summary` and the numbers as a table. Two renderers draw the same spec:
:mod:`runoff_abm.viz.svg` (inline SVG in the page: sharp at any resolution, hover values,
accessible, no JavaScript and no CDN) and :mod:`runoff_abm.viz.figures` (a PNG, only when a user
exports one). So what is exported is what is shown.

The builders (``*_chart``) take immutable data (a :class:`~runoff_abm.viz.session.Snapshot`,
experiment results) and never a model. Colours: finalist A blue, finalist B red, staying home
grey, turnout green.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

__all__ = ["Axis", "Line", "Band", "Mark", "Box", "Rule", "Badge", "Hover", "Panel", "LegendItem", "Chart",
           "nice_ticks", "zoomed", "percent_axis", "day_axis", "COLOR_A", "COLOR_B", "COLOR_HOME", "COLOR_TURNOUT",
           "COLOR_PIN", "projection_chart", "voters_chart", "camps_chart", "sectors_chart", "replicates_chart",
           "comparison_chart", "event_key"]

COLOR_A = "#1f5fa8"
COLOR_B = "#b8323c"
COLOR_HOME = "#b9b9b9"
COLOR_TURNOUT = "#2e7d32"
COLOR_PIN = "#6b4c9a"
COLOR_OBSERVED = "#111111"
COLOR_RULE = "#777777"


# --------------------------------------------------------------------------- primitives
@dataclass(frozen=True)
class Axis:
    """An axis: its range, its ticks (value, text) and its title.

    Attributes:
        reverse: draw ``low`` at the top (categories listed top-down).
        categorical: ticks are category labels (no grid, never thinned).
    """

    low: float
    high: float
    ticks: tuple[tuple[float, str], ...] = ()
    title: str = ""
    reverse: bool = False
    categorical: bool = False


@dataclass(frozen=True)
class Line:
    """A series drawn as a line (with point markers unless ``markers`` is False)."""

    label: str
    colour: str
    xs: tuple[float, ...]
    ys: tuple[float, ...]
    dashed: bool = False
    markers: bool = True
    width: float = 2.0


@dataclass(frozen=True)
class Band:
    """A shaded band between ``lows`` and ``highs`` along ``xs``."""

    label: str
    colour: str
    xs: tuple[float, ...]
    lows: tuple[float, ...]
    highs: tuple[float, ...]
    opacity: float = 0.18


@dataclass(frozen=True)
class Mark:
    """One point: ``shape`` is circle, ring, star, diamond or tick; ``label`` is its hover text."""

    x: float
    y: float
    colour: str
    shape: str = "circle"
    label: str = ""
    size: float = 6.0


@dataclass(frozen=True)
class Box:
    """A rectangle in data coordinates, with hover text and an optional text inside it."""

    x0: float
    x1: float
    y0: float
    y1: float
    colour: str
    label: str = ""
    text: str = ""
    text_colour: str = "#ffffff"
    opacity: float = 1.0


@dataclass(frozen=True)
class Rule:
    """A reference line across a panel at ``value`` on the ``axis`` ("x" or "y")."""

    axis: str
    value: float
    colour: str = COLOR_RULE
    dashed: bool = True
    label: str = ""
    width: float = 1.0


@dataclass(frozen=True)
class Badge:
    """A numbered event marker above the first panel at day ``x`` (filled once it happened)."""

    x: float
    number: int
    done: bool
    label: str


@dataclass(frozen=True)
class Hover:
    """Hover text for everything drawn at ``x`` (a column of the panel)."""

    x: float
    text: str


@dataclass(frozen=True)
class Panel:
    """One plot area: two axes and what is drawn in it."""

    x: Axis
    y: Axis
    lines: tuple[Line, ...] = ()
    bands: tuple[Band, ...] = ()
    marks: tuple[Mark, ...] = ()
    boxes: tuple[Box, ...] = ()
    rules: tuple[Rule, ...] = ()
    hovers: tuple[Hover, ...] = ()
    title: str = ""
    weight: float = 1.0
    show_x: bool = True
    show_y: bool = True


@dataclass(frozen=True)
class LegendItem:
    """A legend entry; ``kind`` is line, dash, box, star, ring or band."""

    label: str
    colour: str
    kind: str = "line"


@dataclass(frozen=True)
class Chart:
    """A whole chart and its text alternative.

    Attributes:
        name: a short name (CSS class ``runoff-chart-NAME``, export file names).
        title: the heading shown above it.
        summary: one or two sentences with the key numbers (the accessible name of the image).
        panels: stacked top to bottom (side by side on wide screens when ``side_by_side``).
        legend: legend entries.
        badges: numbered event markers (the first panel's top; their rules cross every panel).
        key: the badges' key: (number, text, done).
        header, rows: the numbers as a table (the text alternative and the CSV export).
        height: the plot height in pixels at the wide width.
    """

    name: str
    title: str
    summary: str
    panels: tuple[Panel, ...]
    legend: tuple[LegendItem, ...] = ()
    badges: tuple[Badge, ...] = ()
    key: tuple[tuple[int, str, bool], ...] = ()
    header: tuple[str, ...] = ()
    rows: tuple[tuple[str, ...], ...] = ()
    height: int = 300
    side_by_side: bool = False
    notes: tuple[str, ...] = field(default=())


# --------------------------------------------------------------------------- axes
def nice_ticks(low: float, high: float, target: int = 5) -> list[float]:
    """About ``target`` round tick values (1-2-5 steps) within [low, high]."""
    if not (math.isfinite(low) and math.isfinite(high)) or high <= low:
        return [low]
    raw = (high - low) / max(target, 1)
    exponent = math.floor(math.log10(raw))
    step = 10.0 ** exponent
    for m in (1, 2, 2.5, 5, 10):
        if m * 10.0 ** exponent >= raw:
            step = m * 10.0 ** exponent
            break
    first = math.ceil(low / step - 1e-9) * step
    out = []
    v = first
    while v <= high + 1e-9 * step:
        out.append(round(v, 10))
        v += step
    return out


def zoomed(values: Sequence[float], *, min_span: float = 4.0, pad: float = 0.12, floor: float | None = None,
           ceiling: float | None = None) -> tuple[float, float]:
    """A range around ``values`` (NaNs ignored) with ``pad`` of the span on each side, at least
    ``min_span`` wide, clipped to [floor, ceiling]."""
    finite = [float(v) for v in values if v is not None and math.isfinite(float(v))]
    if not finite:
        lo, hi = 0.0, 100.0
    else:
        lo, hi = min(finite), max(finite)
    span = max(hi - lo, min_span)
    mid = (lo + hi) / 2
    lo, hi = mid - span / 2 - pad * span, mid + span / 2 + pad * span
    if floor is not None and lo < floor:
        hi, lo = min(hi + (floor - lo), ceiling if ceiling is not None else math.inf), floor
    if ceiling is not None and hi > ceiling:
        lo, hi = max(lo - (hi - ceiling), floor if floor is not None else -math.inf), ceiling
    return lo, hi


def _fmt(v: float, decimals: int = 0) -> str:
    return f"{v:.{decimals}f}"


def percent_axis(values: Sequence[float], title: str, *, min_span: float = 4.0, target: int = 5) -> Axis:
    """A percent axis (values already in percent) zoomed to ``values``."""
    lo, hi = zoomed(values, min_span=min_span, floor=0.0, ceiling=100.0)
    ticks = nice_ticks(lo, hi, target)
    step = ticks[1] - ticks[0] if len(ticks) > 1 else 1.0
    decimals = 0 if abs(step - round(step)) < 1e-9 else 1
    return Axis(lo, hi, tuple((t, _fmt(t, decimals) + "%") for t in ticks), title)


def day_axis(election_day: int, title: str | None = None) -> Axis:
    """Campaign days 0 (round 1) to the runoff."""
    return Axis(-0.45, election_day + 0.45, tuple((d, str(d)) for d in range(election_day + 1)),
                title if title is not None else f"day (round 1 = 0, runoff = {election_day})")


def _pct(x: float | None, decimals: int = 1) -> str:
    if x is None or not math.isfinite(x):
        return "–"
    return f"{100 * x:.{decimals}f}%"


# --------------------------------------------------------------------------- events
def event_key(scheduled: Sequence[tuple[int, str, str]], today: int) -> tuple[tuple[Badge, ...],
                                                                              tuple[tuple[int, str, bool], ...]]:
    """Numbered badges and their key for the scenario's events (day, short label, description),
    numbered from 1 in day order (as the event editor lists them)."""
    badges, key = [], []
    for k, (day, _short, text) in enumerate(scheduled, start=1):
        done = day <= today
        badges.append(Badge(x=day, number=k, done=done, label=f"{k}. day {day}: {text}"))
        key.append((k, f"day {day}: {text}", done))
    return tuple(badges), tuple(key)


# --------------------------------------------------------------------------- (b) projection
def projection_chart(snap, pinned=None) -> Chart:
    """Projected shares and turnout by day so far; the observed runoff and the simulated result
    on election day; numbered event badges; optionally a pinned run's share of A for comparison.

    Args:
        snap: a :class:`~runoff_abm.viz.session.Snapshot`.
        pinned: a :class:`~runoff_abm.viz.state.RunRecord` to draw beside (its share of A), or None.
    """
    a, b = snap.finalists
    daily = snap.daily
    days = tuple(int(d) for d in daily["day"])
    sa = tuple(100 * float(x) for x in daily["projected_share_a"])
    sb = tuple(100 * float(x) for x in daily["projected_share_b"])
    tu = tuple(100 * float(x) for x in daily["projected_turnout"])
    e = snap.election_day
    share_values = list(sa) + list(sb)
    turnout_values = list(tu) + [100 * snap.round1_turnout]
    marks, t_marks = [], []
    obs = snap.observed
    if snap.result is not None:
        for name, colour in ((a, COLOR_A), (b, COLOR_B)):
            v = 100 * snap.result.shares[name]
            share_values.append(v)
            marks.append(Mark(e, v, colour, "ring", f"simulated runoff: {name} {v:.1f}%", 8))
    if obs:
        for name, colour in ((a, COLOR_A), (b, COLOR_B)):
            v = 100 * obs["shares"][name]
            share_values.append(v)
            marks.append(Mark(e, v, colour, "star", f"observed runoff: {name} {v:.1f}%", 9))
        if obs.get("turnout") is not None:
            v = 100 * obs["turnout"]
            turnout_values.append(v)
            t_marks.append(Mark(e, v, COLOR_TURNOUT, "star", f"observed turnout {v:.1f}%", 9))
    lines = [Line(a, COLOR_A, days, sa), Line(b, COLOR_B, days, sb)]
    legend = [LegendItem(a, COLOR_A), LegendItem(b, COLOR_B)]
    if pinned is not None and pinned.daily_share_a:
        ps = tuple(100 * x for x in pinned.daily_share_a)
        share_values += list(ps)
        lines.insert(0, Line(f"pinned: {a}", COLOR_PIN, tuple(range(len(ps))), ps, dashed=True, markers=False))
        legend.append(LegendItem(f"pinned run ({a})", COLOR_PIN, "dash"))
    if obs:
        legend.append(LegendItem("observed runoff", COLOR_OBSERVED, "star"))
    if snap.result is not None:
        legend.append(LegendItem("simulated runoff", "#444444", "ring"))
    share_axis = percent_axis(share_values, "share of the vote")
    rules_share = [Rule("y", 50.0, "#999999", True)] if share_axis.low < 50 < share_axis.high else []
    turnout_axis = percent_axis(turnout_values, "turnout", min_span=6.0, target=4)
    legend += [LegendItem("projected turnout", COLOR_TURNOUT), LegendItem("round-1 turnout", COLOR_TURNOUT, "dash")]
    badges, key = event_key(snap.scheduled, snap.day)
    hovers = tuple(Hover(d, f"day {d}: {a} {x:.1f}%, {b} {y:.1f}%, turnout {t:.1f}%")
                   for d, x, y, t in zip(days, sa, sb, tu, strict=True))
    x = day_axis(e)
    share = Panel(x=x, y=share_axis, lines=tuple(lines), marks=tuple(marks), rules=tuple(rules_share),
                  hovers=hovers, weight=3.0, show_x=False)
    turnout = Panel(x=x, y=turnout_axis, lines=(Line("projected turnout", COLOR_TURNOUT, days, tu),),
                    marks=tuple(t_marks), hovers=hovers, weight=2.0,
                    rules=(Rule("y", 100 * snap.round1_turnout, COLOR_TURNOUT, True, "round 1"),))
    today = f"day {snap.day}"
    summary = (f"Projected share of {a} by day: {sa[0]:.1f}% on day 0"
               + (f", {sa[-1]:.1f}% on {today}" if len(sa) > 1 else "")
               + (f"; simulated runoff {100 * snap.result.shares[a]:.1f}%" if snap.result is not None else "")
               + (f"; observed runoff {100 * obs['shares'][a]:.1f}%" if obs else "")
               + f". Projected turnout {tu[-1]:.1f}% (round 1: {100 * snap.round1_turnout:.1f}%).")
    rows = tuple((str(d), f"{x:.1f}%", f"{y:.1f}%", f"{t:.1f}%") for d, x, y, t in zip(days, sa, sb, tu, strict=True))
    title = (f"Projection by day: the expected result if the vote were held that day (day {snap.day} of {e})"
             if snap.result is None else f"The campaign day by day and the runoff (day {e})")
    return Chart(name="projection", title=title, summary=summary, panels=(share, turnout), legend=tuple(legend),
                 badges=badges, key=key, header=("day", f"{a} (projected)", f"{b} (projected)", "turnout (projected)"),
                 rows=rows, height=330)


# --------------------------------------------------------------------------- voters (what changes)
def _group_label(name: str, finalists: Sequence[str]) -> str:
    if name == "abstained":
        return "round-1 abstainers"
    if name == "blank":
        return "blank in round 1"
    return f"{name}'s voters" + (" (finalist)" if name in finalists else "")


def voters_chart(snap) -> Chart:
    """Where each round-1 group is heading: the expected split of its members between the two
    finalists and staying home today (after the vote: where they went), with day 0 marked."""
    a, b = snap.finalists
    f = snap.flows
    labels = [_group_label(n, snap.finalists) for n in f.labels]
    boxes, marks, rows = [], [], []
    when = "in the runoff" if f.actual else f"expected on day {snap.day}"
    for i in range(len(f.labels)):
        n = float(f.members[i])
        if n <= 0:
            rows.append((labels[i], "0", "–", "–", "–"))
            continue
        parts = [(f.to_a[i] / n, COLOR_A, a), (f.to_b[i] / n, COLOR_B, b), (f.home[i] / n, COLOR_HOME, "stay home")]
        x0 = 0.0
        for share, colour, what in parts:
            x1 = x0 + 100 * share
            text = f"{100 * share:.0f}%" if share >= 0.09 else ""
            boxes.append(Box(x0, x1, i - 0.36, i + 0.36, colour,
                             f"{labels[i]}: {100 * share:.1f}% {('to ' + what) if what != 'stay home' else what} "
                             f"({when}; {share * n:,.0f} of {n:,.0f})", text,
                             "#1a1a1a" if colour == COLOR_HOME else "#ffffff"))
            x0 = x1
        if f.day0 is not None and not f.actual:
            start = 100 * f.day0[i]
            marks.append(Mark(start, i, "#111111", "tick", f"{labels[i]}: {start:.1f}% to {a} on day 0", 10))
        rows.append((labels[i], f"{n:,.0f}", f"{f.to_a[i]:,.0f} ({_pct(f.to_a[i] / n, 0)})",
                     f"{f.to_b[i]:,.0f} ({_pct(f.to_b[i] / n, 0)})", f"{f.home[i]:,.0f} ({_pct(f.home[i] / n, 0)})"))
    k = len(labels)
    y = Axis(-0.6, k - 0.4, tuple((i, lbl) for i, lbl in enumerate(labels)), reverse=True, categorical=True)
    x = Axis(0, 100, tuple((t, f"{t:.0f}%") for t in (0, 25, 50, 75, 100)), "share of the round-1 group")
    panel = Panel(x=x, y=y, boxes=tuple(boxes), marks=tuple(marks), rules=(Rule("x", 50.0, "#555555", True),))
    eliminated = [i for i, n in enumerate(f.labels) if n not in snap.finalists and n not in ("blank", "abstained")
                  and f.members[i] > 0]
    groups = [f"{labels[i]}: {_pct(f.to_a[i] / f.members[i], 0)} {a}, {_pct(f.to_b[i] / f.members[i], 0)} {b}, "
             f"{_pct(f.home[i] / f.members[i], 0)} stay home" for i in eliminated]
    summary = (f"Where each round-1 group is going ({when}). " + "; ".join(groups) + ".") if groups else \
        f"Where each round-1 group is going ({when})."
    legend: tuple[LegendItem, ...] = (LegendItem(a, COLOR_A, "box"), LegendItem(b, COLOR_B, "box"),
                                      LegendItem("stay home", COLOR_HOME, "box"))
    if f.day0 is not None and not f.actual:
        legend += (LegendItem(f"day 0: share to {a}", "#111111", "tick"),)
    title = ("Where each round-1 group went in the runoff" if f.actual
             else f"Where each round-1 group is heading (expected if the vote were held on day {snap.day})")
    return Chart(name="voters", title=title, summary=summary, panels=(panel,), legend=legend,
                 header=("round-1 group", "members", a, b, "stay home"), rows=tuple(rows),
                 height=max(180, 34 * k + 20))


def camps_chart(snap) -> Chart:
    """Activists in each finalist's camp and contractors instructing for each finalist, by day."""
    a, b = snap.finalists
    d = snap.daily
    days = tuple(int(x) for x in d["day"])
    act_a, act_b = tuple(float(x) for x in d["activists_a"]), tuple(float(x) for x in d["activists_b"])
    con_a, con_b = tuple(float(x) for x in d["contractors_a"]), tuple(float(x) for x in d["contractors_b"])
    x = day_axis(snap.election_day)
    top_a = max(act_a + act_b + (1.0,))
    ya = Axis(0, top_a * 1.12, tuple((t, f"{t:,.0f}") for t in nice_ticks(0, top_a * 1.12, 4)), "activists")
    n_contractors = max(int(snap.n_contractors), 1)
    yc = Axis(-0.3, n_contractors + 0.3, tuple((t, f"{t:.0f}") for t in nice_ticks(0, n_contractors, 4)
                                               if float(t).is_integer()), "brokers")
    hovers = tuple(Hover(dd, f"day {dd}: activists {a} {p:,.0f}, {b} {q:,.0f}; brokers for {a} {r:.0f}, for {b} {s:.0f}")
                   for dd, p, q, r, s in zip(days, act_a, act_b, con_a, con_b, strict=True))
    badges, key = event_key(snap.scheduled, snap.day)
    p1 = Panel(x=x, y=ya, lines=(Line(f"activists for {a}", COLOR_A, days, act_a),
                                 Line(f"activists for {b}", COLOR_B, days, act_b)), hovers=hovers, weight=1.2,
               show_x=False)
    p2 = Panel(x=x, y=yc, lines=(Line(f"brokers for {a}", COLOR_A, days, con_a, dashed=True),
                                 Line(f"brokers for {b}", COLOR_B, days, con_b, dashed=True)), hovers=hovers, weight=1.0)
    summary = (f"Activists in {a}'s camp: {act_a[0]:,.0f} on day 0, {act_a[-1]:,.0f} on day {snap.day}; in {b}'s: "
               f"{act_b[0]:,.0f} then {act_b[-1]:,.0f}. Poll contractors (brokers) instructing their blocs for {a}: "
               f"{con_a[-1]:.0f}, for {b}: {con_b[-1]:.0f} of {snap.n_contractors}.")
    rows = tuple((str(dd), f"{p:,.0f}", f"{q:,.0f}", f"{r:.0f}", f"{s:.0f}")
                 for dd, p, q, r, s in zip(days, act_a, act_b, con_a, con_b, strict=True))
    legend = (LegendItem(f"activists / brokers for {a}", COLOR_A), LegendItem(f"activists / brokers for {b}", COLOR_B),
              LegendItem("brokers (lower panel)", "#555555", "dash"))
    return Chart(name="camps", title="Activist camps and poll contractors (brokers) by day", summary=summary,
                 panels=(p1, p2), legend=legend, badges=badges, key=key,
                 header=("day", f"activists {a}", f"activists {b}", f"brokers for {a}", f"brokers for {b}"),
                 rows=rows, height=280)


# --------------------------------------------------------------------------- (e) sectors
def sectors_chart(snap) -> Chart:
    """By sector: the runoff share of A and turnout after the vote; before it, mean leaning and
    turnout propensity today."""
    a, _ = snap.finalists
    if snap.result is not None:
        t = snap.result.by_sector
        names = [str(s) for s in t["sector"]]
        left = [float(v) for v in t[f"share_{a}"]]
        right = [float(v) for v in t["runoff_turnout"]]
        r1 = [float(v) for v in t["round1_turnout"]]
        left_title, right_title = f"runoff share of {a}", "runoff turnout (tick: round 1)"
    else:
        t = snap.sectors
        names = [str(s) for s in t["sector"]]
        left = [float(v) for v in t["leaning"]]
        right = [float(v) for v in t["propensity"]]
        r1 = None
        left_title, right_title = f"mean leaning toward {a} today", "mean turnout propensity today"
    k = len(names)
    y = Axis(-0.6, k - 0.4, tuple((i, n) for i, n in enumerate(names)), reverse=True, categorical=True)
    x = Axis(0, 100, tuple((v, f"{v:.0f}%") for v in (0, 25, 50, 75, 100)))
    lb, rb, marks, rows = [], [], [], []
    for i, n in enumerate(names):
        lv, rv = left[i], right[i]
        if math.isfinite(lv):
            lb.append(Box(0, 100 * lv, i - 0.34, i + 0.34, COLOR_A if lv >= 0.5 else COLOR_B,
                          f"{n}: {left_title} {_pct(lv)}", f"{100 * lv:.0f}%"))
        if math.isfinite(rv):
            rb.append(Box(0, 100 * rv, i - 0.34, i + 0.34, COLOR_TURNOUT, f"{n}: {right_title} {_pct(rv)}",
                          f"{100 * rv:.0f}%"))
        if r1 is not None and math.isfinite(r1[i]):
            marks.append(Mark(100 * r1[i], i, "#111111", "tick", f"{n}: round-1 turnout {_pct(r1[i])}", 12))
        rows.append((n, _pct(lv), _pct(rv)) + ((_pct(r1[i]),) if r1 is not None else ()))
    p1 = Panel(x=x, y=y, boxes=tuple(lb), rules=(Rule("x", 50.0, "#555555", True),), title=left_title)
    p2 = Panel(x=x, y=y, boxes=tuple(rb), marks=tuple(marks), title=right_title, show_y=True)
    if k and np.isfinite(left).any():
        lo, hi = int(np.nanargmin(left)), int(np.nanargmax(left))
        summary = (f"By sector: {left_title} from {_pct(left[lo], 0)} ({names[lo]}) to {_pct(left[hi], 0)} "
                   f"({names[hi]}).")
    else:
        summary = "By sector."
    header = ("sector", left_title, right_title) + (("round-1 turnout",) if r1 is not None else ())
    return Chart(name="sectors", title="Results by sector" if snap.result is not None else "Sectors today",
                 summary=summary, panels=(p1, p2), header=header, rows=tuple(rows), height=max(160, 30 * k + 30),
                 side_by_side=True)


# --------------------------------------------------------------------------- (g) replicates
def replicates_chart(shares: Sequence[float], low: float, high: float, mean: float, finalists: Sequence[str],
                     observed: float | None, title: str) -> Chart:
    """The distribution of finalist A's share over replicate runs (a histogram), its 90% band,
    its mean and the observed share.

    Args:
        shares: A's share in each run (fractions).
        low: the 5% quantile.
        high: the 95% quantile.
        mean: the mean share.
        finalists: the two finalists.
        observed: the observed share of A (fraction) or None.
        title: the chart's heading (names the run).
    """
    a = finalists[0]
    values = [100 * s for s in shares if math.isfinite(s)]
    extent = values + ([100 * observed] if observed is not None else [])
    lo, hi = zoomed(extent, min_span=3.0, pad=0.08, floor=0.0, ceiling=100.0)
    span = hi - lo
    width = max(0.1, round(span / 16, 1)) if values else 1.0
    start = math.floor(lo / width) * width
    counts: dict[int, int] = {}
    for v in values:
        counts[int((v - start) // width)] = counts.get(int((v - start) // width), 0) + 1
    top = max(counts.values(), default=1)
    boxes = []
    boxes.append(Box(100 * low, 100 * high, 0, top * 1.15, "#9fb8d8", f"90% of runs between {_pct(low)} and "
                     f"{_pct(high)}", "", opacity=0.35))
    for k_bin, n in sorted(counts.items()):
        x0 = start + k_bin * width
        boxes.append(Box(x0 + 0.04 * width, x0 + 0.96 * width, 0, n, COLOR_A,
                         f"{n} run{'s' if n != 1 else ''} with {a} at {x0:.1f}–{x0 + width:.1f}%"))
    rules = [Rule("x", 100 * mean, "#222222", False, f"mean {100 * mean:.1f}%", 1.5)]
    if observed is not None:
        rules.append(Rule("x", 100 * observed, "#111111", True, f"observed {100 * observed:.1f}%", 2.0))
    if lo < 50 < hi:
        rules.append(Rule("x", 50.0, "#999999", True))
    x = Axis(lo, hi, tuple((t, f"{t:g}%") for t in nice_ticks(lo, hi, 6)), f"{a}'s share of the runoff vote")
    y = Axis(0, top * 1.15, tuple((t, f"{t:.0f}") for t in nice_ticks(0, top * 1.15, 4) if float(t).is_integer()),
             "runs")
    panel = Panel(x=x, y=y, boxes=tuple(boxes), rules=tuple(rules))
    summary = (f"{len(values)} runs: {a}'s share between {_pct(low)} and {_pct(high)} in 90% of runs, mean "
               f"{_pct(mean)}" + (f"; observed {_pct(observed)}" if observed is not None else "") + ".")
    legend = (LegendItem("runs (histogram)", COLOR_A, "box"), LegendItem("middle 90% of runs", "#9fb8d8", "band"),
              LegendItem("mean", "#222222", "line")) + \
        ((LegendItem("observed", "#111111", "dash"),) if observed is not None else ())
    rows = tuple((str(i + 1), _pct(s)) for i, s in enumerate(shares))
    return Chart(name="replicates", title=title, summary=summary, panels=(panel,), legend=legend,
                 header=("run", f"share of {a}"), rows=rows, height=230)


# --------------------------------------------------------------------------- (f) compare
def comparison_chart(baseline_daily: Sequence[Sequence[float]] | np.ndarray,
                     counterfactual_daily: Sequence[Sequence[float]] | np.ndarray, differences: np.ndarray,
                     names: tuple[str, str], finalists: Sequence[str], observed: float | None) -> Chart:
    """Baseline vs counterfactual: mean projected share of A by day with 5–95% bands, and the
    paired difference of A's final share, one dot per seed.

    Args:
        baseline_daily: array (runs, days) of A's projected share in the baseline.
        counterfactual_daily: the same for the counterfactual.
        differences: counterfactual minus baseline, A's final share, one per seed (fractions).
        names: the baseline's and the counterfactual's names.
        finalists: the two finalists.
        observed: the observed share of A (fraction) or None.
    """
    a = finalists[0]
    lines, bands, values = [], [], []
    for series, colour, name in ((baseline_daily, "#555555", names[0]), (counterfactual_daily, "#c26a00", names[1])):
        s = 100 * np.asarray(series, dtype=float)
        days = tuple(range(s.shape[1]))
        mean = tuple(float(v) for v in s.mean(axis=0))
        lines.append(Line(name, colour, days, mean))
        values += list(mean)
        if s.shape[0] > 1:
            q5, q95 = np.quantile(s, 0.05, axis=0), np.quantile(s, 0.95, axis=0)
            bands.append(Band(name, colour, days, tuple(float(v) for v in q5), tuple(float(v) for v in q95)))
            values += list(q5) + list(q95)
    e = len(days) - 1
    marks = []
    if observed is not None:
        marks.append(Mark(e, 100 * observed, COLOR_OBSERVED, "star", f"observed runoff: {a} {100 * observed:.1f}%", 9))
        values.append(100 * observed)
    p1 = Panel(x=day_axis(e, "day"), y=percent_axis(values, f"share of {a}"), lines=tuple(lines), bands=tuple(bands),
               marks=tuple(marks), title=f"projected share of {a}: mean, 90% band")
    d = 100 * np.asarray(differences, dtype=float)
    lo, hi = zoomed(list(d) + [0.0], min_span=1.0, pad=0.1)
    jitter = np.random.default_rng(0).uniform(0.15, 0.85, len(d))
    dots = tuple(Mark(float(v), float(j), "#c26a00", "circle", f"seed pair {i + 1}: {v:+.2f} points", 5)
                 for i, (v, j) in enumerate(zip(d, jitter, strict=True)))
    mean_d = float(d.mean()) if len(d) else 0.0
    p2 = Panel(x=Axis(lo, hi, tuple((t, f"{t:+g}") for t in nice_ticks(lo, hi, 5)), "points (counterfactual − baseline)"),
               y=Axis(0, 1, (), "", categorical=True), marks=dots,
               rules=(Rule("x", 0.0, "#777777", True), Rule("x", mean_d, "#222222", False, f"mean {mean_d:+.2f}", 1.5)),
               title="paired difference, one dot per seed", show_y=False)
    summary = (f"Same {len(d)} seeds: mean share of {a} {lines[0].ys[-1]:.1f}% ({names[0]}) vs {lines[1].ys[-1]:.1f}% "
               f"({names[1]}); paired difference {mean_d:+.2f} points.")
    legend = (LegendItem(names[0], "#555555"), LegendItem(names[1], "#c26a00"),
              LegendItem("90% of runs", "#999999", "band")) + \
        ((LegendItem("observed", COLOR_OBSERVED, "star"),) if observed is not None else ())
    rows = tuple((str(i + 1), f"{v:+.2f}") for i, v in enumerate(d))
    return Chart(name="compare", title="Baseline and counterfactual on the same seeds", summary=summary,
                 panels=(p1, p2), legend=legend, header=("seed pair", "difference (points)"), rows=rows, height=250,
                 side_by_side=True)
