"""The app in a real browser: Debian's Chromium driven by Playwright against ``runoff viz``.

One server per module on 127.0.0.1 (a subprocess). Every request a page makes is recorded and
must stay on this machine; the console must show no error. At 1400x900, 1024x768 and 390x844 the
page must need no horizontal scrolling, and at the two larger sizes the run button and the result
must be visible without scrolling, before and after a run; axe-core (injected into the page)
must report no serious or critical accessibility violation on the main views. A student's
counterfactual flow: edit an event's *kind*, pin the first run, rerun, read both named results,
export them as CSV and compare the numbers with the model's own ``run``; then open the share link
in a fresh page. Screenshots go to test-artifacts/ (docs/img/ with RUNOFF_UPDATE_SCREENSHOTS=1).
"""

from __future__ import annotations

import csv
import io
from urllib.parse import urlsplit

import pytest
from conftest import axe_violations, shot

from runoff_abm.model.api import run
from runoff_abm.model.events import Endorse, Neutral
from runoff_abm.model.scenario import load_scenario
from runoff_abm.viz.testing import NO_ANIMATION_SCRIPT

LOCAL_HOSTS = {"127.0.0.1", "localhost"}
LOAD_TIMEOUT = 60_000
RUN_TIMEOUT = 60_000
SIZES = {"wide": (1400, 900), "laptop": (1024, 768), "phone": (390, 844)}


class Watched:
    """A page with every request, websocket, console error and page error recorded."""

    def __init__(self, browser, width=1400, height=900):
        self.context = browser.new_context(viewport={"width": width, "height": height}, accept_downloads=True)
        self.context.add_init_script(NO_ANIMATION_SCRIPT)
        self.page = self.context.new_page()
        self.urls: list[str] = []
        self.errors: list[str] = []
        self.failed: list[str] = []
        self.page.on("request", lambda r: self.urls.append(r.url))
        self.page.on("websocket", lambda ws: self.urls.append(ws.url))
        self.page.on("requestfailed", lambda r: self.failed.append(f"{r.url}: {r.failure}"))
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))

    def remote(self) -> list[str]:
        """Requests that would leave the machine (any host but 127.0.0.1 / localhost)."""
        out = []
        for url in self.urls:
            parts = urlsplit(url)
            if parts.scheme in ("data", "blob", "about"):
                continue
            if parts.hostname not in LOCAL_HOSTS:
                out.append(url)
        return out

    def check_clean(self):
        assert self.errors == [], self.errors
        assert self.failed == [], self.failed
        assert self.urls, "no request recorded"
        assert self.remote() == [], f"requests left the machine: {self.remote()}"

    def close(self):
        self.context.close()


def open_app(browser, url, width=1400, height=900) -> Watched:
    w = Watched(browser, width, height)
    w.page.goto(url)
    w.page.wait_for_selector(".runoff-day", timeout=LOAD_TIMEOUT)
    w.page.wait_for_selector(".runoff-chart-projection svg", state="attached", timeout=LOAD_TIMEOUT)
    return w


def result_rows(page) -> dict[str, list[str]]:
    """The result table as {row label: other cells}."""
    rows = page.eval_on_selector_all(".runoff-result tr", "rows => rows.map(r => Array.from(r.cells, c => c.innerText))")
    return {r[0].strip(): [c.strip() for c in r[1:]] for r in rows}


def run_to_election_day(page):
    page.click(".runoff-run")
    page.wait_for_selector(".runoff-winner", timeout=RUN_TIMEOUT)
    page.wait_for_selector("text=Day 9 of 9 — runoff held", timeout=RUN_TIMEOUT)


def cell(result, name) -> str:
    return f"{result.votes[name]:,} votes · {result.shares[name]:.1%}"


def in_first_screen(page, selector) -> bool:
    """True when the element is entirely inside the viewport with the page scrolled to the top."""
    return page.evaluate("""(sel) => { window.scrollTo(0, 0); const r = document.querySelector(sel).getBoundingClientRect();
        return r.top >= 0 && r.left >= 0 && r.bottom <= window.innerHeight && r.right <= window.innerWidth; }""",
                         selector)


def horizontal_overflow(page) -> int:
    """How many pixels the page is wider than the window (0: no horizontal scrolling)."""
    return page.evaluate("document.documentElement.scrollWidth - window.innerWidth")


def assert_accessible(page, view: str):
    bad = axe_violations(page)
    assert bad == [], f"{view}: {bad}"


@pytest.mark.parametrize("size", list(SIZES))
def test_layout_accessibility_and_result_at_each_size(browser, server, size):
    width, height = SIZES[size]
    w = open_app(browser, server.url, width, height)
    page = w.page
    try:
        assert page.title() == "runoff-abm: a party runoff, day by day"
        assert page.inner_text(".runoff-day").strip() == "Day 0 of 9"
        assert "labor-2011 · seed 0 · 5,000 members" in page.inner_text(".runoff-status")
        assert horizontal_overflow(page) <= 0
        if size != "phone":
            assert in_first_screen(page, ".runoff-run") and in_first_screen(page, ".runoff-result")
        assert_accessible(page, f"{size}: start")
        shot(page, f"app-start-{size}.png")
        page.click(".runoff-step")
        page.wait_for_selector("text=Day 1 of 9")
        run_to_election_day(page)
        expected = run("labor-2011", seed=0, members=5000)
        rows = result_rows(page)
        for name in expected.finalists:
            assert rows[name][0] == cell(expected, name)
        assert rows["Yachimovich"][-1] == "22,299 votes · 54.3%"  # the observed 2011 result
        assert page.inner_text(".runoff-winner").strip() == f"Winner: {expected.winner}"
        assert horizontal_overflow(page) <= 0
        if size != "phone":
            assert in_first_screen(page, ".runoff-run") and in_first_screen(page, ".runoff-result")
        else:  # one column, in a student's order: run bar, result, start here (foldable), views, settings
            tops = page.evaluate("""() => ['.runoff-runbar', '.runoff-result-card', '.runoff-tabs', '.runoff-start',
                                           '.runoff-events'].map(s => document.querySelector(s).getBoundingClientRect().top)""")
            assert tops[0] < tops[1] < tops[3] < tops[2] < tops[4], tops
        assert_accessible(page, f"{size}: result")
        shot(page, f"app-{size}.png", docs=True)
        if size == "wide":
            for tab in ("voters", "result", "about"):
                page.click(f".runoff-tab-{tab}")
                page.wait_for_selector({"voters": ".runoff-chart-voters", "result": ".runoff-flow-table",
                                        "about": ".runoff-timeline"}[tab], timeout=RUN_TIMEOUT)
                assert horizontal_overflow(page) <= 0
                assert_accessible(page, f"{size}: {tab} tab")
                shot(page.locator(".runoff-tabs"), f"app-{tab}.png", docs=tab == "voters")
            page.click(".runoff-tab-replicates")
            page.fill(".runoff-replicates-count input", "12")
            page.click(".runoff-replicates-run")
            page.wait_for_selector(".runoff-replicates-card .runoff-band-sentence", timeout=RUN_TIMEOUT)
            sentence = page.inner_text(".runoff-band-sentence")
            assert "The observed 54.3% for Yachimovich lies" in sentence and "middle 90% of the model's runs" in sentence
            assert_accessible(page, f"{size}: replicates")
            shot(page.locator(".runoff-tabs"), "app-replicates.png", docs=True)
            page.click(".runoff-tab-compare")
            page.select_option(".runoff-compare-counterfactual select", "labor-2011-herzog-endorses-yachimovich")
            page.fill(".runoff-compare-count input", "3")
            page.click(".runoff-compare-run")
            page.wait_for_selector(".runoff-compare-card .runoff-chart-compare", timeout=RUN_TIMEOUT)
            assert "Counterfactual: labor-2011-herzog-endorses-yachimovich" in page.inner_text(".runoff-compare-card")
            assert_accessible(page, f"{size}: compare")
            shot(page.locator(".runoff-tabs"), "app-compare.png")
            # the settings change: the replicates are marked as stale
            page.fill(".runoff-seed input", "3")
            page.press(".runoff-seed input", "Enter")
            page.wait_for_selector(".runoff-compare-card .runoff-stale-note", timeout=RUN_TIMEOUT)
            page.click(".runoff-tab-replicates")
            page.wait_for_selector(".runoff-replicates-card .runoff-stale-note", timeout=RUN_TIMEOUT)
    finally:
        w.close()
    w.check_clean()


def test_counterfactual_by_kind_pin_rerun_named_results_csv_and_link(browser, server):
    w = open_app(browser, server.url)
    page = w.page
    try:
        run_to_election_day(page)
        page.click(".runoff-pin")
        page.wait_for_selector(".runoff-pinned-name")
        # Herzog's neutrality on day 5 becomes an endorsement: change the event's kind, then its target
        row = page.locator(".runoff-event", has_text="Herzog declares neutrality")
        row.locator(".runoff-event-edit").click()
        page.select_option(".runoff-event-editing .field-kind select", "endorsement")
        page.wait_for_selector(".runoff-event-editing .field-target select")
        page.select_option(".runoff-event-editing .field-target select", "Peretz")
        page.wait_for_selector("text=Herzog endorses Peretz (strength 0.5)")
        assert page.inner_text(".runoff-day").strip() == "Day 0 of 9"
        assert "Pinned run: labor-2011 as recorded" in page.inner_text(".runoff-pinned-name")
        shot(page, "app-edit-event.png")
        run_to_election_day(page)
        name = "labor-2011: Herzog endorses Peretz (strength 0.5) on day 5 instead of Herzog declares neutrality"
        assert page.inner_text(".runoff-run-name").strip() == f"This run: {name}"

        scn = load_scenario("labor-2011")
        events = [Endorse(day=5, by="Herzog", target="Peretz", strength=0.5) if isinstance(e, Neutral) else e
                  for e in scn.events]
        baseline = run("labor-2011", seed=0, members=5000)
        counterfactual = run(scn.with_events(events), seed=0, members=5000)
        rows = result_rows(page)
        assert rows["result"] == ["this run", "pinned run", "difference", "observed"]
        for who in scn.finalists:
            assert rows[who][:2] == [cell(counterfactual, who), cell(baseline, who)]
        diff = 100 * (counterfactual.shares["Peretz"] - baseline.shares["Peretz"])
        assert rows["Peretz"][2] == f"{diff:+.1f} points"
        shot(page, "app-pinned.png", docs=True)

        page.click(".runoff-export-toggle")
        with page.expect_download(timeout=RUN_TIMEOUT) as download:
            page.click(".runoff-export-results")
        table = list(csv.DictReader(io.StringIO(download.value.path().read_text(encoding="utf-8"))))
        assert [r["run"] for r in table] == ["pinned", "this run"]
        assert [r["name"] for r in table] == ["labor-2011 as recorded", name]
        for r, expected in zip(table, (baseline, counterfactual), strict=True):
            assert int(r["seed"]) == 0 and int(r["members"]) == 5000
            for who in scn.finalists:
                assert int(r[f"votes_{who}"]) == expected.votes[who]
                assert float(r[f"share_{who}"]) == pytest.approx(expected.shares[who], abs=1e-6)
            assert r["winner"] == expected.winner and int(r["voters"]) == expected.turnout_votes
        with page.expect_download(timeout=RUN_TIMEOUT) as png:
            page.click(".runoff-export-projection-png")
        assert png.value.path().read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

        # the link reproduces the settings in a fresh page (a new session)
        page.click(".runoff-share-toggle")
        link = page.input_value(".runoff-share-link input")
        assert link.startswith(server.url) and "events=" in link
    finally:
        w.close()
    w.check_clean()
    other = Watched(browser)
    try:
        other.page.goto(link)
        other.page.wait_for_selector(".runoff-run-name", timeout=LOAD_TIMEOUT)
        other.page.wait_for_selector(f"text=This run: {name}", timeout=LOAD_TIMEOUT)
        run_to_election_day(other.page)
        rows = result_rows(other.page)
        assert rows["Peretz"][0] == cell(counterfactual, "Peretz")
    finally:
        other.close()
    other.check_clean()


def test_errors_are_shown_at_the_field_that_caused_them(browser, server, tmp_path):
    w = open_app(browser, server.url, 1024, 768)
    page = w.page
    try:
        row = page.locator(".runoff-event", has_text="Mitzna endorses Peretz")
        row.locator(".runoff-event-edit").click()
        box = page.locator(".runoff-event-editing .field-strength input")
        box.fill("1.5")
        box.press("Enter")
        problem = page.locator(".runoff-event-editing .field-strength")
        problem.get_by_text("strength: 1.5 is out of range; allowed: (0, 1]").wait_for(timeout=RUN_TIMEOUT)
        text = problem.inner_text()
        mitzna = next(i for i, e in enumerate(load_scenario("labor-2011").events)
                      if e.kind == "endorse" and e.by == "Mitzna")
        assert f"event {mitzna + 1}, strength" in text and "events[" not in text and "/" not in text.replace("(0, 1]", "")
        assert page.locator(".runoff-message").count() == 0  # not in a banner at the top
        gap = page.evaluate("""() => {
            const field = document.querySelector('.runoff-event-editing .field-strength');
            const input = field.querySelector('input').getBoundingClientRect();
            const message = field.querySelector('.v-messages').getBoundingClientRect();
            return message.top - input.bottom; }""")
        assert 0 <= gap < 30, gap  # directly under the box the student typed in
        shot(page.locator(".runoff-event-editing"), "app-field-error.png", docs=True)
        # an upload with the button: a file whose base replaces events is announced
        one = tmp_path / "one-event.toml"
        one.write_text('base = "labor-2011"\nname = "one-event"\n[[events]]\nkind = "endorse"\nday = 3\n'
                       'by = "Herzog"\nfor = "Peretz"\n')
        page.set_input_files(".runoff-upload-input", str(one))
        page.wait_for_selector(".runoff-upload-warning", timeout=RUN_TIMEOUT)
        n = len(load_scenario("labor-2011").events)
        assert f"replace all {n} events of labor-2011" in page.inner_text(".runoff-upload-warning")
        assert "one-event · seed 0" in page.inner_text(".runoff-status")
        bad = tmp_path / "bad.toml"
        bad.write_text('base = "labor-2011"\nname = "bad"\n[[events]]\nkind = "neutral"\nday = 30\nby = "Herzog"\n')
        page.set_input_files(".runoff-upload-input", str(bad))
        page.wait_for_selector(".runoff-upload-problem", timeout=RUN_TIMEOUT)
        text = page.inner_text(".runoff-upload-problem")
        assert text.startswith("Not loaded: bad.toml: event 1, day: 30 is not a campaign day")
        assert "one-event · seed 0" in page.inner_text(".runoff-status")  # the loaded scenario stays
    finally:
        w.close()
    w.check_clean()
