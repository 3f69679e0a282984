"""The Solara page of the app (``runoff viz`` / ``python -m runoff_abm.viz`` / ``make viz``).

:func:`Page` creates one :class:`~runoff_abm.viz.state.AppState` per browser session (in
``use_memo``: never module-level state, so a class of students on one server never see each
other's runs) and binds two Solara threaded tasks to it: one for the session's model (play, run
to election day, large rebuilds) and one for experiments (replicates, comparisons).

The layout is responsive (:data:`CSS`). On a wide screen the settings sit in a left column (which
the *Hide settings* button folds away) and the run bar, the result and the views on the right,
so the run button and the result are in the first screen at 1024x768. On a phone (below 900 px)
the page is one column in the order a student needs: run bar, result, the start-here card, the
views, then the settings. Charts take the full width of their column and choose a layout that
fits it (:mod:`runoff_abm.viz.svg`). The page's query string may carry an exercise
(``?exercise=NAME``, :mod:`runoff_abm.viz.exercise`) or shared settings
(``?scenario=...``, :mod:`runoff_abm.viz.share`).

Mesa's ``SolaraViz`` was considered for the page shell but does not fit here: it steps the
model on the UI thread, rebuilds the model from keyword parameters without reporting errors,
has no threaded long actions, and its module imports Altair (a Vega CDN dependency). The app
keeps Mesa's model contract (``model.step()``, ``model.running``, ``model.datacollector``) and
builds the page from Solara components.
"""

from __future__ import annotations

import html

import solara
import solara.lab
import traitlets
from ipyvuetify import VuetifyTemplate
from solara.alias import rv

from runoff_abm.viz.controls import EventEditor, ParameterPanel, RunSettings, ScenarioControls, StartHere
from runoff_abm.viz.exercise import ExerciseControls, ExercisePanel, apply_preset, exercise_from_query
from runoff_abm.viz.messages import unexpected
from runoff_abm.viz.state import AppState
from runoff_abm.viz.views import TAB_NAMES, MessageBar, ResultPanel, RunBar, StatusBar, ViewTabs, chart_layout_context

__all__ = ["Page", "Layout", "Header", "CSS", "TITLE", "chart_layout"]

#: The page's title (the browser tab).
TITLE = "runoff-abm: a party runoff, day by day"

CSS = """
.runoff-app { max-width: 1560px; width: 100%; min-width: 0; margin: 0 auto; padding: 0 10px 28px 10px;
               color: #1a1a1a; }
.runoff-app > *, .runoff-main, .runoff-controls > *, .runoff-views > *, .runoff-tabs > *, .runoff-tabs .v-tabs {
  min-width: 0; max-width: 100%; }
.runoff-app .runoff-card.v-card > .v-card__text { padding: 6px 12px 10px 12px; color: #1a1a1a; }
.runoff-app h1, .runoff-app h2, .runoff-app h3 { letter-spacing: normal; }
.runoff-header { display: flex; align-items: center; gap: 6px 12px; flex-wrap: wrap; padding: 6px 0 4px 0; }
.runoff-header h1 { font-size: 1.25rem; font-weight: 700; margin: 0; }
.runoff-header .runoff-tagline { font-size: 0.9rem; color: #4a4a4a; flex: 1 1 260px; }
.runoff-main { display: grid; grid-template-columns: 350px minmax(0, 1fr); gap: 12px; align-items: start; }
.runoff-main.runoff-hide-controls { grid-template-columns: minmax(0, 1fr); }
.runoff-controls, .runoff-views { display: flex; flex-direction: column; gap: 8px; min-width: 0; }
.runoff-card { min-width: 0; }
.runoff-card-heading { font-size: 1.05rem; font-weight: 700; margin: 2px 0 4px 0; line-height: 1.3; }
.runoff-app p code, .runoff-app li code { display: inline; white-space: normal; overflow-wrap: anywhere;
                                         padding: 0 2px; font-size: 0.85em; }
.runoff-prose { font-size: 0.9rem; }
.runoff-prose p { margin: 0 0 6px 0; }
.runoff-prose ol, .runoff-prose ul { margin: 0 0 6px 0; padding-left: 1.4em; }
.runoff-note { font-size: 0.85rem; color: #3d3d3d; margin: 2px 0; }
.runoff-description { font-size: 0.9rem; margin: 0 0 2px 0; }
.runoff-steps-heading { font-size: 0.95rem; font-weight: 700; margin: 6px 0 2px 0; }
.runoff-steps { margin: 0 0 4px 0; padding-left: 1.3em; font-size: 0.9rem; }
.runoff-steps li { margin: 2px 0; }
.runoff-runbar .runoff-day { font-size: 1.15rem; font-weight: 700; min-width: 7.6em; }
.runoff-status { overflow-wrap: anywhere; }
.runoff-run-name, .runoff-pinned-name { overflow-wrap: anywhere; font-size: 0.95rem; font-weight: 600; margin: 0 0 2px 0; }
.runoff-pinned-name { color: #4b2f7a; }
.runoff-chart-title { font-size: 1rem; font-weight: 700; margin: 8px 0 2px 0; line-height: 1.3; }
.runoff-chart { container-type: inline-size; width: 100%; }
.runoff-svg-narrow, .runoff-svg-medium { display: none; }
.runoff-svg-only { display: block; }
@container (max-width: 860px) {
  .runoff-svg-wide { display: none; }
  .runoff-svg-medium { display: block; }
}
@container (max-width: 540px) {
  .runoff-svg-medium { display: none; }
  .runoff-svg-narrow { display: block; }
}
.runoff-svg { display: block; width: 100%; height: auto; }
.runoff-legend { list-style: none; display: flex; flex-wrap: wrap; gap: 2px 14px; padding: 0; margin: 2px 0 0 0;
                 font-size: 0.85rem; }
.runoff-legend li { display: flex; align-items: center; gap: 5px; }
.runoff-sw { display: inline-block; width: 18px; }
.runoff-sw-line { height: 3px; }
.runoff-sw-dash { height: 0; border-top: 3px dashed; }
.runoff-sw-box { height: 11px; }
.runoff-sw-sym { font-size: 1rem; line-height: 1; width: 18px; text-align: center; }
.runoff-key { list-style: none; padding: 0; margin: 4px 0 0 0; font-size: 0.85rem; columns: 2 300px; column-gap: 18px; }
.runoff-key li { display: flex; gap: 6px; align-items: baseline; margin: 2px 0; break-inside: avoid; }
.runoff-key li.upcoming { color: #4a4a4a; }
.runoff-key-n { display: inline-flex; justify-content: center; align-items: center; flex: 0 0 auto; min-width: 1.45em;
                height: 1.45em; border-radius: 50%; background: #333; color: #fff; font-size: 0.75rem; font-weight: 700; }
.runoff-key li.upcoming .runoff-key-n { background: #fff; color: #1a1a1a; border: 1.3px solid #6b6b6b; }
.runoff-table-wrap { max-width: 100%; overflow-x: auto; }
.runoff-table { border-collapse: collapse; font-size: 0.9rem; margin: 4px 0; }
.runoff-table caption { caption-side: bottom; text-align: left; font-size: 0.8rem; color: #4a4a4a; padding-top: 2px; }
.runoff-table th, .runoff-table td { padding: 3px 10px 3px 0; border-bottom: 1px solid #e0e0e0; text-align: left;
                                    vertical-align: top; }
.runoff-table th { font-weight: 700; color: #262626; }
.runoff-event { border-bottom: 1px solid #e6e6e6; padding: 4px 0; display: flex; flex-wrap: wrap; align-items: flex-start;
                gap: 0 4px; }
.runoff-event > .runoff-event-fields, .runoff-event > .runoff-problem { flex: 1 1 100%; box-sizing: border-box;
                                                                      min-width: 0; max-width: 100%; }
.runoff-event-fields .v-input { margin-bottom: 8px; }
.runoff-choice-select { width: 100%; }
.runoff-event-text { font-size: 0.9rem; margin: 2px 0 2px 0; font-weight: 400; }
.runoff-event-day { flex: 1; font-size: 0.9rem; }
.runoff-param-controls { display: flex; align-items: center; gap: 6px; }
.runoff-param-name { font-size: 0.9rem; font-weight: 600; }
.runoff-event .v-btn { min-width: 0 !important; padding: 0 6px !important; }
.runoff-event-fields { padding: 4px 8px 8px 12px; background: #f4f6fa; border-radius: 4px; }
.v-btn.runoff-event-remove { color: #a1141f !important; }
.runoff-param-row { padding: 4px 0 6px 0; border-bottom: 1px solid #eee; }
.runoff-param-code { font-size: 0.75rem; color: #4a4a4a; background: none; padding: 0; }
.runoff-param-input input { font-size: 0.9rem; }
.runoff-problem, .runoff-error { color: #a1141f; font-size: 0.9rem; font-weight: 600; overflow-wrap: anywhere; }
.runoff-message { border: 1px solid #a1141f; border-radius: 4px; padding: 4px 8px; background: #fdf1f1; }
.runoff-message .runoff-error { flex: 1; }
.runoff-stale { opacity: 0.75; }
.runoff-log { max-height: 260px; overflow-y: auto; font-size: 0.85rem; margin: 0; padding-left: 1.2em; }
.runoff-upload { display: flex; flex-wrap: wrap; align-items: center; gap: 6px 10px; border: 1px dashed #767676;
                 border-radius: 4px; padding: 8px; margin: 6px 0; font-size: 0.85rem; color: #3d3d3d; }
.runoff-upload-over { background: #eef4fc; border-color: #1f5fa8; }
.runoff-upload-input { position: absolute; width: 1px; height: 1px; opacity: 0; overflow: hidden; }
.runoff-exports { margin-top: 4px; }
.runoff-param-group-header.v-btn { justify-content: flex-start; font-size: 0.95rem; font-weight: 600; }
.runoff-choice { margin: 4px 0; min-width: 0; }
.runoff-choice-label { display: flex; flex-direction: column; gap: 2px; font-size: 0.8rem; color: #3d3d3d; }
.runoff-choice-select { font-size: 0.95rem; padding: 4px 6px; border: 1px solid #767676; border-radius: 4px;
                        background: #fff; color: #1a1a1a; max-width: 100%; min-height: 34px;
                        -webkit-appearance: menulist; appearance: auto; }
.runoff-choice-select:focus-visible { outline: 3px solid #0b3d91; outline-offset: 1px; }
.v-tab { text-transform: none !important; letter-spacing: normal !important; font-size: 0.95rem; }
.runoff-app .v-btn { text-transform: none; letter-spacing: normal; }
.runoff-app .v-btn:focus-visible, .runoff-app a:focus-visible, .runoff-app .v-tab:focus-visible,
.runoff-app .v-slider__thumb-container:focus {
  outline: 3px solid #0b3d91 !important; outline-offset: 2px; }
.runoff-app .v-btn:focus::before { opacity: 0.18; }
@media (max-width: 1180px) { .runoff-main { grid-template-columns: 320px minmax(0, 1fr); } }
@media (max-width: 900px) {
  .runoff-main { display: flex; flex-direction: column; }
  .runoff-controls, .runoff-views { display: contents; }
  .runoff-runbar { order: 1; }
  .runoff-status { order: 2; }
  .runoff-result-card { order: 3; }
  .runoff-controls > * { order: 6; }
  .runoff-controls > .runoff-start, .runoff-controls > .runoff-exercise { order: 4; }
  .runoff-tabs { order: 5; }
  .runoff-main > * { width: 100%; }
  .runoff-runbar .runoff-day { min-width: 0; width: 100%; }
}
"""


class PageSetup(VuetifyTemplate):
    """Sets the page's language, title and a viewport that allows zooming, and reports the
    window's width (``page_setup.vue``)."""

    template_file = (__file__, "page_setup.vue")
    lang = traitlets.Unicode("en").tag(sync=True)
    title = traitlets.Unicode(TITLE).tag(sync=True)
    width = traitlets.Int(0).tag(sync=True)


def chart_layout(window: int, controls: bool) -> str | None:
    """The chart layout (:data:`runoff_abm.viz.svg.LAYOUTS`) that fits the views' column of a
    window ``window`` pixels wide (the breakpoints of :data:`CSS`); None when unknown."""
    if window <= 0:
        return None
    if window <= 900 or not controls:
        column = min(window, 1560) - 20
    else:
        column = min(window, 1560) - 20 - (320 if window <= 1180 else 350) - 12
    return "wide" if column > 860 else "medium" if column > 540 else "narrow"


def _run_job(work):
    """Body of the session's threaded tasks: run ``work`` (which reports its own errors)."""
    work()


@solara.component
def Layout(children=[]):  # noqa: B006 - Solara's signature for an app's layout
    """The page without Solara's default app bar: the app draws its own header."""
    return solara.Column(children=children, style={"padding": "0", "width": "100%", "min-width": "0"}, gap="0px")


@solara.component
def Header(show_controls: bool, set_show_controls, exercise_mode: bool):
    """Title line and the button that folds the settings away."""
    with rv.Html(tag="header", class_="runoff-header"):
        rv.Html(tag="h1", children=["runoff-abm"])
        rv.Html(tag="span", class_="runoff-tagline", children=[
            "a party-leadership runoff, day by day: members, activists, poll contractors and endorsements on an "
            "influence network"])
        solara.Button("Hide settings" if show_controls else "Show settings", small=True, outlined=True,
                      on_click=lambda: set_show_controls(not show_controls), classes=["runoff-toggle-settings"],
                      attributes={"aria-expanded": "true" if show_controls else "false"})


@solara.component
def ErrorPanel(error: BaseException, clear):
    """What a student sees if a view fails to draw: a short note (the traceback is in the server log)."""
    text = solara.use_memo(lambda: unexpected(error, "drawing the page"), [error])
    with solara.Column(classes=["runoff-app"]):
        solara.HTML(tag="div", unsafe_innerHTML=html.escape(text), classes=["runoff-error"],
                    attributes={"role": "alert"})
        solara.Button("Show the app again", on_click=clear, color="primary")


@solara.component
def Page(state: AppState | None = None, exercise: str | None = None, query: str | None = None):
    """The whole app for one browser session.

    Args:
        state: the session's state; None (what Solara passes) creates a new one. Tests pass
            their own to look at the model behind the page.
        exercise: an exercise preset to open (else taken from ``?exercise=NAME`` in the URL).
        query: a query string to use instead of the URL's (tests).
    """
    error, clear_error = solara.use_exception()
    state = solara.use_memo(lambda: state or AppState(), [])
    router = solara.use_router() if exercise is None and query is None else None
    search = query if query is not None else (f"exercise={exercise}" if exercise else getattr(router, "search", None))
    ex, ex_error = solara.use_memo(lambda: exercise_from_query(search), [search])
    tab, set_tab = solara.use_state(0)
    show_controls, set_show_controls = solara.use_state(True)

    def start():
        if ex is not None:
            state.guard("opening the exercise", apply_preset, state, ex)
        elif ex_error:
            state.message.value = ex_error
        state.guard("opening the link", state.apply_link, search)

    solara.use_effect(start, [search])  # after the first render: reading settings here must not tie the page to them
    model_task = solara.lab.use_task(_run_job, dependencies=None, raise_error=False)
    experiment_task = solara.lab.use_task(_run_job, dependencies=None, raise_error=False)
    state.bind(model_task, experiment_task)
    solara.use_effect(lambda: state.close, [])
    solara.Title(TITLE)
    solara.Style(CSS)
    window, set_window = solara.use_state(0)
    PageSetup.element(on_width=set_window)
    chart_layout_context.provide(chart_layout(window, show_controls))
    if error is not None:
        ErrorPanel(error, clear_error)
        return
    with solara.Column(classes=["runoff-app"], gap="6px"):
        Header(show_controls, set_show_controls, ex is not None)
        MessageBar(state)
        with solara.Div(classes=["runoff-main"] + ([] if show_controls else ["runoff-hide-controls"])):
            with rv.Html(tag="aside", class_="runoff-controls", attributes={"aria-label": "settings"}):
                if ex is not None:
                    ExercisePanel(ex)
                else:
                    StartHere(state, lambda: set_tab(TAB_NAMES.index("About")),
                              lambda: set_tab(TAB_NAMES.index("Compare")))
                if show_controls:
                    if ex is not None:
                        ExerciseControls(state, ex)
                    else:
                        ScenarioControls(state)
                        RunSettings(state)
                        EventEditor(state)
                        ParameterPanel(state)
            Views(state, tab, set_tab)


@solara.component
def Views(state: AppState, tab: int, set_tab):
    """The run bar, status, result and tabs: the only readers of the snapshot and run status, so
    one step re-renders this part of the page and nothing else."""
    snap = state.snapshot.value
    settings = state.settings.value
    with rv.Html(tag="main", class_="runoff-views"):  # one root: its children are the page's flex items on a phone
        RunBar(state, snap.day, snap.election_day, snap.running, state.busy.value, state.playing.value,
               state.progress.value, state.queued.value)
        StatusBar(snap, settings)
        ResultPanel(state, snap, state.pinned.value)
        with solara.Column(classes=["runoff-tabs"], gap="4px"):
            ViewTabs(state, snap, tab, set_tab)
