"""App speed for a class: the server's cost of one step and one settings change, and a class of
students stepping at once on one server.

    python -m benchmarks.app [--members 5000] [--steps 9] [--repeats 3] [--students 30] [--no-class]

1. *Server cost.* Renders the real page (:func:`runoff_abm.viz.app.Page`) without a browser
   (``solara.render``), clicks "Step one day" through to election day and types a new seed, and
   times each (wall clock and CPU), beside the model's own step measured in the same run.
2. *A class.* Starts ``runoff viz`` and puts ``--students`` Chromium sessions on it
   (:func:`runoff_abm.viz.testing.classroom`, the classroom test's students): they arrive one a
   second, then all at once set a seed, half of them a parameter, and step one or two days. Prints
   the median and 90th-percentile click-to-new-day latency and their ratio to the target (a median
   of at most 1.5 s on a 2-core machine). The students' browsers run on the server's cores here
   (in a class they run on the students' machines), so this is a pessimistic measure.

Writes ``benchmarks/app-results.json``. Not a timed test: it reports what it measures.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import time
from pathlib import Path

from runoff_abm.viz.testing import CLASS_TARGET_MS

STEP_BUDGET_S = 1.0  # issue 4: every view renders in well under a second per step at the default size


def time_app(members: int, steps: int) -> tuple[list[float], list[float], list[float]]:
    """Seconds per "Step one day" click (wall, CPU) and per seed change (wall) in a fresh page."""
    import ipyvuetify as v
    import solara

    from runoff_abm.viz.app import Page
    from runoff_abm.viz.session import Session, Settings
    from runoff_abm.viz.state import AppState

    state = AppState(Session(Settings.builtin("labor-2011", seed=0, members=members)))
    box, rc = solara.render(Page(state=state, query=""), handle_error=False)
    try:
        step = next(w for w in _widgets(rc, v.Btn) if w.children == ["Step one day"])
        seed = next(w for w in _widgets(rc, v.TextField) if "runoff-seed" in (w.class_ or "").split())
        wall, cpu = [], []
        for _ in range(steps):
            t, c = time.perf_counter(), time.process_time()
            step.click()  # synchronous: the handler steps the model and the page re-renders
            wall.append(time.perf_counter() - t)
            cpu.append(time.process_time() - c)
        assert state.session.model.day == steps
        changes = []
        for k in range(3):
            t = time.perf_counter()
            seed.v_model = str(100 + k)
            seed.fire_event("keyup.enter", None)
            changes.append(time.perf_counter() - t)
        assert state.session.model.seed == 102
        return wall, cpu, changes
    finally:
        rc.close()


def _widgets(rc, cls) -> list:
    import ipywidgets

    found, seen, queue = [], set(), list(rc.find(ipywidgets.Widget).widgets)
    while queue:
        node = queue.pop(0)
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, ipywidgets.Widget):
            if isinstance(node, cls):
                found.append(node)
            queue += [getattr(node, k) for k in node.keys]
        elif isinstance(node, (list, tuple)):
            queue += list(node)
        elif isinstance(node, dict):
            queue += list(node.values())
    return found


def time_model_steps(members: int, steps: int) -> list[float]:
    """Seconds per ``model.step()`` alone (same scenario, seed and size)."""
    from runoff_abm.model.runoff import RunoffModel

    model = RunoffModel(scenario="labor-2011", seed=0, members=members)
    times = []
    for _ in range(steps):
        t = time.perf_counter()
        model.step()
        times.append(time.perf_counter() - t)
    model.release()
    return times


def time_class(students: int, separate: bool = False) -> dict:
    """A class on one server (see the module docstring); the latency summary.

    Args:
        students: browser sessions.
        separate: run the server on CPU 0 and the browsers on the other CPUs (as if the students'
            browsers ran on their own machines; the server is one Python process, bound by one
            core's worth of the GIL either way); False shares every core.
    """
    from runoff_abm.viz.testing import AppServer, classroom, latency_summary

    cores = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else []
    split = separate and len(cores) >= 2
    with AppServer(cpus={cores[0]} if split else None) as server:
        if split:
            os.sched_setaffinity(0, set(cores[1:]))  # the browsers Playwright starts inherit this
        try:
            results = asyncio.run(classroom(server.url, students))
        finally:
            if split:
                os.sched_setaffinity(0, set(cores))
    return latency_summary(results) | {"server_on_own_core": split}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.app")
    ap.add_argument("--members", type=int, default=5000)
    ap.add_argument("--steps", type=int, default=9)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--students", type=int, default=30)
    ap.add_argument("--no-class", action="store_true", help="skip the class of browser sessions")
    ap.add_argument("--out", default="benchmarks/app-results.json")
    args = ap.parse_args(argv)

    time_app(args.members, 1)  # warm-up: imports, caches
    wall, cpu, changes, model = [], [], [], []
    for _ in range(args.repeats):
        w, c, s = time_app(args.members, args.steps)
        wall += w
        cpu += c
        changes += s
        model += time_model_steps(args.members, args.steps)
    out = {"members": args.members, "steps": len(wall), "app_step_median_s": statistics.median(wall),
           "app_step_cpu_median_s": statistics.median(cpu), "app_step_max_s": max(wall),
           "settings_change_median_s": statistics.median(changes),
           "model_step_median_s": statistics.median(model), "cores": os.cpu_count(),
           "load_average": os.getloadavg()[0] if hasattr(os, "getloadavg") else None}
    out["views_over_model"] = out["app_step_median_s"] / out["model_step_median_s"]
    print(f"server cost at {args.members:,} members ({len(wall)} steps): step median {1000 * out['app_step_median_s']:.0f} "
          f"ms (CPU {1000 * out['app_step_cpu_median_s']:.0f} ms), worst {1000 * max(wall):.0f} ms; a settings change "
          f"{1000 * out['settings_change_median_s']:.0f} ms; the model's own step {1000 * out['model_step_median_s']:.1f} "
          f"ms; median step = {out['app_step_median_s'] / STEP_BUDGET_S:.2f}x the 1 s budget")
    if not args.no_class:
        for key, separate, where in (("class_shared_cores", False, "the students' browsers on the same cores"),
                                     ("class_server_own_core", True, "the server on one core, the browsers on the "
                                                                     "other")):
            summary = time_class(args.students, separate)
            out[key] = summary
            print(f"a class of {summary['students']} on one server ({summary['steps']} steps, {summary['cores']} cores, "
                  f"{where}): click-to-new-day median {summary['median_ms']:.0f} ms, 90th percentile "
                  f"{summary['p90_ms']:.0f} ms, max {summary['max_ms']:.0f} ms; median = "
                  f"{summary['median_ms'] / CLASS_TARGET_MS:.2f}x the {CLASS_TARGET_MS / 1000:g} s target "
                  f"({'met' if summary['median_ms'] <= CLASS_TARGET_MS else 'missed'})")
    Path(args.out).write_text(json.dumps(out, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
