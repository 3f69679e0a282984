"""A candidate of round 1: a finalist, or an eliminated candidate who decides whom to endorse.

An eliminated candidate is *undeclared* until it endorses a finalist or declares neutrality. A
scenario may script that declaration (an ``endorse`` or ``neutral`` event: history); otherwise
the candidate consults its activists and contractors until its decision day (its
``consult_days``, else the parameter) and then chooses among endorsing finalist A, endorsing B
and staying neutral by a logit rule over named utility terms (``docs/ODD.md``, 7.8):

    U(endorse f) = offer_f + affinity_weight * affinity_f + kingmaker_value - base_objection_weight * O_f
    U(neutral)   = 0
    P(option)    = exp(U / choice_noise) / sum exp(U / choice_noise)

where ``offer_f`` is the value of f's standing offer times f's credible capacity to deliver it
(the finalist's ``deliver``), ``affinity_f`` the candidate's affinity with f (scenario data,
changed by ``insult`` and ``praise`` events) and ``O_f`` the objection of its base to endorsing
f: the base is split into groups (its round-1 voters by sector, its activists by sector, each
of its contractors' blocs), a group objects by ``max(0, 2 m - 1)`` where ``m`` is the share of
its members who prefer the other finalist (a decided contractor's bloc prefers its
instruction), and ``O_f`` is the member-weighted mean objection. A split base makes every
endorsement costly, so neutrality wins; a base leaning one way makes that endorsement cheap.
Endorsing a finalist whose offer stands is taking the deal (its terms follow, see
:meth:`runoff_abm.model.RunoffModel.endorse`).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from runoff_abm.agents.base import RunoffAgent, ordered_sum

FINALIST = "finalist"
UNDECLARED = "undeclared"
ENDORSED = "endorsed"
NEUTRAL = "neutral"

__all__ = ["Candidate", "FINALIST", "UNDECLARED", "ENDORSED", "NEUTRAL", "logit", "gumbel_choice"]


def logit(utilities: list[float], noise: float) -> list[float]:
    """Logit (softmax) probabilities of ``utilities`` at temperature ``noise``."""
    top = max(utilities)
    w = [math.exp((x - top) / noise) for x in utilities]
    s = ordered_sum(w)
    return [x / s for x in w]


def gumbel_choice(utilities: list[float], noise: float, u: list[float]) -> int:
    """The option maximising ``U_k / noise + g_k`` with ``g_k = -log(-log u_k)`` a Gumbel draw
    per option (one uniform each): a draw from the logit probabilities (McFadden 1974). Under
    common random numbers it is monotone: raising one option's utility can only switch the
    choice to that option (an inverse-CDF draw over ordered options would not)."""
    best, arg = -math.inf, 0
    for k, (x, uk) in enumerate(zip(utilities, u, strict=True)):
        g = -math.log(-math.log(min(max(uk, 1e-300), 1.0 - 1e-16)))
        if x / noise + g > best:
            best, arg = x / noise + g, k
    return arg


class Candidate(RunoffAgent):
    """A round-1 candidate.

    Attributes:
        status: ``finalist``, ``undeclared``, ``endorsed`` or ``neutral``.
        offers: per finalist side, the best standing offer (``{"value", "backlash", "day"}``) or None.
        affinity: per finalist side, the candidate's affinity with it (-1..1).
        deliver: for a finalist, its credible capacity to deliver what it offers (0..1).
        decision_day: for an eliminated candidate, the day it decides (unless scripted).
        scripted: the scenario scripts this candidate's declaration (it does not decide itself).
        deal: the side whose offer it took (-1: none).
    """

    def __init__(self, model, index: int, name: str, votes: int, finalist: bool, full_name: str = "", *,
                 affinity: tuple[float, float] = (0.0, 0.0), deliver: float = 1.0, decision_day: int = 1,
                 scripted: bool = False):
        super().__init__(model)
        self.index = index
        self.name = name
        self.full_name = full_name or name
        self.votes = votes
        self.finalist = finalist
        self.status = FINALIST if finalist else UNDECLARED
        self.endorsed: int = -1           # side endorsed (0 = A, 1 = B), -1 none
        self.strength: float = 0.0
        self.offers: list[dict[str, Any] | None] = [None, None]
        self.affinity = [float(affinity[0]), float(affinity[1])]
        self.deliver = float(deliver)
        self.decision_day = int(decision_day)
        self.scripted = scripted
        self.decided_day: int | None = None
        self.deal: int = -1
        self.endorsements_given: list[tuple[int, str, float]] = []
        self.endorsements_received: list[tuple[int, str, float]] = []

    # ------------------------------------------------------------------ state
    def endorsement_strength(self, side: int) -> float:
        """Strength of this candidate's endorsement of finalist ``side`` (0 if none)."""
        return self.strength if self.endorsed == side else 0.0

    def receive_offer(self, side: int, value: float, backlash: float, day: int) -> bool:
        """Finalist ``side`` offers a deal; the better offer from each finalist stands until the
        candidate decides. Returns whether the offer stands (False once it has declared)."""
        if self.status != UNDECLARED:
            return False
        best = self.offers[side]
        if best is None or value > best["value"]:
            self.offers[side] = {"value": float(value), "backlash": float(backlash), "day": int(day)}
        return True

    def offer_term(self, side: int) -> float:
        """Value of finalist ``side``'s standing offer times the finalist's capacity to deliver."""
        offer = self.offers[side]
        if offer is None:
            return 0.0
        return offer["value"] * self.model.candidates[self.model.finalist_index[side]].deliver

    # ------------------------------------------------------------------ the base
    def base_groups(self) -> list[dict[str, Any]]:
        """The groups of this candidate's base with their preferences, read from the model state.

        Groups: its round-1 voters outside blocs by sector (including its former activists, who
        prefer the camp they joined), its activists still in its camp by sector, and each of its
        contractors' blocs (a decided contractor's bloc prefers its instruction). Each group has
        ``members`` and the shares ``prefer`` = [share preferring A, share preferring B].
        """
        m = self.model
        st = m.state
        k = self.index
        groups = []
        own = st.r1 == k
        in_camp = st.camp == k
        lean = st.leaning
        nsec = len(m.sector_names)
        for layer, mask in (("voters", own & (st.bloc < 0) & ~in_camp), ("activists", in_camp)):
            sec = st.sector[mask]
            x = lean[mask]
            size = np.bincount(sec, minlength=nsec)
            pa = np.bincount(sec, weights=(x > 0.5).astype(np.float64), minlength=nsec)
            pb = np.bincount(sec, weights=(x < 0.5).astype(np.float64), minlength=nsec)
            for s in np.flatnonzero(size):
                groups.append({"group": f"{layer}, {m.sector_names[s]}", "members": int(size[s]),
                               "prefer": [float(pa[s] / size[s]), float(pb[s] / size[s])]})
        for c in m.contractors:
            if c.patron != k or len(c.members) == 0:
                continue
            if c.instruction >= 0:
                prefer = [1.0, 0.0] if c.instruction == 0 else [0.0, 1.0]
            elif c.status != "undecided":  # sitting out: the bloc expects nothing either way
                prefer = [0.0, 0.0]
            else:
                x = lean[c.members]
                prefer = [float(np.mean(x > 0.5)), float(np.mean(x < 0.5))]
            groups.append({"group": f"contractor {c.name}", "members": int(len(c.members)), "prefer": prefer})
        return groups

    @staticmethod
    def objection(groups: list[dict[str, Any]]) -> list[float]:
        """Member-weighted objection of the base to endorsing A and to endorsing B: a group
        objects to endorsing f by ``max(0, 2 m - 1)``, ``m`` its share preferring the other."""
        total = ordered_sum(g["members"] for g in groups)
        if total == 0:
            return [0.0, 0.0]
        out = []
        for side in (0, 1):
            other = 1 - side
            out.append(ordered_sum(g["members"] * max(0.0, 2.0 * g["prefer"][other] - 1.0) for g in groups) / total)
        return out

    # ------------------------------------------------------------------ the decision
    def options(self) -> list[dict[str, Any]]:
        """The options (endorse A, endorse B, neutral) with their named utility terms, utility
        and logit probability, from the current state (see the module docstring)."""
        m = self.model
        p = m.params
        groups = self.base_groups()
        obj = self.objection(groups)
        opts: list[dict[str, Any]] = []
        for side in (0, 1):
            terms = {"offer": self.offer_term(side), "affinity": p.affinity_weight * self.affinity[side],
                     "kingmaker": p.kingmaker_value, "base": -p.base_objection_weight * obj[side]}
            opts.append({"option": f"endorse {m.finalists[side]}", "side": side, "terms": terms,
                         "utility": ordered_sum(terms.values())})
        opts.append({"option": "neutral", "side": -1, "terms": {}, "utility": 0.0})
        probs = logit([o["utility"] for o in opts], p.choice_noise)
        for o, pr in zip(opts, probs, strict=True):
            o["probability"] = pr
        self._last_base = {"groups": groups, "objection": {m.finalists[0]: obj[0], m.finalists[1]: obj[1]}}
        return opts

    def explain(self) -> dict[str, Any]:
        """The decision's explanation: options with their terms, the offers standing, the base."""
        opts = self.options()
        m = self.model
        offers = {}
        for side in (0, 1):
            o = self.offers[side]
            if o is not None:
                offers[m.finalists[side]] = {**o, "deliver": m.candidates[m.finalist_index[side]].deliver}
        return {"options": opts, "offers": offers, "base": self._last_base,
                "affinity": {m.finalists[0]: self.affinity[0], m.finalists[1]: self.affinity[1]}}

    def decide(self, u: list[float]) -> tuple[int, dict[str, Any]]:
        """Choose by the logit rule with one uniform draw per option (``u``, Gumbel-max): returns
        the side endorsed (-1 = neutral) and the explanation (see :meth:`explain`)."""
        why = self.explain()
        k = gumbel_choice([o["utility"] for o in why["options"]], self.model.params.choice_noise, u)
        return why["options"][k]["side"], why
