"""A poll contractor (vote broker): commands a bloc of members it registered and delivers.

A contractor whose patron is a finalist instructs its bloc for the patron. A contractor whose
patron was eliminated is *orphaned* and can be bargained for. Each campaign day it settles with
probability ``contractor_decision_rate`` (surely on the last campaign day), choosing among
finalist A, finalist B and sitting out by a logit rule on explicit utilities:

    U_f   = w_offer * offer_f + w_endorse * endorsement_f + w_lean * (2 * lean_f - 1)
    U_out = contractor_sitout_utility
    P(option) = exp(U / noise) / sum exp(U / noise)

where ``offer_f`` is the best deal finalist f offered the contractor or its patron, and
``endorsement_f`` the strength of the patron's endorsement of f (0 if none, and 0 for both
after a declaration of neutrality), and ``lean_f`` the bloc's mean leaning toward f.
A ``contractor_realign`` event decides for it. An aligned contractor persuades its bloc daily
and, on election day, brings out members with probability ``capacity``; members comply with
its instruction with probability ``compliance`` (the rest vote their own leaning, secretly).
"""

from __future__ import annotations

import math

import numpy as np

from runoff_abm.agents.base import RunoffAgent

UNDECIDED = "undecided"
LOYAL = "loyal"
ALIGNED = "aligned"
SITTING_OUT = "sitting out"


class Contractor(RunoffAgent):
    """A vote broker with a bloc, a patron, a mobilisation capacity and a compliance rate."""

    def __init__(self, model, index: int, name: str, patron: int, sector: str | None,
                 compliance: float, capacity: float, members: np.ndarray):
        super().__init__(model)
        self.index = index
        self.name = name
        self.patron = patron
        self.sector = sector
        self.compliance = compliance
        self.capacity = capacity
        self.members = members
        self.offers = [0.0, 0.0]
        side = model.side_of[patron]
        self.instruction = side  # 0 = A, 1 = B, -1 = none
        self.status = LOYAL if side >= 0 else UNDECIDED
        self.decided_day: int | None = None if side < 0 else 0

    @property
    def patron_name(self) -> str:
        return self.model.categories[self.patron]

    @property
    def orphaned(self) -> bool:
        return self.status == UNDECIDED

    def bloc_lean(self) -> float:
        """Mean leaning of the bloc toward finalist A (0.5 for an empty bloc)."""
        if len(self.members) == 0:
            return 0.5
        return float(np.mean(self.model.state.leaning[self.members]))

    def utilities(self) -> list[float]:
        """Utilities of (finalist A, finalist B, sitting out); see the module docstring."""
        p = self.model.params
        cand = self.model.candidates[self.patron]
        lean_a = self.bloc_lean()
        utils = []
        for side, lean in ((0, lean_a), (1, 1 - lean_a)):
            offer = max(self.offers[side], cand.offers[side])
            endorse = cand.endorsement_strength(side)
            utils.append(p.contractor_offer_weight * offer + p.contractor_endorse_weight * endorse
                         + p.contractor_lean_weight * (2 * lean - 1))
        utils.append(p.contractor_sitout_utility)
        return utils

    def choice_probabilities(self) -> list[float]:
        noise = self.model.params.contractor_choice_noise
        u = self.utilities()
        top = max(u)
        w = [math.exp((x - top) / noise) for x in u]
        s = sum(w)
        return [x / s for x in w]

    def bargain(self, u_decide: float, u_choice: float, last_day: bool) -> None:
        """An orphaned contractor settles today with probability ``contractor_decision_rate``
        (surely on the last campaign day), drawing its option from :meth:`choice_probabilities`."""
        if not self.orphaned:
            return
        if not (last_day or u_decide < self.model.params.contractor_decision_rate):
            return
        probs = self.choice_probabilities()
        option = 0 if u_choice < probs[0] else 1 if u_choice < probs[0] + probs[1] else 2
        self.align(option if option < 2 else -1)

    def align(self, side: int) -> None:
        """Instruct the bloc for finalist ``side`` (0/1) or sit out (-1). The contractor's own
        choice is not revisited; a ``contractor_realign`` event can still change it."""
        self.instruction = side
        self.status = ALIGNED if side >= 0 else SITTING_OUT
        self.decided_day = self.model.day
        target = self.model.finalists[side] if side >= 0 else "sit out"
        self.model.log(f"contractor {self.name} ({self.patron_name}) -> {target}")

    def persuade(self) -> None:
        """Per-agent reference: an aligned contractor pulls its bloc's leanings toward its side."""
        if self.instruction < 0 or self.model.params.broker_persuasion == 0:
            return
        rate = self.model.params.broker_persuasion
        for i in self.members:
            self.model.member(int(i)).be_persuaded(self.instruction == 0, rate)
