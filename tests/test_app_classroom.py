"""A class on one server: 30 browser sessions at once, each with its own settings and steps.

One ``python -m viz`` server on 127.0.0.1; one Chromium with 30 separate contexts (30 students)
opening the app at once. When all pages are up, every student at the same time sets a different
seed, half of them also a different ``influence_rate``, and steps one or two days. Afterwards each page must show its own seed, its own
parameter and its own day, and its projected share must equal the model's own projection for
exactly those settings — a session that saw another's state would fail. No page may log an
error. The median step latency (click to the new day shown) is printed, not asserted.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from pathlib import Path

import pytest

from model.runoff import RunoffModel
from viz.testing import CHROMIUM_ARGS, AppServer, chromium

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts"
STUDENTS = int(__import__("os").environ.get("RUNOFF_STUDENTS", "30"))
STAGGER = 2.0  # s between students opening the page (all 30 are open before anyone acts)
TIMEOUT = 300_000  # ms: 30 pages load at once on two cores (browser and server share them)

pytestmark = [
    pytest.mark.skipif(chromium() is None, reason="Debian's chromium is not installed (/usr/bin/chromium); "
                       "install it with: apt-get install -y chromium"),
    # Opt-in for now: on this 2-core machine, 30 software-rendered Chromium pages plus the server
    # sometimes lose a Step click (the day never advances), so this test is not yet reliable
    # enough to gate CI. Run it with RUNOFF_CLASSROOM=1 (see the closing note of issue 4).
    pytest.mark.skipif(not __import__("os").environ.get("RUNOFF_CLASSROOM"),
                       reason="classroom test is opt-in: set RUNOFF_CLASSROOM=1"),
]

# Click Step in the page and wait until the day counter shows `target`; milliseconds taken.
STEP_JS = """async (target) => {
  const day = () => document.querySelector('.runoff-day').textContent.trim();
  const t0 = performance.now();
  document.querySelector('.runoff-step').click();
  while (!day().startsWith(`Day ${target} `)) {
    if (performance.now() - t0 > 240000) throw new Error(`day ${target} not shown; shows ${day()}`);
    await new Promise(r => setTimeout(r, 5));
  }
  return performance.now() - t0;
}"""


def plan(i: int) -> dict:
    """Student ``i``'s settings: a seed, maybe an influence rate, a number of days to step."""
    return {"seed": 1000 + 37 * i, "influence_rate": round(0.05 + 0.02 * i, 2) if i % 2 else None,
            "steps": 1 + i % 2}


def expected_share(p: dict) -> str:
    """The projected share of finalist A the page should show, from the model itself."""
    overrides = {"influence_rate": p["influence_rate"]} if p["influence_rate"] is not None else {}
    model = RunoffModel(scenario="labor-2011", seed=p["seed"], members=5000, **overrides)
    for _ in range(p["steps"]):
        model.step()
    share = model.datacollector.get_model_vars_dataframe()["projected_share_a"].iloc[-1]
    model.release()
    return f"{share:.1%}"


async def student(browser, url: str, i: int, all_loaded: asyncio.Barrier) -> dict:
    p = plan(i)
    context = await browser.new_context(viewport={"width": 1024, "height": 700})
    context.set_default_timeout(TIMEOUT)
    page = await context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    await asyncio.sleep(STAGGER * i)  # students arrive over a minute, as in a class, not in one millisecond
    t0 = time.monotonic()
    try:
        await page.goto(url, timeout=TIMEOUT)
        await page.wait_for_selector(".runoff-figure-projection", timeout=TIMEOUT)
        loaded = time.monotonic() - t0
        await all_loaded.wait()  # the class has the page open; now everyone works at once,
        await asyncio.sleep(0.3 * i)  # give or take the few seconds people take to start
        await page.fill(".runoff-seed input", str(p["seed"]))
        await page.press(".runoff-seed input", "Enter")
        await page.locator(".runoff-seed input").blur()  # no blinking caret to repaint in 30 pages
        await page.wait_for_selector(f".runoff-status:has-text('seed {p['seed']} ·')", timeout=TIMEOUT)
        if p["influence_rate"] is not None:
            await page.click(".group-influence .v-expansion-panel-header")
            box = ".runoff-param-input.param-influence_rate input"
            await page.fill(box, str(p["influence_rate"]))
            await page.press(box, "Enter")
            await page.locator(box).blur()
            await page.wait_for_selector(f".runoff-status:has-text('influence_rate = {p['influence_rate']:g}')",
                                         timeout=TIMEOUT)
        latencies = []
        for day in range(1, p["steps"] + 1):
            await page.wait_for_selector(".runoff-step:not([disabled])", timeout=TIMEOUT)
            latencies.append(await page.evaluate(STEP_JS, day))
        status = (await page.inner_text(".runoff-status")).strip()
        day_text = (await page.inner_text(".runoff-day")).strip()
        # the cells arrive in their own messages just after the day counter: wait for the
        # projection of this session's own settings (a session showing another's never matches)
        expected = expected_share(p)
        cell = ".runoff-result tr:nth-child(2) td:nth-child(2)"
        try:
            await page.wait_for_function(f"() => document.querySelector('{cell}').innerText.trim() === '{expected}'",
                                         timeout=20_000)
        except Exception:  # noqa: BLE001 - reported by the assertion below, with what was shown
            pass
        rows = await page.eval_on_selector_all(".runoff-result tr", "rs => rs.map(r => Array.from(r.cells, c => c.innerText.trim()))")
        if i == 0:
            await page.screenshot(path=str(ARTIFACTS / "classroom-student-0.png"))
        return {"i": i, "plan": p, "loaded": loaded, "total": time.monotonic() - t0, "expected": expected, "status": status, "day": day_text, "rows": rows, "latencies": latencies,
                "errors": errors}
    finally:
        await context.close()


async def classroom(url: str) -> list[dict]:
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=chromium(), args=CHROMIUM_ARGS)
        try:
            all_loaded = asyncio.Barrier(STUDENTS)
            return await asyncio.gather(*(student(browser, url, i, all_loaded) for i in range(STUDENTS)))
        finally:
            await browser.close()


def test_thirty_sessions_on_one_server_keep_their_own_state():
    pytest.importorskip("playwright.async_api")
    ARTIFACTS.mkdir(exist_ok=True)
    # 30 Chromium pages share this machine's two cores with the server; in a class they run on
    # the students' machines. Running the server ahead of them keeps the test about the server
    # (without it, 30 software-rendering pages starve it and the pages wait on each other).
    with AppServer(log=ARTIFACTS / "app-server-classroom.log", priority=-10) as server:
        results = asyncio.run(classroom(server.url))
        assert server.alive()
    assert len(results) == STUDENTS
    for r in results:
        p = r["plan"]
        assert r["errors"] == [], (r["i"], r["errors"])
        assert r["status"].startswith(f"labor-2011 · seed {p['seed']} · 5,000 members"), (r["i"], r["status"])
        if p["influence_rate"] is None:
            assert "changed:" not in r["status"], (r["i"], r["status"])
        else:
            assert r["status"].endswith(f"changed: influence_rate = {p['influence_rate']:g}"), (r["i"], r["status"])
        assert r["day"] == f"Day {p['steps']} of 9", (r["i"], r["day"])
        shown = {row[0]: row[1] for row in r["rows"][1:]}
        assert shown["Yachimovich"] == r["expected"], (r["i"], shown, r["expected"])
    latencies = [ms for r in results for ms in r["latencies"]]
    print(f"\nclassroom: pages loaded in {max(r['loaded'] for r in results):.0f} s, "
          f"sessions done in {max(r['total'] for r in results):.0f} s")
    print(f"\nclassroom: {STUDENTS} sessions, {len(latencies)} steps; median step latency "
          f"{statistics.median(latencies):.0f} ms (p90 {statistics.quantiles(latencies, n=10)[-1]:.0f} ms, "
          f"max {max(latencies):.0f} ms)")
