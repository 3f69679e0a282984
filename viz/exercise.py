"""Exercise mode: ``?exercise=NAME`` opens a preset scenario with the exercise's instructions
beside it and only the controls that exercise needs.

Presets are data (``scenarios/exercises/NAME.toml``, loaded by :mod:`runoff_abm.scenarios.exercises`):
title, the exercise folder, scenario, member count, controls, instructions. This module turns
the page's query string into a preset, applies it to a session's :class:`~runoff_abm.viz.state.AppState`
once, and draws the instructions and the reduced control column.
"""

from __future__ import annotations

from urllib.parse import parse_qs

import solara
from solara.alias import rv

from runoff_abm.model.scenario import ScenarioError
from runoff_abm.viz.controls import EventEditor, ParamSlider, RulesControl, RunSettings, ScenarioControls
from runoff_abm.viz.param_controls import param_controls
from runoff_abm.viz.presets import Exercise, exercise_names, load_exercise
from runoff_abm.viz.state import AppState
from runoff_abm.viz.text import markdown_html

__all__ = ["exercise_from_query", "apply_preset", "ExercisePanel", "ExerciseControls"]


def exercise_from_query(search: str | None) -> tuple[Exercise | None, str | None]:
    """The exercise named in a query string (``exercise=NAME``), and an error text if the name is
    unknown (the page then shows the message and the full app)."""
    if not search:
        return None, None
    names = parse_qs(search).get("exercise")
    if not names:
        return None, None
    try:
        return load_exercise(names[0]), None
    except ScenarioError as err:
        return None, f"exercise {names[0][:60]!r}: {err.message} (allowed: {', '.join(exercise_names())})"


def apply_preset(state: AppState, ex: Exercise) -> None:
    """Load the exercise's scenario and member count into the session (once, at page start)."""
    state.choose_builtin(ex.scenario)
    state.set_members(ex.members)


@solara.component
def ExercisePanel(ex: Exercise):
    """The exercise's title and instructions, and where its notebook is."""
    with solara.Card(classes=["runoff-card", "runoff-exercise"], margin=0):
        rv.Html(tag="h2", children=[f"Exercise: {ex.title}"], class_="runoff-card-heading")
        solara.HTML(tag="div", unsafe_innerHTML=markdown_html(ex.instructions), classes=["runoff-prose"])
        solara.Text(f"Notebook and worked solution: exercises/{ex.exercise}/ (docs/teaching.md)",
                    style={"font-size": "0.85rem", "color": "#4a4a4a"})


@solara.component
def ExerciseControls(state: AppState, ex: Exercise):
    """Only the controls the exercise names: seed/size, events, upload, rules, and its parameters."""
    if "upload" in ex.controls:
        ScenarioControls(state)
    if "rules" in ex.controls:
        RulesControl(state)
    if "seed" in ex.controls or "members" in ex.controls:
        RunSettings(state)
    if "events" in ex.controls:
        EventEditor(state)
    if ex.parameters:
        values = state.settings.value.params().as_dict()
        changed = dict(state.settings.value.overrides)
        controls = {c.name: c for c in param_controls()}
        with solara.Card(classes=["runoff-card", "runoff-exercise-params"], margin=0):
            rv.Html(tag="h2", children=["Parameters for this exercise"], class_="runoff-card-heading")
            for name in ex.parameters:
                ParamSlider(state, controls[name], values[name], name in changed)
