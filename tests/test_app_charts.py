"""The app's charts, names and messages as plain functions: chart specs from real runs, their SVG
(escaped, accessible, one layout per width), the PNG export, the voters view against the model's
own projection, run names from edits, and what a student reads for an error."""

from __future__ import annotations

import re

import numpy as np
import pytest

from runoff_abm.model import reporters
from runoff_abm.model.errors import ScenarioError
from runoff_abm.model.events import Endorse, Neutral
from runoff_abm.model.scenario import load_scenario
from runoff_abm.viz import charts, svg
from runoff_abm.viz.figures import chart_png
from runoff_abm.viz.flows import actual_flows, projected_flows
from runoff_abm.viz.messages import student_text
from runoff_abm.viz.naming import event_changes, parameter_changes
from runoff_abm.viz.session import Session, Settings


@pytest.fixture(scope="module")
def snaps():
    """Snapshots of one labor-2011 run (seed 0, 3,000 members): day 0, day 4 and after the vote."""
    session = Session(Settings.builtin("labor-2011", seed=0, members=3000))
    first = session.snapshot()
    for _ in range(4):
        middle = session.step()
    last = session.run_to_end()
    yield {"day0": first, "day4": middle, "end": last, "model": session.model}
    session.close()


def test_the_share_axis_is_zoomed_to_the_data_and_holds_every_value(snaps):
    snap = snaps["end"]
    chart = charts.projection_chart(snap)
    share = chart.panels[0]
    values = [y for line in share.lines for y in line.ys] + [m.y for m in share.marks]
    assert share.y.low <= min(values) and max(values) <= share.y.high
    assert share.y.high - share.y.low < 20  # not 30-70%: a 1-2 point swing is visible
    assert [t for _, t in share.y.ticks] and all(t.endswith("%") for _, t in share.y.ticks)
    # observed (stars) and simulated (rings) on election day
    shapes = {(m.shape, round(m.y, 1)) for m in share.marks}
    assert ("star", 54.3) in shapes and ("ring", round(100 * snap.result.shares["Yachimovich"], 1)) in shapes


def test_events_are_numbered_in_day_order_with_a_key_and_marked_once_they_happened(snaps):
    snap = snaps["day4"]
    chart = charts.projection_chart(snap)
    scn = load_scenario("labor-2011")
    assert [b.number for b in chart.badges] == list(range(1, len(scn.events) + 1))
    assert [b.x for b in chart.badges] == sorted(e.day for e in scn.events)
    assert [text for _, text, _ in chart.key] == [f"day {e.day}: {e.describe()}" for e in scn.events]
    assert [done for _, _, done in chart.key] == [e.day <= 4 for e in scn.events]
    page = svg.chart_html(chart)
    assert page.count('class="runoff-badge"') == 3 * len(scn.events)  # one per layout
    assert "(not yet)" in page and "Herzog declares neutrality" in page


def test_every_layout_is_an_accessible_image_with_hover_values(snaps):
    chart = charts.projection_chart(snaps["day4"])
    page = svg.chart_html(chart)
    drawings = re.findall(r"<svg [^>]*>", page)
    assert len(drawings) == len(svg.LAYOUTS) == 3
    for tag in drawings:
        assert 'role="img"' in tag and f'aria-label="{svg._e(chart.summary)}"' in tag
    for day in range(5):
        assert f"<title>day {day}: Yachimovich" in page  # a hover column per day
    assert chart.summary.startswith("Projected share of Yachimovich by day")
    assert len(chart.rows) == 5 and chart.header[0] == "day"  # the numbers as a table


def test_svg_text_is_escaped():
    chart = charts.Chart(name="x<y", title="t", summary='he said "<script>" & left',
                         panels=(charts.Panel(x=charts.Axis(0, 1, ((0, "<b>"),)), y=charts.Axis(0, 1),
                                              boxes=(charts.Box(0, 1, 0, 1, "#000", "<img src=x onerror=alert(1)>",
                                                                "<i>"),)),),
                         legend=(charts.LegendItem("<script>", "#000"),), key=((1, "<u>", True),))
    page = svg.chart_html(chart) + svg.table_html(["<marquee>"], [["<blink>"]])
    for raw in ("<script>", "<img", "<b>", "<i>", "<u>", "<marquee>", "<blink>"):
        assert raw not in page, raw
    assert "&lt;script&gt;" in page and "&amp;" in page


def test_labels_fit_each_layout(snaps):
    chart = charts.voters_chart(snaps["day4"])
    for name, width in svg.LAYOUTS:
        drawing = svg.render(chart, width)
        assert f'viewBox="0 0 {width} ' in drawing, name
        for x in re.findall(r'<text x="([-0-9.]+)"[^>]*text-anchor="end"', drawing):
            assert float(x) > 0  # y labels start inside the drawing (cut with an ellipsis when long)


def test_the_voters_view_adds_up_to_the_models_own_projection(snaps):
    model = snaps["model"]
    session = Session(Settings.builtin("labor-2011", seed=0, members=3000))
    for _ in range(3):
        session.step()
    flows = projected_flows(session.model)
    expected_a, expected_b, expected_voters = reporters.projection(session.model)
    assert np.isclose(flows.to_a.sum(), expected_a) and np.isclose(flows.to_b.sum(), expected_b)
    assert np.isclose((flows.members - flows.home).sum(), expected_voters)
    assert flows.members.sum() == session.model.n
    assert (flows.to_a >= 0).all() and (flows.home >= -1e-9).all()
    session.close()
    counted = actual_flows(model.result)
    f = model.result.flows
    assert counted.actual and counted.to_a.tolist() == f["Yachimovich"].tolist()
    assert counted.home.tolist() == f["abstained"].tolist()


def test_the_voters_view_moves_from_day_zero(snaps):
    chart = charts.voters_chart(snaps["day4"])
    ticks = [m for m in chart.panels[0].marks if m.shape == "tick"]
    assert len(ticks) == len(snaps["day4"].flows.labels) - 1 + 1  # every group with members has a day-0 mark
    assert "Herzog's voters:" in chart.summary
    assert charts.voters_chart(snaps["end"]).title == "Where each round-1 group went in the runoff"


def test_every_chart_exports_a_png(snaps):
    for chart in (charts.projection_chart(snaps["end"]), charts.sectors_chart(snaps["end"])):
        data = chart_png(chart)
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 10_000


def test_replicates_and_comparison_charts_mark_the_band_the_mean_and_the_observed():
    shares = list(np.linspace(0.50, 0.53, 20))
    chart = charts.replicates_chart(shares, 0.501, 0.529, 0.515, ("A", "B"), 0.543, "20 runs")
    labels = [r.label for r in chart.panels[0].rules]
    assert "observed 54.3%" in labels and "mean 51.5%" in labels
    assert chart.panels[0].x.high >= 54.3
    assert sum(b.y1 for b in chart.panels[0].boxes[1:]) == 20  # every run is in one bar
    daily = np.tile(np.linspace(0.5, 0.52, 10), (4, 1))
    cmp = charts.comparison_chart(daily, daily + 0.01, np.full(4, 0.01), ("history", "deal"), ("A", "B"), 0.54)
    assert cmp.panels[1].rules[1].label == "mean +1.00"


@pytest.mark.parametrize("low, high", [(45.2, 47.9), (0.0, 3.0), (10.0, 90.0), (99.0, 100.0)])
def test_zoomed_axes_hold_their_data_and_stay_within_percent(low, high):
    lo, hi = charts.zoomed([low, high], floor=0.0, ceiling=100.0)
    assert 0.0 <= lo <= low and high <= hi <= 100.0 and hi - lo >= 4.0
    ticks = charts.nice_ticks(lo, hi)
    assert 3 <= len(ticks) <= 11 and all(lo - 1e-9 <= t <= hi + 1e-9 for t in ticks)


# --------------------------------------------------------------------------- names and messages
def test_runs_are_named_by_their_edits():
    scn = load_scenario("labor-2011")
    events = list(scn.events)
    i = next(k for k, e in enumerate(events) if isinstance(e, Neutral))
    changed = events[:i] + [Endorse(day=5, by="Herzog", target="Peretz", strength=0.5)] + events[i + 1:]
    assert event_changes(events, changed) == [
        "Herzog endorses Peretz (strength 0.5) on day 5 instead of Herzog declares neutrality"]
    moved = events[:i] + [Endorse(day=6, by="Herzog", target="Peretz", strength=0.5)] + events[i + 1:]
    assert event_changes(events, moved) == [
        "Herzog endorses Peretz (strength 0.5) on day 6 instead of Herzog declares neutrality on day 5"]
    (dropped,) = event_changes(events, events[1:])
    assert dropped.startswith(f"without: {events[0].describe()}")
    assert parameter_changes({"endorsement_trust": 0.25}, {"endorsement_trust": 0.9}) == [
        "voters follow an endorsement 0.9 instead of 0.25"]


def test_a_student_reads_errors_counted_from_one_without_server_paths():
    err = ScenarioError("/srv/class/venv/lib/python3.11/site-packages/runoff_abm/scenarios/labor-2011.toml",
                        "events[4].strength", "1.5 is out of range; allowed: (0, 1]")
    assert student_text(str(err)) == "labor-2011.toml: event 5, strength: 1.5 is out of range; allowed: (0, 1]"
    assert student_text("mine.toml: candidates[0].name: duplicate") == "mine.toml: candidate 1, name: duplicate"
    assert student_text("seed: 1/2 is not a whole number") == "seed: 1/2 is not a whole number"
    assert student_text(r"cannot read C:\Users\t\x.toml") == "cannot read x.toml"


def test_the_apps_markdown_is_escaped_and_offline():
    from runoff_abm.viz.text import markdown_html

    assert markdown_html("**Goal:** x\n\n1. a `b`\n2. *c*\n") == (
        "<p><strong>Goal:</strong> x</p><ol><li>a <code>b</code></li><li><em>c</em></li></ol>")
    assert markdown_html("<img src=x onerror=alert(1)>") == "<p>&lt;img src=x onerror=alert(1)&gt;</p>"


# --------------------------------------------------------------------------- server limits
def test_runoff_viz_limit_options_are_checked_and_passed_to_the_app(capsys, monkeypatch):
    from runoff_abm.viz import cli, limits

    assert cli.main(["--max-members", "5"]) == 2
    assert "runoff viz: error: --max-members 5: allowed 100 to 5,000,000" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_:
        cli.main(["--session-jobs", "3"])  # argparse refuses a choice it does not offer
    assert exit_.value.code == 2
    parser = __import__("argparse").ArgumentParser()
    cli._add_arguments(parser)
    chosen = cli.limits_from(parser.parse_args(["--max-members", "20000", "--max-jobs", "3", "--job-seconds", "30"]))
    assert (chosen.max_members, chosen.max_jobs, chosen.job_seconds, chosen.max_replicates) == (20000, 3, 30.0, 200)
    monkeypatch.setenv(limits.ENV, chosen.to_json())
    limits.set_server_limits(None)
    try:
        assert limits.server_limits() == chosen and limits.JOB_SLOTS.size == 3
    finally:
        monkeypatch.delenv(limits.ENV)
        limits.set_server_limits(None)
    assert limits.server_limits() == limits.DEFAULTS


def test_job_slots_queue_the_jobs_beyond_the_servers_limit():
    import threading
    import time

    from runoff_abm.viz.limits import JobSlots

    slots = JobSlots(2)
    assert slots.acquire() and slots.acquire()
    waited = []
    got = []
    worker = threading.Thread(target=lambda: got.append(slots.acquire(on_wait=waited.append)))
    worker.start()
    time.sleep(0.3)
    assert got == [] and waited and waited[-1] == 2  # two jobs ahead
    slots.release()
    worker.join(5)
    assert got == [True]
    cancel = threading.Event()
    cancel.set()
    assert slots.acquire(cancelled=cancel.is_set) is False  # a cancelled wait gives up
