"""A poll contractor (vote broker): commands a bloc of members it registered and delivers.

A contractor whose patron is a finalist is *loyal*: it instructs its bloc for the patron. A
contractor whose patron was eliminated is *undecided*: it waits for its patron's decision (each
campaign day before it, it decides on its own with probability ``autonomy``), and decides on
the day its patron declares (surely by the last campaign day). It chooses among instructing
for finalist A, for B, and sitting out, by a logit rule on named utility terms:

    U_f   = contractor_endorse_weight * endorsement_f + offer_f + contractor_lean_weight * (2 * lean_f - 1)
    U_out = contractor_sitout_utility
    P(option) = exp(U / choice_noise) / sum exp(U / choice_noise)

``endorsement_f`` is the strength of the patron's endorsement of f (0 before the patron
declares, 0 for both after neutrality); ``offer_f`` is the best deal finalist f offered the
contractor itself, or the patron if the patron took it, times f's capacity to deliver;
``lean_f`` the bloc's mean leaning toward f. A ``contractor_realign`` event decides for it.

On election day an active contractor (loyal or aligned) brings out a bloc member who would
stay home with probability ``capacity``; a member complies with the instruction with
probability ``c + (1 - c) * monitoring * v``, ``c`` the contractor's compliance and ``v`` the
bloc's share of the member's polling station (its visibility): a bloc that is all of its
station is watched, a bloc scattered thin is not.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from runoff_abm.agents.base import RunoffAgent, ordered_sum
from runoff_abm.agents.candidate import UNDECLARED, gumbel_choice, logit

UNDECIDED = "undecided"
LOYAL = "loyal"
ALIGNED = "aligned"
SITTING_OUT = "sitting out"

__all__ = ["Contractor", "UNDECIDED", "LOYAL", "ALIGNED", "SITTING_OUT"]


class Contractor(RunoffAgent):
    """A vote broker with a bloc, a patron, a mobilisation capacity, a compliance and an autonomy."""

    def __init__(self, model, index: int, name: str, patron: int, sector: str | None,
                 compliance: float, capacity: float, members: np.ndarray, autonomy: float = 0.0):
        super().__init__(model)
        self.index = index
        self.name = name
        self.patron = patron
        self.sector = sector
        self.compliance = compliance
        self.capacity = capacity
        self.autonomy = autonomy
        self.members = members
        self.offers: list[dict[str, Any] | None] = [None, None]
        side = model.side_of[patron]
        self.instruction = side  # 0 = A, 1 = B, -1 = none
        self.status = LOYAL if side >= 0 else UNDECIDED
        self.decided_day: int | None = None if side < 0 else 0

    @property
    def patron_name(self) -> str:
        """The name of the contractor's patron (a round-1 candidate)."""
        return self.model.categories[self.patron]

    @property
    def orphaned(self) -> bool:
        """True while the contractor has not decided (its patron was eliminated)."""
        return self.status == UNDECIDED

    def member_compliance(self, visibility: np.ndarray) -> np.ndarray:
        """Probability that each bloc member with station visibility ``visibility`` votes as
        instructed: ``c + (1 - c) * monitoring * v`` (monitoring, not a constant)."""
        c = self.compliance
        return c + (1.0 - c) * self.model.params.monitoring * visibility

    def bloc_lean(self) -> float:
        """Mean leaning of the bloc toward finalist A (0.5 for an empty bloc)."""
        if len(self.members) == 0:
            return 0.5
        return float(np.mean(self.model.state.leaning[self.members]))

    def receive_offer(self, side: int, value: float, day: int) -> bool:
        """Finalist ``side`` offers the contractor a deal; the better offer from each finalist
        stands until it decides. Returns whether it stands (False once decided or loyal)."""
        if not self.orphaned:
            return False
        best = self.offers[side]
        if best is None or value > best["value"]:
            self.offers[side] = {"value": float(value), "day": int(day)}
        return True

    def offer_term(self, side: int) -> float:
        """The best deal from finalist ``side`` (to the contractor, or to its patron if the patron
        took it) times the finalist's capacity to deliver."""
        m = self.model
        own, theirs = self.offers[side], m.candidates[self.patron].offers[side]
        best = own["value"] if own is not None else 0.0
        if m.candidates[self.patron].deal == side and theirs is not None:
            best = max(best, theirs["value"])
        return best * m.candidates[m.finalist_index[side]].deliver

    def options(self) -> list[dict[str, Any]]:
        """Options (instruct A, instruct B, sit out) with named terms, utility and probability."""
        m = self.model
        p = m.params
        cand = m.candidates[self.patron]
        lean_a = self.bloc_lean()
        opts: list[dict[str, Any]] = []
        for side, lean in ((0, lean_a), (1, 1 - lean_a)):
            terms = {"patron": p.contractor_endorse_weight * cand.endorsement_strength(side),
                     "offer": self.offer_term(side), "bloc": p.contractor_lean_weight * (2 * lean - 1)}
            opts.append({"option": f"instruct {m.finalists[side]}", "side": side, "terms": terms,
                         "utility": ordered_sum(terms.values())})
        opts.append({"option": "sit out", "side": -1, "terms": {"sit out": p.contractor_sitout_utility},
                     "utility": p.contractor_sitout_utility})
        for o, pr in zip(opts, logit([o["utility"] for o in opts], p.choice_noise), strict=True):
            o["probability"] = pr
        return opts

    def choice_probabilities(self) -> list[float]:
        """Probabilities of (instruct A, instruct B, sit out) from the current state."""
        return [o["probability"] for o in self.options()]

    def wants_to_decide(self, u_decide: float, last_day: bool) -> bool:
        """An undecided contractor decides once its patron has declared, on the last campaign
        day, or before its patron with probability ``autonomy`` (draw ``u_decide``)."""
        if not self.orphaned:
            return False
        if self.model.candidates[self.patron].status != UNDECLARED or last_day:
            return True
        return u_decide < self.autonomy

    def decide(self, u_choice: list[float]) -> None:
        """Choose by the logit rule with one uniform draw per option (``u_choice``, Gumbel-max)
        and record the decision."""
        opts = self.options()
        k = gumbel_choice([o["utility"] for o in opts], self.model.params.choice_noise, u_choice)
        waited = self.model.candidates[self.patron].status != UNDECLARED
        self.align(opts[k]["side"], how="model", options=opts, waited=waited)

    def bargain(self, u_decide: float, u_choice: list[float], last_day: bool) -> None:
        """One campaign day: decide if :meth:`wants_to_decide`."""
        if self.wants_to_decide(u_decide, last_day):
            self.decide(u_choice)

    def align(self, side: int, how: str = "model", options: list[dict[str, Any]] | None = None,
              waited: bool | None = None) -> None:
        """Instruct the bloc for finalist ``side`` (0/1) or sit out (-1), and record why. The
        contractor's own choice is not revisited; a ``contractor_realign`` event can still
        change it."""
        m = self.model
        if how == "scripted" and options is None and self.orphaned:
            options = self.options()  # what the model would have weighed, for the explanation
        self.instruction = side
        self.status = ALIGNED if side >= 0 else SITTING_OUT
        self.decided_day = m.day
        target = f"instruct {m.finalists[side]}" if side >= 0 else "sit out"
        offers = {m.finalists[s]: {**o, "deliver": m.candidates[m.finalist_index[s]].deliver}
                  for s, o in enumerate(self.offers) if o is not None}
        m.record_decision({
            "day": m.day, "who": self.name, "role": "contractor", "patron": self.patron_name, "choice": target,
            "how": how, "waited_for_patron": waited, "options": options or [], "offers": offers,
            "bloc": {"members": int(len(self.members)), "lean_" + m.finalists[0]: self.bloc_lean(),
                     "visibility": float(np.mean(m.state.visibility[self.members])) if len(self.members) else 0.0}})
