"""The result of one run: votes, shares, turnout, winner, flows, sectors, blocs, daily series,
and the decisions of candidates and contractors with the terms that decided them.

A :class:`RunResult` is computed from the model's final state (every figure is counted from the
members' votes) and carries its seed, member count, engine, parameters and package version, so
any printed result can be reproduced. ``to_dict`` gives the JSON form of ``runoff run --json``;
``format_text`` the readable form (fitting 100 columns by default) and ``_repr_html_`` the
notebook's (the key numbers and the projection by day as an inline SVG figure); the decisions
section is :meth:`RunResult.format_decisions`.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from runoff_abm._version import __version__
from runoff_abm.model.present import WIDTH, html_table, pct, svg_lines, wrap
from runoff_abm.model.provenance import describe_rule

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
    rules: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: the parameter overrides the run was given (``run(..., name=value)``, ``--set``), beside
    #: :attr:`parameters`, the full resolved set
    overrides: dict[str, Any] = field(default_factory=dict)
    decisions: list[dict[str, Any]] = field(default_factory=list)

    @property
    def shares(self) -> dict[str, float]:
        """Two-candidate shares of the valid runoff votes; NaN for both when nobody voted
        (``to_dict`` encodes that as ``null``)."""
        total = sum(self.votes.values())
        return {k: (v / total if total else float("nan")) for k, v in self.votes.items()}

    @property
    def turnout(self) -> float:
        """Runoff voters as a share of the (simulated) roll."""
        return self.turnout_votes / self.members

    @property
    def outcome(self) -> str:
        """``"win"`` (one finalist has more votes), ``"tie"`` (equal, positive) or ``"no votes"``."""
        a, b = self.finalists
        if self.votes[a] != self.votes[b]:
            return "win"
        return "tie" if self.votes[a] > 0 else "no votes"

    @property
    def winner(self) -> str | None:
        """The finalist with more votes; ``"tie"`` on equal positive counts (no candidate may be
        named ``tie``, so this is unambiguous); None when nobody voted."""
        a, b = self.finalists
        if self.outcome == "no votes":
            return None
        if self.outcome == "tie":
            return "tie"
        return a if self.votes[a] > self.votes[b] else b

    @property
    def margin(self) -> float:
        """Share of finalist A minus share of finalist B (fraction of valid votes); NaN when
        nobody voted."""
        a, b = self.finalists
        s = self.shares
        return s[a] - s[b]

    @classmethod
    def from_model(cls, model) -> RunResult:
        """The result counted from a model that has voted (its final state)."""
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
            rules={name: dict(rec) for name, rec in getattr(model, "rule_records", {}).items()},
            decisions=[_json_ready(d) for d in model.decisions])

    # ------------------------------------------------------------------ output forms
    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict; keys: scenario, seed, members, winner, outcome, votes, shares, turnout,
        flows, ..., rules.

        It never holds NaN (not JSON): a figure that does not exist is ``null``. When nobody
        voted in the runoff, ``outcome`` is ``"no votes"`` and ``winner``, both ``shares`` and
        ``margin`` are ``null``; on a tie ``outcome`` and ``winner`` are ``"tie"``. ``rules`` maps
        each plug-in rule that ran to its record (rule, function, file, sha256, origin).
        """
        def records(df):
            return [{k: _plain(v) for k, v in r.items()} for r in df.to_dict(orient="records")]

        return {
            "scenario": self.scenario, "seed": self.seed, "members": self.members, "roll": self.roll,
            "engine": self.engine, "version": self.version, "finalists": list(self.finalists),
            "winner": self.winner, "outcome": self.outcome, "votes": self.votes,
            "shares": {k: _plain(v) for k, v in self.shares.items()},
            "margin": _plain(self.margin), "turnout": _plain(self.turnout), "turnout_votes": self.turnout_votes,
            "round1": self.round1, "rules": {k: dict(v) for k, v in self.rules.items()},
            "flows": {r: {c: int(self.flows.loc[r, c]) for c in self.flows.columns} for r in self.flows.index},
            "by_sector": records(self.by_sector), "by_bloc": records(self.by_bloc),
            "daily": records(self.daily), "events": [{"day": d, "event": t} for d, t in self.events],
            "observed": self.observed, "parameters": self.parameters, "overrides": dict(self.overrides),
            "decisions": self.decisions,
        }

    def format_text(self, title: str = "", *, rules: list[dict[str, Any]] | None = None,
                    width: int | None = WIDTH, spread: str = "") -> str:
        """The readable report printed by ``runoff run``.

        Args:
            title: the scenario's title (printed after its name).
            rules: records of the plug-in rules the run used (:func:`runoff_abm.model.provenance.rule_records`);
                None or empty: the model's own rules.
            width: the width to fit (None: no limit).
            spread: a section printed right after the runoff table (``runoff run --replicates``:
                the spread over replicates, :meth:`runoff_abm.studies.replicates.Replicates.format`).
        """
        if rules is None:  # the run's own record (RunResult.rules)
            rules = [{"name": k, "function": r.get("function"), "path": r.get("file"), "sha256": r.get("sha256")}
                     for k, r in sorted(self.rules.items())]
        a, b = self.finalists
        out = [f"{self.scenario}" + (f" - {title}" if title and title != self.scenario else "")]
        scaled = self.members != self.roll
        out.append(f"one simulated draw (seed {self.seed}) of {self.members:,} members"
                   + (f", scaled from the roll of {self.roll:,}" if scaled else " (the full roll)"))
        out.append(f"engine {self.engine} | runoff-abm {self.version}")
        if self.overrides:
            out += wrap("overrides: " + ", ".join(f"{k}={v}" for k, v in self.overrides.items()), width,
                        subsequent="  ")
        else:
            out.append("overrides: none (the scenario's parameters)")
        if rules:
            out += wrap("rules: " + "; ".join(describe_rule(r) for r in rules), width, subsequent="  ")
        else:
            out.append("rules: none (the model's own decision rules)")
        out.append("")
        obs = self.observed
        out.append(f"{'Runoff':<16}{'simulated':>21}" + (f"{'observed':>23}" if obs else ""))
        for name in (a, b):
            line = f"  {name:<14}{self.votes[name]:>12,} {self.shares[name]:>8.1%}"
            if obs:
                line += f"{obs['votes'][name]:>14,} {obs['shares'][name]:>8.1%}"
            out.append(line)
        line = f"  {'turnout':<14}{self.turnout_votes:>12,} {self.turnout:>8.1%}"
        if obs and obs.get("turnout") is not None:
            line += f"{sum(obs['votes'].values()):>14,} {obs['turnout']:>8.1%}"
        out.append(line)
        line = f"  {'winner':<14}{self.winner or 'no votes':>21}"
        if obs:
            line += f"{_winner(obs['votes'], a, b):>23}"
        out.append(line)
        votes, share = _lead(self.votes[a], self.votes[b])
        line = f"  {'margin':<14}{votes:>12} {share:>8}"
        if obs:
            votes, share = _lead(obs["votes"][a], obs["votes"][b])
            line += f"{votes:>14} {share:>8}"
        out.append(line)
        r1_turnout = 1 - self.round1.get("abstained", 0) / self.members
        out.append(f"  {'round-1 turnout':<14}{r1_turnout:>21.1%}")
        out.append("")
        if spread:
            out += [*spread.splitlines(), ""]
        else:
            out += wrap("One simulated draw: another seed gives another result. For the spread over seeds use "
                        "`runoff run --replicates N`; for uncertainty about the parameters too, `runoff predict`.",
                        width)
        if scaled and obs:
            out += wrap(f"Simulated counts are of {self.members:,} members, observed counts of the roll of "
                        f"{self.roll:,}: compare the shares.", width)
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
                out += wrap(text, width, indent=f"  day {d}: ", subsequent=" " * (len(f"  day {d}: ")))
        decisions = self.format_decisions(width)
        if decisions:
            out += ["", decisions]
        return "\n".join(out)

    def format_decisions(self, width: int | None = WIDTH) -> str:
        """The candidates' decisions in words, with the terms that decided them: for each
        option its utility terms and probability, the offers standing and the base's objection
        (empty if nobody decided). Contractors' decisions are summarised one line each.
        Lines are filled to ``width`` columns (None: one line each)."""
        out: list[str] = []
        deep = " " * 8
        for d in self.decisions:
            how = "scripted by the scenario; the model's weighing at that moment" if d["how"] == "scripted" else \
                "decided by the model"
            if d["role"] == "candidate":
                choice = "stays neutral" if d["choice"] == "neutral" else _third_person(d["choice"]) + (
                    " and takes the deal" if d.get("deal") else "")
                out += wrap(f"day {d['day']}: {d['who']} {choice} ({how}):", width, indent="  ", subsequent="    ")
                for o in d.get("options", []):
                    terms = ", ".join(f"{k} {v:+.2f}" for k, v in o["terms"].items()) or "no terms"
                    out += wrap(f"{o['option']}: probability {o['probability']:.0%}, utility {o['utility']:+.2f} "
                                f"= {terms}", width, indent="      ", subsequent=deep)
                offers = d.get("offers") or {}
                if offers:
                    out += wrap("offers standing: " + "; ".join(
                        f"{f} value {o['value']:g} x deliver {o['deliver']:g} (day {o['day']})"
                        for f, o in offers.items()), width, indent="      ", subsequent=deep)
                base = d.get("base") or {}
                if base.get("objection"):
                    out += wrap("base objects to endorsing: " + ", ".join(
                        f"{f} {v:.2f}" for f, v in base["objection"].items()) + " (0 = nobody, 1 = the whole base)",
                        width, indent="      ", subsequent=deep)
            else:
                opts = d.get("options") or []
                odds = ", ".join(f"{o['option']} {o['probability']:.0%}" for o in opts)
                waited = " before its patron declared" if d.get("waited_for_patron") is False else ""
                out += wrap(f"day {d['day']}: contractor {d['who']} ({d['patron']}) {_third_person(d['choice'])}"
                            f"{waited} ({'scripted' if d['how'] == 'scripted' else 'model'}"
                            f"{'; ' + odds if odds else ''})", width, indent="  ", subsequent="      ")
        if not out:
            return ""
        return "\n".join(["Decisions (who chose what, and the terms that decided it)"] + out)

    def _repr_html_(self) -> str:
        """Jupyter's view: the key numbers beside the observed result, and the projection by day."""
        a, b = self.finalists
        obs = self.observed
        head = ["", "simulated votes", "share"] + (["observed votes", "share"] if obs else [])
        rows = []
        for name in (a, b):
            rows.append([name, f"{self.votes[name]:,}", pct(self.shares[name])]
                        + ([f"{obs['votes'][name]:,}", pct(obs["shares"][name])] if obs else []))
        rows.append(["turnout", f"{self.turnout_votes:,}", pct(self.turnout)]
                    + ([f"{sum(obs['votes'].values()):,}", pct(obs.get("turnout"))] if obs else []))
        rows.append(["winner", self.winner or "none", ""] + ([_winner(obs["votes"], a, b), ""] if obs else []))
        rows.append(["margin (votes, points)", *_lead(self.votes[a], self.votes[b])]
                    + (list(_lead(obs["votes"][a], obs["votes"][b])) if obs else []))
        daily = self.daily
        fig = ""
        if len(daily) and "projected_share_a" in daily:
            hl = {"50%": 0.5}
            if obs:
                hl[f"observed {pct(obs['shares'][a])}"] = obs["shares"][a]
            fig = svg_lines(list(daily["day"]), {f"{a} (projected)": list(daily["projected_share_a"])},
                            title=f"projected share of {a} by day", xlabel="day", hlines=hl)
        scaled = "" if self.members == self.roll else f", scaled from the roll of {self.roll:,}"
        over = ", ".join(f"{k}={v}" for k, v in self.overrides.items()) or "none"
        return (f"<div><b>{_esc(self.scenario)}</b>: one simulated draw (seed {self.seed}) of {self.members:,} "
                f"members{_esc(scaled)}; engine {_esc(self.engine)}; runoff-abm {_esc(self.version)}; "
                f"overrides: {_esc(over)}"
                f"<div style='display:flex;gap:1em;align-items:flex-start'>{html_table(head, rows)}{fig}</div>"
                f"<small>One draw: another seed gives another result; use replicates "
                f"(<code>runoff run --replicates N</code>) or <code>runoff predict</code> for a distribution."
                f"</small></div>")


def _winner(votes: dict[str, int], a: str, b: str) -> str:
    return a if votes[a] > votes[b] else b if votes[b] > votes[a] else "tie"


def _lead(va: int, vb: int) -> tuple[str, str]:
    """The winner's lead in votes and in points of the two-candidate vote: ``("3,530", "8.6 pts")``."""
    if va == vb:
        return "0", "tie"
    return f"{abs(va - vb):,}", f"{100 * abs(va - vb) / (va + vb):.1f} pts"


def _esc(text: object) -> str:
    return html.escape(str(text))


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
        return float(v) if np.isfinite(v) else None
    if isinstance(v, np.bool_):
        return bool(v)
    return v
