"""The structural prior of a prediction: what decides a runoff, made uncertain and learned from evidence.

How the eliminated candidates' voters split, whether they (and round-1 abstainers) come back,
how much an endorsement moves them and how far turnout changes are the quantities that decide a
runoff, and the record does not fix them. This module turns the evidence of the real contests
shipped in ``scenarios/contests/`` (each file cites ``docs/case/other-runoffs.md`` or
``docs/case/labor-2011.md``) into a prior over them and maps each draw onto the model's
parameters.

**Evidence per contest** (:func:`evidence`, all derived from the scenario file's round 1, its
events and its ``[observed]`` result): the round-1 leader's share of the finalists' net gain
``g = dL / (dL + dR)`` (only where both gains are non-negative and the eliminated pool is at
least 5% of the round-1 vote, as in the case file), the endorsement balance of the pool ``d``
(votes of eliminated candidates endorsing the leader minus those endorsing the runner-up, over the
pool; a scripted endorsement of any strength counts, as in the case file), the turnout change
``t`` (runoff two-finalist votes over round-1 ballots, minus 1) and the gap in days.

**The prior** (empirical Bayes; :class:`BayesLinear`): two normal linear models with the
reference (Jeffreys) prior, whose posterior predictive is Student-t:

* transfer: ``g - 1/2 = a + b d + e``, ``e ~ N(0, s^2)``. ``a`` is the leader's pull on the pool
  without endorsements, ``b`` the effect of the whole pool's endorsement, ``s`` the spread between
  contests. A draw ``(a, b, s, e)`` sets ``transfer_lean`` (the eliminated voters' leaning toward
  the leader, ``1/2 + a + e``, as a leaning toward finalist A) and ``endorsement_trust``
  (``b / (1/2 x susceptibility_mean)``, so that a strength-1 endorsement moves its voters' mean
  leaning by ``b``; clipped to [0, 1]).
* turnout: ``t = c0 + c1 log(gap / 7 days) + u``. A draw of ``t`` sets ``habit_voter`` (when
  turnout falls) or ``abstainer_reentry`` (when it rises, for an electorate that allows it) so
  that the members' expected propensities on election day give ``1 + t`` runoff voters per
  round-1 ballot (:meth:`StructuralPrior.turnout_parameters`).
* re-entry of eliminated voters: ``orphan_demobilisation ~ Beta(2, 14)`` (mean 0.125, 90% in
  0.02-0.26): an assumption, wide, fitted on no outcome.
* broker effectiveness: ``contractor_compliance ~ Beta(4.8, 3.2)`` (mean 0.6) and
  ``contractor_capacity ~ Beta(6.4, 1.6)`` (mean 0.8): assumptions, wide, fitted on no outcome.

**Leave-one-out**: :func:`fit_prior` takes the contests to learn from; :func:`prior_for` leaves out
every contest that is the one predicted (same name, a name the predicted one extends, or the same
round-1 count), so a case never informs its own prior. Contests marked
``sources.confidence = "low"`` (partial data) are never fitted on. No outcome of a runoff outside
``docs/case/`` enters anywhere.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from runoff_abm.model.errors import RunoffError
from runoff_abm.model.params import Params
from runoff_abm.model.scenario import Scenario, load_scenario
from runoff_abm.scenarios import BUILTIN_DIR

__all__ = ["CONTESTS_DIR", "CaseEvidence", "BayesLinear", "StructuralPrior", "PriorError", "evidence",
           "load_contests", "fit_prior", "prior_for", "same_contest", "STRUCTURAL_PARAMETERS", "transfer_gain"]

#: The shipped real contests (each with an ``[observed]`` result).
CONTESTS_DIR = BUILTIN_DIR / "contests"

#: Model parameters a structural draw sets (they override a calibration posterior's values).
STRUCTURAL_PARAMETERS = ("transfer_lean", "endorsement_trust", "habit_voter", "abstainer_reentry",
                         "orphan_demobilisation", "contractor_compliance", "contractor_capacity")

#: Beta priors (mean, concentration) of the quantities the evidence does not inform: assumptions.
ASSUMED_BETA = {"orphan_demobilisation": (0.125, 16.0), "contractor_compliance": (0.6, 8.0),
                "contractor_capacity": (0.8, 8.0)}

#: Smallest eliminated pool (share of the round-1 vote) for a contest's transfer share to count.
MIN_POOL = 0.05


class PriorError(RunoffError):
    """The structural prior cannot be fitted (too few contests with an observed result)."""

    def __init__(self, message: str):
        self.message = message
        super().__init__(message)


@dataclass(frozen=True)
class CaseEvidence:
    """What one contest with an observed runoff says (all derived; see the module docstring)."""

    name: str
    leader: str
    runner_up: str
    leader_share_r1: float        # leader's share of the round-1 candidate votes
    margin_r1: float              # leader's minus runner-up's share of the round-1 candidate votes
    leader_two_r1: float          # leader's share of the two finalists' round-1 votes
    leader_two_r2: float          # leader's share of the runoff (two-finalist) votes
    leader_won: bool
    pool: float                   # eliminated candidates' votes over round-1 candidate votes
    endorsement_balance: float    # (pool endorsing leader - pool endorsing runner-up) / pool
    gain_share: float | None      # leader's share of the net gain (None: not a share)
    turnout_change: float         # runoff two-finalist votes / round-1 ballots - 1
    gap_days: int
    low_confidence: bool

    @property
    def pool_two(self) -> float:
        """The pool's share of the round-1 votes of the finalists and the pool (``p``)."""
        return self.pool

    @property
    def swing_target(self) -> float:
        """``z = (s2 - s1) - p (1/2 - s1)``: the swing to the leader beyond a 50:50 split of the pool."""
        return (self.leader_two_r2 - self.leader_two_r1) - self.pool * (0.5 - self.leader_two_r1)

    def as_dict(self) -> dict[str, Any]:
        """A plain dict (one row of a table)."""
        return dict(self.__dict__)


def evidence_pool(scn: Scenario) -> float:
    """Eliminated candidates' share of the round-1 candidate votes (``p``)."""
    total = sum(c.votes for c in scn.candidates)
    return sum(c.votes for c in scn.candidates if not c.finalist) / total if total else 0.0


def _leader(scn: Scenario) -> tuple[str, str]:
    a, b = scn.finalists
    return (a, b) if scn.candidate(a).votes >= scn.candidate(b).votes else (b, a)


def endorsement_balance(scn: Scenario) -> float:
    """Votes of eliminated candidates whose scripted endorsement goes to the round-1 leader, minus
    those to the runner-up, over the eliminated pool (0 without a pool)."""
    leader, runner = _leader(scn)
    elim = {c.name: c.votes for c in scn.candidates if not c.finalist}
    pool = sum(elim.values())
    if pool == 0:
        return 0.0
    bal = 0
    for ev in scn.events:
        by, target = getattr(ev, "by", None), getattr(ev, "target", None)
        if getattr(ev, "kind", "") == "endorse" and by in elim and target in (leader, runner):
            bal += elim[by] if target == leader else -elim[by]
    return bal / pool


def evidence(scn: Scenario) -> CaseEvidence:
    """The evidence of one contest (needs its ``[observed]`` result)."""
    if scn.observed is None:
        raise PriorError(f"{scn.name}: no [observed] result to learn from")
    leader, runner = _leader(scn)
    cand_votes = sum(c.votes for c in scn.candidates)
    l1, r1 = scn.candidate(leader).votes, scn.candidate(runner).votes
    l2, r2 = scn.observed.votes[leader], scn.observed.votes[runner]
    pool = (cand_votes - l1 - r1) / cand_votes if cand_votes else 0.0
    dl, dr = l2 - l1, r2 - r1
    gain = dl / (dl + dr) if dl >= 0 and dr >= 0 and dl + dr > 0 and pool >= MIN_POOL else None
    ballots = scn.round1_ballots
    return CaseEvidence(
        name=scn.name, leader=leader, runner_up=runner, leader_share_r1=l1 / cand_votes,
        margin_r1=(l1 - r1) / cand_votes, leader_two_r1=l1 / (l1 + r1), leader_two_r2=l2 / (l2 + r2) if l2 + r2 else 0.5,
        leader_won=l2 > r2, pool=pool, endorsement_balance=endorsement_balance(scn), gain_share=gain,
        turnout_change=(l2 + r2) / ballots - 1 if ballots else 0.0, gap_days=scn.election_day,
        low_confidence=scn.sources.get("confidence", "").strip().lower() == "low")


def load_contests(directory: str | Path = CONTESTS_DIR) -> list[Scenario]:
    """Every scenario file in ``directory`` with an ``[observed]`` result, by file name."""
    d = Path(directory)
    if not d.is_dir():
        raise PriorError(f"{d}: not a folder of scenario files")
    out = []
    for p in sorted(d.glob("*.toml")):
        scn = load_scenario(str(p))
        if scn.observed is not None:
            out.append(scn)
    return out


def same_contest(a: Scenario, b: Scenario) -> bool:
    """Whether two scenarios describe the same contest: the same name, one's name extending the
    other's (``labor-2011-calibrated`` is ``labor-2011``), or the same round-1 count."""
    if a.name == b.name or a.name.startswith(b.name + "-") or b.name.startswith(a.name + "-"):
        return True
    return sorted((c.name, c.votes) for c in a.candidates) == sorted((c.name, c.votes) for c in b.candidates)


@dataclass(frozen=True)
class BayesLinear:
    """A normal linear model ``y = X beta + e``, ``e ~ N(0, sigma^2)``, with the reference prior
    ``p(beta, sigma^2) ~ 1 / sigma^2``: the posterior is normal-inverse-chi-squared and the
    predictive of a new ``y`` Student-t with ``n - p`` degrees of freedom."""

    names: tuple[str, ...]
    beta: np.ndarray       # (p,) least-squares estimate (posterior mean)
    xtx_inv: np.ndarray    # (p, p)
    s2: float              # residual variance estimate
    dof: int               # n - p

    @classmethod
    def fit(cls, x: np.ndarray, y: np.ndarray, names: tuple[str, ...]) -> BayesLinear:
        """Fit on rows ``x`` (n, p) and targets ``y`` (n,); needs n > p."""
        x = np.asarray(x, dtype=float)
        y = np.asarray(y, dtype=float)
        n, p = x.shape
        if n <= p:
            raise PriorError(f"the structural prior needs more than {p} contests with the evidence for "
                             f"{names[-1]}; got {n}")
        xtx_inv = np.linalg.pinv(x.T @ x)
        beta = xtx_inv @ x.T @ y
        resid = y - x @ beta
        return cls(names=names, beta=beta, xtx_inv=xtx_inv, s2=float(resid @ resid) / (n - p), dof=n - p)

    def draw(self, rng: np.random.Generator) -> tuple[np.ndarray, float]:
        """One posterior draw ``(beta, sigma)``."""
        sigma2 = self.dof * self.s2 / max(rng.chisquare(self.dof), 1e-12)
        beta = rng.multivariate_normal(self.beta, sigma2 * self.xtx_inv, method="cholesky")
        return beta, math.sqrt(sigma2)

    def predictive_sd(self, x: np.ndarray) -> float:
        """Standard deviation of the Student-t predictive at ``x`` (infinite for dof <= 2)."""
        x = np.asarray(x, dtype=float)
        scale2 = self.s2 * (1 + float(x @ self.xtx_inv @ x))
        return math.sqrt(scale2 * self.dof / (self.dof - 2)) if self.dof > 2 else math.inf

    def summary(self) -> dict[str, Any]:
        """Estimates, standard errors, residual sd and degrees of freedom."""
        se = np.sqrt(np.diag(self.xtx_inv) * self.s2)
        return {"coefficients": {n: float(b) for n, b in zip(self.names, self.beta, strict=True)},
                "se": {n: float(v) for n, v in zip(self.names, se, strict=True)},
                "residual_sd": math.sqrt(self.s2), "dof": self.dof}


def _beta_draw(rng: np.random.Generator, mean: float, conc: float) -> float:
    return float(rng.beta(mean * conc, (1 - mean) * conc))


@dataclass(frozen=True)
class StructuralPrior:
    """The fitted prior over the structural quantities, and its map onto model parameters."""

    transfer: BayesLinear
    turnout: BayesLinear
    fitted_on: tuple[str, ...]
    left_out: tuple[str, ...] = ()
    evidence: tuple[CaseEvidence, ...] = field(default=(), repr=False)

    def draw(self, rng: np.random.Generator, scn: Scenario, base: dict[str, Any] | None = None,
             gain: float = 1.0) -> tuple[dict[str, float], dict[str, float]]:
        """One draw for ``scn``: (parameter overrides, the structural quantities drawn).

        ``base`` holds the parameter values the draw builds on (the scenario's ``[parameters]``
        merged with a calibration draw); the overrides are :data:`STRUCTURAL_PARAMETERS`.
        ``gain`` is the model's realised share of a change of the eliminated voters' initial
        leaning (:func:`transfer_gain`): the drawn transfer is divided by it, so that the
        *realised* swing, not the initial leaning, follows the prior.
        """
        params = Params.from_mapping({**scn.parameters, **(base or {})})
        leader, _ = _leader(scn)
        a_is_leader = scn.finalists[0] == leader
        (a, b), s = self.transfer.draw(rng)
        pool = evidence_pool(scn)
        e = float(rng.normal(0.0, s)) / max(pool, 1e-6)
        lean_leader = float(np.clip(0.5 + (a + e) / max(gain, 1e-6), 0.02, 0.98))
        trust = float(np.clip(b / (0.5 * max(params.susceptibility_mean, 1e-6) * max(gain, 1e-6)), 0.0, 1.0))
        (c0, c1), su = self.turnout.draw(rng)
        change = float(c0 + c1 * math.log(scn.election_day / 7.0) + rng.normal(0.0, su))
        orphan = _beta_draw(rng, *ASSUMED_BETA["orphan_demobilisation"])
        compliance = _beta_draw(rng, *ASSUMED_BETA["contractor_compliance"])
        capacity = _beta_draw(rng, *ASSUMED_BETA["contractor_capacity"])
        habit, reentry = self.turnout_parameters(scn, params.replace(orphan_demobilisation=orphan), change)
        over = {"transfer_lean": lean_leader if a_is_leader else 1 - lean_leader, "endorsement_trust": trust,
                "habit_voter": habit, "abstainer_reentry": reentry, "orphan_demobilisation": orphan,
                "contractor_compliance": compliance, "contractor_capacity": capacity}
        drawn = {"transfer_to_leader": lean_leader, "transfer_gain": gain, "endorsement_effect": float(b), "turnout_change": change,
                 "transfer_intercept": float(a), "transfer_sd": s}
        return over, drawn

    @staticmethod
    def turnout_parameters(scn: Scenario, params: Params, change: float) -> tuple[float, float]:
        """(habit_voter, abstainer_reentry) whose expected election-day propensities give
        ``1 + change`` runoff voters per round-1 ballot.

        Expected voters: ``D (h (F + O (1 - o)) + r A)``, with ``F`` the finalists' round-1
        votes, ``O`` the other ballots, ``A`` the abstainers (none where the electorate is the
        round-1 voters), ``o`` = orphan_demobilisation and ``D = (1 - daily_turnout_decay)^(days -
        1)``. A fall lowers ``h`` (``r`` as given); a rise raises ``r`` (``h`` as given); both are
        clipped to their ranges, so a rise the electorate cannot hold stops at its ceiling.
        """
        fin = sum(c.votes for c in scn.candidates if c.finalist)
        ballots = scn.round1_ballots
        other = ballots - fin
        abst = 0 if scn.electorate == "round1_voters" else scn.abstained
        decay = (1 - params.daily_turnout_decay) ** max(scn.election_day - 1, 0)
        voters_base = fin + other * (1 - params.orphan_demobilisation)
        target = max(1 + change, 0.0) * ballots / max(decay, 1e-9)
        h0, r0 = params.habit_voter, params.abstainer_reentry
        if target <= h0 * voters_base + r0 * abst or abst == 0:
            h = (target - r0 * abst) / max(voters_base, 1)
            return float(np.clip(h, 0.05, 1.0)), float(r0)
        r = (target - h0 * voters_base) / abst
        return float(h0), float(np.clip(r, 0.0, 1.0))

    def summary(self) -> dict[str, Any]:
        """The fitted prior: contests used, left out, and each model's estimates."""
        return {"fitted_on": list(self.fitted_on), "left_out": list(self.left_out),
                "transfer": self.transfer.summary(), "turnout": self.turnout.summary(),
                "assumed_beta": {k: {"mean": m, "concentration": c} for k, (m, c) in ASSUMED_BETA.items()}}

    def describe(self) -> str:
        """Two lines for a report."""
        t, u = self.transfer.summary(), self.turnout.summary()
        tc, uc = t["coefficients"], u["coefficients"]
        left = f"; left out: {', '.join(self.left_out)}" if self.left_out else ""
        return (f"structural prior fitted on {len(self.fitted_on)} contests{left}: transfer to the leader "
                f"{0.5 + tc['intercept']:.1%} (+{tc['endorsement']:.2f} x endorsement balance; residual swing sd "
                f"{t['residual_sd']:.3f}); turnout change {uc['intercept']:+.1%} at a 7-day gap "
                f"({uc['log_gap']:+.3f} x log(gap/7), sd {u['residual_sd']:.2f})")


def fit_prior(contests: list[Scenario], leave_out: Scenario | None = None) -> StructuralPrior:
    """Fit the structural prior on ``contests`` (each with an ``[observed]`` result), leaving out
    every contest that is ``leave_out`` (:func:`same_contest`) and every low-confidence contest."""
    left = tuple(c.name for c in contests if leave_out is not None and same_contest(c, leave_out))
    used = [c for c in contests if c.name not in left]
    ev = [evidence(c) for c in used]
    ev = [e for e in ev if not e.low_confidence]
    # every contest counts, its swing weighted by its pool (see the module docstring)
    transfer = BayesLinear.fit(np.array([[e.pool_two, e.pool_two * e.endorsement_balance] for e in ev]),
                               np.array([e.swing_target for e in ev]), ("intercept", "endorsement"))
    turnout = BayesLinear.fit(np.array([[1.0, math.log(e.gap_days / 7.0)] for e in ev]),
                              np.array([e.turnout_change for e in ev]), ("intercept", "log_gap"))
    return StructuralPrior(transfer=transfer, turnout=turnout, fitted_on=tuple(e.name for e in ev),
                           left_out=left, evidence=tuple(ev))


def prior_for(scn: Scenario, contests: list[Scenario] | None = None) -> StructuralPrior:
    """The structural prior for predicting ``scn``: fitted on the shipped contests (or
    ``contests``) without ``scn``'s own (leave-one-out)."""
    return fit_prior(load_contests() if contests is None else contests, leave_out=scn)


#: The two initial leanings and the seeds of the pilot runs of :func:`transfer_gain`.
PILOT_LEANS = (0.25, 0.75)
PILOT_SEEDS = (101, 102, 103)


def transfer_gain(scn: Scenario, members: int, base: dict[str, Any] | None = None, trust_rules: bool = False) -> float:
    """How much of a change of the eliminated voters' initial leaning the model realises.

    Paired pilot runs (the same seeds, :data:`PILOT_SEEDS`) at ``transfer_lean`` 0.25 and 0.75
    measure the change of finalist A's share; divided by what a full transfer would give (the
    pool's share of the round-1 vote times 0.5) this is the gain, clipped to [0.1, 1.5]. The
    model's campaign dynamics (social influence, canvassing, demobilisation) dampen an initial
    leaning, more so over a long campaign; dividing the drawn transfer by the gain makes the
    realised swing follow the prior.
    """
    from runoff_abm.model.api import run

    pool = evidence_pool(scn)
    if pool <= 0:
        return 1.0
    shares = {lean: [] for lean in PILOT_LEANS}  # type: dict[float, list[float]]
    for lean in PILOT_LEANS:
        for seed in PILOT_SEEDS:
            res = run(scn, seed=seed, members=members, trust_rules=trust_rules,
                      **{**(base or {}), "transfer_lean": lean})
            shares[lean].append(res.shares[scn.finalists[0]])
    diff = float(np.mean(shares[PILOT_LEANS[1]]) - np.mean(shares[PILOT_LEANS[0]]))
    nominal = pool * (PILOT_LEANS[1] - PILOT_LEANS[0])
    return float(np.clip(diff / nominal, 0.1, 1.5))
