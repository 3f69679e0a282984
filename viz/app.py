"""The Solara page of the app (``solara run viz.app`` / ``runoff viz`` / ``runoff viz``).

:func:`Page` creates one :class:`~runoff_abm.viz.state.AppState` per browser session (in ``use_memo``:
never module-level state, so a class of students on one server never see each other's runs)
and binds two Solara threaded tasks to it: one for the session's model (play, run to election
day, large rebuilds) and one for experiments (replicates, comparisons). Controls sit on the
left (:mod:`runoff_abm.viz.controls`), the run bar and the views on the right (:mod:`runoff_abm.viz.views`). With
``?exercise=NAME`` the left column shows that exercise's instructions and only its controls
(:mod:`runoff_abm.viz.exercise`).

Mesa's ``SolaraViz`` was considered for the page shell but does not fit here: it steps the
model on the UI thread, rebuilds the model from keyword parameters without reporting errors,
has no threaded long actions, and its module imports Altair (a Vega CDN dependency). The app
keeps Mesa's model contract (``model.step()``, ``model.running``, ``model.datacollector``) and
builds the page from Solara components.
"""

from __future__ import annotations

import solara
import solara.lab
from solara.alias import rv

from runoff_abm.viz.controls import EventEditor, ParameterPanel, RunSettings, ScenarioControls
from runoff_abm.viz.exercise import ExerciseControls, ExercisePanel, apply_preset, exercise_from_query
from runoff_abm.viz.state import AppState
from runoff_abm.viz.views import MessageBar, RightColumn

__all__ = ["Page", "Header", "CSS"]

CSS = """
.runoff-app { padding: 4px 8px 24px 8px; max-width: 1500px; margin: 0 auto; }
.runoff-controls { width: 400px; flex: 0 0 400px; }
.runoff-views { flex: 1 1 600px; min-width: 0; }
.runoff-card .v-card__title { font-size: 1.0em; padding: 8px 12px 4px 12px; }
.runoff-card .v-card__text { padding: 4px 12px 10px 12px; }
.runoff-figure { max-width: 100%; height: auto; }
.runoff-table { border-collapse: collapse; font-size: 0.9em; margin: 4px 0; }
.runoff-table th, .runoff-table td { padding: 3px 10px; border-bottom: 1px solid #e3e3e3; text-align: left; }
.runoff-table th { font-weight: 600; color: #444; }
.runoff-event { border-bottom: 1px solid #eee; padding: 2px 0; }
.runoff-event .v-btn { min-width: 0 !important; padding: 0 6px !important; }
.runoff-param-row { padding: 2px 0 4px 0; }
.runoff-param-input input { font-size: 0.85em; }
.v-expansion-panel-content__wrap { padding: 0 8px 8px 8px; }
.v-expansion-panel-header { min-height: 36px !important; padding: 6px 12px; font-size: 0.9em; }
.runoff-log { max-height: 260px; overflow-y: auto; }
.solara-file-drop { border: 1px dashed #999; border-radius: 4px; padding: 10px; font-size: 0.85em;
                    color: #555; margin: 6px 0; text-align: center; }
"""


def _run_job(work):
    """Body of the session's threaded tasks: run ``work`` (which reports its own errors)."""
    work()


@solara.component
def Header():
    """Title line."""
    with solara.Row(style={"align-items": "baseline", "gap": "12px"}):
        rv.Html(tag="h2", children=["runoff-abm"], style_="margin: 6px 0 0 0; font-weight: 600;")
        solara.Text("an agent-based model of a party-leadership runoff: members, poll contractors, activists "
                    "and endorsements on an influence network", style={"color": "#555", "font-size": "0.9em"})


@solara.component
def Page(state: AppState | None = None, exercise: str | None = None):
    """The whole app for one browser session.

    Args:
        state: the session's state; None (what Solara passes) creates a new one. Tests pass
            their own to look at the model behind the page.
        exercise: an exercise preset to open (else taken from ``?exercise=NAME`` in the URL).
    """
    state = solara.use_memo(lambda: state or AppState(), [])
    router = solara.use_router() if exercise is None else None
    search = f"exercise={exercise}" if exercise else getattr(router, "search", None)
    ex, ex_error = solara.use_memo(lambda: exercise_from_query(search), [search])

    def start_exercise():
        if ex is not None:
            apply_preset(state, ex)
        elif ex_error:
            state.message.value = ex_error

    solara.use_memo(start_exercise, [ex, ex_error])
    model_task = solara.lab.use_task(_run_job, dependencies=None, raise_error=False)
    experiment_task = solara.lab.use_task(_run_job, dependencies=None, raise_error=False)
    state.bind(model_task, experiment_task)
    solara.use_effect(lambda: state.close, [])
    solara.Title("runoff-abm")
    solara.Style(CSS)
    with solara.Column(classes=["runoff-app"], gap="8px"):
        Header()
        MessageBar(state)
        with solara.Row(gap="14px", style={"align-items": "flex-start", "flex-wrap": "wrap"}):
            with solara.Column(classes=["runoff-controls"], gap="8px"):
                if ex is not None:
                    ExercisePanel(ex)
                    ExerciseControls(state, ex)
                else:
                    ScenarioControls(state)
                    RunSettings(state)
                    EventEditor(state)
                    ParameterPanel(state)
            RightColumn(state)
