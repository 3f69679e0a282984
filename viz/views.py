"""The app's views (right column): status, result beside the observed one, and the tabs
Campaign (projection by day, influence network, event log), Result (flow matrix, sectors,
contractor blocs), Compare and Replicates.

Views read only the session's immutable :class:`~runoff_abm.viz.session.Snapshot` (or experiment results)
from :class:`~runoff_abm.viz.state.AppState`; figures are drawn by :mod:`runoff_abm.viz.figures` and memoised on the
snapshot's serial number, so a view redraws once per change and never while the model steps.
"""

from __future__ import annotations

import io
import threading

import ipywidgets as widgets
import solara
import solara.lab
from solara.alias import rv

from runoff_abm.viz import figures
from runoff_abm.viz.network import CENTRE_KINDS
from runoff_abm.viz.state import CURRENT, LOADED, AppState

__all__ = ["FigureView", "RightColumn", "RunBar", "StatusBar", "MessageBar", "ResultPanel", "ViewTabs", "CampaignTab", "ProjectionView",
           "NetworkView", "EventLog", "ResultTab", "FlowView", "SectorView", "BlocTable", "CompareView",
           "ReplicatesView", "ComparisonSummary", "ExperimentProgress", "Table"]

_NOTE = {"font-size": "0.8em", "color": "#555"}


#: Serialises figure drawing across the server's sessions. It holds no session data. Matplotlib
#: is not thread-safe, and with a class stepping at once, thirty threads drawing at the same
#: time would also starve the server's I/O thread of the GIL (pages then load and update
#: much more slowly than when the drawings simply take turns).
_DRAWING = threading.Lock()


def _png(make) -> bytes:
    """Build a figure with ``make`` and encode it as PNG, one drawing at a time."""
    with _DRAWING:
        fig = make()
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", dpi=fig.dpi)
        return buffer.getvalue()


@solara.component
def FigureView(name: str, key, make):
    """A matplotlib figure as a PNG image, redrawn only when ``key`` changes.

    Args:
        name: the view's name (CSS class ``runoff-figure-NAME``; test handle ``meta_ref=NAME``).
        key: the figure's dependencies (e.g. the snapshot serial).
        make: builds the :class:`~matplotlib.figure.Figure`.
    """
    data = solara.use_memo(lambda: _png(make), [key])
    return widgets.Image.element(value=data, format="png",
                                 _dom_classes=["runoff-figure", f"runoff-figure-{name}"]).meta(ref=name)


@solara.component
def Table(header: list[str], rows: list[list[str]], classes: list[str] | None = None):
    """A small HTML table; ``classes`` go on the table (for styles and tests)."""
    head = rv.Html(tag="tr", children=[rv.Html(tag="th", children=[h]) for h in header])
    body = [rv.Html(tag="tr", children=[rv.Html(tag="td", children=[str(c)]) for c in row]) for row in rows]
    return rv.Html(tag="table", class_=" ".join(["runoff-table"] + (classes or [])), children=[head] + body)


# --------------------------------------------------------------------------- right column
@solara.component
def RightColumn(state: AppState):
    """The views' column. The only reader of the snapshot and run status: one step re-renders
    this column once, and only the children whose inputs changed."""
    snap = state.snapshot.value
    settings = state.settings.value
    busy = state.busy.value
    playing = state.playing.value
    progress = state.progress.value
    with solara.Column(classes=["runoff-views"], gap="8px"):
        RunBar(state, snap.day, snap.election_day, snap.running, busy, playing, progress)
        StatusBar(snap, settings)
        ResultPanel(snap)
        ViewTabs(state, snap)


@solara.component
def RunBar(state: AppState, day: int, election_day: int, running: bool, busy, playing: bool, progress):
    """Day counter; Step one day, Play/Pause, Run to election day, Reset; progress while busy."""
    held = "" if running else " — runoff held"
    with solara.Card(classes=["runoff-card", "runoff-runbar"], margin=0):
        with solara.Row(gap="8px", style={"align-items": "center", "flex-wrap": "wrap"}):
            solara.Text(f"Day {day} of {election_day}{held}", classes=["runoff-day"],
                        style={"font-size": "1.15em", "font-weight": "600", "min-width": "7.5em"})
            solara.Button("Step one day", on_click=state.step, color="primary", classes=["runoff-step"],
                          disabled=bool(busy) or not running)
            solara.Button("Pause" if playing else "Play", on_click=state.toggle_play, classes=["runoff-play"],
                          disabled=(bool(busy) and not playing) or not running)
            solara.Button("Run to election day", on_click=state.run_to_end, classes=["runoff-run"],
                          disabled=bool(busy) or not running)
            solara.Button("Reset", on_click=state.reset, classes=["runoff-reset"], disabled=bool(busy) and not playing)
            if busy:
                solara.Text(f"{busy}…", classes=["runoff-busy"], style={"font-size": "0.85em", "color": "#555"})
        if busy:
            solara.ProgressLinear(True if progress is None else 100 * progress)


# --------------------------------------------------------------------------- top of the page
@solara.component
def MessageBar(state: AppState):
    """The last error (a bad value, file or event) in red, until dismissed or fixed."""
    message = state.message.value
    if not message:
        return
    with solara.Row(style={"align-items": "center"}, classes=["runoff-message"]):
        solara.Error(message, classes=["runoff-error"], dense=True, style={"flex": "1", "margin": "0"})
        solara.Button("dismiss", on_click=state.dismiss, text=True, small=True)


@solara.component
def StatusBar(snap, settings):
    """Which run this page shows: scenario, seed, members, changed parameters, edited events."""
    changes = ", ".join(f"{k} = {v:g}" for k, v in settings.overrides)
    parts = [snap.scenario, f"seed {snap.seed}", f"{snap.members:,} members"]
    if snap.members != snap.roll:
        parts[-1] += f" (roll {snap.roll:,})"
    if changes:
        parts.append(f"changed: {changes}")
    if tuple(settings.events) != tuple(settings.base.events):
        parts.append("events edited")
    solara.Text(" · ".join(parts), classes=["runoff-status"], style={"font-size": "0.9em", "color": "#333"})


def _pct(x) -> str:
    return "–" if x is None else f"{x:.1%}"


@solara.component
def ResultPanel(snap):
    """The result (votes, shares, turnout, winner) beside the observed one; before election day,
    today's projection."""
    a, b = snap.finalists
    obs = snap.observed
    res = snap.result
    header = ["", "simulated" if res else f"projected (day {snap.day})"] + (["observed"] if obs else [])
    rows = []
    for name in (a, b):
        if res:
            sim = f"{res.votes[name]:,} votes · {res.shares[name]:.1%}"
        else:
            sim = _pct(snap.share_a if name == a else 1 - snap.share_a)
        row = [name, sim]
        if obs:
            row.append(f"{obs['votes'][name]:,} votes · {obs['shares'][name]:.1%}")
        rows.append(row)
    turnout = f"{res.turnout_votes:,} voters · {res.turnout:.1%}" if res else _pct(snap.turnout)
    rows.append(["turnout", turnout] + ([_pct(obs.get("turnout"))] if obs else []))
    if obs:
        ov = obs["votes"]
        observed_winner = a if ov[a] > ov[b] else b if ov[b] > ov[a] else "tie"
    if res:
        rows.append(["winner", res.winner] + ([observed_winner] if obs else []))
    title = (f"Runoff result (day {snap.election_day})" if res
             else f"Projection on day {snap.day}: the expected vote if it were held on today's state")
    with solara.Card(title, classes=["runoff-card", "runoff-result-card"], margin=0):
        Table(header, rows, classes=["runoff-result"] + (["runoff-final"] if res else []))
        with solara.Column(gap="2px"):
            if res:
                solara.Text(f"Winner: {res.winner}", classes=["runoff-winner"], style={"font-weight": "600"})
            if obs and snap.members != snap.roll:
                solara.Text(f"Simulated votes are counts among {snap.members:,} simulated members; compare shares "
                            f"with the observed ones (a roll of {snap.roll:,}).", style=_NOTE)


# --------------------------------------------------------------------------- tabs
@solara.component
def ViewTabs(state: AppState, snap):
    """The views, one tab at a time (only the open tab is drawn)."""
    with solara.lab.Tabs(lazy=True):
        with solara.lab.Tab("Campaign", classes=["runoff-tab-campaign"]):
            CampaignTab(state, snap)
        with solara.lab.Tab("Result", classes=["runoff-tab-result"]):
            ResultTab(snap)
        with solara.lab.Tab("Compare", classes=["runoff-tab-compare"]):
            CompareView(state)
        with solara.lab.Tab("Replicates", classes=["runoff-tab-replicates"]):
            ReplicatesView(state)


@solara.component
def CampaignTab(state: AppState, snap):
    """Projection by day beside the influence network, then the log of what happened."""
    with solara.Columns([1, 1], gutters_dense=True):
        ProjectionView(snap)
        NetworkView(state, snap)
    EventLog(snap)


@solara.component
def ProjectionView(snap):
    """(b) Projected shares and turnout by day with the events marked on the time axis."""
    with solara.Column(gap="2px"):
        FigureView("projection", snap.serial, lambda: figures.projection_figure(snap))
        solara.Text("Lines: the expected result if the vote were held on that day's state. Vertical lines: "
                    "the scenario's events (solid once they have happened). Stars: the observed runoff.",
                    style=_NOTE)


@solara.component
def NetworkView(state: AppState, snap):
    """(a) The influence network by group, or a sampled neighbourhood (ego view)."""
    mode, set_mode = solara.use_state("by group")
    centre = snap.ego.sample.centre_kind
    with solara.Column(gap="2px"):
        with solara.Row(gap="6px", style={"align-items": "center", "flex-wrap": "wrap"}):
            solara.ToggleButtonsSingle(value=mode, values=["by group", "neighbourhood"], on_value=set_mode,
                                       dense=True, classes=["runoff-network-mode"])
            if mode == "neighbourhood":
                solara.Select("centre", value=centre, values=list(CENTRE_KINDS), on_value=state.resample,
                              dense=True, style={"max-width": "150px"})
                solara.Button("Resample", on_click=lambda: state.resample(None), small=True, text=True,
                              classes=["runoff-resample"])
        if mode == "by group":
            FigureView("network", ("groups", snap.serial), lambda: figures.network_figure(snap))
            solara.Text("Nodes: each sector's members, each contractor's bloc, each candidate's activist camp; "
                        "size = members, colour = mean leaning; edges: ties between groups.", style=_NOTE)
        else:
            FigureView("ego", ("ego", snap.serial), lambda: figures.ego_figure(snap))
            solara.Text("A seeded sample of one member's ties (and theirs); colour = leaning.", style=_NOTE)


@solara.component
def EventLog(snap):
    """What happened each day (the model's event log), newest last."""
    with solara.Details(f"What happened ({len(snap.log)} entries up to day {snap.day})", expand=False):
        with solara.Column(gap="0px", classes=["runoff-log"]):
            if not snap.log:
                solara.Text("Nothing yet: step a day.", style=_NOTE)
            for day, text in snap.log:
                solara.Text(f"day {day}: {text}", style={"font-size": "0.8em"})


@solara.component
def ResultTab(snap):
    """(d) the flow matrix and (e) results by sector, plus the contractor blocs."""
    with solara.Columns([1, 1], gutters_dense=True):
        FlowView(snap)
        SectorView(snap)
    BlocTable(snap)


@solara.component
def FlowView(snap):
    """(d) The flow matrix (round-1 choice x runoff choice) as a heatmap, after the vote."""
    if snap.result is None:
        solara.Info(f"The flow matrix appears after the runoff (day {snap.election_day}); now day {snap.day}. "
                    "Use Run to election day.", classes=["runoff-flows-pending"])
        return
    FigureView("flows", snap.serial, lambda: figures.flow_figure(snap.result))


@solara.component
def SectorView(snap):
    """(e) Share and turnout by sector after the vote; mean leaning and propensity before it."""
    FigureView("sectors", snap.serial, lambda: figures.sector_figure(snap))


@solara.component
def BlocTable(snap):
    """The contractor blocs after the vote: patron, instruction, day decided, turnout, votes."""
    if snap.result is None or not len(snap.result.by_bloc):
        return
    a, b = snap.finalists
    rows = []
    for _, r in snap.result.by_bloc.iterrows():
        day = "–" if r["decided_day"] is None or r["decided_day"] != r["decided_day"] else int(r["decided_day"])
        rows.append([r["contractor"], r["patron"], r["instruction"], day, f"{int(r['members']):,}",
                     _pct(r["turnout"]), f"{int(r['votes_' + a]):,}", f"{int(r['votes_' + b]):,}"])
    with solara.Card("Contractor blocs", classes=["runoff-card"], margin=0):
        Table(["contractor", "patron", "instructs", "decided on day", "members", "turnout", a, b], rows,
              classes=["runoff-blocs"])


# --------------------------------------------------------------------------- experiments
@solara.component
def ExperimentProgress(state: AppState):
    """Progress bar and Cancel button while replicates or a comparison run."""
    busy = state.experiment_busy.value
    if not busy:
        return
    progress = state.experiment_progress.value
    with solara.Row(style={"align-items": "center"}):
        solara.ProgressLinear(True if progress is None else 100 * progress, style={"flex": "1"})
        solara.Text(f"{busy}: {0 if progress is None else progress:.0%}", classes=["runoff-experiment-progress"],
                    style={"font-size": "0.8em"})
        solara.Button("Cancel", on_click=state.cancel_experiment, small=True, text=True, classes=["runoff-cancel"])


@solara.component
def CompareView(state: AppState):
    """(f) A baseline and a counterfactual on the same seeds, side by side, and their difference."""
    baselines, counterfactuals = state.compare_choices()
    baseline, set_baseline = solara.use_state(baselines[0])
    counterfactual, set_counterfactual = solara.use_state(counterfactuals[0])
    count, set_count = solara.use_state("10")
    busy = state.experiment_busy.value
    result = state.comparison.value
    settings = state.settings.value
    with solara.Column(gap="6px"):
        with solara.Row(gap="8px", style={"align-items": "center", "flex-wrap": "wrap"}):
            solara.Select("baseline", value=baseline, values=baselines, on_value=set_baseline,
                          style={"min-width": "260px"}, classes=["runoff-compare-baseline"])
            solara.Select("counterfactual", value=counterfactual, values=counterfactuals,
                          on_value=set_counterfactual, style={"min-width": "260px"},
                          classes=["runoff-compare-counterfactual"])
            solara.InputText("seed pairs", value=count, on_value=set_count, dense=True, style={"max-width": "90px"},
                             continuous_update=True, classes=["runoff-compare-count"])
            solara.Button("Run comparison", color="primary", disabled=bool(busy), classes=["runoff-compare-run"],
                          on_click=lambda: state.start_comparison(baseline, counterfactual, count))
        solara.Text(f"Both run with seeds replicate_seeds({settings.seed}, N) and {settings.members:,} members "
                    f"(common random numbers: each pair shares a seed). 'current settings' = your edited events and "
                    f"parameters; 'loaded scenario' = {settings.base.name} as loaded.", style=_NOTE)
        if baseline == LOADED and counterfactual == CURRENT and not settings.edited:
            solara.Warning("The current settings equal the loaded scenario: edit an event or a parameter, or "
                           "pick a built-in counterfactual.", dense=True)
        ExperimentProgress(state)
        if result is not None:
            ComparisonSummary(result)


@solara.component
def ComparisonSummary(result):
    """Side-by-side table and figure of a comparison."""
    a = result.finalists[0]
    cmp = result.comparison
    base, cf = result.baseline, result.counterfactual
    diffs = cmp.differences()
    t_diffs = cmp.turnout_differences()
    sd = float(diffs.std(ddof=1)) if len(diffs) > 1 else float("nan")
    rows = [[f"mean share of {a}", f"{base.mean:.1%}", f"{cf.mean:.1%}",
             f"{100 * diffs.mean():+.2f} points (sd {100 * sd:.2f})"],
            [f"P({a} wins)", f"{base.win_probability:.0%}", f"{cf.win_probability:.0%}",
             f"{100 * (cf.win_probability - base.win_probability):+.0f} points"],
            ["mean turnout", f"{base.mean_turnout:.1%}", f"{cf.mean_turnout:.1%}", f"{100 * t_diffs.mean():+.2f} points"]]
    if result.observed:
        rows.append([f"observed share of {a}", f"{result.observed['shares'][a]:.1%}", "", ""])
    with solara.Card(f"{cmp.baseline_name} vs {cmp.counterfactual_name}", classes=["runoff-card"], margin=0):
        Table(["", cmp.baseline_name, cmp.counterfactual_name, "difference (paired)"], rows,
              classes=["runoff-compare-table"])
        solara.Text(result.description + (" — cancelled early" if result.cancelled else ""), style=_NOTE)
        FigureView("compare", result, lambda: figures.comparison_figure(cmp, result.finalists, result.observed))


@solara.component
def ReplicatesView(state: AppState):
    """(g) The distribution of finalist A's share and A's win probability over N seeds."""
    count, set_count = solara.use_state("50")
    busy = state.experiment_busy.value
    result = state.replicates.value
    settings = state.settings.value
    with solara.Column(gap="6px"):
        with solara.Row(gap="8px", style={"align-items": "center"}):
            solara.InputText("runs", value=count, on_value=set_count, dense=True, style={"max-width": "90px"},
                             continuous_update=True, classes=["runoff-replicates-count"])
            solara.Button("Run replicates", color="primary", disabled=bool(busy), classes=["runoff-replicates-run"],
                          on_click=lambda: state.start_replicates(count))
            solara.Text(f"current settings, seeds replicate_seeds({settings.seed}, N), {settings.members:,} members",
                        style=_NOTE)
        ExperimentProgress(state)
        if result is not None:
            d = result.summary
            a = result.finalists[0]
            rows = [[f"P({a} wins)", f"{d.win_probability:.0%} ± {d.win_se:.0%}"],
                    [f"mean share of {a}", f"{d.mean:.1%}"],
                    ["90% of runs between", f"{d.low:.1%} and {d.high:.1%}"],
                    ["mean turnout", f"{d.mean_turnout:.1%}"]]
            if result.observed:
                rows.append([f"observed share of {a}", f"{result.observed['shares'][a]:.1%}"])
            with solara.Card(f"{d.n} replicates", classes=["runoff-card"], margin=0):
                with solara.Columns([2, 3], gutters_dense=True):
                    with solara.Column():
                        Table(["", ""], rows, classes=["runoff-replicates-table"])
                        solara.Text(result.description + (" — cancelled early" if result.cancelled else ""),
                                    style=_NOTE)
                    FigureView("replicates", result, lambda: figures.replicates_figure(
                        result.runs, d, result.finalists, result.observed))
