"""The app in a real browser: Debian's Chromium driven by Playwright against ``runoff viz``.

The server runs on 127.0.0.1 and a free port in a subprocess (stopped at the end). Every request
the page makes is recorded and must stay on this machine; the console must show no error. The
flow is a user's: load, run the record to election day, change an event and a parameter in
the controls, run again and check the shown result against the model's own ``run`` with the
same changes. Screenshots go to ``test-artifacts/`` and the README's to ``docs/img/app.png``.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from urllib.parse import urlsplit

from runoff_abm.model.api import run
from runoff_abm.model.events import Endorse
from runoff_abm.model.scenario import load_scenario

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts"
README_SHOT = ROOT / "docs" / "img" / "app.png"
LOCAL_HOSTS = {"127.0.0.1", "localhost"}
LOAD_TIMEOUT = 60_000
RUN_TIMEOUT = 30_000


class Watched:
    """A page with every request, websocket, console error and page error recorded."""

    def __init__(self, browser, width=1440, height=1250):
        self.context = browser.new_context(viewport={"width": width, "height": height})
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

    def close(self):
        self.context.close()


def open_app(browser, server, **size) -> Watched:
    w = Watched(browser, **size)
    w.page.goto(server.url)
    w.page.wait_for_selector(".runoff-day", timeout=LOAD_TIMEOUT)
    w.page.wait_for_selector(".runoff-figure-projection", timeout=LOAD_TIMEOUT)
    return w


def shown_rows(page) -> dict[str, str]:
    """The result table as {row label: simulated cell}."""
    rows = page.eval_on_selector_all(".runoff-result tr", "rows => rows.map(r => Array.from(r.cells, c => c.innerText))")
    return {r[0].strip(): r[1].strip() for r in rows[1:]}


def run_to_election_day(page):
    page.click(".runoff-run")
    page.wait_for_selector(".runoff-winner", timeout=RUN_TIMEOUT)
    page.wait_for_selector("text=Day 9 of 9 — runoff held", timeout=RUN_TIMEOUT)


def expected_cells(result) -> dict[str, str]:
    return {name: f"{result.votes[name]:,} votes · {result.shares[name]:.1%}" for name in result.finalists}


def test_loads_offline_without_errors_and_runs_the_record(browser, server):
    w = open_app(browser, server)
    try:
        page = w.page
        assert page.inner_text(".runoff-day").strip() == "Day 0 of 9"
        assert "labor-2011 · seed 0 · 5,000 members" in page.inner_text(".runoff-status")
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "app-start.png"))
        page.click(".runoff-step")
        page.wait_for_selector("text=Day 1 of 9")
        run_to_election_day(page)
        cells = shown_rows(page)
        expected = run("labor-2011", seed=0, members=5000)
        for name, text in expected_cells(expected).items():
            assert cells[name] == text
        assert page.inner_text(".runoff-winner").strip() == f"Winner: {expected.winner}"
        assert "22,299 votes · 54.3%" in page.inner_text(".runoff-result")  # the observed 2011 result
        page.wait_for_timeout(500)
        page.screenshot(path=str(ARTIFACTS / "app-result.png"))
        README_SHOT.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(README_SHOT))
        # the other views
        page.click(".runoff-tab-result")
        page.wait_for_selector(".runoff-figure-flows", timeout=RUN_TIMEOUT)
        page.wait_for_selector(".runoff-blocs")
        page.screenshot(path=str(ARTIFACTS / "app-result-tab.png"))
        page.click(".runoff-tab-replicates")
        page.fill(".runoff-replicates-count input", "8")
        page.click(".runoff-replicates-run")
        page.wait_for_selector(".runoff-figure-replicates", timeout=RUN_TIMEOUT)
        page.wait_for_selector(".runoff-experiment-progress", state="detached", timeout=RUN_TIMEOUT)
        assert "8 replicates" in page.inner_text(".runoff-views")
        page.screenshot(path=str(ARTIFACTS / "app-replicates.png"))
        page.click(".runoff-tab-compare")
        page.locator(".runoff-compare-counterfactual").click()
        page.locator(".menuable__content__active .v-list-item", has_text="labor-2011-herzog-endorses-yachimovich").click()
        page.fill(".runoff-compare-count input", "3")
        page.click(".runoff-compare-run")
        page.wait_for_selector(".runoff-figure-compare", timeout=RUN_TIMEOUT)
        page.wait_for_selector(".runoff-experiment-progress", state="detached", timeout=RUN_TIMEOUT)
        page.screenshot(path=str(ARTIFACTS / "app-compare.png"))
    finally:
        w.close()
    assert w.errors == [], w.errors
    assert w.failed == [], w.failed
    assert w.urls, "no request recorded"
    assert w.remote() == [], f"requests left the machine: {w.remote()}"


def test_an_event_and_a_parameter_change_the_shown_result(browser, server):
    w = open_app(browser, server)
    try:
        page = w.page
        baseline = run("labor-2011", seed=0, members=5000)
        # change an event: Mitzna endorses Yachimovich instead of Peretz
        page.locator(".runoff-event", has_text="Mitzna endorses Peretz").locator(".runoff-event-edit").click()
        page.locator(".runoff-event-editing .field-target").click()
        page.locator(".menuable__content__active .v-list-item", has_text="Yachimovich").click()
        page.wait_for_selector("text=Mitzna endorses Yachimovich (strength 0.5)")
        # change a parameter: endorsements close 90% of the gap, not 25%
        page.locator(".group-endorsements .v-expansion-panel-header").click()
        box = page.locator(".runoff-param-input.param-endorsement_trust input")
        box.fill("0.9")
        box.press("Enter")
        page.wait_for_selector("text=changed: endorsement_trust = 0.9")
        assert "events edited" in page.inner_text(".runoff-status")
        assert page.inner_text(".runoff-day").strip() == "Day 0 of 9"
        run_to_election_day(page)
        page.screenshot(path=str(ARTIFACTS / "app-counterfactual.png"))

        scn = load_scenario("labor-2011")
        events = [dataclasses.replace(e, target="Yachimovich") if isinstance(e, Endorse) and e.by == "Mitzna" else e
                  for e in scn.events]
        expected = run(scn.with_events(events).with_parameters(endorsement_trust=0.9), seed=0, members=5000)
        cells = shown_rows(page)
        for name, text in expected_cells(expected).items():
            assert cells[name] == text
        assert expected.shares["Yachimovich"] > baseline.shares["Yachimovich"]
        assert cells["Yachimovich"] != expected_cells(baseline)["Yachimovich"]

        # a bad value shows a message in the page, and the server keeps serving
        page.fill(".runoff-seed input", "abc")
        page.press(".runoff-seed input", "Enter")
        page.wait_for_selector(".runoff-error")
        assert "seed: 'abc' is not a whole number" in page.inner_text(".runoff-error")
        page.screenshot(path=str(ARTIFACTS / "app-bad-seed.png"))
        page.click(".runoff-reset")
        page.wait_for_selector("text=Day 0 of 9")
        page.click(".runoff-step")
        page.wait_for_selector("text=Day 1 of 9")
        assert server.alive()
    finally:
        w.close()
    assert w.errors == [], w.errors
    assert w.remote() == [], f"requests left the machine: {w.remote()}"
