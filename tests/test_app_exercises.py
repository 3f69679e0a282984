"""Exercise mode in a real browser: each ``?exercise=NAME`` URL shows the exercise's
instructions, its preset scenario and member count, and only the parameters it needs."""

from __future__ import annotations

import pytest
from test_app_browser import ARTIFACTS, LOAD_TIMEOUT, Watched  # noqa: E402  (shared browser helpers)

from runoff_abm.model.params import PARAM_SPECS
from runoff_abm.viz.exercise import exercise_from_query
from runoff_abm.viz.presets import exercise_names, load_exercise


def test_query_string_selects_the_exercise_or_reports_an_unknown_one():
    ex, err = exercise_from_query("exercise=herzog-deal")
    assert ex.name == "herzog-deal" and err is None
    assert exercise_from_query(None) == (None, None)
    assert exercise_from_query("seed=3") == (None, None)
    ex, err = exercise_from_query("exercise=nope")
    assert ex is None and "nope" in err and "herzog-deal" in err


@pytest.mark.parametrize("name", exercise_names())
def test_exercise_url_shows_instructions_preset_and_only_its_controls(browser, server, name):
    ex = load_exercise(name)
    w = Watched(browser)
    try:
        page = w.page
        page.goto(f"{server.url}?exercise={name}")
        page.wait_for_selector(".runoff-exercise", timeout=LOAD_TIMEOUT)
        page.wait_for_selector(".runoff-day", timeout=LOAD_TIMEOUT)
        text = page.inner_text(".runoff-exercise")
        assert ex.title in text and "Goal:" in text
        page.wait_for_selector(f"text={ex.scenario} · seed", timeout=LOAD_TIMEOUT)
        assert f"{ex.members:,} members" in page.inner_text(".runoff-status")
        shown = set(page.eval_on_selector_all("[data-param]", "els => els.map(e => e.getAttribute('data-param'))"))
        assert shown == set(ex.parameters)
        assert page.locator(".runoff-param-panels").count() == 0          # not the full parameter panel
        assert (page.locator(".runoff-event-edit").count() > 0) == ("events" in ex.controls)
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"exercise-{name}.png"))
    finally:
        w.close()
    assert w.errors == [], w.errors
    assert w.remote() == []


def test_exercise_presets_cover_real_parameters():
    names = {s.name for s in PARAM_SPECS}
    for n in exercise_names():
        assert set(load_exercise(n).parameters) <= names
