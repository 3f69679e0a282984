"""The app's components without a browser: ``solara.render`` the page, find widgets, click them.

Each test renders the real :func:`runoff_abm.viz.app.Page` with its own :class:`runoff_abm.viz.state.AppState`, drives
the widgets as a user would (clicks, text typed and confirmed, slider releases, selections,
a dropped file) and checks both what the page shows and the model behind it.
"""

from __future__ import annotations

import io
import time

import ipyvuetify as v
import ipywidgets as widgets
import pytest
import solara
from solara.components.file_drop import FileDropZone

from runoff_abm.model.api import run
from runoff_abm.model.events import ActivistsDefect, Endorse, Neutral
from runoff_abm.model.params import PARAM_SPECS
from runoff_abm.model.scenario import load_scenario
from runoff_abm.viz.app import Page
from runoff_abm.viz.param_controls import controls_by_group, slider_step
from runoff_abm.viz.session import Session, Settings
from runoff_abm.viz.state import AppState

WAIT = 30  # seconds to wait for a threaded job (a run to election day, an upload)


@pytest.fixture
def app():
    """The page rendered around a fresh AppState (labor-2011, seed 0, 5,000 members), with every
    parameter group opened."""
    state = AppState(Session(Settings.builtin("labor-2011", seed=0, members=5000)))
    box, rc = solara.render(Page(state=state), handle_error=False)
    open_parameter_panels(rc)
    yield state, rc
    rc.close()


def texts(rc, cls) -> list[str]:
    """Text of every Html widget with CSS class ``cls`` (flattened children)."""
    return [" ".join(str(c) for c in w.children) for w in rc.find(v.Html, class_=cls).widgets]


def table_text(rc, cls) -> str:
    """All cell text of the table with class ``cls``."""
    cells = []
    for table in rc.find(v.Html, tag="table").widgets:
        if cls in table.class_.split():
            for row in table.children:
                cells += [str(cell.children[0]) for cell in row.children]
    return " | ".join(cells)


def button(rc, label):
    return rc.find(v.Btn, children=[label])


def error_text(rc) -> str:
    alerts = rc.find(v.Alert).widgets
    return " ".join(str(c) for a in alerts for c in a.children if isinstance(c, str))


def wait_until(condition, timeout=WAIT):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return False


def open_parameter_panels(rc):
    """Open every parameter group (their controls are created when first opened)."""
    panels = rc.find(v.ExpansionPanels, class_="runoff-param-panels").widget
    panels.v_model = list(range(len(controls_by_group())))


def type_into(rc, cls, text):
    """Type ``text`` into the text field with CSS class ``cls`` and press Enter."""
    field = rc.find(v.TextField, class_=cls).widget
    field.v_model = text
    field.fire_event("keyup.enter", None)


# --------------------------------------------------------------------------- parameter controls
def test_parameter_groups_create_their_controls_when_opened():
    state = AppState(Session(Settings.builtin("labor-2011", seed=0, members=1000)))
    _, rc = solara.render(Page(state=state), handle_error=False)
    try:
        assert [w for w in rc.find(v.Slider).widgets if "runoff-param" in w.class_.split()] == []
        panels = rc.find(v.ExpansionPanels, class_="runoff-param-panels").widget
        panels.v_model = [list(controls_by_group()).index("influence")]
        names = {w.attributes["data-param"] for w in rc.find(v.Slider).widgets if "runoff-param" in w.class_.split()}
        assert names == {c.name for c in controls_by_group()["influence"]}
        panels.v_model = []  # closing keeps them (no rebuild on every toggle)
        assert len([w for w in rc.find(v.Slider).widgets if "runoff-param" in w.class_.split()]) == len(names)
    finally:
        rc.close()


def test_every_parameter_has_exactly_one_slider_and_one_text_box(app):
    state, rc = app
    sliders = [w for w in rc.find(v.Slider).widgets if "runoff-param" in w.class_.split()]
    names = [w.attributes["data-param"] for w in sliders]
    assert sorted(names) == sorted(s.name for s in PARAM_SPECS)
    boxes = [w for w in rc.find(v.TextField).widgets if "runoff-param-input" in w.class_.split()]
    box_names = [c[len("param-"):] for w in boxes for c in w.class_.split() if c.startswith("param-")]
    assert sorted(box_names) == sorted(s.name for s in PARAM_SPECS)


def test_parameter_controls_are_derived_from_the_specs(app):
    state, rc = app
    params = state.session.model.params
    by_name = {w.attributes["data-param"]: w for w in rc.find(v.Slider).widgets if "runoff-param" in w.class_.split()}
    for spec in PARAM_SPECS:
        slider = by_name[spec.name]
        assert (slider.min, slider.max) == (spec.low, spec.high), spec.name
        assert slider.step == slider_step(spec)
        if spec.type is int:
            assert slider.step == 1 and isinstance(slider.v_model, int), spec.name
        assert slider.v_model == getattr(params, spec.name)
        # the default lies on the slider's grid
        steps = (spec.default - spec.low) / slider.step
        assert abs(steps - round(steps)) < 1e-6, spec.name
    # one panel per spec.group, in order, each listing its parameters
    headers = [w.children[0] for w in rc.find(v.ExpansionPanelHeader, class_="runoff-param-group-header").widgets]
    groups = controls_by_group()
    assert [h.split(" (")[0] for h in headers] == list(groups)
    # tooltips carry each spec's meaning and unit
    tips = " ".join(str(c) for w in rc.find(v.Tooltip).widgets for c in w.children)
    for spec in PARAM_SPECS:
        assert spec.meaning in tips and spec.unit in tips


def test_slider_release_sets_the_model_parameter(app):
    state, rc = app
    slider = rc.find(v.Slider, attributes={"data-param": "influence_rate"}).widget
    slider.v_model = 0.6
    slider.fire_event("change", 0.6)
    assert state.session.model.params.influence_rate == 0.6
    assert state.session.model.day == 0
    assert "changed: influence_rate = 0.6" in texts(rc, "runoff-status")[0]
    int_slider = rc.find(v.Slider, attributes={"data-param": "mean_degree"}).widget
    int_slider.fire_event("change", 12.0)
    assert state.session.model.params.mean_degree == 12
    assert isinstance(state.session.model.params.mean_degree, int)


def test_text_box_sets_a_parameter_and_rejects_a_bad_value(app):
    state, rc = app
    type_into(rc, "runoff-param-input param-contractor_compliance", "0.4")
    assert state.session.model.params.contractor_compliance == 0.4
    type_into(rc, "runoff-param-input param-contractor_compliance", "7")
    assert "contractor_compliance" in error_text(rc) and "out of range" in error_text(rc)
    assert state.session.model.params.contractor_compliance == 0.4  # unchanged
    type_into(rc, "runoff-param-input param-mean_degree", "ten")
    assert "mean_degree" in error_text(rc)
    reset = [w for w in button(rc, "Reset").widgets if w.class_ == "runoff-reset-params"][0]  # not the run bar's
    reset.click()
    assert state.session.model.params.contractor_compliance == PARAM_SPECS[[s.name for s in PARAM_SPECS].index(
        "contractor_compliance")].default


# --------------------------------------------------------------------------- stepping
def test_stepping_updates_the_day_and_the_charts(app):
    state, rc = app
    assert texts(rc, "runoff-day") == ["Day 0 of 9"]
    projection = rc.find(widgets.Image, meta_ref="projection").widget
    network = rc.find(widgets.Image, meta_ref="network").widget
    before = (projection.value, network.value)
    button(rc, "Step one day").widget.click()
    assert texts(rc, "runoff-day") == ["Day 1 of 9"]
    assert state.session.model.day == 1
    assert len(state.snapshot.value.daily) == 2
    assert projection.value != before[0] and network.value != before[1]
    assert "Projection on day 1" in " ".join(str(c) for w in rc.find(v.CardTitle).widgets for c in w.children)


def test_run_to_election_day_shows_the_result_beside_the_observed_one(app):
    state, rc = app
    button(rc, "Run to election day").widget.click()
    assert wait_until(lambda: texts(rc, "runoff-winner")), "no result within the time limit"
    result = state.session.model.result
    expected = run("labor-2011", seed=0, members=5000)
    assert result.votes == expected.votes
    shown = table_text(rc, "runoff-result")
    for name in ("Yachimovich", "Peretz"):
        assert f"{expected.votes[name]:,} votes · {expected.shares[name]:.1%}" in shown
    assert "22,299 votes · 54.3%" in shown and "18,769 votes · 45.7%" in shown  # observed 2011
    assert texts(rc, "runoff-winner") == [f"Winner: {expected.winner}"]
    assert texts(rc, "runoff-day") == ["Day 9 of 9 — runoff held"]
    assert button(rc, "Step one day").widget.disabled


def test_reset_returns_to_day_zero_with_the_same_run(app):
    state, rc = app
    for _ in range(3):
        button(rc, "Step one day").widget.click()
    first = state.snapshot.value.daily["projected_share_a"].tolist()
    [w for w in button(rc, "Reset").widgets if w.class_ == "runoff-reset"][0].click()
    assert texts(rc, "runoff-day") == ["Day 0 of 9"]
    for _ in range(3):
        button(rc, "Step one day").widget.click()
    assert state.snapshot.value.daily["projected_share_a"].tolist() == first


# --------------------------------------------------------------------------- seed and size
def test_seed_and_members_from_text_boxes(app):
    state, rc = app
    type_into(rc, "runoff-seed", " 17 ")
    assert state.session.model.seed == 17 and isinstance(state.session.model.seed, int)
    type_into(rc, "runoff-members", "2,500")
    assert state.session.model.n == 2500
    type_into(rc, "runoff-seed", "abc")
    assert "seed: 'abc' is not a whole number" in error_text(rc)
    assert state.session.model.seed == 17
    type_into(rc, "runoff-members", "10")
    assert "members: 10 is out of range" in error_text(rc)
    assert state.session.model.n == 2500


# --------------------------------------------------------------------------- event editor
def event_index(state, predicate) -> int:
    return next(i for i, e in enumerate(state.settings.value.events) if predicate(e))


def test_event_editor_removes_adds_and_changes_events(app):
    state, rc = app
    neutral = event_index(state, lambda e: isinstance(e, Neutral) and e.by == "Herzog")
    rc.find(v.Btn, children=["remove"]).widgets[neutral].click()
    assert not any(isinstance(e, Neutral) for e in state.session.model.scenario.events)

    rc.find(v.Select, class_="runoff-add-kind").widget.v_model = "endorsement"
    button(rc, "Add").widget.click()
    # the new event opens for editing: Herzog (the one eliminated candidate not yet declared)
    assert rc.find(v.Select, class_="runoff-event-field field-by").widget.v_model == "Herzog"
    rc.find(v.Select, class_="runoff-event-field field-target").widget.v_model = "Peretz"
    rc.find(v.Select, class_="runoff-event-field field-day").widget.v_model = "5"
    events = state.session.model.scenario.events
    assert Endorse(day=5, by="Herzog", target="Peretz", strength=1.0) in events
    assert [e.day for e in events] == sorted(e.day for e in events)
    assert "Herzog endorses Peretz (strength 1)" in " ".join(texts(rc, "runoff-event-text"))

    type_into(rc, "runoff-event-field field-strength", "0.8")
    assert Endorse(day=5, by="Herzog", target="Peretz", strength=0.8) in state.session.model.scenario.events

    # the shown result follows: same seed, the edited scenario
    button(rc, "Run to election day").widget.click()
    assert wait_until(lambda: texts(rc, "runoff-winner"))
    expected = run(state.settings.value.scenario(), seed=0, members=5000)
    assert state.session.model.result.votes == expected.votes
    assert expected.votes != run("labor-2011", seed=0, members=5000).votes


def test_event_editor_rejects_bad_values_with_a_message(app):
    state, rc = app
    before = state.session.model.scenario.events
    mitzna = event_index(state, lambda e: isinstance(e, Endorse) and e.by == "Mitzna")
    rc.find(v.Btn, children=["edit"]).widgets[mitzna].click()
    type_into(rc, "runoff-event-field field-strength", "1.5")
    assert f"event {mitzna + 1}.strength: 1.5 is out of range; allowed: (0, 1]" in error_text(rc)
    assert state.session.model.scenario.events == before
    # a second declaration by the same candidate is refused by Scenario.with_events
    rc.find(v.Select, class_="runoff-event-field field-by").widget.v_model = "Herzog"
    assert "Herzog already declared" in error_text(rc)
    assert state.session.model.scenario.events == before
    # an activist defection whose last day precedes its first
    defect = event_index(state, lambda e: isinstance(e, ActivistsDefect))
    rc.find(v.Btn, children=["edit"]).widgets[defect].click()
    rc.find(v.Select, class_="runoff-event-field field-day").widget.v_model = "6"
    moved = [e for e in state.session.model.scenario.events if isinstance(e, ActivistsDefect) and e.day == 6]
    assert moved and moved[0].until >= 6


# --------------------------------------------------------------------------- scenario files
def drop_file(rc, name: str, data: bytes) -> None:
    """Drop a file on the page's FileDrop (the browser side of the transfer replaced by bytes)."""
    zone = rc.find(FileDropZone).widget
    zone.get_files = lambda timeout=30: [{"name": name, "size": len(data), "file_obj": io.BytesIO(data)}]
    zone.file_info = [{"name": name, "size": len(data), "isFile": True}]


def test_bad_uploaded_toml_shows_an_error_and_keeps_the_model(app):
    state, rc = app
    model = state.session.model
    drop_file(rc, "broken.toml", b'base = "labor-2011"\nname = "broken"\n[[events]]\nkind = "endorse"\nday = 3\nby = "Herzog"\n'
                                 b'for = "Herzog"\n')
    assert wait_until(lambda: "broken.toml" in error_text(rc))
    assert "events[0].for: 'Herzog' is not allowed; allowed: Yachimovich, Peretz" in error_text(rc)
    assert state.session.model is model
    drop_file(rc, "syntax.toml", b"roll = = 3\n")
    assert wait_until(lambda: "syntax.toml: TOML syntax error" in error_text(rc))
    drop_file(rc, "notes.txt", b"hello")
    assert wait_until(lambda: "notes.txt: not a scenario file" in error_text(rc))
    assert state.session.model is model
    button(rc, "Step one day").widget.click()  # the page still works
    assert texts(rc, "runoff-day") == ["Day 1 of 9"]


def test_good_uploaded_toml_becomes_the_scenario(app):
    state, rc = app
    drop_file(rc, "mine.toml", b'base = "labor-2011"\nname = "mine"\ntitle = "My counterfactual"\n'
                               b'[parameters]\ncontractor_compliance = 0.5\n')
    assert wait_until(lambda: state.session.model.scenario.name == "mine")
    assert state.session.model.params.contractor_compliance == 0.5
    assert wait_until(lambda: texts(rc, "runoff-status") and texts(rc, "runoff-status")[0].startswith("mine · seed 0"))
    assert not error_text(rc)


def test_builtin_scenario_picker(app):
    state, rc = app
    rc.find(v.Select, class_="runoff-scenario").widget.v_model = "labor-2011-no-events"
    assert state.session.model.scenario.name == "labor-2011-no-events"
    assert state.session.model.scenario.events == ()
    assert rc.find(v.Btn, children=["remove"]).widgets == []
    assert load_scenario("labor-2011-no-events").events == ()


def test_sessions_do_not_share_state():
    first = AppState(Session(Settings.builtin(seed=1, members=1000)))
    second = AppState(Session(Settings.builtin(seed=2, members=1000)))
    _, rc1 = solara.render(Page(state=first), handle_error=False)
    _, rc2 = solara.render(Page(state=second), handle_error=False)
    open_parameter_panels(rc2)
    try:
        button(rc1, "Step one day").widget.click()
        type_into(rc2, "runoff-param-input param-influence_rate", "0.5")
        assert texts(rc1, "runoff-day") == ["Day 1 of 9"] and texts(rc2, "runoff-day") == ["Day 0 of 9"]
        assert first.session.model.params.influence_rate == 0.3
        assert second.session.model.params.influence_rate == 0.5
        assert first.session.model is not second.session.model
    finally:
        rc1.close()
        rc2.close()
