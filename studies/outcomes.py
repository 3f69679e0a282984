"""The pure run function of a parameter study: (scenario, parameters, seed) -> flat outcomes.

``run_outcomes`` is top-level and picklable, so it runs unchanged in this process, in worker
processes or on Dask workers; it builds a model, runs it to election day, releases it (Mesa
3.3.1 keeps every model in ``Agent._ids`` otherwise) and returns a flat dict of numbers.
``run_chunk`` runs a list of tasks and turns an exception in one run into a ``failed`` row.
"""

from __future__ import annotations

import importlib
import traceback
from dataclasses import dataclass
from typing import Any

from runoff_abm.model.runoff import SHAPING, Prototypes, RunoffModel, run_together

__all__ = ["Task", "run_outcomes", "run_chunk", "flatten", "PROTOTYPES"]


@dataclass(frozen=True)
class Task:
    """One run of a sweep: design point, replicate, seed, parameter values, factor levels."""

    point: int
    replicate: int
    seed: int
    params: dict[str, Any]
    levels: dict[str, str]


def flatten(result) -> dict[str, Any]:
    """The flat outcome dict of a :class:`runoff_abm.model.result.RunResult`.

    Keys: ``votes_a``, ``votes_b``, ``share_a``, ``share_b``, ``turnout``, ``turnout_votes``,
    ``margin``, ``a_wins`` (1 if finalist A won, 0.5 on a tie or when nobody voted), ``winner`` (a
    finalist, ``tie``, or None when nobody voted; shares and margin are then NaN), ``flow.<round-1>.<choice>``
    (choice ``a``, ``b`` or ``abstained``), ``sector.<name>.share_a``, ``sector.<name>.turnout``
    and ``sector.<name>.turnout_change`` (runoff minus round-1 turnout of the sector).
    """
    a, b = result.finalists
    out: dict[str, Any] = {
        "votes_a": result.votes[a], "votes_b": result.votes[b],
        "share_a": result.shares[a], "share_b": result.shares[b],
        "turnout": result.turnout, "turnout_votes": result.turnout_votes,
        "margin": result.margin, "a_wins": 1.0 if result.winner == a else 0.0 if result.winner == b else 0.5,
        "winner": result.winner,
    }
    names = {a: "a", b: "b", "abstained": "abstained"}
    for r1 in result.flows.index:
        for col in result.flows.columns:
            out[f"flow.{r1}.{names[col]}"] = int(result.flows.loc[r1, col])
    for _, row in result.by_sector.iterrows():
        out[f"sector.{row['sector']}.share_a"] = float(row[f"share_{a}"])
        out[f"sector.{row['sector']}.turnout"] = float(row["runoff_turnout"])
        out[f"sector.{row['sector']}.turnout_change"] = float(row["runoff_turnout"] - row["round1_turnout"])
    return out


def _resolve(run_function: str | None):
    if run_function is None:
        from runoff_abm.model.api import run

        return run
    module, _, name = run_function.partition(":")
    return getattr(importlib.import_module(module), name)


def run_outcomes(scenario, params: dict[str, Any], seed: int, members: int | None = None,
                 run_function: str | None = None, trust_rules: bool = False,
                 prototypes: Prototypes | None = None) -> dict[str, Any]:
    """Run ``scenario`` with parameter overrides ``params`` and ``seed``; return flat outcomes.

    ``run_function`` ("module:function") replaces :func:`runoff_abm.model.api.run` (same signature),
    e.g. to plug in a custom decision rule; a spec names one only with ``trust_code``.
    ``trust_rules`` lets the scenario's own ``[rules]`` run (passed on only when set).
    ``prototypes`` (used with the built-in run function only) reuses populations and graphs
    across runs that share them (:class:`runoff_abm.model.runoff.Prototypes`): same outcomes.
    """
    fn = _resolve(run_function)
    extra: dict[str, Any] = {"trust_rules": True} if trust_rules else {}
    if prototypes is not None and run_function is None:
        extra["prototypes"] = prototypes
    return flatten(fn(scenario, seed=seed, members=members, **extra, **params))


#: This process's populations and graphs (each worker process of a sweep has its own).
PROTOTYPES = Prototypes()


def _row(t: Task) -> dict[str, Any]:
    return {"point": t.point, "replicate": t.replicate, "seed": t.seed, **t.params,
            **{f"factor.{k}": v for k, v in t.levels.items()}}


def _failed(row: dict[str, Any], err: Exception) -> dict[str, Any]:
    row["status"], row["error"] = "failed", traceback.format_exception_only(type(err), err)[-1].strip()
    return row


def run_chunk(spec, tasks: list[Task], reuse: bool = True, batch: int = 1) -> list[dict[str, Any]]:
    """Run ``tasks`` of ``spec``; each row has the keys of the task, ``status`` and ``error``.

    With ``reuse`` (and the built-in run function), runs that share a replicate seed and the
    values of every population- or graph-shaping parameter start from one population and graph,
    built once in this process (:data:`PROTOTYPES`). With ``batch`` > 1 as well, up to
    ``batch`` such runs advance together, their member updates as the columns of one state
    matrix (:func:`runoff_abm.model.runoff.run_together`). The rows are the same every way.
    Each design point's scenario (its factor levels applied) is made once per chunk.
    """
    from runoff_abm.studies.spec import DesignPoint

    cache = PROTOTYPES if reuse and spec.run_function is None else None
    scenarios: dict[tuple, Any] = {}

    def scenario(t: Task):
        lv = tuple(sorted(t.levels.items()))
        if lv not in scenarios:
            scenarios[lv] = spec.scenario_for(DesignPoint(point=t.point, params=t.params, levels=t.levels))
        return scenarios[lv]

    trust = getattr(spec, "trust_rules", False)

    def single(t: Task) -> dict[str, Any]:
        row = _row(t)
        try:
            row.update(run_outcomes(scenario(t), t.params, t.seed, spec.members, spec.run_function, trust,
                                    prototypes=cache))
            row["status"], row["error"] = "ok", ""
        except Exception as err:  # a failed run is recorded, the sweep goes on
            _failed(row, err)
        return row

    if cache is None or batch <= 1:
        return [single(t) for t in tasks]
    groups: dict[tuple, list[Task]] = {}
    for t in tasks:
        groups.setdefault((t.seed, tuple((k, t.params[k]) for k in sorted(t.params) if k in SHAPING)), []).append(t)
    done: dict[int, dict[str, Any]] = {}
    for group in groups.values():
        for i in range(0, len(group), batch):
            for t, row in zip(group[i:i + batch], _together(group[i:i + batch], scenario, spec.members, trust, cache),
                              strict=True):
                done[id(t)] = row if row is not None else single(t)
    return [done[id(t)] for t in tasks]


def _together(tasks: list[Task], scenario, members, trust: bool, cache: Prototypes) -> list[dict[str, Any] | None]:
    """Rows of ``tasks`` run side by side (:func:`runoff_abm.model.runoff.run_together`); None
    for a run to redo alone (so that a failure is recorded against the run that failed)."""
    models = []
    try:
        for t in tasks:
            models.append(RunoffModel(scenario=scenario(t), seed=t.seed, members=members, trust_rules=trust,
                                      prototypes=cache, **t.params))
        results = run_together(models)
    except Exception:
        return [None] * len(tasks)
    finally:
        for m in models:
            m.release()
    rows: list[dict[str, Any] | None] = []
    for t, res in zip(tasks, results, strict=True):
        res.overrides = dict(t.params)
        rows.append({**_row(t), **flatten(res), "status": "ok", "error": ""})
    return rows
