"""The app's components without a browser: ``solara.render`` the page, find widgets, click them.

Each test renders the real :func:`runoff_abm.viz.app.Page` with its own
:class:`runoff_abm.viz.state.AppState`, drives the widgets as a user would (clicks, text typed and
confirmed, slider releases, selections, an uploaded file) and checks both what the page shows and
the model behind it.
"""

from __future__ import annotations

import html
import logging
import re
import time
from dataclasses import replace

import ipyvuetify as v
import ipywidgets
import pytest
import solara
from solara.widgets import HTML

from runoff_abm.model.api import run
from runoff_abm.model.events import ActivistsDefect, Endorse, Neutral
from runoff_abm.model.params import PARAM_SPECS
from runoff_abm.model.scenario import load_scenario
from runoff_abm.viz import exports
from runoff_abm.viz.app import Page
from runoff_abm.viz.choice import ChoiceWidget
from runoff_abm.viz.limits import ServerLimits
from runoff_abm.viz.param_controls import controls_by_level, slider_step
from runoff_abm.viz.session import Session, Settings
from runoff_abm.viz.state import AppState
from runoff_abm.viz.upload import UploadWidget

WAIT = 30  # seconds to wait for a threaded job (a run to election day, an upload)


def make_state(seed=0, members=5000, limits=None) -> AppState:
    return AppState(Session(Settings.builtin("labor-2011", seed=seed, members=members)), limits=limits)


@pytest.fixture
def app():
    """The page rendered around a fresh AppState (labor-2011, seed 0, 5,000 members), with every
    parameter group opened."""
    state = make_state()
    box, rc = solara.render(Page(state=state, query=""), handle_error=False)
    open_parameter_panels(rc)
    yield state, rc
    rc.close()


def strip(markup: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", " ", markup or ""))


def widgets_of(rc, widget_class) -> list:
    """Every widget of ``widget_class`` in the page, also inside widgets of that class (reacton's
    ``find`` does not look inside a match)."""
    found, seen = [], set()
    queue = list(rc.find(ipywidgets.Widget).widgets)
    while queue:
        node = queue.pop(0)
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, ipywidgets.Widget):
            if isinstance(node, widget_class):
                found.append(node)
            queue += [getattr(node, k) for k in node.keys]
        elif isinstance(node, (list, tuple)):
            queue += [x for x in node if isinstance(x, (ipywidgets.Widget, list, tuple, dict))]
        elif isinstance(node, dict):
            queue += [x for x in node.values() if isinstance(x, (ipywidgets.Widget, list, tuple, dict))]
    return found


def having(rc, widget_class, cls) -> list:
    """Every widget of ``widget_class`` whose CSS classes include all of ``cls`` (space-separated)."""
    wanted = cls.split()
    return [w for w in widgets_of(rc, widget_class) if all(c in (getattr(w, "class_", "") or "").split() for c in wanted)]


def one(rc, widget_class, cls):
    found = having(rc, widget_class, cls)
    assert len(found) == 1, (cls, len(found))
    return found[0]


def texts(rc, cls) -> list[str]:
    """Text of every Html widget with CSS class ``cls`` (flattened children)."""
    out = [" ".join(str(c) for c in w.children) for w in having(rc, v.Html, cls)]
    out += [strip(w.unsafe_innerHTML) for w in widgets_of(rc, HTML) if cls in w.attributes.get("class", "").split()]
    return out


def html_of(rc, cls) -> str:
    """The inner HTML of the HTML widget whose class list contains ``cls``, or of the one that
    contains an element of that class."""
    for w in widgets_of(rc, HTML):
        if cls in w.attributes.get("class", "").split() or f'class="{cls}' in (w.unsafe_innerHTML or "") \
                or re.search(rf'class="[^"]*\b{re.escape(cls)}\b', w.unsafe_innerHTML or ""):
            return w.unsafe_innerHTML
    return ""


def table_rows(rc, cls) -> dict[str, list[str]]:
    """The rows of the table with class ``cls``: {first cell: other cells}."""
    markup = html_of(rc, cls)
    rows = {}
    for tr in re.findall(r"<tr>(.*?)</tr>", markup):
        cells = [html.unescape(re.sub(r"<[^>]+>", "", c)).strip() for c in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", tr)]
        if cells:
            rows[cells[0]] = cells[1:]
    return rows


def problems(state) -> dict:
    return dict(state.problems.value)


class _Found:
    def __init__(self, widget):
        self.widget = widget


def button(rc, label):
    found = [w for w in widgets_of(rc, v.Btn) if w.children == [label]]
    assert len(found) == 1, (label, len(found))
    return _Found(found[0])


def wait_until(condition, timeout=WAIT):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return False


def open_parameter_panels(rc):
    """Open every parameter group (their controls are created when first opened)."""
    for header in having(rc, v.Btn, "runoff-param-group-header"):
        if header.attributes.get("aria-expanded") == "false":
            header.click()


def choice(rc, cls) -> ChoiceWidget:
    """The native select whose box has CSS classes ``cls``."""
    wanted = cls.split()
    found = [w for w in widgets_of(rc, ChoiceWidget) if all(c in w.class_.split() for c in wanted)]
    assert len(found) == 1, (cls, len(found))
    return found[0]


def slider_of(rc, name):
    return next(w for w in widgets_of(rc, v.Slider) if w.attributes.get("data-param") == name)


def type_into(rc, cls, text):
    """Type ``text`` into the text field with CSS class ``cls`` and press Enter."""
    field = one(rc, v.TextField, cls)
    field.v_model = text
    field.fire_event("keyup.enter", None)


# --------------------------------------------------------------------------- parameter controls
def test_basic_parameters_are_open_and_advanced_ones_folded_until_opened():
    state = make_state(members=1000)
    _, rc = solara.render(Page(state=state, query=""), handle_error=False)
    try:
        basic, advanced = controls_by_level()
        assert basic and all(c.spec.level == "basic" for c in basic)
        names = {w.attributes["data-param"] for w in widgets_of(rc, v.Slider) if "runoff-param" in w.class_.split()}
        assert names == {c.name for c in basic}  # the main panel is open, the advanced ones are not built
        headers = having(rc, v.Btn, "runoff-param-group-header")
        assert [h.attributes["aria-expanded"] for h in headers] == ["true"] + ["false"] * len(advanced)
        first_group = next(iter(advanced))
        headers[1].click()
        names = {w.attributes["data-param"] for w in widgets_of(rc, v.Slider) if "runoff-param" in w.class_.split()}
        assert names == {c.name for c in basic} | {c.name for c in advanced[first_group]}
    finally:
        rc.close()


def test_every_parameter_has_one_slider_and_one_text_box_with_its_plain_label(app):
    state, rc = app
    sliders = [w for w in widgets_of(rc, v.Slider) if "runoff-param" in w.class_.split()]
    assert sorted(w.attributes["data-param"] for w in sliders) == sorted(s.name for s in PARAM_SPECS)
    boxes = [w for w in widgets_of(rc, v.TextField) if "runoff-param-input" in w.class_.split()]
    box_names = [c[len("param-"):] for w in boxes for c in w.class_.split() if c.startswith("param-")]
    assert sorted(box_names) == sorted(s.name for s in PARAM_SPECS)
    labels = {w.attributes["data-param"]: w.attributes["aria-label"] for w in sliders}
    shown = " ".join(texts(rc, "runoff-param-texts"))
    for spec in PARAM_SPECS:
        assert labels[spec.name] == spec.label  # the slider's accessible name is the plain label
        assert spec.meaning in shown and spec.unit in shown


def test_parameter_controls_are_derived_from_the_specs(app):
    state, rc = app
    params = state.session.model.params
    by_name = {w.attributes["data-param"]: w for w in widgets_of(rc, v.Slider) if "runoff-param" in w.class_.split()}
    for spec in PARAM_SPECS:
        slider = by_name[spec.name]
        assert (slider.min, slider.max) == (spec.low, spec.high), spec.name
        assert slider.step == slider_step(spec)
        if spec.type is int:
            assert slider.step == 1 and isinstance(slider.v_model, int), spec.name
        assert slider.v_model == getattr(params, spec.name)
        steps = (spec.default - spec.low) / slider.step
        assert abs(steps - round(steps)) < 1e-6, spec.name
    headers = [w.children[1] for w in having(rc, v.Btn, "runoff-param-group-header")]
    basic, advanced = controls_by_level()
    assert [h.split(" (")[0] for h in headers] == ["main parameters"] + [f"advanced: {g}" for g in advanced]


def test_slider_release_sets_the_model_parameter(app):
    state, rc = app
    slider = slider_of(rc, "influence_rate")
    slider.v_model = 0.6
    slider.fire_event("change", 0.6)
    assert state.session.model.params.influence_rate == 0.6
    assert state.session.model.day == 0
    assert "changed: influence_rate = 0.6" in texts(rc, "runoff-status")[0]
    int_slider = slider_of(rc, "mean_degree")
    int_slider.fire_event("change", 12.0)
    assert state.session.model.params.mean_degree == 12
    assert isinstance(state.session.model.params.mean_degree, int)


def test_a_bad_parameter_value_is_shown_at_its_field_not_in_the_banner(app):
    state, rc = app
    type_into(rc, "runoff-param-input param-contractor_compliance", "0.4")
    assert state.session.model.params.contractor_compliance == 0.4
    type_into(rc, "runoff-param-input param-contractor_compliance", "7")
    p = problems(state)
    assert "out of range" in p["param:contractor_compliance"] and "general" not in p
    shown = " ".join(texts(rc, "runoff-problem"))
    assert "contractor_compliance" in shown and "out of range" in shown
    assert state.session.model.params.contractor_compliance == 0.4  # unchanged
    type_into(rc, "runoff-param-input param-mean_degree", "ten")
    assert "mean_degree" in problems(state)["param:mean_degree"]
    one(rc, v.Btn, "runoff-reset-params").click()
    assert state.session.model.params.contractor_compliance == next(
        s.default for s in PARAM_SPECS if s.name == "contractor_compliance")
    assert not any(k.startswith("param:") for k in problems(state))


# --------------------------------------------------------------------------- stepping
def test_stepping_updates_the_day_and_the_svg_charts(app):
    state, rc = app
    assert texts(rc, "runoff-day") == ["Day 0 of 9"]
    chart = html_of(rc, "runoff-chart-projection")
    assert chart.count("<svg") == 3 and 'role="img"' in chart and "aria-label=" in chart
    button(rc, "Step one day").widget.click()
    assert texts(rc, "runoff-day") == ["Day 1 of 9"]
    assert state.session.model.day == 1 and len(state.snapshot.value.daily) == 2
    after = html_of(rc, "runoff-chart-projection")
    assert after != chart and "day 1:" in after  # hover text per day
    assert widgets_of(rc, v.Img) == []  # no raster images: the server draws no PNG per step
    assert "Projection on day 1" in " ".join(texts(rc, "runoff-card-heading"))


def test_run_to_election_day_shows_the_result_beside_the_observed_one(app):
    state, rc = app
    button(rc, "Run to election day").widget.click()
    assert wait_until(lambda: texts(rc, "runoff-winner")), "no result within the time limit"
    expected = run("labor-2011", seed=0, members=5000)
    assert state.session.model.result.votes == expected.votes
    rows = table_rows(rc, "runoff-result")
    for name in ("Yachimovich", "Peretz"):
        assert rows[name][0] == f"{expected.votes[name]:,} votes · {expected.shares[name]:.1%}"
    assert rows["Yachimovich"][-1] == "22,299 votes · 54.3%" and rows["Peretz"][-1] == "18,769 votes · 45.7%"
    assert texts(rc, "runoff-winner") == [f"Winner: {expected.winner}"]
    assert texts(rc, "runoff-day") == ["Day 9 of 9 — runoff held"]
    assert button(rc, "Step one day").widget.disabled
    assert texts(rc, "runoff-run-name") == ["This run: labor-2011 as recorded"]


def test_reset_returns_to_day_zero_with_the_same_run(app):
    state, rc = app
    for _ in range(3):
        button(rc, "Step one day").widget.click()
    first = state.snapshot.value.daily["projected_share_a"].tolist()
    one(rc, v.Btn, "runoff-reset").click()
    assert texts(rc, "runoff-day") == ["Day 0 of 9"]
    for _ in range(3):
        button(rc, "Step one day").widget.click()
    assert state.snapshot.value.daily["projected_share_a"].tolist() == first


# --------------------------------------------------------------------------- seed and size
def test_seed_and_members_from_text_boxes_with_errors_at_the_field(app):
    state, rc = app
    type_into(rc, "runoff-seed", " 17 ")
    assert state.session.model.seed == 17 and isinstance(state.session.model.seed, int)
    type_into(rc, "runoff-members", "2,500")
    assert state.session.model.n == 2500
    type_into(rc, "runoff-seed", "abc")
    assert "seed: 'abc' is not a whole number" in problems(state)["seed"]
    seed_box = one(rc, v.TextField, "runoff-seed")
    assert seed_box.error and "is not a whole number" in str(seed_box.messages)  # shown under the seed box
    assert state.session.model.seed == 17
    type_into(rc, "runoff-members", "10")
    assert "members: 10 is out of range" in problems(state)["members"]
    assert state.session.model.n == 2500


def test_members_are_capped_by_the_servers_limit_not_the_file():
    state = make_state(limits=ServerLimits(max_members=8000))
    assert not state.set_members("20000")
    assert "20,000 is out of range; allowed: 100 to 8,000 members" in problems(state)["members"]
    assert state.set_members("8000") and state.session.model.n == 8000


# --------------------------------------------------------------------------- event editor
def event_index(state, predicate) -> int:
    return next(i for i, e in enumerate(state.settings.value.events) if predicate(e))


def test_event_editor_removes_adds_and_changes_events_with_sensible_defaults(app):
    state, rc = app
    neutral = event_index(state, lambda e: isinstance(e, Neutral) and e.by == "Herzog")
    having(rc, v.Btn, "runoff-event-remove")[neutral].click()
    assert not any(isinstance(e, Neutral) for e in state.session.model.scenario.events)

    choice(rc, "runoff-add-kind").value = "endorsement"
    one(rc, v.Btn, "runoff-add-event").click()
    # the new event opens for editing: Herzog (the one eliminated candidate not yet declared), with the
    # median strength of the scenario's own endorsements (0.4-0.6), not the top of the range
    assert choice(rc, "runoff-event-field field-by").value == "Herzog"
    assert one(rc, v.TextField, "runoff-event-field field-strength").v_model == "0.5"
    meaning = next(f.meaning for f in Endorse.fields if f.name == "strength")
    assert meaning in str(one(rc, v.TextField, "runoff-event-field field-strength").messages)
    choice(rc, "runoff-event-field field-target").value = "Peretz"
    choice(rc, "runoff-event-field field-day").value = "5"
    events = state.session.model.scenario.events
    assert Endorse(day=5, by="Herzog", target="Peretz", strength=0.5) in events
    assert [e.day for e in events] == sorted(e.day for e in events)
    type_into(rc, "runoff-event-field field-strength", "0.8")
    assert Endorse(day=5, by="Herzog", target="Peretz", strength=0.8) in state.session.model.scenario.events
    name = state.settings.value.name()
    assert name == ("labor-2011: Herzog endorses Peretz (strength 0.8) on day 5 instead of Herzog declares "
                    "neutrality"), name

    button(rc, "Run to election day").widget.click()
    assert wait_until(lambda: texts(rc, "runoff-winner"))
    expected = run(state.settings.value.scenario(), seed=0, members=5000)
    assert state.session.model.result.votes == expected.votes
    assert expected.votes != run("labor-2011", seed=0, members=5000).votes
    assert texts(rc, "runoff-run-name") == [f"This run: {name}"]


def test_an_events_kind_can_be_changed_in_place(app):
    state, rc = app
    neutral = event_index(state, lambda e: isinstance(e, Neutral) and e.by == "Herzog")
    having(rc, v.Btn, "runoff-event-edit")[neutral].click()
    kind = choice(rc, "runoff-event-field field-kind")
    assert kind.value == "neutrality"
    kind.value = "endorsement"
    events = state.settings.value.events
    assert len(events) == len(load_scenario("labor-2011").events)
    changed = [e for e in events if isinstance(e, Endorse) and e.by == "Herzog"]
    assert changed == [Endorse(day=5, by="Herzog", target="Yachimovich", strength=0.5)]  # day and 'by' kept
    assert state.settings.value.changes() == [
        "Herzog endorses Yachimovich (strength 0.5) on day 5 instead of Herzog declares neutrality"]
    # still open for editing, now with the endorsement's fields
    assert choice(rc, "runoff-event-field field-target").value == "Yachimovich"


def test_event_editor_shows_bad_values_at_the_field_counting_from_one(app):
    state, rc = app
    before = state.session.model.scenario.events
    mitzna = event_index(state, lambda e: isinstance(e, Endorse) and e.by == "Mitzna")
    having(rc, v.Btn, "runoff-event-edit")[mitzna].click()
    type_into(rc, "runoff-event-field field-strength", "1.5")
    text = problems(state)[f"event:{mitzna}"]
    assert text == f"event {mitzna + 1}, strength: 1.5 is out of range; allowed: (0, 1]"
    assert "/" not in text and "events[" not in text  # no server path, no 0-based index
    box = one(rc, v.TextField, "runoff-event-field field-strength")
    assert box.error and text in str(box.messages)
    assert state.session.model.scenario.events == before
    # a second declaration by the same candidate is refused by Scenario.with_events
    choice(rc, "runoff-event-field field-by").value = "Herzog"
    assert "Herzog already declared" in problems(state)[f"event:{mitzna}"]
    assert state.session.model.scenario.events == before
    # moving an activist defection's first day keeps the span valid
    defect = event_index(state, lambda e: isinstance(e, ActivistsDefect))
    having(rc, v.Btn, "runoff-event-edit")[defect].click()
    choice(rc, "runoff-event-field field-day").value = "6"
    moved = [e for e in state.session.model.scenario.events if isinstance(e, ActivistsDefect) and e.day == 6]
    assert moved and moved[0].until >= 6


# --------------------------------------------------------------------------- scenario files
def upload(rc, name: str, data: bytes) -> None:
    """Choose a file in the upload widget (the browser side of the transfer replaced by bytes)."""
    import io

    zone = widgets_of(rc, UploadWidget)[0]
    zone.get_files = lambda timeout=30: [{"name": name, "size": len(data), "file_obj": io.BytesIO(data)}]
    zone.file_info = [{"name": name, "size": len(data), "isFile": True, "stamp": time.time()}]


def upload_problem(state):
    return problems(state).get("upload") or ""


def test_a_bad_uploaded_file_says_why_beside_the_upload_and_keeps_the_model(app):
    state, rc = app
    model = state.session.model
    upload(rc, "broken.toml", b'base = "labor-2011"\nname = "broken"\n[[events]]\nkind = "endorse"\nday = 3\n'
                              b'by = "Herzog"\nfor = "Herzog"\n')
    assert wait_until(lambda: "broken.toml" in upload_problem(state))
    assert upload_problem(state).startswith("Not loaded: broken.toml: event 1, for: 'Herzog' is not allowed")
    assert state.session.model is model
    upload(rc, "syntax.toml", b"roll = = 3\n")
    assert wait_until(lambda: "syntax.toml: TOML syntax error" in upload_problem(state))
    upload(rc, "notes.txt", b"hello")
    assert wait_until(lambda: "notes.txt: not a scenario file" in upload_problem(state))
    assert state.session.model is model and state.settings.value.source == "labor-2011"
    # the page still works: a step after the failed uploads moves the day. The upload's reading
    # thread may still be finishing, and the page then renders the step a moment later, so wait.
    assert wait_until(lambda: not state.busy.value and not button(rc, "Step one day").widget.disabled)
    button(rc, "Step one day").widget.click()
    assert state.session.model.day == 1
    assert wait_until(lambda: texts(rc, "runoff-day") == ["Day 1 of 9"]), texts(rc, "runoff-day")


def test_an_upload_naming_rules_is_refused_and_nothing_is_imported(app, monkeypatch):
    import importlib

    imported = []
    real = importlib.import_module
    monkeypatch.setattr(importlib, "import_module", lambda name, *a: imported.append(name) or real(name, *a))
    state, rc = app
    upload(rc, "hook.toml", b'base = "labor-2011"\nname = "hook"\n[rules]\nchoice = "sys:addaudithook"\n')
    assert wait_until(lambda: "hook.toml" in upload_problem(state))
    assert "cannot name decision rules" in upload_problem(state)
    assert state.settings.value.source == "labor-2011" and "sys" not in imported
    button(rc, "Run to election day").widget.click()
    assert wait_until(lambda: texts(rc, "runoff-winner"))


def test_a_file_too_large_is_refused_before_it_is_read(app):
    state, rc = app
    zone = widgets_of(rc, UploadWidget)[0]
    read = []
    zone.get_files = lambda timeout=30: read.append(1) or []
    zone.file_info = [{"name": "big.toml", "size": 5_000_000, "isFile": True, "stamp": 1}]
    assert wait_until(lambda: "big.toml" in upload_problem(state))
    assert "5,000,000 bytes" in upload_problem(state) and read == []


def test_a_good_upload_becomes_the_scenario_and_a_base_replacing_events_is_announced(app):
    state, rc = app
    upload(rc, "mine.toml", b'base = "labor-2011"\nname = "mine"\ntitle = "My counterfactual"\n'
                            b'[parameters]\ncontractor_compliance = 0.5\n')
    assert wait_until(lambda: state.notice.value)
    assert state.session.model.scenario.name == "mine"
    assert state.session.model.params.contractor_compliance == 0.5
    assert "Loaded mine.toml: My counterfactual" in state.notice.value and state.warning.value is None
    assert texts(rc, "runoff-status")[0].startswith("mine · seed 0")
    upload(rc, "one.toml", b'base = "labor-2011"\nname = "one"\n[[events]]\nkind = "endorse"\nday = 3\n'
                           b'by = "Herzog"\nfor = "Peretz"\n')
    assert wait_until(lambda: state.warning.value)
    assert state.session.model.scenario.name == "one" and len(state.session.model.scenario.events) == 1
    warning = state.warning.value
    n = len(load_scenario("labor-2011").events)
    assert f"replace all {n} events of labor-2011" in warning and "one.toml" in warning


def test_builtin_scenario_picker(app):
    state, rc = app
    choice(rc, "runoff-scenario").value = "labor-2011-no-events"
    assert state.session.model.scenario.name == "labor-2011-no-events"
    assert state.session.model.scenario.events == ()
    assert having(rc, v.Btn, "runoff-event-remove") == []


def test_sessions_do_not_share_state():
    first, second = make_state(seed=1, members=1000), make_state(seed=2, members=1000)
    _, rc1 = solara.render(Page(state=first, query=""), handle_error=False)
    _, rc2 = solara.render(Page(state=second, query=""), handle_error=False)
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


# --------------------------------------------------------------------------- counterfactuals
def test_pin_rerun_and_read_both_named_results_and_their_csv(app):
    state, rc = app
    button(rc, "Run to election day").widget.click()
    assert wait_until(lambda: texts(rc, "runoff-winner"))
    one(rc, v.Btn, "runoff-pin").click()
    assert state.pinned.value.name == "labor-2011 as recorded"
    assert state.edit_event_kind(event_index(state, lambda e: isinstance(e, Neutral)), "endorse") is not None
    assert wait_until(lambda: texts(rc, "runoff-day") == ["Day 0 of 9"]), texts(rc, "runoff-day")  # a fresh run
    button(rc, "Run to election day").widget.click()
    assert wait_until(lambda: texts(rc, "runoff-winner"))
    rows = table_rows(rc, "runoff-result")
    base = run("labor-2011", seed=0, members=5000)
    cf = run(state.settings.value.scenario(), seed=0, members=5000)
    assert rows["result"] == ["this run", "pinned run", "difference", "observed"]
    assert rows["Yachimovich"][:2] == [f"{cf.votes['Yachimovich']:,} votes · {cf.shares['Yachimovich']:.1%}",
                                       f"{base.votes['Yachimovich']:,} votes · {base.shares['Yachimovich']:.1%}"]
    assert texts(rc, "runoff-pinned-name")[0].startswith("Pinned run: labor-2011 as recorded")
    assert "instead of Herzog declares neutrality" in texts(rc, "runoff-run-name")[0]
    csv_text = exports.runs_csv([("pinned", state.pinned.value), ("this run", state.current_record())])
    lines = [line.split(",") for line in csv_text.strip().splitlines()]
    assert lines[1][0] == "pinned" and int(lines[1][5]) == base.votes["Yachimovich"]
    assert lines[2][0] == "this run" and int(lines[2][5]) == cf.votes["Yachimovich"]


def test_replicates_are_named_marked_stale_and_placed_against_the_observed_band():
    state = make_state(members=1000)
    assert state.start_replicates("6")
    result = state.replicates.value
    assert result.name == "labor-2011 as recorded" and result.summary.n == 6 and not result.stopped
    assert result.key == state.settings.value.key()
    state.set_seed("5")
    assert state.replicates.value.key != state.settings.value.key()  # stale: the view marks it
    assert not state.start_replicates("100000")
    assert "100,000 is out of range; allowed: 1 to 200 (the server's limit)" in problems(state)["replicates"]
    from runoff_abm.viz.views import band_sentence

    outside = band_sentence(0.543, 0.501, 0.531, "labor-2011 as recorded", "Yachimovich")
    assert outside.startswith("The observed 54.3% for Yachimovich lies above the middle 90%")
    assert "inside" in band_sentence(0.52, 0.501, 0.531, "x", "Yachimovich")


def test_a_job_stops_at_the_servers_wall_clock_cap_and_keeps_its_runs():
    state = make_state(members=1000, limits=ServerLimits(job_seconds=1.0))
    assert state.start_replicates("200")
    result = state.replicates.value
    assert 1 <= result.summary.n < 200
    assert result.stopped == "stopped at the server's limit of 1 s per job"


# --------------------------------------------------------------------------- links
def test_a_share_link_reproduces_the_settings_and_the_run():
    state = make_state(seed=7, members=3000)
    state.edit_event_kind(event_index(state, lambda e: isinstance(e, Neutral)), "endorse")
    state.set_param("endorsement_trust", 0.6)
    query = state.link_query()
    other = AppState(Session(Settings.builtin("labor-2011-no-events")))
    assert other.apply_link(query), problems(other)
    a, b = state.settings.value, other.settings.value
    assert (b.source, b.seed, b.members, b.overrides, b.events) == (a.source, a.seed, a.members, a.overrides, a.events)
    assert other.session.run_to_end().result.votes == state.session.run_to_end().result.votes


@pytest.mark.parametrize("query, expected", [
    ("scenario=nope", "'nope' is not a built-in scenario"),
    ("scenario=labor-2011&seed=-1", "seed: -1 is out of range"),
    ("scenario=labor-2011&members=99999999", "members: 99,999,999 is out of range"),
    ("scenario=labor-2011&set=influence_rate:7", "influence_rate"),
    ("scenario=labor-2011&events=!!!", "not a list of events"),
    ("scenario=labor-2011&events=" + "W" * 9000, "at most 8,192"),
    ("scenario=labor-2011&events=W3sia2luZCI6ImVuZG9yc2UiLCJkYXkiOjMsImJ5IjoiSGVyem9nIiwiZm9yIjoiSGVyem9nIn1d",
     "event 1, for: 'Herzog' is not allowed"),
    ("scenario=labor-2011&rule=choice:os.system", "'os.system' is not offered here"),
])
def test_a_bad_link_is_refused_with_a_message_and_changes_nothing(query, expected):
    state = make_state(seed=3)
    before = state.settings.value
    assert not state.apply_link(query)
    assert expected in problems(state)["general"], problems(state)
    assert state.settings.value is before


# --------------------------------------------------------------------------- robustness
def test_a_bug_shows_a_reference_not_a_traceback_and_logs_it(app, caplog, monkeypatch):
    state, rc = app

    def broken():
        raise RuntimeError("secret /srv/app/internal.py detail")

    monkeypatch.setattr(state.session, "step", broken)
    with caplog.at_level(logging.ERROR, logger="runoff_abm.viz"):
        button(rc, "Step one day").widget.click()
    shown = problems(state)["general"]
    assert shown.startswith("Something went wrong on the server during step (reference ")
    assert "secret" not in shown and "Traceback" not in shown and "/srv" not in shown
    assert any("secret /srv/app/internal.py detail" in r.exc_text for r in caplog.records if r.exc_text)
    assert texts(rc, "runoff-day") == ["Day 0 of 9"]


def test_exercise_rules_are_the_exercises_own_functions():
    import inspect
    from pathlib import Path

    from runoff_abm.viz import exercise_rules

    source = (Path(__file__).resolve().parent.parent / "exercises" / "05-your-own-rule" / "my_rules.py").read_text()
    for rule in exercise_rules.EXERCISE_RULES.values():
        assert inspect.getsource(rule.function) in source, rule.name
    state = make_state(members=2000)
    assert state.set_rule("choice", "clan_vote")
    assert state.settings.value.name() == "labor-2011: choice rule: clan_vote"
    got = state.session.run_to_end().result
    expected = run("labor-2011", seed=0, members=2000, rules={"choice": exercise_rules.clan_vote})
    assert got.votes == expected.votes != run("labor-2011", seed=0, members=2000).votes
    assert not state.apply(replace(state.settings.value, rules=(("choice", "os:system"),)), "rules")


def test_whatever_a_page_sends_is_checked(app):
    """A page (or a hand-made websocket client) can send any value through a widget: the app
    checks it like typed input and shows a problem, never a traceback."""
    state, rc = app
    slider = slider_of(rc, "influence_rate")
    slider.fire_event("change", "not a number")
    assert "param:influence_rate" in problems(state) and state.session.model.params.influence_rate == 0.3
    slider.fire_event("change", 1e9)
    assert "out of range" in problems(state)["param:influence_rate"]
    kind = choice(rc, "runoff-scenario")
    kind.value = "no-such-scenario"  # not one of the choices: ignored
    assert state.settings.value.source == "labor-2011"
