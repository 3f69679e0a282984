"""The result of one run: votes, shares, turnout, winner, flows, sectors, blocs, daily series,
and the decisions of candidates and contractors with the terms that decided them.

A :class:`RunResult` is computed from the model's final state (every figure is counted from the
members' votes) and carries its seed, member count, engine, parameters and package version, so
any printed result can be reproduced. ``to_dict`` gives the JSON form of ``runoff run --json``;
``format_text`` the readable form (its decisions section is :meth:`RunResult.format_decisions`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from runoff_abm._version import __version__

__all__ = ["RunResult", "package_version"]


def package_version() -> str:
    """The version of runoff-abm (one source: ``runoff_abm._version``)."""
    return __version__


@dataclass
class RunResult:
    """Outcome of one runoff run. Tables are pandas DataFrames; see :meth:`to_dict`."""

    scenario: str
    seed: int
    members: int
    roll: int
    engine: str
    version: str
    parameters: dict[str, Any]
    finalists: tuple[str, str]
    votes: dict[str, int]
    turnout_votes: int
    flows: pd.DataFrame
    by_sector: pd.DataFrame
    by_bloc: pd.DataFrame
    daily: pd.DataFrame
    events: list[tuple[int, str]]
    observed: dict[str, Any] | None = None
    round1: dict[str, int] = field(default_factory=dict)
    decisions: list[dict[str, Any]] = field(default_factory=list)

    @property
    def shares(self) -> dict[str, float]:
        """Two-candidate shares of the valid runoff votes."""
        total = sum(self.votes.values())
        return {k: (v / total if total else float("nan")) for k, v in self.votes.items()}

    @property
    def turnout(self) -> float:
        """Runoff voters as a share of the (simulated) roll."""
        return self.turnout_votes / self.members

    @property
    def winner(self) -> str:
        a, b = self.finalists
        if self.votes[a] == self.votes[b]:
            return "tie"
        return a if self.votes[a] > self.votes[b] else b

    @property
    def margin(self) -> float:
        """Share of finalist A minus share of finalist B (fraction of valid votes)."""
        a, b = self.finalists
        s = self.shares
        return s[a] - s[b]

    @classmethod
    def from_model(cls, model) -> RunResult:
        st = model.state
        a, b = model.finalists
        vote = st.vote
        cols = [a, b, "abstained"]
        col_idx = np.where(vote < 0, 2, vote).astype(np.int64)
        k = len(model.categories)
        flow = np.bincount(st.r1.astype(np.int64) * 3 + col_idx, minlength=k * 3).reshape(k, 3)
        flows = pd.DataFrame(flow, index=pd.Index(model.categories, name="round1"), columns=cols)
        voted = vote >= 0

        rows = []
        for s, name in enumerate(model.sector_names):
            m = st.sector == s
            size = int(m.sum())
            va, vb = int(np.sum(m & (vote == 0))), int(np.sum(m & (vote == 1)))
            r1_voted = int(np.sum(m & (st.r1 != k - 1)))
            rows.append({"sector": name, "members": size,
                         "round1_turnout": r1_voted / size if size else float("nan"),
                         "runoff_turnout": (va + vb) / size if size else float("nan"),
                         f"votes_{a}": va, f"votes_{b}": vb,
                         f"share_{a}": va / (va + vb) if va + vb else float("nan")})
        by_sector = pd.DataFrame(rows)

        brow = []
        for c in model.contractors:
            idx = c.members
            va, vb = int(np.sum(vote[idx] == 0)), int(np.sum(vote[idx] == 1))
            brow.append({"contractor": c.name, "patron": c.patron_name, "sector": c.sector or "",
                         "status": c.status,
                         "instruction": model.finalists[c.instruction] if c.instruction >= 0 else "none",
                         "decided_day": c.decided_day, "members": len(idx),
                         "turnout": (va + vb) / len(idx) if len(idx) else float("nan"),
                         f"votes_{a}": va, f"votes_{b}": vb,
                         "visibility": float(np.mean(st.visibility[idx])) if len(idx) else float("nan")})
        by_bloc = pd.DataFrame(brow, columns=["contractor", "patron", "sector", "status", "instruction",
                                              "decided_day", "members", "turnout", f"votes_{a}", f"votes_{b}",
                                              "visibility"])
        daily = model.datacollector.get_model_vars_dataframe().reset_index(drop=True)
        obs = model.scenario.observed
        observed = None
        if obs is not None:
            observed = {"votes": dict(obs.votes), "shares": obs.shares(), "turnout": obs.turnout,
                        "source": obs.source}
        return cls(
            scenario=model.scenario.name, seed=model.seed, members=model.n, roll=model.scenario.roll,
            engine=model.engine.name, version=package_version(), parameters=model.params.as_dict(),
            finalists=model.finalists, votes={a: int(np.sum(vote == 0)), b: int(np.sum(vote == 1))},
            turnout_votes=int(voted.sum()), flows=flows, by_sector=by_sector, by_bloc=by_bloc, daily=daily,
            events=list(model.event_log), observed=observed,
            round1={name: int(n) for name, n in zip(model.categories, np.bincount(st.r1, minlength=k), strict=True)},
            decisions=[_json_ready(d) for d in model.decisions])

    # ------------------------------------------------------------------ output forms
    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict; keys: scenario, seed, members, winner, votes, shares, turnout, flows, ..."""
        def records(df):
            return [{k: _plain(v) for k, v in r.items()} for r in df.to_dict(orient="records")]

        return {
            "scenario": self.scenario, "seed": self.seed, "members": self.members, "roll": self.roll,
            "engine": self.engine, "version": self.version, "finalists": list(self.finalists),
            "winner": self.winner, "votes": self.votes, "shares": self.shares,
            "margin": self.margin, "turnout": self.turnout, "turnout_votes": self.turnout_votes,
            "round1": self.round1,
            "flows": {r: {c: int(self.flows.loc[r, c]) for c in self.flows.columns} for r in self.flows.index},
            "by_sector": records(self.by_sector), "by_bloc": records(self.by_bloc),
            "daily": records(self.daily), "events": [{"day": d, "event": t} for d, t in self.events],
            "observed": self.observed, "parameters": self.parameters, "decisions": self.decisions,
        }

    def format_text(self, title: str = "") -> str:
        """The readable report printed by ``runoff run``."""
        a, b = self.finalists
        out = []
        head = f"{self.scenario}" + (f" - {title}" if title and title != self.scenario else "")
        out.append(head)
        scale = "" if self.members == self.roll else f" (scaled from the roll of {self.roll:,})"
        out.append(f"seed {self.seed} | {self.members:,} members{scale} | engine {self.engine} "
                   f"| runoff-abm {self.version}")
        out.append("")
        obs = self.observed
        out.append(f"{'Runoff':<16}{'simulated':>20}" + (f"{'observed':>22}" if obs else ""))
        for name in (a, b):
            line = f"  {name:<14}{self.votes[name]:>12,} {self.shares[name]:>7.1%}"
            if obs:
                line += f"{obs['votes'][name]:>14,} {obs['shares'][name]:>7.1%}"
            out.append(line)
        line = f"  {'turnout':<14}{self.turnout_votes:>12,} {self.turnout:>7.1%}"
        if obs and obs.get("turnout") is not None:
            line += f"{sum(obs['votes'].values()):>14,} {obs['turnout']:>7.1%}"
        out.append(line)
        line = f"  {'winner':<14}{self.winner:>20}"
        if obs:
            ov = obs["votes"]
            ow = a if ov[a] > ov[b] else b if ov[b] > ov[a] else "tie"
            line += f"{ow:>22}"
        out.append(line)
        r1_turnout = 1 - self.round1.get("abstained", 0) / self.members
        out.append(f"  {'round-1 turnout':<14}{r1_turnout:>20.1%}")
        out.append("")
        out.append("Flow matrix: round-1 choice (rows) -> runoff choice (columns), members")
        cols = list(self.flows.columns)
        out.append(f"  {'':<14}" + "".join(f"{c:>13}" for c in cols) + f"{'total':>10}")
        for r in self.flows.index:
            vals = [int(self.flows.loc[r, c]) for c in cols]
            out.append(f"  {r:<14}" + "".join(f"{v:>13,}" for v in vals) + f"{sum(vals):>10,}")
        tot = [int(self.flows[c].sum()) for c in cols]
        out.append(f"  {'total':<14}" + "".join(f"{v:>13,}" for v in tot) + f"{sum(tot):>10,}")
        if len(self.by_sector) > 1:
            out.append("")
            out.append(f"By sector{'':<9}{'members':>9}{'turnout r1':>12}{'runoff':>9}{'share ' + a:>20}")
            for _, r in self.by_sector.iterrows():
                out.append(f"  {r['sector']:<16}{r['members']:>9,}{r['round1_turnout']:>12.1%}"
                           f"{r['runoff_turnout']:>9.1%}{r['share_' + a]:>20.1%}")
        if len(self.by_bloc):
            out.append("")
            out.append(f"Contractor blocs{'':<10}{'patron':<13}{'instructs':<13}{'day':>4}{'members':>9}"
                       f"{'turnout':>9}{a:>13}{b:>10}")
            for _, r in self.by_bloc.iterrows():
                day = "-" if r["decided_day"] is None or pd.isna(r["decided_day"]) else int(r["decided_day"])
                out.append(f"  {r['contractor']:<24}{r['patron']:<13}{r['instruction']:<13}{day!s:>4}"
                           f"{r['members']:>9,}{r['turnout']:>9.1%}{r['votes_' + a]:>13,}{r['votes_' + b]:>10,}")
        if self.events:
            out.append("")
            out.append("Events")
            for d, text in self.events:
                out.append(f"  day {d}: {text}")
        decisions = self.format_decisions()
        if decisions:
            out += ["", decisions]
        return "\n".join(out)

    def format_decisions(self) -> str:
        """The candidates' decisions in words, with the terms that decided them: for each
        option its utility terms and probability, the offers standing and the base's objection
        (empty if nobody decided). Contractors' decisions are summarised one line each."""
        out = []
        for d in self.decisions:
            how = "scripted by the scenario; the model's weighing at that moment" if d["how"] == "scripted" else \
                "decided by the model"
            if d["role"] == "candidate":
                choice = "stays neutral" if d["choice"] == "neutral" else _third_person(d["choice"]) + (
                    " and takes the deal" if d.get("deal") else "")
                out.append(f"  day {d['day']}: {d['who']} {choice} ({how}):")
                for o in d.get("options", []):
                    terms = ", ".join(f"{k} {v:+.2f}" for k, v in o["terms"].items()) or "no terms"
                    out.append(f"      {o['option']:<24} utility {o['utility']:+.2f} = {terms:<58} "
                               f"probability {o['probability']:.0%}")
                offers = d.get("offers") or {}
                if offers:
                    out.append("      offers standing: " + "; ".join(
                        f"{f} value {o['value']:g} x deliver {o['deliver']:g} (day {o['day']})"
                        for f, o in offers.items()))
                base = d.get("base") or {}
                if base.get("objection"):
                    out.append("      base objects to endorsing: " + ", ".join(
                        f"{f} {v:.2f}" for f, v in base["objection"].items()) + " (0 = nobody, 1 = the whole base)")
            else:
                opts = d.get("options") or []
                odds = ", ".join(f"{o['option']} {o['probability']:.0%}" for o in opts)
                waited = " before its patron declared" if d.get("waited_for_patron") is False else ""
                out.append(f"  day {d['day']}: contractor {d['who']} ({d['patron']}) {_third_person(d['choice'])}{waited} "
                           f"({'scripted' if d['how'] == 'scripted' else 'model'}{'; ' + odds if odds else ''})")
        if not out:
            return ""
        return "\n".join(["Decisions (who chose what, and the terms that decided it)"] + out)


def _third_person(choice: str) -> str:
    """``endorse X`` -> ``endorses X``, ``instruct X`` -> ``instructs X``, ``sit out`` -> ``sits out``."""
    verb, _, rest = choice.partition(" ")
    return f"{verb}s {rest}".strip()


def _json_ready(v):
    """A copy of a decision record with plain Python numbers (JSON-ready)."""
    if isinstance(v, dict):
        return {str(k): _json_ready(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_json_ready(x) for x in v]
    if isinstance(v, np.integer):
        return int(v)
    if isinstance(v, np.floating):
        return float(v)
    return v


def _plain(v):
    """A JSON-ready scalar from a pandas/numpy value."""
    if v is None:
        return None
    if isinstance(v, (np.integer,)):
        return int(v)
    if isinstance(v, (np.floating, float)):
        return None if np.isnan(v) else float(v)
    return v
