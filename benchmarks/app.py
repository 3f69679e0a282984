"""App responsiveness: the server-side cost of one step in the browser app, at the default size.

    python -m benchmarks.app [--members 5000] [--steps 9] [--repeats 3]

Renders the real page (:func:`runoff_abm.viz.app.Page`) without a browser (``solara.render``), clicks
"Step one day" through to election day and times each click until every view on the open tab
(day counter, projection, network, result table) has been redrawn. It prints the median and
worst step, the model's own step time measured in the same run, the ratio of the two (what the
views add) and the ratio to the issue's budget ("well under a second per step"), and writes
``benchmarks/app-results.json``. Not a timed test: it reports what it measures.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

BUDGET_S = 1.0  # issue 4: every view renders in well under a second per step at the default size


def time_app_steps(members: int, steps: int) -> list[float]:
    """Seconds per "Step one day" click in a freshly rendered page, for ``steps`` days."""
    import ipyvuetify as v
    import solara

    from runoff_abm.viz.app import Page
    from runoff_abm.viz.session import Session, Settings
    from runoff_abm.viz.state import AppState

    state = AppState(Session(Settings.builtin("labor-2011", seed=0, members=members)))
    box, rc = solara.render(Page(state=state), handle_error=False)
    try:
        step = rc.find(v.Btn, children=["Step one day"]).widget
        times = []
        for _ in range(steps):
            t = time.perf_counter()
            step.click()  # synchronous: the handler steps the model and the page re-renders
            times.append(time.perf_counter() - t)
        assert state.session.model.day == steps
        return times
    finally:
        rc.close()


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


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.app")
    ap.add_argument("--members", type=int, default=5000)
    ap.add_argument("--steps", type=int, default=9)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--out", default="benchmarks/app-results.json")
    args = ap.parse_args(argv)

    time_app_steps(args.members, 1)  # warm-up: imports, matplotlib fonts, layout caches
    app, model = [], []
    for _ in range(args.repeats):
        app += time_app_steps(args.members, args.steps)
        model += time_model_steps(args.members, args.steps)
    app_median, model_median = statistics.median(app), statistics.median(model)
    out = {"members": args.members, "steps": len(app), "app_step_median_s": app_median, "app_step_max_s": max(app),
           "model_step_median_s": model_median, "views_over_model": app_median / model_median,
           "budget_s": BUDGET_S, "median_over_budget": app_median / BUDGET_S, "max_over_budget": max(app) / BUDGET_S}
    print(f"app step at {args.members:,} members ({len(app)} steps): median {1000 * app_median:.0f} ms, "
          f"worst {1000 * max(app):.0f} ms; model step alone {1000 * model_median:.0f} ms")
    print(f"  views add {out['views_over_model']:.1f}x the model step; median = {out['median_over_budget']:.2f}x "
          f"the 1 s budget, worst = {out['max_over_budget']:.2f}x "
          f"({'met' if max(app) < BUDGET_S else 'MISSED'})")
    Path(args.out).write_text(json.dumps(out, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
