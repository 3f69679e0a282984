"""Matplotlib figures for the app's views, drawn from snapshots and experiment results.

Every function takes plain data (a :class:`~runoff_abm.viz.session.Snapshot`, a
:class:`~runoff_abm.model.result.RunResult`, experiment summaries) and returns a new
:class:`matplotlib.figure.Figure` on the Agg canvas — no pyplot, no global figure registry, so
sessions drawing at the same time never share state. Solara shows them as PNG images, which
needs no JavaScript charting library (and so no CDN).

Colours: finalist A is blue, finalist B red; a leaning (the probability of voting for A) runs
from red (0) through grey to blue (1).
"""

from __future__ import annotations

import textwrap

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import LineCollection
from matplotlib.colors import LinearSegmentedColormap, Normalize
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import MaxNLocator

__all__ = ["COLOR_A", "COLOR_B", "LEANING_CMAP", "projection_figure", "network_figure", "ego_figure",
           "flow_figure", "sector_figure", "replicates_figure", "comparison_figure"]

COLOR_A = "#1f6fb4"
COLOR_B = "#c8323c"
COLOR_NONE = "#9a9a9a"
LEANING_CMAP = LinearSegmentedColormap.from_list("leaning", [COLOR_B, "#e9e4dc", COLOR_A])
_NORM = Normalize(0.0, 1.0)
_DPI = 90


def _figure(width: float, height: float, **margins: float) -> Figure:
    """A figure on its own Agg canvas with fixed margins (constrained layout costs a third more
    time per frame)."""
    fig = Figure(figsize=(width, height), dpi=_DPI, layout=None)
    FigureCanvasAgg(fig)
    fig.subplots_adjust(**margins)
    return fig


def _leaning_colorbar(fig: Figure, ax, finalists, label: str = "leaning") -> None:
    from matplotlib.cm import ScalarMappable

    sm = ScalarMappable(norm=_NORM, cmap=LEANING_CMAP)
    bar = fig.colorbar(sm, ax=ax, fraction=0.035, pad=0.0, shrink=0.8, ticks=[0, 0.5, 1])
    bar.ax.set_yticklabels(["0", "0.5", "1"], fontsize=7)
    bar.ax.set_title(finalists[0], fontsize=7, color=COLOR_A, loc="center", pad=4)
    bar.ax.set_xlabel(finalists[1], fontsize=7, color=COLOR_B, labelpad=4)
    bar.set_label(f"{label}: P(vote {finalists[0]})", fontsize=7)


# --------------------------------------------------------------------------- (b) projection
def projection_figure(snap) -> Figure:
    """Projected shares and turnout by day so far, scheduled events marked on the time axis,
    the observed result (if any) marked on election day."""
    a, b = snap.finalists
    daily = snap.daily
    days = daily["day"].to_numpy()
    fig = _figure(6.4, 4.6, left=0.1, right=0.98, top=0.94, bottom=0.1, hspace=0.08)
    ax_s, ax_t = fig.subplots(2, 1, sharex=True, height_ratios=[3, 2])
    ax_s.plot(days, 100 * daily["projected_share_a"], "-o", color=COLOR_A, ms=3.5, label=a)
    ax_s.plot(days, 100 * daily["projected_share_b"], "-o", color=COLOR_B, ms=3.5, label=b)
    ax_s.axhline(50, color="#777", lw=0.8, ls=":")
    ax_t.plot(days, 100 * daily["projected_turnout"], "-o", color="#3a7d44", ms=3.5, label="projected turnout")
    ax_t.axhline(100 * snap.round1_turnout, color="#3a7d44", lw=0.8, ls="--", label="round-1 turnout")
    if snap.result is not None:
        ax_s.plot([snap.election_day], [100 * snap.result.shares[a]], "o", mfc="white", mec=COLOR_A, ms=7, mew=2)
        ax_s.plot([snap.election_day], [100 * snap.result.shares[b]], "o", mfc="white", mec=COLOR_B, ms=7, mew=2)
    obs = snap.observed
    if obs:
        ax_s.plot([snap.election_day], [100 * obs["shares"][a]], "*", color=COLOR_A, ms=12, mec="black", mew=0.6)
        ax_s.plot([snap.election_day], [100 * obs["shares"][b]], "*", color=COLOR_B, ms=12, mec="black", mew=0.6)
        if obs.get("turnout") is not None:
            ax_t.plot([snap.election_day], [100 * obs["turnout"]], "*", color="#3a7d44", ms=12, mec="black", mew=0.6)
    _event_markers(ax_s, ax_t, snap)
    ax_s.set_ylabel("projected share (%)", fontsize=8)
    ax_t.set_ylabel("turnout (%)", fontsize=8)
    ax_t.set_xlabel(f"day (round 1 = 0, runoff = {snap.election_day})", fontsize=8)
    ax_t.set_xlim(-0.3, snap.election_day + 0.5)
    ax_t.set_xticks(range(0, snap.election_day + 1))
    levels = [100 * snap.round1_turnout] + list(100 * daily["projected_turnout"])
    if obs and obs.get("turnout") is not None:
        levels.append(100 * obs["turnout"])
    ax_t.set_ylim(max(0.0, min(levels) - 12), min(100.0, max(levels) + 6))
    lo = min(30.0, float(np.nanmin(100 * daily[["projected_share_a", "projected_share_b"]].to_numpy())) - 2)
    ax_s.set_ylim(lo, 100 - lo)
    handles = [Line2D([], [], color=COLOR_A, marker="o", ms=3.5, label=a),
               Line2D([], [], color=COLOR_B, marker="o", ms=3.5, label=b)]
    if obs:
        handles.append(Line2D([], [], ls="", marker="*", color="#555", ms=9, label="observed"))
    if snap.result is not None:
        handles.append(Line2D([], [], ls="", marker="o", mfc="white", mec="#555", ms=6, label="runoff result"))
    ax_s.legend(handles=handles, fontsize=7, loc="upper left", ncols=len(handles), frameon=False)
    ax_t.legend(fontsize=7, loc="lower right", ncols=3, frameon=False)
    for ax in (ax_s, ax_t):
        ax.tick_params(labelsize=7)
        ax.grid(alpha=0.25)
    ax_s.set_title(f"Projection by day — day {snap.day} of {snap.election_day}", fontsize=9)
    return fig


def _event_markers(ax_s, ax_t, snap) -> None:
    by_day: dict[int, list[str]] = {}
    for day, short, _ in snap.scheduled:
        by_day.setdefault(day, []).append(short)
    for day, labels in by_day.items():
        done = day <= snap.day
        style = {"color": "#555" if done else "#aaa", "lw": 0.9, "ls": "-" if done else ":"}
        ax_s.axvline(day, **style, zorder=0)
        ax_t.axvline(day, **style, zorder=0)
        text = "\n".join(textwrap.shorten(x, 34, placeholder="…") for x in labels[:4])
        if len(labels) > 4:
            text += f"\n+{len(labels) - 4} more"
        ax_s.annotate(text, xy=(day, 0), xycoords=("data", "axes fraction"), xytext=(2, 3),
                      textcoords="offset points", fontsize=5.8, rotation=90, va="bottom", ha="left",
                      color="#333" if done else "#999")
    log_days = sorted({d for d, _ in snap.log})
    if log_days:
        ax_t.plot(log_days, [0.03] * len(log_days), "^", transform=ax_t.get_xaxis_transform(), color="#444",
                  ms=4, label="logged events", clip_on=False)


# --------------------------------------------------------------------------- (a) networks
_MARKERS = {"sector": "o", "bloc": "s", "camp": "^"}


def network_figure(snap) -> Figure:
    """The aggregated influence network: one node per sector, contractor bloc and activist camp,
    sized by members, coloured by their mean leaning; edge width grows with the ties between."""
    groups = snap.groups
    s = groups.structure
    pos = s.pos
    fig = _figure(6.4, 4.8, left=0.01, right=0.9, top=0.94, bottom=0.07)
    ax = fig.subplots()
    ties = groups.ties.astype(float)
    off = ties.copy()
    np.fill_diagonal(off, 0)
    top = off.max() if off.max() > 0 else 1.0
    i, j = np.nonzero(np.triu(off, 1))
    keep = (groups.sizes[i] > 0) & (groups.sizes[j] > 0)
    i, j = i[keep], j[keep]
    w = np.log1p(off[i, j]) / np.log1p(top)
    colours = np.zeros((len(w), 4))
    colours[:, :3] = 0.54
    colours[:, 3] = 0.15 + 0.35 * w
    ax.add_collection(LineCollection(np.stack([pos[i], pos[j]], axis=1), linewidths=0.3 + 3.2 * w, colors=colours,
                                     zorder=1))
    big = max(int(groups.sizes.max()), 1)
    for kind, marker in _MARKERS.items():
        idx = [k for k, x in enumerate(s.kinds) if x == kind and groups.sizes[k] > 0]
        if not idx:
            continue
        sizes = 40 + 900 * np.sqrt(groups.sizes[idx] / big)
        ax.scatter(pos[idx, 0], pos[idx, 1], s=sizes, c=groups.leaning[idx], cmap=LEANING_CMAP, norm=_NORM,
                   marker=marker, edgecolors="#222", linewidths=0.7, zorder=3)
    for k, label in enumerate(s.labels):
        if groups.sizes[k] == 0:
            continue
        ax.annotate(f"{label}\n{int(groups.sizes[k]):,}", pos[k], xytext=(0, -8 - 9 * np.sqrt(groups.sizes[k] / big)),
                    textcoords="offset points", ha="center", va="top", fontsize=6, color="#222", zorder=4)
    legend = [Line2D([], [], ls="", marker=m, mfc="white", mec="#222", ms=7, label=lbl)
              for m, lbl in (("o", "sector members"), ("s", "contractor bloc"), ("^", "activist camp"))]
    ax.legend(handles=legend, fontsize=7, loc="lower left", frameon=False, ncols=3, bbox_to_anchor=(0, -0.08))
    _leaning_colorbar(fig, ax, snap.finalists, "mean leaning")
    ax.set_title(f"Influence network by group — day {snap.day} ({snap.members:,} members)", fontsize=9)
    _frame(ax, pos)
    return fig


def _frame(ax, pos) -> None:
    ax.set_xticks([])
    ax.set_yticks([])
    for side in ax.spines.values():
        side.set_visible(False)
    if len(pos):
        lo, hi = pos.min(axis=0), pos.max(axis=0)
        pad = 0.12 * max(float((hi - lo).max()), 1e-6)
        ax.set_xlim(lo[0] - pad, hi[0] + pad)
        ax.set_ylim(lo[1] - 1.6 * pad, hi[1] + pad)


def ego_figure(snap) -> Figure:
    """A sampled neighbourhood: members coloured by leaning (activists as triangles, bloc
    members as squares, the centre ringed) and the contractors of the bloc members (diamonds,
    coloured by the finalist they instruct for)."""
    ego = snap.ego
    sample = ego.sample
    pos = sample.pos
    k = len(sample.members)
    fig = _figure(6.4, 4.8, left=0.01, right=0.9, top=0.94, bottom=0.07)
    ax = fig.subplots()
    if len(sample.edges):
        ax.add_collection(LineCollection(pos[sample.edges], colors="#9a9a9a", linewidths=0.5, alpha=0.6, zorder=1))
    if len(sample.contractor_edges):
        ax.add_collection(LineCollection(pos[sample.contractor_edges], colors="#6b4c9a", linewidths=0.6, alpha=0.6,
                                         linestyles="--", zorder=1))
    plain = ~ego.activist & ~ego.bloc
    for mask, marker, size in ((plain, "o", 34), (ego.bloc & ~ego.activist, "s", 40), (ego.activist, "^", 60)):
        idx = np.flatnonzero(mask)
        if len(idx):
            ax.scatter(pos[idx, 0], pos[idx, 1], s=size, c=ego.leaning[idx], cmap=LEANING_CMAP, norm=_NORM,
                       marker=marker, edgecolors="#333", linewidths=0.5, zorder=3)
    ax.scatter(pos[:1, 0], pos[:1, 1], s=230, facecolors="none", edgecolors="black", linewidths=1.6, zorder=4)
    colours = {0: COLOR_A, 1: COLOR_B}
    for n in range(len(sample.contractors)):
        p = pos[k + n]
        ax.scatter([p[0]], [p[1]], s=170, marker="D", color=colours.get(int(ego.instruction[n]), COLOR_NONE),
                   edgecolors="black", linewidths=1.0, zorder=5)
        ax.annotate(ego.contractor_names[n], p, xytext=(0, 8), textcoords="offset points", ha="center",
                    fontsize=6.5, zorder=6)
    legend = [Line2D([], [], ls="", marker="o", mfc="white", mec="#333", ms=6, label="member"),
              Line2D([], [], ls="", marker="^", mfc="white", mec="#333", ms=7, label="activist"),
              Line2D([], [], ls="", marker="s", mfc="white", mec="#333", ms=6, label="bloc member"),
              Line2D([], [], ls="", marker="D", mfc=COLOR_NONE, mec="black", ms=7, label="contractor")]
    ax.legend(handles=legend, fontsize=7, loc="lower left", frameon=False, ncols=4, bbox_to_anchor=(0, -0.08))
    _leaning_colorbar(fig, ax, snap.finalists)
    ax.set_title(f"Sampled neighbourhood of one {sample.centre_kind} (ringed): {k} members — day {snap.day}",
                 fontsize=9)
    _frame(ax, pos)
    return fig


# --------------------------------------------------------------------------- (d) flows
def flow_figure(result) -> Figure:
    """The flow matrix (round-1 choice → runoff choice) as a heatmap: colour = share of the row,
    text = members."""
    flows = result.flows
    counts = flows.to_numpy().astype(float)
    rows = counts.sum(axis=1, keepdims=True)
    share = np.divide(counts, rows, out=np.zeros_like(counts), where=rows > 0)
    fig = _figure(5.6, 3.9, left=0.17, right=0.93, top=0.91, bottom=0.14)
    ax = fig.subplots()
    im = ax.imshow(share, cmap="Greys", vmin=0, vmax=1, aspect="auto")
    for i in range(counts.shape[0]):
        for j in range(counts.shape[1]):
            ax.text(j, i, f"{int(counts[i, j]):,}\n{share[i, j]:.0%}", ha="center", va="center", fontsize=7,
                    color="white" if share[i, j] > 0.55 else "black")
    ax.set_xticks(range(len(flows.columns)), [str(c) for c in flows.columns], fontsize=8)
    ax.set_yticks(range(len(flows.index)), [str(r) for r in flows.index], fontsize=8)
    ax.set_xlabel("runoff choice", fontsize=8)
    ax.set_ylabel("round-1 choice", fontsize=8)
    bar = fig.colorbar(im, ax=ax, fraction=0.05, pad=0.02)
    bar.set_label("share of the round-1 row", fontsize=7)
    bar.ax.tick_params(labelsize=7)
    ax.set_title("Flow matrix: where each round-1 vote went", fontsize=9)
    return fig


# --------------------------------------------------------------------------- (e) sectors
def sector_figure(snap) -> Figure:
    """Results by sector after the vote (share of A, round-1 and runoff turnout); before it,
    each sector's mean leaning and turnout propensity today."""
    a, b = snap.finalists
    fig = _figure(6.4, 3.4, left=0.2, right=0.98, top=0.9, bottom=0.09, wspace=0.08)
    ax_l, ax_r = fig.subplots(1, 2, sharey=True)
    if snap.result is not None:
        table = snap.result.by_sector
        names = list(table["sector"])
        left = table[f"share_{a}"].to_numpy(dtype=float)
        r1 = table["round1_turnout"].to_numpy(dtype=float)
        right = table["runoff_turnout"].to_numpy(dtype=float)
        left_title, right_title = f"runoff share of {a}", "turnout: runoff (bars), round 1 (ticks)"
    else:
        table = snap.sectors
        names = list(table["sector"])
        left = table["leaning"].to_numpy(dtype=float)
        r1 = None
        right = table["propensity"].to_numpy(dtype=float)
        left_title, right_title = f"mean leaning toward {a} (today)", "mean turnout propensity (today)"
    y = np.arange(len(names))
    ax_l.barh(y, 100 * left, color=[LEANING_CMAP(_NORM(v)) if np.isfinite(v) else COLOR_NONE for v in left],
              edgecolor="#333", lw=0.5)
    ax_l.axvline(50, color="#777", ls=":", lw=0.8)
    for yy, v in zip(y, left, strict=True):
        if np.isfinite(v):
            ax_l.text(100 * v + 1, yy, f"{v:.0%}", va="center", fontsize=7)
    ax_l.set_xlim(0, 100)
    ax_r.barh(y, 100 * right, color="#7fb58a", edgecolor="#333", lw=0.5)
    if r1 is not None:
        ax_r.plot(100 * r1, y, "|", color="black", ms=12, mew=2)
    ax_r.set_xlim(0, 100)
    ax_l.set_yticks(y, names, fontsize=7)
    for ax, title in ((ax_l, left_title), (ax_r, right_title)):
        ax.set_title(title, fontsize=8)
        ax.tick_params(labelsize=7)
        ax.invert_yaxis() if ax is ax_l else None
        ax.grid(axis="x", alpha=0.25)
    return fig


# --------------------------------------------------------------------------- (g) replicates
def replicates_figure(runs, dist, finalists, observed=None) -> Figure:
    """Histogram of finalist A's share over replicate runs; 50% and the observed share marked."""
    a = finalists[0]
    shares = 100 * np.array([r.share_a for r in runs])
    fig = _figure(6.4, 3.6, left=0.09, right=0.98, top=0.9, bottom=0.14)
    ax = fig.subplots()
    bins = max(8, min(40, len(shares) // 3))
    ax.hist(shares, bins=bins, color=COLOR_A, alpha=0.75, edgecolor="white")
    ax.axvline(50, color="#777", ls=":", lw=1, label="50%")
    ax.axvline(100 * dist.mean, color="black", lw=1.2, label=f"mean {dist.mean:.1%}")
    ax.axvspan(100 * dist.low, 100 * dist.high, color="#cfd8e3", alpha=0.5, zorder=0, label="90% of runs")
    if observed:
        ax.axvline(100 * observed["shares"][a], color="#b8860b", lw=2, ls="--",
                   label=f"observed {observed['shares'][a]:.1%}")
    ax.set_xlabel(f"{a}'s share of the runoff vote (%)", fontsize=8)
    ax.set_ylabel("runs", fontsize=8)
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.tick_params(labelsize=7)
    ax.legend(fontsize=7, frameon=False)
    ax.set_title(f"{dist.n} runs: P({a} wins) = {dist.win_probability:.0%} ± {dist.win_se:.0%}", fontsize=9)
    return fig


# --------------------------------------------------------------------------- (f) compare
def comparison_figure(comparison, finalists, observed=None) -> Figure:
    """Left: mean projected share of A by day, baseline vs counterfactual (5-95% bands).
    Right: the paired differences of A's final share, one dot per seed."""
    a = finalists[0]
    fig = _figure(7.2, 3.6, left=0.08, right=0.98, top=0.9, bottom=0.14, wspace=0.3)
    ax_l, ax_r = fig.subplots(1, 2, width_ratios=[3, 2])
    for runs, colour, name in ((comparison.baseline, "#555555", comparison.baseline_name),
                               (comparison.counterfactual, "#e07b00", comparison.counterfactual_name)):
        series = 100 * np.array([r.daily_share_a for r in runs])
        days = np.arange(series.shape[1])
        ax_l.plot(days, series.mean(axis=0), "-o", color=colour, ms=3, label=textwrap.shorten(name, 40))
        if len(runs) > 1:
            ax_l.fill_between(days, np.quantile(series, 0.05, axis=0), np.quantile(series, 0.95, axis=0),
                              color=colour, alpha=0.15)
    if observed:
        ax_l.plot([days[-1]], [100 * observed["shares"][a]], "*", color=COLOR_A, ms=12, mec="black", mew=0.6,
                  label="observed")
    ax_l.axhline(50, color="#777", ls=":", lw=0.8)
    ax_l.set_xlabel("day", fontsize=8)
    ax_l.set_ylabel(f"projected share of {a} (%)", fontsize=8)
    ax_l.legend(fontsize=7, frameon=False)
    diffs = 100 * comparison.differences()
    jitter = np.random.default_rng(0).uniform(-0.15, 0.15, len(diffs))
    ax_r.scatter(jitter, diffs, s=14, color="#e07b00", alpha=0.8, edgecolors="none")
    ax_r.axhline(0, color="#777", lw=0.8)
    ax_r.axhline(diffs.mean(), color="black", lw=1.4)
    ax_r.set_xlim(-0.5, 0.5)
    ax_r.set_xticks([])
    ax_r.set_ylabel(f"difference in {a}'s share (points)", fontsize=8)
    ax_r.set_title(f"paired difference: {diffs.mean():+.2f} points", fontsize=8)
    for ax in (ax_l, ax_r):
        ax.tick_params(labelsize=7)
        ax.grid(alpha=0.25)
    ax_l.set_title(f"Same {len(diffs)} seeds, two scenarios", fontsize=9)
    return fig
