"""Helpers to run the app as a real server for browser tests, benchmarks and demos.

:class:`AppServer` starts ``runoff viz`` on 127.0.0.1 and a free port in a subprocess, waits
until it answers, and stops it (terminate, then kill) on exit. :func:`chromium` finds Debian's
Chromium, which Playwright drives (Playwright's own browser download is not used).
:func:`classroom` puts a class of students (Chromium contexts) on one server, all acting at once,
and measures each step's click-to-new-day latency (the classroom test and ``benchmarks/app.py``).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import IO

__all__ = ["CHROMIUM", "CHROMIUM_ARGS", "NO_ANIMATION_SCRIPT", "AppServer", "free_port", "chromium", "classroom",
           "latency_summary", "plan", "expected_share", "CLASS_TARGET_MS"]

#: The benchmark target: median click-to-new-day latency of a class of 30 on a 2-core server.
CLASS_TARGET_MS = 1500

#: Debian's Chromium (``apt-get install chromium``).
CHROMIUM = "/usr/bin/chromium"
#: Flags for a headless Chromium in a container with no network.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]

#: An init script (``BrowserContext.add_init_script``) that turns off CSS animations and
#: transitions in a page. Solara shows an animated, indeterminate "busy" bar in every page that
#: waits more than 300 ms for the server; thirty such pages software-rendered on the same two
#: cores as the server took ~30x more CPU than the pages' real work and starved the server they
#: were waiting for. Students' browsers run on their own machines, so a test that puts a whole
#: class on one machine turns the animations off (as Playwright's screenshots do).
NO_ANIMATION_SCRIPT = """document.addEventListener('DOMContentLoaded', () => {
  const style = document.createElement('style');
  style.textContent = '*, *::before, *::after { animation: none !important; transition: none !important; }';
  document.head.appendChild(style);
});"""

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    """A TCP port on 127.0.0.1 that is free right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def chromium() -> str | None:
    """Path of Debian's Chromium, or None when it is not installed."""
    if os.access(CHROMIUM, os.X_OK):
        return CHROMIUM
    found = shutil.which("chromium")
    return found


class AppServer:
    """The app served by a subprocess on 127.0.0.1 (a context manager).

    Args:
        port: port to use (default: a free one).
        timeout: seconds to wait for the first answer.
        log: file to write the server's output to (default: discarded).
        log_level: the server's log level (``--log-level``).
        priority: a nice value for the server process (e.g. -10 to run it ahead of browsers on
            the same machine; needs root, silently kept at the default otherwise).
        args: further ``runoff viz`` options (e.g. ``["--max-members", "20000"]``).
        cpus: CPU numbers to run the server on (``os.sched_setaffinity``; None: any).
    """

    def __init__(self, port: int | None = None, timeout: float = 90.0, log: Path | None = None,
                 log_level: str = "warning", priority: int | None = None, args: list[str] | None = None,
                 cpus: set[int] | None = None):
        self.port = port or free_port()
        self.log_level = log_level
        self.priority = priority
        self.timeout = timeout
        self.log = log
        self.args = list(args or [])
        self.cpus = cpus
        self.process: subprocess.Popen | None = None
        self._log_file: IO[str] | None = None

    @property
    def url(self) -> str:
        """The server's address."""
        return f"http://127.0.0.1:{self.port}/"

    def start(self) -> AppServer:
        """Start the server and wait until it answers; raise RuntimeError if it does not."""
        out: int | IO[str] = subprocess.DEVNULL
        if self.log is not None:
            self.log.parent.mkdir(parents=True, exist_ok=True)
            self._log_file = open(self.log, "w")  # noqa: SIM115 - closed in stop()
            out = self._log_file
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        self.process = subprocess.Popen([sys.executable, "-m", "runoff_abm.viz", "--host", "127.0.0.1", "--port", str(self.port),
                                         "--log-level", self.log_level, *self.args],
                                        cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
        if self.cpus is not None and hasattr(os, "sched_setaffinity"):
            os.sched_setaffinity(self.process.pid, self.cpus)
        if self.priority is not None:
            try:
                os.setpriority(os.PRIO_PROCESS, self.process.pid, self.priority)
            except (PermissionError, OSError):
                pass
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the app server exited with status {self.process.returncode}")
            try:
                with urllib.request.urlopen(self.url, timeout=5) as response:
                    if response.status == 200:
                        return self
            except OSError:
                time.sleep(0.3)
        self.stop()
        raise RuntimeError(f"the app server did not answer on {self.url} within {self.timeout:.0f} s")

    def stop(self) -> None:
        """Stop the server (terminate, then kill after 10 s)."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        if self._log_file is not None:
            self._log_file.close()
            self._log_file = None

    def alive(self) -> bool:
        """True while the server process runs."""
        return self.process is not None and self.process.poll() is None

    def __enter__(self) -> AppServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


# --------------------------------------------------------------------------- a class on one server
# Click Step and wait (a MutationObserver, no polling) until the day counter shows `target`;
# the milliseconds taken, or -1 if it is not shown within `limit` ms.
CLASS_STEP_JS = """([target, limit]) => new Promise((resolve) => {
  const shown = () => document.querySelector('.runoff-day').textContent.trim().startsWith(`Day ${target} `);
  const t0 = performance.now();
  const done = (ms) => { observer.disconnect(); clearTimeout(timer); resolve(ms); };
  const observer = new MutationObserver(() => { if (shown()) done(performance.now() - t0); });
  observer.observe(document.body, {subtree: true, childList: true, characterData: true});
  const timer = setTimeout(() => done(-1), limit);
  document.querySelector('.runoff-step').click();
})"""


def plan(i: int) -> dict:
    """Student ``i``'s settings: a seed, maybe an influence rate (maybe a bad one first), days to step."""
    return {"seed": 1000 + 37 * i, "influence_rate": round(0.05 + 0.02 * i, 2) if i % 2 else None,
            "typo": "7" if i % 5 == 4 and i % 2 else None, "steps": 1 + i % 2}


def expected_share(p: dict) -> str:
    """The projected share of finalist A the page should show, from the model itself."""
    from runoff_abm.model.runoff import RunoffModel

    overrides = {"influence_rate": p["influence_rate"]} if p["influence_rate"] is not None else {}
    model = RunoffModel(scenario="labor-2011", seed=p["seed"], members=5000, **overrides)
    for _ in range(p["steps"]):
        model.step()
    share = model.datacollector.get_model_vars_dataframe()["projected_share_a"].iloc[-1]
    model.release()
    return f"{share:.1%}"


async def type_value(page, box: str, text: str) -> None:
    """Type ``text`` into the input ``box`` as a student does: fill, Enter, leave the field."""
    await page.fill(box, text)
    await page.press(box, "Enter")
    await page.locator(box).blur()


async def student(browser, url: str, i: int, all_open: asyncio.Barrier, arrival: float = 1.0,
                  timeout: int = 240_000, artifacts: Path | None = None) -> dict:
    """One student of :func:`classroom`: open the page, wait for the class, then set a seed,
    maybe a parameter (maybe a rejected value first), and step; returns what the page showed and
    each step's click-to-new-day latency (ms)."""
    p = plan(i)
    context = await browser.new_context(viewport={"width": 1024, "height": 700})
    context.set_default_timeout(timeout)
    await context.add_init_script(NO_ANIMATION_SCRIPT)
    page = await context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    await asyncio.sleep(arrival * i)  # students come in over half a minute, as in a class
    t0 = time.monotonic()
    try:
        await page.goto(url)
        await page.wait_for_selector(".runoff-chart-projection", state="attached")
        loaded = time.monotonic() - t0
        await all_open.wait()  # the whole class has the page open; now everyone works at once
        t1 = time.monotonic()
        await type_value(page, ".runoff-seed input", str(p["seed"]))
        await page.wait_for_selector(f".runoff-status:has-text('seed {p['seed']} ·')")
        saw_message = None
        if p["influence_rate"] is not None:
            box = ".runoff-param-input.param-influence_rate input"  # a main parameter: its group is open
            if p["typo"]:
                await type_value(page, box, p["typo"])
                saw_message = (await (await page.wait_for_selector(".runoff-param-row .runoff-problem")).inner_text()).strip()
            await type_value(page, box, str(p["influence_rate"]))
            await page.wait_for_selector(f".runoff-status:has-text('influence_rate = {p['influence_rate']:g}')")
        latencies = []
        for day in range(1, p["steps"] + 1):
            await page.wait_for_selector(".runoff-step:not([disabled])")
            ms = await page.evaluate(CLASS_STEP_JS, [day, timeout])
            if ms < 0:
                raise RuntimeError(f"student {i}: Step clicked, day {day} not shown; the page shows "
                                   f"{await page.inner_text('.runoff-day')}")
            latencies.append(ms)
        worked = time.monotonic() - t1
        status = (await page.inner_text(".runoff-status")).strip()
        day_text = (await page.inner_text(".runoff-day")).strip()
        # the table's cells arrive just after the day counter: wait for the projection of this
        # session's own settings (a session showing another's state never matches it)
        expected = expected_share(p)
        cell = ".runoff-result tbody tr:nth-child(1) td:nth-child(2)"
        try:
            await page.wait_for_function(f"() => document.querySelector('{cell}').innerText.trim() === '{expected}'",
                                         timeout=30_000)
        except Exception:  # noqa: BLE001 - reported by the assertion in the test, with what was shown
            pass
        rows = await page.eval_on_selector_all(".runoff-result tr",
                                               "rs => rs.map(r => Array.from(r.cells, c => c.innerText.trim()))")
        messages = await page.locator(".runoff-message, .runoff-problem").count()
        if artifacts is not None and i in (0, 9):
            await page.screenshot(path=str(artifacts / f"classroom-student-{i}.png"))
        return {"i": i, "plan": p, "loaded": loaded, "worked": worked, "expected": expected, "status": status,
                "day": day_text, "rows": rows, "latencies": latencies, "saw_message": saw_message,
                "messages_at_end": messages, "errors": errors}
    finally:
        await context.close()


async def classroom(url: str, students: int = 30, arrival: float = 1.0, timeout: int = 240_000,
                    artifacts: Path | None = None) -> list[dict]:
    """``students`` browser sessions (contexts of one Chromium) against the app at ``url``: they
    arrive ``arrival`` seconds apart, then all act at once (see :func:`student`)."""
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=chromium(), args=CHROMIUM_ARGS)
        try:
            all_open = asyncio.Barrier(students)
            return await asyncio.gather(*(student(browser, url, i, all_open, arrival, timeout, artifacts)
                                          for i in range(students)))
        finally:
            await browser.close()


def latency_summary(results: list[dict]) -> dict:
    """Median, 90th percentile and maximum of the click-to-new-day latencies (ms) of a class."""
    import statistics

    latencies = [ms for r in results for ms in r["latencies"]]
    median, p90 = statistics.median(latencies), statistics.quantiles(latencies, n=10)[-1]
    return {"students": len(results), "steps": len(latencies), "median_ms": median, "p90_ms": p90,
            "max_ms": max(latencies), "target_median_ms": CLASS_TARGET_MS, "median_over_target": median / CLASS_TARGET_MS,
            "cores": os.cpu_count()}
