"""The app's settings (the left column on a wide screen, below the views on a phone): the start-here
card, scenario picker and upload, seed and members, the event editor and the parameters.

Each control is a small Solara component that reads the session's
:class:`~runoff_abm.viz.state.AppState` and calls one of its methods; none touches a model. A
problem is shown beside the field that caused it. Parameter controls are generated from
``PARAM_SPECS`` (:mod:`runoff_abm.viz.param_controls`): the plain label, unit and meaning are
shown, the basic parameters open and the advanced ones folded by group. The event editor is
derived from ``EVENT_KINDS`` (:mod:`runoff_abm.viz.events`): any field can change, the kind too,
and each field says what it means.
"""

from __future__ import annotations

from collections.abc import Callable

import solara
import solara.lab
from solara.alias import rv as v

from runoff_abm.model.events import EVENT_KINDS
from runoff_abm.model.scenario import ScenarioError, builtin_names
from runoff_abm.viz.choice import Choice
from runoff_abm.viz.events import edit_event, event_fields, field_choices, field_text, kind_labels
from runoff_abm.viz.exercise_rules import EXERCISE_RULES
from runoff_abm.viz.messages import field_problem
from runoff_abm.viz.param_controls import ParamControl, controls_by_level, format_value, tooltip
from runoff_abm.viz.session import DEFAULT_MEMBERS, LARGE_MEMBERS, MAX_UPLOAD_BYTES, member_range
from runoff_abm.viz.state import AppState
from runoff_abm.viz.svg import escape
from runoff_abm.viz.text import markdown_html
from runoff_abm.viz.upload import UploadZone
from runoff_abm.viz.views import Note, Problem

__all__ = ["StartHere", "ScenarioControls", "RunSettings", "EventEditor", "EventRow", "EventFields",
           "ParameterPanel", "ParamGroup", "ParamSlider", "RulesControl"]

_NOTE = {"font-size": "0.85rem", "color": "#4a4a4a"}


def _heading(text: str, level: int = 2):
    v.Html(tag=f"h{level}", children=[text], class_="runoff-card-heading")


# --------------------------------------------------------------------------- start here
def _field_editor(state: AppState, change: Callable, attr: str) -> Callable[[str], None]:
    """The ``on_value`` of an event field: apply ``change(attr, text)`` inside the state's guard."""
    def on_value(text: str) -> None:
        state.guard("editing an event", change, attr, text)
    return on_value


def round1_line(scn) -> str:
    """Round 1 in one line: each candidate's share of the ballots and the turnout."""
    ballots = scn.round1_ballots or 1
    parts = [f"{c.name} {c.votes / ballots:.1%}" for c in sorted(scn.candidates, key=lambda c: -c.votes)]
    return f"Round 1: {' · '.join(parts)}; turnout {scn.round1_ballots / scn.roll:.1%} of {scn.roll:,} members."


@solara.component
def StartHere(state: AppState, open_about, open_compare):
    """The scenario's title, description and round 1, and three steps to begin."""
    scn = state.settings.value.base
    opened, set_opened = solara.use_state(True)
    more, set_more = solara.use_state(False)
    with solara.Card(classes=["runoff-card", "runoff-start"], margin=0):
        with solara.Row(style={"align-items": "baseline", "justify-content": "space-between"}):
            _heading(scn.title)
            solara.Button("Hide" if opened else "Start here", text=True, small=True,
                          on_click=lambda: set_opened(not opened), classes=["runoff-start-toggle"])
        if not opened:
            return
        text = (scn.description or "").strip()
        if text:
            short = text if more or len(text) <= 260 else text[:text.rfind(" ", 0, 250)] + " …"
            v.Html(tag="p", children=[short], class_="runoff-description")
            if len(text) > 260:
                solara.Button("Less" if more else "More", text=True, small=True, on_click=lambda: set_more(not more))
        Note(round1_line(scn), ["runoff-round1-line"])
        v.Html(tag="h3", children=["Start here"], class_="runoff-steps-heading")
        v.Html(tag="ol", class_="runoff-steps", children=[
            v.Html(tag="li", children=["Press Step one day, or Run to election day, and watch the projection "
                                       "move; compare the result with the observed one."]),
            v.Html(tag="li", children=["Change something: an event between the rounds (what Herzog did on day 5?) "
                                       "or a parameter below. Pin the first run to keep it beside the next."]),
            v.Html(tag="li", children=["Run Replicates or Compare: one run is one draw; many seeds show what your "
                                       "change really does."]),
        ])
        with solara.Row(gap="4px", style={"flex-wrap": "wrap"}):
            solara.Button("Round-1 table and timeline", text=True, small=True, on_click=open_about,
                          classes=["runoff-open-about"])
            solara.Button("Compare", text=True, small=True, on_click=open_compare)


# --------------------------------------------------------------------------- scenario
@solara.component
def ScenarioControls(state: AppState):
    """Pick a built-in scenario or upload a scenario file (button or drop)."""
    settings = state.settings.value
    names = builtin_names()

    def on_file(name: str, data: bytes | None):
        if data is None:
            state.upload_failed(name)
        else:
            state.upload(name, data)

    with solara.Card(classes=["runoff-card", "runoff-settings-card"], margin=0):
        _heading("Scenario")
        Choice("Built-in scenario", value=settings.source if settings.source in names else None,
                      values=names, on_value=lambda name: state.guard("choosing a scenario", state.choose_builtin,
                                                                      name), classes=["runoff-scenario"])
        UploadZone(label=f"…or drop a .toml file here (at most {MAX_UPLOAD_BYTES // 1000:,} kB; format: "
                         "docs/scenarios.md)", allowed=state.upload_allowed, on_file=on_file)
        if not settings.is_builtin:
            Note(f"In use: {settings.source}", ["runoff-in-use"])
        Problem(state.problem("upload"), ["runoff-upload-problem"])
        Problem(state.problem("scenario"))
        if state.notice.value:
            solara.Text(state.notice.value, classes=["runoff-notice"], style={"font-size": "0.85rem", "color": "#1b5e20"})
        if state.warning.value:
            solara.Warning(state.warning.value, dense=True, classes=["runoff-upload-warning"])


@solara.component
def RunSettings(state: AppState):
    """Seed and member count (text boxes, checked and cast to int), full roll or default size."""
    settings = state.settings.value
    low, high = member_range(settings.base, state.limits)
    default = max(low, min(high, DEFAULT_MEMBERS))
    capped = high < settings.base.roll
    with solara.Card(classes=["runoff-card", "runoff-settings-card"], margin=0):
        _heading("Seed and members")
        with solara.Row(gap="8px"):
            solara.InputText("Seed", value=str(settings.seed), on_value=state.set_seed,  # type: ignore[arg-type]
                             classes=["runoff-seed"],
                             error=state.problem("seed") or False, dense=True)
            solara.InputText("Members", value=str(settings.members),
                             on_value=state.set_members,  # type: ignore[arg-type]
                             classes=["runoff-members"], error=state.problem("members") or False, dense=True)
        with solara.Row(gap="6px", style={"flex-wrap": "wrap"}):
            solara.Button(f"{'Server limit' if capped else 'Full roll'} ({high:,})", on_click=lambda: state.set_members(high),
                          small=True, text=True, classes=["runoff-full-roll"], disabled=settings.members == high)
            solara.Button(f"Default ({default:,})", on_click=lambda: state.set_members(default), small=True, text=True,
                          disabled=settings.members == default)
        note = f"{low:,} to {high:,} members"
        if capped:
            note += f" (the roll is {settings.base.roll:,}; this server allows at most {high:,})"
        note += f"; from {LARGE_MEMBERS:,} on the model is built in the background. Same seed, same run."
        Note(note)


# --------------------------------------------------------------------------- rules (exercise 5)
@solara.component
def RulesControl(state: AppState):
    """Exercise 5: choose one of the exercise's own decision rules (shipped with the package)."""
    chosen = dict(state.settings.value.rules)
    own = "the model's own rule"
    with solara.Card(classes=["runoff-card", "runoff-rules"], margin=0):
        _heading("Decision rules")
        for slot, meaning in (("choice", "how a member picks a finalist"), ("turnout", "whether a member votes")):
            names = [r.name for r in EXERCISE_RULES.values() if r.slot == slot]
            if not names:
                continue
            current = chosen.get(slot, own)
            Choice(f"{slot} rule ({meaning})", value=current, values=[own] + names,
                          on_value=lambda name, s=slot: state.set_rule(s, None if name == own else name),
                          classes=[f"runoff-rule-{slot}"])
            if current != own:
                Note(EXERCISE_RULES[current].text)
        Problem(state.problem("rules"))
        solara.HTML(tag="div", classes=["runoff-prose"], unsafe_innerHTML=markdown_html(
            "The rules offered here are the exercise's own (`exercises/05-your-own-rule/my_rules.py`). "
            "**Your own rule runs on your own machine**, not on this shared server: "
            "`runoff run labor-2011 --rule choice=my_rules.py:my_rule`, or in Python/Jupyter "
            "`run('labor-2011', rules={'choice': my_rule})` (docs/teaching.md)."))


# --------------------------------------------------------------------------- events
@solara.component
def EventEditor(state: AppState):
    """The scenario's events between the rounds: edit any field (the kind too), remove, add; each
    change is checked like a file's and applied at once (a fresh model at day 0)."""
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

    with solara.Card(classes=["runoff-card", "runoff-settings-card", "runoff-events"], margin=0):
        _heading(f"Events between the rounds ({len(events)})")
        Note("Numbered as on the charts. Edit any field, or the kind of event; the run restarts at day 0.")
        if not events:
            Note("No events: nothing happens between the rounds.")
        for i, event in enumerate(events):
            EventRow(state, i, event, editing == i, set_editing, remove)
        with solara.Row(gap="6px", style={"align-items": "center", "margin-top": "6px", "flex-wrap": "wrap"}):
            Choice("New event", value=new_kind, values=list(kinds), on_value=set_new_kind,
                          classes=["runoff-add-kind"])
            solara.Button("Add", on_click=lambda: state.guard("adding an event", add), small=True, color="primary",
                          classes=["runoff-add-event"])
        Problem(state.problem("events"))
        if tuple(events) != tuple(settings.base.events):
            solara.Button("Restore the scenario's events", on_click=lambda: (state.reset_events(), set_editing(None)),
                          small=True, text=True, classes=["runoff-restore-events"])


@solara.component
def EventRow(state: AppState, index: int, event, editing: bool, set_editing, remove):
    """One event: its number, day and sentence, with edit and remove buttons (its fields when edited)."""
    problem = state.problem(f"event:{index}")
    with v.Html(tag="div", class_=" ".join(["runoff-event"] + (["runoff-event-editing"] if editing else []))):
        solara.HTML(tag="div", classes=["runoff-event-day"], unsafe_innerHTML=(
            f'<span class="runoff-key-n">{index + 1}</span> <b>day {event.day}</b>'
            f'<p class="runoff-event-text">{escape(event.describe())}</p>'))
        solara.Button("Done" if editing else "Edit", text=True, small=True, classes=["runoff-event-edit"],
                      on_click=lambda: set_editing(None if editing else index))
        solara.Button("Remove", text=True, small=True, classes=["runoff-event-remove"],
                      on_click=lambda: remove(index))
        if editing:
            EventFields(state, index, event, set_editing, problem)
        elif problem:
            Problem(problem)


@solara.component
def EventFields(state: AppState, index: int, event, set_editing, problem: str | None):
    """The editable fields of one event: its kind, then the kind's declared fields with their
    meaning; choices come from the scenario, numbers are checked against the declared range."""
    scn = state.settings.value.base
    labels = kind_labels()
    by_label = {label: kind for kind, label in labels.items()}

    def change(attr, text):
        try:
            edited = edit_event(event, attr, text, scn, index)
        except ScenarioError as err:
            state._set_problem(f"event:{index}", field_problem(err).text)
            return
        pos = state.replace_event(index, edited)
        if pos is not None:
            set_editing(pos)

    def change_kind(label):
        pos = state.edit_event_kind(index, by_label[label])
        if pos is not None:
            set_editing(pos)

    cls = EVENT_KINDS[event.kind]
    bad = _bad_field(problem)
    with solara.Column(gap="2px", classes=["runoff-event-fields"]):
        Choice("Kind of event", value=labels[event.kind], values=list(by_label),
                      on_value=lambda label: state.guard("changing the kind", change_kind, label),
                      classes=["runoff-event-field", "field-kind"])
        Note(cls.meaning, ["runoff-kind-meaning"])
        for f in event_fields(event.kind):
            current = field_text(event, f.attr)
            classes = ["runoff-event-field", f"field-{f.attr}"]
            error: str | bool = problem if (bad == f.key and problem) else False
            if f.kind in ("day", "choice"):
                Choice(f.label, value=current, values=field_choices(event.kind, f.attr, scn),
                       on_value=_field_editor(state, change, f.attr), classes=classes)
                if isinstance(error, str):
                    Problem(error)
                elif f.kind == "choice":
                    Note(f.spec.meaning, ["runoff-field-hint"])
            else:
                solara.InputText(f.label, value=current, on_value=_field_editor(state, change, f.attr),
                                 classes=classes, dense=True, error=error, message=f.spec.meaning)
        if problem and not bad:
            Problem(problem)


def _bad_field(problem: str | None) -> str | None:
    """The field key a problem text names (``event 5, strength: ...`` -> ``strength``)."""
    if not problem or ", " not in problem:
        return None
    head = problem.split(":", 1)[0]
    if not head.startswith("event ") or ", " not in head:
        return None
    return head.split(", ", 1)[1].strip()


# --------------------------------------------------------------------------- parameters
@solara.component
def ParameterPanel(state: AppState):
    """One control per model parameter, from PARAM_SPECS: the basic ones first, the advanced ones
    folded by group."""
    settings = state.settings.value
    values = settings.params().as_dict()
    changed = dict(settings.overrides)
    basic, advanced = controls_by_level()
    opened, set_opened = solara.use_state([0])
    with solara.Card(classes=["runoff-card", "runoff-settings-card", "runoff-params"], margin=0):
        _heading("Parameters")
        with solara.Row(style={"align-items": "center"}):
            solara.Text(f"{len(values)} parameters; {len(changed)} changed"
                        + (f" ({', '.join(changed)})" if changed else ""),
                        classes=["runoff-param-summary"], style={"font-size": "0.85rem", "flex": "1"})
            solara.Button("Reset", on_click=state.reset_params, small=True, text=True, disabled=not changed,
                          classes=["runoff-reset-params"])
        groups = [("main parameters", basic)] + [(f"advanced: {g}", cs) for g, cs in advanced.items()]
        with solara.Column(gap="2px", classes=["runoff-param-panels"]):
            for k, (group, controls) in enumerate(groups):
                ParamGroup(state, group, controls, values, changed, k in opened,
                           lambda k=k: set_opened([x for x in opened if x != k] if k in opened else opened + [k]))


@solara.component
def ParamGroup(state: AppState, group: str, controls: tuple[ParamControl, ...], values: dict, changed: dict,
               opened: bool, toggle):
    """One group: a header button that folds it, and a slider and a text box per parameter, created
    when the group is first opened (a page with every control built costs each of 30 students'
    browsers and the server hundreds of widgets nobody looks at)."""
    marks = sum(1 for c in controls if c.name in changed)
    seen, set_seen = solara.use_state(False)
    if opened and not seen:
        set_seen(True)
    slug = group.replace("advanced: ", "").replace(" ", "-")
    with solara.Column(gap="0px", classes=["runoff-param-group", f"group-{slug}"]):
        label = f"{group} ({len(controls)})" + (f" — {marks} changed" if marks else "")
        solara.Button(label, icon_name="mdi-chevron-up" if opened else "mdi-chevron-down", text=True, block=True,
                      on_click=toggle, classes=["runoff-param-group-header"],
                      attributes={"aria-expanded": "true" if opened else "false"})
        if opened or seen:
            with solara.Column(gap="0px", style={} if opened else {"display": "none"}):
                for control in controls:
                    ParamSlider(state, control, values[control.name], control.name in changed)


@solara.component
def ParamSlider(state: AppState, control: ParamControl, value, changed: bool):
    """A parameter: plain label, unit and meaning; a slider (applied on release) and a text box
    (applied on Enter or leaving it); its code name for the command line."""
    spec = control.spec
    problem = state.problem(f"param:{spec.name}")

    def on_slide(widget, event, data):
        def apply():  # whatever a page sends is checked: a bad value is a problem at the field
            number = int(round(float(data))) if control.is_int else round(float(data), control.decimals + 3)
            return state.set_param(spec.name, number)

        state.guard("setting a parameter", apply, area=f"param:{spec.name}")

    def on_text(text):
        state.guard("setting a parameter", state.set_param_text, spec.name, text, area=f"param:{spec.name}")

    label = spec.label or spec.name
    # one HTML element for the texts: the page stays light for a class of thirty (each widget costs
    # every step a little on the server)
    text = (f'<div class="runoff-param-name" title="{escape(tooltip(spec))}">{escape(label)}{" ●" if changed else ""}</div>'
            f'<p class="runoff-note runoff-param-meaning">{escape(spec.meaning)} ({escape(spec.unit)}) '
            f'<code class="runoff-param-code">{escape(spec.name)} [{spec.low:g} – {spec.high:g}]</code></p>')
    with v.Html(tag="div", class_=" ".join(["runoff-param-row"] + (["runoff-param-changed"] if changed else []))):
        solara.HTML(tag="div", unsafe_innerHTML=text, classes=["runoff-param-texts"])
        with v.Html(tag="div", class_="runoff-param-controls"):
            slider = v.Slider(v_model=value, min=spec.low, max=spec.high, step=control.step, dense=True,
                              hide_details=True, class_=f"runoff-param param-{spec.name}",
                              attributes={"data-param": spec.name, "aria-label": label}, style_="flex: 1")
            v.use_event(slider, "change", on_slide)  # type: ignore[arg-type]  # ipyvue passes (widget, event, data)
            solara.InputText("value", value=format_value(control, value), on_value=on_text, dense=True,
                             classes=["runoff-param-input", f"param-{spec.name}"], error=bool(problem),
                             style={"max-width": "96px"})
        if problem:
            Problem(problem)
