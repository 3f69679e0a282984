"""The app's settings controls (left column): scenario picker and upload, seed and size, the
event editor and one control per model parameter (the run buttons are in :mod:`runoff_abm.viz.views`).

Each control is a small Solara component that reads the session's :class:`~runoff_abm.viz.state.AppState`
and calls one of its methods; none of them touches a model. Parameter controls are generated
from ``PARAM_SPECS`` through :mod:`runoff_abm.viz.param_controls` — a slider with the spec's range (an
integer slider for integer parameters) and a text box for an exact value, grouped by
``spec.group``, the spec's meaning, unit, range and source as tooltip.
"""

from __future__ import annotations

import solara
import solara.lab
from solara.alias import rv as v

from runoff_abm.model.params import ParameterError
from runoff_abm.model.scenario import ScenarioError, builtin_names
from runoff_abm.viz.events import edit_event, event_fields, field_choices, field_text, kind_labels
from runoff_abm.viz.param_controls import ParamControl, controls_by_group, format_value, parse_text, tooltip
from runoff_abm.viz.session import DEFAULT_MEMBERS, LARGE_MEMBERS, member_range
from runoff_abm.viz.state import AppState

__all__ = ["ScenarioControls", "RunSettings", "EventEditor", "EventRow", "EventFields",
           "ParameterPanel", "ParamGroup", "ParamSlider"]


# --------------------------------------------------------------------------- scenario
@solara.component
def ScenarioControls(state: AppState):
    """Pick a built-in scenario or drop a scenario file (a bad file shows its error)."""
    settings = state.settings.value
    names = builtin_names()

    def on_file(file):
        state.upload(file["name"], file["data"] or b"")

    with solara.Card("Scenario", classes=["runoff-card"], margin=0):
        solara.Select("Built-in scenario", value=settings.source if settings.source in names else None,
                      values=names, on_value=state.choose_builtin, classes=["runoff-scenario"])
        solara.FileDrop(label="…or drop a scenario .toml file here (format: docs/scenarios.md)", on_file=on_file,
                        lazy=False)
        solara.Text(f"{settings.base.title}", style={"font-size": "0.85em", "font-weight": "600"})
        if settings.source not in names:
            solara.Text(f"from {settings.source}", style={"font-size": "0.8em"})
        if state.notice.value:
            solara.Text(state.notice.value, style={"font-size": "0.8em", "color": "#2e7d32"})


@solara.component
def RunSettings(state: AppState):
    """Seed and member count (text boxes, checked and cast to int), full roll or default size."""
    settings = state.settings.value
    seed_error, set_seed_error = solara.use_state(None)
    members_error, set_members_error = solara.use_state(None)
    low, roll = member_range(settings.base)
    default = max(low, min(roll, DEFAULT_MEMBERS))

    def on_seed(text):
        ok = state.set_seed(text)
        set_seed_error(None if ok else state.message.value)

    def on_members(text):
        ok = state.set_members(text)
        set_members_error(None if ok else state.message.value)

    with solara.Card("Seed and size", classes=["runoff-card"], margin=0):
        with solara.Row(gap="8px"):
            solara.InputText("Seed", value=str(settings.seed), on_value=on_seed, classes=["runoff-seed"],
                             error=seed_error or False, dense=True)
            solara.InputText("Members", value=str(settings.members), on_value=on_members, classes=["runoff-members"],
                             error=members_error or False, dense=True)
        with solara.Row(gap="6px", style={"flex-wrap": "wrap"}):
            solara.Button(f"Full roll ({roll:,})", on_click=lambda: on_members(roll), small=True, text=True,
                          classes=["runoff-full-roll"], disabled=settings.members == roll)
            solara.Button(f"Default ({default:,})", on_click=lambda: on_members(default), small=True, text=True,
                          disabled=settings.members == default)
        solara.Text(f"{low:,} to {roll:,} members; from {LARGE_MEMBERS:,} on the model is built in the background.",
                    style={"font-size": "0.75em", "color": "#666"})


# --------------------------------------------------------------------------- events
@solara.component
def EventEditor(state: AppState):
    """The scenario's events between the rounds: edit, remove, add; each change is checked and
    applied with ``Scenario.with_events`` (a fresh model at day 0)."""
    settings = state.settings.value
    events = settings.events
    editing, set_editing = solara.use_state(None)
    labels = kind_labels()
    new_kind, set_new_kind = solara.use_state(next(iter(labels.values())))
    kinds = {label: kind for kind, label in labels.items()}

    def add():
        pos = state.add_event(kinds[new_kind])
        if pos is not None:
            set_editing(pos)

    def remove(index):
        if state.remove_event(index):
            set_editing(None)

    with solara.Card(f"Events between the rounds ({len(events)})", classes=["runoff-card"], margin=0):
        if not events:
            solara.Text("No events: nothing happens between the rounds.", style={"font-size": "0.85em"})
        for i, event in enumerate(events):
            EventRow(state, i, event, editing == i, set_editing, remove)
        with solara.Row(gap="6px", style={"align-items": "center", "margin-top": "6px"}):
            solara.Select("New event", value=new_kind, values=list(kinds), on_value=set_new_kind,
                          classes=["runoff-add-kind"], dense=True)
            solara.Button("Add", on_click=add, small=True, color="primary", classes=["runoff-add-event"])
        if tuple(events) != tuple(settings.base.events):
            solara.Button("Restore the scenario's events", on_click=lambda: (state.reset_events(), set_editing(None)),
                          small=True, text=True, classes=["runoff-restore-events"])


@solara.component
def EventRow(state: AppState, index: int, event, editing: bool, set_editing, remove):
    """One event: its day and description, with edit and remove buttons (and its fields when edited)."""
    with solara.Column(gap="0px", classes=["runoff-event"] + (["runoff-event-editing"] if editing else [])):
        with solara.Row(gap="4px", style={"align-items": "center"}):
            solara.Text(f"day {event.day}", style={"font-weight": "600", "min-width": "3.6em", "font-size": "0.85em"})
            solara.Text(event.describe(), classes=["runoff-event-text"], style={"flex": "1", "font-size": "0.85em"})
            solara.Button("done" if editing else "edit", text=True, small=True, classes=["runoff-event-edit"],
                          on_click=lambda: set_editing(None if editing else index))
            solara.Button("remove", text=True, small=True, color="error", classes=["runoff-event-remove"],
                          on_click=lambda: remove(index))
        if editing:
            EventFields(state, index, event, set_editing)


@solara.component
def EventFields(state: AppState, index: int, event, set_editing):
    """The editable fields of one event (choices from the scenario; numbers in (0, 1])."""
    scn = state.settings.value.base

    def change(attr, text):
        try:
            edited = edit_event(event, attr, text, scn, index)
        except ScenarioError as err:
            state.message.value = str(err)
            return
        pos = state.replace_event(index, edited)
        if pos is not None:
            set_editing(pos)

    with solara.Column(gap="2px", style={"padding": "4px 8px 8px 12px", "background": "#f6f8fb"}):
        for f in event_fields(event.kind):
            current = field_text(event, f.attr)
            classes = ["runoff-event-field", f"field-{f.attr}"]
            if f.kind in ("day", "choice"):
                solara.Select(f.label, value=current, values=field_choices(event.kind, f.attr, scn),
                              on_value=lambda text, a=f.attr: change(a, text), classes=classes, dense=True)
            else:
                solara.InputText(f.label, value=current, on_value=lambda text, a=f.attr: change(a, text),
                                 classes=classes, dense=True)


# --------------------------------------------------------------------------- parameters
@solara.component
def ParameterPanel(state: AppState):
    """One control per model parameter, from PARAM_SPECS, in one expandable panel per group."""
    settings = state.settings.value
    values = settings.params().as_dict()
    changed = dict(settings.overrides)
    groups = controls_by_group()
    opened, set_opened = solara.use_state([])
    with solara.Card("Parameters", classes=["runoff-card"], margin=0):
        with solara.Row(style={"align-items": "center"}):
            solara.Text(f"{len(values)} parameters; {len(changed)} changed here"
                        + (f" ({', '.join(changed)})" if changed else ""),
                        classes=["runoff-param-summary"], style={"font-size": "0.8em", "flex": "1"})
            solara.Button("Reset", on_click=state.reset_params, small=True, text=True, disabled=not changed,
                          classes=["runoff-reset-params"])
        with v.ExpansionPanels(v_model=opened, on_v_model=lambda value: set_opened(list(value or [])), multiple=True,
                               accordion=True, flat=True, class_="runoff-param-panels"):
            for k, (group, controls) in enumerate(groups.items()):
                ParamGroup(state, group, controls, values, changed, k in opened)


@solara.component
def ParamGroup(state: AppState, group: str, controls: tuple[ParamControl, ...], values: dict, changed: dict,
               opened: bool):
    """One group's panel: a slider and a text box per parameter, created when the panel is first
    opened (a page with every control built costs each of 30 students' browsers and the server
    hundreds of widgets nobody looks at)."""
    marks = sum(1 for c in controls if c.name in changed)
    seen, set_seen = solara.use_state(False)
    if opened and not seen:
        set_seen(True)
    with v.ExpansionPanel(class_=f"runoff-param-group group-{group}"):
        v.ExpansionPanelHeader(children=[f"{group} ({len(controls)})" + (f" — {marks} changed" if marks else "")],
                               class_="runoff-param-group-header")
        with v.ExpansionPanelContent():
            if opened or seen:
                for control in controls:
                    ParamSlider(state, control, values[control.name], control.name in changed)


@solara.component
def ParamSlider(state: AppState, control: ParamControl, value, changed: bool):
    """A parameter's slider (applied on release) and text box (applied on Enter or leaving it),
    with the spec's meaning, unit, range and source as tooltip."""
    spec = control.spec
    text_error, set_text_error = solara.use_state(None)

    def on_slide(widget, event, data):
        number = int(round(float(data))) if control.is_int else round(float(data), control.decimals + 3)
        set_text_error(None)
        state.set_param(spec.name, number)

    def on_text(text):
        try:
            number = parse_text(spec.name, text)
        except ParameterError as err:
            set_text_error(err.message)
            state.message.value = str(err)
            return
        set_text_error(None)
        state.set_param(spec.name, number)

    with solara.Column(gap="0px", classes=["runoff-param-row"]):
        with solara.Tooltip(tooltip(spec)):
            solara.Text(spec.name + (" ●" if changed else ""), classes=["runoff-param-name"],
                        style={"font-size": "0.8em", "font-weight": "600" if changed else "400"})
        with solara.Row(gap="6px", style={"align-items": "center"}):
            slider = v.Slider(v_model=value, min=spec.low, max=spec.high, step=control.step, dense=True,
                              hide_details=True, class_=f"runoff-param param-{spec.name}",
                              attributes={"data-param": spec.name}, style_="flex: 1")
            v.use_event(slider, "change", on_slide)
            solara.InputText("", value=format_value(control, value), on_value=on_text, dense=True,
                             classes=["runoff-param-input", f"param-{spec.name}"], error=text_error or False,
                             style={"max-width": "92px"})
