"""Back-test: predict every real contest in a folder from its round 1 and events, leave-one-out.

For each scenario file with an ``[observed]`` result, :func:`backtest` fits the structural prior
on the *other* contests (:func:`runoff_abm.studies.priors.fit_prior`), runs
:func:`runoff_abm.studies.predict.predict` (which never reads the observed result) and scores the
prediction against the observed runoff:

* ``p_winner``: the predicted probability of the observed winner, smoothed as
  ``(wins + 1/2) / (runs + 1)`` so that a finite ensemble never gives probability 0;
* ``log_score``: ``ln p_winner`` (higher is better); ``brier``: ``(1 - p_winner_raw)^2``;
* ``crps``: the continuous ranked probability score of the round-1 leader's runoff share,
  ``E|X - y| - E|X - X'| / 2`` over the ensemble (lower is better);
* whether the observed leader's share and the turnout ratio (runoff two-finalist votes per
  round-1 ballot) fall inside the 50% and 90% central intervals.

Beside two baselines from the literature, each fitted leave-one-out on the same contests:

* **round 1 only** (the published runoff studies, e.g. Avelino, Russo & Pimentel's formula
  from the leader's share and margin): ``P(leader wins) = logistic(w0 + w1 share + w2 margin)``,
  fitted by maximum a posteriori with ``w0 ~ N(logit 2/3, 1)`` (round-1 leaders win about two in
  three: FairVote 2020, Bullock 2016, docs/case/other-runoffs.md) and ``w1, w2 ~ N(0, 5^2)``;
  its share forecast is the normal linear model of the leader's runoff share on its round-1
  two-finalist share (Student-t predictive approximated by a normal);
* **proportional transfer**: the eliminated pool splits like the finalists' own round-1 votes,
  so the leader's runoff share is its round-1 two-finalist share, with a normal error whose
  spread is the root mean square of that forecast's errors on the other contests.

Low-confidence contests (``sources.confidence = "low"``) are predicted and scored but never fitted
on. Results: a terminal table, ``backtest.csv`` (and ``backtest.parquet`` with pyarrow), and
``calibration.png`` (matplotlib).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import optimize, stats

from runoff_abm.model.present import WIDTH, wrap
from runoff_abm.model.scenario import Scenario
from runoff_abm.studies.predict import predict
from runoff_abm.studies.priors import (
    CONTESTS_DIR,
    DECAY,
    DECAY_FORMS,
    BayesLinear,
    CaseEvidence,
    PriorError,
    evidence,
    fit_prior,
)
from runoff_abm.studies.progress import Progress

__all__ = ["Backtest", "backtest", "crps_ensemble", "crps_normal", "form_scores", "logistic_baseline", "markdown_forms",
           "markdown_overall", "markdown_seeds", "markdown_summary",
           "proportional_baseline",
           "score_probability"]

#: Central interval levels of the calibration plot.
LEVELS = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)
#: The overall scores each summary shows: key, short label (terminal), long label (Markdown), format.
_SCORE_ROWS = (
    ("log_score", "log score (higher better)", "log score of the winner (higher is better)", "{:.3f}"),
    ("brier", "Brier (lower better)", "Brier score (lower is better)", "{:.3f}"),
    ("crps", "CRPS share (lower better)", "CRPS of the leader's share (lower is better)", "{:.4f}"),
    ("share_in_50", "share in 50% interval", "observed share inside the 50% interval", "{:.0%}"),
    ("share_in_90", "share in 90% interval", "observed share inside the 90% interval", "{:.0%}"),
)


def crps_ensemble(samples: np.ndarray, y: float) -> float:
    """CRPS of an ensemble forecast ``samples`` for the outcome ``y``: ``E|X - y| - E|X - X'| / 2``."""
    x = np.sort(np.asarray(samples, dtype=float))
    n = len(x)
    if n == 0:
        return float("nan")
    term1 = float(np.mean(np.abs(x - y)))
    # E|X - X'| over all ordered pairs, from the sorted sample: sum_i (2i - n + 1) x_i * 2 / n^2
    i = np.arange(n)
    term2 = float(2 * np.sum((2 * i - n + 1) * x) / n**2)
    return term1 - term2 / 2


def crps_normal(mu: float, sigma: float, y: float) -> float:
    """CRPS of a normal forecast N(``mu``, ``sigma``^2) for ``y`` (Gneiting & Raftery 2007)."""
    if sigma <= 0:
        return abs(y - mu)
    z = (y - mu) / sigma
    return float(sigma * (z * (2 * stats.norm.cdf(z) - 1) + 2 * stats.norm.pdf(z) - 1 / math.sqrt(math.pi)))


def score_probability(p_winner: float) -> tuple[float, float]:
    """(log score, Brier score) of a forecast that gave the observed winner probability ``p_winner``."""
    p = min(max(p_winner, 1e-12), 1.0)
    return math.log(p), (1 - p_winner) ** 2


def logistic_baseline(train: list[CaseEvidence]) -> np.ndarray:
    """MAP weights ``(w0, w1, w2)`` of ``P(leader wins) = logistic(w0 + w1 share + w2 margin)``."""
    x = np.array([[1.0, e.leader_share_r1, e.margin_r1] for e in train])
    y = np.array([1.0 if e.leader_won else 0.0 for e in train])
    mean = np.array([math.log(2.0), 0.0, 0.0])  # logit(2/3) = ln 2
    sd = np.array([1.0, 5.0, 5.0])

    def neg_log_post(w: np.ndarray) -> float:
        z = x @ w
        return float(np.sum(np.logaddexp(0, z) - y * z) + 0.5 * np.sum(((w - mean) / sd) ** 2))

    return optimize.minimize(neg_log_post, mean, method="BFGS").x


def proportional_baseline(train: list[CaseEvidence]) -> float:
    """Spread of the proportional-transfer forecast: RMS of (runoff share - round-1 two-finalist share)."""
    err = np.array([e.leader_two_r2 - e.leader_two_r1 for e in train])
    return float(np.sqrt(np.mean(err**2))) if len(err) else 0.05


def _normal_interval(mu: float, sd: float, level: float) -> tuple[float, float]:
    z = stats.norm.ppf(0.5 + level / 2)
    return mu - z * sd, mu + z * sd


@dataclass
class Backtest:
    """Per-contest rows and the overall scores of a back-test."""

    rows: pd.DataFrame
    coverage: pd.DataFrame            # nominal level x forecaster: share of contests inside
    replicates: int
    members: int
    seed: int
    structural: bool = True
    out: Path | None = None
    files: list[str] = field(default_factory=list)

    def overall(self) -> dict[str, Any]:
        """Mean scores and coverage rates over all contests."""
        r = self.rows
        out: dict[str, Any] = {"contests": len(r)}
        for f in ("model", "round1", "proportional"):
            out[f] = {"log_score": float(r[f"{f}.log_score"].mean()), "brier": float(r[f"{f}.brier"].mean()),
                      "crps": float(r[f"{f}.crps"].mean()), "share_in_50": float(r[f"{f}.share_in_50"].mean()),
                      "share_in_90": float(r[f"{f}.share_in_90"].mean())}
        out["model"]["turnout_in_50"] = float(r["model.turnout_in_50"].mean())
        out["model"]["turnout_in_90"] = float(r["model.turnout_in_90"].mean())
        return out

    def format(self, width: int | None = WIDTH) -> str:
        """The terminal report (fits ``width`` columns, at most 100)."""
        r = self.rows
        how = "" if self.structural else " WITHOUT the structural prior (seed noise only)"
        lines = wrap(f"back-test of {len(r)} contests, leave-one-out{how}: {self.replicates} runs each, {self.members} "
                     f"members per run, seed {self.seed}. P(w) = probability of the observed winner; share = the "
                     "round-1 leader's runoff share; ratio = runoff votes per round-1 ballot.", width)
        lines.append("")
        lines.append(f"{'contest':<13}{'winner':<11}{'P(w) model':>10}{'r1 only':>8}{'prop.':>7}"
                     f"{'share':>7}{'model 90%':>13}{'in':>3}{'ratio':>7}{'model 90%':>13}{'in':>3}")
        for _, x in r.iterrows():
            s90 = f"{x['model.share_q05']:.1%}-{x['model.share_q95']:.1%}"
            t90 = f"{x['model.turnout_q05']:.0%}-{x['model.turnout_q95']:.0%}"
            mark = ("*" if x["low_confidence"] else "")
            lines.append(f"{(x['contest'] + mark)[:12]:<13}{str(x['winner'])[:10]:<11}{x['model.p_winner']:>10.2f}"
                         f"{x['round1.p_winner']:>8.2f}{x['proportional.p_winner']:>7.2f}"
                         f"{x['observed.share']:>7.1%}{s90:>13}{'y' if x['model.share_in_90'] else 'n':>3}"
                         f"{x['observed.ratio']:>7.0%}{t90:>13}{'y' if x['model.turnout_in_90'] else 'n':>3}")
        o = self.overall()
        lines.append("")
        lines.append(f"{'overall (mean)':<24}{'model':>12}{'round 1 only':>14}{'proportional':>14}")
        for key, label, _, fmt in _SCORE_ROWS:
            lines.append(f"{label:<26}{fmt.format(o['model'][key]):>10}{fmt.format(o['round1'][key]):>14}"
                         f"{fmt.format(o['proportional'][key]):>14}")
        lines.append(f"{'turnout in 50% / 90%':<26}{o['model']['turnout_in_50']:>9.0%} / {o['model']['turnout_in_90']:.0%}")
        if r["low_confidence"].any():
            lines += wrap("* partial data (low confidence): predicted and scored, never fitted on.", width)
        if self.files:
            lines += wrap(f"wrote {', '.join(self.files)}", width)
        return "\n".join(lines)


def _contests(directory: str | Path | None) -> list[Scenario]:
    from runoff_abm.model.scenario import load_scenario

    d = Path(directory) if directory is not None else CONTESTS_DIR
    if not d.is_dir():
        raise PriorError(f"{d}: not a folder; give a folder of scenario files with [observed] results")
    out = [s for s in (load_scenario(str(p)) for p in sorted(d.glob("*.toml"))) if s.observed is not None]
    if len(out) < 3:
        raise PriorError(f"{d}: {len(out)} scenario files with an [observed] result; a back-test needs at least 3")
    return out


def _leader_share(runs: pd.DataFrame, scn: Scenario, leader: str) -> pd.Series:
    return runs["share_a"] if scn.finalists[0] == leader else runs["share_b"]


def backtest(directory: str | Path | None = None, *, out: str | Path | None = None, replicates: int = 100,
             members: int = 3000, seed: int = 0, executor: str = "processes", workers: int | None = None,
             scheduler: str | None = None, local_cluster: int | None = None, progress: bool | None = True,
             plots: bool = True, contests: list[Scenario] | None = None, structural: bool = True) -> Backtest:
    """Back-test every contest in ``directory`` (default: the shipped ``scenarios/contests``).

    Args:
        directory: folder of scenario files; those with an ``[observed]`` result are the contests.
        out: folder for ``backtest.csv``, ``backtest.parquet`` and ``calibration.png`` (None: none written).
        replicates: runs per contest (the budget: contests x replicates runs in all).
        members: members per run.
        seed: master seed (contest ``i`` predicts with seed ``seed + i``).
        executor: ``serial``, ``processes`` or ``dask``.
        workers: worker processes (``processes``).
        scheduler: a Dask scheduler address (``dask``).
        local_cluster: start a local Dask cluster of this many workers (``dask``).
        progress: show runs done, rate and time left when someone is watching.
        plots: write the calibration plot (matplotlib).
        contests: the scenarios themselves instead of ``directory``.
        structural: integrate over the structural prior (default); False scores seed noise alone.

    Raises:
        PriorError: fewer than 3 contests, or too few to fit a prior without one of them.
    """
    cases = contests if contests is not None else _contests(directory)
    evid = [evidence(c) for c in cases]
    rows = []
    cover: dict[str, list[list[bool]]] = {"model": [], "round1": [], "proportional": []}
    with Progress(len(cases) * replicates, desc="backtest", show=progress) as bar:
        for i, (scn, ev) in enumerate(zip(cases, evid, strict=True)):
            train = [e for j, e in enumerate(evid) if j != i and not e.low_confidence]
            prior = fit_prior(cases, leave_out=scn)
            pred = predict(scn, prior=prior, replicates=replicates, members=members, seed=seed + i,
                           executor=executor, workers=workers, scheduler=scheduler, local_cluster=local_cluster,
                           progress=False, structural=structural)
            bar.update(replicates)
            rows.append(_score(scn, ev, pred, train, cover))
    df = pd.DataFrame(rows)
    cov = pd.DataFrame({f: np.mean(np.array(v, dtype=float), axis=0) for f, v in cover.items()}, index=list(LEVELS))
    cov.index.name = "level"
    bt = Backtest(rows=df, coverage=cov, replicates=replicates, members=members, seed=seed, structural=structural)
    if out is not None:
        _write(bt, Path(out), plots)
    return bt


def _score(scn: Scenario, ev: CaseEvidence, pred, train: list[CaseEvidence],
           cover: dict[str, list[list[bool]]]) -> dict[str, Any]:
    leader = ev.leader
    won = ev.leader_won
    n = len(pred.runs)
    lshare = _leader_share(pred.runs, scn, leader).to_numpy()
    a_wins = pred.runs["a_wins"].to_numpy()
    leader_wins = a_wins if scn.finalists[0] == leader else 1 - a_wins
    wins_obs = float(np.sum(leader_wins if won else 1 - leader_wins))
    p_raw = wins_obs / n
    p_model = (wins_obs + 0.5) / (n + 1)
    y = ev.leader_two_r2
    ratio = pred.runs["turnout_ratio"].to_numpy()
    obs_ratio = 1 + ev.turnout_change
    q = np.quantile(lshare, [0.05, 0.25, 0.75, 0.95])
    tq = np.quantile(ratio, [0.05, 0.25, 0.75, 0.95])
    row: dict[str, Any] = {
        "contest": scn.name, "leader": leader, "winner": leader if won else ev.runner_up, "leader_won": won,
        "low_confidence": ev.low_confidence, "observed.share": y, "observed.ratio": obs_ratio,
        "model.p_winner": p_model, "model.p_winner_raw": p_raw,
        "model.share_median": float(np.median(lshare)), "model.share_q05": q[0], "model.share_q25": q[1],
        "model.share_q75": q[2], "model.share_q95": q[3],
        "model.share_in_50": bool(q[1] <= y <= q[2]), "model.share_in_90": bool(q[0] <= y <= q[3]),
        "model.turnout_median": float(np.median(ratio)), "model.turnout_q05": tq[0], "model.turnout_q95": tq[3],
        "model.turnout_in_50": bool(tq[1] <= obs_ratio <= tq[2]),
        "model.turnout_in_90": bool(tq[0] <= obs_ratio <= tq[3]),
        "model.crps": crps_ensemble(lshare, y), "runs": n, "seed": pred.seed,
        "prior.fitted_on": ";".join(pred.structural["fitted_on"]) if pred.structural else "",
    }
    row["model.log_score"], row["model.brier"] = score_probability(p_model)
    row["model.brier"] = (1 - p_raw) ** 2
    cover["model"].append([bool(np.quantile(lshare, 0.5 - lv / 2) <= y <= np.quantile(lshare, 0.5 + lv / 2))
                           for lv in LEVELS])
    # round 1 only: logistic win probability, linear share model
    w = logistic_baseline(train)
    p_lead = float(1 / (1 + math.exp(-(w[0] + w[1] * ev.leader_share_r1 + w[2] * ev.margin_r1))))
    lin = BayesLinear.fit(np.array([[1.0, e.leader_two_r1] for e in train]),
                          np.array([e.leader_two_r2 for e in train]), ("intercept", "leader_two_r1"))
    x = np.array([1.0, ev.leader_two_r1])
    mu1, sd1 = float(x @ lin.beta), lin.predictive_sd(x)
    # proportional transfer
    mu2, sd2 = ev.leader_two_r1, proportional_baseline(train)
    p_prop = float(stats.norm.cdf((mu2 - 0.5) / sd2)) if sd2 > 0 else float(mu2 > 0.5)
    for name, p_l, mu, sd in (("round1", p_lead, mu1, sd1), ("proportional", p_prop, mu2, sd2)):
        p_w = p_l if won else 1 - p_l
        row[f"{name}.p_winner"] = p_w
        row[f"{name}.log_score"], row[f"{name}.brier"] = score_probability(p_w)
        row[f"{name}.crps"] = crps_normal(mu, sd, y)
        lo50, hi50 = _normal_interval(mu, sd, 0.5)
        lo90, hi90 = _normal_interval(mu, sd, 0.9)
        row[f"{name}.share_in_50"] = bool(lo50 <= y <= hi50)
        row[f"{name}.share_in_90"] = bool(lo90 <= y <= hi90)
        row[f"{name}.share_mean"], row[f"{name}.share_sd"] = mu, sd
        cover[name].append([bool(_normal_interval(mu, sd, lv)[0] <= y <= _normal_interval(mu, sd, lv)[1])
                            for lv in LEVELS])
    return row


def _write(bt: Backtest, out: Path, plots: bool) -> None:
    import json

    from runoff_abm.studies.store import versions

    out.mkdir(parents=True, exist_ok=True)
    flag = "" if bt.structural else " --no-structural"
    manifest = {"command": f"runoff backtest DIR --replicates {bt.replicates} --members {bt.members} --seed {bt.seed}"
                           f"{flag}",
                "replicates": bt.replicates, "members": bt.members, "seed": bt.seed, "structural": bt.structural,
                "seeds": "contest i (in file-name order) predicts with seed + i",
                "contests": list(bt.rows["contest"]), "versions": versions(), "overall": bt.overall()}
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2, default=float) + "\n")
    bt.files.append(str(out / "manifest.json"))
    bt.rows.to_csv(out / "backtest.csv", index=False)
    bt.files.append(str(out / "backtest.csv"))
    bt.coverage.to_csv(out / "coverage.csv")
    bt.files.append(str(out / "coverage.csv"))
    try:
        import pyarrow  # noqa: F401

        bt.rows.to_parquet(out / "backtest.parquet", index=False)
        bt.files.append(str(out / "backtest.parquet"))
    except ImportError:  # pragma: no cover - pyarrow is in [studies]
        pass
    if plots:
        _plot(bt, out / "calibration.png")
        bt.files.append(str(out / "calibration.png"))
        bt.out = out


def _plot(bt: Backtest, path: Path) -> None:
    """Two panels: central-interval coverage of the leader's share against the nominal level, and
    the probability each forecaster gave the observed winner, per contest."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4.5))
    levels = np.array(LEVELS)
    ax1.plot([0, 1], [0, 1], color="grey", lw=1, ls="--", label="perfect calibration")
    styles = {"model": ("C0", "o", "model (structural prior)"), "round1": ("C1", "s", "round 1 only"),
              "proportional": ("C2", "^", "proportional transfer")}
    for f, (c, m, label) in styles.items():
        ax1.plot(levels, bt.coverage[f].to_numpy(), color=c, marker=m, label=label)
    ax1.set_xlabel("nominal central interval")
    ax1.set_ylabel("share of contests whose observed share falls inside")
    ax1.set_title(f"interval calibration ({len(bt.rows)} contests, leave-one-out)")
    ax1.set_xlim(0, 1)
    ax1.set_ylim(0, 1.02)
    ax1.legend(loc="upper left", fontsize=8)
    r = bt.rows
    ypos = np.arange(len(r))
    for k, (f, (c, m, label)) in enumerate(styles.items()):
        ax2.scatter(r[f"{f}.p_winner"], ypos + (k - 1) * 0.2, color=c, marker=m, label=label)
    ax2.axvline(0.5, color="grey", lw=1, ls="--")
    ax2.set_yticks(ypos)
    ax2.set_yticklabels([f"{c} ({w})" for c, w in zip(r["contest"], r["winner"], strict=True)], fontsize=8)
    ax2.set_xlim(0, 1)
    ax2.set_xlabel("probability given to the observed winner")
    ax2.set_title("who saw the winner coming")
    ax2.legend(loc="lower left", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def markdown_summary(rows: pd.DataFrame) -> str:
    """The back-test as Markdown (per contest, then overall), from its ``backtest.csv`` rows."""
    bt = Backtest(rows=rows, coverage=pd.DataFrame(), replicates=int(rows["runs"].iloc[0]), members=0, seed=0)
    out = ["| contest | observed winner | P(winner): model | round 1 only | proportional | leader's share: observed "
           "| model 90% interval | turnout ratio: observed | model 90% interval |",
           "|---|---|---|---|---|---|---|---|---|"]
    for _, x in rows.iterrows():
        star = " (partial data)" if x["low_confidence"] else ""
        out.append(f"| {x['contest']}{star} | {x['winner']} | {x['model.p_winner']:.2f} | {x['round1.p_winner']:.2f} "
                   f"| {x['proportional.p_winner']:.2f} | {x['observed.share']:.1%} | {x['model.share_q05']:.1%}–"
                   f"{x['model.share_q95']:.1%}{'' if x['model.share_in_90'] else ' ✗'} | {x['observed.ratio']:.0%} "
                   f"| {x['model.turnout_q05']:.0%}–{x['model.turnout_q95']:.0%}"
                   f"{'' if x['model.turnout_in_90'] else ' ✗'} |")
    o = bt.overall()
    out += ["", "| overall (mean over contests) | model | round 1 only | proportional transfer |", "|---|---|---|---|"]
    for key, _, label, fmt in _SCORE_ROWS:
        out.append(f"| {label} | {fmt.format(o['model'][key])} | {fmt.format(o['round1'][key])} | "
                   f"{fmt.format(o['proportional'][key])} |")
    out.append(f"| observed turnout ratio inside the 50% / 90% interval | {o['model']['turnout_in_50']:.0%} / "
               f"{o['model']['turnout_in_90']:.0%} | – | – |")
    return "\n".join(out) + "\n"


def markdown_overall(rows: pd.DataFrame) -> str:
    """Only the overall table of :func:`markdown_summary`."""
    text = markdown_summary(rows)
    return text[text.index("| overall"):]


def form_scores(contests: list[Scenario] | None = None) -> pd.DataFrame:
    """The structural prior *alone* (no model runs), leave-one-out, for each endorsement decay form
    of :data:`runoff_abm.studies.priors.DECAY_FORMS`: one row per form with its mean log score and
    Brier score of the observed winner and the share of observed leader's shares inside the 90%
    interval, scored as :func:`backtest` scores the model (the Student-t predictive of
    :meth:`~runoff_abm.studies.priors.StructuralPrior.share_predictive`)."""
    cases = contests if contests is not None else _contests(None)
    rows = []
    for form, (text, _) in DECAY_FORMS.items():
        logs, briers, inside = [], [], []
        for scn in cases:
            ev = evidence(scn)
            mu, scale, dof = fit_prior(cases, leave_out=scn, decay=form).share_predictive(scn)
            p_lead = float(stats.t.sf((0.5 - mu) / scale, dof))
            log, brier = score_probability(p_lead if ev.leader_won else 1 - p_lead)
            logs.append(log)
            briers.append(brier)
            half = float(stats.t.ppf(0.95, dof)) * scale
            inside.append(abs(ev.leader_two_r2 - mu) <= half)
        rows.append({"form": form, "decay": text, "chosen": form == DECAY, "log_score": float(np.mean(logs)),
                     "brier": float(np.mean(briers)), "share_in_90": float(np.mean(inside))})
    return pd.DataFrame(rows)


def markdown_forms(table: pd.DataFrame) -> str:
    """:func:`form_scores` as a Markdown table."""
    out = ["| endorsement decay (prior alone, leave-one-out) | log score | Brier score | observed share inside the 90% interval |",
           "|---|---|---|---|"]
    for _, x in table.iterrows():
        mark = " (the prior's form)" if x["chosen"] else ""
        out.append(f"| `{x['form']}`: {x['decay']}{mark} | {x['log_score']:.3f} | {x['brier']:.3f} | {x['share_in_90']:.0%} |")
    return "\n".join(out) + "\n"


def markdown_seeds(runs: dict[int, pd.DataFrame]) -> str:
    """The overall log score, Brier score and 90% share coverage of the same back-test run with
    several master seeds (``runs``: master seed -> its ``backtest.csv`` rows), as Markdown: how much
    of a difference between forecasters is Monte Carlo noise; and the model's mean lead in log
    score over proportional transfer without the contest where it gains most (how much the lead
    rests on one contest)."""
    out = ["| master seed | log score: model | proportional | model's lead without its best contest | Brier: model "
           "| proportional | share inside 90%: model |",
           "|---|---|---|---|---|---|---|"]
    for seed, rows in sorted(runs.items()):
        bt = Backtest(rows=rows, coverage=pd.DataFrame(), replicates=int(rows["runs"].iloc[0]), members=0, seed=seed)
        o = bt.overall()
        gain = (rows["model.log_score"] - rows["proportional.log_score"]).to_numpy()
        best = int(np.argmax(gain))
        rest = float(np.delete(gain, best).mean())
        out.append(f"| {seed} | {o['model']['log_score']:.3f} | {o['proportional']['log_score']:.3f} | "
                   f"{rest:+.3f} (without {rows['contest'].iloc[best]}) | {o['model']['brier']:.3f} | "
                   f"{o['proportional']['brier']:.3f} | {o['model']['share_in_90']:.0%} |")
    return "\n".join(out) + "\n"
