"""The app's views: run bar, the result (beside the observed one and a pinned run), and the tabs
Campaign, Voters, Result, About, Compare and Replicates, with exports.

Views read only immutable data from :class:`~runoff_abm.viz.state.AppState` (the snapshot,
records, experiment results). Charts are :class:`~runoff_abm.viz.charts.Chart` specs drawn as
inline SVG (:mod:`runoff_abm.viz.svg`), memoised on the snapshot's serial number; the PNG of a
chart is drawn only when a user exports it. Every chart has a title, a one-sentence summary as
its accessible name, a legend and a *Show the numbers* table.
"""

from __future__ import annotations

import math

import solara
import solara.lab
from solara.alias import rv

from runoff_abm.viz import charts, exports, svg
from runoff_abm.viz.choice import Choice
from runoff_abm.viz.figures import chart_png
from runoff_abm.viz.state import CURRENT, LOADED, AppState
from runoff_abm.viz.text import markdown_html

__all__ = ["ChartView", "HtmlTable", "RunBar", "StatusBar", "MessageBar", "ResultPanel", "ViewTabs", "CampaignTab",
           "VotersTab", "ResultTab", "AboutTab", "CompareView", "ReplicatesView", "ExperimentProgress", "Exports",
           "TAB_NAMES", "band_sentence", "Problem", "Note", "chart_layout_context"]

_NOTE = {"font-size": "0.85rem", "color": "#4a4a4a"}
#: The chart layout (:data:`runoff_abm.viz.svg.LAYOUTS`) that fits the page, provided by the page.
_NO_LAYOUT: str | None = None
chart_layout_context = solara.create_context(_NO_LAYOUT)
#: The tabs in order (index = the tab's value).
TAB_NAMES = ("Campaign", "Voters", "Result", "About", "Compare", "Replicates")


def _pct(x, decimals: int = 1) -> str:
    return "–" if x is None or (isinstance(x, float) and not math.isfinite(x)) else f"{100 * x:.{decimals}f}%"


# --------------------------------------------------------------------------- building blocks
def Note(text: str, classes: list[str] | None = None):
    """A short paragraph of explanation (a plain element, not a component: the page renders often)."""
    rv.Html(tag="p", children=[text], class_=" ".join(["runoff-note"] + (classes or [])))


def Problem(text: str | None, classes: list[str] | None = None):
    """A problem shown beside the field or view that caused it (announced to screen readers)."""
    if not text:
        return
    solara.HTML(tag="div", unsafe_innerHTML=svg.escape(text), classes=["runoff-problem"] + (classes or []),
                attributes={"role": "alert"})


def Progress(fraction: float | None, what: str):
    """A progress bar with an accessible name (indeterminate when ``fraction`` is None)."""
    rv.ProgressLinear(indeterminate=fraction is None, value=0 if fraction is None else 100 * fraction,
                      color="primary", style_="flex: 1", attributes={"aria-label": f"progress: {what}"})


def HtmlTable(header, rows, classes: str = "", caption: str = ""):
    """A table of text cells as one HTML element (scrolls inside its box on a narrow screen)."""
    solara.HTML(tag="div", unsafe_innerHTML=svg.table_html(header, rows, caption, f"runoff-table {classes}".strip()),
                classes=["runoff-table-wrap"])


@solara.component
def ChartView(chart: charts.Chart):
    """A chart: its title, the SVG with legend and event key, and its numbers on request. Drawn
    in the one layout that fits the page when the page has reported its width
    (:data:`chart_layout_context`), else in all of them for CSS to choose."""
    layout = solara.use_context(chart_layout_context)
    html = solara.use_memo(lambda: svg.chart_html(chart, layout), [chart, layout])
    show, set_show = solara.use_state(False)
    with solara.Column(gap="2px", classes=["runoff-chart-block", f"runoff-figure-{chart.name}"]):
        rv.Html(tag="h3", children=[chart.title], class_="runoff-chart-title")
        solara.HTML(tag="div", unsafe_innerHTML=html, classes=["runoff-chart-html"])
        with solara.Row(gap="6px", style={"align-items": "center", "flex-wrap": "wrap"}):
            solara.Button("Hide the numbers" if show else "Show the numbers", text=True, small=True,
                          on_click=lambda: set_show(not show), classes=["runoff-numbers-toggle"])
        if show:
            HtmlTable(chart.header, chart.rows, f"runoff-numbers runoff-numbers-{chart.name}", chart.summary)


def _download(data, filename: str, label: str, mime: str, cls: str):
    with solara.FileDownload(data, filename=filename, mime_type=mime):
        solara.Button(label, small=True, outlined=True, icon_name="mdi-download", classes=["runoff-export", cls])


# --------------------------------------------------------------------------- run bar and status
@solara.component
def RunBar(state: AppState, day: int, election_day: int, running: bool, busy, playing: bool, progress, queued):
    """Day counter; Step one day, Play/Pause, Run to election day, Reset (Stop while running)."""
    held = "" if running else " — runoff held"
    with solara.Card(classes=["runoff-card", "runoff-runbar"], margin=0):
        with solara.Row(gap="8px", style={"align-items": "center", "flex-wrap": "wrap"}):
            rv.Html(tag="div", children=[f"Day {day} of {election_day}{held}"], class_="runoff-day",
                    attributes={"aria-live": "polite"})
            solara.Button("Step one day", on_click=state.step, color="primary", classes=["runoff-step"],
                          disabled=bool(busy) or not running)
            solara.Button("Pause" if playing else "Play", on_click=state.toggle_play, classes=["runoff-play"],
                          disabled=(bool(busy) and not playing) or not running, outlined=True)
            solara.Button("Run to election day", on_click=state.run_to_end, classes=["runoff-run"], color="primary",
                          outlined=True, disabled=bool(busy) or not running)
            if busy and busy != "playing":
                solara.Button("Stop", on_click=state.stop, classes=["runoff-stop"], outlined=True)
            solara.Button("Reset", on_click=state.reset, classes=["runoff-reset"], text=True,
                          disabled=bool(busy) and not playing)
            if busy:
                solara.Text(f"{busy}…", classes=["runoff-busy"], style=_NOTE)
            if queued:
                solara.Text(queued, classes=["runoff-queued"], style=_NOTE)
        if busy:
            Progress(progress, busy)


@solara.component
def MessageBar(state: AppState):
    """A problem that belongs to no field (a busy session, a link, a bug's reference), until dismissed."""
    message = state.problem("general")
    if not message:
        return
    with solara.Row(style={"align-items": "center"}, classes=["runoff-message"]):
        solara.HTML(tag="div", unsafe_innerHTML=svg.escape(message), classes=["runoff-error"],
                    attributes={"role": "alert"})
        solara.Button("Dismiss", on_click=lambda: state.dismiss("general"), text=True, small=True)


@solara.component
def StatusBar(snap, settings):
    """Which run this page shows: scenario, seed, members, changed parameters, edited events (the
    run's full name is on the result)."""
    parts = [snap.scenario, f"seed {snap.seed}", f"{snap.members:,} members"]
    if snap.members != snap.roll:
        parts[-1] += f" (roll {snap.roll:,})"
    if tuple(settings.events) != tuple(settings.base.events):
        parts.append("events edited")
    if settings.rules:
        parts.append("rules: " + ", ".join(n for _, n in settings.rules))
    changes = ", ".join(f"{k} = {v:g}" for k, v in settings.overrides)
    if changes:
        parts.append(f"changed: {changes}")
    solara.Text(" · ".join(parts), classes=["runoff-status"], style={"font-size": "0.9rem", "color": "#262626"})


# --------------------------------------------------------------------------- result
def band_sentence(observed: float | None, low: float, high: float, name: str, finalist: str) -> str | None:
    """A plain sentence placing the observed share against the model's 90% band, or None."""
    if observed is None or not all(math.isfinite(v) for v in (observed, low, high)):
        return None
    if low <= observed <= high:
        return (f"The observed {_pct(observed)} for {finalist} lies inside the middle 90% of the model's runs "
                f"({_pct(low)}–{_pct(high)}) for {name}.")
    side = "above" if observed > high else "below"
    return (f"The observed {_pct(observed)} for {finalist} lies {side} the middle 90% of the model's runs "
            f"({_pct(low)}–{_pct(high)}): at these settings the model does not reproduce the observed result; "
            f"something that mattered in the real runoff is missing or mis-set.")


@solara.component
def ResultPanel(state: AppState, snap, pinned):
    """The result or today's projection beside the observed runoff and a pinned run; Pin, Export."""
    a, b = snap.finalists
    obs = snap.observed
    res = snap.result
    header = ["result"]
    header.append("this run" if res else f"projected (day {snap.day})")
    if pinned is not None:
        header += ["pinned run", "difference"]
    if obs:
        header.append("observed")
    rows = []
    for name in (a, b):
        if res:
            cell = f"{res.votes[name]:,} votes · {res.shares[name]:.1%}"
        else:
            cell = _pct(snap.share_a if name == a else 1 - snap.share_a)
        row = [name, cell]
        if pinned is not None:
            row.append(f"{pinned.votes[name]:,} votes · {pinned.shares[name]:.1%}")
            own = res.shares[name] if res else (snap.share_a if name == a else 1 - snap.share_a)
            row.append(f"{100 * (own - pinned.shares[name]):+.1f} points")
        if obs:
            row.append(f"{obs['votes'][name]:,} votes · {obs['shares'][name]:.1%}")
        rows.append(row)
    turnout = [("turnout", f"{res.turnout_votes:,} voters · {res.turnout:.1%}" if res else _pct(snap.turnout))]
    row = list(turnout[0])
    if pinned is not None:
        row += [f"{pinned.turnout_votes:,} voters · {pinned.turnout:.1%}",
                f"{100 * (snap.turnout - pinned.turnout):+.1f} points"]
    if obs:
        row.append(_pct(obs.get("turnout")))
    rows.append(row)
    if res or pinned is not None:
        ov = obs["votes"] if obs else None
        observed_winner = (a if ov[a] > ov[b] else b if ov[b] > ov[a] else "tie") if ov else None
        row = ["winner", res.winner if res else "–"]
        if pinned is not None:
            row += [pinned.winner, ""]
        if obs:
            row.append(observed_winner)
        rows.append(row)
    title = "Runoff result" if res else f"Projection on day {snap.day}: the expected vote if it were held today"
    with solara.Card(classes=["runoff-card", "runoff-result-card"], margin=0):
        rv.Html(tag="h2", children=[title], class_="runoff-card-heading")
        rv.Html(tag="p", children=[f"This run: {snap.name}"], class_="runoff-run-name")
        if pinned is not None:
            rv.Html(tag="p", children=[f"Pinned run: {pinned.name} (seed {pinned.seed}, {pinned.members:,} members)"],
                    class_="runoff-pinned-name")
        HtmlTable(header, rows, "runoff-result" + (" runoff-final" if res else ""))
        with solara.Row(gap="6px", style={"align-items": "center", "flex-wrap": "wrap"}):
            if res:
                solara.Text(f"Winner: {res.winner}", classes=["runoff-winner"], style={"font-weight": "700"})
                if pinned is None or pinned.key != snap.key or pinned.seed != snap.seed:
                    solara.Button("Pin this run", on_click=state.pin, small=True, outlined=True,
                                  classes=["runoff-pin"])
            if pinned is not None:
                solara.Button("Unpin", on_click=state.unpin, small=True, text=True, classes=["runoff-unpin"])
            Exports(state, snap, pinned)
            ShareLink(state)
        notes = []
        if obs and snap.members != snap.roll:
            notes.append(f"Simulated votes are counts among {snap.members:,} simulated members; compare shares "
                         f"with the observed ones (a roll of {snap.roll:,}).")
        if res and pinned is None:
            notes.append("Pin this run, change an event or a parameter, and run again: the two results appear "
                         "side by side.")
        reps = state.replicates.value
        if reps is not None and reps.key == snap.key and obs:
            sentence = band_sentence(obs["shares"][a], reps.summary.low, reps.summary.high, "these settings", a)
            if sentence:
                notes.append(sentence)
        elif res and obs:
            notes.append("One run is one draw: run Replicates to see whether the observed result is within the "
                         "model's range.")
        for note in notes:
            Note(note, ["runoff-result-note"])


def page_origin() -> str:
    """``http://HOST`` of the page as the browser asked for it (its Host header), or ""."""
    headers = solara.lab.headers.value or {}  # type: ignore[attr-defined]  # a Reactive; the stubs call it a module
    host = next(iter(headers.get("host", []) or []), "")
    if not host or any(ch in host for ch in " /\\<>\"'"):
        return ""
    scheme = next(iter(headers.get("x-forwarded-proto", []) or []), "http")
    return f"{'https' if scheme == 'https' else 'http'}://{host}"


@solara.component
def ShareLink(state: AppState):
    """The Share link button and, when opened, a link that reproduces the settings."""
    opened, set_opened = solara.use_state(False)
    solara.Button("Close link" if opened else "Share link", on_click=lambda: set_opened(not opened), small=True,
                  text=True, classes=["runoff-share-toggle"])
    if not opened:
        return
    query = state.link_query()
    with solara.Column(gap="2px", style={"width": "100%"}):
        if query is None:
            Note("A link reproduces a built-in scenario with your changes; for an uploaded scenario, share its "
                 ".toml file (or Export → Settings as a scenario file).")
            return
        link = f"{page_origin()}/?{query}"
        rv.TextField(v_model=link, readonly=True, dense=True, hide_details=True, label="Link to these settings",
                     class_="runoff-share-link")
        Note("Copy the link: it opens the app with this scenario, these events and parameters, this seed and member "
             "count (checked again when opened; nothing in a link is run as code).")


@solara.component
def Exports(state: AppState, snap, pinned):
    """The Export button and, when opened, the downloads (computed only when clicked)."""
    opened, set_opened = solara.use_state(False)
    solara.Button("Export…" if not opened else "Close export", on_click=lambda: set_opened(not opened), small=True,
                  text=True, classes=["runoff-export-toggle"])
    if not opened:
        return
    stem = exports.file_stem(snap.name)
    settings = state.settings.value
    records = [("this run", snap.record())] if snap.result is not None else []
    if pinned is not None:
        records.insert(0, ("pinned", pinned))
    with solara.Row(gap="6px", style={"flex-wrap": "wrap", "width": "100%"}, classes=["runoff-exports"]):
        if records:
            _download(lambda: exports.runs_csv(records), f"{stem}-results.csv", "Results (CSV)", "text/csv",
                      "runoff-export-results")
        _download(lambda: exports.daily_csv(snap), f"{stem}-daily.csv", "Day by day (CSV)", "text/csv",
                  "runoff-export-daily")
        _download(lambda: exports.flows_csv(snap), f"{stem}-flows.csv", "Flows (CSV)", "text/csv",
                  "runoff-export-flows")
        _download(lambda: exports.sectors_csv(snap), f"{stem}-sectors.csv", "Sectors (CSV)", "text/csv",
                  "runoff-export-sectors")
        _download(lambda: chart_png(charts.projection_chart(snap, pinned)), f"{stem}-projection.png",
                  "Projection chart (PNG)", "image/png", "runoff-export-projection-png")
        _download(lambda: chart_png(charts.voters_chart(snap)), f"{stem}-voters.png", "Voters chart (PNG)",
                  "image/png", "runoff-export-voters-png")
        if settings.is_builtin:
            _download(lambda: exports.scenario_toml(settings), f"{stem}.toml", "Settings as a scenario file",
                      "application/toml", "runoff-export-toml")


# --------------------------------------------------------------------------- tabs
@solara.component
def ViewTabs(state: AppState, snap, tab: int, set_tab):
    """The views, one tab at a time (only the open tab is drawn)."""
    pinned = state.pinned.value
    with solara.lab.Tabs(value=tab, on_value=set_tab, lazy=True):
        with solara.lab.Tab("Campaign", classes=["runoff-tab-campaign"]):
            CampaignTab(snap, pinned)
        with solara.lab.Tab("Voters", classes=["runoff-tab-voters"]):
            VotersTab(snap)
        with solara.lab.Tab("Result", classes=["runoff-tab-result"]):
            ResultTab(snap)
        with solara.lab.Tab("About", classes=["runoff-tab-about"]):
            AboutTab(state)
        with solara.lab.Tab("Compare", classes=["runoff-tab-compare"]):
            CompareView(state)
        with solara.lab.Tab("Replicates", classes=["runoff-tab-replicates"]):
            ReplicatesView(state)


@solara.component
def CampaignTab(snap, pinned):
    """Projected shares and turnout by day (events numbered), then the log of what happened."""
    chart = solara.use_memo(lambda: charts.projection_chart(snap, pinned), [snap.serial, pinned])
    ChartView(chart)
    EventLog(snap)


@solara.component
def EventLog(snap):
    """What happened each day (the model's event log), newest last."""
    opened, set_opened = solara.use_state(False)
    with solara.Row():
        solara.Button(f"{'Hide' if opened else 'Show'} what happened ({len(snap.log)} entries up to day {snap.day})",
                      text=True, small=True, on_click=lambda: set_opened(not opened), classes=["runoff-log-toggle"])
    if opened:
        items = "".join(f"<li>day {d}: {svg.escape(t)}</li>" for d, t in snap.log) or "<li>Nothing yet: step a day.</li>"
        solara.HTML(tag="ul", unsafe_innerHTML=items, classes=["runoff-log"])


@solara.component
def VotersTab(snap):
    """Where each round-1 group is heading (what the network does), and the camps and brokers."""
    voters = solara.use_memo(lambda: charts.voters_chart(snap), [snap.serial])
    camps = solara.use_memo(lambda: charts.camps_chart(snap), [snap.serial])
    ChartView(voters)
    Note("Each bar is one round-1 group of members; its colours are where those members go if the vote were held "
         "today: the influence network (neighbours, activists' canvassing, endorsements, brokers) moves them day by "
         "day. The black tick marks the share for " + snap.finalists[0] + " on day 0.")
    ChartView(camps)


@solara.component
def ResultTab(snap):
    """The flow matrix, results by sector and the contractor blocs."""
    if snap.result is None:
        solara.Info(f"The counted flow matrix and the results by sector appear after the runoff (day "
                    f"{snap.election_day}); now day {snap.day}. Use Run to election day. Below: the sectors today.",
                    classes=["runoff-flows-pending"])
    else:
        f = snap.result.flows
        cols = [str(c) for c in f.columns]
        rows = [[str(r)] + [f"{int(f.loc[r, c]):,}" for c in f.columns] + [f"{int(f.loc[r].sum()):,}"]
                for r in f.index]
        rows.append(["total"] + [f"{int(f[c].sum()):,}" for c in f.columns] + [f"{int(f.to_numpy().sum()):,}"])
        rv.Html(tag="h3", children=["Flow matrix: round-1 choice (rows) → runoff choice (columns), members"],
                class_="runoff-chart-title")
        HtmlTable(["round 1"] + cols[:-1] + ["stayed home", "total"], rows, "runoff-flow-table")
    sectors = solara.use_memo(lambda: charts.sectors_chart(snap), [snap.serial])
    ChartView(sectors)
    BlocTable(snap)


@solara.component
def BlocTable(snap):
    """The contractor blocs: patron, bloc, today's instruction (after the vote: turnout and votes)."""
    a, b = snap.finalists
    if snap.result is None:
        if not snap.brokers:
            return
        rows = [[n, p, f"{size:,}", i] for n, p, size, i in snap.brokers]
        rv.Html(tag="h3", children=[f"Poll contractors (brokers) on day {snap.day}"], class_="runoff-chart-title")
        HtmlTable(["contractor", "patron", "bloc (members)", "instructs"], rows, "runoff-blocs")
        return
    if not len(snap.result.by_bloc):
        return
    rows = []
    for _, r in snap.result.by_bloc.iterrows():
        day = "–" if r["decided_day"] is None or r["decided_day"] != r["decided_day"] else int(r["decided_day"])
        rows.append([r["contractor"], r["patron"], r["instruction"], day, f"{int(r['members']):,}",
                     _pct(r["turnout"]), f"{int(r['votes_' + a]):,}", f"{int(r['votes_' + b]):,}"])
    rv.Html(tag="h3", children=["Contractor blocs in the runoff"], class_="runoff-chart-title")
    HtmlTable(["contractor", "patron", "instructs", "decided on day", "members", "turnout", a, b], rows,
              "runoff-blocs")


@solara.component
def AboutTab(state: AppState):
    """The scenario: its description, round-1 table, the timeline of events, the observed runoff, sources."""
    settings = state.settings.value
    scn = settings.base
    with solara.Column(gap="6px", classes=["runoff-about"]):
        rv.Html(tag="h3", children=[scn.title], class_="runoff-chart-title")
        if scn.description:
            solara.HTML(tag="div", unsafe_innerHTML=markdown_html(scn.description), classes=["runoff-prose"])
        ballots = scn.round1_ballots
        rows = [[c.full_name or c.name, f"{c.votes:,}", _pct(c.votes / ballots if ballots else None),
                 "finalist" if c.finalist else "eliminated", f"{c.activists:,}"] for c in scn.candidates]
        rows.append(["blank / invalid", f"{scn.blank:,}", _pct(scn.blank / ballots if ballots else None), "", ""])
        rows.append(["did not vote", f"{scn.abstained:,}", "", "", ""])
        rows.append(["roll", f"{scn.roll:,}", f"turnout {_pct(ballots / scn.roll)}", "", ""])
        rv.Html(tag="h3", children=["Round 1 (day 0)"], class_="runoff-chart-title")
        HtmlTable(["candidate", "votes", "share of ballots", "status", "activists"], rows, "runoff-round1")
        rv.Html(tag="h3", children=[f"Timeline: days 1 to {scn.election_day - 1}, runoff on day {scn.election_day}"],
                class_="runoff-chart-title")
        events = settings.events
        rows = [[str(k), str(e.day), e.describe(), e.note or ""] for k, e in enumerate(events, start=1)]
        if rows:
            HtmlTable(["#", "day", "event", "note and source"], rows, "runoff-timeline")
        else:
            Note("No events between the rounds.")
        if tuple(events) != tuple(scn.events):
            Note("These are your edited events (the scenario's own: Restore in the event editor).")
        if scn.observed is not None:
            o = scn.observed
            shares = o.shares()
            text = ", ".join(f"{n} {o.votes[n]:,} ({shares[n]:.1%})" for n in scn.finalists)
            Note(f"Observed runoff (day {scn.election_day}): {text}"
                 + (f"; turnout {_pct(o.turnout)}" if o.turnout is not None else "")
                 + (f". Source: {o.source}" if o.source else ""))


# --------------------------------------------------------------------------- experiments
@solara.component
def ExperimentProgress(state: AppState):
    """Progress bar and Cancel button while replicates or a comparison run."""
    busy = state.experiment_busy.value
    if not busy:
        return
    progress = state.experiment_progress.value
    queued = state.queued.value
    with solara.Row(style={"align-items": "center"}):
        Progress(progress, busy)
        solara.Text(f"{busy}: {0 if progress is None else progress:.0%}" + (f" ({queued})" if queued else ""),
                    classes=["runoff-experiment-progress"], style={"font-size": "0.85rem"})
        solara.Button("Cancel", on_click=state.cancel_experiment, small=True, text=True, classes=["runoff-cancel"])


def _stale_note(key, settings) -> str | None:
    if key != settings.key():
        return ("These results are for earlier settings (named above); your settings have changed since. "
                "Run again to update them.")
    return None


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
            Choice("Baseline", value=baseline, values=baselines, on_value=set_baseline, classes=["runoff-compare-baseline"])
            Choice("Counterfactual", value=counterfactual, values=counterfactuals,
                          on_value=set_counterfactual,
                          classes=["runoff-compare-counterfactual"])
            solara.InputText("Seed pairs", value=count, on_value=set_count, dense=True, style={"max-width": "110px"},
                             continuous_update=True, classes=["runoff-compare-count"])
            solara.Button("Run comparison", color="primary", disabled=bool(busy), classes=["runoff-compare-run"],
                          on_click=lambda: state.start_comparison(baseline, counterfactual, count))
        Note(f"Both run with the same seeds (replicate_seeds({settings.seed}, N)) and {settings.members:,} "
                    f"members, so each pair differs only by what differs between the two. 'current settings' = "
                    f"{settings.name()}; 'loaded scenario' = {settings.base.name} unedited. At most "
                    f"{state.limits.max_replicates:,} pairs.")
        if baseline == LOADED and counterfactual == CURRENT and not settings.edited:
            solara.Warning("The current settings equal the loaded scenario: edit an event or a parameter, or "
                           "pick a built-in counterfactual.", dense=True)
        Problem(state.problem("compare"))
        ExperimentProgress(state)
        if result is not None:
            ComparisonSummary(result, _stale_note(result.key, settings))


@solara.component
def ComparisonSummary(result, stale: str | None):
    """Side-by-side table and chart of a comparison."""
    a = result.finalists[0]
    cmp = result.comparison
    base, cf = result.baseline, result.counterfactual
    diffs = cmp.differences()
    t_diffs = cmp.turnout_differences()
    sd = float(diffs.std(ddof=1)) if len(diffs) > 1 else float("nan")
    rows = [[f"mean share of {a}", _pct(base.mean), _pct(cf.mean),
             f"{100 * diffs.mean():+.2f} points" + (f" (sd {100 * sd:.2f})" if math.isfinite(sd) else "")],
            [f"P({a} wins)", f"{base.win_probability:.0%}", f"{cf.win_probability:.0%}",
             f"{100 * (cf.win_probability - base.win_probability):+.0f} points"],
            ["mean turnout", _pct(base.mean_turnout), _pct(cf.mean_turnout), f"{100 * t_diffs.mean():+.2f} points"]]
    if result.observed:
        rows.append([f"observed share of {a}", _pct(result.observed["shares"][a]), "", ""])
    chart = solara.use_memo(lambda: charts.comparison_chart(
        [r.daily_share_a for r in cmp.baseline], [r.daily_share_a for r in cmp.counterfactual], diffs,
        (cmp.baseline_name, cmp.counterfactual_name), result.finalists,
        result.observed["shares"][a] if result.observed else None), [result])
    with solara.Card(classes=["runoff-card", "runoff-compare-card"] + (["runoff-stale"] if stale else []), margin=0):
        rv.Html(tag="h3", children=[f"Baseline: {cmp.baseline_name}"], class_="runoff-chart-title")
        rv.Html(tag="h3", children=[f"Counterfactual: {cmp.counterfactual_name}"], class_="runoff-chart-title")
        if stale:
            solara.Warning(stale, dense=True, classes=["runoff-stale-note"])
        HtmlTable(["measure", "baseline", "counterfactual", "difference (paired)"], rows, "runoff-compare-table")
        Note(result.description + (f" — {result.stopped}" if result.stopped else ""), ["runoff-experiment-note"])
        ChartView(chart)
        stem = exports.file_stem(cmp.counterfactual_name)
        with solara.Row(gap="6px", style={"flex-wrap": "wrap"}):
            _download(lambda: exports.comparison_csv(result), f"{stem}-compare.csv", "Seed pairs (CSV)", "text/csv",
                      "runoff-export-compare")
            _download(lambda: chart_png(chart), f"{stem}-compare.png", "Chart (PNG)", "image/png",
                      "runoff-export-compare-png")


@solara.component
def ReplicatesView(state: AppState):
    """(g) The distribution of finalist A's share and A's win probability over N seeds, against the
    observed result."""
    count, set_count = solara.use_state("50")
    busy = state.experiment_busy.value
    result = state.replicates.value
    settings = state.settings.value
    with solara.Column(gap="6px"):
        with solara.Row(gap="8px", style={"align-items": "center", "flex-wrap": "wrap"}):
            solara.InputText("Runs", value=count, on_value=set_count, dense=True, style={"max-width": "110px"},
                             continuous_update=True, classes=["runoff-replicates-count"])
            solara.Button("Run replicates", color="primary", disabled=bool(busy), classes=["runoff-replicates-run"],
                          on_click=lambda: state.start_replicates(count))
        Note(f"The current settings ({settings.name()}) on N seeds from replicate_seeds({settings.seed}, N), "
                    f"{settings.members:,} members each; at most {state.limits.max_replicates:,} runs.")
        Problem(state.problem("replicates"))
        ExperimentProgress(state)
        if result is not None:
            ReplicatesSummary(result, _stale_note(result.key, settings))


@solara.component
def ReplicatesSummary(result, stale: str | None):
    """The replicates' table, the band sentence and the histogram."""
    d = result.summary
    a = result.finalists[0]
    observed = result.observed["shares"][a] if result.observed else None
    rows = [[f"P({a} wins)", f"{d.win_probability:.0%} ± {d.win_se:.0%}"],
            [f"mean share of {a}", _pct(d.mean)],
            ["90% of runs between", f"{_pct(d.low)} and {_pct(d.high)}"],
            ["mean turnout", _pct(d.mean_turnout)]]
    if observed is not None:
        rows.append([f"observed share of {a}", _pct(observed)])
    sentence = band_sentence(observed, d.low, d.high, result.name, a)
    chart = solara.use_memo(lambda: charts.replicates_chart(
        [r.share_a for r in result.runs], d.low, d.high, d.mean, result.finalists, observed,
        f"{d.n} runs of {result.name}"), [result])
    with solara.Card(classes=["runoff-card", "runoff-replicates-card"] + (["runoff-stale"] if stale else []), margin=0):
        rv.Html(tag="h3", children=[f"{d.n} replicates of {result.name}"], class_="runoff-chart-title")
        if stale:
            solara.Warning(stale, dense=True, classes=["runoff-stale-note"])
        HtmlTable(["measure", "value"], rows, "runoff-replicates-table")
        if sentence:
            inside = "inside" in sentence.split(" lies ")[1][:8]
            (solara.Success if inside else solara.Warning)(sentence, dense=True, classes=["runoff-band-sentence"])
        Note(result.description + (f" — {result.stopped}" if result.stopped else ""), ["runoff-experiment-note"])
        ChartView(chart)
        stem = exports.file_stem(result.name)
        with solara.Row(gap="6px", style={"flex-wrap": "wrap"}):
            _download(lambda: exports.replicates_csv(result), f"{stem}-replicates.csv", "Runs (CSV)", "text/csv",
                      "runoff-export-replicates")
            _download(lambda: chart_png(chart), f"{stem}-replicates.png", "Chart (PNG)", "image/png",
                      "runoff-export-replicates-png")
