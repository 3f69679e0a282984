"""A candidate of round 1: finalist or eliminated; gives, declines or receives endorsements.

An eliminated candidate is *undeclared* until it endorses a finalist or declares neutrality
(by a scheduled event, or by accepting an offer: each campaign day an undeclared candidate
holding offers accepts the best one with probability ``offer_acceptance * value``).
"""

from __future__ import annotations

from runoff_abm.agents.base import RunoffAgent

FINALIST = "finalist"
UNDECLARED = "undeclared"
ENDORSED = "endorsed"
NEUTRAL = "neutral"


class Candidate(RunoffAgent):
    """A round-1 candidate."""

    def __init__(self, model, index: int, name: str, votes: int, finalist: bool, full_name: str = ""):
        super().__init__(model)
        self.index = index
        self.name = name
        self.full_name = full_name or name
        self.votes = votes
        self.finalist = finalist
        self.status = FINALIST if finalist else UNDECLARED
        self.endorsed: int = -1           # side endorsed (0 = A, 1 = B), -1 none
        self.strength: float = 0.0
        self.offers = [0.0, 0.0]          # best offer received from each finalist
        self.endorsements_given: list[tuple[int, str, float]] = []
        self.endorsements_received: list[tuple[int, str, float]] = []

    def endorsement_strength(self, side: int) -> float:
        """Strength of this candidate's endorsement of finalist ``side`` (0 if none)."""
        return self.strength if self.endorsed == side else 0.0

    def receive_offer(self, side: int, value: float) -> None:
        self.offers[side] = max(self.offers[side], value)

    def consider_offers(self, u: float) -> int:
        """An undeclared candidate accepts its best offer with probability
        ``offer_acceptance * value`` (ties go to finalist A). Returns the side or -1."""
        if self.status != UNDECLARED or max(self.offers) == 0:
            return -1
        side = 0 if self.offers[0] >= self.offers[1] else 1
        if u < self.model.params.offer_acceptance * self.offers[side]:
            return side
        return -1
