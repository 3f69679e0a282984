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

* transfer: ``z = a p + b p d w(G) + e``, ``e ~ N(0, s^2)``, where ``z = (s2 - s1) - p (1/2 - s1)``
  is the swing to the leader beyond a 50:50 split of the pool ``p``. ``a`` is the leader's pull
  on the pool without endorsements, ``b`` the effect of the whole pool's endorsement in a runoff
  at most a week after round 1, ``s`` the spread between contests (it also absorbs what moves
  the finalists' own voters). ``w(G)`` is how much of an endorsement's pull is left on election
  day, ``G`` days after round 1: full for :data:`ENDORSEMENT_WEEK` days, then ``7 / G``
  (:data:`DECAY_FORMS`). Why it decays: of the seven contests where the case file finds the main
  eliminated candidates' endorsements converging on one finalist, the two where voters did not
  follow them (Texas 2012, Georgia 2014: "US state primaries, where the runoff electorate shrank
  by about 20%") were the two nine-week runoffs, and the five where they did were held a week or
  less after round 1; a long campaign also gives every other influence time to act (the model's
  own dynamics dampen an early leaning more over a long campaign: :class:`TransferResponse`).
  Gap, US primary and falling turnout go together in those two contests; docs/studies.md lists
  the caveats. The form was chosen among those of :data:`DECAY_FORMS` by their
  leave-one-out scores on the shipped contests (:func:`runoff_abm.studies.backtest.form_scores`,
  docs/studies.md), which makes the back-test's score of the decay itself in-sample.
  A draw ``(a, b, s, e)`` sets ``transfer_lean`` (the eliminated voters' leaning toward the
  leader whose expected realised swing is ``a p + e``, through the model's response curve
  :class:`TransferResponse`) and ``endorsement_trust`` (so that the endorsements move the
  leader's share by ``b w(G) p d`` in the model, through the shift the pilot runs measure;
  clipped to [0, 1]: :meth:`StructuralPrior.trust_for`).
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
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from scipy import optimize

from runoff_abm.model.errors import RunoffError
from runoff_abm.model.params import Params
from runoff_abm.model.scenario import Scenario, load_scenario
from runoff_abm.scenarios import BUILTIN_DIR

__all__ = ["CONTESTS_DIR", "CaseEvidence", "BayesLinear", "StructuralPrior", "PriorError", "evidence",
           "load_contests", "fit_prior", "prior_for", "same_contest", "STRUCTURAL_PARAMETERS", "TransferResponse",
           "transfer_response", "pilot_seeds", "endorsement_decay", "DECAY_FORMS", "DECAY", "ENDORSEMENT_WEEK"]

#: The shipped real contests (each with an ``[observed]`` result).
CONTESTS_DIR = BUILTIN_DIR / "contests"

#: Model parameters a structural draw sets (they override a calibration posterior's values).
STRUCTURAL_PARAMETERS = ("transfer_lean", "endorsement_trust", "habit_voter", "abstainer_reentry",
                         "orphan_demobilisation", "contractor_compliance", "contractor_capacity")

#: Beta priors (mean, concentration) of the quantities the evidence does not inform: assumptions.
ASSUMED_BETA = {"orphan_demobilisation": (0.125, 16.0), "contractor_compliance": (0.6, 8.0),
                "contractor_capacity": (0.8, 8.0)}

#: Days over which an endorsement keeps its full pull (:data:`DECAY_FORMS`).
ENDORSEMENT_WEEK = 7

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


def _decay_week(gap_days: int) -> float:
    return min(1.0, ENDORSEMENT_WEEK / max(gap_days, 1))


def _decay_log(gap_days: int) -> float:
    return 1.0 / (1.0 + max(0.0, math.log(max(gap_days, 1) / ENDORSEMENT_WEEK)))


def _decay_none(gap_days: int) -> float:
    return 1.0


#: How much of an endorsement's pull is left on election day, by the gap ``G`` in days between
#: the rounds: ``(description, function of G)``. ``week`` is the prior's form (:data:`DECAY`);
#: the others are the alternatives it was compared with, leave-one-out (:func:`form_scores`).
DECAY_FORMS: dict[str, tuple[str, Callable[[int], float]]] = {
    "week": ("full for a week, then 7/G", _decay_week),
    "log": ("1 / (1 + log(G/7)) after a week", _decay_log),
    "none": ("no decay: the same pull at any gap", _decay_none),
}
#: The decay form of the structural prior.
DECAY = "week"


def endorsement_decay(gap_days: int, form: str = DECAY) -> float:
    """Share of an endorsement's pull left on election day ``gap_days`` after round 1
    (:data:`DECAY_FORMS`; the module docstring says why it decays)."""
    if form not in DECAY_FORMS:
        raise PriorError(f"unknown endorsement decay {form!r}; known: {', '.join(DECAY_FORMS)}")
    return DECAY_FORMS[form][1](gap_days)


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
    decay: str = DECAY

    def draw(self, rng: np.random.Generator, scn: Scenario, base: dict[str, Any] | None = None,
             response: TransferResponse | None = None) -> tuple[dict[str, float], dict[str, float]]:
        """One draw for ``scn``: (parameter overrides, the structural quantities drawn).

        ``base`` holds the parameter values the draw builds on (the scenario's ``[parameters]``
        merged with a calibration draw); the overrides are :data:`STRUCTURAL_PARAMETERS`.
        ``response`` is how the model realises the eliminated voters' initial leaning
        (:func:`transfer_response`): the drawn swing is inverted through it, so that the
        *realised* swing, not the initial leaning, follows the prior (None: the leaning is taken
        as realised one for one).
        """
        params = Params.from_mapping({**scn.parameters, **(base or {})})
        leader, _ = _leader(scn)
        a_is_leader = scn.finalists[0] == leader
        (a, b), s = self.transfer.draw(rng)
        pool = evidence_pool(scn)
        e = float(rng.normal(0.0, s)) / max(pool, 1e-6)
        response = response if response is not None else TransferResponse.identity(pool)
        lean_leader = response.lean_for((a + e) * pool)
        gain = response.gain
        effect = float(b) * endorsement_decay(scn.election_day, self.decay)
        trust = self.trust_for(float(b), scn, params, response)
        (c0, c1), su = self.turnout.draw(rng)
        change = float(c0 + c1 * math.log(scn.election_day / 7.0) + rng.normal(0.0, su))
        orphan = _beta_draw(rng, *ASSUMED_BETA["orphan_demobilisation"])
        compliance = _beta_draw(rng, *ASSUMED_BETA["contractor_compliance"])
        capacity = _beta_draw(rng, *ASSUMED_BETA["contractor_capacity"])
        habit, reentry = self.turnout_parameters(scn, params.replace(orphan_demobilisation=orphan), change)
        over = {"transfer_lean": lean_leader if a_is_leader else 1 - lean_leader, "endorsement_trust": trust,
                "habit_voter": habit, "abstainer_reentry": reentry, "orphan_demobilisation": orphan,
                "contractor_compliance": compliance, "contractor_capacity": capacity}
        drawn = {"transfer_to_leader": lean_leader, "transfer_gain": gain, "endorsement_effect": float(b),
                 "endorsement_effect_left": effect, "turnout_change": change, "transfer_intercept": float(a),
                 "transfer_sd": s, "transfer_swing": (a + e) * pool}
        return over, drawn

    def trust_for(self, b: float, scn: Scenario, params: Params, response: TransferResponse) -> float:
        """``endorsement_trust`` for an endorsement effect ``b``, within [0, 1].

        The prior wants the endorsements to move the leader's share by ``b w(G) p d``. Where the
        pilot runs measured the model's own shift at ``endorsement_trust`` 1
        (:attr:`TransferResponse.shift`, same sign as ``d``), the trust is that want over the
        shift (a shift linear in trust). Otherwise (no endorsement of a finalist, or no pilot
        runs) ``b w(G) / (1/2 x susceptibility_mean x gain)``: a strength-1 endorsement moves its
        voters' leaning by ``b w(G)``, damped like an early leaning.
        """
        effect = b * endorsement_decay(scn.election_day, self.decay)
        balance = endorsement_balance(scn)
        want = effect * evidence_pool(scn) * balance
        shift = response.shift
        if shift is not None and want != 0 and abs(shift) > 1e-6 and np.sign(shift) == np.sign(balance):
            return float(np.clip(want / shift, 0.0, 1.0))
        return float(np.clip(effect / (0.5 * max(params.susceptibility_mean, 1e-6) * max(response.gain, 1e-6)),
                             0.0, 1.0))

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

    def share_predictive(self, scn: Scenario) -> tuple[float, float, int]:
        """The prior alone, without the model: the Student-t predictive ``(location, scale,
        degrees of freedom)`` of the round-1 leader's runoff share of the two finalists,
        ``s1 + p (1/2 - s1) + p a + p d w(G) b + e`` (the transfer model of the module docstring)."""
        s1, x = _transfer_row(scn, self.decay)
        lm = self.transfer
        return float(s1 + x @ lm.beta), math.sqrt(lm.s2 * (1 + float(x @ lm.xtx_inv @ x))), lm.dof

    def summary(self) -> dict[str, Any]:
        """The fitted prior: contests used, left out, and each model's estimates."""
        return {"fitted_on": list(self.fitted_on), "left_out": list(self.left_out),
                "transfer": self.transfer.summary(), "turnout": self.turnout.summary(),
                "assumed_beta": {k: {"mean": m, "concentration": c} for k, (m, c) in ASSUMED_BETA.items()},
                "endorsement_decay": {"form": self.decay, "description": DECAY_FORMS[self.decay][0]}}

    def describe(self) -> str:
        """Two lines for a report."""
        t, u = self.transfer.summary(), self.turnout.summary()
        tc, uc = t["coefficients"], u["coefficients"]
        left = f"; left out: {', '.join(self.left_out)}" if self.left_out else ""
        return (f"structural prior fitted on {len(self.fitted_on)} contests{left}: transfer to the leader "
                f"{0.5 + tc['intercept']:.1%} (+{tc['endorsement']:.2f} x endorsement balance, its pull "
                f"{DECAY_FORMS[self.decay][0]}; residual swing sd "
                f"{t['residual_sd']:.3f}); turnout change {uc['intercept']:+.1%} at a 7-day gap "
                f"({uc['log_gap']:+.3f} x log(gap/7), sd {u['residual_sd']:.2f})")


def _regressors(pool: float, balance: float, gap_days: int, decay: str) -> list[float]:
    """The transfer model's regressors ``[p, p d w(G)]`` (the module docstring)."""
    return [pool, pool * balance * endorsement_decay(gap_days, decay)]


def _transfer_row(scn: Scenario, decay: str) -> tuple[float, np.ndarray]:
    """(the leader's share at a 50:50 split of the pool, the transfer model's regressors) of a
    scenario, from its round 1 and events only."""
    leader, runner = _leader(scn)
    l1, r1 = scn.candidate(leader).votes, scn.candidate(runner).votes
    s1 = l1 / (l1 + r1) if l1 + r1 else 0.5
    p = evidence_pool(scn)
    return s1 + p * (0.5 - s1), np.array(_regressors(p, endorsement_balance(scn), scn.election_day, decay))


def fit_prior(contests: list[Scenario], leave_out: Scenario | None = None, *, decay: str = DECAY) -> StructuralPrior:
    """Fit the structural prior on ``contests`` (each with an ``[observed]`` result), leaving out
    every contest that is ``leave_out`` (:func:`same_contest`) and every low-confidence contest;
    ``decay`` names the endorsement decay (:data:`DECAY_FORMS`)."""
    endorsement_decay(7, decay)  # an unknown form fails here, before any fitting
    left = tuple(c.name for c in contests if leave_out is not None and same_contest(c, leave_out))
    used = [c for c in contests if c.name not in left]
    ev = [evidence(c) for c in used]
    ev = [e for e in ev if not e.low_confidence]
    # every contest counts, its swing weighted by its pool (see the module docstring)
    transfer = BayesLinear.fit(np.array([_regressors(e.pool_two, e.endorsement_balance, e.gap_days, decay) for e in ev]),
                               np.array([e.swing_target for e in ev]), ("intercept", "endorsement"))
    turnout = BayesLinear.fit(np.array([[1.0, math.log(e.gap_days / 7.0)] for e in ev]),
                              np.array([e.turnout_change for e in ev]), ("intercept", "log_gap"))
    return StructuralPrior(transfer=transfer, turnout=turnout, fitted_on=tuple(e.name for e in ev),
                           left_out=left, evidence=tuple(ev), decay=decay)


def prior_for(scn: Scenario, contests: list[Scenario] | None = None) -> StructuralPrior:
    """The structural prior for predicting ``scn``: fitted on the shipped contests (or
    ``contests``) without ``scn``'s own (leave-one-out)."""
    return fit_prior(load_contests() if contests is None else contests, leave_out=scn)


#: The initial leanings (toward the round-1 leader) of the pilot runs of :func:`transfer_response`.
PILOT_LEANS = (0.02, 0.25, 0.5, 0.75, 0.98)
#: Seeds per leaning of the pilot runs (:func:`pilot_seeds`).
PILOT_RUNS = 3


def pilot_seeds(seed: int) -> tuple[int, ...]:
    """The pilot runs' seeds for a prediction with master ``seed``: their own stream of the
    master seed (``SeedSequence([seed, 0x9170])``), so another master seed also redraws the
    pilot runs and the seed-to-seed spread of a result includes their noise."""
    children = np.random.SeedSequence([seed, 0x9170]).spawn(PILOT_RUNS)
    return tuple(int(c.generate_state(1, dtype=np.uint64)[0] % (2**63)) for c in children)  # as replicate_seeds


#: Bounds of the damping (:attr:`TransferResponse.gain`).
GAIN_RANGE = (0.1, 1.5)


@dataclass(frozen=True)
class TransferResponse:
    """How the model realises the eliminated voters' initial leaning toward the round-1 leader.

    The model's campaign dynamics (social influence, canvassing, demobilisation, endorsements)
    dampen an initial leaning, more so over a long campaign, and not linearly: a leaning near 0 or
    1 survives better than one near 1/2. Pilot runs at the leanings ``l`` of :data:`PILOT_LEANS`
    measure the leader's runoff share; the curve ``share(l) = c0 + c1 (l - 1/2) + c3 (l - 1/2)^3``
    is fitted to all of them by non-negative least squares on ``c1`` and ``c3`` (so it rises
    monotonically and pools every pilot run against seed noise).

    ``trust`` is the ``endorsement_trust`` of the pilot runs of the curve (a trusted endorsement
    pulls its voters toward the endorsed finalist and so also dampens their own leaning);
    ``gain`` the damping of a leaning with no endorsement effect at all (``endorsement_trust``
    0): the share of a change of leaning from 1/4 to 3/4 that the model realises, over what a
    full transfer (``pool / 2``) would give, within :data:`GAIN_RANGE`; ``shift`` the change of
    the leader's share from ``endorsement_trust`` 0 to 1 at leaning 1/2 (paired seeds; None
    where no eliminated candidate endorses a finalist). ``shift`` (or, without it, ``gain``)
    converts the prior's endorsement effect into ``endorsement_trust``
    (:meth:`StructuralPrior.trust_for`).
    """

    coef: tuple[float, float, float]
    pool: float
    gain: float = 1.0
    trust: float | None = None
    shift: float | None = None

    @classmethod
    def identity(cls, pool: float) -> TransferResponse:
        """A leaning realised one for one: the leader's share moves by ``pool`` per unit of leaning."""
        return cls(coef=(0.5, pool, 0.0), pool=pool)

    @classmethod
    def fit(cls, leans: np.ndarray, shares: np.ndarray, pool: float, gain: float = 1.0,
            trust: float | None = None, shift: float | None = None) -> TransferResponse:
        """Fit the curve to pilot runs: ``shares[k]`` is the leader's share in a run at ``leans[k]``."""
        x = np.asarray(leans, dtype=float) - 0.5
        y = np.asarray(shares, dtype=float)
        design = np.column_stack([x - x.mean(), x**3 - np.mean(x**3)])
        (c1, c3), _ = optimize.nnls(design, y - y.mean())
        c0 = float(y.mean() - c1 * x.mean() - c3 * np.mean(x**3))
        return cls(coef=(c0, float(c1), float(c3)), pool=pool, gain=gain, trust=trust, shift=shift)

    def share_at(self, lean: float | np.ndarray) -> float | np.ndarray:
        """The leader's expected share at leaning ``lean`` toward the leader."""
        c0, c1, c3 = self.coef
        x = np.asarray(lean, dtype=float) - 0.5
        return c0 + c1 * x + c3 * x**3

    def slope(self) -> float:
        """The curve's slope over the leanings 1/4 to 3/4, per unit of leaning."""
        return float((self.share_at(0.75) - self.share_at(0.25)) / 0.5)

    def lean_for(self, swing: float) -> float:
        """The leaning toward the leader (within [0.02, 0.98]) whose expected realised share is the
        share at leaning 1/2 plus ``swing``; a swing beyond what the model can realise stops at the
        end of that range (and a flat curve leaves the leaning at 1/2)."""
        grid = np.linspace(PILOT_LEANS[0], PILOT_LEANS[-1], 961)
        curve = np.asarray(self.share_at(grid)) + 1e-12 * np.arange(len(grid))  # strictly increasing
        if curve[-1] - curve[0] < 1e-9:
            return 0.5
        return float(np.interp(float(self.share_at(0.5)) + swing, curve, grid))

    def as_dict(self) -> dict[str, Any]:
        """A plain record (the prediction's summary)."""
        return {"coefficients": list(self.coef), "pool": self.pool, "gain": self.gain, "trust": self.trust,
                "endorsement_shift": self.shift,
                "leader_share_at": {f"{lean:g}": float(self.share_at(lean)) for lean in PILOT_LEANS}}


def _pilot(scn: Scenario, members: int, base: dict[str, Any], trust_rules: bool, seeds: tuple[int, ...],
           leans: tuple[float, ...] = PILOT_LEANS) -> tuple[np.ndarray, np.ndarray]:
    """(leanings, leader's shares) of the pilot runs: every leaning of ``leans`` with every seed
    of ``seeds`` (paired: the same seeds at each leaning)."""
    from runoff_abm.model.api import run

    leader, _ = _leader(scn)
    a_is_leader = scn.finalists[0] == leader
    out_leans, shares = [], []
    for lean in leans:
        for seed in seeds:
            res = run(scn, seed=seed, members=members, trust_rules=trust_rules,
                      **{**base, "transfer_lean": lean if a_is_leader else 1 - lean})
            out_leans.append(lean)
            shares.append(res.shares[leader])
    return np.array(out_leans), np.array(shares)


def transfer_response(scn: Scenario, members: int, base: dict[str, Any] | None = None, trust_rules: bool = False,
                      prior: StructuralPrior | None = None, seed: int = 0) -> TransferResponse:
    """The model's :class:`TransferResponse` for ``scn`` (pilot runs with ``base`` parameters and
    the seeds :func:`pilot_seeds` gives for the master ``seed``).

    First the pilot runs without any endorsement effect (``endorsement_trust`` 0) measure the
    damping ``gain``. With a ``prior`` and an eliminated candidate endorsing a finalist, runs at
    leaning 1/2 with ``endorsement_trust`` 1 measure the endorsements' ``shift`` of the leader's
    share; then a last set of pilot runs measures the curve at the ``endorsement_trust`` of the
    prior's mean endorsement effect (the trust most runs will have), since a trusted
    endorsement also dampens its voters' own leaning.
    """
    pool = evidence_pool(scn)
    if pool <= 0:
        return TransferResponse.identity(0.0)
    base = dict(base or {})
    seeds = pilot_seeds(seed)
    leans, shares = _pilot(scn, members, {**base, "endorsement_trust": 0.0}, trust_rules, seeds)
    pure = TransferResponse.fit(leans, shares, pool, trust=0.0)
    gain = float(np.clip(pure.slope() / pool, *GAIN_RANGE))
    if prior is None:
        return TransferResponse(coef=pure.coef, pool=pool, gain=gain, trust=0.0)
    shift = None
    if endorsement_balance(scn) != 0:
        _, full = _pilot(scn, members, {**base, "endorsement_trust": 1.0}, trust_rules, seeds, leans=(0.5,))
        shift = float(np.mean(full) - np.mean(shares[leans == 0.5]))
    measured = TransferResponse(coef=pure.coef, pool=pool, gain=gain, trust=0.0, shift=shift)
    params = Params.from_mapping({**scn.parameters, **base})
    trust = prior.trust_for(float(prior.transfer.beta[1]), scn, params, measured)
    if trust == 0.0:
        return measured
    leans, shares = _pilot(scn, members, {**base, "endorsement_trust": trust}, trust_rules, seeds)
    return TransferResponse.fit(leans, shares, pool, gain=gain, trust=trust, shift=shift)
