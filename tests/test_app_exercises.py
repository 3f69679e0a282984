"""Exercise mode in a real browser: each ``?exercise=NAME`` URL shows the exercise's instructions,
its preset scenario and member count, and only the controls it needs; all six work in the
browser. Exercise 5 (own rules) offers the exercise's own rules shipped with the package — no
upload, nothing from a file is run — and its result equals the model's with that rule."""

from __future__ import annotations

import pytest
from conftest import axe_violations, shot
from test_app_browser import LOAD_TIMEOUT, RUN_TIMEOUT, Watched, result_rows

from runoff_abm.model.api import run
from runoff_abm.model.params import PARAM_SPECS
from runoff_abm.viz.exercise import exercise_from_query
from runoff_abm.viz.exercise_rules import clan_vote
from runoff_abm.viz.presets import exercise_names, load_exercise


def test_query_string_selects_the_exercise_or_reports_an_unknown_one():
    ex, err = exercise_from_query("exercise=herzog-deal")
    assert ex.name == "herzog-deal" and err is None
    assert exercise_from_query(None) == (None, None)
    assert exercise_from_query("seed=3") == (None, None)
    ex, err = exercise_from_query("exercise=nope")
    assert ex is None and "nope" in err and "herzog-deal" in err


def test_all_six_exercises_are_presets():
    assert len(exercise_names()) == 6
    names = {s.name for s in PARAM_SPECS}
    for n in exercise_names():
        ex = load_exercise(n)
        assert set(ex.parameters) <= names
        assert "upload" not in ex.controls or "rules" not in ex.controls


@pytest.mark.parametrize("name", exercise_names())
def test_exercise_url_shows_instructions_preset_and_only_its_controls(browser, server, name):
    ex = load_exercise(name)
    w = Watched(browser, 1024, 768)
    try:
        page = w.page
        page.goto(f"{server.url}?exercise={name}")
        page.wait_for_selector(".runoff-exercise", timeout=LOAD_TIMEOUT)
        page.wait_for_selector(f"text={ex.scenario} · seed", timeout=LOAD_TIMEOUT)
        text = page.inner_text(".runoff-exercise")
        assert ex.title in text and "Goal:" in text
        assert f"{ex.members:,} members" in page.inner_text(".runoff-status")
        shown = set(page.eval_on_selector_all("[data-param]",
                                              "els => els.map(e => e.getAttribute('data-param'))"))
        assert shown == set(ex.parameters)
        assert page.locator(".runoff-param-panels").count() == 0          # not the full parameter panel
        assert (page.locator(".runoff-event-edit").count() > 0) == ("events" in ex.controls)
        assert (page.locator(".runoff-upload").count() > 0) == ("upload" in ex.controls)
        if "rules" in ex.controls:
            assert "own machine" in page.inner_text(".runoff-rules")
            page.click(".runoff-run")
            page.wait_for_selector(".runoff-winner", timeout=RUN_TIMEOUT)
            page.click(".runoff-pin")
            page.select_option(".runoff-rule-choice select", "clan_vote")
            page.wait_for_selector("text=rules: clan_vote", timeout=RUN_TIMEOUT)
            page.click(".runoff-run")
            page.wait_for_selector(".runoff-winner", timeout=RUN_TIMEOUT)
            expected = run(ex.scenario, seed=0, members=ex.members, rules={"choice": clan_vote})
            rows = result_rows(page)
            assert rows["Peretz"][0] == f"{expected.votes['Peretz']:,} votes · {expected.shares['Peretz']:.1%}"
            assert "This run: labor-2011: choice rule: clan_vote" in page.inner_text(".runoff-run-name")
            bad = axe_violations(page)
            assert bad == [], bad
        shot(page, f"exercise-{name}.png", docs=name == "your-own-rule")
    finally:
        w.close()
    w.check_clean()
