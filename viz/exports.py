"""What a user can download from the app: results and series as CSV, charts as PNG, the settings
as a scenario file.

Every export is computed from the same immutable data the views show (a
:class:`~runoff_abm.viz.session.Snapshot`, :class:`~runoff_abm.viz.session.RunRecord` values,
experiment results), and each CSV names the run it belongs to, so a file on the class board says
what it is. Numbers are written in full (votes as counts, shares as fractions to 6 decimals).
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Sequence

from runoff_abm._version import __version__
from runoff_abm.viz.session import RunRecord, Settings, Snapshot

__all__ = ["runs_csv", "daily_csv", "flows_csv", "sectors_csv", "replicates_csv", "comparison_csv", "scenario_toml",
           "file_stem"]


def _csv(header: Sequence[str], rows: Sequence[Sequence]) -> str:
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(header)
    for row in rows:
        w.writerow(["" if (isinstance(v, float) and not math.isfinite(v)) else
                    (f"{v:.6f}" if isinstance(v, float) else v) for v in row])
    return out.getvalue()


def file_stem(name: str) -> str:
    """A safe file name stem from a run or scenario name."""
    keep = "".join(ch if ch.isalnum() or ch in "-_." else "-" for ch in name.strip())
    while "--" in keep:
        keep = keep.replace("--", "-")
    return (keep.strip("-.") or "runoff")[:60]


def runs_csv(records: Sequence[tuple[str, RunRecord]]) -> str:
    """One row per finished run: which (``this run``, ``pinned``), its name, seed, members, votes,
    shares, turnout and winner."""
    if not records:
        return _csv(["run"], [])
    a, b = records[0][1].finalists
    header = ["run", "name", "scenario", "seed", "members", f"votes_{a}", f"votes_{b}", f"share_{a}", f"share_{b}",
              "voters", "turnout", "winner", "version"]
    rows = [[which, r.name, r.scenario, r.seed, r.members, r.votes[a], r.votes[b], float(r.shares[a]),
             float(r.shares[b]), r.turnout_votes, float(r.turnout), r.winner, __version__] for which, r in records]
    return _csv(header, rows)


def daily_csv(snap: Snapshot) -> str:
    """The run's day-by-day series (the model's DataCollector), with the run's name."""
    d = snap.daily
    cols = list(d.columns)
    rows = [[snap.name, snap.seed, snap.members] + [(float(v) if isinstance(v, float) else int(v)) for v in r]
            for r in d.itertuples(index=False)]
    return _csv(["name", "seed", "members"] + cols, rows)


def flows_csv(snap: Snapshot) -> str:
    """Round-1 group -> runoff choice: counted after the vote, expected before it."""
    f = snap.flows
    a, b = snap.finalists
    kind = "counted" if f.actual else f"expected on day {snap.day}"
    rows = [[snap.name, kind, label, float(n), float(x), float(y), float(h)]
            for label, n, x, y, h in zip(f.labels, f.members, f.to_a, f.to_b, f.home, strict=True)]
    return _csv(["name", "kind", "round1", "members", a, b, "stay_home"], rows)


def sectors_csv(snap: Snapshot) -> str:
    """Results by sector (after the vote) or today's sector means."""
    t = snap.result.by_sector if snap.result is not None else snap.sectors
    cols = list(t.columns)
    rows = [[snap.name] + [(float(v) if isinstance(v, float) else v) for v in r] for r in t.itertuples(index=False)]
    return _csv(["name"] + cols, rows)


def replicates_csv(result) -> str:
    """One row per replicate run: seed, share of A, turnout, winner."""
    a = result.finalists[0]
    rows = [[result.name, i + 1, r.seed, float(r.share_a), float(r.turnout), r.winner] for i, r in enumerate(result.runs)]
    return _csv(["name", "run", "seed", f"share_{a}", "turnout", "winner"], rows)


def comparison_csv(result) -> str:
    """One row per seed pair: the two shares of A and their difference."""
    a = result.finalists[0]
    cmp = result.comparison
    rows = [[i + 1, b.seed, cmp.baseline_name, float(b.share_a), cmp.counterfactual_name, float(c.share_a),
             float(c.share_a - b.share_a), float(b.turnout), float(c.turnout)]
            for i, (b, c) in enumerate(zip(cmp.baseline, cmp.counterfactual, strict=True))]
    return _csv(["pair", "seed", "baseline", f"baseline_share_{a}", "counterfactual", f"counterfactual_share_{a}",
                 "difference", "baseline_turnout", "counterfactual_turnout"], rows)


def _toml_value(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return repr(v)
    return json.dumps(str(v), ensure_ascii=False)


def scenario_toml(settings: Settings) -> str:
    """The settings as a scenario file that builds on the loaded built-in scenario (``base``):
    its changed parameters and, if edited, its whole event list (docs/scenarios.md)."""
    lines = [f"# {settings.name()}", f"# written by the runoff-abm app {__version__}; seed {settings.seed}, "
             f"{settings.members} members (run: runoff run FILE --seed {settings.seed} --members {settings.members})",
             f"base = {_toml_value(settings.base.name)}", f"name = {_toml_value(file_stem(settings.name()))}",
             f"title = {_toml_value(settings.name())}"]
    edited = tuple(settings.events) != tuple(settings.base.events)
    if edited and not settings.events:
        lines.append("events = []  # no events between the rounds")
    lines.append("")
    if settings.overrides:
        lines.append("[parameters]")
        lines += [f"{k} = {_toml_value(v)}" for k, v in settings.overrides]
        lines.append("")
    if edited:
        for e in settings.events:
            lines.append("[[events]]")
            lines += [f"{k} = {_toml_value(v)}" for k, v in e.to_table().items()]
            lines.append("")
    return "\n".join(lines)
